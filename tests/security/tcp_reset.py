"""tcp_reset.py PORT TLSPORT COUNT: connections that end with a reset at every point of a
message's life (after a keep-alive ping, half-way through a request, right after a whole
request), COUNT times each over TCP and over TLS; prints how many were made and whether
the daemon still answers."""
import socket
import ssl
import sys

from attack import connect, options_ok, reset, sip_request

port, tls_port, count = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
whole = sip_request("OPTIONS", port, "tcp")
shapes = {
    "ping": b"\r\n\r\n",
    "half": whole[: len(whole) // 2],
    "whole": whole,
    "ping+whole": b"\r\n\r\n" + whole,
}
made = 0
for transport, p in (("tcp", port), ("tls", tls_port)):
    for name, data in shapes.items():
        for _ in range(count):
            try:
                s = connect(p, tls=transport == "tls")
                s.sendall(data)
                if transport == "tls":
                    # Reset the TCP connection under the TLS session, without close_notify.
                    raw = socket.socket(fileno=s.detach())
                    reset(raw)
                else:
                    reset(s)
                made += 1
            except (OSError, ssl.SSLError):
                pass
        alive = options_ok(port, "tcp") and options_ok(port, "udp")
        print(f"{transport} {name}: {made} connections so far, daemon answers: {alive}")
        if not alive:
            sys.exit(1)
print(f"made {made}")
