/* tests/fuzz/fuzz_sanitize.c: sanitize_text() on any bytes: display-safe, bounded, idempotent. */
#include "build-config.h"

#include <string.h>

#include <glib.h>

#include "core/sanitize.h"
#include "tests/fuzz/fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const enum sanitize_flags modes[] = { SAN_LINE, SAN_MULTILINE };

	if (size > 1 << 20)
		return 0;
	for (size_t i = 0; i < G_N_ELEMENTS(modes); i++) {
		char *out = sanitize_text((const char *)data, (long)size, modes[i]);
		size_t n = strlen(out);
		char *again;

		fuzz_check_display_safe(out, n, modes[i] == SAN_MULTILINE);
		if (n > 8 * size + 8)
			fuzz_fail("output more than 8 times as long as the input");
		if (modes[i] == SAN_LINE && strchr(out, '\n') != NULL)
			fuzz_fail("SAN_LINE output holds a newline");
		if (!sanitize_is_safe(out, modes[i]))
			fuzz_fail("sanitize_is_safe() rejects sanitize_text() output");
		again = sanitize_text(out, -1, modes[i]);
		if (strcmp(again, out) != 0)
			fuzz_fail("sanitize_text() is not idempotent");
		g_free(again);
		g_free(out);
	}
	return 0;
}
