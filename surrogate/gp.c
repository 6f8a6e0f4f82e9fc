/*
 * surrogate/gp.c - GP linear algebra: kernels, Cholesky (LAPACKE), the log
 * marginal likelihood and its gradient, prediction.  The optimiser (GSL)
 * lives in surrogate/gp_opt.c: GSL's and CBLAS's headers clash on Debian.
 *
 * NLML(theta) = 1/2 y'a + sum log L_ii + n/2 log 2pi, a = K^-1 y;
 * d NLML / d theta_j = 1/2 tr((K^-1 - a a') dK/dtheta_j).
 */
#include "surrogate/gp.h"

#include <cblas.h>
#include <lapacke.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/status.h"
#include "surrogate/gp_impl.h"

int gp_n_theta(int d, int ard) { return (ard ? d : 1) + 2; }

/* squared scaled distance and the per-dimension terms' handling */
static double kern(enum gp_kernel k, double r2, double sf2)
{
    if (k == GP_RBF) return sf2 * exp(-0.5 * r2);
    double r = sqrt(r2), s5 = sqrt(5.0) * r;
    return sf2 * (1 + s5 + 5.0 * r2 / 3.0) * exp(-s5);
}

/* dk/d(r2) * (-2): factor g such that dK/dlog(l_i) = g * (x_i - x'_i)^2 / l_i^2 */
static double kern_dlog_factor(enum gp_kernel k, double r2, double sf2)
{
    if (k == GP_RBF) return sf2 * exp(-0.5 * r2);
    double s5 = sqrt(5.0 * r2);
    return sf2 * (5.0 / 3.0) * (1 + s5) * exp(-s5);
}

static double scaled_r2(const double *a, const double *b, int d, const double *inv_l2, int ard)
{
    double s = 0;
    for (int i = 0; i < d; i++) {
        double t = a[i] - b[i];
        s += t * t * inv_l2[ard ? i : 0];
    }
    return s;
}

/* K (n x n, row-major) = kernel + noise; returns the jitter that made the
 * Cholesky succeed in L (lower, in place), or a negative value */
static double build_chol(const double *X, int n, int d, enum gp_kernel k, int ard, const double *theta,
                         double *K, double *L)
{
    int nl = ard ? d : 1;
    double inv_l2[ARCH_ENC_MAX];
    for (int i = 0; i < nl; i++) inv_l2[i] = exp(-2 * theta[i]);
    double sf2 = exp(theta[nl]), sn2 = exp(theta[nl + 1]);
    for (int i = 0; i < n; i++)
        for (int j = 0; j <= i; j++) {
            double v = kern(k, scaled_r2(X + (size_t)i * d, X + (size_t)j * d, d, inv_l2, ard), sf2);
            K[(size_t)i * n + j] = K[(size_t)j * n + i] = v;
        }
    double jitter = 0;
    for (int attempt = 0; attempt < 8; attempt++) {
        memcpy(L, K, sizeof *L * (size_t)n * n);
        for (int i = 0; i < n; i++) L[(size_t)i * n + i] += sn2 + jitter;
        lapack_int info = LAPACKE_dpotrf(LAPACK_ROW_MAJOR, 'L', n, L, n);
        if (info == 0) return jitter;
        NASW_ASSERT(info > 0); /* info < 0 would be our bug */
        jitter = jitter == 0 ? 1e-8 * sf2 : jitter * 10; /* not positive definite: more jitter */
    }
    return -1;
}

int gp_nlml(const double *X, const double *ys, int n, int d, enum gp_kernel k, int ard, const double *theta,
            double *f, double *grad)
{
    int nl = ard ? d : 1, nt = nl + 2;
    if (d > ARCH_ENC_MAX) return nasw_errorf(NASW_EINVAL, "GP input dimension %d too large", d);
    double *K = malloc(sizeof *K * (size_t)n * n), *L = malloc(sizeof *L * (size_t)n * n), *a = malloc(sizeof *a * (size_t)n);
    int st = NASW_OK;
    if (!K || !L || !a) {
        st = nasw_errorf(NASW_ENOMEM, "out of memory");
        goto done;
    }
    double jitter = build_chol(X, n, d, k, ard, theta, K, L);
    if (jitter < 0) {
        st = nasw_errorf(NASW_ENUMERIC, "GP kernel matrix not positive definite even with jitter");
        goto done;
    }
    memcpy(a, ys, sizeof *a * (size_t)n);
    LAPACKE_dpotrs(LAPACK_ROW_MAJOR, 'L', n, 1, L, n, a, 1);
    double fit = 0, logdet = 0;
    for (int i = 0; i < n; i++) {
        fit += ys[i] * a[i];
        logdet += log(L[(size_t)i * n + i]);
    }
    *f = 0.5 * fit + logdet + 0.5 * n * log(2 * M_PI_VALUE);
    if (!grad) goto done;
    /* W = K^-1 - a a' (K^-1 from the Cholesky factor) */
    if (LAPACKE_dpotri(LAPACK_ROW_MAJOR, 'L', n, L, n) != 0) {
        st = nasw_errorf(NASW_ENUMERIC, "GP: cannot invert the kernel matrix");
        goto done;
    }
    for (int i = 0; i < n; i++)
        for (int j = 0; j <= i; j++) {
            double w = L[(size_t)i * n + j] - a[i] * a[j];
            L[(size_t)i * n + j] = L[(size_t)j * n + i] = w;
        }
    double inv_l2[ARCH_ENC_MAX];
    for (int i = 0; i < nl; i++) inv_l2[i] = exp(-2 * theta[i]);
    double sf2 = exp(theta[nl]), sn2 = exp(theta[nl + 1]);
    for (int t = 0; t < nt; t++) grad[t] = 0;
    /* 1/2 sum_ij W_ij dK_ij, over the lower triangle twice */
    for (int i = 0; i < n; i++)
        for (int j = 0; j <= i; j++) {
            double w = L[(size_t)i * n + j] * (i == j ? 0.5 : 1.0);
            const double *xi = X + (size_t)i * d, *xj = X + (size_t)j * d;
            double r2 = scaled_r2(xi, xj, d, inv_l2, ard);
            double g = kern_dlog_factor(k, r2, sf2) * w;
            if (ard) {
                for (int q = 0; q < d; q++) {
                    double t = xi[q] - xj[q];
                    grad[q] += g * t * t * inv_l2[q];
                }
            } else {
                grad[0] += g * r2;
            }
            grad[nl] += w * K[(size_t)i * n + j]; /* dK/dlog sf2 = K */
            if (i == j) grad[nl + 1] += w * sn2;   /* dK/dlog sn2 = sn2 I */
        }
    (void)jitter;
done:
    free(K);
    free(L);
    free(a);
    return st;
}

/* --- fitted model --------------------------------------------------------- */

int gp_model_factor(struct gp *g)
{
    int n = g->n;
    double *K = malloc(sizeof *K * (size_t)n * n);
    g->L = malloc(sizeof *g->L * (size_t)n * n);
    g->alpha = malloc(sizeof *g->alpha * (size_t)n);
    if (!K || !g->L || !g->alpha) {
        free(K);
        return nasw_errorf(NASW_ENOMEM, "out of memory");
    }
    double jitter = build_chol(g->X, n, g->d, g->kernel, g->ard, g->theta, K, g->L);
    free(K);
    if (jitter < 0) return nasw_errorf(NASW_ENUMERIC, "GP kernel matrix not positive definite even with jitter");
    memcpy(g->alpha, g->ys, sizeof *g->alpha * (size_t)n);
    LAPACKE_dpotrs(LAPACK_ROW_MAJOR, 'L', n, 1, g->L, n, g->alpha, 1);
    return NASW_OK;
}

static int predict(const struct gp *g, const double *X, int m, double *mean, double *var, int latent);

int gp_predict(const struct gp *g, const double *X, int m, double *mean, double *var)
{
    return predict(g, X, m, mean, var, 0);
}

int gp_predict_latent(const struct gp *g, const double *X, int m, double *mean, double *var)
{
    return predict(g, X, m, mean, var, 1);
}

double gp_latent_best(const struct gp *g)
{
    double b = g->ys[0];
    for (int i = 1; i < g->n; i++)
        if (g->ys[i] > b) b = g->ys[i];
    return b;
}

static int predict(const struct gp *g, const double *X, int m, double *mean, double *var, int latent)
{
    int n = g->n, d = g->d, nl = g->ard ? d : 1;
    double inv_l2[ARCH_ENC_MAX];
    for (int i = 0; i < nl; i++) inv_l2[i] = exp(-2 * g->theta[i]);
    double sf2 = exp(g->theta[nl]);
    double *ks = malloc(sizeof *ks * (size_t)n);
    if (!ks) return nasw_errorf(NASW_ENOMEM, "out of memory");
    for (int p = 0; p < m; p++) {
        const double *x = X + (size_t)p * d;
        for (int i = 0; i < n; i++) ks[i] = kern(g->kernel, scaled_r2(x, g->X + (size_t)i * d, d, inv_l2, g->ard), sf2);
        double mu = cblas_ddot(n, ks, 1, g->alpha, 1);
        /* v = L^-1 k*, var = k** - v'v */
        cblas_dtrsv(CblasRowMajor, CblasLower, CblasNoTrans, CblasNonUnit, n, g->L, n, ks, 1);
        double v = sf2 - cblas_ddot(n, ks, 1, ks, 1);
        if (v < 1e-12 * sf2) v = 1e-12 * sf2;
        if (latent) {
            mean[p] = mu;
            if (var) var[p] = v;
        } else {
            gp_untransform(g, mu, v, &mean[p], var ? &var[p] : NULL);
        }
    }
    free(ks);
    return NASW_OK;
}
