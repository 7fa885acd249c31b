#!/bin/sh
# cmake --install into a temporary prefix, then build and run a small program against the
# installed headers and libraries found through pkg-config, and run the installed edbx.
set -eu
build=$1; cc=$2; extra=${3:-}
prefix=$(mktemp -d)
trap 'rm -rf "$prefix"' EXIT
cmake --install "$build" --prefix "$prefix" >/dev/null
for f in bin/edbx include/edb/edb.h include/edb/writer.h lib/libedb.a lib/libedbfmt.a \
         lib/pkgconfig/edb.pc share/man/man1/edbx.1; do
  [ -f "$prefix/$f" ] || { echo "not installed: $f"; exit 1; }
done
cat >"$prefix/use.c" <<'C'
#include <edb/edb.h>
#include <edb/writer.h>
#include <stdio.h>
int main(void)
{
    edb_time t;
    edb_err e = EDB_ERR_INIT;
    if (edb_time_parse("2022-025T12:00:00", 0, &t, &e) != EDB_OK) return 1;
    char b[EDB_TIME_STRLEN];
    edb_time_format_iso(t, b, sizeof b);
    printf("%s %s %s\n", b, edb_version(), edb_format_from_path("x.csv"));
    return 0;
}
C
export PKG_CONFIG_PATH="$prefix/lib/pkgconfig"
# shellcheck disable=SC2046,SC2086
"$cc" $extra "$prefix/use.c" -o "$prefix/use" $(pkg-config --cflags --libs edb)
out=$("$prefix/use")
[ "$out" = "2022-01-25T12:00:00.000 0.1.0 csv" ] || { echo "unexpected: $out"; exit 1; }
v=$("$prefix/bin/edbx" --version)
[ "$v" = "edbx 0.1.0" ] || { echo "unexpected: $v"; exit 1; }
echo "1 passed, 0 failed"
