#!/bin/bash
# media_originated.sh: what crossbar sends of its own on an anchored call. RTCP (RFC 3550
# §6.4.1): a caller hearing a tone gets sender reports on its RTCP port (the port above
# RTP) naming the stream's SSRC, with NTP and RTP times, packet and octet counts, and an
# SDES CNAME. DTMF (RFC 4733 §2.5.1): send_dtmf to a caller that agreed to telephone-events
# sends each digit as an event in the caller's stream (its SSRC and sequence numbers), the
# first packet marked, durations growing, the end packet three times, the tone paused
# meanwhile; to a caller that did not, the digits go as SIP INFO (application/dtmf-relay).
# A digit a caller sends as INFO reaches a callee with telephone-events as an event.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sipp_lib.sh"

require_tools sipp python3

export COLUMNS=250
crossbar_names mo
PORT=$mo_PORT
SIPP_DIR=$SRC/tests/integration/sipp
LOCAL_IP=127.0.0.1
HOST=127.0.0.1
UAS_PORT=$(free_port)
while [ "$UAS_PORT" = "$PORT" ]; do UAS_PORT=$(free_port); done

cat >"$TMP/plan.xml" <<XML
<?xml version="1.0" encoding="UTF-8"?>
<include>
  <context name="public">
    <extension name="tone">
      <condition field="destination_number" expression="^tone\$">
        <action application="answer"/>
        <action application="tone" data="ringback 8"/>
        <action application="hangup"/>
      </condition>
    </extension>
    <extension name="relay">
      <condition field="destination_number" expression="^relay\$">
        <action application="bridge" data="sip:callee@127.0.0.1:$UAS_PORT"/>
      </condition>
    </extension>
    <extension name="dtmf">
      <condition field="destination_number" expression="^dtmf\$">
        <action application="answer"/>
        <action application="send_dtmf" data="15#@120"/>
        <action application="tone" data="ringback 3"/>
        <action application="hangup"/>
      </condition>
    </extension>
  </context>
</include>
XML

check "the daemon starts" start_crossbar mo sip --set dialplan.file="$TMP/plan.xml" \
	--set sip.public_for_strangers=yes --set core.log_level=info

# An even port of 62000-62999 whose pair is free: where the caller's audio goes.
ear_port() {
	local p
	for _ in $(seq 1 100); do
		p=$((62000 + 2 * (RANDOM % 500)))
		ss -Huan "( sport = :$p or sport = :$((p + 1)) )" | grep -q . || { echo "$p"; return; }
	done
	return 1
}
ear_up() { ss -Huln "( sport = :$1 )" | grep -q .; }

# RTCP: 8 s of tone, its RTCP heard on the port above.
EAR=$(ear_port)
python3 "$SRC/tests/integration/rtp_listen.py" "$EAR" "$TMP/tone.json" 15 &
RTP_PID=$!
python3 "$SRC/tests/integration/rtcp_listen.py" "$((EAR + 1))" "$TMP/rtcp.json" 11 &
RTCP_PID=$!
PIDS+=("$RTP_PID" "$RTCP_PID")
check "the caller's ears listen" until_ok 10 ear_up "$((EAR + 1))"
check "a call to a plan that plays 8 s of tone" uac caller media_uac_listen.xml tone \
	-set rtpport "$EAR"
wait_exit "$RTP_PID" 20
wait_exit "$RTCP_PID" 20
check "the caller got sender reports for the stream it heard" \
	python3 - "$TMP/tone.json" "$TMP/rtcp.json" <<'PY'
import json, sys, time
rtp, rtcp = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
ssrc = {p["ssrc"] for p in rtp}
print(f"{len(rtp)} RTP packets, SSRC {ssrc}; {len(rtcp)} RTCP compounds")
assert len(ssrc) == 1
ssrc = ssrc.pop()
srs = [c for c in rtcp if c["packets"][0]["type"] == 200]
assert srs, "at least one SR"
assert all(c["packets"][0]["type"] == 200 for c in rtcp), "every compound starts with an SR"
for c in srs:
    sr = c["packets"][0]
    print(f"at {c['at']:.1f} s: SR ssrc {sr['ssrc']:#x} packets {sr['packets']} "
          f"octets {sr['octets']} rtp_ts {sr['rtp_ts']}")
    assert sr["ssrc"] == ssrc, "the SR names the RTP stream's SSRC"
    assert sr["octets"] == 160 * sr["packets"], "payload octets: 160 a packet"
    assert 0 < sr["packets"] <= len(rtp), "packets sent so far"
    assert abs(sr["ntp"] - 2208988800 - c["wall"]) < 2, "NTP time is now"
    first_ts = rtp[0]["ts"]
    assert 0 < (sr["rtp_ts"] - first_ts) % 2**32 <= 160 * len(rtp) + 8000, "RTP time"
    sdes = [p for p in c["packets"] if p["type"] == 202]
    assert sdes and sdes[0]["ssrc"] == ssrc and sdes[0]["item"] == 1, "SDES CNAME"
    assert sdes[0]["text"].startswith("crossbar-")
gaps = [b["at"] - a["at"] for a, b in zip(srs, srs[1:])]
assert all(2.4 <= g <= 7.6 for g in gaps), f"2.5-7.5 s apart: {gaps}"
PY

# DTMF: telephone-events in the stream.
EAR=$(ear_port)
python3 "$SRC/tests/integration/rtp_listen.py" "$EAR" "$TMP/dtmf.json" 15 &
RTP_PID=$!
PIDS+=("$RTP_PID")
check "the caller's ear listens" until_ok 10 ear_up "$EAR"
check "send_dtmf 15#@120 to a caller with telephone-events, then a tone" \
	uac caller2 dtmf_uac_listen.xml dtmf -set rtpport "$EAR"
wait_exit "$RTP_PID" 20
check "the caller got the digits as RFC 4733 events in its stream" \
	python3 - "$TMP/dtmf.json" <<'PY'
import json, sys
pk = json.load(open(sys.argv[1]))
print(f"{len(pk)} packets")
assert len({p["ssrc"] for p in pk}) == 1, "one SSRC"
for a, b in zip(pk, pk[1:]):
    assert (b["seq"] - a["seq"]) % 65536 == 1, f"sequence {a['seq']} -> {b['seq']}"
events = {}
for i, p in enumerate(pk):
    if p["pt"] == 101:
        events.setdefault(p["ts"], []).append((i, p))
assert len(events) == 3, f"three events: {list(events)}"
digits = []
for ts, group in events.items():
    idx = [i for i, _ in group]
    assert idx == list(range(idx[0], idx[-1] + 1)), "no audio during an event"
    pay = [bytes.fromhex(p["payload"]) for _, p in group]
    ev = {x[0] for x in pay}
    assert len(ev) == 1
    digits.append(ev.pop())
    durations = [int.from_bytes(x[2:4], "big") for x in pay]
    ends = [x[1] >> 7 for x in pay]
    print(f"event {digits[-1]}: {len(group)} packets, durations {durations}, E {ends}")
    assert group[0][1]["m"] == 1 and all(p["m"] == 0 for _, p in group[1:]), "marker first"
    assert ends[-3:] == [1, 1, 1] and not any(ends[:-3]), "the end packet three times"
    assert durations == sorted(durations) and durations[-1] == 960, "120 ms"
    assert all(x[1] & 0x3F == 10 for x in pay), "-10 dBm0"
    prev = pk[idx[0] - 1] if idx[0] else None
    if prev:
        assert 0 < (ts - prev["ts"]) % 2**32 < 8000, "the event's time goes on from the audio"
assert digits == [1, 5, 11], f"1, 5, # in order: {digits}"
assert sum(p["pt"] == 0 for p in pk) > 100, "the tone around them"
PY

# DTMF: INFO to a caller without telephone-events.
check "send_dtmf to a caller without telephone-events: three INFOs" \
	uac caller3 dtmf_uac_info.xml dtmf -set rtpport "$(ear_port)"

# DTMF: a digit the caller sends as INFO reaches a callee with telephone-events in its RTP.
EAR=$(ear_port)
python3 "$SRC/tests/integration/rtp_listen.py" "$EAR" "$TMP/relay.json" 10 &
RTP_PID=$!
PIDS+=("$RTP_PID")
check "the callee's ear listens" until_ok 10 ear_up "$EAR"
uas_start callee dtmf_uas_listen.xml -set rtpport "$EAR"
check "a caller dials 5 by INFO to a callee with telephone-events" \
	uac caller4 dtmf_uac_info_send.xml relay
check "... the callee answered" uas_done
wait_exit "$RTP_PID" 20
check "... and got the digit as an RFC 4733 event in its RTP" python3 - "$TMP/relay.json" <<'PY'
import json, sys
pk = [p for p in json.load(open(sys.argv[1])) if p["pt"] == 101]
print(f"{len(pk)} telephone-event packets")
assert pk, "events"
pay = [bytes.fromhex(p["payload"]) for p in pk]
assert {x[0] for x in pay} == {5}, "the digit 5"
assert len({p["ts"] for p in pk}) == 1, "one event"
assert [x[1] >> 7 for x in pay][-3:] == [1, 1, 1], "its end three times"
assert pk[0]["m"] == 1
PY
done_testing
