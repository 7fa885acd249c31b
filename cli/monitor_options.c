/* monitor_options.c: the table of `edbx monitor`'s options (monitor.h).
 *
 * An option that means for monitor what it means for get is get's own entry (name, value,
 * role and help), copied from get's table when the table is first asked for: the two can
 * never disagree about --source, the cache, the service or -j.  The others are monitor's. */
#include <stdlib.h>
#include <string.h>

#include "get_options.h"
#include "monitor_options.h"

/* One line of the table: get's entry of that name, or one of monitor's own. */
typedef struct item {
    const char *get;
    cli_opt own;
} item;

#define GET(name) {name, {0, NULL, 0, NULL, 0, CLI_ROLE_DATA, NULL}}
#define OWN(...) {NULL, {__VA_ARGS__}}
#define SECTION(text) OWN(0, NULL, 0, NULL, 0, CLI_ROLE_DATA, text)

static const item layout[] = {
    SECTION("Configurations and range:"),
    OWN(MOPT_CONFIG, "config", 'c', "FILE", 1, CLI_ROLE_INPUT,
        "a jwql monitor configuration (also as an argument);\n"
        "repeat for several"),
    GET("start"),
    OWN(GOPT_END, "end", 'e', "TIME", 0, CLI_ROLE_DATA,
        "end of the range, inclusive (default: the range ends\n"
        "at today's UTC midnight, excluded)"),
    GET("for"),
    OWN(MOPT_DAILY_WINDOW, "daily-window", 0, "HH:MM/DUR", 0, CLI_ROLE_DATA,
        "daily_means count only the samples in [HH:MM,\n"
        "HH:MM+DUR) of each day, as jwql does (12:00/15min);\n"
        "default: the whole day"),
    OWN(MOPT_STATE, "state", 0, "DIR", 0, CLI_ROLE_STATE,
        "remember in DIR what is final, so that the next run\n"
        "computes only what is new and appends it (nightly\n"
        "runs); written last, atomically"),
    SECTION(""),
    SECTION("Output:"),
    OWN(MOPT_OUTPUT_DIR, "output", 'o', "DIR", 0, CLI_ROLE_OUTPUT_DIR,
        "write into DIR (made if missing): the tables, report.json,\n"
        "report.md and the plots; each file written atomically"),
    OWN(MOPT_FORMAT, "format", 0, "NAME", 0, CLI_ROLE_DATA,
        "the tables' format: hdf5 (default; every table in\n"
        "monitor.h5), or fits, ecsv, csv, csv.gz (a file each)"),
    GET("writer-option"),
    GET("compress"),
    GET("astropy-time"),
    GET("csv-safe"),
    GET("header-comments"),
    OWN(MOPT_PLOTS, "plots", 0, "FORMAT|none", 0, CLI_ROLE_DATA,
        "the plots' format: png (default), svg, pdf, html, or none"),
    GET("meta"),
    OWN(GOPT_NO_META, "no-meta", 0, NULL, 0, CLI_ROLE_DATA,
        "do not ask the service what it knows of the mnemonics\n"
        "(by default units, descriptions, subsystems and\n"
        "change-only flags come from its inventory, kept in the\n"
        "cache, or from a --source store's meta.json); --meta\n"
        "files still apply (docs/discovery.md)"),
    OWN(MOPT_EXPLAIN, "explain", 0, NULL, 0, CLI_ROLE_UI,
        "print the edbx get command of each entry and kind, and\n"
        "what --state leaves to compute; contact nothing"),
    SECTION(""),
    SECTION("Local data, cache and bundles (docs/stores.md, docs/cache.md, docs/bundles.md):"),
    GET("source"),
    GET("cache"),
    GET("no-cache"),
    GET("refresh"),
    GET("inventory-max-age"),
    OWN(GOPT_BUNDLE, "bundle", 0, "FILE", 0, CLI_ROLE_OUTPUT,
        "also write FILE (.tar.gz, .tgz, .tar.xz, .tar or .zip):\n"
        "the manifest, every reply, a copy of every file read\n"
        "(configurations included) and every output, for 'edbx\n"
        "replay' (not with --state)"),
    SECTION(""),
    SECTION("Service (docs/services.md):"),
    GET("api"),
    GET("edp-mission"),
    GET("base-url"),
    GET("token-file"),
    GET("token"),
    GET("cacert"),
    GET("timeout"),
    GET("retries"),
    SECTION(""),
    SECTION("Fetching:"),
    GET("chunk"),
    GET("jobs"),
    GET("keep-going"),
    GET("progress"),
    GET("verbose"),
    GET("quiet"),
    GET("help"),
    GET("run-time-us"),
    GET("recorded-inventory"),
};
#define N_LAYOUT (sizeof layout / sizeof layout[0])

static cli_opt table[N_LAYOUT];
static cli_optset set;

const cli_optset *cli_monitor_options(void)
{
    if (set.n)
        return &set;
    for (size_t k = 0; k < N_LAYOUT; k++) {
        if (!layout[k].get) {
            table[k] = layout[k].own;
            continue;
        }
        const cli_opt *g = cli_opt_find(&cli_get_options, layout[k].get);
        if (!g)
            abort(); /* a name that get's table lost: a bug, caught by any test */
        table[k] = *g;
    }
    set.v = table;
    set.n = N_LAYOUT;
    return &set;
}
