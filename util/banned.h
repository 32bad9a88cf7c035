/* banned.h -- functions that are easy to misuse; using one is a compile error.
 * Use ch_buf (util/buf.h) or snprintf instead. Included last by util/common.h. */
#ifndef CH_BANNED_H
#define CH_BANNED_H

#define CH_BANNED(f) sorry_##f##_is_banned_in_chancery

#undef strcpy
#define strcpy(a, b) CH_BANNED(strcpy)
#undef strcat
#define strcat(a, b) CH_BANNED(strcat)
#undef strncpy
#define strncpy(a, b, n) CH_BANNED(strncpy)
#undef strncat
#define strncat(a, b, n) CH_BANNED(strncat)
#undef sprintf
#define sprintf(...) CH_BANNED(sprintf)
#undef vsprintf
#define vsprintf(...) CH_BANNED(vsprintf)
#undef strtok
#define strtok(a, b) CH_BANNED(strtok)
#undef gets
#define gets(a) CH_BANNED(gets)

#endif
