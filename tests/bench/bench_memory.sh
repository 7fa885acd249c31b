#!/usr/bin/env bash
# Peak memory (and time) of `edbx get` over N numeric samples of one mnemonic on every path:
# a folder of saved path A replies, the jwst layout, both as .tar.xz archives, the network
# (edbx serve on 127.0.0.1: path A, path B, EDP), and the reply cache.  Prints figures
# only, against issue 17's target (peak RSS <= 1.5 x the decoded arrays + 16 MB); never
# fails on time or memory.
#   tests/bench/bench_memory.sh [EDBX] [N] [FORMAT]   (defaults: build/release/edbx 1000000 csv)
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
E=${1:-$top/build/release/edbx}
N=${2:-1000000}
X=${3:-csv}
W=$(mktemp -d "${TMPDIR:-/tmp}/edbx-bench-memory.XXXXXX")
SP=
trap '[ -n "$SP" ] && kill "$SP" 2>/dev/null; rm -rf "$W"' EXIT
/usr/bin/python3 - "$N" "$W" <<'PY'
import datetime, json, os, sys
n = int(sys.argv[1]); out = sys.argv[2]
os.makedirs(out + '/saved'); os.makedirs(out + '/jwst')
t0 = 1640995200000  # 2022-01-01, ms; a sample every 256 ms
span = (256 * n) // 86400000 + 1
end = datetime.datetime(2022, 1, 1) + datetime.timedelta(days=span)
with open(out + '/end', 'w') as f:
    f.write(end.strftime('%Y-%m-%d'))
name = 'SA_ZATTEST2-20220101T000000-%s.csv' % end.strftime('%Y%m%dT000000')
with open(out + '/saved/' + name, 'w', newline='') as f:
    f.write('theTime,MJD,euvalue,sqldataType\r\n')
    for i in range(n):
        ms = 256 * (i + 1)
        d = datetime.datetime.utcfromtimestamp((t0 + ms) / 1000)
        f.write('%s,%.10f,%.10f,real\r\n' % (d.strftime('%Y-%m-%d %H:%M:%S.%f'),
                                             59580.0 + ms / 86400000.0, 0.123456789 + (i % 1000) * 1e-4))
with open(out + '/jwst/sa_zattest2_data.json', 'w') as f:
    f.write('{"TlmMnemonic": "SA_ZATTEST2", "AllPoints": 1, "Count": %d, "Data": [' % n)
    for i in range(n):
        f.write('%s{"ObsTime": "/Date(%d+0000)/", "EUValue": %.10f}' % (', ' if i else '',
                t0 + 256 * (i + 1), 0.123456789 + (i % 1000) * 1e-4))
    f.write(']}')
json.dump({"Count": 1, "TlmMnemonics": [{"TlmMnemonic": "SA_ZATTEST2", "Subsystem": "ACS",
           "RawType": "FL32", "EUType": "FL32", "SQLType": "REAL", "AllPoints": 1}]},
          open(out + '/jwst/meta.json', 'w'))
PY
(cd "$W/saved" && tar -cJf ../saved.tar.xz .)
(cd "$W/jwst" && tar -cJf ../jwst.tar.xz .)
Q=(SA_ZATTEST2 --start 2022-01-01 --end "$(cat "$W/end")" -q --no-meta)
# decoded arrays: 8-byte times and 8-byte values
arrays_kb=$((N * 16 / 1024))
target_kb=$((arrays_kb * 3 / 2 + 16384))
printf '%-26s %8s %10s %10s\n' path seconds "peak MB" "target MB"
run() {
    local name=$1; shift
    if /usr/bin/time -f '%e %M' -o "$W/time" "$@" > /dev/null 2> "$W/err"; then
        read -r s kb < <(tail -1 "$W/time")
        printf '%-26s %8s %10.1f %10.1f%s\n' "$name" "$s" "$(echo "$kb/1024" | bc -l)" \
            "$(echo "$target_kb/1024" | bc -l)" "$([ "$kb" -le "$target_kb" ] && echo '' || echo '  over')"
    else
        printf '%-26s failed: %s\n' "$name" "$(head -1 "$W/err")"
    fi
}
run "saved replies (folder)" "$E" get "${Q[@]}" --source "$W/saved" -o "$W/o.$X"
run "jwst layout (folder)" "$E" get "${Q[@]}" --source "$W/jwst" -o "$W/o.$X"
run "saved replies (.tar.xz)" "$E" get "${Q[@]}" --source "$W/saved.tar.xz" -o "$W/o.$X"
run "jwst layout (.tar.xz)" "$E" get "${Q[@]}" --source "$W/jwst.tar.xz" -o "$W/o.$X"
serve() {
    "$E" serve "$1" --port 0 > "$W/addr" 2> /dev/null & SP=$!
    for _ in $(seq 100); do grep -q http "$W/addr" 2> /dev/null && break; sleep 0.1; done
    URL=$(grep -o 'http://127.0.0.1:[0-9]*/' "$W/addr" | head -1)
}
export MAST_API_TOKEN=bench-token
serve "$W/saved"
run "network, path A" "$E" get "${Q[@]}" --base-url "$URL" --no-cache -o "$W/o.$X"
"$E" get "${Q[@]}" --base-url "$URL" --cache "$W/cache" -o "$W/o.$X"
run "reply cache (--offline)" "$E" get "${Q[@]}" --base-url "$URL" --cache "$W/cache" --offline -o "$W/o.$X"
kill "$SP"; wait "$SP" 2> /dev/null || true
serve "$W/jwst"
run "network, path B (JSON)" "$E" get "${Q[@]}" --api direct --base-url "${URL}JWDMSEngFqAcc/TlmMnemonicDataSrv.svc/" --no-cache -o "$W/o.$X"
run "network, EDP (JSON)" "$E" get "${Q[@]}" --api edp --base-url "$URL" --no-cache -o "$W/o.$X"
kill "$SP"; wait "$SP" 2> /dev/null || true
SP=
echo "($N samples to $X; target: 1.5 x $((arrays_kb / 1024)) MB of arrays + 16 MB)"
