"""flood.py: large-request flood helpers for tests/security/flood.sh. Loopback only; every
loop is bounded in count and in time."""
import socket
import sys
import time

from attack import rss_kb, sip_request


def big_options(port, i, size):
    """An OPTIONS whose From tag, Call-ID and branch are each about `size` octets."""
    return sip_request("OPTIONS", port, tag="t%d-" % i + "a" * size,
                       call_id="c%d-" % i + "b" * size,
                       branch="z9hG4bK%d-" % i + "c" * size)


def flood(port, count, size, window=32, limit_s=90.0, host="127.0.0.1"):
    """Send `count` large OPTIONS, at most `window` unanswered at a time (so the pace
    follows the daemon's and its socket buffer never overflows), within `limit_s` seconds.
    Returns (sent, answers by status code)."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
    s.bind((host, 0))
    s.settimeout(0.5)
    answers = {}
    got = sent = 0
    deadline = time.monotonic() + limit_s

    def receive(wait):
        nonlocal got
        s.settimeout(wait)
        try:
            data = s.recv(65536)
        except (socket.timeout, BlockingIOError):
            return False
        code = data.split(b" ", 2)[1].decode(errors="replace") if data.startswith(b"SIP/2.0 ") else "?"
        answers[code] = answers.get(code, 0) + 1
        got += 1
        return True

    while sent < count and time.monotonic() < deadline:
        if sent - got >= window:
            if not receive(1.0) and sent - got >= window:
                got = sent - window + 1  # lost ones: do not wait for them forever
            continue
        s.sendto(big_options(port, sent, size), (host, port))
        sent += 1
        while receive(0):
            pass
    end = min(deadline, time.monotonic() + 3.0)
    while got < sent and time.monotonic() < end:
        receive(0.2)
    s.close()
    return sent, answers


if __name__ == "__main__":
    port, pid, count, size = (int(a) for a in sys.argv[1:5])
    before = rss_kb(pid)
    t0 = time.monotonic()
    sent, answers = flood(port, count, size)
    secs = time.monotonic() - t0
    time.sleep(0.5)
    after = rss_kb(pid)
    print("sent %d in %.1f s; answers %s; rss %d -> %d KiB (+%d)" %
          (sent, secs, answers, before, after, after - before))
    print("RESULT %d %d %d %d" % (sent, answers.get("200", 0), before, after))
