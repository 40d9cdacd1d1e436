/* tui/compose.c: the compose panel: a reply (or a longer note) in a built-in editor, the send plan, drafts kept safe. */
#include "build-config.h"

#include <string.h>

#include "core/clock.h"
#include "core/compose.h"
#include "core/draft.h"
#include "core/policy.h"
#include "core/sanitize.h"
#include "core/template.h"
#include "tui/tui.h"

/* While typing goes on without a pause, a changed draft is still saved this often. */
#define SAVE_EVERY_US (30 * G_USEC_PER_SEC)

enum composer_mode { CM_REPLY, CM_NOTE };

struct composer {
	enum composer_mode mode;
	int64_t case_id;
	char *ref;
	struct compose_draft *d;  /* CM_REPLY: headers, template; the body is synced from text */
	GPtrArray *thread;        /* struct thread_message *, or NULL: core reads it */

	struct editor *ed;        /* the text being written */

	bool changed;             /* since the last save */
	bool ever_saved;
	time_t saved_at;          /* app->now of the last save */
	gint64 saved_us;          /* monotonic time of the last save (or of opening) */

	GPtrArray *plan;          /* char *: the plan, shown instead of the text; NULL when editing */
	bool plan_ok;
	bool cursor_on;
	bool done, sent;
	char *sent_msg;           /* what to say once the panel is closed */
};

static void
wipe_free(char *s)
{
	if (s != NULL) {
		explicit_bzero(s, strlen(s));
		g_free(s);
	}
}

/* --- drawing ---------------------------------------------------------------------- */

static char *
addr_list_text(GPtrArray *list)
{
	GString *s = g_string_new(NULL);

	for (guint i = 0; list != NULL && i < list->len; i++) {
		const struct mail_addr *a = list->pdata[i];

		if (i > 0)
			g_string_append(s, ", ");
		if (a->name != NULL && *a->name != '\0') {
			/* Quoted when it holds what would split or end the list. */
			if (strpbrk(a->name, ",;<>\"()@:[]\\") != NULL) {
				g_string_append_c(s, '"');
				for (const char *p = a->name; *p; p++) {
					if (*p == '"' || *p == '\\')
						g_string_append_c(s, '\\');
					g_string_append_c(s, *p);
				}
				g_string_append(s, "\" ");
			} else
				g_string_append_printf(s, "%s ", a->name);
			g_string_append_printf(s, "<%s>", a->addr);
		} else
			g_string_append(s, a->addr ? a->addr : "");
	}
	return g_string_free(s, FALSE);
}

static void
header_row(WINDOW *w, int y, const char *name, const char *value)
{
	int width = getmaxx(w), x;

	x = draw_text(w, y, 0, width, name, ST_FIELD, false);
	draw_text(w, y, x, width - x, value && *value ? value : "-", ST_NORMAL,
	    true);
}

/* "C-x:send  C-o:$EDITOR ...": the first key of each action, from the keymap. */
static char *
key_hints(const struct tui *t, const struct composer *c)
{
	static const struct {
		enum action act;
		const char *reply, *note;
	} hints[] = {
		{ ACT_COMPOSE_SEND, "send", "add the note" },
		{ ACT_COMPOSE_EDITOR, "$EDITOR", "$EDITOR" },
		{ ACT_COMPOSE_HEADERS, "To/Cc/Subject", NULL },
		{ ACT_COMPOSE_TEMPLATE, "template", NULL },
		{ ACT_COMPOSE_CLOSE, "close (draft kept)", "cancel" },
		{ ACT_COMPOSE_DISCARD, "discard", NULL },
	};
	GString *s = g_string_new(" ");

	for (size_t i = 0; i < G_N_ELEMENTS(hints); i++) {
		const char *label = c->mode == CM_REPLY ? hints[i].reply :
		    hints[i].note;
		char *keys, *comma;

		if (label == NULL || (keys = keymap_keys_text(t->km,
		    KCTX_COMPOSE, hints[i].act)) == NULL)
			continue;
		if (strlen(keys) > 1 && (comma = strstr(keys + 1, ", ")) != NULL)
			*comma = '\0';
		g_string_append_printf(s, "%s:%s  ", keys, label);
		g_free(keys);
	}
	return g_string_free(s, FALSE);
}

static enum style
plan_style(const char *line)
{
	if (g_str_has_prefix(line, "refused:"))
		return ST_BADGE_BAD;
	if (g_str_has_prefix(line, "warning:") ||
	    strstr(line, ": NOT ENCRYPTED") != NULL ||
	    g_str_has_prefix(line, "NOT SIGNED"))
		return ST_BADGE_WARN;
	if (strstr(line, ": encrypted to ") != NULL ||
	    g_str_has_prefix(line, "signed by "))
		return ST_BADGE_GOOD;
	return ST_NORMAL;
}

static void
draw_plan(struct composer *c, WINDOW *w, int y)
{
	int width = getmaxx(w), height = getmaxy(w);

	for (guint i = 0; i < c->plan->len && y < height - 1; i++) {
		const char *line = c->plan->pdata[i];
		char *safe = sanitize_text(line, -1, SAN_LINE);
		GPtrArray *parts = g_ptr_array_new_with_free_func(g_free);
		enum style st = plan_style(safe);

		text_wrap(safe, width - 4, parts);
		for (guint j = 0; j < parts->len && y < height - 1; j++, y++)
			draw_text(w, y, j == 0 ? 1 : 5, width - (j == 0 ? 1 : 5),
			    parts->pdata[j], st, false);
		g_ptr_array_unref(parts);
		g_free(safe);
	}
	if (y < height)
		draw_text(w, y + (y + 1 < height), 1, width - 1, c->plan_ok ?
		    "this is exactly what will be sent: answer below" :
		    "NOT SENT: the plan refuses it (see above); the draft is kept",
		    c->plan_ok ? ST_INFO : ST_ERROR, false);
}

void
composer_draw(struct tui *t)
{
	struct composer *c = t->composer;
	WINDOW *w = t->w_panel;
	int width, height, y = 1;
	char *s, when[16] = "";

	if (c == NULL || w == NULL)
		return;
	werase(w);
	width = getmaxx(w);
	height = getmaxy(w);

	if (c->mode == CM_NOTE)
		s = g_strdup_printf(" internal note on case %lld (%s): it goes "
		    "to the timeline, never into mail", (long long)c->case_id,
		    c->ref);
	else {
		if (c->ever_saved) {
			GDateTime *dt = g_date_time_new_from_unix_utc(
			    (gint64)c->saved_at);
			char *hm = dt ? g_date_time_format(dt, "%H:%M") : NULL;

			g_snprintf(when, sizeof when, "%s", hm ? hm : "?");
			g_free(hm);
			if (dt != NULL)
				g_date_time_unref(dt);
		}
		s = g_strdup_printf(" reply on case %lld (%s) \xc2\xb7 template "
		    "%s \xc2\xb7 %s%s%s", (long long)c->case_id, c->ref,
		    c->d->template_name ? c->d->template_name : "-",
		    c->ever_saved ? "draft saved " : "not saved yet",
		    c->ever_saved ? when : "",
		    c->ever_saved && c->changed ? ", changed since" : "");
	}
	draw_text(w, 0, 0, width, s, ST_TITLE_FOCUS, true);
	g_free(s);

	if (c->plan != NULL) {
		leaveok(w, TRUE);
		if (c->cursor_on)
			curs_set(0);
		c->cursor_on = false;
		draw_plan(c, w, 1);
		return;
	}

	/* The headers, when there is room for them and some text. */
	if (c->mode == CM_REPLY && height >= 10) {
		s = addr_list_text(c->d->to);
		header_row(w, y++, "To:      ", s);
		g_free(s);
		s = addr_list_text(c->d->cc);
		header_row(w, y++, "Cc:      ", s);
		g_free(s);
		header_row(w, y++, "Subject: ", c->d->subject);
		if (c->d->in_reply_to != NULL) {
			s = g_strdup_printf("<%s>", c->d->in_reply_to);
			header_row(w, y++, "Reply to: ", s);
			g_free(s);
		}
	}
	s = key_hints(t, c);
	draw_text(w, y++, 0, width, s, ST_TITLE, true);
	g_free(s);

	leaveok(w, FALSE);
	if (!c->cursor_on)
		curs_set(1);
	c->cursor_on = true;
	editor_draw(c->ed, w, y, height - y);
}

/* --- saving ------------------------------------------------------------------- */

/* Saves the reply (the text into the draft, encrypted into the store). */
static int
composer_save(struct tui *t, struct composer *c, struct error *err)
{
	char *body;

	if (c->mode != CM_REPLY)
		return 0;
	body = editor_text(c->ed);
	compose_draft_set_body(c->d, body);
	wipe_free(body);
	if (draft_save(t->app, c->d, err) != 0)
		return -1;
	c->changed = false;
	c->ever_saved = true;
	c->saved_at = t->app->now;
	c->saved_us = g_get_monotonic_time();
	t->dirty |= DIRTY_PANEL;
	return 0;
}

static void
composer_autosave(struct tui *t, struct composer *c)
{
	struct error err = {{0}};

	if (c->mode != CM_REPLY || !c->changed)
		return;
	if (composer_save(t, c, &err) != 0) {
		/* Tried again at the next pause; said every time, so it is seen. */
		c->saved_us = g_get_monotonic_time();
		tui_message(t, ST_ERROR, "draft not saved: %s", err.msg);
	}
}

/* --- asking ------------------------------------------------------------------- */

/* Waits for any key (a resize redraws and waits on). */
static void
wait_key(struct tui *t)
{
	key_code k;

	for (;;) {
		tui_draw(t);
		if (t->w_msg != NULL)
			wtimeout(t->w_msg, -1);
		if (tui_read_key(t, &k) != 1 || t->quit)
			return;
	}
}

/* The template names: the shipped ones, then the team's own. NULL-terminated (g_strfreev). */
static char **
template_choices(void)
{
	GPtrArray *names = g_ptr_array_new();
	char *dir = g_build_filename(g_get_user_config_dir(), "embargo",
	    "templates", NULL);
	GDir *d = g_dir_open(dir, 0, NULL);
	const char *n;

	for (size_t i = 0; template_shipped[i] != NULL; i++)
		g_ptr_array_add(names, g_strdup(template_shipped[i]));
	while (d != NULL && (n = g_dir_read_name(d)) != NULL) {
		bool have = false;

		if (n[0] == '.' || strspn(n, "abcdefghijklmnopqrstuvwxyz"
		    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_") != strlen(n))
			continue;
		for (guint i = 0; i < names->len && !have; i++)
			have = strcmp(names->pdata[i], n) == 0;
		if (!have)
			g_ptr_array_add(names, g_strdup(n));
	}
	if (d != NULL)
		g_dir_close(d);
	g_free(dir);
	g_ptr_array_add(names, NULL);
	return (char **)g_ptr_array_free(names, FALSE);
}

/* The template the case's most urgent deadline calls for. */
static const char *
template_suggestion(const struct case_view *cv)
{
	if (cv == NULL || cv->dl.next < 0)
		return "update";
	switch (cv->dl.d[cv->dl.next].kind) {
	case DL_ACK:
		return "ack";
	case DL_RESPONSE:
		return "response";
	case DL_DISTROS:
		return "distros";
	case DL_ANNOUNCE:
		return "announce";
	case DL_PUBLISH:
		return "oss-security";
	default:
		return "update";
	}
}

/* Asks which template (Enter: the suggestion).  New string, or NULL when cancelled. */
static char *
ask_template(struct tui *t, const struct case_view *cv)
{
	const char *sug = template_suggestion(cv);
	char **choices = template_choices();
	char *label = g_strdup_printf("template (Enter: %s): ", sug);
	char *answer = prompt_ask(t, label, NULL, (const char *const *)choices);

	g_free(label);
	g_strfreev(choices);
	if (answer == NULL)
		return NULL;
	g_strstrip(answer);
	if (*answer == '\0') {
		g_free(answer);
		answer = g_strdup(sug);
	}
	return answer;
}

/* The case as it is now (the queue may have been reloaded meanwhile). */
static struct case_view *
fresh_case(struct tui *t, int64_t id, struct error *err)
{
	struct case_view *cv = NULL;
	char key[32];

	g_snprintf(key, sizeof key, "%lld", (long long)id);
	if (app_case(t->app, key, &cv, err) != 0)
		return NULL;
	return cv;
}

/* --- actions ---------------------------------------------------------------------- */

static void
composer_external(struct tui *t, struct composer *c)
{
	struct error err = {{0}};
	char *body = editor_text(c->ed);
	int rc;

	/* The editor gets the terminal; the screen comes back as it was. */
	def_prog_mode();
	endwin();
	rc = compose_edit_external(NULL, &body, &err);
	reset_prog_mode();
	/* A C-c typed in the editor was meant for it, not for us. */
	tui_forget_interrupt();
	clearok(curscr, TRUE);
	c->cursor_on = false;
	t->dirty = DIRTY_ALL;
	if (rc != 0) {
		tui_message(t, ST_ERROR, "%s", err.msg);
	} else {
		editor_set_text(c->ed, body);
		c->changed = true;
		tui_message(t, ST_INFO, "the text is back from the editor");
	}
	wipe_free(body);
}

static void
composer_headers(struct tui *t, struct composer *c)
{
	struct error err = {{0}};
	char *to0 = addr_list_text(c->d->to), *cc0 = addr_list_text(c->d->cc);
	char *to = NULL, *cc = NULL, *subject = NULL;

	if ((to = prompt_ask(t, "To: ", to0, NULL)) == NULL ||
	    (cc = prompt_ask(t, "Cc: ", cc0, NULL)) == NULL ||
	    (subject = prompt_ask(t, "Subject: ", c->d->subject, NULL)) == NULL) {
		tui_message(t, ST_INFO, "headers left as they were");
	} else if (compose_draft_set_recipients(c->d, to, cc, &err) != 0) {
		tui_message(t, ST_ERROR, "%s; the headers were left as they "
		    "were", err.msg);
	} else {
		compose_draft_set_subject(c->d, subject);
		c->changed = true;
		tui_message(t, ST_INFO, "headers changed");
	}
	g_free(to0);
	g_free(cc0);
	g_free(to);
	g_free(cc);
	g_free(subject);
	t->dirty |= DIRTY_PANEL;
}

static void
composer_template(struct tui *t, struct composer *c)
{
	struct error err = {{0}};
	struct case_view *cv;
	struct compose_draft *d = NULL;
	char *name;

	if ((cv = fresh_case(t, c->case_id, &err)) == NULL) {
		tui_message(t, ST_ERROR, "%s", err.msg);
		return;
	}
	name = ask_template(t, cv);
	if (name != NULL && !editor_blank(c->ed)) {
		char *q = g_strdup_printf("replace the text and headers with "
		    "template %s? (y/n) ", name);
		bool yes = prompt_yes_no(t, q);

		g_free(q);
		if (!yes) {
			g_free(name);
			name = NULL;
			tui_message(t, ST_INFO, "the text was left as it was");
		}
	}
	if (name != NULL && compose_draft_from_template(t->app, cv, name,
	    c->thread, &d, &err) != 0)
		tui_message(t, ST_ERROR, "%s", err.msg);
	else if (name != NULL) {
		compose_draft_free(c->d);
		c->d = d;
		editor_home(c->ed);
		editor_set_text(c->ed, d->body);
		c->changed = true;
		tui_message(t, ST_INFO, "started again from template %s", name);
	}
	g_free(name);
	case_view_free(cv);
	t->dirty |= DIRTY_PANEL;
}

static void
composer_discard(struct tui *t, struct composer *c)
{
	struct error err = {{0}};

	if (c->mode == CM_NOTE) {
		if (prompt_yes_no(t, "throw this note away? (y/n) ")) {
			c->done = true;
			c->sent_msg = g_strdup("the note was thrown away");
		}
		return;
	}
	if (!prompt_yes_no(t, "throw this reply away and delete its saved "
	    "draft? (y/n) "))
		return;
	if (draft_delete(t->app, c->case_id, &err) != 0) {
		tui_message(t, ST_ERROR, "%s", err.msg);
		return;
	}
	c->done = true;
	c->changed = false;
	c->sent_msg = g_strdup_printf("case %lld: the draft was thrown away",
	    (long long)c->case_id);
}

static void
plan_clear(struct composer *c)
{
	if (c->plan != NULL)
		g_ptr_array_unref(c->plan);
	c->plan = NULL;
}

static void
send_note(struct tui *t, struct composer *c)
{
	struct error err = {{0}};
	char *text;

	if (editor_blank(c->ed)) {
		tui_message(t, ST_ERROR, "the note is empty");
		return;
	}
	text = editor_text(c->ed);
	if (policy_add_note(t->app->st, c->case_id, text, t->app->cfg->me,
	    t->app->now, &err) != 0)
		tui_message(t, ST_ERROR, "%s", err.msg);
	else {
		c->done = c->sent = true;
		c->sent_msg = g_strdup_printf("case %lld: note added",
		    (long long)c->case_id);
	}
	wipe_free(text);
}

/*
 * C-x: saves, works out the plan and shows it in place of the text; a plan
 * that refuses cannot go further; else a yes sends it.  Whatever fails, the
 * draft stays saved.
 */
static void
composer_send(struct tui *t, struct composer *c)
{
	struct error err = {{0}};
	struct compose_plan *plan = NULL;
	struct compose_sent *sent = NULL;
	struct case_view *cv;

	if (c->mode == CM_NOTE) {
		send_note(t, c);
		return;
	}
	if (composer_save(t, c, &err) != 0) {
		tui_message(t, ST_ERROR, "draft not saved, so not sent: %s",
		    err.msg);
		return;
	}
	if ((cv = fresh_case(t, c->case_id, &err)) == NULL ||
	    compose_plan_new(t->app, cv, c->d, c->thread, &plan, &err) != 0) {
		tui_message(t, ST_ERROR, "%s; the draft is kept", err.msg);
		case_view_free(cv);
		return;
	}
	c->plan = g_ptr_array_new_with_free_func(g_free);
	for (guint i = 0; i < plan->lines->len; i++)
		g_ptr_array_add(c->plan, g_strdup(plan->lines->pdata[i]));
	c->plan_ok = compose_plan_ok(plan);
	t->dirty |= DIRTY_PANEL;
	if (!c->plan_ok) {
		char *why = sanitize_text(plan->refusals->pdata[0], -1,
		    SAN_LINE);

		tui_message(t, ST_ERROR, "not sent: %s; the draft is kept (a key: "
		    "back to the text)", why);
		g_free(why);
		wait_key(t);
		/* The reason stays on the message line, back at the text. */
		t->msg_keep = true;
	} else {
		char *q;

		tui_draw(t);
		q = g_strdup_printf("send it to %u recipient%s as shown? (y/n) ",
		    plan->recipients->len, plan->recipients->len == 1 ? "" :
		    "s");
		if (!prompt_yes_no(t, q)) {
			if (!t->quit)
				tui_message(t, ST_INFO, "not sent; the draft is "
				    "kept");
		} else {
			tui_message(t, ST_INFO, "sending...");
			tui_draw(t);
			if (compose_send(t->app, cv, c->d, c->thread, &sent,
			    &err) != 0) {
				tui_message(t, ST_ERROR, "%s; the draft is kept",
				    err.msg);
			} else {
				GString *m = g_string_new(NULL);

				g_string_append_printf(m, "case %lld: sent <%s>",
				    (long long)c->case_id, sent->msgid);
				for (guint i = 0; i < sent->warnings->len; i++)
					g_string_append_printf(m, "; warning: %s",
					    (char *)sent->warnings->pdata[i]);
				c->sent_msg = g_string_free(m, FALSE);
				c->done = c->sent = true;
				c->changed = false;
			}
		}
		g_free(q);
	}
	compose_sent_free(sent);
	compose_plan_free(plan);
	case_view_free(cv);
	plan_clear(c);
	t->dirty |= DIRTY_PANEL;
}

/* Escape: a reply is saved first; a note that would be lost is asked about. */
static void
composer_close(struct tui *t, struct composer *c)
{
	struct error err = {{0}};
	char *q;

	if (c->mode == CM_NOTE) {
		if (editor_blank(c->ed) || prompt_yes_no(t, "leave without adding the "
		    "note? its text is lost (y/n) "))
			c->done = true;
		return;
	}
	if (composer_save(t, c, &err) == 0) {
		c->done = true;
		c->sent_msg = g_strdup_printf("case %lld: draft saved, encrypted "
		    "(r continues it)", (long long)c->case_id);
		return;
	}
	q = g_strdup_printf("draft NOT saved (%s); leave and lose it? (y/n) ",
	    err.msg);
	if (prompt_yes_no(t, q))
		c->done = true;
	g_free(q);
}

static void
composer_key(struct tui *t, struct composer *c, key_code k)
{
	enum action act = keymap_lookup(t->km, KCTX_COMPOSE, k);
	char name[KEYC_NAME_LEN];
	int rc;

	t->dirty |= DIRTY_PANEL;
	switch (act) {
	case ACT_COMPOSE_SEND:
		composer_send(t, c);
		return;
	case ACT_COMPOSE_EDITOR:
		composer_external(t, c);
		return;
	case ACT_COMPOSE_HEADERS:
		if (c->mode == CM_REPLY)
			composer_headers(t, c);
		return;
	case ACT_COMPOSE_TEMPLATE:
		if (c->mode == CM_REPLY)
			composer_template(t, c);
		return;
	case ACT_COMPOSE_CLOSE:
		composer_close(t, c);
		return;
	case ACT_COMPOSE_DISCARD:
		composer_discard(t, c);
		return;
	default:
		break;
	}
	rc = editor_key(c->ed, act, k, t->w_panel != NULL ?
	    getmaxx(t->w_panel) - 1 : 79);
	if (rc > 0)
		c->changed = true;
	else if (rc == -1)
		tui_message(t, ST_ERROR, "the text is as long as it may be: "
		    "nothing more fits");
	else if (rc == -2 && act == ACT_NONE)
		tui_message(t, ST_INFO, "%s: no action in the editor",
		    keyc_name(k, name));
}

/* --- the panel's life ----------------------------------------------------------------- */

static struct composer *
composer_new(enum composer_mode mode, const struct case_view *cv)
{
	struct composer *c = g_new0(struct composer, 1);

	c->mode = mode;
	c->case_id = cv->sc->id;
	c->ref = g_strdup(cv->sc->ref ? cv->sc->ref : "");
	c->ed = editor_new();
	return c;
}

static void
composer_free(struct composer *c)
{
	if (c == NULL)
		return;
	editor_free(c->ed);
	compose_draft_free(c->d);
	if (c->thread != NULL)
		g_ptr_array_unref(c->thread);
	plan_clear(c);
	g_free(c->ref);
	g_free(c->sent_msg);
	g_free(c);
}

/*
 * The panel's own key loop: keys that arrive together (a paste) are taken
 * in one go and drawn once; a pause saves a changed draft and lets the live
 * refresh run.  A signal to quit saves the draft before the program goes.
 */
static void
composer_run(struct tui *t, struct composer *c)
{
	int ms = t->app->cfg->refresh_secs > 0 ?
	    t->app->cfg->refresh_secs * 1000 : 2000;
	bool pending = false;

	t->composer = c;
	c->saved_us = g_get_monotonic_time();
	c->cursor_on = false;
	t->dirty = DIRTY_ALL;
	while (!c->done && !t->quit) {
		key_code k;
		int rc;

		if (!pending)
			tui_draw(t);
		if (t->w_msg == NULL) {
			napms(ms);
			continue;
		}
		wtimeout(t->w_msg, pending ? 0 : ms);
		rc = tui_read_key(t, &k);
		if (t->quit)
			break;
		if (rc == 1) {
			c->cursor_on = false;
			pending = false;
			continue;
		}
		if (rc < 0) {
			if (!pending) {
				tui_poll(t, false);
				composer_autosave(t, c);
			}
			pending = false;
			continue;
		}
		t->msg_keep = false;
		composer_key(t, c, k);
		if (!t->msg_keep && t->msg != NULL) {
			g_free(t->msg);
			t->msg = NULL;
			t->dirty |= DIRTY_MSG;
		}
		if (c->changed && g_get_monotonic_time() - c->saved_us >=
		    SAVE_EVERY_US)
			composer_autosave(t, c);
		pending = !c->done;
	}
	if (t->quit && c->mode == CM_REPLY && !c->sent) {
		struct error err = {{0}};

		/* Nobody to tell if this fails: the terminal may be gone. */
		composer_save(t, c, &err);
	}
	t->composer = NULL;
	curs_set(0);
	if (t->w_panel != NULL)
		leaveok(t->w_panel, TRUE);
	t->dirty = DIRTY_ALL;
}

/* The thread for the draft: the timeline's when it shows this case, else read now. */
static GPtrArray *
composer_thread(struct tui *t, const struct case_view *cv)
{
	struct error err = {{0}};
	GPtrArray *thread = NULL;

	if (t->tl_cv != NULL && t->tl_cv->sc->id == cv->sc->id &&
	    t->tl_msgs != NULL)
		return g_ptr_array_ref(t->tl_msgs);
	tui_message(t, ST_INFO, "reading case %lld...", (long long)cv->sc->id);
	tui_draw(t);
	if (app_thread(t->app, cv, &thread, &err) != 0)
		return NULL; /* core reads it again and says what is wrong */
	return thread;
}

/* A saved draft first: continue it, or (after a second yes) throw it away. */
static int
offer_draft(struct tui *t, int64_t id, struct compose_draft **out)
{
	struct error err = {{0}};
	struct compose_draft *d = NULL;
	char when[CLOCK_ISO_LEN], *q;
	bool yes;
	int rc;

	*out = NULL;
	rc = draft_load(t->app, id, &d, &err);
	if (rc < 0) {
		tui_message(t, ST_ERROR, "the saved draft of case %lld cannot be "
		    "read (left as it is): %s", (long long)id, err.msg);
		return -1;
	}
	if (rc == 1)
		return 0;
	/* Short enough for 80 columns: the answer must be seen. */
	q = g_strdup_printf("case %lld: continue the draft saved %s (%s)? "
	    "(y/n) ", (long long)id, clock_format_iso8601(d->updated, when),
	    d->template_name ? d->template_name : "-");
	yes = prompt_yes_no(t, q);
	g_free(q);
	if (yes) {
		*out = d;
		return 0;
	}
	compose_draft_free(d);
	if (t->quit)
		return -1;
	if (!prompt_yes_no(t, "throw that draft away and start again from a "
	    "template? (y/n) ")) {
		tui_message(t, ST_INFO, "the draft is kept as it was");
		return -1;
	}
	if (draft_delete(t->app, id, &err) != 0) {
		tui_message(t, ST_ERROR, "%s", err.msg);
		return -1;
	}
	return 0;
}

void
composer_reply(struct tui *t, const struct case_view *cv)
{
	struct error err = {{0}};
	struct composer *c;
	struct compose_draft *d = NULL;
	int64_t id = cv->sc->id;
	bool exists = false;
	char *name;

	if (draft_exists(t->app, id, &exists, NULL, &err) != 0) {
		tui_message(t, ST_ERROR, "%s", err.msg);
		return;
	}
	if (exists && offer_draft(t, id, &d) != 0)
		return;
	c = composer_new(CM_REPLY, cv);
	if (d == NULL) {
		if ((name = ask_template(t, cv)) == NULL) {
			composer_free(c);
			return;
		}
		c->thread = composer_thread(t, cv);
		if (compose_draft_from_template(t->app, cv, name, c->thread, &d,
		    &err) != 0) {
			tui_message(t, ST_ERROR, "%s", err.msg);
			g_free(name);
			composer_free(c);
			return;
		}
		g_free(name);
		c->changed = true; /* new: saved at the first pause */
	} else {
		c->thread = composer_thread(t, cv);
		c->ever_saved = true;
		c->saved_at = d->updated;
	}
	c->d = d;
	editor_set_text(c->ed, d->body);
	g_free(t->msg);
	t->msg = NULL;
	/* cv may be freed by a reload from here on: only c is used. */
	composer_run(t, c);
	if (c->sent)
		case_changed(t, id, true);
	if (c->sent_msg != NULL)
		tui_message(t, ST_INFO, "%s", c->sent_msg);
	composer_free(c);
}

void
composer_note(struct tui *t, const struct case_view *cv)
{
	struct composer *c = composer_new(CM_NOTE, cv);
	int64_t id = cv->sc->id;

	g_free(t->msg);
	t->msg = NULL;
	composer_run(t, c);
	if (c->sent)
		case_changed(t, id, false);
	if (c->sent_msg != NULL)
		tui_message(t, ST_INFO, "%s", c->sent_msg);
	composer_free(c);
}
