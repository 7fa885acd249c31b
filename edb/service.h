/* service.h: the services edbx speaks, each one file behind one table (never installed).
 *
 *   svc_mast.c    "mast"    MAST path A: GET api/v0.1/Download/file?uri=mast:jwstedb/...csv
 *   svc_direct.c  "direct"  the direct DMS service (path B): GET Data/NAME?sTime=&eTime=
 *   svc_edp.c     "edp"     MAST's EDP API: GET edp/api/v0.1/mnemonics/spa/MISSION/data?...
 *
 * A service knows how to name a request (URLs, the name its reply is saved under), how to
 * check that a base URL answers as it, which decoder reads its data replies, and, when it
 * has one, how to ask and read its metadata for one mnemonic.  It knows nothing of HTTP
 * transfers, retries, caches or files: the transfer engine (client.c) does that.  Adding
 * a service is one file and one entry in service.c. */
#ifndef EDB_SERVICE_H
#define EDB_SERVICE_H

#include <stddef.h>

#include <edb/client.h>
#include <edb/meta.h>
#include <edb/series.h>
#include <edb/time.h>

#include "internal.h"

/* How a service is reached: the base URL and the service's own settings (copied from the
 * client's options, strings owned by the client). */
typedef struct edb__svc_conf {
    const char *base_url;    /* scheme://host[:port][/prefix], no trailing slash */
    const char *edp_mission; /* EDP: the mission path segment ("jwst") */
    const char *data_path;   /* EDP: replaces the data path after the base URL, or NULL */
    const char *meta_path;   /* EDP: replaces the metadata path after the base URL, or NULL */
} edb__svc_conf;

typedef struct edb__service {
    const char *name;     /* "mast", "direct", "edp": --api, caches, bundles */
    const char *label;    /* for messages: "MAST path A" */
    const char *decoder;  /* the decoder of its data replies (edb/decoder.h) */
    const char *reply_ext;/* the end of its saved data replies' names: ".csv", ".direct.json" */
    int sends_token;      /* 1: the token goes in "Authorization: token T" */
    /* The URL of a data request for mnemonic over the whole-second range [lo, hi]. */
    edb_status (*data_url)(const edb__svc_conf *c, const char *mnemonic, edb_time lo,
                           edb_time hi, edb__buf *out, edb_err *err);
    /* The URL of a metadata request for one mnemonic, or NULL when the service has no
     * metadata (path A). */
    edb_status (*meta_url)(const edb__svc_conf *c, const char *mnemonic, edb__buf *out,
                           edb_err *err);
    /* The URL that tells whether the base URL is this service (GET, 200 expected), and
     * what to tell a user when it is not. */
    edb_status (*probe_url)(const edb__svc_conf *c, edb__buf *out, edb_err *err);
    /* What a metadata reply (whole, at most EDB__META_REPLY_MAX bytes) says of mnemonic:
     * 1 with *out filled (strings borrowed from *keep, freed by the caller with
     * json_decref-like edb__meta_reply_free), 0 when the reply does not list it, -1 with
     * err set when the reply is malformed. */
    int (*meta_parse)(const char *body, size_t len, const char *mnemonic, edb_meta_entry *out,
                      void **keep, edb_err *err);
    /* The metadata reply the service would send for e (a local source answered it), for a
     * bundle to record.  NULL for services without metadata. */
    int (*meta_format)(const edb_meta_entry *e, edb__buf *out);
    /* The data reply the service would send for s over [lo, hi] (a local source answered
     * with samples), for a bundle to record: edb__reply_format with the service's kind. */
    int (*reply_format)(const edb_series *s, edb_time lo, edb_time hi, edb__buf *out);
    /* The URL that lists every mnemonic the service knows, for discovery (discovery.c),
     * or NULL when it has none.  inventory_portal says how it is asked: 0, GET it and read
     * the metadata document it answers (path B, EDP: every mnemonic, whose one name is
     * asked with meta_url); 1, it is the MAST portal, asked for Mast.JwstEdb.Mnemonics
     * (POST, paged) and for one name Mast.JwstEdb.Dictionary (path A, which has no
     * metadata of its own). */
    edb_status (*inventory_url)(const edb__svc_conf *c, edb__buf *out, edb_err *err);
    int inventory_portal;
} edb__service;

#define EDB__META_REPLY_MAX ((size_t)16 << 20)

extern const edb__service edb__svc_mast;
extern const edb__service edb__svc_direct;
extern const edb__service edb__svc_edp;

/* By name ("mast", "direct", "edp"), or NULL; and all of them, in the table's order. */
const edb__service *edb__service_find(const char *name);
size_t edb__service_count(void);
const edb__service *edb__service_at(size_t i);

/* The name a reply is saved under in stores, caches and bundles:
 *   data:  MNEMONIC-YYYYmmddTHHMMSS-YYYYmmddTHHMMSS.csv          (path A, as its uri)
 *          MNEMONIC-YYYYmmddTHHMMSS-YYYYmmddTHHMMSS.direct.json  (path B)
 *          MNEMONIC-YYYYmmddTHHMMSS-YYYYmmddTHHMMSS.edp.json     (EDP)
 *   meta:  MNEMONIC.direct-meta.json, MNEMONIC.edp-meta.json
 * so that a reply of one service is never taken for another's. */
void edb__reply_name(const edb__service *svc, edb_request_kind kind, const char *mnemonic,
                     edb_time lo, edb_time hi, char *out, size_t n);
/* The other way: what a saved name answers.  0 and the fields filled, or -1 when name is
 * not one. */
int edb__reply_name_parse(const char *name, const edb__service **svc, edb_request_kind *kind,
                          char *mnemonic, edb_time *lo, edb_time *hi);

/* Path B and EDP metadata documents: {"Count":n,"TlmMnemonics":[{TlmMnemonic, Subsystem,
 * RawType, EUType, SQLType, AllPoints}]} (shared by svc_direct.c and svc_edp.c). */
int edb__tlm_meta_parse(const char *body, size_t len, const char *mnemonic,
                        edb_meta_entry *out, void **keep, edb_err *err);
int edb__tlm_meta_format(const edb_meta_entry *e, edb__buf *out);
void edb__meta_keep_free(void *keep);

/* The inventory URLs (svc_meta.c), for the table's inventory_url:
 *   edb__direct_inventory_url  GET {base}/MetaData/TlmMnemonics/ (an empty search)
 *   edb__edp_inventory_url     GET {base}/edp/api/v0.1/mnemonics/spa/MISSION/metadata, no
 *                              mnemonic= (or {base}/META_PATH, romancal's ENG_META_URI)
 *   edb__portal_inventory_url  POST {base}/api/v0/invoke, the MAST portal (path A) */
edb_status edb__direct_inventory_url(const edb__svc_conf *c, edb__buf *out, edb_err *err);
edb_status edb__edp_inventory_url(const edb__svc_conf *c, edb__buf *out, edb_err *err);
edb_status edb__portal_inventory_url(const edb__svc_conf *c, edb__buf *out, edb_err *err);

/* "http://host/x/" -> "http://host/x": base URLs are stored without trailing slashes and
 * services add "/path". */
size_t edb__base_len(const char *base_url);

#endif
