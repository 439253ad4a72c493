#!/usr/bin/env python3
"""rtp_phone.py PORT MSGS NTH CODEC PT SIGNAL SECONDS OUT.json: a phone's media for the tests.
Waits until the SIPp message log MSGS holds its NTH "m=audio" line (the port crossbar gave
this phone), then sends SECONDS of SIGNAL ("tone:HZ", or "sweep": a rising chirp whose
every 20 ms differs) from 127.0.0.1:PORT to it as CODEC (PCMU, PCMA or G722, the last by
spandsp's codec) with payload type PT, 20 ms a packet, while it keeps what arrives, and for
1.5 s after. Writes {"sent": [linear samples of each frame, as the far end should decode
them], "received": [{pt, seq, payload (hex)}]}. Also a library: decode(), goertzel()."""
import audioop
import ctypes
import json
import math
import re
import socket
import struct
import sys
import time
import warnings

warnings.filterwarnings("ignore", category=DeprecationWarning)


class G722:
    """spandsp's G.722 at 64 kbit/s, one encoder and one decoder."""

    def __init__(self):
        self.lib = ctypes.CDLL("libspandsp.so.2")
        self.lib.g722_encode_init.restype = ctypes.c_void_p
        self.lib.g722_decode_init.restype = ctypes.c_void_p
        self.enc = ctypes.c_void_p(self.lib.g722_encode_init(None, 64000, 0))
        self.dec = ctypes.c_void_p(self.lib.g722_decode_init(None, 64000, 0))

    def encode(self, pcm16k):
        n = len(pcm16k) // 2
        out = ctypes.create_string_buffer(n // 2)
        self.lib.g722_encode(self.enc, out, ctypes.c_char_p(pcm16k), n)
        return out.raw

    def decode(self, data):
        out = ctypes.create_string_buffer(len(data) * 4)
        n = self.lib.g722_decode(self.dec, out, ctypes.c_char_p(data), len(data))
        return out.raw[: n * 2]


def rate_of(codec):
    return 16000 if codec == "G722" else 8000


def decode(codec, payload, g722=None):
    """The payload as 16-bit little-endian linear samples."""
    if codec == "PCMU":
        return audioop.ulaw2lin(payload, 2)
    if codec == "PCMA":
        return audioop.alaw2lin(payload, 2)
    return g722.decode(payload)


def goertzel(samples, rate, hz):
    """The power of `samples` (a list of ints) at `hz`."""
    k = 2 * math.cos(2 * math.pi * hz / rate)
    s1 = s2 = 0.0
    for x in samples:
        s1, s2 = x + k * s1 - s2, s1
    return s1 * s1 + s2 * s2 - k * s1 * s2


def signal(kind, rate, n0, n):
    out = []
    for i in range(n0, n0 + n):
        t = i / rate
        if kind == "sweep":  # 300 Hz rising by 400 Hz a second, with a 3 Hz tremolo
            v = 0.5 * (1.2 + math.sin(2 * math.pi * 3 * t)) * math.sin(
                2 * math.pi * (300 * t + 200 * t * t))
        else:
            v = math.sin(2 * math.pi * float(kind.split(":")[1]) * t)
        out.append(int(9000 * v))
    return struct.pack("<%dh" % n, *out)


def far_port(msgs, nth):
    try:
        ports = re.findall(r"^m=audio (\d+)", open(msgs).read(), re.M)
    except OSError:
        return None
    return int(ports[nth - 1]) if len(ports) >= nth else None


def main():
    port, msgs, nth = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
    codec, pt, kind = sys.argv[4], int(sys.argv[5]), sys.argv[6]
    seconds, out = float(sys.argv[7]), sys.argv[8]
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", port))
    s.setblocking(False)
    deadline = time.monotonic() + 20
    to = None
    while to is None and time.monotonic() < deadline:
        to = far_port(msgs, nth)
        time.sleep(0.05)
    if to is None:
        sys.exit("rtp_phone: no m=audio line %d in %s" % (nth, msgs))
    g722 = G722() if codec == "G722" else None
    rate, frames = rate_of(codec), int(seconds * 50)
    sent, received = [], []
    start = time.monotonic()
    seq, ts, ssrc = 1000, 5000, 0x1234ABCD
    f = 0
    while time.monotonic() - start < seconds + 1.5:
        if f < frames and time.monotonic() - start >= f * 0.02:
            pcm = signal(kind, rate, f * rate // 50, rate // 50)
            if codec == "PCMU":
                data = audioop.lin2ulaw(pcm, 2)
            elif codec == "PCMA":
                data = audioop.lin2alaw(pcm, 2)
            else:
                data = g722.encode(pcm)
            sent.append(list(struct.unpack("<%dh" % (len(pcm) // 2), pcm)))
            hdr = struct.pack("!BBHII", 0x80, pt | (0x80 if f == 0 else 0), seq, ts, ssrc)
            s.sendto(hdr + data, ("127.0.0.1", to))
            seq, ts, f = (seq + 1) & 0xFFFF, ts + 160, f + 1
        try:
            while True:
                data, _ = s.recvfrom(2048)
                if len(data) >= 12 and data[0] >> 6 == 2:
                    received.append({"pt": data[1] & 0x7F,
                                     "seq": int.from_bytes(data[2:4], "big"),
                                     "payload": data[12:].hex()})
        except BlockingIOError:
            pass
        time.sleep(0.002)
    with open(out, "w") as fh:
        json.dump({"sent": sent, "received": received}, fh)


if __name__ == "__main__":
    main()
