"""tcp_limits.py PORT TLSPORT CASE: the connection limits seen from outside; prints one line
"ok ..." or "not ok ..." per check (TAP without the numbers; the shell script counts)."""
import socket
import sys
import time

from attack import connect, options_ok, sip_request

port, tls_port, case = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]


def say(good, what):
    print(("ok " if good else "not ok ") + what, flush=True)


def closed_by_server(s, wait):
    """Did the server close (EOF or reset) within `wait` seconds?"""
    s.settimeout(wait)
    try:
        return s.recv(1) == b""
    except socket.timeout:
        return False
    except OSError:
        return True


def raw(source="127.0.0.1", p=None):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind((source, 0))
    s.connect(("127.0.0.1", p or port))
    return s


if case == "per-source":
    # sip.tcp_max_per_source=20: the 21st connection from one address is closed at once.
    conns = [raw() for _ in range(30)]
    time.sleep(0.5)
    alive = [s for s in conns if not closed_by_server(s, 0.05)]
    say(len(alive) == 20, f"20 of 30 idle connections from 127.0.0.1 stay open (got {len(alive)})")
    say(options_ok(port, "tcp", source="127.0.0.2"),
        "meanwhile 127.0.0.2 connects and gets 200 to OPTIONS")
    # sip.tcp_first_message_timeout=2: connections that never sent a message are closed.
    t0 = time.monotonic()
    gone = sum(closed_by_server(s, 4.0) for s in alive)
    say(gone == len(alive), f"the idle connections are closed by the first-message deadline "
        f"({gone} of {len(alive)} in {time.monotonic() - t0:.1f} s)")
    say(options_ok(port, "tcp"), "127.0.0.1 can connect again and gets 200")
elif case == "handshake":
    # sip.tls_handshake_timeout=2: a TCP connection to the TLS port that never says hello.
    s = raw(p=tls_port)
    t0 = time.monotonic()
    say(closed_by_server(s, 5.0), f"a TLS connection without a handshake is closed "
        f"({time.monotonic() - t0:.1f} s)")
    s = raw(p=tls_port)
    s.sendall(b"\x16\x03\x01\x02\x00\x01")  # the first octets of a ClientHello, then nothing
    say(closed_by_server(s, 5.0), "a TLS connection that stops mid-handshake is closed")
    say(options_ok(tls_port, "tls"), "a real TLS client still gets 200")
elif case == "trickle":
    # A whole message first (past the first-message deadline), then a header that never
    # ends, an octet every 0.3 s: octets that make no message do not keep the connection
    # (sip.tcp_idle_timeout=5).
    s = raw()
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    s.sendall(sip_request("OPTIONS", port, "tcp"))
    s.settimeout(2)
    first = s.recv(65536).split(b"\r\n", 1)[0]
    say(first.startswith(b"SIP/2.0 200"), "a connection's first OPTIONS gets 200")
    trickle = sip_request("OPTIONS", port, "tcp")[:-4] + b"X-Pad: " + b"a" * 100
    t0 = time.monotonic()
    closed = False
    for b in trickle:
        try:
            s.send(bytes([b]))
        except OSError:
            closed = True
            break
        if closed_by_server(s, 0.3):
            closed = True
            break
        if time.monotonic() - t0 > 12:
            break
    took = time.monotonic() - t0
    say(closed and took < 9, f"a trickle that makes no message is closed by the idle timer "
        f"({took:.1f} s)")
elif case == "budget":
    # sip.tcp_max_buffered=1024 KiB: 24 connections each holding 60 KB of a header that never
    # ends (1.4 MB together) cannot all stay; those holding the most are let go.
    conns = []
    for i in range(24):
        s = raw(f"127.0.0.{3 + i % 4}")
        s.sendall(b"OPTIONS sip:x@127.0.0.1 SIP/2.0\r\nX-Pad: " + b"b" * 60000)
        conns.append(s)
    time.sleep(1.0)
    alive = sum(not closed_by_server(s, 0.05) for s in conns)
    say(alive <= 17, f"no more than 1 MiB of partial messages are held ({alive} of 24 "
        "connections still open)")
    say(options_ok(port, "tcp", source="127.0.0.9"), "another client still gets 200")
    for s in conns:
        s.close()
