#!/bin/sh
# Builds the libFuzzer target for RTP headers, RFC 4733 and the receiver statistics of lib/rtp/
# (tests/fuzz/rtp_fuzz.c) with clang, ASan and UBSan, into the output directory given as $1
# (default: ./fuzz-out). It builds; it does not run:
#   tests/fuzz/build-rtp-fuzz.sh /tmp/fz && /tmp/fz/rtp_fuzz -max_total_time=300 \
#       /tmp/fz/corpus tests/fuzz/rtp/corpus
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
	"$top"/lib/rtp/rtp_*.c "$top"/lib/rtp/rtcp.c "$here/rtp_fuzz.c" \
	$(pkg-config --libs glib-2.0) -o "$out/rtp_fuzz"
echo "built $out/rtp_fuzz; seed corpus: $here/rtp/corpus"
