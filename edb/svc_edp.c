/* svc_edp.c: MAST's EDP API, JWST's announced successor to path A, as romancal's
 * engdb_mast.py speaks it for Roman (edb-protocol section 3a).
 *
 *   GET {base}/edp/api/v0.1/mnemonics/spa/MISSION/data?mnemonic=M&s_time=T&e_time=T
 *   GET {base}/edp/api/v0.1/mnemonics/spa/MISSION/metadata?mnemonic=M
 *   Authorization: token T
 *
 * Times are %Y-%m-%dT%H:%M:%S, whole seconds.  The mission segment is configurable (JWST's
 * is not published yet: jwst is our assumption), and romancal's ENG_DATA_URI and
 * ENG_META_URI, when the CLI passes them, replace the data and metadata paths after the
 * base URL.  A base URL is this service when GET {base}/edp/ answers 200, the check
 * romancal makes. */
#include <stdio.h>
#include <string.h>


#include "service.h"

static edb_status edp_path(const edb__svc_conf *c, const char *kind, const char *override,
                           edb__buf *out, edb_err *err)
{
    int bad;
    if (override) {
        while (*override == '/')
            override++;
        bad = edb__buf_printf(out, "%.*s/%s", (int)edb__base_len(c->base_url), c->base_url,
                              override);
    } else {
        bad = edb__buf_printf(out, "%.*s/edp/api/v0.1/mnemonics/spa/%s/%s",
                              (int)edb__base_len(c->base_url), c->base_url,
                              c->edp_mission ? c->edp_mission : "jwst", kind);
    }
    return bad ? edb__fail(err, EDB_ERR_NOMEM, "out of memory") : EDB_OK;
}

static edb_status edp_data_url(const edb__svc_conf *c, const char *mnemonic, edb_time lo,
                               edb_time hi, edb__buf *out, edb_err *err)
{
    char a[EDB_TIME_STRLEN], b[EDB_TIME_STRLEN];
    edb_time_format_iso(lo, a, sizeof a); /* 2021-01-26T02:30:00.000: the seconds are whole */
    edb_time_format_iso(hi, b, sizeof b);
    edb_status st = edp_path(c, "data", c->data_path, out, err);
    if (st == EDB_OK && edb__buf_printf(out, "?mnemonic=%s&s_time=%.19s&e_time=%.19s", mnemonic,
                                        a, b) != 0)
        st = edb__fail(err, EDB_ERR_NOMEM, "out of memory");
    return st;
}

static edb_status edp_meta_url(const edb__svc_conf *c, const char *mnemonic, edb__buf *out,
                               edb_err *err)
{
    edb_status st = edp_path(c, "metadata", c->meta_path, out, err);
    if (st == EDB_OK && edb__buf_printf(out, "?mnemonic=%s", mnemonic) != 0)
        st = edb__fail(err, EDB_ERR_NOMEM, "out of memory");
    return st;
}

static edb_status edp_probe_url(const edb__svc_conf *c, edb__buf *out, edb_err *err)
{
    if (edb__buf_printf(out, "%.*s/edp/", (int)edb__base_len(c->base_url), c->base_url) != 0)
        return edb__fail(err, EDB_ERR_NOMEM, "out of memory");
    return EDB_OK;
}

static int edp_reply_format(const edb_series *s, edb_time lo, edb_time hi, edb__buf *out)
{
    return edb__reply_format(EDB__REPLY_EDP_JSON, s, lo, hi, out);
}

const edb__service edb__svc_edp = {
    .name = "edp",
    .label = "EDP",
    .decoder = "json",
    .reply_ext = ".edp.json",
    .sends_token = 1,
    .data_url = edp_data_url,
    .meta_url = edp_meta_url,
    .probe_url = edp_probe_url,
    .meta_parse = edb__tlm_meta_parse,
    .meta_format = edb__tlm_meta_format,
    .reply_format = edp_reply_format,
    .inventory_url = edb__edp_inventory_url,
    .inventory_portal = 0,
};
