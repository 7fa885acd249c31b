/* monitor_options.h: the options of `edbx monitor`, as one table (monitor_options.c) that
 * the parser, --help, the bundle's manifest and replay read, as get's (get_options.h). */
#ifndef EDBX_MONITOR_OPTIONS_H
#define EDBX_MONITOR_OPTIONS_H

#include "options.h"

/* monitor's own options; the others are get's entries, with get's ids (get_options.h). */
enum {
    MOPT_CONFIG = 1000,
    MOPT_OUTPUT_DIR,
    MOPT_STATE,
    MOPT_PLOTS,
    MOPT_EXPLAIN,
    MOPT_DAILY_WINDOW,
    MOPT_FORMAT
};

/* The table: monitor's own entries and get's where they mean the same. */
const cli_optset *cli_monitor_options(void);

#endif
