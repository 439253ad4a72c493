#!/bin/sh
# tests/fuzz/build-sip-fuzz.sh: builds the libFuzzer target of mod_sip's message layer outside
# automake (clang, ASan + UBSan). It only builds; run the result yourself, e.g.
#   tests/fuzz/build-sip-fuzz.sh /tmp/fz && /tmp/fz/sip_parse_fuzz -max_total_time=600 \
#       /tmp/fz/corpus tests/fuzz/sip/corpus
set -eu
out=${1:?usage: $0 OUTDIR}
src=$(cd "$(dirname "$0")/../.." && pwd)
CC=${CC:-clang}
mkdir -p "$out" "$out/corpus"
# shellcheck disable=SC2046
$CC -g -O1 -fno-omit-frame-pointer -fsanitize=fuzzer,address,undefined \
	-fno-sanitize-recover=undefined -Wall -Wextra -I"$src" \
	$(pkg-config --cflags glib-2.0) \
	"$src"/tests/fuzz/sip_parse_fuzz.c \
	"$src"/modules/sip/addr.c "$src"/modules/sip/auth.c "$src"/modules/sip/build.c \
	"$src"/modules/sip/frame.c "$src"/modules/sip/header.c "$src"/modules/sip/hval.c \
	"$src"/modules/sip/key.c "$src"/modules/sip/method.c "$src"/modules/sip/parse.c \
	"$src"/modules/sip/pl.c "$src"/modules/sip/print.c "$src"/modules/sip/uri.c \
	"$src"/modules/sip/uri_cmp.c "$src"/modules/sip/validate.c "$src"/modules/sip/via.c \
	$(pkg-config --libs glib-2.0) -o "$out/sip_parse_fuzz"
echo "built $out/sip_parse_fuzz"
