/* tests/fuzz/fuzz_mime.c: any bytes as a mail message through the display path (no OpenPGP context). */
#include "build-config.h"

#include <string.h>

#include <glib.h>

#include "core/mime.h"
#include "core/sanitize.h"
#include "tests/fuzz/fuzz.h"

static void
check_text(const char *s, enum sanitize_flags flags)
{
	char *safe = sanitize_text(s, -1, flags);

	fuzz_check_display_safe(safe, strlen(safe), flags == SAN_MULTILINE);
	g_free(safe);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mime_limits lim;
	struct message_view *mv = NULL;
	struct error err = { { 0 } };
	char *body;

	/* Small limits keep each run fast; the limits' own code paths are the same. */
	mime_limits_default(&lim);
	lim.max_depth = 16;
	lim.max_parts = 64;
	lim.max_part_size = 256 * 1024;
	lim.max_total = 512 * 1024;
	lim.max_file = 1024 * 1024;
	if (mime_view_bytes(NULL, (const char *)data, size, &lim, &mv, &err) != 0)
		return 0;
	if (mv->sig_status != SIG_NONE && mv->sig_status != SIG_ERROR)
		fuzz_fail("a signature status other than none or error without an OpenPGP context");
	if (mv->encrypted && mv->decrypted)
		fuzz_fail("decrypted without an OpenPGP context");
	if (mv->blocks->len > (guint)(2 * lim.max_parts + 2 * lim.max_depth + 16))
		fuzz_fail("more blocks than the limits allow");
	body = message_view_body(mv);
	if (!g_utf8_validate(body, -1, NULL))
		fuzz_fail("message_view_body() is not valid UTF-8");
	check_text(body, SAN_MULTILINE);
	check_text(mv->from, SAN_LINE);
	check_text(mv->subject, SAN_LINE);
	check_text(mv->to, SAN_LINE);
	for (guint i = 0; i < mv->blocks->len; i++) {
		const struct mime_block *b = mv->blocks->pdata[i];

		if (b->type == BLOCK_ATTACHMENT && b->filename != NULL &&
		    strchr(b->filename, '\n') != NULL)
			fuzz_fail("an attachment name spans lines");
	}
	g_free(body);
	message_view_free(mv);
	return 0;
}
