/* svc_meta.c: where each service lists every mnemonic it knows (its inventory), for
 * discovery (discovery.c); the service table names them (service.h, inventory_url).
 *
 *   path B  GET {base}/MetaData/TlmMnemonics/            the metadata search with an empty
 *                                                        substring: every mnemonic
 *   EDP     GET {base}/edp/api/v0.1/mnemonics/spa/MISSION/metadata   no mnemonic= (romancal:
 *                                                        "no parameter: everything"); or
 *                                                        {base}/META_PATH (ENG_META_URI)
 *   path A  none of its own: the MAST portal's Mast.JwstEdb.Mnemonics, POST
 *           {base}/api/v0/invoke (portal.c)
 *
 * Path B and EDP answer with their metadata document ({"Count":n,"TlmMnemonics":[...]}),
 * which edb_meta_load_buffer reads as it reads a meta.json. */
#include "service.h"

static edb_status url_fail(edb_err *err)
{
    return edb__fail(err, EDB_ERR_NOMEM, "out of memory");
}

edb_status edb__direct_inventory_url(const edb__svc_conf *c, edb__buf *out, edb_err *err)
{
    if (edb__buf_printf(out, "%.*s/MetaData/TlmMnemonics/", (int)edb__base_len(c->base_url),
                        c->base_url) != 0)
        return url_fail(err);
    return EDB_OK;
}

edb_status edb__edp_inventory_url(const edb__svc_conf *c, edb__buf *out, edb_err *err)
{
    int bad;
    if (c->meta_path && *c->meta_path) {
        /* romancal's ENG_META_URI: a path after the base URL, leading slashes or not. */
        const char *p = c->meta_path;
        while (*p == '/')
            p++;
        bad = edb__buf_printf(out, "%.*s/%s", (int)edb__base_len(c->base_url), c->base_url,
                              p) != 0;
    } else {
        bad = edb__buf_printf(out, "%.*s/edp/api/v0.1/mnemonics/spa/%s/metadata",
                              (int)edb__base_len(c->base_url), c->base_url,
                              c->edp_mission && *c->edp_mission ? c->edp_mission : "jwst") != 0;
    }
    return bad ? url_fail(err) : EDB_OK;
}

edb_status edb__portal_inventory_url(const edb__svc_conf *c, edb__buf *out, edb_err *err)
{
    if (edb__buf_printf(out, "%.*s/api/v0/invoke", (int)edb__base_len(c->base_url),
                        c->base_url) != 0)
        return url_fail(err);
    return EDB_OK;
}
