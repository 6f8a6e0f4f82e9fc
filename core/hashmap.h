/*
 * core/hashmap.h - open-addressing hash map from 64-bit keys to 64-bit values.
 *
 * Used for O(1) lookup of architectures (their mixed-radix key), for the
 * repeat cache of the search loop and for membership sets.  Linear probing,
 * power-of-two capacity, load factor <= 1/2, keys hashed with a 64-bit mixer
 * (splitmix64 finaliser).  Any key value is allowed (an occupancy byte array
 * marks used slots).  Not thread-safe for writers; concurrent readers are fine.
 */
#ifndef NASW_CORE_HASHMAP_H
#define NASW_CORE_HASHMAP_H

#include <stddef.h>
#include <stdint.h>

struct hashmap {
    uint64_t *keys;
    int64_t *vals;
    unsigned char *used;
    size_t cap;   /* power of two, or 0 before the first insert */
    size_t n;
};

/* Zero-initialised struct is a valid empty map; hint may be 0. */
int hashmap_init(struct hashmap *m, size_t hint);           /* NASW_OK / NASW_ENOMEM */
void hashmap_release(struct hashmap *m);
/* Insert or overwrite.  Returns NASW_OK or NASW_ENOMEM. */
int hashmap_put(struct hashmap *m, uint64_t key, int64_t val);
/* 1 and *val set if present, 0 otherwise.  val may be NULL. */
int hashmap_get(const struct hashmap *m, uint64_t key, int64_t *val);
void hashmap_clear(struct hashmap *m);                       /* keep capacity */

/* 64-bit FNV-1a, for checksums of files and hashing strings. */
uint64_t nasw_fnv1a(uint64_t h, const void *data, size_t n);
#define NASW_FNV_OFFSET 0xcbf29ce484222325ULL

#endif
