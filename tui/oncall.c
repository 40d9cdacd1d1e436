/* tui/oncall.c: the on-call view (every deadline overdue or due soon, across all cases) and the status bar's on-call hint. */
#include "build-config.h"

#include <string.h>

#include "core/clock.h"
#include "core/domain.h"
#include "core/oncall.h"
#include "tui/tui.h"

/* One line of the view: a deadline of a case (both owned by t->cases). */
struct oc_row {
	const struct case_view *cv;
	const struct deadline *d;
};

static bool
is_mine(const struct tui *t, const struct case_view *cv)
{
	const char *h = store_case_field(cv->sc, "handler");

	return h != NULL && t->app->cfg->me != NULL &&
	    g_ascii_strcasecmp(h, t->app->cfg->me) == 0;
}

static int
row_cmp(gconstpointer a, gconstpointer b)
{
	const struct oc_row *x = a, *y = b;

	if (x->d->due != y->d->due)
		return x->d->due < y->d->due ? -1 : 1;
	if (x->cv->sc->id != y->cv->sc->id)
		return x->cv->sc->id < y->cv->sc->id ? -1 : 1;
	return (int)x->d->kind - (int)y->d->kind;
}

/*
 * Every unmet deadline that is overdue or falls due within [oncall] window,
 * soonest (most overdue) first.  Worked out from the queue's cases, so it
 * follows every reload.  GArray of struct oc_row.
 */
static GArray *
oc_rows(const struct tui *t)
{
	GArray *rows = g_array_new(FALSE, FALSE, sizeof(struct oc_row));
	int64_t window = t->app->cfg->oncall_window;

	for (guint i = 0; t->cases != NULL && i < t->cases->len; i++) {
		const struct case_view *cv = t->cases->pdata[i];

		if (t->oncall_mine && !is_mine(t, cv))
			continue;
		for (size_t k = 0; k < cv->dl.n; k++) {
			const struct deadline *d = &cv->dl.d[k];
			struct oc_row r = { cv, d };

			if (d->urgency == URG_MET || d->met_at != 0)
				continue;
			if ((int64_t)(d->due - t->app->now) > window)
				continue;
			g_array_append_val(rows, r);
		}
	}
	g_array_sort(rows, row_cmp);
	return rows;
}

/* Keeps the selection on the same deadline when the rows change under it. */
static void
sel_fix(struct tui *t, GArray *rows)
{
	int n = (int)rows->len;

	for (int i = 0; i < n; i++) {
		const struct oc_row *r = &g_array_index(rows, struct oc_row, i);

		if (r->cv->sc->id == t->oncall_sel_case &&
		    (int)r->d->kind == t->oncall_sel_kind) {
			t->oncall_sel = i;
			break;
		}
	}
	if (t->oncall_sel >= n)
		t->oncall_sel = n - 1;
	if (t->oncall_sel < 0)
		t->oncall_sel = 0;
	if (n > 0) {
		const struct oc_row *r = &g_array_index(rows, struct oc_row,
		    t->oncall_sel);

		t->oncall_sel_case = r->cv->sc->id;
		t->oncall_sel_kind = (int)r->d->kind;
	} else
		t->oncall_sel_case = -1;
}

int
oncall_view_page(const struct tui *t)
{
	int h = t->w_panel != NULL ? getmaxy(t->w_panel) - 2 : 1;

	return h > 0 ? h : 1;
}

static void
scroll_fix(struct tui *t, int n)
{
	int vis = oncall_view_page(t);

	if (t->oncall_sel < t->oncall_top)
		t->oncall_top = t->oncall_sel;
	else if (t->oncall_sel >= t->oncall_top + vis)
		t->oncall_top = t->oncall_sel - vis + 1;
	if (t->oncall_top > n - vis)
		t->oncall_top = n - vis;
	if (t->oncall_top < 0)
		t->oncall_top = 0;
}

void
oncall_view_toggle(struct tui *t)
{
	t->oncall_open = !t->oncall_open;
	if (t->oncall_open) {
		t->oncall_sel = t->oncall_top = 0;
		t->oncall_sel_case = -1;
	}
	t->dirty = DIRTY_ALL;
}

void
oncall_view_toggle_mine(struct tui *t)
{
	t->oncall_mine = !t->oncall_mine;
	t->oncall_sel = t->oncall_top = 0;
	t->oncall_sel_case = -1;
	tui_message(t, ST_INFO, "on-call view: %s",
	    t->oncall_mine ? "my cases only" : "all cases");
	t->dirty |= DIRTY_PANEL;
}

void
oncall_view_move(struct tui *t, int delta, bool absolute)
{
	GArray *rows = oc_rows(t);

	sel_fix(t, rows);
	t->oncall_sel = absolute ? delta : t->oncall_sel + delta;
	t->oncall_sel_case = -1;
	sel_fix(t, rows);
	scroll_fix(t, (int)rows->len);
	g_array_unref(rows);
	t->dirty |= DIRTY_PANEL;
}

int64_t
oncall_view_selected(struct tui *t)
{
	GArray *rows = oc_rows(t);
	int64_t id;

	sel_fix(t, rows);
	id = rows->len > 0 ? t->oncall_sel_case : -1;
	g_array_unref(rows);
	return id;
}

/* Draws TEXT clipped into a column of WIDTH (plus one blank) at *X. */
static void
col(WINDOW *w, int y, int *x, int width, const char *text, enum style st,
    attr_t sel)
{
	int avail = getmaxx(w) - *x;
	char *clip;

	if (avail <= 0)
		return;
	if (width > avail)
		width = avail;
	clip = text_clip(text, width > 1 ? width - 1 : width);
	*x += draw_text_ex(w, y, *x, width, clip, st, sel, true);
	g_free(clip);
}

void
oncall_view_draw(struct tui *t)
{
	WINDOW *w = t->w_panel;
	GArray *rows;
	int width, vis, idw = 4, hw;
	bool wide;
	char *s, window[CLOCK_LEFT_LEN];
	const char *who;

	if (w == NULL)
		return;
	werase(w);
	width = getmaxx(w);
	wide = width >= 100;
	rows = oc_rows(t);
	sel_fix(t, rows);
	scroll_fix(t, (int)rows->len);
	vis = oncall_view_page(t);

	clock_format_left(t->app->cfg->oncall_window, window);
	who = oncall_hint(t, true);
	s = g_strdup_printf(" on call: %u deadline%s overdue or due within %s, "
	    "%s (M: %s)%s%s", rows->len, rows->len == 1 ? "" : "s", window,
	    t->oncall_mine ? "my cases" : "all cases",
	    t->oncall_mine ? "all" : "mine", who ? "  " : "", who ? who : "");
	draw_text(w, 0, 0, width, s, ST_TITLE_FOCUS, true);
	g_free(s);

	for (guint i = 0; i < rows->len; i++) {
		int64_t id = g_array_index(rows, struct oc_row, i).cv->sc->id;
		int d = 1;

		while ((id /= 10) > 0)
			d++;
		if (d + 1 > idw)
			idw = d + 1;
	}
	hw = wide ? 22 : 10;
	{
		int x = 0;

		char *head = g_strdup_printf("%*s", idw, "case");

		col(w, 1, &x, idw + 3, head, ST_COLHEAD, 0);
		g_free(head);
		col(w, 1, &x, 6, "ref", ST_COLHEAD, 0);
		col(w, 1, &x, 10, "kind", ST_COLHEAD, 0);
		col(w, 1, &x, 10, "left", ST_COLHEAD, 0);
		if (wide)
			col(w, 1, &x, 17, "due", ST_COLHEAD, 0);
		col(w, 1, &x, hw, "handler", ST_COLHEAD, 0);
		if (x < width)
			draw_text(w, 1, x, width - x, "subject", ST_COLHEAD,
			    true);
	}
	if (rows->len == 0) {
		s = g_strdup_printf("nothing is overdue or due within %s%s",
		    window, t->oncall_mine ? " in my cases" : "");
		draw_text(w, 2, 2, width - 2, s, ST_INFO, false);
		g_free(s);
	}
	for (int i = t->oncall_top; i < t->oncall_top + vis &&
	    i < (int)rows->len; i++) {
		const struct oc_row *r = &g_array_index(rows, struct oc_row, i);
		const struct store_case *sc = r->cv->sc;
		attr_t sel = i == t->oncall_sel ? A_REVERSE : 0;
		enum style ust = colour_urgency((int)r->d->urgency);
		const char *h = store_case_field(sc, "handler"), *at;
		char buf[64], left[CLOCK_LEFT_LEN], *hv;
		int x = 0, y = 2 + i - t->oncall_top;

		g_snprintf(buf, sizeof buf, "%*lld", idw, (long long)sc->id);
		col(w, y, &x, idw + 1, buf, ST_NORMAL, sel);
		/* The marker keeps urgency visible without colour. */
		col(w, y, &x, 2, r->d->urgency == URG_OVERDUE ? "!" :
		    r->d->urgency == URG_SOON ? "~" : " ", ust, sel);
		col(w, y, &x, 6, sc->ref, ST_NORMAL, sel);
		col(w, y, &x, 10, deadline_kind_name(r->d->kind), ust, sel);
		col(w, y, &x, 10, clock_format_left((int64_t)(r->d->due -
		    t->app->now), left), ust, sel);
		if (wide) {
			s = clock_format_local(r->d->due, t->app->cfg->timezone);
			col(w, y, &x, 17, s, ST_NORMAL, sel);
			g_free(s);
		}
		if (h == NULL || *h == '\0')
			hv = g_strdup("-");
		else if (!wide && (at = strchr(h, '@')) != NULL)
			hv = g_strndup(h, (gsize)(at - h));
		else
			hv = g_strdup(h);
		col(w, y, &x, hw, hv, ST_NORMAL, sel);
		g_free(hv);
		if (x < width) {
			char *clip = text_clip(sc->facts.subject ?
			    sc->facts.subject : "", width - x);

			draw_text_ex(w, y, x, width - x, clip, ST_NORMAL, sel,
			    true);
			g_free(clip);
		}
	}
	g_array_unref(rows);
}

/* Works out who is on call when the clock has moved on a minute (the rota file is read then). */
static void
oncall_update(struct tui *t)
{
	struct error err = {{0}};
	char *who = NULL;

	if (t->oncall_checked != 0 && t->oncall_checked / 60 ==
	    t->app->now / 60)
		return;
	t->oncall_checked = t->app->now;
	g_free(t->oncall_who);
	g_free(t->oncall_error);
	t->oncall_who = t->oncall_error = NULL;
	if (t->app->cfg->rota == NULL)
		return;
	if (oncall_now(t->app->cfg, t->app->now, &who, &err) != 0) {
		t->oncall_error = g_strdup(err.msg);
		tui_message(t, ST_ERROR, "rota: %s", err.msg);
		return;
	}
	t->oncall_who = who;
}

const char *
oncall_hint(struct tui *t, bool wide)
{
	static char buf[320];
	const char *who, *at;
	const char *me = t->app->cfg->me;

	oncall_update(t);
	if (t->app->cfg->rota == NULL)
		return NULL;
	if (t->oncall_error != NULL)
		return "on call: ? (rota unreadable)";
	if (t->oncall_who == NULL)
		return "on call: nobody (before the rota)";
	who = t->oncall_who;
	if (me != NULL && g_ascii_strcasecmp(who, me) == 0)
		return "on call: you";
	if (!wide && (at = strchr(who, '@')) != NULL)
		g_snprintf(buf, sizeof buf, "on call: %.*s", (int)(at - who),
		    who);
	else
		g_snprintf(buf, sizeof buf, "on call: %s", who);
	return buf;
}

void
oncall_free(struct tui *t)
{
	g_free(t->oncall_who);
	g_free(t->oncall_error);
	t->oncall_who = t->oncall_error = NULL;
}
