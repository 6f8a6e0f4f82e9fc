/*
 * cli/cli.h - subcommands and the helpers they share.
 *
 * One file per subcommand (git's builtin/): it parses its flags with
 * getopt_long, wires modules together and returns the process exit code.
 * Exit codes: 0 success, 1 error (bad input file, failed write, ...),
 * 2 usage error (unknown flag, bad flag value).  `nasw CMD -h` prints the
 * command's help on stdout and exits 0.  Only cli/ and nasw.c print errors
 * and choose exit codes; library code returns a status and a message
 * (core/status.h), printed here as "error: <message>".
 */
#ifndef NASW_CLI_CLI_H
#define NASW_CLI_CLI_H

#include <stdio.h>

#include "tables/table.h"

struct option;

enum { CLI_OK = 0, CLI_ERROR = 1, CLI_USAGE = 2 };

int cmd_compare(int argc, char **argv);
int cmd_confirm(int argc, char **argv);
/* Read the candidates `nasw confirm IN` would rank (IN: a comparison
 * directory's best.csv, or a run log) and count them, without training;
 * prints errors, returns a CLI exit code (used by fuzz/fuzz_runlog.c). */
int confirm_read_input(const char *in, const char *dataset, int *n);
int cmd_help(int argc, char **argv);
int cmd_lcurve(int argc, char **argv);
int cmd_plot(int argc, char **argv);
int cmd_predict(int argc, char **argv);
int cmd_score(int argc, char **argv);
int cmd_search(int argc, char **argv);
int cmd_tables(int argc, char **argv);
int cmd_tables_build(int argc, char **argv); /* `nasw tables build` */
int cmd_tables_import(int argc, char **argv); /* `nasw tables import` */
int cmd_train(int argc, char **argv);
int cmd_version(int argc, char **argv);

/* "error: ..." on stderr (git style).  Returns CLI_ERROR. */
int cli_error(const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 1, 2)))
#endif
    ;
/* "error: <library message>" for a failed library call.  Returns CLI_ERROR. */
int cli_error_status(int status);
/* "error: ...\n" + "see 'nasw CMD -h'" on stderr.  Returns CLI_USAGE. */
int cli_usage_error(const char *cmd, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
void cli_warn(const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 1, 2)))
#endif
    ;

/* Every flag may be given once: a repeated flag (`--budget 5 --budget 6`) is
 * a usage error rather than last-one-wins, which would hide a typo or an
 * edited-but-not-removed flag in a long command line; --maximize with
 * --minimize, and the caller's pairs in excl, exclude each other (--constraint
 * is repeatable by design).  One
 * record per getopt loop, zero-initialised; call cli_option_once() after
 * every getopt_long(..., &longindex) result: it reads and resets longindex
 * (-1 before the loop: short and unknown options leave it alone).  Prints
 * the usage error; returns 0 or CLI_USAGE. */
struct cli_seen {
    const char *const *excl;  /* NULL or {"a", "b", ..., NULL}: pairs a/b, ... exclusive */
    int n;
    int val[64];
    const char *name[64];
};
int cli_option_once(const char *cmd, const struct option *longopts, int *longindex, struct cli_seen *s);

/* --out always names one file ('-': stdout); a command that writes a
 * directory of outputs takes --dir DIR instead and answers --out with a
 * usage error and a hint (one meaning per flag across commands).  The
 * directory commands put CLI_DIR_LONGOPTS in their option table; --dir
 * comes back as 'o'. */
#define CLI_OUT_NOT_DIR 0x1200
#define CLI_DIR_LONGOPTS                                     \
    {"dir", required_argument, 0, 'o'},                      \
    {"out", required_argument, 0, CLI_OUT_NOT_DIR}
/* The usage error for a getopt_long result no case handled: c is the
 * result, arg the argument it came from (argv[optind - 1]).  "unknown or
 * incomplete option", then a hint line naming the nearest long option
 * when the name is misspelt (Levenshtein distance <= 2), or the --dir hint
 * for --out on a directory command.  Returns CLI_USAGE. */
int cli_bad_option(const char *cmd, const struct option *longopts, int c, const char *arg);
/* A usage error with a "hint: ..." line (none if hint is NULL or empty)
 * between the error and the pointer to the help.  Returns CLI_USAGE. */
int cli_usage_hint(const char *cmd, const char *hint, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;
/* The candidate nearest to word by edit distance, if within 2 edits and
 * unique at that distance (and not word itself); NULL otherwise. */
const char *cli_nearest(const char *word, const char *const *cands, int n);
/* The usage error for a strategy spec list search_spec_parse() or
 * search_spec_list_parse() refused (its message in nasw_errmsg()), with a
 * "did you mean" hint for a misspelt strategy name in specs. */
int cli_spec_error(const char *cmd, const char *specs);

/* -q/--quiet and -v/--verbose, on every command (getopt short options "qv"):
 * quiet: standard output carries only data the command was asked for (a
 * result table, `--out -`), no commentary, no progress bar; warnings and
 * errors still go to stderr.  verbose: progress is reported as lines on
 * stderr (every 10%, terminal or not, never a bar), plus a command's extra
 * detail (tables build: a line per epoch).  The two exclude each other. */
enum { CLI_QUIET = -1, CLI_NORMAL = 0, CLI_VERBOSE = 1 };
extern int cli_verbosity;
#define CLI_VERBOSITY_LONGOPTS                               \
    {"quiet", no_argument, 0, 'q'},                          \
    {"verbose", no_argument, 0, 'v'}
#define CLI_VERBOSITY_HELP                                                                        \
    "  -q, --quiet    no commentary or progress on stdout/stderr (data and errors only)\n"      \
    "  -v, --verbose  progress as lines on stderr (each tenth of the work), no bar\n"
/* Handles one getopt_long result: 1 if it was -q or -v (consumed), 0 if
 * not, -1 after printing the usage error (given twice, or both). */
int cli_verbosity_option(const char *cmd, int c);
/* Under -q, after the flags are parsed: standard output is sent to
 * /dev/null unless it carries the command's data (data_on_stdout: e.g.
 * `--out -`).  Returns 0, or prints the error and returns CLI_ERROR. */
int cli_quiet_stdout(int data_on_stdout);
/* The stream for a command's commentary: f, or under -q a stream to
 * /dev/null (f if that cannot be opened). */
FILE *cli_text(FILE *f);

/* The default of every seed flag (--seed, --train-seed) of every command:
 * one number to remember, and a default run of one command is the seed-1
 * run of another (compare's runs use seeds 1..N, as `search --seed K`). */
#define CLI_DEFAULT_SEED 1

/* A number in a CSV output: printed with fmt if finite, an empty field
 * otherwise (an undefined statistic is never "nan" text; see
 * docs/outputs-columns.md). */
void cli_csv_num(FILE *f, const char *fmt, double x);

/* The status of a plot made after the results were written: 0 if made,
 * 0 with a warning if gnuplot is not installed (the .dat and .gp are there),
 * 1 with a warning naming the plot otherwise (the caller goes on with its
 * other plots and exits CLI_ERROR, its results kept). */
int cli_plot_failed(int status, const char *dir, const char *stem);

/* --size W,H on every command that draws: the figure size in inches of
 * all its plots (plots/plot.h limits; 0,0 = the plots' defaults).  The
 * commands put CLI_SIZE_LONGOPT in their option table and pass the result
 * to cli_size_option(); a figure too small for its panels fails when drawn. */
#define CLI_SIZE_OPT 0x1220
#define CLI_SIZE_LONGOPT {"size", required_argument, 0, CLI_SIZE_OPT}
/* Parses the --size argument; prints the usage error.  0 or CLI_USAGE. */
int cli_size_option(const char *cmd, const char *arg, double *w, double *h);

/* The axis label of a table column: the words and unit of t's sidecar
 * "columns" where it gives them, else derived from the name
 * (plot_metric_label; percent: the values are percentages).  t may be NULL
 * (no sidecar: a live bench, a comparison directory).  Returns buf. */
const char *cli_column_label(const struct table *t, const char *column, int percent, char *buf, size_t n);

/* A predictor spec (api/predictor.h) for command cmd: a refused spec is a
 * usage error (printed).  Returns a CLI exit code; release p with
 * api_predictor_release either way. */
struct api_predictor;
int cli_predictor_parse(const char *cmd, const char *s, const struct table *t, struct api_predictor *p);

/* --- the supernet predictor of `nasw predict` (cli/supernet_pred.c) ------ */

struct train_data;

/* The Fashion-MNIST data of p's preset (shared read-only by the trials).
 * Returns a library status (the message is set). */
int cli_supernet_data(const struct api_predictor *p, struct train_data **out);

/* One trial: the supernet of p on data, seeded with `seed`, trained for
 * p->sn.epochs (restored from, and checkpointed after every epoch to,
 * PREFIX.supernet-HASH.ckpt when prefix is given; HASH covers the preset,
 * the spec, the seed and `tag`), then the one-shot validation accuracy (%)
 * of rows[0..m) of t into pred.  *wall_s: the supernet's seconds
 * (training, as recorded in a restored checkpoint, and scoring); *cpu_s:
 * this thread's CPU seconds of what this call did.  The caller fixes the
 * thread count (results depend on it).  Library status. */
int cli_supernet_predict(const struct api_predictor *p, const struct train_data *data, const struct table *t,
                         const long *rows, long m, uint64_t seed, const char *prefix, const char *tag, double *pred,
                         double *wall_s, double *cpu_s);

/* Strict number parsing (strtod/strtol + end check, finite): 0 on success,
 * -1 on failure (nothing printed). */
int cli_parse_double(const char *s, double *out);
int cli_parse_long(const char *s, long *out);

/* Flags shared by every command that opens a table:
 *   --metric NAME  --report NAME  --cost NAME  --maximize  --minimize
 *   --curves FILE  --table-dataset NAME  --no-sidecar
 * cli_table_option() handles one getopt_long result for them: returns 1 if
 * it consumed the option, 0 if not a table option, -1 on a bad value. */
#define CLI_TABLE_LONGOPTS                                   \
    {"metric", required_argument, 0, 0x1001},                \
    {"report", required_argument, 0, 0x1002},                \
    {"cost", required_argument, 0, 0x1003},                  \
    {"maximize", no_argument, 0, 0x1004},                    \
    {"minimize", no_argument, 0, 0x1005},                    \
    {"curves", required_argument, 0, 0x1006},                \
    {"table-dataset", required_argument, 0, 0x1007},         \
    {"no-sidecar", no_argument, 0, 0x1008}
int cli_table_option(int opt, const char *arg, struct table_opts *o);
/* Help lines for those flags. */
void cli_table_options_help(FILE *f);

/* Output files (core/outfile.h) with the error printed: DIR/NAME, or NAME
 * alone when dir is NULL.  The stream, or NULL on failure. */
struct outfile;
FILE *cli_out_open(struct outfile **o, const char *dir, const char *name);
/* Commit o, printing the error.  Returns a CLI exit code. */
int cli_out_commit(struct outfile *o);

/* Load a table, printing the error on failure.  NULL on failure. */
struct table *cli_load_table(const char *path, const struct table_opts *o);

/* The benches of a command (cli/bench.c): table benches, one per dataset,
 * or the live trainer. */
struct cli_benches {
    struct table *t;       /* NULL for live */
    struct bench **b;
    char **names;          /* dataset names */
    int n;
    int live;
};
/* spec: "PATH", "table:PATH" or "live:fmnist[:PRESET][:nodes=K][:ops=a+b][:clock=cpu]";
 * datasets: NULL/0 = all.  Prints errors; returns a CLI exit code. */
int cli_benches_open(struct cli_benches *c, const char *spec, char *const *datasets, int n_datasets,
                     const struct table_opts *o, const char *journal, long train_seed);
void cli_benches_close(struct cli_benches *c);
#define CLI_BENCH_HELP                                                                             \
    "  --bench live:fmnist[:PRESET][:nodes=K][:ops=a+b][:clock=cpu]\n"                                       \
    "                 train for real instead (Fashion-MNIST; presets nb201, proxy, micro),\n"    \
    "                 journaled to --journal FILE (default: the spec as a .csv name);\n"         \
    "                 rerunning resumes and retrains nothing that is done\n"                     \
    "                 (clock=cpu: costs in process CPU seconds, not wall seconds)\n"           \
    "  --journal FILE the live bench's journal (a table in nasw's schema)\n"                     \
    "  --train-seed K base seed of the live trainings (default 1)\n"

/* Progress on stderr (docs/cli.md): a bar with rate and ETA when stderr is
 * a terminal (or NASW_FORCE_TTY=1), lines every 10% under -v (instead of
 * the bar), nothing under -q.  total and done are in the caller's units (the rate's);
 * cli_progress_set_frac() draws a work-weighted fraction instead of
 * done/total (the ETA follows the fraction).  A command printing a line on
 * stdout or stderr while a bar may be drawn calls cli_progress_line()
 * first: the bar is cleared and redrawn by the next set, so no result line
 * is ever printed through a bar. */
struct cli_progress;
struct cli_progress *cli_progress_new(const char *label, double total);
void cli_progress_set(struct cli_progress *p, double done);
void cli_progress_set_frac(struct cli_progress *p, double done, double frac);
void cli_progress_line(struct cli_progress *p);
void cli_progress_done(struct cli_progress *p);   /* clears the bar, frees; NULL ok */
/* Per-epoch progress of a live bench (its epoch hook): ctx points to a
 * struct cli_progress * (NULL: none); the bar is set to base + epoch. */
void cli_progress_base(struct cli_progress *p, double base);
void cli_progress_epoch(void *ctx, int epoch, int epochs);
/* The progress the live benches of cli_benches_open() report their epochs
 * to (NULL: none): set by a command around its trainings. */
extern struct cli_progress *cli_live_progress;

/* Write to stdout and check for errors at exit (nasw.c checks fflush/ferror). */

/* Budget "N" (queries, integer), "Ns" (simulated/measured seconds) or "Ne"
 * (training epochs, integer); *kind is the enum budget_kind value (0 queries,
 * 1 seconds, 2 epochs).  0 on success, -1 on a bad value. */
int cli_parse_budget(const char *s, double *budget, int *kind);
/* Usage error (CLI_USAGE, message printed) if a strategy spec asks for
 * weight inheritance where the bench spec cannot give it (cli/inherit.c). */
struct search_spec;
struct objectives;
int cli_check_inherit(const char *cmd, const struct search_spec *spec, const char *bench, const struct objectives *obj);
/* Split "a,b,c" into malloc'd strings (empty items dropped). */
int cli_split_list(const char *s, char ***items, int *n);
void cli_free_list(char **items, int n);

/* The command line as one string, for run-log headers (set by main). */
extern const char *cli_command_line;

#endif
