/* edb/meta.h: what is known about mnemonics beyond their samples.
 *
 * Path A replies carry no metadata, so units, descriptions and whether a mnemonic reports
 * every sample or only changes (path B's AllPoints) have to come from elsewhere: a MAST
 * inventory saved as CSV (Mast.JwstEdb.Mnemonics: tlmMnemonic, tlmIdentifier, unit,
 * description, sqlDataType, subsystem, and longDescription as Mast.JwstEdb.Dictionary
 * gives it), a path B metadata document (meta.json: TlmMnemonics with SQLType, RawType,
 * EUType, AllPoints, Subsystem), or a store's meta.json.  Several sources may be loaded
 * into one table; a later one only fills the fields earlier ones left unknown.
 *
 * Ownership: an edb_meta owns its strings; entries returned by edb_meta_find are borrowed
 * and valid until the table is next changed or freed.  Entries passed in are copied. */
#ifndef EDB_META_H
#define EDB_META_H

#include <stddef.h>
#include <stdint.h>

#include <edb/series.h>
#include <edb/status.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct edb_meta edb_meta;

/* One mnemonic.  NULL strings are unknown; all_points is -1 unknown, 0 change-only (a
 * sample only when the value changes), 1 every sample; tlm_identifier is -1 unknown.
 * Start a new one from EDB_META_ENTRY_INIT, so that fields added later start unknown. */
typedef struct edb_meta_entry {
    const char *mnemonic;    /* upper-case, as edb_mnemonic_normalize makes it */
    const char *unit;        /* as the EDB names it ("V", "count/s", "asec") */
    const char *description;
    const char *sqltype;     /* as given ("real", "varchar", "VARCHAR(50)") */
    const char *subsystem;
    int all_points;
    int64_t tlm_identifier;       /* the inventory's tlmIdentifier (210961) */
    const char *long_description; /* Mast.JwstEdb.Dictionary's longDescription */
    const char *raw_type;         /* path B RawType ("FL32", "UI8", "CS") */
    const char *eu_type;          /* path B EUType ("FL32", "DS" discrete state, "CS" string) */
} edb_meta_entry;

#define EDB_META_ENTRY_INIT {NULL, NULL, NULL, NULL, NULL, -1, -1, NULL, NULL, NULL}

edb_status edb_meta_new(edb_meta **out);
void edb_meta_free(edb_meta *m); /* accepts NULL */

/* Load a MAST inventory CSV or a path B metadata document (told apart by content: JSON
 * starts with '{').  CSV: a header row naming the columns (case-insensitive, any order;
 * tlmMnemonic is required, unknown columns are ignored; besides the inventory's, also
 * allPoints (0, 1 or empty), rawType and euType, as edb_meta_format_csv writes them),
 * RFC 4180 quoting, CRLF or LF.
 * An empty unit or tlmIdentifier, or the "None" a Python tool writes for a missing one, is
 * unknown; any other tlmIdentifier must be a whole number from 0 to 2^63-1.
 * Names that are not valid mnemonics (edb-protocol section 6) are skipped: nothing could
 * ask for them.  EDB_ERR_IO if the file cannot be read; EDB_ERR_DATA naming the file and
 * the line or element if it is malformed (the table is then unchanged). */
edb_status edb_meta_load_file(edb_meta *m, const char *path, edb_err *err);
/* The same from memory; name is used in messages. */
edb_status edb_meta_load_buffer(edb_meta *m, const char *data, size_t len, const char *name,
                                edb_err *err);

/* Add one entry (copied), filling only the fields that are still unknown for its
 * mnemonic.  EDB_ERR_MNEMONIC if e->mnemonic is not a valid name. */
edb_status edb_meta_add(edb_meta *m, const edb_meta_entry *e, edb_err *err);

/* Add n entries (copied) as one source, as a load does: entries of one name fill each
 * other in order; entries whose name is not a valid mnemonic are skipped and counted in
 * *skipped (may be NULL).  EDB_ERR_NOMEM leaves the table as it was. */
edb_status edb_meta_add_entries(edb_meta *m, const edb_meta_entry *v, size_t n, size_t *skipped,
                                edb_err *err);

/* The entries in name order: edb_meta_get(m, i) for i < edb_meta_count(m) (NULL past the
 * end).  Borrowed. */
size_t edb_meta_count(const edb_meta *m);
const edb_meta_entry *edb_meta_get(const edb_meta *m, size_t i);
/* The entry of mnemonic (normalised here: case and surrounding blanks do not matter), or
 * NULL if the table knows nothing of it.  Borrowed. */
const edb_meta_entry *edb_meta_find(const edb_meta *m, const char *mnemonic);

/* Fill the unit, description, subsystem and all_points of s from the table where s does
 * not know them yet.  A mnemonic the table does not know leaves s as it is.  EDB_ERR_NOMEM
 * only. */
edb_status edb_meta_apply(const edb_meta *m, edb_series *s);

/* The whole table as CSV that edb_meta_load_buffer reads back the same: a header, then one
 * line per entry in name order, LF line ends, RFC 4180 quoting, unknown fields empty:
 *   tlmMnemonic,tlmIdentifier,description,sqlDataType,subsystem,unit,longDescription,
 *   allPoints,rawType,euType
 * (the MAST inventory's columns first, so that tools that read an inventory read it).
 * *out is malloc'ed (the caller frees it), *len its length.  EDB_ERR_NOMEM. */
edb_status edb_meta_format_csv(const edb_meta *m, char **out, size_t *len);

#ifdef __cplusplus
}
#endif
#endif
