/* plan.c: a query as a list of requests (edb/plan.h), computed from an index when asked
 * for, so that a plan costs the same whatever the number of chunks. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <edb/mnemonic.h>
#include <edb/plan.h>

#include "plan_internal.h"

struct edb_plan {
    const edb__service *svc;
    edb__svc_conf conf;
    char *base_url; /* owned copies behind conf */
    char *edp_mission, *data_path, *meta_path;
    char (*names)[EDB_MNEMONIC_MAX + 1];
    size_t n_names;
    edb_time start, end;
    int keep_brackets;
    int64_t chunk_us;
    edb_time e0;       /* the first chunk edge, at or before start */
    size_t nchunks;
    int has_meta;
};

static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

static char *dup_or_null(const char *s, int *bad)
{
    if (!s)
        return NULL;
    char *d = edb__strdup(s);
    if (!d)
        *bad = 1;
    return d;
}

edb_status edb__plan_new(edb_plan **out, const edb__service *svc, const edb__svc_conf *conf,
                         const char *const *names, size_t n, edb_time start, edb_time end,
                         int keep_brackets, int64_t chunk_us, edb_err *err)
{
    *out = NULL;
    if (end < start)
        return edb__fail(err, EDB_ERR_USAGE, "the end of the range is before its start");
    if (chunk_us < 0)
        return edb__fail(err, EDB_ERR_USAGE, "the chunk length must be positive");
    edb_plan *p = calloc(1, sizeof *p);
    if (!p)
        return edb__fail(err, EDB_ERR_NOMEM, "out of memory");
    p->names = calloc(n ? n : 1, sizeof *p->names);
    int bad = !p->names;
    p->base_url = dup_or_null(conf->base_url, &bad);
    p->edp_mission = dup_or_null(conf->edp_mission, &bad);
    p->data_path = dup_or_null(conf->data_path, &bad);
    p->meta_path = dup_or_null(conf->meta_path, &bad);
    if (bad) {
        edb_plan_free(p);
        return edb__fail(err, EDB_ERR_NOMEM, "out of memory");
    }
    p->svc = svc;
    p->conf.base_url = p->base_url;
    p->conf.edp_mission = p->edp_mission;
    p->conf.data_path = p->data_path;
    p->conf.meta_path = p->meta_path;
    /* Every name is checked, and asked once, before anything else. */
    for (size_t k = 0; k < n; k++) {
        char name[EDB_MNEMONIC_MAX + 1];
        edb_status st = edb_mnemonic_normalize(names[k], name, sizeof name, err);
        if (st != EDB_OK) {
            edb_plan_free(p);
            return st;
        }
        int dup = 0;
        for (size_t j = 0; j < p->n_names && !dup; j++)
            dup = strcmp(p->names[j], name) == 0;
        if (!dup)
            memcpy(p->names[p->n_names++], name, sizeof name);
    }
    p->start = start;
    p->end = end;
    p->keep_brackets = keep_brackets;
    p->chunk_us = chunk_us;
    p->has_meta = svc->meta_url != NULL;
    p->nchunks = 1;
    p->e0 = start;
    if (chunk_us > 0) {
        p->e0 = floor_div(start, chunk_us) * chunk_us;
        uint64_t span = (uint64_t)end - (uint64_t)p->e0;
        uint64_t m = span / (uint64_t)chunk_us;
        /* An end exactly on an edge belongs to the chunk before it: no one-instant chunk. */
        uint64_t nch = (span % (uint64_t)chunk_us == 0 && m > 0) ? m : m + 1;
        uint64_t per = nch + (uint64_t)p->has_meta;
        if (nch > EDB_PLAN_MAX_REQUESTS ||
            (p->n_names && per > EDB_PLAN_MAX_REQUESTS / p->n_names)) {
            edb_plan_free(p);
            return edb__fail(err, EDB_ERR_USAGE,
                             "the query needs more than %llu requests: use a longer --chunk or a "
                             "shorter range", (unsigned long long)EDB_PLAN_MAX_REQUESTS);
        }
        p->nchunks = (size_t)nch;
    }
    *out = p;
    return EDB_OK;
}

void edb_plan_free(edb_plan *p)
{
    if (!p)
        return;
    free(p->names);
    free(p->base_url);
    free(p->edp_mission);
    free(p->data_path);
    free(p->meta_path);
    free(p);
}

size_t edb_plan_per_mnemonic(const edb_plan *p)
{
    return p->nchunks + (size_t)p->has_meta;
}

size_t edb_plan_chunks(const edb_plan *p)
{
    return p->nchunks;
}

size_t edb_plan_count(const edb_plan *p)
{
    return p ? p->n_names * edb_plan_per_mnemonic(p) : 0;
}

size_t edb_plan_mnemonic_count(const edb_plan *p)
{
    return p ? p->n_names : 0;
}

const char *edb_plan_mnemonic(const edb_plan *p, size_t m)
{
    return m < p->n_names ? p->names[m] : NULL;
}

size_t edb_plan_first(const edb_plan *p, size_t m)
{
    return m * edb_plan_per_mnemonic(p);
}

const char *edb_plan_service(const edb_plan *p)
{
    return p->svc->name;
}

const edb__service *edb__plan_svc(const edb_plan *p)
{
    return p->svc;
}

const edb__svc_conf *edb__plan_conf(const edb_plan *p)
{
    return &p->conf;
}

void edb_plan_get(const edb_plan *p, size_t i, edb_plan_request *out)
{
    memset(out, 0, sizeof *out);
    size_t per = edb_plan_per_mnemonic(p);
    size_t m = i / per, j = i % per;
    out->index = i;
    out->mnemonic = m;
    out->name = p->names[m];
    out->nchunks = p->nchunks;
    if (p->has_meta && j == 0) {
        out->kind = EDB_REQ_META;
        return;
    }
    size_t k = j - (size_t)p->has_meta;
    out->kind = EDB_REQ_DATA;
    out->chunk = k;
    if (p->chunk_us > 0) {
        edb_time a = p->e0 + (edb_time)k * p->chunk_us;
        out->lo = a > p->start ? a : p->start;
        out->hi = k + 1 < p->nchunks ? a + p->chunk_us - 1 : p->end;
    } else {
        out->lo = p->start;
        out->hi = p->end;
    }
    out->keep_before = p->keep_brackets && k == 0;
    out->keep_after = p->keep_brackets && k + 1 == p->nchunks;
    out->wire_lo = edb_time_floor(out->lo, EDB_USEC_PER_SEC);
    out->wire_hi = edb_time_ceil(out->hi, EDB_USEC_PER_SEC);
}

edb_status edb__plan_url(const edb_plan *p, const edb_plan_request *r, edb__buf *out,
                         edb_err *err)
{
    out->len = 0;
    if (r->kind == EDB_REQ_META)
        return p->svc->meta_url(&p->conf, r->name, out, err);
    return p->svc->data_url(&p->conf, r->name, r->wire_lo, r->wire_hi, out, err);
}

const char *edb_plan_header(void)
{
    return "#request\tservice\tkind\tmnemonic\tstart\tend\turl";
}

const char *edb_plan_shard_header(void)
{
    return "#request\tshard\tservice\tkind\tmnemonic\tstart\tend\turl";
}

/* Request i's line; shard is printed after the index unless it is (size_t)-1. */
static int plan_line(const edb_plan *p, size_t i, size_t shard, char *buf, size_t n)
{
    edb_plan_request r;
    edb_plan_get(p, i, &r);
    edb__buf url = {0};
    edb_err err = EDB_ERR_INIT;
    const char *u = edb__plan_url(p, &r, &url, &err) == EDB_OK && url.p ? url.p : "?";
    char a[EDB_TIME_STRLEN] = "-", b[EDB_TIME_STRLEN] = "-", k[24] = "";
    if (r.kind == EDB_REQ_DATA) {
        edb_time_format_iso_us(r.lo, a, sizeof a);
        edb_time_format_iso_us(r.hi, b, sizeof b);
    }
    if (shard != (size_t)-1)
        snprintf(k, sizeof k, "%zu\t", shard);
    int len = snprintf(buf, n, "%zu\t%s%s\t%s\t%s\t%s\t%s\t%s", i, k, p->svc->name,
                       r.kind == EDB_REQ_META ? "meta" : "data", r.name, a, b, u);
    edb__buf_free(&url);
    return len;
}

int edb_plan_line(const edb_plan *p, size_t i, char *buf, size_t n)
{
    return plan_line(p, i, (size_t)-1, buf, n);
}

int edb_plan_shard_line(const edb_plan *p, size_t i, size_t n, char *buf, size_t len)
{
    return plan_line(p, i, edb_plan_shard(p, i, n), buf, len);
}

/* ---- shards ------------------------------------------------------------------------------ */

__extension__ typedef unsigned __int128 u128;

/* Where request i starts on the line of all requests laid end to end, and its size, both
 * in microseconds of one mnemonic: mnemonic m's requests cover [m * D, (m + 1) * D), D the
 * length of the range; its metadata request sits at m * D and weighs nothing. */
static void plan_span(const edb_plan *p, size_t i, u128 *at, u128 *size)
{
    size_t per = edb_plan_per_mnemonic(p);
    size_t m = i / per, j = i % per;
    u128 d = (u128)((uint64_t)p->end - (uint64_t)p->start) + 1;
    *at = (u128)m * d;
    *size = 0;
    if (p->has_meta && j == 0)
        return;
    size_t k = j - (size_t)p->has_meta;
    edb_time lo = p->start, hi = p->end;
    if (p->chunk_us > 0) {
        edb_time a = p->e0 + (edb_time)k * p->chunk_us;
        lo = a > p->start ? a : p->start;
        hi = k + 1 < p->nchunks ? a + p->chunk_us - 1 : p->end;
    }
    *at += (u128)((uint64_t)lo - (uint64_t)p->start);
    *size = (u128)((uint64_t)hi - (uint64_t)lo) + 1;
}

size_t edb_plan_shard(const edb_plan *p, size_t i, size_t n)
{
    if (n <= 1 || !p || i >= edb_plan_count(p))
        return 0;
    if (n > EDB_PLAN_MAX_SHARDS)
        n = EDB_PLAN_MAX_SHARDS;
    u128 at, size;
    plan_span(p, i, &at, &size);
    /* The request's middle, and the line's length, in half microseconds: integers. */
    u128 mid = 2 * at + size;
    u128 total = 2 * (u128)p->n_names * ((u128)((uint64_t)p->end - (uint64_t)p->start) + 1);
    /* mid * n must fit: drop low bits of both alike (which keeps the order of requests, so
     * shards stay runs of consecutive requests) until the line fits in 96 bits. */
    while (total >> 96) {
        total >>= 1;
        mid >>= 1;
    }
    u128 k = mid * n / total;
    return k >= n ? n - 1 : (size_t)k;
}

void edb_plan_shard_range(const edb_plan *p, size_t k, size_t n, size_t *first, size_t *end)
{
    size_t count = edb_plan_count(p);
    if (n == 0)
        n = 1;
    if (n > EDB_PLAN_MAX_SHARDS)
        n = EDB_PLAN_MAX_SHARDS;
    if (k >= n) {
        *first = *end = count;
        return;
    }
    /* The shard of request i never decreases with i: the first request of shard k or
     * later, and of shard k + 1 or later, are found by bisection. */
    size_t bound[2];
    for (int b = 0; b < 2; b++) {
        size_t lo = 0, hi = count;
        while (lo < hi) {
            size_t mid = lo + (hi - lo) / 2;
            if (edb_plan_shard(p, mid, n) < k + (size_t)b)
                lo = mid + 1;
            else
                hi = mid;
        }
        bound[b] = lo;
    }
    *first = bound[0];
    *end = bound[1];
}
