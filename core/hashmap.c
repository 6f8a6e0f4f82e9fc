/*
 * core/hashmap.c - open addressing, linear probing, splitmix64 mixing.
 */
#include "core/hashmap.h"

#include <stdlib.h>
#include <string.h>

#include "core/status.h"

static uint64_t mix(uint64_t z)
{
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static int alloc_slots(struct hashmap *m, size_t cap)
{
    m->keys = malloc(cap * sizeof *m->keys);
    m->vals = malloc(cap * sizeof *m->vals);
    m->used = calloc(cap, 1);
    if (!m->keys || !m->vals || !m->used) {
        free(m->keys);
        free(m->vals);
        free(m->used);
        m->keys = NULL;
        m->vals = NULL;
        m->used = NULL;
        return NASW_ENOMEM;
    }
    m->cap = cap;
    return NASW_OK;
}

int hashmap_init(struct hashmap *m, size_t hint)
{
    memset(m, 0, sizeof *m);
    if (hint == 0) return NASW_OK;
    size_t cap = 16;
    while (cap < 2 * hint) cap <<= 1;
    return alloc_slots(m, cap);
}

void hashmap_release(struct hashmap *m)
{
    if (!m) return;
    free(m->keys);
    free(m->vals);
    free(m->used);
    memset(m, 0, sizeof *m);
}

static size_t find_slot(const struct hashmap *m, uint64_t key)
{
    size_t mask = m->cap - 1, i = (size_t)mix(key) & mask;
    while (m->used[i] && m->keys[i] != key) i = (i + 1) & mask;
    return i;
}

static int grow(struct hashmap *m)
{
    struct hashmap old = *m;
    if (alloc_slots(m, old.cap ? old.cap * 2 : 16) != NASW_OK) {
        *m = old;
        return NASW_ENOMEM;
    }
    m->n = 0;
    for (size_t i = 0; i < old.cap; i++) {
        if (!old.used[i]) continue;
        size_t j = find_slot(m, old.keys[i]);
        m->used[j] = 1;
        m->keys[j] = old.keys[i];
        m->vals[j] = old.vals[i];
        m->n++;
    }
    free(old.keys);
    free(old.vals);
    free(old.used);
    return NASW_OK;
}

int hashmap_put(struct hashmap *m, uint64_t key, int64_t val)
{
    if (m->cap == 0 || 2 * (m->n + 1) > m->cap) {
        int st = grow(m);
        if (st) return st;
    }
    size_t i = find_slot(m, key);
    if (!m->used[i]) {
        m->used[i] = 1;
        m->keys[i] = key;
        m->n++;
    }
    m->vals[i] = val;
    return NASW_OK;
}

int hashmap_get(const struct hashmap *m, uint64_t key, int64_t *val)
{
    if (m->cap == 0) return 0;
    size_t i = find_slot(m, key);
    if (!m->used[i]) return 0;
    if (val) *val = m->vals[i];
    return 1;
}

void hashmap_clear(struct hashmap *m)
{
    if (m->used) memset(m->used, 0, m->cap);
    m->n = 0;
}

uint64_t nasw_fnv1a(uint64_t h, const void *data, size_t n)
{
    const unsigned char *p = data;
    for (size_t i = 0; i < n; i++) {
        h ^= p[i];
        h *= 0x100000001b3ULL;
    }
    return h;
}
