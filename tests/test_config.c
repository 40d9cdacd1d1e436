/* tests/test_config.c: unit tests for core/config (lookup, defaults, every key, validation, bind lines). */
#include "build-config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <ftw.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib.h>

#include "core/config.h"

/* Each test's world: a temp dir that is $HOME, and the warnings it got. */
struct world {
	char dir[32];
	GPtrArray *warnings;
};

static int
rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static int
setup(void **state)
{
	struct world *w = g_new0(struct world, 1);

	g_strlcpy(w->dir, "/tmp/cfgXXXXXX", sizeof w->dir);
	if (mkdtemp(w->dir) == NULL)
		return -1;
	w->warnings = g_ptr_array_new_with_free_func(g_free);
	setenv("HOME", w->dir, 1);
	setenv("EMAIL", "tester@example.net", 1);
	unsetenv("XDG_CONFIG_HOME");
	unsetenv("XDG_DATA_HOME");
	unsetenv("EMBARGO_CONFIG");
	*state = w;
	return 0;
}

static int
teardown(void **state)
{
	struct world *w = *state;
	int rv;

	chmod(w->dir, 0700);
	rv = nftw(w->dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	g_ptr_array_unref(w->warnings);
	g_free(w);
	return rv;
}

static void
collect_warning(void *arg, const char *msg)
{
	g_ptr_array_add(arg, g_strdup(msg));
}

/* Writes TEXT to DIR/NAME (creating parent directories); returns the path (g_free). */
static char *
write_file(const char *dir, const char *name, const char *text)
{
	char *path = g_build_filename(dir, name, NULL);
	char *parent = g_path_get_dirname(path);

	assert_int_equal(g_mkdir_with_parents(parent, 0700), 0);
	assert_true(g_file_set_contents(path, text, -1, NULL));
	g_free(parent);
	return path;
}

/* Loads TEXT as an explicit --config file; fails the test on error. */
static struct config *
load_text(struct world *w, const char *text)
{
	char *path = write_file(w->dir, "config", text);
	struct config *cfg = NULL;
	struct error err = {{0}};

	if (config_load(path, collect_warning, w->warnings, &cfg, &err) != 0)
		fail_msg("config_load: %s", err.msg);
	assert_non_null(cfg);
	assert_string_equal(cfg->path, path);
	g_free(path);
	return cfg;
}

/* Loads TEXT expecting failure; returns the message (g_free) and checks nothing was returned. */
static char *
load_bad(struct world *w, const char *text)
{
	char *path = write_file(w->dir, "config", text);
	struct config *cfg = (struct config *)0x1;
	struct error err = {{0}};

	assert_int_equal(config_load(path, collect_warning, w->warnings, &cfg, &err), -1);
	assert_ptr_equal(cfg, (struct config *)0x1);
	assert_true(g_str_has_prefix(err.msg, path));
	g_free(path);
	return g_strdup(err.msg);
}

static void
assert_contains(const char *haystack, const char *needle)
{
	if (strstr(haystack, needle) == NULL)
		fail_msg("\"%s\" does not contain \"%s\"", haystack, needle);
}

static void
test_defaults_without_file(void **state)
{
	struct world *w = *state;
	struct config *cfg = NULL;
	struct error err = {{0}};
	char *store;

	assert_int_equal(config_load(NULL, collect_warning, w->warnings, &cfg, &err), 0);
	assert_null(cfg->path);
	assert_int_equal(w->warnings->len, 0);
	assert_null(cfg->database);
	assert_null(cfg->query);
	assert_null(cfg->team);
	assert_int_equal(cfg->team_reply, TEAM_REPLY_ANY);
	assert_null(cfg->authserv_id);
	assert_non_null(cfg->handlers);
	assert_null(cfg->handlers[0]);
	assert_int_equal(cfg->n_handlers, 0);
	assert_string_equal(cfg->me, "tester@example.net");
	assert_string_equal(cfg->sendmail, "/usr/sbin/sendmail -oi -t");
	assert_string_equal(cfg->sent_folder, "Sent");
	assert_string_equal(cfg->distros_list, "distros@vs.openwall.org");
	assert_string_equal(cfg->oss_list, "oss-security@lists.openwall.com");
	assert_null(cfg->announce_list);
	assert_null(cfg->team_key);
	assert_int_equal(cfg->encrypt, ENCRYPT_AUTO);
	assert_int_equal(cfg->ack, 24 * 3600);
	assert_int_equal(cfg->response, 48 * 3600);
	assert_int_equal(cfg->update, 5 * 86400);
	assert_int_equal(cfg->distros_notice, 72 * 3600);
	assert_int_equal(cfg->distros_min_severity, SEV_MODERATE);
	assert_int_equal(cfg->distros_max_embargo, 14 * 86400);
	assert_int_equal(cfg->publish_window, 6 * 3600);
	assert_false(cfg->working_days);
	assert_string_equal(cfg->timezone, "UTC");
	assert_non_null(cfg->holidays);
	assert_int_equal(cfg->n_holidays, 0);
	assert_int_equal(cfg->soon_percent, 25);
	assert_int_equal(cfg->soon_min, 6 * 3600);
	store = g_build_filename(w->dir, ".local/share/embargo/cases.db", NULL);
	assert_string_equal(cfg->store_path, store);
	g_free(store);
	assert_int_equal(cfg->oncall_window, 24 * 3600);
	assert_null(cfg->rota);
	assert_null(cfg->notify);
	assert_int_equal(cfg->sync, SYNC_OFF);
	assert_null(cfg->events_address);
	assert_true(cfg->color);
	assert_int_equal(cfg->refresh_secs, 2);
	assert_int_equal(cfg->n_bindings, 0);
	config_free(cfg);
}

static void
test_new_defaults_equals_empty_file(void **state)
{
	struct world *w = *state;
	struct config *a = config_new_defaults();
	struct config *b = load_text(w, "# nothing but a comment\n\n[mail]\n");

	assert_int_equal(a->ack, b->ack);
	assert_int_equal(a->soon_min, b->soon_min);
	assert_int_equal(a->refresh_secs, b->refresh_secs);
	assert_string_equal(a->sendmail, b->sendmail);
	assert_string_equal(a->store_path, b->store_path);
	assert_string_equal(a->me, b->me);
	assert_null(a->query);
	assert_null(b->query);
	config_free(a);
	config_free(b);
	config_free(NULL);
}

static void
test_me_default_without_email(void **state)
{
	struct world *w = *state;
	struct config *cfg;
	struct passwd *pw = getpwuid(getuid());
	char host[256] = "";
	char *want;

	unsetenv("EMAIL");
	cfg = load_text(w, "");
	assert_int_equal(gethostname(host, sizeof host), 0);
	want = g_strdup_printf("%s@%s", pw != NULL ? pw->pw_name : getenv("USER"), host);
	assert_string_equal(cfg->me, want);
	g_free(want);
	config_free(cfg);
	/* An empty $EMAIL counts as unset. */
	setenv("EMAIL", "", 1);
	cfg = load_text(w, "");
	assert_non_null(strchr(cfg->me, '@'));
	assert_string_not_equal(cfg->me, "");
	config_free(cfg);
}

static void
test_store_path_follows_xdg_data_home(void **state)
{
	struct world *w = *state;
	struct config *cfg;
	char *data = g_build_filename(w->dir, "data", NULL);
	char *want;

	setenv("XDG_DATA_HOME", data, 1);
	cfg = config_new_defaults();
	want = g_build_filename(data, "embargo/cases.db", NULL);
	assert_string_equal(cfg->store_path, want);
	g_free(want);
	config_free(cfg);
	/* A relative or empty XDG_DATA_HOME is ignored, as the XDG spec says. */
	want = g_build_filename(w->dir, ".local/share/embargo/cases.db", NULL);
	setenv("XDG_DATA_HOME", "relative/dir", 1);
	cfg = config_new_defaults();
	assert_string_equal(cfg->store_path, want);
	config_free(cfg);
	setenv("XDG_DATA_HOME", "", 1);
	cfg = config_new_defaults();
	assert_string_equal(cfg->store_path, want);
	config_free(cfg);
	g_free(want);
	g_free(data);
}

static const char full_config[] =
	"# every key, set to something other than its default\n"
	"[mail]\n"
	"database = /srv/security/mail\n"
	"query = to:security@example.org and not tag:spam\n"
	"team = security@example.org\n"
	"team_reply = verified\n"
	"authserv_id = mx.example.org\n"
	"handlers = Alice@Example.org;bob@example.org\n"
	"me = alice@example.org\n"
	"sendmail = /usr/bin/msmtp -t\n"
	"sent_folder = Archive/Sent\n"
	"distros_list = distros@example.net\n"
	"oss_list = oss@example.net\n"
	"announce_list = announce@example.org\n"
	"[crypto]\n"
	"team_key = 0123 4567 89ab CDEF 0123  4567 89AB cdef 0123 4567\n"
	"encrypt = always\n"
	"[policy]\n"
	"ack = 90m\n"
	"response = 3d\n"
	"update = 1w\n"
	"distros_notice = 96h\n"
	"distros_min_severity = important\n"
	"distros_max_embargo = 2w\n"
	"publish_window = 12h\n"
	"working_days = true\n"
	"timezone = Europe/Berlin\n"
	"holidays = 2026-12-25;2026-12-26;2027-01-01\n"
	"soon_percent = 40\n"
	"soon_min = 12h\n"
	"[store]\n"
	"path = /var/lib/embargo/cases.db\n"
	"[oncall]\n"
	"window = 2d\n"
	"rota = /etc/embargo/rota\n"
	"notify = notify-send embargo\n"
	"[team]\n"
	"sync = mail\n"
	"events_address = events@example.org\n"
	"[ui]\n"
	"color = false\n"
	"refresh = 30\n"
	"[keys]\n"
	"bind = queue j next;pager q close\n";

static void
test_every_key_valid(void **state)
{
	struct world *w = *state;
	struct config *cfg = load_text(w, full_config);

	assert_int_equal(w->warnings->len, 0);
	assert_string_equal(cfg->database, "/srv/security/mail");
	assert_string_equal(cfg->query, "to:security@example.org and not tag:spam");
	assert_string_equal(cfg->team, "security@example.org");
	assert_int_equal(cfg->team_reply, TEAM_REPLY_VERIFIED);
	assert_string_equal(cfg->authserv_id, "mx.example.org");
	assert_int_equal(cfg->n_handlers, 2);
	assert_string_equal(cfg->handlers[0], "alice@example.org");
	assert_string_equal(cfg->handlers[1], "bob@example.org");
	assert_null(cfg->handlers[2]);
	assert_string_equal(cfg->me, "alice@example.org");
	assert_string_equal(cfg->sendmail, "/usr/bin/msmtp -t");
	assert_string_equal(cfg->sent_folder, "Archive/Sent");
	assert_string_equal(cfg->distros_list, "distros@example.net");
	assert_string_equal(cfg->oss_list, "oss@example.net");
	assert_string_equal(cfg->announce_list, "announce@example.org");
	assert_string_equal(cfg->team_key, "0123456789ABCDEF0123456789ABCDEF01234567");
	assert_int_equal(cfg->encrypt, ENCRYPT_ALWAYS);
	assert_int_equal(cfg->ack, 90 * 60);
	assert_int_equal(cfg->response, 3 * 86400);
	assert_int_equal(cfg->update, 7 * 86400);
	assert_int_equal(cfg->distros_notice, 96 * 3600);
	assert_int_equal(cfg->distros_min_severity, SEV_IMPORTANT);
	assert_int_equal(cfg->distros_max_embargo, 14 * 86400);
	assert_int_equal(cfg->publish_window, 12 * 3600);
	assert_true(cfg->working_days);
	assert_string_equal(cfg->timezone, "Europe/Berlin");
	assert_int_equal(cfg->n_holidays, 3);
	assert_string_equal(cfg->holidays[0], "2026-12-25");
	assert_string_equal(cfg->holidays[2], "2027-01-01");
	assert_null(cfg->holidays[3]);
	assert_int_equal(cfg->soon_percent, 40);
	assert_int_equal(cfg->soon_min, 12 * 3600);
	assert_string_equal(cfg->store_path, "/var/lib/embargo/cases.db");
	assert_int_equal(cfg->oncall_window, 2 * 86400);
	assert_string_equal(cfg->rota, "/etc/embargo/rota");
	assert_string_equal(cfg->notify, "notify-send embargo");
	assert_int_equal(cfg->sync, SYNC_MAIL);
	assert_string_equal(cfg->events_address, "events@example.org");
	assert_false(cfg->color);
	assert_int_equal(cfg->refresh_secs, 30);
	assert_int_equal(cfg->n_bindings, 2);
	assert_string_equal(cfg->bindings[0].context, "queue");
	assert_string_equal(cfg->bindings[0].key, "j");
	assert_string_equal(cfg->bindings[0].action, "next");
	assert_string_equal(cfg->bindings[1].context, "pager");
	assert_int_equal(cfg->bindings[1].line, 44);
	config_free(cfg);
}

static void
test_every_table_key_is_in_the_full_config(void **state)
{
	size_t n = 0;
	const struct config_key_info *keys = config_keys(&n);
	static const char *const groups[] = {"mail", "crypto", "policy", "store", "oncall", "team", "ui", "keys"};

	(void)state;
	assert_int_equal(n, 35);
	for (size_t i = 0; i < n; i++) {
		char *line = g_strdup_printf("\n%s = ", keys[i].key);
		bool known_group = false;

		/* The test above sets every key the table knows. */
		assert_contains(full_config, line);
		g_free(line);
		for (size_t g = 0; g < G_N_ELEMENTS(groups); g++)
			known_group |= strcmp(groups[g], keys[i].group) == 0;
		assert_true(known_group);
		assert_non_null(keys[i].help);
		assert_true(strlen(keys[i].help) > 5);
		for (size_t j = 0; j < i; j++)
			assert_false(strcmp(keys[i].group, keys[j].group) == 0 &&
			    strcmp(keys[i].key, keys[j].key) == 0);
	}
}

static void
test_defaults_in_table_match_behaviour(void **state)
{
	size_t n = 0;
	const struct config_key_info *keys = config_keys(&n);
	struct config *cfg = config_new_defaults();
	int seen = 0;

	(void)state;
	for (size_t i = 0; i < n; i++) {
		const char *d = keys[i].default_value;

		if (strcmp(keys[i].group, "policy") == 0 && strcmp(keys[i].key, "ack") == 0) {
			assert_string_equal(d, "24h");
			seen++;
		}
		if (strcmp(keys[i].key, "sendmail") == 0) {
			assert_string_equal(d, cfg->sendmail);
			seen++;
		}
		if (strcmp(keys[i].key, "timezone") == 0) {
			assert_string_equal(d, cfg->timezone);
			seen++;
		}
		if (strcmp(keys[i].key, "distros_min_severity") == 0) {
			assert_string_equal(d, severity_name(cfg->distros_min_severity));
			seen++;
		}
		if (strcmp(keys[i].key, "team") == 0)
			assert_null(d);
	}
	assert_int_equal(seen, 4);
	config_free(cfg);
}

struct bad_value {
	const char *group, *key, *value, *expected;
};

static void
test_bad_values(void **state)
{
	static const struct bad_value bad[] = {
		{"policy", "ack", "5x", "expected a duration like 90m, 24h, 5d or 2w"},
		{"policy", "response", "0h", "more than zero"},
		{"policy", "update", "-5d", "expected a duration"},
		{"policy", "distros_notice", "1.5h", "expected a duration"},
		{"policy", "distros_max_embargo", "99999999999999w", "too long"},
		{"policy", "publish_window", "6", "expected a duration"},
		{"policy", "soon_min", "6 h", "expected a duration"},
		{"oncall", "window", "", "\"\": expected a duration"},
		{"policy", "distros_min_severity", "urgent",
		    "expected a severity: none, minor, moderate, important or critical"},
		{"policy", "working_days", "maybe", "expected true or false"},
		{"ui", "color", "2", "expected true or false"},
		{"policy", "timezone", "Mars/Olympus", "expected an IANA time zone name"},
		{"policy", "timezone", "", "must not be empty"},
		{"policy", "holidays", "2026-02-30", "expected dates like 2026-12-25"},
		{"policy", "holidays", "2026-12-25;25.12.2026", "\"25.12.2026\": expected dates"},
		{"policy", "soon_percent", "0", "expected a whole number from 1 to 100"},
		{"policy", "soon_percent", "101", "from 1 to 100"},
		{"policy", "soon_percent", "25%", "from 1 to 100"},
		{"policy", "soon_percent", "99999999999999999999", "from 1 to 100"},
		{"ui", "refresh", "0", "from 1 to 3600"},
		{"ui", "refresh", "3601", "from 1 to 3600"},
		{"ui", "refresh", "-1", "from 1 to 3600"},
		{"mail", "team_reply", "sometimes", "expected any or verified"},
		{"crypto", "encrypt", "never", "expected auto or always"},
		{"team", "sync", "git", "expected off or mail"},
		{"mail", "team", "security", "expected an address like alice@example.org"},
		{"mail", "team", "a b@example.org", "expected an address"},
		{"mail", "me", "Alice <alice@example.org>", "expected an address"},
		{"mail", "me", "alice@", "expected an address"},
		{"mail", "distros_list", "@example.org", "expected an address"},
		{"team", "events_address", "a@b@c", "expected an address"},
		{"mail", "handlers", "alice@example.org;bob", "\"bob\": expected addresses"},
		{"mail", "handlers", "alice@example.org, bob at example.org", "\"bob at example.org\""},
		{"crypto", "team_key", "DEADBEEF", "expected a key fingerprint"},
		{"crypto", "team_key", "0123456789ABCDEF0123456789ABCDEF0123456G", "fingerprint"},
		{"mail", "sendmail", "", "must not be empty"},
		{"mail", "sent_folder", "", "must not be empty"},
		{"store", "path", "", "must not be empty"},
		{"mail", "query", "", "must not be empty"},
		{"keys", "bind", "queue j", "\"queue j\": expected CONTEXT KEY ACTION"},
		{"keys", "bind", "queue j next;pager q close now", "\"pager q close now\""},
	};
	struct world *w = *state;

	for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
		char *text = g_strdup_printf("[%s]\n%s = %s\n", bad[i].group, bad[i].key, bad[i].value);
		char *msg = load_bad(w, text);
		char *where = g_strdup_printf("/config: [%s] %s = ", bad[i].group, bad[i].key);

		assert_contains(msg, where);
		assert_contains(msg, bad[i].expected);
		g_free(where);
		g_free(msg);
		g_free(text);
	}
}

static void
test_bad_value_message_is_exact(void **state)
{
	struct world *w = *state;
	char *msg = load_bad(w, "[mail]\nteam = security@example.org\n[policy]\nack = 5x\n");
	char *want = g_strdup_printf("%s/config: [policy] ack = \"5x\": expected a duration like 90m, 24h, 5d or 2w",
	    w->dir);

	assert_string_equal(msg, want);
	g_free(want);
	g_free(msg);
}

static void
test_hostile_value_is_escaped(void **state)
{
	struct world *w = *state;
	char *msg = load_bad(w, "[policy]\nack = \x1b]0;pwned\x07\n");

	assert_null(strchr(msg, '\x1b'));
	assert_null(strchr(msg, '\x07'));
	assert_contains(msg, "\\x1b]0;pwned\\x07");
	g_free(msg);
	/* A bad escape sequence is GKeyFile's complaint, still naming the key. */
	msg = load_bad(w, "[mail]\nsendmail = /bin/x \\q\n");
	assert_contains(msg, "[mail] sendmail: ");
	g_free(msg);
	/* Bytes that are not UTF-8. */
	msg = load_bad(w, "[mail]\nsent_folder = \xff\xfe\n");
	assert_contains(msg, "[mail] sent_folder");
	assert_null(strchr(msg, '\xff'));
	g_free(msg);
}

static void
test_lenient_forms(void **state)
{
	struct world *w = *state;
	struct config *cfg = load_text(w,
	    "[mail]\n"
	    "handlers = Bob@Example.ORG, carol@example.org;bob@example.org ;; \n"
	    "team_reply = VERIFIED\n"
	    "team =\n"
	    "[crypto]\n"
	    "team_key = 0x0123456789abcdef0123456789abcdef01234567\n"
	    "[policy]\n"
	    "working_days = yes\n"
	    "distros_min_severity = Critical\n"
	    "ack =   36h   \n"
	    "holidays = 2026-12-25, 2026-12-31\n"
	    "[store]\n"
	    "path = ~/cases.db\n"
	    "[ui]\n"
	    "color = off\n"
	    "refresh = 3600\n");
	char *store = g_build_filename(w->dir, "cases.db", NULL);

	assert_int_equal(cfg->n_handlers, 2);
	assert_string_equal(cfg->handlers[0], "bob@example.org");
	assert_string_equal(cfg->handlers[1], "carol@example.org");
	assert_int_equal(cfg->team_reply, TEAM_REPLY_VERIFIED);
	assert_null(cfg->team);
	assert_null(cfg->query);
	assert_string_equal(cfg->team_key, "0123456789ABCDEF0123456789ABCDEF01234567");
	assert_true(cfg->working_days);
	assert_int_equal(cfg->distros_min_severity, SEV_CRITICAL);
	assert_int_equal(cfg->ack, 36 * 3600);
	assert_int_equal(cfg->n_holidays, 2);
	assert_string_equal(cfg->store_path, store);
	assert_false(cfg->color);
	assert_int_equal(cfg->refresh_secs, 3600);
	g_free(store);
	config_free(cfg);
}

static void
test_query_and_events_follow_team(void **state)
{
	struct world *w = *state;
	struct config *cfg = load_text(w, "[mail]\nteam = security@example.org\n");

	assert_string_equal(cfg->query, "to:security@example.org");
	assert_string_equal(cfg->events_address, "security@example.org");
	config_free(cfg);
	cfg = load_text(w, "[mail]\nteam = security@example.org\nquery = tag:security\n"
	    "[team]\nevents_address = log@example.org\n");
	assert_string_equal(cfg->query, "tag:security");
	assert_string_equal(cfg->events_address, "log@example.org");
	config_free(cfg);
}

static void
test_team_and_handler_lookup(void **state)
{
	struct world *w = *state;
	struct config *cfg = load_text(w, "[mail]\nteam = Security@Example.org\n"
	    "handlers = alice@example.org,Bob@example.org\n");

	assert_true(config_is_team_address(cfg, "security@example.org"));
	assert_true(config_is_team_address(cfg, "SECURITY@EXAMPLE.ORG"));
	assert_true(config_is_team_address(cfg, "ALICE@example.org"));
	assert_true(config_is_team_address(cfg, "bob@EXAMPLE.org"));
	assert_false(config_is_team_address(cfg, "mallory@example.org"));
	assert_false(config_is_team_address(cfg, "security@example.org.evil"));
	assert_false(config_is_team_address(cfg, NULL));
	assert_true(config_is_handler(cfg, "Alice@Example.Org"));
	assert_false(config_is_handler(cfg, "security@example.org"));
	assert_false(config_is_handler(cfg, ""));
	config_free(cfg);
	cfg = config_new_defaults();
	assert_false(config_is_team_address(cfg, "security@example.org"));
	assert_false(config_is_handler(cfg, "alice@example.org"));
	config_free(cfg);
}

static void
test_unknown_keys_warn_but_load(void **state)
{
	struct world *w = *state;
	struct config *cfg = load_text(w, "[mail]\nteam = security@example.org\ncolour = blue\n"
	    "[policy]\nack = 12h\nacknowledge = 1h\n[frobnicate]\nx = 1\n");
	char *path = g_build_filename(w->dir, "config", NULL);
	char *want;

	assert_int_equal(cfg->ack, 12 * 3600);
	assert_int_equal(w->warnings->len, 3);
	want = g_strdup_printf("%s: unknown key [mail] colour (ignored)", path);
	assert_string_equal(g_ptr_array_index(w->warnings, 0), want);
	g_free(want);
	want = g_strdup_printf("%s: unknown key [policy] acknowledge (ignored)", path);
	assert_string_equal(g_ptr_array_index(w->warnings, 1), want);
	g_free(want);
	want = g_strdup_printf("%s: unknown group [frobnicate] (ignored)", path);
	assert_string_equal(g_ptr_array_index(w->warnings, 2), want);
	g_free(want);
	config_free(cfg);
	/* Without a callback the warnings are dropped, and the load still works. */
	{
		struct config *c2 = NULL;
		struct error err;

		assert_int_equal(config_load(path, NULL, NULL, &c2, &err), 0);
		config_free(c2);
	}
	g_free(path);
}

static void
test_missing_explicit_file(void **state)
{
	struct world *w = *state;
	char *path = g_build_filename(w->dir, "nope", NULL);
	char *want = g_strdup_printf("%s: cannot read: %s", path, strerror(ENOENT));
	struct config *cfg = NULL;
	struct error err = {{0}};

	assert_int_equal(config_load(path, NULL, NULL, &cfg, &err), -1);
	assert_null(cfg);
	assert_string_equal(err.msg, want);
	/* The same through $EMBARGO_CONFIG, which the message names. */
	setenv("EMBARGO_CONFIG", path, 1);
	assert_int_equal(config_load(NULL, NULL, NULL, &cfg, &err), -1);
	assert_null(cfg);
	assert_true(g_str_has_prefix(err.msg, "$EMBARGO_CONFIG: "));
	assert_contains(err.msg, want);
	unsetenv("EMBARGO_CONFIG");
	g_free(want);
	g_free(path);
}

static void
test_lookup_order(void **state)
{
	struct world *w = *state;
	char *explicit = write_file(w->dir, "explicit.conf", "[policy]\nack = 1h\n");
	char *env = write_file(w->dir, "env.conf", "[policy]\nack = 2h\n");
	char *xdg = write_file(w->dir, "xdg/embargo/config", "[policy]\nack = 3h\n");
	char *home = write_file(w->dir, ".config/embargo/config", "[policy]\nack = 4h\n");
	char *xdg_dir = g_build_filename(w->dir, "xdg", NULL);
	struct config *cfg;
	struct error err = {{0}};

	setenv("EMBARGO_CONFIG", env, 1);
	setenv("XDG_CONFIG_HOME", xdg_dir, 1);
	/* --config beats everything. */
	assert_int_equal(config_load(explicit, NULL, NULL, &cfg, &err), 0);
	assert_int_equal(cfg->ack, 3600);
	assert_string_equal(cfg->path, explicit);
	config_free(cfg);
	/* Then $EMBARGO_CONFIG. */
	assert_int_equal(config_load(NULL, NULL, NULL, &cfg, &err), 0);
	assert_int_equal(cfg->ack, 2 * 3600);
	assert_string_equal(cfg->path, env);
	config_free(cfg);
	/* An empty $EMBARGO_CONFIG is as good as unset: $XDG_CONFIG_HOME. */
	setenv("EMBARGO_CONFIG", "", 1);
	assert_int_equal(config_load(NULL, NULL, NULL, &cfg, &err), 0);
	assert_int_equal(cfg->ack, 3 * 3600);
	assert_string_equal(cfg->path, xdg);
	config_free(cfg);
	/* A relative or empty XDG_CONFIG_HOME is ignored: ~/.config. */
	unsetenv("EMBARGO_CONFIG");
	setenv("XDG_CONFIG_HOME", "xdg", 1);
	assert_int_equal(config_load(NULL, NULL, NULL, &cfg, &err), 0);
	assert_int_equal(cfg->ack, 4 * 3600);
	assert_string_equal(cfg->path, home);
	config_free(cfg);
	setenv("XDG_CONFIG_HOME", "", 1);
	assert_int_equal(config_load(NULL, NULL, NULL, &cfg, &err), 0);
	assert_string_equal(cfg->path, home);
	config_free(cfg);
	unsetenv("XDG_CONFIG_HOME");
	assert_int_equal(config_load(NULL, NULL, NULL, &cfg, &err), 0);
	assert_string_equal(cfg->path, home);
	config_free(cfg);
	g_free(explicit);
	g_free(env);
	g_free(xdg);
	g_free(home);
	g_free(xdg_dir);
}

static void
test_missing_default_file_gives_defaults(void **state)
{
	struct world *w = *state;
	char *xdg = g_build_filename(w->dir, "empty-xdg", NULL);
	struct config *cfg = NULL;
	struct error err = {{0}};

	setenv("XDG_CONFIG_HOME", xdg, 1);
	assert_int_equal(config_load(NULL, NULL, NULL, &cfg, &err), 0);
	assert_null(cfg->path);
	assert_int_equal(cfg->ack, 24 * 3600);
	config_free(cfg);
	/* Even when a parent "directory" is a file. */
	g_free(write_file(w->dir, "empty-xdg", "not a directory"));
	assert_int_equal(config_load(NULL, NULL, NULL, &cfg, &err), 0);
	assert_null(cfg->path);
	config_free(cfg);
	unsetenv("XDG_CONFIG_HOME");
	g_free(xdg);
}

static void
test_unreadable_file(void **state)
{
	struct world *w = *state;
	char *dir = g_build_filename(w->dir, ".config/embargo/config", NULL);
	char *fifo = g_build_filename(w->dir, "fifo", NULL);
	char *want;
	struct config *cfg = NULL;
	struct error err = {{0}};

	/* A directory where the file should be: explicit and default. */
	assert_int_equal(g_mkdir_with_parents(dir, 0700), 0);
	want = g_strdup_printf("%s: cannot read: %s", dir, strerror(EISDIR));
	assert_int_equal(config_load(dir, NULL, NULL, &cfg, &err), -1);
	assert_string_equal(err.msg, want);
	assert_int_equal(config_load(NULL, NULL, NULL, &cfg, &err), -1);
	assert_string_equal(err.msg, want);
	assert_null(cfg);
	g_free(want);
	/* A FIFO would block: refused. */
	assert_int_equal(mkfifo(fifo, 0600), 0);
	assert_int_equal(config_load(fifo, NULL, NULL, &cfg, &err), -1);
	assert_contains(err.msg, "not a regular file");
	/* No permission: only meaningful when not root (root reads anything). */
	if (geteuid() != 0) {
		char *secret = write_file(w->dir, "secret", "[policy]\nack = 1h\n");

		assert_int_equal(chmod(secret, 0), 0);
		want = g_strdup_printf("%s: cannot read: %s", secret, strerror(EACCES));
		assert_int_equal(config_load(secret, NULL, NULL, &cfg, &err), -1);
		assert_string_equal(err.msg, want);
		g_free(want);
		g_free(secret);
	} else {
		/* As root, a path through a regular file is the unreadable case. */
		char *file = write_file(w->dir, "plain", "x");
		char *through = g_build_filename(file, "config", NULL);

		want = g_strdup_printf("%s: cannot read: %s", through, strerror(ENOTDIR));
		assert_int_equal(config_load(through, NULL, NULL, &cfg, &err), -1);
		assert_string_equal(err.msg, want);
		g_free(want);
		g_free(through);
		g_free(file);
	}
	/* /dev/null is an empty configuration. */
	assert_int_equal(config_load("/dev/null", NULL, NULL, &cfg, &err), 0);
	assert_int_equal(cfg->ack, 24 * 3600);
	config_free(cfg);
	g_free(fifo);
	g_free(dir);
}

static void
test_syntax_errors_name_the_line(void **state)
{
	struct world *w = *state;
	char *msg;

	msg = load_bad(w, "[mail]\nteam = security@example.org\n\n# comment\nthis is not a key\n[policy]\n");
	assert_contains(msg, "/config:5: ");
	assert_contains(msg, "this is not a key");
	g_free(msg);
	msg = load_bad(w, "ack = 24h\n[policy]\n");
	assert_contains(msg, "/config:1: ");
	g_free(msg);
	msg = load_bad(w, "[policy]\nack = 24h\n[unterminated\n");
	assert_contains(msg, "/config:3: ");
	g_free(msg);
	/* Last line without a newline. */
	msg = load_bad(w, "[policy]\nack = 24h\n=oops");
	assert_contains(msg, "/config:3: ");
	g_free(msg);
	/* A NUL byte. */
	{
		char *path = g_build_filename(w->dir, "config", NULL);
		struct config *cfg = NULL;
		struct error err = {{0}};

		assert_true(g_file_set_contents(path, "[policy]\n\nack = 2\0h\n", 20, NULL));
		assert_int_equal(config_load(path, NULL, NULL, &cfg, &err), -1);
		assert_contains(err.msg, "/config:3: a NUL byte");
		g_free(path);
	}
}

static void
test_bind_lines(void **state)
{
	struct world *w = *state;
	struct config *cfg = load_text(w,
	    "bind queue j next\n"                     /* 1: before any group */
	    "[mail]\n"                                /* 2 */
	    "team = security@example.org\n"           /* 3 */
	    "  bind\tpager  q   close\r\n"            /* 4: indented, tabs, CRLF */
	    "[keys]\n"                                /* 5 */
	    "bind = queue k prev;queue \\; cmd\n"    /* 6: the key file form */
	    "bind queue = sort\n"                     /* 7: binds the = key */
	    "[ui]\n"                                  /* 8 */
	    "color = true\n");                        /* 9 */
	static const struct {
		const char *context, *key, *action;
		int line;
	} want[] = {
		{"queue", "j", "next", 1},
		{"pager", "q", "close", 4},
		{"queue", "k", "prev", 6},
		{"queue", ";", "cmd", 6},
		{"queue", "=", "sort", 7},
	};

	assert_int_equal(w->warnings->len, 0);
	assert_string_equal(cfg->team, "security@example.org");
	assert_int_equal(cfg->n_bindings, G_N_ELEMENTS(want));
	for (size_t i = 0; i < G_N_ELEMENTS(want); i++) {
		assert_string_equal(cfg->bindings[i].context, want[i].context);
		assert_string_equal(cfg->bindings[i].key, want[i].key);
		assert_string_equal(cfg->bindings[i].action, want[i].action);
		assert_int_equal(cfg->bindings[i].line, want[i].line);
	}
	assert_null(cfg->bindings[cfg->n_bindings].context);
	config_free(cfg);
}

static void
test_bad_bind_lines(void **state)
{
	struct world *w = *state;
	char *msg;

	msg = load_bad(w, "[keys]\nbind queue j\n");
	assert_contains(msg, "/config:2: \"bind queue j\": expected bind CONTEXT KEY ACTION");
	g_free(msg);
	msg = load_bad(w, "# keys\n\n\nbind queue j next extra\n");
	assert_contains(msg, "/config:4: ");
	g_free(msg);
	/* Removed bind lines do not shift the line of a later syntax error. */
	msg = load_bad(w, "bind a b c\nbind d e f\n[mail]\nbind g h i\nnot a key\n");
	assert_contains(msg, "/config:5: ");
	g_free(msg);
	/* "bind" alone is neither a binding nor a key. */
	msg = load_bad(w, "[keys]\nbind\n");
	assert_contains(msg, "/config:2: ");
	g_free(msg);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_defaults_without_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_new_defaults_equals_empty_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_me_default_without_email, setup, teardown),
		cmocka_unit_test_setup_teardown(test_store_path_follows_xdg_data_home, setup, teardown),
		cmocka_unit_test_setup_teardown(test_every_key_valid, setup, teardown),
		cmocka_unit_test_setup_teardown(test_every_table_key_is_in_the_full_config, setup, teardown),
		cmocka_unit_test_setup_teardown(test_defaults_in_table_match_behaviour, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_values, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_value_message_is_exact, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hostile_value_is_escaped, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lenient_forms, setup, teardown),
		cmocka_unit_test_setup_teardown(test_query_and_events_follow_team, setup, teardown),
		cmocka_unit_test_setup_teardown(test_team_and_handler_lookup, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unknown_keys_warn_but_load, setup, teardown),
		cmocka_unit_test_setup_teardown(test_missing_explicit_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lookup_order, setup, teardown),
		cmocka_unit_test_setup_teardown(test_missing_default_file_gives_defaults, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unreadable_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_syntax_errors_name_the_line, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bind_lines, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_bind_lines, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
