/*
 * cli/score.c - `nasw score`: zero-cost proxies of NAS-Bench-201 cells,
 * computed on the trainer's network (train/proxies.h), written as a table
 * in nasw's schema (one column per proxy) that joins a table by `arch`.
 *
 * The output is its own journal, as `tables build`'s: the header, then one
 * row per architecture appended and flushed as it finishes; running the
 * same command again skips what is there (a torn last line is cut off), so
 * an interrupted run resumes.  Architectures run in parallel over OpenMP
 * threads (each its own network; the kernels inside run single-threaded,
 * as nested parallel regions), so the scores do not depend on the order or
 * on --threads: every architecture uses the same initialisation seed and
 * batch.  Under mpirun (as `tables build`), rank 0 keeps the journal and
 * hands the architectures still to score to ranks 1..N-1, which set up the
 * same network, batch and seed and answer each with its proxies
 * (train/mpi.h): the same scores as in one process, rows in completion order.
 */
#define _GNU_SOURCE
#include <cblas.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "cli/cli.h"
#include "core/hashmap.h"
#include "core/rng.h"
#include "core/status.h"
#include "train/cnn.h"
#include "train/idx.h"
#include "train/proxies.h"
#include "train/mpi.h"
#include "train/trainer.h"

static void help(FILE *f)
{
    fprintf(f,
            "usage: nasw score (--arch A | --table T [--dataset D] [--sample N]) --out F.csv\n"
            "                  [--proxies LIST|all] [--preset P] [--channels C] [--cells N]\n"
            "                  [--input CxHxW] [--classes K] [--data fmnist|random] [--batch B]\n"
            "                  [--seed K] [--jobs J]\n"
            "\n"
            "Zero-cost proxies of NAS-Bench-201 cells on the trainer's network at initialisation,\n"
            "written as a table (arch,dataset,[the table's search/report metrics,]one column per\n"
            "proxy) that joins a table by arch; an undefined score is an empty field (counted in a\n"
            "warning at the end).  F.csv is a journal: rows are appended as they finish, and\n"
            "running the same command again resumes (F.csv.score keeps the settings the scores\n"
            "depend on; a resume with other ones is refused).  Definitions: docs/zero-cost.md.\n"
            "  --arch A        one NB201 architecture string\n"
            "  --table T       every architecture of a table (of dataset D, default the first);\n"
            "                  its search and report metric columns are copied into F.csv\n"
            "  --sample N      N of them, drawn uniformly by --seed (default all)\n"
            "  --proxies LIST  comma-separated, or all (default): %s\n"
            "  --preset P      network and input of a training preset: %s (default proxy)\n"
            "  --channels C, --cells N   override the preset's C and N\n"
            "  --input CxHxW   input shape (default 1xRxR, R the preset's resolution; H, W\n"
            "                  multiples of 4); other than Fashion-MNIST's needs --data random\n"
            "  --classes K     classifier outputs (default 10)\n"
            "  --data D        fmnist: the first B training images of the preset's split;\n"
            "                  random: Gaussian images and uniform labels drawn by --seed\n"
            "  --batch B       minibatch size (default 64)\n"
            "  --seed K        initialisation (and sample, random data) seed (default 1)\n"
            "  --jobs J        architectures scored at once, OpenMP threads (default: OpenMP's\n"
            "                  thread count; --threads J is the same flag); same scores for any J;\n"
            "                  under mpirun, ranks 1..N-1 score one architecture at a time each\n"
            CLI_VERBOSITY_HELP,
            proxy_names(), train_preset_names());
}

struct job {
    struct arch a;
    char str[ARCH_STR_MAX];
    double carry[2];   /* the table's search and report metrics */
};

struct score_ctx {
    const struct space *s;
    struct cnn_config cfg;
    struct proxy_batch batch;
    uint64_t seed;
    int want[PROXY_COUNT];
    int ncarry;
    const char *dataset;
    FILE *out;
    const char *out_path;
    long undefined[PROXY_COUNT];
    int write_failed;
};

static int parse_shape(const char *s, int *c, int *h, int *w)
{
    char *end;
    long v[3];
    for (int i = 0; i < 3; i++) {
        errno = 0;
        v[i] = strtol(s, &end, 10);
        if (errno || end == s || v[i] < 1 || v[i] > 4096) return -1;
        if (i < 2 && *end != 'x') return -1;
        s = end + (i < 2);
    }
    if (*end) return -1;
    *c = (int)v[0], *h = (int)v[1], *w = (int)v[2];
    return 0;
}

/* One row; NaN proxies as empty fields.  Returns -1 on a write error. */
static int write_row(struct score_ctx *c, const struct job *j, const double *v)
{
    FILE *f = c->out;
    fprintf(f, "%s,%s", j->str, c->dataset);
    for (int i = 0; i < c->ncarry; i++) fprintf(f, ",%.10g", j->carry[i]);
    for (int i = 0; i < PROXY_COUNT; i++) {
        if (!c->want[i]) continue;
        if (isnan(v[i])) {
            fputc(',', f);
            c->undefined[i]++;
        } else if (i == PROXY_PARAMS || i == PROXY_FLOPS) {
            fprintf(f, ",%.0f", v[i]);
        } else {
            fprintf(f, ",%.9g", v[i]);
        }
    }
    fputc('\n', f);
    return fflush(f) || ferror(f) ? -1 : 0;
}

/* The rows of an existing output: the header must be ours, each row's
 * architecture is marked done.  A torn last line is cut off. */
static int resume(const char *path, const char *header, const struct space *s, struct hashmap *done)
{
    FILE *f = fopen(path, "r+");
    if (!f) {
        if (errno == ENOENT) return NASW_OK;
        return nasw_errorf(NASW_EIO, "cannot open '%.200s': %s", path, strerror(errno));
    }
    char *line = NULL;
    size_t cap = 0;
    long lineno = 0, good = 0;
    ssize_t n;
    int st = NASW_OK;
    while ((n = getline(&line, &cap, f)) > 0) {
        if (line[n - 1] != '\n') break; /* torn: cut below */
        line[n - 1] = '\0';
        lineno++;
        if (lineno == 1) {
            if (strcmp(line, header)) {
                st = nasw_errorf(NASW_EPARSE,
                                 "%.200s:1: written with other columns or proxies (header differs); "
                                 "use another --out",
                                 path);
                break;
            }
        } else {
            char *comma = strchr(line, ',');
            struct arch a;
            if (comma) *comma = '\0';
            if (!comma || arch_parse(s, line, &a)) {
                st = nasw_errorf(NASW_EPARSE, "%.200s:%ld: malformed score record", path, lineno);
                break;
            }
            if ((st = hashmap_put(done, arch_key(s, &a), 1))) break;
        }
        good += n;
    }
    free(line);
    if (!st && ftruncate(fileno(f), (off_t)good))
        st = nasw_errorf(NASW_EIO, "cannot repair '%.200s': %s", path, strerror(errno));
    fclose(f);
    return st;
}

/* The settings a journal's scores depend on, in PATH.score: written with a
 * new journal, and a resumed journal must have been made with the same
 * ones (scores of another network, batch or seed are never mixed). */
static int check_settings(const char *out, const char *settings, int fresh)
{
    char path[4200], *line = NULL;
    size_t cap = 0;
    snprintf(path, sizeof path, "%s.score", out);
    if (fresh) {
        char tmp[4300];
        snprintf(tmp, sizeof tmp, "%s.tmp", path);
        FILE *f = fopen(tmp, "w");
        int bad = !f || fprintf(f, "%s\n", settings) < 0;
        if (f && fclose(f)) bad = 1;
        if (bad || rename(tmp, path)) {
            int e = errno;
            remove(tmp);
            return nasw_errorf(NASW_EIO, "cannot write '%.200s': %s", path, strerror(e));
        }
        return NASW_OK;
    }
    FILE *f = fopen(path, "r");
    if (!f)
        return nasw_errorf(NASW_EIO, "cannot open '%.200s' (the settings of '%.200s'): %s", path, out, strerror(errno));
    ssize_t n = getline(&line, &cap, f);
    fclose(f);
    if (n > 0 && line[n - 1] == '\n') line[n - 1] = '\0';
    int st = n > 0 && !strcmp(line, settings)
                 ? NASW_OK
                 : nasw_errorf(NASW_EINVAL, "'%.200s' was scored with other settings (%.200s); use another --out",
                               out, n > 0 ? line : "none");
    free(line);
    return st;
}

/* Score the jobs (threads at once); rows journaled in completion order. */
static int run_jobs(struct score_ctx *c, const struct job *jobs, long n, int threads, struct cli_progress *p)
{
    int st = NASW_OK;
    long finished = 0;
#ifdef _OPENMP
#pragma omp parallel for schedule(dynamic, 1) num_threads(threads)
#else
    (void)threads;
#endif
    for (long i = 0; i < n; i++) {
        int bad;
#ifdef _OPENMP
#pragma omp atomic read
#endif
        bad = st;
        if (bad) continue;
        double v[PROXY_COUNT];
        int s2 = proxies_compute(c->s, &jobs[i].a, &c->cfg, &c->batch, c->seed, c->want, v);
#ifdef _OPENMP
#pragma omp critical(score_out)
#endif
        {
            if (s2 && !st) st = s2;
            else if (!s2 && !st) {
                if (write_row(c, &jobs[i], v)) {
                    c->write_failed = 1;
                    st = NASW_EIO;
                }
                cli_progress_set(p, (double)++finished);
            }
        }
    }
    return st;
}

/* An MPI worker's job: the proxies of the architecture with this key. */
static int score_key(void *arg, uint64_t key, double *out)
{
    struct score_ctx *c = arg;
    struct arch a;
    arch_from_key(c->s, key, &a);
    return proxies_compute(c->s, &a, &c->cfg, &c->batch, c->seed, c->want, out);
}

/* Rank 0 under mpirun: journal each answer as it comes back. */
struct mpi_rows {
    struct score_ctx *c;
    const struct job *jobs;
    struct hashmap index;  /* key -> job */
    struct cli_progress *p;
    long finished;
};

static int mpi_row(void *arg, uint64_t key, const double *v)
{
    struct mpi_rows *m = arg;
    int64_t i;
    if (!hashmap_get(&m->index, key, &i)) return nasw_errorf(NASW_EIO, "MPI worker answered a job it was not given");
    if (write_row(m->c, &m->jobs[i], v)) {
        m->c->write_failed = 1;
        return NASW_EIO;
    }
    cli_progress_set(m->p, (double)++m->finished);
    return NASW_OK;
}

/* The todo jobs over the MPI workers (ranks 1..N-1; this rank journals). */
static int run_jobs_mpi(struct score_ctx *c, const struct job *jobs, long n, struct cli_progress *p)
{
    struct mpi_rows m = {.c = c, .jobs = jobs, .p = p};
    uint64_t *keys = malloc(sizeof *keys * (size_t)(n ? n : 1));
    int st = keys ? NASW_OK : nasw_errorf(NASW_ENOMEM, "out of memory");
    for (long i = 0; !st && i < n; i++) {
        keys[i] = arch_key(c->s, &jobs[i].a);
        if (hashmap_put(&m.index, keys[i], i)) st = nasw_errorf(NASW_ENOMEM, "out of memory");
    }
    if (!st) st = mpi_jobs_run(keys, n, PROXY_COUNT, mpi_row, &m);
    hashmap_release(&m.index);
    free(keys);
    return st;
}

int cmd_score(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"arch", required_argument, 0, 'a'},     {"table", required_argument, 0, 't'},
        {"dataset", required_argument, 0, 'd'},  {"sample", required_argument, 0, 'n'},
        {"proxies", required_argument, 0, 'P'},  {"out", required_argument, 0, 'o'},
        {"preset", required_argument, 0, 'p'},   {"channels", required_argument, 0, 'C'},
        {"cells", required_argument, 0, 'N'},    {"input", required_argument, 0, 'i'},
        {"classes", required_argument, 0, 'k'},  {"data", required_argument, 0, 'D'},
        {"batch", required_argument, 0, 'b'},    {"seed", required_argument, 0, 's'},
        {"jobs", required_argument, 0, 'T'},     {"threads", required_argument, 0, 'T'},
        {"help", no_argument, 0, 'h'},
        CLI_VERBOSITY_LONGOPTS, {0, 0, 0, 0}};
    const char *arch_s = NULL, *table_path = NULL, *dataset = NULL, *proxies = "all", *out = NULL,
               *preset = "proxy", *input = NULL, *data = NULL;
    long sample = 0, channels = 0, cells = -1, classes = 10, batch = 64, seed = CLI_DEFAULT_SEED, threads = 0;
    int opt;
    optind = 1;
    opterr = 0;
    struct cli_seen seen = {0};
    int li = -1, named; /* named: li before cli_option_once() resets it */
    while ((opt = getopt_long(argc, argv, "hqv", longopts, &li)) != -1) {
        named = li;
        if (cli_option_once("score", longopts, &li, &seen)) return CLI_USAGE;
        long *num = NULL;
        const char *flag = NULL;
        long lo = 1, hi = 1L << 30;
        int vq = cli_verbosity_option("score", opt);
        if (vq < 0) return CLI_USAGE;
        if (vq) continue;
        switch (opt) {
        case 'a': arch_s = optarg; break;
        case 't': table_path = optarg; break;
        case 'd': dataset = optarg; break;
        case 'P': proxies = optarg; break;
        case 'o': out = optarg; break;
        case 'p': preset = optarg; break;
        case 'i': input = optarg; break;
        case 'D': data = optarg; break;
        case 'n': num = &sample, flag = "sample"; break;
        case 'C': num = &channels, flag = "channels", hi = 1024; break;
        case 'N': num = &cells, flag = "cells", lo = 0, hi = 64; break;
        case 'k': num = &classes, flag = "classes", lo = 2, hi = 100000; break;
        case 'b': num = &batch, flag = "batch", lo = 2, hi = 4096; break;
        case 's': num = &seed, flag = "seed", lo = 0, hi = LONG_MAX; break;
        case 'T': num = &threads, flag = named >= 0 ? longopts[named].name : "jobs", hi = 1024; break;
        case 'h': help(stdout); return CLI_OK;
        default: return cli_bad_option("score", longopts, opt, argv[optind - 1]);
        }
        if (num && (cli_parse_long(optarg, num) || *num < lo || *num > hi))
            return cli_usage_error("score", "bad --%s '%.64s' (%ld..%ld)", flag, optarg, lo, hi);
    }
    if (optind < argc) return cli_usage_error("score", "unexpected argument '%.64s'", argv[optind]);
    if (cli_quiet_stdout(0)) return CLI_ERROR;
    if (!arch_s == !table_path) return cli_usage_error("score", "give exactly one of --arch A and --table T");
    if (!out) return cli_usage_error("score", "--out F.csv is required");
    /* the output is a journal (resumed from, with a settings sidecar):
     * "-" would be a file of that name, not stdout */
    if (!strcmp(out, "-")) return cli_usage_error("score", "--out must name a file (the table is a journal, resumed from)");
    if (arch_s && (sample || dataset)) return cli_usage_error("score", "--sample and --dataset need --table");
    struct score_ctx c;
    memset(&c, 0, sizeof c);
    char **items = NULL;
    int n_items = 0;
    if (!strcmp(proxies, "all")) {
        for (int i = 0; i < PROXY_COUNT; i++) c.want[i] = 1;
    } else {
        if (cli_split_list(proxies, &items, &n_items)) return cli_error("out of memory");
        for (int i = 0; i < n_items; i++) {
            int id = proxy_lookup(items[i]);
            if (id < 0) {
                int rc = cli_usage_error("score", "unknown proxy '%.64s' (proxies: %s)", items[i], proxy_names());
                cli_free_list(items, n_items);
                return rc;
            }
            c.want[id] = 1;
        }
        cli_free_list(items, n_items);
        if (!n_items) return cli_usage_error("score", "--proxies names no proxy (proxies: %s)", proxy_names());
    }
    struct train_config tc;
    if (train_preset(&tc, preset)) return cli_usage_error("score", "%s", nasw_errmsg());
    c.cfg.C = channels ? (int)channels : tc.C;
    c.cfg.N = cells >= 0 ? (int)cells : tc.N;
    c.cfg.in_ch = 1, c.cfg.H = c.cfg.W = tc.resolution;
    c.cfg.classes = (int)classes;
    if (input && (parse_shape(input, &c.cfg.in_ch, &c.cfg.H, &c.cfg.W) || c.cfg.H % 4 || c.cfg.W % 4))
        return cli_usage_error("score", "bad --input '%.64s' (CxHxW, H and W multiples of 4)", input);
    int fmnist_shape = c.cfg.in_ch == 1 && c.cfg.H == tc.resolution && c.cfg.W == tc.resolution && classes == 10;
    if (!data) data = fmnist_shape ? "fmnist" : "random";
    if (strcmp(data, "fmnist") && strcmp(data, "random"))
        return cli_usage_error("score", "unknown --data '%.64s' (fmnist or random)", data);
    int use_fmnist = !strcmp(data, "fmnist");
    if (use_fmnist && !fmnist_shape)
        return cli_usage_error("score", "--data fmnist needs --input 1x%dx%d and 10 classes (preset %s)",
                               tc.resolution, tc.resolution, tc.preset);
    c.seed = (uint64_t)seed;
    c.out_path = out;

    /* the architectures */
    int rc = CLI_ERROR, st;
    struct space *own = NULL;
    struct table *t = NULL;
    struct job *jobs = NULL;
    long n_jobs = 0;
    struct train_data *td = NULL;
    float *xr = NULL;
    int *yr = NULL;
    struct rng *r = rng_new((uint64_t)seed);
    struct hashmap done = {0};
    struct cli_progress *p = NULL;
    char *header = NULL;
    int d = 0, sm = -1, rm = -1, served = 0;
    if (!r) return cli_error("out of memory");
    if (arch_s) {
        if ((st = space_cell_new(&own, 4, arch_nb201_ops, 5))) goto status;
        c.s = own;
        if (!(jobs = calloc(1, sizeof *jobs))) goto nomem;
        if ((st = arch_parse(own, arch_s, &jobs[0].a))) goto status;
        n_jobs = 1;
        c.dataset = use_fmnist ? "fmnist" : "random";
    } else {
        struct table_opts o;
        table_default_opts(&o);
        if (!(t = cli_load_table(table_path, &o))) goto done;
        c.s = table_space(t);
        if (c.s->kind != SPACE_CELL) {
            rc = cli_error("table '%.200s' does not hold cell architectures (its space is a %s)", table_path,
                           space_kind_name(c.s->kind));
            goto done;
        }
        if (dataset && (d = table_dataset_index(t, dataset)) < 0) {
            rc = cli_usage_error("score", "table '%.200s' has no dataset '%.64s'", table_path, dataset);
            goto done;
        }
        c.dataset = table_dataset_name(t, d);
        sm = table_search_metric(t);
        rm = table_report_metric(t);
        c.ncarry = rm == sm ? 1 : 2;
        long rows = table_dataset_rows(t, d);
        if (sample > rows) {
            rc = cli_usage_error("score", "--sample %ld is more than the %ld rows of dataset '%.64s'", sample, rows,
                                 c.dataset);
            goto done;
        }
        long *idx = malloc(sizeof *idx * (size_t)(rows ? rows : 1));
        int *order = malloc(sizeof *order * (size_t)(rows ? rows : 1));
        jobs = calloc((size_t)(rows ? rows : 1), sizeof *jobs);
        if (!idx || !order || !jobs) {
            free(idx);
            free(order);
            goto nomem;
        }
        long m = 0;
        for (long i = 0; i < table_n_rows(t); i++)
            if (table_row_dataset(t, i) == d) idx[m++] = i;
        for (int i = 0; i < (int)m; i++) order[i] = i;
        if (sample) rng_shuffle_int(r, order, (int)m); /* a uniform sample; else file order */
        n_jobs = sample ? sample : m;
        for (long i = 0; i < n_jobs; i++) {
            long row = idx[order[i]];
            jobs[i].a = *table_row_arch(t, row);
            jobs[i].carry[0] = table_value(t, row, sm);
            jobs[i].carry[1] = table_value(t, row, rm);
        }
        free(idx);
        free(order);
    }
    for (long i = 0; i < n_jobs; i++)
        if ((st = arch_format(c.s, &jobs[i].a, jobs[i].str, sizeof jobs[i].str))) goto status;
    /* cnn_new's checks (ops the trainer knows, the shape) before any output */
    {
        struct cnn *probe;
        struct cnn_config pc = c.cfg;
        pc.max_batch = 1;
        if ((st = cnn_new(&probe, c.s, &jobs[0].a, &pc))) goto status;
        cnn_free(probe);
    }

    /* the batch */
    c.batch.B = (int)batch;
    if (use_fmnist) {
        if ((st = train_data_new(&td, &tc, FMNIST_DIR))) goto status;
        const float *x;
        const int *y;
        if (train_data_train_set(td, &x, &y) < batch) {
            rc = cli_usage_error("score", "--batch %ld is more than the preset's %d training images", batch,
                                 train_data_train_set(td, &x, &y));
            goto done;
        }
        c.batch.x = x, c.batch.y = y;
    } else {
        size_t px = (size_t)batch * c.cfg.in_ch * c.cfg.H * c.cfg.W;
        xr = malloc(px * sizeof *xr);
        yr = malloc((size_t)batch * sizeof *yr);
        if (!xr || !yr) goto nomem;
        rng_seed(r, (uint64_t)seed); /* the same batch with or without --sample */
        for (size_t i = 0; i < px; i++) xr[i] = (float)rng_gaussian(r, 1.0);
        for (long i = 0; i < batch; i++) yr[i] = (int)rng_int(r, (uint64_t)classes);
        c.batch.x = xr, c.batch.y = yr;
    }

    if (nasw_mpi_rank() > 0) { /* an MPI worker: score what rank 0 sends, one thread per architecture */
#ifdef _OPENMP
        omp_set_num_threads(1);
#endif
        openblas_set_num_threads(1);
        served = 1;
        st = mpi_serve(score_key, &c, PROXY_COUNT);
        rc = st ? cli_error_status(st) : CLI_OK;
        goto done;
    }

    /* the journal */
    size_t hl = 64 + 2 * 64 + (size_t)PROXY_COUNT * 16;
    if (!(header = malloc(hl))) goto nomem;
    snprintf(header, hl, "arch,dataset");
    for (int i = 0; i < c.ncarry; i++)
        snprintf(header + strlen(header), hl - strlen(header), ",%.60s", table_metric_name(t, i ? rm : sm));
    for (int i = 0; i < PROXY_COUNT; i++)
        if (c.want[i]) snprintf(header + strlen(header), hl - strlen(header), ",%s", proxy_name(i));
    int fresh = access(out, F_OK) != 0;
    char settings[256];
    snprintf(settings, sizeof settings, "preset=%s C=%d N=%d input=%dx%dx%d classes=%d data=%s batch=%ld seed=%ld",
             tc.preset, c.cfg.C, c.cfg.N, c.cfg.in_ch, c.cfg.H, c.cfg.W, c.cfg.classes, data, batch, seed);
    if (!fresh && (st = check_settings(out, settings, 0))) goto status;
    if ((st = resume(out, header, c.s, &done))) goto status;
    long before = 0, todo = 0;
    for (long i = 0; i < n_jobs; i++) {
        if (hashmap_get(&done, arch_key(c.s, &jobs[i].a), NULL)) before++;
        else jobs[todo++] = jobs[i];
    }
    if (!(c.out = fopen(out, "a"))) {
        rc = cli_error("cannot write '%.200s': %s", out, strerror(errno));
        goto done;
    }
    if (fresh && (st = check_settings(out, settings, 1))) {
        fclose(c.out);
        c.out = NULL;
        remove(out);
        goto status;
    }
    if (fresh && (fprintf(c.out, "%s\n", header) < 0 || fflush(c.out))) {
        rc = cli_error("cannot write '%.200s': %s", out, strerror(errno));
        goto done;
    }
#ifdef _OPENMP
    if (!threads) threads = omp_get_max_threads();
    /* the kernels inside each architecture's thread run on one thread (and
     * chunk their work for one), whatever OMP_NUM_THREADS and --threads are:
     * the same scores for every thread count, and no idle team spinning */
    omp_set_num_threads(1);
#else
    threads = 1;
#endif
    openblas_set_num_threads(1);
    fprintf(stderr, "score: %ld architectures (%ld already in '%s'), C=%d N=%d input %dx%dx%d, batch %ld of %s, %ld threads\n",
            n_jobs, before, out, c.cfg.C, c.cfg.N, c.cfg.in_ch, c.cfg.H, c.cfg.W, batch, data, threads);
    p = cli_progress_new("score", (double)todo);
    if (nasw_mpi_size() > 1)
        fprintf(stderr, "score: %d MPI scoring workers\n", nasw_mpi_size() - 1);
    st = nasw_mpi_size() > 1 ? run_jobs_mpi(&c, jobs, todo, p) : run_jobs(&c, jobs, todo, (int)threads, p);
    cli_progress_done(p);
    if (c.write_failed) {
        rc = cli_error("cannot write '%.200s': %s", out, strerror(errno));
        goto done;
    }
    if (st) goto status;
    long undefined = 0;
    for (int i = 0; i < PROXY_COUNT; i++) undefined += c.undefined[i];
    if (undefined) {
        char list[512] = "";
        for (int i = 0; i < PROXY_COUNT; i++)
            if (c.undefined[i])
                snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s %ld", list[0] ? ", " : "",
                         proxy_name(i), c.undefined[i]);
        cli_warn("%ld undefined scores written as empty fields (%s)", undefined, list);
    }
    printf("scored %ld architectures into %s (%ld now, %ld resumed)\n", n_jobs, out, todo, before);
    rc = CLI_OK;
    goto done;
nomem:
    st = nasw_errorf(NASW_ENOMEM, "out of memory");
status:
    rc = cli_error_status(st);
done:
    /* a worker whose setup failed still answers rank 0, which then fails */
    if (nasw_mpi_rank() > 0 && !served) mpi_serve(NULL, NULL, PROXY_COUNT);
    if (c.out && fclose(c.out) && rc == CLI_OK) rc = cli_error("cannot write '%.200s': %s", out, strerror(errno));
    free(header);
    hashmap_release(&done);
    free(jobs);
    free(xr);
    free(yr);
    train_data_free(td);
    rng_free(r);
    table_free(t);
    space_free(own);
    return rc;
}
