#!/bin/bash
# fd_exhaust.sh: out of file descriptors, the daemon neither spins nor stops. Started with an
# open-file limit of 64 it says at start that sip.tcp_max_connections cannot be met; 100
# connections and a control client then run it out of descriptors: it pauses accepting
# (one log line each, little CPU), keeps answering over UDP, and accepts again once
# descriptors are free.
. "$(dirname "$0")/../integration/lib.sh"

require_tools python3

crossbar_names fd
PORT=$fd_PORT
# A hard limit of 64 for the daemon alone (it raises its soft limit to the hard one).
cat >"$TMP/crossbar-limited" <<SH
#!/bin/sh
ulimit -n 64 || exit 1
exec "$BUILD/core/crossbar" "\$@"
SH
chmod +x "$TMP/crossbar-limited"
CROSSBAR=$TMP/crossbar-limited
check "the daemon starts with 64 descriptors" start_crossbar fd sip,registrar --set sip.tcp_idle_timeout=30 \
	--set sip.tcp_first_message_timeout=30
check "it says at start that the connection cap cannot be met" \
	grep -q "sip.tcp_max_connections=4096 cannot be met: the open-file limit is 64" "$TMP/fd.log"

PYTHONPATH=$SRC/tests/security timeout 60 python3 - "$PORT" "$fd_PID" "$SOCK" "$TMP/fd.log" >"$TMP/fd.out" 2>&1 <<'PY'
import os, socket, sys, time
from attack import cpu_ticks, options_ok
port, pid, sock, log = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4]
conns = []
for _ in range(100):
    s = socket.socket()
    s.connect(("127.0.0.1", port))  # completes in the backlog even when not accepted
    conns.append(s)
# Once the daemon is out of descriptors, a control client waits in its backlog too, as
# crossbar-cli would.
for _ in range(100):
    if "cannot accept tcp" in open(log).read():
        break
    time.sleep(0.1)
u = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
u.connect(sock)
conns.append(u)
time.sleep(0.5)
t0, c0 = time.monotonic(), cpu_ticks(pid)
time.sleep(2.0)
used = (cpu_ticks(pid) - c0) / os.sysconf("SC_CLK_TCK") / (time.monotonic() - t0)
print(f"cpu {used * 100:.0f}")
print("udp", "yes" if options_ok(port, "udp") else "no")
# Counted while still out of descriptors: once they are freed, the closed connections still in
# the backlog are accepted in a burst that may run short again, a new episode of its own.
text = open(log).read()
print("pauses", text.count("cannot accept tcp connections"))
print("control_pauses", text.count("control: cannot accept"))
for s in conns:
    s.close()
ok = False
for _ in range(40):
    time.sleep(0.25)
    if options_ok(port, "tcp"):
        ok = True
        break
print("tcp", "yes" if ok else "no")
PY
sed 's/^/# /' "$TMP/fd.out"
cpu=$(awk '/^cpu/ {print $2}' "$TMP/fd.out")
if [ -n "$cpu" ] && [ "$cpu" -lt 30 ]; then ok "out of descriptors, the daemon does not spin (${cpu}% of a core)"
else not_ok "out of descriptors, the daemon does not spin (${cpu:-?}% of a core)"; fi
check "it logged the pause once" grep -qx "pauses 1" "$TMP/fd.out"
check "the control socket paused too, logged once" grep -qx "control_pauses 1" "$TMP/fd.out"
check "UDP is answered meanwhile" grep -q "^udp yes" "$TMP/fd.out"
check "once descriptors are free it accepts again and answers over TCP" grep -q "^tcp yes" "$TMP/fd.out"
check "... and says so" grep -q "accepting tcp connections on 127.0.0.1:$PORT again" "$TMP/fd.log"
check "the daemon still answers crossbar-cli" "$CLI" --socket "$SOCK" status
done_testing
