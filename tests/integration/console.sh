#!/bin/bash
# console.sh: the console (mod_portaudio) on a sound device that is no sound card: an ALSA
# configuration (ALSA_CONFIG_PATH) whose default device plays into a raw file and captures
# from another, through ALSA's file and null plugins. A baresip phone calls the console's
# extension (a bridge to portaudio/default): the device plays the ring file, then, once
# `crossbar-cli console answer` answers, what the phone says; and the phone hears what the
# device captures. audio_check.py finds each signal in the other side's recording by
# cross-correlation and checks every 20 ms block of it. `console dial` calls an extension
# of the dialplan, `console dtmf` presses digits there (the read application takes them),
# `console hangup` ends the call. A daemon whose ALSA has no device at all says so at
# load and works on; a device that fails mid-call (the pipe it writes into loses its
# reader) ends the call with DESTINATION_OUT_OF_ORDER.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/baresip_lib.sh"

require_tools baresip python3 # Debian packages baresip, python3-numpy
/usr/bin/python3 -c 'import numpy' 2>/dev/null || {
	skip "console" "python3-numpy is not installed"
	done_testing
}
[ -e "$BUILD/modules/portaudio/mod_portaudio.la" ] || {
	skip "console" "mod_portaudio is not built (PortAudio, portaudio19-dev, is missing)"
	done_testing
}
AUDIO=(/usr/bin/python3 "$SRC/tests/integration/audio_check.py")
RATE=48000 # the device's; the phone talks G.711 at 8 kHz

export COLUMNS=200
crossbar_names pbx
PORT=$pbx_PORT
cli() { "$CLI" --socket "$pbx_SOCK" "$@"; }

# wav_to_raw IN.wav OUT.raw / raw_to_wav IN.raw OUT.wav RATE: 16-bit mono, no header.
wav_to_raw() {
	/usr/bin/python3 -c 'import sys, wave
w = wave.open(sys.argv[1]); open(sys.argv[2], "wb").write(w.readframes(w.getnframes()))' "$1" "$2"
}
raw_to_wav() {
	/usr/bin/python3 -c 'import sys, wave
w = wave.open(sys.argv[2], "wb"); w.setnchannels(1); w.setsampwidth(2); w.setframerate(int(sys.argv[3]))
w.writeframes(open(sys.argv[1], "rb").read()); w.close()' "$1" "$2" "$3"
}

# window IN.wav OUT.wav BACK SECONDS: SECONDS of IN that end BACK seconds before its silent
# end: a part of a recording that is the call's talk, after the answer (before it:
# ringing, which the signal's span would also cover).
window() {
	/usr/bin/python3 -c 'import sys, wave
import numpy as np
w = wave.open(sys.argv[1]); rate = w.getframerate()
x = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2")
b = rate // 50
end = len(x) - len(x) % b
while end >= b and np.sqrt(np.mean(x[end - b:end].astype(float) ** 2)) < 200:
    end -= b
end -= int(float(sys.argv[3]) * rate)
x = x[max(0, end - int(float(sys.argv[4]) * rate)):max(0, end)]
o = wave.open(sys.argv[2], "wb"); o.setnchannels(1); o.setsampwidth(2); o.setframerate(rate)
o.writeframes(x.tobytes()); o.close()' "$@"
}
# talk_heard SENT.wav HEARD.wav: HEARD's talk carries SENT whole (audio_check.py, every
# 20 ms block) for at least 1.5 s: in one of the last three windows of 1.7 s of it. On a
# loaded machine a packet late by more than portaudio.jitter_ms leaves a gap that shifts
# what follows, as on any phone; a window without one shows the path is whole.
talk_heard() {
	local back
	for back in 0 1.7 3.4; do
		window "$2" "$2.part.wav" $back 1.7
		"${AUDIO[@]}" check "$1" "$2.part.wav" 0.7 1.5 && return 0
	done
	return 1
}

"${AUDIO[@]}" make "$TMP/console-says.wav" $RATE 30 7
wav_to_raw "$TMP/console-says.wav" "$TMP/console-in.raw"
"${AUDIO[@]}" make "$TMP/ring.wav" 8000 2 9
cat >"$TMP/asound.conf" <<CONF
pcm.!default {
	type asym
	playback.pcm {
		type file
		slave.pcm { type null }
		file "$TMP/console-out.raw"
		format "raw"
	}
	capture.pcm {
		type file
		slave.pcm { type null }
		file "/dev/null"
		infile "$TMP/console-in.raw"
		format "raw"
	}
}
CONF
export ALSA_CONFIG_PATH=$TMP/asound.conf JACK_NO_START_SERVER=1
# with_alsa CONF COMMAND...: the command with another ALSA configuration.
with_alsa() {
	local ALSA_CONFIG_PATH=$1
	shift
	"$@"
}

cat >"$TMP/plan.xml" <<XML
<?xml version="1.0" encoding="UTF-8"?>
<include>
  <context name="default">
    <extension name="console">
      <condition field="destination_number" expression="^2090\$">
        <action application="bridge" data="portaudio/default"/>
      </condition>
    </extension>
    <extension name="no-such-device">
      <condition field="destination_number" expression="^2091\$">
        <action application="bridge" data="portaudio/nosuchcard"/>
      </condition>
    </extension>
    <extension name="digits">
      <condition field="destination_number" expression="^2099\$">
        <action application="answer"/>
        <action application="read" data="pin 2 4 welcome 10000 #"/>
        <action application="log" data="NOTICE RESULT pin=\${pin} read_result=\${read_result} from=\${caller_id_number}"/>
        <action application="sleep" data="30000"/>
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

check "the daemon starts with mod_portaudio" start_crossbar pbx sip,registrar,portaudio \
	--set dialplan.file="$TMP/plan.xml" --set sip.domain=pbx.test \
	--set directory.realm=pbx.test --set directory.demo_users=no \
	--set registrar.digest_algorithms=MD5 --set sip.digest_algorithms=MD5 \
	--set core.log_level=info --set portaudio.sample_rate=$RATE \
	--set portaudio.ring_file="$TMP/ring.wav" --set portaudio.jitter_ms=300 \
	--set portaudio.rtp_port=64000
check "... it says which device the console uses" \
	grep -q "the console plays on 'default' and listens on 'default'" "$TMP/pbx.log"
check "console devices lists the default device, both ways" \
	eval "cli console devices | grep -qE '^[0-9]+ +default +[0-9]+ +[0-9]+ +[0-9]+ +in,out'"
check "console: idle" eval "cli console | grep -qE '^state +idle'"
expect_exit 1 "no call is ringing" "console answer with nothing ringing is refused" cli console answer
expect_exit 1 "has no call" "console hangup with no call is refused" cli console hangup
expect_exit 1 "no call to send DTMF" "console dtmf with no call is refused" cli console dtmf 1
expect_exit 1 "'12;3' is not a number" "console dial of a bad number is refused" cli console dial '12;3'
expect_exit 1 "is not a number" "console dial of an over-long number is refused" cli console dial \
	"$(printf '1%.0s' $(seq 1 80))"
expect_exit 1 "usage: console dial NUMBER" "console dial without a number is refused" cli console dial
expect_exit 1 "is not DTMF" "console dtmf of a bad digit is refused" cli console dtmf 12X

EXTS="2001 2002 2003"
for ext in $EXTS; do
	cli user add "$ext" --password "pw-$ext" >/dev/null
done
# 2001 talks G.711 µ-law at 8 kHz, 2003 G.722 at 16 kHz; each says a signal of its own and
# records what it hears.
declare -A CODEC=([2001]=PCMU [2002]=PCMU [2003]=G722/16000/1)
seed=1
for ext in 2001 2003; do
	rate=8000
	[[ ${CODEC[$ext]} == G722* ]] && rate=16000
	"${AUDIO[@]}" make "$TMP/says-$ext.wav" $rate 30 $seed
	seed=$((seed + 1))
	PHONE_SOURCE[$ext]=aufile,$TMP/says-$ext.wav
	PHONE_SRATE[$ext]=$rate
	PHONE_RECORD[$ext]=$TMP/heard-$ext
	mkdir -p "${PHONE_RECORD[$ext]}"
done
for ext in $EXTS; do PHONE_ACCOUNT[$ext]=";audio_codecs=${CODEC[$ext]}"; done
phone_ports $EXTS
for ext in $EXTS; do phone_start "$ext" udp; done
registered() { cli registrations "$1" | grep -qE "^$1 .* udp:127.0.0.1:[0-9]+ .*baresip"; }
check "the phones register" until_ok 10 eval "registered 2001 && registered 2002 && registered 2003"

state_is() { cli console | grep -qE "^state +$1\$"; }
logged() { grep -qE -- "$1" "$TMP/pbx.log"; }
closed_count() { grep -c 'console: the sound device is closed' "$TMP/pbx.log"; }
EST='Call established'

# ---- a phone calls the console ----
check "2001 calls 2090, the console" phone 2001 dial 2090
check "... the console rings" until_ok 10 state_is ringing
check "... the device plays the ring file once, whole" until_ok 10 logged 'portaudio/default: rang 1 time'
check "... a second call to the busy console is refused busy" phone 2002 dial 2090
check "... ... 2002's call ends" until_ok 10 seen 2002 1 "$CALL_ENDED"
check "... ... as USER_BUSY" until_ok 5 logged 'bridge to portaudio/default: portaudio/default: the console is busy'
check "console answer" cli console answer
check "... 2001's call is established" until_ok 10 seen 2001 1 "$EST"
check "... the console is talking" state_is talking
check "... calls lists the console's leg, bridged" eval "cli calls | grep -q 'bridged.*portaudio/default'"
sleep 5.5 # the call's audio, both ways: three windows of 1.7 s
n=$(closed_count)
check "... 2001 hangs up" phone 2001 hangup
check "... the console's call ends" until_ok 10 state_is idle
check "... and its device is closed" until_ok 10 eval '[ "$(closed_count)" -gt "$n" ]'
raw_to_wav "$TMP/console-out.raw" "$TMP/console-out.wav" $RATE
heard() { ls -t "${PHONE_RECORD[$1]}"/dump-*-dec.wav 2>/dev/null | head -1; }
check "... the device played the ring file, whole" "${AUDIO[@]}" check "$TMP/ring.wav" \
	"$TMP/console-out.wav" 0.7 1.5
cp "$(heard 2001)" "$TMP/heard-2001.wav"
check "... the device played what 2001 said, whole (8 kHz PCMU to 48 kHz)" talk_heard \
	"$TMP/says-2001.wav" "$TMP/console-out.wav"
check "... 2001 heard what the device captured, whole (48 kHz to PCMU)" talk_heard \
	"$TMP/console-says.wav" "$TMP/heard-2001.wav"

n=$(count 2002 "$CALL_ENDED")
check "2002 calls the console again" phone 2002 dial 2090
check "... it rings" until_ok 10 state_is ringing
check "console hangup refuses the call that rings" cli console hangup
check "... 2002's call ends" until_ok 10 seen 2002 $((n + 1)) "$CALL_ENDED"
check "... as CALL_REJECTED" logged 'portaudio/default: hung up \(CALL_REJECTED\)'
check "... the console is idle" until_ok 5 state_is idle
n=$(count 2002 "$CALL_ENDED")
check "2002 calls 2091, a bridge to portaudio/nosuchcard" phone 2002 dial 2091
check "... 2002's call ends" until_ok 10 seen 2002 $((n + 1)) "$CALL_ENDED"
check "... the bridge says there is no such device" \
	logged "bridge to portaudio/nosuchcard: portaudio/nosuchcard: no sound output device 'nosuchcard'"
check "... the console is idle" state_is idle

# ---- the console calls ----
check "console dial 2099 (an extension that reads digits)" cli console dial 2099
check "... the console is talking" until_ok 10 state_is talking
check "... the call came from the console's caller ID" until_ok 5 eval "cli calls | grep -qE '^[0-9a-f]+ +in +console +2099 '"
check "console dtmf 42#" cli console dtmf '42#'
check "... the dialplan's read took the digits" until_ok 5 logged 'RESULT pin=42 read_result=success from=console'
n=$(closed_count)
check "console hangup" cli console hangup
check "... the console is idle" until_ok 5 state_is idle
check "... the call is gone" until_ok 5 eval '! cli calls | grep -q portaudio'
check "... its device is closed" until_ok 10 eval '[ "$(closed_count)" -gt "$n" ]'
n=$(count 2002 "$EST")
check "console dial 2002 (a phone)" cli console dial 2002
check "... 2002 answers" until_ok 10 seen 2002 $((n + 1)) "$EST"
check "... the console is talking" until_ok 5 state_is talking
check "... 2002 hangs up" phone 2002 hangup
check "... the console's call ends with it" until_ok 10 state_is idle

n=$(closed_count)
check "console dial 2003 (a G.722 phone)" cli console dial 2003
check "... 2003 answers" until_ok 10 seen 2003 1 "$EST"
check "... in G.722" seen 2003 1 "Set audio decoder: G722 "
check "... the console is talking" until_ok 5 state_is talking
sleep 5.5 # the call's audio, both ways: three windows of 1.7 s
check "console hangup" cli console hangup
check "... 2003's call ends" until_ok 10 seen 2003 1 "$CALL_ENDED"
check "... the device is closed" until_ok 10 eval '[ "$(closed_count)" -gt "$n" ]'
raw_to_wav "$TMP/console-out.raw" "$TMP/console-out-2003.wav" $RATE
cp "$(heard 2003)" "$TMP/heard-2003.wav"
check "... the device played what 2003 said, whole (G.722 at 16 kHz to 48 kHz)" talk_heard \
	"$TMP/says-2003.wav" "$TMP/console-out-2003.wav"
check "... 2003 heard what the device captured, whole (48 kHz to G.722)" talk_heard \
	"$TMP/console-says.wav" "$TMP/heard-2003.wav"

# ---- a device that fails mid-call ----
mkfifo "$TMP/console-pipe"
# The reader of the pipe the device writes into, restarted for each opening, in a process
# group of its own, so that it goes at once, loop and reader together.
setsid bash -c 'while :; do cat "$1" >/dev/null; done' reader "$TMP/console-pipe" &
READER=$!
PIDS+=("$READER")
sed "s#$TMP/console-out.raw#$TMP/console-pipe#" "$TMP/asound.conf" >"$TMP/asound-pipe.conf"
check "a daemon whose device writes into a pipe starts" with_alsa "$TMP/asound-pipe.conf" \
	start_crossbar pipe portaudio --set core.log_level=info --set dialplan.file="$TMP/plan.xml" \
	--set portaudio.sample_rate=8000 --set portaudio.rtp_port=64010
pcli() { "$CLI" --socket "$pipe_SOCK" "$@"; }
check "... console dial 2099" pcli console dial 2099
check "... talking" until_ok 10 eval "pcli console | grep -qE '^state +talking'"
check "... its RTP socket is on a port of portaudio.rtp_port" \
	grep -qE 'portaudio/console: audio .* to 127.0.0.1:[0-9]+ from 127.0.0.1:640(0|1)[0-9]' "$TMP/pipe.log"
kill -- -"$READER"
wait "$READER" 2>/dev/null
check "... the pipe loses its reader: the call ends" until_ok 10 \
	eval "pcli console | grep -qE '^state +idle'"
check "... with a clear cause and log line" grep -qE \
	'portaudio/console: the sound device failed: .*call ended \(DESTINATION_OUT_OF_ORDER\)' "$TMP/pipe.log"
check "... the daemon works on" pcli status
stop_crossbar pipe

# ---- no sound device ----
# a machine without a sound card: the default device is a card that is not there
printf 'pcm.!default {\n\ttype hw\n\tcard 9\n}\n' >"$TMP/asound-none.conf"
check "a daemon with no sound device at all starts" with_alsa "$TMP/asound-none.conf" \
	start_crossbar nodev portaudio --set dialplan.file="$TMP/plan.xml"
check "... it says so at load" grep -qE "no sound output device 'default' .*the console takes no calls" \
	"$TMP/nodev.log"
ncli() { "$CLI" --socket "$nodev_SOCK" "$@"; }
check "... console dial is refused with the reason" eval \
	"ncli console dial 2099 2>&1 | grep -q \"no sound output device 'default'\""
check "... the daemon works on" ncli status
check "... and no channel is left" eval "! ncli calls | grep -q portaudio"
stop_crossbar nodev

for ext in $EXTS; do phone_stop "$ext"; done
check "the daemon is still alive" cli status
stop_crossbar pbx
done_testing
