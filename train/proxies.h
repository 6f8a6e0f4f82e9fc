/*
 * train/proxies.h - zero-cost proxies of NAS-Bench-201 cell networks.
 *
 * Training-free scores of an architecture, computed on the trainer's own
 * network (train/cnn.h) at initialisation, with one minibatch: the proxies
 * of Abdelfattah et al. 2021 ("Zero-cost proxies for lightweight NAS") as
 * NASLib computes them, plus NASWOT, Zen-NAS and EPE-NAS.  Definitions,
 * formulas and references are in docs/zero-cost.md; in short (theta: the
 * convolution and classifier weights, L: the mean cross-entropy of the
 * batch, BN in training mode unless said otherwise):
 *
 *   params     parameters of the network (convolutions, BN, classifier)
 *   flops      multiply-accumulates per image, NAS-Bench-201's convention
 *              (convolutions, classifier with bias, 3x3 and 2x2 pools)
 *   synflow    sum theta * dR/dtheta, R = sum of the logits of an all-ones
 *              image through the network with |parameters|, BN as identity
 *   snip       sum |theta * dL/dtheta|
 *   grasp      -sum theta * (H g), g = dL/dtheta, H the Hessian of L
 *              (H g by a central difference of gradients along g)
 *   fisher     sum over conv/linear outputs a and channels k of
 *              0.5 mean_b (sum_hw a dL/da)^2
 *   grad_norm  sum over layers of ||dL/dtheta_layer||_2
 *   jacov      -sum_i log(v_i + 1e-5) + 1/(v_i + 1e-5), v the eigenvalues
 *              of the correlation matrix of the images' input Jacobians
 *              of the summed logits
 *   nwot       log |det K|, K_ij = sum over ReLUs of the agreements of
 *              images i and j's binary activation codes (NASWOT)
 *   zen        log E_b ||f(x) - f(x + 0.01 e)||_1 + sum over BNs of
 *              log sqrt(mean_c running var_c), f the pre-pooling features,
 *              x, e Gaussian, weights N(0,1) (Zen-NAS)
 *   epe_nas    EPE-NAS: per class c, s_c = sum log(|corr_ij| + 1e-5) of
 *              the class's Jacobian correlations; sum_c,c' |s_c - s_c'| / #c
 *   l2_norm    sum over layers of ||theta_layer||_2
 *   plain      sum theta * dL/dtheta
 *
 * A proxy that is undefined for a cell (a correlation of Jacobians that
 * are all zero, when the output is cut off by `none` edges) is NaN; the
 * caller writes it as an empty field.  Not here: reading data, writing
 * tables (cli/score.c).
 */
#ifndef NASW_TRAIN_PROXIES_H
#define NASW_TRAIN_PROXIES_H

#include <stdint.h>

#include "core/arch.h"

struct cnn;
struct cnn_config;

enum proxy_id {
    PROXY_PARAMS, PROXY_FLOPS, PROXY_SYNFLOW, PROXY_SNIP, PROXY_GRASP, PROXY_FISHER,
    PROXY_GRAD_NORM, PROXY_JACOV, PROXY_NWOT, PROXY_ZEN, PROXY_EPE_NAS, PROXY_L2_NORM,
    PROXY_PLAIN, PROXY_COUNT
};

const char *proxy_name(int id);
int proxy_lookup(const char *name);       /* -1 if unknown */
const char *proxy_names(void);            /* "params, flops, ..." */

/* The minibatch: B images (B, in_ch, H, W) of the network's input shape and
 * their labels (0..classes-1). */
struct proxy_batch {
    const float *x;
    const int *y;
    int B;
};

/* Compute the proxies with want[id] != 0 for architecture a of cell space s
 * on the network cfg (cfg->max_batch is ignored: the batch's B is used),
 * initialised from `seed`: out[id] = the score, NaN if undefined.  The same
 * seed and batch give the same scores bit for bit (for a fixed thread
 * count).  NASW_ENOMEM, or cnn_new's NASW_EINVAL. */
int proxies_compute(const struct space *s, const struct arch *a, const struct cnn_config *cfg,
                    const struct proxy_batch *batch, uint64_t seed, const int *want, double *out);

/* The pieces, on a network built and initialised by the caller (tests). */
double proxy_flops(const struct cnn *n);
/* Input Jacobians of the summed logits, dx (B, in_ch*H*W): one training
 * forward and backward of the batch. */
void proxy_jacobians(struct cnn *n, const struct proxy_batch *b, float *dx);
/* H g for the loss of the batch, by central differences of gradients:
 * hg (cnn_num_params) gets zero outside the conv/linear weights. */
int proxy_hessian_grad(struct cnn *n, const struct proxy_batch *b, double *hg);

#endif
