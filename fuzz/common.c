/*
 * fuzz/common.c - the scratch directory, string and table checks shared by
 * the harnesses (see fuzz/fuzz.h).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/arch.h"
#include "core/bench.h"
#include "core/status.h"
#include "fuzz/fuzz.h"
#include "tables/table.h"

#define MAX_FILES 8

static char scratch[256];
static char *files[MAX_FILES];
static int n_files;

void fuzz_fail(const char *cond, const char *file, int line)
{
    fprintf(stderr, "%s:%d: fuzz check failed: %s (last error: %s)\n", file, line, cond, nasw_errmsg());
    abort();
}

/* at exit: everything in the scratch directory (inputs and what the code
 * under test wrote there), then the directory */
static void cleanup(void)
{
    for (int i = 0; i < n_files; i++) free(files[i]);
    n_files = 0;
    DIR *d = opendir(scratch);
    if (d) {
        char path[512];
        for (struct dirent *e; (e = readdir(d));) {
            if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
            snprintf(path, sizeof path, "%s/%s", scratch, e->d_name);
            unlink(path);
        }
        closedir(d);
    }
    rmdir(scratch);
}

static const char *scratch_dir(void)
{
    if (scratch[0]) return scratch;
    /* tmpfs first: the loaders read every input back from a file */
    const char *tmp = getenv("TMPDIR");
    const char *bases[] = {"/dev/shm", tmp && *tmp ? tmp : "/tmp", "/tmp"};
    for (size_t i = 0; i < sizeof bases / sizeof *bases; i++) {
        snprintf(scratch, sizeof scratch, "%s/nasw-fuzz-XXXXXX", bases[i]);
        if (mkdtemp(scratch)) {
            atexit(cleanup);
            return scratch;
        }
    }
    fprintf(stderr, "fuzz: cannot create a scratch directory: %s\n", strerror(errno));
    abort();
}

const char *fuzz_file(const char *name, const uint8_t *data, size_t size)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", scratch_dir(), name);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd < 0) {
        fprintf(stderr, "fuzz: cannot write '%s': %s\n", path, strerror(errno));
        abort();
    }
    for (size_t done = 0; done < size;) {
        ssize_t w = write(fd, data + done, size - done);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) {
            fprintf(stderr, "fuzz: cannot write '%s': %s\n", path, strerror(errno));
            abort();
        }
        done += (size_t)w;
    }
    close(fd);
    for (int i = 0; i < n_files; i++)
        if (!strcmp(files[i], path)) return files[i];
    if (n_files == MAX_FILES || !(files[n_files] = strdup(path))) abort();
    return files[n_files++];
}

char *fuzz_cstr(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    if (!s) abort();
    if (size) memcpy(s, data, size);
    s[size] = '\0';
    return s;
}

int fuzz_is_json(const uint8_t *data, size_t size)
{
    size_t k = 0;
    while (k < size && (data[k] == ' ' || data[k] == '\t' || data[k] == '\r' || data[k] == '\n')) k++;
    return k < size && (data[k] == '[' || data[k] == '{');
}

static void check_arch_roundtrip(const struct space *s, const struct arch *a)
{
    char buf[ARCH_STR_MAX], canon[ARCH_STR_MAX];
    FUZZ_CHECK(space_contains(s, a));
    if (arch_format(s, a, buf, sizeof buf) == NASW_OK) {
        struct arch b;
        FUZZ_CHECK(arch_parse(s, buf, &b) == NASW_OK);
        FUZZ_CHECK(arch_equal(a, &b));
    }
    (void)arch_canonical(s, a, canon, sizeof canon);
}

void fuzz_check_table(struct table *t)
{
    const struct space *s = table_space(t);
    char desc[512];
    space_describe(s, desc, sizeof desc);
    FUZZ_CHECK(table_checksum(t)[0] != '\0');
    int M = table_n_metrics(t), S = table_n_strings(t), D = table_n_datasets(t);
    FUZZ_CHECK(D >= 1);
    FUZZ_CHECK(table_search_metric(t) >= 0 && table_search_metric(t) < M);
    FUZZ_CHECK(table_report_metric(t) >= 0 && table_report_metric(t) < M);
    FUZZ_CHECK(table_cost_metric(t) >= -1 && table_cost_metric(t) < M);
    for (int m = 0; m < M; m++) FUZZ_CHECK(table_metric_index(t, table_metric_name(t, m)) == m);
    for (int j = 0; j < S; j++) FUZZ_CHECK(table_string_index(t, table_string_name(t, j)) == j);
    long rows = 0;
    for (int d = 0; d < D; d++) {
        FUZZ_CHECK(table_dataset_index(t, table_dataset_name(t, d)) == d);
        rows += table_dataset_rows(t, d);
        for (int m = 0; m < M; m++) {
            long best = table_best_row(t, d, m);
            FUZZ_CHECK(best >= 0 && table_row_dataset(t, best) == d);
        }
    }
    FUZZ_CHECK(rows == table_n_rows(t));
    for (long r = 0; r < table_n_rows(t); r++) {
        const struct arch *a = table_row_arch(t, r);
        int d = table_row_dataset(t, r);
        FUZZ_CHECK(d >= 0 && d < D);
        FUZZ_CHECK(table_find(t, d, arch_key(s, a)) == r);
        check_arch_roundtrip(s, a);
        for (int m = 0; m < M; m++) {
            /* an empty value is a missing one (NaN) outside the search,
             * report and cost columns (zero-cost scores undefined for a cell) */
            FUZZ_CHECK(!isnan(table_value(t, r, m)) ||
                       (m != table_search_metric(t) && m != table_report_metric(t) && m != table_cost_metric(t)));
            const double *v;
            int first, len = table_curve(t, r, m, &v, &first);
            FUZZ_CHECK(len >= 0 && len <= table_max_epochs(t, -1));
            for (int e = 0; e < len; e++) FUZZ_CHECK(!isnan(v[e]) || m != table_search_metric(t));
        }
        for (int j = 0; j < S; j++) FUZZ_CHECK(table_string(t, r, j) != NULL);
    }
    /* the benches answer every row of their dataset, at full training and
     * (with curves) at every epoch */
    for (int d = 0; d < D; d++) {
        struct bench *b;
        FUZZ_CHECK(table_bench_new(&b, t, d) == NASW_OK);
        double best, test;
        FUZZ_CHECK(bench_oracle(b, &best, &test) == NASW_OK);
        double *curve = b->max_epochs > 0 ? malloc(sizeof *curve * (size_t)b->max_epochs) : NULL;
        FUZZ_CHECK(b->max_epochs == 0 || curve);
        for (long r = 0; r < table_n_rows(t); r++) {
            if (table_row_dataset(t, r) != d) continue;
            const struct arch *a = table_row_arch(t, r);
            FUZZ_CHECK(space_contains(bench_space(b), a));
            struct bench_result res;
            FUZZ_CHECK(bench_query(b, a, 0, &res) == NASW_OK);
            int len = table_curve_epochs(t, r);
            for (int e = 1; e <= len; e++) FUZZ_CHECK(bench_query(b, a, e, &res) == NASW_OK);
            if (curve) (void)bench_curve(b, a, curve, b->max_epochs);
        }
        free(curve);
        bench_free(b);
    }
}

void fuzz_load_table(const char *name, const uint8_t *data, size_t size)
{
    const char *path = fuzz_file(name, data, size);
    struct table_opts o;
    table_default_opts(&o);
    o.no_sidecar = 1;
    struct table *t = NULL;
    if (table_load(&t, path, &o) == NASW_OK) fuzz_check_table(t);
    table_free(t);
}
