/*
 * surrogate/gp_impl.h - the GP struct shared by gp.c (LAPACKE/CBLAS) and
 * gp_opt.c (GSL); private to surrogate/.
 */
#ifndef NASW_SURROGATE_GP_IMPL_H
#define NASW_SURROGATE_GP_IMPL_H

#include "surrogate/gp.h"

#define ARCH_ENC_MAX 4096            /* widest input the GP accepts */
#define M_PI_VALUE 3.14159265358979323846

struct gp {
    int n, d, ard, warp;
    enum gp_kernel kernel;
    double *X;          /* n x d */
    double *ys;         /* standardised (warped) targets */
    double *ysorted;    /* sorted raw targets, for un-warping */
    double ymean, ysd;
    double theta[ARCH_ENC_MAX + 2];
    double lml;
    double *L, *alpha;  /* Cholesky factor, K^-1 ys */
};

/* gp.c: factor K at g->theta into g->L and g->alpha */
int gp_model_factor(struct gp *g);
/* gp_opt.c: latent (standardised, warped) mean/variance -> target units */
void gp_untransform(const struct gp *g, double mu, double v, double *mean, double *var);

#endif
