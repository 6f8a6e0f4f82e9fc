/*
 * search/bohb.c - BOHB (Falkner, Klein & Hutter, ICML 2018): Hyperband whose
 * first-rung configurations come from a TPE-style model.
 *
 * The engine is Hyperband's (search/hb.h).  Every result told is kept per
 * budget (epochs).  A model is fitted on the largest budget with enough
 * observations: sorted by score, the best max(min_points, top*n) form the
 * "good" set and the next max(min_points, (1-top)*n) the "bad" set; both
 * need more points than the encoding has dimensions (min_points defaults to
 * dimensions + 1, as BOHB).  Each set is a product kernel density over the
 * architecture's decisions, one unordered categorical (Aitchison-Aitken)
 * kernel per decision: k(x, xi) = 1 - h if x == xi, else h / (c - 1), with
 * BOHB's normal-reference bandwidth h = 1.06 sd n^(-1/(4+d)) of the
 * decision codes, clipped below at min_bandwidth and above at (c-1)/c (the
 * uniform kernel; statsmodels, which BOHB uses, counts the levels present in
 * the data, we count the space's).  A proposal is, with probability
 * random_fraction, uniform; otherwise the best of `samples` candidates by
 * l(x)/g(x), each drawn from a random good point with every bandwidth
 * multiplied by bw_factor (the paper's l'(x)): keep the point's decision
 * with probability 1 - h', else a uniform one.  Without a model (too few
 * observations) proposals are uniform.  Defaults are the paper's: top 15%,
 * random fraction 1/3, bandwidth factor 3, 64 samples, min_bandwidth 1e-3.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/hashmap.h"
#include "core/rng.h"
#include "core/status.h"
#include "search/hb.h"
#include "search/search.h"

struct budget_obs {
    int epochs;
    struct arch *arch;
    double *score;
    long n, cap;
    struct hashmap seen;     /* arch key -> index */
};

struct bohb {
    struct hb *hb;
    const struct space *s;
    struct rng *r;
    double top, random_fraction, bw_factor, min_bw;
    int samples, min_points;
    struct budget_obs *b;
    int n_b;
    /* model scratch */
    struct arch *good, *bad;
    double *bw;
};

static const struct search_param params[] = {
    {"eta", 3, 2, 10, 0, NULL, "keep the best 1/eta at each rung"},
    {"min_epochs", 1, 1, 1e6, 1, NULL, "epochs of the lowest rung (r_min)"},
    {"top", 0.15, 0.01, 0.99, 0, NULL, "fraction of observations in the good density"},
    {"random_fraction", 1.0 / 3, 0, 1, 0, NULL, "probability of a uniform proposal"},
    {"bw_factor", 3, 1, 100, 0, NULL, "bandwidth multiplier when sampling candidates"},
    {"min_bandwidth", 1e-3, 1e-6, 0.5, 0, NULL, "lower bound of every bandwidth"},
    {"samples", 64, 1, 10000, 1, NULL, "candidates scored by l(x)/g(x) per proposal"},
    {"min_points", 0, 0, 1e6, 1, NULL, "points per density (0: decisions + 1)"},
    {0},
};

/* Normal-reference bandwidths of a set, per decision, clipped. */
static void bandwidths(const struct bohb *m, const struct arch *x, int n, double *bw)
{
    const struct space *s = m->s;
    int d = s->n_dims;
    for (int j = 0; j < d; j++) {
        double mean = 0, var = 0;
        for (int i = 0; i < n; i++) mean += x[i].d[j];
        mean /= n;
        for (int i = 0; i < n; i++) var += (x[i].d[j] - mean) * (x[i].d[j] - mean);
        var = n > 1 ? var / (n - 1) : 0;
        double h = 1.06 * sqrt(var) * pow(n, -1.0 / (4 + d));
        double hmax = (double)(s->n_choices[j] - 1) / s->n_choices[j];
        bw[j] = h < m->min_bw ? m->min_bw : h > hmax ? hmax : h;
    }
}

static double kde_pdf(const struct space *s, const struct arch *x, int n, const double *bw, const struct arch *a)
{
    double sum = 0;
    for (int i = 0; i < n; i++) {
        double p = 1;
        for (int j = 0; j < s->n_dims; j++)
            p *= a->d[j] == x[i].d[j] ? 1 - bw[j] : bw[j] / (s->n_choices[j] - 1);
        sum += p;
    }
    return sum / n;
}

static int cmp_desc(const void *a, const void *b, void *arg)
{
    const double *sc = arg;
    long i = *(const long *)a, j = *(const long *)b;
    if (sc[i] != sc[j]) return sc[i] > sc[j] ? -1 : 1;
    return i < j ? -1 : i > j; /* the earlier first: a total order */
}

/* qsort with an argument: a small insertion sort keeps it portable and stable */
static void sort_idx(long *idx, long n, const double *sc)
{
    for (long i = 1; i < n; i++) {
        long v = idx[i], j = i - 1;
        while (j >= 0 && cmp_desc(&idx[j], &v, (void *)sc) > 0) {
            idx[j + 1] = idx[j];
            j--;
        }
        idx[j + 1] = v;
    }
}

/* Fit the good/bad sets on the largest budget that allows it.  Returns 1
 * with the sets in m->good[0..*ng), m->bad[0..*nb), 0 without a model. */
static int fit(struct bohb *m, int *ng, int *nb)
{
    int d = m->s->n_dims, minp = m->min_points > 0 ? m->min_points : d + 1;
    int best = -1;
    for (int k = 0; k < m->n_b; k++) {
        const struct budget_obs *o = &m->b[k];
        long n = o->n;
        long g = (long)floor(m->top * n), bd = (long)floor((1 - m->top) * n);
        if (g < minp) g = minp;
        if (bd < minp) bd = minp;
        if (g > n) g = n;
        if (bd > n - g) bd = n - g;
        if (g <= d || bd <= d) continue;
        if (best < 0 || o->epochs > m->b[best].epochs) {
            best = k;
            *ng = (int)g;
            *nb = (int)bd;
        }
    }
    if (best < 0) return 0;
    const struct budget_obs *o = &m->b[best];
    long *idx = malloc(sizeof *idx * (size_t)o->n);
    struct arch *g = realloc(m->good, sizeof *g * (size_t)o->n);
    if (g) m->good = g;
    struct arch *b = g ? realloc(m->bad, sizeof *b * (size_t)o->n) : NULL;
    if (b) m->bad = b;
    if (!idx || !g || !b) {
        free(idx);
        return -1;
    }
    for (long i = 0; i < o->n; i++) idx[i] = i;
    sort_idx(idx, o->n, o->score);
    for (int i = 0; i < *ng; i++) m->good[i] = o->arch[idx[i]];
    for (int i = 0; i < *nb; i++) m->bad[i] = o->arch[idx[*ng + i]];
    free(idx);
    return 1;
}

static int sample_model(void *arg, const struct hashmap *avoid, struct arch *out)
{
    struct bohb *m = arg;
    const struct space *s = m->s;
    int d = s->n_dims, ng = 0, nb = 0;
    if (rng_uniform(m->r) < m->random_fraction) {
        arch_sample_avoiding(s, m->r, avoid, 100, out);
        return NASW_OK;
    }
    int f = fit(m, &ng, &nb);
    if (f < 0) return nasw_errorf(NASW_ENOMEM, "out of memory");
    if (f == 0) {
        arch_sample_avoiding(s, m->r, avoid, 100, out);
        return NASW_OK;
    }
    double *bwg = m->bw, *bwb = m->bw + d;
    bandwidths(m, m->good, ng, bwg);
    bandwidths(m, m->bad, nb, bwb);
    double best = -INFINITY;
    int have = 0;
    for (int k = 0; k < m->samples; k++) {
        struct arch c = m->good[rng_int(m->r, (uint64_t)ng)];
        for (int j = 0; j < d; j++) {
            double h = bwg[j] * m->bw_factor, hmax = (double)(s->n_choices[j] - 1) / s->n_choices[j];
            if (h > hmax) h = hmax;
            if (rng_uniform(m->r) >= 1 - h) c.d[j] = (uint16_t)rng_int(m->r, (uint64_t)s->n_choices[j]);
        }
        if (!space_contains(s, &c) || hashmap_get(avoid, arch_key(s, &c), NULL)) continue;
        double l = kde_pdf(s, m->good, ng, bwg, &c), g = kde_pdf(s, m->bad, nb, bwb, &c);
        double ratio = l / (g > 1e-32 ? g : 1e-32);
        if (!have || ratio > best) {
            best = ratio;
            *out = c;
            have = 1;
        }
    }
    if (!have) arch_sample_avoiding(s, m->r, avoid, 100, out);
    return NASW_OK;
}

static void *bohb_alloc(const double *v, const struct space *s, struct rng *r)
{
    struct bohb *m = calloc(1, sizeof *m);
    if (!m || !(m->bw = malloc(sizeof *m->bw * 2 * (size_t)s->n_dims))) {
        free(m);
        nasw_errorf(NASW_ENOMEM, "out of memory");
        return NULL;
    }
    m->s = s;
    m->r = r;
    m->top = v[2];
    m->random_fraction = v[3];
    m->bw_factor = v[4];
    m->min_bw = v[5];
    m->samples = (int)v[6];
    m->min_points = (int)v[7];
    if (!(m->hb = hb_new(s, r, v[0], (int)v[1], 0, sample_model, m))) {
        free(m->bw);
        free(m);
        return NULL;
    }
    return m;
}

static int bohb_bind(void *st, const struct bench *b) { return hb_bind(((struct bohb *)st)->hb, b, "bohb"); }
static int bohb_propose(void *st, struct query *q) { return hb_propose(((struct bohb *)st)->hb, q); }

static int bohb_observe(void *st, const struct query *q, const struct bench_result *r)
{
    struct bohb *m = st;
    int k = 0;
    while (k < m->n_b && m->b[k].epochs != q->epochs) k++;
    if (k == m->n_b) {
        struct budget_obs *p = realloc(m->b, sizeof *p * (size_t)(m->n_b + 1));
        if (!p) return nasw_errorf(NASW_ENOMEM, "out of memory");
        m->b = p;
        memset(&p[k], 0, sizeof p[k]);
        p[k].epochs = q->epochs;
        m->n_b++;
    }
    struct budget_obs *o = &m->b[k];
    uint64_t key = arch_key(m->s, &q->arch);
    if (!hashmap_get(&o->seen, key, NULL)) {
        if (o->n == o->cap) {
            long cap = o->cap ? 2 * o->cap : 64;
            struct arch *a = realloc(o->arch, sizeof *a * (size_t)cap);
            if (a) o->arch = a;
            double *sc = a ? realloc(o->score, sizeof *sc * (size_t)cap) : NULL;
            if (sc) o->score = sc;
            if (!a || !sc) return nasw_errorf(NASW_ENOMEM, "out of memory");
            o->cap = cap;
        }
        o->arch[o->n] = q->arch;
        o->score[o->n] = r->score; /* -inf for a failed training: always "bad" */
        if (hashmap_put(&o->seen, key, o->n)) return nasw_errorf(NASW_ENOMEM, "out of memory");
        o->n++;
    }
    return hb_observe(m->hb, q, r);
}

static void bohb_free(void *st)
{
    struct bohb *m = st;
    if (!m) return;
    for (int k = 0; k < m->n_b; k++) {
        free(m->b[k].arch);
        free(m->b[k].score);
        hashmap_release(&m->b[k].seen);
    }
    free(m->b);
    free(m->good);
    free(m->bad);
    free(m->bw);
    hb_free(m->hb);
    free(m);
}

const struct search_type search_type_bohb = {
    .name = "bohb",
    .help = "BOHB (Falkner et al. 2018): Hyperband with first rungs from a TPE-style kernel density model",
    .params = params,
    .alloc = bohb_alloc,
    .propose = bohb_propose,
    .observe = bohb_observe,
    .free = bohb_free,
    .bind = bohb_bind,
    .multi_fidelity = 1,
};
