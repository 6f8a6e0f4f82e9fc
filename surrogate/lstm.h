/*
 * surrogate/lstm.h - an LSTM over architecture token sequences: the core
 * network (embedding + one LSTM layer, hand-written forward/backward) and the
 * PNAS surrogate built on it (Liu et al. 2018, "Progressive Neural
 * Architecture Search", section 3.3: an LSTM reads the cell's tokens, its
 * final hidden state goes through a linear layer and a sigmoid; an ensemble
 * of such models, mean = prediction, spread = uncertainty).
 *
 * Tokens (one per decision, so T = space->n_dims):
 *  - cell:  one (input node, op) token per edge, edges in string order:
 *           token = edge_from[e] * n_ops + op, V = (n_nodes - 1) * n_ops.
 *           The target node is implied by the position in the sequence.
 *  - chain: one token per layer, its choice: token = choice,
 *           V = max n_choices (the layer is implied by the position).
 *  - set:   one token, the item index, V = number of items.
 *
 * Core network, float32, parameters in one block (GUIDE.md 3.3; the block
 * has four views of equal layout: weights, gradients, Adam m, Adam v):
 *   emb  (V,E)     token embeddings
 *   w_ih (4H,E)    input weights, gate blocks in the order i, f, g, o
 *   w_hh (4H,H)    recurrent weights, same gate order
 *   b    (4H)      one bias (PyTorch's b_ih + b_hh)
 * Step t (tokens x_t, batch B):
 *   z = emb[x_t] w_ih^T + h_{t-1} w_hh^T + b               (B,4H)
 *   i = sigm(z_i), f = sigm(z_f), g = tanh(z_g), o = sigm(z_o)
 *   c_t = f c_{t-1} + i g,  h_t = o tanh(c_t),  h_{-1} = c_{-1} = 0.
 * The input projections of all T steps are one GEMM ((T*B,E) x (E,4H));
 * when the vocabulary is smaller than T*B the projection is instead taken
 * per vocabulary entry ((V,E) x (E,4H)) and gathered, which is the same
 * function.  The recurrence is one GEMM per step ((B,H) x (H,4H)).
 * Backward accumulates (+=) into the gradient view.
 *
 * Surrogate: prediction = sigm(w_out . h_{T-1} + b_out) in [0,1]; targets
 * are scaled by min-max of the training targets with a 10% margin on both
 * sides, lo = min - 0.1 (max - min), hi = max + 0.1 (max - min), and
 * predictions mapped back.  Loss: mean squared error on the scaled targets
 * of a minibatch; Adam.  An ensemble of M members differs in the seed of
 * the initialisation and of the minibatch order (optionally a bootstrap
 * sample of the training set); mean and variance are over the members.
 */
#ifndef NASW_SURROGATE_LSTM_H
#define NASW_SURROGATE_LSTM_H

#include <stddef.h>

struct rng;
struct space;
struct arch;

/* --- tokens -------------------------------------------------------------- */

int lstm_seq_len(const struct space *s);                              /* T */
int lstm_vocab(const struct space *s);                                /* V */
void lstm_tokens(const struct space *s, const struct arch *a, int *tok); /* T tokens */

/* --- the core network ---------------------------------------------------- */

struct lstm_net {
    int V, E, H;
    size_t emb, w_ih, w_hh, b;   /* offsets into the parameter block */
    size_t end;                  /* first offset after the core */
};

/* Place the core at `offset` of a parameter block. */
void lstm_net_layout(struct lstm_net *L, int V, int E, int H, size_t offset);
/* PyTorch's initialisation: emb ~ N(0,1), the rest ~ U(-1/sqrt(H), 1/sqrt(H)). */
void lstm_net_init(const struct lstm_net *L, float *w, struct rng *r);
/* Floats of scratch (the arena) that forward + backward need for B, T. */
size_t lstm_net_cache_size(const struct lstm_net *L, int B, int T);
/* Forward over sequences tok (B,T) (row b is one sequence).  The cache keeps
 * what backward needs; lstm_net_hidden() points at h_t (B,H). */
void lstm_net_forward(const struct lstm_net *L, const float *w, const int *tok, int B, int T, float *cache);
float *lstm_net_hidden(const struct lstm_net *L, float *cache, int B, int T, int t);
/* Backward: dh (T,B,H) = dLoss/dh_t from outside the recurrence (rows may
 * be zero); adds dLoss/dparameters into g.  Overwrites dh. */
void lstm_net_backward(const struct lstm_net *L, const float *w, float *g, const int *tok, int B, int T,
                       float *cache, float *dh);
/* The same with a conditioning input u (B,4H) added to every step's
 * pre-activations z of sequence b (u = NULL: none), e.g. a projection of an
 * embedding the sequence is decoded from (NAO's decoder, surrogate/nao.c);
 * backward then also adds dLoss/du into du (B,4H) when du != NULL. */
void lstm_net_forward_cond(const struct lstm_net *L, const float *w, const int *tok, int B, int T, const float *u,
                           float *cache);
void lstm_net_backward_cond(const struct lstm_net *L, const float *w, float *g, const int *tok, int B, int T,
                            float *cache, float *dh, float *du);
/* One step for incremental use (sampling): tok (B), h, c (B,H) updated in
 * place; work holds B*(5H+E) floats. */
void lstm_net_step(const struct lstm_net *L, const float *w, const int *tok, int B, float *h, float *c,
                   float *work);
/* One Adam step on n parameters (w, g, m, v views), bias-corrected for step t >= 1. */
void lstm_adam(float *w, const float *g, float *m, float *v, size_t n, long t, double lr, double b1, double b2,
               double eps);

/* --- the surrogate ------------------------------------------------------- */

struct lstm;

struct lstm_params {
    int embed;        /* E, default 100 */
    int hidden;       /* H, default 100 */
    int batch;        /* minibatch, default 32 */
    int epochs;       /* default 100 */
    int ensemble;     /* M, default 1 */
    int bootstrap;    /* 1: each member trains on a bootstrap sample (default 0) */
    double lr;        /* Adam, default 1e-3 (betas 0.9, 0.999, eps 1e-8) */
};

void lstm_default_params(struct lstm_params *p);

/* Fit on n sequences tok (n,T) of a vocabulary of V with targets y. */
int lstm_fit(struct lstm **out, const int *tok, int T, int V, const double *y, int n, const struct lstm_params *p,
             struct rng *r);
/* Warm start: continue training the fitted ensemble for `epochs` epochs on
 * a new training set of the same T, V (targets rescaled to it). */
int lstm_refit(struct lstm *m, const int *tok, const double *y, int n, int epochs, struct rng *r);
/* Mean and variance (over the members; 0 for one member) in target units;
 * var may be NULL. */
int lstm_predict(struct lstm *m, const int *tok, int n, double *mean, double *var);
void lstm_free(struct lstm *m);

/* For the gradient test: member k's parameter block (view 0 weights,
 * 1 gradients), its size, and the loss of one minibatch of scaled targets
 * ys in [0,1] (gradient added to view 1 when grad != 0). */
float *lstm_member_block(struct lstm *m, int k, int view, size_t *n);
double lstm_batch_loss(struct lstm *m, int k, const int *tok, const float *ys, int B, int grad);

#endif
