#!/bin/bash
# deps.sh [build|test]: installs the Debian 12 packages crossbar needs to build (build) or
# to build and run its whole test suite (test). Installs only what is missing; needs root
# (or sudo) only when something is. Services that Debian would start on install (coturn,
# kamailio, rtpengine) are kept from starting: the tests and benches start their own on
# loopback.
set -eu

BUILD_PKGS="build-essential autoconf automake libtool pkg-config libglib2.0-dev
	libglib2.0-dev-bin libxml2-dev libsqlite3-dev libssl-dev libsndfile1-dev libspeexdsp-dev
	libspandsp-dev portaudio19-dev espeak-ng iproute2"
TEST_PKGS="clang clang-format libclang-rt-14-dev llvm sqlite3 util-linux procps sip-tester baresip
	coturn kamailio kamailio-sqlite-modules libosip2-dev python3 python3-numpy openssl
	dnsmasq-base
	rtpengine-daemon"

want=$BUILD_PKGS
[ "${1:-build}" = test ] && want="$BUILD_PKGS $TEST_PKGS"

missing=""
for p in $want; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0

SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO=sudo
echo "deps.sh: installing$missing" >&2
policy=/usr/sbin/policy-rc.d
made_policy=no
if [ ! -e "$policy" ]; then
	printf '#!/bin/sh\nexit 101\n' | $SUDO tee "$policy" >/dev/null
	$SUDO chmod +x "$policy"
	made_policy=yes
fi
trap '[ "$made_policy" = yes ] && $SUDO rm -f "$policy"' EXIT
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
