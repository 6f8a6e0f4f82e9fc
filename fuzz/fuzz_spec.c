/*
 * fuzz/fuzz_spec.c - libFuzzer harness: strategy specs (search/spec.c),
 * "NAME[:key=value]..." and comma-separated lists of them.
 *
 * A spec that parses must format to its full form (every parameter) and
 * that form must parse back to the same strategy and the same values: the
 * full form is what run logs record to reproduce a run.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/status.h"
#include "fuzz/fuzz.h"
#include "search/search.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_roundtrip(const struct search_spec *spec)
{
    char full[4096];
    FUZZ_CHECK(search_spec_format(spec, full, sizeof full) == NASW_OK);
    if (strlen(full) >= sizeof spec->label) return; /* longer than a spec may be */
    struct search_spec back;
    FUZZ_CHECK(search_spec_parse(full, &back) == NASW_OK);
    FUZZ_CHECK(back.type == spec->type && back.dedupe_iso == spec->dedupe_iso);
    for (int i = 0; spec->type->params && spec->type->params[i].name; i++)
        FUZZ_CHECK(back.values[i] == spec->values[i]);
    FUZZ_CHECK(!strcmp(back.warm_column, spec->warm_column) && back.warm_pool == spec->warm_pool);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = fuzz_cstr(data, size);
    struct search_spec spec;
    if (search_spec_parse(text, &spec) == NASW_OK) {
        FUZZ_CHECK(strcmp(spec.label, text) == 0);
        check_roundtrip(&spec);
    }
    struct search_spec *list = NULL;
    int n = 0;
    if (search_spec_list_parse(text, &list, &n) == NASW_OK) {
        FUZZ_CHECK(n >= 1);
        for (int i = 0; i < n; i++) check_roundtrip(&list[i]);
    }
    free(list);
    free(text);
    return 0;
}
