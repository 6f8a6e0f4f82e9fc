/*
 * tables/table.h - NAS-Bench-style tables: loading, O(1) lookup, the table bench.
 *
 * A table has one row per (architecture, dataset) and numeric metric columns;
 * the schema is documented in data/README.md.  Loaded from CSV (libcsv) or
 * JSON (jansson).  A long-format curve file (columns arch, dataset, epoch,
 * metrics...) loads as a table whose rows are the final epochs and which also
 * carries the per-epoch curves; a curve file can also be attached to a final
 * table (sidecar "curves" or table_opts.curves_path).
 *
 * Which column is searched on, which is reported, which is the cost in
 * seconds and whether higher is better are detected from the column names
 * (see table_load) and can be set by a sidecar metadata file PATH.meta.json
 * or by table_opts (flags), in increasing order of precedence.
 *
 * Errors name the place: "path:line: message" for CSV, "path: rows[i]:
 * message" for JSON, "PATH.meta.json:line: message" for the sidecar.
 * Malformed or short rows, duplicate (arch, dataset) keys, NaN, empty or
 * non-numeric metric values, a search/report/cost column holding text,
 * JSON booleans, NUL bytes, unterminated quotes, inputs that are not
 * regular files, unknown columns named by the sidecar or flags, unknown
 * sidecar keys, architecture strings that do not parse, duplicate or
 * missing epochs in curves: all are errors, never silent defaults (the
 * list with examples: docs/tables.md).
 *
 * A loaded table is read-only: every accessor may be called from several
 * threads at once.
 */
#ifndef NASW_TABLES_TABLE_H
#define NASW_TABLES_TABLE_H

#include <stddef.h>
#include <stdint.h>

#include "core/arch.h"
#include "core/bench.h"

struct table;

struct table_opts {
    const char *search_metric;   /* NULL: sidecar, else detect */
    const char *report_metric;   /* NULL: sidecar, else detect */
    const char *cost_metric;     /* NULL: sidecar, else detect ("cost_s", "train_time_s", ...) */
    int direction;               /* 0: sidecar/detect; +1 higher is better; -1 lower */
    const char *curves_path;     /* NULL: sidecar, else none (or the table itself) */
    const char *dataset;         /* name of the single dataset when the table has no
                                    dataset column (NULL: sidecar, else "default") */
    int no_sidecar;              /* 1: ignore PATH.meta.json */
};

void table_default_opts(struct table_opts *o);

int table_load(struct table **out, const char *path, const struct table_opts *o);
void table_free(struct table *t);   /* NULL is a no-op */

const char *table_path(const struct table *t);
/* Hex FNV-1a 64 checksum of the file bytes (and of the curve file, if any). */
const char *table_checksum(const struct table *t);
long table_n_rows(const struct table *t);
/* Full space inferred from all rows (not restricted). */
const struct space *table_space(const struct table *t);

int table_n_datasets(const struct table *t);
const char *table_dataset_name(const struct table *t, int d);
/* Index of a dataset, or -1 (no message). */
int table_dataset_index(const struct table *t, const char *name);
long table_dataset_rows(const struct table *t, int d);

/* Numeric columns ("metrics"), in file order; id-like columns (arch_index,
 * *_id, is_*, naslib_ops) are loaded but flagged. */
int table_n_metrics(const struct table *t);
const char *table_metric_name(const struct table *t, int m);
int table_metric_index(const struct table *t, const char *name); /* -1 if absent */
/* The axis label and unit of metric m from the sidecar's "columns"
 * (docs/tables.md): NULL when not given; a unit "" means "no unit".
 * Printable text of at most TABLE_LABEL_MAX / TABLE_UNIT_MAX bytes. */
#define TABLE_LABEL_MAX 80
#define TABLE_UNIT_MAX 24
const char *table_metric_label(const struct table *t, int m);
const char *table_metric_unit(const struct table *t, int m);
int table_metric_is_id(const struct table *t, int m);
int table_search_metric(const struct table *t);     /* column index */
int table_report_metric(const struct table *t);
int table_cost_metric(const struct table *t);       /* -1 if none */
int table_higher_is_better(const struct table *t);  /* of the search metric */
int table_metric_higher_is_better(const struct table *t, int m);

/* 1 if the table had no validation column, so search metric = report metric. */
int table_no_validation(const struct table *t);
/* Text columns other than arch and dataset (e.g. NB201's unique_str). */
int table_n_strings(const struct table *t);
const char *table_string_name(const struct table *t, int s);
int table_string_index(const struct table *t, const char *name);   /* -1 if absent */
const char *table_string(const struct table *t, long row, int s);

/* Row of (dataset d, architecture key), or -1.  O(1). */
long table_find(const struct table *t, int d, uint64_t key);
double table_value(const struct table *t, long row, int m);
const struct arch *table_row_arch(const struct table *t, long row);
int table_row_dataset(const struct table *t, long row);
/* Where the row is in the file: CSV line (curve files: the first line of
 * its curve) or JSON row index. */
long table_row_line(const struct table *t, long row);
/* Row of dataset d with the best value of metric m (by m's direction; ties:
 * the first row in file order), or -1 if d has no rows. */
long table_best_row(const struct table *t, int d, int m);

/* Curves: number of epochs stored for the row (0 if none), and the values of
 * metric m over them (first epoch first).  *first_epoch is the epoch number
 * of values[0] as written in the file (0- or 1-based). */
int table_has_curves(const struct table *t);
int table_curve(const struct table *t, long row, int m, const double **values, int *first_epoch);
/* Epochs stored for a row (0 if none); the longest curve of dataset d
 * (d < 0: of any dataset). */
int table_curve_epochs(const struct table *t, long row);
int table_max_epochs(const struct table *t, int d);
/* Path of the attached curve file, NULL if none (or the table is itself a
 * curve file). */
const char *table_curves_path(const struct table *t);

/* A bench over dataset d of t (t must outlive it): the space is restricted to
 * the rows of that dataset.  Querying with epochs > 0 returns the curve value
 * at that epoch (NASW_EUNSUPPORTED without curves).  Thread-safe queries. */
int table_bench_new(struct bench **out, struct table *t, int d);

#endif
