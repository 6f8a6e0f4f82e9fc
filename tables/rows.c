/*
 * tables/rows.c - reading a table file into a stream of text rows: CSV with
 * libcsv, JSON with jansson.
 *
 * Both readers produce the same thing (struct rows): the header, every
 * field as a NUL-terminated string in one arena (no allocation per field:
 * NB201's 46,875 x 8 fields would be 375,000 mallocs), and each row's place
 * in the file.  Nothing is interpreted here; table.c decides what is a
 * number.
 *
 * CSV: RFC 4180 through libcsv.  The file is fed to csv_parse one physical
 * line at a time so that every record knows the line it started on (what
 * error messages quote), and so that a quote still open at the end of a
 * line is known to have opened on it: an unterminated quote is reported
 * there, not at the end of the file.  Blank lines are skipped.  The header
 * is line 1.  A NUL byte in a field is an error (C strings would silently
 * cut the value at it: "12\0x" read as 12).
 * JSON: an array of row objects, or {"meta": {...}, "rows": [...]}; the
 * first row's keys (in their order) are the columns and every row must have
 * exactly those keys.  A row's place is its index ("path: rows[i]").
 * Values are numbers or strings; booleans, null, arrays and objects are
 * refused (a boolean is not a measurement).
 *
 * Name sets (names_find/names_add) make the per-name checks linear: a
 * header of 200,000 columns is checked for duplicates in one pass.
 */
#include <csv.h>
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/hashmap.h"
#include "core/status.h"
#include "tables/table_impl.h"

void rows_release(struct rows *r)
{
    for (int i = 0; i < r->n_cols; i++) free(r->header[i]);
    free(r->header);
    free(r->fields);
    free(r->line);
    free(r->text);
    free(r->off);
    const char *path = r->path;
    int is_json = r->is_json;
    memset(r, 0, sizeof *r);
    r->path = path;
    r->is_json = is_json;
}

/* --- name sets ------------------------------------------------------------- */

/* The map takes a name's FNV-1a hash to the index of the first name added
 * with that hash; a name whose hash is taken by another (a 64-bit
 * collision) is found by the linear scan, so lookups stay exact. */
static uint64_t name_hash(const char *name) { return nasw_fnv1a(NASW_FNV_OFFSET, name, strlen(name)); }

long names_find(const struct hashmap *m, char *const *names, long n, const char *name)
{
    int64_t i;
    if (!hashmap_get(m, name_hash(name), &i)) return -1;
    if (!strcmp(names[i], name)) return (long)i;
    for (long k = 0; k < n; k++)
        if (!strcmp(names[k], name)) return k;
    return -1;
}

int names_add(struct hashmap *m, const char *name, long i)
{
    uint64_t h = name_hash(name);
    if (hashmap_get(m, h, NULL)) return NASW_OK;
    return hashmap_put(m, h, i) ? nasw_errorf(NASW_ENOMEM, "out of memory") : NASW_OK;
}

static int grow(void **p, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap) return 0;
    size_t c = *cap ? *cap : 1024;
    while (c < need) c *= 2;
    void *q = realloc(*p, c * elem);
    if (!q) return -1;
    *p = q;
    *cap = c;
    return 0;
}

static const char *where(const struct rows *r, long line, char *buf, size_t n)
{
    if (r->is_json) snprintf(buf, n, "%s: rows[%ld]", r->path, line);
    else snprintf(buf, n, "%s:%ld", r->path, line);
    return buf;
}

/* Append one field of the current record to the arena. */
static int push_field(struct rows *r, const char *s, size_t len)
{
    if (grow((void **)&r->text, &r->text_cap, r->text_len + len + 1, 1) ||
        grow((void **)&r->off, &r->off_cap, r->off_len + 1, sizeof *r->off))
        return nasw_errorf(NASW_ENOMEM, "out of memory");
    if (len) memcpy(r->text + r->text_len, s, len);
    r->text[r->text_len + len] = '\0';
    r->off[r->off_len++] = r->text_len;
    r->text_len += len + 1;
    r->cur_n++;
    return NASW_OK;
}

/* The current record (its cur_n fields, the last ones of off[]) is complete. */
static int end_record(struct rows *r, long line)
{
    int n = r->cur_n;
    r->cur_n = 0;
    if (!r->header) {
        r->header = calloc(n ? (size_t)n : 1, sizeof *r->header);
        if (!r->header) return nasw_errorf(NASW_ENOMEM, "out of memory");
        r->n_cols = n;
        r->header_line = line;
        for (int j = 0; j < n; j++) {
            const char *s = r->text + r->off[j];
            size_t len = strlen(s) + 1;
            if (!(r->header[j] = malloc(len))) return nasw_errorf(NASW_ENOMEM, "out of memory");
            memcpy(r->header[j], s, len);
        }
        r->text_len = 0;
        r->off_len = 0;
        return NASW_OK;
    }
    if (n != r->n_cols) {
        char buf[4200];
        return nasw_errorf(NASW_EPARSE, "%s: expected %d fields, got %d", where(r, line, buf, sizeof buf), r->n_cols,
                           n);
    }
    if (grow((void **)&r->line, &r->line_cap, (size_t)r->n_rows + 1, sizeof *r->line))
        return nasw_errorf(NASW_ENOMEM, "out of memory");
    r->line[r->n_rows++] = line;
    return NASW_OK;
}

/* Turn the offsets into pointers (the arena no longer moves). */
static int rows_finish(struct rows *r)
{
    size_t n = (size_t)r->n_rows * (size_t)r->n_cols;
    r->fields = malloc(sizeof *r->fields * (n ? n : 1));
    if (!r->fields) return nasw_errorf(NASW_ENOMEM, "out of memory");
    for (size_t i = 0; i < n; i++) r->fields[i] = r->text + r->off[i];
    free(r->off);
    r->off = NULL;
    r->off_len = r->off_cap = 0;
    return NASW_OK;
}

/* --- CSV ------------------------------------------------------------------- */

static void csv_field_cb(void *s, size_t len, void *arg)
{
    struct rows *r = arg;
    if (r->error) return;
    /* a record starts on the line where its first field ends (a quoted
     * first field spanning lines is the only case this misplaces) */
    if (r->cur_n == 0) r->rec_line = r->line_no;
    r->fields_ended++;
    if (s && memchr(s, '\0', len)) {
        if (!r->header)
            r->error = nasw_errorf(NASW_EPARSE, "%.200s:%ld: column %d: NUL byte in the column name", r->path,
                                   r->line_no, r->cur_n + 1);
        else if (r->cur_n < r->n_cols)
            r->error = nasw_errorf(NASW_EPARSE, "%.200s:%ld: column '%.64s': NUL byte in the value", r->path,
                                   r->line_no, r->header[r->cur_n]);
        else
            r->error = nasw_errorf(NASW_EPARSE, "%.200s:%ld: field %d: NUL byte in the value", r->path, r->line_no,
                                   r->cur_n + 1);
        return;
    }
    r->error = push_field(r, s, s ? len : 0);
}

static void csv_row_cb(int c, void *arg)
{
    (void)c;
    struct rows *r = arg;
    if (r->error) return;
    /* a line of blanks gives one empty field: skip it */
    if (r->cur_n == 1 && r->text[r->off[r->off_len - 1]] == '\0') {
        r->off_len--;
        r->text_len = r->off[r->off_len];
        r->cur_n = 0;
        return;
    }
    r->error = end_record(r, r->rec_line);
}

/* Size the arena once: the fields and their terminators never take more
 * bytes than the file (each terminator replaces a delimiter), and a field
 * takes at least two bytes (itself and a delimiter), so no realloc copies
 * a large arena while parsing. */
static int reserve(struct rows *r, size_t len)
{
    if (grow((void **)&r->text, &r->text_cap, len + 2, 1) ||
        grow((void **)&r->off, &r->off_cap, len / 2 + 2, sizeof *r->off))
        return nasw_errorf(NASW_ENOMEM, "out of memory");
    return NASW_OK;
}

int rows_load_csv(struct rows *r, const char *data, size_t len)
{
    struct csv_parser p;
    int st = reserve(r, len);
    if (st) return st;
    if (csv_init(&p, CSV_APPEND_NULL) != 0) return nasw_errorf(NASW_ENOMEM, "out of memory");
    size_t pos = 0;
    long quote_line = 0; /* line where the quoted field still open began */
    r->line_no = 0;
    while (pos < len && !r->error) {
        const char *nl = memchr(data + pos, '\n', len - pos);
        size_t end = nl ? (size_t)(nl - data) + 1 : len;
        r->line_no++;
        unsigned long ended = r->fields_ended;
        /* libcsv ends a field at an unquoted newline, so a field still
         * quoted after a whole line is one whose quote is open (a last line
         * without its newline gets one to tell the two apart); it opened on
         * this line if a field ended on it, else it is the one open before */
        int ok = csv_parse(&p, data + pos, end - pos, csv_field_cb, csv_row_cb, r) == end - pos &&
                 (nl || r->error || csv_parse(&p, "\n", 1, csv_field_cb, csv_row_cb, r) == 1);
        if (!ok && !r->error) {
            int e = csv_error(&p);
            csv_free(&p);
            return nasw_errorf(NASW_EPARSE, "%.200s:%ld: %s", r->path, r->line_no, csv_strerror(e));
        }
        if (!p.quoted) quote_line = 0;
        else if (!quote_line || r->fields_ended != ended) quote_line = r->line_no;
        pos = end;
    }
    if (!r->error && quote_line) {
        csv_free(&p);
        return nasw_errorf(NASW_EPARSE, "%.200s:%ld: unterminated quoted field (its closing '\"' is missing)",
                           r->path, quote_line);
    }
    if (!r->error && csv_fini(&p, csv_field_cb, csv_row_cb, r) != 0 && !r->error)
        r->error = nasw_errorf(NASW_EPARSE, "%.200s:%ld: %s", r->path, r->line_no, csv_strerror(csv_error(&p)));
    csv_free(&p);
    if (r->error) return r->error;
    if (!r->header) return nasw_errorf(NASW_EPARSE, "%.200s: empty table (no header line)", r->path);
    return rows_finish(r);
}

/* --- JSON ------------------------------------------------------------------ */

/* A JSON value as a field.  Numbers keep their full precision; booleans,
 * null, arrays and objects are refused here so the message can say what
 * they are (true was once read as 1: a silent accuracy of 1%). */
static int json_field(struct rows *r, json_t *v, size_t i, const char *key)
{
    char buf[64];
    const char *s = buf;
    switch (json_typeof(v)) {
    case JSON_STRING: return push_field(r, json_string_value(v), json_string_length(v));
    case JSON_INTEGER: snprintf(buf, sizeof buf, "%" JSON_INTEGER_FORMAT, json_integer_value(v)); break;
    case JSON_REAL: snprintf(buf, sizeof buf, "%.17g", json_real_value(v)); break;
    case JSON_TRUE:
    case JSON_FALSE:
        return nasw_errorf(NASW_EPARSE, "%.200s: rows[%zu]: column '%.64s': %s is not a number", r->path, i, key,
                           json_is_true(v) ? "true" : "false");
    case JSON_NULL:
        return nasw_errorf(NASW_EPARSE, "%.200s: rows[%zu]: column '%.64s': null is not a number", r->path, i, key);
    default:
        return nasw_errorf(NASW_EPARSE, "%.200s: rows[%zu]: column '%.64s': expected a number or a string",
                           r->path, i, key);
    }
    return push_field(r, s, strlen(s));
}

/* The header as a name set, to find a row's extra key in one pass. */
static int json_extra_key(const struct rows *r, json_t *row, size_t i)
{
    struct hashmap hdr = {0};
    int st = NASW_OK;
    for (int j = 0; j < r->n_cols && !st; j++) st = names_add(&hdr, r->header[j], j);
    const char *k;
    json_t *v;
    json_object_foreach(row, k, v)
    {
        if (st) break;
        if (names_find(&hdr, r->header, r->n_cols, k) < 0)
            st = nasw_errorf(NASW_EPARSE, "%.200s: rows[%zu]: key '%.64s' is not in rows[0]", r->path, i, k);
    }
    hashmap_release(&hdr);
    NASW_ASSERT(st != NASW_OK); /* the row has more keys than the header, all distinct */
    return st;
}

static int json_rows(struct rows *r, json_t *arr)
{
    size_t i;
    json_t *row;
    json_array_foreach(arr, i, row)
    {
        int st;
        if (!json_is_object(row))
            return nasw_errorf(NASW_EPARSE, "%.200s: rows[%zu]: expected an object", r->path, i);
        if (!r->header) {
            const char *k;
            json_t *v;
            json_object_foreach(row, k, v) if ((st = push_field(r, k, strlen(k)))) return st;
            if ((st = end_record(r, (long)i))) return st;
        }
        /* every column present and no other key: with none missing, a
         * size mismatch means an extra key */
        for (int j = 0; j < r->n_cols; j++) {
            json_t *v = json_object_get(row, r->header[j]);
            if (!v) return nasw_errorf(NASW_EPARSE, "%.200s: rows[%zu]: missing '%.64s'", r->path, i, r->header[j]);
            if ((st = json_field(r, v, i, r->header[j]))) return st;
        }
        if (json_object_size(row) != (size_t)r->n_cols) return json_extra_key(r, row, i);
        if ((st = end_record(r, (long)i))) return st;
    }
    return NASW_OK;
}

int rows_load_json(struct rows *r, const char *data, size_t len, json_t **meta)
{
    json_error_t err;
    *meta = NULL;
    int st = reserve(r, len);
    if (st) return st;
    json_t *root = json_loadb(data, len, JSON_REJECT_DUPLICATES, &err);
    if (!root) return nasw_errorf(NASW_EPARSE, "%.200s:%d: %s", r->path, err.line, err.text);
    json_t *arr = root;
    if (json_is_object(root)) {
        const char *k;
        json_t *v;
        json_object_foreach(root, k, v)
        {
            if (strcmp(k, "meta") && strcmp(k, "rows")) {
                st = nasw_errorf(NASW_EPARSE, "%.200s: unknown top-level key '%.64s' (expected meta, rows)", r->path,
                                 k);
                break;
            }
        }
        arr = json_object_get(root, "rows");
        json_t *m = json_object_get(root, "meta");
        if (!st && m && !json_is_object(m)) st = nasw_errorf(NASW_EPARSE, "%.200s: \"meta\" must be an object", r->path);
        if (!st && m) *meta = json_incref(m);
    }
    if (!st && !json_is_array(arr))
        st = nasw_errorf(NASW_EPARSE, "%.200s: expected an array of rows or {\"meta\": {...}, \"rows\": [...]}",
                         r->path);
    if (!st) st = json_rows(r, arr);
    json_decref(root);
    if (!st && !r->header) st = nasw_errorf(NASW_EPARSE, "%.200s: no rows", r->path);
    if (!st) st = rows_finish(r);
    if (st) {
        json_decref(*meta);
        *meta = NULL;
    }
    return st;
}
