/* tui/help.c: the help screen, generated from the keymap so it always shows the real bindings. */
#include "build-config.h"

#include "tui/tui.h"

void
help_free(struct tui *t)
{
	if (t->help_rows != NULL)
		g_ptr_array_unref(t->help_rows);
	t->help_rows = NULL;
}

void
help_open(struct tui *t)
{
	help_free(t);
	t->help_rows = keymap_help(t->km);
	t->help_open = true;
	t->help_top = 0;
	t->dirty = DIRTY_ALL;
}

static int
help_lines(const struct tui *t)
{
	/* A blank line before each heading but the first. */
	return t->help_rows ? (int)t->help_rows->len + KCTX__COUNT - 1 : 0;
}

void
help_scroll(struct tui *t, int delta)
{
	int vis = t->w_help ? getmaxy(t->w_help) - 1 : 0;
	int max = help_lines(t) - vis;

	t->help_top += delta;
	if (t->help_top > max)
		t->help_top = max;
	if (t->help_top < 0)
		t->help_top = 0;
	t->dirty |= DIRTY_HELP;
}

void
help_draw(struct tui *t)
{
	WINDOW *w = t->w_help;
	int width, height, line = 0;
	char *close, *s;

	if (w == NULL || t->help_rows == NULL)
		return;
	werase(w);
	width = getmaxx(w);
	height = getmaxy(w);
	close = keymap_keys_text(t->km, KCTX_HELP, ACT_CLOSE);
	s = g_strdup_printf(" keys (%d-%d of %d; %s closes)", t->help_top + 1,
	    MIN(t->help_top + height - 1, help_lines(t)), help_lines(t),
	    close ? close : "close");
	draw_text(w, 0, 0, width, s, ST_TITLE_FOCUS, true);
	g_free(s);
	g_free(close);
	for (guint i = 0; i < t->help_rows->len; i++) {
		const struct keymap_help_row *r = t->help_rows->pdata[i];
		int y;

		if (r->act == ACT_NONE && i > 0)
			line++;
		y = 1 + line - t->help_top;
		line++;
		if (y < 1)
			continue;
		if (y >= height)
			break;
		if (r->act == ACT_NONE) {
			s = g_strdup_printf("%s: %s", key_context_name(r->ctx),
			    key_context_help(r->ctx));
			draw_text(w, y, 1, width - 1, s, ST_FIELD, false);
		} else {
			s = g_strdup_printf("  %-18s %-22s %s",
			    r->keys ? r->keys : "(not bound)",
			    action_name(r->act), action_help(r->act));
			draw_text(w, y, 0, width, s, r->keys ? ST_NORMAL :
			    ST_HINT, false);
		}
		g_free(s);
	}
}
