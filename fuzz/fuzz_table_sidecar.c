/*
 * fuzz/fuzz_table_sidecar.c - libFuzzer harness: the JSON sidecar
 * PATH.meta.json of a table (tables/table.c: keys, types, roles,
 * directions, the "curves" file it attaches through group.c).
 *
 * The input is the sidecar; the table beside it is fixed (a small final
 * table with a cost, a loss and a text column), and so is a curve file
 * "curves.csv" the sidecar may name, so attaching curves is reached too.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "fuzz/fuzz.h"
#include "tables/table.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char TABLE[] = "arch,dataset,val_acc,test_acc,cost_s,val_loss,note\n"
                            "0000,d1,30,31,5,0.9,a\n"
                            "1111,d1,35,36,6,0.8,b\n"
                            "2222,d1,32,33,7,0.7,c\n"
                            "0000,d2,40,41,5,0.6,d\n";
static const char CURVES[] = "arch,dataset,epoch,val_acc,test_acc,cost_s\n"
                             "0000,d1,1,10,11,5\n"
                             "0000,d1,2,20,21,5\n"
                             "1111,d1,2,25,26,6\n"
                             "1111,d1,1,15,16,6\n"
                             "0000,d2,0,12,13,7\n";

static const char *tpath;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!tpath) {
        tpath = fuzz_file("t.csv", (const uint8_t *)TABLE, strlen(TABLE));
        fuzz_file("curves.csv", (const uint8_t *)CURVES, strlen(CURVES));
    }
    fuzz_file("t.csv.meta.json", data, size);
    struct table *t = NULL;
    if (table_load(&t, tpath, NULL) == 0) fuzz_check_table(t);
    table_free(t);
    return 0;
}
