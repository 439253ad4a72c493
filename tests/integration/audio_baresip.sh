#!/bin/bash
# audio_baresip.sh: what one baresip phone says reaches the other through crossbar's media
# engine, whole. Pairs of phones (directory users) call each other with the media anchored
# (a plan that bridges ^(20\d\d)$ to user/$1); each phone's microphone is a WAV file of its
# own band-limited noise (aufile) and baresip's sndfile module records what it hears. After
# a few seconds of call, audio_check.py finds where each recording lines up with what the
# other phone sent (cross-correlation) and checks every 20 ms block of it: a lost or
# doubled packet, a gap or noise in place of the signal fails. Both ways, for G.711 µ-law,
# G.711 A-law and G.722, and transcoded between a µ-law and an A-law phone and between a
# G.722 and a µ-law phone. A file played by the dialplan (playback, a 16 kHz WAV resampled
# to the call's 8 kHz) is heard and checked the same way, and so is what the record
# application writes; and the digits a phone sends (RFC 4733) reach the dialplan. (Music on hold is checked so in playback.sh, by a listener of
# its own: baresip 1.0's sndfile records nothing after the re-INVITE that puts it on hold.)
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/baresip_lib.sh"

require_tools baresip python3 # Debian packages baresip, python3-numpy
/usr/bin/python3 -c 'import numpy' 2>/dev/null || {
	skip "audio checks" "python3-numpy is not installed"
	done_testing
}
AUDIO=(/usr/bin/python3 "$SRC/tests/integration/audio_check.py")

export COLUMNS=250
crossbar_names pbx
PORT=$pbx_PORT
cli() { "$CLI" --socket "$pbx_SOCK" "$@"; }

cat >"$TMP/plan.xml" <<XML
<?xml version="1.0" encoding="UTF-8"?>
<include>
  <context name="default">
    <extension name="digits">
      <condition field="destination_number" expression="^2099\$">
        <action application="answer"/>
        <action application="read" data="pin 2 4 welcome 10000 #"/>
        <action application="log" data="NOTICE RESULT pin=\${pin} read_result=\${read_result}"/>
        <action application="sleep" data="20000"/>
      </condition>
    </extension>
    <extension name="record">
      <condition field="destination_number" expression="^2097\$">
        <action application="answer"/>
        <action application="record" data="$TMP/recorded-\${caller_id_number}.wav 3"/>
        <action application="hangup"/>
      </condition>
    </extension>
    <extension name="playback">
      <condition field="destination_number" expression="^2098\$">
        <action application="answer"/>
        <action application="playback" data="$TMP/played.wav"/>
        <action application="hangup"/>
      </condition>
    </extension>
    <extension name="phones">
      <condition field="destination_number" expression="^(20\d\d)\$">
        <action application="bridge" data="user/\$1"/>
      </condition>
    </extension>
  </context>
</include>
XML

check "the daemon starts" start_crossbar pbx sip,registrar,evtap \
	--set dialplan.file="$TMP/plan.xml" --set sip.domain=pbx.test \
	--set directory.realm=pbx.test --set directory.demo_users=no \
	--set registrar.digest_algorithms=MD5 --set sip.digest_algorithms=MD5 \
	--set core.log_level=info
EXTS="2001 2002 2003 2004 2005 2006 2007 2008 2009 2010"
declare -A CODEC=([2001]=PCMU [2002]=PCMU [2003]=PCMA [2004]=PCMA [2005]=G722/16000/1
	[2006]=G722/16000/1 [2007]=PCMU [2008]=PCMA [2009]=G722/16000/1 [2010]=PCMU)
"${AUDIO[@]}" make "$TMP/played.wav" 16000 3 101
seed=1
for ext in $EXTS; do
	cli user add "$ext" --password "pw-$ext" >/dev/null
	# at the codec's own rate: baresip's resampler would blur the signal
	rate=8000
	[[ ${CODEC[$ext]} == G722* ]] && rate=16000
	"${AUDIO[@]}" make "$TMP/says-$ext.wav" "$rate" 30 "$seed"
	seed=$((seed + 1))
	PHONE_SOURCE[$ext]=aufile,$TMP/says-$ext.wav
	PHONE_SRATE[$ext]=$rate
	PHONE_RECORD[$ext]=$TMP/heard-$ext
	PHONE_ACCOUNT[$ext]=";audio_codecs=${CODEC[$ext]}"
	mkdir -p "${PHONE_RECORD[$ext]}"
done
phone_ports $EXTS
for ext in $EXTS; do phone_start "$ext" udp; done
registered() { cli registrations "$1" | grep -qE "^$1 .* udp:127.0.0.1:[0-9]+ .*baresip"; }
all_registered() {
	for ext in $EXTS; do registered "$ext" || return 1; done
}
check "ten phones register" until_ok 10 all_registered

EST='Call established'
END=$CALL_ENDED
# heard EXT: the recording of what the phone heard in its last call (sndfile's
# dump-*-dec.wav).
heard() { ls -t "${PHONE_RECORD[$1]}"/dump-*-dec.wav 2>/dev/null | head -1; }
# anchored A B: `calls` lists two legs, bridged; the media engine has two endpoints; each
# phone decodes its own codec.
anchored() {
	cli --json calls | /usr/bin/python3 -c '
import json, sys
rows = json.load(sys.stdin)["rows"]
print(rows)
assert len(rows) == 2 and all(r["state"] == "bridged" for r in rows)
' && cli media | grep -qE "^endpoints +2$" && seen "$1" 1 "Set audio decoder: ${CODEC[$1]%%/*} " &&
		seen "$2" 1 "Set audio decoder: ${CODEC[$2]%%/*} "
}

# call A B: A calls B, both talk for 4 s, A hangs up; each must have heard the other.
call() {
	local a=$1 b=$2 how=${CODEC[$1]%%/*}
	[ "${CODEC[$1]}" != "${CODEC[$2]}" ] && how="$how to ${CODEC[$2]%%/*}, transcoded"
	check "$how: $a calls $b" phone "$a" dial "$b"
	check "... $b answers" until_ok 10 seen "$b" 1 "$EST"
	check "... $a sees it established" until_ok 5 seen "$a" 1 "$EST"
	check "... the call is bridged, anchored, each phone in its codec" until_ok 5 anchored "$a" "$b"
	sleep 4
	check "... $a hangs up" phone "$a" hangup
	check "... $b's call ends" until_ok 10 seen "$b" 1 "$END"
	sleep 0.5
	check "... $b heard what $a said, whole ($how)" "${AUDIO[@]}" check "$TMP/says-$a.wav" "$(heard "$b")"
	check "... $a heard what $b said, whole ($how)" "${AUDIO[@]}" check "$TMP/says-$b.wav" "$(heard "$a")"
}
call 2001 2002
call 2003 2004
call 2005 2006
call 2007 2008
call 2009 2010

# (each wait below counts from the phone's log as it was before the call: a call that
# ended two ways, a BYE and a closed session, counts twice)
n=$(count 2001 "$END")
check "playback: 2001 calls 2098, which plays a 16 kHz WAV and hangs up" phone 2001 dial 2098
check "... the call ends when the file has played" until_ok 15 seen 2001 $((n + 1)) "$END"
sleep 0.5
check "... 2001 heard the file, whole" "${AUDIO[@]}" check "$TMP/played.wav" "$(heard 2001)" 0.7 2.5

# recorded EXT: crossbar has closed the recording of EXT's call (the log says how it ended).
recorded() { grep -qE "record $TMP/recorded-$1.wav: [0-9]+ ms, ended by" "$TMP/pbx.log"; }
check "record: 2001 calls 2097, which records 3 s of it and hangs up" phone 2001 dial 2097
check "... the recording ends after 3 s" until_ok 15 recorded 2001
check "... the recording is what 2001 said, whole" "${AUDIO[@]}" check "$TMP/says-2001.wav" \
	"$TMP/recorded-2001.wav" 0.7 2.5
check "record: 2005, a G.722 phone, calls 2097" phone 2005 dial 2097
check "... the recording ends after 3 s" until_ok 15 recorded 2005
check "... the recording (8 kHz) is what 2005 said, whole" "${AUDIO[@]}" check \
	"$TMP/says-2005.wav" "$TMP/recorded-2005.wav" 0.7 2.5
until_ok 10 seen 2001 $((n + 2)) "$END" >/dev/null
until_ok 10 seen 2005 1 "$END" >/dev/null

# Digits: 2001 calls an extension that answers and reads two to four digits while it plays a
# prompt; the digits 2001 presses go as telephone-events (RFC 4733): crossbar reports each
# to the call's channel (the evtap test module lists the events of the bus) and the read
# application takes them.
# digits_heard DIGITS: the channel.dtmf events so far carry DIGITS, in order.
digits_heard() {
	local got
	got=$(cli evtap | grep -oE "channel\.dtmf \('[0-9a-f-]+', '.'\)" | sed -E "s/.*'(.)'\)$/\1/" | tr -d '\n')
	echo "digits heard: '$got' (wanted '$1')"
	[ "$got" = "$1" ]
}
n=$(count 2001 "$EST")
check "2001 calls 2099, which answers" phone 2001 dial 2099
check "... established" until_ok 10 seen 2001 $((n + 1)) "$EST"
sleep 1
for d in 4 2 '#'; do
	phone 2001 sndcode "$d" >/dev/null
	sleep 0.4
done
check "... the digits 4 2 # (RFC 4733) reach the call's channel as DTMF" until_ok 5 digits_heard '42#'
check "... and the dialplan: read sets pin=42" until_ok 5 \
	grep -q "RESULT pin=42 read_result=success" "$TMP/pbx.log"
check "... 2001 hangs up" phone 2001 hangup

for ext in $EXTS; do phone_stop "$ext"; done
check "the daemon is still alive" cli status
stop_crossbar pbx
done_testing
