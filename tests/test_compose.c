/* tests/test_compose.c: templates, the send plan and its rules, PGP/MIME building, sendmail, drafts. */
#include "build-config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib.h>
#include <gmime/gmime.h>

#include "core/app.h"
#include "core/compose.h"
#include "core/draft.h"
#include "core/template.h"
#include "tests/fixture.h"

#ifndef COMPOSE_SRCDIR
#define COMPOSE_SRCDIR "."
#endif

/* CALL must return 0; else the test fails with the error it set. */
#define OK(call) do { if ((call) != 0) fail_msg("%s: %s", #call, err.msg); } while (0)

static struct fixture *FX;
static struct app *APP;

static int
group_setup(void **state)
{
	struct error err = { { 0 } };
	const char *top = getenv("top_srcdir");
	char *data;

	FX = fixture_new();
	if (FX == NULL)
		return -1;
	data = g_build_filename(top != NULL && *top ? top : COMPOSE_SRCDIR, "data", NULL);
	setenv("EMBARGO_DATADIR", data, 1);
	g_free(data);
	unsetenv("SENDMAIL_EXIT");
	unsetenv("SENDMAIL_STDERR");
	if (app_open(NULL, &APP, &err) != 0 || app_refresh(APP, &err) != 0) {
		fprintf(stderr, "setup: %s\n", err.msg);
		return -1;
	}
	return 0;
}

static int
group_teardown(void **state)
{
	app_close(APP);
	fixture_free(FX);
	return 0;
}

/* The case whose outer subject is SUBJECT (after a refresh). */
static struct case_view *
case_by_subject(const char *subject)
{
	struct error err = { { 0 } };
	struct case_view *found = NULL;
	GPtrArray *cases;

	assert_int_equal(app_refresh(APP, &err), 0);
	assert_int_equal(app_cases(APP, true, &cases, &err), 0);
	for (guint i = 0; i < cases->len; i++) {
		struct case_view *cv = cases->pdata[i];

		if (cv->sc->has_facts && strcmp(cv->sc->facts.subject, subject) == 0) {
			found = cv;
			cases->pdata[i] = NULL;
			break;
		}
	}
	g_ptr_array_set_free_func(cases, NULL);
	for (guint i = 0; i < cases->len; i++)
		case_view_free(cases->pdata[i]);
	g_ptr_array_unref(cases);
	assert_non_null(found);
	return found;
}

static void
add_and_index(const char *name, const char *text)
{
	assert_int_equal(fixture_add_message(FX, "INBOX", name, text), 0);
	assert_int_equal(fixture_notmuch(FX, "new --quiet"), 0);
}

static bool
lines_have(GPtrArray *lines, const char *needle)
{
	for (guint i = 0; i < lines->len; i++) {
		if (strstr(lines->pdata[i], needle) != NULL)
			return true;
	}
	return false;
}

static char *
dump_lines(GPtrArray *lines)
{
	GString *s = g_string_new(NULL);

	for (guint i = 0; i < lines->len; i++)
		g_string_append_printf(s, "  %s\n", (char *)lines->pdata[i]);
	return g_string_free(s, FALSE);
}

static void
assert_line(struct compose_plan *p, const char *needle)
{
	if (!lines_have(p->lines, needle)) {
		char *d = dump_lines(p->lines);

		fprintf(stderr, "plan has no line with \"%s\":\n%s", needle, d);
		g_free(d);
		fail();
	}
}

static struct compose_plan *
plan_for(struct case_view *cv, const char *tmpl, struct compose_draft **dout)
{
	struct error err = { { 0 } };
	struct compose_draft *d = NULL;
	struct compose_plan *p = NULL;

	if (compose_draft_from_template(APP, cv, tmpl, NULL, &d, &err) != 0)
		fail_msg("draft: %s", err.msg);
	if (compose_plan_new(APP, cv, d, NULL, &p, &err) != 0)
		fail_msg("plan: %s", err.msg);
	if (dout != NULL)
		*dout = d;
	else
		compose_draft_free(d);
	return p;
}

static void
write_file(const char *path, const char *text)
{
	char *dir = g_path_get_dirname(path);

	assert_int_equal(g_mkdir_with_parents(dir, 0700), 0);
	assert_true(g_file_set_contents(path, text, -1, NULL));
	g_free(dir);
}

/* The number of N.eml files in the outbox. */
static int
outbox_count(void)
{
	int n = 0;

	for (;;) {
		char *p = g_strdup_printf("%s/%d.eml", FX->outbox, n + 1);
		bool there = access(p, F_OK) == 0;

		g_free(p);
		if (!there)
			return n;
		n++;
	}
}

/* --- templates ------------------------------------------------------------------ */

static void
test_template_lookup_order(void **state)
{
	struct error err = { { 0 } };
	char *over = fixture_path(FX, ".config/embargo/templates/update");
	char *shipped = template_shipped_dir(), *path = NULL;
	struct template *t = NULL;

	/* The shipped one first ... */
	assert_int_equal(template_find("update", &path, &err), 0);
	assert_true(g_str_has_prefix(path, shipped));
	g_free(path);
	/* ... until the team writes its own. */
	write_file(over, "Subject: Team override {{case}}\n\nMARK-OVERRIDE for {{reporter}}\n");
	assert_int_equal(template_find("update", &path, &err), 0);
	assert_string_equal(path, over);
	g_free(path);
	{
		struct case_view *cv = case_by_subject("Heap overflow in the config parser");
		GHashTable *vars = compose_template_vars(APP, cv);
		char *want;

		assert_int_equal(template_render("update", vars, &t, &err), 0);
		want = g_strdup_printf("Team override %lld", (long long)cv->sc->id);
		assert_string_equal(t->subject, want);
		assert_string_equal(t->body, "MARK-OVERRIDE for carol@plain.test\n");
		assert_null(t->to);
		g_free(want);
		template_free(t);
		g_hash_table_unref(vars);
		case_view_free(cv);
	}
	unlink(over);
	/* An unknown name, and a name that tries to leave the directory. */
	assert_int_equal(template_find("nosuch", &path, &err), -1);
	assert_non_null(strstr(err.msg, "no template \"nosuch\""));
	assert_int_equal(template_find("../config", &path, &err), -1);
	assert_non_null(strstr(err.msg, "letters, digits"));
	g_free(over);
	g_free(shipped);
}

static void
test_template_placeholders(void **state)
{
	struct error err = { { 0 } };
	struct case_view *cv = case_by_subject("Encrypted report");
	GHashTable *vars = compose_template_vars(APP, cv);
	struct template *t = NULL;
	char *s;

	/* Every shipped template renders for a fixture case (announce needs the list set). */
	g_hash_table_insert(vars, (gpointer)"announce_list", g_strdup("announce@example.org"));
	for (const char *const *n = template_shipped; *n != NULL; n++) {
		if (template_render(*n, vars, &t, &err) != 0)
			fail_msg("template %s: %s", *n, err.msg);
		assert_null(strstr(t->body, "{{"));
		template_free(t);
	}
	assert_int_equal(template_render("ack", vars, &t, &err), 0);
	s = g_strdup_printf("case %lld", (long long)cv->sc->id);
	assert_non_null(strstr(t->body, s));
	assert_non_null(strstr(t->body, cv->sc->ref));
	assert_non_null(strstr(t->body, "Hello Rita Reporter,"));
	assert_non_null(strstr(t->body, "2026-11-27")); /* next update: now + 5d */
	g_free(s);
	template_free(t);

	/* The distros template addresses the list and says what the list asks for. */
	assert_int_equal(template_render("distros", vars, &t, &err), 0);
	assert_string_equal(t->to, "distros@vs.openwall.org");
	assert_non_null(strstr(t->body, "14 days"));
	assert_non_null(strstr(t->body, "CVE:"));
	assert_non_null(strstr(t->body, "not yet assigned"));
	assert_non_null(strstr(t->body, "Public disclosure:"));
	template_free(t);
	g_hash_table_unref(vars);
	case_view_free(cv);
}

static void
test_template_errors(void **state)
{
	struct error err = { { 0 } };
	char *over = fixture_path(FX, ".config/embargo/templates/ack");
	GHashTable *vars = g_hash_table_new(g_str_hash, g_str_equal);
	struct template *t = NULL;

	int rc;

	g_hash_table_insert(vars, (gpointer)"reporter_name", (gpointer)"R");
	write_file(over, "Hello {{reporter_name}},\n\nsee {{ nonsense }} here\n");
	rc = template_render("ack", vars, &t, &err);
	unlink(over);
	assert_int_equal(rc, -1);
	assert_non_null(strstr(err.msg, "unknown placeholder {{nonsense}}"));
	assert_non_null(strstr(err.msg, over));
	assert_non_null(strstr(err.msg, ":3:"));
	g_free(over);

	assert_int_equal(template_render_text("x", "T", "a {{case", vars, &t, &err), -1);
	assert_non_null(strstr(err.msg, "T:1: \"{{\" without a closing"));
	assert_int_equal(template_render_text("x", "T", "To: a@b.c\nBcc: evil@x\n\nbody", vars, &t, &err), -1);
	assert_non_null(strstr(err.msg, "T:2:"));
	assert_int_equal(template_render_text("x", "T", "To: a@b\nTo: c@d\n\nbody", vars, &t, &err), -1);
	assert_non_null(strstr(err.msg, "second To"));
	assert_int_equal(template_render_text("x", "T", "bad \xff utf-8", vars, &t, &err), -1);
	assert_non_null(strstr(err.msg, "not UTF-8"));
	/* A value with no default and no value is named. */
	assert_int_equal(template_render_text("x", "T", "To: {{announce_list}}\n\nhi", vars, &t, &err), -1);
	assert_non_null(strstr(err.msg, "{{announce_list}} has no value"));
	/* A first line that is no header: the whole file is the body. */
	g_hash_table_insert(vars, (gpointer)"subject", (gpointer)"x\r\nBcc: evil@evil.test");
	assert_int_equal(template_render_text("x", "T", "Dear: {{subject}}\n", vars, &t, &err), 0);
	assert_null(t->to);
	/* In the body a line break is only text; CR never passes. */
	assert_string_equal(t->body, "Dear: x \nBcc: evil@evil.test\n");
	template_free(t);
	assert_int_equal(template_render_text("x", "T", "Subject: {{subject}}\n\nb", vars, &t, &err), 0);
	assert_string_equal(t->subject, "x  Bcc: evil@evil.test");
	template_free(t);
	g_hash_table_unref(vars);
}

/* --- the plan ------------------------------------------------------------------- */

static void
test_plan_encrypted_reporter(void **state)
{
	struct case_view *cv = case_by_subject("Encrypted report");
	struct compose_draft *d = NULL;
	struct compose_plan *p = plan_for(cv, "ack", &d);
	char *rita = fixture_fpr(FX, "rita"), *team = fixture_fpr(FX, "team"), *s;

	assert_true(compose_plan_ok(p));
	assert_true(p->encrypt);
	assert_true(p->must_encrypt);
	assert_int_equal(p->recipients->len, 1);
	s = g_strdup_printf("rita@reporter.test: encrypted to Rita Reporter <rita@reporter.test> %s", rita);
	assert_line(p, s);
	g_free(s);
	s = g_strdup_printf("team copy: encrypted to Example Security Team <security@example.org> %s", team);
	assert_line(p, s);
	g_free(s);
	s = g_strdup_printf("signed by Example Security Team <security@example.org> %s", team);
	assert_line(p, s);
	g_free(s);
	assert_line(p, "Subject: Re: Encrypted report");
	assert_line(p, "In-Reply-To: <enc-signed@fixture.test>");
	assert_string_equal(d->in_reply_to, "enc-signed@fixture.test");
	assert_int_equal(d->references->len, 1);
	g_free(rita);
	g_free(team);
	compose_plan_free(p);
	compose_draft_free(d);
	case_view_free(cv);
}

static void
test_plan_missing_key_refused(void **state)
{
	struct case_view *cv;
	struct compose_plan *p;

	/* An encrypted (inline PGP) report from someone whose key the team does not have. */
	add_and_index("nokey",
	    "From: Nick Nokey <nick@nokey.test>\n"
	    "To: security@example.org\n"
	    "Subject: Encrypted, key unknown\n"
	    "Date: Fri, 20 Nov 2026 10:00:00 +0000\n"
	    "Message-ID: <nokey@fixture.test>\n"
	    "\n"
	    "-----BEGIN PGP MESSAGE-----\n\nhQEMA0xxxx\n-----END PGP MESSAGE-----\n");
	cv = case_by_subject("Encrypted, key unknown");
	assert_true(cv->sc->facts.reporter_encrypted);
	p = plan_for(cv, "ack", NULL);
	assert_false(compose_plan_ok(p));
	assert_false(p->encrypt);
	assert_line(p, "refused: nick@nokey.test has no usable OpenPGP key (missing): import it "
	    "with `gpg --import KEYFILE` or `gpg --locate-keys nick@nokey.test`, then try again");
	assert_line(p, "the reporter wrote encrypted");
	assert_line(p, "nick@nokey.test: NOT ENCRYPTED (no usable key: missing)");
	compose_plan_free(p);
	case_view_free(cv);
}

static void
test_plan_auto_and_always(void **state)
{
	struct case_view *cv = case_by_subject("Heap overflow in the config parser");
	struct compose_plan *p = plan_for(cv, "ack", NULL);
	char *team = fixture_fpr(FX, "team"), *s;

	/* auto, a plain reporter without a key: sent unencrypted, but signed. */
	assert_true(compose_plan_ok(p));
	assert_false(p->encrypt);
	assert_false(p->must_encrypt);
	assert_line(p, "carol@plain.test: NOT ENCRYPTED");
	s = g_strdup_printf("signed by Example Security Team <security@example.org> %s", team);
	assert_line(p, s);
	g_free(s);
	compose_plan_free(p);

	/* always: the same reply is refused. */
	APP->cfg->encrypt = ENCRYPT_ALWAYS;
	p = plan_for(cv, "ack", NULL);
	APP->cfg->encrypt = ENCRYPT_AUTO;
	assert_false(compose_plan_ok(p));
	assert_line(p, "refused: carol@plain.test has no usable OpenPGP key (missing)");
	assert_line(p, "encrypt = always");
	compose_plan_free(p);

	/* No team key: nothing can be signed, so nothing is sent. */
	{
		char *saved = APP->cfg->team_key;

		APP->cfg->team_key = NULL;
		p = plan_for(cv, "ack", NULL);
		APP->cfg->team_key = saved;
		assert_false(compose_plan_ok(p));
		assert_line(p, "refused: no team key to sign with: set [crypto] team_key");
		compose_plan_free(p);
	}
	g_free(team);
	case_view_free(cv);
}

static void
test_plan_addresses_and_followups(void **state)
{
	struct error err = { { 0 } };
	struct case_view *cv;
	struct compose_draft *d = NULL;
	struct compose_plan *p;

	/* A follow-up asking for replies elsewhere and copying in a stranger. */
	add_and_index("t5-6",
	    "From: Rita Reporter <rita@reporter.test>\n"
	    "Reply-To: Not Rita <collector@evil.test>\n"
	    "Cc: stranger@evil.test\n"
	    "To: security@example.org\n"
	    "Subject: Re: Auth bypass in login form\n"
	    "Date: Thu, 12 Nov 2026 12:00:00 +0000\n"
	    "Message-ID: <t5-6@fixture.test>\n"
	    "In-Reply-To: <t5-5@fixture.test>\n"
	    "References: <t5-1@fixture.test> <t5-5@fixture.test>\n"
	    "\n"
	    "Please answer to my other address.\n");
	cv = case_by_subject("Auth bypass in login form");
	p = plan_for(cv, "update", &d);
	assert_int_equal(d->to->len, 1);
	assert_string_equal(((struct mail_addr *)d->to->pdata[0])->addr, "rita@reporter.test");
	assert_string_equal(d->in_reply_to, "t5-6@fixture.test");
	assert_string_equal(d->references->pdata[0], "t5-1@fixture.test");
	assert_string_equal(d->references->pdata[d->references->len - 1], "t5-6@fixture.test");
	assert_true(compose_plan_ok(p));
	assert_line(p, "warning: message <t5-6@fixture.test> asks for replies to collector@evil.test "
	    "(Reply-To); this reply still goes to the case's reporter rita@reporter.test");
	assert_line(p, "warning: message <t5-6@fixture.test> has stranger@evil.test in Cc");
	compose_plan_free(p);

	/* Addresses built to look like sendmail options are refused, not passed on. */
	assert_int_equal(compose_draft_set_recipients(d, "-oQ/tmp/x@evil.test",
	    "\"-X/tmp/log\"@evil.test", &err), 0);
	if (compose_plan_new(APP, cv, d, NULL, &p, &err) != 0)
		fail_msg("plan: %s", err.msg);
	assert_false(compose_plan_ok(p));
	assert_line(p, "refused: cannot send to \"-oq/tmp/x@evil.test\": it starts with '-'");
	compose_plan_free(p);
	assert_int_equal(compose_draft_set_recipients(d, "", NULL, &err), -1);
	assert_non_null(strstr(err.msg, "To: no recipient"));
	compose_draft_free(d);
	case_view_free(cv);
}

/* --- building and sending ------------------------------------------------------- */

static void
test_header_injection(void **state)
{
	struct error err = { { 0 } };
	struct compose_sent *sent = NULL;
	struct compose_draft *d = NULL;
	struct case_view *cv;
	GMimeParser *parser;
	GMimeStream *st;
	GMimeMessage *msg;
	InternetAddressList *to;
	char *path, *text, *hdr_end;
	int n = outbox_count(), subjects = 0;

	add_and_index("inject",
	    "From: =?utf-8?q?Eve=0D=0ABcc:_bcc1@evil.test?= <eve@inject.test>\n"
	    "To: security@example.org\n"
	    "Subject: =?utf-8?q?Crash=0D=0ABcc:_bcc2@evil.test?=\n"
	    "Date: Fri, 20 Nov 2026 11:00:00 +0000\n"
	    "Message-ID: <inject@fixture.test>\n"
	    "\n"
	    "MARK-INJECT\n");
	cv = case_by_subject("Crash\r\nBcc: bcc2@evil.test");
	assert_int_equal(compose_draft_from_template(APP, cv, "ack", NULL, &d, &err), 0);
	if (compose_send(APP, cv, d, NULL, &sent, &err) != 0)
		fail_msg("send: %s", err.msg);
	assert_int_equal(outbox_count(), n + 1);
	path = g_strdup_printf("%s/%d.eml", FX->outbox, n + 1);
	text = fixture_read_file(path, NULL);
	assert_non_null(text);
	hdr_end = strstr(text, "\n\n");
	assert_non_null(hdr_end);
	hdr_end[1] = '\0';
	for (char *l = text; l != NULL && *l != '\0'; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
		assert_false(g_ascii_strncasecmp(l, "Bcc:", 4) == 0);
		subjects += g_ascii_strncasecmp(l, "Subject:", 8) == 0;
	}
	assert_int_equal(subjects, 1);
	g_free(text);

	/* And as a mail reader sees it: one To, no Bcc, the subject on one line. */
	text = fixture_read_file(path, NULL);
	st = g_mime_stream_mem_new_with_buffer(text, strlen(text));
	parser = g_mime_parser_new_with_stream(st);
	msg = g_mime_parser_construct_message(parser, NULL);
	assert_non_null(msg);
	to = g_mime_message_get_to(msg);
	assert_int_equal(internet_address_list_length(to), 1);
	assert_string_equal(internet_address_mailbox_get_addr(
	    INTERNET_ADDRESS_MAILBOX(internet_address_list_get_address(to, 0))),
	    "eve@inject.test");
	assert_int_equal(internet_address_list_length(g_mime_message_get_bcc(msg)), 0);
	assert_null(strchr(g_mime_message_get_subject(msg), '\n'));
	assert_string_equal(g_mime_message_get_subject(msg), "Re: Crash  Bcc: bcc2@evil.test");
	g_object_unref(msg);
	g_object_unref(parser);
	g_object_unref(st);
	g_free(text);
	g_free(path);
	compose_sent_free(sent);
	compose_draft_free(d);
	case_view_free(cv);
}

static void
test_send_encrypted_ack(void **state)
{
	struct error err = { { 0 } };
	struct compose_sent *sent = NULL;
	struct compose_draft *d = NULL;
	struct case_view *cv = case_by_subject("Encrypted report"), *after;
	GPtrArray *events = NULL;
	char *path, *text, *cmd, *out = NULL;
	bool found = false, exists = true;
	int n = outbox_count(), status;

	assert_int_equal(cv->dl.d[0].kind, DL_ACK);
	assert_int_equal(cv->dl.d[0].met_at, 0);
	assert_int_equal(compose_draft_from_template(APP, cv, "ack", NULL, &d, &err), 0);
	OK(draft_save(APP, d, &err));
	if (compose_send(APP, cv, d, NULL, &sent, &err) != 0)
		fail_msg("send: %s", err.msg);
	if (sent->warnings->len > 0)
		fail_msg("warning: %s", (char *)sent->warnings->pdata[0]);
	assert_non_null(sent->path);
	assert_true(strstr(sent->path, "/mail/Sent/cur/") != NULL);
	assert_true(g_str_has_suffix(sent->path, ":2,S"));

	path = g_strdup_printf("%s/%d.eml", FX->outbox, n + 1);
	text = fixture_read_file(path, NULL);
	assert_non_null(strstr(text, "Content-Type: multipart/encrypted"));
	assert_non_null(strstr(text, "In-Reply-To: <enc-signed@fixture.test>"));
	assert_null(strstr(text, "Hello Rita")); /* the body is only inside the ciphertext */
	g_free(text);
	/* The sent copy is the same bytes. */
	{
		char *a = fixture_read_file(path, NULL), *b = fixture_read_file(sent->path, NULL);

		assert_string_equal(a, b);
		g_free(a);
		g_free(b);
	}
	/* It decrypts with rita's key and carries the team's good signature. */
	cmd = g_strdup_printf("sed -n '/BEGIN PGP MESSAGE/,/END PGP MESSAGE/p' %s | "
	    "GNUPGHOME=%s gpg --batch --status-fd 1 --decrypt 2>/dev/null", path,
	    FX->gnupghome_reporters);
	assert_int_equal(fixture_run(cmd, &out, &status), 0);
	assert_int_equal(status, 0);
	assert_non_null(strstr(out, "Hello Rita Reporter,"));
	{
		char *team = fixture_fpr(FX, "team"), *want = g_strdup_printf("VALIDSIG %s", team);

		assert_non_null(strstr(out, want));
		g_free(team);
		g_free(want);
	}
	g_free(out);
	g_free(cmd);
	g_free(path);

	/* Recorded, draft gone, ack met at once. */
	assert_int_equal(store_events(APP->st, cv->sc->id, &events, &err), 0);
	for (guint i = 0; i < events->len; i++) {
		const struct store_event *ev = events->pdata[i];

		if (strcmp(ev->kind, "reply-sent") == 0 && strstr(ev->value, sent->msgid) &&
		    g_str_has_prefix(ev->value, "ack "))
			found = true;
	}
	assert_true(found);
	g_ptr_array_unref(events);
	assert_int_equal(draft_exists(APP, cv->sc->id, &exists, NULL, &err), 0);
	assert_false(exists);
	assert_int_equal(app_case(APP, "enc-signed", &after, &err) == 0 ||
	    app_case(APP, cv->sc->ref, &after, &err) == 0, 1);
	assert_int_equal(after->dl.d[0].kind, DL_ACK);
	assert_int_not_equal(after->dl.d[0].met_at, 0);
	assert_int_equal(after->dl.d[0].urgency, URG_MET);
	case_view_free(after);
	compose_sent_free(sent);
	compose_draft_free(d);
	case_view_free(cv);
}

static void
test_sendmail_fails(void **state)
{
	struct error err = { { 0 } };
	struct compose_sent *sent = NULL;
	struct compose_draft *d = NULL, *back = NULL;
	struct case_view *cv = case_by_subject("Signed report");
	GPtrArray *events = NULL;
	bool exists = false;

	assert_int_equal(compose_draft_from_template(APP, cv, "update", NULL, &d, &err), 0);
	compose_draft_set_body(d, "MARK-DRAFT-SENDFAIL\n");
	OK(draft_save(APP, d, &err));
	setenv("SENDMAIL_EXIT", "75", 1);
	setenv("SENDMAIL_STDERR", "mta: queue is full, try later", 1);
	assert_int_equal(compose_send(APP, cv, d, NULL, &sent, &err), -1);
	unsetenv("SENDMAIL_EXIT");
	unsetenv("SENDMAIL_STDERR");
	assert_null(sent);
	assert_non_null(strstr(err.msg, "exited with status 75"));
	assert_non_null(strstr(err.msg, "mta: queue is full, try later"));
	assert_int_equal(draft_exists(APP, cv->sc->id, &exists, NULL, &err), 0);
	assert_true(exists);
	assert_int_equal(draft_load(APP, cv->sc->id, &back, &err), 0);
	assert_string_equal(back->body, "MARK-DRAFT-SENDFAIL\n");
	assert_int_equal(store_events(APP->st, cv->sc->id, &events, &err), 0);
	for (guint i = 0; i < events->len; i++)
		assert_string_not_equal(((struct store_event *)events->pdata[i])->kind, "reply-sent");
	g_ptr_array_unref(events);

	/* A command that does not exist: the same, with the shell's complaint. */
	{
		char *saved = APP->cfg->sendmail;

		APP->cfg->sendmail = (char *)"/nonexistent/sendmail -t";
		assert_int_equal(compose_send(APP, cv, d, NULL, &sent, &err), -1);
		APP->cfg->sendmail = saved;
		assert_non_null(strstr(err.msg, "exited with status 127"));
		assert_non_null(strstr(err.msg, "not found"));
	}
	assert_int_equal(draft_delete(APP, cv->sc->id, &err), 0);
	compose_draft_free(back);
	compose_draft_free(d);
	case_view_free(cv);
}

/* --- drafts --------------------------------------------------------------------- */

static bool
file_has(const char *path, const char *needle)
{
	size_t len = 0;
	char *data = fixture_read_file(path, &len);
	bool has;

	if (data == NULL)
		return false;
	has = memmem(data, len, needle, strlen(needle)) != NULL;
	g_free(data);
	return has;
}

static void
test_draft_round_trip(void **state)
{
	struct error err = { { 0 } };
	struct compose_draft *d = NULL, *back = NULL;
	struct case_view *cv = case_by_subject("Partly signed report");
	char *wal = g_strdup_printf("%s-wal", FX->store);
	time_t updated = 0;
	bool exists = false;

	assert_int_equal(draft_load(APP, cv->sc->id, &back, &err), 1);
	assert_null(back);
	assert_int_equal(compose_draft_from_template(APP, cv, "response", NULL, &d, &err), 0);
	assert_int_equal(compose_draft_set_recipients(d, "Rita \"R\" Reporter <rita@reporter.test>",
	    "Bob Handler <bob@example.org>, carol@plain.test", &err), 0);
	compose_draft_set_subject(d, "Re: Partly\nsigned");
	compose_draft_set_body(d, "Grüße, MARK-DRAFT-BODY-4711\n\nsecond paragraph\n");
	OK(draft_save(APP, d, &err));
	assert_int_equal(draft_exists(APP, cv->sc->id, &exists, &updated, &err), 0);
	assert_true(exists);
	assert_int_equal(updated, APP->now);

	/* Only ciphertext is stored. */
	assert_false(file_has(FX->store, "MARK-DRAFT-BODY-4711"));
	assert_false(file_has(wal, "MARK-DRAFT-BODY-4711"));

	assert_int_equal(draft_load(APP, cv->sc->id, &back, &err), 0);
	assert_string_equal(back->body, d->body);
	assert_string_equal(back->subject, "Re: Partly signed");
	assert_string_equal(back->template_name, "response");
	assert_int_equal(back->to->len, 1);
	assert_int_equal(back->cc->len, 2);
	assert_string_equal(((struct mail_addr *)back->cc->pdata[0])->name, "Bob Handler");
	assert_string_equal(((struct mail_addr *)back->cc->pdata[1])->addr, "carol@plain.test");
	assert_string_equal(back->in_reply_to, d->in_reply_to);
	assert_int_equal(back->references->len, d->references->len);
	compose_draft_free(back);

	/* Without a team key nothing is written, not even in plaintext. */
	{
		char *saved = APP->cfg->team_key;

		compose_draft_set_body(d, "MARK-DRAFT-NOKEY\n");
		APP->cfg->team_key = NULL;
		assert_int_equal(draft_save(APP, d, &err), -1);
		APP->cfg->team_key = saved;
		assert_non_null(strstr(err.msg, "team_key"));
		assert_false(file_has(FX->store, "MARK-DRAFT-NOKEY"));
		assert_false(file_has(wal, "MARK-DRAFT-NOKEY"));
		assert_int_equal(draft_load(APP, cv->sc->id, &back, &err), 0);
		assert_non_null(strstr(back->body, "MARK-DRAFT-BODY-4711"));
		compose_draft_free(back);
	}
	assert_int_equal(draft_delete(APP, cv->sc->id, &err), 0);
	assert_int_equal(draft_exists(APP, cv->sc->id, &exists, NULL, &err), 0);
	assert_false(exists);
	g_free(wal);
	compose_draft_free(d);
	case_view_free(cv);
}

static void
test_draft_parse_bad(void **state)
{
	struct error err = { { 0 } };
	struct compose_draft *d = NULL;
	static const char *const bad[] = {
		"To: no-brackets\n\nbody",
		"Nonsense: x\n\nbody",
		"X-Embargo-Template: ack\n",
		"no colon here\n\nbody",
	};

	for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
		assert_int_equal(draft_parse(1, bad[i], strlen(bad[i]), &d, &err), -1);
		assert_non_null(strstr(err.msg, "draft of case 1"));
	}
	assert_int_equal(draft_parse(1, "To: <a@b.c>\0\n\nx", 16, &d, &err), -1);
	assert_non_null(strstr(err.msg, "not UTF-8"));
	assert_int_equal(draft_parse(1, "To: <a@b.c> A\n\n", 15, &d, &err), 0);
	assert_string_equal(d->body, "");
	assert_string_equal(((struct mail_addr *)d->to->pdata[0])->name, "A");
	compose_draft_free(d);
}

static bool
dir_is_empty(const char *path)
{
	DIR *dp = opendir(path);
	struct dirent *de;
	bool empty = true;

	assert_non_null(dp);
	while ((de = readdir(dp)) != NULL) {
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
			empty = false;
	}
	closedir(dp);
	return empty;
}

static void
test_edit_external(void **state)
{
	struct error err = { { 0 } };
	char *run = fixture_path(FX, "run"), *body = g_strdup("hello MARK-EDIT\n");
	char *cmd;

	assert_int_equal(mkdir(run, 0700) == 0 || access(run, F_OK) == 0, 1);
	/* The editor sees a 0600 file in a 0700 directory under XDG_RUNTIME_DIR, and a backup file it leaves is removed too. */
	cmd = g_strdup_printf("f() { test \"$(stat -c %%a \"$1\")\" = 600 && "
	    "test \"$(stat -c %%a \"$(dirname \"$1\")\")\" = 700 && "
	    "case \"$1\" in %s/*) ;; *) exit 9;; esac && cp \"$1\" \"$1~\" && "
	    "sed -i 's/hello/bye/' \"$1\"; }; f", run);
	assert_int_equal(compose_edit_external(cmd, &body, &err), 0);
	assert_string_equal(body, "bye MARK-EDIT\n");
	assert_true(dir_is_empty(run));
	g_free(cmd);

	/* A failing editor keeps the body. */
	assert_int_equal(compose_edit_external("false", &body, &err), -1);
	assert_non_null(strstr(err.msg, "exited with status 1"));
	assert_string_equal(body, "bye MARK-EDIT\n");
	assert_true(dir_is_empty(run));

	/* $VISUAL wins over $EDITOR. */
	setenv("VISUAL", "sed -i 's/bye/visual/'", 1);
	setenv("EDITOR", "false", 1);
	assert_int_equal(compose_edit_external(NULL, &body, &err), 0);
	assert_string_equal(body, "visual MARK-EDIT\n");
	unsetenv("VISUAL");
	unsetenv("EDITOR");
	g_free(body);
	g_free(run);
}

/* --- key choice ----------------------------------------------------------------- */

static void
gen_key(const char *uid, const char *algo, const char *usage, const char *expire)
{
	char *cmd = g_strdup_printf("gpg --batch --quiet --passphrase '' --quick-gen-key '%s' %s %s %s "
	    ">/dev/null 2>&1", uid, algo, usage, expire);
	int status = -1;

	assert_int_equal(fixture_run(cmd, NULL, &status), 0);
	assert_int_equal(status, 0);
	g_free(cmd);
}

static void
test_key_choice(void **state)
{
	struct error err = { { 0 } };
	struct crypto_key_choice k = { 0 };
	struct case_view *cv;
	struct compose_plan *p;
	char *rita = fixture_fpr(FX, "rita"), *mallory = fixture_fpr(FX, "mallory"), *s;

	assert_int_equal(app_open_crypto(APP, &err), 0);
	/* No encryption subkey; expired; a second key claiming rita's address. */
	gen_key("Sign Only <signonly@keys.test>", "ed25519", "sign", "never");
	gen_key("Old Key <expired@keys.test>", "future-default", "default", "seconds=1");
	gen_key("Not Rita <rita@reporter.test>", "future-default", "default", "never");
	sleep(2);
	OK(crypto_key_for_address(APP->crypto, "signonly@keys.test", NULL, &k, &err));
	assert_int_equal(k.problem, KEY_CANNOT_ENCRYPT);
	assert_non_null(k.fpr);
	crypto_key_choice_clear(&k);
	OK(crypto_key_for_address(APP->crypto, "expired@keys.test", NULL, &k, &err));
	assert_int_equal(k.problem, KEY_EXPIRED);
	crypto_key_choice_clear(&k);
	/* Exact address match only: a longer address holding this one is no match. */
	assert_int_equal(crypto_key_for_address(APP->crypto, "keys.test", NULL, &k, &err), -1);
	assert_non_null(strstr(err.msg, "is not an address"));
	OK(crypto_key_for_address(APP->crypto, "only@keys.test", NULL, &k, &err));
	assert_int_equal(k.problem, KEY_MISSING);
	crypto_key_choice_clear(&k);
	/* With a pinned key, only that key may be used. */
	OK(crypto_key_for_address(APP->crypto, "rita@reporter.test", rita, &k, &err));
	assert_int_equal(k.problem, KEY_OK);
	assert_string_equal(k.fpr, rita);
	crypto_key_choice_clear(&k);
	OK(crypto_key_for_address(APP->crypto, "rita@reporter.test", mallory, &k, &err));
	assert_int_equal(k.problem, KEY_NOT_PINNED);
	crypto_key_choice_clear(&k);

	/* The encrypted report is signed by rita's real key: the reply goes to that one. */
	cv = case_by_subject("Inline encrypted report");
	p = plan_for(cv, "update", NULL);
	assert_true(compose_plan_ok(p));
	s = g_strdup_printf("rita@reporter.test: encrypted to Rita Reporter <rita@reporter.test> %s", rita);
	assert_line(p, s);
	g_free(s);
	compose_plan_free(p);
	case_view_free(cv);
	g_free(rita);
	g_free(mallory);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_template_lookup_order),
		cmocka_unit_test(test_template_placeholders),
		cmocka_unit_test(test_template_errors),
		cmocka_unit_test(test_plan_encrypted_reporter),
		cmocka_unit_test(test_plan_missing_key_refused),
		cmocka_unit_test(test_plan_auto_and_always),
		cmocka_unit_test(test_plan_addresses_and_followups),
		cmocka_unit_test(test_header_injection),
		cmocka_unit_test(test_send_encrypted_ack),
		cmocka_unit_test(test_sendmail_fails),
		cmocka_unit_test(test_draft_round_trip),
		cmocka_unit_test(test_draft_parse_bad),
		cmocka_unit_test(test_edit_external),
		cmocka_unit_test(test_key_choice),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
