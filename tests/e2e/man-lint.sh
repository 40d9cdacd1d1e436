#!/bin/sh
# The man pages are clean under mandoc -Tlint (style notes about manuals that
# are not installed here aside), and document every command and config key.
. "$top_srcdir/tests/e2e/lib.sh"

for page in embargo.1 embargo-config.5; do
	out=$("${MANDOC:-mandoc}" -Tlint "$top_srcdir/man/$page" 2>&1 |
		grep -v -e 'referenced manual not found' -e 'mandoc.db')
	is "mandoc -Tlint $page is clean" "$out" ""
done

# Every command of `embargo --help` has its own entry in embargo(1).
for cmd in $("$EMBARGO_BIN" --help | awk '/^Commands:/ {on=1; next} /^$/ {on=0} on && /^  [a-z]/ {print $1}'); do
	if grep -q "^\.It Nm Cm $cmd\( \|$\)" "$top_srcdir/man/embargo.1"; then
		ok "embargo(1) documents the $cmd command"
	else
		not_ok "embargo(1) documents the $cmd command"
	fi
done

# Every config key embargo knows is in embargo-config(5).
for key in $("$EMBARGO_BIN" --help-config-keys); do
	group=${key%%.*} name=${key#*.}
	if grep -q "^\.It Cm \[$group\] $name\$" "$top_srcdir/man/embargo-config.5"; then
		ok "embargo-config(5) documents [$group] $name"
	else
		not_ok "embargo-config(5) documents [$group] $name"
	fi
done

# The KEY BINDINGS section is exactly what the key table generates.
want=$("$EMBARGO_BIN" --help-keys=mdoc)
have=$(awk '/^\.\\" BEGIN KEYS/ {on = 1; next} /^\.\\" END KEYS/ {on = 0} on' "$top_srcdir/man/embargo.1")
is "embargo(1) KEY BINDINGS match the key table (run tools/update-man-keys)" "$have" "$want"
# ... and every action of the table is in it, with its keys.
for action in $("$EMBARGO_BIN" --help-keys | awk '/^  [a-z]/ {print $1}' | sort -u); do
	if grep -q "^\.It Ic $action\( \|$\)" "$top_srcdir/man/embargo.1"; then
		ok "embargo(1) documents the $action action"
	else
		not_ok "embargo(1) documents the $action action"
	fi
done

done_testing
