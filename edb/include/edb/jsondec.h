/* edb/jsondec.h: the streaming decoder of path B and EDP replies (JSON), docs/jsondec.md.
 *
 * What it accepts: one JSON object (RFC 8259, strictly: no trailing commas, no NaN, no
 * leading '+' or zeros, valid UTF-8), optionally after a UTF-8 byte order mark:
 *   {"TlmMnemonic":"SA_ZATTEST1","AllPoints":1,"Count":1607,
 *    "ReqSTime":"/Date(1611628142188+0000)/","ReqETime":"/Date(1611628550185+0000)/",
 *    "Data":[{"ObsTime":"/Date(1611628142147+0000)/","EUValue":-0.209546775}, ...]}
 * Keys come in any order; unknown keys are skipped at every level (any JSON value); a key
 * twice in the reply object or in one sample is an error.  Data may be null (no samples)
 * but not missing.  ObsTime (and ReqSTime, ReqETime) is "/Date(ms)/" or "/Date(ms+hhmm)/"
 * (the milliseconds are UTC either way) or ISO 8601 as the EDP writes it
 * ("2027-02-23T00:59:59.054", optional Z or UTC offset, which is applied).  EUValue is a
 * number or a string.  TlmMnemonic, when present, must name the series' mnemonic (any
 * case); AllPoints 0/1 sets dst->all_points; Count only sizes the allocation.
 *
 * Types.  With a type given (options.vtype, from metadata, or a series that came typed)
 * every value converts to it: to REAL any number, or a string that reads as one; to INT
 * a whole number in int64 range (3.0 and "3" are 3; 3.5 is an error naming the sample);
 * to STRING a string as it is and a number as its JSON text, verbatim.  With no type
 * given the whole reply decides, never its first value: all strings make a STRING
 * series; all numbers an INT series if every one is an integer literal (no '.', no
 * exponent) inside int64, else REAL (so 0 among 0.0123 is REAL); numbers mixed with
 * strings are numeric if every string reads as a number, an error otherwise.  Dropped
 * samples count for typing.  dst->sqltype becomes options.sqltype when given, else
 * "float", "int", "bigint" (an integer outside int32) or "varchar", as the local store
 * names the same values.
 *
 * Range and brackets as the path A decoder: samples outside [start, end] are dropped,
 * except the last one before start (keep_before) and the first one after end
 * (keep_after); finish() sorts samples that came out of order, stably.
 *
 * Errors: EDB_ERR_DATA for malformed or wrong-typed content, EDB_ERR_TRUNCATED at finish
 * for a body that stops early (an empty body included).  The message starts with the
 * byte offset ("byte 1234: ...") and ends with the bytes just before where the problem
 * was found ("near '...'").  The first error sticks until reset.
 *
 * Memory: the body is never kept.  With a type given, samples go straight into the
 * series; without, each waits in 16 bytes (plus its string's bytes) until finish().
 *
 * Ownership: dst is borrowed and must outlive the decoder; messages are borrowed until
 * the next reset or free. */
#ifndef EDB_JSONDEC_H
#define EDB_JSONDEC_H

#include <stddef.h>

#include <edb/decoder.h>
#include <edb/series.h>
#include <edb/status.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct edb_jsondec edb_jsondec;

/* A decoder appending to dst, with o's range, brackets and type (NULL: everything, no
 * brackets, type from the reply).  EDB_ERR_USAGE for a bad argument or a series typed
 * otherwise than o->vtype, EDB_ERR_NOMEM. */
edb_status edb_jsondec_new(edb_jsondec **out, edb_series *dst, const edb_decode_options *o);

/* Feed the next len bytes of the body, any size.  After an error every later call
 * returns it. */
edb_status edb_jsondec_feed(edb_jsondec *d, const char *buf, size_t len);

/* The body is complete: check it ended, type the samples, place kept brackets, sort. */
edb_status edb_jsondec_finish(edb_jsondec *d);

/* Forget everything fed so far and clear the series (a retry starts again). */
void edb_jsondec_reset(edb_jsondec *d);

/* Samples decoded so far (complete elements of Data: brackets and dropped ones too). */
size_t edb_jsondec_rows(const edb_jsondec *d);

/* Bytes the decoder itself holds now, beyond the series (buffers, samples waiting for
 * their type): for tests and benchmarks of its memory. */
size_t edb_jsondec_memory(const edb_jsondec *d);

/* The first error's message, "" if none. */
const char *edb_jsondec_errmsg(const edb_jsondec *d);

void edb_jsondec_free(edb_jsondec *d); /* accepts NULL */

#ifdef __cplusplus
}
#endif
#endif
