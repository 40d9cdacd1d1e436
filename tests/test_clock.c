/* tests/test_clock.c: unit tests for core/clock (EMBARGO_NOW, ISO 8601, durations, time left). */
#include "build-config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/clock.h"

/* The reference: the C library's own UTC arithmetic. */
static time_t
utc(int y, int mo, int d, int h, int mi, int s)
{
	struct tm tm = {0};

	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = s;
	return timegm(&tm);
}

static void
assert_iso(const char *s, time_t want)
{
	struct error err = {{0}};
	time_t t = 0;

	if (clock_parse_iso8601(s, &t, &err) != 0)
		fail_msg("%s: %s", s, err.msg);
	assert_int_equal(t, want);
}

/* Asserts S is refused with a message containing each of the NULL-terminated strings. */
static void
assert_iso_bad(const char *s, ...)
{
	struct error err = {{0}};
	time_t t = 12345;
	const char *want;
	va_list ap;

	if (clock_parse_iso8601(s, &t, &err) != -1)
		fail_msg("accepted \"%s\" as %lld", s, (long long)t);
	assert_int_equal(t, 12345); /* out-parameter untouched on failure */
	assert_non_null(strstr(err.msg, "expected an ISO 8601 time with offset"));
	va_start(ap, s);
	while ((want = va_arg(ap, const char *)) != NULL) {
		if (strstr(err.msg, want) == NULL)
			fail_msg("error for \"%s\" lacks \"%s\": %s", s, want, err.msg);
	}
	va_end(ap);
}

static void
test_iso_utc_forms(void **state)
{
	(void)state;
	assert_iso("2026-11-22T12:00:00Z", utc(2026, 11, 22, 12, 0, 0));
	assert_iso("2026-11-22T12:00Z", utc(2026, 11, 22, 12, 0, 0));
	assert_iso("2026-11-22 12:00:30Z", utc(2026, 11, 22, 12, 0, 30));
	assert_iso("2026-11-22t12:00:00z", utc(2026, 11, 22, 12, 0, 0));
	assert_iso("1970-01-01T00:00:00Z", 0);
	assert_iso("1969-12-31T23:59:59Z", -1);
	assert_iso("2024-02-29T23:59:59Z", utc(2024, 2, 29, 23, 59, 59));
	assert_iso("2000-02-29T00:00Z", utc(2000, 2, 29, 0, 0, 0));
	assert_iso("9999-12-31T23:59:59Z", utc(9999, 12, 31, 23, 59, 59));
}

static void
test_iso_offsets(void **state)
{
	time_t noon = utc(2026, 11, 22, 12, 0, 0);

	(void)state;
	assert_iso("2026-11-22T13:00:00+01:00", noon);
	assert_iso("2026-11-22T13:00+0100", noon);
	assert_iso("2026-11-22T13:00:00+01", noon);
	assert_iso("2026-11-22T07:00:00-05:00", noon);
	assert_iso("2026-11-22T17:30+05:30", noon);
	assert_iso("2026-11-22T12:00-00:00", noon);
	/* An offset that moves the date across midnight and a year end. */
	assert_iso("2026-11-23T01:00:00+13:00", noon);
	assert_iso("2026-12-31T20:00:00-05:00", utc(2027, 1, 1, 1, 0, 0));
	assert_iso("2027-01-01T00:30+01:00", utc(2026, 12, 31, 23, 30, 0));
}

static void
test_iso_fractions_dropped(void **state)
{
	(void)state;
	assert_iso("2026-11-22T12:00:00.999Z", utc(2026, 11, 22, 12, 0, 0));
	assert_iso("2026-11-22T12:00:00,5+00:00", utc(2026, 11, 22, 12, 0, 0));
	assert_iso("2026-11-22T12:00:07.123456789-01:00", utc(2026, 11, 22, 13, 0, 7));
}

static void
test_iso_bad_syntax(void **state)
{
	(void)state;
	assert_iso_bad("", "\"\"", "empty", NULL);
	assert_iso_bad("garbage", "\"garbage\"", "YYYY-MM-DD", NULL);
	assert_iso_bad("2026-11-22", "no time of day", NULL);
	assert_iso_bad("2026-11-22T12:00:00", "no offset", NULL);
	assert_iso_bad("2026-11-22T12:00", "no offset", NULL);
	assert_iso_bad("2026-11-22T12Z", "HH:MM", NULL);
	assert_iso_bad("2026-11-22T1:00Z", "HH:MM", NULL);
	assert_iso_bad("26-11-22T12:00Z", "YYYY-MM-DD", NULL);
	assert_iso_bad("2026/11/22T12:00Z", "YYYY-MM-DD", NULL);
	assert_iso_bad("2026-11-22T12:00:00.Z", "decimal mark", NULL);
	assert_iso_bad("2026-11-22T12:00:0Z", "seconds", NULL);
	assert_iso_bad(" 2026-11-22T12:00Z", NULL);
	assert_iso_bad("2026-11-22x12:00Z", "after the date", NULL);
}

static void
test_iso_bad_ranges(void **state)
{
	(void)state;
	assert_iso_bad("2026-13-01T00:00Z", "month 13", "01-12", NULL);
	assert_iso_bad("2026-00-01T00:00Z", "month 00", NULL);
	assert_iso_bad("2026-02-30T00:00Z", "day 30", "28 days", NULL);
	assert_iso_bad("2026-02-29T00:00Z", "day 29", NULL);
	assert_iso_bad("2100-02-29T00:00Z", "day 29", NULL);
	assert_iso_bad("2026-04-31T00:00Z", "day 31", "30 days", NULL);
	assert_iso_bad("2026-01-00T00:00Z", "day 00", NULL);
	assert_iso_bad("2026-11-22T24:00Z", "hour 24", "00-23", NULL);
	assert_iso_bad("2026-11-22T12:60Z", "minute 60", NULL);
	assert_iso_bad("2026-11-22T12:00:60Z", "second 60", NULL);
	assert_iso_bad("2026-11-22T12:00+24:00", "offset", NULL);
	assert_iso_bad("2026-11-22T12:00+01:60", "offset", NULL);
}

static void
test_iso_bad_offsets_and_trailing(void **state)
{
	(void)state;
	assert_iso_bad("2026-11-22T12:00Zjunk", "after the time", NULL);
	assert_iso_bad("2026-11-22T12:00:00Z ", "after the time", NULL);
	assert_iso_bad("2026-11-22T12:00+01:00x", "after the offset", NULL);
	assert_iso_bad("2026-11-22T12:00+1", "+HH:MM", NULL);
	assert_iso_bad("2026-11-22T12:00+01:0", "+HH:MM", NULL);
	assert_iso_bad("2026-11-22T12:00+", "+HH:MM", NULL);
	assert_iso_bad("2026-11-22T12:00 CET", "after the time", NULL);
	assert_iso_bad("2026-11-22T12:00UTC", "after the time", NULL);
}

static void
test_iso_error_escapes_hostile_bytes(void **state)
{
	struct error err = {{0}};
	char long_input[300];
	time_t t;

	(void)state;
	assert_int_equal(clock_parse_iso8601("2026\x1b[31m", &t, &err), -1);
	assert_null(strchr(err.msg, '\x1b'));
	assert_non_null(strstr(err.msg, "\\x1b[31m"));
	/* A C1 control (U+009B, CSI) is escaped as well. */
	assert_int_equal(clock_parse_iso8601("x\xc2\x9b" "2J", &t, &err), -1);
	assert_null(strstr(err.msg, "\xc2\x9b"));
	assert_non_null(strstr(err.msg, "\\u009b"));
	memset(long_input, '7', sizeof long_input - 1);
	long_input[sizeof long_input - 1] = '\0';
	assert_int_equal(clock_parse_iso8601(long_input, &t, &err), -1);
	assert_non_null(strstr(err.msg, "..."));
	assert_true(strlen(err.msg) < 250);
	/* A NULL error pointer is allowed. */
	assert_int_equal(clock_parse_iso8601("bad", &t, NULL), -1);
}

static void
test_format_iso(void **state)
{
	char buf[CLOCK_ISO_LEN];

	(void)state;
	assert_string_equal(clock_format_iso8601(0, buf), "1970-01-01T00:00:00Z");
	assert_string_equal(clock_format_iso8601(-1, buf), "1969-12-31T23:59:59Z");
	assert_string_equal(clock_format_iso8601(utc(2026, 11, 22, 12, 0, 0), buf),
	    "2026-11-22T12:00:00Z");
	assert_string_equal(clock_format_iso8601(utc(2024, 2, 29, 8, 5, 9), buf),
	    "2024-02-29T08:05:09Z");
	assert_string_equal(clock_format_iso8601(utc(1900, 3, 1, 0, 0, 0), buf),
	    "1900-03-01T00:00:00Z");
}

static void
test_format_parse_round_trip(void **state)
{
	char buf[CLOCK_ISO_LEN];
	struct error err;
	time_t back;

	(void)state;
	/* Every day boundary over four years plus odd offsets into the day. */
	for (time_t t = utc(2023, 12, 30, 0, 0, 0); t < utc(2028, 1, 2, 0, 0, 0);
	    t += 86400 + 3607) {
		clock_format_iso8601(t, buf);
		assert_int_equal(clock_parse_iso8601(buf, &back, &err), 0);
		assert_int_equal(back, t);
	}
	for (time_t t = -86400 * 365; t < 86400 * 365; t += 86400 * 7 + 61) {
		clock_format_iso8601(t, buf);
		assert_int_equal(clock_parse_iso8601(buf, &back, &err), 0);
		assert_int_equal(back, t);
	}
}

static void
test_now_from_env(void **state)
{
	struct error err = {{0}};
	time_t now = 0;

	(void)state;
	setenv("EMBARGO_NOW", "2026-11-22T13:00:00+01:00", 1);
	assert_int_equal(clock_now(&now, &err), 0);
	assert_int_equal(now, utc(2026, 11, 22, 12, 0, 0));
	setenv("EMBARGO_NOW", "1999-12-31T23:59:59.5-00:00", 1);
	assert_int_equal(clock_now(&now, &err), 0);
	assert_int_equal(now, utc(1999, 12, 31, 23, 59, 59));
	unsetenv("EMBARGO_NOW");
}

static void
test_now_bad_env(void **state)
{
	static const char *bad[] = {"tomorrow", "2026-11-22T12:00:00", "2026-02-30T00:00Z", ""};
	struct error err = {{0}};
	time_t now = 42;

	(void)state;
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		char quoted[64];

		setenv("EMBARGO_NOW", bad[i], 1);
		assert_int_equal(clock_now(&now, &err), -1);
		assert_int_equal(now, 42);
		snprintf(quoted, sizeof quoted, "\"%s\"", bad[i]);
		assert_true(strncmp(err.msg, "EMBARGO_NOW: ", 13) == 0);
		assert_non_null(strstr(err.msg, quoted));
		assert_non_null(strstr(err.msg, "2026-11-22T12:00:00Z"));
	}
	unsetenv("EMBARGO_NOW");
}

static void
test_now_real_clock(void **state)
{
	struct error err = {{0}};
	time_t before, now, after;

	(void)state;
	unsetenv("EMBARGO_NOW");
	before = time(NULL);
	assert_int_equal(clock_now(&now, &err), 0);
	after = time(NULL);
	assert_true(now >= before && now <= after);
}

static void
assert_duration(const char *s, int64_t want)
{
	struct error err = {{0}};
	int64_t got = -1;

	if (clock_parse_duration(s, &got, &err) != 0)
		fail_msg("%s: %s", s, err.msg);
	assert_int_equal(got, want);
}

static void
assert_duration_bad(const char *s, const char *want)
{
	struct error err = {{0}};
	int64_t got = 777;

	if (clock_parse_duration(s, &got, &err) != -1)
		fail_msg("accepted duration \"%s\" as %lld", s, (long long)got);
	assert_int_equal(got, 777);
	if (strstr(err.msg, want) == NULL)
		fail_msg("error for \"%s\" lacks \"%s\": %s", s, want, err.msg);
}

static void
test_duration_valid(void **state)
{
	(void)state;
	assert_duration("90m", 90 * 60);
	assert_duration("1m", 60);
	assert_duration("24h", 24 * 3600);
	assert_duration("5d", 5 * 86400);
	assert_duration("2w", 14 * 86400);
	assert_duration("007h", 7 * 3600);
	assert_duration("36500d", 36500LL * 86400);
	assert_duration("5214w", 5214LL * 7 * 86400);
}

static void
test_duration_bad(void **state)
{
	(void)state;
	assert_duration_bad("", "expected a duration like 90m, 24h, 5d or 2w");
	assert_duration_bad(NULL, "expected a duration");
	assert_duration_bad("5", "\"5\": expected a duration");
	assert_duration_bad("h", "\"h\": expected a duration");
	assert_duration_bad("5x", "\"5x\": expected a duration like 90m, 24h, 5d or 2w");
	assert_duration_bad("5 h", "expected a duration");
	assert_duration_bad(" 5h", "expected a duration");
	assert_duration_bad("5h ", "expected a duration");
	assert_duration_bad("-5h", "expected a duration");
	assert_duration_bad("+5h", "expected a duration");
	assert_duration_bad("1.5h", "expected a duration");
	assert_duration_bad("5H", "expected a duration");
	assert_duration_bad("5s", "expected a duration");
	assert_duration_bad("5hh", "expected a duration");
	assert_duration_bad("1h30m", "expected a duration");
	assert_duration_bad("0h", "more than zero");
	assert_duration_bad("000m", "more than zero");
	assert_duration_bad("5215w", "too long");
	assert_duration_bad("36501d", "too long");
	assert_duration_bad("99999999999999w", "too long");
	assert_duration_bad("99999999999999999999999999999999m", "too long");
	assert_duration_bad("99999999999999999999999999x", "expected a duration");
}

static void
assert_user(const char *s, time_t now, const char *tz, time_t want)
{
	struct error err = {{0}};
	time_t got = 0;

	if (clock_parse_user_time(s, now, tz, &got, &err) != 0)
		fail_msg("%s in %s: %s", s, tz ? tz : "(null)", err.msg);
	if (got != want) {
		char a[CLOCK_ISO_LEN], b[CLOCK_ISO_LEN];

		fail_msg("%s in %s: got %s, want %s", s, tz ? tz : "(null)",
		    clock_format_iso8601(got, a), clock_format_iso8601(want, b));
	}
}

static void
assert_user_bad(const char *s, const char *tz, const char *want)
{
	struct error err = {{0}};
	time_t got = 99;

	if (clock_parse_user_time(s, 0, tz, &got, &err) != -1)
		fail_msg("accepted \"%s\"", s);
	assert_int_equal(got, 99);
	if (strstr(err.msg, want) == NULL)
		fail_msg("error for \"%s\" lacks \"%s\": %s", s, want, err.msg);
}

static void
test_user_time_forms(void **state)
{
	time_t now = utc(2026, 11, 22, 12, 0, 0);

	(void)state;
	assert_user("2026-11-25T09:00:00+01:00", now, "Europe/Berlin", utc(2026, 11, 25, 8, 0, 0));
	assert_user("2026-11-25T09:00Z", now, NULL, utc(2026, 11, 25, 9, 0, 0));
	assert_user("2026-11-25 09:00", now, NULL, utc(2026, 11, 25, 9, 0, 0));
	assert_user("2026-11-25 09:00", now, "", utc(2026, 11, 25, 9, 0, 0));
	assert_user("2026-11-25 09:00", now, "UTC", utc(2026, 11, 25, 9, 0, 0));
	assert_user("2026-11-25", now, NULL, utc(2026, 11, 25, 0, 0, 0));
	assert_user("  2026-11-25 09:00\n", now, NULL, utc(2026, 11, 25, 9, 0, 0));
	/* In a named zone: winter and summer offsets. */
	assert_user("2026-11-25 09:00", now, "Europe/Berlin", utc(2026, 11, 25, 8, 0, 0));
	assert_user("2026-07-01 09:00", now, "Europe/Berlin", utc(2026, 7, 1, 7, 0, 0));
	assert_user("2026-11-25", now, "Europe/Berlin", utc(2026, 11, 24, 23, 0, 0));
	assert_user("2026-11-25 09:00:30", now, "America/New_York", utc(2026, 11, 25, 14, 0, 30));
	assert_user("2026-11-25 09:00", now, "Asia/Kolkata", utc(2026, 11, 25, 3, 30, 0));
	/* Relative to now. */
	assert_user("+3d", now, NULL, now + 3 * 86400);
	assert_user("+36h", now, "Europe/Berlin", now + 36 * 3600);
	assert_user("+90m", now, NULL, now + 90 * 60);
	assert_user("+2w", now, NULL, now + 14 * 86400);
}

static void
test_user_time_dst(void **state)
{
	(void)state;
	/* Spring forward in Berlin, 2026-03-29 02:00 CET -> 03:00 CEST: 02:30 never
	 * happens and is read with the winter offset (+01:00), i.e. 03:30 CEST. */
	assert_user("2026-03-29 02:30", 0, "Europe/Berlin", utc(2026, 3, 29, 1, 30, 0));
	assert_user("2026-03-29 01:59", 0, "Europe/Berlin", utc(2026, 3, 29, 0, 59, 0));
	assert_user("2026-03-29 03:00", 0, "Europe/Berlin", utc(2026, 3, 29, 1, 0, 0));
	/* Fall back, 2026-10-25 03:00 CEST -> 02:00 CET: 02:30 happens twice and is
	 * the first (summer) one, +02:00. */
	assert_user("2026-10-25 02:30", 0, "Europe/Berlin", utc(2026, 10, 25, 0, 30, 0));
	assert_user("2026-10-25 01:59", 0, "Europe/Berlin", utc(2026, 10, 24, 23, 59, 0));
	assert_user("2026-10-25 03:00", 0, "Europe/Berlin", utc(2026, 10, 25, 2, 0, 0));
	/* The same rules west of Greenwich. */
	assert_user("2026-03-08 02:30", 0, "America/New_York", utc(2026, 3, 8, 7, 30, 0));
	assert_user("2026-11-01 01:30", 0, "America/New_York", utc(2026, 11, 1, 5, 30, 0));
	/* An explicit offset is never second-guessed by the zone. */
	assert_user("2026-03-29T02:30+01:00", 0, "Europe/Berlin", utc(2026, 3, 29, 1, 30, 0));
	assert_user("2026-10-25T02:30+01:00", 0, "Europe/Berlin", utc(2026, 10, 25, 1, 30, 0));
}

static void
test_user_time_bad(void **state)
{
	(void)state;
	assert_user_bad("", NULL, "no time given");
	assert_user_bad("   ", NULL, "no time given");
	assert_user_bad("tomorrow", "Europe/Berlin", "\"tomorrow\"");
	assert_user_bad("tomorrow", "Europe/Berlin", "in Europe/Berlin");
	assert_user_bad("2026-11-25 9:00", NULL, "HH:MM");
	assert_user_bad("2026-11-25 09:00 CET", NULL, "after the time");
	assert_user_bad("2026-11-25 09", NULL, "HH:MM");
	assert_user_bad("2026-11-25 junk", NULL, "after the date");
	assert_user_bad("2026-13-25", NULL, "month 13");
	assert_user_bad("2026-02-30 10:00", "Europe/Berlin", "day 30");
	assert_user_bad("2026-11-25 24:00", NULL, "hour 24");
	assert_user_bad("2026-11-25 09:00", "Nowhere/Bogus", "unknown time zone \"Nowhere/Bogus\"");
	assert_user_bad("2026-11-25", "Mars/Olympus_Mons", "IANA");
	assert_user_bad("+", NULL, "expected a duration");
	assert_user_bad("+3", NULL, "expected a duration");
	assert_user_bad("+0d", NULL, "more than zero");
	assert_user_bad("+-3d", NULL, "expected a duration");
	assert_user_bad("+99999999999w", NULL, "too long");
	assert_user_bad("-3d", NULL, "YYYY-MM-DD");
}

struct left_case {
	int64_t secs;
	const char *longf, *shortf;
};

static void
test_format_left(void **state)
{
	static const struct left_case cases[] = {
		{0, "0m", "0m"},
		{30, "0m", "0m"},
		{-30, "0m", "0m"},
		{59, "0m", "0m"},
		{-59, "0m", "0m"},
		{60, "1m", "1m"},
		{-60, "-1m", "-1m"},
		{45 * 60 + 59, "45m", "45m"},
		{3 * 3600, "3h", "3h"},
		{3 * 3600 + 20 * 60, "3h 20m", "3h"},
		{3 * 3600 + 20 * 60 + 59, "3h 20m", "3h"},
		{-(3 * 3600 + 20 * 60), "-3h 20m", "-3h"},
		{23 * 3600 + 59 * 60 + 59, "23h 59m", "23h"},
		{86400, "1d", "1d"},
		{2 * 86400 + 4 * 3600, "2d 4h", "2d"},
		{2 * 86400 + 4 * 3600 + 59 * 60, "2d 4h", "2d"},
		{2 * 86400 + 30 * 60, "2d", "2d"},
		{15 * 86400 + 2 * 3600, "15d 2h", "15d"},
		{-(86400 + 2 * 3600), "-1d 2h", "-1d"},
		{-(86400 + 2 * 3600 + 3599), "-1d 2h", "-1d"},
		{-86400, "-1d", "-1d"},
		{400LL * 86400, "400d", "400d"},
		{INT64_MAX, "106751991167300d 15h", "106751991167300d"},
		{INT64_MIN, "-106751991167300d 15h", "-106751991167300d"},
	};
	char buf[CLOCK_LEFT_LEN];

	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		assert_string_equal(clock_format_left(cases[i].secs, buf), cases[i].longf);
		assert_string_equal(clock_format_left_short(cases[i].secs, buf), cases[i].shortf);
	}
}

static void
test_format_left_of_parsed_duration(void **state)
{
	static const char *const durs[] = {"90m", "24h", "36h", "5d", "2w", "45m"};
	static const char *const want[] = {"1h 30m", "1d", "1d 12h", "5d", "14d", "45m"};
	char buf[CLOCK_LEFT_LEN];
	struct error err;
	int64_t secs;

	(void)state;
	for (size_t i = 0; i < sizeof durs / sizeof durs[0]; i++) {
		assert_int_equal(clock_parse_duration(durs[i], &secs, &err), 0);
		assert_string_equal(clock_format_left(secs, buf), want[i]);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_iso_utc_forms),
		cmocka_unit_test(test_iso_offsets),
		cmocka_unit_test(test_iso_fractions_dropped),
		cmocka_unit_test(test_iso_bad_syntax),
		cmocka_unit_test(test_iso_bad_ranges),
		cmocka_unit_test(test_iso_bad_offsets_and_trailing),
		cmocka_unit_test(test_iso_error_escapes_hostile_bytes),
		cmocka_unit_test(test_format_iso),
		cmocka_unit_test(test_format_parse_round_trip),
		cmocka_unit_test(test_now_from_env),
		cmocka_unit_test(test_now_bad_env),
		cmocka_unit_test(test_now_real_clock),
		cmocka_unit_test(test_duration_valid),
		cmocka_unit_test(test_duration_bad),
		cmocka_unit_test(test_user_time_forms),
		cmocka_unit_test(test_user_time_dst),
		cmocka_unit_test(test_user_time_bad),
		cmocka_unit_test(test_format_left),
		cmocka_unit_test(test_format_left_of_parsed_duration),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
