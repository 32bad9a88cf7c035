/* pgp_verdict.c -- Chancery's verdict on one certificate and one detached
 * signature, for tests/integration/test_pgp_differential.sh (which sets it
 * beside gpg's and sqv's). Test-only code: not part of the product.
 *
 *   pgp_verdict KEYFILE SIGFILE DATAFILE
 *
 * Prints "accept <signer fingerprint>" and exits 0, or "refuse <message>"
 * (the key file refused: "refuse key: <message>") and exits 1; 2 on a
 * usage or I/O error. */
#include <gcrypt.h>
#include <stdio.h>

#include "crypto/pgp.h"
#include "util/common.h"
#include "util/fs.h"

#define MAX_FILE (4u << 20)

int main(int argc, char **argv)
{
	ch_buf key = CH_BUF_INIT, sig = CH_BUF_INIT, data = CH_BUF_INIT;
	ch_pgp_keyring *kr = NULL;
	ch_pgp_verify_result res;
	int rc = 2;

	if (argc != 4) {
		fprintf(stderr, "usage: pgp_verdict KEYFILE SIGFILE DATAFILE\n");
		return 2;
	}
	gcry_check_version(NULL);
	gcry_control(GCRYCTL_DISABLE_SECMEM, 0);
	gcry_control(GCRYCTL_INITIALIZATION_FINISHED, 0);
	if (ch_fs_read(&key, argv[1], MAX_FILE) < 0 || ch_fs_read(&sig, argv[2], MAX_FILE) < 0 ||
	    ch_fs_read(&data, argv[3], MAX_FILE) < 0) {
		fprintf(stderr, "pgp_verdict: %s\n", ch_error_last());
		goto done;
	}
	ch_pgp_keyring_new(&kr);
	rc = 1;
	if (ch_pgp_keyring_add(kr, key.ptr, key.size, "person", NULL) < 0)
		printf("refuse key: %s\n", ch_error_last());
	else if (ch_pgp_verify(&res, kr, data.ptr, data.size, sig.ptr, sig.size) < 0)
		printf("refuse %s\n", ch_error_last());
	else {
		printf("accept %s\n", res.signer_fpr);
		rc = 0;
	}
done:
	ch_pgp_keyring_free(kr);
	ch_buf_dispose(&key);
	ch_buf_dispose(&sig);
	ch_buf_dispose(&data);
	return rc;
}
