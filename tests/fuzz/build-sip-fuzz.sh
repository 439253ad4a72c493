#!/bin/sh
# tests/fuzz/build-sip-fuzz.sh: builds the libFuzzer target of the SIP message library
# (lib/sip/) outside automake (clang, ASan + UBSan). It only builds; run the result yourself, e.g.
#   tests/fuzz/build-sip-fuzz.sh /tmp/fz && /tmp/fz/sip_parse_fuzz -max_total_time=600 \
#       /tmp/fz/corpus tests/fuzz/sip/corpus
set -eu
out=${1:?usage: $0 OUTDIR}
src=$(cd "$(dirname "$0")/../.." && pwd)
CC=${CC:-clang}
mkdir -p "$out" "$out/corpus"
# shellcheck disable=SC2046
$CC -g -O1 -fno-omit-frame-pointer -fsanitize=fuzzer,address,undefined \
	-fno-sanitize-recover=undefined -Wall -Wextra -I"$src/include" \
	$(pkg-config --cflags glib-2.0) \
	"$src"/tests/fuzz/sip_parse_fuzz.c \
	"$src"/lib/sip/addr.c "$src"/lib/sip/auth.c "$src"/lib/sip/build.c \
	"$src"/lib/sip/frame.c "$src"/lib/sip/header.c "$src"/lib/sip/hval.c \
	"$src"/lib/sip/key.c "$src"/lib/sip/method.c "$src"/lib/sip/parse.c \
	"$src"/lib/sip/pl.c "$src"/lib/sip/print.c "$src"/lib/sip/uri.c \
	"$src"/lib/sip/uri_cmp.c "$src"/lib/sip/validate.c "$src"/lib/sip/via.c \
	"$src"/lib/sip/shed.c \
	$(pkg-config --libs glib-2.0) -o "$out/sip_parse_fuzz"
echo "built $out/sip_parse_fuzz"
