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

/* --- error bounds ---
 * A float sum of n products, in any order or blocking (whatever kernels
 * OpenBLAS picks on this CPU), satisfies |fl(s) - s| <= gamma(n) sum |a_i b_i|
 * with gamma(n) = n u / (1 - n u), u = 2^-24 (Higham, Accuracy and Stability
 * of Numerical Algorithms, 2nd ed., sec. 3.1).  The references below compute
 * each result in double together with that bound: for im2col and the
 * pointwise path the direct sum of |w| |x| over the reduction; for Winograd
 * the same pipeline with every matrix and operand replaced by its absolute
 * value (|A^T| sum(|G||g||G^T| .* |B^T||d||B|) |A|), with n the reduction
 * length plus the depth of the transforms.  The checks assert every element
 * within its own bound, so no constant depends on the magnitudes, the
 * reduction length or the CPU, while a wrong index or coefficient gives
 * errors of the order of the bound divided by n u, far outside it. */
static double gamma_n(double n)
{
    const double u = ldexp(1.0, -24);
    return n * u / (1 - n * u);
}

/* Lavin & Gray's matrices, as train/layers.c states them */
static const double BT2[16] = {1, 0, -1, 0, 0, 1, 1, 0, 0, -1, 1, 0, 0, 1, 0, -1};
static const double G2[12] = {1, 0, 0, .5, .5, .5, .5, -.5, .5, 0, 0, 1};
static const double AT2[8] = {1, 1, 1, 0, 0, 1, -1, -1};
static const double BT4[36] = {4, 0, -5, 0, 1, 0, 0, -4, -4, 1, 1, 0, 0, 4, -4, -1, 1, 0,
                               0, -2, -1, 2, 1, 0, 0, 2, -1, -2, 1, 0, 0, 4, 0, -5, 0, 1};
static const double G4[18] = {1.0 / 4,  0,         0,         -1.0 / 6, -1.0 / 6, -1.0 / 6,
                              -1.0 / 6, 1.0 / 6,   -1.0 / 6,  1.0 / 24, 1.0 / 12, 1.0 / 6,
                              1.0 / 24, -1.0 / 12, 1.0 / 6,   0,        0,        1};
static const double AT4[24] = {1, 1, 1, 1, 1, 0, 0, 1, -1, 2, -2, 0, 0, 1, 1, 4, 4, 0, 0, 1, -1, 8, -8, 1};

/* The transforms of F(m x m, 3x3), a = m + 2, as absolute values:
 * bt (a x a), g (a x 3), at (m x a), and the transposes used backwards. */
struct wabs {
    int m, a;
    double bt[36], b[36], g[18], gt[18], at[24], an[24];
};
static void wabs_init(struct wabs *w, int m)
{
    const double *BT = m == 4 ? BT4 : BT2, *G = m == 4 ? G4 : G2, *AT = m == 4 ? AT4 : AT2;
    int a = m + 2;
    w->m = m;
    w->a = a;
    for (int i = 0; i < a; i++)
        for (int j = 0; j < a; j++) w->bt[i * a + j] = fabs(BT[i * a + j]), w->b[j * a + i] = fabs(BT[i * a + j]);
    for (int i = 0; i < a; i++)
        for (int j = 0; j < 3; j++) w->g[i * 3 + j] = fabs(G[i * 3 + j]), w->gt[j * a + i] = fabs(G[i * 3 + j]);
    for (int i = 0; i < m; i++)
        for (int j = 0; j < a; j++) w->at[i * a + j] = fabs(AT[i * a + j]), w->an[j * m + i] = fabs(AT[i * a + j]);
}

/* out (p x q) = L X R^T for L (p x r), X (r x c), R (q x c), all >= 0 */
static void sandwich(double *out, const double *L, int p, int r, const double *X, int c, const double *R, int q)
{
    for (int i = 0; i < p; i++)
        for (int j = 0; j < q; j++) {
            double s = 0;
            for (int k = 0; k < r; k++)
                for (int l = 0; l < c; l++) s += L[i * r + k] * X[k * c + l] * R[j * c + l];
            out[i * q + j] = s;
        }
}

/* The a x a patch of |plane| (H x W) whose top-left is (y0, x0), zero outside */
static void abs_patch(double *p, int a, const float *plane, int H, int W, int y0, int x0)
{
    for (int i = 0; i < a; i++)
        for (int j = 0; j < a; j++) {
            int y = y0 + i, x = x0 + j;
            p[i * a + j] = y >= 0 && y < H && x >= 0 && x < W ? fabs(plane[(size_t)y * W + x]) : 0;
        }
}

/* |G||w(co,ci)||G^T| for every (co, ci): Co*Ci blocks of a*a */
static double *abs_U(const struct wabs *t, const float *w, const struct conv_dims *d)
{
    int a = t->a;
    double *U = malloc(sizeof *U * (size_t)d->Co * d->Ci * a * a), k[9];
    for (int o = 0; o < d->Co * d->Ci; o++) {
        for (int i = 0; i < 9; i++) k[i] = fabs(w[(size_t)o * 9 + i]);
        sandwich(U + (size_t)o * a * a, t->g, a, 3, k, 3, t->g, a);
    }
    return U;
}

/* Tiles of a plane */
#define TILES(n, m) (((n) + (m)-1) / (m))

/* |B^T||d||B| of every input tile: (B, tiles, Ci) blocks of a*a, tiles in
 * row-major order */
static double *abs_V(const struct wabs *t, const float *in, const struct conv_dims *d)
{
    int m = t->m, a = t->a, tw = TILES(d->Wo, m), T = TILES(d->Ho, m) * tw;
    double *V = malloc(sizeof *V * (size_t)d->B * T * d->Ci * a * a), P[36];
    for (int b = 0; b < d->B; b++)
        for (int k = 0; k < T; k++)
            for (int ci = 0; ci < d->Ci; ci++) {
                abs_patch(P, a, in + ((size_t)ci * d->B + b) * d->H * d->W, d->H, d->W, (k / tw) * m - d->pad,
                          (k % tw) * m - d->pad);
                sandwich(V + (((size_t)b * T + k) * d->Ci + ci) * a * a, t->bt, a, a, P, a, t->bt, a);
            }
    return V;
}

/* The references: the exact results in double (ref) and each element's
 * bound (bnd), for the algorithm d selects. */
static void ref_forward(double *ref, double *bnd, const float *in, const float *w, const struct conv_dims *d)
{
    size_t nout = (size_t)d->Co * d->B * d->Ho * d->Wo;
    for (size_t i = 0; i < nout; i++) ref[i] = bnd[i] = 0;
    for (int co = 0; co < d->Co; co++)
        for (int b = 0; b < d->B; b++)
            for (int y = 0; y < d->Ho; y++)
                for (int x = 0; x < d->Wo; x++) {
                    double s = 0, sa = 0;
                    for (int ci = 0; ci < d->Ci; ci++)
                        for (int ky = 0; ky < d->K; ky++)
                            for (int kx = 0; kx < d->K; kx++) {
                                int iy = y * d->stride - d->pad + ky, ix = x * d->stride - d->pad + kx;
                                if (iy < 0 || iy >= d->H || ix < 0 || ix >= d->W) continue;
                                double p = (double)w[((co * d->Ci + ci) * d->K + ky) * d->K + kx] *
                                           in[(((size_t)ci * d->B + b) * d->H + iy) * d->W + ix];
                                s += p, sa += fabs(p);
                            }
                    size_t o = (((size_t)co * d->B + b) * d->Ho + y) * d->Wo + x;
                    ref[o] = s;
                    bnd[o] = gamma_n((double)d->Ci * d->K * d->K) * sa;
                }
    if (!d->wino || d->K != 3 || d->stride != 1) return;
    struct wabs t;
    wabs_init(&t, d->wm);
    int m = t.m, a = t.a;
    double *U = abs_U(&t, w, d), *V = abs_V(&t, in, d), M[36], Y[16];
    double g = gamma_n(d->Ci + 4.0 * a + 9);
    int T = TILES(d->Ho, m) * TILES(d->Wo, m);
    for (int co = 0; co < d->Co; co++)
        for (int b = 0; b < d->B; b++)
            for (int ty = 0; ty < TILES(d->Ho, m); ty++)
                for (int tx = 0; tx < TILES(d->Wo, m); tx++) {
                    for (int i = 0; i < a * a; i++) M[i] = 0;
                    for (int ci = 0; ci < d->Ci; ci++) {
                        const double *u = U + ((size_t)co * d->Ci + ci) * a * a;
                        const double *v = V + (((size_t)b * T + ty * TILES(d->Wo, m) + tx) * d->Ci + ci) * a * a;
                        for (int i = 0; i < a * a; i++) M[i] += u[i] * v[i];
                    }
                    sandwich(Y, t.at, m, a, M, a, t.at, m);
                    for (int i = 0; i < m; i++)
                        for (int j = 0; j < m; j++) {
                            int y = ty * m + i, x = tx * m + j;
                            if (y < d->Ho && x < d->Wo)
                                bnd[(((size_t)co * d->B + b) * d->Ho + y) * d->Wo + x] = g * Y[i * m + j];
                        }
                }
    free(U);
    free(V);
}

/* The weight gradient: dw[co][ci][ky][kx] = sum over images and output
 * pixels of dout * the input pixel that weight saw. */
static void ref_dw(double *ref, double *bnd, const float *dout, const float *in, const struct conv_dims *d)
{
    size_t nw = (size_t)d->Co * d->Ci * d->K * d->K;
    for (int co = 0; co < d->Co; co++)
        for (int ci = 0; ci < d->Ci; ci++)
            for (int ky = 0; ky < d->K; ky++)
                for (int kx = 0; kx < d->K; kx++) {
                    double r = 0, ra = 0;
                    for (int b = 0; b < d->B; b++)
                        for (int y = 0; y < d->Ho; y++)
                            for (int x = 0; x < d->Wo; x++) {
                                int iy = y * d->stride - d->pad + ky, ix = x * d->stride - d->pad + kx;
                                if (iy < 0 || iy >= d->H || ix < 0 || ix >= d->W) continue;
                                double p = (double)dout[(((size_t)co * d->B + b) * d->Ho + y) * d->Wo + x] *
                                           in[(((size_t)ci * d->B + b) * d->H + iy) * d->W + ix];
                                r += p, ra += fabs(p);
                            }
                    size_t o = ((size_t)(co * d->Ci + ci) * d->K + ky) * d->K + kx;
                    ref[o] = r;
                    bnd[o] = gamma_n((double)d->B * d->Ho * d->Wo) * ra;
                }
    if (!d->wino || d->K != 3 || d->stride != 1) return;
    /* dW = sum over tiles of G^T (V .* A dY A^T) G */
    struct wabs t;
    wabs_init(&t, d->wm);
    int m = t.m, a = t.a, tw = TILES(d->Wo, m), T = TILES(d->Ho, m) * tw;
    double g = gamma_n((double)d->B * T + 4.0 * a + 9), Q[16], dM[36], S[36], o9[9];
    double *V = abs_V(&t, in, d), *acc = calloc((size_t)d->Co * d->Ci * a * a, sizeof *acc);
    for (int b = 0; b < d->B; b++)
        for (int k = 0; k < T; k++)
            for (int co = 0; co < d->Co; co++) {
                for (int i = 0; i < m; i++)
                    for (int j = 0; j < m; j++) {
                        int y = (k / tw) * m + i, x = (k % tw) * m + j;
                        Q[i * m + j] = y < d->Ho && x < d->Wo
                                           ? fabs(dout[(((size_t)co * d->B + b) * d->Ho + y) * d->Wo + x])
                                           : 0;
                    }
                sandwich(dM, t.an, a, m, Q, m, t.an, a);
                for (int ci = 0; ci < d->Ci; ci++) {
                    const double *v = V + (((size_t)b * T + k) * d->Ci + ci) * a * a;
                    double *s = acc + ((size_t)co * d->Ci + ci) * a * a;
                    for (int i = 0; i < a * a; i++) s[i] += v[i] * dM[i];
                }
            }
    for (size_t o = 0; o < (size_t)d->Co * d->Ci; o++) {
        for (int i = 0; i < a * a; i++) S[i] = acc[o * a * a + i];
        sandwich(o9, t.gt, 3, a, S, a, t.gt, 3);
        for (int i = 0; i < 9; i++) bnd[o * 9 + i] = g * o9[i];
    }
    free(acc);
    free(V);
    (void)nw;
}

/* The input gradient: din[ci][b][iy][ix] = sum of w * dout over the
 * outputs that input pixel fed. */
static void ref_din(double *ref, double *bnd, const float *dout, const float *w, const struct conv_dims *d)
{
    size_t nin = (size_t)d->Ci * d->B * d->H * d->W;
    double *abs_sum = calloc(nin, sizeof *abs_sum);
    for (size_t i = 0; i < nin; i++) ref[i] = 0;
    for (int co = 0; co < d->Co; co++)
        for (int b = 0; b < d->B; b++)
            for (int y = 0; y < d->Ho; y++)
                for (int x = 0; x < d->Wo; x++) {
                    double g = dout[(((size_t)co * d->B + b) * d->Ho + y) * d->Wo + x];
                    for (int ci = 0; ci < d->Ci; ci++)
                        for (int ky = 0; ky < d->K; ky++)
                            for (int kx = 0; kx < d->K; kx++) {
                                int iy = y * d->stride - d->pad + ky, ix = x * d->stride - d->pad + kx;
                                if (iy < 0 || iy >= d->H || ix < 0 || ix >= d->W) continue;
                                size_t i = (((size_t)ci * d->B + b) * d->H + iy) * d->W + ix;
                                double p = g * w[((co * d->Ci + ci) * d->K + ky) * d->K + kx];
                                ref[i] += p, abs_sum[i] += fabs(p);
                            }
                }
    for (size_t i = 0; i < nin; i++) bnd[i] = gamma_n((double)d->Co * d->K * d->K + d->K * d->K) * abs_sum[i];
    free(abs_sum);
    if (!d->wino || d->K != 3 || d->stride != 1) return;
    /* din = sum over tiles of B (sum over co of U .* A dY A^T) B^T, the
     * tiles' a x a patches overlapping by 2 */
    struct wabs t;
    wabs_init(&t, d->wm);
    int m = t.m, a = t.a;
    double *U = abs_U(&t, w, d), Q[16], dM[36], dV[36], X[36];
    double g = gamma_n(d->Co + 4.0 * a + 9 + 4);
    for (size_t i = 0; i < nin; i++) bnd[i] = 0;
    double *dMs = malloc(sizeof *dMs * (size_t)d->Co * a * a);
    for (int b = 0; b < d->B; b++)
        for (int ty = 0; ty < TILES(d->Ho, m); ty++)
            for (int tx = 0; tx < TILES(d->Wo, m); tx++) {
                for (int co = 0; co < d->Co; co++) {
                    for (int i = 0; i < m; i++)
                        for (int j = 0; j < m; j++) {
                            int y = ty * m + i, x = tx * m + j;
                            Q[i * m + j] = y < d->Ho && x < d->Wo
                                               ? fabs(dout[(((size_t)co * d->B + b) * d->Ho + y) * d->Wo + x])
                                               : 0;
                        }
                    sandwich(dMs + (size_t)co * a * a, t.an, a, m, Q, m, t.an, a);
                }
                for (int ci = 0; ci < d->Ci; ci++) {
                    for (int i = 0; i < a * a; i++) dV[i] = 0;
                    for (int co = 0; co < d->Co; co++) {
                        const double *u = U + ((size_t)co * d->Ci + ci) * a * a, *q = dMs + (size_t)co * a * a;
                        for (int i = 0; i < a * a; i++) dV[i] += u[i] * q[i];
                    }
                    sandwich(X, t.b, a, a, dV, a, t.b, a);
                    for (int i = 0; i < a; i++)
                        for (int j = 0; j < a; j++) {
                            int y = ty * m - d->pad + i, x = tx * m - d->pad + j;
                            if (y >= 0 && y < d->H && x >= 0 && x < d->W)
                                bnd[(((size_t)ci * d->B + b) * d->H + y) * d->W + x] += g * X[i * a + j];
                        }
                }
            }
    (void)dM;
    free(dMs);
    free(U);
}

/* Every got[i] within bnd[i] of ref[i]: returns the largest
 * |got - ref| / bnd (<= 1 passes), reporting the first element outside. */
static double within(const char *what, const float *got, const double *ref, const double *bnd, size_t n)
{
    double worst = 0;
    for (size_t i = 0; i < n; i++) {
        double e = fabs(got[i] - ref[i]), r = e / (bnd[i] > 0 ? bnd[i] : 1e-300);
        if (e == 0) r = 0;
        if (r > worst) worst = r;
        if (r > 1) {
            print_error("%s[%zu] = %.9g, reference %.9g, error %.3g over its bound %.3g\n", what, i, got[i], ref[i],
                        e, bnd[i]);
            break;
        }
    }
    return worst;
}

#define WINO4 2 /* check_conv_algo: Winograd F(4x4,3x3) */

/* The forward, the weight gradient and the input gradient against the
 * double references, each element within its bound */
static void check_conv_refs(const float *out, const float *din, const float *dw, const float *in, const float *w,
                            const float *dout, const struct conv_dims *d)
{
    size_t nin = (size_t)d->B * d->Ci * d->H * d->W, nw = (size_t)d->Co * d->Ci * d->K * d->K;
    size_t nout = (size_t)d->B * d->Co * d->Ho * d->Wo, nmax = nin > nout ? nin : nout;
    double *ref = malloc(sizeof *ref * (nmax > nw ? nmax : nw)), *bnd = malloc(sizeof *bnd * (nmax > nw ? nmax : nw));
    ref_forward(ref, bnd, in, w, d);
    assert_true(within("out", out, ref, bnd, nout) <= 1);
    ref_dw(ref, bnd, dout, in, d);
    assert_true(within("dw", dw, ref, bnd, nw) <= 1);
    ref_din(ref, bnd, dout, w, d);
    assert_true(within("din", din, ref, bnd, nin) <= 1);
    free(ref);
    free(bnd);
}

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
    conv_backward(din, dw, R, c.in, c.w, &c.d, c.col);
    check_conv_refs(out, din, dw, c.in, c.w, R, &c.d);
    assert_true(fd_check(conv_fwd, &c, c.in, din, nin, out, R, nout, 1e-2f) < 1e-2);
    assert_true(fd_check(conv_fwd, &c, c.w, dw, nw, out, R, nout, 1e-2f) < 1e-2);
    /* the _set variant overwrites din (here full of garbage) with the same
     * gradient: within the reference's bound as well; and the same dw */
    double *ref = malloc(sizeof *ref * nin), *bnd = malloc(sizeof *bnd * nin);
    ref_din(ref, bnd, R, c.w, &c.d);
    float *dset = rnd(nin), *dw2 = zeros(nw);
    conv_backward_set(dset, dw2, R, c.in, c.w, &c.d, c.col);
    assert_true(within("din (set)", dset, ref, bnd, nin) <= 1);
    for (size_t i = 0; i < nw; i++) assert_true(dw2[i] == dw[i]);
    free(dset);
    free(dw2);
    /* backward accumulates: a second call doubles the gradients (each
     * addend within its bound, plus the rounding of the addition) */
    conv_backward(din, dw, R, c.in, c.w, &c.d, c.col);
    for (size_t i = 0; i < nin; i++) ref[i] *= 2, bnd[i] = 2 * bnd[i] + gamma_n(1) * fabs(ref[i]);
    assert_true(within("din (twice)", din, ref, bnd, nin) <= 1);
    free(ref);
    free(bnd);
    free(c.in);
    free(c.w);
    free(c.col);
    free(out);
    free(R);
    free(din);
    free(dw);
}

/* Wide layers (more than one block of the weight transforms, Ci or Co >
 * 64), too big for finite differences: the forward and both gradients
 * against the double references. */
static void check_conv_wide(int Ci, int H, int Co, int wm)
{
    struct conv_dims d;
    conv_dims_init(&d, 2, Ci, H, H, Co, 3, 1, 1);
    d.wino = 1;
    d.wm = wm;
    conv_dims_chunk(&d, 256 * 1024);
    size_t nin = (size_t)2 * Ci * H * H, nw = (size_t)Co * Ci * 9, nout = (size_t)2 * Co * H * H;
    float *in = rnd(nin), *w = rnd(nw), *R = rnd(nout), *out = zeros(nout);
    float *din = zeros(nin), *dw = zeros(nw);
    float *col = malloc(conv_col_size(&d) * sizeof(float));
    conv_forward(out, in, w, &d, col);
    conv_backward(din, dw, R, in, w, &d, col);
    check_conv_refs(out, din, dw, in, w, R, &d);
    free(in), free(w), free(R), free(out), free(din), free(dw), free(col);
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
    /* output of training-mode BN has zero mean and variance var / (var +
     * eps) per channel (gamma=1, beta=0), up to the rounding of a float
     * mean and variance over N values (gamma(N) of the sums of |x|, Higham
     * sec. 3.1) and of each normalised value */
    float one[4] = {1, 1, 1, 1}, zero[4] = {0};
    struct bn_cache cc = {c.mean, c.invstd};
    bn_forward_train(out, c.in, one, zero, NULL, NULL, 0.1f, 1e-5f, &cc, c.B, c.C, c.HW);
    const double N = (double)c.B * c.HW, u = ldexp(1.0, -24);
#define GAMMA(k) ((k) * u / (1 - (k) * u))
    for (int ch = 0; ch < c.C; ch++) {
        double s = 0, ss = 0, mu = 0, var = 0, absx = 0;
        for (int b = 0; b < c.B; b++)
            for (int i = 0; i < c.HW; i++) {
                size_t k = ((size_t)ch * c.B + b) * c.HW + i; /* (C,B,HW) */
                double v = out[k];
                s += v;
                ss += v * v;
                mu += c.in[k] / N;
                absx += fabs(c.in[k]) / N;
            }
        for (int b = 0; b < c.B; b++)
            for (int i = 0; i < c.HW; i++) {
                double e = c.in[((size_t)ch * c.B + b) * c.HW + i] - mu;
                var += e * e / N;
            }
        double invstd = 1 / sqrt(var + 1e-5), target = var / (var + 1e-5);
        double tol_mean = GAMMA(N + 4) * (absx + fabs(mu)) * invstd + GAMMA(4) * sqrt(N * target);
        double tol_var = 2 * GAMMA(2 * N + 8) * (absx + fabs(mu)) * (absx + fabs(mu)) * invstd * invstd +
                         GAMMA(8) * target;
        assert_true(fabs(s / N) <= tol_mean);
        assert_true(fabs(ss / N - target) <= tol_var);
    }
#undef GAMMA
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

/* The 3x3 average pool's fast paths (an interior vectorised along rows, a
 * gathered backward) give the plain loops' results bit for bit, which is
 * what keeps trainings identical across the rewrite: square, oblong,
 * thin and 1-pixel planes, the backward accumulating into a nonzero din. */
static void plain_pool3(float *out, float *din, const float *in, const float *dout, int H, int W)
{
    for (int y = 0; y < H; y++)
        for (int xx = 0; xx < W; xx++) {
            float s = 0;
            int cnt = 0;
            for (int dy = -1; dy <= 1; dy++)
                for (int dx = -1; dx <= 1; dx++) {
                    int iy = y + dy, ix = xx + dx;
                    if (iy < 0 || iy >= H || ix < 0 || ix >= W) continue;
                    s += in[iy * W + ix];
                    cnt++;
                }
            out[y * W + xx] = s / (float)cnt;
        }
    for (int y = 0; y < H; y++)
        for (int xx = 0; xx < W; xx++) {
            int y0 = y > 0 ? y - 1 : 0, y1 = y < H - 1 ? y + 1 : H - 1;
            int x0 = xx > 0 ? xx - 1 : 0, x1 = xx < W - 1 ? xx + 1 : W - 1;
            float share = dout[y * W + xx] / (float)((y1 - y0 + 1) * (x1 - x0 + 1));
            for (int iy = y0; iy <= y1; iy++)
                for (int ix = x0; ix <= x1; ix++) din[iy * W + ix] += share;
        }
}

static void test_pool3_bits(void **state)
{
    (void)state;
    int shapes[][2] = {{12, 12}, {6, 6}, {3, 3}, {5, 9}, {9, 4}, {2, 7}, {7, 2}, {1, 1}, {1, 5}, {28, 28}};
    for (size_t k = 0; k < sizeof shapes / sizeof *shapes; k++) {
        int H = shapes[k][0], W = shapes[k][1], P = 3;
        size_t n = (size_t)P * H * W;
        float *in = rnd(n), *dout = rnd(n), *d0 = rnd(n), *out = zeros(n), *din = zeros(n);
        float *ref = zeros(n), *dref = zeros(n);
        memcpy(din, d0, n * sizeof *din);
        memcpy(dref, d0, n * sizeof *dref);
        avgpool3_forward(out, in, 1, P, H, W);
        avgpool3_backward(din, dout, 1, P, H, W);
        for (int p = 0; p < P; p++) plain_pool3(ref + p * H * W, dref + p * H * W, in + p * H * W, dout + p * H * W, H, W);
        assert_memory_equal(out, ref, n * sizeof *out);
        assert_memory_equal(din, dref, n * sizeof *din);
        free(in), free(dout), free(d0), free(out), free(din), free(ref), free(dref);
    }
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
        cmocka_unit_test(test_pool3_bits),
        cmocka_unit_test(test_linear_xent),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
