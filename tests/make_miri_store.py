#!/usr/bin/python3
"""Write the synthetic MIRI store fixtures/miri-2024-03/ (and its inventory CSV), byte for
byte the same on every run.

The store holds the mnemonics the jwql EDB monitor's MIRI recipes read
(../shared/realdata/jwql-monitor-configs/miri_mnemonics_to_monitor.json), in the jwst
layout (meta.json + {mnemonic}_data.json), from 2024-02-29T22:00Z to 2024-03-04T02:00Z,
so that queries over 2024-03-01..03 have samples before and after their range.  The
values are invented but shaped like the instrument's: the ICE in "no ops" (secondary
voltage 1 near 0 V, current 0.23 A) with four stretches of operations (39.24 V, 0.37 A),
the first of them starting before 2024-03-01 and the last one running past 2024-03-04; a
calibration loop on for two hours and the POM loop for one; ICE voltage 4 near 4.533 V
with a four-sample excursion to 4.551 V; the bus voltage every 15 minutes with a
three-hour hole; a filter wheel moving between positions, one of them held for a single
sample.  Noise is a fixed sum of sines (no random numbers), values are rounded to the
digits the EDB would send.

Usage: /usr/bin/python3 tests/make_miri_store.py [FIXTURES_DIR]
"""
import json
import math
import os
import sys
from datetime import datetime, timezone

T0 = datetime(2024, 2, 29, 22, 0, tzinfo=timezone.utc)
T1 = datetime(2024, 3, 4, 2, 0, tzinfo=timezone.utc)


def ms(dt):
    return int(round(dt.timestamp() * 1000))


def at(day, hh, mm=0):
    """2024-03-DAY hh:mm UTC in ms (day 0 is 2024-02-29)."""
    if day == 0:
        return ms(datetime(2024, 2, 29, hh, mm, tzinfo=timezone.utc))
    return ms(datetime(2024, 3, day, hh, mm, tzinfo=timezone.utc))


START, END = ms(T0), ms(T1)
MIN = 60000

# ICE operations (secondary voltage 1 on): [start, end) in ms
OPS = [(at(0, 23), at(1, 1)), (at(1, 6), at(1, 9)), (at(2, 12), at(2, 18)),
       (at(3, 22), at(4, 2) + 1)]
IMG_CAL_ON = [(at(2, 2), at(2, 4))]
POM_ON = [(at(3, 10), at(3, 11))]
BUS_GAP = (at(3, 3), at(3, 6))
VOLT4_EXCURSION = (at(2, 20), at(2, 20, 31))
# filter wheel: (time, position); the position holds until the next change
FW = [(START, "F770W"), (at(1, 4), "F1130W"), (at(1, 13, 30), "F2100W"),
      (at(2, 1), "F770W"), (at(2, 9, 10), "F560W"), (at(3, 8), "F1500W"),
      (at(3, 8, 10), "F560W"), (at(3, 19, 20), "F1130W")]
RATIO = {"F770W": -0.2713, "F1130W": 0.8472, "F2100W": 1.3051, "F560W": -1.182,
         "F1500W": 0.4406}


def inside(t, spans):
    return any(a <= t < b for a, b in spans)


def noise(k, scale, phase=0.0):
    return scale * (0.6 * math.sin(0.7 * k + phase) + 0.4 * math.sin(2.3 * k + 2 * phase))


def grid(step_min, offset_min=0):
    t = START + offset_min * MIN
    while t <= END:
        yield t
        t += step_min * MIN


def series():
    out = {}
    v1, v4, ratio, pos = [], [], [], []
    for k, t in enumerate(grid(10)):
        on = inside(t, OPS)
        v1.append((t, round((39.24 if on else 0.05) + noise(k, 0.02), 4)))
        x = 4.533 + noise(k, 0.003, 1.0)
        if inside(t, [VOLT4_EXCURSION]):
            x = 4.551
        v4.append((t, round(x, 4)))
        p = [name for (ft, name) in FW if ft <= t][-1]
        pos.append((t, p))
        ratio.append((t, round(RATIO[p] + noise(k, 0.0005, 2.0), 5)))
    out["IMIR_HK_ICE_SEC_VOLT1"] = v1
    out["IMIR_HK_ICE_SEC_VOLT4"] = v4
    out["IMIR_HK_FW_POS_RATIO"] = ratio
    out["IMIR_HK_FW_CUR_POS"] = pos
    out["IMIR_HK_IMG_CAL_LOOP"] = [(t, "ON" if inside(t, IMG_CAL_ON) else "OFF")
                                   for t in grid(30)]
    out["IMIR_HK_IFU_CAL_LOOP"] = [(t, "OFF") for t in grid(30)]
    out["IMIR_HK_POM_LOOP"] = [(t, "ON" if inside(t, POM_ON) else "OFF") for t in grid(30)]
    out["SE_ZBUSVLT"] = [(t, round(31.02 + noise(k, 0.05, 0.5), 3))
                         for k, t in enumerate(grid(15, 5)) if not inside(t, [BUS_GAP])]
    # change-only: a sample at every change of mode, and a small drift every two hours
    ice, last = [], None
    for k, t in enumerate(grid(10)):
        level = 0.37 if inside(t, OPS) else 0.23
        drift = 0.001 * ((t - START) // (120 * MIN) % 3)
        value = round(level + drift, 4)
        if value != last:
            ice.append((t, value))
            last = value
    out["SE_ZIMIRICEA"] = ice
    return out


META = [
    ("IMIR_HK_FW_CUR_POS", "MIRI", "UI16", "DS", "VARCHAR(50)", 1),
    ("IMIR_HK_FW_POS_RATIO", "MIRI", "FL32", "FL32", "REAL", 1),
    ("IMIR_HK_ICE_SEC_VOLT1", "MIRI", "FL32", "FL32", "REAL", 1),
    ("IMIR_HK_ICE_SEC_VOLT4", "MIRI", "FL32", "FL32", "REAL", 1),
    ("IMIR_HK_IFU_CAL_LOOP", "MIRI", "UI8", "DS", "VARCHAR(50)", 1),
    ("IMIR_HK_IMG_CAL_LOOP", "MIRI", "UI8", "DS", "VARCHAR(50)", 1),
    ("IMIR_HK_POM_LOOP", "MIRI", "UI8", "DS", "VARCHAR(50)", 1),
    ("SE_ZBUSVLT", "EPS", "UI16", "FL64", "FLOAT", 1),
    ("SE_ZIMIRICEA", "EPS", "UI16", "FL64", "FLOAT", 0),
]

INVENTORY = [
    ("IMIR_HK_FW_CUR_POS", "FW current position", "varchar", ""),
    ("IMIR_HK_FW_POS_RATIO", "FW normalized position sensor voltage ratio", "real", ""),
    ("IMIR_HK_ICE_SEC_VOLT1", "ICE Secondary Voltage (HV) 1", "real", "V"),
    ("IMIR_HK_ICE_SEC_VOLT4", "ICE Secondary Voltage 4", "real", "V"),
    ("IMIR_HK_IFU_CAL_LOOP", "IFU calibration source control loop", "varchar", ""),
    ("IMIR_HK_IMG_CAL_LOOP", "Imager calibration source control loop", "varchar", ""),
    ("IMIR_HK_POM_LOOP", "POM heater control loop", "varchar", ""),
    ("SE_ZBUSVLT", "Bus voltage", "float", "V"),
    ("SE_ZIMIRICEA", "MIRI ICE drive current", "float", "A"),
]


def number(v):
    # the shortest text that reads back as the same double, as the EDB's JSON has it
    return repr(v)


def main():
    top = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "..", "fixtures")
    store = os.path.join(top, "miri-2024-03")
    os.makedirs(store, exist_ok=True)
    data = series()
    meta = {"Count": len(META), "TlmMnemonics": [
        {"TlmMnemonic": n, "Subsystem": s, "RawType": r, "EUType": e, "SQLType": q,
         "AllPoints": a} for (n, s, r, e, q, a) in META]}
    with open(os.path.join(store, "meta.json"), "w") as f:
        json.dump(meta, f)
    allpoints = {m[0]: m[5] for m in META}
    for name, samples in sorted(data.items()):
        parts = []
        for t, v in samples:
            val = json.dumps(v) if isinstance(v, str) else number(v)
            parts.append('{"ObsTime": "/Date(%d+0000)/", "EUValue": %s}' % (t, val))
        text = ('{"TlmMnemonic": "%s", "AllPoints": %d, "Count": %d, "Data": [%s]}'
                % (name, allpoints[name], len(samples), ", ".join(parts)))
        with open(os.path.join(store, name.lower() + "_data.json"), "w") as f:
            f.write(text)
    with open(os.path.join(top, "miri-2024-03-inventory.csv"), "w") as f:
        f.write("description,sqlDataType,subsystem,tlmIdentifier,tlmMnemonic,unit\n")
        for k, (n, d, q, u) in enumerate(INVENTORY):
            sub = [m[1] for m in META if m[0] == n][0]
            f.write('"%s",%s,%s,%d,%s,%s\n' % (d, q, sub, 900001 + k, n, u))


if __name__ == "__main__":
    main()
