#!/bin/sh
# The command line: help, version, usage errors, and list/show/due/set/note
# on the fixture sandbox with the clock pinned.
. "$top_srcdir/tests/e2e/lib.sh"

E=$EMBARGO_BIN

out=$("$E" --help); st=$?
is "--help exits 0" "$st" 0
for c in list show due set note; do
	like "--help lists the $c command" "$out" "^  $c "
done
like "--help says where to report bugs" "$out" "Report bugs to"
out=$("$E" --version); st=$?
is "--version exits 0" "$st" 0
like "--version prints the name and version first" "$(echo "$out" | head -n 1)" "^embargo [0-9]+\.[0-9]+"

"$E" frobnicate 2>/dev/null; is "unknown command exits 2" "$?" 2
"$E" --bogus 2>/dev/null; is "unknown option exits 2" "$?" 2
err=$("$E" list --format=xml 2>&1); st=$?
is "bad --format exits 2" "$st" 2
like "bad --format says what is allowed" "$err" "expected text or json"
"$E" show 2>/dev/null; is "show without a case exits 2" "$?" 2
err=$("$E" --config /nonexistent/config list 2>&1); st=$?
is "missing --config file exits 1" "$st" 1
like "missing --config file is named" "$err" "/nonexistent/config"

sandbox_new

out=$("$E" list --format=json); st=$?
is "list exits 0" "$st" 0
like "list JSON is an array of cases" "$out" '^\[\{"id":[0-9]+,"ref":"[0-9A-Z]{5}","thread":"'
unlike "list skips list traffic" "$out" "dev@lists.example.org"
like "list has the plain report" "$out" '"subject":"Heap overflow in the config parser"'

# The plain report came 2026-11-20T09:00Z and nobody answered: ack overdue at the pinned now.
like "plain report's next deadline is an overdue ack" "$out" '"subject":"Heap overflow in the config parser","reporter":"Carol Plain <carol@plain.test>","state":"new","severity":null,"handler":null,"embargo":null,"cve":null,"affected":null,"next_deadline":\{"kind":"ack","due":"2026-11-21T09:00:00Z","met_at":null,"urgency":"overdue"\}'

id=$("$E" list --format=json | tr '{' '\n' | grep 'Heap overflow' | sed 's/.*"id":\([0-9]*\).*/\1/' | head -n 1)
[ -n "$id" ] || id=$("$E" list | awk '/Heap overflow/ {print $1; exit}')
out=$("$E" list)
like "text list has a header" "$out" "^ *ID +REF"
like "text list marks overdue with !" "$out" "Heap overflow"

"$E" set "$id" severity important; is "set severity exits 0" "$?" 0
err=$("$E" set "$id" severity catastrophic 2>&1); st=$?
is "bad severity exits 1" "$st" 1
like "bad severity says what is allowed" "$err" "critical"
"$E" set "$id" handler alice@example.org; is "claim exits 0" "$?" 0
err=$("$E" set "$id" handler mallory@evil.test 2>&1); st=$?
is "handler outside [mail] handlers is refused" "$st" 1
"$E" note "$id" "looked at the parser"; is "note exits 0" "$?" 0

out=$("$E" show "$id" --format=json); st=$?
is "show exits 0" "$st" 0
like "show has the new severity" "$out" '"severity":"important"'
like "show has the handler" "$out" '"handler":"alice@example.org"'
like "show has the note event" "$out" '"kind":"note","detail":"looked at the parser"'
like "show has the message body" "$out" 'MARK-PLAIN'
like "show has the severity event" "$out" '"kind":"severity","detail":"\(unset\) -> important"'

err=$("$E" show "$(printf 'K\033]0;pwned\007')" 2>&1)
if printf '%s' "$err" | LC_ALL=C grep -q "$(printf '\033')"; then
	not_ok "an error quoting what the user typed holds no raw escape"
else
	ok "an error quoting what the user typed holds no raw escape"
fi

err=$("$E" show 9999 2>&1); st=$?
is "unknown case exits 1" "$st" 1
like "unknown case is named" "$err" '"9999"'

"$E" due >/dev/null; is "due exits 3 when something is overdue" "$?" 3
out=$("$E" due --format=json)
like "due lists the overdue ack" "$out" '"kind":"ack","due":"2026-11-21T09:00:00Z","urgency":"overdue"'
EMBARGO_NOW=2026-11-01T00:00:00Z "$E" due >/dev/null
is "due exits 0 before anything is overdue" "$?" 0

# The encrypted report came 2026-11-21T12:00Z: its ack (24h) is ok, then soon
# (under 6h left), due at 12:00 sharp, and overdue one second later.
urgency_at() {
	EMBARGO_NOW=$1 "$E" list --format=json |
		jq -r '.[] | select(.subject == "Encrypted report") | .next_deadline | "\(.kind) \(.due) \(.urgency)"'
}
is "at 11-21T12:30 the ack is ok" "$(urgency_at 2026-11-21T12:30:00Z)" "ack 2026-11-22T12:00:00Z ok"
is "at 11-22T06:00:01 (under 6h left) it is soon" "$(urgency_at 2026-11-22T06:00:01Z)" "ack 2026-11-22T12:00:00Z soon"
is "at 11-22T05:59:59 (over 6h left) it is ok" "$(urgency_at 2026-11-22T05:59:59Z)" "ack 2026-11-22T12:00:00Z ok"
is "at 12:00:00 sharp it is still soon" "$(urgency_at 2026-11-22T12:00:00Z)" "ack 2026-11-22T12:00:00Z soon"
is "one second later it is overdue" "$(urgency_at 2026-11-22T12:00:01Z)" "ack 2026-11-22T12:00:00Z overdue"
out=$(EMBARGO_NOW=2026-11-22T09:00:00+01:00 "$E" due --within 6h --format=json | jq -r '.[] | select(.subject == "Encrypted report") | .kind')
is "due --within 6h at 08:00Z lists the encrypted report's ack" "$out" "ack"
out=$(EMBARGO_NOW=2026-11-22T09:00:00+01:00 "$E" due --within 2h --format=json | jq -r '.[] | select(.subject == "Encrypted report") | .kind')
is "due --within 2h at 08:00Z does not" "$out" ""
notmuch config set index.decrypt true
err=$("$E" list 2>&1 >/dev/null)
like "a warning when notmuch would index decrypted text" "$err" "index.decrypt"
notmuch config set index.decrypt auto
err=$("$E" list 2>&1 >/dev/null)
is "no warning with index.decrypt=auto" "$err" ""

err=$(EMBARGO_NOW=yesterday "$E" list 2>&1); st=$?
is "a bad EMBARGO_NOW exits 1" "$st" 1
like "a bad EMBARGO_NOW is named" "$err" "EMBARGO_NOW"

# Life cycle from the command line: allowed and refused transitions, with events.
"$E" set "$id" state triaged; is "new -> triaged is allowed" "$?" 0
err=$("$E" set "$id" state new 2>&1); st=$?
is "triaged -> new is refused" "$st" 1
like "the refusal lists what is allowed" "$err" "from triaged: "
"$E" set "$id" state closed; is "triaged -> closed" "$?" 0
out=$("$E" list --format=json | jq --arg id "$id" '[.[] | select(.id == ($id | tonumber))] | length')
is "a closed case leaves the open list" "$out" 0
out=$("$E" list --all --format=json | jq -r --arg id "$id" '.[] | select(.id == ($id | tonumber)) | .next_deadline')
is "a closed case has no running deadline" "$out" null
"$E" set "$id" state triaged; is "closed -> triaged reopens" "$?" 0
out=$("$E" show "$id" --format=json | jq -r '[.events[] | select(.kind == "state") | .detail] | join(", ")')
is "every state change is an event" "$out" "new -> triaged, triaged -> closed, closed -> triaged"
err=$("$E" set "$id" embargo 2026-11-01 2>&1); st=$?
is "an embargo in the past is refused" "$st" 1
"$E" set --force "$id" embargo 2026-11-01; is "... unless forced" "$?" 0
"$E" set "$id" embargo +3d; is "embargo +3d" "$?" 0
is "embargo stored as UTC" "$("$E" show "$id" --format=json | jq -r .embargo)" "2026-11-25T12:00:00Z"
err=$("$E" set "$id" cve CVE-26-1 2>&1); st=$?
is "a malformed CVE is refused" "$st" 1
like "... saying what is allowed" "$err" "CVE-YYYY-NNNN"
"$E" set "$id" cve cve-2026-12345; is "a CVE is accepted" "$?" 0
is "CVE normalised" "$("$E" show "$id" --format=json | jq -r .cve)" "CVE-2026-12345"
"$E" set "$id" bogus x 2>/dev/null; is "unknown field exits 1" "$?" 1
"$E" set "$id" severity 2>/dev/null; is "set with two arguments is bad usage" "$?" 2
"$E" note "$id" "" 2>/dev/null; is "an empty note is refused" "$?" 1

done_testing
