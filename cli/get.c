/* get.c: `edbx get MNEMONIC... --start T --end T [-o FILE]`. */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

#include <edb/writer.h>

#include "cli.h"
#include "get_options.h"

void help_get(FILE *out)
{
    fputs("Usage: edbx get MNEMONIC... [-f FILE] --start TIME [--end TIME] [-o FILE] [OPTIONS]\n"
          "\n"
          "Fetch the samples of one or more mnemonics over a UTC time range from the EDB\n"
          "(MAST's path A) and write them out.  CSV has one row per sample, grouped by\n"
          "mnemonic in the order given, each in time order:\n"
          "  time,mjd,mnemonic,value\n"
          "  2022-02-02T22:24:58.053,59612.934005243056,SA_ZATTEST2,-0.7914494276\n"
          "time is ISO 8601 UTC with milliseconds; mjd is the same instant as an MJD (UTC).\n"
          "\n",
          out);
    cli_opts_help(&cli_get_options, out);
    fputs("\n"
          "Exit status: 0 ok, 2 usage, 3 unknown mnemonic, 4 authentication, 5 network or\n"
          "server, 6 bad data, 7 local I/O, 8 partly failed (--keep-going), 9 not in the\n"
          "cache (--offline, --shard), 130 interrupted (see 'edbx --help').\n",
          out);
}

/* ---- resampling (docs/resampling.md): options as given, then what they make ---------- */

#define GET_MAX_WHERE 32
#define GET_MAX_WOPTS 64

typedef struct get_rs {
    const char *every, *on, *at, *method, *max_gap, *stats, *clip, *align;
    int weighted, daily, hourly, changes, grid;
    const char *where[GET_MAX_WHERE];
    size_t n_where;
    edb_resample_spec spec;
    edb_stat stat_v[EDB_STAT_N];
    edb_where *where_v[GET_MAX_WHERE];
    edb_time *times;
    char on_name[EDB_MNEMONIC_MAX + 1];
    char (*cols)[EDB_MNEMONIC_MAX + 1]; /* the arguments, normalised: the output columns */
    const char **col_v;
    const char **fetch; /* the arguments, then the names only --where and --on need */
    size_t n_fetch;
} get_rs;

static int rs_active(const get_rs *r)
{
    return r->every || r->on || r->at || r->method || r->max_gap || r->stats || r->clip ||
           r->align || r->weighted || r->daily || r->hourly || r->changes || r->n_where;
}

static void rs_free(get_rs *r)
{
    for (size_t k = 0; k < r->n_where; k++)
        edb_where_free(r->where_v[k]);
    free(r->times);
    free(r->cols);
    free(r->col_v);
    free(r->fetch);
}

/* The times of --at FILE, one per line. */
static edb_status rs_read_times(get_rs *r, edb_time now, edb_err *err)
{
    FILE *f = fopen(r->at, "r");
    if (!f)
        return edb_err_set(err, EDB_ERR_IO, "--at %s: cannot open it: %s", r->at,
                           strerror(errno));
    char *line = NULL;
    size_t cap = 0, n = 0, lineno = 0, tcap = 0;
    ssize_t len;
    edb_status st = EDB_OK;
    while (st == EDB_OK && (len = getline(&line, &cap, f)) >= 0) {
        lineno++;
        while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r' ||
                           line[len - 1] == ' ' || line[len - 1] == '\t'))
            line[--len] = '\0';
        char *p = line;
        while (*p == ' ' || *p == '\t')
            p++;
        if (!*p || *p == '#')
            continue;
        if (n == tcap) {
            tcap = tcap ? tcap * 2 : 256;
            edb_time *nt = realloc(r->times, tcap * sizeof *nt);
            if (!nt) {
                st = edb_err_set(err, EDB_ERR_NOMEM, "out of memory");
                break;
            }
            r->times = nt;
        }
        edb_err terr = EDB_ERR_INIT;
        if (edb_time_parse(p, now, &r->times[n], &terr) != EDB_OK)
            st = edb_err_set(err, EDB_ERR_USAGE, "--at %s, line %zu: %s", r->at, lineno,
                             terr.msg);
        n++;
    }
    if (st == EDB_OK && ferror(f))
        st = edb_err_set(err, EDB_ERR_IO, "--at %s: cannot read it: %s", r->at, strerror(errno));
    free(line);
    fclose(f);
    if (st == EDB_OK && n == 0)
        st = edb_err_set(err, EDB_ERR_USAGE, "--at %s: no times in the file", r->at);
    r->spec.times = r->times;
    r->spec.n_times = n;
    return st;
}

/* Check the options against each other and turn them into a spec, before any request. */
static edb_status rs_prepare(get_rs *r, const char *const *names, size_t n, edb_time start,
                             edb_time end, edb_time now, edb_err *err)
{
    edb_resample_spec init = EDB_RESAMPLE_SPEC_INIT;
    r->spec = init;
    r->spec.start = start;
    r->spec.end = end;
    int grids = !!r->every + !!r->on + !!r->at + !!r->align + r->daily + r->hourly;
    if (grids > 1)
        return edb_err_set(err, EDB_ERR_USAGE, "choose one of --every, --daily, --hourly, "
                           "--on, --at and --align");
    r->grid = grids == 1;
    if (!r->grid && (r->stats || r->method || r->max_gap))
        return edb_err_set(err, EDB_ERR_USAGE, "%s needs a grid: add --every DUR (or --daily, "
                           "--hourly, --on MNEMONIC, --at FILE)",
                           r->stats ? "--stats" : r->method ? "--method" : "--max-gap");
    if (r->align && r->stats)
        return edb_err_set(err, EDB_ERR_USAGE, "--align puts samples side by side; for "
                           "statistics use --every, --daily or --hourly with --stats");
    if (r->every || r->daily || r->hourly) {
        r->spec.grid = EDB_GRID_EVERY;
        if (r->every) {
            edb_err derr = EDB_ERR_INIT;
            if (edb_duration_parse(r->every, &r->spec.every_us, &derr) != EDB_OK ||
                r->spec.every_us <= 0)
                return edb_err_set(err, EDB_ERR_USAGE, "--every: %s",
                                   derr.msg[0] ? derr.msg : "the step must be longer than 0");
        } else {
            r->spec.every_us = r->daily ? EDB_USEC_PER_DAY : 3600 * EDB_USEC_PER_SEC;
            r->spec.align_us = r->spec.every_us;
            if (!r->stats)
                r->stats = "mean,min,max,median,std,count";
        }
    } else if (r->on || (r->align && strcmp(r->align, "union") != 0)) {
        const char *m = r->on ? r->on : r->align;
        edb_err nerr = EDB_ERR_INIT;
        if (edb_mnemonic_normalize(m, r->on_name, sizeof r->on_name, &nerr) != EDB_OK)
            return edb_err_set(err, EDB_ERR_USAGE, "%s: %s", r->on ? "--on" : "--align", nerr.msg);
        r->spec.grid = EDB_GRID_ON;
        r->spec.on = r->on_name;
        r->spec.align = r->align != NULL;
    } else if (r->align) {
        r->spec.grid = EDB_GRID_UNION;
        r->spec.align = 1;
    } else if (r->at) {
        r->spec.grid = EDB_GRID_TIMES;
        edb_status st = rs_read_times(r, now, err);
        if (st != EDB_OK)
            return st;
    }
    if (r->method && edb_method_parse(r->method, &r->spec.method, err) != EDB_OK)
        return EDB_ERR_USAGE;
    if (r->max_gap) {
        edb_err derr = EDB_ERR_INIT;
        if (edb_duration_parse(r->max_gap, &r->spec.max_gap_us, &derr) != EDB_OK ||
            r->spec.max_gap_us <= 0)
            return edb_err_set(err, EDB_ERR_USAGE, "--max-gap: %s",
                               derr.msg[0] ? derr.msg : "the gap must be longer than 0");
    }
    if (r->stats) {
        if (r->method)
            return edb_err_set(err, EDB_ERR_USAGE, "--method gives a value per grid time, "
                               "--stats one per bin: use one of them");
        if (edb_stats_parse(r->stats, r->stat_v, &r->spec.n_stats, err) != EDB_OK)
            return EDB_ERR_USAGE;
        r->spec.stats = r->stat_v;
    }
    if (r->clip) {
        double sigma;
        if (edb_parse_double(r->clip, strlen(r->clip), &sigma) != 0 || !(sigma > 0) ||
            sigma > 1e6)
            return edb_err_set(err, EDB_ERR_USAGE, "--clip '%s': give a positive number of "
                               "standard deviations, e.g. --clip 3", r->clip);
        r->spec.clip_sigma = sigma;
    }
    if ((r->clip || r->weighted) && !r->spec.n_stats)
        return edb_err_set(err, EDB_ERR_USAGE, "%s applies to statistics: add --stats (e.g. "
                           "--stats mean,std)", r->clip ? "--clip" : "--weighted");
    if (r->clip && r->weighted)
        return edb_err_set(err, EDB_ERR_USAGE, "--clip and --weighted do not combine");
    r->spec.weighted = r->weighted;
    r->spec.changes = r->changes;
    for (size_t k = 0; k < r->n_where; k++) {
        edb_err werr = EDB_ERR_INIT;
        if (edb_where_parse(&r->where_v[k], r->where[k], &werr) != EDB_OK) {
            for (size_t q = 0; q < k; q++)
                edb_where_free(r->where_v[q]);
            r->n_where = 0;
            return edb_err_set(err, werr.status, "--where %s", werr.msg);
        }
    }
    r->spec.where = (const edb_where *const *)r->where_v;
    r->spec.n_where = r->n_where;
    r->cols = calloc(n ? n : 1, sizeof *r->cols);
    r->col_v = calloc(n ? n : 1, sizeof *r->col_v);
    r->fetch = calloc(n + r->n_where + 1, sizeof *r->fetch);
    if (!r->cols || !r->col_v || !r->fetch)
        return edb_err_set(err, EDB_ERR_NOMEM, "out of memory");
    for (size_t k = 0; k < n; k++) {
        if (edb_mnemonic_normalize(names[k], r->cols[k], sizeof r->cols[k], err) != EDB_OK)
            return err->status;
        r->fetch[r->n_fetch++] = names[k];
    }
    /* Mnemonics named only in conditions or as the grid are fetched too (the client asks
     * for each distinct name once). */
    for (size_t k = 0; k < r->n_where; k++)
        r->fetch[r->n_fetch++] = edb_where_mnemonic(r->where_v[k]);
    if (r->spec.on)
        r->fetch[r->n_fetch++] = r->spec.on;
    return EDB_OK;
}

static const edb_series *rs_find(const edb_series **series, size_t n, const char *name)
{
    for (size_t k = 0; k < n; k++)
        if (strcmp(series[k]->mnemonic, name) == 0)
            return series[k];
    return NULL;
}

/* Run the transform on what was fetched and write it. */
static edb_status rs_write(get_rs *r, edb_writer *w, const edb_series **series, size_t n,
                           size_t n_args, int brackets, int quiet, size_t *rows, edb_err *err)
{
    /* Output columns: the arguments in their order, once each, as far as they were fetched
     * (--keep-going leaves failed ones out). */
    size_t nc = 0;
    for (size_t k = 0; k < n_args; k++) {
        int dup = 0;
        for (size_t q = 0; q < nc; q++)
            dup |= strcmp(r->col_v[q], r->cols[k]) == 0;
        if (!dup && rs_find(series, n, r->cols[k]))
            r->col_v[nc++] = r->cols[k];
    }
    r->spec.columns = r->col_v;
    r->spec.n_columns = nc;
    r->spec.keep_brackets = brackets;
    edb_resample_info info = {0, 0};
    edb_status st;
    if (r->grid) {
        edb_table *t = NULL;
        st = edb_resample(series, n, &r->spec, &t, &info, err);
        if (st == EDB_OK) {
            *rows = t->nrows;
            st = edb_writer_write_table(w, t);
            if (st != EDB_OK)
                edb_err_set(err, st, "%s", edb_writer_errmsg(w));
        }
        edb_table_free(t);
    } else {
        edb_series **out = NULL;
        size_t nout = 0;
        st = edb_filter(series, n, &r->spec, &out, &nout, &info, err);
        if (st == EDB_OK) {
            *rows = 0;
            for (size_t k = 0; k < nout; k++)
                *rows += out[k]->n;
            st = edb_writer_write_series(w, (const edb_series *const *)out, nout);
            if (st != EDB_OK)
                edb_err_set(err, st, "%s", edb_writer_errmsg(w));
        }
        edb_series_list_free(out, nout);
    }
    if (st == EDB_OK && r->n_where && info.where_kept == 0 && !quiet) {
        fprintf(stderr, "edbx: warning: no %s in the range satisfies", r->grid && !r->spec.n_stats
                ? "grid time" : "sample");
        for (size_t k = 0; k < r->n_where; k++)
            fprintf(stderr, "%s '%s'", k ? " and" : "", r->where[k]);
        fputs(": the output is empty\n", stderr);
    }
    return st;
}

/* The body of `edbx get`; names (the mnemonics of -f and of the arguments) is freed by
 * the caller whatever the outcome. */
/* "edbx get ARG..." with arguments quoted for a POSIX shell where they need it. */
static void cli_command_line(int argc, char **argv, char *buf, size_t n)
{
    size_t o = (size_t)snprintf(buf, n, "edbx");
    for (int k = 0; k < argc && o < n; k++) {
        const char *a = argv[k];
        int plain = *a != '\0';
        for (const char *p = a; *p; p++)
            if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-+=.,:/@%",
                        *p))
                plain = 0;
        if (plain) {
            o += (size_t)snprintf(buf + o, n - o, " %s", a);
            continue;
        }
        o += (size_t)snprintf(buf + o, n - o, " '");
        for (const char *p = a; *p && o < n; p++)
            o += (size_t)snprintf(buf + o, n - o, *p == '\'' ? "'\\''" : "%c", *p);
        if (o < n)
            o += (size_t)snprintf(buf + o, n - o, "'");
    }
}

/* --source, the cache and --bundle: reset and freed by cmd_get around each run. */
static cli_local get_local;
/* --meta files, loaded as the options are read so that a bad file fails before any
 * request; freed by cmd_get. */
static edb_meta *get_meta;

/* Give every fetched series what the metadata knows of it.  The --meta files come
 * first; a store's meta.json only fills what they leave unknown, because a file named on
 * the command line is the user's word. */
static edb_status apply_meta(edb_result *res, edb_err *err)
{
    size_t n = edb_result_count(res);
    if (!get_meta && !get_local.store)
        return EDB_OK;
    if (!get_meta && edb_meta_new(&get_meta) != EDB_OK)
        return edb_err_set(err, EDB_ERR_NOMEM, "out of memory");
    for (size_t k = 0; k < n; k++) {
        edb_series *s = edb_result_series_mut(res, k);
        edb_meta_entry e;
        if (!s || edb_result_status(res, k) != EDB_OK)
            continue;
        if (get_local.store && edb_store_meta(get_local.store, s->mnemonic, &e) &&
            edb_meta_add(get_meta, &e, err) != EDB_OK)
            return err->status;
        if (edb_meta_apply(get_meta, s) != EDB_OK)
            return edb_err_set(err, EDB_ERR_NOMEM, "out of memory");
    }
    return EDB_OK;
}

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

static int run_get(int argc, char **argv, cli_names *names, get_rs *rs)
{
    const char *start_s = NULL, *end_s = NULL, *output = "-", *format = NULL;
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
    int astropy_time = 0;
    long compress = -1;
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
    for (size_t ai = 0; ai < args.n; ai++) {
        const char *optarg = args.v[ai].value;
        switch (args.v[ai].opt->id) {
        case GOPT_START: start_s = optarg; break;
        case GOPT_END: end_s = optarg; break;
        case GOPT_OUTPUT: output = optarg; break;
        case GOPT_FORMAT: format = optarg; break;
        case GOPT_COMPRESS:
            if (cli_parse_count("--compress level", optarg, 9, &compress, &err) != EDB_OK)
                FAIL(err.status, "%s", err.msg);
            break;
        case GOPT_ASTROPY_TIME: astropy_time = 1; break;
        case GOPT_META:
            if (!get_meta && edb_meta_new(&get_meta) != EDB_OK)
                FAIL(EDB_ERR_NOMEM, "out of memory");
            if (edb_meta_load_file(get_meta, optarg, &err) != EDB_OK)
                FAIL(err.status, "--meta: %s", err.msg);
            if (cli_local_note_meta(&get_local, optarg) != EDB_OK)
                FAIL(EDB_ERR_NOMEM, "out of memory");
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
        case GOPT_EVERY: rs->every = optarg; break;
        case GOPT_ON: rs->on = optarg; break;
        case GOPT_AT: rs->at = optarg; break;
        case GOPT_METHOD: rs->method = optarg; break;
        case GOPT_MAX_GAP: rs->max_gap = optarg; break;
        case GOPT_STATS: rs->stats = optarg; break;
        case GOPT_CLIP: rs->clip = optarg; break;
        case GOPT_WEIGHTED: rs->weighted = 1; break;
        case GOPT_DAILY: rs->daily = 1; break;
        case GOPT_HOURLY: rs->hourly = 1; break;
        case GOPT_ALIGN: rs->align = optarg; break;
        case GOPT_CHANGES: rs->changes = 1; break;
        case GOPT_WHERE:
            if (rs->n_where == GET_MAX_WHERE)
                FAIL(EDB_ERR_USAGE, "at most %d --where conditions", GET_MAX_WHERE);
            rs->where[rs->n_where++] = optarg;
            break;
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
    if (n_mnemonics == 0)
        return cli_fail(EDB_ERR_USAGE, "name at least one mnemonic, e.g. edbx get SA_ZATTEST1 "
                        "--start 2022-02-02T22:24:58 --end 2022-02-02T22:24:59");
    if (!start_s)
        return cli_fail(EDB_ERR_USAGE, "--start is required (e.g. --start 2022-02-02T22:24:58 "
                        "or --start now-6h)");
    /* Every name is checked before anything else happens. */
    for (size_t k = 0; k < n_mnemonics; k++) {
        char name[EDB_MNEMONIC_MAX + 1];
        if (edb_mnemonic_normalize(mnemonics[k], name, sizeof name, &err) != EDB_OK)
            return cli_fail(err.status, "%s", err.msg);
    }
    /* A replay passes the recorded time, so that "now-6h" and FITS DATE come out the same. */
    edb_time now = run_time_given ? get_local.run_time : edb_time_now(), start, end;
    if (edb_time_parse(start_s, now, &start, &err) != EDB_OK)
        return cli_fail(err.status, "--start: %s", err.msg);
    if (edb_time_parse(end_s ? end_s : "now", now, &end, &err) != EDB_OK)
        return cli_fail(err.status, "--end: %s", err.msg);
    if (end < start) {
        char a[EDB_TIME_STRLEN], b[EDB_TIME_STRLEN];
        edb_time_format_iso(start, a, sizeof a);
        edb_time_format_iso(end, b, sizeof b);
        return cli_fail(EDB_ERR_USAGE, "the end (%s) is before the start (%s)", b, a);
    }
    if (format && !edb_format_known(format))
        return cli_fail(EDB_ERR_USAGE, "unknown --format '%s' (known: csv, csv.gz, ecsv, "
                        "fits, hdf5)", format);

    const int resample = rs_active(rs);
    if (resample) {
        if (rs_prepare(rs, mnemonics, n_mnemonics, start, end, now, &err) != EDB_OK)
            return cli_fail(err.status, "%s", err.msg);
        mnemonics = rs->fetch;
        n_mnemonics = rs->n_fetch;
    }

    edb_client_options co = EDB_CLIENT_OPTIONS_INIT;
    if (!base_url)
        base_url = getenv("ENG_BASE_URL");
    if (base_url && *base_url)
        co.base_url = base_url;
    if (cli_service_options(&co, api, edp_mission, &err) != EDB_OK)
        return cli_fail(err.status, "%s", err.msg);
    /* Local data is read once: chunks shape requests to a service, not reads of a store. */
    int64_t fetch_chunk_us = get_local.source ? 0 : chunk_us;
    edb_query q = {.mnemonics = mnemonics, .n_mnemonics = n_mnemonics, .start = start,
                   .end = end, .keep_brackets = resample ? 1 : brackets, .chunk_us = fetch_chunk_us,
                   .keep_going = keep_going};
    cli_scale_ctx sx = {plan_only, get_local.source != NULL, get_local.no_cache,
                        get_local.refresh, names_from_stdin,
                        strcmp(output, "-") ? output : NULL, get_local.bundle,
                        get_local.cache_dir, get_local.argc, get_local.argv, start, end, now,
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
    if (!timeout_s)
        timeout_s = getenv("ENG_TIMEOUT");
    if (timeout_s && *timeout_s && cli_parse_timeout(timeout_s, &co.timeout_us, &err) != EDB_OK)
        return cli_fail(EDB_ERR_USAGE, "timeout: %s", err.msg);
    if (!retries_s)
        retries_s = getenv("ENG_RETRIES");
    if (retries_s && *retries_s) {
        long r;
        if (cli_parse_count("number of retries", retries_s, 100, &r, &err) != EDB_OK)
            return cli_fail(err.status, "%s", err.msg);
        co.retries = (int)r;
    }
    co.cacert = cacert;
    co.parallel = (int)jobs;
    if (verbose)
        co.log = cli_log_line;
    cli_progress prog;
    cli_progress_init(&prog, progress);
    if (prog.on) {
        co.progress = cli_progress_update;
        co.progress_ctx = &prog;
    }
    cli_trap_signals();
    co.cancel = &cli_interrupted;

    char *token = NULL;
    if (get_local.source || scale.slurm_s) {
        /* A local source needs no token, nor writing a job script: none is read, so none
         * can leak. */
    } else if (token_file) {
        if (cli_read_token_file(token_file, &token, &err) != EDB_OK)
            return cli_fail(err.status, "%s", err.msg);
    } else if (getenv("MAST_API_TOKEN") && *getenv("MAST_API_TOKEN")) {
        if (cli_token_check(getenv("MAST_API_TOKEN"), "MAST_API_TOKEN", &err) != EDB_OK)
            return cli_fail(err.status, "%s", err.msg);
        token = strdup(getenv("MAST_API_TOKEN"));
    } else if (cli_netrc_token(co.base_url, &token, &err) != EDB_OK) {
        return cli_fail(err.status, "%s", err.msg);
    }
    cli_secret_add(token); /* from here on, no message shows it */
    co.token = token;
    if (edb_base_url_check(co.base_url, token != NULL && edb_service_takes_token(co.service),
                           &err) != EDB_OK) {
        cli_free_secret(token);
        return cli_fail(err.status, "%s", err.msg);
    }

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
        code = run_shard(&co, &q, &scale, now, quiet, &prog);
        cli_free_secret(token);
        return code;
    }

    /* Open the output first: a bad output folder fails before any request is made. */
    /* The command line goes into the file (FITS HISTORY, an HDF5 attribute): it holds
     * no secret, since the token is refused on the command line.  SOURCE_DATE_EPOCH (the
     * reproducible-builds convention) fixes the run time, so reruns are byte-identical. */
    char cmdline[2048];
    /* As typed (not as getopt permuted it), and in a replay as recorded: the same bytes. */
    cli_command_line(get_local.argc, get_local.argv, cmdline, sizeof cmdline);
    edb_run_info run = {cmdline, now, start, end};
    const char *sde = getenv("SOURCE_DATE_EPOCH");
    if (sde && *sde) {
        char *endp;
        long long secs = strtoll(sde, &endp, 10);
        if (*endp || secs < 0)
            return cli_fail(EDB_ERR_USAGE, "SOURCE_DATE_EPOCH='%s' is not a count of seconds",
                            sde);
        run.run_time = (edb_time)secs * EDB_USEC_PER_SEC;
    }
    edb_writer_options wo = EDB_WRITER_OPTIONS_INIT;
    wo.format = format;
    wo.run = &run;
    wo.compress = (int)compress;
    wo.astropy_time = astropy_time;
    wo.options = wopts;
    wo.n_options = n_wopts;
    edb_writer *w = NULL;
    if (edb_writer_open(&w, output, &wo, &err) != EDB_OK) {
        cli_free_secret(token);
        return cli_fail(err.status, "%s", err.msg);
    }
    if (scale.slurm_s) {
        /* The output folder and the writer's options are good: the assembly will write. */
        edb_writer_free(w);
        return cli_scale_slurm(&scale, &sx);
    }

    edb_client *client = NULL;
    edb_status st = edb_client_new(&client, &co);
    cli_free_secret(token);
    if (st != EDB_OK) {
        edb_writer_free(w);
        return cli_fail(st, "cannot set up the HTTP client: %s", edb_strerror(st));
    }
    edb_result *res = NULL;
    if (get_local.store) {
        /* A local source decodes its files on every core before the fetch asks for them. */
        long cpus = sysconf(_SC_NPROCESSORS_ONLN);
        edb_store_prefetch(get_local.store, co.service, mnemonics, n_mnemonics,
                           cpus < 1 ? 1 : cpus > 8 ? 8 : (int)cpus);
    }
    st = edb_client_fetch(client, &q, &res);
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
    size_t n = edb_result_count(res);
    edb_err merr = EDB_ERR_INIT;
    /* Before resampling: the default method of a change-only mnemonic depends on it. */
    if ((st = apply_meta(res, &merr)) != EDB_OK) {
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
    edb_err rerr = EDB_ERR_INIT;
    if (resample)
        st = rs_write(rs, w, series, nw, names->n, brackets, quiet, &rows, &rerr);
    else
        st = edb_writer_write_series(w, series, nw);
    if (st == EDB_OK)
        st = edb_writer_close(w);
    if (st == EDB_OK && get_local.bundle)
        st = cli_local_finish(&get_local, &co, (const char *const *)names->v, names->n, start,
                              end, brackets, chunk_us, output, &rerr);
    code = EXIT_OK;
    if (st != EDB_OK)
        code = cli_fail(st, "%s", rerr.msg[0] ? rerr.msg : edb_writer_errmsg(w));
    else if (fetch_st == EDB_ERR_PARTIAL)
        code = cli_fail(fetch_st, "wrote %zu of %zu mnemonics; %zu failed (listed above)", nw, n,
                        n - nw);
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
    get_rs rs;
    memset(&rs, 0, sizeof rs);
    memset(&get_local, 0, sizeof get_local);
    if (cli_recorded_argv)
        cli_local_note_argv(&get_local, cli_recorded_argc, cli_recorded_argv);
    else
        cli_local_note_argv(&get_local, argc, argv);
    int rc = run_get(argc, argv, &names, &rs);
    cli_local_free(&get_local);
    edb_meta_free(get_meta);
    get_meta = NULL;
    rs_free(&rs);
    cli_names_free(&names);
    return rc;
}
