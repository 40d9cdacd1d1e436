/* core/error.h: error messages passed up from core to main() and the TUI. */
#ifndef EMBARGO_ERROR_H
#define EMBARGO_ERROR_H

#include <stddef.h>

/*
 * Core functions return 0 on success and -1 on failure, filling a struct
 * error with one line that names what failed (file, key, case, command) and,
 * where possible, what to do.  Only main() and the TUI decide how to show it.
 */
struct error {
	char msg[1024];
};

/* Sets the message and returns -1, so callers can write "return error_set(...)". */
int error_set(struct error *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Prefixes the existing message with "PREFIX: " and returns -1. */
int error_prefix(struct error *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/*
 * Quotes S (any bytes from a file, the environment or mail) for an error
 * message: control characters and bytes that are not UTF-8 become \xNN
 * escapes, so hostile input cannot drive the terminal, and long values are
 * cut.  New string (g_free).
 */
char *error_quote(const char *s);

/* Clears the message. */
void error_clear(struct error *err);

#endif
