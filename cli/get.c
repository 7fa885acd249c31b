/* get.c: `edbx get MNEMONIC... --start T --end T [-o FILE]`. */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include <edb/writer.h>

#include "cli.h"

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
          "\n"
          "Range:\n"
          "  -s, --start TIME     start of the range, inclusive (required)\n"
          "  -e, --end TIME       end of the range, inclusive (default: now)\n"
          "      TIME is 2022-01-25, 2022-01-25T00:00:00[.ffffff][Z], 2022-025T00:00:00,\n"
          "      2022:025:00:00:00, mjd:59612.5, now or now-6h (units us ms s min h d)\n"
          "      --brackets       also keep the sample just before the start and the one\n"
          "                       just after the end, as the EDB sends them\n"
          "\n"
          "Output:\n"
          "  -o, --output FILE    write to FILE (default: standard output, also '-');\n"
          "                       written to a temporary file and renamed when complete,\n"
          "                       so a failed run never leaves a partial FILE\n"
          "      --format NAME    csv (default: from the extension of FILE, else csv)\n"
          "\n"
          "Service:\n"
          "      --base-url URL   the EDB service (default $ENG_BASE_URL, else\n"
          "                       https://mast.stsci.edu)\n"
          "      --token-file F   read the MAST token from the first line of F (default\n"
          "                       $MAST_API_TOKEN, else ~/.netrc machine mast.stsci.edu\n"
          "                       or mast); the token is never taken on the command line,\n"
          "                       never printed, sent only over https (or plain http to a\n"
          "                       loopback address) and never to another host on a redirect\n"
          "      --cacert FILE    CA bundle to verify the service's TLS certificate with\n"
          "      --timeout DUR    time limit of one request: seconds or a duration such as\n"
          "                       90s or 10min (default $ENG_TIMEOUT, else 600)\n"
          "      --retries N      retries of a failing request (default $ENG_RETRIES, else\n"
          "                       10); connection errors, timeouts, HTTP 408, 429 and 500-519\n"
          "                       use them all, other errors but 404 at most 2; waits grow\n"
          "                       exponentially (1 s, 2 s, ... capped at 120 s, with jitter)\n"
          "                       and follow the service's Retry-After\n"
          "\n"
          "Many mnemonics, long ranges:\n"
          "  -f, --file FILE      read mnemonics from FILE, one per line ('#' comments;\n"
          "                       '-' is standard input); duplicates are asked once\n"
          "      --chunk DUR      split the range into requests of DUR, cut at UTC\n"
          "                       midnights (multiples of DUR since 1970; default 1d);\n"
          "                       chunks are stitched back, each sample once\n"
          "  -j, --jobs N         at most N transfers at once (default 4, at most 32),\n"
          "                       over reused connections; the output is the same for any N\n"
          "      --keep-going     if some mnemonics fail, write the others, list what is\n"
          "                       missing and exit 8 (default: write nothing, exit non-zero)\n"
          "      --progress       draw the progress line even when stderr is not a terminal\n"
          "                       (on a terminal it is drawn unless -q)\n"
          "  -v, --verbose        log every request (URL, status, bytes, time) to stderr\n"
          "  -q, --quiet          print nothing but errors (no progress line)\n"
          "  -h, --help           show this help\n"
          "\n"
          "Exit status: 0 ok, 2 usage, 3 unknown mnemonic, 4 authentication, 5 network or\n"
          "server, 6 bad data, 7 local I/O, 8 partly failed (--keep-going), 130 interrupted\n"
          "(see 'edbx --help').\n",
          out);
}

enum {
    OPT_BRACKETS = 256,
    OPT_FORMAT,
    OPT_BASE_URL,
    OPT_TOKEN_FILE,
    OPT_TOKEN,
    OPT_CACERT,
    OPT_TIMEOUT,
    OPT_RETRIES,
    OPT_CHUNK,
    OPT_KEEP_GOING,
    OPT_PROGRESS
};

static const struct option get_options[] = {
    {"start", required_argument, NULL, 's'},
    {"end", required_argument, NULL, 'e'},
    {"output", required_argument, NULL, 'o'},
    {"format", required_argument, NULL, OPT_FORMAT},
    {"brackets", no_argument, NULL, OPT_BRACKETS},
    {"base-url", required_argument, NULL, OPT_BASE_URL},
    {"token-file", required_argument, NULL, OPT_TOKEN_FILE},
    {"token", required_argument, NULL, OPT_TOKEN},
    {"cacert", required_argument, NULL, OPT_CACERT},
    {"timeout", required_argument, NULL, OPT_TIMEOUT},
    {"retries", required_argument, NULL, OPT_RETRIES},
    {"jobs", required_argument, NULL, 'j'},
    {"chunk", required_argument, NULL, OPT_CHUNK},
    {"file", required_argument, NULL, 'f'},
    {"keep-going", no_argument, NULL, OPT_KEEP_GOING},
    {"progress", no_argument, NULL, OPT_PROGRESS},
    {"verbose", no_argument, NULL, 'v'},
    {"quiet", no_argument, NULL, 'q'},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

static void log_stderr(void *ctx, const char *line)
{
    (void)ctx;
    fprintf(stderr, "edbx: %s\n", line);
}

/* The host of a URL, for the ~/.netrc lookup ("" if it has none). */
static void url_host(const char *url, char *out, size_t n)
{
    out[0] = '\0';
    const char *p = strstr(url, "://");
    if (!p)
        return;
    p += 3;
    size_t len = strcspn(p, ":/?#");
    if (len >= n)
        len = n - 1;
    memcpy(out, p, len);
    out[len] = '\0';
}

/* The body of `edbx get`; names (the mnemonics of -f and of the arguments) is freed by
 * the caller whatever the outcome. */
static int run_get(int argc, char **argv, cli_names *names)
{
    const char *start_s = NULL, *end_s = NULL, *output = "-", *format = NULL;
    const char *base_url = NULL, *token_file = NULL, *cacert = NULL;
    const char *timeout_s = NULL, *retries_s = NULL;
    int brackets = 0, verbose = 0, progress = -1, keep_going = 0, c;
    long jobs = 4;
    int64_t chunk_us = EDB_USEC_PER_DAY;
    edb_err err = EDB_ERR_INIT;

    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":s:e:o:j:f:vqh", get_options, NULL)) != -1) {
        switch (c) {
        case 's': start_s = optarg; break;
        case 'e': end_s = optarg; break;
        case 'o': output = optarg; break;
        case OPT_FORMAT: format = optarg; break;
        case OPT_BRACKETS: brackets = 1; break;
        case OPT_BASE_URL: base_url = optarg; break;
        case OPT_TOKEN_FILE: token_file = optarg; break;
        case OPT_TOKEN:
            return cli_fail(EDB_ERR_USAGE, "the token is never taken on the command line (it "
                            "would show in ps and in shell history): put it in a file and use "
                            "--token-file FILE, or set MAST_API_TOKEN");
        case OPT_CACERT: cacert = optarg; break;
        case OPT_TIMEOUT: timeout_s = optarg; break;
        case OPT_RETRIES: retries_s = optarg; break;
        case 'j':
            if (cli_parse_count("-j", optarg, CLI_MAX_JOBS, &jobs, &err) != EDB_OK || jobs < 1)
                return cli_fail(EDB_ERR_USAGE, "invalid -j '%s': from 1 to %d transfers at once",
                                optarg, CLI_MAX_JOBS);
            break;
        case OPT_CHUNK:
            if (edb_duration_parse(optarg, &chunk_us, &err) != EDB_OK ||
                chunk_us < EDB_USEC_PER_SEC)
                return cli_fail(EDB_ERR_USAGE, "--chunk: %s",
                                err.msg[0] ? err.msg : "a chunk is at least 1s (e.g. 1d, 6h)");
            break;
        case 'f':
            if (cli_names_read_file(names, optarg, &err) != EDB_OK)
                return cli_fail(err.status, "%s", err.msg);
            break;
        case OPT_KEEP_GOING: keep_going = 1; break;
        case OPT_PROGRESS: progress = 1; break;
        case 'v': verbose = 1; break;
        case 'q': verbose = 0; progress = 0; break;
        case 'h': help_get(stdout); return EXIT_OK;
        case ':':
            return cli_fail(EDB_ERR_USAGE, "option %s needs a value (see 'edbx get --help')",
                            argv[optind - 1]);
        default:
            return cli_fail(EDB_ERR_USAGE, "unknown option %s (see 'edbx get --help')",
                            argv[optind - 1]);
        }
    }
    for (int k = optind; k < argc; k++)
        if (cli_names_add(names, argv[k], strlen(argv[k])) != EDB_OK)
            return cli_fail(EDB_ERR_NOMEM, "out of memory");
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
    edb_time now = edb_time_now(), start, end;
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
        return cli_fail(EDB_ERR_USAGE, "unknown --format '%s' (known: csv)", format);

    edb_client_options co = EDB_CLIENT_OPTIONS_INIT;
    if (!base_url)
        base_url = getenv("ENG_BASE_URL");
    if (base_url && *base_url)
        co.base_url = base_url;
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
        co.log = log_stderr;
    cli_progress prog;
    cli_progress_init(&prog, progress);
    if (prog.on) {
        co.progress = cli_progress_update;
        co.progress_ctx = &prog;
    }
    cli_trap_signals();
    co.cancel = &cli_interrupted;

    char *token = NULL;
    if (token_file) {
        if (cli_read_token_file(token_file, &token, &err) != EDB_OK)
            return cli_fail(err.status, "%s", err.msg);
    } else if (getenv("MAST_API_TOKEN") && *getenv("MAST_API_TOKEN")) {
        token = strdup(getenv("MAST_API_TOKEN"));
    } else {
        char host[256];
        url_host(co.base_url, host, sizeof host);
        token = cli_netrc_password(host);
        if (!token)
            token = cli_netrc_password("mast.stsci.edu");
        if (!token)
            token = cli_netrc_password("mast");
    }
    co.token = token;
    if (edb_base_url_check(co.base_url, token != NULL, &err) != EDB_OK) {
        cli_free_secret(token);
        return cli_fail(err.status, "%s", err.msg);
    }

    /* Open the output first: a bad output folder fails before any request is made. */
    edb_run_info run = {NULL, now, start, end};
    edb_writer_options wo = EDB_WRITER_OPTIONS_INIT;
    wo.format = format;
    wo.run = &run;
    edb_writer *w = NULL;
    if (edb_writer_open(&w, output, &wo, &err) != EDB_OK) {
        cli_free_secret(token);
        return cli_fail(err.status, "%s", err.msg);
    }

    edb_client *client = NULL;
    edb_status st = edb_client_new(&client, &co);
    cli_free_secret(token);
    if (st != EDB_OK) {
        edb_writer_free(w);
        return cli_fail(st, "cannot set up the HTTP client: %s", edb_strerror(st));
    }
    edb_query q = {.mnemonics = mnemonics, .n_mnemonics = n_mnemonics, .start = start,
                   .end = end, .keep_brackets = brackets, .chunk_us = chunk_us,
                   .keep_going = keep_going};
    edb_result *res = NULL;
    st = edb_client_fetch(client, &q, &res);
    cli_progress_done(&prog);
    edb_status fetch_st = st;
    if (st != EDB_OK && !(st == EDB_ERR_PARTIAL && res)) {
        int code = cli_fail(st, "%s", edb_client_errmsg(client));
        edb_writer_free(w);
        edb_client_free(client);
        return code;
    }
    size_t n = edb_result_count(res);
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
            fprintf(stderr, "edbx: missing %s\n", edb_result_errmsg(res, k));
            continue;
        }
        series[nw] = edb_result_series(res, k);
        rows += series[nw++]->n;
    }
    st = edb_writer_write_series(w, series, nw);
    if (st == EDB_OK)
        st = edb_writer_close(w);
    int code = EXIT_OK;
    if (st != EDB_OK)
        code = cli_fail(st, "%s", edb_writer_errmsg(w));
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
    int rc = run_get(argc, argv, &names);
    cli_names_free(&names);
    return rc;
}
