/* meta.c: the table of what is known about mnemonics (edb/meta.h).
 *
 * Entries live in one array sorted by name, so a lookup is a bsearch.  A load appends its
 * rows unsorted, each with a sequence number, and then sorts once by (name, sequence):
 * the entries of one name then sit together in the order they were loaded, and collapsing
 * them in that order gives "earlier sources win, later ones fill what is unknown" without
 * a search per row (the whole MAST inventory is about 15,000 rows).  A load that fails
 * drops what it appended, so a table is never half-loaded. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include <edb/client.h>
#include <edb/meta.h>
#include <edb/number.h>

#include "internal.h"

/* Far above any inventory (about 2 MB for the whole EDB) but low enough that a wrong
 * path to a huge file fails at once instead of filling memory. */
#define META_FILE_MAX ((size_t)256 << 20)

typedef struct entry {
    edb_meta_entry e; /* strings owned (malloc'ed), const only in the public view */
    size_t seq;
} entry;

struct edb_meta {
    entry *v;
    size_t n, cap;
    size_t seq;
};

edb_status edb_meta_new(edb_meta **out)
{
    if (!out)
        return EDB_ERR_USAGE;
    *out = calloc(1, sizeof **out);
    return *out ? EDB_OK : EDB_ERR_NOMEM;
}

/* The string fields of an entry, for the code that treats them alike. */
enum { F_UNIT, F_DESC, F_SQL, F_SUB, F_LDESC, F_RAW, F_EU, F_N };

static const char **field(edb_meta_entry *e, int f)
{
    switch (f) {
    case F_UNIT: return &e->unit;
    case F_DESC: return &e->description;
    case F_SQL: return &e->sqltype;
    case F_SUB: return &e->subsystem;
    case F_LDESC: return &e->long_description;
    case F_RAW: return &e->raw_type;
    default: return &e->eu_type;
    }
}

static void entry_free(entry *x)
{
    free((char *)x->e.mnemonic);
    for (int f = 0; f < F_N; f++)
        free((char *)*field(&x->e, f));
    memset(x, 0, sizeof *x);
}

void edb_meta_free(edb_meta *m)
{
    if (!m)
        return;
    for (size_t k = 0; k < m->n; k++)
        entry_free(&m->v[k]);
    free(m->v);
    free(m);
}

size_t edb_meta_count(const edb_meta *m)
{
    return m ? m->n : 0;
}

const edb_meta_entry *edb_meta_get(const edb_meta *m, size_t i)
{
    return m && i < m->n ? &m->v[i].e : NULL;
}

static int cmp_entry(const void *a, const void *b)
{
    const entry *x = a, *y = b;
    int c = strcmp(x->e.mnemonic, y->e.mnemonic);
    if (c)
        return c;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Move src's string into *dst when *dst is unknown; src keeps it otherwise (and frees it). */
static void fill(const char **dst, const char **src)
{
    if (!*dst && *src) {
        *dst = *src;
        *src = NULL;
    }
}

/* Sort and collapse the entries of each name into its first. */
static void settle(edb_meta *m)
{
    if (m->n < 2)
        return;
    qsort(m->v, m->n, sizeof *m->v, cmp_entry);
    size_t w = 0;
    for (size_t k = 1; k < m->n; k++) {
        entry *keep = &m->v[w], *x = &m->v[k];
        if (strcmp(keep->e.mnemonic, x->e.mnemonic) != 0) {
            m->v[++w] = *x;
            continue;
        }
        for (int f = 0; f < F_N; f++)
            fill(field(&keep->e, f), field(&x->e, f));
        if (keep->e.all_points < 0)
            keep->e.all_points = x->e.all_points;
        if (keep->e.tlm_identifier < 0)
            keep->e.tlm_identifier = x->e.tlm_identifier;
        entry_free(x);
    }
    m->n = w + 1;
}

/* Drop what a failed load appended after the first `keep` entries. */
static void rollback(edb_meta *m, size_t keep)
{
    while (m->n > keep)
        entry_free(&m->v[--m->n]);
}

/* A copy of s[0..len), or NULL for "unknown" (no text, or only blanks). */
static int dup_known(const char *s, size_t len, const char **out)
{
    *out = NULL;
    size_t k = 0;
    while (k < len && (s[k] == ' ' || s[k] == '\t'))
        k++;
    if (k == len)
        return 0;
    char *d = edb__strndup(s, len);
    if (!d)
        return -1;
    *out = d;
    return 0;
}

/* What a source says of one mnemonic: each string field as text and length (NULL:
 * the source does not have it), and the numbers. */
typedef struct fields {
    const char *p[F_N];
    size_t len[F_N];
    int all_points;
    int64_t tlm_identifier;
} fields;

static void fields_init(fields *f)
{
    memset(f, 0, sizeof *f);
    f->all_points = -1;
    f->tlm_identifier = -1;
}

static void fields_set(fields *f, int k, const char *p)
{
    f->p[k] = p;
    f->len[k] = p ? strlen(p) : 0;
}

/* Append an entry for `name` (a valid mnemonic, normalised) taking copies of the fields.
 * 0 ok, -1 out of memory. */
static int append(edb_meta *m, const char *name, const fields *f)
{
    if (m->n == m->cap) {
        size_t cap = m->cap ? m->cap * 2 : 64;
        entry *v = realloc(m->v, cap * sizeof *v);
        if (!v)
            return -1;
        m->v = v;
        m->cap = cap;
    }
    entry *x = &m->v[m->n];
    memset(x, 0, sizeof *x);
    x->seq = m->seq++;
    x->e.all_points = f->all_points;
    x->e.tlm_identifier = f->tlm_identifier;
    if (!(x->e.mnemonic = edb__strdup(name))) {
        entry_free(x);
        return -1;
    }
    for (int k = 0; k < F_N; k++) {
        if (f->p[k] && dup_known(f->p[k], f->len[k], field(&x->e, k)) != 0) {
            entry_free(x);
            return -1;
        }
    }
    m->n++;
    return 0;
}

edb_status edb_meta_add(edb_meta *m, const edb_meta_entry *e, edb_err *err)
{
    if (!m || !e)
        return edb__fail(err, EDB_ERR_USAGE, "edb_meta_add: no table or no entry");
    char name[EDB_MNEMONIC_MAX + 1];
    edb_status st = edb_mnemonic_normalize(e->mnemonic, name, sizeof name, err);
    if (st != EDB_OK)
        return st;
    fields f;
    fields_init(&f);
    edb_meta_entry copy = *e;
    for (int k = 0; k < F_N; k++)
        fields_set(&f, k, *field(&copy, k));
    f.all_points = e->all_points < 0 ? -1 : e->all_points > 0;
    f.tlm_identifier = e->tlm_identifier < 0 ? -1 : e->tlm_identifier;
    if (append(m, name, &f) != 0)
        return edb__fail(err, EDB_ERR_NOMEM, "out of memory");
    settle(m);
    return EDB_OK;
}

edb_status edb_meta_add_entries(edb_meta *m, const edb_meta_entry *v, size_t n, size_t *skipped,
                                edb_err *err)
{
    if (skipped)
        *skipped = 0;
    if (!m || (!v && n))
        return edb__fail(err, EDB_ERR_USAGE, "edb_meta_add_entries: no table or no entries");
    size_t keep = m->n;
    for (size_t k = 0; k < n; k++) {
        char name[EDB_MNEMONIC_MAX + 1];
        if (!v[k].mnemonic ||
            edb_mnemonic_normalize(v[k].mnemonic, name, sizeof name, NULL) != EDB_OK) {
            if (skipped)
                (*skipped)++;
            continue;
        }
        fields f;
        fields_init(&f);
        edb_meta_entry copy = v[k];
        for (int j = 0; j < F_N; j++)
            fields_set(&f, j, *field(&copy, j));
        f.all_points = v[k].all_points < 0 ? -1 : v[k].all_points > 0;
        f.tlm_identifier = v[k].tlm_identifier < 0 ? -1 : v[k].tlm_identifier;
        if (append(m, name, &f) != 0) {
            rollback(m, keep);
            return edb__fail(err, EDB_ERR_NOMEM, "out of memory");
        }
    }
    /* One sort for the lot: a whole inventory is about 15,000 entries. */
    settle(m);
    return EDB_OK;
}

const edb_meta_entry *edb_meta_find(const edb_meta *m, const char *mnemonic)
{
    char name[EDB_MNEMONIC_MAX + 1];
    if (!m || m->n == 0 || edb_mnemonic_normalize(mnemonic, name, sizeof name, NULL) != EDB_OK)
        return NULL;
    entry key;
    memset(&key, 0, sizeof key);
    key.e.mnemonic = name;
    /* Names are unique once settled, so comparing names alone finds the one entry. */
    size_t lo = 0, hi = m->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(m->v[mid].e.mnemonic, name);
        if (c == 0)
            return &m->v[mid].e;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

edb_status edb_meta_apply(const edb_meta *m, edb_series *s)
{
    if (!s)
        return EDB_ERR_USAGE;
    const edb_meta_entry *e = edb_meta_find(m, s->mnemonic);
    if (!e)
        return EDB_OK;
    if ((!s->unit && e->unit) || (!s->description && e->description)) {
        edb_status st = edb_series_set_meta(s, s->unit ? s->unit : e->unit,
                                            s->description ? s->description : e->description);
        if (st != EDB_OK)
            return st;
    }
    if (!s->subsystem && e->subsystem && edb_series_set_subsystem(s, e->subsystem) != EDB_OK)
        return EDB_ERR_NOMEM;
    if (s->all_points < 0)
        s->all_points = e->all_points;
    return EDB_OK;
}

/* ---- MAST inventory CSV ------------------------------------------------------------- */

/* RFC 4180 records, one at a time: fields are unquoted into buf, NUL-terminated, and
 * their offsets collected in off.  A record may span lines inside quotes; line counts
 * physical lines so that messages point where an editor would. */
typedef struct csv {
    const char *p, *end;
    size_t line;       /* line of the next record, 1-based */
    edb__buf buf;
    size_t *off;
    size_t n, cap;
} csv;

static int csv_push(csv *c, size_t start)
{
    if (c->n == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 16;
        size_t *o = realloc(c->off, cap * sizeof *o);
        if (!o)
            return -1;
        c->off = o;
        c->cap = cap;
    }
    c->off[c->n++] = start;
    return edb__buf_append(&c->buf, "", 1);
}

/* 1: a record read; 0: end of input; -1: out of memory; -2: malformed (why says how). */
static int csv_record(csv *c, char *why, size_t whylen)
{
    c->buf.len = 0;
    c->n = 0;
    if (c->p >= c->end)
        return 0;
    size_t first_line = c->line;
    for (;;) {
        size_t start = c->buf.len;
        if (c->p < c->end && *c->p == '"') {
            c->p++;
            for (;;) {
                if (c->p >= c->end) {
                    snprintf(why, whylen, "field %zu: the quote opened on line %zu is never "
                             "closed", c->n + 1, first_line);
                    return -2;
                }
                char ch = *c->p++;
                if (ch == '"') {
                    if (c->p < c->end && *c->p == '"')
                        c->p++;
                    else
                        break;
                } else if (ch == '\n') {
                    c->line++;
                }
                if (edb__buf_append(&c->buf, &ch, 1) != 0)
                    return -1;
            }
            int crlf = c->end - c->p >= 2 && c->p[0] == '\r' && c->p[1] == '\n';
            if (c->p < c->end && *c->p != ',' && *c->p != '\n' && !crlf) {
                snprintf(why, whylen, "field %zu: text after the closing quote (a quote inside "
                         "a quoted field is written \"\")", c->n + 1);
                return -2;
            }
        } else {
            const char *q = c->p;
            while (q < c->end && *q != ',' && *q != '\n')
                q++;
            size_t len = (size_t)(q - c->p);
            /* CR belongs to the line end, not to the last field. */
            if (len && c->p[len - 1] == '\r' && (q == c->end || *q == '\n'))
                len--;
            if (edb__buf_append(&c->buf, c->p, len) != 0)
                return -1;
            c->p = q;
        }
        if (csv_push(c, start) != 0)
            return -1;
        if (c->p < c->end && *c->p == ',') {
            c->p++;
            continue;
        }
        if (c->p < c->end && *c->p == '\r')
            c->p++;
        if (c->p < c->end && *c->p == '\n')
            c->p++;
        c->line++;
        return 1;
    }
}

static const char *csv_field(const csv *c, size_t k, size_t *len)
{
    const char *s = c->buf.p + c->off[k];
    *len = strlen(s);
    return s;
}

static int ieq(const char *a, const char *b)
{
    for (;; a++, b++) {
        char x = *a, y = *b;
        if (x >= 'A' && x <= 'Z')
            x = (char)(x - 'A' + 'a');
        if (y >= 'A' && y <= 'Z')
            y = (char)(y - 'A' + 'a');
        if (x != y)
            return 0;
        if (!x)
            return 1;
    }
}

/* The inventory's columns, then what path B's metadata adds (edb_meta_format_csv writes
 * them all, so that a table goes through CSV and back whole). */
enum { COL_NAME, COL_UNIT, COL_DESC, COL_SQL, COL_SUB, COL_ID, COL_LDESC, COL_AP, COL_RAW,
       COL_EU, COL_N };
static const char *const col_names[COL_N] = {"tlmMnemonic", "unit",          "description",
                                             "sqlDataType", "subsystem",     "tlmIdentifier",
                                             "longDescription", "allPoints", "rawType",
                                             "euType"};
/* The table field each column fills (COL_NAME, COL_ID and COL_AP are not strings). */
static const int col_field[COL_N] = {-1, F_UNIT, F_DESC, F_SQL, F_SUB, -1, F_LDESC, -1, F_RAW,
                                     F_EU};

/* A tlmIdentifier cell: empty or "None" (unknown, -1) or a whole number. */
static int parse_identifier(const char *s, size_t len, int64_t *out)
{
    while (len && (s[len - 1] == ' ' || s[len - 1] == '\t'))
        len--;
    while (len && (*s == ' ' || *s == '\t')) {
        s++;
        len--;
    }
    *out = -1;
    if (len == 0 || (len == 4 && memcmp(s, "None", 4) == 0))
        return 0;
    for (size_t k = 0; k < len; k++)
        if (s[k] < '0' || s[k] > '9')
            return -1;
    return len <= 18 && edb_parse_int64(s, len, out) == 0 ? 0 : -1;
}

static edb_status load_csv(edb_meta *m, const char *data, size_t len, const char *name,
                           edb_err *err)
{
    csv c;
    memset(&c, 0, sizeof c);
    c.p = data;
    c.end = data + len;
    c.line = 1;
    char why[160];
    edb_status st = EDB_OK;
    size_t keep = m->n;
    size_t col[COL_N], nhead = 0, line = 1;
    for (int k = 0; k < COL_N; k++)
        col[k] = SIZE_MAX;

    int r = csv_record(&c, why, sizeof why);
    if (r == -1)
        goto nomem;
    if (r == -2) {
        st = edb__fail(err, EDB_ERR_DATA, "%s: line 1: %s", name, why);
        goto done;
    }
    if (r == 0) {
        st = edb__fail(err, EDB_ERR_DATA, "%s: empty file (a MAST inventory CSV or a path B "
                       "meta.json expected)", name);
        goto done;
    }
    nhead = c.n;
    for (size_t k = 0; k < nhead; k++) {
        size_t fl;
        const char *f = csv_field(&c, k, &fl);
        for (int j = 0; j < COL_N; j++) {
            if (!ieq(f, col_names[j]))
                continue;
            if (col[j] != SIZE_MAX) {
                st = edb__fail(err, EDB_ERR_DATA, "%s: line 1: column %s appears twice", name,
                               col_names[j]);
                goto done;
            }
            col[j] = k;
        }
    }
    if (col[COL_NAME] == SIZE_MAX) {
        st = edb__fail(err, EDB_ERR_DATA, "%s: line 1: no tlmMnemonic column (a MAST inventory "
                       "has tlmMnemonic, unit, description, sqlDataType, subsystem)", name);
        goto done;
    }
    int learn = 0;
    for (int j = 1; j < COL_N; j++)
        learn |= col[j] != SIZE_MAX;
    if (!learn) {
        st = edb__fail(err, EDB_ERR_DATA, "%s: line 1: no unit, description, sqlDataType, "
                       "subsystem, tlmIdentifier, longDescription, allPoints, rawType or "
                       "euType column: nothing to learn about the mnemonics", name);
        goto done;
    }

    for (;;) {
        line = c.line;
        r = csv_record(&c, why, sizeof why);
        if (r == 0)
            break;
        if (r == -1)
            goto nomem;
        if (r == -2) {
            st = edb__fail(err, EDB_ERR_DATA, "%s: line %zu: %s", name, line, why);
            goto done;
        }
        size_t l0;
        if (c.n == 1 && (csv_field(&c, 0, &l0), l0 == 0))
            continue; /* a blank line, typically the last */
        if (c.n != nhead) {
            st = edb__fail(err, EDB_ERR_DATA, "%s: line %zu: %zu field%s where the header has "
                           "%zu", name, line, c.n, c.n == 1 ? "" : "s", nhead);
            goto done;
        }
        size_t fl[COL_N] = {0};
        const char *f[COL_N] = {NULL};
        for (int j = 0; j < COL_N; j++)
            if (col[j] != SIZE_MAX)
                f[j] = csv_field(&c, col[j], &fl[j]);
        char norm[EDB_MNEMONIC_MAX + 1];
        if (strspn(f[COL_NAME], " \t") == fl[COL_NAME]) {
            st = edb__fail(err, EDB_ERR_DATA, "%s: line %zu: empty tlmMnemonic", name, line);
            goto done;
        }
        /* The inventory lists names that are not valid mnemonics; nothing can ask for them. */
        if (edb_mnemonic_normalize(f[COL_NAME], norm, sizeof norm, NULL) != EDB_OK)
            continue;
        /* Python's str(None): jwql saves a missing unit that way. */
        if (f[COL_UNIT] && strcmp(f[COL_UNIT], "None") == 0)
            f[COL_UNIT] = NULL;
        fields fs;
        fields_init(&fs);
        for (int j = 0; j < COL_N; j++) {
            if (col_field[j] >= 0) {
                fs.p[col_field[j]] = f[j];
                fs.len[col_field[j]] = fl[j];
            }
        }
        if (f[COL_ID] && parse_identifier(f[COL_ID], fl[COL_ID], &fs.tlm_identifier) != 0) {
            char shown[64];
            st = edb__fail(err, EDB_ERR_DATA, "%s: line %zu: tlmIdentifier '%s' is not a whole "
                           "number", name, line, edb__excerpt(f[COL_ID], fl[COL_ID], 30, shown,
                                                              sizeof shown));
            goto done;
        }
        if (f[COL_AP]) {
            size_t al = fl[COL_AP];
            const char *a = f[COL_AP];
            while (al && (a[al - 1] == ' ' || a[al - 1] == '\t'))
                al--;
            while (al && (*a == ' ' || *a == '\t')) {
                a++;
                al--;
            }
            if (al == 1 && (*a == '0' || *a == '1')) {
                fs.all_points = *a - '0';
            } else if (al != 0) {
                char shown[64];
                st = edb__fail(err, EDB_ERR_DATA, "%s: line %zu: allPoints '%s' is not 0 "
                               "(change-only) or 1 (every sample)", name, line,
                               edb__excerpt(f[COL_AP], fl[COL_AP], 30, shown, sizeof shown));
                goto done;
            }
        }
        if (append(m, norm, &fs) != 0)
            goto nomem;
    }
    settle(m);
    goto done;
nomem:
    st = edb__fail(err, EDB_ERR_NOMEM, "out of memory reading %s", name);
done:
    if (st != EDB_OK)
        rollback(m, keep);
    edb__buf_free(&c.buf);
    free(c.off);
    return st;
}

/* ---- path B metadata (meta.json) -------------------------------------------------- */

/* A string member, NULL when absent or null; -1 when it has another type. */
static int json_str_member(json_t *o, const char *key, const char **out)
{
    json_t *v = json_object_get(o, key);
    *out = NULL;
    if (!v || json_is_null(v))
        return 0;
    if (!json_is_string(v))
        return -1;
    *out = json_string_value(v);
    return 0;
}

static edb_status load_json(edb_meta *m, const char *data, size_t len, const char *name,
                            edb_err *err)
{
    json_error_t jerr;
    json_t *root = json_loadb(data, len, 0, &jerr);
    if (!root)
        return edb__fail(err, EDB_ERR_DATA, "%s: line %d column %d: %s", name, jerr.line,
                         jerr.column, jerr.text);
    edb_status st = EDB_OK;
    size_t keep = m->n;
    json_t *list = json_object_get(root, "TlmMnemonics");
    if (!json_is_array(list)) {
        st = edb__fail(err, EDB_ERR_DATA, "%s: no TlmMnemonics array (a path B metadata "
                       "document or a MAST inventory CSV expected)", name);
        goto done;
    }
    for (size_t k = 0; k < json_array_size(list); k++) {
        json_t *e = json_array_get(list, k);
        json_t *jn = json_object_get(e, "TlmMnemonic");
        if (!json_is_object(e) || !json_is_string(jn)) {
            st = edb__fail(err, EDB_ERR_DATA, "%s: TlmMnemonics[%zu]: no TlmMnemonic string",
                           name, k);
            goto done;
        }
        const char *mn = json_string_value(jn), *sql, *sub, *raw, *eu;
        char shown[64];
        edb__excerpt(mn, strlen(mn), 40, shown, sizeof shown);
        if (json_str_member(e, "SQLType", &sql) || json_str_member(e, "Subsystem", &sub) ||
            json_str_member(e, "RawType", &raw) || json_str_member(e, "EUType", &eu)) {
            st = edb__fail(err, EDB_ERR_DATA, "%s: TlmMnemonics[%zu] (%s): SQLType, Subsystem, "
                           "RawType and EUType must be strings", name, k, shown);
            goto done;
        }
        json_t *ap = json_object_get(e, "AllPoints");
        int all_points = -1;
        if (json_is_integer(ap) && (json_integer_value(ap) == 0 || json_integer_value(ap) == 1))
            all_points = (int)json_integer_value(ap);
        else if (json_is_boolean(ap))
            all_points = json_is_true(ap);
        else if (ap && !json_is_null(ap)) {
            st = edb__fail(err, EDB_ERR_DATA, "%s: TlmMnemonics[%zu] (%s): AllPoints must be 0 "
                           "(change-only) or 1 (every sample)", name, k, shown);
            goto done;
        }
        char norm[EDB_MNEMONIC_MAX + 1];
        /* meta.json lists ground names too (FGDP_SCTA_OFFSET_D): not mnemonics we query. */
        if (edb_mnemonic_normalize(mn, norm, sizeof norm, NULL) != EDB_OK)
            continue;
        fields fs;
        fields_init(&fs);
        fields_set(&fs, F_SQL, sql);
        fields_set(&fs, F_SUB, sub);
        fields_set(&fs, F_RAW, raw);
        fields_set(&fs, F_EU, eu);
        fs.all_points = all_points;
        if (append(m, norm, &fs) != 0) {
            st = edb__fail(err, EDB_ERR_NOMEM, "out of memory reading %s", name);
            goto done;
        }
    }
    settle(m);
done:
    if (st != EDB_OK)
        rollback(m, keep);
    json_decref(root);
    return st;
}

edb_status edb_meta_load_buffer(edb_meta *m, const char *data, size_t len, const char *name,
                                edb_err *err)
{
    if (!m || (!data && len))
        return edb__fail(err, EDB_ERR_USAGE, "edb_meta_load_buffer: no table or no data");
    if (!name)
        name = "metadata";
    if (!data)
        data = "";
    /* A BOM is what spreadsheet programs put in front of a CSV they save. */
    if (len >= 3 && memcmp(data, "\xEF\xBB\xBF", 3) == 0) {
        data += 3;
        len -= 3;
    }
    size_t k = 0;
    while (k < len && (data[k] == ' ' || data[k] == '\t' || data[k] == '\r' || data[k] == '\n'))
        k++;
    if (k < len && data[k] == '{')
        return load_json(m, data, len, name, err);
    return load_csv(m, data, len, name, err);
}

edb_status edb_meta_load_file(edb_meta *m, const char *path, edb_err *err)
{
    if (!m || !path)
        return edb__fail(err, EDB_ERR_USAGE, "edb_meta_load_file: no table or no path");
    FILE *f = fopen(path, "rb");
    if (!f)
        return edb__fail(err, EDB_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    edb__buf b = {0};
    edb_status st = EDB_OK;
    char chunk[65536];
    size_t got;
    while ((got = fread(chunk, 1, sizeof chunk, f)) > 0) {
        if (b.len + got > META_FILE_MAX) {
            st = edb__fail(err, EDB_ERR_DATA, "%s: larger than %zu MiB: not a metadata file?",
                           path, META_FILE_MAX >> 20);
            break;
        }
        if (edb__buf_append(&b, chunk, got) != 0) {
            st = edb__fail(err, EDB_ERR_NOMEM, "out of memory reading %s", path);
            break;
        }
    }
    if (st == EDB_OK && ferror(f))
        st = edb__fail(err, EDB_ERR_IO, "%s: read error: %s", path, strerror(errno));
    fclose(f);
    if (st == EDB_OK)
        st = edb_meta_load_buffer(m, b.p, b.len, path, err);
    edb__buf_free(&b);
    return st;
}

/* ---- writing a table as CSV -------------------------------------------------------- */

static int csv_cell(edb__buf *b, const char *s)
{
    if (!s)
        return 0;
    size_t n = strlen(s);
    if (strcspn(s, ",\"\r\n") == n)
        return edb__buf_append(b, s, n);
    int r = edb__buf_append(b, "\"", 1);
    for (const char *p = s; *p && !r; p++)
        r = *p == '"' ? edb__buf_append(b, "\"\"", 2) : edb__buf_append(b, p, 1);
    return r | edb__buf_append(b, "\"", 1);
}

edb_status edb_meta_format_csv(const edb_meta *m, char **out, size_t *len)
{
    if (!out || !len)
        return EDB_ERR_USAGE;
    *out = NULL;
    *len = 0;
    edb__buf b = {0};
    int r = edb__buf_printf(&b, "tlmMnemonic,tlmIdentifier,description,sqlDataType,subsystem,"
                                "unit,longDescription,allPoints,rawType,euType\n");
    for (size_t k = 0; m && k < m->n && !r; k++) {
        const edb_meta_entry *e = &m->v[k].e;
        r |= csv_cell(&b, e->mnemonic);
        if (e->tlm_identifier >= 0)
            r |= edb__buf_printf(&b, ",%lld", (long long)e->tlm_identifier);
        else
            r |= edb__buf_append(&b, ",", 1);
        const char *const str[] = {e->description, e->sqltype, e->subsystem, e->unit,
                                   e->long_description};
        for (size_t j = 0; j < sizeof str / sizeof str[0]; j++)
            r |= edb__buf_append(&b, ",", 1) | csv_cell(&b, str[j]);
        if (e->all_points >= 0)
            r |= edb__buf_printf(&b, ",%d", e->all_points);
        else
            r |= edb__buf_append(&b, ",", 1);
        r |= edb__buf_append(&b, ",", 1) | csv_cell(&b, e->raw_type);
        r |= edb__buf_append(&b, ",", 1) | csv_cell(&b, e->eu_type);
        r |= edb__buf_append(&b, "\n", 1);
    }
    if (r) {
        edb__buf_free(&b);
        return EDB_ERR_NOMEM;
    }
    *out = b.p;
    *len = b.len;
    return EDB_OK;
}
