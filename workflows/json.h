/* json.h -- strict, bounded JSON reading (jansson) with errors that name
 * the file and the field: "policy/people.json: people[2].roles: expected
 * an array of role names". */
#ifndef CH_JSON_H
#define CH_JSON_H

#include <jansson.h>

#include "util/strv.h"

typedef int (*ch_validator)(const char *s);

/* json.c */
/* Parse at most `max` bytes; duplicate keys and non-object roots refused. */
int ch_json_parse(json_t **out, const void *data, size_t len, size_t max, const char *file);
/* Refuse any key not in the NULL-terminated `allowed` list. */
int ch_json_only_keys(const json_t *obj, const char *const *allowed, const char *file,
                      const char *path);
/* A string member. Missing: CH_ENOTFOUND when !required (out = NULL). */
int ch_json_str(const char **out, const json_t *obj, const char *key, int required,
                ch_validator valid, const char *file, const char *path);
/* An array of strings (at most `max` of them, each passing `valid`). */
int ch_json_strv(ch_strv *out, const json_t *obj, const char *key, int required, size_t max,
                 ch_validator valid, const char *file, const char *path);
/* An integer member in [min, max]; `def` when absent and !required. */
int ch_json_int(long *out, const json_t *obj, const char *key, int required, long def,
                long min, long max, const char *file, const char *path);
/* A boolean member; `def` when absent. */
int ch_json_bool(int *out, const json_t *obj, const char *key, int def, const char *file,
                 const char *path);
/* Serialize with 2-space indentation, keys in insertion order, trailing newline. */
char *ch_json_dump(const json_t *v);

#endif
