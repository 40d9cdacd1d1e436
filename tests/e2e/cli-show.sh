#!/bin/sh
# `embargo show --format=json` on every kind of fixture message: what was
# decrypted, what was verified, and that nothing claims more than that.
. "$top_srcdir/tests/e2e/lib.sh"

sandbox_new
E=$EMBARGO_BIN
list=$("$E" list --all --format=json) || bail_out "embargo list failed"

# The case id of the case whose subject is $1.
case_of() {
	printf '%s' "$list" | jq -r --arg s "$1" '.[] | select(.subject == $s) | .id'
}
# show JSON of the case with subject $1, first message, jq filter $2.
msg() {
	"$E" show "$(case_of "$1")" --format=json | jq -r ".messages[0] | $2"
}

is "13 cases from the fixture" "$(printf '%s' "$list" | jq length)" 13
is "list traffic is not a case" \
	"$(printf '%s' "$list" | jq '[.[] | select(.subject | test("dev list"; "i"))] | length')" 0

S="Encrypted report"
is "enc-signed: encrypted" "$(msg "$S" .encrypted)" true
is "enc-signed: decrypted" "$(msg "$S" .decrypted)" true
like "enc-signed: decrypted text shown" "$(msg "$S" .body)" MARK-ENC-SIGNED
is "enc-signed: good signature" "$(msg "$S" .signature.status)" good
is "enc-signed: signer fingerprint is rita's" "$(msg "$S" .signature.fpr)" "$(cat "$SANDBOX/fpr/rita")"
is "enc-signed: signer uid" "$(msg "$S" .signature.signer)" "Rita Reporter <rita@reporter.test>"
is "enc-signed: signer matches From" "$(msg "$S" .signature.matches_from)" true
is "enc-signed: rita's key is not certified" "$(msg "$S" .signature.validity)" unknown
is "enc-signed: first key seen for rita is pinned" "$(msg "$S" .signature.pinned)" true
is "enc-signed: the signature covers everything" "$(msg "$S" .signature.partial)" false
is "enc-signed: not from the team" "$(msg "$S" .team_reply)" null

S="Signed report"
is "signed-good: good" "$(msg "$S" .signature.status)" good
is "signed-good: not encrypted" "$(msg "$S" .encrypted)" false
like "signed-good: body" "$(msg "$S" .body)" MARK-SIGNED-GOOD

S="Signed report, altered"
is "signed-bad: bad signature" "$(msg "$S" .signature.status)" bad
like "signed-bad: the altered body is still shown" "$(msg "$S" .body)" MARK-SIGNED-BAD

S="SQL injection in search"
is "wrong-uid: the signature itself is good" "$(msg "$S" .signature.status)" good
is "wrong-uid: signer does not match From" "$(msg "$S" .signature.matches_from)" false
is "wrong-uid: signer is mallory's key" "$(msg "$S" .signature.fpr)" "$(cat "$SANDBOX/fpr/mallory")"
is "wrong-uid: a key without the From address is never the pinned key" "$(msg "$S" .signature.pinned)" false

S="Partly signed report"
is "partial: good signature" "$(msg "$S" .signature.status)" good
is "partial: flagged partial" "$(msg "$S" .signature.partial)" true
like "partial: unsigned text shown" "$(msg "$S" .body)" MARK-UNSIGNED-PART
like "partial: signed text shown" "$(msg "$S" .body)" MARK-SIGNED-PART
out=$("$E" show "$(case_of "$S")")
like "partial: text view marks the unsigned part" "$out" "^== \[unsigned, unencrypted part\]"
like "partial: text view badge" "$out" "\[partly signed\]"

S="Encrypted to the wrong key"
is "enc-unknown: encrypted" "$(msg "$S" .encrypted)" true
is "enc-unknown: not decrypted" "$(msg "$S" .decrypted)" false
like "enc-unknown: says why in its place" "$(msg "$S" .body)" "cannot decrypt"
is "enc-unknown: no signature claimed" "$(msg "$S" .signature.status)" none

S="Inline encrypted report"
is "inline-enc: encrypted" "$(msg "$S" .encrypted)" true
is "inline-enc: decrypted" "$(msg "$S" .decrypted)" true
like "inline-enc: plaintext" "$(msg "$S" .body)" MARK-INLINE-ENC
is "inline-enc: signed by rita" "$(msg "$S" .signature.status)" good
unlike "inline-enc: no armour left in the body" "$(msg "$S" .body)" "BEGIN PGP MESSAGE"

S="Inline signed report"
is "inline-signed: good" "$(msg "$S" .signature.status)" good
like "inline-signed: text" "$(msg "$S" .body)" MARK-INLINE-SIGNED

S="Grüße aus Köln"
like "latin1: decoded to UTF-8" "$(msg "$S" .body)" "Grüße aus Köln, naïve café"
is "latin1: reporter name decoded" "$(printf '%s' "$list" | jq -r --arg s "$S" '.[] | select(.subject == $s) | .reporter')" "Zoë Müller <zoe@latin1.test>"

S="XSS in the comment preview"
like "html-only: text shown" "$(msg "$S" .body)" MARK-HTML
unlike "html-only: no tags" "$(msg "$S" .body)" "<p>|<script"
unlike "html-only: script content dropped" "$(msg "$S" .body)" MARK-SCRIPT

S="Crash log attached"
like "truncated: first part shown" "$(msg "$S" .body)" MARK-TRUNCATED

S="Auth bypass in login form"
out=$("$E" show "$(case_of "$S")" --format=json)
is "thread of five: five messages" "$(printf '%s' "$out" | jq '.messages | length')" 5
is "thread of five: oldest first" "$(printf '%s' "$out" | jq -r '[.messages[].id] | join(" ")')" \
	"t5-1@fixture.test t5-2@fixture.test t5-3@fixture.test t5-4@fixture.test t5-5@fixture.test"
is "thread of five: team replies marked, reporter's not" \
	"$(printf '%s' "$out" | jq -r '[.messages[].team_reply] | map(tostring) | join(" ")')" \
	"null unverified null unverified null"
is "thread of five: ack met by alice's reply" \
	"$(printf '%s' "$out" | jq -r '.deadlines[] | select(.kind == "ack") | .met_at')" "2026-11-10T15:00:00Z"
is "thread of five: response met by the team's second reply" \
	"$(printf '%s' "$out" | jq -r '.deadlines[] | select(.kind == "response") | .met_at')" "2026-11-11T20:00:00Z"
is "thread of five: update due 5 days after the last team message" \
	"$(printf '%s' "$out" | jq -r '.deadlines[] | select(.kind == "update") | .due')" "2026-11-16T20:00:00Z"

# No control character from mail reaches the output, and every body is valid JSON text.
all=$(for id in $(printf '%s' "$list" | jq -r '.[].id'); do "$E" show "$id" --format=json; done)
if printf '%s' "$all" | LC_ALL=C grep -q "$(printf '[\001-\010\013-\037\033]')"; then
	not_ok "show output holds no raw control characters"
else
	ok "show output holds no raw control characters"
fi
is "every show is valid JSON" "$(printf '%s\n' "$all" | jq -s length)" 13

done_testing
