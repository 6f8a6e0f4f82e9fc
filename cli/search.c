/*
 * cli/search.c - `nasw search`: one strategy, one bench, one seed.
 *
 * Opens the table, builds the bench of the dataset, runs search_run() with a
 * run log when --out is given (core/outfile.h: put in place at the end, "-"
 * for stdout, then the text goes to stderr),
 * and prints the best architecture found.  The same seed gives the same
 * trajectory as the corresponding run of `nasw compare`.
 */
#define _GNU_SOURCE
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/moo.h"
#include "core/runlog.h"
#include "core/status.h"
#include "search/search.h"
#include "train/live.h"
#include "train/mpi.h"

static void help(FILE *f)
{
    fputs("usage: nasw search --table T [--dataset D] --strategy S --budget N[s] [--seed K]\n"
          "                   [--out run.jsonl] [--trace]\n"
          "\n"
          "Run one search strategy on one dataset of a NAS-Bench-style table.\n"
          "  --table T      table file (CSV or JSON; also --bench table:T)\n"
          CLI_BENCH_HELP
          "  --dataset D    dataset (default: the table's only dataset)\n"
          "  --strategy S   NAME[:key=value]... (see below)\n"
          "  --budget N     distinct queries; 'Ns' = N simulated training seconds\n"
          "                 (needs a cost column); 'Ne' = N training epochs (needs\n"
          "                 curves); continuing a training charges only the extra\n"
          "  --seed K       random seed (default 1)\n"
          "  --out FILE     run log, JSON lines: header, one record per query, end\n"
          "                 ('-': stdout, and the summary goes to stderr)\n"
          "  --trace        print every counted query on stdout\n"
          "  --noise seed   answer each query with one training seed drawn at random\n"
          "                 (tables with NAME_run1, NAME_run2, ... of the search metric\n"
          "                 NAME or NAME_mean, as NAS-Bench-Macro); the report metric\n"
          "                 stays the table's (their mean)\n"
          CLI_MOO_HELP
          "Under mpirun with a live bench, rank 0 runs the strategy and the journal and\n"
          "the other ranks train (asynchronously: a finished worker gets the next\n"
          "proposal at once): mpirun -np 3 nasw search --bench live:fmnist ...\n"
          CLI_VERBOSITY_HELP,
          f);
    cli_table_options_help(f);
    fputs("\nProtocol: the strategy sees only the search metric; after each query the\n"
          "report metric of the best-by-search-metric architecture so far is reported.\n"
          "Repeated queries of an architecture are free and not counted.\n\n",
          f);
    search_registry_help(f);
}

int cmd_search(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"table", required_argument, 0, 't'},   {"bench", required_argument, 0, 'B'},
        {"dataset", required_argument, 0, 'd'}, {"strategy", required_argument, 0, 's'},
        {"budget", required_argument, 0, 'b'},  {"seed", required_argument, 0, 'k'},
        {"out", required_argument, 0, 'o'},     {"trace", no_argument, 0, 'T'},
        {"journal", required_argument, 0, 'J'}, {"train-seed", required_argument, 0, 'K'},
        {"help", no_argument, 0, 'h'},          CLI_TABLE_LONGOPTS,
        {"noise", required_argument, 0, 0x1201},
        CLI_MOO_LONGOPTS,                       CLI_VERBOSITY_LONGOPTS, {0, 0, 0, 0}};
    struct table_opts topts;
    table_default_opts(&topts);
    struct objectives obj = {0};
    const char *table_path = NULL, *dataset = NULL, *strategy = NULL, *budget_s = NULL;
    const char *out = NULL, *journal = NULL;
    long seed = CLI_DEFAULT_SEED, train_seed = CLI_DEFAULT_SEED;
    int trace = 0, noise = 0, c, mrc;
    optind = 1;
    opterr = 0;
    static const char *const excl[] = {"table", "bench", NULL};
    struct cli_seen seen = {.excl = excl};
    int li = -1;
    while ((c = getopt_long(argc, argv, "hqv", longopts, &li)) != -1) {
        if (cli_option_once("search", longopts, &li, &seen)) return CLI_USAGE;
        int vq = cli_verbosity_option("search", c);
        if (vq < 0) return CLI_USAGE;
        if (vq) continue;
        if (cli_table_option(c, optarg, &topts)) continue;
        if (c == 0x1201) {
            if (strcmp(optarg, "seed") && strcmp(optarg, "none"))
                return cli_usage_error("search", "bad --noise '%.64s' (seed or none)", optarg);
            noise = !strcmp(optarg, "seed");
            continue;
        }
        if (cli_moo_option(c, optarg, &obj, "search", &mrc)) {
            if (mrc) return mrc;
            continue;
        }
        switch (c) {
        case 't': table_path = optarg; break;
        case 'B':
            if (strncmp(optarg, "table:", 6) && strncmp(optarg, "live:", 5))
                return cli_usage_error("search", "unknown bench '%.64s' (known: table:PATH, live:fmnist)", optarg);
            table_path = optarg;
            break;
        case 'J': journal = optarg; break;
        case 'K':
            if (cli_parse_long(optarg, &train_seed) || train_seed < 0)
                return cli_usage_error("search", "bad --train-seed '%.64s'", optarg);
            break;
        case 'd': dataset = optarg; break;
        case 's': strategy = optarg; break;
        case 'b': budget_s = optarg; break;
        case 'k':
            if (cli_parse_long(optarg, &seed) || seed < 0)
                return cli_usage_error("search", "bad --seed '%.64s'", optarg);
            break;
        case 'o': out = optarg; break;
        case 'T': trace = 1; break;
        case 'h': help(stdout); return CLI_OK;
        default:
            return cli_bad_option("search", longopts, c, argv[optind - 1]);
        }
    }
    if (optind < argc) return cli_usage_error("search", "unexpected argument '%.64s'", argv[optind]);
    if (cli_quiet_stdout(trace || (out && !strcmp(out, "-")))) return CLI_ERROR;
    if (!table_path) return cli_usage_error("search", "--table or --bench is required");
    if (!strategy) return cli_usage_error("search", "--strategy is required");
    if (!budget_s) return cli_usage_error("search", "--budget is required");
    double budget;
    int kind;
    if (cli_parse_budget(budget_s, &budget, &kind))
        return cli_usage_error("search",
                               "bad --budget '%.64s' (a positive integer, seconds as '3600s' or epochs as '2000e')",
                               budget_s);
    struct search_spec spec;
    if (search_spec_parse(strategy, &spec)) return cli_spec_error("search", strategy);
    if ((mrc = cli_moo_check_strategy(spec.type, &obj, "search"))) return mrc;

    if ((mrc = cli_check_inherit("search", &spec, table_path, &obj))) return mrc;

    int live = !strncmp(table_path, "live:", 5);
    if (nasw_mpi_rank() > 0) { /* an MPI worker: train what rank 0 sends */
        if (!live) return CLI_OK;
        int wst = mpi_worker(table_path, (uint64_t)train_seed);
        return wst ? cli_error_status(wst) : CLI_OK;
    }
    struct cli_benches cb;
    char *dl[1] = {(char *)dataset};
    if (cli_moo_precheck(table_path, &obj) ||
        cli_benches_open(&cb, table_path, dl, dataset ? 1 : 0, &topts, journal, train_seed))
        return CLI_ERROR;
    int rc = CLI_ERROR, st;
    struct bench *b = cb.b[0];
    struct runlog *log = NULL;
    struct search_trace tr = {0};
    if (cb.n > 1) {
        cli_error("table '%.200s' has %d datasets: choose one with --dataset", table_path, cb.n);
        goto done;
    }
    if (cli_moo_apply(&cb, &obj)) goto done;
    if (noise && (st = bench_set_noise(b))) {
        cli_error_status(st);
        goto done;
    }
    if (search_check_bench(spec.type, b) || /* a one-shot strategy on a bench without a supernet */
        search_spec_check(&spec, b) ||      /* the space; init=zc: the column, the pool */
        search_check(&spec, bench_space(b))) { /* e.g. an encoding too wide for the model */
        rc = cli_usage_error("search", "%s", nasw_errmsg());
        goto done;
    }
    if (kind == BUDGET_SECONDS && !b->has_cost) {
        cli_error("table '%.200s' has no cost column: a budget in seconds needs one (--cost NAME)",
                  table_path);
        goto done;
    }
    char full[512];
    search_spec_format(&spec, full, sizeof full);
    if (out && (st = runlog_open(&log, out))) {
        cli_error_status(st);
        goto done;
    }
    struct search_run_opts o = {.budget = budget,
                                .kind = (enum budget_kind)kind,
                                .seed = (uint64_t)seed,
                                .log = log,
                                .command = cli_command_line};
    struct mpi_pool *pool = NULL;
    struct search_evaluator ev;
    if (live && nasw_mpi_size() > 1 && (spec.type->multi_fidelity || kind == BUDGET_EPOCHS || search_spec_inherit_epochs(&spec))) {
        /* MPI workers train full schedules only (train/mpi.c) */
        cli_error("strategy '%s' trains partially: it does not run under mpirun yet", spec.type->name);
        goto done;
    }
    if (live && nasw_mpi_size() > 1) {
        if ((st = mpi_pool_new(&pool, b))) {
            cli_error_status(st);
            goto done;
        }
        ev = (struct search_evaluator){mpi_pool_slots(pool), mpi_pool_submit, mpi_pool_wait, pool};
        o.eval = &ev;
        fprintf(stderr, "search: %d MPI training workers\n", mpi_pool_slots(pool));
    }
    st = search_run(b, &spec, &o, &tr);
    mpi_pool_free(pool);
    if (st) {
        cli_error_status(st);
        goto done;
    }
    if (live && live_bench_fallbacks(b) > 0)
        cli_warn("%ld children trained from scratch: their parents' weights were not kept (the journal was made "
                 "without inherit=1, or its .weights directory removed)", live_bench_fallbacks(b));
    const struct space *s = bench_space(b);
    /* with the run log on stdout (--out -) the text goes to stderr */
    FILE *rows = out && !strcmp(out, "-") ? stderr : stdout, *txt = cli_text(rows); /* --trace rows are data */
    char arch[ARCH_STR_MAX];
    long best = tr.n ? tr.steps[tr.n - 1].incumbent : -1;
    int mf = spec.type->multi_fidelity || kind == BUDGET_EPOCHS;
    for (long i = 0; trace && i < tr.n; i++) {
        const struct search_step *p = &tr.steps[i];
        struct arch a;
        arch_from_key(s, p->key, &a);
        arch_format(s, &a, arch, sizeof arch);
        /* multi-fidelity runs add the epochs answered and charged so far */
        if (mf)
            fprintf(rows, "%ld\t%.6g\t%.6g\t%.6g\t%.6g\t%d\t%.0f\t%s\n", i + 1, p->val, p->test, p->best_val,
                   p->test_at_best, p->epochs, p->total_epochs, arch);
        else
            fprintf(rows, "%ld\t%.6g\t%.6g\t%.6g\t%.6g\t%s\n", i + 1, p->val, p->test, p->best_val, p->test_at_best,
                   arch);
    }
    fprintf(txt, "strategy   %s\n", full);
    fprintf(txt, "bench      %s (%s searched, %s reported)\n", b->name, b->search_metric, b->report_metric);
    fprintf(txt, "seed       %ld\n", seed);
    fprintf(txt, "queries    %ld (stop: %s)", tr.n, search_stop_name(tr.stop));
    if (b->has_cost) fprintf(txt, ", %.6g simulated seconds", tr.n ? tr.steps[tr.n - 1].total_cost_s : 0.0);
    if (b->max_epochs > 0) fprintf(txt, ", %.0f epochs", tr.n ? tr.steps[tr.n - 1].total_epochs : 0.0);
    fprintf(txt, "\n");
    if (obj.n >= 2) {
        /* the front replaces the single best (printed below) */
    } else if (best >= 0) {
        struct arch a;
        arch_from_key(s, tr.steps[best].key, &a);
        arch_format(s, &a, arch, sizeof arch);
        fprintf(txt, "best       %s\n", arch);
        fprintf(txt, "%-10s %.6g (query %ld", b->search_metric, tr.steps[best].val, best + 1);
        if (mf) fprintf(txt, ", %d epochs", tr.steps[best].epochs);
        fprintf(txt, ")\n");
        fprintf(txt, "%-10s %.6g\n", b->report_metric, tr.steps[best].test);
    } else {
        fprintf(txt, "best       none (every query failed%s)\n", obj.n_con ? " or was infeasible" : "");
    }
    if (obj.n >= 2) moo_print_front(b, &tr, cb.t, stdout);
    double cv, ct;
    if (obj.n < 2 && bench_oracle(b, &cv, &ct) == NASW_OK)
        fprintf(txt, "ceiling    %s %.6g -> %s %.6g (validation-selection ceiling)\n", b->search_metric, cv,
               b->report_metric, ct);
    if (log) {
        st = runlog_close(log, 1);
        log = NULL;
        if (st) {
            cli_error_status(st);
            goto done;
        }
    }
    rc = CLI_OK;
done:
    runlog_close(log, 0);
    search_trace_release(&tr);
    cli_benches_close(&cb);
    return rc;
}
