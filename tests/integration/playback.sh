#!/bin/bash
# playback.sh: the playback application. A call answered by the plan hears a 1 s tone (a
# WAV of 8 kHz 16-bit PCM the test writes) and then a prompt the build spoke with espeak-ng
# (22050 Hz, resampled); a file that does not exist or is not audio (random bytes, a bare
# RIFF header, a folder) is logged and the plan goes on. What the caller receives is
# checked packet by packet: PCMU as offered, 20 ms a packet, one SSRC with sequence
# numbers and timestamps running on from one file to the next, and the tone's samples
# G.711-encoded as the standard says; then a beep (the tone application); and the prompt
# by cross-correlation with the file (audio_check.py). A callee put on hold hears
# media.hold_music for as long as it is held, checked the same way.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sipp_lib.sh"

require_tools sipp python3

export COLUMNS=250
crossbar_names pb
PORT=$pb_PORT
SIPP_DIR=$SRC/tests/integration/sipp
LOCAL_IP=127.0.0.1
HOST=127.0.0.1
LISTEN=$(free_port)
UAS_PORT=$(free_port)
while [ "$UAS_PORT" = "$PORT" ]; do UAS_PORT=$(free_port); done

python3 - "$TMP/tone.wav" <<'PY'
import math, struct, sys, wave
w = wave.open(sys.argv[1], "wb")
w.setnchannels(1); w.setsampwidth(2); w.setframerate(8000)
w.writeframes(b"".join(struct.pack("<h", int(8000 * math.sin(2 * math.pi * 440 * i / 8000)))
                       for i in range(8000)))
w.close()
PY

# files that are not audio: random bytes, a RIFF header and nothing after it, nothing
head -c 20000 /dev/urandom >"$TMP/garbage.wav"
printf 'RIFF\xff\xff\xff\x7fWAVEfmt ' >"$TMP/empty.wav"

cat >"$TMP/plan.xml" <<XML
<?xml version="1.0" encoding="UTF-8"?>
<include>
  <context name="public">
    <extension name="play">
      <condition field="destination_number" expression="^play\$">
        <action application="answer"/>
        <action application="playback" data="$TMP/tone.wav"/>
        <action application="playback" data="$TMP/missing.wav"/>
        <action application="playback" data="$TMP/garbage.wav"/>
        <action application="playback" data="$TMP/empty.wav"/>
        <action application="playback" data="$TMP"/>
        <action application="playback" data="welcome"/>
        <action application="tone" data="beep"/>
        <action application="hangup"/>
      </condition>
    </extension>
    <extension name="held">
      <condition field="destination_number" expression="^held\$">
        <action application="bridge" data="sip:held@127.0.0.1:$UAS_PORT"/>
      </condition>
    </extension>
  </context>
</include>
XML

check "the daemon starts" start_crossbar pb sip --set dialplan.file="$TMP/plan.xml" \
	--set sip.public_for_strangers=yes --set core.log_level=info
python3 "$SRC/tests/integration/rtp_listen.py" "$LISTEN" "$TMP/heard.json" 25 &
EAR=$!
PIDS+=("$EAR")
listening() { ss -Huln "( sport = :$LISTEN )" | grep -q .; }
check "the caller's ear listens" until_ok 10 listening
check "a call to a plan that plays a tone, a missing file and a prompt, then hangs up" \
	uac caller media_uac_listen.xml play -set rtpport "$LISTEN"
wait_exit "$EAR" 10
check "the missing file is logged, and the plan went on" \
	grep -q "playback: .*missing.wav" "$TMP/pb.log"
check "... so are a file of random bytes, a bare RIFF header and a folder" bash -c \
	"grep -q 'playback: .*garbage.wav' '$TMP/pb.log' && grep -q 'playback: .*empty.wav' '$TMP/pb.log' &&
	 grep -qE 'playback: .*$TMP[^/]' '$TMP/pb.log'"
check "what the caller heard" python3 - "$TMP/heard.json" "$TMP/tone.wav" \
	"$BUILD/sounds/welcome.wav" <<'PY'
import audioop, json, sys, wave
pk = json.load(open(sys.argv[1]))
tone = wave.open(sys.argv[2]).readframes(8000)
w = wave.open(sys.argv[3])
prompt_s = w.getnframes() / w.getframerate()
want = 50 + round(prompt_s * 50) + 25  # the tone, the prompt, a beep
print(f"{len(pk)} packets (want about {want})")
assert abs(len(pk) - want) <= 3, "packet count"
assert all(p["pt"] == 0 for p in pk), "PCMU, as offered"
assert len({p["ssrc"] for p in pk}) == 1, "one SSRC"
for a, b in zip(pk, pk[1:]):
    assert (b["seq"] - a["seq"]) % 65536 == 1, f"sequence {a['seq']} -> {b['seq']}"
    assert (b["ts"] - a["ts"]) % 2**32 == 160, f"timestamp {a['ts']} -> {b['ts']}"
    assert len(a["payload"]) == 320, "20 ms a packet"
got = bytes.fromhex("".join(p["payload"] for p in pk[:50]))
ref = audioop.lin2ulaw(tone, 2)
same = sum(x == y for x, y in zip(got, ref))
print(f"tone: {same} of {len(ref)} bytes as G.711 says")
assert same >= 0.99 * len(ref), "the tone's samples"
PY
# Music on hold: the caller puts the callee on hold for 2 s; the callee hears the hold
# music (the caller itself sends nothing), and nothing once the call is resumed.
EAR2=$(free_port)
python3 "$SRC/tests/integration/rtp_listen.py" "$EAR2" "$TMP/held.json" 20 &
PIDS+=("$!")
HELD_EAR=$!
LISTEN=$EAR2
check "the held callee's ear listens" until_ok 10 listening
uas_start callee media_uas_hold.xml -set rtpport "$EAR2"
check "a call put on hold for 2 s and resumed" uac holder media_uac_hold.xml held
check "... the callee saw sendonly, answered recvonly, then sendrecv" uas_done
wait_exit "$HELD_EAR" 10
check "... and heard the hold music while held, and only then" python3 - "$TMP/held.json" <<'PY'
import json, sys
pk = json.load(open(sys.argv[1]))
print(f"{len(pk)} packets of hold music")
assert 70 <= len(pk) <= 125, "about 2 s of music"
assert len({p["ssrc"] for p in pk}) == 1
PY
check "... the log says so" grep -q "on hold: .*hold.wav" "$TMP/pb.log"
if /usr/bin/python3 -c 'import numpy' 2>/dev/null; then
	AUDIO=(/usr/bin/python3 "$SRC/tests/integration/audio_check.py")
	"${AUDIO[@]}" rtp "$TMP/held.wav" "$TMP/held.json"
	check "... the music is the hold prompt, whole (cross-correlation, 20 ms blocks)" \
		"${AUDIO[@]}" check "$BUILD/sounds/hold.wav" "$TMP/held.wav" 0.7 1.5
	"${AUDIO[@]}" rtp "$TMP/heard.wav" "$TMP/heard.json"
	check "... and the caller heard the welcome prompt, whole" \
		"${AUDIO[@]}" check "$BUILD/sounds/welcome.wav" "$TMP/heard.wav" 0.7 1.5
else
	skip "the music is the hold prompt, whole" "python3-numpy is not installed"
fi
done_testing
