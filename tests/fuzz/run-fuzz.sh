#!/bin/bash
# run-fuzz.sh OUTDIR SECONDS SEEDS: runs the one libFuzzer binary built into OUTDIR for
# SECONDS on a scratch corpus grown from the seed folder; exits non-zero on any crash,
# leak, timeout or sanitizer report (libFuzzer's own exit status).
set -eu
out=$1
seconds=$2
seeds=$3
bin=$(find "$out" -maxdepth 1 -type f -name '*_fuzz' -perm -u+x | head -1)
[ -n "$bin" ] || { echo "no fuzz binary in $out"; exit 1; }
mkdir -p "$out/corpus"
exec "$bin" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
	"$out/corpus" "$seeds"
