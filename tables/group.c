/*
 * tables/group.c - from file rows to table rows: datasets, architecture
 * keys, the per-dataset index (arch key -> row; keys go up to 2^63, so one
 * map per dataset rather than a combined key), duplicate detection, the
 * grouping of a curve file's epochs into curves, attaching a curve file to
 * a final table, and the accessors.
 *
 * Curve files: rows are grouped by (arch, dataset) in order of first
 * appearance; each group's epochs are sorted, must be distinct and
 * contiguous and start at 0 or 1 (the same for the whole file); the table
 * row takes the values of the last epoch.  A cost column holds each
 * epoch's seconds, so its curve is cumulated: the row's cost is the sum
 * over the epochs and the curve's k-th value the cost of k epochs.
 */
#include <limits.h>
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

/* Index of dataset `name`, added if new; -1 when out of memory.  Through
 * a name set: a file of 100,000 rows of distinct datasets stays linear. */
static int dataset_of(struct table *t, const char *name, int hint)
{
    if (hint >= 0 && hint < t->n_datasets && !strcmp(t->datasets[hint], name)) return hint;
    long found = names_find(&t->dataset_names, t->datasets, t->n_datasets, name);
    if (found >= 0) return (int)found;
    if (t->n_datasets == INT_MAX) return -1;
    char **p = realloc(t->datasets, sizeof *p * (size_t)(t->n_datasets + 1));
    if (!p) return -1;
    t->datasets = p;
    struct hashmap *q = realloc(t->index, sizeof *q * (size_t)(t->n_datasets + 1));
    if (!q) return -1;
    t->index = q;
    memset(&t->index[t->n_datasets], 0, sizeof *t->index);
    if (!(t->datasets[t->n_datasets] = xstrdup(name))) return -1;
    if (names_add(&t->dataset_names, name, t->n_datasets)) {
        free(t->datasets[t->n_datasets]);
        return -1;
    }
    return t->n_datasets++;
}

static const char *place(const struct table *t, long line, char *buf, size_t n)
{
    if (t->is_json) snprintf(buf, n, "rows[%ld]", line);
    else snprintf(buf, n, "line %ld", line);
    return buf;
}

struct point {
    long epoch, input;
};

static int cmp_point(const void *a, const void *b)
{
    const struct point *x = a, *y = b;
    if (x->epoch != y->epoch) return x->epoch < y->epoch ? -1 : 1;
    return (x->input > y->input) - (x->input < y->input);
}

/* Sort each group's epochs, check them, and fill the curve arrays.  src[g]
 * becomes the input row of group g's last epoch. */
static int group_curves(struct table *t, const struct rows *r, int arch_col, const long *group, long G,
                        const double *vals, const long *epochs, long *src)
{
    char w[4300], w2[64];
    long n = r->n_rows;
    int M = t->n_metrics, st = NASW_OK;
    long *cnt = calloc((size_t)G + 1, sizeof *cnt);
    struct point *pts = malloc(sizeof *pts * (size_t)n);
    t->curve_len = malloc(sizeof *t->curve_len * (size_t)G);
    t->curve_first = malloc(sizeof *t->curve_first * (size_t)G);
    t->curve_off = malloc(sizeof *t->curve_off * (size_t)G);
    t->curve_vals = malloc(sizeof *t->curve_vals * (size_t)n * (size_t)(M ? M : 1));
    if (!cnt || !pts || !t->curve_len || !t->curve_first || !t->curve_off || !t->curve_vals) {
        st = nasw_errorf(NASW_ENOMEM, "out of memory");
        goto done;
    }
    for (long i = 0; i < n; i++) cnt[group[i] + 1]++;
    for (long g = 0; g < G; g++) cnt[g + 1] += cnt[g];
    for (long g = 0; g < G; g++) t->curve_off[g] = cnt[g];
    for (long i = 0; i < n; i++) pts[cnt[group[i]]++] = (struct point){epochs[i], i};
    long base = -1, base_input = -1;
    for (long g = 0; g < G && !st; g++) {
        struct point *p = pts + t->curve_off[g];
        long len = (g + 1 < G ? t->curve_off[g + 1] : n) - t->curve_off[g];
        const char *arch = r->fields[p[0].input * r->n_cols + arch_col];
        const char *ds = t->datasets[t->row_dataset[g]];
        qsort(p, (size_t)len, sizeof *p, cmp_point);
        for (long k = 1; k < len && !st; k++) {
            if (p[k].epoch == p[k - 1].epoch) /* p[k] is the later line (ties sort by input order) */
                st = nasw_errorf(NASW_EPARSE,
                                 "%s: duplicate epoch %ld for architecture '%.64s' on dataset '%.64s' (first at %s)",
                                 table_where(t, r->line[p[k].input], w, sizeof w), p[k].epoch, arch, ds,
                                 place(t, r->line[p[k - 1].input], w2, sizeof w2));
            else if (p[k].epoch != p[k - 1].epoch + 1)
                st = nasw_errorf(NASW_EPARSE,
                                 "%s: epochs of architecture '%.64s' on dataset '%.64s' jump from %ld to %ld",
                                 table_where(t, r->line[p[k].input], w, sizeof w), arch, ds, p[k - 1].epoch,
                                 p[k].epoch);
        }
        if (st) break;
        if (p[0].epoch > 1)
            st = nasw_errorf(NASW_EPARSE,
                             "%s: the curve of architecture '%.64s' on dataset '%.64s' starts at epoch %ld "
                             "(curves start at epoch 0 or 1)",
                             table_where(t, r->line[p[0].input], w, sizeof w), arch, ds, p[0].epoch);
        else if (base >= 0 && p[0].epoch != base)
            st = nasw_errorf(NASW_EPARSE,
                             "%s: the curve of architecture '%.64s' on dataset '%.64s' starts at epoch %ld, "
                             "the first curve at epoch %ld (%s)",
                             table_where(t, r->line[p[0].input], w, sizeof w), arch, ds, p[0].epoch, base,
                             place(t, r->line[base_input], w2, sizeof w2));
        if (st) break;
        if (base < 0) {
            base = p[0].epoch;
            base_input = p[0].input;
        }
        t->curve_len[g] = (int)len;
        t->curve_first[g] = (int)p[0].epoch;
        double *blk = t->curve_vals + t->curve_off[g] * M;
        for (int m = 0; m < M; m++)
            for (long k = 0; k < len; k++) {
                double v = vals[p[k].input * M + m];
                if (m == t->cost && k > 0) v += blk[m * len + k - 1];
                blk[m * len + k] = v;
            }
        src[g] = p[len - 1].input;
    }
    if (!st) t->has_curves = 1;
done:
    free(cnt);
    free(pts);
    return st;
}

/* The text columns of the rows, in one arena. */
static int copy_strings(struct table *t, const struct rows *r, const long *src)
{
    long G = t->n_rows;
    int S = t->n_strings;
    if (!S) return NASW_OK;
    size_t total = 0;
    for (long g = 0; g < G; g++)
        for (int s = 0; s < S; s++) total += strlen(r->fields[src[g] * r->n_cols + t->string_col[s]]) + 1;
    t->string_text = malloc(total ? total : 1);
    t->string_off = malloc(sizeof *t->string_off * (size_t)G * (size_t)S);
    if (!t->string_text || !t->string_off) return nasw_errorf(NASW_ENOMEM, "out of memory");
    size_t pos = 0;
    for (long g = 0; g < G; g++)
        for (int s = 0; s < S; s++) {
            const char *f = r->fields[src[g] * r->n_cols + t->string_col[s]];
            size_t len = strlen(f) + 1;
            memcpy(t->string_text + pos, f, len);
            t->string_off[g * S + s] = pos;
            pos += len;
        }
    return NASW_OK;
}

int table_group_rows(struct table *t, const struct rows *r, int arch_col, int ds_col, const double *vals,
                     const long *epochs, const char *default_dataset)
{
    char w[4300], w2[64];
    long n = r->n_rows;
    int M = t->n_metrics, st = NASW_OK;
    long *group = malloc(sizeof *group * (size_t)n); /* group (table row) of each input row */
    long *src = malloc(sizeof *src * (size_t)n);     /* per group: the input row it takes its values from */
    t->row_arch = malloc(sizeof *t->row_arch * (size_t)n);
    t->row_dataset = malloc(sizeof *t->row_dataset * (size_t)n);
    if (!group || !src || !t->row_arch || !t->row_dataset) {
        st = nasw_errorf(NASW_ENOMEM, "out of memory");
        goto done;
    }
    long G = 0;
    int d = -1;
    for (long i = 0; i < n; i++) {
        char **f = r->fields + i * r->n_cols;
        if ((d = dataset_of(t, ds_col >= 0 ? f[ds_col] : default_dataset, d)) < 0) {
            st = nasw_errorf(NASW_ENOMEM, "out of memory");
            goto done;
        }
        struct arch a;
        if ((st = arch_parse(t->space, f[arch_col], &a))) {
            st = nasw_errprefix(st, "%s", table_where(t, r->line[i], w, sizeof w));
            goto done;
        }
        uint64_t key = arch_key(t->space, &a);
        int64_t g;
        if (hashmap_get(&t->index[d], key, &g)) {
            if (!epochs) {
                st = nasw_errorf(NASW_EPARSE,
                                 "%s: duplicate row for architecture '%.64s' on dataset '%.64s' (first at %s)",
                                 table_where(t, r->line[i], w, sizeof w), f[arch_col], t->datasets[d],
                                 place(t, r->line[src[g]], w2, sizeof w2));
                goto done;
            }
            group[i] = (long)g;
            continue;
        }
        if (hashmap_put(&t->index[d], key, G)) {
            st = nasw_errorf(NASW_ENOMEM, "out of memory");
            goto done;
        }
        src[G] = i;
        t->row_arch[G] = a;
        t->row_dataset[G] = d;
        group[i] = G++;
    }
    t->n_rows = G;
    t->values = malloc(sizeof *t->values * (size_t)G * (size_t)(M ? M : 1));
    t->row_line = malloc(sizeof *t->row_line * (size_t)G);
    t->dataset_rows = calloc((size_t)t->n_datasets, sizeof *t->dataset_rows);
    if (!t->values || !t->row_line || !t->dataset_rows) {
        st = nasw_errorf(NASW_ENOMEM, "out of memory");
        goto done;
    }
    for (long g = 0; g < G; g++) t->row_line[g] = r->line[src[g]]; /* first line of a curve */
    if (epochs && (st = group_curves(t, r, arch_col, group, G, vals, epochs, src))) goto done;
    for (long g = 0; g < G; g++) {
        if (epochs) {
            const double *blk = t->curve_vals + t->curve_off[g] * M;
            for (int m = 0; m < M; m++) t->values[g * M + m] = blk[m * t->curve_len[g] + t->curve_len[g] - 1];
        } else {
            memcpy(t->values + g * M, vals + src[g] * M, sizeof(double) * (size_t)M);
        }
        t->dataset_rows[t->row_dataset[g]]++;
    }
    st = copy_strings(t, r, src);
done:
    free(group);
    free(src);
    return st;
}

/* --- attaching a curve file ------------------------------------------------ */

int table_attach_curves(struct table *t, const char *path)
{
    char w[4300], s[ARCH_STR_MAX];
    struct table_opts o;
    table_default_opts(&o);
    o.no_sidecar = 1;
    o.search_metric = t->metric_names[t->search];
    o.report_metric = t->metric_names[t->report];
    o.cost_metric = t->cost >= 0 ? t->metric_names[t->cost] : NULL;
    o.dataset = t->n_datasets == 1 ? t->datasets[0] : NULL;
    struct load_args a = {.o = &o, .hash0 = t->hash, .curves = 1};
    struct table *c;
    int st = table_load_args(&c, path, &a);
    if (st) return st;
    if (!c->has_curves) st = nasw_errorf(NASW_EINVAL, "curves file '%.200s' has no 'epoch' column", path);
    else if (table_metric_index(c, t->metric_names[t->search]) < 0)
        st = nasw_errorf(NASW_EINVAL, "curves file '%.200s' has no column '%.64s' (the search metric of '%.200s')",
                         path, t->metric_names[t->search], t->path);
    if (!st) {
        t->curve_row = malloc(sizeof *t->curve_row * (size_t)(t->n_rows ? t->n_rows : 1));
        t->curve_metric = malloc(sizeof *t->curve_metric * (size_t)(t->n_metrics ? t->n_metrics : 1));
        if (!t->curve_row || !t->curve_metric) st = nasw_errorf(NASW_ENOMEM, "out of memory");
    }
    if (st) {
        table_free(c);
        return st;
    }
    for (int m = 0; m < t->n_metrics; m++) t->curve_metric[m] = table_metric_index(c, t->metric_names[m]);
    for (long r = 0; r < t->n_rows; r++) t->curve_row[r] = -1;
    /* every curve must be of a row of t: the architecture must parse in t's
     * space (the curve file's own space may have another vocabulary order,
     * so go through the string) and the dataset must be one of t's */
    for (long cr = 0; cr < c->n_rows && !st; cr++) {
        struct arch x;
        const char *ds = c->datasets[c->row_dataset[cr]];
        int d = table_dataset_index(t, ds);
        if ((st = arch_format(c->space, &c->row_arch[cr], s, sizeof s))) break;
        if ((st = arch_parse(t->space, s, &x))) {
            st = nasw_errprefix(st, "%s", table_where(c, c->row_line[cr], w, sizeof w));
            break;
        }
        long tr = d < 0 ? -1 : table_find(t, d, arch_key(t->space, &x));
        /* a journal's last curve may be of the architecture in training,
         * which has no final row yet: it is not part of the table */
        if (tr < 0 && cr == c->n_rows - 1 && d >= 0) continue;
        if (tr < 0)
            st = nasw_errorf(NASW_EINVAL, "%s: architecture '%.64s' on dataset '%.64s' is not a row of table '%.200s'",
                             table_where(c, c->row_line[cr], w, sizeof w), s, ds, t->path);
        else t->curve_row[tr] = cr;
    }
    if (st) {
        table_free(c);
        return st;
    }
    t->hash = c->hash; /* the checksum covers both files */
    snprintf(t->checksum, sizeof t->checksum, "%016llx", (unsigned long long)t->hash);
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
const char *table_metric_label(const struct table *t, int m) { return t->metric_label ? t->metric_label[m] : NULL; }
const char *table_metric_unit(const struct table *t, int m) { return t->metric_unit ? t->metric_unit[m] : NULL; }
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
long table_row_line(const struct table *t, long row) { return t->row_line[row]; }
int table_has_curves(const struct table *t) { return t->has_curves; }
const char *table_curves_path(const struct table *t) { return t->curve_src ? t->curve_src->path : NULL; }
int table_n_strings(const struct table *t) { return t->n_strings; }
const char *table_string_name(const struct table *t, int s) { return t->string_names[s]; }

const char *table_string(const struct table *t, long row, int s)
{
    return t->string_text + t->string_off[row * t->n_strings + s];
}

int table_string_index(const struct table *t, const char *name)
{
    for (int s = 0; s < t->n_strings; s++)
        if (!strcmp(t->string_names[s], name)) return s;
    return -1;
}

int table_dataset_index(const struct table *t, const char *name)
{
    return (int)names_find(&t->dataset_names, t->datasets, t->n_datasets, name);
}

long table_find(const struct table *t, int d, uint64_t key)
{
    int64_t row;
    if (d < 0 || d >= t->n_datasets || !hashmap_get(&t->index[d], key, &row)) return -1;
    return (long)row;
}

long table_best_row(const struct table *t, int d, int m)
{
    long best = -1;
    if (m < 0 || m >= t->n_metrics) return -1;
    int hib = t->metric_hib[m];
    for (long r = 0; r < t->n_rows; r++) {
        if (t->row_dataset[r] != d) continue;
        double v = t->values[r * t->n_metrics + m], b = best < 0 ? 0 : t->values[best * t->n_metrics + m];
        if (best < 0 || (hib ? v > b : v < b)) best = r; /* strict: ties keep the first row */
    }
    return best;
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

int table_curve_epochs(const struct table *t, long row)
{
    if (t->curve_src) return t->curve_row[row] < 0 ? 0 : t->curve_src->curve_len[t->curve_row[row]];
    return t->has_curves ? t->curve_len[row] : 0;
}

int table_max_epochs(const struct table *t, int d)
{
    int max = 0;
    for (long r = 0; r < t->n_rows && t->has_curves; r++) {
        int len = (d < 0 || t->row_dataset[r] == d) ? table_curve_epochs(t, r) : 0;
        if (len > max) max = len;
    }
    return max;
}
