/*
 * tables/group.c - from file rows to table rows: datasets, architecture
 * keys, the per-dataset index, duplicate detection, and for curve files the
 * grouping of epochs into curves.  Also the table accessors.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/status.h"
#include "tables/table_impl.h"

static char *xstrdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *p = malloc(n);
    if (p) memcpy(p, s, n);
    return p;
}

static const char *loc(const struct table *t, long line, char *buf, size_t n)
{
    if (t->is_json) snprintf(buf, n, "%s: rows[%ld]", t->path, line);
    else snprintf(buf, n, "%s:%ld", t->path, line);
    return buf;
}

static int dataset_of(struct table *t, const char *name)
{
    for (int d = 0; d < t->n_datasets; d++)
        if (!strcmp(t->datasets[d], name)) return d;
    char **p = realloc(t->datasets, sizeof *p * (size_t)(t->n_datasets + 1));
    struct hashmap *q = p ? realloc(t->index, sizeof *q * (size_t)(t->n_datasets + 1)) : NULL;
    if (p) t->datasets = p;
    if (q) t->index = q;
    if (!p || !q || !(t->datasets[t->n_datasets] = xstrdup(name))) return -1;
    memset(&t->index[t->n_datasets], 0, sizeof *t->index);
    return t->n_datasets++;
}

struct point {
    long epoch, input;
};

static int cmp_point(const void *a, const void *b)
{
    const struct point *x = a, *y = b;
    if (x->epoch != y->epoch) return x->epoch < y->epoch ? -1 : 1;
    return x->input < y->input ? -1 : x->input > y->input;
}

int table_group_rows(struct table *t, char **fields, int n_cols, const long *line, long n, int arch_col,
                     int ds_col, const double *vals, const long *epochs, const char *default_dataset)
{
    char where[4200];
    int M = t->n_metrics, st = NASW_OK;
    long *group = malloc(sizeof *group * (size_t)n);   /* group of each input row */
    long *first = malloc(sizeof *first * (size_t)n);   /* first input row of each group */
    struct arch *garch = malloc(sizeof *garch * (size_t)n);
    int *gds = malloc(sizeof *gds * (size_t)n);
    long G = 0;
    if (!group || !first || !garch || !gds) {
        st = nasw_errorf(NASW_ENOMEM, "out of memory");
        goto done;
    }
    for (long i = 0; i < n && !st; i++) {
        char **f = fields + i * n_cols;
        int d = dataset_of(t, ds_col >= 0 ? f[ds_col] : default_dataset);
        if (d < 0) {
            st = nasw_errorf(NASW_ENOMEM, "out of memory");
            break;
        }
        struct arch a;
        if ((st = arch_parse(t->space, f[arch_col], &a))) {
            st = nasw_errorf(st, "%s: %s", loc(t, line[i], where, sizeof where), nasw_errmsg());
            break;
        }
        uint64_t key = arch_key(t->space, &a);
        int64_t g;
        if (hashmap_get(&t->index[d], key, &g)) {
            if (!epochs) {
                st = nasw_errorf(NASW_EPARSE, "%s: duplicate row for architecture '%.64s' on dataset '%.64s' (first at %s %ld)",
                                 loc(t, line[i], where, sizeof where), f[arch_col], t->datasets[d],
                                 t->is_json ? "rows" : "line", line[first[g]]);
                break;
            }
            group[i] = g;
            continue;
        }
        if (hashmap_put(&t->index[d], key, G)) {
            st = nasw_errorf(NASW_ENOMEM, "out of memory");
            break;
        }
        first[G] = i;
        garch[G] = a;
        gds[G] = d;
        group[i] = G++;
    }
    if (st) goto done;
    t->n_rows = G;
    t->values = malloc(sizeof *t->values * (size_t)G * (size_t)(M ? M : 1));
    t->row_arch = malloc(sizeof *t->row_arch * (size_t)G);
    t->row_dataset = malloc(sizeof *t->row_dataset * (size_t)G);
    t->row_line = malloc(sizeof *t->row_line * (size_t)G);
    t->dataset_rows = calloc((size_t)t->n_datasets, sizeof *t->dataset_rows);
    t->strings = calloc((size_t)G * (size_t)t->n_strings + 1, sizeof *t->strings);
    if (!t->values || !t->row_arch || !t->row_dataset || !t->row_line || !t->dataset_rows || !t->strings) {
        st = nasw_errorf(NASW_ENOMEM, "out of memory");
        goto done;
    }
    long *last = first; /* input row whose values a table row takes */
    if (epochs) {
        /* sort the points of every group by epoch */
        long *cnt = calloc((size_t)G + 1, sizeof *cnt);
        struct point *pts = malloc(sizeof *pts * (size_t)n);
        t->curve_len = malloc(sizeof *t->curve_len * (size_t)G);
        t->curve_first = malloc(sizeof *t->curve_first * (size_t)G);
        t->curve_off = malloc(sizeof *t->curve_off * (size_t)G);
        t->curve_vals = malloc(sizeof *t->curve_vals * (size_t)n * (size_t)(M ? M : 1));
        if (!cnt || !pts || !t->curve_len || !t->curve_first || !t->curve_off || !t->curve_vals) {
            free(cnt);
            free(pts);
            st = nasw_errorf(NASW_ENOMEM, "out of memory");
            goto done;
        }
        for (long i = 0; i < n; i++) cnt[group[i] + 1]++;
        for (long g = 0; g < G; g++) cnt[g + 1] += cnt[g];
        for (long g = 0; g < G; g++) t->curve_off[g] = cnt[g];
        for (long i = 0; i < n; i++) pts[cnt[group[i]]++] = (struct point){epochs[i], i};
        for (long g = 0; g < G && !st; g++) {
            struct point *p = pts + t->curve_off[g];
            long len = (g + 1 < G ? t->curve_off[g + 1] : n) - t->curve_off[g];
            qsort(p, (size_t)len, sizeof *p, cmp_point);
            for (long k = 1; k < len && !st; k++) {
                if (p[k].epoch == p[k - 1].epoch) {
                    long a = p[k].input > p[k - 1].input ? p[k].input : p[k - 1].input;
                    long b = p[k].input > p[k - 1].input ? p[k - 1].input : p[k].input;
                    st = nasw_errorf(NASW_EPARSE, "%s: duplicate epoch %ld for architecture '%.64s' (first at line %ld)",
                                     loc(t, line[a], where, sizeof where), p[k].epoch,
                                     fields[a * n_cols + arch_col], line[b]);
                } else if (p[k].epoch != p[k - 1].epoch + 1) {
                    st = nasw_errorf(NASW_EPARSE, "%s: epochs of architecture '%.64s' jump from %ld to %ld",
                                     loc(t, line[p[k].input], where, sizeof where),
                                     fields[p[k].input * n_cols + arch_col], p[k - 1].epoch, p[k].epoch);
                }
            }
            t->curve_len[g] = (int)len;
            t->curve_first[g] = (int)p[0].epoch;
            /* row g's block: M curves of len values each, metric-major */
            double *blk = t->curve_vals + t->curve_off[g] * M;
            for (int m = 0; m < M; m++)
                for (long k = 0; k < len; k++) {
                    double v = vals[p[k].input * M + m];
                    /* a cost column holds each epoch's seconds: curves carry the total so far */
                    if (m == t->cost && k > 0) v += blk[m * len + k - 1];
                    blk[m * len + k] = v;
                }
            first[g] = p[len - 1].input; /* final epoch */
        }
        free(cnt);
        free(pts);
        if (st) goto done;
        t->has_curves = 1;
    }
    for (long g = 0; g < G; g++) {
        long i = last[g];
        if (epochs) {
            const double *blk = t->curve_vals + t->curve_off[g] * M;
            for (int m = 0; m < M; m++) t->values[g * M + m] = blk[m * t->curve_len[g] + t->curve_len[g] - 1];
        } else {
            memcpy(t->values + g * M, vals + i * M, sizeof(double) * (size_t)M);
        }
        t->row_arch[g] = garch[g];
        t->row_dataset[g] = gds[g];
        t->row_line[g] = line[i];
        t->dataset_rows[gds[g]]++;
        for (int s = 0; s < t->n_strings; s++)
            if (!(t->strings[g * t->n_strings + s] = xstrdup(fields[i * n_cols + t->string_col[s]]))) {
                st = nasw_errorf(NASW_ENOMEM, "out of memory");
                goto done;
            }
    }
done:
    free(group);
    free(first);
    free(garch);
    free(gds);
    return st;
}

int table_attach_curves(struct table *t, const char *path)
{
    struct table_opts o;
    table_default_opts(&o);
    o.no_sidecar = 1;
    o.search_metric = t->metric_names[t->search];
    struct table *c;
    int st = table_load(&c, path, &o);
    if (st) return st;
    if (!c->has_curves) {
        table_free(c);
        return nasw_errorf(NASW_EINVAL, "curves file '%.200s' has no 'epoch' column", path);
    }
    t->curve_row = malloc(sizeof *t->curve_row * (size_t)t->n_rows);
    t->curve_metric = malloc(sizeof *t->curve_metric * (size_t)(t->n_metrics ? t->n_metrics : 1));
    if (!t->curve_row || !t->curve_metric) {
        table_free(c);
        return nasw_errorf(NASW_ENOMEM, "out of memory");
    }
    for (int m = 0; m < t->n_metrics; m++) t->curve_metric[m] = table_metric_index(c, t->metric_names[m]);
    long matched = 0;
    for (long r = 0; r < t->n_rows; r++) {
        char s[ARCH_STR_MAX];
        struct arch a;
        t->curve_row[r] = -1;
        int d = table_dataset_index(c, t->datasets[t->row_dataset[r]]);
        if (d < 0 || arch_format(t->space, &t->row_arch[r], s, sizeof s) || arch_parse(c->space, s, &a)) continue;
        t->curve_row[r] = table_find(c, d, arch_key(c->space, &a));
        matched += t->curve_row[r] >= 0;
    }
    nasw_errclear();
    if (matched == 0 || t->curve_metric[t->search] < 0) {
        table_free(c);
        return nasw_errorf(NASW_EINVAL, "curves file '%.200s' shares no architecture and dataset with '%.200s' (or lacks its search metric '%s')",
                           path, t->path, t->metric_names[t->search]);
    }
    t->curve_src = c;
    t->has_curves = 1;
    return NASW_OK;
}

/* --- accessors ---------------------------------------------------------- */

const char *table_path(const struct table *t) { return t->path; }
const char *table_checksum(const struct table *t) { return t->checksum; }
long table_n_rows(const struct table *t) { return t->n_rows; }
const struct space *table_space(const struct table *t) { return t->space; }
int table_n_datasets(const struct table *t) { return t->n_datasets; }
const char *table_dataset_name(const struct table *t, int d) { return t->datasets[d]; }
long table_dataset_rows(const struct table *t, int d) { return t->dataset_rows[d]; }
int table_n_metrics(const struct table *t) { return t->n_metrics; }
const char *table_metric_name(const struct table *t, int m) { return t->metric_names[m]; }
int table_metric_is_id(const struct table *t, int m) { return t->metric_is_id[m]; }
int table_search_metric(const struct table *t) { return t->search; }
int table_report_metric(const struct table *t) { return t->report; }
int table_cost_metric(const struct table *t) { return t->cost; }
int table_higher_is_better(const struct table *t) { return t->metric_hib[t->search]; }
int table_metric_higher_is_better(const struct table *t, int m) { return t->metric_hib[m]; }
int table_no_validation(const struct table *t) { return t->no_validation; }
double table_value(const struct table *t, long row, int m) { return t->values[row * t->n_metrics + m]; }
const struct arch *table_row_arch(const struct table *t, long row) { return &t->row_arch[row]; }
int table_row_dataset(const struct table *t, long row) { return t->row_dataset[row]; }
int table_has_curves(const struct table *t) { return t->has_curves; }
int table_n_strings(const struct table *t) { return t->n_strings; }
const char *table_string_name(const struct table *t, int s) { return t->string_names[s]; }
const char *table_string(const struct table *t, long row, int s) { return t->strings[row * t->n_strings + s]; }

int table_dataset_index(const struct table *t, const char *name)
{
    for (int d = 0; d < t->n_datasets; d++)
        if (!strcmp(t->datasets[d], name)) return d;
    return -1;
}

long table_find(const struct table *t, int d, uint64_t key)
{
    int64_t row;
    if (d < 0 || d >= t->n_datasets || !hashmap_get(&t->index[d], key, &row)) return -1;
    return (long)row;
}

int table_curve(const struct table *t, long row, int m, const double **values, int *first_epoch)
{
    *values = NULL;
    if (first_epoch) *first_epoch = 0;
    if (t->curve_src) {
        long r = t->curve_row[row];
        int cm = t->curve_metric[m];
        if (r < 0 || cm < 0) return 0;
        return table_curve(t->curve_src, r, cm, values, first_epoch);
    }
    if (!t->has_curves) return 0;
    *values = t->curve_vals + t->curve_off[row] * t->n_metrics + (long)m * t->curve_len[row];
    if (first_epoch) *first_epoch = t->curve_first[row];
    return t->curve_len[row];
}

