/* decoder.c: the table of reply decoders (edb/decoder.h).  One entry per decoder; the
 * rest of libedb reaches them only through edb_decoder_*. */
#include <stdlib.h>
#include <string.h>

#include <edb/decoder.h>
#include <edb/jsondec.h>
#include <edb/mastcsv.h>

#include "internal.h"

typedef struct decoder_vt {
    const char *name;
    edb_status (*create)(void **out, edb_series *dst, const edb_decode_options *o);
    edb_status (*feed)(void *d, const char *buf, size_t len);
    edb_status (*finish)(void *d);
    void (*reset)(void *d);
    const char *(*errmsg)(const void *d);
    void (*destroy)(void *d);
    /* The typical length of one row in bytes, for size hints; 0: hints are not used. */
    size_t row_bytes;
} decoder_vt;

struct edb_decoder {
    const decoder_vt *vt;
    void *impl;
    edb_series *dst;
};

/* ---- path A: MAST CSV ------------------------------------------------------------------ */

static edb_status csv_create(void **out, edb_series *dst, const edb_decode_options *o)
{
    edb_mastcsv_options mo = EDB_MASTCSV_OPTIONS_INIT;
    mo.start = o->start;
    mo.end = o->end;
    mo.keep_before = o->keep_before;
    mo.keep_after = o->keep_after;
    return edb_mastcsv_new((edb_mastcsv **)out, dst, &mo);
}
static edb_status csv_feed(void *d, const char *buf, size_t len)
{
    return edb_mastcsv_feed(d, buf, len);
}
static edb_status csv_finish(void *d)
{
    return edb_mastcsv_finish(d);
}
static void csv_reset(void *d)
{
    edb_mastcsv_reset(d);
}
static const char *csv_errmsg(const void *d)
{
    return edb_mastcsv_errmsg(d);
}
static void csv_destroy(void *d)
{
    edb_mastcsv_free(d);
}

/* ---- path B and EDP: JSON -------------------------------------------------------------- */

static edb_status json_create(void **out, edb_series *dst, const edb_decode_options *o)
{
    return edb_jsondec_new((edb_jsondec **)out, dst, o);
}
static edb_status json_feed(void *d, const char *buf, size_t len)
{
    return edb_jsondec_feed(d, buf, len);
}
static edb_status json_finish(void *d)
{
    return edb_jsondec_finish(d);
}
static void json_reset(void *d)
{
    edb_jsondec_reset(d);
}
static const char *json_errmsg(const void *d)
{
    return edb_jsondec_errmsg(d);
}
static void json_destroy(void *d)
{
    edb_jsondec_free(d);
}

/* A path A row is "2022-01-01 00:00:00.259000,59580.0000029977,0.1235735092,real\r\n":
 * 62-64 bytes for real values as the EDB prints them, about 50 for short integers; 56
 * reserves a little more than most replies fill and rarely grows once more.  JSON replies
 * carry their Count, which the decoder grows towards instead. */
static const decoder_vt decoders[] = {
    {"mast-csv", csv_create, csv_feed, csv_finish, csv_reset, csv_errmsg, csv_destroy, 56},
    {"json", json_create, json_feed, json_finish, json_reset, json_errmsg, json_destroy, 0},
};
#define N_DECODERS (sizeof decoders / sizeof decoders[0])

static const decoder_vt *find(const char *kind)
{
    for (size_t k = 0; kind && k < N_DECODERS; k++)
        if (strcmp(decoders[k].name, kind) == 0)
            return &decoders[k];
    return NULL;
}

int edb_decoder_known(const char *kind)
{
    return find(kind) != NULL;
}

edb_status edb_decoder_new(edb_decoder **out, const char *kind, edb_series *dst,
                           const edb_decode_options *o)
{
    *out = NULL;
    const decoder_vt *vt = find(kind);
    if (!vt)
        return EDB_ERR_USAGE;
    edb_decode_options def = EDB_DECODE_OPTIONS_INIT;
    edb_decoder *d = calloc(1, sizeof *d);
    if (!d)
        return EDB_ERR_NOMEM;
    d->vt = vt;
    d->dst = dst;
    edb_status st = vt->create(&d->impl, dst, o ? o : &def);
    if (st != EDB_OK) {
        free(d);
        return st;
    }
    *out = d;
    return EDB_OK;
}

edb_status edb_decoder_feed(edb_decoder *d, const char *buf, size_t len)
{
    return d->vt->feed(d->impl, buf, len);
}

edb_status edb_decoder_finish(edb_decoder *d)
{
    return d->vt->finish(d->impl);
}

void edb_decoder_reset(edb_decoder *d)
{
    d->vt->reset(d->impl);
}

const char *edb_decoder_errmsg(const edb_decoder *d)
{
    return d ? d->vt->errmsg(d->impl) : "";
}

const char *edb_decoder_kind(const edb_decoder *d)
{
    return d ? d->vt->name : "";
}

void edb_decoder_free(edb_decoder *d)
{
    if (!d)
        return;
    d->vt->destroy(d->impl);
    free(d);
}

void edb_decoder_size_hint(edb_decoder *d, unsigned long long bytes)
{
    if (!d || !d->dst || d->vt->row_bytes == 0 || bytes == 0)
        return;
    unsigned long long rows = bytes / d->vt->row_bytes + 2; /* and the brackets */
    if (rows > EDB_DECODER_HINT_MAX_ROWS)
        rows = EDB_DECODER_HINT_MAX_ROWS;
    /* memory that cannot be had now is asked for again as the samples come */
    (void)edb_series_reserve(d->dst, d->dst->n + (size_t)rows);
}
