/*
 * core/status.c - status names and the thread-local error message.
 *
 * The message is formatted into a second buffer and then copied, so an
 * argument may be the current message itself (nasw_errmsg()): formatting a
 * buffer into itself is undefined behaviour in vsnprintf and garbled the
 * "path:line: <inner message>" messages.  nasw_errprefix() is the way to
 * put a place in front of an inner message.
 */
#include "core/status.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

static _Thread_local char errbuf[1024], scratch[sizeof errbuf];

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
    vsnprintf(scratch, sizeof scratch, fmt, ap);
    va_end(ap);
    memcpy(errbuf, scratch, sizeof errbuf);
    return status;
}

int nasw_errprefix(int status, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(scratch, sizeof scratch, fmt, ap);
    va_end(ap);
    /* append ": " and the message, cut to the buffer (snprintf would warn
     * that it may truncate, which is what we want) */
    size_t len = strlen(scratch);
    const char *parts[2] = {": ", errbuf};
    for (int i = 0; i < 2; i++) {
        size_t m = strlen(parts[i]);
        if (m > sizeof scratch - 1 - len) m = sizeof scratch - 1 - len;
        memcpy(scratch + len, parts[i], m);
        len += m;
    }
    scratch[len] = '\0';
    memcpy(errbuf, scratch, sizeof errbuf);
    return status;
}

const char *nasw_errmsg(void) { return errbuf; }

void nasw_errclear(void) { errbuf[0] = '\0'; }

_Noreturn void nasw_assert_fail(const char *cond, const char *file, int line)
{
    fprintf(stderr, "fatal: assertion '%s' failed at %s:%d\n", cond, file, line);
    abort();
}
