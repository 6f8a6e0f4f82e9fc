/*
 * search/warm.h - building a warm start's ranked pool (search/warm.c), for
 * search_run(); strategies only see struct search_warm (search/search.h).
 */
#ifndef NASW_SEARCH_WARM_H
#define NASW_SEARCH_WARM_H

#include <stdint.h>

#include "search/search.h"

/* Draw the pool of spec's warm start from its own stream of `seed`, score
 * it with the bench's column and rank it (*w zeroed when the spec has no
 * warm start).  Release with search_warm_release. */
int search_warm_build(const struct search_spec *spec, struct bench *b, uint64_t seed, struct search_warm *w);
void search_warm_release(struct search_warm *w);

#endif
