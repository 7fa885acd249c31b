/* fuzz_jsondec.c: the JSON decoder must give the same answer however the body is cut, and
 * accept only what a JSON parser accepts.
 *
 * Input: one control byte, then 0-7 chunk-size bytes, then the body.
 *   bits 0-2: how many chunk-size bytes follow (each chunk is that byte + 1 long, the
 *             sizes used in turn, over and over)
 *   bit 3: keep_before        bit 4: keep_after
 *   bits 5-6: the type given: none, REAL, INT, STRING
 *   bit 7: range 2021-01-26 02:30:00..02:33:20 (the recordings' span), else everything
 * The body is decoded whole, in those chunks, one byte at a time, and whole again after a
 * reset; all must agree on the status, the message and every sample.  When the decoder
 * accepts a body, jansson must parse it too, its Data must have as many elements as
 * samples were decoded, and (no type, no range, numbers only) the values must be the
 * same multiset of doubles or integers, typed as the rule says. */
#include <jansson.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <edb/jsondec.h>
#include <edb/series.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(c)                                                                  \
    do {                                                                          \
        if (!(c)) {                                                               \
            fprintf(stderr, "fuzz_jsondec: %s:%d: check failed: %s\n", __FILE__, \
                    __LINE__, #c);                                                \
            abort();                                                              \
        }                                                                         \
    } while (0)

typedef struct run {
    edb_series *s;
    edb_jsondec *d;
    edb_status st;
    size_t rows;
} run;

static void start(run *r, const edb_decode_options *o)
{
    CHECK(edb_series_new(&r->s, "SA_ZATTEST1") == EDB_OK);
    CHECK(edb_jsondec_new(&r->d, r->s, o) == EDB_OK);
}

/* sizes == NULL: whole; otherwise pieces of sizes[k] + 1 bytes in turn. */
static void feed(run *r, const uint8_t *body, size_t len, const uint8_t *sizes, size_t nsizes)
{
    size_t off = 0, k = 0;
    r->st = EDB_OK;
    while (off < len && r->st == EDB_OK) {
        size_t n = len - off;
        if (sizes) {
            size_t c = (size_t)sizes[k++ % nsizes] + 1;
            if (c < n)
                n = c;
        }
        r->st = edb_jsondec_feed(r->d, (const char *)body + off, n);
        off += n;
    }
    edb_status fin = edb_jsondec_finish(r->d);
    if (r->st == EDB_OK)
        r->st = fin;
    CHECK(fin == r->st); /* after an error, finish repeats it */
    r->rows = edb_jsondec_rows(r->d);
}

static void finish_run(run *r)
{
    edb_jsondec_free(r->d);
    edb_series_free(r->s);
}

static int same_bits(double a, double b)
{
    return memcmp(&a, &b, sizeof a) == 0;
}

static void same(const run *a, const run *b)
{
    CHECK(a->st == b->st);
    CHECK(strcmp(edb_jsondec_errmsg(a->d), edb_jsondec_errmsg(b->d)) == 0);
    CHECK(a->rows == b->rows);
    if (a->st != EDB_OK)
        return;
    const edb_series *x = a->s, *y = b->s;
    CHECK(x->vtype == y->vtype);
    CHECK(strcmp(x->sqltype, y->sqltype) == 0);
    CHECK(x->all_points == y->all_points);
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

static void invariants(const run *r, const edb_decode_options *o)
{
    const char *msg = edb_jsondec_errmsg(r->d);
    if (r->st != EDB_OK) {
        CHECK(r->st == EDB_ERR_DATA || r->st == EDB_ERR_TRUNCATED);
        CHECK(strncmp(msg, "byte ", 5) == 0); /* every message gives the offset */
        for (const char *p = msg; *p; p++)
            CHECK((unsigned char)*p >= 0x20 && (unsigned char)*p < 0x7f); /* plain text */
        return;
    }
    CHECK(msg[0] == '\0');
    const edb_series *s = r->s;
    CHECK(s->n <= r->rows);
    CHECK(s->n == 0 || s->vtype != EDB_VT_NONE);
    if (o->vtype != EDB_VT_NONE)
        CHECK(s->vtype == o->vtype);
    size_t below = 0, above = 0;
    for (size_t k = 0; k < s->n; k++) {
        if (k > 0)
            CHECK(s->t[k - 1] <= s->t[k]);
        below += s->t[k] < o->start;
        above += s->t[k] > o->end;
    }
    CHECK(below <= (size_t)(o->keep_before ? 1 : 0));
    CHECK(above <= (size_t)(o->keep_after ? 1 : 0));
    CHECK((s->d != NULL) == (s->vtype == EDB_VT_REAL));
    CHECK((s->i != NULL) == (s->vtype == EDB_VT_INT));
    CHECK((s->soff != NULL) == (s->vtype == EDB_VT_STRING));
    CHECK(s->cap >= s->n);
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* What jansson makes of a body the decoder accepted. */
static void against_jansson(const run *r, const uint8_t *body, size_t len, int plain)
{
    json_error_t e;
    if (len >= 3 && memcmp(body, "\xEF\xBB\xBF", 3) == 0) { /* a BOM: ours, not jansson's */
        body += 3;
        len -= 3;
    }
    json_t *root = json_loadb((const char *)body, len, JSON_ALLOW_NUL, &e);
    if (!root) {
        /* jansson refuses integer literals beyond its json_int_t; the decoder reads them as
         * doubles.  Nothing else may be refused. */
        CHECK(strstr(e.text, "too big") != NULL);
        return;
    }
    CHECK(json_is_object(root));
    json_t *data = json_object_get(root, "Data");
    CHECK(json_is_array(data) || json_is_null(data));
    size_t n = json_array_size(data);
    CHECK(n == r->rows);
    const edb_series *s = r->s;
    int numbers = 1, all_int = 1;
    for (size_t k = 0; k < n; k++) {
        json_t *v = json_object_get(json_array_get(data, k), "EUValue");
        numbers &= json_is_number(v);
        all_int &= json_is_integer(v);
    }
    if (plain && n > 0 && numbers) {
        CHECK(s->n == n);
        CHECK(s->vtype == (all_int ? EDB_VT_INT : EDB_VT_REAL));
        uint64_t *a = malloc(n * sizeof *a), *b = malloc(n * sizeof *b);
        CHECK(a && b);
        for (size_t k = 0; k < n; k++) {
            json_t *v = json_object_get(json_array_get(data, k), "EUValue");
            if (all_int) {
                a[k] = (uint64_t)json_integer_value(v);
                b[k] = (uint64_t)s->i[k];
            } else {
                double dv = json_is_integer(v) ? (double)json_integer_value(v) : json_real_value(v);
                memcpy(&a[k], &dv, sizeof dv);
                memcpy(&b[k], &s->d[k], sizeof dv);
            }
        }
        qsort(a, n, sizeof *a, cmp_u64);
        qsort(b, n, sizeof *b, cmp_u64);
        CHECK(memcmp(a, b, n * sizeof *a) == 0);
        free(a);
        free(b);
    }
    json_decref(root);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    edb_decode_options o = EDB_DECODE_OPTIONS_INIT;
    const uint8_t *sizes = NULL;
    size_t nsizes = 0;
    if (size > 0) {
        uint8_t c = data[0];
        nsizes = c & 7u;
        o.keep_before = (c >> 3) & 1;
        o.keep_after = (c >> 4) & 1;
        static const edb_vtype vts[4] = {EDB_VT_NONE, EDB_VT_REAL, EDB_VT_INT, EDB_VT_STRING};
        o.vtype = vts[(c >> 5) & 3];
        if (c & 0x80) {
            o.start = INT64_C(1611628200000000);
            o.end = INT64_C(1611628400000000);
        }
        data++;
        size--;
        if (nsizes > size)
            nsizes = size;
        sizes = data;
        data += nsizes;
        size -= nsizes;
    }
    static const uint8_t one = 0; /* a size byte of 0: pieces of 1 */

    run whole, chunked, bytes;
    start(&whole, &o);
    feed(&whole, data, size, NULL, 0);
    invariants(&whole, &o);
    if (whole.st == EDB_OK)
        against_jansson(&whole, data, size,
                        o.vtype == EDB_VT_NONE && o.start == EDB_TIME_MIN && o.end == EDB_TIME_MAX);

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
    edb_jsondec_reset(chunked.d);
    CHECK(chunked.s->n == 0 && edb_jsondec_rows(chunked.d) == 0);
    feed(&chunked, data, size, NULL, 0);
    same(&whole, &chunked);

    finish_run(&whole);
    finish_run(&chunked);
    return 0;
}
