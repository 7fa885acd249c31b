/* local.c: what `edbx get` adds to the network: a local source (--source), the response
 * cache (--cache, --no-cache, --refresh) and the bundle of the run (--bundle), all as
 * reply hooks handed to the client. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"

char **cli_recorded_argv;
int cli_recorded_argc;

static char **copy_args(int argc, char **argv)
{
    char **v = calloc((size_t)argc + 1, sizeof *v);
    for (int k = 0; v && k < argc; k++)
        if (!(v[k] = strdup(argv[k]))) {
            for (int j = 0; j < k; j++)
                free(v[j]);
            free(v);
            return NULL;
        }
    return v;
}

void cli_local_note_argv(cli_local *l, int argc, char **argv)
{
    l->argv = copy_args(argc, argv);
    l->argc = l->argv ? argc : 0;
}

edb_status cli_local_note_meta(cli_local *l, const char *path)
{
    const char **m = realloc(l->meta, (l->n_meta + 1) * sizeof *m);
    if (!m)
        return EDB_ERR_NOMEM;
    m[l->n_meta++] = path;
    l->meta = m;
    return EDB_OK;
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
static char *named_cache_dir(const char *dir, edb_err *err)
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

edb_status cli_local_setup(cli_local *l, edb_client_options *co, edb_time now, const char *output,
                           const char *token, edb_err *err)
{
    l->run_time = now;
    if (l->bundle && (!output || strcmp(output, "-") == 0))
        return edb_err_set(err, EDB_ERR_USAGE, "--bundle needs the output in a file: add -o FILE");
    if (l->bundle && !edb_archive_is_name(l->bundle))
        return edb_err_set(err, EDB_ERR_USAGE, "--bundle %s: the name must end in .tar.gz, .tgz, "
                           ".tar.xz, .tar or .zip", l->bundle);
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
        char *dir = l->cache_dir ? named_cache_dir(l->cache_dir, &cerr) : cli_cache_dir_prepare(&cerr);
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
    if (l->bundle) {
        /* Replies are spooled beside the bundle: same filesystem, and no /tmp limit. */
        char spool[4096];
        const char *slash = strrchr(l->bundle, '/');
        snprintf(spool, sizeof spool, "%.*s", slash ? (int)(slash - l->bundle) : 1,
                 slash ? l->bundle : ".");
        if (slash == l->bundle)
            snprintf(spool, sizeof spool, "/");
        if (edb_recorder_new(&l->rec, spool) != EDB_OK)
            return edb_err_set(err, EDB_ERR_IO, "--bundle %s: cannot make a spool folder in %s "
                               "for the replies: %s", l->bundle, spool, strerror(errno));
        edb_recorder_hooks(l->rec, &l->hooks[l->n_hooks++]);
    }
    co->hooks = l->hooks;
    co->n_hooks = l->n_hooks;
    return EDB_OK;
}

edb_status cli_local_finish(cli_local *l, const edb_client_options *co,
                            const char *const *mnemonics, size_t n, edb_time start, edb_time end,
                            int brackets, int64_t chunk_us, const char *output, edb_err *err)
{
    if (!l->bundle)
        return EDB_OK;
    /* The --meta files change what is written (units, the default resampling method), so
     * the bundle carries them: a replay must not depend on files that may move or change. */
    edb_bundle_input *in = calloc(l->n_meta ? l->n_meta : 1, sizeof *in);
    if (!in)
        return edb_err_set(err, EDB_ERR_NOMEM, "out of memory");
    for (size_t k = 0; k < l->n_meta; k++)
        in[k].path = l->meta[k];
    edb_bundle_info bi = {(const char *const *)l->argv, (size_t)l->argc, co->service, co->base_url,
                          mnemonics, n, start, end, brackets, chunk_us, l->run_time, l->token,
                          in, l->n_meta};
    edb_bundle_output out = {NULL, output};
    edb_status st = edb_bundle_write(l->bundle, &bi, l->rec, &out, 1, err);
    free(in);
    return st;
}

void cli_local_free(cli_local *l)
{
    edb_store_free(l->store);
    edb_cache_free(l->cache);
    edb_recorder_free(l->rec);
    for (int k = 0; l->argv && k < l->argc; k++)
        free(l->argv[k]);
    free(l->argv);
    free(l->meta);
    cli_free_secret(l->token);
    memset(l, 0, sizeof *l);
}
