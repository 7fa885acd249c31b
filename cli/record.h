/* record.h: a run's command as data, both ways.
 *
 * `edbx get --bundle` records the options it parsed (by their role in the option table,
 * options.h) and its arguments; `edbx replay` rebuilds the run from that record, never
 * from a command line.  Both ways go through this file:
 *  - the command line the outputs record (FITS HISTORY, an HDF5 attribute) is made from
 *    the record, the same way in the run and in its replay, so that they match;
 *  - a replay plan accepts only what the table knows, with a value exactly when the table
 *    says, roles that are recorded, inputs read from the bundle's copies and outputs
 *    written to the replay folder; everything else is refused, naming it.
 * The values themselves are then checked by the very code that checks them on the
 * command line: the plan is an argv that `edbx get` parses as any other. */
#ifndef EDBX_RECORD_H
#define EDBX_RECORD_H

#include <stddef.h>

#include <edb/edb.h>

#include "options.h"

/* The longest option value a record may hold (a --where expression, a path). */
#define CLI_RECORD_VALUE_MAX 4096

/* What replay does with an option of a role. */
typedef enum cli_replay_action {
    CLI_REPLAY_REFUSE = 0, /* never recorded: a manifest that holds it is refused */
    CLI_REPLAY_KEEP,       /* passed again as recorded (after the table's own checks) */
    CLI_REPLAY_INPUT,      /* reads the bundle's copy of the file instead */
    CLI_REPLAY_OUTPUT,     /* writes into the replay folder (dropped if it made no output
                            * the bundle holds, as --bundle) */
    CLI_REPLAY_DROP,       /* recorded for the record, never used: replay answers from the
                            * bundle alone */
    CLI_REPLAY_OUTPUT_DIR  /* the folder of the outputs: the replay folder instead */
} cli_replay_action;

cli_replay_action cli_role_replay(cli_role role);
/* Does the manifest record options of this role? */
int cli_role_recorded(cli_role role);

/* One recorded option. */
typedef struct cli_recorded {
    const cli_opt *opt;
    const char *value; /* NULL for a flag */
    size_t input;      /* 1 + index of the bundle input it names; 0: none */
    size_t output;     /* 1 + index of the bundle output it names; 0: none */
} cli_recorded;

/* "edbx CMD ARG... --name VALUE ..." with values quoted for a POSIX shell where they need
 * it: the arguments, then the options that shape the data (roles DATA and INPUT) in the
 * order given.  Where the output goes, where the data came from and what was printed
 * change nothing in the data, so they are left out: the same query gives the same bytes.
 * Malloc'ed; NULL when out of memory. */
char *cli_command_text(const char *cmd, const cli_recorded *opts, size_t n,
                       const char *const *args, size_t nargs);

/* What edbx 0.1 wrote in its outputs: every argument as typed, cut at n bytes. */
void cli_command_text_v1(size_t argc, const char *const *argv, char *buf, size_t n);

/* A replay of a bundle's recorded `edbx get`: the argv to run (owned), the command line the
 * outputs must record, and where each output of the manifest will be. */
typedef struct cli_replay_plan {
    char **argv;
    int argc;
    char *text;
    /* Each input as the run reads it in the replay (src_dir/in/NAME) and as the recorded run
     * named it: what the outputs show of an input's name comes from the second. */
    char **in_path;
    const char **in_recorded;
    size_t n_in;
    char **out_path;  /* one for each output of the manifest, in its order */
    size_t n_out;
} cli_replay_plan;

/* Build the plan of b's command against set (the table of cmd, "get" or "monitor"): inputs
 * are read from
 * src_dir/in/NAME, replies from src_dir (its raw/), outputs written to out_dir/NAME.
 * EDB_ERR_DATA naming the first thing refused: a command other than cmd, an option the
 * table does not know (abbreviations included) or does not record, a flag with a value or
 * an option without one, a value longer than CLI_RECORD_VALUE_MAX or holding a control
 * character, an option given twice that is not repeatable, an input option that names no
 * file of the bundle (or one that names a file twice, or a file that no option names), an
 * output of the bundle that no option writes (a folder of outputs writes them all), an
 * argument that is not a mnemonic (monitor takes none: its configurations are --config). */
edb_status cli_replay_plan_make(cli_replay_plan *p, const edb_bundle *b, const cli_optset *set,
                                const char *cmd, const char *src_dir, const char *out_dir,
                                edb_err *err);
void cli_replay_plan_free(cli_replay_plan *p);

#endif
