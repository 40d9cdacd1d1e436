#!/bin/sh
# `embargo due` with a rota (who is on call) and `due --notify`: one
# notification per deadline per urgency across repeated cron runs, a
# failing command retried, exit statuses.
. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/e2e/lib.sh"

E=$EMBARGO_BIN

sandbox_new
LOG=$SANDBOX/notify.log
FAIL=$SANDBOX/notify-fail

# The notify command: fails while $FAIL exists, else appends its
# environment and its stdin to $LOG, one record of two lines per call.
cat >"$SANDBOX/bin/notify" <<EOF
#!/bin/sh
[ ! -e '$FAIL' ] || { echo "notify: told to fail" >&2; exit 1; }
{
	echo "env \$EMBARGO_CASE \$EMBARGO_REF \$EMBARGO_KIND \$EMBARGO_DUE \$EMBARGO_URGENCY left=\$EMBARGO_LEFT handler=\$EMBARGO_HANDLER oncall=\$EMBARGO_ONCALL subject=\$EMBARGO_SUBJECT"
	sed 's/^/stdin /'
} >>'$LOG'
EOF
chmod +x "$SANDBOX/bin/notify"
: >"$LOG"

cat >"$SANDBOX/rota" <<'EOF'
# who is on call, from 00:00 UTC of each date
2026-11-01 alice@example.org

2026-11-22 Bob@Example.org   # bob takes over
EOF
# Relative: beside the config file.
printf '[oncall]\nrota = rota\n' >>"$SANDBOX/config"

# The number of notifications logged so far.
sent() {
	grep -c '^env ' "$LOG"
}

# --- who is on call -------------------------------------------------------

T1=2026-11-22T10:00:00Z
out=$(EMBARGO_NOW=$T1 "$E" due); st=$?
is "due exits 3 (overdue deadlines) with a rota" "$st" 3
is "due's first line says who is on call" "$(printf '%s\n' "$out" | head -n 1)" "on call: bob@example.org"
out=$(EMBARGO_NOW=2026-11-21T23:59:59Z "$E" due | head -n 1)
is "the day before, the earlier line holds" "$out" "on call: alice@example.org"
out=$(EMBARGO_NOW=2026-10-31T12:00:00Z "$E" due); st=$?
is "before the rota starts, nobody is on call" "$(printf '%s\n' "$out" | head -n 1)" "on call: nobody"
is "due exits 0 when nothing is overdue" "$st" 0
out=$(EMBARGO_NOW=$T1 "$E" due --format=json | jq -r 'type')
is "due JSON stays an array" "$out" "array"

cp "$SANDBOX/rota" "$SANDBOX/rota.good"
printf '2026-11-20 carol@example.org\n' >>"$SANDBOX/rota"
err=$(EMBARGO_NOW=$T1 "$E" due 2>&1 >/dev/null); st=$?
is "a bad rota makes due exit 1" "$st" 1
like "the error names the rota file and line" "$err" "$SANDBOX/rota:5: "
like "the error names the unknown handler and what is expected" "$err" '"carol@example.org" is not a handler: expected one of \[mail\] handlers'
out=$(EMBARGO_NOW=$T1 "$E" due 2>/dev/null)
like "with a bad rota, due still lists the deadlines" "$out" "Encrypted report"
printf '2026-11-30 alice@example.org\n2026-11-29 bob@example.org\n' >"$SANDBOX/rota"
err=$(EMBARGO_NOW=$T1 "$E" due 2>&1 >/dev/null)
like "dates out of order are refused" "$err" "rota:2: 2026-11-29T00:00:00Z is not after 2026-11-30T00:00:00Z \(line 1\): expected the dates in increasing order"
mv "$SANDBOX/rota.good" "$SANDBOX/rota"

# --- --notify ---------------------------------------------------------------

err=$(EMBARGO_NOW=$T1 "$E" due --notify 2>&1); st=$?
is "--notify without [oncall] notify exits 1" "$st" 1
like "... naming the key and the config file" "$err" "$SANDBOX/config: \[oncall\] notify is not set"
"$E" due --notify --within 2h >/dev/null 2>&1
is "--notify with --within is bad usage" "$?" 2

printf 'notify = %s/bin/notify\n' "$SANDBOX" >>"$SANDBOX/config"

# Case 13, "Encrypted report": ack due 2026-11-22T12:00Z (soon at T1,
# overdue at T2), response due 2026-11-23T12:00Z (ok until 2026-11-23T00:00Z).
enc=$("$E" list --format=json | jq -r '.[] | select(.subject == "Encrypted report") | .id')
"$E" set "$enc" handler alice@example.org >/dev/null
ref=$("$E" list --format=json | jq -r '.[] | select(.subject == "Encrypted report") | .ref')

# What --notify should send at a time: every soon or overdue deadline.
want_at() {
	EMBARGO_NOW=$1 "$E" due --within 52w --format=json |
		jq '[.[] | select(.urgency == "soon" or .urgency == "overdue")] | length'
}
n1=$(want_at $T1)
[ "$n1" -gt 1 ] || bail_out "the fixture has no soon/overdue deadlines at $T1"

out=$(EMBARGO_NOW=$T1 "$E" due --notify); st=$?
is "first --notify run exits 3 (something is overdue)" "$st" 3
is "first run notifies every soon or overdue deadline" "$(sent)" "$n1"
is "... and prints one line per notification" "$(printf '%s\n' "$out" | grep -c '^notified: case ')" "$n1"
like "the command got the details in its environment" "$(cat "$LOG")" \
	"^env $enc $ref ack 2026-11-22T12:00:00Z soon left=2h handler=alice@example.org oncall=bob@example.org subject=Encrypted report\$"
like "... and the summary on stdin" "$(cat "$LOG")" \
	"^stdin case $enc \($ref\): ack due in 2h \(due 2026-11-22T12:00:00Z\), handler alice@example.org, subject Encrypted report\$"
like "an overdue one says by how much" "$(cat "$LOG")" \
	"^stdin case [0-9]+ \([0-9A-Z]+\): ack overdue by 1d 1h \(due 2026-11-21T09:00:00Z\), no handler, subject Heap overflow in the config parser\$"

out=$(EMBARGO_NOW=$T1 "$E" due --notify); st=$?
is "second run at the same time notifies nothing" "$(sent)" "$n1"
is "... prints nothing" "$out" ""
is "... and still exits 3" "$st" 3
EMBARGO_NOW=$T1 "$E" due --notify >/dev/null
is "third run: still nothing new" "$(sent)" "$n1"

T2=2026-11-22T12:00:01Z
out=$(EMBARGO_NOW=$T2 "$E" due --notify); st=$?
is "soon -> overdue notifies exactly once more" "$(sent)" "$((n1 + 1))"
like "... for the deadline that became overdue" "$(tail -n 2 "$LOG" | head -n 1)" \
	"^env $enc $ref ack 2026-11-22T12:00:00Z overdue left=0m "
is "... printing that one" "$out" "notified: case $enc ($ref): ack overdue by 0m (due 2026-11-22T12:00:00Z), handler alice@example.org, subject Encrypted report"
EMBARGO_NOW=$T2 "$E" due --notify >/dev/null
is "and not again" "$(sent)" "$((n1 + 1))"

# At T3 the encrypted report's response (due 2026-11-23T12:00Z) turns soon.
T3=2026-11-23T00:00:01Z
: >"$FAIL"
out=$(EMBARGO_NOW=$T3 "$E" due --notify 2>"$SANDBOX/err"); st=$?
is "a failing notify command makes --notify exit 1" "$st" 1
like "... and is reported on stderr" "$(cat "$SANDBOX/err")" \
	"^embargo: case $enc response soon: \[oncall\] notify \".*/bin/notify\": exited with status 1\$"
is "... nothing is printed as sent" "$out" ""
is "... nothing was logged" "$(sent)" "$((n1 + 1))"
rm -f "$FAIL"
out=$(EMBARGO_NOW=$T3 "$E" due --notify --format=json); st=$?
is "the next run retries it and exits 3" "$st" 3
is "... sending it once" "$(sent)" "$((n1 + 2))"
is "--notify --format=json lists what was sent" \
	"$(printf '%s\n' "$out" | jq -c '[.[] | {case, kind, urgency}]')" \
	"[{\"case\":$enc,\"kind\":\"response\",\"urgency\":\"soon\"}]"
out=$(EMBARGO_NOW=$T3 "$E" due --notify --format=json)
is "after that, JSON says nothing was sent" "$out" "[]"
is "... and nothing was" "$(sent)" "$((n1 + 2))"

out=$(EMBARGO_NOW=2026-11-01T00:00:00Z "$E" due --notify); st=$?
is "--notify exits 0 when nothing is overdue" "$st" 0
is "... and sends nothing when nothing is soon" "$(sent)" "$((n1 + 2))"

# No deadline was notified twice at the same urgency.
dups=$(grep '^env ' "$LOG" | awk '{print $2, $4, $5, $6}' | sort | uniq -d)
is "every (case, kind, due, urgency) was notified once" "$dups" ""

done_testing
