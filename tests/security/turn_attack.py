"""turn_attack.py: STUN/TURN helpers for the security and integration tests: messages with
long-term credentials (RFC 8489 §9.2), a UDP TURN client that binds channels (RFC 8656 §12),
floods of unauthenticated Allocates from a chosen loopback address, and held TCP
connections. Loopback only; every loop is bounded."""
import socket
import struct
import time


# ---- STUN/TURN (RFC 8489, RFC 8656) ----

STUN_COOKIE = 0x2112A442
ALLOCATE, REFRESH, CHANNEL_BIND = 0x003, 0x004, 0x009
A_USERNAME, A_MI, A_ERROR, A_REALM, A_NONCE = 0x0006, 0x0008, 0x0009, 0x0014, 0x0015
A_CHANNEL, A_LIFETIME, A_PEER, A_TRANSPORT = 0x000C, 0x000D, 0x0012, 0x0019
A_SOFTWARE, A_FINGERPRINT = 0x8022, 0x8028


def stun_build(method, attrs=(), cls=0, tid=None, key=None, fingerprint=False):
    """A STUN message: method and class (0 request), [(type, value)], optional
    MESSAGE-INTEGRITY with the long-term key and FINGERPRINT."""
    import hmac
    import os
    import zlib
    tid = tid or os.urandom(12)
    mtype = (method & 0xF) | ((method & 0x70) << 1) | ((method & 0xF80) << 2)
    mtype |= ((cls & 1) << 4) | ((cls & 2) << 7)
    body = b""
    for t, v in attrs:
        body += struct.pack("!HH", t, len(v)) + v + b"\0" * (-len(v) % 4)

    def head(extra):
        return struct.pack("!HHI", mtype, len(body) + extra, STUN_COOKIE) + tid
    if key is not None:
        mac = hmac.new(key, head(24) + body, "sha1").digest()
        body += struct.pack("!HH", A_MI, 20) + mac
    if fingerprint:
        crc = (zlib.crc32(head(8) + body) ^ 0x5354554E) & 0xFFFFFFFF
        body += struct.pack("!HHI", A_FINGERPRINT, 4, crc)
    return head(0) + body


def stun_parse(data):
    """(class, method, tid, {type: [value, ...]}) of a STUN message, or None."""
    if not data or len(data) < 20:
        return None
    mtype, mlen, cookie = struct.unpack("!HHI", data[:8])
    if cookie != STUN_COOKIE or 20 + mlen > len(data):
        return None
    cls = ((mtype >> 4) & 1) | ((mtype >> 7) & 2)
    method = (mtype & 0xF) | ((mtype >> 1) & 0x70) | ((mtype >> 2) & 0xF80)
    attrs, off = {}, 20
    while off + 4 <= 20 + mlen:
        t, ln = struct.unpack("!HH", data[off:off + 4])
        attrs.setdefault(t, []).append(data[off + 4:off + 4 + ln])
        off += 4 + ln + (-ln % 4)
    return cls, method, data[8:20], attrs


def stun_error_code(attrs):
    v = attrs.get(A_ERROR, [b"\0\0\0\0"])[0]
    return (v[2] & 7) * 100 + v[3]


def xor_peer(ip, port):
    """XOR-PEER-ADDRESS value of an IPv4 address."""
    a = struct.unpack("!I", socket.inet_aton(ip))[0] ^ STUN_COOKIE
    return struct.pack("!BBHI", 0, 1, port ^ (STUN_COOKIE >> 16), a)


class TurnClient:
    """A UDP TURN client with long-term credentials (RFC 8656 §7, §12), for tests."""

    def __init__(self, port, user, password, host="127.0.0.1", timeout=2.0, src=None):
        self.addr = (host, port)
        self.user, self.password = user.encode(), password.encode()
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        if src:
            self.sock.bind((src, 0))
        self.sock.settimeout(timeout)
        self.realm = self.nonce = self.key = None

    def request(self, method, attrs):
        """Sends a request (authenticated once a challenge was seen); the parsed answer."""
        import hashlib
        a = list(attrs)
        if self.nonce is not None:
            a += [(A_USERNAME, self.user), (A_REALM, self.realm), (A_NONCE, self.nonce)]
            self.key = hashlib.md5(self.user + b":" + self.realm + b":" + self.password).digest()
        self.sock.sendto(stun_build(method, a, key=self.key if self.nonce else None),
                         self.addr)
        return stun_parse(self.sock.recv(2048))

    def allocate(self):
        """Allocate (challenge, then credentials): True when allocated."""
        transport = [(A_TRANSPORT, bytes([17, 0, 0, 0]))]
        for _ in range(3):
            ans = self.request(ALLOCATE, transport)
            if ans and ans[0] == 2:
                return True
            if not ans or stun_error_code(ans[3]) not in (401, 438):
                return False
            self.realm, self.nonce = ans[3][A_REALM][0], ans[3][A_NONCE][0]
        return False

    def allocate_answer(self):
        """The answer to an Allocate with credentials, after the server's challenge: 0 when
        allocated, else its error code; -1 when there was no 401 challenge first or no answer."""
        transport = [(A_TRANSPORT, bytes([17, 0, 0, 0]))]
        try:
            ans = self.request(ALLOCATE, transport)
            if not ans or ans[0] == 2 or stun_error_code(ans[3]) != 401:
                return -1
            self.realm, self.nonce = ans[3][A_REALM][0], ans[3][A_NONCE][0]
            ans = self.request(ALLOCATE, transport)
        except socket.timeout:
            return -1
        if not ans:
            return -1
        return 0 if ans[0] == 2 else stun_error_code(ans[3])

    def channel_bind(self, number, peer_ip, peer_port):
        """ChannelBind: 0 on success, else the error code."""
        ans = self.request(CHANNEL_BIND, [(A_CHANNEL, struct.pack("!HH", number, 0)),
                                          (A_PEER, xor_peer(peer_ip, peer_port))])
        if not ans:
            return -1
        return 0 if ans[0] == 2 else stun_error_code(ans[3])

    def close(self):
        self.sock.close()


def turn_flood(port, count, src="127.0.0.1", host="127.0.0.1", wait=1.0):
    """Sends count unauthenticated 28-byte Allocates (REQUESTED-TRANSPORT only) from src as
    fast as it can; (answers received, seconds spent sending, size of the first answer)."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((src, 0))
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
    req = stun_build(ALLOCATE, [(A_TRANSPORT, bytes([17, 0, 0, 0]))])
    t0 = time.monotonic()
    for _ in range(count):
        s.sendto(req, (host, port))
    spent = time.monotonic() - t0
    s.settimeout(wait)
    n, size = 0, None
    try:
        while True:
            data = s.recv(2048)
            n += 1
            size = size or len(data)
    except socket.timeout:
        pass
    s.close()
    return n, spent, size


def hold_tcp(port, count, seconds, host="127.0.0.1", stop_file=None):
    """Opens up to count TCP connections and holds them open for seconds (or until stop_file
    exists); returns how many connected."""
    import os
    socks = []
    for _ in range(count):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.settimeout(0.1)
        try:
            s.connect((host, port))
            socks.append(s)
        except OSError:
            s.close()
    print(len(socks), flush=True)
    end = time.monotonic() + seconds
    while time.monotonic() < end and not (stop_file and os.path.exists(stop_file)):
        time.sleep(0.05)
    for s in socks:
        s.close()
    return len(socks)


def stun_binding_tcp(port, host="127.0.0.1", timeout=2.0):
    """A STUN Binding over TCP: True when a success response comes back."""
    try:
        with socket.create_connection((host, port), timeout=timeout) as s:
            s.settimeout(timeout)
            s.sendall(stun_build(0x001))
            ans = stun_parse(s.recv(2048))
            return bool(ans and ans[0] == 2)
    except OSError:
        return False
