/* fuzz_engine.c -- libFuzzer target for the step engine's request parser
 * (cli/engine_wire.c, ew_req_parse): what the engine reads from a client
 * on its socket (a process of the engine's own user, checked with
 * SO_PEERCRED, but any bytes at all).
 *
 * Beyond "no crash, no leak": a request that parses has every field within
 * its maximum and free of NUL bytes, and writing its fields again with the
 * client's own encoder (ew_req_*) gives a request that parses to the same
 * fields. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cli/engine_wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int ok)
{
	if (!ok)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	ew_fields f, again;
	ew_req req = { NULL, 0 };
	const char *why = NULL;
	int i;

	if (size > EW_REQ_MAX)
		return 0;
	if (ew_req_parse(&f, data, size, &why) < 0) {
		check(why != NULL);
		for (i = 0; i < F_COUNT; i++)
			check(f.f[i] == NULL);
		return 0;
	}
	check(ew_req_init(&req) == 0);
	for (i = 1; i < F_COUNT; i++) {
		check(!f.f[i] || strlen(f.f[i]) <= ew_field_max[i]);
		ew_req_field(&req, i, f.f[i]);
	}
	check(ew_req_finish(&req) == 0);
	check(!memcmp(req.p, EW_MAGIC, 4) && ew_get_u32(req.p + 4) == req.n - 8);
	check(ew_req_parse(&again, req.p + 8, req.n - 8, &why) == 0);
	for (i = 0; i < F_COUNT; i++)
		check((!f.f[i] && !again.f[i]) ||
		      (f.f[i] && again.f[i] && !strcmp(f.f[i], again.f[i])));
	ew_fields_wipe(&f);
	ew_fields_wipe(&again);
	ew_req_wipe(&req);
	return 0;
}
