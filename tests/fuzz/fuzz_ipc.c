/* fuzz_ipc.c -- the signer's message reader (server/ipc.c) on arbitrary
 * bytes: whatever a compromised network process could send it. Messages
 * are read from a pipe until the reader refuses or the stream ends. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "server/ipc.h"
#include "util/common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int p[2], i, rc;
	ch_ipc_msg m;

	if (size > 60000 || pipe(p) < 0) /* fits the pipe buffer: no reader thread */
		return 0;
	if (size && write(p[1], data, size) != (ssize_t)size) {
		close(p[0]);
		close(p[1]);
		return 0;
	}
	close(p[1]);
	for (i = 0; i < 64; i++) {
		rc = ch_ipc_recv(&m, p[0], CH_IPC_SIGN, CH_IPC_KEYGEN, 0);
		if (rc == 0) {
			size_t f;

			/* every field is inside the body and NUL-terminated */
			for (f = 0; f < m.nfields; f++)
				if (m.field[f][m.flen[f]] != '\0')
					abort();
		}
		ch_ipc_msg_dispose(&m);
		if (rc < 0)
			break;
	}
	close(p[0]);
	return 0;
}
