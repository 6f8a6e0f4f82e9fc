/*
 * tests/test_ospred.c - the supernet predictor of `nasw predict`
 * (cli/supernet_pred.c, docs/weight-sharing.md), through the command itself
 * (cmd_predict, linked with the CLI objects) on a 30-cell subset of
 * data/fmnist_proxy.csv with the micro preset and one supernet epoch:
 *  - every test cell of every trial gets a prediction in predictions.csv,
 *    the same for every training size of a trial (the supernet is trained
 *    once per trial and never sees the training labels);
 *  - the predictions are, to the bit, the one-shot scores of a supernet
 *    trained here directly with train/supernet.h (the trial's seed, uniform
 *    paths, BN recomputed);
 *  - a second run, with --jobs 2 (its supernets trained anew), gives the
 *    same bytes, another --seed not;
 *  - a supernet "killed" after its first of two epochs (its checkpoint in
 *    DIR) is resumed, and ends where a fresh run does; that the checkpoint
 *    is what resumes is shown by one whose first epoch trained otherwise
 *    (the DARTS mixture, which the checkpoint's hash does not see): the
 *    predictions then follow it.
 * Skips when Fashion-MNIST is absent.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"
#include "core/oneshot.h"
#include "core/status.h"
#include "tables/table.h"
#include "train/idx.h"
#include "train/supernet.h"
#include "train/trainer.h"

#define CELLS 30
#define TEST 12
#define TRIALS 2

static char tmp[64], t30_path[128];

static int have_fmnist(void)
{
    char probe[4200];
    snprintf(probe, sizeof probe, "%s/train-images-idx3-ubyte.gz", fmnist_dir());
    return access(probe, R_OK) == 0;
}

/* the header and the first CELLS rows of the shipped table */
static int setup(void **state)
{
    (void)state;
    snprintf(tmp, sizeof tmp, "/tmp/nasw-test-ospred.XXXXXX");
    if (!mkdtemp(tmp)) return -1;
    snprintf(t30_path, sizeof t30_path, "%s/t30.csv", tmp);
    FILE *in = fopen("data/fmnist_proxy.csv", "r"), *out = fopen(t30_path, "w");
    if (!in || !out) return -1;
    char line[1024];
    for (int i = 0; i <= CELLS && fgets(line, sizeof line, in); i++) fputs(line, out);
    fclose(in);
    return fclose(out) ? -1 : 0;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmp);
    return system(cmd) == 0 ? 0 : -1;
}

/* nasw predict with the supernet (EPOCHS epochs) and a column into DIR */
static int predict(const char *dir, int epochs, const char *jobs, const char *seed)
{
    char path[128], spec[96];
    snprintf(path, sizeof path, "%s/%s", tmp, dir);
    snprintf(spec, sizeof spec, "supernet:preset=micro:epochs=%d:bn_batches=2:eval_images=200,params", epochs);
    char *argv[] = {"predict", "--table", t30_path, "--predictors", spec, "--train-sizes", "5,10", "--test-size",
                    "12", "--trials", "2", "--jobs", (char *)jobs, "--seed", (char *)seed, "--dir", path, "-q", NULL};
    cli_verbosity = CLI_NORMAL; /* -q of the previous call: a process runs one command */
    return cmd_predict((int)(sizeof argv / sizeof *argv) - 1, argv);
}

/* the whole of DIR/predictions.csv (malloc'd; the file is far below 1 MB) */
static char *slurp(const char *dir)
{
    char path[160];
    snprintf(path, sizeof path, "%s/%s/predictions.csv", tmp, dir);
    FILE *f = fopen(path, "r");
    if (!f) return NULL;
    char *buf = calloc(1, 1 << 20);
    if (buf) buf[fread(buf, 1, (1 << 20) - 1, f)] = '\0';
    fclose(f);
    return buf;
}

/* The supernet rows of predictions.csv: arch[trial][i] and pred[trial][i]
 * of the first size; every other size's rows must repeat them. */
static void read_supernet_rows(const char *dir, char arch[TRIALS][TEST][ARCH_STR_MAX], double pred[TRIALS][TEST])
{
    char *buf = slurp(dir), *save = NULL;
    assert_non_null(buf);
    int n = 0, seen[TRIALS] = {0};
    for (char *l = strtok_r(buf, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
        if (strncmp(l, "supernet:", 9)) continue;
        char name[64], a[ARCH_STR_MAX];
        long size, trial;
        double y, p;
        assert_int_equal(sscanf(l, "%63[^,],%ld,%ld,%1023[^,],%lf,%lf", name, &size, &trial, a, &y, &p), 6);
        assert_true(trial >= 1 && trial <= TRIALS);
        int i = seen[trial - 1]++ % TEST;
        if (size == 5) {
            snprintf(arch[trial - 1][i], ARCH_STR_MAX, "%s", a);
            pred[trial - 1][i] = p;
        } else { /* the same supernet for every size */
            assert_string_equal(arch[trial - 1][i], a);
            assert_true(pred[trial - 1][i] == p);
        }
        n++;
    }
    assert_int_equal(n, 2 * TRIALS * TEST); /* two sizes */
    free(buf);
}

static void test_predict_supernet(void **state)
{
    (void)state;
    if (!have_fmnist()) {
        printf("skip: Fashion-MNIST not found in '%s' (install dataset-fashion-mnist)\n", fmnist_dir());
        skip();
    }
    assert_int_equal(predict("a", 1, "1", "1"), 0);
    static char arch[TRIALS][TEST][ARCH_STR_MAX];
    double pred[TRIALS][TEST];
    read_supernet_rows("a", arch, pred);

    /* the direct computation: the table's space, the micro preset, the
     * trial's seed, one epoch of uniform paths, then scoring, one thread */
    struct table_opts to;
    table_default_opts(&to);
    struct table *t;
    assert_int_equal(table_load(&t, t30_path, &to), NASW_OK);
    struct train_config cfg;
    assert_int_equal(train_preset(&cfg, "micro"), NASW_OK);
    struct train_data *data;
    assert_int_equal(train_data_new(&data, &cfg, fmnist_dir()), NASW_OK);
    int threads = omp_get_max_threads();
    omp_set_num_threads(1);
    double lo = 100, hi = 0;
    for (int tr = 0; tr < TRIALS; tr++) {
        struct oneshot_opts o = {.epochs = 1, .seed = 1 * 1000003ULL + (uint64_t)tr + 1, .bn_batches = 2,
                                 .eval_images = 200};
        struct oneshot *net;
        assert_int_equal(supernet_oneshot_new(table_space(t), &cfg, data, NULL, &o, &net), NASW_OK);
        struct oneshot_epoch e = {.mode = ONESHOT_PATH};
        assert_int_equal(net->ops->epoch(net, &e), NASW_OK);
        for (int i = 0; i < TEST; i++) {
            struct arch a;
            double v;
            assert_int_equal(arch_parse(table_space(t), arch[tr][i], &a), NASW_OK);
            assert_int_equal(net->ops->score(net, &a, &v), NASW_OK);
            assert_true(v == pred[tr][i]);
            lo = v < lo ? v : lo, hi = v > hi ? v : hi;
        }
        oneshot_free(net);
    }
    omp_set_num_threads(threads);
    assert_true(hi > lo); /* the cells are told apart */
    train_data_free(data);
    table_free(t);

    /* determinism: again, with --jobs 2, and another seed */
    char *first = slurp("a");
    assert_int_equal(predict("c", 1, "2", "1"), 0);
    assert_int_equal(predict("d", 1, "1", "2"), 0);
    char *c = slurp("c"), *d = slurp("d");
    assert_string_equal(first, c);
    assert_true(strcmp(first, d) != 0);
    free(c);
    free(d);
    free(first);
}

/* a checkpoint of predict's trial 1 (supernet:preset=micro:epochs=2, seed
 * 1) in DIR after one epoch of `mode` (the "killed" run) */
static void killed_run(const char *dir, int mode)
{
    struct table_opts to;
    table_default_opts(&to);
    struct table *t;
    assert_int_equal(table_load(&t, t30_path, &to), NASW_OK);
    struct train_config cfg;
    assert_int_equal(train_preset(&cfg, "micro"), NASW_OK);
    struct train_data *data;
    assert_int_equal(train_data_new(&data, &cfg, fmnist_dir()), NASW_OK);
    char path[160], prefix[192];
    snprintf(path, sizeof path, "%s/%s", tmp, dir);
    assert_int_equal(mkdir(path, 0777), 0);
    snprintf(prefix, sizeof prefix, "%s/predict", path);
    int threads = omp_get_max_threads();
    omp_set_num_threads(1);
    struct oneshot_opts o = {.epochs = 2, .seed = 1000003ULL + 1, .tag = "supernet:preset=micro:epochs=2:bn_batches=2:eval_images=200",
                             .bn_batches = 2, .eval_images = 200};
    struct oneshot *net;
    assert_int_equal(supernet_oneshot_new(table_space(t), &cfg, data, prefix, &o, &net), NASW_OK);
    struct oneshot_epoch e = {.mode = mode, .arch_step = mode != ONESHOT_PATH};
    assert_int_equal(net->ops->epoch(net, &e), NASW_OK);
    oneshot_free(net);
    omp_set_num_threads(threads);
    train_data_free(data);
    table_free(t);
}

static void test_predict_supernet_resume(void **state)
{
    (void)state;
    if (!have_fmnist()) skip();
    killed_run("k", ONESHOT_PATH);
    killed_run("m", ONESHOT_MIXED);
    assert_int_equal(predict("k", 2, "1", "1"), 0);
    assert_int_equal(predict("m", 2, "1", "1"), 0);
    assert_int_equal(predict("f", 2, "1", "1"), 0);
    char *k = slurp("k"), *m = slurp("m"), *f = slurp("f");
    assert_non_null(k);
    assert_non_null(m);
    assert_non_null(f);
    assert_string_equal(k, f);
    assert_true(strcmp(m, f) != 0);
    free(k);
    free(m);
    free(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_predict_supernet),
        cmocka_unit_test(test_predict_supernet_resume),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
