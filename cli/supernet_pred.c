/*
 * cli/supernet_pred.c - the supernet predictor of `nasw predict`: how well
 * does weight sharing rank the cells it has not trained alone?
 *
 * Per trial, a supernet of the table's cell space (train/supernet.h) is
 * trained on the live bench preset's Fashion-MNIST training images, by
 * default with one uniformly drawn path per step (RSWS / SPOS: the setting
 * one-shot ranking studies evaluate), and every test cell is predicted by
 * its one-shot validation accuracy: its path with the inherited weights,
 * BN statistics recomputed (the scoring of the one-shot strategies).  The
 * training set's labels are never used: the supernet is the same for every
 * training size of a trial, so the caller trains it once per trial.  With a
 * checkpoint prefix the supernet is saved after every epoch and restored
 * when the same predictor and trial run again, so a killed run keeps its
 * finished epochs and a rerun does not retrain finished supernets.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <time.h>

#include "api/predictor.h"
#include "cli/cli.h"
#include "core/oneshot.h"
#include "core/status.h"
#include "train/idx.h"
#include "train/supernet.h"
#include "train/trainer.h"

int cli_supernet_data(const struct api_predictor *p, struct train_data **out)
{
    struct train_config cfg;
    int st = train_preset(&cfg, p->sn.preset);
    return st ? st : train_data_new(out, &cfg, fmnist_dir());
}

static double cpu_now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

int cli_supernet_predict(const struct api_predictor *p, const struct train_data *data, const struct table *t,
                         const long *rows, long m, uint64_t seed, const char *prefix, const char *tag, double *pred,
                         double *wall_s, double *cpu_s)
{
    const struct api_supernet_params *sn = &p->sn;
    double c0 = cpu_now();
    struct train_config cfg;
    int st = train_preset(&cfg, sn->preset);
    if (st) return st;
    struct oneshot_opts o = {.epochs = sn->epochs, .seed = seed, .tag = tag, .bn_batches = sn->bn_batches,
                             .eval_images = sn->eval_images};
    struct oneshot *net;
    if ((st = supernet_oneshot_new(table_space(t), &cfg, data, prefix, &o, &net))) return st;
    /* a restored supernet continues at its next epoch (the whole schedule
     * is known from the spec, so the temperature of epoch k is too) */
    while (net->epochs_done < sn->epochs) {
        int ep = net->epochs_done;
        struct oneshot_epoch e = {.mode = sn->mode, .arch_step = sn->mode != ONESHOT_PATH};
        if (sn->mode == ONESHOT_GUMBEL)
            e.tau = sn->epochs > 1 ? sn->tau_max - (sn->tau_max - sn->tau_min) * ep / (sn->epochs - 1) : sn->tau_min;
        if ((st = net->ops->epoch(net, &e))) goto out;
    }
    for (long i = 0; i < m; i++)
        if ((st = net->ops->score(net, table_row_arch(t, rows[i]), &pred[i]))) goto out;
    *wall_s = net->seconds;
    *cpu_s = cpu_now() - c0;
out:
    oneshot_free(net);
    return st;
}
