/* core/policy.c: the disclosure policy: deadlines, urgencies, the case life cycle, field rules. */
#include "build-config.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <glib.h>

#include "core/clock.h"
#include "core/policy.h"

/* A guard against a holiday list that leaves no working day in sight. */
#define POLICY_MAX_DAYS (366 * 20)

/* Longest "affected" text and note we accept, in bytes. */
#define POLICY_AFFECTED_MAX 1000
#define POLICY_NOTE_MAX 65536

/*
 * The life cycle: forward along the states, with the skips a real case
 * takes, back from fix-ready to fixing when a fix fails review, any open
 * state to rejected or closed, and reopening of closed or rejected cases.
 */
static const bool transitions[STATE__COUNT][STATE__COUNT] = {
	[STATE_NEW] = {
		[STATE_ACKNOWLEDGED] = true, [STATE_TRIAGED] = true,
		[STATE_CONFIRMED] = true,
		[STATE_REJECTED] = true, [STATE_CLOSED] = true,
	},
	[STATE_ACKNOWLEDGED] = {
		[STATE_TRIAGED] = true, [STATE_CONFIRMED] = true,
		[STATE_REJECTED] = true, [STATE_CLOSED] = true,
	},
	[STATE_TRIAGED] = {
		[STATE_CONFIRMED] = true, [STATE_FIXING] = true,
		[STATE_REJECTED] = true, [STATE_CLOSED] = true,
	},
	[STATE_CONFIRMED] = {
		[STATE_FIXING] = true, [STATE_FIX_READY] = true,
		[STATE_REJECTED] = true, [STATE_CLOSED] = true,
	},
	[STATE_FIXING] = {
		[STATE_FIX_READY] = true,
		[STATE_REJECTED] = true, [STATE_CLOSED] = true,
	},
	[STATE_FIX_READY] = {
		[STATE_FIXING] = true, [STATE_DISTROS_NOTIFIED] = true,
		/* Straight to published when the distros list is not needed. */
		[STATE_PUBLISHED] = true,
		[STATE_REJECTED] = true, [STATE_CLOSED] = true,
	},
	[STATE_DISTROS_NOTIFIED] = {
		[STATE_PUBLISHED] = true,
		[STATE_REJECTED] = true, [STATE_CLOSED] = true,
	},
	[STATE_PUBLISHED] = {
		[STATE_CLOSED] = true,
	},
	[STATE_CLOSED] = {
		[STATE_NEW] = true, [STATE_TRIAGED] = true,
	},
	[STATE_REJECTED] = {
		[STATE_NEW] = true, [STATE_TRIAGED] = true,
	},
};

static bool
str_empty(const char *s)
{
	return s == NULL || *s == '\0';
}

/* Field values compare equal when both are unset ("" and NULL alike). */
static bool
value_equal(const char *a, const char *b)
{
	if (str_empty(a) || str_empty(b))
		return str_empty(a) && str_empty(b);
	return strcmp(a, b) == 0;
}

/* Working days. */

static bool
is_holiday(const struct config *cfg, int y, int m, int d)
{
	char date[16];

	if (cfg->holidays == NULL)
		return false;
	snprintf(date, sizeof date, "%04d-%02d-%02d", y, m, d);
	for (size_t i = 0; cfg->holidays[i] != NULL; i++)
		if (strcmp(cfg->holidays[i], date) == 0)
			return true;
	return false;
}

/*
 * The local day that contains T: whether it is a working day and the
 * instant it ends (the next local midnight, so DST days are 23h or 25h).
 */
static time_t
local_day(const struct config *cfg, GTimeZone *tz, time_t t, bool *working)
{
	GDateTime *utc, *local, *next;
	GDate date;
	int y, m, d, dow;
	time_t end;

	utc = g_date_time_new_from_unix_utc(t);
	local = g_date_time_to_timezone(utc, tz);
	g_date_time_get_ymd(local, &y, &m, &d);
	dow = g_date_time_get_day_of_week(local); /* 1 Monday .. 7 Sunday */
	g_date_time_unref(local);
	g_date_time_unref(utc);

	*working = dow <= 5 && !is_holiday(cfg, y, m, d);

	g_date_clear(&date, 1);
	g_date_set_dmy(&date, (GDateDay)d, (GDateMonth)m, (GDateYear)y);
	g_date_add_days(&date, 1);
	next = g_date_time_new(tz, g_date_get_year(&date),
	    g_date_get_month(&date), g_date_get_day(&date), 0, 0, 0);
	end = next != NULL ? (time_t)g_date_time_to_unix(next) : t + 86400;
	if (next != NULL)
		g_date_time_unref(next);
	/* Always make progress, whatever the zone does at midnight. */
	if (end <= t)
		end = t + 1;
	return end;
}

time_t
policy_add(const struct config *cfg, time_t start, int64_t secs)
{
	GTimeZone *tz = NULL;
	time_t cursor = start;
	int64_t left = secs;

	if (cfg == NULL || !cfg->working_days || secs <= 0)
		return start + (time_t)secs;

	if (!str_empty(cfg->timezone))
		tz = g_time_zone_new_identifier(cfg->timezone);
	if (tz == NULL)
		tz = g_time_zone_new_utc();

	for (int days = 0; days < POLICY_MAX_DAYS; days++) {
		bool working;
		time_t end = local_day(cfg, tz, cursor, &working);

		if (working) {
			if (left <= (int64_t)(end - cursor)) {
				g_time_zone_unref(tz);
				return cursor + (time_t)left;
			}
			left -= (int64_t)(end - cursor);
		}
		cursor = end;
	}
	g_time_zone_unref(tz);
	/* No working day for decades: the calendar is the only clock left. */
	return cursor + (time_t)left;
}

enum urgency
policy_urgency(const struct config *cfg, time_t start, time_t due,
    time_t met_at, time_t now)
{
	int64_t window, threshold, left;
	int percent = cfg != NULL ? cfg->soon_percent : 25;
	int64_t min = cfg != NULL ? cfg->soon_min : 6 * 3600;

	if (met_at > 0)
		return URG_MET;
	if (now > due)
		return URG_OVERDUE;
	window = (int64_t)due - (int64_t)start;
	if (window < 0)
		window = 0;
	threshold = window / 100 * percent + window % 100 * percent / 100;
	if (threshold < min)
		threshold = min;
	left = (int64_t)due - (int64_t)now;
	return left <= 0 || left < threshold ? URG_SOON : URG_OK;
}

/* Deadlines. */

static const char *
field_value(const struct store_case *c, const char *field)
{
	const char *v;

	if (c == NULL)
		return NULL;
	v = store_case_field(c, field);
	return str_empty(v) ? NULL : v;
}

static time_t
field_at(const struct store_case *c, const char *field)
{
	return field_value(c, field) != NULL ? store_case_field_at(c, field) : 0;
}

/* When a marker was done: its value when that is a time, else when it was set. */
static time_t
marker_time(const struct store_case *c, const char *field)
{
	const char *v = field_value(c, field);
	struct error err;
	time_t t;

	if (v == NULL)
		return 0;
	if (clock_parse_iso8601(v, &t, &err) == 0 && t > 0)
		return t;
	return store_case_field_at(c, field);
}

/* The earliest of two times, 0 meaning "never". */
static time_t
earliest(time_t a, time_t b)
{
	if (a <= 0)
		return b > 0 ? b : 0;
	if (b <= 0)
		return a;
	return a < b ? a : b;
}

static time_t
latest(time_t a, time_t b)
{
	return a > b ? a : b;
}

static void
add_deadline(struct case_deadlines *out, enum deadline_kind kind,
    time_t start, time_t due, time_t met_at)
{
	struct deadline *d = &out->d[out->n++];

	d->kind = kind;
	d->start = start;
	d->due = due;
	d->met_at = met_at > 0 ? met_at : 0;
}

static enum state
case_state(const struct store_case *c)
{
	const char *v = field_value(c, "state");
	int s = v != NULL ? state_from_name(v) : -1;

	return s >= 0 ? (enum state)s : STATE_NEW;
}

static void
embargo_deadlines(const struct config *cfg, const struct mail_facts *f,
    const struct store_case *c, enum state state, time_t now,
    struct case_deadlines *out)
{
	const char *ev = field_value(c, "embargo");
	const char *sv = field_value(c, "severity");
	enum severity sev = SEV_UNSET;
	time_t embargo, set_at, met, due;
	struct error err;

	if (ev == NULL)
		return;
	if (clock_parse_iso8601(ev, &embargo, &err) != 0) {
		snprintf(out->warning, sizeof out->warning,
		    "embargo '%.64s' is not a time: %.120s", ev, err.msg);
		return;
	}
	set_at = field_at(c, "embargo");
	if (sv != NULL && severity_from_name(sv, &sev) != 0)
		sev = SEV_UNSET;

	if (sev != SEV_UNSET && sev >= cfg->distros_min_severity) {
		/* The window opens once both the embargo and the severity call for it. */
		time_t start = latest(set_at, field_at(c, "severity"));
		time_t ref;

		due = embargo - (time_t)cfg->distros_notice;
		met = marker_time(c, "distros-notified");
		if (f != NULL)
			met = earliest(met, f->distros_mail_at);
		if (state == STATE_DISTROS_NOTIFIED)
			met = earliest(met, field_at(c, "state"));
		add_deadline(out, DL_DISTROS, start, due, met);

		ref = met > 0 ? met : latest(due, now);
		if ((int64_t)(embargo - ref) > cfg->distros_max_embargo) {
			char when[CLOCK_ISO_LEN], gap[CLOCK_LEFT_LEN];
			char max[CLOCK_LEFT_LEN];

			snprintf(out->warning, sizeof out->warning,
			    "embargo %s is %s after the distros notice; "
			    "distros allows at most %s",
			    clock_format_iso8601(embargo, when),
			    clock_format_left((int64_t)(embargo - ref), gap),
			    clock_format_left(cfg->distros_max_embargo, max));
		}
	}

	met = marker_time(c, "announced");
	if (state == STATE_PUBLISHED)
		met = earliest(met, field_at(c, "state"));
	add_deadline(out, DL_ANNOUNCE, set_at, embargo, met);

	met = 0;
	for (int i = 0; i < CHK__COUNT; i++) {
		char *name = g_strdup_printf("check:%s",
		    checklist_name((enum checklist_item)i));
		time_t at = field_at(c, name);

		g_free(name);
		if (at == 0) {
			met = 0;
			break;
		}
		met = latest(met, at);
	}
	add_deadline(out, DL_PUBLISH, embargo,
	    embargo + (time_t)cfg->publish_window, met);
}

/* Whether a deadline of KIND still runs in STATE (met deadlines always stay). */
static bool
runs_in_state(enum deadline_kind kind, enum state state)
{
	if (state == STATE_CLOSED || state == STATE_REJECTED)
		return false;
	if (state == STATE_PUBLISHED)
		return kind == DL_ANNOUNCE || kind == DL_PUBLISH;
	return true;
}

void
policy_deadlines(const struct config *cfg, const struct mail_facts *f,
    const struct store_case *c, time_t now, struct case_deadlines *out)
{
	enum state state = case_state(c);
	time_t report = f != NULL ? f->report_at : 0;
	size_t kept = 0;

	memset(out, 0, sizeof *out);
	out->next = -1;

	if (report > 0) {
		add_deadline(out, DL_ACK, report,
		    policy_add(cfg, report, cfg->ack), f->first_team_reply_at);
		add_deadline(out, DL_RESPONSE, report,
		    policy_add(cfg, report, cfg->response),
		    earliest(f->second_team_reply_at,
			marker_time(c, "response-sent")));
	}
	if (f != NULL && f->last_team_to_reporter_at > 0 &&
	    state_is_open(state)) {
		time_t start = f->last_team_to_reporter_at;

		add_deadline(out, DL_UPDATE, start,
		    policy_add(cfg, start, cfg->update), 0);
	}
	embargo_deadlines(cfg, f, c, state, now, out);

	for (size_t i = 0; i < out->n; i++) {
		struct deadline *d = &out->d[i];

		if (d->met_at == 0 && !runs_in_state(d->kind, state))
			continue;
		d->urgency = policy_urgency(cfg, d->start, d->due, d->met_at,
		    now);
		out->d[kept++] = *d;
	}
	out->n = kept;

	for (size_t i = 0; i < out->n; i++) {
		if (out->d[i].met_at != 0)
			continue;
		if (out->next < 0 || out->d[i].due < out->d[out->next].due)
			out->next = (int)i;
	}
}

int
policy_compare(const struct case_deadlines *a, int64_t a_id,
    const struct case_deadlines *b, int64_t b_id)
{
	const struct deadline *da = a->next >= 0 ? &a->d[a->next] : NULL;
	const struct deadline *db = b->next >= 0 ? &b->d[b->next] : NULL;
	bool oa = da != NULL && da->urgency == URG_OVERDUE;
	bool ob = db != NULL && db->urgency == URG_OVERDUE;

	if (oa != ob)
		return oa ? -1 : 1;
	if ((da == NULL) != (db == NULL))
		return da != NULL ? -1 : 1;
	if (da != NULL && da->due != db->due)
		return da->due < db->due ? -1 : 1;
	if (a_id != b_id)
		return a_id < b_id ? -1 : 1;
	return 0;
}

/* The life cycle. */

bool
policy_transition_allowed(enum state from, enum state to)
{
	if (from < 0 || from >= STATE__COUNT || to < 0 || to >= STATE__COUNT)
		return false;
	return transitions[from][to];
}

int
policy_check_transition(enum state from, enum state to, struct error *err)
{
	GString *allowed;

	if (state_name(from) == NULL || state_name(to) == NULL)
		return error_set(err, "unknown state (%d -> %d)", (int)from,
		    (int)to);
	if (policy_transition_allowed(from, to))
		return 0;
	if (from == to)
		return error_set(err, "already %s", state_name(from));

	allowed = g_string_new(NULL);
	for (int s = 0; s < STATE__COUNT; s++) {
		if (!transitions[from][s])
			continue;
		if (allowed->len > 0)
			g_string_append(allowed, ", ");
		g_string_append(allowed, state_name((enum state)s));
	}
	error_set(err, "cannot go from %s to %s; from %s: %s",
	    state_name(from), state_name(to), state_name(from), allowed->str);
	g_string_free(allowed, TRUE);
	return -1;
}

/* Field rules: one normaliser per field, listed once in fields[]. */

struct field_ctx {
	const struct config *cfg;
	const char *field;
	const char *value; /* stripped */
	time_t now;
	bool force;
};

typedef int (*field_fn)(const struct field_ctx *, char **, struct error *);

static bool
is_clear_word(const char *v)
{
	return *v == '\0' || g_ascii_strcasecmp(v, "none") == 0 ||
	    g_ascii_strcasecmp(v, "unset") == 0;
}

static int
field_state(const struct field_ctx *x, char **out, struct error *err)
{
	char *lower = g_ascii_strdown(x->value, -1);
	GString *names;

	if (state_from_name(lower) >= 0) {
		*out = lower;
		return 0;
	}
	g_free(lower);
	names = g_string_new(NULL);
	for (int s = 0; s < STATE__COUNT; s++)
		g_string_append_printf(names, "%s%s", s > 0 ? ", " : "",
		    state_name((enum state)s));
	error_set(err, "state: unknown state '%.64s'; expected one of: %s",
	    x->value, names->str);
	g_string_free(names, TRUE);
	return -1;
}

static int
field_severity(const struct field_ctx *x, char **out, struct error *err)
{
	char *lower;
	enum severity sev;
	GString *names;

	/* "none" is a severity, so only "unset" (or nothing) clears it. */
	if (*x->value == '\0' || g_ascii_strcasecmp(x->value, "unset") == 0) {
		*out = g_strdup("");
		return 0;
	}
	lower = g_ascii_strdown(x->value, -1);
	if (severity_from_name(lower, &sev) == 0) {
		*out = lower;
		return 0;
	}
	g_free(lower);
	names = g_string_new(NULL);
	for (int s = 0; s < SEV__COUNT; s++)
		g_string_append_printf(names, "%s, ",
		    severity_name((enum severity)s));
	error_set(err, "severity: unknown severity '%.64s'; expected one of: "
	    "%sor unset", x->value, names->str);
	g_string_free(names, TRUE);
	return -1;
}

static int
field_handler(const struct field_ctx *x, char **out, struct error *err)
{
	const struct config *cfg = x->cfg;
	char *lower;
	GString *names;

	if (is_clear_word(x->value)) {
		*out = g_strdup("");
		return 0;
	}
	if (g_ascii_strcasecmp(x->value, "me") == 0) {
		if (str_empty(cfg->me))
			return error_set(err, "handler: 'me' needs [mail] me "
			    "to be set");
		lower = g_ascii_strdown(cfg->me, -1);
	} else
		lower = g_ascii_strdown(x->value, -1);

	for (size_t i = 0; cfg->handlers != NULL && cfg->handlers[i] != NULL;
	    i++) {
		if (g_ascii_strcasecmp(cfg->handlers[i], lower) == 0) {
			*out = lower;
			return 0;
		}
	}
	if (cfg->handlers == NULL || cfg->handlers[0] == NULL) {
		error_set(err, "handler: '%.128s' is not a handler: no "
		    "handlers are configured ([mail] handlers)", lower);
		g_free(lower);
		return -1;
	}
	names = g_string_new(NULL);
	for (size_t i = 0; cfg->handlers[i] != NULL; i++)
		g_string_append_printf(names, "%s, ", cfg->handlers[i]);
	error_set(err, "handler: '%.128s' is not one of [mail] handlers; "
	    "expected one of: %sme, or none", lower, names->str);
	g_string_free(names, TRUE);
	g_free(lower);
	return -1;
}

static int
field_embargo(const struct field_ctx *x, char **out, struct error *err)
{
	char when[CLOCK_ISO_LEN], now[CLOCK_ISO_LEN];
	time_t t;

	if (is_clear_word(x->value)) {
		*out = g_strdup("");
		return 0;
	}
	if (clock_parse_user_time(x->value, x->now, x->cfg->timezone, &t,
	    err) != 0)
		return error_prefix(err, "embargo");
	if (t <= x->now && !x->force)
		return error_set(err, "embargo: %s is not in the future (now "
		    "%s); use --force to set it anyway",
		    clock_format_iso8601(t, when),
		    clock_format_iso8601(x->now, now));
	*out = g_strdup(clock_format_iso8601(t, when));
	return 0;
}

static int
field_cve(const struct field_ctx *x, char **out, struct error *err)
{
	const char *v = x->value;
	size_t len = strlen(v), digits = 0;
	int year;

	if (is_clear_word(v)) {
		*out = g_strdup("");
		return 0;
	}
	if (len < 4 || g_ascii_strncasecmp(v, "CVE-", 4) != 0)
		goto bad;
	for (int i = 4; i < 8; i++)
		if (!g_ascii_isdigit(v[i]))
			goto bad;
	if (v[8] != '-')
		goto bad;
	for (const char *p = v + 9; *p != '\0'; p++, digits++)
		if (!g_ascii_isdigit(*p))
			goto bad;
	if (digits < 4 || digits > 19)
		goto bad;
	year = (v[4] - '0') * 1000 + (v[5] - '0') * 100 + (v[6] - '0') * 10 +
	    (v[7] - '0');
	if (year < 1999)
		return error_set(err, "cve: '%.64s' has year %d; CVE ids start "
		    "in 1999", v, year);
	*out = g_ascii_strup(v, -1);
	return 0;
bad:
	return error_set(err, "cve: '%.64s' is not a CVE id; expected "
	    "CVE-YYYY-NNNN (four or more digits)", v);
}

/* Text a human typed: valid UTF-8 without control characters (but newline and tab when ALLOW_LINES). */
static int
check_text(const char *what, const char *v, size_t max, bool allow_lines,
    struct error *err)
{
	size_t len = strlen(v);

	if (len > max)
		return error_set(err, "%s: %zu bytes is too long; at most %zu",
		    what, len, max);
	if (!g_utf8_validate(v, (gssize)len, NULL))
		return error_set(err, "%s: not valid UTF-8 text", what);
	for (const char *p = v; *p != '\0'; p = g_utf8_next_char(p)) {
		gunichar ch = g_utf8_get_char(p);

		if (allow_lines && (ch == '\n' || ch == '\t'))
			continue;
		if (g_unichar_iscntrl(ch))
			return error_set(err, "%s: control character U+%04X at "
			    "byte %zu; only printable text is allowed", what,
			    (unsigned)ch, (size_t)(p - v));
	}
	return 0;
}

static int
field_affected(const struct field_ctx *x, char **out, struct error *err)
{
	if (check_text("affected", x->value, POLICY_AFFECTED_MAX, false,
	    err) != 0)
		return -1;
	*out = g_strdup(x->value);
	return 0;
}

static int
yes_no(const char *v, bool *yes)
{
	static const char *const y[] = { "yes", "done", "1", "true" };
	static const char *const n[] = { "no", "", "0", "false", "none" };

	for (size_t i = 0; i < G_N_ELEMENTS(y); i++) {
		if (g_ascii_strcasecmp(v, y[i]) == 0) {
			*yes = true;
			return 0;
		}
	}
	for (size_t i = 0; i < G_N_ELEMENTS(n); i++) {
		if (g_ascii_strcasecmp(v, n[i]) == 0) {
			*yes = false;
			return 0;
		}
	}
	return -1;
}

static int
field_check(const struct field_ctx *x, char **out, struct error *err)
{
	bool yes;

	if (yes_no(x->value, &yes) != 0)
		return error_set(err, "%s: '%.64s' is not yes or no; expected "
		    "yes (done, 1) or no (empty)", x->field, x->value);
	*out = g_strdup(yes ? "yes" : "");
	return 0;
}

static int
field_marker(const struct field_ctx *x, char **out, struct error *err)
{
	char when[CLOCK_ISO_LEN];
	struct error perr;
	bool yes;
	time_t t;

	if (yes_no(x->value, &yes) == 0) {
		*out = g_strdup(yes ? "yes" : "");
		return 0;
	}
	if (clock_parse_user_time(x->value, x->now, x->cfg->timezone, &t,
	    &perr) != 0)
		return error_set(err, "%s: '%.64s' is neither yes, no nor a "
		    "time (%.200s)", x->field, x->value, perr.msg);
	if (t > x->now && !x->force)
		return error_set(err, "%s: %s is in the future; use --force to "
		    "set it anyway", x->field, clock_format_iso8601(t, when));
	*out = g_strdup(clock_format_iso8601(t, when));
	return 0;
}

static const struct field_rule {
	const char *name;
	enum event_kind kind;
	field_fn normalize;
} fields[] = {
	{ "state", EV_STATE, field_state },
	{ "severity", EV_SEVERITY, field_severity },
	{ "handler", EV_HANDLER, field_handler },
	{ "embargo", EV_EMBARGO, field_embargo },
	{ "cve", EV_CVE, field_cve },
	{ "affected", EV_AFFECTED, field_affected },
	{ "response-sent", EV_RESPONSE_SENT, field_marker },
	{ "distros-notified", EV_DISTROS_NOTIFIED, field_marker },
	{ "announced", EV_ANNOUNCED, field_marker },
	{ "check:", EV_CHECK, field_check }, /* a prefix: check:<item> */
};

static int
unknown_field(const char *field, struct error *err)
{
	GString *names = g_string_new(NULL);

	for (size_t i = 0; i + 1 < G_N_ELEMENTS(fields); i++)
		g_string_append_printf(names, "%s, ", fields[i].name);
	g_string_append(names, "check:<item> (");
	for (int i = 0; i < CHK__COUNT; i++)
		g_string_append_printf(names, "%s%s", i > 0 ? ", " : "",
		    checklist_name((enum checklist_item)i));
	g_string_append(names, ")");
	error_set(err, "unknown field '%.64s'; expected one of: %s",
	    field != NULL ? field : "", names->str);
	g_string_free(names, TRUE);
	return -1;
}

static const struct field_rule *
field_find(const char *field, struct error *err)
{
	if (field == NULL) {
		unknown_field(field, err);
		return NULL;
	}
	for (size_t i = 0; i < G_N_ELEMENTS(fields); i++) {
		const struct field_rule *r = &fields[i];

		if (r->kind == EV_CHECK) {
			if (strncmp(field, r->name, strlen(r->name)) == 0) {
				if (checklist_from_name(field +
				    strlen(r->name)) >= 0)
					return r;
				break;
			}
		} else if (strcmp(field, r->name) == 0)
			return r;
	}
	unknown_field(field, err);
	return NULL;
}

int
policy_normalize_field(const struct config *cfg, const char *field,
    const char *value, time_t now, bool force, char **normalized,
    struct error *err)
{
	const struct field_rule *r = field_find(field, err);
	struct field_ctx x;
	char *v;
	int rc;

	if (r == NULL)
		return -1;
	if (value == NULL)
		value = "";
	/* Reject bad bytes before stripping, so nothing hides in the ends. */
	if (check_text(field, value, POLICY_NOTE_MAX, false, err) != 0)
		return -1;
	v = g_strstrip(g_strdup(value));
	if (r->kind == EV_STATE && *v == '\0') {
		g_free(v);
		return error_set(err, "state: a case always has a state; "
		    "expected one of the state names");
	}
	x.cfg = cfg;
	x.field = field;
	x.value = v;
	x.now = now;
	x.force = force;
	rc = r->normalize(&x, normalized, err);
	g_free(v);
	return rc;
}

/* Setting fields through the store. */

int
policy_set_field_seen(struct store *st, const struct config *cfg,
    const struct store_case *seen, const char *field, const char *value,
    const char *author, time_t now, bool force, struct error *err)
{
	const struct field_rule *r;
	const char *cur;
	char *norm = NULL, *current = NULL;
	struct store_event ev;
	int64_t id = seen->id;
	int rc;

	if (str_empty(author))
		return error_set(err, "case %" PRId64 ": no author for the "
		    "change (set [mail] me)", id);
	if ((r = field_find(field, err)) == NULL)
		return -1;
	if (policy_normalize_field(cfg, field, value, now, force, &norm,
	    err) != 0)
		return error_prefix(err, "case %" PRId64, id);
	cur = store_case_field(seen, field);

	if (r->kind == EV_STATE) {
		enum state from = STATE_NEW;

		if (!str_empty(cur)) {
			int s = state_from_name(cur);

			/* A state we do not know (a newer embargo?) can still be left. */
			from = s >= 0 ? (enum state)s : STATE__COUNT;
		}
		if (from != STATE__COUNT && policy_check_transition(from,
		    (enum state)state_from_name(norm), err) != 0) {
			g_free(norm);
			return error_prefix(err, "case %" PRId64, id);
		}
	} else if (value_equal(cur, norm)) {
		g_free(norm);
		return 0;
	}

	if (r->kind == EV_HANDLER && !str_empty(cur) && !force &&
	    g_ascii_strcasecmp(cur, author) != 0) {
		error_set(err, "case %" PRId64 " is already claimed by %s "
		    "(use --force to take it over)", id, cur);
		g_free(norm);
		return -1;
	}

	memset(&ev, 0, sizeof ev);
	ev.case_id = id;
	ev.author = (char *)author;
	ev.at = now;
	ev.kind = (char *)event_kind_name(r->kind);
	ev.field = (char *)field;
	ev.value = *norm != '\0' ? norm : NULL;
	/* The prev of a first state change is the implicit "new". */
	ev.prev = (char *)(r->kind == EV_STATE && str_empty(cur) ?
	    state_name(STATE_NEW) : cur);
	rc = store_append_event(st, &ev, true, str_empty(cur) ? NULL : cur,
	    &current, err);
	g_free(norm);
	if (rc < 0)
		return error_prefix(err, "case %" PRId64, id);
	if (rc > 0) {
		if (r->kind == EV_HANDLER && !str_empty(current) && !force)
			error_set(err, "case %" PRId64 " is already claimed by "
			    "%s (use --force to take it over)", id, current);
		else
			error_set(err, "case %" PRId64 " changed meanwhile: %s "
			    "is now %s; try again", id, field,
			    str_empty(current) ? "unset" : current);
		g_free(current);
		return -1;
	}
	g_free(current);
	return 0;
}

int
policy_set_field(struct store *st, const struct config *cfg,
    int64_t case_id, const char *field, const char *value,
    const char *author, time_t now, bool force, struct error *err)
{
	struct store_case *c;
	int rc;

	if (store_case_get(st, case_id, &c, err) != 0)
		return -1;
	rc = policy_set_field_seen(st, cfg, c, field, value, author, now,
	    force, err);
	store_case_free(c);
	return rc;
}

int
policy_add_note(struct store *st, int64_t case_id, const char *text,
    const char *author, time_t now, struct error *err)
{
	struct store_case *c;
	struct store_event ev;
	char *body;
	int rc;

	if (str_empty(author))
		return error_set(err, "case %" PRId64 ": no author for the note "
		    "(set [mail] me)", case_id);
	if (text == NULL)
		text = "";
	if (check_text("note", text, POLICY_NOTE_MAX, true, err) != 0)
		return error_prefix(err, "case %" PRId64, case_id);
	body = g_strstrip(g_strdup(text));
	if (*body == '\0') {
		g_free(body);
		return error_set(err, "case %" PRId64 ": the note is empty; "
		    "give some text", case_id);
	}
	/* Name a missing case here rather than as a foreign-key failure. */
	if (store_case_get(st, case_id, &c, err) != 0) {
		g_free(body);
		return -1;
	}
	store_case_free(c);

	memset(&ev, 0, sizeof ev);
	ev.case_id = case_id;
	ev.author = (char *)author;
	ev.at = now;
	ev.kind = (char *)event_kind_name(EV_NOTE);
	ev.value = body;
	rc = store_append_event(st, &ev, false, NULL, NULL, err);
	g_free(body);
	return rc < 0 ? -1 : 0;
}
