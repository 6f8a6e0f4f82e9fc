/*
 * search/reinforce_policy.h - the policies of search/reinforce.c (and of
 * search/ppo.c), exposed for the gradient tests (not a public API): the
 * factorized categorical policy and the LSTM controller
 * (search/reinforce_lstm.c).
 *
 * theta holds one logit per (decision, value): decision i's logits start at
 * offset sum_{j<i} n_choices[j] (the one-hot layout of core/arch.h).
 */
#ifndef NASW_SEARCH_REINFORCE_POLICY_H
#define NASW_SEARCH_REINFORCE_POLICY_H

#include "core/arch.h"
#include "core/hashmap.h"

/* log pi(a) under theta; if grad != NULL, grad = d log pi(a) / d theta
 * (= onehot(a_i) - softmax(theta_i) for every decision i). */
double reinforce_logprob(const struct space *s, const double *theta, const struct arch *a, double *grad);

struct rng;
struct rf_lstm;

/* Draw a from the factorized policy theta (one softmax per decision). */
void reinforce_sample(const struct space *s, const double *theta, struct rng *r, struct arch *a);

/* The proposal rule of the RL strategies (reinforce, ppo, qlearn): draw
 * from the policy until a member of a restricted space (100 tries, then a
 * uniform member); after `stall` consecutive architectures already told, an
 * unseen random one.  *repeats counts them between calls. */
void rl_propose(const struct space *s, struct rng *r, const struct hashmap *told, int *repeats, int stall,
                void (*sample)(void *ctx, struct arch *a), void *ctx, struct arch *out);

/* Weights uniform in [-0.1, 0.1] from r.  NULL on failure (message set). */
struct rf_lstm *rf_lstm_new(const struct space *s, int embed, int hidden, struct rng *r);
void rf_lstm_free(struct rf_lstm *c);
/* Sample an architecture decision by decision. */
void rf_lstm_sample(struct rf_lstm *c, struct rng *r, struct arch *a);
/* log pi(a); grad != 0: the gradient view is set to d log pi(a) / dw. */
double rf_lstm_logprob(struct rf_lstm *c, const struct arch *a, int grad);
/* After rf_lstm_logprob(.., 1): one Adam step along adv * d log pi. */
void rf_lstm_update(struct rf_lstm *c, double adv, double lr, double b1, double b2, double eps);
/* One Adam step up the direction dir (*n floats, laid out as the gradient
 * view): for PPO's clipped surrogate, a weighted sum of d log pi. */
void rf_lstm_ascent(struct rf_lstm *c, const float *dir, double lr, double b1, double b2, double eps);
/* The controller's whole state (weights, Adam moments and step) as bytes
 * of rf_lstm_state_size(): for the checkpoints of a search (ENAS). */
size_t rf_lstm_state_size(const struct rf_lstm *c);
void rf_lstm_state_get(const struct rf_lstm *c, void *out);
void rf_lstm_state_set(struct rf_lstm *c, const void *in);
/* View 0 weights, 1 gradients; *n parameters. */
float *rf_lstm_block(struct rf_lstm *c, int view, size_t *n);

#endif
