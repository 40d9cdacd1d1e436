#!/bin/sh
# Hostile mail: escape sequences (a title change, a screen clear, colours)
# and bidi overrides in the Subject, From and body reach the screen only as
# visible markers: the pane title stays, the layout holds.
. "$top_srcdir/tests/e2e/lib.sh"

ESC=$(printf '\033')
sandbox_new

# The Subject, RFC 2047-encoded so the bytes survive any mail path:
# "Hostile ESC]0;pwned BEL U+202E evil U+202C MARK-HOSTILE".
subj=$(printf 'Hostile \033]0;pwned\007 \342\200\256evil\342\200\254 MARK-HOSTILE' | base64 | tr -d '\n')
{
	printf 'From: "Eve \033]2;pwned-from\007 Evil" <eve@evil.test>\n'
	printf 'To: security@example.org\n'
	printf 'Subject: =?UTF-8?B?%s?=\n' "$subj"
	printf 'Date: Sun, 22 Nov 2026 10:00:00 +0000\n'
	printf 'Message-ID: <hostile@fixture.test>\n'
	printf 'Content-Type: text/plain; charset=utf-8\n\n'
	printf 'MARK-HOSTILE-BODY \033]0;pwned-body\007 title\n'
	printf '\033[2J\033[H cleared? \033[31mred? MARK-RED\n'
	printf '\342\200\256 reversed MARK-BIDI\n'
	printf '[signed: Trusted Person <ceo@example.org> 0123456789ABCDEF]\n'
} >"$SANDBOX/mail/INBOX/new/1700000003.hostile.fixture"
# Wide and combining characters: columns must stay aligned.
wide=$(printf '=?UTF-8?B?%s?=' "$(printf '\345\261\261\347\224\260\345\244\252\351\203\216%.0s' 1 2 3 | base64 | tr -d '\n')")
{
	printf 'From: %s <yamada@wide.test>\n' "$wide"
	printf 'To: security@example.org\n'
	printf 'Subject: =?UTF-8?B?%s?=\n' "$(printf 'WIDE-SUBJECT \346\227\245\346\234\254\350\252\236 cafe\314\201' | base64 | tr -d '\n')"
	printf 'Date: Sun, 22 Nov 2026 09:00:00 +0000\n'
	printf 'Message-ID: <wide@fixture.test>\n'
	printf 'Content-Type: text/plain; charset=utf-8\n\nwide\n'
} >"$SANDBOX/mail/INBOX/new/1700000004.wide.fixture"
notmuch new >/dev/null 2>&1 || bail_out "notmuch new failed"
id=$("$EMBARGO_BIN" list | awk '/MARK-HOSTILE/ { print $1; exit }')
[ -n "$id" ] || bail_out "the hostile report is not a case"

# subject_col PATTERN: the display column where a row's subject (PATTERN) starts.
subject_col() {
	tui_screen | grep -E -- "$1" | head -n 1 | sed "s/$1.*//" | tr -d '\n' | wc -L
}
tui_start 120 40
tui_wait_for 'WIDE-SUBJECT' || bail_out "the queue did not come up"
like "a wide name is clipped with an ellipsis" "$(tui_screen)" ' 山田太郎山田太郎山田… +WIDE-SUBJECT'
is "wide characters keep the subject column aligned" "$(subject_col 'WIDE-SUBJECT')" \
	"$(subject_col 'Heap overflow')"
like "combining characters stay with their letter" "$(tui_screen)" "WIDE-SUBJECT 日本語 $(printf 'cafe\314\201')\$"
tui_stop
_n=100
while [ -S "$SANDBOX/tmux.sock" ] && [ "$_n" -gt 0 ]; do
	sleep 0.05
	_n=$((_n - 1))
done

tui_start 80 24
tui_wait_for '  #   next' || bail_out "the queue did not come up"
title=$(tui_title)
unlike "the pane title is not the mail's" "$title" 'pwned'

# Bring the hostile case into view and check its row.
tui_keys /
tui_wait_for '^notmuch query' || true
tui_type 'id:hostile@fixture.test'
tui_keys Enter
tui_wait_for '1 of 15 cases' || true
s=$(tui_screen)
like "the row shows the subject with the escape replaced by a marker" "$s" \
	"^ +$id .*Eve .*Hostile ␛ "
unlike "no raw escape reaches the screen" "$(tui_screen_color | sed "s/$ESC\[[0-9;]*m//g")" "$ESC"
is "the title is unchanged" "$(tui_title)" "$title"
like "the layout holds: status bar on line 1" "$(printf '%s\n' "$s" | sed -n 1p)" '^ alice@example.org  1 of 15 cases'
like "the layout holds: headings on line 2" "$(printf '%s\n' "$s" | sed -n 2p)" '^  #   next'
like "the layout holds: the timeline title on line 13" "$(printf '%s\n' "$s" | sed -n 13p)" '^ timeline'
is "no line is wider than the screen" \
	"$(printf '%s\n' "$s" | wc -L | awk '{ print ($1 <= 80) ? "fits" : $1 " columns" }')" "fits"

tui_keys Enter
tui_wait_for "^ #$id " || true
tui_keys z
tui_wait_for 'MARK-BIDI' || true
s=$(tui_screen)
c=$(tui_screen_color)
like "the bidi override shows as a marker" "$s" '^  │ ⇄ reversed MARK-BIDI'
like "the body's title sequence shows as a marker" "$s" '^  │ MARK-HOSTILE-BODY ␛ title'
like "the screen clear shows as markers" "$s" '␛␛ cleared\? ␛red\? MARK-RED'
unlike "the body's colour escape does not colour the text" "$c" "$ESC\[[0-9;]*31mred\? MARK-RED"
like "a fake badge in the body stays behind the gutter" "$s" '^  │ \[signed: Trusted Person'
unlike "the fake badge is not in the badge column" "$s" '^   \[signed: Trusted Person'
like "the From with its escape is a marker too" "$s" '^── 2026-11-22 10:00  "?Eve ␛ Evil'
unlike "no raw escape reaches the screen (timeline)" "$(printf '%s\n' "$c" | sed "s/$ESC\[[0-9;]*m//g")" "$ESC"
is "the title is still unchanged" "$(tui_title)" "$title"
is "no line is wider than the screen (timeline)" \
	"$(printf '%s\n' "$s" | wc -L | awk '{ print ($1 <= 80) ? "fits" : $1 " columns" }')" "fits"

done_testing
