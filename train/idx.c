/*
 * train/idx.c - IDX reader over zlib (see train/idx.h).
 */
#include "train/idx.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "core/io.h"
#include "core/status.h"

static int read_all(gzFile f, void *buf, size_t n, const char *path)
{
    unsigned char *p = buf;
    while (n > 0) {
        unsigned chunk = n > (1u << 30) ? (1u << 30) : (unsigned)n;
        int got = gzread(f, p, chunk);
        if (got <= 0) {
            int zerr;
            const char *msg = gzerror(f, &zerr);
            if (zerr != Z_OK && zerr != Z_BUF_ERROR)
                return nasw_errorf(NASW_EPARSE, "'%.200s': corrupt data: %s", path, msg);
            return nasw_errorf(NASW_EPARSE, "'%.200s': truncated file", path);
        }
        p += got;
        n -= (size_t)got;
    }
    return NASW_OK;
}

static unsigned be32(const unsigned char *b)
{
    return (unsigned)b[0] << 24 | (unsigned)b[1] << 16 | (unsigned)b[2] << 8 | b[3];
}

/* Open an IDX file and read its header: magic 0x00000800 | ndims. */
static int open_idx(gzFile *out, const char *path, int ndims, unsigned *dims)
{
    FILE *in;
    int st = nasw_open_input(&in, path, NULL, 0); /* a directory or a device is refused */
    if (st) return st;
    int fd = dup(fileno(in)), e = errno;
    fclose(in);
    errno = 0;
    gzFile f = fd >= 0 ? gzdopen(fd, "rb") : NULL;
    if (!f) {
        if (fd >= 0) e = errno;
        st = nasw_errorf(NASW_EIO, "cannot open '%.200s': %s", path, e ? strerror(e) : "out of memory");
        if (fd >= 0) close(fd);
        return st;
    }
    unsigned char hdr[16];
    st = read_all(f, hdr, 4 + 4 * (size_t)ndims, path);
    if (st) {
        gzclose(f);
        return st;
    }
    unsigned magic = be32(hdr);
    if (magic != (0x800u | (unsigned)ndims)) {
        gzclose(f);
        return nasw_errorf(NASW_EPARSE, "'%.200s': not an IDX file of %d dimensions (magic 0x%08x)",
                           path, ndims, magic);
    }
    for (int i = 0; i < ndims; i++) dims[i] = be32(hdr + 4 + 4 * i);
    *out = f;
    return NASW_OK;
}

int idx_load(struct idx_set *out, const char *images_path, const char *labels_path)
{
    memset(out, 0, sizeof *out);
    gzFile f;
    unsigned d[3];
    int st = open_idx(&f, images_path, 3, d);
    if (st) return st;
    if (d[0] == 0 || d[0] > 10000000 || d[1] == 0 || d[1] > 4096 || d[2] == 0 || d[2] > 4096) {
        gzclose(f);
        return nasw_errorf(NASW_EPARSE, "'%.200s': implausible dimensions %ux%ux%u", images_path, d[0],
                           d[1], d[2]);
    }
    size_t n = (size_t)d[0] * d[1] * d[2];
    out->pixels = malloc(n);
    if (!out->pixels) {
        gzclose(f);
        return nasw_errorf(NASW_ENOMEM, "out of memory");
    }
    st = read_all(f, out->pixels, n, images_path);
    gzclose(f);
    if (st) goto fail;
    out->n = (int)d[0];
    out->rows = (int)d[1];
    out->cols = (int)d[2];
    unsigned nl;
    if ((st = open_idx(&f, labels_path, 1, &nl))) goto fail;
    if (nl != d[0]) {
        gzclose(f);
        st = nasw_errorf(NASW_EPARSE, "'%.200s': %u labels for %u images in '%.200s'", labels_path, nl,
                         d[0], images_path);
        goto fail;
    }
    out->labels = malloc(nl);
    if (!out->labels) {
        gzclose(f);
        st = nasw_errorf(NASW_ENOMEM, "out of memory");
        goto fail;
    }
    st = read_all(f, out->labels, nl, labels_path);
    gzclose(f);
    if (st) goto fail;
    for (unsigned i = 0; i < nl; i++)
        if (out->labels[i] > 9) {
            st = nasw_errorf(NASW_EPARSE, "'%.200s': label %u of item %u is not a class 0..9",
                             labels_path, out->labels[i], i);
            goto fail;
        }
    return NASW_OK;
fail:
    idx_release(out);
    return st;
}

void idx_release(struct idx_set *s)
{
    if (!s) return;
    free(s->pixels);
    free(s->labels);
    memset(s, 0, sizeof *s);
}

int fmnist_load(struct idx_set *train, struct idx_set *test, const char *dir)
{
    char a[4096], b[4096];
    snprintf(a, sizeof a, "%s/train-images-idx3-ubyte.gz", dir);
    snprintf(b, sizeof b, "%s/train-labels-idx1-ubyte.gz", dir);
    int st = idx_load(train, a, b);
    if (st) return st;
    snprintf(a, sizeof a, "%s/t10k-images-idx3-ubyte.gz", dir);
    snprintf(b, sizeof b, "%s/t10k-labels-idx1-ubyte.gz", dir);
    if ((st = idx_load(test, a, b))) idx_release(train);
    return st;
}

const char *fmnist_dir(void)
{
    const char *d = getenv("NASW_FMNIST");
    return d && *d ? d : FMNIST_DIR;
}
