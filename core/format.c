/* core/format.c: the one formatter for command output, text and JSON, so they cannot drift apart. */
#include "build-config.h"

#include <inttypes.h>
#include <string.h>

#include <glib.h>

#include "core/clock.h"
#include "core/crypto.h"
#include "core/domain.h"
#include "core/format.h"
#include "core/mime.h"
#include "core/sanitize.h"

int
format_parse(const char *s, enum format_kind *out, struct error *err)
{
	if (strcmp(s, "text") == 0)
		*out = FORMAT_TEXT;
	else if (strcmp(s, "json") == 0)
		*out = FORMAT_JSON;
	else
		return error_set(err, "--format=%s: expected text or json", s);
	return 0;
}

/*
 * A small streaming JSON writer.  Every string goes through sanitize first,
 * so nothing from mail can reach a terminal that prints the JSON.
 */
struct jw {
	FILE *fp;
	int depth;
	bool need_comma[32];
};

static void
jw_sep(struct jw *w)
{
	if (w->depth > 0 && w->need_comma[w->depth])
		fputc(',', w->fp);
	if (w->depth > 0)
		w->need_comma[w->depth] = true;
}

static void
jw_open(struct jw *w, char c)
{
	jw_sep(w);
	fputc(c, w->fp);
	if (w->depth < (int)G_N_ELEMENTS(w->need_comma) - 1)
		w->depth++;
	w->need_comma[w->depth] = false;
}

static void
jw_close(struct jw *w, char c)
{
	fputc(c, w->fp);
	if (w->depth > 0)
		w->depth--;
}

/* Writes S (already display-safe) as a JSON string. */
static void
jw_raw_string(struct jw *w, const char *s)
{
	fputc('"', w->fp);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		switch (*p) {
		case '"':
			fputs("\\\"", w->fp);
			break;
		case '\\':
			fputs("\\\\", w->fp);
			break;
		case '\n':
			fputs("\\n", w->fp);
			break;
		default:
			if (*p < 0x20)
				fprintf(w->fp, "\\u%04x", *p);
			else
				fputc(*p, w->fp);
		}
	}
	fputc('"', w->fp);
}

static void
jw_key(struct jw *w, const char *key)
{
	jw_sep(w);
	jw_raw_string(w, key);
	fputc(':', w->fp);
	/* The value that follows must not add another comma. */
	w->need_comma[w->depth] = false;
}

/* A string value, or null; FLAGS say whether newlines are kept. */
static void
jw_str_flags(struct jw *w, const char *s, enum sanitize_flags flags)
{
	char *safe;

	if (s == NULL) {
		jw_sep(w);
		fputs("null", w->fp);
		return;
	}
	jw_sep(w);
	safe = sanitize_text(s, -1, flags);
	jw_raw_string(w, safe);
	g_free(safe);
}

static void
jw_str(struct jw *w, const char *s)
{
	jw_str_flags(w, s, SAN_LINE);
}

static void
jw_int(struct jw *w, int64_t v)
{
	jw_sep(w);
	fprintf(w->fp, "%" PRId64, v);
}

static void
jw_bool(struct jw *w, bool v)
{
	jw_sep(w);
	fputs(v ? "true" : "false", w->fp);
}

static void
jw_null(struct jw *w)
{
	jw_sep(w);
	fputs("null", w->fp);
}

/* A time as ISO 8601 UTC, or null when 0. */
static void
jw_time(struct jw *w, time_t t)
{
	char buf[CLOCK_ISO_LEN];

	if (t == 0)
		jw_null(w);
	else
		jw_str(w, clock_format_iso8601(t, buf));
}

/* "name <addr>", "addr", or NULL. New string (g_free). */
static char *
reporter_text(const struct store_case *sc)
{
	const struct mail_facts *f = &sc->facts;

	if (!sc->has_facts || f->reporter_addr == NULL)
		return NULL;
	if (f->reporter_name != NULL && *f->reporter_name != '\0')
		return g_strdup_printf("%s <%s>", f->reporter_name,
		    f->reporter_addr);
	return g_strdup(f->reporter_addr);
}

static const char *
case_state(const struct store_case *sc)
{
	const char *s = store_case_field(sc, "state");

	return s != NULL ? s : state_name(STATE_NEW);
}

static void
json_deadline(struct jw *w, const struct deadline *d)
{
	jw_open(w, '{');
	jw_key(w, "kind");
	jw_str(w, deadline_kind_name(d->kind));
	jw_key(w, "due");
	jw_time(w, d->due);
	jw_key(w, "met_at");
	jw_time(w, d->met_at);
	jw_key(w, "urgency");
	jw_str(w, urgency_name(d->urgency));
	jw_close(w, '}');
}

/* The members of a case object, without the braces (show adds to them). */
static void
json_case_members(struct jw *w, const struct case_view *cv)
{
	const struct store_case *sc = cv->sc;
	char *rep = reporter_text(sc);

	jw_key(w, "id");
	jw_int(w, sc->id);
	jw_key(w, "ref");
	jw_str(w, sc->ref);
	jw_key(w, "thread");
	jw_str(w, sc->thread);
	jw_key(w, "subject");
	jw_str(w, sc->has_facts ? sc->facts.subject : NULL);
	jw_key(w, "reporter");
	jw_str(w, rep);
	jw_key(w, "state");
	jw_str(w, case_state(sc));
	jw_key(w, "severity");
	jw_str(w, store_case_field(sc, "severity"));
	jw_key(w, "handler");
	jw_str(w, store_case_field(sc, "handler"));
	jw_key(w, "embargo");
	jw_str(w, store_case_field(sc, "embargo"));
	jw_key(w, "cve");
	jw_str(w, store_case_field(sc, "cve"));
	jw_key(w, "affected");
	jw_str(w, store_case_field(sc, "affected"));
	jw_key(w, "next_deadline");
	if (cv->dl.next >= 0)
		json_deadline(w, &cv->dl.d[cv->dl.next]);
	else
		jw_null(w);
	jw_key(w, "deadlines");
	jw_open(w, '[');
	for (size_t i = 0; i < cv->dl.n; i++)
		json_deadline(w, &cv->dl.d[i]);
	jw_close(w, ']');
	g_free(rep);
}

/* Display width of a UTF-8 string (wide characters count 2, combining 0). */
static size_t
text_width(const char *s)
{
	size_t w = 0;

	for (const char *p = s; *p; p = g_utf8_next_char(p)) {
		gunichar c = g_utf8_get_char(p);

		if (g_unichar_iszerowidth(c))
			continue;
		w += g_unichar_iswide(c) ? 2 : 1;
	}
	return w;
}

/*
 * Prints S (from anywhere: it is sanitised here) in exactly WIDTH columns,
 * cut with "…" or padded with spaces; WIDTH 0 prints it whole.
 */
static void
text_cell(FILE *fp, const char *s, size_t width)
{
	char *safe = sanitize_text(s != NULL ? s : "-", -1, SAN_LINE);
	size_t w = 0;
	const char *p;

	if (width == 0) {
		fputs(safe, fp);
		g_free(safe);
		return;
	}
	if (text_width(safe) <= width) {
		fputs(safe, fp);
		w = text_width(safe);
	} else {
		for (p = safe; *p; p = g_utf8_next_char(p)) {
			gunichar c = g_utf8_get_char(p);
			size_t cw = g_unichar_iszerowidth(c) ? 0 :
			    g_unichar_iswide(c) ? 2 : 1;

			if (w + cw > width - 1)
				break;
			fwrite(p, 1, (size_t)(g_utf8_next_char(p) - p), fp);
			w += cw;
		}
		fputs("\xe2\x80\xa6", fp); /* … */
		w++;
	}
	for (; w < width; w++)
		fputc(' ', fp);
	g_free(safe);
}

/* "ack -1d 2h" for the next deadline, "-" when there is none. */
static void
text_next(const struct case_view *cv, time_t now, char *buf, size_t len)
{
	char left[CLOCK_LEFT_LEN];
	const struct deadline *d;

	if (cv->dl.next < 0) {
		snprintf(buf, len, "-");
		return;
	}
	d = &cv->dl.d[cv->dl.next];
	snprintf(buf, len, "%s %s", deadline_kind_name(d->kind),
	    clock_format_left((int64_t)(d->due - now), left));
}

/* A marker that shows urgency without colour: "!" overdue, "~" soon. */
static const char *
urgency_marker(const struct case_view *cv)
{
	if (cv->dl.next < 0)
		return " ";
	switch (cv->dl.d[cv->dl.next].urgency) {
	case URG_OVERDUE:
		return "!";
	case URG_SOON:
		return "~";
	default:
		return " ";
	}
}

void
format_cases(FILE *fp, enum format_kind fmt, const struct app *app,
    GPtrArray *cases)
{
	if (fmt == FORMAT_JSON) {
		struct jw w = {.fp = fp};

		jw_open(&w, '[');
		for (guint i = 0; i < cases->len; i++) {
			jw_open(&w, '{');
			json_case_members(&w, cases->pdata[i]);
			jw_close(&w, '}');
		}
		jw_close(&w, ']');
		fputc('\n', fp);
		return;
	}
	if (cases->len == 0) {
		fputs("no open cases\n", fp);
		return;
	}
	fprintf(fp, "%4s %-5s   %-16s %-9s %-16s %-18s %-20s %s\n", "ID",
	    "REF", "NEXT", "SEVERITY", "STATE", "HANDLER", "REPORTER",
	    "SUBJECT");
	for (guint i = 0; i < cases->len; i++) {
		const struct case_view *cv = cases->pdata[i];
		const struct store_case *sc = cv->sc;
		char next[64], *rep = reporter_text(sc);

		text_next(cv, app->now, next, sizeof next);
		fprintf(fp, "%4lld ", (long long)sc->id);
		text_cell(fp, sc->ref, 5);
		fprintf(fp, " %s ", urgency_marker(cv));
		text_cell(fp, next, 16);
		fputc(' ', fp);
		text_cell(fp, store_case_field(sc, "severity"), 9);
		fputc(' ', fp);
		text_cell(fp, case_state(sc), 16);
		fputc(' ', fp);
		text_cell(fp, store_case_field(sc, "handler"), 18);
		fputc(' ', fp);
		text_cell(fp, rep, 20);
		fputc(' ', fp);
		text_cell(fp, sc->has_facts ? sc->facts.subject : NULL, 0);
		fputc('\n', fp);
		g_free(rep);
	}
}

char *
format_event_detail(const struct store_event *ev)
{
	char *raw, *safe;
	int kind = event_kind_from_name(ev->kind);

	if (kind == EV_NOTE || kind == EV_REPLY_SENT)
		raw = g_strdup(ev->value ? ev->value : "");
	else if (kind == EV_CREATED)
		raw = g_strdup("case opened");
	else if (kind == EV_CHECK)
		raw = g_strdup_printf("%s: %s",
		    ev->field && strchr(ev->field, ':') ? strchr(ev->field, ':') + 1 : "?",
		    ev->value && *ev->value ? "done" : "not done");
	else if (kind >= 0 && event_kind_folds((enum event_kind)kind))
		raw = g_strdup_printf("%s -> %s",
		    ev->prev && *ev->prev ? ev->prev : "(unset)",
		    ev->value && *ev->value ? ev->value : "(unset)");
	else
		raw = g_strdup(ev->value ? ev->value : "");
	safe = sanitize_text(raw, -1, SAN_MULTILINE);
	g_free(raw);
	return safe;
}

static void
json_signature(struct jw *w, const struct thread_message *tm)
{
	const struct message_view *mv = tm->mv;
	const struct crypto_signature *sig = NULL;

	if (mv->sig_best >= 0 && mv->signatures != NULL &&
	    (guint)mv->sig_best < mv->signatures->len)
		sig = mv->signatures->pdata[mv->sig_best];
	jw_open(w, '{');
	jw_key(w, "status");
	jw_str(w, sig_status_name(mv->sig_status));
	jw_key(w, "fpr");
	jw_str(w, sig ? sig->fpr : NULL);
	jw_key(w, "signer");
	jw_str(w, sig ? sig->uid : NULL);
	jw_key(w, "matches_from");
	if (sig)
		jw_bool(w, mv->sig_matches_from);
	else
		jw_null(w);
	jw_key(w, "validity");
	jw_str(w, sig ? validity_name(sig->validity) : NULL);
	jw_key(w, "pinned");
	if (sig)
		jw_bool(w, tm->pinned);
	else
		jw_null(w);
	jw_key(w, "partial");
	jw_bool(w, mv->sig_partial);
	jw_close(w, '}');
}

static void
json_message(struct jw *w, const struct thread_message *tm)
{
	const struct message_view *mv = tm->mv;
	char *body;

	jw_open(w, '{');
	jw_key(w, "id");
	jw_str(w, tm->mm->msgid);
	/* Things embargo says about the message (another file with its Message-ID...). */
	jw_key(w, "warnings");
	jw_open(w, '[');
	if (tm->warning != NULL)
		jw_str(w, tm->warning);
	jw_close(w, ']');
	if (mv == NULL) {
		jw_key(w, "date");
		jw_time(w, tm->mm->date);
		jw_key(w, "error");
		jw_str(w, tm->error);
		jw_close(w, '}');
		return;
	}
	jw_key(w, "from");
	jw_str(w, mv->from);
	jw_key(w, "to");
	jw_str(w, mv->to);
	jw_key(w, "date");
	jw_time(w, mv->date ? mv->date : tm->mm->date);
	jw_key(w, "subject");
	jw_str(w, mv->subject);
	jw_key(w, "encrypted");
	jw_bool(w, mv->encrypted);
	jw_key(w, "decrypted");
	jw_bool(w, mv->encrypted && mv->decrypted);
	jw_key(w, "signature");
	json_signature(w, tm);
	jw_key(w, "team_reply");
	if (tm->from_team)
		jw_str(w, tm->team_verified ? "verified" : "unverified");
	else
		jw_null(w);
	if (mv->protected_subject != NULL) {
		jw_key(w, "protected_subject");
		jw_str(w, mv->protected_subject);
	}
	body = message_view_body(mv);
	jw_key(w, "body");
	jw_str_flags(w, body, SAN_MULTILINE);
	g_free(body);
	jw_close(w, '}');
}

static void
json_event(struct jw *w, const struct store_event *ev)
{
	char *detail = format_event_detail(ev);

	jw_open(w, '{');
	jw_key(w, "at");
	jw_time(w, ev->at);
	jw_key(w, "who");
	jw_str(w, ev->author);
	jw_key(w, "kind");
	jw_str(w, ev->kind);
	jw_key(w, "detail");
	jw_str_flags(w, detail, SAN_MULTILINE);
	jw_close(w, '}');
	g_free(detail);
}

/* The badges of a message, in words only embargo writes (never mail text). */
static char *
text_badges(const struct thread_message *tm)
{
	const struct message_view *mv = tm->mv;
	GString *b = g_string_new(NULL);
	const struct crypto_signature *sig = NULL;

	if (mv->sig_best >= 0 && mv->signatures != NULL &&
	    (guint)mv->sig_best < mv->signatures->len)
		sig = mv->signatures->pdata[mv->sig_best];
	if (mv->encrypted)
		g_string_append(b, mv->decrypted ? "[encrypted] " :
		    "[cannot decrypt] ");
	switch (mv->sig_status) {
	case SIG_NONE:
		break;
	case SIG_GOOD: {
		const char *fpr = sig && sig->fpr ? sig->fpr : "";
		size_t n = strlen(fpr);

		g_string_append_printf(b, "[signed: %s %s] ",
		    sig && sig->uid ? sig->uid : "?",
		    n > 16 ? fpr + n - 16 : fpr);
		if (!mv->sig_matches_from)
			g_string_append(b, "[signer is not From] ");
		if (mv->sig_partial)
			g_string_append(b, "[partly signed] ");
		if (!tm->pinned)
			g_string_append(b, "[not the pinned key] ");
		break;
	}
	case SIG_BAD:
		g_string_append(b, "[BAD SIGNATURE] ");
		break;
	default:
		g_string_append_printf(b, "[signature: %s] ",
		    sig_status_name(mv->sig_status));
	}
	if (tm->from_team && !tm->team_verified)
		g_string_append(b, "[team: unverified] ");
	if (b->len > 0)
		g_string_truncate(b, b->len - 1);
	return g_string_free(b, FALSE);
}

static void
text_deadlines(FILE *fp, const struct case_view *cv, time_t now)
{
	char due[CLOCK_ISO_LEN], left[CLOCK_LEFT_LEN], met[CLOCK_ISO_LEN];

	if (cv->dl.n == 0) {
		fputs("Deadlines: none running\n", fp);
		return;
	}
	fputs("Deadlines:\n", fp);
	for (size_t i = 0; i < cv->dl.n; i++) {
		const struct deadline *d = &cv->dl.d[i];

		fprintf(fp, "  %-9s %s  %-7s ", deadline_kind_name(d->kind),
		    clock_format_iso8601(d->due, due),
		    urgency_name(d->urgency));
		if (d->met_at != 0)
			fprintf(fp, "met %s\n",
			    clock_format_iso8601(d->met_at, met));
		else
			fprintf(fp, "%s\n",
			    clock_format_left((int64_t)(d->due - now), left));
	}
	if (cv->dl.warning[0] != '\0')
		fprintf(fp, "Warning: %s\n", cv->dl.warning);
}

/* Prints TEXT (sanitised here) with every line indented, so mail text can never start a line. */
static void
text_indented(FILE *fp, const char *text, const char *indent)
{
	char *safe = sanitize_text(text, -1, SAN_MULTILINE);
	char **lines = g_strsplit(safe, "\n", -1);

	for (char **l = lines; *l; l++) {
		if (l[1] == NULL && **l == '\0')
			break;
		fprintf(fp, "%s%s\n", indent, *l);
	}
	g_strfreev(lines);
	g_free(safe);
}

/* What protected a block: "encrypted, signed", "unsigned", ... */
static const char *
block_coverage(const struct message_view *mv, const struct mime_block *b)
{
	bool sig = false;

	if (b->sig_index >= 0 && mv->signatures != NULL &&
	    (guint)b->sig_index < mv->signatures->len) {
		const struct crypto_signature *s =
		    mv->signatures->pdata[b->sig_index];

		sig = s->status == SIG_GOOD;
	}
	if (b->encrypted)
		return sig ? "encrypted, signed part" : "encrypted, unsigned part";
	return sig ? "signed part" : "unsigned, unencrypted part";
}

/*
 * The body of a message, block by block.  When its blocks were not all
 * protected alike, a line of embargo's own ("== [signed part]") says where
 * each kind begins, so unsigned text beside signed text can't pass for signed.
 */
static void
text_message_body(FILE *fp, const struct message_view *mv)
{
	const char *last = NULL;
	bool mixed = false;

	for (guint i = 0; i < mv->blocks->len; i++) {
		const struct mime_block *b = mv->blocks->pdata[i];
		const char *cov;

		if (b->type == BLOCK_NOTICE)
			continue;
		cov = block_coverage(mv, b);
		if (last != NULL && strcmp(cov, last) != 0)
			mixed = true;
		last = cov;
	}
	last = NULL;
	for (guint i = 0; i < mv->blocks->len; i++) {
		const struct mime_block *b = mv->blocks->pdata[i];
		const char *cov;
		char *line;

		if (b->type == BLOCK_NOTICE) {
			fputs("== [", fp);
			text_cell(fp, b->text, 0);
			fputs("]\n", fp);
			continue;
		}
		cov = block_coverage(mv, b);
		if (mixed && (last == NULL || strcmp(cov, last) != 0))
			fprintf(fp, "== [%s%s]\n", cov,
			    b->forwarded ? ", forwarded" : "");
		last = cov;
		if (b->type == BLOCK_ATTACHMENT) {
			line = g_strdup_printf("[attachment: %s, %s, %zu bytes]",
			    b->filename ? b->filename : "(no name)",
			    b->content_type ? b->content_type : "?", b->size);
			text_indented(fp, line, "  | ");
			g_free(line);
		} else
			text_indented(fp, b->text ? b->text : "", "  | ");
	}
}

void
format_case_show(FILE *fp, enum format_kind fmt, const struct app *app,
    const struct case_view *cv, GPtrArray *messages, GPtrArray *events)
{
	const struct store_case *sc = cv->sc;

	if (fmt == FORMAT_JSON) {
		struct jw w = {.fp = fp};

		jw_open(&w, '{');
		json_case_members(&w, cv);
		jw_key(&w, "messages");
		jw_open(&w, '[');
		for (guint i = 0; messages && i < messages->len; i++)
			json_message(&w, messages->pdata[i]);
		jw_close(&w, ']');
		jw_key(&w, "events");
		jw_open(&w, '[');
		for (guint i = 0; events && i < events->len; i++)
			json_event(&w, events->pdata[i]);
		jw_close(&w, ']');
		jw_close(&w, '}');
		fputc('\n', fp);
		return;
	}

	char *rep = reporter_text(sc);
	char date[CLOCK_ISO_LEN];

	fprintf(fp, "Case %lld (%s)\n", (long long)sc->id, sc->ref);
	fputs("Subject:  ", fp);
	text_cell(fp, sc->has_facts ? sc->facts.subject : NULL, 0);
	fputs("\nReporter: ", fp);
	text_cell(fp, rep, 0);
	fputs("\nState:    ", fp);
	text_cell(fp, case_state(sc), 0);
	fputs("   Severity: ", fp);
	text_cell(fp, store_case_field(sc, "severity"), 0);
	fputs("   Handler: ", fp);
	text_cell(fp, store_case_field(sc, "handler"), 0);
	fputs("\nEmbargo:  ", fp);
	text_cell(fp, store_case_field(sc, "embargo"), 0);
	fputs("   CVE: ", fp);
	text_cell(fp, store_case_field(sc, "cve"), 0);
	fputs("\nAffected: ", fp);
	text_cell(fp, store_case_field(sc, "affected"), 0);
	fputc('\n', fp);
	g_free(rep);
	text_deadlines(fp, cv, app->now);

	for (guint i = 0; messages && i < messages->len; i++) {
		const struct thread_message *tm = messages->pdata[i];
		char *badges;

		fprintf(fp, "\n== message %u/%u  ", i + 1, messages->len);
		if (tm->mv == NULL) {
			fputs(clock_format_iso8601(tm->mm->date, date), fp);
			fputc('\n', fp);
		} else {
			text_cell(fp, tm->mv->from, 0);
			fprintf(fp, "  %s\n",
			    clock_format_iso8601(tm->mv->date ? tm->mv->date :
			    tm->mm->date, date));
		}
		if (tm->warning != NULL) {
			fputs("== [warning: ", fp);
			text_cell(fp, tm->warning, 0);
			fputs("]\n", fp);
		}
		if (tm->mv == NULL) {
			fputs("== error: ", fp);
			text_cell(fp, tm->error, 0);
			fputc('\n', fp);
			continue;
		}
		badges = text_badges(tm);
		if (*badges != '\0')
			fprintf(fp, "== %s\n", badges);
		g_free(badges);
		text_message_body(fp, tm->mv);
	}
	if (events != NULL && events->len > 0) {
		fputs("\nEvents:\n", fp);
		for (guint i = 0; i < events->len; i++) {
			const struct store_event *ev = events->pdata[i];
			char *detail = format_event_detail(ev);

			fprintf(fp, "  %s  ", clock_format_iso8601(ev->at, date));
			text_cell(fp, ev->author, 0);
			fputs("  ", fp);
			text_cell(fp, ev->kind, 0);
			fputs("  ", fp);
			text_cell(fp, detail, 0);
			fputc('\n', fp);
			g_free(detail);
		}
	}
}

void
format_due(FILE *fp, enum format_kind fmt, const struct app *app,
    GPtrArray *items)
{
	char due[CLOCK_ISO_LEN], left[CLOCK_LEFT_LEN];

	if (fmt == FORMAT_JSON) {
		struct jw w = {.fp = fp};

		jw_open(&w, '[');
		for (guint i = 0; i < items->len; i++) {
			const struct due_item *it = items->pdata[i];
			const struct store_case *sc = it->cv->sc;

			jw_open(&w, '{');
			jw_key(&w, "case");
			jw_int(&w, sc->id);
			jw_key(&w, "ref");
			jw_str(&w, sc->ref);
			jw_key(&w, "subject");
			jw_str(&w, sc->has_facts ? sc->facts.subject : NULL);
			jw_key(&w, "handler");
			jw_str(&w, store_case_field(sc, "handler"));
			jw_key(&w, "kind");
			jw_str(&w, deadline_kind_name(it->d->kind));
			jw_key(&w, "due");
			jw_time(&w, it->d->due);
			jw_key(&w, "urgency");
			jw_str(&w, urgency_name(it->d->urgency));
			jw_close(&w, '}');
		}
		jw_close(&w, ']');
		fputc('\n', fp);
		return;
	}
	if (items->len == 0) {
		fputs("nothing due\n", fp);
		return;
	}
	for (guint i = 0; i < items->len; i++) {
		const struct due_item *it = items->pdata[i];
		const struct store_case *sc = it->cv->sc;

		fprintf(fp, "%4lld %-5s %-9s %-7s %-9s %s  ", (long long)sc->id,
		    sc->ref, deadline_kind_name(it->d->kind),
		    urgency_name(it->d->urgency),
		    clock_format_left((int64_t)(it->d->due - app->now), left),
		    clock_format_iso8601(it->d->due, due));
		text_cell(fp, store_case_field(sc, "handler"), 18);
		fputc(' ', fp);
		text_cell(fp, sc->has_facts ? sc->facts.subject : NULL, 0);
		fputc('\n', fp);
	}
}
