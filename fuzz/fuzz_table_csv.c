/*
 * fuzz/fuzz_table_csv.c - libFuzzer harness: the table loader on CSV input
 * (tables/rows.c's libcsv reader, table.c's columns, roles and numbers,
 * group.c's datasets, keys and curves, core/arch.c's space inference).
 *
 * The input is written to a scratch file and loaded without a sidecar; a
 * table that loads is then read in full (fuzz_check_table).  Inputs that
 * start like JSON belong to fuzz_table_json and are rejected (-1: not kept
 * in the corpus).
 */
#include <stddef.h>
#include <stdint.h>

#include "fuzz/fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (fuzz_is_json(data, size)) return -1;
    fuzz_load_table("t.csv", data, size);
    return 0;
}
