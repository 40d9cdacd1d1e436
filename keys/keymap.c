/* keys/keymap.c: the default bindings, `bind` overrides, lookups and the generated help. */
#include "build-config.h"

#include <string.h>

#include <glib.h>

#include "keys/keymap.h"

/*
 * The defaults.  Movement follows vi and less (j/k, g/G, C-f/C-b, C-d/C-u)
 * plus the arrow and paging keys; q leaves the current panel and quits from
 * the queue (mutt); r replies.  Case actions are letters named after the
 * field (s state, S severity, e embargo, C CVE, A affected, N note).  The
 * editor follows Emacs and nano (C-a, C-e, C-k; C-x sends, after the plan
 * and a yes); it avoids C-s, C-q and C-v, which terminals may swallow.
 */
static const struct {
	enum key_context ctx;
	const char *key;
	enum action act;
} keymap_defaults[] = {
	{ KCTX_GLOBAL, "Q", ACT_QUIT },
	{ KCTX_GLOBAL, "?", ACT_HELP },
	{ KCTX_GLOBAL, "F1", ACT_HELP },
	{ KCTX_GLOBAL, "C-l", ACT_REDRAW },
	{ KCTX_GLOBAL, "C-r", ACT_REFRESH },
	{ KCTX_GLOBAL, "Tab", ACT_SWITCH_PANEL },
	{ KCTX_GLOBAL, "BTab", ACT_SWITCH_PANEL },
	{ KCTX_GLOBAL, "z", ACT_ZOOM },
	{ KCTX_GLOBAL, "j", ACT_MOVE_DOWN },
	{ KCTX_GLOBAL, "Down", ACT_MOVE_DOWN },
	{ KCTX_GLOBAL, "C-n", ACT_MOVE_DOWN },
	{ KCTX_GLOBAL, "k", ACT_MOVE_UP },
	{ KCTX_GLOBAL, "Up", ACT_MOVE_UP },
	{ KCTX_GLOBAL, "C-p", ACT_MOVE_UP },
	{ KCTX_GLOBAL, "PageDown", ACT_PAGE_DOWN },
	{ KCTX_GLOBAL, "C-f", ACT_PAGE_DOWN },
	{ KCTX_GLOBAL, "Space", ACT_PAGE_DOWN },
	{ KCTX_GLOBAL, "PageUp", ACT_PAGE_UP },
	{ KCTX_GLOBAL, "C-b", ACT_PAGE_UP },
	{ KCTX_GLOBAL, "-", ACT_PAGE_UP },
	{ KCTX_GLOBAL, "C-d", ACT_HALF_DOWN },
	{ KCTX_GLOBAL, "C-u", ACT_HALF_UP },
	{ KCTX_GLOBAL, "g", ACT_TOP },
	{ KCTX_GLOBAL, "Home", ACT_TOP },
	{ KCTX_GLOBAL, "G", ACT_BOTTOM },
	{ KCTX_GLOBAL, "End", ACT_BOTTOM },
	{ KCTX_GLOBAL, "O", ACT_ONCALL },

	{ KCTX_QUEUE, "q", ACT_QUIT },
	{ KCTX_QUEUE, "Enter", ACT_OPEN },
	{ KCTX_QUEUE, "/", ACT_FILTER_QUERY },
	{ KCTX_QUEUE, "M", ACT_FILTER_MINE },
	{ KCTX_QUEUE, "U", ACT_FILTER_UNASSIGNED },
	{ KCTX_QUEUE, "f", ACT_FILTER_STATE },
	{ KCTX_QUEUE, "F", ACT_FILTER_CLEAR },
	{ KCTX_QUEUE, "o", ACT_SHOW_CLOSED },

	{ KCTX_TIMELINE, "q", ACT_CLOSE },
	{ KCTX_TIMELINE, "Escape", ACT_CLOSE },
	{ KCTX_TIMELINE, "n", ACT_NEXT_MESSAGE },
	{ KCTX_TIMELINE, "p", ACT_PREV_MESSAGE },
	{ KCTX_TIMELINE, "T", ACT_TOGGLE_QUOTES },

	{ KCTX_ONCALL, "q", ACT_CLOSE },
	{ KCTX_ONCALL, "Escape", ACT_CLOSE },
	{ KCTX_ONCALL, "Enter", ACT_OPEN },
	{ KCTX_ONCALL, "M", ACT_FILTER_MINE },

	{ KCTX_HELP, "q", ACT_CLOSE },
	{ KCTX_HELP, "Escape", ACT_CLOSE },
	{ KCTX_HELP, "?", ACT_CLOSE },

#define CASE_KEY(k, a) { KCTX_QUEUE, k, a }, { KCTX_TIMELINE, k, a }
	CASE_KEY("c", ACT_CLAIM),
	CASE_KEY("a", ACT_ASSIGN),
	CASE_KEY("s", ACT_SET_STATE),
	CASE_KEY("S", ACT_SET_SEVERITY),
	CASE_KEY("e", ACT_SET_EMBARGO),
	CASE_KEY("C", ACT_SET_CVE),
	CASE_KEY("A", ACT_SET_AFFECTED),
	CASE_KEY("r", ACT_REPLY),
	CASE_KEY("N", ACT_NOTE),
	CASE_KEY("M-n", ACT_NOTE_EDITOR),
	CASE_KEY("m", ACT_MARK),
	CASE_KEY("x", ACT_CHECK),
#undef CASE_KEY

	{ KCTX_COMPOSE, "C-x", ACT_COMPOSE_SEND },
	{ KCTX_COMPOSE, "C-o", ACT_COMPOSE_EDITOR },
	{ KCTX_COMPOSE, "C-r", ACT_COMPOSE_HEADERS },
	{ KCTX_COMPOSE, "C-t", ACT_COMPOSE_TEMPLATE },
	{ KCTX_COMPOSE, "Escape", ACT_COMPOSE_CLOSE },
	{ KCTX_COMPOSE, "M-d", ACT_COMPOSE_DISCARD },
	{ KCTX_COMPOSE, "Left", ACT_EDITOR_LEFT },
	{ KCTX_COMPOSE, "C-b", ACT_EDITOR_LEFT },
	{ KCTX_COMPOSE, "Right", ACT_EDITOR_RIGHT },
	{ KCTX_COMPOSE, "C-f", ACT_EDITOR_RIGHT },
	{ KCTX_COMPOSE, "Up", ACT_EDITOR_UP },
	{ KCTX_COMPOSE, "C-p", ACT_EDITOR_UP },
	{ KCTX_COMPOSE, "Down", ACT_EDITOR_DOWN },
	{ KCTX_COMPOSE, "C-n", ACT_EDITOR_DOWN },
	{ KCTX_COMPOSE, "Home", ACT_EDITOR_HOME },
	{ KCTX_COMPOSE, "C-a", ACT_EDITOR_HOME },
	{ KCTX_COMPOSE, "End", ACT_EDITOR_END },
	{ KCTX_COMPOSE, "C-e", ACT_EDITOR_END },
	{ KCTX_COMPOSE, "PageUp", ACT_EDITOR_PAGE_UP },
	{ KCTX_COMPOSE, "M-v", ACT_EDITOR_PAGE_UP },
	{ KCTX_COMPOSE, "PageDown", ACT_EDITOR_PAGE_DOWN },
	{ KCTX_COMPOSE, "M-<", ACT_EDITOR_TOP },
	{ KCTX_COMPOSE, "M->", ACT_EDITOR_BOTTOM },
	{ KCTX_COMPOSE, "Backspace", ACT_EDITOR_BACKSPACE },
	{ KCTX_COMPOSE, "C-h", ACT_EDITOR_BACKSPACE },
	{ KCTX_COMPOSE, "Delete", ACT_EDITOR_DELETE },
	{ KCTX_COMPOSE, "C-d", ACT_EDITOR_DELETE },
	{ KCTX_COMPOSE, "Enter", ACT_EDITOR_NEWLINE },
	{ KCTX_COMPOSE, "Tab", ACT_EDITOR_TAB },
	{ KCTX_COMPOSE, "C-k", ACT_EDITOR_KILL_LINE },
	{ KCTX_COMPOSE, "C-w", ACT_EDITOR_KILL_WORD },

	{ KCTX_PROMPT, "Enter", ACT_PROMPT_ACCEPT },
	{ KCTX_PROMPT, "Escape", ACT_PROMPT_CANCEL },
	{ KCTX_PROMPT, "C-g", ACT_PROMPT_CANCEL },
	{ KCTX_PROMPT, "Tab", ACT_PROMPT_COMPLETE },
	{ KCTX_PROMPT, "Left", ACT_PROMPT_LEFT },
	{ KCTX_PROMPT, "C-b", ACT_PROMPT_LEFT },
	{ KCTX_PROMPT, "Right", ACT_PROMPT_RIGHT },
	{ KCTX_PROMPT, "C-f", ACT_PROMPT_RIGHT },
	{ KCTX_PROMPT, "Home", ACT_PROMPT_HOME },
	{ KCTX_PROMPT, "C-a", ACT_PROMPT_HOME },
	{ KCTX_PROMPT, "End", ACT_PROMPT_END },
	{ KCTX_PROMPT, "C-e", ACT_PROMPT_END },
	{ KCTX_PROMPT, "Backspace", ACT_PROMPT_BACKSPACE },
	{ KCTX_PROMPT, "C-h", ACT_PROMPT_BACKSPACE },
	{ KCTX_PROMPT, "Delete", ACT_PROMPT_DELETE },
	{ KCTX_PROMPT, "C-d", ACT_PROMPT_DELETE },
	{ KCTX_PROMPT, "C-u", ACT_PROMPT_KILL },
	{ KCTX_PROMPT, "C-w", ACT_PROMPT_KILL_WORD },
};

struct binding {
	enum key_context ctx;
	key_code key;
	enum action act; /* ACT_NONE: explicitly unbound (hides a global binding) */
};

struct keymap {
	GArray *b; /* struct binding, in the order bound */
};

static struct binding *
find_binding(const struct keymap *km, enum key_context ctx, key_code k)
{
	for (guint i = 0; i < km->b->len; i++) {
		struct binding *b = &g_array_index(km->b, struct binding, i);

		if (b->ctx == ctx && b->key == k)
			return b;
	}
	return NULL;
}

static void
set_binding(struct keymap *km, enum key_context ctx, key_code k,
    enum action a)
{
	struct binding *b = find_binding(km, ctx, k);
	struct binding nb = { ctx, k, a };

	if (b != NULL)
		b->act = a;
	else
		g_array_append_val(km->b, nb);
}

struct keymap *
keymap_new(void)
{
	struct keymap *km = g_new0(struct keymap, 1);

	km->b = g_array_new(FALSE, FALSE, sizeof(struct binding));
	for (size_t i = 0; i < G_N_ELEMENTS(keymap_defaults); i++) {
		struct error err;
		key_code k;

		/* The defaults are checked by tests/test_keys; a bad one is a bug. */
		if (keyc_parse(keymap_defaults[i].key, &k, &err) != 0)
			g_error("keys: default binding %s: %s",
			    keymap_defaults[i].key, err.msg);
		set_binding(km, keymap_defaults[i].ctx, k,
		    keymap_defaults[i].act);
	}
	return km;
}

void
keymap_free(struct keymap *km)
{
	if (km == NULL)
		return;
	g_array_unref(km->b);
	g_free(km);
}

/* "global, queue, ..." */
static char *
context_names(void)
{
	GString *s = g_string_new(NULL);

	for (int c = 0; c < KCTX__COUNT; c++)
		g_string_append_printf(s, "%s%s", c > 0 ? ", " : "",
		    key_context_name((enum key_context)c));
	return g_string_free(s, FALSE);
}

/* The names of the actions that may be bound in CTX. */
static char *
action_names_for(enum key_context ctx)
{
	GString *s = g_string_new(NULL);

	for (int a = 0; a < ACT__COUNT; a++)
		if (action_allowed_in((enum action)a, ctx))
			g_string_append_printf(s, "%s, ",
			    action_name((enum action)a));
	g_string_append(s, "none");
	return g_string_free(s, FALSE);
}

/* The contexts where A may be bound. */
static char *
contexts_for(enum action a)
{
	GString *s = g_string_new(NULL);

	for (int c = 0; c < KCTX__COUNT; c++)
		if (action_allowed_in(a, (enum key_context)c))
			g_string_append_printf(s, "%s%s", s->len ? ", " : "",
			    key_context_name((enum key_context)c));
	return g_string_free(s, FALSE);
}

int
keymap_bind(struct keymap *km, const char *context, const char *key,
    const char *action, struct error *err)
{
	int ctx, act;
	key_code k;

	if ((ctx = key_context_from_name(context)) < 0) {
		char *names = context_names();

		error_set(err, "unknown context \"%.64s\"; expected one of: %s",
		    context ? context : "", names);
		g_free(names);
		return -1;
	}
	if (keyc_parse(key, &k, err) != 0)
		return -1;
	if ((act = action_from_name(action)) == -2) {
		char *names = action_names_for((enum key_context)ctx);

		error_set(err, "unknown action \"%.64s\"; in %s: %s",
		    action ? action : "", context, names);
		g_free(names);
		return -1;
	}
	if (!action_allowed_in((enum action)act, (enum key_context)ctx)) {
		char *where = contexts_for((enum action)act);

		error_set(err, "action %s cannot be bound in %s; it works in: "
		    "%s", action, context, where);
		g_free(where);
		return -1;
	}
	set_binding(km, (enum key_context)ctx, k, (enum action)act);
	return 0;
}

int
keymap_load_config(struct keymap *km, const struct config *cfg,
    struct error *err)
{
	for (size_t i = 0; i < cfg->n_bindings; i++) {
		const struct config_binding *b = &cfg->bindings[i];

		char where[32] = "";

		if (keymap_bind(km, b->context, b->key, b->action, err) == 0)
			continue;
		if (b->line > 0)
			g_snprintf(where, sizeof where, ":%d", b->line);
		return error_prefix(err, "%s%s: bind %.64s %.64s %.64s",
		    cfg->path ? cfg->path : "config", where,
		    b->context ? b->context : "", b->key ? b->key : "",
		    b->action ? b->action : "");
	}
	return 0;
}

enum action
keymap_lookup(const struct keymap *km, enum key_context ctx, key_code k)
{
	const struct binding *b;

	k = keyc_normalize(k);
	if ((b = find_binding(km, ctx, k)) != NULL)
		return b->act;
	if (ctx != KCTX_PROMPT && ctx != KCTX_COMPOSE && ctx != KCTX_GLOBAL &&
	    (b = find_binding(km, KCTX_GLOBAL, k)) != NULL)
		return b->act;
	return ACT_NONE;
}

/*
 * The names of the keys bound to A in CTX's own table, plus (when
 * OR_GLOBAL) the global ones that CTX does not hide, in binding order.
 * NULL-terminated (g_strfreev), or NULL when there is none.
 */
static char **
keys_list(const struct keymap *km, enum key_context ctx, enum action a,
    bool or_global)
{
	GPtrArray *names = g_ptr_array_new();
	char name[KEYC_NAME_LEN];

	for (guint i = 0; i < km->b->len; i++) {
		const struct binding *b = &g_array_index(km->b, struct binding,
		    i);

		if (b->act != a)
			continue;
		if (b->ctx != ctx && !(or_global && b->ctx == KCTX_GLOBAL &&
		    find_binding(km, ctx, b->key) == NULL))
			continue;
		g_ptr_array_add(names, g_strdup(keyc_name(b->key, name)));
	}
	if (names->len == 0) {
		g_ptr_array_free(names, TRUE);
		return NULL;
	}
	g_ptr_array_add(names, NULL);
	return (char **)g_ptr_array_free(names, FALSE);
}

static char *
keys_text(const struct keymap *km, enum key_context ctx, enum action a,
    bool or_global)
{
	char **keys = keys_list(km, ctx, a, or_global);
	char *s;

	if (keys == NULL)
		return NULL;
	s = g_strjoinv(", ", keys);
	g_strfreev(keys);
	return s;
}

char *
keymap_keys_text(const struct keymap *km, enum key_context ctx,
    enum action a)
{
	return keys_text(km, ctx, a, ctx != KCTX_PROMPT && ctx != KCTX_COMPOSE);
}

static void
help_row_free(struct keymap_help_row *r)
{
	g_free(r->keys);
	g_free(r);
}

GPtrArray *
keymap_help(const struct keymap *km)
{
	GPtrArray *rows = g_ptr_array_new_with_free_func(
	    (GDestroyNotify)help_row_free);

	for (int c = 0; c < KCTX__COUNT; c++) {
		struct keymap_help_row *h = g_new0(struct keymap_help_row, 1);

		h->ctx = (enum key_context)c;
		h->act = ACT_NONE;
		g_ptr_array_add(rows, h);
		for (int a = 0; a < ACT__COUNT; a++) {
			/* Only CTX's own bindings: global ones are listed under global. */
			char *keys = keys_text(km, (enum key_context)c,
			    (enum action)a, false);
			bool native = (action_contexts((enum action)a) &
			    KC(c)) != 0;
			struct keymap_help_row *r;

			if (!native && keys == NULL)
				continue;
			r = g_new0(struct keymap_help_row, 1);
			r->ctx = (enum key_context)c;
			r->act = (enum action)a;
			r->keys = keys;
			g_ptr_array_add(rows, r);
		}
	}
	return rows;
}

void
keymap_print_text(FILE *fp, const struct keymap *km)
{
	GPtrArray *rows = keymap_help(km);

	for (guint i = 0; i < rows->len; i++) {
		const struct keymap_help_row *r = rows->pdata[i];

		if (r->act == ACT_NONE) {
			fprintf(fp, "%s%s: %s\n", i > 0 ? "\n" : "",
			    key_context_name(r->ctx), key_context_help(r->ctx));
			continue;
		}
		fprintf(fp, "  %-22s %-18s %s\n", action_name(r->act),
		    r->keys ? r->keys : "(not bound)", action_help(r->act));
	}
	g_ptr_array_unref(rows);
}

/* Writes a key name as an mdoc argument that no macro can take for punctuation or a request. */
static void
mdoc_key(FILE *fp, const char *name)
{
	fputs("\\&", fp);
	for (const char *p = name; *p != '\0'; p++) {
		if (*p == '\\')
			fputs("\\e", fp);
		else if (*p == '"')
			fputs("\\(dq", fp);
		else
			fputc(*p, fp);
	}
}

void
keymap_print_mdoc(FILE *fp, const struct keymap *km)
{
	GPtrArray *rows = keymap_help(km);
	bool open = false;

	for (guint i = 0; i < rows->len; i++) {
		const struct keymap_help_row *r = rows->pdata[i];

		if (r->act == ACT_NONE) {
			if (open)
				fputs(".El\n", fp);
			fprintf(fp, ".Ss %s\n%c%s.\n.Bl -tag -width Ds\n",
			    key_context_name(r->ctx),
			    g_ascii_toupper(key_context_help(r->ctx)[0]),
			    key_context_help(r->ctx) + 1);
			open = true;
			continue;
		}
		fprintf(fp, ".It Ic %s", action_name(r->act));
		if (r->keys != NULL) {
			char **keys = keys_list(km, r->ctx, r->act, false);

			fputs(" Pq", fp);
			for (char **k = keys; *k != NULL; k++) {
				fputs(k == keys ? " Cm " : " , Cm ", fp);
				mdoc_key(fp, *k);
			}
			g_strfreev(keys);
		} else
			fputs(" Pq not bound", fp);
		fprintf(fp, "\n%c%s.\n", g_ascii_toupper(action_help(r->act)[0]),
		    action_help(r->act) + 1);
	}
	if (open)
		fputs(".El\n", fp);
	g_ptr_array_unref(rows);
}
