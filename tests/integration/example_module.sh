#!/bin/bash
# example_module.sh: a third-party module builds out of tree against an installed crossbar
# (headers and crossbar.pc from `make install` into a staging root), installs into the
# moduledir that crossbar.pc names, and the installed daemon loads it: its command, its
# application and its setting work through crossbar-cli, and the SIP method it took over
# through mod_sip's API table (MESSAGE) is answered by it.
. "$(dirname "$0")/lib.sh"

STAGE=$TMP/stage
if make -C "$BUILD" install DESTDIR="$STAGE" >"$TMP/install.log" 2>&1; then ok "make install into a staging root"; else
	not_ok "make install into a staging root"
	tail -20 "$TMP/install.log" | sed 's/^/# /'
	done_testing
fi
PC=$(find "$STAGE" -name crossbar.pc | head -1)
# The staged tree is a prefix of its own: relocate crossbar.pc to it, as a packager would.
PREFIX=$(cd "$(dirname "$PC")/../.." && pwd)
sed -i "s|^prefix=.*|prefix=$PREFIX|" "$PC"
export PKG_CONFIG_PATH=$(dirname "$PC")
PKG="pkg-config"
check "crossbar.pc is installed" test -f "$PC"
check "the public headers are installed" test -f "$(dirname "$PC")/../../include/crossbar/crossbar.h"
MODDIR=$($PKG --variable=moduledir crossbar)
check "crossbar.pc names the moduledir, and mod_sip is there" test -f "$MODDIR/mod_sip.so"
check "mod_sip exports only its descriptor" bash -c "nm -D --defined-only '$MODDIR/mod_sip.so' | awk '{print \$3}' | grep -vx xb_module_descriptor | grep -v '^_' | (! grep .)"

cp -r "$SRC/contrib/example-module" "$TMP/example"
check "the example module builds out of tree with pkg-config, without a warning" \
	make -C "$TMP/example" PKG_CONFIG="$PKG" CFLAGS="-O2 -g -Werror"
check "it installs into the moduledir" make -C "$TMP/example" PKG_CONFIG="$PKG" install
check "mod_example.so is in the moduledir" test -f "$MODDIR/mod_example.so"

BIN=$(dirname "$PC")/../../bin
LIBDIR=$(dirname "$PC")/..
export LD_LIBRARY_PATH=$LIBDIR
CROSSBAR=$BIN/crossbar
CLI=$BIN/crossbar-cli
# The daemon's default dialplan.file is where the unstaged install would put it.
PLAN=$PREFIX/share/crossbar/dialplans/default.xml
check "the shipped dialplan and its schema are installed" \
	test -f "$PLAN" -a -f "$PREFIX/share/crossbar/dialplan.rng"
check "the installed daemon starts with the example module" start_crossbar ex sip,example \
	--set core.modules_dir="$MODDIR" --set example.greeting=Howdy --set dialplan.file="$PLAN"
check "modules lists example as loaded" bash -c "$CLI --socket '$SOCK' modules | grep -E '^example +1\\.0\\.0 +loaded'"
check "the module's command answers with its setting" bash -c "$CLI --socket '$SOCK' example hello Alice | grep -E '^greeting +Howdy, Alice!'"
check "the module's application is registered" bash -c "$CLI --socket '$SOCK' apps | grep -E '^example_greet +example'"
check "the module's application runs" bash -c "$CLI --socket '$SOCK' app exec example_greet Bob | grep -E '^var.greeting +Howdy, Bob'"
check "the module hears configuration reloads" bash -c "$CLI --socket '$SOCK' reload && sleep 0.2 && $CLI --socket '$SOCK' example hello | grep -E '^reloads_seen +1'"

# MESSAGE (RFC 3428) is the module's: text/plain is answered 200 and kept, another type 415.
message() { # CONTENT-TYPE BODY: the status line and Accept of the answer, one per line
	PYTHONPATH=$SRC/tests/security python3 - "$ex_PORT" "$1" "$2" <<'PY'
import sys
from attack import sip_request, udp_answer
port, ctype, body = int(sys.argv[1]), sys.argv[2], sys.argv[3]
ans = udp_answer(port, sip_request("MESSAGE", port, extra=f"Content-Type: {ctype}\r\n",
                                   body=body, user="alice"))
lines = ans.decode(errors="replace").split("\r\n") if ans else ["(no answer)"]
print(lines[0])
print("\n".join(l for l in lines if l.lower().startswith("accept:")))
PY
}
message text/plain "Lunch at noon?" >"$TMP/msg1.out"
check "a MESSAGE is answered 200 by the example module" grep -qx "SIP/2.0 200 OK" "$TMP/msg1.out"
check "... which keeps its text and sender" bash -c "$CLI --socket '$SOCK' example hello | grep -E '^last_message +Lunch at noon\?' && $CLI --socket '$SOCK' example hello | grep -E '^last_message_from +sip:alice@127.0.0.1' && $CLI --socket '$SOCK' example hello | grep -E '^messages_seen +1'"
message application/json '{"a":1}' >"$TMP/msg2.out"
check "a MESSAGE of another type is refused 415 with Accept: text/plain" \
	bash -c "grep -qx 'SIP/2.0 415 Unsupported Media Type' '$TMP/msg2.out' && grep -qix 'Accept: text/plain' '$TMP/msg2.out'"
check "... and not kept" bash -c "$CLI --socket '$SOCK' example hello | grep -E '^messages_seen +1'"
check "the method is in mod_sip's Allow" bash -c "PYTHONPATH=$SRC/tests/security python3 -c \"
import sys
from attack import sip_request, udp_answer
a = udp_answer($ex_PORT, sip_request('OPTIONS', $ex_PORT)).decode()
sys.exit(0 if any(l.lower().startswith('allow:') and 'MESSAGE' in l for l in a.split('\\r\\n')) else 1)
\""
stop_crossbar ex
check "shutdown unloaded it" grep -q 'module example unloaded' "$TMP/ex.log"
done_testing
