/* core/format.h: the one formatter for command output, text and JSON, so they cannot drift apart. */
#ifndef EMBARGO_FORMAT_H
#define EMBARGO_FORMAT_H

#include <stdio.h>

#include <glib.h>

#include "core/app.h"
#include "core/error.h"

enum format_kind { FORMAT_TEXT, FORMAT_JSON };

/* Parses the value of --format ("text" or "json"). */
int format_parse(const char *s, enum format_kind *out, struct error *err);

/* `list`: CASES is a GPtrArray of struct case_view *, already sorted. */
void format_cases(FILE *fp, enum format_kind fmt, const struct app *app,
    GPtrArray *cases);

/* `show`: one case with its messages (struct thread_message *) and events (struct store_event *). */
void format_case_show(FILE *fp, enum format_kind fmt, const struct app *app,
    const struct case_view *cv, GPtrArray *messages, GPtrArray *events);

/* One deadline of one case, for `due`. */
struct due_item {
	const struct case_view *cv;
	const struct deadline *d;
};

/* `due`: ITEMS is a GPtrArray of struct due_item *, soonest first. */
void format_due(FILE *fp, enum format_kind fmt, const struct app *app,
    GPtrArray *items);

/* The human text of an event: "new -> triaged", "note: ...", sanitised. New string (g_free). */
char *format_event_detail(const struct store_event *ev);

#endif
