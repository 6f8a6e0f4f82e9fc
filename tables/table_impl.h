/*
 * tables/table_impl.h - private to tables/: the table struct, the raw row
 * stream shared by the CSV and JSON readers, and the module's internal calls.
 *
 * Loading is a pipeline over one in-memory copy of the file:
 *   rows.c   file bytes -> struct rows (header + every field as text, in one
 *            arena, each row with its CSV line / JSON index)
 *   table.c  sidecar, column types, roles (search/report/cost), numbers,
 *            the space
 *   group.c  rows -> table rows: datasets, keys, per-dataset index,
 *            duplicates, curve grouping; attaching a curve file; accessors
 *   tbench.c the "table" bench backend
 */
#ifndef NASW_TABLES_TABLE_IMPL_H
#define NASW_TABLES_TABLE_IMPL_H

#include <stddef.h>
#include <stdint.h>

#include "core/hashmap.h"
#include "tables/table.h"

struct table {
    char *path;
    char checksum[32];
    uint64_t hash;              /* FNV-1a state behind checksum */
    int is_json;
    long n_rows;

    int n_metrics;
    char **metric_names;
    int *metric_is_id, *metric_hib, *metric_col;
    int search, report, cost;   /* metric indices; cost -1 if none */
    int no_validation;          /* search metric = report metric for want of one */
    char **metric_label, **metric_unit; /* per metric, from the sidecar's "columns"
                                           (NULL arrays or entries: not given) */

    int n_strings;              /* text columns other than arch/dataset (e.g. unique_str) */
    char **string_names;
    int *string_col;
    char *string_text;          /* every row's text values, NUL-terminated */
    size_t *string_off;         /* n_rows * n_strings offsets into string_text */

    double *values;             /* (n_rows, n_metrics) */
    struct arch *row_arch;
    int *row_dataset;
    long *row_line;             /* where the row is in the file (curve files: its last epoch) */

    int n_datasets;
    char **datasets;
    struct hashmap dataset_names; /* name set of datasets (names_find) */
    struct hashmap *index;      /* per dataset: arch key -> row */
    long *dataset_rows;

    struct space *space;

    /* curves of a curve file: row r has curve_len[r] points from curve_off[r];
     * its block of curve_vals is metric-major: (n_metrics, curve_len[r]) */
    int has_curves;
    int *curve_len, *curve_first;
    long *curve_off;
    double *curve_vals;         /* the cost metric cumulated over epochs */
    /* curves attached from another file (then curve_len etc. are NULL) */
    struct table *curve_src;
    long *curve_row;            /* per row: row of curve_src, -1 if it has no curve */
    int *curve_metric;          /* per metric: metric of curve_src, -1 if absent */
};

/* --- rows.c: the raw row stream ------------------------------------------ */

struct rows {
    const char *path;
    int is_json;
    char **header;              /* n_cols column names (malloc'd) */
    int n_cols;
    long n_rows;
    char **fields;              /* (n_rows, n_cols) pointers into text, after rows_finish */
    long *line;                 /* CSV line (1-based, the header is line 1) or JSON row index */
    long header_line;
    /* building */
    char *text;                 /* every field, NUL-terminated */
    size_t text_len, text_cap;
    size_t *off;                /* field offsets into text */
    size_t off_len, off_cap;
    size_t line_cap;
    int cur_n;                  /* fields of the record being read */
    unsigned long fields_ended; /* CSV fields seen so far (where a quote opened) */
    long line_no, rec_line;     /* physical line being fed; line the record started on */
    int error;
};

void rows_release(struct rows *r);
/* Name sets: names[0..n) indexed by m (a hashmap of name hashes), O(1).
 * names_find gives the index of `name` or -1; names_add records names[i]. */
long names_find(const struct hashmap *m, char *const *names, long n, const char *name);
int names_add(struct hashmap *m, const char *name, long i);
/* CSV (libcsv) and JSON (jansson) into rows.  JSON: *meta gets the
 * {"meta": {...}} object (a new reference) or NULL. */
int rows_load_csv(struct rows *r, const char *data, size_t len);
struct json_t;
int rows_load_json(struct rows *r, const char *data, size_t len, struct json_t **meta);

/* --- table.c --------------------------------------------------------------- */

/* "path:line" (CSV) or "path: rows[i]" (JSON) into buf. */
const char *table_where(const struct table *t, long line, char *buf, size_t n);

/* How a table is loaded (table_load's options plus internal ones). */
struct load_args {
    const struct table_opts *o;
    uint64_t hash0;             /* FNV-1a start (chains a curve file to its table) */
    int curves;                 /* loading a file to attach: roles named by the
                                   owner are used only if present; no sidecar */
};
int table_load_args(struct table **out, const char *path, const struct load_args *a);

/* --- group.c --------------------------------------------------------------- */

/* rows -> table rows (curve files: grouped by (arch, dataset) and sorted by
 * epoch, the row holding the last epoch's values).  vals: (n, n_metrics). */
int table_group_rows(struct table *t, const struct rows *r, int arch_col, int ds_col, const double *vals,
                     const long *epochs, const char *default_dataset);
/* Attach the long-format curve file at path to t. */
int table_attach_curves(struct table *t, const char *path);

#endif
