/* tests/test_mail.c: notmuch threads become cases with the right facts; refresh, search, indexing. */
#include "build-config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <glib.h>
#include <notmuch.h>

#include "core/clock.h"
#include "core/config.h"
#include "core/mail.h"
#include "core/store.h"
#include "core/verify.h"
#include "tests/fixture.h"

struct world {
	struct fixture *fx;
	struct config *cfg;
	struct mail *m;
	time_t now;
	struct mail_refresh_stats inc; /* of check_same's incremental refresh */
};

static struct world *W;

static int
group_setup(void **state)
{
	struct error err = { { 0 } };

	W = g_new0(struct world, 1);
	W->fx = fixture_new();
	if (W->fx == NULL)
		return -1;
	if (config_load(NULL, NULL, NULL, &W->cfg, &err) < 0 ||
	    clock_now(&W->now, &err) < 0 ||
	    mail_open(W->cfg, &W->m, &err) < 0) {
		fprintf(stderr, "setup: %s\n", err.msg);
		return -1;
	}
	return 0;
}

static int
group_teardown(void **state)
{
	mail_close(W->m);
	config_free(W->cfg);
	fixture_free(W->fx);
	g_free(W);
	W = NULL;
	return 0;
}

/* ---- helpers ------------------------------------------------------------------ */

static time_t
iso(const char *s)
{
	struct error err;
	time_t t = 0;

	if (clock_parse_iso8601(s, &t, &err) < 0)
		fail_msg("%s", err.msg);
	return t;
}

/* A new, empty store in the sandbox (g_free the path). */
static struct store *
store_fresh(char **path_out)
{
	static int n;
	struct error err;
	struct store *st;
	char *name = g_strdup_printf("s%d.db", ++n);
	char *path = fixture_path(W->fx, name);

	g_free(name);
	if (store_open(path, &st, &err) < 0)
		fail_msg("%s", err.msg);
	if (path_out != NULL)
		*path_out = path;
	else
		g_free(path);
	return st;
}

static void
reopen(void)
{
	struct error err;

	if (mail_reopen(W->m, &err) < 0)
		fail_msg("%s", err.msg);
}

static int
refresh(struct store *st, bool full)
{
	struct error err;
	int changed = -1;

	if (mail_refresh(W->m, st, W->cfg, full, W->now, &changed, &err) < 0)
		fail_msg("refresh: %s", err.msg);
	assert_true(changed >= 0);
	return changed;
}

/* The thread of Message-ID MSGID (g_free). */
static char *
thread_of(const char *msgid)
{
	struct error err;
	GPtrArray *threads;
	char *q = g_strdup_printf("id:%s", msgid), *t;

	if (mail_search_threads(W->m, W->cfg, q, &threads, &err) < 0)
		fail_msg("%s", err.msg);
	g_free(q);
	if (threads->len != 1)
		fail_msg("%s: %u threads, expected 1", msgid, threads->len);
	t = g_strdup(g_ptr_array_index(threads, 0));
	g_ptr_array_free(threads, TRUE);
	return t;
}

static void
facts_of(const char *msgid, struct mail_facts *f)
{
	struct error err;
	char *t = thread_of(msgid);

	if (mail_thread_facts(W->m, W->cfg, t, f, &err) < 0)
		fail_msg("%s", err.msg);
	g_free(t);
}

static void
dump_time(GString *s, const char *name, time_t t)
{
	char buf[CLOCK_ISO_LEN];

	g_string_append_printf(s, " %s=%s", name, t != 0 ? clock_format_iso8601(t, buf) : "-");
}

static void
dump_facts(GString *s, const struct mail_facts *f)
{
	g_string_append_printf(s, " thread=%s msgid=%s subject=[%s] name=[%s] addr=%s reply_to=%s",
	    f->thread, f->report_msgid, f->subject, f->reporter_name ? f->reporter_name : "-",
	    f->reporter_addr ? f->reporter_addr : "-", f->reply_to ? f->reply_to : "-");
	dump_time(s, "report", f->report_at);
	dump_time(s, "first", f->first_team_reply_at);
	dump_time(s, "second", f->second_team_reply_at);
	dump_time(s, "last_team", f->last_team_to_reporter_at);
	dump_time(s, "last_rep", f->last_reporter_at);
	dump_time(s, "last", f->last_message_at);
	dump_time(s, "distros", f->distros_mail_at);
	dump_time(s, "oss", f->oss_mail_at);
	g_string_append_printf(s, " count=%d enc=%d rep_enc=%d has_rep=%d to_rep=%d",
	    f->message_count, f->encrypted, f->reporter_encrypted, f->has_reporter,
	    f->team_to_reporter);
}

static gint
case_cmp(gconstpointer a, gconstpointer b)
{
	const struct store_case *x = *(struct store_case *const *)a;
	const struct store_case *y = *(struct store_case *const *)b;

	return strcmp(x->msgid, y->msgid);
}

/* Every case that has facts, by Message-ID, one line each (g_free). */
static char *
dump_store(struct store *st)
{
	struct error err;
	GPtrArray *cases;
	GString *s = g_string_new(NULL);
	guint i;

	if (store_case_list(st, &cases, &err) < 0)
		fail_msg("%s", err.msg);
	g_ptr_array_sort(cases, case_cmp);
	for (i = 0; i < cases->len; i++) {
		struct store_case *c = g_ptr_array_index(cases, i);

		if (!c->has_facts)
			continue;
		assert_string_equal(c->thread, c->facts.thread);
		g_string_append_printf(s, "%s:", c->msgid);
		dump_facts(s, &c->facts);
		g_string_append_c(s, '\n');
	}
	g_ptr_array_free(cases, TRUE);
	return g_string_free(s, FALSE);
}

/* The case of MSGID in ST, or NULL (store_case_free). */
static struct store_case *
case_of(struct store *st, const char *msgid)
{
	struct error err;
	GPtrArray *cases;
	struct store_case *found = NULL;
	guint i;

	if (store_case_list(st, &cases, &err) < 0)
		fail_msg("%s", err.msg);
	for (i = 0; i < cases->len; i++) {
		struct store_case *c = g_ptr_array_index(cases, i);

		if (strcmp(c->msgid, msgid) == 0)
			found = g_ptr_array_steal_index(cases, i);
	}
	g_ptr_array_free(cases, TRUE);
	return found;
}

static int
cases_with_facts(struct store *st)
{
	struct error err;
	GPtrArray *cases;
	int n = 0;
	guint i;

	if (store_case_list(st, &cases, &err) < 0)
		fail_msg("%s", err.msg);
	for (i = 0; i < cases->len; i++)
		n += ((struct store_case *)g_ptr_array_index(cases, i))->has_facts;
	g_ptr_array_free(cases, TRUE);
	return n;
}

/* A raw message; HEADERS are extra header lines ("Cc: x\n"), may be "". */
static char *
message(const char *from, const char *to, const char *date, const char *id,
    const char *reply_to_id, const char *headers, const char *body)
{
	return g_strdup_printf("From: %s\nTo: %s\nSubject: %s\nDate: %s\n"
	    "Message-ID: <%s>\n%s%s%s%s%s%s"
	    "MIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\n\n%s\n",
	    from, to, reply_to_id != NULL ? "Re: test" : "New report", date, id,
	    reply_to_id != NULL ? "In-Reply-To: <" : "", reply_to_id != NULL ? reply_to_id : "",
	    reply_to_id != NULL ? ">\nReferences: <" : "", reply_to_id != NULL ? reply_to_id : "",
	    reply_to_id != NULL ? ">\n" : "", headers, body);
}

static void
deliver(const char *name, char *text)
{
	assert_int_equal(fixture_add_message(W->fx, "INBOX", name, text), 0);
	g_free(text);
}

static void
notmuch_run(const char *args)
{
	assert_int_equal(fixture_notmuch(W->fx, args), 0);
}

/* ---- address parsing -------------------------------------------------------------- */

static void
assert_addr(const char *header, const char *addr, const char *name)
{
	struct mail_addr *a = mail_addr_parse(header);

	if (header == NULL)
		header = "(null)";
	if (addr == NULL) {
		if (a != NULL)
			fail_msg("\"%s\": parsed as %s, expected nothing", header, a->addr);
		return;
	}
	if (a == NULL)
		fail_msg("\"%s\": no address, expected %s", header, addr);
	assert_string_equal(a->addr, addr);
	if (name == NULL)
		assert_null(a->name);
	else {
		assert_non_null(a->name);
		assert_string_equal(a->name, name);
	}
	mail_addr_free(a);
}

static void
test_addr_forms(void **state)
{
	assert_addr("Rita Reporter <Rita@Reporter.TEST>", "rita@reporter.test", "Rita Reporter");
	assert_addr("  rita@reporter.test  ", "rita@reporter.test", NULL);
	assert_addr("rita@reporter.test (Rita R.)", "rita@reporter.test", "Rita R.");
	assert_addr("\"Doe, John <x@y.test>\" <john@doe.test>", "john@doe.test", "Doe, John <x@y.test>");
	assert_addr("\"security@example.org\" <evil@x.test>", "evil@x.test", "security@example.org");
	assert_addr("\"a \\\"quoted\\\" name\" <q@x.test>", "q@x.test", "a \"quoted\" name");
	assert_addr("<@relay.test,@r2.test:route@x.test>", "route@x.test", NULL);
	assert_addr("Folded\n <folded@x.test>", "folded@x.test", "Folded");
	assert_addr("(a (nested) comment) c@x.test", "c@x.test", "a (nested) comment");
	/* The last <...> wins: text before it is display name, however it looks. */
	assert_addr("security@example.org <evil@x.test>", "evil@x.test", "security@example.org");
	assert_addr("=?utf-8?q?security=40example.org?= <evil@x.test>", "evil@x.test",
	    "=?utf-8?q?security=40example.org?=");
	assert_addr("Unterminated <u@x.test", "u@x.test", "Unterminated");
	assert_addr("Stray words w@x.test", "w@x.test", NULL);
	assert_addr("<\"odd local\"@x.test>", "\"odd local\"@x.test", NULL);
}

static void
test_addr_bad(void **state)
{
	GPtrArray *l;

	assert_addr(NULL, NULL, NULL);
	assert_addr("", NULL, NULL);
	assert_addr("no address here", NULL, NULL);
	assert_addr("<>", NULL, NULL);
	assert_addr("Name <@x.test>", NULL, NULL);
	assert_addr("Name <local@>", NULL, NULL);
	assert_addr("Name <a@b\001c.test>", NULL, NULL);
	assert_addr("Name <a@b<c>", NULL, NULL);
	assert_addr("Name <a@b c.test>", "a@bc.test", "Name"); /* folding white space dropped */
	assert_addr("\"Unterminated <u@x.test>", NULL, NULL);
	assert_addr("undisclosed-recipients:;", NULL, NULL);
	assert_addr("a(b@c.test", NULL, NULL); /* the comment runs to the end */
	l = mail_addr_list_parse(",,, ;;; <<<>>> \"\" ()");
	assert_int_equal(l->len, 0);
	g_ptr_array_free(l, TRUE);
}

static void
test_addr_lists(void **state)
{
	GPtrArray *l;
	struct mail_addr *a;

	l = mail_addr_list_parse("\"Doe, J\" <j@d.test>, k@e.test,\n\tTeam: a@x.test, B <b@y.test>;, c@z.test");
	assert_int_equal(l->len, 5);
	a = g_ptr_array_index(l, 0);
	assert_string_equal(a->addr, "j@d.test");
	assert_string_equal(a->name, "Doe, J");
	assert_string_equal(((struct mail_addr *)g_ptr_array_index(l, 1))->addr, "k@e.test");
	assert_string_equal(((struct mail_addr *)g_ptr_array_index(l, 2))->addr, "a@x.test");
	assert_string_equal(((struct mail_addr *)g_ptr_array_index(l, 3))->addr, "b@y.test");
	assert_string_equal(((struct mail_addr *)g_ptr_array_index(l, 4))->addr, "c@z.test");
	g_ptr_array_free(l, TRUE);
	/* A bad entry is skipped, its neighbours kept. */
	l = mail_addr_list_parse("good@x.test, bad@, <also@y.test>");
	assert_int_equal(l->len, 2);
	g_ptr_array_free(l, TRUE);
}

/* ---- opening ------------------------------------------------------------------------ */

static void
test_open_errors(void **state)
{
	struct config *cfg = config_new_defaults();
	struct mail *m = NULL;
	struct error err = { { 0 } };

	cfg->database = g_strdup("/nonexistent/embargo-test-db");
	assert_int_equal(mail_open(cfg, &m, &err), -1);
	assert_null(m);
	assert_non_null(strstr(err.msg, "/nonexistent/embargo-test-db"));
	assert_non_null(strstr(err.msg, "[mail] database"));
	assert_non_null(strstr(err.msg, "NOTMUCH_CONFIG"));
	config_free(cfg);
}

static void
test_open_root(void **state)
{
	struct error err;
	uint64_t rev = 0;

	assert_string_equal(mail_root(W->m), W->fx->maildir);
	assert_int_equal(mail_revision(W->m, &rev, &err), 0);
	assert_true(rev > 0);
}

/* ---- cases and facts ------------------------------------------------------------------- */

static void
test_refresh_cases(void **state)
{
	struct store *st = store_fresh(NULL);
	struct store_case *c;

	assert_int_equal(refresh(st, false), 13);
	assert_int_equal(cases_with_facts(st), 13);
	/* List traffic is not a case; the thread of five is one case, keyed by its first message. */
	assert_null(case_of(st, "list-1@fixture.test"));
	assert_null(case_of(st, "t5-3@fixture.test"));
	c = case_of(st, "t5-1@fixture.test");
	assert_non_null(c);
	assert_true(c->has_facts);
	assert_int_equal(c->facts.message_count, 5);
	assert_string_equal(c->facts.thread, c->thread);
	store_case_free(c);
	store_close(st);
}

static void
test_thread_five(void **state)
{
	struct mail_facts f;

	facts_of("t5-3@fixture.test", &f);
	assert_string_equal(f.report_msgid, "t5-1@fixture.test");
	assert_string_equal(f.subject, "Auth bypass in login form");
	assert_string_equal(f.reporter_addr, "rita@reporter.test");
	assert_string_equal(f.reporter_name, "Rita Reporter");
	assert_null(f.reply_to);
	assert_int_equal(f.report_at, iso("2026-11-10T10:00:00Z"));
	assert_int_equal(f.first_team_reply_at, iso("2026-11-10T15:00:00Z"));
	assert_int_equal(f.second_team_reply_at, iso("2026-11-11T20:00:00Z"));
	assert_int_equal(f.last_team_to_reporter_at, iso("2026-11-11T20:00:00Z"));
	assert_int_equal(f.last_reporter_at, iso("2026-11-12T09:00:00Z"));
	assert_int_equal(f.last_message_at, iso("2026-11-12T09:00:00Z"));
	assert_int_equal(f.message_count, 5);
	assert_false(f.encrypted);
	assert_int_equal(f.distros_mail_at, 0);
	assert_int_equal(f.oss_mail_at, 0);
	mail_facts_clear(&f);
}

static void
test_plain_report(void **state)
{
	struct mail_facts f;

	facts_of("plain@fixture.test", &f);
	assert_string_equal(f.subject, "Heap overflow in the config parser");
	assert_string_equal(f.reporter_addr, "carol@plain.test");
	assert_string_equal(f.reporter_name, "Carol Plain");
	assert_int_equal(f.report_at, iso("2026-11-20T09:00:00Z"));
	assert_int_equal(f.last_reporter_at, f.report_at);
	assert_int_equal(f.first_team_reply_at, 0);
	assert_int_equal(f.second_team_reply_at, 0);
	assert_int_equal(f.last_team_to_reporter_at, 0);
	assert_int_equal(f.message_count, 1);
	assert_false(f.encrypted);
	assert_false(f.reporter_encrypted);
	mail_facts_clear(&f);
}

static void
test_encrypted(void **state)
{
	struct mail_facts f;
	struct error err;
	GPtrArray *msgs;
	char *t;
	char **tag;

	facts_of("enc-signed@fixture.test", &f);
	assert_true(f.encrypted);
	assert_true(f.reporter_encrypted);
	assert_string_equal(f.reporter_addr, "rita@reporter.test");
	mail_facts_clear(&f);

	/* Inline PGP: notmuch does not tag it, the file scan finds it. */
	t = thread_of("inline-enc@fixture.test");
	assert_int_equal(mail_thread_messages(W->m, t, &msgs, &err), 0);
	assert_int_equal(msgs->len, 1);
	for (tag = ((struct mail_message *)g_ptr_array_index(msgs, 0))->tags; *tag != NULL; tag++)
		assert_string_not_equal(*tag, "encrypted");
	g_ptr_array_free(msgs, TRUE);
	assert_int_equal(mail_thread_facts(W->m, W->cfg, t, &f, &err), 0);
	assert_true(f.encrypted);
	assert_true(f.reporter_encrypted);
	mail_facts_clear(&f);
	g_free(t);

	/* Clearsigned is not encrypted. */
	facts_of("inline-signed@fixture.test", &f);
	assert_false(f.encrypted);
	mail_facts_clear(&f);
}

static void
test_thread_messages(void **state)
{
	struct error err;
	GPtrArray *msgs;
	char *t = thread_of("t5-1@fixture.test");
	guint i;

	assert_int_equal(mail_thread_messages(W->m, t, &msgs, &err), 0);
	assert_int_equal(msgs->len, 5);
	for (i = 0; i < msgs->len; i++) {
		struct mail_message *mm = g_ptr_array_index(msgs, i);
		char *want = g_strdup_printf("t5-%u@fixture.test", i + 1);
		struct stat sb;

		assert_string_equal(mm->msgid, want);
		assert_int_equal(stat(mm->path, &sb), 0);
		assert_true(g_str_has_prefix(mm->path, W->fx->maildir));
		assert_true(g_strv_contains((const char *const *)mm->tags, "inbox"));
		if (i > 0)
			assert_true(mm->date > ((struct mail_message *)g_ptr_array_index(msgs, i - 1))->date);
		g_free(want);
	}
	g_ptr_array_free(msgs, TRUE);
	g_free(t);
}

static void
test_thread_bad_ids(void **state)
{
	struct mail_facts f;
	struct error err = { { 0 } };
	GPtrArray *msgs = NULL;

	assert_int_equal(mail_thread_facts(W->m, W->cfg, "ffffffffffffffff", &f, &err), -1);
	assert_non_null(strstr(err.msg, "ffffffffffffffff"));
	assert_int_equal(mail_thread_facts(W->m, W->cfg, "0001 or *", &f, &err), -1);
	assert_non_null(strstr(err.msg, "0001 or *"));
	assert_non_null(strstr(err.msg, "letters and digits"));
	assert_int_equal(mail_thread_messages(W->m, "", &msgs, &err), -1);
	assert_null(msgs);
}

static void
test_search(void **state)
{
	struct error err = { { 0 } };
	GPtrArray *r = NULL;
	char *t;

	assert_int_equal(mail_search_threads(W->m, W->cfg, "MARK-PLAIN", &r, &err), 0);
	assert_int_equal(r->len, 1);
	t = thread_of("plain@fixture.test");
	assert_string_equal(g_ptr_array_index(r, 0), t);
	g_free(t);
	g_ptr_array_free(r, TRUE);
	assert_int_equal(mail_search_threads(W->m, W->cfg, "", &r, &err), 0);
	assert_int_equal(r->len, 13);
	g_ptr_array_free(r, TRUE);
	/* List traffic exists but is no case. */
	assert_int_equal(mail_search_threads(W->m, W->cfg, "folder:lists", &r, &err), 0);
	assert_int_equal(r->len, 0);
	g_ptr_array_free(r, TRUE);
	/* Escaping the case query is refused, or filtered out. */
	r = NULL;
	assert_int_equal(mail_search_threads(W->m, W->cfg, "x) or (*", &r, &err), -1);
	assert_null(r);
	assert_non_null(strstr(err.msg, "')' without a matching '('"));
	assert_int_equal(mail_search_threads(W->m, W->cfg, "(folder:lists", &r, &err), -1);
	assert_int_equal(mail_search_threads(W->m, W->cfg, "\"open", &r, &err), -1);
	assert_non_null(strstr(err.msg, "unterminated quote"));
	assert_int_equal(mail_search_threads(W->m, W->cfg, "folder:lists or MARK-PLAIN", &r, &err), 0);
	assert_int_equal(r->len, 1);
	g_ptr_array_free(r, TRUE);
}

/* A refresh with nothing new writes nothing: another connection's data_version stays put. */
static void
test_refresh_noop(void **state)
{
	struct error err;
	char *path;
	struct store *st = store_fresh(&path), *watch;
	int64_t v1 = 0, v2 = 0;

	assert_int_equal(refresh(st, false), 13);
	if (store_open(path, &watch, &err) < 0)
		fail_msg("%s", err.msg);
	assert_int_equal(store_data_version(watch, &v1, &err), 0);
	assert_int_equal(refresh(st, false), 0);
	assert_int_equal(refresh(st, false), 0);
	assert_int_equal(store_data_version(watch, &v2, &err), 0);
	assert_int_equal(v1, v2);
	/* A full rescan rewrites no facts that did not change either. */
	assert_int_equal(refresh(st, true), 0);
	store_close(watch);
	store_close(st);
	g_free(path);
}

/* Changing the case query makes the next (incremental) refresh a full one. */
static void
test_refresh_config_change(void **state)
{
	struct store *st = store_fresh(NULL);
	struct store_case *c;
	char *old = W->cfg->query;

	assert_int_equal(refresh(st, false), 13);
	W->cfg->query = g_strdup("to:security@example.org and not MARK-PLAIN");
	assert_int_equal(refresh(st, false), 1);
	c = case_of(st, "plain@fixture.test");
	assert_non_null(c);
	assert_false(c->has_facts);
	store_case_free(c);
	g_free(W->cfg->query);
	W->cfg->query = old;
	assert_int_equal(refresh(st, false), 1);
	assert_int_equal(cases_with_facts(st), 13);
	store_close(st);
}

/* ---- changes to the mail ------------------------------------------------------------------ */

static void
test_distros_and_oss(void **state)
{
	struct mail_facts f;

	deliver("t5-6", message("Alice Handler <alice@example.org>",
	    "Rita Reporter <rita@reporter.test>", "Fri, 13 Nov 2026 09:00:00 +0000",
	    "t5-6@fixture.test", "t5-5@fixture.test",
	    "Cc: security@example.org,\n Distros <DISTROS@vs.openwall.org>\n", "pre-notice"));
	deliver("t5-7", message("Example Security Team <security@example.org>",
	    "oss-security@lists.openwall.com", "Sat, 14 Nov 2026 09:00:00 +0000",
	    "t5-7@fixture.test", "t5-6@fixture.test", "Cc: security@example.org\n",
	    "published"));
	notmuch_run("new");
	reopen();
	facts_of("t5-1@fixture.test", &f);
	assert_int_equal(f.message_count, 7);
	assert_int_equal(f.distros_mail_at, iso("2026-11-13T09:00:00Z"));
	assert_int_equal(f.oss_mail_at, iso("2026-11-14T09:00:00Z"));
	/* t5-6 goes to rita too; t5-7 does not. */
	assert_int_equal(f.last_team_to_reporter_at, iso("2026-11-13T09:00:00Z"));
	assert_int_equal(f.second_team_reply_at, iso("2026-11-11T20:00:00Z"));
	assert_int_equal(f.last_message_at, iso("2026-11-14T09:00:00Z"));
	mail_facts_clear(&f);
}

static void
test_reply_to(void **state)
{
	struct mail_facts f;

	deliver("rt-1", message("Victor Vuln <Victor@Home.test>", "security@example.org",
	    "Mon, 16 Nov 2026 08:00:00 +0000", "rt-1@fixture.test", NULL,
	    "Reply-To: \"Victor (work)\" <victor-sec@work.test>\n", "report"));
	/* A team message to someone else: the first reply, but not to the reporter. */
	deliver("rt-2", message("Bob Handler <bob@example.org>", "vendor@upstream.test",
	    "Mon, 16 Nov 2026 09:00:00 +0000", "rt-2@fixture.test", "rt-1@fixture.test",
	    "Cc: security@example.org\n", "forwarding"));
	deliver("rt-3", message("security@example.org", "victor-sec@work.test",
	    "Mon, 16 Nov 2026 10:00:00 +0000", "rt-3@fixture.test", "rt-2@fixture.test",
	    "", "ack"));
	deliver("rt-4", message("Victor <victor-sec@work.test>", "security@example.org",
	    "Tue, 17 Nov 2026 10:00:00 +0000", "rt-4@fixture.test", "rt-3@fixture.test",
	    "", "thanks"));
	notmuch_run("new");
	reopen();
	facts_of("rt-1@fixture.test", &f);
	assert_string_equal(f.reporter_addr, "victor@home.test");
	assert_string_equal(f.reporter_name, "Victor Vuln");
	assert_string_equal(f.reply_to, "victor-sec@work.test");
	assert_int_equal(f.report_at, iso("2026-11-16T08:00:00Z"));
	assert_int_equal(f.first_team_reply_at, iso("2026-11-16T09:00:00Z"));
	assert_int_equal(f.last_team_to_reporter_at, iso("2026-11-16T10:00:00Z"));
	assert_int_equal(f.second_team_reply_at, 0);
	assert_int_equal(f.last_reporter_at, iso("2026-11-17T10:00:00Z"));
	assert_int_equal(f.message_count, 4);
	mail_facts_clear(&f);
}

/* After every change, the incremental store and a full rescan into a new store agree. */
/* The lines of A and B that differ, for a readable failure (static buffer). */
static const char *
diff_lines(const char *a, const char *b)
{
	static char out[4096];
	char **la = g_strsplit(a, "\n", -1), **lb = g_strsplit(b, "\n", -1);
	GString *s = g_string_new(NULL);
	size_t i;

	for (i = 0; la[i] != NULL; i++) {
		if (!g_strv_contains((const char *const *)lb, la[i]))
			g_string_append_printf(s, "- %s\n", la[i]);
	}
	for (i = 0; lb[i] != NULL; i++) {
		if (!g_strv_contains((const char *const *)la, lb[i]))
			g_string_append_printf(s, "+ %s\n", lb[i]);
	}
	g_strlcpy(out, s->str, sizeof out);
	g_string_free(s, TRUE);
	g_strfreev(la);
	g_strfreev(lb);
	return out;
}

static void
check_same(struct store *inc, int *changed)
{
	struct store *full = store_fresh(NULL);
	char *a, *b;

	reopen();
	*changed = refresh(inc, false);
	mail_refresh_stats(W->m, &W->inc);
	refresh(full, true);
	a = dump_store(inc);
	b = dump_store(full);
	if (strcmp(a, b) != 0)
		fail_msg("incremental and full refresh differ:\n%s", diff_lines(a, b));
	g_free(a);
	g_free(b);
	store_close(full);
}

static void
delete_file_of(const char *msgid)
{
	struct error err;
	GPtrArray *msgs;
	char *t = thread_of(msgid);
	guint i;
	bool done = false;

	assert_int_equal(mail_thread_messages(W->m, t, &msgs, &err), 0);
	for (i = 0; i < msgs->len; i++) {
		struct mail_message *mm = g_ptr_array_index(msgs, i);

		if (strcmp(mm->msgid, msgid) == 0) {
			assert_int_equal(unlink(mm->path), 0);
			done = true;
		}
	}
	assert_true(done);
	g_ptr_array_free(msgs, TRUE);
	g_free(t);
	notmuch_run("new");
}

static void
test_incremental(void **state)
{
	struct store *inc = store_fresh(NULL);
	struct store_case *c;
	struct mail_facts f;
	int changed, base;

	check_same(inc, &changed);
	base = changed;
	assert_int_equal(base, 14);

	/* A new reply in an existing thread. */
	deliver("plain-2", message("Alice Handler <alice@example.org>",
	    "Carol Plain <carol@plain.test>", "Sat, 21 Nov 2026 09:00:00 +0000",
	    "plain-2@fixture.test", "plain@fixture.test", "Cc: security@example.org\n", "ack"));
	notmuch_run("new");
	check_same(inc, &changed);
	assert_int_equal(changed, 1);
	c = case_of(inc, "plain@fixture.test");
	assert_int_equal(c->facts.first_team_reply_at, iso("2026-11-21T09:00:00Z"));
	store_case_free(c);

	/* A new report. */
	deliver("new-1", message("Nina New <nina@new.test>", "security@example.org",
	    "Sat, 21 Nov 2026 10:00:00 +0000", "new-1@fixture.test", NULL, "", "new"));
	notmuch_run("new");
	check_same(inc, &changed);
	assert_int_equal(changed, 1);
	assert_int_equal(cases_with_facts(inc), base + 1);

	/* Retagging changes no facts. */
	notmuch_run("tag +foo -- id:t5-3@fixture.test");
	check_same(inc, &changed);
	assert_int_equal(changed, 0);

	/* A message tagged spam is excluded: its thread drops out. */
	notmuch_run("tag +spam -- id:signed-bad@fixture.test");
	check_same(inc, &changed);
	assert_int_equal(changed, 1);
	c = case_of(inc, "signed-bad@fixture.test");
	assert_false(c->has_facts);
	store_case_free(c);
	notmuch_run("tag -spam -- id:signed-bad@fixture.test");
	check_same(inc, &changed);
	assert_int_equal(changed, 1);

	/* A deleted reply: invisible to lastmod:, found by the recount. */
	delete_file_of("plain-2@fixture.test");
	check_same(inc, &changed);
	assert_int_equal(changed, 1);
	c = case_of(inc, "plain@fixture.test");
	assert_int_equal(c->facts.first_team_reply_at, 0);
	assert_int_equal(c->facts.message_count, 1);
	store_case_free(c);

	/* A deleted report: the thread's next message becomes the case key. */
	delete_file_of("rt-1@fixture.test");
	check_same(inc, &changed);
	assert_int_equal(changed, 2);
	c = case_of(inc, "rt-1@fixture.test");
	assert_false(c->has_facts);
	store_case_free(c);
	facts_of("rt-2@fixture.test", &f);
	assert_string_equal(f.report_msgid, "rt-2@fixture.test");
	mail_facts_clear(&f);

	/* A reply referring to two threads merges them: the older report keeps the case. */
	deliver("merge", message("Bob Handler <bob@example.org>", "victor-sec@work.test",
	    "Wed, 18 Nov 2026 10:00:00 +0000", "merge@fixture.test", NULL,
	    "Cc: security@example.org\nIn-Reply-To: <rt-4@fixture.test>\n"
	    "References: <inline-signed@fixture.test> <rt-4@fixture.test>\n",
	    "merging"));
	notmuch_run("new");
	check_same(inc, &changed);
	c = case_of(inc, "inline-signed@fixture.test");
	assert_false(c->has_facts);
	store_case_free(c);
	facts_of("inline-signed@fixture.test", &f);
	assert_string_equal(f.report_msgid, "rt-2@fixture.test");
	assert_int_equal(f.message_count, 5);
	mail_facts_clear(&f);
	assert_int_equal(changed, 2);

	/* A thread deleted entirely: the revision stays, the Xapian stamp does not. */
	delete_file_of("new-1@fixture.test");
	check_same(inc, &changed);
	assert_int_equal(changed, 1);
	assert_int_equal(cases_with_facts(inc), base - 1);
	store_close(inc);
}

/* The path of MSGID's file (g_free). */
static char *
path_of(const char *msgid)
{
	struct error err;
	GPtrArray *msgs;
	char *t = thread_of(msgid), *p = NULL;
	guint i;

	assert_int_equal(mail_thread_messages(W->m, t, &msgs, &err), 0);
	for (i = 0; i < msgs->len; i++) {
		struct mail_message *mm = g_ptr_array_index(msgs, i);

		if (strcmp(mm->msgid, msgid) == 0)
			p = g_strdup(mm->path);
	}
	g_ptr_array_free(msgs, TRUE);
	g_free(t);
	assert_non_null(p);
	return p;
}

/* Rewrites the file at PATH with TEXT, keeping its name (notmuch does not notice). */
static void
rewrite(const char *path, char *text)
{
	assert_true(g_file_set_contents(path, text, -1, NULL));
	g_free(text);
}

/* Every case's id and Message-ID, in id order (g_free). */
static char *
dump_ids(struct store *st)
{
	struct error err;
	GPtrArray *cases;
	GString *s = g_string_new(NULL);
	guint i;

	if (store_case_list(st, &cases, &err) < 0)
		fail_msg("%s", err.msg);
	for (i = 0; i < cases->len; i++) {
		struct store_case *c = g_ptr_array_index(cases, i);

		g_string_append_printf(s, "%lld %s\n", (long long)c->id, c->msgid);
	}
	g_ptr_array_free(cases, TRUE);
	return g_string_free(s, FALSE);
}

/* A full rescan with EMBARGO_THREADS=N into a new store (store_close). */
static struct store *
rescan_with(const char *n, struct mail_refresh_stats *stats)
{
	struct store *st = store_fresh(NULL);
	char *saved = g_strdup(g_getenv("EMBARGO_THREADS"));

	g_setenv("EMBARGO_THREADS", n, TRUE);
	reopen();
	refresh(st, true);
	mail_refresh_stats(W->m, stats);
	if (saved != NULL)
		g_setenv("EMBARGO_THREADS", saved, TRUE);
	else
		g_unsetenv("EMBARGO_THREADS");
	g_free(saved);
	return st;
}

/*
 * A full rescan walks the threads from both ends on two threads when it
 * may: the same facts, and the same cases created in the same order (the
 * same ids), as on one; every thread walked once.
 */
static void
test_rescan_threads(void **state)
{
	struct mail_refresh_stats one, two;
	struct store *a = rescan_with("1", &one), *b = rescan_with("2", &two);
	char *x = dump_store(a), *y = dump_store(b);

	(void)state;
	if (strcmp(x, y) != 0)
		fail_msg("one thread and two differ:\n%s", diff_lines(x, y));
	g_free(x);
	g_free(y);
	x = dump_ids(a);
	y = dump_ids(b);
	assert_string_equal(x, y);
	assert_true(one.full && two.full);
	assert_int_equal(one.walks, 1);
	assert_int_equal(two.walks, 2);
	assert_true(one.walked > 10);
	assert_int_equal(one.walked, two.walked);
	g_free(x);
	g_free(y);
	store_close(a);
	store_close(b);
}

/* Delivers TEXT as NAME, indexes it and checks an incremental refresh against a full one. */
static void
step(struct store *inc, const char *name, char *text, int want_changed,
    unsigned int folded, unsigned int walked)
{
	int changed;

	deliver(name, text);
	notmuch_run("new");
	check_same(inc, &changed);
	assert_int_equal(changed, want_changed);
	assert_false(W->inc.full);
	assert_int_equal(W->inc.folded, folded);
	assert_int_equal(W->inc.walked, walked);
}

/*
 * A thread that only gained mail dated after its newest message is folded
 * forward from its stored facts; anything that could sort among the old
 * messages (an earlier date, the same date) is walked in full.  Every time
 * the result is a fresh store's.
 */
static void
test_fold(void **state)
{
	struct store *inc = store_fresh(NULL);
	struct store_case *c;
	int changed;

	(void)state;
	check_same(inc, &changed);

	/* A new report: no case yet, so its thread is walked. */
	step(inc, "fold-1", message("Rita Fold <rita@fold.test>", "security@example.org",
	    "Mon, 16 Nov 2026 09:00:00 +0000", "fold-1@fixture.test", NULL, "", "report"),
	    1, 0, 1);
	/* Team replies to the reporter, later: folded, and the second counts as second. */
	step(inc, "fold-2", message("Alice Handler <alice@example.org>", "rita@fold.test",
	    "Mon, 16 Nov 2026 10:00:00 +0000", "fold-2@fixture.test", "fold-1@fixture.test",
	    "Cc: security@example.org\n", "ack"), 1, 1, 0);
	step(inc, "fold-3", message("Bob Handler <bob@example.org>", "rita@fold.test",
	    "Mon, 16 Nov 2026 11:00:00 +0000", "fold-3@fixture.test", "fold-2@fixture.test",
	    "Cc: security@example.org, distros@vs.openwall.org\n", "details"), 1, 1, 0);
	c = case_of(inc, "fold-1@fixture.test");
	assert_int_equal(c->facts.first_team_reply_at, iso("2026-11-16T10:00:00Z"));
	assert_int_equal(c->facts.second_team_reply_at, iso("2026-11-16T11:00:00Z"));
	assert_int_equal(c->facts.distros_mail_at, iso("2026-11-16T11:00:00Z"));
	assert_int_equal(c->facts.team_to_reporter, 2);
	assert_int_equal(c->facts.message_count, 3);
	store_case_free(c);
	/* The reporter answers. */
	step(inc, "fold-4", message("Rita Fold <rita@fold.test>", "security@example.org",
	    "Tue, 17 Nov 2026 08:00:00 +0000", "fold-4@fixture.test", "fold-3@fixture.test",
	    "", "thanks"), 1, 1, 0);
	/* Dated before the newest message: it may sort among the old ones, so a walk. */
	step(inc, "fold-5", message("Alice Handler <alice@example.org>", "rita@fold.test",
	    "Mon, 16 Nov 2026 09:30:00 +0000", "fold-5@fixture.test", "fold-1@fixture.test",
	    "Cc: security@example.org\n", "late delivery"), 1, 0, 1);
	c = case_of(inc, "fold-1@fixture.test");
	assert_int_equal(c->facts.first_team_reply_at, iso("2026-11-16T09:30:00Z"));
	assert_int_equal(c->facts.second_team_reply_at, iso("2026-11-16T10:00:00Z"));
	store_case_free(c);
	/* Dated as the newest: a tie notmuch may order either way, so a walk. */
	step(inc, "fold-6", message("Alice Handler <alice@example.org>", "rita@fold.test",
	    "Tue, 17 Nov 2026 08:00:00 +0000", "fold-6@fixture.test", "fold-4@fixture.test",
	    "Cc: security@example.org\n", "same second"), 1, 0, 1);

	/* A thread the team started: the reporter's first message becomes the report. */
	step(inc, "fold-7", message("Alice Handler <alice@example.org>", "security@example.org",
	    "Wed, 18 Nov 2026 09:00:00 +0000", "fold-7@fixture.test", NULL, "",
	    "found this ourselves"), 1, 0, 1);
	c = case_of(inc, "fold-7@fixture.test");
	assert_false(c->facts.has_reporter);
	store_case_free(c);
	step(inc, "fold-8", message("Sam Outside <sam@outside.test>", "security@example.org",
	    "Wed, 18 Nov 2026 10:00:00 +0000", "fold-8@fixture.test", "fold-7@fixture.test",
	    "", "me too"), 1, 1, 0);
	step(inc, "fold-9", message("Alice Handler <alice@example.org>", "sam@outside.test",
	    "Wed, 18 Nov 2026 11:00:00 +0000", "fold-9@fixture.test", "fold-8@fixture.test",
	    "Cc: security@example.org\n", "ack"), 1, 1, 0);
	c = case_of(inc, "fold-7@fixture.test");
	assert_true(c->facts.has_reporter);
	assert_string_equal(c->facts.reporter_addr, "sam@outside.test");
	assert_int_equal(c->facts.report_at, iso("2026-11-18T10:00:00Z"));
	assert_int_equal(c->facts.first_team_reply_at, iso("2026-11-18T11:00:00Z"));
	store_case_free(c);

	/* New mail tagged spam before the refresh: excluded, nothing changes. */
	deliver("fold-10", message("Rita Fold <rita@fold.test>", "security@example.org",
	    "Thu, 19 Nov 2026 08:00:00 +0000", "fold-10@fixture.test", "fold-4@fixture.test",
	    "", "buy now"));
	notmuch_run("new");
	notmuch_run("tag +spam -- id:fold-10@fixture.test");
	check_same(inc, &changed);
	assert_int_equal(changed, 0);
	assert_int_equal(W->inc.folded, 1);
	assert_int_equal(W->inc.walked, 0);

	/* Two threads at once, one folded and one walked. */
	deliver("fold-11", message("Rita Fold <rita@fold.test>", "security@example.org",
	    "Fri, 20 Nov 2026 08:00:00 +0000", "fold-11@fixture.test", "fold-4@fixture.test",
	    "", "any news?"));
	deliver("fold-12", message("Sam Outside <sam@outside.test>", "security@example.org",
	    "Wed, 18 Nov 2026 10:30:00 +0000", "fold-12@fixture.test", "fold-8@fixture.test",
	    "", "earlier than the last"));
	notmuch_run("new");
	check_same(inc, &changed);
	assert_int_equal(changed, 2);
	assert_int_equal(W->inc.folded, 1);
	assert_int_equal(W->inc.walked, 1);
	store_close(inc);
}

/*
 * The store caches what each message file said (struct store_msgfile): a
 * refresh fills it, a file changed in place is read again (not served from
 * the cache), rows whose stamp or Message-ID do not match are ignored, and a
 * full rescan drops the rows of files gone; every time, the results are a
 * fresh store's.
 */
static void
test_msgfile_cache(void **state)
{
	struct store *inc = store_fresh(NULL);
	struct store_msgfile row, fake = { 0 };
	struct store_case *c;
	struct error err;
	char *path, *other, *a, *b;
	int changed;

	deliver("cache-1", message("Quinn Cache <quinn@cache.test>", "security@example.org",
	    "Fri, 20 Nov 2026 09:00:00 +0000", "cache-1@fixture.test", NULL, "", "first"));
	notmuch_run("new");
	/* A full rescan (a new store) reads the files and writes no rows. */
	check_same(inc, &changed);
	path = path_of("cache-1@fixture.test");
	assert_int_equal(store_msgfile_get(inc, path, &row, &err), 0);

	/*
	 * New mail in the thread, dated as its newest message, so it is walked
	 * in full (test_fold): the incremental refresh caches what it read.
	 */
	deliver("cache-2", message("Alice Handler <alice@example.org>", "quinn@cache.test",
	    "Fri, 20 Nov 2026 09:00:00 +0000", "cache-2@fixture.test", "cache-1@fixture.test",
	    "Cc: security@example.org\n", "ack"));
	notmuch_run("new");
	check_same(inc, &changed);
	assert_int_equal(changed, 1);
	assert_int_equal(W->inc.walked, 1);
	assert_int_equal(W->inc.folded, 0);
	assert_int_equal(store_msgfile_get(inc, path, &row, &err), 1);
	assert_string_equal(row.msgid, "cache-1@fixture.test");
	assert_non_null(strstr(row.from, "quinn@cache.test"));
	assert_false(row.event);
	store_msgfile_clear(&row);
	c = case_of(inc, "cache-1@fixture.test");
	assert_int_equal(c->facts.distros_mail_at, 0);
	assert_int_equal(c->facts.first_team_reply_at, iso("2026-11-20T09:00:00Z"));
	store_case_free(c);

	/* The file changes in place (notmuch does not notice): it is read again. */
	rewrite(path, message("Quinn Cache <quinn@cache.test>", "security@example.org",
	    "Fri, 20 Nov 2026 09:00:00 +0000", "cache-1@fixture.test", NULL,
	    "Cc: x@y.test,\n DiStRoS@VS.openwall.org\n", "changed in place"));
	assert_int_equal(refresh(inc, true), 1);
	c = case_of(inc, "cache-1@fixture.test");
	assert_true(c->has_facts);
	assert_int_equal(c->facts.distros_mail_at, iso("2026-11-20T09:00:00Z"));
	store_case_free(c);
	/* Its stale row matched nothing and was dropped. */
	assert_int_equal(store_msgfile_get(inc, path, &row, &err), 0);

	/* A row with another stamp, or another Message-ID, is not believed. */
	other = path_of("signed-bad@fixture.test");
	fake.path = g_strdup(other);
	fake.msgid = g_strdup("signed-bad@fixture.test");
	fake.cc = g_strdup("distros@vs.openwall.org");
	fake.stamp = g_strdup("1:2:3.000000000");
	assert_int_equal(store_msgfile_put(inc, &fake, &err), 0);
	store_msgfile_clear(&fake);
	{
		struct stat sb;

		assert_int_equal(stat(path, &sb), 0);
		fake.stamp = g_strdup_printf("%ju:%jd:%jd.%09ld", (uintmax_t)sb.st_ino,
		    (intmax_t)sb.st_size, (intmax_t)sb.st_mtim.tv_sec, sb.st_mtim.tv_nsec);
	}
	fake.path = g_strdup(path);
	fake.msgid = g_strdup("impostor@fixture.test");
	assert_int_equal(store_msgfile_put(inc, &fake, &err), 0);
	store_msgfile_clear(&fake);
	assert_int_equal(refresh(inc, true), 0);
	c = case_of(inc, "signed-bad@fixture.test");
	assert_int_equal(c->facts.distros_mail_at, 0);
	store_case_free(c);
	c = case_of(inc, "cache-1@fixture.test");
	assert_int_equal(c->facts.distros_mail_at, iso("2026-11-20T09:00:00Z"));
	store_case_free(c);
	assert_int_equal(store_msgfile_get(inc, other, &row, &err), 0);

	/* Deleted files: results as a fresh store's, and no row outlives its file. */
	other = (g_free(other), path_of("cache-2@fixture.test"));
	delete_file_of("cache-2@fixture.test");
	delete_file_of("cache-1@fixture.test");
	check_same(inc, &changed);
	assert_int_equal(changed, 1);
	assert_int_equal(refresh(inc, true), 0);
	assert_int_equal(store_msgfile_get(inc, path, &row, &err), 0);
	assert_int_equal(store_msgfile_get(inc, other, &row, &err), 0);
	{
		struct store *full = store_fresh(NULL);

		refresh(full, true);
		a = dump_store(inc);
		b = dump_store(full);
		assert_string_equal(a, b);
		g_free(a);
		g_free(b);
		store_close(full);
	}
	g_free(path);
	g_free(other);
	store_close(inc);
}

/* A report whose armoured block starts at OFFSET in its file, padded with "x" lines. */
static char *
padded_report(const char *id, size_t offset)
{
	GString *s = g_string_new(NULL);

	g_string_append_printf(s, "From: Rita Reporter <rita@reporter.test>\n"
	    "To: security@example.org\nSubject: padded\nDate: Thu, 19 Nov 2026 18:00:00 +0000\n"
	    "Message-ID: <%s>\n\n", id);
	while (s->len + 80 < offset)
		g_string_append(s, "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\n");
	while (s->len + 1 < offset)
		g_string_append_c(s, 'y');
	g_string_append_c(s, '\n');
	assert_int_equal(s->len, offset);
	g_string_append(s, "-----BEGIN PGP MESSAGE-----\n\nhQIMA0xxxx\n-----END PGP MESSAGE-----\n");
	return g_string_free(s, FALSE);
}

static void
test_inline_pgp_scan(void **state)
{
	struct mail_facts f;

	/* Across the 64 KiB read boundary: found. */
	deliver("split", padded_report("split@fixture.test", 65536 - 10));
	/* Past the scan limit (a few MiB): not looked for. */
	deliver("deep", padded_report("deep@fixture.test", 5 * 1024 * 1024));
	/* The marker in a header is no encrypted body. */
	deliver("hdr", message("Rita Reporter <rita@reporter.test>", "security@example.org",
	    "Thu, 19 Nov 2026 19:00:00 +0000", "hdr@fixture.test", NULL,
	    "X-Note: -----BEGIN PGP MESSAGE-----\n", "plain body"));
	notmuch_run("new");
	reopen();
	facts_of("split@fixture.test", &f);
	assert_true(f.encrypted);
	assert_true(f.reporter_encrypted);
	mail_facts_clear(&f);
	facts_of("deep@fixture.test", &f);
	assert_false(f.encrypted);
	mail_facts_clear(&f);
	facts_of("hdr@fixture.test", &f);
	assert_false(f.encrypted);
	mail_facts_clear(&f);
}

/* ---- indexing ------------------------------------------------------------------------------ */

/* Writes a message into DIR/mail/Sent/cur as a seen maildir file; returns its path (g_free). */
static char *
sent_file(const char *name, char *text)
{
	char *dir = g_build_filename(W->fx->maildir, "Sent", "cur", NULL);
	char *base = g_strdup_printf("%s:2,S", name);
	char *path = g_build_filename(dir, base, NULL);
	GError *gerr = NULL;

	g_mkdir_with_parents(dir, 0700);
	if (!g_file_set_contents(path, text, -1, &gerr))
		fail_msg("%s", gerr->message);
	g_free(text);
	g_free(dir);
	g_free(base);
	return path;
}

static bool
indexed(const char *msgid)
{
	char *cmd = g_strdup_printf("notmuch count id:%s", msgid), *out = NULL;
	int status = -1;
	bool found;

	assert_int_equal(fixture_run(cmd, &out, &status), 0);
	assert_int_equal(status, 0);
	found = atoi(out) == 1;
	g_free(out);
	g_free(cmd);
	return found;
}

static void
test_index_file(void **state)
{
	static const char *const tags[] = { "sent", "embargo-test", NULL };
	struct store *st = store_fresh(NULL);
	struct error err = { { 0 } };
	struct store_case *c;
	struct mail_message *last;
	GPtrArray *msgs;
	char *path, *t;

	refresh(st, false);
	path = sent_file("ack-latin1", message("Bob Handler <bob@example.org>",
	    "Zoë <zoe@latin1.test>", "Fri, 20 Nov 2026 08:00:00 +0000",
	    "ack-latin1@fixture.test", "latin1@fixture.test", "Cc: security@example.org\n", "ack"));
	assert_int_equal(mail_index_file(W->cfg, path, tags, 10000, &err), 0);
	/* The snapshot does not see it yet; after a reopen it does. */
	assert_int_equal(refresh(st, false), 0);
	reopen();
	assert_int_equal(refresh(st, false), 1);
	c = case_of(st, "latin1@fixture.test");
	assert_int_equal(c->facts.first_team_reply_at, iso("2026-11-20T08:00:00Z"));
	assert_int_equal(c->facts.last_team_to_reporter_at, iso("2026-11-20T08:00:00Z"));
	assert_int_equal(c->facts.message_count, 2);
	store_case_free(c);

	t = thread_of("ack-latin1@fixture.test");
	assert_int_equal(mail_thread_messages(W->m, t, &msgs, &err), 0);
	last = g_ptr_array_index(msgs, msgs->len - 1);
	assert_string_equal(last->msgid, "ack-latin1@fixture.test");
	assert_string_equal(last->path, path);
	assert_true(g_strv_contains((const char *const *)last->tags, "sent"));
	assert_true(g_strv_contains((const char *const *)last->tags, "embargo-test"));
	/* Maildir flag S: not unread. */
	assert_false(g_strv_contains((const char *const *)last->tags, "unread"));
	g_ptr_array_free(msgs, TRUE);
	g_free(t);

	/* Indexing the same file again is fine. */
	assert_int_equal(mail_index_file(W->cfg, path, NULL, 10000, &err), 0);
	g_free(path);
	store_close(st);
}

static void
test_index_file_errors(void **state)
{
	static const char *const empty_tag[] = { "", NULL };
	struct error err = { { 0 } };
	struct config *cfg;
	char *path, *outside;

	assert_int_equal(mail_index_file(W->cfg, "/nonexistent/msg", NULL, 1000, &err), -1);
	assert_non_null(strstr(err.msg, "/nonexistent/msg"));
	assert_int_equal(mail_index_file(W->cfg, W->fx->maildir, NULL, 1000, &err), -1);
	assert_non_null(strstr(err.msg, "not a regular file"));
	path = sent_file("bad-tag", message("bob@example.org", "x@y.test",
	    "Fri, 20 Nov 2026 08:00:00 +0000", "bad-tag@fixture.test", NULL, "", "x"));
	assert_int_equal(mail_index_file(W->cfg, path, empty_tag, 1000, &err), -1);
	assert_non_null(strstr(err.msg, "bad tag"));
	/* A database that does not exist: the child's error comes back. */
	cfg = config_new_defaults();
	cfg->database = g_strdup("/nonexistent/embargo-db");
	assert_int_equal(mail_index_file(cfg, path, NULL, 10000, &err), -1);
	assert_non_null(strstr(err.msg, path));
	assert_non_null(strstr(err.msg, "/nonexistent/embargo-db"));
	config_free(cfg);
	g_free(path);
	/* A file outside the mail root. */
	outside = fixture_path(W->fx, "outside.eml");
	assert_true(g_file_set_contents(outside, "From: a@b.test\n\nx\n", -1, NULL));
	assert_int_equal(mail_index_file(W->cfg, outside, NULL, 10000, &err), -1);
	assert_non_null(strstr(err.msg, outside));
	g_free(outside);
}

/*
 * Holds the write lock for HOLD_MS in a child; returns once it is held, with
 * *DONE_FD the pipe on which the child writes 'D' after closing the database.
 */
static pid_t
hold_lock(int hold_ms, int *done_fd)
{
	int fds[2];
	char c;
	pid_t pid;

	assert_int_equal(pipe(fds), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		notmuch_database_t *db;
		char *msg = NULL;

		close(fds[0]);
		if (notmuch_database_open_with_config(NULL, NOTMUCH_DATABASE_MODE_READ_WRITE,
		    NULL, NULL, &db, &msg) != NOTMUCH_STATUS_SUCCESS)
			_exit(1);
		if (write(fds[1], "L", 1) != 1)
			_exit(1);
		g_usleep((gulong)hold_ms * 1000);
		if (notmuch_database_destroy(db) != NOTMUCH_STATUS_SUCCESS ||
		    write(fds[1], "D", 1) != 1)
			_exit(1);
		_exit(0);
	}
	close(fds[1]);
	assert_int_equal(read(fds[0], &c, 1), 1);
	assert_int_equal(c, 'L');
	*done_fd = fds[0];
	return pid;
}

static void
test_index_file_locked(void **state)
{
	struct error err = { { 0 } };
	char *p1, *p2;
	gint64 t0, ms;
	pid_t holder;
	int status, i, done_fd;
	char c;

	p1 = sent_file("locked-1", message("Bob Handler <bob@example.org>",
	    "Hank Html <hank@html.test>", "Fri, 20 Nov 2026 09:00:00 +0000",
	    "locked-1@fixture.test", "html-only@fixture.test", "", "one"));
	p2 = sent_file("locked-2", message("Bob Handler <bob@example.org>",
	    "Tess Trunc <tess@trunc.test>", "Fri, 20 Nov 2026 09:30:00 +0000",
	    "locked-2@fixture.test", "truncated@fixture.test", "", "two"));

	holder = hold_lock(1500, &done_fd);
	t0 = g_get_monotonic_time();
	assert_int_equal(mail_index_file(W->cfg, p1, NULL, 300, &err), -1);
	ms = (g_get_monotonic_time() - t0) / 1000;
	assert_true(ms >= 250 && ms < 1000);
	assert_non_null(strstr(err.msg, "locked by another writer"));
	assert_non_null(strstr(err.msg, p1));

	t0 = g_get_monotonic_time();
	assert_int_equal(mail_index_file(W->cfg, p2, NULL, 20000, &err), 0);
	ms = (g_get_monotonic_time() - t0) / 1000;
	assert_true(ms >= 700);
	/* The holder closed cleanly (its exit status is valgrind's under valgrind). */
	assert_int_equal(read(done_fd, &c, 1), 1);
	assert_int_equal(c, 'D');
	close(done_fd);
	assert_int_equal(waitpid(holder, &status, 0), holder);
	assert_true(indexed("locked-2@fixture.test"));

	/* The timed-out indexer went on and indexed its file once the lock was free. */
	for (i = 0; i < 200 && !indexed("locked-1@fixture.test"); i++)
		g_usleep(50 * 1000);
	assert_true(indexed("locked-1@fixture.test"));
	g_free(p1);
	g_free(p2);
}

/* ---- team_reply = verified --------------------------------------------------------- */

static void
test_verify_in_folder(void **state)
{
	assert_true(verify_in_folder("/r", "Sent", "/r/Sent/cur/x:2,S"));
	assert_true(verify_in_folder("/r/", "Sent", "/r/Sent/new/x"));
	assert_true(verify_in_folder("/r", "Sent/", "/r//Sent/./cur/x"));
	assert_false(verify_in_folder("/r", "Sent", "/r/Sentinel/cur/x"));
	assert_false(verify_in_folder("/r", "Sent", "/r/Sent/../INBOX/new/x"));
	assert_false(verify_in_folder("/r", "Sent", "/r/INBOX/new/x"));
	assert_false(verify_in_folder("/r", "Sent", "/r/Sent"));
	assert_false(verify_in_folder("/r", "Sent", "Sent/cur/x"));
	assert_false(verify_in_folder("/r", "", "/r/x"));
	assert_false(verify_in_folder("/r", NULL, "/r/Sent/cur/x"));
	assert_false(verify_in_folder(NULL, "Sent", "/r/Sent/cur/x"));
	assert_false(verify_in_folder("/r", "Sent", NULL));
}

static void
test_auth_results_parse(void **state)
{
	struct auth_results *ar = NULL;
	struct error err = { { 0 } };
	const struct auth_result *r;
	char *id;

	assert_int_equal(auth_results_parse("mx.example.org; dkim=pass header.d=example.org "
	    "header.i=@example.org header.s=sel header.b=AbCd; spf=pass smtp.mailfrom=example.org",
	    &ar, &err), 0);
	assert_string_equal(ar->authserv_id, "mx.example.org");
	assert_int_equal(ar->results->len, 2);
	r = g_ptr_array_index(ar->results, 0);
	assert_string_equal(r->method, "dkim");
	assert_string_equal(r->result, "pass");
	assert_string_equal(r->header_d, "example.org");
	assert_string_equal(r->header_i, "@example.org");
	r = g_ptr_array_index(ar->results, 1);
	assert_string_equal(r->method, "spf");
	assert_null(r->header_d);
	auth_results_free(ar);

	/* A version, comments, a method version, folding, case. */
	assert_int_equal(auth_results_parse("MX.example.org 1 (our MX);\r\n\tDKIM/1 = Pass "
	    "(good (nested) signature) header.d=Example.ORG", &ar, &err), 0);
	assert_string_equal(ar->authserv_id, "MX.example.org");
	r = g_ptr_array_index(ar->results, 0);
	assert_string_equal(r->method, "dkim");
	assert_string_equal(r->result, "pass");
	assert_string_equal(r->header_d, "example.org");
	auth_results_free(ar);

	/* A quoted authserv-id; no result; ';' inside a quoted reason. */
	assert_int_equal(auth_results_parse("\"mx.example.org\"; none", &ar, &err), 0);
	assert_string_equal(ar->authserv_id, "mx.example.org");
	assert_int_equal(ar->results->len, 0);
	auth_results_free(ar);
	assert_int_equal(auth_results_parse("mx; dkim=fail reason=\"bad; sig\" header.d=x.test; "
	    "dmarc=pass header.from=x.test", &ar, &err), 0);
	assert_int_equal(ar->results->len, 2);
	assert_string_equal(((struct auth_result *)g_ptr_array_index(ar->results, 0))->result, "fail");
	auth_results_free(ar);

	id = auth_results_authserv_id("  (c) mx.example.org; garbage that does not parse =");
	assert_string_equal(id, "mx.example.org");
	g_free(id);
	assert_null(auth_results_authserv_id("; dkim=pass"));
	assert_null(auth_results_authserv_id(NULL));
}

static void
assert_ar_bad(const char *value, const char *why)
{
	struct auth_results *ar = NULL;
	struct error err = { { 0 } };

	if (auth_results_parse(value, &ar, &err) == 0)
		fail_msg("\"%s\": parsed, expected an error about %s", value, why);
	assert_null(ar);
	if (strstr(err.msg, why) == NULL || strstr(err.msg, "Authentication-Results") == NULL)
		fail_msg("\"%s\": error \"%s\", expected one about %s", value, err.msg, why);
}

static void
test_auth_results_bad(void **state)
{
	assert_ar_bad("", "expected the authserv-id first");
	assert_ar_bad(NULL, "expected the authserv-id first");
	assert_ar_bad("; dkim=pass header.d=x.test", "expected the authserv-id first");
	assert_ar_bad("\"\"; none", "empty authserv-id");
	assert_ar_bad("mx.example.org", "expected ';' after the authserv-id");
	assert_ar_bad("mx.example.org dkim=pass", "expected ';' after the authserv-id");
	assert_ar_bad("mx.example.org; =pass", "expected method=result");
	assert_ar_bad("mx.example.org; dkim pass", "expected method=result");
	assert_ar_bad("mx.example.org; dkim=", "expected method=result");
	assert_ar_bad("mx.example.org; dkim/x=pass", "method version that is not a number");
	assert_ar_bad("mx.example.org; dkim=pass header.d", "expected '=' after a property");
	assert_ar_bad("mx.example.org; dkim=pass header.d=", "expected a value");
	assert_ar_bad("mx.example.org; dkim=pass header.d=a.test header.d=b.test", "given twice");
	assert_ar_bad("mx.example.org; dkim=pass nodot=x", "expected ptype.property=value");
	assert_ar_bad("mx.example.org; dkim=pass (open comment", "unterminated comment");
	assert_ar_bad("mx.example.org; dkim=pass reason=\"open", "unterminated quoted string");
	assert_ar_bad("mx.example.org; dkim=pa\033[2Jss", "control character");
	assert_ar_bad("mx.example.org; none; dkim=pass", "expected method=result");
}

/* VALUES, topmost first, NULL-terminated, as a GPtrArray (g_ptr_array_unref). */
static GPtrArray *
headers_of(const char *first, ...)
{
	GPtrArray *a = g_ptr_array_new_with_free_func(g_free);
	const char *v;
	va_list ap;

	va_start(ap, first);
	for (v = first; v != NULL; v = va_arg(ap, const char *))
		g_ptr_array_add(a, g_strdup(v));
	va_end(ap);
	return a;
}

static bool
dkim_with(const char *first, ...)
{
	GPtrArray *a = g_ptr_array_new_with_free_func(g_free);
	const char *v;
	va_list ap;
	bool pass;

	va_start(ap, first);
	for (v = first; v != NULL; v = va_arg(ap, const char *))
		g_ptr_array_add(a, g_strdup(v));
	va_end(ap);
	pass = verify_dkim_pass("mx.example.org", "example.org", a);
	g_ptr_array_unref(a);
	return pass;
}

static void
test_verify_dkim(void **state)
{
	GPtrArray *h;

	assert_true(dkim_with("mx.example.org; dkim=pass header.d=example.org", NULL));
	assert_true(dkim_with("MX.Example.Org; dkim=pass header.d=EXAMPLE.org.", NULL));
	assert_true(dkim_with("mx.example.org; dkim=pass header.i=alice@example.org", NULL));
	assert_true(dkim_with("mx.example.org; spf=fail smtp.mailfrom=x.test; "
	    "dkim=fail header.d=x.test; dkim=pass header.d=example.org", NULL));
	/* Other domains, other results. */
	assert_false(dkim_with("mx.example.org; dkim=pass header.d=evil.test", NULL));
	assert_false(dkim_with("mx.example.org; dkim=pass header.d=sub.example.org", NULL));
	assert_false(dkim_with("mx.example.org; dkim=pass header.d=example.org.evil.test", NULL));
	assert_false(dkim_with("mx.example.org; dkim=pass header.i=@sub.example.org", NULL));
	assert_false(dkim_with("mx.example.org; dkim=fail header.d=example.org", NULL));
	assert_false(dkim_with("mx.example.org; dkim=neutral header.d=example.org", NULL));
	assert_false(dkim_with("mx.example.org; spf=pass smtp.mailfrom=example.org", NULL));
	assert_false(dkim_with("mx.example.org; none", NULL));
	/* Someone else's header is not trusted. */
	assert_false(dkim_with("mx.evil.test; dkim=pass header.d=example.org", NULL));
	assert_false(dkim_with("mx.example.org.evil.test; dkim=pass header.d=example.org", NULL));
	/* Only the topmost header of ours counts: a forged one below it is ignored... */
	assert_true(dkim_with("mx.evil.test; dkim=fail header.d=example.org",
	    "mx.example.org; dkim=pass header.d=example.org",
	    "mx.example.org; dkim=fail header.d=example.org", NULL));
	assert_false(dkim_with("mx.example.org; dkim=fail header.d=example.org",
	    "mx.example.org; dkim=pass header.d=example.org", NULL));
	/* ... even when ours does not parse. */
	assert_false(dkim_with("mx.example.org; dkim=pass header.d",
	    "mx.example.org; dkim=pass header.d=example.org", NULL));
	assert_false(dkim_with(NULL));
	/* Without an authserv-id or a domain, nothing passes. */
	h = headers_of("mx.example.org; dkim=pass header.d=example.org", NULL);
	assert_false(verify_dkim_pass(NULL, "example.org", h));
	assert_false(verify_dkim_pass("", "example.org", h));
	assert_false(verify_dkim_pass("mx.example.org", "", h));
	assert_false(verify_dkim_pass("mx.example.org", NULL, h));
	assert_false(verify_dkim_pass("mx.example.org", "example.org", NULL));
	g_ptr_array_unref(h);
	assert_string_equal(team_proof_name(TEAM_PROOF_DKIM), "dkim");
}

/*
 * BODY clearsigned by key SIGNER or, with ENCRYPT, also encrypted to the
 * team key, run in GnuPG home HOME (NULL: the team's).  Armoured (g_free).
 */
static char *
gpg_armor(const char *home, const char *signer, bool encrypt, const char *body)
{
	char *in = fixture_path(W->fx, "gpg-in.txt"), *team = fixture_fpr(W->fx, "team");
	char *henv = home != NULL ? g_strdup_printf("GNUPGHOME='%s' ", home) : g_strdup("");
	char *cmd, *out = NULL;
	int status = -1;

	assert_true(g_file_set_contents(in, body, -1, NULL));
	if (encrypt)
		cmd = g_strdup_printf("%sgpg --batch --quiet --yes --armor --local-user '%s' "
		    "--encrypt --sign --recipient '%s' <'%s'", henv, signer, team, in);
	else
		cmd = g_strdup_printf("%sgpg --batch --quiet --yes --local-user '%s' "
		    "--clearsign <'%s'", henv, signer, in);
	assert_int_equal(fixture_run(cmd, &out, &status), 0);
	assert_int_equal(status, 0);
	assert_non_null(strstr(out, "-----BEGIN PGP "));
	g_free(cmd);
	g_free(henv);
	g_free(in);
	g_free(team);
	return out;
}

/*
 * A report TAG from vera, then a team reply to it From FROM, with extra
 * HEADERS and BODY, delivered into FOLDER ("Sent" or "INBOX").
 */
static void
verified_thread(const char *tag, const char *folder, const char *from,
    const char *headers, const char *body)
{
	char *rid = g_strdup_printf("%s@verify.test", tag);
	char *id = g_strdup_printf("%s-r@verify.test", tag);
	char *rname = g_strdup_printf("%s-r", tag);
	char *reply = message(from, "Vera Reporter <vera@reporter.test>",
	    "Mon, 23 Nov 2026 09:00:00 +0000", id, rid, headers, body);

	deliver(tag, message("Vera Reporter <vera@reporter.test>", "security@example.org",
	    "Mon, 23 Nov 2026 08:00:00 +0000", rid, NULL, "", "a report"));
	if (strcmp(folder, "Sent") == 0)
		g_free(sent_file(rname, reply));
	else {
		assert_int_equal(fixture_add_message(W->fx, folder, rname, reply), 0);
		g_free(reply);
	}
	g_free(rid);
	g_free(id);
	g_free(rname);
}

/* When the team reply in thread TAG met the first deadline (0: never), under MODE. */
static time_t
first_reply(const char *tag, enum team_reply_mode mode)
{
	enum team_reply_mode old = W->cfg->team_reply;
	char *old_as = W->cfg->authserv_id;
	char *id = g_strdup_printf("%s@verify.test", tag);
	struct mail_facts f;
	struct error err;
	char *t = thread_of(id);
	time_t at;
	int rc;

	W->cfg->team_reply = mode;
	W->cfg->authserv_id = g_strdup("mx.example.org");
	rc = mail_thread_facts(W->m, W->cfg, t, &f, &err);
	g_free(W->cfg->authserv_id);
	W->cfg->authserv_id = old_as;
	W->cfg->team_reply = old;
	if (rc < 0)
		fail_msg("%s: %s", tag, err.msg);
	assert_string_equal(f.report_msgid, id);
	assert_string_equal(f.reporter_addr, "vera@reporter.test");
	assert_int_equal(f.message_count, 2);
	/* The last-to-reporter time follows the same rule. */
	assert_int_equal(f.last_team_to_reporter_at, f.first_team_reply_at);
	at = f.first_team_reply_at;
	mail_facts_clear(&f);
	g_free(t);
	g_free(id);
	return at;
}

#define ALICE "Alice Handler <alice@example.org>"
#define BOB "Bob Handler <bob@example.org>"
#define TEAM "Example Security Team <security@example.org>"

static void
test_facts_verified(void **state)
{
	const time_t at = iso("2026-11-23T09:00:00Z");
	char *alice = fixture_fpr(W->fx, "alice"), *team = fixture_fpr(W->fx, "team");
	char tmpl[] = "/tmp/emv.XXXXXX", *fake_home, *cmd, *text;
	const char *ar_pass =
	    "Authentication-Results: mx.example.org;\n dkim=pass header.d=example.org\n";
	const char *ar_fail =
	    "Authentication-Results: mx.example.org; dkim=fail header.d=example.org\n";
	const char *ar_other =
	    "Authentication-Results: mx.evil.test; dkim=pass header.d=example.org\n";
	const char *ar_forged_below =
	    "Authentication-Results: mx.example.org; dkim=fail header.d=example.org\n"
	    "Authentication-Results: mx.example.org; dkim=pass header.d=example.org\n";
	struct store *st;
	struct store_case *c;
	int status = -1;

	/* An attacker's key claiming alice's address, imported into the team's keyring unsigned. */
	fake_home = mkdtemp(tmpl);
	assert_non_null(fake_home);
	cmd = g_strdup_printf("GNUPGHOME='%s' gpg --batch --quiet --passphrase '' --quick-gen-key "
	    "'Fake Alice <alice@example.org>' ed25519 sign never 2>&1 && GNUPGHOME='%s' gpg "
	    "--batch --armor --export alice@example.org | gpg --batch --quiet --import 2>&1",
	    fake_home, fake_home);
	assert_int_equal(fixture_run(cmd, NULL, &status), 0);
	assert_int_equal(status, 0);
	g_free(cmd);

	verified_thread("v-sent", "Sent", ALICE, "", "ack");
	verified_thread("v-forged", "INBOX", TEAM, "", "ack");
	text = gpg_armor(NULL, team, false, "ack, signed by the team key\n");
	verified_thread("v-teamkey", "INBOX", TEAM, "", text);
	g_free(text);
	text = gpg_armor(NULL, alice, false, "ack, signed by alice\n");
	verified_thread("v-alice", "INBOX", ALICE, "", text);
	/* Alice's key, but From the team address: only the team key speaks for it. */
	verified_thread("v-alice-as-team", "INBOX", TEAM, "", text);
	g_free(text);
	text = gpg_armor(fake_home, "alice@example.org", false, "ack, signed by a fake alice\n");
	verified_thread("v-fake", "INBOX", ALICE, "", text);
	g_free(text);
	text = gpg_armor(NULL, team, true, "ack, encrypted and signed by the team key\n");
	verified_thread("v-enc", "INBOX", TEAM, "", text);
	g_free(text);
	verified_thread("v-dkim", "INBOX", BOB, ar_pass, "ack");
	verified_thread("v-dkim-fail", "INBOX", BOB, ar_fail, "ack");
	verified_thread("v-dkim-other", "INBOX", BOB, ar_other, "ack");
	verified_thread("v-dkim-below", "INBOX", BOB, ar_forged_below, "ack");
	notmuch_run("new");
	reopen();

	/* team_reply = any: every one of them is a reply. */
	assert_int_equal(first_reply("v-sent", TEAM_REPLY_ANY), at);
	assert_int_equal(first_reply("v-forged", TEAM_REPLY_ANY), at);
	assert_int_equal(first_reply("v-fake", TEAM_REPLY_ANY), at);
	assert_int_equal(first_reply("v-dkim-fail", TEAM_REPLY_ANY), at);
	/* verified: the sent folder, the team key, a handler's valid key, encrypted+signed, DKIM. */
	assert_int_equal(first_reply("v-sent", TEAM_REPLY_VERIFIED), at);
	assert_int_equal(first_reply("v-teamkey", TEAM_REPLY_VERIFIED), at);
	assert_int_equal(first_reply("v-alice", TEAM_REPLY_VERIFIED), at);
	assert_int_equal(first_reply("v-enc", TEAM_REPLY_VERIFIED), at);
	assert_int_equal(first_reply("v-dkim", TEAM_REPLY_VERIFIED), at);
	/* ... and not: unsigned, a key without validity, the wrong key, DKIM not ours or failed. */
	assert_int_equal(first_reply("v-forged", TEAM_REPLY_VERIFIED), 0);
	assert_int_equal(first_reply("v-fake", TEAM_REPLY_VERIFIED), 0);
	assert_int_equal(first_reply("v-alice-as-team", TEAM_REPLY_VERIFIED), 0);
	assert_int_equal(first_reply("v-dkim-fail", TEAM_REPLY_VERIFIED), 0);
	assert_int_equal(first_reply("v-dkim-other", TEAM_REPLY_VERIFIED), 0);
	assert_int_equal(first_reply("v-dkim-below", TEAM_REPLY_VERIFIED), 0);

	/* Switching to verified rescans the store: the forged reply's case loses its reply. */
	st = store_fresh(NULL);
	refresh(st, false);
	c = case_of(st, "v-forged@verify.test");
	assert_int_equal(c->facts.first_team_reply_at, at);
	store_case_free(c);
	W->cfg->team_reply = TEAM_REPLY_VERIFIED;
	assert_true(refresh(st, false) >= 6);
	W->cfg->team_reply = TEAM_REPLY_ANY;
	c = case_of(st, "v-forged@verify.test");
	assert_int_equal(c->facts.first_team_reply_at, 0);
	store_case_free(c);
	c = case_of(st, "v-sent@verify.test");
	assert_int_equal(c->facts.first_team_reply_at, at);
	store_case_free(c);
	store_close(st);

	cmd = g_strdup_printf("gpgconf --homedir '%s' --kill gpg-agent; rm -rf '%s'", fake_home, fake_home);
	assert_int_equal(fixture_run(cmd, NULL, &status), 0);
	g_free(cmd);
	g_free(alice);
	g_free(team);
}

/* ---- several files, one Message-ID ------------------------------------------------------ */

static void
set_mtime(const char *folder, const char *name, const char *when)
{
	char *path = g_build_filename(W->fx->maildir, folder, "new", name, NULL);
	struct timeval tv[2] = { { iso(when), 0 }, { iso(when), 0 } };

	assert_int_equal(utimes(path, tv), 0);
	g_free(path);
}

static char *
maildir_file(const char *folder, const char *name)
{
	return g_build_filename(W->fx->maildir, folder, "new", name, NULL);
}

static void
test_duplicate_files(void **state)
{
	const char *report = "From: Dora Dup <dora@dup.test>\nTo: security@example.org\n"
	    "Subject: dup\nDate: Tue, 24 Nov 2026 08:00:00 +0000\nMessage-ID: <dup@fixture.test>\n";
	struct error err = { { 0 } };
	struct mail_message *mm;
	struct mail_facts f;
	GPtrArray *msgs;
	char *t, *orig, *imp, *relay;

	/* The impostor sorts first in notmuch's order, but arrived a day later. */
	deliver("a-impostor", g_strdup_printf("From: Ivan Impostor <ivan@evil.test>\n"
	    "To: security@example.org\nSubject: dup\nDate: Tue, 24 Nov 2026 08:00:00 +0000\n"
	    "Message-ID: <dup@fixture.test>\n\nthe impostor\n"));
	deliver("z-original", g_strdup_printf("Received: from mx1\n%s\nthe report\n", report));
	/* A second delivery of the original: other trace headers only. */
	relay = g_strdup_printf("Received: from mx2\nReceived: from relay\nDelivered-To: x@y.test\n"
	    "Authentication-Results: mx; none\n%s\nthe report\n", report);
	assert_int_equal(fixture_add_message(W->fx, "lists", "relayed", relay), 0);
	g_free(relay);
	set_mtime("INBOX", "z-original", "2026-11-24T08:00:00Z");
	set_mtime("lists", "relayed", "2026-11-24T08:30:00Z");
	set_mtime("INBOX", "a-impostor", "2026-11-25T08:00:00Z");
	notmuch_run("new");
	reopen();

	orig = maildir_file("INBOX", "z-original");
	imp = maildir_file("INBOX", "a-impostor");
	relay = maildir_file("lists", "relayed");
	t = thread_of("dup@fixture.test");
	assert_int_equal(mail_thread_messages(W->m, t, &msgs, &err), 0);
	assert_int_equal(msgs->len, 1);
	mm = g_ptr_array_index(msgs, 0);
	assert_string_equal(mm->path, orig);
	assert_string_equal(mm->paths[0], orig);
	assert_int_equal(g_strv_length(mm->paths), 3);
	assert_true(g_strv_contains((const char *const *)mm->paths, imp));
	assert_true(g_strv_contains((const char *const *)mm->paths, relay));
	g_ptr_array_free(msgs, TRUE);

	/* The facts read the same copy `show` displays. */
	assert_int_equal(mail_thread_facts(W->m, W->cfg, t, &f, &err), 0);
	assert_string_equal(f.reporter_addr, "dora@dup.test");
	assert_string_equal(f.reporter_name, "Dora Dup");
	mail_facts_clear(&f);

	assert_int_equal(mail_files_same(orig, imp, &err), 0);
	assert_int_equal(mail_files_same(orig, relay, &err), 1);
	assert_int_equal(mail_files_same(relay, orig, &err), 1);
	assert_int_equal(mail_files_same(orig, orig, &err), 1);
	assert_int_equal(mail_files_same(orig, "/nonexistent/dup", &err), -1);
	assert_non_null(strstr(err.msg, "/nonexistent/dup"));
	g_free(orig);
	g_free(imp);
	g_free(relay);
	g_free(t);
}

static void
test_files_same(void **state)
{
	const char *base = "From: a@b.test\nSubject: s\n\nbody\n";
	struct {
		const char *other;
		int same;
	} cases[] = {
		{ "From: a@b.test\nSubject: s\n\nbody\n", 1 },
		{ "Return-Path: <x@y>\nFrom: a@b.test\nX-Spam-Score: 9\nSubject:  s \n\nbody\n", 1 },
		{ "From: a@b.test\nSubject: s\n\nbody \n", 0 },
		{ "From: a@b.test\nSubject: s\n\nbody\nmore\n", 0 },
		{ "From: a@b.test\nSubject: S\n\nbody\n", 0 },
		{ "Subject: s\nFrom: a@b.test\n\nbody\n", 0 },
		{ "From: a@b.test\nSubject: s\nCc: c@d.test\n\nbody\n", 0 },
		{ "From: a@b.test\nSubject: s\n\n", 0 },
	};
	char *a = fixture_path(W->fx, "same-a"), *b = fixture_path(W->fx, "same-b");
	struct error err = { { 0 } };
	GString *big;
	size_t i;

	assert_true(g_file_set_contents(a, base, -1, NULL));
	for (i = 0; i < G_N_ELEMENTS(cases); i++) {
		assert_true(g_file_set_contents(b, cases[i].other, -1, NULL));
		if (mail_files_same(a, b, &err) != cases[i].same)
			fail_msg("case %zu: \"%s\": expected %d", i, cases[i].other, cases[i].same);
	}
	/* Bodies past one read chunk, differing only at the very end. */
	big = g_string_new("From: a@b.test\n\n");
	for (i = 0; i < 20000; i++)
		g_string_append(big, "0123456789\n");
	assert_true(g_file_set_contents(a, big->str, (gssize)big->len, NULL));
	assert_true(g_file_set_contents(b, big->str, (gssize)big->len, NULL));
	assert_int_equal(mail_files_same(a, b, &err), 1);
	big->str[big->len - 2] = 'X';
	assert_true(g_file_set_contents(b, big->str, (gssize)big->len, NULL));
	assert_int_equal(mail_files_same(a, b, &err), 0);
	g_string_free(big, TRUE);
	assert_int_equal(mail_files_same("/nonexistent/a", b, &err), -1);
	assert_non_null(strstr(err.msg, "/nonexistent/a"));
	g_free(a);
	g_free(b);
}

/* The reporter's display name is kept as decoded, escapes and all: output sanitises it. */
static void
test_reporter_name_raw(void **state)
{
	struct mail_facts f;
	struct mail_addr *a;

	deliver("esc-name", message("\"Eve \033[2J\033[31mRED\" <eve@esc.test>", "security@example.org",
	    "Tue, 24 Nov 2026 09:00:00 +0000", "esc-name@fixture.test", NULL, "", "x"));
	notmuch_run("new");
	reopen();
	facts_of("esc-name@fixture.test", &f);
	assert_string_equal(f.reporter_addr, "eve@esc.test");
	assert_non_null(f.reporter_name);
	assert_string_equal(f.reporter_name, "Eve \033[2J\033[31mRED");
	mail_facts_clear(&f);
	/* Folding white space still becomes one space. */
	a = mail_addr_parse("\"Eve\r\n\t\033[0m x\" <e@x.test>");
	assert_string_equal(a->name, "Eve \033[0m x");
	mail_addr_free(a);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_addr_forms),
		cmocka_unit_test(test_addr_bad),
		cmocka_unit_test(test_addr_lists),
		cmocka_unit_test(test_open_errors),
		cmocka_unit_test(test_open_root),
		cmocka_unit_test(test_refresh_cases),
		cmocka_unit_test(test_thread_five),
		cmocka_unit_test(test_plain_report),
		cmocka_unit_test(test_encrypted),
		cmocka_unit_test(test_thread_messages),
		cmocka_unit_test(test_thread_bad_ids),
		cmocka_unit_test(test_search),
		cmocka_unit_test(test_refresh_noop),
		cmocka_unit_test(test_refresh_config_change),
		cmocka_unit_test(test_distros_and_oss),
		cmocka_unit_test(test_reply_to),
		cmocka_unit_test(test_incremental),
		cmocka_unit_test(test_fold),
		cmocka_unit_test(test_rescan_threads),
		cmocka_unit_test(test_msgfile_cache),
		cmocka_unit_test(test_inline_pgp_scan),
		cmocka_unit_test(test_index_file),
		cmocka_unit_test(test_index_file_errors),
		cmocka_unit_test(test_index_file_locked),
		cmocka_unit_test(test_verify_in_folder),
		cmocka_unit_test(test_auth_results_parse),
		cmocka_unit_test(test_auth_results_bad),
		cmocka_unit_test(test_verify_dkim),
		cmocka_unit_test(test_facts_verified),
		cmocka_unit_test(test_duplicate_files),
		cmocka_unit_test(test_files_same),
		cmocka_unit_test(test_reporter_name_raw),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
