/* svc_mast.c: MAST path A, the service jwst's EngdbMast speaks (edb-protocol section 2).
 *
 *   GET {base}/api/v0.1/Download/file?uri=mast:jwstedb/MNEMONIC-START-END.csv
 *   Authorization: token T
 *
 * START and END are whole seconds (YYYYmmddTHHMMSS): the plan floors the start and ceils
 * the end, and the decoder cuts the reply back to the exact range.  The uri value is
 * URL-encoded as jwst's requests does.  There is no metadata on path A: discovery asks
 * the MAST portal on the same host (Mast.JwstEdb.Mnemonics, Mast.JwstEdb.Dictionary).  A
 * base URL is this service when GET {base}/api/ answers 200, the check jwst makes. */
#include <stdio.h>
#include <string.h>

#include <curl/curl.h>

#include "service.h"

static edb_status mast_data_url(const edb__svc_conf *c, const char *mnemonic, edb_time lo,
                                edb_time hi, edb__buf *out, edb_err *err)
{
    char s0[EDB_TIME_STRLEN], s1[EDB_TIME_STRLEN], uri[EDB_MNEMONIC_MAX + 80];
    edb_time_format_compact(lo, s0, sizeof s0);
    edb_time_format_compact(hi, s1, sizeof s1);
    snprintf(uri, sizeof uri, "mast:jwstedb/%s-%s-%s.csv", mnemonic, s0, s1);
    char *enc = curl_easy_escape(NULL, uri, 0);
    int bad = !enc || edb__buf_printf(out, "%.*s/api/v0.1/Download/file?uri=%s",
                                      (int)edb__base_len(c->base_url), c->base_url, enc) != 0;
    curl_free(enc);
    return bad ? edb__fail(err, EDB_ERR_NOMEM, "out of memory") : EDB_OK;
}

static edb_status mast_probe_url(const edb__svc_conf *c, edb__buf *out, edb_err *err)
{
    if (edb__buf_printf(out, "%.*s/api/", (int)edb__base_len(c->base_url), c->base_url) != 0)
        return edb__fail(err, EDB_ERR_NOMEM, "out of memory");
    return EDB_OK;
}

static int mast_reply_format(const edb_series *s, edb_time lo, edb_time hi, edb__buf *out)
{
    return edb__reply_format(EDB__REPLY_MAST_CSV, s, lo, hi, out);
}

const edb__service edb__svc_mast = {
    .name = "mast",
    .label = "MAST path A",
    .decoder = "mast-csv",
    .reply_ext = ".csv",
    .sends_token = 1,
    .data_url = mast_data_url,
    .meta_url = NULL,
    .probe_url = mast_probe_url,
    .meta_parse = NULL,
    .meta_format = NULL,
    .reply_format = mast_reply_format,
    /* No metadata of its own: the MAST portal's (Mast.JwstEdb.Mnemonics, .Dictionary). */
    .inventory_url = edb__portal_inventory_url,
    .inventory_portal = 1,
};
