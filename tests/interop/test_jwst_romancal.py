"""jwst's EngDB clients and romancal's EDP client, unmodified, against `edbx serve`.

Neither package is a Debian package (and PyPI may be out of reach), so their EngDB modules
are kept, byte for byte as released, in tests/interop/clients/ (BSD-3-Clause, AURA; the
commits they come from are in its README).  Point the test at other checkouts (clones) of
theirs, for example to try a newer release, with

    EDBX_JWST_SRC=/path/to/jwst        (holds jwst/lib/engdb_direct.py)
    EDBX_ROMANCAL_SRC=/path/to/romancal (holds romancal/lib/engdb/engdb_mast.py)

Only their EngDB modules are imported, straight from those files, under empty stand-ins for
the packages (the packages' own __init__ asks for an installed distribution); they need
python3-requests, python3-astropy and python3-numpy.

  jwst    EngdbDirect (path B) at the server's direct path; ENGDB_Service choosing it there
          and EngdbMast (path A) at the server's root; values, brackets, metadata.
  romancal EngdbMast (the EDP API) with the JWST data and metadata paths (ENG_DATA_URI,
          ENG_META_URI) and a token; its aliveness probe; values, brackets, metadata.
Expected values come from the fixture files themselves."""
import importlib
import os
import sys
import types

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from serve_helper import Server, bounded, fixture_samples, skip  # noqa: E402

clients = os.path.join(os.path.dirname(os.path.abspath(__file__)), "clients")
jwst_src = os.environ.get("EDBX_JWST_SRC") or os.path.join(clients, "jwst")
roman_src = os.environ.get("EDBX_ROMANCAL_SRC") or os.path.join(clients, "romancal")
try:
    import numpy  # noqa: F401
    import requests  # noqa: F401
    from astropy.time import Time
except ImportError as e:  # pragma: no cover
    skip("%s (install python3-requests python3-astropy python3-numpy: scripts/bootstrap)" % e)

bounded(240)
failures = []
ran = []


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL:", what)


def stand_in(name, path):
    """An empty package `name` whose modules are found in `path`."""
    mod = types.ModuleType(name)
    mod.__path__ = [path]
    sys.modules[name] = mod
    return mod


def load(src, package_dirs, module):
    for name, rel in package_dirs:
        if not os.path.isdir(os.path.join(src, rel)):
            skip("%s has no %s/: not a checkout of the right repository" % (src, rel))
        stand_in(name, os.path.join(src, rel))
    return importlib.import_module(module)


# What the fixture holds (02:29:02.147 is SA_ZATTEST1's first sample).
A, B = "2021-01-26T02:29:02", "2021-01-26T02:29:03"
A_MS, B_MS = 1611628142000, 1611628143000
samples = fixture_samples("SA_ZATTEST1")
inside = [v for ms, v in samples if A_MS <= ms <= B_MS]
# the bracket rule: plus the first sample after (there is none before)
bracketed = inside + [next(v for ms, v in samples if ms > B_MS)]
check(len(inside) == 4, "the fixture changed: %d samples inside" % len(inside))
ints = [v for ms, v in fixture_samples("SA_ZFGDETID") if A_MS <= ms <= A_MS + 60000]

if jwst_src:
    direct = load(jwst_src, [("jwst", "jwst"), ("jwst.lib", "jwst/lib")], "jwst.lib.engdb_direct")
    tools = importlib.import_module("jwst.lib.engdb_tools")
    mast = importlib.import_module("jwst.lib.engdb_mast")
    with Server() as base:
        b_url = base + "JWDMSEngFqAcc/TlmMnemonicDataSrv.svc/"
        edb = direct.EngdbDirect(base_url=b_url)  # probes MetaData/TlmMnemonics/
        got = edb.get_values("SA_ZATTEST1", A, B)
        check(got == inside, "EngdbDirect values %r, want %r" % (got, inside))
        got = edb.get_values("sa_zattest1", A, B, include_bracket_values=True)
        check(got == bracketed, "EngdbDirect with brackets %r" % got)
        got = edb.get_values("SA_ZATTEST1", A, B, include_obstime=True)
        check([g.obstime.isot for g in got] ==
              ["2021-01-26T02:29:02.147", "2021-01-26T02:29:02.403", "2021-01-26T02:29:02.659",
               "2021-01-26T02:29:02.915"], "EngdbDirect times %r" % [g.obstime.isot for g in got])
        got = edb.get_values("SA_ZFGDETID", A, "2021-01-26T02:30:02")
        check(got == ints and all(isinstance(v, int) for v in got), "integers %r" % got)
        meta = edb.get_meta("zattest")
        check(meta["Count"] == 4 and [m["TlmMnemonic"] for m in meta["TlmMnemonics"]] ==
              ["SA_ZATTEST1", "SA_ZATTEST2", "SA_ZATTEST3", "SA_ZATTEST4"], "get_meta %r" % meta)
        check(meta["TlmMnemonics"][0]["AllPoints"] == 1, "AllPoints %r" % meta["TlmMnemonics"][0])
        # jwst picks its client by probing: at the direct path, EngdbMast's api/ is absent,
        # so ENGDB_Service falls through to EngdbDirect, as jwql relies on for get_meta
        svc = tools.ENGDB_Service(base_url=b_url)
        check(type(svc).__name__ == "EngdbDirect", "ENGDB_Service at the direct path: %r" % svc)
        check(svc.get_values("SA_ZATTEST1", A, B) == inside, "ENGDB_Service values")
        # at the root it is path A, with jwst's MAST client
        os.environ["MAST_API_TOKEN"] = "any"
        svc = tools.ENGDB_Service(base_url=base)
        check(isinstance(svc, mast.EngdbMast), "ENGDB_Service at the root: %r" % svc)
        got = list(svc.get_values("SA_ZATTEST1", A, B))
        check([float(v) for v in got] == inside, "EngdbMast values %r" % got)
        try:
            edb.get_values("SA_ZNOSUCH1", A, B)
            check(False, "an unknown mnemonic did not raise")
        except requests.exceptions.HTTPError as e:
            check(e.response.status_code == 404, "unknown mnemonic: %s" % e)
    ran.append("jwst EngdbDirect, ENGDB_Service, EngdbMast")

if roman_src:
    rmast = load(roman_src, [("romancal", "romancal"), ("romancal.lib", "romancal/lib"),
                             ("romancal.lib.engdb", "romancal/lib/engdb")],
                 "romancal.lib.engdb.engdb_mast")
    os.environ["ENG_DATA_URI"] = "edp/api/v0.1/mnemonics/spa/jwst/data"
    os.environ["ENG_META_URI"] = "edp/api/v0.1/mnemonics/spa/jwst/metadata"
    os.environ.pop("MAST_AUTH_TOKEN", None)
    with Server("--token", "edp-t0ken") as base:
        # without the token the aliveness probe (metadata?mnemonic=engdb_mastaliveness) fails
        try:
            rmast.EngdbMast(eng_base_url=base, token="wrong")
            check(False, "a wrong token passed the aliveness probe")
        except RuntimeError:
            pass
        edb = rmast.EngdbMast(eng_base_url=base, token="edp-t0ken")
        got = edb.get_values("sa_zattest1", A, B)
        check([float(v) for v in got] == inside, "romancal values %r, want %r" % (got, inside))
        got = edb.get_values("SA_ZATTEST1", A, B, include_bracket_values=True)
        check([float(v) for v in got] == bracketed, "romancal with brackets %r" % got)
        got = edb.get_values("SA_ZATTEST1", A, B, include_obstime=True, zip_results=False)
        check(abs(got.obstime[0].mjd - Time("2021-01-26T02:29:02.147").mjd) < 1e-9,
              "romancal first time %s" % got.obstime[0].isot)
        got = edb.get_values("SA_ZFGDETID", A, "2021-01-26T02:30:02")
        check([int(v) for v in got] == ints, "romancal integers %r" % got)
        meta = edb.get_meta(search="zattest")
        check(meta["Count"] == 4 and len(meta["TlmMnemonics"]) == 4, "romancal get_meta %r" % meta)
        meta = edb.get_meta()
        check(meta["Count"] == 2449, "romancal get_meta() counts %d" % meta["Count"])
        # an empty range far from the data: the brackets only, dropped by the client
        check(list(edb.get_values("SA_ZATTEST1", "2020-01-01T00:00:00", "2020-01-01T00:00:01")) == [],
              "an empty range gave values")
        try:
            edb.get_values("SA_ZNOSUCH1", A, B)
            check(False, "an unknown mnemonic did not raise")
        except requests.exceptions.HTTPError as e:
            check(e.response.status_code == 404, "unknown mnemonic: %s" % e)
    ran.append("romancal EngdbMast (EDP, JWST paths, token)")

if failures:
    print("%d failure(s)" % len(failures))
    sys.exit(1)
print("ok: " + "; ".join(ran) + " (from %s and %s)" % (jwst_src, roman_src))
