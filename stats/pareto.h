/*
 * stats/pareto.h - Pareto dominance, exact fronts, hypervolume and the
 * exact expected hypervolume improvement in two dimensions.
 *
 * Convention: every objective is maximised (callers negate the ones to
 * minimise); points are rows of an (n, m) row-major array.  The
 * hypervolume of a set is the Lebesgue measure of the region it dominates
 * above the reference point `ref` (componentwise worse than every point
 * that counts; points not strictly better than ref in every objective add
 * nothing).  Two objectives: one sort and a sweep.  More: the hypervolume
 * by slicing objectives (HSO; While, Hingston, Barone, Huband, IEEE TEC
 * 2006), exact and fine for the few hundred points of a NAS front.
 * EHVI: Emmerich, Giannakoglou, Naujoks (2006) in the strip decomposition
 * of Yang et al. (2019), exact for independent normal predictions.
 */
#ifndef NASW_STATS_PARETO_H
#define NASW_STATS_PARETO_H

/* 1 if a dominates b: a >= b in every objective and > in one. */
int pareto_dominates(const double *a, const double *b, int m);

/* Indices of the points no other point dominates (equal points all stay),
 * in lexicographically descending order of their objectives; returns how
 * many.  idx must hold n entries.  NaN points are never on the front.
 * Returns -1 when out of memory. */
int pareto_front(const double *pts, int n, int m, int *idx);

/* Hypervolume dominated by the points (any order, dominated ones allowed)
 * above ref.  NaN when out of memory. */
double pareto_hv(const double *pts, int n, int m, const double *ref);

/* Expected hypervolume improvement over a two-objective front of a new point
 * whose objectives are independent normals N(mu[k], sd[k]^2) (sd 0: known),
 * with reference point ref.  front: (n, 2) points, any order, dominated
 * ones allowed.  NaN when out of memory. */
double pareto_ehvi2(const double *front, int n, const double *ref, const double *mu, const double *sd);

#endif
