#!/bin/bash
# transcode.sh: calls whose phones share no codec, through crossbar. SIPp does the
# signalling; each phone's media is rtp_phone.py, which sends 3 s of audio in its codec
# and keeps what arrives. A µ-law caller (PCMU only) calls an A-law callee (PCMA only):
# crossbar offers the callee its codecs as well, answers the caller with µ-law, and its
# engine transcodes: the callee gets A-law with payload type 8, the caller µ-law with 0,
# and both hear what the other sent (every 20 ms frame matched, sample by sample, to one
# sent). A G.722 call (both phones G.722) is relayed byte for byte both ways. A G.722
# caller and a PCMU callee hear each other's tone through the 8 <-> 16 kHz resampler. A
# G.722 caller hears the tone application in G.722. A caller whose codec crossbar cannot
# transcode is offered on unchanged.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sipp_lib.sh"

require_tools sipp python3

export COLUMNS=250
crossbar_names tc
PORT=$tc_PORT
UAS_PORT=$(free_port)
while [ "$UAS_PORT" = "$PORT" ]; do UAS_PORT=$(free_port); done
SIPP_DIR=$SRC/tests/integration/sipp
LOCAL_IP=127.0.0.1
HOST=127.0.0.1
PHONE=$SRC/tests/integration/rtp_phone.py
export PYTHONPATH=$SRC/tests/integration

cat >"$TMP/plan.xml" <<XML
<?xml version="1.0" encoding="UTF-8"?>
<include>
  <context name="public">
    <extension name="tone">
      <condition field="destination_number" expression="^tone\$">
        <action application="answer"/>
        <action application="tone" data="beep 10"/>
      </condition>
    </extension>
    <extension name="x">
      <condition field="destination_number" expression="^(\w+)\$">
        <action application="bridge" data="sip:\$1@127.0.0.1:$UAS_PORT"/>
      </condition>
    </extension>
  </context>
</include>
XML

check "the daemon starts" start_crossbar tc sip --set dialplan.file="$TMP/plan.xml" \
	--set sip.public_for_strangers=yes --set core.log_level=debug

# call NAME CALLER_CODEC CALLER_PT CALLER_SIGNAL CALLEE_CODEC CALLEE_PT CALLEE_SIGNAL
# [CALLER_RTP CALLEE_RTP]: one call with both phones talking; their records are
# $TMP/NAME.a.json (the caller's) and $TMP/NAME.b.json (the callee's).
call() {
	local name=$1 ac=$2 apt=$3 asig=$4 bc=$5 bpt=$6 bsig=$7
	local arp=${8:-60500} brp=${9:-60502}
	rm -f "$TMP/$name.a.msgs" "$TMP/$name.b.msgs"
	uas_start "$name.b" transcode_uas.xml -set rtpport "$brp" -set codec "$bc" -set pt "$bpt" ||
		return 1
	# The callee starts talking at the INVITE, before crossbar has answered the caller
	# and relays to it: it talks a second longer so that the caller hears 3 s of it.
	python3 "$PHONE" "$brp" "$TMP/$name.b.msgs" 1 "$bc" "$bpt" "$bsig" 4 "$TMP/$name.b.json" &
	local bphone=$!
	python3 "$PHONE" "$arp" "$TMP/$name.a.msgs" 2 "$ac" "$apt" "$asig" 3 "$TMP/$name.a.json" &
	local aphone=$!
	PIDS+=("$aphone" "$bphone")
	uac "$name.a" transcode_uac.xml "$name" -set rtpport "$arp" -set codec "$ac" -set pt "$apt"
	local rc=$?
	uas_done || rc=1
	wait "$aphone" || rc=1
	wait "$bphone" || rc=1
	return $rc
}

check "a PCMU caller calls a PCMA callee" call ua PCMU 0 sweep PCMA 8 tone:1100
check "... the callee was offered its codec besides the caller's" \
	grep -q '^m=audio [0-9]* RTP/AVP 0 101 9 8' "$TMP/ua.b.msgs"
check "... the caller's answer is µ-law alone (and telephone-event)" bash -c \
	"grep '^m=audio' '$TMP/ua.a.msgs' | sed -n 2p | tr -d '\\r' | grep -q 'RTP/AVP 0 101\$'"
check "... the log says the call is transcoded" grep -q 'PCMA/8 on one side, PCMU/0 on the other: transcoded' "$TMP/tc.log"

# frames_match A.json B.json ACODEC BCODEC: what B received (BCODEC) is, frame by frame,
# what A sent (decoded, then encoded in B's codec), 140 frames or more.
frames_match() {
	python3 - "$@" <<'PY'
import json, struct, sys
from rtp_phone import decode
a, b = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
ac, bc = sys.argv[3], sys.argv[4]
pt = {"PCMU": 0, "PCMA": 8}[bc]
got = [p for p in b["received"] if p["pt"] == pt]
wrong = [p for p in b["received"] if p["pt"] != pt]
# What A sent, as the far end decodes it (A's codec's quantisation first).
import audioop
sent = []
for s in a["sent"]:
    pcm = struct.pack("<%dh" % len(s), *s)
    enc = audioop.lin2ulaw(pcm, 2) if ac == "PCMU" else audioop.lin2alaw(pcm, 2)
    sent.append(struct.unpack("<160h", decode(ac, enc)))
index = {s: i for i, s in enumerate(sent)}
def corr(x, y):
    xy = sum(p * q for p, q in zip(x, y)); xx = sum(p * p for p in x); yy = sum(q * q for q in y)
    return xy / max(1.0, (xx * yy) ** 0.5)
matched, order = 0, []
for p in got:
    lin = struct.unpack("<160h", decode(bc, bytes.fromhex(p["payload"])))
    # the frame it came from: the best correlated of those sent
    best = max(range(len(sent)), key=lambda i: corr(sent[i], lin))
    if corr(sent[best], lin) > 0.99:
        matched += 1
        order.append(best)
print("%d packets of pt %d, %d of another, %d matched a sent frame" % (len(got), pt, len(wrong), matched))
ok = len(got) >= 140 and not wrong and matched >= len(got) - 2 and order == sorted(order)
sys.exit(0 if ok else 1)
PY
}
check "... the callee heard the caller's sweep as A-law (pt 8), frame by frame" \
	frames_match "$TMP/ua.a.json" "$TMP/ua.b.json" PCMU PCMA

# tone_heard JSON CODEC PT HZ: the phone received 140 packets or more of PT, and their
# audio (decoded as CODEC) is a tone at HZ: 100 times the power at HZ * 1.4 and HZ / 1.4.
tone_heard() {
	python3 - "$@" <<'PY'
import json, struct, sys
from rtp_phone import G722, decode, goertzel, rate_of
rec, codec, pt, hz = json.load(open(sys.argv[1])), sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
got = [p for p in rec["received"] if p["pt"] == pt]
wrong = [p for p in rec["received"] if p["pt"] != pt]
g = G722() if codec == "G722" else None
pcm = b"".join(decode(codec, bytes.fromhex(p["payload"]), g) for p in got)
s = list(struct.unpack("<%dh" % (len(pcm) // 2), pcm))
rate = rate_of(codec)
mid = s[len(s) // 4: len(s) // 4 + rate]  # a second from the middle
at, lo, hi = (goertzel(mid, rate, f) for f in (hz, hz / 1.4, hz * 1.4))
rms = (sum(x * x for x in mid) / max(1, len(mid))) ** 0.5
print("%d packets of pt %d (%d other), %d samples, rms %.0f, tone/off-tone %.0f, %.0f"
      % (len(got), pt, len(wrong), len(s), rms, at / max(lo, 1), at / max(hi, 1)))
ok = len(got) >= 140 and not wrong and at > 100 * lo and at > 100 * hi and rms > 3000
sys.exit(0 if ok else 1)
PY
}
check "... the caller heard the callee's 1100 Hz as µ-law (pt 0)" \
	tone_heard "$TMP/ua.a.json" PCMU 0 1100

check "a G.722 caller calls a G.722 callee" call gg G722 9 tone:700 G722 9 tone:1300
check "... no transcoding: the callee was offered G.722 first" \
	grep -q '^m=audio [0-9]* RTP/AVP 9 101 0 8' "$TMP/gg.b.msgs"
# same_bytes A.json B.json: every payload A sent arrived at B unchanged.
same_bytes() {
	python3 - "$@" <<'PY'
import json, struct, sys
from rtp_phone import G722
a, b = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
g = G722()
sent = set(g.encode(struct.pack("<%dh" % len(s), *s)).hex() for s in a["sent"])
got = [p for p in b["received"] if p["pt"] == 9]
same = sum(1 for p in got if p["payload"] in sent)
print("%d sent, %d received with pt 9, %d byte for byte" % (len(sent), len(got), same))
sys.exit(0 if len(got) >= 140 and same == len(got) else 1)
PY
}
check "... the callee got the caller's G.722 byte for byte" same_bytes "$TMP/gg.a.json" "$TMP/gg.b.json"
check "... and the caller the callee's" same_bytes "$TMP/gg.b.json" "$TMP/gg.a.json"

check "a G.722 caller calls a PCMU callee" call gu G722 9 tone:700 PCMU 0 tone:1300 60504 60506
check "... the caller's answer is G.722 alone" bash -c \
	"grep '^m=audio' '$TMP/gu.a.msgs' | sed -n 2p | tr -d '\\r' | grep -q 'RTP/AVP 9 101\$'"
check "... the callee heard the caller's 700 Hz, resampled to 8 kHz µ-law" \
	tone_heard "$TMP/gu.b.json" PCMU 0 700
check "... the caller heard the callee's 1300 Hz as G.722" tone_heard "$TMP/gu.a.json" G722 9 1300
# unknown_call: a caller whose only codec crossbar cannot transcode; no media.
unknown_call() {
	uas_start xx.b transcode_uas.xml -set rtpport 60510 -set codec X-NONE -set pt 96 || return 1
	uac xx.a transcode_uac.xml xx -set rtpport 60512 -set codec X-NONE -set pt 96 || return 1
	uas_done
}
check "a caller of a codec crossbar cannot transcode" unknown_call
check "... the callee was offered the caller's codecs alone" bash -c \
	"grep '^m=audio' '$TMP/xx.b.msgs' | sed -n 1p | tr -d '\\r' | grep -q 'RTP/AVP 96 101\$'"

# tone_call: a G.722 caller to a plan that answers and plays a 1000 Hz beep.
tone_call() {
	rm -f "$TMP/gt.a.msgs"
	python3 "$PHONE" 60508 "$TMP/gt.a.msgs" 2 G722 9 tone:700 3 "$TMP/gt.a.json" &
	local aphone=$!
	PIDS+=("$aphone")
	uac gt.a transcode_uac.xml tone -set rtpport 60508 -set codec G722 -set pt 9 || return 1
	wait "$aphone"
}
check "a G.722 caller to the tone application" tone_call
check "... heard the 1000 Hz beep encoded as G.722 (pt 9)" tone_heard "$TMP/gt.a.json" G722 9 1000
done_testing
