/* options.h: a command's options as data.
 *
 * Each subcommand that takes many options describes them in one table: the name, the
 * short letter, the value it takes, what it means for reproducibility (its role), its
 * help.  The parser, --help and the bundle (its manifest records the parsed options by
 * name, replay rebuilds the run from them) all read that table, so an option cannot exist
 * in one place and be missing from another.
 *
 * Parsing is strict: long options must be spelled out whole (no abbreviations: --bu is not
 * --bundle), a value is given as --name VALUE or --name=VALUE, short options may be
 * combined (-vq) and take their value attached or next (-oFILE, -o FILE); "--" ends the
 * options.  What is parsed is kept in the order given. */
#ifndef EDBX_OPTIONS_H
#define EDBX_OPTIONS_H

#include <stddef.h>
#include <stdio.h>

#include <edb/status.h>

/* What an option's value means for a bundle and its replay. */
typedef enum cli_role {
    CLI_ROLE_DATA = 0, /* shapes the result (a range, a grid, a format): recorded and used
                          again by replay as it was */
    CLI_ROLE_INPUT,    /* names a file the run reads (--at, -f, --meta): the bundle keeps a
                          copy in in/ and replay reads that copy */
    CLI_ROLE_OUTPUT,   /* names a file the run writes (-o): replay writes into its own folder */
    CLI_ROLE_SOURCE,   /* says where data comes from or how it is fetched (--source, --cache,
                          --base-url, --token-file, -j, ...): recorded, but replay answers
                          from the bundle alone and never uses it */
    CLI_ROLE_UI,       /* changes only what is printed (-v, -q, --progress): not recorded */
    CLI_ROLE_INTERNAL, /* set by edbx itself (replay), never shown in --help */
    CLI_ROLE_FETCHED,  /* names a file the run got itself rather than was given (the
                          inventory, from the service, the cache or the store): recorded with
                          a copy in in/ that replay reads; set by edbx, never shown in --help,
                          and not part of the command line the outputs record (nobody typed
                          it, as nobody typed a reply) */
    CLI_ROLE_OUTPUT_DIR, /* names a folder the run writes its outputs into (monitor -o DIR):
                            replay writes them into its own folder */
    CLI_ROLE_STATE     /* names a folder the run reads and updates from one run to the next
                          (monitor --state): not recorded, and no bundle is made with it */
} cli_role;

typedef struct cli_opt {
    int id;               /* what the command switches on; 0 marks a help-only line */
    const char *name;     /* long name without "--"; NULL for a help-only line */
    char short_name;      /* 0 if none */
    const char *value;    /* placeholder in help ("TIME"); NULL for a flag */
    int repeat;           /* may be given more than once (each is kept) */
    cli_role role;
    /* Help: one or more lines, '\n'-separated, already wrapped to fit beside the column of
     * option names.  A help-only line (name NULL) is printed as is: a section title when
     * it ends with ':' and starts at column 0, a note otherwise. */
    const char *help;
} cli_opt;

typedef struct cli_optset {
    const cli_opt *v;
    size_t n;
} cli_optset;

/* One option as given. */
typedef struct cli_arg {
    const cli_opt *opt;
    const char *value; /* borrowed from argv; NULL for a flag */
} cli_arg;

typedef struct cli_args {
    cli_arg *v;        /* in the order given */
    size_t n;
    char **pos;        /* the other arguments, in order (borrowed from argv) */
    size_t npos;
} cli_args;

/* Parse argv[1..argc) (argv[0] is the subcommand).  On a bad option fails with
 * EDB_ERR_USAGE and a message naming it ("unknown option --bu (see 'edbx get --help')").
 * cmd is the subcommand's name, for messages. */
edb_status cli_args_parse(const cli_optset *set, const char *cmd, int argc, char **argv,
                          cli_args *out, edb_err *err);
void cli_args_free(cli_args *a);

/* The option of the set named name (long name, without "--"), or NULL. */
const cli_opt *cli_opt_find(const cli_optset *set, const char *name);

/* The options part of --help: sections, "  -s, --start TIME   help" lines. */
void cli_opts_help(const cli_optset *set, FILE *out);

#endif
