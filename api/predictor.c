/*
 * api/predictor.c - predictor specs: parsing (strict: an unknown option is
 * an error, NASW_EINVAL with its message), encoding architectures for the
 * model, and one fit + predict.  The one implementation behind the public
 * nasw_predictor_* calls (api/nasw.h), `nasw predict` and `nasw confirm
 * --predictor` (the CLI prints a refused spec as a usage error).  Not a
 * surrogate itself: it dispatches to surrogate/ (gp, lstm, xgb, mlp, gcn)
 * and combines an ensemble's members.
 *
 * Ensembles (docs/predictor-zoo.md): every member predicts, its predictions
 * become normalised ranks in [0, 1] within their set, and
 *  - combine=stack (default): a ridge regression (lambda 1, intercept
 *    unpenalised) of the training targets' normalised ranks on the members'
 *    out-of-fold ranks (5 folds: a member never predicts a row it was fitted
 *    on) gives the weights; test rows get the members' full-fit ranks;
 *  - combine=rank: the plain mean of the members' ranks (no fitting).
 * The combined rank is mapped back to target units through the training
 * targets' empirical quantiles, so MAE stays meaningful.  A column member
 * (a zero-cost score) is used as is; a missing score ranks last.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <lapacke.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api/predictor.h"
#include "core/oneshot.h"
#include "core/rng.h"
#include "core/status.h"
#include "train/proxies.h"
#include "train/trainer.h"

/* --- options ------------------------------------------------------------- */

/* strtod + end check, finite (the CLI's strict numbers) */
static int parse_double(const char *s, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (end == s || *end || errno == ERANGE || !isfinite(v)) return -1;
    *out = v;
    return 0;
}

enum { K_NUM, K_INT, K_CHOICE, K_STR };

struct key {
    const char *key;
    int type;
    double min, max;      /* K_NUM, K_INT */
    const char *choices;  /* K_CHOICE: "a|b|c", the value is the index */
};

/* key=value options after the model name: vals[k] (numbers and choice
 * indices), strs[k] (K_STR, pointing into buf), given[k]. */
static int parse_keys(const char *model, char *buf, const struct key *keys, int nk, double *vals,
                      const char **strs, int *given)
{
    char list[256] = "";
    for (int k = 0; k < nk; k++)
        snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s=", k ? ", " : "", keys[k].key);
    char *save = NULL;
    strtok_r(buf, ":", &save);
    for (char *o = strtok_r(NULL, ":", &save); o; o = strtok_r(NULL, ":", &save)) {
        char *eq = strchr(o, '=');
        int k = -1;
        if (eq) {
            *eq = '\0';
            for (int i = 0; i < nk; i++)
                if (!strcmp(o, keys[i].key)) k = i;
        }
        if (k < 0) return nasw_errorf(NASW_EINVAL, "unknown %s option '%.64s' (%s)", model, o, list);
        if (given[k]) return nasw_errorf(NASW_EINVAL, "%s option '%s' given twice", model, o);
        given[k] = 1;
        const char *v = eq + 1;
        if (keys[k].type == K_STR) {
            if (!*v) return nasw_errorf(NASW_EINVAL, "empty %s %s", model, o);
            strs[k] = v;
            continue;
        }
        if (keys[k].type == K_CHOICE) {
            int idx = 0, found = -1;
            for (const char *c = keys[k].choices; *c; idx++) {
                size_t len = strcspn(c, "|");
                if (strlen(v) == len && !strncmp(c, v, len)) found = idx;
                c += len + (c[len] == '|');
            }
            if (found < 0) return nasw_errorf(NASW_EINVAL, "bad %s %s '%.64s' (%s)", model, o, v, keys[k].choices);
            vals[k] = found;
            continue;
        }
        double x;
        if (parse_double(v, &x) || x < keys[k].min || x > keys[k].max || (keys[k].type == K_INT && x != floor(x)))
            return nasw_errorf(NASW_EINVAL, "bad %s %s '%.64s' (%g..%g%s)", model, o, v, keys[k].min, keys[k].max,
                                   keys[k].type == K_INT ? ", an integer" : "");
        vals[k] = x;
    }
    return NASW_OK;
}

/* the given integer options vals[from..from+n) into *dst[0..n) */
static void set_ints(const double *vals, const int *given, int from, int *const *dst, int n)
{
    for (int k = 0; k < n; k++)
        if (given[from + k]) *dst[k] = (int)vals[from + k];
}

/* lstm[:key=value]...: ensemble, epochs, hidden, embed, batch (integers), lr */
static int parse_lstm(char *buf, struct api_predictor *p)
{
    static const struct key keys[] = {{"ensemble", K_INT, 1, 100, 0}, {"epochs", K_INT, 0, 100000, 0},
                                      {"hidden", K_INT, 1, 4096, 0},  {"embed", K_INT, 1, 4096, 0},
                                      {"batch", K_INT, 1, 65536, 0},  {"lr", K_NUM, 1e-9, 10, 0}};
    double v[6];
    int given[6] = {0};
    lstm_default_params(&p->lp);
    p->model = PRED_LSTM;
    p->lstm = 1;
    int rc = parse_keys("lstm", buf, keys, 6, v, NULL, given);
    if (rc) return rc;
    int *const ints[5] = {&p->lp.ensemble, &p->lp.epochs, &p->lp.hidden, &p->lp.embed, &p->lp.batch};
    set_ints(v, given, 0, ints, 5);
    if (given[5]) p->lp.lr = v[5];
    return NASW_OK;
}

/* a table column that names a zero-cost proxy (train/proxies.h), also with
 * the suffixes of published tables (zen_score, params_m, flops_m) */
static int is_zc_column(const char *name)
{
    char b[64];
    snprintf(b, sizeof b, "%s", name);
    size_t n = strlen(b);
    if (proxy_lookup(b) >= 0) return 1;
    if (n > 6 && !strcmp(b + n - 6, "_score")) b[n - 6] = '\0';
    else if (n > 2 && !strcmp(b + n - 2, "_m")) b[n - 2] = '\0';
    return proxy_lookup(b) >= 0;
}

/* features=zc (every zero-cost column of the table) or features=COLUMN */
static int parse_features(const char *model, const char *f, const struct table *t,
                          struct api_predictor *p)
{
    if (!t) return nasw_errorf(NASW_EINVAL, "%s features=%.64s needs a table with the feature columns", model, f);
    int sm = table_search_metric(t);
    if (!strcmp(f, "zc")) {
        for (int c = 0; c < table_n_metrics(t) && p->n_feat < API_PRED_MAX_FEATURES; c++)
            if (c != sm && !table_metric_is_id(t, c) && is_zc_column(table_metric_name(t, c))) p->feat[p->n_feat++] = c;
        if (!p->n_feat)
            return nasw_errorf(NASW_EINVAL, "features=zc: table '%.200s' has no zero-cost column (%s)", table_path(t),
                                   proxy_names());
        return NASW_OK;
    }
    int c = table_metric_index(t, f);
    if (c < 0 || table_metric_is_id(t, c))
        return nasw_errorf(NASW_EINVAL, "bad %s features '%.64s' (zc or a numeric column of the table)", model, f);
    if (c == sm) return nasw_errorf(NASW_EINVAL, "%s features '%.64s' is the predicted column", model, f);
    p->feat[p->n_feat++] = c;
    return NASW_OK;
}

/* xgb, rf, mlp: encoding=onehot|path|none, features=, then model keys */
static int parse_tabular(char *buf, const struct table *t, struct api_predictor *p)
{
    static const struct key xgb_keys[] = {
        {"encoding", K_CHOICE, 0, 0, "onehot|path|none"}, {"features", K_STR, 0, 0, 0},
        {"rounds", K_INT, 1, 100000, 0}, {"depth", K_INT, 1, 30, 0}, {"eta", K_NUM, 1e-6, 1, 0},
        {"subsample", K_NUM, 0.01, 1, 0}, {"colsample", K_NUM, 0.01, 1, 0}, {"min_child", K_NUM, 0, 1e6, 0}};
    static const struct key rf_keys[] = {
        {"encoding", K_CHOICE, 0, 0, "onehot|path|none"}, {"features", K_STR, 0, 0, 0},
        {"trees", K_INT, 1, 100000, 0}, {"depth", K_INT, 1, 30, 0}, {"subsample", K_NUM, 0.01, 1, 0},
        {"colsample", K_NUM, 0.01, 1, 0}, {"min_child", K_NUM, 0, 1e6, 0}};
    static const struct key mlp_keys[] = {
        {"encoding", K_CHOICE, 0, 0, "onehot|path|none"}, {"features", K_STR, 0, 0, 0},
        {"layers", K_INT, 1, 100, 0}, {"hidden", K_INT, 1, 4096, 0}, {"ensemble", K_INT, 1, 100, 0},
        {"epochs", K_INT, 0, 100000, 0}, {"batch", K_INT, 1, 65536, 0}, {"lr", K_NUM, 1e-9, 10, 0},
        {"loss", K_CHOICE, 0, 0, "mae|mse"}};
    const char *model = p->model == PRED_XGB ? "xgb" : p->model == PRED_RF ? "rf" : "mlp";
    const struct key *keys = p->model == PRED_XGB ? xgb_keys : p->model == PRED_RF ? rf_keys : mlp_keys;
    int nk = p->model == PRED_XGB  ? (int)(sizeof xgb_keys / sizeof *xgb_keys)
             : p->model == PRED_RF ? (int)(sizeof rf_keys / sizeof *rf_keys)
                                   : (int)(sizeof mlp_keys / sizeof *mlp_keys);
    double v[16];
    const char *strs[16] = {0};
    int given[16] = {0};
    int rc = parse_keys(model, buf, keys, nk, v, strs, given);
    if (rc) return rc;
    /* defaults: the path encoding for the MLP (BANANAS); one-hot for the
     * trees, which rank NB201 far better on it (docs/predictor-zoo.md) */
    p->path = given[0] ? (int)v[0] : p->model == PRED_MLP;
    if (given[1] && (rc = parse_features(model, strs[1], t, p))) return rc;
    if (p->path == 2 && !p->n_feat) return nasw_errorf(NASW_EINVAL, "%s encoding=none needs features=", model);
    if (p->model == PRED_MLP) {
        mlp_default_params(&p->mp);
        int *const ints[5] = {&p->mp.layers, &p->mp.hidden, &p->mp.ensemble, &p->mp.epochs, &p->mp.batch};
        set_ints(v, given, 2, ints, 5);
        if (given[7]) p->mp.lr = v[7];
        if (given[8]) p->mp.loss = (enum mlp_loss)v[8];
        return NASW_OK;
    }
    xgb_default_params(&p->xp, p->model == PRED_RF ? XGB_FOREST : XGB_BOOST);
    int o = p->model == PRED_RF ? 1 : 0; /* rf has no eta */
    if (given[2]) p->xp.rounds = (int)v[2];
    if (given[3]) p->xp.depth = (int)v[3];
    if (!o && given[4]) p->xp.eta = v[4];
    if (given[5 - o]) p->xp.subsample = v[5 - o];
    if (given[6 - o]) p->xp.colsample = v[6 - o];
    if (given[7 - o]) p->xp.min_child = v[7 - o];
    return NASW_OK;
}

static int parse_gcn(char *buf, const struct table *t, struct api_predictor *p)
{
    static const struct key keys[] = {{"layers", K_INT, 1, 20, 0},       {"hidden", K_INT, 1, 4096, 0},
                                      {"ensemble", K_INT, 1, 100, 0},    {"epochs", K_INT, 0, 100000, 0},
                                      {"batch", K_INT, 1, 65536, 0},     {"lr", K_NUM, 1e-9, 10, 0}};
    double v[6];
    int given[6] = {0};
    gcn_default_params(&p->cp);
    int rc = parse_keys("gcn", buf, keys, 6, v, NULL, given);
    if (rc) return rc;
    int *const ints[5] = {&p->cp.layers, &p->cp.hidden, &p->cp.ensemble, &p->cp.epochs, &p->cp.batch};
    set_ints(v, given, 0, ints, 5);
    if (given[5]) p->cp.lr = v[5];
    if (t && !gcn_row_len(table_space(t)))
        return nasw_errorf(NASW_EINVAL, "gcn needs a cell space (the table's is a %s space)",
                               space_kind_name(table_space(t)->kind));
    return NASW_OK;
}

static int parse_one(const char *s, const struct table *t, struct api_predictor *p, int member);

static const char known[] = "gp, lstm, xgb, rf, mlp, gcn, ensemble:members=A+B";
/* with the supernet, which only `nasw predict` runs and no ensemble holds */
static const char known_all[] = "gp, lstm, xgb, rf, mlp, gcn, ensemble:members=A+B, supernet";

/* supernet[:preset=proxy][:epochs=5][:mode=path|mixture|gumbel][:bn_batches=4]
 * [:eval_images=0][:tau_max=10][:tau_min=0.1], on a table of cells whose
 * ops the live bench trains (cli/supernet_pred.c trains and scores it) */
static int parse_supernet(char *buf, const struct table *t, struct api_predictor *p)
{
    static const struct key keys[] = {
        {"preset", K_STR, 0, 0, 0},          {"epochs", K_INT, 1, 100000, 0},
        {"mode", K_CHOICE, 0, 0, "path|mixture|gumbel"}, {"bn_batches", K_INT, 1, 1000, 0},
        {"eval_images", K_INT, 0, 1e9, 0},   {"tau_max", K_NUM, 1e-6, 1e6, 0},
        {"tau_min", K_NUM, 1e-6, 1e6, 0}};
    static const int modes[] = {ONESHOT_PATH, ONESHOT_MIXED, ONESHOT_GUMBEL};
    double v[7];
    const char *strs[7] = {0};
    int given[7] = {0};
    int rc = parse_keys("supernet", buf, keys, 7, v, strs, given);
    if (rc) return rc;
    struct api_supernet_params *sn = &p->sn;
    const char *preset = given[0] ? strs[0] : "proxy";
    struct train_config cfg;
    if (strlen(preset) >= sizeof sn->preset || train_preset(&cfg, preset))
        return nasw_errorf(NASW_EINVAL, "bad supernet preset '%.64s' (%s)", preset, train_preset_names());
    snprintf(sn->preset, sizeof sn->preset, "%s", preset);
    sn->epochs = given[1] ? (int)v[1] : 5;
    sn->mode = modes[given[2] ? (int)v[2] : 0];
    sn->bn_batches = given[3] ? (int)v[3] : 4;
    sn->eval_images = given[4] ? (int)v[4] : 0;
    sn->tau_max = given[5] ? v[5] : 10;
    sn->tau_min = given[6] ? v[6] : 0.1;
    /* the supernet trains the live bench's cells: a cell space of its ops */
    const struct space *s = t ? table_space(t) : NULL;
    if (s && s->kind != SPACE_CELL)
        return nasw_errorf(NASW_EINVAL, "supernet needs a table of NAS-Bench-201 cells; table '%.200s' has a %s space",
                           table_path(t), space_kind_name(s->kind));
    for (int k = 0; s && k < s->n_ops; k++) {
        int live = 0;
        for (int j = 0; j < 5; j++) live |= !strcmp(s->ops[k], arch_nb201_ops[j]);
        if (!live)
            return nasw_errorf(NASW_EINVAL, "supernet needs a table of NAS-Bench-201 cells; table '%.200s' has op '%.64s'",
                               table_path(t), s->ops[k]);
    }
    p->model = PRED_SUPERNET;
    return NASW_OK;
}

/* ensemble:members=A+B+...[:combine=stack|rank]; a member's own options
 * use '/' for ':' (xgb/features=zc) */
static int parse_ensemble(char *buf, const struct table *t, struct api_predictor *p)
{
    static const struct key keys[] = {{"members", K_STR, 0, 0, 0}, {"combine", K_CHOICE, 0, 0, "stack|rank"}};
    double v[2];
    const char *strs[2] = {0};
    int given[2] = {0};
    int rc = parse_keys("ensemble", buf, keys, 2, v, strs, given);
    if (rc) return rc;
    if (!given[0]) return nasw_errorf(NASW_EINVAL, "ensemble needs members=A+B+... (%s or table columns)", known);
    p->rank = given[1] && v[1] == 1;
    p->members = calloc(API_PRED_MAX_MEMBERS, sizeof *p->members);
    if (!p->members) return nasw_errorf(NASW_ENOMEM, "out of memory");
    char list[256];
    snprintf(list, sizeof list, "%s", strs[0]);
    char *save = NULL;
    for (char *m = strtok_r(list, "+", &save); m; m = strtok_r(NULL, "+", &save)) {
        if (p->n_members == API_PRED_MAX_MEMBERS)
            return nasw_errorf(NASW_EINVAL, "ensemble of more than %d members", API_PRED_MAX_MEMBERS);
        for (char *c = m; *c; c++)
            if (*c == '/') *c = ':';
        if ((rc = parse_one(m, t, &p->members[p->n_members++], 1))) return rc;
    }
    if (p->n_members < 2) return nasw_errorf(NASW_EINVAL, "ensemble needs at least 2 members, got '%.64s'", strs[0]);
    return NASW_OK;
}

static int parse_one(const char *s, const struct table *t, struct api_predictor *p, int member)
{
    memset(p, 0, sizeof *p);
    snprintf(p->name, sizeof p->name, "%s", s);
    p->column = -1;
    static const struct {
        const char *name;
        enum api_model model;
    } models[] = {{"gp", PRED_GP},   {"lstm", PRED_LSTM}, {"xgb", PRED_XGB},          {"rf", PRED_RF},
                  {"mlp", PRED_MLP}, {"gcn", PRED_GCN},   {"ensemble", PRED_ENSEMBLE},
                  {"supernet", PRED_SUPERNET}};
    int found = -1;
    for (int i = 0; i < (int)(sizeof models / sizeof *models); i++) {
        size_t n = strlen(models[i].name);
        if (!strncmp(s, models[i].name, n) && (!s[n] || s[n] == ':')) found = i;
    }
    if (found < 0) {
        p->column = t ? table_metric_index(t, s) : -1;
        if (p->column < 0)
            return nasw_errorf(NASW_EINVAL, "unknown predictor '%.64s' (%s%s)", s, member ? known : known_all,
                                   t ? " or a numeric column of the table" : "");
        p->model = PRED_COLUMN;
        return NASW_OK;
    }
    p->model = models[found].model;
    if (member && p->model == PRED_ENSEMBLE) return nasw_errorf(NASW_EINVAL, "an ensemble cannot be a member of one");
    if (member && p->model == PRED_SUPERNET)
        return nasw_errorf(NASW_EINVAL, "a supernet cannot be a member of an ensemble (it is not fitted on the training set)");
    char buf[256];
    snprintf(buf, sizeof buf, "%s", s);
    switch (p->model) {
    case PRED_LSTM: return parse_lstm(buf, p);
    case PRED_XGB:
    case PRED_RF:
    case PRED_MLP: return parse_tabular(buf, t, p);
    case PRED_GCN: return parse_gcn(buf, t, p);
    case PRED_ENSEMBLE: return parse_ensemble(buf, t, p);
    case PRED_SUPERNET: return parse_supernet(buf, t, p);
    default: break;
    }
    gp_default_params(&p->gp);
    char *save = NULL;
    strtok_r(buf, ":", &save);
    for (char *o = strtok_r(NULL, ":", &save); o; o = strtok_r(NULL, ":", &save)) {
        if (!strcmp(o, "onehot")) p->path = 0;
        else if (!strcmp(o, "path")) p->path = 1;
        else if (!strcmp(o, "rbf")) p->gp.kernel = GP_RBF;
        else if (!strcmp(o, "matern")) p->gp.kernel = GP_MATERN52;
        else if (!strcmp(o, "ard")) p->gp.ard = 1;
        else if (!strcmp(o, "nowarp")) p->gp.warp = 0;
        else return nasw_errorf(NASW_EINVAL, "unknown gp option '%.64s' (onehot, path, rbf, matern, ard, nowarp)", o);
    }
    return NASW_OK;
}

int api_predictor_parse(const char *s, const struct table *t, struct api_predictor *p)
{
    return parse_one(s, t, p, 0);
}

void api_predictor_release(struct api_predictor *p)
{
    if (!p) return;
    free(p->members);
    p->members = NULL;
    p->n_members = 0;
}

/* --- encoding ------------------------------------------------------------ */

static int enc_width(const struct api_predictor *p, const struct space *s)
{
    return p->path == 2 ? 0 : p->path ? space_path_dim(s) : space_onehot_dim(s);
}

int api_predictor_width(const struct api_predictor *p, const struct space *s)
{
    switch (p->model) {
    case PRED_COLUMN:
    case PRED_SUPERNET: return 0;
    case PRED_LSTM: return lstm_seq_len(s);
    case PRED_GCN: return gcn_row_len(s);
    case PRED_ENSEMBLE: {
        int w = 0;
        for (int k = 0; k < p->n_members; k++) {
            int mw = api_predictor_width(&p->members[k], s);
            w += mw ? mw : 1; /* a column member: its value */
        }
        return w;
    }
    default: return enc_width(p, s) + p->n_feat;
    }
}

/* one predictor's row at x (doubles; an lstm member's tokens as doubles
 * when tok is NULL); t may be NULL when nothing needs a table value */
static void encode(const struct api_predictor *p, const struct space *s, const struct arch *a, const struct table *t,
                   long row, double *x, int *tok)
{
    switch (p->model) {
    case PRED_COLUMN: {
        double v = t ? table_value(t, row, p->column) : NAN;
        x[0] = isnan(v) ? -INFINITY : v; /* a missing score ranks last */
        return;
    }
    case PRED_LSTM: {
        int tk[ARCH_MAX_DIMS];
        lstm_tokens(s, a, tok ? tok : tk);
        if (!tok)
            for (int i = 0; i < lstm_seq_len(s); i++) x[i] = tk[i];
        return;
    }
    case PRED_GCN: gcn_encode(s, a, x); return;
    case PRED_ENSEMBLE:
        for (int k = 0; k < p->n_members; k++) {
            encode(&p->members[k], s, a, t, row, x, NULL);
            int mw = api_predictor_width(&p->members[k], s);
            x += mw ? mw : 1;
        }
        return;
    default: break;
    }
    if (p->path == 1) arch_encode_path(s, a, x);
    else if (p->path == 0) arch_encode_onehot(s, a, x);
    x += enc_width(p, s);
    for (int f = 0; f < p->n_feat; f++) {
        double v = t ? table_value(t, row, p->feat[f]) : NAN;
        x[f] = isfinite(v) ? v : 0;
    }
}

void api_predictor_encode(const struct api_predictor *p, const struct space *s, const struct arch *a, long i,
                          double *x, int *tok)
{
    long w = api_predictor_width(p, s);
    if (p->model == PRED_COLUMN || p->model == PRED_SUPERNET) return;
    encode(p, s, a, NULL, -1, p->lstm ? NULL : x + i * w, p->lstm ? tok + i * w : NULL);
}

void api_predictor_encode_row(const struct api_predictor *p, const struct table *t, long row, long i, double *x,
                              int *tok)
{
    const struct space *s = table_space(t);
    long w = api_predictor_width(p, s);
    if (p->model == PRED_COLUMN || p->model == PRED_SUPERNET) return;
    encode(p, s, table_row_arch(t, row), t, row, p->lstm ? NULL : x + i * w, p->lstm ? tok + i * w : NULL);
}

/* --- fitting ------------------------------------------------------------- */

static double clock_s(clockid_t c)
{
    struct timespec t;
    clock_gettime(c, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* one model (not an ensemble, not a column): fit on x/tok, predict xt/tokt */
static int fit_model(const struct api_predictor *p, const struct space *s, const double *x, const int *tok,
                     const double *y, int n, const double *xt, const int *tokt, int m, double *mean, struct rng *r)
{
    int st, d = api_predictor_width(p, s);
    switch (p->model) {
    case PRED_LSTM: {
        struct lstm *model;
        if ((st = lstm_fit(&model, tok, lstm_seq_len(s), lstm_vocab(s), y, n, &p->lp, r))) return st;
        st = lstm_predict(model, tokt, m, mean, NULL);
        lstm_free(model);
        return st;
    }
    case PRED_XGB:
    case PRED_RF: {
        struct xgb *model;
        if ((st = xgb_fit(&model, x, n, d, y, &p->xp, r))) return st;
        st = xgb_predict(model, xt, m, mean);
        xgb_free(model);
        return st;
    }
    case PRED_MLP: {
        struct mlp *model;
        if ((st = mlp_fit(&model, x, n, d, y, &p->mp, r))) return st;
        st = mlp_predict(model, xt, m, mean, NULL);
        mlp_free(model);
        return st;
    }
    case PRED_GCN: {
        struct gcn *model;
        if ((st = gcn_fit(&model, x, n, gcn_nodes(s), gcn_features(s), y, &p->cp, r))) return st;
        st = gcn_predict(model, xt, m, mean, NULL);
        gcn_free(model);
        return st;
    }
    default: break;
    }
    struct gp *g;
    if ((st = gp_fit(&g, x, y, n, d, &p->gp, r))) return st;
    st = gp_predict(g, xt, m, mean, NULL);
    gp_free(g);
    return st;
}

static const double *sort_key;
static int by_key(const void *a, const void *b)
{
    double x = sort_key[*(const int *)a], y = sort_key[*(const int *)b];
    return (x > y) - (x < y);
}

/* normalised average ranks of v (n) into out, in [0, 1] (0.5 for n = 1);
 * idx: n ints of scratch */
static void ranks01(const double *v, int n, double *out, int *idx)
{
    for (int i = 0; i < n; i++) idx[i] = i;
    sort_key = v;
    qsort(idx, (size_t)n, sizeof *idx, by_key);
    for (int i = 0; i < n;) {
        int j = i;
        while (j + 1 < n && v[idx[j + 1]] == v[idx[i]]) j++;
        double rk = n > 1 ? 0.5 * (i + j) / (n - 1) : 0.5;
        for (int k = i; k <= j; k++) out[idx[k]] = rk;
        i = j + 1;
    }
}

/* rows of a member's segment: x (rows, w) at column c of width mw */
static void segment(const double *x, int rows, int w, int c, int mw, double *out, int *tok)
{
    for (int i = 0; i < rows; i++)
        for (int j = 0; j < mw; j++) {
            out[(size_t)i * mw + j] = x[(size_t)i * w + c + j];
            if (tok) tok[(size_t)i * mw + j] = (int)x[(size_t)i * w + c + j];
        }
}

/* member q's predictions: of the test rows (pt, m) when fit_rows is NULL,
 * else of the rows not in the training mask (out-of-fold) */
static int member_predict(const struct api_predictor *q, const struct space *s, const double *xs, const int *tks,
                          int mw, const double *y, const unsigned char *train, int n, const double *xq,
                          const int *tq, int m, double *pred, double *bx, int *btk, double *by, struct rng *r)
{
    if (q->model == PRED_COLUMN) {
        memcpy(pred, xq, sizeof *pred * (size_t)m);
        return NASW_OK;
    }
    int k = 0;
    for (int i = 0; i < n; i++) {
        if (train && !train[i]) continue;
        memcpy(bx + (size_t)k * mw, xs + (size_t)i * mw, sizeof *bx * (size_t)mw);
        memcpy(btk + (size_t)k * mw, tks + (size_t)i * mw, sizeof *btk * (size_t)mw);
        by[k++] = y[i];
    }
    return fit_model(q, s, bx, btk, by, k, xq, tq, m, pred, r);
}

/* ridge of t (n) on the columns of F (n, P) plus an intercept: weights w (P+1) */
static int ridge(const double *F, const double *t, int n, int P, double lambda, double *w)
{
    int q = P + 1;
    double A[(API_PRED_MAX_MEMBERS + 1) * (API_PRED_MAX_MEMBERS + 1)] = {0};
    for (int j = 0; j < q; j++) w[j] = 0;
    for (int i = 0; i < n; i++)
        for (int a = 0; a < q; a++) {
            double fa = a < P ? F[(size_t)i * P + a] : 1;
            w[a] += fa * t[i];
            for (int b = 0; b < q; b++) A[a * q + b] += fa * (b < P ? F[(size_t)i * P + b] : 1);
        }
    for (int a = 0; a < P; a++) A[a * q + a] += lambda;
    lapack_int info = LAPACKE_dposv(LAPACK_ROW_MAJOR, 'U', q, 1, A, q, w, 1);
    if (info) return nasw_errorf(NASW_ENUMERIC, "ensemble: the stacking regression is singular");
    return NASW_OK;
}

static int fit_ensemble(const struct api_predictor *p, const struct space *s, const double *x, const double *y, int n,
                        const double *xt, int m, double *mean, struct rng *r)
{
    enum { FOLDS = 5 };
    int P = p->n_members, w = api_predictor_width(p, s), mx = n > m ? n : m, st = NASW_OK;
    size_t cells = (size_t)mx * (size_t)w;
    double *xs = malloc(sizeof *xs * cells), *xq = malloc(sizeof *xq * cells), *bx = malloc(sizeof *bx * cells);
    int *tks = malloc(sizeof *tks * cells), *tq = malloc(sizeof *tq * cells), *btk = malloc(sizeof *btk * cells);
    double *by = malloc(sizeof *by * (size_t)mx), *pred = malloc(sizeof *pred * (size_t)mx);
    double *Ftr = malloc(sizeof *Ftr * (size_t)n * P), *Fte = malloc(sizeof *Fte * (size_t)m * P);
    double *rk = malloc(sizeof *rk * (size_t)mx), *ty = malloc(sizeof *ty * (size_t)n), *sy = malloc(sizeof *sy * (size_t)n);
    int *idx = malloc(sizeof *idx * (size_t)mx), *fold = malloc(sizeof *fold * (size_t)n);
    unsigned char *train = malloc((size_t)n);
    if (!xs || !xq || !bx || !tks || !tq || !btk || !by || !pred || !Ftr || !Fte || !rk || !ty || !sy || !idx ||
        !fold || !train) {
        st = nasw_errorf(NASW_ENOMEM, "out of memory");
        goto out;
    }
    /* folds: a random balanced assignment from the predictor's rng */
    for (int i = 0; i < n; i++) fold[i] = i % FOLDS;
    rng_shuffle_int(r, fold, n);
    int folds = n >= 2 * FOLDS ? FOLDS : 0; /* too few rows: rank average */
    int stack = !p->rank && folds;
    for (int c = 0, q = 0; q < P; q++) {
        const struct api_predictor *mq = &p->members[q];
        int mw = api_predictor_width(mq, s);
        mw = mw ? mw : 1;
        segment(x, n, w, c, mw, xs, tks);
        segment(xt, m, w, c, mw, xq, tq);
        c += mw;
        if ((st = member_predict(mq, s, xs, tks, mw, y, NULL, n, xq, tq, m, pred, bx, btk, by, r))) goto out;
        ranks01(pred, m, rk, idx);
        for (int i = 0; i < m; i++) Fte[(size_t)i * P + q] = rk[i];
        if (!stack) continue;
        if (mq->model == PRED_COLUMN) {
            memcpy(pred, xs, sizeof *pred * (size_t)n);
        } else {
            for (int f = 0; f < folds; f++) {
                int k = 0;
                for (int i = 0; i < n; i++) train[i] = fold[i] != f;
                for (int i = 0; i < n; i++)
                    if (fold[i] == f) {
                        memcpy(xq + (size_t)k * mw, xs + (size_t)i * mw, sizeof *xq * (size_t)mw);
                        memcpy(tq + (size_t)k * mw, tks + (size_t)i * mw, sizeof *tq * (size_t)mw);
                        k++;
                    }
                if ((st = member_predict(mq, s, xs, tks, mw, y, train, n, xq, tq, k, rk, bx, btk, by, r))) goto out;
                for (int i = 0, j = 0; i < n; i++)
                    if (fold[i] == f) pred[i] = rk[j++];
            }
        }
        ranks01(pred, n, rk, idx);
        for (int i = 0; i < n; i++) Ftr[(size_t)i * P + q] = rk[i];
    }
    double wts[API_PRED_MAX_MEMBERS + 1];
    if (stack) {
        ranks01(y, n, ty, idx);
        if ((st = ridge(Ftr, ty, n, P, 1.0, wts))) goto out;
    } else {
        for (int q = 0; q < P; q++) wts[q] = 1.0 / P;
        wts[P] = 0;
    }
    /* combined rank -> the training targets' empirical quantile */
    memcpy(sy, y, sizeof *sy * (size_t)n);
    sort_key = sy;
    for (int i = 0; i < n; i++) idx[i] = i;
    qsort(idx, (size_t)n, sizeof *idx, by_key);
    for (int i = 0; i < n; i++) ty[i] = y[idx[i]];
    for (int i = 0; i < m; i++) {
        double z = wts[P];
        for (int q = 0; q < P; q++) z += wts[q] * Fte[(size_t)i * P + q];
        double u = (z < 0 ? 0 : z > 1 ? 1 : z) * (n - 1);
        int lo = (int)floor(u);
        int hi = lo + 1 < n ? lo + 1 : lo;
        /* the clamped rank keeps the order; z itself breaks the ties of
         * clamped rows, so the ranking of the combination is kept whole */
        mean[i] = ty[lo] + (u - lo) * (ty[hi] - ty[lo]) + 1e-9 * (z - (z < 0 ? 0 : z > 1 ? 1 : z));
    }
out:
    free(xs);
    free(xq);
    free(bx);
    free(tks);
    free(tq);
    free(btk);
    free(by);
    free(pred);
    free(Ftr);
    free(Fte);
    free(rk);
    free(ty);
    free(sy);
    free(idx);
    free(fold);
    free(train);
    return st;
}

int api_predictor_fit_predict(const struct api_predictor *p, const struct space *s, const double *x, const int *tok,
                              const double *y, int n, const double *xt, const int *tokt, int m, double *mean,
                              const double *ytest, double *lpd, double *fit_s, double *fit_cpu_s, struct rng *r)
{
    double t0 = clock_s(CLOCK_MONOTONIC), c0 = clock_s(CLOCK_THREAD_CPUTIME_ID);
    int st;
    if (lpd) *lpd = NAN;
    if (p->model == PRED_SUPERNET || p->model == PRED_COLUMN)
        return nasw_errorf(NASW_EINVAL, "predictor '%s' is not fitted", p->name);
    if (p->model == PRED_GP) {
        struct gp *g;
        if ((st = gp_fit(&g, x, y, n, api_predictor_width(p, s), &p->gp, r))) return st;
        st = gp_predict(g, xt, m, mean, NULL);
        /* timed like a peer's fit + predict; the density is extra */
        if (fit_cpu_s) *fit_cpu_s = clock_s(CLOCK_THREAD_CPUTIME_ID) - c0;
        if (fit_s) *fit_s = clock_s(CLOCK_MONOTONIC) - t0;
        if (!st && !p->gp.warp && ytest && lpd) st = gp_log_predictive(g, xt, ytest, m, lpd);
        gp_free(g);
        return st;
    }
    st = p->model == PRED_ENSEMBLE ? fit_ensemble(p, s, x, y, n, xt, m, mean, r)
                                   : fit_model(p, s, x, tok, y, n, xt, tokt, m, mean, r);
    if (fit_cpu_s) *fit_cpu_s = clock_s(CLOCK_THREAD_CPUTIME_ID) - c0;
    if (fit_s) *fit_s = clock_s(CLOCK_MONOTONIC) - t0;
    return st;
}
