/* tui/action.c: the case actions (claim, state, severity, embargo, ...), each validated by core/policy. */
#include "build-config.h"

#include <string.h>

#include "core/clock.h"
#include "core/domain.h"
#include "core/policy.h"
#include "tui/tui.h"

/* The case an action applies to: the open one in the timeline, else the queue's selection. */
static const struct case_view *
target_case(const struct tui *t)
{
	if (t->focus == FOCUS_TIMELINE && t->tl_cv != NULL)
		return t->tl_cv;
	return queue_selected(t);
}

void
case_changed(struct tui *t, int64_t id, bool messages)
{
	struct error err = {{0}};

	if (queue_reload(t, &err) != 0)
		tui_message(t, ST_ERROR, "%s", err.msg);
	if (t->tl_cv == NULL || t->tl_cv->sc->id != id) {
		if (timeline_open(t, id, &err) != 0)
			tui_message(t, ST_ERROR, "%s", err.msg);
	} else if (timeline_reload(t, messages, &err) != 0)
		tui_message(t, ST_ERROR, "%s", err.msg);
	/* The new event is the last one: bring the end of the timeline into view. */
	timeline_scroll_to(t, t->tl_lines ? (int)t->tl_lines->len : 0);
	t->dirty |= DIRTY_QUEUE | DIRTY_TIMELINE | DIRTY_STATUS;
}

/* After a change: reload the queue and show the case (and its new event) in the timeline. */
static void
after_change(struct tui *t, int64_t id)
{
	case_changed(t, id, false);
}

/*
 * Sets FIELD to VALUE against the case as shown (policy_set_field_seen:
 * a change by someone else meanwhile is refused, not overwritten).
 */
static void
set_field(struct tui *t, const struct case_view *cv, const char *field,
    const char *value, bool force)
{
	struct error err = {{0}};
	int64_t id = cv->sc->id;
	char *shown;

	if (policy_set_field_seen(t->app->st, t->app->cfg, cv->sc, field, value,
	    t->app->cfg->me, t->app->now, force, &err) != 0) {
		tui_message(t, ST_ERROR, "%s", err.msg);
		/* Show what is there now, so the next try starts from it. */
		after_change(t, id);
		t->msg_keep = true;
		return;
	}
	shown = g_strdup(value && *value ? value : "(unset)");
	after_change(t, id);
	tui_message(t, ST_INFO, "case %lld: %s set to %s", (long long)id, field,
	    shown);
	g_free(shown);
}

/* Handler changes: taking a case someone else holds needs a yes. */
static void
set_handler(struct tui *t, const struct case_view *cv, const char *who)
{
	const char *cur = store_case_field(cv->sc, "handler");
	const char *me = t->app->cfg->me;
	char *target = g_ascii_strcasecmp(who, "me") == 0 && me ?
	    g_ascii_strdown(me, -1) : g_ascii_strdown(who, -1);
	bool force = false;

	if (cur != NULL && *cur != '\0' && (me == NULL ||
	    g_ascii_strcasecmp(cur, me) != 0) &&
	    g_ascii_strcasecmp(cur, target) != 0) {
		char *q = g_strdup_printf("case %lld is held by %s; take it "
		    "from them? (y/n) ", (long long)cv->sc->id, cur);

		force = prompt_yes_no(t, q);
		g_free(q);
		if (!force) {
			tui_message(t, ST_INFO, "left with %s", cur);
			g_free(target);
			return;
		}
	}
	set_field(t, cv, "handler", target, force);
	g_free(target);
}

static char **
handler_choices(const struct tui *t)
{
	GPtrArray *c = g_ptr_array_new();

	g_ptr_array_add(c, g_strdup("me"));
	for (size_t i = 0; t->app->cfg->handlers &&
	    t->app->cfg->handlers[i]; i++)
		g_ptr_array_add(c, g_strdup(t->app->cfg->handlers[i]));
	g_ptr_array_add(c, g_strdup("none"));
	g_ptr_array_add(c, NULL);
	return (char **)g_ptr_array_free(c, FALSE);
}

static char **
state_choices(const struct case_view *cv)
{
	const char *cur = store_case_field(cv->sc, "state");
	int from = cur && *cur ? state_from_name(cur) : STATE_NEW;
	GPtrArray *c = g_ptr_array_new();

	for (int s = 0; s < STATE__COUNT; s++)
		if (from < 0 || policy_transition_allowed((enum state)from,
		    (enum state)s))
			g_ptr_array_add(c, g_strdup(state_name((enum state)s)));
	g_ptr_array_add(c, NULL);
	return (char **)g_ptr_array_free(c, FALSE);
}

/* Embargo suggestions: relative ones and one full date in the policy's zone. */
static char **
date_choices(const struct tui *t)
{
	static const char *const rel[] = { "+1d", "+3d", "+7d", "+14d", "+30d",
		"none" };
	GPtrArray *c = g_ptr_array_new();
	const char *tzname = t->app->cfg->timezone;
	GTimeZone *tz = tzname && *tzname ?
	    g_time_zone_new_identifier(tzname) : NULL;
	GDateTime *dt, *local;

	for (size_t i = 0; i < G_N_ELEMENTS(rel); i++)
		g_ptr_array_add(c, g_strdup(rel[i]));
	if (tz == NULL)
		tz = g_time_zone_new_utc();
	dt = g_date_time_new_from_unix_utc((gint64)t->app->now + 7 * 86400);
	if (dt != NULL) {
		local = g_date_time_to_timezone(dt, tz);
		g_ptr_array_add(c, g_date_time_format(local, "%Y-%m-%d 14:00"));
		g_date_time_unref(local);
		g_date_time_unref(dt);
	}
	g_time_zone_unref(tz);
	g_ptr_array_add(c, NULL);
	return (char **)g_ptr_array_free(c, FALSE);
}

static char **
list_choices(const char *const *items, size_t n)
{
	char **c = g_new0(char *, n + 1);

	for (size_t i = 0; i < n; i++)
		c[i] = g_strdup(items[i]);
	return c;
}

static void
ask_field(struct tui *t, const struct case_view *cv, const char *field,
    const char *label, char **choices, bool initial_current)
{
	const char *cur = store_case_field(cv->sc, field);
	char *answer = prompt_ask(t, label, initial_current ? cur : NULL,
	    (const char *const *)choices);

	if (answer != NULL) {
		if (strcmp(field, "handler") == 0)
			set_handler(t, cv, answer);
		else
			set_field(t, cv, field, answer, false);
	}
	g_free(answer);
	g_strfreev(choices);
}

static void
note(struct tui *t, const struct case_view *cv)
{
	struct error err = {{0}};
	char *text = prompt_ask(t, "note: ", NULL, NULL);
	int64_t id = cv->sc->id;

	if (text == NULL)
		return;
	if (*g_strstrip(text) == '\0') {
		tui_message(t, ST_INFO, "empty note not added");
	} else if (policy_add_note(t->app->st, id, text, t->app->cfg->me,
	    t->app->now, &err) != 0) {
		tui_message(t, ST_ERROR, "%s", err.msg);
	} else {
		after_change(t, id);
		tui_message(t, ST_INFO, "case %lld: note added", (long long)id);
	}
	g_free(text);
}

/* Ticks a checklist item, or unticks it when it is already ticked. */
static void
check(struct tui *t, const struct case_view *cv)
{
	const char *items[CHK__COUNT];
	char *answer, *field;
	const char *cur;

	for (int c = 0; c < CHK__COUNT; c++)
		items[c] = checklist_name((enum checklist_item)c);
	{
		char **choices = list_choices(items, CHK__COUNT);

		answer = prompt_ask(t, "tick (again: untick): ", NULL,
		    (const char *const *)choices);
		g_strfreev(choices);
	}
	if (answer == NULL)
		return;
	if (checklist_from_name(answer) < 0) {
		GString *names = g_string_new(NULL);

		for (int c = 0; c < CHK__COUNT; c++)
			g_string_append_printf(names, "%s%s", c ? ", " : "",
			    items[c]);
		tui_message(t, ST_ERROR, "unknown checklist item '%.64s'; "
		    "expected one of: %s", answer, names->str);
		g_string_free(names, TRUE);
		g_free(answer);
		return;
	}
	field = g_strconcat("check:", answer, NULL);
	cur = store_case_field(cv->sc, field);
	set_field(t, cv, field, cur && *cur ? "no" : "yes", false);
	g_free(field);
	g_free(answer);
}

static void
mark(struct tui *t, const struct case_view *cv)
{
	static const char *const markers[] = { "response-sent",
		"distros-notified", "announced" };
	char **choices = list_choices(markers, G_N_ELEMENTS(markers));
	char *answer = prompt_ask(t, "mark: ", NULL, (const char *const *)choices);

	g_strfreev(choices);
	if (answer == NULL)
		return;
	for (size_t i = 0; i < G_N_ELEMENTS(markers); i++) {
		if (strcmp(answer, markers[i]) == 0) {
			set_field(t, cv, markers[i], "yes", false);
			g_free(answer);
			return;
		}
	}
	tui_message(t, ST_ERROR, "unknown marker '%.64s'; expected "
	    "response-sent, distros-notified or announced", answer);
	g_free(answer);
}

void
case_action(struct tui *t, enum action act)
{
	static const char *const sevs[] = { "critical", "important",
		"moderate", "minor", "none" };
	const struct case_view *cv = target_case(t);
	char label[64];

	if (cv == NULL) {
		tui_message(t, ST_ERROR, "no case selected");
		return;
	}
	switch (act) {
	case ACT_CLAIM:
		set_handler(t, cv, "me");
		break;
	case ACT_ASSIGN:
		ask_field(t, cv, "handler", "handler: ", handler_choices(t),
		    false);
		break;
	case ACT_SET_STATE: {
		const char *cur = store_case_field(cv->sc, "state");

		g_snprintf(label, sizeof label, "state (now %s): ",
		    cur && *cur ? cur : "new");
		ask_field(t, cv, "state", label, state_choices(cv), false);
		break;
	}
	case ACT_SET_SEVERITY:
		ask_field(t, cv, "severity", "severity: ",
		    list_choices(sevs, G_N_ELEMENTS(sevs)), true);
		break;
	case ACT_SET_EMBARGO:
		ask_field(t, cv, "embargo", "embargo (+7d, YYYY-MM-DD HH:MM): ",
		    date_choices(t), true);
		break;
	case ACT_SET_CVE:
		ask_field(t, cv, "cve", "CVE (CVE-YYYY-NNNN): ", NULL, true);
		break;
	case ACT_SET_AFFECTED:
		ask_field(t, cv, "affected", "affected versions: ", NULL, true);
		break;
	case ACT_REPLY:
		composer_reply(t, cv);
		break;
	case ACT_NOTE:
		note(t, cv);
		break;
	case ACT_NOTE_EDITOR:
		composer_note(t, cv);
		break;
	case ACT_MARK:
		mark(t, cv);
		break;
	case ACT_CHECK:
		check(t, cv);
		break;
	case ACT_RESPONSE_SENT:
		set_field(t, cv, "response-sent", "yes", false);
		break;
	case ACT_DISTROS_NOTIFIED:
		set_field(t, cv, "distros-notified", "yes", false);
		break;
	case ACT_ANNOUNCED:
		set_field(t, cv, "announced", "yes", false);
		break;
	default:
		break;
	}
}
