/* registry.c: the formats edbx writes, found by name (--format) or by the extension of the
 * output's name.  Adding a format is its own file and one line here; --help, the error
 * messages and the CLI read this table, never a list of their own. */
#include <stdio.h>
#include <string.h>

#include <edb/writer.h>

#include "formats.h"

static const edb__format *const registry[] = {&edb__format_csv,  &edb__format_csvgz,
                                              &edb__format_ecsv, &edb__format_fits,
                                              &edb__format_hdf5,
                                              /* plots (plot_draw.c) */
                                              &edb__format_png,  &edb__format_svg,
                                              &edb__format_pdf,  &edb__format_html};
#define N_FORMATS (sizeof registry / sizeof registry[0])

static int ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    if (m > n)
        return 0;
    for (size_t k = 0; k < m; k++) {
        char a = s[n - m + k], b = suffix[k];
        if (a >= 'A' && a <= 'Z')
            a = (char)(a - 'A' + 'a');
        if (a != b)
            return 0;
    }
    return 1;
}

const edb__format *edb__format_by_path(const char *path)
{
    /* Longest extension wins, so ".csv.gz" beats ".gz" when both exist. */
    const edb__format *best = NULL;
    size_t best_len = 0;
    for (size_t k = 0; path && k < N_FORMATS; k++)
        for (const char *const *e = registry[k]->extensions; *e; e++)
            if (ends_with(path, *e) && strlen(*e) > best_len) {
                best = registry[k];
                best_len = strlen(*e);
            }
    return best;
}

const edb__format *edb__format_by_name(const char *name)
{
    for (size_t k = 0; name && k < N_FORMATS; k++)
        if (strcmp(registry[k]->name, name) == 0)
            return registry[k];
    return NULL;
}

void edb__format_list(char *buf, size_t n)
{
    size_t o = 0;
    buf[0] = '\0';
    for (size_t k = 0; k < N_FORMATS && o < n; k++)
        o += (size_t)snprintf(buf + o, n - o, "%s%s", o ? ", " : "", registry[k]->name);
}

void edb__format_option_list(const edb__format *f, char *buf, size_t n)
{
    size_t o = (size_t)snprintf(buf, n, "valid: ");
    int any = 0;
    for (const edb__wopt *p = f->options; p && p->key && o < n; p++, any = 1)
        o += (size_t)snprintf(buf + o, n - o, "%s%s%s%s", any ? ", " : "", p->key,
                              p->value ? "=" : "", p->value ? p->value : "");
    if (!any)
        snprintf(buf, n, "it takes none");
}

void edb__format_ext_list(char *buf, size_t n)
{
    size_t o = 0;
    buf[0] = '\0';
    for (size_t k = 0; k < N_FORMATS && o < n; k++)
        for (const char *const *e = registry[k]->extensions; *e && o < n; e++)
            o += (size_t)snprintf(buf + o, n - o, "%s%s", o ? ", " : "", *e);
}

const char *edb_format_from_path(const char *path)
{
    const edb__format *f = edb__format_by_path(path);
    return f ? f->name : NULL;
}

int edb_format_known(const char *name)
{
    return edb__format_by_name(name) != NULL;
}

int edb_format_holds_tables(const char *name)
{
    const edb__format *f = edb__format_by_name(name);
    return f && f->write_tables != NULL;
}

int edb_format_is_picture(const char *name)
{
    const edb__format *f = edb__format_by_name(name);
    return f == &edb__format_png || f == &edb__format_svg || f == &edb__format_pdf ||
           f == &edb__format_html;
}

size_t edb_format_count(void)
{
    return N_FORMATS;
}

const char *edb_format_name(size_t i)
{
    return i < N_FORMATS ? registry[i]->name : NULL;
}

const char *const *edb_format_extensions(size_t i)
{
    return i < N_FORMATS ? registry[i]->extensions : NULL;
}

size_t edb_format_option_count(const char *format)
{
    const edb__format *f = edb__format_by_name(format);
    size_t n = 0;
    for (const edb__wopt *p = f ? f->options : NULL; p && p->key; p++)
        n++;
    return n;
}

int edb_format_option_get(const char *format, size_t i, edb_format_option *out)
{
    if (i >= edb_format_option_count(format))
        return -1;
    const edb__wopt *p = &edb__format_by_name(format)->options[i];
    out->key = p->key;
    out->value = p->value;
    out->help = p->help;
    return 0;
}
