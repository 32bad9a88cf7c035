/* ipc.h -- typed, versioned, size-checked messages between chanceryd's
 * network process and its signer process (OpenSMTPD's mproc/imsg habit).
 *
 * A message is a header and `nfields` fields, each a 32-bit length and its
 * bytes, over a SOCK_STREAM socketpair. Anything malformed is fatal to the
 * connection: the reader returns CH_EINVALID and the caller stops. */
#ifndef CH_IPC_H
#define CH_IPC_H

#include <stddef.h>
#include <stdint.h>

#include "util/buf.h"

#define CH_IPC_MAGIC 0x43484e31u /* "CHN1" */
#define CH_IPC_VERSION 1
#define CH_IPC_MAX_BODY (256u * 1024)
#define CH_IPC_MAX_FIELDS 8

enum {
	CH_IPC_SIGN = 1,   /* person, passphrase, payload -> OK(signature) | ERR */
	CH_IPC_OK = 2,
	CH_IPC_ERR = 3,    /* code, message */
	CH_IPC_KEYGEN = 4, /* person, name, email, algo, passphrase ->
	                      OK(fpr, signing fpr, keygrip, algo, armored key) | ERR */
	CH_IPC_PASSWD = 5  /* person, old passphrase, new passphrase -> OK() | ERR
	                      (the key guard counts a wrong old one) */
};

typedef struct {
	uint32_t magic;
	uint16_t version;
	uint16_t type;
	int32_t code;
	uint32_t nfields;
	uint32_t len; /* bytes of body that follow */
} ch_ipc_hdr;

typedef struct {
	uint16_t type;
	int32_t code;
	size_t nfields;
	const char *field[CH_IPC_MAX_FIELDS]; /* point into body; NUL-terminated */
	size_t flen[CH_IPC_MAX_FIELDS];
	ch_buf body;
} ch_ipc_msg;

/* ipc.c */
/* Send one message; fields are (pointer, length) pairs. */
int ch_ipc_send(int fd, uint16_t type, int32_t code, size_t nfields, const void *const *fields,
                const size_t *lens);
/* Receive one message (blocking). CH_ENOTFOUND on a clean end of stream,
 * CH_EINVALID for anything malformed. The body is wiped by dispose. */
int ch_ipc_recv(ch_ipc_msg *out, int fd, uint16_t expect_min, uint16_t expect_max,
                size_t nfields);
void ch_ipc_msg_dispose(ch_ipc_msg *m);

#endif
