/* discover.c: the inventory for get, search and info, and the setup search and info share
 * (discover.h; docs/discovery.md). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "cli.h"
#include "discover.h"

edb_status cli_inventory_fetch(edb_meta *into, const edb_client_options *co, edb_cache *cache,
                               int64_t max_age_us, int refresh, edb_inventory_info *info,
                               edb_err *err)
{
    edb_client_options o = *co;
    /* Hooks answer the plan's data requests (a store, the cache's replies, a bundle's
     * recorder); discovery's requests are its own. */
    o.hooks = NULL;
    o.n_hooks = 0;
    o.progress = NULL;
    o.progress_ctx = NULL;
    edb_client *c = NULL;
    edb_status st = edb_client_new(&c, &o);
    if (st != EDB_OK)
        return edb_err_set(err, st, "cannot set up the HTTP client: %s", edb_strerror(st));
    edb_inventory_options io = EDB_INVENTORY_OPTIONS_INIT;
    io.cache = cache;
    io.now = edb_time_now(); /* its age is real time, whatever --run-time or
                                SOURCE_DATE_EPOCH say of the run */
    io.max_age_us = max_age_us;
    io.refresh = refresh;
    st = edb_inventory_load(into, c, &io, info, err);
    edb_client_free(c);
    return st;
}

/* UTC to the second: how old an inventory is needs no more. */
static void iso_s(edb_time t, char *out, size_t n)
{
    edb_time_format_iso(t - (t % EDB_USEC_PER_SEC + EDB_USEC_PER_SEC) % EDB_USEC_PER_SEC, out,
                        n);
    char *dot = strchr(out, '.');
    if (dot)
        *dot = '\0';
}

void cli_inventory_label(char *out, size_t n, const char *service, const char *base_url,
                         const edb_inventory_info *info, const char *store)
{
    if (!info) {
        snprintf(out, n, "%s/meta.json", store ? store : "the store");
        return;
    }
    char what[160], when[EDB_TIME_STRLEN];
    if (edb_discovery_source(service, 0, what, sizeof what) != 0)
        snprintf(what, sizeof what, "the inventory");
    iso_s(info->stored, when, sizeof when);
    snprintf(out, n, "%s from %s (%s %sZ)", what, base_url,
             info->origin == EDB_INVENTORY_FETCHED ? "fetched" : "cached", when);
}

void cli_inventory_stale_text(const edb_inventory_info *info, const char *service, char *out,
                              size_t n)
{
    char what[160], when[EDB_TIME_STRLEN], age[64];
    if (edb_discovery_source(service, 0, what, sizeof what) != 0)
        snprintf(what, sizeof what, "the inventory");
    iso_s(info->stored, when, sizeof when);
    int64_t a = edb_time_now() - info->stored;
    a -= a % EDB_USEC_PER_SEC;
    edb_duration_format(a > 0 ? a : 0, age, sizeof age);
    snprintf(out, n, "warning: using the copy of %s cached %sZ (%s ago) because the service "
             "could not be asked: %s", what, when, age, info->why);
}

void cli_inventory_warn_stale(const edb_inventory_info *info, const char *service)
{
    char text[EDB_ERRMSG_SIZE * 2];
    cli_inventory_stale_text(info, service, text, sizeof text);
    cli_warn("%s", text);
}

void cli_suggest(const edb_meta *m, const char *name, char *out, size_t n)
{
    const char *best[3];
    size_t k = edb_meta_suggest(m, name, best, 3);
    out[0] = '\0';
    if (k == 0)
        return;
    size_t o = (size_t)snprintf(out, n, "; did you mean ");
    for (size_t j = 0; j < k && o < n; j++)
        o += (size_t)snprintf(out + o, n - o, "%s%s", j ? ", " : "", best[j]);
    if (o < n)
        snprintf(out + o, n - o, "?");
}

edb_status cli_token_find(const char *token_file, const char *base_url, char **out, edb_err *err)
{
    *out = NULL;
    if (token_file)
        return cli_read_token_file(token_file, out, err);
    const char *env = getenv("MAST_API_TOKEN");
    if (env && *env) {
        if (cli_token_check(env, "MAST_API_TOKEN", err) != EDB_OK)
            return err->status;
        if (!(*out = strdup(env)))
            return edb_err_set(err, EDB_ERR_NOMEM, "out of memory");
        return EDB_OK;
    }
    return cli_netrc_token(base_url, out, err);
}

/* ---- search and info ------------------------------------------------------------------- */

int cli_disco_take(cli_disco *d, const cli_arg *a, edb_err *err)
{
    const char *v = a->value;
    switch (a->opt->id) {
    case DOPT_API: d->api = v; return 1;
    case DOPT_EDP_MISSION: d->edp_mission = v; return 1;
    case DOPT_BASE_URL: d->base_url = v; return 1;
    case DOPT_TOKEN_FILE: d->token_file = v; return 1;
    case DOPT_TOKEN:
        edb_err_set(err, EDB_ERR_USAGE, "the token is never taken on the command line (it "
                    "would show in ps and in shell history): put it in a file and use "
                    "--token-file FILE, or set MAST_API_TOKEN");
        return -1;
    case DOPT_CACERT: d->cacert = v; return 1;
    case DOPT_TIMEOUT: d->timeout = v; return 1;
    case DOPT_RETRIES: d->retries = v; return 1;
    case DOPT_SOURCE: d->source = v; return 1;
    case DOPT_CACHE: d->cache_dir = v; return 1;
    case DOPT_NO_CACHE: d->no_cache = 1; return 1;
    case DOPT_REFRESH: d->refresh = 1; return 1;
    case DOPT_MAX_AGE: d->max_age = v; return 1;
    case DOPT_FORMAT: d->format = v; return 1;
    case DOPT_VERBOSE: d->verbose = 1; return 1;
    case DOPT_QUIET: d->quiet = 1; d->verbose = 0; return 1;
    default: return 0;
    }
}

edb_status cli_disco_open(cli_disco *d, edb_err *err)
{
    edb_client_options co = EDB_CLIENT_OPTIONS_INIT;
    d->co = co;
    if (d->max_age) {
        edb_err derr = EDB_ERR_INIT;
        if (edb_duration_parse(d->max_age, &d->max_age_us, &derr) != EDB_OK || d->max_age_us <= 0)
            return edb_err_set(err, EDB_ERR_USAGE, "--inventory-max-age: %s",
                               derr.msg[0] ? derr.msg : "give a duration longer than 0 (e.g. "
                                                        "1d, 12h)");
    }
    if (d->source) {
        if (d->refresh || d->cache_dir || d->no_cache || d->base_url || d->api)
            return edb_err_set(err, EDB_ERR_USAGE, "--source answers from the store alone: "
                               "drop %s", d->refresh ? "--refresh" : d->cache_dir ? "--cache"
                               : d->no_cache ? "--no-cache" : d->base_url ? "--base-url"
                               : "--api");
        return edb_store_open(&d->store, d->source, err);
    }
    const char *base = d->base_url ? d->base_url : getenv("ENG_BASE_URL");
    if (base && *base)
        d->co.base_url = base;
    if (cli_service_options(&d->co, d->api, d->edp_mission, err) != EDB_OK)
        return err->status;
    const char *timeout = d->timeout ? d->timeout : getenv("ENG_TIMEOUT");
    edb_err terr = EDB_ERR_INIT;
    if (timeout && *timeout && cli_parse_timeout(timeout, &d->co.timeout_us, &terr) != EDB_OK)
        return edb_err_set(err, EDB_ERR_USAGE, "timeout: %s", terr.msg);
    const char *retries = d->retries ? d->retries : getenv("ENG_RETRIES");
    if (retries && *retries) {
        long r;
        if (cli_parse_count("number of retries", retries, 100, &r, err) != EDB_OK)
            return err->status;
        d->co.retries = (int)r;
    }
    d->co.cacert = d->cacert;
    if (d->verbose)
        d->co.log = cli_log_line;
    cli_trap_signals();
    d->co.cancel = &cli_interrupted;
    if (cli_token_find(d->token_file, d->co.base_url, &d->token, err) != EDB_OK)
        return err->status;
    cli_secret_add(d->token);
    d->co.token = d->token;
    edb_status st = edb_base_url_check(d->co.base_url,
                                       d->token != NULL && edb_service_takes_token(d->co.service),
                                       err);
    if (st != EDB_OK)
        return st;
    if (!d->no_cache) {
        /* As get's: the default folder keeps each token's apart; a cache that cannot be had
         * means asking the service, never a failure. */
        edb_err cerr = EDB_ERR_INIT;
        char *dir = d->cache_dir ? cli_cache_dir_named(d->cache_dir, &cerr)
                                 : cli_cache_dir_prepare(&cerr);
        if (dir) {
            edb_cache_options o = EDB_CACHE_OPTIONS_INIT;
            o.dir = dir;
            o.base_url = d->co.base_url;
            o.service = d->co.service;
            o.now = edb_time_now();
            o.refresh = d->refresh;
            o.log = cli_log_line;
            o.per_token = d->cache_dir == NULL;
            o.token = d->token;
            edb_cache_open(&d->cache, &o, &cerr);
            free(dir);
        }
        if (!d->cache && !d->quiet)
            cli_warn("warning: %s; going on without the cache (--cache DIR names another, "
                     "--no-cache says none is wanted)",
                     cerr.msg[0] ? cerr.msg : "no cache folder");
    }
    if ((st = edb_client_new(&d->client, &d->co)) != EDB_OK)
        return edb_err_set(err, st, "cannot set up the HTTP client: %s", edb_strerror(st));
    return EDB_OK;
}

edb_status cli_disco_inventory(cli_disco *d, edb_meta *into, edb_inventory_info *info,
                               char *label, size_t labellen, edb_err *err)
{
    memset(info, 0, sizeof *info);
    if (d->store) {
        edb_err lerr = EDB_ERR_INIT;
        edb_status st = edb_store_load_meta(d->store, into, &lerr);
        if (st == EDB_ERR_NOT_FOUND)
            return edb_err_set(err, EDB_ERR_USAGE, "--source %s holds saved replies and no "
                               "meta.json: nothing to search (search a store in the jwst "
                               "layout, or the service)", d->source);
        if (st != EDB_OK)
            return edb_err_set(err, st, "%s", lerr.msg);
        cli_inventory_label(label, labellen, NULL, NULL, NULL, d->source);
        return EDB_OK;
    }
    edb_status st = cli_inventory_fetch(into, &d->co, d->cache, d->max_age_us, d->refresh, info,
                                        err);
    if (st != EDB_OK)
        return st;
    if (info->origin == EDB_INVENTORY_STALE && !d->quiet)
        cli_inventory_warn_stale(info, d->co.service);
    cli_inventory_label(label, labellen, d->co.service, d->co.base_url, info, NULL);
    return EDB_OK;
}

void cli_disco_close(cli_disco *d)
{
    edb_client_free(d->client);
    edb_cache_free(d->cache);
    edb_store_free(d->store);
    cli_free_secret(d->token);
    d->client = NULL;
    d->cache = NULL;
    d->store = NULL;
    d->token = NULL;
}

/* ---- output ------------------------------------------------------------------------------ */

int cli_stdout_tty(void)
{
    return isatty(STDOUT_FILENO);
}

int cli_terminal_width(void)
{
    struct winsize ws;
    if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
        return ws.ws_col;
    const char *c = getenv("COLUMNS");
    long n = c ? strtol(c, NULL, 10) : 0;
    return n > 0 && n < 10000 ? (int)n : 0;
}

/* Length of the UTF-8 sequence at s (at most left bytes), 0 if it is not one. */
static size_t utf8_len(const unsigned char *s, size_t left)
{
    size_t n = s[0] < 0x80 ? 1 : (s[0] & 0xE0) == 0xC0 ? 2 : (s[0] & 0xF0) == 0xE0 ? 3
             : (s[0] & 0xF8) == 0xF0 ? 4 : 0;
    if (n == 0 || n > left || (n == 2 && s[0] < 0xC2) || (n == 4 && s[0] > 0xF4))
        return 0;
    for (size_t k = 1; k < n; k++)
        if ((s[k] & 0xC0) != 0x80)
            return 0;
    if (n == 3 && ((s[0] == 0xE0 && s[1] < 0xA0) || (s[0] == 0xED && s[1] >= 0xA0)))
        return 0; /* overlong, or a surrogate */
    if (n == 4 && ((s[0] == 0xF0 && s[1] < 0x90) || (s[0] == 0xF4 && s[1] >= 0x90)))
        return 0;
    return n;
}

void cli_json_string(FILE *f, const char *s)
{
    putc('"', f);
    const unsigned char *p = (const unsigned char *)s;
    size_t left = strlen(s);
    while (left > 0) {
        unsigned char ch = *p;
        if (ch == '"' || ch == '\\') {
            putc('\\', f);
            putc(ch, f);
        } else if (ch < 0x20 || ch == 0x7f) {
            fprintf(f, "\\u%04x", ch);
        } else if (ch < 0x80) {
            putc(ch, f);
        } else {
            size_t n = utf8_len(p, left);
            if (n == 0) {
                fputs("\\ufffd", f);
                n = 1;
            } else {
                fwrite(p, 1, n, f);
            }
            p += n;
            left -= n;
            continue;
        }
        p++;
        left--;
    }
    putc('"', f);
}

/* ---- the inventory of a run of get or monitor ------------------------------------------- */

int cli_inventory_for_run(edb_meta **inv, const edb_client_options *co, cli_local *l,
                          const char *recorded, int no_meta, int64_t max_age_us, int quiet,
                          const char *const *names, size_t n, edb_inventory_info *info,
                          char *note, size_t note_n)
{
    edb_err err = EDB_ERR_INIT;
    memset(info, 0, sizeof *info);
    if (note_n)
        note[0] = '\0';
    if (!recorded && no_meta)
        return -1;
    if (edb_meta_new(inv) != EDB_OK)
        return cli_fail(EDB_ERR_NOMEM, "out of memory");
    if (recorded) {
        /* A bundle's copy: what the recorded run used, whole (nothing is asked). */
        if (edb_meta_load_file(*inv, recorded, &err) != EDB_OK)
            return cli_fail(err.status, "--recorded-inventory: %s", err.msg);
        return -1;
    }
    if (l->store) {
        edb_status st = edb_store_load_meta(l->store, *inv, &err);
        if (st != EDB_OK && st != EDB_ERR_NOT_FOUND)
            return cli_fail(st, "%s", err.msg);
        return -1;
    }
    edb_status st = cli_inventory_fetch(*inv, co, l->cache, max_age_us, l->refresh, info, &err);
    if (st == EDB_ERR_INTERRUPTED)
        return cli_fail(st, "interrupted: nothing was written");
    if (st != EDB_OK) {
        memset(info, 0, sizeof *info);
        edb_meta_free(*inv); /* nothing of a half answer */
        *inv = NULL;
        if (!quiet)
            snprintf(note, note_n, "warning: %s; going on without the service's units, "
                     "descriptions and subsystems (--no-meta does not ask)", err.msg);
        return -1;
    }
    if (info->origin == EDB_INVENTORY_STALE && !quiet)
        cli_inventory_stale_text(info, co->service, note, note_n);
    size_t unknown = 0;
    for (size_t k = 0; k < n && info->count > 0; k++)
        unknown += edb_meta_find(*inv, names[k]) == NULL;
    if (unknown && info->origin == EDB_INVENTORY_CACHED) {
        /* The copy may predate a new mnemonic: ask once more before refusing. */
        edb_meta *fresh = NULL;
        edb_inventory_info fi;
        if (edb_meta_new(&fresh) != EDB_OK)
            return cli_fail(EDB_ERR_NOMEM, "out of memory");
        edb_err ferr = EDB_ERR_INIT;
        st = cli_inventory_fetch(fresh, co, l->cache, max_age_us, 1, &fi, &ferr);
        if (st == EDB_ERR_INTERRUPTED) {
            edb_meta_free(fresh);
            return cli_fail(st, "interrupted: nothing was written");
        }
        if (st == EDB_OK && fi.origin == EDB_INVENTORY_FETCHED) {
            edb_meta_free(*inv);
            *inv = fresh;
            *info = fi;
        } else {
            edb_meta_free(fresh);
            info->origin = EDB_INVENTORY_STALE; /* not sure: let the service say */
            snprintf(info->why, sizeof info->why, "%s", st == EDB_OK ? fi.why : ferr.msg);
        }
    }
    return -1;
}

edb_status cli_inventory_record(const edb_meta *inv, cli_local *l, const char *const *names,
                                size_t n, edb_err *err)
{
    if (!l->rec || !inv)
        return EDB_OK;
    edb_meta *used = NULL;
    if (edb_meta_new(&used) != EDB_OK)
        return edb_err_set(err, EDB_ERR_NOMEM, "out of memory");
    edb_status st = EDB_OK;
    for (size_t k = 0; k < n && st == EDB_OK; k++) {
        const edb_meta_entry *e = edb_meta_find(inv, names[k]);
        /* each once, in the order first asked for */
        if (e && !edb_meta_find(used, names[k]))
            st = edb_meta_add(used, e, err);
    }
    char *csv = NULL;
    size_t len = 0;
    if (st == EDB_OK && edb_meta_count(used) > 0) {
        if (edb_meta_format_csv(used, &csv, &len) != EDB_OK)
            st = edb_err_set(err, EDB_ERR_NOMEM, "out of memory");
        else
            st = cli_local_record_inventory(l, csv, len, err);
    }
    free(csv);
    edb_meta_free(used);
    return st;
}
