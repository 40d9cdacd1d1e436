/* core/clock.c: the one clock (EMBARGO_NOW), ISO 8601 times and durations. */
#include "build-config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "core/clock.h"

#define ISO_EXPECTED \
	"expected an ISO 8601 time with offset like 2026-11-22T12:00:00Z or 2026-11-22T13:00+01:00"
#define USER_EXPECTED                                                    \
	"expected 2026-11-22T12:00Z (with offset), 2026-11-22 14:00 or "   \
	"2026-11-22 (in %s), or +DURATION like +3d"
#define DURATION_EXPECTED "expected a duration like 90m, 24h, 5d or 2w"

/* The longest duration accepted: keeps every "time + duration" far from overflow. */
#define DURATION_MAX_DAYS 36500
#define DURATION_MAX ((int64_t)DURATION_MAX_DAYS * 86400)

/* A broken-down time as typed: no offset applied yet. */
struct civil {
	int year, month, day, hour, minute, second;
};

static bool
is_leap(int64_t y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int
days_in_month(int64_t y, int m)
{
	static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

	return (m == 2 && is_leap(y)) ? 29 : days[m - 1];
}

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm). */
static int64_t
days_from_civil(int64_t y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static void
civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
	int64_t era, doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = yoe + era * 400 + (*m <= 2);
}

/* Seconds since the epoch of C read as UTC. */
static int64_t
civil_to_seconds(const struct civil *c)
{
	return days_from_civil(c->year, c->month, c->day) * 86400 +
	    c->hour * 3600 + c->minute * 60 + c->second;
}

/* Reads exactly N digits at *P into *OUT; advances *P. */
static bool
digits(const char **p, int n, int *out)
{
	int v = 0;

	for (int i = 0; i < n; i++) {
		if (!g_ascii_isdigit((*p)[i]))
			return false;
		v = v * 10 + ((*p)[i] - '0');
	}
	*p += n;
	*out = v;
	return true;
}

/*
 * Reads "YYYY-MM-DD" and, when present, "[T ]HH:MM[:SS[.frac]]" from S,
 * checking each field's range.  *REST is left at what follows; *HAS_TIME
 * says whether a time was read.  On error, fills ERR with the reason only.
 */
static int
parse_civil(const char *s, struct civil *c, const char **rest, bool *has_time,
    struct error *err)
{
	const char *p = s;

	memset(c, 0, sizeof *c);
	*has_time = false;
	if (!digits(&p, 4, &c->year) || *p++ != '-' ||
	    !digits(&p, 2, &c->month) || *p++ != '-' ||
	    !digits(&p, 2, &c->day))
		return error_set(err, "the date is not YYYY-MM-DD");
	if (c->month < 1 || c->month > 12)
		return error_set(err, "month %02d is out of range (01-12)", c->month);
	if (c->day < 1 || c->day > days_in_month(c->year, c->month))
		return error_set(err, "day %02d is out of range (%04d-%02d has %d days)",
		    c->day, c->year, c->month, days_in_month(c->year, c->month));
	if (*p == 'T' || *p == 't' || (*p == ' ' && g_ascii_isdigit(p[1]))) {
		p++;
		if (!digits(&p, 2, &c->hour) || *p++ != ':' ||
		    !digits(&p, 2, &c->minute))
			return error_set(err, "the time is not HH:MM");
		if (c->hour > 23)
			return error_set(err, "hour %02d is out of range (00-23)", c->hour);
		if (c->minute > 59)
			return error_set(err, "minute %02d is out of range (00-59)", c->minute);
		if (*p == ':') {
			p++;
			if (!digits(&p, 2, &c->second))
				return error_set(err, "the seconds are not two digits");
			if (c->second > 59)
				return error_set(err, "second %02d is out of range (00-59)", c->second);
			/* Fractions of a second are accepted and dropped. */
			if (*p == '.' || *p == ',') {
				p++;
				if (!g_ascii_isdigit(*p))
					return error_set(err, "no digits after the decimal mark");
				while (g_ascii_isdigit(*p))
					p++;
			}
		}
		*has_time = true;
	}
	*rest = p;
	return 0;
}

/* Reads an offset ("Z", "+01:00", "+0100", "-05") into seconds east of UTC; all of S. */
static int
parse_offset(const char *s, int *offset, struct error *err)
{
	const char *p = s;
	int sign, h, m = 0;

	if (*s == '\0')
		return error_set(err, "no offset (add Z or +HH:MM)");
	if ((s[0] == 'Z' || s[0] == 'z') && s[1] == '\0') {
		*offset = 0;
		return 0;
	}
	if (*p != '+' && *p != '-')
		return error_set(err, "unexpected text after the time");
	sign = *p++ == '-' ? -1 : 1;
	if (!digits(&p, 2, &h))
		return error_set(err, "the offset is not +HH:MM");
	if (*p == ':')
		p++;
	if (*p != '\0' && !digits(&p, 2, &m))
		return error_set(err, "the offset is not +HH:MM");
	if (*p != '\0')
		return error_set(err, "unexpected text after the offset");
	if (h > 23 || m > 59)
		return error_set(err, "the offset is out of range (at most 23:59)");
	*offset = sign * (h * 3600 + m * 60);
	return 0;
}

/* Parses "DATE[T ]TIME OFFSET" with no quoting of S in the error (the caller adds it). */
static int
parse_iso(const char *s, time_t *out, struct error *err)
{
	struct civil c;
	const char *rest;
	bool has_time;
	int offset = 0;

	if (*s == '\0')
		return error_set(err, "empty");
	if (parse_civil(s, &c, &rest, &has_time, err) != 0)
		return -1;
	if (!has_time)
		return error_set(err, *rest == '\0' ? "no time of day (add THH:MM and an offset)" :
		    "unexpected text after the date");
	if (parse_offset(rest, &offset, err) != 0)
		return -1;
	*out = (time_t)(civil_to_seconds(&c) - offset);
	return 0;
}

int
clock_parse_iso8601(const char *s, time_t *out, struct error *err)
{
	struct error why;
	char *q;

	if (s == NULL)
		s = "";
	if (parse_iso(s, out, &why) == 0)
		return 0;
	q = error_quote(s);
	error_set(err, "%s: %s; %s", q, why.msg, ISO_EXPECTED);
	g_free(q);
	return -1;
}

int
clock_now(time_t *now, struct error *err)
{
	const char *env = getenv("EMBARGO_NOW");
	time_t t;

	if (env == NULL) {
		*now = time(NULL);
		return 0;
	}
	/* Set but empty is refused too: nothing silently falls back to the real clock. */
	if (clock_parse_iso8601(env, &t, err) != 0)
		return error_prefix(err, "EMBARGO_NOW");
	*now = t;
	return 0;
}

char *
clock_format_iso8601(time_t t, char buf[CLOCK_ISO_LEN])
{
	int64_t secs = (int64_t)t, days, rem, y;
	int m, d;

	days = secs / 86400;
	rem = secs % 86400;
	if (rem < 0) {
		rem += 86400;
		days--;
	}
	civil_from_days(days, &y, &m, &d);
	snprintf(buf, CLOCK_ISO_LEN, "%04" PRId64 "-%02d-%02dT%02d:%02d:%02dZ", y, m, d,
	    (int)(rem / 3600), (int)(rem % 3600 / 60), (int)(rem % 60));
	return buf;
}

int
clock_parse_duration(const char *s, int64_t *secs, struct error *err)
{
	static const struct {
		char unit;
		int64_t secs;
	} units[] = {{'m', 60}, {'h', 3600}, {'d', 86400}, {'w', 7 * 86400}};
	const char *p = s == NULL ? "" : s;
	uint64_t n = 0;
	char *q;
	int rv;

	q = error_quote(p);
	if (!g_ascii_isdigit(*p)) {
		rv = error_set(err, "%s: %s", q, DURATION_EXPECTED);
		goto out;
	}
	for (; g_ascii_isdigit(*p); p++) {
		n = n * 10 + (uint64_t)(*p - '0');
		if (n > (uint64_t)DURATION_MAX) {
			/* Skip the rest of the digits: the unit is still checked below. */
			while (g_ascii_isdigit(p[1]))
				p++;
		}
	}
	for (size_t i = 0; i < G_N_ELEMENTS(units); i++) {
		if (p[0] != units[i].unit || p[1] != '\0')
			continue;
		if (n == 0) {
			rv = error_set(err, "%s: a duration must be more than zero; %s",
			    q, DURATION_EXPECTED);
		} else if (n > (uint64_t)(DURATION_MAX / units[i].secs)) {
			rv = error_set(err, "%s: too long (at most %dd, about 100 years)",
			    q, DURATION_MAX_DAYS);
		} else {
			*secs = (int64_t)n * units[i].secs;
			rv = 0;
		}
		goto out;
	}
	rv = error_set(err, "%s: %s", q, DURATION_EXPECTED);
out:
	g_free(q);
	return rv;
}

/* The offset of TZ in force at the UTC instant UTC, in seconds east. */
static int64_t
zone_offset(GTimeZone *tz, int64_t utc)
{
	int i = g_time_zone_find_interval(tz, G_TIME_TYPE_UNIVERSAL, utc);

	return i < 0 ? 0 : g_time_zone_get_offset(tz, i);
}

/*
 * The UTC instant of the local wall-clock time LOCAL (seconds, read as if
 * UTC) in TZ.  The rules are those of PEP 495's fold=0: a time that occurs
 * twice (clocks going back) is its first occurrence, the earlier instant; a
 * time that does not exist (clocks going forward) is read with the offset in
 * force before the jump, so 02:30 on a spring-forward night in Berlin is
 * 01:30Z, shown as 03:30 summer time.  GLib's own g_date_time_new() picks
 * differently (the start of the new interval), so this does not use it.
 */
static int64_t
zone_local_to_utc(GTimeZone *tz, int64_t local)
{
	int64_t before = zone_offset(tz, local - 86400);
	int64_t after = zone_offset(tz, local + 86400);
	int64_t candidates[2] = {before, after};
	bool found = false;
	int64_t best = 0;

	for (size_t i = 0; i < 2; i++) {
		int64_t utc = local - candidates[i];

		if (zone_offset(tz, utc) == candidates[i] && (!found || utc < best)) {
			best = utc;
			found = true;
		}
	}
	return found ? best : local - before;
}

int
clock_parse_user_time(const char *s, time_t now, const char *tzname,
    time_t *out, struct error *err)
{
	char *copy = g_strstrip(g_strdup(s == NULL ? "" : s));
	const char *zone = (tzname == NULL || *tzname == '\0') ? "UTC" : tzname;
	GTimeZone *tz = NULL;
	struct error why;
	struct civil c;
	const char *rest;
	bool has_time;
	char *q;
	int64_t d;
	int rv = -1;

	if (copy[0] == '+') {
		if (clock_parse_duration(copy + 1, &d, err) != 0) {
			error_prefix(err, "after +");
			goto out;
		}
		*out = (time_t)((int64_t)now + d);
		rv = 0;
		goto out;
	}
	if (copy[0] == '\0') {
		rv = error_set(err, "no time given; " USER_EXPECTED, zone);
		goto out;
	}
	if (parse_civil(copy, &c, &rest, &has_time, &why) != 0)
		goto bad;
	if (*rest != '\0') {
		if (!has_time) {
			error_set(&why, "unexpected text after the date");
			goto bad;
		}
		rv = clock_parse_iso8601(copy, out, err);
		goto out;
	}
	tz = g_time_zone_new_identifier(zone);
	if (tz == NULL) {
		q = error_quote(zone);
		rv = error_set(err, "unknown time zone %s: expected an IANA name like Europe/Berlin or UTC", q);
		g_free(q);
		goto out;
	}
	*out = (time_t)zone_local_to_utc(tz, civil_to_seconds(&c));
	rv = 0;
	goto out;
bad:
	q = error_quote(copy);
	rv = error_set(err, "%s: %s; " USER_EXPECTED, q, why.msg, zone);
	g_free(q);
out:
	if (tz != NULL)
		g_time_zone_unref(tz);
	g_free(copy);
	return rv;
}

/* Splits |SECS| into days, hours and minutes, truncating toward zero. */
static void
split_left(int64_t secs, bool *neg, uint64_t *d, uint64_t *h, uint64_t *m)
{
	uint64_t a;

	*neg = secs < 0;
	/* Negating INT64_MIN overflows: go through unsigned arithmetic. */
	a = *neg ? (uint64_t)0 - (uint64_t)secs : (uint64_t)secs;
	*d = a / 86400;
	*h = a % 86400 / 3600;
	*m = a % 3600 / 60;
	/* Under a minute shows as "0m" either side of zero, never "-0m". */
	if (a < 60)
		*neg = false;
}

char *
clock_format_left(int64_t secs, char buf[CLOCK_LEFT_LEN])
{
	uint64_t d, h, m;
	bool neg;
	const char *sign;

	split_left(secs, &neg, &d, &h, &m);
	sign = neg ? "-" : "";
	if (d > 0 && h > 0)
		snprintf(buf, CLOCK_LEFT_LEN, "%s%" PRIu64 "d %" PRIu64 "h", sign, d, h);
	else if (d > 0)
		snprintf(buf, CLOCK_LEFT_LEN, "%s%" PRIu64 "d", sign, d);
	else if (h > 0 && m > 0)
		snprintf(buf, CLOCK_LEFT_LEN, "%s%" PRIu64 "h %" PRIu64 "m", sign, h, m);
	else if (h > 0)
		snprintf(buf, CLOCK_LEFT_LEN, "%s%" PRIu64 "h", sign, h);
	else
		snprintf(buf, CLOCK_LEFT_LEN, "%s%" PRIu64 "m", sign, m);
	return buf;
}

char *
clock_format_left_short(int64_t secs, char buf[CLOCK_LEFT_LEN])
{
	uint64_t d, h, m;
	bool neg;
	const char *sign;

	split_left(secs, &neg, &d, &h, &m);
	sign = neg ? "-" : "";
	if (d > 0)
		snprintf(buf, CLOCK_LEFT_LEN, "%s%" PRIu64 "d", sign, d);
	else if (h > 0)
		snprintf(buf, CLOCK_LEFT_LEN, "%s%" PRIu64 "h", sign, h);
	else
		snprintf(buf, CLOCK_LEFT_LEN, "%s%" PRIu64 "m", sign, m);
	return buf;
}

char *
clock_format_local(time_t t, const char *tzname)
{
	GTimeZone *tz = tzname != NULL && *tzname != '\0' ?
	    g_time_zone_new_identifier(tzname) : NULL;
	GDateTime *dt, *local;
	char *s;

	if (tz == NULL)
		tz = g_time_zone_new_utc();
	dt = g_date_time_new_from_unix_utc((gint64)t);
	if (dt == NULL) {
		g_time_zone_unref(tz);
		return g_strdup("?");
	}
	local = g_date_time_to_timezone(dt, tz);
	s = g_date_time_format(local, "%Y-%m-%d %H:%M");
	g_date_time_unref(local);
	g_date_time_unref(dt);
	g_time_zone_unref(tz);
	return s;
}
