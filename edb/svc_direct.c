/* svc_direct.c: the direct DMS service (path B), as jwst's EngdbDirect speaks it
 * (edb-protocol section 3).
 *
 *   GET {base}/Data/MNEMONIC?sTime=YYYY-MM-DD HH:MM:SS.000&eTime=...   (JSON, /Date(ms)/)
 *   GET {base}/MetaData/TlmMnemonics/MNEMONIC                          (a substring match)
 *
 * The operations service takes no token; the times are sent as astropy's iso format, which
 * is what jwst sends, with whole seconds (the plan floors and ceils them; the decoder cuts
 * the reply back to the exact range).  A base URL is this service when its metadata list
 * answers 200, the check jwst makes. */
#include <stdio.h>
#include <string.h>

#include "service.h"

/* 2021-01-26%2002:30:00.000: astropy's iso, the space encoded for the URL. */
static void iso_space(edb_time t, char *out, size_t n)
{
    char iso[EDB_TIME_STRLEN];
    edb_time_format_iso(t, iso, sizeof iso); /* 2021-01-26T02:30:00.000 */
    snprintf(out, n, "%.10s%%20%s", iso, iso + 11);
}

static edb_status direct_data_url(const edb__svc_conf *c, const char *mnemonic, edb_time lo,
                                  edb_time hi, edb__buf *out, edb_err *err)
{
    char a[EDB_TIME_STRLEN + 4], b[EDB_TIME_STRLEN + 4];
    iso_space(lo, a, sizeof a);
    iso_space(hi, b, sizeof b);
    if (edb__buf_printf(out, "%.*s/Data/%s?sTime=%s&eTime=%s", (int)edb__base_len(c->base_url),
                        c->base_url, mnemonic, a, b) != 0)
        return edb__fail(err, EDB_ERR_NOMEM, "out of memory");
    return EDB_OK;
}

static edb_status direct_meta_url(const edb__svc_conf *c, const char *mnemonic, edb__buf *out,
                                  edb_err *err)
{
    if (edb__buf_printf(out, "%.*s/MetaData/TlmMnemonics/%s", (int)edb__base_len(c->base_url),
                        c->base_url, mnemonic) != 0)
        return edb__fail(err, EDB_ERR_NOMEM, "out of memory");
    return EDB_OK;
}

static edb_status direct_probe_url(const edb__svc_conf *c, edb__buf *out, edb_err *err)
{
    /* jwst asks for the whole list; one name (the one jwst's own aliveness query names)
     * proves the same at a fraction of the bytes. */
    if (edb__buf_printf(out, "%.*s/MetaData/TlmMnemonics/SA_ZATTEST2", (int)edb__base_len(c->base_url),
                        c->base_url) != 0)
        return edb__fail(err, EDB_ERR_NOMEM, "out of memory");
    return EDB_OK;
}

static int direct_reply_format(const edb_series *s, edb_time lo, edb_time hi, edb__buf *out)
{
    return edb__reply_format(EDB__REPLY_DIRECT_JSON, s, lo, hi, out);
}

const edb__service edb__svc_direct = {
    .name = "direct",
    .label = "direct (path B)",
    .decoder = "json",
    .reply_ext = ".direct.json",
    .sends_token = 0,
    .data_url = direct_data_url,
    .meta_url = direct_meta_url,
    .probe_url = direct_probe_url,
    .meta_parse = edb__tlm_meta_parse,
    .meta_format = edb__tlm_meta_format,
    .reply_format = direct_reply_format,
    .inventory_url = edb__direct_inventory_url,
    .inventory_portal = 0,
};
