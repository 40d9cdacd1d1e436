#!/bin/sh
# `embargo demo`: the sandbox it builds has the promised spread of states,
# severities and urgencies relative to now, real crypto and a long thread;
# it refuses a used directory, builds in under 10 s and opens the TUI.
. "$top_srcdir/tests/e2e/lib.sh"

E=$EMBARGO_BIN
EMBARGO_DATADIR=$top_srcdir/data
export EMBARGO_DATADIR
# The demo is relative to the real clock, as a user would run it.
unset EMBARGO_NOW EMBARGO_CONFIG NOTMUCH_CONFIG NOTMUCH_DATABASE NOTMUCH_PROFILE

T=$(mktemp -d /tmp/emb-demo.XXXXXX) || bail_out "mktemp failed"
# lib.sh's cleanup stops the gpg-agents of DIR/gnupg and DIR/gnupg-reporters
# and removes DIR for each sandbox listed: the demo has the same layout.
# Each demo directory is listed before T, which holds them.
D=$T/parent/demo
_lib_sandboxes="$_lib_sandboxes $D $T/tui $T"
HOME=$T/home
XDG_DATA_HOME=$T/home/data
export HOME XDG_DATA_HOME

# --- building -------------------------------------------------------------------

start=$(date +%s%N)
out=$("$E" demo --no-open "$D" 2>&1)
st=$?
end=$(date +%s%N)
ms=$(((end - start) / 1000000))
is "demo --no-open DIR exits 0" "$st" 0 || diag "$out"
diag "embargo demo built the sandbox in $ms ms"
if [ "$ms" -lt 10000 ]; then
	ok "built in under 10 s ($ms ms)"
else
	not_ok "built in under 10 s ($ms ms)"
fi
check "DIR was created with its parents" test -d "$D/mail/.notmuch"
like "says how to open it" "$out" "^open it with: \. $D/env; embargo\$"
like "says how many cases it made" "$out" "^  1[5-9] cases in [0-9]+ messages"

env=$(sh -c '. "$1/env" && printf "%s\n" "$EMBARGO_CONFIG" "$NOTMUCH_CONFIG" "$GNUPGHOME"' sh "$D")
is "DIR/env exports EMBARGO_CONFIG, NOTMUCH_CONFIG and GNUPGHOME for the sandbox" \
	"$env" "$D/config
$D/notmuch-config
$D/gnupg"

. "$D/env"

# --- the spread of cases --------------------------------------------------------

list=$("$E" list --all --format=json) || bail_out "embargo list failed in the demo"
q() {
	printf '%s' "$list" | jq -r "$@"
}

n=$(q length)
if [ "$n" -ge 15 ]; then
	ok "at least 15 cases ($n)"
else
	not_ok "at least 15 cases ($n)"
fi
is "every state" "$(q '[.[].state] | unique | sort | join(" ")')" \
	"$(printf '%s\n' new acknowledged triaged confirmed fixing fix-ready \
		distros-notified published closed rejected | sort | tr '\n' ' ' | sed 's/ $//')"
is "every severity, and unset" \
	"$(q '[.[] | .severity // "unset"] | unique | sort | join(" ")')" \
	"critical important minor moderate none unset"
is "every urgency among the deadlines" \
	"$(q '[.[].deadlines[].urgency] | unique | sort | join(" ")')" \
	"met ok overdue soon"
is "overdue, soon and ok among the next deadlines" \
	"$(q '[.[].next_deadline | select(. != null) | .urgency] | unique | sort | join(" ")')" \
	"ok overdue soon"
is "deadlines are relative to now: the next ones overdue are less than a week late" \
	"$(q '[.[].next_deadline | select(. != null and .urgency == "overdue")
		| select((.due | fromdateiso8601) < now - 7 * 86400)] | length')" 0
is "an embargo in two days whose distros notice is still unmet" \
	"$(q '[.[] | select(.embargo != null)
		| select((.embargo | fromdateiso8601) - now | . > 36 * 3600 and . <= 48 * 3600)
		| select(any(.deadlines[]; .kind == "distros" and .met_at == null))] | length')" 1
n=$(q '[.[].reporter] | unique | length')
if [ "$n" -ge 5 ]; then
	ok "several reporters ($n)"
else
	not_ok "several reporters ($n)"
fi
is "handled by alice, bob and carol" \
	"$(q '[.[].handler | select(. != null)] | unique | join(" ")')" \
	"alice@ferrule.example bob@ferrule.example carol@ferrule.example"

# --- messages: crypto and the long thread ---------------------------------------

id_of() {
	q --arg s "$1" '.[] | select(.subject == $s) | .id'
}
enc=$("$E" show "$(id_of "Ferrule: remote code execution (encrypted)")" --format=json) ||
	bail_out "embargo show failed on the encrypted case"
is "the encrypted report is encrypted" "$(printf '%s' "$enc" | jq '.messages[0].encrypted')" true
is "show decrypts it" "$(printf '%s' "$enc" | jq '.messages[0].decrypted')" true
like "its decrypted text" "$(printf '%s' "$enc" | jq -r '.messages[0].body')" "use-after-free"
is "it is signed by the reporter" "$(printf '%s' "$enc" | jq -r '.messages[0].signature.status')" good
is "the team's encrypted reply decrypts too" \
	"$(printf '%s' "$enc" | jq '[.messages[] | select(.team_reply != null) | .decrypted] | all')" true
is "no encrypted text is searchable in notmuch" \
	"$(notmuch count 'use-after-free')" 0

signed=$("$E" show "$(id_of "Path traversal in the static file handler on Windows")" --format=json)
is "a signed report verifies" "$(printf '%s' "$signed" | jq -r '.messages[0].signature.status')" good
is "its signer matches From" "$(printf '%s' "$signed" | jq '.messages[0].signature.matches_from')" true

longest=0
for id in $(q '.[].id'); do
	m=$("$E" show "$id" --format=json | jq '.messages | length')
	[ "$m" -le "$longest" ] || longest=$m
done
if [ "$longest" -ge 15 ]; then
	ok "a thread with a long history ($longest messages)"
else
	not_ok "a thread with a long history (longest: $longest messages)"
fi

# --- the rest of the sandbox ---------------------------------------------------------

is "notmuch never indexes decrypted text" "$(notmuch config get index.decrypt)" auto
check "the team key signs without a passphrase" sh -c \
	'echo test | gpg --batch --no-tty --pinentry-mode error --local-user security@ferrule.example --clearsign >/dev/null'
like "sendmail is the sandbox's own" "$(grep '^sendmail' "$D/config")" "^sendmail = $D/bin/sendmail "
printf 'To: rita@reporter.test\nSubject: test\n\nhello\n' | "$D/bin/sendmail" -oi -t
is "its sendmail keeps mail in DIR/outbox" "$(cat "$D/outbox/1.eml" 2>&1)" "To: rita@reporter.test
Subject: test

hello"

# --- refusals ---------------------------------------------------------------------

before=$(find "$D" | wc -l)
out=$("$E" demo --no-open "$D" 2>&1)
is "a DIR that is not empty is refused (exit 1)" "$?" 1
like "with a message naming it" "$out" "^embargo: demo: $D: exists and is not empty"
is "and nothing in it changed" "$(find "$D" | wc -l)" "$before"
out=$("$E" demo --no-open "$D/config" 2>&1)
is "a file is refused (exit 1)" "$?" 1
"$E" demo --no-open a b >/dev/null 2>&1
is "two directories are bad usage (exit 2)" "$?" 2

# --- the default directory ------------------------------------------------------

out=$("$E" demo --no-open 2>&1)
is "without DIR: exits 0" "$?" 0 || diag "$out"
made=$(ls "$XDG_DATA_HOME/embargo/demo" 2>/dev/null)
like "without DIR: a new directory under \$XDG_DATA_HOME/embargo/demo" "$made" '^[0-9]{8}-[0-9]{6}$'
for d in $made; do
	_lib_sandboxes="$XDG_DATA_HOME/embargo/demo/$d $_lib_sandboxes"
done
check "without DIR: its config is there" test -f "$XDG_DATA_HOME/embargo/demo/$made/config"

# --- opening the TUI --------------------------------------------------------------

# tui_start runs the program in a private tmux server whose socket is in $SANDBOX.
SANDBOX=$T
EMBARGO_NOW=$(date -u +%Y-%m-%dT%H:%M:%SZ)
export EMBARGO_NOW
# tmux drops what a program writes just before it exits when it has not
# read it yet (its maintainer's word: "If the process exits before tmux
# finishes processing its output, we discard the remaining output"), and
# the line after quitting is the last thing embargo writes: a shell keeps
# the terminal open a moment longer and passes on embargo's exit status.
cat >"$T/hold" <<EOS
#!/bin/sh
'$EMBARGO_BIN' "\$@"
st=\$?
sleep 1
exit \$st
EOS
chmod +x "$T/hold"
TUI_CMD=$T/hold tui_start 140 30 demo "$T/tui"
if tui_wait_for 'Request smuggling with two Content-Length' 30; then
	ok "embargo demo DIR opens the interface on the demo"
else
	not_ok "embargo demo DIR opens the interface on the demo"
fi
# Overdue rows are drawn red (SGR 31), soon ones yellow (33).
scr=$(tui_screen_color)
like "an overdue row is coloured" "$scr" "$(printf '\033')\[[0-9;]*31m.*Request smuggling"
like "a row due soon is coloured" "$scr" "$(printf '\033')\[[0-9;]*33m.*Security issue in Ferrule"
tui_keys q
if tui_wait_exit 10; then
	is "quitting exits 0" "$(tui_exit_status)" 0
else
	not_ok "quitting exits 0"
fi
if tui_wait_for "open it again with: \. $T/tui/env; embargo" 5; then
	ok "after quitting, says how to open it again"
else
	not_ok "after quitting, says how to open it again"
fi

done_testing
