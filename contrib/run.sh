#!/bin/bash
# run.sh [crossbar options...]: installs what is missing, builds, and runs crossbar in the
# foreground on its built-in defaults (SQLite in ./var, the shipped dialplan, SIP on 5060).
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
"$top/contrib/deps.sh" build
"$top/contrib/build.sh" "$top/build"
cd "$top"
exec "$top/build/core/crossbar" "$@"
