/* serve.c: `edbx serve STORE`: every EDB service from a local store, over HTTP. */
#include <getopt.h>
#include <sys/resource.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

void help_serve(FILE *out)
{
    fprintf(out,
          "Usage: edbx serve STORE [--port N] [--bind ADDR] [OPTIONS]\n"
          "\n"
          "Answer every EDB service from a local store, byte for byte as the services\n"
          "would, bracket samples included, all at once on one port:\n"
          "  path A  GET /api/v0.1/Download/file?uri=mast:jwstedb/MNEMONIC-START-END.csv\n"
          "          (CSV; GET /api/ answers 200: the jwst client's probe)\n"
          "  path B  GET /%sData/MNEMONIC\n"
          "          ?sTime=ISO&eTime=ISO\n"
          "          and .../MetaData/TlmMnemonics/SUBSTRING (JSON; jwst's EngdbDirect)\n"
          "  EDP     GET /edp/api/v0.1/mnemonics/spa/MISSION/data?mnemonic=&s_time=&e_time=\n"
          "          and .../metadata?mnemonic=PARTIAL (romancal's client; any MISSION)\n"
          "  portal  POST /api/v0/invoke: Mast.JwstEdb.Mnemonics and\n"
          "          Mast.JwstEdb.Dictionary, paged (astroquery);\n"
          "          POST /portal/Mashup/Mashup.asmx/columnsconfig\n"
          "STORE is a folder or an archive (.tar, .tar.gz, .tgz, .tar.xz, .zip, read in\n"
          "memory) in the jwst layout (meta.json and one {mnemonic}_data.json per mnemonic,\n"
          "what jwst's EngdbMast.cache_as_local writes) or holding saved path A replies\n"
          "(a bundle's raw/).  The base URL of each service is printed at startup; point\n"
          "edbx or jwst at path A with ENG_BASE_URL=http://127.0.0.1:PORT/.\n"
          "Runs until interrupted (Ctrl-C or SIGTERM).\n"
          "\n"
          "Options:\n"
          "      --port N           port to listen on; 0 (the default) picks a free one;\n"
          "                         the address is printed on standard output\n"
          "      --bind ADDR        address to bind (default 127.0.0.1)\n"
          "      --token T          demand the token on every data and metadata route:\n"
          "                         'Authorization: token T' (or, for the portal, the\n"
          "                         cookie mast_token=T); 401 otherwise\n"
          "      --token-file F     the same, with the token read from F\n"
          "      --inventory FILE   a MAST inventory CSV (tlmMnemonic, tlmIdentifier, unit,\n"
          "                         description, ...) for the portal, on top of meta.json\n"
          "      --portal-executing N  answer each portal request with status EXECUTING N\n"
          "                         times before its result (clients must poll)\n"
          "  -v, --verbose          log every request to stderr (never the token)\n"
          "  -h, --help             show this help\n"
          "\n"
          "Limits (the server cannot be exhausted by its clients):\n"
          "      --max-connections N  open connections in all (default %d); more are\n"
          "                         closed as soon as they are accepted\n"
          "      --max-per-client N open connections from one IP address (default %d)\n"
          "      --request-timeout DUR  a request (headers and body) must arrive within DUR\n"
          "                         of the connection opening or its previous reply\n"
          "                         (default 10s); slower clients are disconnected\n"
          "\n"
          "Faults, for testing clients (applied to the first --fault-count requests to a\n"
          "data or metadata route of any service, default all of them once any fault is\n"
          "set):\n"
          "      --fault-count N    how many data requests get the faults\n"
          "      --fault-status S   answer HTTP S (e.g. 503) instead of data\n"
          "      --retry-after SECS with --fault-status, send Retry-After: SECS\n"
          "      --delay DUR        wait DUR (e.g. 250ms, 3s) before answering\n"
          "      --truncate-after B announce the whole body, send B bytes, then close\n"
          "      --drop             close the connection without answering\n"
          "      --chop-eol         send the reply without its last line end (CSV) or\n"
          "                         its last byte (JSON)\n"
          "      --fail-rate P      also fail each data request with probability P (0-1),\n"
          "                         with --fault-status (default 503) and --retry-after\n"
          "      --seed N           which requests fail at random (default 0): the same\n"
          "                         seed fails the same request numbers\n"
          "\n"
          "On exit (Ctrl-C) it prints how many data and metadata requests and connections\n"
          "it served, the most connections open at once, and how many slow requests it cut.\n",
          EDB_SERVER_DIRECT_PATH, EDB_SERVER_MAX_CONNECTIONS, EDB_SERVER_MAX_PER_CLIENT);
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
    OPT_SEED,
    OPT_INVENTORY,
    OPT_PORTAL_EXECUTING,
    OPT_MAX_CONNECTIONS,
    OPT_MAX_PER_CLIENT,
    OPT_REQUEST_TIMEOUT
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
    {"inventory", required_argument, NULL, OPT_INVENTORY},
    {"portal-executing", required_argument, NULL, OPT_PORTAL_EXECUTING},
    {"max-connections", required_argument, NULL, OPT_MAX_CONNECTIONS},
    {"max-per-client", required_argument, NULL, OPT_MAX_PER_CLIENT},
    {"request-timeout", required_argument, NULL, OPT_REQUEST_TIMEOUT},
    {"verbose", no_argument, NULL, 'v'},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

/* Each connection is a file descriptor: let the process hold as many as --max-connections
 * asks (up to the hard limit), so that the cap, not EMFILE, is what refuses a client. */
static void raise_fd_limit(unsigned conns)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
        return;
    rlim_t want = (rlim_t)conns + 64;
    if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < want) {
        rl.rlim_cur = (rl.rlim_max == RLIM_INFINITY || rl.rlim_max > want) ? want : rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
}

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
        case OPT_INVENTORY: so.inventory = optarg; break;
        case OPT_PORTAL_EXECUTING:
            if (cli_parse_count("--portal-executing", optarg, 1000, &v, &err) != EDB_OK)
                return cli_fail(err.status, "%s", err.msg);
            so.portal_executing = (int)v;
            break;
        case OPT_MAX_CONNECTIONS:
            if (cli_parse_count("--max-connections", optarg, 100000, &v, &err) != EDB_OK || v < 1)
                return cli_fail(EDB_ERR_USAGE, "invalid --max-connections '%s': a count from 1 "
                                "to 100000", optarg);
            so.max_connections = (unsigned)v;
            break;
        case OPT_MAX_PER_CLIENT:
            if (cli_parse_count("--max-per-client", optarg, 100000, &v, &err) != EDB_OK || v < 1)
                return cli_fail(EDB_ERR_USAGE, "invalid --max-per-client '%s': a count from 1 "
                                "to 100000", optarg);
            so.max_per_client = (unsigned)v;
            break;
        case OPT_REQUEST_TIMEOUT:
            if (edb_duration_parse(optarg, &so.request_timeout_us, &err) != EDB_OK)
                return cli_fail(EDB_ERR_USAGE, "--request-timeout: %s", err.msg);
            if (so.request_timeout_us < 100000)
                return cli_fail(EDB_ERR_USAGE, "--request-timeout %s: at least 100ms (slower "
                                "requests are cut off; 0 would cut off every one)", optarg);
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
        return cli_fail(EDB_ERR_USAGE, "name one store (a folder or an archive), e.g. edbx "
                        "serve fixtures/jwst-2021-01-26 --port 0");
    if (any_fault && !count_given)
        so.fault_count = -1;
    if (token_file) {
        cli_free_secret(token);
        if (cli_read_token_file(token_file, &token, &err) != EDB_OK)
            return cli_fail(err.status, "%s", err.msg);
    }
    so.store = argv[optind];
    so.token = token;

    raise_fd_limit(so.max_connections ? so.max_connections : EDB_SERVER_MAX_CONNECTIONS);
    cli_trap_signals();
    edb_server *srv = NULL;
    edb_status st = edb_server_start(&srv, &so, &err);
    cli_free_secret(token);
    if (st != EDB_OK)
        return cli_fail(st, "%s", err.msg);
    const char *bind = so.bind ? so.bind : "127.0.0.1";
    int v6 = strchr(bind, ':') != NULL;
    char base[200];
    snprintf(base, sizeof base, "http://%s%s%s:%u/", v6 ? "[" : "", bind, v6 ? "]" : "",
             edb_server_port(srv));
    printf("edbx serve: serving %s on %s\n"
           "  path A (MAST download, --api mast):  ENG_BASE_URL=%s\n"
           "  path B (direct, --api direct):       ENG_BASE_URL=%s%s\n"
           "  EDP (--api edp):                     ENG_BASE_URL=%s (data: "
           "edp/api/v0.1/mnemonics/spa/jwst/data)\n"
           "  portal (astroquery MAST_REQUEST_URL): %sapi/v0/invoke\n",
           so.store, base, base, base, EDB_SERVER_DIRECT_PATH, base, base);
    fflush(stdout);
    while (!cli_interrupted) {
        struct timespec ts = {0, 100000000};
        nanosleep(&ts, NULL);
    }
    fprintf(stderr, "edbx serve: stopped after %lu data and metadata requests, %lu connections "
            "(at most %u open at once, %lu cut off for a slow request)\n",
            edb_server_requests(srv), edb_server_connections(srv),
            edb_server_max_open_connections(srv), edb_server_timeouts(srv));
    edb_server_stop(srv);
    return EXIT_OK;
}
