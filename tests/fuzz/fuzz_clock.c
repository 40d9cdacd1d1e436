/* tests/fuzz/fuzz_clock.c: the date, time and duration parsers on any text, with round trips. */
#include "build-config.h"

#include <string.h>

#include <glib.h>

#include "core/clock.h"
#include "tests/fuzz/fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const zones[] = { NULL, "", "UTC", "Europe/Berlin",
		"America/New_York", "Australia/Lord_Howe", "Nowhere/Atlantis" };
	struct error err = { { 0 } };
	char buf[CLOCK_ISO_LEN], left[CLOCK_LEFT_LEN];
	const char *tz;
	char *s;
	time_t t, t2;
	int64_t secs;

	if (size > 4096)
		return 0;
	/* The first byte picks the time zone, the rest is the text. */
	tz = size > 0 ? zones[data[0] % G_N_ELEMENTS(zones)] : NULL;
	s = g_strndup(size > 0 ? (const char *)data + 1 : "", size > 0 ? size - 1 : 0);

	if (clock_parse_iso8601(s, &t, &err) == 0) {
		clock_format_iso8601(t, buf);
		if (clock_parse_iso8601(buf, &t2, &err) != 0 || t2 != t)
			fuzz_fail("an ISO 8601 time does not survive format and parse");
	} else if (err.msg[0] == '\0') {
		fuzz_fail("clock_parse_iso8601() failed without a message");
	}

	err.msg[0] = '\0';
	if (clock_parse_user_time(s, 1795000000, tz, &t, &err) != 0 && err.msg[0] == '\0')
		fuzz_fail("clock_parse_user_time() failed without a message");

	err.msg[0] = '\0';
	if (clock_parse_duration(s, &secs, &err) == 0) {
		if (secs <= 0 || secs > (int64_t)36500 * 86400)
			fuzz_fail("a duration out of range was accepted");
		clock_format_left(secs, left);
		clock_format_left(-secs, left);
		clock_format_left_short(secs, left);
	} else if (err.msg[0] == '\0') {
		fuzz_fail("clock_parse_duration() failed without a message");
	}
	g_free(s);
	return 0;
}
