/* discovery.c: the inventory of a service and what it says of one mnemonic, through the
 * cache; a store's meta.json as an inventory; "did you mean" (edb/discovery.h).
 *
 * Which request asks what is the service table's business (service.h: inventory_url,
 * inventory_portal, meta_url, meta_parse); the portal's protocol is portal.c's; the HTTP
 * is the transfer engine's (edb__client_http).  The cache keeps the inventory as the CSV
 * edb_meta_format_csv writes (every field of every source, read back by the same loader
 * as a --meta file), not as the service's replies: the portal's come in pages, and one
 * form for every service keeps the cache's copy simple to check and to read. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <edb/discovery.h>

#include "discovery_internal.h"

/* Path B and EDP metadata documents: the whole inventory is about 2 MB. */
#define TLM_REPLY_MAX ((size_t)256 << 20)

static const edb_discovery_options *opts_or_default(const edb_discovery_options *o)
{
    static const edb_discovery_options def = EDB_DISCOVERY_OPTIONS_INIT;
    return o ? o : &def;
}

/* The message of a failed call goes to the client, as its fetch's would. */
static edb_status client_fail(edb_client *c, const edb_err *e)
{
    edb__client_set_error(c, e);
    return e->status;
}

edb_status edb_client_inventory(edb_client *c, const edb_discovery_options *o, edb_meta *into)
{
    edb_err err = EDB_ERR_INIT;
    edb__client_clear_error(c);
    o = opts_or_default(o);
    const edb__service *svc = edb__client_service(c);
    if (!svc->inventory_url) {
        edb__fail(&err, EDB_ERR_USAGE, "the %s service lists no inventory", svc->label);
        return client_fail(c, &err);
    }
    edb__buf url = {0};
    edb_status st = svc->inventory_url(edb__client_conf(c), &url, &err);
    if (st == EDB_OK && svc->inventory_portal) {
        st = edb__portal_call(c, url.p, "Mast.JwstEdb.Mnemonics", NULL, o->pagesize, o->poll_us,
                              into, &err);
    } else if (st == EDB_OK) {
        edb__buf body = {0};
        long http = 0;
        char what[96];
        snprintf(what, sizeof what, "the inventory of the %s service", svc->label);
        edb__http_req q = {what, "GET", url.p, NULL, NULL, 0, TLM_REPLY_MAX};
        edb_err herr = EDB_ERR_INIT;
        st = edb__client_http(c, &q, &body, &http, &herr);
        if (st == EDB_ERR_NOT_FOUND)
            /* Where every mnemonic is listed, nothing is: not this service there. */
            st = edb__fail(&err, EDB_ERR_NETWORK, "%s; %s does not answer as the EDB's %s "
                           "service: check --base-url / ENG_BASE_URL and --api", herr.msg,
                           edb__client_conf(c)->base_url, svc->label);
        else if (st != EDB_OK)
            edb__fail(&err, st, "%s", herr.msg);
        if (st == EDB_OK) {
            edb_err lerr = EDB_ERR_INIT;
            st = edb_meta_load_buffer(into, body.p ? body.p : "", body.len, url.p, &lerr);
            if (st != EDB_OK)
                edb__fail(&err, st, "%s: the reply does not read: %s", what, lerr.msg);
        }
        edb__buf_free(&body);
    }
    edb__buf_free(&url);
    return st == EDB_OK ? EDB_OK : client_fail(c, &err);
}

edb_status edb_client_describe(edb_client *c, const edb_discovery_options *o,
                               const char *mnemonic, edb_meta *into)
{
    edb_err err = EDB_ERR_INIT;
    edb__client_clear_error(c);
    o = opts_or_default(o);
    char name[EDB_MNEMONIC_MAX + 1];
    if (edb_mnemonic_normalize(mnemonic, name, sizeof name, &err) != EDB_OK)
        return client_fail(c, &err);
    const edb__service *svc = edb__client_service(c);
    edb_status st = EDB_OK;
    if (svc->inventory_portal && svc->inventory_url) {
        edb__buf url = {0};
        edb_meta *one = NULL;
        st = svc->inventory_url(edb__client_conf(c), &url, &err);
        if (st == EDB_OK && edb_meta_new(&one) != EDB_OK)
            st = edb__fail(&err, EDB_ERR_NOMEM, "out of memory");
        if (st == EDB_OK)
            st = edb__portal_call(c, url.p, "Mast.JwstEdb.Dictionary", name, o->pagesize,
                                  o->poll_us, one, &err);
        const edb_meta_entry *e = st == EDB_OK ? edb_meta_find(one, name) : NULL;
        if (st == EDB_OK && !e)
            st = edb__fail(&err, EDB_ERR_NOT_FOUND, "%s: the MAST portal's "
                           "Mast.JwstEdb.Dictionary does not list it", name);
        if (st == EDB_OK)
            st = edb_meta_add(into, e, &err);
        edb_meta_free(one);
        edb__buf_free(&url);
    } else if (svc->meta_url && svc->meta_parse) {
        edb__buf url = {0}, body = {0};
        st = svc->meta_url(edb__client_conf(c), name, &url, &err);
        char what[96];
        snprintf(what, sizeof what, "%s: the metadata of the %s service", name, svc->label);
        long http = 0;
        edb__http_req q = {what, "GET", url.p, NULL, NULL, 0, EDB__META_REPLY_MAX};
        if (st == EDB_OK)
            st = edb__client_http(c, &q, &body, &http, &err);
        if (st == EDB_OK) {
            edb_meta_entry e;
            void *keep = NULL;
            edb_err perr = EDB_ERR_INIT;
            int got = svc->meta_parse(body.p ? body.p : "", body.len, name, &e, &keep, &perr);
            if (got < 0)
                st = edb__fail(&err, EDB_ERR_DATA, "%s: %s", what, perr.msg);
            else if (got == 0)
                st = edb__fail(&err, EDB_ERR_NOT_FOUND, "%s: the %s service's metadata does "
                               "not list it", name, svc->label);
            else
                st = edb_meta_add(into, &e, &err);
            edb__meta_keep_free(keep);
        }
        edb__buf_free(&url);
        edb__buf_free(&body);
    } else {
        st = edb__fail(&err, EDB_ERR_USAGE, "the %s service has no metadata", svc->label);
    }
    return st == EDB_OK ? EDB_OK : client_fail(c, &err);
}

int edb_discovery_source(const char *service, int describe, char *out, size_t n)
{
    const edb__service *svc = edb__service_find(service);
    if (!svc)
        return -1;
    if (svc->inventory_portal)
        snprintf(out, n, "%s", describe ? "Mast.JwstEdb.Dictionary" : "Mast.JwstEdb.Mnemonics");
    else
        snprintf(out, n, "the %s of the %s service", describe ? "metadata" : "inventory",
                 svc->label);
    return 0;
}

/* ---- through the cache ------------------------------------------------------------------ */

/* The cache's copy into a table of its own (so that a copy that does not read leaves
 * nothing behind): 1 read, 0 none, with *stored. */
static int cached_copy(edb_cache *cache, edb_meta **out, edb_time *stored)
{
    *out = NULL;
    char *data = NULL;
    size_t len = 0;
    edb_err e = EDB_ERR_INIT;
    if (!cache || edb_cache_inventory_get(cache, &data, &len, stored, &e) != EDB_OK)
        return 0;
    edb_meta *m = NULL;
    int ok = edb_meta_new(&m) == EDB_OK &&
             edb_meta_load_buffer(m, data, len, "the cached inventory", &e) == EDB_OK;
    free(data);
    if (!ok) {
        /* Written by edbx and checksummed: a copy that does not read is from another edbx;
         * the service's replaces it. */
        edb_meta_free(m);
        return 0;
    }
    *out = m;
    return 1;
}

/* Add every entry of src to dst as one source. */
static edb_status merge(edb_meta *dst, const edb_meta *src, edb_err *err)
{
    size_t n = edb_meta_count(src);
    edb_meta_entry *v = calloc(n ? n : 1, sizeof *v);
    if (!v)
        return edb__fail(err, EDB_ERR_NOMEM, "out of memory");
    for (size_t k = 0; k < n; k++)
        v[k] = *edb_meta_get(src, k);
    edb_status st = edb_meta_add_entries(dst, v, n, NULL, err);
    free(v);
    return st;
}

edb_status edb_inventory_load(edb_meta *into, edb_client *c, const edb_inventory_options *o,
                              edb_inventory_info *info, edb_err *err)
{
    memset(info, 0, sizeof *info);
    int64_t max_age = o->max_age_us > 0 ? o->max_age_us : EDB_INVENTORY_MAX_AGE_US;
    edb_meta *copy = NULL, *fresh = NULL;
    edb_time stored = 0;
    int have_copy = cached_copy(o->cache, &copy, &stored);
    edb_status st = EDB_OK;
    if (have_copy && !o->refresh && o->now - stored <= max_age && stored <= o->now) {
        info->origin = EDB_INVENTORY_CACHED;
        info->stored = stored;
        info->count = edb_meta_count(copy);
        st = merge(into, copy, err);
        edb_meta_free(copy);
        return st;
    }
    if (edb_meta_new(&fresh) != EDB_OK) {
        edb_meta_free(copy);
        return edb__fail(err, EDB_ERR_NOMEM, "out of memory");
    }
    st = edb_client_inventory(c, &o->disco, fresh);
    if (st == EDB_OK) {
        info->origin = EDB_INVENTORY_FETCHED;
        info->stored = o->now;
        info->count = edb_meta_count(fresh);
        if (o->cache) {
            char *csv = NULL;
            size_t len = 0;
            edb_err cerr = EDB_ERR_INIT;
            info->not_stored = edb_meta_format_csv(fresh, &csv, &len) != EDB_OK ||
                               edb_cache_inventory_put(o->cache, csv, len, o->now, &cerr) !=
                                   EDB_OK;
            free(csv);
        }
        st = merge(into, fresh, err);
    } else if (have_copy && st != EDB_ERR_INTERRUPTED) {
        /* The service cannot be asked: an old copy is better than none. */
        info->origin = EDB_INVENTORY_STALE;
        info->stored = stored;
        info->count = edb_meta_count(copy);
        snprintf(info->why, sizeof info->why, "%s", edb_client_errmsg(c));
        st = merge(into, copy, err);
    } else {
        edb__fail(err, st, "%s", edb_client_errmsg(c));
    }
    edb_meta_free(copy);
    edb_meta_free(fresh);
    return st;
}

edb_status edb_store_load_meta(edb_store *s, edb_meta *into, edb_err *err)
{
    edb__buf b = {0};
    edb_status st = edb__store_meta_json(s, &b, err);
    if (st == EDB_OK)
        st = edb_meta_load_buffer(into, b.p ? b.p : "", b.len, "the store's meta.json", err);
    edb__buf_free(&b);
    return st;
}

/* ---- did you mean ----------------------------------------------------------------------- */

static char up(char c)
{
    return c >= 'a' && c <= 'z' ? (char)(c - 'a' + 'A') : c;
}

/* The optimal string alignment distance of a and b (upper-cased), or limit + 1 as soon as
 * it is sure to pass limit.  Three rows of at most EDB_MNEMONIC_MAX + 1 cells. */
static int osa_distance(const char *a, size_t la, const char *b, size_t lb, int limit)
{
    int rows[3][EDB_MNEMONIC_MAX + 2];
    int *pp = rows[0], *p = rows[1], *cur = rows[2];
    for (size_t j = 0; j <= lb; j++)
        p[j] = (int)j;
    for (size_t i = 1; i <= la; i++) {
        cur[0] = (int)i;
        int best = cur[0];
        for (size_t j = 1; j <= lb; j++) {
            int cost = up(a[i - 1]) != up(b[j - 1]);
            int d = p[j] + 1;
            if (cur[j - 1] + 1 < d)
                d = cur[j - 1] + 1;
            if (p[j - 1] + cost < d)
                d = p[j - 1] + cost;
            if (i > 1 && j > 1 && up(a[i - 1]) == up(b[j - 2]) && up(a[i - 2]) == up(b[j - 1]) &&
                pp[j - 2] + 1 < d)
                d = pp[j - 2] + 1;
            cur[j] = d;
            if (d < best)
                best = d;
        }
        if (best > limit)
            return limit + 1;
        int *t = pp;
        pp = p;
        p = cur;
        cur = t;
    }
    return p[lb];
}

static int starts_with(const char *s, size_t ls, const char *prefix, size_t lp)
{
    if (lp > ls)
        return 0;
    for (size_t k = 0; k < lp; k++)
        if (up(s[k]) != up(prefix[k]))
            return 0;
    return 1;
}

typedef struct cand {
    const char *name;
    int d;
} cand;

size_t edb_meta_suggest(const edb_meta *m, const char *name, const char **out, size_t max)
{
    if (!name || !out || max == 0)
        return 0;
    size_t ln = strlen(name);
    /* Past the longest name there is nothing to compare with: the shape alone is wrong. */
    if (ln == 0 || ln > EDB_MNEMONIC_MAX)
        return 0;
    const int limit = ln <= 4 ? 1 : ln <= 8 ? 2 : 3;
    cand best[8];
    size_t nbest = 0;
    if (max > sizeof best / sizeof best[0])
        max = sizeof best / sizeof best[0];
    for (size_t k = 0; k < edb_meta_count(m); k++) {
        const char *e = edb_meta_get(m, k)->mnemonic;
        size_t le = strlen(e);
        int prefix = (le >= ln && ln >= 4 && starts_with(e, le, name, ln)) ||
                     (ln >= le && le >= 4 && starts_with(name, ln, e, le));
        size_t diff = le > ln ? le - ln : ln - le;
        if (!prefix && diff > (size_t)limit)
            continue;
        /* A name already worse than the max-th kept cannot enter. */
        int cut = prefix ? EDB_MNEMONIC_MAX : limit;
        if (nbest == max && best[max - 1].d < cut)
            cut = best[max - 1].d;
        int d = osa_distance(name, ln, e, le, cut);
        if (d > cut || (!prefix && d > limit))
            continue;
        /* Insert in (distance, name) order; names come in byte order, so a tie keeps the
         * one already there. */
        size_t at = nbest;
        while (at > 0 && best[at - 1].d > d)
            at--;
        if (at >= max)
            continue;
        size_t last = nbest < max ? nbest : max - 1;
        for (size_t j = last; j > at; j--)
            best[j] = best[j - 1];
        best[at].name = e;
        best[at].d = d;
        if (nbest < max)
            nbest++;
    }
    for (size_t k = 0; k < nbest; k++)
        out[k] = best[k].name;
    return nbest;
}
