#!/bin/sh
# The TUI's timeline: opening a case shows its deadlines, decrypted text and
# badges that say exactly what was verified, drawn where mail cannot imitate them.
. "$top_srcdir/tests/e2e/lib.sh"

sandbox_new
# A reply in the five-message thread that quotes, for folding.
cat >"$SANDBOX/mail/INBOX/new/1700000001.t5-quote.fixture" <<'EOF'
From: Rita Reporter <rita@reporter.test>
To: security@example.org
Subject: Re: Auth bypass in login form
Date: Thu, 12 Nov 2026 10:00:00 +0000
Message-ID: <t5-quote@fixture.test>
In-Reply-To: <t5-5@fixture.test>
References: <t5-1@fixture.test> <t5-5@fixture.test>
Content-Type: text/plain; charset=utf-8

Earlier you wrote:
> MARK-QUOTED-1
> MARK-QUOTED-2

MARK-AFTER-QUOTE
EOF
# Two different files with one Message-ID: the timeline must warn (one may be forged).
for v in 1 2; do
	cat >"$SANDBOX/mail/INBOX/new/1700000002.dup-$v.fixture" <<EOF
From: Dana Dup <dana@reporter.test>
To: security@example.org
Subject: Duplicate report
Date: Fri, 20 Nov 2026 09:00:00 +0000
Message-ID: <dup-1@fixture.test>
Content-Type: text/plain; charset=utf-8

MARK-DUP-BODY version $v
EOF
done
notmuch new >/dev/null 2>&1 || bail_out "notmuch new failed"
tui_start 100 60
tui_wait_for 'Heap overflow' || bail_out "the queue did not come up"

# open_case MSGID: narrows the queue to the thread of <MSGID@fixture.test> and opens it.
opened=
open_case() {
	# q leaves the timeline; in the queue it would quit.
	[ -z "$opened" ] || tui_keys q
	opened=yes
	tui_keys /
	tui_wait_for 'notmuch query' || return 1
	tui_keys C-u
	tui_type "id:$1@fixture.test"
	tui_keys Enter
	tui_wait_for "^ alice@example.org  1 of [0-9]+ cases .* filter: /id:$1@" || return 1
	id=$(tui_screen | sed -n 3p | awk '{ print $1 }')
	tui_keys Enter
	tui_wait_for "^ #$id [0-9A-Z]{5} " || return 1
}

if open_case enc-signed; then
	ok "the encrypted report opens"
else
	not_ok "the encrypted report opens"
fi
tui_wait_for 'MARK-ENC-SIGNED' && ok "decrypted text is shown" ||
	not_ok "decrypted text is shown"
s=$(tui_screen)
rita=$(cat "$SANDBOX/fpr/rita")
short=$(printf '%s' "$rita" | cut -c25-40)
like "the encrypted badge" "$s" '^   \[encrypted\] '
like "the signature badge names the signer and the short fingerprint" "$s" \
	"\[signed: Rita Reporter <rita@reporter.test> $short\]"
unlike "a good signature gets no warning" "$s" 'signer is not From|BAD SIGNATURE|partly signed'
like "the deadlines come first" "$s" '^  ack +due 2026-11-22 12:00'
like "the message has a header line" "$s" '^── 2026-11-21 12:00  Rita Reporter <rita@reporter.test>'
like "the body sits behind the gutter" "$s" '^  │ MARK-ENC-SIGNED'
c=$(tui_screen_color)
# The badge is drawn in its own colour (green), not as plain mail text.
like "the badge has its own colour" "$c" "$(printf '\033')\[[0-9;]*32m\[encrypted\]"

open_case signed-bad
tui_wait_for 'MARK-SIGNED-BAD' || true
like "an altered signed message says BAD SIGNATURE" "$(tui_screen)" '^   \[BAD SIGNATURE\]'

open_case wrong-uid
tui_wait_for 'Subject: ' || true
like "a signature by another key says signer is not From" "$(tui_screen)" '\[signer is not From\]'

open_case partial
tui_wait_for 'MARK-SIGNED-PART' || true
s=$(tui_screen)
like "a half-signed message says partly signed" "$s" '\[partly signed\]'
like "the unsigned part is marked" "$s" '\[unsigned part\]'

open_case enc-unknown
tui_wait_for 'cannot decrypt' || true
like "mail for another key says cannot decrypt, with the reason" "$(tui_screen)" '^   \[cannot decrypt: .+\]'

open_case inline-enc
tui_wait_for 'MARK-INLINE-ENC' && ok "inline PGP is decrypted" || not_ok "inline PGP is decrypted"
like "inline PGP is marked encrypted and signed" "$(tui_screen)" '\[encrypted\] \[signed: Rita Reporter'

open_case dup-1
tui_wait_for 'MARK-DUP-BODY' || true
like "a duplicated Message-ID with different content shows a warning badge" \
	"$(tui_screen)" '^   \[warning: another file with the same Message-ID holds different'
like "the warning badge is in the warning colour" "$(tui_screen_color)" \
	"$(printf '\033')\[[0-9;]*33m\[warning: "

# The five-message thread: next/prev-message jump between headers; quotes fold.
open_case t5-1
tui_wait_for 'MARK-T5-1' || true
# top_line: the first text line of the timeline (under its title bar).
top_line() {
	tui_screen | grep -E -A 1 '^ #[0-9]+ [0-9A-Z]{5} ' | sed -n 2p
}
# wait_top LINE: until the timeline's first line is LINE (5 s at most).
wait_top() {
	_n=100
	while [ "$_n" -gt 0 ] && [ "$(top_line)" != "$1" ]; do
		sleep 0.05
		_n=$((_n - 1))
	done
}
tui_keys n n n
wait_top "── 2026-11-11 08:00  Rita Reporter <rita@reporter.test>"
is "n jumps from message to message (the third is at the top)" "$(top_line)" \
	"── 2026-11-11 08:00  Rita Reporter <rita@reporter.test>"
tui_keys p
wait_top "── 2026-11-10 15:00  Alice Handler <alice@example.org>"
is "p jumps back a message" "$(top_line)" \
	"── 2026-11-10 15:00  Alice Handler <alice@example.org>"
tui_keys G
tui_wait_for 'MARK-AFTER-QUOTE' || true
s=$(tui_screen)
like "quoted text is folded behind a notice" "$s" '^  │ \[2 quoted lines folded: T shows them\]'
unlike "folded lines are not shown" "$s" 'MARK-QUOTED-1'
tui_keys T
tui_wait_for 'MARK-QUOTED-1' && ok "T unfolds quoted text" || not_ok "T unfolds quoted text"
like "quoted lines are shown behind the gutter" "$(tui_screen)" '^  │ > MARK-QUOTED-2'

tui_keys Q
tui_wait_exit && ok "Q quits" || not_ok "Q quits"

done_testing
