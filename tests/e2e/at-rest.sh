#!/bin/sh
# No plaintext at rest: after embargo has read encrypted reports, no file of
# the sandbox (store, notmuch database, temp files) holds their plaintext;
# what it writes is private; it runs with umask 077 and without core dumps;
# it warns when notmuch would index decrypted text.
. "$top_srcdir/tests/e2e/lib.sh"

E=$EMBARGO_BIN
# Plaintext markers of the fixture's encrypted reports (tests/fixture/README.md).
MARKS='MARK-ENC-SIGNED MARK-INLINE-ENC MARK-ENC-UNKNOWN'

sandbox_new
mkdir -p "$SANDBOX/tmp"
TMPDIR=$SANDBOX/tmp
export TMPDIR

# --- read every case, encrypted ones included, and write to the store ----------------

# A shell umask of 000: whatever embargo creates must still be private.
umask 000
"$E" list --all --format=json >"$SANDBOX/list.json" 2>"$SANDBOX/list.err" ||
	bail_out "embargo list failed: $(cat "$SANDBOX/list.err")"
fails=
for id in $(jq -r '.[].id' "$SANDBOX/list.json"); do
	"$E" show "$id" --format=json >"$SANDBOX/show.json" 2>&1 || fails="$fails $id"
	"$E" show "$id" >/dev/null 2>&1 || fails="$fails $id(text)"
done
enc=$(jq -r '.[] | select(.subject == "Encrypted report") | .id' "$SANDBOX/list.json")
"$E" note "$enc" "read the encrypted report" >/dev/null 2>&1 || fails="$fails note"
"$E" set "$enc" state triaged >/dev/null 2>&1 || fails="$fails set"
"$E" due --format=json >/dev/null 2>&1
[ $? -le 3 ] || fails="$fails due"
umask 077
is "list, show (JSON and text) of every case, note, set and due ran" "$fails" ""
like "the encrypted reports were really decrypted" \
	"$("$E" show "$enc" --format=json | jq -r '.messages[0].body')" MARK-ENC-SIGNED
rm -f "$SANDBOX/show.json" "$SANDBOX/list.json" "$SANDBOX/list.err"

# --- then search every file for the plaintext ---------------------------------------------

for m in $MARKS; do
	found=$(grep -rlaF -- "$m" "$SANDBOX" 2>/dev/null | tr '\n' ' ')
	is "no file in the sandbox holds $m (store, notmuch database, temp files)" "$found" ""
done
is "notmuch did not index the plaintext" "$(notmuch count MARK-ENC-SIGNED OR MARK-INLINE-ENC)" 0

# --- what embargo wrote is private ------------------------------------------------------

ls "$SANDBOX"/cases.db >/dev/null 2>&1 || not_ok "the store exists"
is "the store (and any -wal/-shm/-journal) is mode 0600 though the shell's umask was 000" \
	"$(find "$SANDBOX" -maxdepth 1 -name 'cases.db*' ! -perm 0600 | tr '\n' ' ')" ""
is "nothing embargo created under XDG_DATA/STATE/CACHE_HOME or TMPDIR is readable by others" \
	"$(find "$XDG_DATA_HOME" "$XDG_STATE_HOME" "$XDG_CACHE_HOME" "$TMPDIR" -mindepth 1 -newer "$SANDBOX/env" -perm /077 | tr '\n' ' ')" ""

# --- umask and core dumps, read from a running embargo ---------------------------------------

# sqlite3 holds the store's write lock for two seconds, so `embargo note`
# waits (its busy timeout) long enough to be looked at.
(echo 'BEGIN IMMEDIATE;'; echo 'DELETE FROM meta WHERE 0;'; sleep 2; echo 'COMMIT;') |
	sqlite3 "$SANDBOX/cases.db" &
locker=$!
sleep 0.3
(
	umask 022
	ulimit -c unlimited 2>/dev/null || ulimit -c 1024 2>/dev/null
	exec "$E" note "$enc" "while locked"
) >/dev/null 2>&1 &
pid=$!
n=0
while [ "$n" -lt 40 ] && [ "$(cat "/proc/$pid/comm" 2>/dev/null)" != embargo ]; do
	sleep 0.05
	n=$((n + 1))
done
# Past exec, give it time to reach the lock (main() sets umask and limits first).
sleep 0.5
if [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = embargo ] && [ -r "/proc/$pid/limits" ]; then
	umask_now=$(sed -n 's/^Umask:[[:space:]]*//p' "/proc/$pid/status")
	core=$(awk '/^Max core file size/ { print $5 }' "/proc/$pid/limits")
	is "embargo runs with umask 077 (started under 022)" "$umask_now" 0077
	is "embargo runs with core dumps off (started with them allowed)" "$core" 0
else
	ok "embargo runs with umask 077 # SKIP cannot read /proc/PID of a running embargo here"
	ok "embargo runs with core dumps off # SKIP cannot read /proc/PID of a running embargo here"
fi
wait "$locker"
wait "$pid"
is "the note waited for the lock and was written" "$?" 0

# --- notmuch's index.decrypt ---------------------------------------------------------------

err=$("$E" list 2>&1 >/dev/null)
unlike "no index.decrypt warning with index.decrypt=auto" "$err" "index.decrypt"
for v in true nostash; do
	notmuch config set index.decrypt "$v"
	err=$("$E" list 2>&1 >/dev/null)
	like "a warning at start when index.decrypt=$v" "$err" "^embargo: warning: .*index\.decrypt"
done
notmuch config set index.decrypt auto

done_testing
