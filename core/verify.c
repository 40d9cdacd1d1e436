/* core/verify.c: the [mail] team_reply = verified rule, one implementation for the facts and the message view. */
#include "build-config.h"

#include <string.h>

#include <glib.h>

#include "core/crypto.h"
#include "core/verify.h"

const char *
team_proof_name(enum team_proof p)
{
	static const char *const names[] = {
#define X(e, n) n,
		EMB_TEAM_PROOFS(X)
#undef X
	};

	if ((unsigned)p >= G_N_ELEMENTS(names))
		return "?";
	return names[p];
}

/* ---- The sent folder --------------------------------------------------------- */

bool
verify_in_folder(const char *root, const char *folder, const char *path)
{
	char *dir, *file;
	bool in;

	if (root == NULL || *root == '\0' || folder == NULL || *folder == '\0' ||
	    path == NULL || !g_path_is_absolute(path))
		return false;
	/* Canonical forms: "a//b", "a/./b" and "Sent/../INBOX" cannot pass for the folder. */
	dir = g_canonicalize_filename(folder, root);
	file = g_canonicalize_filename(path, NULL);
	in = strlen(file) > strlen(dir) + 1 && g_str_has_prefix(file, dir) &&
	    file[strlen(dir)] == '/' && strcmp(dir, "/") != 0;
	g_free(dir);
	g_free(file);
	return in;
}

/* ---- Authentication-Results (RFC 8601) -------------------------------------------- */

enum ar_tok { AR_END, AR_WORD, AR_QUOTED, AR_SEMI, AR_EQ, AR_BAD };

struct ar_lex {
	const char *p;
	GString *text; /* the current token's text (unescaped for AR_QUOTED) */
	const char *why; /* for AR_BAD */
};

/* Skips white space and (nested) comments; false on an unterminated comment. */
static bool
ar_skip_cfws(struct ar_lex *lx)
{
	for (;;) {
		while (*lx->p == ' ' || *lx->p == '\t' || *lx->p == '\r' || *lx->p == '\n')
			lx->p++;
		if (*lx->p != '(')
			return true;
		{
			int depth = 0;

			for (; *lx->p != '\0'; lx->p++) {
				if (*lx->p == '\\' && lx->p[1] != '\0')
					lx->p++;
				else if (*lx->p == '(')
					depth++;
				else if (*lx->p == ')' && --depth == 0)
					break;
			}
			if (*lx->p == '\0')
				return false;
			lx->p++;
		}
	}
}

static enum ar_tok
ar_next(struct ar_lex *lx)
{
	g_string_truncate(lx->text, 0);
	if (!ar_skip_cfws(lx)) {
		lx->why = "an unterminated comment";
		return AR_BAD;
	}
	switch (*lx->p) {
	case '\0':
		return AR_END;
	case ';':
		lx->p++;
		return AR_SEMI;
	case '=':
		lx->p++;
		return AR_EQ;
	case '"':
		for (lx->p++; *lx->p != '\0' && *lx->p != '"'; lx->p++) {
			if (*lx->p == '\\' && lx->p[1] != '\0')
				lx->p++;
			g_string_append_c(lx->text, *lx->p);
		}
		if (*lx->p != '"') {
			lx->why = "an unterminated quoted string";
			return AR_BAD;
		}
		lx->p++;
		return AR_QUOTED;
	default:
		break;
	}
	while (*lx->p != '\0' && strchr(" \t\r\n;=\"(", *lx->p) == NULL) {
		if ((unsigned char)*lx->p < 0x20 || *lx->p == 0x7f) {
			lx->why = "a control character";
			return AR_BAD;
		}
		g_string_append_c(lx->text, *lx->p++);
	}
	return AR_WORD;
}

static void
auth_result_free(struct auth_result *r)
{
	if (r == NULL)
		return;
	g_free(r->method);
	g_free(r->result);
	g_free(r->header_d);
	g_free(r->header_i);
	g_free(r);
}

void
auth_results_free(struct auth_results *ar)
{
	if (ar == NULL)
		return;
	g_free(ar->authserv_id);
	if (ar->results != NULL)
		g_ptr_array_unref(ar->results);
	g_free(ar);
}

static bool
all_digits(const char *s)
{
	if (*s == '\0')
		return false;
	for (; *s != '\0'; s++) {
		if (!g_ascii_isdigit(*s))
			return false;
	}
	return true;
}

/* Sets *SLOT to VALUE once; a property given twice makes the entry ambiguous. */
static bool
prop_set(char **slot, const char *value)
{
	if (*slot != NULL)
		return false;
	*slot = g_ascii_strdown(value, -1);
	return true;
}

/*
 * One resinfo after its ';': method[/version] = result, then key = value
 * properties up to the next ';' or the end.  Returns the token that ended
 * it (AR_SEMI or AR_END), or AR_BAD with *WHY set.
 */
static enum ar_tok
ar_resinfo(struct ar_lex *lx, enum ar_tok t, struct auth_results *ar,
    const char **why)
{
	struct auth_result *r;
	char *slash;

	if (t != AR_WORD) {
		*why = "expected method=result (e.g. dkim=pass) after ';'";
		return AR_BAD;
	}
	r = g_new0(struct auth_result, 1);
	r->method = g_ascii_strdown(lx->text->str, -1);
	if ((slash = strchr(r->method, '/')) != NULL) {
		if (!all_digits(slash + 1)) {
			*why = "a method version that is not a number";
			goto bad;
		}
		*slash = '\0';
	}
	if (*r->method == '\0' || (t = ar_next(lx)) != AR_EQ || (t = ar_next(lx)) != AR_WORD) {
		*why = t == AR_BAD ? lx->why : "expected method=result (e.g. dkim=pass) after ';'";
		goto bad;
	}
	r->result = g_ascii_strdown(lx->text->str, -1);
	for (;;) {
		char *key;

		t = ar_next(lx);
		if (t == AR_SEMI || t == AR_END)
			break;
		if (t != AR_WORD) {
			*why = t == AR_BAD ? lx->why : "expected ptype.property=value";
			goto bad;
		}
		key = g_ascii_strdown(lx->text->str, -1);
		if ((t = ar_next(lx)) != AR_EQ) {
			*why = t == AR_BAD ? lx->why : "expected '=' after a property name";
			g_free(key);
			goto bad;
		}
		t = ar_next(lx);
		if (t != AR_WORD && t != AR_QUOTED) {
			*why = t == AR_BAD ? lx->why : "expected a value after '='";
			g_free(key);
			goto bad;
		}
		if ((strcmp(key, "header.d") == 0 && !prop_set(&r->header_d, lx->text->str)) ||
		    (strcmp(key, "header.i") == 0 && !prop_set(&r->header_i, lx->text->str))) {
			*why = "a property given twice in one result";
			g_free(key);
			goto bad;
		}
		if (strcmp(key, "reason") != 0 && strchr(key, '.') == NULL) {
			*why = "expected ptype.property=value (e.g. header.d=example.org)";
			g_free(key);
			goto bad;
		}
		g_free(key);
	}
	g_ptr_array_add(ar->results, r);
	return t;
bad:
	auth_result_free(r);
	return AR_BAD;
}

int
auth_results_parse(const char *value, struct auth_results **out,
    struct error *err)
{
	struct ar_lex lx = { .p = value != NULL ? value : "", .text = g_string_new(NULL) };
	struct auth_results *ar = g_new0(struct auth_results, 1);
	const char *why = NULL;
	enum ar_tok t;

	ar->results = g_ptr_array_new_with_free_func((GDestroyNotify)auth_result_free);
	t = ar_next(&lx);
	if (t != AR_WORD && t != AR_QUOTED) {
		why = t == AR_BAD ? lx.why : "expected the authserv-id first";
		goto bad;
	}
	if (lx.text->len == 0) {
		why = "an empty authserv-id";
		goto bad;
	}
	ar->authserv_id = g_strdup(lx.text->str);
	t = ar_next(&lx);
	if (t == AR_WORD && all_digits(lx.text->str))
		t = ar_next(&lx);
	if (t != AR_SEMI) {
		why = t == AR_BAD ? lx.why :
		    "expected ';' after the authserv-id (and its version)";
		goto bad;
	}
	t = ar_next(&lx);
	if (t == AR_WORD && g_ascii_strcasecmp(lx.text->str, "none") == 0) {
		struct ar_lex peek = lx;
		GString *keep = g_string_new(NULL);

		/* "none" alone is no-result; "none=..." would be a method. */
		peek.text = keep;
		t = ar_next(&peek);
		g_string_free(keep, TRUE);
		if (t == AR_END) {
			g_string_free(lx.text, TRUE);
			*out = ar;
			return 0;
		}
		t = AR_WORD;
	}
	for (;;) {
		t = ar_resinfo(&lx, t, ar, &why);
		if (t == AR_BAD)
			goto bad;
		if (t == AR_END)
			break;
		t = ar_next(&lx);
	}
	g_string_free(lx.text, TRUE);
	*out = ar;
	return 0;
bad:
	error_set(err, "Authentication-Results \"%.80s\": %s", value != NULL ? value : "", why);
	g_string_free(lx.text, TRUE);
	auth_results_free(ar);
	return -1;
}

char *
auth_results_authserv_id(const char *value)
{
	struct ar_lex lx = { .p = value != NULL ? value : "", .text = g_string_new(NULL) };
	enum ar_tok t = ar_next(&lx);
	char *id = NULL;

	if ((t == AR_WORD || t == AR_QUOTED) && lx.text->len > 0)
		id = g_strdup(lx.text->str);
	g_string_free(lx.text, TRUE);
	return id;
}

/* DOMAIN equal to D (case-insensitive, a trailing dot ignored). */
static bool
domain_eq(const char *domain, const char *d)
{
	size_t a = strlen(domain), b = strlen(d);

	if (a > 0 && domain[a - 1] == '.')
		a--;
	if (b > 0 && d[b - 1] == '.')
		b--;
	return a > 0 && a == b && g_ascii_strncasecmp(domain, d, a) == 0;
}

bool
verify_dkim_pass(const char *authserv_id, const char *domain,
    GPtrArray *headers)
{
	struct auth_results *ar = NULL;
	struct error err;
	bool pass = false;
	guint i;

	if (authserv_id == NULL || *authserv_id == '\0' || domain == NULL ||
	    *domain == '\0' || headers == NULL)
		return false;
	for (i = 0; i < headers->len; i++) {
		char *id = auth_results_authserv_id(g_ptr_array_index(headers, i));
		bool ours = id != NULL && g_ascii_strcasecmp(id, authserv_id) == 0;

		g_free(id);
		if (ours)
			break;
	}
	/* Only the topmost header of ours counts, even when it does not parse. */
	if (i == headers->len || auth_results_parse(g_ptr_array_index(headers, i), &ar, &err) < 0)
		return false;
	for (i = 0; i < ar->results->len && !pass; i++) {
		const struct auth_result *r = g_ptr_array_index(ar->results, i);
		const char *idom;

		if (strcmp(r->method, "dkim") != 0 || strcmp(r->result, "pass") != 0)
			continue;
		if (r->header_d != NULL && domain_eq(domain, r->header_d))
			pass = true;
		if (r->header_i != NULL) {
			idom = strrchr(r->header_i, '@');
			idom = idom != NULL ? idom + 1 : r->header_i;
			if (domain_eq(domain, idom))
				pass = true;
		}
	}
	auth_results_free(ar);
	return pass;
}

/* ---- The rule ------------------------------------------------------------------- */

static enum team_proof
verify_signatures(const struct config *cfg, const char *from_addr,
    GPtrArray *sigs)
{
	guint i;

	for (i = 0; sigs != NULL && i < sigs->len; i++) {
		const struct crypto_signature *sig = g_ptr_array_index(sigs, i);

		if (sig->status != SIG_GOOD || sig->fpr == NULL)
			continue;
		if (cfg->team_key != NULL &&
		    g_ascii_strcasecmp(sig->fpr, cfg->team_key) == 0)
			return TEAM_PROOF_TEAM_KEY;
		/* A key merely claiming a handler's address has no validity: it does not count. */
		if (from_addr != NULL && config_is_handler(cfg, from_addr) &&
		    crypto_signature_has_email(sig, from_addr) &&
		    crypto_signature_validity_for(sig, from_addr) == VALIDITY_FULL)
			return TEAM_PROOF_HANDLER_KEY;
	}
	return TEAM_PROOF_NONE;
}

enum team_proof
verify_team_reply(const struct config *cfg, const struct team_evidence *ev)
{
	const char *at;

	if (verify_in_folder(ev->mail_root, cfg->sent_folder, ev->path))
		return TEAM_PROOF_SENT;
	at = ev->from_addr != NULL ? strrchr(ev->from_addr, '@') : NULL;
	if (at != NULL && verify_dkim_pass(cfg->authserv_id, at + 1, ev->auth_results))
		return TEAM_PROOF_DKIM;
	if (ev->sigs == NULL)
		return TEAM_PROOF_NONE;
	return verify_signatures(cfg, ev->from_addr, ev->sigs(ev->sigs_arg));
}
