/* test_series.c: the columnar series (edb/series.c). */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <edb/series.h>

#include "testutil.h"

static unsigned long long rng_state;
static unsigned rnd(void)
{
    unsigned long long z = (rng_state += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return (unsigned)((z ^ (z >> 31)) >> 16);
}

static edb_series *new_series(const char *name, edb_vtype t)
{
    edb_series *s = NULL;
    ck_assert_int_eq(edb_series_new(&s, name), EDB_OK);
    if (t != EDB_VT_NONE)
        ck_assert_int_eq(edb_series_set_type(s, t), EDB_OK);
    return s;
}

START_TEST(test_new_free)
{
    edb_series *s = new_series("sa_Zattest1", EDB_VT_NONE);
    ck_assert_str_eq(s->mnemonic, "SA_ZATTEST1");
    ck_assert_int_eq(s->vtype, EDB_VT_NONE);
    ck_assert_uint_eq(s->n, 0);
    ck_assert_ptr_null(s->d);
    ck_assert_ptr_null(s->i);
    ck_assert_ptr_null(s->soff);
    ck_assert_str_eq(s->sqltype, "");
    edb_series_free(s);
    edb_series_free(NULL);
    ck_assert_int_eq(edb_series_new(NULL, "X"), EDB_ERR_USAGE);
    ck_assert_str_eq(edb_vtype_name(EDB_VT_REAL), "real");
    ck_assert_str_eq(edb_vtype_name(EDB_VT_INT), "int");
    ck_assert_str_eq(edb_vtype_name(EDB_VT_STRING), "string");
    ck_assert_str_eq(edb_vtype_name(EDB_VT_NONE), "none");
}
END_TEST

START_TEST(test_push_real_grows)
{
    edb_series *s = new_series("X", EDB_VT_REAL);
    for (int k = 0; k < 100000; k++)
        ck_assert_int_eq(edb_series_push_real(s, k * 1000, k * 0.5), EDB_OK);
    ck_assert_uint_eq(s->n, 100000);
    ck_assert_uint_ge(s->cap, s->n);
    ck_assert_uint_lt(s->cap, 2 * s->n + 64); /* geometric, not wasteful */
    for (int k = 0; k < 100000; k++) {
        ck_assert_int_eq(s->t[k], k * 1000);
        ck_assert(s->d[k] == k * 0.5);
    }
    ck_assert_ptr_null(s->i);
    /* pushing the wrong type is the caller's bug */
    ck_assert_int_eq(edb_series_push_int(s, 0, 1), EDB_ERR_USAGE);
    ck_assert_int_eq(edb_series_push_str(s, 0, "a", 1), EDB_ERR_USAGE);
    ck_assert_uint_eq(s->n, 100000);
    edb_series_free(s);

    s = new_series("X", EDB_VT_NONE);
    ck_assert_int_eq(edb_series_push_real(s, 0, 1), EDB_ERR_USAGE);
    edb_series_free(s);
}
END_TEST

/* reserve: exactly the room asked for, once; pushes beyond it grow as always */
START_TEST(test_reserve)
{
    edb_series *s = new_series("X", EDB_VT_NONE);
    ck_assert_int_eq(edb_series_reserve(s, 1000), EDB_OK);
    ck_assert_uint_eq(s->cap, 1000);
    ck_assert_int_eq(edb_series_set_type(s, EDB_VT_REAL), EDB_OK); /* the values get the room */
    for (int k = 0; k < 1000; k++)
        ck_assert_int_eq(edb_series_push_real(s, k, k), EDB_OK);
    ck_assert_uint_eq(s->cap, 1000);
    ck_assert_int_eq(edb_series_reserve(s, 10), EDB_OK); /* never shrinks */
    ck_assert_uint_eq(s->cap, 1000);
    ck_assert_int_eq(edb_series_push_real(s, 1000, 1000), EDB_OK);
    ck_assert_uint_eq(s->cap, 2000);
    for (int k = 0; k <= 1000; k++)
        ck_assert(s->t[k] == k && s->d[k] == k);
    edb_series_free(s);

    s = new_series("X", EDB_VT_STRING);
    ck_assert_int_eq(edb_series_push_str(s, 1, "ab", 2), EDB_OK);
    ck_assert_int_eq(edb_series_reserve(s, 3), EDB_OK);
    ck_assert_uint_eq(s->cap, 64); /* already more */
    ck_assert_int_eq(edb_series_reserve(s, 100), EDB_OK);
    ck_assert_uint_eq(s->cap, 100);
    ck_assert_int_eq(edb_series_push_str(s, 2, "cde", 3), EDB_OK);
    size_t n;
    const char *v = edb_series_str(s, 1, &n);
    ck_assert(n == 3 && memcmp(v, "cde", 3) == 0);
    v = edb_series_str(s, 0, &n);
    ck_assert(n == 2 && memcmp(v, "ab", 2) == 0);
    edb_series_free(s);
    ck_assert_int_eq(edb_series_reserve(NULL, 1), EDB_ERR_USAGE);
    s = new_series("X", EDB_VT_INT);
    ck_assert_int_eq(edb_series_reserve(s, SIZE_MAX / 4), EDB_ERR_NOMEM);
    ck_assert_int_eq(edb_series_push_int(s, 1, 2), EDB_OK);
    edb_series_free(s);
}
END_TEST

START_TEST(test_set_type)
{
    edb_series *s = new_series("X", EDB_VT_INT);
    for (int k = 0; k < 1000; k++)
        ck_assert_int_eq(edb_series_push_int(s, k, (int64_t)k * 3 - 7), EDB_OK);
    /* INT -> REAL converts what is there */
    ck_assert_int_eq(edb_series_set_type(s, EDB_VT_REAL), EDB_OK);
    ck_assert_int_eq(s->vtype, EDB_VT_REAL);
    ck_assert_ptr_null(s->i);
    ck_assert_ptr_nonnull(s->d);
    for (int k = 0; k < 1000; k++)
        ck_assert(s->d[k] == (double)(k * 3 - 7));
    ck_assert_int_eq(edb_series_push_real(s, 1000, 0.25), EDB_OK);
    /* anything else with samples present fails */
    ck_assert_int_eq(edb_series_set_type(s, EDB_VT_INT), EDB_ERR_DATA);
    ck_assert_int_eq(edb_series_set_type(s, EDB_VT_STRING), EDB_ERR_DATA);
    ck_assert_int_eq(edb_series_set_type(s, EDB_VT_NONE), EDB_ERR_DATA);
    ck_assert_int_eq(edb_series_set_type(s, (edb_vtype)17), EDB_ERR_USAGE);
    ck_assert_int_eq(edb_series_set_type(s, EDB_VT_REAL), EDB_OK); /* no change: fine */
    ck_assert_uint_eq(s->n, 1001);

    /* clear keeps the name, drops samples and type; any type can follow */
    edb_series_clear(s);
    ck_assert_uint_eq(s->n, 0);
    ck_assert_int_eq(s->vtype, EDB_VT_NONE);
    ck_assert_ptr_null(s->d);
    ck_assert_str_eq(s->mnemonic, "X");
    ck_assert_int_eq(edb_series_set_type(s, EDB_VT_STRING), EDB_OK);
    ck_assert_int_eq(edb_series_push_str(s, 5, "abc", 3), EDB_OK);
    ck_assert_uint_eq(s->n, 1);
    edb_series_clear(s);
    /* an empty typed series may change type freely */
    ck_assert_int_eq(edb_series_set_type(s, EDB_VT_INT), EDB_OK);
    ck_assert_int_eq(edb_series_set_type(s, EDB_VT_STRING), EDB_OK);
    ck_assert_ptr_null(s->i);
    ck_assert_ptr_nonnull(s->soff);
    edb_series_free(s);

    s = new_series("Y", EDB_VT_STRING);
    ck_assert_int_eq(edb_series_push_str(s, 0, "x", 1), EDB_OK);
    ck_assert_int_eq(edb_series_set_type(s, EDB_VT_REAL), EDB_ERR_DATA);
    edb_series_free(s);
}
END_TEST

START_TEST(test_strings)
{
    edb_series *s = new_series("S", EDB_VT_STRING);
    size_t len;
    ck_assert_ptr_null(edb_series_str(s, 0, &len)); /* no sample 0 yet */
    ck_assert_int_eq(edb_series_push_str(s, 1, "", 0), EDB_OK);
    ck_assert_int_eq(edb_series_push_str(s, 2, NULL, 0), EDB_OK);
    ck_assert_int_eq(edb_series_push_str(s, 3, "a\0b", 3), EDB_OK); /* bytes, NUL included */
    ck_assert_int_eq(edb_series_push_str(s, 4, NULL, 1), EDB_ERR_USAGE);
    char big[5000];
    memset(big, 'z', sizeof big);
    for (int k = 0; k < 200; k++)
        ck_assert_int_eq(edb_series_push_str(s, 10 + k, big, (size_t)k * 25), EDB_OK);
    ck_assert_uint_eq(s->n, 203);
    const char *v = edb_series_str(s, 0, &len); /* empty, but never NULL */
    ck_assert_ptr_nonnull(v);
    ck_assert_uint_eq(len, 0);
    v = edb_series_str(s, 2, &len);
    ck_assert_uint_eq(len, 3);
    ck_assert_mem_eq(v, "a\0b", 3);
    for (int k = 0; k < 200; k++) {
        v = edb_series_str(s, 3 + (size_t)k, &len);
        ck_assert_uint_eq(len, (size_t)k * 25);
        ck_assert_mem_eq(v, big, len);
    }
    /* n + 1 offsets, the last one the total */
    ck_assert_uint_eq(s->soff[0], 0);
    ck_assert_uint_eq(s->soff[s->n], 3 + 25 * (199 * 200 / 2));
    ck_assert_ptr_null(edb_series_str(s, s->n, &len));
    ck_assert_uint_eq(len, 0);
    edb_series_free(s);
}
END_TEST

START_TEST(test_push_prepend_from)
{
    edb_series *src = new_series("A", EDB_VT_STRING), *dst = new_series("B", EDB_VT_NONE);
    ck_assert_int_eq(edb_series_push_str(src, 10, "ten", 3), EDB_OK);
    ck_assert_int_eq(edb_series_push_str(src, 20, "twenty", 6), EDB_OK);
    ck_assert_int_eq(edb_series_push_str(src, 5, "five", 4), EDB_OK);
    ck_assert_int_eq(edb_series_push_from(dst, src, 0), EDB_OK); /* takes src's type */
    ck_assert_int_eq(dst->vtype, EDB_VT_STRING);
    ck_assert_int_eq(edb_series_push_from(dst, src, 1), EDB_OK);
    ck_assert_int_eq(edb_series_prepend_from(dst, src, 2), EDB_OK);
    ck_assert_int_eq(edb_series_push_from(dst, src, 3), EDB_ERR_USAGE);
    ck_assert_int_eq(edb_series_prepend_from(dst, dst, 0), EDB_ERR_USAGE);
    ck_assert_uint_eq(dst->n, 3);
    static const char *const want[] = {"five", "ten", "twenty"};
    static const edb_time wt[] = {5, 10, 20};
    for (size_t k = 0; k < 3; k++) {
        size_t len;
        const char *v = edb_series_str(dst, k, &len);
        ck_assert_uint_eq(len, strlen(want[k]));
        ck_assert_mem_eq(v, want[k], len);
        ck_assert_int_eq(dst->t[k], wt[k]);
    }
    /* a series copying from itself (the arena may move under the source pointer) */
    for (int k = 0; k < 100; k++)
        ck_assert_int_eq(edb_series_push_from(dst, dst, 2), EDB_OK);
    size_t len;
    const char *v = edb_series_str(dst, 102, &len);
    ck_assert_uint_eq(len, 6);
    ck_assert_mem_eq(v, "twenty", 6);
    edb_series_free(dst);

    /* INT into REAL converts; REAL into INT does not go */
    edb_series *i = new_series("I", EDB_VT_INT), *r = new_series("R", EDB_VT_REAL);
    ck_assert_int_eq(edb_series_push_int(i, 1, 7), EDB_OK);
    ck_assert_int_eq(edb_series_push_real(r, 2, 2.5), EDB_OK);
    ck_assert_int_eq(edb_series_push_from(r, i, 0), EDB_OK);
    ck_assert_int_eq(edb_series_prepend_from(r, i, 0), EDB_OK);
    ck_assert_uint_eq(r->n, 3);
    ck_assert(r->d[0] == 7.0 && r->d[1] == 2.5 && r->d[2] == 7.0);
    ck_assert_int_eq(r->t[0], 1);
    ck_assert_int_eq(edb_series_push_from(i, r, 0), EDB_ERR_USAGE);
    ck_assert_int_eq(edb_series_push_from(i, src, 0), EDB_ERR_USAGE);
    /* prepending into an empty series and many times over (growth while shifting) */
    edb_series *e = new_series("E", EDB_VT_INT);
    for (int k = 0; k < 500; k++) {
        ck_assert_int_eq(edb_series_push_int(i, 1000 - k, k), EDB_OK);
        ck_assert_int_eq(edb_series_prepend_from(e, i, i->n - 1), EDB_OK);
    }
    ck_assert_uint_eq(e->n, 500);
    for (int k = 0; k < 500; k++)
        ck_assert_int_eq(e->i[k], 499 - k);
    edb_series_free(e);
    edb_series_free(i);
    edb_series_free(r);
    edb_series_free(src);
}
END_TEST

START_TEST(test_sort_small)
{
    edb_series *s = new_series("X", EDB_VT_REAL);
    ck_assert_int_eq(edb_series_sort(s), 0); /* empty */
    static const edb_time t[] = {5, 3, 5, 1, 3, 9, 5};
    for (size_t k = 0; k < 7; k++)
        ck_assert_int_eq(edb_series_push_real(s, t[k], (double)k), EDB_OK);
    ck_assert_int_eq(edb_series_sort(s), 1);
    /* stable: equal times in their first order, told apart by the value (= first index) */
    static const edb_time wt[] = {1, 3, 3, 5, 5, 5, 9};
    static const double wv[] = {3, 1, 4, 0, 2, 6, 5};
    for (size_t k = 0; k < 7; k++) {
        ck_assert_int_eq(s->t[k], wt[k]);
        ck_assert(s->d[k] == wv[k]);
    }
    ck_assert_int_eq(edb_series_sort(s), 0); /* already sorted now */
    edb_series_free(s);

    /* strings move with their times */
    s = new_series("S", EDB_VT_STRING);
    static const char *const v[] = {"c", "aaa", "", "bb", "dddd"};
    static const edb_time st[] = {30, 10, 30, 20, 5};
    for (size_t k = 0; k < 5; k++)
        ck_assert_int_eq(edb_series_push_str(s, st[k], v[k], strlen(v[k])), EDB_OK);
    ck_assert_int_eq(edb_series_sort(s), 1);
    static const char *const wsv[] = {"dddd", "aaa", "bb", "c", ""};
    for (size_t k = 0; k < 5; k++) {
        size_t len;
        const char *p = edb_series_str(s, k, &len);
        ck_assert_uint_eq(len, strlen(wsv[k]));
        ck_assert_mem_eq(p, wsv[k], len);
    }
    ck_assert_uint_eq(s->soff[5], 10);
    /* still appendable after the arena was rebuilt */
    ck_assert_int_eq(edb_series_push_str(s, 40, "e", 1), EDB_OK);
    edb_series_free(s);

    s = new_series("I", EDB_VT_INT);
    for (int k = 0; k < 10; k++)
        ck_assert_int_eq(edb_series_push_int(s, 10 - k, k), EDB_OK);
    ck_assert_int_eq(edb_series_sort(s), 1);
    for (int k = 0; k < 10; k++)
        ck_assert_int_eq(s->i[k], 9 - k);
    edb_series_free(s);
}
END_TEST

typedef struct ref_item {
    edb_time t;
    size_t idx;
} ref_item;

static int ref_cmp(const void *a, const void *b)
{
    const ref_item *x = a, *y = b;
    if (x->t != y->t)
        return x->t < y->t ? -1 : 1;
    return x->idx < y->idx ? -1 : x->idx > y->idx;
}

START_TEST(test_sort_random)
{
    rng_state = 77;
    for (int rep = 0; rep < 20; rep++) {
        size_t n = 1 + rnd() % (rep < 10 ? 50 : 20000);
        edb_series *s = new_series("X", rep % 2 ? EDB_VT_INT : EDB_VT_STRING);
        ref_item *ref = malloc(n * sizeof *ref);
        for (size_t k = 0; k < n; k++) {
            edb_time t = (edb_time)(rnd() % (n / 2 + 1)); /* many duplicates */
            ref[k].t = t;
            ref[k].idx = k;
            if (s->vtype == EDB_VT_INT) {
                ck_assert_int_eq(edb_series_push_int(s, t, (int64_t)k), EDB_OK);
            } else {
                char b[32];
                int len = snprintf(b, sizeof b, "%zu", k);
                ck_assert_int_eq(edb_series_push_str(s, t, b, (size_t)len), EDB_OK);
            }
        }
        qsort(ref, n, sizeof *ref, ref_cmp);
        edb_series_sort(s);
        for (size_t k = 0; k < n; k++) {
            ck_assert_int_eq(s->t[k], ref[k].t);
            if (s->vtype == EDB_VT_INT) {
                ck_assert_int_eq(s->i[k], (int64_t)ref[k].idx);
            } else {
                char b[32];
                size_t len;
                int bl = snprintf(b, sizeof b, "%zu", ref[k].idx);
                const char *p = edb_series_str(s, k, &len);
                ck_assert_uint_eq(len, (size_t)bl);
                ck_assert_mem_eq(p, b, len);
            }
        }
        free(ref);
        edb_series_free(s);
    }
}
END_TEST

START_TEST(test_bounds)
{
    edb_series *s = new_series("X", EDB_VT_REAL);
    ck_assert_uint_eq(edb_series_lower_bound(s, 5), 0);
    ck_assert_uint_eq(edb_series_upper_bound(s, 5), 0);
    static const edb_time t[] = {1, 3, 3, 3, 7, 9};
    for (size_t k = 0; k < 6; k++)
        ck_assert_int_eq(edb_series_push_real(s, t[k], 0), EDB_OK);
    ck_assert_uint_eq(edb_series_lower_bound(s, 0), 0);
    ck_assert_uint_eq(edb_series_upper_bound(s, 0), 0);
    ck_assert_uint_eq(edb_series_lower_bound(s, 1), 0);
    ck_assert_uint_eq(edb_series_upper_bound(s, 1), 1);
    ck_assert_uint_eq(edb_series_lower_bound(s, 3), 1);
    ck_assert_uint_eq(edb_series_upper_bound(s, 3), 4);
    ck_assert_uint_eq(edb_series_lower_bound(s, 5), 4);
    ck_assert_uint_eq(edb_series_upper_bound(s, 5), 4);
    ck_assert_uint_eq(edb_series_lower_bound(s, 9), 5);
    ck_assert_uint_eq(edb_series_upper_bound(s, 9), 6);
    ck_assert_uint_eq(edb_series_lower_bound(s, EDB_TIME_MAX), 6);
    ck_assert_uint_eq(edb_series_upper_bound(s, EDB_TIME_MIN), 0);
    edb_series_free(s);
}
END_TEST

START_TEST(test_vtype_from_sqltype)
{
    static const struct {
        const char *s;
        edb_vtype t;
    } cases[] = {
        {"real", EDB_VT_REAL},       {"REAL", EDB_VT_REAL},         {"float", EDB_VT_REAL},
        {"Float", EDB_VT_REAL},      {"float(53)", EDB_VT_REAL},    {"int", EDB_VT_INT},
        {"INT", EDB_VT_INT},         {"tinyint", EDB_VT_INT},       {"smallint", EDB_VT_INT},
        {"bigint", EDB_VT_INT},      {"BigInt", EDB_VT_INT},        {"varchar", EDB_VT_STRING},
        {"VARCHAR(50)", EDB_VT_STRING}, {"varchar(max)", EDB_VT_STRING},
        {"char", EDB_VT_STRING},     {"char(8)", EDB_VT_STRING},    {"nvarchar", EDB_VT_STRING},
        {"nvarchar(20)", EDB_VT_STRING}, {"text", EDB_VT_STRING},   {"", EDB_VT_NONE},
        {"double", EDB_VT_NONE},     {"varchar(", EDB_VT_NONE},     {"varchar()", EDB_VT_NONE},
        {"varchar(5x)", EDB_VT_NONE}, {"real(4)", EDB_VT_NONE},     {"int(4)", EDB_VT_NONE},
        {"reals", EDB_VT_NONE},      {"rea", EDB_VT_NONE},          {" real", EDB_VT_NONE},
        {"real ", EDB_VT_NONE},      {"text(5)", EDB_VT_NONE},      {"blob", EDB_VT_NONE},
    };
    for (size_t k = 0; k < sizeof cases / sizeof *cases; k++)
        ck_assert_msg(edb_vtype_from_sqltype(cases[k].s, strlen(cases[k].s)) == cases[k].t,
                      "'%s'", cases[k].s);
    /* the length bounds the name */
    ck_assert_int_eq(edb_vtype_from_sqltype("realx", 4), EDB_VT_REAL);
    ck_assert_int_eq(edb_vtype_from_sqltype(NULL, 0), EDB_VT_NONE);
}
END_TEST

/* Cutting in place keeps exactly the samples asked, strings with their offsets rebased;
 * moving hands the arrays over whole. */
START_TEST(test_keep_range_and_move)
{
    edb_series *s = NULL, *d = NULL;
    ck_assert_int_eq(edb_series_new(&s, "A"), EDB_OK);
    ck_assert_int_eq(edb_series_set_type(s, EDB_VT_REAL), EDB_OK);
    for (int k = 0; k < 10; k++)
        ck_assert_int_eq(edb_series_push_real(s, 100 + k, k * 0.5), EDB_OK);
    edb_series_keep_range(s, 3, 7);
    ck_assert_uint_eq(s->n, 4);
    for (int k = 0; k < 4; k++) {
        ck_assert_int_eq(s->t[k], 103 + k);
        ck_assert(s->d[k] == (3 + k) * 0.5);
    }
    edb_series_keep_range(s, 2, 99); /* past the end: clamped */
    ck_assert_uint_eq(s->n, 2);
    ck_assert_int_eq(s->t[0], 105);
    ck_assert_int_eq(edb_series_new(&d, "B"), EDB_OK);
    ck_assert_int_eq(edb_series_set_type(d, EDB_VT_INT), EDB_OK);
    ck_assert_int_eq(edb_series_push_int(d, 1, 7), EDB_OK);
    s->sqltype[0] = 'r';
    s->sqltype[1] = '\0';
    const edb_time *t = s->t;
    edb_series_move_samples(d, s);
    ck_assert_ptr_eq(d->t, t);
    ck_assert_uint_eq(d->n, 2);
    ck_assert_int_eq(d->vtype, EDB_VT_REAL);
    ck_assert_ptr_null(d->i);
    ck_assert_str_eq(d->sqltype, "r");
    ck_assert_str_eq(d->mnemonic, "B");
    ck_assert(d->d[1] == 3.0);
    ck_assert_uint_eq(s->n, 0);
    ck_assert_int_eq(s->vtype, EDB_VT_NONE);
    ck_assert_ptr_null(s->t);
    edb_series_free(s);
    /* strings */
    ck_assert_int_eq(edb_series_new(&s, "S"), EDB_OK);
    ck_assert_int_eq(edb_series_set_type(s, EDB_VT_STRING), EDB_OK);
    const char *v[] = {"a", "bb", "", "dddd", "e"};
    for (int k = 0; k < 5; k++)
        ck_assert_int_eq(edb_series_push_str(s, k, v[k], strlen(v[k])), EDB_OK);
    edb_series_keep_range(s, 1, 4);
    ck_assert_uint_eq(s->n, 3);
    ck_assert_uint_eq(s->soff[0], 0);
    ck_assert_uint_eq(s->soff[3], 6);
    size_t len;
    const char *x = edb_series_str(s, 0, &len);
    ck_assert_uint_eq(len, 2);
    ck_assert_int_eq(memcmp(x, "bb", 2), 0);
    x = edb_series_str(s, 2, &len);
    ck_assert_uint_eq(len, 4);
    ck_assert_int_eq(memcmp(x, "dddd", 4), 0);
    ck_assert_int_eq(s->t[1], 2);
    edb_series_free(s);
    edb_series_free(d);
}
END_TEST

static Suite *series_suite(void)
{
    Suite *s = suite_create("series");
    TCase *tc = tcase_create("series");
    tcase_add_test(tc, test_new_free);
    tcase_add_test(tc, test_push_real_grows);
    tcase_add_test(tc, test_reserve);
    tcase_add_test(tc, test_set_type);
    tcase_add_test(tc, test_strings);
    tcase_add_test(tc, test_push_prepend_from);
    tcase_add_test(tc, test_sort_small);
    tcase_add_test(tc, test_sort_random);
    tcase_add_test(tc, test_bounds);
    tcase_add_test(tc, test_vtype_from_sqltype);
    tcase_add_test(tc, test_keep_range_and_move);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(series_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
