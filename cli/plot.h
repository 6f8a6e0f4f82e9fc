/*
 * cli/plot.h - plotting a comparison directory (used by `nasw plot` and at
 * the end of `nasw compare`).
 */
#ifndef NASW_CLI_PLOT_H
#define NASW_CLI_PLOT_H

/* Read DIR/datasets.csv and DIR/trajectories.csv and write DIR/trajectories.*
 * (regret=0) or DIR/regret.* (regret=1); search_metric=1 plots best_val
 * instead of the report metric, into DIR/trajectories_search.* or
 * DIR/regret_search.* (every figure its own name).  width_in, height_in:
 * the figure size in inches (0: the default of plots/plot.h).  Prints
 * errors; returns a CLI exit code. */
int plot_compare_dir(const char *dir, int regret, int search_metric, double width_in, double height_in);

#endif
