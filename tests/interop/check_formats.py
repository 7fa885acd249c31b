"""Open edbx's outputs with astropy, pandas and h5py as their users do, and check every
value, type, unit and time against the fixture (tests/unit/formats_fixture.h), written out
here again by hand.  Run by test_formats_interop with the folder of files it wrote.

Exit 0: all good; 77: a package is missing (the caller reports a skip); 1: a failure."""
import math
import sys
import warnings

try:
    import numpy as np
    import h5py
    import pandas as pd
    from astropy.table import Table
    from astropy.time import Time
    from astropy.units import UnitsWarning
    from astropy.utils.exceptions import AstropyWarning
except ImportError as e:  # pragma: no cover
    print(f"skipped: {e} (install python3-astropy python3-pandas python3-h5py "
          "python3-tables: scripts/bootstrap)")
    sys.exit(77)

D = sys.argv[1]
# Any unit warning is a failure: units astropy does not know must not be written as units.
warnings.simplefilter("error", UnitsWarning)
warnings.filterwarnings("ignore", message=".*leap-second.*")
warnings.filterwarnings("ignore", category=AstropyWarning, message=".*IERS.*")

T0 = "2021-01-26T02:30:00."
REAL_T = [T0 + "009", T0 + "265", T0 + "521", T0 + "777"]
REAL_V = [-0.209546968, 0.30000000000000004, math.nan, 1e-300]
INT_T = ["2021-01-26T02:30:00.010", "2021-01-26T02:30:01.010", "2021-01-26T02:30:02.010"]
INT_V = [0, -2147483647, 2147483647]
BIG_V = [1099511627777, -9007199254740993]
UTF8 = 'a,b "q" \u00e9\u00fc \u65e5\u672c'
STR_V = ["ON", UTF8, "", "trailing "]
STR_T = [T0 + "109", T0 + "209", T0 + "309", "2021-01-27T02:30:00.009"]
DESC = ("Attitude estimate quaternion element 1 from the ACS, propagated on board at 4 Hz; "
        "this text is longer than one FITS card can hold")
WIDE_T = ["2021-01-26T02:30:00.000", "2021-01-26T02:30:01.000", "2021-01-26T02:30:02.000"]
failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL:", what)


def same(a, b):
    if isinstance(b, float) and math.isnan(b):
        return isinstance(a, (float, np.floating)) and math.isnan(a)
    return a == b


def times(col, want, what):
    check(isinstance(col, Time), f"{what}: not a Time column ({type(col).__name__})")
    if isinstance(col, Time):
        check(col.scale == "utc", f"{what}: scale {col.scale}")
        got = list(col.utc.isot)
        check(got == want, f"{what}: times {got} != {want}")


def text(v):
    return v.decode("utf-8") if isinstance(v, bytes) else str(v)


# ---- FITS -------------------------------------------------------------------------------
t = Table.read(f"{D}/all.fits", hdu="SA_ZATTEST1", astropy_native=True)
times(t["TIME"], REAL_T, "fits real TIME")
check(not isinstance(t["MJD"], Time), "fits MJD must stay a number")
check(str(t["VALUE"].unit) == "V", f"fits unit {t['VALUE'].unit}")
check(all(same(float(a), b) for a, b in zip(t["VALUE"], REAL_V)), "fits real values")
t = Table.read(f"{D}/all.fits", hdu="SA_ZFGDETID", astropy_native=True)
times(t["TIME"], INT_T, "fits int TIME")
check(t["VALUE"].dtype.kind == "i" and list(t["VALUE"]) == INT_V, "fits int values")
t = Table.read(f"{D}/all.fits", hdu="SA_ZBIGCOUNT", astropy_native=True)
check(t["VALUE"].dtype.kind == "i" and t["VALUE"].dtype.itemsize == 8
      and list(t["VALUE"]) == BIG_V, "fits int64 values")
t = Table.read(f"{D}/all.fits", hdu="IMIR_HK_STATE", astropy_native=True)
times(t["TIME"], STR_T, "fits string TIME")
got = [text(v) if v is not np.ma.masked else "" for v in t["VALUE"]]
check(got[:2] == STR_V[:2] and got[2] == "", f"fits strings {got}")
t = Table.read(f"{D}/all.fits", hdu="SA_ZODDUNIT", astropy_native=True)
check(t["VALUE"].unit is None and t.meta.get("EUNIT3") == "DN/furlong", "fits odd unit")
t = Table.read(f"{D}/all.fits", hdu="SA_ZNOTHING", astropy_native=True)
check(len(t) == 0, "fits empty table")
t = Table.read(f"{D}/wide.fits", astropy_native=True)
times(t["TIME"], WIDE_T, "fits wide TIME")
check(math.isnan(t["SA_ZATTEST1_mean"][1]), "fits wide missing real")
check(t["SA_ZFGDETID"].mask[2] and not t["SA_ZFGDETID"].mask[0], "fits wide masked int")
t = Table.read(f"{D}/forty.fits", hdu="SA_ZTEST39", astropy_native=True)
check(float(t["VALUE"][0]) == 9.75, "fits 40th table")

# ---- HDF5: astropy ---------------------------------------------------------------------
t = Table.read(f"{D}/all.h5", path="raw/SA_ZATTEST1")
times(t["time"], REAL_T, "hdf5 real time")
check(str(t["value"].unit) == "V" and t["value"].description == DESC, "hdf5 unit/description")
check(all(same(float(a), b) for a, b in zip(t["value"], REAL_V)), "hdf5 real values")
check(t.meta.get("mnemonic") == "SA_ZATTEST1", "hdf5 table meta")
t = Table.read(f"{D}/all.h5", path="raw/SA_ZBIGCOUNT")
check(list(t["value"]) == BIG_V, "hdf5 int64")
t = Table.read(f"{D}/all.h5", path="raw/IMIR_HK_STATE")
times(t["time"], STR_T, "hdf5 string time")
check([text(v) for v in t["value"]][:2] == STR_V[:2], "hdf5 strings")
t = Table.read(f"{D}/all.h5", path="raw/SA_ZODDUNIT")
check(t["value"].unit is None and t["value"].meta.get("edb_unit") == "DN/furlong",
      "hdf5 odd unit in meta")
t = Table.read(f"{D}/all.h5", path="raw/SA_ZNOTHING")
check(len(t) == 0, "hdf5 empty")
t = Table.read(f"{D}/wide.h5", path="resampled")
times(t["time"], WIDE_T, "hdf5 wide time")
check(list(t["SA_ZFGDETID"].mask) == [False, False, True], "hdf5 wide mask int")
check(list(t["SA_ZATTEST1_mean"].mask) == [False, True, False], "hdf5 wide mask real")

# ---- HDF5: pandas and h5py -------------------------------------------------------------
df = pd.read_hdf(f"{D}/all.h5", key="/raw/SA_ZATTEST1")
check(list(df.columns) == ["time", "value"], f"pandas columns {list(df.columns)}")
check(all(same(float(a), b) for a, b in zip(df["value"], REAL_V)), "pandas values")
df = pd.read_hdf(f"{D}/all.h5", key="/raw/SA_ZFGDETID")
check(list(df["value"]) == INT_V, "pandas ints")
df = pd.read_hdf(f"{D}/all.h5", key="/raw/IMIR_HK_STATE")
check([text(v) for v in df["value"]][:2] == STR_V[:2], "pandas strings")
with h5py.File(f"{D}/all.h5", "r") as f:
    check(f.attrs["creator"].startswith("edbx "), "h5py creator")
    check(list(f.attrs["datasets"])[0] == "/raw/SA_ZATTEST1", "h5py dataset list")
    d = f["raw/SA_ZATTEST1"]
    check(d.attrs["unit"] == "volts" and d.attrs["TIMESYS"] == "UTC", "h5py attrs")
    check(d.compression == "gzip" and d.shuffle and d.chunks is not None, "h5py filters")
    mjd = d["time"][0]
    check(abs(mjd - 59240.104166770834) < 1e-11, f"h5py time {mjd!r}")

# ---- ECSV ------------------------------------------------------------------------------
t = Table.read(f"{D}/all.ecsv", format="ascii.ecsv")
check(t["value"].dtype.kind in "UO", "ecsv mixed values are strings")
check(t.meta["mnemonics"]["SA_ZATTEST1"]["description"] == DESC, "ecsv description")
t = Table.read(f"{D}/real.ecsv", format="ascii.ecsv")
check(t["value"].dtype == np.float64, "ecsv float column")
v = list(t["value"].filled(np.nan)) if hasattr(t["value"], "mask") else list(t["value"])
check(all(same(float(a), b) for a, b in zip(v, REAL_V)), f"ecsv values {v}")
check(str(t["value"].unit) == "V" and t["value"].description == DESC, "ecsv unit/description")
check(list(t["time"]) == REAL_T, "ecsv time text")
t = Table.read(f"{D}/strings_t.ecsv", format="ascii.ecsv")
times(t["time"], STR_T, "ecsv --astropy-time")
# astropy's ECSV reader reads "" as masked and strips a value's trailing blanks (the file
# has them quoted: tests/unit/test_formats.c checks the text).
got = list(t["value"].filled("")) if hasattr(t["value"], "mask") else list(t["value"])
check(got == ["ON", UTF8, "", "trailing"], f"ecsv strings {got}")
t = Table.read(f"{D}/wide.ecsv", format="ascii.ecsv")
check(list(t["SA_ZFGDETID"].mask) == [False, False, True], "ecsv wide mask")
check(t["SA_ZFGDETID"].meta.get("edb_unit") == "DN/furlong", "ecsv odd unit meta")

# ---- CSV -------------------------------------------------------------------------------
a = pd.read_csv(f"{D}/all.csv", keep_default_na=False, dtype={"value": str})
b = pd.read_csv(f"{D}/all.csv.gz", keep_default_na=False, dtype={"value": str})
check(a.equals(b), "csv.gz reads as the csv")
check(list(a.columns) == ["time", "mjd", "mnemonic", "value"], "csv columns")
s = a[a.mnemonic == "IMIR_HK_STATE"]["value"].tolist()
check(s[:2] == STR_V[:2] and s[3] == "trailing ", f"csv strings {s}")
# pandas' default float parser is fast, not exact: round_trip is (docs/formats.md says so).
r = pd.read_csv(f"{D}/real.csv", float_precision="round_trip")
check(all(same(float(x), y) for x, y in zip(r["value"], REAL_V)), "csv real values")

# ---- CSV comment lines (-O header-comments) ----------------------------------------------
# pandas and astropy skip them with comment="#"; the rows are those of the plain CSV.
c = pd.read_csv(f"{D}/comments.csv", comment="#", keep_default_na=False, dtype={"value": str})
check(c.equals(a), "pandas comment='#': comments.csv reads as all.csv")
c = pd.read_csv(f"{D}/comments.csv.gz", comment="#", keep_default_na=False, dtype={"value": str})
check(c.equals(a), "pandas comment='#': comments.csv.gz reads as all.csv")
t = Table.read(f"{D}/comments.csv", format="ascii.csv", comment="#")
plain = Table.read(f"{D}/all.csv", format="ascii.csv")
check(t.colnames == plain.colnames and all(list(t[n]) == list(plain[n]) for n in t.colnames),
      "astropy comment='#': comments.csv reads as all.csv")
lines = t.meta["comments"]
check(lines[0] == "edbx 0.1.0: query from 2021-01-26T02:30:00.000000 to "
      "2021-01-26T02:31:00.000000 (UTC); run at 2024-05-01T12:00:00.000000 (UTC)",
      f"astropy comments[0] {lines[0]!r}")
check(f"mnemonic SA_ZATTEST1 [volts]: {DESC}" in lines and
      "mnemonic SA_ZFGDETID [counts]: guide star detector id" in lines and
      "mnemonic SA_ZBIGCOUNT" in lines, f"astropy comments {lines}")
# a '#' inside a value is quoted, so pandas' comment='#' keeps the whole value
h = pd.read_csv(f"{D}/hash.csv", comment="#", keep_default_na=False, dtype={"value": str})
check(list(h["value"]) == ["#1", "a#b", "=1+2", "-5", "@x"], f"pandas '#' values {list(h['value'])}")
t = Table.read(f"{D}/hash.csv", format="ascii.csv", comment="#")
check([str(v) for v in t["value"]] == ["#1", "a#b", "=1+2", "-5", "@x"],
      f"astropy '#' values {list(t['value'])}")
check("mnemonic IMIR_HK_NOTE: free text # with a hash" in t.meta["comments"], "astropy note line")

# ---- -O safe: a formula-like string gets a "'" in front, a number stays -------------------
SAFE = ["#1", "a#b", "'=1+2", "-5", "'@x"]
s = pd.read_csv(f"{D}/safe.csv", keep_default_na=False, dtype={"value": str})
check(list(s["value"]) == SAFE, f"pandas safe values {list(s['value'])}")
t = Table.read(f"{D}/safe.ecsv", format="ascii.ecsv")
check([str(v) for v in t["value"]] == SAFE, f"astropy safe ecsv {list(t['value'])}")

# ---- HDF5 chunks made on worker threads: h5py, pandas and astropy read every row --------
N = 200003
k = np.arange(N, dtype=np.int64)
BIG_V = k * 0.001 - 3.5
BIG_I = (k * 7919) % 100000 - 50000
T0_MJD = 40587 + (1611628200009 + 250 * k) / 86400000
with h5py.File(f"{D}/big.h5", "r") as f:
    d = f["raw/SA_ZBIGREAL"]
    check(d.compression == "gzip" and d.shuffle and d.chunks == (65536,), f"h5py big filters {d.chunks}")
    check(np.array_equal(d["value"], BIG_V), "h5py big values")
    check(np.allclose(d["time"], T0_MJD, rtol=0, atol=2e-11), "h5py big times")
    check(np.array_equal(f["raw/SA_ZBIGINT"]["value"], BIG_I), "h5py big ints")
df = pd.read_hdf(f"{D}/big.h5", key="/raw/SA_ZBIGREAL")
check(len(df) == N and np.array_equal(df["value"].to_numpy(), BIG_V), "pandas big values")
t = Table.read(f"{D}/big.h5", path="raw/SA_ZBIGINT")
check(len(t) == N and np.array_equal(np.asarray(t["value"]), BIG_I), "astropy big ints")
check(t["time"][-1].isot == "2021-01-26T16:23:20.509", f"astropy big last time {t['time'][-1].isot}")

print("interop:", "FAILED" if failures else "ok", len(failures))
sys.exit(1 if failures else 0)
