"""attack.py: small helpers the security tests share to talk to the daemon as an attacker
would (raw sockets, resets, forged content). Loopback only; every loop is bounded."""
import socket
import struct
import time


def sip_request(method, port, transport="udp", extra="", body="", branch=None, tag=None,
                call_id=None, host="127.0.0.1", user="probe"):
    """A minimal, valid SIP request as bytes."""
    branch = branch or "z9hG4bK%x" % int(time.time() * 1e6)
    tag = tag or "t%x" % int(time.time() * 1e6)
    call_id = call_id or "c%x@%s" % (int(time.time() * 1e6), host)
    tr = transport.upper()
    msg = (f"{method} sip:{user}@{host}:{port} SIP/2.0\r\n"
           f"Via: SIP/2.0/{tr} {host}:9;branch={branch};rport\r\n"
           "Max-Forwards: 70\r\n"
           f"From: <sip:{user}@{host}>;tag={tag}\r\n"
           f"To: <sip:{user}@{host}>\r\n"
           f"Call-ID: {call_id}\r\n"
           f"CSeq: 1 {method}\r\n"
           f"{extra}"
           f"Content-Length: {len(body)}\r\n\r\n{body}")
    return msg.encode()


def reset(sock):
    """Close with an RST instead of a FIN (SO_LINGER {1, 0})."""
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()


def udp_answer(port, data, host="127.0.0.1", timeout=2.0):
    """Send one datagram; the first answer as bytes, or None."""
    fam = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(fam, socket.SOCK_DGRAM) as s:
        s.settimeout(timeout)
        s.sendto(data, (host, port))
        try:
            return s.recv(65536)
        except socket.timeout:
            return None


def udp_status(port, data, host="127.0.0.1", timeout=2.0):
    """Send one datagram; the status line of the first answer, or None."""
    answer = udp_answer(port, data, host, timeout)
    return answer.split(b"\r\n", 1)[0].decode(errors="replace") if answer else None


def rss_kb(pid):
    """Resident set size of a process, in KiB."""
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def cpu_ticks(pid):
    """User + system CPU time of a process, in clock ticks."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])


def connect(port, host="127.0.0.1", tls=False, source=None, timeout=3.0):
    """A TCP (or TLS, certificate not checked) connection to the daemon."""
    fam = socket.AF_INET6 if ":" in host else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_STREAM)
    s.settimeout(timeout)
    if source:
        s.bind((source, 0))
    s.connect((host, port))
    if tls:
        import ssl
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        s = ctx.wrap_socket(s)
    return s


def stream_status(sock, data):
    """Send a request on a connection; the status line of the answer, or None."""
    sock.sendall(data)
    buf = b""
    try:
        while b"\r\n" not in buf:
            chunk = sock.recv(65536)
            if not chunk:
                return None
            buf += chunk
    except (socket.timeout, OSError):
        return None
    return buf.split(b"\r\n", 1)[0].decode(errors="replace")


def options_ok(port, transport="udp", host="127.0.0.1", source=None):
    """Does the daemon answer an OPTIONS with 200 over this transport?"""
    if transport == "udp":
        st = udp_status(port, sip_request("OPTIONS", port, "udp", host=host), host=host)
    else:
        try:
            with connect(port, host, tls=transport == "tls", source=source) as s:
                st = stream_status(s, sip_request("OPTIONS", port, transport, host=host))
        except OSError:
            st = None
    return bool(st and st.startswith("SIP/2.0 200"))


# ---- SIP digest (RFC 3261 §22.4, RFC 7616 qop=auth, MD5) ----

def _sip_parse(data):
    """(status code, {lower-case header name: [values]}) of a SIP response."""
    head = data.split(b"\r\n\r\n", 1)[0].decode(errors="replace").split("\r\n")
    code = int(head[0].split()[1])
    headers = {}
    for line in head[1:]:
        name, _, value = line.partition(":")
        headers.setdefault(name.strip().lower(), []).append(value.strip())
    return code, headers


def digest_challenge(headers, algorithm="MD5"):
    """{realm, nonce, stale} of the WWW-Authenticate for algorithm, or None."""
    import re
    for value in headers.get("www-authenticate", []):
        if re.search(r"algorithm=%s\b" % re.escape(algorithm), value):
            return {"realm": re.search(r'realm="([^"]*)"', value).group(1),
                    "nonce": re.search(r'nonce="([^"]*)"', value).group(1),
                    "stale": "stale=true" in value}
    return None


def digest_authorization(user, realm, password, nonce, uri, nc=1, response=None,
                         method="REGISTER"):
    """An MD5 Authorization header line; response overrides the computed digest."""
    import hashlib

    def md5(t):
        return hashlib.md5(t.encode()).hexdigest()
    ncs = "%08x" % nc
    if response is None:
        ha1 = md5(f"{user}:{realm}:{password}")
        ha2 = md5(f"{method}:{uri}")
        response = md5(f"{ha1}:{nonce}:{ncs}:0a4f113b:auth:{ha2}")
    return (f'Authorization: Digest username="{user}", realm="{realm}", nonce="{nonce}", '
            f'uri="{uri}", response="{response}", algorithm=MD5, qop=auth, nc={ncs}, '
            f'cnonce="0a4f113b"\r\n')


class SipClient:
    """A UDP SIP client bound to a loopback address of its own (127.0.0.0/8 is all local)."""

    def __init__(self, port, src="127.0.0.1", user="2000", domain="pbx.test"):
        self.port, self.user, self.domain = port, user, domain
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind((src, 0))
        self.sock.settimeout(3.0)
        self.src = src
        self.cseq = 0
        self.call_id = "a%x@%s" % (int(time.time() * 1e6), src)

    def close(self):
        self.sock.close()

    def register(self, auth=""):
        """Sends one REGISTER; (status code, headers) of the final answer, or (None, {})."""
        self.cseq += 1
        lport = self.sock.getsockname()[1]
        uri = f"sip:{self.domain}"
        msg = (f"REGISTER {uri} SIP/2.0\r\n"
               f"Via: SIP/2.0/UDP {self.src}:{lport};branch=z9hG4bK{self.cseq}x{lport};rport\r\n"
               "Max-Forwards: 70\r\n"
               f"From: <sip:{self.user}@{self.domain}>;tag=f{lport}\r\n"
               f"To: <sip:{self.user}@{self.domain}>\r\n"
               f"Call-ID: {self.call_id}\r\nCSeq: {self.cseq} REGISTER\r\n"
               f"Contact: <sip:{self.user}@{self.src}>\r\nExpires: 60\r\n"
               f"{auth}Content-Length: 0\r\n\r\n")
        self.sock.sendto(msg.encode(), ("127.0.0.1", self.port))
        for _ in range(5):  # skip provisional answers
            try:
                code, headers = _sip_parse(self.sock.recv(65536))
            except socket.timeout:
                return None, {}
            if code >= 200:
                return code, headers
        return None, {}

    def challenge(self):
        """A fresh challenge {realm, nonce, stale} (None when the answer is not a 401)."""
        code, headers = self.register()
        return digest_challenge(headers) if code == 401 else None

    def login(self, password):
        """REGISTER with the password as a phone would: the final status code."""
        ch = self.challenge()
        if ch is None:
            code, _ = self.register()
            return code
        code, _ = self.register(digest_authorization(self.user, ch["realm"], password,
                                                     ch["nonce"], f"sip:{self.domain}"))
        return code

    def answer(self, nonce, password=None, response=None, realm=None):
        """REGISTER answering `nonce` (with a password, or a response as given)."""
        auth = digest_authorization(self.user, realm or self.domain, password or "", nonce,
                                    f"sip:{self.domain}", response=response)
        return self.register(auth)[0]


# ---- STUN/TURN long-term credentials (RFC 8489 §9.2, RFC 8656 Allocate) ----

STUN_COOKIE = 0x2112A442


def _stun_attr(t, value):
    pad = (4 - len(value) % 4) % 4
    return struct.pack("!HH", t, len(value)) + value + b"\0" * pad


def stun_allocate(user=None, realm=None, nonce=None, key=None):
    """An Allocate request for UDP, signed with key when given."""
    import hmac
    import os
    tid = os.urandom(12)
    attrs = _stun_attr(0x0019, bytes([17, 0, 0, 0]))
    if user is not None:
        attrs += _stun_attr(0x0006, user.encode()) + _stun_attr(0x0014, realm.encode())
        attrs += _stun_attr(0x0015, nonce.encode())
    if key is None:
        return struct.pack("!HHI", 0x0003, len(attrs), STUN_COOKIE) + tid + attrs
    head = struct.pack("!HHI", 0x0003, len(attrs) + 24, STUN_COOKIE) + tid
    mac = hmac.new(key, head + attrs, "sha1").digest()
    return head + attrs + _stun_attr(0x0008, mac)


def stun_parse(data):
    """(class, error code or 0, {attribute type: value}) of a STUN message."""
    mtype, length = struct.unpack("!HH", data[:4])
    cls = ((mtype >> 7) & 2) | ((mtype >> 4) & 1)
    attrs, off, code = {}, 20, 0
    while off + 4 <= 20 + length:
        t, n = struct.unpack("!HH", data[off:off + 4])
        attrs[t] = data[off + 4:off + 4 + n]
        off += 4 + n + (4 - n % 4) % 4
    if 0x0009 in attrs:
        v = attrs[0x0009]
        code = (v[2] & 7) * 100 + v[3]
    return cls, code, attrs


class TurnClient:
    """A UDP TURN client bound to a loopback address of its own."""

    def __init__(self, port, src="127.0.0.1"):
        self.port = port
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind((src, 0))
        self.sock.settimeout(3.0)
        self.realm = self.nonce = None

    def close(self):
        self.sock.close()

    def send(self, msg):
        """(class, error code, attributes) of the answer, or (None, None, {})."""
        self.sock.sendto(msg, ("127.0.0.1", self.port))
        try:
            cls, code, attrs = stun_parse(self.sock.recv(65536))
        except socket.timeout:
            return None, None, {}
        if 0x0015 in attrs:
            self.nonce = attrs[0x0015].decode()
        if 0x0014 in attrs:
            self.realm = attrs[0x0014].decode()
        return cls, code, attrs

    def allocate(self, user, password):
        """One signed Allocate (after an unsigned one for the nonce when none is known):
        the error code, or 0 for success."""
        import hashlib
        if self.nonce is None:
            _, code, _ = self.send(stun_allocate())
            if code != 401:
                return code
        key = hashlib.md5(f"{user}:{self.realm}:{password}".encode()).digest()
        _, code, _ = self.send(stun_allocate(user, self.realm, self.nonce, key))
        return code
