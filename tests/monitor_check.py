#!/usr/bin/python3
"""Check what `edbx monitor` wrote against values worked out here, independently of edbx.

This script reads the store's JSON files and the jwql configurations itself, computes every
table the way docs/monitor.md and docs/resampling.md say (each kind as its `edbx get`
command: conditions held, points linear or held, daily and fixed bins, blocks, runs of a
state, sigma clipping as astropy's sigma_clip, products), checks each value against the
entry's limits, and compares all of it with DIR/monitor.h5 (read with h5py) and
DIR/report.json, exactly: the arithmetic here is done in the same order as the C code's
(sums from the first value to the last, linear interpolation as va + w * (vb - va)), so
that equal means are equal doubles.  It prints every difference and exits 1 when there is
one, 0 otherwise.

Usage: /usr/bin/python3 tests/monitor_check.py STORE START DAYS DIR CONFIG...
(START as 2024-03-01; the range is [START, START + DAYS days).)
"""
import json
import math
import os
import sys
from datetime import datetime, timezone

import h5py

US_DAY = 86400 * 1000000
KINDS = ["all", "daily_means", "block_means", "time_interval", "every_change"]
REL = {">": lambda a, b: a > b, "<": lambda a, b: a < b, "=": lambda a, b: a == b,
       "!=": lambda a, b: a != b, "<=": lambda a, b: a <= b, ">=": lambda a, b: a >= b}

problems = []


def fail(msg):
    problems.append(msg)


# ---- the store --------------------------------------------------------------------------

class Series:
    def __init__(self, name, times, values, vtype, allpoints):
        self.name, self.t, self.v, self.vtype, self.allpoints = name, times, values, vtype, allpoints

    def hold(self, t):
        """The last sample at or before t (of several at t, the last), or None."""
        lo, hi = 0, len(self.t)
        while lo < hi:
            mid = (lo + hi) // 2
            if self.t[mid] <= t:
                lo = mid + 1
            else:
                hi = mid
        return self.v[lo - 1] if lo > 0 else None

    def linear(self, t):
        lo, hi = 0, len(self.t)
        while lo < hi:
            mid = (lo + hi) // 2
            if self.t[mid] <= t:
                lo = mid + 1
            else:
                hi = mid
        j = lo
        if j > 0 and self.t[j - 1] == t:
            return float(self.v[j - 1])
        if j == 0 or j == len(self.t):
            return None
        a, b = self.t[j - 1], self.t[j]
        va, vb = float(self.v[j - 1]), float(self.v[j])
        w = float(t - a) / float(b - a)
        return va + w * (vb - va)

    def point(self, t):
        if self.vtype == "real" and self.allpoints != 0:
            return self.linear(t)
        return self.hold(t)

    def times_in(self, a, b):
        out = []
        for t in self.t:
            if a <= t <= b and (not out or out[-1] != t):
                out.append(t)
        return out

    def samples_in(self, a, b, hi_open=False):
        return [(t, v) for t, v in zip(self.t, self.v)
                if a <= t and (t < b if hi_open else t <= b)]


def load_store(folder):
    meta = json.load(open(os.path.join(folder, "meta.json")))
    out = {}
    for m in meta["TlmMnemonics"]:
        name = m["TlmMnemonic"]
        sql = m["SQLType"].lower()
        vtype = "string" if sql.startswith("varchar") else "int" if sql == "int" else "real"
        data = json.load(open(os.path.join(folder, name.lower() + "_data.json")))["Data"]
        times = [int(d["ObsTime"][6:19]) * 1000 for d in data]
        values = [d["EUValue"] for d in data]
        if vtype == "real":
            values = [float(v) for v in values]
        out[name] = Series(name, times, values, vtype, m["AllPoints"])
    return out


# ---- statistics --------------------------------------------------------------------------

def seq_sum(xs):
    s = 0.0
    for x in xs:
        s += x
    return s


def median(xs):
    z = sorted(xs)
    m = len(z)
    if m % 2:
        return z[m // 2]
    return (z[m // 2 - 1] + z[m // 2]) / 2


def clip(xs, sigma):
    """astropy's sigma_clip (median centre, std with ddof 0), at most 10 rounds, then the
    last bounds applied to all the values, kept in their order."""
    z = list(xs)
    lo, hi = -math.inf, math.inf
    for _ in range(10):
        if not z:
            break
        med = median(z)
        mean = seq_sum(z) / len(z)
        sd = math.sqrt(seq_sum([(x - mean) * (x - mean) for x in z]) / len(z))
        lo, hi = med - sigma * sd, med + sigma * sd
        nz = [x for x in z if lo <= x <= hi]
        if len(nz) == len(z):
            break
        z = nz
    return [x for x in xs if lo <= x <= hi]


def stats_of(values, names, sigma, vtype):
    """{stat: value or None} of the values (numbers), clipped first."""
    vals = [v for v in values if v is not None and not (isinstance(v, float) and math.isnan(v))]
    if sigma:
        vals = clip([float(v) for v in vals], sigma) if vtype == "real" else clip(vals, sigma)
    out = {}
    for s in names:
        if s == "count":
            out[s] = len(vals)
        elif not vals:
            out[s] = None
        elif s == "mean":
            out[s] = seq_sum([float(v) for v in vals]) / len(vals)
        elif s == "median":
            out[s] = float(median(vals))
        elif s == "max":
            out[s] = max(vals)
        elif s == "min":
            out[s] = min(vals)
    return out


# ---- one entry and kind: the table edbx get makes ---------------------------------------------

def fmt_iso(t):
    d = datetime.fromtimestamp(t // 1000000, tz=timezone.utc)
    return d.strftime("%Y-%m-%dT%H:%M:%S") + ".%03d" % (t % 1000000 // 1000)


class Job:
    def __init__(self, cfg, section, index, entry, kind):
        self.cfg, self.section, self.index, self.e, self.kind = cfg, section, index, entry, kind
        self.name = entry["name"].upper()
        self.id = entry.get("database_id", entry["name"]).upper()
        pd = [p.strip() for p in entry["plot_data"].split(",")]
        self.product = pd[0][1:].upper() if pd[0].startswith("*") else None
        self.shown = [p for p in pd[1:] if p != "mean"]
        self.value = "%s_X_%s" % (self.name, self.product) if self.product else self.name
        deps = entry["dependency"]
        self.state = [d["name"].upper() for d in deps if d["relation"] == "none"]
        self.conds = [(d["name"].upper(), d["relation"], d["threshold"]) for d in deps
                      if d["relation"] != "none"]


def cond_at(store, conds, t):
    for name, rel, thr in conds:
        v = store[name].hold(t)
        if v is None:
            return False
        if isinstance(thr, str) != isinstance(v, str):
            raise ValueError("type")
        if not REL[rel](v, thr):
            return False
    return True


def product_at(store, job, t):
    a = store[job.name].point(t)
    b = store[job.product].point(t)
    if a is None or b is None:
        return None
    return float(a) * float(b)


WINDOW = None  # --daily-window: (time of day, length) in microseconds


def expected_table(store, job, S, E, block_us):
    """(times, {column: [values]}) of the table of job over [S, E]."""
    if job.kind == "daily_means" and WINDOW:
        # each day's window a range of its own, cut to [S, E]; a day without one, no row
        tod, dur = WINDOW
        rows, cols = [], {}
        d = S - S % US_DAY
        while d <= E:
            a, b = max(d + tod, S), min(d + tod + dur - 1, E)
            if a <= b:
                r, c = expected_table_plain(store, job, a, b, block_us)
                rows += r
                for k, v in c.items():
                    cols.setdefault(k, []).extend(v)
            d += US_DAY
        return rows, cols
    return expected_table_plain(store, job, S, E, block_us)


def expected_table_plain(store, job, S, E, block_us):
    names = [job.name] + ([job.product] if job.product else [])
    stats = ["mean"] + job.shown + ["count"]
    sigma = 5 if job.kind == "every_change" else 3
    cols = {}
    if job.kind == "all":
        if job.product:
            grid = sorted(set(store[job.name].times_in(S, E)) | set(store[job.product].times_in(S, E)))
        else:
            grid = store[job.name].times_in(S, E)
        rows = [t for t in grid if cond_at(store, job.conds, t)]
        for n in names:
            cols[n] = [store[n].point(t) for t in rows]
        if job.product:
            cols[job.value] = [product_at(store, job, t) for t in rows]
        return rows, cols
    if job.kind in ("daily_means", "time_interval"):
        if job.kind == "daily_means":
            step, t0 = US_DAY, S - S % US_DAY
        else:
            step, t0 = block_us, S
        span = E - t0
        cnt = (span - 1) // step + 1 if span else 1
        rows = [t0 + k * step for k in range(cnt)]
        series = {n: (store[n].samples_in(S, E), store[n].vtype) for n in names}
        if job.product:
            times = sorted(set(store[job.name].times_in(S, E)) | set(store[job.product].times_in(S, E)))
            series[job.value] = ([(t, product_at(store, job, t)) for t in times], "real")
        for n, (samples, vtype) in series.items():
            per = {s: [] for s in stats}
            for k, r in enumerate(rows):
                lo, hi = max(r, S), r + step
                last = k == len(rows) - 1
                vals = [v for t, v in samples
                        if lo <= t and (t <= E if last else t < hi) and cond_at(store, job.conds, t)]
                st = stats_of(vals, stats, sigma, vtype)
                for s in stats:
                    per[s].append(st[s])
            for s in stats:
                cols["%s_%s" % (n, s)] = per[s]
        return rows, cols
    if job.kind == "block_means":
        if job.product:
            grid = sorted(set(store[job.name].times_in(S, E)) | set(store[job.product].times_in(S, E)))
        else:
            grid = store[job.name].times_in(S, E)
        mask = [cond_at(store, job.conds, t) for t in grid]
        blocks, p = [], 0
        while p < len(grid):
            if not mask[p]:
                p += 1
                continue
            q = p
            while q + 1 < len(grid) and mask[q + 1]:
                q += 1
            blocks.append((grid[p], grid[q]))
            p = q + 1
        rows = [a for a, _ in blocks]
        cols["end"] = [fmt_iso(b) for _, b in blocks]
        cols["end_mjd"] = [b for _, b in blocks]
        outs = names + ([job.value] if job.product else [])
        for n in outs:
            vtype = "real" if n == job.value and job.product else store[n].vtype
            per = {s: [] for s in stats}
            for a, b in blocks:
                if job.product:
                    pts = [t for t in grid if a <= t <= b]
                    vals = [product_at(store, job, t) if n == job.value else store[n].point(t)
                            for t in pts]
                else:
                    vals = [v for t, v in store[n].samples_in(a, b)]
                st = stats_of(vals, stats, sigma, vtype)
                for s in stats:
                    per[s].append(st[s])
            for s in stats:
                cols["%s_%s" % (n, s)] = per[s]
        return rows, cols
    if job.kind == "every_change":
        g = store[job.state[0]]
        runs, cur, a = [], g.hold(S), S
        for t, v in zip(g.t, g.v):
            if S < t <= E and v != cur:
                runs.append((a, t, cur))
                a, cur = t, v
        runs.append((a, E + 1, cur))
        rows = [r[0] for r in runs]
        cols[job.state[0]] = [r[2] for r in runs]
        cols["end"] = [fmt_iso(b) for _, b, _ in runs]
        cols["end_mjd"] = [b for _, b, _ in runs]
        per = {s: [] for s in stats}
        for k, (a, b, _) in enumerate(runs):
            last = k == len(runs) - 1
            vals = [v for t, v in store[job.name].samples_in(a, E if last else b, hi_open=not last)
                    if cond_at(store, job.conds, t)]
            st = stats_of(vals, stats, sigma, store[job.name].vtype)
            for s in stats:
                per[s].append(st[s])
        for s in stats:
            cols["%s_%s" % (job.name, s)] = per[s]
        return rows, cols
    raise ValueError(job.kind)


def block_us_of(text):
    n, unit = text.split("_")
    for u, s in (("min", 60), ("sec", 1), ("hour", 3600), ("day", 86400)):
        if u in unit:
            return int(round(float(n) * s * 1e6))
    raise ValueError(text)


# ---- limits ---------------------------------------------------------------------------------

def level(e, v):
    r, y = e.get("red_limits"), e.get("yellow_limits")
    if r and (v < r[0] or v > r[1]):
        return 2
    if y and (v < y[0] or v > y[1]):
        return 1
    return 0


def check_values(e, times, values):
    """(checked, yellow, red) as report.json writes them."""
    checked, br = 0, {1: [], 2: []}
    for t, v in zip(times, values):
        if v is None or (isinstance(v, float) and math.isnan(v)):
            continue
        checked += 1
        lv = level(e, v)
        if lv:
            lim = e["red_limits"] if lv == 2 else e["yellow_limits"]
            br[lv].append((t, v, lim[0] - v if v < lim[0] else v - lim[1]))
    out = [checked]
    for lv in (1, 2):
        b = br[lv]
        if not b:
            out.append(None)
            continue
        worst = b[0]
        for x in b[1:]:
            if x[2] > worst[2]:
                worst = x
        out.append({"count": len(b), "first": iso_us(b[0][0]), "last": iso_us(b[-1][0]),
                    "worst": worst[1], "worst_time": iso_us(worst[0])})
    return out


def iso_us(t):
    d = datetime.fromtimestamp(t // 1000000, tz=timezone.utc)
    return d.strftime("%Y-%m-%dT%H:%M:%S") + ".%06d" % (t % 1000000)


# ---- comparing ---------------------------------------------------------------------------------

def mjd_to_us(x):
    return int(round((x - 40587) * 86400000)) * 1000


def same(a, b):
    if a is None or b is None:
        return a is None and b is None
    if isinstance(a, str) or isinstance(b, str):
        return a == b
    return float(a) == float(b)


def main():
    global WINDOW
    args = [a for a in sys.argv[1:] if not a.startswith("--daily-window=")]
    for a in sys.argv[1:]:
        if a.startswith("--daily-window="):
            hm, dur = a.split("=", 1)[1].split("/")
            h, m = hm.split(":")
            WINDOW = ((int(h) * 3600 + int(m) * 60) * 1000000, int(dur[:-3]) * 60000000)
    store_dir, start, days, out = args[0], args[1], int(args[2]), args[3]
    configs = args[4:]
    S = int(datetime.strptime(start, "%Y-%m-%d").replace(tzinfo=timezone.utc).timestamp()) * 1000000
    E = S + days * US_DAY - 1
    store = load_store(store_dir)
    jobs = []
    for path in configs:
        stem = os.path.basename(path)
        stem = stem[:-5] if stem.endswith(".json") else stem
        stem = stem[:-len("_mnemonics_to_monitor")] if stem.endswith("_mnemonics_to_monitor") else stem
        cfg = json.load(open(path))
        earlier = []  # (kinds, id) of the entries before, ids as renamed
        for section, entries in cfg.items():
            kinds = [k for k in KINDS if k in section.split("+")]
            for i, e in enumerate(entries):
                eid = e.get("database_id", e["name"]).upper()
                base, n = eid, 2
                while any(i2 == eid and set(k2) & set(kinds) for k2, i2 in earlier):
                    eid = "%s_%d" % (base, n)
                    n += 1
                earlier.append((kinds, eid))
                for k in kinds:
                    j = Job(stem, section, i, e, k)
                    j.id = eid
                    jobs.append(j)
    h5 = h5py.File(os.path.join(out, "monitor.h5"), "r")
    report = json.load(open(os.path.join(out, "report.json")))
    rep_tables = {t["table"]: t for t in report["tables"]}
    statuses = {}
    for j in jobs:
        key = "%s/%s/%s" % (j.cfg, j.kind, j.id)
        block = block_us_of(j.e["mean_time_block"]) if j.kind == "time_interval" else None
        rows, cols = expected_table(store, j, S, E, block)
        if key not in h5:
            fail("%s: not in monitor.h5" % key)
            continue
        d = h5[key]
        got = d[()]
        names = [n for n in d.dtype.names if n != "time" and not n.endswith(".mask")]
        if sorted(names) != sorted(cols):
            fail("%s: columns %s, expected %s" % (key, names, sorted(cols)))
            continue
        if len(got) != len(rows):
            fail("%s: %d rows, expected %d" % (key, len(got), len(rows)))
            continue
        for r, t in enumerate(rows):
            if mjd_to_us(got["time"][r]) != t:
                fail("%s row %d: time %s, expected %s" % (key, r, got["time"][r], iso_us(t)))
        for n in names:
            mask = got[n + ".mask"] if n + ".mask" in d.dtype.names else [False] * len(rows)
            for r in range(len(rows)):
                want = cols[n][r]
                if mask[r]:
                    have = None
                else:
                    have = got[n][r]
                    if isinstance(have, bytes):
                        have = have.decode()
                    elif n == "end_mjd":
                        have = mjd_to_us(have)
                if not same(have, want):
                    fail("%s row %d (%s) %s: %r, expected %r" % (key, r, iso_us(rows[r]), n, have,
                                                               want))
        # the limits, the status
        checks = ([j.value] if j.kind == "all" else
                  ["%s_mean" % j.value] + ["%s_%s" % (j.value, s) for s in j.shown])
        rt = rep_tables.get(key)
        if not rt:
            fail("%s: not in report.json" % key)
            continue
        has_limits = "yellow_limits" in j.e or "red_limits" in j.e
        lv, values = 0, 0
        for c, rc in zip(checks, rt["checks"]):
            if rc["column"] != c:
                fail("%s: check of %s, expected %s" % (key, rc["column"], c))
            vals = cols.get(c)
            if vals is None or (vals and isinstance(next((v for v in vals if v is not None), 0), str)):
                values += sum(v is not None for v in (vals or []))
                continue
            checked, yellow, red = check_values(j.e, rows, vals)
            values += checked
            want = {"column": c, "values": checked, "yellow": yellow, "red": red}
            if rc != want:
                fail("%s: report.json says %s, expected %s" % (key, rc, want))
            lv = max(lv, 2 if red else 1 if yellow else 0)
        status = ("no_data" if not values else "unchecked" if not has_limits else
                  ["ok", "yellow", "red"][lv])
        statuses[key] = status
        if rt["status"] != status:
            fail("%s: status %s, expected %s" % (key, rt["status"], status))
        if rt["rows"] != len(rows):
            fail("%s: report.json rows %d, expected %d" % (key, rt["rows"], len(rows)))
    if set(rep_tables) != set(statuses):
        fail("report.json tables %s, expected %s" % (sorted(set(rep_tables) ^ set(statuses)), ""))
    for p in problems[:60]:
        print(p)
    if problems:
        print("%d differences" % len(problems))
        sys.exit(1)
    print("%d tables as expected" % len(jobs))


if __name__ == "__main__":
    main()
