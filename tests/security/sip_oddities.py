"""sip_oddities.py: valid but unusual SIP for the security tests: RFC 4475's intmeth message
(quoted-pairs escaping NUL, BEL and DEL). Loopback only."""
import time

from attack import udp_answer  # noqa: F401 (the tests call sip_oddities.udp_answer)


# RFC 4475 §3.1.1.2 (intmeth): an unknown method of token characters, and a To whose quoted
# display name escapes NUL, BEL and DEL with quoted-pairs; valid SIP (RFC 3261 §25.1).
INTMETH_TO = (b'To: "BEL:\\\x07 NUL:\\\x00 DEL:\\\x7f" '
              b"<sip:1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*@example.com>")


def intmeth(port, method=b"!interesting-Method0123456789_*+`.%indeed'~", host="127.0.0.1"):
    """The intmeth message of RFC 4475 §3.1.1.2 over UDP to host:port, as bytes."""
    branch = b"z9hG4bK-.!%66*_+`'~" + (b"%x" % int(time.time() * 1e6))
    return (method + b" sip:1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*:&it+has=1,"
            b"weird!*pas$wo~d_too.(doesn't-it)@" + host.encode() + b":%d SIP/2.0\r\n" % port
            + b"Via: SIP/2.0/UDP " + host.encode() + b":9;branch=" + branch + b";rport\r\n"
            + INTMETH_TO + b"\r\n"
            b"From: token1~` token2'+_ token3*%!.- <sip:mundane@example.com>;"
            b"fromParam''~+*_!.-%=\"\xd1\x80\xd0\xb0\xd0\xb1\xd0\xbe\xd1\x82\xd0\xb0\xd1\x8e"
            b"\xd1\x89\xd0\xb8\xd0\xb9\";tag=_token~1'+`*%!-.\r\n"
            b"Call-ID: intmeth.word%ZK-!.*_+'@word`~)(><:\\/\"][?}{\r\n"
            b"CSeq: 139122385 " + method + b"\r\n"
            b"Max-Forwards: 255\r\n"
            b"extensionHeader-!.%*+_`'~:\xef\xbb\xbf\xe5\xa4\xa7\xe5\x81\x9c\xe9\x9b\xbb\r\n"
            b"Content-Length: 0\r\n\r\n")
