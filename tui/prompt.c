/* tui/prompt.c: questions on the bottom line: line editing, completion, masked passphrases, resize-safe. */
#include "build-config.h"

#include <string.h>

#include "tui/tui.h"

GPtrArray *
prompt_matches(const char *const *choices, const char *text)
{
	GPtrArray *m = g_ptr_array_new();
	size_t n = strlen(text);

	for (size_t i = 0; choices != NULL && choices[i] != NULL; i++)
		if (g_ascii_strncasecmp(choices[i], text, n) == 0)
			g_ptr_array_add(m, (gpointer)choices[i]);
	return m;
}

struct edit {
	GArray *text; /* gunichar */
	guint cur;
	GPtrArray *comp; /* matches being cycled by repeated Tab, or NULL */
	guint comp_i;
};

static char *
edit_utf8(const struct edit *e)
{
	char *s = g_ucs4_to_utf8((const gunichar *)(const void *)e->text->data,
	    (glong)e->text->len, NULL, NULL, NULL);

	return s ? s : g_strdup("");
}

static void
edit_set(struct edit *e, const char *s)
{
	glong n = 0;
	gunichar *u = g_utf8_to_ucs4(s, -1, NULL, &n, NULL);

	g_array_set_size(e->text, 0);
	if (u != NULL)
		g_array_append_vals(e->text, u, (guint)n);
	g_free(u);
	e->cur = e->text->len;
}

static void
edit_reset_comp(struct edit *e)
{
	if (e->comp != NULL)
		g_ptr_array_unref(e->comp);
	e->comp = NULL;
	e->comp_i = 0;
}

/* Tab: complete the longest common prefix, or cycle through the matches. */
static void
edit_complete(struct edit *e, const char *const *choices)
{
	char *text;
	GPtrArray *m;
	size_t lcp;

	if (e->comp != NULL) {
		e->comp_i = (e->comp_i + 1) % e->comp->len;
		edit_set(e, e->comp->pdata[e->comp_i]);
		return;
	}
	text = edit_utf8(e);
	m = prompt_matches(choices, text);
	if (m->len == 0) {
		g_ptr_array_unref(m);
		g_free(text);
		beep();
		return;
	}
	if (m->len == 1) {
		edit_set(e, m->pdata[0]);
		g_ptr_array_unref(m);
		g_free(text);
		return;
	}
	lcp = strlen(m->pdata[0]);
	for (guint i = 1; i < m->len; i++) {
		size_t k = 0;
		const char *a = m->pdata[0], *b = m->pdata[i];

		while (k < lcp && a[k] && g_ascii_tolower(a[k]) ==
		    g_ascii_tolower(b[k]))
			k++;
		lcp = k;
	}
	if (lcp > strlen(text)) {
		char *p = g_strndup(m->pdata[0], lcp);

		edit_set(e, p);
		g_free(p);
		g_ptr_array_unref(m);
	} else {
		/* Nothing more in common: the next Tabs step through the matches. */
		e->comp = m;
		e->comp_i = 0;
		edit_set(e, m->pdata[0]);
	}
	g_free(text);
}

static int
ucs4_width(const gunichar *u, guint n)
{
	char *s = g_ucs4_to_utf8(u, (glong)n, NULL, NULL, NULL);
	int w = s ? text_width(s) : 0;

	g_free(s);
	return w;
}

static void
prompt_draw(struct tui *t, const struct prompt_opts *o, struct edit *e)
{
	WINDOW *w = t->w_msg;
	int width, lw, avail, x, curx;
	guint start = 0;
	char *vis;

	if (w == NULL)
		return;
	width = getmaxx(w);
	werase(w);
	lw = draw_text(w, 0, 0, width - 2, o->label, ST_FIELD, false);
	avail = width - lw - 1;
	if (o->masked) {
		char *stars = g_strnfill(MIN(e->text->len, 64), '*');

		x = lw + draw_text(w, 0, lw, avail, stars, ST_NORMAL, false);
		curx = lw + (int)MIN(e->cur, 64);
		g_free(stars);
	} else {
		/* Scroll horizontally so the cursor stays visible. */
		while (start < e->cur && ucs4_width((const gunichar *)(void *)
		    e->text->data + start, e->cur - start) >= avail)
			start++;
		curx = lw + ucs4_width((const gunichar *)(void *)e->text->data +
		    start, e->cur - start);
		vis = g_ucs4_to_utf8((const gunichar *)(void *)e->text->data +
		    start, (glong)(e->text->len - start), NULL, NULL, NULL);
		x = lw + draw_text(w, 0, lw, avail, vis ? vis : "", ST_NORMAL,
		    false);
		g_free(vis);
	}
	if (o->choices != NULL && !o->masked && x + 4 < width) {
		char *text = edit_utf8(e);
		GPtrArray *m = prompt_matches(o->choices, e->comp ? "" : text);
		GString *h = g_string_new("  ");

		for (guint i = 0; i < m->len; i++)
			g_string_append_printf(h, "%s%s", i ? "|" : "{",
			    (const char *)m->pdata[i]);
		g_string_append(h, m->len ? "}" : "(no match)");
		draw_text(w, 0, x, width - x, h->str, ST_HINT, false);
		g_string_free(h, TRUE);
		g_ptr_array_unref(m);
		g_free(text);
	}
	wmove(w, 0, curx < width ? curx : width - 1);
	wnoutrefresh(w);
	doupdate();
}

/* Deletes N characters before the cursor. */
static void
edit_delete_back(struct edit *e, guint n)
{
	if (n > e->cur)
		n = e->cur;
	g_array_remove_range(e->text, e->cur - n, n);
	e->cur -= n;
}

int
prompt_read(struct tui *t, const struct prompt_opts *o, char **out)
{
	struct edit e = { g_array_new(FALSE, TRUE, sizeof(gunichar)), 0, NULL,
		0 };
	int result = -2;

	edit_set(&e, o->initial ? o->initial : "");
	curs_set(1);
	while (result == -2) {
		key_code k;
		enum action act;
		int rc;

		prompt_draw(t, o, &e);
		if (t->w_msg != NULL)
			wtimeout(t->w_msg, -1);
		rc = tui_read_key(t, &k);
		if (rc == 1)
			continue; /* resized: everything was redrawn, now the prompt */
		if (rc < 0) {
			if (t->quit)
				result = -1;
			continue;
		}
		act = keymap_lookup(t->km, KCTX_PROMPT, k);
		if (act != ACT_PROMPT_COMPLETE)
			edit_reset_comp(&e);
		switch (act) {
		case ACT_PROMPT_ACCEPT:
			*out = edit_utf8(&e);
			result = 0;
			break;
		case ACT_PROMPT_CANCEL:
			result = -1;
			break;
		case ACT_PROMPT_COMPLETE:
			if (o->choices != NULL && !o->masked)
				edit_complete(&e, o->choices);
			break;
		case ACT_PROMPT_LEFT:
			if (e.cur > 0)
				e.cur--;
			break;
		case ACT_PROMPT_RIGHT:
			if (e.cur < e.text->len)
				e.cur++;
			break;
		case ACT_PROMPT_HOME:
			e.cur = 0;
			break;
		case ACT_PROMPT_END:
			e.cur = e.text->len;
			break;
		case ACT_PROMPT_BACKSPACE:
			edit_delete_back(&e, 1);
			break;
		case ACT_PROMPT_DELETE:
			if (e.cur < e.text->len)
				g_array_remove_index(e.text, e.cur);
			break;
		case ACT_PROMPT_KILL:
			edit_delete_back(&e, e.cur);
			break;
		case ACT_PROMPT_KILL_WORD: {
			guint i = e.cur;
			const gunichar *u = (const gunichar *)(void *)
			    e.text->data;

			while (i > 0 && u[i - 1] == ' ')
				i--;
			while (i > 0 && u[i - 1] != ' ')
				i--;
			edit_delete_back(&e, e.cur - i);
			break;
		}
		default:
			if (keyc_is_text(k)) {
				gunichar ch = (gunichar)k;

				g_array_insert_val(e.text, e.cur, ch);
				e.cur++;
			}
			break;
		}
	}
	/* A passphrase must not linger in freed memory. */
	if (e.text->len > 0)
		memset(e.text->data, 0, e.text->len * sizeof(gunichar));
	g_array_unref(e.text);
	edit_reset_comp(&e);
	curs_set(0);
	t->dirty |= DIRTY_MSG;
	return result;
}

bool
prompt_yes_no(struct tui *t, const char *question)
{
	for (;;) {
		key_code k;
		int rc;

		if (t->w_msg != NULL) {
			werase(t->w_msg);
			draw_text(t->w_msg, 0, 0, getmaxx(t->w_msg), question,
			    ST_FIELD, false);
			wnoutrefresh(t->w_msg);
			doupdate();
			wtimeout(t->w_msg, -1);
		}
		rc = tui_read_key(t, &k);
		if (rc == 1)
			continue;
		t->dirty |= DIRTY_MSG;
		return rc == 0 && (k == 'y' || k == 'Y');
	}
}

char *
prompt_ask(struct tui *t, const char *label, const char *initial,
    const char *const *choices)
{
	struct prompt_opts o = {label, initial, choices, false};
	char *answer = NULL;

	if (prompt_read(t, &o, &answer) != 0)
		return NULL;
	return answer;
}
