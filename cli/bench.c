/*
 * cli/bench.c - opening the benches a command runs on: the one place that
 * wires backends (tables/, train/) to the strategies.
 *
 *   --table T | --bench table:T     one table bench per dataset of T
 *   --bench live:fmnist[:PRESET][:nodes=K][:ops=a+b][:clock=cpu]
 *                                   the live trainer (dataset "fmnist"),
 *                                   journaled to --journal FILE
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "core/status.h"
#include "train/live.h"

static char *xstrdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *p = malloc(n);
    if (p) memcpy(p, s, n);
    return p;
}

void cli_benches_close(struct cli_benches *c)
{
    for (int i = 0; i < c->n; i++) {
        bench_free(c->b[i]);
        free(c->names[i]);
    }
    free(c->b);
    free(c->names);
    table_free(c->t);
    memset(c, 0, sizeof *c);
}

int cli_benches_open(struct cli_benches *c, const char *spec, char *const *datasets, int n_datasets,
                     const struct table_opts *o, const char *journal, long train_seed)
{
    memset(c, 0, sizeof *c);
    if (!strncmp(spec, "live:", 5)) {
        c->live = 1;
        if (n_datasets > 1 || (n_datasets == 1 && strcmp(datasets[0], "fmnist")))
            return cli_error("the live bench has one dataset, 'fmnist'");
        char def[256];
        if (!journal) {
            /* default journal: the spec as a file name, so the same command resumes */
            snprintf(def, sizeof def, "%s.csv", spec);
            for (char *p = def; *p; p++)
                if (*p == ':' || *p == '=' || *p == '+' || *p == '/') *p = '_';
            journal = def;
        }
        struct live_opts lo = {.journal = journal, .seed = (uint64_t)train_seed, .on_epoch = cli_progress_epoch,
                               .on_epoch_ctx = &cli_live_progress};
        c->b = calloc(1, sizeof *c->b);
        c->names = calloc(1, sizeof *c->names);
        if (!c->b || !c->names || !(c->names[0] = xstrdup("fmnist"))) {
            cli_benches_close(c);
            return cli_error("out of memory");
        }
        c->n = 1;
        int st = live_bench_new(&c->b[0], spec, &lo);
        if (st) {
            cli_error_status(st);
            cli_benches_close(c);
            return CLI_ERROR;
        }
        return CLI_OK;
    }
    const char *path = !strncmp(spec, "table:", 6) ? spec + 6 : spec;
    if (!(c->t = cli_load_table(path, o))) return CLI_ERROR;
    int n = n_datasets ? n_datasets : table_n_datasets(c->t);
    c->b = calloc((size_t)n, sizeof *c->b);
    c->names = calloc((size_t)n, sizeof *c->names);
    if (!c->b || !c->names) {
        cli_benches_close(c);
        return cli_error("out of memory");
    }
    for (int i = 0; i < n; i++) {
        const char *name = n_datasets ? datasets[i] : table_dataset_name(c->t, i);
        int d = table_dataset_index(c->t, name);
        if (d < 0) {
            char list[1024];
            size_t len = 0;
            list[0] = '\0';
            for (int k = 0; k < table_n_datasets(c->t) && len < sizeof list; k++)
                len += (size_t)snprintf(list + len, sizeof list - len, "%s%s", k ? ", " : "", table_dataset_name(c->t, k));
            cli_error("dataset '%.64s' not in table '%.200s' (datasets: %s)", name, path, list);
            cli_benches_close(c);
            return CLI_ERROR;
        }
        for (int k = 0; k < i; k++)
            if (!strcmp(c->names[k], name)) {
                cli_error("dataset '%.64s' listed twice", name);
                cli_benches_close(c);
                return CLI_ERROR;
            }
        c->names[i] = xstrdup(name);
        int st = c->names[i] ? table_bench_new(&c->b[i], c->t, d) : nasw_errorf(NASW_ENOMEM, "out of memory");
        c->n = i + 1;
        if (st) {
            cli_error_status(st);
            cli_benches_close(c);
            return CLI_ERROR;
        }
    }
    return CLI_OK;
}
