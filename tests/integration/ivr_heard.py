#!/usr/bin/python3
"""ivr_heard.py: what a caller heard in a menu, prompt by prompt.

  ivr_heard.py HEARD.json SOUNDS_DIR UTTERANCE...

HEARD.json is what sip_peer.py wrote with SIP_PEER_RECORD: the audio packets that came,
with their arrival times. Crossbar sends nothing while a menu waits for keys, so the
packets fall into utterances, apart by more than 0.4 s: one for each time the menu spoke.
Each UTTERANCE names the prompts (files of SOUNDS_DIR without ".wav") played back to back
in it, joined by "+" ("ivr-invalid+ivr-main-short"); a name ending in "~" is a prompt cut
off by a key (only its start is heard). There must be as many utterances as given, each as
long as its prompts (within 0.3 s; shorter for a cut one), and each prompt must be found
in it whole by audio_check.py's cross-correlation (every 20 ms block of it). An argument
"@SECONDS" before an utterance is the silence that must come before it (within 0.35 s):
a menu's timeout. Prints what it found; exits 1 when the caller heard anything else.

Uses Debian's python3-numpy, so it runs with /usr/bin/python3."""
import json
import os
import sys
import tempfile
import wave

sys.dont_write_bytecode = True  # nothing written into the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import audio_check  # noqa: E402

GAP = 0.4


def split(packets):
    out, cur, last = [], [], None
    for p in packets:
        if last is not None and p["t"] - last > GAP:
            out.append(cur)
            cur = []
        cur.append(p)
        last = p["t"]
    if cur:
        out.append(cur)
    return out


def seconds(path):
    with wave.open(path) as w:
        return w.getnframes() / w.getframerate()


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    packets = json.load(open(sys.argv[1]))
    sounds = sys.argv[2]
    want, gaps = [], {}
    for a in sys.argv[3:]:
        if a.startswith("@"):
            gaps[len(want)] = float(a[1:])
        else:
            want.append(a)
    got = split(packets)
    print("%d packets in %d utterances (wanted %d: %s)" % (
        len(packets), len(got), len(want), " | ".join(want)))
    ok = len(got) == len(want)
    tmpdir = tempfile.TemporaryDirectory(prefix="ivr-heard-")
    tmp = tmpdir.name
    for i, (pk, spec) in enumerate(zip(got, want)):
        dur = len(pk) * 0.02
        names = spec.split("+")
        full = sum(seconds(os.path.join(sounds, n.rstrip("~") + ".wav")) for n in names)
        whole = sum(seconds(os.path.join(sounds, n + ".wav")) for n in names
                    if not n.endswith("~"))
        cut = full != whole
        print("utterance %d at %.2f s: %.2f s (the prompts: %.2f s%s)" % (
            i + 1, pk[0]["t"], dur, full, ", one cut off" if cut else ""))
        if (not cut and abs(dur - full) > 0.3) or (cut and not whole - 0.3 < dur < full):
            print("  not as long as its prompts")
            ok = False
        if i in gaps and i > 0:
            gap = pk[0]["t"] - got[i - 1][-1]["t"]
            print("  %.2f s of silence before it (wanted %.2f s)" % (gap, gaps[i]))
            if abs(gap - gaps[i]) > 0.35:
                ok = False
        part = os.path.join(tmp, "heard-%d.json" % i)
        wav = os.path.join(tmp, "heard-%d.wav" % i)
        json.dump(pk, open(part, "w"))
        audio_check.rtp_to_wav(wav, part)
        # where each prompt is in the utterance: the whole ones as long as their files,
        # the cut one what is left
        lengths = [seconds(os.path.join(sounds, n.rstrip("~") + ".wav")) for n in names]
        for k, n in enumerate(names):
            if n.endswith("~"):
                lengths[k] = max(0.0, dur - (sum(lengths) - lengths[k]))
        with wave.open(wav) as w:
            rate = w.getframerate()
            pcm = w.readframes(w.getnframes())
        start = 0.0
        for k, n in enumerate(names):
            name = n.rstrip("~")
            src = os.path.join(sounds, name + ".wav")
            lo = max(0, int((start - 0.1) * rate))
            # (a cut prompt's region ends where the next prompt starts)
            hi = int((start + lengths[k] + (-0.04 if n.endswith("~") else 0.1)) * rate)
            region = os.path.join(tmp, "heard-%d-%d.wav" % (i, k))
            with wave.open(region, "wb") as w:
                w.setnchannels(1)
                w.setsampwidth(2)
                w.setframerate(rate)
                w.writeframes(pcm[2 * lo : 2 * hi])
            start += lengths[k]
            need = 0.3 if n.endswith("~") else min(1.0, 0.45 * seconds(src))
            print("  %s at %.2f s:" % (name, lo / rate), end=" ")
            sys.stdout.flush()
            if not audio_check.check(src, region, 0.7, need):
                ok = False
    for pk in got[len(want):]:
        print("unexpected: %.2f s of audio at %.2f s" % (len(pk) * 0.02, pk[0]["t"]))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
