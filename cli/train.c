/*
 * cli/train.c - `nasw train`: train one NAS-Bench-201 cell on Fashion-MNIST,
 * or time training steps (--benchmark).
 *
 * --out FILE is rewritten (core/outfile.h: temporary file + rename) after
 * every epoch, so it always holds a complete JSON document with the curve
 * so far.  A target that cannot be replaced (a FIFO, a device, "-" for
 * stdout, when the text goes to stderr) gets the final document only.
 */
#define _GNU_SOURCE
#include <getopt.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "core/rng.h"
#include "core/runlog.h"
#include "core/outfile.h"
#include "core/status.h"
#include "train/cnn.h"
#include "train/layers.h"
#include "train/trainer.h"

static void help(FILE *f)
{
    fprintf(f,
            "usage: nasw train --arch A [--preset P] [--epochs E] [--seed K] [--out run.json]\n"
            "                  [--channels C] [--cells N] [--batch-size B] [--train-size T]\n"
            "                  [--benchmark STEPS]\n"
            "\n"
            "Train one NAS-Bench-201 cell network on Fashion-MNIST (%s, or\n"
            "$NASW_FMNIST) and print per-epoch train/validation/test loss and accuracy\n"
            "and seconds per epoch.\n"
            "  --arch A          NB201 architecture string\n"
            "  --preset P        %s (default proxy); --channels, --cells, --batch-size\n"
            "                    --train-size and --epochs override it\n"
            "  --train-size T    train on T images of the 60k after the validation split\n"
            "  --seed K          initialisation and batch-order seed (default 1)\n"
            "  --out FILE        JSON run record, rewritten after every epoch ('-': stdout,\n"
            "                    the final record only, and the text goes to stderr)\n"
            "  --benchmark S     time S training steps (forward + backward + SGD) on a fixed\n"
            "                    28x28 batch after 5 warm-up steps; print images/s and\n"
            "                    GFLOP/s, no training to completion\n"
            "Environment: NASW_CONV=winograd|im2col, the algorithm of the 3x3 same\n"
            "convolutions (default winograd: Winograd F(2x2,3x3), F(4x4,3x3) on 7x7 planes\n"
            "with >= 32 channels, for the forward, input and weight gradients)\n"
            CLI_VERBOSITY_HELP,
            FMNIST_DIR, train_preset_names());
}

struct run_ctx {
    const char *out;
    json_t *doc, *epochs;
    int failed_write;
    int every_epoch;    /* out can be replaced: rewritten after every epoch */
    FILE *txt;          /* the per-epoch text: stdout, or stderr for --out - */
    /* with a replaceable --out: a checkpoint OUT.ckpt after every epoch but
     * the last (a FIFO, device or stdout gets the final record only) */
    struct train_run *run;
    char ckpt[4200];
    uint64_t settings;
    int last_epoch;
    struct cli_progress *prog; /* over the epochs; cleared before each epoch's line */
};

/* final: the last version of the document (written whatever the target). */
static int write_doc(struct run_ctx *c, int final)
{
    if (!c->out || c->failed_write) return c->failed_write ? -1 : 0;
    if (!final && !c->every_epoch) return 0;
    struct outfile *o;
    FILE *f = cli_out_open(&o, NULL, c->out);
    if (f && (json_dumpf(c->doc, f, JSON_INDENT(1) | JSON_REAL_PRECISION(10)) != 0 || fputc('\n', f) == EOF)) {
        outfile_abort(o);
        cli_error("cannot write '%.200s'", c->out);
        f = NULL;
    }
    if (!f || cli_out_commit(o) != CLI_OK) {
        c->failed_write = 1;
        return -1;
    }
    return 0;
}

static int on_epoch(void *arg, const struct train_epoch *e)
{
    struct run_ctx *c = arg;
    cli_progress_line(c->prog);
    if (c->txt) fprintf(c->txt, "epoch %3d  train loss %.4f acc %6.2f  val loss %.4f acc %6.2f  test loss %.4f acc %6.2f  %6.1fs\n",
            e->epoch, e->train_loss, e->train_acc, e->val_loss, e->val_acc, e->test_loss, e->test_acc, e->seconds);
    if (c->txt) fflush(c->txt);
    cli_progress_set(c->prog, e->epoch);
    json_t *o = json_pack("{s:i, s:f, s:f, s:f, s:f, s:f, s:f, s:f}", "epoch", e->epoch, "train_loss", e->train_loss,
                          "train_acc", e->train_acc, "val_loss", e->val_loss, "val_acc", e->val_acc, "test_loss",
                          e->test_loss, "test_acc", e->test_acc, "seconds", e->seconds);
    if (o) json_array_append_new(c->epochs, o);
    if (write_doc(c, 0)) return -1;
    /* after the record, so the checkpoint never runs ahead of OUT's curve */
    if (c->run && e->epoch < c->last_epoch) {
        int st = train_run_save(c->run, c->ckpt, c->settings);
        if (st) {
            cli_error_status(st);
            c->failed_write = 1;
            return -1;
        }
    }
    return 0;
}

/* Continue from OUT.ckpt, left by a training that was stopped: its state,
 * and OUT's curve up to its epoch.  CLI_OK if there is none. */
static int resume(struct run_ctx *c)
{
    if (access(c->ckpt, F_OK) != 0) return CLI_OK;
    int st = train_run_load(c->run, c->ckpt, c->settings);
    if (st) return cli_error_status(st);
    int done = train_run_epochs(c->run);
    json_error_t err;
    json_t *prev = json_load_file(c->out, 0, &err), *curve = prev ? json_object_get(prev, "curve") : NULL;
    for (size_t i = 0; json_is_array(curve) && i < json_array_size(curve); i++) {
        json_t *e = json_array_get(curve, i);
        if (json_integer_value(json_object_get(e, "epoch")) != (json_int_t)json_array_size(c->epochs) + 1 ||
            (int)json_array_size(c->epochs) >= done)
            break;
        json_array_append(c->epochs, e);
    }
    json_decref(prev);
    if ((int)json_array_size(c->epochs) < done)
        return cli_error("checkpoint '%.200s' is at epoch %d but '%.200s' holds no curve up to it (remove the "
                         "checkpoint to train from scratch)", c->ckpt, done, c->out);
    if (c->txt) fprintf(c->txt, "resuming at epoch %d from checkpoint '%s'\n", done + 1, c->ckpt);
    return CLI_OK;
}

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static int benchmark(const struct space *s, const struct arch *a, const struct train_config *cfg, long steps,
                     uint64_t seed)
{
    struct cnn_config nc = {.C = cfg->C, .N = cfg->N, .in_ch = 1, .H = 28, .W = 28, .classes = 10,
                            .max_batch = cfg->batch};
    struct cnn *n;
    int st = cnn_new(&n, s, a, &nc);
    if (st) return cli_error_status(st);
    struct rng *r = rng_new(seed);
    size_t px = 28 * 28 * (size_t)cfg->batch;
    float *x = malloc(px * sizeof *x);
    int *y = malloc(sizeof *y * (size_t)cfg->batch);
    if (!r || !x || !y) {
        free(x);
        free(y);
        rng_free(r);
        cnn_free(n);
        return cli_error("out of memory");
    }
    cnn_init(n, r);
    for (size_t i = 0; i < px; i++) x[i] = (float)rng_gaussian(r, 1.0);
    for (int i = 0; i < cfg->batch; i++) y[i] = (int)rng_int(r, 10);
    for (int i = 0; i < 5; i++) {
        cnn_forward(n, x, y, cfg->batch, 1, NULL);
        cnn_backward(n);
        cnn_sgd_step(n, 0.01f, 0.9f, 5e-4f, 1);
    }
    double t0 = now_s();
    for (long i = 0; i < steps; i++) {
        cnn_forward(n, x, y, cfg->batch, 1, NULL);
        cnn_backward(n);
        cnn_sgd_step(n, 0.01f, 0.9f, 5e-4f, 1);
    }
    double dt = now_s() - t0, images = (double)steps * cfg->batch;
    /* training FLOPs per image ~ 3 x forward (forward, input and weight gradients) */
    printf("network    C=%d N=%d 28x28 batch %d, %zu parameters, %.2f MFLOPs forward per image\n", cfg->C,
           cfg->N, cfg->batch, cnn_num_params(n), cnn_flops(n) / 1e6);
    printf("steps      %ld in %.3f s\n", steps, dt);
    printf("throughput: %.1f images/s\n", images / dt);
    printf("compute:    %.2f GFLOP/s (3 x forward FLOPs per trained image)\n", 3 * cnn_flops(n) * images / dt / 1e9);
    free(x);
    free(y);
    rng_free(r);
    cnn_free(n);
    return CLI_OK;
}

int cmd_train(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"arch", required_argument, 0, 'a'},     {"preset", required_argument, 0, 'p'},
        {"epochs", required_argument, 0, 'e'},   {"seed", required_argument, 0, 'k'},
        {"out", required_argument, 0, 'o'},      {"channels", required_argument, 0, 'C'},
        {"cells", required_argument, 0, 'N'},    {"batch-size", required_argument, 0, 'b'},
        {"benchmark", required_argument, 0, 'B'}, {"train-size", required_argument, 0, 'T'},
        {"help", no_argument, 0, 'h'},
        CLI_VERBOSITY_LONGOPTS, {0, 0, 0, 0}};
    const char *arch_s = NULL, *preset = "proxy", *out = NULL;
    long epochs = 0, seed = CLI_DEFAULT_SEED, C = 0, N = -1, batch = 0, bench_steps = 0, train_size = 0;
    int c;
    optind = 1;
    opterr = 0;
    struct cli_seen seen = {0};
    int li = -1;
    while ((c = getopt_long(argc, argv, "hqv", longopts, &li)) != -1) {
        const char *flag = li >= 0 ? longopts[li].name : ""; /* named in value errors */
        if (cli_option_once("train", longopts, &li, &seen)) return CLI_USAGE;
        int vq = cli_verbosity_option("train", c);
        if (vq < 0) return CLI_USAGE;
        if (vq) continue;
        long *dst = NULL;
        long lo = 1;
        switch (c) {
        case 'a': arch_s = optarg; break;
        case 'p': preset = optarg; break;
        case 'o': out = optarg; break;
        case 'e': dst = &epochs; break;
        case 'k': dst = &seed, lo = 0; break;
        case 'C': dst = &C; break;
        case 'N': dst = &N, lo = 0; break;
        case 'b': dst = &batch; break;
        case 'B': dst = &bench_steps; break;
        case 'T': dst = &train_size; break;
        case 'h': help(stdout); return CLI_OK;
        default: return cli_bad_option("train", longopts, c, argv[optind - 1]);
        }
        /* the flag's name from the option table: argv[optind - 1] is the
         * value itself in `--epochs 0` and flag and value in `--epochs=0` */
        if (dst && (cli_parse_long(optarg, dst) || *dst < lo || *dst > 100000000))
            return cli_usage_error("train", "bad value '%.64s' for --%s", optarg, flag);
    }
    if (optind < argc) return cli_usage_error("train", "unexpected argument '%.64s'", argv[optind]);
    if (conv_algo() < 0)
        return cli_usage_error("train", "bad value '%.64s' for NASW_CONV (im2col or winograd)", getenv("NASW_CONV"));
    if (!arch_s) return cli_usage_error("train", "--arch is required");
    struct train_config cfg;
    if (train_preset(&cfg, preset)) return cli_usage_error("train", "%s", nasw_errmsg());
    if (epochs) cfg.epochs = (int)epochs;
    if (C) cfg.C = (int)C;
    if (N >= 0) cfg.N = (int)N;
    if (batch) cfg.batch = (int)batch;
    if (train_size) {
        if (train_size > 60000 - cfg.val_size)
            return cli_usage_error("train", "--train-size %ld is more than the %d images left after validation",
                                   train_size, 60000 - cfg.val_size);
        cfg.train_size = (int)train_size;
    }
    struct space *s;
    struct arch a;
    int st = space_cell_new(&s, 4, arch_nb201_ops, 5);
    if (st) return cli_error_status(st);
    if ((st = arch_parse(s, arch_s, &a))) {
        space_free(s);
        return cli_error_status(st);
    }
    int rc;
    if (bench_steps) {
        rc = benchmark(s, &a, &cfg, bench_steps, (uint64_t)seed);
        space_free(s);
        return rc;
    }
    struct train_data *data;
    if ((st = train_data_new(&data, &cfg, fmnist_dir()))) {
        space_free(s);
        return cli_error_status(st);
    }
    struct run_ctx ctx = {.out = out, .every_epoch = out && outfile_replaceable(out),
                          .txt = cli_verbosity == CLI_QUIET ? NULL : out && !strcmp(out, "-") ? stderr : stdout, .last_epoch = cfg.epochs};
    ctx.epochs = json_array();
    char canon[ARCH_STR_MAX];
    arch_format(s, &a, canon, sizeof canon);
    if (ctx.every_epoch) {
        snprintf(ctx.ckpt, sizeof ctx.ckpt, "%s.ckpt", out);
        ctx.settings = train_settings_hash(&cfg, canon, (uint64_t)seed);
    }
    ctx.doc = json_pack("{s:s, s:s, s:s, s:I, s:{s:i, s:i, s:i, s:i, s:i, s:f, s:i, s:i}, s:o, s:s}", "nasw",
                        nasw_version(), "arch", arch_s, "preset", cfg.preset, "seed", (json_int_t)seed, "config",
                        "channels", cfg.C, "cells", cfg.N, "resolution", cfg.resolution, "epochs", cfg.epochs,
                        "batch", cfg.batch, "lr", cfg.lr, "train_size", cfg.train_size, "val_size", cfg.val_size,
                        "curve", ctx.epochs, "status", "running");
    json_incref(ctx.epochs);
    if (ctx.txt) fprintf(ctx.txt, "training %s\npreset %s: C=%d N=%d %dx%d, %d epochs, batch %d, %d train / %d val / %d test images\n",
           arch_s, cfg.preset, cfg.C, cfg.N, cfg.resolution, cfg.resolution, cfg.epochs, cfg.batch, cfg.train_size,
           cfg.val_size, cfg.test_size);
    struct train_result res;
    struct train_run *run = NULL;
    rc = (st = train_run_new(&run, &cfg, data, s, &a, (uint64_t)seed)) ? cli_error_status(st) : CLI_OK;
    ctx.run = ctx.every_epoch ? run : NULL;
    if (rc == CLI_OK && ctx.run) rc = resume(&ctx);
    /* OUT written once before training: an unwritable --out fails at once */
    if (rc == CLI_OK && write_doc(&ctx, 0)) rc = CLI_ERROR;
    if (rc == CLI_OK) {
        ctx.prog = cli_progress_new("train", cfg.epochs);
        cli_progress_set(ctx.prog, train_run_epochs(run));
        st = train_run_to(run, cfg.epochs, on_epoch, &ctx, &res);
        cli_progress_done(ctx.prog); /* before any error line */
        if (st) rc = cli_error_status(st);
    }
    if (rc != CLI_OK || ctx.failed_write) {
        rc = CLI_ERROR;
    } else {
        if (ctx.run) remove(ctx.ckpt); /* the training is over (done or diverged) */
        json_object_set_new(ctx.doc, "status", json_string(res.failed ? "failed" : "done"));
        json_object_set_new(ctx.doc, "params", json_integer((json_int_t)res.params));
        json_object_set_new(ctx.doc, "flops", json_real(res.flops));
        json_object_set_new(ctx.doc, "seconds", json_real(res.seconds));
        if (!res.failed) {
            json_object_set_new(ctx.doc, "val_acc", json_real(res.val_acc));
            json_object_set_new(ctx.doc, "test_acc", json_real(res.test_acc));
        }
        write_doc(&ctx, 1);
        if (!ctx.txt)
            ; /* -q */
        else if (res.failed)
            fprintf(ctx.txt, "failed: the loss diverged (NaN) after %d epochs\n", res.epochs_done);
        else
            fprintf(ctx.txt, "final      val_acc %.2f  test_acc %.2f  params %zu  %.2f MFLOPs  %.1f s\n", res.val_acc,
                    res.test_acc, res.params, res.flops / 1e6, res.seconds);
        rc = ctx.failed_write ? CLI_ERROR : CLI_OK;
    }
    train_run_free(run);
    json_decref(ctx.epochs);
    json_decref(ctx.doc);
    train_data_free(data);
    space_free(s);
    return rc;
}
