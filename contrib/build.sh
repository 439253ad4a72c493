#!/bin/bash
# build.sh DIR [configure args...]: configures (once) and builds crossbar out of tree in DIR.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
dir=$1
shift
cd "$top"
if [ -f "$top/config.status" ]; then
	echo "build.sh: $top is configured in place; the scripts build in build/ and build-asan/." >&2
	echo "build.sh: run 'make distclean' in $top first." >&2
	exit 1
fi
[ -x configure ] || autoreconf -fi >/dev/null 2>&1 || autoreconf -fi
mkdir -p "$dir"
cd "$dir"
[ -f Makefile ] || "$top/configure" -q "$@"
make -j"$(nproc)" >/dev/null
