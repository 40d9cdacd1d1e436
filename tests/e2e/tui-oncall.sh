#!/bin/sh
# The on-call view and the rota in the TUI, with the clock pinned: every
# deadline overdue or due within [oncall] window across all cases, soonest
# first, with case, kind, time left and handler (the same list as `embargo
# due`); M narrows it to my cases; Enter opens the case, even one the queue's
# filters hide; the view follows changes live; the status bar names who is
# on call by the rota.
. "$top_srcdir/tests/e2e/lib.sh"

sandbox_new
E=$EMBARGO_BIN
list=$("$E" list --all --format=json) || bail_out "embargo list failed"

case_of() {
	printf '%s' "$list" | jq -r --arg s "$1" '.[] | select(.subject == $s) | .id'
}
ref_of() {
	printf '%s' "$list" | jq -r --arg s "$1" '.[] | select(.subject == $s) | .ref'
}
SIG=$(case_of "Signed report")
SIG_REF=$(ref_of "Signed report")
ALT=$(case_of "Signed report, altered")
[ -n "$SIG" ] && [ -n "$ALT" ] || bail_out "fixture cases missing"
"$E" set "$SIG" handler bob@example.org >/dev/null || bail_out "embargo set failed"
"$E" set "$ALT" handler alice@example.org >/dev/null || bail_out "embargo set failed"

cat >"$SANDBOX/rota" <<'EOF'
# who is on call, from that day on (the clock is pinned to 2026-11-22 12:00 UTC)
2026-11-01 alice@example.org
2026-11-20 bob@example.org
2026-12-01 alice@example.org
EOF
cp "$SANDBOX/config" "$SANDBOX/config-norota"
printf '\n[oncall]\nrota = %s\n' "$SANDBOX/rota" >>"$SANDBOX/config"

# The rows of the view as "CASE REF KIND", and the same from `embargo due`.
view_rows() {
	tui_screen | sed -n 's/^ *\([0-9][0-9]*\) [!~ ] \([0-9A-Z]\{5\}\) \([a-z][a-z]*\) .*$/\1 \2 \3/p'
}
due_rows() {
	"$E" due --format=json | jq -r '.[] | "\(.case) \(.ref) \(.kind)"'
}
# wait_rows EXPECTED: until the view shows exactly those rows (5 s at most).
wait_rows() {
	_n=100
	while [ "$(view_rows)" != "$1" ] && [ "$_n" -gt 0 ]; do
		sleep 0.05
		_n=$((_n - 1))
	done
	[ "$(view_rows)" = "$1" ]
}

# --- the rota in the status bar -------------------------------------------------------
tui_start 80 24
tui_wait_for '  #   next' || bail_out "the queue did not come up"
like "80 columns: the status bar names the on-call handler (short)" "$(tui_screen)" \
	'^ alice@example.org  on call: bob  13 cases '
tui_resize 120 40
tui_wait_for 'on call: bob@example.org  13 cases' &&
	ok "120 columns: the status bar names the on-call handler in full" ||
	not_ok "120 columns: the status bar names the on-call handler in full"

# --- the on-call view ---------------------------------------------------------------
want=$(due_rows)
n=$(printf '%s\n' "$want" | wc -l)
[ "$n" -gt 10 ] || bail_out "embargo due lists only $n deadlines"
tui_keys O
tui_wait_for "^ on call: $n deadlines overdue or due within 1d, all cases \\(M: mine\\)  on call: bob@example.org" &&
	ok "O opens the view: how many, the window, who is on call" ||
	not_ok "O opens the view: how many, the window, who is on call"
like "its columns" "$(tui_screen)" '^ *case +ref +kind +left +due +handler +subject'
is "every deadline of \`embargo due\`, soonest first" "$(view_rows)" "$want"
s=$(tui_screen)
like "overdue: the marker, the time left, the due time" "$s" \
	'^ +1 ! [0-9A-Z]{5} update +-5d 16h +2026-11-16 20:00 +- +Auth bypass in login form'
like "the handler is shown" "$s" "^ +$SIG ! $SIG_REF ack +-2d 4h +2026-11-20 08:00 +bob@example.org +Signed report"
like "a deadline due soon is listed too" "$s" '^ +[0-9]+ ~ [0-9A-Z]{5} ack +0m +2026-11-22 12:00 '
like "... and one due at the end of the window" "$s" '^ +[0-9]+   [0-9A-Z]{5} response +1d +2026-11-23 12:00 '
unlike "nothing due later than the window" "$s" '^ +[0-9]+ [!~ ] [0-9A-Z]{5} [a-z]+ +(1d [0-9]|[2-9]d|[1-9][0-9]d)'
like "colour: overdue rows in red" "$(tui_screen_color)" "$(printf '\033')\\[[0-9;]*31m"

# M: my cases only, and back.
tui_keys M
want_mine=$("$E" due --format=json | jq -r '.[] | select(.handler == "alice@example.org") | "\(.case) \(.ref) \(.kind)"')
wait_rows "$want_mine" && ok "M shows only my cases' deadlines" || not_ok "M shows only my cases' deadlines" "$(view_rows)"
like "... and says so" "$(tui_screen)" '^ on call: [0-9]+ deadlines? .* my cases \(M: all\)'
tui_keys M
wait_rows "$want" && ok "M again: all cases" || not_ok "M again: all cases"

# The view follows the store: marking the response sent drops its row.
"$E" set "$SIG" response-sent yes >/dev/null || bail_out "embargo set failed"
want=$(due_rows)
wait_rows "$want" && ok "a change from the shell shows in the view" ||
	not_ok "a change from the shell shows in the view" "$(view_rows)"
unlike "... the met deadline is gone" "$(view_rows)" "^$SIG $SIG_REF response\$"

# Enter opens the selected deadline's case in the timeline.
tui_keys j j
third=$(printf '%s\n' "$want" | sed -n 3p)
tui_keys Enter
tui_wait_for "^ #${third%% *} $(printf '%s' "$third" | cut -d' ' -f2) " &&
	ok "Enter opens the case of the selected row" || not_ok "Enter opens the case of the selected row"
like "... and the view is closed" "$(tui_screen)" '^  #   next'

# A case hidden by the queue's filters: Enter drops them and opens it.
tui_keys Tab
tui_keys U
tui_wait_for 'filter: unassigned' || true
tui_keys O
tui_wait_for '^ on call: ' || true
row=$(printf '%s\n' "$want" | grep -n "^$SIG $SIG_REF ack\$" | cut -d: -f1)
[ -n "$row" ] || bail_out "no ack row for case $SIG"
i=1
while [ "$i" -lt "$row" ]; do
	tui_keys j
	i=$((i + 1))
done
tui_keys Enter
tui_wait_for "^ #$SIG $SIG_REF " && ok "Enter opens a case the filters hid" ||
	not_ok "Enter opens a case the filters hid"
unlike "... the filters were dropped" "$(tui_screen)" 'filter: unassigned'

# Escape (and O again) leave the view.
tui_keys O
tui_wait_for '^ on call: ' || true
tui_keys Escape
tui_wait_for '^  #   next' && ok "Escape closes the view" || not_ok "Escape closes the view"
tui_keys O
tui_wait_for '^ on call: ' || true
tui_keys O
tui_wait_for '^  #   next' && ok "O closes it too" || not_ok "O closes it too"
tui_keys q q
tui_wait_exit && ok "q quits" || not_ok "q quits"

# --- no rota, and a bad rota --------------------------------------------------------
tui_start 80 24 --config "$SANDBOX/config-norota"
tui_wait_for '  #   next' || bail_out "the queue did not come up"
unlike "without a rota the status bar names nobody" "$(tui_screen)" 'on call'
tui_stop
printf '2026-11-01 mallory@example.org\n' >"$SANDBOX/rota"
tui_start 80 24
tui_wait_for '  #   next' || bail_out "the queue did not come up"
tui_wait_for '^ alice@example.org  on call: \? \(rota unreadable\)' &&
	ok "a bad rota: the status bar says so" || not_ok "a bad rota: the status bar says so"
like "... and the message line says why" "$(tui_screen)" '^rota: .*mallory@example.org'

done_testing
