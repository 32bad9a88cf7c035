/* config.h -- chanceryd's configuration file (--config FILE).
 *
 *   # /etc/chancery/hq.conf
 *   site = /var/lib/chancery/hq
 *   listen = 0.0.0.0
 *   port = 443
 *   cert = /etc/chancery/tls/hq.pem
 *
 * One `key = value` a line, `#` comments and blank lines; known keys only,
 * each at most once; paths absolute; every value checked for its shape.
 * Bounded: CH_CONF_MAX_LINES lines of CH_CONF_MAX_LINE bytes. The command
 * line overrides the file, key by key (server/main.c). */
#ifndef CH_CONFIG_H
#define CH_CONFIG_H

#include <stddef.h>

#define CH_CONF_MAX_FILE (64 * 1024)
#define CH_CONF_MAX_LINES 200
#define CH_CONF_MAX_LINE 1024
#define CH_CONF_MAX_VALUE 512
#define CH_CONF_MAX_PER_IP 512 /* = SRV_MAX_CONNECTIONS (server.h) */

/* How request lines are logged (util/journal.h). */
enum { CH_LOG_AUTO = 0, CH_LOG_TEXT, CH_LOG_LOGFMT, CH_LOG_JOURNAL };

/* What a file set: strings are owned (NULL when absent), numbers are -1
 * when absent. */
typedef struct {
	char *site, *cert, *key, *client_ca, *listen, *user, *origin, *static_dir;
	int port, max_per_ip, log;
} ch_config;

/* config.c */
/* Parse `len` bytes of configuration text (need not be NUL-terminated).
 * On failure *out is left empty and the message names the line and what
 * was wrong with it: "line 3: unknown key 'prot'". */
int ch_config_parse(ch_config *out, const char *text, size_t len);
/* Read and parse FILE. Started as root (`check_owner`), the file must be
 * root's and not writable by group or others: it says what runs as root. */
int ch_config_load(ch_config *out, const char *path, int check_owner);
void ch_config_dispose(ch_config *c);

#endif
