# sipp_lib.sh: SIPp as a caller or a callee of the daemon, for the scripts that source it
# after lib.sh. Each run logs its messages (-trace_msg) to $TMP/NAME.msgs and its errors to
# $TMP/NAME.err. The script sets SIPP_DIR (the scenarios), PORT (the daemon's SIP port),
# LOCAL_IP (SIPp's address) and HOST (the daemon's address as URIs write it).

# summary NAME: SIPp's message log as one line per message, "sent|recv START-LINE | CSeq |
# top Via branch", in the order SIPp saw them.
summary() {
	awk '
	function flush() { if (dir != "") printf "%s %s | %s | %s\n", dir, start, cseq, branch; dir = "" }
	/^-----/ { flush(); next }
	/message sent/ { dir = "sent"; start = ""; cseq = ""; branch = ""; next }
	/message received/ { dir = "recv"; start = ""; cseq = ""; branch = ""; next }
	dir != "" && start == "" && NF { start = $0; sub(/\r$/, "", start); next }
	dir != "" && /^(CSeq|l):/ { cseq = $2 " " $3; sub(/\r$/, "", cseq) }
	dir != "" && /^(Via|v):/ && branch == "" { if (match($0, /branch=[^;, \r]*/)) branch = substr($0, RSTART + 7, RLENGTH - 7) }
	END { flush() }' "$TMP/$1.msgs"
}

# statuses NAME: the statuses SIPp received, in order, on one line.
statuses() { summary "$1" | grep -oE '^recv SIP/2.0 [0-9]+' | sed 's/^recv SIP.2.0 //' | tr '\n' ' '; }

# uac NAME SCENARIO USER [sipp args]: SIPp calls sip:USER@daemon once, Call-ID NAME-1.
uac() {
	local name=$1 sf=$2 user=$3
	shift 3
	timeout 30 sipp -sf "$SIPP_DIR/$sf" -s "$user" -cid_str "$name-%u" -m 1 -l 1 \
		-i "$LOCAL_IP" -p "$(free_port)" -mp "$(free_port 4)" -timeout 15 -timeout_error \
		-max_recv_loops 1000 -trace_msg -message_file "$TMP/$name.msgs" -trace_err \
		-error_file "$TMP/$name.err" "$@" "$HOST:$PORT" >"$TMP/$name.out" 2>&1
	local rc=$?
	[ $rc -eq 0 ] || summary "$name"
	return $rc
}

# uas_start NAME SCENARIO [sipp args]: SIPp waits for one call on $SPORT (UAS_PORT when the
# script set one, else a free port), in the background.
uas_start() {
	local name=$1 sf=$2
	shift 2
	SPORT=${UAS_PORT:-$(free_port)}
	timeout 30 sipp -sf "$SIPP_DIR/$sf" -m 1 -i "$LOCAL_IP" -p "$SPORT" -mp "$(free_port 4)" \
		-timeout 15 -timeout_error -max_recv_loops 1000 -trace_msg \
		-message_file "$TMP/$name.msgs" -trace_err -error_file "$TMP/$name.err" "$@" \
		>"$TMP/$name.out" 2>&1 &
	UAS_PID=$!
	UAS_NAME=$name
	PIDS+=("$UAS_PID")
	for _ in $(seq 1 50); do
		ss -Htuln "( sport = :$SPORT )" 2>/dev/null | grep -q . && return 0
		sleep 0.1
	done
	return 1
}

# uas_done: SIPp (started by uas_start) ended its call successfully.
uas_done() {
	if ! wait_exit "$UAS_PID" 30; then
		echo "SIPp still running"
		summary "$UAS_NAME"
		return 1
	fi
	[ "$EXIT_STATUS" -eq 0 ] && return 0
	echo "SIPp exit $EXIT_STATUS"
	summary "$UAS_NAME"
	return 1
}

# uas_stop: ends a SIPp callee that is still waiting (after a check that failed).
uas_stop() {
	kill "$UAS_PID" 2>/dev/null
	wait_exit "$UAS_PID" 5 || kill -9 "$UAS_PID" 2>/dev/null
}
