/* csv.c: CSV in the long layout, one row per sample: time,mjd,mnemonic,value; and the
 * same gzipped (.csv.gz).
 *
 * time is ISO 8601 UTC with milliseconds (astropy's isot form); mjd is computed from the
 * time (never from the EDB's 10-decimal MJD column) and printed so that it reads back as
 * the same double; real values the same way; strings are quoted per RFC 4180 when they
 * hold a comma, a quote, CR or LF, or leading/trailing space.  Lines end in LF.
 *
 * .csv.gz runs the same code through a FILE* whose writes go to zlib (fopencookie), so
 * the two cannot drift apart.  The gzip header carries no name and no time stamp.
 *
 * Options (-O): safe puts a "'" before a string value that a spreadsheet would run as a
 * formula; header-comments starts the file with '#' lines giving each column's (or
 * mnemonic's) unit and description, in a form pandas (comment='#') and astropy
 * (comment='#') skip or keep as comments; csv.gz also takes compress=N. */
#define _GNU_SOURCE /* fopencookie */
#include <stdio.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

#include <zlib.h>

#include <edb/number.h>
#include <edb/writer.h>

#include "formats.h"

static int needs_quotes(const char *s, size_t len, int quote_hash)
{
    if (len == 0)
        return 0;
    if (s[0] == ' ' || s[len - 1] == ' ')
        return 1;
    for (size_t k = 0; k < len; k++)
        if (s[k] == ',' || s[k] == '"' || s[k] == '\r' || s[k] == '\n' ||
            (quote_hash && s[k] == '#'))
            return 1;
    return 0;
}

int edb__csv_formula_like(const char *s, size_t len)
{
    double d;
    /* OWASP's list of what makes a cell a formula (or a DDE call) in Excel, LibreOffice
     * and Google Sheets; a plain number ("-0.5") is not one and is left alone. */
    return len && s[0] && strchr("=+-@\t\r", s[0]) && edb_parse_double(s, len, &d) != 0;
}

int edb__csv_cell_risky(const char *s)
{
    while (*s == ' ')
        s++;
    return *s && strchr("=+-@", *s);
}

void edb__csv_put_string(FILE *f, const char *s, size_t len)
{
    if (!needs_quotes(s, len, 0)) {
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

/* ---- the block buffer ------------------------------------------------------------- */

int edb__out_init(edb__out *o, FILE *f)
{
    o->f = f;
    o->len = 0;
    o->cap = EDB__OUT_BLOCK;
    o->oom = 0;
    o->safe = o->quote_hash = o->empty_quoted = 0;
    o->buf = malloc(EDB__OUT_BLOCK);
    return o->buf ? 0 : -1;
}

/* A growing buffer (f NULL): room for at least need more bytes. */
static void out_grow(edb__out *o, size_t need)
{
    size_t cap = o->cap;
    while (cap - o->len < need)
        cap *= 2;
    char *b = o->oom ? NULL : realloc(o->buf, cap);
    if (!b) {
        o->oom = 1; /* keep going into the same room; the rows are dropped at the end */
        o->len = 0;
        return;
    }
    o->buf = b;
    o->cap = cap;
}

void edb__out_flush(edb__out *o)
{
    if (!o->f) {
        out_grow(o, EDB__OUT_ROOM);
        return;
    }
    if (o->len)
        fwrite(o->buf, 1, o->len, o->f);
    o->len = 0;
}

void edb__out_free(edb__out *o)
{
    if (o->buf)
        edb__out_flush(o);
    free(o->buf);
    o->buf = NULL;
}

void edb__out_put(edb__out *o, const char *s, size_t len)
{
    if (o->cap - o->len < len) {
        if (!o->f) {
            out_grow(o, len);
            if (o->cap - o->len < len)
                return; /* out of memory */
        } else {
            edb__out_flush(o);
            if (len > o->cap) {
                fwrite(s, 1, len, o->f);
                return;
            }
        }
    }
    memcpy(o->buf + o->len, s, len);
    o->len += len;
}

void edb__out_csv_string(edb__out *o, const char *s, size_t len)
{
    int tick = o->safe && edb__csv_formula_like(s, len);
    if (!needs_quotes(s, len, o->quote_hash)) {
        if (tick)
            edb__out_put(o, "'", 1);
        edb__out_put(o, s, len);
        return;
    }
    /* each quote doubled: the runs between quotes go out as they are */
    edb__out_put(o, tick ? "\"'" : "\"", tick ? 2 : 1);
    size_t from = 0;
    for (size_t k = 0; k < len; k++)
        if (s[k] == '"') {
            edb__out_put(o, s + from, k + 1 - from);
            edb__out_put(o, "\"", 1);
            from = k + 1;
        }
    edb__out_put(o, s + from, len - from);
    edb__out_put(o, "\"", 1);
}

/* ---- rows formatted on worker threads ---------------------------------------------
 *
 * Formatting numbers is most of a text writer's time (edb_format_double, the ISO time),
 * and every row can be formatted on its own: workers format blocks of rows in turn
 * (edb__pipe_run), each into a slot of its own, and this thread writes the slots out in
 * block order.  Memory: 2 slots a worker of a block of rows each (a few MiB). */

#define ROWS_PER_BLOCK 8192

typedef struct row_job {
    edb__out *o;
    edb__row_fn fn;
    const void *ctx;
    size_t n;
    edb__out *slots;
    int oom;
} row_job;

static int row_make(void *ctx, void *state, size_t b, size_t slot)
{
    (void)state;
    row_job *j = ctx;
    edb__out *out = &j->slots[slot];
    out->len = 0;
    size_t r1 = (b + 1) * ROWS_PER_BLOCK < j->n ? (b + 1) * ROWS_PER_BLOCK : j->n;
    for (size_t r = b * ROWS_PER_BLOCK; r < r1; r++)
        j->fn(out, j->ctx, r);
    return 0;
}

static int row_take(void *ctx, size_t b, size_t slot)
{
    (void)b;
    row_job *j = ctx;
    const edb__out *out = &j->slots[slot];
    j->oom |= out->oom;
    if (j->oom)
        return -1;
    edb__out_put(j->o, out->buf, out->len);
    return 0;
}

int edb__out_rows(edb__out *o, size_t n, edb__row_fn fn, const void *ctx)
{
    size_t nblocks = (n + ROWS_PER_BLOCK - 1) / ROWS_PER_BLOCK;
    size_t nworkers = nblocks < 2 ? 0 : edb__pipe_workers(EDB__PIPE_MAX_WORKERS);
    row_job j = {o, fn, ctx, n, NULL, 0};
    size_t nslots = 2 * nworkers;
    if (nworkers && !(j.slots = calloc(nslots, sizeof *j.slots)))
        nworkers = 0;
    for (size_t k = 0; nworkers && k < nslots; k++) {
        j.slots[k] = *o;
        j.slots[k].f = NULL;
        j.slots[k].oom = 0;
        j.slots[k].len = 0;
        j.slots[k].cap = EDB__OUT_BLOCK;
        if (!(j.slots[k].buf = malloc(EDB__OUT_BLOCK)))
            nworkers = 0;
    }
    if (!nworkers) {
        for (size_t r = 0; r < n; r++)
            fn(o, ctx, r);
    } else {
        edb__pipe p = {.ctx = &j, .njobs = nblocks, .nslots = nslots, .nworkers = nworkers,
                       .make = row_make, .take = row_take};
        edb__pipe_run(&p);
    }
    for (size_t k = 0; j.slots && k < nslots; k++)
        free(j.slots[k].buf);
    free(j.slots);
    return j.oom ? -1 : 0;
}

char *edb__put_int64(char *p, int64_t v)
{
    /* through uint64_t: -INT64_MIN does not fit in int64_t */
    uint64_t u = (uint64_t)v;
    if (v < 0) {
        *p++ = '-';
        u = 0 - u;
    }
    char tmp[20];
    int n = 0;
    do {
        tmp[n++] = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    while (n)
        *p++ = tmp[--n];
    return p;
}

char *edb__put_double(char *p, double v)
{
    return p + edb_format_double(v, p, 40);
}

void edb__out_time_mjd(edb__out *o, edb_time t)
{
    char *p = edb__out_room(o);
    p += edb_time_format_iso(t, p, EDB_TIME_STRLEN);
    *p++ = ',';
    p = edb__put_double(p, edb_time_to_mjd(t));
    edb__out_commit(o, p);
}

/* The value field of a row, after its comma.  NaN is a missing value, an empty field
 * (pandas and astropy read it so); an empty string is an empty field too, or "" where an
 * empty field would read as "no value" (ECSV: o->empty_quoted). */
static void put_real(edb__out *o, double v)
{
    if (v == v)
        edb__out_commit(o, edb__put_double(edb__out_room(o), v));
}

/* One value of a series or a column, whichever its type (s, len: a string's bytes). */
static void put_value(edb__out *o, edb_vtype vt, double d, int64_t i, const char *s, size_t len)
{
    switch (vt) {
    case EDB_VT_REAL:
        put_real(o, d);
        break;
    case EDB_VT_INT:
        edb__out_commit(o, edb__put_int64(edb__out_room(o), i));
        break;
    case EDB_VT_STRING:
        if (len == 0 && o->empty_quoted)
            edb__out_put(o, "\"\"", 2);
        else
            edb__out_csv_string(o, s, len);
        break;
    case EDB_VT_NONE:
        break;
    }
}

/* One row of the long layout: sample r of the series ctx. */
void edb__series_row(edb__out *o, const void *ctx, size_t r)
{
    const edb_series *s = ctx;
    edb__out_time_mjd(o, s->t[r]);
    edb__out_put(o, ",", 1);
    edb__out_put(o, s->mnemonic, strlen(s->mnemonic));
    edb__out_put(o, ",", 1);
    size_t len = 0;
    const char *v = s->vtype == EDB_VT_STRING ? edb_series_str(s, r, &len) : NULL;
    put_value(o, s->vtype, s->d ? s->d[r] : 0, s->i ? s->i[r] : 0, v, len);
    edb__out_put(o, "\n", 1);
}

/* One row of the wide layout: row r of the table ctx; no value is an empty field. */
void edb__table_row(edb__out *o, const void *ctx, size_t r)
{
    const edb_table *t = ctx;
    edb__out_time_mjd(o, t->t[r]);
    for (size_t k = 0; k < t->ncols; k++) {
        const edb_column *col = &t->cols[k];
        edb__out_put(o, ",", 1);
        if (!col->valid[r])
            continue;
        size_t len = 0;
        const char *v = col->vtype == EDB_VT_STRING ? edb_column_str(col, r, &len) : NULL;
        put_value(o, col->vtype, col->d ? col->d[r] : 0, col->i ? col->i[r] : 0, v, len);
    }
    edb__out_put(o, "\n", 1);
}

static edb_status no_memory(const edb__wctx *c)
{
    return edb_err_set(c->err, EDB_ERR_NOMEM, "out of memory writing the CSV");
}

static edb_status start(const edb__wctx *c, edb__out *o)
{
    if (edb__out_init(o, c->f) != 0)
        return no_memory(c);
    o->safe = edb__wctx_flag(c, "safe");
    o->quote_hash = edb__wctx_flag(c, "header-comments");
    return EDB_OK;
}

/* ---- -O header-comments --------------------------------------------------------------
 *
 *   # edbx 0.1.0: query from 2021-01-26T02:30:00.000000 to 2021-01-26T02:31:00.000000 (UTC)
 *   # column time: UTC, ISO 8601
 *   # column mjd [d]: the same instant as a Modified Julian Date (UTC)
 *   # mnemonic SA_ZATTEST1 [volts]: Attitude estimate quaternion element 1 ...
 *
 * One line per column ("column NAME"), and in the long layout one per mnemonic
 * ("mnemonic NAME", describing the values of its rows); "[UNIT]" as the EDB names the unit,
 * "(subsystem NAME)" and ": DESCRIPTION" when there are.  Control characters become blanks, so a line stays
 * a line; UTF-8 is kept. */

/* With -O safe, a spreadsheet that splits the line at ',' or ';' must not find a cell
 * that starts like a formula: a "'" goes after such a delimiter before = + - @. */
static void comment_text(edb__out *o, const char *s)
{
    for (; *s; s++) {
        char ch = (unsigned char)*s < 0x20 || *s == 0x7f ? ' ' : *s;
        edb__out_put(o, &ch, 1);
        if (o->safe && (ch == ',' || ch == ';') && edb__csv_cell_risky(s + 1))
            edb__out_put(o, "'", 1);
    }
}

static void comment_line(edb__out *o, const char *what, const char *name, const char *unit,
                         const char *subsystem, const char *description)
{
    edb__out_put(o, "# ", 2);
    edb__out_put(o, what, strlen(what));
    edb__out_put(o, " ", 1);
    comment_text(o, name);
    if (unit && unit[0]) {
        edb__out_put(o, " [", 2);
        comment_text(o, unit);
        edb__out_put(o, "]", 1);
    }
    if (subsystem && subsystem[0]) {
        edb__out_put(o, " (subsystem ", 12);
        comment_text(o, subsystem);
        edb__out_put(o, ")", 1);
    }
    if (description && description[0]) {
        edb__out_put(o, ": ", 2);
        comment_text(o, description);
    }
    edb__out_put(o, "\n", 1);
}

static void comment_head(edb__out *o, const edb__wctx *c, int64_t step_us)
{
    char buf[160], a[EDB_TIME_STRLEN], b[EDB_TIME_STRLEN];
    edb__creator(buf, sizeof buf);
    edb__out_put(o, "# ", 2);
    edb__out_put(o, buf, strlen(buf));
    if (c->run) {
        edb_time_format_iso_us(c->run->start, a, sizeof a);
        edb_time_format_iso_us(c->run->end, b, sizeof b);
        snprintf(buf, sizeof buf, ": query from %s to %s (UTC)", a, b);
        edb__out_put(o, buf, strlen(buf));
    }
    if (step_us > 0) {
        char num[40];
        edb_format_double((double)step_us / 1e6, num, sizeof num);
        snprintf(buf, sizeof buf, "; grid step %s s", num);
        edb__out_put(o, buf, strlen(buf));
    }
    if (edb__wctx_stamp(c)) {
        edb_time_format_iso_us(c->run->run_time, a, sizeof a);
        snprintf(buf, sizeof buf, "; run at %s (UTC)", a);
        edb__out_put(o, buf, strlen(buf));
    }
    edb__out_put(o, "\n", 1);
    comment_line(o, "column", "time", NULL, NULL, "UTC, ISO 8601");
    comment_line(o, "column", "mjd", "d", NULL,
                 "the same instant as a Modified Julian Date (UTC)");
}

static edb_status csv_write_series(const edb__wctx *c, const edb_series *const *series,
                                   size_t n)
{
    edb__out o;
    if (start(c, &o) != EDB_OK)
        return c->err->status;
    if (edb__wctx_flag(c, "header-comments")) {
        comment_head(&o, c, 0);
        comment_line(&o, "column", "mnemonic", NULL, NULL, "the EDB mnemonic of the row");
        comment_line(&o, "column", "value", NULL, NULL,
                     "the sample, in the unit of its mnemonic");
        for (size_t k = 0; k < n; k++)
            comment_line(&o, "mnemonic", series[k]->mnemonic, series[k]->unit,
                         series[k]->subsystem, series[k]->description);
    }
    edb__out_put(&o, "time,mjd,mnemonic,value\n", 24);
    int bad = 0;
    for (size_t k = 0; k < n && !bad; k++)
        bad = edb__out_rows(&o, series[k]->n, edb__series_row, series[k]) != 0;
    edb__out_free(&o);
    return bad ? no_memory(c) : EDB_OK;
}

/* The wide layout: time,mjd,COLUMN...; a row without a value is an empty field. */
static edb_status csv_write_table(const edb__wctx *c, const edb_table *t)
{
    edb__out o;
    if (start(c, &o) != EDB_OK)
        return c->err->status;
    if (edb__wctx_flag(c, "header-comments")) {
        comment_head(&o, c, t->step_us);
        for (size_t k = 0; k < t->ncols; k++) {
            const edb_column *col = &t->cols[k];
            char desc[1024];
            const char *d = col->description && col->description[0] ? col->description : NULL;
            if (col->stat && col->mnemonic)
                snprintf(desc, sizeof desc, "%s%s(%s of %s)", d ? d : "", d ? " " : "",
                         col->stat, col->mnemonic);
            comment_line(&o, "column", col->name, col->unit, col->subsystem,
                         col->stat && col->mnemonic ? desc : d);
        }
    }
    edb__out_put(&o, "time,mjd", 8);
    for (size_t k = 0; k < t->ncols; k++) {
        edb__out_put(&o, ",", 1);
        edb__out_csv_string(&o, t->cols[k].name, strlen(t->cols[k].name));
    }
    edb__out_put(&o, "\n", 1);
    int bad = edb__out_rows(&o, t->nrows, edb__table_row, t) != 0;
    edb__out_free(&o);
    return bad ? no_memory(c) : EDB_OK;
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
    if (deflateInit2(&g->zs, edb__wctx_level(c), Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) !=
        Z_OK) {
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

#define SAFE_OPT                                                                               \
    {"safe", NULL,                                                                             \
     "put a ' before a string value that starts like a spreadsheet formula (= + - @, tab, "   \
     "CR first; numbers excepted)", NULL}
#define COMMENTS_OPT                                                                           \
    {"header-comments", NULL,                                                                  \
     "start with '#' lines giving the unit and description of each column or mnemonic "       \
     "(read with comment='#')", NULL}

static const edb__wopt csv_options[] = {SAFE_OPT, COMMENTS_OPT, {NULL, NULL, NULL, NULL}};
static const edb__wopt csvgz_options[] = {
    SAFE_OPT,
    COMMENTS_OPT,
    {"compress", "N", "deflate level, 0 (none) to 9 (smallest); default 1", edb__check_level},
    {NULL, NULL, NULL, NULL}};

const edb__format edb__format_csv = {.name = "csv", .extensions = csv_extensions,
                                     .options = csv_options, .streams = 1,
                                     .write_series = csv_write_series,
                                     .write_table = csv_write_table};
const edb__format edb__format_csvgz = {.name = "csv.gz", .extensions = csvgz_extensions,
                                       .options = csvgz_options, .streams = 1,
                                       .write_series = csvgz_write_series,
                                       .write_table = csvgz_write_table};
