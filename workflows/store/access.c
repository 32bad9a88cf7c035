/* access.c -- who read what: the hash-chained access log and its daily
 * seals (access.h). */
#include <errno.h>
#include <fcntl.h>
#include <gcrypt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "crypto/crypto.h"
#include "workflows/commit.h"
#include "workflows/store/access.h"
#include "util/fs.h"
#include "util/text.h"
#include "util/common.h"

#define ZERO_HASH "0000000000000000000000000000000000000000000000000000000000000000"
#define HASH_KEY ",\"hash\":\""

static void log_path(ch_buf *out, const ch_site *site)
{
	ch_buf_printf(out, "%s/state/%s", site->path, CH_ACCESS_LOG);
}

static void sha256_hex(char out[65], const void *data, size_t len)
{
	unsigned char md[32];
	size_t i;

	gcry_md_hash_buffer(GCRY_MD_SHA256, md, data, len);
	for (i = 0; i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
}

static void utc_now(char out[32], char day[11])
{
	time_t now = time(NULL);
	struct tm tm;

	gmtime_r(&now, &tm);
	strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
	strftime(day, 11, "%Y-%m-%d", &tm);
}

/* The day sealing and verifying take as today (UTC). The test build lets
 * CHANCERY_TEST_ACCESS_TODAY move it, so a test can seal the day it is in. */
static void sealing_today(char day[11])
{
	char at[32];

	utc_now(at, day);
#ifdef CH_TEST_HOOKS
	{
		const char *t = getenv("CHANCERY_TEST_ACCESS_TODAY");

		if (t && strlen(t) == 10)
			memcpy(day, t, 11);
	}
#endif
}

/* ------------------------------------------------------------------ */
/* One line                                                            */

typedef struct {
	size_t seq;
	char day[11];
	char prev[65], hash[65];
	const char *start; /* the line in the buffer it was parsed from */
	size_t len;        /* with its '\n' */
} line_info;

/* Parse and check one line (without its '\n'): 0, or CH_EINVALID with
 * the fault. The hash is recomputed over the bytes before HASH_KEY. */
static int parse_line(line_info *li, const char *p, size_t n)
{
	const char *h = NULL, *q;
	json_t *o = NULL;
	json_error_t je;
	char want[65];
	const char *at, *prev;
	int error = 0;

	if (n > CH_ACCESS_MAX_LINE)
		return ch_error_setc(CH_EINVALID, "a line longer than %d bytes", CH_ACCESS_MAX_LINE);
	for (q = p; q && (q = memmem(q, n - (size_t)(q - p), HASH_KEY, strlen(HASH_KEY)));
	     q += strlen(HASH_KEY))
		h = q;
	if (!h || (size_t)(p + n - h) != strlen(HASH_KEY) + 64 + 2 ||
	    memcmp(p + n - 2, "\"}", 2))
		return ch_error_setc(CH_EINVALID, "no hash at the end of the line");
	memcpy(li->hash, h + strlen(HASH_KEY), 64);
	li->hash[64] = '\0';
	sha256_hex(want, p, (size_t)(h - p));
	if (strcmp(want, li->hash))
		return ch_error_setc(CH_EINVALID, "the line's hash does not match its content "
		                     "(edited)");
	if (!(o = json_loadb(p, n, JSON_REJECT_DUPLICATES, &je)) || !json_is_object(o) ||
	    !json_is_integer(json_object_get(o, "seq")) ||
	    !(at = json_string_value(json_object_get(o, "at"))) || strlen(at) < 10 ||
	    !(prev = json_string_value(json_object_get(o, "prev"))) || strlen(prev) != 64 ||
	    !json_is_string(json_object_get(o, "person")) || !json_is_string(json_object_get(o, "doc")) ||
	    !json_is_string(json_object_get(o, "what"))) {
		error = ch_error_setc(CH_EINVALID, "not a record of the access log");
	} else {
		li->seq = (size_t)json_integer_value(json_object_get(o, "seq"));
		memcpy(li->day, at, 10);
		li->day[10] = '\0';
		memcpy(li->prev, prev, 65);
	}
	json_decref(o);
	return error;
}

/* The last complete line of the open log (for its seq, hash and day). */
static int read_tail(line_info *out, int fd, off_t size)
{
	char buf[CH_ACCESS_MAX_LINE + 2];
	size_t want = (size_t)(size < (off_t)sizeof(buf) ? size : (off_t)sizeof(buf));
	ssize_t got;
	char *end, *start;

	memset(out, 0, sizeof(*out));
	if (size == 0) {
		memcpy(out->hash, ZERO_HASH, 65);
		return 0;
	}
	got = pread(fd, buf, want, size - (off_t)want);
	if (got != (ssize_t)want || buf[want - 1] != '\n')
		return ch_error_setc(CH_EIO, "the access log does not end with a whole line");
	end = buf + want - 1;
	*end = '\0';
	start = memrchr(buf, '\n', (size_t)(end - buf));
	start = start ? start + 1 : buf;
	if (!memrchr(buf, '\n', (size_t)(end - buf)) && (off_t)want < size)
		return ch_error_setc(CH_EIO, "the access log's last line is too long");
	return parse_line(out, start, (size_t)(end - start));
}

static void json_str(ch_buf *out, const char *s)
{
	json_t *j = json_string(s);
	char *t = json_dumps(j, JSON_ENCODE_ANY);

	ch_buf_puts(out, t ? t : "\"\"");
	free(t);
	json_decref(j);
}

static int write_all(int fd, const char *p, size_t n)
{
	ssize_t w;

	while (n) {
		if ((w = write(fd, p, n)) < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

int ch_access_record(ch_site *site, const char *person, const char *doc, const char *what)
{
	ch_buf path = CH_BUF_INIT, line = CH_BUF_INIT;
	char at[32], day[11], hash[65];
	line_info last;
	struct stat st;
	int fd, error = 0, new_day = 0;

	if (!person || !doc || !what || !ch_valid_doc_id(doc))
		return ch_error_setc(CH_EINVALID, "an access record needs a person, a document "
		                     "id and what was read");
	log_path(&path, site);
	if ((fd = open(path.ptr, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0600)) < 0) {
		error = ch_error_setc(CH_EIO, "%s: %s", path.ptr, strerror(errno));
		goto done;
	}
	/* per open file description: threads with their own open() and other
	 * processes alike wait for each other */
	if (flock(fd, LOCK_EX) < 0 || fstat(fd, &st) < 0) {
		error = ch_error_setc(CH_EIO, "%s: %s", path.ptr, strerror(errno));
		goto done;
	}
	if ((error = read_tail(&last, fd, st.st_size)) < 0)
		goto done;
	utc_now(at, day);
	new_day = last.day[0] && strcmp(last.day, day) != 0;
	ch_buf_printf(&line, "{\"seq\":%zu,\"at\":\"%s\",\"person\":", last.seq + 1, at);
	json_str(&line, person);
	ch_buf_puts(&line, ",\"doc\":");
	json_str(&line, doc);
	ch_buf_puts(&line, ",\"what\":");
	json_str(&line, what);
	ch_buf_printf(&line, ",\"prev\":\"%s\"", last.hash);
	sha256_hex(hash, line.ptr, line.size);
	ch_buf_printf(&line, "%s%s\"}\n", HASH_KEY, hash);
	if (line.size > CH_ACCESS_MAX_LINE) {
		error = ch_error_setc(CH_EINVALID, "an access record longer than %d bytes",
		                      CH_ACCESS_MAX_LINE);
		goto done;
	}
	if (write_all(fd, line.ptr, line.size) < 0) {
		/* a short write is taken back: no torn line in the chain */
		if (ftruncate(fd, st.st_size) < 0) {
			/* nothing more to do: verify will name the torn line */
		}
		error = ch_error_setc(CH_EIO, "%s: %s", path.ptr, strerror(errno));
	}
done:
	if (fd >= 0)
		close(fd);
	ch_buf_dispose(&path);
	ch_buf_dispose(&line);
	if (!error && new_day)
		(void)ch_access_seal(site, NULL, NULL); /* a failed seal is retried tomorrow */
	return error;
}

/* ------------------------------------------------------------------ */
/* The log, whole                                                      */

typedef struct {
	char day[11];
	const char *start; /* the day's lines, byte for byte */
	size_t len;
	size_t last_seq;
	char last_hash[65];
} day_span;

typedef struct {
	ch_buf text;
	day_span *days;
	size_t ndays, lines;
} log_view;

static void log_dispose(log_view *l)
{
	ch_buf_dispose(&l->text);
	free(l->days);
	memset(l, 0, sizeof(*l));
}

/* Read and check the chain; findings into `f` (NULL: stop at the first,
 * CH_EINVALID). Days are spans of consecutive lines. */
static int log_read(log_view *out, ch_site *site, ch_strv *f)
{
	ch_buf path = CH_BUF_INIT, msg = CH_BUF_INIT;
	char prev[65] = ZERO_HASH;
	size_t seq = 0, lineno = 0;
	const char *p, *nl;
	line_info li;
	int error;

	memset(out, 0, sizeof(*out));
	ch_buf_init(&out->text);
	log_path(&path, site);
	error = ch_fs_read(&out->text, path.ptr, CH_ACCESS_MAX_LOG);
	ch_buf_dispose(&path);
	if (error == CH_ENOTFOUND)
		return 0;
	if (error < 0)
		return error;
	for (p = out->text.ptr; p < out->text.ptr + out->text.size; p = nl + 1) {
		lineno++;
		if (!(nl = memchr(p, '\n', out->text.size - (size_t)(p - out->text.ptr)))) {
			ch_buf_clear(&msg);
			ch_buf_printf(&msg, "access.log line %zu: not a whole line", lineno);
			goto finding;
		}
		if (parse_line(&li, p, (size_t)(nl - p)) < 0) {
			ch_buf_clear(&msg);
			ch_buf_printf(&msg, "access.log line %zu: %s", lineno, ch_error_last());
			goto finding;
		}
		if (strcmp(li.prev, prev) || li.seq != seq + 1) {
			ch_buf_clear(&msg);
			ch_buf_printf(&msg, "access.log line %zu (seq %zu): it does not follow the line "
			              "before it (a line removed, inserted or reordered)", lineno, li.seq);
			if (f)
				ch_strv_push(f, msg.ptr);
			else {
				error = ch_error_setc(CH_EINVALID, "%s", msg.ptr);
				break;
			}
		}
		memcpy(prev, li.hash, 65);
		seq = li.seq;
		out->lines++;
		if (!out->ndays || strcmp(out->days[out->ndays - 1].day, li.day)) {
			out->days = ch_realloc(out->days, (out->ndays + 1) * sizeof(*out->days));
			memset(&out->days[out->ndays], 0, sizeof(*out->days));
			memcpy(out->days[out->ndays].day, li.day, 11);
			out->days[out->ndays].start = p;
			out->ndays++;
		}
		out->days[out->ndays - 1].len = (size_t)(nl + 1 - out->days[out->ndays - 1].start);
		out->days[out->ndays - 1].last_seq = li.seq;
		memcpy(out->days[out->ndays - 1].last_hash, li.hash, 65);
		continue;
finding:
		if (f) {
			ch_strv_push(f, msg.ptr);
			if (!nl)
				break;
			continue;
		}
		error = ch_error_setc(CH_EINVALID, "%s", msg.ptr);
		break;
	}
	ch_buf_dispose(&msg);
	return error;
}

/* ------------------------------------------------------------------ */
/* Sealing                                                             */

static int head_commit(git_commit **out, git_repository *repo)
{
	git_oid id;
	int rc = git_reference_name_to_id(&id, repo, CH_ACCESS_REF);

	*out = NULL;
	if (rc == GIT_ENOTFOUND)
		return 0;
	if (rc < 0 || git_commit_lookup(out, repo, &id) < 0)
		return ch_error_setc(CH_EIO, "cannot read %s", CH_ACCESS_REF);
	return 1;
}

/* The tree of the seal after `prev` (NULL: the first), with every
 * complete day of the log added; *added = days new in it. */
static int seal_tree(git_oid *out, size_t *added, git_repository *repo, git_commit *prev,
                     const log_view *log, const char *today)
{
	git_tree *root = NULL, *days = NULL;
	const git_tree_entry *e;
	git_treebuilder *tb = NULL, *rb = NULL;
	ch_buf name = CH_BUF_INIT, head = CH_BUF_INIT;
	git_oid blob, days_id;
	size_t i;
	int error = 0;
	const day_span *last = NULL;

	*added = 0;
	if (prev && (git_commit_tree(&root, prev) < 0 ||
	             ((e = git_tree_entry_byname(root, "days")) &&
	              git_tree_lookup(&days, repo, git_tree_entry_id(e)) < 0))) {
		error = ch_error_setc(CH_EIO, "cannot read the last seal");
		goto done;
	}
	if (git_treebuilder_new(&tb, repo, days) < 0) {
		error = ch_error_setc(CH_EIO, "cannot build the seal");
		goto done;
	}
	for (i = 0; i < log->ndays; i++) {
		const day_span *d = &log->days[i];

		if (strcmp(d->day, today) >= 0)
			break; /* not complete yet */
		last = d;
		ch_buf_clear(&name);
		ch_buf_printf(&name, "%s.log", d->day);
		if (git_treebuilder_get(tb, name.ptr))
			continue; /* sealed before: verify compares it */
		if (git_blob_create_from_buffer(&blob, repo, d->start, d->len) < 0 ||
		    git_treebuilder_insert(NULL, tb, name.ptr, &blob, GIT_FILEMODE_BLOB) < 0) {
			error = ch_error_setc(CH_EIO, "cannot write a day of the access log");
			goto done;
		}
		(*added)++;
	}
	if (!*added)
		goto done;
	ch_buf_printf(&head, "%zu %s\n", last->last_seq, last->last_hash);
	if (git_treebuilder_write(&days_id, tb) < 0 ||
	    git_blob_create_from_buffer(&blob, repo, head.ptr, head.size) < 0 ||
	    git_treebuilder_new(&rb, repo, NULL) < 0 ||
	    git_treebuilder_insert(NULL, rb, "days", &days_id, GIT_FILEMODE_TREE) < 0 ||
	    git_treebuilder_insert(NULL, rb, "head", &blob, GIT_FILEMODE_BLOB) < 0 ||
	    git_treebuilder_write(out, rb) < 0)
		error = ch_error_setc(CH_EIO, "cannot write the seal's tree");
done:
	git_treebuilder_free(rb);
	git_treebuilder_free(tb);
	git_tree_free(days);
	git_tree_free(root);
	ch_buf_dispose(&name);
	ch_buf_dispose(&head);
	return error;
}

static int unsigned_seal(ch_site *site, const log_view *log, const char *today, size_t *added)
{
	git_commit *prev = NULL;
	git_tree *tree = NULL;
	git_signature *sig = NULL;
	git_reference *ref = NULL;
	ch_buf msg = CH_BUF_INIT;
	git_oid tree_id, id;
	int rc, error = 0;

	*added = 0;
	if ((rc = head_commit(&prev, site->repo)) < 0)
		return rc;
	if ((error = seal_tree(&tree_id, added, site->repo, prev, log, today)) < 0 || !*added)
		goto done;
	ch_buf_printf(&msg, "access: sealed through %s\n\nThe server's seal: unsigned (its network "
	              "process holds no key); an auditor countersigns with `chancery access seal`.\n",
	              today);
	if (git_tree_lookup(&tree, site->repo, &tree_id) < 0 ||
	    git_signature_now(&sig, "chanceryd", "access@chancery.invalid") < 0 ||
	    git_commit_create(&id, site->repo, NULL, sig, sig, NULL, msg.ptr, tree, prev ? 1 : 0,
	                      (const git_commit **)&prev) < 0) {
		error = ch_error_setc(CH_EIO, "cannot write the seal commit");
		goto done;
	}
	/* compare-and-swap: two seals at once, one wins, the other retries */
	rc = prev ? git_reference_create_matching(&ref, site->repo, CH_ACCESS_REF, &id, 1,
	                                          git_commit_id(prev), "access seal") :
	            git_reference_create(&ref, site->repo, CH_ACCESS_REF, &id, 0, "access seal");
	if (rc < 0)
		error = ch_error_setc(CH_ECONFLICT, "%s moved: seal again", CH_ACCESS_REF);
done:
	git_reference_free(ref);
	git_signature_free(sig);
	git_tree_free(tree);
	git_commit_free(prev);
	ch_buf_dispose(&msg);
	return error;
}

static int signed_seal(ch_site *site, const ch_actor *who)
{
	const ch_policy *pol;
	const ch_person *p;
	git_commit *prev = NULL;
	ch_commit_req req;
	ch_keyinfo key;
	ch_buf msg = CH_BUF_INIT, email = CH_BUF_INIT;
	git_oid phead, out;
	int error;

	if ((error = ch_site_policy_head(&phead, site)) < 0 ||
	    (error = ch_site_policy(&pol, site, &phead)) < 0)
		return error;
	p = ch_policy_person(pol, who->actor);
	if (!p || p->revoked ||
	    (!ch_person_has_role(p, "auditor") && !ch_person_has_role(p, "security-officer")))
		return ch_error_setc(CH_EDENIED, "%.64s is not an auditor or security-officer of "
		                     "site %s: only they countersign the access log", who->actor,
		                     site->site_id);
	if ((error = ch_site_signer(&key, site, who->actor)) < 0)
		return error;
	if (strcmp(key.fpr, p->fingerprint))
		return ch_error_setc(CH_EDENIED, "the local key of %s is not the key the policy names",
		                     who->actor);
	if ((error = head_commit(&prev, site->repo)) <= 0) {
		if (error == 0)
			error = ch_error_setc(CH_ENOTFOUND, "no day of the access log is complete yet: "
			                      "nothing to countersign");
		return error;
	}
	ch_buf_printf(&msg, "access: countersigned by %s\n\nChancery-Action: access-seal\n"
	              "Chancery-Actor: %s\nChancery-Policy: %s\n", who->actor, who->actor,
	              git_oid_tostr_s(&phead));
	ch_buf_printf(&email, "%s@%s", who->actor, site->site_id);
	memset(&req, 0, sizeof(req));
	req.ref = CH_ACCESS_REF;
	req.expected = git_commit_id(prev);
	req.files = NULL; /* the last seal's tree, as it is */
	req.message = msg.ptr;
	req.name = p->name;
	req.email = email.ptr;
	req.signer = who->actor;
	req.key = &key;
	req.passphrase = who->passphrase;
	error = ch_commit_signed(&out, site, &req);
	git_commit_free(prev);
	ch_buf_dispose(&msg);
	ch_buf_dispose(&email);
	return error;
}

int ch_access_seal(ch_site *site, const ch_actor *who, size_t *sealed)
{
	log_view log;
	char today[11];
	size_t added = 0;
	int error;

	if (sealed)
		*sealed = 0;
	sealing_today(today);
	if ((error = log_read(&log, site, NULL)) < 0)
		return error; /* a broken chain is never sealed */
	if ((error = ch_site_write_lock(site)) < 0)
		goto done;
	error = unsigned_seal(site, &log, today, &added);
	if (!error && who)
		error = signed_seal(site, who);
	ch_site_write_unlock(site);
	if (sealed)
		*sealed = added;
done:
	log_dispose(&log);
	return error;
}

/* ------------------------------------------------------------------ */
/* Verifying                                                           */

void ch_access_report_dispose(ch_access_report *r)
{
	ch_strv_free(&r->findings);
	ch_strv_free(&r->notes);
	memset(r, 0, sizeof(*r));
}

static const day_span *find_day(const log_view *log, const char *name)
{
	size_t i;

	for (i = 0; i < log->ndays; i++)
		if (strlen(name) == 14 && !strncmp(name, log->days[i].day, 10) &&
		    !strcmp(name + 10, ".log"))
			return &log->days[i];
	return NULL;
}

/* A signed seal: by an auditor or security-officer of the current policy,
 * with that person's key. 0 and the person, or CH_EINVALID. */
static int seal_signer(char who[65], ch_site *site, git_commit *c)
{
	const char *msg = git_commit_message_raw(c), *p;
	git_buf sig = { 0 }, data = { 0 };
	ch_pgp_verify_result res;
	const ch_policy *pol;
	const ch_person *person;
	git_oid phead;
	size_t n;
	int error;

	who[0] = '\0';
	if (!(p = strstr(msg, "\nChancery-Actor: ")))
		return ch_error_setc(CH_EINVALID, "a signed seal without Chancery-Actor");
	p += 17;
	n = strcspn(p, "\n");
	if (n == 0 || n > 64)
		return ch_error_setc(CH_EINVALID, "a malformed Chancery-Actor");
	memcpy(who, p, n);
	who[n] = '\0';
	if ((error = ch_site_policy_head(&phead, site)) < 0 ||
	    (error = ch_site_policy(&pol, site, &phead)) < 0)
		return error;
	person = ch_policy_person(pol, who);
	if (!person || (!ch_person_has_role(person, "auditor") &&
	                !ch_person_has_role(person, "security-officer")))
		return ch_error_setc(CH_EINVALID, "signed by %s, who is no auditor or "
		                     "security-officer", who);
	if (git_commit_extract_signature(&sig, &data, site->repo, (git_oid *)git_commit_id(c),
	                                 NULL) < 0)
		return ch_error_setc(CH_EINVALID, "not signed");
	error = ch_pgp_verify(&res, pol->keyring, data.ptr, data.size, sig.ptr, sig.size);
	if (!error && strcmp(res.primary_fpr, person->fingerprint))
		error = ch_error_setc(CH_EINVALID, "signed by key %s, not by the key of %s",
		                      res.primary_fpr, who);
	git_buf_dispose(&sig);
	git_buf_dispose(&data);
	return error;
}

/* Every day file of one seal commit equals the log's day, byte for byte;
 * `signed_days` counts the days a good signed seal covers. */
static void check_seal(ch_access_report *r, ch_site *site, const log_view *log, git_commit *c,
                       unsigned char *covered, unsigned char *sealed)
{
	git_tree *root = NULL, *days = NULL;
	const git_tree_entry *e;
	ch_buf m = CH_BUF_INIT;
	char who[65];
	git_oid want;
	size_t i, k;
	git_buf hdr = { 0 };
	int is_signed = git_commit_header_field(&hdr, c, "gpgsig") == 0, good = 0;

	git_buf_dispose(&hdr);
	if (is_signed) {
		good = seal_signer(who, site, c) == 0;
		ch_buf_printf(&m, "seal %.12s: %s", git_oid_tostr_s(git_commit_id(c)),
		              good ? "signed by " : ch_error_last());
		if (good) {
			ch_buf_puts(&m, who);
			ch_strv_push(&r->notes, m.ptr);
		} else {
			ch_strv_push(&r->findings, m.ptr);
		}
	}
	if (git_commit_tree(&root, c) < 0 || !(e = git_tree_entry_byname(root, "days")) ||
	    git_tree_lookup(&days, site->repo, git_tree_entry_id(e)) < 0) {
		ch_buf_clear(&m);
		ch_buf_printf(&m, "seal %.12s: no days/ in its tree",
		              git_oid_tostr_s(git_commit_id(c)));
		ch_strv_push(&r->findings, m.ptr);
		goto done;
	}
	for (i = 0; i < git_tree_entrycount(days); i++) {
		const git_tree_entry *d = git_tree_entry_byindex(days, i);
		const day_span *span = find_day(log, git_tree_entry_name(d));

		ch_buf_clear(&m);
		if (!span) {
			ch_buf_printf(&m, "seal %.12s: %s is sealed but its lines are gone from "
			              "access.log", git_oid_tostr_s(git_commit_id(c)),
			              git_tree_entry_name(d));
			ch_strv_push(&r->findings, m.ptr);
			continue;
		}
		k = (size_t)(span - log->days);
		if (git_odb_hash(&want, span->start, span->len, GIT_OBJECT_BLOB) < 0 ||
		    !git_oid_equal(&want, git_tree_entry_id(d))) {
			ch_buf_printf(&m, "day %s: access.log differs from its seal %.12s (a line was "
			              "edited, added or removed after the day was sealed)", span->day,
			              git_oid_tostr_s(git_commit_id(c)));
			ch_strv_push(&r->findings, m.ptr);
			continue;
		}
		sealed[k] = 1;
		if (is_signed && good)
			covered[k] = 1;
	}
done:
	git_tree_free(days);
	git_tree_free(root);
	ch_buf_dispose(&m);
}

int ch_access_verify(ch_access_report *out, ch_site *site)
{
	log_view log;
	git_revwalk *walk = NULL;
	git_commit *c = NULL;
	unsigned char *covered = NULL, *sealed = NULL;
	char today[11];
	ch_buf m = CH_BUF_INIT;
	git_oid id;
	size_t i;
	int error;

	memset(out, 0, sizeof(*out));
	if ((error = log_read(&log, site, &out->findings)) < 0)
		return error;
	out->lines = log.lines;
	out->days = log.ndays;
	covered = ch_calloc(log.ndays + 1, 1);
	sealed = ch_calloc(log.ndays + 1, 1);
	if (git_revwalk_new(&walk, site->repo) < 0) {
		error = ch_error_setc(CH_EIO, "cannot walk %s", CH_ACCESS_REF);
		goto done;
	}
	if (git_revwalk_push_ref(walk, CH_ACCESS_REF) == 0)
		while (git_revwalk_next(&id, walk) == 0) {
			if (git_commit_lookup(&c, site->repo, &id) < 0) {
				error = ch_error_setc(CH_EIO, "cannot read a seal");
				goto done;
			}
			check_seal(out, site, &log, c, covered, sealed);
			git_commit_free(c);
			c = NULL;
		}
	sealing_today(today);
	for (i = 0; i < log.ndays; i++) {
		out->sealed_days += sealed[i];
		out->signed_days += covered[i];
		ch_buf_clear(&m);
		if (!sealed[i] && strcmp(log.days[i].day, today) < 0)
			ch_buf_printf(&m, "day %s: not sealed yet", log.days[i].day);
		else if (sealed[i] && !covered[i])
			ch_buf_printf(&m, "day %s: sealed by the server only (no signed seal yet)",
			              log.days[i].day);
		if (m.size)
			ch_strv_push(&out->notes, m.ptr);
	}
	error = out->findings.n ? ch_error_setc(CH_EINVALID, "the access log was tampered with: %s",
	                                        out->findings.v[0]) : 0;
done:
	git_commit_free(c);
	git_revwalk_free(walk);
	free(covered);
	free(sealed);
	ch_buf_dispose(&m);
	log_dispose(&log);
	return error;
}

/* ------------------------------------------------------------------ */
/* History of one document                                             */

int ch_access_history(json_t **out, ch_site *site, const char *doc, size_t max)
{
	ch_buf path = CH_BUF_INIT, text = CH_BUF_INIT;
	const char *p, *nl, *end;
	json_t *all = json_array(), *o;
	size_t i, n;
	int error;

	*out = NULL;
	log_path(&path, site);
	error = ch_fs_read(&text, path.ptr, CH_ACCESS_MAX_LOG);
	ch_buf_dispose(&path);
	if (error == CH_ENOTFOUND)
		error = 0;
	end = text.ptr + text.size;
	for (p = text.ptr; !error && p < end && (nl = memchr(p, '\n', (size_t)(end - p)));
	     p = nl + 1) {
		if (!(o = json_loadb(p, (size_t)(nl - p), 0, NULL)))
			continue;
		if (json_is_string(json_object_get(o, "doc")) &&
		    !strcmp(json_string_value(json_object_get(o, "doc")), doc)) {
			json_object_del(o, "prev");
			json_object_del(o, "hash");
			json_array_append(all, o);
		}
		json_decref(o);
	}
	ch_buf_dispose(&text);
	if (error < 0) {
		json_decref(all);
		return error;
	}
	*out = json_array();
	n = json_array_size(all);
	for (i = 0; i < n && i < max; i++)
		json_array_append(*out, json_array_get(all, n - 1 - i));
	json_decref(all);
	return 0;
}
