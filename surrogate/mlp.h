/*
 * surrogate/mlp.h - an ensemble of multilayer perceptrons on encoded
 * architectures: the BANANAS predictor (White, Neiswanger, Savani, AAAI 2021,
 * "BANANAS: Bayesian optimization with neural architectures for neural
 * architecture search", section 4: an ensemble of feed-forward networks on
 * the path encoding, mean absolute error, Adam; the members differ only in
 * their random initialisation and minibatch order; the spread of their
 * predictions is the uncertainty).
 *
 * Input: any real encoding, rows of d doubles (one-hot, path, extra feature
 * columns such as zero-cost scores).  Columns are standardised by the
 * training rows' mean and standard deviation (a constant column is only
 * centred), so counts, bits and raw proxy scores can be mixed.  Targets are
 * standardised likewise and predictions mapped back.
 *
 * Network of one member, float64, parameters in one block with four views
 * of equal layout (weights, gradients, Adam m, Adam v; GUIDE.md 3.3):
 *   for l = 0 .. L-1 (hidden):  z_l = a_{l-1} W_l^T + b_l,  a_l = relu(z_l)
 *       W_l (H, in_l), b_l (H), in_0 = d, in_l = H, a_{-1} = x   (B,d)
 *   output:                     out = a_{L-1} w_L^T + b_L         (B,1)
 * Loss of a minibatch of standardised targets ys: mean |out - ys| (mae, the
 * BANANAS default) or mean (out - ys)^2 / 2 (mse).  Backward accumulates
 * (+=) into the gradient view.  Initialisation: PyTorch's nn.Linear,
 * U(-1/sqrt(in), 1/sqrt(in)) for weights and biases.
 * Same rng state, same models bit for bit.
 */
#ifndef NASW_SURROGATE_MLP_H
#define NASW_SURROGATE_MLP_H

#include <stddef.h>

struct rng;
struct mlp;

enum mlp_loss { MLP_MAE = 0, MLP_MSE = 1 };

struct mlp_params {
    int layers;          /* hidden layers L, default 3 */
    int hidden;          /* width H, default 32 */
    int ensemble;        /* members M, default 5 */
    int epochs;          /* default 200 */
    int batch;           /* minibatch, default 32 */
    double lr;           /* Adam, default 0.01 (betas 0.9, 0.999, eps 1e-8) */
    enum mlp_loss loss;  /* default MLP_MAE */
};

void mlp_default_params(struct mlp_params *p);

/* Fit the ensemble on n rows X (n,d) with targets y (n >= 1; a training set
 * of equal targets is fitted as a constant).  NASW_EINVAL on bad sizes or
 * parameters, NASW_ENUMERIC on a non-finite input or target. */
int mlp_fit(struct mlp **out, const double *X, int n, int d, const double *y, const struct mlp_params *p,
            struct rng *r);

/* Predict m rows X (m,d): mean (m) over the members and, if members is not
 * NULL, every member's prediction, members[k*m + i] for member k, row i
 * (target units).  The spread of members is the model's uncertainty. */
int mlp_predict(const struct mlp *model, const double *X, int m, double *mean, double *members);

int mlp_n_members(const struct mlp *model);
int mlp_dim(const struct mlp *model);   /* d */
void mlp_free(struct mlp *model);       /* NULL is a no-op */

/* One Adam step (betas 0.9, 0.999, eps 1e-8) on n parameters, views w, g,
 * m, v, bias-corrected for step t >= 1; shared with surrogate/gcn.c. */
void mlp_adam(double *w, const double *g, double *m, double *v, size_t n, long t, double lr);

/* For the gradient test: member k's parameter block (view 0 weights,
 * 1 gradients), its length, and the loss of a minibatch of B raw rows X
 * against standardised targets ys (gradient added to view 1 when grad). */
double *mlp_member_block(struct mlp *model, int k, int view, size_t *n);
double mlp_batch_loss(struct mlp *model, int k, const double *X, const double *ys, int B, int grad);

#endif
