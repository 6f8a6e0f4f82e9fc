/*
 * train/supernet.h - the one-shot model of a cell space (weight sharing).
 *
 * The network of `nasw train` (train/cnn.h: stem, three stages of N cells,
 * residual reduction blocks, BN-ReLU-GAP-linear head) with every cell edge
 * a mixed operation: node j = sum over edges i->j and ops k of
 * w[e][k] * op_k(node i), each op with its own weights (the two
 * convolutions ReLU-conv-BN, the pool parameter-free; none contributes
 * nothing; the ReLU of a node is shared by its convolutions).  The edge
 * weights w come from the architecture logits alpha (one vector per edge,
 * n_dims x n_ops, the space's op order):
 *
 *   ONESHOT_MIXED   w[e] = softmax(alpha[e])              (DARTS)
 *   ONESHOT_GUMBEL  w[e] = one-hot of argmax softmax((alpha[e] + g) / tau),
 *                    g Gumbel noise; the backward is straight-through
 *                    (dL/dh = dL/dw), so alpha's gradient is
 *                    J_softmax^T dL/dw / tau                (GDAS)
 *   ONESHOT_PATH    w[e] = one-hot of a given cell         (SPOS, RSWS, ENAS,
 *                    and evaluating a cell with inherited weights)
 *
 * Ops whose weight is exactly 0 are neither run nor differentiated, so a
 * single path costs one cell's compute.  The layer kernels are the
 * trainer's (train/layers.h); weights, gradients and momentum are three
 * flat blocks of supernet_num_params floats, as in train/cnn.h.
 *
 * Optimisers: weights by SGD (Nesterov momentum, weight decay, cosine
 * learning rate over the configured epochs, per step, as the trainer);
 * logits by Adam (DARTS: lr 3e-4, betas 0.5/0.999, weight decay 1e-3).
 * Architecture gradients of the validation loss: first order at the
 * current weights (DARTS' first-order approximation), or second order
 * (Liu et al. 2019, eq. 7-8): at the weights unrolled by one plain gradient
 * step of the training loss, w' = w - xi (dL_train/dw + weight_decay w),
 * minus xi times the mixed second derivative of L_train along
 * v = dL_val(w')/dw', by DARTS' central difference at w +- eps v,
 * eps = hvp_radius / |v|.
 *
 * Determinism: the batch order, the sampled paths and the Gumbel noise come
 * from the supernet's own rng (seeded at creation, saved in checkpoints);
 * the kernels are deterministic for a fixed thread count.
 */
#ifndef NASW_TRAIN_SUPERNET_H
#define NASW_TRAIN_SUPERNET_H

#include <stddef.h>
#include <stdint.h>

#include "core/arch.h"
#include "core/oneshot.h"

struct supernet;
struct rng;

struct supernet_config {
    int C, N;                 /* channels of the first stage, cells per stage */
    int in_ch, H, W, classes; /* the images (H, W divisible by 4) */
    int batch;                /* images per step (and the most per forward) */
    int epochs;               /* length of the cosine schedule */
    double lr, momentum, weight_decay;
    int nesterov;
    double arch_lr, arch_beta1, arch_beta2, arch_weight_decay;
    int cpu_clock;            /* seconds: the process's CPU time (train_clock_s) */
    double hvp_radius;        /* second order: |w+ - w| of the difference (DARTS: 0.01) */
};

/* The DARTS optimiser settings for the logits and the trainer's for the
 * weights, with the given shape. */
void supernet_config_default(struct supernet_config *c);

/* NASW_EINVAL (with a message) for a space that is not a cell space or an
 * op the trainer does not know. */
int supernet_new(struct supernet **out, const struct space *s, const struct supernet_config *cfg, uint64_t seed);
void supernet_free(struct supernet *n);

size_t supernet_num_params(const struct supernet *n);
float *supernet_params(struct supernet *n);
float *supernet_grads(struct supernet *n);
/* The logits, n_dims * n_ops of them (edge-major). */
double *supernet_alpha(struct supernet *n);
int supernet_num_alpha(const struct supernet *n);
/* The second order's difference radius (cfg.hvp_radius), for tests. */
void supernet_set_hvp_radius(struct supernet *n, double r);

/* --- the building blocks (tests, and the epoch below) ------------------- */

/* Edge weights for the next forward: MIXED from alpha; GUMBEL with
 * temperature tau, noise from the supernet's rng; PATH the one-hot of a
 * (a == NULL: a path drawn uniformly from the supernet's rng). */
void supernet_set_mixed(struct supernet *n);
void supernet_set_gumbel(struct supernet *n, double tau);
void supernet_set_path(struct supernet *n, const struct arch *a);
/* The path of the last GUMBEL or PATH setting (the op of weight 1 per edge). */
void supernet_sampled(const struct supernet *n, struct arch *a);
/* Forward a batch (B images (B,in_ch,H,W)); train = 1: batch statistics
 * (updating the running ones), 0: the running ones.  Mean cross-entropy. */
float supernet_forward(struct supernet *n, const float *x, const int *y, int B, int train, int *correct);
/* Gradients of the last forward's loss: the weights' into supernet_grads
 * (overwritten) and, under MIXED or GUMBEL, the logits' into grad
 * (supernet_num_alpha doubles, overwritten) if grad != NULL. */
void supernet_backward(struct supernet *n, double *grad);
/* dL_val/dalpha under MIXED at the current weights (first order), for the
 * validation batch (xv, yv); the weights' gradients are overwritten. */
int supernet_arch_grad(struct supernet *n, const float *xv, const int *yv, int Bv, double *grad);
/* The same, second order (see above): the training batch (xt, yt) unrolls
 * the weights by xi; the weights are restored bit for bit, the BN running
 * statistics are those after the validation pass (as in the first order).
 * NASW_ENOMEM if the scratch (two copies of the weights) cannot be had. */
int supernet_arch_grad2(struct supernet *n, const float *xt, const int *yt, int Bt, const float *xv, const int *yv,
                        int Bv, double xi, double *grad);
/* One SGD step on the weights with the last backward's gradients. */
void supernet_sgd_step(struct supernet *n, double lr);
/* One Adam step on the logits along -grad. */
void supernet_adam_step(struct supernet *n, const double *grad);

/* --- epochs ------------------------------------------------------------- */

struct supernet_data {
    const float *x_train, *x_val;  /* (n, in_ch, H, W) */
    const int *y_train, *y_val;
    int n_train, n_val;
};

/* One epoch (core/oneshot.h's modes): per training batch (shuffled), an
 * architecture step on the next validation batch (if e->arch_step; MIXED
 * with arch_step 2: second order, unrolled by e->xi or, if 0, by the
 * step's learning rate as DARTS) and a weight step.  NASW_ENUMERIC
 * if the loss diverged.  *train_acc (may be NULL): the epoch's accuracy. */
int supernet_epoch(struct supernet *n, const struct supernet_data *d, const struct oneshot_epoch *e,
                   double *train_acc);
int supernet_epochs_done(const struct supernet *n);
double supernet_seconds(const struct supernet *n);   /* wall time of the epochs done */

/* Validation accuracy (%) of cell a with the supernet's weights: BN
 * statistics recomputed on the first bn_batches training batches
 * (cumulative average), then the first n_val validation images (0: all). */
double supernet_score(struct supernet *n, const struct supernet_data *d, const struct arch *a, int bn_batches,
                      int n_val);
/* The cell of the largest logit per edge (ties: the lower op index), the
 * zero op included, as NAS-Bench-201's DARTS and GDAS derive cells. */
void supernet_derive(const struct supernet *n, struct arch *a);

/* Checkpoints (train/trainer.h's format conventions): weights, momentum,
 * BN statistics, logits and their Adam state, the rng, epochs, steps and
 * seconds, with `settings` (a hash of what changes the numbers) and an
 * FNV-1a checksum; written to PATH.tmp and renamed.  NASW_EPARSE for a
 * damaged file, NASW_EINVAL for other settings or another network. */
int supernet_save(const struct supernet *n, const char *path, uint64_t settings, const void *aux, size_t aux_len);
/* aux (may be NULL): the blob saved with it, malloc'd (NULL when empty). */
int supernet_load(struct supernet *n, const char *path, uint64_t settings, void **aux, size_t *aux_len);

/* The supernet a live bench offers (core/oneshot.h): the preset's shape,
 * batch and data (weights on the training images, logits on the
 * validation ones), DARTS' optimiser settings; with a journal, a
 * checkpoint JOURNAL.supernet-HASH.ckpt after every epoch, restored when
 * the same search (settings and tag) runs again. */
struct train_config;
struct train_data;
int supernet_oneshot_new(const struct space *s, const struct train_config *cfg, const struct train_data *data,
                         const char *journal, const struct oneshot_opts *o, struct oneshot **out);

#endif
