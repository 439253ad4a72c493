#!/usr/bin/env python3
"""rtp_send.py PORT SECONDS BYTE [SSRC]: a phone's voice for the tests. Sends PCMU to
127.0.0.1:PORT for SECONDS, 20 ms a packet, every payload byte BYTE (so that the listener
tells it from anything crossbar makes), with SSRC (default 0x5EED0001)."""
import socket
import struct
import sys
import time

port, seconds, byte = int(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3], 0)
ssrc = int(sys.argv[4], 0) if len(sys.argv) > 4 else 0x5EED0001
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
start, n = time.monotonic(), 0
while time.monotonic() - start < seconds:
    hdr = struct.pack("!BBHII", 0x80, 0, n & 0xFFFF, 160 * n, ssrc)
    s.sendto(hdr + bytes([byte]) * 160, ("127.0.0.1", port))
    n += 1
    time.sleep(max(0, start + 0.02 * n - time.monotonic()))
