/*
 * tables/table.c - loading NAS-Bench-style tables (CSV via libcsv, JSON via
 * jansson), metric detection, the arch-keyed index and learning curves.
 *
 * Both formats are turned into the same stream of rows of text fields
 * (struct rows), processed once: column types from the first data row,
 * numbers parsed strictly, the space inferred from every arch string, then
 * each row's architecture parsed and indexed per dataset.  Curve files
 * (an `epoch` column) are grouped by (arch, dataset) afterwards.
 * Every error names its place: "path:line: ..." (CSV) or
 * "path: rows[i]: ..." (JSON).
 */
#include "tables/table.h"

#include <ctype.h>
#include <csv.h>
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/hashmap.h"
#include "core/status.h"
#include "tables/table_impl.h"

/* --- small helpers ------------------------------------------------------ */

static char *xstrdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *p = malloc(n);
    if (p) memcpy(p, s, n);
    return p;
}

static int grow(void **p, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap) return 0;
    size_t c = *cap ? *cap : 64;
    while (c < need) c *= 2;
    void *q = realloc(*p, c * elem);
    if (!q) return -1;
    *p = q;
    *cap = c;
    return 0;
}

static int parse_number(const char *s, double *out)
{
    char *end;
    while (isspace((unsigned char)*s)) s++;
    if (!*s) return -1;
    errno = 0;
    double v = strtod(s, &end);
    while (isspace((unsigned char)*end)) end++;
    if (*end || errno == ERANGE) return -1;
    *out = v;
    return 0;
}

/* Format a row's location into buf. */
static const char *where(const struct table *t, long line, char *buf, size_t n)
{
    if (t->is_json) snprintf(buf, n, "%s: rows[%ld]", t->path, line);
    else snprintf(buf, n, "%s:%ld", t->path, line);
    return buf;
}

/* --- the raw row stream -------------------------------------------------- */

struct rows {
    char **header;
    int n_cols;
    char **fields;       /* n_rows * n_cols */
    long *line;          /* location of each row (CSV line or JSON index) */
    long n_rows;
    size_t cap_fields, cap_rows;
    /* CSV parsing state */
    char **cur;
    int cur_n, cur_cap;
    long cur_line;
    int error;
    const struct table *t;
};

static void rows_release(struct rows *r)
{
    for (int i = 0; i < r->n_cols; i++) free(r->header[i]);
    free(r->header);
    for (long i = 0; i < r->n_rows * (long)r->n_cols; i++) free(r->fields[i]);
    free(r->fields);
    free(r->line);
    for (int i = 0; i < r->cur_n; i++) free(r->cur[i]);
    free(r->cur);
    memset(r, 0, sizeof *r);
}

/* Append a complete row (takes ownership of the strings). */
static int rows_add(struct rows *r, char **f, int n, long line)
{
    char buf[4200];
    if (!r->header) {
        r->header = malloc((size_t)n * sizeof *r->header);
        if (!r->header) return nasw_errorf(NASW_ENOMEM, "out of memory");
        memcpy(r->header, f, (size_t)n * sizeof *f);
        r->n_cols = n;
        return NASW_OK;
    }
    if (n != r->n_cols) {
        for (int i = 0; i < n; i++) free(f[i]);
        return nasw_errorf(NASW_EPARSE, "%s: expected %d fields, got %d", where(r->t, line, buf, sizeof buf),
                           r->n_cols, n);
    }
    if (grow((void **)&r->fields, &r->cap_fields, (size_t)(r->n_rows + 1) * (size_t)n, sizeof *r->fields) ||
        grow((void **)&r->line, &r->cap_rows, (size_t)r->n_rows + 1, sizeof *r->line)) {
        for (int i = 0; i < n; i++) free(f[i]);
        return nasw_errorf(NASW_ENOMEM, "out of memory");
    }
    memcpy(r->fields + r->n_rows * n, f, (size_t)n * sizeof *f);
    r->line[r->n_rows++] = line;
    return NASW_OK;
}

static void csv_field(void *s, size_t len, void *arg)
{
    struct rows *r = arg;
    if (r->error) return;
    if (r->cur_n == r->cur_cap) {
        int cap = r->cur_cap ? 2 * r->cur_cap : 16;
        char **p = realloc(r->cur, (size_t)cap * sizeof *p);
        if (!p) {
            r->error = nasw_errorf(NASW_ENOMEM, "out of memory");
            return;
        }
        r->cur = p;
        r->cur_cap = cap;
    }
    char *f = malloc(len + 1);
    if (!f) {
        r->error = nasw_errorf(NASW_ENOMEM, "out of memory");
        return;
    }
    memcpy(f, s ? s : "", len);
    f[len] = '\0';
    r->cur[r->cur_n++] = f;
}

static void csv_row(int c, void *arg)
{
    (void)c;
    struct rows *r = arg;
    if (r->error) return;
    /* a blank line gives one empty field: skip it */
    if (r->cur_n == 1 && r->cur[0][0] == '\0') {
        free(r->cur[0]);
        r->cur_n = 0;
        return;
    }
    int n = r->cur_n;
    r->cur_n = 0;
    r->error = rows_add(r, r->cur, n, r->cur_line);
}

static int read_file(const char *path, char **data, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) return nasw_errorf(NASW_EIO, "cannot open table '%.200s': %s", path, strerror(errno));
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap);
    for (;;) {
        if (!buf) {
            fclose(f);
            return nasw_errorf(NASW_ENOMEM, "out of memory");
        }
        n += fread(buf + n, 1, cap - n, f);
        if (n < cap) break;
        cap *= 2;
        char *p = realloc(buf, cap);
        if (!p) free(buf);
        buf = p;
    }
    int bad = ferror(f);
    fclose(f);
    if (bad) {
        free(buf);
        return nasw_errorf(NASW_EIO, "cannot read table '%.200s'", path);
    }
    *data = buf;
    *len = n;
    return NASW_OK;
}

static int load_csv(struct rows *r, const char *data, size_t len, const char *path)
{
    struct csv_parser p;
    if (csv_init(&p, CSV_APPEND_NULL) != 0) return nasw_errorf(NASW_ENOMEM, "out of memory");
    size_t pos = 0;
    long line = 0;
    while (pos < len && !r->error) {
        const char *nl = memchr(data + pos, '\n', len - pos);
        size_t end = nl ? (size_t)(nl - data) + 1 : len;
        line++;
        r->cur_line = line;
        if (csv_parse(&p, data + pos, end - pos, csv_field, csv_row, r) != end - pos) {
            int e = csv_error(&p);
            csv_free(&p);
            return nasw_errorf(NASW_EPARSE, "%.200s:%ld: %s", path, line, csv_strerror(e));
        }
        pos = end;
    }
    if (!r->error) {
        r->cur_line = line;
        if (csv_fini(&p, csv_field, csv_row, r) != 0 && !r->error)
            r->error = nasw_errorf(NASW_EPARSE, "%.200s:%ld: %s", path, line, csv_strerror(csv_error(&p)));
    }
    csv_free(&p);
    if (r->error) return r->error;
    if (!r->header) return nasw_errorf(NASW_EPARSE, "%.200s: empty table (no header)", path);
    return NASW_OK;
}

/* JSON value as a text field. */
static char *json_field(json_t *v)
{
    char buf[64];
    if (json_is_string(v)) return xstrdup(json_string_value(v));
    if (json_is_integer(v)) {
        snprintf(buf, sizeof buf, "%lld", (long long)json_integer_value(v));
        return xstrdup(buf);
    }
    if (json_is_real(v)) {
        snprintf(buf, sizeof buf, "%.17g", json_real_value(v));
        return xstrdup(buf);
    }
    if (json_is_null(v)) return xstrdup("nan"); /* rejected later as NaN, naming the column */
    return NULL;
}

static int load_json(struct rows *r, const char *data, size_t len, const char *path, json_t **meta)
{
    json_error_t err;
    json_t *root = json_loadb(data, len, 0, &err);
    *meta = NULL;
    if (!root) return nasw_errorf(NASW_EPARSE, "%.200s:%d: %s", path, err.line, err.text);
    json_t *arr = root;
    if (json_is_object(root)) {
        const char *k;
        json_t *v;
        json_object_foreach(root, k, v)
        {
            if (strcmp(k, "meta") && strcmp(k, "rows")) {
                json_decref(root);
                return nasw_errorf(NASW_EPARSE, "%.200s: unknown top-level key '%.64s' (expected meta, rows)",
                                   path, k);
            }
        }
        arr = json_object_get(root, "rows");
        json_t *m = json_object_get(root, "meta");
        if (m) {
            if (!json_is_object(m)) {
                json_decref(root);
                return nasw_errorf(NASW_EPARSE, "%.200s: \"meta\" must be an object", path);
            }
            *meta = json_incref(m);
        }
    }
    if (!json_is_array(arr)) {
        json_decref(root);
        json_decref(*meta);
        *meta = NULL;
        return nasw_errorf(NASW_EPARSE, "%.200s: expected an array of rows or {\"rows\": [...]}", path);
    }
    int st = NASW_OK;
    size_t i;
    json_t *row;
    json_array_foreach(arr, i, row)
    {
        if (!json_is_object(row)) {
            st = nasw_errorf(NASW_EPARSE, "%.200s: rows[%zu]: not an object", path, i);
            break;
        }
        if (!r->header) {
            int n = (int)json_object_size(row);
            char **h = calloc((size_t)n ? (size_t)n : 1, sizeof *h);
            const char *k;
            json_t *v;
            int j = 0;
            if (!h) {
                st = nasw_errorf(NASW_ENOMEM, "out of memory");
                break;
            }
            json_object_foreach(row, k, v) h[j++] = xstrdup(k);
            if ((st = rows_add(r, h, n, 0))) {
                free(h);
                break;
            }
            free(h);
        }
        if ((int)json_object_size(row) != r->n_cols) {
            st = nasw_errorf(NASW_EPARSE, "%.200s: rows[%zu]: expected %d keys, got %zu", path, i, r->n_cols,
                             json_object_size(row));
            break;
        }
        char **f = calloc((size_t)r->n_cols, sizeof *f);
        if (!f) {
            st = nasw_errorf(NASW_ENOMEM, "out of memory");
            break;
        }
        for (int j = 0; j < r->n_cols && !st; j++) {
            json_t *v = json_object_get(row, r->header[j]);
            if (!v) st = nasw_errorf(NASW_EPARSE, "%.200s: rows[%zu]: missing '%.64s'", path, i, r->header[j]);
            else if (!(f[j] = json_field(v)))
                st = nasw_errorf(NASW_EPARSE, "%.200s: rows[%zu]: '%.64s' is not a number or string", path, i,
                                 r->header[j]);
        }
        if (st) {
            for (int j = 0; j < r->n_cols; j++) free(f[j]);
            free(f);
            break;
        }
        st = rows_add(r, f, r->n_cols, (long)i);
        free(f);
        if (st) break;
    }
    json_decref(root);
    if (st == NASW_OK && !r->header) st = nasw_errorf(NASW_EPARSE, "%.200s: no rows", path);
    if (st) {
        json_decref(*meta);
        *meta = NULL;
    }
    return st;
}

/* --- sidecar ------------------------------------------------------------ */

struct sidecar {
    char *search, *report, *cost, *dataset, *curves;
    int hib, report_hib; /* -1 unset, 0/1 */
};

static void sidecar_release(struct sidecar *s)
{
    free(s->search);
    free(s->report);
    free(s->cost);
    free(s->dataset);
    free(s->curves);
}

static int sidecar_from_json(struct sidecar *sc, json_t *m, const char *where_s, const char *dir)
{
    const char *k;
    json_t *v;
    json_object_foreach(m, k, v)
    {
        char **dst = !strcmp(k, "search_metric") ? &sc->search
                     : !strcmp(k, "report_metric") ? &sc->report
                     : !strcmp(k, "cost_metric")   ? &sc->cost
                     : !strcmp(k, "dataset")       ? &sc->dataset
                     : !strcmp(k, "curves")        ? &sc->curves
                                                   : NULL;
        if (dst) {
            if (!json_is_string(v))
                return nasw_errorf(NASW_EPARSE, "%s: \"%s\" must be a string", where_s, k);
            free(*dst);
            if (dst == &sc->curves && dir && json_string_value(v)[0] != '/') {
                size_t n = strlen(dir) + strlen(json_string_value(v)) + 2;
                *dst = malloc(n);
                if (*dst) snprintf(*dst, n, "%s/%s", dir, json_string_value(v));
            } else {
                *dst = xstrdup(json_string_value(v));
            }
            if (!*dst) return nasw_errorf(NASW_ENOMEM, "out of memory");
        } else if (!strcmp(k, "higher_is_better") || !strcmp(k, "report_higher_is_better")) {
            if (!json_is_boolean(v)) return nasw_errorf(NASW_EPARSE, "%s: \"%s\" must be true or false", where_s, k);
            *(!strcmp(k, "higher_is_better") ? &sc->hib : &sc->report_hib) = json_is_true(v);
        } else {
            return nasw_errorf(NASW_EPARSE,
                               "%s: unknown key '%.64s' (known: search_metric, report_metric, cost_metric, "
                               "higher_is_better, report_higher_is_better, dataset, curves)",
                               where_s, k);
        }
    }
    return NASW_OK;
}

static int load_sidecar(struct sidecar *sc, const char *path)
{
    char side[4200], dir[4200];
    snprintf(side, sizeof side, "%s.meta.json", path);
    FILE *f = fopen(side, "r");
    if (!f) return NASW_OK; /* no sidecar */
    fclose(f);
    json_error_t err;
    json_t *m = json_load_file(side, 0, &err);
    if (!m) return nasw_errorf(NASW_EPARSE, "%.200s:%d: %s", side, err.line, err.text);
    if (!json_is_object(m)) {
        json_decref(m);
        return nasw_errorf(NASW_EPARSE, "%.200s: expected a JSON object", side);
    }
    snprintf(dir, sizeof dir, "%s", path);
    char *slash = strrchr(dir, '/');
    if (slash) *slash = '\0';
    else strcpy(dir, ".");
    int st = sidecar_from_json(sc, m, side, dir);
    json_decref(m);
    return st;
}

/* --- detection ------------------------------------------------------------ */

static const char *const SEARCH_NAMES[] = {"val_acc", "valid_acc", "val_accuracy", "val_acc_mean", "val_loss",
                                           "valid_loss", "val_ppl", "val_perplexity", NULL};
static const char *const REPORT_NAMES[] = {"test_acc", "test_accuracy", "test_acc_mean", "test_loss",
                                           "test_ppl", "test_perplexity", NULL};
static const char *const COST_NAMES[] = {"cost_s", "train_time_s", "train_seconds", "time_s", "wall_time_s",
                                         "training_time", NULL};

static int lower_is_better_name(const char *n)
{
    return strstr(n, "loss") || strstr(n, "ppl") || strstr(n, "perplexity") || strstr(n, "err") ||
           strstr(n, "latency");
}

static int is_id_name(const char *n)
{
    size_t len = strlen(n);
    return !strcmp(n, "arch_index") || !strcmp(n, "naslib_ops") || !strcmp(n, "epoch") ||
           !strcmp(n, "epochs") || !strcmp(n, "failed") ||
           !strncmp(n, "is_", 3) || (len > 3 && !strcmp(n + len - 3, "_id")) || !strcmp(n, "id") ||
           !strcmp(n, "index");
}

int table_metric_index(const struct table *t, const char *name)
{
    for (int m = 0; m < t->n_metrics; m++)
        if (!strcmp(t->metric_names[m], name)) return m;
    return -1;
}

static int pick(const struct table *t, const char *const *names)
{
    for (int i = 0; names[i]; i++) {
        int m = table_metric_index(t, names[i]);
        if (m >= 0 && !t->metric_is_id[m]) return m;
    }
    return -1;
}

static int unknown_column(const struct table *t, const char *what, const char *name)
{
    char list[2048];
    size_t len = 0;
    list[0] = '\0';
    for (int m = 0; m < t->n_metrics && len < sizeof list; m++)
        len += (size_t)snprintf(list + len, sizeof list - len, "%s%s", m ? ", " : "", t->metric_names[m]);
    return nasw_errorf(NASW_ENOTFOUND, "%.200s: unknown %s column '%.64s' (numeric columns: %s)", t->path, what,
                       name, list);
}

static int resolve_metrics(struct table *t, const struct table_opts *o, const struct sidecar *sc)
{
    const char *s = o->search_metric ? o->search_metric : sc->search;
    const char *r = o->report_metric ? o->report_metric : sc->report;
    const char *c = o->cost_metric ? o->cost_metric : sc->cost;
    t->search = s ? table_metric_index(t, s) : pick(t, SEARCH_NAMES);
    if (s && t->search < 0) return unknown_column(t, "search metric", s);
    t->report = r ? table_metric_index(t, r) : pick(t, REPORT_NAMES);
    if (r && t->report < 0) return unknown_column(t, "report metric", r);
    t->cost = c ? table_metric_index(t, c) : pick(t, COST_NAMES);
    if (c && t->cost < 0) return unknown_column(t, "cost", c);
    if (t->search < 0 && t->report < 0)
        return nasw_errorf(NASW_EINVAL,
                           "%.200s: cannot tell which column to search on (no val_acc, test_acc, ...): "
                           "use --metric NAME or a sidecar %.200s.meta.json",
                           t->path, t->path);
    if (t->search < 0) {
        t->search = t->report;
        t->no_validation = 1;
    }
    if (t->report < 0) t->report = t->search;
    for (int m = 0; m < t->n_metrics; m++) t->metric_hib[m] = !lower_is_better_name(t->metric_names[m]);
    if (o->direction) t->metric_hib[t->search] = o->direction > 0;
    else if (sc->hib >= 0) t->metric_hib[t->search] = sc->hib;
    if (sc->report_hib >= 0) t->metric_hib[t->report] = sc->report_hib;
    else if (o->direction || sc->hib >= 0) t->metric_hib[t->report] = t->metric_hib[t->search];
    return NASW_OK;
}

/* --- building the table from rows --------------------------------------- */

static int build(struct table *t, struct rows *r, const struct table_opts *o, const struct sidecar *sc)
{
    char loc[4200];
    int arch_col = -1, ds_col = -1, ep_col = -1;
    for (int j = 0; j < r->n_cols; j++) {
        for (int k = 0; k < j; k++)
            if (!strcmp(r->header[j], r->header[k]))
                return nasw_errorf(NASW_EPARSE, "%s: duplicate column '%.64s'", where(t, t->is_json ? 0 : 1, loc, sizeof loc),
                                   r->header[j]);
        if (!strcmp(r->header[j], "arch")) arch_col = j;
        else if (!strcmp(r->header[j], "dataset")) ds_col = j;
        else if (!strcmp(r->header[j], "epoch")) ep_col = j;
    }
    if (arch_col < 0) return nasw_errorf(NASW_EPARSE, "%.200s: no 'arch' column", t->path);
    if (r->n_rows == 0) return nasw_errorf(NASW_EPARSE, "%.200s: no data rows", t->path);
    /* column types from the first data row */
    int *num = calloc((size_t)r->n_cols, sizeof *num);
    if (!num) return nasw_errorf(NASW_ENOMEM, "out of memory");
    t->n_metrics = 0;
    t->n_strings = 0;
    for (int j = 0; j < r->n_cols; j++) {
        double v;
        if (j == arch_col || j == ds_col || j == ep_col) continue;
        /* architecture-valued columns (NAS-Bench-Macro's canonical_arch digit
         * codes) are text even when they parse as numbers */
        num[j] = parse_number(r->fields[j], &v) == 0 &&
                 !(strstr(r->header[j], "arch") && strcmp(r->header[j], "arch_index"));
        if (num[j]) t->n_metrics++;
        else t->n_strings++;
    }
    t->metric_names = calloc((size_t)t->n_metrics + 1, sizeof *t->metric_names);
    t->metric_is_id = calloc((size_t)t->n_metrics + 1, sizeof *t->metric_is_id);
    t->metric_hib = calloc((size_t)t->n_metrics + 1, sizeof *t->metric_hib);
    t->metric_col = calloc((size_t)t->n_metrics + 1, sizeof *t->metric_col);
    t->string_names = calloc((size_t)t->n_strings + 1, sizeof *t->string_names);
    t->string_col = calloc((size_t)t->n_strings + 1, sizeof *t->string_col);
    int st = NASW_OK;
    if (!t->metric_names || !t->metric_is_id || !t->metric_hib || !t->metric_col || !t->string_names || !t->string_col) {
        free(num);
        return nasw_errorf(NASW_ENOMEM, "out of memory");
    }
    int mi = 0, si = 0;
    for (int j = 0; j < r->n_cols; j++) {
        if (j == arch_col || j == ds_col || j == ep_col) continue;
        if (num[j]) {
            t->metric_col[mi] = j;
            t->metric_is_id[mi] = is_id_name(r->header[j]);
            if (!(t->metric_names[mi++] = xstrdup(r->header[j]))) st = NASW_ENOMEM;
        } else {
            t->string_col[si] = j;
            if (!(t->string_names[si++] = xstrdup(r->header[j]))) st = NASW_ENOMEM;
        }
    }
    free(num);
    if (st) return nasw_errorf(NASW_ENOMEM, "out of memory");
    if ((st = resolve_metrics(t, o, sc))) return st;

    /* values of every input row (curve files: every epoch) */
    long n = r->n_rows;
    double *vals = malloc(sizeof *vals * (size_t)n * (size_t)(t->n_metrics ? t->n_metrics : 1));
    long *epochs = ep_col >= 0 ? malloc(sizeof *epochs * (size_t)n) : NULL;
    const char **archs = malloc(sizeof *archs * (size_t)n);
    if (!vals || !archs || (ep_col >= 0 && !epochs)) {
        free(vals);
        free(epochs);
        free(archs);
        return nasw_errorf(NASW_ENOMEM, "out of memory");
    }
    for (long i = 0; i < n && !st; i++) {
        char **f = r->fields + i * r->n_cols;
        archs[i] = f[arch_col];
        for (int m = 0; m < t->n_metrics && !st; m++) {
            const char *s = f[t->metric_col[m]];
            double v;
            if (!*s)
                st = nasw_errorf(NASW_EPARSE, "%s: column '%s': empty value", where(t, r->line[i], loc, sizeof loc),
                                 t->metric_names[m]);
            else if (parse_number(s, &v))
                st = nasw_errorf(NASW_EPARSE, "%s: column '%s': '%.64s' is not a number",
                                 where(t, r->line[i], loc, sizeof loc), t->metric_names[m], s);
            else if (isnan(v) || (isinf(v) && (m == t->search || m == t->report || m == t->cost)))
                /* NaN never; infinities only in auxiliary columns (zero-cost
                 * proxies such as nwot store -inf) */
                st = nasw_errorf(NASW_EPARSE, "%s: column '%s': '%.64s' is not a %s number",
                                 where(t, r->line[i], loc, sizeof loc), t->metric_names[m], s,
                                 isnan(v) ? "valid" : "finite");
            else vals[i * t->n_metrics + m] = v;
        }
        if (!st && ep_col >= 0) {
            double e;
            if (parse_number(f[ep_col], &e) || e != floor(e) || e < 0 || e > 1e7)
                st = nasw_errorf(NASW_EPARSE, "%s: column 'epoch': '%.64s' is not an epoch number",
                                 where(t, r->line[i], loc, sizeof loc), f[ep_col]);
            else epochs[i] = (long)e;
        }
        if (!st && ds_col >= 0 && !*f[ds_col])
            st = nasw_errorf(NASW_EPARSE, "%s: empty dataset", where(t, r->line[i], loc, sizeof loc));
    }
    size_t bad;
    if (!st && (st = space_infer(&t->space, archs, (size_t)n, &bad)))
        st = nasw_errorf(st, "%s: %s", where(t, r->line[bad], loc, sizeof loc), nasw_errmsg());
    free(archs);
    if (!st) st = table_group_rows(t, r->fields, r->n_cols, r->line, n, arch_col, ds_col, vals, epochs,
                                   o->dataset ? o->dataset : sc->dataset ? sc->dataset : "default");
    free(vals);
    free(epochs);
    return st;
}

/* --- public -------------------------------------------------------------- */

void table_default_opts(struct table_opts *o) { memset(o, 0, sizeof *o); }

int table_load(struct table **out, const char *path, const struct table_opts *o)
{
    *out = NULL;
    struct table_opts defaults;
    if (!o) {
        table_default_opts(&defaults);
        o = &defaults;
    }
    struct table *t = calloc(1, sizeof *t);
    if (!t || !(t->path = xstrdup(path))) {
        free(t);
        return nasw_errorf(NASW_ENOMEM, "out of memory");
    }
    t->cost = -1;
    struct sidecar sc = {.hib = -1, .report_hib = -1};
    struct rows r = {.t = t};
    char *data = NULL;
    size_t len = 0;
    json_t *meta = NULL;
    int st = o->no_sidecar ? NASW_OK : load_sidecar(&sc, path);
    if (!st) st = read_file(path, &data, &len);
    if (!st) {
        snprintf(t->checksum, sizeof t->checksum, "%016llx",
                 (unsigned long long)nasw_fnv1a(NASW_FNV_OFFSET, data, len));
        size_t k = 0;
        while (k < len && isspace((unsigned char)data[k])) k++;
        t->is_json = k < len && (data[k] == '[' || data[k] == '{');
        st = t->is_json ? load_json(&r, data, len, path, &meta) : load_csv(&r, data, len, path);
    }
    free(data);
    if (!st && meta) {
        char w[4200];
        snprintf(w, sizeof w, "%s: meta", path);
        struct sidecar inl = {.hib = -1, .report_hib = -1};
        st = sidecar_from_json(&inl, meta, w, NULL);
        /* the sidecar file overrides the inline meta */
        if (!st) {
#define TAKE(f)                                                                                    \
    if (!sc.f) {                                                                                   \
        sc.f = inl.f;                                                                              \
        inl.f = NULL;                                                                              \
    }
            TAKE(search) TAKE(report) TAKE(cost) TAKE(dataset) TAKE(curves)
#undef TAKE
            if (sc.hib < 0) sc.hib = inl.hib;
            if (sc.report_hib < 0) sc.report_hib = inl.report_hib;
        }
        sidecar_release(&inl);
    }
    json_decref(meta);
    if (!st) st = build(t, &r, o, &sc);
    rows_release(&r);
    const char *curves = o->curves_path ? o->curves_path : sc.curves;
    if (!st && curves) st = table_attach_curves(t, curves);
    sidecar_release(&sc);
    if (st) {
        table_free(t);
        return st;
    }
    *out = t;
    return NASW_OK;
}

void table_free(struct table *t)
{
    if (!t) return;
    free(t->path);
    for (int m = 0; m < t->n_metrics; m++) free(t->metric_names[m]);
    free(t->metric_names);
    free(t->metric_is_id);
    free(t->metric_hib);
    free(t->metric_col);
    for (int s = 0; s < t->n_strings; s++) free(t->string_names[s]);
    free(t->string_names);
    free(t->string_col);
    if (t->strings)
        for (long i = 0; i < t->n_rows * (long)t->n_strings; i++) free(t->strings[i]);
    free(t->strings);
    free(t->values);
    free(t->row_arch);
    free(t->row_dataset);
    free(t->row_line);
    for (int d = 0; d < t->n_datasets; d++) {
        free(t->datasets[d]);
        hashmap_release(&t->index[d]);
    }
    free(t->datasets);
    free(t->index);
    free(t->dataset_rows);
    free(t->curve_len);
    free(t->curve_first);
    free(t->curve_off);
    free(t->curve_vals);
    table_free(t->curve_src);
    free(t->curve_row);
    free(t->curve_metric);
    space_free(t->space);
    free(t);
}
