/* tests/test_keys.c: key names, the action table, keymaps with `bind` overrides, generated help. */
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

#include "core/config.h"
#include "keys/action.h"
#include "keys/key.h"
#include "keys/keymap.h"

static key_code
parse_ok(const char *name)
{
	struct error err = {{0}};
	key_code k = KEYC_NONE;

	if (keyc_parse(name, &k, &err) != 0)
		fail_msg("keyc_parse(\"%s\") failed: %s", name, err.msg);
	return k;
}

static void
parse_bad(const char *name, const char *needle)
{
	struct error err = {{0}};
	key_code k = 12345;

	assert_int_equal(keyc_parse(name, &k, &err), -1);
	assert_int_equal(k, 12345); /* untouched on failure */
	if (strstr(err.msg, needle) == NULL)
		fail_msg("keyc_parse(\"%s\"): \"%s\" lacks \"%s\"", name,
		    err.msg, needle);
}

static void
test_parse_characters(void **state)
{
	(void)state;
	assert_int_equal(parse_ok("j"), 'j');
	assert_int_equal(parse_ok("G"), 'G');
	assert_int_equal(parse_ok("?"), '?');
	assert_int_equal(parse_ok("/"), '/');
	assert_int_equal(parse_ok("-"), '-');
	assert_int_equal(parse_ok("\xc3\xa9"), 0xe9); /* é */
	assert_int_equal(parse_ok("\xe6\x97\xa5"), 0x65e5); /* 日 */
}

static void
test_parse_named(void **state)
{
	(void)state;
	assert_int_equal(parse_ok("Enter"), KEYC_ENTER);
	assert_int_equal(parse_ok("enter"), KEYC_ENTER);
	assert_int_equal(parse_ok("Return"), KEYC_ENTER);
	assert_int_equal(parse_ok("Tab"), KEYC_TAB);
	assert_int_equal(parse_ok("S-Tab"), KEYC_BTAB);
	assert_int_equal(parse_ok("Escape"), KEYC_ESCAPE);
	assert_int_equal(parse_ok("Esc"), KEYC_ESCAPE);
	assert_int_equal(parse_ok("Space"), ' ');
	assert_int_equal(parse_ok("Backspace"), KEYC_BACKSPACE);
	assert_int_equal(parse_ok("BSpace"), KEYC_BACKSPACE);
	assert_int_equal(parse_ok("PageDown"), KEYC_PAGEDOWN);
	assert_int_equal(parse_ok("PgDn"), KEYC_PAGEDOWN);
	assert_int_equal(parse_ok("NPage"), KEYC_PAGEDOWN);
	assert_int_equal(parse_ok("PageUp"), KEYC_PAGEUP);
	assert_int_equal(parse_ok("Home"), KEYC_HOME);
	assert_int_equal(parse_ok("End"), KEYC_END);
	assert_int_equal(parse_ok("Up"), KEYC_UP);
	assert_int_equal(parse_ok("Down"), KEYC_DOWN);
	assert_int_equal(parse_ok("Left"), KEYC_LEFT);
	assert_int_equal(parse_ok("Right"), KEYC_RIGHT);
	assert_int_equal(parse_ok("Delete"), KEYC_DELETE);
	assert_int_equal(parse_ok("F1"), KEYC_F1);
	assert_int_equal(parse_ok("f12"), KEYC_F12);
}

static void
test_parse_modifiers(void **state)
{
	(void)state;
	assert_int_equal(parse_ok("C-d"), KEYC_CTRL | 'd');
	assert_int_equal(parse_ok("C-D"), KEYC_CTRL | 'd');
	assert_int_equal(parse_ok("c-d"), KEYC_CTRL | 'd');
	assert_int_equal(parse_ok("M-x"), KEYC_META | 'x');
	assert_int_equal(parse_ok("M-X"), KEYC_META | 'X');
	assert_int_equal(parse_ok("C-M-x"), KEYC_CTRL | KEYC_META | 'x');
	assert_int_equal(parse_ok("M-C-x"), KEYC_CTRL | KEYC_META | 'x');
	assert_int_equal(parse_ok("M-Enter"), KEYC_META | KEYC_ENTER);
	assert_int_equal(parse_ok("M-Space"), KEYC_META | ' ');
	assert_int_equal(parse_ok("C-Space"), KEYC_CTRL | ' ');
	/* The same bytes on the wire: stored as the named key. */
	assert_int_equal(parse_ok("C-i"), KEYC_TAB);
	assert_int_equal(parse_ok("C-m"), KEYC_ENTER);
	assert_int_equal(parse_ok("C-["), KEYC_ESCAPE);
	assert_int_equal(parse_ok("C-M-i"), KEYC_META | KEYC_TAB);
}

static void
test_parse_bad(void **state)
{
	(void)state;
	parse_bad("", "empty key name");
	parse_bad(NULL, "empty key name");
	parse_bad("foo", "unknown key name \"foo\"");
	parse_bad("foo", "expected one character");
	parse_bad("jj", "unknown key name \"jj\"");
	parse_bad("F13", "function keys are F1 to F12");
	parse_bad("F0", "function keys are F1 to F12");
	parse_bad("C-1", "C- goes with a letter");
	parse_bad("C-Enter", "C- goes with a letter");
	parse_bad("C-C-x", "modifier C- given twice");
	parse_bad("M-M-x", "modifier M- given twice");
	parse_bad("C-", "unknown key name \"C-\"");
	parse_bad("M-", "unknown key name \"M-\"");
	parse_bad("\x01", "control character U+0001");
	parse_bad("\x7f", "control character U+007F");
	parse_bad("\xc2\x9b", "control character U+009B");
	parse_bad("\x1b[A", "unknown key name");
	parse_bad(" ", "write Space");
	parse_bad("\xff", "not valid UTF-8");
	parse_bad("C-\xc3\xa9", "C- goes with a letter");
}

static void
test_name_roundtrip(void **state)
{
	static const char *const names[] = {
		"j", "G", "?", "Space", "Enter", "Tab", "BTab", "Escape",
		"Backspace", "Up", "Down", "Left", "Right", "PageUp",
		"PageDown", "Home", "End", "Insert", "Delete", "F1", "F5",
		"F12", "C-d", "M-x", "C-M-x", "M-Enter", "C-Space",
		"\xc3\xa9", "M-\xe6\x97\xa5",
	};
	char buf[KEYC_NAME_LEN];

	(void)state;
	for (size_t i = 0; i < G_N_ELEMENTS(names); i++) {
		key_code k = parse_ok(names[i]);

		assert_string_equal(keyc_name(k, buf), names[i]);
	}
	/* Aliases print under their canonical names. */
	assert_string_equal(keyc_name(parse_ok("PgDn"), buf), "PageDown");
	assert_string_equal(keyc_name(parse_ok("M-C-x"), buf), "C-M-x");
	assert_string_equal(keyc_name(parse_ok("C-i"), buf), "Tab");
	/* Codes that are no key print as "?", never as raw bytes. */
	assert_string_equal(keyc_name(0x1b, buf), "?");
	assert_string_equal(keyc_name(0x9b, buf), "?");
	assert_string_equal(keyc_name(KEYC_BASE_END + 5, buf), "?");
	assert_string_equal(keyc_name(KEYC_CTRL | 0x7f, buf), "C-?");
}

static void
test_is_text(void **state)
{
	(void)state;
	assert_true(keyc_is_text('a'));
	assert_true(keyc_is_text(' '));
	assert_true(keyc_is_text(0xe9));
	assert_false(keyc_is_text(KEYC_CTRL | 'a'));
	assert_false(keyc_is_text(KEYC_META | 'a'));
	assert_false(keyc_is_text(KEYC_ENTER));
	assert_false(keyc_is_text(0x1b));
	assert_false(keyc_is_text(0x7f));
	assert_false(keyc_is_text(0x9b));
	assert_false(keyc_is_text(0x202e)); /* bidi override: never typed into the store */
	assert_false(keyc_is_text(0x200b));
}

static void
test_action_table(void **state)
{
	(void)state;
	for (int a = 0; a < ACT__COUNT; a++) {
		const char *name = action_name((enum action)a);

		assert_non_null(name);
		assert_int_equal(action_from_name(name), a);
		assert_non_null(action_help((enum action)a));
		assert_true(strlen(action_help((enum action)a)) > 5);
		assert_true(action_contexts((enum action)a) != 0);
		for (int b = a + 1; b < ACT__COUNT; b++)
			assert_string_not_equal(name,
			    action_name((enum action)b));
	}
	assert_int_equal(action_from_name("none"), ACT_NONE);
	assert_string_equal(action_name(ACT_NONE), "none");
	assert_int_equal(action_from_name("frobnicate"), -2);
	assert_int_equal(action_from_name(NULL), -2);
	assert_null(action_name(ACT__COUNT));
	for (int c = 0; c < KCTX__COUNT; c++)
		assert_int_equal(key_context_from_name(
		    key_context_name((enum key_context)c)), c);
	assert_int_equal(key_context_from_name("pager"), -1);
	/* Global actions may be bound per panel, never in prompts. */
	assert_true(action_allowed_in(ACT_PAGE_DOWN, KCTX_TIMELINE));
	assert_false(action_allowed_in(ACT_PAGE_DOWN, KCTX_PROMPT));
	assert_false(action_allowed_in(ACT_CLAIM, KCTX_PROMPT));
	assert_false(action_allowed_in(ACT_CLAIM, KCTX_GLOBAL));
	assert_true(action_allowed_in(ACT_CLAIM, KCTX_QUEUE));
	assert_false(action_allowed_in(ACT_PROMPT_ACCEPT, KCTX_QUEUE));
}

static void
test_defaults(void **state)
{
	struct keymap *km = keymap_new();
	char *t;

	(void)state;
	assert_int_equal(keymap_lookup(km, KCTX_QUEUE, 'j'), ACT_MOVE_DOWN);
	assert_int_equal(keymap_lookup(km, KCTX_TIMELINE, KEYC_DOWN),
	    ACT_MOVE_DOWN);
	assert_int_equal(keymap_lookup(km, KCTX_QUEUE, 'q'), ACT_QUIT);
	assert_int_equal(keymap_lookup(km, KCTX_TIMELINE, 'q'), ACT_CLOSE);
	assert_int_equal(keymap_lookup(km, KCTX_HELP, 'q'), ACT_CLOSE);
	assert_int_equal(keymap_lookup(km, KCTX_QUEUE, KEYC_ENTER), ACT_OPEN);
	assert_int_equal(keymap_lookup(km, KCTX_QUEUE, '?'), ACT_HELP);
	assert_int_equal(keymap_lookup(km, KCTX_QUEUE, 'G'), ACT_BOTTOM);
	assert_int_equal(keymap_lookup(km, KCTX_QUEUE, KEYC_CTRL | 'd'),
	    ACT_HALF_DOWN);
	assert_int_equal(keymap_lookup(km, KCTX_TIMELINE, 'c'), ACT_CLAIM);
	assert_int_equal(keymap_lookup(km, KCTX_TIMELINE, 'n'),
	    ACT_NEXT_MESSAGE);
	/* r replies (mutt). */
	assert_int_equal(keymap_lookup(km, KCTX_QUEUE, 'r'), ACT_REPLY);
	assert_int_equal(keymap_lookup(km, KCTX_TIMELINE, 'r'), ACT_REPLY);
	/* The editor sees only its own bindings: j is typed, Enter is a new line. */
	assert_int_equal(keymap_lookup(km, KCTX_COMPOSE, 'j'), ACT_NONE);
	assert_int_equal(keymap_lookup(km, KCTX_COMPOSE, KEYC_ENTER),
	    ACT_EDITOR_NEWLINE);
	assert_false(action_allowed_in(ACT_PAGE_DOWN, KCTX_COMPOSE));
	assert_int_equal(keymap_lookup(km, KCTX_ONCALL, KEYC_ENTER), ACT_OPEN);
	assert_int_equal(keymap_lookup(km, KCTX_ONCALL, 'j'), ACT_MOVE_DOWN);
	/* Prompts see only their own bindings: j is typed, not moved on. */
	assert_int_equal(keymap_lookup(km, KCTX_PROMPT, 'j'), ACT_NONE);
	assert_int_equal(keymap_lookup(km, KCTX_PROMPT, KEYC_ENTER),
	    ACT_PROMPT_ACCEPT);
	assert_int_equal(keymap_lookup(km, KCTX_PROMPT, KEYC_CTRL | 'd'),
	    ACT_PROMPT_DELETE);
	/* The terminal's C-i is Tab. */
	assert_int_equal(keymap_lookup(km, KCTX_PROMPT, KEYC_CTRL | 'i'),
	    ACT_PROMPT_COMPLETE);

	t = keymap_keys_text(km, KCTX_QUEUE, ACT_MOVE_DOWN);
	assert_string_equal(t, "j, Down, C-n");
	g_free(t);
	t = keymap_keys_text(km, KCTX_GLOBAL, ACT_BOTTOM);
	assert_string_equal(t, "G, End");
	g_free(t);
	assert_null(keymap_keys_text(km, KCTX_QUEUE, ACT_ANNOUNCED));

	/* Every action but the single markers (reached through `mark`) has a default key. */
	for (int a = 0; a < ACT__COUNT; a++) {
		bool any = false;

		if (a == ACT_RESPONSE_SENT || a == ACT_DISTROS_NOTIFIED ||
		    a == ACT_ANNOUNCED)
			continue;
		for (int c = 0; c < KCTX__COUNT; c++) {
			char *k = keymap_keys_text(km, (enum key_context)c,
			    (enum action)a);

			any = any || k != NULL;
			g_free(k);
		}
		if (!any)
			fail_msg("action %s has no default key",
			    action_name((enum action)a));
	}
	keymap_free(km);
}

static void
bind_ok(struct keymap *km, const char *c, const char *k, const char *a)
{
	struct error err = {{0}};

	if (keymap_bind(km, c, k, a, &err) != 0)
		fail_msg("bind %s %s %s: %s", c, k, a, err.msg);
}

static void
bind_bad(struct keymap *km, const char *c, const char *k, const char *a,
    const char *needle)
{
	struct error err = {{0}};

	assert_int_equal(keymap_bind(km, c, k, a, &err), -1);
	if (strstr(err.msg, needle) == NULL)
		fail_msg("bind %s %s %s: \"%s\" lacks \"%s\"", c, k, a,
		    err.msg, needle);
}

static void
test_bind(void **state)
{
	struct keymap *km = keymap_new();
	char *t;

	(void)state;
	bind_ok(km, "queue", "j", "open");
	assert_int_equal(keymap_lookup(km, KCTX_QUEUE, 'j'), ACT_OPEN);
	assert_int_equal(keymap_lookup(km, KCTX_TIMELINE, 'j'), ACT_MOVE_DOWN);

	/* A global action bound in one panel only. */
	bind_ok(km, "timeline", "w", "page-down");
	assert_int_equal(keymap_lookup(km, KCTX_TIMELINE, 'w'), ACT_PAGE_DOWN);
	assert_int_equal(keymap_lookup(km, KCTX_QUEUE, 'w'), ACT_NONE);

	/* "none" in a panel hides the global binding there only. */
	bind_ok(km, "timeline", "Q", "none");
	assert_int_equal(keymap_lookup(km, KCTX_TIMELINE, 'Q'), ACT_NONE);
	assert_int_equal(keymap_lookup(km, KCTX_QUEUE, 'Q'), ACT_QUIT);
	t = keymap_keys_text(km, KCTX_TIMELINE, ACT_QUIT);
	assert_null(t);
	t = keymap_keys_text(km, KCTX_QUEUE, ACT_QUIT);
	assert_string_equal(t, "Q, q");
	g_free(t);

	/* Rebinding replaces; spellings are normalised. */
	bind_ok(km, "global", "C-I", "help");
	assert_int_equal(keymap_lookup(km, KCTX_QUEUE, KEYC_TAB), ACT_HELP);
	bind_ok(km, "queue", "r", "claim");
	assert_int_equal(keymap_lookup(km, KCTX_QUEUE, 'r'), ACT_CLAIM);
	bind_ok(km, "prompt", "C-k", "prompt-kill");
	assert_int_equal(keymap_lookup(km, KCTX_PROMPT, KEYC_CTRL | 'k'),
	    ACT_PROMPT_KILL);

	bind_bad(km, "pager", "j", "move-down", "unknown context \"pager\"");
	bind_bad(km, "pager", "j", "move-down",
	    "global, queue, timeline, oncall, compose, help, prompt");
	bind_bad(km, NULL, "j", "move-down", "unknown context");
	bind_bad(km, "queue", "F13", "open", "function keys are F1 to F12");
	bind_bad(km, "queue", "", "open", "empty key name");
	bind_bad(km, "queue", "j", "frobnicate",
	    "unknown action \"frobnicate\"");
	bind_bad(km, "queue", "j", "frobnicate", "set-severity");
	bind_bad(km, "queue", "j", "frobnicate", "none");
	bind_bad(km, "prompt", "j", "claim",
	    "action claim cannot be bound in prompt; it works in: queue, "
	    "timeline");
	bind_bad(km, "queue", "j", "prompt-accept",
	    "it works in: prompt");
	bind_bad(km, "global", "x", "next-message",
	    "cannot be bound in global");
	/* Failed binds change nothing. */
	assert_int_equal(keymap_lookup(km, KCTX_QUEUE, 'j'), ACT_OPEN);
	keymap_free(km);
}

static void
test_load_config(void **state)
{
	struct config *cfg = config_new_defaults();
	struct config_binding b[2] = {
		{ "queue", "J", "bottom", 3 },
		{ "queue", "X", "frobnicate", 7 },
	};
	struct keymap *km = keymap_new();
	struct error err = {{0}};

	(void)state;
	cfg->bindings = b;
	cfg->n_bindings = 1;
	assert_int_equal(keymap_load_config(km, cfg, &err), 0);
	assert_int_equal(keymap_lookup(km, KCTX_QUEUE, 'J'), ACT_BOTTOM);

	cfg->n_bindings = 2;
	assert_int_equal(keymap_load_config(km, cfg, &err), -1);
	assert_non_null(strstr(err.msg, "bind queue X frobnicate"));
	assert_non_null(strstr(err.msg, "unknown action \"frobnicate\""));
	assert_non_null(strstr(err.msg, "config:7: bind queue X"));

	cfg->bindings = NULL;
	cfg->n_bindings = 0;
	config_free(cfg);
	keymap_free(km);
}

/* Which actions the help lists (ACTS[a] set), and its row count. */
static guint
help_actions(const struct keymap *km, bool acts[ACT__COUNT])
{
	GPtrArray *rows = keymap_help(km);
	guint n = rows->len;

	memset(acts, 0, sizeof(bool) * ACT__COUNT);
	for (guint i = 0; i < rows->len; i++) {
		const struct keymap_help_row *r = rows->pdata[i];

		if (r->act != ACT_NONE)
			acts[r->act] = true;
	}
	g_ptr_array_unref(rows);
	return n;
}

static void
test_help_lists_everything(void **state)
{
	struct keymap *km = keymap_new();
	bool acts[ACT__COUNT];
	GPtrArray *rows;
	bool found = false;

	(void)state;
	help_actions(km, acts);
	for (int a = 0; a < ACT__COUNT; a++)
		if (!acts[a])
			fail_msg("help leaves out %s",
			    action_name((enum action)a));

	/* Help follows the bindings: a rebound key shows at once. */
	bind_ok(km, "timeline", "F9", "claim");
	rows = keymap_help(km);
	for (guint i = 0; i < rows->len; i++) {
		const struct keymap_help_row *r = rows->pdata[i];

		if (r->ctx == KCTX_TIMELINE && r->act == ACT_CLAIM) {
			assert_string_equal(r->keys, "c, F9");
			found = true;
		}
	}
	assert_true(found);
	g_ptr_array_unref(rows);
	keymap_free(km);
}

/* Reads all of FP back (rewound) into a new string. */
static char *
slurp(FILE *fp)
{
	GString *s = g_string_new(NULL);
	char buf[4096];
	size_t n;

	rewind(fp);
	while ((n = fread(buf, 1, sizeof buf, fp)) > 0)
		g_string_append_len(s, buf, (gssize)n);
	return g_string_free(s, FALSE);
}

static void
test_print_text_and_mdoc(void **state)
{
	struct keymap *km = keymap_new();
	FILE *fp;
	char *text, *mdoc;
	int items = 0, bl = 0, el = 0, ss = 0;
	char **lines;

	(void)state;
	fp = tmpfile();
	assert_non_null(fp);
	keymap_print_text(fp, km);
	text = slurp(fp);
	fclose(fp);
	for (int a = 0; a < ACT__COUNT; a++) {
		char *needle = g_strdup_printf("  %s ",
		    action_name((enum action)a));

		if (strstr(text, needle) == NULL)
			fail_msg("text help lacks %s", needle);
		g_free(needle);
	}
	assert_non_null(strstr(text, "queue: the case queue\n"));
	assert_non_null(strstr(text, "(not bound)"));

	fp = tmpfile();
	assert_non_null(fp);
	keymap_print_mdoc(fp, km);
	mdoc = slurp(fp);
	fclose(fp);
	lines = g_strsplit(mdoc, "\n", -1);
	for (char **l = lines; *l != NULL; l++) {
		if (g_str_has_prefix(*l, ".It Ic "))
			items++;
		else if (g_str_has_prefix(*l, ".Bl "))
			bl++;
		else if (strcmp(*l, ".El") == 0)
			el++;
		else if (g_str_has_prefix(*l, ".Ss "))
			ss++;
		else if ((*l)[0] == '.')
			fail_msg("unexpected request line: %s", *l);
	}
	g_strfreev(lines);
	assert_int_equal(ss, KCTX__COUNT);
	assert_int_equal(bl, KCTX__COUNT);
	assert_int_equal(el, KCTX__COUNT);
	{
		bool acts[ACT__COUNT];
		guint rows = help_actions(km, acts);

		assert_int_equal(items, (int)rows - KCTX__COUNT);
	}
	/* Punctuation keys cannot be taken for mdoc delimiters. */
	assert_non_null(strstr(mdoc, ".It Ic help Pq Cm \\&? , Cm \\&F1\n"));
	assert_non_null(strstr(mdoc, ".It Ic mark-announced Pq not bound\n"));
	g_free(text);
	g_free(mdoc);
	keymap_free(km);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_characters),
		cmocka_unit_test(test_parse_named),
		cmocka_unit_test(test_parse_modifiers),
		cmocka_unit_test(test_parse_bad),
		cmocka_unit_test(test_name_roundtrip),
		cmocka_unit_test(test_is_text),
		cmocka_unit_test(test_action_table),
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_bind),
		cmocka_unit_test(test_load_config),
		cmocka_unit_test(test_help_lists_everything),
		cmocka_unit_test(test_print_text_and_mdoc),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
