#!/bin/bash
# voicemail.sh: leaving messages with mod_voicemail against the real daemon, with
# sip_peer.py as the callers (SIP over UDP, RTP PCMU, '#' as RFC 4733): '#' skips the
# greeting, the caller's tone lands in BOX/ID.wav with its envelope in the store
# (`crossbar-cli voicemail list`), '#' or a hang-up ends the recording, a message shorter
# than voicemail.min_seconds is dropped, a full box (quota of messages, then of minutes)
# takes nothing and says so, a box whose folder cannot be made and a full disk (a tiny
# tmpfs) lose no message and tell the caller that the message could not be taken;
# each new message mailed through a sendmail-compatible command (a script of the test's that
# stores it: the MIME structure and the attachment's bytes are checked), a failing or
# missing mailer logged and no message lost; `voicemail delete` and the purge of old
# messages; kill -9 during a recording leaves the
# store and the folder consistent, the message whole or absent.
. "$(dirname "$0")/lib.sh"

require_tools python3 sqlite3

crossbar_names vm
PORT=$vm_PORT
PEER=$SRC/tests/integration/sip_peer.py
export COLUMNS=200
cli() { "$CLI" --socket "$vm_SOCK" "$@"; }

cat >"$TMP/plan.xml" <<XML
<?xml version="1.0" encoding="UTF-8"?>
<include>
  <context name="public">
    <extension name="leave">
      <condition field="destination_number" expression="^vm(\d+)\$">
        <action application="voicemail" data="default \$1"/>
        <action application="log" data="NOTICE RESULT \$1 \${voicemail_result}"/>
        <action application="hangup"/>
      </condition>
    </extension>
  </context>
</include>
XML

# peer ARGS...: a caller on a fresh SIP port and an RTP port of 63500-63999.
peer() {
	local sip rtp
	sip=$(free_port)
	rtp=$((63500 + (RANDOM % 240) * 2))
	timeout 60 python3 "$PEER" call "$PORT" "$sip" "$rtp" "$@"
}

# result BOX WORD: the plan logged voicemail_result=WORD for a call to BOX (the COUNT-th).
result() { until_ok 15 grep -q "RESULT $1 $2\$" "$TMP/vm.log"; }
results() { grep -c "RESULT $1 $2\$" "$TMP/vm.log"; }

# wav FILE MIN_S MAX_S HZ: an 8 kHz 16-bit mono WAV of that length, mostly a tone of HZ.
wav() {
	python3 - "$@" <<'PY'
import math, struct, sys, wave
path, lo, hi, hz = sys.argv[1], float(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4])
w = wave.open(path)
assert w.getframerate() == 8000 and w.getsampwidth() == 2 and w.getnchannels() == 1
n = w.getnframes()
print(f"{path}: {n / 8000:.2f} s")
assert lo <= n / 8000 <= hi, f"{n / 8000:.2f} s is not within {lo}-{hi}"
x = struct.unpack(f"<{n}h", w.readframes(n))
def power(hz):
    k = 2 * math.cos(2 * math.pi * hz / 8000)
    s1 = s2 = 0.0
    for v in x:
        s1, s2 = v + k * s1 - s2, s1
    return s1 * s1 + s2 * s2 - k * s1 * s2
others = max(power(f) for f in (300, 700, 1300, 1700, 2500) if abs(f - hz) > 150)
assert power(hz) > 20 * others, f"not mostly {hz} Hz"
PY
}

# messages BOX: how many messages `voicemail list` shows.
messages() { cli --json voicemail list "$1" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["rows"]))'; }
# has_messages BOX N
has_messages() {
	local n
	n=$(messages "$1")
	echo "$1 has $n messages (wanted $2)"
	[ "$n" = "$2" ]
}
# field BOX INDEX NAME: a field of a message as `voicemail list --json` gives it.
field() {
	cli --json voicemail list "$1" | python3 -c '
import json, sys
print(json.load(sys.stdin)["rows"][int(sys.argv[1])][sys.argv[2]])' "$2" "$3"
}

MODS=sip,voicemail
ARGS=(--set dialplan.file="$TMP/plan.xml" --set sip.public_for_strangers=yes
	--set core.log_level=info --set directory.demo_users=no --set voicemail.min_seconds=1)
check "the daemon starts with mod_voicemail" start_crossbar vm "$MODS" "${ARGS[@]}"
for ext in 1001 1002 1003 1004; do cli user add "$ext" --password "pw-$ext" >/dev/null; done
check "voicemail list of a box with no message: an empty table" \
	grep -q '^ID  *FOLDER  *RECEIVED  *FROM' <(cli voicemail list 1001)
expect_exit 1 "no user '9999'" "voicemail list of an unknown box: an error, exit 1" \
	cli voicemail list 9999
expect_exit 1 "no message 'abcdef'" "voicemail delete of an unknown id: an error, exit 1" \
	cli voicemail delete 1001 abcdef
expect_exit 1 "no user" "voicemail list ../x: refused" cli voicemail list ../x

# 1: '#' skips the greeting; 2 s of 1 kHz after the beep; the caller hangs up.
check "a caller skips the greeting with '#', says 2.5 s of 1 kHz and hangs up" \
	peer vm1001 rfc4733:# tone:1000:2.5 bye
check "... the message is kept" until_ok 10 has_messages 1001 1
check "... the log says so" grep -q "voicemail: message [0-9a-f]\{32\} left in box 1001 by 'peer'" "$TMP/vm.log"
FILE1=$(field 1001 0 file)
check "... its file is BOX/ID.wav under core.data_dir/voicemail" \
	test "$FILE1" = "$vm_DATA/voicemail/1001/$(field 1001 0 id).wav"
check "... the WAV holds the tone (the beep's 0.5 s less)" wav "$FILE1" 1.2 2.6 1000
check "... its envelope: from peer, in new, received now, its length" python3 - \
	"$(cli --json voicemail list 1001)" <<'PY'
import json, sys, time
m = json.loads(sys.argv[1])["rows"][0]
print(m)
assert m["from"] == "peer" and m["folder"] == "new"
assert abs(m["created"] - time.time()) < 60
assert 1200 <= m["duration_ms"] <= 2600
PY
check "... the text table fits 80 columns" \
	lacks '.{81}' env COLUMNS=80 "$CLI" --socket "$vm_SOCK" voicemail list 1001
check "... the greeting was skipped: the generated one never played whole" \
	grep -q "playing vm-person-at" "$TMP/vm.log"
MD5_1=$(md5sum <"$FILE1")

# 2: no '#': the generated greeting plays to the end, then the beep; '#' ends the recording.
# (The greeting lasts about 11 s: the caller's 16 s of tone outlast it.)
check "a caller hears the greeting out, says 600 Hz throughout and presses '#'" \
	peer vm1002 tone:600:16 rfc4733:# wait
check "... the plan goes on: voicemail_result=saved" result 1002 saved
check "... the greeting was 'the person at extension 1 0 0 2 is not available', then a beep" \
	python3 - "$TMP/vm.log" <<'PY'
import re, sys
played = re.findall(r"voicemail: playing (\S+)", open(sys.argv[1]).read())
want = ["vm-person-at", "vm-digit-1", "vm-digit-0", "vm-digit-0", "vm-digit-2",
        "vm-not-available", "tone:beep"]
s = " ".join(played)
print(s)
assert " ".join(want) in s
PY
check "... the message holds the tone said after the beep" wav "$(field 1002 0 file)" 1 6 600

# 3: too short.
check "a caller says 0.3 s after the beep and presses '#'" \
	peer vm1002 rfc4733:# quiet:1 tone:700:0.3 rfc4733:# wait
check "... dropped as too short" result 1002 too_short
check "... no file is left of it" test "$(ls "$vm_DATA/voicemail/1002" | wc -l)" = 1
check "... 1002 still has one message" has_messages 1002 1

# 4: a folder that cannot be made (a file is where it should be).
echo "not a folder" >"$vm_DATA/voicemail/1003"
check "a caller leaves a message for 1003, whose folder cannot be made" \
	peer vm1003 rfc4733:# tone:1000:1.5 rfc4733:# wait
check "... the plan hears failed" result 1003 failed
check "... the caller heard that the message could not be taken" \
	grep -q "playing vm-not-taken" "$TMP/vm.log"
check "... 1001's message is untouched" test "$(md5sum <"$FILE1")" = "$MD5_1"
rm -f "$vm_DATA/voicemail/1003"

# 5: quotas.
stop_crossbar vm
check "the daemon restarts with a quota of 1 message" start_crossbar vm "$MODS" "${ARGS[@]}" --set voicemail.quota_messages=1
check "a caller tries 1001's full box" peer vm1001 wait
check "... told the box is full" result 1001 full
check "... the prompt says so" grep -q "playing vm-box-full" "$TMP/vm.log"
check "... 1001 keeps its one message" has_messages 1001 1
stop_crossbar vm
check "... with a quota of 1 minute, 1001's box (2 s used) still takes a message" \
	start_crossbar vm "$MODS" "${ARGS[@]}" --set voicemail.quota_minutes=1 \
	--set voicemail.quota_messages=0
check "a caller leaves 1001 a second message" peer vm1001 rfc4733:# tone:1000:1.5 rfc4733:# wait
check "... saved" result 1001 saved
check "... 1001 has two" has_messages 1001 2

# 6: a full disk: voicemail.dir on a tmpfs of 96 KiB (about 6 s of audio).
MNT=$TMP/tiny
mkdir -p "$MNT"
if mount -t tmpfs -o size=96k tmpfs "$MNT" 2>/dev/null; then
	trap 'umount "$MNT" 2>/dev/null; cleanup' EXIT
	stop_crossbar vm
	check "the daemon restarts with voicemail.dir on a 96 KiB tmpfs" \
		start_crossbar vm "$MODS" "${ARGS[@]}" --set voicemail.dir="$MNT"
	check "a 2 s message fits" peer vm1004 rfc4733:# tone:1000:2 rfc4733:# wait
	check "... saved" result 1004 saved
	F4=$(field 1004 0 file)
	M4=$(md5sum <"$F4")
	check "a 10 s message fills the disk" peer vm1004 rfc4733:# tone:1000:10 wait
	check "... the plan hears failed" until_ok 20 grep -q "RESULT 1004 failed" "$TMP/vm.log"
	check "... the caller heard that the message could not be taken" \
		grep -q "playing vm-not-taken" "$TMP/vm.log"
	check "... the first message is intact" test "$(md5sum <"$F4")" = "$M4"
	check "... the box still has one message" has_messages 1004 1
	check "... no partial file is left" test "$(ls "$MNT/1004" | wc -l)" = 1
else
	skip "a full disk loses no message" "cannot mount a tmpfs here"
fi

# 7: e-mail through a sendmail-compatible command of the test's own (it stores each mail).
mkdir -p "$TMP/mail"
cat >"$TMP/sendmail.sh" <<SH
#!/bin/sh
# a sendmail stand-in: "-t", then the mail on standard input, stored in a file
[ "\$1" = -t ] || exit 64
cat >"$TMP/mail/\$(date +%s%N).eml"
SH
cat >"$TMP/failmail.sh" <<'SH'
#!/bin/sh
cat >/dev/null
echo "msmtp: cannot connect to smtp.example.com" >&2
exit 75
SH
chmod +x "$TMP/sendmail.sh" "$TMP/failmail.sh"
cli user set 1002 --email "owner-1002@example.com" >/dev/null
stop_crossbar vm
check "restarted with voicemail.mailer set to a script that stores the mail" \
	start_crossbar vm "$MODS" "${ARGS[@]}" --set voicemail.mailer="$TMP/sendmail.sh -t" \
	--set voicemail.mail_from=pbx@example.com
S=$(results 1002 saved)
check "a caller leaves 1002 a message" peer vm1002 rfc4733:# tone:1000:2 rfc4733:# wait
check "... saved" until_ok 15 test "$(results 1002 saved)" -gt "$S"
check "... the mailer got one mail" until_ok 15 bash -c "ls '$TMP/mail' | grep -q eml"
check "... the log says it was mailed" until_ok 10 grep -q "mailed to the owner of box 1002" "$TMP/vm.log"
MSGS=$(cli --json voicemail list 1002)
check "... its MIME structure: multipart/mixed, the text with the envelope, the WAV whole" \
	python3 - "$TMP/mail" "$MSGS" <<'PY'
import email, email.policy, glob, json, sys
path = sorted(glob.glob(sys.argv[1] + "/*.eml"))[0]
msg = email.message_from_bytes(open(path, "rb").read(), policy=email.policy.default)
m = [r for r in json.loads(sys.argv[2])["rows"] if r["folder"] == "new"][-1]
print(msg["To"], "|", msg["From"], "|", msg["Subject"], "|", msg.get_content_type())
assert msg["To"] == "owner-1002@example.com" and msg["From"] == "pbx@example.com"
assert "peer" in msg["Subject"] and "1002" in msg["Subject"]
assert msg["Date"] and msg["MIME-Version"] == "1.0"
assert msg.get_content_type() == "multipart/mixed"
parts = list(msg.iter_parts())
assert [p.get_content_type() for p in parts] == ["text/plain", "audio/wav"], parts
text = parts[0].get_content()
for want in ("1002", "peer", m["id"], "Length:"):
    assert want in text, (want, text)
att = parts[1]
assert att.get_filename() == "voicemail-%s.wav" % m["id"]
assert att.get_content_disposition() == "attachment"
assert att.get_payload(decode=True) == open(m["file"], "rb").read(), "attachment differs"
print("attachment:", len(att.get_payload(decode=True)), "bytes, same as", m["file"])
PY
stop_crossbar vm
check "restarted with a mailer that fails" start_crossbar vm "$MODS" "${ARGS[@]}" \
	--set voicemail.mailer="$TMP/failmail.sh"
N2=$(messages 1002)
S=$(results 1002 saved)
check "a caller leaves 1002 another message" peer vm1002 rfc4733:# tone:1000:2 rfc4733:# wait
check "... saved" until_ok 15 test "$(results 1002 saved)" -gt "$S"
check "... the mailer's failure is logged with what it said" until_ok 15 \
	grep -q "failed (exit status 75): msmtp: cannot connect to smtp.example.com" "$TMP/vm.log"
check "... the message is kept" has_messages 1002 $((N2 + 1))
stop_crossbar vm
# A mailer that exits without reading the mail: crossbar's write meets a closed pipe (5 s of
# audio is more than a pipe holds), which must be an error it logs, not a signal that kills it.
printf '#!/bin/sh\nexit 1\n' >"$TMP/quitmail.sh"
chmod +x "$TMP/quitmail.sh"
check "restarted with a mailer that exits without reading" start_crossbar vm "$MODS" \
	"${ARGS[@]}" --set voicemail.mailer="$TMP/quitmail.sh"
N2=$(messages 1002)
S=$(results 1002 saved)
check "a caller leaves 1002 a 5 s message" peer vm1002 rfc4733:# tone:1000:5 rfc4733:# wait
check "... saved" until_ok 15 test "$(results 1002 saved)" -gt "$S"
check "... the mailer's failure is logged" until_ok 15 grep -Eq \
	"box 1002\\): .*(Broken pipe|quitmail.sh' failed)" "$TMP/vm.log"
check "... the message is kept" has_messages 1002 $((N2 + 1))
grep "box 1002): " "$TMP/vm.log" | tail -2 | sed "s/^/# /"
check "... and the daemon is still up" cli status
stop_crossbar vm
check "restarted with a mailer that does not exist" start_crossbar vm "$MODS" "${ARGS[@]}" \
	--set voicemail.mailer="$TMP/no-such-mailer -t"
check "a caller leaves 1002 a third message" peer vm1002 rfc4733:# tone:1000:2 rfc4733:# wait
check "... the failure to run it is logged" until_ok 15 grep -q "cannot run '$TMP/no-such-mailer -t'" "$TMP/vm.log"
check "... the message is kept" has_messages 1002 $((N2 + 2))
stop_crossbar vm
check "the daemon restarts" start_crossbar vm "$MODS" "${ARGS[@]}"

# 8: delete, and the purge of old messages.
N2=$(messages 1002)
ID=$(field 1002 0 id)
check "voicemail delete 1002 with a prefix of the id" cli voicemail delete 1002 "${ID:0:8}"
check "... the message is gone" has_messages 1002 $((N2 - 1))
check "... its file too" test ! -e "$vm_DATA/voicemail/1002/$ID.wav"
stop_crossbar vm
sqlite3 "$vm_DATA/crossbar.db" "UPDATE vm_message SET created = created - 40 * 86400 WHERE box = '1001' AND rowid = (SELECT min(rowid) FROM vm_message WHERE box = '1001')"
check "restarted with voicemail.max_age_days=30: the message made 40 days old is purged" \
	start_crossbar vm "$MODS" "${ARGS[@]}" --set voicemail.max_age_days=30
check "... the log says so" grep -q "voicemail: purged 1 message" "$TMP/vm.log"
check "... 1001 keeps the other" has_messages 1001 1
check "... the purged file is gone" test ! -e "$FILE1"

# 9: kill -9 during a recording.
# (timeout itself in the background, so that killing it ends the caller too)
timeout 60 python3 "$PEER" call "$PORT" "$(free_port)" 63998 vm1003 rfc4733:# tone:1000:20 bye \
	>/dev/null 2>&1 &
PEER_PID=$!
PIDS+=("$PEER_PID")
check "a message for 1003 is being recorded" until_ok 15 \
	grep -q "recording a message for 1003" "$TMP/vm.log"
sleep 1
stop_crossbar vm KILL
kill "$PEER_PID" 2>/dev/null
wait_exit "$PEER_PID" 10
check "... a partial recording is on disk" ls "$vm_DATA"/voicemail/1003/*.part
check "the daemon restarts" start_crossbar vm "$MODS" "${ARGS[@]}"
check "... it removed the recording cut short" \
	grep -q "removing .*1003/[0-9a-f]*.part (a recording cut short)" "$TMP/vm.log"
check "... the database is consistent" test "$(sqlite3 "$vm_DATA/crossbar.db" 'PRAGMA integrity_check')" = ok
check "... 1003 has no message and no file" has_messages 1003 0
check "... and no file" test -z "$(ls "$vm_DATA/voicemail/1003")"
check "... every message's file exists and every file is a message" python3 - \
	"$vm_DATA" <<'PY'
import glob, os, sqlite3, sys
d = sys.argv[1]
rows = {r[0] for r in sqlite3.connect(os.path.join(d, "crossbar.db")).execute("SELECT file FROM vm_message")
        if r[0].startswith(d + "/voicemail/")}
files = {f for f in glob.glob(os.path.join(d, "voicemail", "*", "*.wav")) if not f.endswith("greeting.wav")}
print(rows, files)
assert rows == files
PY

check "a message for 1003 is left whole" peer vm1003 rfc4733:# tone:1000:2 rfc4733:# wait
check "... kept" until_ok 10 has_messages 1003 1
F3=$(field 1003 0 file)
stop_crossbar vm KILL
check "kill -9 right after it, then a restart" start_crossbar vm "$MODS" "${ARGS[@]}"
check "... the message is there, complete" has_messages 1003 1
check "... its WAV whole" wav "$F3" 1 2.6 1000

check "the daemon is still alive" cli status
stop_crossbar vm
done_testing
