/* tests/fuzz/fuzz_common.c: invariant checks shared by the fuzz harnesses. */
#include "build-config.h"

#include <stdio.h>
#include <stdlib.h>

#include <glib.h>

#include "tests/fuzz/fuzz.h"

void
fuzz_fail(const char *what)
{
	fprintf(stderr, "fuzz: invariant broken: %s\n", what);
	abort();
}

/* Code points sanitize_text() never lets through. */
static int
forbidden(gunichar c, int multiline)
{
	if (c < 0x20)
		return c != '\n' || !multiline;
	if (c >= 0x7f && c <= 0x9f)
		return 1;
	if ((c >= 0x202a && c <= 0x202e) || (c >= 0x2066 && c <= 0x2069) ||
	    c == 0x200e || c == 0x200f || c == 0x061c)
		return 1;
	if ((c >= 0x200b && c <= 0x200d) || c == 0x2060 || c == 0xfeff)
		return 1;
	if (c >= 0xe0000 && c <= 0xe007f)
		return 1;
	return 0;
}

void
fuzz_check_display_safe(const char *s, size_t len, int multiline)
{
	const char *end;

	if (!g_utf8_validate_len(s, len, &end))
		fuzz_fail("output is not valid UTF-8");
	for (const char *p = s; p < s + len; p = g_utf8_next_char(p)) {
		if (forbidden(g_utf8_get_char(p), multiline))
			fuzz_fail("output holds a control, bidi or zero-width character");
	}
}
