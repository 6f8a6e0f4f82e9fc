/*
 * surrogate/lcurve.h - learning-curve extrapolation.
 *
 * Domhan, Springenberg & Hutter, "Speeding up automatic hyperparameter
 * optimization of deep neural networks by extrapolation of learning curves"
 * (IJCAI 2015): eleven parametric families f_k(x | theta_k) of the epoch x,
 * each fitted by nonlinear least squares, a weighted linear combination of
 * them, and its Bayesian version sampled by MCMC, which gives a predictive
 * distribution of the value at a later epoch and P(better than the best).
 *
 * Conventions.  Epochs are x = 1..n (the first observed value is epoch 1).
 * Curves are fitted in a normalised space u where the curve increases and
 * the better end of the metric's range [lo, hi] is u = 1:
 *   higher is better, lo and hi finite: u = (y - lo) / (hi - lo);
 *   lower is better, lo finite (a loss >= 0, a perplexity >= 1):
 *     u = (ref - y) / (ref - lo), ref = hi if finite, else max(y) + span/10;
 *   an open better end: u is scaled by the observed span, with no bound.
 * Parameters (theta) below are in that space.  The paper's constraints are
 * enforced: a fit (or an MCMC state) is valid only if the curve is finite on
 * 1..target, increases from epoch 1 to the target, and its value at the
 * target is within the metric's range (u <= 1 where the better end is
 * finite, i.e. <= 100 for accuracies in percent).
 *
 * The families (x = epoch; names as accepted by lcurve_family_index):
 *   vapor      exp(a + b/x + c log x)                          a, b, c
 *   ilog2      c - a / log(x + 1)                              c, a
 *              (the paper's c - a/log x, shifted by one epoch so that it
 *              is finite at x = 1)
 *   weibull    alpha - (alpha - beta) exp(-(kappa x)^delta)     alpha, beta, kappa, delta
 *   pow3       c - a x^-alpha                                  c, a, alpha
 *   pow4       c - (a x + b)^-alpha                            c, a, b, alpha
 *   loglog     log(a log x + b)          (log-log linear)       a, b
 *   mmf        alpha - (alpha - beta) / (1 + (kappa x)^delta)   alpha, beta, kappa, delta
 *   janoschek  alpha - (alpha - beta) exp(-kappa x^delta)       alpha, beta, kappa, delta
 *   hill3      ymax x^eta / (kappa^eta + x^eta)                ymax, eta, kappa
 *   logpower   a / (1 + (x / e^b)^c)                           a, b, c
 *   exp4       c - exp(-a x^alpha + b)                         c, a, alpha, b
 *
 * Recency weighting (ours, not the paper's): the residual of epoch t of n
 * has weight rho_t = 0.25 + 0.75 t/n in the least-squares fits and in the
 * likelihood (noise variance sigma^2 / rho_t), so the early, fast-changing
 * epochs count less than the recent ones for the extrapolation.
 *
 * What it is not: a model across curves (surrogate/lcurve_model.h is).
 * Fits are deterministic for the rng state; nothing here prints; no shared
 * state, so calls on different threads (with different rngs) are safe.
 * GSL's abort-on-error handler is switched off (statuses are checked), as
 * gp_fit does.
 */
#ifndef NASW_SURROGATE_LCURVE_H
#define NASW_SURROGATE_LCURVE_H

struct rng;

enum lcurve_family {
    LC_VAPOR = 0,
    LC_ILOG2,
    LC_WEIBULL,
    LC_POW3,
    LC_POW4,
    LC_LOGLOG,
    LC_MMF,
    LC_JANOSCHEK,
    LC_HILL3,
    LC_LOGPOWER,
    LC_EXP4,
    LC_N_FAMILIES
};
#define LCURVE_MAX_PARAMS 4

const char *lcurve_family_name(int f);
int lcurve_family_index(const char *name);   /* -1 if unknown */
int lcurve_family_n_params(int f);
/* Names of the parameters, comma-separated ("c,a,alpha"). */
const char *lcurve_family_params(int f);
/* f_k(x | theta); grad (may be NULL) receives d f / d theta (analytic). */
double lcurve_family_eval(int f, const double *theta, double x, double *grad);

/* Generic weighted nonlinear least squares by GSL's trust-region solver
 * (gsl_multifit_nlinear, Levenberg-Marquardt steps, analytic Jacobian;
 * stops when a step or the scaled gradient is below 1e-9 relative):
 * minimise sum_i w_i (y_i - m(x_i | theta))^2 from theta (in: start, out:
 * solution).  model() returns m and fills grad (d m / d theta).  w may be
 * NULL (all ones).  *wsse (may be NULL) receives the weighted residual sum
 * of squares; cov (may be NULL, p*p row-major) the parameter covariance
 * sigma^2 (J'WJ)^-1 with sigma^2 = wsse / (n - p) (NAN if n <= p).
 * NASW_ENUMERIC if the solver fails or ends at a non-finite point. */
typedef double (*lcurve_model_fn)(const double *theta, double x, double *grad, void *ctx);
int lcurve_nls(lcurve_model_fn model, void *ctx, int p, const double *x, const double *y, const double *w, int n,
               int max_iter, double *theta, double *wsse, double *cov);

/* The normalisation of a curve (see above). */
struct lcurve_scale {
    double ref, s, sgn;   /* u = sgn (y - ref) / s */
    double umax;          /* bound of u at the better end (INFINITY if open) */
};
int lcurve_scale_init(struct lcurve_scale *sc, const double *y, int n, int higher_is_better, double lo, double hi);
double lcurve_to_u(const struct lcurve_scale *sc, double y);
double lcurve_from_u(const struct lcurve_scale *sc, double u);

/* One family fitted to one curve prefix. */
struct lcurve_fit {
    int ok;                          /* a valid fit was found */
    double theta[LCURVE_MAX_PARAMS]; /* in the normalised space */
    double wsse;                     /* weighted SSE, normalised space */
    double mean, sd;                 /* prediction at the target, metric units;
                                        sd: delta method + residual noise */
};

struct lcurve_opts {
    int starts;     /* least-squares starts per family (default 4) */
    int max_iter;   /* trust-region iterations per start (default 100) */
    double tol;     /* stopping tolerance of the fits: relative step, scaled
                       gradient, relative decrease of the sum of squares
                       (default 1.49012e-8, MINPACK's and so SciPy's) */
    /* MCMC (Metropolis-within-Gibbs, one block per family, one for the
     * family weights, one for the noise; per-block proposal scales adapted
     * during burn-in toward acceptance 0.3): */
    int burn;       /* burn-in sweeps (default 400) */
    int samples;    /* kept samples (default 400) */
    int thin;       /* sweeps per kept sample (default 2) */
};
void lcurve_default_opts(struct lcurve_opts *o);

/* Fit family f to y[0..n-1] (epochs 1..n) and predict epoch `target`. */
int lcurve_fit_family(int f, const double *y, int n, int target, int higher_is_better, double lo, double hi,
                      const struct lcurve_opts *o, struct rng *r, struct lcurve_fit *out);
/* All families, then the weighted linear ensemble: weights[k] (may be NULL)
 * proportional to 1/MSE of family k on the held-out end of the prefix (the
 * last quarter, or the last epoch when n < 8) when fitted to the rest; 0 for
 * families without a valid fit or with more parameters than the rest has
 * points (equal weights if no family can be scored).  fits[] are the fits
 * to the whole prefix.  ens (may be NULL) gets the ensemble mean and sd (the
 * weighted mixture's sd) at the target. */
int lcurve_fit_ensemble(const double *y, int n, int target, int higher_is_better, double lo, double hi,
                        const struct lcurve_opts *o, struct rng *r, struct lcurve_fit fits[LC_N_FAMILIES],
                        double weights[LC_N_FAMILIES], struct lcurve_fit *ens);

/* The MCMC predictive distribution at the target (metric units).  The
 * families sampled are those with a valid fit and more observed epochs than
 * parameters (all valid fits if none has); the chain starts at their
 * least-squares fits weighted by 1/(in-sample residual variance). */
struct lcurve_post {
    double mean, sd, q05, q95;  /* of the predictive (with noise) */
    double p_improve;           /* share of samples better than `best` */
    double accept;              /* mean acceptance rate after burn-in */
    int n_samples, n_families;  /* kept samples, families sampled */
};
int lcurve_mcmc(const double *y, int n, int target, double best, int higher_is_better, double lo, double hi,
                const struct lcurve_opts *o, struct rng *r, struct lcurve_post *out);

/* Domhan et al. 2015: given the first n observed values y[0..n-1] of a curve
 * (epochs 1..n) of a metric with range [lo, hi] (NAN for an open end), the
 * probability that its value at epoch `target` (> n) is better than `best`
 * (higher_is_better: greater; else smaller).  MCMC over the ensemble of
 * families; deterministic for the rng state.  NASW_OK or an error status.
 * Uses lcurve_default_opts(): 4 starts per family, 400 burn-in sweeps and
 * 400 kept samples (2 sweeps apart): about 8-20 ms of CPU for n = 10..40
 * observed epochs, 35 ms for n = 80 (half of it the least-squares starts). */
int lcurve_prob_improve(const double *y, int n, int target, double best, int higher_is_better,
                        double lo, double hi, struct rng *r, double *p);

/* Split-conformal calibration from held-out curves (lcurve_conformal.c):
 * given the signed residuals resid[j] = true_j - mean_j of n calibration
 * curves (never the curve to be predicted), offsets lo <= med <= hi such
 * that [mean + lo, mean + hi] covers the true value of an exchangeable new
 * curve with probability >= 1 - alpha, each tail <= alpha/2: lo is the
 * floor((alpha/2)(n+1))-th smallest residual (-INFINITY if 0), hi the
 * ceil((1-alpha/2)(n+1))-th (INFINITY beyond n); med is the median residual
 * (the bias correction of the point prediction).  NASW_EINVAL for alpha
 * outside (0, 1), no residuals or a non-finite one. */
int lcurve_conformal(const double *resid, int n, double alpha, double *lo, double *med, double *hi);
/* The same for each of n curves from the n - 1 others (leave one curve
 * out): lo[i], med[i] and hi[i] do not depend on resid[i]. */
int lcurve_conformal_loo(const double *resid, int n, double alpha, double *lo, double *med, double *hi);

#endif
