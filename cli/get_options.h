/* get_options.h: the options of `edbx get`, as one table (get_options.c) that the parser,
 * --help, the bundle's manifest and replay read.  Adding an option is an id here and an
 * entry there, with its role (options.h) saying what a bundle does with it. */
#ifndef EDBX_GET_OPTIONS_H
#define EDBX_GET_OPTIONS_H

#include "options.h"

enum {
    GOPT_START = 1,
    GOPT_END,
    GOPT_BRACKETS,
    GOPT_OUTPUT,
    GOPT_FORMAT,
    GOPT_WOPT,
    GOPT_COMPRESS,
    GOPT_ASTROPY_TIME,
    GOPT_META,
    GOPT_EVERY,
    GOPT_ON,
    GOPT_AT,
    GOPT_METHOD,
    GOPT_MAX_GAP,
    GOPT_STATS,
    GOPT_CLIP,
    GOPT_WEIGHTED,
    GOPT_DAILY,
    GOPT_HOURLY,
    GOPT_ALIGN,
    GOPT_CHANGES,
    GOPT_WHERE,
    GOPT_FOR,
    GOPT_DURING,
    GOPT_EXPR,
    GOPT_BLOCKS,
    GOPT_GROUP_BY,
    GOPT_FAIL_IF,
    GOPT_SOURCE,
    GOPT_CACHE,
    GOPT_NO_CACHE,
    GOPT_REFRESH,
    GOPT_BUNDLE,
    GOPT_BASE_URL,
    GOPT_TOKEN_FILE,
    GOPT_TOKEN,
    GOPT_CACERT,
    GOPT_TIMEOUT,
    GOPT_RETRIES,
    GOPT_FILE,
    GOPT_CHUNK,
    GOPT_JOBS,
    GOPT_KEEP_GOING,
    GOPT_PROGRESS,
    GOPT_VERBOSE,
    GOPT_QUIET,
    GOPT_HELP,
    GOPT_RUN_TIME_US,
    GOPT_API,
    GOPT_EDP_MISSION,
    GOPT_PLAN_ONLY,
    GOPT_STAMP,
    GOPT_CSV_SAFE,
    GOPT_HEADER_COMMENTS,
    GOPT_NO_META,
    GOPT_INVENTORY_MAX_AGE,
    GOPT_RECORDED_INVENTORY
};

extern const cli_optset cli_get_options;

#endif
