/* service.c: the table of services (service.h), the names their replies are saved under,
 * and the metadata document path B and EDP share. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include <edb/mnemonic.h>

#include "service.h"

static const edb__service *const services[] = {&edb__svc_mast, &edb__svc_direct, &edb__svc_edp};
#define N_SERVICES (sizeof services / sizeof services[0])

const edb__service *edb__service_find(const char *name)
{
    for (size_t k = 0; name && k < N_SERVICES; k++)
        if (strcmp(services[k]->name, name) == 0)
            return services[k];
    return NULL;
}

size_t edb__service_count(void)
{
    return N_SERVICES;
}

const edb__service *edb__service_at(size_t i)
{
    return i < N_SERVICES ? services[i] : NULL;
}

size_t edb__base_len(const char *base_url)
{
    size_t n = strlen(base_url);
    while (n && base_url[n - 1] == '/')
        n--;
    return n;
}

void edb__reply_name(const edb__service *svc, edb_request_kind kind, const char *mnemonic,
                     edb_time lo, edb_time hi, char *out, size_t n)
{
    if (kind == EDB_REQ_META) {
        snprintf(out, n, "%s.%s-meta.json", mnemonic, svc->name);
        return;
    }
    char s0[EDB_TIME_STRLEN], s1[EDB_TIME_STRLEN];
    edb_time_format_compact(lo, s0, sizeof s0);
    edb_time_format_compact(hi, s1, sizeof s1);
    snprintf(out, n, "%s-%s-%s%s", mnemonic, s0, s1, svc->reply_ext);
}

static int ends_with(const char *s, size_t len, const char *suffix)
{
    size_t m = strlen(suffix);
    return len >= m && memcmp(s + len - m, suffix, m) == 0;
}

/* YYYYmmddTHHMMSS, each field in range. */
static int parse_compact(const char *p, edb_time *out)
{
    static const int w[6] = {4, 2, 2, 2, 2, 2};
    int f[6];
    for (int j = 0; j < 6; j++) {
        if (j == 3 && *p++ != 'T')
            return -1;
        f[j] = 0;
        for (int d = 0; d < w[j]; d++, p++) {
            if (*p < '0' || *p > '9')
                return -1;
            f[j] = f[j] * 10 + (*p - '0');
        }
    }
    static const int dim[12] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (f[1] < 1 || f[1] > 12 || f[2] < 1 || f[2] > dim[f[1] - 1] || f[3] > 23 || f[4] > 59 ||
        f[5] > 59)
        return -1;
    *out = edb_time_from_civil(f[0], f[1], f[2], f[3], f[4], f[5], 0);
    return 0;
}

int edb__reply_name_parse(const char *name, const edb__service **svc, edb_request_kind *kind,
                          char *mnemonic, edb_time *lo, edb_time *hi)
{
    size_t len = strlen(name);
    for (size_t k = 0; k < N_SERVICES; k++) {
        const edb__service *s = services[k];
        char meta[64];
        snprintf(meta, sizeof meta, ".%s-meta.json", s->name);
        if (s->meta_url && ends_with(name, len, meta)) {
            size_t nl = len - strlen(meta);
            if (!edb_mnemonic_is_normal(name, nl))
                return -1;
            memcpy(mnemonic, name, nl);
            mnemonic[nl] = '\0';
            *svc = s;
            *kind = EDB_REQ_META;
            *lo = *hi = 0;
            return 0;
        }
    }
    /* Data: the longest matching extension wins (".direct.json" is not ".csv"). */
    const edb__service *best = NULL;
    for (size_t k = 0; k < N_SERVICES; k++)
        if (ends_with(name, len, services[k]->reply_ext) &&
            (!best || strlen(services[k]->reply_ext) > strlen(best->reply_ext)))
            best = services[k];
    if (!best)
        return -1;
    const size_t stamps = 2 * 16; /* -YYYYmmddTHHMMSS twice */
    size_t el = strlen(best->reply_ext);
    if (len < el + stamps + 1)
        return -1;
    size_t nl = len - el - stamps;
    const char *t = name + nl;
    if (!edb_mnemonic_is_normal(name, nl) || t[0] != '-' || t[16] != '-' ||
        parse_compact(t + 1, lo) != 0 || parse_compact(t + 17, hi) != 0 || *lo > *hi)
        return -1;
    memcpy(mnemonic, name, nl);
    mnemonic[nl] = '\0';
    *svc = best;
    *kind = EDB_REQ_DATA;
    return 0;
}

/* ---- path B / EDP metadata documents ---------------------------------------------------- */

void edb__meta_keep_free(void *keep)
{
    json_decref(keep);
}

static const char *str_field(json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    return json_is_string(v) ? json_string_value(v) : NULL;
}

int edb__tlm_meta_parse(const char *body, size_t len, const char *mnemonic,
                        edb_meta_entry *out, void **keep, edb_err *err)
{
    memset(out, 0, sizeof *out);
    out->all_points = -1;
    *keep = NULL;
    json_error_t jerr;
    json_t *root = json_loadb(body, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!root) {
        edb__fail(err, EDB_ERR_DATA, "the metadata reply is not JSON: line %d column %d: %.200s",
                  jerr.line, jerr.column, jerr.text);
        return -1;
    }
    json_t *list = json_object_get(root, "TlmMnemonics");
    if (!json_is_array(list) && !json_is_null(list)) {
        json_decref(root);
        edb__fail(err, EDB_ERR_DATA, "the metadata reply has no TlmMnemonics array");
        return -1;
    }
    /* The service matches substrings: find the entry that is exactly the name. */
    for (size_t k = 0; json_is_array(list) && k < json_array_size(list); k++) {
        json_t *e = json_array_get(list, k);
        const char *name = str_field(e, "TlmMnemonic");
        char norm[EDB_MNEMONIC_MAX + 1];
        if (!name || edb_mnemonic_normalize(name, norm, sizeof norm, NULL) != EDB_OK ||
            strcmp(norm, mnemonic) != 0)
            continue;
        out->mnemonic = name;
        out->sqltype = str_field(e, "SQLType");
        out->subsystem = str_field(e, "Subsystem");
        json_t *ap = json_object_get(e, "AllPoints");
        if (json_is_integer(ap) && (json_integer_value(ap) == 0 || json_integer_value(ap) == 1))
            out->all_points = (int)json_integer_value(ap);
        else if (json_is_boolean(ap))
            out->all_points = json_is_true(ap);
        *keep = root;
        return 1;
    }
    json_decref(root);
    return 0;
}

int edb__tlm_meta_format(const edb_meta_entry *e, edb__buf *out)
{
    json_t *o = json_object();
    json_t *entry = json_object();
    json_t *list = json_array();
    int bad = !o || !entry || !list;
    if (!bad) {
        json_object_set_new(entry, "TlmMnemonic", json_string(e->mnemonic));
        if (e->subsystem)
            json_object_set_new(entry, "Subsystem", json_string(e->subsystem));
        if (e->sqltype)
            json_object_set_new(entry, "SQLType", json_string(e->sqltype));
        if (e->all_points >= 0)
            json_object_set_new(entry, "AllPoints", json_integer(e->all_points));
        json_array_append(list, entry);
        json_object_set_new(o, "Count", json_integer(1));
        json_object_set(o, "TlmMnemonics", list);
        char *text = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
        bad = !text || edb__buf_append(out, text, strlen(text)) != 0;
        free(text);
    }
    json_decref(entry);
    json_decref(list);
    json_decref(o);
    return bad ? -1 : 0;
}
