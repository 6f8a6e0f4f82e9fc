/*
 * tests/test_trainer.c - trainer checkpoints: a micro network trained 3
 * epochs equals, bit for bit, one trained 1 epoch, checkpointed, reloaded
 * into a fresh run and trained 2 more; damaged, truncated or foreign
 * checkpoints are refused; the settings hash sees every setting.
 *
 * Needs Fashion-MNIST (Debian's dataset-fashion-mnist, FMNIST_DIR, or the
 * directory in $NASW_FMNIST); skipped with a message when absent.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/arch.h"
#include "core/status.h"
#include "train/trainer.h"

static const char *ARCH =
    "|nor_conv_3x3~0|+|avg_pool_3x3~0|skip_connect~1|+|nor_conv_1x1~0|none~1|nor_conv_3x3~2|";

struct fixture {
    struct train_config cfg;
    struct train_data *data;
    struct space *s;
    struct arch a;
    char dir[64];
};

static int setup(void **state)
{
    const char *dir = fmnist_dir();
    char probe[4200];
    snprintf(probe, sizeof probe, "%s/train-images-idx3-ubyte.gz", dir);
    if (access(probe, R_OK) != 0) {
        printf("skip: Fashion-MNIST not found in '%s' (install dataset-fashion-mnist)\n", dir);
        *state = NULL;
        return 0;
    }
    struct fixture *f = calloc(1, sizeof *f);
    assert_non_null(f);
    assert_int_equal(train_preset(&f->cfg, "micro"), NASW_OK);
    /* a small subset: 3 epochs of 4 batches, last batch short */
    f->cfg.epochs = 3;
    f->cfg.train_size = 200;
    f->cfg.val_size = 100;
    f->cfg.test_size = 100;
    assert_int_equal(train_data_new(&f->data, &f->cfg, dir), NASW_OK);
    assert_int_equal(space_cell_new(&f->s, 4, arch_nb201_ops, 5), NASW_OK);
    assert_int_equal(arch_parse(f->s, ARCH, &f->a), NASW_OK);
    snprintf(f->dir, sizeof f->dir, "/tmp/nasw-test-trainer.XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    if (!f) return 0;
    const char *names[] = {"a.ckpt", "b.ckpt", "c.ckpt", "m.ckpt", "bad.ckpt", "x.ckpt.tmp"};
    char p[128];
    for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
        snprintf(p, sizeof p, "%s/%s", f->dir, names[i]);
        remove(p);
    }
    rmdir(f->dir);
    train_data_free(f->data);
    space_free(f->s);
    free(f);
    return 0;
}

static char *path_in(const struct fixture *f, const char *name)
{
    static char buf[4][128];
    static int k;
    k = (k + 1) % 4;
    snprintf(buf[k], sizeof buf[k], "%s/%s", f->dir, name);
    return buf[k];
}

/* Epoch records, compared field by field (seconds aside: wall time). */
struct log {
    struct train_epoch e[8];
    int n;
    /* a checkpoint written after epoch 1 from the callback, as the live
     * bench and `nasw train --out` do */
    struct train_run *run;
    const char *ckpt;
    uint64_t settings;
};

static int on_epoch(void *arg, const struct train_epoch *e)
{
    struct log *l = arg;
    if (l->n < 8) l->e[l->n++] = *e;
    if (l->run && e->epoch == 1) assert_int_equal(train_run_save(l->run, l->ckpt, l->settings), NASW_OK);
    return 0;
}

static void *slurp(const char *path, size_t *len)
{
    FILE *fp = fopen(path, "rb");
    assert_non_null(fp);
    fseek(fp, 0, SEEK_END);
    long n = ftell(fp);
    rewind(fp);
    char *buf = malloc((size_t)n + 1);
    assert_non_null(buf);
    assert_int_equal(fread(buf, 1, (size_t)n, fp), (size_t)n);
    fclose(fp);
    *len = (size_t)n;
    return buf;
}

/* The header holds wall-clock seconds, which differ between runs, and the
 * checksum closes over it: compare the state after the header (parameters,
 * gradients, moments, BN statistics, rng, batch order), and the epoch. */
#define HEAD_BYTES (8 + 8 * 8 + 6 * 8)

static void test_resume_bit_for_bit(void **state)
{
    struct fixture *f = *state;
    if (!f) skip();
    uint64_t h = train_settings_hash(&f->cfg, ARCH, 7);
    struct train_run *t;
    struct train_result ra, rb;
    struct log la = {0}, lb = {0};

    /* uninterrupted: 3 epochs */
    assert_int_equal(train_run_new(&t, &f->cfg, f->data, f->s, &f->a, 7), NASW_OK);
    la.run = t, la.ckpt = path_in(f, "m.ckpt"), la.settings = h;
    assert_int_equal(train_run_to(t, 3, on_epoch, &la, &ra), NASW_OK);
    assert_int_equal(train_run_save(t, path_in(f, "a.ckpt"), h), NASW_OK);
    train_run_free(t);
    /* the checkpoint written mid-run counts the seconds of its epoch */
    assert_int_equal(train_run_new(&t, &f->cfg, f->data, f->s, &f->a, 7), NASW_OK);
    assert_int_equal(train_run_load(t, path_in(f, "m.ckpt"), h), NASW_OK);
    assert_true(train_run_result(t)->seconds > 0);
    assert_true(train_run_result(t)->seconds <= ra.seconds);
    train_run_free(t);

    /* 1 epoch, checkpoint, drop the run; a fresh run loads it and does 2 more */
    assert_int_equal(train_run_new(&t, &f->cfg, f->data, f->s, &f->a, 7), NASW_OK);
    assert_int_equal(train_run_to(t, 1, on_epoch, &lb, &rb), NASW_OK);
    assert_int_equal(train_run_save(t, path_in(f, "b.ckpt"), h), NASW_OK);
    train_run_free(t);
    int ep = 0;
    uint64_t hs = 0;
    assert_int_equal(train_checkpoint_info(path_in(f, "b.ckpt"), &hs, &ep), NASW_OK);
    assert_int_equal(ep, 1);
    assert_true(hs == h);
    assert_int_equal(train_run_new(&t, &f->cfg, f->data, f->s, &f->a, 7), NASW_OK);
    assert_int_equal(train_run_load(t, path_in(f, "b.ckpt"), h), NASW_OK);
    assert_int_equal(train_run_epochs(t), 1);
    assert_int_equal(train_run_to(t, 3, on_epoch, &lb, &rb), NASW_OK);
    assert_int_equal(train_run_save(t, path_in(f, "c.ckpt"), h), NASW_OK);
    train_run_free(t);

    assert_int_equal(la.n, 3);
    assert_int_equal(lb.n, 3);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(la.e[i].epoch, lb.e[i].epoch);
        double a[6] = {la.e[i].train_loss, la.e[i].train_acc, la.e[i].val_loss, la.e[i].val_acc,
                       la.e[i].test_loss, la.e[i].test_acc};
        double b[6] = {lb.e[i].train_loss, lb.e[i].train_acc, lb.e[i].val_loss, lb.e[i].val_acc,
                       lb.e[i].test_loss, lb.e[i].test_acc};
        assert_memory_equal(a, b, sizeof a);
    }
    assert_int_equal(ra.epochs_done, 3);
    assert_int_equal(rb.epochs_done, 3);
    assert_memory_equal(&ra.val_acc, &rb.val_acc, sizeof ra.val_acc);
    assert_memory_equal(&ra.test_loss, &rb.test_loss, sizeof ra.test_loss);

    size_t na, nc;
    char *ca = slurp(path_in(f, "a.ckpt"), &na), *cc = slurp(path_in(f, "c.ckpt"), &nc);
    assert_int_equal(na, nc);
    assert_true(na > HEAD_BYTES + 8);
    assert_memory_equal(ca + 8 + 8 * 3, cc + 8 + 8 * 3, 8); /* epoch */
    assert_memory_equal(ca + HEAD_BYTES, cc + HEAD_BYTES, na - HEAD_BYTES - 8);
    free(ca);
    free(cc);
}

static void write_bytes(const char *path, const void *p, size_t n)
{
    FILE *fp = fopen(path, "wb");
    assert_non_null(fp);
    assert_int_equal(fwrite(p, 1, n, fp), n);
    fclose(fp);
}

static void test_rejects(void **state)
{
    struct fixture *f = *state;
    if (!f) skip();
    uint64_t h = train_settings_hash(&f->cfg, ARCH, 7);
    struct train_run *t;
    struct train_result r;
    assert_int_equal(train_run_new(&t, &f->cfg, f->data, f->s, &f->a, 7), NASW_OK);
    assert_int_equal(train_run_to(t, 1, NULL, NULL, &r), NASW_OK);
    assert_int_equal(train_run_save(t, path_in(f, "a.ckpt"), h), NASW_OK);
    train_run_free(t);
    int ep;
    uint64_t hs;
    /* other settings (another seed) */
    assert_int_equal(train_run_new(&t, &f->cfg, f->data, f->s, &f->a, 8), NASW_OK);
    assert_int_equal(train_run_load(t, path_in(f, "a.ckpt"), train_settings_hash(&f->cfg, ARCH, 8)), NASW_EINVAL);
    assert_non_null(strstr(nasw_errmsg(), "was made with other training settings"));
    train_run_free(t);
    size_t n;
    char *c = slurp(path_in(f, "a.ckpt"), &n);
    /* one flipped bit in the weights */
    c[HEAD_BYTES + 5] ^= 0x10;
    write_bytes(path_in(f, "bad.ckpt"), c, n);
    assert_int_equal(train_run_new(&t, &f->cfg, f->data, f->s, &f->a, 7), NASW_OK);
    assert_int_equal(train_run_load(t, path_in(f, "bad.ckpt"), h), NASW_EPARSE);
    assert_non_null(strstr(nasw_errmsg(), "is truncated or corrupt"));
    train_run_free(t);
    c[HEAD_BYTES + 5] ^= 0x10;
    /* truncated (a torn copy) */
    write_bytes(path_in(f, "bad.ckpt"), c, n - 100);
    assert_int_equal(train_checkpoint_info(path_in(f, "bad.ckpt"), &hs, &ep), NASW_EPARSE);
    /* not a checkpoint at all, and an empty file */
    write_bytes(path_in(f, "bad.ckpt"), "arch,val_acc\n", 13);
    assert_int_equal(train_checkpoint_info(path_in(f, "bad.ckpt"), &hs, &ep), NASW_EPARSE);
    assert_non_null(strstr(nasw_errmsg(), "is not a nasw checkpoint"));
    write_bytes(path_in(f, "bad.ckpt"), "", 0);
    assert_int_equal(train_checkpoint_info(path_in(f, "bad.ckpt"), &hs, &ep), NASW_EPARSE);
    /* the intact one still loads */
    assert_int_equal(train_checkpoint_info(path_in(f, "a.ckpt"), &hs, &ep), NASW_OK);
    assert_int_equal(ep, 1);
    /* a missing file */
    assert_int_equal(train_checkpoint_info(path_in(f, "x.ckpt"), &hs, &ep), NASW_EIO);
    free(c);
}

static void test_settings_hash(void **state)
{
    (void)state;
    struct train_config c;
    assert_int_equal(train_preset(&c, "micro"), NASW_OK);
    uint64_t h0 = train_settings_hash(&c, ARCH, 1);
    assert_true(h0 == train_settings_hash(&c, ARCH, 1));
    assert_true(h0 != train_settings_hash(&c, ARCH, 2));
    assert_true(h0 != train_settings_hash(&c, "|none~0|+|none~0|none~1|+|none~0|none~1|none~2|", 1));
    struct train_config d;
#define CHANGED(field, value)                                          \
    do {                                                               \
        d = c;                                                         \
        d.field = value;                                               \
        assert_true(h0 != train_settings_hash(&d, ARCH, 1));           \
    } while (0)
    CHANGED(C, 8);
    CHANGED(N, 2);
    CHANGED(resolution, 28);
    CHANGED(epochs, 3);
    CHANGED(batch, 32);
    CHANGED(lr, 0.1000000001);
    CHANGED(momentum, 0.8);
    CHANGED(weight_decay, 1e-4);
    CHANGED(nesterov, 0);
    CHANGED(train_size, 2001);
    CHANGED(val_size, 999);
    CHANGED(test_size, 10000);
    CHANGED(split_seed, 1);
#undef CHANGED
    d = c;
    snprintf(d.preset, sizeof d.preset, "proxy");
    assert_true(h0 != train_settings_hash(&d, ARCH, 1));
    /* the convolution algorithm rounds differently */
    const char *old = getenv("NASW_CONV");
    setenv("NASW_CONV", "im2col", 1);
    uint64_t hi = train_settings_hash(&c, ARCH, 1);
    setenv("NASW_CONV", "winograd", 1);
    assert_true(hi != train_settings_hash(&c, ARCH, 1));
    if (old) setenv("NASW_CONV", old, 1);
    else unsetenv("NASW_CONV");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_resume_bit_for_bit),
        cmocka_unit_test(test_rejects),
        cmocka_unit_test(test_settings_hash),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
