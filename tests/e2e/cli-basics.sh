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

err=$("$E" show 9999 2>&1); st=$?
is "unknown case exits 1" "$st" 1
like "unknown case is named" "$err" '"9999"'

"$E" due >/dev/null; is "due exits 3 when something is overdue" "$?" 3
out=$("$E" due --format=json)
like "due lists the overdue ack" "$out" '"kind":"ack","due":"2026-11-21T09:00:00Z","urgency":"overdue"'
EMBARGO_NOW=2026-11-01T00:00:00Z "$E" due >/dev/null
is "due exits 0 before anything is overdue" "$?" 0

done_testing
