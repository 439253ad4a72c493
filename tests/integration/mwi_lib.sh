# mwi_lib.sh: SIPp scenarios of a message-summary subscriber (RFC 3842, RFC 6665), written
# step by step by the test that sources it after lib.sh, and raw SIP requests over UDP.
#
#   mwi_scenario FILE USER PASSWORD BOX STEP...   writes a SIPp scenario:
#     sub EXPIRES           SUBSCRIBE sip:BOX, 401, again with USER's digest, 200 with
#                           Expires: EXPIRES; the dialog's To tag is kept
#     refused STATUS        SUBSCRIBE, 401, again with the digest, STATUS
#     notify BODY STATE     a NOTIFY whose body matches BODY and Subscription-State STATE
#                           (extended regular expressions), answered 200
#     refresh EXPIRES       SUBSCRIBE within the dialog (a refresh, or 0: the end), 200
#   mwi_sipp NAME FILE [sipp args]   runs it in the background (from MWI_PORT when set);
#                          MWI_PID is SIPp's pid.
#   raw_sip PORT TEXT      sends TEXT (\r\n escapes) over UDP and prints the answer.

mwi_scenario() {
	local file=$1 user=$2 password=$3 box=$4 cseq=1 n=0
	shift 4
	{
		echo '<?xml version="1.0" encoding="ISO-8859-1" ?>'
		echo '<scenario name="mwi">'
		while [ $# -gt 0 ]; do
			case $1 in
			sub | refused)
				local want=200
				[ "$1" = refused ] && want=$2
				mwi_subscribe "$user" "$box" "$cseq" "" "$2"
				echo "  <recv response=\"401\" auth=\"true\"/>"
				mwi_subscribe "$user" "$box" $((cseq + 1)) \
					"[authentication username=$user password=$password]" "$2"
				cseq=$((cseq + 2))
				if [ "$want" = 200 ]; then
					n=$((n + 1))
					echo "  <recv response=\"200\"><action>"
					echo "    <ereg regexp=\"^ *$2\$\" search_in=\"hdr\" header=\"Expires:\" check_it=\"true\" assign_to=\"e$n\"/>"
					echo "    <ereg regexp=\";tag=([^;&gt; ]+)\" search_in=\"hdr\" header=\"To:\" check_it=\"true\" assign_to=\"t$n,totag\"/>"
					echo "  </action></recv>"
					echo "  <Reference variables=\"e$n,t$n,totag\"/>"
				else
					echo "  <recv response=\"$want\"/>"
				fi
				shift 2
				;;
			refresh)
				n=$((n + 1))
				mwi_subscribe "$user" "$box" "$cseq" "" "$2" ';tag=[$totag]'
				cseq=$((cseq + 1))
				echo "  <recv response=\"200\"><action>"
				echo "    <ereg regexp=\"^ *$2\$\" search_in=\"hdr\" header=\"Expires:\" check_it=\"true\" assign_to=\"e$n\"/>"
				echo "  </action></recv>"
				echo "  <Reference variables=\"e$n\"/>"
				shift 2
				;;
			notify)
				n=$((n + 1))
				echo "  <recv request=\"NOTIFY\" timeout=\"60000\"><action>"
				echo "    <ereg regexp=\"$2\" search_in=\"body\" check_it=\"true\" assign_to=\"b$n\"/>"
				echo "    <ereg regexp=\"$3\" search_in=\"hdr\" header=\"Subscription-State:\" check_it=\"true\" assign_to=\"s$n\"/>"
				echo "    <ereg regexp=\"application/simple-message-summary\" search_in=\"hdr\" header=\"Content-Type:\" check_it=\"true\" assign_to=\"c$n\"/>"
				echo "  </action></recv>"
				echo "  <Reference variables=\"b$n,s$n,c$n\"/>"
				cat <<'EOF'
  <send>
    <![CDATA[
      SIP/2.0 200 OK
      [last_Via:]
      [last_From:]
      [last_To:]
      [last_Call-ID:]
      [last_CSeq:]
      Content-Length: 0

    ]]>
  </send>
EOF
				shift 3
				;;
			*)
				echo "mwi_scenario: unknown step $1" >&2
				return 1
				;;
			esac
		done
		echo '</scenario>'
	} >"$file"
}

# mwi_subscribe USER BOX CSEQ AUTH-LINE EXPIRES [TO-TAG]
mwi_subscribe() {
	echo '  <send retrans="500">'
	echo '    <![CDATA['
	echo "      SUBSCRIBE sip:$2@[remote_ip]:[remote_port] SIP/2.0"
	echo "      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch];rport"
	echo "      From: <sip:$1@[remote_ip]>;tag=[call_number]"
	echo "      To: <sip:$2@[remote_ip]>${6:-}"
	echo "      Call-ID: [call_id]"
	echo "      CSeq: $3 SUBSCRIBE"
	echo "      Contact: <sip:$1@[local_ip]:[local_port]>"
	echo "      Event: message-summary"
	echo "      Accept: application/simple-message-summary"
	echo "      Expires: $5"
	[ -n "$4" ] && echo "      $4"
	echo "      Max-Forwards: 70"
	echo "      Content-Length: 0"
	echo
	echo '    ]]>'
	echo '  </send>'
}

mwi_sipp() {
	local name=$1 file=$2
	shift 2
	sipp -sf "$file" -m 1 -l 1 -i 127.0.0.1 -p "${MWI_PORT:-$(free_port)}" -timeout 300 -timeout_error \
		-trace_msg -message_file "$TMP/$name.msgs" -trace_err -error_file "$TMP/$name.err" \
		"$@" "127.0.0.1:$PORT" >"$TMP/$name.out" 2>&1 &
	MWI_PID=$!
	PIDS+=("$MWI_PID")
}

raw_sip() {
	local port=$1 text=$2
	# One write, one datagram (printf writes a line at a time).
	printf '%b' "$text" >"$TMP/raw.sip"
	exec 3<>/dev/udp/127.0.0.1/"$port"
	cat "$TMP/raw.sip" >&3
	timeout 3 dd bs=65536 count=1 <&3 2>/dev/null | tr -d '\r'
	exec 3>&-
}
