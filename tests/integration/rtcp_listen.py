#!/usr/bin/env python3
"""rtcp_listen.py PORT OUT.json [SECONDS]: a phone's RTCP port for the tests. Receives RTCP
on 127.0.0.1:PORT for SECONDS (default 20) and writes each compound packet's sender and
receiver reports (RFC 3550 §6.4: type, SSRC, NTP and RTP time, packet and octet counts,
report blocks' SSRCs) and SDES CNAMEs, with its arrival time in seconds since the start."""
import json
import socket
import struct
import sys
import time

port, out = int(sys.argv[1]), sys.argv[2]
limit = float(sys.argv[3]) if len(sys.argv) > 3 else 20.0
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", port))
s.settimeout(0.2)
got, start = [], time.monotonic()


def parse(data):
    """The packets of a compound, or None when it is not well formed."""
    pkts, off = [], 0
    while off < len(data):
        if len(data) - off < 4 or data[off] >> 6 != 2:
            return None
        count, ptype = data[off] & 0x1F, data[off + 1]
        plen = (struct.unpack("!H", data[off + 2:off + 4])[0] + 1) * 4
        if off + plen > len(data):
            return None
        p, pkt = data[off:off + plen], {"type": ptype}
        if ptype in (200, 201):
            pkt["ssrc"] = struct.unpack("!I", p[4:8])[0]
            at = 8
            if ptype == 200:
                ntp_hi, ntp_lo, rtp_ts, pc, oc = struct.unpack("!IIIII", p[8:28])
                pkt.update(ntp=ntp_hi + ntp_lo / 2**32, rtp_ts=rtp_ts, packets=pc, octets=oc)
                at = 28
            pkt["blocks"] = [struct.unpack("!I", p[at + 24 * i:at + 24 * i + 4])[0]
                             for i in range(count)]
        elif ptype == 202:
            ssrc, itype, ilen = struct.unpack("!IBB", p[4:10])
            pkt.update(ssrc=ssrc, item=itype, text=p[10:10 + ilen].decode("ascii", "replace"))
        pkts.append(pkt)
        off += plen
    return pkts


while time.monotonic() - start < limit:
    try:
        data, _ = s.recvfrom(2048)
    except socket.timeout:
        continue
    pkts = parse(data)
    if pkts is not None:
        got.append({"at": time.monotonic() - start, "wall": time.time(), "packets": pkts})
with open(out, "w") as f:
    json.dump(got, f)
