#!/bin/sh
# Builds the libFuzzer target for the SDP library (parse, print, offer/answer)
# (tests/fuzz/sdp_fuzz.c) with clang, ASan and UBSan, into the output directory given as $1
# (default: ./fuzz-out). It builds; it does not run:
#   tests/fuzz/build-sdp-fuzz.sh /tmp/fz && /tmp/fz/sdp_fuzz -max_total_time=300 \
#       /tmp/fz/corpus tests/fuzz/sdp/corpus
set -eu
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
out=${1:-fuzz-out}
CC=${CC:-clang}
mkdir -p "$out/corpus"
# shellcheck disable=SC2046
$CC -g -O1 -std=gnu11 -Wall -Wextra -Werror \
	-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
	-I"$top/include" $(pkg-config --cflags glib-2.0) \
	"$top"/lib/sdp/sdp_*.c "$here/sdp_fuzz.c" \
	$(pkg-config --libs glib-2.0) -o "$out/sdp_fuzz"
echo "built $out/sdp_fuzz; seed corpus: $here/sdp/corpus"
