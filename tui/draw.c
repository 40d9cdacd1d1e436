/* tui/draw.c: the one path from text to the screen: sanitise, measure with wcwidth, clip, draw. */
#include "build-config.h"

#include <string.h>
#include <wchar.h>

#include "core/sanitize.h"
#include "tui/tui.h"

/* Columns of one character; unprintable ones are drawn as U+FFFD (1 column). */
static int
char_width(gunichar *ch)
{
	int w;

	if (*ch >= 0x20 && *ch < 0x7f)
		return 1; /* printable ASCII, most of mail: no wcwidth call */
	w = wcwidth((wchar_t)*ch);
	if (w < 0) {
		*ch = 0xfffd;
		w = 1;
	}
	return w;
}

/* S when it is already display-safe, else a sanitised copy in *TMP. */
static const char *
safe_text(const char *s, char **tmp)
{
	*tmp = NULL;
	if (s == NULL)
		return "";
	if (sanitize_is_safe(s, SAN_LINE))
		return s;
	*tmp = sanitize_text(s, -1, SAN_LINE);
	return *tmp;
}

int
text_width(const char *s)
{
	char *tmp;
	const char *p = safe_text(s, &tmp);
	int w = 0;

	for (; *p != '\0'; p = g_utf8_next_char(p)) {
		gunichar ch = g_utf8_get_char(p);

		w += char_width(&ch);
	}
	g_free(tmp);
	return w;
}

int
draw_text(WINDOW *w, int y, int x, int width, const char *s, enum style st,
    bool pad)
{
	return draw_text_ex(w, y, x, width, s, st, 0, pad);
}

int
draw_text_ex(WINDOW *w, int y, int x, int width, const char *s,
    enum style st, attr_t extra, bool pad)
{
	char *tmp;
	const char *p = safe_text(s, &tmp);
	wchar_t buf[512];
	int used = 0, n = 0;

	if (width <= 0) {
		g_free(tmp);
		return 0;
	}
	colour_set(w, st);
	if (extra != 0)
		wattr_on(w, extra, NULL);
	wmove(w, y, x);
	for (; *p != '\0'; p = g_utf8_next_char(p)) {
		gunichar ch = g_utf8_get_char(p);
		int cw = char_width(&ch);

		if (cw == 0 && used == 0)
			continue; /* a combining mark with nothing to combine with */
		if (used + cw > width)
			break;
		buf[n++] = (wchar_t)ch;
		used += cw;
		if (n == (int)G_N_ELEMENTS(buf) - 1) {
			waddnwstr(w, buf, n);
			n = 0;
		}
	}
	if (n > 0)
		waddnwstr(w, buf, n);
	if (pad) {
		for (; used < width; used++)
			waddch(w, ' ');
	}
	g_free(tmp);
	return used;
}

void
draw_text_right(WINDOW *w, int y, int x, int width, const char *s,
    enum style st)
{
	int tw = text_width(s);

	if (tw < width) {
		colour_set(w, st);
		mvwprintw(w, y, x, "%*s", width - tw, "");
		draw_text(w, y, x + width - tw, tw, s, st, false);
	} else
		draw_text(w, y, x, width, s, st, false);
}

char *
text_clip(const char *s, int width)
{
	char *tmp;
	const char *p = safe_text(s, &tmp), *start = p;
	int used = 0, total = text_width(p);
	char *res;

	if (total <= width) {
		res = g_strdup(p);
		g_free(tmp);
		return res;
	}
	if (width <= 0) {
		g_free(tmp);
		return g_strdup("");
	}
	for (; *p != '\0'; p = g_utf8_next_char(p)) {
		gunichar ch = g_utf8_get_char(p);
		int cw = char_width(&ch);

		if (used + cw > width - 1)
			break;
		used += cw;
	}
	res = g_strdup_printf("%.*s\xe2\x80\xa6", (int)(p - start), start);
	g_free(tmp);
	return res;
}

void
text_wrap(const char *s, int width, GPtrArray *out)
{
	char *tmp;
	const char *p = safe_text(s, &tmp);
	const char *line = p, *brk = NULL;
	int col = 0, col_at_brk = 0;

	if (width < 1)
		width = 1;
	while (*p != '\0') {
		gunichar ch = g_utf8_get_char(p);
		int cw = char_width(&ch);

		if (col + cw > width && p > line) {
			if (brk != NULL && brk > line) {
				/* Break at the last blank; the blank goes. */
				g_ptr_array_add(out, g_strndup(line,
				    (gsize)(brk - line)));
				line = g_utf8_next_char(brk);
				col -= col_at_brk + 1;
			} else {
				g_ptr_array_add(out, g_strndup(line,
				    (gsize)(p - line)));
				line = p;
				col = 0;
			}
			brk = NULL;
			continue;
		}
		if (ch == ' ') {
			brk = p;
			col_at_brk = col;
		}
		col += cw;
		p = g_utf8_next_char(p);
	}
	g_ptr_array_add(out, g_strdup(line));
	g_free(tmp);
}
