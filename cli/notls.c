/* notls.c -- link-time replacements for the parts of libgit2's network
 * stack that the command line never uses.
 *
 * `chancery` and `chancery-offline` link libgit2 and the libraries under
 * it statically (Makefile: CLI_STATIC), which cuts process start from
 * ~5.4 ms (25 shared libraries, ~26k relocations) to ~1.2 ms. The command
 * line opens no libgit2 network transport: it has no fetch or push (sync
 * goes through the server, which is linked dynamically and does not link
 * this file). Two things follow.
 *
 * 1. Debian's libgit2 parses the system's ~140 CA certificates with mbedTLS
 *    in git_libgit2_init(): about 7 ms at every start. The Makefile links
 *    with -Wl,--wrap=mbedtls_x509_crt_parse_file (and _path), so libgit2's
 *    calls land here and load nothing. Should a libgit2 HTTPS connection
 *    ever be made from these binaries, it fails closed: no trust anchor,
 *    so no peer verifies.
 *
 * 2. libgit2.a calls GSSAPI (Negotiate authentication over HTTP) and
 *    Debian ships no static libgssapi_krb5. The nine symbols it names are
 *    defined here, and every function fails with GSS_S_FAILURE without
 *    allocating anything, so a Negotiate exchange can never succeed in
 *    these binaries. */
#include <stddef.h>

#include "cli.h"

/* ---- 1. no TLS trust store ---- */

int __wrap_mbedtls_x509_crt_parse_file(void *chain, const char *path);
int __wrap_mbedtls_x509_crt_parse_path(void *chain, const char *path);

int __wrap_mbedtls_x509_crt_parse_file(void *chain, const char *path)
{
	(void)chain;
	(void)path;
	return 0;
}

int __wrap_mbedtls_x509_crt_parse_path(void *chain, const char *path)
{
	(void)chain;
	(void)path;
	return 0;
}

/* ---- 2. no GSSAPI ----
 * The prototypes of RFC 2744 with its opaque types as `void *` (Debian's
 * gssapi header is not installed for this). Every function fails with
 * GSS_S_FAILURE, clears the minor status and any output it could be asked
 * about, and allocates nothing. */

typedef unsigned int ch_gss_u32;          /* OM_uint32 */
#define CH_GSS_S_FAILURE (13u << 16)      /* GSS_S_FAILURE: a routine error */

/* gss_OID GSS_C_NT_HOSTBASED_SERVICE: libgit2 hands it to gss_import_name,
 * which fails below; no OID is needed. */
void *GSS_C_NT_HOSTBASED_SERVICE = NULL;

static ch_gss_u32 gss_fail(ch_gss_u32 *minor)
{
	if (minor)
		*minor = 0;
	return CH_GSS_S_FAILURE;
}

ch_gss_u32 gss_delete_sec_context(ch_gss_u32 *minor, void **ctx, void *out_token);
ch_gss_u32 gss_display_status(ch_gss_u32 *minor, ch_gss_u32 status, int type, void *mech,
                              ch_gss_u32 *msg_ctx, void *out_string);
ch_gss_u32 gss_import_name(ch_gss_u32 *minor, void *in_name, void *name_type, void **out_name);
ch_gss_u32 gss_indicate_mechs(ch_gss_u32 *minor, void **mech_set);
ch_gss_u32 gss_init_sec_context(ch_gss_u32 *minor, void *cred, void **ctx, void *target,
                                void *mech, ch_gss_u32 req_flags, ch_gss_u32 time_req,
                                void *bindings, void *in_token, void **actual_mech,
                                void *out_token, ch_gss_u32 *ret_flags, ch_gss_u32 *time_rec);
ch_gss_u32 gss_release_buffer(ch_gss_u32 *minor, void *buffer);
ch_gss_u32 gss_release_name(ch_gss_u32 *minor, void **name);
ch_gss_u32 gss_release_oid_set(ch_gss_u32 *minor, void **set);

ch_gss_u32 gss_delete_sec_context(ch_gss_u32 *minor, void **ctx, void *out_token)
{
	(void)ctx;
	(void)out_token;
	return gss_fail(minor);
}

ch_gss_u32 gss_display_status(ch_gss_u32 *minor, ch_gss_u32 status, int type, void *mech,
                              ch_gss_u32 *msg_ctx, void *out_string)
{
	(void)status;
	(void)type;
	(void)mech;
	(void)out_string;
	if (msg_ctx)
		*msg_ctx = 0; /* no further messages: ends any display loop */
	return gss_fail(minor);
}

ch_gss_u32 gss_import_name(ch_gss_u32 *minor, void *in_name, void *name_type, void **out_name)
{
	(void)in_name;
	(void)name_type;
	if (out_name)
		*out_name = NULL;
	return gss_fail(minor);
}

ch_gss_u32 gss_indicate_mechs(ch_gss_u32 *minor, void **mech_set)
{
	if (mech_set)
		*mech_set = NULL;
	return gss_fail(minor);
}

ch_gss_u32 gss_init_sec_context(ch_gss_u32 *minor, void *cred, void **ctx, void *target,
                                void *mech, ch_gss_u32 req_flags, ch_gss_u32 time_req,
                                void *bindings, void *in_token, void **actual_mech,
                                void *out_token, ch_gss_u32 *ret_flags, ch_gss_u32 *time_rec)
{
	(void)cred;
	(void)ctx;
	(void)target;
	(void)mech;
	(void)req_flags;
	(void)time_req;
	(void)bindings;
	(void)in_token;
	(void)out_token;
	if (actual_mech)
		*actual_mech = NULL;
	if (ret_flags)
		*ret_flags = 0;
	if (time_rec)
		*time_rec = 0;
	return gss_fail(minor);
}

ch_gss_u32 gss_release_buffer(ch_gss_u32 *minor, void *buffer)
{
	(void)buffer;
	return gss_fail(minor);
}

ch_gss_u32 gss_release_name(ch_gss_u32 *minor, void **name)
{
	(void)name;
	return gss_fail(minor);
}

ch_gss_u32 gss_release_oid_set(ch_gss_u32 *minor, void **set)
{
	(void)set;
	return gss_fail(minor);
}
