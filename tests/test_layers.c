/*
 * tests/test_layers.c - every hand-written backward of train/layers.c
 * against central finite differences.
 *
 * Each check builds a scalar loss L = sum(out * R) with a fixed random R,
 * computes the analytic gradient with the backward (which accumulates, so
 * the buffers start at zero... and a second call must double them), and
 * compares with (L(x+h) - L(x-h)) / 2h for every input element.  Float
 * arithmetic limits the agreement: we require a relative error (norm of the
 * difference over norm of the gradient) below 1e-2, while a wrong backward
 * (a missing term, a transposed index) gives errors of order 1.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "train/layers.h"

static uint64_t lcg = 88172645463325252ULL;
static float frand(void)
{
    lcg ^= lcg << 13;
    lcg ^= lcg >> 7;
    lcg ^= lcg << 17;
    return (float)((lcg >> 11) * (1.0 / 9007199254740992.0)) * 2.0f - 1.0f;
}
static float *rnd(size_t n)
{
    float *p = malloc(n * sizeof *p);
    for (size_t i = 0; i < n; i++) p[i] = frand();
    return p;
}
static float *zeros(size_t n) { return calloc(n, sizeof(float)); }

/* A layer under test: forward into out from the current inputs. */
typedef void (*fwd_fn)(void *ctx, float *out);

static double loss_of(fwd_fn f, void *ctx, float *out, const float *R, size_t nout)
{
    f(ctx, out);
    double L = 0;
    for (size_t i = 0; i < nout; i++) L += (double)out[i] * R[i];
    return L;
}

/* Compare analytic gradient g of L w.r.t. x (n elements) with finite differences. */
static double fd_check(fwd_fn f, void *ctx, float *x, const float *g, size_t n, float *out,
                       const float *R, size_t nout, float h)
{
    double num = 0, den = 0;
    for (size_t i = 0; i < n; i++) {
        float save = x[i];
        x[i] = save + h;
        double lp = loss_of(f, ctx, out, R, nout);
        x[i] = save - h;
        double lm = loss_of(f, ctx, out, R, nout);
        x[i] = save;
        double fd = (lp - lm) / (2.0 * h);
        num += (fd - g[i]) * (fd - g[i]);
        den += fd * fd;
    }
    return sqrt(num / (den > 1e-30 ? den : 1e-30));
}

/* --- convolution --- */
struct conv_ctx {
    struct conv_dims d;
    float *in, *w, *col;
};
static void conv_fwd(void *c, float *out)
{
    struct conv_ctx *x = c;
    conv_forward(out, x->in, x->w, &x->d, x->col);
}

/* Direct convolution in the (C,B,H,W) layout, in double: the reference
 * that pins down the layout and the chunking (the finite differences only
 * check that the backward matches the forward). */
static double conv_ref(const float *in, const float *w, const struct conv_dims *d, int co, int b, int y,
                       int x)
{
    double s = 0;
    for (int ci = 0; ci < d->Ci; ci++)
        for (int ky = 0; ky < d->K; ky++)
            for (int kx = 0; kx < d->K; kx++) {
                int iy = y * d->stride - d->pad + ky, ix = x * d->stride - d->pad + kx;
                if (iy < 0 || iy >= d->H || ix < 0 || ix >= d->W) continue;
                s += (double)w[((co * d->Ci + ci) * d->K + ky) * d->K + kx] *
                     in[(((size_t)ci * d->B + b) * d->H + iy) * d->W + ix];
            }
    return s;
}

/* Track the largest |got - ref| and the largest |ref| */
static void track_err(double got, double ref, double *worst, double *big)
{
    if (fabs(got - ref) > *worst) *worst = fabs(got - ref);
    if (fabs(ref) > *big) *big = fabs(ref);
}

/* The weight gradient, directly in double: dw[co][ci][ky][kx] = sum over
 * images and output pixels of dout * the input pixel that weight saw.
 * Returns the largest |dw - direct| over the largest |direct|. */
static double check_dw_ref(const float *dw, const float *dout, const float *in, const struct conv_dims *d)
{
    double worst = 0, big = 0;
    for (int co = 0; co < d->Co; co++)
        for (int ci = 0; ci < d->Ci; ci++)
            for (int ky = 0; ky < d->K; ky++)
                for (int kx = 0; kx < d->K; kx++) {
                    double r = 0;
                    for (int b = 0; b < d->B; b++)
                        for (int y = 0; y < d->Ho; y++)
                            for (int x = 0; x < d->Wo; x++) {
                                int iy = y * d->stride - d->pad + ky, ix = x * d->stride - d->pad + kx;
                                if (iy < 0 || iy >= d->H || ix < 0 || ix >= d->W) continue;
                                r += (double)dout[(((size_t)co * d->B + b) * d->Ho + y) * d->Wo + x] *
                                     in[(((size_t)ci * d->B + b) * d->H + iy) * d->W + ix];
                            }
                    track_err(dw[((co * d->Ci + ci) * d->K + ky) * d->K + kx], r, &worst, &big);
                }
    return worst / (big > 0 ? big : 1);
}

/* Largest |out - direct| over largest |direct|: 1e-4 absolute for every
 * path; Winograd adds its own relative bound */
static double check_conv_ref(const float *out, const float *in, const float *w, const struct conv_dims *d)
{
    double worst = 0, big = 0;
    for (int co = 0; co < d->Co; co++)
        for (int b = 0; b < d->B; b++)
            for (int y = 0; y < d->Ho; y++)
                for (int x = 0; x < d->Wo; x++) {
                    track_err(out[(((size_t)co * d->B + b) * d->Ho + y) * d->Wo + x], conv_ref(in, w, d, co, b, y, x),
                              &worst, &big);
                }
    assert_true(worst < 1e-4);
    return worst / (big > 0 ? big : 1);
}

#define WINO4 2 /* check_conv_algo: Winograd F(4x4,3x3) */

/* chunk_floats > 0 overrides the default chunk (several chunks per
 * thread); W = H unless W > 0; algo: CONV_IM2COL, CONV_WINOGRAD (F(2x2,3x3))
 * or WINO4 */
static void check_conv_algo(int B, int Ci, int H, int W, int Co, int K, int S, int P, size_t chunk_floats,
                            int algo)
{
    struct conv_ctx c;
    conv_dims_init(&c.d, B, Ci, H, W > 0 ? W : H, Co, K, S, P);
    c.d.wino = algo != CONV_IM2COL;
    c.d.wm = algo == WINO4 ? 4 : 2;
    conv_dims_chunk(&c.d, chunk_floats ? chunk_floats : 256 * 1024);
    H = c.d.H;
    W = c.d.W;
    size_t nin = (size_t)B * Ci * H * W, nw = (size_t)Co * Ci * K * K;
    size_t nout = (size_t)B * Co * c.d.Ho * c.d.Wo;
    c.in = rnd(nin);
    c.w = rnd(nw);
    c.col = malloc(conv_col_size(&c.d) * sizeof(float) + 1);
    float *out = zeros(nout), *R = rnd(nout), *din = zeros(nin), *dw = zeros(nw);
    conv_forward(out, c.in, c.w, &c.d, c.col);
    double rel = check_conv_ref(out, c.in, c.w, &c.d);
    if (algo == CONV_WINOGRAD) assert_true(rel < 2e-6);
    if (algo == WINO4) assert_true(rel < 1e-5); /* larger transform coefficients */
    conv_backward(din, dw, R, c.in, c.w, &c.d, c.col);
    assert_true(check_dw_ref(dw, R, c.in, &c.d) < 1e-5);
    assert_true(fd_check(conv_fwd, &c, c.in, din, nin, out, R, nout, 1e-2f) < 1e-2);
    assert_true(fd_check(conv_fwd, &c, c.w, dw, nw, out, R, nout, 1e-2f) < 1e-2);
    /* the _set variant overwrites din (here full of garbage) with the same gradient */
    float *dset = rnd(nin), *dw2 = zeros(nw);
    conv_backward_set(dset, dw2, R, c.in, c.w, &c.d, c.col);
    for (size_t i = 0; i < nin; i++) assert_true(fabsf(dset[i] - din[i]) <= 1e-5f * (1 + fabsf(din[i])));
    for (size_t i = 0; i < nw; i++) assert_true(dw2[i] == dw[i]);
    free(dset);
    free(dw2);
    /* backward accumulates: a second call doubles the gradients */
    float d0 = din[nin / 2], w0 = dw[nw / 2];
    conv_backward(din, dw, R, c.in, c.w, &c.d, c.col);
    assert_true(fabsf(din[nin / 2] - 2 * d0) <= 1e-5f * (1 + fabsf(d0)));
    assert_true(fabsf(dw[nw / 2] - 2 * w0) <= 1e-5f * (1 + fabsf(w0)));
    free(c.in);
    free(c.w);
    free(c.col);
    free(out);
    free(R);
    free(din);
    free(dw);
}

/* Wide layers (more than one block of the weight transforms, Ci or Co >
 * 64), too big for finite differences: the forward and the weight
 * gradient against the direct references, the input gradient against
 * im2col's (itself checked by finite differences above). */
static void check_conv_wide(int Ci, int H, int Co, int wm)
{
    struct conv_dims d, di;
    conv_dims_init(&d, 2, Ci, H, H, Co, 3, 1, 1);
    di = d;
    d.wino = 1;
    d.wm = wm;
    conv_dims_chunk(&d, 256 * 1024);
    di.wino = 0;
    size_t nin = (size_t)2 * Ci * H * H, nw = (size_t)Co * Ci * 9, nout = (size_t)2 * Co * H * H;
    float *in = rnd(nin), *w = rnd(nw), *R = rnd(nout), *out = zeros(nout);
    float *din = zeros(nin), *dw = zeros(nw), *din2 = zeros(nin), *dw2 = zeros(nw);
    size_t cs = conv_col_size(&d) > conv_col_size(&di) ? conv_col_size(&d) : conv_col_size(&di);
    float *col = malloc(cs * sizeof(float));
    conv_forward(out, in, w, &d, col);
    assert_true(check_conv_ref(out, in, w, &d) < 1e-5);
    conv_backward(din, dw, R, in, w, &d, col);
    assert_true(check_dw_ref(dw, R, in, &d) < 1e-5);
    conv_backward(din2, dw2, R, in, w, &di, col);
    double worst = 0, big = 0;
    for (size_t i = 0; i < nin; i++) track_err(din[i], din2[i], &worst, &big);
    assert_true(worst / big < 1e-5);
    free(in), free(w), free(R), free(out), free(din), free(dw), free(din2), free(dw2), free(col);
}

static void check_conv_chunk(int B, int Ci, int H, int Co, int K, int S, int P, size_t chunk_floats)
{
    check_conv_algo(B, Ci, H, 0, Co, K, S, P, chunk_floats, CONV_IM2COL);
}

static void check_conv(int B, int Ci, int H, int Co, int K, int S, int P)
{
    check_conv_chunk(B, Ci, H, Co, K, S, P, 0);
}

static void test_conv(void **state)
{
    (void)state;
    check_conv(2, 3, 6, 3, 3, 1, 1); /* nor_conv_3x3 (Co <= Ci: the backward from im2col(dout)) */
    check_conv(2, 4, 6, 3, 3, 1, 1);
    check_conv(2, 3, 6, 4, 3, 1, 1); /* Co > Ci, as the stem: the backward from im2col(in) */
    check_conv(2, 3, 6, 4, 3, 2, 1); /* reduction conv, stride 2 (polyphase: even plane) */
    check_conv_algo(2, 3, 6, 8, 4, 3, 2, 1, 0, CONV_IM2COL); /* stride 2, 6x8 */
    check_conv_algo(2, 3, 7, 0, 4, 3, 2, 1, 0, CONV_IM2COL); /* stride 2, odd: the direct gather */
    check_conv(2, 3, 5, 4, 1, 1, 0); /* nor_conv_1x1 (pointwise path) */
    check_conv(1, 2, 6, 3, 1, 1, 0);
    /* 7 images: one image per chunk (several chunks per thread, a short
     * last block), then chunks of 2 */
    check_conv_chunk(7, 2, 5, 3, 3, 1, 1, 1);
    check_conv_chunk(7, 3, 5, 3, 3, 1, 1, 1);
    check_conv_chunk(7, 3, 5, 2, 3, 1, 1, 2 * 3 * 9 * 25);
    check_conv_chunk(7, 2, 6, 3, 3, 2, 1, 2 * 2 * 9 * 9);
    check_conv_chunk(7, 2, 5, 3, 1, 1, 0, 1);
}

/* Winograd F(2x2,3x3): forward and weight gradient against the direct
 * double convolution (relative bounds), both gradients by finite
 * differences, odd and even sizes (partial edge tiles), Co <= Ci and
 * Co > Ci, one and several chunks per thread */
static void test_conv_winograd(void **state)
{
    (void)state;
    check_conv_algo(2, 3, 6, 0, 3, 3, 1, 1, 0, CONV_WINOGRAD);
    check_conv_algo(2, 4, 7, 0, 3, 3, 1, 1, 0, CONV_WINOGRAD);  /* 7x7: half tiles on two sides */
    check_conv_algo(3, 3, 5, 8, 4, 3, 1, 1, 0, CONV_WINOGRAD);  /* Co > Ci, 5x8 */
    check_conv_algo(2, 1, 7, 0, 5, 3, 1, 1, 0, CONV_WINOGRAD);  /* the stem's shape: Ci = 1 */
    check_conv_algo(2, 16, 8, 0, 16, 3, 1, 1, 0, CONV_WINOGRAD); /* the cell's shape */
    check_conv_algo(7, 3, 7, 0, 3, 3, 1, 1, 1, CONV_WINOGRAD);  /* one image per chunk */
    check_conv_algo(7, 3, 5, 6, 2, 3, 1, 1, 16 * 5 * 9 * 2, CONV_WINOGRAD); /* 2 images per chunk */
    check_conv_algo(2, 3, 6, 0, 4, 3, 2, 1, 0, CONV_WINOGRAD);  /* stride 2: im2col still */
    check_conv_algo(2, 3, 7, 0, 3, 3, 1, 1, 0, WINO4);          /* F(4x4,3x3): 7x7, 2x2 tiles */
    check_conv_algo(2, 4, 6, 5, 3, 3, 1, 1, 0, WINO4);          /* 6x5: W % 4 = 1 */
    check_conv_algo(3, 3, 5, 6, 4, 3, 1, 1, 0, WINO4);          /* Co > Ci, 5x6: W % 4 = 2 */
    check_conv_algo(2, 1, 7, 0, 5, 3, 1, 1, 0, WINO4);          /* Ci = 1 */
    check_conv_algo(2, 32, 7, 0, 32, 3, 1, 1, 0, WINO4);        /* the 7x7 stage's shape */
    check_conv_algo(7, 3, 7, 0, 3, 3, 1, 1, 1, WINO4);          /* one image per chunk */
    check_conv_algo(7, 3, 9, 10, 2, 3, 1, 1, 36 * 5 * 9 * 2, WINO4); /* 2 images per chunk, 3x3 tiles */
    check_conv_wide(70, 5, 66, 2); /* the weight transforms in blocks of 64 channels, both directions */
    check_conv_wide(66, 7, 129, 4);
    /* the default picks Winograd only where the tiles cover the plane with
     * at most a third of waste (28x28, 14x14, 7x7; not 5x5) and Ci >= 4 */
    struct conv_dims d;
    setenv("NASW_CONV", "winograd", 1);
    conv_dims_init(&d, 2, 4, 28, 28, 4, 3, 1, 1);
    assert_int_equal(d.wino, 1);
    conv_dims_init(&d, 2, 4, 14, 14, 4, 3, 1, 1);
    assert_int_equal(d.wino, 1);
    conv_dims_init(&d, 2, 4, 7, 7, 4, 3, 1, 1);
    assert_int_equal(d.wino, 1);
    conv_dims_init(&d, 2, 4, 5, 5, 4, 3, 1, 1); /* 9 tiles for 25 outputs */
    assert_int_equal(d.wino, 0);
    conv_dims_init(&d, 2, 1, 28, 28, 16, 3, 1, 1); /* the stem */
    assert_int_equal(d.wino, 0);
    /* F(4x4,3x3) where its tiles waste no more than 2x2 ones and Ci >= 32 */
    conv_dims_init(&d, 2, 64, 7, 7, 64, 3, 1, 1);
    assert_int_equal(d.wm, 4);
    conv_dims_init(&d, 2, 16, 7, 7, 16, 3, 1, 1);
    assert_int_equal(d.wm, 2);
    conv_dims_init(&d, 2, 32, 14, 14, 32, 3, 1, 1); /* 16x16 for 14x14 */
    assert_int_equal(d.wm, 2);
    conv_dims_init(&d, 2, 32, 28, 28, 32, 3, 1, 1);
    assert_int_equal(d.wm, 2);
    unsetenv("NASW_CONV");
    /* the same inputs give the same bits on each call (and each run) */
    conv_dims_init(&d, 5, 4, 7, 7, 4, 3, 1, 1);
    d.wino = 1;
    size_t n = (size_t)5 * 4 * 49;
    float *in = rnd(n), *w = rnd(4 * 4 * 9), *a = zeros(n), *b = zeros(n);
    float *col = malloc(conv_col_size(&d) * sizeof(float));
    conv_forward(a, in, w, &d, col);
    conv_forward(b, in, w, &d, col);
    assert_memory_equal(a, b, n * sizeof(float));
    free(in);
    free(w);
    free(a);
    free(b);
    free(col);
}

/* --- batch norm (training mode) --- */
struct bn_ctx {
    float *in, *gamma, *beta, *mean, *invstd;
    int B, C, HW;
};
static void bn_fwd(void *c, float *out)
{
    struct bn_ctx *x = c;
    struct bn_cache cache = {x->mean, x->invstd};
    bn_forward_train(out, x->in, x->gamma, x->beta, NULL, NULL, 0.1f, 1e-5f, &cache, x->B,
                     x->C, x->HW);
}

static void test_bn(void **state)
{
    (void)state;
    struct bn_ctx c = {.B = 3, .C = 4, .HW = 5};
    size_t n = (size_t)c.B * c.C * c.HW;
    c.in = rnd(n);
    c.gamma = rnd((size_t)c.C);
    c.beta = rnd((size_t)c.C);
    c.mean = zeros((size_t)c.C);
    c.invstd = zeros((size_t)c.C);
    float *out = zeros(n), *R = rnd(n), *din = zeros(n), *dg = zeros((size_t)c.C), *db = zeros((size_t)c.C);
    bn_fwd(&c, out);
    struct bn_cache cache = {c.mean, c.invstd};
    bn_backward(din, dg, db, R, c.in, c.gamma, &cache, c.B, c.C, c.HW);
    /* the backward reads the input and the cache of the forward at the unperturbed point */
    float *din2 = malloc(n * sizeof *din2);
    memcpy(din2, din, n * sizeof *din2);
    assert_true(fd_check(bn_fwd, &c, c.in, din2, n, out, R, n, 1e-2f) < 1e-2);
    assert_true(fd_check(bn_fwd, &c, c.gamma, dg, (size_t)c.C, out, R, n, 1e-2f) < 1e-2);
    assert_true(fd_check(bn_fwd, &c, c.beta, db, (size_t)c.C, out, R, n, 1e-2f) < 1e-2);
    /* the _set variant overwrites din (garbage here) with the same values */
    float *dset = rnd(n), *dg2 = zeros((size_t)c.C), *db2 = zeros((size_t)c.C);
    bn_backward_set(dset, dg2, db2, R, c.in, c.gamma, &cache, c.B, c.C, c.HW);
    for (size_t i = 0; i < n; i++) assert_true(dset[i] == din[i]);
    free(dset);
    free(dg2);
    free(db2);
    /* the _add variants add the same values into out: bit for bit what a
     * separate out += y pass gives */
    {
        float *y = zeros(n), *acc = rnd(n), *ref = zeros(n);
        for (size_t i = 0; i < n; i++) ref[i] = acc[i];
        bn_forward_train(y, c.in, c.gamma, c.beta, NULL, NULL, 0.1f, 1e-5f, &cache, c.B, c.C, c.HW);
        bn_forward_train_add(acc, c.in, c.gamma, c.beta, NULL, NULL, 0.1f, 1e-5f, &cache, c.B, c.C, c.HW);
        for (size_t i = 0; i < n; i++) assert_true(acc[i] == ref[i] + y[i]);
        float rm[4] = {0.1f, -0.2f, 0.3f, 0}, rv[4] = {1.5f, 0.5f, 2, 1};
        for (size_t i = 0; i < n; i++) ref[i] = acc[i];
        bn_forward_eval(y, c.in, c.gamma, c.beta, rm, rv, 1e-5f, c.B, c.C, c.HW);
        bn_forward_eval_add(acc, c.in, c.gamma, c.beta, rm, rv, 1e-5f, c.B, c.C, c.HW);
        for (size_t i = 0; i < n; i++) assert_true(acc[i] == ref[i] + y[i]);
        free(y);
        free(acc);
        free(ref);
    }
    /* output of training-mode BN has zero mean and unit variance per channel (gamma=1, beta=0) */
    float one[4] = {1, 1, 1, 1}, zero[4] = {0};
    struct bn_cache cc = {c.mean, c.invstd};
    bn_forward_train(out, c.in, one, zero, NULL, NULL, 0.1f, 1e-5f, &cc, c.B, c.C, c.HW);
    for (int ch = 0; ch < c.C; ch++) {
        double s = 0, ss = 0;
        for (int b = 0; b < c.B; b++)
            for (int i = 0; i < c.HW; i++) {
                double v = out[((size_t)ch * c.B + b) * c.HW + i]; /* (C,B,HW) */
                s += v;
                ss += v * v;
            }
        assert_true(fabs(s / 15) < 1e-5);
        assert_true(fabs(ss / 15 - 1) < 1e-3);
    }
    free(c.in);
    free(c.gamma);
    free(c.beta);
    free(c.mean);
    free(c.invstd);
    free(out);
    free(R);
    free(din);
    free(din2);
    free(dg);
    free(db);
}

/* --- pooling, relu, gap --- */
struct pool_ctx {
    float *in;
    int B, C, H, kind;
};
static void pool_fwd(void *c, float *out)
{
    struct pool_ctx *x = c;
    switch (x->kind) {
    case 0: avgpool3_forward(out, x->in, x->B, x->C, x->H, x->H); break;
    case 1: avgpool2_forward(out, x->in, x->B, x->C, x->H, x->H); break;
    case 2: gap_forward(out, x->in, x->B, x->C, x->H * x->H); break;
    default: relu_forward(out, x->in, (size_t)x->B * x->C * x->H * x->H); break;
    }
}

static void test_pool_relu(void **state)
{
    (void)state;
    for (int kind = 0; kind < 4; kind++) {
        struct pool_ctx c = {.B = 2, .C = 3, .H = 4, .kind = kind};
        size_t n = (size_t)c.B * c.C * c.H * c.H;
        size_t nout = kind == 1 ? n / 4 : kind == 2 ? (size_t)c.B * c.C : n;
        c.in = rnd(n);
        if (kind == 3) /* keep ReLU's inputs off its kink, where differences of +-1e-3 mean nothing */
            for (size_t i = 0; i < n; i++)
                if (fabsf(c.in[i]) < 0.01f) c.in[i] = c.in[i] < 0 ? -0.01f : 0.01f;
        float *out = zeros(nout), *R = rnd(nout), *din = zeros(n);
        pool_fwd(&c, out);
        switch (kind) {
        case 0: avgpool3_backward(din, R, c.B, c.C, c.H, c.H); break;
        case 1: avgpool2_backward(din, R, c.B, c.C, c.H, c.H); break;
        case 2: gap_backward(din, R, c.B, c.C, c.H * c.H); break;
        default: relu_backward(din, R, c.in, n); break;
        }
        if (kind == 3) {
            float *dset = rnd(n);
            relu_backward_set(dset, R, c.in, n);
            for (size_t i = 0; i < n; i++) assert_true(dset[i] == din[i]);
            free(dset);
        }
        assert_true(fd_check(pool_fwd, &c, c.in, din, n, out, R, nout, 1e-3f) < 1e-2);
        free(c.in);
        free(out);
        free(R);
        free(din);
    }
    /* global pooling reads (C,B,HW) planes and writes (B,C) */
    float planes[2 * 3 * 4], g[6];
    for (int i = 0; i < 24; i++) planes[i] = (float)(i / 4); /* plane p = c*B + b holds p */
    gap_forward(g, planes, 3, 2, 4);
    for (int b = 0; b < 3; b++)
        for (int ch = 0; ch < 2; ch++) assert_true(g[b * 2 + ch] == (float)(ch * 3 + b));
    /* avg_pool_3x3 does not count padding: a constant image stays constant */
    float img[16], out[16];
    for (int i = 0; i < 16; i++) img[i] = 2.5f;
    avgpool3_forward(out, img, 1, 1, 4, 4);
    for (int i = 0; i < 16; i++) assert_true(fabsf(out[i] - 2.5f) < 1e-6f);
}

/* --- linear + softmax cross-entropy --- */
struct lin_ctx {
    float *in, *w, *b, *probs;
    int *labels;
    int B, NI, NO;
};
static void lin_fwd(void *c, float *out)
{
    struct lin_ctx *x = c;
    linear_forward(out, x->in, x->w, x->b, x->B, x->NI, x->NO);
}
static void xent_fwd(void *c, float *out)
{
    struct lin_ctx *x = c;
    float logits[64];
    linear_forward(logits, x->in, x->w, x->b, x->B, x->NI, x->NO);
    out[0] = softmax_xent_forward(x->probs, logits, x->labels, x->B, x->NO, NULL);
}

static void test_linear_xent(void **state)
{
    (void)state;
    int labels[3] = {1, 4, 0};
    struct lin_ctx c = {.B = 3, .NI = 5, .NO = 6, .labels = labels};
    size_t nin = 15, nw = 30, nout = 18;
    c.in = rnd(nin);
    c.w = rnd(nw);
    c.b = rnd(6);
    c.probs = zeros(nout);
    float *out = zeros(nout), *R = rnd(nout), *din = zeros(nin), *dw = zeros(nw), *db = zeros(6);
    linear_backward(din, dw, db, R, c.in, c.w, c.B, c.NI, c.NO);
    assert_true(fd_check(lin_fwd, &c, c.in, din, nin, out, R, nout, 1e-2f) < 1e-2);
    assert_true(fd_check(lin_fwd, &c, c.w, dw, nw, out, R, nout, 1e-2f) < 1e-2);
    assert_true(fd_check(lin_fwd, &c, c.b, db, 6, out, R, nout, 1e-2f) < 1e-2);

    /* cross-entropy through the linear layer */
    float logits[18], dlogits[18], one = 1.0f, loss;
    int correct;
    linear_forward(logits, c.in, c.w, c.b, c.B, c.NI, c.NO);
    loss = softmax_xent_forward(c.probs, logits, labels, c.B, c.NO, &correct);
    assert_true(loss > 0 && isfinite(loss));
    softmax_xent_backward(dlogits, c.probs, labels, c.B, c.NO);
    memset(din, 0, nin * sizeof *din);
    memset(dw, 0, nw * sizeof *dw);
    memset(db, 0, 6 * sizeof *db);
    linear_backward(din, dw, db, dlogits, c.in, c.w, c.B, c.NI, c.NO);
    assert_true(fd_check(xent_fwd, &c, c.in, din, nin, out, &one, 1, 1e-2f) < 1e-2);
    assert_true(fd_check(xent_fwd, &c, c.w, dw, nw, out, &one, 1, 1e-2f) < 1e-2);
    /* non-finite logits are reported as a NaN loss, not a crash */
    logits[2] = INFINITY;
    assert_true(isnan(softmax_xent_forward(c.probs, logits, labels, c.B, c.NO, NULL)));
    free(c.in);
    free(c.w);
    free(c.b);
    free(c.probs);
    free(out);
    free(R);
    free(din);
    free(dw);
    free(db);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_conv),
        cmocka_unit_test(test_conv_winograd),
        cmocka_unit_test(test_bn),
        cmocka_unit_test(test_pool_relu),
        cmocka_unit_test(test_linear_xent),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
