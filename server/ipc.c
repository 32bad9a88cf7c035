/* ipc.c -- typed messages between chanceryd's processes. */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ipc.h"
#include "util/common.h"

static int write_full(int fd, const void *data, size_t len)
{
	const char *p = data;

	while (len) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return ch_error_setc(CH_EIO, "ipc: write failed: %s", strerror(errno));
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* 1 read everything, 0 clean end of stream before any byte, <0 error. */
static int read_full(int fd, void *data, size_t len)
{
	char *p = data;
	size_t got = 0;

	while (got < len) {
		ssize_t n = read(fd, p + got, len - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return ch_error_setc(CH_EIO, "ipc: read failed: %s", strerror(errno));
		if (n == 0)
			return got ? ch_error_setc(CH_EINVALID, "ipc: truncated message") : 0;
		got += (size_t)n;
	}
	return 1;
}

int ch_ipc_send(int fd, uint16_t type, int32_t code, size_t nfields, const void *const *fields,
                const size_t *lens)
{
	ch_buf msg = CH_BUF_INIT;
	ch_ipc_hdr h;
	size_t i, body = 0;
	int error;

	if (nfields > CH_IPC_MAX_FIELDS)
		return ch_error_setc(CH_EINVALID, "ipc: too many fields");
	for (i = 0; i < nfields; i++) {
		if (lens[i] > CH_IPC_MAX_BODY || body + 4 + lens[i] > CH_IPC_MAX_BODY)
			return ch_error_setc(CH_EINVALID, "ipc: message larger than %u bytes",
			                     CH_IPC_MAX_BODY);
		body += 4 + lens[i];
	}
	memset(&h, 0, sizeof(h));
	h.magic = CH_IPC_MAGIC;
	h.version = CH_IPC_VERSION;
	h.type = type;
	h.code = code;
	h.nfields = (uint32_t)nfields;
	h.len = (uint32_t)body;
	ch_buf_put(&msg, &h, sizeof(h));
	for (i = 0; i < nfields; i++) {
		uint32_t l = (uint32_t)lens[i];

		ch_buf_put(&msg, &l, sizeof(l));
		ch_buf_put(&msg, fields[i], lens[i]);
	}
	error = write_full(fd, msg.ptr, msg.size);
	ch_buf_dispose_secret(&msg); /* it may hold a passphrase */
	return error;
}

static int split_fields(ch_ipc_msg *m, size_t nfields)
{
	size_t off = 0, i;

	for (i = 0; i < nfields; i++) {
		uint32_t l;

		if (m->body.size - off < 4)
			return ch_error_setc(CH_EINVALID, "ipc: field %zu truncated", i);
		memcpy(&l, m->body.ptr + off, 4);
		off += 4;
		if (l > m->body.size - off)
			return ch_error_setc(CH_EINVALID, "ipc: field %zu overruns the body", i);
		m->field[i] = m->body.ptr + off;
		m->flen[i] = l;
		off += l;
	}
	if (off != m->body.size)
		return ch_error_setc(CH_EINVALID, "ipc: trailing bytes after the fields");
	m->nfields = nfields;
	return 0;
}

int ch_ipc_recv(ch_ipc_msg *out, int fd, uint16_t expect_min, uint16_t expect_max,
                size_t nfields)
{
	ch_buf copy = CH_BUF_INIT;
	ch_ipc_hdr h;
	size_t i;
	int rc;

	memset(out, 0, sizeof(*out));
	ch_buf_init(&out->body);
	if ((rc = read_full(fd, &h, sizeof(h))) <= 0)
		return rc == 0 ? CH_ENOTFOUND : rc;
	if (h.magic != CH_IPC_MAGIC || h.version != CH_IPC_VERSION || h.type < expect_min ||
	    h.type > expect_max || h.len > CH_IPC_MAX_BODY || h.nfields > CH_IPC_MAX_FIELDS ||
	    (nfields && h.nfields != nfields))
		return ch_error_setc(CH_EINVALID, "ipc: malformed header (type %u, %u fields, %u "
		                     "bytes)", h.type, h.nfields, h.len);
	ch_buf_grow(&out->body, h.len);
	if (h.len && (rc = read_full(fd, out->body.ptr, h.len)) <= 0)
		return rc == 0 ? ch_error_setc(CH_EINVALID, "ipc: truncated message") : rc;
	out->body.size = h.len;
	out->body.ptr[h.len] = '\0';
	out->type = h.type;
	out->code = h.code;
	if ((rc = split_fields(out, h.nfields)) < 0)
		return rc;
	/* Give every field its own NUL terminator: copy into a layout of
	 * field bytes + NUL, so callers may treat text fields as C strings. */
	for (i = 0; i < out->nfields; i++) {
		size_t at = copy.size;

		ch_buf_put(&copy, out->field[i], out->flen[i]);
		ch_buf_putc(&copy, '\0');
		out->field[i] = (const char *)(uintptr_t)at;
	}
	ch_buf_dispose_secret(&out->body);
	out->body = copy;
	for (i = 0; i < out->nfields; i++)
		out->field[i] = out->body.ptr + (uintptr_t)out->field[i];
	return 0;
}

void ch_ipc_msg_dispose(ch_ipc_msg *m)
{
	ch_buf_dispose_secret(&m->body);
	memset(m, 0, sizeof(*m));
}
