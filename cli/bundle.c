/* bundle.c: `edbx replay BUNDLE [--out DIR]` and `edbx bundle verify BUNDLE`.
 *
 * A replay rebuilds the recorded `edbx get` from the manifest's description of it (never
 * from a command line: record.h says what is accepted), unpacks the bundle's replies and
 * input files into a private folder while checking every hash, re-runs the command in this
 * process with that folder as its only source (no network, no token, no cache, no file
 * outside the bundle) and the recorded time as "now", then compares every output with the
 * recorded one byte for byte. */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "get_options.h"
#include "monitor.h"
#include "record.h"

void help_replay(FILE *out)
{
    fputs("Usage: edbx replay BUNDLE [--out DIR] [-v]\n"
          "\n"
          "Check every hash of BUNDLE (made by 'edbx get ... --bundle BUNDLE'), re-run the\n"
          "recorded command from the manifest's description of it, with the bundle's raw/\n"
          "replies as the only source (no network, no token, no cache; 'now' is the\n"
          "recorded run time; every input file is the bundle's copy in in/), and check that\n"
          "every output is byte-identical to the recorded one.  A manifest naming an option\n"
          "edbx does not know or a file outside the bundle is refused.  Prints one line per\n"
          "output; exits 0 when all are identical, 6 otherwise.\n"
          "\n"
          "      --out DIR        keep the replayed outputs in DIR (default: a temporary\n"
          "                       folder, removed afterwards)\n"
          "  -v, --verbose        show the re-run command and every file checked\n"
          "  -h, --help           show this help\n",
          out);
}

void help_bundle(FILE *out)
{
    fputs("Usage: edbx bundle verify BUNDLE\n"
          "\n"
          "Check every file a bundle's manifest lists (raw/ replies, in/ input files, out/\n"
          "outputs) against its byte count and SHA-256, and that the bundle holds nothing\n"
          "else, without re-running anything.  Prints one line per file that fails (every\n"
          "file with -v); exits 0 when all match, 6 otherwise.\n",
          out);
}

typedef struct report {
    int verbose;
    unsigned bad, good;
} report;

static void on_file(void *ctx, const char *file, int ok, const char *why)
{
    report *r = ctx;
    if (ok) {
        r->good++;
        if (r->verbose)
            printf("%s: ok\n", file);
    } else {
        r->bad++;
        printf("%s: BAD: %s\n", file, why);
    }
}

/* Check b (and with dir, unpack its raw/ and in/ there); the exit code. */
static int check(const char *path, const edb_bundle *b, const char *dir, int verbose)
{
    edb_err err = EDB_ERR_INIT;
    report r = {verbose, 0, 0};
    edb_status st = dir ? edb_bundle_extract(b, dir, on_file, &r, &err)
                        : edb_bundle_verify(b, on_file, &r, &err);
    if (r.bad)
        return cli_fail(EDB_ERR_DATA, "%s: %u of %u files do not match the manifest", path, r.bad,
                        r.bad + r.good);
    if (st != EDB_OK)
        return cli_fail(st, "%s", err.msg);
    return EXIT_OK;
}

int cmd_bundle(int argc, char **argv)
{
    int verbose = 0;
    const char *action = NULL, *path = NULL;
    for (int k = 1; k < argc; k++) {
        if (strcmp(argv[k], "-h") == 0 || strcmp(argv[k], "--help") == 0) {
            help_bundle(stdout);
            return EXIT_OK;
        } else if (strcmp(argv[k], "-v") == 0 || strcmp(argv[k], "--verbose") == 0) {
            verbose = 1;
        } else if (!action) {
            action = argv[k];
        } else if (!path) {
            path = argv[k];
        } else {
            return cli_fail(EDB_ERR_USAGE, "too many arguments (see 'edbx bundle --help')");
        }
    }
    if (!action || strcmp(action, "verify") != 0 || !path)
        return cli_fail(EDB_ERR_USAGE, "usage: edbx bundle verify BUNDLE");
    edb_err err = EDB_ERR_INIT;
    edb_bundle *b = NULL;
    if (edb_bundle_open(&b, path, &err) != EDB_OK)
        return cli_fail(err.status, "%s", err.msg);
    int rc = check(path, b, NULL, verbose);
    edb_bundle_free(b);
    if (rc == EXIT_OK)
        printf("%s: every file matches its manifest\n", path);
    return rc;
}

/* The SHA-256 of a file, read in pieces, compared with the recorded one. */
static int same_file(const char *path, uint64_t want_len, const char *want_sha, char *why,
                     size_t whylen)
{
    FILE *f = fopen(path, "rb");
    edb_sha256 *h = f ? edb_sha256_new() : NULL;
    if (!h) {
        snprintf(why, whylen, "not written by the replay (%s)", f ? "out of memory" :
                 strerror(errno));
        if (f)
            fclose(f);
        return 0;
    }
    char chunk[65536];
    size_t got;
    uint64_t len = 0;
    while ((got = fread(chunk, 1, sizeof chunk, f)) > 0) {
        edb_sha256_update(h, chunk, got);
        len += got;
    }
    fclose(f);
    char sha[EDB_SHA256_HEX];
    edb_sha256_final(h, sha);
    if (len != want_len || strcmp(sha, want_sha) != 0) {
        snprintf(why, whylen, "DIFFERS: replayed %llu bytes, SHA-256 %s; recorded %llu bytes, "
                 "SHA-256 %s", (unsigned long long)len, sha, (unsigned long long)want_len,
                 want_sha);
        return 0;
    }
    snprintf(why, whylen, "identical (%llu bytes, SHA-256 %s)", (unsigned long long)len, sha);
    return 1;
}

/* Remove what a replay put in a folder of its own: the files of its subfolders, which it
 * made (never through a link: unlink removes a link, not what it points to), then them. */
static void remove_tree(const char *dir)
{
    DIR *d = opendir(dir);
    if (d) {
        struct dirent *e;
        while ((e = readdir(d)) != NULL) {
            if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
                continue;
            size_t n = strlen(dir) + strlen(e->d_name) + 2;
            char *p = malloc(n);
            if (!p)
                continue;
            snprintf(p, n, "%s/%s", dir, e->d_name);
            struct stat sb;
            if (lstat(p, &sb) == 0 && S_ISDIR(sb.st_mode))
                remove_tree(p);
            else
                unlink(p);
            free(p);
        }
        closedir(d);
    }
    rmdir(dir);
}

static int make_temp_dir(char *buf, size_t n, const char *what)
{
    const char *t = getenv("TMPDIR");
    snprintf(buf, n, "%s/edbx-replay-%s-XXXXXX", t && *t ? t : "/tmp", what);
    if (!mkdtemp(buf)) {
        buf[0] = '\0';
        return cli_fail(EDB_ERR_IO, "cannot create a temporary folder: %s", strerror(errno));
    }
    return EXIT_OK;
}

int cmd_replay(int argc, char **argv)
{
    const char *out_dir = NULL, *path = NULL;
    int verbose = 0;
    for (int k = 1; k < argc; k++) {
        const char *a = argv[k];
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            help_replay(stdout);
            return EXIT_OK;
        } else if (strcmp(a, "-v") == 0 || strcmp(a, "--verbose") == 0) {
            verbose = 1;
        } else if (strcmp(a, "--out") == 0 || strncmp(a, "--out=", 6) == 0) {
            if (a[5] == '=')
                out_dir = a + 6;
            else if (k + 1 < argc)
                out_dir = argv[++k];
            else
                return cli_fail(EDB_ERR_USAGE, "option --out needs a value (DIR)");
        } else if (a[0] == '-' && a[1]) {
            return cli_fail(EDB_ERR_USAGE, "unknown option %s (see 'edbx replay --help')", a);
        } else if (!path) {
            path = a;
        } else {
            return cli_fail(EDB_ERR_USAGE, "name one bundle: edbx replay BUNDLE [--out DIR]");
        }
    }
    if (!path)
        return cli_fail(EDB_ERR_USAGE, "name one bundle: edbx replay BUNDLE [--out DIR]");
    if (out_dir && !*out_dir)
        return cli_fail(EDB_ERR_USAGE, "--out needs a folder");
    cli_trap_signals();

    edb_err err = EDB_ERR_INIT;
    edb_bundle *b = NULL;
    if (edb_bundle_open(&b, path, &err) != EDB_OK)
        return cli_fail(err.status, "%s", err.msg);

    /* The plan first: a manifest asking for anything replay does not do is refused before
     * anything is unpacked or written. */
    char src[4096] = "", own_out[4096] = "";
    int rc = make_temp_dir(src, sizeof src, "src");
    cli_replay_plan plan = {0};
    if (rc == EXIT_OK && !out_dir && (rc = make_temp_dir(own_out, sizeof own_out, "out")) == EXIT_OK)
        out_dir = own_out;
    /* The command it records: get, or monitor; anything else is refused by the plan. */
    const char *name = edb_bundle_command_name(b);
    int monitor = name && strcmp(name, "monitor") == 0;
    const cli_optset *set = monitor ? cli_monitor_options() : &cli_get_options;
    if (rc == EXIT_OK && cli_replay_plan_make(&plan, b, set, monitor ? "monitor" : "get", src,
                                              out_dir, &err) != EDB_OK)
        rc = cli_fail(EDB_ERR_DATA, "%s: refused: %s", path, err.msg);
    if (rc == EXIT_OK && !own_out[0] && mkdir(out_dir, 0777) != 0 && errno != EEXIST)
        rc = cli_fail(EDB_ERR_IO, "--out %s: %s", out_dir, strerror(errno));
    if (rc == EXIT_OK)
        rc = check(path, b, src, verbose);
    if (rc == EXIT_OK && cli_interrupted)
        rc = cli_fail(EDB_ERR_INTERRUPTED, "interrupted");
    if (rc == EXIT_OK) {
        if (verbose) {
            fputs("edbx: replaying: edbx", stderr);
            for (int k = 0; k < plan.argc; k++)
                fprintf(stderr, " %s", plan.argv[k]);
            fputc('\n', stderr);
        }
        /* The environment the run had, as far as it changes the outputs; nothing else of
         * this one's (a service, a token) is used. */
        int64_t sde;
        char sde_s[32];
        if (edb_bundle_source_date_epoch(b, &sde)) {
            snprintf(sde_s, sizeof sde_s, "%lld", (long long)sde);
            setenv("SOURCE_DATE_EPOCH", sde_s, 1);
        } else {
            unsetenv("SOURCE_DATE_EPOCH");
        }
        unsetenv("MAST_API_TOKEN");
        unsetenv("ENG_BASE_URL");
        cli_replay_text = plan.text;
        cli_replay_in_path = (const char *const *)plan.in_path;
        cli_replay_in_recorded = plan.in_recorded;
        cli_replay_n_in = plan.n_in;
        int got = monitor ? cmd_monitor(plan.argc, plan.argv) : cmd_get(plan.argc, plan.argv);
        cli_replay_text = NULL;
        cli_replay_in_path = NULL;
        cli_replay_in_recorded = NULL;
        cli_replay_n_in = 0;
        /* an alert, a yellow or a red limit crossed are results, not failures */
        int result = got == EXIT_OK || got == EXIT_ALERT || got == EXIT_YELLOW || got == EXIT_RED;
        if (got == EXIT_INTERRUPTED)
            rc = got;
        else if (!result)
            rc = cli_fail(EDB_ERR_DATA, "replay of %s failed: the recorded command exited %d",
                          path, got);
    }
    if (rc == EXIT_OK) {
        unsigned bad = 0;
        for (size_t k = 0; k < plan.n_out; k++) {
            char why[400];
            int ok = same_file(plan.out_path[k], edb_bundle_output_size(b, k),
                               edb_bundle_output_sha256(b, k), why, sizeof why);
            printf("out/%s: %s\n", edb_bundle_output_name(b, k), why);
            bad += !ok;
        }
        if (bad)
            rc = cli_fail(EDB_ERR_DATA, "replay of %s: %u of %zu outputs differ from the "
                          "recorded ones", path, bad, plan.n_out);
    }
    if (src[0])
        remove_tree(src);
    if (own_out[0])
        remove_tree(own_out);
    cli_replay_plan_free(&plan);
    edb_bundle_free(b);
    return rc;
}
