/* search.c: `edbx search [PATTERN] [--regex] [--desc REGEX] [--subsystem NAME] [--unit U]`:
 * the mnemonics of the service's inventory that match (docs/discovery.md). */
#include <errno.h>
#include <fnmatch.h>
#include <regex.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli.h"
#include "discover.h"

enum { SOPT_REGEX = 1, SOPT_DESC, SOPT_SUBSYSTEM, SOPT_UNIT };

static const cli_opt opts[] = {
    {0, NULL, 0, NULL, 0, CLI_ROLE_DATA, "Matching (every one given must hold):"},
    {SOPT_REGEX, "regex", 0, NULL, 0, CLI_ROLE_DATA,
     "PATTERN is an extended regular expression, searched in\n"
     "the name (anchor it with ^ and $), any case"},
    {SOPT_DESC, "desc", 0, "REGEX", 0, CLI_ROLE_DATA,
     "the description (or long description) matches REGEX\n"
     "(extended, any case), e.g. --desc 'ice.*volt'"},
    {SOPT_SUBSYSTEM, "subsystem", 0, "NAME", 0, CLI_ROLE_DATA,
     "the subsystem is NAME (any case): MIRI, NIRSPEC, ACS..."},
    {SOPT_UNIT, "unit", 0, "U", 0, CLI_ROLE_DATA, "the unit is U, as the EDB spells it (V, A, degC)"},
    {0, NULL, 0, NULL, 0, CLI_ROLE_DATA, ""},
    CLI_DISCO_OPTIONS("table (aligned; the default on a terminal), tsv (tab-\n"
                      "separated, no header; the default otherwise), csv (a\n"
                      "MAST inventory CSV that --meta reads back) or json"),
};

static const cli_optset search_options = {opts, sizeof opts / sizeof opts[0]};

void help_search(FILE *out)
{
    fputs("Usage: edbx search [PATTERN] [--regex] [--desc REGEX] [--subsystem NAME]\n"
          "                   [--unit U] [--format table|tsv|csv|json] [OPTIONS]\n"
          "\n"
          "List the mnemonics of the service's inventory that match.  PATTERN is a glob on\n"
          "the name, any case ('IMIR_HK_ICE*', 'SA_ZATTEST?'); without * ? or [ it matches\n"
          "anywhere in the name ('ICE_SEC' finds IMIR_HK_ICE_SEC_VOLT1).  Give PATTERN, a\n"
          "filter, or both.  The inventory (about 15,000 names; the MAST portal's\n"
          "Mast.JwstEdb.Mnemonics for --api mast) is fetched once and kept 7 days in the\n"
          "cache (docs/discovery.md).\n"
          "\n"
          "Columns: name, subsystem, type, unit, change-only (yes, no, or empty: not\n"
          "known; only path B and EDP say), description.  The count goes to stderr.\n"
          "\n",
          out);
    cli_opts_help(&search_options, out);
    fputs("\n"
          "Example:\n"
          "  edbx search --subsystem MIRI --desc 'ice.*volt'\n"
          "\n"
          "Exit status: 0 some mnemonics match, 1 none does (as grep), 2 usage, 4\n"
          "authentication, 5 network or server, 6 bad data, 7 local I/O, 130 interrupted\n"
          "(see 'edbx --help').\n",
          out);
}

typedef struct matcher {
    const char *pattern;
    char upper[EDB_MNEMONIC_MAX * 4 + 1];
    int glob, regex, has_re, has_desc;
    regex_t re, desc;
    const char *subsystem, *unit;
} matcher;

static int matches(const matcher *m, const edb_meta_entry *e)
{
    if (m->pattern) {
        if (m->regex) {
            if (regexec(&m->re, e->mnemonic, 0, NULL, 0) != 0)
                return 0;
        } else if (m->glob) {
            if (fnmatch(m->upper, e->mnemonic, 0) != 0)
                return 0;
        } else if (!strstr(e->mnemonic, m->upper)) {
            return 0;
        }
    }
    if (m->has_desc && !(e->description && regexec(&m->desc, e->description, 0, NULL, 0) == 0) &&
        !(e->long_description && regexec(&m->desc, e->long_description, 0, NULL, 0) == 0))
        return 0;
    if (m->subsystem && !(e->subsystem && strcasecmp(e->subsystem, m->subsystem) == 0))
        return 0;
    if (m->unit && !(e->unit && strcmp(e->unit, m->unit) == 0))
        return 0;
    return 1;
}

static edb_status compile(regex_t *re, const char *text, const char *what, edb_err *err)
{
    int rc = regcomp(re, text, REG_EXTENDED | REG_ICASE | REG_NOSUB);
    if (rc == 0)
        return EDB_OK;
    char why[200];
    regerror(rc, re, why, sizeof why);
    return edb_err_set(err, EDB_ERR_USAGE, "%s '%s': not an extended regular expression: %s",
                       what, text, why);
}

/* The type as shown: lower case, as the portal spells it. */
static void type_of(const edb_meta_entry *e, char *out, size_t n)
{
    size_t o = 0;
    for (const char *p = e->sqltype ? e->sqltype : ""; *p && o + 1 < n; p++)
        out[o++] = (*p >= 'A' && *p <= 'Z') ? (char)(*p - 'A' + 'a') : *p;
    out[o] = '\0';
}

static const char *change_only(const edb_meta_entry *e)
{
    return e->all_points < 0 ? "" : e->all_points == 0 ? "yes" : "no";
}

/* A cell of a line: control characters (a tab, a line end in a description) as blanks. */
static void cell(FILE *f, const char *s, int width, int cut)
{
    int n = 0;
    for (const char *p = s ? s : ""; *p; p++) {
        if (cut > 0 && n >= cut) {
            fputs("...", f);
            n += 3;
            break;
        }
        unsigned char ch = (unsigned char)*p;
        putc(ch < 0x20 || ch == 0x7f ? ' ' : ch, f);
        /* UTF-8 continuation bytes take no column. */
        if ((ch & 0xC0) != 0x80)
            n++;
    }
    for (; n < width; n++)
        putc(' ', f);
}

static int text_width(const char *s)
{
    int n = 0;
    for (const char *p = s ? s : ""; *p; p++)
        n += ((unsigned char)*p & 0xC0) != 0x80;
    return n;
}

static void print_table(const edb_meta_entry *const *v, size_t n, int aligned)
{
    enum { NCOL = 6 };
    static const char *const head[NCOL] = {"NAME", "SUBSYSTEM", "TYPE", "UNIT", "CHANGE-ONLY",
                                           "DESCRIPTION"};
    int w[NCOL] = {0};
    int any_ap = 0;
    for (int k = 0; k < NCOL; k++)
        w[k] = (int)strlen(head[k]);
    char type[40];
    for (size_t i = 0; aligned && i < n; i++) {
        type_of(v[i], type, sizeof type);
        const char *c[NCOL - 1] = {v[i]->mnemonic, v[i]->subsystem, type, v[i]->unit,
                                   change_only(v[i])};
        for (int k = 0; k < NCOL - 1; k++)
            if (text_width(c[k]) > w[k])
                w[k] = text_width(c[k]);
        any_ap |= v[i]->all_points >= 0;
    }
    if (!aligned) {
        for (size_t i = 0; i < n; i++) {
            type_of(v[i], type, sizeof type);
            const char *c[NCOL] = {v[i]->mnemonic, v[i]->subsystem, type, v[i]->unit,
                                   change_only(v[i]), v[i]->description};
            for (int k = 0; k < NCOL; k++) {
                if (k)
                    putc('\t', stdout);
                cell(stdout, c[k], 0, 0);
            }
            putc('\n', stdout);
        }
        return;
    }
    /* The description takes what the terminal has left, cut with "..." (a pipe gets it
     * whole). */
    int room = cli_terminal_width(), used = 0;
    for (int k = 0; k < NCOL - 1; k++)
        if (k != 4 || any_ap)
            used += w[k] + 2;
    int cut = room > used + 13 ? room - used - 3 : 0;
    for (int k = 0; k < NCOL; k++) {
        if (k == 4 && !any_ap)
            continue;
        cell(stdout, head[k], k == NCOL - 1 ? 0 : w[k] + 2, 0);
    }
    putc('\n', stdout);
    for (size_t i = 0; i < n; i++) {
        type_of(v[i], type, sizeof type);
        const char *c[NCOL] = {v[i]->mnemonic, v[i]->subsystem, type, v[i]->unit,
                               change_only(v[i]), v[i]->description};
        for (int k = 0; k < NCOL; k++) {
            if (k == 4 && !any_ap)
                continue;
            cell(stdout, c[k], k == NCOL - 1 ? 0 : w[k] + 2, k == NCOL - 1 ? cut : 0);
        }
        putc('\n', stdout);
    }
}

static void json_field(const char *key, const char *value, int *first)
{
    printf("%s\"%s\": ", *first ? "" : ", ", key);
    *first = 0;
    if (value)
        cli_json_string(stdout, value);
    else
        fputs("null", stdout);
}

static void print_json(const edb_meta_entry *const *v, size_t n)
{
    fputs("[", stdout);
    for (size_t i = 0; i < n; i++) {
        const edb_meta_entry *e = v[i];
        int first = 1;
        fputs(i ? ",\n {" : "{", stdout);
        json_field("tlmMnemonic", e->mnemonic, &first);
        if (e->tlm_identifier >= 0)
            printf(", \"tlmIdentifier\": %lld", (long long)e->tlm_identifier);
        else
            fputs(", \"tlmIdentifier\": null", stdout);
        json_field("description", e->description, &first);
        json_field("sqlDataType", e->sqltype, &first);
        json_field("subsystem", e->subsystem, &first);
        json_field("unit", e->unit, &first);
        json_field("longDescription", e->long_description, &first);
        if (e->all_points >= 0)
            printf(", \"allPoints\": %d", e->all_points);
        else
            fputs(", \"allPoints\": null", stdout);
        json_field("rawType", e->raw_type, &first);
        json_field("euType", e->eu_type, &first);
        fputs("}", stdout);
    }
    fputs("]\n", stdout);
}

static int run_search(cli_disco *d, matcher *m, edb_meta **inv, edb_meta **sub)
{
    edb_err err = EDB_ERR_INIT;
    if (edb_meta_new(inv) != EDB_OK)
        return cli_fail(EDB_ERR_NOMEM, "out of memory");
    if (cli_disco_open(d, &err) != EDB_OK)
        return cli_fail(err.status, "%s", err.msg);
    edb_inventory_info info;
    char label[600];
    if (cli_disco_inventory(d, *inv, &info, label, sizeof label, &err) != EDB_OK)
        return cli_fail(err.status, "%s", err.msg);
    size_t total = edb_meta_count(*inv), n = 0;
    const edb_meta_entry **v = calloc(total ? total : 1, sizeof *v);
    if (!v)
        return cli_fail(EDB_ERR_NOMEM, "out of memory");
    for (size_t k = 0; k < total; k++)
        if (matches(m, edb_meta_get(*inv, k)))
            v[n++] = edb_meta_get(*inv, k);
    const char *fmt = d->format ? d->format : cli_stdout_tty() ? "table" : "tsv";
    int code = EXIT_OK;
    if (strcmp(fmt, "csv") == 0) {
        /* The matches as an inventory of their own: a file --meta reads back. */
        char *csv = NULL;
        size_t len = 0;
        edb_status st = edb_meta_new(sub);
        for (size_t k = 0; k < n && st == EDB_OK; k++)
            st = edb_meta_add(*sub, v[k], &err);
        if (st == EDB_OK)
            st = edb_meta_format_csv(*sub, &csv, &len);
        if (st != EDB_OK)
            code = cli_fail(st, "out of memory");
        else
            fwrite(csv, 1, len, stdout);
        free(csv);
    } else if (strcmp(fmt, "json") == 0) {
        print_json(v, n);
    } else {
        print_table(v, n, strcmp(fmt, "table") == 0);
    }
    free(v);
    if (fflush(stdout) != 0 || ferror(stdout))
        return errno == EPIPE ? EXIT_PIPE : cli_fail(EDB_ERR_IO, "cannot write the results");
    if (code != EXIT_OK)
        return code;
    if (!d->quiet) {
        cli_warn("%zu of %zu mnemonic%s match%s", n, total, total == 1 ? "" : "s",
                 n == 1 ? "es" : "");
        if (d->verbose)
            cli_warn("inventory: %s", label);
    }
    return n ? EXIT_OK : 1;
}

int cmd_search(int argc, char **argv)
{
    cli_trap_signals();
    cli_args args;
    edb_err err = EDB_ERR_INIT;
    if (cli_args_parse(&search_options, "search", argc, argv, &args, &err) != EDB_OK) {
        cli_args_free(&args);
        return cli_fail(err.status, "%s", err.msg);
    }
    cli_disco d;
    memset(&d, 0, sizeof d);
    matcher m;
    memset(&m, 0, sizeof m);
    const char *desc = NULL;
    int code = -1;
    for (size_t k = 0; k < args.n && code < 0; k++) {
        int t = cli_disco_take(&d, &args.v[k], &err);
        if (t < 0) {
            code = cli_fail(err.status, "%s", err.msg);
            break;
        }
        if (t > 0)
            continue;
        switch (args.v[k].opt->id) {
        case DOPT_HELP: help_search(stdout); code = EXIT_OK; break;
        case SOPT_REGEX: m.regex = 1; break;
        case SOPT_DESC: desc = args.v[k].value; break;
        case SOPT_SUBSYSTEM: m.subsystem = args.v[k].value; break;
        case SOPT_UNIT: m.unit = args.v[k].value; break;
        default:
            code = cli_fail(EDB_ERR_INTERNAL, "option --%s is in the table but not handled",
                            args.v[k].opt->name);
        }
    }
    if (code < 0 && args.npos > 1)
        code = cli_fail(EDB_ERR_USAGE, "one PATTERN at most (quote it: 'IMIR_HK_ICE*'); to "
                        "combine, use --regex 'A|B'");
    if (code < 0 && args.npos == 0 && !desc && !m.subsystem && !m.unit)
        code = cli_fail(EDB_ERR_USAGE, "name a PATTERN ('IMIR_HK_ICE*') or a filter (--desc, "
                        "--subsystem, --unit); '*' lists every mnemonic");
    if (code < 0 && m.regex && args.npos == 0)
        code = cli_fail(EDB_ERR_USAGE, "--regex needs a PATTERN");
    if (code < 0 && d.format && strcmp(d.format, "table") && strcmp(d.format, "tsv") &&
        strcmp(d.format, "csv") && strcmp(d.format, "json"))
        code = cli_fail(EDB_ERR_USAGE, "unknown --format '%s' (table, tsv, csv or json)",
                        d.format);
    if (code < 0 && args.npos == 1) {
        m.pattern = args.pos[0];
        if (m.regex) {
            if (compile(&m.re, m.pattern, "PATTERN", &err) != EDB_OK)
                code = cli_fail(err.status, "%s", err.msg);
            else
                m.has_re = 1;
        } else if (strlen(m.pattern) >= sizeof m.upper) {
            code = cli_fail(EDB_ERR_USAGE, "PATTERN is longer than any name could match");
        } else {
            for (size_t k = 0; m.pattern[k]; k++) {
                char c = m.pattern[k];
                m.upper[k] = c >= 'a' && c <= 'z' ? (char)(c - 'a' + 'A') : c;
            }
            m.glob = strpbrk(m.pattern, "*?[") != NULL;
        }
    }
    if (code < 0 && desc) {
        if (compile(&m.desc, desc, "--desc", &err) != EDB_OK)
            code = cli_fail(err.status, "%s", err.msg);
        else
            m.has_desc = 1;
    }
    edb_meta *inv = NULL, *sub = NULL;
    if (code < 0)
        code = run_search(&d, &m, &inv, &sub);
    if (m.has_re)
        regfree(&m.re);
    if (m.has_desc)
        regfree(&m.desc);
    edb_meta_free(inv);
    edb_meta_free(sub);
    cli_disco_close(&d);
    cli_args_free(&args);
    return code;
}
