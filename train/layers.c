/*
 * train/layers.c - CNN layer kernels (see train/layers.h).
 *
 * Activations are channel-major, (C,B,H,W): all images of one channel are
 * contiguous.  Convolution: each thread takes a contiguous block of the
 * batch and cuts it into chunks of images; a chunk is im2col'ed into
 * (Ci*K*K, nb*Ho*Wo) columns and multiplied at once,
 * out (Co, nb*Ho*Wo) = W (Co, Ci*K*K) . col, written in place into the
 * (Co, B*Ho*Wo) output (rows B*Ho*Wo apart).  Backward: dW += dout . col^T
 * (the chunk's images are the long reduction; thread 0 accumulates into dW,
 * the others into partials added in thread order) and dcol = W^T . dout,
 * scattered back by col2im.  A 1x1 stride-1 unpadded convolution uses the
 * input as its columns: one GEMM per thread block.  Stride-1 same 3x3
 * convolutions run as Winograd F(2x2,3x3) by default, forward and both
 * gradients (NASW_CONV=im2col for the GEMM path): 16 GEMMs
 * (Co, Ci) x (Ci, tiles) per chunk between tile transforms.
 * Batch norm: statistics per channel over its contiguous B*H*W values; the
 * standard training-mode backward,
 * dx = invstd/N (N dxhat - sum dxhat - xhat sum(dxhat xhat)), with xhat
 * recomputed from the input and the saved mean and invstd (bit-identical to
 * the forward's: the same float operations), not stored.
 */
#include "train/layers.h"

#include <cblas.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif

/* Loops over more elements than this run on every OpenMP thread; each
 * iteration writes its own outputs and every reduction stays inside one
 * iteration (one BN channel, one weight), so the results do not depend on
 * the number of threads. */
#define PAR_MIN 32768

/* Columns per im2col chunk (floats, per thread): a chunk of images is one
 * GEMM; about 1 MB keeps the columns in the core's L2 between im2col and
 * the GEMM that reads them. */
#ifndef CONV_CHUNK_FLOATS
#define CONV_CHUNK_FLOATS (256 * 1024)
#endif
/* F(4x4,3x3) from this many input channels (wino4_worth) */
#ifndef WINO4_MIN_CI
#define WINO4_MIN_CI 32
#endif
/* The algorithm of same 3x3 convolutions unless NASW_CONV says otherwise */
#ifndef CONV_DEFAULT
#define CONV_DEFAULT CONV_WINOGRAD
#endif
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

/* Winograd pays where its 2x2 output tiles cover the plane with at most a
 * third of waste, and there are enough input channels for the 16 GEMMs to
 * outweigh the transforms.  A 7x7 plane needs 16 tiles (64 outputs for
 * 49) and still gains (the whole network trains 3% faster with its 7x7
 * stage on Winograd than on im2col + GEMM; bench/conv_shapes.c times each
 * shape both ways); a 5x5 or 3x3 plane (36 for 25, 16 for 9) does not
 * take it; 28x28 and 14x14 planes tile exactly.  The stem (Ci = 1) is
 * faster on im2col (1.1 against 1.5 ms per step). */
static int wino_worth(const struct conv_dims *d)
{
    long th = (d->H + 1) / 2, tw = (d->W + 1) / 2;
    return d->Ci >= 4 && 4 * th * tw * 3 <= 4L * d->H * d->W;
}

/* F(4x4,3x3) needs 36/16 of F(2x2,3x3)'s multiplies per 4x4 outputs but
 * costs more per tile to transform: it pays where the GEMMs dominate (many
 * channels) and its larger tiles waste no more of the plane than 2x2 ones
 * (H % 4 in {0, 3}, W % 4 == 3: the 7x7 stage, 1.6x faster per
 * convolution, forward and backward; at 14x14 the 4x4 tiles cover 16x16
 * and it is 1.25x slower; bench/conv_shapes.c).  Its flat transforms need a row of one
 * image's tiles (4*tw columns) to hold the W columns and the left padding
 * column: W % 4 != 0. */
static int wino4_worth(const struct conv_dims *d)
{
    return d->Ci >= WINO4_MIN_CI && d->W % 4 == 3 && (d->H % 4 == 0 || d->H % 4 == 3);
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
    d->wino = conv_algo() == CONV_WINOGRAD && wino_worth(d);
    d->wm = wino4_worth(d) ? 4 : 2;
    conv_dims_chunk(d, CONV_CHUNK_FLOATS);
}

static size_t col_rows(const struct conv_dims *d);

void conv_dims_chunk(struct conv_dims *d, size_t floats)
{
    int T = d->threads > 0 ? d->threads : 1, per_thread = (d->B + T - 1) / T;
    size_t one = col_rows(d) * d->Ho * d->Wo;
    size_t c = one ? floats / one : 1;
    if (c < 1) c = 1;
    if (c > (size_t)per_thread) c = (size_t)per_thread;
    d->chunk = (int)c;
    /* Winograd: V and M of a chunk, 16 (Ci + Co) floats per 2x2 tile, 36 (Ci + Co) per 4x4 */
    one = (size_t)(d->wm == 4 ? 36 : 16) * (d->Ci + d->Co) * ((d->H + d->wm - 1) / d->wm) *
          ((d->W + d->wm - 1) / d->wm);
    c = one ? floats / one : 1;
    if (c < 1) c = 1;
    if (c > (size_t)per_thread) c = (size_t)per_thread;
    d->wchunk = (int)c;
}

/* A stride-1 convolution whose output has the input's size ("same"
 * padding: every 3x3 of NB201 but the reductions'). */
static int conv_is_same(const struct conv_dims *d)
{
    return d->stride == 1 && d->Ho == d->H && d->Wo == d->W;
}

static int conv_is_pointwise(const struct conv_dims *d)
{
    return d->K == 1 && d->stride == 1 && d->pad == 0;
}

/* Rows of a chunk's columns: Ci*K*K (the input's im2col; the backward of
 * a same convolution im2col's dout instead, Co*K*K <= Ci*K*K rows). */
static size_t col_rows(const struct conv_dims *d) { return (size_t)d->Ci * d->K * d->K; }

/* A 3x3 convolution of stride 2 and padding 1 on even planes (NB201's
 * reductions): im2col and col2im go through the input's 4 polyphase
 * components (see im2col_s2). */
static int conv_is_s2(const struct conv_dims *d)
{
    return d->K == 3 && d->stride == 2 && d->pad == 1 && d->H % 2 == 0 && d->W % 2 == 0;
}

/* Columns of one chunk: `chunk` images side by side, (rows, chunk*Ho*Wo);
 * for conv_is_s2, one channel's polyphase planes of the chunk after them. */
static size_t col_per_thread(const struct conv_dims *d)
{
    if (conv_is_pointwise(d)) return 0;
    return col_rows(d) * d->chunk * d->Ho * d->Wo + (conv_is_s2(d) ? (size_t)d->chunk * d->H * d->W : 0);
}
static size_t w_size(const struct conv_dims *d) { return (size_t)d->Co * d->Ci * d->K * d->K; }

static int wino_ok(const struct conv_dims *d);
static size_t wino_size(const struct conv_dims *d);

/* per thread: columns and a weight-gradient partial; once: flipped weights.
 * Or, if larger, the Winograd buffers (used before or instead of those). */
size_t conv_col_size(const struct conv_dims *d)
{
    size_t n = (col_per_thread(d) + w_size(d)) * (size_t)(d->threads > 0 ? d->threads : 1) + w_size(d);
    if (wino_ok(d) && wino_size(d) > n) n = wino_size(d);
    return n;
}

static int thread_id(void)
{
#ifdef _OPENMP
    return omp_get_thread_num();
#else
    return 0;
#endif
}

static int thread_count(void)
{
#ifdef _OPENMP
    return omp_get_num_threads();
#else
    return 1;
#endif
}

/* The valid output columns of kernel column kx form one range [x0, x1):
 * ix = x*S - P + kx must lie in [0, W). */
static void valid_range(const struct conv_dims *d, int kx, int *x0, int *x1)
{
    int S = d->stride, P = d->pad;
    int a = P - kx > 0 ? (P - kx + S - 1) / S : 0;
    int b = (d->W - 1 + P - kx) / S + 1;
    if (b > d->Wo) b = d->Wo;
    if (a > b) a = b;
    *x0 = a;
    *x1 = b;
}

/* For a "same" convolution, the row of kernel offset (ky,kx) is the
 * chunk's nb planes (adjacent in (C,B,H,W)) shifted by
 * (ky-P)*W + (kx-P): elements [lo, hi) of the row come from the planes,
 * the others would lie before or after them. */
static void same_shift(const struct conv_dims *d, int ky, int kx, int nb, long *shift, long *lo, long *hi)
{
    long n = (long)nb * d->H * d->W, s = (long)(ky - d->pad) * d->W + (kx - d->pad);
    *shift = s;
    *lo = s < 0 ? -s : 0;
    *hi = s > 0 ? n - s : n;
    if (*lo > n) *lo = n;
    if (*hi < *lo) *hi = *lo;
}

/* Zero the positions of a shifted row whose source pixel lies outside its
 * image: the columns outside [x0, x1) of every image row (where the shift
 * wrapped into the neighbouring row: one column for a 3x3) and the padding
 * rows (rows y < P-ky and y >= H+P-ky of each image).  The rows are short
 * (7 to 28 floats) and there are millions per step: GCC's loop-to-memset
 * rewrite would make each one a library call, so it is off here. */
#if defined(__GNUC__) && !defined(__clang__)
__attribute__((optimize("no-tree-loop-distribute-patterns")))
#endif
static void zero_wrapped(float *row, const struct conv_dims *d, int ky, int x0, int x1, int nb)
{
    int Ho = d->Ho, Wo = d->Wo, ya = d->pad - ky, yb = d->H + d->pad - ky;
    long rows = (long)nb * Ho;
    /* column by column: a strided store loop per wrapped column */
    for (int x = 0; x < x0; x++)
        for (long i = 0; i < rows; i++) row[i * Wo + x] = 0.0f;
    for (int x = x1; x < Wo; x++)
        for (long i = 0; i < rows; i++) row[i * Wo + x] = 0.0f;
    if (ya > Ho) ya = Ho;
    if (yb < 0) yb = 0;
    for (int bl = 0; bl < nb; bl++) {
        float *img = row + (size_t)bl * Ho * Wo;
        for (int i = 0; i < ya * Wo; i++) img[i] = 0.0f;
        for (int i = yb * Wo; i < Ho * Wo; i++) img[i] = 0.0f;
    }
}

/* col (Ci*K*K, nb*Ho*Wo) from images b0 .. b0+nb-1 of in (Ci,B,H,W): row
 * (c,ky,kx) holds the nb images' Ho*Wo samples one after another.  Zeros
 * outside the valid range, a contiguous copy (stride 1) or a strided
 * gather inside it, without branches per element. */
static void im2col_s2(float *col, const float *in, const struct conv_dims *d, int b0, int nb);

static void im2col(float *col, const float *in, const struct conv_dims *d, int b0, int nb)
{
    if (conv_is_s2(d)) {
        im2col_s2(col, in, d, b0, nb);
        return;
    }
    int K = d->K, Ho = d->Ho, Wo = d->Wo, S = d->stride, P = d->pad, W = d->W;
    size_t plane = (size_t)d->H * W, ncols = (size_t)nb * Ho * Wo;
    for (int c = 0; c < d->Ci; c++)
        for (int ky = 0; ky < K; ky++)
            for (int kx = 0; kx < K; kx++) {
                int x0, x1;
                valid_range(d, kx, &x0, &x1);
                float *row = col + ((size_t)(c * K + ky) * K + kx) * ncols;
                if (conv_is_same(d)) {
                    /* one shifted copy across the chunk, then the wrapped zeros */
                    const float *src = in + ((size_t)c * d->B + b0) * plane;
                    long sh, lo, hi;
                    same_shift(d, ky, kx, nb, &sh, &lo, &hi);
                    memcpy(row + lo, src + lo + sh, sizeof *row * (size_t)(hi - lo));
                    zero_wrapped(row, d, ky, x0, x1, nb);
                    continue;
                }
                for (int bl = 0; bl < nb; bl++) {
                    const float *src = in + ((size_t)c * d->B + b0 + bl) * plane;
                    for (int y = 0; y < Ho; y++) {
                        int iy = y * S - P + ky;
                        float *r = row + ((size_t)bl * Ho + y) * Wo;
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
}

/* din (Ci,B,H,W) += col2im(col) for images b0 .. b0+nb-1: the transpose of
 * im2col, over the same valid ranges.  For a "same" convolution the
 * wrapped positions of each row are zeroed in col (scratch), then the row
 * is added with one shifted loop across the chunk. */
static void col2im_add(float *din, float *col, const struct conv_dims *d, int b0, int nb)
{
    int K = d->K, Ho = d->Ho, Wo = d->Wo, S = d->stride, P = d->pad, W = d->W;
    size_t plane = (size_t)d->H * W, ncols = (size_t)nb * Ho * Wo;
    for (int c = 0; c < d->Ci; c++)
        for (int ky = 0; ky < K; ky++)
            for (int kx = 0; kx < K; kx++) {
                int x0, x1;
                valid_range(d, kx, &x0, &x1);
                float *row = col + ((size_t)(c * K + ky) * K + kx) * ncols;
                if (conv_is_same(d)) {
                    float *restrict dst = din + ((size_t)c * d->B + b0) * plane;
                    long sh, lo, hi;
                    same_shift(d, ky, kx, nb, &sh, &lo, &hi);
                    zero_wrapped(row, d, ky, x0, x1, nb);
                    const float *restrict r = row;
                    for (long i = lo; i < hi; i++) dst[i + sh] += r[i];
                    continue;
                }
                for (int bl = 0; bl < nb; bl++) {
                    float *dst = din + ((size_t)c * d->B + b0 + bl) * plane;
                    for (int y = 0; y < Ho; y++) {
                        int iy = y * S - P + ky;
                        if (iy < 0 || iy >= d->H) continue;
                        const float *restrict r = row + ((size_t)bl * Ho + y) * Wo;
                        float *restrict s = dst + (size_t)iy * W - P + kx;
                        if (S == 1)
                            for (int x = x0; x < x1; x++) s[x] += r[x];
                        else
                            for (int x = x0; x < x1; x++) s[x * S] += r[x];
                    }
                }
            }
}

/* The stride-2 3x3 convolution through the polyphase components of its
 * input: ph_pq (Ho, Wo) = x[2i+p][2j+q], p, q in {0, 1}.  Output (y, x)
 * reads input row 2y-1+ky: ph_1 row y-1 (ky = 0), ph_0 row y (ky = 1),
 * ph_1 row y (ky = 2); the same for columns.  So each of the 9 column rows
 * is one component shifted by dy*Wo + dx (dy, dx in {-1, 0}) across the
 * chunk, a contiguous copy, where the direct im2col gathers every other
 * pixel 9 times per channel; col2im adds the rows into the components the
 * same way and interleaves them once.  The components of one channel (the
 * chunk's nb images: 4 planes of nb*Ho*Wo) live after the columns. */
static void s2_phase(int k, int *ph, int *shift) /* kernel offset k -> component, shift */
{
    *ph = k == 1 ? 0 : 1;
    *shift = k == 0 ? -1 : 0;
}

/* The positions of a shifted row whose source lies outside its image:
 * column 0 of every row (dx = -1) and row 0 of every image (dy = -1). */
static void s2_zero(float *row, const struct conv_dims *d, int dy, int dx, int nb)
{
    int Ho = d->Ho, Wo = d->Wo;
    if (dx)
        for (long i = 0; i < (long)nb * Ho; i++) row[i * Wo] = 0.0f;
    if (dy)
        for (int j = 0; j < nb; j++) memset(row + (size_t)j * Ho * Wo, 0, sizeof *row * (size_t)Wo);
}

static void im2col_s2(float *col, const float *in, const struct conv_dims *d, int b0, int nb)
{
    int H = d->H, W = d->W, Ho = d->Ho, Wo = d->Wo;
    size_t n = (size_t)nb * Ho * Wo, plane = (size_t)H * W;
    float *ph = col + col_rows(d) * n;
    for (int c = 0; c < d->Ci; c++) {
        const float *src = in + ((size_t)c * d->B + b0) * plane;
        for (long r = 0; r < (long)nb * H; r++) { /* image r / H, row r % H */
            const float *restrict x = src + (size_t)r * W;
            size_t o = ((size_t)(r / H) * Ho + (size_t)(r % H) / 2) * Wo;
            float *restrict e = ph + (size_t)(2 * (r % H % 2)) * n + o, *restrict od = e + n;
            for (int k = 0; k < Wo; k++) {
                e[k] = x[2 * k];
                od[k] = x[2 * k + 1];
            }
        }
        for (int ky = 0; ky < 3; ky++)
            for (int kx = 0; kx < 3; kx++) {
                int p, q, dy, dx;
                s2_phase(ky, &p, &dy);
                s2_phase(kx, &q, &dx);
                float *row = col + ((size_t)(c * 3 + ky) * 3 + kx) * n;
                long sh = (long)dy * Wo + dx, lo = -sh;
                memcpy(row + lo, ph + (size_t)(2 * p + q) * n, sizeof *row * (size_t)((long)n - lo));
                s2_zero(row, d, dy, dx, nb);
            }
    }
}

/* din (Ci,B,H,W) = (set) or += col2im(col) of a conv_is_s2 convolution for
 * images b0 .. b0+nb-1; col is scratch (its wrapped positions are zeroed). */
static void col2im_s2(float *din, int set, float *col, const struct conv_dims *d, int b0, int nb)
{
    int H = d->H, W = d->W, Ho = d->Ho, Wo = d->Wo;
    size_t n = (size_t)nb * Ho * Wo, plane = (size_t)H * W;
    float *ph = col + col_rows(d) * n;
    for (int c = 0; c < d->Ci; c++) {
        memset(ph, 0, sizeof *ph * 4 * n);
        for (int ky = 0; ky < 3; ky++)
            for (int kx = 0; kx < 3; kx++) {
                int p, q, dy, dx;
                s2_phase(ky, &p, &dy);
                s2_phase(kx, &q, &dx);
                float *row = col + ((size_t)(c * 3 + ky) * 3 + kx) * n;
                s2_zero(row, d, dy, dx, nb);
                long lo = -((long)dy * Wo + dx);
                float *restrict dst = ph + (size_t)(2 * p + q) * n;
                const float *restrict r = row + lo;
                for (size_t i = 0; i < n - (size_t)lo; i++) dst[i] += r[i];
            }
        float *out = din + ((size_t)c * d->B + b0) * plane;
        for (long r = 0; r < (long)nb * H; r++) {
            float *restrict x = out + (size_t)r * W;
            size_t o = ((size_t)(r / H) * Ho + (size_t)(r % H) / 2) * Wo;
            const float *restrict e = ph + (size_t)(2 * (r % H % 2)) * n + o, *restrict od = e + n;
            if (set)
                for (int k = 0; k < Wo; k++) {
                    x[2 * k] = e[k];
                    x[2 * k + 1] = od[k];
                }
            else
                for (int k = 0; k < Wo; k++) {
                    x[2 * k] += e[k];
                    x[2 * k + 1] += od[k];
                }
        }
    }
}

/* Inside a parallel region: the calling thread's share [*i0, *i1) of n */
static void my_range(int n, int *i0, int *i1)
{
    int t = thread_id(), nt = thread_count();
    *i0 = (int)((long)n * t / nt);
    *i1 = (int)((long)n * (t + 1) / nt);
}

/* Inside a parallel region: the calling thread's images [*b0, *b1), one
 * contiguous block per thread; thread 0 stores the thread count in *used
 * (if not NULL).  Returns the thread number. */
static int my_block(int B, int *b0, int *b1, int *used)
{
    int t = thread_id();
    my_range(B, b0, b1);
    if (used && t == 0) *used = thread_count();
    return t;
}

/* Images per GEMM: a chunk, or the thread's whole block for a 1x1
 * convolution (it needs no columns). */
static int chunk_step(const struct conv_dims *d, int pw, int b0, int b1)
{
    return pw ? (b1 > b0 ? b1 - b0 : 1) : d->chunk;
}

/* The columns (Ci*K*K, nb*Ho*Wo) of images [b, b+nb): the input itself for
 * a 1x1 convolution (rows B*Ho*Wo apart), else im2col'ed into scratch (rows
 * nb*Ho*Wo apart); *ld = the row distance. */
static const float *chunk_cols(float *scratch, const float *in, const struct conv_dims *d, int pw, int b,
                               int nb, int *ld)
{
    int HWo = d->Ho * d->Wo;
    if (pw) {
        *ld = d->B * HWo;
        return in + (size_t)b * HWo;
    }
    im2col(scratch, in, d, b, nb);
    *ld = nb * HWo;
    return scratch;
}

/* --- Winograd F(2x2,3x3) (Lavin & Gray 2016) ------------------------------
 * A stride-1 same 3x3 convolution, output tile by output tile: a 2x2 output
 * tile needs the 4x4 input tile d around it, and
 *   y = A^T [ (G g G^T) .* (B^T d B) ] A
 * with the 4x4 products summed over input channels.  So the weights become
 * 16 matrices U_k (Co, Ci) (once per call), a chunk of T tiles becomes 16
 * matrices V_k (Ci, T), M_k = U_k . V_k are 16 GEMMs (Co*Ci*T multiplies
 * each: 16/36 of im2col's per output pixel), and A^T M A gives the outputs.
 *   B^T = [1 0 -1 0; 0 1 1 0; 0 -1 1 0; 0 1 0 -1]
 *   G   = [1 0 0; 1/2 1/2 1/2; 1/2 -1/2 1/2; 0 0 1]
 *   A^T = [1 1 1 0; 0 1 -1 -1]
 * Tiles cover ceil(H/2) x ceil(W/2) per image (outside the image the input
 * is zero; outputs outside are dropped).  Chunks, threads and the order of
 * every sum are fixed by the dims: deterministic for a fixed thread count. */
#define WT(d) ((d)->wm == 4 ? 36 : 16) /* transformed values per tile: 4x4 or 6x6 */

int conv_algo(void)
{
    const char *s = getenv("NASW_CONV");
    if (!s || !*s) return CONV_DEFAULT;
    if (!strcmp(s, "im2col")) return CONV_IM2COL;
    if (!strcmp(s, "winograd")) return CONV_WINOGRAD;
    return -1;
}

static int wino_ok(const struct conv_dims *d) { return d->wino && d->K == 3 && conv_is_same(d); }
static size_t wino_tiles(const struct conv_dims *d)
{
    return (size_t)((d->H + d->wm - 1) / d->wm) * ((d->W + d->wm - 1) / d->wm);
}
static size_t wino_rows(const struct conv_dims *d);
/* per thread: V (WT, Ci, T) and M (WT, Co, T) of one chunk, its own
 * weight-gradient sum dU (WT, Co, Ci), row buffers */
static size_t wino_per_thread(const struct conv_dims *d)
{
    return (size_t)WT(d) * (d->Ci + d->Co) * wino_tiles(d) * d->wchunk + (size_t)WT(d) * d->Co * d->Ci +
           wino_rows(d);
}
/* U (WT, Co, Ci) (or the threads' total dU) once, then the threads' own */
static size_t wino_size(const struct conv_dims *d)
{
    return (size_t)WT(d) * d->Co * d->Ci + wino_per_thread(d) * (size_t)(d->threads > 0 ? d->threads : 1);
}



/* --- the weight transforms, both tile sizes ---------------------------------
 * One weight's transform U = G g G^T into u[k*IB], k < WT (g its 3x3
 * kernel, row-major), and one weight's gradient g += G^T dU G from
 * u[k*IB]. */
#define IB 64 /* input channels per block of the weight transforms */

static void wt2_one(float *u, const float *g)
{
    float t[4][3];
    for (int c = 0; c < 3; c++) { /* t = G g (4x3) */
        float a = g[c], b = g[3 + c], e = g[6 + c];
        t[0][c] = a;
        t[1][c] = 0.5f * (a + b + e);
        t[2][c] = 0.5f * (a - b + e);
        t[3][c] = e;
    }
    for (int r = 0; r < 4; r++) { /* U = t G^T (4x4) */
        float a = t[r][0], b = t[r][1], e = t[r][2], *o = u + (size_t)(r * 4) * IB;
        o[0] = a;
        o[IB] = 0.5f * (a + b + e);
        o[2 * IB] = 0.5f * (a - b + e);
        o[3 * IB] = e;
    }
}

static void wt2_grad_one(float *g, const float *u)
{
    float t[3][4];
    for (int c = 0; c < 4; c++) { /* t = G^T dU (3x4) */
        float u0 = u[c * IB], u1 = u[(4 + c) * IB], u2 = u[(8 + c) * IB], u3 = u[(12 + c) * IB];
        t[0][c] = u0 + 0.5f * (u1 + u2);
        t[1][c] = 0.5f * (u1 - u2);
        t[2][c] = 0.5f * (u1 + u2) + u3;
    }
    for (int r = 0; r < 3; r++) { /* (G^T dU) G (3x3) */
        float u0 = t[r][0], u1 = t[r][1], u2 = t[r][2], u3 = t[r][3];
        g[3 * r] += u0 + 0.5f * (u1 + u2);
        g[3 * r + 1] += 0.5f * (u1 - u2);
        g[3 * r + 2] += 0.5f * (u1 + u2) + u3;
    }
}

/* F(4x4,3x3)'s G has 1/6, 1/12 and 1/24: as products */
static const float r6 = 1.0f / 6.0f, r12 = 1.0f / 12.0f, r24 = 1.0f / 24.0f;

static void wt4_one(float *u, const float *g)
{
    float t[6][3];
    for (int c = 0; c < 3; c++) { /* t = G g (6x3) */
        float a = g[c], b = g[3 + c], e = g[6 + c];
        t[0][c] = a * 0.25f;
        t[1][c] = -(a + b + e) * r6;
        t[2][c] = -(a - b + e) * r6;
        t[3][c] = a * r24 + b * r12 + e * r6;
        t[4][c] = a * r24 - b * r12 + e * r6;
        t[5][c] = e;
    }
    for (int r = 0; r < 6; r++) { /* U = t G^T (6x6) */
        float a = t[r][0], b = t[r][1], e = t[r][2], *o = u + (size_t)(r * 6) * IB;
        o[0] = a * 0.25f;
        o[IB] = -(a + b + e) * r6;
        o[2 * IB] = -(a - b + e) * r6;
        o[3 * IB] = a * r24 + b * r12 + e * r6;
        o[4 * IB] = a * r24 - b * r12 + e * r6;
        o[5 * IB] = e;
    }
}

static void wt4_grad_one(float *g, const float *u)
{
    float t[3][6];
    for (int c = 0; c < 6; c++) { /* t = G^T dU (3x6) */
        float u0 = u[c * IB], u1 = u[(6 + c) * IB], u2 = u[(12 + c) * IB];
        float u3 = u[(18 + c) * IB], u4 = u[(24 + c) * IB], u5 = u[(30 + c) * IB];
        t[0][c] = u0 * 0.25f - (u1 + u2) * r6 + (u3 + u4) * r24;
        t[1][c] = (u2 - u1) * r6 + (u3 - u4) * r12;
        t[2][c] = (u3 + u4 - u1 - u2) * r6 + u5;
    }
    for (int r = 0; r < 3; r++) { /* (G^T dU) G (3x3) */
        const float *v = t[r];
        g[3 * r] += v[0] * 0.25f - (v[1] + v[2]) * r6 + (v[3] + v[4]) * r24;
        g[3 * r + 1] += (v[2] - v[1]) * r6 + (v[3] - v[4]) * r12;
        g[3 * r + 2] += (v[3] + v[4] - v[1] - v[2]) * r6 + v[5];
    }
}

/* U_k[o][i] (WT, No, Ni), o in [o0, o1), from 3x3 kernels: g = w[o][i]
 * (flip = 0, w is (No, Ni, 3, 3)) or g = w[i][o] rotated by 180 degrees
 * (flip = 1, w is (Ni, No, 3, 3): the input gradient's convolution of
 * dout).  Through blocks of IB input channels: U_k lies No*Ni floats from
 * U_{k+1}, so writing each weight's 16 or 36 values straight there means
 * as many streams a power of two apart, sharing cache sets (with F(4x4)
 * on 64x64 channels the weight transform took 13% of the convolution in a
 * profile, 2% after); a block's rows go out contiguously instead. */
static void wino_weights(float *U, const float *w, int No, int Ni, int flip, int o0, int o1, int wm)
{
    int nk = wm == 4 ? 36 : 16;
    size_t s = (size_t)No * Ni;
    float tmp[36 * IB];
    for (int o = o0; o < o1; o++)
        for (int i0 = 0; i0 < Ni; i0 += IB) {
            int n = Ni - i0 < IB ? Ni - i0 : IB;
            for (int j = 0; j < n; j++) {
                int i = i0 + j;
                const float *k = flip ? w + ((size_t)i * No + o) * 9 : w + ((size_t)o * Ni + i) * 9;
                float g[9];
                for (int q = 0; q < 9; q++) g[q] = flip ? k[8 - q] : k[q];
                if (wm == 4) wt4_one(tmp + j, g);
                else wt2_one(tmp + j, g);
            }
            for (int q = 0; q < nk; q++)
                memcpy(U + (size_t)q * s + (size_t)o * Ni + i0, tmp + (size_t)q * IB, sizeof *U * (size_t)n);
        }
}

/* dw (Co, Ci, 3, 3) += G^T dU G of each (o, i), o in [o0, o1), dU (WT, Co,
 * Ci): through blocks of IB input channels, as wino_weights */
static void wino_weights_grad(float *dw, const float *dU, int Co, int Ci, int o0, int o1, int wm)
{
    int nk = wm == 4 ? 36 : 16;
    size_t s = (size_t)Co * Ci;
    float tmp[36 * IB];
    for (int o = o0; o < o1; o++)
        for (int i0 = 0; i0 < Ci; i0 += IB) {
            int n = Ci - i0 < IB ? Ci - i0 : IB;
            for (int q = 0; q < nk; q++)
                memcpy(tmp + (size_t)q * IB, dU + (size_t)q * s + (size_t)o * Ci + i0, sizeof *tmp * (size_t)n);
            for (int j = 0; j < n; j++) {
                float *g = dw + ((size_t)o * Ci + i0 + j) * 9;
                if (wm == 4) wt4_grad_one(g, tmp + j);
                else wt2_grad_one(g, tmp + j);
            }
        }
}

/* Row buffers of one thread: the input transform's 4 row planes (the
 * chunk's wchunk*th rows of tiles, 2*tw floats each, and 4 floats of
 * margin) and a zero row of W floats (the output gradient's transform: 4
 * planes without margins; the output transform: 2). */
static size_t wino_rows(const struct conv_dims *d)
{
    if (d->wm == 4) { /* input: 6 x 4 phases of T + 2 and a zero row; output: 24 planes of T, 16 of T */
        size_t T = (size_t)d->wchunk * wino_tiles(d), in = 24 * (T + 2) + (size_t)d->W;
        return in > 40 * T ? in : 40 * T;
    }
    size_t th = (size_t)(d->H + 1) / 2, tw = (size_t)(d->W + 1) / 2;
    return 4 * ((size_t)d->wchunk * th * 2 * tw + 4) + (size_t)d->W;
}

/* Prefetch the rows of the plane p that the tiles' row ty brings in (wm
 * rows from wm*ty, inside the plane).  The transforms read a chunk's
 * planes channel by channel: a short contiguous block (nb planes), then a
 * jump of B planes to the next channel, which the hardware prefetcher only
 * follows after the first misses.  Prefetching the next channel's rows of
 * each row of tiles while transforming this one hides them (+3% on the
 * benchmark network with F(2x2,3x3); no measurable change on the 7x7
 * stage's F(4x4,3x3), whose planes are small). */
static void prefetch_tile_rows(const float *p, const struct conv_dims *d, int ty)
{
    int y = d->wm * ty, n = d->H - y < d->wm ? d->H - y : d->wm; /* rows y .. y+n-1 */
    const char *c = (const char *)(p + (size_t)y * d->W);
    for (size_t o = 0; o < sizeof *p * (size_t)n * d->W; o += 64) __builtin_prefetch(c + o);
}

/* The transforms' inner loops (restrict parameters: GCC vectorises them).
 * B^T over 4 input rows: */
static void bt_rows(float *restrict t0, float *restrict t1, float *restrict t2, float *restrict t3,
                    const float *restrict a, const float *restrict e, const float *restrict g,
                    const float *restrict h, int W)
{
    for (int x = 0; x < W; x++) {
        t0[x] = a[x] - g[x];
        t1[x] = e[x] + g[x];
        t2[x] = g[x] - e[x];
        t3[x] = e[x] - h[x];
    }
}

/* B over the 4 columns 2u.. of q for n tiles: o[i*s + u], i < 4, u < n */
static void b_cols(float *restrict o, size_t s, const float *restrict q, size_t n)
{
    for (size_t u = 0; u < n; u++) {
        float q0 = q[2 * u], q1 = q[2 * u + 1], q2 = q[2 * u + 2], q3 = q[2 * u + 3];
        o[u] = q0 - q2;
        o[s + u] = q1 + q2;
        o[2 * s + u] = q2 - q1;
        o[3 * s + u] = q1 - q3;
    }
}

/* A^T m A of n tiles, m[k*s + u]: the tiles' outputs (0,0), (0,1) at
 * e[2u], e[2u+1] and (1,0), (1,1) at o[2u], o[2u+1] */
static void at_a(float *restrict e, float *restrict o, const float *restrict m, size_t s, size_t n)
{
    for (size_t u = 0; u < n; u++) {
        float a[4], v[4];
        for (int q = 0; q < 4; q++) { /* A^T m */
            float m0 = m[q * s + u], m1 = m[(4 + q) * s + u];
            float m2 = m[(8 + q) * s + u], m3 = m[(12 + q) * s + u];
            a[q] = m0 + m1 + m2;
            v[q] = m1 - m2 - m3;
        }
        e[2 * u] = a[0] + a[1] + a[2]; /* (A^T m) A */
        e[2 * u + 1] = a[1] - a[2] - a[3];
        o[2 * u] = v[0] + v[1] + v[2];
        o[2 * u + 1] = v[1] - v[2] - v[3];
    }
}

/* V_k[c][t] (16, C, T) of images [b, b+nb): tile t = (image, ty, tx) in
 * that order, V = B^T x B of the 4x4 input x at rows 2ty-1.., columns
 * 2tx-1...  Per channel: B^T over the 4 input rows of every row of tiles
 * of the chunk's images (contiguous in x) into 4 row planes of pitch 2tw,
 * then B over the tiles' columns as one loop over the channel's T tiles
 * (tile u reads columns 2u-1 .. 2u+2 of its row plane), writing V
 * contiguously; that loop reads a neighbouring row's value where the
 * padding column belongs (x = -1 of the first tile of a row, x = 2tw of
 * the last), fixed afterwards.  Long loops, not one short call per row of
 * tiles and row. */
static void wino_input(float *V, const float *in, const struct conv_dims *d, int C, int b, int nb,
                       float *rows)
{
    int H = d->H, W = d->W, th = (H + 1) / 2, tw = (W + 1) / 2, wp = 2 * tw, R = nb * th;
    size_t T = (size_t)R * tw, s = (size_t)C * T, pl = (size_t)R * wp + 4;
    float *zero = rows + 4 * pl;
    /* margins, an odd width's last column and the zero row stay zero */
    memset(rows, 0, sizeof *rows * (4 * pl + W));
    for (int c = 0; c < C; c++) {
        for (int j = 0; j < nb; j++) {
            const float *p = in + ((size_t)c * d->B + b + j) * H * W;
            for (int ty = 0; ty < th; ty++) {
                const float *r[4];
                for (int k = 0; k < 4; k++) {
                    int y = 2 * ty - 1 + k;
                    r[k] = y >= 0 && y < H ? p + (size_t)y * W : zero;
                }
                if (c + 1 < C) prefetch_tile_rows(p + (size_t)d->B * H * W, d, ty); /* the next channel's */
                float *t = rows + 1 + (size_t)(j * th + ty) * wp;
                bt_rows(t, t + pl, t + 2 * pl, t + 3 * pl, r[0], r[1], r[2], r[3], W);
            }
        }
        float *v = V + (size_t)c * T;
        for (int k = 0; k < 4; k++) { /* (B^T x) B: row k of the tiles */
            const float *q = rows + 1 + (size_t)k * pl; /* q[row*wp + x], row = j*th + ty */
            float *o = v + (size_t)(4 * k) * s;
            b_cols(o, s, q - 1, T);
            for (int y = 0; y < R; y++) { /* x0 of the first tile, x3 of the last are 0 */
                o[(size_t)y * tw] = -q[(size_t)y * wp + 1];
                o[3 * s + (size_t)y * tw + tw - 1] = q[(size_t)y * wp + wp - 2];
            }
        }
    }
}

/* out (C, B, H, W) of images [b, b+nb) = (or +=, add) A^T M A per tile,
 * M (16, C, T).  Per channel: one loop over the chunk's tiles into two row
 * planes of pitch 2tw (the tiles' even and odd output rows), then each
 * output row copied (or added) from them, dropping an odd size's last row
 * or column. */
static void wino_output(float *out, int add, const float *M, const struct conv_dims *d, int C, int b, int nb,
                        float *rows)
{
    int H = d->H, W = d->W, th = (H + 1) / 2, tw = (W + 1) / 2, wp = 2 * tw;
    size_t T = (size_t)nb * th * tw, s = (size_t)C * T;
    float *e = rows, *o = rows + T * 2;
    for (int c = 0; c < C; c++) {
        at_a(e, o, M + (size_t)c * T, s, T);
        for (int j = 0; j < nb; j++) {
            float *p = out + ((size_t)c * d->B + b + j) * H * W;
            for (int y = 0; y < H; y++) {
                const float *restrict src = (y & 1 ? o : e) + (size_t)(j * th + y / 2) * wp;
                float *restrict dst = p + (size_t)y * W;
                if (add)
                    for (int x = 0; x < W; x++) dst[x] += src[x];
                else
                    memcpy(dst, src, sizeof *dst * W);
            }
        }
    }
}

/* A over the 2 output-gradient rows a, e of a row of tiles (vectors over
 * x < W): a, a + e, a - e, -e */
static void a_rows(float *restrict t0, float *restrict t1, float *restrict t2, float *restrict t3,
                   const float *restrict a, const float *restrict e, int W)
{
    for (int x = 0; x < W; x++) {
        t0[x] = a[x];
        t1[x] = a[x] + e[x];
        t2[x] = a[x] - e[x];
        t3[x] = -e[x];
    }
}

/* dM_k[c][t] (16, C, T) of images [b, b+nb) from the output gradient
 * dout (C, B, H, W): dM = A dY A^T per tile, dY the tile's 2x2 outputs
 * (zero outside the image), A = (A^T)^T.  Per channel: A over the 2 rows
 * of every row of tiles of the chunk's images (a, a + e, a - e, -e of its
 * rows a, e; contiguous in x) into 4 row planes of pitch 2tw (an odd
 * width's last column zero), then A over the tiles' 2 columns as one loop
 * over the channel's T tiles (tile u reads columns 2u, 2u+1 of its row
 * plane), writing dM contiguously. */
static void wino_dout(float *dM, const float *dout, const struct conv_dims *d, int C, int b, int nb,
                      float *rows)
{
    int H = d->H, W = d->W, th = (H + 1) / 2, tw = (W + 1) / 2, wp = 2 * tw;
    size_t T = (size_t)nb * th * tw, s = (size_t)C * T, pl = T * 2;
    float *zero = rows + 4 * pl;
    memset(rows, 0, sizeof *rows * (4 * pl + W)); /* an odd width's last column stays zero */
    for (int c = 0; c < C; c++) {
        for (int j = 0; j < nb; j++) {
            const float *p = dout + ((size_t)c * d->B + b + j) * H * W;
            for (int ty = 0; ty < th; ty++) {
                if (c + 1 < C) prefetch_tile_rows(p + (size_t)d->B * H * W, d, ty);
                const float *ra = p + (size_t)2 * ty * W, *re = 2 * ty + 1 < H ? ra + W : zero;
                float *a = rows + (size_t)(j * th + ty) * wp;
                a_rows(a, a + pl, a + 2 * pl, a + 3 * pl, ra, re, W);
            }
        }
        float *v = dM + (size_t)c * T;
        for (int k = 0; k < 4; k++) {
            const float *restrict q = rows + (size_t)k * pl;
            float *restrict o0 = v + (size_t)(4 * k) * s, *restrict o1 = o0 + s;
            float *restrict o2 = o0 + 2 * s, *restrict o3 = o0 + 3 * s;
            for (size_t u = 0; u < T; u++) {
                float e = q[2 * u], o = q[2 * u + 1];
                o0[u] = e;
                o1[u] = e + o;
                o2[u] = e - o;
                o3[u] = -o;
            }
        }
    }
}

/* --- Winograd F(4x4,3x3) ---------------------------------------------------
 * 6x6 input tiles, 4x4 output tiles, 36 GEMMs (Lavin & Gray 2016):
 *   B^T = [4 0 -5 0 1 0; 0 -4 -4 1 1 0; 0 4 -4 -1 1 0;
 *          0 -2 -1 2 1 0; 0 2 -1 -2 1 0; 0 4 0 -5 0 1]
 *   G   = [1/4 0 0; -1/6 -1/6 -1/6; -1/6 1/6 -1/6;
 *          1/24 1/12 1/6; 1/24 -1/12 1/6; 0 0 1]
 *   A^T = [1 1 1 1 1 0; 0 1 -1 2 -2 0; 0 1 1 4 4 0; 0 1 -1 8 -8 1]
 * A chunk's tiles are ordered (ty, image, tx), so that a row of tiles of
 * all the chunk's images is one run: the transforms work on row planes of
 * pitch 4*tw per image, tile u = (ty*nb + j)*tw + tx at columns 4u.., one
 * long loop over the tiles per plane.  A plane is kept as its 4 phases
 * (column 4u + m at phase m, index u), so that the loops over the tiles
 * read and write unit-stride arrays (vectorised) instead of every 4th
 * value (which GCC leaves scalar). */

/* B^T over the 6 input rows r (x < W) of a row of tiles into the 6 row
 * planes at t (plane k at t + k*pl, each 4 phases pn apart), the column x
 * at 1 + x (column 0 is the left padding) */
static void bt6_rows(float *t, size_t pl, size_t pn, const float *const *r, int W)
{
    for (int x = 0; x < W; x++) {
        float r0 = r[0][x], r1 = r[1][x], r2 = r[2][x], r3 = r[3][x], r4 = r[4][x], r5 = r[5][x];
        float a = r1 + r2, bb = r3 + r4, cc = r1 - r2, e = r4 - r3, f = r4 - r2, g = r3 - r1;
        float *o = t + (size_t)((1 + x) & 3) * pn + (size_t)((1 + x) >> 2);
        o[0] = 4.0f * r0 - 5.0f * r2 + r4;
        o[pl] = bb - 4.0f * a;
        o[2 * pl] = e + 4.0f * cc;
        o[3 * pl] = f + 2.0f * g;
        o[4 * pl] = f - 2.0f * g;
        o[5 * pl] = 4.0f * r1 - 5.0f * r3 + r5;
    }
}

/* The F(4x4,3x3) loops over tiles, as functions of restrict parameters,
 * one pointer per output row: GCC vectorises them (with restrict locals,
 * or outputs at runtime offsets of one pointer, whose overlap it would
 * have to rule out at run time, it does not).  B over the 6 columns of n
 * tiles from a plane's phases (column 4u+m at qm[u], 4u+4 and 4u+5 at
 * q0[u+1], q1[u+1]) into o[l][u], l < 6. */
static void b6_cols(float *restrict o0, float *restrict o1, float *restrict o2, float *restrict o3,
                    float *restrict o4, float *restrict o5, const float *restrict q0, const float *restrict q1,
                    const float *restrict q2, const float *restrict q3, size_t n)
{
    for (size_t u = 0; u < n; u++) {
        float x0 = q0[u], x1 = q1[u], x2 = q2[u], x3 = q3[u], x4 = q0[u + 1], x5 = q1[u + 1];
        float a = x1 + x2, bb = x3 + x4, cc = x1 - x2, e = x4 - x3, f = x4 - x2, g = x3 - x1;
        o0[u] = 4.0f * x0 - 5.0f * x2 + x4;
        o1[u] = bb - 4.0f * a;
        o2[u] = e + 4.0f * cc;
        o3[u] = f + 2.0f * g;
        o4[u] = f - 2.0f * g;
        o5[u] = 4.0f * x1 - 5.0f * x3 + x5;
    }
}

/* A^T over 6 values m[k*s + u] of n tiles: o[r*os + u], r < 4 */
static void at6_rows(float *restrict o0, float *restrict o1, float *restrict o2, float *restrict o3,
                     const float *restrict m0, const float *restrict m1, const float *restrict m2,
                     const float *restrict m3, const float *restrict m4, const float *restrict m5, size_t n)
{
    for (size_t u = 0; u < n; u++) {
        float a = m1[u] + m2[u], bb = m3[u] + m4[u], cc = m1[u] - m2[u], e = m3[u] - m4[u];
        o0[u] = m0[u] + a + bb;
        o1[u] = cc + 2.0f * e;
        o2[u] = a + 4.0f * bb;
        o3[u] = cc + 8.0f * e + m5[u];
    }
}

static void at6(float *o, size_t os, const float *m, size_t s, size_t n)
{
    at6_rows(o, o + os, o + 2 * os, o + 3 * os, m, m + s, m + 2 * s, m + 3 * s, m + 4 * s, m + 5 * s, n);
}

/* A over 4 values q[m*s + u] of n tiles: o[l*os + u], l < 6 */
static void a6_rows(float *restrict o0, float *restrict o1, float *restrict o2, float *restrict o3,
                    float *restrict o4, float *restrict o5, const float *restrict q0, const float *restrict q1,
                    const float *restrict q2, const float *restrict q3, size_t n)
{
    for (size_t u = 0; u < n; u++) {
        float x0 = q0[u], x1 = q1[u], x2 = q2[u], x3 = q3[u];
        float e = x0 + x2, f = x1 + x3, g = x0 + 4.0f * x2, h = 2.0f * x1 + 8.0f * x3;
        o0[u] = x0;
        o1[u] = e + f;
        o2[u] = e - f;
        o3[u] = g + h;
        o4[u] = g - h;
        o5[u] = x3;
    }
}

static void a6(float *o, size_t os, const float *q, size_t s, size_t n)
{
    a6_rows(o, o + os, o + 2 * os, o + 3 * os, o + 4 * os, o + 5 * os, q, q + s, q + 2 * s, q + 3 * s, n);
}

/* V_k (36, C, T) of images [b, b+nb), tiles (ty, image, tx): per channel,
 * B^T over the 6 input rows 4ty-1.. of every (ty, image) into 6 row planes
 * (the image's column x at 1 + x of its 4tw, column 0 and those past W
 * zero), then B over the tiles' columns as one loop over the channel's T
 * tiles.  The last tile of a row reads 2 columns past its 4tw: the next
 * row's padding column (zero, as it should be) and its first column, where
 * the tile's input column 4tw is zero.  That column only enters the tile's
 * V_{k,5}, which only reaches output column 4tw-1 >= W (dropped), and in
 * the weight gradient meets dM_{k,5} = (A dY)_{k,3}, zero there: no
 * fix-up needed.  (The last row's reads past it find the zero margin.) */
static void wino4_input(float *V, const float *in, const struct conv_dims *d, int C, int b, int nb, float *rows)
{
    int H = d->H, W = d->W, th = (H + 3) / 4, tw = (W + 3) / 4, R = th * nb;
    size_t T = (size_t)R * tw, s = (size_t)C * T, pn = T + 2, pl = 4 * pn;
    float *zero = rows + 6 * pl;
    memset(rows, 0, sizeof *rows * (6 * pl + W));
    for (int c = 0; c < C; c++) {
        for (int ty = 0; ty < th; ty++)
            for (int j = 0; j < nb; j++) {
                const float *p = in + ((size_t)c * d->B + b + j) * H * W, *r[6];
                if (c + 1 < C) prefetch_tile_rows(p + (size_t)d->B * H * W, d, ty);
                for (int k = 0; k < 6; k++) {
                    int y = 4 * ty - 1 + k;
                    r[k] = y >= 0 && y < H ? p + (size_t)y * W : zero;
                }
                bt6_rows(rows + (size_t)(ty * nb + j) * tw, pl, pn, r, W);
            }
        float *v = V + (size_t)c * T;
        for (int k = 0; k < 6; k++) {
            const float *q = rows + (size_t)k * pl;
            float *o = v + (size_t)(6 * k) * s;
            b6_cols(o, o + s, o + 2 * s, o + 3 * s, o + 4 * s, o + 5 * s, q, q + pn, q + 2 * pn, q + 3 * pn, T);
        }
    }
}

/* out (C, B, H, W) of images [b, b+nb) = (or +=, add) A^T M A per tile,
 * M (36, C, T).  Per channel: A^T over each tile's 6 rows (P, 24 planes of
 * T: P[r][l]), then over its 6 columns into 4 row planes of 4 phases (Y),
 * then the output rows copied (or added) from those. */
static void wino4_output(float *out, int add, const float *M, const struct conv_dims *d, int C, int b, int nb,
                         float *rows)
{
    int H = d->H, W = d->W, th = (H + 3) / 4, tw = (W + 3) / 4;
    size_t T = (size_t)nb * th * tw, s = (size_t)C * T;
    float *P = rows, *Y = rows + 24 * T; /* Y[(4r + m) T + u]: row r, column 4u + m */
    for (int c = 0; c < C; c++) {
        /* P[(6r + l) T + u] = A^T over M_{6k+l}, k < 6; Y[(4r + m) T + u] = A^T over P[6r + l], l < 6 */
        for (int l = 0; l < 6; l++) at6(P + (size_t)l * T, 6 * T, M + (size_t)c * T + (size_t)l * s, 6 * s, T);
        for (int r = 0; r < 4; r++) at6(Y + (size_t)(4 * r) * T, T, P + (size_t)(6 * r) * T, T, T);
        for (int ty = 0; ty < th; ty++)
            for (int j = 0; j < nb; j++) {
                float *p = out + ((size_t)c * d->B + b + j) * H * W;
                size_t u0 = (size_t)(ty * nb + j) * tw;
                for (int r = 0; r < 4 && 4 * ty + r < H; r++) {
                    const float *src = Y + (size_t)(4 * r) * T + u0;
                    float *dst = p + (size_t)(4 * ty + r) * W;
                    for (int x = 0; x < W; x++) {
                        float v = src[(size_t)(x & 3) * T + (size_t)(x >> 2)];
                        dst[x] = add ? dst[x] + v : v;
                    }
                }
            }
    }
}

/* dM_k (36, C, T) of images [b, b+nb) = A dY A^T per tile from dout (C, B,
 * H, W), dY the tile's 4x4 outputs (zero outside the image): per channel,
 * A over the 4 rows of every (ty, image) into 6 row planes of 4 phases
 * (columns past W zero), then over each tile's 4 columns as one loop over
 * the channel's T tiles. */
static void wino4_dout(float *dM, const float *dout, const struct conv_dims *d, int C, int b, int nb, float *rows)
{
    int H = d->H, W = d->W, th = (H + 3) / 4, tw = (W + 3) / 4;
    size_t T = (size_t)nb * th * tw, s = (size_t)C * T, pn = T, pl = 4 * pn;
    float *zero = rows + 6 * pl;
    memset(rows, 0, sizeof *rows * (6 * pl + W));
    for (int c = 0; c < C; c++) {
        for (int ty = 0; ty < th; ty++)
            for (int j = 0; j < nb; j++) {
                const float *p = dout + ((size_t)c * d->B + b + j) * H * W;
                if (c + 1 < C) prefetch_tile_rows(p + (size_t)d->B * H * W, d, ty);
                const float *r0 = p + (size_t)4 * ty * W;
                const float *r1 = 4 * ty + 1 < H ? r0 + W : zero;
                const float *r2 = 4 * ty + 2 < H ? r0 + 2 * W : zero;
                const float *r3 = 4 * ty + 3 < H ? r0 + 3 * W : zero;
                float *t = rows + (size_t)(ty * nb + j) * tw;
                for (int x = 0; x < W; x++) {
                    float e = r0[x] + r2[x], f = r1[x] + r3[x], g = r0[x] + 4.0f * r2[x];
                    float h = 2.0f * r1[x] + 8.0f * r3[x];
                    float *o = t + (size_t)(x & 3) * pn + (size_t)(x >> 2);
                    o[0] = r0[x];
                    o[pl] = e + f;
                    o[2 * pl] = e - f;
                    o[3 * pl] = g + h;
                    o[4 * pl] = g - h;
                    o[5 * pl] = r3[x];
                }
            }
        for (int k = 0; k < 6; k++) a6(dM + (size_t)c * T + (size_t)(6 * k) * s, s, rows + (size_t)k * pl, pn, T);
    }
}

/* dw (Co, Ci, 3, 3) += weight gradient of a same 3x3 convolution in the
 * Winograd domain: the forward is linear in U = G g G^T, so
 * dU_k (Co, Ci) = sum over tiles of dM_k (Co, T) . V_k (Ci, T)^T, with V
 * the input's transform (as the forward) and dM = A dY A^T the output
 * gradient's; dg = G^T dU G.  16 GEMMs per chunk of 16/36 of im2col's
 * multiplies (F(4x4,3x3): 36 GEMMs, 36/144).  Each thread sums its own dU (its images in order), the
 * threads' dU are added in thread order: deterministic for a fixed thread
 * count.  Scratch of wino_size floats. */
static void wino_wgrad(float *dw, const float *dout, const float *in, const struct conv_dims *d, float *scratch)
{
    int T = d->threads > 0 ? d->threads : 1, Co = d->Co, Ci = d->Ci, used = 1;
    size_t per = wino_per_thread(d), us = (size_t)WT(d) * Co * Ci;
    float *dU = scratch; /* the sum; the threads' own dU follow their V and M */
#ifdef _OPENMP
#pragma omp parallel num_threads(T)
#endif
    {
        int b0, b1, t = my_block(d->B, &b0, &b1, &used);
        float *V = scratch + us + (size_t)t * per, *mine = V + per - wino_rows(d) - us;
        float beta = 0.0f;
        if (b0 == b1) memset(mine, 0, sizeof *mine * us);
        for (int b = b0; b < b1; b += d->wchunk) {
            int nb = b1 - b < d->wchunk ? b1 - b : d->wchunk, nt = nb * (int)wino_tiles(d);
            float *M = V + (size_t)WT(d) * Ci * nt, *rows = V + per - wino_rows(d);
            (d->wm == 4 ? wino4_input : wino_input)(V, in, d, Ci, b, nb, rows);
            (d->wm == 4 ? wino4_dout : wino_dout)(M, dout, d, Co, b, nb, rows);
            for (int k = 0; k < WT(d); k++)
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Co, Ci, nt, 1.0f, M + (size_t)k * Co * nt, nt,
                            V + (size_t)k * Ci * nt, nt, beta, mine + (size_t)k * Co * Ci, Ci);
            beta = 1.0f;
        }
        /* then each thread sums and transforms the dU rows of its share of
         * the output channels: the threads' dU added in thread order */
#ifdef _OPENMP
#pragma omp barrier
#endif
        int o0, o1;
        my_range(Co, &o0, &o1);
        for (int k = 0; k < WT(d); k++) {
            size_t a = ((size_t)k * Co + o0) * Ci, n = (size_t)(o1 - o0) * Ci;
            for (int u = 0; u < used; u++) {
                const float *o = scratch + us + (size_t)(u + 1) * per - wino_rows(d) - us + a;
                if (u == 0) memcpy(dU + a, o, sizeof *dU * n);
                else
                    for (size_t i = 0; i < n; i++) dU[a + i] += o[i];
            }
        }
        /* (the rows this thread summed: no barrier needed) */
        wino_weights_grad(dw, dU, Co, Ci, o0, o1, d->wm);
    }
    (void)T;
}

/* out (No, B, H, W) (+)= same 3x3 convolution of in (Ni, B, H, W) with the
 * weights w as wino_weights reads them; scratch of wino_size floats. */
static void wino_conv(float *out, int add, const float *in, const float *w, int flip, int No, int Ni,
                      const struct conv_dims *d, float *scratch)
{
    int T = d->threads > 0 ? d->threads : 1;
    float *U = scratch;
    size_t per = wino_per_thread(d);
#ifdef _OPENMP
#pragma omp parallel num_threads(T)
#endif
    {
        int b0, b1, t = my_block(d->B, &b0, &b1, NULL), o0, o1;
        my_range(No, &o0, &o1); /* U: each thread its share of the output channels */
        wino_weights(U, w, No, Ni, flip, o0, o1, d->wm);
#ifdef _OPENMP
#pragma omp barrier
#endif
        float *V = scratch + (size_t)WT(d) * No * Ni + (size_t)t * per;
        for (int b = b0; b < b1; b += d->wchunk) {
            int nb = b1 - b < d->wchunk ? b1 - b : d->wchunk, nt = nb * (int)wino_tiles(d);
            float *M = V + (size_t)WT(d) * Ni * nt, *rows = V + per - wino_rows(d);
            (d->wm == 4 ? wino4_input : wino_input)(V, in, d, Ni, b, nb, rows);
            for (int k = 0; k < WT(d); k++)
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, No, nt, Ni, 1.0f, U + (size_t)k * No * Ni,
                            Ni, V + (size_t)k * Ni * nt, nt, 0.0f, M + (size_t)k * No * nt, nt);
            (d->wm == 4 ? wino4_output : wino_output)(out, add, M, d, No, b, nb, rows);
        }
    }
    (void)T;
}

void conv_forward(float *out, const float *in, const float *w, const struct conv_dims *d, float *col)
{
    if (wino_ok(d)) {
        wino_conv(out, 0, in, w, 0, d->Co, d->Ci, d, col);
        return;
    }
    int M = d->Co, HWo = d->Ho * d->Wo, Kd = d->Ci * d->K * d->K, T = d->threads > 0 ? d->threads : 1;
    int ldo = d->B * HWo, pw = conv_is_pointwise(d);
#ifdef _OPENMP
#pragma omp parallel num_threads(T)
#endif
    {
        int b0, b1, t = my_block(d->B, &b0, &b1, NULL);
        float *mine = col + (size_t)t * col_per_thread(d);
        int step = chunk_step(d, pw, b0, b1);
        for (int b = b0; b < b1; b += step) {
            int nb = b1 - b < step ? b1 - b : step, N = nb * HWo, ldc;
            const float *c = chunk_cols(mine, in, d, pw, b, nb, &ldc);
            /* out (Co, nb*Ho*Wo) = W (Co, Kd) . col (Kd, nb*Ho*Wo), rows ldo apart */
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, M, N, Kd, 1.0f, w, Kd, c, ldc, 0.0f,
                        out + (size_t)b * HWo, ldo);
        }
    }
    (void)T;
}

/* Wflip (Ci, Co*K*K): wflip[ci][co][ky][kx] = w[co][ci][K-1-ky][K-1-kx] */
static void flip_weights(float *wflip, const float *w, const struct conv_dims *d)
{
    int K = d->K, KK = K * K;
    for (int ci = 0; ci < d->Ci; ci++)
        for (int co = 0; co < d->Co; co++)
            for (int k = 0; k < KK; k++)
                wflip[((size_t)ci * d->Co + co) * KK + k] = w[((size_t)co * d->Ci + ci) * KK + (KK - 1 - k)];
}

/* dw (Co, Ci, K, K) += sum over threads t < T, in order, of the transposed
 * partials G_t (Co*K*K, Ci): dw[co][ci][k] gets G_t[co*K*K + K*K-1-k][ci]. */
static void add_transposed_partials(float *dw, const float *G, int T, const struct conv_dims *d)
{
    int KK = d->K * d->K, Ci = d->Ci;
    size_t ws = w_size(d);
#ifdef _OPENMP
#pragma omp parallel for schedule(static) num_threads(d->threads > 0 ? d->threads : 1) if (ws > PAR_MIN)
#endif
    for (int co = 0; co < d->Co; co++)
        for (int ci = 0; ci < Ci; ci++)
            for (int k = 0; k < KK; k++) {
                size_t g = ((size_t)co * KK + KK - 1 - k) * Ci + ci;
                float *o = dw + ((size_t)co * Ci + ci) * KK + k;
                for (int t = 0; t < T; t++) *o += G[(size_t)t * ws + g];
            }
}

/* Backward of a "same" convolution with Co <= Ci (every cell convolution
 * under NASW_CONV=im2col):
 * one im2col, of dout, serves both gradients.  The input gradient is a same
 * convolution of dout with the flipped, transposed weights,
 * din (Ci, N) = Wflip (Ci, Co*K*K) . dcol (Co*K*K, N), dcol = im2col(dout),
 * written in place (no col2im scatter).  And the weight gradient pairs each
 * input pixel with the output pixels it fed, which is the same dcol row
 * read the other way: G (Co*K*K, Ci) = dcol . in^T (the images are the
 * long reduction), dW[co][ci][k] = G[co*K*K + K*K-1-k][ci].  No im2col of
 * the input at all. */
static void conv_backward_same(float *din, int set, float *dw, const float *dout, const float *in,
                               const float *w, const struct conv_dims *d, float *col)
{
    int HWo = d->Ho * d->Wo, Kt = d->Co * d->K * d->K, T = d->threads > 0 ? d->threads : 1;
    int ldo = d->B * HWo;
    size_t cs = col_per_thread(d), ws = w_size(d);
    float *part = col + cs * (size_t)T, *wflip = part + ws * (size_t)T;
    struct conv_dims dt = *d; /* dout as the input of the din convolution */
    dt.Ci = d->Co;
    dt.Co = d->Ci;
    if (din) flip_weights(wflip, w, d);
    int used = 1;
#ifdef _OPENMP
#pragma omp parallel num_threads(T)
#endif
    {
        int b0, b1, t = my_block(d->B, &b0, &b1, &used);
        float *mine = col + (size_t)t * cs, *G = part + (size_t)t * ws;
        float beta = 0.0f, dbeta = set ? 0.0f : 1.0f;
        if (b0 == b1) memset(G, 0, sizeof *G * ws);
        for (int b = b0; b < b1; b += d->chunk) {
            int nb = b1 - b < d->chunk ? b1 - b : d->chunk, N = nb * HWo;
            im2col(mine, dout, &dt, b, nb);
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Kt, d->Ci, N, 1.0f, mine, N,
                        in + (size_t)b * HWo, ldo, beta, G, d->Ci);
            beta = 1.0f;
            if (din)
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, d->Ci, N, Kt, 1.0f, wflip, Kt, mine, N,
                            dbeta, din + (size_t)b * HWo, ldo);
        }
    }
    add_transposed_partials(dw, part, used, d);
}

/* set: din = dL/din instead of din += dL/din.  Same 3x3 convolutions
 * under Winograd: wino_conv and wino_wgrad.  Other same convolutions with
 * Co <= Ci: conv_backward_same.  Others: dW += dout . im2col(in)^T, and
 * din by a 1x1 GEMM in place, or dcol = W^T . dout and col2im. */
static void conv_backward_to(float *din, int set, float *dw, const float *dout, const float *in,
                             const float *w, const struct conv_dims *d, float *col)
{
    int M = d->Co, HWo = d->Ho * d->Wo, Kd = d->Ci * d->K * d->K, T = d->threads > 0 ? d->threads : 1;
    int ldo = d->B * HWo, pw = conv_is_pointwise(d);
    if (wino_ok(d)) {
        if (din) wino_conv(din, !set, dout, w, 1, d->Ci, d->Co, d, col);
        wino_wgrad(dw, dout, in, d, col);
        return;
    }
    if (!pw && conv_is_same(d) && d->Co <= d->Ci) {
        conv_backward_same(din, set, dw, dout, in, w, d, col);
        return;
    }
    size_t cs = col_per_thread(d), ws = w_size(d);
    /* weight-gradient partials of threads 1.. after all the column buffers;
     * thread 0 accumulates into dw itself */
    float *part = col + cs * (size_t)T;
    int used = 1;
#ifdef _OPENMP
#pragma omp parallel num_threads(T)
#endif
    {
        int b0, b1, t = my_block(d->B, &b0, &b1, &used);
        float *mine = col + (size_t)t * cs, *dwt = t ? part + (size_t)(t - 1) * ws : dw;
        float beta = t ? 0.0f : 1.0f, dbeta = set ? 0.0f : 1.0f;
        if (t && b0 == b1) memset(dwt, 0, sizeof *dwt * ws);
        int step = chunk_step(d, pw, b0, b1);
        for (int b = b0; b < b1; b += step) {
            int nb = b1 - b < step ? b1 - b : step, N = nb * HWo, ldc;
            const float *go = dout + (size_t)b * HWo;
            const float *c = chunk_cols(mine, in, d, pw, b, nb, &ldc);
            /* dW (Co, Kd) += dout (Co, N) . col^T (N, Kd): the images are the long reduction */
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, M, Kd, N, 1.0f, go, ldo, c, ldc, beta,
                        dwt, Kd);
            beta = 1.0f;
            if (!din) continue;
            float *dinb = din + (size_t)b * HWo;
            if (pw) {
                /* din (Ci, N) (+)= W^T (Ci, Co) . dout (Co, N) */
                cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, Kd, N, M, 1.0f, w, Kd, go, ldo, dbeta,
                            dinb, ldo);
            } else if (conv_is_s2(d)) {
                cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, Kd, N, M, 1.0f, w, Kd, go, ldo, 0.0f,
                            mine, N);
                col2im_s2(din, set, mine, d, b, nb);
            } else {
                if (set)
                    for (int ci = 0; ci < d->Ci; ci++)
                        memset(din + ((size_t)ci * d->B + b) * d->H * d->W, 0,
                               sizeof *din * (size_t)nb * d->H * d->W);
                cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, Kd, N, M, 1.0f, w, Kd, go, ldo, 0.0f,
                            mine, N);
                col2im_add(din, mine, d, b, nb);
            }
        }
    }
    /* add the other threads' partials in thread order: deterministic for a fixed T */
    if (used > 1) {
#ifdef _OPENMP
#pragma omp parallel for schedule(static) num_threads(T) if (ws > PAR_MIN)
#endif
        for (size_t i = 0; i < ws; i++)
            for (int t = 1; t < used; t++) dw[i] += part[(size_t)(t - 1) * ws + i];
    }
}

void conv_backward(float *din, float *dw, const float *dout, const float *in, const float *w,
                   const struct conv_dims *d, float *col)
{
    conv_backward_to(din, 0, dw, dout, in, w, d, col);
}

void conv_backward_set(float *din, float *dw, const float *dout, const float *in, const float *w,
                       const struct conv_dims *d, float *col)
{
    conv_backward_to(din, 1, dw, dout, in, w, d, col);
}

/* Sums in double over LANES partial sums, combined in a fixed order: the
 * same result every run. */
#define LANES 8

static double lanes_total(const double *acc)
{
    double t = 0;
    for (int l = 0; l < LANES; l++) t += acc[l];
    return t;
}

/* The reductions add blocks of VB values in float, 16 running sums of 4-wide
 * vectors (the GCC/Clang vector extension, lowered to the target's SIMD:
 * float adds the compiler could not reorder itself without -ffast-math),
 * and fold each block's sums into LANES double accumulators: in a fixed
 * order (deterministic), the rounding of a float sum of VB/16 values per
 * block, the throughput of float SIMD rather than of double conversions. */
typedef float v4f __attribute__((vector_size(16)));
#define VB 256

static inline v4f ld4(const float *p)
{
    v4f v;
    memcpy(&v, p, sizeof v);
    return v;
}

static void fold4(double *restrict acc, v4f a, v4f b, v4f c, v4f d)
{
    for (int l = 0; l < 4; l++) {
        acc[l] += (double)a[l] + (double)c[l];
        acc[4 + l] += (double)b[l] + (double)d[l];
    }
}

/* acc += the x[i] */
static void sum_lanes(double *restrict acc, const float *restrict x, int n)
{
    for (int i0 = 0; i0 < n; i0 += VB) {
        int i1 = n - i0 < VB ? n : i0 + VB, i = i0;
        v4f a = {0, 0, 0, 0}, b = a, c = a, d = a;
        for (; i + 16 <= i1; i += 16) {
            a += ld4(x + i);
            b += ld4(x + i + 4);
            c += ld4(x + i + 8);
            d += ld4(x + i + 12);
        }
        fold4(acc, a, b, c, d);
        for (; i < i1; i++) acc[i % LANES] += x[i];
    }
}

/* acc += the (x[i] - m)^2 */
static void sumsq_lanes(double *restrict acc, const float *restrict x, float m, int n)
{
    v4f mv = {m, m, m, m};
    for (int i0 = 0; i0 < n; i0 += VB) {
        int i1 = n - i0 < VB ? n : i0 + VB, i = i0;
        v4f a = {0, 0, 0, 0}, b = a, c = a, d = a;
        for (; i + 16 <= i1; i += 16) {
            v4f p = ld4(x + i) - mv, q = ld4(x + i + 4) - mv, r = ld4(x + i + 8) - mv, t = ld4(x + i + 12) - mv;
            a += p * p;
            b += q * q;
            c += r * r;
            d += t * t;
        }
        fold4(acc, a, b, c, d);
        for (; i < i1; i++) acc[i % LANES] += (x[i] - m) * (x[i] - m);
    }
}

/* sa += the a[i], sab += the a[i] xhat[i], xhat = (x - m) * invstd */
static void dot_lanes(double *restrict sa, double *restrict sab, const float *restrict a, const float *restrict x,
                      float m, float invstd, int n)
{
    v4f mv = {m, m, m, m}, iv = {invstd, invstd, invstd, invstd};
    for (int i0 = 0; i0 < n; i0 += VB) {
        int i1 = n - i0 < VB ? n : i0 + VB, i = i0;
        v4f f0 = {0, 0, 0, 0}, f1 = f0, g0 = f0, g1 = f0;
        for (; i + 8 <= i1; i += 8) {
            v4f p = ld4(a + i), q = ld4(a + i + 4);
            f0 += p;
            f1 += q;
            g0 += p * ((ld4(x + i) - mv) * iv);
            g1 += q * ((ld4(x + i + 4) - mv) * iv);
        }
        v4f z = {0, 0, 0, 0};
        fold4(sa, f0, f1, z, z);
        fold4(sab, g0, g1, z, z);
        for (; i < i1; i++) {
            sa[i % LANES] += a[i];
            sab[i % LANES] += a[i] * ((x[i] - m) * invstd);
        }
    }
}

/* add: out += ... instead of out = ... */
static void bn_forward_to(float *out, int add, const float *in, const float *gamma, const float *beta,
                          float *running_mean, float *running_var, float momentum, float eps,
                          const struct bn_cache *c, int B, int C, int HW)
{
    int N = B * HW;
    double n = (double)N;
    PAR_FOR((size_t)N * C)
    for (int ch = 0; ch < C; ch++) {
        const float *x = in + (size_t)ch * N;
        float *y = out + (size_t)ch * N;
        double acc[LANES] = {0}, acc2[LANES] = {0};
        sum_lanes(acc, x, N);
        double mean = lanes_total(acc) / n;
        float mf = (float)mean;
        sumsq_lanes(acc2, x, mf, N); /* about mf: take (mean - mf)^2 off */
        double dm = mean - (double)mf, ss = lanes_total(acc2) - n * dm * dm, var;
        if (ss < 0) ss = 0;
        var = ss / n;
        float invstd = (float)(1.0 / sqrt(var + eps));
        c->mean[ch] = (float)mean;
        c->invstd[ch] = invstd;
        if (running_mean) {
            running_mean[ch] = (1 - momentum) * running_mean[ch] + momentum * (float)mean;
            running_var[ch] =
                (1 - momentum) * running_var[ch] + momentum * (float)(n > 1 ? ss / (n - 1) : var);
        }
        float g = gamma[ch], bt = beta[ch], m = (float)mean;
        if (add)
            for (int i = 0; i < N; i++) y[i] += g * ((x[i] - m) * invstd) + bt;
        else
            for (int i = 0; i < N; i++) y[i] = g * ((x[i] - m) * invstd) + bt;
    }
}

void bn_forward_train(float *out, const float *in, const float *gamma, const float *beta,
                      float *running_mean, float *running_var, float momentum, float eps,
                      const struct bn_cache *c, int B, int C, int HW)
{
    bn_forward_to(out, 0, in, gamma, beta, running_mean, running_var, momentum, eps, c, B, C, HW);
}

void bn_forward_train_add(float *out, const float *in, const float *gamma, const float *beta,
                          float *running_mean, float *running_var, float momentum, float eps,
                          const struct bn_cache *c, int B, int C, int HW)
{
    bn_forward_to(out, 1, in, gamma, beta, running_mean, running_var, momentum, eps, c, B, C, HW);
}

static void bn_eval_to(float *out, int add, const float *in, const float *gamma, const float *beta,
                       const float *running_mean, const float *running_var, float eps, int B, int C, int HW)
{
    size_t N = (size_t)B * HW;
    PAR_FOR(N * C)
    for (int ch = 0; ch < C; ch++) {
        float invstd = 1.0f / sqrtf(running_var[ch] + eps);
        float scale = gamma[ch] * invstd, shift = beta[ch] - running_mean[ch] * scale;
        const float *x = in + ch * N;
        float *y = out + ch * N;
        if (add)
            for (size_t i = 0; i < N; i++) y[i] += x[i] * scale + shift;
        else
            for (size_t i = 0; i < N; i++) y[i] = x[i] * scale + shift;
    }
}

void bn_forward_eval(float *out, const float *in, const float *gamma, const float *beta,
                     const float *running_mean, const float *running_var, float eps, int B, int C,
                     int HW)
{
    bn_eval_to(out, 0, in, gamma, beta, running_mean, running_var, eps, B, C, HW);
}

void bn_forward_eval_add(float *out, const float *in, const float *gamma, const float *beta,
                         const float *running_mean, const float *running_var, float eps, int B, int C,
                         int HW)
{
    bn_eval_to(out, 1, in, gamma, beta, running_mean, running_var, eps, B, C, HW);
}

/* set: din = ... instead of din += ... */
static void bn_backward_to(float *din, int set, float *dgamma, float *dbeta, const float *dout,
                           const float *in, const float *gamma, const struct bn_cache *c, int B, int C, int HW)
{
    int N = B * HW;
    float n = (float)N;
    PAR_FOR((size_t)N * C)
    for (int ch = 0; ch < C; ch++) {
        size_t off = (size_t)ch * N;
        double acc[LANES] = {0}, accx[LANES] = {0};
        dot_lanes(acc, accx, dout + off, in + off, c->mean[ch], c->invstd[ch], N);
        double sd = lanes_total(acc), sdx = lanes_total(accx);
        dbeta[ch] += (float)sd;
        dgamma[ch] += (float)sdx;
        if (din) {
            /* with dxhat = g*dout: sum dxhat = g*sd, sum dxhat*xhat = g*sdx */
            float g = gamma[ch], is = c->invstd[ch], m = c->mean[ch], k = g * is / n;
            float a = (float)sd, bx = (float)sdx;
            const float *go = dout + off, *x = in + off;
            float *dx = din + off;
            if (set)
                for (int i = 0; i < N; i++) dx[i] = k * (n * go[i] - a - (x[i] - m) * is * bx);
            else
                for (int i = 0; i < N; i++) dx[i] += k * (n * go[i] - a - (x[i] - m) * is * bx);
        }
    }
}

void bn_backward(float *din, float *dgamma, float *dbeta, const float *dout, const float *in,
                 const float *gamma, const struct bn_cache *c, int B, int C, int HW)
{
    bn_backward_to(din, 0, dgamma, dbeta, dout, in, gamma, c, B, C, HW);
}

void bn_backward_set(float *din, float *dgamma, float *dbeta, const float *dout, const float *in,
                     const float *gamma, const struct bn_cache *c, int B, int C, int HW)
{
    bn_backward_to(din, 1, dgamma, dbeta, dout, in, gamma, c, B, C, HW);
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

void relu_backward_set(float *restrict din, const float *restrict dout, const float *restrict in, size_t n)
{
    PAR_FOR(n)
    for (size_t i = 0; i < n; i++) {
        float g = dout[i];
        din[i] = in[i] > 0.0f ? g : 0.0f;
    }
}

void sgd_update(float *restrict p, const float *restrict g, float *restrict m, size_t n, float lr,
                float momentum, float weight_decay, int nesterov)
{
    PAR_FOR(n)
    for (size_t i = 0; i < n; i++) {
        float gi = g[i] + weight_decay * p[i];
        float mi = m[i] = momentum * m[i] + gi;
        p[i] -= lr * (nesterov ? gi + momentum * mi : mi);
    }
}

void copy_floats(float *restrict out, const float *restrict in, size_t n)
{
    PAR_FOR(n)
    for (size_t i = 0; i < n; i++) out[i] = in[i];
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

/* The 3x3 average pools (count_include_pad=False, as NB201).  Interior
 * pixels take a branch-free path the compiler vectorises along a row; the
 * sums are taken in the same order as at the border (the window's rows top
 * to bottom, each left to right, from 0), and the backward gathers each
 * input's shares in the order the plain scatter would add them, so the
 * results are those of the plain loops bit for bit. */
static float pool3_at(const float *x, int H, int W, int y, int xx)
{
    float s = 0;
    int cnt = 0;
    for (int dy = -1; dy <= 1; dy++)
        for (int dx = -1; dx <= 1; dx++) {
            int iy = y + dy, ix = xx + dx;
            if (iy < 0 || iy >= H || ix < 0 || ix >= W) continue;
            s += x[iy * W + ix];
            cnt++;
        }
    return s / (float)cnt;
}

void avgpool3_forward(float *out, const float *in, int B, int C, int H, int W)
{
    PAR_FOR((size_t)B * C * H * W)
    for (long p = 0; p < (long)B * C; p++) {
        const float *x = in + p * H * W;
        float *o = out + p * H * W;
        for (int y = 0; y < H; y++) {
            int y0 = y > 0 ? y - 1 : 0, y1 = y < H - 1 ? y + 1 : H - 1;
            if (W < 3 || y1 == y0) {
                for (int xx = 0; xx < W; xx++) o[y * W + xx] = pool3_at(x, H, W, y, xx);
                continue;
            }
            const float *a = x + y0 * W, *b = a + W, *c = b + W;
            o[y * W] = pool3_at(x, H, W, y, 0);
            if (y1 - y0 == 2) {
                for (int xx = 1; xx < W - 1; xx++) {
                    float s = 0;
                    s += a[xx - 1], s += a[xx], s += a[xx + 1];
                    s += b[xx - 1], s += b[xx], s += b[xx + 1];
                    s += c[xx - 1], s += c[xx], s += c[xx + 1];
                    o[y * W + xx] = s / 9.0f;
                }
            } else { /* the first or last row: two rows of the window */
                for (int xx = 1; xx < W - 1; xx++) {
                    float s = 0;
                    s += a[xx - 1], s += a[xx], s += a[xx + 1];
                    s += b[xx - 1], s += b[xx], s += b[xx + 1];
                    o[y * W + xx] = s / 6.0f;
                }
            }
            o[y * W + W - 1] = pool3_at(x, H, W, y, W - 1);
        }
    }
}

void avgpool3_backward(float *din, const float *dout, int B, int C, int H, int W)
{
    enum { MAXPLANE = 64 * 64 };
    PAR_FOR((size_t)B * C * H * W)
    for (long p = 0; p < (long)B * C; p++) {
        float *dx = din + p * H * W;
        const float *g = dout + p * H * W;
        if (H * W > MAXPLANE || H < 3 || W < 3) { /* the plain scatter */
            for (int y = 0; y < H; y++)
                for (int xx = 0; xx < W; xx++) {
                    int y0 = y > 0 ? y - 1 : 0, y1 = y < H - 1 ? y + 1 : H - 1;
                    int x0 = xx > 0 ? xx - 1 : 0, x1 = xx < W - 1 ? xx + 1 : W - 1;
                    float share = g[y * W + xx] / (float)((y1 - y0 + 1) * (x1 - x0 + 1));
                    for (int iy = y0; iy <= y1; iy++)
                        for (int ix = x0; ix <= x1; ix++) dx[iy * W + ix] += share;
                }
            continue;
        }
        /* each output's share of its gradient, then every input gathers
         * the shares of the outputs whose window holds it, in raster order */
        float sh[MAXPLANE];
        for (int y = 0; y < H; y++) {
            float ry = (y == 0 || y == H - 1) ? 2.0f : 3.0f;
            sh[y * W] = g[y * W] / (ry * 2.0f);
            for (int xx = 1; xx < W - 1; xx++) sh[y * W + xx] = g[y * W + xx] / (ry * 3.0f);
            sh[y * W + W - 1] = g[y * W + W - 1] / (ry * 2.0f);
        }
        for (int y = 0; y < H; y++) {
            int y0 = y > 0 ? y - 1 : 0, y1 = y < H - 1 ? y + 1 : H - 1;
            for (int xx = 0; xx < W; xx += W - 1) { /* the two border columns */
                int x0 = xx > 0 ? xx - 1 : 0, x1 = xx < W - 1 ? xx + 1 : W - 1;
                float acc = dx[y * W + xx];
                for (int iy = y0; iy <= y1; iy++)
                    for (int ix = x0; ix <= x1; ix++) acc += sh[iy * W + ix];
                dx[y * W + xx] = acc;
            }
            for (int iy = y0; iy <= y1; iy++) {
                const float *r = sh + iy * W;
                float *d = dx + y * W;
                for (int xx = 1; xx < W - 1; xx++) d[xx] = ((d[xx] + r[xx - 1]) + r[xx]) + r[xx + 1];
            }
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
    for (int c = 0; c < C; c++)
        for (int b = 0; b < B; b++) {
            const float *x = in + ((size_t)c * B + b) * HW;
            float s = 0;
            for (int i = 0; i < HW; i++) s += x[i];
            out[(size_t)b * C + c] = s / (float)HW;
        }
}

void gap_backward(float *din, const float *dout, int B, int C, int HW)
{
    PAR_FOR((size_t)B * C * HW)
    for (int c = 0; c < C; c++)
        for (int b = 0; b < B; b++) {
            float v = dout[(size_t)b * C + c] / (float)HW, *dx = din + ((size_t)c * B + b) * HW;
            for (int i = 0; i < HW; i++) dx[i] += v;
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
