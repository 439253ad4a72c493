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
ivr-main|Thank you for calling. If you know the extension of the person you want to reach, dial it now. For the operator, press 0. To leave or hear a voice message, press 9. To hear these choices again, press star.
ivr-main-short|Please dial an extension, or press 0 for the operator, or 9 for voicemail.
ivr-invalid|That is not a valid choice.
ivr-no-entry|Sorry, I did not hear your choice.
PROMPTS
