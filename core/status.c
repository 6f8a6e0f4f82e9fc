/*
 * core/status.c - status names and the thread-local error message.
 */
#include "core/status.h"

#include <stdarg.h>
#include <stdlib.h>

static _Thread_local char errbuf[1024];

const char *nasw_strstatus(int status)
{
    switch (status) {
    case NASW_OK: return "ok";
    case NASW_ENOMEM: return "out of memory";
    case NASW_EIO: return "input/output error";
    case NASW_EPARSE: return "parse error";
    case NASW_EINVAL: return "invalid value";
    case NASW_ENOTFOUND: return "not found";
    case NASW_EUNSUPPORTED: return "not supported";
    case NASW_EDONE: return "nothing left";
    case NASW_ENUMERIC: return "numerical failure";
    case NASW_EAGAIN: return "waiting for results";
    default: return "unknown status";
    }
}

int nasw_errorf(int status, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(errbuf, sizeof errbuf, fmt, ap);
    va_end(ap);
    return status;
}

const char *nasw_errmsg(void) { return errbuf; }

void nasw_errclear(void) { errbuf[0] = '\0'; }

_Noreturn void nasw_assert_fail(const char *cond, const char *file, int line)
{
    fprintf(stderr, "fatal: assertion '%s' failed at %s:%d\n", cond, file, line);
    abort();
}
