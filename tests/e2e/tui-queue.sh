#!/bin/sh
# The TUI's queue: the order of `embargo list`, colours by urgency (and
# attributes and markers under NO_COLOR), the help screen generated from the
# action table, resizes (mid-prompt too) and the 80x24 layout.
. "$top_srcdir/tests/e2e/lib.sh"

E=$EMBARGO_BIN
ESC=$(printf '\033')
sandbox_new

# restart [COLS ROWS]: a fresh program in a fresh tmux server, once the old
# server is gone (a new one started while the old one still exits fails).
restart() {
	tui_stop
	_n=100
	while [ -S "$SANDBOX/tmux.sock" ] && [ "$_n" -gt 0 ]; do
		sleep 0.05
		_n=$((_n - 1))
	done
	tui_start "$@"
}

# queue_ids: the case ids of the queue rows on screen, in order.
queue_ids() {
	tui_screen | awk '/^ +# +next/ { q = 1; next } q && /^ *[0-9]+ / { print $1; next } q { exit }'
}

tui_start 120 40
tui_wait_for 'Heap overflow' || bail_out "the queue did not come up"
is "the queue is in the order of embargo list" "$(queue_ids)" \
	"$("$E" list | awk 'NR > 1 { print $1 }')"

c=$(tui_screen_color)
plain=$("$E" list | awk '/Heap overflow/ { print $1; exit }')
enc=$("$E" list | awk '/Encrypted report$/ { print $1; exit }')
like "an overdue case is red, with its marker" "$c" \
	"^ +$plain .*$ESC\[[0-9;]*31m!.*$ESC\[[0-9;]*31mack -1d"
like "a case due soon is yellow, with its marker" "$c" \
	"^ +$enc .*$ESC\[[0-9;]*33m~.*$ESC\[[0-9;]*33mack 0m"
like "the status bar counts by urgency" "$(tui_screen)" '^ alice@example.org  13 cases 12 overdue 1 soon'

# Minimal updates: moving the selection sends a small fraction of what a
# full redraw (C-l) sends, as seen by tmux on the pane's output.
out=$SANDBOX/pane.out
: >"$out"
tmux -S "$SANDBOX/tmux.sock" pipe-pane -t t: -o "cat >>'$out'"
# settle: until the program's output stops growing (checked every 0.2 s).
settle() {
	_prev=-1
	while [ "$(wc -c <"$out")" != "$_prev" ]; do
		_prev=$(wc -c <"$out")
		sleep 0.2
	done
}
settle
b0=$(wc -c <"$out")
tui_keys j
settle
b1=$(wc -c <"$out")
tui_keys C-l
settle
b2=$(wc -c <"$out")
tmux -S "$SANDBOX/tmux.sock" pipe-pane -t t:
moved=$((b1 - b0))
full=$((b2 - b1))
if [ "$moved" -gt 0 ] && [ "$full" -gt 0 ] && [ $((moved * 5)) -lt "$full" ]; then
	ok "moving the selection sends little ($moved bytes; a full redraw $full)"
else
	not_ok "moving the selection sends little" "moved: $moved bytes, full redraw: $full bytes"
fi
tui_keys k

# ? shows every action of the table (keys/action.h) with its keys.
tui_keys '?'
tui_wait_for '^ keys \(' || true
# Tall enough for the whole help on one screen (107 lines with the editor's keys).
tui_resize 120 130
tui_wait_for 'prompt-kill-word' || true
help=$(tui_screen)
missing=
for a in $(sed -n 's/^.*X(ACT_[A-Z_]*, "\([a-z-]*\)".*$/\1/p' "$top_srcdir/keys/action.h"); do
	printf '%s\n' "$help" | grep -Eq "  [^ ].* +$a +[a-z]" || missing="$missing $a"
done
n=$(sed -n 's/^.*X(ACT_[A-Z_]*, "\([a-z-]*\)".*$/\1/p' "$top_srcdir/keys/action.h" | wc -l)
if [ "$n" -gt 40 ] && [ -z "$missing" ]; then
	ok "help lists all $n actions of the table"
else
	not_ok "help lists all actions of the table" "missing:$missing (of $n)"
fi
like "help shows the current keys of an action" "$help" '^  j, Down, C-n +move-down +'
like "help shows unbound actions as such" "$help" '^  \(not bound\) +mark-announced'
tui_keys q
tui_wait_for '  #   next' && ok "q closes the help" || not_ok "q closes the help"

# Resizes: 120x40 -> 80x24 -> 120x40, each redrawn whole.
tui_resize 120 40
tui_wait_for 'Heap overflow' || true
tui_resize 80 24
tui_wait_for '^  #   next      sev  state     handler  reporter       subject' &&
	ok "at 80x24 the queue uses the narrow columns" || not_ok "at 80x24 the queue uses the narrow columns"
s=$(tui_screen)
is "80x24: ten queue rows" "$(queue_ids | wc -l)" 10
is "80x24: no line is wider than the screen" \
	"$(printf '%s\n' "$s" | wc -L | awk '{ print ($1 <= 80) ? "fits" : $1 " columns" }')" "fits"
like "80x24: the status bar is on top" "$(printf '%s\n' "$s" | sed -n 1p)" '^ alice@example.org  13 cases'
like "80x24: the timeline sits below the queue" "$(printf '%s\n' "$s" | sed -n 13p)" '^ timeline'
tui_resize 120 40
tui_wait_for '^  #   next      sev       state            handler      reporter' &&
	ok "back at 120x40 the wide columns return" || not_ok "back at 120x40 the wide columns return"
is "120x40: the order is unchanged" "$(queue_ids)" \
	"$("$E" list | awk 'NR > 1 { print $1 }')"

# A resize in the middle of a prompt: everything is redrawn, the prompt stays
# with what was typed, and the answer still works.
tui_keys G /
tui_wait_for '^notmuch query' || true
tui_type 'id:plain@fixture'
tui_resize 80 24
tui_wait_for '^  #   next      sev  state ' || true
s=$(tui_screen)
like "mid-prompt resize: the queue is redrawn" "$s" '^  #   next      sev  state '
like "mid-prompt resize: the prompt keeps the text" "$(printf '%s\n' "$s" | sed -n 24p)" \
	'^notmuch query \(empty: all\): id:plain@fixture$'
tui_type '.test'
tui_keys Enter
tui_wait_for '1 of 13 cases' && ok "the prompt works after the resize" ||
	not_ok "the prompt works after the resize"
tui_keys F
tui_wait_for '^ alice@example.org  13 cases' || true

# Filters: mine and unassigned.
"$E" set "$plain" handler alice@example.org >/dev/null
tui_keys M
tui_wait_for '1 of 13 cases' && ok "M shows my cases only" || not_ok "M shows my cases only"
like "my case is the one shown" "$(queue_ids)" "^$plain\$"
tui_keys M U
tui_wait_for '12 of 13 cases' && ok "U shows unassigned cases only" || not_ok "U shows unassigned cases only"
tui_keys F
tui_wait_for '^ alice@example.org  13 cases' && ok "F drops the filters" || not_ok "F drops the filters"
tui_keys q
tui_wait_exit || true

# bind lines: a good one changes the key and the help; a bad one stops the
# start with a message naming the binding and what is allowed.
cp "$SANDBOX/config" "$SANDBOX/config-bind"
printf 'bind queue J bottom\nbind queue X frobnicate\n' >>"$SANDBOX/config-bind"
err=$("$E" --config "$SANDBOX/config-bind" </dev/null 2>&1); st=$?
is "a bad binding stops the start (exit 1)" "$st" 1
like "the error names the file, line and binding" "$err" \
	"config-bind:[0-9]+: bind queue X frobnicate: unknown action \"frobnicate\""
like "the error lists what is allowed" "$err" 'set-severity'
err=$("$E" </dev/null 2>&1); st=$?
is "without a terminal the TUI refuses (exit 1)" "$st" 1
like "and says why" "$err" 'needs a terminal'
cp "$SANDBOX/config" "$SANDBOX/config-bind"
printf 'bind queue J bottom\n' >>"$SANDBOX/config-bind"
restart 120 40 --config "$SANDBOX/config-bind"
tui_wait_for 'Heap overflow' || true
tui_keys J
tui_wait_for "^$ESC\[[0-9;]*7m +13 " 3 >/dev/null 2>&1 || true
is "a bound key runs its action (J: bottom)" "$(tui_screen_color | grep "$ESC\[[0-9;]*7m" |
	sed "s/$ESC\[[0-9;]*m//g" | awk '$1 ~ /^[0-9]+$/ { print $1; exit }')" \
	"$("$E" list | awk 'END { print $1 }')"
tui_keys '?'
tui_wait_for '^ keys \(' || true
like "the help shows the new key" "$(tui_screen)" '^  J +bottom +'
tui_keys q q
tui_wait_exit || true

# NO_COLOR: no colour at all, but urgency visible by markers and attributes.
NO_COLOR=1; export NO_COLOR
restart 120 40
tui_wait_for 'Heap overflow' || bail_out "the queue did not come up under NO_COLOR"
c=$(tui_screen_color)
unlike "NO_COLOR: no colour SGR codes" "$c" "$ESC\[([0-9;]*;)?(3[0-7]|4[0-7]|9[0-7]|10[0-7]|38|48)(;[0-9;]*)?m"
like "NO_COLOR: overdue is marked ! and bold" "$c" "^ +$plain .*$ESC\[[0-9;]*1m!"
like "NO_COLOR: soon is marked ~ and underlined" "$c" "^ +$enc .*$ESC\[[0-9;]*4m~"
tui_keys q
tui_wait_exit || true
unset NO_COLOR

# An earlier clock: the encrypted report's ack is comfortably ahead (green).
EMBARGO_NOW=2026-11-21T13:00:00Z; export EMBARGO_NOW
restart 120 40
tui_wait_for 'Encrypted report' || true
like "a case with time left is green" "$(tui_screen_color)" \
	"^ +$enc .*$ESC\[[0-9;]*32mack 23h"

done_testing
