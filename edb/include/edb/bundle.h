/* edb/bundle.h: reproducibility bundles: what a run asked, what the EDB answered, and
 * what came out, in one archive that can be checked and replayed years later.
 *
 * A bundle (.tar, .tar.gz, .tgz, .tar.xz or .zip) holds
 *   manifest.json  edbx version, the command line (secrets removed), service and base
 *                  URL, the query, the UTC time of the run; for every request its URL
 *                  (never a secret in it), HTTP status, byte count and SHA-256, and the
 *                  name of its body under raw/; for every output its name, byte count
 *                  and SHA-256
 *   raw/NAME       every reply body exactly as received, under its uri name
 *                  (SA_ZATTEST1-20220101T000000-20220102T000000.csv)
 *   out/NAME       the outputs
 *   in/N-NAME      the input files the run read besides the replies (--meta files), in
 *                  the order given, so that a replay needs nothing outside the bundle;
 *                  manifest.json lists each with the path it was given as
 * raw/ is a store of saved replies (edb/store.h): opening the bundle itself as a store
 * answers the recorded requests with the recorded bytes.
 *
 * A recorder is a set of reply hooks that keeps a copy of every complete reply body of a
 * fetch, whether it came from the network or from a local source or cache.  Re-running
 * the recorded command is the command's business (it sits above the library). */
#ifndef EDB_BUNDLE_H
#define EDB_BUNDLE_H

#include <stddef.h>

#include <edb/client.h>
#include <edb/status.h>
#include <edb/time.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct edb_recorder edb_recorder;

/* Bodies are spooled to files in spool_dir as they arrive (a hidden folder is made there
 * and removed by edb_recorder_free), so that a large pull never sits whole in memory; put
 * it beside the bundle.  NULL: /tmp. */
edb_status edb_recorder_new(edb_recorder **out, const char *spool_dir);
void edb_recorder_free(edb_recorder *r); /* accepts NULL */
/* Hooks that record (they never answer a request); the recorder must outlive the fetch. */
void edb_recorder_hooks(edb_recorder *r, edb_reply_hooks *out);
size_t edb_recorder_count(const edb_recorder *r);

/* An input file of the run (a --meta file): the path as given on the command line, which
 * is also where it is read from.  name: its name in in/ (NULL: "N-BASENAME", N counting
 * from 1, so that two files of the same basename stay apart). */
typedef struct edb_bundle_input {
    const char *name;
    const char *path;
} edb_bundle_input;

/* What the command tells the manifest about the run. */
typedef struct edb_bundle_info {
    const char *const *argv;  /* the command line from the subcommand on ("get", ...) */
    size_t argc;
    const char *service;      /* "mast", "direct", "edp" */
    const char *base_url;
    const char *const *mnemonics;
    size_t n_mnemonics;
    edb_time start, end;
    int keep_brackets;
    int64_t chunk_us;
    edb_time run_time;
    const char *token;        /* if set: removed from the command line wherever it shows,
                               * and the bundle is refused if it appears anywhere in it */
    const edb_bundle_input *inputs; /* streamed into in/; may be NULL */
    size_t n_inputs;
} edb_bundle_info;

/* One output file of the run: its name in out/ and where it is now. */
typedef struct edb_bundle_output {
    const char *name;
    const char *path;
} edb_bundle_output;

/* Write the bundle to path (atomically: a temporary file beside it, then renamed). */
edb_status edb_bundle_write(const char *path, const edb_bundle_info *info,
                            const edb_recorder *rec, const edb_bundle_output *outs,
                            size_t n_outs, edb_err *err);

typedef struct edb_bundle edb_bundle;

/* Read a bundle (the archive safety rules of edb/archive.h apply) and its manifest.
 * EDB_ERR_DATA when it is not a bundle or its manifest is malformed. */
edb_status edb_bundle_open(edb_bundle **out, const char *path, edb_err *err);
void edb_bundle_free(edb_bundle *b); /* accepts NULL */

/* The recorded command line (from the subcommand on); borrowed. */
size_t edb_bundle_argc(const edb_bundle *b);
const char *edb_bundle_arg(const edb_bundle *b, size_t i);
edb_time edb_bundle_run_time(const edb_bundle *b);
/* The query's mnemonics, in the order asked; borrowed. */
size_t edb_bundle_mnemonic_count(const edb_bundle *b);
const char *edb_bundle_mnemonic(const edb_bundle *b, size_t i);
const char *edb_bundle_base_url(const edb_bundle *b);
const char *edb_bundle_version(const edb_bundle *b);

size_t edb_bundle_output_count(const edb_bundle *b);
const char *edb_bundle_output_name(const edb_bundle *b, size_t i); /* as in out/ */
/* The output as recorded in the manifest: its length and SHA-256. */
size_t edb_bundle_output_size(const edb_bundle *b, size_t i);
const char *edb_bundle_output_sha256(const edb_bundle *b, size_t i);

/* The recorded inputs (none in a bundle made before inputs were kept), in the order the
 * command line gave them. */
size_t edb_bundle_input_count(const edb_bundle *b);
const char *edb_bundle_input_name(const edb_bundle *b, size_t i); /* as in in/ */
const char *edb_bundle_input_path(const edb_bundle *b, size_t i); /* as given; borrowed */
/* Its bytes in the bundle (borrowed, valid until edb_bundle_free); NULL if absent. */
const char *edb_bundle_input_data(const edb_bundle *b, size_t i, size_t *len);

/* Check every file the manifest lists (raw/, in/ and out/) against its length and SHA-256,
 * and that nothing else is there.  fn (may be NULL) hears of each file: ok, or what is
 * wrong.  EDB_ERR_DATA if anything failed (err names the first file). */
edb_status edb_bundle_verify(const edb_bundle *b,
                             void (*fn)(void *ctx, const char *file, int ok, const char *why),
                             void *ctx, edb_err *err);

#ifdef __cplusplus
}
#endif
#endif
