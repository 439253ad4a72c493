#!/usr/bin/python3
"""audio_check.py: makes a test signal and checks that a recording carries it.

  audio_check.py make OUT.wav RATE SECONDS SEED
      band-limited noise (300-3400 Hz, about -12 dBFS), 16-bit mono WAV at RATE Hz: a
      signal whose cross-correlation with itself has one sharp peak, so that where a
      recording of it lines up with it is found without doubt.
  audio_check.py rtp OUT.wav IN.json
      the G.711 payloads of the packets rtp_listen.py wrote to IN.json, decoded to an
      8 kHz WAV, each at its RTP timestamp; what no packet covers is silence.
  audio_check.py check SENT.wav HEARD.wav [MIN_CORRELATION [MIN_SECONDS]]
      finds where HEARD lines up with SENT (the peak of their cross-correlation), then
      checks, in 20 ms blocks (a packet each) from the first block that carries the
      signal to the last (less one at each end, which the call's start and end may cut),
      that every block correlates with SENT's block at that place by at least
      MIN_CORRELATION (default 0.7), or, where SENT is silent (a pause in speech), is
      quiet too: a gap, a lost packet that shifts the rest, or noise in place of the
      signal fails the block. Soft blocks of SENT (under a tenth of its level) are not
      judged; blocks of HEARD before or after SENT (another sound of the call, a
      ringback tone) and the block at each end of SENT are not either. Both are compared at the lower of their rates, in the telephone band
      (300-3400 Hz). Needs at least MIN_SECONDS (default 1.5) of the signal heard.
      Prints what it found; exits 1 when the recording does not carry the signal.

Uses Debian's python3-numpy, so it runs with /usr/bin/python3."""
import sys
import wave

import numpy as np


def read(path):
    with wave.open(path, "rb") as w:
        rate, ch, width = w.getframerate(), w.getnchannels(), w.getsampwidth()
        data = w.readframes(w.getnframes())
    if width != 2:
        sys.exit("%s: %d-byte samples, wanted 16-bit" % (path, width))
    x = np.frombuffer(data, dtype="<i2").astype(np.float64)
    if ch > 1:
        x = x.reshape(-1, ch).mean(axis=1)
    return rate, x


def make(out, rate, seconds, seed):
    rng = np.random.default_rng(seed)
    n = int(rate * seconds)
    spec = np.fft.rfft(rng.standard_normal(n))
    f = np.fft.rfftfreq(n, 1.0 / rate)
    spec[(f < 300) | (f > 3400)] = 0
    x = np.fft.irfft(spec, n)
    x *= 0.25 * 32767 / np.sqrt(np.mean(x * x)) / 2
    x = np.clip(x, -32767, 32767).astype("<i2")
    with wave.open(out, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(x.tobytes())


def band(x, rate):
    """The telephone band, 300-3400 Hz: resamplers differ near their Nyquist frequency,
    and nothing below 300 Hz is what a call is for."""
    spec = np.fft.rfft(x)
    f = np.fft.rfftfreq(len(x), 1.0 / rate)
    spec[(f < 300) | (f > 3400)] = 0
    return np.fft.irfft(spec, len(x))


def resample(x, rate_from, rate_to):
    """By the spectrum (zero-padded or cut): exact for a band-limited signal, where
    interpolation between samples would add images that correlate with nothing."""
    if rate_from == rate_to:
        return x
    n = int(len(x) * rate_to / rate_from)
    return np.fft.irfft(np.fft.rfft(x), n) * n / len(x)


QUIET = 100  # a block of SENT this quiet is silence: HEARD must be quiet there too
LOUD = 300  # a block of HEARD this loud carries sound


def rms(x):
    return float(np.sqrt(np.mean(x * x))) if len(x) else 0.0


def rtp_to_wav(out, json_path):
    import audioop
    import json

    packets = json.load(open(json_path))
    # each payload at its timestamp, as a phone's jitter buffer plays it (unwrapped from
    # the first packet's); what no packet covers is silence
    pcm = np.zeros(0, dtype=np.int16)
    first = None
    for p in packets:
        if p["pt"] == 0:
            lin = audioop.ulaw2lin(bytes.fromhex(p["payload"]), 2)
        elif p["pt"] == 8:
            lin = audioop.alaw2lin(bytes.fromhex(p["payload"]), 2)
        else:
            continue
        if first is None:
            first = p["ts"]
        at = ((p["ts"] - first + 0x80000000) & 0xFFFFFFFF) - 0x80000000
        if at < 0:
            continue
        x = np.frombuffer(lin, dtype="<i2")
        if len(pcm) < at + len(x):
            pcm = np.concatenate([pcm, np.zeros(at + len(x) - len(pcm), dtype=np.int16)])
        pcm[at : at + len(x)] = x
    with wave.open(out, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(8000)
        w.writeframes(pcm.astype("<i2").tobytes())


def corr(a, b):
    a = a - a.mean()
    b = b - b.mean()
    d = np.sqrt(np.sum(a * a) * np.sum(b * b))
    return float(np.sum(a * b) / d) if d > 0 else 0.0


def check(sent_path, heard_path, min_corr, min_seconds):
    srate, sent = read(sent_path)
    hrate, heard = read(heard_path)
    # compared at the lower rate: what is above its band never reached the ear
    rate = min(srate, hrate)
    sent = band(resample(sent, srate, rate), rate)
    heard = band(resample(heard, hrate, rate), rate)
    block = rate // 50  # one packet of 20 ms
    soft = 0.1 * rms(sent[np.abs(sent) > QUIET]) if np.any(np.abs(sent) > QUIET) else 0
    # the lag of HEARD against SENT: the peak of their cross-correlation (FFT)
    n = 1
    while n < len(sent) + len(heard):
        n *= 2
    xc = np.fft.irfft(np.fft.rfft(heard, n) * np.conj(np.fft.rfft(sent, n)), n)
    lag = int(np.argmax(xc))
    if lag > n // 2:
        lag -= n
    # heard[i] ~ sent[i - lag]
    loud = [
        i
        for i in range(0, len(heard) - block, block)
        if rms(heard[i : i + block]) >= LOUD
    ]
    if not loud:
        print("%s: nothing heard (%.1f s of silence)" % (heard_path, len(heard) / rate))
        return False
    # the first and last blocks may be cut by the call's start and end
    first, last = loud[0] + block, loud[-1] - block
    bad = []
    worst = 1.0
    checked = 0
    for i in range(first, last + 1, block):
        j = i - lag
        if j < block or j + 2 * block > len(sent):
            continue  # before or after the signal (another sound of the call), or the
            # block where one gave way to the other
        checked += 1
        level = rms(sent[j : j + block])
        if level < QUIET:
            if rms(heard[i : i + block]) >= LOUD:
                bad.append((i / rate, "sound where the signal is silent"))
            continue
        if level < soft:
            continue  # a soft passage: G.711's noise is near its level
        c = corr(heard[i : i + block], sent[j : j + block])
        worst = min(worst, c)
        if c < min_corr:
            bad.append((i / rate, "correlation %.2f" % c))
    seconds = checked * block / rate
    print(
        "%s: %.2f s of the signal heard from %.2f s, lag %+.1f ms, worst block "
        "correlation %.3f, %d bad blocks"
        % (heard_path, seconds, first / rate, 1000.0 * lag / rate, worst, len(bad))
    )
    for t, why in bad[:10]:
        print("  block at %.1f s: %s" % (t, why))
    return not bad and seconds >= min_seconds


def main():
    if len(sys.argv) >= 6 and sys.argv[1] == "make":
        make(sys.argv[2], int(sys.argv[3]), float(sys.argv[4]), int(sys.argv[5]))
        return 0
    if len(sys.argv) == 4 and sys.argv[1] == "rtp":
        rtp_to_wav(sys.argv[2], sys.argv[3])
        return 0
    if len(sys.argv) >= 4 and sys.argv[1] == "check":
        min_corr = float(sys.argv[4]) if len(sys.argv) > 4 else 0.7
        min_seconds = float(sys.argv[5]) if len(sys.argv) > 5 else 1.5
        return 0 if check(sys.argv[2], sys.argv[3], min_corr, min_seconds) else 1
    sys.exit(__doc__)


if __name__ == "__main__":
    sys.exit(main())
