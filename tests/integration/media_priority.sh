#!/bin/bash
# media_priority.sh: media.priority. With `realtime` the media worker threads (xb-media-N)
# run under SCHED_RR, with `high` at nice -10, with `normal` as any thread; where the
# system refuses (no root, no CAP_SYS_NICE), each worker says so in the log and runs on at
# normal priority, and the daemon serves as before.
. "$(dirname "$0")/lib.sh"

require_tools chrt
crossbar_names rt hi no

# workers PID: the worker threads' ids, one a line.
workers() {
	local t
	for t in /proc/"$1"/task/*; do
		[[ $(cat "$t/comm" 2>/dev/null) == xb-media-* ]] && basename "$t"
	done
}
# policy_of PID POLICY: every worker runs under POLICY (chrt's name for it).
policy_of() {
	local tid n=0
	for tid in $(workers "$1"); do
		n=$((n + 1))
		chrt -p "$tid" | tee /dev/stderr | grep -q "policy: $2\$" || return 1
	done
	echo "$n workers"
	[ "$n" -ge 1 ]
}
# nice_of PID NICE: every worker runs at NICE (field 19 of its stat).
nice_of() {
	local tid n=0
	for tid in $(workers "$1"); do
		n=$((n + 1))
		[ "$(awk '{print $19}' /proc/"$1"/task/"$tid"/stat)" = "$2" ] || return 1
	done
	[ "$n" -ge 1 ]
}

check "a daemon with media.priority=realtime starts" start_crossbar rt "" --set media.priority=realtime \
	--set media.workers=2
check "one with high" start_crossbar hi "" --set media.priority=high --set media.workers=2
check "one with normal (the default)" start_crossbar no "" --set media.workers=2
if [ "$(id -u)" -eq 0 ]; then
	check "realtime: the workers run under SCHED_RR" until_ok 5 policy_of "$rt_PID" SCHED_RR
	check "high: the workers run at nice -10" until_ok 5 nice_of "$hi_PID" -10
else
	check "realtime, refused here: each worker says so" until_ok 5 \
		grep -q "no realtime priority" "$TMP/rt.log"
	check "high, refused here: each worker says so" until_ok 5 \
		grep -q "no high priority" "$TMP/hi.log"
fi
check "normal: the workers run as any thread" until_ok 5 policy_of "$no_PID" SCHED_OTHER
check "... at the daemon's own nice value" nice_of "$no_PID" "$(awk '{print $19}' /proc/"$no_PID"/stat)"
expect_exit 2 "media.priority.*normal" "a wrong value is refused with the choices" \
	"$CROSSBAR" --check-config --set media.priority=urgent
for d in rt hi no; do stop_crossbar "$d"; done
done_testing
