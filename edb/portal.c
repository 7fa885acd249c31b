/* portal.c: the MAST portal's mnemonic services (edb-protocol section 4), as a client.
 *
 *   POST {base}/api/v0/invoke
 *   Content-Type: application/x-www-form-urlencoded
 *   request=<URL-encoded {"service": S, "params": {...}, "format": "json", "pagesize": N,
 *            "page": K}>
 *
 * answered with an envelope {"status", "msg", "data", "fields", "paging"}.  A request may
 * first be answered EXECUTING: the portal keeps working on it, and the same request asked
 * again gets the result once it is there (astroquery asks again at once; edbx waits 0.25
 * s, then twice as long each time up to 4 s, and gives up after EDB_PORTAL_POLLS_MAX polls
 * or EDB_PORTAL_WAIT_MAX_US in all).  A COMPLETE result comes in pages of `pagesize` rows:
 * paging.pagesFiltered says how many, and each is asked in turn (at most
 * EDB_PORTAL_PAGES_MAX).  ERROR carries the portal's reason in msg.
 *
 * The token goes as "Authorization: token T", which the MAST API takes on every route
 * (astroquery's login sets the cookie mast_token instead; edbx serve accepts both).  Every
 * reply is hostile until decoded: edb__portal_decode checks each member's type and never
 * trusts a count it is given, and has a fuzz target (tests/fuzz/fuzz_portal.c). */
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>
#include <jansson.h>

#include <edb/discovery.h>

#include "discovery_internal.h"

/* ---- the envelope ---------------------------------------------------------------------- */

static int fail_why(char *why, size_t whylen, const char *fmt, ...) EDB__PRINTF(3, 4);
static int fail_why(char *why, size_t whylen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, whylen, fmt, ap);
    va_end(ap);
    return -1;
}

/* A paging member: a whole number from 0, or absent/null (-1).  -1 when it is something
 * else. */
static int paging_int(json_t *paging, const char *key, int64_t *out)
{
    json_t *v = json_object_get(paging, key);
    *out = -1;
    if (!v || json_is_null(v))
        return 0;
    if (!json_is_integer(v) || json_integer_value(v) < 0)
        return -1;
    *out = (int64_t)json_integer_value(v);
    return 0;
}

/* The string fields of a row, and where each goes. */
typedef struct row_field {
    const char *key;
    size_t off; /* of the const char * in edb_meta_entry */
} row_field;

static const row_field ROW_STR[] = {
    {"description", offsetof(edb_meta_entry, description)},
    {"sqlDataType", offsetof(edb_meta_entry, sqltype)},
    {"subsystem", offsetof(edb_meta_entry, subsystem)},
    {"unit", offsetof(edb_meta_entry, unit)},
    {"longDescription", offsetof(edb_meta_entry, long_description)},
};

int edb__portal_decode(const char *body, size_t len, edb__portal_envelope *out, edb_meta *into,
                       char *why, size_t whylen)
{
    memset(out, 0, sizeof *out);
    out->page = out->page_size = out->pages_filtered = -1;
    out->rows = out->rows_filtered = out->rows_total = -1;
    if (!body || len == 0)
        return fail_why(why, whylen, "the reply is empty (a JSON object expected)");
    json_error_t je;
    json_t *root = json_loadb(body, len, JSON_REJECT_DUPLICATES, &je);
    if (!root)
        return fail_why(why, whylen, "the reply is not JSON: %.200s (line %d, column %d)",
                        je.text, je.line, je.column);
    int rc = -1;
    edb_meta_entry *rows = NULL;
    if (!json_is_object(root)) {
        fail_why(why, whylen, "the reply is not a JSON object");
        goto done;
    }
    json_t *status = json_object_get(root, "status");
    if (!json_is_string(status)) {
        fail_why(why, whylen, "the reply has no status (COMPLETE, EXECUTING or ERROR)");
        goto done;
    }
    const char *sv = json_string_value(status);
    char shown[80];
    if (strcmp(sv, "COMPLETE") == 0)
        out->status = EDB__PORTAL_COMPLETE;
    else if (strcmp(sv, "EXECUTING") == 0)
        out->status = EDB__PORTAL_EXECUTING;
    else if (strcmp(sv, "ERROR") == 0)
        out->status = EDB__PORTAL_ERROR;
    else {
        fail_why(why, whylen, "the reply's status is '%s' (COMPLETE, EXECUTING or ERROR "
                 "expected)", edb__excerpt(sv, json_string_length(status), 40, shown,
                                           sizeof shown));
        goto done;
    }
    json_t *msg = json_object_get(root, "msg");
    if (json_is_string(msg))
        edb__excerpt(json_string_value(msg), json_string_length(msg), 400, out->msg,
                     sizeof out->msg);
    else if (msg && !json_is_null(msg)) {
        fail_why(why, whylen, "the reply's msg is not a string");
        goto done;
    }
    json_t *paging = json_object_get(root, "paging");
    if (paging && !json_is_null(paging)) {
        if (!json_is_object(paging) || paging_int(paging, "page", &out->page) ||
            paging_int(paging, "pageSize", &out->page_size) ||
            paging_int(paging, "pagesFiltered", &out->pages_filtered) ||
            paging_int(paging, "rows", &out->rows) ||
            paging_int(paging, "rowsFiltered", &out->rows_filtered) ||
            paging_int(paging, "rowsTotal", &out->rows_total)) {
            fail_why(why, whylen, "the reply's paging is not an object of whole numbers "
                     "(page, pageSize, pagesFiltered, rows, rowsFiltered, rowsTotal)");
            goto done;
        }
    }
    if (out->status != EDB__PORTAL_COMPLETE) {
        rc = 0; /* EXECUTING and ERROR carry no rows worth reading */
        goto done;
    }
    json_t *data = json_object_get(root, "data");
    if (!json_is_array(data)) {
        fail_why(why, whylen, "the COMPLETE reply has no data array");
        goto done;
    }
    size_t n = json_array_size(data);
    rows = calloc(n ? n : 1, sizeof *rows);
    if (!rows) {
        fail_why(why, whylen, "out of memory");
        goto done;
    }
    for (size_t k = 0; k < n; k++) {
        json_t *row = json_array_get(data, k);
        edb_meta_entry e = EDB_META_ENTRY_INIT;
        if (!json_is_object(row)) {
            fail_why(why, whylen, "data[%zu] is not an object", k);
            goto done;
        }
        json_t *name = json_object_get(row, "tlmMnemonic");
        if (!json_is_string(name)) {
            fail_why(why, whylen, "data[%zu] has no tlmMnemonic string", k);
            goto done;
        }
        e.mnemonic = json_string_value(name);
        for (size_t f = 0; f < sizeof ROW_STR / sizeof ROW_STR[0]; f++) {
            json_t *v = json_object_get(row, ROW_STR[f].key);
            if (!v || json_is_null(v))
                continue;
            if (!json_is_string(v)) {
                fail_why(why, whylen, "data[%zu] (%s): %s is not a string", k,
                         edb__excerpt(e.mnemonic, json_string_length(name), 40, shown,
                                      sizeof shown),
                         ROW_STR[f].key);
                goto done;
            }
            *(const char **)((char *)&e + ROW_STR[f].off) = json_string_value(v);
        }
        json_t *id = json_object_get(row, "tlmIdentifier");
        if (json_is_integer(id) && json_integer_value(id) >= 0) {
            e.tlm_identifier = (int64_t)json_integer_value(id);
        } else if (id && !json_is_null(id)) {
            fail_why(why, whylen, "data[%zu] (%s): tlmIdentifier is not a whole number", k,
                     edb__excerpt(e.mnemonic, json_string_length(name), 40, shown,
                                  sizeof shown));
            goto done;
        }
        rows[k] = e;
    }
    out->n_data = n;
    if (into) {
        edb_err aerr = EDB_ERR_INIT;
        if (edb_meta_add_entries(into, rows, n, &out->n_skipped, &aerr) != EDB_OK) {
            fail_why(why, whylen, "%s", aerr.msg);
            goto done;
        }
    } else {
        for (size_t k = 0; k < n; k++) {
            char norm[EDB_MNEMONIC_MAX + 1];
            out->n_skipped += edb_mnemonic_normalize(rows[k].mnemonic, norm, sizeof norm,
                                                     NULL) != EDB_OK;
        }
    }
    rc = 0;
done:
    free(rows);
    json_decref(root);
    return rc;
}

int edb__portal_form(const char *service, const char *mnemonic, int64_t pagesize, int64_t page,
                     edb__buf *out)
{
    json_t *o = json_object();
    json_t *params = json_object();
    int bad = !o || !params;
    if (!bad && mnemonic)
        bad = json_object_set_new(params, "mnemonic", json_string(mnemonic)) != 0;
    if (!bad)
        bad = json_object_set_new(o, "service", json_string(service)) != 0 ||
              json_object_set(o, "params", params) != 0 ||
              json_object_set_new(o, "format", json_string("json")) != 0 ||
              json_object_set_new(o, "pagesize", json_integer((json_int_t)pagesize)) != 0 ||
              json_object_set_new(o, "page", json_integer((json_int_t)page)) != 0;
    char *text = bad ? NULL : json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(params);
    json_decref(o);
    if (!text)
        return -1;
    char *enc = curl_easy_escape(NULL, text, 0);
    free(text);
    if (!enc)
        return -1;
    bad = edb__buf_printf(out, "request=%s", enc) != 0;
    curl_free(enc);
    return bad ? -1 : 0;
}

/* ---- asking ----------------------------------------------------------------------------- */

static int64_t now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void nap(int64_t us)
{
    struct timespec ts = {(time_t)(us / 1000000), (long)(us % 1000000) * 1000};
    nanosleep(&ts, NULL);
}

edb_status edb__portal_call(edb_client *c, const char *url, const char *service,
                            const char *mnemonic, int64_t pagesize, int64_t poll_us,
                            edb_meta *into, edb_err *err)
{
    if (pagesize <= 0)
        pagesize = EDB_PORTAL_PAGESIZE;
    if (poll_us <= 0)
        poll_us = EDB_PORTAL_POLL_US;
    edb_meta *got = NULL;
    if (edb_meta_new(&got) != EDB_OK)
        return edb__fail(err, EDB_ERR_NOMEM, "out of memory");
    edb_status st = EDB_OK;
    int64_t pages = 1, t0 = now_us();
    int polls = 0;
    int64_t wait = poll_us;
    edb__buf form = {0}, reply = {0};
    for (int64_t page = 1; page <= pages && st == EDB_OK;) {
        form.len = 0;
        if (edb__portal_form(service, mnemonic, pagesize, page, &form) != 0) {
            st = edb__fail(err, EDB_ERR_NOMEM, "out of memory");
            break;
        }
        edb__http_req q = {service, "POST", url, "application/x-www-form-urlencoded", form.p,
                           form.len, EDB__PORTAL_REPLY_MAX};
        reply.len = 0;
        long http = 0;
        edb_err herr = EDB_ERR_INIT;
        st = edb__client_http(c, &q, &reply, &http, &herr);
        if (st == EDB_ERR_NOT_FOUND) {
            /* No portal at that address: say so rather than "not found". */
            st = edb__fail(err, EDB_ERR_NETWORK, "%s; %s does not answer as the MAST portal "
                           "(POST api/v0/invoke): check --base-url / ENG_BASE_URL", herr.msg,
                           url);
            break;
        }
        if (st != EDB_OK) {
            edb__fail(err, st, "%s", herr.msg);
            break;
        }
        edb__portal_envelope env;
        char why[400];
        /* Rows go to a table of their own until every page is in: a failure leaves the
         * caller's table as it was. */
        if (edb__portal_decode(reply.p, reply.len, &env, got, why, sizeof why) != 0) {
            st = edb__fail(err, EDB_ERR_DATA, "%s: the MAST portal's reply does not decode: "
                           "%s (POST %s, page %lld)", service, why, url, (long long)page);
            break;
        }
        if (env.status == EDB__PORTAL_ERROR) {
            st = edb__fail(err, EDB_ERR_SERVER, "%s: the MAST portal answered ERROR: %s (POST "
                           "%s)", service, env.msg[0] ? env.msg : "(no message)", url);
            break;
        }
        if (env.status == EDB__PORTAL_EXECUTING) {
            int64_t spent = now_us() - t0;
            if (++polls > EDB_PORTAL_POLLS_MAX || spent + wait > EDB_PORTAL_WAIT_MAX_US) {
                st = edb__fail(err, EDB_ERR_NETWORK, "%s: the MAST portal was still EXECUTING "
                               "the request after %d polls and %.0f s: try again later (POST "
                               "%s)", service, polls, spent / 1e6, url);
                break;
            }
            const volatile int *cancel = edb__client_cancel(c);
            for (int64_t left = wait; left > 0; left -= 50000) {
                if (cancel && *cancel)
                    break;
                nap(left < 50000 ? left : 50000);
            }
            if (cancel && *cancel) {
                st = edb__fail(err, EDB_ERR_INTERRUPTED, "interrupted");
                break;
            }
            wait = wait * 2 > 16 * poll_us ? 16 * poll_us : wait * 2;
            continue; /* the same request again */
        }
        /* COMPLETE: the first page says how many there are. */
        if (page == 1 && env.pages_filtered > 1) {
            if (env.pages_filtered > EDB_PORTAL_PAGES_MAX) {
                st = edb__fail(err, EDB_ERR_DATA, "%s: the MAST portal has %lld pages of %lld "
                               "rows to send, more than edbx reads (%d): refused (POST %s)",
                               service, (long long)env.pages_filtered, (long long)pagesize,
                               EDB_PORTAL_PAGES_MAX, url);
                break;
            }
            pages = env.pages_filtered;
        }
        page++;
        polls = 0;
        wait = poll_us;
    }
    if (st == EDB_OK) {
        /* One source: what the pages said, added to the caller's table at once. */
        size_t n = edb_meta_count(got);
        edb_meta_entry *v = calloc(n ? n : 1, sizeof *v);
        if (!v)
            st = edb__fail(err, EDB_ERR_NOMEM, "out of memory");
        for (size_t k = 0; v && k < n; k++)
            v[k] = *edb_meta_get(got, k);
        if (v && edb_meta_add_entries(into, v, n, NULL, err) != EDB_OK)
            st = EDB_ERR_NOMEM;
        free(v);
    }
    edb__buf_free(&form);
    edb__buf_free(&reply);
    edb_meta_free(got);
    return st;
}
