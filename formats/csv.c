/* csv.c: CSV in the long layout, one row per sample: time,mjd,mnemonic,value.
 *
 * time is ISO 8601 UTC with milliseconds (astropy's isot form); mjd is computed from the
 * time (never from the EDB's 10-decimal MJD column) and printed so that it reads back as
 * the same double; real values the same way; strings are quoted per RFC 4180 when they
 * hold a comma, a quote, CR or LF, or leading/trailing space.  Lines end in LF. */
#include <stdio.h>
#include <string.h>

#include <edb/mastcsv.h>
#include <edb/writer.h>

#include "formats.h"

static int needs_quotes(const char *s, size_t len)
{
    if (len == 0)
        return 0;
    if (s[0] == ' ' || s[len - 1] == ' ')
        return 1;
    for (size_t k = 0; k < len; k++)
        if (s[k] == ',' || s[k] == '"' || s[k] == '\r' || s[k] == '\n')
            return 1;
    return 0;
}

static void put_string(FILE *f, const char *s, size_t len)
{
    if (!needs_quotes(s, len)) {
        fwrite(s, 1, len, f);
        return;
    }
    putc('"', f);
    for (size_t k = 0; k < len; k++) {
        if (s[k] == '"')
            putc('"', f);
        putc(s[k], f);
    }
    putc('"', f);
}

static edb_status csv_write_series(const char *path, FILE *f, const edb_series *const *series,
                                   size_t n, const edb_run_info *run, edb_err *err)
{
    (void)path;
    (void)run;
    (void)err;
    char tbuf[EDB_TIME_STRLEN], num[40];
    fputs("time,mjd,mnemonic,value\n", f);
    for (size_t k = 0; k < n; k++) {
        const edb_series *s = series[k];
        for (size_t j = 0; j < s->n; j++) {
            edb_time_format_iso(s->t[j], tbuf, sizeof tbuf);
            fputs(tbuf, f);
            putc(',', f);
            edb_format_double(edb_time_to_mjd(s->t[j]), num, sizeof num);
            fputs(num, f);
            putc(',', f);
            fputs(s->mnemonic, f);
            putc(',', f);
            switch (s->vtype) {
            case EDB_VT_REAL:
                /* A missing value (NaN) is an empty field, as pandas and astropy expect. */
                if (s->d[j] == s->d[j]) {
                    edb_format_double(s->d[j], num, sizeof num);
                    fputs(num, f);
                }
                break;
            case EDB_VT_INT:
                fprintf(f, "%lld", (long long)s->i[j]);
                break;
            case EDB_VT_STRING: {
                size_t len;
                const char *v = edb_series_str(s, j, &len);
                put_string(f, v, len);
                break;
            }
            case EDB_VT_NONE:
                break;
            }
            putc('\n', f);
        }
    }
    return EDB_OK;
}

/* The wide layout: time,mjd,COLUMN...; a row without a value is an empty field. */
static edb_status csv_write_table(const char *path, FILE *f, const edb_table *t,
                                  const edb_run_info *run, edb_err *err)
{
    (void)path;
    (void)run;
    (void)err;
    char tbuf[EDB_TIME_STRLEN], num[40];
    fputs("time,mjd", f);
    for (size_t c = 0; c < t->ncols; c++) {
        putc(',', f);
        put_string(f, t->cols[c].name, strlen(t->cols[c].name));
    }
    putc('\n', f);
    for (size_t r = 0; r < t->nrows; r++) {
        edb_time_format_iso(t->t[r], tbuf, sizeof tbuf);
        fputs(tbuf, f);
        putc(',', f);
        edb_format_double(edb_time_to_mjd(t->t[r]), num, sizeof num);
        fputs(num, f);
        for (size_t c = 0; c < t->ncols; c++) {
            const edb_column *col = &t->cols[c];
            putc(',', f);
            if (!col->valid[r])
                continue;
            switch (col->vtype) {
            case EDB_VT_REAL:
                if (col->d[r] == col->d[r]) {
                    edb_format_double(col->d[r], num, sizeof num);
                    fputs(num, f);
                }
                break;
            case EDB_VT_INT:
                fprintf(f, "%lld", (long long)col->i[r]);
                break;
            case EDB_VT_STRING: {
                size_t len;
                const char *v = edb_column_str(col, r, &len);
                put_string(f, v, len);
                break;
            }
            case EDB_VT_NONE:
                break;
            }
        }
        putc('\n', f);
    }
    return EDB_OK;
}

static const char *const csv_extensions[] = {".csv", NULL};

const edb__format edb__format_csv = {"csv", csv_extensions, 1, csv_write_series, csv_write_table};
