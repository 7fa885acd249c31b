#!/usr/bin/python3
"""Write a synthetic month of every mnemonic the jwql monitor's MIRI configuration reads
(fixtures/jwql-monitor-configs/miri_mnemonics_to_monitor.json: 80 names, its entries and their
dependencies), byte for byte the same on every run, for the tests of `edbx monitor`.

The store is in the jwst layout (meta.json + {mnemonic}_data.json) and spans
2024-02-29T22:00Z to 2024-03-31T02:00Z, so that a monitor over 2024-03-01..30 (30 days) has
samples before and after its range.  Its inventory (units, descriptions) is written beside
it as FOLDER-inventory.csv.  The values are invented, shaped like the instrument's, with
what a monitor is for planted in them (day d is 2024-03-d):

- ICE operations (secondary voltage 1 at 39.24 V, drive current 0.37 A, change-only):
  seven stretches, the first from before the range, the last past its end; on day 21 the
  current is 0.40 A (ICE power 12.4 W, beyond the yellow limit of 12.02 W).
- out-of-band days: ICE voltage 4 at 4.548 V all of day 12 (yellow 4.523-4.543); deck
  temperature T1 at 7.9 K all of day 20 (yellow 5.7-7.5); the FPE's digital 5 V at 5.04 V all
  of day 26 (yellow 4.928-5.028); the CCC position sensor supply at 293 V in its move of day
  17 (yellow 294.057-298.057); the filter wheel's ratio at 1.72 in position F2550W (yellow
  -1.6..1.6).
- heater and loop stretches that the conditions leave out: the POM heater loop on all of day
  6 (the POM temperatures at 8.3 K meanwhile), the imager calibration loop on 02:00-04:00 of
  day 2 and all morning of day 18, the IFU loop on 10:00-12:00 of day 11; the FPE off from
  day 13 to noon of day 14; a detector IDLE on day 16 08:00-20:00 and on day 22 00:00-03:00.
- dropouts: the bus voltage has a 3-hour hole on day 3 and none of day 24; the filter
  wheel's temperature none of days 7 and 8.
- filter moves: the filter wheel, both grating wheels and the CCC change position in daily
  move windows (08:00-09:00 and 20:00-20:30), their sensor supplies on only then.
- an integer command counter (IMIR_HK_ICE_CMD_CNT, not in the configuration) for the
  tests' own entries.

Noise is a fixed sum of sines (no random numbers); values are rounded to the digits the EDB
would send.

Usage: /usr/bin/python3 tests/make_miri_month.py FOLDER
"""
import json
import math
import os
import sys
from datetime import datetime, timezone

MIN = 60000
HOUR = 60 * MIN
DAY = 24 * HOUR


def ms(dt):
    return int(round(dt.timestamp() * 1000))


def at(day, hh=0, mm=0):
    """2024-03-DAY hh:mm UTC in ms (day 0 is 2024-02-29, day 31 is 2024-03-31)."""
    if day == 0:
        return ms(datetime(2024, 2, 29, hh, mm, tzinfo=timezone.utc))
    return ms(datetime(2024, 3, day, hh, mm, tzinfo=timezone.utc))


START, END = at(0, 22), at(31, 2)

OPS = [(at(0, 23), at(1, 1)), (at(4, 6), at(4, 9)), (at(9, 12), at(9, 18)),
       (at(15, 3), at(15, 4, 30)), (at(21, 8), at(21, 20)), (at(27, 10), at(27, 11)),
       (at(30, 22), at(31, 2) + 1)]
HOT_OPS = (at(21, 8), at(21, 20))
IMG_CAL_ON = [(at(2, 2), at(2, 4)), (at(18, 0), at(18, 12))]
IFU_CAL_ON = [(at(11, 10), at(11, 12))]
POM_ON = [(at(6, 0), at(7, 0))]
FPE_OFF = [(at(13, 0), at(14, 12))]
IC_IDLE = [(at(16, 8), at(16, 20))]
LW_IDLE = [(at(22, 0), at(22, 3))]
BUS_GAPS = [(at(3, 3), at(3, 6)), (at(24), at(25))]
FW_TEMP_GAP = [(at(7), at(9))]
VOLT4_DAY = [(at(12), at(13))]
T1_DAY = [(at(20), at(21))]
DIG5_DAY = [(at(26), at(27))]
CCC_LOW = [(at(17, 8), at(17, 9))]


def inside(t, spans):
    return any(a <= t < b for a, b in spans)


def noise(k, scale, phase=0.0):
    return scale * (0.6 * math.sin(0.7 * k + phase) + 0.4 * math.sin(2.3 * k + 2 * phase))


def grid(step_min, offset_min=0):
    t = START + offset_min * MIN
    while t <= END:
        yield t
        t += step_min * MIN


def moving(t):
    """Inside a daily move window: 08:00-09:00 or 20:00-20:30."""
    tod = (t - at(1)) % DAY
    return 8 * HOUR <= tod < 9 * HOUR or 20 * HOUR <= tod < 20 * HOUR + 30 * MIN


def position(t, names, shift):
    """The position of a wheel: it moves at the start of each move window, to the next of
    names (shift makes wheels differ)."""
    moves = 0
    day0 = at(1)
    if t >= day0:
        days = (t - day0) // DAY
        tod = (t - day0) % DAY
        moves = 2 * days + (1 if tod >= 8 * HOUR else 0) + (1 if tod >= 20 * HOUR else 0)
    return names[(moves + shift) % len(names)]


FW_POS = ["F560W", "F770W", "F1130W", "F2100W", "F2550W", "F1500W"]
FW_RATIO = {"F560W": -1.182, "F770W": -0.2713, "F1130W": 0.8472, "F2100W": 1.3051,
            "F2550W": 1.72, "F1500W": 0.4406}
GW_POS = ["SHORT", "MEDIUM", "LONG"]
GW14_RATIO = {"SHORT": -0.915, "MEDIUM": 0.121, "LONG": 1.034}
GW23_RATIO = {"SHORT": 0.402, "MEDIUM": -0.633, "LONG": 0.988}
CCC_POS = ["CLOSED", "OPEN"]
CCC_RATIO = {"CLOSED": -4.51, "OPEN": 4.72}

# name: (subsystem, SQL type, AllPoints, unit, description)
META = {}


def meta(name, sub, sql, allpoints, unit, desc):
    META[name] = (sub, sql, allpoints, unit, desc)


def real_series(out, name, unit, desc, level, scale, phase, step=10, offset=0, skip=(),
                override=None, digits=4, sub="MIRI"):
    """A real mnemonic every step minutes: level + noise, or what override says."""
    meta(name, sub, "REAL", 1, unit, desc)
    pts = []
    for k, t in enumerate(grid(step, offset)):
        if inside(t, skip):
            continue
        v = level + noise(k, scale, phase)
        if override:
            w = override(t, k)
            if w is not None:
                v = w
        pts.append((t, round(v, digits)))
    out[name] = pts


def string_series(out, name, desc, value, step=30):
    meta(name, "MIRI", "VARCHAR(50)", 1, "", desc)
    out[name] = [(t, value(t)) for t in grid(step)]


def series():
    out = {}
    ops = lambda t: inside(t, OPS)
    # ICE
    real_series(out, "IMIR_HK_ICE_SEC_VOLT1", "V", "ICE Secondary Voltage (HV) 1", 0.05, 0.02,
                0.0, override=lambda t, k: 39.24 + noise(k, 0.02) if ops(t) else None)
    real_series(out, "IMIR_HK_ICE_SEC_VOLT2", "V", "ICE Secondary Voltage (HV) 2", 0.1, 0.02,
                0.3, override=lambda t, k: 79.256 + noise(k, 0.05, 0.3) if ops(t) else None)
    real_series(out, "IMIR_HK_ICE_SEC_VOLT3", "V", "ICE Secondary Voltage (HV) 3", 0.06, 0.02,
                0.6, override=lambda t, k: 39.868 + noise(k, 0.01, 0.6) if ops(t) else None)

    def volt4(t, k):
        if ops(t):
            return 4.881 + noise(k, 0.005, 1.0)
        if inside(t, VOLT4_DAY):
            return 4.548 + noise(k, 0.001, 1.0)
        return None
    real_series(out, "IMIR_HK_ICE_SEC_VOLT4", "V", "ICE Secondary Voltage 4", 4.533, 0.003,
                1.0, override=volt4)
    # the drive current, change-only: a sample at each change of mode and a small drift
    meta("SE_ZIMIRICEA", "EPS", "FLOAT", 0, "A", "MIRI ICE drive current")
    ice, last = [], None
    for t in grid(10):
        level = (0.40 if inside(t, [HOT_OPS]) else 0.37) if ops(t) else 0.23
        value = round(level + 0.001 * ((t - START) // (120 * MIN) % 3), 4)
        if value != last:
            ice.append((t, value))
            last = value
    out["SE_ZIMIRICEA"] = ice
    real_series(out, "SE_ZBUSVLT", "V", "Bus voltage", 31.02, 0.05, 0.5, step=15, offset=5,
                skip=BUS_GAPS, digits=3, sub="EPS")
    string_series(out, "IMIR_HK_IMG_CAL_LOOP", "Imager calibration source control loop",
                  lambda t: "ON" if inside(t, IMG_CAL_ON) else "OFF")
    string_series(out, "IMIR_HK_IFU_CAL_LOOP", "IFU calibration source control loop",
                  lambda t: "ON" if inside(t, IFU_CAL_ON) else "OFF")
    string_series(out, "IMIR_HK_POM_LOOP", "POM heater control loop",
                  lambda t: "ON" if inside(t, POM_ON) else "OFF")
    real_series(out, "IGDP_MIR_ICE_INTER_TEMP", "C", "ICE internal temperature", 15.0, 0.3, 0.2)
    real_series(out, "ST_ZTC1MIRIA", "C", "MIRI/DITCE Panel Temperature A", 20.0, 0.2, 0.4,
                sub="THERMAL")
    cryo = ["T1P_CRYO", "T2R_CRYO", "T3LW_CRYO", "T4SW_CRYO", "T5IMG_CRYO", "T6DECKCRYO",
            "T7IOC_CRYO", "FW_CRYO", "CCC_CRYO", "GW14_CRYO", "GW23_CRYO", "POMP_CRYO",
            "POMR_CRYO", "IFU_CRYO", "IMG_CRYO"]
    for q, c in enumerate(cryo):
        name = "IGDP_MIR_ICE_" + c

        def over(t, k, c=c):
            if c == "T1P_CRYO" and inside(t, T1_DAY):
                return 7.9 + noise(k, 0.02)
            if c in ("POMP_CRYO", "POMR_CRYO") and inside(t, POM_ON):
                return 8.3 + noise(k, 0.02)
            return None
        real_series(out, name, "K", "ICE " + c + " temperature", 6.5 + 0.05 * q, 0.04,
                    0.1 * q, skip=FW_TEMP_GAP if c == "FW_CRYO" else (), override=over)
    # FPE
    real_series(out, "SE_ZIMIRFPEA", "A", "MIRI FPE current", 0.92, 0.005, 0.7,
                override=lambda t, k: 0.0 if inside(t, FPE_OFF) else None, sub="EPS")
    for det, idle in (("IC", IC_IDLE), ("LW", LW_IDLE), ("SW", [])):
        string_series(out, "IGDP_IT_MIR_%s_STATUS" % det, "%s detector status" % det,
                      lambda t, idle=idle: "IDLE" if inside(t, idle) else "DETECTOR_READY")
    pdu = [("IMIR_PDU_V_DIG_5V", "V", 4.978, 0.01), ("IMIR_PDU_I_DIG_5V", "A", 0.512, 0.002),
           ("IMIR_PDU_V_ANA_5V", "V", 4.991, 0.01), ("IMIR_PDU_I_ANA_5V", "A", 0.331, 0.002),
           ("IMIR_PDU_V_ANA_N5V", "V", -5.023, 0.01), ("IMIR_PDU_I_ANA_N5V", "A", -0.298, 0.002),
           ("IMIR_PDU_V_ANA_7V", "V", 6.953, 0.01), ("IMIR_PDU_I_ANA_7V", "A", 0.121, 0.002),
           ("IMIR_PDU_V_ANA_N7V", "V", -6.943, 0.01), ("IMIR_PDU_I_ANA_N7V", "A", -0.118, 0.002),
           ("IMIR_SPW_V_DIG_2R5V", "V", 2.5043, 0.005), ("IMIR_PDU_V_REF_2R5V", "V", 2.5001,
                                                         0.001)]
    for q, (name, unit, level, scale) in enumerate(pdu):
        over = None
        if name == "IMIR_PDU_V_DIG_5V":
            over = lambda t, k: 5.04 + noise(k, 0.002) if inside(t, DIG5_DAY) else None
        real_series(out, name, unit, "FPE " + name[5:], level, scale, 0.3 * q, override=over)
    for q, det in enumerate(("IC", "SW", "LW")):
        for b, lvl in (("VDETCOM", -2.1), ("VSSOUT", 0.9), ("VRSTOFF", -3.3), ("VP", -4.2),
                       ("VDDUC", -3.9)):
            real_series(out, "IGDP_MIR_%s_V_%s" % (det, b), "V", "%s %s bias" % (det, b),
                        lvl + 0.01 * q, 0.002, 0.5 * q)
        real_series(out, "IGDP_MIR_%s_DET_TEMP" % det, "K", "%s detector temperature" % det,
                    6.7 + 0.01 * q, 0.005, 0.2 * q)
        real_series(out, "IMIR_%s_SCE_ANA_TEMP1" % det, "K", "%s SCE analogue temperature" % det,
                    295.0 + q, 0.3, 0.1 * q)
        real_series(out, "IMIR_%s_SCE_DIG_TEMP" % det, "K", "%s SCE digital temperature" % det,
                    297.0 + q, 0.3, 0.3 * q)
    real_series(out, "IMIR_PDU_TEMP", "K", "PDU temperature", 300.0, 0.5, 0.9)
    real_series(out, "ST_ZTC2MIRIA", "C", "MIRI/DITCE Panel Temperature B", 21.0, 0.2, 0.8,
                sub="THERMAL")
    # wheels: positions, sensor supplies (on only while moving), ratios
    wheels = [("FW", FW_POS, FW_RATIO, 296.79, 0), ("GW14", GW_POS, GW14_RATIO, 291.62, 1),
              ("GW23", GW_POS, GW23_RATIO, 293.503, 2), ("CCC", CCC_POS, CCC_RATIO, 296.057, 0)]
    for q, (w, names, ratio, supply, shift) in enumerate(wheels):
        pos = "IMIR_HK_%s_CUR_POS" % w
        meta(pos, "MIRI", "VARCHAR(50)", 1, "", "%s current position" % w)
        out[pos] = [(t, position(t, names, shift)) for t in grid(10)]

        def volt(t, k, w=w, supply=supply):
            if not moving(t):
                return None
            if w == "CCC" and inside(t, CCC_LOW):
                return 293.0 + noise(k, 0.1)
            return supply + noise(k, 0.4, 0.2)
        real_series(out, "IMIR_HK_%s_POS_VOLT" % w, "V", "%s position sensor supply" % w, 0.01,
                    0.005, 0.1 * q, override=volt, digits=3)
        real_series(out, "IMIR_HK_%s_POS_RATIO" % w, "", "%s position ratio" % w, 0.0, 0.0005,
                    2.0 + q, digits=5,
                    override=lambda t, k, names=names, ratio=ratio, shift=shift:
                    ratio[position(t, names, shift)] + noise(k, 0.0005, 2.0))
    # an integer counter, for the tests' own entries
    meta("IMIR_HK_ICE_CMD_CNT", "MIRI", "INT", 1, "", "ICE commands accepted")
    cnt, n = [], 0
    for t in grid(30):
        if any(a <= t < a + 30 * MIN for a, _ in OPS):
            n += 1
        cnt.append((t, n))
    out["IMIR_HK_ICE_CMD_CNT"] = cnt
    return out


def number(v):
    # the shortest text that reads back as the same double, as the EDB's JSON has it
    return repr(v)


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: make_miri_month.py FOLDER")
    store = sys.argv[1]
    os.makedirs(store, exist_ok=True)
    data = series()
    names = sorted(data)
    m = {"Count": len(names), "TlmMnemonics": [
        {"TlmMnemonic": n, "Subsystem": META[n][0], "RawType": "FL32", "EUType": "FL32",
         "SQLType": META[n][1], "AllPoints": META[n][2]} for n in names]}
    with open(os.path.join(store, "meta.json"), "w") as f:
        json.dump(m, f)
    for name in names:
        parts = []
        for t, v in data[name]:
            val = json.dumps(v) if isinstance(v, str) else number(v)
            parts.append('{"ObsTime": "/Date(%d+0000)/", "EUValue": %s}' % (t, val))
        text = ('{"TlmMnemonic": "%s", "AllPoints": %d, "Count": %d, "Data": [%s]}'
                % (name, META[name][2], len(data[name]), ", ".join(parts)))
        with open(os.path.join(store, name.lower() + "_data.json"), "w") as f:
            f.write(text)
    with open(store.rstrip("/") + "-inventory.csv", "w") as f:
        f.write("description,sqlDataType,subsystem,tlmIdentifier,tlmMnemonic,unit\n")
        for k, n in enumerate(names):
            sub, sql, _, unit, desc = META[n]
            f.write('"%s",%s,%s,%d,%s,%s\n' % (desc, sql.lower(), sub, 910001 + k, n, unit))


if __name__ == "__main__":
    main()
