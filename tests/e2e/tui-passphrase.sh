#!/bin/sh
# A secret key with a passphrase: opening mail encrypted to it asks on
# embargo's own masked prompt (loopback pinentry, no pinentry window needed
# over SSH), and the message then shows decrypted.
. "$top_srcdir/tests/e2e/lib.sh"

sandbox_new
E=$EMBARGO_BIN
PASS=s3cret-Pass

gpg --batch --quiet --pinentry-mode loopback --passphrase "$PASS" \
	--quick-gen-key 'Locked Team Key <locked@example.org>' ed25519 cert,sign never 2>/dev/null ||
	bail_out "cannot make a key with a passphrase"
fpr=$(gpg --batch --with-colons --list-secret-keys locked@example.org 2>/dev/null | awk -F: '/^fpr/ {print $10; exit}')
gpg --batch --quiet --pinentry-mode loopback --passphrase "$PASS" \
	--quick-add-key "$fpr" cv25519 encr never 2>/dev/null ||
	bail_out "cannot add an encryption subkey"
# Forget the passphrase the agent cached while making the key.
gpgconf --reload gpg-agent

body=$(printf 'The locked report.\n\nMARK-LOCKED\n' |
	gpg --batch --armor --trust-model always --encrypt -r locked@example.org 2>/dev/null) ||
	bail_out "cannot encrypt to the locked key"
cat >"$SANDBOX/mail/INBOX/new/1700000100.locked.fixture" <<EOM
From: Rita Reporter <rita@reporter.test>
To: security@example.org
Subject: Locked report
Date: Sun, 22 Nov 2026 11:00:00 +0000
Message-ID: <locked@fixture.test>
MIME-Version: 1.0
Content-Type: text/plain; charset=us-ascii

$body
EOM
notmuch new --quiet || bail_out "notmuch new failed"
id=$("$E" list --format=json | jq -r '.[] | select(.subject == "Locked report") | .id')
[ -n "$id" ] || bail_out "the locked report is not a case"

tui_start 100 50
tui_wait_for "14 cases" || bail_out "the interface did not start"
# Narrow the queue to the locked report with a notmuch query.
tui_keys /
tui_type "id:locked@fixture.test"
tui_keys Enter
tui_wait_for "1 of " 5 >/dev/null || :
tui_keys Enter
if tui_wait_for "passphrase for" 15; then
	ok "opening the case asks for the passphrase on embargo's own prompt"
else
	not_ok "opening the case asks for the passphrase on embargo's own prompt"
fi
like "the prompt names the key" "$(tui_screen)" "passphrase for .*locked@example.org"
tui_type "$PASS"
s=$(tui_screen)
unlike "what is typed is not shown" "$s" "$PASS"
like "what is typed is masked" "$s" "passphrase for .*\*\*\*\*"
tui_keys Enter
if tui_wait_for "MARK-LOCKED" 15; then
	ok "after the passphrase the message shows decrypted"
else
	not_ok "after the passphrase the message shows decrypted"
fi
unlike "the passphrase is nowhere on screen" "$(tui_screen)" "$PASS"
tui_keys Q
tui_wait_exit 10 >/dev/null 2>&1
is "quitting exits 0" "$(tui_exit_status)" 0
if grep -rqs -- "$PASS" "$SANDBOX" --exclude-dir=gnupg-reporters; then
	not_ok "the passphrase is in no file of the sandbox"
else
	ok "the passphrase is in no file of the sandbox"
fi

done_testing
