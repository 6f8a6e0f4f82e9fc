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
/* The momentum block (cnn_num_params floats) and the BN running statistics
 * (cnn_num_stats floats): with params and grads, all a checkpoint needs. */
float *cnn_moments(struct cnn *n);
float *cnn_stats(struct cnn *n);
size_t cnn_num_stats(const struct cnn *n);

/* He-normal convolutions and classifier, BN gamma 1 beta 0, running stats reset. */
void cnn_init(struct cnn *n, struct rng *r);

/* Forward a batch x (B,in_ch,H,W) with labels; train=1 uses batch statistics
 * (and updates the running ones), train=0 the running ones.  Returns the
 * mean cross-entropy (NaN if it diverged); *correct = argmax hits. */
float cnn_forward(struct cnn *n, const float *x, const int *labels, int B, int train, int *correct);
/* Gradients of the last forward's loss into cnn_grads (overwritten); after
 * an eval-mode forward, with the running statistics as constants. */
void cnn_backward(struct cnn *n);
/* SGD with (Nesterov) momentum and decoupled-from-nothing L2 weight decay
 * (added to the gradient, as PyTorch's SGD), on every parameter. */
void cnn_sgd_step(struct cnn *n, float lr, float momentum, float weight_decay, int nesterov);

/* --- introspection, for the zero-cost proxies (train/proxies.h) ---------
 * The tape's ops in forward order, with their shapes, parameter offsets and
 * the buffers of the last forward (values) and backward (gradients), all
 * (C,B,H,W) for the B images of the last forward ((B,C) for the linear
 * layer and its input).  Valid until the next forward/backward. */
enum cnn_layer_kind { CNN_CONV, CNN_BN, CNN_RELU, CNN_POOL3, CNN_POOL2, CNN_GAP, CNN_LINEAR, CNN_ACCUM };
struct cnn_layer {
    int kind;
    int Ci, Hi, Wi;             /* input shape (per image) */
    int C, H, W;                /* output shape (per image) */
    int K;                      /* conv kernel, pool window */
    size_t w, nw;               /* weights in the parameter block: conv, BN gamma, linear */
    size_t b, nb;               /* biases: BN beta, linear */
    const float *in;            /* input values */
    const float *out;           /* output values, NULL where the output was written into a sum */
    const float *gout;          /* gradient of the output (after a backward) */
    const float *mean, *invstd; /* BN: batch statistics of the last training forward */
    const float *rmean, *rvar;  /* BN: running statistics */
    int readers;                /* ops that read the output (a shared ReLU: its conv edges) */
};
int cnn_num_layers(const struct cnn *n);
void cnn_layer(const struct cnn *n, int i, struct cnn_layer *l);
int cnn_batch(const struct cnn *n);                 /* images of the last forward */
const struct cnn_config *cnn_get_config(const struct cnn *n);
const float *cnn_logits(const struct cnn *n);       /* (B, classes) of the last forward */
/* Backward of the last forward from a given gradient of the logits (B,
 * classes) instead of the cross-entropy's: parameter gradients into
 * cnn_grads (overwritten) and, if dx is not NULL, the gradient with respect
 * to the images into dx (B,in_ch,H,W). */
void cnn_backward_from(struct cnn *n, const float *dlogits, float *dx);
/* ReLU gates: CNN_GATES_RECORD makes the next forwards record which ReLU
 * inputs are positive, CNN_GATES_REPLAY makes forwards and backwards use
 * the recorded gates (the piecewise-linear network frozen on the recorded
 * piece: smooth in the parameters, for second derivatives by differences
 * of gradients, with the same batch), CNN_GATES_OFF is the plain ReLU. */
enum { CNN_GATES_OFF, CNN_GATES_RECORD, CNN_GATES_REPLAY };
void cnn_relu_gates(struct cnn *n, int mode);

#endif
