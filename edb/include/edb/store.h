/* edb/store.h: local telemetry stores, answering range queries like the service does.
 *
 * A store is a folder in the jwst layout (edb-protocol section 5): meta.json (path B
 * metadata: TlmMnemonics with SQLType, AllPoints...) and one {mnemonic lower-case}_data.json
 * per mnemonic in the path B data format.  A mnemonic's file is parsed on first use and
 * kept.  Queries apply the service's bracket rule.  A store is safe to query from several
 * threads at once. */
#ifndef EDB_STORE_H
#define EDB_STORE_H

#include <edb/series.h>
#include <edb/status.h>
#include <edb/time.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct edb_store edb_store;

/* Open the store at path (a folder).  Fails with EDB_ERR_IO if it is not readable and
 * EDB_ERR_DATA if meta.json is missing or malformed. */
edb_status edb_store_open(edb_store **out, const char *path, edb_err *err);
void edb_store_free(edb_store *s); /* accepts NULL */

/* Samples of `mnemonic` (normalised upper-case) with start <= t <= end, plus, when
 * brackets is set, the last sample before start and the first after end (the service's
 * rule).  *out is a new series owned by the caller; its sqltype is the metadata's SQLType
 * lower-cased without its length ("real", "float", "int", "varchar"), and its vtype the
 * matching one (float series whose JSON holds whole numbers as integers stay REAL).
 * EDB_ERR_NOT_FOUND if the store has no data file for the mnemonic. */
edb_status edb_store_query(edb_store *s, const char *mnemonic, edb_time start, edb_time end,
                           int brackets, edb_series **out, edb_err *err);

#ifdef __cplusplus
}
#endif
#endif
