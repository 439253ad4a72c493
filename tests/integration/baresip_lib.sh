# baresip_lib.sh: baresip phones of directory users, for the scripts that source it after
# lib.sh. Each phone has SIP on a port of its own (baresip takes the next one too, for TLS),
# its media and signalling on loopback alone (net_interface), a 440 Hz tone as microphone,
# answermode=auto, commands through ctrl_tcp (netstring JSON) and its log in
# $TMP/phone-EXT-TRANSPORT.log. A script may set, before phone_start, PHONE_SOURCE[EXT]
# (another audio_source, e.g. aufile,FILE.wav, with PHONE_SRATE[EXT] its rate, mono),
# PHONE_RECORD[EXT] (a folder where baresip's sndfile module writes what the phone hears
# and sends, dump-*-dec.wav and -enc.wav) and PHONE_ACCOUNT[EXT] (more account parameters,
# e.g. ";audio_codecs=PCMA") and PHONE_APPS[EXT] (more application modules, e.g. "mwi.so",
# which subscribes to the account's message summary). The script sets PORT (the daemon's
# SIP port), and TLSPORT and $TMP/cert.pem (the phones' CA file) when it uses TLS; the
# users' passwords are pw-EXT.

declare -A SIP_PORT CTRL PHONE_PID LOG PHONE_SOURCE PHONE_SRATE PHONE_RECORD PHONE_ACCOUNT PHONE_APPS
# How a phone's log says its call ended: after a BYE "... terminated (duration ...)", or
# "session closed: REASON" when something else ended it first (the RTP it sent meeting a
# port crossbar closed as it hung up, before the BYE came).
CALL_ENDED='terminated \(duration|session closed'

# phone_ports EXT...: gives each phone its SIP and control ports.
phone_ports() {
	local ext p
	for ext in "$@"; do
		p=$(free_port 2)
		while ss -Htuan "( sport = :$((p + 1)) )" | grep -q .; do p=$(free_port 2); done
		SIP_PORT[$ext]=$p
		CTRL[$ext]=$(free_port)
	done
}
# phone_start EXT TRANSPORT: the phone of user EXT registers to crossbar over TRANSPORT.
phone_start() {
	local ext=$1 t=$2 dir=$TMP/phone-$1-$2 port=$PORT
	[ "$t" = tls ] && port=$TLSPORT
	mkdir -p "$dir"
	cat >"$dir/config" <<CONF
poll_method		poll
net_interface		127.0.0.1
rtp_ports		32000-39999
sip_listen		127.0.0.1:${SIP_PORT[$ext]}
$([ -s "$TMP/cert.pem" ] && printf 'sip_cafile\t\t%s' "$TMP/cert.pem")
module_path		/usr/lib/baresip/modules
module			g711.so
$([[ "${PHONE_ACCOUNT[$ext]:-}" == *G722* ]] && printf 'module\t\t\tg722.so')
module			ausine.so
module			aufile.so
$([ -n "${PHONE_RECORD[$ext]:-}" ] && printf 'module\t\t\tsndfile.so\nsnd_path\t\t%s' "${PHONE_RECORD[$ext]}")
module			aubridge.so
module			menu.so
module			ctrl_tcp.so
module_app		account.so
$([ -n "${PHONE_APPS[$ext]:-}" ] && printf 'module_app\t\t%s\n' ${PHONE_APPS[$ext]})
ctrl_tcp_listen		127.0.0.1:${CTRL[$ext]}
audio_source		${PHONE_SOURCE[$ext]:-ausine,440}
audio_player		aubridge,play-$ext
audio_alert		aubridge,alert-$ext
ausrc_srate		${PHONE_SRATE[$ext]:-48000}
auplay_srate		${PHONE_SRATE[$ext]:-48000}
ausrc_channels		$([ -n "${PHONE_SOURCE[$ext]:-}" ] && echo 1 || echo 2)
auplay_channels		1
CONF
	echo "<sip:$ext@127.0.0.1:$port;transport=$t>;auth_pass=pw-$ext;answermode=auto;regint=600${PHONE_ACCOUNT[$ext]:-}" \
		>"$dir/accounts"
	LOG[$ext]=$TMP/phone-$ext-$t.log
	timeout 600 stdbuf -oL baresip -f "$dir" >"${LOG[$ext]}" 2>&1 </dev/null &
	PHONE_PID[$ext]=$!
	PIDS+=("$!")
	# a port taken by another test between phone_ports and now: new ports, once more
	[ "${PHONE_RETRY:-0}" -ge 3 ] && return
	until_ok 5 phone_up "$ext" >/dev/null
	if grep -q "Address already in use" "${LOG[$ext]}"; then
		phone_ports "$ext"
		PHONE_RETRY=$((${PHONE_RETRY:-0} + 1)) phone_start "$ext" "$t"
	fi
}
# phone_up EXT: the phone's control port listens, or the phone has exited.
phone_up() {
	! kill -0 "${PHONE_PID[$1]}" 2>/dev/null ||
		ss -Htln "( sport = :${CTRL[$1]} )" | grep -q .
}
# phone EXT COMMAND [PARAMS]: a command to the phone's ctrl_tcp; fails unless it answers ok.
phone() {
	python3 - "${CTRL[$1]}" "$2" "${3:-}" <<'PY'
import json, socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5)
cmd = json.dumps({"command": sys.argv[2], "params": sys.argv[3], "token": "t"}).encode()
s.sendall(b"%d:%s," % (len(cmd), cmd))
buf = b""
while b'"response":true' not in buf:
    d = s.recv(4096)
    if not d:
        break
    buf += d
print(buf.decode(errors="replace"))
sys.exit(0 if b'"ok":true' in buf else 1)
PY
}
# phone_stop EXT: the phone quits (unregistering) and has exited within 5 s.
phone_stop() {
	phone "$1" quit >/dev/null 2>&1
	wait_exit "${PHONE_PID[$1]}" 5 || kill "${PHONE_PID[$1]}" 2>/dev/null
}
# seen EXT COUNT REGEX: the phone's log has at least COUNT lines matching REGEX.
seen() {
	local n
	n=$(tr '\r' '\n' <"${LOG[$1]}" | grep -cE -- "$3")
	echo "$1: $n of '$3' (wanted $2)"
	[ "$n" -ge "$2" ] && return 0
	tr '\r' '\n' <"${LOG[$1]}" | grep . | grep -v 'audio=' | tail -8
	return 1
}
count() { tr '\r' '\n' <"${LOG[$1]}" | grep -cE -- "$2"; }
