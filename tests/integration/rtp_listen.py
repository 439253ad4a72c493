#!/usr/bin/env python3
"""rtp_listen.py PORT OUT.json [SECONDS]: a phone's ear for the tests. Receives RTP on
127.0.0.1:PORT until SECONDS (default 20) pass or 3 s go by without a packet once packets
came, and writes what arrived: each packet's payload type, marker, sequence number,
timestamp, SSRC and payload (hex)."""
import json
import socket
import sys
import time

port, out = int(sys.argv[1]), sys.argv[2]
limit = float(sys.argv[3]) if len(sys.argv) > 3 else 20.0
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", port))
s.settimeout(0.2)
packets, start, last = [], time.monotonic(), None
while time.monotonic() - start < limit:
    if last is not None and time.monotonic() - last > 3:
        break
    try:
        data, _ = s.recvfrom(2048)
    except socket.timeout:
        continue
    if len(data) < 12 or data[0] >> 6 != 2:
        continue
    last = time.monotonic()
    packets.append({
        "pt": data[1] & 0x7F, "m": data[1] >> 7,
        "seq": int.from_bytes(data[2:4], "big"), "ts": int.from_bytes(data[4:8], "big"),
        "ssrc": int.from_bytes(data[8:12], "big"), "payload": data[12:].hex(),
    })
with open(out, "w") as f:
    json.dump(packets, f)
