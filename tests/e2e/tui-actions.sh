#!/bin/sh
# The TUI's case actions: each key changes the store (as `show` reports it)
# and shows its event in the timeline at once; bad values are refused with a
# message naming what is wrong; Escape cancels.
. "$top_srcdir/tests/e2e/lib.sh"

E=$EMBARGO_BIN
sandbox_new
id=$("$E" list | awk '/Heap overflow/ { print $1; exit }')
[ -n "$id" ] || bail_out "no plain report in the sandbox"

tui_start 80 24
tui_wait_for '  #   next' || bail_out "the queue did not come up"

# Narrow the queue to the plain report, so the actions below hit it.
tui_keys /
tui_wait_for 'notmuch query' || bail_out "no query prompt"
tui_type 'id:plain@fixture.test'
tui_keys Enter
tui_wait_for '^ alice@example.org  1 of [0-9]+ cases' || bail_out "the filter did not apply"
like "the filtered queue shows the report" "$(tui_screen)" "^ +$id ! ack -1d .*Heap overflow"

json() {
	"$E" show "$id" --format=json
}

# act DESC EVENT_REGEX JSON_REGEX: waits for the event line, then checks the store.
act() {
	if tui_wait_for "$2" 5; then
		ok "$1: the event shows"
	else
		not_ok "$1: the event shows"
	fi
	like "$1: the store has it" "$(json)" "$3"
}

tui_keys c
act "claim" " · 2026-11-22 12:00  alice@example.org  handler: \(unset\) -> alice@example.org" \
	'"handler":"alice@example.org"'
like "an action opens the case in the timeline" "$(tui_screen)" "^ #$id [0-9A-Z]{5}  Heap overflow"

tui_keys S
tui_wait_for '^severity: .*\{critical\|important\|moderate\|minor\|none\}' &&
	ok "the severity prompt offers the severities" ||
	not_ok "the severity prompt offers the severities"
tui_type imp
tui_keys Tab
tui_wait_for '^severity: important' && ok "Tab completes" || not_ok "Tab completes"
tui_keys Enter
act "severity" "severity: \(unset\) -> important" '"severity":"important"'

tui_keys s
tui_wait_for '^state \(now new\): ' || true
like "the state prompt offers only allowed transitions" "$(tui_screen)" \
	'\{acknowledged\|triaged\|confirmed\|closed\|rejected\}'
tui_type tri
tui_keys Tab Enter
act "state" "state: new -> triaged" '"state":"triaged"'

tui_keys e
tui_wait_for '^embargo .*\{\+1d\|\+3d\|\+7d' || true
tui_type +7d
tui_keys Enter
act "embargo" "embargo: \(unset\) -> 2026-11-29T12:00:00Z" '"embargo":"2026-11-29T12:00:00Z"'

tui_keys C
tui_wait_for '^CVE' || true
tui_type cve-2026-12345
tui_keys Enter
act "CVE" "cve: \(unset\) -> CVE-2026-12345" '"cve":"CVE-2026-12345"'

tui_keys A
tui_wait_for '^affected versions:' || true
tui_type '1.0 to 1.4'
tui_keys Enter
act "affected" "affected: \(unset\) -> 1.0 to 1.4" '"affected":"1.0 to 1.4"'

tui_keys N
tui_wait_for '^note:' || true
tui_type 'MARK-TUI-NOTE checked the parser'
tui_keys Enter
act "note" "alice@example.org  note: MARK-TUI-NOTE checked the parser" '"kind":"note","detail":"MARK-TUI-NOTE checked the parser"'

tui_keys m
tui_wait_for '^mark:' || true
tui_type resp
tui_keys Tab Enter
act "response sent" "response-sent: \(unset\) -> yes" '"kind":"response-sent"'
like "the response deadline is met" "$(json)" '"kind":"response","due":"[^"]*","met_at":"2026-11-22T12:00:00Z"'

tui_keys m
tui_wait_for '^mark:' || true
tui_type distros-notified
tui_keys Enter
act "distros notified" "distros-notified: \(unset\) -> yes" '"kind":"distros-notified"'

tui_keys m
tui_wait_for '^mark:' || true
tui_type announced
tui_keys Enter
act "announced" "announced: \(unset\) -> yes" '"kind":"announced"'

tui_keys x
tui_wait_for '^tick' || true
tui_type blog
tui_keys Enter
act "checklist item" "check: blog: done" '"kind":"check","detail":"blog: done"'

tui_keys a
tui_wait_for '^handler: .*\{me\|alice@example.org\|bob@example.org\|none\}' &&
	ok "the handler prompt offers the handlers" ||
	not_ok "the handler prompt offers the handlers"
tui_type bob@example.org
tui_keys Enter
# At 80 columns the event wraps after the arrow.
act "assign" "handler: alice@example.org -> ?(bob@example.org)?$" '"handler":"bob@example.org"'

# Claiming a case another handler holds asks first; n leaves it.
tui_keys c
tui_wait_for 'is held by bob@example.org; take it from them\? \(y/n\)' &&
	ok "claiming another's case asks first" || not_ok "claiming another's case asks first"
tui_keys n
tui_wait_for 'left with bob@example.org' || true
like "n leaves the handler alone" "$(json)" '"handler":"bob@example.org"'
tui_keys c
tui_wait_for 'take it from them' || true
tui_keys y
act "take over" "handler: bob@example.org -> ?(alice@example.org)?$" '"handler":"alice@example.org"'

# Bad values: refused, named, nothing stored.
tui_keys C
tui_wait_for '^CVE' || true
tui_keys C-u
tui_type 'CVE-12'
tui_keys Enter
tui_wait_for "is not a CVE id; expected CVE-YYYY-NNNN" &&
	ok "a bad CVE is refused with what was expected" ||
	not_ok "a bad CVE is refused with what was expected"
like "the bad CVE did not reach the store" "$(json)" '"cve":"CVE-2026-12345"'

tui_keys s
tui_wait_for '^state \(now triaged\)' || true
tui_type published
tui_keys Enter
tui_wait_for "cannot go from triaged to published" &&
	ok "a forbidden transition is refused" || not_ok "a forbidden transition is refused"

# Escape cancels a prompt: nothing changes.
tui_keys S
tui_wait_for '^severity: important' || true
tui_keys C-u
tui_type critical
tui_keys Escape
# wait_gone PATTERN: until no line matches (5 s at most).
_n=100
while [ "$_n" -gt 0 ] && tui_screen | grep -Eq '^severity: '; do
	sleep 0.05
	_n=$((_n - 1))
done
unlike "Escape closes the prompt" "$(tui_screen)" '^severity: '
like "Escape cancels: the severity stays" "$(json)" '"severity":"important"'

# The queue row shows the new fields too (the actions were made from the
# queue: the timeline shows the case, the focus stayed in the queue).
tui_wait_for "^ +$id ! .* imp +triaged +alice " &&
	ok "the queue row shows severity, state and handler" ||
	not_ok "the queue row shows severity, state and handler"

tui_keys q
tui_wait_exit && ok "q in the queue quits" || not_ok "q in the queue quits"

done_testing
