/*
 * tables/table.c - table_load(): sidecar metadata, column types, which
 * column is searched / reported / charged, strict numbers, the space.
 *
 * Order of a load: the sidecar PATH.meta.json (if any), the file read in one
 * go and checksummed (FNV-1a 64 of its bytes), rows.c turns it into text
 * rows, then build() here: column types from every value of each column (a
 * column is numeric when all its non-empty values are numbers), roles
 * resolved (flags > sidecar > detection from names, see docs/tables.md); a
 * role whose column holds text is an error naming the first such value,
 * never a silent switch to another column; every number parsed with strtod
 * and an end check, the space inferred from every arch string, and group.c
 * makes the table rows and the per-dataset index; the sidecar's "columns"
 * (axis labels and units) are matched to the numeric columns after that
 * (apply_columns).  A curve file named by flag or sidecar is loaded the same
 * way and attached last.
 *
 * A leading UTF-8 byte order mark (spreadsheets write one) is skipped in
 * tables and sidecars; the checksum still covers the file's bytes.
 *
 * Errors name their place: "path:line: ..." (CSV), "path: rows[i]: ..."
 * (JSON), "PATH.meta.json:line: ..." (sidecar).  Not here: the bench
 * backend (tbench.c), grouping and accessors (group.c).
 */
#include "tables/table.h"

#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/hashmap.h"
#include "core/io.h"
#include "core/status.h"
#include "tables/table_impl.h"

#define LOC_MAX 4300

static char *xstrdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *p = malloc(n);
    if (p) memcpy(p, s, n);
    return p;
}

/* Length of a leading UTF-8 byte order mark (0 or 3). */
static size_t bom_len(const char *data, size_t len)
{
    return len >= 3 && !memcmp(data, "\xef\xbb\xbf", 3) ? 3 : 0;
}

/* Strict number: the whole field (surrounding blanks allowed) is one
 * strtod number.  nan and inf parse; the caller decides about them. */
static int parse_number(const char *s, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (end == s) return -1;
    while (*end == ' ' || *end == '\t' || *end == '\r') end++;
    if (*end || (errno == ERANGE && fabs(v) > 1.0)) return -1; /* overflow; underflow to 0 is fine */
    *out = v;
    return 0;
}

const char *table_where(const struct table *t, long line, char *buf, size_t n)
{
    if (t->is_json) snprintf(buf, n, "%s: rows[%ld]", t->path, line);
    else snprintf(buf, n, "%s:%ld", t->path, line);
    return buf;
}

/* --- sidecar ------------------------------------------------------------ */

/* A string setting and where it was written ("x.meta.json:3"). */
struct setting {
    char *val;
    char *loc;
};

struct sidecar {
    struct setting search, report, cost, dataset, curves;
    int hib, report_hib; /* -1 unset, else 0/1 */
    char *hib_loc;
    /* "columns": checked in shape when read, its names against the table's
     * columns once they are known (apply_columns) */
    json_t *columns;
    json_t *column_locs; /* column name -> "x.meta.json:LINE" of its entry */
};

static void setting_release(struct setting *s)
{
    free(s->val);
    free(s->loc);
    s->val = s->loc = NULL;
}

static void sidecar_release(struct sidecar *s)
{
    setting_release(&s->search);
    setting_release(&s->report);
    setting_release(&s->cost);
    setting_release(&s->dataset);
    setting_release(&s->curves);
    free(s->hib_loc);
    json_decref(s->columns);
    json_decref(s->column_locs);
}

/* Line of `"key":` in a JSON text (1-based), 0 if not found. */
static long key_line(const char *text, const char *key)
{
    if (!text) return 0;
    size_t klen = strlen(key);
    for (const char *p = strchr(text, '"'); p; p = strchr(p + 1, '"')) {
        if (strncmp(p + 1, key, klen) || p[1 + klen] != '"') continue;
        const char *q = p + klen + 2;
        while (*q == ' ' || *q == '\t' || *q == '\r' || *q == '\n') q++;
        if (*q != ':') continue;
        long line = 1;
        for (const char *c = text; c < p; c++) line += *c == '\n';
        return line;
    }
    return 0;
}

/* Where a key is: "file:line" when the text is known, else `base`. */
static char *key_loc(const char *base, const char *text, const char *key)
{
    char buf[LOC_MAX];
    long line = key_line(text, key);
    if (line > 0) snprintf(buf, sizeof buf, "%s:%ld", base, line);
    else snprintf(buf, sizeof buf, "%s", base);
    return xstrdup(buf);
}

/* Axis text from a sidecar: printable (no control characters, which would
 * break a gnuplot script or a CSV line), at most max bytes. */
static int check_axis_text(const char *loc, const char *col, const char *key, json_t *v, int may_be_empty, size_t max)
{
    const char *what = may_be_empty ? "a string" : "a non-empty string";
    if (!json_is_string(v) || (!may_be_empty && !*json_string_value(v)))
        return nasw_errorf(NASW_EPARSE, "%s: \"columns\": '%.64s': \"%s\" must be %s", loc, col, key, what);
    const char *s = json_string_value(v);
    if (strlen(s) > max)
        return nasw_errorf(NASW_EPARSE, "%s: \"columns\": '%.64s': \"%s\" is longer than %zu bytes", loc, col, key,
                           max);
    for (const unsigned char *c = (const unsigned char *)s; *c; c++)
        if (*c < 0x20 || *c == 0x7f)
            return nasw_errorf(NASW_EPARSE, "%s: \"columns\": '%.64s': \"%s\" has a control character", loc, col,
                               key);
    return NASW_OK;
}

/* The shape of "columns": {"COLUMN": {"label": "...", "unit": "..."}, ...};
 * each entry's place into locs (for the errors of apply_columns). */
static int check_columns(json_t *v, const char *base, const char *text, json_t *locs)
{
    char *loc = key_loc(base, text, "columns");
    if (!loc) return nasw_errorf(NASW_ENOMEM, "out of memory");
    int st = NASW_OK;
    if (!json_is_object(v))
        st = nasw_errorf(NASW_EPARSE, "%s: \"columns\" must be an object of column names", loc);
    const char *col;
    json_t *e;
    json_object_foreach(v, col, e)
    {
        if (st) break;
        char *cloc = key_loc(base, text, col);
        if (!cloc) {
            st = nasw_errorf(NASW_ENOMEM, "out of memory");
            break;
        }
        if (!json_is_object(e) || json_object_size(e) == 0)
            st = nasw_errorf(NASW_EPARSE, "%s: \"columns\": '%.64s' must be an object with \"label\" and/or \"unit\"",
                             cloc, col);
        if (!st && json_object_set_new(locs, col, json_string(cloc)))
            st = nasw_errorf(NASW_ENOMEM, "out of memory");
        const char *k;
        json_t *x;
        json_object_foreach(e, k, x)
        {
            if (st) break;
            if (!strcmp(k, "label")) st = check_axis_text(cloc, col, k, x, 0, TABLE_LABEL_MAX);
            else if (!strcmp(k, "unit")) st = check_axis_text(cloc, col, k, x, 1, TABLE_UNIT_MAX);
            else
                st = nasw_errorf(NASW_EPARSE, "%s: \"columns\": '%.64s': unknown key '%.64s' (known: label, unit)",
                                 cloc, col, k);
        }
        free(cloc);
    }
    free(loc);
    return st;
}

/* Read the sidecar fields of object m.  base: the sidecar's path (text: its
 * contents, for line numbers) or "table.json: meta" (text NULL).  dir: the
 * directory relative "curves" paths start from. */
static int sidecar_from_json(struct sidecar *sc, json_t *m, const char *base, const char *text, const char *dir)
{
    const char *k;
    json_t *v;
    json_object_foreach(m, k, v)
    {
        struct setting *dst = !strcmp(k, "search_metric") ? &sc->search
                              : !strcmp(k, "report_metric") ? &sc->report
                              : !strcmp(k, "cost_metric")   ? &sc->cost
                              : !strcmp(k, "dataset")       ? &sc->dataset
                              : !strcmp(k, "curves")        ? &sc->curves
                                                            : NULL;
        char *loc = key_loc(base, text, k);
        if (!loc) return nasw_errorf(NASW_ENOMEM, "out of memory");
        if (dst) {
            if (!json_is_string(v) || !*json_string_value(v)) {
                int st = nasw_errorf(NASW_EPARSE, "%s: \"%s\" must be a non-empty string", loc, k);
                free(loc);
                return st;
            }
            const char *s = json_string_value(v);
            setting_release(dst);
            dst->loc = loc;
            if (dst == &sc->curves && s[0] != '/' && dir) {
                size_t n = strlen(dir) + strlen(s) + 2;
                if ((dst->val = malloc(n))) snprintf(dst->val, n, "%s/%s", dir, s);
            } else {
                dst->val = xstrdup(s);
            }
            if (!dst->val) return nasw_errorf(NASW_ENOMEM, "out of memory");
        } else if (!strcmp(k, "higher_is_better") || !strcmp(k, "report_higher_is_better")) {
            if (!json_is_boolean(v)) {
                int st = nasw_errorf(NASW_EPARSE, "%s: \"%s\" must be true or false", loc, k);
                free(loc);
                return st;
            }
            if (!strcmp(k, "higher_is_better")) {
                sc->hib = json_is_true(v);
                free(sc->hib_loc);
                sc->hib_loc = loc;
            } else {
                sc->report_hib = json_is_true(v);
                free(loc);
            }
        } else if (!strcmp(k, "training")) { /* how the live trainer made the table: read by it, not here */
            if (!json_is_object(v)) {
                int st = nasw_errorf(NASW_EPARSE, "%s: \"%s\" must be an object", loc, k);
                free(loc);
                return st;
            }
            free(loc);
        } else if (!strcmp(k, "columns")) {
            free(loc);
            json_t *locs = json_object();
            if (!locs) return nasw_errorf(NASW_ENOMEM, "out of memory");
            int st = check_columns(v, base, text, locs);
            if (st) {
                json_decref(locs);
                return st;
            }
            json_decref(sc->columns);
            json_decref(sc->column_locs);
            sc->columns = json_incref(v);
            sc->column_locs = locs;
        } else {
            int st = nasw_errorf(NASW_EPARSE,
                                 "%s: unknown key '%.64s' (known: search_metric, report_metric, cost_metric, "
                                 "higher_is_better, report_higher_is_better, dataset, curves, columns)",
                                 loc, k);
            free(loc);
            return st;
        }
    }
    return NASW_OK;
}

/* Directory of a path ("." if none), for relative "curves" paths. */
static void dir_of(const char *path, char *dir, size_t n)
{
    snprintf(dir, n, "%s", path);
    char *slash = strrchr(dir, '/');
    if (slash == dir) dir[1] = '\0';
    else if (slash) *slash = '\0';
    else snprintf(dir, n, ".");
}

static int load_sidecar(struct sidecar *sc, const char *path)
{
    char side[LOC_MAX], dir[LOC_MAX];
    snprintf(side, sizeof side, "%s.meta.json", path);
    char *text;
    size_t len;
    int st = nasw_read_input(side, "sidecar", 1, &text, &len);
    if (st || !text) return st; /* an error, or no sidecar */
    json_error_t err;
    size_t bom = bom_len(text, len);
    json_t *m = json_loadb(text + bom, len - bom, JSON_REJECT_DUPLICATES, &err);
    if (!m) st = nasw_errorf(NASW_EPARSE, "%.200s:%d: %s", side, err.line, err.text);
    else if (!json_is_object(m)) st = nasw_errorf(NASW_EPARSE, "%.200s:1: expected a JSON object", side);
    else {
        dir_of(path, dir, sizeof dir);
        st = sidecar_from_json(sc, m, side, text, dir);
    }
    json_decref(m);
    free(text);
    return st;
}

/* Fill unset settings of sc from the inline {"meta": ...} of a JSON table:
 * the sidecar file wins over the inline meta. */
static int merge_inline_meta(struct sidecar *sc, json_t *meta, const char *path)
{
    char base[LOC_MAX], dir[LOC_MAX];
    snprintf(base, sizeof base, "%s: meta", path);
    dir_of(path, dir, sizeof dir);
    struct sidecar in = {.hib = -1, .report_hib = -1};
    int st = sidecar_from_json(&in, meta, base, NULL, dir);
    if (!st) {
        struct setting *to[] = {&sc->search, &sc->report, &sc->cost, &sc->dataset, &sc->curves};
        struct setting *from[] = {&in.search, &in.report, &in.cost, &in.dataset, &in.curves};
        for (int i = 0; i < 5; i++)
            if (!to[i]->val) {
                *to[i] = *from[i];
                from[i]->val = from[i]->loc = NULL;
            }
        if (sc->hib < 0) {
            sc->hib = in.hib;
            free(sc->hib_loc);
            sc->hib_loc = in.hib_loc;
            in.hib_loc = NULL;
        }
        if (sc->report_hib < 0) sc->report_hib = in.report_hib;
        if (!sc->columns) {
            sc->columns = in.columns;
            sc->column_locs = in.column_locs;
            in.columns = in.column_locs = NULL;
        }
    }
    sidecar_release(&in);
    return st;
}

/* --- column roles ---------------------------------------------------------- */

/* "a, b, c": the numeric columns, for error messages (cut to n bytes). */
static const char *metric_list(const struct table *t, char *list, size_t n)
{
    size_t len = 0;
    list[0] = '\0';
    for (int m = 0; m < t->n_metrics && len < n; m++)
        len += (size_t)snprintf(list + len, n - len, "%s%s", m ? ", " : "", t->metric_names[m]);
    return list;
}

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

/* Numeric columns that identify rather than measure: never detected as a
 * search, report or cost metric (they may still be named explicitly). */
static int is_id_name(const char *n)
{
    size_t len = strlen(n);
    return !strcmp(n, "arch_index") || !strcmp(n, "naslib_ops") || !strcmp(n, "epoch") || !strcmp(n, "epochs") ||
           !strcmp(n, "failed") || !strcmp(n, "id") || !strcmp(n, "index") || !strncmp(n, "is_", 3) ||
           (len > 3 && !strcmp(n + len - 3, "_id"));
}

int table_metric_index(const struct table *t, const char *name)
{
    for (int m = 0; m < t->n_metrics; m++)
        if (!strcmp(t->metric_names[m], name)) return m;
    return -1;
}

/* A search, report or cost column that is text: name the first value that
 * is not a number (file:line and column), so that the user sees the typo
 * rather than a search on another column. */
static int text_role_error(const struct table *t, const struct rows *r, int s, const char *loc)
{
    char w[LOC_MAX];
    const char *name = t->string_names[s];
    int j = t->string_col[s];
    for (long i = 0; i < r->n_rows; i++) {
        const char *f = r->fields[i * r->n_cols + j];
        double v;
        if (!*f)
            return nasw_errorf(NASW_EPARSE, "%s: column '%.64s': empty value",
                               table_where(t, r->line[i], w, sizeof w), name);
        if (parse_number(f, &v))
            return nasw_errorf(NASW_EPARSE, "%s: column '%.64s': '%.64s' is not a number",
                               table_where(t, r->line[i], w, sizeof w), name, f);
    }
    /* every value a number: an architecture-valued column */
    return nasw_errorf(NASW_EINVAL, "%.200s: column '%.64s' holds architectures, not a metric", loc ? loc : t->path,
                       name);
}

/* The metric column named by a flag (loc NULL: the table's path) or a
 * sidecar setting.  lenient: an absent column gives -1, no error (a text
 * column is an error all the same). */
static int named_metric(const struct table *t, const struct rows *r, const char *name, const char *loc, int lenient,
                        int *out)
{
    *out = table_metric_index(t, name);
    if (*out >= 0) return NASW_OK;
    int s = table_string_index(t, name);
    if (s >= 0) return text_role_error(t, r, s, loc);
    if (lenient) return NASW_OK;
    if (!loc) loc = t->path;
    char list[2048];
    return nasw_errorf(NASW_ENOTFOUND, "%.200s: unknown column '%.64s' (columns: %s)", loc, name,
                       metric_list(t, list, sizeof list));
}

/* The first of `names` that is a column; -1 if none.  A candidate that is
 * a text column is an error, not a reason to try the next name. */
static int detect(const struct table *t, const struct rows *r, const char *const *names, int *out)
{
    *out = -1;
    for (int i = 0; names[i]; i++) {
        int m = table_metric_index(t, names[i]);
        if (m >= 0 && !t->metric_is_id[m]) {
            *out = m;
            return NASW_OK;
        }
        int s = table_string_index(t, names[i]);
        if (s >= 0) return text_role_error(t, r, s, NULL);
    }
    return NASW_OK;
}

static int resolve_roles(struct table *t, const struct rows *r, const struct table_opts *o, const struct sidecar *sc,
                         int lenient)
{
    struct {
        const char *flag;
        const struct setting *side;
        const char *const *names;
        int *out;
    } role[3] = {{o->search_metric, &sc->search, SEARCH_NAMES, &t->search},
                 {o->report_metric, &sc->report, REPORT_NAMES, &t->report},
                 {o->cost_metric, &sc->cost, COST_NAMES, &t->cost}};
    for (int i = 0; i < 3; i++) {
        int st;
        *role[i].out = -1;
        if (role[i].flag) st = named_metric(t, r, role[i].flag, NULL, lenient, role[i].out);
        else if (role[i].side->val) st = named_metric(t, r, role[i].side->val, role[i].side->loc, lenient, role[i].out);
        else st = NASW_OK;
        if (!st && *role[i].out < 0) st = detect(t, r, role[i].names, role[i].out);
        if (st) return st;
    }
    if (t->search < 0 && t->report < 0) {
        if (lenient) return NASW_OK; /* the owner checks what it needs */
        return nasw_errorf(NASW_EINVAL,
                           "%.200s: cannot tell which column to search on (none of val_acc, valid_acc, ..., "
                           "test_acc, ...): name it with --metric NAME or \"search_metric\" in %.200s.meta.json",
                           t->path, t->path);
    }
    if (t->search < 0) {
        t->search = t->report;
        t->no_validation = 1;
    }
    if (t->report < 0) t->report = t->search;
    for (int m = 0; m < t->n_metrics; m++) t->metric_hib[m] = !lower_is_better_name(t->metric_names[m]);
    int set = o->direction ? o->direction > 0 : sc->hib;
    if (set >= 0) t->metric_hib[t->search] = set;
    if (sc->report_hib >= 0) {
        if (t->report == t->search && set >= 0 && set != sc->report_hib)
            return nasw_errorf(NASW_EINVAL,
                               "%.200s: the search and report metric are the same column '%.64s' but are given "
                               "opposite directions",
                               t->path, t->metric_names[t->search]);
        t->metric_hib[t->report] = sc->report_hib;
    } else if (set >= 0) {
        t->metric_hib[t->report] = set;
    }
    return NASW_OK;
}

/* --- building the table from rows --------------------------------------- */

/* Columns whose values are architectures (NAS-Bench-Macro's canonical_arch
 * digit codes) are text even when they look like numbers. */
static int is_arch_like(const char *n) { return strstr(n, "arch") && !is_id_name(n); }

/* Names are checked for duplicates through a name set: linear in the
 * number of columns (a pairwise check took a minute for 200,000). */
static int find_columns(struct table *t, const struct rows *r, int *arch_col, int *ds_col, int *ep_col)
{
    char loc[LOC_MAX];
    struct hashmap seen = {0};
    int st = NASW_OK;
    *arch_col = *ds_col = *ep_col = -1;
    for (int j = 0; j < r->n_cols && !st; j++) {
        if (!r->header[j][0])
            st = nasw_errorf(NASW_EPARSE, "%s: column %d has no name", table_where(t, r->header_line, loc, sizeof loc),
                             j + 1);
        else if (names_find(&seen, r->header, j, r->header[j]) >= 0)
            st = nasw_errorf(NASW_EPARSE, "%s: duplicate column '%.64s'",
                             table_where(t, r->header_line, loc, sizeof loc), r->header[j]);
        else st = names_add(&seen, r->header[j], j);
    }
    hashmap_release(&seen);
    if (st) return st;
    for (int j = 0; j < r->n_cols; j++) {
        if (!strcmp(r->header[j], "arch")) *arch_col = j;
        else if (!strcmp(r->header[j], "dataset")) *ds_col = j;
        else if (!strcmp(r->header[j], "epoch")) *ep_col = j;
    }
    if (*arch_col < 0) {
        char list[2048];
        size_t len = 0;
        list[0] = '\0';
        for (int j = 0; j < r->n_cols && len < sizeof list; j++)
            len += (size_t)snprintf(list + len, sizeof list - len, "%s%s", j ? ", " : "", r->header[j]);
        return nasw_errorf(NASW_EPARSE, "%s: no 'arch' column (columns: %s)",
                           table_where(t, r->header_line, loc, sizeof loc), list);
    }
    if (r->n_rows == 0) return nasw_errorf(NASW_EPARSE, "%.200s: no data rows", t->path);
    return NASW_OK;
}

/* Column types: numeric if it has a value and every non-empty value is a
 * number (judging by the first row let one typo in it turn a metric column
 * into text, and the search then ran on another column).  Empty values of a
 * numeric column are errors later, in parse_values. */
static int column_types(struct table *t, const struct rows *r, int arch_col, int ds_col, int ep_col)
{
    int n_cols = r->n_cols;
    int *num = calloc((size_t)n_cols, sizeof *num);
    if (!num) return nasw_errorf(NASW_ENOMEM, "out of memory");
    for (int j = 0; j < n_cols; j++) {
        if (j == arch_col || j == ds_col || j == ep_col) continue;
        int any = 0, bad = is_arch_like(r->header[j]);
        for (long i = 0; i < r->n_rows && !bad; i++) {
            const char *f = r->fields[i * n_cols + j];
            double v;
            if (!*f) continue;
            any = 1;
            bad = parse_number(f, &v) != 0;
        }
        num[j] = any && !bad;
        if (num[j]) t->n_metrics++;
        else t->n_strings++;
    }
    size_t nm = (size_t)t->n_metrics + 1, ns = (size_t)t->n_strings + 1;
    t->metric_names = calloc(nm, sizeof *t->metric_names);
    t->metric_is_id = calloc(nm, sizeof *t->metric_is_id);
    t->metric_hib = calloc(nm, sizeof *t->metric_hib);
    t->metric_col = calloc(nm, sizeof *t->metric_col);
    t->string_names = calloc(ns, sizeof *t->string_names);
    t->string_col = calloc(ns, sizeof *t->string_col);
    int st = NASW_OK;
    if (!t->metric_names || !t->metric_is_id || !t->metric_hib || !t->metric_col || !t->string_names ||
        !t->string_col)
        st = NASW_ENOMEM;
    int mi = 0, si = 0;
    for (int j = 0; j < n_cols && !st; j++) {
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
    return st ? nasw_errorf(NASW_ENOMEM, "out of memory") : NASW_OK;
}

/* Every metric value of every row, strictly.  NaN is refused everywhere;
 * infinities only outside the search, report and cost columns (zero-cost
 * proxies such as NB201's nwot store -inf); an empty value only there too,
 * as a missing value (NaN in memory: `nasw score` writes a proxy that is
 * undefined for a cell so). */
static int parse_values(const struct table *t, const struct rows *r, int ds_col, int ep_col, double *vals,
                        long *epochs)
{
    char loc[LOC_MAX];
    int M = t->n_metrics;
    for (long i = 0; i < r->n_rows; i++) {
        char **f = r->fields + i * r->n_cols;
        for (int m = 0; m < M; m++) {
            const char *s = f[t->metric_col[m]];
            double v;
            int role = m == t->search || m == t->report || m == t->cost;
            if (!*s && !role) {
                vals[i * M + m] = NAN;
                continue;
            }
            if (!*s)
                return nasw_errorf(NASW_EPARSE, "%s: column '%.64s': empty value",
                                   table_where(t, r->line[i], loc, sizeof loc), t->metric_names[m]);
            if (parse_number(s, &v))
                return nasw_errorf(NASW_EPARSE, "%s: column '%.64s': '%.64s' is not a number",
                                   table_where(t, r->line[i], loc, sizeof loc), t->metric_names[m], s);
            if (isnan(v) || (isinf(v) && (m == t->search || m == t->report || m == t->cost)))
                return nasw_errorf(NASW_EPARSE, "%s: column '%.64s': '%.64s' is not a finite number",
                                   table_where(t, r->line[i], loc, sizeof loc), t->metric_names[m], s);
            vals[i * M + m] = v;
        }
        if (ep_col >= 0) {
            double e;
            if (parse_number(f[ep_col], &e) || e != floor(e) || e < 0 || e > 1e7)
                return nasw_errorf(NASW_EPARSE, "%s: column 'epoch': '%.64s' is not an epoch number",
                                   table_where(t, r->line[i], loc, sizeof loc), f[ep_col]);
            epochs[i] = (long)e;
        }
        if (ds_col >= 0 && !*f[ds_col])
            return nasw_errorf(NASW_EPARSE, "%s: empty dataset name", table_where(t, r->line[i], loc, sizeof loc));
    }
    return NASW_OK;
}

static int build(struct table *t, const struct rows *r, const struct table_opts *o, const struct sidecar *sc,
                 int lenient)
{
    char loc[LOC_MAX];
    int arch_col, ds_col, ep_col, st;
    if ((st = find_columns(t, r, &arch_col, &ds_col, &ep_col)) || (st = column_types(t, r, arch_col, ds_col, ep_col)) ||
        (st = resolve_roles(t, r, o, sc, lenient)))
        return st;
    long n = r->n_rows;
    double *vals = malloc(sizeof *vals * (size_t)n * (size_t)(t->n_metrics ? t->n_metrics : 1));
    long *epochs = ep_col >= 0 ? malloc(sizeof *epochs * (size_t)n) : NULL;
    const char **archs = malloc(sizeof *archs * (size_t)n);
    if (!vals || !archs || (ep_col >= 0 && !epochs)) st = nasw_errorf(NASW_ENOMEM, "out of memory");
    if (!st) st = parse_values(t, r, ds_col, ep_col, vals, epochs);
    for (long i = 0; i < n && !st; i++) {
        archs[i] = r->fields[i * r->n_cols + arch_col];
        if (!archs[i][0]) st = nasw_errorf(NASW_EPARSE, "%s: empty architecture", table_where(t, r->line[i], loc, sizeof loc));
    }
    size_t bad = 0;
    if (!st && (st = space_infer(&t->space, archs, (size_t)n, &bad)))
        st = nasw_errprefix(st, "%s", table_where(t, r->line[bad < (size_t)n ? bad : 0], loc, sizeof loc));
    if (!st)
        st = table_group_rows(t, r, arch_col, ds_col, vals, epochs,
                              o->dataset ? o->dataset : sc->dataset.val ? sc->dataset.val : "default");
    free(archs);
    free(vals);
    free(epochs);
    return st;
}

/* The sidecar's "columns" onto the table's metrics: every name must be a
 * numeric column (a label for a text column would never be drawn: a typo). */
static int apply_columns(struct table *t, const struct sidecar *sc)
{
    if (!sc->columns) return NASW_OK;
    size_t nm = (size_t)(t->n_metrics ? t->n_metrics : 1);
    if (!(t->metric_label = calloc(nm, sizeof *t->metric_label)) || !(t->metric_unit = calloc(nm, sizeof *t->metric_unit)))
        return nasw_errorf(NASW_ENOMEM, "out of memory");
    const char *col;
    json_t *e;
    json_object_foreach(sc->columns, col, e)
    {
        int m = table_metric_index(t, col);
        if (m < 0) {
            char list[512];
            return nasw_errorf(NASW_EPARSE, "%s: \"columns\": '%.64s' is not a numeric column of '%.200s' (numeric: %s)",
                               json_string_value(json_object_get(sc->column_locs, col)), col, t->path,
                               metric_list(t, list, sizeof list));
        }
        json_t *l = json_object_get(e, "label"), *u = json_object_get(e, "unit");
        if ((l && !(t->metric_label[m] = xstrdup(json_string_value(l)))) ||
            (u && !(t->metric_unit[m] = xstrdup(json_string_value(u)))))
            return nasw_errorf(NASW_ENOMEM, "out of memory");
    }
    return NASW_OK;
}

/* --- public -------------------------------------------------------------- */

void table_default_opts(struct table_opts *o) { memset(o, 0, sizeof *o); }

int table_load_args(struct table **out, const char *path, const struct load_args *a)
{
    *out = NULL;
    const struct table_opts *o = a->o;
    struct table *t = calloc(1, sizeof *t);
    if (!t || !(t->path = xstrdup(path))) {
        free(t);
        return nasw_errorf(NASW_ENOMEM, "out of memory");
    }
    t->search = t->report = t->cost = -1;
    struct sidecar sc = {.hib = -1, .report_hib = -1};
    struct rows r = {.path = path};
    char *data = NULL;
    size_t len = 0;
    json_t *meta = NULL;
    int st = o->no_sidecar || a->curves ? NASW_OK : load_sidecar(&sc, path);
    if (!st) st = nasw_read_input(path, a->curves ? "curves file" : "table", 0, &data, &len);
    if (!st) {
        t->hash = nasw_fnv1a(a->hash0, data, len);
        snprintf(t->checksum, sizeof t->checksum, "%016llx", (unsigned long long)t->hash);
        size_t bom = bom_len(data, len), k = bom;
        while (k < len && (data[k] == ' ' || data[k] == '\t' || data[k] == '\r' || data[k] == '\n')) k++;
        t->is_json = r.is_json = k < len && (data[k] == '[' || data[k] == '{');
        st = t->is_json ? rows_load_json(&r, data + bom, len - bom, &meta)
                        : rows_load_csv(&r, data + bom, len - bom);
    }
    free(data);
    if (!st && meta && !a->curves) st = merge_inline_meta(&sc, meta, path);
    json_decref(meta);
    if (!st) st = build(t, &r, o, &sc, a->curves);
    if (!st) st = apply_columns(t, &sc);
    rows_release(&r);
    const char *curves = a->curves ? NULL : o->curves_path ? o->curves_path : sc.curves.val;
    if (!st && curves) {
        if (t->has_curves)
            st = nasw_errorf(NASW_EINVAL, "%.200s: has an 'epoch' column (it is a curve file), so it cannot take "
                                          "the curves file '%.200s'",
                             path, curves);
        else st = table_attach_curves(t, curves);
    }
    sidecar_release(&sc);
    if (st) {
        table_free(t);
        return st;
    }
    *out = t;
    return NASW_OK;
}

int table_load(struct table **out, const char *path, const struct table_opts *o)
{
    struct table_opts defaults;
    if (!o) {
        table_default_opts(&defaults);
        o = &defaults;
    }
    struct load_args a = {.o = o, .hash0 = NASW_FNV_OFFSET, .curves = 0};
    return table_load_args(out, path, &a);
}

void table_free(struct table *t)
{
    if (!t) return;
    free(t->path);
    for (int m = 0; t->metric_names && m < t->n_metrics; m++) free(t->metric_names[m]);
    free(t->metric_names);
    for (int m = 0; t->metric_label && m < t->n_metrics; m++) free(t->metric_label[m]);
    for (int m = 0; t->metric_unit && m < t->n_metrics; m++) free(t->metric_unit[m]);
    free(t->metric_label);
    free(t->metric_unit);
    free(t->metric_is_id);
    free(t->metric_hib);
    free(t->metric_col);
    for (int s = 0; t->string_names && s < t->n_strings; s++) free(t->string_names[s]);
    free(t->string_names);
    free(t->string_col);
    free(t->string_text);
    free(t->string_off);
    free(t->values);
    free(t->row_arch);
    free(t->row_dataset);
    free(t->row_line);
    for (int d = 0; d < t->n_datasets; d++) {
        if (t->datasets) free(t->datasets[d]);
        if (t->index) hashmap_release(&t->index[d]);
    }
    free(t->datasets);
    hashmap_release(&t->dataset_names);
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
