/*
 * surrogate/gp.c - GP linear algebra: kernels, pairwise distances, Cholesky
 * (LAPACKE), the log marginal likelihood, its gradient and (profiled,
 * isotropic) its exact Hessian, prediction and the held-out log predictive
 * density.  The optimiser (GSL) lives in
 * surrogate/gp_opt.c: GSL's and CBLAS's headers clash on Debian.
 *
 * NLML(theta) = 1/2 y'a + sum log L_ii + n/2 log 2pi, a = K^-1 y;
 * d NLML / d theta_j = 1/2 tr((K^-1 - a a') dK/dtheta_j).
 *
 * Speed (an evaluation at n = 1000 is dominated by dpotrf + dpotri, about
 * n^3 flops): with an isotropic kernel the squared distances are computed
 * once per fit (struct gp_dist); on 0/1 encodings they take a few distinct
 * values, so the kernel is called once per value and the gradient is
 * sum_v k'(v) * (sum of W over the pairs at distance v).  The Hessian
 * costs one more n x n symmetric product (profile_hessian).  Matrices are
 * column-major so LAPACKE's _work entry points run without transposing or
 * NaN-scanning them.
 */
#include "surrogate/gp.h"

#include <cblas.h>
#include <lapacke.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/status.h"
#include "surrogate/gp_impl.h"

int gp_n_theta(int d, int ard) { return (ard ? d : 1) + 2; }

/* the kernel at scaled squared distance r2 */
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

/* d^2 k / d(log l)^2 at scaled squared distance r2 (isotropic kernels):
 * with F = kern_dlog_factor, dk/dlog l = F(r2) r2 and d r2/dlog l = -2 r2 */
static double kern_d2log(enum gp_kernel k, double r2, double sf2)
{
    double F = kern_dlog_factor(k, r2, sf2), dF;
    if (k == GP_RBF) {
        dF = -0.5 * F;
    } else {
        dF = -sf2 * (25.0 / 6.0) * exp(-sqrt(5.0 * r2));
    }
    return -2 * r2 * (dF * r2 + F);
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

/* --- pairwise distances --------------------------------------------------- */

void gp_dist_free(struct gp_dist *D)
{
    if (!D) return;
    free(D->vals);
    free(D->idx);
    free(D->r2);
    free(D);
}

static uint64_t mix64(double v)
{
    uint64_t b;
    memcpy(&b, &v, sizeof b);
    b ^= b >> 30;
    b *= 0xbf58476d1ce4e5b9ULL;
    b ^= b >> 27;
    return b;
}

/* distinct values of D->r2 into vals/idx; 0 when there are too many */
static int dist_index(struct gp_dist *D)
{
    enum { SLOTS = 2 * GP_DIST_VALUES_MAX }; /* a power of two, at most half full */
    int n = D->n;
    int *slot = malloc(sizeof *slot * SLOTS);
    D->vals = malloc(sizeof *D->vals * GP_DIST_VALUES_MAX);
    D->idx = malloc(sizeof *D->idx * (size_t)n * n);
    if (!slot || !D->vals || !D->idx) {
        free(slot);
        return nasw_errorf(NASW_ENOMEM, "out of memory");
    }
    for (int s = 0; s < SLOTS; s++) slot[s] = -1;
    for (int j = 0; j < n; j++)
        for (int i = j; i < n; i++) {
            size_t o = (size_t)j * n + i, h = mix64(D->r2[o]) & (SLOTS - 1);
            while (slot[h] >= 0 && D->vals[slot[h]] != D->r2[o]) h = (h + 1) & (SLOTS - 1);
            if (slot[h] < 0) {
                if (D->nv == GP_DIST_VALUES_MAX) { /* continuous inputs: keep r2 */
                    free(slot);
                    free(D->vals);
                    free(D->idx);
                    D->vals = NULL;
                    D->idx = NULL;
                    D->nv = 0;
                    return NASW_OK;
                }
                D->vals[D->nv] = D->r2[o];
                slot[h] = D->nv++;
            }
            D->idx[o] = (uint16_t)slot[h];
        }
    free(slot);
    free(D->r2);
    D->r2 = NULL;
    return NASW_OK;
}

static int dist_new(struct gp_dist **out, const double *X, int n, int d)
{
    *out = NULL;
    struct gp_dist *D = calloc(1, sizeof *D);
    if (!D || !(D->r2 = malloc(sizeof *D->r2 * (size_t)n * n))) {
        gp_dist_free(D);
        return nasw_errorf(NASW_ENOMEM, "out of memory");
    }
    D->n = n;
    double one = 1;
    for (int j = 0; j < n; j++)
        for (int i = j; i < n; i++) D->r2[(size_t)j * n + i] = scaled_r2(X + (size_t)i * d, X + (size_t)j * d, d, &one, 0);
    int st = dist_index(D);
    if (st) {
        gp_dist_free(D);
        return st;
    }
    *out = D;
    return NASW_OK;
}

int gp_dist_build(struct gp *g)
{
    if (g->ard) return NASW_OK;
    return dist_new(&g->dist, g->X, g->n, g->d);
}

/* --- the marginal likelihood --------------------------------------------- */

struct kin {
    const double *X;
    int n, d, ard;
    enum gp_kernel k;
    const struct gp_dist *D; /* NULL with ARD */
};

/* lower triangle of K + sn2 I (+ jitter) into L, factored in place; kv
 * (D->nv values) receives the kernel at each distinct distance.  Returns the
 * jitter that made the Cholesky succeed, or a negative value. */
static double fill_chol(const struct kin *in, const double *theta, double *L, double *kv)
{
    int n = in->n, d = in->d, nl = in->ard ? d : 1;
    const struct gp_dist *D = in->D;
    double inv_l2[ARCH_ENC_MAX];
    for (int i = 0; i < nl; i++) inv_l2[i] = exp(-2 * theta[i]);
    double sf2 = exp(theta[nl]), sn2 = exp(theta[nl + 1]);
    if (D && D->nv)
        for (int v = 0; v < D->nv; v++) kv[v] = kern(in->k, D->vals[v] * inv_l2[0], sf2);
    double jitter = 0;
    for (int attempt = 0; attempt < 8; attempt++) {
        for (int j = 0; j < n; j++)
            for (int i = j; i < n; i++) {
                size_t o = (size_t)j * n + i;
                L[o] = !D        ? kern(in->k, scaled_r2(in->X + (size_t)i * d, in->X + (size_t)j * d, d, inv_l2, 1), sf2)
                       : D->nv ? kv[D->idx[o]]
                               : kern(in->k, D->r2[o] * inv_l2[0], sf2);
            }
        for (int i = 0; i < n; i++) L[(size_t)i * n + i] += sn2 + jitter;
        lapack_int info = LAPACKE_dpotrf_work(LAPACK_COL_MAJOR, 'L', n, L, n);
        if (info == 0) return jitter;
        NASW_ASSERT(info > 0); /* info < 0 would be our bug */
        jitter = jitter == 0 ? 1e-8 * sf2 : jitter * 10; /* not positive definite: more jitter */
    }
    return -1;
}

/* profile == 0: NLML at theta (nt entries).  profile == 1: theta[nl] is
 * ignored (sf2 = 1, the noise entry is the noise/signal ratio r) and f is
 * the NLML minimised over sf2 analytically, sf2 = y'A^-1 y / n (*sigma2),
 * with gradient 1/2 tr((A^-1 - a a' / sf2) dA) (grad[nl] = 0). */
static int profile_hessian(const struct kin *in, const double *theta, const double *a, double q, const double *Ai,
                           double h2, const double *grad, double *hess);

/* hess (profile == 1, isotropic kernels only): the 2 x 2 Hessian in
 * (log l, log r), row-major; needs grad */
static int nlml_core(const struct kin *in, const double *ys, const double *theta, int profile, double *f,
                     double *grad, double *hess, double *sigma2)
{
    int n = in->n, d = in->d, nl = in->ard ? d : 1, nt = nl + 2;
    const struct gp_dist *D = in->D;
    int nv = D ? D->nv : 0;
    double *L = malloc(sizeof *L * (size_t)n * n), *a = malloc(sizeof *a * (size_t)n);
    double *kv = malloc(sizeof *kv * (size_t)(2 * nv + 1)), *wsum = kv + nv;
    int st = NASW_OK;
    if (!L || !a || !kv) {
        st = nasw_errorf(NASW_ENOMEM, "out of memory");
        goto done;
    }
    if (fill_chol(in, theta, L, kv) < 0) {
        st = nasw_errorf(NASW_ENUMERIC, "GP kernel matrix not positive definite even with jitter");
        goto done;
    }
    memcpy(a, ys, sizeof *a * (size_t)n);
    LAPACKE_dpotrs_work(LAPACK_COL_MAJOR, 'L', n, 1, L, n, a, n);
    double fit = 0, logdet = 0;
    for (int i = 0; i < n; i++) {
        fit += ys[i] * a[i];
        logdet += log(L[(size_t)i * n + i]);
    }
    double s2 = profile ? fit / n : 1;
    if (sigma2) *sigma2 = s2;
    *f = profile ? 0.5 * n * log(s2) + logdet + 0.5 * n * (1 + log(2 * M_PI_VALUE))
                 : 0.5 * fit + logdet + 0.5 * n * log(2 * M_PI_VALUE);
    if (!grad) goto done;
    /* W = K^-1 - a a' (K^-1 from the Cholesky factor) */
    if (LAPACKE_dpotri_work(LAPACK_COL_MAJOR, 'L', n, L, n) != 0) {
        st = nasw_errorf(NASW_ENUMERIC, "GP: cannot invert the kernel matrix");
        goto done;
    }
    double inv_l2[ARCH_ENC_MAX];
    for (int i = 0; i < nl; i++) inv_l2[i] = exp(-2 * theta[i]);
    double sf2 = profile ? 1 : exp(theta[nl]), sn2 = exp(theta[nl + 1]), diag = 0, h2 = 0;
    for (int t = 0; t < nt; t++) grad[t] = 0;
    for (int v = 0; v < nv; v++) wsum[v] = 0;
    /* 1/2 sum_ij W_ij dK_ij, over the lower triangle twice */
    for (int j = 0; j < n; j++)
        for (int i = j; i < n; i++) {
            size_t o = (size_t)j * n + i;
            double w = L[o] - a[i] * a[j] / s2;
            if (i == j) {
                w *= 0.5;
                diag += w;
            }
            if (nv) {
                wsum[D->idx[o]] += w;
            } else if (D) {
                double r2 = D->r2[o] * inv_l2[0];
                grad[0] += kern_dlog_factor(in->k, r2, sf2) * w * r2;
                if (hess) h2 += w * kern_d2log(in->k, r2, sf2);
                grad[nl] += w * kern(in->k, r2, sf2); /* dK/dlog sf2 = K */
            } else {
                const double *xi = in->X + (size_t)i * d, *xj = in->X + (size_t)j * d;
                double r2 = scaled_r2(xi, xj, d, inv_l2, 1), g = kern_dlog_factor(in->k, r2, sf2) * w;
                for (int q = 0; q < d; q++) {
                    double t = xi[q] - xj[q];
                    grad[q] += g * t * t * inv_l2[q];
                }
                grad[nl] += w * kern(in->k, r2, sf2);
            }
        }
    for (int v = 0; v < nv; v++) {
        double r2 = D->vals[v] * inv_l2[0];
        grad[0] += wsum[v] * kern_dlog_factor(in->k, r2, sf2) * r2;
        grad[nl] += wsum[v] * kv[v];
        if (hess) h2 += wsum[v] * kern_d2log(in->k, r2, sf2);
    }
    grad[nl + 1] = diag * sn2; /* dK/dlog sn2 = sn2 I */
    if (profile) grad[nl] = 0;
    if (hess) st = profile_hessian(in, theta, a, fit, L, h2, grad, hess);
done:
    free(L);
    free(a);
    free(kv);
    return st;
}

/* phi = (log length scales, log r) -> theta with sf2 = 1; the gradient back */
static int profile_eval(const struct kin *in, const double *ys, const double *phi, double *f, double *grad,
                        double *hess, double *sigma2)
{
    int nl = in->ard ? in->d : 1;
    double theta[ARCH_ENC_MAX + 2], g[ARCH_ENC_MAX + 2];
    memcpy(theta, phi, sizeof *theta * (size_t)nl);
    theta[nl] = 0;
    theta[nl + 1] = phi[nl];
    int st = nlml_core(in, ys, theta, 1, f, grad ? g : NULL, grad ? hess : NULL, sigma2);
    if (!st && grad) {
        memcpy(grad, g, sizeof *grad * (size_t)nl);
        grad[nl] = g[nl + 1];
    }
    return st;
}

int gp_nlml(const double *X, const double *ys, int n, int d, enum gp_kernel k, int ard, const double *theta,
            double *f, double *grad)
{
    if (d > ARCH_ENC_MAX) return nasw_errorf(NASW_EINVAL, "GP input dimension %d too large", d);
    struct gp_dist *D = NULL;
    int st = ard ? NASW_OK : dist_new(&D, X, n, d);
    if (st) return st;
    struct kin in = {X, n, d, ard, k, D};
    st = nlml_core(&in, ys, theta, 0, f, grad, NULL, NULL);
    gp_dist_free(D);
    return st;
}

int gp_nlml_profile(const double *X, const double *ys, int n, int d, enum gp_kernel k, int ard, const double *phi,
                    double *f, double *grad, double *sf2)
{
    if (d > ARCH_ENC_MAX) return nasw_errorf(NASW_EINVAL, "GP input dimension %d too large", d);
    struct gp_dist *D = NULL;
    int st = ard ? NASW_OK : dist_new(&D, X, n, d);
    if (st) return st;
    struct kin in = {X, n, d, ard, k, D};
    st = profile_eval(&in, ys, phi, f, grad, NULL, sf2);
    gp_dist_free(D);
    return st;
}

int gp_nlml_profile_hess(const double *X, const double *ys, int n, int d, enum gp_kernel k, const double *phi,
                         double *f, double *grad, double *hess)
{
    struct gp_dist *D = NULL;
    int st = dist_new(&D, X, n, d);
    if (st) return st;
    struct kin in = {X, n, d, 0, k, D};
    st = profile_eval(&in, ys, phi, f, grad, hess, NULL);
    gp_dist_free(D);
    return st;
}

int gp_nlml_model(const struct gp *g, const double *theta, double *f, double *grad)
{
    struct kin in = {g->X, g->n, g->d, g->ard, g->kernel, g->dist};
    return nlml_core(&in, g->ys, theta, 0, f, grad, NULL, NULL);
}

int gp_nlml_profile_model(const struct gp *g, const double *phi, double *f, double *grad, double *hess, double *sf2)
{
    struct kin in = {g->X, g->n, g->d, g->ard, g->kernel, g->dist};
    if (hess && (g->ard || !g->dist)) return nasw_errorf(NASW_EUNSUPPORTED, "GP Hessian: isotropic kernels only");
    return profile_eval(&in, g->ys, phi, f, grad, hess, sf2);
}

/* The exact Hessian of the profile NLML f = n/2 log q + 1/2 log|A| (q = y'a,
 * a = A^-1 y, A = C(l) + r I, sf2 = 1) in (t = log l, u = log r):
 *   H_ab = n/(2q) [2 a'A_a A^-1 A_b a - a'A_ab a] - n/(2q^2) (a'A_a a)(a'A_b a)
 *          + 1/2 tr(A^-1 A_ab) - 1/2 tr(A^-1 A_a A^-1 A_b),
 * with A_t = D (dK/dlog l), A_tt = D2, A_u = A_uu = r I, A_tu = 0.
 * h2 = 1/2 tr(A^-1 D2) - n/(2q) a'D2a (summed with the gradient), Ai holds
 * A^-1 (lower triangle).  The one O(n^3) term is tr((A^-1 D)^2): P = A^-1 D
 * by dsymm (2 n^3 flops, as much as the Cholesky and the inverse together). */
static int profile_hessian(const struct kin *in, const double *theta, const double *a, double q, const double *Ai,
                           double h2, const double *grad, double *hess)
{
    int n = in->n;
    const struct gp_dist *D = in->D;
    NASW_ASSERT(!in->ard && D);
    double *Dm = malloc(sizeof *Dm * (size_t)n * n * 2), *v = malloc(sizeof *v * (size_t)n * 3);
    if (!Dm || !v) {
        free(Dm);
        free(v);
        return nasw_errorf(NASW_ENOMEM, "out of memory");
    }
    double *P = Dm + (size_t)n * n, *Da = v, *AiDa = v + n, *Aia = v + 2 * n;
    double inv_l2 = exp(-2 * theta[0]), r = exp(theta[2]);
    int nv = D->nv;
    double *dvals = nv ? malloc(sizeof *dvals * (size_t)nv) : NULL;
    if (nv && !dvals) {
        free(Dm);
        free(v);
        return nasw_errorf(NASW_ENOMEM, "out of memory");
    }
    for (int k = 0; k < nv; k++) {
        double s = D->vals[k] * inv_l2;
        dvals[k] = kern_dlog_factor(in->k, s, 1) * s;
    }
    /* D, full (dsymm reads it as a general matrix) */
    for (int j = 0; j < n; j++)
        for (int i = j; i < n; i++) {
            size_t o = (size_t)j * n + i;
            double x;
            if (nv) {
                x = dvals[D->idx[o]];
            } else {
                double s = D->r2[o] * inv_l2;
                x = kern_dlog_factor(in->k, s, 1) * s;
            }
            Dm[o] = x;
            Dm[(size_t)i * n + j] = x;
        }
    free(dvals);
    cblas_dsymm(CblasColMajor, CblasLeft, CblasLower, n, n, 1, Ai, n, Dm, n, 0, P, n);
    cblas_dsymv(CblasColMajor, CblasLower, n, 1, Dm, n, a, 1, 0, Da, 1);
    cblas_dsymv(CblasColMajor, CblasLower, n, 1, Ai, n, Da, 1, 0, AiDa, 1);
    cblas_dsymv(CblasColMajor, CblasLower, n, 1, Ai, n, a, 1, 0, Aia, 1);
    /* tr(P P), tr(A^-1 P), ||A^-1||_F^2 over the lower triangle */
    double tPP = 0, tAiP = 0, fro = 0;
    for (int j = 0; j < n; j++) {
        size_t jj = (size_t)j * n + j;
        tPP += P[jj] * P[jj];
        tAiP += Ai[jj] * P[jj];
        fro += Ai[jj] * Ai[jj];
        for (int i = j + 1; i < n; i++) {
            size_t o = (size_t)j * n + i, ot = (size_t)i * n + j;
            tPP += 2 * P[o] * P[ot];
            tAiP += Ai[o] * (P[o] + P[ot]);
            fro += 2 * Ai[o] * Ai[o];
        }
    }
    double aDa = cblas_ddot(n, a, 1, Da, 1), aa = cblas_ddot(n, a, 1, a, 1);
    double c1 = n / q, c2 = n / (2 * q * q);
    hess[0] = h2 + c1 * cblas_ddot(n, Da, 1, AiDa, 1) - c2 * aDa * aDa - 0.5 * tPP;
    hess[1] = hess[2] = r * (c1 * cblas_ddot(n, Da, 1, Aia, 1) - c2 * aDa * aa - 0.5 * tAiP);
    hess[3] = grad[2] + r * r * (c1 * cblas_ddot(n, a, 1, Aia, 1) - c2 * aa * aa - 0.5 * fro);
    free(Dm);
    free(v);
    return NASW_OK;
}

/* --- fitted model --------------------------------------------------------- */

int gp_model_factor(struct gp *g)
{
    int n = g->n, nv = g->dist ? g->dist->nv : 0;
    struct kin in = {g->X, n, g->d, g->ard, g->kernel, g->dist};
    double *kv = malloc(sizeof *kv * (size_t)(nv + 1));
    g->L = malloc(sizeof *g->L * (size_t)n * n);
    g->alpha = malloc(sizeof *g->alpha * (size_t)n);
    if (!kv || !g->L || !g->alpha) {
        free(kv);
        return nasw_errorf(NASW_ENOMEM, "out of memory");
    }
    double jitter = fill_chol(&in, g->theta, g->L, kv);
    free(kv);
    if (jitter < 0) return nasw_errorf(NASW_ENUMERIC, "GP kernel matrix not positive definite even with jitter");
    memcpy(g->alpha, g->ys, sizeof *g->alpha * (size_t)n);
    LAPACKE_dpotrs_work(LAPACK_COL_MAJOR, 'L', n, 1, g->L, n, g->alpha, n);
    double fit = 0, logdet = 0;
    for (int i = 0; i < n; i++) {
        fit += g->ys[i] * g->alpha[i];
        logdet += log(g->L[(size_t)i * n + i]);
    }
    g->lml = -(0.5 * fit + logdet + 0.5 * n * log(2 * M_PI_VALUE));
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
    /* blocks of test points: one triangular solve with many right-hand
     * sides reads L once per block (dtrsv per point read all of L, n^2
     * doubles, for each of them) */
    enum { BLK = 128 };
    double *ks = malloc(sizeof *ks * (size_t)n * BLK);
    if (!ks) return nasw_errorf(NASW_ENOMEM, "out of memory");
    for (int p0 = 0; p0 < m; p0 += BLK) {
        int b = m - p0 < BLK ? m - p0 : BLK;
        double mu[BLK];
        for (int q = 0; q < b; q++) {
            const double *x = X + (size_t)(p0 + q) * d;
            double *k = ks + (size_t)q * n;
            for (int i = 0; i < n; i++) k[i] = kern(g->kernel, scaled_r2(x, g->X + (size_t)i * d, d, inv_l2, g->ard), sf2);
            mu[q] = cblas_ddot(n, k, 1, g->alpha, 1);
        }
        /* V = L^-1 K*, var = k** - column norms of V */
        cblas_dtrsm(CblasColMajor, CblasLeft, CblasLower, CblasNoTrans, CblasNonUnit, n, b, 1, g->L, n, ks, n);
        for (int q = 0; q < b; q++) {
            const double *k = ks + (size_t)q * n;
            double v = sf2 - cblas_ddot(n, k, 1, k, 1);
            if (v < 1e-12 * sf2) v = 1e-12 * sf2;
            if (latent) {
                mean[p0 + q] = mu[q];
                if (var) var[p0 + q] = v;
            } else {
                gp_untransform(g, mu[q], v, &mean[p0 + q], var ? &var[p0 + q] : NULL);
            }
        }
    }
    free(ks);
    return NASW_OK;
}

int gp_log_predictive(const struct gp *g, const double *X, const double *y, int m, double *lpd)
{
    if (g->warp)
        return nasw_errorf(NASW_EUNSUPPORTED, "the held-out log likelihood needs an unwarped GP (gp:nowarp)");
    double *mu = malloc(sizeof *mu * (size_t)m * 2);
    if (!mu) return nasw_errorf(NASW_ENOMEM, "out of memory");
    int st = predict(g, X, m, mu, mu + m, 0);
    if (!st) {
        int nl = g->ard ? g->d : 1;
        double sn2 = exp(g->theta[nl + 1]) * g->ysd * g->ysd, s = 0;
        for (int p = 0; p < m; p++) {
            double v = mu[m + p] + sn2, e = y[p] - mu[p];
            s += -0.5 * (log(2 * M_PI_VALUE * v) + e * e / v);
        }
        *lpd = s / m;
    }
    free(mu);
    return st;
}
