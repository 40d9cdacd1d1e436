/* tests/test_policy.c: deadlines, urgencies, working days, the life cycle, field rules, claims. */
#include "build-config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <glib.h>
#include <glib/gstdio.h>

#include "core/policy.h"

#define H 3600
#define D 86400

/* A time written as ISO 8601, parsed by GLib so the tests do not trust core/clock. */
static time_t
T(const char *iso)
{
	GDateTime *dt = g_date_time_new_from_iso8601(iso, NULL);
	time_t t;

	if (dt == NULL)
		fail_msg("bad test time %s", iso);
	t = (time_t)g_date_time_to_unix(dt);
	g_date_time_unref(dt);
	return t;
}

static char *handlers[] = {
	"alice@example.org", "bob@example.org", "carol@example.org", NULL
};

/* The [policy] defaults of INTERFACE.md, built by hand. */
static struct config
cfg_base(void)
{
	struct config cfg;

	memset(&cfg, 0, sizeof cfg);
	cfg.ack = 24 * H;
	cfg.response = 48 * H;
	cfg.update = 5 * D;
	cfg.distros_notice = 72 * H;
	cfg.distros_min_severity = SEV_MODERATE;
	cfg.distros_max_embargo = 14 * D;
	cfg.publish_window = 6 * H;
	cfg.working_days = false;
	cfg.timezone = "UTC";
	cfg.soon_percent = 25;
	cfg.soon_min = 6 * H;
	cfg.handlers = handlers;
	cfg.n_handlers = 3;
	cfg.me = "Alice@Example.org";
	return cfg;
}

/* Hand-built cases for the pure tests. */

static void
field_free(gpointer p)
{
	struct store_field *f = p;

	g_free(f->value);
	g_free(f->author);
	g_free(f);
}

static struct store_case *
case_new(void)
{
	struct store_case *c = g_new0(struct store_case, 1);

	c->id = 1;
	c->fields = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
	    field_free);
	return c;
}

static void
case_set(struct store_case *c, const char *field, const char *value,
    time_t at)
{
	struct store_field *f = g_new0(struct store_field, 1);

	f->value = g_strdup(value);
	f->at = at;
	f->author = g_strdup("alice@example.org");
	g_hash_table_replace(c->fields, g_strdup(field), f);
}

static void
case_free(struct store_case *c)
{
	g_hash_table_destroy(c->fields);
	g_free(c);
}

/* Deadline rows. */

#define REPORT "2026-11-20T09:00:00Z" /* a Friday */
#define EMBARGO "2026-12-10T00:00:00Z"

struct dl_row {
	const char *name;
	bool no_facts;
	const char *first_reply, *second_reply, *last_to_reporter;
	const char *distros_mail;
	const char *fields[8]; /* "field=value@ISO time" */
	const char *now;
	enum deadline_kind kind;
	bool present;
	const char *due;
	const char *met;   /* NULL: unmet */
	enum urgency urgency;
};

#define SEV_EMB "severity=important@2026-11-24T00:00:00Z", \
	"embargo=" EMBARGO "@2026-11-25T00:00:00Z"
#define ALL_CHECKS(t) "check:announce-mail=yes@" t, "check:blog=yes@" t, \
	"check:forum=yes@" t, "check:advisory=yes@" t, \
	"check:oss-security=yes@" t

static const struct dl_row dl_rows[] = {
	/* ack: report + 24h = 2026-11-21T09:00Z, window 24h, soon under 6h */
	{ "ack at report", .now = REPORT, .kind = DL_ACK, .present = true,
	    .due = "2026-11-21T09:00:00Z", .urgency = URG_OK },
	{ "ack 6h before", .now = "2026-11-21T03:00:00Z", .kind = DL_ACK,
	    .present = true, .due = "2026-11-21T09:00:00Z", .urgency = URG_OK },
	{ "ack 6h-1s before", .now = "2026-11-21T03:00:01Z", .kind = DL_ACK,
	    .present = true, .due = "2026-11-21T09:00:00Z",
	    .urgency = URG_SOON },
	{ "ack 1s before", .now = "2026-11-21T08:59:59Z", .kind = DL_ACK,
	    .present = true, .due = "2026-11-21T09:00:00Z",
	    .urgency = URG_SOON },
	{ "ack at due", .now = "2026-11-21T09:00:00Z", .kind = DL_ACK,
	    .present = true, .due = "2026-11-21T09:00:00Z",
	    .urgency = URG_SOON },
	{ "ack 1s after", .now = "2026-11-21T09:00:01Z", .kind = DL_ACK,
	    .present = true, .due = "2026-11-21T09:00:00Z",
	    .urgency = URG_OVERDUE },
	{ "ack met, 1s after", .first_reply = "2026-11-20T10:00:00Z",
	    .now = "2026-11-21T09:00:01Z", .kind = DL_ACK, .present = true,
	    .due = "2026-11-21T09:00:00Z", .met = "2026-11-20T10:00:00Z",
	    .urgency = URG_MET },
	{ "ack met late", .first_reply = "2026-11-22T10:00:00Z",
	    .now = "2026-11-23T00:00:00Z", .kind = DL_ACK, .present = true,
	    .due = "2026-11-21T09:00:00Z", .met = "2026-11-22T10:00:00Z",
	    .urgency = URG_MET },
	{ "ack without facts", .no_facts = true, .now = REPORT,
	    .kind = DL_ACK, .present = false },

	/* response: report + 48h = 2026-11-22T09:00Z, window 48h, soon under 12h */
	{ "response 12h before", .now = "2026-11-21T21:00:00Z",
	    .kind = DL_RESPONSE, .present = true, .due = "2026-11-22T09:00:00Z",
	    .urgency = URG_OK },
	{ "response 12h-1s before", .now = "2026-11-21T21:00:01Z",
	    .kind = DL_RESPONSE, .present = true, .due = "2026-11-22T09:00:00Z",
	    .urgency = URG_SOON },
	{ "response 1s before", .now = "2026-11-22T08:59:59Z",
	    .kind = DL_RESPONSE, .present = true, .due = "2026-11-22T09:00:00Z",
	    .urgency = URG_SOON },
	{ "response at due", .now = "2026-11-22T09:00:00Z",
	    .kind = DL_RESPONSE, .present = true, .due = "2026-11-22T09:00:00Z",
	    .urgency = URG_SOON },
	{ "response 1s after", .now = "2026-11-22T09:00:01Z",
	    .kind = DL_RESPONSE, .present = true, .due = "2026-11-22T09:00:00Z",
	    .urgency = URG_OVERDUE },
	{ "response not met by first reply",
	    .first_reply = "2026-11-20T10:00:00Z",
	    .now = "2026-11-22T09:00:01Z", .kind = DL_RESPONSE,
	    .present = true, .due = "2026-11-22T09:00:00Z",
	    .urgency = URG_OVERDUE },
	{ "response met by second reply",
	    .first_reply = "2026-11-20T10:00:00Z",
	    .second_reply = "2026-11-21T10:00:00Z",
	    .now = "2026-11-22T09:00:01Z", .kind = DL_RESPONSE,
	    .present = true, .due = "2026-11-22T09:00:00Z",
	    .met = "2026-11-21T10:00:00Z", .urgency = URG_MET },
	{ "response met by marker (event time)",
	    .fields = { "response-sent=yes@2026-11-21T11:00:00Z" },
	    .now = "2026-11-22T09:00:01Z", .kind = DL_RESPONSE,
	    .present = true, .due = "2026-11-22T09:00:00Z",
	    .met = "2026-11-21T11:00:00Z", .urgency = URG_MET },
	{ "response met by marker (its own time)",
	    .fields = { "response-sent=2026-11-20T20:00:00Z@"
		"2026-11-23T11:00:00Z" },
	    .now = "2026-11-23T12:00:00Z", .kind = DL_RESPONSE,
	    .present = true, .due = "2026-11-22T09:00:00Z",
	    .met = "2026-11-20T20:00:00Z", .urgency = URG_MET },
	{ "response: earlier of marker and mail",
	    .second_reply = "2026-11-21T10:00:00Z",
	    .fields = { "response-sent=yes@2026-11-21T09:00:00Z" },
	    .now = "2026-11-22T09:00:01Z", .kind = DL_RESPONSE,
	    .present = true, .due = "2026-11-22T09:00:00Z",
	    .met = "2026-11-21T09:00:00Z", .urgency = URG_MET },
	{ "response: a cleared marker does not count",
	    .fields = { "response-sent=@2026-11-21T09:00:00Z" },
	    .now = "2026-11-22T09:00:01Z", .kind = DL_RESPONSE,
	    .present = true, .due = "2026-11-22T09:00:00Z",
	    .urgency = URG_OVERDUE },

	/* update: last team mail to reporter + 5d, window 5d, soon under 30h */
	{ "update absent before any team mail",
	    .now = "2026-11-21T00:00:00Z", .kind = DL_UPDATE, .present = false },
	{ "update 30h before", .last_to_reporter = "2026-11-21T12:00:00Z",
	    .now = "2026-11-25T06:00:00Z", .kind = DL_UPDATE, .present = true,
	    .due = "2026-11-26T12:00:00Z", .urgency = URG_OK },
	{ "update 1s before", .last_to_reporter = "2026-11-21T12:00:00Z",
	    .now = "2026-11-26T11:59:59Z", .kind = DL_UPDATE, .present = true,
	    .due = "2026-11-26T12:00:00Z", .urgency = URG_SOON },
	{ "update at due", .last_to_reporter = "2026-11-21T12:00:00Z",
	    .now = "2026-11-26T12:00:00Z", .kind = DL_UPDATE, .present = true,
	    .due = "2026-11-26T12:00:00Z", .urgency = URG_SOON },
	{ "update 1s after", .last_to_reporter = "2026-11-21T12:00:00Z",
	    .now = "2026-11-26T12:00:01Z", .kind = DL_UPDATE, .present = true,
	    .due = "2026-11-26T12:00:00Z", .urgency = URG_OVERDUE },
	{ "update in fix-ready", .last_to_reporter = "2026-11-21T12:00:00Z",
	    .fields = { "state=fix-ready@2026-11-22T00:00:00Z" },
	    .now = "2026-11-26T12:00:01Z", .kind = DL_UPDATE, .present = true,
	    .due = "2026-11-26T12:00:00Z", .urgency = URG_OVERDUE },
	{ "update stops when published",
	    .last_to_reporter = "2026-11-21T12:00:00Z",
	    .fields = { "state=published@2026-11-22T00:00:00Z" },
	    .now = "2026-11-26T12:00:01Z", .kind = DL_UPDATE, .present = false },
	{ "update stops when closed",
	    .last_to_reporter = "2026-11-21T12:00:00Z",
	    .fields = { "state=closed@2026-11-22T00:00:00Z" },
	    .now = "2026-11-26T12:00:01Z", .kind = DL_UPDATE, .present = false },

	/* distros: embargo - 72h = 2026-12-07T00:00Z; window from 11-25, soon under 72h */
	{ "distros 1s before", .fields = { SEV_EMB },
	    .now = "2026-12-06T23:59:59Z", .kind = DL_DISTROS, .present = true,
	    .due = "2026-12-07T00:00:00Z", .urgency = URG_SOON },
	{ "distros at due", .fields = { SEV_EMB },
	    .now = "2026-12-07T00:00:00Z", .kind = DL_DISTROS, .present = true,
	    .due = "2026-12-07T00:00:00Z", .urgency = URG_SOON },
	{ "distros 1s after", .fields = { SEV_EMB },
	    .now = "2026-12-07T00:00:01Z", .kind = DL_DISTROS, .present = true,
	    .due = "2026-12-07T00:00:00Z", .urgency = URG_OVERDUE },
	{ "distros ok 72h before", .fields = { SEV_EMB },
	    .now = "2026-12-04T00:00:00Z", .kind = DL_DISTROS, .present = true,
	    .due = "2026-12-07T00:00:00Z", .urgency = URG_OK },
	{ "distros soon 72h-1s before", .fields = { SEV_EMB },
	    .now = "2026-12-04T00:00:01Z", .kind = DL_DISTROS, .present = true,
	    .due = "2026-12-07T00:00:00Z", .urgency = URG_SOON },
	{ "distros at the minimum severity",
	    .fields = { "severity=moderate@2026-11-24T00:00:00Z",
		"embargo=" EMBARGO "@2026-11-25T00:00:00Z" },
	    .now = "2026-12-07T00:00:01Z", .kind = DL_DISTROS, .present = true,
	    .due = "2026-12-07T00:00:00Z", .urgency = URG_OVERDUE },
	{ "distros not below the minimum severity",
	    .fields = { "severity=minor@2026-11-24T00:00:00Z",
		"embargo=" EMBARGO "@2026-11-25T00:00:00Z" },
	    .now = "2026-12-07T00:00:01Z", .kind = DL_DISTROS,
	    .present = false },
	{ "distros not without severity",
	    .fields = { "embargo=" EMBARGO "@2026-11-25T00:00:00Z" },
	    .now = "2026-12-07T00:00:01Z", .kind = DL_DISTROS,
	    .present = false },
	{ "distros not without embargo",
	    .fields = { "severity=critical@2026-11-24T00:00:00Z" },
	    .now = "2026-12-07T00:00:01Z", .kind = DL_DISTROS,
	    .present = false },
	{ "distros met by marker",
	    .fields = { SEV_EMB, "distros-notified=yes@2026-12-05T10:00:00Z" },
	    .now = "2026-12-07T00:00:01Z", .kind = DL_DISTROS, .present = true,
	    .due = "2026-12-07T00:00:00Z", .met = "2026-12-05T10:00:00Z",
	    .urgency = URG_MET },
	{ "distros met by mail to the list", .fields = { SEV_EMB },
	    .distros_mail = "2026-12-06T10:00:00Z",
	    .now = "2026-12-07T00:00:01Z", .kind = DL_DISTROS, .present = true,
	    .due = "2026-12-07T00:00:00Z", .met = "2026-12-06T10:00:00Z",
	    .urgency = URG_MET },
	{ "distros met by the state",
	    .fields = { SEV_EMB, "state=distros-notified@2026-12-06T11:00:00Z" },
	    .now = "2026-12-07T00:00:01Z", .kind = DL_DISTROS, .present = true,
	    .due = "2026-12-07T00:00:00Z", .met = "2026-12-06T11:00:00Z",
	    .urgency = URG_MET },
	{ "distros unmet stops when published",
	    .fields = { SEV_EMB, "state=published@2026-12-10T00:00:00Z" },
	    .now = "2026-12-10T00:00:01Z", .kind = DL_DISTROS,
	    .present = false },
	{ "distros met stays when published",
	    .fields = { SEV_EMB, "state=published@2026-12-10T00:00:00Z",
		"distros-notified=yes@2026-12-05T10:00:00Z" },
	    .now = "2026-12-10T00:00:01Z", .kind = DL_DISTROS, .present = true,
	    .due = "2026-12-07T00:00:00Z", .met = "2026-12-05T10:00:00Z",
	    .urgency = URG_MET },

	/* announce: at the embargo; window from 11-25 (15d), soon under 3d 18h */
	{ "announce 1s before", .fields = { SEV_EMB },
	    .now = "2026-12-09T23:59:59Z", .kind = DL_ANNOUNCE, .present = true,
	    .due = EMBARGO, .urgency = URG_SOON },
	{ "announce at due", .fields = { SEV_EMB }, .now = EMBARGO,
	    .kind = DL_ANNOUNCE, .present = true, .due = EMBARGO,
	    .urgency = URG_SOON },
	{ "announce 1s after", .fields = { SEV_EMB },
	    .now = "2026-12-10T00:00:01Z", .kind = DL_ANNOUNCE, .present = true,
	    .due = EMBARGO, .urgency = URG_OVERDUE },
	{ "announce quarter of window", .fields = { SEV_EMB },
	    .now = "2026-12-06T06:00:00Z", .kind = DL_ANNOUNCE, .present = true,
	    .due = EMBARGO, .urgency = URG_OK },
	{ "announce under a quarter", .fields = { SEV_EMB },
	    .now = "2026-12-06T06:00:01Z", .kind = DL_ANNOUNCE, .present = true,
	    .due = EMBARGO, .urgency = URG_SOON },
	{ "announce without severity",
	    .fields = { "embargo=" EMBARGO "@2026-11-25T00:00:00Z" },
	    .now = "2026-12-10T00:00:01Z", .kind = DL_ANNOUNCE, .present = true,
	    .due = EMBARGO, .urgency = URG_OVERDUE },
	{ "announce met by marker",
	    .fields = { SEV_EMB, "announced=yes@2026-12-10T00:05:00Z" },
	    .now = "2026-12-10T00:10:00Z", .kind = DL_ANNOUNCE, .present = true,
	    .due = EMBARGO, .met = "2026-12-10T00:05:00Z", .urgency = URG_MET },
	{ "announce met by publishing",
	    .fields = { SEV_EMB, "state=published@2026-12-10T00:02:00Z" },
	    .now = "2026-12-10T00:10:00Z", .kind = DL_ANNOUNCE, .present = true,
	    .due = EMBARGO, .met = "2026-12-10T00:02:00Z", .urgency = URG_MET },
	{ "announce dropped when rejected",
	    .fields = { SEV_EMB, "state=rejected@2026-12-01T00:00:00Z" },
	    .now = "2026-12-10T00:10:00Z", .kind = DL_ANNOUNCE,
	    .present = false },

	/* publish: embargo + 6h; window 6h, soon under 6h: always soon before due */
	{ "publish 1s before", .fields = { SEV_EMB },
	    .now = "2026-12-10T05:59:59Z", .kind = DL_PUBLISH, .present = true,
	    .due = "2026-12-10T06:00:00Z", .urgency = URG_SOON },
	{ "publish at due", .fields = { SEV_EMB },
	    .now = "2026-12-10T06:00:00Z", .kind = DL_PUBLISH, .present = true,
	    .due = "2026-12-10T06:00:00Z", .urgency = URG_SOON },
	{ "publish 1s after", .fields = { SEV_EMB },
	    .now = "2026-12-10T06:00:01Z", .kind = DL_PUBLISH, .present = true,
	    .due = "2026-12-10T06:00:00Z", .urgency = URG_OVERDUE },
	{ "publish 6h before the embargo", .fields = { SEV_EMB },
	    .now = "2026-12-09T18:00:00Z", .kind = DL_PUBLISH, .present = true,
	    .due = "2026-12-10T06:00:00Z", .urgency = URG_OK },
	{ "publish met by the whole checklist",
	    .fields = { SEV_EMB, ALL_CHECKS("2026-12-10T01:00:00Z"),
		"check:blog=yes@2026-12-10T02:30:00Z" },
	    .now = "2026-12-10T06:00:01Z", .kind = DL_PUBLISH, .present = true,
	    .due = "2026-12-10T06:00:00Z", .met = "2026-12-10T02:30:00Z",
	    .urgency = URG_MET },
	{ "publish unmet with one item cleared",
	    .fields = { SEV_EMB, ALL_CHECKS("2026-12-10T01:00:00Z"),
		"check:forum=@2026-12-10T02:30:00Z" },
	    .now = "2026-12-10T06:00:01Z", .kind = DL_PUBLISH, .present = true,
	    .due = "2026-12-10T06:00:00Z", .urgency = URG_OVERDUE },
	{ "publish runs when published",
	    .fields = { SEV_EMB, "state=published@2026-12-10T00:00:00Z" },
	    .now = "2026-12-10T06:00:01Z", .kind = DL_PUBLISH, .present = true,
	    .due = "2026-12-10T06:00:00Z", .urgency = URG_OVERDUE },
	{ "publish dropped when closed",
	    .fields = { SEV_EMB, "state=closed@2026-12-10T00:00:00Z" },
	    .now = "2026-12-10T06:00:01Z", .kind = DL_PUBLISH,
	    .present = false },

	/* closed and rejected keep what was met */
	{ "closed keeps a met ack", .first_reply = "2026-11-20T10:00:00Z",
	    .fields = { "state=closed@2026-11-20T11:00:00Z" },
	    .now = "2026-11-25T00:00:00Z", .kind = DL_ACK, .present = true,
	    .due = "2026-11-21T09:00:00Z", .met = "2026-11-20T10:00:00Z",
	    .urgency = URG_MET },
	{ "closed drops an unmet response",
	    .first_reply = "2026-11-20T10:00:00Z",
	    .fields = { "state=closed@2026-11-20T11:00:00Z" },
	    .now = "2026-11-25T00:00:00Z", .kind = DL_RESPONSE,
	    .present = false },
	{ "rejected drops an unmet ack",
	    .fields = { "state=rejected@2026-11-20T11:00:00Z" },
	    .now = "2026-11-25T00:00:00Z", .kind = DL_ACK, .present = false },
	{ "reopened case runs again",
	    .fields = { "state=triaged@2026-11-22T11:00:00Z" },
	    .now = "2026-11-25T00:00:00Z", .kind = DL_ACK, .present = true,
	    .due = "2026-11-21T09:00:00Z", .urgency = URG_OVERDUE },
};

static time_t
opt_time(const char *iso)
{
	return iso != NULL ? T(iso) : 0;
}

/* "field=value@time" */
static void
case_set_spec(struct store_case *c, const char *spec)
{
	const char *eq = strchr(spec, '='), *at = strrchr(spec, '@');
	char *field, *value;

	assert_non_null(eq);
	assert_non_null(at);
	assert_true(at > eq);
	field = g_strndup(spec, (gsize)(eq - spec));
	value = g_strndup(eq + 1, (gsize)(at - eq - 1));
	case_set(c, field, value, T(at + 1));
	g_free(field);
	g_free(value);
}

static void
row_world(const struct dl_row *r, struct mail_facts *f, struct store_case **c)
{
	memset(f, 0, sizeof *f);
	f->report_at = T(REPORT);
	f->first_team_reply_at = opt_time(r->first_reply);
	f->second_team_reply_at = opt_time(r->second_reply);
	f->last_team_to_reporter_at = opt_time(r->last_to_reporter);
	f->distros_mail_at = opt_time(r->distros_mail);
	*c = case_new();
	for (size_t i = 0; i < G_N_ELEMENTS(r->fields) && r->fields[i]; i++)
		case_set_spec(*c, r->fields[i]);
}

static const struct deadline *
find_kind(const struct case_deadlines *out, enum deadline_kind kind)
{
	for (size_t i = 0; i < out->n; i++)
		if (out->d[i].kind == kind)
			return &out->d[i];
	return NULL;
}

static void
test_deadline_rows(void **state)
{
	struct config cfg = cfg_base();

	for (size_t i = 0; i < G_N_ELEMENTS(dl_rows); i++) {
		const struct dl_row *r = &dl_rows[i];
		struct mail_facts f;
		struct store_case *c;
		struct case_deadlines out;
		const struct deadline *d;

		row_world(r, &f, &c);
		policy_deadlines(&cfg, r->no_facts ? NULL : &f, c, T(r->now),
		    &out);
		d = find_kind(&out, r->kind);
		if (!r->present) {
			if (d != NULL)
				fail_msg("%s: a %s deadline, expected none",
				    r->name, deadline_kind_name(r->kind));
			case_free(c);
			continue;
		}
		if (d == NULL) {
			fail_msg("%s: no %s deadline", r->name,
			    deadline_kind_name(r->kind));
			return;
		}
		if (d->due != T(r->due))
			fail_msg("%s: due %lld, expected %s", r->name,
			    (long long)d->due, r->due);
		if (d->met_at != opt_time(r->met))
			fail_msg("%s: met_at %lld, expected %s", r->name,
			    (long long)d->met_at, r->met ? r->met : "unmet");
		if (d->urgency != r->urgency)
			fail_msg("%s: urgency %s, expected %s", r->name,
			    urgency_name(d->urgency), urgency_name(r->urgency));
		case_free(c);
	}
}

/* Deadlines come in kind order and next is the unmet one due first. */
static void
test_deadlines_order_and_next(void **state)
{
	struct config cfg = cfg_base();
	struct mail_facts f = { 0 };
	struct store_case *c = case_new();
	struct case_deadlines out;

	f.report_at = T(REPORT);
	f.first_team_reply_at = T("2026-11-20T10:00:00Z");
	f.last_team_to_reporter_at = T("2026-11-20T10:00:00Z");
	case_set_spec(c, "severity=critical@2026-11-20T11:00:00Z");
	case_set_spec(c, "embargo=2026-11-23T00:00:00Z@2026-11-20T11:00:00Z");
	policy_deadlines(&cfg, &f, c, T("2026-11-20T12:00:00Z"), &out);
	assert_int_equal(out.n, DL__COUNT);
	for (size_t i = 0; i < out.n; i++)
		assert_int_equal(out.d[i].kind, (enum deadline_kind)i);
	/* distros falls due at 11-20T00:00Z, already past: it is next. */
	assert_int_equal(out.next, DL_DISTROS);
	assert_int_equal(out.d[out.next].urgency, URG_OVERDUE);
	assert_string_equal(out.warning, "");

	/* Once distros is met, the response (11-22T09:00) comes before the embargo (11-23). */
	case_set_spec(c, "distros-notified=yes@2026-11-20T12:00:00Z");
	policy_deadlines(&cfg, &f, c, T("2026-11-20T12:00:00Z"), &out);
	assert_int_equal(out.next, DL_RESPONSE);

	/* Without facts or fields there is nothing to run. */
	policy_deadlines(&cfg, NULL, NULL, T(REPORT), &out);
	assert_int_equal(out.n, 0);
	assert_int_equal(out.next, -1);
	case_free(c);
}

/* No facts: only the deadlines the fields give. */
static void
test_deadlines_without_facts(void **state)
{
	struct config cfg = cfg_base();
	struct store_case *c = case_new();
	struct case_deadlines out;

	case_set_spec(c, "severity=critical@2026-11-20T11:00:00Z");
	case_set_spec(c, "embargo=" EMBARGO "@2026-11-25T00:00:00Z");
	policy_deadlines(&cfg, NULL, c, T("2026-11-26T00:00:00Z"), &out);
	assert_int_equal(out.n, 3);
	assert_int_equal(out.d[0].kind, DL_DISTROS);
	assert_int_equal(out.d[1].kind, DL_ANNOUNCE);
	assert_int_equal(out.d[2].kind, DL_PUBLISH);
	assert_int_equal(out.d[1].start, T("2026-11-25T00:00:00Z"));
	case_free(c);
}

/* distros_max_embargo: warn when the embargo is too far after the notice. */
static void
test_distros_warning(void **state)
{
	struct config cfg = cfg_base();
	struct store_case *c = case_new();
	struct case_deadlines out;

	case_set_spec(c, "severity=important@2026-11-20T00:00:00Z");
	case_set_spec(c, "embargo=2026-12-30T00:00:00Z@2026-11-20T00:00:00Z");
	/* Notified 38 days before the embargo. */
	case_set_spec(c, "distros-notified=yes@2026-11-22T00:00:00Z");
	policy_deadlines(&cfg, NULL, c, T("2026-11-23T00:00:00Z"), &out);
	assert_non_null(strstr(out.warning, "embargo 2026-12-30T00:00:00Z is "
	    "38d"));
	assert_non_null(strstr(out.warning, "after the distros notice; "
	    "distros allows at most 14d"));

	/* Exactly 14 days is allowed, one second more is not. */
	case_set_spec(c, "distros-notified=2026-12-16T00:00:00Z@"
	    "2026-12-16T00:00:00Z");
	policy_deadlines(&cfg, NULL, c, T("2026-12-17T00:00:00Z"), &out);
	assert_string_equal(out.warning, "");
	case_set_spec(c, "distros-notified=2026-12-15T23:59:59Z@"
	    "2026-12-16T00:00:00Z");
	policy_deadlines(&cfg, NULL, c, T("2026-12-17T00:00:00Z"), &out);
	assert_non_null(strstr(out.warning, "distros allows at most 14d"));

	/* Unmet: the planned notice is 72h before: fine. */
	case_set(c, "distros-notified", "", T("2026-12-16T00:00:00Z"));
	policy_deadlines(&cfg, NULL, c, T("2026-11-23T00:00:00Z"), &out);
	assert_string_equal(out.warning, "");
	case_free(c);
}

static void
test_embargo_not_a_time(void **state)
{
	struct config cfg = cfg_base();
	struct store_case *c = case_new();
	struct case_deadlines out;

	case_set_spec(c, "embargo=next tuesday@2026-11-20T00:00:00Z");
	policy_deadlines(&cfg, NULL, c, T(REPORT), &out);
	assert_int_equal(out.n, 0);
	assert_non_null(strstr(out.warning, "embargo 'next tuesday' is not "
	    "a time"));
	case_free(c);
}

/* Urgency thresholds: a quarter of the window or soon_min, whichever is more. */
struct urg_row {
	int64_t window, left; /* seconds; left < 0: overdue by that much */
	int percent;
	int64_t min;
	enum urgency want;
};

static const struct urg_row urg_rows[] = {
	/* 100h window: a quarter (25h) beats 6h */
	{ 100 * H, 25 * H, 25, 6 * H, URG_OK },
	{ 100 * H, 25 * H - 1, 25, 6 * H, URG_SOON },
	{ 100 * H, 6 * H, 25, 6 * H, URG_SOON },
	/* 8h window: a quarter (2h) loses to 6h */
	{ 8 * H, 6 * H, 25, 6 * H, URG_OK },
	{ 8 * H, 6 * H - 1, 25, 6 * H, URG_SOON },
	{ 8 * H, 2 * H, 25, 6 * H, URG_SOON },
	/* exactly 24h: both 6h */
	{ 24 * H, 6 * H, 25, 6 * H, URG_OK },
	{ 24 * H, 6 * H - 1, 25, 6 * H, URG_SOON },
	/* configurable: half the window, 1h minimum */
	{ 10 * H, 5 * H, 50, H, URG_OK },
	{ 10 * H, 5 * H - 1, 50, H, URG_SOON },
	{ 10 * H, 0, 50, H, URG_SOON },
	{ 10 * H, -1, 50, H, URG_OVERDUE },
	{ 10 * H, -30 * D, 50, H, URG_OVERDUE },
	/* a window already closed when it opened */
	{ -5 * H, H, 25, 6 * H, URG_SOON },
	{ 0, 0, 25, 0, URG_SOON },
	{ 0, 1, 25, 0, URG_OK },
};

static void
test_urgency_thresholds(void **state)
{
	struct config cfg = cfg_base();
	time_t due = T("2026-11-22T12:00:00Z");

	for (size_t i = 0; i < G_N_ELEMENTS(urg_rows); i++) {
		const struct urg_row *r = &urg_rows[i];
		enum urgency u;

		cfg.soon_percent = r->percent;
		cfg.soon_min = r->min;
		u = policy_urgency(&cfg, due - r->window, due, 0,
		    due - r->left);
		if (u != r->want)
			fail_msg("row %zu: %s, expected %s", i, urgency_name(u),
			    urgency_name(r->want));
		/* Met wins over everything, even long overdue. */
		assert_int_equal(policy_urgency(&cfg, due - r->window, due,
		    due + 3 * D, due - r->left), URG_MET);
	}
}

/* Working days. */
struct wd_row {
	const char *name;
	const char *tz;
	bool working_days;
	const char *start;
	int64_t secs;
	const char *want;
};

static const struct wd_row wd_rows[] = {
	{ "plain clock", "UTC", false, "2026-11-20T18:00:00Z", 24 * H,
	    "2026-11-21T18:00:00Z" },
	{ "Friday evening + 24h is Monday evening", "UTC", true,
	    "2026-11-20T18:00:00Z", 24 * H, "2026-11-23T18:00:00Z" },
	{ "rest of Friday exactly", "UTC", true, "2026-11-20T18:00:00Z",
	    6 * H, "2026-11-21T00:00:00Z" },
	{ "one second past Friday", "UTC", true, "2026-11-20T18:00:00Z",
	    6 * H + 1, "2026-11-23T00:00:01Z" },
	{ "Saturday start counts from Monday 00:00", "UTC", true,
	    "2026-11-21T10:00:00Z", H, "2026-11-23T01:00:00Z" },
	{ "Sunday last second", "UTC", true, "2026-11-22T23:59:59Z", 1,
	    "2026-11-23T00:00:01Z" },
	{ "inside the week", "UTC", true, "2026-11-23T09:00:00Z", 48 * H,
	    "2026-11-25T09:00:00Z" },
	{ "5 working days is a calendar week", "UTC", true,
	    "2026-11-23T09:00:00Z", 5 * D, "2026-11-30T09:00:00Z" },
	{ "72h from Wednesday noon", "UTC", true, "2026-11-25T12:00:00Z",
	    72 * H, "2026-11-30T12:00:00Z" },
	{ "across two holidays", "UTC", true, "2026-12-23T12:00:00Z", 24 * H,
	    "2026-12-28T12:00:00Z" },
	{ "starting on a holiday", "UTC", true, "2026-12-25T10:00:00Z", H,
	    "2026-12-28T01:00:00Z" },
	{ "from a holiday Friday over a holiday Monday", "UTC", true,
	    "2027-01-01T12:00:00Z", 24 * H, "2027-01-06T00:00:00Z" },
	{ "Thursday noon over a holiday weekend", "UTC", true,
	    "2026-12-31T12:00:00Z", 24 * H, "2027-01-05T12:00:00Z" },
	{ "Berlin: Friday evening before spring DST", "Europe/Berlin", true,
	    "2026-03-27T18:00:00+01:00", 24 * H, "2026-03-30T18:00:00+02:00" },
	{ "Berlin: Saturday start before spring DST", "Europe/Berlin", true,
	    "2026-03-28T10:00:00+01:00", H, "2026-03-30T01:00:00+02:00" },
	{ "Berlin: Friday noon before autumn DST", "Europe/Berlin", true,
	    "2026-10-23T12:00:00+02:00", 48 * H, "2026-10-27T12:00:00+01:00" },
	{ "Berlin: Saturday 00:30 local is Friday in UTC", "Europe/Berlin",
	    true, "2026-11-20T23:30:00Z", H, "2026-11-23T01:00:00+01:00" },
	{ "Berlin: Friday 23:30 local", "Europe/Berlin", true,
	    "2026-11-20T23:30:00+01:00", H, "2026-11-23T00:30:00+01:00" },
	{ "UTC: the same instant is still Friday", "UTC", true,
	    "2026-11-20T23:30:00Z", H, "2026-11-23T00:30:00Z" },
	{ "Jerusalem: a 23h Friday (DST) counts 23h", "Asia/Jerusalem", true,
	    "2026-03-26T12:00:00+02:00", 36 * H, "2026-03-30T01:00:00+03:00" },
	{ "zero is no time at all", "UTC", true, "2026-11-21T10:00:00Z", 0,
	    "2026-11-21T10:00:00Z" },
};

static void
test_working_days(void **state)
{
	struct config cfg = cfg_base();
	char *holidays[] = { "2026-12-24", "2026-12-25", "2027-01-04",
		"2027-01-01", NULL };

	cfg.holidays = holidays;
	cfg.n_holidays = 4;
	for (size_t i = 0; i < G_N_ELEMENTS(wd_rows); i++) {
		const struct wd_row *r = &wd_rows[i];
		time_t got;

		cfg.timezone = (char *)r->tz;
		cfg.working_days = r->working_days;
		got = policy_add(&cfg, T(r->start), r->secs);
		if (got != T(r->want)) {
			char buf[32];
			struct tm tm;

			gmtime_r(&got, &tm);
			strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
			fail_msg("%s: got %s, expected %s", r->name, buf,
			    r->want);
		}
	}
}

/* The ack of a case reported on Friday evening, with working days on. */
static void
test_working_days_in_deadlines(void **state)
{
	struct config cfg = cfg_base();
	struct mail_facts f = { 0 };
	struct case_deadlines out;

	cfg.working_days = true;
	f.report_at = T("2026-11-20T18:00:00Z");
	policy_deadlines(&cfg, &f, NULL, T("2026-11-22T12:00:00Z"), &out);
	assert_int_equal(out.d[0].kind, DL_ACK);
	assert_int_equal(out.d[0].due, T("2026-11-23T18:00:00Z"));
	assert_int_equal(out.d[0].urgency, URG_OK);
	/* 48h: 6h Friday, 24h Monday, 18h Tuesday. */
	assert_int_equal(out.d[1].due, T("2026-11-24T18:00:00Z"));
}

/* Transitions: every pair of states against an independent list. */
static const char *const allowed_pairs[] = {
	"new>acknowledged", "new>triaged", "new>confirmed", "new>rejected",
	"new>closed",
	"acknowledged>triaged", "acknowledged>confirmed",
	"acknowledged>rejected", "acknowledged>closed",
	"triaged>confirmed", "triaged>fixing", "triaged>rejected",
	"triaged>closed",
	"confirmed>fixing", "confirmed>fix-ready", "confirmed>rejected",
	"confirmed>closed",
	"fixing>fix-ready", "fixing>rejected", "fixing>closed",
	"fix-ready>fixing", "fix-ready>distros-notified", "fix-ready>published",
	"fix-ready>rejected", "fix-ready>closed",
	"distros-notified>published", "distros-notified>rejected",
	"distros-notified>closed",
	"published>closed",
	"closed>new", "closed>triaged",
	"rejected>new", "rejected>triaged",
};

static bool
pair_allowed(const char *from, const char *to)
{
	char *pair = g_strdup_printf("%s>%s", from, to);
	bool found = false;

	for (size_t i = 0; i < G_N_ELEMENTS(allowed_pairs); i++)
		if (strcmp(allowed_pairs[i], pair) == 0)
			found = true;
	g_free(pair);
	return found;
}

static void
test_transitions(void **state)
{
	size_t n_allowed = 0;

	for (int a = 0; a < STATE__COUNT; a++) {
		const char *from = state_name((enum state)a);
		GString *list = g_string_new(NULL);

		for (int b = 0; b < STATE__COUNT; b++)
			if (pair_allowed(from, state_name((enum state)b)))
				g_string_append_printf(list, "%s%s",
				    list->len ? ", " : "",
				    state_name((enum state)b));
		for (int b = 0; b < STATE__COUNT; b++) {
			const char *to = state_name((enum state)b);
			struct error err = { "" };
			int rc = policy_check_transition((enum state)a,
			    (enum state)b, &err);

			if (pair_allowed(from, to)) {
				if (rc != 0)
					fail_msg("%s -> %s refused: %s", from,
					    to, err.msg);
				assert_true(policy_transition_allowed(
				    (enum state)a, (enum state)b));
				n_allowed++;
				continue;
			}
			assert_int_equal(rc, -1);
			assert_false(policy_transition_allowed((enum state)a,
			    (enum state)b));
			if (a == b) {
				char *want = g_strdup_printf("already %s",
				    from);

				assert_string_equal(err.msg, want);
				g_free(want);
			} else {
				char *want = g_strdup_printf("cannot go from "
				    "%s to %s; from %s: %s", from, to, from,
				    list->str);

				assert_string_equal(err.msg, want);
				g_free(want);
			}
		}
		g_string_free(list, TRUE);
	}
	assert_int_equal(n_allowed, G_N_ELEMENTS(allowed_pairs));
}

static void
test_transition_message_example(void **state)
{
	struct error err;

	assert_int_equal(policy_check_transition(STATE_NEW, STATE_PUBLISHED,
	    &err), -1);
	assert_string_equal(err.msg, "cannot go from new to published; from "
	    "new: acknowledged, triaged, confirmed, closed, rejected");
	assert_int_equal(policy_check_transition((enum state)STATE__COUNT,
	    STATE_NEW, &err), -1);
	assert_non_null(strstr(err.msg, "unknown state"));
	assert_false(policy_transition_allowed((enum state)-1, STATE_NEW));
}

/* Field normalisation. */
#define NOW "2026-11-20T12:00:00Z"

struct norm_row {
	const char *field, *value;
	bool force;
	int rc;
	const char *want; /* the normalised value, or a part of the error */
};

static char long_ok[1001], long_bad[1002];

static const struct norm_row norm_rows[] = {
	{ "state", "triaged", false, 0, "triaged" },
	{ "state", " Fix-Ready ", false, 0, "fix-ready" },
	{ "state", "bogus", false, -1, "state: unknown state 'bogus'; "
	    "expected one of: new, acknowledged, triaged, confirmed, fixing, "
	    "fix-ready, distros-notified, published, closed, rejected" },
	{ "state", "", false, -1, "a case always has a state" },
	{ "severity", "important", false, 0, "important" },
	{ "severity", "CRITICAL", false, 0, "critical" },
	{ "severity", "none", false, 0, "none" },
	{ "severity", "unset", false, 0, "" },
	{ "severity", "", false, 0, "" },
	{ "severity", "severe", false, -1, "severity: unknown severity "
	    "'severe'; expected one of: none, minor, moderate, important, "
	    "critical, or unset" },
	{ "handler", "Bob@Example.ORG", false, 0, "bob@example.org" },
	{ "handler", "me", false, 0, "alice@example.org" },
	{ "handler", "none", false, 0, "" },
	{ "handler", "", false, 0, "" },
	{ "handler", "eve@example.org", false, -1, "handler: "
	    "'eve@example.org' is not one of [mail] handlers; expected one "
	    "of: alice@example.org, bob@example.org, carol@example.org, me, "
	    "or none" },
	{ "handler", "alice@example.org.evil", false, -1, "not one of" },
	{ "embargo", "2026-12-01T00:00:00Z", false, 0, "2026-12-01T00:00:00Z" },
	{ "embargo", "2026-12-01T01:00:00+01:00", false, 0,
	    "2026-12-01T00:00:00Z" },
	{ "embargo", "+3d", false, 0, "2026-11-23T12:00:00Z" },
	{ "embargo", "2026-11-20T12:00:01Z", false, 0, "2026-11-20T12:00:01Z" },
	{ "embargo", "2026-11-20T12:00:00Z", false, -1, "embargo: "
	    "2026-11-20T12:00:00Z is not in the future (now "
	    "2026-11-20T12:00:00Z); use --force to set it anyway" },
	{ "embargo", "2026-11-01T00:00:00Z", false, -1, "not in the future" },
	{ "embargo", "2026-11-01T00:00:00Z", true, 0, "2026-11-01T00:00:00Z" },
	{ "embargo", "tomorrow-ish", false, -1, "embargo: " },
	{ "embargo", "none", false, 0, "" },
	{ "cve", "cve-2026-12345", false, 0, "CVE-2026-12345" },
	{ "cve", " CVE-2026-1234 ", false, 0, "CVE-2026-1234" },
	{ "cve", "CVE-1999-0001", false, 0, "CVE-1999-0001" },
	{ "cve", "CVE-2026-1234567", false, 0, "CVE-2026-1234567" },
	{ "cve", "CVE-1998-0001", false, -1, "cve: 'CVE-1998-0001' has year "
	    "1998; CVE ids start in 1999" },
	{ "cve", "CVE-2026-123", false, -1, "cve: 'CVE-2026-123' is not a "
	    "CVE id; expected CVE-YYYY-NNNN (four or more digits)" },
	{ "cve", "CVE-26-1234", false, -1, "is not a CVE id" },
	{ "cve", "CVE-2026-1234x", false, -1, "is not a CVE id" },
	{ "cve", "CVE-2026_1234", false, -1, "is not a CVE id" },
	{ "cve", "CVE", false, -1, "is not a CVE id" },
	{ "cve", "GHSA-xxxx-yyyy", false, -1, "is not a CVE id" },
	{ "cve", "", false, 0, "" },
	{ "affected", "< 1.2.3, 2.0.0-beta", false, 0, "< 1.2.3, 2.0.0-beta" },
	{ "affected", "versions \xc3\xa0 1.0", false, 0,
	    "versions \xc3\xa0 1.0" },
	{ "affected", "1.0\x1b[31m", false, -1, "affected: control character "
	    "U+001B at byte 3; only printable text is allowed" },
	{ "affected", "1.0\n2.0", false, -1, "control character U+000A" },
	{ "affected", "\xff\xfe", false, -1, "not valid UTF-8" },
	{ "affected", "", false, 0, "" },
	{ "check:blog", "yes", false, 0, "yes" },
	{ "check:advisory", "Done", false, 0, "yes" },
	{ "check:oss-security", "1", false, 0, "yes" },
	{ "check:forum", "no", false, 0, "" },
	{ "check:forum", "", false, 0, "" },
	{ "check:forum", "maybe", false, -1, "check:forum: 'maybe' is not yes "
	    "or no" },
	{ "check:podcast", "yes", false, -1, "unknown field 'check:podcast'" },
	{ "response-sent", "yes", false, 0, "yes" },
	{ "distros-notified", "2026-11-19T10:00:00Z", false, 0,
	    "2026-11-19T10:00:00Z" },
	{ "announced", "2026-11-21T10:00:00Z", false, -1, "announced: "
	    "2026-11-21T10:00:00Z is in the future; use --force" },
	{ "announced", "2026-11-21T10:00:00Z", true, 0, "2026-11-21T10:00:00Z" },
	{ "announced", "soonish", false, -1, "announced: 'soonish' is neither "
	    "yes, no nor a time" },
	{ "colour", "red", false, -1, "unknown field 'colour'; expected one "
	    "of: state, severity, handler, embargo, cve, affected, "
	    "response-sent, distros-notified, announced, check:<item> "
	    "(announce-mail, blog, forum, advisory, oss-security)" },
	{ "Severity", "minor", false, -1, "unknown field 'Severity'" },
};

static void
test_normalize(void **state)
{
	struct config cfg = cfg_base();

	for (size_t i = 0; i < G_N_ELEMENTS(norm_rows); i++) {
		const struct norm_row *r = &norm_rows[i];
		struct error err = { "" };
		char *out = NULL;
		int rc;

		rc = policy_normalize_field(&cfg, r->field, r->value, T(NOW),
		    r->force, &out, &err);
		if (rc != r->rc)
			fail_msg("%s=%s: rc %d (%s), expected %d", r->field,
			    r->value, rc, err.msg, r->rc);
		if (rc == 0) {
			assert_non_null(out);
			assert_string_equal(out, r->want);
			g_free(out);
		} else {
			assert_null(out);
			if (strstr(err.msg, r->want) == NULL)
				fail_msg("%s=%s: error '%s' lacks '%s'",
				    r->field, r->value, err.msg, r->want);
		}
	}
}

static void
test_normalize_lengths_and_zones(void **state)
{
	struct config cfg = cfg_base();
	struct error err;
	char *out = NULL;

	memset(long_ok, 'v', sizeof long_ok - 1);
	memset(long_bad, 'v', sizeof long_bad - 1);
	assert_int_equal(policy_normalize_field(&cfg, "affected", long_ok,
	    T(NOW), false, &out, &err), 0);
	assert_int_equal(strlen(out), 1000);
	g_free(out);
	out = NULL;
	assert_int_equal(policy_normalize_field(&cfg, "affected", long_bad,
	    T(NOW), false, &out, &err), -1);
	assert_string_equal(err.msg, "affected: 1001 bytes is too long; at "
	    "most 1000");
	assert_null(out);

	/* A local time is read in the team's zone and stored in UTC. */
	cfg.timezone = "Europe/Berlin";
	assert_int_equal(policy_normalize_field(&cfg, "embargo",
	    "2026-12-01 10:00", T(NOW), false, &out, &err), 0);
	assert_string_equal(out, "2026-12-01T09:00:00Z");
	g_free(out);

	/* No handlers configured: say where to configure them. */
	cfg.handlers = NULL;
	out = NULL;
	assert_int_equal(policy_normalize_field(&cfg, "handler", "bob@x.org",
	    T(NOW), false, &out, &err), -1);
	assert_non_null(strstr(err.msg, "no handlers are configured ([mail] "
	    "handlers)"));
	cfg.me = NULL;
	assert_int_equal(policy_normalize_field(&cfg, "handler", "me",
	    T(NOW), false, &out, &err), -1);
	assert_non_null(strstr(err.msg, "[mail] me"));
	assert_int_equal(policy_normalize_field(&cfg, NULL, "x", T(NOW),
	    false, &out, &err), -1);
	assert_non_null(strstr(err.msg, "unknown field"));
	assert_null(out);
}

/* Ordering for list and the queue. */
static struct case_deadlines
dl_set(const char *due, enum urgency u)
{
	struct case_deadlines d;

	memset(&d, 0, sizeof d);
	d.next = -1;
	if (due != NULL) {
		d.n = 2;
		d.d[0].kind = DL_ACK;
		d.d[0].due = T("2026-01-01T00:00:00Z");
		d.d[0].met_at = T("2026-01-01T00:00:00Z");
		d.d[0].urgency = URG_MET;
		d.d[1].kind = DL_RESPONSE;
		d.d[1].due = T(due);
		d.d[1].urgency = u;
		d.next = 1;
	}
	return d;
}

struct sorted {
	int64_t id;
	struct case_deadlines dl;
};

static int
sorted_cmp(const void *a, const void *b)
{
	const struct sorted *x = a, *y = b;

	return policy_compare(&x->dl, x->id, &y->dl, y->id);
}

static void
test_compare(void **state)
{
	struct sorted v[] = {
		{ 1, dl_set(NULL, URG_OK) },
		{ 2, dl_set("2026-11-25T00:00:00Z", URG_OK) },
		{ 3, dl_set("2026-11-20T00:00:00Z", URG_OVERDUE) },
		{ 4, dl_set("2026-11-21T00:00:00Z", URG_SOON) },
		{ 5, dl_set("2026-11-19T00:00:00Z", URG_OVERDUE) },
		{ 6, dl_set("2026-11-25T00:00:00Z", URG_OK) },
		{ 7, dl_set(NULL, URG_OK) },
		/* overdue by its own clock even though due later than 4 */
		{ 8, dl_set("2026-11-22T00:00:00Z", URG_OVERDUE) },
		{ 0, dl_set("2026-11-25T00:00:00Z", URG_OK) },
	};
	const int64_t want[] = { 5, 3, 8, 4, 0, 2, 6, 1, 7 };

	qsort(v, G_N_ELEMENTS(v), sizeof v[0], sorted_cmp);
	for (size_t i = 0; i < G_N_ELEMENTS(v); i++)
		assert_int_equal(v[i].id, want[i]);
	assert_int_equal(policy_compare(&v[0].dl, 5, &v[0].dl, 5), 0);
}

/* With a real store. */

struct world {
	char *dir;
	char *db;
	struct store *st;
	struct config cfg;
	int64_t id;
};

static int
world_setup(void **state)
{
	struct world *w = g_new0(struct world, 1);
	struct error err;
	bool created;

	w->dir = g_strdup("/tmp/polXXXXXX");
	if (g_mkdtemp(w->dir) == NULL)
		return -1;
	w->db = g_build_filename(w->dir, "cases.db", NULL);
	if (store_open(w->db, &w->st, &err) != 0) {
		print_error("store_open: %s\n", err.msg);
		return -1;
	}
	w->cfg = cfg_base();
	if (store_case_ensure(w->st, "report-1@example.net", "0001",
	    "alice@example.org", T(REPORT), &w->id, &created, &err) != 0) {
		print_error("store_case_ensure: %s\n", err.msg);
		return -1;
	}
	*state = w;
	return 0;
}

static void
rm_rf(const char *dir)
{
	GDir *d = g_dir_open(dir, 0, NULL);
	const char *name;

	if (d == NULL)
		return;
	while ((name = g_dir_read_name(d)) != NULL) {
		char *p = g_build_filename(dir, name, NULL);

		if (g_file_test(p, G_FILE_TEST_IS_DIR))
			rm_rf(p);
		else
			g_unlink(p);
		g_free(p);
	}
	g_dir_close(d);
	g_rmdir(dir);
}

static int
world_teardown(void **state)
{
	struct world *w = *state;

	if (w->st != NULL)
		store_close(w->st);
	rm_rf(w->dir);
	g_free(w->db);
	g_free(w->dir);
	g_free(w);
	return 0;
}

static char *
field_now(struct world *w, const char *field)
{
	struct store_case *c;
	struct error err;
	char *v;

	if (store_case_get(w->st, w->id, &c, &err) != 0)
		fail_msg("store_case_get: %s", err.msg);
	v = g_strdup(store_case_field(c, field));
	store_case_free(c);
	return v;
}

static guint
n_events(struct world *w)
{
	GPtrArray *evs;
	struct error err;
	guint n;

	if (store_events(w->st, w->id, &evs, &err) != 0)
		fail_msg("store_events: %s", err.msg);
	n = evs->len;
	g_ptr_array_free(evs, TRUE);
	return n;
}

static struct store_event *
last_event(struct world *w, GPtrArray **evs)
{
	struct error err;

	if (store_events(w->st, w->id, evs, &err) != 0)
		fail_msg("store_events: %s", err.msg);
	assert_true((*evs)->len > 0);
	return g_ptr_array_index(*evs, (*evs)->len - 1);
}

static void
assert_field(struct world *w, const char *field, const char *want)
{
	char *v = field_now(w, field);

	if (want == NULL)
		assert_true(v == NULL || *v == '\0');
	else {
		assert_non_null(v);
		assert_string_equal(v, want);
	}
	g_free(v);
}

static void
test_set_state(void **state)
{
	struct world *w = *state;
	struct error err;
	GPtrArray *evs;
	struct store_event *ev;
	guint n;
	time_t now = T(NOW);

	assert_int_equal(policy_set_field(w->st, &w->cfg, w->id, "state",
	    "triaged", "alice@example.org", now, false, &err), 0);
	assert_field(w, "state", "triaged");
	ev = last_event(w, &evs);
	assert_string_equal(ev->kind, "state");
	assert_string_equal(ev->field, "state");
	assert_string_equal(ev->value, "triaged");
	assert_string_equal(ev->prev, "new");
	assert_string_equal(ev->author, "alice@example.org");
	assert_int_equal(ev->at, now);
	g_ptr_array_free(evs, TRUE);

	n = n_events(w);
	assert_int_equal(policy_set_field(w->st, &w->cfg, w->id, "state",
	    "triaged", "alice@example.org", now + 1, false, &err), -1);
	assert_string_equal(err.msg, "case 1: already triaged");
	assert_int_equal(policy_set_field(w->st, &w->cfg, w->id, "state",
	    "published", "alice@example.org", now + 1, false, &err), -1);
	assert_string_equal(err.msg, "case 1: cannot go from triaged to "
	    "published; from triaged: confirmed, fixing, closed, rejected");
	assert_int_equal(policy_set_field(w->st, &w->cfg, w->id, "state",
	    "wontfix", "alice@example.org", now + 1, false, &err), -1);
	assert_non_null(strstr(err.msg, "unknown state 'wontfix'"));
	assert_int_equal(n_events(w), n);
	assert_field(w, "state", "triaged");

	/* Closing and reopening are ordinary recorded events. */
	assert_int_equal(policy_set_field(w->st, &w->cfg, w->id, "state",
	    "closed", "bob@example.org", now + 2, false, &err), 0);
	assert_int_equal(policy_set_field(w->st, &w->cfg, w->id, "state",
	    "new", "bob@example.org", now + 3, false, &err), 0);
	ev = last_event(w, &evs);
	assert_string_equal(ev->prev, "closed");
	assert_string_equal(ev->value, "new");
	g_ptr_array_free(evs, TRUE);
	assert_int_equal(n_events(w), n + 2);
}

static void
test_set_fields(void **state)
{
	struct world *w = *state;
	struct error err;
	GPtrArray *evs;
	struct store_event *ev;
	guint n;
	time_t now = T(NOW);

	assert_int_equal(policy_set_field(w->st, &w->cfg, w->id, "cve",
	    "cve-2026-4242", "alice@example.org", now, false, &err), 0);
	assert_field(w, "cve", "CVE-2026-4242");
	assert_int_equal(policy_set_field(w->st, &w->cfg, w->id, "embargo",
	    "+10d", "alice@example.org", now, false, &err), 0);
	assert_field(w, "embargo", "2026-11-30T12:00:00Z");
	assert_int_equal(policy_set_field(w->st, &w->cfg, w->id,
	    "check:blog", "done", "alice@example.org", now, false, &err), 0);
	ev = last_event(w, &evs);
	assert_string_equal(ev->kind, "check");
	assert_string_equal(ev->field, "check:blog");
	assert_string_equal(ev->value, "yes");
	g_ptr_array_free(evs, TRUE);
	assert_field(w, "check:blog", "yes");

	/* A bad value changes nothing. */
	n = n_events(w);
	assert_int_equal(policy_set_field(w->st, &w->cfg, w->id, "cve",
	    "CVE-12", "alice@example.org", now, false, &err), -1);
	assert_string_equal(err.msg, "case 1: cve: 'CVE-12' is not a CVE id; "
	    "expected CVE-YYYY-NNNN (four or more digits)");
	assert_int_equal(policy_set_field(w->st, &w->cfg, w->id, "embargo",
	    "2026-01-01", "alice@example.org", now, false, &err), -1);
	assert_non_null(strstr(err.msg, "not in the future"));
	assert_int_equal(policy_set_field(w->st, &w->cfg, w->id, "colour",
	    "red", "alice@example.org", now, false, &err), -1);
	assert_int_equal(n_events(w), n);
	assert_field(w, "embargo", "2026-11-30T12:00:00Z");

	/* The same value again is no change at all. */
	assert_int_equal(policy_set_field(w->st, &w->cfg, w->id, "cve",
	    "CVE-2026-4242", "bob@example.org", now, false, &err), 0);
	assert_int_equal(n_events(w), n);

	/* Clearing: the embargo lifts, prev says what it was. */
	assert_int_equal(policy_set_field(w->st, &w->cfg, w->id, "embargo",
	    "none", "alice@example.org", now + 1, false, &err), 0);
	assert_field(w, "embargo", NULL);
	ev = last_event(w, &evs);
	assert_string_equal(ev->prev, "2026-11-30T12:00:00Z");
	assert_true(ev->value == NULL || *ev->value == '\0');
	g_ptr_array_free(evs, TRUE);

	/* An unknown case is named. */
	assert_int_equal(policy_set_field(w->st, &w->cfg, 999, "cve",
	    "CVE-2026-4242", "bob@example.org", now, false, &err), -1);
	assert_non_null(strstr(err.msg, "999"));
	assert_int_equal(policy_set_field(w->st, &w->cfg, w->id, "cve",
	    "CVE-2026-4243", "", now, false, &err), -1);
	assert_non_null(strstr(err.msg, "no author"));
}

static void
test_claim(void **state)
{
	struct world *w = *state;
	struct error err;
	time_t now = T(NOW);
	guint n;

	assert_int_equal(policy_set_field(w->st, &w->cfg, w->id, "handler",
	    "me", "alice@example.org", now, false, &err), 0);
	assert_field(w, "handler", "alice@example.org");
	/* Claiming one's own case again changes nothing. */
	n = n_events(w);
	assert_int_equal(policy_set_field(w->st, &w->cfg, w->id, "handler",
	    "alice@example.org", "alice@example.org", now, false, &err), 0);
	assert_int_equal(n_events(w), n);

	assert_int_equal(policy_set_field(w->st, &w->cfg, w->id, "handler",
	    "bob@example.org", "bob@example.org", now + 1, false, &err), -1);
	assert_string_equal(err.msg, "case 1 is already claimed by "
	    "alice@example.org (use --force to take it over)");
	/* Releasing someone else's claim needs --force too. */
	assert_int_equal(policy_set_field(w->st, &w->cfg, w->id, "handler",
	    "none", "bob@example.org", now + 1, false, &err), -1);
	assert_non_null(strstr(err.msg, "already claimed by alice"));
	assert_int_equal(n_events(w), n);

	assert_int_equal(policy_set_field(w->st, &w->cfg, w->id, "handler",
	    "bob@example.org", "bob@example.org", now + 2, true, &err), 0);
	assert_field(w, "handler", "bob@example.org");
	/* The holder may hand the case over or release it. */
	assert_int_equal(policy_set_field(w->st, &w->cfg, w->id, "handler",
	    "carol@example.org", "Bob@example.org", now + 3, false, &err), 0);
	assert_field(w, "handler", "carol@example.org");
	assert_int_equal(policy_set_field(w->st, &w->cfg, w->id, "handler",
	    "none", "carol@example.org", now + 4, false, &err), 0);
	assert_field(w, "handler", NULL);
	assert_int_equal(policy_set_field(w->st, &w->cfg, w->id, "handler",
	    "mallory@example.org", "carol@example.org", now + 5, false, &err),
	    -1);
	assert_non_null(strstr(err.msg, "not one of [mail] handlers"));
}

/* A change made after the user saw the case is refused, not overwritten. */
static void
test_stale_snapshot(void **state)
{
	struct world *w = *state;
	struct store_case *seen;
	struct error err;
	time_t now = T(NOW);

	assert_int_equal(store_case_get(w->st, w->id, &seen, &err), 0);
	assert_int_equal(policy_set_field(w->st, &w->cfg, w->id, "severity",
	    "minor", "bob@example.org", now, false, &err), 0);
	assert_int_equal(policy_set_field_seen(w->st, &w->cfg, seen,
	    "severity", "critical", "alice@example.org", now + 1, false,
	    &err), -1);
	assert_string_equal(err.msg, "case 1 changed meanwhile: severity is "
	    "now minor; try again");
	assert_field(w, "severity", "minor");

	/* Same for the state: the transition was checked against a stale state. */
	assert_int_equal(policy_set_field(w->st, &w->cfg, w->id, "state",
	    "rejected", "bob@example.org", now, false, &err), 0);
	assert_int_equal(policy_set_field_seen(w->st, &w->cfg, seen, "state",
	    "triaged", "alice@example.org", now + 1, false, &err), -1);
	assert_string_equal(err.msg, "case 1 changed meanwhile: state is now "
	    "rejected; try again");

	/* And for a claim: the loser is told who won. */
	assert_int_equal(policy_set_field(w->st, &w->cfg, w->id, "handler",
	    "bob@example.org", "bob@example.org", now, false, &err), 0);
	assert_int_equal(policy_set_field_seen(w->st, &w->cfg, seen,
	    "handler", "alice@example.org", "alice@example.org", now + 1,
	    false, &err), -1);
	assert_string_equal(err.msg, "case 1 is already claimed by "
	    "bob@example.org (use --force to take it over)");
	assert_field(w, "handler", "bob@example.org");
	store_case_free(seen);
}

static void
test_notes(void **state)
{
	struct world *w = *state;
	struct error err;
	GPtrArray *evs;
	struct store_event *ev;
	guint n = n_events(w);
	time_t now = T(NOW);

	assert_int_equal(policy_add_note(w->st, w->id, "  Asked upstream\n"
	    "\tabout 2.x  ", "bob@example.org", now, &err), 0);
	ev = last_event(w, &evs);
	assert_string_equal(ev->kind, "note");
	assert_null(ev->field);
	assert_string_equal(ev->value, "Asked upstream\n\tabout 2.x");
	assert_string_equal(ev->author, "bob@example.org");
	g_ptr_array_free(evs, TRUE);

	assert_int_equal(policy_add_note(w->st, w->id, " \n\t ",
	    "bob@example.org", now, &err), -1);
	assert_string_equal(err.msg, "case 1: the note is empty; give some "
	    "text");
	assert_int_equal(policy_add_note(w->st, w->id, NULL,
	    "bob@example.org", now, &err), -1);
	assert_int_equal(policy_add_note(w->st, w->id, "bell\a",
	    "bob@example.org", now, &err), -1);
	assert_non_null(strstr(err.msg, "control character U+0007"));
	assert_int_equal(policy_add_note(w->st, 4242, "hello",
	    "bob@example.org", now, &err), -1);
	assert_non_null(strstr(err.msg, "4242"));
	assert_int_equal(n_events(w), n + 1);
}

/*
 * The claim race: two processes claim the same case at once, released
 * together by closing a pipe; exactly one wins and the other is told who.
 */
static void
claim_child(const char *db, int64_t id, const char *who, int go, int out)
{
	struct config cfg = cfg_base();
	struct store *st;
	struct error err = { "" };
	char c, *line;
	int rc = -1;

	if (store_open(db, &st, &err) == 0) {
		/* Blocks until the parent closes the write end. */
		if (read(go, &c, 1) < 0)
			_exit(2);
		rc = policy_set_field(st, &cfg, id, "handler", who, who,
		    T(NOW), false, &err);
		store_close(st);
	}
	line = g_strdup_printf("%s %d %s\n", who, rc, err.msg);
	if (write(out, line, strlen(line)) < 0)
		_exit(2);
	_exit(0);
}

static void
test_claim_race(void **state)
{
	struct world *w = *state;
	const char *who[2] = { "alice@example.org", "bob@example.org" };
	struct error err;

	store_close(w->st);
	w->st = NULL;
	for (int round = 0; round < 8; round++) {
		struct store *st;
		int64_t id;
		bool created;
		char msgid[64], buf[4096] = "", *v, **lines;
		int go[2], out[2], winners = 0;
		pid_t pid[2];
		size_t len = 0;
		ssize_t r;

		snprintf(msgid, sizeof msgid, "race-%d@example.net", round);
		assert_int_equal(store_open(w->db, &st, &err), 0);
		assert_int_equal(store_case_ensure(st, msgid, NULL,
		    "alice@example.org", T(REPORT), &id, &created, &err), 0);
		store_close(st);

		assert_int_equal(pipe(go), 0);
		assert_int_equal(pipe(out), 0);
		for (int i = 0; i < 2; i++) {
			pid[i] = fork();
			assert_true(pid[i] >= 0);
			if (pid[i] == 0) {
				close(go[1]);
				close(out[0]);
				/* Alternate who comes first in line. */
				claim_child(w->db, id, who[(i + round) % 2],
				    go[0], out[1]);
			}
		}
		close(go[0]);
		close(out[1]);
		close(go[1]); /* go */
		while ((r = read(out[0], buf + len, sizeof buf - 1 - len)) > 0)
			len += (size_t)r;
		buf[len] = '\0';
		close(out[0]);
		for (int i = 0; i < 2; i++) {
			int status;

			assert_int_equal(waitpid(pid[i], &status, 0), pid[i]);
			assert_true(WIFEXITED(status));
			assert_int_equal(WEXITSTATUS(status), 0);
		}

		assert_int_equal(store_open(w->db, &st, &err), 0);
		{
			struct store_case *c;

			assert_int_equal(store_case_get(st, id, &c, &err), 0);
			v = g_strdup(store_case_field(c, "handler"));
			store_case_free(c);
		}
		store_close(st);
		assert_non_null(v);

		lines = g_strsplit(buf, "\n", -1);
		assert_int_equal(g_strv_length(lines), 3);
		for (int i = 0; i < 2; i++) {
			char **parts = g_strsplit(lines[i], " ", 3);

			assert_int_equal(g_strv_length(parts), 3);
			if (strcmp(parts[1], "0") == 0) {
				winners++;
				assert_string_equal(parts[0], v);
			} else {
				char *want = g_strdup_printf("case %" PRId64
				    " is already claimed by %s (use --force "
				    "to take it over)", id, v);

				assert_string_equal(parts[1], "-1");
				assert_string_not_equal(parts[0], v);
				assert_string_equal(parts[2], want);
				g_free(want);
			}
			g_strfreev(parts);
		}
		assert_int_equal(winners, 1);
		g_strfreev(lines);
		g_free(v);
	}
	assert_int_equal(store_open(w->db, &w->st, &err), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_deadline_rows),
		cmocka_unit_test(test_deadlines_order_and_next),
		cmocka_unit_test(test_deadlines_without_facts),
		cmocka_unit_test(test_distros_warning),
		cmocka_unit_test(test_embargo_not_a_time),
		cmocka_unit_test(test_urgency_thresholds),
		cmocka_unit_test(test_working_days),
		cmocka_unit_test(test_working_days_in_deadlines),
		cmocka_unit_test(test_transitions),
		cmocka_unit_test(test_transition_message_example),
		cmocka_unit_test(test_normalize),
		cmocka_unit_test(test_normalize_lengths_and_zones),
		cmocka_unit_test(test_compare),
		cmocka_unit_test_setup_teardown(test_set_state, world_setup,
		    world_teardown),
		cmocka_unit_test_setup_teardown(test_set_fields, world_setup,
		    world_teardown),
		cmocka_unit_test_setup_teardown(test_claim, world_setup,
		    world_teardown),
		cmocka_unit_test_setup_teardown(test_stale_snapshot,
		    world_setup, world_teardown),
		cmocka_unit_test_setup_teardown(test_notes, world_setup,
		    world_teardown),
		cmocka_unit_test_setup_teardown(test_claim_race, world_setup,
		    world_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
