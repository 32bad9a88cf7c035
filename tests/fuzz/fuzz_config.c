/* fuzz_config.c -- chanceryd's configuration parser (server/config.c) on
 * arbitrary bytes: it accepts or refuses with a message, never reads past
 * the input, and what it accepts holds only values of the checked shapes. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "server/config.h"
#include "util/common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	ch_config c;

	if (ch_config_parse(&c, (const char *)data, size) == 0) {
		if ((c.site && c.site[0] != '/') || (c.port != -1 && (c.port < 1 || c.port > 65535)) ||
		    (c.max_per_ip != -1 && (c.max_per_ip < 0 || c.max_per_ip > CH_CONF_MAX_PER_IP)) ||
		    (c.origin && strncmp(c.origin, "https://", 8)))
			abort();
		ch_config_dispose(&c);
	} else if (!*ch_error_last()) {
		abort();
	}
	return 0;
}
