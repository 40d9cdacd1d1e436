/* tui/status.c: the status bar (counts by urgency, who I am, filters) and the message line. */
#include "build-config.h"

#include <stdarg.h>
#include <string.h>

#include "core/clock.h"
#include "core/domain.h"
#include "tui/tui.h"

void
status_draw(struct tui *t)
{
	WINDOW *w = t->w_status;
	int counts[URG__COUNT] = {0}, none = 0, x = 0, width;
	const struct case_view *first = NULL;
	const char *filter, *hint;
	char *help_keys, *s;
	GString *b;

	if (w == NULL)
		return;
	width = getmaxx(w);
	werase(w);
	for (guint i = 0; t->cases != NULL && i < t->cases->len; i++) {
		const struct case_view *cv = t->cases->pdata[i];

		if (cv->dl.next >= 0) {
			counts[cv->dl.d[cv->dl.next].urgency]++;
			if (first == NULL)
				first = cv;
		} else
			none++;
	}

	b = g_string_new(" ");
	if (t->app->cfg->me != NULL)
		g_string_append_printf(b, "%s  ", t->app->cfg->me);
	/* Who is on call by the rota: whom to ask, or a reminder that it is me. */
	if ((hint = oncall_hint(t, width >= 100)) != NULL)
		g_string_append_printf(b, "%s  ", hint);
	/* With a filter, how many it lets through comes first: it is what the screen shows. */
	filter = queue_filter_text(t);
	if (*filter != '\0')
		g_string_append_printf(b, "%u of ", t->rows->len);
	g_string_append_printf(b, "%u case%s",
	    t->cases ? t->cases->len : 0,
	    t->cases && t->cases->len == 1 ? "" : "s");
	x += draw_text(w, 0, x, width - x, b->str, ST_STATUS, false);
	g_string_free(b, TRUE);

	/* The counts in their urgency styles, so the bar alone tells how bad things are. */
	for (int u = URG_OVERDUE; u <= URG_OK; u++) {
		if (counts[u] == 0 || x >= width)
			continue;
		s = g_strdup_printf(" %d %s", counts[u],
		    urgency_name((enum urgency)u));
		x += draw_text(w, 0, x, width - x, s,
		    colour_enabled() ? ST_STATUS : colour_urgency(u), false);
		g_free(s);
	}
	if (first != NULL && x < width) {
		const struct deadline *d = &first->dl.d[first->dl.next];
		char left[CLOCK_LEFT_LEN];

		s = g_strdup_printf("  next #%lld %s %s",
		    (long long)first->sc->id, deadline_kind_short(d->kind),
		    clock_format_left_short((int64_t)(d->due - t->app->now),
		    left));
		x += draw_text(w, 0, x, width - x, s, ST_STATUS, false);
		g_free(s);
	}
	if (*filter != '\0' && x < width) {
		s = g_strdup_printf("  filter: %s", filter);
		x += draw_text(w, 0, x, width - x, s, ST_STATUS, false);
		g_free(s);
	}
	/* The first key of help, so a newcomer can find the rest. */
	help_keys = keymap_keys_text(t->km, KCTX_GLOBAL, ACT_HELP);
	if (help_keys != NULL && strlen(help_keys) > 1 &&
	    (s = strstr(help_keys + 1, ", ")) != NULL)
		*s = '\0';
	s = help_keys ? g_strdup_printf("%s:help ", help_keys) : g_strdup("");
	if (x < width) {
		int hw = text_width(s);

		draw_text(w, 0, x, width - x, "", ST_STATUS, true);
		if (x + hw + 1 < width)
			draw_text(w, 0, width - hw, hw, s, ST_STATUS, false);
	}
	g_free(s);
	g_free(help_keys);
}

void
msg_draw(struct tui *t)
{
	if (t->w_msg == NULL)
		return;
	werase(t->w_msg);
	if (t->too_small)
		draw_text(t->w_msg, 0, 0, getmaxx(t->w_msg),
		    "terminal too small", ST_ERROR, true);
	else if (t->msg != NULL)
		draw_text(t->w_msg, 0, 0, getmaxx(t->w_msg), t->msg,
		    t->msg_style, true);
}

void
tui_message(struct tui *t, enum style st, const char *fmt, ...)
{
	va_list ap;

	g_free(t->msg);
	va_start(ap, fmt);
	t->msg = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	t->msg_style = st;
	t->msg_keep = true;
	t->dirty |= DIRTY_MSG;
}
