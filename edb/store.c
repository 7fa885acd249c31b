/* store.c: a folder of path B recordings (meta.json + {mnemonic}_data.json) answering
 * range queries with the service's bracket rule.
 *
 * meta.json is read once at open into a sorted array.  A data file is parsed the first
 * time its mnemonic is asked for; the parsed series is then immutable and shared by every
 * later query, which copies the samples it needs out of it.  The mutex guards only the
 * cache index, never a parse, so one slow file does not stall queries for other names. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <jansson.h>

#include <edb/mastcsv.h>
#include <edb/store.h>

#include "internal.h"

/* Longer than any EDB name (the longest in the recordings' inventory has 23 characters)
 * yet short enough to keep file names and messages tidy. */
#define STORE_NAME_MAX 64

typedef struct meta_entry {
    char *name;        /* upper-case, as in meta.json */
    char sqltype[32];  /* lower-case, "(N)" dropped; "" if meta.json gave none */
} meta_entry;

typedef struct cache_entry {
    char *name;
    edb_series *series; /* immutable once here */
} cache_entry;

struct edb_store {
    char *path;
    meta_entry *meta;
    size_t n_meta;
    pthread_mutex_t mu;
    cache_entry *cache; /* sorted by name */
    size_t n_cache, cap_cache;
};

/* ASCII case mapping: toupper() would follow the caller's locale (Turkish i). */
static char ascii_upper(char c)
{
    return (c >= 'a' && c <= 'z') ? (char)(c - 'a' + 'A') : c;
}

static char ascii_lower(char c)
{
    return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
}

/* Letters, digits and underscores only: this is what keeps a name from ever turning into
 * a path outside the folder ("../x", "/etc/passwd", "a\0b"). */
static edb_status check_name(const char *mnemonic, char *upper, edb_err *err)
{
    char shown[80];
    size_t len = mnemonic ? strlen(mnemonic) : 0;
    if (len == 0)
        return edb__fail(err, EDB_ERR_MNEMONIC, "empty mnemonic name");
    if (len > STORE_NAME_MAX)
        return edb__fail(err, EDB_ERR_MNEMONIC, "mnemonic name '%s' is longer than %d characters",
                         edb__excerpt(mnemonic, len, 40, shown, sizeof shown), STORE_NAME_MAX);
    for (size_t k = 0; k < len; k++) {
        unsigned char c = (unsigned char)mnemonic[k];
        /* Explicit ASCII ranges: isalnum() would follow the caller's locale. */
        int ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                 c == '_';
        if (!ok)
            return edb__fail(err, EDB_ERR_MNEMONIC,
                             "invalid mnemonic name '%s': only letters, digits and '_' are allowed",
                             edb__excerpt(mnemonic, len, 60, shown, sizeof shown));
        upper[k] = ascii_upper((char)c);
    }
    upper[len] = '\0';
    return EDB_OK;
}

/* "VARCHAR(50)" -> "varchar": the form the service prints in sqldataType. */
static void normalize_sqltype(const char *in, char *out, size_t outlen)
{
    size_t o = 0;
    for (; *in && *in != '(' && o + 1 < outlen; in++) {
        if (*in != ' ' && *in != '\t')
            out[o++] = ascii_lower(*in);
    }
    out[o] = '\0';
}

static int cmp_meta(const void *a, const void *b)
{
    return strcmp(((const meta_entry *)a)->name, ((const meta_entry *)b)->name);
}

static const meta_entry *find_meta(const edb_store *s, const char *name)
{
    meta_entry key = {(char *)name, {0}};
    return bsearch(&key, s->meta, s->n_meta, sizeof *s->meta, cmp_meta);
}

static edb_status load_meta(edb_store *s, edb_err *err)
{
    edb__buf p = {0};
    if (edb__buf_printf(&p, "%s/meta.json", s->path) != 0)
        return edb__fail(err, EDB_ERR_NOMEM, "out of memory");
    FILE *f = fopen(p.p, "rb");
    if (!f) {
        edb_status st = edb__fail(err, EDB_ERR_DATA, "%s: cannot open (%s): not a store folder?",
                                  p.p, strerror(errno));
        edb__buf_free(&p);
        return st;
    }
    json_error_t jerr;
    json_t *root = json_loadf(f, 0, &jerr);
    fclose(f);
    edb_status st = EDB_OK;
    json_t *list = root ? json_object_get(root, "TlmMnemonics") : NULL;
    if (!root) {
        st = edb__fail(err, EDB_ERR_DATA, "%s: line %d column %d: %s", p.p, jerr.line, jerr.column,
                       jerr.text);
        goto done;
    }
    if (!json_is_array(list)) {
        st = edb__fail(err, EDB_ERR_DATA, "%s: no TlmMnemonics array (path B metadata expected)",
                       p.p);
        goto done;
    }
    size_t n = json_array_size(list);
    s->meta = calloc(n ? n : 1, sizeof *s->meta);
    if (!s->meta) {
        st = edb__fail(err, EDB_ERR_NOMEM, "out of memory");
        goto done;
    }
    for (size_t k = 0; k < n; k++) {
        json_t *e = json_array_get(list, k);
        json_t *name = json_object_get(e, "TlmMnemonic");
        json_t *sql = json_object_get(e, "SQLType");
        if (!json_is_object(e) || !json_is_string(name)) {
            st = edb__fail(err, EDB_ERR_DATA, "%s: TlmMnemonics[%zu] has no TlmMnemonic string",
                           p.p, k);
            goto done;
        }
        meta_entry *m = &s->meta[s->n_meta];
        m->name = edb__strdup(json_string_value(name));
        if (!m->name) {
            st = edb__fail(err, EDB_ERR_NOMEM, "out of memory");
            goto done;
        }
        for (char *c = m->name; *c; c++)
            *c = ascii_upper(*c);
        if (json_is_string(sql))
            normalize_sqltype(json_string_value(sql), m->sqltype, sizeof m->sqltype);
        s->n_meta++;
    }
    qsort(s->meta, s->n_meta, sizeof *s->meta, cmp_meta);
    /* A name listed twice would make bsearch's pick arbitrary; keep one of each. */
    size_t w = 0;
    for (size_t k = 0; k < s->n_meta; k++) {
        if (w > 0 && strcmp(s->meta[w - 1].name, s->meta[k].name) == 0) {
            free(s->meta[k].name);
            continue;
        }
        s->meta[w++] = s->meta[k];
    }
    s->n_meta = w;
done:
    json_decref(root);
    edb__buf_free(&p);
    return st;
}

edb_status edb_store_open(edb_store **out, const char *path, edb_err *err)
{
    if (!out || !path || !*path)
        return edb__fail(err, EDB_ERR_USAGE, "edb_store_open: no store path given");
    *out = NULL;
    struct stat st;
    if (stat(path, &st) != 0)
        return edb__fail(err, EDB_ERR_IO, "store %s: %s", path, strerror(errno));
    if (!S_ISDIR(st.st_mode))
        return edb__fail(err, EDB_ERR_IO, "store %s: not a folder", path);
    edb_store *s = calloc(1, sizeof *s);
    if (!s)
        return edb__fail(err, EDB_ERR_NOMEM, "out of memory");
    size_t plen = strlen(path);
    while (plen > 1 && path[plen - 1] == '/')
        plen--;
    s->path = edb__strndup(path, plen);
    if (!s->path || pthread_mutex_init(&s->mu, NULL) != 0) {
        free(s->path);
        free(s);
        return edb__fail(err, EDB_ERR_NOMEM, "out of memory");
    }
    edb_status rc = load_meta(s, err);
    if (rc != EDB_OK) {
        edb_store_free(s);
        return rc;
    }
    *out = s;
    return EDB_OK;
}

void edb_store_free(edb_store *s)
{
    if (!s)
        return;
    for (size_t k = 0; k < s->n_meta; k++)
        free(s->meta[k].name);
    free(s->meta);
    for (size_t k = 0; k < s->n_cache; k++) {
        free(s->cache[k].name);
        edb_series_free(s->cache[k].series);
    }
    free(s->cache);
    pthread_mutex_destroy(&s->mu);
    free(s->path);
    free(s);
}

/* "/Date(1611628142147+0000)/" or "/Date(1611628142147)/" or a negative count, in
 * milliseconds since 1970.  Anything else (another offset, a fraction, spaces) is
 * rejected: a guess at what a foreign form means could shift every sample. */
static int parse_obstime(const char *s, size_t len, edb_time *out)
{
    static const char head[] = "/Date(";
    const size_t hl = sizeof head - 1;
    if (len < hl + 3 || memcmp(s, head, hl) != 0 || memcmp(s + len - 2, ")/", 2) != 0)
        return -1;
    const char *p = s + hl, *e = s + len - 2;
    if (e - p > 5 && memcmp(e - 5, "+0000", 5) == 0)
        e -= 5;
    int neg = 0;
    if (p < e && *p == '-') {
        neg = 1;
        p++;
    }
    if (p == e || e - p > 16) /* 16 digits: |ms| * 1000 stays inside int64 */
        return -1;
    int64_t ms = 0;
    for (; p < e; p++) {
        if (*p < '0' || *p > '9')
            return -1;
        ms = ms * 10 + (*p - '0');
    }
    *out = (neg ? -ms : ms) * 1000;
    return 0;
}

/* Value kinds seen in a file, for typing a mnemonic meta.json does not list. */
enum { SEEN_INT = 1, SEEN_REAL = 2, SEEN_STR = 4, SEEN_BIGINT = 8 };

static edb_status bad_elem(edb_err *err, const char *file, size_t k, const char *what)
{
    return edb__fail(err, EDB_ERR_DATA, "%s: Data[%zu]: %s", file, k, what);
}

static edb_status push_value(edb_series *s, edb_time t, json_t *v, const char *file, size_t k,
                             edb_err *err)
{
    edb_status st = EDB_OK;
    switch (s->vtype) {
    case EDB_VT_REAL:
        /* Float series carry whole numbers as JSON integers (INRSI_GWA_Y_TILT_AVGED). */
        if (json_is_integer(v))
            st = edb_series_push_real(s, t, (double)json_integer_value(v));
        else if (json_is_real(v))
            st = edb_series_push_real(s, t, json_real_value(v));
        else
            return bad_elem(err, file, k, "EUValue is not a number in a real-valued series");
        break;
    case EDB_VT_INT:
        if (json_is_integer(v)) {
            st = edb_series_push_int(s, t, (int64_t)json_integer_value(v));
        } else if (json_is_real(v)) {
            double d = json_real_value(v);
            /* 2^63 bounds: a whole double in range converts exactly. */
            if (!(d >= -9223372036854775808.0 && d < 9223372036854775808.0) || d != (double)(int64_t)d)
                return bad_elem(err, file, k, "EUValue is not a whole number in an integer series");
            st = edb_series_push_int(s, t, (int64_t)d);
        } else {
            return bad_elem(err, file, k, "EUValue is not a number in an integer series");
        }
        break;
    case EDB_VT_STRING:
        if (json_is_string(v)) {
            st = edb_series_push_str(s, t, json_string_value(v), json_string_length(v));
        } else if (json_is_number(v)) {
            /* A number in a VARCHAR mnemonic: keep its text rather than refuse the file. */
            char num[64];
            int n = json_is_integer(v)
                        ? snprintf(num, sizeof num, "%lld", (long long)json_integer_value(v))
                        : edb_format_double(json_real_value(v), num, sizeof num);
            st = edb_series_push_str(s, t, num, (size_t)n);
        } else {
            return bad_elem(err, file, k, "EUValue is not a string in a string series");
        }
        break;
    default:
        return edb__fail(err, EDB_ERR_INTERNAL, "%s: series without a type", file);
    }
    if (st != EDB_OK)
        return edb__fail(err, st, "%s: Data[%zu]: cannot store sample (%s)", file, k,
                         edb_strerror(st));
    return EDB_OK;
}

/* Parse one data file into a new sorted series. */
static edb_status load_series(edb_store *s, const char *name, edb_series **out, edb_err *err)
{
    char lower[STORE_NAME_MAX + 1];
    size_t nl = strlen(name);
    for (size_t k = 0; k <= nl; k++)
        lower[k] = ascii_lower(name[k]);
    edb__buf file = {0};
    if (edb__buf_printf(&file, "%s/%s_data.json", s->path, lower) != 0)
        return edb__fail(err, EDB_ERR_NOMEM, "out of memory");
    edb_status st = EDB_OK;
    json_t *root = NULL;
    edb_series *ser = NULL;
    FILE *f = fopen(file.p, "rb");
    if (!f) {
        if (errno == ENOENT)
            st = edb__fail(err, EDB_ERR_NOT_FOUND, "%s: no such mnemonic in store %s", name,
                           s->path);
        else
            st = edb__fail(err, EDB_ERR_IO, "%s: %s", file.p, strerror(errno));
        goto done;
    }
    json_error_t jerr;
    root = json_loadf(f, 0, &jerr);
    fclose(f);
    if (!root) {
        st = edb__fail(err, EDB_ERR_DATA, "%s: line %d column %d: %s", file.p, jerr.line,
                       jerr.column, jerr.text);
        goto done;
    }
    json_t *data = json_object_get(root, "Data");
    if (!json_is_object(root) || !data || !(json_is_array(data) || json_is_null(data))) {
        st = edb__fail(err, EDB_ERR_DATA, "%s: no Data array (path B data expected)", file.p);
        goto done;
    }
    size_t n = json_is_array(data) ? json_array_size(data) : 0;

    /* First pass: check every element, and note the kinds of value for typing. */
    unsigned seen = 0;
    for (size_t k = 0; k < n; k++) {
        json_t *e = json_array_get(data, k);
        json_t *ot = json_object_get(e, "ObsTime");
        json_t *v = json_object_get(e, "EUValue");
        edb_time t;
        if (!json_is_object(e)) {
            st = bad_elem(err, file.p, k, "not an object");
            goto done;
        }
        if (!json_is_string(ot) || parse_obstime(json_string_value(ot), json_string_length(ot), &t) != 0) {
            char shown[80] = "(not a string)";
            if (json_is_string(ot))
                edb__excerpt(json_string_value(ot), json_string_length(ot), 40, shown, sizeof shown);
            st = edb__fail(err, EDB_ERR_DATA, "%s: Data[%zu]: bad ObsTime %s (expected /Date(ms)/)",
                           file.p, k, shown);
            goto done;
        }
        if (json_is_integer(v)) {
            json_int_t iv = json_integer_value(v);
            seen |= SEEN_INT | ((iv < INT32_MIN || iv > INT32_MAX) ? SEEN_BIGINT : 0);
        } else if (json_is_real(v)) {
            seen |= SEEN_REAL;
        } else if (json_is_string(v)) {
            seen |= SEEN_STR;
        } else {
            st = bad_elem(err, file.p, k, "EUValue missing, null or not a number or string");
            goto done;
        }
    }

    const meta_entry *m = find_meta(s, name);
    edb_vtype vt = m ? edb_vtype_from_sqltype(m->sqltype, strlen(m->sqltype)) : EDB_VT_NONE;
    const char *sqltype = vt != EDB_VT_NONE ? m->sqltype : NULL;
    if (vt == EDB_VT_NONE && seen) {
        /* Not in meta.json (or a type it does not know): infer, naming the type the way the
         * service would for such values. */
        if ((seen & SEEN_STR) && (seen & (SEEN_INT | SEEN_REAL))) {
            st = edb__fail(err, EDB_ERR_DATA,
                           "%s: values mix strings and numbers and meta.json gives no type", file.p);
            goto done;
        }
        if (seen & SEEN_STR) {
            vt = EDB_VT_STRING;
            sqltype = "varchar";
        } else if (seen & SEEN_REAL) {
            vt = EDB_VT_REAL;
            sqltype = "float";
        } else {
            vt = EDB_VT_INT;
            sqltype = (seen & SEEN_BIGINT) ? "bigint" : "int";
        }
    }

    st = edb_series_new(&ser, name);
    if (st != EDB_OK) {
        st = edb__fail(err, st, "out of memory");
        goto done;
    }
    if (vt != EDB_VT_NONE) {
        st = edb_series_set_type(ser, vt);
        if (st != EDB_OK) {
            st = edb__fail(err, st, "%s: cannot type series", file.p);
            goto done;
        }
        snprintf(ser->sqltype, sizeof ser->sqltype, "%s", sqltype);
    } else if (m) {
        snprintf(ser->sqltype, sizeof ser->sqltype, "%s", m->sqltype);
    }
    for (size_t k = 0; k < n; k++) {
        json_t *e = json_array_get(data, k);
        json_t *ot = json_object_get(e, "ObsTime");
        edb_time t = 0;
        parse_obstime(json_string_value(ot), json_string_length(ot), &t);
        st = push_value(ser, t, json_object_get(e, "EUValue"), file.p, k, err);
        if (st != EDB_OK)
            goto done;
    }
    /* Recordings are in time order; a file that is not gets the same answer as if it were,
     * equal stamps keeping their file order. */
    edb_series_sort(ser);
    *out = ser;
    ser = NULL;
done:
    edb_series_free(ser);
    json_decref(root);
    edb__buf_free(&file);
    return st;
}

/* Index of name in the sorted cache, or where it would go (*found says which). */
static size_t cache_pos(const edb_store *s, const char *name, int *found)
{
    size_t lo = 0, hi = s->n_cache;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(s->cache[mid].name, name);
        if (c == 0) {
            *found = 1;
            return mid;
        }
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    *found = 0;
    return lo;
}

static edb_status get_series(edb_store *s, const char *name, const edb_series **out, edb_err *err)
{
    int found;
    pthread_mutex_lock(&s->mu);
    size_t pos = cache_pos(s, name, &found);
    if (found) {
        *out = s->cache[pos].series;
        pthread_mutex_unlock(&s->mu);
        return EDB_OK;
    }
    pthread_mutex_unlock(&s->mu);

    /* Parsed outside the lock; if another thread won the race, its copy is kept. */
    edb_series *ser = NULL;
    edb_status st = load_series(s, name, &ser, err);
    if (st != EDB_OK)
        return st;
    char *key = edb__strdup(name);
    pthread_mutex_lock(&s->mu);
    pos = cache_pos(s, name, &found);
    if (found) {
        *out = s->cache[pos].series;
        pthread_mutex_unlock(&s->mu);
        free(key);
        edb_series_free(ser);
        return EDB_OK;
    }
    if (!key || (s->n_cache == s->cap_cache && s->cap_cache > ((size_t)-1) / (2 * sizeof *s->cache))) {
        pthread_mutex_unlock(&s->mu);
        free(key);
        edb_series_free(ser);
        return edb__fail(err, EDB_ERR_NOMEM, "out of memory");
    }
    if (s->n_cache == s->cap_cache) {
        size_t cap = s->cap_cache ? s->cap_cache * 2 : 16;
        cache_entry *c = realloc(s->cache, cap * sizeof *c);
        if (!c) {
            pthread_mutex_unlock(&s->mu);
            free(key);
            edb_series_free(ser);
            return edb__fail(err, EDB_ERR_NOMEM, "out of memory");
        }
        s->cache = c;
        s->cap_cache = cap;
    }
    memmove(&s->cache[pos + 1], &s->cache[pos], (s->n_cache - pos) * sizeof *s->cache);
    s->cache[pos].name = key;
    s->cache[pos].series = ser;
    s->n_cache++;
    *out = ser;
    pthread_mutex_unlock(&s->mu);
    return EDB_OK;
}

edb_status edb_store_query(edb_store *s, const char *mnemonic, edb_time start, edb_time end,
                           int brackets, edb_series **out, edb_err *err)
{
    if (!s || !out)
        return edb__fail(err, EDB_ERR_USAGE, "edb_store_query: no store or no output");
    *out = NULL;
    char name[STORE_NAME_MAX + 1];
    edb_status st = check_name(mnemonic, name, err);
    if (st != EDB_OK)
        return st;
    if (start > end)
        return edb__fail(err, EDB_ERR_USAGE, "%s: range starts after it ends", name);
    const edb_series *all = NULL;
    st = get_series(s, name, &all, err);
    if (st != EDB_OK)
        return st;

    size_t lo = edb_series_lower_bound(all, start);
    size_t hi = edb_series_upper_bound(all, end);
    if (brackets) {
        if (lo > 0)
            lo--;
        if (hi < all->n)
            hi++;
    }
    edb_series *r = NULL;
    st = edb_series_new(&r, name);
    if (st != EDB_OK)
        return edb__fail(err, st, "out of memory");
    memcpy(r->sqltype, all->sqltype, sizeof r->sqltype);
    if (all->vtype != EDB_VT_NONE)
        st = edb_series_set_type(r, all->vtype);
    for (size_t k = lo; st == EDB_OK && k < hi; k++)
        st = edb_series_push_from(r, all, k);
    if (st != EDB_OK) {
        edb_series_free(r);
        return edb__fail(err, st, "%s: cannot copy samples (%s)", name, edb_strerror(st));
    }
    *out = r;
    return EDB_OK;
}
