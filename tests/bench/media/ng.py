#!/usr/bin/env python3
"""ng.py: rtpengine's control protocol (ng: bencode over UDP, a cookie before each message)
for the media benchmark (tests/bench/bench_media.sh). Loopback only.

  ng.py NG_PORT calls TAG PORTS_FILE TARGETS_FILE
      one call per line of PORTS_FILE ("PORT_A PORT_B", where the load generator's two sides
      listen on 127.0.0.1): an offer with side A's description (PCMU, 20 ms), an answer with
      side B's; writes TARGETS_FILE ("RELAY_PORT_A RELAY_PORT_B": where each side sends,
      read from the rewritten descriptions). Call-IDs are TAG-1, TAG-2 ...
  ng.py NG_PORT delete TAG COUNT
      deletes the calls TAG-1 .. TAG-COUNT.
  ng.py NG_PORT ping
"""
import os
import re
import socket
import sys


def enc(v):
    if isinstance(v, int):
        return b"i%de" % v
    if isinstance(v, str):
        v = v.encode()
    if isinstance(v, bytes):
        return b"%d:%s" % (len(v), v)
    if isinstance(v, list):
        return b"l" + b"".join(enc(x) for x in v) + b"e"
    if isinstance(v, dict):
        return b"d" + b"".join(enc(k) + enc(v[k]) for k in sorted(v)) + b"e"
    raise TypeError(type(v))


def dec(b, i=0):
    c = b[i:i + 1]
    if c == b"i":
        j = b.index(b"e", i)
        return int(b[i + 1:j]), j + 1
    if c == b"l":
        out, i = [], i + 1
        while b[i:i + 1] != b"e":
            v, i = dec(b, i)
            out.append(v)
        return out, i + 1
    if c == b"d":
        out, i = {}, i + 1
        while b[i:i + 1] != b"e":
            k, i = dec(b, i)
            v, i = dec(b, i)
            out[k.decode()] = v
        return out, i + 1
    j = b.index(b":", i)
    n = int(b[i:j])
    return b[j + 1:j + 1 + n], j + 1 + n


class Ng:
    def __init__(self, port):
        self.s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.s.settimeout(5)
        self.addr = ("127.0.0.1", port)
        self.n = 0

    def __call__(self, **msg):
        self.n += 1
        cookie = b"%d_%d" % (os.getpid(), self.n)
        for _ in range(3):
            self.s.sendto(cookie + b" " + enc(msg), self.addr)
            try:
                while True:
                    data = self.s.recv(65536)
                    c, _, rest = data.partition(b" ")
                    if c == cookie:
                        reply, _ = dec(rest)
                        if reply.get("result") not in (b"ok", b"pong"):
                            raise SystemExit("ng.py: %s: %r" % (msg["command"], reply))
                        return reply
            except socket.timeout:
                continue
        raise SystemExit("ng.py: no answer from rtpengine on port %d" % self.addr[1])


def sdp(port, sess):
    return ("v=0\r\no=- %d 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
            "m=audio %d RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\na=ptime:20\r\na=sendrecv\r\n"
            % (sess, port))


def audio_port(reply):
    m = re.search(rb"m=audio (\d+)", reply["sdp"])
    if not m:
        raise SystemExit("ng.py: no m=audio in %r" % reply["sdp"])
    return int(m.group(1))


def main():
    ng = Ng(int(sys.argv[1]))
    what = sys.argv[2]
    if what == "ping":
        ng(command="ping")
    elif what == "calls":
        tag, ports_file, targets_file = sys.argv[3:6]
        out = []
        with open(ports_file) as f:
            for k, line in enumerate(f, 1):
                a, b = (int(x) for x in line.split())
                cid = "%s-%d" % (tag, k)
                common = {"call-id": cid, "from-tag": "a%d" % k,
                          "replace": ["origin", "session-connection"], "ICE": "remove"}
                offer = ng(command="offer", sdp=sdp(a, k), **common)
                answer = ng(command="answer", sdp=sdp(b, k), **{"to-tag": "b%d" % k}, **common)
                # The offer goes to B rewritten: B sends to its port; A to the answer's.
                out.append("%d %d\n" % (audio_port(answer), audio_port(offer)))
        with open(targets_file + ".tmp", "w") as f:
            f.writelines(out)
        os.rename(targets_file + ".tmp", targets_file)
    elif what == "delete":
        tag, count = sys.argv[3], int(sys.argv[4])
        for k in range(1, count + 1):
            ng(command="delete", **{"call-id": "%s-%d" % (tag, k), "from-tag": "a%d" % k})
    else:
        raise SystemExit(__doc__)


if __name__ == "__main__":
    main()
