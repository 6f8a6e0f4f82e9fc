/*
 * search/reinforce_policy.h - the factorized categorical policy of
 * search/reinforce.c, exposed for the gradient tests (not a public API).
 *
 * theta holds one logit per (decision, value): decision i's logits start at
 * offset sum_{j<i} n_choices[j] (the one-hot layout of core/arch.h).
 */
#ifndef NASW_SEARCH_REINFORCE_POLICY_H
#define NASW_SEARCH_REINFORCE_POLICY_H

#include "core/arch.h"

/* log pi(a) under theta; if grad != NULL, grad = d log pi(a) / d theta
 * (= onehot(a_i) - softmax(theta_i) for every decision i). */
double reinforce_logprob(const struct space *s, const double *theta, const struct arch *a, double *grad);

#endif
