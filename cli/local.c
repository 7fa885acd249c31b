/* local.c: what `edbx get` adds to the network: a local source (--source), the response
 * cache (--cache, --no-cache, --refresh) and the bundle of the run (--bundle), all as
 * reply hooks handed to the client; the record of the run's command; the checks that the
 * files a run names are distinct; and putting the outputs in place all at once, or not at
 * all when the run is interrupted or fails. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "get_options.h"
#include "record.h"

const char *cli_replay_text;
const char *const *cli_replay_in_path;
const char *const *cli_replay_in_recorded;
size_t cli_replay_n_in;

const char *cli_shown_path(const char *path)
{
    for (size_t k = 0; k < cli_replay_n_in; k++)
        if (strcmp(cli_replay_in_path[k], path) == 0)
            return cli_replay_in_recorded[k];
    return path;
}

char *cli_cache_dir(void)
{
    const char *x = getenv("XDG_CACHE_HOME");
    const char *home = getenv("HOME");
    char *p = NULL;
    size_t n;
    /* XDG says a relative $XDG_CACHE_HOME is invalid and must be ignored. */
    if (x && x[0] == '/') {
        n = strlen(x) + 6;
        if ((p = malloc(n)))
            snprintf(p, n, "%s/edbx", x);
    } else if (home && *home) {
        n = strlen(home) + 13;
        if ((p = malloc(n)))
            snprintf(p, n, "%s/.cache/edbx", home);
    }
    return p;
}

/* Make path and its missing parents (0700), as mkdir -p does: for the folders a user
 * names ($XDG_CACHE_HOME, --cache DIR), which XDG says are made when missing. */
static int make_path(const char *path, edb_err *err)
{
    char *p = strdup(path);
    if (!p) {
        edb_err_set(err, EDB_ERR_NOMEM, "out of memory");
        return -1;
    }
    int rc = 0;
    struct stat sb;
    for (char *s = p + 1;; s++) {
        if (*s != '/' && *s != '\0')
            continue;
        char was = *s;
        *s = '\0';
        if (mkdir(p, 0700) != 0 && !(errno == EEXIST && stat(p, &sb) == 0 && S_ISDIR(sb.st_mode))) {
            edb_err_set(err, EDB_ERR_IO, "cache folder: cannot make %s (%s)", p,
                        errno == EEXIST ? "not a folder" : strerror(errno));
            rc = -1;
            break;
        }
        *s = was;
        if (!was)
            break;
    }
    free(p);
    return rc;
}

char *cli_cache_dir_prepare(edb_err *err)
{
    const char *x = getenv("XDG_CACHE_HOME");
    const char *home = getenv("HOME");
    struct stat sb;
    if (x && x[0] == '/') {
        if (make_path(x, err) != 0)
            return NULL;
    } else if (home && *home) {
        /* $HOME must be there already: a missing or mistyped one is never created, nor
         * anything above it; ~/.cache is. */
        if (stat(home, &sb) != 0 || !S_ISDIR(sb.st_mode)) {
            edb_err_set(err, EDB_ERR_IO, "cache folder: $HOME (%s) is not a folder", home);
            return NULL;
        }
        size_t n = strlen(home) + 8;
        char *dotcache = malloc(n);
        if (!dotcache) {
            edb_err_set(err, EDB_ERR_NOMEM, "out of memory");
            return NULL;
        }
        snprintf(dotcache, n, "%s/.cache", home);
        int made = mkdir(dotcache, 0700) == 0 || (errno == EEXIST && stat(dotcache, &sb) == 0 &&
                                                  S_ISDIR(sb.st_mode));
        if (!made)
            edb_err_set(err, EDB_ERR_IO, "cache folder: cannot make %s (%s)", dotcache,
                        errno == EEXIST ? "not a folder" : strerror(errno));
        free(dotcache);
        if (!made)
            return NULL;
    } else {
        edb_err_set(err, EDB_ERR_USAGE, "no cache folder: neither HOME nor XDG_CACHE_HOME is set");
        return NULL;
    }
    char *dir = cli_cache_dir();
    if (!dir)
        edb_err_set(err, EDB_ERR_NOMEM, "out of memory");
    return dir;
}

/* --cache DIR: its parents made as for $XDG_CACHE_HOME (the library makes DIR itself). */
char *cli_cache_dir_named(const char *dir, edb_err *err)
{
    char *parent = strdup(dir);
    if (!parent) {
        edb_err_set(err, EDB_ERR_NOMEM, "out of memory");
        return NULL;
    }
    size_t n = strlen(parent);
    while (n > 1 && parent[n - 1] == '/')
        parent[--n] = '\0';
    char *slash = strrchr(parent, '/');
    int rc = 0;
    if (slash && slash != parent) {
        *slash = '\0';
        rc = make_path(parent, err);
    }
    free(parent);
    return rc == 0 ? strdup(dir) : NULL;
}


void cli_local_pause(const char *stage)
{
    /* A test hook (docs/bundles.md): stop here until a signal comes, at most 30 s, so that
     * a test can interrupt the run at a moment it chooses. */
    const char *h = getenv("EDBX_TEST_PAUSE");
    if (!h || strcmp(h, stage) != 0)
        return;
    fprintf(stderr, "edbx: test hook: paused at %s\n", stage);
    fflush(stderr);
    for (int k = 0; k < 3000 && !cli_interrupted; k++) {
        struct timespec ts = {0, 10000000};
        nanosleep(&ts, NULL);
    }
}

/* ---- the files a run names must be distinct ------------------------------------------- */

typedef struct named {
    char what[48];    /* "--output" */
    const char *path;
    int writes;       /* the run writes it (or, for the cache, writes in it) */
    int cache;
    int has_id, has_parent;
    dev_t dev, pdev;
    ino_t ino, pino;
    char base[NAME_MAX + 1];
} named;

/* What identifies a file whether it exists or not: its inode, and its folder's inode and
 * its name there (for a file the run is about to create). */
static void identify(named *n)
{
    struct stat sb;
    if (stat(n->path, &sb) == 0) {
        n->has_id = 1;
        n->dev = sb.st_dev;
        n->ino = sb.st_ino;
    }
    size_t len = strlen(n->path);
    while (len > 1 && n->path[len - 1] == '/')
        len--;
    size_t cut = len;
    while (cut > 0 && n->path[cut - 1] != '/')
        cut--;
    if (len - cut == 0 || len - cut > NAME_MAX)
        return;
    memcpy(n->base, n->path + cut, len - cut);
    n->base[len - cut] = '\0';
    char parent[PATH_MAX];
    if (cut == 0)
        snprintf(parent, sizeof parent, ".");
    else if (cut == 1)
        snprintf(parent, sizeof parent, "/");
    else if (cut - 1 < sizeof parent)
        snprintf(parent, sizeof parent, "%.*s", (int)(cut - 1), n->path);
    else
        return;
    if (stat(parent, &sb) == 0) {
        n->has_parent = 1;
        n->pdev = sb.st_dev;
        n->pino = sb.st_ino;
    }
}

static int same_file(const named *a, const named *b)
{
    if (a->has_id && b->has_id && a->dev == b->dev && a->ino == b->ino)
        return 1;
    return a->has_parent && b->has_parent && a->pdev == b->pdev && a->pino == b->pino &&
           strcmp(a->base, b->base) == 0;
}

/* Is the file w inside the folder dir (at any depth)? */
static int inside(const char *w, const char *dir)
{
    char d[PATH_MAX], p[PATH_MAX], wp[PATH_MAX];
    if (!realpath(dir, d))
        return 0; /* no such folder yet: nothing is inside it */
    snprintf(wp, sizeof wp, "%s", w);
    char *slash = strrchr(wp, '/');
    if (slash == wp)
        snprintf(wp, sizeof wp, "/");
    else if (slash)
        *slash = '\0';
    else
        snprintf(wp, sizeof wp, ".");
    if (!realpath(wp, p))
        return 0;
    size_t n = strlen(d);
    return strncmp(p, d, n) == 0 && (p[n] == '/' || p[n] == '\0' || strcmp(d, "/") == 0);
}

static edb_status check_distinct(named *v, size_t n, edb_err *err)
{
    for (size_t k = 0; k < n; k++)
        identify(&v[k]);
    for (size_t a = 0; a < n; a++)
        for (size_t b = a + 1; b < n; b++) {
            if (!v[a].writes && !v[b].writes)
                continue; /* reading a file twice harms nothing */
            if (same_file(&v[a], &v[b]))
                return edb_err_set(err, EDB_ERR_USAGE, "%s %s and %s %s name the same file: "
                                   "refused before any request", v[a].what, v[a].path,
                                   v[b].what, v[b].path);
        }
    for (size_t c = 0; c < n; c++) {
        if (!v[c].cache)
            continue;
        for (size_t w = 0; w < n; w++)
            if (w != c && v[w].writes && !v[w].cache && inside(v[w].path, v[c].path))
                return edb_err_set(err, EDB_ERR_USAGE, "%s %s is inside the cache folder %s: "
                                   "write it elsewhere (refused before any request)",
                                   v[w].what, v[w].path, v[c].path);
    }
    return EDB_OK;
}

/* ---- the record of the command -------------------------------------------------------- */

static edb_status parse_sde(cli_local *l, edb_err *err)
{
    const char *sde = getenv("SOURCE_DATE_EPOCH");
    if (!sde || !*sde)
        return EDB_OK;
    long long secs = 0;
    for (const char *p = sde; *p; p++) {
        /* Up to the year 9999, as every time edbx reads. */
        if (*p < '0' || *p > '9' || secs > 253402300799LL / 10)
            return edb_err_set(err, EDB_ERR_USAGE, "SOURCE_DATE_EPOCH='%s' is not a count of "
                               "seconds", sde);
        secs = secs * 10 + (*p - '0');
    }
    l->has_sde = 1;
    l->sde = secs;
    return EDB_OK;
}

edb_time cli_local_now(const cli_local *l)
{
    edb_time now = edb_time_now();
    /* SOURCE_DATE_EPOCH clamps every time the run records, "now" first: relative times
     * count from it, so that the record and the replay agree. */
    if (l->has_sde && now > (edb_time)l->sde * EDB_USEC_PER_SEC)
        now = (edb_time)l->sde * EDB_USEC_PER_SEC;
    return now;
}

const char *cli_local_text(const cli_local *l)
{
    return l->text;
}

edb_status cli_local_note_args(cli_local *l, const cli_args *a, edb_err *err)
{
    for (size_t k = 0; k < a->n; k++)
        if (a->v[k].opt->id == GOPT_HELP)
            return EDB_OK; /* only help is shown */
    edb_status st = parse_sde(l, err);
    if (st != EDB_OK)
        return st;
    const char *output = NULL, *bundle = NULL, *source = NULL, *cache = NULL;
    int no_cache = 0;
    l->recorded = calloc(a->n + 1, sizeof *l->recorded);
    l->outputs = calloc(a->n + 1, sizeof *l->outputs);
    l->args = calloc(a->npos + 1, sizeof *l->args);
    named *paths = calloc(a->n + 2, sizeof *paths);
    char *cache_dir = NULL;
    if (!l->recorded || !l->outputs || !l->args || !paths) {
        free(paths);
        return edb_err_set(err, EDB_ERR_NOMEM, "out of memory");
    }
    size_t np = 0;
    for (size_t k = 0; k < a->n; k++) {
        const cli_opt *o = a->v[k].opt;
        const char *v = a->v[k].value;
        switch (o->id) {
        case GOPT_OUTPUT: output = v; break;
        case GOPT_BUNDLE: bundle = v; break;
        case GOPT_SOURCE: source = v; break;
        case GOPT_CACHE: cache = v; break;
        case GOPT_NO_CACHE: no_cache = 1; break;
        default: break;
        }
        if (o->role == CLI_ROLE_OUTPUT_DIR)
            output = v;
        if (!cli_role_recorded(o->role))
            continue;
        cli_recorded *r = &l->recorded[l->n_recorded++];
        r->opt = o;
        r->value = v;
        /* Every file the run writes or reads is checked against the others. */
        int reads = o->role == CLI_ROLE_INPUT || o->role == CLI_ROLE_FETCHED ||
                    o->id == GOPT_SOURCE ||
                    o->id == GOPT_TOKEN_FILE || o->id == GOPT_CACERT;
        int writes = o->role == CLI_ROLE_OUTPUT || o->role == CLI_ROLE_OUTPUT_DIR;
        if (v && strcmp(v, "-") != 0 && (writes || reads)) {
            named *p = &paths[np++];
            snprintf(p->what, sizeof p->what, "--%s", o->name);
            p->path = v;
            p->writes = writes;
        }
        if (o->role == CLI_ROLE_OUTPUT && o->id != GOPT_BUNDLE && v && strcmp(v, "-") != 0) {
            l->outputs[l->n_outputs++] = v;
            r->output = l->n_outputs;
        }
    }
    for (size_t k = 0; k < a->npos; k++)
        l->args[l->n_args++] = a->pos[k];

    if (!l->cmd)
        l->cmd = "get";
    if (cli_replay_text)
        l->text = strdup(cli_replay_text);
    else
        l->text = cli_command_text(l->cmd, l->recorded, l->n_recorded,
                                   (const char *const *)l->args, l->n_args);
    if (!l->text) {
        free(paths);
        return edb_err_set(err, EDB_ERR_NOMEM, "out of memory");
    }

    if (bundle && (!output || strcmp(output, "-") == 0))
        st = edb_err_set(err, EDB_ERR_USAGE, "--bundle needs the output in a file: add -o %s",
                         strcmp(l->cmd, "get") ? "DIR" : "FILE");
    else if (bundle && !edb_archive_is_name(bundle))
        st = edb_err_set(err, EDB_ERR_USAGE, "--bundle %s: the name must end in .tar.gz, .tgz, "
                         ".tar.xz, .tar or .zip", bundle);
    if (st == EDB_OK && !no_cache && !source) {
        cache_dir = cache ? strdup(cache) : cli_cache_dir();
        if (cache_dir) {
            named *p = &paths[np++];
            snprintf(p->what, sizeof p->what, "%s", cache ? "--cache" : "the cache folder");
            p->path = cache_dir;
            p->writes = 1;
            p->cache = 1;
        }
    }
    if (st == EDB_OK)
        st = check_distinct(paths, np, err);
    free(paths);
    free(cache_dir);
    if (st != EDB_OK || !bundle)
        return st;

    /* The bundle keeps a copy of every file the run reads, taken before the run reads it. */
    char spool[PATH_MAX];
    const char *slash = strrchr(bundle, '/');
    snprintf(spool, sizeof spool, "%.*s", slash ? (int)(slash - bundle) : 1, slash ? bundle : ".");
    if (slash == bundle)
        snprintf(spool, sizeof spool, "/");
    if (edb_recorder_new(&l->rec, spool) != EDB_OK)
        return edb_err_set(err, EDB_ERR_IO, "--bundle %s: cannot make a spool folder in %s "
                           "for the replies: %s", bundle, spool, strerror(errno));
    for (size_t k = 0; k < l->n_recorded; k++) {
        cli_recorded *r = &l->recorded[k];
        if (r->opt->role != CLI_ROLE_INPUT && r->opt->role != CLI_ROLE_FETCHED)
            continue;
        if (strcmp(r->value, "-") == 0)
            return edb_err_set(err, EDB_ERR_USAGE, "--bundle keeps a copy of every file the "
                               "run reads, and standard input (--%s -) cannot be kept: save it "
                               "to a file and name that", r->opt->name);
        size_t idx;
        if ((st = edb_recorder_add_input(l->rec, r->value, &idx, err)) != EDB_OK)
            return st;
        r->input = idx + 1;
    }
    return EDB_OK;
}

edb_status cli_local_record_inventory(cli_local *l, const char *data, size_t len, edb_err *err)
{
    if (!l->rec)
        return EDB_OK;
    const cli_opt *o = cli_opt_find(&cli_get_options, "recorded-inventory");
    cli_recorded *r = realloc(l->recorded, (l->n_recorded + 1) * sizeof *r);
    if (!o || !r)
        return edb_err_set(err, EDB_ERR_NOMEM, "out of memory");
    l->recorded = r;
    size_t idx;
    static const char name[] = "edbx-inventory.csv";
    edb_status st = edb_recorder_add_input_data(l->rec, name, data, len, &idx, err);
    if (st != EDB_OK)
        return st;
    /* Recorded like an option, so that replay reads the copy back; never part of the
     * command line the outputs record (that was made from what was typed). */
    l->recorded[l->n_recorded++] = (cli_recorded){o, name, idx + 1, 0};
    return EDB_OK;
}

/* ---- the run's sources and hooks ------------------------------------------------------ */

edb_status cli_local_setup(cli_local *l, edb_client_options *co, edb_time now, const char *output,
                           const char *token, edb_err *err)
{
    (void)output; /* checked with the other files by cli_local_note_args */
    l->run_time = now;
    if (token && !(l->token = strdup(token)))
        return edb_err_set(err, EDB_ERR_NOMEM, "out of memory");
    if (l->source) {
        edb_status st = edb_store_open(&l->store, l->source, err);
        if (st != EDB_OK)
            return st;
        edb_store_hooks(l->store, &l->hooks[l->n_hooks++]);
        co->offline = 1;
    } else if (!l->no_cache) {
        /* The default folder keeps each token's replies apart; a folder named with --cache
         * is shared on purpose by whoever uses it (docs/cache.md). */
        edb_err cerr = EDB_ERR_INIT;
        char *dir = l->cache_dir ? cli_cache_dir_named(l->cache_dir, &cerr)
                                 : cli_cache_dir_prepare(&cerr);
        if (dir) {
            edb_cache_options o = EDB_CACHE_OPTIONS_INIT;
            o.dir = dir;
            o.base_url = co->base_url;
            o.service = co->service; /* a reply of one service is never served for another */
            o.now = now;
            o.refresh = l->refresh;
            o.log = cli_log_line; /* a dropped entry is reported with or without -v */
            o.per_token = l->cache_dir == NULL;
            o.token = token;
            edb_cache_open(&l->cache, &o, &cerr);
            free(dir);
        } else if (cerr.status == EDB_OK) {
            edb_err_set(&cerr, EDB_ERR_NOMEM, "out of memory");
        }
        /* A cache is an accelerator: one that cannot be had slows the run, never fails it. */
        if (l->cache)
            edb_cache_hooks(l->cache, &l->hooks[l->n_hooks++]);
        else if (l->need_cache)
            return edb_err_set(err, cerr.status == EDB_ERR_NOMEM ? EDB_ERR_NOMEM : EDB_ERR_IO,
                               "%s: the cache is where shards meet (--shard, --offline), so "
                               "the run cannot go on without it (--cache DIR names another)",
                               cerr.msg);
        else
            cli_warn("warning: %s; the run goes on without the cache (--cache DIR names "
                     "another, --no-cache says none is wanted)", cerr.msg);
    }
    if (l->rec)
        edb_recorder_hooks(l->rec, &l->hooks[l->n_hooks++]);
    co->hooks = l->hooks;
    co->n_hooks = l->n_hooks;
    return EDB_OK;
}

/* ---- putting the outputs in place ----------------------------------------------------- */

static void block_signals(sigset_t *old)
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGHUP);
    sigprocmask(SIG_BLOCK, &set, old);
}

/* A second name for the file the output replaces (a hard link, else a copy), so that a
 * run stopped after the output was renamed into place can put the old one back. */
static char *keep_old(const char *target)
{
    size_t n = strlen(target) + 40;
    char *keep = malloc(n);
    if (!keep)
        return NULL;
    const char *slash = strrchr(target, '/');
    for (int attempt = 0; attempt < 100; attempt++) {
        snprintf(keep, n, "%.*s.edbx-keep-%ld-%d", slash ? (int)(slash - target + 1) : 0, target,
                 (long)getpid(), attempt);
        if (link(target, keep) == 0)
            return keep;
        if (errno == EEXIST)
            continue;
        /* No hard links here: a copy, with the same mode. */
        int in = open(target, O_RDONLY | O_CLOEXEC);
        struct stat sb;
        int out = in >= 0 && fstat(in, &sb) == 0
                      ? open(keep, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
                             sb.st_mode & 07777)
                      : -1;
        int ok = out >= 0;
        char buf[65536];
        ssize_t got;
        while (ok && (got = read(in, buf, sizeof buf)) > 0)
            ok = write(out, buf, (size_t)got) == got;
        if (out >= 0 && close(out) != 0)
            ok = 0;
        if (in >= 0)
            close(in);
        if (ok)
            return keep;
        if (out >= 0)
            unlink(keep);
        break;
    }
    free(keep);
    return NULL;
}

edb_status cli_local_close_output(cli_local *l, edb_writer *w, const char *output, edb_err *err)
{
    cli_local_pause("write");
    if (cli_interrupted)
        return edb_err_set(err, EDB_ERR_INTERRUPTED, "interrupted: %s was not written", output);
    int to_file = strcmp(output, "-") != 0;
    struct stat sb;
    if (to_file && lstat(output, &sb) == 0 && S_ISLNK(sb.st_mode)) {
        /* A symbolic link: the writer replaces either the link or the file it points to;
         * keep both ways back (the link's text, and the file). */
        char text[PATH_MAX];
        ssize_t n = readlink(output, text, sizeof text - 1);
        if (n > 0) {
            text[n] = '\0';
            l->link_text = strdup(text);
        }
        l->target = realpath(output, NULL);
    } else if (to_file) {
        l->target = strdup(output);
    }
    if (l->target) {
        if (lstat(l->target, &sb) == 0) {
            if (S_ISREG(sb.st_mode))
                l->keep = keep_old(l->target);
        } else {
            l->placed_new = errno == ENOENT;
        }
    }
    edb_status st = edb_writer_close(w);
    if (st != EDB_OK)
        return edb_err_set(err, st, "%s", edb_writer_errmsg(w));
    l->placed = to_file;
    l->output = output;
    cli_local_pause("close");
    if (cli_interrupted)
        return edb_err_set(err, EDB_ERR_INTERRUPTED, "interrupted: %s was not kept", output);
    return EDB_OK;
}

static void on_bundle_entry(void *ctx, const char *name)
{
    (void)name;
    cli_local *l = ctx;
    if (l->entries_written++ == 1)
        cli_local_pause("bundle"); /* in the middle: the manifest is written, the rest not */
}

edb_status cli_local_finish(cli_local *l, const edb_client_options *co,
                            const char *const *mnemonics, size_t n, edb_time start, edb_time end,
                            int brackets, int64_t chunk_us, const char *output, edb_err *err)
{
    (void)output; /* the outputs are the recorded OUTPUT options */
    if (!l->bundle)
        return EDB_OK;
    edb_bundle_option *opts = calloc(l->n_recorded + 1, sizeof *opts);
    edb_bundle_output *outs = calloc(l->n_outputs + 1, sizeof *outs);
    size_t bl = strlen(l->bundle);
    l->pending = malloc(bl + 64);
    if (!opts || !outs || !l->pending) {
        free(opts);
        free(outs);
        return edb_err_set(err, EDB_ERR_NOMEM, "out of memory");
    }
    for (size_t k = 0; k < l->n_recorded; k++) {
        const cli_recorded *r = &l->recorded[k];
        opts[k] = (edb_bundle_option){r->opt->name, r->value, r->input, r->output};
    }
    for (size_t k = 0; k < l->n_outputs; k++)
        outs[k] = (edb_bundle_output){NULL, l->outputs[k]};
    edb_bundle_command cmd = {l->cmd ? l->cmd : "get", opts, l->n_recorded,
                              (const char *const *)l->args, l->n_args, l->text};
    edb_bundle_info bi = {0};
    bi.command = &cmd;
    bi.service = co->service;
    bi.base_url = co->base_url;
    bi.mnemonics = mnemonics;
    bi.n_mnemonics = n;
    bi.start = start;
    bi.end = end;
    bi.keep_brackets = brackets;
    bi.chunk_us = chunk_us;
    bi.run_time = l->run_time;
    bi.source_date_epoch = l->has_sde ? &l->sde : NULL;
    bi.token = l->token;
    bi.cancel = &cli_interrupted;
    bi.on_entry = on_bundle_entry;
    bi.ctx = l;
    /* A zip keeps local time (the DOS fields): one zone, so that a zip is the same
     * wherever it is made.  edbx shows no local time anywhere. */
    setenv("TZ", "UTC0", 1);
    tzset();
    /* Written beside the bundle under a name of its own, and put in place last. */
    const char *slash = strrchr(l->bundle, '/');
    snprintf(l->pending, bl + 64, "%.*s.edbx-pending-%ld-%s",
             slash ? (int)(slash - l->bundle + 1) : 0, l->bundle, (long)getpid(),
             slash ? slash + 1 : l->bundle);
    edb_status st = edb_bundle_write(l->pending, &bi, l->rec, outs, l->n_outputs, err);
    if (st != EDB_OK) {
        free(l->pending);
        l->pending = NULL;
    }
    free(opts);
    free(outs);
    return st;
}

edb_status cli_local_set_outputs(cli_local *l, const char *const *paths, size_t n,
                                 edb_err *err)
{
    const char **v = calloc(n + 1, sizeof *v);
    if (!v)
        return edb_err_set(err, EDB_ERR_NOMEM, "out of memory");
    for (size_t k = 0; k < n; k++)
        v[k] = paths[k];
    free(l->outputs);
    l->outputs = v;
    l->n_outputs = n;
    return EDB_OK;
}

/* The run stops after its output went into place: what was there before comes back. */
static void put_back(cli_local *l)
{
    struct stat sb;
    if (l->link_text && lstat(l->output, &sb) == 0 && !S_ISLNK(sb.st_mode)) {
        /* The link itself was replaced by the new file: a new link, renamed over it. */
        size_t n = strlen(l->output) + 48;
        char *tmp = malloc(n);
        if (tmp) {
            snprintf(tmp, n, "%s.edbx-link-%ld", l->output, (long)getpid());
            if (symlink(l->link_text, tmp) == 0 && rename(tmp, l->output) != 0)
                unlink(tmp);
            free(tmp);
        }
        return;
    }
    if (l->keep && rename(l->keep, l->target) == 0) {
        free(l->keep);
        l->keep = NULL;
    } else if (l->placed_new && l->target && lstat(l->target, &sb) == 0 &&
               S_ISREG(sb.st_mode)) {
        unlink(l->target);
    } else {
        fprintf(stderr, "edbx: %s was already replaced when the run stopped\n", l->output);
    }
}

edb_status cli_local_settle(cli_local *l, edb_status st, const char *output, edb_err *err)
{
    /* The one moment the run is through: signals wait until the bundle is in place, or it
     * was interrupted before and nothing new stays. */
    sigset_t old;
    block_signals(&old);
    if (st == EDB_OK && cli_interrupted)
        st = edb_err_set(err, EDB_ERR_INTERRUPTED, "interrupted: nothing was written");
    if (st == EDB_OK && l->pending && rename(l->pending, l->bundle) != 0)
        st = edb_err_set(err, EDB_ERR_IO, "%s: cannot rename into place: %s", l->bundle,
                         strerror(errno));
    if (st == EDB_OK) {
        free(l->pending);
        l->pending = NULL;
    }
    if (st != EDB_OK) {
        if (l->pending)
            unlink(l->pending);
        if (l->placed)
            put_back(l);
    }
    if (l->keep)
        unlink(l->keep);
    if (st == EDB_ERR_INTERRUPTED) {
        /* One message for wherever the signal came, naming what is not there. */
        edb_err_clear(err);
        edb_err_set(err, st, "interrupted: %s%s%s not written (a file there before is kept)",
                    strcmp(output, "-") ? output : "the output", l->bundle ? " and " : "",
                    l->bundle ? l->bundle : "");
    }
    sigprocmask(SIG_SETMASK, &old, NULL);
    return st;
}

void cli_local_free(cli_local *l)
{
    edb_store_free(l->store);
    edb_cache_free(l->cache);
    edb_recorder_free(l->rec);
    free(l->recorded);
    free(l->outputs);
    free(l->args);
    free(l->text);
    if (l->pending)
        unlink(l->pending);
    free(l->pending);
    if (l->keep)
        unlink(l->keep);
    free(l->keep);
    free(l->target);
    free(l->link_text);
    cli_free_secret(l->token);
    memset(l, 0, sizeof *l);
}
