/* monitor.c: jwql monitor configurations, limit checks and the state of nightly runs
 * (edb/monitor.h). */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include <edb/monitor.h>
#include <edb/number.h>

#include "internal.h"

static const char *const kind_names[EDB_MON_KINDS] = {"all", "daily_means", "block_means",
                                                      "time_interval", "every_change"};

const char *edb_monitor_kind_name(edb_monitor_kind k)
{
    return (unsigned)k < EDB_MON_KINDS ? kind_names[k] : "";
}

static const char *const rel_json[] = {">", "<", "=", "!=", "<=", ">=", "none"};
static const char *const rel_expr[] = {">", "<", "==", "!=", "<=", ">=", ""};

const char *edb_monitor_rel_text(edb_monitor_rel r)
{
    return (unsigned)r <= EDB_MON_NONE ? rel_expr[r] : "";
}

/* ---- reading a configuration ---------------------------------------------------------- */

/* The sections jwql knows: a kind, or "all+" and a kind (its ALLOWED_COMBINATION_TYPES). */
static unsigned section_kinds(const char *key)
{
    unsigned extra = 0;
    if (strncmp(key, "all+", 4) == 0) {
        key += 4;
        extra = 1u << EDB_MON_ALL;
        if (strcmp(key, "all") == 0)
            return 0;
    }
    for (unsigned k = 0; k < EDB_MON_KINDS; k++)
        if (strcmp(key, kind_names[k]) == 0)
            return extra | (1u << k);
    return 0;
}

typedef struct reader {
    const char *file;
    const char *section;
    size_t index;
    const char *name;  /* the entry's name, once known */
    edb_monitor_warn_fn warn;
    void *ctx;
    edb_err *err;
} reader;

/* "FILE: SECTION[i] (NAME): " */
static void where(const reader *rd, char *buf, size_t n)
{
    char f[200], nm[80];
    edb__excerpt(rd->file, strlen(rd->file), 150, f, sizeof f);
    if (rd->name)
        snprintf(buf, n, "%s: %s[%zu] (%s): ", f, rd->section, rd->index,
                 edb__excerpt(rd->name, strlen(rd->name), 64, nm, sizeof nm));
    else
        snprintf(buf, n, "%s: %s[%zu]: ", f, rd->section, rd->index);
}

static edb_status bad(const reader *rd, const char *field, const char *fmt, ...)
    EDB__PRINTF(3, 4);
static edb_status bad(const reader *rd, const char *field, const char *fmt, ...)
{
    char w[400], msg[600];
    where(rd, w, sizeof w);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return edb__fail(rd->err, EDB_ERR_USAGE, "%s%s%s%s", w, field ? field : "",
                     field ? ": " : "", msg);
}

static void warnf(const reader *rd, const char *fmt, ...) EDB__PRINTF(2, 3);
static void warnf(const reader *rd, const char *fmt, ...)
{
    if (!rd->warn)
        return;
    char w[400], msg[600], line[1100];
    where(rd, w, sizeof w);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    snprintf(line, sizeof line, "%s%s", w, msg);
    rd->warn(rd->ctx, line);
}

/* A JSON value, shortly, for a message. */
static const char *shown(const json_t *v, char *buf, size_t n)
{
    char *t = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
    if (!t) {
        snprintf(buf, n, "?");
        return buf;
    }
    edb__excerpt(t, strlen(t), 60, buf, n);
    free(t);
    return buf;
}

static const char *type_of(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT: return "an object";
    case JSON_ARRAY: return "an array";
    case JSON_STRING: return "a string";
    case JSON_INTEGER:
    case JSON_REAL: return "a number";
    case JSON_TRUE:
    case JSON_FALSE: return "true or false";
    case JSON_NULL: return "null";
    }
    return "?";
}

/* The words of the expression language that cannot be names in it. */
static int keyword(const char *name)
{
    return strcmp(name, "AND") == 0 || strcmp(name, "OR") == 0 || strcmp(name, "NOT") == 0 ||
           strcmp(name, "ABS") == 0;
}

/* A mnemonic name, normalised into out. */
static edb_status read_name(const reader *rd, const char *field, const json_t *v, char *out)
{
    char b[80];
    if (!json_is_string(v))
        return bad(rd, field, "give a mnemonic name as a string, not %s (%s)", type_of(v),
                   shown(v, b, sizeof b));
    edb_err nerr = EDB_ERR_INIT;
    if (edb_mnemonic_normalize(json_string_value(v), out, EDB_MNEMONIC_MAX + 1, &nerr) !=
        EDB_OK)
        return bad(rd, field, "%s", nerr.msg);
    if (keyword(out))
        return bad(rd, field, "%s is a word of edbx's expressions (and, or, not, abs) and "
                   "cannot name a mnemonic there", out);
    return EDB_OK;
}

/* A string of at most max bytes, without control characters, copied. */
static edb_status read_text(const reader *rd, const char *field, const json_t *v, size_t max,
                            int empty_ok, char **out)
{
    char b[80];
    if (!json_is_string(v))
        return bad(rd, field, "give a string, not %s (%s)", type_of(v), shown(v, b, sizeof b));
    const char *s = json_string_value(v);
    size_t len = json_string_length(v);
    if (len > max)
        return bad(rd, field, "longer than %zu bytes", max);
    if (!empty_ok && len == 0)
        return bad(rd, field, "empty");
    for (size_t k = 0; k < len; k++)
        if ((unsigned char)s[k] < 0x20 || s[k] == 0x7f)
            return bad(rd, field, "holds a control character");
    if (!(*out = edb__strndup(s, len)))
        return edb__fail(rd->err, EDB_ERR_NOMEM, "out of memory");
    return EDB_OK;
}

static edb_status read_limits(const reader *rd, const char *field, const json_t *v,
                              double out[2])
{
    char b[80];
    if (!json_is_array(v) || json_array_size(v) != 2 || !json_is_number(json_array_get(v, 0)) ||
        !json_is_number(json_array_get(v, 1)))
        return bad(rd, field, "give two numbers [LOW, HIGH] (got %s)", shown(v, b, sizeof b));
    out[0] = json_number_value(json_array_get(v, 0));
    out[1] = json_number_value(json_array_get(v, 1));
    if (!(out[0] < out[1]))
        return bad(rd, field, "LOW must be below HIGH (got %s)", shown(v, b, sizeof b));
    return EDB_OK;
}

/* mean_time_block: a number, '_', a unit holding "min", "sec", "hour" or "day" (jwql looks
 * for those words in that order: "15_minutes", "1_hour", "30_sec", "1_day"). */
static edb_status read_block(const reader *rd, const json_t *v, int64_t *us, const char **text)
{
    char b[80];
    const char *f = "mean_time_block";
    if (!json_is_string(v))
        return bad(rd, f, "give a string such as \"15_minutes\", not %s (%s)", type_of(v),
                   shown(v, b, sizeof b));
    const char *s = json_string_value(v), *us_ = strchr(s, '_');
    static const char *const units[] = {"min", "sec", "hour", "day"};
    static const double unit_s[] = {60, 1, 3600, 86400};
    int u = -1;
    for (int k = 0; us_ && k < 4 && u < 0; k++)
        if (strstr(us_ + 1, units[k]))
            u = k;
    double x = 0;
    if (!us_ || u < 0 || strchr(us_ + 1, '_') || edb_parse_double(s, (size_t)(us_ - s), &x) != 0 ||
        !(x > 0) || x * unit_s[u] > 1e9)
        return bad(rd, f, "give a number, '_' and a unit of time: min, sec, hour or day (e.g. "
                   "\"15_minutes\", \"1_hour\"), not %s", shown(v, b, sizeof b));
    double d = x * unit_s[u] * 1e6;
    *us = (int64_t)llround(d);
    if (*us < EDB_USEC_PER_SEC)
        return bad(rd, f, "%s is shorter than a second", shown(v, b, sizeof b));
    *text = s;
    return EDB_OK;
}

static edb_status read_dep(const reader *rd, size_t k, const json_t *v, edb_monitor_dep *d)
{
    char field[64], b[80];
    snprintf(field, sizeof field, "dependency[%zu]", k);
    if (!json_is_object(v))
        return bad(rd, field, "give an object {\"name\", \"relation\", \"threshold\"}, not %s",
                   type_of(v));
    const char *key;
    json_t *x;
    json_object_foreach((json_t *)v, key, x)
    {
        if (strcmp(key, "name") != 0 && strcmp(key, "relation") != 0 &&
            strcmp(key, "threshold") != 0) {
            char kb[80];
            warnf(rd, "%s: unknown key '%s' ignored", field,
                  edb__excerpt(key, strlen(key), 60, kb, sizeof kb));
        }
    }
    json_t *name = json_object_get(v, "name"), *rel = json_object_get(v, "relation"),
           *thr = json_object_get(v, "threshold");
    char sub[96];
    if (!name)
        return bad(rd, field, "no \"name\"");
    snprintf(sub, sizeof sub, "%s.name", field);
    edb_status st = read_name(rd, sub, name, d->name);
    if (st != EDB_OK)
        return st;
    snprintf(sub, sizeof sub, "%s.relation", field);
    if (!rel)
        return bad(rd, field, "no \"relation\"");
    int r = -1;
    for (int q = 0; json_is_string(rel) && q <= EDB_MON_NONE; q++)
        if (strcmp(json_string_value(rel), rel_json[q]) == 0)
            r = q;
    if (r < 0)
        return bad(rd, sub, "give one of \">\", \"<\", \"=\", \"!=\", \"<=\", \">=\" or \"none\" "
                   "(got %s)", shown(rel, b, sizeof b));
    d->rel = (edb_monitor_rel)r;
    snprintf(sub, sizeof sub, "%s.threshold", field);
    if (d->rel == EDB_MON_NONE)
        return EDB_OK; /* a state has no threshold; jwql writes 0 */
    if (!thr)
        return bad(rd, field, "no \"threshold\"");
    if (json_is_number(thr)) {
        d->num = json_number_value(thr);
        return EDB_OK;
    }
    if (!json_is_string(thr))
        return bad(rd, sub, "give a number or a string, not %s (%s)", type_of(thr),
                   shown(thr, b, sizeof b));
    if (d->rel != EDB_MON_EQ && d->rel != EDB_MON_NE)
        return bad(rd, sub, "a string (%s) compares with \"=\" or \"!=\" only",
                   shown(thr, b, sizeof b));
    st = read_text(rd, sub, thr, 1024, 1, &d->str);
    if (st != EDB_OK)
        return st;
    if (strchr(d->str, '\'') && strchr(d->str, '"'))
        return bad(rd, sub, "holds both kinds of quote, which an expression cannot quote");
    d->is_string = 1;
    return EDB_OK;
}

static const char *const entry_keys[] = {"name", "database_id", "description", "dependency",
                                         "plot_data", "nominal_value", "yellow_limits",
                                         "red_limits", "plot_category", "mean_time_block",
                                         NULL};

/* plot_data: "nominal" or "*MNEMONIC", then ",mean", ",median", ",max", ",min". */
static edb_status read_plot_data(const reader *rd, const json_t *v, edb_monitor_entry *e)
{
    const char *f = "plot_data";
    char b[80];
    if (!json_is_string(v))
        return bad(rd, f, "give \"nominal\" or \"*MNEMONIC\", not %s (%s)", type_of(v),
                   shown(v, b, sizeof b));
    const char *s = json_string_value(v);
    size_t k = 0;
    for (const char *p = s;; k++) {
        const char *c = strchr(p, ',');
        size_t len = c ? (size_t)(c - p) : strlen(p);
        while (len && (*p == ' ' || *p == '\t')) {
            p++;
            len--;
        }
        while (len && (p[len - 1] == ' ' || p[len - 1] == '\t'))
            len--;
        char part[EDB_MNEMONIC_MAX + 4];
        if (len >= sizeof part)
            return bad(rd, f, "'%s' is not \"nominal\" nor \"*MNEMONIC\" nor a statistic",
                       edb__excerpt(p, len, 60, b, sizeof b));
        memcpy(part, p, len);
        part[len] = '\0';
        if (k == 0) {
            if (strcmp(part, "nominal") == 0) {
                e->product[0] = '\0';
            } else if (part[0] == '*') {
                json_t *pn = json_string(part + 1);
                edb_status st = pn ? read_name(rd, f, pn, e->product)
                                   : edb__fail(rd->err, EDB_ERR_NOMEM, "out of memory");
                json_decref(pn);
                if (st != EDB_OK)
                    return st;
            } else {
                return bad(rd, f, "start with \"nominal\" or \"*MNEMONIC\" (a product), not "
                           "'%s'", edb__excerpt(part, len, 60, b, sizeof b));
            }
        } else {
            static const char *const names[] = {"mean", "median", "max", "min"};
            static const edb_stat stats[] = {EDB_STAT_MEAN, EDB_STAT_MEDIAN, EDB_STAT_MAX,
                                             EDB_STAT_MIN};
            int q = 0;
            while (q < 4 && strcmp(part, names[q]) != 0)
                q++;
            if (q == 4)
                return bad(rd, f, "'%s' is not a statistic shown (mean, median, max or min)",
                           edb__excerpt(part, len, 60, b, sizeof b));
            for (size_t j = 0; j < e->n_shown; j++)
                if (e->shown[j] == stats[q])
                    return bad(rd, f, "%s is named twice", part);
            e->shown[e->n_shown++] = stats[q];
        }
        if (!c)
            break;
        p = c + 1;
    }
    return EDB_OK;
}

static edb_status read_entry(reader *rd, const json_t *v, unsigned kinds, edb_monitor_entry *e)
{
    char b[80];
    if (!json_is_object(v))
        return bad(rd, NULL, "an entry is an object {\"name\": ..., \"dependency\": [...], ...}, "
                   "not %s", type_of(v));
    json_t *name = json_object_get(v, "name");
    if (!name)
        return bad(rd, NULL, "no \"name\"");
    edb_status st = read_name(rd, "name", name, e->name);
    if (st != EDB_OK)
        return st;
    rd->name = e->name;
    const char *key;
    json_t *x;
    json_object_foreach((json_t *)v, key, x)
    {
        int known = 0;
        for (int q = 0; entry_keys[q] && !known; q++)
            known = strcmp(key, entry_keys[q]) == 0;
        if (!known) {
            char kb[80];
            warnf(rd, "unknown key '%s' ignored", edb__excerpt(key, strlen(key), 60, kb,
                                                                sizeof kb));
        }
    }
    e->kinds = kinds;
    if ((x = json_object_get(v, "database_id"))) {
        if ((st = read_name(rd, "database_id", x, e->id)) != EDB_OK)
            return st;
    } else {
        memcpy(e->id, e->name, sizeof e->id);
    }
    if ((x = json_object_get(v, "description")) &&
        (st = read_text(rd, "description", x, 4096, 1, &e->description)) != EDB_OK)
        return st;
    json_t *deps = json_object_get(v, "dependency");
    if (!deps)
        return bad(rd, NULL, "no \"dependency\" (give [] for none)");
    if (!json_is_array(deps))
        return bad(rd, "dependency", "give an array of conditions, not %s (%s)", type_of(deps),
                   shown(deps, b, sizeof b));
    size_t nd = json_array_size(deps);
    if (nd > 32)
        return bad(rd, "dependency", "%zu conditions (at most 32)", nd);
    if (nd && !(e->deps = calloc(nd, sizeof *e->deps)))
        return edb__fail(rd->err, EDB_ERR_NOMEM, "out of memory");
    for (size_t k = 0; k < nd; k++) {
        e->n_deps = k + 1;
        if ((st = read_dep(rd, k, json_array_get(deps, k), &e->deps[k])) != EDB_OK)
            return st;
    }
    json_t *pd = json_object_get(v, "plot_data");
    if (!pd)
        return bad(rd, NULL, "no \"plot_data\" (\"nominal\", or \"*MNEMONIC\" for a product)");
    if ((st = read_plot_data(rd, pd, e)) != EDB_OK)
        return st;
    if ((x = json_object_get(v, "nominal_value"))) {
        if (!json_is_number(x))
            return bad(rd, "nominal_value", "give a number, not %s (%s)", type_of(x),
                       shown(x, b, sizeof b));
        e->has_nominal = 1;
        e->nominal = json_number_value(x);
    }
    if ((x = json_object_get(v, "yellow_limits"))) {
        if ((st = read_limits(rd, "yellow_limits", x, e->limits.yellow)) != EDB_OK)
            return st;
        e->limits.has_yellow = 1;
    }
    if ((x = json_object_get(v, "red_limits"))) {
        if ((st = read_limits(rd, "red_limits", x, e->limits.red)) != EDB_OK)
            return st;
        e->limits.has_red = 1;
    }
    json_t *cat = json_object_get(v, "plot_category");
    if (!cat)
        return bad(rd, NULL, "no \"plot_category\"");
    if ((st = read_text(rd, "plot_category", cat, 256, 0, &e->category)) != EDB_OK)
        return st;
    if ((x = json_object_get(v, "mean_time_block")) &&
        (st = read_block(rd, x, &e->block_us, &e->block_text)) != EDB_OK)
        return st;

    /* What the fields say together. */
    size_t n_state = 0;
    for (size_t k = 0; k < e->n_deps; k++)
        n_state += e->deps[k].rel == EDB_MON_NONE;
    if (kinds & (1u << EDB_MON_EVERY_CHANGE)) {
        if (n_state != 1)
            return bad(rd, "dependency", "an every_change entry names its state: one condition "
                       "with \"relation\": \"none\" (it has %zu)", n_state);
        if (e->product[0])
            return bad(rd, "plot_data", "a product (*%s) is not taken for every_change entries "
                       "(nor by jwql)", e->product);
    } else if (n_state) {
        return bad(rd, "dependency", "\"relation\": \"none\" names the state of every_change "
                   "entries; this is a %s entry", rd->section);
    }
    if ((kinds & (1u << EDB_MON_TIME_INTERVAL)) && !e->block_us)
        return bad(rd, NULL, "a time_interval entry needs \"mean_time_block\" (e.g. "
                   "\"15_minutes\")");
    if (e->product[0] && strlen(e->name) + strlen(e->product) + 3 > EDB_MNEMONIC_MAX)
        return bad(rd, "plot_data", "the product's column %s_X_%s would be longer than %d "
                   "characters", e->name, e->product, EDB_MNEMONIC_MAX);
    if (e->limits.has_yellow && e->limits.has_red &&
        (e->limits.yellow[0] < e->limits.red[0] || e->limits.yellow[1] > e->limits.red[1])) {
        char y0[40], y1[40], r0[40], r1[40];
        edb_format_double(e->limits.yellow[0], y0, sizeof y0);
        edb_format_double(e->limits.yellow[1], y1, sizeof y1);
        edb_format_double(e->limits.red[0], r0, sizeof r0);
        edb_format_double(e->limits.red[1], r1, sizeof r1);
        warnf(rd, "yellow_limits [%s, %s] reach beyond red_limits [%s, %s]: a value beyond "
              "both is red", y0, y1, r0, r1);
    }
    return EDB_OK;
}

static void entry_free(edb_monitor_entry *e)
{
    for (size_t k = 0; k < e->n_deps; k++)
        free(e->deps[k].str);
    free(e->deps);
    free(e->description);
    free(e->category);
}

/* Strings of the parsed document that entries point at (section keys, mean_time_block
 * texts) are copied into one block kept with the config: the document is freed. */
typedef struct strpool {
    char **v;
    size_t n, cap;
} strpool;

static char *pool_dup(strpool *p, const char *s)
{
    if (p->n == p->cap) {
        size_t cap = p->cap ? p->cap * 2 : 16;
        char **nv = realloc(p->v, cap * sizeof *nv);
        if (!nv)
            return NULL;
        p->v = nv;
        p->cap = cap;
    }
    char *c = edb__strdup(s);
    if (c)
        p->v[p->n++] = c;
    return c;
}

/* The config's own allocation: struct, entries, and the strings they borrow. */
typedef struct config_impl {
    edb_monitor_config c;
    strpool pool;
} config_impl;

static void config_impl_free(config_impl *ci)
{
    if (!ci)
        return;
    for (size_t k = 0; k < ci->pool.n; k++)
        free(ci->pool.v[k]);
    free(ci->pool.v);
    ci->pool.n = 0;
    ci->pool.v = NULL;
    edb_monitor_config *c = &ci->c;
    for (size_t k = 0; k < c->n; k++)
        entry_free(&c->entries[k]);
    free(c->entries);
    free(c->file);
    free(c->stem);
    free(ci);
}

/* The stem: base name without ".json" and "_mnemonics_to_monitor"; other characters than
 * letters, digits, '_', '-' and '.' become '_'. */
static char *make_stem(const char *file)
{
    const char *b = strrchr(file, '/');
    b = b ? b + 1 : file;
    size_t len = strlen(b);
    if (len > 5 && strcmp(b + len - 5, ".json") == 0)
        len -= 5;
    static const char suffix[] = "_mnemonics_to_monitor";
    size_t sl = sizeof suffix - 1;
    if (len > sl && strncmp(b + len - sl, suffix, sl) == 0)
        len -= sl;
    if (len > 64)
        len = 64;
    char *s = malloc(len ? len + 1 : 7);
    if (!s)
        return NULL;
    if (!len) {
        memcpy(s, "config", 7);
        return s;
    }
    for (size_t k = 0; k < len; k++) {
        char ch = b[k];
        int ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
                 (ch >= '0' && ch <= '9') || ch == '_' || ch == '-' || (ch == '.' && k > 0);
        s[k] = ok ? ch : '_';
    }
    s[len] = '\0';
    return s;
}

void edb_monitor_config_free(edb_monitor_config *c)
{
    /* Every config is the first member of its config_impl. */
    config_impl_free((config_impl *)c);
}

edb_status edb_monitor_config_parse(edb_monitor_config **out, const char *file,
                                    const char *text, size_t len, edb_monitor_warn_fn warn,
                                    void *ctx, edb_err *err)
{
    *out = NULL;
    char f[200];
    edb__excerpt(file, strlen(file), 150, f, sizeof f);
    if (len > EDB_MONITOR_CONFIG_MAX)
        return edb__fail(err, EDB_ERR_USAGE, "%s: larger than %zu MiB: not a monitor "
                         "configuration", f, EDB_MONITOR_CONFIG_MAX >> 20);
    json_error_t je;
    json_t *doc = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
    if (!doc)
        return edb__fail(err, EDB_ERR_USAGE, "%s: not JSON: %s (line %d, column %d)", f,
                         je.text, je.line, je.column);
    config_impl *ci = calloc(1, sizeof *ci);
    edb_status st = EDB_OK;
    if (!ci || !(ci->c.file = edb__strdup(file)) || !(ci->c.stem = make_stem(file)))
        st = edb__fail(err, EDB_ERR_NOMEM, "out of memory");
    if (st == EDB_OK && !json_is_object(doc))
        st = edb__fail(err, EDB_ERR_USAGE, "%s: a monitor configuration is an object of kinds "
                       "({\"daily_means\": [...], ...}), not %s", f, type_of(doc));
    size_t total = 0;
    const char *key;
    json_t *v;
    if (st == EDB_OK)
        json_object_foreach(doc, key, v)
        {
            if (json_is_array(v))
                total += json_array_size(v);
        }
    if (st == EDB_OK && total && !(ci->c.entries = calloc(total, sizeof *ci->c.entries)))
        st = edb__fail(err, EDB_ERR_NOMEM, "out of memory");
    reader rd = {file, NULL, 0, NULL, warn, ctx, err};
    if (st == EDB_OK)
        json_object_foreach(doc, key, v)
        {
            char kb[80];
            unsigned kinds = section_kinds(key);
            edb__excerpt(key, strlen(key), 60, kb, sizeof kb);
            if (!kinds) {
                if (warn) {
                    char line[700];
                    snprintf(line, sizeof line, "%s: unknown kind '%s' ignored (the kinds are "
                             "all, daily_means, block_means, time_interval, every_change and "
                             "all+ one of the others)", f, kb);
                    warn(ctx, line);
                }
                continue;
            }
            if (!json_is_array(v)) {
                st = edb__fail(err, EDB_ERR_USAGE, "%s: %s: give an array of entries, not %s",
                               f, kb, type_of(v));
                break;
            }
            const char *section = pool_dup(&ci->pool, key);
            if (!section) {
                st = edb__fail(err, EDB_ERR_NOMEM, "out of memory");
                break;
            }
            for (size_t k = 0; k < json_array_size(v) && st == EDB_OK; k++) {
                edb_monitor_entry *e = &ci->c.entries[ci->c.n++];
                e->config = ci->c.file;
                e->section = section;
                e->index = k;
                rd.section = section;
                rd.index = k;
                rd.name = NULL;
                st = read_entry(&rd, json_array_get(v, k), kinds, e);
                if (st == EDB_OK && e->block_text && !(e->block_text = pool_dup(&ci->pool,
                                                                                 e->block_text)))
                    st = edb__fail(err, EDB_ERR_NOMEM, "out of memory");
                if (st != EDB_OK)
                    e->block_text = NULL;
            }
            if (st != EDB_OK)
                break;
        }
    /* The same mnemonic monitored the same way twice (nircam's time_interval has one): the
     * later one's outputs are told apart by a suffix, and the file should say which. */
    for (size_t a = 0; st == EDB_OK && a < ci->c.n; a++) {
        edb_monitor_entry *e = &ci->c.entries[a];
        for (unsigned n = 2;; n++) {
            int clash = 0;
            for (size_t b = 0; b < a && !clash; b++)
                clash = (ci->c.entries[b].kinds & e->kinds) &&
                        strcmp(ci->c.entries[b].id, e->id) == 0;
            if (!clash)
                break;
            char id[EDB_MNEMONIC_MAX + 16];
            size_t base = strlen(e->id);
            if (n > 2)
                base = (size_t)(strrchr(e->id, '_') - e->id);
            snprintf(id, sizeof id, "%.*s_%u", (int)base, e->id, n);
            if (strlen(id) > EDB_MNEMONIC_MAX) {
                rd.section = e->section;
                rd.index = e->index;
                rd.name = e->name;
                st = bad(&rd, NULL, "monitored the same way as an earlier entry: give it a "
                         "database_id of its own");
                break;
            }
            if (n == 2) {
                rd.section = e->section;
                rd.index = e->index;
                rd.name = e->name;
                warnf(&rd, "%s is monitored the same way by an earlier entry: this one's "
                      "outputs are named %s (give it a database_id of its own)", e->id, id);
            }
            memcpy(e->id, id, strlen(id) + 1);
        }
    }
    json_decref(doc);
    if (st != EDB_OK) {
        config_impl_free(ci);
        return st;
    }
    *out = &ci->c;
    return EDB_OK;
}

edb_status edb_monitor_config_load(edb_monitor_config **out, const char *path,
                                   edb_monitor_warn_fn warn, void *ctx, edb_err *err)
{
    *out = NULL;
    FILE *fp = fopen(path, "rb");
    char f[200];
    edb__excerpt(path, strlen(path), 150, f, sizeof f);
    if (!fp)
        return edb__fail(err, EDB_ERR_IO, "%s: cannot open it: %s", f, strerror(errno));
    edb__buf b = {0};
    char chunk[65536];
    size_t got;
    int oom = 0;
    while (!oom && (got = fread(chunk, 1, sizeof chunk, fp)) > 0) {
        oom = edb__buf_append(&b, chunk, got) != 0;
        if (b.len > EDB_MONITOR_CONFIG_MAX)
            break;
    }
    int rerr = ferror(fp);
    fclose(fp);
    edb_status st;
    if (oom)
        st = edb__fail(err, EDB_ERR_NOMEM, "out of memory");
    else if (rerr)
        st = edb__fail(err, EDB_ERR_IO, "%s: cannot read it", f);
    else
        st = edb_monitor_config_parse(out, path, b.p ? b.p : "", b.len, warn, ctx, err);
    edb__buf_free(&b);
    return st;
}

/* ---- limits --------------------------------------------------------------------------- */

int edb_limits_level(const edb_limits *l, double v)
{
    if (l->has_red && (v < l->red[0] || v > l->red[1]))
        return 2;
    if (l->has_yellow && (v < l->yellow[0] || v > l->yellow[1]))
        return 1;
    return 0;
}

/* How far v lies beyond [lim[0], lim[1]]. */
static double beyond(const double lim[2], double v)
{
    return v < lim[0] ? lim[0] - v : v - lim[1];
}

edb_status edb_limits_check(const edb_limits *l, const edb_table *t, size_t col, size_t from,
                            size_t to, edb_limit_report *out, edb_err *err)
{
    memset(out, 0, sizeof *out);
    if (col >= t->ncols || from > to || to > t->nrows)
        return edb__fail(err, EDB_ERR_USAGE, "no such column or rows");
    const edb_column *c = &t->cols[col];
    if (c->vtype != EDB_VT_REAL && c->vtype != EDB_VT_INT)
        return edb__fail(err, EDB_ERR_USAGE, "%s is a column of strings: limits compare "
                         "numbers", c->name);
    double dist[3] = {0, 0, 0};
    for (size_t r = from; r < to; r++) {
        if (!c->valid[r])
            continue;
        double v = c->vtype == EDB_VT_REAL ? c->d[r] : (double)c->i[r];
        if (isnan(v))
            continue;
        out->checked++;
        int lvl = edb_limits_level(l, v);
        if (!lvl)
            continue;
        edb_breach *b = lvl == 2 ? &out->red : &out->yellow;
        double d = beyond(lvl == 2 ? l->red : l->yellow, v);
        if (b->count == 0 || d > dist[lvl]) {
            dist[lvl] = d;
            b->worst = v;
            b->worst_time = t->t[r];
        }
        if (b->count == 0)
            b->first = t->t[r];
        b->last = t->t[r];
        b->count++;
    }
    return EDB_OK;
}

/* ---- the state ------------------------------------------------------------------------ */

#define STATE_FORMAT "edbx-monitor-state-1"
#define STATE_MAX_ENTRIES 1000000
#define STATE_MAX_COLUMNS 10000

typedef struct sentry {
    char *key, *fingerprint;
    edb_time start, resume, done;
    size_t final;
    edb_table *table;
} sentry;

struct edb_monitor_state {
    sentry *v;   /* sorted by key */
    size_t n, cap;
};

edb_status edb_monitor_state_new(edb_monitor_state **out)
{
    *out = calloc(1, sizeof **out);
    return *out ? EDB_OK : EDB_ERR_NOMEM;
}

void edb_monitor_state_free(edb_monitor_state *s)
{
    if (!s)
        return;
    for (size_t k = 0; k < s->n; k++) {
        free(s->v[k].key);
        free(s->v[k].fingerprint);
        edb_table_free(s->v[k].table);
    }
    free(s->v);
    free(s);
}

/* Where key is, or would go. */
static size_t state_find(const edb_monitor_state *s, const char *key, int *found)
{
    size_t lo = 0, hi = s->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(s->v[mid].key, key);
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

int edb_monitor_state_get(const edb_monitor_state *s, const char *key,
                          edb_monitor_state_entry *out)
{
    int found;
    size_t at = state_find(s, key, &found);
    if (!found)
        return 0;
    const sentry *e = &s->v[at];
    *out = (edb_monitor_state_entry){e->key,    e->fingerprint, e->start, e->resume,
                                     e->done,   e->final,       e->table};
    return 1;
}

size_t edb_monitor_state_count(const edb_monitor_state *s)
{
    return s->n;
}

/* Take ownership of table into the entry of key. */
static edb_status state_put_owned(edb_monitor_state *s, const char *key, const char *fingerprint,
                                  edb_time start, edb_time resume, edb_time done, size_t final,
                                  edb_table *table)
{
    char *k = edb__strdup(key), *f = edb__strdup(fingerprint);
    if (!k || !f) {
        free(k);
        free(f);
        edb_table_free(table);
        return EDB_ERR_NOMEM;
    }
    int found;
    size_t at = state_find(s, key, &found);
    if (found) {
        sentry *e = &s->v[at];
        free(e->key);
        free(e->fingerprint);
        edb_table_free(e->table);
        *e = (sentry){k, f, start, resume, done, final, table};
        return EDB_OK;
    }
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 16;
        sentry *nv = realloc(s->v, cap * sizeof *nv);
        if (!nv) {
            free(k);
            free(f);
            edb_table_free(table);
            return EDB_ERR_NOMEM;
        }
        s->v = nv;
        s->cap = cap;
    }
    memmove(s->v + at + 1, s->v + at, (s->n - at) * sizeof *s->v);
    s->v[at] = (sentry){k, f, start, resume, done, final, table};
    s->n++;
    return EDB_OK;
}

/* What every entry holds to: final rows before resume, start <= resume <= done + 1. */
static int entry_ok(edb_time start, edb_time resume, edb_time done, size_t final,
                    const edb_table *t)
{
    if (final > t->nrows || resume < start)
        return 0;
    if ((done != EDB_TIME_MAX && resume > done + 1) || (start != EDB_TIME_MIN && done < start - 1))
        return 0;
    return final == 0 || t->t[final - 1] < resume;
}

edb_status edb_monitor_state_put(edb_monitor_state *s, const char *key,
                                 const char *fingerprint, edb_time start, edb_time resume,
                                 edb_time done, size_t final, const edb_table *t,
                                 edb_err *err)
{
    if (!entry_ok(start, resume, done, final, t))
        return edb__fail(err, EDB_ERR_USAGE, "%s: a state's final rows come before its resume "
                         "time, after its start, and it resumes by its end", key);
    edb_table *copy = NULL;
    edb_status st = edb_table_slice(&copy, t, 0, t->nrows);
    if (st == EDB_OK)
        st = state_put_owned(s, key, fingerprint, start, resume, done, final, copy);
    if (st != EDB_OK)
        return edb__fail(err, st, "out of memory");
    return EDB_OK;
}

static const char *const vtype_names[] = {"none", "real", "int", "string"};

static json_t *opt_string(const char *s)
{
    return s ? json_string(s) : json_null();
}

/* A string cell: the bytes as a JSON string when they are UTF-8 without a NUL (which the
 * reader, like any JSON reader without JSON_ALLOW_NUL, refuses as \u0000), else
 * {"hex": "..."}. */
static json_t *string_cell(const char *v, size_t len)
{
    json_t *j = memchr(v, '\0', len) ? NULL : json_stringn(v, len);
    if (j)
        return j;
    char *hex = malloc(2 * len + 1);
    if (!hex)
        return NULL;
    for (size_t k = 0; k < len; k++)
        snprintf(hex + 2 * k, 3, "%02x", (unsigned char)v[k]);
    j = json_pack("{s:s}", "hex", hex);
    free(hex);
    return j;
}

static json_t *table_values(const edb_column *c, size_t nrows)
{
    json_t *a = json_array();
    for (size_t r = 0; a && r < nrows; r++) {
        json_t *x;
        if (!c->valid[r]) {
            x = json_null();
        } else if (c->vtype == EDB_VT_REAL) {
            double v = c->d[r];
            x = isnan(v) ? json_string("nan") : isinf(v) ? json_string(v > 0 ? "inf" : "-inf")
                                                         : json_real(v);
        } else if (c->vtype == EDB_VT_INT) {
            x = json_integer((json_int_t)c->i[r]);
        } else {
            size_t len;
            const char *v = edb_column_str(c, r, &len);
            x = string_cell(v, len);
        }
        if (!x || json_array_append_new(a, x) != 0) {
            json_decref(a);
            return NULL;
        }
    }
    return a;
}

static json_t *entry_json(const sentry *e)
{
    const edb_table *t = e->table;
    json_t *cols = json_array(), *times = json_array(), *vals = json_array();
    int ok = cols && times && vals;
    for (size_t k = 0; ok && k < t->ncols; k++) {
        const edb_column *c = &t->cols[k];
        json_t *cj = json_pack("{s:s,s:s,s:o,s:o,s:o,s:o,s:s}", "name", c->name, "mnemonic",
                               c->mnemonic, "stat", opt_string(c->stat), "unit",
                               opt_string(c->unit), "description", opt_string(c->description),
                               "subsystem", opt_string(c->subsystem), "type",
                               vtype_names[c->vtype]);
        json_t *vj = cj ? table_values(c, t->nrows) : NULL;
        ok = cj && vj && json_array_append_new(cols, cj) == 0 &&
             json_array_append_new(vals, vj) == 0;
        if (!ok && !vj)
            json_decref(cj);
    }
    for (size_t r = 0; ok && r < t->nrows; r++)
        ok = json_array_append_new(times, json_integer((json_int_t)t->t[r])) == 0;
    json_t *o = NULL;
    if (ok)
        o = json_pack("{s:s,s:s,s:I,s:I,s:I,s:I,s:I,s:o,s:o,s:o}", "key", e->key,
                      "fingerprint", e->fingerprint, "start", (json_int_t)e->start, "resume",
                      (json_int_t)e->resume, "done", (json_int_t)e->done, "final",
                      (json_int_t)e->final, "step_us", (json_int_t)t->step_us, "columns", cols,
                      "time", times, "values", vals);
    else {
        json_decref(cols);
        json_decref(times);
        json_decref(vals);
    }
    return o;
}

edb_status edb_monitor_state_text(const edb_monitor_state *s, char **text, size_t *len,
                                  edb_err *err)
{
    *text = NULL;
    json_t *entries = json_array();
    int ok = entries != NULL;
    for (size_t k = 0; ok && k < s->n; k++) {
        json_t *e = entry_json(&s->v[k]);
        ok = e && json_array_append_new(entries, e) == 0;
    }
    json_t *root = ok ? json_pack("{s:s,s:o}", "format", STATE_FORMAT, "entries", entries)
                      : NULL;
    if (!root) {
        if (!ok)
            json_decref(entries);
        return edb__fail(err, EDB_ERR_NOMEM, "out of memory");
    }
    /* 17 significant digits: every double reads back as itself. */
    char *t = json_dumps(root, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(17));
    json_decref(root);
    if (!t)
        return edb__fail(err, EDB_ERR_NOMEM, "out of memory");
    size_t n = strlen(t);
    /* One line, ending in a newline, as a text file should. */
    char *w = realloc(t, n + 2);
    if (!w) {
        free(t);
        return edb__fail(err, EDB_ERR_NOMEM, "out of memory");
    }
    w[n] = '\n';
    w[n + 1] = '\0';
    *text = w;
    *len = n + 1;
    return EDB_OK;
}

/* ---- reading a state back ------------------------------------------------------------- */

static int hexval(char c)
{
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Only the keys listed, each present. */
static int keys_are(const json_t *o, const char *const *keys)
{
    size_t n = 0;
    for (; keys[n]; n++)
        if (!json_object_get(o, keys[n]))
            return 0;
    return json_object_size(o) == n;
}

static edb_status cell(edb_column *c, size_t nrows, size_t r, const json_t *x)
{
    if (json_is_null(x))
        return EDB_OK;
    if (c->vtype == EDB_VT_REAL) {
        if (json_is_number(x)) {
            edb_column_set_real(c, r, json_number_value(x));
            return EDB_OK;
        }
        const char *s = json_string_value(x);
        if (!s)
            return EDB_ERR_DATA;
        if (strcmp(s, "nan") == 0)
            edb_column_set_real(c, r, NAN);
        else if (strcmp(s, "inf") == 0 || strcmp(s, "-inf") == 0)
            edb_column_set_real(c, r, s[0] == '-' ? -INFINITY : INFINITY);
        else
            return EDB_ERR_DATA;
        return EDB_OK;
    }
    if (c->vtype == EDB_VT_INT) {
        if (!json_is_integer(x))
            return EDB_ERR_DATA;
        edb_column_set_int(c, r, (int64_t)json_integer_value(x));
        return EDB_OK;
    }
    if (json_is_string(x))
        return edb_column_set_str(c, nrows, r, json_string_value(x), json_string_length(x));
    static const char *const hk[] = {"hex", NULL};
    const char *h = json_is_object(x) && keys_are(x, hk) ? json_string_value(json_object_get(x,
                                                                                          "hex"))
                                                          : NULL;
    size_t hl = h ? strlen(h) : 1;
    if (!h || hl % 2)
        return EDB_ERR_DATA;
    char *b = malloc(hl / 2 + 1);
    if (!b)
        return EDB_ERR_NOMEM;
    for (size_t k = 0; k < hl / 2; k++) {
        int a = hexval(h[2 * k]), d = hexval(h[2 * k + 1]);
        if (a < 0 || d < 0) {
            free(b);
            return EDB_ERR_DATA;
        }
        b[k] = (char)(a * 16 + d);
    }
    edb_status st = edb_column_set_str(c, nrows, r, b, hl / 2);
    free(b);
    return st;
}

static const char *opt_str(const json_t *o, const char *key, int *ok)
{
    const json_t *x = json_object_get(o, key);
    if (json_is_null(x))
        return NULL;
    if (!json_is_string(x) || json_string_length(x) != strlen(json_string_value(x)))
        *ok = 0;
    return json_string_value(x);
}

/* One entry: the table it holds, into *out (owned). */
static edb_status entry_parse(const json_t *e, size_t idx, edb_table **out, edb_err *err)
{
    static const char *const ek[] = {"key",     "fingerprint", "start", "resume", "done",
                                     "final",   "step_us",     "columns", "time", "values",
                                     NULL};
    static const char *const ck[] = {"name", "mnemonic", "stat",      "unit",
                                     "description", "subsystem", "type", NULL};
    *out = NULL;
    if (!json_is_object(e) || !keys_are(e, ek))
        return edb__fail(err, EDB_ERR_DATA, "entry %zu: not {key, fingerprint, start, resume, "
                         "done, final, step_us, columns, time, values}", idx);
    const json_t *cols = json_object_get(e, "columns"), *times = json_object_get(e, "time"),
                 *vals = json_object_get(e, "values"), *step = json_object_get(e, "step_us");
    if (!json_is_array(cols) || !json_is_array(times) || !json_is_array(vals) ||
        !json_is_integer(step) || json_integer_value(step) < 0 ||
        json_array_size(cols) > STATE_MAX_COLUMNS ||
        json_array_size(vals) != json_array_size(cols))
        return edb__fail(err, EDB_ERR_DATA, "entry %zu: malformed columns, times or values", idx);
    size_t nrows = json_array_size(times);
    edb_table *t = NULL;
    if (edb_table_new(&t, nrows) != EDB_OK)
        return edb__fail(err, EDB_ERR_NOMEM, "out of memory");
    t->step_us = (int64_t)json_integer_value(step);
    edb_status st = EDB_OK;
    for (size_t r = 0; r < nrows && st == EDB_OK; r++) {
        const json_t *x = json_array_get(times, r);
        if (!json_is_integer(x))
            st = EDB_ERR_DATA;
        else
            t->t[r] = (edb_time)json_integer_value(x);
        if (st == EDB_OK && r && t->t[r] < t->t[r - 1])
            st = EDB_ERR_DATA;
    }
    for (size_t k = 0; k < json_array_size(cols) && st == EDB_OK; k++) {
        const json_t *c = json_array_get(cols, k), *v = json_array_get(vals, k);
        if (!json_is_object(c) || !keys_are(c, ck) || !json_is_array(v) ||
            json_array_size(v) != nrows) {
            st = EDB_ERR_DATA;
            break;
        }
        int ok = 1;
        const char *name = opt_str(c, "name", &ok), *mn = opt_str(c, "mnemonic", &ok),
                   *stat = opt_str(c, "stat", &ok), *unit = opt_str(c, "unit", &ok),
                   *desc = opt_str(c, "description", &ok), *type = opt_str(c, "type", &ok),
                   *subsys = opt_str(c, "subsystem", &ok);
        int vt = 0;
        for (int q = 1; type && q < 4; q++)
            if (strcmp(type, vtype_names[q]) == 0)
                vt = q;
        if (!ok || !name || !*name || !mn || !*mn || !vt) {
            st = EDB_ERR_DATA;
            break;
        }
        edb_column *col = NULL;
        st = edb_table_add_column(t, name, mn, stat, (edb_vtype)vt, &col);
        if (st == EDB_OK)
            st = edb_column_set_meta(col, unit, desc);
        if (st == EDB_OK)
            st = edb_column_set_subsystem(col, subsys);
        for (size_t r = 0; r < nrows && st == EDB_OK; r++)
            st = cell(col, nrows, r, json_array_get(v, r));
    }
    if (st != EDB_OK) {
        edb_table_free(t);
        if (st == EDB_ERR_NOMEM)
            return edb__fail(err, st, "out of memory");
        return edb__fail(err, EDB_ERR_DATA, "entry %zu: a malformed column, or a time out of "
                         "order", idx);
    }
    *out = t;
    return EDB_OK;
}

edb_status edb_monitor_state_parse(edb_monitor_state **out, const char *text, size_t len,
                                   edb_err *err)
{
    *out = NULL;
    json_error_t je;
    json_t *doc = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
    if (!doc)
        return edb__fail(err, EDB_ERR_DATA, "not JSON: %s (line %d, column %d)", je.text,
                         je.line, je.column);
    static const char *const rk[] = {"format", "entries", NULL};
    const json_t *entries = json_object_get(doc, "entries");
    edb_status st = EDB_OK;
    if (!json_is_object(doc) || !keys_are(doc, rk) ||
        !json_is_string(json_object_get(doc, "format")) ||
        strcmp(json_string_value(json_object_get(doc, "format")), STATE_FORMAT) != 0 ||
        !json_is_array(entries) || json_array_size(entries) > STATE_MAX_ENTRIES)
        st = edb__fail(err, EDB_ERR_DATA, "not a state of edbx monitor (format %s)",
                       STATE_FORMAT);
    edb_monitor_state *s = NULL;
    if (st == EDB_OK && edb_monitor_state_new(&s) != EDB_OK)
        st = edb__fail(err, EDB_ERR_NOMEM, "out of memory");
    for (size_t k = 0; st == EDB_OK && k < json_array_size(entries); k++) {
        const json_t *e = json_array_get(entries, k);
        edb_table *t = NULL;
        if ((st = entry_parse(e, k, &t, err)) != EDB_OK)
            break;
        const json_t *key = json_object_get(e, "key"), *fp = json_object_get(e, "fingerprint"),
                     *a = json_object_get(e, "start"), *b = json_object_get(e, "resume"),
                     *dn = json_object_get(e, "done"), *fn = json_object_get(e, "final");
        edb_monitor_state_entry have;
        if (!json_is_string(key) || !json_is_string(fp) || !json_is_integer(a) ||
            !json_is_integer(b) || !json_is_integer(dn) || !json_is_integer(fn) ||
            json_integer_value(fn) < 0 ||
            !entry_ok((edb_time)json_integer_value(a), (edb_time)json_integer_value(b),
                      (edb_time)json_integer_value(dn), (size_t)json_integer_value(fn), t) ||
            !json_string_length(key) ||
            json_string_length(key) != strlen(json_string_value(key)) ||
            json_string_length(fp) != strlen(json_string_value(fp)) ||
            edb_monitor_state_get(s, json_string_value(key), &have)) {
            edb_table_free(t);
            st = edb__fail(err, EDB_ERR_DATA, "entry %zu: a malformed or repeated key, or "
                           "fingerprint, start, resume, done and final that do not hold together "
                           "(final rows before resume, start <= resume <= done + 1)", k);
            break;
        }
        if ((st = state_put_owned(s, json_string_value(key), json_string_value(fp),
                                  (edb_time)json_integer_value(a),
                                  (edb_time)json_integer_value(b),
                                  (edb_time)json_integer_value(dn),
                                  (size_t)json_integer_value(fn), t)) != EDB_OK)
            st = edb__fail(err, st, "out of memory");
    }
    json_decref(doc);
    if (st != EDB_OK) {
        edb_monitor_state_free(s);
        return st;
    }
    *out = s;
    return EDB_OK;
}
