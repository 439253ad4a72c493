#!/bin/bash
# sip_call.sh: INVITE sessions (RFC 3261 §13-15) between crossbar and SIPp on loopback
# through the calltest test module. SIPp calling crossbar: an INVITE answered and
# hung up (UDP and TCP), the 2xx retransmitted until the ACK (§13.3.1.4), re-INVITE, UPDATE
# (RFC 3311) and INFO (RFC 6086) in the call, 481 for no dialog and 500 for a CSeq out of
# order (§12.2.2), BYE from crossbar, 486, 404, 480 from the CLI, CANCEL (§9.2) and the CANCEL
# race; baresip calling over TLS (crossbar's BYE on the same connection). crossbar calling
# SIPp: answered and hung up both ways (UDP and TCP), digest authentication on 401 and 407
# with MD5 and SHA-256 (§22.2, RFC 7616), re-INVITE, UPDATE and INFO, CANCEL (§9.1) and the
# CANCEL race (§15: a 2xx after the CANCEL is ACKed and BYEd).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sipp_lib.sh"

require_tools sipp baresip openssl # Debian packages sip-tester, baresip

crossbar_names call
PORT=$call_PORT
TLSPORT=$(free_port)
SIPP_DIR=$SRC/tests/integration/sipp
ARGS=(--set sip.listen=udp:127.0.0.1:$PORT,tcp:127.0.0.1:$PORT,tls:127.0.0.1:$TLSPORT,udp:[::1]:$PORT
	--set sip.tls_certificate="$TMP/cert.pem" --set sip.tls_key="$TMP/key.pem")
# A certificate for the TLS listener, which baresip is told to trust.
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$TMP/key.pem" -out "$TMP/cert.pem" -days 2 \
	-subj "/CN=127.0.0.1" -addext "subjectAltName=IP:127.0.0.1" >/dev/null 2>&1
cli() { "$CLI" --socket "$SOCK" "$@"; }
# SIPp's address and how URIs write it: IPv4 unless a check says LOCAL_IP=::1 HOST=[::1].
LOCAL_IP=127.0.0.1
HOST=127.0.0.1

# The calltest row of one call, blanks squeezed: "CALL_ID DIRECTION STATE EVENTS...".
leg() { COLUMNS=1000 cli calltest | tr -s ' ' | grep -E "^$1 "; }
# leg_matches CALL_ID REGEX: the call's row matches the extended regular expression.
leg_matches() {
	local row
	row=$(leg "$1")
	echo "row: $row"
	[[ "$row" =~ $2 ]]
}
# wait_leg CALL_ID REGEX: up to 5 s for the call's row to match.
wait_leg() {
	for _ in $(seq 1 50); do
		leg_matches "$1" "$2" >/dev/null && return 0
		sleep 0.1
	done
	leg_matches "$1" "$2"
}

# dial URI-USER [udp|tcp] [args]: crossbar calls SIPp at $SPORT; the Call-ID in $CALL.
dial() {
	local user=$1
	shift
	CALL=$(cli calltest dial "sip:$user@$HOST:$SPORT" "$HOST:$SPORT" "$@")
	[ -n "$CALL" ]
}

# digest_ok NAME HEADER HASH-COMMAND USER PASSWORD: the digest response in the last request
# SIPp received with HEADER (Authorization or Proxy-Authorization) is right (RFC 7616 §3.4.1,
# qop=auth).
digest_ok() {
	local name=$1 hdr=$2 hash=$3 user=$4 pass=$5 line p realm nonce uri nc cnonce qop resp ha1 ha2 want
	line=$(grep -i "^$hdr:" "$TMP/$name.msgs" | tail -1 | tr -d '\r')
	echo "$line"
	param() { # the value of parameter $1 in $line, quoted or not
		p=$(printf '%s' "$line" | grep -oE "[ ,]$1=(\"[^\"]*\"|[^ ,]*)" | head -1)
		p=${p#*=}
		p=${p#\"}
		printf '%s' "${p%\"}"
	}
	realm=$(param realm) nonce=$(param nonce) uri=$(param uri) nc=$(param nc) cnonce=$(param cnonce)
	qop=$(param qop) resp=$(param response)
	[ "$(param username)" = "$user" ] || { echo "username is not $user"; return 1; }
	ha1=$(printf '%s:%s:%s' "$user" "$realm" "$pass" | $hash | cut -d' ' -f1)
	ha2=$(printf 'INVITE:%s' "$uri" | $hash | cut -d' ' -f1)
	want=$(printf '%s:%s:%s:%s:%s:%s' "$ha1" "$nonce" "$nc" "$cnonce" "$qop" "$ha2" | $hash | cut -d' ' -f1)
	echo "computed $want"
	[ -n "$resp" ] && [ "$resp" = "$want" ]
}

# cseq_rises NAME: the two INVITEs SIPp received are one call (Call-ID, From tag) and the
# second has a CSeq one higher (RFC 3261 §22.2).
cseq_rises() {
	local a b
	a=$(awk '/message received/ {on = 1} on && /^INVITE / {inv = 1} inv && /^(CSeq|Call-ID|From):/ {sub(/\r$/, ""); print} /^-----/ {on = 0; inv = 0}' "$TMP/$1.msgs")
	echo "$a"
	[ "$(echo "$a" | grep -c '^Call-ID:' )" -eq 2 ] || return 1
	[ "$(echo "$a" | grep '^Call-ID:' | sort -u | wc -l)" -eq 1 ] || return 1
	[ "$(echo "$a" | grep '^From:' | sort -u | wc -l)" -eq 1 ] || return 1
	b=$(echo "$a" | awk '/^CSeq:/ {print $2}' | tr '\n' ' ')
	set -- $b
	[ $(($2)) -eq $(($1 + 1)) ]
}

# same_branch NAME METHODS: each request SIPp received whose method matches the extended
# regular expression METHODS is on the INVITE's branch (the CANCEL by §9.1, the ACK of a
# non-2xx final by §17.1.1.3).
same_branch() {
	local inv reqs
	inv=$(summary "$1" | awk -F' [|] ' '/^recv INVITE / {print $3; exit}')
	reqs=$(summary "$1" | grep -E "^recv ($2) ")
	printf '%s\n' "$reqs"
	[ -n "$inv" ] && [ -n "$reqs" ] && ! printf '%s\n' "$reqs" | grep -vqF "| $inv"
}

# retrans_ok NAME: 3 copies of the INVITE's 200 before SIPp's ACK (at 0, T1 and 3*T1 in the
# 1.7 s SIPp waited), none in the 2.2 s after it.
retrans_ok() {
	local s
	s=$(summary "$1")
	printf '%s\n' "$s"
	[ "$(printf '%s\n' "$s" | sed -n '1,/^sent ACK/p' | grep -c '^recv SIP/2.0 200 .*INVITE')" -eq 3 ] &&
		[ "$(printf '%s\n' "$s" | sed -n '/^sent ACK/,$p' | grep -c '^recv SIP/2.0 200 .*INVITE')" -eq 0 ]
}
# challenge_acked NAME: the ACK of the 401/407 was on the first INVITE's branch.
challenge_acked() {
	local b
	b=$(summary "$1" | awk -F' [|] ' '/^recv INVITE/ {print $3; exit}')
	summary "$1" | grep -m1 '^recv ACK' | grep -F "| $b"
}
# cseqs_rise NAME: the CSeqs of the requests SIPp received in the dialog rise.
cseqs_rise() {
	summary "$1" | awk -F' [|] ' '/^recv (INVITE|UPDATE|INFO|BYE) / {split($2, c, " "); print; if (c[1] + 0 <= last) bad = 1; last = c[1] + 0} END {exit bad}'
}

check "the daemon starts with the calltest module" start_crossbar call sip,calltest "${ARGS[@]}"

# --- SIPp calls crossbar ---------------------------------------------------------------
check "an INVITE is answered (180 with a To tag, 200 with SDP and Contact) and SIPp's BYE gets 200 (UDP)" \
	uac ans_udp call_answer.xml answer
got=$(statuses ans_udp)
check "... (100 Trying,) 180, 200, then the BYE's 200 (got: $got)" bash -c "[[ '$got' =~ ^(100\ )?180\ 200\ 200\ $ ]]"
check "... the module saw the call answered by the ACK, then ended by the BYE" \
	wait_leg ans_udp-1 " in ended answered:ACK ended$"
check "an INVITE is answered and hung up over TCP" uac ans_tcp call_answer.xml answer -t t1
check "... the call shows ended over TCP" wait_leg ans_tcp-1 " in ended answered:ACK ended$"
LOCAL_IP=::1 HOST=[::1] check "an INVITE over IPv6 is answered and hung up" \
	uac ans_v6 call_answer.xml answer
check "... its 200's Contact is an IPv6 reference" grep -q '^Contact: <sip:crossbar@\[::1\]:' "$TMP/ans_v6.msgs"
check "... the call shows ended" wait_leg ans_v6-1 " in ended answered:ACK ended$"

check "re-INVITE, UPDATE and INFO in the call get 200 (with SDP for the offers); 481 for no dialog; 500 for a lower CSeq" \
	uac mid_udp call_midcall.xml answer
check "... the module saw INVITE, UPDATE, INFO in the dialog and the ACK of its 2xx to the re-INVITE (not the 481 and 500 ones), then the end" \
	wait_leg mid_udp-1 " in ended answered:ACK request:INVITE ack request:UPDATE request:INFO ended$"
check "the same over TCP" uac mid_tcp call_midcall.xml answer -t t1

check "the 2xx is retransmitted while the ACK is held back" uac retrans call_2xx_retrans.xml answer
check "... 3 copies in 1.7 s: at 0, T1 and 3*T1 (intervals doubling), then none after the ACK" \
	retrans_ok retrans

check "crossbar hangs up: its BYE (SIPp's tag in To) is answered 200" uac bye_in call_remote_bye.xml hangup
check "... the module saw the ACK, its hangup, and the call ended" wait_leg bye_in-1 " in ended answered:ACK hangup"

check "busy: 486, ACKed on the INVITE's branch" uac busy call_busy.xml busy
check "... the call shows rejected:486 and ended" wait_leg busy-1 " in ended rejected:486$"
check "an unknown user: 404, ACKed" uac notfound call_notfound.xml nobody-here
check "... the call shows rejected:404" wait_leg notfound-1 " in ended rejected:404$"

uac unans call_unanswered.xml ring &
UNANS_PID=$!
PIDS+=("$UNANS_PID")
check "an unanswered incoming call shows as early" wait_leg unans-1 " in early ?$"
check "... sip calls lists it: in, early, its peer, From and To" bash -c "COLUMNS=1000 '$CLI' --socket '$SOCK' sip calls | tr -s ' ' | grep -E '^unans-1 in early udp:127.0.0.1:[0-9]+ sip:[^ ]+ sip:ring@'"
check "... calltest hangup refuses it" cli calltest hangup unans-1
wait_exit "$UNANS_PID" 20
check "... SIPp got 480 and ACKed it (exit ${EXIT_STATUS:-none})" test "${EXIT_STATUS:-1}" -eq 0
check "... the call ended" wait_leg unans-1 " in ended hangup$"

check "CANCEL while ringing: 200 for the CANCEL, 487 for the INVITE, ACKed" uac cancel call_cancel.xml ring
check "... the module saw it cancelled, and it ended" wait_leg cancel-1 " in ended cancelled$"
check "the same over TCP" uac cancel_tcp call_cancel.xml ring -t t1

for i in 1 2 3; do
	check "CANCEL race #$i: SIPp's CANCEL crosses crossbar's 200 and the call ends cleanly" uac race$i call_race.xml race
	s=$(summary race$i)
	if printf '%s\n' "$s" | grep -q '^recv SIP/2.0 487'; then
		outcome="487 won" view=" in ended cancelled$"
	elif printf '%s\n' "$s" | grep -q '^sent CANCEL'; then
		outcome="200 won, the CANCEL changed nothing" view=" in ended answered:ACK ended$"
	else
		outcome="200 came before SIPp sent its CANCEL" view=" in ended answered:ACK ended$"
	fi
	n2xx=$(printf '%s\n' "$s" | grep -c '^recv SIP/2.0 2[0-9][0-9] .*1 INVITE')
	n487=$(printf '%s\n' "$s" | grep -c '^recv SIP/2.0 487 ')
	check "... never both a 2xx and a 487 for the INVITE ($outcome)" \
		bash -c "[ $n2xx -eq 0 ] || [ $n487 -eq 0 ]"
	check "... and the module's view agrees" wait_leg race$i-1 "$view"
done

# --- crossbar calls SIPp ---------------------------------------------------------------
uas_start out_plain call_uas_bye.xml
check "crossbar dials SIPp (UDP), SDP offer in the INVITE" dial bob udp
check "... SIPp answers, then its BYE is answered 200" uas_done
check "... the module saw progress:180, answered:200, then the end" \
	wait_leg "$CALL" " out ended progress:180 answered:200 ended$"

LOCAL_IP=::1 uas_start out_v6 call_uas_bye.xml
HOST=[::1] check "crossbar dials SIPp over IPv6" dial bob udp
check "... answered, and SIPp's BYE gets 200" uas_done
check "... the call ended" wait_leg "$CALL" " out ended progress:180 answered:200 ended$"
check "... its Via and Contact name [::1]" bash -c "grep -q '^Via: SIP/2.0/UDP \[::1\]:$PORT;' '$TMP/out_v6.msgs' && grep -q '^Contact: <sip:crossbar@\[::1\]:$PORT>' '$TMP/out_v6.msgs'"

uas_start out_tcp call_uas_bye.xml -t t1
check "crossbar dials SIPp over TCP" dial bob tcp
check "... answered and hung up by SIPp over TCP" uas_done
check "... the call ended" wait_leg "$CALL" " out ended progress:180 answered:200 ended$"

uas_start out_bye call_uas_answer.xml
check "crossbar dials with bye-after=200" dial bob udp bye-after=200
check "... SIPp answers and crossbar's BYE ends the call" uas_done
check "... the module saw answered:200, its hangup, and the call ended" wait_leg "$CALL" " out ended progress:180 answered:200 hangup$"

uas_start out_bye_tcp call_uas_answer.xml -t t1
check "crossbar dials over TCP with bye-after=200" dial bob tcp bye-after=200
check "... crossbar's BYE over TCP gets 200" uas_done

for v in "401 MD5 call_uas_auth401.xml Authorization md5sum" \
	"407 MD5 call_uas_auth407.xml Proxy-Authorization md5sum" \
	"401 SHA-256 call_uas_auth_sha256.xml Authorization sha256sum"; do
	set -- $v
	name=auth_$1_${2/-/}
	uas_start "$name" "$3"
	check "crossbar dials a carrier that challenges with $1 ($2)" dial bob udp user secret bye-after=200
	check "... it answers the challenge and the call goes through" uas_done
	check "... the $4 header carries the right $2 digest" digest_ok "$name" "$4" "$5" user secret
	check "... the INVITE was sent again in the same call with the CSeq one higher" cseq_rises "$name"
	check "... the challenge's ACK was on the first INVITE's branch" challenge_acked "$name"
	check "... the module saw one 180 and one 200 (the challenge is not an event), and the end" wait_leg "$CALL" " out ended progress:180 answered:200 hangup$"
done
uas_start auth_tcp call_uas_auth407.xml -t t1
check "digest authentication over TCP (407, MD5)" dial bob tcp user secret bye-after=200
check "... the call goes through" uas_done
check "... with the right digest" digest_ok auth_tcp Proxy-Authorization md5sum user secret

uas_start out_mid call_uas_midcall.xml
check "crossbar dials for requests in the call" dial bob udp
check "... answered" wait_leg "$CALL" " out confirmed progress:180 answered:200$"
check "... re-INVITE sent" cli calltest request "$CALL" INVITE
check "... re-INVITE answered 200 (with SDP; crossbar ACKs it)" wait_leg "$CALL" "sent:INVITE response:200"
check "... UPDATE sent" cli calltest request "$CALL" UPDATE
check "... UPDATE answered 200" wait_leg "$CALL" "sent:UPDATE response:200"
check "... INFO sent" cli calltest request "$CALL" INFO
check "... INFO answered 200" wait_leg "$CALL" "sent:INFO response:200"
check "... hangup sends BYE" cli calltest hangup "$CALL"
check "... SIPp saw re-INVITE+ACK, UPDATE, INFO and BYE in order, each in the dialog" uas_done
check "... their CSeqs rise" cseqs_rise out_mid
check "... the module saw each response, its hangup, and the call ended" wait_leg "$CALL" " out ended progress:180 answered:200 sent:INVITE response:200 sent:UPDATE response:200 sent:INFO response:200 hangup$"

uas_start out_cancel call_uas_cancel.xml
check "crossbar dials with cancel-on-progress" dial bob udp cancel-on-progress
check "... CANCEL on the 180: 200, then 487, which crossbar ACKs" uas_done
check "... the CANCEL and the ACK of the 487 were on the INVITE's branch" \
	same_branch out_cancel "CANCEL|ACK"
check "... the module saw the 180, its hangup, and the call ended" wait_leg "$CALL" " out ended progress:180 hangup$"

uas_start out_cancel_tcp call_uas_cancel.xml -t t1
check "CANCEL over TCP" dial bob tcp cancel-on-progress
check "... 200, 487, ACK over TCP" uas_done

for i in 1 2; do
	uas_start out_race$i call_uas_race.xml
	check "CANCEL race from crossbar's side #$i: dial with cancel-on-progress, SIPp sends 180 and 200 at once" \
		dial bob udp cancel-on-progress
	check "... crossbar's CANCEL is answered, and the 2xx is ACKed and BYEd" uas_done
	check "... the module saw the 180, its hangup, and the call ended (the 2xx after it is not news)" wait_leg "$CALL" " out ended progress:180 hangup"
done

# --- baresip calls crossbar over TLS (SIPp in Debian has no TLS) ----------------------------
# The callee "hangup" answers and sends its BYE 300 ms after the ACK: over the TLS connection
# the INVITE came on, since baresip listens on no TLS port of its own.
mkdir -p "$TMP/baresip"
cat >"$TMP/baresip/config" <<CONF
poll_method		poll
sip_listen		127.0.0.1:$(free_port)
sip_cafile		$TMP/cert.pem
module_path		/usr/lib/baresip/modules
module			g711.so
module			ausine.so
module			aubridge.so
module			menu.so
module_app		account.so
audio_source		ausine,440
audio_player		aubridge,play
audio_alert		aubridge,alert
ausrc_srate		48000
auplay_srate		48000
ausrc_channels		2
auplay_channels		1
CONF
echo "<sip:caller@127.0.0.1;transport=tls>;regint=0" >"$TMP/baresip/accounts"
timeout 20 baresip -f "$TMP/baresip" -t 4 -e "/dial sip:hangup@127.0.0.1:$TLSPORT" \
	>"$TMP/baresip.log" 2>&1 </dev/null
check "baresip calls crossbar over TLS: the call is established" grep -q "Call established: sip:hangup@127.0.0.1:$TLSPORT" "$TMP/baresip.log"
# (libre reports a BYE received as "Connection reset by peer")
check "... and crossbar's BYE over the same TLS connection ends it" bash -c "grep -q 'session closed: Connection reset by peer' '$TMP/baresip.log'"
check "... the module saw the ACK, its hangup, and the end" bash -c "COLUMNS=1000 '$CLI' --socket '$SOCK' calltest | tr -s ' ' | grep -E '^[^ ]+ in ended answered:ACK hangup\$'"

# all_ended: calltest lists calls, and every one has ended.
all_ended() {
	local rows
	rows=$(COLUMNS=1000 cli calltest) || return 1
	rows=$(awk 'NR > 1' <<<"$rows")
	[ -n "$rows" ] && ! grep -v ' ended ' <<<"$rows"
}
check "every call has ended" all_ended
check "the daemon is still alive" cli status
done_testing
