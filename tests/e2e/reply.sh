#!/bin/sh
# `embargo reply`: an ack to an encrypted report goes out encrypted, signed and
# threaded, and the ack is met at once; a missing key or a failing sendmail
# refuses and keeps the draft; no plaintext marker reaches any file.
. "$top_srcdir/tests/e2e/lib.sh"

sandbox_new
EMBARGO_DATADIR=$top_srcdir/data
export EMBARGO_DATADIR
E=$EMBARGO_BIN
list=$("$E" list --all --format=json) || bail_out "embargo list failed"

case_of() {
	printf '%s' "$list" | jq -r --arg s "$1" '.[] | select(.subject == $s) | .id'
}
deadline() { # CASE KIND: its urgency
	"$E" show "$1" --format=json | jq -r --arg k "$2" '.deadlines[] | select(.kind == $k) | .urgency'
}
outbox_n() {
	ls "$SANDBOX/outbox" | grep -c '\.eml$'
}

# --- usage -------------------------------------------------------------------------
"$E" reply 1 >/dev/null 2>&1
is "reply without --template is a usage error" "$?" 2
err=$("$E" reply 1 --template nosuch 2>&1 >/dev/null)
is "an unknown template fails" "$?" 1
like "... naming it" "$err" 'no template "nosuch"'

# --- an ack to the encrypted report ------------------------------------------------
ENC=$(case_of "Encrypted report")
is "the ack is not met before" "$(deadline "$ENC" ack)" soon
plan=$("$E" reply "$ENC" --template ack)
is "reply without --send exits 0" "$?" 0
like "the plan says encrypted to rita" "$plan" \
	"^rita@reporter.test: encrypted to Rita Reporter <rita@reporter.test> $(cat "$SANDBOX/fpr/rita")\$"
like "the plan says signed by the team key" "$plan" \
	"^signed by Example Security Team <security@example.org> $(cat "$SANDBOX/fpr/team")\$"
is "nothing sent without --send" "$(outbox_n)" 0

out=$("$E" reply "$ENC" --template ack --send 2>&1)
is "reply --send exits 0" "$?" 0 || diag "$out"
like "it says what it sent" "$out" "^sent <embargo\."
check "the test sendmail got DIR/outbox/1.eml" test -f "$SANDBOX/outbox/1.eml"
eml=$(cat "$SANDBOX/outbox/1.eml")
like "multipart/encrypted" "$eml" '^Content-Type: multipart/encrypted'
like "RFC 3156 protocol" "$eml" 'protocol="application/pgp-encrypted"'
like "threaded: In-Reply-To the report" "$eml" '^In-Reply-To: <enc-signed@fixture.test>$'
like "threaded: References" "$eml" '^References: <enc-signed@fixture.test>$'
like "outer Subject" "$eml" '^Subject: Re: Encrypted report$'
unlike "no plaintext outside the ciphertext" "$eml" 'thank you for writing'
args=$(cat "$SANDBOX/outbox/1.args")
unlike "no address on sendmail's command line" "$args" '@'

dec=$(sed -n '/BEGIN PGP MESSAGE/,/END PGP MESSAGE/p' "$SANDBOX/outbox/1.eml" |
	GNUPGHOME=$SANDBOX/gnupg-reporters gpg --batch --status-fd 1 --decrypt 2>/dev/null)
like "decrypts with the reporter's key to the template's words" "$dec" \
	'thank you for writing to us about "Encrypted report"'
like "the inner part is text/plain utf-8" "$dec" '^Content-Type: text/plain; charset=utf-8'
like "the decrypted part carries a good signature" "$dec" '^\[GNUPG:\] GOODSIG '
like "... by the team key" "$dec" "^\\[GNUPG:\\] VALIDSIG $(cat "$SANDBOX/fpr/team") "
team_sub=$(gpg --batch --with-colons --list-keys "$(cat "$SANDBOX/fpr/team")" | awk -F: '$1 == "sub" { print $5 }')
like "also encrypted to the team key" "$dec" "^\\[GNUPG:\\] ENC_TO $team_sub "

show=$("$E" show "$ENC" --format=json)
is "show: the ack is met" "$(printf '%s' "$show" | jq -r '.deadlines[] | select(.kind == "ack") | .urgency')" met
is "show: a reply-sent event" "$(printf '%s' "$show" | jq '[.events[] | select(.kind == "reply-sent")] | length')" 1
is "show: the sent copy is in the thread, verified as the team's" \
	"$(printf '%s' "$show" | jq -r '.messages[1].team_reply')" verified
like "show: the team can read its own copy" "$(printf '%s' "$show" | jq -r '.messages[1].body')" 'thank you for writing'
check "the sent copy is in the sent folder" sh -c "ls '$SANDBOX/mail/Sent/cur/' | grep -q ':2,S\$'"
"$E" reply "$ENC" --template ack | grep -q '^draft of case .* saved'
is "the draft was deleted when sent (a new one starts from the template)" "$?" 0

# --- a reporter whose key is missing -----------------------------------------------
INL=$(case_of "Inline encrypted report")
gpg --batch --yes --delete-keys "$(cat "$SANDBOX/fpr/rita")" 2>/dev/null
err=$(printf 'Hello,\nMARK-DRAFT-E2E-8842 the fix is in review.\n' |
	"$E" reply "$INL" --template update --body-file - --send 2>&1 >/dev/null)
is "missing key: exit 1" "$?" 1
like "the message names the key problem" "$err" \
	'rita@reporter.test has no usable OpenPGP key \(missing\): import it with `gpg --import KEYFILE`'
like "... says why encryption is required" "$err" 'the reporter wrote encrypted'
like "... and that the draft is kept" "$err" 'the draft is kept'
is "... on one line" "$(printf '%s\n' "$err" | wc -l)" 1
is "nothing was sent" "$(outbox_n)" 1
out=$("$E" reply "$INL" --template update)
is "the plan can still be shown" "$?" 0
like "the draft is offered" "$out" '^using the saved draft of case '
like "the plan refuses" "$out" '^refused: rita@reporter.test has no usable OpenPGP key \(missing\)'
like "the plan says NOT ENCRYPTED" "$out" '^rita@reporter.test: NOT ENCRYPTED'

# --- sendmail failing --------------------------------------------------------------
PLAIN=$(case_of "Heap overflow in the config parser")
err=$(SENDMAIL_EXIT=1 SENDMAIL_STDERR="relay refused: try later" \
	"$E" reply "$PLAIN" --template ack --send 2>&1 >/dev/null)
is "sendmail failing: exit 1" "$?" 1
like "its stderr is shown" "$err" 'relay refused: try later'
like "its status is shown" "$err" 'exited with status 1'
like "the draft is kept" "$err" 'the draft is kept'
out=$("$E" reply "$PLAIN" --template ack)
like "the draft is there" "$out" '^using the saved draft of case '
like "plain reporter without a key, auto: NOT ENCRYPTED" "$out" '^carol@plain.test: NOT ENCRYPTED'
isnt_met=$(deadline "$PLAIN" ack)
unlike "the ack is not met by a failed send" "$isnt_met" '^met$'
is "no reply-sent event" \
	"$("$E" show "$PLAIN" --format=json | jq '[.events[] | select(.kind == "reply-sent")] | length')" 0

# --- no plaintext at rest ----------------------------------------------------------
like "the search finds what is there (the plain report's marker)" \
	"$(grep -rlaF -- MARK-PLAIN "$SANDBOX" 2>/dev/null)" '/mail/INBOX/'
for mark in MARK-ENC-SIGNED MARK-INLINE-ENC MARK-DRAFT-E2E-8842; do
	hits=$(grep -rlaF -- "$mark" "$SANDBOX" 2>/dev/null)
	is "no file in the sandbox contains $mark" "$hits" ""
done

done_testing
