# tests/e2e/lib.sh: TAP output, the test sandbox and tmux helpers for end-to-end tests.
#
# Source it from a POSIX sh test script:
#
#	. "${top_srcdir:-.}/tests/e2e/lib.sh"
#	plan 2                         (or done_testing at the end)
#	sandbox_new                    build tests/fixture/mksandbox in /tmp/emb.XXXXXX
#	check "list runs" "$EMBARGO_BIN" list
#	tui_start 100 30               run embargo in a private tmux server
#	tui_wait_for 'Auth bypass' && ok "queue shows the report" || not_ok "queue"
#
# Variables: top_srcdir (make check exports it; defaults to two levels above
# the test script), EMBARGO_BIN (default $top_builddir/embargo, else embargo
# on PATH), SANDBOX (set by sandbox_new), TUI_CMD (what tui_start runs,
# default $EMBARGO_BIN), EMB_KEEP (non-empty: keep sandboxes for debugging).

if [ -z "${top_srcdir-}" ]; then
	top_srcdir=$(cd "$(dirname "$0")/../.." && pwd)
fi
if [ -z "${EMBARGO_BIN-}" ]; then
	if [ -n "${top_builddir-}" ]; then
		EMBARGO_BIN=$top_builddir/embargo
	else
		EMBARGO_BIN=embargo
	fi
fi
export top_srcdir EMBARGO_BIN

FIXTURE_NOW=2026-11-22T12:00:00Z

# --- TAP ------------------------------------------------------------------

_tap_n=0
_tap_failed=0
_tap_plan=

# plan N: prints the plan first; done_testing then only checks the count.
plan() {
	_tap_plan=$1
	echo "1..$1"
}

# diag LINES...: TAP comments, one "# " line per line of the arguments.
diag() {
	printf '%s\n' "$@" | sed 's/^/# /'
}

ok() {
	_tap_n=$((_tap_n + 1))
	echo "ok $_tap_n - $1"
}

# not_ok DESC [DIAG]
not_ok() {
	_tap_n=$((_tap_n + 1))
	_tap_failed=$((_tap_failed + 1))
	echo "not ok $_tap_n - $1"
	if [ -n "${2-}" ]; then
		diag "$2"
	fi
	return 1
}

# bail_out REASON: stops the whole test script.
bail_out() {
	echo "Bail out! $*"
	exit 1
}

# check DESC CMD [ARGS...]: ok if CMD exits 0; else shows its exit and output.
check() {
	_tap_desc=$1
	shift
	if _tap_out=$("$@" 2>&1); then
		ok "$_tap_desc"
	else
		not_ok "$_tap_desc" "command exited with status $?: $*
$_tap_out"
	fi
}

# is DESC GOT EXPECTED: ok if equal; else a unified diff (- expected, + got).
is() {
	if [ "$2" = "$3" ]; then
		ok "$1"
		return 0
	fi
	_tap_dir=$(mktemp -d /tmp/emb-is.XXXXXX) || bail_out "mktemp failed"
	printf '%s\n' "$3" >"$_tap_dir/expected"
	printf '%s\n' "$2" >"$_tap_dir/got"
	not_ok "$1" "--- expected
+++ got
$(diff -u "$_tap_dir/expected" "$_tap_dir/got" | sed '1,2d')"
	rm -rf "$_tap_dir"
	return 1
}

# like DESC GOT PATTERN: ok if some line of GOT matches the extended regex.
like() {
	if printf '%s\n' "$2" | grep -Eq -- "$3"; then
		ok "$1"
	else
		not_ok "$1" "no line matches /$3/ in:
$2"
	fi
}

# unlike DESC GOT PATTERN: ok if no line of GOT matches the extended regex.
unlike() {
	if printf '%s\n' "$2" | grep -Eq -- "$3"; then
		not_ok "$1" "a line matches /$3/:
$(printf '%s\n' "$2" | grep -E -- "$3")"
	else
		ok "$1"
	fi
}

# done_testing: prints the plan if none was given and sets the exit status.
done_testing() {
	if [ -z "$_tap_plan" ]; then
		echo "1..$_tap_n"
	elif [ "$_tap_plan" -ne "$_tap_n" ]; then
		diag "planned $_tap_plan tests but ran $_tap_n"
		exit 1
	fi
	[ "$_tap_failed" -eq 0 ] || diag "$_tap_failed of $_tap_n tests failed"
	exit $((_tap_failed > 0))
}

# --- sandbox --------------------------------------------------------------

_lib_sandboxes=
_lib_tmux_sockets=

_lib_cleanup() {
	_lib_status=$?
	for _lib_s in $_lib_tmux_sockets; do
		tmux -S "$_lib_s" kill-server 2>/dev/null
	done
	for _lib_d in $_lib_sandboxes; do
		GNUPGHOME=$_lib_d/gnupg gpgconf --kill all 2>/dev/null
		GNUPGHOME=$_lib_d/gnupg-reporters gpgconf --kill all 2>/dev/null
		if [ -n "${EMB_KEEP-}" ]; then
			echo "# kept sandbox $_lib_d" >&2
		else
			rm -rf "$_lib_d"
		fi
	done
	exit "$_lib_status"
}
trap _lib_cleanup EXIT
trap 'exit 129' HUP
trap 'exit 130' INT
trap 'exit 143' TERM

# sandbox_new: builds a sandbox, exports its environment (DIR/env) and
# EMBARGO_NOW, and sets SANDBOX=DIR.  Removed (agents and tmux stopped) at exit.
sandbox_new() {
	SANDBOX=$(mktemp -d /tmp/emb.XXXXXX) || bail_out "mktemp failed"
	_lib_sandboxes="$_lib_sandboxes $SANDBOX"
	if ! _lib_out=$("$top_srcdir/tests/fixture/mksandbox" "$SANDBOX" 2>&1); then
		diag "$_lib_out"
		bail_out "mksandbox $SANDBOX failed"
	fi
	# shellcheck source=/dev/null
	. "$SANDBOX/env"
	EMBARGO_NOW=$FIXTURE_NOW
	export SANDBOX EMBARGO_NOW
}

# --- tmux -----------------------------------------------------------------
#
# One private tmux server per sandbox (socket DIR/tmux.sock, config
# DIR/tmux.conf so no user config applies; $TUI_TMUX_CONF adds lines to it), one session "t" with one pane
# running the program.
# Targets are written "t:" (the session's current window): a bare "t" would
# also match a window whose name starts with t.

_tui_sock=

_tui() {
	tmux -S "$_tui_sock" "$@"
}

# tui_start [COLS ROWS] [ARGS...]: runs $TUI_CMD (default $EMBARGO_BIN) with
# ARGS in a fresh COLSxROWS (default 80x24) pane with LC_ALL=C.UTF-8 and the
# sandbox environment (the server copies this shell's exported environment).
# The pane stays after the program exits, so its screen and status can be read.
tui_start() {
	_tui_cols=80
	_tui_rows=24
	case ${1-}:${2-} in
	[0-9]*:[0-9]*)
		_tui_cols=$1
		_tui_rows=$2
		shift 2
		;;
	esac
	[ -n "${SANDBOX-}" ] || bail_out "tui_start: call sandbox_new first"
	if [ -n "$_tui_sock" ]; then
		tui_stop
	fi
	_tui_sock=$SANDBOX/tmux.sock
	case " $_lib_tmux_sockets " in
	*" $_tui_sock "*) ;;
	*) _lib_tmux_sockets="$_lib_tmux_sockets $_tui_sock" ;;
	esac
	# A server stopped just before (tui_stop, or a test's kill-server)
	# removes its socket as it exits: a new one must not race it.
	_tui_n=100
	while [ -e "$_tui_sock" ] && [ "$_tui_n" -gt 0 ]; do
		if ! tmux -S "$_tui_sock" list-sessions >/dev/null 2>&1; then
			rm -f "$_tui_sock"
			break
		fi
		sleep 0.05
		_tui_n=$((_tui_n - 1))
	done
	[ -e "$_tui_sock" ] && bail_out "tui_start: a tmux server still runs on $_tui_sock"
	# remain-on-exit comes from the server's own config, read before the
	# program starts, so even a program that exits at once leaves its pane
	# (screen and exit status) behind.  Nothing of the user's config applies.
	printf 'set-option -g remain-on-exit on\n%s\n' "${TUI_TMUX_CONF-}" >"$SANDBOX/tmux.conf"
	# Several arguments: tmux runs the command directly, without sh -c.
	tmux -S "$_tui_sock" -f "$SANDBOX/tmux.conf" new-session -d -s t \
		-x "$_tui_cols" -y "$_tui_rows" -e LC_ALL=C.UTF-8 \
		-e "EMBARGO_NOW=${EMBARGO_NOW:-$FIXTURE_NOW}" \
		env LC_ALL=C.UTF-8 "${TUI_CMD:-$EMBARGO_BIN}" "$@" ||
		bail_out "tui_start: tmux new-session failed"
}

# tui_pid: the program's process id (tmux runs it through env, which execs it).
tui_pid() {
	_tui display-message -p -t t: '#{pane_pid}'
}

# tui_keys KEYS...: tmux key names (Enter, Escape, C-l, Down, j ...).
tui_keys() {
	_tui send-keys -t t: "$@"
}

# tui_type TEXT: TEXT literally, as if typed.
tui_type() {
	_tui send-keys -t t: -l -- "$*"
}

# tui_screen: the visible screen as text; tui_screen_color: with SGR escapes.
tui_screen() {
	_tui capture-pane -p -t t:
}

tui_screen_color() {
	_tui capture-pane -p -e -t t:
}

# tui_wait_for PATTERN [TIMEOUT_S]: polls the screen every 0.05 s until a
# line matches the extended regex (TIMEOUT_S: whole seconds, default 10).
# On timeout prints the screen as TAP diagnostics and returns 1.
tui_wait_for() {
	_tui_n=$((${2:-10} * 20))
	while [ "$_tui_n" -gt 0 ]; do
		if tui_screen | grep -Eq -- "$1"; then
			return 0
		fi
		sleep 0.05
		_tui_n=$((_tui_n - 1))
	done
	if _tui_st=$(tui_exit_status); then
		diag "tui_wait_for: /$1/ not on screen after ${2:-10} s (the program exited with status $_tui_st):"
	else
		diag "tui_wait_for: /$1/ not on screen after ${2:-10} s:"
	fi
	_tui_dump
	return 1
}

# Prints the screen as TAP diagnostics, without its trailing blank lines.
_tui_dump() {
	tui_screen | awk '{ line[NR] = $0 } NF { last = NR }
		END { for (i = 1; i <= last; i++) print "# | " line[i] }'
}

# tui_resize COLS ROWS: the program gets SIGWINCH.
tui_resize() {
	_tui resize-window -t t: -x "$1" -y "$2"
}

# tui_title: the pane title (set by the program with OSC 0 or 2).
tui_title() {
	_tui display-message -p -t t: '#{pane_title}'
}

# tui_exit_status: prints the program's exit status and returns 0 if it has
# exited; returns 1 (printing nothing) while it runs.  A signal shows as
# 128+N.  The pane is dead (its terminal closed) before tmux has reaped the
# process, so the status is polled for; tmux 3.3a now and then misses the
# SIGCHLD altogether (the process stays a zombie, the status never comes), so
# after a moment the server is sent one to make it look again.
tui_exit_status() {
	_tui_st=$(_tui display-message -p -t t: '#{pane_dead}') || return 1
	[ "$_tui_st" = 1 ] || return 1
	_tui_m=60
	while [ "$_tui_m" -gt 0 ]; do
		_tui_st=$(_tui display-message -p -t t: \
			'#{pane_dead_status}:#{pane_dead_signal}') || return 1
		case $_tui_st in
		[0-9]*:*)
			echo "${_tui_st%%:*}"
			return 0
			;;
		:[0-9]*)
			echo $((128 + ${_tui_st#:}))
			return 0
			;;
		esac
		if [ $((_tui_m % 10)) -eq 5 ]; then
			_tui_srv=$(_tui display-message -p '#{pid}') &&
				kill -CHLD "$_tui_srv" 2>/dev/null
		fi
		sleep 0.05
		_tui_m=$((_tui_m - 1))
	done
	echo "?"
	return 0
}

# tui_wait_exit [TIMEOUT_S]: waits until the program exits (default 10 s).
tui_wait_exit() {
	_tui_n=$((${1:-10} * 20))
	while [ "$_tui_n" -gt 0 ]; do
		if tui_exit_status >/dev/null; then
			return 0
		fi
		sleep 0.05
		_tui_n=$((_tui_n - 1))
	done
	diag "tui_wait_exit: still running after ${1:-10} s; screen:"
	_tui_dump
	return 1
}

# tui_stop: kills the tmux server (and the program).
tui_stop() {
	if [ -n "$_tui_sock" ]; then
		_tui kill-server 2>/dev/null
		_tui_sock=
	fi
	return 0
}

# hostile_corpus_copy: generates the key-dependent and big messages of the
# hostile-mail corpus (tests/hostile) for the sandbox, imports the test key
# the compression bomb is encrypted to, and copies every corpus message into
# $SANDBOX/mail/INBOX/new (the caller runs notmuch new).  Sets H and W.
hostile_corpus_copy() {
	H=$top_srcdir/tests/hostile
	W=$SANDBOX/hostile
	mkdir -p "$W/gen"
	if ! _hc_out=$("$H/generate" "$SANDBOX" "$W/gen" 2>&1); then
		diag "$_hc_out"
		bail_out "tests/hostile/generate failed"
	fi
	# The compression bomb is encrypted to a published test key (making it takes a minute).
	gpg --batch --quiet --import "$H/keys/bomb-secret.asc" 2>/dev/null ||
		bail_out "cannot import tests/hostile/keys/bomb-secret.asc"
	for _hc_f in "$H"/*.eml "$W"/gen/*.eml; do
		cp "$_hc_f" "$SANDBOX/mail/INBOX/new/hostile.$(basename "$_hc_f" .eml)"
	done
}
