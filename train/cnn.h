/*
 * train/cnn.h - the NAS-Bench-201 cell network, trainable in C.
 *
 * Topology exactly as NAS-Bench-201 (Dong & Yang 2020, xautodl
 * TinyNetwork): stem conv3x3 + BN; three stages of N cells at C, 2C, 4C
 * channels with a residual reduction block between stages (ReLU-conv3x3
 * stride 2-BN, ReLU-conv3x3-BN, shortcut avgpool 2x2 + conv1x1); then
 * BN-ReLU, global average pooling and a linear classifier.  A cell has 4
 * nodes (or as many as the space says); node j sums op(node i) over i < j;
 * ops: none (zero), skip_connect (identity), nor_conv_1x1 / nor_conv_3x3
 * (ReLU-conv-BN), avg_pool_3x3 (stride 1, padding 1, padding not counted).
 *
 * The network is compiled into a tape of kernels (train/layers.h) over
 * activation tensors; forward runs it in order, backward in reverse, with
 * gradients accumulating into the tensors' gradient buffers.  Parameters,
 * gradients and momentum buffers are three views of one block (llm.c), so
 * the optimiser, zero-grad and the gradient checks are flat loops.
 */
#ifndef NASW_TRAIN_CNN_H
#define NASW_TRAIN_CNN_H

#include <stddef.h>

#include "core/arch.h"

struct rng;
struct cnn;

struct cnn_config {
    int C;          /* channels of the first stage (NB201: 16) */
    int N;          /* cells per stage (NB201: 5) */
    int in_ch;      /* input channels (Fashion-MNIST: 1) */
    int H, W;       /* input resolution (divisible by 4) */
    int classes;    /* 10 */
    int max_batch;  /* activations are allocated for this many images */
};

/* Build the network of cell architecture a (a cell space).  NASW_EINVAL
 * for a non-cell space or an op the trainer does not know. */
int cnn_new(struct cnn **out, const struct space *s, const struct arch *a, const struct cnn_config *cfg);
void cnn_free(struct cnn *n);

size_t cnn_num_params(const struct cnn *n);
/* Multiply-accumulates of one forward pass per image, times 2 (FLOPs). */
double cnn_flops(const struct cnn *n);
/* The flat parameter and gradient blocks (cnn_num_params floats each). */
float *cnn_params(struct cnn *n);
float *cnn_grads(struct cnn *n);

/* He-normal convolutions and classifier, BN gamma 1 beta 0, running stats reset. */
void cnn_init(struct cnn *n, struct rng *r);

/* Forward a batch x (B,in_ch,H,W) with labels; train=1 uses batch statistics
 * (and updates the running ones), train=0 the running ones.  Returns the
 * mean cross-entropy (NaN if it diverged); *correct = argmax hits. */
float cnn_forward(struct cnn *n, const float *x, const int *labels, int B, int train, int *correct);
/* Gradients of the last forward's loss into cnn_grads (overwritten). */
void cnn_backward(struct cnn *n);
/* SGD with (Nesterov) momentum and decoupled-from-nothing L2 weight decay
 * (added to the gradient, as PyTorch's SGD), on every parameter. */
void cnn_sgd_step(struct cnn *n, float lr, float momentum, float weight_decay, int nesterov);

#endif
