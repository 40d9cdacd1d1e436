#!/bin/sh
# Live refresh: a running TUI sees, within 3 seconds and without losing its
# selection, a change made from the shell, a change made by a second TUI,
# and new mail indexed by notmuch.
. "$top_srcdir/tests/e2e/lib.sh"

E=$EMBARGO_BIN
ESC=$(printf '\033')
sandbox_new
plain=$("$E" list | awk '/Heap overflow/ { print $1; exit }')
enc=$("$E" list | awk '/Encrypted report$/ { print $1; exit }')

tui_start 120 40
tui_wait_for 'Heap overflow' || bail_out "the queue did not come up"

# Select the plain report (move down until its row is the reverse-video one).
selected() {
	tui_screen_color | grep "$ESC\[[0-9;]*7m" | grep -v 'timeline' |
		sed "s/$ESC\[[0-9;]*m//g" | awk '$1 ~ /^[0-9]+$/ { print $1; exit }'
}
n=0
while [ "$(selected)" != "$plain" ] && [ $n -lt 20 ]; do
	tui_keys j
	n=$((n + 1))
	sleep 0.05
done
is "the plain report is selected" "$(selected)" "$plain"

"$E" set "$plain" severity critical >/dev/null || bail_out "embargo set failed"
tui_wait_for "^ +$plain ! ack -1d +critical " 3 &&
	ok "a change made from the shell shows within 3 seconds" ||
	not_ok "a change made from the shell shows within 3 seconds"
is "the selection stays on the same case" "$(selected)" "$plain"

# The open case's timeline follows too, keeping its scroll position.
tui_keys Enter
tui_wait_for "^ #$plain " || true
tui_keys j j
tui_wait_for "^ #$plain .* 3-" || true
# The title bar counts the timeline's lines: the note adds one, the view stays at line 3.
lines=$(tui_screen | sed -n "s|^ #$plain .* 3-[0-9]*/\([0-9]*\) *\$|\1|p")
"$E" note "$plain" "MARK-CLI-NOTE from another handler" >/dev/null
tui_wait_for "^ #$plain .* 3-[0-9]+/$((lines + 1)) *\$" 3 &&
	ok "a note added from the shell reaches the open timeline within 3 seconds, scroll kept" ||
	not_ok "a note added from the shell reaches the open timeline within 3 seconds, scroll kept"
tui_keys G
tui_wait_for "note: MARK-CLI-NOTE from another handler" &&
	ok "the note is at the end of the timeline" || not_ok "the note is at the end of the timeline"

# A second TUI on the same store: a change made there shows here.
# Its own tmux server, so the two panes cannot be confused.
T2=$SANDBOX/tmux2.sock
_lib_tmux_sockets="${_lib_tmux_sockets-} $T2"
tmux -S "$T2" -f /dev/null new-session -d -s u -x 100 -y 30 \
	env LC_ALL=C.UTF-8 "${TUI_CMD:-$EMBARGO_BIN}" || bail_out "second tmux session"
screen_u() {
	tmux -S "$T2" capture-pane -p -t u:
}
# wait_u PATTERN: until the second TUI's screen matches (10 s at most).
wait_u() {
	_n=200
	while ! screen_u | grep -Eq -- "$1" && [ $_n -gt 0 ]; do
		sleep 0.05
		_n=$((_n - 1))
	done
	screen_u | grep -Eq -- "$1"
}
keys_u() {
	tmux -S "$T2" send-keys -t u: "$@"
}
wait_u 'Heap overflow' || diag "the second TUI did not come up"
keys_u /
wait_u '^notmuch query' || diag "no query prompt in the second TUI"
keys_u -l "id:enc-signed@fixture.test"
keys_u Enter
wait_u '1 of 13 cases' || diag "the second TUI did not filter"
keys_u S
wait_u '^severity:' || diag "no severity prompt in the second TUI"
keys_u -l moderate
keys_u Enter
tui_keys q
tui_wait_for "^ +$enc ~ ack 0m +moderate " 3 &&
	ok "a change made in a second TUI shows in the first within 3 seconds" ||
	not_ok "a change made in a second TUI shows in the first within 3 seconds" \
		"second TUI: $(screen_u | tail -n 3)"
like "the store has it" "$("$E" show "$enc" --format=json)" '"severity":"moderate"'

# New mail: delivered and indexed while the TUI runs.
cat >"$SANDBOX/mail/INBOX/new/1700000002.live.fixture" <<'EOF'
From: Nora New <nora@new.test>
To: security@example.org
Subject: MARK-LIVE-REPORT race in the session cache
Date: Sun, 22 Nov 2026 11:00:00 +0000
Message-ID: <live@fixture.test>
Content-Type: text/plain; charset=utf-8

The session cache can be raced. MARK-LIVE-BODY
EOF
notmuch new >/dev/null 2>&1 || bail_out "notmuch new failed"
tui_wait_for 'Nora New +MARK-LIVE-REPORT' 3 &&
	ok "new mail shows in the queue within 3 seconds" ||
	not_ok "new mail shows in the queue within 3 seconds"
like "the status bar counts it" "$(tui_screen)" '^ alice@example.org  14 cases'
is "the selection still stays on the same case" "$(selected)" "$plain"
tmux -S "$T2" kill-server 2>/dev/null

done_testing
