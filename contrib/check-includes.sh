#!/bin/bash
# check-includes.sh: lists every #include "..." that crosses a module's boundary and exits 1
# when there is one. A module (modules/NAME/, a test module in tests/unit/modules/, the
# example in contrib/) includes only include/crossbar/ and its own folder; the core and
# lib/ include no module's folder. Unit tests may reach the private headers they test.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 2

# own_folder FILE: the folder a file may include from besides include/, or "" when the
# rule is only "no module's folder".
own_folder() {
	case $1 in
	modules/*/*) echo "modules/$(echo "$1" | cut -d/ -f2)" ;;
	tests/unit/modules/*) echo tests/unit/modules ;;
	contrib/*/*) echo "contrib/$(echo "$1" | cut -d/ -f2)" ;;
	*) echo "" ;;
	esac
}

offenders=0
while IFS= read -r file; do
	own=$(own_folder "$file")
	while IFS=: read -r line inc; do
		target=$(realpath -m --relative-to="$top" "$(dirname "$file")/$inc")
		case $target in
		include/*) continue ;;
		esac
		if [ -n "$own" ]; then
			case $target in
			"$own"/*) continue ;;
			esac
		else
			case $target in
			modules/*) ;;
			*) continue ;;
			esac
		fi
		echo "$file:$line: #include \"$inc\" reaches $target"
		offenders=$((offenders + 1))
	done < <(grep -n '^[[:space:]]*#[[:space:]]*include[[:space:]]*"' "$file" |
		sed 's/^\([0-9]*\):[^"]*"\([^"]*\)".*/\1:\2/')
done < <(find core lib modules tests/unit/modules contrib -name '*.[ch]' 2>/dev/null | sort)

if [ "$offenders" -gt 0 ]; then
	echo "check-includes: $offenders include(s) cross a module's boundary" >&2
	exit 1
fi
echo "check-includes: no include crosses a module's boundary"
