/*
 * train/layers.h - CNN layer kernels: forward and backward, CNHW float32.
 *
 * The kernels of the live trainer (NAS-Bench-201 cell networks).  Style of
 * llm.c: plain functions `layer_forward(out, in, weights, dims)` and
 * `layer_backward(dinp, dweights, dout, ...)`, shapes in comments, backward
 * ACCUMULATES into dinp and dweights (+=), so branches that share an input
 * (a cell node feeding several edges) need no extra buffers.
 *
 * Layout: activations are channel-major, (C,B,H,W) ("CNHW"): channel c of
 * image b is the plane at (c*B + b)*H*W.  A convolution over a chunk of
 * images is then one GEMM, out (Co, nb*Ho*Wo) = W (Co, Ci*K*K) .
 * col (Ci*K*K, nb*Ho*Wo), whose output rows are the tensor's own rows, and
 * batch-norm channels are contiguous.  The classifier's tensors (gap
 * output, logits) are (B,C).  Convolution is im2col + cblas_sgemm, or
 * Winograd F(2x2,3x3) + 16 cblas_sgemm per pass for same 3x3 convolutions, chunks of
 * images spread over threads; the caller provides the scratch buffer
 * (conv_col_size floats).
 *
 * Not here: the network graph, parameter layout and the optimiser
 * (train/cnn.c), data loading (train/idx.c).
 */
#ifndef NASW_TRAIN_LAYERS_H
#define NASW_TRAIN_LAYERS_H

#include <stddef.h>

/* --- convolution (no bias: every conv of NB201 is followed by BN) -------- */

struct conv_dims {
    int B, Ci, H, W;  /* input (Ci,B,H,W) */
    int threads;      /* the batch is split over this many threads (OpenMP) */
    int Co, K;        /* weights (Co,Ci,K,K) */
    int stride, pad;
    int Ho, Wo;       /* output (Co,B,Ho,Wo), set by conv_dims_init */
    int chunk;        /* images per im2col + GEMM, set by conv_dims_init */
    int wino;         /* 1: same 3x3 convolutions by Winograd F(2x2,3x3) */
    int wchunk;       /* images per Winograd chunk, set by conv_dims_chunk */
    int wm;           /* Winograd output tile: 2 (F(2x2,3x3)) or 4 (F(4x4,3x3)), set by conv_dims_init */
};
void conv_dims_init(struct conv_dims *d, int B, int Ci, int H, int W, int Co, int K, int stride,
                    int pad);
/* Images per chunk such that a chunk's columns take at most `floats`
 * floats (at least 1, at most one thread's share of B).  conv_dims_init
 * sets the default; tests use small chunks to cover the chunk loop.  The
 * results depend on the chunk and the thread count, both fixed per run. */
void conv_dims_chunk(struct conv_dims *d, size_t floats);
/* The convolution algorithm for stride-1 same-padded 3x3 convolutions
 * (forward, input gradient and weight gradient): CONV_IM2COL or
 * CONV_WINOGRAD (Lavin & Gray's F(2x2,3x3): 4x4 input tiles, 16 GEMMs of
 * Co x Ci x tiles per pass; the weight gradient as 16 GEMMs of the
 * transformed output gradient and input, Co x tiles x Ci; F(4x4,3x3), 6x6
 * tiles and 36 GEMMs, where `wm` is 4).  conv_dims_init takes conv_algo(),
 * and im2col where the 2x2 tiles would waste more than a third of the
 * plane (5x5, 3x3) or Ci < 4 (the stem); F(4x4,3x3) for Ci >= 32 where its
 * tiles waste no more than 2x2 ones (7x7).  Tests may set `wino` and `wm`
 * themselves (then conv_dims_chunk) to force either. */
enum { CONV_IM2COL = 0, CONV_WINOGRAD = 1 };
/* The default algorithm, or the one named by the environment variable
 * NASW_CONV (im2col|winograd); -1 if NASW_CONV names neither. */
int conv_algo(void);
/* Floats of scratch: per thread, one chunk's columns and a weight-gradient
 * partial (summed in thread order, so results are deterministic for a
 * fixed thread count); once, the flipped weights of the backward.  Or, if
 * larger, the Winograd buffers: the transformed weights once, and per
 * thread a chunk's transforms, its weight-gradient sum and row buffers. */
size_t conv_col_size(const struct conv_dims *d);
/* Threads the convolutions use: OMP_NUM_THREADS, else the number of cores
 * (1 without OpenMP).  When > 1, OpenBLAS runs single-threaded inside. */
int conv_threads(void);

/* out (Co,B,Ho,Wo) = conv(in (Ci,B,H,W), w (Co,Ci,K,K)); overwrites out */
void conv_forward(float *out, const float *in, const float *w, const struct conv_dims *d, float *col);
/* din += dL/din (if din != NULL), dw += dL/dw */
void conv_backward(float *din, float *dw, const float *dout, const float *in, const float *w,
                   const struct conv_dims *d, float *col);
/* The same with din = dL/din (a gradient's first writer: no zeroing) */
void conv_backward_set(float *din, float *dw, const float *dout, const float *in, const float *w,
                       const struct conv_dims *d, float *col);

/* --- batch normalisation over (B,H,W) per channel, affine; (C,B,H,W) ---- */

struct bn_cache {
    float *mean, *invstd;   /* (C) batch statistics of the last training forward */
};
/* Training mode: batch statistics, updates running stats with `momentum`
 * (running = (1-m) running + m batch; unbiased variance for the running one).
 * The backward needs the input and the cache (mean, invstd) of this call. */
void bn_forward_train(float *out, const float *in, const float *gamma, const float *beta,
                      float *running_mean, float *running_var, float momentum, float eps,
                      const struct bn_cache *c, int B, int C, int HW);
void bn_forward_eval(float *out, const float *in, const float *gamma, const float *beta,
                     const float *running_mean, const float *running_var, float eps, int B, int C,
                     int HW);
/* The same with out += ... (a cell node's later contributions, added by
 * the BN itself instead of a separate pass) */
void bn_forward_train_add(float *out, const float *in, const float *gamma, const float *beta,
                          float *running_mean, float *running_var, float momentum, float eps,
                          const struct bn_cache *c, int B, int C, int HW);
void bn_forward_eval_add(float *out, const float *in, const float *gamma, const float *beta,
                         const float *running_mean, const float *running_var, float eps, int B, int C,
                         int HW);
/* din += ..., dgamma += ..., dbeta += ... */
void bn_backward(float *din, float *dgamma, float *dbeta, const float *dout, const float *in,
                 const float *gamma, const struct bn_cache *c, int B, int C, int HW);

/* The same with din = ... (overwrites: for a gradient's first writer, so
 * that it needs no zeroing) */
void bn_backward_set(float *din, float *dgamma, float *dbeta, const float *dout, const float *in,
                     const float *gamma, const struct bn_cache *c, int B, int C, int HW);

/* --- pointwise and pooling ---------------------------------------------- */

void relu_forward(float *restrict out, const float *restrict in, size_t n);
/* din += dout * (in > 0) */
void relu_backward(float *restrict din, const float *restrict dout, const float *restrict in, size_t n);

/* din = dout * (in > 0) */
void relu_backward_set(float *restrict din, const float *restrict dout, const float *restrict in, size_t n);

/* out += in (the sum nodes of a cell); out = in; out = 0 */
void add_inplace(float *restrict out, const float *restrict in, size_t n);
void copy_floats(float *restrict out, const float *restrict in, size_t n);
void zero_fill(float *out, size_t n);

/* One SGD step on n parameters p with gradients g and momentum buffers m:
 * g' = g + weight_decay p, m = momentum m + g', p -= lr (g' + momentum m)
 * (Nesterov) or lr m.  Elementwise (threads change nothing). */
void sgd_update(float *restrict p, const float *restrict g, float *restrict m, size_t n, float lr,
                float momentum, float weight_decay, int nesterov);

/* The pools work plane by plane (B*C planes of H x W), so they serve either
 * layout.
 * 3x3 average pooling, stride 1, padding 1, padding not counted
 * (count_include_pad=False, as NAS-Bench-201). (C,B,H,W) -> (C,B,H,W) */
void avgpool3_forward(float *out, const float *in, int B, int C, int H, int W);
void avgpool3_backward(float *din, const float *dout, int B, int C, int H, int W);

/* 2x2 average pooling, stride 2 (H, W even). (C,B,H,W) -> (C,B,H/2,W/2) */
void avgpool2_forward(float *out, const float *in, int B, int C, int H, int W);
void avgpool2_backward(float *din, const float *dout, int B, int C, int H, int W);

/* Global average pooling. (C,B,H,W) -> (B,C): the classifier's layout */
void gap_forward(float *out, const float *in, int B, int C, int HW);
void gap_backward(float *din, const float *dout, int B, int C, int HW);

/* --- classifier --------------------------------------------------------- */

/* out (B,NO) = in (B,NI) w^T + b, w (NO,NI), b (NO) */
void linear_forward(float *out, const float *in, const float *w, const float *b, int B, int NI, int NO);
/* din += dout w; dw += dout^T in; db += sum dout */
void linear_backward(float *din, float *dw, float *db, const float *dout, const float *in,
                     const float *w, int B, int NI, int NO);

/* Mean softmax cross-entropy over the batch; probs (B,K) saved.  Returns the
 * loss (NaN if the logits are not finite); *correct = number of argmax hits. */
float softmax_xent_forward(float *probs, const float *logits, const int *labels, int B, int K,
                           int *correct);
/* dlogits = (probs - onehot) / B  (overwrites) */
void softmax_xent_backward(float *dlogits, const float *probs, const int *labels, int B, int K);

#endif
