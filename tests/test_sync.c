/* tests/test_sync.c: team sync over mail: the event JSON (and its bad inputs), the mail, the import rule, facts. */
#include "build-config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "core/app.h"
#include "core/config.h"
#include "core/mail.h"
#include "core/policy.h"
#include "core/store.h"
#include "core/sync.h"
#include "tests/fixture.h"

/* CALL must return 0; else the test fails with the error it set. */
#define OK(call) do { if ((call) != 0) fail_msg("%s: %s", #call, err.msg); } while (0)

static struct fixture *FX;
static struct app *APP;

static int
group_setup(void **state)
{
	struct error err = { { 0 } };
	FILE *f;

	(void)state;
	FX = fixture_new();
	if (FX == NULL)
		return -1;
	f = fopen(FX->config, "a");
	if (f == NULL)
		return -1;
	fputs("\n[team]\nsync = mail\n", f);
	fclose(f);
	if (app_open(NULL, &APP, &err) != 0 || app_refresh(APP, &err) != 0) {
		fprintf(stderr, "setup: %s\n", err.msg);
		return -1;
	}
	return 0;
}

static int
group_teardown(void **state)
{
	(void)state;
	app_close(APP);
	fixture_free(FX);
	return 0;
}

static struct store_event
sample_event(const char *kind, const char *field, const char *value,
    const char *prev)
{
	struct store_event ev;

	memset(&ev, 0, sizeof ev);
	store_uuid_new(ev.uuid);
	ev.author = (char *)"alice@example.org";
	ev.at = 1795348800; /* 2026-11-22T12:00:00Z */
	ev.kind = (char *)kind;
	ev.field = (char *)field;
	ev.value = (char *)value;
	ev.prev = (char *)prev;
	return ev;
}

/* The JSON written for an event reads back as the same event, odd text included. */
static void
test_json_round_trip(void **state)
{
	struct store_event ev = sample_event("note", NULL,
	    "line one\n\t\"quoted\" back\\slash Grüße 日本語 \xf0\x9f\x94\x92", NULL);
	struct sync_event *se = NULL;
	struct error err = { { 0 } };
	char *json;

	(void)state;
	json = sync_event_json(&ev, "report@example.org", "K7Q2M");
	assert_non_null(strstr(json, "\"version\": 1"));
	OK(sync_event_parse(json, strlen(json), &se, &err));
	assert_string_equal(se->ev.uuid, ev.uuid);
	assert_string_equal(se->ev.author, "alice@example.org");
	assert_int_equal(se->ev.at, ev.at);
	assert_string_equal(se->ev.kind, "note");
	assert_null(se->ev.field);
	assert_string_equal(se->ev.value, ev.value);
	assert_null(se->ev.prev);
	assert_string_equal(se->case_msgid, "report@example.org");
	assert_string_equal(se->case_ref, "K7Q2M");
	sync_event_free(se);
	g_free(json);

	/* \u escapes (a surrogate pair too), unknown keys and a missing field for a folding kind. */
	json = g_strdup("{ \"kind\":\"state\", \"extra\": [1], \"version\":1 }");
	assert_int_equal(sync_event_parse(json, strlen(json), &se, &err), -1);
	g_free(json);
	json = g_strdup("{\"version\":1,\"uuid\":\"01A2097E-0AB0-70B5-9D4E-104C33D8EA16\","
	    "\"case_msgid\":\"r@x.org\",\"author\":\"Bob@Example.org\","
	    "\"at\":\"2026-11-22T13:00:00+01:00\",\"kind\":\"state\",\"value\":"
	    "\"tri\\u0061ged \\ud83d\\udd12\",\"future\":null,\"n\":7}");
	OK(sync_event_parse(json, strlen(json), &se, &err));
	assert_string_equal(se->ev.uuid, "01a2097e-0ab0-70b5-9d4e-104c33d8ea16");
	assert_string_equal(se->ev.author, "bob@example.org");
	assert_int_equal(se->ev.at, ev.at);
	assert_string_equal(se->ev.field, "state");
	assert_string_equal(se->ev.value, "triaged \xf0\x9f\x94\x92");
	assert_null(se->case_ref);
	sync_event_free(se);
	g_free(json);
}

/* Every bad input is refused with a message naming what was wrong. */
static void
test_json_bad(void **state)
{
	static const struct {
		const char *json;
		const char *want;
	} cases[] = {
		{ "", "expected an object" },
		{ "[]", "expected an object" },
		{ "{\"version\":1", "expected a comma or }" },
		{ "{\"version\":1} x", "nothing after the object" },
		{ "{\"version\":1,\"version\":1}", "\"version\" appears twice" },
		{ "{\"version\":\"1\"}", "\"version\" must be a whole number" },
		{ "{\"version\":01}", "without leading zeros" },
		{ "{\"version\":1}", "\"uuid\" is missing" },
		{ "{\"version\":2,\"uuid\":\"u\",\"case_msgid\":\"m\",\"author\":\"a\",\"at\":\"t\",\"kind\":\"k\"}",
		    "version 2" },
		{ "{\"version\":1,\"uuid\":\"not-a-uuid\",\"case_msgid\":\"m\",\"author\":\"a\",\"at\":\"t\",\"kind\":\"k\"}",
		    "\"uuid\": expected" },
		{ "{\"version\":1,\"uuid\":\"01a2097e-0ab0-70b5-9d4e-104c33d8ea16\",\"case_msgid\":\"no at sign\",\"author\":\"a\",\"at\":\"t\",\"kind\":\"k\"}",
		    "\"case_msgid\": expected" },
		{ "{\"version\":1,\"uuid\":\"01a2097e-0ab0-70b5-9d4e-104c33d8ea16\",\"case_msgid\":\"m@x\",\"author\":\"a <b@c>\",\"at\":\"t\",\"kind\":\"k\"}",
		    "\"author\": expected an e-mail address" },
		{ "{\"version\":1,\"uuid\":\"01a2097e-0ab0-70b5-9d4e-104c33d8ea16\",\"case_msgid\":\"m@x\",\"author\":\"a@b\",\"at\":\"2026-11-22 12:00\",\"kind\":\"k\"}",
		    "\"at\"" },
		{ "{\"version\":1,\"uuid\":\"01a2097e-0ab0-70b5-9d4e-104c33d8ea16\",\"case_msgid\":\"m@x\",\"author\":\"a@b\",\"at\":\"2026-11-22T12:00Z\",\"kind\":\"created\"}",
		    "not an event kind that is mailed" },
		{ "{\"version\":1,\"uuid\":\"01a2097e-0ab0-70b5-9d4e-104c33d8ea16\",\"case_msgid\":\"m@x\",\"author\":\"a@b\",\"at\":\"2026-11-22T12:00Z\",\"kind\":\"bogus\"}",
		    "not an event kind" },
		{ "{\"version\":1,\"uuid\":\"01a2097e-0ab0-70b5-9d4e-104c33d8ea16\",\"case_msgid\":\"m@x\",\"author\":\"a@b\",\"at\":\"2026-11-22T12:00Z\",\"kind\":\"state\",\"field\":\"handler\"}",
		    "sets the field \"state\", not \"handler\"" },
		{ "{\"version\":1,\"uuid\":\"01a2097e-0ab0-70b5-9d4e-104c33d8ea16\",\"case_msgid\":\"m@x\",\"author\":\"a@b\",\"at\":\"2026-11-22T12:00Z\",\"kind\":\"check\",\"field\":\"check:nope\"}",
		    "known checklist item" },
		{ "{\"version\":1,\"uuid\":\"01a2097e-0ab0-70b5-9d4e-104c33d8ea16\",\"case_msgid\":\"m@x\",\"author\":\"a@b\",\"at\":\"2026-11-22T12:00Z\",\"kind\":\"note\",\"field\":\"note\"}",
		    "\"field\" must be null" },
		{ "{\"version\":1,\"uuid\":\"01a2097e-0ab0-70b5-9d4e-104c33d8ea16\",\"case_msgid\":\"m@x\",\"author\":\"a@b\",\"at\":\"2026-11-22T12:00Z\",\"kind\":\"note\",\"value\":\"\\u001b[31m\"}",
		    "control characters are not allowed" },
		{ "{\"value\":\"a\\u0000b\"}", "no NUL" },
		{ "{\"value\":\"\\ud83d\"}", "a low surrogate" },
		{ "{\"value\":\"\\udd12\"}", "a high surrogate before a low one" },
		{ "{\"value\":\"\\x\"}", "after \\" },
		{ "{\"value\":\"a\nb\"}", "no control character inside a string" },
		{ "{\"value\":\"\xff\"}", "UTF-8" },
		{ "{\"value\":\"open", "the end of the string" },
		{ "{\"value\":{}}", "\"value\" must be a string or null" },
		{ "{\"other\":true}", "a string, null or a whole number" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct sync_event *se = NULL;
		struct error err = { { 0 } };

		if (sync_event_parse(cases[i].json, strlen(cases[i].json), &se, &err) != -1)
			fail_msg("accepted: %s", cases[i].json);
		assert_null(se);
		if (strstr(err.msg, cases[i].want) == NULL)
			fail_msg("%s: got \"%s\", want \"%s\"", cases[i].json, err.msg,
			    cases[i].want);
		assert_non_null(strstr(err.msg, "event JSON"));
	}
}

static void
test_summary(void **state)
{
	struct store_event a = sample_event("state", "state", "triaged", "new");
	struct store_event b = sample_event("note", NULL, "look\nhere", NULL);
	struct store_event c = sample_event("check", "check:blog", "yes", NULL);
	struct store_event d = sample_event("cve", "cve", NULL, "CVE-2026-1");
	char *s;

	(void)state;
	s = sync_event_summary(&a, "K7Q2M");
	assert_string_equal(s, "alice@example.org set state of case K7Q2M: new -> triaged");
	g_free(s);
	s = sync_event_summary(&b, "K7Q2M");
	assert_string_equal(s, "alice@example.org added a note to case K7Q2M:\n\nlook\nhere");
	g_free(s);
	s = sync_event_summary(&c, "K7Q2M");
	assert_string_equal(s, "alice@example.org marked blog: done on case K7Q2M");
	g_free(s);
	s = sync_event_summary(&d, "K7Q2M");
	assert_string_equal(s, "alice@example.org set cve of case K7Q2M: CVE-2026-1 -> (unset)");
	g_free(s);
}

static struct store_case *
plain_case(void)
{
	struct error err = { { 0 } };
	struct store_case *c = NULL;
	GPtrArray *list;

	OK(store_case_list(APP->st, &list, &err));
	for (guint i = 0; i < list->len && c == NULL; i++) {
		struct store_case *x = list->pdata[i];

		if (x != NULL && x->msgid != NULL &&
		    strcmp(x->msgid, "plain@fixture.test") == 0) {
			c = x;
			list->pdata[i] = NULL;
		}
	}
	g_ptr_array_unref(list);
	if (c == NULL || c->thread == NULL) {
		fprintf(stderr, "the fixture's case plain@fixture.test is missing\n");
		abort();
	}
	return c;
}

/* A mail built here passes the import rule; its author must be the signer. */
static void
test_mail_check(void **state)
{
	struct store_case *c = plain_case();
	struct store_event ev = sample_event("severity", "severity", "critical", NULL);
	struct sync_event *se = NULL;
	struct error err = { { 0 } };
	GByteArray *msg;
	char *msgid, *text;

	(void)state;
	OK(sync_event_mail(APP, &ev, c, &msg, &msgid, &err));
	text = g_strndup((const char *)msg->data, msg->len);
	assert_non_null(strstr(text, "\nX-Embargo-Event: "));
	assert_non_null(strstr(text, ev.uuid));
	assert_non_null(strstr(text, "\nIn-Reply-To: <plain@fixture.test>\n"));
	assert_non_null(strstr(text, "multipart/encrypted"));
	assert_null(strstr(text, "critical"));
	g_free(text);
	OK(sync_check_mail(APP, (const char *)msg->data, msg->len, &se, &err));
	assert_string_equal(se->ev.uuid, ev.uuid);
	assert_string_equal(se->ev.value, "critical");
	assert_string_equal(se->case_msgid, "plain@fixture.test");
	assert_string_equal(se->case_ref, c->ref);
	sync_event_free(se);
	g_byte_array_unref(msg);
	g_free(msgid);

	/* Bob's event signed with alice's key (me = alice) is refused. */
	ev.author = (char *)"bob@example.org";
	OK(sync_event_mail(APP, &ev, c, &msg, &msgid, &err));
	assert_int_equal(sync_check_mail(APP, (const char *)msg->data, msg->len, &se,
	    &err), -1);
	assert_non_null(strstr(err.msg, "which is not bob@example.org's key"));
	g_byte_array_unref(msg);
	g_free(msgid);

	/* Not a mail, not encrypted. */
	assert_int_equal(sync_check_mail(APP, "hello", 5, &se, &err), -1);
	assert_int_equal(sync_check_mail(APP, "From: a@b\n\nhi\n", 14, &se, &err), -1);
	assert_non_null(strstr(err.msg, "not PGP/MIME encrypted"));
	store_case_free(c);
}

/* Setting a field mails one event; the mail and its echo import as nothing new. */
static void
test_flush_and_import(void **state)
{
	struct store_case *c = plain_case();
	struct error err = { { 0 } };
	GPtrArray *events;
	char *path, *cmd, *out = NULL;
	int status, n;
	guint before;

	(void)state;
	cmd = g_strdup_printf("ls %s | grep -c eml", FX->outbox);
	assert_int_equal(fixture_run(cmd, &out, &status), 0);
	n = atoi(out);
	g_free(out);
	before = APP->warnings->len;
	OK(policy_set_field(APP->st, APP->cfg, c->id, "cve", "cve-2026-4242",
	    "alice@example.org", APP->now, false, &err));
	assert_int_equal(APP->warnings->len, before);
	assert_int_equal(fixture_run(cmd, &out, &status), 0);
	assert_int_equal(atoi(out), n + 1);
	g_free(out);
	g_free(cmd);

	/* Nothing is pending any more. */
	OK(sync_flush(APP, &n, &err));
	assert_int_equal(n, 0);

	/* The list echoes it back: importing finds a known event, adds nothing, warns nothing. */
	path = g_strdup_printf("%s/%d.eml", FX->outbox, 1);
	out = fixture_read_file(path, NULL);
	assert_non_null(out);
	assert_int_equal(fixture_add_message(FX, "INBOX", "echo", out), 0);
	g_free(out);
	g_free(path);
	assert_int_equal(fixture_notmuch(FX, "new"), 0);
	OK(mail_reopen(APP->mail, &err));
	OK(sync_import(APP, &n, &err));
	assert_int_equal(n, 0);
	assert_int_equal(APP->warnings->len, before);
	OK(store_events(APP->st, c->id, &events, &err));
	n = 0;
	for (guint i = 0; i < events->len; i++) {
		const struct store_event *e = events->pdata[i];

		n += strcmp(e->kind, "cve") == 0;
	}
	assert_int_equal(n, 1);
	g_ptr_array_unref(events);
	store_case_free(c);
}

/* Event mails from the team are no reply to anyone; a thread of them alone is no case. */
static void
test_facts_skip_events(void **state)
{
	struct mail_facts f;
	struct error err = { { 0 } };
	struct store_case *c;
	GPtrArray *cases;
	guint n;

	(void)state;
	assert_int_equal(fixture_add_message(FX, "INBOX", "ev1",
	    "From: Alice Handler <alice@example.org>\n"
	    "To: security@example.org, carol@plain.test\n"
	    "Subject: [embargo] event\n"
	    "Message-ID: <ev1@fixture.test>\n"
	    "In-Reply-To: <plain@fixture.test>\n"
	    "References: <plain@fixture.test>\n"
	    "Date: Sun, 22 Nov 2026 11:00:00 +0000\n"
	    "X-Embargo-Event: 01a2097e-0ab0-70b5-9d4e-104c33d8ea16\n"
	    "\n"
	    "not really encrypted\n"), 0);
	assert_int_equal(fixture_add_message(FX, "INBOX", "ev2",
	    "From: Bob Handler <bob@example.org>\n"
	    "To: security@example.org\n"
	    "Subject: [embargo] event\n"
	    "Message-ID: <ev2@fixture.test>\n"
	    "In-Reply-To: <missing-report@fixture.test>\n"
	    "Date: Sun, 22 Nov 2026 11:00:00 +0000\n"
	    "X-Embargo-Event: 01a2097e-0ab0-70b5-9d4e-104c33d8ea17\n"
	    "\n"
	    "an event for a report not here\n"), 0);
	assert_int_equal(fixture_notmuch(FX, "new"), 0);
	OK(mail_reopen(APP->mail, &err));
	c = plain_case();
	OK(mail_thread_facts(APP->mail, APP->cfg, c->thread, &f, &err));
	store_case_free(c);
	assert_string_equal(f.report_msgid, "plain@fixture.test");
	assert_int_equal(f.first_team_reply_at, 0);
	assert_int_equal(f.last_team_to_reporter_at, 0);
	assert_true(f.message_count >= 2);
	mail_facts_clear(&f);
	/* app_refresh: both warn (not encrypted), and ev2's thread makes no case. */
	OK(store_case_list(APP->st, &cases, &err));
	n = cases->len;
	g_ptr_array_unref(cases);
	OK(app_refresh(APP, &err));
	OK(store_case_list(APP->st, &cases, &err));
	assert_int_equal(cases->len, n);
	g_ptr_array_unref(cases);
	{
		int warned = 0;

		for (guint i = 0; i < APP->warnings->len; i++) {
			const char *w = APP->warnings->pdata[i];

			warned += strstr(w, "<ev1@fixture.test>") != NULL ||
			    strstr(w, "<ev2@fixture.test>") != NULL;
		}
		assert_int_equal(warned, 2);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_json_round_trip),
		cmocka_unit_test(test_json_bad),
		cmocka_unit_test(test_summary),
		cmocka_unit_test(test_mail_check),
		cmocka_unit_test(test_flush_and_import),
		cmocka_unit_test(test_facts_skip_events),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
