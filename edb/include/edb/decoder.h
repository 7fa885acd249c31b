/* edb/decoder.h: the decoders of the EDB's replies behind one table of functions.
 *
 * A reply body reaches a decoder in pieces of any size, down to one byte, as it comes off
 * the network or out of a file; the decoder appends the samples to a series the caller
 * owns and never needs the whole body in memory.  The transfer engine, the local stores
 * and the tools call decoders through this table, by name, never one decoder directly:
 *   "mast-csv"  path A replies (text/csv: theTime,MJD,euvalue,sqldataType), edb/mastcsv.h
 *   "json"      path B and EDP replies ({"TlmMnemonic":...,"Data":[{"ObsTime":...,
 *               "EUValue":...}]}), ObsTime as /Date(ms)/ or ISO 8601, edb/jsondec.h
 * Adding a decoder is one file and one entry in decoder.c.
 *
 * Range and brackets: samples outside [start, end] are dropped, except that keep_before
 * keeps the last sample before start and keep_after the first after end (the service
 * sends one on each side).
 *
 * Ownership: the series is borrowed and must outlive the decoder; messages are borrowed
 * until the decoder is freed. */
#ifndef EDB_DECODER_H
#define EDB_DECODER_H

#include <stddef.h>

#include <edb/series.h>
#include <edb/status.h>
#include <edb/time.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct edb_decode_options {
    edb_time start;      /* inclusive */
    edb_time end;        /* inclusive */
    int keep_before;     /* keep the last sample before start */
    int keep_after;      /* keep the first sample after end */
    /* The value type when metadata knows it (from SQLType), EDB_VT_NONE otherwise: a
     * decoder whose format does not say the type (JSON) then types the series from the
     * whole reply, never from its first value. */
    edb_vtype vtype;
    /* The EDB's type name to record in the series ("real", "float", "int", "varchar"),
     * lower-case, or NULL when the reply itself says it or nothing knows it. */
    const char *sqltype;
} edb_decode_options;

#define EDB_DECODE_OPTIONS_INIT {EDB_TIME_MIN, EDB_TIME_MAX, 0, 0, EDB_VT_NONE, NULL}

typedef struct edb_decoder edb_decoder;

/* A decoder of the named kind ("mast-csv", "json") appending to dst.  EDB_ERR_USAGE for
 * an unknown kind, EDB_ERR_NOMEM. */
edb_status edb_decoder_new(edb_decoder **out, const char *kind, edb_series *dst,
                           const edb_decode_options *o);
/* Feed the next len bytes.  After an error every later call returns it. */
edb_status edb_decoder_feed(edb_decoder *d, const char *buf, size_t len);
/* The body is complete: decode what is pending, place kept brackets, type and sort.
 * EDB_ERR_TRUNCATED for a body that stops inside a row or value. */
edb_status edb_decoder_finish(edb_decoder *d);
/* The body will be about `bytes` long (a reply's Content-Length, a saved reply's file
 * size, a cache entry's raw length): a decoder whose rows have a typical length (path A's
 * CSV; not JSON, whose Count says it better) reserves room for that many samples once, so
 * that its series grows from there rather than from nothing.  A hint only: the estimate
 * is capped at EDB_DECODER_HINT_MAX_ROWS (a hostile length makes nothing large be
 * allocated up front; a longer reply grows geometrically from there), memory that cannot
 * be had is not an error, and a wrong hint costs time, never a sample.  Before the first
 * feed. */
#define EDB_DECODER_HINT_MAX_ROWS ((size_t)1 << 22)
void edb_decoder_size_hint(edb_decoder *d, unsigned long long bytes);
/* Forget everything fed so far and clear the series (a retry starts again). */
void edb_decoder_reset(edb_decoder *d);
/* The first error's message, "" if none. */
const char *edb_decoder_errmsg(const edb_decoder *d);
const char *edb_decoder_kind(const edb_decoder *d);
void edb_decoder_free(edb_decoder *d); /* accepts NULL */
/* Is this a decoder name? */
int edb_decoder_known(const char *kind);

#ifdef __cplusplus
}
#endif
#endif
