/*
 * search/smbo.c - the observation list and candidate pool shared by the
 * model-based strategies (search/bo.c, search/pnas.c); see search/smbo.h.
 */
#include "search/smbo.h"

#include <math.h>
#include <stdlib.h>

#include "core/rng.h"
#include "core/status.h"
#include "search/search.h"

int smbo_observe(struct smbo_obs *o, struct hashmap *told, const struct space *s, const struct query *q,
                 const struct bench_result *r)
{
    if (hashmap_put(told, arch_key(s, &q->arch), 1)) return nasw_errorf(NASW_ENOMEM, "out of memory");
    if (!isfinite(r->score)) return NASW_OK;
    for (int i = 0; i < o->n; i++)
        if (arch_equal(&o->arch[i], &q->arch)) return NASW_OK; /* a repeat */
    if (o->n == o->cap) {
        int cap = o->cap ? 2 * o->cap : 64;
        struct arch *a = realloc(o->arch, sizeof *a * (size_t)cap);
        if (a) o->arch = a;
        double *sc = a ? realloc(o->score, sizeof *sc * (size_t)cap) : NULL;
        if (!sc) return nasw_errorf(NASW_ENOMEM, "out of memory");
        o->score = sc;
        o->cap = cap;
    }
    o->arch[o->n] = q->arch;
    o->score[o->n++] = r->score;
    return NASW_OK;
}

void smbo_obs_release(struct smbo_obs *o)
{
    free(o->arch);
    free(o->score);
    o->arch = NULL;
    o->score = NULL;
    o->n = o->cap = 0;
}

int smbo_pool(const struct space *s, struct rng *r, const struct smbo_obs *o, const struct hashmap *told, int pool,
              struct arch *cand)
{
    int top[10], ntop = 0;
    for (int i = 0; i < o->n; i++) { /* the indices of the 10 best (insertion) */
        int pos = ntop < 10 ? ntop++ : 10;
        while (pos > 0 && o->score[top[pos - 1]] < o->score[i]) {
            if (pos < 10) top[pos] = top[pos - 1];
            pos--;
        }
        if (pos < 10) top[pos] = i;
    }
    return smbo_pool_around(s, r, o->arch, top, ntop, told, pool, cand);
}

int smbo_pool_around(const struct space *s, struct rng *r, const struct arch *arch, const int *parents, int np,
                     const struct hashmap *told, int pool, struct arch *cand)
{
    struct hashmap seen = {0};
    int nc = 0;
    for (int tries = 0; np > 0 && nc < pool / 2 && tries < 20 * pool; tries++) {
        struct arch m;
        if (arch_mutate(s, r, &arch[parents[tries % np]], &m)) continue;
        uint64_t key = arch_key(s, &m);
        if (hashmap_get(told, key, NULL) || hashmap_get(&seen, key, NULL)) continue;
        hashmap_put(&seen, key, 1);
        cand[nc++] = m;
    }
    for (int tries = 0; nc < pool && tries < 20 * pool; tries++) {
        struct arch m;
        arch_sample(s, r, &m);
        uint64_t key = arch_key(s, &m);
        if (hashmap_get(told, key, NULL) || hashmap_get(&seen, key, NULL)) continue;
        hashmap_put(&seen, key, 1);
        cand[nc++] = m;
    }
    hashmap_release(&seen);
    return nc;
}

int smbo_random(const struct space *s, struct rng *r, struct hashmap *told, struct arch *out)
{
    arch_sample_avoiding(s, r, told, 1000, out);
    return hashmap_put(told, arch_key(s, out), 1) ? nasw_errorf(NASW_ENOMEM, "out of memory") : NASW_OK;
}

int smbo_next(const struct space *s, struct rng *r, struct hashmap *told, const struct smbo_obs *o, int init,
              struct search_warm *warm, int *proposed_init, const struct arch *queue, int *n_queue,
              int (*round)(void *st), void *st, struct arch *out)
{
    if (*n_queue == 0) {
        if (*proposed_init < init || o->n < 2) {
            if (*proposed_init < init && search_warm_next(warm, s, told, out)) {
                ++*proposed_init;
                return hashmap_put(told, arch_key(s, out), 1) ? nasw_errorf(NASW_ENOMEM, "out of memory") : NASW_OK;
            }
            ++*proposed_init;
            return smbo_random(s, r, told, out);
        }
        int status = round(st);
        if (status) return status;
        if (*n_queue == 0) return smbo_random(s, r, told, out);
    }
    *out = queue[--*n_queue];
    return hashmap_put(told, arch_key(s, out), 1) ? nasw_errorf(NASW_ENOMEM, "out of memory") : NASW_OK;
}

int smbo_queue_best(double *v, const struct arch *cand, int n, int k, struct arch *queue)
{
    int idx[1000];
    NASW_ASSERT(k <= 1000);
    int m = smbo_top(v, n, k, idx);
    for (int j = 0; j < m; j++) queue[m - 1 - j] = cand[idx[j]];
    return m;
}

int smbo_order(const struct smbo_obs *o, int **order)
{
    int n = o->n, *x = realloc(*order, sizeof *x * (size_t)(n ? n : 1));
    if (!x) return nasw_errorf(NASW_ENOMEM, "out of memory");
    *order = x;
    for (int i = 0; i < n; i++) x[i] = i;
    /* insertion sort: stable, and n is at most the number of queries */
    for (int i = 1; i < n; i++) {
        int v = x[i], j = i;
        while (j > 0 && o->score[x[j - 1]] < o->score[v]) {
            x[j] = x[j - 1];
            j--;
        }
        x[j] = v;
    }
    return NASW_OK;
}

double smbo_ei(double mu, double sd, double best)
{
    if (!(sd > 0)) return mu > best ? mu - best : 0;
    double z = (mu - best) / sd;
    return sd * (z * 0.5 * erfc(-z / sqrt(2.0)) + exp(-0.5 * z * z) / sqrt(2 * 3.14159265358979323846));
}

int smbo_top(double *v, int n, int k, int *idx)
{
    int m = 0;
    for (int j = 0; j < k && j < n; j++) {
        int arg = -1;
        for (int i = 0; i < n; i++)
            if (v[i] > -INFINITY && (arg < 0 || v[i] > v[arg])) arg = i;
        if (arg < 0) break;
        idx[m++] = arg;
        v[arg] = -INFINITY;
    }
    return m;
}
