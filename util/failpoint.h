/* failpoint.h -- test hooks that stop or kill a writer at a chosen point.
 *
 * Compiled in only with CH_TEST_HOOKS (the test build, Makefile); in a
 * release build every hook is an empty inline function and no variable of
 * the environment is read.
 *
 *   CHANCERY_FAILPOINT_WAIT=FILE     a step waits (<= 30 s) for FILE before
 *                                    it locks its ref (racing writers)
 *   CHANCERY_FAILPOINT_HOLD=FILE     a step waits with its ref locked
 *   CHANCERY_FAILPOINT_CRASH=WHERE   SIGKILL itself at WHERE ("after-object":
 *                                    the commit written, the ref not moved)
 *   CHANCERY_FAILPOINT_QUARANTINE=FILE  a push creates FILE once its objects
 *                                    are in the site and waits to be killed
 *   CHANCERY_TEST_META_V1=1          create writes a version-1 meta.json (no id,
 *                                    site, unit): chains as older sites wrote them */
#ifndef CH_FAILPOINT_H
#define CH_FAILPOINT_H

#ifdef CH_TEST_HOOKS
/* failpoint.c */
void ch_failpoint_wait(const char *env);
void ch_failpoint_crash(const char *where);
void ch_failpoint_signal_and_wait(const char *env);
int ch_testhook_meta_v1(void);
#else
static inline void ch_failpoint_wait(const char *env) { (void)env; }
static inline void ch_failpoint_crash(const char *where) { (void)where; }
static inline void ch_failpoint_signal_and_wait(const char *env) { (void)env; }
static inline int ch_testhook_meta_v1(void) { return 0; }
#endif

#endif
