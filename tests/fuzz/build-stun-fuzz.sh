#!/bin/sh
# Builds the STUN/TURN libFuzzer target (tests/fuzz/stun_fuzz.c) with clang, ASan and UBSan,
# into the output directory given as $1 (default: ./fuzz-out). It builds; it does not run:
#   tests/fuzz/build-stun-fuzz.sh /tmp/fz && /tmp/fz/stun_fuzz -max_total_time=300 \
#       /tmp/fz/corpus tests/fuzz/stun/corpus
set -eu
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
out=${1:-fuzz-out}
CC=${CC:-clang}
mkdir -p "$out/corpus"
# shellcheck disable=SC2046
$CC -g -O1 -std=gnu11 -Wall -Wextra \
	-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
	-I"$top/include" $(pkg-config --cflags glib-2.0 openssl) \
	"$top"/lib/stun/stun_*.c "$here/stun_fuzz.c" \
	$(pkg-config --libs glib-2.0 openssl) -o "$out/stun_fuzz"
echo "built $out/stun_fuzz; seed corpus: $here/stun/corpus"
