#!/bin/bash
# turn_refuse.sh: what mod_turn must refuse: a wrong password and
# an expired time-limited credential (401, RFC 8489 §9.2.4), peers on loopback with
# turn.allow_loopback_peers off, also written as IPv4-mapped IPv6 (403, RFC 8656 §9.1;
# CVE-2020-26262, CVE-2026-27624), the per-user quota (486), and bad settings at start-up.
. "$(dirname "$0")/lib.sh"

require_tools turnutils_uclient turnutils_peer # Debian package coturn

crossbar_names main
PORT=$main_TURN
PEER=$(free_port)
SECRET=shared-s3cret

turnutils_peer -L 127.0.0.1 -p "$PEER" >"$TMP/peer4.log" 2>&1 &
PIDS+=("$!")

# allow_loopback_peers is left at its default (off).
check "the daemon starts with mod_turn" start_crossbar main turn --set core.log_level=info \
	--set "turn.listen=udp:127.0.0.1:$PORT,tcp:127.0.0.1:$PORT,udp:[::1]:$PORT" \
	--set turn.users=alice:wonderland --set turn.static_auth_secret=$SECRET \
	--set turn.rfc5766_channels=true \
	--set turn.relay_ports=45000-49999
check "allow_loopback_peers is off by default (no warning logged)" \
	bash -c "! grep -q 'allow_loopback_peers is on' '$TMP/main.log'"

# run_uclient NAME ARGS...: a short client run; output in $TMP/NAME.log.
run_uclient() {
	local name=$1
	shift
	timeout 30 turnutils_uclient -p "$PORT" -r "$PEER" -n 5 -z 5 "$@" >"$TMP/$name.log" 2>&1
	echo "exit $?" >>"$TMP/$name.log"
}
stat_of() { "$CLI" --socket "$SOCK" turn stats | awk -v k="$1" '$1 == k {print $2}'; }

# Credentials refused get 401 (RFC 8489 §9.2.4), each asked once from a loopback address of
# its own, so that the shared limiter's ban (403) cannot be what refuses them. The right
# password from the same kind of client is allocated.
check "the right password is allocated" test "$(turn_allocate_answer "$PORT" alice wonderland 127.0.0.5)" = 0
check "a wrong password gets 401" test "$(turn_allocate_answer "$PORT" alice nope 127.0.0.2)" = 401
check "the wrong password is counted as an authentication failure" test "$(stat_of auth_failures)" -gt 0
check "an unknown user gets 401" test "$(turn_allocate_answer "$PORT" mallory x 127.0.0.3)" = 401
# A time-limited user name whose expiry (1000 s after 1970) has passed, with the password
# that the secret gives it: refused although the HMAC is right.
OLD_USER=1000:bob
OLD_PW=$(printf '%s' "$OLD_USER" | openssl dgst -sha1 -hmac "$SECRET" -binary | base64)
check "an expired shared-secret credential gets 401" test "$(turn_allocate_answer "$PORT" "$OLD_USER" "$OLD_PW" 127.0.0.4)" = 401
check "the expiry is logged" grep -q "user '1000:bob': time-limited credential has expired" "$TMP/main.log"
check "no allocation was made by any of them" bash -c "'$CLI' --socket '$SOCK' turn | grep -c '^alice ' | grep -qx 1"
check "... none for the refused ones" lacks '^(mallory|1000:bob) ' "$CLI" --socket "$SOCK" turn

# Peers on loopback (allow_loopback_peers off): 403 for channels and for permissions,
# whether written as IPv4, as IPv4-mapped IPv6 through an IPv6 relay, or as ::1.
run_uclient peer_cb -u alice -w wonderland -e 127.0.0.1 127.0.0.1
check "ChannelBind to 127.0.0.1 is refused with 403" grep -q 'channel bind: error 403' "$TMP/peer_cb.log"
run_uclient peer_cp -u alice -w wonderland -s -e 127.0.0.1 127.0.0.1
check "CreatePermission for 127.0.0.1 is refused with 403" grep -q 'create permission error 403' "$TMP/peer_cp.log"
run_uclient peer_mapped -u alice -w wonderland -s -e ::ffff:127.0.0.1 127.0.0.1
check "CreatePermission for ::ffff:127.0.0.1 is refused with 403" grep -q 'create permission error 403' "$TMP/peer_mapped.log"
run_uclient peer_mapped_cb -u alice -w wonderland -e ::ffff:127.0.0.1 127.0.0.1
check "ChannelBind to ::ffff:127.0.0.1 is refused with 403" grep -q 'channel bind: error 403' "$TMP/peer_mapped_cb.log"
run_uclient peer_v6 -u alice -w wonderland -s -e ::1 127.0.0.1
check "CreatePermission for ::1 is refused with 403" grep -q 'create permission error 403' "$TMP/peer_v6.log"
run_uclient peer_zero -u alice -w wonderland -s -e 0.0.0.0 127.0.0.1
check "CreatePermission for 0.0.0.0 is refused with 403 (CVE-2020-26262)" grep -q 'create permission error 403' "$TMP/peer_zero.log"
check "nothing reached the peer" test "$(stat_of bytes_to_peer)" -eq 0
stop_crossbar main

# Quotas (RFC 8656 §7.2: 486): one allocation per user, two in total. A turnutils_uclient
# without RTCP (-c) still makes two allocations per client; the second is refused.
quota_TURN=$PORT
check "a daemon with quotas starts" start_crossbar quota turn --set "turn.listen=udp:127.0.0.1:$PORT" \
	--set turn.allow_loopback_peers=true --set turn.users=alice:wonderland,bob:builder \
	--set turn.max_allocations_per_user=1 --set turn.max_allocations=2 \
	--set turn.relay_ports=45000-49999
run_uclient quota_user -u alice -w wonderland -c -e 127.0.0.1 127.0.0.1
check "a second allocation of the same user is refused with 486" grep -q 'error 486' "$TMP/quota_user.log"
check "the user's first allocation stands" bash -c "'$CLI' --socket '$SOCK' turn | grep -c '^alice' | grep -qx 1"
run_uclient quota_total -u bob -w builder -c -e 127.0.0.1 127.0.0.1
check "beyond turn.max_allocations another user is refused with 486" grep -q 'error 486' "$TMP/quota_total.log"
check "two allocations in total" bash -c "'$CLI' --socket '$SOCK' turn stats | grep -Eq '^allocations_active +2$'"
stop_crossbar quota

# Bad settings stop the daemon with one clear line.
BASE=(--set core.data_dir="$TMP/d2" --set core.modules=turn)
expect_exit 2 "turn.users: 'alice' is not USER:PASSWORD" "a user without a password is refused" \
	"$CROSSBAR" "${BASE[@]}" --set turn.listen=udp:127.0.0.1:$PORT --set turn.users=alice
expect_exit 2 "turn.denied_peers: '10.0.0.0/40' is not an address" "a bad CIDR is refused" \
	"$CROSSBAR" "${BASE[@]}" --set turn.listen=udp:127.0.0.1:$PORT --set turn.denied_peers=10.0.0.0/40
expect_exit 2 "turn.relay_ports: '80-90' is not a range" "a relay range below 1024 is refused" \
	"$CROSSBAR" "${BASE[@]}" --set turn.relay_ports=80-90
expect_exit 1 "turn.relay_address: '0.0.0.0' is not a specific IP address" "a wildcard relay address is refused" \
	"$CROSSBAR" "${BASE[@]}" --set turn.listen=udp:127.0.0.1:$PORT --set turn.relay_address=0.0.0.0
expect_exit 2 "turn.default_lifetime: 4000 is more than turn.max_lifetime" "contradicting lifetimes are refused" \
	"$CROSSBAR" "${BASE[@]}" --set turn.listen=udp:127.0.0.1:$PORT --set turn.default_lifetime=4000
expect_exit 1 "turn.listen: tls:127.0.0.1:$PORT needs turn.tls_certificate and turn.tls_key" \
	"a tls: listener without a certificate is refused" \
	"$CROSSBAR" "${BASE[@]}" --set turn.listen=tls:127.0.0.1:$PORT
expect_exit 1 "turn.tls_certificate/turn.tls_key: cannot use" "an unreadable certificate is refused" \
	"$CROSSBAR" "${BASE[@]}" --set turn.listen=tls:127.0.0.1:$PORT \
	--set turn.tls_certificate="$TMP/none.pem" --set turn.tls_key="$TMP/none.pem"
udp_busy() {
	turnutils_peer -L 127.0.0.1 -p "$1" >/dev/null 2>&1 &
	PIDS+=("$!")
	sleep 0.3
}
BUSY=$(free_port)
udp_busy "$BUSY"
expect_exit 1 "turn.listen: cannot listen on udp:127.0.0.1:$BUSY" "a TURN port in use is refused" \
	"$CROSSBAR" "${BASE[@]}" --set turn.listen=udp:127.0.0.1:$BUSY
done_testing
