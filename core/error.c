/* core/error.c: error messages passed up from core to main() and the TUI. */
#include "build-config.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <glib.h>

#include "core/error.h"

int
error_set(struct error *err, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL)
		return -1;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof err->msg, fmt, ap);
	va_end(ap);
	return -1;
}

int
error_prefix(struct error *err, const char *fmt, ...)
{
	char prefix[512];
	size_t plen, olen, room;
	va_list ap;

	if (err == NULL)
		return -1;
	va_start(ap, fmt);
	vsnprintf(prefix, sizeof prefix, fmt, ap);
	va_end(ap);
	plen = strlen(prefix);
	/* Shift the old message right to make room for "PREFIX: ", truncating its end. */
	room = sizeof err->msg - plen - 3;
	olen = strnlen(err->msg, sizeof err->msg - 1);
	if (olen > room)
		olen = room;
	memmove(err->msg + plen + 2, err->msg, olen);
	err->msg[plen + 2 + olen] = '\0';
	memcpy(err->msg, prefix, plen);
	memcpy(err->msg + plen, ": ", 2);
	return -1;
}

void
error_clear(struct error *err)
{
	if (err != NULL)
		err->msg[0] = '\0';
}

char *
error_quote(const char *s)
{
	GString *q = g_string_new("\"");
	bool utf8 = g_utf8_validate(s, -1, NULL);

	for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++) {
		/* Cut long values, but never inside a UTF-8 sequence. */
		if (q->len >= 80 && (*p & 0xc0) != 0x80) {
			g_string_append(q, "...");
			break;
		}
		if (*p < 0x20 || *p == 0x7f || (*p >= 0x80 && !utf8))
			g_string_append_printf(q, "\\x%02x", *p);
		else if (*p == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f) {
			/* C1 controls such as U+009B (CSI). */
			g_string_append_printf(q, "\\u%04x", p[1]);
			p++;
		} else if (*p == '"' || *p == '\\')
			g_string_append_printf(q, "\\%c", *p);
		else
			g_string_append_c(q, (char)*p);
	}
	g_string_append_c(q, '"');
	return g_string_free(q, FALSE);
}
