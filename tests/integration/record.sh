#!/bin/bash
# record.sh: recording and digit collection against the real daemon, with sip_peer.py as
# the phones (SIP over UDP, RTP PCMU, DTMF as RFC 4733 telephone-events or SIP INFO), and
# SIPp keying digits by SIP INFO.
# record: a caller's tone lands in a WAV file of the right length and pitch, ended by the
# caller hanging up, by max seconds, by silence and by '#'; a name with '..' and a folder
# that does not exist are errors the plan goes on from. record_session: a bridged call's
# two sides in the two channels of one stereo file. read and play_and_get_digits: a valid
# entry sets the variable, an invalid one is tried again and then fails, nothing typed
# times out. Channel variables are observed through the log application's lines.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sipp_lib.sh"

require_tools sipp python3

crossbar_names rc
PORT=$rc_PORT
SIPP_DIR=$SRC/tests/integration/sipp
LOCAL_IP=127.0.0.1
HOST=127.0.0.1
PEER=$SRC/tests/integration/sip_peer.py
REC=$TMP/rec
CALLEE_SIP=$(free_port)
while [ "$CALLEE_SIP" = "$PORT" ]; do CALLEE_SIP=$(free_port); done
mkdir -p "$REC"

# say NAME VARIABLES...: a log line "NAME: VAR=value ..." of the channel's variables.
say() {
	local name=$1 out=""
	shift
	for v in "$@"; do out="$out $v=\${$v}"; done
	echo "<action application=\"log\" data=\"NOTICE RESULT $name:$out\"/>"
}

cat >"$TMP/plan.xml" <<XML
<?xml version="1.0" encoding="UTF-8"?>
<include>
  <context name="public">
    <extension name="rec">
      <condition field="destination_number" expression="^rec\$">
        <action application="answer"/>
        <action application="record" data="$REC/hangup.wav"/>
        <action application="log" data="NOTICE RESULT hangup: the plan went on"/>
      </condition>
    </extension>
    <extension name="recmax">
      <condition field="destination_number" expression="^recmax\$">
        <action application="record" data="max.wav 2"/>
        $(say max record_ended record_seconds record_file)
        <action application="hangup"/>
      </condition>
    </extension>
    <extension name="recsilence">
      <condition field="destination_number" expression="^recsilence\$">
        <action application="answer"/>
        <action application="record" data="$REC/silence.wav 30 300 1"/>
        $(say silence record_ended record_seconds)
        <action application="hangup"/>
      </condition>
    </extension>
    <extension name="rechash">
      <condition field="destination_number" expression="^rechash\$">
        <action application="answer"/>
        <action application="record" data="$REC/hash.wav 30"/>
        $(say hash record_ended record_seconds)
        <action application="record" data="../escape.wav"/>
        $(say dotdot record_ended)
        <action application="record" data="$TMP/no-such-folder/x.wav 5"/>
        $(say missing record_ended record_error)
        <action application="hangup"/>
      </condition>
    </extension>
    <extension name="session">
      <condition field="destination_number" expression="^session\$">
        <action application="record_session" data="$REC/session.wav"/>
        <action application="bridge" data="sip:callee@127.0.0.1:$CALLEE_SIP"/>
      </condition>
    </extension>
    <extension name="read">
      <condition field="destination_number" expression="^read\$">
        <action application="answer"/>
        <action application="read" data="digits 1 4 welcome 5000 #"/>
        $(say read digits read_result)
        <action application="hangup"/>
      </condition>
    </extension>
    <extension name="pin">
      <condition field="destination_number" expression="^pin\$">
        <action application="answer"/>
        <action application="play_and_get_digits" data="3 3 2 2000 # none not-available pin ^1[0-9][0-9]\$ 1500"/>
        $(say pin pin read_result)
        <action application="hangup"/>
      </condition>
    </extension>
  </context>
</include>
XML

check "the daemon starts" start_crossbar rc sip --set dialplan.file="$TMP/plan.xml" \
	--set sip.public_for_strangers=yes --set core.log_level=info \
	--set media.recordings_dir="$REC"

# peer ARGS...: a phone on a fresh SIP port and an RTP port of 61000-61999.
peer() {
	local mode=$1 sip rtp
	shift
	sip=$(free_port)
	rtp=$((61000 + (RANDOM % 500) * 2))
	if [ "$mode" = call ]; then
		timeout 60 python3 "$PEER" call "$PORT" "$sip" "$rtp" "$@"
	else
		timeout 60 python3 "$PEER" answer "$@"
	fi
}

# peer_out FILE ARGS...: peer, its output kept in FILE.
peer_out() {
	local out=$1
	shift
	peer "$@" >"$out"
}

# wav FILE CHANNELS MIN_S MAX_S HZ...: the file is a WAV of 8 kHz 16-bit PCM whose length is
# within [MIN_S, MAX_S] and each of whose channels is mostly a tone of its HZ.
wav() {
	python3 - "$@" <<'PY'
import math, struct, sys, wave
path, channels, lo, hi = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4])
want = [float(h) for h in sys.argv[5:]]
w = wave.open(path)
assert w.getframerate() == 8000 and w.getsampwidth() == 2, "8 kHz 16-bit"
assert w.getnchannels() == channels, f"{w.getnchannels()} channels"
n = w.getnframes()
secs = n / 8000
print(f"{path}: {secs:.2f} s")
assert lo <= secs <= hi, f"{secs:.2f} s is not within {lo}-{hi}"
data = struct.unpack(f"<{n * channels}h", w.readframes(n))
def power(x, hz):  # Goertzel
    k = 2 * math.cos(2 * math.pi * hz / 8000)
    s1 = s2 = 0.0
    for v in x:
        s1, s2 = v + k * s1 - s2, s1
    return s1 * s1 + s2 * s2 - k * s1 * s2
for c, hz in enumerate(want):
    x = data[c::channels][:16000]
    p = power(x, hz)
    others = [power(x, f) for f in (300, 700, 1300, 1700, 2500) if abs(f - hz) > 150]
    print(f"channel {c}: {hz} Hz {p:.3g}, others at most {max(others):.3g}")
    assert p > 20 * max(others), f"channel {c} is not mostly {hz} Hz"
PY
}

check "a caller sends 2 s of 1 kHz and hangs up while recorded" \
	peer call rec tone:1000:2 bye
check "... the plan went on after the hang-up? no: the call is over" \
	lacks "RESULT hangup" cat "$TMP/rc.log"
check "... the log says the caller's hang-up ended it" \
	until_ok 10 grep -q "record $REC/hangup.wav: .* ended by hangup" "$TMP/rc.log"
check "... the WAV holds about 2 s of 1 kHz" wav "$REC/hangup.wav" 1 1.6 2.4 1000

check "a recording of at most 2 s (the caller sends 5 s; crossbar hangs up)" \
	peer call recmax tone:800:5 wait
check "... ended by max, 2 s, under media.recordings_dir" \
	grep -q "RESULT max: record_ended=max record_seconds=2 record_file=$REC/max.wav" \
	"$TMP/rc.log"
check "... the WAV holds 2 s of 800 Hz" wav "$REC/max.wav" 1 1.8 2.3 800

check "1 s of tone, then silence: ended by 1 s of silence" \
	peer call recsilence tone:600:1 silence:4 wait
check "... the variables say so" \
	grep -qE "RESULT silence: record_ended=silence record_seconds=[23]\b" "$TMP/rc.log"
check "... the WAV holds the tone and about 1 s of silence" wav "$REC/silence.wav" 1 1.7 2.6 600

check "'#' (RFC 4733) ends a recording; '..' and a missing folder are errors" \
	peer call rechash tone:1000:1.5 rfc4733:# wait
check "... ended by dtmf" grep -qE "RESULT hash: record_ended=dtmf record_seconds=(1|2)\b" \
	"$TMP/rc.log"
check "... the WAV is the tone" wav "$REC/hash.wav" 1 1.2 2.4 1000
check "... a name with '..' is refused" grep -q "RESULT dotdot: record_ended=error" "$TMP/rc.log"
check "... a folder that does not exist: an error with its reason" \
	grep -qE "RESULT missing: record_ended=error record_error=.*no-such-folder/x.wav" \
	"$TMP/rc.log"
check "... nothing was written outside the recordings folder" \
	test ! -e "$TMP/escape.wav"

# record_session: the callee answers on CALLEE_SIP and plays 500 Hz, the caller 1 kHz.
CALLEE_RTP=$((61600 + (RANDOM % 100) * 2))
timeout 60 python3 "$PEER" answer "$CALLEE_SIP" "$CALLEE_RTP" tone:500:3 wait \
	>"$TMP/callee.out" 2>&1 &
CALLEE=$!
PIDS+=("$CALLEE")
sleep 0.5
check "a bridged call recorded both ways: the caller sends 1 kHz, the callee 500 Hz" \
	peer call session tone:1000:3 bye
check "... the callee saw the call end" wait "$CALLEE"
check "... the log says the session recording ended" \
	until_ok 10 grep -q "record_session $REC/session.wav" "$TMP/rc.log"
check "... a stereo WAV: the caller left, the callee right" \
	wav "$REC/session.wav" 2 2.0 4.5 1000 500

check "read: '1' as RFC 4733 during the prompt, 2.5 s later '2#'" \
	peer_out "$TMP/read.out" call read rfc4733:1 quiet:2.5 rfc4733:2# wait
check "... the first digit stopped the prompt (1.7 s long)" python3 -c "
import sys
n = int(open(sys.argv[1]).read().split()[-1])
print(f'{n} packets of the prompt')
assert n < 30" "$TMP/read.out"
check "... sets the variable" grep -q "RESULT read: digits=12 read_result=success" \
	"$TMP/rc.log"
check "play_and_get_digits: '123' by SIP INFO" peer call pin info:123 wait
check "... sets the variable" grep -q "RESULT pin: pin=123 read_result=success" "$TMP/rc.log"
check "play_and_get_digits: SIPp keys '147' by SIP INFO" uac keys media_uac_info.xml pin
check "... sets the variable" until_ok 5 grep -q "RESULT pin: pin=147 read_result=success" \
	"$TMP/rc.log"
check "play_and_get_digits: '999' (no match), then '145'" \
	peer call pin rfc4733:999 quiet:1 rfc4733:145 wait
check "... the second try succeeds" \
	until_ok 10 grep -q "RESULT pin: pin=145 read_result=success" "$TMP/rc.log"
check "... the first was refused" grep -q "read: '999' is not a valid entry (try 1 of 2)" \
	"$TMP/rc.log"
check "... no prompt is missing" lacks "read: .*No such file" cat "$TMP/rc.log"
check "play_and_get_digits: '9#' twice: fails, the variable empty" \
	peer call pin rfc4733:9# quiet:1.5 rfc4733:9# wait
check "... failure" until_ok 10 grep -q "RESULT pin: pin= read_result=failure" "$TMP/rc.log"
check "play_and_get_digits: nothing typed" peer call pin wait
check "... times out after two tries of 2 s and the 2.8 s invalid prompt between" \
	until_ok 10 grep -q "RESULT pin: pin= read_result=timeout" "$TMP/rc.log"
check "... the second try ends about 4.8 s after the first (the daemon's clock)" \
	python3 - "$TMP/rc.log" <<'PY'
import datetime, re, sys
lines = open(sys.argv[1]).read().splitlines()
def when(line):
    return datetime.datetime.fromisoformat(line.split()[0].rstrip("Z"))
first = [l for l in lines if "read: '' is not a valid entry (try 1 of 2)" in l][-1]
last = [l for l in lines if "read pin: '' (timeout)" in l][-1]
took = (when(last) - when(first)).total_seconds()
print(f"{took:.2f} s")
assert 4.5 <= took <= 6.5
PY
done_testing
