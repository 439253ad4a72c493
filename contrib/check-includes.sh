#!/bin/sh
# check-includes.sh [SRCDIR]: checks the layout rule of DESIGN.md that a part of crossbar
# includes only the public headers (include/crossbar/) and files of its own folder. Lists
# each offending line and exits 1; exits 0 when there is none. Two rules, over every .c and .h
# file of core/, modules/, lib/, tests/ and contrib/:
#   1. no #include climbs with "../" out of the file's own folder tree: core/, or the second
#      level elsewhere (modules/sip/, lib/stun/, tests/unit/, contrib/example-module/);
#   2. outside tests/, no quoted #include names a path from the source root ("modules/...",
#      "core/...", "lib/...") that lies outside that tree. White-box unit tests under tests/
#      may name the private header of the code they test that way, never with "../".
set -eu
top=${1:-$(cd "$(dirname "$0")/.." && pwd)}
cd "$top"

files=$(find core modules lib tests contrib -type f \( -name '*.c' -o -name '*.h' \) \
	2>/dev/null | LC_ALL=C sort)
[ -n "$files" ] || { echo "check-includes.sh: no sources under $top" >&2; exit 2; }

# shellcheck disable=SC2086
offenders=$(awk '
# The folder tree a file belongs to: core/ whole, else its first two path components.
function tree(path,   n, c) {
	n = split(path, c, "/")
	if (c[1] == "core" || n < 3)
		return c[1]
	return c[1] "/" c[2]
}
# dir/rel with "." and ".." resolved; a result starting with "../" left the source root.
function resolve(dir, rel,   n, c, i, out, k, r) {
	n = split(dir "/" rel, c, "/")
	k = 0
	for (i = 1; i <= n; i++) {
		if (c[i] == "" || c[i] == ".")
			continue
		if (c[i] == ".." && k > 0 && out[k] != "..") {
			k--
			continue
		}
		out[++k] = c[i]
	}
	r = ""
	for (i = 1; i <= k; i++)
		r = r (i > 1 ? "/" : "") out[i]
	return r
}
function inside(path, root) {
	return path == root || index(path, root "/") == 1
}
FNR == 1 {
	dir = FILENAME
	sub("/[^/]*$", "", dir)
	root = tree(FILENAME)
}
/^[ \t]*#[ \t]*include[ \t]*["<]/ {
	line = $0
	sub(/^[ \t]*#[ \t]*include[ \t]*/, "", line)
	quote = substr(line, 1, 1)
	name = substr(line, 2)
	sub(/[">].*$/, "", name)
	if (name ~ /(^|\/)\.\.\//) {
		if (!inside(resolve(dir, name), root))
			printf "%s:%d: %s climbs out of %s/\n", FILENAME, FNR, $0, root
	} else if (quote == "\"" && root !~ /^tests/ &&
	           name ~ /^(core|modules|lib|tests|contrib)\// && !inside(name, root)) {
		printf "%s:%d: %s reaches outside %s/\n", FILENAME, FNR, $0, root
	}
}
' $files)

if [ -n "$offenders" ]; then
	printf '%s\n' "$offenders"
	echo "check-includes.sh: $(printf '%s\n' "$offenders" | wc -l) include(s) cross a folder;" \
		"use a public header of include/crossbar/ instead" >&2
	exit 1
fi
echo "check-includes.sh: no include crosses a folder"
