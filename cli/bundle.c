/* bundle.c: `edbx replay BUNDLE [--out DIR]` and `edbx bundle verify BUNDLE`.
 *
 * A replay re-runs the recorded `edbx get` in this process with the bundle's raw/ as its
 * only source (no network, no token, no cache), its in/ copies of the --meta files, and the
 * recorded run time as "now", then
 * compares every output with the recorded one byte for byte. */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"

void help_replay(FILE *out)
{
    fputs("Usage: edbx replay BUNDLE [--out DIR] [-v]\n"
          "\n"
          "Check every hash of BUNDLE (made by 'edbx get ... --bundle BUNDLE'), re-run the\n"
          "recorded command with the bundle's raw/ replies as the only source (no network,\n"
          "no token, no cache; 'now' is the recorded run time; each --meta file is the\n"
          "bundle's copy in in/) and check that every output is byte-identical to the\n"
          "recorded one.  Prints one line per output; exits 0 when all are identical, 6\n"
          "otherwise.\n"
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
          "Check every file a bundle's manifest lists (raw/ replies, in/ inputs such as\n"
          "--meta files, and out/ outputs) against its byte count and SHA-256, and that the\n"
          "bundle holds nothing else, without re-running anything.  Prints one line per file\n"
          "that fails (every file with -v); exits 0 when all match, 6 otherwise.\n",
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

static int verify(const char *path, edb_bundle **keep, int verbose)
{
    edb_err err = EDB_ERR_INIT;
    edb_bundle *b = NULL;
    if (edb_bundle_open(&b, path, &err) != EDB_OK)
        return cli_fail(err.status, "%s", err.msg);
    report r = {verbose, 0, 0};
    edb_bundle_verify(b, on_file, &r, &err);
    if (r.bad) {
        edb_bundle_free(b);
        return cli_fail(EDB_ERR_DATA, "%s: %u of %u files do not match the manifest", path, r.bad,
                        r.bad + r.good);
    }
    if (keep)
        *keep = b;
    else
        edb_bundle_free(b);
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
    int rc = verify(path, NULL, verbose);
    if (rc == EXIT_OK)
        printf("%s: every file matches its manifest\n", path);
    return rc;
}

/* Options of the recorded command that a replay replaces: where data comes from and where
 * it goes.  1 = takes a value. */
static int replaced(const char *a, int *takes_value)
{
    static const struct {
        const char *name;
        int value;
    } drop[] = {{"--bundle", 1}, {"--source", 1}, {"--cache", 1}, {"--output", 1},
                {"--base-url", 1}, {"--token-file", 1}, {"--run-time-us", 1}, {"--file", 1},
                {"--no-cache", 0}, {"--refresh", 0}, {"--progress", 0},
                /* the assembly of shards (docs/scale.md): its replies came from the cache */
                {"--offline", 0}, {"--shards", 1}};
    *takes_value = 0;
    if (strcmp(a, "-o") == 0 || strcmp(a, "-f") == 0) {
        *takes_value = 1;
        return 1;
    }
    if (strncmp(a, "-o", 2) == 0 || strncmp(a, "-f", 2) == 0)
        return a[1] != '-';
    for (size_t k = 0; k < sizeof drop / sizeof drop[0]; k++) {
        size_t n = strlen(drop[k].name);
        if (strncmp(a, drop[k].name, n) == 0 && (a[n] == '\0' || a[n] == '=')) {
            *takes_value = drop[k].value && a[n] == '\0';
            return 1;
        }
    }
    return 0;
}

static int same_file(const char *path, size_t want_len, const char *want_sha, char *why,
                     size_t whylen)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(why, whylen, "not written by the replay (%s)", strerror(errno));
        return 0;
    }
    char *buf = NULL;
    size_t len = 0, cap = 0, got;
    char chunk[65536];
    while ((got = fread(chunk, 1, sizeof chunk, f)) > 0) {
        if (len + got > cap) {
            cap = (len + got) * 2;
            char *n = realloc(buf, cap);
            if (!n) {
                free(buf);
                fclose(f);
                snprintf(why, whylen, "out of memory");
                return 0;
            }
            buf = n;
        }
        memcpy(buf + len, chunk, got);
        len += got;
    }
    fclose(f);
    char sha[EDB_SHA256_HEX];
    edb_sha256_hex(buf ? buf : "", len, sha);
    free(buf);
    if (len != want_len || strcmp(sha, want_sha) != 0) {
        snprintf(why, whylen, "DIFFERS: replayed %zu bytes, SHA-256 %s; recorded %zu bytes, "
                 "SHA-256 %s", len, sha, want_len, want_sha);
        return 0;
    }
    snprintf(why, whylen, "identical (%zu bytes, SHA-256 %s)", len, sha);
    return 1;
}

static void rm_tree_shallow(const char *dir, const edb_bundle *b)
{
    for (size_t k = 0; k < edb_bundle_output_count(b); k++) {
        char p[8448];
        snprintf(p, sizeof p, "%s/%s", dir, edb_bundle_output_name(b, k));
        unlink(p);
    }
    rmdir(dir);
}

/* The bundle's inputs (--meta files), copied for the re-run to a private folder of their
 * own: the command reads them by path, and nothing outside the bundle may be used. */
typedef struct replay_inputs {
    char dir[4096];
    char **path; /* dir/NAME, one for each input */
    size_t n;
} replay_inputs;

static void inputs_remove(replay_inputs *in)
{
    for (size_t k = 0; in->path && k < in->n; k++) {
        if (in->path[k])
            unlink(in->path[k]);
        free(in->path[k]);
    }
    free(in->path);
    in->path = NULL;
    if (in->dir[0])
        rmdir(in->dir);
    in->dir[0] = '\0';
}

static int inputs_extract(replay_inputs *in, const edb_bundle *b, const char *bundle)
{
    memset(in, 0, sizeof *in);
    in->n = edb_bundle_input_count(b);
    if (in->n == 0)
        return EXIT_OK;
    const char *t = getenv("TMPDIR");
    snprintf(in->dir, sizeof in->dir, "%s/edbx-replay-in-XXXXXX", t && *t ? t : "/tmp");
    if (!mkdtemp(in->dir)) {
        in->dir[0] = '\0';
        return cli_fail(EDB_ERR_IO, "cannot create a temporary folder: %s", strerror(errno));
    }
    if (!(in->path = calloc(in->n, sizeof *in->path)))
        return cli_fail(EDB_ERR_NOMEM, "out of memory");
    for (size_t k = 0; k < in->n; k++) {
        size_t len = 0, plen = strlen(in->dir) + strlen(edb_bundle_input_name(b, k)) + 2;
        const char *data = edb_bundle_input_data(b, k, &len);
        if (!(in->path[k] = malloc(plen)))
            return cli_fail(EDB_ERR_NOMEM, "out of memory");
        snprintf(in->path[k], plen, "%s/%s", in->dir, edb_bundle_input_name(b, k));
        FILE *f = data ? fopen(in->path[k], "wb") : NULL;
        int ok = f && (len == 0 || fwrite(data, 1, len, f) == len);
        if (f && fclose(f) != 0)
            ok = 0;
        if (!ok)
            return cli_fail(EDB_ERR_IO, "%s: cannot extract in/%s to %s: %s", bundle,
                            edb_bundle_input_name(b, k), in->dir,
                            data ? strerror(errno) : "not in the bundle");
    }
    return EXIT_OK;
}

int cmd_replay(int argc, char **argv)
{
    static const struct option opts[] = {
        {"out", required_argument, NULL, 'O'},
        {"verbose", no_argument, NULL, 'v'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *out_dir = NULL;
    int verbose = 0, c;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":vh", opts, NULL)) != -1) {
        switch (c) {
        case 'O': out_dir = optarg; break;
        case 'v': verbose = 1; break;
        case 'h': help_replay(stdout); return EXIT_OK;
        case ':':
            return cli_fail(EDB_ERR_USAGE, "option %s needs a value (see 'edbx replay --help')",
                            argv[optind - 1]);
        default:
            return cli_fail(EDB_ERR_USAGE, "unknown option %s (see 'edbx replay --help')",
                            argv[optind - 1]);
        }
    }
    if (optind + 1 != argc)
        return cli_fail(EDB_ERR_USAGE, "name one bundle: edbx replay BUNDLE [--out DIR]");
    const char *path = argv[optind];
    edb_bundle *b = NULL;
    int rc = verify(path, &b, verbose);
    if (rc != EXIT_OK)
        return rc;
    if (edb_bundle_argc(b) < 1 || strcmp(edb_bundle_arg(b, 0), "get") != 0 ||
        edb_bundle_output_count(b) != 1) {
        edb_bundle_free(b);
        return cli_fail(EDB_ERR_DATA, "%s: the manifest does not record an 'edbx get' with one "
                        "output", path);
    }
    replay_inputs in;
    rc = inputs_extract(&in, b, path);
    if (rc != EXIT_OK) {
        inputs_remove(&in);
        edb_bundle_free(b);
        return rc;
    }
    char tmpl[4096];
    int own_dir = 0;
    char **av = NULL, **full = NULL, **rec = NULL, **owned = NULL;
    size_t n_owned = 0;
    if (!out_dir) {
        const char *t = getenv("TMPDIR");
        snprintf(tmpl, sizeof tmpl, "%s/edbx-replay-XXXXXX", t && *t ? t : "/tmp");
        if (!mkdtemp(tmpl)) {
            rc = cli_fail(EDB_ERR_IO, "cannot create a temporary folder: %s", strerror(errno));
            goto done;
        }
        out_dir = tmpl;
        own_dir = 1;
    } else if (mkdir(out_dir, 0777) != 0 && errno != EEXIST) {
        rc = cli_fail(EDB_ERR_IO, "--out %s: %s", out_dir, strerror(errno));
        goto done;
    }

    /* The recorded options, less those that say where data comes from and goes, then the
     * bundle as the source, the recorded time and service, and the output in out_dir. */
    size_t n = edb_bundle_argc(b);
    char out_path[8448], run_us[32];
    snprintf(out_path, sizeof out_path, "%s/%s", out_dir, edb_bundle_output_name(b, 0));
    snprintf(run_us, sizeof run_us, "%lld", (long long)edb_bundle_run_time(b));
    int ac = 0;
    av = calloc(n + 16, sizeof *av);
    owned = calloc(in.n + 1, sizeof *owned);
    if (!av || !owned) {
        rc = cli_fail(EDB_ERR_NOMEM, "out of memory");
        goto done;
    }
    av[ac++] = (char *)"get";
    int dash_dash = 0, had_file = 0;
    size_t metas = 0;
    for (size_t k = 1; k < n; k++) {
        const char *a = edb_bundle_arg(b, k);
        int tv;
        if (!dash_dash && strcmp(a, "--") == 0)
            dash_dash = 1;
        if (!dash_dash && replaced(a, &tv)) {
            had_file |= strncmp(a, "-f", 2) == 0 || strncmp(a, "--file", 6) == 0;
            k += (size_t)tv;
            continue;
        }
        /* Each --meta file is read from the bundle's copy, matched by order and checked
         * against the path the manifest recorded; a bundle without inputs (made before
         * they were kept) reads the files named, as it always did. */
        int joined = strncmp(a, "--meta=", 7) == 0;
        if (!dash_dash && in.n > 0 && (joined || (strcmp(a, "--meta") == 0 && k + 1 < n))) {
            const char *given = joined ? a + 7 : edb_bundle_arg(b, k + 1);
            if (metas >= in.n || strcmp(given, edb_bundle_input_path(b, metas)) != 0) {
                rc = cli_fail(EDB_ERR_DATA, "%s: the command line's --meta %s is not the "
                              "bundle's input %zu (%s)", path, given, metas + 1,
                              metas < in.n ? edb_bundle_input_path(b, metas) : "none");
                goto done;
            }
            if (joined) {
                size_t len = strlen(in.path[metas]) + 8;
                if (!(owned[n_owned] = malloc(len))) {
                    rc = cli_fail(EDB_ERR_NOMEM, "out of memory");
                    goto done;
                }
                snprintf(owned[n_owned], len, "--meta=%s", in.path[metas]);
                av[ac++] = owned[n_owned++];
            } else {
                av[ac++] = (char *)a;
                av[ac++] = in.path[metas];
                k++;
            }
            metas++;
            continue;
        }
        av[ac++] = (char *)a;
    }
    if (metas != in.n) {
        rc = cli_fail(EDB_ERR_DATA, "%s: the bundle holds %zu inputs but the command line has "
                      "%zu --meta", path, in.n, metas);
        goto done;
    }
    /* Mnemonics read from a -f file are not in the command line: the manifest's list is. */
    const char *extra[] = {"--source", path, "--no-cache", "--run-time-us", run_us, "--base-url",
                           edb_bundle_base_url(b), "-o", out_path};
    size_t nm = had_file ? edb_bundle_mnemonic_count(b) : 0;
    full = calloc((size_t)ac + nm + 16, sizeof *full);
    if (!full) {
        rc = cli_fail(EDB_ERR_NOMEM, "out of memory");
        goto done;
    }
    int fc = 0;
    /* Options before any "--", so that getopt sees them as options. */
    int split = ac;
    for (int k = 0; k < ac; k++)
        if (strcmp(av[k], "--") == 0) {
            split = k;
            break;
        }
    for (int k = 0; k < split; k++)
        full[fc++] = av[k];
    for (size_t k = 0; k < sizeof extra / sizeof extra[0]; k++)
        full[fc++] = (char *)extra[k];
    /* The names of a -f file, in the order asked; the client keeps the first of twins. */
    for (size_t k = 0; k < nm; k++)
        full[fc++] = (char *)edb_bundle_mnemonic(b, k);
    for (int k = split; k < ac; k++)
        full[fc++] = av[k];
    if (verbose) {
        fputs("edbx: replaying: edbx", stderr);
        for (int k = 0; k < fc; k++)
            fprintf(stderr, " %s", full[k]);
        fputc('\n', stderr);
    }
    rec = calloc(n + 1, sizeof *rec);
    for (size_t k = 0; rec && k < n; k++)
        rec[k] = (char *)edb_bundle_arg(b, k);
    cli_recorded_argv = rec;
    cli_recorded_argc = rec ? (int)n : 0;
    rc = cmd_get(fc, full);
    cli_recorded_argv = NULL;
    cli_recorded_argc = 0;
    if (rc != EXIT_OK) {
        rc = cli_fail(EDB_ERR_DATA, "replay of %s failed: the recorded command exited %d", path,
                      rc);
        goto done;
    }
    unsigned bad = 0;
    for (size_t k = 0; k < edb_bundle_output_count(b); k++) {
        char p[8448], why[400];
        snprintf(p, sizeof p, "%s/%s", out_dir, edb_bundle_output_name(b, k));
        int ok = same_file(p, edb_bundle_output_size(b, k), edb_bundle_output_sha256(b, k), why,
                           sizeof why);
        printf("out/%s: %s\n", edb_bundle_output_name(b, k), why);
        bad += !ok;
    }
    if (bad)
        rc = cli_fail(EDB_ERR_DATA, "replay of %s: %u of %zu outputs differ from the recorded "
                      "ones", path, bad, edb_bundle_output_count(b));
done:
    if (own_dir)
        rm_tree_shallow(out_dir, b);
    inputs_remove(&in);
    for (size_t k = 0; k < n_owned; k++)
        free(owned[k]);
    free(owned);
    free(rec);
    free(full);
    free(av);
    edb_bundle_free(b);
    return rc;
}
