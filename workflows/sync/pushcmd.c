/* pushcmd.c -- the receive-pack request (pushcmd.h). */
#include <stdlib.h>
#include <string.h>

#include "workflows/sync/pktline.h"
#include "workflows/sync/pushcmd.h"
#include "util/common.h"

/* "<old> <new> <ref>[\0caps]" (the final "\n" already cut). */
static int parse_command(ch_push_request *r, const char *s, size_t n)
{
	const char *nul = memchr(s, '\0', n);
	size_t cmdlen = nul ? (size_t)(nul - s) : n, reflen;
	ch_qupdate *u;

	if (nul && r->ncmds > 0)
		return ch_error_setc(CH_EINVALID, "capabilities after the first command");
	if (cmdlen < 2 * GIT_OID_HEXSZ + 3 || s[GIT_OID_HEXSZ] != ' ' ||
	    s[2 * GIT_OID_HEXSZ + 1] != ' ')
		return ch_error_setc(CH_EINVALID, "malformed command line (old new ref)");
	reflen = cmdlen - 2 * GIT_OID_HEXSZ - 2;
	if (!ch_pkt_printable(s + 2 * GIT_OID_HEXSZ + 2, reflen, CH_PUSH_MAX_REF))
		return ch_error_setc(CH_EINVALID, "malformed ref name in a command (printable "
		                     "ASCII, at most %d bytes)", CH_PUSH_MAX_REF);
	if (r->ncmds >= CH_PUSH_MAX_COMMANDS)
		return ch_error_setc(CH_EINVALID, "more than %d commands", CH_PUSH_MAX_COMMANDS);
	/* grow by doubling: ncmds is bounded above */
	if ((r->ncmds & (r->ncmds - 1)) == 0)
		r->cmds = ch_realloc(r->cmds, (r->ncmds ? r->ncmds * 2 : 1) * sizeof(*r->cmds));
	u = &r->cmds[r->ncmds];
	memset(u, 0, sizeof(*u));
	if (ch_pkt_parse_oid(&u->old_id, s, GIT_OID_HEXSZ) < 0 ||
	    ch_pkt_parse_oid(&u->new_id, s + GIT_OID_HEXSZ + 1, GIT_OID_HEXSZ) < 0)
		return ch_error_setc(CH_EINVALID, "malformed object id in a command");
	memcpy(u->ref, s + 2 * GIT_OID_HEXSZ + 2, reflen);
	u->ref[reflen] = '\0';
	r->ncmds++;
	if (nul)
		return ch_pkt_parse_caps(&r->caps, nul + 1, n - cmdlen - 1, "command");
	return 0;
}

static int starts(const char *s, size_t len, const char *prefix)
{
	size_t n = strlen(prefix);

	return len >= n && !memcmp(s, prefix, n);
}

int ch_push_request_parse(ch_push_request *out, const void *data, size_t len)
{
	size_t pos = 0;
	ch_pkt pkt;
	int error = 0;

	memset(out, 0, sizeof(*out));
	for (;;) {
		if ((error = ch_pkt_read(&pkt, data, len, &pos)) < 0) {
			if (error == CH_ENOTFOUND)
				error = ch_error_setc(CH_EINVALID, "truncated receive-pack request");
			goto done;
		}
		if (pkt.type == CH_PKT_FLUSH)
			break;
		if (pkt.type != CH_PKT_DATA) {
			error = ch_error_setc(CH_EINVALID, "protocol version 2 packets are not supported");
			goto done;
		}
		if (pkt.len && pkt.data[pkt.len - 1] == '\n')
			pkt.len--;
		if (starts(pkt.data, pkt.len, "shallow ") || starts(pkt.data, pkt.len, "push-cert")) {
			error = ch_error_setc(CH_EINVALID, "shallow pushes and push certificates are "
			                      "not supported");
			goto done;
		}
		if ((error = parse_command(out, pkt.data, pkt.len)) < 0)
			goto done;
	}
	out->pack_offset = pos;
	out->pack_len = len - pos;
	if (out->pack_len > CH_Q_MAX_PACK) {
		error = ch_error_setc(CH_EINVALID, "a pack larger than %u bytes", CH_Q_MAX_PACK);
		goto done;
	}
	if (out->ncmds == 0 && out->pack_len) {
		error = ch_error_setc(CH_EINVALID, "a pack without commands");
		goto done;
	}
done:
	if (error < 0)
		ch_push_request_dispose(out);
	return error;
}

void ch_push_request_dispose(ch_push_request *r)
{
	free(r->cmds);
	ch_strv_free(&r->caps);
	memset(r, 0, sizeof(*r));
}

int ch_push_request_has_cap(const ch_push_request *r, const char *name)
{
	return ch_pkt_has_cap(&r->caps, name);
}

void ch_push_request_write(ch_buf *out, const ch_push_request *r)
{
	char old[GIT_OID_HEXSZ + 1], new_[GIT_OID_HEXSZ + 1];
	ch_buf line = CH_BUF_INIT;
	size_t i, j;

	for (i = 0; i < r->ncmds; i++) {
		ch_buf_clear(&line);
		ch_buf_printf(&line, "%s %s %s", git_oid_tostr(old, sizeof(old), &r->cmds[i].old_id),
		              git_oid_tostr(new_, sizeof(new_), &r->cmds[i].new_id), r->cmds[i].ref);
		for (j = 0; i == 0 && j < r->caps.n; j++) {
			ch_buf_putc(&line, j ? ' ' : '\0');
			ch_buf_puts(&line, r->caps.v[j]);
		}
		ch_buf_putc(&line, '\n');
		ch_pkt_write(out, line.ptr, line.size);
	}
	ch_pkt_flush(out);
	ch_buf_dispose(&line);
}
