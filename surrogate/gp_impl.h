/*
 * surrogate/gp_impl.h - the GP struct shared by gp.c (LAPACKE/CBLAS) and
 * gp_opt.c (GSL); private to surrogate/.
 *
 * Matrices are column-major (LAPACK's order, no transposition in LAPACKE);
 * symmetric ones keep their lower triangle.
 */
#ifndef NASW_SURROGATE_GP_IMPL_H
#define NASW_SURROGATE_GP_IMPL_H

#include <stdint.h>

#include "surrogate/gp.h"

#define ARCH_ENC_MAX 4096            /* widest input the GP accepts */
#define GP_DIST_VALUES_MAX 4096      /* distinct distances kept as a lookup table */
#define M_PI_VALUE 3.14159265358979323846

/* Pairwise squared distances of the training inputs, computed once per fit
 * for an isotropic kernel (the hyperparameters only rescale them).  One-hot
 * and path encodings are 0/1 vectors, so the distances take a handful of
 * values: then each pair stores the index of its value (idx) and a
 * likelihood evaluation calls the kernel once per distinct value and sums
 * the gradient per value; otherwise r2 holds every distance. */
struct gp_dist {
    int n, nv;          /* nv > 0: lookup-table mode */
    double *vals;       /* nv distinct squared distances */
    uint16_t *idx;      /* n x n (lower triangle used), index into vals */
    double *r2;         /* n x n (lower triangle used) when nv == 0 */
};

struct gp {
    int n, d, ard, warp;
    enum gp_kernel kernel;
    double *X;          /* n x d, row-major (one input per row) */
    double *ys;         /* standardised (warped) targets */
    double *ysorted;    /* sorted raw targets, for un-warping */
    double ymean, ysd;
    double theta[ARCH_ENC_MAX + 2];
    double lml;
    struct gp_dist *dist; /* isotropic kernels only (NULL with ARD) */
    double *L, *alpha;  /* Cholesky factor, K^-1 ys */
};

/* gp.c: the pairwise distances of g->X (g->dist), for isotropic kernels */
int gp_dist_build(struct gp *g);
void gp_dist_free(struct gp_dist *D);
/* gp.c: NLML and gradient of the model's standardised targets at theta */
int gp_nlml_model(const struct gp *g, const double *theta, double *f, double *grad);
/* gp.c: the same with the signal variance profiled out (gp_nlml_profile);
 * hess (may be NULL; needs grad; isotropic kernels only): the 2 x 2 Hessian
 * in phi = (log l, log r), row-major (gp_nlml_profile_hess) */
int gp_nlml_profile_model(const struct gp *g, const double *phi, double *f, double *grad, double *hess, double *sf2);
/* gp.c: factor K at g->theta into g->L and g->alpha; sets g->lml */
int gp_model_factor(struct gp *g);
/* gp_opt.c: latent (standardised, warped) mean/variance -> target units */
void gp_untransform(const struct gp *g, double mu, double v, double *mean, double *var);

#endif
