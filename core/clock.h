/* core/clock.h: the one clock (honouring EMBARGO_NOW), ISO 8601 times and durations. */
#ifndef EMBARGO_CLOCK_H
#define EMBARGO_CLOCK_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "core/error.h"

/* Big enough for "2026-11-23T09:00:00Z" and "-123456d 23h". */
#define CLOCK_ISO_LEN 32
#define CLOCK_LEFT_LEN 32

/*
 * The current time in seconds since the epoch.  When EMBARGO_NOW is set it
 * must be an ISO 8601 time with an offset; a bad value (an empty one too) is
 * an error naming the variable, the value and the expected form (every caller
 * reports it, nothing silently uses the real clock).
 */
int clock_now(time_t *now, struct error *err);

/*
 * Parses an ISO 8601 time with an offset: "2026-11-22T12:00:00Z",
 * "2026-11-22T13:00:00+01:00", "2026-11-22T13:00+0100", "...-05", fractional
 * seconds ("12:00:00.25") accepted and dropped.  A space may replace the T.
 * Hours and minutes are required, seconds optional.  A time without an
 * offset, a field out of range (month 13, Feb 30, hour 24, minute 60,
 * second 60), trailing text and the empty string are refused.
 */
int clock_parse_iso8601(const char *s, time_t *out, struct error *err);

/*
 * Parses what a handler types for a date in a prompt or on the command line
 * (surrounding blanks ignored): an ISO 8601 time with offset;
 * "YYYY-MM-DD HH:MM[:SS]" or "YYYY-MM-DD" (00:00) in the time zone TZNAME
 * (NULL or "" = UTC; an IANA name like "Europe/Berlin"; an unknown name is
 * an error); or "+DURATION" relative to NOW ("+3d", "+36h").
 * Around DST changes the rule is PEP 495's fold=0: a wall-clock time that
 * happens twice (clocks going back) is the first, earlier one; a time that
 * does not exist (clocks going forward) is read with the offset in force
 * before the jump ("2026-03-29 02:30" in Europe/Berlin is 01:30Z, which
 * the clocks there show as 03:30).
 */
int clock_parse_user_time(const char *s, time_t now, const char *tzname,
    time_t *out, struct error *err);

/* Formats T as "2026-11-22T12:00:00Z" into BUF (CLOCK_ISO_LEN bytes). */
char *clock_format_iso8601(time_t t, char buf[CLOCK_ISO_LEN]);

/*
 * Formats T for people as "2026-11-21 12:00" in the time zone TZNAME (an
 * IANA name; NULL, "" or an unknown zone: UTC).  New string (g_free).
 */
char *clock_format_local(time_t t, const char *tzname);

/*
 * Parses "90m", "24h", "5d", "2w" (a positive integer and one unit: m h d w)
 * into seconds.  Zero, signs, blanks, fractions, other units and durations
 * over 36500 days are refused.
 */
int clock_parse_duration(const char *s, int64_t *secs, struct error *err);

/*
 * Formats a time left for humans, at most two units, rounded towards zero:
 * "45m", "3h", "3h 20m", "2d 4h", "15d 2h" (no weeks), "-1d 2h" when
 * overdue, "0m" under a minute either side of zero (never "-0m").  A zero
 * second unit is left out: 2d 0h 30m is "2d".
 */
char *clock_format_left(int64_t secs, char buf[CLOCK_LEFT_LEN]);

/* The short form for narrow columns: the largest unit only ("3h", "-1d", "0m"). */
char *clock_format_left_short(int64_t secs, char buf[CLOCK_LEFT_LEN]);

#endif
