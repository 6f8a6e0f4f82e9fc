/*
 * cli/replay.h - replaying and resuming a comparison (`nasw compare
 * --config manifest.json`, `nasw compare --resume`).
 *
 * A comparison's manifest.json records its own arguments ("argv"), so the
 * manifest is a file that reruns the comparison; flags given next to
 * --config override the manifest's.  While it runs, compare journals every
 * finished run in DIR/runs.jsonl (one JSON record per line, appended and
 * flushed as each run finishes; a torn last line, from a kill, is
 * ignored): --resume loads the runs found there and runs only the others,
 * and the outputs are the same bytes as an uninterrupted run's.  Doubles
 * are written with 17 significant digits (exact round trip); a NaN or an
 * infinity as the string "nan", "inf" or "-inf".
 */
#ifndef NASW_CLI_REPLAY_H
#define NASW_CLI_REPLAY_H

#include <stdio.h>

struct option;
struct search_trace;

/* If argv holds --config FILE (or --config=FILE): *new_argv is argv[0],
 * the manifest's arguments but those whose option argv gives too (longopts
 * tells which take a value), then argv's arguments but --config; *keep
 * must be released with replay_config_free() after the command ran.
 * Returns 0 with *new_argv NULL when there is no --config, 0 on success, or
 * a CLI exit code after printing the error. */
int replay_config(const char *cmd, const struct option *longopts, int argc, char **argv, int *new_argc,
                  char ***new_argv, void **keep);
void replay_config_free(char **new_argv, void *keep);

/* One line of the run journal: the run (dataset, strategy label, seed), its
 * wall seconds and its trace.  0, or -1 on a write error. */
int replay_journal_write(FILE *f, const char *dataset, const char *label, long seed, double secs,
                         const struct search_trace *tr);

/* Read the run journal at path (a missing file is an empty journal): for
 * every complete record, on_run() gets it (and owns tr's memory when it
 * returns 0; a nonzero return stops the reading and is returned).  A torn
 * last line (no newline, or not a record) is skipped, and *good_end is the
 * size of the complete lines before it (truncate there before appending);
 * a malformed line before the last is an error ("path:line: ...",
 * printed).  Returns 0, the callback's code, or CLI_ERROR. */
int replay_journal_read(const char *path,
                        int (*on_run)(void *ctx, const char *dataset, const char *label, long seed, double secs,
                                      struct search_trace *tr),
                        void *ctx, long *good_end);

/* The arguments that decide the runs (all but --dir, --jobs, --resume,
 * --no-plot, --size, -q/-v, --config, --checkpoints), normalised ("--x=v",
 * sorted) into one malloc'd string: a resumed comparison must have the
 * same.  NULL when out of memory. */
char *replay_runs_key(const struct option *longopts, int argc, char **argv);

#endif
