/* common.h -- what every Chancery source file includes last. */
#ifndef CH_COMMON_H
#define CH_COMMON_H

#include "buf.h"
#include "error.h"
#include "mem.h"
#include "banned.h"

#endif
