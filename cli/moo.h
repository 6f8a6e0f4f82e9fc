/*
 * cli/moo.h - multi-objective and constrained search in the CLI: the
 * --objectives/--constraint flags, the exact Pareto front of a table, the
 * hypervolume regret of runs and the outputs of `nasw compare` for them
 * (hypervolume.csv, hv_pairs.csv, hv_regret.csv, fronts.csv and plots).
 */
#ifndef NASW_CLI_MOO_H
#define NASW_CLI_MOO_H

#include <stdio.h>

#include "cli/cli.h"
#include "core/objective.h"
#include "search/search.h"

#define CLI_MOO_LONGOPTS                                     \
    {"objectives", required_argument, 0, 0x1101},           \
    {"constraint", required_argument, 0, 0x1102}
#define CLI_MOO_HELP                                                                          \
    "  --objectives L   multi-objective search: NAME:max|min,... (2 to 4 table columns)\n"   \
    "  --constraint C   COLUMN<=X (or <, >=, >): infeasible answers count against the\n"   \
    "                   budget and never become the best; repeatable (at most 4)\n"

/* One getopt_long result: 1 if it was --objectives/--constraint (*rc is
 * CLI_OK, or CLI_USAGE after printing the error), 0 if not. */
int cli_moo_option(int opt, const char *arg, struct objectives *o, const char *cmd, int *rc);
/* A usage error (printed, CLI_USAGE) when a strategy cannot search these
 * objectives: a multi-objective one without --objectives or with more than
 * it handles.  CLI_OK otherwise. */
int cli_moo_check_strategy(const struct search_type *t, const struct objectives *o, const char *cmd);
/* Before opening a bench: a live bench's columns are known without it,
 * and opening it creates its journal.  Prints the error; a CLI exit code. */
int cli_moo_precheck(const char *bench_spec, const struct objectives *o);
/* Bind the objectives to every bench (no-op when there are none).  Prints
 * the error; returns a CLI exit code. */
int cli_moo_apply(struct cli_benches *cb, const struct objectives *o);

/* The exact front of dataset d of a table under o (feasible rows only):
 * reference point = the worst value of each objective over the dataset
 * (oriented: larger is better), the front's size and hypervolume, for the
 * searched objectives and for their reported counterparts. */
struct moo_truth {
    double ref[OBJ_MAX], ref_report[OBJ_MAX];
    double hv, hv_report;
    long front, front_report;
};
int moo_truth_of(const struct table *t, int d, const struct objectives *o, struct moo_truth *m);

/* Hypervolume regret 1 - HV/HV_true of the first q steps of a run (feasible
 * answers only).  report = 0: of the searched objectives; 1: the front
 * found by the searched objectives, valued by their reported counterparts. */
double moo_run_regret(const struct search_trace *tr, long q, const struct objectives *o, const struct moo_truth *m,
                      int report);

/* `nasw search`: the run's front (feasible answers, searched objectives),
 * one architecture per line, and its hypervolume regret when t is given. */
void moo_print_front(const struct bench *b, const struct search_trace *tr, const struct table *t, FILE *f);

/* Outputs of `nasw compare` with objectives.  trace(ctx, d, s, k) gives the
 * run of dataset d, strategy s, seed index k.  Prints errors; returns a CLI
 * exit code. */
struct moo_compare {
    const char *dir;
    int n_d, n_s, n_seeds, n_ck, kind, plot;
    double width_in, height_in;           /* --size (0: the default) */
    char **dnames;
    struct bench **benches;
    const struct table *t;                /* NULL: no exact front (live) */
    const struct search_spec *specs;
    const double *ck;
    const struct search_trace *(*trace)(void *ctx, int d, int s, int k);
    void *ctx;
};
int moo_compare_write(const struct moo_compare *c, FILE *tty);

#endif
