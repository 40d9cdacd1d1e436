/* core/threads.c: how many threads core may use to read mail (see threads.h). */
#include "build-config.h"

#include <errno.h>
#include <stdlib.h>

#include <glib.h>

#include "core/threads.h"

unsigned int
threads_env(void)
{
	const char *s = g_getenv("EMBARGO_THREADS");
	char *end;
	long v;

	if (s == NULL || !g_ascii_isdigit(*s))
		return 0;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < 1 || v > THREADS_LIMIT)
		return 0;
	return (unsigned int)v;
}

unsigned int
threads_max(void)
{
	unsigned int env = threads_env(), n;

	if (env > 0)
		return env;
	n = g_get_num_processors();
	return CLAMP(n, 1, THREADS_DEFAULT_MAX);
}
