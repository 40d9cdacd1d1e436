#!/bin/sh
# Team sync over mail ([team] sync = mail): two machines (alice on A, bob on
# B) whose sendmail spools into the other's maildir, changing the same cases
# in a seeded random order with mail delivered in a random order, end with
# identical `list --all --format=json`; a claim race ends with the same
# handler on both; forged event mails change nothing and warn; event mails
# are no team replies; with sync = off nothing extra is mailed.
. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/e2e/lib.sh"

E=$EMBARGO_BIN
SEED=${SYNC_SEED:-20261122}
STEPS=${SYNC_STEPS:-24}

sandbox_new
A=$SANDBOX

# Machine B: a copy of A (same mail, same team keyring: both handlers' secret
# keys are in it) with its own paths, store and identity.
GNUPGHOME=$A/gnupg gpgconf --kill all 2>/dev/null
GNUPGHOME=$A/gnupg-reporters gpgconf --kill all 2>/dev/null
B=$(mktemp -d /tmp/emb.XXXXXX) || bail_out "mktemp failed"
_lib_sandboxes="$_lib_sandboxes $B"
cp -a "$A/." "$B/" || bail_out "cannot copy $A to $B"
rm -f "$B"/gnupg/S.* "$B"/gnupg-reporters/S.* "$B"/cases.db*
for f in config env notmuch-config bin/sendmail; do
	sed -i "s|$A|$B|g" "$B/$f" || bail_out "cannot rewrite $B/$f"
done
sed -i 's/^me = alice@example.org$/me = bob@example.org/' "$B/config"

# Each machine's sendmail records the mail in its outbox (bin/sendmail) and
# spools a copy for the peer and one for itself (the list sends everything
# to every member); deliver() moves spooled mail into the maildir.
for pair in "$A $B" "$B $A"; do
	set -- $pair
	mkdir -p "$1/spool"
	cat >"$1/bin/sync-sendmail" <<EOF
#!/bin/sh
t=\$(mktemp '$1/spool/.in.XXXXXX') || exit 75
cat >"\$t" || exit 75
'$1/bin/sendmail' "\$@" <"\$t" || exit \$?
cp "\$t" "\$(mktemp '$2/spool/m.XXXXXX')" && mv "\$t" "\$(mktemp '$1/spool/m.XXXXXX')"
EOF
	chmod +x "$1/bin/sync-sendmail"
	sed -i "s|^sendmail = .*|sendmail = $1/bin/sync-sendmail -oi -t|" "$1/config"
	printf '\n[team]\nsync = mail\n' >>"$1/config"
done

# --- a seeded random source and helpers -----------------------------------

# rnd N: a number in 0..N-1 into R (a linear congruential generator).
rnd() {
	SEED=$(((SEED * 1103515245 + 12345) % 2147483648))
	R=$(((SEED / 65536) % $1))
}

BASE=$(date -u -d "$FIXTURE_NOW" +%s)
TICK=0
# now: advances the shared clock by a minute.
now() {
	TICK=$((TICK + 1))
	NOW=$(date -u -d "@$((BASE + TICK * 60))" +%Y-%m-%dT%H:%M:%SZ)
}
NOW=$FIXTURE_NOW

# on MACHINE ARGS...: runs embargo as that machine at $NOW (stdout; stderr to MACHINE/stderr).
on() {
	_m=$1
	shift
	(. "$_m/env" && EMBARGO_NOW=$NOW "$E" "$@") 2>"$_m/stderr"
}

# deliver MACHINE [MAX]: delivers up to MAX (default all) spooled mails in a random order, then notmuch new.
deliver() {
	_n=0
	_max=${2:-100000}
	while [ "$_n" -lt "$_max" ]; do
		set -- "$1" "$_max"
		_files=$(ls "$1/spool" | grep '^m\.' || true)
		[ -n "$_files" ] || break
		_count=$(printf '%s\n' "$_files" | wc -l)
		rnd "$_count"
		_f=$(printf '%s\n' "$_files" | sed -n "$((R + 1))p")
		mv "$1/spool/$_f" "$1/mail/INBOX/new/sync.$TICK.$_n.$_f"
		_n=$((_n + 1))
	done
	(. "$1/env" && notmuch new --quiet) || bail_out "notmuch new failed on $1"
}

# listing MACHINE: `list --all --format=json` without the machine-local id and thread.
listing() {
	on "$1" list --all --format=json | sed 's/"id":[0-9]*,//g; s/"thread":"[0-9a-f]*",//g'
}

outbox_count() {
	ls "$1/outbox" | grep -c '\.eml$'
}

# The refs of the cases the steps work on.
JSON=$(on "$A" list --all --format=json)
ref_of() {
	printf '%s\n' "$JSON" | grep -o "\"ref\":\"[0-9A-Z]*\",\"thread\":\"[0-9a-f]*\",\"subject\":\"$1" |
	    sed 's/^"ref":"\([0-9A-Z]*\)".*/\1/'
}
PLAIN=$(ref_of "Heap overflow")
AUTH=$(ref_of "Auth bypass")
ENC=$(ref_of "Encrypted report")
[ -n "$PLAIN" ] && [ -n "$AUTH" ] && [ -n "$ENC" ] || bail_out "cases not found: $JSON"
on "$B" list >/dev/null || bail_out "B cannot list: $(cat "$B/stderr")"

# --- one event, end to end ------------------------------------------------

before=$(outbox_count "$A")
now
on "$A" set "$PLAIN" state triaged >/dev/null
is "set on A mails one event" "$(outbox_count "$A")" "$((before + 1))"
MAIL=$A/outbox/$(outbox_count "$A").eml
like "the event mail is addressed to the team" "$(cat "$MAIL")" '^To: security@example.org$'
like "it replies to the report" "$(cat "$MAIL")" '^In-Reply-To: <plain@fixture.test>$'
like "it is marked as an event mail" "$(cat "$MAIL")" '^X-Embargo-Event: [0-9a-f-]{36}$'
like "it is PGP/MIME encrypted" "$(cat "$MAIL")" '^Content-Type: multipart/encrypted'
unlike "the change is not in clear" "$(cat "$MAIL")" 'triaged'
INNER=$(. "$A/env" && sed -n '/BEGIN PGP MESSAGE/,/END PGP MESSAGE/p' "$MAIL" |
    gpg --batch --status-fd 1 --decrypt 2>/dev/null)
like "inside: a line for people" "$INNER" "^alice@example.org set state of case $PLAIN: new -> triaged"
like "inside: the event as JSON" "$INNER" '^Content-Type: application/vnd.embargo.event\+json'
like "signed by alice's own key" "$INNER" "GOODSIG [0-9A-F]+ Alice Handler <alice@example.org>"
deliver "$B"
deliver "$A"
like "B has A's change after delivery" "$(on "$B" show "$PLAIN" --format=json)" '"state":"triaged"'
is "B shows no warning for it" "$(cat "$B/stderr")" ""
is "A ignores its own echo quietly" "$(on "$A" list >/dev/null; cat "$A/stderr")" ""
like "event mails are no team reply: ack still unmet on A" "$(on "$A" show "$PLAIN" --format=json)" \
    '"kind":"ack","due":"[^"]*","met_at":null'
like "nor on B" "$(on "$B" show "$PLAIN" --format=json)" '"kind":"ack","due":"[^"]*","met_at":null'
is "B mailed nothing back (imports are not re-sent)" "$(outbox_count "$B")" 0

# --- random turns ---------------------------------------------------------

CASES="$PLAIN $AUTH $ENC"
SEVERITIES="critical important moderate minor none"
STATES="acknowledged triaged confirmed fixing fix-ready rejected closed new"
pick() { # pick WORDS...: one of them into P
	shift 0
	_c=$#
	rnd "$_c"
	eval "P=\${$((R + 1))}"
}
failures=0
i=0
while [ "$i" -lt "$STEPS" ]; do
	i=$((i + 1))
	now
	rnd 2
	if [ "$R" -eq 0 ]; then M=$A; else M=$B; fi
	pick $CASES
	C=$P
	rnd 7
	case $R in
	0) pick $SEVERITIES; set -- set "$C" severity "$P" ;;
	1) set -- note "$C" "note $i on $C" ;;
	2) set -- set "$C" cve "CVE-2026-$((1000 + i))" ;;
	3) set -- set "$C" affected "< 1.$i" ;;
	4) set -- set --force "$C" handler me ;;
	5) pick $STATES; set -- set "$C" state "$P" ;;
	6) set -- set "$C" embargo "2026-12-$((10 + i % 15))T12:00:00Z" ;;
	esac
	# A state change may be refused (not allowed from the state there): that changes nothing.
	if ! on "$M" "$@" >/dev/null; then
		case $1:$3 in
		set:state) ;;
		*) failures=$((failures + 1)); diag "step $i on $M: $* failed: $(cat "$M/stderr")" ;;
		esac
	fi
	# Some mail arrives now, in any order; the rest later.
	rnd 3
	deliver "$A" "$R"
	rnd 3
	deliver "$B" "$R"
done
is "every random step but refused state changes succeeded" "$failures" 0
deliver "$A"
deliver "$B"
now
LA=$(listing "$A")
LB=$(listing "$B")
is "after the mail, A and B list the same cases, fields and deadlines" "$LA" "$LB"
is "no warnings on A" "$(cat "$A/stderr")" ""
is "no warnings on B" "$(cat "$B/stderr")" ""
unlike "the steps changed something" "$LA" '^$'

# --- a claim race across machines ----------------------------------------

now
on "$A" set "$ENC" handler none --force >/dev/null
deliver "$A"
deliver "$B"
now
# Both claim before any mail moves: each succeeds locally.
check "alice claims on A" on "$A" set "$ENC" handler me
check "bob claims on B" on "$B" set "$ENC" handler me
deliver "$B"
deliver "$A"
now
HA=$(on "$A" show "$ENC" --format=json | grep -o '"handler":"[^"]*"' | head -1)
HB=$(on "$B" show "$ENC" --format=json | grep -o '"handler":"[^"]*"' | head -1)
like "the race has a winner" "$HA" '"handler":"(alice|bob)@example.org"'
is "the same handler won on both machines" "$HB" "$HA"
is "and everything else agrees" "$(listing "$B")" "$(listing "$A")"

# --- forged event mails ---------------------------------------------------

BEFORE=$(listing "$B")
TEAM_FPR=$(cat "$A/fpr/team")
UUIDN=0
# forge NAME GPGHOME GPGARGS...: a mail From alice, marked as an event,
# whose body is the JSON (setting severity of ENC to critical) treated by
# gpg with GPGARGS (encrypt only, sign and encrypt, ...), into B's maildir.
forge() {
	_name=$1
	_home=$2
	shift 2
	UUIDN=$((UUIDN + 1))
	_uuid=$(printf '0000000%d-0000-7000-8000-000000000000' "$UUIDN")
	_json="{\"version\": 1, \"uuid\": \"$_uuid\", \"case_msgid\": \"enc-signed@fixture.test\", \"author\": \"${AUTHOR:-alice@example.org}\", \"at\": \"2027-01-01T00:00:00Z\", \"kind\": \"severity\", \"field\": \"severity\", \"value\": \"critical\", \"prev\": null}"
	_inner=$(printf 'Content-Type: application/vnd.embargo.event+json\r\n\r\n%s\r\n' "$_json")
	if [ "$1" = plain ]; then
		_ct='Content-Type: application/vnd.embargo.event+json'
		_body=$_json
	else
		_ct='Content-Type: multipart/encrypted; boundary="b1"; protocol="application/pgp-encrypted"'
		_crypt=$(printf '%s\r\n' "$_inner" | GNUPGHOME=$_home gpg --batch --quiet --armor \
		    --trust-model always "$@" -r "$TEAM_FPR" 2>/dev/null) ||
			bail_out "gpg failed forging $_name"
		_body=$(printf -- '--b1\nContent-Type: application/pgp-encrypted\n\nVersion: 1\n\n--b1\nContent-Type: application/octet-stream\n\n%s\n--b1--\n' "$_crypt")
	fi
	cat >"$B/mail/INBOX/new/forged.$_name" <<EOF
From: Alice Handler <alice@example.org>
To: security@example.org
Subject: [embargo] event on case $ENC
Message-ID: <forged-$_name@evil.test>
In-Reply-To: <enc-signed@fixture.test>
References: <enc-signed@fixture.test>
Date: Sun, 22 Nov 2026 12:30:00 +0000
X-Embargo-Event: $_uuid
MIME-Version: 1.0
$_ct

$_body
EOF
}
MALLORY=$(cat "$A/fpr/mallory")
forge plain "$A/gnupg-reporters" plain
forge unsigned "$A/gnupg-reporters" --encrypt
forge mallory "$A/gnupg-reporters" --sign -u "$MALLORY" --encrypt
AUTHOR=mallory@evil.test forge mallory-author "$A/gnupg-reporters" --sign -u "$MALLORY" --encrypt
# An attacker's own key whose user id claims alice's address, imported
# (not certified) into the team keyring.
EVIL=$(mktemp -d /tmp/emb-evil.XXXXXX) || bail_out "mktemp failed"
GNUPGHOME=$EVIL gpg --batch --quiet --passphrase '' --quick-gen-key \
    'Alice Handler <alice@example.org>' future-default default never 2>/dev/null ||
	bail_out "cannot make the attacker's key"
GNUPGHOME=$A/gnupg-reporters gpg --batch --export "$TEAM_FPR" |
    GNUPGHOME=$EVIL gpg --batch --quiet --import 2>/dev/null
GNUPGHOME=$EVIL gpg --batch --export alice@example.org |
    GNUPGHOME=$B/gnupg gpg --batch --quiet --import 2>/dev/null
forge fake-alice "$EVIL" --sign --encrypt
GNUPGHOME=$EVIL gpgconf --kill all 2>/dev/null
rm -rf "$EVIL"
(. "$B/env" && notmuch new --quiet)

AFTER=$(listing "$B")
WARN=$(cat "$B/stderr")
is "forged event mails change nothing" "$AFTER" "$BEFORE"
like "unencrypted forgery: warned" "$WARN" '<forged-plain@evil.test>: it is not PGP/MIME encrypted'
like "unsigned forgery: warned" "$WARN" '<forged-unsigned@evil.test>: it is not signed'
like "mallory's key for alice: warned" "$WARN" "<forged-mallory@evil.test>: it is signed by key $MALLORY, which is not alice@example.org's key"
like "mallory as author: warned" "$WARN" '<forged-mallory-author@evil.test>: its author mallory@evil.test is not one of \[mail\] handlers'
like "a key claiming alice, not certified: warned" "$WARN" '<forged-fake-alice@evil.test>: it is signed by key [0-9A-F]+, which claims alice@example.org but is not certified'
is "each forgery warned once" "$(on "$B" list >/dev/null; cat "$B/stderr")" ""
unlike "forgeries are no team reply either" "$(on "$B" show "$ENC" --format=json)" \
    '"kind":"ack","due":"[^"]*","met_at":"'

# --- sync = off: nothing extra is mailed -----------------------------------

sed -i 's/^sync = mail$/sync = off/' "$A/config"
before=$(outbox_count "$A")
now
check "set with sync = off" on "$A" set "$AUTH" severity minor
check "note with sync = off" on "$A" note "$AUTH" "a local note"
is "with sync = off nothing is mailed" "$(outbox_count "$A")" "$before"
sed -i 's/^sync = off$/sync = mail/' "$A/config"
now
check "sync back on" on "$A" list
is "turning sync on does not mail the backlog" "$(outbox_count "$A")" "$before"

done_testing
