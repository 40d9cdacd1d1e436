/* core/error.c: error messages passed up from core to main() and the TUI. */
#include "build-config.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

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
