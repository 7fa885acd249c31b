/* serve.c: `edbx serve STORE`: the EDB's path A from a local store, over HTTP. */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

void help_serve(FILE *out)
{
    fputs("Usage: edbx serve STORE [--port N] [--bind ADDR] [OPTIONS]\n"
          "\n"
          "Answer path A requests of the EDB (GET /api/v0.1/Download/file?uri=mast:jwstedb/\n"
          "MNEMONIC-START-END.csv) from a local store, byte for byte as the service would,\n"
          "bracket samples included; GET /api/ answers 200.  STORE is a folder in the jwst\n"
          "layout: meta.json and one {mnemonic}_data.json per mnemonic (what jwst's\n"
          "EngdbMast.cache_as_local writes).  Point edbx or jwst at it with\n"
          "  ENG_BASE_URL=http://127.0.0.1:PORT/\n"
          "Runs until interrupted (Ctrl-C or SIGTERM).\n"
          "\n"
          "Options:\n"
          "      --port N           port to listen on; 0 (the default) picks a free one;\n"
          "                         the address is printed on standard output\n"
          "      --bind ADDR        address to bind (default 127.0.0.1)\n"
          "      --token T          demand 'Authorization: token T' (401 otherwise)\n"
          "      --token-file F     the same, with the token read from F\n"
          "  -v, --verbose          log every request to stderr (never the token)\n"
          "  -h, --help             show this help\n"
          "\n"
          "Faults, for testing clients (applied to the first --fault-count data requests,\n"
          "default all of them once any fault is set):\n"
          "      --fault-count N    how many data requests get the faults\n"
          "      --fault-status S   answer HTTP S (e.g. 503) instead of data\n"
          "      --retry-after SECS with --fault-status, send Retry-After: SECS\n"
          "      --delay DUR        wait DUR (e.g. 250ms, 3s) before answering\n"
          "      --truncate-after B announce the whole body, send B bytes, then close\n"
          "      --drop             close the connection without answering\n"
          "      --chop-eol         send the reply without its last line end\n"
          "      --fail-rate P      also fail each data request with probability P (0-1),\n"
          "                         with --fault-status (default 503) and --retry-after\n"
          "      --seed N           which requests fail at random (default 0): the same\n"
          "                         seed fails the same request numbers\n"
          "\n"
          "On exit (Ctrl-C) it prints how many data requests and connections it served and\n"
          "the most connections open at once.\n",
          out);
}

enum {
    OPT_PORT = 256,
    OPT_BIND,
    OPT_TOKEN,
    OPT_TOKEN_FILE,
    OPT_FAULT_COUNT,
    OPT_FAULT_STATUS,
    OPT_RETRY_AFTER,
    OPT_DELAY,
    OPT_TRUNCATE,
    OPT_DROP,
    OPT_CHOP_EOL,
    OPT_FAIL_RATE,
    OPT_SEED
};

static const struct option serve_options[] = {
    {"port", required_argument, NULL, OPT_PORT},
    {"bind", required_argument, NULL, OPT_BIND},
    {"token", required_argument, NULL, OPT_TOKEN},
    {"token-file", required_argument, NULL, OPT_TOKEN_FILE},
    {"fault-count", required_argument, NULL, OPT_FAULT_COUNT},
    {"fault-status", required_argument, NULL, OPT_FAULT_STATUS},
    {"retry-after", required_argument, NULL, OPT_RETRY_AFTER},
    {"delay", required_argument, NULL, OPT_DELAY},
    {"truncate-after", required_argument, NULL, OPT_TRUNCATE},
    {"drop", no_argument, NULL, OPT_DROP},
    {"chop-eol", no_argument, NULL, OPT_CHOP_EOL},
    {"fail-rate", required_argument, NULL, OPT_FAIL_RATE},
    {"seed", required_argument, NULL, OPT_SEED},
    {"verbose", no_argument, NULL, 'v'},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

static void log_stderr(void *ctx, const char *line)
{
    (void)ctx;
    fprintf(stderr, "edbx serve: %s\n", line);
}

int cmd_serve(int argc, char **argv)
{
    edb_server_options so = EDB_SERVER_OPTIONS_INIT;
    edb_err err = EDB_ERR_INIT;
    char *token = NULL;
    const char *token_file = NULL;
    int c, any_fault = 0, count_given = 0;
    long v;

    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":vh", serve_options, NULL)) != -1) {
        switch (c) {
        case OPT_PORT:
            if (cli_parse_count("port", optarg, 65535, &v, &err) != EDB_OK)
                return cli_fail(err.status, "%s", err.msg);
            so.port = (unsigned)v;
            break;
        case OPT_BIND: so.bind = optarg; break;
        case OPT_TOKEN:
            cli_free_secret(token);
            token = strdup(optarg);
            break;
        case OPT_TOKEN_FILE: token_file = optarg; break;
        case OPT_FAULT_COUNT:
            if (cli_parse_count("--fault-count", optarg, 1000000000L, &v, &err) != EDB_OK)
                return cli_fail(err.status, "%s", err.msg);
            so.fault_count = (int)v;
            count_given = 1;
            break;
        case OPT_FAULT_STATUS:
            if (cli_parse_count("--fault-status", optarg, 599, &v, &err) != EDB_OK || v < 100)
                return cli_fail(EDB_ERR_USAGE, "invalid --fault-status '%s': an HTTP status "
                                "from 100 to 599", optarg);
            so.fault_status = (int)v;
            any_fault = 1;
            break;
        case OPT_RETRY_AFTER:
            if (cli_parse_count("--retry-after", optarg, 86400, &v, &err) != EDB_OK)
                return cli_fail(err.status, "%s", err.msg);
            so.retry_after = (int)v;
            break;
        case OPT_DELAY:
            if (edb_duration_parse(optarg, &so.delay_us, &err) != EDB_OK)
                return cli_fail(EDB_ERR_USAGE, "--delay: %s", err.msg);
            any_fault = 1;
            break;
        case OPT_TRUNCATE:
            if (cli_parse_count("--truncate-after", optarg, 1000000000L, &v, &err) != EDB_OK)
                return cli_fail(err.status, "%s", err.msg);
            so.truncate_after = v;
            any_fault = 1;
            break;
        case OPT_DROP:
            so.drop = 1;
            any_fault = 1;
            break;
        case OPT_CHOP_EOL:
            so.chop_eol = 1;
            any_fault = 1;
            break;
        case OPT_FAIL_RATE: {
            char *end;
            so.fail_rate = strtod(optarg, &end);
            if (end == optarg || *end || !(so.fail_rate >= 0 && so.fail_rate <= 1))
                return cli_fail(EDB_ERR_USAGE, "invalid --fail-rate '%s': a probability from 0 "
                                "to 1, e.g. 0.1", optarg);
            break;
        }
        case OPT_SEED:
            if (cli_parse_count("--seed", optarg, 4294967295L, &v, &err) != EDB_OK)
                return cli_fail(err.status, "%s", err.msg);
            so.fail_seed = (unsigned)v;
            break;
        case 'v':
            so.log = log_stderr;
            break;
        case 'h':
            help_serve(stdout);
            return EXIT_OK;
        case ':':
            return cli_fail(EDB_ERR_USAGE, "option %s needs a value (see 'edbx serve --help')",
                            argv[optind - 1]);
        default:
            return cli_fail(EDB_ERR_USAGE, "unknown option %s (see 'edbx serve --help')",
                            argv[optind - 1]);
        }
    }
    if (optind != argc - 1)
        return cli_fail(EDB_ERR_USAGE, "name one store folder, e.g. edbx serve "
                        "fixtures/jwst-2021-01-26 --port 0");
    if (any_fault && !count_given)
        so.fault_count = -1;
    if (token_file) {
        cli_free_secret(token);
        if (cli_read_token_file(token_file, &token, &err) != EDB_OK)
            return cli_fail(err.status, "%s", err.msg);
    }
    so.store = argv[optind];
    so.token = token;

    cli_trap_signals();
    edb_server *srv = NULL;
    edb_status st = edb_server_start(&srv, &so, &err);
    cli_free_secret(token);
    if (st != EDB_OK)
        return cli_fail(st, "%s", err.msg);
    const char *bind = so.bind ? so.bind : "127.0.0.1";
    int v6 = strchr(bind, ':') != NULL;
    printf("edbx serve: serving %s on http://%s%s%s:%u/\n", so.store, v6 ? "[" : "", bind,
           v6 ? "]" : "", edb_server_port(srv));
    fflush(stdout);
    while (!cli_interrupted) {
        struct timespec ts = {0, 100000000};
        nanosleep(&ts, NULL);
    }
    fprintf(stderr, "edbx serve: stopped after %lu data requests, %lu connections (at most %u "
            "open at once)\n", edb_server_requests(srv), edb_server_connections(srv),
            edb_server_max_open_connections(srv));
    edb_server_stop(srv);
    return EXIT_OK;
}
