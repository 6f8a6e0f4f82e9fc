/*
 * surrogate/nao.h - the NAO model: an LSTM encoder of an architecture to a
 * continuous embedding, an MLP performance predictor on the embedding and
 * an LSTM decoder from the embedding back to an architecture, trained
 * jointly (Luo, Tian, Qin, Chen, Liu, "Neural Architecture Optimization",
 * NeurIPS 2018).  The search strategy on top is search/nao.c.
 *
 * Spaces: cell and chain (one decision per token, surrogate/lstm.h's
 * tokens; T decisions, decision t has n_choices[t] values).
 *
 * Network (float32, one parameter block with the four views of
 * surrogate/lstm.h: weights, gradients, Adam m, Adam v):
 *   encoder  lstm_net over the tokens (vocabulary V), hidden H;
 *            e = (1/T) sum_t h_t                                  (B,H)
 *   predictor a = relu(e W1^T + b1) (B,P); p = sigm(a w2 + b2)    (B)
 *   decoder  lstm_net over the shifted tokens (start token V, then
 *            token t-1 at step t: teacher forcing), conditioned on the
 *            embedding: u = e Wc^T (B,4H) added at every step (the
 *            attention of the paper is left out: T <= 12 here);
 *            logits_t = hd_t Wo^T + bo over the n_choices[t] values  (B,C)
 *   loss     lambda * mean_b (p_b - y_b)^2
 *            + (1 - lambda) * mean_{b,t} cross-entropy(logits_t, d_t)
 * Targets are min-max scaled with a 10% margin (as surrogate/lstm.h).
 * Moving an architecture: e' = e + step * dp/de, decoded greedily (the
 * argmax choice at each step, fed back as the next input).
 */
#ifndef NASW_SURROGATE_NAO_H
#define NASW_SURROGATE_NAO_H

#include <stddef.h>

struct rng;
struct space;
struct arch;

struct nao_params {
    int embed;      /* token embedding E, default 32 */
    int hidden;     /* LSTM hidden H = embedding size, default 32 */
    int mlp;        /* predictor hidden P, default 64 */
    int batch;      /* minibatch, default 32 */
    int epochs;     /* unused by nao_fit (which takes its epochs); default 100 */
    double lr;      /* Adam, default 1e-3 */
    double lambda;  /* predictor weight in the loss, default 0.8 */
};

void nao_default_params(struct nao_params *p);
/* 1 when the space is a cell or chain space (else 0). */
int nao_supports(const struct space *s);

struct nao;

int nao_new(struct nao **out, const struct space *s, const struct nao_params *p);
void nao_free(struct nao *m);  /* NULL is a no-op */
/* Train for `epochs` epochs on n architectures with targets y (rescaled to
 * them), from a fresh initialisation drawn from r when reinit is set or the
 * model was never fitted, else continuing from the current weights and
 * Adam state (a warm start, as the rounds of search/nao.c). */
int nao_fit(struct nao *m, const struct arch *a, const double *y, int n, int epochs, int reinit, struct rng *r);
/* Predicted targets (target units) of n architectures. */
int nao_predict(struct nao *m, const struct arch *a, int n, double *y);
/* Move a along the predictor's gradient in embedding space by `step` and
 * decode: *out (a member of the full space; the caller checks a restricted
 * one), *pred the prediction at the moved embedding (target units). */
int nao_move(struct nao *m, const struct arch *a, double step, struct arch *out, double *pred);

/* For the gradient test: the parameter block (view 0 weights, 1 gradients)
 * and its size; the loss of B architectures with scaled targets ys in [0,1]
 * (gradients added into view 1 when grad != 0; B <= the batch size). */
float *nao_block(struct nao *m, int view, size_t *n);
double nao_batch_loss(struct nao *m, const struct arch *a, const float *ys, int B, int grad);

#endif
