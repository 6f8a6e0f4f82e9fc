/*
 * surrogate/lcurve_model.h - a model-based learning-curve extrapolator
 * across curves (Baker et al. 2018, "Accelerating neural architecture
 * search using performance prediction" (LcSVR); Yan et al. 2021,
 * NAS-Bench-x11): the final value of a curve is regressed on features of
 * its observed prefix plus the architecture encoding, by the exact GP of
 * surrogate/gp.h trained on other curves observed to the end.
 *
 * The target is the gain final - last observed value, so the GP only has to
 * learn how much a curve still improves; prediction = last + GP mean.
 * Features (lcurve_prefix_features, metric units, standardised over the
 * training curves inside the model): the last value, the mean of the last
 * quarter of the prefix, the least-squares slope over the last half (per
 * epoch), the value at half the prefix, the first value and the best value
 * so far.  The architecture encoding (one-hot or path, any 0/1 vector) is
 * appended scaled by arch_weight.  Predictive variance = the GP's latent
 * variance + its noise variance (targets not warped, so both are in metric
 * units).
 *
 * What it is not: a single-curve extrapolator (surrogate/lcurve.h), nor a
 * protocol: the caller keeps the predicted curve out of the training set
 * (cross-validation folds in `nasw lcurve eval`).
 */
#ifndef NASW_SURROGATE_LCURVE_MODEL_H
#define NASW_SURROGATE_LCURVE_MODEL_H

struct rng;
struct lcurve_model;

#define LCURVE_N_FEATURES 6

/* Features of the prefix y[0..k-1] (k >= 1) into feat[LCURVE_N_FEATURES]. */
void lcurve_prefix_features(const double *y, int k, double *feat);

struct lcurve_model_params {
    double arch_weight;   /* scale of the architecture encoding (default 0.5; 0: none) */
    int ard;              /* one GP length scale per input (default 0) */
    int restarts;         /* GP optimiser starts (default 2) */
};
void lcurve_model_default_params(struct lcurve_model_params *p);

/* Train on n curves: prefixes Y (n x k, row-major), encodings A (n x d,
 * may be NULL with d = 0) and final values fin[n]. */
int lcurve_model_fit(struct lcurve_model **out, const double *Y, int k, const double *A, int d, const double *fin,
                     int n, const struct lcurve_model_params *p, struct rng *r);
/* Predict m curves: means and variances (var may be NULL). */
int lcurve_model_predict(const struct lcurve_model *mo, const double *Y, const double *A, int m, double *mean,
                         double *var);
void lcurve_model_free(struct lcurve_model *mo);   /* NULL is a no-op */

#endif
