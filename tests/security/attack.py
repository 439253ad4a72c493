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


def udp_status(port, data, host="127.0.0.1", timeout=2.0):
    """Send one datagram; the status line of the first answer, or None."""
    fam = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(fam, socket.SOCK_DGRAM) as s:
        s.settimeout(timeout)
        s.sendto(data, (host, port))
        try:
            return s.recv(65536).split(b"\r\n", 1)[0].decode(errors="replace")
        except socket.timeout:
            return None


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
