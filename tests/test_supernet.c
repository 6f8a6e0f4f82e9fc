/*
 * tests/test_supernet.c - the weight-sharing supernet (train/supernet.h):
 * weight and (first- and second-order) architecture gradients against
 * central finite differences on a tiny supernet, the Gumbel and path
 * forwards against each other, determinism, and checkpoint continuation
 * bit for bit.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/arch.h"
#include "core/rng.h"
#include "core/status.h"
#include "train/idx.h"
#include "train/supernet.h"
#include "train/trainer.h"

enum { BATCH = 4, RES = 8 };

struct fixture {
    struct space *s;
    struct supernet *n;
    struct rng *r;
    float x[2 * BATCH * RES * RES];   /* a training batch, then a validation batch */
    int y[2 * BATCH];
    struct arch cell;
};

static struct supernet *tiny(const struct space *s, uint64_t seed, int epochs)
{
    struct supernet_config c;
    supernet_config_default(&c);
    c.C = 4, c.N = 1, c.H = c.W = RES, c.batch = BATCH, c.epochs = epochs;
    struct supernet *n;
    assert_int_equal(supernet_new(&n, s, &c, seed), 0);
    return n;
}

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof *f);
    assert_non_null(f);
    assert_int_equal(space_cell_new(&f->s, 4, arch_nb201_ops, 5), 0);
    f->n = tiny(f->s, 3, 4);
    f->r = rng_new(11);
    for (int i = 0; i < 2 * BATCH * RES * RES; i++) f->x[i] = (float)rng_gaussian(f->r, 1.0);
    for (int i = 0; i < 2 * BATCH; i++) f->y[i] = (int)rng_int(f->r, 10);
    /* BN affine parameters off 1/0 and logits off 0, so that every term matters */
    float *p = supernet_params(f->n);
    for (size_t i = 0; i < supernet_num_params(f->n); i++) p[i] += (float)rng_gaussian(f->r, 0.05);
    double *a = supernet_alpha(f->n);
    for (int i = 0; i < supernet_num_alpha(f->n); i++) a[i] = rng_gaussian(f->r, 0.5);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    supernet_free(f->n);
    rng_free(f->r);
    space_free(f->s);
    free(f);
    return 0;
}

/* Directional derivative of the weights' gradient on a path (every op kind
 * in the cell): the central difference of L(p + h v) against g . v, v = g
 * plus noise (test_cnn.c's check).  This tiny network (BN over 4 images of
 * 8x8) is strongly curved along g: the central difference's h^2 error is
 * 8% at h = 1e-3 and 0.06% at 1e-4 on the stem's 1x1 edges, so the
 * differences at h and h/2 are combined by Richardson extrapolation
 * (4 D(h/2) - D(h)) / 3, which cancels the h^2 term.  (The mixed mode's
 * backward is what the architecture gradient below runs through.) */
static void weight_gradients(struct fixture *f)
{
    struct supernet *n = f->n;
    size_t np = supernet_num_params(n);
    float *p = supernet_params(n);
    supernet_set_path(n, &f->cell);
    supernet_forward(n, f->x, f->y, BATCH, 1, NULL);
    supernet_backward(n, NULL);
    float *g = malloc(np * sizeof *g), *p0 = malloc(np * sizeof *p0), *v = malloc(np * sizeof *v);
    memcpy(g, supernet_grads(n), np * sizeof *g);
    memcpy(p0, p, np * sizeof *p0);
    double worst = 0, gg = 0;
    for (size_t i = 0; i < np; i++) gg += (double)g[i] * g[i];
    for (int dir = 0; dir < 6; dir++) {
        double gv = 0, h = 1e-4, l[4];
        for (size_t i = 0; i < np; i++) {
            v[i] = g[i] + (float)rng_gaussian(f->r, 0.5 * sqrt(gg / (double)np));
            gv += (double)g[i] * v[i];
        }
        for (int side = 0; side < 4; side++) {
            double step = (side & 1 ? -h : h) / (side < 2 ? 1 : 2);
            for (size_t i = 0; i < np; i++) p[i] = p0[i] + (float)(step * v[i]);
            l[side] = supernet_forward(n, f->x, f->y, BATCH, 1, NULL);
        }
        memcpy(p, p0, np * sizeof *p0);
        double d1 = (l[0] - l[1]) / (2 * h), d2 = (l[2] - l[3]) / h;
        double rel = fabs((4 * d2 - d1) / 3 - gv) / fabs(gv);
        if (rel > worst) worst = rel;
    }
    print_message("supernet weight gradient: worst relative error %.2e\n", worst);
    assert_true(worst < 2e-2);
    free(g);
    free(p0);
    free(v);
}

static void test_weight_gradients(void **state)
{
    struct fixture *f = *state;
    const char *cells[] = {"|nor_conv_3x3~0|+|avg_pool_3x3~0|skip_connect~1|+|nor_conv_1x1~0|none~1|nor_conv_3x3~2|",
                           "|nor_conv_3x3~0|+|nor_conv_1x1~0|nor_conv_3x3~1|+|nor_conv_3x3~0|nor_conv_1x1~1|nor_conv_3x3~2|"};
    for (int i = 0; i < 2; i++) {
        assert_int_equal(arch_parse(f->s, cells[i], &f->cell), 0);
        weight_gradients(f);
    }
}

/* L_val under the mixed weights of the current logits. */
static double val_loss(struct fixture *f)
{
    supernet_set_mixed(f->n);
    return supernet_forward(f->n, f->x + BATCH * RES * RES, f->y + BATCH, BATCH, 1, NULL);
}

/* g . v against the central difference of the validation loss along v in
 * the logits; returns the relative error. */
static double arch_check(struct fixture *f, const double *g, double h)
{
    struct supernet *n = f->n;
    int na = supernet_num_alpha(n);
    double *a = supernet_alpha(n), *a0 = malloc(na * sizeof *a0), *v = malloc(na * sizeof *v);
    memcpy(a0, a, na * sizeof *a0);
    double gg = 0, gv = 0, l[4];
    for (int i = 0; i < na; i++) gg += g[i] * g[i];
    for (int i = 0; i < na; i++) {
        v[i] = g[i] + rng_gaussian(f->r, 0.5 * sqrt(gg / na));
        gv += g[i] * v[i];
    }
    for (int side = 0; side < 4; side++) { /* Richardson, as for the weights */
        double step = (side & 1 ? -h : h) / (side < 2 ? 1 : 2);
        for (int i = 0; i < na; i++) a[i] = a0[i] + step * v[i];
        l[side] = val_loss(f);
    }
    memcpy(a, a0, na * sizeof *a0);
    free(a0);
    free(v);
    double d1 = (l[0] - l[1]) / (2 * h), d2 = (l[2] - l[3]) / h;
    return fabs((4 * d2 - d1) / 3 - gv) / fabs(gv);
}

static void test_arch_gradient_first_order(void **state)
{
    struct fixture *f = *state;
    int na = supernet_num_alpha(f->n);
    double *g = malloc(na * sizeof *g), worst = 0;
    assert_int_equal(supernet_arch_grad(f->n, f->x + BATCH * RES * RES, f->y + BATCH, BATCH, g), 0);
    for (int dir = 0; dir < 4; dir++) {
        double rel = arch_check(f, g, 1e-3);
        if (rel > worst) worst = rel;
    }
    print_message("first-order architecture gradient: worst relative error %.2e\n", worst);
    assert_true(worst < 2e-2);
    free(g);
}

/* --- DARTS' second order ------------------------------------------------
 *
 * f(alpha) = L_val(w - xi (dL_train(w, alpha)/dw + wd w), alpha): the
 * weights unrolled inside f, the fixture's training batch then its
 * validation batch, BN on batch statistics in both passes (the running
 * ones do not enter a training-mode forward), as supernet_arch_grad2. */
static double unrolled_loss(struct supernet *n, const float *x, const int *y, double xi, double wd)
{
    size_t np = supernet_num_params(n);
    float *p = supernet_params(n), *p0 = malloc(np * sizeof *p0);
    memcpy(p0, p, np * sizeof *p0);
    supernet_set_mixed(n);
    supernet_forward(n, x, y, BATCH, 1, NULL);
    supernet_backward(n, NULL);
    const float *g = supernet_grads(n);
    for (size_t i = 0; i < np; i++) p[i] = (float)(p0[i] - xi * (g[i] + wd * p0[i]));
    double l = supernet_forward(n, x + BATCH * RES * RES, y + BATCH, BATCH, 1, NULL);
    memcpy(p, p0, np * sizeof *p0);
    free(p0);
    return l;
}

/* df/dalpha_k for every logit k, robust to the ReLU kinks.  f is only
 * piecewise smooth: dL_train/dw, inside f, jumps where a unit of the
 * training pass crosses zero (a ReLU network's gradient is discontinuous
 * there), and a tiny network has units close enough to zero that some
 * logit's stencil straddles one.  So f is sampled at alpha_k + j h,
 * j = -4..4, and the slope is fitted (least squares, a quadratic) on the
 * side(s) of 0 whose four differences agree within tau: a jump larger
 * than tau h shows up as an outlier there, a smaller one moves the fitted
 * slope by less than tau.  A logit whose both sides jump is left out
 * (NAN). */
static void unrolled_fd(struct supernet *n, const float *x, const int *y, double xi, double wd, double h, double tau,
                        double *out)
{
    int na = supernet_num_alpha(n);
    double *a = supernet_alpha(n);
    for (int k = 0; k < na; k++) {
        double a0 = a[k], l[9], d[8];
        for (int j = 0; j < 9; j++) {
            a[k] = a0 + (j - 4) * h;
            l[j] = unrolled_loss(n, x, y, xi, wd);
        }
        a[k] = a0;
        for (int j = 0; j < 8; j++) d[j] = (l[j + 1] - l[j]) / h;
        int clean[2];
        for (int side = 0; side < 2; side++) {
            double lo = INFINITY, hi = -INFINITY;
            for (int j = 4 * side; j < 4 * side + 4; j++) lo = fmin(lo, d[j]), hi = fmax(hi, d[j]);
            clean[side] = hi - lo <= tau;
        }
        /* the fitted quadratic's slope at 0 over points j0..j1 (offsets t = j - 4) */
        int j0 = clean[0] ? 0 : 4, j1 = clean[1] ? 8 : 4;
        if (j0 == j1) {
            out[k] = NAN;
            continue;
        }
        double S[5] = {0}, T[3] = {0};
        for (int j = j0; j <= j1; j++) {
            double t = j - 4, p = 1;
            for (int e = 0; e < 5; e++, p *= t) S[e] += p;
            T[0] += l[j], T[1] += t * l[j], T[2] += t * t * l[j];
        }
        /* normal equations of c0 + c1 t + c2 t^2, solved for c1 (Cramer) */
        double A[3][3] = {{S[0], S[1], S[2]}, {S[1], S[2], S[3]}, {S[2], S[3], S[4]}};
        double det = A[0][0] * (A[1][1] * A[2][2] - A[1][2] * A[2][1]) - A[0][1] * (A[1][0] * A[2][2] - A[1][2] * A[2][0]) +
                     A[0][2] * (A[1][0] * A[2][1] - A[1][1] * A[2][0]);
        double d1 = A[0][0] * (T[1] * A[2][2] - A[1][2] * T[2]) - T[0] * (A[1][0] * A[2][2] - A[1][2] * A[2][0]) +
                    A[0][2] * (A[1][0] * T[2] - T[1] * A[2][0]);
        out[k] = d1 / det / h;
    }
}

static double dist(const double *a, const double *b, int n)
{
    double s = 0;
    for (int i = 0; i < n; i++)
        if (!isnan(a[i]) && !isnan(b[i])) s += (a[i] - b[i]) * (a[i] - b[i]);
    return sqrt(s);
}

/* DARTS' second-order architecture gradient against unrolled_fd().
 *
 * The code's difference w +- eps v of dL_train/dalpha has two errors: the
 * O(r^2) truncation (r = eps |v|, the radius) and, when the radius
 * reaches a ReLU kink of the training pass, a jump divided by 2 eps.  On
 * this tiny network a unit sits near zero (three logits' stencils
 * straddle it too): DARTS' radius 0.01 crosses it and is off by a multiple
 * of the term, so the radius is quartered from 0.01 until two successive
 * gradients agree within the reference's resolution (no kink left inside,
 * truncation below it), and that gradient is checked.  Tolerances, from
 * the float32 loss's rounding: a loss carries <= 2 ulp, so four
 * differences of a smooth side spread by <= tau = 8 ulp / h; a fitted
 * slope is then off by <= tau (an undetected jump) + tau / 4 (rounding)
 * per logit, sqrt(n) times that in norm, plus the code's own error
 * (|g(r) - g(r/4)|).  xi = 0.2 makes the second-order term several times
 * that tolerance (DARTS' 0.025 would make it about the size of it), and
 * the test checks that dropping the term or flipping its sign fails. */
static void test_arch_gradient_second_order(void **state)
{
    struct fixture *f = *state;
    struct supernet *n = f->n;
    const float *xv = f->x + BATCH * RES * RES;
    const int *yv = f->y + BATCH;
    struct supernet_config c;
    supernet_config_default(&c);
    int na = supernet_num_alpha(n);
    size_t np = supernet_num_params(n);
    double xi = 0.2, wd = c.weight_decay, h = 1e-4;
    double *g = malloc(na * sizeof *g), *gq = malloc(na * sizeof *gq), *g1 = malloc(na * sizeof *g1);
    double *ref = malloc(na * sizeof *ref), *flip = malloc(na * sizeof *flip);
    float *p0 = malloc(np * sizeof *p0), *p = supernet_params(n);
    memcpy(p0, p, np * sizeof *p0);
    float l0 = (float)unrolled_loss(n, f->x, f->y, xi, wd);
    double tau = 8 * (double)(nextafterf(fabsf(l0), INFINITY) - fabsf(l0)) / h;
    unrolled_fd(n, f->x, f->y, xi, wd, h, tau, ref);
    int used = 0;
    for (int i = 0; i < na; i++) used += !isnan(ref[i]);
    assert_true(4 * used >= 3 * na); /* the reference covers most logits */
    double res = sqrt(used) * 1.25 * tau;
    /* the first term alone, dL_val/dalpha at the unrolled weights */
    supernet_set_mixed(n);
    supernet_forward(n, f->x, f->y, BATCH, 1, NULL);
    supernet_backward(n, NULL);
    const float *gw = supernet_grads(n);
    for (size_t i = 0; i < np; i++) p[i] = (float)(p0[i] - xi * (gw[i] + wd * p0[i]));
    assert_int_equal(supernet_arch_grad(n, xv, yv, BATCH, g1), 0);
    memcpy(p, p0, np * sizeof *p0);
    double r = c.hvp_radius, conv = INFINITY;
    supernet_set_hvp_radius(n, r);
    assert_int_equal(supernet_arch_grad2(n, f->x, f->y, BATCH, xv, yv, BATCH, xi, g), 0);
    assert_memory_equal(p0, p, np * sizeof *p0); /* the weights restored bit for bit */
    for (; r > 1e-6; r /= 4) {
        supernet_set_hvp_radius(n, r / 4);
        assert_int_equal(supernet_arch_grad2(n, f->x, f->y, BATCH, xv, yv, BATCH, xi, gq), 0);
        conv = dist(g, gq, na);
        print_message("second order: radius %.1e, |g(r) - g(r/4)| %.2e\n", r, conv);
        if (conv <= res) break;
        memcpy(g, gq, na * sizeof *g);
    }
    assert_true(conv <= res); /* the difference converged before rounding took over */
    for (int i = 0; i < na; i++) flip[i] = 2 * g1[i] - g[i];
    double tol = res + conv, err = dist(g, ref, na);
    print_message("second order (xi %g, radius %.1e): |g - fd| %.2e, tolerance %.2e; |term| %.2e, "
                  "without it %.2e, flipped %.2e\n", xi, r, err, tol, dist(g, g1, na), dist(g1, ref, na),
                  dist(flip, ref, na));
    assert_true(err <= tol);
    assert_true(dist(g1, ref, na) > tol);   /* the test sees a dropped term */
    assert_true(dist(flip, ref, na) > tol); /* and a flipped one */
    free(g), free(gq), free(g1), free(ref), free(flip), free(p0);
}

/* A Gumbel forward is the path forward of its hard sample, and its logit
 * gradient is J_softmax(h)^T dL/dw / tau: per edge it sums to zero, and
 * it is not zero. */
static void test_gumbel(void **state)
{
    struct fixture *f = *state;
    struct supernet *n = f->n;
    int na = supernet_num_alpha(n), K = f->s->n_ops;
    double *g = malloc(na * sizeof *g);
    supernet_set_gumbel(n, 0.5);
    float lg = supernet_forward(n, f->x, f->y, BATCH, 0, NULL);
    supernet_backward(n, g);
    struct arch a;
    supernet_sampled(n, &a);
    supernet_set_path(n, &a);
    float lp = supernet_forward(n, f->x, f->y, BATCH, 0, NULL);
    assert_true(lg == lp);
    double sum = 0, mag = 0;
    for (int e = 0; e < f->s->n_dims; e++) {
        double s = 0;
        for (int k = 0; k < K; k++) s += g[e * K + k], mag += fabs(g[e * K + k]);
        sum += fabs(s);
    }
    assert_true(mag > 0);
    assert_true(sum < 1e-12 * mag * na);
    free(g);
}

/* The same seed gives the same weights and logits bit for bit after a
 * DARTS epoch; a second seed does not. */
static void run_epochs(struct supernet *n, const struct supernet_data *d, int from, int to, int mode, int order)
{
    struct oneshot_epoch e = {.mode = mode, .arch_step = order, .tau = 1.0};
    for (int ep = from; ep < to; ep++) assert_int_equal(supernet_epoch(n, d, &e, NULL), 0);
}

static void synthetic(struct rng *r, float *x, int *y, int count)
{
    for (int i = 0; i < count; i++) {
        y[i] = (int)rng_int(r, 10);
        for (int j = 0; j < RES * RES; j++) x[i * RES * RES + j] = (float)rng_gaussian(r, 1.0) + 0.3f * (float)y[i];
    }
}

static void test_determinism_and_resume(void **state)
{
    struct fixture *f = *state;
    enum { NT = 24, NV = 12 };
    float xt[NT * RES * RES], xv[NV * RES * RES];
    int yt[NT], yv[NV];
    synthetic(f->r, xt, yt, NT);
    synthetic(f->r, xv, yv, NV);
    struct supernet_data d = {.x_train = xt, .y_train = yt, .n_train = NT, .x_val = xv, .y_val = yv, .n_val = NV};
    int modes[][2] = {{ONESHOT_MIXED, 1}, {ONESHOT_MIXED, 2}, {ONESHOT_GUMBEL, 1}, {ONESHOT_PATH, 0}};
    char path[] = "/tmp/nasw-supernet-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    for (int m = 0; m < 4; m++) {
        struct supernet *a = tiny(f->s, 5, 3), *b = tiny(f->s, 5, 3), *c = tiny(f->s, 6, 3);
        run_epochs(a, &d, 0, 3, modes[m][0], modes[m][1]);
        /* b: one epoch, a checkpoint, a fresh supernet loads it and goes on */
        run_epochs(b, &d, 0, 1, modes[m][0], modes[m][1]);
        /* with the strategy's state (aux) riding along */
        const char blob[] = "the strategy's state";
        assert_int_equal(supernet_save(b, path, 42, blob, sizeof blob), 0);
        supernet_free(b);
        b = tiny(f->s, 5, 3);
        assert_int_equal(supernet_load(b, path, 43, NULL, NULL), NASW_EINVAL);
        void *aux = NULL;
        size_t aux_len = 0;
        assert_int_equal(supernet_load(b, path, 42, &aux, &aux_len), 0);
        assert_int_equal(aux_len, sizeof blob);
        assert_memory_equal(aux, blob, sizeof blob);
        free(aux);
        assert_int_equal(supernet_epochs_done(b), 1);
        run_epochs(b, &d, 1, 3, modes[m][0], modes[m][1]);
        run_epochs(c, &d, 0, 3, modes[m][0], modes[m][1]);
        size_t np = supernet_num_params(a);
        int na = supernet_num_alpha(a);
        assert_memory_equal(supernet_params(a), supernet_params(b), np * sizeof(float));
        assert_memory_equal(supernet_alpha(a), supernet_alpha(b), na * sizeof(double));
        assert_memory_not_equal(supernet_params(a), supernet_params(c), np * sizeof(float));
        if (modes[m][0] != ONESHOT_PATH) /* the logits moved */
            for (int i = 0; i < na; i++) assert_true(supernet_alpha(a)[i] != 0);
        supernet_free(a);
        supernet_free(b);
        supernet_free(c);
    }
    /* a damaged checkpoint is refused */
    FILE *fp = fopen(path, "r+b");
    assert_non_null(fp);
    fseek(fp, 100, SEEK_SET);
    fputc(0x5a, fp);
    fclose(fp);
    struct supernet *b = tiny(f->s, 5, 3);
    assert_int_equal(supernet_load(b, path, 42, NULL, NULL), NASW_EPARSE);
    /* another layout (an older nasw's): refused as such */
    fp = fopen(path, "r+b");
    assert_non_null(fp);
    fseek(fp, 8, SEEK_SET);
    fputc(1, fp);
    fclose(fp);
    assert_int_equal(supernet_load(b, path, 42, NULL, NULL), NASW_EINVAL);
    assert_non_null(strstr(nasw_errmsg(), "written by another nasw version (layout 1, not 2)"));
    supernet_free(b);
    remove(path);
}

/* Scoring a cell leaves the supernet's weights as they were and repeats. */
static void test_score(void **state)
{
    struct fixture *f = *state;
    struct supernet *n = f->n;
    enum { NT = 16, NV = 16 };
    float xt[NT * RES * RES], xv[NV * RES * RES];
    int yt[NT], yv[NV];
    synthetic(f->r, xt, yt, NT);
    synthetic(f->r, xv, yv, NV);
    struct supernet_data d = {.x_train = xt, .y_train = yt, .n_train = NT, .x_val = xv, .y_val = yv, .n_val = NV};
    struct arch a;
    assert_int_equal(arch_parse(f->s, "|nor_conv_3x3~0|+|avg_pool_3x3~0|skip_connect~1|+|nor_conv_1x1~0|none~1|nor_conv_3x3~2|", &a), 0);
    size_t np = supernet_num_params(n);
    float *p0 = malloc(np * sizeof *p0);
    memcpy(p0, supernet_params(n), np * sizeof *p0);
    double s1 = supernet_score(n, &d, &a, 2, 0);
    assert_memory_equal(p0, supernet_params(n), np * sizeof *p0);
    double s2 = supernet_score(n, &d, &a, 2, 0);
    assert_true(s1 == s2);
    assert_true(s1 >= 0 && s1 <= 100);
    free(p0);
}

/* The live bench's supernet (supernet_oneshot_new) on a small Fashion-MNIST
 * subset: a search killed after 1 of 2 epochs resumes from its checkpoint
 * and ends where an uninterrupted one does (same derived cell, same
 * scores to the bit); another tag does not pick the checkpoint up; a
 * damaged checkpoint is refused. */
static void run_oneshot(struct oneshot *o, int epochs)
{
    struct oneshot_epoch e = {.mode = ONESHOT_MIXED, .arch_step = 1};
    for (int i = 0; i < epochs; i++) assert_int_equal(o->ops->epoch(o, &e), NASW_OK);
}

static void test_oneshot_resume(void **state)
{
    struct fixture *f = *state;
    const char *fm = fmnist_dir();
    char probe[4200];
    snprintf(probe, sizeof probe, "%s/train-images-idx3-ubyte.gz", fm);
    if (access(probe, R_OK) != 0) {
        printf("skip: Fashion-MNIST not found in '%s' (install dataset-fashion-mnist)\n", fm);
        skip();
    }
    struct train_config cfg;
    assert_int_equal(train_preset(&cfg, "micro"), NASW_OK);
    cfg.train_size = 128, cfg.val_size = 64, cfg.test_size = 64;
    struct train_data *data;
    assert_int_equal(train_data_new(&data, &cfg, fm), NASW_OK);
    char dir[] = "/tmp/nasw-test-supernet.XXXXXX", journal[64];
    assert_non_null(mkdtemp(dir));
    snprintf(journal, sizeof journal, "%s/j.csv", dir);
    struct oneshot_opts opts = {.epochs = 2, .seed = 9, .tag = "darts test", .bn_batches = 1, .eval_images = 50};
    struct oneshot *a, *b;
    const char *cells[] = {"|nor_conv_3x3~0|+|avg_pool_3x3~0|skip_connect~1|+|nor_conv_1x1~0|none~1|nor_conv_3x3~2|",
                           "|skip_connect~0|+|nor_conv_1x1~0|nor_conv_3x3~1|+|none~0|avg_pool_3x3~1|nor_conv_1x1~2|"};
    assert_int_equal(supernet_oneshot_new(f->s, &cfg, data, NULL, &opts, &a), NASW_OK);
    run_oneshot(a, 2);
    assert_int_equal(supernet_oneshot_new(f->s, &cfg, data, journal, &opts, &b), NASW_OK);
    run_oneshot(b, 1);
    oneshot_free(b); /* killed */
    assert_int_equal(supernet_oneshot_new(f->s, &cfg, data, journal, &opts, &b), NASW_OK);
    assert_int_equal(b->epochs_done, 1);
    assert_true(b->seconds > 0);
    run_oneshot(b, 1);
    struct arch da, db;
    a->ops->derive(a, &da);
    b->ops->derive(b, &db);
    assert_true(arch_equal(&da, &db));
    for (int i = 0; i < 2; i++) {
        struct arch c;
        double sa, sb;
        assert_int_equal(arch_parse(f->s, cells[i], &c), NASW_OK);
        assert_int_equal(a->ops->score(a, &c, &sa), NASW_OK);
        assert_int_equal(b->ops->score(b, &c, &sb), NASW_OK);
        assert_true(sa == sb);
    }
    oneshot_free(b);
    /* another search (tag): from scratch */
    struct oneshot_opts other = opts;
    other.tag = "gdas test";
    assert_int_equal(supernet_oneshot_new(f->s, &cfg, data, journal, &other, &b), NASW_OK);
    assert_int_equal(b->epochs_done, 0);
    oneshot_free(b);
    /* the checkpoint damaged: refused */
    DIR *d = opendir(dir);
    assert_non_null(d);
    struct dirent *de;
    char path[4400];
    int found = 0;
    while ((de = readdir(d)))
        if (strstr(de->d_name, ".ckpt")) {
            snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
            FILE *fp = fopen(path, "r+b");
            assert_non_null(fp);
            fseek(fp, 200, SEEK_SET);
            fputc(0x5a, fp);
            fclose(fp);
            found = 1;
        }
    closedir(d);
    assert_int_equal(found, 1);
    assert_int_equal(supernet_oneshot_new(f->s, &cfg, data, journal, &opts, &b), NASW_EPARSE);
    remove(path);
    rmdir(dir);
    oneshot_free(a);
    train_data_free(data);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_weight_gradients),
        cmocka_unit_test(test_arch_gradient_first_order),
        cmocka_unit_test(test_arch_gradient_second_order),
        cmocka_unit_test(test_gumbel),
        cmocka_unit_test(test_determinism_and_resume),
        cmocka_unit_test(test_score),
        cmocka_unit_test(test_oneshot_resume),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
