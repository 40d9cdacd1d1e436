/* core/sync.c: team sync over mail: local case events mailed to the team signed by their handler, event mails imported back. */
#include "build-config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <glib.h>
#include <gmime/gmime.h>
#include <sqlite3.h>

#include "core/app.h"
#include "core/clock.h"
#include "core/compose.h"
#include "core/crypto.h"
#include "core/domain.h"
#include "core/format.h"
#include "core/mail.h"
#include "core/policy.h"
#include "core/sanitize.h"
#include "core/store-private.h"
#include "core/store.h"
#include "core/sync.h"

/* The JSON object of one event (a note is at most 64 KiB, escaped up to 6 bytes a byte). */
#define SYNC_JSON_MAX (512 * 1024)
/* How long a sent copy waits for notmuch's write lock before leaving it to `notmuch new`. */
#define SYNC_INDEX_TIMEOUT_MS 5000
/* After a failed send, app_refresh tries again only after this long (µs). */
#define SYNC_RETRY_US (60 * G_USEC_PER_SEC)

/* Store meta keys. */
#define META_SINCE "sync.since"          /* events with seq above this are mailed */
#define META_NM_UUID "sync.notmuch.uuid" /* where the last import stopped */
#define META_NM_REV "sync.notmuch.revision"

struct sync {
	bool busy;           /* flushing or importing: the store hook stays out */
	gint64 retry_after;  /* monotonic time before which app_refresh does not retry */
};

static void
gmime_init_once(void)
{
	static gsize done;

	if (g_once_init_enter(&done)) {
		g_mime_init();
		g_once_init_leave(&done, 1);
	}
}

void
sync_event_free(struct sync_event *se)
{
	if (se == NULL)
		return;
	g_free(se->ev.author);
	g_free(se->ev.kind);
	g_free(se->ev.field);
	g_free(se->ev.value);
	g_free(se->ev.prev);
	g_free(se->case_msgid);
	g_free(se->case_ref);
	g_free(se);
}

/* --- the JSON object ---------------------------------------------------------- */

static void
json_str(GString *s, const char *v)
{
	if (v == NULL) {
		g_string_append(s, "null");
		return;
	}
	g_string_append_c(s, '"');
	for (const unsigned char *p = (const unsigned char *)v; *p != '\0'; p++) {
		switch (*p) {
		case '"': g_string_append(s, "\\\""); break;
		case '\\': g_string_append(s, "\\\\"); break;
		case '\n': g_string_append(s, "\\n"); break;
		case '\t': g_string_append(s, "\\t"); break;
		case '\r': g_string_append(s, "\\r"); break;
		default:
			if (*p < 0x20 || *p == 0x7f)
				g_string_append_printf(s, "\\u%04x", *p);
			else
				g_string_append_c(s, (char)*p);
		}
	}
	g_string_append_c(s, '"');
}

char *
sync_event_json(const struct store_event *ev, const char *case_msgid,
    const char *case_ref)
{
	GString *s = g_string_new("{\"version\": ");
	char at[CLOCK_ISO_LEN];

	g_string_append_printf(s, "%d", SYNC_EVENT_VERSION);
	g_string_append(s, ", \"uuid\": ");
	json_str(s, ev->uuid);
	g_string_append(s, ", \"case_ref\": ");
	json_str(s, case_ref);
	g_string_append(s, ", \"case_msgid\": ");
	json_str(s, case_msgid);
	g_string_append(s, ", \"author\": ");
	json_str(s, ev->author);
	g_string_append(s, ", \"at\": ");
	json_str(s, clock_format_iso8601(ev->at, at));
	g_string_append(s, ", \"kind\": ");
	json_str(s, ev->kind);
	g_string_append(s, ", \"field\": ");
	json_str(s, ev->field);
	g_string_append(s, ", \"value\": ");
	json_str(s, ev->value);
	g_string_append(s, ", \"prev\": ");
	json_str(s, ev->prev);
	g_string_append(s, "}\n");
	return g_string_free(s, FALSE);
}

/* A strict reader for one flat object of strings, nulls and whole numbers. */
struct jr {
	const char *p, *start, *end;
	struct error *err;
};

static void
jr_ws(struct jr *r)
{
	while (r->p < r->end && (*r->p == ' ' || *r->p == '\t' || *r->p == '\n' ||
	    *r->p == '\r'))
		r->p++;
}

static int
jr_fail(struct jr *r, const char *expected)
{
	return error_set(r->err, "event JSON: offset %td: expected %s",
	    r->p - r->start, expected);
}

static int
jr_hex4(struct jr *r, unsigned *out)
{
	unsigned v = 0;

	if (r->end - r->p < 4)
		return jr_fail(r, "four hex digits after \\u");
	for (int i = 0; i < 4; i++) {
		char c = *r->p++;

		if (!g_ascii_isxdigit(c))
			return jr_fail(r, "four hex digits after \\u");
		v = v * 16 + (unsigned)g_ascii_xdigit_value(c);
	}
	*out = v;
	return 0;
}

/* A string at r->p (the opening quote); *OUT (g_free) is valid UTF-8 without NUL. */
static int
jr_string(struct jr *r, char **out)
{
	GString *s;

	if (r->p >= r->end || *r->p != '"')
		return jr_fail(r, "a string");
	r->p++;
	s = g_string_new(NULL);
	for (;;) {
		unsigned char c;

		if (r->p >= r->end) {
			g_string_free(s, TRUE);
			return jr_fail(r, "the end of the string");
		}
		c = (unsigned char)*r->p;
		if (c == '"') {
			r->p++;
			break;
		}
		if (c < 0x20) {
			g_string_free(s, TRUE);
			return jr_fail(r, "no control character inside a string");
		}
		if (c != '\\') {
			g_string_append_c(s, (char)c);
			r->p++;
			continue;
		}
		if (++r->p >= r->end) {
			g_string_free(s, TRUE);
			return jr_fail(r, "an escape after \\");
		}
		c = (unsigned char)*r->p++;
		switch (c) {
		case '"': case '\\': case '/': g_string_append_c(s, (char)c); break;
		case 'b': g_string_append_c(s, '\b'); break;
		case 'f': g_string_append_c(s, '\f'); break;
		case 'n': g_string_append_c(s, '\n'); break;
		case 'r': g_string_append_c(s, '\r'); break;
		case 't': g_string_append_c(s, '\t'); break;
		case 'u': {
			unsigned u, lo;

			if (jr_hex4(r, &u) != 0) {
				g_string_free(s, TRUE);
				return -1;
			}
			if (u >= 0xdc00 && u <= 0xdfff) {
				g_string_free(s, TRUE);
				return jr_fail(r, "a high surrogate before a low one");
			}
			if (u >= 0xd800 && u <= 0xdbff) {
				if (r->end - r->p < 2 || r->p[0] != '\\' || r->p[1] != 'u') {
					g_string_free(s, TRUE);
					return jr_fail(r, "a low surrogate (\\uDC00-\\uDFFF) after a high one");
				}
				r->p += 2;
				if (jr_hex4(r, &lo) != 0) {
					g_string_free(s, TRUE);
					return -1;
				}
				if (lo < 0xdc00 || lo > 0xdfff) {
					g_string_free(s, TRUE);
					return jr_fail(r, "a low surrogate (\\uDC00-\\uDFFF) after a high one");
				}
				u = 0x10000 + ((u - 0xd800) << 10) + (lo - 0xdc00);
			}
			if (u == 0) {
				g_string_free(s, TRUE);
				return jr_fail(r, "no NUL (\\u0000) in a string");
			}
			g_string_append_unichar(s, (gunichar)u);
			break;
		}
		default:
			g_string_free(s, TRUE);
			r->p--;
			return jr_fail(r, "one of \\\" \\\\ \\/ \\b \\f \\n \\r \\t \\u after \\");
		}
	}
	if (!g_utf8_validate(s->str, (gssize)s->len, NULL)) {
		g_string_free(s, TRUE);
		return jr_fail(r, "UTF-8 text in the string before this point");
	}
	*out = g_string_free(s, FALSE);
	return 0;
}

/* The keys an event has; VAL_* say what a value may be. */
enum { VAL_STR = 1, VAL_NULL = 2, VAL_INT = 4 };
static const struct jkey {
	const char *name;
	int allowed;
	bool required;
} jkeys[] = {
	{ "version", VAL_INT, true },
	{ "uuid", VAL_STR, true },
	{ "case_ref", VAL_STR | VAL_NULL, false },
	{ "case_msgid", VAL_STR, true },
	{ "author", VAL_STR, true },
	{ "at", VAL_STR, true },
	{ "kind", VAL_STR, true },
	{ "field", VAL_STR | VAL_NULL, false },
	{ "value", VAL_STR | VAL_NULL, false },
	{ "prev", VAL_STR | VAL_NULL, false },
};
#define N_JKEYS (sizeof jkeys / sizeof jkeys[0])

struct jvals {
	bool seen[N_JKEYS];
	char *str[N_JKEYS]; /* NULL for null */
	long long num[N_JKEYS];
};

static void
jvals_clear(struct jvals *v)
{
	for (size_t i = 0; i < N_JKEYS; i++)
		g_free(v->str[i]);
}

/* One value at r->p for key K (index into jkeys, or -1 for an unknown key, whose value is dropped). */
static int
jr_value(struct jr *r, int k, struct jvals *v)
{
	int allowed = k >= 0 ? jkeys[k].allowed : VAL_STR | VAL_NULL | VAL_INT;
	char *s = NULL;

	if (r->p < r->end && *r->p == '"' && (allowed & VAL_STR)) {
		if (jr_string(r, &s) != 0)
			return -1;
		if (k >= 0)
			v->str[k] = s;
		else
			g_free(s);
		return 0;
	}
	if (r->end - r->p >= 4 && memcmp(r->p, "null", 4) == 0 &&
	    (allowed & VAL_NULL)) {
		r->p += 4;
		return 0;
	}
	if (r->p < r->end && g_ascii_isdigit(*r->p) && (allowed & VAL_INT)) {
		long long n = 0;

		if (*r->p == '0' && r->end - r->p > 1 && g_ascii_isdigit(r->p[1]))
			return jr_fail(r, "a whole number without leading zeros");
		while (r->p < r->end && g_ascii_isdigit(*r->p)) {
			if (n > 1000000)
				return jr_fail(r, "a small whole number");
			n = n * 10 + (*r->p++ - '0');
		}
		if (k >= 0)
			v->num[k] = n;
		return 0;
	}
	if (k < 0)
		return jr_fail(r, "a string, null or a whole number");
	return error_set(r->err, "event JSON: offset %td: \"%s\" must be %s",
	    r->p - r->start, jkeys[k].name,
	    jkeys[k].allowed == VAL_INT ? "a whole number" :
	    jkeys[k].allowed == VAL_STR ? "a string" : "a string or null");
}

static int
jr_object(struct jr *r, struct jvals *v)
{
	jr_ws(r);
	if (r->p >= r->end || *r->p != '{')
		return jr_fail(r, "an object ({)");
	r->p++;
	jr_ws(r);
	if (r->p < r->end && *r->p == '}') {
		r->p++;
		return 0;
	}
	for (;;) {
		char *key;
		int k = -1;

		jr_ws(r);
		if (jr_string(r, &key) != 0)
			return -1;
		for (size_t i = 0; i < N_JKEYS; i++) {
			if (strcmp(key, jkeys[i].name) == 0)
				k = (int)i;
		}
		if (k >= 0 && v->seen[k]) {
			error_set(r->err, "event JSON: \"%s\" appears twice", key);
			g_free(key);
			return -1;
		}
		g_free(key);
		if (k >= 0)
			v->seen[k] = true;
		jr_ws(r);
		if (r->p >= r->end || *r->p != ':')
			return jr_fail(r, "a colon after the key");
		r->p++;
		jr_ws(r);
		if (jr_value(r, k, v) != 0)
			return -1;
		jr_ws(r);
		if (r->p < r->end && *r->p == ',') {
			r->p++;
			continue;
		}
		if (r->p < r->end && *r->p == '}') {
			r->p++;
			return 0;
		}
		return jr_fail(r, "a comma or }");
	}
}

static bool
uuid_ok(const char *u)
{
	if (u == NULL || strlen(u) != 36)
		return false;
	for (int i = 0; i < 36; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (u[i] != '-')
				return false;
		} else if (!g_ascii_isxdigit(u[i]))
			return false;
	}
	return true;
}

/* A Message-ID without <>: printable ASCII, no blanks, <>, quotes or backslash, with an @. */
static bool
msgid_ok(const char *id)
{
	size_t n = id != NULL ? strlen(id) : 0;

	if (n == 0 || n > 900 || strchr(id, '@') == NULL)
		return false;
	for (const char *p = id; *p != '\0'; p++) {
		if (*p <= ' ' || *p >= 0x7f || strchr("<>\"\\()", *p) != NULL)
			return false;
	}
	return true;
}

static bool
addr_ok(const char *a)
{
	const char *at = a != NULL ? strchr(a, '@') : NULL;

	if (at == NULL || at == a || at[1] == '\0' || strlen(a) > 254)
		return false;
	for (const char *p = a; *p != '\0'; p++) {
		if ((unsigned char)*p <= ' ' || *p == 0x7f || strchr("<>\"(),;:\\", *p))
			return false;
	}
	return true;
}

/* No control characters but newline and tab (what policy allows in notes). */
static bool
text_ok(const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; p && *p; p++) {
		if ((*p < 0x20 && *p != '\n' && *p != '\t') || *p == 0x7f)
			return false;
	}
	return true;
}

/* The field an event of KIND may name, checked. */
static int
field_check(enum event_kind kind, const char *field, struct error *err)
{
	const char *name = event_kind_name(kind);

	if (!event_kind_folds(kind)) {
		if (field != NULL)
			return error_set(err, "event JSON: a \"%s\" event sets no field "
			    "(\"field\" must be null)", name);
		return 0;
	}
	if (kind == EV_CHECK) {
		if (field == NULL || !g_str_has_prefix(field, "check:") ||
		    checklist_from_name(field + 6) < 0)
			return error_set(err, "event JSON: a \"check\" event needs "
			    "\"field\": \"check:ITEM\" with a known checklist item");
		return 0;
	}
	if (field != NULL && strcmp(field, name) != 0)
		return error_set(err, "event JSON: a \"%s\" event sets the field "
		    "\"%s\", not \"%.64s\"", name, name, field);
	return 0;
}

int
sync_event_parse(const char *json, size_t len, struct sync_event **out,
    struct error *err)
{
	struct jr r = { json, json, json + len, err };
	struct jvals v;
	struct sync_event *se;
	const char *s;
	int kind, rc = -1;
	time_t at;

	if (len > SYNC_JSON_MAX)
		return error_set(err, "event JSON: %zu bytes, more than the %d allowed",
		    len, SYNC_JSON_MAX);
	memset(&v, 0, sizeof v);
	if (jr_object(&r, &v) != 0)
		goto out;
	jr_ws(&r);
	if (r.p != r.end) {
		jr_fail(&r, "nothing after the object");
		goto out;
	}
	for (size_t i = 0; i < N_JKEYS; i++) {
		if (jkeys[i].required && (!v.seen[i] ||
		    (jkeys[i].allowed != VAL_INT && v.str[i] == NULL))) {
			error_set(err, "event JSON: \"%s\" is missing", jkeys[i].name);
			goto out;
		}
	}
	if (v.num[0] != SYNC_EVENT_VERSION) {
		error_set(err, "event JSON: version %lld; this embargo reads version %d "
		    "(upgrade embargo)", v.num[0], SYNC_EVENT_VERSION);
		goto out;
	}
	if (!uuid_ok(v.str[1])) {
		error_set(err, "event JSON: \"uuid\": expected "
		    "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx");
		goto out;
	}
	if (v.str[2] != NULL && (strlen(v.str[2]) > 51 || !text_ok(v.str[2]) ||
	    strchr(v.str[2], '\n') != NULL)) {
		error_set(err, "event JSON: \"case_ref\": expected a short case reference");
		goto out;
	}
	if (!msgid_ok(v.str[3])) {
		error_set(err, "event JSON: \"case_msgid\": expected a Message-ID "
		    "without <>, like report@example.org");
		goto out;
	}
	if (!addr_ok(v.str[4])) {
		error_set(err, "event JSON: \"author\": expected an e-mail address");
		goto out;
	}
	if (clock_parse_iso8601(v.str[5], &at, err) != 0) {
		error_prefix(err, "event JSON: \"at\"");
		goto out;
	}
	s = v.str[6];
	kind = event_kind_from_name(s);
	if (kind < 0 || kind == EV_CREATED) {
		error_set(err, "event JSON: \"kind\": \"%.32s\" is not an event kind "
		    "that is mailed", s);
		goto out;
	}
	if (field_check((enum event_kind)kind, v.str[7], err) != 0)
		goto out;
	for (int i = 7; i <= 9; i++) {
		if (!text_ok(v.str[i])) {
			error_set(err, "event JSON: \"%s\": control characters are not "
			    "allowed", jkeys[i].name);
			goto out;
		}
	}

	se = g_new0(struct sync_event, 1);
	g_strlcpy(se->ev.uuid, v.str[1], sizeof se->ev.uuid);
	for (char *p = se->ev.uuid; *p != '\0'; p++)
		*p = g_ascii_tolower(*p);
	se->case_ref = v.str[2];
	se->case_msgid = v.str[3];
	se->ev.author = g_ascii_strdown(v.str[4], -1);
	se->ev.at = at;
	se->ev.kind = v.str[6];
	se->ev.field = v.str[7];
	se->ev.value = v.str[8];
	se->ev.prev = v.str[9];
	v.str[2] = v.str[3] = v.str[6] = v.str[7] = v.str[8] = v.str[9] = NULL;
	if (se->ev.field == NULL && event_kind_folds((enum event_kind)kind))
		se->ev.field = g_strdup(event_kind_name((enum event_kind)kind));
	*out = se;
	rc = 0;
out:
	jvals_clear(&v);
	return rc;
}

char *
sync_event_summary(const struct store_event *ev, const char *ref)
{
	int kind = event_kind_from_name(ev->kind);
	char *detail = format_event_detail(ev), *who, *s;

	who = sanitize_text(ev->author != NULL ? ev->author : "?", -1, SAN_LINE);
	if (kind == EV_NOTE)
		s = g_strdup_printf("%s added a note to case %s:\n\n%s", who, ref, detail);
	else if (kind == EV_REPLY_SENT)
		s = g_strdup_printf("%s sent a reply on case %s: %s", who, ref, detail);
	else if (kind == EV_CHECK)
		s = g_strdup_printf("%s marked %s on case %s", who, detail, ref);
	else if (kind >= 0 && event_kind_folds((enum event_kind)kind))
		s = g_strdup_printf("%s set %s of case %s: %s", who,
		    ev->field != NULL ? ev->field : ev->kind, ref, detail);
	else
		s = g_strdup_printf("%s: %s on case %s: %s", who, ev->kind, ref, detail);
	g_free(who);
	g_free(detail);
	return s;
}

/* --- setting up ------------------------------------------------------------------ */

static int
sql_fail(struct app *app, struct error *err, const char *what)
{
	return error_set(err, "%s: cannot %s: %s", store_path(app->st), what,
	    sqlite3_errmsg(store_sqlite(app->st)));
}

/* A one-row integer query with one text parameter (may be NULL); *OUT 0 when no row. */
static int
sql_int(struct app *app, const char *sql, const char *p1, int64_t *out,
    struct error *err)
{
	sqlite3_stmt *s;
	int rc;

	if (sqlite3_prepare_v2(store_sqlite(app->st), sql, -1, &s, NULL) != SQLITE_OK)
		return sql_fail(app, err, "prepare a sync query");
	if (p1 != NULL)
		sqlite3_bind_text(s, 1, p1, -1, SQLITE_TRANSIENT);
	rc = sqlite3_step(s);
	*out = rc == SQLITE_ROW ? sqlite3_column_int64(s, 0) : 0;
	sqlite3_finalize(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return sql_fail(app, err, "read the sync state");
	return 0;
}

static void sync_hook(void *arg, struct store *st);

int
sync_setup(struct app *app, struct error *err)
{
	const struct config *cfg = app->cfg;
	const char *where = cfg->path != NULL ? cfg->path : "config";
	char *since = NULL, buf[32];
	int64_t max;

	if (store_meta_get(app->st, META_SINCE, &since, err) != 0)
		return -1;
	if (cfg->sync != SYNC_MAIL) {
		int rc = since != NULL ? store_meta_set(app->st, META_SINCE, NULL, err) : 0;

		g_free(since);
		return rc;
	}
	if (cfg->events_address == NULL) {
		g_free(since);
		return error_set(err, "%s: [team] sync = mail needs [team] events_address "
		    "(or [mail] team, its default)", where);
	}
	if (cfg->team_key == NULL) {
		g_free(since);
		return error_set(err, "%s: [team] sync = mail needs [crypto] team_key "
		    "(event mails are encrypted to it)", where);
	}
	if (since == NULL) {
		/* Only events made from now on are mailed, never the backlog. */
		if (sql_int(app, "SELECT coalesce(max(seq), 0) FROM events", NULL, &max,
		    err) != 0)
			return -1;
		snprintf(buf, sizeof buf, "%" PRId64, max);
		if (store_meta_set(app->st, META_SINCE, buf, err) != 0)
			return -1;
	}
	g_free(since);
	app->sync = g_new0(struct sync, 1);
	store_set_event_hook(app->st, sync_hook, app);
	return 0;
}

void
sync_free(struct sync *s)
{
	g_free(s);
}

/* --- sending --------------------------------------------------------------------- */

static GMimePart *
data_part(const char *type, const char *subtype, const char *data,
    const char *filename, GMimeContentEncoding enc)
{
	GMimePart *part = g_mime_part_new_with_type(type, subtype);
	GMimeStream *st = g_mime_stream_mem_new_with_buffer(data, strlen(data));
	GMimeDataWrapper *dw = g_mime_data_wrapper_new_with_stream(st,
	    GMIME_CONTENT_ENCODING_DEFAULT);

	g_mime_part_set_content(part, dw);
	g_mime_part_set_content_encoding(part, enc);
	if (filename != NULL) {
		g_mime_object_set_disposition(GMIME_OBJECT(part), "attachment");
		g_mime_part_set_filename(part, filename);
	}
	g_object_unref(dw);
	g_object_unref(st);
	return part;
}

/* The message for EV on case C, signed by SIGNER and encrypted to TEAM_FPR. */
static int
event_mail_build(struct app *app, const struct store_event *ev,
    const struct store_case *c, const char *signer, const char *team_fpr,
    GByteArray **out, char **msgid, struct error *err)
{
	const char *recipients[] = { team_fpr, NULL };
	GMimeMultipart *inner;
	GMimeObject *enc;
	GMimeMessage *m;
	GMimeFormatOptions *fo;
	GMimePart *text, *data;
	GDateTime *dt;
	char *summary, *body, *json, *s, *id;

	gmime_init_once();
	summary = sync_event_summary(ev, c->ref);
	body = g_strdup_printf("%s\n\n-- \nembargo team sync: this event is also "
	    "attached as %s.\n", summary, SYNC_EVENT_TYPE);
	json = sync_event_json(ev, c->msgid, c->ref);
	text = data_part("text", "plain", body, NULL,
	    GMIME_CONTENT_ENCODING_QUOTEDPRINTABLE);
	g_mime_object_set_content_type_parameter(GMIME_OBJECT(text), "charset", "utf-8");
	data = data_part("application", "vnd.embargo.event+json", json, "event.json",
	    GMIME_CONTENT_ENCODING_BASE64);
	inner = g_mime_multipart_new_with_subtype("mixed");
	g_mime_multipart_add(inner, GMIME_OBJECT(text));
	g_mime_multipart_add(inner, GMIME_OBJECT(data));
	g_object_unref(text);
	g_object_unref(data);
	g_free(body);
	g_free(json);

	enc = compose_encrypt_entity(app, GMIME_OBJECT(inner), recipients, signer, err);
	g_object_unref(inner);
	if (enc == NULL) {
		g_free(summary);
		return error_prefix(err, "event mail for case %s not built", c->ref);
	}

	m = g_mime_message_new(TRUE);
	g_mime_message_add_mailbox(m, GMIME_ADDRESS_TYPE_FROM, NULL, app->cfg->me);
	g_mime_message_add_mailbox(m, GMIME_ADDRESS_TYPE_TO, NULL,
	    app->cfg->events_address);
	/* The subject names the case only: what happened is inside, encrypted. */
	s = g_strdup_printf("[embargo] event on case %s", c->ref);
	g_mime_message_set_subject(m, s, "utf-8");
	g_free(s);
	dt = g_date_time_new_from_unix_utc(app->now);
	g_mime_message_set_date(m, dt);
	g_date_time_unref(dt);
	id = compose_new_msgid(app->cfg);
	g_mime_message_set_message_id(m, id);
	s = g_strdup_printf("<%s>", c->msgid);
	g_mime_object_set_header(GMIME_OBJECT(m), "In-Reply-To", s, NULL);
	g_mime_object_set_header(GMIME_OBJECT(m), "References", s, NULL);
	g_free(s);
	g_mime_object_set_header(GMIME_OBJECT(m), MAIL_EVENT_HEADER, ev->uuid, NULL);
	g_mime_message_set_mime_part(m, enc);
	g_object_unref(enc);

	fo = g_mime_format_options_new();
	g_mime_format_options_set_newline_format(fo, GMIME_NEWLINE_FORMAT_UNIX);
	s = g_mime_object_to_string(GMIME_OBJECT(m), fo);
	g_mime_format_options_free(fo);
	g_object_unref(m);
	g_free(summary);
	*out = g_byte_array_new_take((guint8 *)s, strlen(s));
	*msgid = id;
	return 0;
}

/* The keys for sending: the handler's own signing key and the team key. */
static int
event_keys(struct app *app, char **signer, char **team, struct error *err)
{
	struct crypto_key_choice k;
	const char *me = app->cfg->me;

	if (me == NULL || !config_is_handler(app->cfg, me))
		return error_set(err, "[mail] me (%s) is not one of [mail] handlers: the "
		    "others would ignore its events, so none are mailed",
		    me != NULL ? me : "unset");
	if (app_open_crypto(app, err) != 0)
		return -1;
	if (crypto_signing_key_for_address(app->crypto, me, &k, err) != 0)
		return -1;
	if (k.problem != KEY_OK) {
		error_set(err, "no usable signing key for %s (%s%s%s): event mails are "
		    "signed by the handler's own key; create or import one whose user id "
		    "is %s", me, key_problem_name(k.problem), k.fpr ? " " : "",
		    k.fpr ? k.fpr : "", me);
		crypto_key_choice_clear(&k);
		return -1;
	}
	*signer = k.fpr;
	k.fpr = NULL;
	crypto_key_choice_clear(&k);
	if (crypto_key_by_fpr(app->crypto, app->cfg->team_key, true, &k, err) != 0) {
		g_free(*signer);
		return -1;
	}
	if (k.problem != KEY_OK) {
		error_set(err, "[crypto] team_key %s cannot be encrypted to: %s",
		    app->cfg->team_key, key_problem_name(k.problem));
		crypto_key_choice_clear(&k);
		g_free(*signer);
		return -1;
	}
	*team = k.fpr;
	k.fpr = NULL;
	crypto_key_choice_clear(&k);
	return 0;
}

int
sync_event_mail(struct app *app, const struct store_event *ev,
    const struct store_case *c, GByteArray **out, char **msgid,
    struct error *err)
{
	char *signer = NULL, *team = NULL;
	int rc;

	if (event_keys(app, &signer, &team, err) != 0)
		return -1;
	rc = event_mail_build(app, ev, c, signer, team, out, msgid, err);
	g_free(signer);
	g_free(team);
	return rc;
}

static int
mark(struct app *app, const char *uuid, const char *how, const char *msgid,
    struct error *err)
{
	sqlite3_stmt *s;
	int rc;

	if (sqlite3_prepare_v2(store_sqlite(app->st),
	    "INSERT OR IGNORE INTO sync_events (uuid, how, msgid, at) VALUES (?, ?, ?, ?)",
	    -1, &s, NULL) != SQLITE_OK)
		return sql_fail(app, err, "prepare a sync record");
	sqlite3_bind_text(s, 1, uuid, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(s, 2, how, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, msgid, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(s, 4, (sqlite3_int64)app->now);
	rc = sqlite3_step(s);
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE)
		return sql_fail(app, err, "record a synced event");
	return 0;
}

static char *
col_dup(sqlite3_stmt *s, int i)
{
	const unsigned char *t = sqlite3_column_text(s, i);

	return t != NULL ? g_strdup((const char *)t) : NULL;
}

/* The events still to mail, oldest first (struct store_event *). */
static int
pending(struct app *app, GPtrArray **out, struct error *err)
{
	static const char sql[] =
	    "SELECT uuid, case_id, author, at, kind, field, value, prev FROM events e"
	    " WHERE seq > ? AND kind <> 'created' AND lower(author) = lower(?)"
	    " AND NOT EXISTS (SELECT 1 FROM sync_events s WHERE s.uuid = e.uuid)"
	    " ORDER BY seq";
	GPtrArray *list;
	sqlite3_stmt *s;
	char *since = NULL;
	int rc;

	if (store_meta_get(app->st, META_SINCE, &since, err) != 0)
		return -1;
	if (sqlite3_prepare_v2(store_sqlite(app->st), sql, -1, &s, NULL) != SQLITE_OK) {
		g_free(since);
		return sql_fail(app, err, "prepare the sync query");
	}
	sqlite3_bind_int64(s, 1, since != NULL ? g_ascii_strtoll(since, NULL, 10) : 0);
	sqlite3_bind_text(s, 2, app->cfg->me != NULL ? app->cfg->me : "", -1,
	    SQLITE_TRANSIENT);
	g_free(since);
	list = g_ptr_array_new_with_free_func((GDestroyNotify)store_event_free);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct store_event *ev = g_new0(struct store_event, 1);
		const unsigned char *u = sqlite3_column_text(s, 0);

		g_strlcpy(ev->uuid, u != NULL ? (const char *)u : "", sizeof ev->uuid);
		ev->case_id = sqlite3_column_int64(s, 1);
		ev->author = col_dup(s, 2);
		ev->at = (time_t)sqlite3_column_int64(s, 3);
		ev->kind = col_dup(s, 4);
		ev->field = col_dup(s, 5);
		ev->value = col_dup(s, 6);
		ev->prev = col_dup(s, 7);
		g_ptr_array_add(list, ev);
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE) {
		g_ptr_array_unref(list);
		return sql_fail(app, err, "list the events to mail");
	}
	*out = list;
	return 0;
}

/* Sends one event; a problem after the mail has left is a warning. */
static int
send_one(struct app *app, const struct store_event *ev, const char *signer,
    const char *team, struct error *err)
{
	static const char *const tags[] = { "sent", "embargo-event", NULL };
	struct store_case *c;
	GByteArray *msg;
	char *msgid, *path = NULL;
	struct error w = { { 0 } };

	if (store_case_get(app->st, ev->case_id, &c, err) != 0)
		return -1;
	if (event_mail_build(app, ev, c, signer, team, &msg, &msgid, err) != 0) {
		store_case_free(c);
		return -1;
	}
	if (compose_sendmail(app->cfg->sendmail, msg, err) != 0) {
		error_prefix(err, "event mail for case %s", c->ref);
		store_case_free(c);
		g_byte_array_unref(msg);
		g_free(msgid);
		return -1;
	}
	store_case_free(c);
	if (mark(app, ev->uuid, "sent", msgid, &w) != 0)
		g_ptr_array_add(app->warnings, g_strdup_printf("event mail sent, but not "
		    "recorded (it may be sent again): %s", w.msg));
	if (compose_save_sent(app, msg, &path, &w) != 0)
		g_ptr_array_add(app->warnings, g_strdup_printf("event mail sent, but no "
		    "copy was saved: %s", w.msg));
	else if (mail_index_file(app->cfg, path, tags, SYNC_INDEX_TIMEOUT_MS, &w) != 0)
		g_ptr_array_add(app->warnings, g_strdup_printf("event mail copy not "
		    "indexed yet: %s", w.msg));
	g_free(path);
	g_free(msgid);
	g_byte_array_unref(msg);
	return 0;
}

int
sync_flush(struct app *app, int *sent, struct error *err)
{
	GPtrArray *list = NULL;
	char *signer = NULL, *team = NULL;
	int n = 0, rc = -1;

	if (sent != NULL)
		*sent = 0;
	if (app->sync == NULL)
		return 0;
	if (app->sync->busy)
		return 0;
	app->sync->busy = true;
	if (pending(app, &list, err) != 0 || list == NULL)
		goto out;
	if (list->len > 0 && event_keys(app, &signer, &team, err) != 0) {
		error_prefix(err, "%u event%s not mailed to the team", list->len,
		    list->len == 1 ? "" : "s");
		goto out;
	}
	for (guint i = 0; i < list->len; i++) {
		if (send_one(app, list->pdata[i], signer, team, err) != 0) {
			if (list->len - i > 1)
				error_prefix(err, "%u events not mailed to the team yet "
				    "(retried later)", list->len - i);
			else
				error_prefix(err, "not mailed to the team yet (retried later)");
			goto out;
		}
		n++;
	}
	rc = 0;
out:
	app->sync->busy = false;
	app->sync->retry_after = rc == 0 ? 0 : g_get_monotonic_time() + SYNC_RETRY_US;
	if (list != NULL)
		g_ptr_array_unref(list);
	g_free(signer);
	g_free(team);
	if (sent != NULL)
		*sent = n;
	return rc;
}

/* After every commit that stored an event: mail it at once. */
static void
sync_hook(void *arg, struct store *st)
{
	struct app *app = arg;
	struct error err = { { 0 } };

	(void)st;
	if (app->sync == NULL || app->sync->busy)
		return;
	if (sync_flush(app, NULL, &err) != 0)
		g_ptr_array_add(app->warnings, g_strdup(err.msg));
}

/* --- receiving ------------------------------------------------------------------- */

/* The decoded content of PART (at most MAX bytes), or NULL. */
static GByteArray *
part_content(GMimePart *part, size_t max)
{
	GMimeDataWrapper *dw = g_mime_part_get_content(part);
	GMimeStream *ms;
	GByteArray *b, *res;

	if (dw == NULL)
		return NULL;
	ms = g_mime_stream_mem_new();
	if (g_mime_data_wrapper_write_to_stream(dw, ms) < 0) {
		g_object_unref(ms);
		return NULL;
	}
	b = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(ms));
	res = NULL;
	if (b != NULL && b->len <= max) {
		res = g_byte_array_sized_new(b->len);
		g_byte_array_append(res, b->data, b->len);
	}
	g_object_unref(ms);
	return res;
}

static GMimeObject *
parse_entity(const guint8 *data, size_t len, bool message)
{
	GMimeStream *ms = g_mime_stream_mem_new_with_buffer((const char *)data, len);
	GMimeParser *p = g_mime_parser_new_with_stream(ms);
	GMimeObject *o;

	if (message) {
		GMimeMessage *m = g_mime_parser_construct_message(p, NULL);

		o = m != NULL ? GMIME_OBJECT(m) : NULL;
	} else
		o = g_mime_parser_construct_part(p, NULL);
	g_object_unref(p);
	g_object_unref(ms);
	return o;
}

/* The one SYNC_EVENT_TYPE part of the decrypted ENTITY (its JSON), or NULL with ERR. */
static GByteArray *
event_part(GMimeObject *entity, struct error *err)
{
	GMimeMultipart *mp;
	GMimePart *found = NULL;
	GByteArray *json;
	int n = 0;

	if (GMIME_IS_PART(entity) && g_mime_content_type_is_type(
	    g_mime_object_get_content_type(entity), "application",
	    "vnd.embargo.event+json")) {
		/* The event alone, without the line for people, is fine too. */
		found = GMIME_PART(entity);
		n = 1;
	} else if (!GMIME_IS_MULTIPART(entity)) {
		error_set(err, "the encrypted part holds no %s part", SYNC_EVENT_TYPE);
		return NULL;
	}
	mp = GMIME_IS_MULTIPART(entity) ? GMIME_MULTIPART(entity) : NULL;
	for (int i = 0; mp != NULL && i < g_mime_multipart_get_count(mp); i++) {
		GMimeObject *o = g_mime_multipart_get_part(mp, i);
		GMimeContentType *ct = g_mime_object_get_content_type(o);

		if (GMIME_IS_PART(o) && ct != NULL &&
		    g_mime_content_type_is_type(ct, "application", "vnd.embargo.event+json")) {
			found = GMIME_PART(o);
			n++;
		}
	}
	if (n != 1) {
		error_set(err, n == 0 ? "the encrypted part holds no %s part" :
		    "the encrypted part holds more than one %s part", SYNC_EVENT_TYPE);
		return NULL;
	}
	if ((json = part_content(found, SYNC_JSON_MAX)) == NULL)
		error_set(err, "the %s part cannot be read or is larger than %d bytes",
		    SYNC_EVENT_TYPE, SYNC_JSON_MAX);
	return json;
}

/* Whether SIGS hold a good signature by AUTHOR's fully valid key; else ERR says what was found. */
static bool
signed_by_author(const struct config *cfg, GPtrArray *sigs, const char *author,
    struct error *err)
{
	const struct crypto_signature *good = NULL;

	if (!config_is_handler(cfg, author)) {
		error_set(err, "its author %s is not one of [mail] handlers", author);
		return false;
	}
	if (sigs == NULL || sigs->len == 0) {
		error_set(err, "it is not signed (an event must be signed by its handler)");
		return false;
	}
	for (guint i = 0; i < sigs->len; i++) {
		const struct crypto_signature *sig = sigs->pdata[i];

		if (sig->status != SIG_GOOD)
			continue;
		if (crypto_signature_has_email(sig, author) &&
		    crypto_signature_validity_for(sig, author) == VALIDITY_FULL)
			return true;
		if (good == NULL || crypto_signature_has_email(sig, author))
			good = sig;
	}
	if (good == NULL) {
		const struct crypto_signature *sig = sigs->pdata[0];

		error_set(err, "its signature is %s%s%s", sig_status_name(sig->status),
		    sig->fpr != NULL ? " by key " : "", sig->fpr != NULL ? sig->fpr : "");
	} else if (crypto_signature_has_email(good, author))
		error_set(err, "it is signed by key %s, which claims %s but is not "
		    "certified in this keyring (validity %s)", good->fpr ? good->fpr : "?",
		    author, validity_name(crypto_signature_validity_for(good, author)));
	else
		error_set(err, "it is signed by key %s, which is not %s's key",
		    good->fpr ? good->fpr : "?", author);
	return false;
}

int
sync_check_mail(struct app *app, const char *data, size_t len,
    struct sync_event **out, struct error *err)
{
	struct crypto_decrypt_result res = { 0 };
	struct sync_event *se = NULL;
	GMimeObject *msg, *top, *inner = NULL;
	GByteArray *cipher = NULL, *json = NULL;
	int rc = -1;

	if (len > SYNC_MAIL_MAX)
		return error_set(err, "larger than %d bytes", SYNC_MAIL_MAX);
	if (app_open_crypto(app, err) != 0)
		return -1;
	gmime_init_once();
	if ((msg = parse_entity((const guint8 *)data, len, true)) == NULL)
		return error_set(err, "not a mail message");
	top = g_mime_message_get_mime_part(GMIME_MESSAGE(msg));
	if (top == NULL || !GMIME_IS_MULTIPART_ENCRYPTED(top) ||
	    g_mime_multipart_get_count(GMIME_MULTIPART(top)) != 2 ||
	    !GMIME_IS_PART(g_mime_multipart_get_part(GMIME_MULTIPART(top), 1))) {
		error_set(err, "it is not PGP/MIME encrypted (an event mail is "
		    "multipart/encrypted to the team key)");
		goto out;
	}
	cipher = part_content(GMIME_PART(g_mime_multipart_get_part(GMIME_MULTIPART(top),
	    1)), SYNC_MAIL_MAX);
	if (cipher == NULL) {
		error_set(err, "its encrypted part cannot be read");
		goto out;
	}
	if (crypto_decrypt(app->crypto, (const char *)cipher->data, cipher->len,
	    SYNC_MAIL_MAX, &res, err) != 0)
		goto out;
	if ((inner = parse_entity(res.plain->data, res.plain->len, false)) == NULL) {
		error_set(err, "its decrypted part is not a MIME entity");
		goto out;
	}
	if ((json = event_part(inner, err)) == NULL)
		goto out;
	if (sync_event_parse((const char *)json->data, json->len, &se, err) != 0)
		goto out;
	if (!signed_by_author(app->cfg, res.signatures, se->ev.author, err))
		goto out;
	*out = se;
	se = NULL;
	rc = 0;
out:
	sync_event_free(se);
	if (json != NULL)
		g_byte_array_unref(json);
	if (inner != NULL)
		g_object_unref(inner);
	if (cipher != NULL)
		g_byte_array_unref(cipher);
	crypto_decrypt_result_clear(&res);
	g_object_unref(msg);
	return rc;
}

/* A field value as policy would store it (so a signed but odd value cannot slip in). */
static int
value_check(struct app *app, const struct store_event *ev, struct error *err)
{
	char *norm = NULL;
	int rc = 0;

	if (!event_kind_folds((enum event_kind)event_kind_from_name(ev->kind)))
		return 0;
	if (ev->value == NULL || *ev->value == '\0') {
		if (strcmp(ev->field, "state") == 0)
			return error_set(err, "event clears the state, which cannot be cleared");
		return 0;
	}
	if (policy_normalize_field(app->cfg, ev->field, ev->value, ev->at, true, &norm,
	    err) != 0)
		return error_prefix(err, "event value");
	if (strcmp(norm, ev->value) != 0)
		rc = error_set(err, "event value \"%.64s\" for %s is not in its stored form "
		    "(\"%.64s\")", ev->value, ev->field, norm);
	g_free(norm);
	return rc;
}

/* Appends SE to its case (made on first sight, when its report is not here yet). */
static int
import_one(struct app *app, struct sync_event *se, const char *mail_msgid,
    bool *added, struct error *err)
{
	int64_t id, before, after;

	if (value_check(app, &se->ev, err) != 0)
		return -1;
	if (store_begin(app->st, err) != 0)
		return -1;
	if (sql_int(app, "SELECT count(*) FROM events WHERE uuid = ?", se->ev.uuid,
	    &before, err) != 0)
		goto fail;
	if (store_case_ensure(app->st, se->case_msgid, NULL,
	    app->cfg->me != NULL ? app->cfg->me : "embargo", app->now, &id, NULL,
	    err) != 0)
		goto fail;
	se->ev.case_id = id;
	if (store_append_event(app->st, &se->ev, false, NULL, NULL, err) != 0)
		goto fail;
	if (sql_int(app, "SELECT count(*) FROM events WHERE uuid = ?", se->ev.uuid,
	    &after, err) != 0 ||
	    mark(app, se->ev.uuid, "imported", mail_msgid, err) != 0)
		goto fail;
	if (store_commit(app->st, err) != 0)
		return -1;
	*added = before == 0 && after == 1;
	return 0;
fail:
	store_rollback(app->st);
	return -1;
}

/* Whether MSGID is an event mail already handled (sent from here or imported) with uuid HDR. */
static int
known_mail(struct app *app, const char *hdr, const char *msgid, bool *known,
    struct error *err)
{
	sqlite3_stmt *s;
	int rc;

	*known = false;
	if (!uuid_ok(hdr))
		return 0;
	if (sqlite3_prepare_v2(store_sqlite(app->st),
	    "SELECT 1 FROM sync_events WHERE uuid = lower(?) AND msgid = ?", -1, &s,
	    NULL) != SQLITE_OK)
		return sql_fail(app, err, "prepare a sync lookup");
	sqlite3_bind_text(s, 1, hdr, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(s, 2, msgid, -1, SQLITE_TRANSIENT);
	rc = sqlite3_step(s);
	sqlite3_finalize(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return sql_fail(app, err, "look up a synced event");
	*known = rc == SQLITE_ROW;
	return 0;
}

static void
warn_mail(struct app *app, const struct mail_message *mm, const char *why)
{
	char *id = sanitize_text(mm->msgid, -1, SAN_LINE);
	char *w = sanitize_text(why, -1, SAN_LINE);

	g_ptr_array_add(app->warnings, g_strdup_printf("ignored event mail <%s>: %s",
	    id, w));
	g_free(id);
	g_free(w);
}

/* Reads, checks and imports one candidate message. */
static int
import_message(struct app *app, const struct mail_message *mm, int *imported,
    struct error *err)
{
	struct error why = { { 0 } };
	struct sync_event *se = NULL;
	char *hdr, *data = NULL;
	gsize len = 0;
	GError *gerr = NULL;
	struct stat sb;
	bool known, added = false;

	if ((hdr = mail_file_event_header(mm->path)) == NULL)
		return 0; /* not an event mail */
	if (known_mail(app, hdr, mm->msgid, &known, err) != 0) {
		g_free(hdr);
		return -1;
	}
	g_free(hdr);
	if (known)
		return 0;
	if (stat(mm->path, &sb) != 0 || !S_ISREG(sb.st_mode)) {
		warn_mail(app, mm, "its file cannot be read");
		return 0;
	}
	if ((size_t)sb.st_size > SYNC_MAIL_MAX) {
		warn_mail(app, mm, "it is larger than an event mail can be");
		return 0;
	}
	if (!g_file_get_contents(mm->path, &data, &len, &gerr)) {
		warn_mail(app, mm, gerr->message);
		g_error_free(gerr);
		return 0;
	}
	if (sync_check_mail(app, data, len, &se, &why) != 0 ||
	    import_one(app, se, mm->msgid, &added, &why) != 0)
		warn_mail(app, mm, why.msg);
	else if (added)
		(*imported)++;
	sync_event_free(se);
	explicit_bzero(data, len);
	g_free(data);
	return 0;
}

int
sync_import(struct app *app, int *imported, struct error *err)
{
	char *uuid = NULL, *rev_s = NULL, *new_uuid = NULL, *q, buf[32];
	const char *addr;
	GPtrArray *msgs = NULL;
	uint64_t since = 0, rev = 0;
	int n = 0, rc = -1;

	if (imported != NULL)
		*imported = 0;
	if (app->sync == NULL)
		return 0;
	if (app->mail == NULL)
		return error_set(err, "team sync: the mail database is not open");
	if (store_meta_get(app->st, META_NM_UUID, &uuid, err) != 0 ||
	    store_meta_get(app->st, META_NM_REV, &rev_s, err) != 0)
		goto out;
	if (rev_s != NULL)
		since = g_ascii_strtoull(rev_s, NULL, 10);
	/* Event mails are addressed to events_address; an odd address means look at everything. */
	addr = app->cfg->events_address;
	if (strpbrk(addr, "\"()\\ \t") == NULL)
		q = g_strdup_printf("to:\"%s\"", addr);
	else
		q = g_strdup("*");
	rc = mail_messages_changed(app->mail, q, uuid, since, &msgs, &new_uuid, &rev,
	    err);
	g_free(q);
	if (rc != 0)
		goto out;
	rc = -1;
	app->sync->busy = true;
	for (guint i = 0; i < msgs->len; i++) {
		if (import_message(app, msgs->pdata[i], &n, err) != 0) {
			app->sync->busy = false;
			goto out;
		}
	}
	app->sync->busy = false;
	snprintf(buf, sizeof buf, "%" PRIu64, rev);
	if (store_meta_set(app->st, META_NM_UUID, new_uuid, err) != 0 ||
	    store_meta_set(app->st, META_NM_REV, buf, err) != 0)
		goto out;
	rc = 0;
out:
	if (imported != NULL)
		*imported = n;
	if (msgs != NULL)
		g_ptr_array_unref(msgs);
	g_free(uuid);
	g_free(rev_s);
	g_free(new_uuid);
	return rc;
}

int
sync_refresh(struct app *app, struct error *err)
{
	struct error w = { { 0 } };

	if (app->sync == NULL)
		return 0;
	if (sync_import(app, NULL, err) != 0)
		return error_prefix(err, "team sync");
	if (g_get_monotonic_time() >= app->sync->retry_after &&
	    sync_flush(app, NULL, &w) != 0)
		g_ptr_array_add(app->warnings, g_strdup(w.msg));
	return 0;
}
