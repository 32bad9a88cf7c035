/* attach.c -- attachment names, limits, and content sniffing. */
#include <stdint.h>
#include <string.h>

#include "workflows/classify/attach.h"
#include "workflows/classify/stamp.h"
#include "util/text.h"
#include "util/common.h"

/* ---- names ---- */

/* Decode one UTF-8 sequence of valid text (checked before). */
static uint32_t next_cp(const unsigned char **p)
{
	const unsigned char *s = *p;
	uint32_t c = s[0];
	size_t n = c < 0x80 ? 1 : c < 0xe0 ? 2 : c < 0xf0 ? 3 : 4, i;

	if (n > 1)
		c &= 0x3f >> (n - 1);
	for (i = 1; i < n; i++)
		c = (c << 6) | (s[i] & 0x3f);
	*p = s + n;
	return c;
}

/* Characters that hide, reorder or break a name as a reader sees it
 * ("invoice\u202Efdp.exe" shows as "invoiceexe.pdf"). */
static int bad_cp(uint32_t c)
{
	return c < 0x20 || (c >= 0x7f && c <= 0x9f) || c == 0xad || (c >= 0x200b && c <= 0x200f) ||
	       (c >= 0x2028 && c <= 0x202e) || (c >= 0x2060 && c <= 0x206f) || c == 0xfeff ||
	       (c >= 0xfff0 && c <= 0xffff) || (c >= 0xe0000 && c <= 0xe007f) ||
	       (c >= 0xfe00 && c <= 0xfe0f) || c == 0x115f || c == 0x1160 || c == 0x3164;
}

static int check_name(const char *name)
{
	const unsigned char *p = (const unsigned char *)name;
	size_t n = strlen(name);

	if (!n || n > CH_ATTACH_MAX_NAME)
		return ch_error_setc(CH_EINVALID, "an attachment name must be 1 to %d bytes",
		                     CH_ATTACH_MAX_NAME);
	if (name[0] == '.' || name[0] == ' ')
		return ch_error_setc(CH_EINVALID, "an attachment name may not begin with a dot or "
		                     "a space");
	if (name[n - 1] == '.' || name[n - 1] == ' ')
		return ch_error_setc(CH_EINVALID, "an attachment name may not end with a dot or a "
		                     "space");
	if (strpbrk(name, "/\\:*?\"<>|"))
		return ch_error_setc(CH_EINVALID, "an attachment name may not hold a path separator "
		                     "or any of : * ? \" < > |");
	while (*p)
		if (bad_cp(next_cp(&p)))
			return ch_error_setc(CH_EINVALID, "an attachment name may not hold control, "
			                     "invisible or direction-changing characters");
	return 0;
}

int ch_attach_name(ch_buf *out, const char *name)
{
	int error;

	ch_buf_clear(out);
	if (!name || strlen(name) > 4 * CH_ATTACH_MAX_NAME)
		return ch_error_setc(CH_EINVALID, "an attachment name must be 1 to %d bytes",
		                     CH_ATTACH_MAX_NAME);
	if (ch_utf8_nfc(out, name, strlen(name)) < 0)
		return ch_error_setc(CH_EINVALID, "an attachment name is not valid UTF-8");
	if ((error = check_name(out->ptr)) < 0)
		ch_buf_clear(out);
	return error;
}

int ch_attach_valid_name(const char *name)
{
	ch_buf norm = CH_BUF_INIT;
	int ok = ch_attach_name(&norm, name) == 0 && !strcmp(norm.ptr, name);

	ch_buf_dispose(&norm);
	return ok;
}

/* ---- what a file is ---- */

static int starts(const unsigned char *s, size_t len, const char *magic, size_t n)
{
	return len >= n && !memcmp(s, magic, n);
}

static int contains(const unsigned char *s, size_t len, const char *what)
{
	size_t n = strlen(what);

	return len >= n && memmem(s, len, what, n) != NULL;
}

/* A ZIP by its first local header: encrypted (flag bit 0), an OpenDocument
 * file (its first entry "mimetype" stored uncompressed), an Office Open XML
 * file (part names in the first local headers), or a plain archive. */
static const char *zip_type(const unsigned char *s, size_t len)
{
	static const struct { const char *part, *type; } ooxml[] = {
		{ "word/", "application/vnd.openxmlformats-officedocument.wordprocessingml.document" },
		{ "xl/", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" },
		{ "ppt/", "application/vnd.openxmlformats-officedocument.presentationml.presentation" },
	};
	size_t head = len < 64 * 1024 ? len : 64 * 1024, i;

	if (len >= 8 && (s[6] & 1))
		return "application/x-encrypted-zip";
	if (len >= 38 + 39 && !memcmp(s + 30, "mimetype", 8) &&
	    !memcmp(s + 38, "application/vnd.oasis.opendocument.text", 39))
		return "application/vnd.oasis.opendocument.text";
	if (len >= 38 + 46 && !memcmp(s + 30, "mimetype", 8) &&
	    !memcmp(s + 38, "application/vnd.oasis.opendocument.spreadsheet", 46))
		return "application/vnd.oasis.opendocument.spreadsheet";
	if (contains(s, head, "[Content_Types].xml"))
		for (i = 0; i < CH_ARRAY_SIZE(ooxml); i++)
			if (contains(s, head, ooxml[i].part))
				return ooxml[i].type;
	return "application/zip";
}

static const struct { const char *magic; size_t n; const char *type; } magics[] = {
	{ "\x89PNG", 4, "image/png" }, { "\xff\xd8\xff", 3, "image/jpeg" }, { "GIF8", 4, "image/gif" },
	{ "II*\x00", 4, "image/tiff" }, { "MM\x00*", 4, "image/tiff" },
	{ "%PDF", 4, "application/pdf" },
	{ "\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", 8, "application/x-ole-storage" },
	{ "\x1f\x8b", 2, "application/gzip" }, { "BZh", 3, "application/x-bzip2" },
	{ "\xfd" "7zXZ\x00", 6, "application/x-xz" },
	{ "7z\xbc\xaf\x27\x1c", 6, "application/x-7z-compressed" },
	{ "Rar!\x1a\x07", 6, "application/vnd.rar" }, { "\x28\xb5\x2f\xfd", 4, "application/zstd" },
	{ "-----BEGIN PGP MESSAGE", 22, "application/pgp-encrypted" },
	{ "age-encryption.org/", 19, "application/x-age-encrypted" },
	{ "-----BEGIN AGE ENCRYPTED", 24, "application/x-age-encrypted" },
	{ "{\\rtf", 5, "application/rtf" },
};

/* Types a policy may name; the encrypted ones are known but never allowed. */
static const char *const known[] = {
	"image/png", "image/jpeg", "image/gif", "image/tiff", "image/webp", "image/bmp",
	"application/pdf", "application/x-ole-storage", "application/zip",
	"application/vnd.openxmlformats-officedocument.wordprocessingml.document",
	"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
	"application/vnd.openxmlformats-officedocument.presentationml.presentation",
	"application/vnd.oasis.opendocument.text", "application/vnd.oasis.opendocument.spreadsheet",
	"application/gzip", "application/x-bzip2", "application/x-xz", "application/x-7z-compressed",
	"application/vnd.rar", "application/zstd", "application/x-tar", "application/rtf",
	"application/octet-stream", "application/pgp-encrypted", "application/x-age-encrypted",
	"application/x-encrypted-zip", NULL
};

const char *ch_attach_sniff(const void *data, size_t len)
{
	const unsigned char *s = data;
	const char *rule;
	size_t i;

	if (!len)
		return "text/plain";
	if (starts(s, len, "PK\x03\x04", 4) || starts(s, len, "PK\x05\x06", 4) ||
	    starts(s, len, "PK\x07\x08", 4))
		return zip_type(s, len);
	for (i = 0; i < CH_ARRAY_SIZE(magics); i++)
		if (starts(s, len, magics[i].magic, magics[i].n))
			return magics[i].type;
	if (len >= 12 && starts(s, len, "RIFF", 4) && !memcmp(s + 8, "WEBP", 4))
		return "image/webp";
	if (len >= 14 && starts(s, len, "BM", 2) &&
	    ((size_t)s[2] | (size_t)s[3] << 8 | (size_t)s[4] << 16 | (size_t)s[5] << 24) == len)
		return "image/bmp";
	if (len >= 262 && !memcmp(s + 257, "ustar", 5))
		return "application/x-tar";
	/* the scanner's own sniffing, without its scan (a page lists many files) */
	if (!(rule = ch_stamp_sniff(data, len)))
		return "text/plain";
	return strcmp(rule, "encrypted") ? "application/octet-stream" : "application/pgp-encrypted";
}

int ch_attach_type_known(const char *type)
{
	size_t i;

	for (i = 0; type && known[i]; i++)
		if (!strcmp(known[i], type))
			return 1;
	return 0;
}

int ch_attach_type_encrypted(const char *type)
{
	return !strcmp(type, "application/pgp-encrypted") ||
	       !strcmp(type, "application/x-age-encrypted") ||
	       !strcmp(type, "application/x-encrypted-zip");
}

const char *ch_attach_serve_type(const void *data, size_t len)
{
	const char *t = ch_attach_sniff(data, len);

	if (!strcmp(t, "text/plain"))
		return ch_utf8_valid(data, len) ? "text/plain; charset=utf-8" :
		       "application/octet-stream";
	return t;
}
