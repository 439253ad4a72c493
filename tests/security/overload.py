"""overload.py: make the daemon fall behind on UDP for tests/security/overload.sh. The
daemon is stopped (SIGSTOP) while requests queue in its socket, so that when it resumes
they have waited a known time: the kernel stamps each datagram on arrival, and that wait is
what the daemon judges. Loopback only; every loop is bounded in count and in time."""
import os
import signal
import socket
import sys
import time

from attack import sip_request, udp_status


def burst(sock, port, count, prefix, host="127.0.0.1"):
    """count new OPTIONS (no credentials, no To tag), each with a branch of its own."""
    for i in range(count):
        sock.sendto(sip_request("OPTIONS", port, branch="z9hG4bK%s%d" % (prefix, i),
                                tag="%s%d" % (prefix, i), call_id="%s%d@x" % (prefix, i)),
                    (host, port))


def well_formed_503(data):
    """A stateless 503 as §8.2.6.2 and §18.2.1 want it: a To tag of ours, the top Via
    stamped with received, and the request's Call-ID and CSeq."""
    lines = data.decode(errors="replace").split("\r\n")
    hdr = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        hdr.setdefault(name.strip().lower(), value.strip())
    return (";tag=" in hdr.get("to", "") and "received=127.0.0.1" in hdr.get("via", "")
            and hdr.get("call-id", "").endswith("@x") and hdr.get("cseq", "").endswith("OPTIONS"))


def collect(sock, quiet_s=1.0, limit_s=10.0):
    """The answers until none came for quiet_s (at most limit_s): {status: count} and how
    many 503s were well formed and carried Retry-After."""
    answers, retry_after = {}, 0
    end = time.monotonic() + limit_s
    sock.settimeout(quiet_s)
    while time.monotonic() < end:
        try:
            data = sock.recv(65536)
        except socket.timeout:
            break
        code = data.split(b" ", 2)[1].decode(errors="replace")
        answers[code] = answers.get(code, 0) + 1
        if code == "503" and b"\r\nRetry-After: " in data and well_formed_503(data):
            retry_after += 1
    return answers, retry_after


def stalled(pid, port, count, wait_s, prefix):
    """Stop the daemon, queue count requests, let them wait wait_s, resume it; answers."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
    s.bind(("127.0.0.1", 0))
    os.kill(pid, signal.SIGSTOP)
    try:
        burst(s, port, count, prefix)
        time.sleep(wait_s)
    finally:
        os.kill(pid, signal.SIGCONT)
    result = collect(s)
    s.close()
    return result


if __name__ == "__main__":
    port, pid = int(sys.argv[1]), int(sys.argv[2])
    # The daemon's first read turns the kernel's stamping on: datagrams from then on carry it.
    print("first OPTIONS: %s" % udp_status(port, sip_request("OPTIONS", port)))
    # Far behind (700 ms > 400 ms): new requests without credentials dropped unparsed.
    answers, _ = stalled(pid, port, 300, 0.7, "far")
    print("far behind: 300 sent, answers %s" % answers)
    print("FAR %d" % sum(answers.values()))
    # Behind (300 ms, between 250 and 400 ms): they get 503 with Retry-After. A resume
    # later than 100 ms would make it "far behind" again: a few tries, spaced.
    for attempt in range(4):
        time.sleep(1.0)
        answers, retry_after = stalled(pid, port, 300, 0.3, "near%d-" % attempt)
        print("behind: 300 sent, answers %s, %d with Retry-After" % (answers, retry_after))
        if retry_after:
            break
    print("NEAR %d %d" % (answers.get("503", 0), retry_after))
