/*
 * surrogate/lcurve.c - the eleven curve families of Domhan et al. (IJCAI
 * 2015), their least-squares fits (GSL gsl_multifit_nlinear, trust region,
 * analytic Jacobians), the weighted ensemble and the MCMC posterior.
 *
 * The families, the normalisation and the constraints are documented in
 * lcurve.h.  Least squares: several starts per family (data-driven guesses
 * for the asymptote and the shape, then random perturbations of them; for
 * the families linear in their parameters after a transform, vapor, ilog2
 * and loglog, the first guess is the weighted linear least-squares fit in
 * the transformed space), the best valid fit is kept; MINPACK's (SciPy's)
 * stopping rules with lcurve_opts.tol.  A fit of a 3-parameter family to
 * 20-40 points takes 2-15 us of CPU: one model pass per point gives residual
 * and Jacobian row, one GSL workspace per thread is reused.  Residuals at non-finite model values are replaced
 * by a large constant, so the trust region rejects steps that leave a
 * family's domain instead of failing.
 *
 * MCMC: the state is (theta_k for every family with a valid fit, log
 * weights z, log sigma); the combined curve is sum_k w_k f_k with
 * w = exp(z) / sum exp(z).  Priors: uniform on theta_k inside the
 * constraints (the paper's), z_k ~ N(0, 1) (fixes the scale of the
 * unnormalised weights; ours), flat on log sigma.  Likelihood: u_t ~
 * N(f(t), sigma^2 / rho_t) with the recency weights rho_t.  Sampler:
 * Metropolis within Gibbs by blocks (each family's parameters, the weights,
 * the noise) with Gaussian proposals shaped by the least-squares covariance
 * (Cholesky factor) and per-block scales adapted during burn-in only, so the
 * kept chain is a plain Metropolis-Hastings chain.  Domhan et al. used an
 * affine-invariant ensemble sampler (emcee) with 100 walkers and thousands
 * of steps; the block sampler started at the least-squares solution gets a
 * usable posterior in tens of milliseconds, which early termination needs.
 */
#include "surrogate/lcurve.h"

#include <gsl/gsl_blas.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_linalg.h>
#include <gsl/gsl_matrix.h>
#include <gsl/gsl_multifit_nlinear.h>
#include <gsl/gsl_sort.h>
#include <gsl/gsl_statistics_double.h>
#include <gsl/gsl_vector.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "core/rng.h"
#include "core/status.h"

#define LCURVE_MAX_N 4096   /* observed epochs a fit uses at most */

static const struct {
    const char *name, *params;
    int np;
} families[LC_N_FAMILIES] = {
    {"vapor", "a,b,c", 3},
    {"ilog2", "c,a", 2},
    {"weibull", "alpha,beta,kappa,delta", 4},
    {"pow3", "c,a,alpha", 3},
    {"pow4", "c,a,b,alpha", 4},
    {"loglog", "a,b", 2},
    {"mmf", "alpha,beta,kappa,delta", 4},
    {"janoschek", "alpha,beta,kappa,delta", 4},
    {"hill3", "ymax,eta,kappa", 3},
    {"logpower", "a,b,c", 3},
    {"exp4", "c,a,alpha,b", 4},
};

const char *lcurve_family_name(int f) { return f >= 0 && f < LC_N_FAMILIES ? families[f].name : "?"; }
const char *lcurve_family_params(int f) { return f >= 0 && f < LC_N_FAMILIES ? families[f].params : ""; }
int lcurve_family_n_params(int f) { return f >= 0 && f < LC_N_FAMILIES ? families[f].np : 0; }

int lcurve_family_index(const char *name)
{
    for (int f = 0; f < LC_N_FAMILIES; f++)
        if (!strcmp(name, families[f].name)) return f;
    return -1;
}

double lcurve_family_eval(int f, const double *t, double x, double *g)
{
    double lx, v;   /* log x, computed only by the families that use it */
    switch (f) {
    case LC_VAPOR:
        lx = log(x);
        v = exp(t[0] + t[1] / x + t[2] * lx);
        if (g) g[0] = v, g[1] = v / x, g[2] = v * lx;
        return v;
    case LC_ILOG2: {
        double l1 = log(x + 1);
        if (g) g[0] = 1, g[1] = -1 / l1;
        return t[0] - t[1] / l1;
    }
    case LC_WEIBULL: {   /* alpha - (alpha - beta) exp(-(kappa x)^delta) */
        double kx = t[2] * x, P = pow(kx, t[3]), E = exp(-P), d = t[0] - t[1];
        if (g) g[0] = 1 - E, g[1] = E, g[2] = d * E * t[3] * P / t[2], g[3] = d * E * P * log(kx);
        return t[0] - d * E;
    }
    case LC_POW3: {      /* c - a x^-alpha */
        lx = log(x);
        double P = exp(-t[2] * lx);
        if (g) g[0] = 1, g[1] = -P, g[2] = t[1] * P * lx;
        return t[0] - t[1] * P;
    }
    case LC_POW4: {      /* c - (a x + b)^-alpha */
        double B = t[1] * x + t[2], P = pow(B, -t[3]);
        if (g) g[0] = 1, g[1] = t[3] * P / B * x, g[2] = t[3] * P / B, g[3] = P * log(B);
        return t[0] - P;
    }
    case LC_LOGLOG: {    /* log(a log x + b) */
        lx = log(x);
        double L = t[0] * lx + t[1];
        if (g) g[0] = lx / L, g[1] = 1 / L;
        return log(L);
    }
    case LC_MMF: {       /* alpha - (alpha - beta) / (1 + (kappa x)^delta) */
        double kx = t[2] * x, P = pow(kx, t[3]), Q = 1 + P, d = t[0] - t[1];
        if (g) g[0] = 1 - 1 / Q, g[1] = 1 / Q, g[2] = d * t[3] * P / (t[2] * Q * Q), g[3] = d * P * log(kx) / (Q * Q);
        return t[0] - d / Q;
    }
    case LC_JANOSCHEK: { /* alpha - (alpha - beta) exp(-kappa x^delta) */
        lx = log(x);
        double P = exp(t[3] * lx), E = exp(-t[2] * P), d = t[0] - t[1];
        if (g) g[0] = 1 - E, g[1] = E, g[2] = d * E * P, g[3] = d * E * t[2] * P * lx;
        return t[0] - d * E;
    }
    case LC_HILL3: {     /* ymax x^eta / (kappa^eta + x^eta) = ymax / (1 + (kappa/x)^eta) */
        double lr = log(t[2] / x), R = exp(t[1] * lr), Q = 1 + R;
        if (g) g[0] = 1 / Q, g[1] = -t[0] * R * lr / (Q * Q), g[2] = -t[0] * t[1] * R / (t[2] * Q * Q);
        if (!(t[2] > 0)) return NAN;
        return t[0] / Q;
    }
    case LC_LOGPOWER: {  /* a / (1 + (x / e^b)^c) */
        lx = log(x);
        double P = exp(t[2] * (lx - t[1])), Q = 1 + P;
        if (g) g[0] = 1 / Q, g[1] = t[0] * P * t[2] / (Q * Q), g[2] = -t[0] * P * (lx - t[1]) / (Q * Q);
        return t[0] / Q;
    }
    case LC_EXP4: {      /* c - exp(-a x^alpha + b) */
        lx = log(x);
        double P = exp(t[2] * lx), E = exp(-t[1] * P + t[3]);
        if (g) g[0] = 1, g[1] = E * P, g[2] = E * t[1] * P * lx, g[3] = -E;
        return t[0] - E;
    }
    default:
        return NAN;
    }
}

/* ---- generic weighted nonlinear least squares ---- */

#define NLS_BAD_RESIDUAL 1e6

/* One pass of the model over the points gives the residuals and the
 * Jacobian together: GSL's trust region evaluates f at every trial point
 * and df at the accepted one, which is always the last point f saw, so
 * nls_df copies the rows nls_f computed instead of evaluating the model
 * (its exp/pow/log) a second time.  The weights are folded in here
 * (sqrt(w_i) times residual and row), so GSL solves the unweighted problem
 * and does not rescale the rows at every iteration. */
struct nls_ctx {
    lcurve_model_fn model;
    void *ctx;
    const double *x, *y, *sw;   /* sw: sqrt of the weights, or NULL */
    int p;
    double th[16];              /* the point J was computed at */
    int have_j;
    double *J;                  /* n x p, row-major */
};

static int nls_f(const gsl_vector *th, void *params, gsl_vector *f)
{
    struct nls_ctx *c = params;
    double g[16];
    for (int j = 0; j < c->p; j++) c->th[j] = th->data[(size_t)j * th->stride];
    for (size_t i = 0; i < f->size; i++) {
        double m = c->model(c->th, c->x[i], g, c->ctx) - c->y[i], s = c->sw ? c->sw[i] : 1;
        double *J = c->J + i * (size_t)c->p;
        f->data[i * f->stride] = isfinite(m) ? s * m : NLS_BAD_RESIDUAL;
        for (int j = 0; j < c->p; j++) J[j] = isfinite(g[j]) ? s * g[j] : 0.0;
    }
    c->have_j = 1;
    return GSL_SUCCESS;
}

static int nls_df(const gsl_vector *th, void *params, gsl_matrix *J)
{
    struct nls_ctx *c = params;
    int same = c->have_j;
    for (int j = 0; j < c->p && same; j++) same = gsl_vector_get(th, (size_t)j) == c->th[j];
    if (!same) {   /* not the last point f saw (never with GSL's trust region): evaluate */
        gsl_vector *fv = gsl_vector_alloc(J->size1);
        if (!fv) return GSL_ENOMEM;
        nls_f(th, params, fv);
        gsl_vector_free(fv);
    }
    for (size_t i = 0; i < J->size1; i++) memcpy(J->data + i * J->tda, c->J + i * (size_t)c->p, sizeof(double) * (size_t)c->p);
    return GSL_SUCCESS;
}

/* The trust-region workspace and the Jacobian buffer of the last size used,
 * one per thread, kept between calls: eval and early termination fit
 * thousands of prefixes of one length, and allocating GSL's workspace (some
 * twenty vectors and matrices) per fit was a tenth of a cheap family's fit
 * time.  Reallocated when n or p changes; freed when the thread ends (a
 * pthread key destructor; the main thread's stays reachable until exit).
 * Thread-local, so calls on different threads stay independent. */
static _Thread_local struct {
    gsl_multifit_nlinear_workspace *ws;
    double *buf;
    int n, p;
} nls_cache;
static pthread_key_t nls_key;
static pthread_once_t nls_once = PTHREAD_ONCE_INIT;

static void nls_cache_free(void *unused)
{
    (void)unused;
    gsl_multifit_nlinear_free(nls_cache.ws);
    free(nls_cache.buf);
    memset(&nls_cache, 0, sizeof nls_cache);
}

static void nls_key_init(void) { (void)pthread_key_create(&nls_key, nls_cache_free); }

static gsl_multifit_nlinear_workspace *nls_workspace(int n, int p, double **buf)
{
    if (nls_cache.ws && nls_cache.n == n && nls_cache.p == p) {
        *buf = nls_cache.buf;
        return nls_cache.ws;
    }
    nls_cache_free(NULL);
    pthread_once(&nls_once, nls_key_init);
    (void)pthread_setspecific(nls_key, &nls_cache);   /* non-NULL: the destructor runs at thread exit */
    gsl_multifit_nlinear_parameters par = gsl_multifit_nlinear_default_parameters();
    par.solver = gsl_multifit_nlinear_solver_cholesky;   /* p <= 16: normal equations are fastest */
    double *b = malloc(sizeof(double) * (size_t)n * (size_t)(p + 1));
    gsl_multifit_nlinear_workspace *ws = b ? gsl_multifit_nlinear_alloc(gsl_multifit_nlinear_trust, &par, (size_t)n, (size_t)p) : NULL;
    if (!ws) {
        free(b);
        return NULL;
    }
    nls_cache.ws = ws, nls_cache.buf = b, nls_cache.n = n, nls_cache.p = p;
    *buf = b;
    return ws;
}

/* Sum of squares (a plain loop: OpenBLAS's overflow-safe dnrm2 was an
 * eighth of a cheap fit's time). */
static double nls_sumsq(const gsl_vector *v)
{
    double s = 0;
    for (size_t i = 0; i < v->size; i++) s += v->data[i * v->stride] * v->data[i * v->stride];
    return s;
}

/* lcurve_nls with the stopping tolerances: xtol for GSL's relative-step and
 * scaled-gradient tests, ftol for the relative decrease of the sum of
 * squares (0: not tested). */
static int nls_solve(lcurve_model_fn model, void *ctx, int p, const double *x, const double *y, const double *w, int n,
                     int max_iter, double xtol, double ftol, double *theta, double *wsse, double *cov)
{
    gsl_set_error_handler_off();   /* statuses are checked; never abort (as gp_fit) */
    if (p < 1 || p > 16 || n < p) return nasw_errorf(NASW_EINVAL, "least squares: %d points for %d parameters", n, p);
    double *buf;
    gsl_multifit_nlinear_workspace *ws = nls_workspace(n, p, &buf);
    if (!ws) return nasw_errorf(NASW_ENOMEM, "out of memory");
    struct nls_ctx c = {model, ctx, x, y, NULL, p, {0}, 0, buf};
    if (w) {
        double *sw = buf + (size_t)n * p;
        for (int i = 0; i < n; i++) sw[i] = sqrt(w[i]);
        c.sw = sw;
    }
    gsl_multifit_nlinear_fdf fdf = {0};
    fdf.f = nls_f;
    fdf.df = nls_df;
    fdf.n = (size_t)n;
    fdf.p = (size_t)p;
    fdf.params = &c;
    gsl_vector_view th0 = gsl_vector_view_array(theta, (size_t)p);
    int st = gsl_multifit_nlinear_init(&th0.vector, &fdf, ws);
    /* The driver loop with MINPACK's stopping rules (those of SciPy's
     * curve_fit, the peer): a relative step or a scaled gradient below xtol
     * (GSL's tests), or a relative decrease of the sum of squares below
     * ftol (MINPACK's ftol; GSL's own ftol test is not implemented).
     * Out of iterations or no further progress: the point reached is still
     * a candidate, judged by the caller's validity checks.  A start that
     * already passes the gradient test (the linear start of a family that is
     * linear in its parameters) is not iterated: the trust region would only
     * shrink around it, step after rejected step. */
    double F0 = st ? 0 : nls_sumsq(gsl_multifit_nlinear_residual(ws));
    if (!st) {
        const gsl_vector *fv = gsl_multifit_nlinear_residual(ws);
        double gmax = 0;
        for (int j = 0; j < p; j++) {
            double g = 0;
            for (int i = 0; i < n; i++) g += c.J[(size_t)i * p + j] * gsl_vector_get(fv, (size_t)i);
            g = fabs(g) * fmax(fabs(theta[j]), 1.0);
            gmax = g > gmax ? g : gmax;
        }
        if (gmax <= xtol * fmax(0.5 * F0, 1.0)) max_iter = 0;
    }
    for (int it = 0, info; !st && it < max_iter; it++) {
        st = gsl_multifit_nlinear_iterate(ws);
        if (st == GSL_ENOPROG) {
            st = GSL_SUCCESS;
            break;
        }
        if (st || gsl_multifit_nlinear_test(xtol, xtol, 0.0, &info, ws) == GSL_SUCCESS) break;
        double F1 = nls_sumsq(gsl_multifit_nlinear_residual(ws));
        if (F0 - F1 <= ftol * F0) break;
        F0 = F1;
    }
    double ss = 0;
    if (!st) {
        const gsl_vector *sol = gsl_multifit_nlinear_position(ws), *res = gsl_multifit_nlinear_residual(ws);
        for (int j = 0; j < p; j++) theta[j] = gsl_vector_get(sol, (size_t)j);
        for (int i = 0; i < n; i++) ss += gsl_vector_get(res, (size_t)i) * gsl_vector_get(res, (size_t)i);
        int fin = isfinite(ss);
        for (int j = 0; j < p; j++) fin = fin && isfinite(theta[j]);
        if (!fin) st = GSL_EDOM;
    }
    if (!st && cov) {
        gsl_matrix_view cv = gsl_matrix_view_array(cov, (size_t)p, (size_t)p);
        if (gsl_multifit_nlinear_covar(gsl_multifit_nlinear_jac(ws), 0.0, &cv.matrix)) {
            for (int j = 0; j < p * p; j++) cov[j] = NAN;
        } else {
            double s2 = n > p ? ss / (n - p) : NAN;
            for (int j = 0; j < p * p; j++) cov[j] *= s2;
        }
    }
    if (st) return nasw_errorf(NASW_ENUMERIC, "least squares failed: %s", gsl_strerror(st));
    if (wsse) *wsse = ss;
    return NASW_OK;
}

/* The certified-accuracy setting (NIST StRD to 1e-6): steps and gradients
 * below 1e-9, no test on the decrease of the sum of squares. */
int lcurve_nls(lcurve_model_fn model, void *ctx, int p, const double *x, const double *y, const double *w, int n,
               int max_iter, double *theta, double *wsse, double *cov)
{
    return nls_solve(model, ctx, p, x, y, w, n, max_iter, 1e-9, 0.0, theta, wsse, cov);
}

/* ---- normalisation ---- */

int lcurve_scale_init(struct lcurve_scale *sc, const double *y, int n, int hib, double lo, double hi)
{
    if (n < 1) return nasw_errorf(NASW_EINVAL, "empty curve");
    double mn = y[0], mx = y[0];
    for (int i = 0; i < n; i++) {
        if (!isfinite(y[i])) return nasw_errorf(NASW_EINVAL, "curve value %d is not finite", i + 1);
        mn = y[i] < mn ? y[i] : mn;
        mx = y[i] > mx ? y[i] : mx;
    }
    if (isfinite(lo) && isfinite(hi) && !(hi > lo))
        return nasw_errorf(NASW_EINVAL, "bad metric range [%g, %g]", lo, hi);
    double span = mx - mn > 0 ? mx - mn : fmax(fabs(mx), 1.0);
    if (hib) {
        sc->sgn = 1;
        sc->ref = isfinite(lo) ? lo : mn - 0.1 * span;
        sc->s = isfinite(hi) ? hi - sc->ref : fmax(mx - sc->ref, 1e-12);
        sc->umax = isfinite(hi) ? 1 : INFINITY;
    } else {
        sc->sgn = -1;
        sc->ref = isfinite(hi) ? hi : mx + 0.1 * span;
        sc->s = isfinite(lo) ? sc->ref - lo : fmax(sc->ref - mn, 1e-12);
        sc->umax = isfinite(lo) ? 1 : INFINITY;
    }
    if (!(sc->s > 0)) return nasw_errorf(NASW_EINVAL, "curve values outside the metric range [%g, %g]", lo, hi);
    return NASW_OK;
}

double lcurve_to_u(const struct lcurve_scale *sc, double y) { return sc->sgn * (y - sc->ref) / sc->s; }
double lcurve_from_u(const struct lcurve_scale *sc, double u) { return sc->ref + sc->sgn * sc->s * u; }

void lcurve_default_opts(struct lcurve_opts *o)
{
    o->starts = 4;
    o->max_iter = 100;
    o->tol = 1.49012e-8;
    o->burn = 400;
    o->samples = 400;
    o->thin = 2;
}

/* ---- one family ---- */

/* The model of a family fit: epochs x >= 1 are data; x = -1 and x = -2 are
 * two penalty rows (target 0) for the paper's constraints, hinge functions
 * lambda max(0, f(T) - umax + margin) and lambda max(0, f(1) - f(T)), so the
 * trust region finds the best fit inside the constraints instead of an
 * unconstrained optimum that would have to be thrown away. */
struct fam_ctx {
    int f, target;
    double umax;
};
#define PEN_LAMBDA 1e3
#define PEN_MARGIN 1e-4

static double family_model(const double *theta, double x, double *grad, void *ctx)
{
    const struct fam_ctx *c = ctx;
    if (x > 0) return lcurve_family_eval(c->f, theta, x, grad);
    int p = families[c->f].np;
    double gT[LCURVE_MAX_PARAMS], g1[LCURVE_MAX_PARAMS];
    double fT = lcurve_family_eval(c->f, theta, c->target, gT), v;
    if (x == -1) {
        v = isfinite(c->umax) ? fT - c->umax + PEN_MARGIN : -1;
        for (int j = 0; j < p && grad; j++) grad[j] = v > 0 ? PEN_LAMBDA * gT[j] : 0;
    } else {
        v = lcurve_family_eval(c->f, theta, 1, g1) - fT;
        for (int j = 0; j < p && grad; j++) grad[j] = v > 0 ? PEN_LAMBDA * (g1[j] - gT[j]) : 0;
    }
    return v > 0 ? PEN_LAMBDA * v : (isfinite(v) ? 0 : NAN);
}

/* The paper's constraints: finite on 1..target, increasing from epoch 1 to
 * the target, at most umax at the target. */
static int valid_theta(int f, const double *th, int n, int target, double umax)
{
    double first = lcurve_family_eval(f, th, 1, NULL), last = lcurve_family_eval(f, th, target, NULL);
    if (!isfinite(first) || !isfinite(last) || !(last >= first) || last > umax + 1e-9) return 0;
    /* and between: on a few points up to the target */
    double prev = first;
    for (int k = 1; k <= 8; k++) {
        double x = 1 + (target - 1) * k / 8.0, v = lcurve_family_eval(f, th, x, NULL);
        if (!isfinite(v) || v < prev - 1e-9) return 0;
        prev = v;
    }
    (void)n;
    return 1;
}

/* The start of the families that are linear in their parameters after a
 * transform z(u) (vapor: log u = a + b/x + c log x; ilog2: already linear;
 * loglog: e^u = a log x + b): the weighted linear least-squares solution in
 * the transformed space, with weights w_i / z'(u_i)^2 so that its residuals
 * approximate those in u.  The trust region then only polishes it (and
 * applies the constraints).  0 if the family has no such form or the data
 * are outside the transform's domain. */
static int linear_start(int f, const double *u, const double *w, int n, double *t)
{
    int p = f == LC_VAPOR ? 3 : 2;
    if (f != LC_VAPOR && f != LC_ILOG2 && f != LC_LOGLOG) return 0;
    double M[9] = {0}, b[3] = {0};
    for (int i = 0; i < n; i++) {
        double x = i + 1, a[3], z, s;
        if (f == LC_VAPOR) {
            if (!(u[i] > 0)) return 0;
            a[0] = 1, a[1] = 1 / x, a[2] = log(x), z = log(u[i]), s = u[i] * u[i];
        } else if (f == LC_ILOG2) {
            a[0] = 1, a[1] = -1 / log(x + 1), z = u[i], s = 1;
        } else {
            z = exp(u[i]), a[0] = log(x), a[1] = 1, s = 1 / (z * z);
        }
        for (int j = 0; j < p; j++) {
            b[j] += w[i] * s * a[j] * z;
            for (int k = 0; k < p; k++) M[j * p + k] += w[i] * s * a[j] * a[k];
        }
    }
    gsl_matrix_view Mv = gsl_matrix_view_array(M, (size_t)p, (size_t)p);
    gsl_vector_view bv = gsl_vector_view_array(b, (size_t)p), tv = gsl_vector_view_array(t, (size_t)p);
    if (gsl_linalg_cholesky_decomp1(&Mv.matrix) || gsl_linalg_cholesky_solve(&Mv.matrix, &bv.vector, &tv.vector))
        return 0;
    for (int j = 0; j < p; j++)
        if (!isfinite(t[j])) return 0;
    return 1;
}

/* Data-driven starting points (variants 0, 3, 6, ... of the linearisable
 * families: their linear least-squares start); variants >= 3 are random
 * perturbations. */
static void start_theta(int f, const double *u, const double *w, int n, int v, struct rng *r, double umax,
                        double *t)
{
    double u0 = u[0], u1 = n > 1 ? 0.5 * (u[n - 1] + u[n - 2 > 0 ? n - 2 : 0]) : u[0];
    double top = fmax(u0, u1), gap = fmax(fabs(u1 - u0), 0.01);
    static const double head[3] = {0.1, 0.5, 2.0}, shape[3] = {0.5, 1.0, 0.25};
    double A = top + head[v % 3] * gap, sh = shape[v % 3];
    if (isfinite(umax) && A > umax) A = top < umax ? 0.5 * (top + umax) : umax;
    double dn = n > 3 ? n : 3;
    if (v % 3 == 0 && linear_start(f, u, w, n, t)) goto perturb;
    switch (f) {
    case LC_VAPOR: {
        double a = log(fmax(A, 1e-3)), b = u0 > 0 && A > u0 ? log(u0 / A) : -1;
        t[0] = a, t[1] = b, t[2] = 0;
        break;
    }
    case LC_ILOG2: t[0] = A, t[1] = (A - u0) * log(2.0); break;
    case LC_WEIBULL: t[0] = A, t[1] = u0 - 0.1 * gap, t[2] = 3 * sh / dn, t[3] = 1; break;
    case LC_POW3: t[0] = A, t[1] = fmax(A - u0, 1e-3), t[2] = sh; break;
    case LC_POW4: {
        double B1 = pow(fmax(A - u0, 1e-3), -1 / sh);
        t[0] = A, t[1] = 0.5 * B1, t[2] = 0.5 * B1, t[3] = sh;
        break;
    }
    case LC_LOGLOG: t[0] = (exp(u1) - exp(u0)) / log(dn) + 1e-3, t[1] = exp(u0); break;
    case LC_MMF: t[0] = A, t[1] = u0 - 0.1 * gap, t[2] = 3 * sh / dn, t[3] = 1; break;
    case LC_JANOSCHEK: t[0] = A, t[1] = u0 - 0.1 * gap, t[2] = 3 * sh / dn, t[3] = 1; break;
    case LC_HILL3: t[0] = A, t[1] = 1, t[2] = u0 > 0 && A > u0 ? fmax(A / u0 - 1, 1e-3) : dn / 3; break;
    case LC_LOGPOWER: {
        double c = -1 / sh, q = u0 > 0 ? A / u0 - 1 : 0;
        t[0] = A, t[2] = c, t[1] = q > 0 ? -log(q) / c : log(dn / 3);
        break;
    }
    case LC_EXP4: {
        double a = 3 / fmax(pow(dn, sh) - 1, 0.5);
        t[0] = A, t[1] = a, t[2] = sh, t[3] = a + log(fmax(A - u0, 1e-3));
        break;
    }
    }
perturb:
    if (v >= 3)
        for (int j = 0; j < families[f].np; j++) t[j] *= exp(rng_gaussian(r, 0.3));
}

/* Recency weights rho_t (see lcurve.h). */
static void recency(int n, double *w)
{
    for (int i = 0; i < n; i++) w[i] = 0.25 + 0.75 * (i + 1) / (double)n;
}

/* Best valid fit of family f to (x, u, w) over the starts; cov p*p or NULL. */
static int fit_u(int f, const double *x, const double *u, const double *w, int n, int target, double umax,
                 const struct lcurve_opts *o, struct rng *r, double *theta, double *wsse, double *cov)
{
    int p = families[f].np, found = 0;
    if (n < p) return 0;
    double best = INFINITY, th[LCURVE_MAX_PARAMS], ss, cv[LCURVE_MAX_PARAMS * LCURVE_MAX_PARAMS];
    double xx[LCURVE_MAX_N + 2], yy[LCURVE_MAX_N + 2], ww[LCURVE_MAX_N + 2];
    if (n > LCURVE_MAX_N) return 0;
    memcpy(xx, x, sizeof *x * (size_t)n);
    memcpy(yy, u, sizeof *u * (size_t)n);
    memcpy(ww, w, sizeof *w * (size_t)n);
    xx[n] = -1, xx[n + 1] = -2, yy[n] = yy[n + 1] = 0, ww[n] = ww[n + 1] = 1;
    struct fam_ctx fc = {f, target, umax};
    for (int v = 0; v < o->starts; v++) {
        start_theta(f, u, w, n, v, r, umax, th);
        if (nls_solve(family_model, &fc, p, xx, yy, ww, n + 2, o->max_iter, o->tol, o->tol, th, &ss, cov ? cv : NULL))
            continue;
        if (!valid_theta(f, th, n, target, umax) || !(ss < best)) continue;
        best = ss;
        found = 1;
        memcpy(theta, th, sizeof th);
        if (cov) memcpy(cov, cv, sizeof *cv * (size_t)(p * p));
    }
    nasw_errclear();
    if (found) *wsse = best;
    return found;
}

static int check_args(const double *y, int n, int target)
{
    if (!y || n < 2) return nasw_errorf(NASW_EINVAL, "a curve needs at least 2 observed epochs (got %d)", n);
    if (n > LCURVE_MAX_N) return nasw_errorf(NASW_EINVAL, "curve of %d epochs is too long (at most %d)", n, LCURVE_MAX_N);
    if (target <= n) return nasw_errorf(NASW_EINVAL, "target epoch %d is not after the %d observed", target, n);
    return NASW_OK;
}

/* Prediction of a fitted family at the target, metric units. */
static void predict_fit(int f, const struct lcurve_scale *sc, int n, int target, const double *cov,
                        struct lcurve_fit *out)
{
    int p = families[f].np;
    double g[LCURVE_MAX_PARAMS];
    double m = lcurve_family_eval(f, out->theta, target, g), var = NAN;
    if (n > p && cov) {
        var = out->wsse / (n - p);   /* noise at the target (weight 1) */
        for (int i = 0; i < p; i++)
            for (int j = 0; j < p; j++) var += g[i] * cov[i * p + j] * g[j];
    }
    out->mean = lcurve_from_u(sc, m);
    out->sd = isfinite(var) && var >= 0 ? sqrt(var) * sc->s : NAN;
}

struct prep {
    struct lcurve_scale sc;
    double *x, *u, *w;   /* n each */
};

static int prep_init(struct prep *pp, const double *y, int n, int hib, double lo, double hi)
{
    int st = lcurve_scale_init(&pp->sc, y, n, hib, lo, hi);
    if (st) return st;
    pp->x = malloc(sizeof(double) * 3 * (size_t)n);
    if (!pp->x) return nasw_errorf(NASW_ENOMEM, "out of memory");
    pp->u = pp->x + n;
    pp->w = pp->u + n;
    for (int i = 0; i < n; i++) pp->x[i] = i + 1, pp->u[i] = lcurve_to_u(&pp->sc, y[i]);
    recency(n, pp->w);
    return NASW_OK;
}

int lcurve_fit_family(int f, const double *y, int n, int target, int hib, double lo, double hi,
                      const struct lcurve_opts *o, struct rng *r, struct lcurve_fit *out)
{
    memset(out, 0, sizeof *out);
    out->mean = out->sd = NAN;
    if (f < 0 || f >= LC_N_FAMILIES) return nasw_errorf(NASW_EINVAL, "no curve family %d", f);
    int st = check_args(y, n, target);
    struct prep pp;
    if (st || (st = prep_init(&pp, y, n, hib, lo, hi))) return st;
    double cov[LCURVE_MAX_PARAMS * LCURVE_MAX_PARAMS];
    out->ok = fit_u(f, pp.x, pp.u, pp.w, n, target, pp.sc.umax, o, r, out->theta, &out->wsse, cov);
    if (out->ok) predict_fit(f, &pp.sc, n, target, cov, out);
    free(pp.x);
    return NASW_OK;
}

/* Ensemble in the normalised space; covs[k] (p*p) are kept for the MCMC. */
static int ensemble_u(const struct prep *pp, int n, int target, const struct lcurve_opts *o, struct rng *r,
                      int holdout, struct lcurve_fit *fits, double *wts,
                      double covs[][LCURVE_MAX_PARAMS * LCURVE_MAX_PARAMS])
{
    /* hold out the last quarter (the last epoch of a short prefix) */
    int m = holdout ? (n >= 8 ? (3 * n + 3) / 4 : n - 1) : n, any = 0;
    double sum = 0;
    for (int f = 0; f < LC_N_FAMILIES; f++) {
        struct lcurve_fit *F = &fits[f];
        int p = families[f].np;
        memset(F, 0, sizeof *F);
        F->mean = F->sd = NAN;
        wts[f] = 0;
        F->ok = fit_u(f, pp->x, pp->u, pp->w, n, target, pp->sc.umax, o, r, F->theta, &F->wsse, covs[f]);
        if (!F->ok) continue;
        predict_fit(f, &pp->sc, n, target, covs[f], F);
        any = 1;
        /* the family's error: on the held-out epochs, or its in-sample
         * residual variance; a family with as many parameters as points has
         * no measurable error and no weight */
        double err = NAN, th[LCURVE_MAX_PARAMS], ss;
        if (m < n && m >= p && fit_u(f, pp->x, pp->u, pp->w, m, target, pp->sc.umax, o, r, th, &ss, NULL)) {
            err = 0;
            for (int i = m; i < n; i++) {
                double e = lcurve_family_eval(f, th, pp->x[i], NULL) - pp->u[i];
                err += e * e / (n - m);
            }
        } else if (m == n && n > p) {
            err = F->wsse / (n - p);
        }
        if (isfinite(err)) sum += wts[f] = 1 / (err + 1e-10);
    }
    if (!any) return nasw_errorf(NASW_ENUMERIC, "no curve family fits the curve within the constraints");
    if (sum == 0)   /* no family's error is measurable: equal weights */
        for (int f = 0; f < LC_N_FAMILIES; f++) sum += wts[f] = fits[f].ok;
    for (int f = 0; f < LC_N_FAMILIES; f++) wts[f] /= sum;
    return NASW_OK;
}

int lcurve_fit_ensemble(const double *y, int n, int target, int hib, double lo, double hi,
                        const struct lcurve_opts *o, struct rng *r, struct lcurve_fit fits[LC_N_FAMILIES],
                        double weights[LC_N_FAMILIES], struct lcurve_fit *ens)
{
    int st = check_args(y, n, target);
    struct prep pp;
    if (st || (st = prep_init(&pp, y, n, hib, lo, hi))) return st;
    double wts[LC_N_FAMILIES], covs[LC_N_FAMILIES][LCURVE_MAX_PARAMS * LCURVE_MAX_PARAMS];
    st = ensemble_u(&pp, n, target, o, r, 1, fits, wts, covs);
    if (!st) {
        if (weights) memcpy(weights, wts, sizeof wts);
        if (ens) {
            double m = 0, m2 = 0;
            for (int f = 0; f < LC_N_FAMILIES; f++) {
                if (wts[f] == 0) continue;
                double sd = isfinite(fits[f].sd) ? fits[f].sd : 0;
                m += wts[f] * fits[f].mean;
                m2 += wts[f] * (sd * sd + fits[f].mean * fits[f].mean);
            }
            memset(ens, 0, sizeof *ens);
            ens->ok = 1;
            ens->mean = m;
            ens->sd = sqrt(fmax(m2 - m * m, 0));
            ens->wsse = NAN;
        }
    }
    free(pp.x);
    return st;
}

/* ---- MCMC ---- */

struct chain {
    int n, K, target;
    const double *u, *w;
    double umax;
    int fam[LC_N_FAMILIES];
    double th[LC_N_FAMILIES][LCURVE_MAX_PARAMS];
    double L[LC_N_FAMILIES][LCURVE_MAX_PARAMS * LCURVE_MAX_PARAMS];   /* proposal Cholesky factors */
    double z[LC_N_FAMILIES], wt[LC_N_FAMILIES], ls;
    double *F;      /* K x (n + 1): f_k at epochs 1..n, then at the target */
    double *comb;   /* n + 1 */
    double *Fnew;   /* n + 1 scratch */
    double lp;
};

/* f_k on epochs 1..n and the target into out; 0 if the state violates the
 * constraints. */
static int family_row(const struct chain *c, int f, const double *th, double *out)
{
    if (!valid_theta(f, th, c->n, c->target, c->umax)) return 0;
    for (int i = 0; i < c->n; i++) {
        out[i] = lcurve_family_eval(f, th, i + 1, NULL);
        if (!isfinite(out[i])) return 0;
    }
    out[c->n] = lcurve_family_eval(f, th, c->target, NULL);
    return 1;
}

static void weights_from_z(const double *z, int K, double *wt)
{
    double mx = z[0], s = 0;
    for (int k = 1; k < K; k++) mx = z[k] > mx ? z[k] : mx;
    for (int k = 0; k < K; k++) s += wt[k] = exp(z[k] - mx);
    for (int k = 0; k < K; k++) wt[k] /= s;
}

static double log_post(const struct chain *c, const double *comb, const double *z, double ls)
{
    double s2 = exp(2 * ls), q = 0, pz = 0;
    for (int i = 0; i < c->n; i++) {
        double e = c->u[i] - comb[i];
        q += c->w[i] * e * e;
    }
    for (int k = 0; k < c->K; k++) pz += z[k] * z[k];
    return -0.5 * q / s2 - c->n * ls - 0.5 * pz;
}

int lcurve_mcmc(const double *y, int n, int target, double best, int hib, double lo, double hi,
                const struct lcurve_opts *o, struct rng *r, struct lcurve_post *out)
{
    memset(out, 0, sizeof *out);
    gsl_set_error_handler_off();
    int st = check_args(y, n, target);
    if (st) return st;
    if (o->burn < 0 || o->samples < 2 || o->thin < 1) return nasw_errorf(NASW_EINVAL, "bad MCMC settings");
    struct prep pp;
    if ((st = prep_init(&pp, y, n, hib, lo, hi))) return st;
    struct lcurve_fit fits[LC_N_FAMILIES];
    double wts[LC_N_FAMILIES], covs[LC_N_FAMILIES][LCURVE_MAX_PARAMS * LCURVE_MAX_PARAMS];
    struct chain c;
    memset(&c, 0, sizeof c);
    double *samp = NULL;
    /* the starting state: the fits, weighted by their in-sample error (the
     * hold-out refits would double the cost for a starting point only) */
    if ((st = ensemble_u(&pp, n, target, o, r, 0, fits, wts, covs))) goto done;
    c.n = n, c.target = target, c.u = pp.u, c.w = pp.w, c.umax = pp.sc.umax;
    for (int f = 0; f < LC_N_FAMILIES; f++) {
        if (!(wts[f] > 0)) continue;   /* no fit, or no residual degrees of freedom */
        int k = c.K++, p = families[f].np;
        c.fam[k] = f;
        memcpy(c.th[k], fits[f].theta, sizeof c.th[k]);
        c.z[k] = log(fmax(wts[f], 1e-3));
        /* proposal shape: the least-squares covariance, or a diagonal */
        double *L = c.L[k];
        memcpy(L, covs[f], sizeof(double) * (size_t)(p * p));
        int fin = 1;
        for (int j = 0; j < p * p; j++) fin = fin && isfinite(L[j]);
        gsl_matrix_view Lv = gsl_matrix_view_array(L, (size_t)p, (size_t)p);
        if (!fin || gsl_linalg_cholesky_decomp1(&Lv.matrix)) {
            memset(L, 0, sizeof(double) * (size_t)(p * p));
            for (int j = 0; j < p; j++) L[j * p + j] = 0.05 * fabs(c.th[k][j]) + 1e-3;
        } else {
            for (int i = 0; i < p; i++)
                for (int j = i + 1; j < p; j++) L[i * p + j] = 0;
        }
    }
    c.F = malloc(sizeof(double) * (size_t)(c.K + 2) * (size_t)(n + 1));
    samp = malloc(sizeof *samp * (size_t)o->samples);
    if (!c.F || !samp) {
        st = nasw_errorf(NASW_ENOMEM, "out of memory");
        goto done;
    }
    c.comb = c.F + (size_t)c.K * (n + 1);
    c.Fnew = c.comb + (n + 1);
    weights_from_z(c.z, c.K, c.wt);
    for (int k = 0; k < c.K; k++) family_row(&c, c.fam[k], c.th[k], c.F + (size_t)k * (n + 1));
    for (int i = 0; i <= n; i++) {
        c.comb[i] = 0;
        for (int k = 0; k < c.K; k++) c.comb[i] += c.wt[k] * c.F[(size_t)k * (n + 1) + i];
    }
    {
        double q = 0, sw = 0;
        for (int i = 0; i < n; i++) q += pp.w[i] * (pp.u[i] - c.comb[i]) * (pp.u[i] - c.comb[i]), sw += 1;
        c.ls = 0.5 * log(fmax(q / sw, 1e-12));
    }
    c.lp = log_post(&c, c.comb, c.z, c.ls);
    /* blocks: 0..K-1 families, K weights, K+1 noise */
    int nb = c.K + 2;
    double scale[LC_N_FAMILIES + 2], acc[LC_N_FAMILIES + 2] = {0}, tries[LC_N_FAMILIES + 2] = {0};
    for (int b = 0; b < nb; b++) scale[b] = b < c.K ? 2.38 / sqrt((double)families[c.fam[b]].np) : 0.3;
    scale[c.K + 1] = 0.2;
    double *cnew = malloc(sizeof *cnew * (size_t)(n + 1));
    if (!cnew) {
        st = nasw_errorf(NASW_ENOMEM, "out of memory");
        goto done;
    }
    long kept_acc = 0, kept_tries = 0;
    int total = o->burn + o->samples * o->thin, ns = 0;
    for (int sweep = 0; sweep < total; sweep++) {
        for (int b = 0; b < nb; b++) {
            if (b == c.K && c.K == 1) continue;   /* one family: weight fixed to 1 */
            double th[LCURVE_MAX_PARAMS], z[LC_N_FAMILIES], wt[LC_N_FAMILIES], ls = c.ls, lp = -INFINITY;
            int ok = 1, acc_b = 0;
            if (b < c.K) {
                int f = c.fam[b], p = families[f].np;
                double e[LCURVE_MAX_PARAMS];
                for (int j = 0; j < p; j++) e[j] = rng_gaussian(r, 1);
                for (int i = 0; i < p; i++) {
                    th[i] = c.th[b][i];
                    for (int j = 0; j <= i; j++) th[i] += scale[b] * c.L[b][i * p + j] * e[j];
                }
                ok = family_row(&c, f, th, c.Fnew);
                if (ok) {
                    const double *Fo = c.F + (size_t)b * (n + 1);
                    for (int i = 0; i <= n; i++) cnew[i] = c.comb[i] + c.wt[b] * (c.Fnew[i] - Fo[i]);
                    lp = log_post(&c, cnew, c.z, c.ls);
                }
            } else if (b == c.K) {
                for (int k = 0; k < c.K; k++) z[k] = c.z[k] + scale[b] * rng_gaussian(r, 1);
                weights_from_z(z, c.K, wt);
                for (int i = 0; i <= n; i++) {
                    cnew[i] = 0;
                    for (int k = 0; k < c.K; k++) cnew[i] += wt[k] * c.F[(size_t)k * (n + 1) + i];
                }
                lp = log_post(&c, cnew, z, c.ls);
            } else {
                ls = c.ls + scale[b] * rng_gaussian(r, 1);
                lp = log_post(&c, c.comb, c.z, ls);
            }
            if (ok && isfinite(lp) && log(rng_uniform_pos(r)) < lp - c.lp) {
                acc_b = 1;
                c.lp = lp;
                if (b < c.K) {
                    memcpy(c.th[b], th, sizeof th);
                    memcpy(c.F + (size_t)b * (n + 1), c.Fnew, sizeof(double) * (size_t)(n + 1));
                    memcpy(c.comb, cnew, sizeof(double) * (size_t)(n + 1));
                } else if (b == c.K) {
                    memcpy(c.z, z, sizeof(double) * (size_t)c.K);
                    memcpy(c.wt, wt, sizeof(double) * (size_t)c.K);
                    memcpy(c.comb, cnew, sizeof(double) * (size_t)(n + 1));
                } else {
                    c.ls = ls;
                }
            }
            if (sweep < o->burn) {
                acc[b] += acc_b;
                tries[b] += 1;
            } else {
                kept_acc += acc_b;
                kept_tries++;
            }
        }
        /* adapt the block scales during burn-in only */
        if (sweep < o->burn && (sweep + 1) % 25 == 0) {
            for (int b = 0; b < nb; b++) {
                if (tries[b] > 0) scale[b] *= exp(2 * (acc[b] / tries[b] - 0.3));
                acc[b] = tries[b] = 0;
            }
        }
        if (sweep >= o->burn && (sweep - o->burn + 1) % o->thin == 0)
            samp[ns++] = lcurve_from_u(&pp.sc, c.comb[n] + exp(c.ls) * rng_gaussian(r, 1));
    }
    free(cnew);
    gsl_sort(samp, 1, (size_t)ns);
    out->mean = gsl_stats_mean(samp, 1, (size_t)ns);
    out->sd = gsl_stats_sd_m(samp, 1, (size_t)ns, out->mean);
    out->q05 = gsl_stats_quantile_from_sorted_data(samp, 1, (size_t)ns, 0.05);
    out->q95 = gsl_stats_quantile_from_sorted_data(samp, 1, (size_t)ns, 0.95);
    int better = 0;
    for (int i = 0; i < ns; i++) better += hib ? samp[i] > best : samp[i] < best;
    out->p_improve = isnan(best) ? NAN : (double)better / ns;
    out->accept = kept_tries ? (double)kept_acc / kept_tries : 0;
    out->n_samples = ns;
    out->n_families = c.K;
done:
    free(c.F);
    free(samp);
    free(pp.x);
    return st;
}

int lcurve_prob_improve(const double *y, int n, int target, double best, int higher_is_better, double lo,
                        double hi, struct rng *r, double *p)
{
    if (!p || !r) return nasw_errorf(NASW_EINVAL, "lcurve_prob_improve: no output or rng");
    if (!isfinite(best)) return nasw_errorf(NASW_EINVAL, "best value %g is not finite", best);
    struct lcurve_opts o;
    lcurve_default_opts(&o);
    struct lcurve_post post;
    int st = lcurve_mcmc(y, n, target, best, higher_is_better, lo, hi, &o, r, &post);
    if (!st) *p = post.p_improve;
    return st;
}
