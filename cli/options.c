/* options.c: parsing and help for a table of options (options.h). */
#include <stdlib.h>
#include <string.h>

#include <edb/edb.h>

#include "options.h"

const cli_opt *cli_opt_find(const cli_optset *set, const char *name)
{
    for (size_t k = 0; k < set->n; k++)
        if (set->v[k].name && strcmp(set->v[k].name, name) == 0)
            return &set->v[k];
    return NULL;
}

static const cli_opt *find_long(const cli_optset *set, const char *name, size_t len)
{
    for (size_t k = 0; k < set->n; k++) {
        const cli_opt *o = &set->v[k];
        if (o->name && strlen(o->name) == len &&
            strncmp(o->name, name, len) == 0)
            return o;
    }
    return NULL;
}

static const cli_opt *find_short(const cli_optset *set, char c)
{
    for (size_t k = 0; k < set->n; k++)
        if (set->v[k].name && set->v[k].short_name == c)
            return &set->v[k];
    return NULL;
}

/* An argument for a message: at most 60 bytes, control bytes as '?'. */
static void shown_arg(const char *a, size_t len, char *out, size_t n)
{
    size_t o = 0;
    for (size_t k = 0; k < len && o + 4 < n && k < 60; k++)
        out[o++] = ((unsigned char)a[k] < 0x20 || a[k] == 0x7f) ? '?' : a[k];
    if (len > 60 && o + 4 < n) {
        memcpy(out + o, "...", 3);
        o += 3;
    }
    out[o] = '\0';
}

static edb_status push(cli_args *a, const cli_opt *o, const char *value, size_t *cap)
{
    if (a->n == *cap) {
        size_t nc = *cap ? *cap * 2 : 16;
        cli_arg *v = realloc(a->v, nc * sizeof *v);
        if (!v)
            return EDB_ERR_NOMEM;
        a->v = v;
        *cap = nc;
    }
    a->v[a->n].opt = o;
    a->v[a->n].value = value;
    a->n++;
    return EDB_OK;
}

static edb_status once(const cli_args *a, const cli_opt *o, const char *cmd, edb_err *err)
{
    if (o->repeat)
        return EDB_OK;
    for (size_t k = 0; k < a->n; k++)
        if (a->v[k].opt == o)
            return edb_err_set(err, EDB_ERR_USAGE, "--%s is given twice (see 'edbx %s --help')",
                               o->name, cmd);
    return EDB_OK;
}

edb_status cli_args_parse(const cli_optset *set, const char *cmd, int argc, char **argv,
                          cli_args *out, edb_err *err)
{
    memset(out, 0, sizeof *out);
    size_t cap = 0;
    out->pos = calloc(argc > 0 ? (size_t)argc : 1, sizeof *out->pos);
    if (!out->pos)
        return edb_err_set(err, EDB_ERR_NOMEM, "out of memory");
    char shown[80];
    int only_pos = 0;
    for (int k = 1; k < argc; k++) {
        const char *a = argv[k];
        if (only_pos || a[0] != '-' || a[1] == '\0') { /* "-" alone is an argument */
            out->pos[out->npos++] = argv[k];
            continue;
        }
        if (strcmp(a, "--") == 0) {
            only_pos = 1;
            continue;
        }
        if (a[1] == '-') {
            const char *name = a + 2, *eq = strchr(name, '=');
            size_t len = eq ? (size_t)(eq - name) : strlen(name);
            const cli_opt *o = find_long(set, name, len);
            if (!o) {
                shown_arg(a, eq ? (size_t)(eq - a) : strlen(a), shown, sizeof shown);
                return edb_err_set(err, EDB_ERR_USAGE, "unknown option %s (see 'edbx %s --help')",
                                   shown, cmd);
            }
            const char *value = NULL;
            if (o->value) {
                if (eq)
                    value = eq + 1;
                else if (k + 1 < argc)
                    value = argv[++k];
                else
                    return edb_err_set(err, EDB_ERR_USAGE, "option --%s needs a value (%s)",
                                       o->name, o->value);
            } else if (eq) {
                return edb_err_set(err, EDB_ERR_USAGE, "option --%s takes no value", o->name);
            }
            if (once(out, o, cmd, err) != EDB_OK)
                return EDB_ERR_USAGE;
            if (push(out, o, value, &cap) != EDB_OK)
                return edb_err_set(err, EDB_ERR_NOMEM, "out of memory");
            continue;
        }
        /* One or more short options: -v, -vq, -oFILE, -o FILE. */
        for (const char *p = a + 1; *p; p++) {
            const cli_opt *o = find_short(set, *p);
            if (!o) {
                unsigned char c = (unsigned char)*p;
                if (c >= 0x20 && c < 0x7f)
                    return edb_err_set(err, EDB_ERR_USAGE, "unknown option -%c (see 'edbx %s "
                                       "--help')", c, cmd);
                return edb_err_set(err, EDB_ERR_USAGE, "unknown option (a byte 0x%02x) in %s",
                                   c, cmd);
            }
            const char *value = NULL;
            if (o->value) {
                if (p[1])
                    value = p + 1;
                else if (k + 1 < argc)
                    value = argv[++k];
                else
                    return edb_err_set(err, EDB_ERR_USAGE, "option -%c needs a value (%s)",
                                       o->short_name, o->value);
            }
            if (once(out, o, cmd, err) != EDB_OK)
                return EDB_ERR_USAGE;
            if (push(out, o, value, &cap) != EDB_OK)
                return edb_err_set(err, EDB_ERR_NOMEM, "out of memory");
            if (value)
                break;
        }
    }
    return EDB_OK;
}

void cli_args_free(cli_args *a)
{
    free(a->v);
    free(a->pos);
    memset(a, 0, sizeof *a);
}

/* The help of an option from the help column on, its words filled to 80 columns: the
 * table's line breaks are only where the words were, so that no line is ever wider than a
 * terminal whatever the option's name. */
static void put_help(FILE *out, size_t used, const char *help)
{
    const size_t col = 23, width = 80;
    const char *p = help ? help : "";
    if (used >= col - 1) {
        fputc('\n', out);
        used = 0;
    }
    fprintf(out, "%*s", (int)(col - used), "");
    size_t x = col;
    int empty = 1;
    for (;;) {
        p += strspn(p, " \n");
        size_t len = strcspn(p, " \n");
        if (len == 0)
            break;
        if (!empty && x + 1 + len > width) {
            fprintf(out, "\n%*s", (int)col, "");
            x = col;
            empty = 1;
        }
        if (!empty) {
            fputc(' ', out);
            x++;
        }
        fwrite(p, 1, len, out);
        x += len;
        empty = 0;
        p += len;
    }
    fputc('\n', out);
}

void cli_opts_help(const cli_optset *set, FILE *out)
{
    for (size_t k = 0; k < set->n; k++) {
        const cli_opt *o = &set->v[k];
        if (o->role == CLI_ROLE_INTERNAL || o->role == CLI_ROLE_FETCHED)
            continue;
        if (!o->name) {
            fprintf(out, "%s\n", o->help);
            continue;
        }
        char left[64];
        int n;
        if (o->short_name)
            n = snprintf(left, sizeof left, "  -%c, --%s%s%s", o->short_name, o->name,
                         o->value ? " " : "", o->value ? o->value : "");
        else
            n = snprintf(left, sizeof left, "      --%s%s%s", o->name, o->value ? " " : "",
                         o->value ? o->value : "");
        fputs(left, out);
        put_help(out, n > 0 ? (size_t)n : 0, o->help);
    }
}
