/* main.c: the edbx command: a table of subcommands. */
#include <malloc.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"

static void help_version(FILE *out)
{
    fputs("Usage: edbx version\n\nPrint the version of edbx and of the libraries it uses.\n",
          out);
}

static int cmd_version(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    printf("edbx %s\n", edb_version());
    return EXIT_OK;
}

static void help_help(FILE *out)
{
    fputs("Usage: edbx help [COMMAND]\n\nShow the help of edbx or of one command.\n", out);
}

static int cmd_help(int argc, char **argv);

static const cli_command commands[] = {
    {"get", "fetch mnemonics over a time range and write them out", cmd_get, help_get},
    {"search", "find mnemonics by name, description, subsystem or unit", cmd_search,
     help_search},
    {"info", "show everything known of mnemonics, and where it comes from", cmd_info,
     help_info},
    {"monitor", "run jwql's telemetry monitor configurations, with limits and reports",
     cmd_monitor, help_monitor},
    {"serve", "serve a local store over HTTP as every EDB service would", cmd_serve,
     help_serve},
    {"cache", "list, measure or clear the cache of EDB replies", cmd_cache, help_cache},
    {"replay", "re-run a bundle offline and check its outputs byte for byte", cmd_replay,
     help_replay},
    {"bundle", "verify a bundle's hashes without re-running it", cmd_bundle, help_bundle},
    {"version", "print the version", cmd_version, help_version},
    {"help", "show the help of a command", cmd_help, help_help},
};
#define N_COMMANDS (sizeof commands / sizeof commands[0])

static void usage(FILE *out)
{
    fprintf(out,
            "edbx %s: pull JWST engineering telemetry from the Engineering Database (EDB)\n"
            "\n"
            "Usage: edbx COMMAND [OPTIONS] [ARGS]\n"
            "\n"
            "Commands:\n",
            edb_version());
    for (size_t k = 0; k < N_COMMANDS; k++)
        fprintf(out, "  %-9s %s\n", commands[k].name, commands[k].summary);
    fputs("\n"
          "Run 'edbx COMMAND --help' for the options of a command.\n"
          "\n"
          "Examples:\n"
          "  edbx search --subsystem MIRI --desc 'ice.*volt'\n"
          "  edbx get SA_ZATTEST1 SA_ZATTEST2 --start 2022-02-02T22:24:58 \\\n"
          "           --end 2022-02-02T22:25:58 -o att.csv\n"
          "\n"
          "Environment:\n"
          "  MAST_API_TOKEN  the MAST token (else --token-file, else the ~/.netrc entry\n"
          "                  of the service's host); never given on the command line\n"
          "  ENG_BASE_URL    the EDB service (default https://mast.stsci.edu)\n"
          "  ENG_API         which service: mast (path A, the default), direct (path B)\n"
          "                  or edp (MAST's EDP API); as get --api\n"
          "  ENG_DATA_URI, ENG_META_URI  EDP's data and metadata paths after the base URL\n"
          "  ENG_RETRIES     retries of a failing request (default 10)\n"
          "  ENG_TIMEOUT     timeout of one request, seconds or a duration, more than 0\n"
          "                  (default 600)\n"
          "  SOURCE_DATE_EPOCH  seconds since 1970: the run time written into output\n"
          "                  files, as with get --stamp (by default files carry none)\n"
          "\n"
          "Exit status:\n"
          "  0    success\n"
          "  1    internal error (a bug, or out of memory); for search: nothing matches\n"
          "  2    usage error: bad option, time, mnemonic name or URL\n"
          "  3    unknown mnemonic: the EDB does not have it, or its inventory does not\n"
          "       list it (refused before any data request, with close names)\n"
          "  4    authentication: the MAST token is missing, wrong or expired\n"
          "  5    network or server failure, after every retry\n"
          "  6    bad data: the EDB's reply could not be decoded; for replay and bundle\n"
          "       verify, a file that differs from its manifest\n"
          "  7    local I/O: the output, a token file or a store could not be used\n"
          "  8    partly failed: with --keep-going, some mnemonics are missing (listed)\n"
          "  9    alert: get --fail-if matched rows of the output (written in full; the\n"
          "       matches are counted on stderr); a failure above keeps its own code\n"
          "  10   monitor: a yellow limit was crossed (the outputs are written in full)\n"
          "  11   monitor: a red limit was crossed; a failure above keeps its own code\n"
          "  12   not in the cache: --offline found replies missing (listed, with the\n"
          "       shard of each), or a --shard could not store some of its replies\n"
          "  130  interrupted (Ctrl-C); no output file is left behind\n"
          "  141  standard output closed early (edbx get ... | head): stopped quietly\n",
          out);
}

static const cli_command *find(const char *name)
{
    for (size_t k = 0; k < N_COMMANDS; k++)
        if (strcmp(commands[k].name, name) == 0)
            return &commands[k];
    return NULL;
}

static int cmd_help(int argc, char **argv)
{
    if (argc < 2) {
        usage(stdout);
        return EXIT_OK;
    }
    const cli_command *c = find(argv[1]);
    if (!c)
        return cli_fail(EDB_ERR_USAGE, "no command '%s' (run 'edbx --help' for the list)",
                        argv[1]);
    c->help(stdout);
    return EXIT_OK;
}

int main(int argc, char **argv)
{
    /* Large blocks (the series' arrays, decoders' dictionaries) are mapped and unmapped
     * whole, at glibc's default threshold of 128 KiB.  Left to itself, glibc raises the
     * threshold to the size of the largest block freed (an 8 MiB xz dictionary, a day's
     * series after stitching), after which the arrays grow on the heap and every array
     * they outgrow stays resident: 5-7 MB more at 1e6 samples.  Setting it keeps it. */
    mallopt(M_MMAP_THRESHOLD, 128 * 1024);
    if (argc < 2) {
        usage(stderr);
        return EXIT_USAGE;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        usage(stdout);
        return EXIT_OK;
    }
    if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "-V") == 0)
        return cmd_version(argc - 1, argv + 1);
    const cli_command *c = find(argv[1]);
    if (!c)
        return cli_fail(EDB_ERR_USAGE, "no command '%s' (run 'edbx --help' for the list)",
                        argv[1]);
    return c->run(argc - 1, argv + 1);
}
