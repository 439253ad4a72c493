#!/bin/bash
# ringback.sh: ringback crossbar makes itself. With media anchored, a caller whose callee
# rings without early media (180, no description) gets 183 Session Progress with crossbar's
# own description and hears the ringback tone of media.tone_country (eu: 425 Hz, 1 s on,
# 4 s off), then the callee's voice once it answers, in one stream (one SSRC, sequence
# numbers running on), and the 200 repeats the 183's description (RFC 3264 §4, RFC 6337
# §3.1.1: one answer to one offer). A callee with early media of its own is heard instead of
# the tone, at once or after ringing a while. ringback=none relays the 180 as it came. A ring
# group (two callees at once, the second cancelled) and a hunt (a busy callee, then one that
# rings) ring the same way.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sipp_lib.sh"

require_tools sipp python3

export COLUMNS=250
crossbar_names rb
PORT=$rb_PORT
SIPP_DIR=$SRC/tests/integration/sipp
LOCAL_IP=127.0.0.1
HOST=127.0.0.1
UAS_PORT=$(free_port)
while [ "$UAS_PORT" = "$PORT" ]; do UAS_PORT=$(free_port); done
UAS2_PORT=$(free_port)

cat >"$TMP/plan.xml" <<XML
<?xml version="1.0" encoding="UTF-8"?>
<include>
  <context name="public">
    <extension name="rings">
      <condition field="destination_number" expression="^rings\$">
        <action application="bridge" data="sip:callee@127.0.0.1:$UAS_PORT"/>
      </condition>
    </extension>
    <extension name="plain">
      <condition field="destination_number" expression="^plain\$">
        <action application="set" data="ringback=none"/>
        <action application="bridge" data="sip:callee@127.0.0.1:$UAS_PORT"/>
      </condition>
    </extension>
    <extension name="hunt">
      <condition field="destination_number" expression="^hunt\$">
        <action application="bridge" data="sip:busy@127.0.0.1:$UAS_PORT|sip:two@127.0.0.1:$UAS2_PORT"/>
      </condition>
    </extension>
    <extension name="group">
      <condition field="destination_number" expression="^group\$">
        <action application="bridge" data="sip:one@127.0.0.1:$UAS_PORT,sip:two@127.0.0.1:$UAS2_PORT"/>
      </condition>
    </extension>
  </context>
</include>
XML

check "the daemon starts" start_crossbar rb sip --set dialplan.file="$TMP/plan.xml" \
	--set sip.public_for_strangers=yes --set media.tone_country=eu --set core.log_level=info

# An even port of 62000-62999 whose pair is free: where the caller's audio goes.
ear_port() {
	local p
	for _ in $(seq 1 100); do
		p=$((62000 + 2 * (RANDOM % 500)))
		ss -Huan "( sport = :$p or sport = :$((p + 1)) )" | grep -q . || { echo "$p"; return; }
	done
	return 1
}

# listen FILE: the caller's ear on a new port ($EAR), in the background.
listen() {
	EAR=$(ear_port)
	python3 "$SRC/tests/integration/rtp_listen.py" "$EAR" "$1" 15 &
	EAR_PID=$!
	PIDS+=("$EAR_PID")
	until_ok 10 ear_up
}

ear_up() { ss -Huln "( sport = :$EAR )" | grep -q .; }

# voice NAME BYTE SECONDS: once the callee NAME got its INVITE, it talks (PCMU, every byte
# BYTE) to the port crossbar offered it, in the background.
voice() {
	(
		for _ in $(seq 1 200); do
			p=$(grep -m1 -aoE '^m=audio [0-9]+' "$TMP/$1.msgs" 2>/dev/null | awk '{print $2}')
			[ -n "$p" ] && exec python3 "$SRC/tests/integration/rtp_send.py" "$p" "$3" "$2"
			sleep 0.05
		done
	) &
	PIDS+=("$!")
}

# origin NAME STATUS: the o= line of the description in the response STATUS NAME received.
origin() {
	awk -v want="SIP/2.0 $2" '
	/message received/ { inmsg = 1; first = 1; next }
	/^-----/ { inmsg = 0 }
	inmsg && first && NF { first = 0; hit = index($0, want) == 1 }
	inmsg && hit && /^o=/ { sub(/\r$/, ""); print; exit }' "$TMP/$1.msgs"
}

# heard FILE KIND: what the caller heard. tone: the ringback (425 Hz, 1 s on then silence)
# and then the callee's voice; late: the ringback for about 1.5 s, then the voice; early:
# the voice from the start, no tone; none: nothing before the voice.
heard() {
	python3 - "$1" "$2" <<'PY'
import audioop, json, sys
pk = json.load(open(sys.argv[1]))
kind = sys.argv[2]
voice = bytes([0x2A]) * 160
first_voice = next((i for i, p in enumerate(pk) if bytes.fromhex(p["payload"]) == voice), None)
print(f"{len(pk)} packets, the callee's voice from packet {first_voice}")
assert first_voice is not None and len(pk) - first_voice >= 50, "the callee's voice, then"
assert all(bytes.fromhex(p["payload"]) == voice for p in pk[first_voice:]), "only the voice"
assert len({p["ssrc"] for p in pk}) == 1, "one SSRC"
for a, b in zip(pk, pk[1:]):
    assert (b["seq"] - a["seq"]) % 65536 == 1, f"sequence {a['seq']} -> {b['seq']}"
before = pk[:first_voice]
if kind in ("early", "none"):
    assert len(before) == 0, f"{len(before)} packets before the voice"
    sys.exit(0)
pcm = [audioop.ulaw2lin(bytes.fromhex(p["payload"]), 2) for p in before]
loud = [audioop.max(x, 2) > 1000 for x in pcm]
on = loud.index(False) if False in loud else len(loud)
print(f"{on} packets of tone, then {len(loud) - on} of silence")
assert all(p["pt"] == 0 for p in before), "PCMU, as the caller offered"
assert 48 <= on <= 52, "1 s of tone"
assert not any(loud[on:]), "silence after it (4 s off)"
want = 75 if kind == "late" else 125
assert abs(len(before) - want) <= 15, f"about {want} packets before the answer"
tone = b"".join(pcm[:on])
n = len(tone) // 2
crossings = sum(1 for i in range(1, n)
                if (audioop.getsample(tone, 2, i - 1) < 0) != (audioop.getsample(tone, 2, i) < 0))
hz = crossings / 2 / (n / 8000)
print(f"tone at {hz:.0f} Hz")
assert 415 <= hz <= 435, "425 Hz"
PY
}

# A callee that rings 2.5 s, then answers.
listen "$TMP/tone.json"
uas_start callee ringback_uas.xml
voice callee 0x2A 6
check "a call to a callee that rings 2.5 s without early media" \
	uac caller ringback_uac.xml rings -set rtpport "$EAR"
check "... the callee answered" uas_done
check "... the caller got 183, then 200" test "$(statuses caller)" = "183 200 200 "
early=$(origin caller 183)
final=$(origin caller 200)
check "... the 183 carries crossbar's own description" grep -q "^o=crossbar " <<<"$early"
check "... and the 200 the same (o= line: $final)" test "$early" = "$final"
wait_exit "$EAR_PID" 20
check "... the caller heard the ringback tone, then the callee" heard "$TMP/tone.json" tone
check "... the log says so" grep -q "ringback (PCMU)" "$TMP/rb.log"

# A callee with early media of its own.
listen "$TMP/early.json"
uas_start callee2 ringback_uas_early.xml
voice callee2 0x2A 6
check "a call to a callee with early media" uac caller2 ringback_uac.xml rings -set rtpport "$EAR"
check "... the callee answered" uas_done
check "... the 183 carries the callee's description" grep -q "^o=bob " <<<"$(origin caller2 183)"
wait_exit "$EAR_PID" 20
check "... the caller heard the callee's early media and no tone" heard "$TMP/early.json" early

# A callee that rings, then has early media.
listen "$TMP/late.json"
uas_start callee3 ringback_uas_late_early.xml
voice callee3 0x2A 6
check "a call to a callee that rings 1.5 s, then has early media" \
	uac caller3 ringback_uac.xml rings -set rtpport "$EAR"
check "... the callee answered" uas_done
early=$(origin caller3 183)
check "... one 183, crossbar's own" test "$(statuses caller3)" = "183 200 200 "
check "... the 200 repeats it" test "$early" = "$(origin caller3 200)"
wait_exit "$EAR_PID" 20
check "... the caller heard the tone, then the callee's early media" heard "$TMP/late.json" late

# ringback=none: the 180 as it came.
listen "$TMP/none.json"
uas_start callee4 ringback_uas.xml
voice callee4 0x2A 6
check "ringback=none: a call to a callee that rings" \
	uac caller4 ringback_uac.xml plain -set rtpport "$EAR"
check "... the callee answered" uas_done
check "... the caller got 180, then 200" test "$(statuses caller4)" = "180 200 200 "
wait_exit "$EAR_PID" 20
check "... and heard nothing before the answer" heard "$TMP/none.json" none

# A ring group: the first callee answers after 2.5 s, the second is cancelled.
listen "$TMP/group.json"
uas_start one ringback_uas.xml
ONE_PID=$UAS_PID
UAS_PORT=$UAS2_PORT uas_start two call_uas_cancel.xml
TWO_PID=$UAS_PID
voice one 0x2A 6
check "a ring group of two callees" uac caller5 ringback_uac.xml group -set rtpport "$EAR"
UAS_PID=$ONE_PID UAS_NAME=one
check "... the first answered" uas_done
UAS_PID=$TWO_PID UAS_NAME=two
check "... the second was cancelled" uas_done
check "... the caller got one 183, then 200" test "$(statuses caller5)" = "183 200 200 "
wait_exit "$EAR_PID" 20
check "... and heard the ringback, then the callee" heard "$TMP/group.json" tone

# A hunt: the first callee is busy, the second rings 2.5 s and answers.
listen "$TMP/hunt.json"
uas_start busy b2b_uas_busy.xml
BUSY_PID=$UAS_PID
UAS_PORT=$UAS2_PORT uas_start two2 ringback_uas.xml
TWO_PID=$UAS_PID
voice two2 0x2A 6
check "a hunt: a busy callee, then one that rings" uac caller6 ringback_uac.xml hunt \
	-set rtpport "$EAR"
UAS_PID=$BUSY_PID UAS_NAME=busy
check "... the first was busy" uas_done
UAS_PID=$TWO_PID UAS_NAME=two2
check "... the second answered" uas_done
check "... the caller got one 183, then 200" test "$(statuses caller6)" = "183 200 200 "
wait_exit "$EAR_PID" 20
check "... and heard the ringback, then the callee" heard "$TMP/hunt.json" tone
done_testing
