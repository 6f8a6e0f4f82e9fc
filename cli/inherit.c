/*
 * cli/inherit.c - weight inheritance specs checked before a bench opens.
 *
 * `inherit=1` (evolution, local) needs a bench that trains; search_run
 * refuses it too, but only after the bench (and a live bench's journal)
 * is open and, for compare, the output directory written: checked here
 * first, it is a usage error that leaves nothing behind.
 */
#include <string.h>

#include "cli/cli.h"
#include "core/objective.h"
#include "core/status.h"
#include "search/search.h"
#include "train/live.h"

int cli_check_inherit(const char *cmd, const struct search_spec *spec, const char *bench, const struct objectives *obj)
{
    int live = !strncmp(bench, "live:", 5), full = 0;
    if (live && live_spec_epochs(bench, &full)) full = 0; /* a bad spec: reported when it is opened */
    if (search_spec_check_inherit(spec, bench, live, full, obj->n > 0 || obj->n_con > 0))
        return cli_usage_error(cmd, "%s", nasw_errmsg());
    return CLI_OK;
}
