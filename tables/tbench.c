/*
 * tables/tbench.c - the "table" bench backend: answers queries by lookup.
 *
 * The bench's space is a clone of the table's space restricted to the rows
 * of one dataset, so a strategy never proposes an architecture the table
 * lacks.  Queries only read the table and the bench (the oracle is computed
 * once, here), so several threads may query one bench.
 *
 * Epochs: `epochs` counts epochs trained, so epochs = 1 is the first point
 * of a curve whatever number the file gives that epoch.  epochs <= 0, or at
 * least the curve's length, is the full training: the row's final values.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/status.h"
#include "tables/table_impl.h"

#define TB_MAX_SEEDS 64

struct tbench {
    struct bench b;
    const struct table *t;
    int d;
    struct space *space;
    double best_val, test_at_best;
    /* objectives, their reported counterparts, constraints: metric indices */
    int cols[2 * OBJ_MAX + OBJ_MAX_CON];
    int seed_cols[TB_MAX_SEEDS]; /* --noise seed: the search metric per training seed */
};

static long lookup(const struct tbench *tb, const struct arch *a)
{
    const struct table *t = tb->t;
    if (a->n != t->space->n_dims) return -1;
    for (int i = 0; i < a->n; i++)
        if (a->d[i] >= t->space->n_choices[i]) return -1;
    return table_find(t, tb->d, arch_key(t->space, a));
}

static int not_found(const struct tbench *tb, const struct arch *a)
{
    char s[ARCH_STR_MAX] = "?";
    if (a->n == tb->t->space->n_dims) arch_format(tb->t->space, a, s, sizeof s);
    return nasw_errorf(NASW_ENOTFOUND, "architecture '%.64s' not in table '%.200s' for dataset '%.64s'", s,
                       tb->t->path, tb->t->datasets[tb->d]);
}

static int no_curve(const struct tbench *tb, const struct arch *a)
{
    if (!tb->t->has_curves)
        return nasw_errorf(NASW_EUNSUPPORTED, "table '%.200s' has no learning curves", tb->t->path);
    char s[ARCH_STR_MAX];
    arch_format(tb->t->space, a, s, sizeof s);
    return nasw_errorf(NASW_EUNSUPPORTED, "table '%.200s' has no learning curve for architecture '%.64s' on '%.64s'",
                       tb->t->path, s, tb->t->datasets[tb->d]);
}

static int tb_query(struct bench *b, const struct arch *a, int epochs, struct bench_result *r)
{
    const struct tbench *tb = b->impl;
    const struct table *t = tb->t;
    long row = lookup(tb, a);
    if (row < 0) return not_found(tb, a);
    const double *sv, *v;
    int len = table_curve(t, row, t->search, &sv, NULL);
    r->val = table_value(t, row, t->search);
    r->test = table_value(t, row, t->report);
    r->cost_s = t->cost >= 0 ? table_value(t, row, t->cost) : 0.0;
    r->epochs = len;
    r->failed = 0;
    if (epochs <= 0) return NASW_OK;
    if (len == 0) return no_curve(tb, a);
    if (epochs >= len) return NASW_OK;
    r->epochs = epochs;
    r->val = sv[epochs - 1];
    r->test = table_curve(t, row, t->report, &v, NULL) >= epochs ? v[epochs - 1] : NAN;
    if (t->cost >= 0) {
        /* per-epoch costs are summed in the curve; otherwise pro-rate */
        if (table_curve(t, row, t->cost, &v, NULL) >= epochs) r->cost_s = v[epochs - 1];
        else r->cost_s *= (double)epochs / len;
    }
    return NASW_OK;
}

static int tb_curve(struct bench *b, const struct arch *a, double *val, int max_epochs)
{
    const struct tbench *tb = b->impl;
    long row = lookup(tb, a);
    if (row < 0) return -not_found(tb, a);
    const double *sv;
    int len = table_curve(tb->t, row, tb->t->search, &sv, NULL);
    if (len == 0) return -no_curve(tb, a);
    if (len > max_epochs) len = max_epochs > 0 ? max_epochs : 0;
    if (len) memcpy(val, sv, sizeof *val * (size_t)len);
    return len;
}

static int tb_oracle(struct bench *b, double *best_val, double *test_at_best)
{
    const struct tbench *tb = b->impl;
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

/* "val_acc, test_acc, ..." (bounded) for messages. */
static void metric_list(const struct table *t, char *buf, size_t n)
{
    size_t len = 0;
    buf[0] = '\0';
    for (int m = 0; m < t->n_metrics && len < n; m++)
        len += (size_t)snprintf(buf + len, n - len, "%s%s", m ? ", " : "", t->metric_names[m]);
}

static int column(const struct tbench *tb, const char *what, const char *name, int *col)
{
    const struct table *t = tb->t;
    *col = table_metric_index(t, name);
    if (*col >= 0) return NASW_OK;
    char list[200];
    metric_list(t, list, sizeof list);
    return nasw_errorf(NASW_ENOTFOUND, "%s '%.64s' not in table '%.200s' (metrics: %s)", what, name, t->path, list);
}

static int tb_bind_objectives(struct bench *b)
{
    struct tbench *tb = b->impl;
    const struct table *t = tb->t;
    const struct objectives *o = &b->obj;
    int st;
    for (int i = 0; i < o->n; i++) {
        if ((st = column(tb, "objective", o->name[i], &tb->cols[i]))) return st;
        tb->cols[o->n + i] = tb->cols[i] == t->search ? t->report : tb->cols[i];
    }
    for (int c = 0; c < o->n_con; c++)
        if ((st = column(tb, "constraint column", o->con_name[c], &tb->cols[2 * o->n + c]))) return st;
    /* the range of each objective, and whether any row is feasible (each
     * constraint alone first, so the message can name the one at fault) */
    int any[OBJ_MAX_CON] = {0}, feasible = 0;
    for (int i = 0; i < o->n; i++) b->obj_worst[i] = b->obj_best[i] = NAN;
    for (long r = 0; r < t->n_rows; r++) {
        if (t->row_dataset[r] != tb->d) continue;
        int ok = 1;
        for (int c = 0; c < o->n_con; c++) {
            int sat = objectives_satisfies(o, c, table_value(t, r, tb->cols[2 * o->n + c]));
            any[c] |= sat;
            ok &= sat;
        }
        feasible |= ok;
        for (int i = 0; i < o->n; i++) {
            double v = o->maximize[i] ? table_value(t, r, tb->cols[i]) : -table_value(t, r, tb->cols[i]);
            double w = o->maximize[i] ? b->obj_worst[i] : -b->obj_worst[i];
            double be = o->maximize[i] ? b->obj_best[i] : -b->obj_best[i];
            if (isnan(w) || v < w) b->obj_worst[i] = table_value(t, r, tb->cols[i]);
            if (isnan(be) || v > be) b->obj_best[i] = table_value(t, r, tb->cols[i]);
        }
    }
    for (int c = 0; c < o->n_con; c++)
        if (!any[c])
            return nasw_errorf(NASW_EINVAL, "no architecture of table '%.200s' on '%.64s' satisfies constraint '%s%s%.6g'",
                               t->path, t->datasets[tb->d], o->con_name[c], objectives_op_name(o->con_op[c]),
                               o->con_bound[c]);
    if (!feasible)
        return nasw_errorf(NASW_EINVAL, "no architecture of table '%.200s' on '%.64s' satisfies all the constraints",
                           t->path, t->datasets[tb->d]);
    return NASW_OK;
}

static int tb_objective_values(struct bench *b, const struct arch *a, double *out)
{
    const struct tbench *tb = b->impl;
    long row = lookup(tb, a);
    if (row < 0) return not_found(tb, a);
    int n = 2 * b->obj.n + b->obj.n_con;
    for (int i = 0; i < n; i++) out[i] = table_value(tb->t, row, tb->cols[i]);
    return NASW_OK;
}

/* The per-seed columns of the search metric M: with the "_mean" suffix
 * removed, BASE_run1, BASE_run2, ... (NAS-Bench-Macro) or BASE_seed1, ...,
 * consecutive from 1; at least two.  Curves are per architecture, not per
 * seed, so a table with curves is refused. */
static int tb_set_noise(struct bench *b)
{
    struct tbench *tb = b->impl;
    const struct table *t = tb->t;
    char base[64], col[96];
    snprintf(base, sizeof base, "%s", b->search_metric);
    size_t len = strlen(base);
    if (len > 5 && !strcmp(base + len - 5, "_mean")) base[len - 5] = '\0';
    if (t->has_curves)
        return nasw_errorf(NASW_EUNSUPPORTED, "table '%.200s' has learning curves: noisy queries need final values per seed",
                           t->path);
    int k = 0;
    for (int form = 0; form < 2 && k == 0; form++)
        for (; k < TB_MAX_SEEDS; k++) {
            snprintf(col, sizeof col, "%s_%s%d", base, form ? "seed" : "run", k + 1);
            int m = table_metric_index(t, col);
            if (m < 0) break;
            tb->seed_cols[k] = m;
        }
    if (k < 2)
        return nasw_errorf(NASW_EUNSUPPORTED,
                           "table '%.200s' holds no per-seed results of '%.64s' (columns %.64s_run1, %.64s_run2, ... "
                           "or %.64s_seed1, ...)",
                           t->path, b->search_metric, base, base, base);
    b->noise_seeds = k;
    return NASW_OK;
}

static int tb_seed_value(struct bench *b, const struct arch *a, int k, double *val)
{
    const struct tbench *tb = b->impl;
    long row = lookup(tb, a);
    if (row < 0) return not_found(tb, a);
    *val = table_value(tb->t, row, tb->seed_cols[k]);
    return NASW_OK;
}

static int tb_column(struct bench *b, const char *name, const struct arch *a, double *out)
{
    const struct tbench *tb = b->impl;
    int col, st;
    if ((st = column(tb, "column", name, &col)) || !a) return st;
    long row = lookup(tb, a);
    if (row < 0) return not_found(tb, a);
    *out = table_value(tb->t, row, col);
    return NASW_OK;
}

static const struct bench_ops table_ops = {
    .name = "table", .query = tb_query, .curve = tb_curve, .oracle = tb_oracle, .free = tb_free,
    .bind_objectives = tb_bind_objectives, .objective_values = tb_objective_values,
    .set_noise = tb_set_noise, .seed_value = tb_seed_value,
    .column = tb_column,
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
    for (long r = 0; r < t->n_rows; r++)
        if (t->row_dataset[r] == d) keys[n++] = arch_key(t->space, &t->row_arch[r]);
    if ((st = space_clone(&tb->space, t->space)) || (st = space_restrict(tb->space, keys, n))) goto fail;
    free(keys);
    long best = table_best_row(t, d, t->search);
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
    b->higher_is_better = t->metric_hib[t->search];
    b->report_higher_is_better = t->metric_hib[t->report];
    b->has_cost = t->cost >= 0;
    b->max_epochs = table_max_epochs(t, d);
    snprintf(b->checksum, sizeof b->checksum, "%s", t->checksum);
    *out = b;
    return NASW_OK;
fail:
    free(keys);
    if (tb) space_free(tb->space);
    free(tb);
    return st;
}
