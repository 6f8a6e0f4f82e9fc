/*
 * train/trainer.c - the training loop (see train/trainer.h).
 *
 * Determinism: the split, the initialisation and the batch order come from
 * rngs seeded by split_seed and the run's seed; OpenBLAS is deterministic for
 * a fixed number of threads, so a run repeats bit for bit on one machine.
 */
#include "train/trainer.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/hashmap.h"
#include "core/rng.h"
#include "core/status.h"
#include "train/cnn.h"
#include "train/layers.h"

/* Fashion-MNIST training-set pixel statistics (of x/255). */
#define FMNIST_MEAN 0.2860f
#define FMNIST_SD 0.3530f

int train_preset(struct train_config *c, const char *name)
{
    memset(c, 0, sizeof *c);
    c->lr = 0.1;
    c->momentum = 0.9;
    c->weight_decay = 5e-4;
    c->nesterov = 1;
    c->split_seed = 0;
    c->test_size = 10000;
    if (!strcmp(name, "nb201")) {
        c->C = 16, c->N = 5, c->resolution = 28, c->epochs = 200, c->batch = 256;
        c->train_size = 50000, c->val_size = 10000;
    } else if (!strcmp(name, "proxy")) {
        c->C = 8, c->N = 1, c->resolution = 12, c->epochs = 4, c->batch = 128;
        c->train_size = 10000, c->val_size = 5000;
    } else if (!strcmp(name, "micro")) {
        c->C = 4, c->N = 1, c->resolution = 12, c->epochs = 2, c->batch = 64;
        c->train_size = 2000, c->val_size = 1000, c->test_size = 1000;
    } else {
        return nasw_errorf(NASW_ENOTFOUND, "unknown preset '%.64s' (presets: %s)", name,
                           train_preset_names());
    }
    snprintf(c->preset, sizeof c->preset, "%s", name);
    return NASW_OK;
}

const char *train_preset_names(void) { return "nb201, proxy, micro"; }

struct train_data {
    int res;
    int n_train, n_val, n_test;
    float *x_train, *x_val, *x_test;   /* (n, 1, res, res) */
    int *y_train, *y_val, *y_test;
};

/* One 28x28 image into res x res normalised floats. */
static void convert(float *dst, const unsigned char *src, int res)
{
    if (res == 28) {
        for (int i = 0; i < 784; i++) dst[i] = (src[i] / 255.0f - FMNIST_MEAN) / FMNIST_SD;
        return;
    }
    /* 12x12: centre crop 24x24, then 2x2 means */
    for (int y = 0; y < 12; y++)
        for (int x = 0; x < 12; x++) {
            int sy = 2 + 2 * y, sx = 2 + 2 * x;
            float v = (src[sy * 28 + sx] + src[sy * 28 + sx + 1] + src[(sy + 1) * 28 + sx] +
                       src[(sy + 1) * 28 + sx + 1]) /
                      (4 * 255.0f);
            dst[y * 12 + x] = (v - FMNIST_MEAN) / FMNIST_SD;
        }
}

void train_data_free(struct train_data *d)
{
    if (!d) return;
    free(d->x_train);
    free(d->x_val);
    free(d->x_test);
    free(d->y_train);
    free(d->y_val);
    free(d->y_test);
    free(d);
}

int train_data_new(struct train_data **out, const struct train_config *cfg, const char *dir)
{
    *out = NULL;
    if (cfg->resolution != 28 && cfg->resolution != 12)
        return nasw_errorf(NASW_EINVAL, "resolution %d not supported (28 or 12)", cfg->resolution);
    if (cfg->val_size < 1 || cfg->train_size < 1 || cfg->train_size + cfg->val_size > 60000 ||
        cfg->test_size < 1 || cfg->test_size > 10000)
        return nasw_errorf(NASW_EINVAL, "bad data sizes (train %d, val %d, test %d)", cfg->train_size,
                           cfg->val_size, cfg->test_size);
    struct idx_set tr, te;
    int st = fmnist_load(&tr, &te, dir);
    if (st) return st;
    if (tr.n != 60000 || te.n != 10000 || tr.rows != 28 || tr.cols != 28 || te.rows != 28) {
        idx_release(&tr);
        idx_release(&te);
        return nasw_errorf(NASW_EPARSE, "'%.200s' does not hold Fashion-MNIST (60000+10000 28x28)", dir);
    }
    struct train_data *d = calloc(1, sizeof *d);
    int *perm = malloc(60000 * sizeof *perm);
    struct rng *r = rng_new(cfg->split_seed);
    size_t px = (size_t)cfg->resolution * cfg->resolution;
    if (d && perm && r) {
        d->res = cfg->resolution;
        d->n_train = cfg->train_size;
        d->n_val = cfg->val_size;
        d->n_test = cfg->test_size;
        d->x_train = malloc(sizeof(float) * px * (size_t)d->n_train);
        d->x_val = malloc(sizeof(float) * px * (size_t)d->n_val);
        d->x_test = malloc(sizeof(float) * px * (size_t)d->n_test);
        d->y_train = malloc(sizeof(int) * (size_t)d->n_train);
        d->y_val = malloc(sizeof(int) * (size_t)d->n_val);
        d->y_test = malloc(sizeof(int) * (size_t)d->n_test);
    }
    if (!d || !perm || !r || !d->x_train || !d->x_val || !d->x_test || !d->y_train || !d->y_val ||
        !d->y_test) {
        st = nasw_errorf(NASW_ENOMEM, "out of memory");
        goto done;
    }
    /* The validation set is the first val_size images of a fixed permutation
     * and training uses the next train_size: presets with a training subset
     * validate on the same images as the full protocol would. */
    for (int i = 0; i < 60000; i++) perm[i] = i;
    rng_shuffle_int(r, perm, 60000);
    for (int i = 0; i < d->n_val; i++) {
        convert(d->x_val + px * i, tr.pixels + 784 * (size_t)perm[i], d->res);
        d->y_val[i] = tr.labels[perm[i]];
    }
    for (int i = 0; i < d->n_train; i++) {
        int k = perm[d->n_val + i];
        convert(d->x_train + px * i, tr.pixels + 784 * (size_t)k, d->res);
        d->y_train[i] = tr.labels[k];
    }
    for (int i = 0; i < d->n_test; i++) {
        convert(d->x_test + px * i, te.pixels + 784 * (size_t)i, d->res);
        d->y_test[i] = te.labels[i];
    }
    *out = d;
    d = NULL;
done:
    train_data_free(d);
    free(perm);
    rng_free(r);
    idx_release(&tr);
    idx_release(&te);
    return st;
}

int train_data_train_set(const struct train_data *d, const float **x, const int **y)
{
    *x = d->x_train;
    *y = d->y_train;
    return d->n_train;
}

int train_data_val_set(const struct train_data *d, const float **x, const int **y, int *res)
{
    *x = d->x_val;
    *y = d->y_val;
    *res = d->res;
    return d->n_val;
}

double train_clock_s(int cpu)
{
    struct timespec t;
    clock_gettime(cpu ? CLOCK_PROCESS_CPUTIME_ID : CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* Loss and accuracy (%) of the network on a set, eval mode. */
static void evaluate(struct cnn *n, const float *x, const int *y, int count, int res, int batch,
                     double *loss, double *acc)
{
    size_t px = (size_t)res * res;
    double l = 0;
    long hits = 0;
    for (int i = 0; i < count; i += batch) {
        int b = count - i < batch ? count - i : batch, c;
        float bl = cnn_forward(n, x + px * i, y + i, b, 0, &c);
        l += (double)bl * b;
        hits += c;
    }
    *loss = l / count;
    *acc = 100.0 * (double)hits / count;
}

struct train_run {
    const struct train_config *cfg;
    const struct train_data *d;
    struct cnn *n;
    struct rng *r;
    float *xb;
    int *yb, *order;
    long step, total_steps;
    int epoch;                  /* epochs done */
    struct train_result res;    /* so far */
};

void train_run_free(struct train_run *t)
{
    if (!t) return;
    free(t->xb);
    free(t->yb);
    free(t->order);
    rng_free(t->r);
    cnn_free(t->n);
    free(t);
}

int train_run_new(struct train_run **out, const struct train_config *cfg, const struct train_data *d,
                  const struct space *s, const struct arch *a, uint64_t seed)
{
    *out = NULL;
    struct train_run *t = calloc(1, sizeof *t);
    if (!t) return nasw_errorf(NASW_ENOMEM, "out of memory");
    t->cfg = cfg;
    t->d = d;
    struct cnn_config nc = {.C = cfg->C, .N = cfg->N, .in_ch = 1, .H = d->res, .W = d->res,
                            .classes = 10, .max_batch = cfg->batch};
    int st = cnn_new(&t->n, s, a, &nc);
    if (st) {
        free(t);
        return st;
    }
    size_t px = (size_t)d->res * d->res;
    t->r = rng_new(seed);
    t->xb = malloc(sizeof(float) * px * (size_t)cfg->batch);
    t->yb = malloc(sizeof(int) * (size_t)cfg->batch);
    t->order = malloc(sizeof(int) * (size_t)d->n_train);
    if (!t->r || !t->xb || !t->yb || !t->order) {
        train_run_free(t);
        return nasw_errorf(NASW_ENOMEM, "out of memory");
    }
    cnn_init(t->n, t->r);
    t->res.params = cnn_num_params(t->n);
    t->res.flops = cnn_flops(t->n);
    long steps_per_epoch = (d->n_train + cfg->batch - 1) / cfg->batch;
    t->total_steps = steps_per_epoch * cfg->epochs;
    for (int i = 0; i < d->n_train; i++) t->order[i] = i;
    *out = t;
    return NASW_OK;
}

int train_run_epochs(const struct train_run *t) { return t->epoch; }
struct cnn *train_run_net(struct train_run *t) { return t->n; }
const struct train_result *train_run_result(const struct train_run *t) { return &t->res; }
int train_run_failed(const struct train_run *t) { return t->res.failed; }

int train_run_to(struct train_run *t, int to, train_epoch_fn cb, void *cb_arg, struct train_result *res)
{
    const struct train_config *cfg = t->cfg;
    const struct train_data *d = t->d;
    size_t px = (size_t)d->res * d->res;
    if (to > cfg->epochs) to = cfg->epochs;
    /* seconds are added up as each epoch ends, so that a checkpoint written
     * by the callback holds the time of every epoch it covers */
    double t_last = train_clock_s(cfg->cpu_clock);
    while (!t->res.failed && t->epoch < to) {
        int ep = t->epoch + 1;
        double t0 = train_clock_s(cfg->cpu_clock), loss_sum = 0;
        long hits = 0;
        rng_shuffle_int(t->r, t->order, d->n_train);
        for (int i = 0; i < d->n_train; i += cfg->batch) {
            int b = d->n_train - i < cfg->batch ? d->n_train - i : cfg->batch, c;
            for (int j = 0; j < b; j++) {
                memcpy(t->xb + px * j, d->x_train + px * t->order[i + j], px * sizeof(float));
                t->yb[j] = d->y_train[t->order[i + j]];
            }
            float loss = cnn_forward(t->n, t->xb, t->yb, b, 1, &c);
            if (!isfinite(loss)) {
                t->res.failed = 1;
                break;
            }
            cnn_backward(t->n);
            /* cosine annealing per step, over the preset's full schedule, so
             * a training continued later equals an uninterrupted one */
            double lr = 0.5 * cfg->lr * (1 + cos(3.14159265358979323846 * (double)t->step / (double)t->total_steps));
            cnn_sgd_step(t->n, (float)lr, (float)cfg->momentum, (float)cfg->weight_decay, cfg->nesterov);
            t->step++;
            loss_sum += (double)loss * b;
            hits += c;
        }
        if (t->res.failed) break;
        struct train_epoch e = {.epoch = ep};
        e.train_loss = loss_sum / d->n_train;
        e.train_acc = 100.0 * (double)hits / d->n_train;
        evaluate(t->n, d->x_val, d->y_val, d->n_val, d->res, cfg->batch, &e.val_loss, &e.val_acc);
        evaluate(t->n, d->x_test, d->y_test, d->n_test, d->res, cfg->batch, &e.test_loss, &e.test_acc);
        if (!isfinite(e.val_loss)) {
            t->res.failed = 1;
            break;
        }
        e.seconds = train_clock_s(cfg->cpu_clock) - t0;
        t->epoch = ep;
        t->res.epochs_done = ep;
        t->res.val_acc = e.val_acc;
        t->res.test_acc = e.test_acc;
        t->res.train_acc = e.train_acc;
        t->res.val_loss = e.val_loss;
        t->res.test_loss = e.test_loss;
        double t_now = train_clock_s(cfg->cpu_clock);
        t->res.seconds += t_now - t_last;
        t_last = t_now;
        if (cb && cb(cb_arg, &e)) break;
    }
    t->res.seconds += train_clock_s(cfg->cpu_clock) - t_last;
    *res = t->res;
    if (res->failed) res->val_acc = res->test_acc = NAN;
    return NASW_OK;
}

int train_arch(const struct train_config *cfg, const struct train_data *d, const struct space *s,
               const struct arch *a, uint64_t seed, int max_epochs, train_epoch_fn cb, void *cb_arg,
               struct train_result *res)
{
    memset(res, 0, sizeof *res);
    struct train_run *t;
    int st = train_run_new(&t, cfg, d, s, a, seed);
    if (st) return st;
    int epochs = max_epochs > 0 && max_epochs < cfg->epochs ? max_epochs : cfg->epochs;
    st = train_run_to(t, epochs, cb, cb_arg, res);
    train_run_free(t);
    return st;
}

uint64_t train_settings_hash(const struct train_config *c, const char *arch, uint64_t seed)
{
    /* %.17g: doubles round-trip, so any change of lr etc. changes the text */
    char buf[ARCH_STR_MAX + 512];
    int n = snprintf(buf, sizeof buf,
                     "format=%d preset=%s C=%d N=%d res=%d epochs=%d batch=%d lr=%.17g momentum=%.17g "
                     "wd=%.17g nesterov=%d train=%d val=%d test=%d split=%llu conv=%d seed=%llu arch=%s",
                     TRAIN_FORMAT, c->preset, c->C, c->N, c->resolution, c->epochs, c->batch, c->lr, c->momentum,
                     c->weight_decay, c->nesterov, c->train_size, c->val_size, c->test_size,
                     (unsigned long long)c->split_seed, conv_algo(), (unsigned long long)seed, arch);
    return nasw_fnv1a(NASW_FNV_OFFSET, buf, n > 0 && (size_t)n < sizeof buf ? (size_t)n : strlen(buf));
}

/* Every field 8 bytes wide, so the struct has no padding and is written as
 * it is. */
#define CKPT_MAGIC "NASWCKPT"
#define CKPT_LAYOUT 1
struct ckpt_head {
    char magic[8];
    uint64_t layout, settings, epoch, step, nparams, nstats, rng_bytes, n_order;
    double seconds, val_acc, test_acc, train_acc, val_loss, test_loss;
};

/* Write n bytes and fold them into the checksum. */
int train_ckpt_put(FILE *f, uint64_t *h, const void *p, size_t n)
{
    *h = nasw_fnv1a(*h, p, n);
    return n == 0 || fwrite(p, 1, n, f) == n ? 0 : -1;
}
#define put train_ckpt_put

int train_ckpt_commit(FILE *f, int bad, uint64_t h, const char *tmp, const char *path)
{
    bad = bad || fwrite(&h, sizeof h, 1, f) != 1 || fflush(f) != 0;
    /* on disk before the rename, so a crash leaves the old checkpoint or
     * the new one, never a torn one under PATH */
    bad = bad || fsync(fileno(f)) != 0;
    int err = errno;
    if (fclose(f) != 0 && !bad) bad = 1, err = errno;
    if (bad || rename(tmp, path) != 0) {
        if (!bad) err = errno;
        remove(tmp);
        return nasw_errorf(NASW_EIO, "cannot write checkpoint '%.200s': %s", path, strerror(err));
    }
    return NASW_OK;
}

int train_run_save(const struct train_run *t, const char *path, uint64_t settings)
{
    struct cnn *n = t->n;
    size_t np = cnn_num_params(n), ns = cnn_num_stats(n), rb;
    const void *rs = rng_state(t->r, &rb);
    struct ckpt_head hd = {.layout = CKPT_LAYOUT, .settings = settings, .epoch = (uint64_t)t->epoch,
                           .step = (uint64_t)t->step, .nparams = np, .nstats = ns, .rng_bytes = rb,
                           .n_order = (uint64_t)t->d->n_train, .seconds = t->res.seconds,
                           .val_acc = t->res.val_acc, .test_acc = t->res.test_acc, .train_acc = t->res.train_acc,
                           .val_loss = t->res.val_loss, .test_loss = t->res.test_loss};
    memcpy(hd.magic, CKPT_MAGIC, 8);
    char tmp[4200];
    if (snprintf(tmp, sizeof tmp, "%s.tmp", path) >= (int)sizeof tmp)
        return nasw_errorf(NASW_EINVAL, "checkpoint path too long");
    FILE *f = fopen(tmp, "wb");
    if (!f) return nasw_errorf(NASW_EIO, "cannot write checkpoint '%.200s': %s", tmp, strerror(errno));
    uint64_t h = NASW_FNV_OFFSET;
    int bad = put(f, &h, &hd, sizeof hd) || put(f, &h, cnn_params(n), np * sizeof(float)) ||
              put(f, &h, cnn_grads(n), np * sizeof(float)) || put(f, &h, cnn_moments(n), np * sizeof(float)) ||
              put(f, &h, cnn_stats(n), ns * sizeof(float)) || put(f, &h, rs, rb) ||
              put(f, &h, t->order, (size_t)t->d->n_train * sizeof(int));
    return train_ckpt_commit(f, bad, h, tmp, path);
}

/* Read a checkpoint whole and check its magic, checksum and (unless
 * any_settings) its settings. */
static int ckpt_read(const char *path, uint64_t settings, int any_settings, char **data, struct ckpt_head *hd)
{
    *data = NULL;
    FILE *f = fopen(path, "rb");
    if (!f) return nasw_errorf(NASW_EIO, "cannot open checkpoint '%.200s': %s", path, strerror(errno));
    long len = -1;
    if (fseek(f, 0, SEEK_END) == 0) len = ftell(f);
    rewind(f);
    char *buf = len >= 0 ? malloc((size_t)len + 1) : NULL;
    int st = NASW_OK;
    if (len < 0) st = nasw_errorf(NASW_EIO, "cannot read checkpoint '%.200s': %s", path, strerror(errno));
    else if (!buf) st = nasw_errorf(NASW_ENOMEM, "out of memory");
    else if (fread(buf, 1, (size_t)len, f) != (size_t)len)
        st = nasw_errorf(NASW_EIO, "cannot read checkpoint '%.200s'", path);
    fclose(f);
    if (!st && ((size_t)len < sizeof *hd || memcmp(buf, CKPT_MAGIC, 8)))
        st = nasw_errorf(NASW_EPARSE, "'%.200s' is not a nasw checkpoint", path);
    if (!st) {
        memcpy(hd, buf, sizeof *hd);
        /* sizes bounded by the file's length before they are multiplied */
        size_t want = 0;
        int sane = hd->layout == CKPT_LAYOUT && hd->nparams <= (uint64_t)len && hd->nstats <= (uint64_t)len &&
                   hd->rng_bytes <= (uint64_t)len && hd->n_order <= (uint64_t)len;
        if (sane)
            want = sizeof *hd + (3 * hd->nparams + hd->nstats) * sizeof(float) + hd->rng_bytes +
                   hd->n_order * sizeof(int) + sizeof(uint64_t);
        uint64_t h = 0;
        if (sane && want == (size_t)len) memcpy(&h, buf + len - sizeof h, sizeof h);
        if (!sane || want != (size_t)len || h != nasw_fnv1a(NASW_FNV_OFFSET, buf, (size_t)len - sizeof h))
            st = nasw_errorf(NASW_EPARSE, "checkpoint '%.200s' is truncated or corrupt (checksum differs)", path);
        else if (!any_settings && hd->settings != settings)
            st = nasw_errorf(NASW_EINVAL, "checkpoint '%.200s' was made with other training settings", path);
    }
    if (st) free(buf);
    else *data = buf;
    return st;
}

int train_checkpoint_info(const char *path, uint64_t *settings, int *epoch)
{
    char *data;
    struct ckpt_head hd;
    int st = ckpt_read(path, 0, 1, &data, &hd);
    free(data);
    *settings = st ? 0 : hd.settings;
    *epoch = st ? 0 : (int)hd.epoch;
    return st;
}

int train_run_load(struct train_run *t, const char *path, uint64_t settings)
{
    char *data;
    struct ckpt_head hd;
    int st = ckpt_read(path, settings, 0, &data, &hd);
    if (st) return st;
    struct cnn *n = t->n;
    size_t np = cnn_num_params(n), ns = cnn_num_stats(n), rb;
    void *rs = rng_state(t->r, &rb);
    long steps_per_epoch = (t->d->n_train + t->cfg->batch - 1) / t->cfg->batch;
    if (hd.nparams != np || hd.nstats != ns || hd.rng_bytes != rb || hd.n_order != (uint64_t)t->d->n_train ||
        hd.epoch < 1 || hd.epoch > (uint64_t)t->cfg->epochs || hd.step != hd.epoch * (uint64_t)steps_per_epoch) {
        free(data);
        return nasw_errorf(NASW_EINVAL, "checkpoint '%.200s' does not fit this network and data", path);
    }
    const char *p = data + sizeof hd;
    memcpy(cnn_params(n), p, np * sizeof(float)), p += np * sizeof(float);
    memcpy(cnn_grads(n), p, np * sizeof(float)), p += np * sizeof(float);
    memcpy(cnn_moments(n), p, np * sizeof(float)), p += np * sizeof(float);
    memcpy(cnn_stats(n), p, ns * sizeof(float)), p += ns * sizeof(float);
    memcpy(rs, p, rb), p += rb;
    memcpy(t->order, p, (size_t)t->d->n_train * sizeof(int));
    free(data);
    /* indices in range, or the batches would read past the data (the
     * checksum guards against damage, not against a crafted file) */
    for (int i = 0; i < t->d->n_train; i++)
        if (t->order[i] < 0 || t->order[i] >= t->d->n_train)
            return nasw_errorf(NASW_EPARSE, "checkpoint '%.200s' is corrupt (batch order)", path);
    t->epoch = (int)hd.epoch;
    t->step = (long)hd.step;
    t->res.epochs_done = t->epoch;
    t->res.failed = 0;
    t->res.seconds = hd.seconds;
    t->res.val_acc = hd.val_acc;
    t->res.test_acc = hd.test_acc;
    t->res.train_acc = hd.train_acc;
    t->res.val_loss = hd.val_loss;
    t->res.test_loss = hd.test_loss;
    return NASW_OK;
}
