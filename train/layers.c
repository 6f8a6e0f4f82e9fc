/*
 * train/layers.c - CNN layer kernels (see train/layers.h).
 *
 * Convolution: per image, im2col into (Ci*K*K, Ho*Wo) columns, then
 * out (Co, Ho*Wo) = W (Co, Ci*K*K) . col with cblas_sgemm; backward
 * dW += dout . col^T and dcol = W^T . dout, scattered back by col2im.
 * A 1x1 stride-1 unpadded convolution uses the input as its columns.
 * Batch norm: the standard training-mode backward,
 * dx = invstd/N (N dxhat - sum dxhat - xhat sum(dxhat xhat)), with xhat
 * recomputed from the input and the saved mean and invstd (bit-identical to
 * the forward's: the same float operations), not stored.
 */
#include "train/layers.h"

#include <cblas.h>
#include <math.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif

/* Loops over more elements than this run on every OpenMP thread; each
 * iteration writes its own outputs and every reduction stays inside one
 * iteration (one BN channel, one weight), so the results do not depend on
 * the number of threads. */
#define PAR_MIN 32768
#ifdef _OPENMP
#define PRAGMA(x) _Pragma(#x)
#define PAR_FOR(n) PRAGMA(omp parallel for schedule(static) if ((n) > PAR_MIN))
#else
#define PAR_FOR(n)
#endif

int conv_threads(void)
{
#ifdef _OPENMP
    static int set;
    int t = omp_get_max_threads();
    if (t > 1 && !set) {
        openblas_set_num_threads(1); /* parallel over images, not inside each GEMM */
        set = 1;
    }
    return t;
#else
    return 1;
#endif
}

void conv_dims_init(struct conv_dims *d, int B, int Ci, int H, int W, int Co, int K, int stride,
                    int pad)
{
    d->B = B;
    d->Ci = Ci;
    d->H = H;
    d->W = W;
    d->Co = Co;
    d->K = K;
    d->stride = stride;
    d->pad = pad;
    d->Ho = (H + 2 * pad - K) / stride + 1;
    d->Wo = (W + 2 * pad - K) / stride + 1;
    d->threads = conv_threads();
}

static int conv_is_pointwise(const struct conv_dims *d)
{
    return d->K == 1 && d->stride == 1 && d->pad == 0;
}

static size_t col_per_thread(const struct conv_dims *d) { return (size_t)d->Ci * d->K * d->K * d->Ho * d->Wo; }
static size_t w_size(const struct conv_dims *d) { return (size_t)d->Co * d->Ci * d->K * d->K; }

size_t conv_col_size(const struct conv_dims *d)
{
    return (col_per_thread(d) + w_size(d)) * (size_t)(d->threads > 0 ? d->threads : 1);
}

static int thread_id(void)
{
#ifdef _OPENMP
    return omp_get_thread_num();
#else
    return 0;
#endif
}

/* col (Ci*K*K, Ho*Wo) from one image (Ci,H,W).  For each kernel offset the
 * valid output columns form one range [x0, x1): zeros outside it, and inside
 * it a contiguous copy (stride 1) or a strided gather, without branches. */
static void im2col(float *col, const float *img, const struct conv_dims *d)
{
    int K = d->K, Ho = d->Ho, Wo = d->Wo, S = d->stride, P = d->pad, W = d->W;
    for (int c = 0; c < d->Ci; c++)
        for (int ky = 0; ky < K; ky++)
            for (int kx = 0; kx < K; kx++) {
                float *row = col + ((size_t)(c * K + ky) * K + kx) * Ho * Wo;
                const float *src = img + (size_t)c * d->H * W;
                /* ix = x*S - P + kx must lie in [0, W) */
                int x0 = P - kx > 0 ? (P - kx + S - 1) / S : 0;
                int x1 = (W - 1 + P - kx) / S + 1;
                if (x1 > Wo) x1 = Wo;
                if (x0 > x1) x0 = x1;
                for (int y = 0; y < Ho; y++) {
                    int iy = y * S - P + ky;
                    float *r = row + (size_t)y * Wo;
                    if (iy < 0 || iy >= d->H) {
                        memset(r, 0, sizeof *r * (size_t)Wo);
                        continue;
                    }
                    const float *s = src + (size_t)iy * W - P + kx;
                    for (int x = 0; x < x0; x++) r[x] = 0.0f;
                    if (S == 1) memcpy(r + x0, s + x0, sizeof *r * (size_t)(x1 - x0));
                    else
                        for (int x = x0; x < x1; x++) r[x] = s[x * S];
                    for (int x = x1; x < Wo; x++) r[x] = 0.0f;
                }
            }
}

/* img (Ci,H,W) += col2im(col): the transpose of im2col, over the same
 * valid range [x0, x1) of output columns per kernel offset. */
static void col2im_add(float *img, const float *col, const struct conv_dims *d)
{
    int K = d->K, Ho = d->Ho, Wo = d->Wo, S = d->stride, P = d->pad, W = d->W;
    for (int c = 0; c < d->Ci; c++)
        for (int ky = 0; ky < K; ky++)
            for (int kx = 0; kx < K; kx++) {
                const float *row = col + ((size_t)(c * K + ky) * K + kx) * Ho * Wo;
                float *dst = img + (size_t)c * d->H * W;
                int x0 = P - kx > 0 ? (P - kx + S - 1) / S : 0;
                int x1 = (W - 1 + P - kx) / S + 1;
                if (x1 > Wo) x1 = Wo;
                if (x0 > x1) x0 = x1;
                for (int y = 0; y < Ho; y++) {
                    int iy = y * S - P + ky;
                    if (iy < 0 || iy >= d->H) continue;
                    const float *restrict r = row + (size_t)y * Wo;
                    float *restrict s = dst + (size_t)iy * W - P + kx;
                    if (S == 1)
                        for (int x = x0; x < x1; x++) s[x] += r[x];
                    else
                        for (int x = x0; x < x1; x++) s[x * S] += r[x];
                }
            }
}

void conv_forward(float *out, const float *in, const float *w, const struct conv_dims *d, float *col)
{
    int M = d->Co, N = d->Ho * d->Wo, Kd = d->Ci * d->K * d->K, T = d->threads > 0 ? d->threads : 1;
    size_t in_sz = (size_t)d->Ci * d->H * d->W, out_sz = (size_t)M * N;
    int pw = conv_is_pointwise(d);
#ifdef _OPENMP
#pragma omp parallel for schedule(static) num_threads(T)
#endif
    for (int b = 0; b < d->B; b++) {
        const float *c = in + b * in_sz;
        if (!pw) {
            float *mine = col + (size_t)thread_id() * col_per_thread(d);
            im2col(mine, in + b * in_sz, d);
            c = mine;
        }
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, M, N, Kd, 1.0f, w, Kd, c, N, 0.0f,
                    out + b * out_sz, N);
    }
    (void)T;
}

void conv_backward(float *din, float *dw, const float *dout, const float *in, const float *w,
                   const struct conv_dims *d, float *col)
{
    int M = d->Co, N = d->Ho * d->Wo, Kd = d->Ci * d->K * d->K, T = d->threads > 0 ? d->threads : 1;
    size_t in_sz = (size_t)d->Ci * d->H * d->W, out_sz = (size_t)M * N, cs = col_per_thread(d), ws = w_size(d);
    int pw = conv_is_pointwise(d);
    /* weight-gradient partials after all the column buffers */
    float *part = col + cs * (size_t)T;
    memset(part, 0, sizeof *part * ws * (size_t)T);
#ifdef _OPENMP
#pragma omp parallel for schedule(static) num_threads(T)
#endif
    for (int b = 0; b < d->B; b++) {
        int t = thread_id();
        float *mine = col + (size_t)t * cs, *dwt = part + (size_t)t * ws;
        const float *go = dout + b * out_sz;
        const float *c = in + b * in_sz;
        if (!pw) {
            im2col(mine, in + b * in_sz, d);
            c = mine;
        }
        /* dW (Co, Kd) += dout (Co, N) . col^T (N, Kd) */
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, M, Kd, N, 1.0f, go, N, c, N, 1.0f, dwt, Kd);
        if (!din) continue;
        if (pw) {
            /* din (Ci, N) += W^T (Ci, Co) . dout (Co, N) */
            cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, Kd, N, M, 1.0f, w, Kd, go, N, 1.0f,
                        din + b * in_sz, N);
        } else {
            cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, Kd, N, M, 1.0f, w, Kd, go, N, 0.0f,
                        mine, N);
            col2im_add(din + b * in_sz, mine, d);
        }
    }
    /* sum the partials in thread order: deterministic for a fixed T */
#ifdef _OPENMP
#pragma omp parallel for schedule(static) num_threads(T) if (ws > PAR_MIN)
#endif
    for (size_t i = 0; i < ws; i++)
        for (int t = 0; t < T; t++) dw[i] += part[(size_t)t * ws + i];
}

/* Sums in double over LANES interleaved partial sums, combined in a fixed
 * order: the same result every run, and independent adds the compiler can
 * vectorise (a single running sum is one long dependency chain, and
 * without -ffast-math the compiler may not split it itself). */
#define LANES 8

static double lanes_total(const double *acc)
{
    double t = 0;
    for (int l = 0; l < LANES; l++) t += acc[l];
    return t;
}

/* acc[l] += x[i] for i = l mod LANES */
static void sum_lanes(double *restrict acc, const float *restrict x, int n)
{
    int i = 0;
    for (; i + LANES <= n; i += LANES)
        for (int l = 0; l < LANES; l++) acc[l] += x[i + l];
    for (; i < n; i++) acc[i % LANES] += x[i];
}

/* acc[l] += (x[i] - m)^2 */
static void sumsq_lanes(double *restrict acc, const float *restrict x, double m, int n)
{
    int i = 0;
    for (; i + LANES <= n; i += LANES)
        for (int l = 0; l < LANES; l++) acc[l] += (x[i + l] - m) * (x[i + l] - m);
    for (; i < n; i++) acc[i % LANES] += (x[i] - m) * (x[i] - m);
}

/* sa[l] += a[i], sab[l] += a[i] xhat[i], xhat = (x - m) * invstd */
static void dot_lanes(double *restrict sa, double *restrict sab, const float *restrict a, const float *restrict x,
                      float m, float invstd, int n)
{
    int i = 0;
    for (; i + LANES <= n; i += LANES)
        for (int l = 0; l < LANES; l++) {
            sa[l] += a[i + l];
            sab[l] += (double)a[i + l] * ((x[i + l] - m) * invstd);
        }
    for (; i < n; i++) {
        sa[i % LANES] += a[i];
        sab[i % LANES] += (double)a[i] * ((x[i] - m) * invstd);
    }
}

void bn_forward_train(float *out, const float *in, const float *gamma, const float *beta,
                      float *running_mean, float *running_var, float momentum, float eps,
                      const struct bn_cache *c, int B, int C, int HW)
{
    double n = (double)B * HW;
    PAR_FOR((size_t)B * C * HW)
    for (int ch = 0; ch < C; ch++) {
        double acc[LANES] = {0}, acc2[LANES] = {0};
        for (int b = 0; b < B; b++) sum_lanes(acc, in + ((size_t)b * C + ch) * HW, HW);
        double mean = lanes_total(acc) / n;
        for (int b = 0; b < B; b++) sumsq_lanes(acc2, in + ((size_t)b * C + ch) * HW, mean, HW);
        double ss = lanes_total(acc2), var = ss / n;
        float invstd = (float)(1.0 / sqrt(var + eps));
        c->mean[ch] = (float)mean;
        c->invstd[ch] = invstd;
        if (running_mean) {
            running_mean[ch] = (1 - momentum) * running_mean[ch] + momentum * (float)mean;
            running_var[ch] =
                (1 - momentum) * running_var[ch] + momentum * (float)(n > 1 ? ss / (n - 1) : var);
        }
        float g = gamma[ch], bt = beta[ch], m = (float)mean;
        for (int b = 0; b < B; b++) {
            size_t off = ((size_t)b * C + ch) * HW;
            for (int i = 0; i < HW; i++) {
                float xh = (in[off + i] - m) * invstd;
                out[off + i] = g * xh + bt;
            }
        }
    }
}

void bn_forward_eval(float *out, const float *in, const float *gamma, const float *beta,
                     const float *running_mean, const float *running_var, float eps, int B, int C,
                     int HW)
{
    PAR_FOR((size_t)B * C * HW)
    for (int ch = 0; ch < C; ch++) {
        float invstd = 1.0f / sqrtf(running_var[ch] + eps);
        float scale = gamma[ch] * invstd, shift = beta[ch] - running_mean[ch] * scale;
        for (int b = 0; b < B; b++) {
            size_t off = ((size_t)b * C + ch) * HW;
            for (int i = 0; i < HW; i++) out[off + i] = in[off + i] * scale + shift;
        }
    }
}

void bn_backward(float *din, float *dgamma, float *dbeta, const float *dout, const float *in,
                 const float *gamma, const struct bn_cache *c, int B, int C, int HW)
{
    float n = (float)B * HW;
    PAR_FOR((size_t)B * C * HW)
    for (int ch = 0; ch < C; ch++) {
        double acc[LANES] = {0}, accx[LANES] = {0};
        for (int b = 0; b < B; b++) {
            size_t off = ((size_t)b * C + ch) * HW;
            dot_lanes(acc, accx, dout + off, in + off, c->mean[ch], c->invstd[ch], HW);
        }
        double sd = lanes_total(acc), sdx = lanes_total(accx);
        dbeta[ch] += (float)sd;
        dgamma[ch] += (float)sdx;
        if (din) {
            /* with dxhat = g*dout: sum dxhat = g*sd, sum dxhat*xhat = g*sdx */
            float g = gamma[ch], is = c->invstd[ch], m = c->mean[ch], k = g * is / n;
            float a = (float)sd, bx = (float)sdx;
            for (int b = 0; b < B; b++) {
                size_t off = ((size_t)b * C + ch) * HW;
                for (int i = 0; i < HW; i++)
                    din[off + i] += k * (n * dout[off + i] - a - (in[off + i] - m) * is * bx);
            }
        }
    }
}

/* Written as selects over values loaded unconditionally, so that the
 * compiler vectorises them (`in > 0 ? dout[i] : 0` is a conditional load:
 * a scalar loop with a branch on the sign, mispredicted half the time). */
void relu_forward(float *restrict out, const float *restrict in, size_t n)
{
    PAR_FOR(n)
    for (size_t i = 0; i < n; i++) out[i] = in[i] > 0.0f ? in[i] : 0.0f;
}

void relu_backward(float *restrict din, const float *restrict dout, const float *restrict in, size_t n)
{
    PAR_FOR(n)
    for (size_t i = 0; i < n; i++) {
        float g = dout[i];
        din[i] += in[i] > 0.0f ? g : 0.0f;
    }
}

void add_inplace(float *restrict out, const float *restrict in, size_t n)
{
    PAR_FOR(n)
    for (size_t i = 0; i < n; i++) out[i] += in[i];
}

void zero_fill(float *out, size_t n)
{
    PAR_FOR(n)
    for (size_t i = 0; i < n; i++) out[i] = 0.0f;
}

void avgpool3_forward(float *out, const float *in, int B, int C, int H, int W)
{
    PAR_FOR((size_t)B * C * H * W)
    for (long p = 0; p < (long)B * C; p++) {
        const float *x = in + p * H * W;
        float *o = out + p * H * W;
        for (int y = 0; y < H; y++)
            for (int xx = 0; xx < W; xx++) {
                float s = 0;
                int cnt = 0;
                for (int dy = -1; dy <= 1; dy++)
                    for (int dx = -1; dx <= 1; dx++) {
                        int iy = y + dy, ix = xx + dx;
                        if (iy < 0 || iy >= H || ix < 0 || ix >= W) continue;
                        s += x[iy * W + ix];
                        cnt++;
                    }
                o[y * W + xx] = s / (float)cnt;
            }
    }
}

void avgpool3_backward(float *din, const float *dout, int B, int C, int H, int W)
{
    PAR_FOR((size_t)B * C * H * W)
    for (long p = 0; p < (long)B * C; p++) {
        float *dx = din + p * H * W;
        const float *g = dout + p * H * W;
        for (int y = 0; y < H; y++)
            for (int xx = 0; xx < W; xx++) {
                int y0 = y > 0 ? y - 1 : 0, y1 = y < H - 1 ? y + 1 : H - 1;
                int x0 = xx > 0 ? xx - 1 : 0, x1 = xx < W - 1 ? xx + 1 : W - 1;
                float share = g[y * W + xx] / (float)((y1 - y0 + 1) * (x1 - x0 + 1));
                for (int iy = y0; iy <= y1; iy++)
                    for (int ix = x0; ix <= x1; ix++) dx[iy * W + ix] += share;
            }
    }
}

void avgpool2_forward(float *out, const float *in, int B, int C, int H, int W)
{
    int Ho = H / 2, Wo = W / 2;
    PAR_FOR((size_t)B * C * H * W)
    for (long p = 0; p < (long)B * C; p++) {
        const float *x = in + p * H * W;
        float *o = out + p * Ho * Wo;
        for (int y = 0; y < Ho; y++)
            for (int xx = 0; xx < Wo; xx++)
                o[y * Wo + xx] = 0.25f * (x[(2 * y) * W + 2 * xx] + x[(2 * y) * W + 2 * xx + 1] +
                                          x[(2 * y + 1) * W + 2 * xx] + x[(2 * y + 1) * W + 2 * xx + 1]);
    }
}

void avgpool2_backward(float *din, const float *dout, int B, int C, int H, int W)
{
    int Ho = H / 2, Wo = W / 2;
    PAR_FOR((size_t)B * C * H * W)
    for (long p = 0; p < (long)B * C; p++) {
        float *dx = din + p * H * W;
        const float *g = dout + p * Ho * Wo;
        for (int y = 0; y < Ho; y++)
            for (int xx = 0; xx < Wo; xx++) {
                float v = 0.25f * g[y * Wo + xx];
                dx[(2 * y) * W + 2 * xx] += v;
                dx[(2 * y) * W + 2 * xx + 1] += v;
                dx[(2 * y + 1) * W + 2 * xx] += v;
                dx[(2 * y + 1) * W + 2 * xx + 1] += v;
            }
    }
}

void gap_forward(float *out, const float *in, int B, int C, int HW)
{
    PAR_FOR((size_t)B * C * HW)
    for (long p = 0; p < (long)B * C; p++) {
        float s = 0;
        for (int i = 0; i < HW; i++) s += in[p * HW + i];
        out[p] = s / (float)HW;
    }
}

void gap_backward(float *din, const float *dout, int B, int C, int HW)
{
    PAR_FOR((size_t)B * C * HW)
    for (long p = 0; p < (long)B * C; p++) {
        float v = dout[p] / (float)HW;
        for (int i = 0; i < HW; i++) din[p * HW + i] += v;
    }
}

void linear_forward(float *out, const float *in, const float *w, const float *b, int B, int NI, int NO)
{
    for (int i = 0; i < B; i++) memcpy(out + (size_t)i * NO, b, sizeof *out * (size_t)NO);
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, B, NO, NI, 1.0f, in, NI, w, NI, 1.0f, out, NO);
}

void linear_backward(float *din, float *dw, float *db, const float *dout, const float *in,
                     const float *w, int B, int NI, int NO)
{
    if (din)
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, B, NI, NO, 1.0f, dout, NO, w, NI, 1.0f,
                    din, NI);
    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, NO, NI, B, 1.0f, dout, NO, in, NI, 1.0f, dw, NI);
    for (int i = 0; i < B; i++)
        for (int o = 0; o < NO; o++) db[o] += dout[(size_t)i * NO + o];
}

float softmax_xent_forward(float *probs, const float *logits, const int *labels, int B, int K,
                           int *correct)
{
    double loss = 0;
    int hits = 0;
    for (int i = 0; i < B; i++) {
        const float *z = logits + (size_t)i * K;
        float *p = probs + (size_t)i * K;
        float mx = z[0];
        int arg = 0;
        for (int k = 1; k < K; k++)
            if (z[k] > mx) {
                mx = z[k];
                arg = k;
            }
        if (!isfinite(mx)) return NAN;
        double s = 0;
        for (int k = 0; k < K; k++) s += p[k] = expf(z[k] - mx);
        for (int k = 0; k < K; k++) p[k] = (float)(p[k] / s);
        loss += -(z[labels[i]] - mx - log(s));
        hits += arg == labels[i];
    }
    if (correct) *correct = hits;
    return (float)(loss / B);
}

void softmax_xent_backward(float *dlogits, const float *probs, const int *labels, int B, int K)
{
    float inv = 1.0f / (float)B;
    for (int i = 0; i < B; i++)
        for (int k = 0; k < K; k++)
            dlogits[(size_t)i * K + k] = (probs[(size_t)i * K + k] - (k == labels[i])) * inv;
}
