#!/bin/bash
# make-prompts.sh OUTDIR: the prompts crossbar plays, spoken by espeak-ng into WAV files
# (mono 16-bit, espeak-ng's 22050 Hz; crossbar resamples when it plays them), so that no
# recorded audio is kept in git. Run by the build; each line below is NAME|TEXT.
set -eu
out=${1:?usage: make-prompts.sh OUTDIR}
command -v espeak-ng >/dev/null || {
	echo "make-prompts.sh: espeak-ng is missing (Debian package espeak-ng)" >&2
	exit 1
}
mkdir -p "$out"
while IFS='|' read -r name text; do
	[ -n "$name" ] || continue
	espeak-ng -v en-us -s 150 -w "$out/$name.wav" "$text"
done <<'PROMPTS'
welcome|Welcome to crossbar.
hold|Please hold the line. You will be connected shortly.
echo-test|This is the echo test. Speak, and you will hear yourself.
not-available|The service you asked for is not available.
goodbye|Goodbye.
vm-person-at|The person at extension
vm-not-available|is not available. Please leave a message after the tone. When you are done, hang up or press the pound key.
vm-message-saved|Your message has been saved. Goodbye.
vm-not-taken|Sorry, your message could not be taken.
vm-box-full|The mailbox is full and cannot take any more messages. Goodbye.
vm-enter-box|Please enter the extension of the mailbox, then press the pound key.
vm-enter-pin|Please enter your PIN, then press the pound key.
vm-bad-pin|That PIN is not correct.
vm-you-have|You have
vm-new-messages|new messages
vm-and|and
vm-saved-messages|saved messages
vm-main-menu|Press 1 to listen to your messages, 5 to record your greeting, 6 to change your PIN, or star to hang up.
vm-message-from|Message from
vm-unknown-caller|an unknown caller
vm-received|received
vm-at|at
vm-oclock|o'clock
vm-oh|oh
vm-message-menu|Press 1 to hear it again, 2 to save it, 7 to delete it, 5 to call back, or the pound key for the next message.
vm-message-deleted|Message deleted.
vm-message-kept|Message saved.
vm-no-more|There are no more messages.
vm-record-greeting|Record your greeting after the tone, then press the pound key.
vm-greeting-saved|Your greeting has been saved.
vm-new-pin|Enter your new PIN of four to ten digits, then press the pound key.
vm-pin-changed|Your PIN has been changed.
vm-sunday|Sunday
vm-monday|Monday
vm-tuesday|Tuesday
vm-wednesday|Wednesday
vm-thursday|Thursday
vm-friday|Friday
vm-saturday|Saturday
ivr-main|Thank you for calling. If you know the extension of the person you want to reach, dial it now. For the operator, press 0. To leave or hear a voice message, press 9. To hear these choices again, press star.
ivr-main-short|Please dial an extension, or press 0 for the operator, or 9 for voicemail.
ivr-invalid|That is not a valid choice.
ivr-no-entry|Sorry, I did not hear your choice.
PROMPTS
# Digits spoken one by one (an extension) and numbers 0-19 and tens (a count, a time).
words=(zero one two three four five six seven eight nine ten eleven twelve thirteen
	fourteen fifteen sixteen seventeen eighteen nineteen)
for i in 0 1 2 3 4 5 6 7 8 9; do
	espeak-ng -v en-us -s 150 -w "$out/vm-digit-$i.wav" "${words[$i]}"
done
for i in $(seq 0 19); do
	espeak-ng -v en-us -s 150 -w "$out/vm-num-$i.wav" "${words[$i]}"
done
tens=([2]=twenty [3]=thirty [4]=forty [5]=fifty [6]=sixty [7]=seventy [8]=eighty [9]=ninety)
for i in 2 3 4 5 6 7 8 9; do
	espeak-ng -v en-us -s 150 -w "$out/vm-num-${i}0.wav" "${tens[$i]}"
done
