/*
 * fuzz/fuzz_table_json.c - libFuzzer harness: the table loader on JSON input
 * (tables/rows.c's jansson reader: a bare array of rows or {"meta", "rows"},
 * the inline meta merged by table.c), then the same pipeline as CSV.
 *
 * Inputs that do not start like JSON are CSV (fuzz_table_csv's) and are
 * rejected (-1).  An inline "curves" path is resolved next to the scratch
 * file, where nothing but the input itself exists.
 */
#include <stddef.h>
#include <stdint.h>

#include "fuzz/fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!fuzz_is_json(data, size)) return -1;
    fuzz_load_table("t.json", data, size);
    return 0;
}
