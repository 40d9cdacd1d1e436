#!/bin/sh
# Every message of the hostile-mail corpus (tests/hostile), opened in the
# interface in tmux: nothing it holds reaches the terminal as a control
# sequence.  The pane title and tmux's paste buffers (OSC 0/2, OSC 52) stay
# as they were, the layout stays intact, and no raw escape is on screen.
. "$top_srcdir/tests/e2e/lib.sh"

E=$EMBARGO_BIN
ESC=$(printf '\033')
COLS=100 ROWS=30

sandbox_new
hostile_corpus_copy
notmuch new --quiet || bail_out "notmuch new failed"

# The queue shows the open cases in `embargo list` order.
ids=$("$E" list --format=json | jq -r '.[].id')
n=$(printf '%s\n' "$ids" | grep -c .)
[ "$n" -gt 40 ] && ok "the corpus gives $n open cases" || not_ok "the corpus gives many open cases" "only $n"

# OSC 52 would create a tmux paste buffer if any reached the terminal.
TUI_TMUX_CONF='set-option -g set-clipboard on'
tui_start $COLS $ROWS
tui_wait_for "cases" || bail_out "the interface did not start"
title=$(tui_title)
buffers0=$(tmux -S "$SANDBOX/tmux.sock" list-buffers 2>/dev/null | wc -l)

bad_open= bad_esc= bad_layout= bad_width=
i=0
for id in $ids; do
	i=$((i + 1))
	tui_keys Enter
	if ! tui_wait_for "^case $id " 20 >/dev/null 2>&1; then
		bad_open="$bad_open $id"
	fi
	s=$(tui_screen)
	c=$(tui_screen_color | sed "s/$ESC\[[0-9;]*m//g")
	case $c in *"$ESC"*) bad_esc="$bad_esc $id" ;; esac
	printf '%s\n' "$s" | sed -n 1p | grep -q '^ alice@example.org ' || bad_layout="$bad_layout $id"
	# wc -L counts display columns (wide characters as two).
	[ "$(printf '%s\n' "$s" | wc -L)" -le $COLS ] || bad_width="$bad_width $id"
	tui_keys q j
done

is "every case opened in the timeline" "$bad_open" ""
is "no raw escape reached the screen" "$bad_esc" ""
is "the status bar stayed on line 1" "$bad_layout" ""
is "no line grew wider than the screen" "$bad_width" ""
is "the pane title is unchanged" "$(tui_title)" "$title"
is "no paste buffer was set (OSC 52)" \
	"$(tmux -S "$SANDBOX/tmux.sock" list-buffers 2>/dev/null | wc -l)" "$buffers0"
# The detectors work: the same sequences printed raw in another window of
# this tmux do set a paste buffer.
tmux -S "$SANDBOX/tmux.sock" new-window -d -n control \
	"printf '\\033]52;c;aGVsbG8=\\007'; sleep 2"
n=40
while [ "$(tmux -S "$SANDBOX/tmux.sock" list-buffers 2>/dev/null | wc -l)" -eq "$buffers0" ] && [ $n -gt 0 ]; do
	sleep 0.05
	n=$((n - 1))
done
[ $n -gt 0 ] && ok "control: a raw OSC 52 does set a paste buffer here" ||
	not_ok "control: a raw OSC 52 does set a paste buffer here" "the OSC 52 check above proves nothing"

tui_keys q
tui_wait_exit 10 >/dev/null 2>&1
is "quitting after all that exits 0" "$(tui_exit_status)" 0

done_testing
