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

int edb_plan_line(const edb_plan *p, size_t i, char *buf, size_t n)
{
    edb_plan_request r;
    edb_plan_get(p, i, &r);
    edb__buf url = {0};
    edb_err err = EDB_ERR_INIT;
    const char *u = edb__plan_url(p, &r, &url, &err) == EDB_OK && url.p ? url.p : "?";
    char a[EDB_TIME_STRLEN] = "-", b[EDB_TIME_STRLEN] = "-";
    if (r.kind == EDB_REQ_DATA) {
        edb_time_format_iso_us(r.lo, a, sizeof a);
        edb_time_format_iso_us(r.hi, b, sizeof b);
    }
    int len = snprintf(buf, n, "%zu\t%s\t%s\t%s\t%s\t%s\t%s", i, p->svc->name,
                       r.kind == EDB_REQ_META ? "meta" : "data", r.name, a, b, u);
    edb__buf_free(&url);
    return len;
}
