/*
 * core/runlog.h - run logs: one JSON object per line (JSONL).
 *
 * Every run log starts with a header (command line, version, seed, bench and
 * its data checksum, strategy with all parameters, budget) so that each
 * table and plot traces back to the command that made it.  Then one record
 * per counted query, then an "end" record.  The file is written through
 * core/outfile.h (a temporary file renamed to PATH by runlog_close(log, 1),
 * removed by runlog_close(log, 0); "-" is stdout, a FIFO or device is
 * written in place), each record flushed as it is written.
 *
 * This is the only file of core/ that uses jansson.
 */
#ifndef NASW_CORE_RUNLOG_H
#define NASW_CORE_RUNLOG_H

#include <stdint.h>

struct runlog;

struct runlog_header {
    const char *command;        /* the command line */
    const char *version;        /* nasw version (git describe) */
    uint64_t seed;
    const char *bench;          /* bench name */
    const char *checksum;       /* data checksum */
    const char *dataset;
    const char *search_metric;
    const char *report_metric;
    const char *strategy;       /* full spec with every parameter */
    double budget;
    const char *budget_unit;    /* "queries", "seconds" or "epochs" */
};

struct runlog_query {
    long query;                 /* 1-based count of distinct queries */
    const char *arch;           /* formatted architecture */
    double val, test, cost_s, total_cost_s;
    double best_val, test_at_best;
    int epochs;
    int epochs_charged;         /* epochs charged (the extra, when continued) */
    double total_epochs;        /* cumulative epochs charged */
    int failed;
};

int runlog_open(struct runlog **out, const char *path);
int runlog_header(struct runlog *l, const struct runlog_header *h);
int runlog_query(struct runlog *l, const struct runlog_query *q);
int runlog_end(struct runlog *l, long queries, double total_cost_s, const char *reason);
/* commit=1: put the log in place; 0: remove what was written.  Frees l.  NULL ok. */
int runlog_close(struct runlog *l, int commit);

/* The version string compiled in (git describe, or "unknown"). */
const char *nasw_version(void);

#endif
