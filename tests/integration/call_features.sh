#!/bin/bash
# call_features.sh: a user's do-not-disturb and call forwarding, set with crossbar-cli and
# kept in the directory's database across a restart: `user dnd`, `user forward`, `user
# features`, with bad input refused (an unknown user, a forward target that is not a
# number, an unknown kind), and the dialplan applications (dnd, call_forward) known to the
# daemon and to --check-config.
. "$(dirname "$0")/lib.sh"
export COLUMNS=250

cli() { "$CLI" --socket "$SOCK" "$@"; }

check "the daemon starts" start_crossbar cf - --set registrar.demo_users=no
check "a user is added" cli user add 2001 --password secret-2001
check "a second user is added" cli user add 2002 --password secret-2002
check "features start off" bash -c "$CLI --socket '$SOCK' user features 2001 | grep -E '^2001 +off *$'"
check "do-not-disturb goes on" cli user dnd 2001 on
check "forwarding on busy is set" cli user forward 2001 busy 2002
check "forwarding on no answer is set" cli user forward 2001 noanswer +4930123
check "the table shows them" bash -c "$CLI --socket '$SOCK' user features 2001 | grep -E '^2001 +on +2002 +\+4930123'"
check "--json shows them too" bash -c "$CLI --socket '$SOCK' --json user features 2001 | grep -q '\"busy\": *\"2002\"'"
expect_exit 1 "no user 2999" "an unknown user is refused" "$CLI" --socket "$SOCK" user dnd 2999 on
expect_exit 1 "is not a number to forward to" "a forward target that is not a number is refused" \
	"$CLI" --socket "$SOCK" user forward 2001 always "sip:evil@example.com"
expect_exit 1 "usage: user forward" "an unknown kind is refused" \
	"$CLI" --socket "$SOCK" user forward 2001 sometimes 2002
expect_exit 1 "usage: user dnd" "dnd takes on or off" "$CLI" --socket "$SOCK" user dnd 2001 maybe
check "the applications are registered" bash -c "$CLI --socket '$SOCK' apps | grep -E '^dnd ' && $CLI --socket '$SOCK' apps | grep -E '^call_forward '"
check "an application turns dnd off" bash -c "$CLI --socket '$SOCK' app exec dnd 2001 off | grep -E '^result +continue'"
check "... as the table shows" bash -c "$CLI --socket '$SOCK' user features 2001 | grep -E '^2001 +off +2002'"
check "call_forward sets forward-always" cli app exec call_forward 2002 always 2001
stop_crossbar cf
check "the daemon starts again on the same data" start_crossbar cf - --set registrar.demo_users=no
check "the features outlived the restart" bash -c "$CLI --socket '$SOCK' user features | grep -E '^2001 +off +2002 +\+4930123' && $CLI --socket '$SOCK' user features | grep -E '^2002 +off +2001 *$'"
check "forwarding is cleared with off" cli user forward 2002 always off
check "... and the row shows none" bash -c "$CLI --socket '$SOCK' user features 2002 | grep -E '^2002 +off *$'"
check "deleting the user forgets its features" bash -c "$CLI --socket '$SOCK' user del 2001 && ! $CLI --socket '$SOCK' user features 2001"
stop_crossbar cf
done_testing
