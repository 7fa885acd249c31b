/* info.c: `edbx info MNEMONIC...`: everything known of each mnemonic, merged from every
 * source that knows it (docs/discovery.md). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "discover.h"

#define INFO_MAX_META 16

enum { IOPT_META = 1 };

static const cli_opt opts[] = {
    {0, NULL, 0, NULL, 0, CLI_ROLE_DATA, "Sources:"},
    {IOPT_META, "meta", 0, "FILE", 1, CLI_ROLE_INPUT,
     "also a MAST inventory CSV or a path B meta.json of your\n"
     "own (as edbx get --meta); it comes first, in the order\n"
     "given"},
    {0, NULL, 0, NULL, 0, CLI_ROLE_DATA, ""},
    CLI_DISCO_OPTIONS("text (the default) or json (every field with its source)"),
};

static const cli_optset info_options = {opts, sizeof opts / sizeof opts[0]};

void help_info(FILE *out)
{
    fputs("Usage: edbx info MNEMONIC... [--meta FILE]... [--format text|json] [OPTIONS]\n"
          "\n"
          "Everything known of each mnemonic: description, long description, unit,\n"
          "subsystem, SQL, raw and EU types, tlmIdentifier, and whether it reports every\n"
          "sample or only changes, merged from every source that knows it, first found\n"
          "first: --meta files, then what the service says of the name\n"
          "(Mast.JwstEdb.Dictionary for --api mast, path B's or EDP's metadata), then its\n"
          "inventory (kept in the cache; with --source, the store's meta.json).  With\n"
          "--format json each field says where it came from.  A name no source knows is\n"
          "reported with up to three close names.\n"
          "\n",
          out);
    cli_opts_help(&info_options, out);
    fputs("\n"
          "Exit status: 0 every mnemonic is known, 2 usage, 3 a mnemonic is unknown (the\n"
          "others are shown), 4 authentication, 5 network or server, 6 bad data, 7 local\n"
          "I/O, 130 interrupted (see 'edbx --help').\n",
          out);
}

typedef struct source {
    char label[600];
    edb_meta *m;
} source;

/* The fields, in the order shown. */
enum { F_DESC, F_LDESC, F_UNIT, F_SUB, F_SQL, F_RAW, F_EU, F_ID, F_AP, F_N };
static const char *const json_key[F_N] = {"description", "longDescription", "unit",
                                          "subsystem", "sqlDataType", "rawType", "euType",
                                          "tlmIdentifier", "allPoints"};
static const char *const text_key[F_N] = {"description", "long description", "unit",
                                          "subsystem", "SQL type", "raw type", "EU type",
                                          "tlmIdentifier", "change-only"};

/* A field of an entry as text, NULL when the entry does not know it. */
static const char *field_of(const edb_meta_entry *e, int f, char *buf, size_t n)
{
    switch (f) {
    case F_DESC: return e->description;
    case F_LDESC: return e->long_description;
    case F_UNIT: return e->unit;
    case F_SUB: return e->subsystem;
    case F_SQL: return e->sqltype;
    case F_RAW: return e->raw_type;
    case F_EU: return e->eu_type;
    case F_ID:
        if (e->tlm_identifier < 0)
            return NULL;
        snprintf(buf, n, "%lld", (long long)e->tlm_identifier);
        return buf;
    default:
        if (e->all_points < 0)
            return NULL;
        snprintf(buf, n, "%d", e->all_points);
        return buf;
    }
}

static void text_value(FILE *f, const char *s)
{
    for (; *s; s++)
        putc((unsigned char)*s < 0x20 || *s == 0x7f ? ' ' : *s, f);
}

/* One mnemonic; 0 when no source knows it. */
static int show(const char *name, const source *src, size_t ns, int json, int first)
{
    const edb_meta_entry *e[INFO_MAX_META + 2];
    int known = 0;
    for (size_t k = 0; k < ns; k++) {
        e[k] = edb_meta_find(src[k].m, name);
        known |= e[k] != NULL;
    }
    if (!known)
        return 0;
    char buf[F_N][32];
    const char *val[F_N];
    const char *from[F_N];
    for (int f = 0; f < F_N; f++) {
        val[f] = from[f] = NULL;
        for (size_t k = 0; k < ns && !val[f]; k++)
            if (e[k] && (val[f] = field_of(e[k], f, buf[f], sizeof buf[f])))
                from[f] = src[k].label;
    }
    if (json) {
        fputs(first ? "[" : ",\n ", stdout);
        fputs("{\"mnemonic\": ", stdout);
        cli_json_string(stdout, name);
        fputs(", \"known\": true", stdout);
        for (int f = 0; f < F_N; f++) {
            printf(", \"%s\": ", json_key[f]);
            if (!val[f]) {
                fputs("null", stdout);
                continue;
            }
            fputs("{\"value\": ", stdout);
            if (f == F_ID || f == F_AP)
                fputs(val[f], stdout);
            else
                cli_json_string(stdout, val[f]);
            fputs(", \"source\": ", stdout);
            cli_json_string(stdout, from[f]);
            fputs("}", stdout);
        }
        fputs("}", stdout);
        return 1;
    }
    if (!first)
        putc('\n', stdout);
    printf("%s\n", name);
    for (int f = 0; f < F_N; f++) {
        printf("  %-18s", text_key[f]);
        if (!val[f])
            fputs("-", stdout);
        else if (f == F_AP)
            fputs(val[f][0] == '0' ? "yes (a sample only when the value changes)"
                                   : "no (every sample)", stdout);
        else
            text_value(stdout, val[f]);
        putc('\n', stdout);
    }
    return 1;
}

static int run_info(cli_disco *d, cli_args *a, source *src, size_t *ns, const char **metas,
                    size_t n_metas)
{
    edb_err err = EDB_ERR_INIT;
    int json = d->format && strcmp(d->format, "json") == 0;
    for (size_t k = 0; k < a->npos; k++) {
        char norm[EDB_MNEMONIC_MAX + 1];
        if (edb_mnemonic_normalize(a->pos[k], norm, sizeof norm, &err) != EDB_OK)
            return cli_fail(err.status, "%s", err.msg);
    }
    for (size_t k = 0; k < n_metas; k++) {
        source *s = &src[(*ns)++];
        snprintf(s->label, sizeof s->label, "--meta %s", metas[k]);
        if (edb_meta_new(&s->m) != EDB_OK)
            return cli_fail(EDB_ERR_NOMEM, "out of memory");
        if (edb_meta_load_file(s->m, metas[k], &err) != EDB_OK)
            return cli_fail(err.status, "--meta: %s", err.msg);
    }
    if (cli_disco_open(d, &err) != EDB_OK)
        return cli_fail(err.status, "%s", err.msg);
    /* What the service says of each name comes before its inventory: it is asked now and
     * says more (Mast.JwstEdb.Dictionary's longDescription). */
    source *dict = NULL;
    if (!d->store) {
        dict = &src[(*ns)++];
        char what[160];
        edb_discovery_source(d->co.service, 1, what, sizeof what);
        snprintf(dict->label, sizeof dict->label, "%s from %s", what, d->co.base_url);
        if (edb_meta_new(&dict->m) != EDB_OK)
            return cli_fail(EDB_ERR_NOMEM, "out of memory");
    }
    source *inv = &src[(*ns)++];
    if (edb_meta_new(&inv->m) != EDB_OK)
        return cli_fail(EDB_ERR_NOMEM, "out of memory");
    edb_inventory_info info;
    if (cli_disco_inventory(d, inv->m, &info, inv->label, sizeof inv->label, &err) != EDB_OK)
        return cli_fail(err.status, "%s", err.msg);
    for (size_t k = 0; dict && k < a->npos; k++) {
        edb_status st = edb_client_describe(d->client, NULL, a->pos[k], dict->m);
        if (st == EDB_OK || st == EDB_ERR_NOT_FOUND)
            continue;
        if (st == EDB_ERR_INTERRUPTED)
            return cli_fail(st, "interrupted");
        /* The inventory is there: say what could not be asked, and show the rest. */
        if (!d->quiet)
            cli_warn("warning: %s; showing what the other sources know",
                     edb_client_errmsg(d->client));
        break;
    }
    int code = EXIT_OK, first = 1;
    for (size_t k = 0; k < a->npos; k++) {
        char norm[EDB_MNEMONIC_MAX + 1];
        edb_mnemonic_normalize(a->pos[k], norm, sizeof norm, NULL);
        if (show(norm, src, *ns, json, first)) {
            first = 0;
            continue;
        }
        char hint[300];
        cli_suggest(inv->m, norm, hint, sizeof hint);
        code = cli_fail(EDB_ERR_NOT_FOUND, "%s: no such mnemonic in %s%s", norm, inv->label,
                        hint);
    }
    if (json)
        fputs(first ? "[]\n" : "]\n", stdout);
    if (fflush(stdout) != 0 || ferror(stdout))
        return errno == EPIPE ? EXIT_PIPE : cli_fail(EDB_ERR_IO, "cannot write the results");
    return code;
}

int cmd_info(int argc, char **argv)
{
    cli_trap_signals();
    cli_args args;
    edb_err err = EDB_ERR_INIT;
    if (cli_args_parse(&info_options, "info", argc, argv, &args, &err) != EDB_OK) {
        cli_args_free(&args);
        return cli_fail(err.status, "%s", err.msg);
    }
    cli_disco d;
    memset(&d, 0, sizeof d);
    const char *metas[INFO_MAX_META];
    size_t n_metas = 0;
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
        case DOPT_HELP: help_info(stdout); code = EXIT_OK; break;
        case IOPT_META:
            if (n_metas == INFO_MAX_META)
                code = cli_fail(EDB_ERR_USAGE, "at most %d --meta files", INFO_MAX_META);
            else
                metas[n_metas++] = args.v[k].value;
            break;
        default:
            code = cli_fail(EDB_ERR_INTERNAL, "option --%s is in the table but not handled",
                            args.v[k].opt->name);
        }
    }
    if (code < 0 && args.npos == 0)
        code = cli_fail(EDB_ERR_USAGE, "name at least one mnemonic, e.g. edbx info "
                        "IMIR_HK_ICE_SEC_VOLT4");
    if (code < 0 && d.format && strcmp(d.format, "text") && strcmp(d.format, "json"))
        code = cli_fail(EDB_ERR_USAGE, "unknown --format '%s' (text or json)", d.format);
    source src[INFO_MAX_META + 2];
    memset(src, 0, sizeof src);
    size_t ns = 0;
    if (code < 0)
        code = run_info(&d, &args, src, &ns, metas, n_metas);
    for (size_t k = 0; k < ns; k++)
        edb_meta_free(src[k].m);
    cli_disco_close(&d);
    cli_args_free(&args);
    return code;
}
