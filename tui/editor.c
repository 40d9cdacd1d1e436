/* tui/editor.c: the built-in multi-line editor: UTF-8 text, soft wrap to the width, cursor moves, drawing. */
#include "build-config.h"

#include <string.h>
#include <wchar.h>

#include "core/sanitize.h"
#include "tui/tui.h"

/* Characters: more is refused (a paste gone wrong, not a reply). */
#define EDITOR_MAX (1024 * 1024)

/* One screen row of the text: characters [start, end). */
struct vrow {
	guint start, end;
	bool soft; /* wrapped: the next row goes on with the same line */
};

struct editor {
	GArray *text;   /* gunichar: what is being written (wiped when changed or freed) */
	guint cur;      /* cursor: an index into text */
	int goal;       /* the column up and down keep to; -1 none */
	int top;        /* first row shown */
	GArray *rows;   /* struct vrow for rows_width */
	int rows_width; /* -1: rows are stale */
	int height;     /* rows drawn last time, for paging */
};

/* --- the text ------------------------------------------------------------------ */

static gunichar *
chars(const struct editor *e)
{
	return (gunichar *)(void *)e->text->data;
}

static void
text_wipe(GArray *a)
{
	if (a->len > 0)
		memset(a->data, 0, a->len * sizeof(gunichar));
}

static void
text_edited(struct editor *e)
{
	e->goal = -1;
	e->rows_width = -1;
}

struct editor *
editor_new(void)
{
	struct editor *e = g_new0(struct editor, 1);

	e->text = g_array_new(FALSE, TRUE, sizeof(gunichar));
	e->rows = g_array_new(FALSE, FALSE, sizeof(struct vrow));
	e->rows_width = -1;
	e->goal = -1;
	e->height = 1;
	return e;
}

void
editor_free(struct editor *e)
{
	if (e == NULL)
		return;
	text_wipe(e->text);
	g_array_unref(e->text);
	g_array_unref(e->rows);
	g_free(e);
}

void
editor_set_text(struct editor *e, const char *s)
{
	/* Sized first, so the old text is wiped in place rather than left in a freed block. */
	text_wipe(e->text);
	g_array_set_size(e->text, 0);
	for (const char *p = s; p != NULL && *p != '\0';) {
		gunichar ch = g_utf8_get_char_validated(p, -1);

		if (ch == (gunichar)-1 || ch == (gunichar)-2) {
			ch = 0xfffd;
			p++;
		} else
			p = g_utf8_next_char(p);
		if (ch != '\r')
			g_array_append_val(e->text, ch);
	}
	if (e->cur > e->text->len)
		e->cur = e->text->len;
	text_edited(e);
}

char *
editor_text(const struct editor *e)
{
	GString *s = g_string_sized_new(e->text->len * 4 + 1);

	for (guint i = 0; i < e->text->len; i++)
		if (g_unichar_validate(chars(e)[i]))
			g_string_append_unichar(s, chars(e)[i]);
	return g_string_free(s, FALSE);
}

bool
editor_blank(const struct editor *e)
{
	for (guint i = 0; i < e->text->len; i++)
		if (!g_unichar_isspace(chars(e)[i]))
			return false;
	return true;
}

void
editor_home(struct editor *e)
{
	e->cur = 0;
	e->top = 0;
	e->goal = -1;
}

static int
text_insert(struct editor *e, gunichar ch)
{
	if (e->text->len >= EDITOR_MAX)
		return -1;
	g_array_insert_val(e->text, e->cur, ch);
	e->cur++;
	text_edited(e);
	return 1;
}

static int
text_delete(struct editor *e, guint from, guint n)
{
	if (from >= e->text->len || n == 0)
		return 0;
	if (n > e->text->len - from)
		n = e->text->len - from;
	memset(chars(e) + from, 0, n * sizeof(gunichar));
	g_array_remove_range(e->text, from, n);
	if (e->cur > from + n)
		e->cur -= n;
	else if (e->cur > from)
		e->cur = from;
	text_edited(e);
	return 1;
}

/* --- layout: soft wrap to the width -------------------------------------- */

/*
 * What character CH at column COL looks like on screen (display-safe UTF-8
 * in BUF, as draw_text would show it) and how many columns it takes.
 */
static int
cell(gunichar ch, int col, char buf[16])
{
	int n, w;

	if (ch == '\t') {
		n = 8 - col % 8;
		memset(buf, ' ', (size_t)n);
		buf[n] = '\0';
		return n;
	}
	if (ch < 0x20 || ch == 0x7f || (ch >= 0x80 && ch < 0xa0))
		goto mark;
	n = g_unichar_to_utf8(ch, buf);
	buf[n] = '\0';
	if (!sanitize_is_safe(buf, SAN_LINE)) {
		char *s = sanitize_text(buf, n, SAN_LINE);

		g_strlcpy(buf, s, 16);
		g_free(s);
		return 1;
	}
	if ((w = wcwidth((wchar_t)ch)) >= 0)
		return w;
mark:
	g_strlcpy(buf, SAN_MARK_CONTROL, 16);
	return 1;
}

static void
layout(struct editor *e, int width)
{
	const gunichar *u = chars(e);
	guint n = e->text->len, start = 0, brk = 0;
	int col = 0;
	char buf[16];

	if (width < 2)
		width = 2;
	if (e->rows_width == width)
		return;
	g_array_set_size(e->rows, 0);
	for (guint i = 0; i <= n; i++) {
		int w;

		if (i == n || u[i] == '\n') {
			struct vrow r = { start, i, false };

			g_array_append_val(e->rows, r);
			start = i + 1;
			col = 0;
			brk = 0;
			continue;
		}
		w = cell(u[i], col, buf);
		if (col + w > width && i > start && u[i] == ' ') {
			/* A blank that does not fit hangs at the end of its row. */
			struct vrow r = { start, i + 1, true };

			g_array_append_val(e->rows, r);
			start = i + 1;
			col = 0;
			brk = 0;
			continue;
		}
		/* Too wide: break after the last blank of the row, else here. */
		while (col + w > width && i > start) {
			struct vrow r;

			r.start = start;
			r.end = brk > start ? brk : i;
			r.soft = true;
			g_array_append_val(e->rows, r);
			start = r.end;
			brk = 0;
			col = 0;
			for (guint j = start; j < i; j++)
				col += cell(u[j], col, buf);
			w = cell(u[i], col, buf);
		}
		col += w;
		if (u[i] == ' ' || u[i] == '\t')
			brk = i + 1;
	}
	e->rows_width = width;
}

static const struct vrow *
vrow_at(const struct editor *e, int r)
{
	return &g_array_index(e->rows, struct vrow, r);
}

/* The row the cursor at POS is shown on (at a soft break: the start of the next row). */
static int
row_of(const struct editor *e, guint pos)
{
	for (guint r = 0; r < e->rows->len; r++) {
		const struct vrow *v = vrow_at(e, (int)r);

		if (pos >= v->start && (pos < v->end || (pos == v->end &&
		    !v->soft)))
			return (int)r;
	}
	return (int)e->rows->len - 1;
}

static int
col_of(const struct editor *e, int r, guint pos)
{
	const struct vrow *v = vrow_at(e, r);
	char buf[16];
	int col = 0;

	for (guint i = v->start; i < pos && i < v->end; i++)
		col += cell(chars(e)[i], col, buf);
	return col;
}

/* The last place the cursor may take in row R. */
static guint
row_last(const struct editor *e, int r)
{
	const struct vrow *v = vrow_at(e, r);

	return v->soft && v->end > v->start ? v->end - 1 : v->end;
}

/* The place in row R nearest to column GOAL, not past it. */
static guint
pos_at(const struct editor *e, int r, int goal)
{
	const struct vrow *v = vrow_at(e, r);
	guint p, last = row_last(e, r);
	char buf[16];
	int col = 0;

	for (p = v->start; p < last; p++) {
		int w = cell(chars(e)[p], col, buf);

		if (col + w > goal)
			break;
		col += w;
	}
	return p;
}

static void
move_rows(struct editor *e, int delta)
{
	int r = row_of(e, e->cur), to = r + delta;

	if (e->goal < 0)
		e->goal = col_of(e, r, e->cur);
	if (to < 0)
		to = 0;
	if (to >= (int)e->rows->len)
		to = (int)e->rows->len - 1;
	if (to == r && delta != 0) {
		/* At the first or last row: to its start or end. */
		e->cur = delta < 0 ? vrow_at(e, r)->start : row_last(e, r);
		return;
	}
	e->cur = pos_at(e, to, e->goal);
}


/* --- keys and drawing ---------------------------------------------------------------- */

int
editor_key(struct editor *e, enum action act, key_code k, int width)
{
	int page = e->height > 1 ? e->height - 1 : 1;

	/* Only moves by row need the rows (a paste must not lay out the text per key). */
	switch (act) {
	case ACT_EDITOR_UP:
	case ACT_EDITOR_DOWN:
	case ACT_EDITOR_PAGE_UP:
	case ACT_EDITOR_PAGE_DOWN:
	case ACT_EDITOR_HOME:
	case ACT_EDITOR_END:
		layout(e, width);
		break;
	default:
		break;
	}
	switch (act) {
	case ACT_EDITOR_LEFT:
		if (e->cur > 0)
			e->cur--;
		e->goal = -1;
		return 0;
	case ACT_EDITOR_RIGHT:
		if (e->cur < e->text->len)
			e->cur++;
		e->goal = -1;
		return 0;
	case ACT_EDITOR_UP:
		move_rows(e, -1);
		return 0;
	case ACT_EDITOR_DOWN:
		move_rows(e, 1);
		return 0;
	case ACT_EDITOR_PAGE_UP:
		move_rows(e, -page);
		e->top = e->top > page ? e->top - page : 0;
		return 0;
	case ACT_EDITOR_PAGE_DOWN:
		move_rows(e, page);
		e->top += page;
		if (e->top > (int)e->rows->len - 1)
			e->top = (int)e->rows->len - 1;
		return 0;
	case ACT_EDITOR_HOME:
		e->cur = vrow_at(e, row_of(e, e->cur))->start;
		e->goal = -1;
		return 0;
	case ACT_EDITOR_END:
		e->cur = row_last(e, row_of(e, e->cur));
		e->goal = -1;
		return 0;
	case ACT_EDITOR_TOP:
		e->cur = 0;
		e->goal = -1;
		return 0;
	case ACT_EDITOR_BOTTOM:
		e->cur = e->text->len;
		e->goal = -1;
		return 0;
	case ACT_EDITOR_BACKSPACE:
		return e->cur > 0 ? text_delete(e, e->cur - 1, 1) : 0;
	case ACT_EDITOR_DELETE:
		return text_delete(e, e->cur, 1);
	case ACT_EDITOR_NEWLINE:
		return text_insert(e, '\n');
	case ACT_EDITOR_TAB:
		return text_insert(e, '\t');
	case ACT_EDITOR_KILL_LINE: {
		guint end = e->cur;

		while (end < e->text->len && chars(e)[end] != '\n')
			end++;
		return text_delete(e, e->cur, end > e->cur ? end - e->cur : 1);
	}
	case ACT_EDITOR_KILL_WORD: {
		guint i = e->cur;

		while (i > 0 && g_unichar_isspace(chars(e)[i - 1]))
			i--;
		while (i > 0 && !g_unichar_isspace(chars(e)[i - 1]))
			i--;
		return text_delete(e, i, e->cur - i);
	}
	default:
		if (act == ACT_NONE && keyc_is_text(k))
			return text_insert(e, (gunichar)k);
		return -2;
	}
}

void
editor_draw(struct editor *e, WINDOW *w, int y, int height)
{
	int width = getmaxx(w), crow, ccol;

	e->height = height > 0 ? height : 1;
	/* One column kept free, so the cursor always has a cell at a line's end. */
	layout(e, width - 1);
	crow = row_of(e, e->cur);
	if (crow < e->top)
		e->top = crow;
	else if (crow >= e->top + e->height)
		e->top = crow - e->height + 1;
	/* No blank rows below the end while there is text above to show. */
	if (e->top > (int)e->rows->len - e->height)
		e->top = (int)e->rows->len - e->height > 0 ?
		    (int)e->rows->len - e->height : 0;
	for (int r = e->top; r < (int)e->rows->len && r < e->top + e->height;
	    r++) {
		const struct vrow *v = vrow_at(e, r);
		GString *line = g_string_sized_new((v->end - v->start) * 8 + 1);
		char buf[16];
		int col = 0;

		for (guint i = v->start; i < v->end; i++) {
			col += cell(chars(e)[i], col, buf);
			g_string_append(line, buf);
		}
		draw_text(w, y + r - e->top, 0, width, line->str, ST_NORMAL,
		    true);
		explicit_bzero(line->str, line->len);
		g_string_free(line, TRUE);
	}
	ccol = col_of(e, crow, e->cur);
	wmove(w, y + crow - e->top, ccol < width ? ccol : width - 1);
}
