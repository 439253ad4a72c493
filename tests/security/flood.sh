#!/bin/bash
# flood.sh: a flood of large requests leaves the daemon's memory bounded (RFC 3261 §8.2.2.2
# merged-request table, §17.2 server transactions). 5,000 OPTIONS over UDP, each about
# 24 KB (an 8 KB From tag, Call-ID and branch), paced by the answers (at most 32
# unanswered) and bounded in time. Without bounds they would hold about 300 MB: the
# merged-request table kept every key (24 KB each) and every finished transaction kept its
# 8 KB key and 24 KB response for Timer J (32 s). The table now keeps a fixed-size keyed
# hash per request and the transactions at most sip.max_transaction_memory (default 64 MB),
# so the daemon's RSS may grow by at most 96 MB: the 64 MB cap, the requests and responses
# in flight, and malloc's slack. An ASan build keeps freed memory in quarantine (limited to
# 16 MB here through ASAN_OPTIONS) and adds redzones and shadow memory: the bound is then
# twice as large. Afterwards the daemon answers OPTIONS and `sip status` shows the caps.
. "$(dirname "$0")/../integration/lib.sh"

require_tools python3

COUNT=5000
SIZE=8000
LIMIT_MB=96
if grep -q -- '-fsanitize=address' "$BUILD/Makefile" 2>/dev/null; then
	LIMIT_MB=$((LIMIT_MB * 2))
	export ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=16
fi
export PYTHONPATH="$SRC/tests/security${PYTHONPATH:+:$PYTHONPATH}"

crossbar_names flood
PORT=$flood_PORT
check "the daemon starts" start_crossbar flood sip --set sip.listen=udp:127.0.0.1:$PORT \
	--set core.log_level=warning

python3 - "$PORT" <<'PY' >"$TMP/warm.out" 2>&1 # a few small requests first: allocator warm
import sys
from attack import sip_request, udp_status
for i in range(20):
    udp_status(int(sys.argv[1]), sip_request("OPTIONS", int(sys.argv[1])))
PY

timeout 150 python3 "$SRC/tests/security/flood.py" "$PORT" "$flood_PID" "$COUNT" "$SIZE" \
	>"$TMP/flood.out" 2>&1
sed 's/^/# /' "$TMP/flood.out"
read -r _ sent answered before after < <(grep '^RESULT' "$TMP/flood.out") || true
sent=${sent:-0} answered=${answered:-0} before=${before:-0} after=${after:-0}
grow_kb=$((after - before))
if [ "$sent" -eq "$COUNT" ] && [ "$answered" -ge $((COUNT * 9 / 10)) ]; then
	ok "$COUNT large OPTIONS sent, $answered answered 200"
else
	not_ok "$COUNT large OPTIONS sent, most answered 200 (sent $sent, answered $answered)"
fi
if [ "$before" -gt 0 ] && [ "$grow_kb" -lt $((LIMIT_MB * 1024)) ]; then
	ok "RSS grew by $((grow_kb / 1024)) MB, under $LIMIT_MB MB"
else
	not_ok "RSS grew by $((grow_kb / 1024)) MB, under $LIMIT_MB MB ($before -> $after KiB)"
fi

"$CLI" --socket "$SOCK" --json sip status >"$TMP/status.json" 2>&1
sed 's/^/# /' "$TMP/status.json"
check "sip status keeps server transactions within their byte cap" python3 -c '
import json, sys
s = json.load(open(sys.argv[1]))
s = s.get("record", s)
assert s["max_server_transaction_bytes"] == 64 << 20, s
assert s["server_transaction_bytes"] <= s["max_server_transaction_bytes"] + (64 << 10), s
assert s["transactions_evicted"] > 0, s
assert s["merged_table_entries"] <= s["max_merged_table_entries"], s
assert s["merged_table_bytes"] < 200 * s["merged_table_entries"] + 4096, s
' "$TMP/status.json"

check "the daemon answers OPTIONS after the flood" python3 -c '
import sys
from attack import sip_request, udp_status
st = udp_status(int(sys.argv[1]), sip_request("OPTIONS", int(sys.argv[1])))
assert st == "SIP/2.0 200 OK", st
' "$PORT"
check "the daemon is still running" kill -0 "$flood_PID"
done_testing
