/* tui/timeline.c: the open case: fields and deadlines, then its messages and events in time order. */
#include "build-config.h"

#include <string.h>

#include "core/clock.h"
#include "core/crypto.h"
#include "core/domain.h"
#include "core/format.h"
#include "core/sanitize.h"
#include "tui/tui.h"

/* Mail text is drawn after this gutter, which mail cannot produce: badges live left of it. */
#define GUTTER "  \xe2\x94\x82 "
#define GUTTER_W 4

static void
line_free(struct tl_line *l)
{
	for (guint i = 0; i < l->segs->len; i++)
		g_free(g_array_index(l->segs, struct tl_seg, i).text);
	g_array_unref(l->segs);
	g_free(l);
}

static struct tl_line *
line_new(GPtrArray *lines, int msg)
{
	struct tl_line *l = g_new0(struct tl_line, 1);

	l->segs = g_array_new(FALSE, FALSE, sizeof(struct tl_seg));
	l->msg = msg;
	g_ptr_array_add(lines, l);
	return l;
}

/* Adds TEXT (any origin: it is sanitised here) to line L in style ST. */
static void
seg_add(struct tl_line *l, enum style st, const char *text)
{
	struct tl_seg seg;

	seg.style = st;
	seg.text = sanitize_text(text ? text : "", -1, SAN_LINE);
	g_array_append_val(l->segs, seg);
}

/* Adds TEXT (a new string, taken) to line L in style ST: text_wrap's output is already safe, so it is only checked. */
static void
seg_take(struct tl_line *l, enum style st, char *text)
{
	struct tl_seg seg;

	seg.style = st;
	if (sanitize_is_safe(text, SAN_LINE))
		seg.text = text;
	else {
		seg.text = sanitize_text(text, -1, SAN_LINE);
		g_free(text);
	}
	g_array_append_val(l->segs, seg);
}

static int
line_width(const struct tl_line *l)
{
	int w = 0;

	for (guint i = 0; i < l->segs->len; i++)
		w += text_width(g_array_index(l->segs, struct tl_seg, i).text);
	return w;
}

/* Wraps TEXT (one line, any origin) after PREFIX into lines of WIDTH columns. */
static void
add_wrapped(GPtrArray *lines, int msg, int width, const char *prefix,
    enum style pst, const char *text, enum style st)
{
	GPtrArray *parts = g_ptr_array_new();
	int pw = text_width(prefix);

	/* text_wrap sanitises TEXT (once); the lines it makes move to the segments. */
	text_wrap(text, width - pw, parts);
	for (guint i = 0; i < parts->len; i++) {
		struct tl_line *l = line_new(lines, msg);

		seg_take(l, pst, g_strdup(prefix));
		seg_take(l, st, parts->pdata[i]);
	}
	g_ptr_array_unref(parts);
}

static void
field_pair(struct tl_line *l, const char *name, const char *value)
{
	seg_add(l, ST_FIELD, name);
	seg_add(l, ST_NORMAL, value && *value ? value : "-");
	seg_add(l, ST_NORMAL, "  ");
}

static void
build_summary(struct tui *t, GPtrArray *lines)
{
	const struct case_view *cv = t->tl_cv;
	const struct store_case *sc = cv->sc;
	const char *state = store_case_field(sc, "state");
	struct tl_line *l;
	char *s;

	l = line_new(lines, -1);
	s = g_strdup_printf("case %lld  %s  ", (long long)sc->id, sc->ref);
	seg_add(l, ST_FIELD, s);
	g_free(s);
	seg_add(l, ST_NORMAL, sc->facts.subject);

	l = line_new(lines, -1);
	field_pair(l, "state ", state && *state ? state : "new");
	field_pair(l, "severity ", store_case_field(sc, "severity"));
	field_pair(l, "handler ", store_case_field(sc, "handler"));
	l = line_new(lines, -1);
	field_pair(l, "embargo ", store_case_field(sc, "embargo"));
	field_pair(l, "cve ", store_case_field(sc, "cve"));
	field_pair(l, "affected ", store_case_field(sc, "affected"));
	l = line_new(lines, -1);
	seg_add(l, ST_FIELD, "reporter ");
	s = g_strdup_printf("%s%s<%s>", sc->facts.reporter_name ?
	    sc->facts.reporter_name : "", sc->facts.reporter_name ? " " : "",
	    sc->facts.reporter_addr ? sc->facts.reporter_addr : "?");
	seg_add(l, ST_NORMAL, s);
	g_free(s);
	if (sc->facts.reporter_encrypted)
		seg_add(l, ST_BADGE_GOOD, "  [writes encrypted]");

	l = line_new(lines, -1);
	seg_add(l, ST_FIELD, "deadlines");
	if (cv->dl.n == 0)
		seg_add(l, ST_NORMAL, ": none running");
	for (size_t i = 0; i < cv->dl.n; i++) {
		const struct deadline *d = &cv->dl.d[i];
		char left[CLOCK_LEFT_LEN];
		const char *tz = t->app->cfg->timezone;
		char *due = clock_format_local(d->due, tz), *met = NULL;

		l = line_new(lines, -1);
		if (d->urgency == URG_MET) {
			met = clock_format_local(d->met_at, tz);
			s = g_strdup_printf("  %-9s due %s  met %s",
			    deadline_kind_name(d->kind), due, met);
		} else
			s = g_strdup_printf("  %-9s due %s  %-7s %s",
			    deadline_kind_name(d->kind), due,
			    urgency_name(d->urgency),
			    clock_format_left((int64_t)(d->due - t->app->now),
			    left));
		seg_add(l, colour_urgency((int)d->urgency), s);
		g_free(s);
		g_free(due);
		g_free(met);
	}
	if (cv->dl.warning[0] != '\0') {
		l = line_new(lines, -1);
		seg_add(l, ST_BADGE_WARN, "  warning: ");
		seg_add(l, ST_BADGE_WARN, cv->dl.warning);
	}

	/* The publication checklist, once it matters. */
	{
		bool any = state && strcmp(state, "published") == 0;

		for (int c = 0; c < CHK__COUNT && !any; c++) {
			char *f = g_strconcat("check:",
			    checklist_name((enum checklist_item)c), NULL);

			any = store_case_field(sc, f) != NULL;
			g_free(f);
		}
		if (any) {
			l = line_new(lines, -1);
			seg_add(l, ST_FIELD, "checklist ");
			for (int c = 0; c < CHK__COUNT; c++) {
				char *f = g_strconcat("check:", checklist_name(
				    (enum checklist_item)c), NULL);
				const char *v = store_case_field(sc, f);

				s = g_strdup_printf("[%s] %s  ",
				    v && *v ? "x" : " ",
				    checklist_name((enum checklist_item)c));
				seg_add(l, v && *v ? ST_OK : ST_NORMAL, s);
				g_free(s);
				g_free(f);
			}
		}
	}
	line_new(lines, -1);
}

/* A badge: words only embargo writes, in their own style, left of the gutter. */
static void
badge(GArray *badges, enum style st, const char *text)
{
	struct tl_seg seg;

	seg.style = st;
	seg.text = sanitize_text(text, -1, SAN_LINE);
	g_array_append_val(badges, seg);
}

static GArray *
message_badges(const struct thread_message *tm)
{
	GArray *b = g_array_new(FALSE, FALSE, sizeof(struct tl_seg));
	const struct message_view *mv = tm->mv;
	const struct crypto_signature *sig = NULL;
	char *s;

	if (mv == NULL) {
		s = g_strdup_printf("[cannot read: %s]",
		    tm->error ? tm->error : "unknown error");
		badge(b, ST_BADGE_BAD, s);
		g_free(s);
		return b;
	}
	if (mv->sig_best >= 0 && mv->signatures != NULL &&
	    (guint)mv->sig_best < mv->signatures->len)
		sig = mv->signatures->pdata[mv->sig_best];
	if (mv->encrypted && mv->decrypted)
		badge(b, ST_BADGE_GOOD, "[encrypted]");
	else if (mv->encrypted) {
		s = g_strdup_printf("[cannot decrypt: %s]", mv->decrypt_error ?
		    mv->decrypt_error : "no reason given");
		badge(b, ST_BADGE_BAD, s);
		g_free(s);
	}
	switch (mv->sig_status) {
	case SIG_NONE:
		break;
	case SIG_GOOD: {
		const char *fpr = sig && sig->fpr ? sig->fpr : "";
		size_t n = strlen(fpr);

		s = g_strdup_printf("[signed: %s %s]",
		    sig && sig->uid ? sig->uid : "?",
		    n > 16 ? fpr + n - 16 : fpr);
		badge(b, ST_BADGE_GOOD, s);
		g_free(s);
		if (!mv->sig_matches_from)
			badge(b, ST_BADGE_WARN,
			    "[signer is not From]");
		if (mv->sig_partial)
			badge(b, ST_BADGE_WARN, "[partly signed]");
		if (!tm->pinned)
			badge(b, ST_BADGE_WARN,
			    "[not the pinned key]");
		break;
	}
	case SIG_BAD:
		badge(b, ST_BADGE_BAD, "[BAD SIGNATURE]");
		break;
	case SIG_UNKNOWN_KEY:
		s = g_strdup_printf("[signed by unknown key %s]",
		    sig && sig->fpr ? sig->fpr : "?");
		badge(b, ST_BADGE_WARN, s);
		g_free(s);
		break;
	case SIG_EXPIRED:
		badge(b, ST_BADGE_WARN, "[signature: key expired]");
		break;
	case SIG_REVOKED:
		badge(b, ST_BADGE_BAD, "[signature: key REVOKED]");
		break;
	case SIG_ERROR:
		s = g_strdup_printf("[signature error: %s]",
		    sig && sig->error ? sig->error : "?");
		badge(b, ST_BADGE_BAD, s);
		g_free(s);
		break;
	}
	if (tm->from_team)
		badge(b, tm->team_verified ? ST_BADGE_GOOD :
		    ST_BADGE_WARN, tm->team_verified ? "[team]" :
		    "[team: unverified]");
	return b;
}

static bool
is_quote(const char *line)
{
	while (*line == ' ')
		line++;
	return *line == '>';
}

/* One text block: lines behind the gutter, runs of quoted lines folded unless unfolded. */
static void
add_text_block(struct tui *t, GPtrArray *lines, int msg, int width,
    const char *raw)
{
	char *safe = sanitize_text(raw, -1, SAN_MULTILINE);
	char **split = g_strsplit(safe, "\n", -1);
	int n = (int)g_strv_length(split);

	while (n > 0 && *split[n - 1] == '\0')
		n--;
	for (int i = 0; i < n; i++) {
		if (is_quote(split[i]) && !t->tl_quotes) {
			int j = i;
			char *s;
			struct tl_line *l;

			while (j < n && is_quote(split[j]))
				j++;
			l = line_new(lines, msg);
			seg_add(l, ST_GUTTER, GUTTER);
			s = g_strdup_printf("[%d quoted line%s folded: T shows "
			    "them]", j - i, j - i == 1 ? "" : "s");
			seg_add(l, ST_NOTICE, s);
			g_free(s);
			i = j - 1;
			continue;
		}
		add_wrapped(lines, msg, width, GUTTER, ST_GUTTER, split[i],
		    is_quote(split[i]) ? ST_QUOTE : ST_BODY);
	}
	g_strfreev(split);
	g_free(safe);
}

static void
add_notice(GPtrArray *lines, int msg, int width, enum style st,
    const char *text)
{
	add_wrapped(lines, msg, width, GUTTER, ST_GUTTER, text, st);
}

static void
build_message(struct tui *t, GPtrArray *lines, int msg, int width,
    const struct thread_message *tm)
{
	const struct message_view *mv = tm->mv;
	struct tl_line *l;
	GArray *badges;
	char *when, *s;
	int x;

	l = line_new(lines, msg);
	l->msg_start = true;
	seg_add(l, ST_GUTTER, "\xe2\x94\x80\xe2\x94\x80 ");
	when = clock_format_local(mv && mv->date ? mv->date : tm->mm->date,
	    t->app->cfg->timezone);
	seg_add(l, ST_HEADER, when);
	g_free(when);
	seg_add(l, ST_HEADER, "  ");
	seg_add(l, ST_HEADER, mv && mv->from ? mv->from : "(no From)");

	/* Badges on their own lines, wrapped badge by badge. */
	badges = message_badges(tm);
	l = NULL;
	x = 0;
	for (guint i = 0; i < badges->len; i++) {
		struct tl_seg *b = &g_array_index(badges, struct tl_seg, i);
		int bw = text_width(b->text);

		if (l == NULL || x + 1 + bw > width) {
			l = line_new(lines, msg);
			seg_add(l, ST_NORMAL, "   ");
			x = 3;
		} else {
			seg_add(l, ST_NORMAL, " ");
			x++;
		}
		g_array_append_val(l->segs, *b); /* the text moves to the line */
		x += bw;
	}
	g_array_unref(badges);
	/* Several different files with this Message-ID: one may be forged.  Long (it names them), so wrapped. */
	if (tm->warning != NULL) {
		s = g_strdup_printf("[warning: %s]", tm->warning);
		add_wrapped(lines, msg, width, "   ", ST_NORMAL, s,
		    ST_BADGE_WARN);
		g_free(s);
	}

	if (mv == NULL) {
		line_new(lines, msg);
		return;
	}
	l = line_new(lines, msg);
	seg_add(l, ST_FIELD, "   Subject: ");
	seg_add(l, ST_NORMAL, mv->protected_subject ? mv->protected_subject :
	    mv->subject);
	if (mv->to != NULL) {
		l = line_new(lines, msg);
		seg_add(l, ST_FIELD, "   To: ");
		seg_add(l, ST_NORMAL, mv->to);
	}
	for (guint i = 0; mv->blocks != NULL && i < mv->blocks->len; i++) {
		const struct mime_block *b = mv->blocks->pdata[i];

		if (mv->sig_partial && b->type == BLOCK_TEXT)
			add_notice(lines, msg, width, ST_BADGE_WARN,
			    b->sig_index >= 0 ? "[signed part]" :
			    "[unsigned part]");
		if (b->forwarded && b->type == BLOCK_TEXT)
			add_notice(lines, msg, width, ST_NOTICE,
			    "[forwarded message]");
		switch (b->type) {
		case BLOCK_TEXT:
			if (b->from_html)
				add_notice(lines, msg, width, ST_NOTICE,
				    "[from HTML]");
			add_text_block(t, lines, msg, width, b->text);
			break;
		case BLOCK_ATTACHMENT:
			s = g_strdup_printf("[attachment: %s, %s, %zu bytes]",
			    b->filename ? b->filename : "(no name)",
			    b->content_type ? b->content_type : "?", b->size);
			add_notice(lines, msg, width, ST_NOTICE, s);
			g_free(s);
			break;
		case BLOCK_NOTICE:
			s = g_strdup_printf("[%s]", b->text ? b->text : "");
			add_notice(lines, msg, width, ST_NOTICE, s);
			g_free(s);
			break;
		}
	}
	line_new(lines, msg);
}

static void
build_event(struct tui *t, GPtrArray *lines, int width,
    const struct store_event *ev)
{
	char *when = clock_format_local(ev->at, t->app->cfg->timezone);
	char *detail = format_event_detail(ev);
	char **parts = g_strsplit(detail, "\n", -1);
	char *head = g_strdup_printf(" \xc2\xb7 %s  %s  %s: ", when,
	    ev->author ? ev->author : "?", ev->kind ? ev->kind : "?");
	struct tl_line *l = line_new(lines, -1);

	seg_add(l, ST_EVENT, head);
	if (parts[0] != NULL) {
		GPtrArray *w = g_ptr_array_new_with_free_func(g_free);
		int hw = line_width(l);

		text_wrap(parts[0], width - hw > 10 ? width - hw : 10, w);
		seg_add(l, ST_EVENT, w->pdata[0]);
		for (guint i = 1; i < w->len; i++)
			add_wrapped(lines, -1, width, "     ", ST_EVENT,
			    w->pdata[i], ST_EVENT);
		g_ptr_array_unref(w);
		for (int i = 1; parts[i] != NULL; i++)
			add_wrapped(lines, -1, width, "     ", ST_EVENT,
			    parts[i], ST_EVENT);
	}
	g_strfreev(parts);
	g_free(head);
	g_free(detail);
	g_free(when);
}

static time_t
message_time(const struct thread_message *tm)
{
	if (tm->mv != NULL && tm->mv->date != 0)
		return tm->mv->date;
	return tm->mm->date;
}

void
timeline_build(struct tui *t)
{
	GPtrArray *lines;
	int width = t->w_tl ? getmaxx(t->w_tl) : 80;
	guint mi = 0, ei = 0;

	if (t->tl_lines != NULL)
		g_ptr_array_unref(t->tl_lines);
	t->tl_lines = lines = g_ptr_array_new_with_free_func(
	    (GDestroyNotify)line_free);
	t->tl_width = width;
	t->dirty |= DIRTY_TIMELINE;
	if (t->tl_cv == NULL)
		return;
	build_summary(t, lines);
	if (t->tl_error != NULL) {
		struct tl_line *l = line_new(lines, -1);

		seg_add(l, ST_BADGE_BAD, "[cannot read the thread: ");
		seg_add(l, ST_BADGE_BAD, t->tl_error);
		seg_add(l, ST_BADGE_BAD, "]");
	}
	/* Messages and events merged by time; on a tie the message comes first. */
	while ((t->tl_msgs && mi < t->tl_msgs->len) ||
	    (t->tl_events && ei < t->tl_events->len)) {
		const struct thread_message *tm = t->tl_msgs &&
		    mi < t->tl_msgs->len ? t->tl_msgs->pdata[mi] : NULL;
		const struct store_event *ev = t->tl_events &&
		    ei < t->tl_events->len ? t->tl_events->pdata[ei] : NULL;

		if (ev == NULL || (tm != NULL && message_time(tm) <= ev->at)) {
			if (tm == NULL)
				break;
			build_message(t, lines, (int)mi, width, tm);
			mi++;
		} else {
			build_event(t, lines, width, ev);
			ei++;
		}
	}
	timeline_scroll(t, 0);
}

static void
timeline_clear(struct tui *t)
{
	case_view_free(t->tl_cv);
	t->tl_cv = NULL;
	if (t->tl_msgs != NULL)
		g_ptr_array_unref(t->tl_msgs);
	if (t->tl_events != NULL)
		g_ptr_array_unref(t->tl_events);
	t->tl_msgs = t->tl_events = NULL;
	g_free(t->tl_error);
	t->tl_error = NULL;
}

void
timeline_free(struct tui *t)
{
	timeline_clear(t);
	if (t->tl_lines != NULL)
		g_ptr_array_unref(t->tl_lines);
	t->tl_lines = NULL;
}

/* Loads case ID's record and events, and its messages when MESSAGES (or when there are none yet). */
static int
timeline_load(struct tui *t, int64_t id, bool messages, struct error *err)
{
	struct case_view *cv;
	GPtrArray *events, *msgs = NULL;
	struct error merr = {{0}};
	char key[32];

	g_snprintf(key, sizeof key, "%lld", (long long)id);
	if (app_case(t->app, key, &cv, err) != 0)
		return -1;
	if (store_events(t->app->st, id, &events, err) != 0) {
		case_view_free(cv);
		return -1;
	}
	/* Decrypting again is slow: only when the thread itself changed. */
	if (messages && t->tl_msgs != NULL && t->tl_cv != NULL &&
	    t->tl_cv->sc->id == id &&
	    t->tl_cv->sc->facts.message_count == cv->sc->facts.message_count &&
	    t->tl_cv->sc->facts.last_message_at ==
	    cv->sc->facts.last_message_at &&
	    g_strcmp0(t->tl_cv->sc->thread, cv->sc->thread) == 0)
		messages = false;
	if (messages || t->tl_msgs == NULL || t->tl_cv == NULL ||
	    t->tl_cv->sc->id != id) {
		GPtrArray *old_msgs = t->tl_msgs;

		t->tl_msgs = NULL;
		if (old_msgs != NULL)
			g_ptr_array_unref(old_msgs);
		g_free(t->tl_error);
		t->tl_error = NULL;
		if (app_thread(t->app, cv, &msgs, &merr) != 0)
			t->tl_error = g_strdup(merr.msg);
		t->tl_msgs = msgs;
	}
	case_view_free(t->tl_cv);
	t->tl_cv = cv;
	if (t->tl_events != NULL)
		g_ptr_array_unref(t->tl_events);
	t->tl_events = events;
	return 0;
}

int
timeline_open(struct tui *t, int64_t case_id, struct error *err)
{
	if (t->tl_cv != NULL && t->tl_cv->sc->id == case_id)
		return timeline_reload(t, false, err);
	timeline_clear(t);
	if (timeline_load(t, case_id, true, err) != 0) {
		timeline_build(t);
		return -1;
	}
	t->tl_top = 0;
	timeline_build(t);
	return 0;
}

int
timeline_reload(struct tui *t, bool messages, struct error *err)
{
	int rc;

	if (t->tl_cv == NULL)
		return 0;
	rc = timeline_load(t, t->tl_cv->sc->id, messages, err);
	timeline_build(t); /* keeps tl_top, clamped */
	return rc;
}

void
timeline_draw(struct tui *t)
{
	WINDOW *w = t->w_tl;
	int width, vis = tl_visible_rows(t);
	enum style title = t->focus == FOCUS_TIMELINE && !t->help_open ?
	    ST_TITLE_FOCUS : ST_TITLE;
	char *s, *pos;

	if (w == NULL)
		return;
	werase(w);
	width = getmaxx(w);
	if (t->tl_cv == NULL) {
		draw_text(w, 0, 0, width, " timeline", title, true);
		if (vis > 0) {
			char *k = keymap_keys_text(t->km, KCTX_QUEUE, ACT_OPEN);

			s = g_strdup_printf("  %s opens the selected case here.",
			    k ? k : "open");
			draw_text(w, 1, 0, width, s, ST_INFO, false);
			g_free(s);
			g_free(k);
		}
		return;
	}
	pos = g_strdup_printf(" %d-%d/%u ", t->tl_lines->len ? t->tl_top + 1 :
	    0, MIN(t->tl_top + vis, (int)t->tl_lines->len), t->tl_lines->len);
	s = g_strdup_printf(" #%lld %s  %s", (long long)t->tl_cv->sc->id,
	    t->tl_cv->sc->ref, t->tl_cv->sc->facts.subject ?
	    t->tl_cv->sc->facts.subject : "");
	{
		int pw = text_width(pos);
		char *clip = text_clip(s, width - pw);

		draw_text(w, 0, 0, width - pw, clip, title, true);
		draw_text(w, 0, width - pw, pw, pos, title, true);
		g_free(clip);
	}
	g_free(s);
	g_free(pos);
	for (int r = 0; r < vis; r++) {
		int i = t->tl_top + r, x = 0;
		const struct tl_line *l;

		if (i >= (int)t->tl_lines->len)
			break;
		l = t->tl_lines->pdata[i];
		for (guint k = 0; k < l->segs->len && x < width; k++) {
			const struct tl_seg *seg = &g_array_index(l->segs,
			    struct tl_seg, k);

			x += draw_text(w, 1 + r, x, width - x, seg->text,
			    seg->style, false);
		}
	}
}

void
timeline_scroll_to(struct tui *t, int line)
{
	int n = t->tl_lines ? (int)t->tl_lines->len : 0;
	int vis = tl_visible_rows(t), max;

	max = n - vis > 0 ? n - vis : 0;
	if (line > max)
		line = max;
	if (line < 0)
		line = 0;
	if (line != t->tl_top)
		t->dirty |= DIRTY_TIMELINE;
	t->tl_top = line;
}

void
timeline_scroll(struct tui *t, int delta)
{
	timeline_scroll_to(t, t->tl_top + delta);
}

void
timeline_jump_message(struct tui *t, int dir)
{
	int n = t->tl_lines ? (int)t->tl_lines->len : 0;

	for (int i = t->tl_top + dir; i >= 0 && i < n; i += dir) {
		const struct tl_line *l = t->tl_lines->pdata[i];

		if (l->msg_start) {
			timeline_scroll_to(t, i);
			return;
		}
	}
	tui_message(t, ST_INFO, dir > 0 ? "no later message" :
	    "no earlier message");
}
