/*
 * tables/table_impl.h - the table struct, shared by the files of tables/
 * (private to the module).
 */
#ifndef NASW_TABLES_TABLE_IMPL_H
#define NASW_TABLES_TABLE_IMPL_H

#include "core/hashmap.h"
#include "tables/table.h"

struct table {
    char *path;
    char checksum[32];
    int is_json;
    long n_rows;

    int n_metrics;
    char **metric_names;
    int *metric_is_id, *metric_hib, *metric_col;
    int search, report, cost;   /* metric indices; cost -1 if none */
    int no_validation;          /* search metric = report metric for want of one */

    int n_strings;              /* text columns other than arch/dataset (e.g. unique_str) */
    char **string_names;
    int *string_col;
    char **strings;             /* n_rows * n_strings */

    double *values;             /* n_rows * n_metrics */
    struct arch *row_arch;
    int *row_dataset;
    long *row_line;             /* where the row (its first line) is in the file */

    int n_datasets;
    char **datasets;
    struct hashmap *index;      /* per dataset: arch key -> row */
    long *dataset_rows;

    struct space *space;

    /* curves of a curve file: per row, curve_len points from curve_off */
    int has_curves;
    int *curve_len, *curve_first;
    long *curve_off;
    double *curve_vals;         /* (total points) * n_metrics; the cost metric cumulated */
    /* curves attached from another file */
    struct table *curve_src;
    long *curve_row;            /* row of curve_src, -1 if absent */
    int *curve_metric;          /* metric of curve_src, -1 if absent */
};

/* tables/group.c: rows of a file -> table rows (curve files grouped by
 * (arch, dataset), sorted by epoch, final values per row). */
int table_group_rows(struct table *t, char **fields, int n_cols, const long *line, long n, int arch_col,
                     int ds_col, const double *vals, const long *epochs, const char *default_dataset);
/* Attach a long-format curve file to t. */
int table_attach_curves(struct table *t, const char *path);

#endif
