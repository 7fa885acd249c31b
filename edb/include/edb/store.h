/* edb/store.h: local telemetry stores, answering range queries like the service does.
 *
 * A store is a folder or an archive (.tar, .tar.gz, .tgz, .tar.xz, .zip; read into memory
 * under the safety rules of edb/archive.h, never unpacked to disk) holding either
 *  - the jwst layout (edb-protocol section 5): meta.json (path B metadata: TlmMnemonics
 *    with SQLType, AllPoints...) and one {mnemonic lower-case}_data.json per mnemonic in
 *    the path B data format; or
 *  - path A replies saved under their uri names (SA_ZATTEST1-20220101T000000-
 *    20220102T000000.csv), as a bundle's raw/ holds them.
 * The layout may sit at the top, in an archive's single top folder, or in raw/.  A
 * mnemonic's data is parsed on first use and kept.  Queries apply the service's bracket
 * rule; saved replies answer only inside the time they cover.  A store is safe to query
 * from several threads at once. */
#ifndef EDB_STORE_H
#define EDB_STORE_H

#include <edb/archive.h>
#include <edb/client.h>
#include <edb/meta.h>
#include <edb/series.h>
#include <edb/status.h>
#include <edb/time.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct edb_store edb_store;

/* Open the store at path (a folder or an archive).  Fails with EDB_ERR_IO if it is not
 * readable and EDB_ERR_DATA if it holds neither layout, meta.json is malformed, or an
 * archive breaks a safety rule (the message names the entry). */
edb_status edb_store_open(edb_store **out, const char *path, edb_err *err);
/* The same with other archive limits (NULL: the defaults). */
edb_status edb_store_open_ex(edb_store **out, const char *path, const edb_archive_limits *lim,
                             edb_err *err);
/* What the store's meta.json says of mnemonic (any case): fills *out with the name,
 * SQLType (lower-case, no length), Subsystem and AllPoints (strings borrowed, valid while
 * the store is open; no unit or description, meta.json has none) and returns 1; returns 0
 * with every field unknown when meta.json does not list it or the store holds replies. */
int edb_store_meta(const edb_store *s, const char *mnemonic, edb_meta_entry *out);
/* 1 if the store holds saved path A replies, 0 for the jwst layout. */
int edb_store_is_replies(const edb_store *s);
void edb_store_free(edb_store *s); /* accepts NULL */

/* Samples of `mnemonic` (normalised upper-case) with start <= t <= end, plus, when
 * brackets is set, the last sample before start and the first after end (the service's
 * rule).  *out is a new series owned by the caller; its sqltype is the metadata's SQLType
 * lower-cased without its length ("real", "float", "int", "varchar"), and its vtype the
 * matching one (float series whose JSON holds whole numbers as integers stay REAL).
 * EDB_ERR_NOT_FOUND if the store has no data file for the mnemonic. */
edb_status edb_store_query(edb_store *s, const char *mnemonic, edb_time start, edb_time end,
                           int brackets, edb_series **out, edb_err *err);

/* The body of the path A reply the service would send for mnemonic over the whole-second
 * range [start, end], brackets included: a saved reply asked for by exactly its range as
 * saved (byte for byte), else the samples formatted as the service formats them (the
 * bytes `edbx serve` sends).  *body is malloc'ed (the caller frees it), *len its length. */
edb_status edb_store_reply(edb_store *s, const char *mnemonic, edb_time start, edb_time end,
                           char **body, size_t *len, edb_err *err);

/* Reply hooks (edb/client.h) answering every request from the store: pass them in
 * edb_client_options.hooks, with offline = 1 for a store as the only source.  A mnemonic
 * the store does not have fails with EDB_ERR_NOT_FOUND.  The store must outlive the
 * client's fetches. */
void edb_store_hooks(edb_store *s, edb_reply_hooks *out);

/* Read and decode the data of these mnemonics now, on up to `threads` threads (each
 * mnemonic's file is decoded once, by one thread), so that the queries that follow find
 * it ready: a local source then uses every core.  service names the replies to read in a
 * store of saved replies ("mast", "direct", "edp"; NULL: any).  [start, end] is the range
 * the queries will ask (EDB_TIME_MIN, EDB_TIME_MAX: not known): a mnemonic with a saved
 * reply of exactly that whole-second range is left alone, since that reply's bytes
 * answer it.  Errors are not reported here: the query of that mnemonic reports them. */
void edb_store_prefetch(edb_store *s, const char *service, const char *const *mnemonics,
                        size_t n, edb_time start, edb_time end, int threads);

/* edb_store_prefetch in the background, while a fetch runs (`edbx get`): these mnemonics
 * are decoded on threads - 1 threads (the caller's is busy with the fetch; at least one),
 * in the order given, at most that many of them decoded (or being decoded) and not yet
 * asked for at a time, so that every core works and the memory is a few series, not all
 * of them.  A query of one being decoded waits for it; a
 * query of one not yet begun reads it itself.  exact = 1 (with single-use on): a mnemonic
 * with a saved path A reply of exactly [start, end] (whole seconds) is decoded ahead too,
 * from that reply's bytes, as the client's decoder decodes the one request of an
 * unchunked query over [start, end] with its brackets, and handed over as samples: for a
 * caller with no tap that needs the reply's bytes (no bundle).  Outputs are the same as
 * without it.  Stop it (edb_store_read_ahead_stop, which waits for the threads and frees
 * what was not asked for) once the fetch is over; edb_store_free stops it too. */
void edb_store_read_ahead(edb_store *s, const char *service, const char *const *mnemonics,
                          size_t n, edb_time start, edb_time end, int threads, int exact);
void edb_store_read_ahead_stop(edb_store *s); /* accepts NULL, and a store without one */

/* on = 1: each parsed series has one query (`edbx get`), which the store hands it to
 * (cut in place, through the sink's series_take) instead of keeping it for queries that
 * will not come: the samples are in memory once.  A mnemonic asked again is read again.
 * Off (the default) for a store shared by many queries (`edbx serve`). */
void edb_store_set_single_use(edb_store *s, int on);

#ifdef __cplusplus
}
#endif
#endif
