#!/bin/bash
# overload.sh: when the daemon falls behind on UDP it sheds new work early and cheaply, and
# serves again once it has caught up. The test stops the daemon (SIGSTOP) while requests
# queue in its socket and resumes it, so the wait it judges is known without any timing
# assertion: requests that waited over 400 ms are dropped unparsed (new ones without
# credentials), those that waited 250-400 ms get a stateless 503 with Retry-After
# (§21.5.4), built from their raw lines with a To tag and the top Via stamped. Afterwards a REGISTER with digest succeeds and OPTIONS gets 200, and `sip
# status` counts what was dropped and shed.
. "$(dirname "$0")/../integration/lib.sh"

require_tools sipp python3 # Debian package sip-tester
export PYTHONPATH="$SRC/tests/security${PYTHONPATH:+:$PYTHONPATH}"

crossbar_names over
PORT=$over_PORT
check "the daemon starts" start_crossbar over sip,registrar --set sip.listen=udp:127.0.0.1:$PORT \
	--set registrar.realm=pbx.test --set registrar.demo_users=no \
	--set registrar.digest_algorithms=MD5,SHA-256 --set core.log_level=warning
"$CLI" --socket "$SOCK" user add 3000 --password pw-3000-overload >/dev/null

timeout 60 python3 "$SRC/tests/security/overload.py" "$PORT" "$over_PID" >"$TMP/over.out" 2>&1
sed 's/^/# /' "$TMP/over.out"
kill -CONT "$over_PID" 2>/dev/null # whatever happened to the script
read -r _ far < <(grep '^FAR ' "$TMP/over.out") || true
read -r _ n503 retry_after < <(grep '^NEAR ' "$TMP/over.out") || true
if [ -n "${far:-}" ] && [ "$far" -lt 300 ]; then
	ok "requests that waited 700 ms are dropped unanswered ($far of 300 answered)"
else
	not_ok "requests that waited 700 ms are dropped unanswered (${far:-?} of 300 answered)"
fi
if [ "${retry_after:-0}" -gt 0 ]; then
	ok "requests that waited 300 ms get a well-formed stateless 503 with Retry-After ($retry_after)"
else
	not_ok "requests that waited 300 ms get a well-formed stateless 503 with Retry-After (${n503:-0} 503s)"
fi

"$CLI" --socket "$SOCK" --json sip status >"$TMP/status.json" 2>&1
sed 's/^/# /' "$TMP/status.json"
check "sip status counts the dropped and the shed requests" python3 -c '
import json, sys
s = json.load(open(sys.argv[1]))["record"]
assert s["requests_dropped_behind"] > 0 and s["requests_shed_503"] > 0, s
' "$TMP/status.json"

printf 'SEQUENTIAL\n3000;pw-3000-overload;\n' >"$TMP/user.csv"
check "a REGISTER with digest succeeds afterwards" timeout 30 sipp \
	-sf "$SRC/tests/bench/register/register.xml" -inf "$TMP/user.csv" -m 1 -l 1 \
	-i 127.0.0.1 -p "$(free_port)" -timeout 15 -timeout_error -trace_err \
	-error_file "$TMP/reg.err" 127.0.0.1:$PORT
check "the registration is stored" bash -c "'$CLI' --socket '$SOCK' registrations | grep -q '^3000 '"
check "the daemon answers OPTIONS afterwards" python3 -c '
import sys
from attack import sip_request, udp_status
st = udp_status(int(sys.argv[1]), sip_request("OPTIONS", int(sys.argv[1])))
assert st == "SIP/2.0 200 OK", st
' "$PORT"
done_testing
