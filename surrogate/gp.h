/*
 * surrogate/gp.h - exact Gaussian-process regression.
 *
 * Kernels RBF and Matern-5/2 on encoded architectures, one length scale or
 * one per input (ARD), a signal variance and a noise variance.  Targets are
 * standardised; optionally first "warped" by their ranks through the normal
 * quantile function (a Gaussian copula), which keeps the 10% accuracy of
 * NAS-Bench-201's broken cells from dominating a stationary GP; predictions
 * are mapped back through the training targets' quantiles.  Hyperparameters
 * maximise the log marginal likelihood (signal variance in closed form;
 * projected Newton steps with the exact Hessian for one length scale, BFGS
 * with the analytic gradient for ARD; several independent random starts);
 * the Cholesky factor comes from LAPACKE with jitter added and increased
 * while the matrix is not positive definite.
 * Rasmussen & Williams, "Gaussian Processes for Machine Learning", ch. 2, 5.
 */
#ifndef NASW_SURROGATE_GP_H
#define NASW_SURROGATE_GP_H

struct rng;
struct gp;

enum gp_kernel { GP_RBF = 0, GP_MATERN52 = 1 };

struct gp_params {
    enum gp_kernel kernel;  /* default Matern-5/2 */
    int ard;                /* one length scale per input (default 0) */
    int warp;               /* rank (copula) warping of the targets (default 1) */
    int restarts;           /* optimiser starts (default 3) */
    int max_iter;           /* BFGS iterations per start (default 100) */
    const double *theta0;   /* optimize == 0: use these log-hyperparameters;
                               optimize == 1: the first start (warm start) */
    int optimize;           /* default 1 */
};

void gp_default_params(struct gp_params *p);
/* Number of log-hyperparameters: length scales (d or 1), log sf2, log sn2. */
int gp_n_theta(int d, int ard);

int gp_fit(struct gp **out, const double *X, const double *y, int n, int d, const struct gp_params *p,
           struct rng *r);
/* Predictive mean and variance (of the latent function, in target units). */
int gp_predict(const struct gp *g, const double *X, int m, double *mean, double *var);
/* The same in the GP's latent space (standardised, rank-warped targets),
 * where the acquisition functions of BO are computed: warping caps the
 * back-transformed mean at the best training target. */
int gp_predict_latent(const struct gp *g, const double *X, int m, double *mean, double *var);
/* Largest latent training target. */
double gp_latent_best(const struct gp *g);
const double *gp_theta(const struct gp *g);
double gp_log_marginal(const struct gp *g);   /* of the (standardised) targets */
/* Mean held-out log predictive density of targets y at inputs X (m points):
 * log N(y; mean, var + noise) in target units.  Unwarped GPs only
 * (NASW_EUNSUPPORTED otherwise: the rank warp has no density outside the
 * training targets' range). */
int gp_log_predictive(const struct gp *g, const double *X, const double *y, int m, double *lpd);
void gp_free(struct gp *g);

/* Negative log marginal likelihood of standardised targets ys at log-
 * hyperparameters theta, and its gradient (may be NULL).  Exposed for the
 * gradient test and the optimiser. */
int gp_nlml(const double *X, const double *ys, int n, int d, enum gp_kernel k, int ard, const double *theta,
            double *f, double *grad);

/* The NLML minimised over the signal variance in closed form, at
 * phi = (log length scales, log(sn2 / sf2)) (nt - 1 entries), its gradient
 * (may be NULL) and the minimising sf2 (may be NULL): the optimiser works on
 * phi, which removes the ridge between length scale and signal variance.
 * NLML(l, log sf2, log(r sf2)) = this at (l, log r). */
int gp_nlml_profile(const double *X, const double *ys, int n, int d, enum gp_kernel k, int ard, const double *phi,
                    double *f, double *grad, double *sf2);

/* The same with its exact Hessian (2 x 2, row-major) in phi = (log l,
 * log r), for an isotropic kernel: the fit takes Newton steps with it. */
int gp_nlml_profile_hess(const double *X, const double *ys, int n, int d, enum gp_kernel k, const double *phi,
                         double *f, double *grad, double *hess);

#endif
