/* edb/mastcsv.h: the streaming decoder of path A replies (MAST CSV).
 *
 * Fed the body chunk by chunk as it arrives, in pieces of any size (one byte at a time
 * works); it never needs the whole body in memory.  It checks the header
 * (theTime,MJD,euvalue,sqldataType), accepts CRLF and LF, types values by sqldataType,
 * keeps strings verbatim (RFC 4180 quotes accepted), and appends the samples to a series
 * the caller owns.
 *
 * Brackets: samples outside [start, end] are dropped, except that with keep_brackets the
 * last sample before start and the first after end are kept (the service sends one on
 * each side; because path A URLs carry whole seconds, other samples outside the exact
 * range may come too, and are dropped either way).  Times come from theTime, never from
 * the 10-decimal MJD column.
 *
 * A malformed row fails with EDB_ERR_DATA and a message with its row number and an
 * excerpt; a body that ends inside a line fails with EDB_ERR_TRUNCATED at finish().  A
 * header-only or empty body is zero samples. */
#ifndef EDB_MASTCSV_H
#define EDB_MASTCSV_H

#include <stddef.h>

#include <edb/number.h> /* the number functions used to be declared here */
#include <edb/series.h>
#include <edb/status.h>
#include <edb/time.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct edb_mastcsv edb_mastcsv;

typedef struct edb_mastcsv_options {
    edb_time start;    /* inclusive */
    edb_time end;      /* inclusive */
    int keep_brackets; /* keep the nearest sample on each side of the range */
    int keep_before;   /* keep only the one before start (a chunked query's first chunk) */
    int keep_after;    /* keep only the one after end (its last chunk) */
} edb_mastcsv_options;

#define EDB_MASTCSV_OPTIONS_INIT {EDB_TIME_MIN, EDB_TIME_MAX, 0, 0, 0}

/* A decoder appending to `dst` (borrowed: it must outlive the decoder). */
edb_status edb_mastcsv_new(edb_mastcsv **out, edb_series *dst, const edb_mastcsv_options *o);

/* Feed the next len bytes of the body.  After an error every later call returns it. */
edb_status edb_mastcsv_feed(edb_mastcsv *d, const char *buf, size_t len);

/* The body is complete: decode a last line, place kept brackets, sort if needed. */
edb_status edb_mastcsv_finish(edb_mastcsv *d);

/* Forget everything fed so far and clear the series (a retry starts again). */
void edb_mastcsv_reset(edb_mastcsv *d);

/* Data rows seen so far (brackets and dropped rows included, header excluded). */
size_t edb_mastcsv_rows(const edb_mastcsv *d);

/* The first error's message, "" if none.  Borrowed, valid until the decoder is freed. */
const char *edb_mastcsv_errmsg(const edb_mastcsv *d);

void edb_mastcsv_free(edb_mastcsv *d); /* accepts NULL */

#ifdef __cplusplus
}
#endif
#endif
