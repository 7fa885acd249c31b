/* edb/bundle.h: reproducibility bundles: what a run asked, read and received, and what
 * came out, in one archive that can be checked and replayed years later.
 *
 * A bundle (.tar, .tar.gz, .tgz, .tar.xz or .zip) holds, in this order,
 *   manifest.json  always the first entry: the format (edbx-bundle-2), the edbx version,
 *                  the command as data (its name, the options as parsed, the arguments),
 *                  service and base URL, the query, the time of the run; for every
 *                  request its URL (never a secret in it), HTTP status, when it was
 *                  received, byte count and SHA-256, and the name of its body under raw/;
 *                  for every input and output file its name, byte count and SHA-256
 *   in/N-NAME      a copy of every file the run read besides the replies (--meta, --at,
 *                  -f ...), taken before the run read it
 *   out/NAME       the outputs
 *   raw/NAME       every reply body exactly as received, under its uri name
 *                  (SA_ZATTEST1-20220101T000000-20220102T000000.csv)
 * (entries other than the manifest sorted by name, each of mode 0644 and owner 0, stamped
 * with the run's time, so that the same run gives the same bytes).  raw/ is a store of
 * saved replies (edb/store.h).
 *
 * The library records and checks; what a command means is the command's business: it
 * gives the options as (name, value) pairs and says which name an input or an output
 * file, and it decides on replay which options it accepts.
 *
 * Reading streams: a bundle is never held in memory, so no size limit applies to it below
 * what the disk holds.  What edb_bundle_write writes, edb_bundle_open, _verify and
 * _extract accept: the same limits (entries, manifest size) are enforced on both sides,
 * on writing before the run ends (the recorder refuses the reply that would pass them). */
#ifndef EDB_BUNDLE_H
#define EDB_BUNDLE_H

#include <stddef.h>
#include <stdint.h>

#include <edb/client.h>
#include <edb/status.h>
#include <edb/time.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The most entries a bundle may hold (manifest included): the archive reader's default. */
#define EDB_BUNDLE_ENTRIES_MAX 200000
/* The largest manifest.json, in bytes, written or read. */
#define EDB_BUNDLE_MANIFEST_MAX (UINT64_C(64) << 20)
/* The most options and arguments a recorded command may hold. */
#define EDB_BUNDLE_OPTIONS_MAX 4096
#define EDB_BUNDLE_ARGUMENTS_MAX 100000

typedef struct edb_recorder edb_recorder;

/* Bodies and inputs are spooled to files in a hidden folder made in spool_dir (removed by
 * edb_recorder_free), so that a large pull never sits whole in memory; put it beside the
 * bundle.  NULL: /tmp. */
edb_status edb_recorder_new(edb_recorder **out, const char *spool_dir);
void edb_recorder_free(edb_recorder *r); /* accepts NULL */
/* Hooks that record (they never answer a request); the recorder must outlive the fetch.
 * A reply that would take the bundle past EDB_BUNDLE_ENTRIES_MAX entries or its manifest
 * past EDB_BUNDLE_MANIFEST_MAX fails the fetch with a message saying so. */
void edb_recorder_hooks(edb_recorder *r, edb_reply_hooks *out);
size_t edb_recorder_count(const edb_recorder *r); /* replies kept */

/* An input file of the run (read from path, which the manifest keeps as given): a copy is
 * spooled now, before the run reads it, and becomes in/N-NAME (N its number from 1, NAME
 * its base name with anything but letters, digits, '.', '_' and '-' made '_').  *index
 * (may be NULL) gets its number from 0, for edb_bundle_option.input.  EDB_ERR_IO if it
 * cannot be read or is not a regular file.  edb_bundle_write checks that the file still
 * holds what was copied (a file changed while the run read it is no record). */
edb_status edb_recorder_add_input(edb_recorder *r, const char *path, size_t *index,
                                  edb_err *err);
/* The same for bytes the run got itself rather than read from a file a user named (the
 * inventory of the service): kept as in/N-NAME, listed with `name` as its path; nothing is
 * checked again when the bundle is written.  name has no '/'. */
edb_status edb_recorder_add_input_data(edb_recorder *r, const char *name, const char *data,
                                       size_t len, size_t *index, edb_err *err);
size_t edb_recorder_input_count(const edb_recorder *r);

/* One option of the recorded command. */
typedef struct edb_bundle_option {
    const char *name;  /* long name, without "--" */
    const char *value; /* NULL for a flag */
    size_t input;      /* 1 + the index of the recorded input it names; 0: none */
    size_t output;     /* 1 + the index of the output it names (edb_bundle_write's outs); 0 */
} edb_bundle_option;

/* The command of the run, as data: what replay rebuilds the run from. */
typedef struct edb_bundle_command {
    const char *name;                  /* the subcommand ("get") */
    const edb_bundle_option *options;  /* in the order given */
    size_t n_options;
    const char *const *arguments;      /* the other arguments (mnemonics), in order */
    size_t n_arguments;
    const char *text;                  /* the command line as the outputs record it; shown
                                        * to people, never run */
} edb_bundle_command;

/* What the command tells the manifest about the run. */
typedef struct edb_bundle_info {
    const edb_bundle_command *command; /* NULL: none (the bundle is a record, not replayable) */
    const char *service;      /* "mast", "direct", "edp" */
    const char *base_url;
    const char *const *mnemonics;
    size_t n_mnemonics;
    edb_time start, end;
    int keep_brackets;
    int64_t chunk_us;
    edb_time run_time;        /* "now" of the run: what relative times were counted from */
    /* SOURCE_DATE_EPOCH (seconds), or NULL: recorded, and every time the bundle records
     * (run time, when each reply was received, the entries' times) is clamped to it. */
    const int64_t *source_date_epoch;
    const char *token;        /* if set, the bundle is refused if it appears anywhere in
                               * the manifest */
    const volatile int *cancel; /* optional: stop (EDB_ERR_INTERRUPTED, nothing written) */
    void (*on_entry)(void *ctx, const char *name); /* optional, as edb_archive_write's */
    void *ctx;
} edb_bundle_info;

/* One output file of the run: its name in out/ (NULL: its base name, made safe as input
 * names are) and where it is now. */
typedef struct edb_bundle_output {
    const char *name;
    const char *path;
} edb_bundle_output;

/* Write the bundle to path (atomically: a temporary file beside it, then renamed).
 * EDB_ERR_INSECURE if the token would be in it; EDB_ERR_IO if an input changed since it
 * was recorded, an output cannot be read or the bundle cannot be written; EDB_ERR_DATA if
 * it would pass the limits above. */
edb_status edb_bundle_write(const char *path, const edb_bundle_info *info,
                            const edb_recorder *rec, const edb_bundle_output *outs,
                            size_t n_outs, edb_err *err);

typedef struct edb_bundle edb_bundle;

/* Read a bundle's manifest (its first entry; the archive safety rules of edb/archive.h
 * apply) and check its form: every listed name safe and given once, every size and hash
 * well-formed, every link of an option to an input or output listed.  Nothing else is
 * read until edb_bundle_verify or edb_bundle_extract.  EDB_ERR_DATA when it is not a
 * bundle or its manifest is malformed (the message says what). */
edb_status edb_bundle_open(edb_bundle **out, const char *path, edb_err *err);
void edb_bundle_free(edb_bundle *b); /* accepts NULL */

const char *edb_bundle_version(const edb_bundle *b); /* of the edbx that wrote it */
edb_time edb_bundle_run_time(const edb_bundle *b);
/* 1 and *secs when the run had SOURCE_DATE_EPOCH set, else 0. */
int edb_bundle_source_date_epoch(const edb_bundle *b, int64_t *secs);
const char *edb_bundle_base_url(const edb_bundle *b);
/* The query's mnemonics, in the order asked; borrowed. */
size_t edb_bundle_mnemonic_count(const edb_bundle *b);
const char *edb_bundle_mnemonic(const edb_bundle *b, size_t i);
int64_t edb_bundle_chunk_us(const edb_bundle *b); /* 0 if not recorded */

/* The recorded command: schema 2 (options as data), 1 (an argv, as edbx 0.1 wrote; its
 * arguments through edb_bundle_arg), or 0 (none).  Strings borrowed until _free. */
int edb_bundle_command_schema(const edb_bundle *b);
const char *edb_bundle_command_name(const edb_bundle *b);
size_t edb_bundle_option_count(const edb_bundle *b);
/* Option i (0 past the end); its input and output are indexes + 1, as written. */
int edb_bundle_option_get(const edb_bundle *b, size_t i, edb_bundle_option *out);
size_t edb_bundle_argument_count(const edb_bundle *b);
const char *edb_bundle_argument(const edb_bundle *b, size_t i);
/* Schema 1: the command line from the subcommand on. */
size_t edb_bundle_argc(const edb_bundle *b);
const char *edb_bundle_arg(const edb_bundle *b, size_t i);

size_t edb_bundle_output_count(const edb_bundle *b);
const char *edb_bundle_output_name(const edb_bundle *b, size_t i); /* as in out/ */
/* The output as recorded in the manifest: its length and SHA-256. */
uint64_t edb_bundle_output_size(const edb_bundle *b, size_t i);
const char *edb_bundle_output_sha256(const edb_bundle *b, size_t i);

/* The recorded inputs, in the order the run read them. */
size_t edb_bundle_input_count(const edb_bundle *b);
const char *edb_bundle_input_name(const edb_bundle *b, size_t i); /* as in in/ */
const char *edb_bundle_input_path(const edb_bundle *b, size_t i); /* as given; borrowed */

/* What raw/ and in/ unpack to, in bytes, as the manifest lists them. */
uint64_t edb_bundle_unpacked_size(const edb_bundle *b);

/* Reports of a check: one call per file, ok or what is wrong. */
typedef void (*edb_bundle_report_fn)(void *ctx, const char *file, int ok, const char *why);

/* Read the whole archive again, in pieces, and check every file the manifest lists (raw/,
 * in/ and out/) against its length and SHA-256, that the manifest is the one opened, and
 * that nothing else is there.  fn (may be NULL) hears of each file.  EDB_ERR_DATA if
 * anything failed (err names the first file). */
edb_status edb_bundle_verify(const edb_bundle *b, edb_bundle_report_fn fn, void *ctx,
                             edb_err *err);

/* The same check, also writing every raw/ and in/ file to dir/raw/NAME and dir/in/NAME
 * (dir must exist; files are created new, mode 0600, never through a link), after making
 * sure dir's file system has room for them (EDB_ERR_IO if not).  A file that fails its
 * check is removed; on failure the caller removes dir's contents. */
edb_status edb_bundle_extract(const edb_bundle *b, const char *dir, edb_bundle_report_fn fn,
                              void *ctx, edb_err *err);

#ifdef __cplusplus
}
#endif
#endif
