/* csv.c: CSV in the long layout, one row per sample: time,mjd,mnemonic,value; and the
 * same gzipped (.csv.gz).
 *
 * time is ISO 8601 UTC with milliseconds (astropy's isot form); mjd is computed from the
 * time (never from the EDB's 10-decimal MJD column) and printed so that it reads back as
 * the same double; real values the same way; strings are quoted per RFC 4180 when they
 * hold a comma, a quote, CR or LF, or leading/trailing space.  Lines end in LF.
 *
 * .csv.gz runs the same code through a FILE* whose writes go to zlib (fopencookie), so
 * the two cannot drift apart.  The gzip header carries no name and no time stamp. */
#define _GNU_SOURCE /* fopencookie */
#include <stdio.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include <zlib.h>

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

void edb__csv_put_string(FILE *f, const char *s, size_t len)
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

static edb_status csv_write_series(const edb__wctx *c, const edb_series *const *series,
                                   size_t n)
{
    FILE *f = c->f;
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
                edb__csv_put_string(f, v, len);
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
static edb_status csv_write_table(const edb__wctx *c, const edb_table *t)
{
    FILE *f = c->f;
    char tbuf[EDB_TIME_STRLEN], num[40];
    fputs("time,mjd", f);
    for (size_t k = 0; k < t->ncols; k++) {
        putc(',', f);
        edb__csv_put_string(f, t->cols[k].name, strlen(t->cols[k].name));
    }
    putc('\n', f);
    for (size_t r = 0; r < t->nrows; r++) {
        edb_time_format_iso(t->t[r], tbuf, sizeof tbuf);
        fputs(tbuf, f);
        putc(',', f);
        edb_format_double(edb_time_to_mjd(t->t[r]), num, sizeof num);
        fputs(num, f);
        for (size_t k = 0; k < t->ncols; k++) {
            const edb_column *col = &t->cols[k];
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
                edb__csv_put_string(f, v, len);
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

/* ---- .csv.gz ---------------------------------------------------------------------- */

typedef struct gz_sink {
    z_stream zs;
    FILE *out;
    int failed; /* 1: the output failed (errno kept in err_no); 2: zlib failed */
    int err_no;
    unsigned char buf[1 << 16];
} gz_sink;

static int gz_pump(gz_sink *g, int flush)
{
    int zr;
    do {
        g->zs.next_out = g->buf;
        g->zs.avail_out = sizeof g->buf;
        zr = deflate(&g->zs, flush);
        if (zr == Z_STREAM_ERROR) {
            g->failed = 2;
            return -1;
        }
        size_t have = sizeof g->buf - g->zs.avail_out;
        if (have && fwrite(g->buf, 1, have, g->out) != have) {
            g->failed = 1;
            g->err_no = errno;
            return -1;
        }
    } while (g->zs.avail_out == 0 || (flush == Z_FINISH && zr != Z_STREAM_END));
    return 0;
}

static ssize_t gz_write(void *cookie, const char *buf, size_t len)
{
    gz_sink *g = cookie;
    if (g->failed)
        return 0;
    g->zs.next_in = (unsigned char *)(uintptr_t)buf;
    g->zs.avail_in = (uInt)len;
    if (gz_pump(g, Z_NO_FLUSH) != 0)
        return 0; /* stdio then marks the stream as failed */
    return (ssize_t)len;
}

static int gz_close(void *cookie)
{
    gz_sink *g = cookie;
    if (!g->failed) {
        g->zs.next_in = NULL;
        g->zs.avail_in = 0;
        gz_pump(g, Z_FINISH);
    }
    deflateEnd(&g->zs);
    return g->failed ? -1 : 0;
}

typedef edb_status (*csv_body)(const edb__wctx *c, const void *a, size_t n);

static edb_status gz_run(const edb__wctx *c, csv_body body, const void *a, size_t n)
{
    gz_sink *g = calloc(1, sizeof *g);
    if (!g)
        return edb_err_set(c->err, EDB_ERR_NOMEM, "out of memory compressing the CSV");
    g->out = c->f;
    /* windowBits 15 + 16: a gzip wrapper; zlib writes it with no name and mtime 0, so
     * the same rows always give the same bytes. */
    if (deflateInit2(&g->zs, c->compress, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
        free(g);
        return edb_err_set(c->err, EDB_ERR_NOMEM, "cannot start zlib (out of memory?)");
    }
    cookie_io_functions_t io = {NULL, gz_write, NULL, gz_close};
    FILE *zf = fopencookie(g, "w", io);
    if (!zf) {
        deflateEnd(&g->zs);
        free(g);
        return edb_err_set(c->err, EDB_ERR_NOMEM, "out of memory compressing the CSV");
    }
    setvbuf(zf, NULL, _IOFBF, 1 << 16);
    edb__wctx zc = *c;
    zc.f = zf;
    edb_status st = body(&zc, a, n);
    int bad = ferror(zf);
    bad = fclose(zf) != 0 || bad;
    if (st == EDB_OK && bad) {
        if (g->failed == 1)
            st = edb_err_set(c->err, EDB_ERR_IO, "%s", strerror(g->err_no));
        else
            st = edb_err_set(c->err, EDB_ERR_INTERNAL, "zlib failed to compress the CSV");
    }
    free(g);
    return st;
}

static edb_status body_series(const edb__wctx *c, const void *a, size_t n)
{
    return csv_write_series(c, a, n);
}

static edb_status body_table(const edb__wctx *c, const void *a, size_t n)
{
    (void)n;
    return csv_write_table(c, a);
}

static edb_status csvgz_write_series(const edb__wctx *c, const edb_series *const *series,
                                     size_t n)
{
    return gz_run(c, body_series, series, n);
}

static edb_status csvgz_write_table(const edb__wctx *c, const edb_table *t)
{
    return gz_run(c, body_table, t, 0);
}

static const char *const csv_extensions[] = {".csv", NULL};
static const char *const csvgz_extensions[] = {".csv.gz", NULL};

const edb__format edb__format_csv = {"csv", csv_extensions, 1, csv_write_series, csv_write_table};
const edb__format edb__format_csvgz = {"csv.gz", csvgz_extensions, 1, csvgz_write_series,
                                       csvgz_write_table};
