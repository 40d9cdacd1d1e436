/* tui/queue.c: the case queue panel: one row per case, most urgent first, filters, selection. */
#include "build-config.h"

#include <string.h>

#include "core/clock.h"
#include "core/domain.h"
#include "tui/tui.h"

/* Short state names for narrow columns (full names from 120 columns on). */
static const char *
state_short(const char *state)
{
	static const struct {
		const char *name, *abbr;
	} abbrs[] = {
		{ "acknowledged", "acked" },
		{ "distros-notified", "distros" },
	};

	for (size_t i = 0; i < G_N_ELEMENTS(abbrs); i++)
		if (strcmp(state, abbrs[i].name) == 0)
			return abbrs[i].abbr;
	return state;
}

static const char *
severity_short(const char *sev)
{
	static const struct {
		const char *name, *abbr;
	} abbrs[] = {
		{ "critical", "crit" },
		{ "important", "imp" },
		{ "moderate", "mod" },
		{ "minor", "min" },
	};

	for (size_t i = 0; i < G_N_ELEMENTS(abbrs); i++)
		if (strcmp(sev, abbrs[i].name) == 0)
			return abbrs[i].abbr;
	return sev;
}

/* The urgency marker beside the id: visible without colour too. */
static const char *
urgency_marker(int urgency)
{
	switch (urgency) {
	case URG_OVERDUE:
		return "!";
	case URG_SOON:
		return "~";
	default:
		return " ";
	}
}

/* Column widths for a panel WIDTH wide; the subject takes what is left. */
struct cols {
	int id, mark, next, sev, state, handler, reporter, subject;
	bool wide;
};

static void
cols_compute(const struct tui *t, int width, struct cols *c)
{
	int64_t max_id = 9;

	for (guint i = 0; i < t->cases->len; i++) {
		const struct case_view *cv = t->cases->pdata[i];

		if (cv->sc->id > max_id)
			max_id = cv->sc->id;
	}
	c->id = 0;
	for (; max_id > 0; max_id /= 10)
		c->id++;
	if (c->id < 2)
		c->id = 2;
	c->mark = 1;
	c->next = 9;
	c->wide = width >= 120;
	c->sev = c->wide ? 9 : 4;
	c->state = c->wide ? 16 : 9;
	c->handler = c->wide ? 12 : 8;
	c->reporter = c->wide ? 22 : 14;
	/* Eight separating blanks and a leading one. */
	c->subject = width - (1 + c->id + 1 + c->mark + 1 + c->next + 1 +
	    c->sev + 1 + c->state + 1 + c->handler + 1 + c->reporter + 1);
	if (c->subject < 0) {
		c->reporter += c->subject;
		if (c->reporter < 0)
			c->reporter = 0;
		c->subject = 0;
	}
}

static int
next_urgency(const struct case_view *cv)
{
	if (cv->dl.next < 0)
		return -1;
	return (int)cv->dl.d[cv->dl.next].urgency;
}

static void
draw_head(struct tui *t, const struct cols *c)
{
	WINDOW *w = t->w_queue;
	int x = 0, width = getmaxx(w);
	char *idh = g_strdup_printf("%*s", c->id + 1, "#");

	x += draw_text(w, 0, x, c->id + 1, idh, ST_COLHEAD, true);
	x += draw_text(w, 0, x, 1 + c->mark + 1, "   ", ST_COLHEAD, true);
	x += draw_text(w, 0, x, c->next + 1, "next", ST_COLHEAD, true);
	x += draw_text(w, 0, x, c->sev + 1, "sev", ST_COLHEAD, true);
	x += draw_text(w, 0, x, c->state + 1, "state", ST_COLHEAD, true);
	x += draw_text(w, 0, x, c->handler + 1, "handler", ST_COLHEAD, true);
	x += draw_text(w, 0, x, c->reporter + 1, "reporter", ST_COLHEAD, true);
	draw_text(w, 0, x, width - x, "subject", ST_COLHEAD, true);
	g_free(idh);
}

/* Draws queue row I (an index into t->rows) at its place on screen. */
static void
draw_row(struct tui *t, const struct cols *c, int i)
{
	WINDOW *w = t->w_queue;
	int y = 1 + i - t->top, x = 0, width = getmaxx(w);
	const struct case_view *cv;
	const struct store_case *sc;
	attr_t sel;
	int urg;
	char buf[64], left[CLOCK_LEFT_LEN];
	const char *v, *at;
	char *handler;

	if (i < t->top || y >= t->queue_h || i < 0 || i >= (int)t->rows->len)
		return;
	cv = t->rows->pdata[i];
	sc = cv->sc;
	/*
	 * The selection is a reverse-video block over the number and the
	 * urgency marker only: visible with and without colour, and moving
	 * it changes a few cells, so the terminal gets a few bytes, not two
	 * rows (issue 10: j in <= 200 bytes).
	 */
	sel = i == t->sel ? A_REVERSE : 0;
	urg = next_urgency(cv);

	g_snprintf(buf, sizeof buf, "%*lld ", c->id + 1, (long long)sc->id);
	x += draw_text_ex(w, y, x, c->id + 2, buf, ST_NORMAL, sel, true);
	x += draw_text_ex(w, y, x, c->mark, urgency_marker(urg),
	    colour_urgency(urg), sel, true);
	x += draw_text_ex(w, y, x, 1, " ", ST_NORMAL, sel, true);
	sel = 0;
	if (urg >= 0) {
		const struct deadline *d = &cv->dl.d[cv->dl.next];

		g_snprintf(buf, sizeof buf, "%s %s",
		    deadline_kind_short(d->kind),
		    clock_format_left_short((int64_t)(d->due - t->app->now),
		    left));
	} else
		g_strlcpy(buf, "-", sizeof buf);
	x += draw_text_ex(w, y, x, c->next, buf, colour_urgency(urg), sel,
	    true);
	x += draw_text_ex(w, y, x, 1, " ", ST_NORMAL, sel, true);

	v = store_case_field(sc, "severity");
	v = v && *v ? (c->wide ? v : severity_short(v)) : "-";
	x += draw_text_ex(w, y, x, c->sev, v, ST_NORMAL, sel, true);
	x += draw_text_ex(w, y, x, 1, " ", ST_NORMAL, sel, true);
	v = store_case_field(sc, "state");
	v = v && *v ? (c->wide ? v : state_short(v)) : "new";
	x += draw_text_ex(w, y, x, c->state, v, ST_NORMAL, sel, true);
	x += draw_text_ex(w, y, x, 1, " ", ST_NORMAL, sel, true);

	v = store_case_field(sc, "handler");
	if (v == NULL || *v == '\0')
		handler = g_strdup("-");
	else if (!c->wide && (at = strchr(v, '@')) != NULL)
		handler = g_strndup(v, (gsize)(at - v));
	else
		handler = g_strdup(v);
	{
		/* Clipped one short of the column, so a blank always follows. */
		char *clip = text_clip(handler, c->handler);

		x += draw_text_ex(w, y, x, c->handler + 1, clip, ST_NORMAL,
		    sel, true);
		g_free(clip);
	}
	g_free(handler);

	v = sc->facts.reporter_name && *sc->facts.reporter_name ?
	    sc->facts.reporter_name : sc->facts.reporter_addr;
	if (c->reporter > 0) {
		char *clip = text_clip(v ? v : "-", c->reporter);

		x += draw_text_ex(w, y, x, c->reporter + 1, clip, ST_NORMAL,
		    sel, true);
		g_free(clip);
	}
	if (x < width) {
		char *clip = text_clip(sc->facts.subject ? sc->facts.subject :
		    "", width - x);

		draw_text_ex(w, y, x, width - x, clip, ST_NORMAL, sel, true);
		g_free(clip);
	}
}

void
queue_draw(struct tui *t)
{
	struct cols c;
	int vis = queue_visible_rows(t);

	if (t->w_queue == NULL)
		return;
	werase(t->w_queue);
	cols_compute(t, getmaxx(t->w_queue), &c);
	draw_head(t, &c);
	if (t->rows->len == 0) {
		const char *why = t->cases->len == 0 ? "no open cases" :
		    "no case matches the filters (F drops them)";

		if (vis > 0)
			draw_text(t->w_queue, 1, 2, getmaxx(t->w_queue) - 2,
			    why, ST_INFO, false);
	}
	for (int i = t->top; i < t->top + vis && i < (int)t->rows->len; i++)
		draw_row(t, &c, i);
	t->prev_sel = t->sel;
}

/* Moving the selection repaints the two rows concerned, nothing else. */
void
queue_draw_sel(struct tui *t)
{
	struct cols c;

	if (t->w_queue == NULL)
		return;
	cols_compute(t, getmaxx(t->w_queue), &c);
	if (t->prev_sel != t->sel)
		draw_row(t, &c, t->prev_sel);
	draw_row(t, &c, t->sel);
	t->prev_sel = t->sel;
}

struct case_view *
queue_selected(const struct tui *t)
{
	if (t->sel < 0 || t->sel >= (int)t->rows->len)
		return NULL;
	return t->rows->pdata[t->sel];
}

void
queue_move_to(struct tui *t, int row)
{
	int vis = queue_visible_rows(t), n = (int)t->rows->len;
	int old_top = t->top;

	if (n == 0) {
		t->sel = t->top = 0;
		t->sel_id = -1;
		return;
	}
	if (row >= n)
		row = n - 1;
	if (row < 0)
		row = 0;
	t->sel = row;
	t->sel_id = ((struct case_view *)t->rows->pdata[row])->sc->id;
	if (vis < 1)
		vis = 1;
	if (t->sel < t->top)
		t->top = t->sel;
	else if (t->sel >= t->top + vis)
		t->top = t->sel - vis + 1;
	if (t->top > n - vis)
		t->top = n - vis > 0 ? n - vis : 0;
	t->dirty |= t->top != old_top ? DIRTY_QUEUE : DIRTY_QUEUE_SEL;
}

void
queue_move(struct tui *t, int delta)
{
	queue_move_to(t, t->sel + delta);
}

static bool
case_matches(const struct tui *t, const struct case_view *cv)
{
	const struct store_case *sc = cv->sc;
	const char *handler = store_case_field(sc, "handler");
	const char *state = store_case_field(sc, "state");

	if (t->f_mine && (handler == NULL || t->app->cfg->me == NULL ||
	    g_ascii_strcasecmp(handler, t->app->cfg->me) != 0))
		return false;
	if (t->f_unassigned && handler != NULL && *handler != '\0')
		return false;
	if (t->f_state != NULL &&
	    strcmp(state && *state ? state : "new", t->f_state) != 0)
		return false;
	if (t->f_threads != NULL && (sc->thread == NULL ||
	    !g_hash_table_contains(t->f_threads, sc->thread)))
		return false;
	return true;
}

/* Rebuilds the filtered rows, keeping the selected case selected when it is still there. */
void
queue_apply_filters(struct tui *t)
{
	int row = t->sel;

	g_ptr_array_set_size(t->rows, 0);
	for (guint i = 0; i < t->cases->len; i++) {
		struct case_view *cv = t->cases->pdata[i];

		if (case_matches(t, cv)) {
			if (cv->sc->id == t->sel_id)
				row = (int)t->rows->len;
			g_ptr_array_add(t->rows, cv);
		}
	}
	queue_move_to(t, row);
	t->dirty |= DIRTY_QUEUE | DIRTY_STATUS;
}

int
queue_reload(struct tui *t, struct error *err)
{
	GPtrArray *cases;

	if (app_cases(t->app, t->show_closed, &cases, err) != 0)
		return -1;
	g_ptr_array_set_size(t->rows, 0);
	if (t->cases != NULL)
		g_ptr_array_unref(t->cases);
	t->cases = cases;
	queue_apply_filters(t);
	return 0;
}

void
queue_free(struct tui *t)
{
	if (t->rows != NULL)
		g_ptr_array_unref(t->rows);
	if (t->cases != NULL)
		g_ptr_array_unref(t->cases);
	if (t->f_threads != NULL)
		g_hash_table_unref(t->f_threads);
	g_free(t->f_state);
	g_free(t->f_query);
	t->rows = t->cases = NULL;
	t->f_threads = NULL;
}

const char *
queue_filter_text(const struct tui *t)
{
	static char buf[256];

	buf[0] = '\0';
	if (t->f_mine)
		g_strlcat(buf, "mine ", sizeof buf);
	if (t->f_unassigned)
		g_strlcat(buf, "unassigned ", sizeof buf);
	if (t->f_state != NULL) {
		g_strlcat(buf, "state=", sizeof buf);
		g_strlcat(buf, t->f_state, sizeof buf);
		g_strlcat(buf, " ", sizeof buf);
	}
	if (t->f_query != NULL) {
		g_strlcat(buf, "/", sizeof buf);
		g_strlcat(buf, t->f_query, sizeof buf);
		g_strlcat(buf, " ", sizeof buf);
	}
	if (t->show_closed)
		g_strlcat(buf, "+closed ", sizeof buf);
	if (buf[0] != '\0')
		buf[strlen(buf) - 1] = '\0';
	return buf;
}
