"""tls_server.py LOG PORT:CERT:KEY...: a SIP registrar stand-in over TLS for the name checks.
On each port it serves the given certificate, answers every request with 200 (Contact and
Expires copied), and writes one line per request to LOG: port, the SNI name the client sent
(or -), the request line. Runs until killed."""
import socket
import ssl
import sys
import threading

log_path = sys.argv[1]
lock = threading.Lock()


def log(line):
    with lock, open(log_path, "a") as f:
        f.write(line + "\n")


def answer(req):
    lines = req.split("\r\n")
    keep = [l for l in lines[1:] if l.split(":", 1)[0].strip().lower() in
            ("via", "v", "from", "f", "to", "t", "call-id", "i", "cseq", "contact", "m")]
    return ("SIP/2.0 200 OK\r\n" + "".join(l + "\r\n" for l in keep) +
            "Expires: 60\r\nContent-Length: 0\r\n\r\n").encode()


def serve_conn(conn, port, sni):
    buf = b""
    try:
        while True:
            chunk = conn.recv(65536)
            if not chunk:
                return
            buf += chunk
            while b"\r\n\r\n" in buf:
                head, buf = buf.split(b"\r\n\r\n", 1)
                text = head.decode(errors="replace")
                log(f"{port} {sni.get('name') or '-'} {text.splitlines()[0]}")
                conn.sendall(answer(text))
    except (OSError, ssl.SSLError):
        pass
    finally:
        conn.close()


def serve(port, cert, key):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    lsock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    lsock.bind(("127.0.0.1", port))
    lsock.listen(16)
    while True:
        raw, _ = lsock.accept()
        sni = {}
        ctx.sni_callback = lambda s, name, c, sni=sni: sni.__setitem__("name", name)
        try:
            conn = ctx.wrap_socket(raw, server_side=True)
        except (OSError, ssl.SSLError) as e:
            log(f"{port} {sni.get('name') or '-'} handshake failed: {e}")
            raw.close()
            continue
        threading.Thread(target=serve_conn, args=(conn, port, sni), daemon=True).start()


for spec in sys.argv[2:]:
    p, cert, key = spec.split(":")
    threading.Thread(target=serve, args=(int(p), cert, key), daemon=True).start()
threading.Event().wait()
