#!/usr/bin/env python3
"""sip_peer.py: a phone for the media tests, in plain SIP over UDP and RTP (PCMU).

  sip_peer.py call SERVER_PORT SIP_PORT RTP_PORT NUMBER ACTION...
  sip_peer.py answer SIP_PORT RTP_PORT ACTION...

`call` sends an INVITE for NUMBER to crossbar on 127.0.0.1:SERVER_PORT; `answer` waits
for one and answers it. Once the call is up the actions run in order:

  tone:HZ:SECONDS      a sine of HZ as 20 ms PCMU packets, paced in real time
  silence:SECONDS      PCMU silence, the same way
  quiet:SECONDS        nothing sent
  rfc4733:DIGITS       each digit as telephone-events (payload type 101), with 300 ms gaps
  info:DIGITS          each digit in an INFO application/dtmf-relay, with 300 ms gaps
  bye                  hang up
  wait                 until crossbar hangs up (30 s at most)
  hear                 until audio has come and then stopped for 0.6 s (what crossbar
                       plays is over; 40 s at most)

With SIP_PEER_RECORD=FILE in its environment the peer writes, at the end, every audio
packet that came (as rtp_listen.py does, with "t", its arrival in seconds from the call's
answer), for audio_check.py and ivr_heard.py.

The peer exits 0 when the call was answered and ended (by either side), 1 otherwise; a
BYE from crossbar stops the actions. At the end it prints "received N", the audio packets
(PCMU, PCMA) that came. RTP goes to the address of the far end's description."""
import json
import math
import os
import random
import re
import socket
import struct
import sys
import threading
import time

HOST = "127.0.0.1"


def ulaw(sample):
    """G.711 mu-law of a 16-bit sample."""
    bias, clip = 0x84, 32635
    sign = 0x80 if sample < 0 else 0
    sample = min(abs(sample), clip) + bias
    exp = 7
    mask = 0x4000
    while exp > 0 and not sample & mask:
        exp -= 1
        mask >>= 1
    mant = (sample >> (exp + 3)) & 0x0F
    return ~(sign | exp << 4 | mant) & 0xFF


class Peer:
    def __init__(self, sip_port, rtp_port):
        self.sip = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sip.bind((HOST, sip_port))
        self.sip_port = sip_port
        self.rtp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.rtp.bind((HOST, rtp_port))
        self.rtp_port = rtp_port
        self.server = None
        self.far_rtp = None
        self.ended = threading.Event()
        self.answered = threading.Event()
        self.replies = {}
        self.lock = threading.Lock()
        self.cseq = 1
        self.seq = random.randint(0, 65535)
        self.ts = random.randint(0, 2**31)
        self.ssrc = random.randint(1, 2**31)
        self.phase = 0.0
        self.tag = "p%d" % random.randint(1, 10**9)
        self.call_id = "%d@sip-peer" % random.randint(1, 10**12)
        self.invite = None  # the request (answer) or final response (call) of the dialog
        self.received = 0
        self.heard = []  # audio packets, with SIP_PEER_RECORD
        self.last_audio = None  # time.monotonic() of the last audio packet
        self.t0 = time.monotonic()

    def sdp(self):
        return ("v=0\r\no=peer 1 1 IN IP4 %s\r\ns=-\r\nc=IN IP4 %s\r\nt=0 0\r\n"
                "m=audio %d RTP/AVP 0 101\r\na=rtpmap:0 PCMU/8000\r\n"
                "a=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-15\r\n"
                % (HOST, HOST, self.rtp_port))

    def send(self, text, to=None):
        self.sip.sendto(text.encode(), to or self.server)

    @staticmethod
    def parse(data):
        head, _, body = data.decode(errors="replace").partition("\r\n\r\n")
        lines = head.split("\r\n")
        headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers.setdefault(name.strip().lower(), []).append(value.strip())
        return lines[0], headers, body, lines

    def learn_rtp(self, body):
        c = re.search(r"c=IN IP4 (\S+)", body)
        m = re.search(r"m=audio (\d+)", body)
        if c and m:
            self.far_rtp = (c.group(1), int(m.group(1)))

    def reply(self, lines, headers, code, reason, body="", to_tag=True):
        out = ["SIP/2.0 %d %s" % (code, reason)]
        for line in lines[1:]:
            name = line.partition(":")[0].strip().lower()
            if name in ("via", "from", "call-id", "cseq"):
                out.append(line)
            elif name == "to":
                out.append(line if ";tag=" in line or not to_tag else line + ";tag=" + self.tag)
        out.append("Contact: <sip:peer@%s:%d>" % (HOST, self.sip_port))
        if body:
            out.append("Content-Type: application/sdp")
        out.append("Content-Length: %d" % len(body))
        self.send("\r\n".join(out) + "\r\n\r\n" + body)

    def request(self, method, body="", ctype=None):
        """A request within the dialog; the answer's status, or None."""
        first, headers, _, _ = self.invite
        if first.startswith("SIP/2.0"):  # we called: crossbar's To and Contact
            uri = re.search(r"<([^>]+)>", headers["contact"][0]).group(1)
            frm = "<sip:peer@%s:%d>;tag=%s" % (HOST, self.sip_port, self.tag)
            to = headers["to"][0]
        else:  # we answered: the caller is crossbar
            uri = re.search(r"<([^>]+)>", headers["contact"][0]).group(1)
            frm = headers["to"][0] + ";tag=" + self.tag
            to = headers["from"][0]
        with self.lock:
            self.cseq += 1
            cseq = self.cseq + 100
        branch = "z9hG4bK%d" % random.randint(1, 10**12)
        msg = ["%s %s SIP/2.0" % (method, uri),
               "Via: SIP/2.0/UDP %s:%d;branch=%s;rport" % (HOST, self.sip_port, branch),
               "From: " + frm, "To: " + to, "Call-ID: " + headers["call-id"][0],
               "CSeq: %d %s" % (cseq, method), "Max-Forwards: 70"]
        if ctype:
            msg.append("Content-Type: " + ctype)
        msg.append("Content-Length: %d" % len(body))
        text = "\r\n".join(msg) + "\r\n\r\n" + body
        for _ in range(6):
            self.send(text)
            for _ in range(10):
                if cseq in self.replies:
                    return self.replies[cseq]
                time.sleep(0.05)
        return None

    def listen(self):
        """Answers crossbar's requests and notes responses, until the call ends."""
        while not self.ended.is_set():
            try:
                data, src = self.sip.recvfrom(65535)
            except socket.timeout:
                continue
            first, headers, body, lines = self.parse(data)
            if first.startswith("SIP/2.0"):
                code = int(first.split()[1])
                cseq, method = headers["cseq"][0].split()
                if method == "INVITE" and code >= 200:
                    self.on_invite_final(first, headers, body, lines, code)
                elif code >= 200:
                    self.replies[int(cseq)] = code
                continue
            method = first.split()[0]
            if method == "INVITE" and self.server is None:
                self.server = src
                self.invite = (first, headers, body, lines)
                self.learn_rtp(body)
                self.reply(lines, headers, 200, "OK", self.sdp())
                self.answered.set()
            elif method == "INVITE":  # a retransmission or a re-offer
                self.reply(lines, headers, 200, "OK", self.sdp())
            elif method == "ACK":
                pass
            elif method == "BYE":
                self.reply(lines, headers, 200, "OK", to_tag=False)
                self.ended.set()
            else:
                self.reply(lines, headers, 200, "OK", to_tag=False)

    def on_invite_final(self, first, headers, body, lines, code):
        via = headers["via"][0]
        to = headers["to"][0]
        if code < 300:
            self.invite = (first, headers, body, lines)
            self.learn_rtp(body)
            uri = re.search(r"<([^>]+)>", headers["contact"][0]).group(1)
        else:
            uri = "sip:%s@%s:%d" % (self.number, HOST, self.server[1])
        ack = ["ACK %s SIP/2.0" % uri,
               "Via: SIP/2.0/UDP %s:%d;branch=%s;rport" % (
                   HOST, self.sip_port,
                   self.branch if code >= 300 else "z9hG4bK%d" % random.randint(1, 10**12)),
               "From: <sip:peer@%s:%d>;tag=%s" % (HOST, self.sip_port, self.tag),
               "To: " + to, "Call-ID: " + self.call_id, "CSeq: 1 ACK", "Max-Forwards: 70",
               "Content-Length: 0"]
        self.send("\r\n".join(ack) + "\r\n\r\n")
        if code < 300:
            self.answered.set()
        else:
            print("call refused: %d" % code, file=sys.stderr)
            self.ended.set()
        del via

    def call(self, server_port, number):
        self.server = (HOST, server_port)
        self.number = number
        self.branch = "z9hG4bK%d" % random.randint(1, 10**12)
        body = self.sdp()
        msg = ["INVITE sip:%s@%s:%d SIP/2.0" % (number, HOST, server_port),
               "Via: SIP/2.0/UDP %s:%d;branch=%s;rport" % (HOST, self.sip_port, self.branch),
               "From: <sip:peer@%s:%d>;tag=%s" % (HOST, self.sip_port, self.tag),
               "To: <sip:%s@%s:%d>" % (number, HOST, server_port),
               "Call-ID: " + self.call_id, "CSeq: 1 INVITE",
               "Contact: <sip:peer@%s:%d>" % (HOST, self.sip_port), "Max-Forwards: 70",
               "Content-Type: application/sdp", "Content-Length: %d" % len(body)]
        text = "\r\n".join(msg) + "\r\n\r\n" + body
        for _ in range(8):
            self.send(text)
            if self.answered.wait(0.5) or self.ended.is_set():
                break

    def rtp_count(self):
        """Counts the audio packets that arrive (printed as "received N" at the end)."""
        self.rtp.settimeout(0.2)
        while not self.ended.is_set():
            try:
                data = self.rtp.recv(2048)
            except socket.timeout:
                continue
            if len(data) >= 12 and data[1] & 0x7F in (0, 8):
                self.received += 1
                self.last_audio = time.monotonic()
                self.heard.append({
                    "t": round(self.last_audio - self.t0, 4), "pt": data[1] & 0x7F,
                    "m": data[1] >> 7, "seq": int.from_bytes(data[2:4], "big"),
                    "ts": int.from_bytes(data[4:8], "big"),
                    "ssrc": int.from_bytes(data[8:12], "big"), "payload": data[12:].hex(),
                })

    def rtp_send(self, pt, payload, marker=False, ts=None):
        if not self.far_rtp:
            return
        hdr = struct.pack("!BBHII", 0x80, (0x80 if marker else 0) | pt, self.seq & 0xFFFF,
                          (self.ts if ts is None else ts) & 0xFFFFFFFF, self.ssrc)
        self.seq += 1
        self.rtp.sendto(hdr + payload, self.far_rtp)

    def audio(self, hz, seconds):
        start = time.monotonic()
        for i in range(int(seconds * 50)):
            if self.ended.is_set():
                return
            samples = []
            for _ in range(160):
                samples.append(int(8000 * math.sin(self.phase)) if hz else 0)
                self.phase += 2 * math.pi * hz / 8000
            self.rtp_send(0, bytes(ulaw(s) for s in samples))
            self.ts += 160
            delay = start + (i + 1) * 0.02 - time.monotonic()
            if delay > 0:
                time.sleep(delay)

    def rfc4733(self, digit):
        event = "0123456789*#".index(digit)
        start_ts = self.ts
        for i in range(6):
            self.rtp_send(101, struct.pack("!BBH", event, 10, (i + 1) * 160), i == 0, start_ts)
            time.sleep(0.02)
        for _ in range(3):
            self.rtp_send(101, struct.pack("!BBH", event, 0x80 | 10, 7 * 160), False, start_ts)
        self.ts += 7 * 160

    def run(self, actions):
        for act in actions:
            if self.ended.is_set():
                break
            kind, _, arg = act.partition(":")
            if kind in ("tone", "silence", "quiet"):
                hz, _, sec = arg.rpartition(":")
                if kind == "quiet":
                    self.ended.wait(float(sec))
                else:
                    self.audio(float(hz) if kind == "tone" else 0, float(sec))
            elif kind == "rfc4733":
                for d in arg:
                    self.rfc4733(d)
                    time.sleep(0.3)
            elif kind == "info":
                for d in arg:
                    self.request("INFO", "Signal=%s\r\nDuration=160\r\n" % d,
                                 "application/dtmf-relay")
                    time.sleep(0.3)
            elif kind == "bye":
                self.request("BYE")
                self.ended.set()
            elif kind == "wait":
                self.ended.wait(30)
            elif kind == "hear":
                start = time.monotonic()
                while not self.ended.is_set() and time.monotonic() - start < 40:
                    last = self.last_audio
                    if last is not None and last > start and time.monotonic() - last > 0.6:
                        break
                    time.sleep(0.05)


def main():
    mode = sys.argv[1]
    if mode == "call":
        server_port, sip_port, rtp_port, number = map(str, sys.argv[2:6])
        peer = Peer(int(sip_port), int(rtp_port))
        actions = sys.argv[6:]
    else:
        sip_port, rtp_port = sys.argv[2:4]
        peer = Peer(int(sip_port), int(rtp_port))
        actions = sys.argv[4:]
    peer.sip.settimeout(0.2)
    threading.Thread(target=peer.listen, daemon=True).start()
    threading.Thread(target=peer.rtp_count, daemon=True).start()
    if mode == "call":
        peer.call(int(server_port), number)
    elif not peer.answered.wait(30):
        print("no call came", file=sys.stderr)
        return 1
    if not peer.answered.is_set():
        print("the call was not answered", file=sys.stderr)
        return 1
    peer.t0 = time.monotonic()
    peer.run(actions)
    peer.ended.wait(30)
    print("received %d" % peer.received)
    if os.environ.get("SIP_PEER_RECORD"):
        with open(os.environ["SIP_PEER_RECORD"], "w") as f:
            json.dump(peer.heard, f)
    return 0 if peer.ended.is_set() else 1


if __name__ == "__main__":
    sys.exit(main())
