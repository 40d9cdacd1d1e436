#!/bin/sh
# Crash safety of the case store: SIGKILL at random moments while events
# are written, a full disk, and three instances writing at once.  Nothing
# acknowledged is lost, the database stays intact, errors are clear.
. "$top_srcdir/tests/e2e/lib.sh"

E=$EMBARGO_BIN
KILLS=${CRASH_KILLS:-200}
CONCURRENT_SECONDS=${CRASH_CONCURRENT_SECONDS:-8}
# CRASH_NO_MOUNT=1: test the full disk without mounting a tmpfs (the fallback).

sandbox_new
W=$SANDBOX/crash
mkdir -p "$W"
DB=$SANDBOX/cases.db
"$E" list >/dev/null 2>&1 || bail_out "embargo list failed on the fixture"
CASE=$("$E" list --format=json |
	jq -r '.[] | select(.subject == "Heap overflow in the config parser") | .id')
[ -n "$CASE" ] || bail_out "no fixture case to write notes to"

# The notes of case $1 as stored, one a line (the program's own view).
notes_of() {
	"${2:-$E}" show "$1" --format=json | jq -r '.events[] | select(.kind == "note") | .detail'
}

# A random number in 0..$1-1.
random_below() {
	echo $(($(od -An -N4 -tu4 /dev/urandom | tr -d ' ') % $1))
}

integrity() {
	sqlite3 "$1" 'PRAGMA integrity_check' 2>&1
}

# --- 1. SIGKILL while writing ------------------------------------------------------

# How long one note takes here, so that the kills land anywhere in it.
t0=$(date +%s%N)
for i in 1 2 3; do
	"$E" note "$CASE" "warm-up $i" >/dev/null 2>&1 || bail_out "embargo note failed"
done
t1=$(date +%s%N)
span_us=$(((t1 - t0) / 3000 * 12 / 10))
[ "$span_us" -gt 1000 ] || span_us=1000
diag "one note takes about $((span_us * 10 / 12 / 1000)) ms; killing at random within $((span_us / 1000)) ms, $KILLS times"

: >"$W/acked"
: >"$W/started"
killed=0 finished=0 odd=
i=0
while [ "$i" -lt "$KILLS" ]; do
	i=$((i + 1))
	text="crash-note-$i"
	echo "$text" >>"$W/started"
	"$E" note "$CASE" "$text" >/dev/null 2>"$W/note.err" &
	pid=$!
	us=$(random_below "$span_us")
	sleep "$(printf '0.%06d' "$us")"
	kill -9 "$pid" 2>/dev/null
	# The braces keep the shell's own "Killed" report off stderr.
	{ wait "$pid"; } 2>/dev/null
	st=$?
	case $st in
	0)
		echo "$text" >>"$W/acked"
		finished=$((finished + 1))
		;;
	137) killed=$((killed + 1)) ;;
	*) odd="$odd $text(exit $st: $(head -c 200 "$W/note.err"))" ;;
	esac
done
diag "$killed runs killed, $finished finished before the kill"
is "every run either finished or was killed (no other failure)" "$odd" ""
if [ "$killed" -gt 0 ]; then
	ok "some runs were killed mid-way ($killed of $KILLS)"
else
	not_ok "some runs were killed mid-way" "all $KILLS finished before the kill: the timing is off"
fi
is "PRAGMA integrity_check after $KILLS kills" "$(integrity "$DB")" ok
notes_of "$CASE" >"$W/stored" || not_ok "show works after the kills"
lost=$(grep -vxF -f "$W/stored" "$W/acked" | tr '\n' ' ')
is "every note acknowledged before its kill is stored ($finished)" "$lost" ""
is "no note stored twice" "$(sort "$W/stored" | uniq -d | tr '\n' ' ')" ""
is "every stored note is whole (one that was started)" \
	"$(grep -vxF -f "$W/started" "$W/stored" | grep -v '^warm-up [123]$' | tr '\n' ' ')" ""
is "the store and its -wal/-shm left by the kills are private (0600)" \
	"$(find "$SANDBOX" -maxdepth 1 -name 'cases.db*' ! -perm 0600 | tr '\n' ' ')" ""
check "a note after the kills works" "$E" note "$CASE" "after-kills"

# --- 2. a full disk ------------------------------------------------------------------

# A small tmpfs holding a copy of the store; the rest of it filled.  Without
# the right to mount, the file size limit (RLIMIT_FSIZE, SIGXFSZ ignored)
# makes every write past it fail the same way.
FULL=$W/full
mkdir -p "$FULL"
sed "s#^path = .*#path = $FULL/cases.db#" "$EMBARGO_CONFIG" >"$W/full.config"
notes_of "$CASE" >"$W/before-full"
mounted=
if [ -z "${CRASH_NO_MOUNT-}" ] && [ "$(id -u)" -eq 0 ] && mount -t tmpfs -o size=8m,mode=700 tmpfs "$FULL" 2>/dev/null; then
	mounted=yes
	diag "full disk: an 8 MiB tmpfs, filled"
else
	diag "full disk: cannot mount a tmpfs here; using the file size limit (ulimit -f) instead"
fi
cleanup_full() {
	if [ -n "$mounted" ]; then
		umount "$FULL" 2>/dev/null
		mounted=
	fi
}
# Unmount before lib.sh removes the sandbox, whatever ends the script.
trap '_st=$?; cleanup_full; (exit $_st); _lib_cleanup' EXIT

# full_note TAG FREE_KIB: a note with about FREE_KIB left; prints "EXIT<tab>STDERR".
# (stderr goes through a pipe: under the size limit a file could not take it.)
full_note() {
	cp "$DB" "$FULL/cases.db"
	rm -f "$FULL"/cases.db-* "$FULL/filler"
	if [ -n "$mounted" ]; then
		dd if=/dev/zero of="$FULL/filler" bs=64k 2>/dev/null
		[ "$2" -gt 0 ] && truncate -s "-$2K" "$FULL/filler"
		_err=$("$E" --config "$W/full.config" note "$CASE" "$1" 2>&1 >/dev/null)
	else
		_err=$(sh -c "trap '' XFSZ; ulimit -f $(($2 * 2)); exec \"\$@\"" sh \
			"$E" --config "$W/full.config" note "$CASE" "$1" 2>&1 >/dev/null)
	fi
	printf '%s\t%s' "$?" "$_err"
}

res=$(full_note full-0 0)
st=${res%%"	"*}
msg=${res#*"	"}
is "full disk: note fails with exit 1" "$st" 1
like "full disk: the error names the store and says what failed" "$msg" \
	"^embargo: $FULL/cases.db: .*(full|disk I/O error|too large)"
is "full disk: the error is one line" "$(printf '%s\n' "$msg" | wc -l)" 1
rm -f "$FULL/filler"
is "full disk: integrity_check (once sqlite3 itself has room)" "$(integrity "$FULL/cases.db")" ok
is "full disk: the store holds what it held, without the failed note" \
	"$("$E" --config "$W/full.config" show "$CASE" --format=json |
		jq -r '.events[] | select(.kind == "note") | .detail')" "$(cat "$W/before-full")"

# Nearly full: the write may fit or not; either way no corruption and no half note.
for free in 16 40 64; do
	res=$(full_note "nearly-$free" "$free")
	st=${res%%"	"*}
	msg=${res#*"	"}
	rm -f "$FULL/filler"
	stored=$("$E" --config "$W/full.config" show "$CASE" --format=json |
		jq -r '.events[] | select(.kind == "note") | .detail' | grep -c "^nearly-$free\$")
	case $st:$stored in
	0:1) ok "nearly full ($free KiB free): the note was written" ;;
	1:0)
		if printf '%s' "$msg" | grep -Eq "^embargo: $FULL/cases.db: .*(full|disk I/O error|too large)"; then
			ok "nearly full ($free KiB free): a clear error, nothing written"
		else
			not_ok "nearly full ($free KiB free): a clear error" "$msg"
		fi
		;;
	*) not_ok "nearly full ($free KiB free): written exactly when acknowledged" "exit $st, stored $stored times; $msg" ;;
	esac
	is "nearly full ($free KiB free): integrity_check" "$(integrity "$FULL/cases.db")" ok
done
cleanup_full

# --- 3. three instances at once ----------------------------------------------------

# Each writes notes (and one also sets fields and refreshes via list) for a
# bounded time; every command must succeed, none may report a lock.
end=$(($(date +%s) + CONCURRENT_SECONDS))
for k in 1 2 3; do
	(
		n=0
		while [ "$(date +%s)" -lt "$end" ]; do
			n=$((n + 1))
			if "$E" note "$CASE" "inst-$k-$n" >/dev/null 2>>"$W/inst$k.err"; then
				echo "inst-$k-$n" >>"$W/inst$k.acked"
			else
				echo "inst-$k-$n: exit $?" >>"$W/inst$k.fail"
			fi
			if [ "$k" -eq 3 ]; then
				"$E" set "$CASE" severity "$(case $((n % 3)) in 0) echo minor ;; 1) echo moderate ;; *) echo important ;; esac)" \
					>/dev/null 2>>"$W/inst$k.err" || echo "set $n: exit $?" >>"$W/inst$k.fail"
				"$E" list >/dev/null 2>>"$W/inst$k.err" || echo "list $n: exit $?" >>"$W/inst$k.fail"
			fi
		done
	) &
done
wait
cat "$W"/inst?.acked >"$W/inst.acked" 2>/dev/null
total=$(wc -l <"$W/inst.acked" | tr -d ' ')
diag "three instances: $total notes in ${CONCURRENT_SECONDS} s"
is "three instances: no command failed" "$(cat "$W"/inst?.fail 2>/dev/null)" ""
is "three instances: nothing on stderr (no \"database is locked\")" "$(cat "$W"/inst?.err)" ""
notes_of "$CASE" >"$W/stored2"
is "three instances: every acknowledged note is stored" \
	"$(grep -vxF -f "$W/stored2" "$W/inst.acked" | tr '\n' ' ')" ""
[ "$total" -gt 30 ] && ok "three instances: they did run concurrently ($total notes)" ||
	not_ok "three instances: they did run concurrently" "only $total notes"
is "three instances: integrity_check" "$(integrity "$DB")" ok

done_testing
