/* core/mime.c: a mail message turned into display blocks (GMime), decrypted and verified through core/crypto. */
#include "build-config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gmime/gmime.h>

#include "core/mime.h"

#define MIB ((size_t)1024 * 1024)
#define UTF8_REPLACEMENT "\xef\xbf\xbd"

/* The whole walk of one message: limits, counters and which signatures came from forwarded mail. */
struct walk {
	struct crypto *crypto;
	const struct mime_limits *lim;
	struct message_view *mv;
	GArray *sig_forwarded; /* gboolean per mv->signatures entry */
	int parts;
	size_t total;
	bool parts_noticed;
	bool total_noticed;
};

/* Where in the tree a part sits: what it inherits from its ancestors. */
struct where {
	int depth;
	bool encrypted;
	int sig_index;
	bool forwarded;
};

static void walk_object(struct walk *w, GMimeObject *obj, struct where at);

void
mime_limits_default(struct mime_limits *lim)
{
	lim->max_depth = 32;
	lim->max_parts = 1000;
	lim->max_part_size = 4 * MIB;
	lim->max_total = 16 * MIB;
	lim->max_file = 64 * MIB;
}

static gpointer
mime_init_once(gpointer unused)
{
	g_mime_init();
	return NULL;
}

static void
mime_init(void)
{
	static GOnce once = G_ONCE_INIT;

	g_once(&once, mime_init_once, NULL);
}

static void
str_wipe_free(char *s)
{
	if (s == NULL)
		return;
	explicit_bzero(s, strlen(s));
	g_free(s);
}

static void
block_free(struct mime_block *b)
{
	if (b == NULL)
		return;
	/* Decrypted text should not linger in freed memory. */
	if (b->encrypted)
		str_wipe_free(b->text);
	else
		g_free(b->text);
	g_free(b->filename);
	g_free(b->content_type);
	g_free(b);
}

void
message_view_free(struct message_view *mv)
{
	if (mv == NULL)
		return;
	g_free(mv->msgid);
	g_free(mv->from);
	g_free(mv->from_addr);
	g_free(mv->sender);
	g_free(mv->to);
	g_free(mv->cc);
	g_free(mv->reply_to);
	g_free(mv->subject);
	str_wipe_free(mv->protected_subject);
	g_free(mv->date_header);
	g_free(mv->in_reply_to);
	g_free(mv->references);
	if (mv->auth_results != NULL)
		g_ptr_array_unref(mv->auth_results);
	g_free(mv->decrypt_error);
	if (mv->signatures != NULL)
		g_ptr_array_unref(mv->signatures);
	if (mv->blocks != NULL)
		g_ptr_array_unref(mv->blocks);
	g_free(mv);
}

static struct message_view *
message_view_new(void)
{
	struct message_view *mv = g_new0(struct message_view, 1);

	mv->auth_results = g_ptr_array_new_with_free_func(g_free);
	mv->signatures = g_ptr_array_new_with_free_func(
	    (GDestroyNotify)crypto_signature_free);
	mv->blocks = g_ptr_array_new_with_free_func((GDestroyNotify)block_free);
	mv->sig_status = SIG_NONE;
	mv->sig_best = -1;
	return mv;
}

/* ---- blocks ---- */

static struct mime_block *
block_add(struct walk *w, enum block_type type, struct where at)
{
	struct mime_block *b = g_new0(struct mime_block, 1);

	b->type = type;
	b->encrypted = at.encrypted;
	b->sig_index = at.sig_index;
	b->forwarded = at.forwarded;
	g_ptr_array_add(w->mv->blocks, b);
	return b;
}

static void G_GNUC_PRINTF(3, 4)
notice_add(struct walk *w, struct where at, const char *fmt, ...)
{
	struct mime_block *b;
	va_list ap;

	/* A notice is embargo's own words: it never carries a signature or the encrypted mark. */
	at.sig_index = -1;
	at.encrypted = false;
	b = block_add(w, BLOCK_NOTICE, at);
	va_start(ap, fmt);
	b->text = g_strdup_vprintf(fmt, ap);
	va_end(ap);
}

static bool
is_blank(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		if (!g_ascii_isspace(s[i]))
			return false;
	}
	return true;
}

/* Adds TEXT (valid UTF-8, LEN bytes) as a text block unless it is blank. */
static void
text_add(struct walk *w, struct where at, const char *text, size_t len,
    bool from_html)
{
	struct mime_block *b;

	if (is_blank(text, len))
		return;
	b = block_add(w, BLOCK_TEXT, at);
	b->text = g_strndup(text, len);
	b->from_html = from_html;
	b->size = len;
}

/* Decoded bytes the message may still show (max_total less what was shown). */
static size_t
total_left(const struct walk *w)
{
	return w->total < w->lim->max_total ? w->lim->max_total - w->total : 0;
}

static void
decrypt_failed(struct walk *w, struct where at, const char *why)
{
	w->mv->encrypted = true;
	if (w->mv->decrypt_error == NULL)
		w->mv->decrypt_error = g_strdup(why);
	notice_add(w, at, "%s", why);
}

/*
 * Moves SIGS into the view; returns the index blocks should carry: the
 * first good signature of the group, else its first, -1 when empty.
 */
static int
signatures_take(struct walk *w, GPtrArray *sigs, bool forwarded)
{
	int idx = -1;
	gboolean fwd = forwarded;

	while (sigs->len > 0) {
		struct crypto_signature *sig = g_ptr_array_steal_index(sigs, 0);
		int i = (int)w->mv->signatures->len;

		g_ptr_array_add(w->mv->signatures, sig);
		g_array_append_val(w->sig_forwarded, fwd);
		if (idx < 0 || (sig->status == SIG_GOOD &&
		    ((struct crypto_signature *)w->mv->signatures->pdata[idx])->status != SIG_GOOD))
			idx = i;
	}
	return idx;
}

static int
signature_error(struct walk *w, bool forwarded, const char *why)
{
	struct crypto_signature *sig = g_new0(struct crypto_signature, 1);
	GPtrArray *one = g_ptr_array_new();
	int idx;

	sig->status = SIG_ERROR;
	sig->validity = VALIDITY_UNKNOWN;
	sig->error = g_strdup(why);
	g_ptr_array_add(one, sig);
	idx = signatures_take(w, one, forwarded);
	g_ptr_array_unref(one);
	return idx;
}

/* ---- decoding ---- */

/* Decoded content of PART, at most CAP bytes; *OVER says there was more.  (crypto_wipe_bytes) */
static GByteArray *
part_decode(GMimePart *part, size_t cap, bool count_only, size_t *size, bool *over)
{
	GMimeDataWrapper *dw = g_mime_part_get_content(part);
	GMimeStream *src, *fs;
	GMimeContentEncoding enc;
	GByteArray *b;
	gint64 srclen;
	char buf[8192];
	ssize_t n;

	*over = false;
	*size = 0;
	if (dw == NULL || (src = g_mime_data_wrapper_get_stream(dw)) == NULL)
		return count_only ? NULL : g_byte_array_new();
	/* Decoding never grows the data, so sizing for the encoded length avoids reallocations that would leave copies behind. */
	srclen = g_mime_stream_length(src);
	if (count_only)
		b = NULL;
	else if (srclen > 0 && (guint64)srclen < cap)
		b = g_byte_array_sized_new((guint)srclen + 1);
	else
		b = g_byte_array_sized_new(cap < 65536 ? (guint)cap + 1 : 65536);
	fs = g_mime_stream_filter_new(src);
	enc = g_mime_data_wrapper_get_encoding(dw);
	if (enc == GMIME_CONTENT_ENCODING_BASE64 ||
	    enc == GMIME_CONTENT_ENCODING_QUOTEDPRINTABLE ||
	    enc == GMIME_CONTENT_ENCODING_UUENCODE) {
		GMimeFilter *f = g_mime_filter_basic_new(enc, FALSE);

		g_mime_stream_filter_add(GMIME_STREAM_FILTER(fs), f);
		g_object_unref(f);
	}
	g_mime_stream_reset(fs);
	while ((n = g_mime_stream_read(fs, buf, sizeof buf)) > 0) {
		if ((size_t)n > cap - *size) {
			*over = true;
			break;
		}
		if (b != NULL)
			g_byte_array_append(b, (guint8 *)buf, (guint)n);
		*size += (size_t)n;
	}
	explicit_bzero(buf, sizeof buf);
	g_object_unref(fs);
	return b;
}

/* Converts through CD, showing every byte it cannot convert as U+FFFD. */
static GString *
iconv_lossy(GIConv cd, const char *in, size_t len)
{
	GString *out = g_string_sized_new(len + len / 2 + 16);
	gchar *ip = (gchar *)in;
	gsize il = len;
	char buf[4096];
	gchar *op;
	gsize ol, r;

	while (il > 0) {
		op = buf;
		ol = sizeof buf;
		r = g_iconv(cd, &ip, &il, &op, &ol);
		g_string_append_len(out, buf, (gssize)(op - buf));
		if (r != (gsize)-1 || errno == E2BIG)
			continue;
		g_string_append(out, UTF8_REPLACEMENT);
		ip++;
		il--;
		g_iconv(cd, NULL, NULL, NULL, NULL);
	}
	op = buf;
	ol = sizeof buf;
	g_iconv(cd, NULL, NULL, &op, &ol);
	g_string_append_len(out, buf, (gssize)(op - buf));
	explicit_bzero(buf, sizeof buf);
	return out;
}

/* Valid UTF-8 from LEN bytes of any content: NUL bytes and invalid sequences become U+FFFD.  (g_free) */
static char *
utf8_clean(const char *s, size_t len)
{
	GString *g = g_string_sized_new(len + 1);
	char *valid;

	for (size_t i = 0; i < len; i++) {
		if (s[i] == '\0')
			g_string_append(g, UTF8_REPLACEMENT);
		else
			g_string_append_c(g, s[i]);
	}
	valid = g_utf8_make_valid(g->str, (gssize)g->len);
	explicit_bzero(g->str, g->len);
	g_string_free(g, TRUE);
	return valid;
}

static char *one_line(const char *s);

/*
 * DATA in CHARSET as valid UTF-8.  Undeclared or unknown charsets: UTF-8
 * if it is valid, else ISO-8859-1; an unknown charset sets *NOTICE.  (g_free)
 */
static char *
text_to_utf8(const char *data, size_t len, const char *charset, char **notice)
{
	const char *from = "ISO-8859-1";
	GIConv cd;
	GString *conv;
	char *out;

	*notice = NULL;
	if (charset != NULL && (g_ascii_strcasecmp(charset, "utf-8") == 0 ||
	    g_ascii_strcasecmp(charset, "utf8") == 0))
		return utf8_clean(data, len);
	if (charset == NULL || g_ascii_strcasecmp(charset, "us-ascii") == 0 ||
	    g_ascii_strcasecmp(charset, "ascii") == 0) {
		/* Undeclared 8-bit text: UTF-8 when it is valid, else ISO-8859-1. */
		if (g_utf8_validate_len(data, len, NULL))
			return utf8_clean(data, len);
	} else {
		from = g_mime_charset_iconv_name(charset);
	}
	cd = g_iconv_open("UTF-8", from);
	if (cd == (GIConv)-1) {
		bool valid = g_utf8_validate_len(data, len, NULL);

		/* The name is mail's: cut by bytes it could end mid-character, and it may hold newlines. */
		char *cut = g_strndup(charset, 64);
		char *name = one_line(cut);

		*notice = g_strdup_printf("unknown charset \"%s\": text shown as %s",
		    name, valid ? "UTF-8" : "ISO-8859-1");
		g_free(name);
		g_free(cut);
		if (valid || (cd = g_iconv_open("UTF-8", "ISO-8859-1")) == (GIConv)-1)
			return utf8_clean(data, len);
	}
	conv = iconv_lossy(cd, data, len);
	g_iconv_close(cd);
	out = utf8_clean(conv->str, conv->len);
	explicit_bzero(conv->str, conv->len);
	g_string_free(conv, TRUE);
	return out;
}

/* S as valid UTF-8 on one line (for embargo's own notices quoting mail).  (g_free) */
static char *
one_line(const char *s)
{
	char *c = utf8_clean(s, strlen(s));

	for (char *p = c; *p != '\0'; p++) {
		if (*p == '\n' || *p == '\r' || *p == '\t')
			*p = ' ';
	}
	return c;
}

/* ---- HTML to text ---- */

struct html {
	GString *out;
	bool space;     /* a space is due before the next character */
	int pre;        /* inside <pre> */
	char *href;     /* the open link's target */
	size_t link_at; /* where the open link's text starts in OUT */
};

static void
html_newline(struct html *h, int want)
{
	int have = 0;

	while (h->out->len > 0 && h->out->str[h->out->len - 1] == ' ')
		g_string_truncate(h->out, h->out->len - 1);
	for (size_t i = h->out->len; i > 0 && h->out->str[i - 1] == '\n'; i--)
		have++;
	h->space = false;
	if (h->out->len == 0)
		return;
	while (have < want) {
		g_string_append_c(h->out, '\n');
		have++;
	}
}

static void
html_text(struct html *h, const char *s, size_t len)
{
	if (len == 0)
		return;
	if (h->space && h->out->len > 0 && h->out->str[h->out->len - 1] != '\n')
		g_string_append_c(h->out, ' ');
	h->space = false;
	g_string_append_len(h->out, s, (gssize)len);
}

static const struct {
	const char *name;
	const char *utf8;
} html_entities[] = {
	{ "amp", "&" }, { "lt", "<" }, { "gt", ">" }, { "quot", "\"" },
	{ "apos", "'" }, { "nbsp", " " }, { "copy", "\xc2\xa9" },
	{ "reg", "\xc2\xae" }, { "ndash", "\xe2\x80\x93" },
	{ "mdash", "\xe2\x80\x94" }, { "hellip", "\xe2\x80\xa6" },
	{ "laquo", "\xc2\xab" }, { "raquo", "\xc2\xbb" },
	{ "lsquo", "\xe2\x80\x98" }, { "rsquo", "\xe2\x80\x99" },
	{ "ldquo", "\xe2\x80\x9c" }, { "rdquo", "\xe2\x80\x9d" },
	{ "euro", "\xe2\x82\xac" }, { "shy", "" }, { "zwnj", "\xe2\x80\x8c" },
};

/* Decodes the entity at P (which points at '&'); returns bytes consumed, 0 if it is no entity. */
static size_t
html_entity(const char *p, const char *end, GString *out)
{
	const char *q = p + 1;
	char name[16];
	size_t n = 0;

	if (q < end && *q == '#') {
		gunichar c = 0;
		bool hex = false, any = false;

		q++;
		if (q < end && (*q == 'x' || *q == 'X')) {
			hex = true;
			q++;
		}
		for (; q < end && (hex ? g_ascii_isxdigit(*q) : g_ascii_isdigit(*q)); q++) {
			any = true;
			if (c < 0x110000)
				c = c * (hex ? 16 : 10) + (gunichar)(hex ? g_ascii_xdigit_value(*q) : *q - '0');
		}
		if (!any || q >= end || *q != ';')
			return 0;
		if (c == 0 || c >= 0x110000 || (c >= 0xd800 && c <= 0xdfff))
			g_string_append(out, UTF8_REPLACEMENT);
		else
			g_string_append_unichar(out, c);
		return (size_t)(q + 1 - p);
	}
	while (q < end && g_ascii_isalnum(*q) && n < sizeof name - 1)
		name[n++] = *q++;
	name[n] = '\0';
	if (n == 0 || q >= end || *q != ';')
		return 0;
	for (size_t i = 0; i < G_N_ELEMENTS(html_entities); i++) {
		if (strcmp(html_entities[i].name, name) == 0) {
			g_string_append(out, html_entities[i].utf8);
			return (size_t)(q + 1 - p);
		}
	}
	return 0;
}

static char *
html_decode_entities(const char *s, size_t len)
{
	GString *g = g_string_sized_new(len + 1);
	const char *p = s, *end = s + len;
	size_t n;

	while (p < end) {
		if (*p == '&' && (n = html_entity(p, end, g)) > 0)
			p += n;
		else
			g_string_append_c(g, *p++);
	}
	return g_string_free(g, FALSE);
}

/* Case-insensitive search for NEEDLE in [P, END). */
static const char *
find_ci(const char *p, const char *end, const char *needle)
{
	size_t n = strlen(needle);

	for (; (size_t)(end - p) >= n; p++) {
		if (g_ascii_strncasecmp(p, needle, n) == 0)
			return p;
	}
	return NULL;
}

/* The value of attribute NAME in the attribute text [P, END), entities decoded.  (g_free) */
static char *
html_attr(const char *p, const char *end, const char *name)
{
	size_t nl = strlen(name);

	while (p < end) {
		const char *an, *vs, *ve;
		size_t al;

		while (p < end && (g_ascii_isspace(*p) || *p == '/'))
			p++;
		an = p;
		while (p < end && !g_ascii_isspace(*p) && *p != '=' && *p != '/')
			p++;
		al = (size_t)(p - an);
		while (p < end && g_ascii_isspace(*p))
			p++;
		vs = ve = p;
		if (p < end && *p == '=') {
			p++;
			while (p < end && g_ascii_isspace(*p))
				p++;
			if (p < end && (*p == '"' || *p == '\'')) {
				char quote = *p++;

				vs = p;
				while (p < end && *p != quote)
					p++;
				ve = p;
				if (p < end)
					p++;
			} else {
				vs = p;
				while (p < end && !g_ascii_isspace(*p))
					p++;
				ve = p;
			}
		}
		if (al == nl && g_ascii_strncasecmp(an, name, nl) == 0)
			return html_decode_entities(vs, (size_t)(ve - vs));
		if (al == 0 && p == an)
			p++;
	}
	return NULL;
}

static bool
tag_is(const char *name, size_t len, const char *const *list)
{
	for (; *list != NULL; list++) {
		if (strlen(*list) == len && g_ascii_strncasecmp(*list, name, len) == 0)
			return true;
	}
	return false;
}

static const char *const html_drop[] = { "script", "style", "title", "template",
	"noscript", "object", "iframe", "svg", NULL };
static const char *const html_para[] = { "p", "h1", "h2", "h3", "h4", "h5", "h6",
	"blockquote", "pre", "table", "ul", "ol", "dl", NULL };
static const char *const html_line[] = { "br", "div", "tr", "hr", "dt", "dd",
	"section", "article", "header", "footer", "address", NULL };

static void
html_link_end(struct html *h)
{
	char *label;

	if (h->href == NULL)
		return;
	label = g_strstrip(g_strdup(h->out->str + h->link_at));
	if (*h->href != '\0' && strcmp(label, h->href) != 0) {
		g_string_append(h->out, " <");
		g_string_append(h->out, h->href);
		g_string_append_c(h->out, '>');
	}
	g_free(label);
	g_clear_pointer(&h->href, g_free);
}

/*
 * Handles one tag NAME (LEN bytes) with attributes [A, AEND); returns where
 * parsing continues (after the content of a dropped element).
 */
static const char *
html_tag(struct html *h, const char *name, size_t len, bool closing,
    const char *a, const char *aend, const char *next, const char *end)
{
	bool head = len == 4 && g_ascii_strncasecmp(name, "head", 4) == 0;

	if (!closing && (head || tag_is(name, len, html_drop))) {
		/* Dropped with their content; <head> also ends where <body> starts. */
		char close[32];
		const char *q;

		g_snprintf(close, sizeof close, "</%.*s", (int)len, name);
		q = find_ci(next, end, close);
		if (head) {
			const char *b = find_ci(next, end, "<body");

			if (b != NULL && (q == NULL || b < q))
				return b;
		}
		if (q == NULL)
			return end;
		q = memchr(q, '>', (size_t)(end - q));
		return q != NULL ? q + 1 : end;
	}
	if (tag_is(name, len, html_para)) {
		html_newline(h, 2);
		if (len == 3 && g_ascii_strncasecmp(name, "pre", 3) == 0)
			h->pre = closing ? 0 : 1;
	} else if (tag_is(name, len, html_line)) {
		html_newline(h, 1);
	} else if (len == 2 && g_ascii_strncasecmp(name, "li", 2) == 0) {
		html_newline(h, 1);
		if (!closing)
			html_text(h, "- ", 2);
	} else if (len == 2 && (g_ascii_strncasecmp(name, "td", 2) == 0 ||
	    g_ascii_strncasecmp(name, "th", 2) == 0)) {
		h->space = true;
	} else if (len == 1 && g_ascii_tolower(*name) == 'a') {
		html_link_end(h);
		if (!closing) {
			h->href = html_attr(a, aend, "href");
			if (h->href != NULL) {
				g_strstrip(h->href);
				if (h->space && h->out->len > 0 &&
				    h->out->str[h->out->len - 1] != '\n') {
					g_string_append_c(h->out, ' ');
					h->space = false;
				}
				h->link_at = h->out->len;
			}
		}
	} else if (len == 3 && g_ascii_strncasecmp(name, "img", 3) == 0 && !closing) {
		/* Never fetched: only the alternative text is shown. */
		char *alt = html_attr(a, aend, "alt");

		if (alt != NULL && *g_strstrip(alt) != '\0') {
			html_text(h, "[image: ", 8);
			g_string_append(h->out, alt);
			g_string_append_c(h->out, ']');
		}
		g_free(alt);
	}
	return next;
}

/* Reduces HTML to plain text: no markup, no scripts or styles, links as "text <url>", nothing fetched.  (g_free) */
static char *
html_to_text(const char *s, size_t len)
{
	struct html h = { .out = g_string_sized_new(len / 2 + 16) };
	GString *ent = g_string_new(NULL);
	const char *p = s, *end = s + len;
	size_t n;

	while (p < end) {
		if (*p == '<') {
			const char *q = p + 1, *name, *r;
			bool closing = false;
			char quote = 0;

			if ((size_t)(end - p) >= 4 && memcmp(p, "<!--", 4) == 0) {
				r = find_ci(p + 4, end, "-->");
				p = r != NULL ? r + 3 : end;
				continue;
			}
			if (q < end && *q == '/') {
				closing = true;
				q++;
			}
			name = q;
			while (q < end && (g_ascii_isalnum(*q)))
				q++;
			if (q == name && !(q < end && (*q == '!' || *q == '?'))) {
				html_text(&h, p, 1);
				p++;
				continue;
			}
			/* The tag ends at the first '>' outside quotes; an unterminated tag swallows the rest. */
			for (r = q; r < end; r++) {
				if (quote != 0) {
					if (*r == quote)
						quote = 0;
				} else if (*r == '"' || *r == '\'') {
					quote = *r;
				} else if (*r == '>') {
					break;
				}
			}
			if (r >= end)
				break;
			p = html_tag(&h, name, (size_t)(q - name), closing, q, r, r + 1, end);
			continue;
		}
		if (*p == '&' && (n = html_entity(p, end, ent)) > 0) {
			html_text(&h, ent->str, ent->len);
			g_string_truncate(ent, 0);
			p += n;
			continue;
		}
		if (h.pre == 0 && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r' || *p == '\f')) {
			if (h.out->len > 0)
				h.space = true;
			p++;
			continue;
		}
		if (h.pre != 0 && *p == '\n') {
			g_string_append_c(h.out, '\n');
			p++;
			continue;
		}
		n = 1;
		while (p + n < end && p[n] != '<' && p[n] != '&' && !g_ascii_isspace(p[n]))
			n++;
		html_text(&h, p, n);
		p += n;
	}
	html_link_end(&h);
	g_string_free(ent, TRUE);
	g_strstrip(h.out->str);
	return g_string_free(h.out, FALSE);
}

/* ---- inline PGP ---- */

/* True when the line at P (up to END) is exactly MARK, allowing trailing whitespace. */
static bool
line_is(const char *p, const char *end, const char *mark)
{
	size_t n = strlen(mark);

	if ((size_t)(end - p) < n || memcmp(p, mark, n) != 0)
		return false;
	for (p += n; p < end && *p != '\n'; p++) {
		if (!g_ascii_isspace(*p))
			return false;
	}
	return true;
}

/* The start of the first line at or after P that is MARK, or NULL. */
static const char *
line_find(const char *p, const char *end, const char *mark)
{
	while (p < end) {
		const char *nl;

		if (line_is(p, end, mark))
			return p;
		nl = memchr(p, '\n', (size_t)(end - p));
		if (nl == NULL)
			return NULL;
		p = nl + 1;
	}
	return NULL;
}

static const char *
line_next(const char *p, const char *end)
{
	const char *nl = memchr(p, '\n', (size_t)(end - p));

	return nl != NULL ? nl + 1 : end;
}

static void
inline_encrypted(struct walk *w, struct where at, const char *armor, size_t len)
{
	struct crypto_decrypt_result res;
	struct error err = { { 0 } };
	struct where in = at;
	size_t cap;
	char *text, *notice;

	w->mv->encrypted = true;
	if (at.forwarded) {
		decrypt_failed(w, at, "encrypted part in a forwarded message: not decrypted");
		return;
	}
	if (w->crypto == NULL) {
		decrypt_failed(w, at, "cannot decrypt: no OpenPGP context");
		return;
	}
	cap = MIN(w->lim->max_part_size, total_left(w));
	if (crypto_decrypt(w->crypto, armor, len, cap, &res, &err) != 0) {
		decrypt_failed(w, at, res.error != NULL ? res.error : err.msg);
		crypto_decrypt_result_clear(&res);
		return;
	}
	in.encrypted = true;
	/* A signature outside the ciphertext says nothing about who wrote the plaintext. */
	in.sig_index = signatures_take(w, res.signatures, at.forwarded);
	text = text_to_utf8((const char *)res.plain->data, res.plain->len, NULL,
	    &notice);
	g_free(notice);
	w->total += res.plain->len;
	text_add(w, in, text, strlen(text), false);
	str_wipe_free(text);
	crypto_decrypt_result_clear(&res);
}

static void
inline_signed(struct walk *w, struct where at, const char *armor, size_t len)
{
	struct error err = { { 0 } };
	GPtrArray *sigs;
	GByteArray *plain = NULL;
	struct where in = at;
	char *text, *notice;

	if (w->crypto == NULL) {
		notice_add(w, at, "clearsigned text: signature not checked (no OpenPGP context)");
		text_add(w, at, armor, len, false);
		return;
	}
	sigs = g_ptr_array_new_with_free_func((GDestroyNotify)crypto_signature_free);
	if (crypto_verify_clearsigned(w->crypto, armor, len, &plain, sigs, &err) != 0) {
		/* Shown as it came, marked with a signature that failed to verify. */
		in.sig_index = signature_error(w, at.forwarded, err.msg);
		text_add(w, in, armor, len, false);
		g_ptr_array_unref(sigs);
		return;
	}
	in.sig_index = signatures_take(w, sigs, at.forwarded);
	g_ptr_array_unref(sigs);
	text = text_to_utf8((const char *)plain->data, plain->len, NULL, &notice);
	g_free(notice);
	text_add(w, in, text, strlen(text), false);
	if (at.encrypted)
		str_wipe_free(text);
	else
		g_free(text);
	crypto_wipe_bytes(plain);
}

/*
 * Splits a text part at armoured PGP blocks: text around a block becomes
 * its own block, so decrypted or signed text is never merged with what
 * surrounds it (EFAIL, signature spoofing).
 */
static void
text_with_inline_pgp(struct walk *w, struct where at, const char *s, size_t len)
{
	const char *p = s, *end = s + len, *seg = s;

	while (p < end) {
		const char *stop = NULL;
		bool enc = false;

		if (line_is(p, end, "-----BEGIN PGP MESSAGE-----")) {
			const char *e = line_find(line_next(p, end), end, "-----END PGP MESSAGE-----");

			if (e != NULL) {
				stop = line_next(e, end);
				enc = true;
			}
		} else if (line_is(p, end, "-----BEGIN PGP SIGNED MESSAGE-----")) {
			const char *sb = line_find(line_next(p, end), end, "-----BEGIN PGP SIGNATURE-----");
			const char *e = sb != NULL ? line_find(line_next(sb, end), end,
			    "-----END PGP SIGNATURE-----") : NULL;

			if (e != NULL)
				stop = line_next(e, end);
		}
		if (stop == NULL) {
			p = line_next(p, end);
			continue;
		}
		text_add(w, at, seg, (size_t)(p - seg), false);
		if (enc)
			inline_encrypted(w, at, p, (size_t)(stop - p));
		else
			inline_signed(w, at, p, (size_t)(stop - p));
		p = seg = stop;
	}
	text_add(w, at, seg, (size_t)(end - seg), false);
}

/* ---- parts ---- */

static char *
content_type_of(GMimeObject *obj)
{
	GMimeContentType *ct = g_mime_object_get_content_type(obj);
	char *t, *lower;

	if (ct == NULL)
		return g_strdup("application/octet-stream");
	t = g_mime_content_type_get_mime_type(ct);
	lower = g_ascii_strdown(t, -1);
	g_free(t);
	return lower;
}

static bool
is_attachment(GMimeObject *obj)
{
	GMimeContentDisposition *d = g_mime_object_get_content_disposition(obj);

	return d != NULL && g_mime_content_disposition_is_attachment(d);
}

static bool
is_type(GMimeObject *obj, const char *type, const char *subtype)
{
	GMimeContentType *ct = g_mime_object_get_content_type(obj);

	return ct != NULL && g_mime_content_type_is_type(ct, type, subtype);
}

static bool
part_counted(struct walk *w, struct where at)
{
	if (w->parts >= w->lim->max_parts) {
		if (!w->parts_noticed)
			notice_add(w, at, "more than %d parts: the rest of the message is not shown",
			    w->lim->max_parts);
		w->parts_noticed = true;
		return false;
	}
	w->parts++;
	return true;
}

static void
walk_attachment(struct walk *w, GMimePart *part, struct where at)
{
	struct mime_block *b;
	const char *name;
	size_t size;
	bool over;

	part_decode(part, w->lim->max_file, true, &size, &over);
	b = block_add(w, BLOCK_ATTACHMENT, at);
	name = g_mime_part_get_filename(part);
	/* One line: a name with newlines (RFC 2231 %0A) could forge lines of its own. */
	if (name != NULL)
		b->filename = one_line(name);
	b->content_type = content_type_of(GMIME_OBJECT(part));
	b->size = size;
}

static void
walk_text(struct walk *w, GMimePart *part, struct where at)
{
	GMimeObject *obj = GMIME_OBJECT(part);
	size_t cap = w->lim->max_part_size, size;
	GByteArray *raw;
	bool over, by_total = false;
	char *text, *notice = NULL;

	if (total_left(w) < cap) {
		cap = total_left(w);
		by_total = true;
	}
	raw = part_decode(part, cap, false, &size, &over);
	if (over) {
		crypto_wipe_bytes(raw);
		if (by_total) {
			if (!w->total_noticed)
				notice_add(w, at, "message text exceeds %zu bytes: the rest is not shown",
				    w->lim->max_total);
			w->total_noticed = true;
		} else {
			notice_add(w, at, "text part larger than %zu bytes (decoded): not shown",
			    w->lim->max_part_size);
		}
		return;
	}
	w->total += size;
	text = text_to_utf8((const char *)raw->data, raw->len,
	    g_mime_object_get_content_type_parameter(obj, "charset"), &notice);
	crypto_wipe_bytes(raw);
	if (notice != NULL) {
		notice_add(w, at, "%s", notice);
		g_free(notice);
	}
	if (is_type(obj, "text", "html")) {
		char *plain = html_to_text(text, strlen(text));

		text_add(w, at, plain, strlen(plain), true);
		str_wipe_free(plain);
	} else {
		text_with_inline_pgp(w, at, text, strlen(text));
	}
	str_wipe_free(text);
}

static void
walk_leaf(struct walk *w, GMimePart *part, struct where at)
{
	GMimeObject *obj = GMIME_OBJECT(part);

	if (!part_counted(w, at))
		return;
	if (is_type(obj, "text", "*") && !is_attachment(obj))
		walk_text(w, part, at);
	else
		walk_attachment(w, part, at);
}

static const char *
address_first(InternetAddressList *list)
{
	int n = list != NULL ? internet_address_list_length(list) : 0;

	for (int i = 0; i < n; i++) {
		InternetAddress *a = internet_address_list_get_address(list, i);
		const char *addr;

		if (INTERNET_ADDRESS_IS_MAILBOX(a))
			return internet_address_mailbox_get_addr(INTERNET_ADDRESS_MAILBOX(a));
		if (INTERNET_ADDRESS_IS_GROUP(a) && (addr = address_first(
		    internet_address_group_get_members(INTERNET_ADDRESS_GROUP(a)))) != NULL)
			return addr;
	}
	return NULL;
}

static int
address_count(InternetAddressList *list)
{
	int n = list != NULL ? internet_address_list_length(list) : 0, count = 0;

	for (int i = 0; i < n; i++) {
		InternetAddress *a = internet_address_list_get_address(list, i);

		if (INTERNET_ADDRESS_IS_MAILBOX(a))
			count++;
		else if (INTERNET_ADDRESS_IS_GROUP(a))
			count += address_count(
			    internet_address_group_get_members(INTERNET_ADDRESS_GROUP(a)));
	}
	return count;
}

static void
walk_forwarded(struct walk *w, GMimeMessagePart *mp, struct where at)
{
	GMimeMessage *inner = g_mime_message_part_get_message(mp);
	const char *from;
	GMimeObject *body;
	char *clean;

	if (inner == NULL || (body = g_mime_message_get_mime_part(inner)) == NULL) {
		notice_add(w, at, "forwarded message: empty");
		return;
	}
	from = g_mime_object_get_header(GMIME_OBJECT(inner), "From");
	clean = one_line(from != NULL ? from : "(no sender)");
	at.forwarded = true;
	notice_add(w, at, "forwarded message from %s", clean);
	g_free(clean);
	at.depth++;
	walk_object(w, body, at);
}

/* The bytes of OBJ as they were signed: its MIME form with CRLF line ends (RFC 3156 section 5). */
static GByteArray *
signed_bytes(GMimeObject *obj)
{
	GMimeStream *mem = g_mime_stream_mem_new();
	GMimeStream *fs = g_mime_stream_filter_new(mem);
	GMimeFilter *crlf = g_mime_filter_unix2dos_new(FALSE);
	GByteArray *b;

	g_mime_stream_filter_add(GMIME_STREAM_FILTER(fs), crlf);
	g_object_unref(crlf);
	g_mime_object_write_to_stream(obj, NULL, fs);
	g_mime_stream_flush(fs);
	g_object_unref(fs);
	/* Take the buffer over from the stream. */
	b = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(mem));
	g_mime_stream_mem_set_owner(GMIME_STREAM_MEM(mem), FALSE);
	g_object_unref(mem);
	return b;
}

static void
walk_signed(struct walk *w, GMimeMultipart *mp, struct where at)
{
	GMimeObject *obj = GMIME_OBJECT(mp), *content, *sigpart;
	const char *proto = g_mime_object_get_content_type_parameter(obj, "protocol");
	int count = g_mime_multipart_get_count(mp);
	struct where in = at;
	struct error err = { { 0 } };
	GByteArray *text, *sigbytes;
	GPtrArray *sigs;
	size_t size;
	bool over;

	in.depth++;
	if (count < 2) {
		notice_add(w, at, "multipart/signed with %d part%s: no signature to check",
		    count, count == 1 ? "" : "s");
		for (int i = 0; i < count; i++)
			walk_object(w, g_mime_multipart_get_part(mp, i), in);
		return;
	}
	content = g_mime_multipart_get_part(mp, 0);
	sigpart = g_mime_multipart_get_part(mp, 1);
	if (proto == NULL || g_ascii_strcasecmp(proto, "application/pgp-signature") != 0 ||
	    !is_type(sigpart, "application", "pgp-signature") || !GMIME_IS_PART(sigpart)) {
		char *ct = content_type_of(sigpart);
		char *clean = one_line(ct);

		notice_add(w, at, "signature of type %s is not checked", clean);
		g_free(clean);
		g_free(ct);
		walk_object(w, content, in);
		for (int i = 1; i < count; i++)
			walk_object(w, g_mime_multipart_get_part(mp, i), in);
		return;
	}

	if (w->crypto == NULL) {
		in.sig_index = signature_error(w, at.forwarded, "signature not checked: no OpenPGP context");
	} else {
		sigbytes = part_decode(GMIME_PART(sigpart), MIB, false, &size, &over);
		sigs = g_ptr_array_new_with_free_func((GDestroyNotify)crypto_signature_free);
		if (over) {
			in.sig_index = signature_error(w, at.forwarded, "signature part larger than 1 MiB: not checked");
		} else {
			text = signed_bytes(content);
			if (crypto_verify_detached(w->crypto, (const char *)text->data, text->len,
			    (const char *)sigbytes->data, sigbytes->len, sigs, &err) != 0)
				in.sig_index = signature_error(w, at.forwarded, err.msg);
			else
				in.sig_index = signatures_take(w, sigs, at.forwarded);
			crypto_wipe_bytes(text);
		}
		g_ptr_array_unref(sigs);
		crypto_wipe_bytes(sigbytes);
	}
	walk_object(w, content, in);
	/* Anything past the signature is not covered by it. */
	in.sig_index = at.sig_index;
	for (int i = 2; i < count; i++)
		walk_object(w, g_mime_multipart_get_part(mp, i), in);
}

static void
walk_decrypted(struct walk *w, GByteArray *plain, struct where in)
{
	GMimeStream *stream;
	GMimeParser *parser;
	GMimeObject *inner;
	const char *subject;

	stream = g_mime_stream_mem_new_with_byte_array(plain);
	g_mime_stream_mem_set_owner(GMIME_STREAM_MEM(stream), FALSE);
	parser = g_mime_parser_new_with_stream(stream);
	inner = g_mime_parser_construct_part(parser, NULL);
	g_object_unref(parser);
	if (inner == NULL) {
		char *text = utf8_clean((const char *)plain->data, plain->len);

		notice_add(w, in, "decrypted data is not a MIME part: shown as text");
		text_add(w, in, text, strlen(text), false);
		str_wipe_free(text);
	} else {
		/* Protected headers (draft-autocrypt-lamps): kept apart, never replacing the outer Subject. */
		subject = g_mime_object_get_header(inner, "Subject");
		if (subject != NULL && w->mv->protected_subject == NULL && !in.forwarded)
			w->mv->protected_subject = utf8_clean(subject, strlen(subject));
		walk_object(w, inner, in);
		g_object_unref(inner);
	}
	g_object_unref(stream);
}

static void
walk_encrypted(struct walk *w, GMimeMultipart *mp, struct where at)
{
	GMimeObject *obj = GMIME_OBJECT(mp), *cpart;
	const char *proto = g_mime_object_get_content_type_parameter(obj, "protocol");
	struct crypto_decrypt_result res;
	struct error err = { { 0 } };
	struct where in = at;
	GByteArray *cipher;
	size_t size, cap;
	bool over;

	w->mv->encrypted = true;
	if (!part_counted(w, at))
		return;
	if (at.forwarded) {
		decrypt_failed(w, at, "encrypted part in a forwarded message: not decrypted");
		return;
	}
	if (proto == NULL || g_ascii_strcasecmp(proto, "application/pgp-encrypted") != 0) {
		decrypt_failed(w, at, "cannot decrypt: unsupported encryption protocol");
		return;
	}
	if (g_mime_multipart_get_count(mp) < 2 ||
	    !GMIME_IS_PART(cpart = g_mime_multipart_get_part(mp, 1))) {
		decrypt_failed(w, at, "cannot decrypt: malformed multipart/encrypted (no encrypted part)");
		return;
	}
	if (w->crypto == NULL) {
		decrypt_failed(w, at, "cannot decrypt: no OpenPGP context");
		return;
	}
	cipher = part_decode(GMIME_PART(cpart), w->lim->max_file, false, &size, &over);
	cap = total_left(w);
	if (crypto_decrypt(w->crypto, (const char *)cipher->data, cipher->len, cap,
	    &res, &err) != 0) {
		decrypt_failed(w, at, res.error != NULL ? res.error : err.msg);
		crypto_decrypt_result_clear(&res);
		crypto_wipe_bytes(cipher);
		return;
	}
	crypto_wipe_bytes(cipher);
	in.encrypted = true;
	in.depth++;
	/* The plaintext is covered only by a signature inside the ciphertext. */
	in.sig_index = signatures_take(w, res.signatures, at.forwarded);
	walk_decrypted(w, res.plain, in);
	crypto_decrypt_result_clear(&res);
}

static void
walk_alternative(struct walk *w, GMimeMultipart *mp, struct where at)
{
	int count = g_mime_multipart_get_count(mp), pick = -1;

	for (int i = 0; i < count && pick < 0; i++) {
		GMimeObject *o = g_mime_multipart_get_part(mp, i);

		if (GMIME_IS_PART(o) && is_type(o, "text", "plain") && !is_attachment(o))
			pick = i;
	}
	for (int i = 0; i < count && pick < 0; i++) {
		GMimeObject *o = g_mime_multipart_get_part(mp, i);

		if (GMIME_IS_PART(o) && is_type(o, "text", "html") && !is_attachment(o))
			pick = i;
	}
	if (pick < 0)
		pick = count - 1;
	at.depth++;
	walk_object(w, g_mime_multipart_get_part(mp, pick), at);
}

static void
walk_multipart(struct walk *w, GMimeMultipart *mp, struct where at)
{
	int count = g_mime_multipart_get_count(mp);

	if (count == 0) {
		const char *pro = g_mime_multipart_get_prologue(mp);
		char *text;

		notice_add(w, at, "multipart without parts (missing or wrong boundary): content shown as text");
		if (pro != NULL && part_counted(w, at)) {
			size_t n = strlen(pro);

			if (n > w->lim->max_part_size || n > total_left(w)) {
				notice_add(w, at, "text larger than %zu bytes: not shown",
				    w->lim->max_part_size);
				return;
			}
			w->total += n;
			text = utf8_clean(pro, n);
			text_add(w, at, text, strlen(text), false);
			g_free(text);
		}
		return;
	}
	if (is_type(GMIME_OBJECT(mp), "multipart", "alternative")) {
		walk_alternative(w, mp, at);
		return;
	}
	at.depth++;
	for (int i = 0; i < count && !w->parts_noticed; i++)
		walk_object(w, g_mime_multipart_get_part(mp, i), at);
}

static void
walk_object(struct walk *w, GMimeObject *obj, struct where at)
{
	if (obj == NULL || w->parts_noticed)
		return;
	if (at.depth >= w->lim->max_depth) {
		notice_add(w, at, "MIME parts nested deeper than %d levels: not shown",
		    w->lim->max_depth);
		return;
	}
	if (GMIME_IS_MESSAGE_PART(obj))
		walk_forwarded(w, GMIME_MESSAGE_PART(obj), at);
	else if (GMIME_IS_MULTIPART_ENCRYPTED(obj))
		walk_encrypted(w, GMIME_MULTIPART(obj), at);
	else if (GMIME_IS_MULTIPART_SIGNED(obj))
		walk_signed(w, GMIME_MULTIPART(obj), at);
	else if (GMIME_IS_MULTIPART(obj))
		walk_multipart(w, GMIME_MULTIPART(obj), at);
	else if (GMIME_IS_PART(obj))
		walk_leaf(w, GMIME_PART(obj), at);
	else
		notice_add(w, at, "unsupported MIME part: not shown");
}

/* ---- headers and summary ---- */

static char *
header_dup(const char *s)
{
	return s != NULL ? utf8_clean(s, strlen(s)) : NULL;
}

static char *
addresses_dup(InternetAddressList *list)
{
	char *s, *clean;

	if (list == NULL || internet_address_list_length(list) == 0)
		return NULL;
	s = internet_address_list_to_string(list, NULL, FALSE);
	clean = header_dup(s);
	g_free(s);
	return clean;
}

static void
view_headers(struct message_view *mv, GMimeMessage *msg)
{
	GMimeObject *obj = GMIME_OBJECT(msg);
	GMimeHeaderList *hl = g_mime_object_get_header_list(obj);
	GString *from = g_string_new(NULL);
	GDateTime *date;
	const char *addr;
	int n = hl != NULL ? g_mime_header_list_get_count(hl) : 0;

	/* Walk the raw list: GMime folds duplicate From headers into one list, and we must see both. */
	for (int i = 0; i < n; i++) {
		GMimeHeader *h = g_mime_header_list_get_header_at(hl, i);
		const char *name = g_mime_header_get_name(h);
		const char *value = g_mime_header_get_value(h);

		if (name == NULL)
			continue;
		if (g_ascii_strcasecmp(name, "From") == 0) {
			mv->from_headers++;
			if (value != NULL)
				g_string_append_printf(from, "%s%s", from->len > 0 ? ", " : "", value);
		} else if (g_ascii_strcasecmp(name, "Authentication-Results") == 0 && value != NULL) {
			g_ptr_array_add(mv->auth_results, header_dup(value));
		}
	}
	if (mv->from_headers > 0)
		mv->from = header_dup(from->str);
	g_string_free(from, TRUE);
	mv->from_mailboxes = address_count(g_mime_message_get_from(msg));
	addr = address_first(g_mime_message_get_from(msg));
	if (addr != NULL && *addr != '\0') {
		char *clean = header_dup(addr);

		mv->from_addr = g_utf8_strdown(clean, -1);
		g_free(clean);
	}
	mv->msgid = header_dup(g_mime_message_get_message_id(msg));
	mv->sender = addresses_dup(g_mime_message_get_sender(msg));
	mv->to = addresses_dup(g_mime_message_get_to(msg));
	mv->cc = addresses_dup(g_mime_message_get_cc(msg));
	mv->reply_to = addresses_dup(g_mime_message_get_reply_to(msg));
	mv->subject = header_dup(g_mime_message_get_subject(msg));
	mv->date_header = header_dup(g_mime_object_get_header(obj, "Date"));
	date = g_mime_message_get_date(msg);
	mv->date = date != NULL ? (time_t)g_date_time_to_unix(date) : 0;
	mv->in_reply_to = header_dup(g_mime_object_get_header(obj, "In-Reply-To"));
	mv->references = header_dup(g_mime_object_get_header(obj, "References"));
}

static bool
sig_in_summary(const struct walk *w, int i)
{
	return !g_array_index(w->sig_forwarded, gboolean, i);
}

/*
 * What the message as a whole may claim: any bad signature makes it bad;
 * signatures of forwarded mail never count for the outer message.
 */
static void
view_summarise(struct walk *w)
{
	struct message_view *mv = w->mv;
	int first = -1, bad = -1, good = -1, good_from = -1;

	for (int i = 0; i < (int)mv->signatures->len; i++) {
		struct crypto_signature *sig = mv->signatures->pdata[i];

		if (!sig_in_summary(w, i))
			continue;
		if (crypto_signature_has_email(sig, mv->from_addr))
			sig->validity = crypto_signature_validity_for(sig, mv->from_addr);
		if (first < 0)
			first = i;
		if (sig->status == SIG_BAD && bad < 0)
			bad = i;
		if (sig->status == SIG_GOOD) {
			if (good < 0)
				good = i;
			if (good_from < 0 && crypto_signature_has_email(sig, mv->from_addr))
				good_from = i;
		}
	}
	mv->sig_matches_from = good_from >= 0;
	if (bad >= 0)
		mv->sig_best = bad;
	else if (good_from >= 0)
		mv->sig_best = good_from;
	else if (good >= 0)
		mv->sig_best = good;
	else
		mv->sig_best = first;
	mv->sig_status = mv->sig_best >= 0 ?
	    ((struct crypto_signature *)mv->signatures->pdata[mv->sig_best])->status : SIG_NONE;

	mv->sig_partial = false;
	for (guint i = 0; good >= 0 && i < mv->blocks->len; i++) {
		struct mime_block *b = mv->blocks->pdata[i];
		struct crypto_signature *sig;

		if (b->type == BLOCK_NOTICE)
			continue;
		sig = b->sig_index >= 0 ? mv->signatures->pdata[b->sig_index] : NULL;
		if (sig == NULL || sig->status != SIG_GOOD || !sig_in_summary(w, b->sig_index))
			mv->sig_partial = true;
	}
	mv->decrypted = mv->encrypted && mv->decrypt_error == NULL;
}

/* The end of the header block in DATA (the offset of the blank line), or LEN if none. */
static size_t
header_end(const char *data, size_t len)
{
	for (size_t i = 0; i + 1 < len; i++) {
		if (data[i] != '\n')
			continue;
		if (data[i + 1] == '\n')
			return i + 1;
		if (data[i + 1] == '\r' && i + 2 < len && data[i + 2] == '\n')
			return i + 1;
	}
	return len;
}

/* Builds the view of BUF (owned by the caller, wiped by it); TOO_LARGE: show headers only, FULL_SIZE the real size. */
static struct message_view *
view_buffer(struct crypto *crypto, GByteArray *buf, size_t full_size,
    const struct mime_limits *lim)
{
	struct message_view *mv = message_view_new();
	struct walk w = { .crypto = crypto, .lim = lim, .mv = mv };
	struct where top = { .depth = 0, .sig_index = -1 };
	bool too_large = full_size > lim->max_file;
	GMimeStream *stream;
	GMimeParser *parser;
	GMimeMessage *msg;
	guint keep = buf->len;

	mime_init();
	w.sig_forwarded = g_array_new(FALSE, FALSE, sizeof(gboolean));
	if (buf->len == 0) {
		notice_add(&w, top, "empty message");
		goto done;
	}
	if (too_large)
		buf->len = (guint)header_end((const char *)buf->data, buf->len);
	stream = g_mime_stream_mem_new_with_byte_array(buf);
	g_mime_stream_mem_set_owner(GMIME_STREAM_MEM(stream), FALSE);
	parser = g_mime_parser_new_with_stream(stream);
	msg = g_mime_parser_construct_message(parser, NULL);
	g_object_unref(parser);
	if (msg != NULL)
		view_headers(mv, msg);
	if (too_large) {
		notice_add(&w, top, "message too large (%zu bytes), not shown", full_size);
	} else if (msg == NULL) {
		notice_add(&w, top, "not a MIME message: not shown");
	} else if (g_mime_message_get_mime_part(msg) == NULL) {
		notice_add(&w, top, "message without a body");
	} else {
		walk_object(&w, g_mime_message_get_mime_part(msg), top);
	}
	if (msg != NULL)
		g_object_unref(msg);
	g_object_unref(stream);
	buf->len = keep;
done:
	view_summarise(&w);
	g_array_unref(w.sig_forwarded);
	return mv;
}

int
mime_view_bytes(struct crypto *crypto, const char *data, size_t len,
    const struct mime_limits *lim, struct message_view **out, struct error *err)
{
	struct mime_limits def;
	GByteArray *buf;
	size_t keep;

	if (lim == NULL) {
		mime_limits_default(&def);
		lim = &def;
	}
	/* Past the limit only the head is parsed, so only the head is copied. */
	keep = len > lim->max_file ? header_end(data, lim->max_file) : len;
	if (keep > G_MAXUINT)
		return error_set(err, "message of %zu bytes is too large to parse", len);
	buf = g_byte_array_sized_new((guint)keep + 1);
	g_byte_array_append(buf, (const guint8 *)data, (guint)keep);
	*out = view_buffer(crypto, buf, len, lim);
	crypto_wipe_bytes(buf);
	return 0;
}

int
mime_view_file(struct crypto *crypto, const char *path,
    const struct mime_limits *lim, struct message_view **out, struct error *err)
{
	struct mime_limits def;
	struct stat st;
	GByteArray *buf;
	size_t want, full;
	ssize_t n;
	int fd;

	if (lim == NULL) {
		mime_limits_default(&def);
		lim = &def;
	}
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return error_set(err, "%s: cannot open: %s", path, strerror(errno));
	if (fstat(fd, &st) != 0) {
		int e = errno;

		close(fd);
		return error_set(err, "%s: cannot stat: %s", path, strerror(e));
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		return error_set(err, "%s: not a regular file", path);
	}
	full = (size_t)st.st_size;
	/* A message past the limit is read only far enough to find its headers. */
	want = full > lim->max_file ? MIN(lim->max_file, 4 * MIB) : full;
	if (want > G_MAXUINT - 1) {
		close(fd);
		return error_set(err, "%s: message of %zu bytes is too large to parse", path, full);
	}
	buf = g_byte_array_sized_new((guint)want + 1);
	g_byte_array_set_size(buf, (guint)want);
	for (size_t got = 0; got < want; got += (size_t)n) {
		n = read(fd, buf->data + got, want - got);
		if (n < 0 && errno == EINTR) {
			n = 0;
			continue;
		}
		if (n < 0) {
			int e = errno;

			close(fd);
			crypto_wipe_bytes(buf);
			return error_set(err, "%s: cannot read: %s", path, strerror(e));
		}
		if (n == 0) {
			g_byte_array_set_size(buf, (guint)got);
			break;
		}
	}
	close(fd);
	*out = view_buffer(crypto, buf, full, lim);
	crypto_wipe_bytes(buf);
	return 0;
}

char *
message_view_body(const struct message_view *mv)
{
	GString *out = g_string_new(NULL);

	for (guint i = 0; i < mv->blocks->len; i++) {
		const struct mime_block *b = mv->blocks->pdata[i];
		size_t start;

		/* A blank line between blocks: decrypted text never shares a line with anything else. */
		if (out->len > 0)
			g_string_append(out, "\n\n");
		start = out->len;
		switch (b->type) {
		case BLOCK_TEXT:
			g_string_append(out, b->text != NULL ? b->text : "");
			break;
		case BLOCK_ATTACHMENT:
			g_string_append_printf(out, "[attachment: %s, %s, %zu bytes]",
			    b->filename != NULL ? b->filename : "(no name)",
			    b->content_type != NULL ? b->content_type : "application/octet-stream",
			    b->size);
			break;
		case BLOCK_NOTICE:
			g_string_append_printf(out, "[%s]", b->text != NULL ? b->text : "");
			break;
		}
		while (out->len > start && (out->str[out->len - 1] == '\n' ||
		    out->str[out->len - 1] == '\r'))
			g_string_truncate(out, out->len - 1);
	}
	return g_string_free(out, FALSE);
}
