/* record.c: a run's command as data, both ways (record.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "record.h"
#include "text.h"

cli_replay_action cli_role_replay(cli_role role)
{
    /* No default: a role added to options.h without a decision here fails to compile
     * (-Wswitch), and the test of the table fails on CLI_REPLAY_REFUSE for a role that
     * is recorded. */
    switch (role) {
    case CLI_ROLE_DATA: return CLI_REPLAY_KEEP;
    case CLI_ROLE_INPUT: return CLI_REPLAY_INPUT;
    case CLI_ROLE_OUTPUT: return CLI_REPLAY_OUTPUT;
    case CLI_ROLE_SOURCE: return CLI_REPLAY_DROP;
    case CLI_ROLE_UI: return CLI_REPLAY_REFUSE;
    case CLI_ROLE_INTERNAL: return CLI_REPLAY_REFUSE;
    case CLI_ROLE_FETCHED: return CLI_REPLAY_INPUT;
    case CLI_ROLE_OUTPUT_DIR: return CLI_REPLAY_OUTPUT_DIR;
    case CLI_ROLE_STATE: return CLI_REPLAY_REFUSE;
    }
    return CLI_REPLAY_REFUSE;
}

int cli_role_recorded(cli_role role)
{
    return role == CLI_ROLE_DATA || role == CLI_ROLE_INPUT || role == CLI_ROLE_OUTPUT ||
           role == CLI_ROLE_SOURCE || role == CLI_ROLE_FETCHED || role == CLI_ROLE_OUTPUT_DIR;
}

/* ---- the command line the outputs record ---------------------------------------------- */

static int plain(const char *a)
{
    if (!*a)
        return 0;
    for (const char *p = a; *p; p++)
        if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-+=.,:/@%", *p))
            return 0;
    return 1;
}

/* " word", quoted for a POSIX shell when it needs to be. */
static void put_word(cli_text *b, const char *a)
{
    cli_text_puts(b, " ");
    if (plain(a)) {
        cli_text_puts(b, a);
        return;
    }
    cli_text_puts(b, "'");
    for (const char *p = a; *p; p++)
        if (*p == '\'')
            cli_text_puts(b, "'\\''");
        else
            cli_text_put(b, p, 1);
    cli_text_puts(b, "'");
}

char *cli_command_text(const char *cmd, const cli_recorded *opts, size_t n,
                       const char *const *args, size_t nargs)
{
    cli_text b = {0};
    cli_text_puts(&b, "edbx");
    put_word(&b, cmd);
    for (size_t k = 0; k < nargs; k++)
        put_word(&b, args[k]);
    for (size_t k = 0; k < n; k++) {
        cli_role r = opts[k].opt->role;
        if (r != CLI_ROLE_DATA && r != CLI_ROLE_INPUT)
            continue;
        cli_text_puts(&b, " --");
        cli_text_puts(&b, opts[k].opt->name);
        if (opts[k].value)
            put_word(&b, opts[k].value);
    }
    if (b.oom) {
        free(b.p);
        return NULL;
    }
    return b.p;
}

void cli_command_text_v1(size_t argc, const char *const *argv, char *buf, size_t n)
{
    /* Byte for byte what edbx 0.1 did, cut included: its outputs hold this. */
    size_t o = (size_t)snprintf(buf, n, "edbx");
    for (size_t k = 0; k < argc && o < n; k++) {
        const char *a = argv[k];
        if (plain(a)) {
            o += (size_t)snprintf(buf + o, n - o, " %s", a);
            continue;
        }
        o += (size_t)snprintf(buf + o, n - o, " '");
        for (const char *p = a; *p && o < n; p++)
            o += (size_t)snprintf(buf + o, n - o, *p == '\'' ? "'\\''" : "%c", *p);
        if (o < n)
            o += (size_t)snprintf(buf + o, n - o, "'");
    }
}

/* ---- the replay plan ------------------------------------------------------------------ */

/* A recorded string for a message: at most 60 bytes, control bytes as '?'. */
static const char *shown(const char *s, char *out, size_t n)
{
    size_t o = 0, k = 0;
    for (; s[k] && o + 4 < n && k < 60; k++)
        out[o++] = ((unsigned char)s[k] < 0x20 || s[k] == 0x7f) ? '?' : s[k];
    if (s[k] && o + 4 < n) {
        memcpy(out + o, "...", 3);
        o += 3;
    }
    out[o] = '\0';
    return out;
}

static int has_control(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || *s == 0x7f)
            return 1;
    return 0;
}

static const char *base_of(const char *p)
{
    const char *s = strrchr(p, '/');
    return s ? s + 1 : p;
}

typedef struct planner {
    const edb_bundle *b;
    const cli_optset *set;
    const char *cmd;
    edb_err *err;
    cli_recorded *rec;
    size_t n_rec;
    const char **args;
    size_t n_args;
    unsigned *given;     /* how often each option of the set was given */
    unsigned *in_used;   /* how often each input is named */
    unsigned *out_used;
} planner;

/* Check one recorded option against the table and keep it. */
static edb_status take(planner *p, const char *name, const char *value, size_t input,
                       size_t output)
{
    char a[80], v[80];
    const cli_opt *o = cli_opt_find(p->set, name);
    if (!o)
        return edb_err_set(p->err, EDB_ERR_DATA, "option --%s is not an option of edbx %s "
                           "(abbreviations and unknown options are refused)",
                           shown(name, a, sizeof a), p->cmd);
    cli_replay_action act = cli_role_replay(o->role);
    if (act == CLI_REPLAY_REFUSE)
        return edb_err_set(p->err, EDB_ERR_DATA, "option --%s is never recorded in a bundle",
                           o->name);
    if (o->value && !value)
        return edb_err_set(p->err, EDB_ERR_DATA, "option --%s has no value", o->name);
    if (!o->value && value)
        return edb_err_set(p->err, EDB_ERR_DATA, "option --%s takes no value, and has '%s'",
                           o->name, shown(value, v, sizeof v));
    if (value && (strlen(value) > CLI_RECORD_VALUE_MAX || has_control(value)))
        return edb_err_set(p->err, EDB_ERR_DATA, "option --%s: its value '%s' is longer than "
                           "%d bytes or holds a control character", o->name,
                           shown(value, v, sizeof v), CLI_RECORD_VALUE_MAX);
    size_t at = (size_t)(o - p->set->v);
    if (p->given[at]++ && !o->repeat)
        return edb_err_set(p->err, EDB_ERR_DATA, "option --%s is given twice", o->name);
    if (act == CLI_REPLAY_INPUT && !input)
        return edb_err_set(p->err, EDB_ERR_DATA, "option --%s %s names a file the bundle does "
                           "not hold (replay reads no file outside the bundle)", o->name,
                           shown(value, v, sizeof v));
    if (act != CLI_REPLAY_INPUT && input)
        return edb_err_set(p->err, EDB_ERR_DATA, "option --%s does not read a file, yet names "
                           "in/%s", o->name, edb_bundle_input_name(p->b, input - 1));
    if (act != CLI_REPLAY_OUTPUT && output)
        return edb_err_set(p->err, EDB_ERR_DATA, "option --%s does not write a file, yet names "
                           "out/%s", o->name, edb_bundle_output_name(p->b, output - 1));
    if (input && p->in_used[input - 1]++)
        return edb_err_set(p->err, EDB_ERR_DATA, "in/%s is named by two options",
                           edb_bundle_input_name(p->b, input - 1));
    if (output && p->out_used[output - 1]++)
        return edb_err_set(p->err, EDB_ERR_DATA, "out/%s is named by two options",
                           edb_bundle_output_name(p->b, output - 1));
    p->rec[p->n_rec++] = (cli_recorded){o, value, input, output};
    return EDB_OK;
}

/* Schema 1 (edbx 0.1): an argv, parsed by the same strict parser as a command line; its
 * --meta files were kept in order, other input files were not. */
static edb_status take_v1(planner *p, const char *cmd, size_t *next_in)
{
    size_t argc = edb_bundle_argc(p->b);
    char **argv = calloc(argc + 1, sizeof *argv);
    if (!argv)
        return edb_err_set(p->err, EDB_ERR_NOMEM, "out of memory");
    for (size_t k = 0; k < argc; k++)
        argv[k] = (char *)edb_bundle_arg(p->b, k);
    cli_args a;
    edb_err perr = EDB_ERR_INIT;
    edb_status st = cli_args_parse(p->set, cmd, (int)argc, argv, &a, &perr);
    if (st != EDB_OK)
        st = edb_err_set(p->err, EDB_ERR_DATA, "its command line does not parse: %s", perr.msg);
    char v[80];
    for (size_t k = 0; st == EDB_OK && k < a.n; k++) {
        const cli_opt *o = a.v[k].opt;
        const char *value = a.v[k].value;
        size_t input = 0, output = 0;
        if (o->role == CLI_ROLE_UI)
            continue; /* edbx 0.1 kept -v and the like; they change no data */
        if (o->role == CLI_ROLE_INPUT) {
            if (*next_in < edb_bundle_input_count(p->b) &&
                strcmp(value, edb_bundle_input_path(p->b, *next_in)) == 0)
                input = ++*next_in;
            else {
                st = edb_err_set(p->err, EDB_ERR_DATA, "it was made by edbx 0.1, which kept no "
                                 "copy of the file of --%s %s: replaying it would read a file "
                                 "outside the bundle", o->name, shown(value, v, sizeof v));
                break;
            }
        }
        if (o->role == CLI_ROLE_OUTPUT)
            for (size_t j = 0; j < edb_bundle_output_count(p->b); j++)
                if (strcmp(edb_bundle_output_name(p->b, j), base_of(value)) == 0)
                    output = j + 1;
        st = take(p, o->name, value, input, output);
    }
    for (size_t k = 0; st == EDB_OK && k < a.npos; k++)
        p->args[p->n_args++] = a.pos[k];
    cli_args_free(&a);
    free(argv);
    return st;
}

static char *join(const char *a, const char *b, const char *c)
{
    size_t n = strlen(a) + strlen(b) + strlen(c) + 1;
    char *s = malloc(n);
    if (s)
        snprintf(s, n, "%s%s%s", a, b, c);
    return s;
}

void cli_replay_plan_free(cli_replay_plan *p)
{
    for (int k = 0; p->argv && k < p->argc; k++)
        free(p->argv[k]);
    free(p->argv);
    free(p->text);
    for (size_t k = 0; p->out_path && k < p->n_out; k++)
        free(p->out_path[k]);
    free(p->out_path);
    for (size_t k = 0; p->in_path && k < p->n_in; k++)
        free(p->in_path[k]);
    free(p->in_path);
    free(p->in_recorded);
    memset(p, 0, sizeof *p);
}

static edb_status push_arg(cli_replay_plan *p, char *s, edb_err *err)
{
    if (!s)
        return edb_err_set(err, EDB_ERR_NOMEM, "out of memory");
    p->argv[p->argc++] = s;
    return EDB_OK;
}

edb_status cli_replay_plan_make(cli_replay_plan *p, const edb_bundle *b, const cli_optset *set,
                                const char *cmd, const char *src_dir, const char *out_dir,
                                edb_err *err)
{
    memset(p, 0, sizeof *p);
    int schema = edb_bundle_command_schema(b);
    const char *name = edb_bundle_command_name(b);
    char v[80];
    if (schema == 0)
        return edb_err_set(err, EDB_ERR_DATA, "the manifest records no command to replay");
    if (!name || strcmp(name, cmd) != 0)
        return edb_err_set(err, EDB_ERR_DATA, "the manifest records 'edbx %s', and replay runs "
                           "only 'edbx get' and 'edbx monitor'", name ? shown(name, v, sizeof v)
                                                                      : "");
    size_t n_in = edb_bundle_input_count(b), n_out = edb_bundle_output_count(b);
    size_t n_opts = schema == 2 ? edb_bundle_option_count(b) : edb_bundle_argc(b);
    size_t n_args = schema == 2 ? edb_bundle_argument_count(b) : edb_bundle_argc(b);
    planner pl = {b, set, cmd, err, NULL, 0, NULL, 0, NULL, NULL, NULL};
    pl.rec = calloc(n_opts + 1, sizeof *pl.rec);
    pl.args = calloc(n_args + 1, sizeof *pl.args);
    pl.given = calloc(set->n + 1, sizeof *pl.given);
    pl.in_used = calloc(n_in + 1, sizeof *pl.in_used);
    pl.out_used = calloc(n_out + 1, sizeof *pl.out_used);
    edb_status st = EDB_OK;
    if (!pl.rec || !pl.args || !pl.given || !pl.in_used || !pl.out_used)
        st = edb_err_set(err, EDB_ERR_NOMEM, "out of memory");
    size_t next_in = 0;
    if (st == EDB_OK && schema == 2) {
        for (size_t k = 0; st == EDB_OK && k < n_opts; k++) {
            edb_bundle_option o;
            edb_bundle_option_get(b, k, &o);
            st = take(&pl, o.name, o.value, o.input, o.output);
        }
        for (size_t k = 0; k < n_args; k++)
            pl.args[pl.n_args++] = edb_bundle_argument(b, k);
    } else if (st == EDB_OK) {
        st = take_v1(&pl, cmd, &next_in);
    }
    for (size_t k = 0; st == EDB_OK && k < n_in; k++)
        if (!pl.in_used[k])
            st = edb_err_set(err, EDB_ERR_DATA, "in/%s is named by no option",
                             edb_bundle_input_name(b, k));
    if (st == EDB_OK && n_out == 0)
        st = edb_err_set(err, EDB_ERR_DATA, "the manifest lists no output to compare");
    /* A folder of outputs (monitor -o DIR) writes every output into it. */
    int out_dir_given = 0;
    for (size_t k = 0; k < pl.n_rec; k++)
        out_dir_given |= pl.rec[k].opt->role == CLI_ROLE_OUTPUT_DIR;
    for (size_t k = 0; st == EDB_OK && !out_dir_given && k < n_out; k++)
        if (!pl.out_used[k])
            st = edb_err_set(err, EDB_ERR_DATA, "out/%s is written by no option",
                             edb_bundle_output_name(b, k));
    if (st == EDB_OK && strcmp(cmd, "monitor") == 0 && pl.n_args)
        st = edb_err_set(err, EDB_ERR_DATA, "edbx monitor is recorded with its configurations "
                         "as --config options, and this manifest has %zu arguments", pl.n_args);
    for (size_t k = 0; st == EDB_OK && k < pl.n_args; k++) {
        char norm[EDB_MNEMONIC_MAX + 1];
        edb_err merr = EDB_ERR_INIT;
        if (edb_mnemonic_normalize(pl.args[k], norm, sizeof norm, &merr) != EDB_OK)
            st = edb_err_set(err, EDB_ERR_DATA, "argument %zu, '%s', is not a mnemonic name",
                             k + 1, shown(pl.args[k], v, sizeof v));
    }

    /* The run: get, the recorded options as the table says, the bundle as the only
     * source, the recorded time and chunks, then the arguments after "--" (never taken for
     * options). */
    if (st == EDB_OK) {
        p->argv = calloc(pl.n_rec + pl.n_args + 16, sizeof *p->argv);
        p->out_path = calloc(n_out + 1, sizeof *p->out_path);
        if (!p->argv || !p->out_path)
            st = edb_err_set(err, EDB_ERR_NOMEM, "out of memory");
    }
    if (st == EDB_OK)
        st = push_arg(p, join(cmd, "", ""), err);
    for (size_t k = 0; st == EDB_OK && k < n_out; k++) {
        if (!(p->out_path[k] = join(out_dir, "/", edb_bundle_output_name(b, k))))
            st = edb_err_set(err, EDB_ERR_NOMEM, "out of memory");
        p->n_out++;
    }
    for (size_t k = 0; st == EDB_OK && k < pl.n_rec; k++) {
        const cli_recorded *r = &pl.rec[k];
        char *flag = join("--", r->opt->name, r->opt->value ? "=" : "");
        char *arg = NULL;
        switch (cli_role_replay(r->opt->role)) {
        case CLI_REPLAY_KEEP:
            arg = flag ? join(flag, r->value ? r->value : "", "") : NULL;
            break;
        case CLI_REPLAY_INPUT: {
            char *in = join(src_dir, "/in/", edb_bundle_input_name(b, r->input - 1));
            arg = flag && in ? join(flag, in, "") : NULL;
            free(in);
            break;
        }
        case CLI_REPLAY_OUTPUT:
            if (!r->output) { /* wrote nothing the bundle holds (--bundle itself) */
                free(flag);
                continue;
            }
            arg = flag ? join(flag, p->out_path[r->output - 1], "") : NULL;
            break;
        case CLI_REPLAY_OUTPUT_DIR:
            arg = flag ? join(flag, out_dir, "") : NULL;
            break;
        case CLI_REPLAY_DROP:
        case CLI_REPLAY_REFUSE:
            free(flag);
            continue;
        }
        free(flag);
        st = push_arg(p, arg, err);
    }
    char num[64];
    if (st == EDB_OK)
        st = push_arg(p, join("--source=", src_dir, ""), err);
    if (st == EDB_OK)
        st = push_arg(p, join("--no-cache", "", ""), err);
    if (st == EDB_OK) {
        snprintf(num, sizeof num, "--run-time-us=%lld", (long long)edb_bundle_run_time(b));
        st = push_arg(p, join(num, "", ""), err);
    }
    if (st == EDB_OK && edb_bundle_chunk_us(b) > 0) {
        snprintf(num, sizeof num, "--chunk=%lldus", (long long)edb_bundle_chunk_us(b));
        st = push_arg(p, join(num, "", ""), err);
    }
    if (st == EDB_OK)
        st = push_arg(p, join("--", "", ""), err);
    for (size_t k = 0; st == EDB_OK && k < pl.n_args; k++)
        st = push_arg(p, join(pl.args[k], "", ""), err);

    /* Where each input is read from, and what the run called it. */
    if (st == EDB_OK && n_in) {
        p->in_path = calloc(n_in, sizeof *p->in_path);
        p->in_recorded = calloc(n_in, sizeof *p->in_recorded);
        if (!p->in_path || !p->in_recorded)
            st = edb_err_set(err, EDB_ERR_NOMEM, "out of memory");
        for (size_t k = 0; st == EDB_OK && k < n_in; k++) {
            p->in_recorded[k] = edb_bundle_input_path(b, k);
            if (!(p->in_path[k] = join(src_dir, "/in/", edb_bundle_input_name(b, k))))
                st = edb_err_set(err, EDB_ERR_NOMEM, "out of memory");
            p->n_in = k + 1;
        }
    }
    /* What the outputs recorded: made from the record as the run made it. */
    if (st == EDB_OK && schema == 2 &&
        !(p->text = cli_command_text(cmd, pl.rec, pl.n_rec, pl.args, pl.n_args)))
        st = edb_err_set(err, EDB_ERR_NOMEM, "out of memory");
    if (st == EDB_OK && schema == 1) {
        char buf[2048];
        size_t argc = edb_bundle_argc(b);
        const char **argv = calloc(argc + 1, sizeof *argv);
        for (size_t k = 0; argv && k < argc; k++)
            argv[k] = edb_bundle_arg(b, k);
        if (argv)
            cli_command_text_v1(argc, argv, buf, sizeof buf);
        free(argv);
        if (!argv || !(p->text = join(buf, "", "")))
            st = edb_err_set(err, EDB_ERR_NOMEM, "out of memory");
    }
    free(pl.rec);
    free(pl.args);
    free(pl.given);
    free(pl.in_used);
    free(pl.out_used);
    if (st != EDB_OK)
        cli_replay_plan_free(p);
    return st;
}
