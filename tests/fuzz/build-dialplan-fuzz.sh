#!/bin/sh
# tests/fuzz/build-dialplan-fuzz.sh: builds the libFuzzer target of the dialplan compiler
# (core/dialplan/) outside automake (clang, ASan + UBSan), with the schemas compiled in as
# libcrossbar carries them. It only builds; run the result yourself, e.g.
#   tests/fuzz/build-dialplan-fuzz.sh /tmp/fz && /tmp/fz/dialplan_fuzz -max_total_time=600 \
#       /tmp/fz/corpus tests/fuzz/dialplan/corpus
set -eu
out=${1:?usage: $0 OUTDIR}
src=$(cd "$(dirname "$0")/../.." && pwd)
CC=${CC:-clang}
mkdir -p "$out" "$out/corpus"
glib-compile-resources --sourcedir="$src/core" --sourcedir="$src/dialplans" --generate-source \
	--c-name xb --target="$out/resources.c" "$src/core/crossbar.gresource.xml"
# shellcheck disable=SC2046
$CC -g -O1 -fno-omit-frame-pointer -fsanitize=fuzzer,address,undefined \
	-fno-sanitize-recover=undefined -Wall -Wextra -Wno-unused-parameter \
	-I"$src/include" -I"$src" $(pkg-config --cflags glib-2.0 gio-2.0 libxml-2.0) \
	"$src"/tests/fuzz/dialplan_fuzz.c "$src"/core/dialplan/compile.c \
	"$src"/core/dialplan/timespec.c "$src"/core/dialplan/hunt.c "$src"/core/xml.c \
	"$out/resources.c" \
	$(pkg-config --libs glib-2.0 gio-2.0 libxml-2.0) -o "$out/dialplan_fuzz"
echo "built $out/dialplan_fuzz"
