/* core/template.c: reply templates: lookup (team override, then shipped), header block, placeholders. */
#include "build-config.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <glib.h>

#include "core/template.h"

#ifndef EMBARGO_DATADIR
#define EMBARGO_DATADIR "/usr/local/share/embargo"
#endif

#define TEMPLATE_MAX_SIZE (64 * 1024)

const char *const template_shipped[] = {
	"ack", "response", "update", "fix-ready", "distros", "announce",
	"oss-security", NULL,
};

struct template_var {
	const char *name;
	const char *fallback;
};

static const struct template_var template_vars[] = {
#define X(n, f, h) { n, f },
	EMB_TEMPLATE_VARS(X)
#undef X
};

void
template_free(struct template *t)
{
	if (t == NULL)
		return;
	g_free(t->name);
	g_free(t->path);
	g_free(t->to);
	g_free(t->cc);
	g_free(t->subject);
	g_free(t->body);
	g_free(t);
}

char *
template_shipped_dir(void)
{
	const char *env = getenv("EMBARGO_DATADIR");

	if (env != NULL && *env != '\0')
		return g_build_filename(env, "templates", NULL);
	return g_build_filename(EMBARGO_DATADIR, "templates", NULL);
}

static char *
template_user_dir(void)
{
	const char *xdg = getenv("XDG_CONFIG_HOME");

	if (xdg != NULL && xdg[0] == '/')
		return g_build_filename(xdg, "embargo", "templates", NULL);
	return g_build_filename(g_get_home_dir(), ".config", "embargo",
	    "templates", NULL);
}

static bool
template_name_ok(const char *name)
{
	if (name == NULL || *name == '\0' || strlen(name) > 64)
		return false;
	for (const char *p = name; *p != '\0'; p++) {
		if (!g_ascii_isalnum(*p) && *p != '-' && *p != '_')
			return false;
	}
	return true;
}

int
template_find(const char *name, char **path, struct error *err)
{
	char *dirs[2], *p;
	struct stat sb;

	if (!template_name_ok(name))
		return error_set(err, "template \"%.64s\": a template name is letters, digits, - and _ "
		    "(shipped: ack, response, update, fix-ready, distros, announce, oss-security)",
		    name != NULL ? name : "");
	dirs[0] = template_user_dir();
	dirs[1] = template_shipped_dir();
	for (int i = 0; i < 2; i++) {
		p = g_build_filename(dirs[i], name, NULL);
		if (stat(p, &sb) == 0 && S_ISREG(sb.st_mode)) {
			*path = p;
			g_free(dirs[0]);
			g_free(dirs[1]);
			return 0;
		}
		g_free(p);
	}
	error_set(err, "no template \"%s\": neither %s/%s nor %s/%s exists", name,
	    dirs[0], name, dirs[1], name);
	g_free(dirs[0]);
	g_free(dirs[1]);
	return -1;
}

static const struct template_var *
var_lookup(const char *name, size_t len)
{
	for (size_t i = 0; i < G_N_ELEMENTS(template_vars); i++) {
		if (strlen(template_vars[i].name) == len &&
		    strncmp(template_vars[i].name, name, len) == 0)
			return &template_vars[i];
	}
	return NULL;
}

static char *
known_list(void)
{
	GString *s = g_string_new(NULL);

	for (size_t i = 0; i < G_N_ELEMENTS(template_vars); i++)
		g_string_append_printf(s, "%s%s", i > 0 ? " " : "", template_vars[i].name);
	return g_string_free(s, FALSE);
}

/* Control characters in a value taken from mail become spaces (one-line values) or stay as newlines. */
static void
append_clean(GString *out, const char *v, bool one_line)
{
	for (const char *p = v; *p != '\0'; p++) {
		unsigned char ch = (unsigned char)*p;

		if (ch == '\n' && !one_line)
			g_string_append_c(out, '\n');
		else if (ch < 0x20 || ch == 0x7f)
			g_string_append_c(out, ' ');
		else
			g_string_append_c(out, (char)ch);
	}
}

/* Replaces the placeholders of TEXT (from line LINE of WHERE) into OUT. */
static int
expand(const char *where, int line, const char *text, GHashTable *vars,
    bool one_line, GString *out, struct error *err)
{
	const char *p = text;

	while (*p != '\0') {
		const char *open = strstr(p, "{{"), *close, *n, *e;
		const struct template_var *var;
		const char *val;

		if (open == NULL) {
			g_string_append(out, p);
			break;
		}
		g_string_append_len(out, p, open - p);
		close = strstr(open + 2, "}}");
		n = open + 2;
		if (close == NULL || memchr(n, '\n', (size_t)(close - n)) != NULL)
			return error_set(err, "%s:%d: \"{{\" without a closing \"}}\"",
			    where, line);
		while (n < close && (*n == ' ' || *n == '\t'))
			n++;
		e = close;
		while (e > n && (e[-1] == ' ' || e[-1] == '\t'))
			e--;
		var = var_lookup(n, (size_t)(e - n));
		if (var == NULL) {
			char *known = known_list();

			error_set(err, "%s:%d: unknown placeholder {{%.*s}} (known: %s)",
			    where, line, (int)MIN(e - n, 64), n, known);
			g_free(known);
			return -1;
		}
		val = vars != NULL ? g_hash_table_lookup(vars, var->name) : NULL;
		if (val == NULL || (*val == '\0' && var->fallback != NULL && *var->fallback != '\0'))
			val = var->fallback;
		if (val == NULL)
			return error_set(err, "%s:%d: placeholder {{%s}} has no value for this case%s",
			    where, line, var->name,
			    g_str_has_suffix(var->name, "_list") ?
			    " (set it in the [mail] section of the config)" : "");
		append_clean(out, val, one_line);
		p = close + 2;
	}
	return 0;
}

/* "To: x" -> 't'; returns the header's slot in T, or NULL when LINE is not a header we know. */
static char **
header_slot(struct template *t, const char *line, const char **value)
{
	static const char *const names[] = { "To", "Cc", "Subject" };
	const char *colon = strchr(line, ':');

	if (colon == NULL)
		return NULL;
	for (size_t i = 0; i < G_N_ELEMENTS(names); i++) {
		size_t n = strlen(names[i]);

		if ((size_t)(colon - line) == n && g_ascii_strncasecmp(line, names[i], n) == 0) {
			*value = colon + 1;
			while (**value == ' ' || **value == '\t')
				(*value)++;
			return i == 0 ? &t->to : i == 1 ? &t->cc : &t->subject;
		}
	}
	return NULL;
}

int
template_render_text(const char *name, const char *where, const char *text,
    GHashTable *vars, struct template **out, struct error *err)
{
	struct template *t = g_new0(struct template, 1);
	char **lines;
	GString *body = g_string_new(NULL);
	size_t i = 0;
	int rc = -1;

	if (!g_utf8_validate(text, -1, NULL)) {
		error_set(err, "%s: not UTF-8 text", where);
		goto out_nolines;
	}
	t->name = g_strdup(name);
	lines = g_strsplit(text, "\n", -1);
	for (size_t k = 0; lines[k] != NULL; k++) {
		size_t l = strlen(lines[k]);

		if (l > 0 && lines[k][l - 1] == '\r')
			lines[k][l - 1] = '\0';
	}
	/* The header block, when the first line is a header we know. */
	if (lines[0] != NULL) {
		const char *v;

		if (header_slot(t, lines[0], &v) != NULL) {
			for (; lines[i] != NULL && lines[i][0] != '\0'; i++) {
				char **slot = header_slot(t, lines[i], &v);
				GString *hv;

				if (slot == NULL) {
					error_set(err, "%s:%zu: \"%.40s\" in the header block: expected "
					    "To:, Cc: or Subject:, or an empty line before the body",
					    where, i + 1, lines[i]);
					goto out;
				}
				if (*slot != NULL) {
					error_set(err, "%s:%zu: a second %.*s header", where, i + 1,
					    (int)(strchr(lines[i], ':') - lines[i]), lines[i]);
					goto out;
				}
				hv = g_string_new(NULL);
				if (expand(where, (int)i + 1, v, vars, true, hv, err) != 0) {
					g_string_free(hv, TRUE);
					goto out;
				}
				*slot = g_strstrip(g_string_free(hv, FALSE));
			}
			if (lines[i] != NULL)
				i++; /* the empty line */
		}
	}
	for (size_t first = i; lines[i] != NULL; i++) {
		if (i > first)
			g_string_append_c(body, '\n');
		if (expand(where, (int)i + 1, lines[i], vars, false, body, err) != 0)
			goto out;
	}
	t->body = g_string_free(body, FALSE);
	body = NULL;
	*out = t;
	t = NULL;
	rc = 0;
out:
	g_strfreev(lines);
out_nolines:
	if (body != NULL)
		g_string_free(body, TRUE);
	template_free(t);
	return rc;
}

int
template_render(const char *name, GHashTable *vars, struct template **out,
    struct error *err)
{
	GError *gerr = NULL;
	char *path, *text;
	gsize len;
	struct stat sb;
	int rc;

	if (template_find(name, &path, err) != 0)
		return -1;
	if (stat(path, &sb) == 0 && sb.st_size > TEMPLATE_MAX_SIZE) {
		error_set(err, "%s: template too large (%lld bytes, at most %d)", path,
		    (long long)sb.st_size, TEMPLATE_MAX_SIZE);
		g_free(path);
		return -1;
	}
	if (!g_file_get_contents(path, &text, &len, &gerr)) {
		error_set(err, "%s: cannot read the template: %s", path, gerr->message);
		g_error_free(gerr);
		g_free(path);
		return -1;
	}
	if (memchr(text, '\0', len) != NULL) {
		error_set(err, "%s: not UTF-8 text (it holds a NUL byte)", path);
		rc = -1;
	} else {
		rc = template_render_text(name, path, text, vars, out, err);
		if (rc == 0)
			(*out)->path = g_strdup(path);
	}
	g_free(text);
	g_free(path);
	return rc;
}
