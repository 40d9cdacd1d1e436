#!/bin/sh
# The compose panel, from the keyboard: an ack to the encrypted report goes
# out encrypted, signed and threaded, shown as it will be sent, and the ack is
# met at once; a missing reporter key is refused and the draft kept; a failing
# sendmail keeps the draft and shows why; drafts survive SIGHUP and SIGKILL;
# the external editor's file is gone afterwards; a long note never becomes
# mail; and no plaintext marker reaches any file of the sandbox.
. "$top_srcdir/tests/e2e/lib.sh"

sandbox_new
EMBARGO_DATADIR=${EMBARGO_DATADIR:-$top_srcdir/data}
export EMBARGO_DATADIR
E=$EMBARGO_BIN
list=$("$E" list --all --format=json) || bail_out "embargo list failed"

case_of() {
	printf '%s' "$list" | jq -r --arg s "$1" '.[] | select(.subject == $s) | .id'
}
json() {
	"$E" show "$1" --format=json
}
deadline() { # CASE KIND: its urgency
	json "$1" | jq -r --arg k "$2" '.deadlines[] | select(.kind == $k) | .urgency'
}
replies_sent() {
	json "$1" | jq '[.events[] | select(.kind == "reply-sent")] | length'
}
outbox_n() {
	ls "$SANDBOX/outbox" | grep -c '\.eml$'
}
# wait_gone REGEX [TIMEOUT_S]: until no line of the screen matches.
wait_gone() {
	_n=$((${2:-5} * 20))
	while [ "$_n" -gt 0 ] && tui_screen | grep -Eq -- "$1"; do
		sleep 0.05
		_n=$((_n - 1))
	done
	! tui_screen | grep -Eq -- "$1"
}
# narrow QUERY: the queue shows only the case of that notmuch query.
narrow() {
	tui_keys /
	tui_wait_for 'notmuch query' || bail_out "no query prompt"
	tui_type "$1"
	tui_keys Enter
	tui_wait_for '1 of [0-9]+ cases' || bail_out "the filter $1 did not apply"
}
# start: the TUI at 140x40 (plan lines unwrapped), queue up.
start() {
	tui_start 140 40 "$@"
	tui_wait_for '  #   next' || bail_out "the queue did not come up"
}
# alive PID: the process runs (a zombie waiting for tmux to reap it has exited).
alive() {
	case $(ps -o stat= -p "$1" 2>/dev/null) in
	'' | Z*) return 1 ;;
	esac
	return 0
}
# wait_pid_gone PID: until the process has exited (10 s at most).
wait_pid_gone() {
	_n=200
	while alive "$1" && [ "$_n" -gt 0 ]; do
		sleep 0.05
		_n=$((_n - 1))
	done
	alive "$1" || return 0
	diag "process $1 still there: $(ps -o pid=,stat=,args= -p "$1")"
	return 1
}

ENC=$(case_of "Encrypted report")
INL=$(case_of "Inline encrypted report")
SIG=$(case_of "Signed report")
PLAIN=$(case_of "Heap overflow in the config parser")
T5=$(case_of "Auth bypass in login form")
[ -n "$ENC" ] && [ -n "$INL" ] && [ -n "$SIG" ] && [ -n "$PLAIN" ] && [ -n "$T5" ] ||
	bail_out "fixture cases missing"
TEAM_FPR=$(cat "$SANDBOX/fpr/team")
RITA_FPR=$(cat "$SANDBOX/fpr/rita")

# --- an ack to the encrypted report, from the keyboard ------------------------------
is "the ack is not met before" "$(deadline "$ENC" ack)" soon
start
narrow 'id:enc-signed@fixture.test'
tui_keys r
tui_wait_for '^template \(Enter: ack\): .*\{ack\|response\|update\|fix-ready\|distros\|announce\|oss-security\}' &&
	ok "r asks for a template, suggesting ack and listing them all" ||
	not_ok "r asks for a template, suggesting ack and listing them all"
tui_type 'ac'
tui_keys Tab
tui_wait_for '^template \(Enter: ack\): ack' && ok "Tab completes the template" ||
	not_ok "Tab completes the template"
tui_keys Enter
tui_wait_for "^ reply on case $ENC \\([0-9A-Z]{5}\\) · template ack · not saved yet" &&
	ok "the compose panel opens" || not_ok "the compose panel opens"
s=$(tui_screen)
like "To: the reporter" "$s" '^To: +Rita Reporter <rita@reporter.test> *$'
like "Subject: Re: the report's" "$s" '^Subject: Re: Encrypted report *$'
like "threaded: a reply to the report" "$s" '^Reply to: <enc-signed@fixture.test> *$'
like "the key hints come from the keymap" "$s" 'C-x:send  C-o:\$EDITOR  C-r:To/Cc/Subject  C-t:template  Escape:close \(draft kept\)'
like "the body starts from the template" "$s" '^Hello Rita Reporter,'

# Typing: a multi-line paste lands intact, then line editing.
tui_type 'MARK-DRAFT-TUI-5501 first line
second line: ünïcødé 日本語 ✓'
tui_keys Enter
tui_wait_for '^second line: ünïcødé 日本語 ✓ *$' &&
	ok "a multi-line paste with UTF-8 lands intact" || not_ok "a multi-line paste with UTF-8 lands intact"
like "... its first line too" "$(tui_screen)" '^MARK-DRAFT-TUI-5501 first line *$'
tui_type 'typo-Z'
tui_keys BSpace
tui_type 'fixed '
tui_keys Home
tui_type '> '
tui_keys End
tui_type ' <'
tui_wait_for '^> typo-fixed Hello Rita Reporter, <$' &&
	ok "Backspace, Home and End edit the line" || not_ok "Backspace, Home and End edit the line"
tui_keys Left Delete BSpace Up Up End
tui_type ' (1)'
tui_wait_for '^MARK-DRAFT-TUI-5501 first line \(1\) *$' &&
	ok "Up keeps to the column, End goes to the line's end" ||
	not_ok "Up keeps to the column, End goes to the line's end"
like "Left, Delete and Backspace deleted around the cursor" "$(tui_screen)" '^> typo-fixed Hello Rita Reporter, *$'
# C-k: a line typed and killed leaves nothing behind.
tui_keys M-'>'
tui_type 'KILL-ME-LINE'
tui_keys C-a C-k
wait_gone 'KILL-ME-LINE' && ok "C-a, C-k kill the line" || not_ok "C-a, C-k kill the line"

# Soft wrap: at 140 columns (139 for text) a long line wraps after a word, nothing is cut.
tui_type 'MARK-WRAP aaaa bbbb cccc dddd eeee ffff gggg hhhh iiii jjjj kkkk llll mmmm nnnn oooo pppp qqqq rrrr ssss tttt uuuu vvvv wwww xxxx yyyy zzzz END-OF-WRAP'
tui_wait_for 'END-OF-WRAP' || true
s=$(tui_screen)
like "a long line wraps at a blank" "$s" '^MARK-WRAP aaaa .* yyyy zzzz *$'
like "... and goes on below" "$s" '^END-OF-WRAP *$'

# The plan, then the send.
tui_keys C-x
tui_wait_for '^send it to 1 recipient as shown\? \(y/n\)' &&
	ok "C-x shows the plan and asks" || not_ok "C-x shows the plan and asks"
s=$(tui_screen)
like "the plan: encrypted to rita's key" "$s" \
	"^ rita@reporter.test: encrypted to Rita Reporter <rita@reporter.test> $RITA_FPR *\$"
like "the plan: the team's copy" "$s" \
	"^ team copy: encrypted to Example Security Team <security@example.org> $TEAM_FPR *\$"
like "the plan: signed by the team key" "$s" \
	"^ signed by Example Security Team <security@example.org> $TEAM_FPR *\$"
like "the plan: In-Reply-To" "$s" '^ In-Reply-To: <enc-signed@fixture.test> *$'
like "the title says the draft was saved first" "$s" "^ reply on case $ENC .* draft saved 12:00"
tui_keys y
tui_wait_for "^case $ENC: sent <embargo\\." 15 && ok "y sends, and says so" || not_ok "y sends, and says so"
s=$(tui_screen)
like "the timeline shows the reply-sent event at once" "$s" "alice@example.org  reply-sent: ack"
like "the queue moved on: ack met, response next" "$s" "^ +$ENC [!~ ] resp "
is "show: the ack is met" "$(deadline "$ENC" ack)" met
is "show: one reply-sent event" "$(replies_sent "$ENC")" 1
is "one mail left" "$(outbox_n)" 1
eml=$(cat "$SANDBOX/outbox/1.eml")
like "multipart/encrypted" "$eml" '^Content-Type: multipart/encrypted'
like "threaded: In-Reply-To the report" "$eml" '^In-Reply-To: <enc-signed@fixture.test>$'
like "threaded: References" "$eml" '^References: <enc-signed@fixture.test>$'
unlike "no plaintext outside the ciphertext" "$eml" 'MARK-DRAFT-TUI-5501|typo-fixed'
dec=$(sed -n '/BEGIN PGP MESSAGE/,/END PGP MESSAGE/p' "$SANDBOX/outbox/1.eml" |
	GNUPGHOME=$SANDBOX/gnupg-reporters gpg --batch --status-fd 1 --decrypt 2>/dev/null)
like "it decrypts with the reporter's key to what was typed" "$dec" '^MARK-DRAFT-TUI-5501 first line \(1\)'
# The text itself (quoted-printable inside): as the team reads its own copy.
body=$(json "$ENC" | jq -r '.messages[-1].body')
like "the sent text has the first line" "$body" '^MARK-DRAFT-TUI-5501 first line \(1\)$'
like "... the UTF-8 line intact" "$body" '^second line: ünïcødé 日本語 ✓$'
like "... the edited line" "$body" '^> typo-fixed Hello Rita Reporter,$'
like "... the wrapped line as one line" "$body" '^MARK-WRAP aaaa .* zzzz END-OF-WRAP$'
unlike "... and not the killed one" "$body" 'KILL-ME-LINE'
like "signed: a good signature" "$dec" '^\[GNUPG:\] GOODSIG '
like "... by the team key" "$dec" "^\\[GNUPG:\\] VALIDSIG $TEAM_FPR "
tui_keys r
tui_wait_for '^template \(Enter: ' && ok "the draft was deleted once sent: r starts afresh" ||
	not_ok "the draft was deleted once sent: r starts afresh"
tui_keys Escape
wait_gone '^template' || true

# --- sendmail failing: the draft is kept, the error shown -----------------------------
tui_stop
SENDMAIL_EXIT=1 SENDMAIL_STDERR="relay refused: try later"
export SENDMAIL_EXIT SENDMAIL_STDERR
start
unset SENDMAIL_EXIT SENDMAIL_STDERR
narrow 'id:signed-good@fixture.test'
tui_keys r
tui_wait_for '^template' || true
tui_keys Enter
tui_wait_for "^ reply on case $SIG " || true
tui_type 'MARK-DRAFT-TUI-9121 for the failing sendmail'
tui_keys Enter C-x
tui_wait_for '^send it to 1 recipient' || true
tui_keys y
tui_wait_for 'relay refused: try later' 15 && ok "sendmail failing: its words are shown" ||
	not_ok "sendmail failing: its words are shown"
like "... with its exit status and that the draft is kept" "$(tui_screen)" 'exited with status 1.*the draft is kept'
like "the panel stays open on the text" "$(tui_screen)" '^MARK-DRAFT-TUI-9121 for the failing sendmail *$'
is "no reply-sent event" "$(replies_sent "$SIG")" 0
unlike "the ack is not met" "$(deadline "$SIG" ack)" '^met$'
tui_keys Escape
tui_wait_for "^case $SIG: draft saved, encrypted \\(r continues it\\)" &&
	ok "Escape leaves the panel, the draft saved" || not_ok "Escape leaves the panel, the draft saved"
tui_keys r
tui_wait_for "^case $SIG: continue the draft saved 2026-11-22T12:00:00Z \\(ack\\)\\? \\(y/n\\)" &&
	ok "r offers the saved draft first" || not_ok "r offers the saved draft first"
tui_keys y
tui_wait_for '^MARK-DRAFT-TUI-9121 for the failing sendmail *$' &&
	ok "y continues it, text intact" || not_ok "y continues it, text intact"
tui_keys Escape
tui_wait_for 'draft saved' || true

# --- a reporter whose key is missing: refused, draft kept -----------------------------
gpg --batch --yes --delete-keys "$RITA_FPR" 2>/dev/null || bail_out "cannot delete rita's key"
tui_stop
start
narrow 'id:inline-enc@fixture.test'
tui_keys r
tui_wait_for '^template' || true
tui_type update
tui_keys Enter
tui_wait_for "^ reply on case $INL .* template update" || true
tui_type 'MARK-DRAFT-TUI-7730 the fix is in review'
tui_keys Enter C-x
tui_wait_for '^not sent: rita@reporter.test has no usable OpenPGP key \(missing\)' &&
	ok "missing key: the send is refused, saying which key" ||
	not_ok "missing key: the send is refused, saying which key"
s=$(tui_screen)
like "the plan says how to import it" "$s" '^ refused: rita@reporter.test has no usable OpenPGP key \(missing\): import it with `gpg --import KEYFILE`'
like "the plan says NOT ENCRYPTED" "$s" '^ rita@reporter.test: NOT ENCRYPTED'
like "the panel says nothing was sent" "$s" 'NOT SENT: the plan refuses it'
unlike "no question is asked" "$s" 'as shown\? \(y/n\)'
tui_keys Space
tui_wait_for '^MARK-DRAFT-TUI-7730 the fix is in review *$' &&
	ok "a key goes back to the text" || not_ok "a key goes back to the text"
is "nothing was sent" "$(outbox_n)" 2
tui_keys Escape
tui_wait_for "^case $INL: draft saved" || true
tui_keys r
tui_wait_for "^case $INL: continue the draft saved .* \\(update\\)\\?" && ok "the refused draft is kept" ||
	not_ok "the refused draft is kept"
tui_keys y
tui_wait_for '^MARK-DRAFT-TUI-7730 the fix is in review *$' || true
tui_keys Escape

# --- the external editor ------------------------------------------------------------
tui_stop
cat >"$SANDBOX/bin/fake-editor" <<'EOF'
#!/bin/sh
# Appends a line and notes the file it was given (for the test to check it is gone).
printf 'MARK-EDITOR-7 added by the editor\n' >>"$1"
printf '%s\n' "$1" >"$(dirname "$0")/../editor-file"
EOF
chmod 755 "$SANDBOX/bin/fake-editor"
EDITOR=$SANDBOX/bin/fake-editor
export EDITOR
unset VISUAL
start
unset EDITOR
narrow 'id:plain@fixture.test'
tui_keys r
tui_wait_for '^template' || true
tui_keys Enter
tui_wait_for "^ reply on case $PLAIN " || true
tui_type 'MARK-DRAFT-TUI-3141 before the editor'
tui_keys C-o
tui_wait_for '^MARK-EDITOR-7 added by the editor *$' &&
	ok "C-o: the text comes back from \$EDITOR with its change" ||
	not_ok "C-o: the text comes back from \$EDITOR with its change"
like "... and what was typed before" "$(tui_screen)" '^MARK-DRAFT-TUI-3141 before the editor'
like "... says so" "$(tui_screen)" '^the text is back from the editor'
f=$(cat "$SANDBOX/editor-file" 2>/dev/null)
like "the editor's file was under XDG_RUNTIME_DIR" "$f" "^$SANDBOX/run/embargo-[^/]+/"
check "the editor's file is gone" test ! -e "$f"
check "... and its directory" test ! -e "$(dirname "$f")"
like "the screen came back whole" "$(tui_screen)" "^ reply on case $PLAIN "
tui_keys Escape
tui_wait_for 'draft saved' || true

# --- SIGKILL after a pause: the periodic save kept the text ---------------------------
tui_keys r
tui_wait_for 'continue the draft' || true
tui_keys y
tui_wait_for '^MARK-EDITOR-7' || true
tui_keys M-'<'
tui_type 'MARK-DRAFT-TUI-6060 saved in a pause'
tui_keys Enter
# The title says "changed since" until the idle save (every [ui] refresh, 2 s).
tui_wait_for "^ reply on case $PLAIN .* draft saved 12:00, changed since" || true
tui_wait_for "^ reply on case $PLAIN .* draft saved 12:00 *$" 10 &&
	ok "a pause saves the changed draft" || not_ok "a pause saves the changed draft"
pid=$(tui_pid)
kill -KILL "$pid"
wait_pid_gone "$pid" || bail_out "the TUI did not die"
start
narrow 'id:plain@fixture.test'
tui_keys r
tui_wait_for 'continue the draft' || true
tui_keys y
tui_wait_for '^MARK-DRAFT-TUI-6060 saved in a pause *$' &&
	ok "after a crash the draft has what was typed before the pause" ||
	not_ok "after a crash the draft has what was typed before the pause"
tui_keys Escape

# --- SIGHUP (the SSH connection drops) while composing -----------------------------------
# A long refresh, so no idle save can happen first: only the signal path saves.
sed 's/^\[store\]/[ui]\nrefresh = 300\n\n[store]/' "$SANDBOX/config" >"$SANDBOX/config-slow"
tui_stop
start --config "$SANDBOX/config-slow"
narrow "id:t5-1@fixture.test"
tui_keys r
tui_wait_for '^template' || true
tui_keys Enter
tui_wait_for "^ reply on case $T5 .* not saved yet" || true
tui_type 'MARK-DRAFT-TUI-4242 typed just before the hangup'
tui_wait_for '^MARK-DRAFT-TUI-4242 typed just before the hangup' || true
like "not saved before the hangup" "$(tui_screen)" "^ reply on case $T5 .* not saved yet"
pid=$(tui_pid)
tmux -S "$SANDBOX/tmux.sock" kill-session -t t:
wait_pid_gone "$pid" && ok "SIGHUP: the program exits" || not_ok "SIGHUP: the program exits"
start
narrow "id:t5-1@fixture.test"
tui_keys r
tui_wait_for "^case $T5: continue the draft" && ok "after SIGHUP a new start offers the draft" ||
	not_ok "after SIGHUP a new start offers the draft"
tui_keys y
tui_wait_for '^MARK-DRAFT-TUI-4242 typed just before the hangup' &&
	ok "... with the typed text intact" || not_ok "... with the typed text intact"

tui_keys Escape
tui_wait_for "^case $T5: draft saved" || true

# n: the draft is not thrown away without a second question.
tui_keys r
tui_wait_for "^case $T5: continue the draft" || true
tui_keys n
tui_wait_for '^throw that draft away and start again from a template\? \(y/n\)' &&
	ok "n asks before throwing the draft away" || not_ok "n asks before throwing the draft away"
tui_keys n
tui_wait_for '^the draft is kept as it was' && ok "... n keeps it" || not_ok "... n keeps it"
tui_keys r
tui_wait_for "^case $T5: continue the draft" || true
tui_keys n
tui_wait_for '^throw that draft away' || true
tui_keys y
tui_wait_for '^template \(Enter: ' && ok "... y throws it away and asks for a template" ||
	not_ok "... y throws it away and asks for a template"
tui_keys Enter
tui_wait_for "^ reply on case $T5 .* not saved yet" || true
unlike "... the new draft has a fresh text" "$(tui_screen)" 'MARK-DRAFT-TUI-4242'

# M-d in the panel throws the draft away, after asking.
tui_type 'MARK-DRAFT-TUI-8080 to be thrown away'
tui_keys M-d
tui_wait_for 'throw this reply away and delete its saved draft\? \(y/n\)' || true
tui_keys y
tui_wait_for "^case $T5: the draft was thrown away" && ok "M-d throws the draft away" ||
	not_ok "M-d throws the draft away"
tui_keys r
tui_wait_for '^template' && ok "... and r starts afresh" || not_ok "... and r starts afresh"
tui_keys Escape
wait_gone '^template' || true

# --- a long internal note: the timeline, never mail ---------------------------------
n_before=$(outbox_n)
tui_keys M-n
tui_wait_for "^ internal note on case $T5 .*never into mail" && ok "M-n opens the note editor" ||
	not_ok "M-n opens the note editor"
tui_type 'MARK-NOTE-77 checked the login code
second line of the note'
tui_keys C-x
tui_wait_for "^case $T5: note added" && ok "C-x adds the note" || not_ok "C-x adds the note"
like "the note is in the timeline" "$(tui_screen)" 'note: MARK-NOTE-77 checked the login code'
like "the store has both lines" "$(json "$T5")" '"kind":"note","detail":"MARK-NOTE-77 checked the login code\\nsecond line of the note"'
is "a note sends no mail" "$(outbox_n)" "$n_before"

tui_keys q
tui_wait_exit && ok "q quits" || not_ok "q quits"

# --- no plaintext at rest ----------------------------------------------------------
like "the search finds what is there (the plain report's marker)" \
	"$(grep -rlaF -- MARK-PLAIN "$SANDBOX" 2>/dev/null)" '/mail/INBOX/'
for mark in MARK-ENC-SIGNED MARK-INLINE-ENC MARK-DRAFT-TUI-5501 MARK-DRAFT-TUI-9121 \
	MARK-DRAFT-TUI-7730 MARK-DRAFT-TUI-3141 MARK-DRAFT-TUI-6060 MARK-DRAFT-TUI-4242 \
	MARK-DRAFT-TUI-8080 MARK-EDITOR-7 typo-fixed; do
	hits=$(grep -rlaF -- "$mark" "$SANDBOX" /tmp/embargo-* 2>/dev/null | grep -v '/fake-editor$')
	is "no file in the sandbox contains $mark" "$hits" ""
done

done_testing
