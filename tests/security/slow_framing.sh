#!/bin/bash
# slow_framing.sh: a message sent an octet at a time costs the loop time in proportion to its
# length, not to its square: the framer resumes where it stopped. 60 KB of bare line feeds
# (never a header end) go an octet per segment; the daemon's CPU for it stays small, and it
# answers afterwards.
. "$(dirname "$0")/../integration/lib.sh"

require_tools python3

crossbar_names slow
PORT=$slow_PORT
check "the daemon starts" start_crossbar slow sip,registrar

PYTHONPATH=$SRC/tests/security timeout 120 python3 - "$PORT" "$slow_PID" >"$TMP/slow.out" 2>&1 <<'PY'
import os, socket, sys, time
from attack import cpu_ticks, options_ok
port, pid = int(sys.argv[1]), int(sys.argv[2])
tck = os.sysconf("SC_CLK_TCK")
s = socket.socket()
s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
s.connect(("127.0.0.1", port))
s.sendall(b"OPTIONS sip:x@127.0.0.1 SIP/2.0\r\n")
c0, t0 = cpu_ticks(pid), time.monotonic()
for i in range(60000):
    s.send(b"\n")
    if i % 64 == 0:
        time.sleep(0)  # let the daemon read small pieces, as a real trickle would
time.sleep(0.5)
print(f"cpu_ms {(cpu_ticks(pid) - c0) * 1000 // tck}")
print(f"took_s {time.monotonic() - t0:.1f}")
print("answers", "yes" if options_ok(port, "tcp") and options_ok(port, "udp") else "no")
PY
sed 's/^/# /' "$TMP/slow.out"
ms=$(awk '/^cpu_ms/ {print $2}' "$TMP/slow.out")
# Quadratic rescanning cost about 940 ms here; linear framing costs the per-read overhead
# only (tens of ms; a few hundred under ASan, whose every read and memchr is checked).
if [ -n "$ms" ] && [ "$ms" -lt 600 ]; then ok "60 KB an octet at a time cost the daemon ${ms} ms of CPU"
else not_ok "60 KB an octet at a time cost the daemon ${ms:-?} ms of CPU (want < 600)"; fi
check "the daemon answers afterwards" grep -q "^answers yes" "$TMP/slow.out"
done_testing
