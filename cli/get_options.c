/* get_options.c: the table of `edbx get`'s options (get_options.h). */
#include "get_options.h"

#define SECTION(text) {0, NULL, 0, NULL, 0, CLI_ROLE_DATA, text}

static const cli_opt opts[] = {
    SECTION("Range:"),
    {GOPT_START, "start", 's', "TIME", 0, CLI_ROLE_DATA, "start of the range, inclusive (required)"},
    {GOPT_END, "end", 'e', "TIME", 0, CLI_ROLE_DATA, "end of the range, inclusive (default: now)"},
    {GOPT_FOR, "for", 0, "DUR", 0, CLI_ROLE_DATA,
     "instead of --end: the range is [START, START+DUR), the\n"
     "end instant excluded (--start yesterday --for 1d is one\n"
     "whole UTC day, each midnight counted once)"},
    {GOPT_DURING, "during", 0, "FILE.fits[+PAD]", 1, CLI_ROLE_INPUT,
     "instead of --start/--end: the range of the exposure in\n"
     "FILE's primary header (EXPSTART/EXPEND, else DATE-BEG/\n"
     "DATE-END), widened by PAD on both sides (+60s); repeat\n"
     "for several exposures: each is a range of its own, and\n"
     "the output starts with a column 'file' naming it"},
    SECTION("      TIME is 2022-01-25, 2022-01-25T00:00:00[.ffffff][Z], 2022-025T00:00:00,\n"
            "      2022:025:00:00:00, mjd:59612.5, now or now-6h (units us ms s min h d),\n"
            "      today, yesterday or today-7d (UTC midnights), or a time of day with an\n"
            "      offset, 2022-01-25T08:00:00-04:00 (converted to UTC)"),
    {GOPT_BRACKETS, "brackets", 0, NULL, 0, CLI_ROLE_DATA,
     "also keep the sample just before the start and the one\n"
     "just after the end, as the EDB sends them"},
    SECTION(""),
    SECTION("Output:"),
    {GOPT_OUTPUT, "output", 'o', "FILE", 0, CLI_ROLE_OUTPUT,
     "write to FILE (default: standard output, also '-');\n"
     "written to a temporary file and renamed when complete,\n"
     "so a failed run never leaves a partial FILE (through a\n"
     "symbolic link: the file it names; a device or FIFO is\n"
     "written directly; a file with hard links is refused)"},
    {GOPT_FORMAT, "format", 0, "NAME", 0, CLI_ROLE_DATA,
     "one of the formats listed at the end (default: from the\n"
     "extension of FILE; a name without one is csv, any other\n"
     "extension is refused).  FITS: one table per mnemonic;\n"
     "HDF5: /raw/MNEMONIC; resampled data: one wide table\n"
     "(docs/formats.md)"},
    {GOPT_WOPT, "writer-option", 'O', "KEY[=VALUE]", 1, CLI_ROLE_DATA,
     "an option of the output format (repeat for several;\n"
     "each format's keys are listed at the end); a key the\n"
     "format does not take is refused before anything is\n"
     "fetched"},
    {GOPT_COMPRESS, "compress", 0, "N", 0, CLI_ROLE_DATA,
     "-O compress=N: deflate level 0-9 of hdf5 and csv.gz\n"
     "(default 1)"},
    {GOPT_ASTROPY_TIME, "astropy-time", 0, NULL, 0, CLI_ROLE_DATA,
     "-O astropy-time: ecsv, tag the time column as an\n"
     "astropy Time (TOPCAT cannot open such files)"},
    {GOPT_CSV_SAFE, "csv-safe", 0, NULL, 0, CLI_ROLE_DATA,
     "-O safe: csv, csv.gz, ecsv: put a ' before a string\n"
     "value that a spreadsheet would run as a formula (=, +,\n"
     "-, @, tab or CR first; numbers excepted)"},
    {GOPT_HEADER_COMMENTS, "header-comments", 0, NULL, 0, CLI_ROLE_DATA,
     "-O header-comments: csv, csv.gz: start with '#' lines\n"
     "giving each column's (or mnemonic's) unit and\n"
     "description; read with comment='#' (pandas, astropy)"},
    {GOPT_STAMP, "stamp", 0, NULL, 0, CLI_ROLE_DATA,
     "write the time of the run into the file (FITS DATE,\n"
     "ECSV and HDF5 run_time); without it (or\n"
     "SOURCE_DATE_EPOCH) files carry no time of their making,\n"
     "so the same query gives the same bytes"},
    {GOPT_META, "meta", 0, "FILE", 1, CLI_ROLE_INPUT,
     "units, descriptions and change-only flags of the\n"
     "mnemonics (the EDB's replies carry none): a MAST\n"
     "inventory CSV (tlmMnemonic,unit,description,...) or a\n"
     "path B meta.json (AllPoints 0: change-only, held by\n"
     "default when resampling); repeat it, earlier files win\n"
     "over what the service says"},
    {GOPT_NO_META, "no-meta", 0, NULL, 0, CLI_ROLE_DATA,
     "do not ask the service what it knows of the mnemonics\n"
     "(by default units, descriptions, subsystems and\n"
     "change-only flags come from its inventory, kept in the\n"
     "cache, or from a --source store's meta.json, and names it\n"
     "does not list are refused before any data request);\n"
     "--meta files still apply (docs/discovery.md)"},
    SECTION(""),
    SECTION("Resampling (one row per grid time, one column per mnemonic; docs/resampling.md):"),
    {GOPT_EVERY, "every", 0, "DUR", 0, CLI_ROLE_DATA,
     "grid START, START+DUR, ... up to END (e.g. 10s, 1min)"},
    {GOPT_ON, "on", 0, "MNEMONIC|union", 0, CLI_ROLE_DATA,
     "grid: the sample times of MNEMONIC inside the range;\n"
     "union: of every output mnemonic (each column by its\n"
     "point method, unlike --align)"},
    {GOPT_AT, "at", 0, "FILE", 0, CLI_ROLE_INPUT,
     "grid: the times in FILE, one per line (any TIME syntax;\n"
     "blank lines and '#' comments skipped)"},
    {GOPT_METHOD, "method", 0, "M", 0, CLI_ROLE_DATA,
     "value at a grid time: hold (last sample at or before),\n"
     "linear (no extrapolation) or nearest (a tie goes to the\n"
     "earlier); default linear for reals, hold for the rest\n"
     "and for change-only reals (AllPoints 0: from --meta, a\n"
     "store's meta.json or path B and EDP's metadata)"},
    {GOPT_MAX_GAP, "max-gap", 0, "DUR", 0, CLI_ROLE_DATA,
     "no value when the samples used are more than DUR apart\n"
     "(hold: older than DUR; nearest: farther than DUR); raw\n"
     "samples drawn as a plot: where its lines break"},
    {GOPT_STATS, "stats", 0, "LIST", 0, CLI_ROLE_DATA,
     "per bin [t, t+DUR) instead of a value per point: any of\n"
     "mean,min,max,median,std,count,first,last,mode; columns\n"
     "are MNEMONIC_stat; the last bin is closed at END; each\n"
     "column gets what is defined for its type (strings:\n"
     "count, first, last, mode; reals: all but mode)"},
    {GOPT_CLIP, "clip", 0, "SIGMA", 0, CLI_ROLE_DATA,
     "sigma-clip each bin first (median centre, std, at most 10\n"
     "rounds, as astropy's sigma_clip)"},
    {GOPT_WEIGHTED, "weighted", 0, NULL, 0, CLI_ROLE_DATA,
     "time-weighted mean and std (each value counts for the\n"
     "time it held, the one carried into the bin included)"},
    {GOPT_DAILY, "daily", 0, NULL, 0, CLI_ROLE_DATA,
     "bins of one UTC day from START's midnight (default\n"
     "--stats mean,min,max,median,std,count)"},
    {GOPT_DAILY_WINDOW, "daily-window", 0, "HH:MM/DUR", 0, CLI_ROLE_DATA,
     "with --daily: count only the samples in [HH:MM,\n"
     "HH:MM+DUR) of each UTC day (jwql's daily means take\n"
     "12:00/15min); a day whose window is outside the range\n"
     "has no row"},
    {GOPT_HOURLY, "hourly", 0, NULL, 0, CLI_ROLE_DATA,
     "bins of one UTC hour from START's hour (the same\n"
     "default statistics)"},
    {GOPT_ALIGN, "align", 0, "union|MNEMONIC", 0, CLI_ROLE_DATA,
     "no grid: rows at the union of the mnemonics'\n"
     "sample times, or at one mnemonic's, values held"},
    {GOPT_CHANGES, "changes", 0, NULL, 0, CLI_ROLE_DATA,
     "keep a sample only when its value differs from the one\n"
     "before (the first is always kept)"},
    {GOPT_WHERE, "where", 0, "EXPR", 1, CLI_ROLE_DATA,
     "keep the samples (or grid times) at which EXPR holds:\n"
     "comparisons (> < >= <= == !=) of mnemonics, derived\n"
     "columns, numbers and 'quoted strings', with and, or, not\n"
     "and parentheses; repeat to AND conditions"},
    {GOPT_EXPR, "expr", 0, "NAME=EXPR", 1, CLI_ROLE_DATA,
     "a derived column NAME computed on the grid from\n"
     "mnemonics, earlier derived columns, numbers, + - * /,\n"
     "parentheses and abs(), e.g. 'P = SE_ZIMIRICEA *\n"
     "SE_ZBUSVLT'; units compose (A V); x/0 has no value"},
    {GOPT_BLOCKS, "blocks", 0, NULL, 0, CLI_ROLE_DATA,
     "one row per run of points (grid times, or samples)\n"
     "where the --where conditions hold: its start, end and\n"
     "--stats (default mean,min,max,median,std,count)"},
    {GOPT_GROUP_BY, "group-by", 0, "MNEMONIC", 0, CLI_ROLE_DATA,
     "one row per run of constant value of MNEMONIC (a state,\n"
     "e.g. a filter position), from START: the value, start,\n"
     "end and --stats of the points inside"},
    {GOPT_FAIL_IF, "fail-if", 0, "EXPR", 1, CLI_ROLE_DATA,
     "after writing the output, exit 9 if any of its rows\n"
     "satisfies EXPR (a condition on its columns, as --where);\n"
     "the matching rows are counted on stderr, even with -q"},
    SECTION("  The samples just outside the range are always fetched and used, so a value\n"
            "  held or interpolated at START is right however old the last sample is."),
    SECTION(""),
    SECTION("Local data, cache and bundles (docs/stores.md, docs/cache.md, docs/bundles.md):"),
    {GOPT_SOURCE, "source", 0, "PATH", 0, CLI_ROLE_SOURCE,
     "answer from local data only, never the network (no token\n"
     "needed): a folder or a .tar, .tar.gz, .tgz, .tar.xz or .zip\n"
     "in the jwst layout (meta.json + *_data.json) or of saved\n"
     "replies (MNEMONIC-START-END.csv; a bundle's raw/)"},
    {GOPT_CACHE, "cache", 0, "DIR", 0, CLI_ROLE_SOURCE,
     "the reply cache (default $XDG_CACHE_HOME/edbx, else\n"
     "~/.cache/edbx, where each token's replies are kept apart;\n"
     "a DIR named here is shared by whoever uses it); a repeated\n"
     "query makes no request; ranges ending within the last hour\n"
     "are never cached"},
    {GOPT_NO_CACHE, "no-cache", 0, NULL, 0, CLI_ROLE_SOURCE, "neither read nor write the cache"},
    {GOPT_REFRESH, "refresh", 0, NULL, 0, CLI_ROLE_SOURCE,
     "ask the service again and replace what the cache holds\n"
     "(the inventory too)"},
    {GOPT_INVENTORY_MAX_AGE, "inventory-max-age", 0, "DUR", 0, CLI_ROLE_SOURCE,
     "use the cached inventory while it is younger than DUR\n"
     "(default 7d); an older one is asked again, and used with\n"
     "a warning only when the service cannot answer"},
    {GOPT_BUNDLE, "bundle", 0, "FILE", 0, CLI_ROLE_OUTPUT,
     "also write FILE (.tar.gz, .tgz, .tar.xz, .tar or .zip): the\n"
     "manifest, every reply as received, a copy of every file\n"
     "the run read and the output, for 'edbx replay' and 'edbx\n"
     "bundle verify' (needs -o FILE)"},
    SECTION(""),
    SECTION("Service (docs/services.md):"),
    {GOPT_API, "api", 0, "NAME", 0, CLI_ROLE_SOURCE,
     "the service to ask: mast (MAST's path A, the default),\n"
     "direct (the direct DMS service, path B) or edp (MAST's\n"
     "EDP API); default $ENG_API, else mast.  The samples are\n"
     "the same from each"},
    {GOPT_EDP_MISSION, "edp-mission", 0, "NAME", 0, CLI_ROLE_SOURCE,
     "edp: the mission path segment (default jwst); the data\n"
     "and metadata paths can be replaced as a whole with\n"
     "$ENG_DATA_URI and $ENG_META_URI, as romancal reads them"},
    {GOPT_BASE_URL, "base-url", 0, "URL", 0, CLI_ROLE_SOURCE,
     "the EDB service (default $ENG_BASE_URL, else\n"
     "https://mast.stsci.edu)"},
    {GOPT_TOKEN_FILE, "token-file", 0, "F", 0, CLI_ROLE_SOURCE,
     "read the MAST token from the first line of F (default\n"
     "$MAST_API_TOKEN, else the ~/.netrc entry of the base URL's\n"
     "host, 'mast' also naming mast.stsci.edu); one word of at\n"
     "most 1024 characters; never taken on the command line,\n"
     "never printed, sent only over https (or plain http to a\n"
     "loopback address) and never to another host on a redirect"},
    /* Refused with a message that says why; not in --help. */
    {GOPT_TOKEN, "token", 0, "T", 0, CLI_ROLE_INTERNAL, ""},
    {GOPT_CACERT, "cacert", 0, "FILE", 0, CLI_ROLE_SOURCE,
     "CA bundle to verify the service's TLS certificate with"},
    {GOPT_TIMEOUT, "timeout", 0, "DUR", 0, CLI_ROLE_SOURCE,
     "time limit of one request: seconds or a duration such as\n"
     "90s or 10min, more than 0 (default $ENG_TIMEOUT, else 600)"},
    {GOPT_RETRIES, "retries", 0, "N", 0, CLI_ROLE_SOURCE,
     "retries of a failing request (default $ENG_RETRIES, else\n"
     "10); connection errors, timeouts, HTTP 408, 429 and 500-519\n"
     "use them all, other errors but 404 at most 2; waits grow\n"
     "exponentially (1 s, 2 s, ... capped at 120 s, with jitter)\n"
     "and follow the service's Retry-After"},
    SECTION(""),
    SECTION("Many mnemonics, long ranges:"),
    {GOPT_FILE, "file", 'f', "FILE", 1, CLI_ROLE_INPUT,
     "read mnemonics from FILE, one per line ('#' comments;\n"
     "'-' is standard input); duplicates are asked once; a NUL\n"
     "byte or a line over 4096 bytes is refused"},
    {GOPT_CHUNK, "chunk", 0, "DUR", 0, CLI_ROLE_SOURCE,
     "split the range into requests of DUR, cut at UTC\n"
     "midnights (multiples of DUR since 1970; default 1d);\n"
     "chunks are stitched back, each sample once"},
    {GOPT_JOBS, "jobs", 'j', "N", 0, CLI_ROLE_SOURCE,
     "at most N transfers at once (default 4, at most 32),\n"
     "over reused connections; the output is the same for any N"},
    {GOPT_PLAN_ONLY, "plan-only", 0, NULL, 0, CLI_ROLE_UI,
     "print the requests the query makes, one per line\n"
     "(request, service, kind, mnemonic, start, end, URL;\n"
     "tab-separated) and exit: nothing is asked, no token read"},
    {GOPT_KEEP_GOING, "keep-going", 0, NULL, 0, CLI_ROLE_DATA,
     "if some mnemonics fail, write the others, list what is\n"
     "missing and exit 8 (default: write nothing, exit non-zero)"},
    {GOPT_PROGRESS, "progress", 0, NULL, 0, CLI_ROLE_UI,
     "draw the progress line even when stderr is not a terminal\n"
     "(on a terminal it is drawn unless -q)"},
    {GOPT_VERBOSE, "verbose", 'v', NULL, 0, CLI_ROLE_UI,
     "log every request (URL, status, bytes, time) to stderr"},
    {GOPT_QUIET, "quiet", 'q', NULL, 0, CLI_ROLE_UI, "print nothing but errors (no progress line)"},
    {GOPT_HELP, "help", 'h', NULL, 0, CLI_ROLE_UI, "show this help"},
    SECTION(""),
    SECTION("Many processes, one cache (docs/scale.md):"),
    {GOPT_SHARD, "shard", 0, "K/N", 0, CLI_ROLE_SOURCE,
     "fetch only shard K of N (K from 0 to N-1) of the\n"
     "requests, cut by expected size (mnemonics x time), into\n"
     "the cache, and write nothing (no -o); a rerun skips what\n"
     "the cache holds.  With --plan-only: shard K's requests"},
    {GOPT_OFFLINE, "offline", 0, NULL, 0, CLI_ROLE_SOURCE,
     "answer from the cache alone, never the network: every\n"
     "request is checked first, and if any is missing they\n"
     "are listed and edbx exits 12 (with --keep-going: the\n"
     "mnemonics that are whole are written, exit 8)"},
    {GOPT_SHARDS, "shards", 0, "N", 0, CLI_ROLE_UI,
     "with --offline or --plan-only: name the shard (of N) of\n"
     "each request listed"},
    {GOPT_SLURM, "slurm", 0, "N", 0, CLI_ROLE_SOURCE,
     "write FILE.sbatch (-o FILE) and fetch nothing: a Slurm\n"
     "job array of N shards, then the assembly of FILE\n"
     "(--offline); it runs without Slurm too (sh FILE.sbatch\n"
     "local)"},
    {GOPT_MAX_TRANSFERS, "max-transfers", 0, "M", 0, CLI_ROLE_SOURCE,
     "with --slurm: at most M transfers at once, all tasks\n"
     "together (default 32); tasks past M / -j wait their turn"},
    /* --bundle records the inventory the run used as this, and replay reads it back. */
    {GOPT_RECORDED_INVENTORY, "recorded-inventory", 0, "FILE", 0, CLI_ROLE_FETCHED, ""},
    /* replay: the recorded "now" */
    {GOPT_RUN_TIME_US, "run-time-us", 0, "US", 0, CLI_ROLE_INTERNAL, ""},
};

const cli_optset cli_get_options = {opts, sizeof opts / sizeof opts[0]};
