/* core/addr.c: address headers (From, To, Cc, Reply-To) parsed leniently from raw text. */
#include "build-config.h"

#include <stdbool.h>
#include <string.h>

#include <glib.h>

#include "core/addr.h"

void
mail_addr_free(struct mail_addr *a)
{
	if (a == NULL)
		return;
	g_free(a->name);
	g_free(a->addr);
	g_free(a);
}

/*
 * Appends C to S, collapsing runs of white space into one space.  Other
 * control bytes (ESC...) are kept: a display name is untrusted text that
 * core/sanitize turns into visible markers at output, and dropping them here
 * would leave "Eve [2J[31m" looking like harmless text.
 */
static void
text_put(GString *s, char c)
{
	if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
		if (s->len > 0 && s->str[s->len - 1] != ' ')
			g_string_append_c(s, ' ');
		return;
	}
	g_string_append_c(s, c);
}

/* The trimmed text of S, or NULL when empty. */
static char *
text_take(GString *s)
{
	char *t = g_strstrip(g_strdup(s->str));

	if (*t == '\0') {
		g_free(t);
		return NULL;
	}
	return t;
}

/*
 * Checks and normalises an addr-spec: white space outside quotes dropped
 * (folding), an obsolete source route ("@a,@b:x@y") removed, then it must be
 * local@domain with both parts present and no controls or specials.
 */
static char *
addr_clean(const char *raw)
{
	GString *s = g_string_new(NULL);
	const char *p, *at;
	bool quoted = false;
	char *out;

	for (p = raw; *p != '\0'; p++) {
		unsigned char c = (unsigned char)*p;

		if (c == '"')
			quoted = !quoted;
		if (!quoted && (c == ' ' || c == '\t' || c == '\r' || c == '\n'))
			continue;
		if (c < 0x20 || c == 0x7f)
			goto bad;
		g_string_append_c(s, (char)c);
	}
	if (s->str[0] == '@' && strchr(s->str, ':') != NULL)
		g_string_erase(s, 0, strrchr(s->str, ':') - s->str + 1);
	at = strrchr(s->str, '@');
	if (at == NULL || at == s->str || at[1] == '\0')
		goto bad;
	if (strpbrk(at + 1, "\"\\ <>()[],;:") != NULL && at[1] != '[')
		goto bad;
	quoted = false;
	for (p = s->str; p < at; p++) {
		if (*p == '"')
			quoted = !quoted;
		else if (!quoted && strchr("<>(),;:\\", *p) != NULL)
			goto bad;
	}
	if (quoted)
		goto bad;
	out = g_ascii_strdown(s->str, -1);
	g_string_free(s, TRUE);
	return out;
bad:
	g_string_free(s, TRUE);
	return NULL;
}

/* Of a bare mailbox with stray words ("Rita rita@x"), the last word with an '@'. */
static char *
bare_pick(const char *bare)
{
	char **words = g_strsplit_set(bare, " ", -1);
	char *pick = NULL;
	size_t i;

	/* Quoted local parts with spaces are not split apart here: rare and bare. */
	for (i = 0; words[i] != NULL; i++) {
		if (strchr(words[i], '@') != NULL) {
			g_free(pick);
			pick = g_strdup(words[i]);
		}
	}
	g_strfreev(words);
	return pick;
}

struct addr_state {
	GString *phrase;   /* display text: outside <> and comments, quotes removed */
	GString *bare;     /* raw text outside comments, for a bare addr-spec */
	GString *angle;    /* content of the last <...> */
	GString *comment;  /* the first comment, a fallback display name */
	bool have_angle;
	bool have_comment;
};

static void
addr_flush(struct addr_state *st, GPtrArray *out)
{
	char *addr = NULL, *raw;

	if (st->have_angle)
		addr = addr_clean(st->angle->str);
	else {
		raw = g_strstrip(g_strdup(st->bare->str));
		if (strchr(raw, ' ') != NULL) {
			char *pick = bare_pick(raw);

			g_free(raw);
			raw = pick;
		}
		if (raw != NULL)
			addr = addr_clean(raw);
		g_free(raw);
	}
	if (addr != NULL) {
		struct mail_addr *a = g_new0(struct mail_addr, 1);

		a->addr = addr;
		if (st->have_angle)
			a->name = text_take(st->phrase);
		if (a->name == NULL && st->have_comment)
			a->name = text_take(st->comment);
		g_ptr_array_add(out, a);
	}
	g_string_truncate(st->phrase, 0);
	g_string_truncate(st->bare, 0);
	g_string_truncate(st->angle, 0);
	g_string_truncate(st->comment, 0);
	st->have_angle = st->have_comment = false;
}

/* Skips a quoted string starting at *P ('"'), appending its content to S (unescaped) and RAW (as is). */
static const char *
skip_quoted(const char *p, GString *s, GString *raw)
{
	if (raw != NULL)
		g_string_append_c(raw, '"');
	for (p++; *p != '\0' && *p != '"'; p++) {
		if (*p == '\\' && p[1] != '\0') {
			if (raw != NULL)
				g_string_append_c(raw, *p);
			p++;
		}
		if (s != NULL)
			text_put(s, *p);
		if (raw != NULL)
			g_string_append_c(raw, *p);
	}
	if (raw != NULL)
		g_string_append_c(raw, '"');
	return *p == '"' ? p + 1 : p;
}

/* Skips a (possibly nested) comment starting at *P ('('), appending its text to S. */
static const char *
skip_comment(const char *p, GString *s)
{
	int depth = 0;

	for (; *p != '\0'; p++) {
		if (*p == '\\' && p[1] != '\0') {
			p++;
			if (s != NULL)
				text_put(s, *p);
			continue;
		}
		if (*p == '(') {
			if (depth++ == 0)
				continue;
		} else if (*p == ')') {
			if (--depth == 0)
				return p + 1;
		}
		if (s != NULL)
			text_put(s, *p);
	}
	return p;
}

GPtrArray *
mail_addr_list_parse(const char *value)
{
	GPtrArray *out = g_ptr_array_new_with_free_func((GDestroyNotify)mail_addr_free);
	struct addr_state st = {
		.phrase = g_string_new(NULL), .bare = g_string_new(NULL),
		.angle = g_string_new(NULL), .comment = g_string_new(NULL),
	};
	bool in_group = false;
	const char *p = value != NULL ? value : "";

	while (*p != '\0') {
		switch (*p) {
		case '"':
			p = skip_quoted(p, st.phrase, st.bare);
			break;
		case '(':
			p = skip_comment(p, st.have_comment ? NULL : st.comment);
			st.have_comment = true;
			break;
		case '<':
			/* The last <...> wins: a display name cannot smuggle an address in. */
			g_string_truncate(st.angle, 0);
			st.have_angle = true;
			for (p++; *p != '\0' && *p != '>';) {
				if (*p == '"')
					p = skip_quoted(p, NULL, st.angle);
				else if (*p == '(')
					p = skip_comment(p, NULL);
				else
					g_string_append_c(st.angle, *p++);
			}
			if (*p == '>')
				p++;
			break;
		case ',':
			addr_flush(&st, out);
			p++;
			break;
		case ';':
			addr_flush(&st, out);
			in_group = false;
			p++;
			break;
		case ':':
			if (!st.have_angle && !in_group) {
				/* "group name: a@x, b@y;": the name is not an address. */
				g_string_truncate(st.phrase, 0);
				g_string_truncate(st.bare, 0);
				in_group = true;
			} else {
				text_put(st.phrase, *p);
				g_string_append_c(st.bare, *p);
			}
			p++;
			break;
		default:
			text_put(st.phrase, *p);
			if (st.have_angle)
				; /* text after <...> is not part of an addr-spec */
			else if (*p == '\t' || *p == '\r' || *p == '\n')
				g_string_append_c(st.bare, ' ');
			else
				g_string_append_c(st.bare, *p);
			p++;
			break;
		}
	}
	addr_flush(&st, out);
	g_string_free(st.phrase, TRUE);
	g_string_free(st.bare, TRUE);
	g_string_free(st.angle, TRUE);
	g_string_free(st.comment, TRUE);
	return out;
}

struct mail_addr *
mail_addr_parse(const char *value)
{
	GPtrArray *list = mail_addr_list_parse(value);
	struct mail_addr *a = NULL;

	if (list->len > 0)
		a = g_ptr_array_steal_index(list, 0);
	g_ptr_array_free(list, TRUE);
	return a;
}
