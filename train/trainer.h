/*
 * train/trainer.h - training an NB201 cell network on Fashion-MNIST.
 *
 * Protocol (NAS-Bench-201's, scaled by presets): SGD with Nesterov momentum
 * 0.9, weight decay 5e-4, learning rate 0.1 annealed by a cosine schedule to
 * 0 over the epochs (per step), batch 256, no data augmentation (NB201's
 * random crops and flips are CIFAR-specific).  The 60k training images are split into train/validation
 * by a fixed permutation (split_seed); the 10k test set gives the report
 * metric.  Pixels are scaled to [0,1] and normalised by the dataset mean/sd.
 *
 * Presets:
 *   nb201  C=16 N=5 28x28, 200 epochs, batch 256, 50k/10k split
 *   proxy  C=8  N=1 12x12 (centre crop 24, 2x2 mean), 4 epochs, batch 128,
 *          10k training subset, 5k val, full test set ("lower-fidelity
 *          estimate": fewer channels, cells, epochs, images, pixels)
 *   micro  C=4  N=1 12x12 (centre crop 24, 2x2 mean), 2 epochs, 2k images:
 *          for tests
 */
#ifndef NASW_TRAIN_TRAINER_H
#define NASW_TRAIN_TRAINER_H

#include <stdint.h>
#include <stdio.h>

#include "core/arch.h"
#include "train/idx.h"

struct train_config {
    char preset[16];
    int C, N;
    int resolution;       /* 28, or 12 (centre crop 24 then 2x2 mean) */
    int epochs;
    int batch;
    double lr, momentum, weight_decay;
    int nesterov;
    int train_size;       /* images used for training (<= 60000 - val_size) */
    int val_size;         /* validation images held out of the 60k */
    int test_size;        /* test images evaluated (<= 10000) */
    uint64_t split_seed;  /* fixes the train/validation split */
    int cpu_clock;        /* seconds are the process's CPU seconds (all threads), not wall seconds */
};

/* Fill cfg with a preset; NASW_ENOTFOUND (with the list) for an unknown name. */
int train_preset(struct train_config *cfg, const char *name);
const char *train_preset_names(void);  /* "nb201, proxy, micro" */

/* Seconds for the cost clock: monotonic wall time, or with cpu the CPU time
 * of the whole process (every thread), which a loaded machine does not
 * inflate. Only differences are meaningful. */
double train_clock_s(int cpu);

/* Checkpoint files (the trainer's and the supernet's): train_ckpt_put
 * writes n bytes and folds them into the FNV-1a checksum *h (0 on
 * success); train_ckpt_commit appends the checksum, syncs and closes f and
 * renames tmp over path (tmp removed on failure; bad: an earlier write
 * failed).  A library status. */
int train_ckpt_put(FILE *f, uint64_t *h, const void *p, size_t n);
int train_ckpt_commit(FILE *f, int bad, uint64_t h, const char *tmp, const char *path);

/* Per-epoch record. */
struct train_epoch {
    int epoch;                  /* 1-based */
    double train_loss, train_acc, val_loss, val_acc, test_loss, test_acc;  /* acc in % */
    double seconds;             /* wall time of the epoch (training + evaluation) */
};

/* Called after every epoch; a non-zero return stops training early. */
typedef int (*train_epoch_fn)(void *arg, const struct train_epoch *e);

struct train_result {
    int epochs_done;
    int failed;                 /* 1 if the loss became NaN */
    double val_acc, test_acc;   /* of the last epoch done */
    double train_acc, val_loss, test_loss;
    double seconds;
    size_t params;
    double flops;               /* per image, forward */
};

/* The data prepared for a config: normalised float images. */
struct train_data;
int train_data_new(struct train_data **out, const struct train_config *cfg, const char *fmnist_dir);
void train_data_free(struct train_data *d);
/* The training images (n, 1, res, res), normalised, and their labels, in the
 * order of the split's permutation (a uniform sample); returns n. */
int train_data_train_set(const struct train_data *d, const float **x, const int **y);
/* The validation images and labels (n, 1, res, res); returns n.  *res:
 * the resolution. */
int train_data_val_set(const struct train_data *d, const float **x, const int **y, int *res);

/* Train architecture a (cell space s) for up to cfg->epochs (or max_epochs
 * if > 0 and smaller) with seed `seed` (initialisation and batch order). */
int train_arch(const struct train_config *cfg, const struct train_data *data, const struct space *s,
               const struct arch *a, uint64_t seed, int max_epochs, train_epoch_fn cb, void *cb_arg,
               struct train_result *res);

/* A training in progress that can pause between epochs and continue: the
 * same steps, batch order and cosine schedule (over cfg->epochs) as an
 * uninterrupted train_arch, so training to e1 and then to e2 gives exactly
 * train_arch(max_epochs = e2).  cfg, d and s must outlive it. */
struct train_run;
int train_run_new(struct train_run **out, const struct train_config *cfg, const struct train_data *d,
                  const struct space *s, const struct arch *a, uint64_t seed);
/* Train up to epoch `to` (at most cfg->epochs; stops early on divergence or
 * when cb returns non-zero); *res: the whole training so far (seconds summed
 * over the calls). */
int train_run_to(struct train_run *t, int to, train_epoch_fn cb, void *cb_arg, struct train_result *res);
int train_run_epochs(const struct train_run *t);   /* epochs done */
const struct train_result *train_run_result(const struct train_run *t);  /* so far */
int train_run_failed(const struct train_run *t);
void train_run_free(struct train_run *t);          /* NULL ok */
/* The run's network: to start it from other weights (train/morph.h)
 * before its first epoch. */
struct cnn *train_run_net(struct train_run *t);

/* The version of what the trainer computes: bumped by any change that
 * changes a training's numbers, so that journals and checkpoints made by an
 * older trainer are refused instead of mixed with new results. */
#define TRAIN_FORMAT 1

/* A hash (FNV-1a 64) of every setting that changes the numbers of training
 * `arch` (its string) with `seed`: the config, the convolution algorithm
 * (NASW_CONV) and TRAIN_FORMAT.  Checkpoints carry it. */
uint64_t train_settings_hash(const struct train_config *cfg, const char *arch, uint64_t seed);

/* Checkpoints: the state of a training between two epochs, so that a
 * killed training resumes from its last epoch and continues bit for bit as
 * if never stopped.  The file holds the flat parameter, gradient and
 * momentum blocks, the BN running statistics, the rng state, the batch
 * order, the epoch, the step, the result so far and `settings` (from
 * train_settings_hash), closed by an FNV-1a checksum of all of it; in the
 * machine's byte order (a checkpoint is for the same build, not an
 * exchange format).  train_run_save writes PATH.tmp and renames it over
 * PATH, so PATH is always a whole checkpoint.  train_run_load restores a
 * run fresh from train_run_new with the same config, data and
 * architecture; NASW_EPARSE for a file that is not a whole checkpoint,
 * NASW_EINVAL for one made with other settings; after a failure the run is
 * only fit for train_run_free.  Bit for bit continuation also needs the
 * same thread count (OMP_NUM_THREADS), which the hash does not cover: other
 * threads give another, equally valid, rounding. */
int train_run_save(const struct train_run *t, const char *path, uint64_t settings);
int train_run_load(struct train_run *t, const char *path, uint64_t settings);
/* The settings hash and the epoch of a checkpoint, after checking its
 * checksum (to find which training a checkpoint belongs to). */
int train_checkpoint_info(const char *path, uint64_t *settings, int *epoch);

#endif
