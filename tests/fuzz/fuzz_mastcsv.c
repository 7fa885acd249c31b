/* fuzz_mastcsv.c: the MAST CSV decoder must give the same answer however the body is cut.
 *
 * Input: one control byte, then 0-7 chunk-size bytes, then the body.
 *   control bits 0-2: how many chunk-size bytes follow (each chunk is that byte + 1 long,
 *                     the sizes are used in turn, over and over)
 *   bit 3: keep_brackets
 *   bit 4: range 2022-02-02 22:24:58..22:24:59      bit 5: range 2021-05-22 00:00:00..01
 * The body is decoded whole, in those chunks, and one byte at a time; the three must
 * agree on the status, the message and every sample.  A reset followed by the whole body
 * must agree too.  Short bodies are also checked as numbers against strtod/strtoll. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <edb/mastcsv.h>
#include <edb/series.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(c)                                                                  \
    do {                                                                          \
        if (!(c)) {                                                               \
            fprintf(stderr, "fuzz_mastcsv: %s:%d: check failed: %s\n", __FILE__, \
                    __LINE__, #c);                                                \
            abort();                                                              \
        }                                                                         \
    } while (0)

typedef struct run {
    edb_series *s;
    edb_mastcsv *d;
    edb_status st;
    size_t rows;
} run;

static void start(run *r, const edb_mastcsv_options *o)
{
    CHECK(edb_series_new(&r->s, "FUZZ") == EDB_OK);
    CHECK(edb_mastcsv_new(&r->d, r->s, o) == EDB_OK);
}

/* sizes == NULL: whole; nsizes == 0: one byte at a time. */
static void feed(run *r, const uint8_t *body, size_t len, const uint8_t *sizes, size_t nsizes)
{
    size_t off = 0, k = 0;
    r->st = EDB_OK;
    while (off < len && r->st == EDB_OK) {
        size_t n = len - off;
        if (sizes) {
            size_t c = nsizes ? (size_t)sizes[k++ % nsizes] + 1 : 1;
            if (c < n)
                n = c;
        }
        r->st = edb_mastcsv_feed(r->d, (const char *)body + off, n);
        off += n;
    }
    edb_status fin = edb_mastcsv_finish(r->d);
    if (r->st == EDB_OK)
        r->st = fin;
    CHECK(fin == r->st); /* after an error, finish repeats it */
    r->rows = edb_mastcsv_rows(r->d);
}

static void finish_run(run *r)
{
    edb_mastcsv_free(r->d);
    edb_series_free(r->s);
}

static int same_bits(double a, double b)
{
    return memcmp(&a, &b, sizeof a) == 0;
}

static void same(const run *a, const run *b)
{
    CHECK(a->st == b->st);
    CHECK(strcmp(edb_mastcsv_errmsg(a->d), edb_mastcsv_errmsg(b->d)) == 0);
    CHECK(a->rows == b->rows);
    if (a->st != EDB_OK)
        return;
    const edb_series *x = a->s, *y = b->s;
    CHECK(x->vtype == y->vtype);
    CHECK(strcmp(x->sqltype, y->sqltype) == 0);
    CHECK(x->n == y->n);
    for (size_t k = 0; k < x->n; k++) {
        CHECK(x->t[k] == y->t[k]);
        if (x->vtype == EDB_VT_REAL) {
            CHECK(same_bits(x->d[k], y->d[k]));
        } else if (x->vtype == EDB_VT_INT) {
            CHECK(x->i[k] == y->i[k]);
        } else {
            size_t lx, ly;
            const char *sx = edb_series_str(x, k, &lx), *sy = edb_series_str(y, k, &ly);
            CHECK(sx && sy && lx == ly && memcmp(sx, sy, lx) == 0);
        }
    }
}

static void invariants(const run *r, const edb_mastcsv_options *o)
{
    if (r->st != EDB_OK)
        return;
    const edb_series *s = r->s;
    CHECK(s->n <= r->rows);
    CHECK(s->n == 0 || s->vtype != EDB_VT_NONE);
    size_t below = 0, above = 0;
    for (size_t k = 0; k < s->n; k++) {
        if (k > 0)
            CHECK(s->t[k - 1] <= s->t[k]);
        below += s->t[k] < o->start;
        above += s->t[k] > o->end;
    }
    CHECK(below <= (size_t)(o->keep_brackets ? 1 : 0));
    CHECK(above <= (size_t)(o->keep_brackets ? 1 : 0));
    CHECK((s->d != NULL) == (s->vtype == EDB_VT_REAL));
    CHECK((s->i != NULL) == (s->vtype == EDB_VT_INT));
    CHECK((s->soff != NULL) == (s->vtype == EDB_VT_STRING));
}

/* The number parsers against the C library (this program never calls setlocale, so
 * strtod is in the C locale), and formatting round trips. */
static void numbers(const uint8_t *body, size_t len)
{
    if (len > 64)
        return;
    char buf[72];
    memcpy(buf, body, len);
    buf[len] = '\0';
    double v;
    if (edb_parse_double(buf, len, &v) == 0) {
        CHECK(strlen(buf) == len);
        char *end;
        double w = strtod(buf, &end);
        CHECK(end == buf + len);
        CHECK(isnan(v) ? isnan(w) : same_bits(v, w));
        char txt[40];
        int n = edb_format_double(v, txt, sizeof txt);
        CHECK(n > 0 && (size_t)n < sizeof txt);
        double back;
        CHECK(edb_parse_double(txt, (size_t)n, &back) == 0);
        CHECK(isnan(v) ? isnan(back) : same_bits(v, back));
    }
    int64_t i;
    if (edb_parse_int64(buf, len, &i) == 0) {
        char *end;
        long long w = strtoll(buf, &end, 10);
        CHECK(end == buf + len && (int64_t)w == i);
    }
    if (len == 8) {
        /* the same 8 bytes as a double: any bit pattern formats and reads back */
        memcpy(&v, body, sizeof v);
        char txt[40];
        int n = edb_format_double(v, txt, sizeof txt);
        double back;
        CHECK(n > 0 && edb_parse_double(txt, (size_t)n, &back) == 0);
        CHECK(isnan(v) ? isnan(back) : same_bits(v, back));
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    edb_mastcsv_options o = EDB_MASTCSV_OPTIONS_INIT;
    const uint8_t *sizes = NULL;
    size_t nsizes = 0;
    if (size > 0) {
        uint8_t c = data[0];
        nsizes = c & 7u;
        o.keep_brackets = (c >> 3) & 1;
        if (c & 0x10) {
            o.start = INT64_C(1643840698000000);
            o.end = INT64_C(1643840699000000);
        } else if (c & 0x20) {
            o.start = INT64_C(1621641600000000);
            o.end = INT64_C(1621641601000000);
        }
        data++;
        size--;
        if (nsizes > size)
            nsizes = size;
        sizes = data;
        data += nsizes;
        size -= nsizes;
    }
    static const uint8_t one = 0; /* a size byte of 0: chunks of 1 */

    run whole, chunked, bytes;
    start(&whole, &o);
    feed(&whole, data, size, NULL, 0);
    invariants(&whole, &o);

    start(&chunked, &o);
    feed(&chunked, data, size, nsizes ? sizes : &one, nsizes ? nsizes : 1);
    same(&whole, &chunked);

    if (size <= 4096) {
        start(&bytes, &o);
        feed(&bytes, data, size, &one, 1);
        same(&whole, &bytes);
        finish_run(&bytes);
    }

    /* a retry: reset, then the whole body again */
    edb_mastcsv_reset(chunked.d);
    CHECK(chunked.s->n == 0 && edb_mastcsv_rows(chunked.d) == 0);
    feed(&chunked, data, size, NULL, 0);
    same(&whole, &chunked);

    finish_run(&whole);
    finish_run(&chunked);
    numbers(data, size);
    return 0;
}
