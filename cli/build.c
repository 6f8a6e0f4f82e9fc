/*
 * cli/build.c - `nasw tables build`: a NAS-Bench-style table made by the
 * live trainer.  The table is the live bench's journal, so an interrupted
 * build resumes where it stopped when the same command is run again.
 */
#define _GNU_SOURCE
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "core/rng.h"
#include "core/status.h"
#include "train/live.h"
#include "train/mpi.h"
#include "train/trainer.h"

static void help(FILE *f)
{
    fprintf(f,
            "usage: nasw tables build --space nb201 --sample N|all --preset P --out T.csv\n"
            "                         [--seed K] [--train-seed K] [-q|-v]\n"
            "\n"
            "Train architectures with the live trainer (NAS-Bench-201 cells on Fashion-MNIST)\n"
            "and write them as a table in nasw's schema: T.csv (final metrics, cost in\n"
            "seconds, params, FLOPs), T_curves.csv (per-epoch curves) and T.csv.meta.json.\n"
            "Every result is appended as it finishes; running the same command again\n"
            "resumes and retrains nothing that is done.\n"
            "  --space nb201   the NAS-Bench-201 cell space (15,625 cells)\n"
            "  --sample N      N architectures drawn uniformly without replacement by --seed\n"
            "                  (the same seed always gives the same order); 'all' = every cell\n"
            "  --preset P      training preset: %s (default proxy)\n"
            "  --seed K        sampling and training seed (default 1)\n"
            "  --train-seed K  training seed instead of --seed (the same sample trained\n"
            "                  again with other initialisations and batch orders)\n"
            CLI_VERBOSITY_HELP
          "                 (and one line per epoch)\n",
            train_preset_names());
}

int cmd_tables_build(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"space", required_argument, 0, 's'}, {"sample", required_argument, 0, 'n'},
        {"preset", required_argument, 0, 'p'}, {"out", required_argument, 0, 'o'},
        {"seed", required_argument, 0, 'k'},   
        {"train-seed", required_argument, 0, 't'}, {"help", no_argument, 0, 'h'},
        CLI_VERBOSITY_LONGOPTS, {0, 0, 0, 0}};
    const char *space = "nb201", *sample = NULL, *preset = "proxy", *out = NULL;
    long seed = CLI_DEFAULT_SEED, train_seed = -1, n = 0;
    int c;
    optind = 1;
    opterr = 0;
    struct cli_seen seen = {0};
    int li = -1;
    while ((c = getopt_long(argc, argv, "hqv", longopts, &li)) != -1) {
        if (cli_option_once("tables build", longopts, &li, &seen)) return CLI_USAGE;
        int vq = cli_verbosity_option("tables build", c);
        if (vq < 0) return CLI_USAGE;
        if (vq) continue;
        switch (c) {
        case 's': space = optarg; break;
        case 'n': sample = optarg; break;
        case 'p': preset = optarg; break;
        case 'o': out = optarg; break;
        case 'k':
            if (cli_parse_long(optarg, &seed) || seed < 0)
                return cli_usage_error("tables build", "bad --seed '%.64s'", optarg);
            break;
        case 't':
            if (cli_parse_long(optarg, &train_seed) || train_seed < 0)
                return cli_usage_error("tables build", "bad --train-seed '%.64s'", optarg);
            break;
        case 'h': help(stdout); return CLI_OK;
        default: return cli_bad_option("tables build", longopts, c, argv[optind - 1]);
        }
    }
    if (optind < argc) return cli_usage_error("tables build", "unexpected argument '%.64s'", argv[optind]);
    if (cli_quiet_stdout(0)) return CLI_ERROR;
    if (strcmp(space, "nb201")) return cli_usage_error("tables build", "unknown space '%.64s' (known: nb201)", space);
    if (!out) return cli_usage_error("tables build", "--out T.csv is required");
    if (!sample) return cli_usage_error("tables build", "--sample N|all is required");
    if (!strcmp(out, "-"))
        return cli_usage_error("tables build", "--out must name a file (the table is a journal, resumed from)");
    if (train_seed < 0) train_seed = seed;
    struct train_config cfg;
    if (train_preset(&cfg, preset)) return cli_usage_error("tables build", "%s", nasw_errmsg());
    /* --sample checked against the space before the journal is opened
     * (which creates its files) */
    struct space *nb201;
    int st = space_cell_new(&nb201, 4, arch_nb201_ops, 5);
    if (st) return cli_error_status(st);
    uint64_t size = nb201->size;
    space_free(nb201);
    if (!strcmp(sample, "all")) n = (long)size;
    else if (cli_parse_long(sample, &n) || n < 1 || n > (long)size)
        return cli_usage_error("tables build", "bad value '%.64s' for --sample (1..%llu or all)", sample,
                               (unsigned long long)size);
    char spec[96];
    snprintf(spec, sizeof spec, "fmnist:%s", preset);
    if (nasw_mpi_rank() > 0) { /* an MPI worker */
        int wst = mpi_worker(spec, (uint64_t)train_seed);
        return wst ? cli_error_status(wst) : CLI_OK;
    }
    struct live_opts lo = {.journal = out, .seed = (uint64_t)train_seed, .verbose = cli_verbosity == CLI_VERBOSE};
    struct bench *b;
    if ((st = live_bench_new(&b, spec, &lo))) return cli_error_status(st);
    const struct space *s = bench_space(b);
    /* a fixed random order of the whole space; the first n are the sample */
    int *order = malloc(sizeof *order * (size_t)s->size);
    struct rng *r = rng_new((uint64_t)seed);
    if (!order || !r) {
        free(order);
        rng_free(r);
        bench_free(b);
        return cli_error("out of memory");
    }
    for (int i = 0; i < (int)s->size; i++) order[i] = i;
    rng_shuffle_int(r, order, (int)s->size);
    long before = live_bench_done(b);
    fprintf(stderr, "tables build: %ld architectures, preset %s, %ld already in '%s'\n", n, preset, before, out);
    struct cli_progress *p = cli_progress_new("build", (double)n);
    int rc = CLI_OK;
    struct mpi_pool *pool = NULL;
    if (nasw_mpi_size() > 1) {
        if ((st = mpi_pool_new(&pool, b))) rc = cli_error_status(st);
        else fprintf(stderr, "tables build: %d MPI training workers\n", mpi_pool_slots(pool));
    }
    if (pool) {
        /* keep every worker busy; results are journaled by this rank */
        long next = 0, done = 0, inflight = 0;
        while (rc == CLI_OK && done < n) {
            while (next < n && inflight < mpi_pool_slots(pool)) {
                struct arch a;
                arch_from_key(s, (uint64_t)order[next++], &a);
                if ((st = mpi_pool_submit(pool, &a, 0))) break;
                inflight++;
            }
            struct arch a;
            struct bench_result res;
            if (st || (st = mpi_pool_wait(pool, &a, &res))) {
                rc = cli_error_status(st);
                break;
            }
            inflight--;
            cli_progress_set(p, (double)++done);
        }
        mpi_pool_free(pool);
    }
    for (long i = 0; rc == CLI_OK && !pool && i < n; i++) {
        struct arch a;
        struct bench_result res;
        arch_from_key(s, (uint64_t)order[i], &a);
        if ((st = bench_query(b, &a, 0, &res))) {
            rc = cli_error_status(st);
            break;
        }
        cli_progress_set(p, (double)(i + 1));
    }
    cli_progress_done(p);
    if (rc == CLI_OK)
        printf("built %ld architectures into %s (%ld trained now, %ld resumed)\n", n, out,
               live_bench_done(b) - before, before);
    free(order);
    rng_free(r);
    bench_free(b);
    return rc;
}
