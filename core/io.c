/*
 * core/io.c - opening input files: refuse what is not a regular file,
 * read whole files without trusting ftell().
 *
 * open(2) with O_NONBLOCK so that a FIFO without a writer cannot block us
 * before fstat(2) refuses it; the flag is cleared again before reading.
 * The size from fstat is only a first guess of the buffer (a journal may
 * grow while we read it): reading goes on until EOF.
 */
#include "core/io.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/status.h"

int nasw_open_input(FILE **out, const char *path, const char *what, int missing_ok)
{
    const char *sp = what ? " " : "";
    *out = NULL;
    if (!what) what = "";
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT && missing_ok) return NASW_OK;
        return nasw_errorf(NASW_EIO, "cannot open %s%s'%.200s': %s", what, sp, path, strerror(errno));
    }
    struct stat sb;
    int flags;
    if (fstat(fd, &sb) != 0 || (flags = fcntl(fd, F_GETFL)) < 0 || fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) < 0) {
        int st = nasw_errorf(NASW_EIO, "cannot open %s%s'%.200s': %s", what, sp, path, strerror(errno));
        close(fd);
        return st;
    }
    if (!S_ISREG(sb.st_mode)) {
        close(fd);
        return nasw_errorf(NASW_EIO, "%s%s'%.200s' is not a regular file", what, sp, path);
    }
    FILE *f = fdopen(fd, "rb");
    if (!f) {
        int st = nasw_errorf(NASW_EIO, "cannot open %s%s'%.200s': %s", what, sp, path, strerror(errno));
        close(fd);
        return st;
    }
    *out = f;
    return NASW_OK;
}

int nasw_read_input(const char *path, const char *what, int missing_ok, char **data, size_t *len)
{
    *data = NULL;
    *len = 0;
    FILE *f;
    int st = nasw_open_input(&f, path, what, missing_ok);
    if (st || !f) return st;
    struct stat sb;
    size_t cap = 1 << 16, n = 0;
    if (fstat(fileno(f), &sb) == 0 && sb.st_size > 0 && (unsigned long long)sb.st_size < SIZE_MAX / 2)
        cap = (size_t)sb.st_size + 1; /* +1: EOF is seen without a second round */
    char *buf = NULL;
    for (;;) {
        char *p = realloc(buf, cap + 1);
        if (!p) {
            free(buf);
            fclose(f);
            return nasw_errorf(NASW_ENOMEM, "out of memory reading '%.200s'", path);
        }
        buf = p;
        n += fread(buf + n, 1, cap - n, f);
        if (n < cap || cap > SIZE_MAX / 4) break;
        cap *= 2;
    }
    int err = ferror(f) ? errno : 0;
    fclose(f);
    if (err || n == cap) {
        free(buf);
        const char *sp = what ? " " : "";
        return nasw_errorf(NASW_EIO, "cannot read %s%s'%.200s': %s", what ? what : "", sp, path,
                           err ? strerror(err) : "file too large");
    }
    buf[n] = '\0';
    *data = buf;
    *len = n;
    return NASW_OK;
}
