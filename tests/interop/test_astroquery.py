"""astroquery's MAST portal client, unmodified, against `edbx serve`'s portal services.

The calls are the ones jwql makes (jwql/edb/engineering_database.py): service_request_async
for Mast.JwstEdb.Mnemonics with {} and for Mast.JwstEdb.Dictionary with {"mnemonic": NAME},
reading response[0].json(); and Mast.service_request, which polls while the status is
EXECUTING and pages through paging.pagesFiltered.  astroquery is pointed at the server the
way jwql points it at a test portal: by setting the portal connection's URLs.

Exit 0: passed; 77: astroquery missing (skipped); 1: failed."""
import os
import sys
import warnings

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from serve_helper import Server, bounded, fixture, skip  # noqa: E402

try:
    import requests
    from astropy.table import Table
    from astroquery.exceptions import RemoteServiceError
    from astroquery.mast import Mast
except ImportError as e:  # pragma: no cover
    skip("%s (install python3-astroquery: scripts/bootstrap)" % e)

warnings.simplefilter("ignore")  # astroquery's deprecation chatter
bounded(240)
failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL:", what)


def point_at(base):
    portal = Mast._portal_api_connection
    portal.MAST_REQUEST_URL = base + "api/v0/invoke"
    portal.COLUMNS_CONFIG_URL = base + "portal/Mashup/Mashup.asmx/columnsconfig"
    portal._column_configs.clear()


# The inventory as the server should give it: meta.json's names and the excerpt's, which
# adds one (IFGS_TFG_BADCNTCNT); the excerpt's row of IFGS_CTD_AMPLITUDE read by hand.
with open(fixture("mast-inventory-excerpt.csv")) as f:
    excerpt = [line.rstrip("\n").split(",") for line in f][1:]
import json  # noqa: E402
with open(fixture("jwst-2021-01-26/meta.json")) as f:
    meta_names = {m["TlmMnemonic"] for m in json.load(f)["TlmMnemonics"]}
names = sorted(meta_names | {row[4] for row in excerpt})
ids = {row[4]: int(row[3]) for row in excerpt}
check(len(names) == 2450, "2450 names expected, the fixtures give %d" % len(names))

server = Server("--inventory", fixture("mast-inventory-excerpt.csv"), "--portal-executing", "2")
with server as base:
    point_at(base)

    # jwql's mnemonic_inventory(): one call, the first response, a Table of its data
    out = Mast.service_request_async("Mast.JwstEdb.Mnemonics", {})
    result = out[0].json()
    check(result["status"] == "COMPLETE", "inventory status %r" % result["status"])
    data = Table(result["data"])
    check(len(data) == 2450, "inventory rows: %d" % len(data))
    check(list(data["tlmMnemonic"]) == names, "inventory names differ from the fixtures'")
    data["tlmIdentifier"] = data["tlmIdentifier"].astype(str)  # as jwql does

    # jwql's query_mnemonic_info(): the Dictionary's one row
    out = Mast.service_request_async("Mast.JwstEdb.Dictionary", {"mnemonic": "IFGS_CTD_AMPLITUDE"})
    info = out[0].json()["data"][0]
    want = {"tlmMnemonic": "IFGS_CTD_AMPLITUDE", "tlmIdentifier": 300306,
            "description": "FGS Centroid Data Telemetry Guide Star intensity",
            "sqlDataType": "real", "subsystem": "FGS", "unit": "count/s", "longDescription": None}
    check(info == want, "Dictionary row %r" % info)

    # Mast.service_request: a Table, whole, and paged (astroquery fetches every page)
    whole = Mast.service_request("Mast.JwstEdb.Mnemonics", {})
    check(len(whole) == 2450, "service_request rows: %d" % len(whole))
    paged = Mast.service_request("Mast.JwstEdb.Mnemonics", {}, pagesize=1000)
    check(len(paged) == 2450, "paged rows: %d" % len(paged))
    check(list(paged["tlmMnemonic"]) == names, "paged names differ")
    row = paged[list(paged["tlmMnemonic"]).index("IFGS_CTDGS_X")]
    check(row["unit"] == "asec" and row["tlmIdentifier"] == ids["IFGS_CTDGS_X"]
      and row["sqlDataType"] == "real",
          "IFGS_CTDGS_X row %r" % (row,))
    # the identifier a meta.json-only name lacks is masked, not invented
    row = paged[list(paged["tlmMnemonic"]).index("SA_ZATTEST1")]
    check(bool(paged["tlmIdentifier"].mask[list(paged["tlmMnemonic"]).index("SA_ZATTEST1")]),
          "SA_ZATTEST1's unknown tlmIdentifier is not masked: %r" % (row,))
    # one page only
    out = Mast.service_request_async("Mast.JwstEdb.Mnemonics", {}, pagesize=1000, page=3)
    check(len(out) == 1, "page=3 gave %d responses" % len(out))
    page3 = out[0].json()
    check(len(page3["data"]) == 450 and page3["paging"]["page"] == 3
          and page3["paging"]["pagesFiltered"] == 3, "page 3: %r" % page3["paging"])
    check([r["tlmMnemonic"] for r in page3["data"]] == names[2000:], "page 3 names differ")

    # a portal ERROR becomes astroquery's RemoteServiceError with the server's message
    try:
        Mast.service_request("Mast.JwstEdb.NoSuchService", {})
        check(False, "an unknown service did not raise")
    except RemoteServiceError as e:
        check("unknown service 'Mast.JwstEdb.NoSuchService'" in str(e), "ERROR message: %s" % e)
server_log = server.stderr
# every distinct request (each page, each call) was answered EXECUTING twice, then polled
executing = server_log.count(" EXECUTING] -> 200")
complete = sum(1 for line in server_log.splitlines()
               if "/api/v0/invoke [Mast.JwstEdb." in line and " page " in line)
# 7 results: the inventory (1 page), the Dictionary, service_request whole (1) and paged
# (3 pages), page 3 alone
check(complete == 7 and executing == 2 * complete,
      "%d results after %d EXECUTING (7 and 14 expected)" % (complete, executing))
check(server_log.count("POST /portal/Mashup/Mashup.asmx/columnsconfig -> 200") >= 1,
      "astroquery never asked columnsconfig")

# A token: astroquery's login keeps it in the cookie mast_token, which the portal takes.
server = Server("--token", "t0ken-for-astroquery")
with server as base:
    point_at(base)
    try:
        Mast.service_request("Mast.JwstEdb.Dictionary", {"mnemonic": "SA_ZATTEST1"})
        check(False, "no token, yet served")
    except requests.exceptions.HTTPError as e:
        check(e.response.status_code == 401, "no token: %s" % e)
    Mast._session.cookies["mast_token"] = "t0ken-for-astroquery"  # what Mast.login() sets
    t = Mast.service_request("Mast.JwstEdb.Dictionary", {"mnemonic": "SA_ZATTEST1"})
    check(len(t) == 1 and t["subsystem"][0] == "ACS", "with the token: %r" % (t,))
    Mast._session.cookies.clear()
check("t0ken-for-astroquery" not in server.stderr, "the token reached the server's log")

if failures:
    print("%d failure(s)" % len(failures))
    sys.exit(1)
print("astroquery %s: portal services, paging, EXECUTING, ERROR and the token cookie: ok"
      % __import__("astroquery").__version__)
