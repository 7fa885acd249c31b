/* get.c: `edbx get MNEMONIC... --start T --end T [-o FILE]`. */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/types.h>
#include <unistd.h>

#include <edb/writer.h>

#include "cli.h"
#include "discover.h"
#include "get_options.h"
#include "query.h"

void help_get(FILE *out)
{
    fputs("Usage: edbx get MNEMONIC... [-f FILE] --start TIME [--end TIME | --for DUR]\n"
          "                [-o FILE] [OPTIONS]\n"
          "       edbx get MNEMONIC... --during FILE.fits[+PAD]... [-o FILE] [OPTIONS]\n"
          "\n"
          "Fetch the samples of one or more mnemonics over a UTC time range from the EDB\n"
          "(MAST's path A) and write them out.  CSV has one row per sample, grouped by\n"
          "mnemonic in the order given, each in time order:\n"
          "  time,mjd,mnemonic,value\n"
          "  2022-02-02T22:24:58.053,59612.934005243056,SA_ZATTEST2,-0.7914494276\n"
          "time is ISO 8601 UTC with milliseconds; mjd is the same instant as an MJD (UTC).\n"
          "Units, descriptions and subsystems come from the service's inventory (the MAST\n"
          "portal's, kept a week in the cache; --no-meta: none), which also refuses a name\n"
          "it does not list before any data request (see 'edbx search', 'edbx info').\n"
          "\n",
          out);
    cli_opts_help(&cli_get_options, out);
    /* From the writers' registry, so that a format or a key added there shows here. */
    fputs("\nFormats (--format NAME, or the extension of FILE) and their -O keys:\n", out);
    for (size_t k = 0; k < edb_format_count(); k++) {
        const char *name = edb_format_name(k);
        fprintf(out, "  %s (", name);
        for (const char *const *e = edb_format_extensions(k); *e; e++)
            fprintf(out, "%s%s", e == edb_format_extensions(k) ? "" : " ", *e);
        fputc(')', out);
        /* the keys filled to 80 columns, continued under the format's name */
        size_t x = 3 + strlen(name);
        for (const char *const *e = edb_format_extensions(k); *e; e++)
            x += 1 + strlen(*e);
        edb_format_option fo;
        for (size_t j = 0; edb_format_option_get(name, j, &fo) == 0; j++) {
            size_t w = strlen(fo.key) + (fo.value ? 1 + strlen(fo.value) : 0);
            if (j && x + 2 + w + 1 > 80) {
                fputs(",\n    ", out);
                x = 4;
            } else {
                fputs(j ? ", " : ": ", out);
                x += 2;
            }
            fprintf(out, "%s%s%s", fo.key, fo.value ? "=" : "", fo.value ? fo.value : "");
            x += w;
        }
        fputc('\n', out);
    }
    fputs("\n"
          "Exit status: 0 ok, 2 usage, 3 unknown mnemonic, 4 authentication, 5 network or\n"
          "server, 6 bad data, 7 local I/O, 8 partly failed (--keep-going), 9 alert (a\n"
          "--fail-if condition matched rows of the output, which is written in full),\n"
          "12 not in the cache (--offline, --shard), 130 interrupted, 141 standard output\n"
          "closed early (| head; nothing printed) (see 'edbx --help').\n",
          out);
}

/* --source, the cache and --bundle: reset and freed by cmd_get around each run. */
static cli_local get_local;
/* --meta files, loaded as the options are read so that a bad file fails before any
 * request; freed by cmd_get. */
static edb_meta *get_meta;
/* The inventory the run uses (the service's, the store's meta.json, or a bundle's
 * recorded copy), after --meta; freed by cmd_get. */
static edb_meta *get_inv;
/* With --keep-going, the names to fetch once the inventory has refused some; freed by
 * cmd_get. */
static const char **get_kept;
static size_t n_get_kept;
/* What the lookup has to say about the inventory it could not have (or had only old):
 * said once the data is in, since a run that fails says why and nothing else. */
static char get_note[EDB_ERRMSG_SIZE * 2];

/* --shard K/N: fetch the shard into the cache, then check that the cache holds it all. */
static int run_shard(edb_client_options *co, const edb_query *q, const cli_scale *scale,
                     edb_time now, int quiet, cli_progress *prog)
{
    edb_client *client = NULL;
    edb_status st = edb_client_new(&client, co);
    if (st != EDB_OK)
        return cli_fail(st, "cannot set up the HTTP client: %s", edb_strerror(st));
    edb_result *res = NULL;
    st = edb_client_fetch(client, q, &res);
    cli_progress_done(prog);
    int code;
    if (st != EDB_OK && !(st == EDB_ERR_PARTIAL && res)) {
        code = cli_fail(st, "shard %zu/%zu: %s", scale->k, scale->n, edb_client_errmsg(client));
        edb_client_free(client);
        return code;
    }
    for (size_t k = 0; k < edb_result_count(res); k++)
        if (edb_result_status(res, k) != EDB_OK)
            cli_warn("missing %s", edb_result_errmsg(res, k));
    code = cli_scale_check_cache(co, q, scale, get_local.cache, now, res, 1);
    if (code == EXIT_OK && st == EDB_ERR_PARTIAL)
        code = cli_fail(st, "shard %zu/%zu: some mnemonics failed (listed above); the rest is "
                        "in the cache", scale->k, scale->n);
    if (code == EXIT_OK && !quiet) {
        edb_client_stats cs;
        edb_client_get_stats(client, &cs);
        size_t first, end;
        edb_plan *p = NULL;
        if (edb_client_plan(client, q, &p) == EDB_OK)
            edb_plan_shard_range(p, scale->k, scale->n, &first, &end);
        else
            first = end = 0;
        edb_plan_free(p);
        cli_warn("shard %zu/%zu: %zu requests in the cache at %s (%lu asked of the service, %lu "
                 "retries, %llu bytes; %lu answered by the cache)", scale->k, scale->n,
                 end - first, edb_cache_root(get_local.cache), cs.requests - cs.retries,
                 cs.retries, cs.bytes, cs.local);
    }
    edb_result_free(res);
    edb_client_free(client);
    return code;
}

/* Does format take the -O key? */
static int format_takes(const char *format, const char *key)
{
    edb_format_option fo;
    for (size_t k = 0; edb_format_option_get(format, k, &fo) == 0; k++)
        if (strcmp(fo.key, key) == 0)
            return 1;
    return 0;
}

/* What the service (or the store) knows of the run's mnemonics: its inventory, from the
 * cache or asked now (docs/discovery.md), for units, descriptions, subsystems and
 * change-only flags.  A name the inventory does not list is refused here, before any data
 * request (exit 3), but only when the inventory is sure: one just asked of the service (a
 * cached copy that lacks a name is asked again first).  Anything else that goes wrong is a
 * warning: metadata never fails a run.  -1 to go on, else the exit code. */
static int get_lookup(const edb_client_options *co, const char *const *names, size_t n,
                      int no_meta, const char *recorded, int64_t max_age_us, int quiet,
                      int keep_going, size_t *refused_out)
{
    *refused_out = 0;
    edb_err err = EDB_ERR_INIT;
    edb_inventory_info info;
    int code = cli_inventory_for_run(&get_inv, co, &get_local, recorded, no_meta, max_age_us,
                                     quiet, names, n, &info, get_note, sizeof get_note);
    if (code >= 0 || recorded)
        return code;
    if (!get_local.store && info.count > 0) {
        char label[600];
        cli_inventory_label(label, sizeof label, co->service, co->base_url, &info, NULL);
        size_t refused = 0;
        /* With --keep-going, what it refuses is left out and listed, as a mnemonic the
         * service answers 404 for would be. */
        if (keep_going && !(get_kept = calloc(n ? n : 1, sizeof *get_kept)))
            return cli_fail(EDB_ERR_NOMEM, "out of memory");
        for (size_t k = 0; k < n; k++) {
            if (info.count == 0 || edb_meta_find(get_inv, names[k])) {
                if (get_kept)
                    get_kept[n_get_kept++] = names[k];
                continue;
            }
            char name[EDB_MNEMONIC_MAX + 1], hint[300];
            edb_mnemonic_normalize(names[k], name, sizeof name, NULL); /* checked before */
            cli_suggest(get_inv, name, hint, sizeof hint);
            if (info.origin == EDB_INVENTORY_FETCHED) {
                if (keep_going)
                    cli_warn("missing %s: no such mnemonic in %s%s", name, label, hint);
                else
                    cli_fail(EDB_ERR_NOT_FOUND, "%s: no such mnemonic in %s%s", name, label,
                             hint);
                refused++;
            } else {
                if (get_kept)
                    get_kept[n_get_kept++] = names[k];
                if (!quiet)
                    cli_warn("warning: %s is not in %s, which could not be asked again (%s): "
                             "asking for it anyway%s", name, label, info.why, hint);
            }
        }
        *refused_out = refused;
        if (refused && (!keep_going || refused == n))
            return EXIT_NOTFOUND;
    }
    if (cli_inventory_record(get_inv, &get_local, names, n, &err) != EDB_OK)
        return cli_fail(err.status, "%s", err.msg);
    return -1;
}

/* The body of `edbx get`; names (the mnemonics of -f and of the arguments) is freed by
 * the caller whatever the outcome. */
static int run_get(int argc, char **argv, cli_names *names, cli_query *rs)
{
    char max_gap_opt[96];
    const char *start_s = NULL, *end_s = NULL, *for_s = NULL, *output = "-", *format = NULL;
    const char *base_url = NULL, *token_file = NULL, *cacert = NULL;
    const char *api = NULL, *edp_mission = NULL;
    int plan_only = 0;
    cli_scale scale;
    memset(&scale, 0, sizeof scale);
    int names_from_stdin = 0;
    const char *timeout_s = NULL, *retries_s = NULL;
    int brackets = 0, verbose = 0, progress = -1, keep_going = 0, quiet = 0;
    const char *wopts[GET_MAX_WOPTS];
    size_t n_wopts = 0;
    char compress_opt[32]; /* --compress N, as -O compress=N */
    int stamp = 0, no_meta = 0;
    const char *recorded_inv = NULL;
    int64_t inv_max_age_us = 0;
    long jobs = 4;
    int64_t chunk_us = EDB_USEC_PER_DAY;
    edb_err err = EDB_ERR_INIT;
    int run_time_given = 0;

    cli_args args;
    if (cli_args_parse(&cli_get_options, "get", argc, argv, &args, &err) != EDB_OK) {
        cli_args_free(&args);
        return cli_fail(err.status, "%s", err.msg);
    }
    /* Values are borrowed from argv, so args can go once read. */
    int code = -1;
#define FAIL(...)                                                                              \
    do {                                                                                       \
        code = cli_fail(__VA_ARGS__);                                                          \
        goto parsed;                                                                           \
    } while (0)
    /* Recorded by role, and the files named checked, before any is read. */
    if (cli_local_note_args(&get_local, &args, &err) != EDB_OK)
        FAIL(err.status, "%s", err.msg);
    for (size_t ai = 0; ai < args.n; ai++) {
        const char *optarg = args.v[ai].value;
        int taken = 0;
        if (cli_query_take(rs, args.v[ai].opt, optarg, &taken, &err) != EDB_OK)
            FAIL(err.status, "%s", err.msg);
        if (taken)
            continue;
        switch (args.v[ai].opt->id) {
        case GOPT_START: start_s = optarg; break;
        case GOPT_END: end_s = optarg; break;
        case GOPT_FOR: for_s = optarg; break;
        case GOPT_OUTPUT: output = optarg; break;
        case GOPT_FORMAT: format = optarg; break;
        /* Older spellings of -O options, and the names the issues used: each adds its -O. */
        case GOPT_COMPRESS:
        case GOPT_ASTROPY_TIME:
        case GOPT_CSV_SAFE:
        case GOPT_HEADER_COMMENTS: {
            long level = 0;
            int id = args.v[ai].opt->id;
            if (id == GOPT_COMPRESS) {
                if (cli_parse_count("--compress level", optarg, 9, &level, &err) != EDB_OK)
                    FAIL(err.status, "%s", err.msg);
                snprintf(compress_opt, sizeof compress_opt, "compress=%ld", level);
            }
            if (n_wopts == GET_MAX_WOPTS)
                FAIL(EDB_ERR_USAGE, "at most %d -O options", GET_MAX_WOPTS);
            wopts[n_wopts++] = id == GOPT_COMPRESS      ? compress_opt
                               : id == GOPT_ASTROPY_TIME ? "astropy-time"
                               : id == GOPT_CSV_SAFE     ? "safe"
                                                         : "header-comments";
            break;
        }
        case GOPT_STAMP: stamp = 1; break;
        case GOPT_NO_META: no_meta = 1; break;
        case GOPT_RECORDED_INVENTORY: recorded_inv = optarg; break;
        case GOPT_INVENTORY_MAX_AGE:
            if (edb_duration_parse(optarg, &inv_max_age_us, &err) != EDB_OK ||
                inv_max_age_us <= 0)
                FAIL(EDB_ERR_USAGE, "--inventory-max-age: %s",
                     err.msg[0] ? err.msg : "give a duration longer than 0 (e.g. 1d, 12h)");
            break;
        case GOPT_META:
            if (!get_meta && edb_meta_new(&get_meta) != EDB_OK)
                FAIL(EDB_ERR_NOMEM, "out of memory");
            if (edb_meta_load_file(get_meta, optarg, &err) != EDB_OK)
                FAIL(err.status, "--meta: %s", err.msg);
            break;
        case GOPT_BRACKETS: brackets = 1; break;
        case GOPT_BASE_URL: base_url = optarg; break;
        case GOPT_TOKEN_FILE: token_file = optarg; break;
        case GOPT_TOKEN:
            FAIL(EDB_ERR_USAGE, "the token is never taken on the command line (it "
                            "would show in ps and in shell history): put it in a file and use "
                            "--token-file FILE, or set MAST_API_TOKEN");
        case GOPT_CACERT: cacert = optarg; break;
        case GOPT_TIMEOUT: timeout_s = optarg; break;
        case GOPT_RETRIES: retries_s = optarg; break;
        case GOPT_JOBS:
            if (cli_parse_count("-j", optarg, CLI_MAX_JOBS, &jobs, &err) != EDB_OK || jobs < 1)
                FAIL(EDB_ERR_USAGE, "invalid -j '%s': from 1 to %d transfers at once",
                                optarg, CLI_MAX_JOBS);
            break;
        case GOPT_CHUNK:
            if (edb_duration_parse(optarg, &chunk_us, &err) != EDB_OK ||
                chunk_us < EDB_USEC_PER_SEC)
                FAIL(EDB_ERR_USAGE, "--chunk: %s",
                                err.msg[0] ? err.msg : "a chunk is at least 1s (e.g. 1d, 6h)");
            break;
        case GOPT_FILE:
            names_from_stdin |= strcmp(optarg, "-") == 0;
            if (cli_names_read_file(names, optarg, &err) != EDB_OK)
                FAIL(err.status, "%s", err.msg);
            break;
        case GOPT_KEEP_GOING: keep_going = 1; break;
        case GOPT_PROGRESS: progress = 1; break;
        case GOPT_VERBOSE: verbose = 1; break;
        case GOPT_QUIET: verbose = 0; progress = 0; quiet = 1; break;
        case GOPT_SOURCE: get_local.source = optarg; break;
        case GOPT_CACHE: get_local.cache_dir = optarg; break;
        case GOPT_NO_CACHE: get_local.no_cache = 1; break;
        case GOPT_REFRESH: get_local.refresh = 1; break;
        case GOPT_BUNDLE: get_local.bundle = optarg; break;
        case GOPT_RUN_TIME_US: {
            char *e;
            get_local.run_time = (edb_time)strtoll(optarg, &e, 10);
            if (*e || !*optarg)
                FAIL(EDB_ERR_USAGE, "--run-time-us: not an integer");
            run_time_given = 1;
            break;
        }
        case GOPT_HELP: help_get(stdout);
            code = EXIT_OK;
            goto parsed;
        case GOPT_API: api = optarg; break;
        case GOPT_EDP_MISSION: edp_mission = optarg; break;
        case GOPT_PLAN_ONLY: plan_only = 1; break;
        case GOPT_SHARD: scale.shard_s = optarg; break;
        case GOPT_SHARDS: scale.shards_s = optarg; break;
        case GOPT_OFFLINE: scale.offline = 1; break;
        case GOPT_SLURM: scale.slurm_s = optarg; break;
        case GOPT_MAX_TRANSFERS: scale.max_transfers_s = optarg; break;
        case GOPT_WOPT:
            if (n_wopts == GET_MAX_WOPTS)
                FAIL(EDB_ERR_USAGE, "at most %d -O options", GET_MAX_WOPTS);
            wopts[n_wopts++] = optarg;
            break;
        default:
            FAIL(EDB_ERR_INTERNAL, "option --%s is in the table but not handled",
                 args.v[ai].opt->name);
        }
    }
    for (size_t k = 0; k < args.npos; k++)
        if (cli_names_add(names, args.pos[k], strlen(args.pos[k])) != EDB_OK)
            FAIL(EDB_ERR_NOMEM, "out of memory");
parsed:
#undef FAIL
    cli_args_free(&args);
    if (code >= 0)
        return code;
    const char *const *mnemonics = (const char *const *)names->v;
    size_t n_mnemonics = names->n;
    /* Derived columns alone are an output too (edbx get --expr 'P = A * B' --every 1min). */
    if (n_mnemonics == 0 && rs->n_exprs == 0)
        return cli_fail(EDB_ERR_USAGE, "name at least one mnemonic, e.g. edbx get SA_ZATTEST1 "
                        "--start 2022-02-02T22:24:58 --end 2022-02-02T22:24:59");
    if (cli_query_range_check(rs, start_s, end_s, for_s, &err) != EDB_OK)
        return cli_fail(err.status, "%s", err.msg);
    /* Every name is checked before anything else happens. */
    for (size_t k = 0; k < n_mnemonics; k++) {
        char name[EDB_MNEMONIC_MAX + 1];
        if (edb_mnemonic_normalize(mnemonics[k], name, sizeof name, &err) != EDB_OK)
            return cli_fail(err.status, "%s", err.msg);
    }
    /* A replay passes the recorded time, so that "now-6h" and FITS DATE come out the same. */
    edb_time now = run_time_given ? get_local.run_time : cli_local_now(&get_local), start = 0,
             end = 0;
    if (cli_query_range(rs, start_s, end_s, for_s, now, &start, &end, &err) != EDB_OK)
        return cli_fail(err.status, "%s", err.msg);
    if (format && !edb_format_known(format)) {
        char known[256];
        size_t o = 0;
        known[0] = '\0';
        for (size_t k = 0; k < edb_format_count() && o < sizeof known; k++)
            o += (size_t)snprintf(known + o, sizeof known - o, "%s%s", k ? ", " : "",
                                  edb_format_name(k));
        return cli_fail(EDB_ERR_USAGE, "unknown --format '%s' (known: %s)", format, known);
    }

    /* Raw samples drawn as a plot: --max-gap says where its lines break (the plot's own
     * -O max-gap), with no grid to apply to. */
    const char *shown_as = format ? format : edb_format_from_path(output);
    if (rs->max_gap && !rs->every && !rs->on && !rs->at && !rs->align && !rs->daily &&
        !rs->hourly && !rs->blocks && !rs->group_by && shown_as &&
        format_takes(shown_as, "max-gap")) {
        if (n_wopts == GET_MAX_WOPTS)
            return cli_fail(EDB_ERR_USAGE, "at most %d -O options", GET_MAX_WOPTS);
        snprintf(max_gap_opt, sizeof max_gap_opt, "max-gap=%s", rs->max_gap);
        wopts[n_wopts++] = max_gap_opt;
        rs->max_gap = NULL;
    }
    rs->quiet = quiet;
    const int resample = cli_query_active(rs);
    const char *const *args_names = mnemonics;
    const size_t n_args = n_mnemonics;
    if (resample) {
        if (cli_query_prepare(rs, mnemonics, n_mnemonics, start, end, now, &err) != EDB_OK)
            return cli_fail(err.status, "%s", err.msg);
        mnemonics = rs->fetch;
        n_mnemonics = rs->n_fetch;
    }

    edb_client_options co = EDB_CLIENT_OPTIONS_INIT;
    if (cli_query_service(&co, base_url, api, edp_mission, &err) != EDB_OK)
        return cli_fail(err.status, "%s", err.msg);
    /* Local data is read once: chunks shape requests to a service, not reads of a store. */
    int64_t fetch_chunk_us = get_local.source ? 0 : chunk_us;
    /* The brackets are always fetched: resampling uses them, and raw output cuts them off
     * unless --brackets asks for them (edb_series_view, no copy). */
    edb_query q = {.mnemonics = mnemonics, .n_mnemonics = n_mnemonics, .start = start,
                   .end = end, .keep_brackets = 1, .chunk_us = fetch_chunk_us,
                   .keep_going = keep_going};
    cli_scale_ctx sx = {plan_only, get_local.source != NULL, get_local.no_cache,
                        get_local.refresh, names_from_stdin,
                        strcmp(output, "-") ? output : NULL, get_local.bundle,
                        get_local.cache_dir, argc, argv, start, end, now,
                        jobs, &co};
    if (cli_scale_check(&scale, &sx, &err) != EDB_OK)
        return cli_fail(err.status, "%s", err.msg);
    q.shard_k = scale.k;
    q.shard_n = scale.n;
    if (plan_only && (scale.shard_s || scale.shards_s))
        return cli_scale_plan(&co, &q, &scale);
    if (plan_only)
        return cli_print_plan(&co, mnemonics, n_mnemonics, start, end,
                              resample ? 1 : brackets, fetch_chunk_us);
    if (cli_query_transfer(&co, timeout_s, retries_s, cacert, jobs, verbose, &err) != EDB_OK)
        return cli_fail(err.status, "%s", err.msg);
    cli_progress prog;
    cli_progress_init(&prog, progress);
    if (prog.on) {
        co.progress = cli_progress_update;
        co.progress_ctx = &prog;
    }
    cli_trap_signals();
    co.cancel = &cli_interrupted;

    char *token = NULL;
    /* A local source needs no token, nor writing a job script. */
    if (cli_query_token(&co, get_local.source != NULL || scale.slurm_s, token_file, &token,
                        &err) != EDB_OK)
        return cli_fail(err.status, "%s", err.msg);

    get_local.need_cache = scale.shard_s || scale.offline;
    if (!scale.slurm_s && cli_local_setup(&get_local, &co, now, output, token, &err) != EDB_OK) {
        cli_free_secret(token);
        return cli_fail(err.status, "%s", err.msg);
    }
    if (scale.offline) {
        /* Every request is looked for before anything is written; none goes out. */
        co.offline = 1;
        code = cli_scale_check_cache(&co, &q, &scale, get_local.cache, now, NULL, 0);
        if (code != EXIT_OK && !(code == EXIT_MISSING && keep_going)) {
            cli_free_secret(token);
            return code;
        }
    }
    if (scale.shard_s) {
        /* Shard 0 also puts the inventory in the cache, for the assembly (--offline) to take
         * units, descriptions and subsystems from, and refuses a name the service does not
         * list; the other shards do not ask for it. */
        size_t n_refused = 0;
        code = scale.k != 0 ? -1
                            : get_lookup(&co, mnemonics, n_mnemonics, no_meta, recorded_inv,
                                         inv_max_age_us, quiet, keep_going, &n_refused);
        if (code < 0)
            code = run_shard(&co, &q, &scale, now, quiet, &prog);
        cli_free_secret(token);
        return code;
    }

    /* What the options and the metadata (--meta, a store's meta.json) can refuse is
     * refused now, before the first request. */
    if ((resample || rs->n_fail) &&
        cli_query_check(rs, resample, args_names, n_args, get_meta, NULL, get_local.store,
                        &err) != EDB_OK) {
        cli_free_secret(token);
        return cli_fail(err.status, "%s", err.msg);
    }

    /* Open the output first: a bad output folder fails before any request is made. */
    /* The command line goes into the file (FITS HISTORY, an HDF5 attribute): made from the
     * record of the options (record.h), so that a replay writes the same bytes; it holds
     * no secret, since the token is refused on the command line.  The run's time goes in
     * only with --stamp (the clock, or in a replay the recorded time) or SOURCE_DATE_EPOCH
     * (the reproducible-builds convention: it is the time), so by default the same query
     * gives the same bytes whenever it runs. */
    edb_run_info run = {cli_local_text(&get_local), now, start, end, stamp};
    const char *sde = getenv("SOURCE_DATE_EPOCH");
    if (sde && *sde) {
        char *endp;
        long long secs = strtoll(sde, &endp, 10);
        if (*endp || secs < 0) {
            cli_free_secret(token);
            return cli_fail(EDB_ERR_USAGE, "SOURCE_DATE_EPOCH='%s' is not a count of seconds",
                            sde);
        }
        run.run_time = (edb_time)secs * EDB_USEC_PER_SEC;
        run.stamp = 1;
    }
    edb_writer_options wo = EDB_WRITER_OPTIONS_INIT;
    wo.format = format;
    wo.run = &run;
    wo.options = wopts;
    wo.n_options = n_wopts;
    edb_writer *w = NULL;
    if (edb_writer_open(&w, output, &wo, &err) != EDB_OK) {
        cli_free_secret(token);
        return cli_fail(err.status, "%s", err.msg);
    }
    /* A plot of more mnemonics than it can show is refused before anything is fetched. */
    size_t n_shown = rs->n_exprs;
    for (size_t k = 0; k < names->n; k++) {
        int seen = 0;
        for (size_t j = 0; j < k && !seen; j++)
            seen = strcasecmp(names->v[j], names->v[k]) == 0;
        n_shown += !seen;
    }
    if (edb_writer_check_columns(w, n_shown, &err) != EDB_OK) {
        cli_free_secret(token);
        edb_writer_free(w);
        return cli_fail(err.status, "%s", err.msg);
    }
    if (scale.slurm_s) {
        /* The output folder and the writer's options are good: the assembly will write. */
        edb_writer_free(w);
        return cli_scale_slurm(&scale, &sx);
    }

    edb_client *client = NULL;
    edb_status st = edb_client_new(&client, &co);
    if (st != EDB_OK) {
        cli_free_secret(token);
        edb_writer_free(w);
        return cli_fail(st, "cannot set up the HTTP client: %s", edb_strerror(st));
    }
    /* A plan that cannot be (too many requests) is refused before any request too. */
    code = -1;
    edb_plan *plan = NULL;
    if ((st = edb_client_plan(client, &q, &plan)) != EDB_OK)
        code = cli_fail(st, "%s", edb_client_errmsg(client));
    edb_plan_free(plan);

    /* What the service knows of the mnemonics, and whether it knows them at all: the
     * first request, once everything that can be refused without one has been; then the
     * checks above again with the types it gave, before any data request.  --offline
     * reads the cache's copy only. */
    size_t n_refused = 0;
    if (code < 0 &&
        (code = get_lookup(&co, mnemonics, n_mnemonics, no_meta, recorded_inv, inv_max_age_us,
                           quiet, keep_going, &n_refused)) < 0 &&
        get_inv && edb_meta_count(get_inv) > 0 && (resample || rs->n_fail) &&
        cli_query_check(rs, resample, args_names, n_args, get_meta, get_inv, get_local.store,
                        &err) != EDB_OK)
        code = cli_fail(err.status, "%s", err.msg);
    cli_free_secret(token);
    if (code >= 0) {
        edb_writer_free(w);
        edb_client_free(client);
        return code;
    }
    if (n_refused) {
        q.mnemonics = mnemonics = get_kept;
        q.n_mnemonics = n_mnemonics = n_get_kept;
    }
    edb_result *res = NULL;
    if (get_local.store) {
        /* A local source decodes its files on every core while the fetch takes them, a
         * few ahead of it (not all at once: a wide table frees each as it is resampled).
         * Saved replies of exactly the range are decoded ahead too, unless a bundle
         * records their bytes. */
        long cpus = sysconf(_SC_NPROCESSORS_ONLN);
        edb_store_set_single_use(get_local.store, 1); /* each series is asked for once */
        edb_store_read_ahead(get_local.store, co.service, mnemonics, n_mnemonics, q.start,
                             q.end, cpus < 1 ? 1 : cpus > 8 ? 8 : (int)cpus,
                             get_local.bundle == NULL && q.chunk_us == 0);
    }
    /* A wide table on a grid known now is made a mnemonic at a time, each one's samples
     * freed as soon as its columns are made. */
    if (resample && cli_query_early(rs, &q, &get_meta, get_inv, get_local.store, &err) != EDB_OK) {
        edb_writer_free(w);
        edb_client_free(client);
        return cli_fail(err.status, "%s", err.msg);
    }
    st = edb_client_fetch(client, &q, &res);
    edb_store_read_ahead_stop(get_local.store);
    cli_progress_done(&prog);
    edb_status fetch_st = st;
    if (st != EDB_OK && !(st == EDB_ERR_PARTIAL && res)) {
        code = cli_fail(st, "%s", edb_client_errmsg(client));
        /* --offline: a reply the check found but that did not read back (damaged since,
         * or removed) is missing from the cache, not unknown to the EDB. */
        if (scale.offline && st == EDB_ERR_NOT_FOUND)
            code = EXIT_MISSING;
        edb_writer_free(w);
        edb_client_free(client);
        return code;
    }
    if (get_note[0])
        cli_warn("%s", get_note);
    size_t n = edb_result_count(res);
    edb_err merr = EDB_ERR_INIT;
    /* Before resampling: the default method of a change-only mnemonic depends on it. */
    if ((st = cli_query_apply_meta(res, &get_meta, get_inv, get_local.store, &merr)) != EDB_OK) {
        code = cli_fail(st, "%s", merr.msg);
        edb_writer_free(w);
        edb_result_free(res);
        edb_client_free(client);
        return code;
    }
    const edb_series **series = calloc(n ? n : 1, sizeof *series);
    if (!series) {
        edb_writer_free(w);
        edb_result_free(res);
        edb_client_free(client);
        return cli_fail(EDB_ERR_NOMEM, "out of memory");
    }
    /* With --keep-going, what failed is left out of the output and listed. */
    size_t rows = 0, nw = 0;
    for (size_t k = 0; k < n; k++) {
        if (edb_result_status(res, k) != EDB_OK) {
            cli_warn("missing %s", edb_result_errmsg(res, k));
            continue;
        }
        series[nw] = edb_result_series(res, k);
        rows += series[nw++]->n;
    }
    /* The brackets are always fetched: resampling needs them, and without them an empty
     * range could not say what value was in force. */
    edb_err rerr = EDB_ERR_INIT;
    size_t fail_cnt[GET_MAX_FAIL] = {0};
    if (resample) {
        st = cli_query_write(rs, w, series, nw, names->n, brackets, &rows, rs->fail_v, rs->n_fail,
                      fail_cnt, &rerr);
    } else {
        /* Raw samples: views of the range (the brackets too with --brackets), no copy. */
        edb_series *views = calloc(nw ? nw : 1, sizeof *views);
        const edb_series **vp = calloc(nw ? nw : 1, sizeof *vp);
        if (!views || !vp) {
            st = edb_err_set(&rerr, EDB_ERR_NOMEM, "out of memory");
        } else {
            rows = 0;
            for (size_t k = 0; k < nw; k++) {
                const edb_series *s = series[k];
                size_t i0 = brackets ? 0 : edb_series_lower_bound(s, start);
                size_t i1 = brackets ? s->n : edb_series_upper_bound(s, end);
                edb_series_view(&views[k], s, i0, i1);
                vp[k] = &views[k];
                rows += views[k].n;
            }
            if (!quiet)
                cli_query_say_empty(series, nw, start, end, brackets);
            st = edb_writer_write_series(w, vp, nw);
            if (st == EDB_OK && rs->n_fail)
                st = cli_query_fail_count(rs->fail_v, rs->n_fail, NULL, vp, nw, fail_cnt, &rerr);
        }
        free(views);
        free(vp);
    }
    if (st == EDB_OK && cli_interrupted)
        st = edb_err_set(&rerr, EDB_ERR_INTERRUPTED, "interrupted: nothing was written");
    if (st == EDB_OK)
        st = cli_local_close_output(&get_local, w, output, &rerr);
    if (st == EDB_OK && get_local.bundle)
        st = cli_local_finish(&get_local, &co, (const char *const *)names->v, names->n, start,
                              end, brackets, chunk_us, output, &rerr);
    /* Both outputs in place, or neither (a signal or a failure puts the old file back). */
    st = cli_local_settle(&get_local, st, output, &rerr);
    code = EXIT_OK;
    /* Alerts are reported whatever else happens to the run, once the output is whole. */
    int alerted = st == EDB_OK && cli_query_fail_report(rs->fail, fail_cnt, rs->n_fail);
    if (st != EDB_OK && edb_writer_pipe_closed(w))
        code = EXIT_PIPE; /* | head has what it wanted: quiet, as cat would be */
    else if (st != EDB_OK)
        code = cli_fail(st, "%s", rerr.msg[0] ? rerr.msg : edb_writer_errmsg(w));
    else if (fetch_st == EDB_ERR_PARTIAL || n_refused)
        code = cli_fail(EDB_ERR_PARTIAL, "wrote %zu of %zu mnemonics; %zu failed (listed above)",
                        nw, n + n_refused, n - nw + n_refused);
    else if (alerted)
        code = EXIT_ALERT; /* below every real failure: the output is complete */
    else if (verbose) {
        edb_client_stats stats;
        edb_client_get_stats(client, &stats);
        fprintf(stderr, "edbx: wrote %zu samples of %zu mnemonic%s to %s (%lu requests, %lu "
                "retries, %llu bytes)\n", rows, n, n == 1 ? "" : "s",
                strcmp(output, "-") ? output : "standard output", stats.requests,
                stats.retries, stats.bytes);
    }
    free(series);
    edb_writer_free(w);
    edb_result_free(res);
    edb_client_free(client);
    return code;
}

int cmd_get(int argc, char **argv)
{
    cli_names names = {0};
    cli_query rs;
    memset(&rs, 0, sizeof rs);
    memset(&get_local, 0, sizeof get_local);
    /* From the start: a signal at any moment ends the run through its clean-up. */
    cli_trap_signals();
    int rc = run_get(argc, argv, &names, &rs);
    cli_local_free(&get_local);
    edb_meta_free(get_meta);
    get_meta = NULL;
    edb_meta_free(get_inv);
    get_inv = NULL;
    free(get_kept);
    get_kept = NULL;
    n_get_kept = 0;
    get_note[0] = '\0';
    cli_query_free(&rs);
    cli_names_free(&names);
    return rc;
}
