#!/bin/bash
# sip_uas.sh: mod_sip's UAS on loopback against SIPp and raw sockets: an OPTIONS ping over
# UDP and TCP (RFC 3261 §11), and each bad input answered as RFC 3261 says: 400 with the
# reason, 505, 416, 483, 513, 501 with Allow, 405, 420 with Unsupported, 481 for a request
# in no dialog, 482 for a merged request; a malformed response dropped; CRLF keep-alives
# answered over TCP (RFC 5626 §3.5.1); the daemon alive after all of it.
. "$(dirname "$0")/lib.sh"

require_tools sipp python3 # Debian package sip-tester

crossbar_names uas
PORT=$uas_PORT
SIPP_DIR=$SRC/tests/integration/sipp
check "the daemon starts" start_crossbar uas sip \
	--set sip.listen=udp:127.0.0.1:$PORT,tcp:127.0.0.1:$PORT,udp:[::1]:$PORT \
	--set sip.tcp_idle_timeout=5

sipp_run() { # sipp_run NAME SCENARIO [extra sipp args]: one call, 10 s at most
	local name=$1 sf=$2
	shift 2
	timeout 20 sipp -sf "$SIPP_DIR/$sf" -m 1 -l 1 -i 127.0.0.1 -p "$(free_port)" \
		-timeout 10 -timeout_error -max_recv_loops 1000 \
		-trace_err -error_file "$TMP/$name.err" "$@" 127.0.0.1:$PORT >"$TMP/$name.out" 2>&1
}
check "SIPp OPTIONS over UDP gets 200 with Allow, Accept, Supported" sipp_run opt_udp options.xml
check "SIPp OPTIONS over TCP gets 200" sipp_run opt_tcp options.xml -t t1
check "SIPp OPTIONS over UDP on IPv6 gets 200" bash -c "timeout 20 sipp -sf '$SIPP_DIR/options.xml' -m 1 -l 1 -i ::1 -p $(free_port) -timeout 10 -timeout_error '[::1]:$PORT' >'$TMP/opt6.out' 2>&1"

# raw_udp REQUEST-TEXT [LINES]: send one datagram from a connected UDP socket, print the
# status line of the answer, or its first LINES lines (nothing within 2 s: nothing).
raw_udp() {
	local msg=$1 reply=""
	exec 3<>/dev/udp/127.0.0.1/$PORT || return 1
	# $(...) ate the final LF; one write(2) must carry the whole datagram, so go through a file
	printf '%b\n' "$msg" >"$TMP/dgram"
	cat "$TMP/dgram" >&3
	# one read(2) takes one whole datagram
	reply=$(timeout 2 dd bs=65536 count=1 <&3 2>/dev/null | head -"${2:-1}")
	exec 3>&-
	printf '%s\n' "${reply%$'\r'}"
}

req() { # req METHOD-LINE [extra header lines, \r\n-terminated] [cseq method]
	local line=$1 extra=${2:-} cseqm=${3:-OPTIONS} tag=$RANDOM$RANDOM
	printf '%s\r\nVia: SIP/2.0/UDP 127.0.0.1:9;branch=z9hG4bK%s;rport\r\nFrom: <sip:t@127.0.0.1>;tag=%s\r\nTo: <sip:x@127.0.0.1>\r\nCall-ID: c%s@test\r\nCSeq: 1 %s\r\nMax-Forwards: 70\r\n%sContent-Length: 0\r\n\r\n' \
		"$line" "$RANDOM$RANDOM" "$tag" "$RANDOM$RANDOM" "$cseqm" "$extra"
}

# dropped_then_answered DESCRIPTION MESSAGE: the message gets no answer, yet the listener
# is alive: an OPTIONS sent after it from the same socket is the first thing answered.
dropped_then_answered() {
	local ping reply id
	id=alive-$RANDOM$RANDOM
	ping=$(req "OPTIONS sip:x@127.0.0.1 SIP/2.0" | sed "s/^Call-ID: .*/Call-ID: $id\r/")
	exec 3<>/dev/udp/127.0.0.1/$PORT || return 1
	printf '%b\n' "$2" >"$TMP/dgram"
	cat "$TMP/dgram" >&3
	printf '%s\n' "$ping" >"$TMP/dgram"
	cat "$TMP/dgram" >&3
	reply=$(timeout 2 dd bs=65536 count=1 <&3 2>/dev/null | tr -d '\r')
	exec 3>&-
	if [[ "$reply" =~ ^SIP/2.0\ 200 ]] && echo "$reply" | grep -q "^Call-ID: $id$"; then
		ok "$1"
	else
		not_ok "$1 (first answer: '$(echo "$reply" | head -1)', wanted the 200 to the OPTIONS after it)"
	fi
}

expect_status() { # expect_status DESCRIPTION "STATUS-REGEX" MESSAGE
	local got
	got=$(raw_udp "$3")
	if [[ "$got" =~ $2 ]]; then ok "$1 ($got)"; else not_ok "$1 (got '$got', wanted /$2/)"; fi
}

expect_status "an unsupported SIP version gets 505" "^SIP/2.0 505 " "$(req "OPTIONS sip:x@127.0.0.1 SIP/3.0")"
expect_status "an unknown URI scheme gets 416" "^SIP/2.0 416 " "$(req "OPTIONS http://x.example/ SIP/2.0")"
expect_status "Max-Forwards: 0 gets 483" "^SIP/2.0 483 " "$(req "OPTIONS sip:x@127.0.0.1 SIP/2.0" | sed 's/Max-Forwards: 70/Max-Forwards: 0/')"
expect_status "an unknown method gets 501" "^SIP/2.0 501 " "$(req "FROBNICATE sip:x@127.0.0.1 SIP/2.0" "" FROBNICATE)"
expect_status "a known method not served here gets 405" "^SIP/2.0 405 " "$(req "PUBLISH sip:x@127.0.0.1 SIP/2.0" "" PUBLISH)"
expect_status "Require with an unknown option tag gets 420" "^SIP/2.0 420 " "$(req "OPTIONS sip:x@127.0.0.1 SIP/2.0" 'Require: frobnication\r\n')"
expect_status "a CSeq method that does not match gets 400 saying so" "^SIP/2.0 400 CSeq Method" "$(req "OPTIONS sip:x@127.0.0.1 SIP/2.0" "" INVITE)"
expect_status "a bad Max-Forwards gets 400 saying so" "^SIP/2.0 400 .*Max-Forwards" "$(req "OPTIONS sip:x@127.0.0.1 SIP/2.0" | sed 's/Max-Forwards: 70/Max-Forwards: lots/')"
expect_status "a header line without a colon gets 400 saying so" "^SIP/2.0 400 Malformed Header Line" "$(req "OPTIONS sip:x@127.0.0.1 SIP/2.0" 'this line has no colon\r\n')"
dropped_then_answered "a request with no Call-ID cannot be answered and is dropped" "$(req "OPTIONS sip:x@127.0.0.1 SIP/2.0" | grep -v '^Call-ID')"
expect_status "a request in no dialog gets 481" "^SIP/2.0 481 " "$(req "BYE sip:x@127.0.0.1 SIP/2.0" "" BYE | sed 's/^To: <sip:x@127.0.0.1>/To: <sip:x@127.0.0.1>;tag=abc/')"
expect_status "a CANCEL that matches nothing gets 481" "^SIP/2.0 481 " "$(req "CANCEL sip:x@127.0.0.1 SIP/2.0" "" CANCEL)"
dropped_then_answered "a malformed response is dropped" 'SIP/2.0 200 OK\r\nVia: garbage\r\n\r\n'
expect_status "an INVITE without Contact gets 400 saying so" "^SIP/2.0 400 Missing Contact" "$(req "INVITE sip:x@127.0.0.1 SIP/2.0" "" INVITE)"

# §18.2.1, RFC 3581: the response's top Via names the source address and, asked with rport,
# the source port; it goes to that port (this socket), not to the Via's port 9.
via=$(raw_udp "$(req "OPTIONS sip:x@127.0.0.1 SIP/2.0")" 3 | grep -m1 '^Via:')
if [[ "$via" =~ \;received=127\.0\.0\.1\;rport=[0-9]+ ]] && [[ ! "$via" =~ rport\; ]]; then
	ok "rport: the response reached the source port; its Via has received and rport=PORT"
else
	not_ok "rport: the response reached the source port; its Via has received and rport=PORT (got '$via')"
fi

# §8.2.2.2: the same request (From tag, Call-ID, CSeq) by another branch is a merged copy.
m1=$(req "OPTIONS sip:x@127.0.0.1 SIP/2.0" | sed 's/tag=[0-9]*/tag=merge1/; s/Call-ID: .*/Call-ID: merged@test\r/')
m2=$(printf '%s' "$m1" | sed 's/branch=z9hG4bK[0-9]*/branch=z9hG4bKother/')
expect_status "the first copy of a request is answered" "^SIP/2.0 200 " "$m1"
expect_status "a merged copy by another branch gets 482" "^SIP/2.0 482 " "$m2"

# Over TCP: a double-CRLF ping gets a CRLF pong; an oversized message gets 513.
pong=$(timeout 5 bash -c "exec 3<>/dev/tcp/127.0.0.1/$PORT; printf '\r\n\r\n' >&3; head -c 2 <&3 | od -An -c" 2>/dev/null | tr -d ' ')
if [ "$pong" = '\r\n' ]; then ok "a CRLF CRLF keep-alive over TCP gets a CRLF"; else not_ok "a CRLF CRLF keep-alive over TCP gets a CRLF (got '$pong')"; fi
pong=$(timeout 5 bash -c "exec 3<>/dev/tcp/127.0.0.1/$PORT; printf '\r\n' >&3; sleep 0.3; printf '\r\n' >&3; head -c 2 <&3 | od -An -c" 2>/dev/null | tr -d ' ')
if [ "$pong" = '\r\n' ]; then ok "a keep-alive that arrives in two halves gets its CRLF"; else not_ok "a keep-alive that arrives in two halves gets its CRLF (got '$pong')"; fi
big=$(req "OPTIONS sip:x@127.0.0.1 SIP/2.0" | sed 's/Content-Length: 0/Content-Length: 100000/')
got=$(timeout 5 bash -c "exec 3<>/dev/tcp/127.0.0.1/$PORT; printf '%s\n' \"\$1\" >&3; head -1 <&3" _ "$big" 2>/dev/null | tr -d '\r')
if [[ "$got" =~ ^SIP/2.0\ 513 ]]; then ok "an oversized message over TCP gets 513 ($got)"; else not_ok "an oversized message over TCP gets 513 (got '$got')"; fi

check "the daemon is still alive after all of it" "$CLI" --socket "$SOCK" status
# A client that connects and stays silent: its connection is closed after the idle time.
bash -c "exec 3<>/dev/tcp/127.0.0.1/$PORT; sleep 12" &
PIDS+=("$!")
sleep 1
check "a silent TCP client holds a connection" bash -c "'$CLI' --socket '$SOCK' sip status | grep -E '^connections +1$'"
sleep 6
check "the idle connection is closed after sip.tcp_idle_timeout" bash -c "'$CLI' --socket '$SOCK' sip status | grep -E '^connections +0$'"
check "sip status counts what it saw" bash -c "'$CLI' --socket '$SOCK' sip status | grep -E '^requests_received +[1-9]'"

# §17.2.2: the same OPTIONS datagram twice from one socket: the copy is absorbed by its
# transaction before parsing and answered with the same 200 (same To tag).
python3 - "$PORT" >"$TMP/rtx.out" 2>&1 <<'PY'
import socket, sys, time
port = int(sys.argv[1])
msg = ("OPTIONS sip:probe@127.0.0.1:%d SIP/2.0\r\n"
       "Via: SIP/2.0/UDP 127.0.0.1:9;branch=z9hG4bKrtx%d;rport\r\n"
       "Max-Forwards: 70\r\nFrom: <sip:probe@127.0.0.1>;tag=rtx\r\n"
       "To: <sip:probe@127.0.0.1>\r\nCall-ID: rtx-%d@127.0.0.1\r\nCSeq: 1 OPTIONS\r\n"
       "Content-Length: 0\r\n\r\n" % (port, time.time_ns(), time.time_ns())).encode()
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(2)
tags = []
for _ in range(2):
    s.sendto(msg, ("127.0.0.1", port))
    ans = s.recv(65536).decode()
    tags.append([l for l in ans.split("\r\n") if l.startswith("To:")][0])
    print(ans.split("\r\n")[0])
print("same" if tags[0] == tags[1] else "differ", tags)
PY
check "a retransmitted OPTIONS gets the same 200 again" bash -c "grep -c '^SIP/2.0 200' '$TMP/rtx.out' | grep -qx 2 && grep -q '^same' '$TMP/rtx.out'"
check "... absorbed before parsing (sip status)" bash -c "'$CLI' --socket '$SOCK' sip status | grep -E '^retransmissions_absorbed +[1-9]'"
done_testing
