/*
 * core/outfile.c - output files written atomically, in place or to stdout
 * (see core/outfile.h).
 *
 * Why each step:
 *  - stat() before anything: a rename over /dev/null or a FIFO would turn
 *    it into a regular file (as root, rename() replaces even /dev/full), so
 *    only regular files are replaced; special files are written in place.
 *  - the temporary file lives in the target's directory (rename() is atomic
 *    only within one file system) and is made with O_CREAT|O_EXCL|O_NOFOLLOW
 *    under a name with the pid and a random part: a symlink planted at a
 *    guessed name makes the open fail instead of writing through it, and
 *    two processes never share a temporary file.
 *  - fsync() before rename(): otherwise a crash soon after the rename can
 *    leave an empty target on file systems that delay allocation.
 *  - the stream is a fopencookie() stream over our fd, so the errno of the
 *    first failed write is kept: stdio forgets it, and "cannot write
 *    '/dev/full': No space left on device" is worth more than "I/O error".
 *  - a fixed table of the live temporary names, so that a signal handler
 *    can unlink them without allocating or locking.
 */
#define _GNU_SOURCE /* fopencookie(); realpath() */
#include "core/outfile.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include "core/status.h"

enum outfile_mode { OUT_STDOUT, OUT_IN_PLACE, OUT_ATOMIC };

struct outfile {
    FILE *f;
    int fd;          /* under f, except for stdout */
    int err;         /* the first errno of a failed write (stdio forgets it) */
    char *target;    /* as given: what messages name */
    char *final;     /* what the temporary file is renamed to (symlinks resolved) */
    char *tmp;       /* OUT_ATOMIC only */
    int mode;
    int slot;        /* registry slot of tmp, -1 if none */
};

/* Registry of live temporary files, for outfile_remove_temps(). */
#define REG_SLOTS 32
#define REG_PATH 4096
static struct {
    atomic_int state;   /* 0 free, 1 being filled or emptied, 2 live */
    pid_t pid;          /* a forked child must not remove its parent's files */
    char path[REG_PATH];
} reg[REG_SLOTS];

static int reg_add(const char *path)
{
    size_t n = strlen(path);
    if (n >= REG_PATH) return -1;
    for (int i = 0; i < REG_SLOTS; i++) {
        int free_state = 0;
        if (!atomic_compare_exchange_strong(&reg[i].state, &free_state, 1)) continue;
        memcpy(reg[i].path, path, n + 1);
        reg[i].pid = getpid();
        atomic_store(&reg[i].state, 2);
        return i;
    }
    return -1; /* full: the file is still removed on abort, only not by a signal */
}

static void reg_remove(int slot)
{
    if (slot < 0) return;
    atomic_store(&reg[slot].state, 1);
    reg[slot].path[0] = '\0';
    atomic_store(&reg[slot].state, 0);
}

void outfile_remove_temps(void)
{
    pid_t me = getpid();
    for (int i = 0; i < REG_SLOTS; i++)
        if (atomic_load(&reg[i].state) == 2 && reg[i].pid == me) unlink(reg[i].path);
}

static ssize_t cookie_write(void *cookie, const char *buf, size_t n)
{
    struct outfile *o = cookie;
    size_t done = 0;
    while (done < n) {
        ssize_t w = write(o->fd, buf + done, n - done);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) {
            if (!o->err) o->err = w < 0 ? errno : EIO;
            return done ? (ssize_t)done : -1;
        }
        done += (size_t)w;
    }
    return (ssize_t)done;
}

static int cookie_close(void *cookie)
{
    struct outfile *o = cookie;
    int rc = close(o->fd);
    if (rc != 0 && !o->err) o->err = errno;
    o->fd = -1;
    return rc;
}

/* Wrap o->fd in o->f; on failure the fd is closed. */
static int make_stream(struct outfile *o)
{
    cookie_io_functions_t io = {.read = NULL, .write = cookie_write, .seek = NULL, .close = cookie_close};
    if ((o->f = fopencookie(o, "w", io))) return 0;
    int e = errno;
    close(o->fd);
    o->fd = -1;
    return e ? e : ENOMEM;
}

static int fail(struct outfile *o, const char *path, int err)
{
    int st = nasw_errorf(NASW_EIO, "cannot write '%.200s': %s", path, strerror(err));
    outfile_abort(o);
    return st;
}

/* The directory part of path ("." if none) and a pointer to its last component. */
static char *dir_of(const char *path, const char **base)
{
    const char *slash = strrchr(path, '/');
    *base = slash ? slash + 1 : path;
    size_t n = slash ? (size_t)(slash - path) : 1;
    if (slash == path) n = 1; /* "/name": the root */
    char *d = malloc(n + 1);
    if (!d) return NULL;
    memcpy(d, slash ? path : ".", n);
    d[n] = '\0';
    return d;
}

/* Temporary names are BASE.PID.XXXXXXXX.tmp, BASE cut so that the name fits
 * in NAME_MAX (255) bytes. */
#define TMP_BASE_MAX 200

static uint64_t mix(uint64_t z)
{
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static int open_temp(struct outfile *o, mode_t keep_mode, int keep)
{
    static atomic_ulong counter;
    const char *base;
    char *dir = dir_of(o->final, &base);
    if (!dir) return ENOMEM;
    size_t n = strlen(dir) + TMP_BASE_MAX + 64;
    o->tmp = malloc(n);
    if (!o->tmp) {
        free(dir);
        return ENOMEM;
    }
    int fd = -1, err = EEXIST;
    for (int attempt = 0; attempt < 100 && fd < 0 && err == EEXIST; attempt++) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        uint64_t r = mix((uint64_t)ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 30) ^
                         ((uint64_t)atomic_fetch_add(&counter, 1) << 48) ^ (uint64_t)getpid());
        snprintf(o->tmp, n, "%s/%.*s.%ld.%08lx.tmp", dir, TMP_BASE_MAX, base, (long)getpid(),
                 (unsigned long)(r & 0xffffffffUL));
        fd = open(o->tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0666);
        err = fd < 0 ? errno : 0;
    }
    free(dir);
    if (fd < 0) {
        free(o->tmp);
        o->tmp = NULL;
        return err;
    }
    o->slot = reg_add(o->tmp);
    o->fd = fd;
    if (keep && fchmod(fd, keep_mode) != 0) {
        err = errno;
        close(fd);
        o->fd = -1;
    }
    if (!err) err = make_stream(o);
    if (err) {
        unlink(o->tmp);
        reg_remove(o->slot);
        o->slot = -1;
        free(o->tmp);
        o->tmp = NULL;
    }
    return err;
}

int outfile_open(struct outfile **out, const char *path)
{
    *out = NULL;
    struct outfile *o = calloc(1, sizeof *o);
    if (!o || !(o->target = strdup(path))) {
        free(o);
        return nasw_errorf(NASW_ENOMEM, "out of memory");
    }
    o->slot = -1;
    o->fd = -1;
    if (!strcmp(path, "-")) {
        o->mode = OUT_STDOUT;
        o->f = stdout;
        *out = o;
        return NASW_OK;
    }
    if (!*path) return fail(o, path, ENOENT);
    struct stat st, lst;
    int keep = 0;
    if (stat(path, &st) == 0) {
        if (S_ISDIR(st.st_mode)) return fail(o, path, EISDIR);
        if (!S_ISREG(st.st_mode)) {
            /* a device, FIFO or socket: written in place, as the shell's > does */
            if ((o->fd = open(path, O_WRONLY | O_CLOEXEC)) < 0) return fail(o, path, errno);
            int e = make_stream(o);
            if (e) return fail(o, path, e);
            o->mode = OUT_IN_PLACE;
            *out = o;
            return NASW_OK;
        }
        keep = 1;
        if (lstat(path, &lst) == 0 && S_ISLNK(lst.st_mode)) o->final = realpath(path, NULL);
        else o->final = strdup(path);
        if (!o->final) return fail(o, path, errno);
    } else if (errno == ENOENT) {
        if (lstat(path, &lst) == 0) {
            int st2 = nasw_errorf(NASW_EIO, "cannot write '%.200s': dangling symbolic link", path);
            outfile_abort(o);
            return st2;
        }
        if (!(o->final = strdup(path))) return fail(o, path, errno);
    } else {
        return fail(o, path, errno);
    }
    o->mode = OUT_ATOMIC;
    outfile_remove_stale(o->final);
    int err = open_temp(o, st.st_mode & 07777, keep);
    if (err) return fail(o, path, err);
    *out = o;
    return NASW_OK;
}

int outfile_replaceable(const char *path)
{
    struct stat st;
    if (!strcmp(path, "-")) return 0;
    return stat(path, &st) != 0 ? errno == ENOENT : S_ISREG(st.st_mode);
}

FILE *outfile_stream(const struct outfile *o) { return o->f; }

const char *outfile_write_path(const struct outfile *o)
{
    return o->mode == OUT_ATOMIC ? o->tmp : o->target;
}

int outfile_is_atomic(const struct outfile *o) { return o->mode == OUT_ATOMIC; }

static void release(struct outfile *o)
{
    free(o->target);
    free(o->final);
    free(o->tmp);
    free(o);
}

int outfile_commit(struct outfile *o)
{
    NASW_ASSERT(o != NULL);
    int err = 0;
    errno = 0;
    if (fflush(o->f) != 0 || ferror(o->f)) err = o->err ? o->err : errno ? errno : EIO;
    if (o->mode == OUT_STDOUT) {
        o->f = NULL;
    } else {
        /* EINVAL: a file system without fsync (the data is written anyway) */
        if (!err && o->mode == OUT_ATOMIC && fsync(o->fd) != 0 && errno != EINVAL) err = errno;
        if (fclose(o->f) != 0 && !err) err = o->err ? o->err : errno ? errno : EIO;
        o->f = NULL;
        if (o->mode == OUT_ATOMIC) {
            if (!err && rename(o->tmp, o->final) != 0) err = errno;
            if (err) unlink(o->tmp);
            reg_remove(o->slot);
        }
    }
    int st = err ? nasw_errorf(NASW_EIO, "cannot write '%.200s': %s", o->target, strerror(err)) : NASW_OK;
    release(o);
    return st;
}

void outfile_abort(struct outfile *o)
{
    if (!o) return;
    if (o->f && o->mode != OUT_STDOUT) fclose(o->f);
    else if (o->f) fflush(o->f);
    if (o->mode == OUT_ATOMIC && o->tmp) {
        unlink(o->tmp);
        reg_remove(o->slot);
    }
    release(o);
}

/* Is name BASE.PID.XXXXXXXX.tmp for this base?  Its pid, or 0. */
static long stale_pid(const char *name, const char *base, size_t blen)
{
    if (strncmp(name, base, blen) || name[blen] != '.') return 0;
    const char *p = name + blen + 1;
    char *end;
    errno = 0;
    long pid = strtol(p, &end, 10);
    if (errno || end == p || pid <= 0 || *end != '.') return 0;
    p = end + 1;
    for (int i = 0; i < 8; i++, p++)
        if (!*p || !strchr("0123456789abcdef", *p)) return 0;
    return strcmp(p, ".tmp") ? 0 : pid;
}

int outfile_remove_stale(const char *path)
{
    const char *base;
    char *dir = dir_of(path, &base);
    if (!dir) return 0;
    size_t blen = strlen(base);
    if (blen > TMP_BASE_MAX) blen = TMP_BASE_MAX;
    DIR *d = opendir(dir);
    int removed = 0;
    struct dirent *e;
    char full[PATH_MAX];
    while (d && (e = readdir(d))) {
        long pid = stale_pid(e->d_name, base, blen);
        if (!pid || pid == (long)getpid()) continue;
        if (kill((pid_t)pid, 0) == 0 || errno != ESRCH) continue; /* alive (or not ours to know) */
        struct stat st;
        if (snprintf(full, sizeof full, "%s/%s", dir, e->d_name) >= (int)sizeof full) continue;
        /* only our own regular files: never a planted symlink, never another user's file */
        if (lstat(full, &st) != 0 || !S_ISREG(st.st_mode) || st.st_uid != geteuid()) continue;
        if (unlink(full) == 0) removed++;
    }
    if (d) closedir(d);
    free(dir);
    return removed;
}
