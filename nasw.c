/*
 * nasw.c - main(): the sorted command table (git's commands[]), dispatch,
 * and the final check that stdout was written successfully, so that
 * `nasw ... > /dev/full` fails instead of losing output silently, and the
 * handler that removes temporary output files on a fatal signal.
 */
#include <cblas.h>
#include <errno.h>
#include <gsl/gsl_errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "core/outfile.h"
#include "core/runlog.h"
#include "train/mpi.h"

struct command {
    const char *name;
    int (*fn)(int argc, char **argv);
    const char *help;
};

/* Sorted by name. */
static const struct command commands[] = {
    {"compare", cmd_compare, "compare strategies over datasets and seeds: statistics and plots"},
    {"confirm", cmd_confirm, "retrain the top architectures of a search for real; predicted vs measured"},
    {"help", cmd_help, "show this help, or a command's: nasw help CMD [SUB]"},
    {"lcurve", cmd_lcurve, "learning-curve extrapolation: evaluate extrapolators (eval) or predict one curve (fit)"},
    {"plot", cmd_plot, "plot the trajectories of a comparison directory (gnuplot)"},
    {"predict", cmd_predict, "how well predictors (GP, table columns) rank unseen architectures"},
    {"score", cmd_score, "zero-cost proxies of NB201 cells on the trainer's network, as a table"},
    {"search", cmd_search, "run one strategy on one benchmark with one seed"},
    {"tables", cmd_tables, "inspect a NAS-Bench-style table (info, query) or build one (build)"},
    {"train", cmd_train, "train one NAS-Bench-201 cell on Fashion-MNIST (or time training steps)"},
    {"version", cmd_version, "print the version"},
};
#define N_COMMANDS (sizeof commands / sizeof *commands)

static void usage(FILE *f)
{
    fputs("usage: nasw <command> [<args>]\n\ncommands:\n", f);
    for (size_t i = 0; i < N_COMMANDS; i++) fprintf(f, "  %-9s %s\n", commands[i].name, commands[i].help);
    fputs("\n'nasw help <command>' or 'nasw <command> -h' describes a command;\n"
          "'nasw --version' prints the version.\n", f);
}

static const struct command *find_command(const char *name)
{
    for (size_t i = 0; i < N_COMMANDS; i++)
        if (!strcmp(commands[i].name, name)) return &commands[i];
    return NULL;
}

/* `nasw help CMD [SUB]` is `nasw CMD [SUB] -h`: one help text per command,
 * kept next to its flags in cli/, so the two can never disagree. */
int cmd_help(int argc, char **argv)
{
    if (argc < 2 || !strcmp(argv[1], "help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
        if (argc > 2) return cli_usage_error("help", "unexpected argument '%.64s'", argv[2]);
        usage(stdout);
        return CLI_OK;
    }
    const struct command *cmd = find_command(argv[1]);
    if (!cmd) {
        fprintf(stderr, "error: '%.64s' is not a nasw command; see 'nasw help'\n", argv[1]);
        return CLI_USAGE;
    }
    if (argc > 3) return cli_usage_error("help", "unexpected argument '%.64s'", argv[3]);
    char h[] = "-h";
    char *args[] = {argv[1], argc > 2 ? argv[2] : h, h, NULL};
    return cmd->fn(argc > 2 ? 3 : 2, args);
}

int cmd_version(int argc, char **argv)
{
    if (argc > 1 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
        puts("usage: nasw version");
        return CLI_OK;
    }
    if (argc > 1) return cli_usage_error("version", "unexpected argument '%.64s'", argv[1]);
    printf("nasw %s\n", nasw_version());
    return CLI_OK;
}

/* Ctrl-C, kill, a closed pipe: remove the temporary output files of this
 * process (core/outfile.h), then die of the signal as we would have. */
static void on_fatal_signal(int sig)
{
    outfile_remove_temps();
    raise(sig); /* SA_RESETHAND: the default action, once this handler returns */
}

static void catch_fatal_signals(void)
{
    static const int sigs[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGPIPE};
    for (size_t i = 0; i < sizeof sigs / sizeof *sigs; i++) {
        struct sigaction sa, old;
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = on_fatal_signal;
        sa.sa_flags = SA_RESETHAND;
        sigemptyset(&sa.sa_mask);
        /* a signal ignored by whoever started us (nohup) stays ignored */
        if (sigaction(sigs[i], NULL, &old) == 0 && old.sa_handler != SIG_IGN) sigaction(sigs[i], &sa, NULL);
    }
}

static char *join_args(int argc, char **argv)
{
    size_t n = 1;
    for (int i = 0; i < argc; i++) n += strlen(argv[i]) + 1;
    char *s = malloc(n);
    if (!s) return NULL;
    s[0] = '\0';
    for (int i = 0; i < argc; i++) {
        if (i) strcat(s, " ");
        strcat(s, argv[i]);
    }
    return s;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return CLI_USAGE;
    }
    const char *name = argv[1];
    if (!strcmp(name, "-h") || !strcmp(name, "--help")) name = "help";
    if (!strcmp(name, "--version")) name = "version";
    const struct command *cmd = find_command(name);
    if (!cmd) {
        fprintf(stderr, "error: '%.64s' is not a nasw command; see 'nasw help'\n", argv[1]);
        return CLI_USAGE;
    }
    gsl_set_error_handler_off(); /* GSL statuses are checked, never abort */
    /* nasw parallelises above BLAS (seeds of a comparison, images of a
     * batch): BLAS threads on top would only oversubscribe the cores */
    if (!getenv("OPENBLAS_NUM_THREADS")) openblas_set_num_threads(1);
    /* under mpirun: rank 0 runs the command; the other ranks only serve as
     * training workers of `search` and `tables build` on a live bench, and
     * as the scoring workers of `score` */
    int mpi = nasw_mpi_launched();
    if (mpi && nasw_mpi_init(&argc, &argv) != 0) {
        fprintf(stderr, "error: cannot initialise MPI\n");
        return CLI_ERROR;
    }
    int serves = !strcmp(cmd->name, "search") || !strcmp(cmd->name, "score") ||
                 (!strcmp(cmd->name, "tables") && argc > 2 && !strcmp(argv[2], "build"));
    if (mpi && nasw_mpi_rank() > 0 && !serves) {
        nasw_mpi_finalize();
        return CLI_OK;
    }
    catch_fatal_signals();
    char *line = join_args(argc, argv);
    cli_command_line = line ? line : "";
    int rc = cmd->fn(argc - 1, argv + 1);
    free(line);
    if (mpi) {
        nasw_mpi_release_workers();
        nasw_mpi_finalize();
    }
    if (fflush(stdout) != 0 || ferror(stdout)) {
        fprintf(stderr, "error: cannot write to standard output: %s\n", strerror(errno ? errno : EIO));
        return CLI_ERROR;
    }
    return rc;
}
