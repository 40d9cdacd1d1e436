#!/bin/sh
# The hostile-mail corpus (tests/hostile): every message gets the safe
# behaviour tests/hostile/MANIFEST asserts for it, through `embargo show
# --format=json` and `embargo list --format=json`, and every case's output is
# free of anything that could drive a terminal.
. "$top_srcdir/tests/e2e/lib.sh"

E=$EMBARGO_BIN
SHOW_SECONDS=15       # each show (the slowest corpus message takes well under 1 s)
SHOW_KIB=262144       # each show's peak RSS: 256 MiB (the 50 MiB message needs ~70)

sandbox_new
hostile_corpus_copy
mkdir -p "$W/out"
# Two files, one Message-ID: the original arrived first, the impostor a day later.
touch -d 2026-11-20T10:00:00Z "$SANDBOX/mail/INBOX/new/hostile.dup-msgid"
touch -d 2026-11-21T10:00:00Z "$SANDBOX/mail/INBOX/new/hostile.dup-msgid-copy"
notmuch new --quiet || bail_out "notmuch new failed"

# --- the manifest and the files agree ------------------------------------------------

names=$(sed -n 's/^== \([^ ]*\).*/\1/p' "$H/MANIFEST")
generated=$(sed -n 's/^== \([^ ]*\) generated$/\1/p' "$H/MANIFEST")
missing=
for n in $names; do
	[ -f "$H/$n.eml" ] || [ -f "$W/gen/$n.eml" ] || missing="$missing $n"
done
is "every manifest entry has its message" "$missing" ""
orphans=
for f in "$H"/*.eml "$W"/gen/*.eml; do
	id=$(sed -n 's/^Message-ID: <\([^@]*\)@hostile.test>.*/\1/p' "$f" | head -n 1)
	printf '%s\n' "$names" | grep -qx -- "$id" || orphans="$orphans $(basename "$f")"
done
is "every corpus file has a manifest entry" "$orphans" ""
wrong=
for n in $generated; do
	[ -f "$H/$n.eml" ] && wrong="$wrong $n"
done
is "generated messages are not also committed" "$wrong" ""

# --- list, then show every case, measured ---------------------------------------------

if "$E" list --all --format=json >"$W/list.json" 2>"$W/list.err"; then
	ok "list --all --format=json succeeds"
else
	not_ok "list --all --format=json succeeds" "$(cat "$W/list.err")"
fi
"$E" list --all >"$W/list.txt" 2>&1 || :
ids=$(jq -r '.[].id' "$W/list.json")

have_time=
if [ -x /usr/bin/time ] && /usr/bin/time -f %M true 2>/dev/null; then
	have_time=yes
fi
failed= slow= fat= worst_s=0 worst_kb=0
for id in $ids; do
	t0=$(date +%s%N)
	if [ -n "$have_time" ]; then
		timeout 120 /usr/bin/time -f '%M' -o "$W/out/$id.rss" \
			"$E" show "$id" --format=json >"$W/out/$id.json" 2>"$W/out/$id.err"
	else
		timeout 120 "$E" show "$id" --format=json >"$W/out/$id.json" 2>"$W/out/$id.err"
	fi
	st=$?
	t1=$(date +%s%N)
	ms=$(((t1 - t0) / 1000000))
	[ "$st" -eq 0 ] || failed="$failed $id(exit $st: $(head -c 200 "$W/out/$id.err"))"
	[ "$ms" -le $((SHOW_SECONDS * 1000)) ] || slow="$slow $id(${ms}ms)"
	[ "$ms" -le "$worst_s" ] || worst_s=$ms
	if [ -n "$have_time" ]; then
		kb=$(tail -n 1 "$W/out/$id.rss")
		[ "$kb" -le "$SHOW_KIB" ] || fat="$fat $id(${kb}KiB)"
		[ "$kb" -le "$worst_kb" ] || worst_kb=$kb
	fi
	"$E" show "$id" >"$W/out/$id.txt" 2>&1 || :
done
n_ids=$(printf '%s\n' $ids | wc -l)
is "show succeeds on all $n_ids cases" "$failed" ""
is "every show takes under $SHOW_SECONDS s (slowest: $worst_s ms)" "$slow" ""
if [ -n "$have_time" ]; then
	is "every show peaks under $((SHOW_KIB / 1024)) MiB RSS (largest: $((worst_kb / 1024)) MiB)" "$fat" ""
else
	ok "every show peaks under $((SHOW_KIB / 1024)) MiB RSS # SKIP /usr/bin/time (GNU time) is not installed"
fi

# --- nothing that drives a terminal, in any output ----------------------------------------

all_json="$W/list.json $(for id in $ids; do printf '%s ' "$W/out/$id.json"; done)"
all_text="$W/list.txt $(for id in $ids; do printf '%s ' "$W/out/$id.txt"; done)"

# Whole-set checks first (fast); the offending files are named only on failure.
bad=
if ! jq -e . $all_json >/dev/null 2>&1; then
	for f in $all_json; do
		jq -e . "$f" >/dev/null 2>&1 || bad="$bad $(basename "$f")"
	done
fi
is "all JSON output parses" "$bad" ""

bad=
if ! cat $all_json $all_text | iconv -f UTF-8 -t UTF-8 >/dev/null 2>&1; then
	for f in $all_json $all_text; do
		iconv -f UTF-8 -t UTF-8 "$f" >/dev/null 2>&1 || bad="$bad $(basename "$f")"
	done
fi
is "all output is valid UTF-8" "$bad" ""

# Raw bytes: ESC, other C0 controls but tab/newline, DEL; C1 as UTF-8 (C2 80..C2 9F).
ctl=$(printf '[\001-\010\013-\037\177]')
c1=$(printf '\302[\200-\237]')
bad=$({ LC_ALL=C grep -l "$ctl" $all_json $all_text; LC_ALL=C grep -l "$c1" $all_json $all_text; } | sort -u | tr '\n' ' ')
is "no raw ESC, C0, DEL or C1 in any output (JSON and text)" "$bad" ""

# After JSON decoding: no control (but newline in bodies), C1, bidi, zero-width or tag character.
decoded_bad='[\x00-\x09\x0b-\x1f\x7f]|\xc2[\x80-\x9f]|\xe2\x80[\x8b-\x8f\xaa-\xae]|\xe2\x81[\xa0\xa6-\xa9]|\xef\xbb\xbf|\xd8\x9c|\xf3\xa0[\x80-\x81]'
# The detector itself, on planted characters (so a broken pattern cannot pass silently).
missed=
for j in '"\u009b"' '"x\u202ey"' '"\u001b[2J"' '"\u0000"' '"\u200b"' '"\ufeff"' '"\u2066"' '"\udb40\udc01"'; do
	printf '%s' "$j" | jq -j . | LC_ALL=C grep -aqP -- "$decoded_bad" || missed="$missed $j"
done
printf '"a\\nb \u241b \u21c4 \u2423 caf\u00e9"' | jq -j . | LC_ALL=C grep -aqP -- "$decoded_bad" && missed="$missed (a false alarm on markers)"
is "the control detector catches planted characters and passes the markers" "$missed" ""
bad=
if jq -j '.. | strings' $all_json | LC_ALL=C grep -aqP -- "$decoded_bad"; then
	for f in $all_json; do
		jq -j '.. | strings' "$f" | LC_ALL=C grep -aqP -- "$decoded_bad" && bad="$bad $(basename "$f")"
	done
fi
bad="$bad$(jq -r 'select([.. | objects | to_entries[] | select(.key != "body") | .value | strings
	| select(contains("\n"))] | length > 0) | " " + (input_filename | split("/") | last) + "(newline)"' $all_json)"
is "no control, C1, bidi, zero-width or tag character in any decoded JSON string" "$bad" ""

# --- each message's own safe behaviour ----------------------------------------------------

# The thread id holding Message-ID $1.
thread_of() {
	notmuch search --output=threads "id:$1" | sed -n '1s/^thread://p'
}

for n in $names; do
	mid=$n@hostile.test
	th=$(thread_of "$mid")
	id=$(jq -r --arg t "$th" '.[] | select(.thread == $t) | .id' "$W/list.json")
	if [ -z "$th" ] || [ -z "$id" ] || [ ! -s "$W/out/$id.json" ]; then
		not_ok "$n: is a case with show output" "thread '$th', case '$id'"
		continue
	fi
	if ! jq -e --arg m "$mid" 'any(.messages[]; .id == $m)' "$W/out/$id.json" >/dev/null; then
		not_ok "$n: shown in case $id" "no message $mid in show $id"
		continue
	fi
	sed -n "/^== $n\( generated\)\{0,1\}\$/,/^== /s/^expect: //p" "$H/MANIFEST" >"$W/expects"
	# One jq run per message: one JSON string per expectation, "true" or what it gave.
	prog='. as $c | (first($L[0][] | select(.id == $c.id)) // null) as $l
		| first(.messages[] | select(.id == $mid)) as $m | empty'
	while IFS= read -r x; do
		prog="$prog, (try ([$x] | if . == [true] then \"true\" else tojson end)
			catch (\"jq error: \" + tostring))"
	done <"$W/expects"
	jq -c --arg mid "$mid" --slurpfile L "$W/list.json" "$prog" "$W/out/$id.json" \
		>"$W/results" 2>"$W/jq.err"
	i=0
	while IFS= read -r x; do
		i=$((i + 1))
		res=$(sed -n "${i}p" "$W/results" | jq -r . 2>/dev/null)
		# lib.sh prints with echo, which reads backslashes: double them.
		d=$(printf '%s' "$n: $x" | sed 's/\\/\\\\/g')
		if [ "$res" = true ]; then
			ok "$d"
		else
			not_ok "$d" "got: $(printf '%s' "${res:-nothing}" | head -c 300) $(head -c 300 "$W/jq.err")
message: $(jq -c --arg m "$mid" '.messages[] | select(.id == $m)' "$W/out/$id.json" | head -c 1500)"
		fi
	done <"$W/expects"
done

# --- what the manifest cannot say in one jq expression -------------------------------------

# Protected headers: the inner subject reaches neither the store nor due.
if LC_ALL=C grep -aq MARK-INNER-SUBJECT "$SANDBOX"/cases.db*; then
	not_ok "protected-headers: the inner subject is not in the store"
else
	ok "protected-headers: the inner subject is not in the store"
fi
due=$("$E" due --within 520w --format=json 2>&1)
unlike "protected-headers: the inner subject is not in due" "$due" MARK-INNER-SUBJECT
is "protected-headers: notmuch did not index the inner subject" \
	"$(notmuch count MARK-INNER-SUBJECT)" 0

# team_reply = verified: a forged, unsigned reply From the team address meets no deadline.
sed -e 's/^\[mail\]$/[mail]\nteam_reply = verified/' -e "s#^path = .*#path = $W/verified.db#" \
	"$EMBARGO_CONFIG" >"$W/verified.config"
"$E" --config "$W/verified.config" list --all --format=json >"$W/vlist.json" 2>&1
vid=$(jq -r '.[] | select(.subject == "Crash in the image decoder") | .id' "$W/vlist.json")
vshow=$("$E" --config "$W/verified.config" show "$vid" --format=json 2>&1)
is "forged-reply: unverified under team_reply = verified" \
	"$(printf '%s' "$vshow" | jq -r '.messages[] | select(.id == "forged-reply@hostile.test") | .team_reply')" unverified
is "forged-reply: does not meet the ack deadline under team_reply = verified" \
	"$(printf '%s' "$vshow" | jq -r '.deadlines[] | select(.kind == "ack") | .met_at')" null
# ... while under the default (any) the same reply does.
is "forged-reply: meets the ack deadline under team_reply = any" \
	"$(jq -r --arg t "$(thread_of forged-reply@hostile.test)" '.[] | select(.thread == $t)
		| .deadlines[] | select(.kind == "ack") | .met_at' "$W/list.json")" 2026-11-21T11:00:00Z

# Two files, one Message-ID: whichever copy is shown, the user must be told.
dth=$(thread_of dup-msgid@hostile.test)
did=$(jq -r --arg t "$dth" '.[] | select(.thread == $t) | .id' "$W/list.json")
is "dup-msgid: notmuch holds both files under one message" \
	"$(notmuch search --output=files id:dup-msgid@hostile.test | wc -l)" 2
dwarn=$(jq -r '.messages[] | select(.id == "dup-msgid@hostile.test") | .warnings[]' "$W/out/$did.json")
like "dup-msgid: show (JSON) warns that another file has the Message-ID and different content" \
	"$dwarn" "another file with the same Message-ID holds different content"
like "dup-msgid: the warning names the other file" "$dwarn" "hostile\.dup-msgid"
like "dup-msgid: show (text) has the warning line" "$(cat "$W/out/$did.txt")" \
	"== \[warning: another file with the same Message-ID holds different content"
# The copy shown is the one delivered first (the original: its mtime is older, set above).
like "dup-msgid: the copy delivered first is shown" \
	"$(jq -r '.messages[] | select(.id == "dup-msgid@hostile.test") | .body' "$W/out/$did.json")" \
	MARK-DUP-ORIGINAL
is "no other message carries a warning" \
	"$(jq -r 'select(type == "object") | .messages[] | select(.id != "dup-msgid@hostile.test"
		and (.warnings | length) > 0) | .id' $all_json | sort -u | tr '\n' ' ')" ""

done_testing
