/* tests/test_oncall.c: the rota (parsing, who is on call when) and the notification bookkeeping. */
#include "build-config.h"

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <glib.h>

#include "core/clock.h"
#include "core/oncall.h"
#include "core/sanitize.h"
#include "core/store.h"

struct fx {
	char *dir;
	struct config *cfg;
	struct store *st;
};

static int
rm_one(const char *p, const struct stat *sb, int type, struct FTW *ftw)
{
	(void)sb;
	(void)type;
	(void)ftw;
	return remove(p);
}

static int
setup(void **state)
{
	struct fx *fx = g_new0(struct fx, 1);

	fx->dir = g_strdup("/tmp/oc.XXXXXX");
	if (mkdtemp(fx->dir) == NULL)
		return -1;
	fx->cfg = config_new_defaults();
	g_strfreev(fx->cfg->handlers);
	fx->cfg->handlers = g_strsplit("alice@example.org;bob@example.org", ";", -1);
	fx->cfg->n_handlers = 2;
	fx->cfg->path = g_build_filename(fx->dir, "config", NULL);
	*state = fx;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *fx = *state;

	store_close(fx->st);
	config_free(fx->cfg);
	nftw(fx->dir, rm_one, 8, FTW_DEPTH | FTW_PHYS);
	g_free(fx->dir);
	g_free(fx);
	return 0;
}

static time_t
iso(const char *s)
{
	struct error err;
	time_t t;

	assert_int_equal(clock_parse_iso8601(s, &t, &err), 0);
	return t;
}

static struct rota *
parse_ok(const struct config *cfg, const char *text)
{
	struct error err = {{0}};
	struct rota *r = NULL;

	if (oncall_rota_parse(cfg, "rota", text, strlen(text), &r, &err) != 0)
		fail_msg("unexpected error: %s", err.msg);
	assert_non_null(r);
	return r;
}

/* Parses TEXT expecting an error that contains every one of the NULL-terminated needles. */
static void
parse_bad(const struct config *cfg, const char *text, size_t len, ...)
{
	struct error err = {{0}};
	struct rota *r = NULL;
	const char *needle;
	va_list ap;

	assert_int_equal(oncall_rota_parse(cfg, "rota", text, len, &r, &err), -1);
	assert_null(r);
	va_start(ap, len);
	while ((needle = va_arg(ap, const char *)) != NULL) {
		if (strstr(err.msg, needle) == NULL)
			fail_msg("error \"%s\" lacks \"%s\"", err.msg, needle);
	}
	va_end(ap);
}

static void
write_file(const char *path, const char *text)
{
	FILE *fp = fopen(path, "w");

	assert_non_null(fp);
	fputs(text, fp);
	assert_int_equal(fclose(fp), 0);
}

static char *
read_all(const char *path)
{
	char *text = NULL;

	if (!g_file_get_contents(path, &text, NULL, NULL))
		return g_strdup("");
	return text;
}

/* --- the rota ------------------------------------------------------------- */

static void
test_rota_parse_good(void **state)
{
	struct fx *fx = *state;
	struct rota *r = parse_ok(fx->cfg,
	    "# the team's rota\n"
	    "\n"
	    "2026-11-01 alice@example.org\n"
	    "   \t\n"
	    "  # indented comment\n"
	    "2026-11-08\tBob@Example.ORG   # a trailing comment\r\n"
	    "2026-11-15  alice@example.org");

	assert_int_equal(r->n, 3);
	assert_int_equal(r->entries[0].from, iso("2026-11-01T00:00:00Z"));
	assert_string_equal(r->entries[0].handler, "alice@example.org");
	assert_int_equal(r->entries[0].line, 3);
	assert_int_equal(r->entries[1].from, iso("2026-11-08T00:00:00Z"));
	assert_string_equal(r->entries[1].handler, "bob@example.org");
	assert_int_equal(r->entries[1].line, 6);
	assert_int_equal(r->entries[2].from, iso("2026-11-15T00:00:00Z"));
	assert_int_equal(r->entries[2].line, 7);
	assert_string_equal(r->path, "rota");
	oncall_rota_free(r);

	/* Nothing but comments: a valid rota with nobody on call. */
	r = parse_ok(fx->cfg, "# nobody yet\n\n");
	assert_int_equal(r->n, 0);
	assert_null(oncall_rota_at(r, iso("2026-11-22T12:00:00Z")));
	oncall_rota_free(r);
}

static void
test_rota_parse_bad_dates(void **state)
{
	struct fx *fx = *state;
	const char *t;

	t = "2026-11-01 alice@example.org\n2026-13-01 bob@example.org\n";
	parse_bad(fx->cfg, t, strlen(t), "rota:2:", "2026-13-01",
	    "not a day of the calendar", "YYYY-MM-DD", NULL);
	t = "2026-02-29 alice@example.org\n";
	parse_bad(fx->cfg, t, strlen(t), "rota:1:", "2026-02-29",
	    "not a day of the calendar", NULL);
	t = "2026-2-01 alice@example.org\n";
	parse_bad(fx->cfg, t, strlen(t), "rota:1:", "\"2026-2-01\" is not a date",
	    "expected YYYY-MM-DD HANDLER", NULL);
	t = "monday alice@example.org\n";
	parse_bad(fx->cfg, t, strlen(t), "rota:1:", "\"monday\" is not a date", NULL);
	t = "2026-11-01T00:00 alice@example.org\n";
	parse_bad(fx->cfg, t, strlen(t), "rota:1:", "is not a date", NULL);
	t = "1969-12-31 alice@example.org\n";
	parse_bad(fx->cfg, t, strlen(t), "rota:1:", "1970 or later", NULL);
	/* A hostile date is quoted safely. */
	t = "\x1b]0;pwned\x07 alice@example.org\n";
	parse_bad(fx->cfg, t, strlen(t), "rota:1:", "is not a date", NULL);
	{
		struct error err = {{0}};
		struct rota *r = NULL;

		assert_int_equal(oncall_rota_parse(fx->cfg, "rota", t, strlen(t), &r, &err), -1);
		assert_null(strchr(err.msg, '\x1b'));
		assert_null(strchr(err.msg, '\x07'));
	}
}

static void
test_rota_parse_bad_handlers(void **state)
{
	struct fx *fx = *state;
	const char *t;

	t = "2026-11-01 alice@example.org\n# x\n2026-11-08 carol@example.org\n";
	parse_bad(fx->cfg, t, strlen(t), "rota:3:", "\"carol@example.org\" is not a handler",
	    "[mail] handlers", "alice@example.org, bob@example.org", NULL);
	t = "2026-11-01\n";
	parse_bad(fx->cfg, t, strlen(t), "rota:1:", "no handler", "YYYY-MM-DD HANDLER", NULL);
	t = "2026-11-01   # only a comment\n";
	parse_bad(fx->cfg, t, strlen(t), "rota:1:", "no handler", NULL);
	t = "2026-11-01 alice@example.org bob@example.org\n";
	parse_bad(fx->cfg, t, strlen(t), "rota:1:", "unexpected \"bob@example.org\"",
	    "after the handler", NULL);
	{
		static const char nul[] = "2026-11-01 alice@example.org\n2026-11-02 al\0ice@example.org\n";

		parse_bad(fx->cfg, nul, sizeof nul - 1, "rota:2:", "NUL byte", NULL);
	}

	/* No handlers configured: every name is unknown, and the message says why. */
	g_strfreev(fx->cfg->handlers);
	fx->cfg->handlers = g_new0(char *, 1);
	fx->cfg->n_handlers = 0;
	t = "2026-11-01 alice@example.org\n";
	parse_bad(fx->cfg, t, strlen(t), "rota:1:", "not a handler", "none is configured", NULL);
}

static void
test_rota_parse_order(void **state)
{
	struct fx *fx = *state;
	const char *t;

	t = "2026-11-01 alice@example.org\n"
	    "2026-11-15 bob@example.org\n"
	    "\n"
	    "2026-11-08 alice@example.org\n";
	parse_bad(fx->cfg, t, strlen(t), "rota:4:", "2026-11-08T00:00:00Z is not after "
	    "2026-11-15T00:00:00Z (line 2)", "increasing order", NULL);
	t = "2026-11-01 alice@example.org\n2026-11-01 bob@example.org\n";
	parse_bad(fx->cfg, t, strlen(t), "rota:2:", "(line 1)", "increasing order", NULL);
}

static void
test_rota_at_boundaries(void **state)
{
	struct fx *fx = *state;
	struct rota *r = parse_ok(fx->cfg,
	    "2026-11-01 alice@example.org\n"
	    "2026-11-08 bob@example.org\n"
	    "2026-11-15 alice@example.org\n");

	assert_null(oncall_rota_at(r, iso("2026-10-31T23:59:59Z")));
	assert_string_equal(oncall_rota_at(r, iso("2026-11-01T00:00:00Z")), "alice@example.org");
	assert_string_equal(oncall_rota_at(r, iso("2026-11-07T23:59:59Z")), "alice@example.org");
	assert_string_equal(oncall_rota_at(r, iso("2026-11-08T00:00:00Z")), "bob@example.org");
	assert_string_equal(oncall_rota_at(r, iso("2026-11-14T23:59:59Z")), "bob@example.org");
	assert_string_equal(oncall_rota_at(r, iso("2026-11-15T00:00:00Z")), "alice@example.org");
	/* The last line holds for ever. */
	assert_string_equal(oncall_rota_at(r, iso("2030-01-01T00:00:00Z")), "alice@example.org");
	assert_null(oncall_rota_at(NULL, iso("2026-11-15T00:00:00Z")));
	oncall_rota_free(r);
}

static void
test_rota_timezone(void **state)
{
	struct fx *fx = *state;
	struct rota *r;

	g_free(fx->cfg->timezone);
	fx->cfg->timezone = g_strdup("Europe/Berlin");
	/* Winter (CET, +01:00) and summer (CEST, +02:00): midnight there. */
	r = parse_ok(fx->cfg, "2026-07-01 alice@example.org\n2026-11-08 bob@example.org\n");
	assert_int_equal(r->entries[0].from, iso("2026-06-30T22:00:00Z"));
	assert_int_equal(r->entries[1].from, iso("2026-11-07T23:00:00Z"));
	assert_null(oncall_rota_at(r, iso("2026-06-30T21:59:59Z")));
	assert_string_equal(oncall_rota_at(r, iso("2026-06-30T22:00:00Z")), "alice@example.org");
	assert_string_equal(oncall_rota_at(r, iso("2026-11-07T22:59:59Z")), "alice@example.org");
	assert_string_equal(oncall_rota_at(r, iso("2026-11-07T23:00:00Z")), "bob@example.org");
	oncall_rota_free(r);

	g_free(fx->cfg->timezone);
	fx->cfg->timezone = g_strdup("America/New_York");
	r = parse_ok(fx->cfg, "2026-11-08 bob@example.org\n");
	assert_int_equal(r->entries[0].from, iso("2026-11-08T05:00:00Z"));
	oncall_rota_free(r);
}

static void
test_rota_path(void **state)
{
	struct fx *fx = *state;
	char *p, *want;
	char *old_home = g_strdup(getenv("HOME"));

	assert_null(oncall_rota_path(fx->cfg));

	fx->cfg->rota = g_strdup("rota.txt");
	p = oncall_rota_path(fx->cfg);
	want = g_build_filename(fx->dir, "rota.txt", NULL);
	assert_string_equal(p, want);
	g_free(p);
	g_free(want);

	g_free(fx->cfg->rota);
	fx->cfg->rota = g_strdup("/etc/embargo/rota");
	p = oncall_rota_path(fx->cfg);
	assert_string_equal(p, "/etc/embargo/rota");
	g_free(p);

	g_free(fx->cfg->rota);
	fx->cfg->rota = g_strdup("~/rota");
	setenv("HOME", "/home/h", 1);
	p = oncall_rota_path(fx->cfg);
	assert_string_equal(p, "/home/h/rota");
	g_free(p);
	if (old_home != NULL)
		setenv("HOME", old_home, 1);
	else
		unsetenv("HOME");
	g_free(old_home);

	/* No config file: relative to the working directory. */
	g_free(fx->cfg->rota);
	fx->cfg->rota = g_strdup("sub/rota");
	g_clear_pointer(&fx->cfg->path, g_free);
	p = oncall_rota_path(fx->cfg);
	assert_string_equal(p, "sub/rota");
	g_free(p);
}

static void
test_oncall_now(void **state)
{
	struct fx *fx = *state;
	struct error err = {{0}};
	char *who = (char *)"untouched", *path, *sub;

	/* No rota configured: nobody, and no error. */
	assert_int_equal(oncall_now(fx->cfg, iso("2026-11-22T12:00:00Z"), &who, &err), 0);
	assert_null(who);

	path = g_build_filename(fx->dir, "rota", NULL);
	write_file(path, "2026-11-01 alice@example.org\n2026-11-22 bob@example.org\n");
	fx->cfg->rota = g_strdup("rota");
	assert_int_equal(oncall_now(fx->cfg, iso("2026-11-22T12:00:00Z"), &who, &err), 0);
	assert_string_equal(who, "bob@example.org");
	g_free(who);
	assert_int_equal(oncall_now(fx->cfg, iso("2026-11-21T23:59:59Z"), &who, &err), 0);
	assert_string_equal(who, "alice@example.org");
	g_free(who);
	assert_int_equal(oncall_now(fx->cfg, iso("2026-10-01T00:00:00Z"), &who, &err), 0);
	assert_null(who);

	/* A bad file: the error names the file and line; WHO is left alone. */
	write_file(path, "2026-11-01 alice@example.org\n2026-11-22 mallory@evil.test\n");
	who = (char *)"untouched";
	assert_int_equal(oncall_now(fx->cfg, iso("2026-11-22T12:00:00Z"), &who, &err), -1);
	assert_string_equal(who, "untouched");
	assert_non_null(strstr(err.msg, path));
	assert_non_null(strstr(err.msg, ":2:"));
	assert_non_null(strstr(err.msg, "mallory@evil.test"));

	/* Missing: names the file and the config key. */
	g_free(fx->cfg->rota);
	fx->cfg->rota = g_strdup("missing-rota");
	assert_int_equal(oncall_now(fx->cfg, iso("2026-11-22T12:00:00Z"), &who, &err), -1);
	assert_non_null(strstr(err.msg, "missing-rota"));
	assert_non_null(strstr(err.msg, "[oncall] rota"));
	assert_non_null(strstr(err.msg, "No such file"));

	/* A directory is not a rota. */
	sub = g_build_filename(fx->dir, "adir", NULL);
	assert_int_equal(mkdir(sub, 0700), 0);
	g_free(fx->cfg->rota);
	fx->cfg->rota = g_strdup(sub);
	assert_int_equal(oncall_now(fx->cfg, iso("2026-11-22T12:00:00Z"), &who, &err), -1);
	assert_non_null(strstr(err.msg, "not a regular file"));

	/* Too big. */
	{
		GString *big = g_string_new("# big\n");

		while (big->len <= ONCALL_ROTA_MAX_SIZE)
			g_string_append(big, "# padding padding padding padding padding\n");
		write_file(path, big->str);
		g_string_free(big, TRUE);
	}
	g_free(fx->cfg->rota);
	fx->cfg->rota = g_strdup(path);
	assert_int_equal(oncall_now(fx->cfg, iso("2026-11-22T12:00:00Z"), &who, &err), -1);
	assert_non_null(strstr(err.msg, "larger than"));
	g_free(sub);
	g_free(path);
}

/* --- bookkeeping ---------------------------------------------------------- */

static int64_t
make_case(struct fx *fx, const char *msgid, const char *handler)
{
	struct error err = {{0}};
	int64_t id;

	if (fx->st == NULL) {
		char *path = g_build_filename(fx->dir, "cases.db", NULL);

		if (store_open(path, &fx->st, &err) != 0)
			fail_msg("store_open: %s", err.msg);
		g_free(path);
	}
	if (store_case_ensure(fx->st, msgid, NULL, "alice@example.org",
	    iso("2026-11-20T09:00:00Z"), &id, NULL, &err) != 0)
		fail_msg("store_case_ensure: %s", err.msg);
	if (handler != NULL) {
		struct store_event ev = {0};

		ev.case_id = id;
		ev.author = (char *)"alice@example.org";
		ev.at = iso("2026-11-20T10:00:00Z");
		ev.kind = (char *)"handler";
		ev.value = (char *)handler;
		if (store_append_event(fx->st, &ev, false, NULL, NULL, &err) != 0)
			fail_msg("store_append_event: %s", err.msg);
	}
	return id;
}

/* The case as a front end sees it, with SUBJECT as its mail's subject. */
static struct case_view *
view_of(struct fx *fx, int64_t id, const char *subject)
{
	struct case_view *cv = g_new0(struct case_view, 1);
	struct error err = {{0}};

	if (store_case_get(fx->st, id, &cv->sc, &err) != 0)
		fail_msg("store_case_get: %s", err.msg);
	if (subject != NULL) {
		cv->sc->has_facts = true;
		cv->sc->facts.subject = g_strdup(subject);
	}
	cv->dl.next = -1;
	return cv;
}

static void
view_free(gpointer p)
{
	struct case_view *cv = p;

	store_case_free(cv->sc);
	g_free(cv);
}

static void
add_deadline(struct case_view *cv, enum deadline_kind kind, const char *due,
    enum urgency u)
{
	struct deadline *d = &cv->dl.d[cv->dl.n++];

	d->kind = kind;
	d->due = iso(due);
	d->start = d->due - 24 * 3600;
	d->urgency = u;
	d->met_at = u == URG_MET ? d->start + 3600 : 0;
}

static void
test_bookkeeping(void **state)
{
	struct fx *fx = *state;
	struct error err = {{0}};
	int64_t a = make_case(fx, "a@test", NULL);
	int64_t b = make_case(fx, "b@test", NULL);
	time_t due = iso("2026-11-21T09:00:00Z");
	bool sent = true, rec = false;
	char *path;

	assert_int_equal(oncall_notified(fx->st, a, DL_ACK, due, URG_SOON, &sent, &err), 0);
	assert_false(sent);
	assert_int_equal(oncall_record(fx->st, a, DL_ACK, due, URG_SOON,
	    iso("2026-11-21T04:00:00Z"), &rec, &err), 0);
	assert_true(rec);
	assert_int_equal(oncall_notified(fx->st, a, DL_ACK, due, URG_SOON, &sent, &err), 0);
	assert_true(sent);
	/* Recording twice changes nothing and says so. */
	assert_int_equal(oncall_record(fx->st, a, DL_ACK, due, URG_SOON,
	    iso("2026-11-21T05:00:00Z"), &rec, &err), 0);
	assert_false(rec);

	/* Another urgency, due time, kind or case is another notification. */
	assert_int_equal(oncall_notified(fx->st, a, DL_ACK, due, URG_OVERDUE, &sent, &err), 0);
	assert_false(sent);
	assert_int_equal(oncall_notified(fx->st, a, DL_ACK, due + 60, URG_SOON, &sent, &err), 0);
	assert_false(sent);
	assert_int_equal(oncall_notified(fx->st, a, DL_RESPONSE, due, URG_SOON, &sent, &err), 0);
	assert_false(sent);
	assert_int_equal(oncall_notified(fx->st, b, DL_ACK, due, URG_SOON, &sent, &err), 0);
	assert_false(sent);

	/* A case that does not exist is refused by the foreign key. */
	assert_int_equal(oncall_record(fx->st, 999, DL_ACK, due, URG_SOON, due, &rec, &err), -1);
	assert_non_null(strstr(err.msg, "notifications"));
	assert_int_equal(oncall_notified(fx->st, a, DL__COUNT, due, URG_SOON, &sent, &err), -1);

	/* It lasts: reopened, the store still knows. */
	store_close(fx->st);
	fx->st = NULL;
	path = g_build_filename(fx->dir, "cases.db", NULL);
	assert_int_equal(store_open(path, &fx->st, &err), 0);
	g_free(path);
	assert_int_equal(oncall_notified(fx->st, a, DL_ACK, due, URG_SOON, &sent, &err), 0);
	assert_true(sent);
}

static void
test_wants_notice(void **state)
{
	struct deadline d = {0};

	(void)state;
	d.urgency = URG_SOON;
	assert_true(oncall_wants_notice(&d));
	d.urgency = URG_OVERDUE;
	assert_true(oncall_wants_notice(&d));
	d.urgency = URG_OK;
	assert_false(oncall_wants_notice(&d));
	d.urgency = URG_MET;
	assert_false(oncall_wants_notice(&d));
	d.urgency = URG_OVERDUE;
	d.met_at = 1;
	assert_false(oncall_wants_notice(&d));
}

static void
test_summary(void **state)
{
	struct fx *fx = *state;
	int64_t id = make_case(fx, "sum@test", "alice@example.org");
	struct case_view *cv = view_of(fx, id, "Heap \x1b[31moverflow\nin parser");
	time_t now = iso("2026-11-22T11:00:00Z");
	char *s, *want;

	add_deadline(cv, DL_ACK, "2026-11-21T09:00:00Z", URG_OVERDUE);
	add_deadline(cv, DL_RESPONSE, "2026-11-22T15:30:00Z", URG_SOON);
	s = oncall_summary(cv, &cv->dl.d[0], now);
	want = g_strdup_printf("case %lld (%s): ack overdue by 1d 2h "
	    "(due 2026-11-21T09:00:00Z), handler alice@example.org, "
	    "subject Heap " SAN_MARK_ESCAPE "overflow in parser",
	    (long long)id, cv->sc->ref);
	assert_string_equal(s, want);
	g_free(s);
	g_free(want);
	s = oncall_summary(cv, &cv->dl.d[1], now);
	assert_non_null(strstr(s, "response due in 4h 30m (due 2026-11-22T15:30:00Z)"));
	assert_null(strchr(s, '\n'));
	g_free(s);
	view_free(cv);

	/* No handler, no subject. */
	id = make_case(fx, "bare@test", NULL);
	cv = view_of(fx, id, NULL);
	add_deadline(cv, DL_ACK, "2026-11-22T12:00:00Z", URG_SOON);
	s = oncall_summary(cv, &cv->dl.d[0], now);
	assert_non_null(strstr(s, "ack due in 1h (due 2026-11-22T12:00:00Z), no handler, subject (none)"));
	g_free(s);
	view_free(cv);
}

static void
test_run_command(void **state)
{
	struct fx *fx = *state;
	struct error err = {{0}};
	char *out = g_build_filename(fx->dir, "out", NULL);
	char *cmd = g_strdup_printf("{ echo \"X=$EMB_T_X\"; cat; } >'%s'", out);
	char *env[] = {(char *)"EMB_T_X=hello world", NULL};
	char *text;
	GString *big;

	assert_int_equal(oncall_run_command(cmd, env, "the summary", &err), 0);
	text = read_all(out);
	assert_string_equal(text, "X=hello world\nthe summary\n");
	g_free(text);

	assert_int_equal(oncall_run_command("exit 4", NULL, "x", &err), -1);
	assert_non_null(strstr(err.msg, "\"exit 4\""));
	assert_non_null(strstr(err.msg, "exited with status 4"));
	assert_int_equal(oncall_run_command("kill -TERM $$", NULL, "x", &err), -1);
	assert_non_null(strstr(err.msg, "killed by signal 15"));

	/* A command that ignores a large input neither blocks nor kills us. */
	big = g_string_new(NULL);
	while (big->len < 1024 * 1024)
		g_string_append(big, "0123456789abcdef");
	assert_int_equal(oncall_run_command("exit 0", NULL, big->str, &err), 0);
	g_string_free(big, TRUE);
	g_free(cmd);
	g_free(out);
}

struct reports {
	GString *log;
	int sent, failed;
};

static void
collect(void *arg, const struct case_view *cv, const struct deadline *d,
    const char *summary, const struct error *failure)
{
	struct reports *r = arg;

	(void)cv;
	(void)d;
	if (failure == NULL) {
		r->sent++;
		g_string_append_printf(r->log, "sent %s\n", summary);
	} else {
		r->failed++;
		g_string_append_printf(r->log, "failed %s\n", failure->msg);
	}
}

static void
test_notify(void **state)
{
	struct fx *fx = *state;
	struct error err = {{0}};
	int64_t id1 = make_case(fx, "n1@test", "bob@example.org");
	int64_t id2 = make_case(fx, "n2@test", NULL);
	GPtrArray *cases = g_ptr_array_new_with_free_func(view_free);
	struct case_view *c1 = view_of(fx, id1, "First");
	struct case_view *c2 = view_of(fx, id2, "Second");
	char *log = g_build_filename(fx->dir, "notify.log", NULL);
	char *flag = g_build_filename(fx->dir, "fail", NULL);
	struct app app = {0};
	struct reports r = {g_string_new(NULL), 0, 0};
	size_t sent = 99, failed = 99;
	char *text;

	add_deadline(c1, DL_ACK, "2026-11-21T09:00:00Z", URG_OVERDUE);
	add_deadline(c1, DL_RESPONSE, "2026-11-22T15:00:00Z", URG_SOON);
	add_deadline(c1, DL_UPDATE, "2026-11-30T15:00:00Z", URG_OK);
	add_deadline(c2, DL_ACK, "2026-11-20T09:00:00Z", URG_MET);
	add_deadline(c2, DL_RESPONSE, "2026-11-22T14:00:00Z", URG_SOON);
	g_ptr_array_add(cases, c1);
	g_ptr_array_add(cases, c2);
	app.cfg = fx->cfg;
	app.st = fx->st;
	app.now = iso("2026-11-22T12:00:00Z");

	/* Unset notify: an error naming the key and the config file. */
	assert_int_equal(oncall_notify(&app, cases, NULL, collect, &r, &sent, &failed, &err), -1);
	assert_non_null(strstr(err.msg, "[oncall] notify"));
	assert_non_null(strstr(err.msg, fx->cfg->path));

	fx->cfg->notify = g_strdup_printf("test ! -e '%s' || exit 1; "
	    "{ echo \"$EMBARGO_CASE $EMBARGO_REF $EMBARGO_KIND $EMBARGO_DUE "
	    "$EMBARGO_URGENCY [$EMBARGO_LEFT] [$EMBARGO_HANDLER] [$EMBARGO_ONCALL] "
	    "[$EMBARGO_SUBJECT]\"; cat; } >>'%s'", flag, log);
	assert_int_equal(oncall_notify(&app, cases, "alice@example.org", collect, &r,
	    &sent, &failed, &err), 0);
	assert_int_equal(sent, 3);
	assert_int_equal(failed, 0);
	assert_int_equal(r.sent, 3);
	text = read_all(log);
	/* Soonest first: c1's overdue ack, c2's response, c1's response. */
	{
		char *want = g_strdup_printf(
		    "%lld %s ack 2026-11-21T09:00:00Z overdue [-1d 3h] [bob@example.org] [alice@example.org] [First]\n"
		    "case %lld (%s): ack overdue by 1d 3h (due 2026-11-21T09:00:00Z), handler bob@example.org, subject First\n"
		    "%lld %s response 2026-11-22T14:00:00Z soon [2h] [] [alice@example.org] [Second]\n"
		    "case %lld (%s): response due in 2h (due 2026-11-22T14:00:00Z), no handler, subject Second\n"
		    "%lld %s response 2026-11-22T15:00:00Z soon [3h] [bob@example.org] [alice@example.org] [First]\n"
		    "case %lld (%s): response due in 3h (due 2026-11-22T15:00:00Z), handler bob@example.org, subject First\n",
		    (long long)id1, c1->sc->ref, (long long)id1, c1->sc->ref,
		    (long long)id2, c2->sc->ref, (long long)id2, c2->sc->ref,
		    (long long)id1, c1->sc->ref, (long long)id1, c1->sc->ref);

		assert_string_equal(text, want);
		g_free(want);
	}
	g_free(text);

	/* Again at the same time: nothing new. */
	assert_int_equal(oncall_notify(&app, cases, NULL, collect, &r, &sent, &failed, &err), 0);
	assert_int_equal(sent, 0);
	assert_int_equal(failed, 0);

	/* c2's response becomes overdue, and the command fails: reported, not recorded. */
	c2->dl.d[1].urgency = URG_OVERDUE;
	app.now = iso("2026-11-22T14:00:01Z");
	write_file(flag, "");
	assert_int_equal(oncall_notify(&app, cases, NULL, collect, &r, &sent, &failed, &err), 0);
	assert_int_equal(sent, 0);
	assert_int_equal(failed, 1);
	assert_non_null(strstr(r.log->str, "failed case"));
	assert_non_null(strstr(r.log->str, "response overdue"));
	assert_non_null(strstr(r.log->str, "exited with status 1"));

	/* Fixed: the next run sends it, once. */
	assert_int_equal(unlink(flag), 0);
	assert_int_equal(oncall_notify(&app, cases, NULL, collect, &r, &sent, &failed, &err), 0);
	assert_int_equal(sent, 1);
	assert_int_equal(failed, 0);
	assert_int_equal(oncall_notify(&app, cases, NULL, collect, &r, &sent, &failed, &err), 0);
	assert_int_equal(sent, 0);
	text = read_all(log);
	assert_non_null(strstr(text, "response 2026-11-22T14:00:00Z overdue [0m] [] [] [Second]\n"));
	g_free(text);

	/* The due time moves (a restarted window): a new deadline. */
	c1->dl.d[1].due = iso("2026-11-22T16:00:00Z");
	assert_int_equal(oncall_notify(&app, cases, NULL, collect, &r, &sent, &failed, &err), 0);
	assert_int_equal(sent, 1);

	g_string_free(r.log, TRUE);
	g_ptr_array_unref(cases);
	g_free(log);
	g_free(flag);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_rota_parse_good, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rota_parse_bad_dates, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rota_parse_bad_handlers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rota_parse_order, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rota_at_boundaries, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rota_timezone, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rota_path, setup, teardown),
		cmocka_unit_test_setup_teardown(test_oncall_now, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bookkeeping, setup, teardown),
		cmocka_unit_test(test_wants_notice),
		cmocka_unit_test_setup_teardown(test_summary, setup, teardown),
		cmocka_unit_test_setup_teardown(test_run_command, setup, teardown),
		cmocka_unit_test_setup_teardown(test_notify, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
