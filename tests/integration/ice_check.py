#!/usr/bin/env python3
"""ice_check.py: a full ICE agent's side of ICE-lite (RFC 8445 §7.2.2), for ice_lite.sh.

ice_check.py ANSWER_LOG OUR_UFRAG MODE: reads crossbar's answer (the last SDP of a 200 in
SIPp's message log), checks that it is an ICE-lite agent's (a=ice-lite, ice-ufrag, ice-pwd,
host candidates for RTP and RTCP), then from a socket of its own (not the offer's media
port) sends STUN Binding requests to the answer's RTP port: one under a wrong password
(401 without integrity), one with ICE-CONTROLLED (487), and a nominating one (USE-CANDIDATE,
ICE-CONTROLLING) whose success response must carry this socket's XOR-MAPPED-ADDRESS,
MESSAGE-INTEGRITY under crossbar's ice-pwd and FINGERPRINT. Then RTP: MODE "echo" sends
RTP from the nominated socket and expects it back there (crossbar's echo), and sends from
another socket, which must be dropped, then floods crossbar with 3,000 STUN messages that
are not valid checks, after which RTP and checks from the nominated socket still work;
MODE "bridge" expects the RTP back from the far callee's echo. Prints what it did; exits 1 on the first failure."""
import hashlib
import hmac
import os
import random
import re
import socket
import struct
import sys
import time
import zlib

COOKIE = 0x2112A442


def fail(msg):
    print("FAIL:", msg)
    sys.exit(1)


def answer_sdp(path, wait=8.0):
    end = time.time() + wait
    while time.time() < end:
        text = open(path, errors="replace").read() if os.path.exists(path) else ""
        parts = re.split(r"\n-+[^\n]*\n", text)
        for part in reversed(parts):
            if "SIP/2.0 200 OK" in part and "m=audio" in part and "INVITE" in part:
                return part.replace("\r", "")
        time.sleep(0.1)
    fail("no 200 OK with SDP in " + path)


def attr(t, v):
    pad = (4 - len(v) % 4) % 4
    return struct.pack("!HH", t, len(v)) + v + b"\0" * pad


def request(username, key, controlled=False, use_candidate=False):
    tid = os.urandom(12)
    attrs = attr(0x0006, username.encode())
    attrs += attr(0x0024, struct.pack("!I", 1853824767))
    attrs += attr(0x8029 if controlled else 0x802A, os.urandom(8))
    if use_candidate:
        attrs += attr(0x0025, b"")
    # MESSAGE-INTEGRITY over the message with the length counting it (RFC 8489 §14.5)
    head = struct.pack("!HHI", 0x0001, len(attrs) + 24, COOKIE) + tid
    mac = hmac.new(key.encode(), head + attrs, hashlib.sha1).digest()
    attrs += attr(0x0008, mac)
    head = struct.pack("!HHI", 0x0001, len(attrs) + 8, COOKIE) + tid
    crc = (zlib.crc32(head + attrs) ^ 0x5354554E) & 0xFFFFFFFF
    attrs += attr(0x8028, struct.pack("!I", crc))
    return tid, struct.pack("!HHI", 0x0001, len(attrs), COOKIE) + tid + attrs


def parse(data, tid, key):
    mtype, mlen, cookie = struct.unpack("!HHI", data[:8])
    if cookie != COOKIE or data[8:20] != tid:
        fail("not the answer to our request")
    attrs, off = {}, 20
    while off < 20 + mlen:
        t, n = struct.unpack("!HH", data[off:off + 4])
        attrs.setdefault(t, (off, data[off + 4:off + 4 + n]))
        off += 4 + n + (4 - n % 4) % 4
    out = {"type": mtype, "code": None, "mapped": None, "integrity": None,
           "fingerprint": 0x8028 in attrs}
    if 0x0009 in attrs:
        v = attrs[0x0009][1]
        out["code"] = (v[2] & 7) * 100 + v[3]
    if 0x0020 in attrs:
        v = attrs[0x0020][1]
        port = struct.unpack("!H", v[2:4])[0] ^ (COOKIE >> 16)
        ip = struct.unpack("!I", v[4:8])[0] ^ COOKIE
        out["mapped"] = (socket.inet_ntoa(struct.pack("!I", ip)), port)
    if 0x0008 in attrs:
        off = attrs[0x0008][0]
        head = data[:2] + struct.pack("!H", off + 24 - 20) + data[4:20]
        mac = hmac.new(key.encode(), head + data[20:off], hashlib.sha1).digest()
        out["integrity"] = hmac.compare_digest(mac, attrs[0x0008][1])
    return out


def transact(sock, to, username, key, **kw):
    tid, msg = request(username, key, **kw)
    sock.sendto(msg, to)
    data, _ = sock.recvfrom(2048)
    return parse(data, tid, key)


def rtp(seq, ssrc=0x1CE1CE):
    return struct.pack("!BBHII", 0x80, 8, seq, 160 * seq, ssrc) + b"\xd5" * 160


def flood(stranger, s, ip, port, user, pwd):
    """A stranger's 3,000 STUN messages, none of them a valid check: a wrong password
    with USE-CANDIDATE, an attribute running past the message's end, a bare header, a
    wrong FINGERPRINT, random bytes behind the magic cookie. Afterwards the nominated
    address is still where RTP goes, and a valid check is still answered."""
    rnd = random.Random(7)
    sent = 0
    for i in range(3000):
        kind = i % 5
        if kind == 0:
            _, msg = request(user, "wrongPasswordOf24chars++", use_candidate=True)
        elif kind == 1:
            msg = struct.pack("!HHI12s", 1, 8, COOKIE, os.urandom(12))
            msg += struct.pack("!HH", 6, 0xFFF0) + b"abcd"
        elif kind == 2:
            msg = struct.pack("!HHI12s", 1, 0, COOKIE, os.urandom(12))
        elif kind == 3:
            _, good = request(user, pwd, use_candidate=True)
            msg = good[:-4] + bytes(b ^ 0xFF for b in good[-4:])
        else:
            body = bytes(rnd.getrandbits(8) for _ in range(rnd.randrange(0, 200)))
            head = struct.pack("!HHI12s", rnd.randrange(0, 0x3FFF), len(body), COOKIE, os.urandom(12))
            msg = head + body
        stranger.sendto(msg, (ip, port))
        sent += 1
        if i % 200 == 199:
            time.sleep(0.01)
    answered = 0
    stranger.settimeout(0.3)
    try:
        while True:
            data, _ = stranger.recvfrom(2048)
            if len(data) >= 20 and struct.unpack("!H", data[:2])[0] == 0x0101:
                answered += 1
    except socket.timeout:
        pass
    print("a stranger's flood: %d STUN messages sent, %d answered with success" % (sent, answered))
    if answered:
        fail("a check of the flood was answered with success")
    s.settimeout(0.5)
    back = 0
    for seq in range(100, 110):
        s.sendto(rtp(seq), (ip, port))
        try:
            data, src = s.recvfrom(2048)
            if data[0] >> 6 == 2 and src == (ip, port):
                back += 1
        except socket.timeout:
            pass
    print("after the flood: %d of 10 RTP packets came back to the nominated address" % back)
    if back < 9:
        fail("the flood moved or stopped the nominated stream")
    s.settimeout(2)
    r = transact(s, (ip, port), user, pwd, use_candidate=True)
    if r["type"] != 0x0101 or not r["integrity"]:
        fail("a valid check after the flood: %r" % r)
    print("a valid check after the flood: success")


def main():
    log, our_ufrag, mode = sys.argv[1:4]
    sdp = answer_sdp(log)
    print(sdp)
    if not re.search(r"^a=ice-lite$", sdp, re.M):
        fail("no a=ice-lite")
    ip = re.search(r"^c=IN IP4 (\S+)$", sdp, re.M).group(1)
    port = int(re.search(r"^m=audio (\d+) ", sdp, re.M).group(1))
    ufrag = re.search(r"^a=ice-ufrag:(\S+)$", sdp, re.M).group(1)
    pwd = re.search(r"^a=ice-pwd:(\S+)$", sdp, re.M).group(1)
    for comp, p in ((1, port), (2, port + 1)):
        if not re.search(r"^a=candidate:1 %d UDP \d+ %s %d typ host$" % (comp, re.escape(ip), p),
                         sdp, re.M):
            fail("no host candidate for component %d at %s:%d" % (comp, ip, p))
    print("answer: ICE-lite, ufrag %s, candidates %s:%d and %d" % (ufrag, ip, port, port + 1))

    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    s.settimeout(2)
    user = "%s:%s" % (ufrag, our_ufrag)
    r = transact(s, (ip, port), user, "wrongPasswordOf24chars++", use_candidate=True)
    if r["type"] != 0x0111 or r["code"] != 401 or r["integrity"] is not None:
        fail("wrong password: %r" % r)
    print("wrong password: 401 without integrity")
    r = transact(s, (ip, port), user, pwd, controlled=True, use_candidate=True)
    if r["type"] != 0x0111 or r["code"] != 487 or not r["integrity"]:
        fail("ICE-CONTROLLED: %r" % r)
    print("ICE-CONTROLLED: 487 Role Conflict")
    r = transact(s, (ip, port), user, pwd, use_candidate=True)
    if r["type"] != 0x0101 or not r["integrity"] or not r["fingerprint"]:
        fail("nominating check: %r" % r)
    if r["mapped"] != s.getsockname():
        fail("XOR-MAPPED-ADDRESS %r, not %r" % (r["mapped"], s.getsockname()))
    print("nominating check: success, XOR-MAPPED-ADDRESS %s:%d" % r["mapped"])

    # RTP from the nominated address comes back there (echo, or the callee's echo)
    s.settimeout(0.5)
    back = 0
    for seq in range(1, 21):
        s.sendto(rtp(seq), (ip, port))
        try:
            while True:
                data, src = s.recvfrom(2048)
                if data[0] >> 6 == 2 and src == (ip, port):
                    back += 1
                    break
        except socket.timeout:
            pass
    print("RTP: %d of 20 came back to the nominated address" % back)
    if back < 18:
        fail("RTP did not come back to the nominated address")
    if mode == "echo":
        other = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        other.bind(("127.0.0.1", 0))
        other.settimeout(0.5)
        for seq in range(21, 26):
            other.sendto(rtp(seq), (ip, port))
        got = 0
        for sock in (other, s):
            try:
                while True:
                    sock.recvfrom(2048)
                    got += 1
            except socket.timeout:
                pass
        print("RTP from an address not nominated: %d packets came back" % got)
        if got:
            fail("a stranger's RTP was relayed")
        flood(other, s, ip, port, user, pwd)


main()
