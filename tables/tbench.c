/*
 * tables/tbench.c - the "table" bench backend: answers queries by lookup.
 *
 * The bench's space is the table's space restricted to the rows of one
 * dataset, so a strategy never proposes an architecture the table lacks.
 * Queries only read the table: several threads may query one bench.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/status.h"
#include "tables/table_impl.h"

struct tbench {
    struct bench b;
    struct table *t;
    int d;
    struct space *space;
    double best_val, test_at_best;
};

static int tb_query(struct bench *b, const struct arch *a, int epochs, struct bench_result *r)
{
    struct tbench *tb = b->impl;
    const struct table *t = tb->t;
    long row = table_find(t, tb->d, arch_key(t->space, a));
    if (row < 0) {
        char s[ARCH_STR_MAX];
        arch_format(t->space, a, s, sizeof s);
        return nasw_errorf(NASW_ENOTFOUND, "architecture '%.64s' not in table '%.200s' for dataset '%.64s'", s,
                           t->path, t->datasets[tb->d]);
    }
    const double *sv, *tv = NULL, *cv = NULL;
    int len = table_curve(t, row, t->search, &sv, NULL);
    r->val = table_value(t, row, t->search);
    r->test = table_value(t, row, t->report);
    r->cost_s = t->cost >= 0 ? table_value(t, row, t->cost) : 0.0;
    r->epochs = len;
    if (epochs <= 0 || (len > 0 && epochs >= len)) return NASW_OK;
    if (len == 0)
        return nasw_errorf(NASW_EUNSUPPORTED, "table '%.200s' has no learning curve for this architecture on '%.64s'",
                           t->path, t->datasets[tb->d]);
    r->epochs = epochs;
    r->val = sv[epochs - 1];
    r->test = table_curve(t, row, t->report, &tv, NULL) >= epochs ? tv[epochs - 1] : NAN;
    if (t->cost >= 0) {
        if (table_curve(t, row, t->cost, &cv, NULL) >= epochs) r->cost_s = cv[epochs - 1];
        else r->cost_s *= (double)epochs / len;
    }
    return NASW_OK;
}

static int tb_curve(struct bench *b, const struct arch *a, double *val, int max_epochs)
{
    struct tbench *tb = b->impl;
    long row = table_find(tb->t, tb->d, arch_key(tb->t->space, a));
    if (row < 0) return -NASW_ENOTFOUND;
    const double *sv;
    int len = table_curve(tb->t, row, tb->t->search, &sv, NULL);
    if (len > max_epochs) len = max_epochs;
    memcpy(val, sv, sizeof *val * (size_t)(len > 0 ? len : 0));
    return len;
}

static int tb_oracle(struct bench *b, double *best_val, double *test_at_best)
{
    struct tbench *tb = b->impl;
    *best_val = tb->best_val;
    *test_at_best = tb->test_at_best;
    return NASW_OK;
}

static void tb_free(struct bench *b)
{
    struct tbench *tb = b->impl;
    space_free(tb->space);
    free(tb);
}

static const struct bench_ops table_ops = {
    .name = "table", .query = tb_query, .curve = tb_curve, .oracle = tb_oracle, .free = tb_free,
};

int table_bench_new(struct bench **out, struct table *t, int d)
{
    *out = NULL;
    if (d < 0 || d >= t->n_datasets) return nasw_errorf(NASW_EINVAL, "no dataset %d in table '%.200s'", d, t->path);
    struct tbench *tb = calloc(1, sizeof *tb);
    uint64_t *keys = malloc(sizeof *keys * (size_t)(t->dataset_rows[d] ? t->dataset_rows[d] : 1));
    int st = NASW_OK;
    if (!tb || !keys) {
        st = nasw_errorf(NASW_ENOMEM, "out of memory");
        goto fail;
    }
    tb->t = t;
    tb->d = d;
    size_t n = 0;
    int hib = t->metric_hib[t->search];
    long best = -1;
    for (long r = 0; r < t->n_rows; r++) {
        if (t->row_dataset[r] != d) continue;
        keys[n++] = arch_key(t->space, &t->row_arch[r]);
        double v = table_value(t, r, t->search);
        if (best < 0 || (hib ? v > table_value(t, best, t->search) : v < table_value(t, best, t->search))) best = r;
    }
    if ((st = space_clone(&tb->space, t->space)) || (st = space_restrict(tb->space, keys, n))) goto fail;
    free(keys);
    keys = NULL;
    tb->best_val = table_value(t, best, t->search);
    tb->test_at_best = table_value(t, best, t->report);
    struct bench *b = &tb->b;
    b->ops = &table_ops;
    b->impl = tb;
    b->space = tb->space;
    snprintf(b->name, sizeof b->name, "table:%.200s#%.40s", t->path, t->datasets[d]);
    snprintf(b->dataset, sizeof b->dataset, "%s", t->datasets[d]);
    snprintf(b->search_metric, sizeof b->search_metric, "%s", t->metric_names[t->search]);
    snprintf(b->report_metric, sizeof b->report_metric, "%s", t->metric_names[t->report]);
    b->higher_is_better = hib;
    b->report_higher_is_better = t->metric_hib[t->report];
    b->has_cost = t->cost >= 0;
    int maxlen = 0;
    for (long r = 0; r < t->n_rows && t->has_curves; r++) {
        const double *v;
        int len = t->row_dataset[r] == d ? table_curve(t, r, t->search, &v, NULL) : 0;
        if (len > maxlen) maxlen = len;
    }
    b->max_epochs = maxlen;
    snprintf(b->checksum, sizeof b->checksum, "%s", t->checksum);
    *out = b;
    return NASW_OK;
fail:
    free(keys);
    if (tb) space_free(tb->space);
    free(tb);
    return st;
}
