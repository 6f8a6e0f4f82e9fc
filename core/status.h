/*
 * core/status.h - status codes and the per-thread error message.
 *
 * Library code (everything outside cli/) never prints and never exits: it
 * returns one of these codes and, where the problem is found, records one
 * human-readable message with nasw_errorf().  The CLI prints it as
 * "error: <message>" and chooses the exit code.  Messages follow git's style:
 * lowercase, the subject in quotes, bounded echo of user input (%.64s), no
 * full stop, and "path:line: message" for problems inside a file.
 *
 * The message buffer is thread-local, so `nasw compare` can run searches on
 * several threads without mixing their errors.
 */
#ifndef NASW_CORE_STATUS_H
#define NASW_CORE_STATUS_H

#include <stdio.h>

enum nasw_status {
    NASW_OK = 0,
    NASW_ENOMEM,       /* allocation failed */
    NASW_EIO,          /* file could not be opened, read or written */
    NASW_EPARSE,       /* malformed input (CSV, JSON, architecture string, number) */
    NASW_EINVAL,       /* well-formed but invalid value or combination */
    NASW_ENOTFOUND,    /* lookup miss: architecture, dataset, column, strategy */
    NASW_EUNSUPPORTED, /* the backend cannot do this (e.g. no curves) */
    NASW_EDONE,        /* a strategy has nothing left to propose */
    NASW_ENUMERIC,     /* numerical failure (NaN, non-convergence) */
    NASW_EAGAIN        /* a strategy waits for outstanding results */
};

/* Short name of a status code ("out of memory", "parse error", ...). */
const char *nasw_strstatus(int status);

/* Record the current thread's error message (printf-style) and return
 * `status`, so that callers can write `return nasw_errorf(NASW_EPARSE, ...)`. */
int nasw_errorf(int status, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

/* Put "<prefix>: " in front of the recorded message (printf-style prefix,
 * e.g. the "path:line" where an inner call failed) and return `status`.
 * nasw_errorf() may also take nasw_errmsg() as an argument: both format
 * into a second buffer, never the message into itself. */
int nasw_errprefix(int status, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

/* The message recorded last on this thread ("" if none). */
const char *nasw_errmsg(void);

/* Forget the recorded message. */
void nasw_errclear(void);

/* Always-on assertion for programmer errors (never for bad input). */
#define NASW_ASSERT(cond)                                                     \
    do {                                                                      \
        if (!(cond)) nasw_assert_fail(#cond, __FILE__, __LINE__);             \
    } while (0)
_Noreturn void nasw_assert_fail(const char *cond, const char *file, int line);

#endif
