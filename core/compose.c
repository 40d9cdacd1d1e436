/* core/compose.c: replies to reporters and lists: drafts from templates, the send plan, PGP/MIME, sendmail. */
#include "build-config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <glib.h>
#include <gmime/gmime.h>

#include "core/clock.h"
#include "core/compose.h"
#include "core/sanitize.h"
#include "core/mail.h"
#include "core/policy.h"
#include "core/store.h"

/* References kept in a reply: the first (the report) and the newest ones. */
#define MAX_REFERENCES 20
/* How long a send waits for notmuch's write lock before leaving the copy for `notmuch new`. */
#define INDEX_TIMEOUT_MS 5000
/* Lines of a failing sendmail's stderr put in the error. */
#define SENDMAIL_ERR_LINES 3

static void
wipe_free(char *s)
{
	if (s == NULL)
		return;
	explicit_bzero(s, strlen(s));
	g_free(s);
}

static void
gmime_init_once(void)
{
	static gsize done;

	if (g_once_init_enter(&done)) {
		g_mime_init();
		g_once_init_leave(&done, 1);
	}
}

/* S with every control character replaced by a space, trimmed.  New string. */
static char *
clean_line(const char *s)
{
	char *r = g_strdup(s != NULL ? s : "");

	for (char *p = r; *p != '\0'; p++) {
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = ' ';
	}
	return g_strstrip(r);
}

/* --- what the case and its thread say ------------------------------------------ */

static const char *
case_reporter(const struct case_view *cv)
{
	const struct mail_facts *f = &cv->sc->facts;

	return f->reply_to != NULL ? f->reply_to : f->reporter_addr;
}

static char *
format_day(time_t t)
{
	GDateTime *dt = g_date_time_new_from_unix_utc(t);
	char *s = dt != NULL ? g_date_time_format(dt, "%Y-%m-%d") : g_strdup("?");

	if (dt != NULL)
		g_date_time_unref(dt);
	return s;
}

static char *
format_when(const char *iso)
{
	time_t t;
	struct error e = { { 0 } };
	GDateTime *dt;
	char *s;

	if (clock_parse_iso8601(iso, &t, &e) != 0 ||
	    (dt = g_date_time_new_from_unix_utc(t)) == NULL)
		return g_strdup(iso);
	s = g_date_time_format(dt, "%Y-%m-%d %H:%M UTC");
	g_date_time_unref(dt);
	return s;
}

GHashTable *
compose_template_vars(struct app *app, const struct case_view *cv)
{
	GHashTable *v = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, g_free);
	const struct store_case *sc = cv->sc;
	const struct mail_facts *f = &sc->facts;
	const struct config *cfg = app->cfg;
	const char *s;

#define PUT(k, val) do { const char *v_ = (val); \
	if (v_ != NULL) g_hash_table_insert(v, (gpointer)(k), g_strdup(v_)); } while (0)
	g_hash_table_insert(v, (gpointer)"case", g_strdup_printf("%lld", (long long)sc->id));
	PUT("ref", sc->ref);
	if (sc->has_facts) {
		/* Names and subjects come from mail: no escape sequence goes into a reply. */
		g_hash_table_insert(v, (gpointer)"reporter_name", sanitize_text(
		    f->reporter_name != NULL && *f->reporter_name ?
		    f->reporter_name : case_reporter(cv), -1, SAN_LINE));
		PUT("reporter", case_reporter(cv));
		if (f->subject != NULL)
			g_hash_table_insert(v, (gpointer)"subject",
			    sanitize_text(f->subject, -1, SAN_LINE));
	}
	PUT("severity", store_case_field(sc, "severity"));
	if ((s = store_case_field(sc, "embargo")) != NULL && *s != '\0')
		g_hash_table_insert(v, (gpointer)"embargo", format_when(s));
	PUT("cve", store_case_field(sc, "cve"));
	PUT("affected", store_case_field(sc, "affected"));
	s = store_case_field(sc, "handler");
	PUT("handler", s != NULL && *s != '\0' ? s : cfg->team);
	g_hash_table_insert(v, (gpointer)"next_update",
	    format_day(policy_add(cfg, app->now, cfg->update)));
	PUT("me", cfg->me);
	PUT("team", cfg->team);
	PUT("distros_list", cfg->distros_list);
	PUT("oss_list", cfg->oss_list);
	PUT("announce_list", cfg->announce_list);
	g_hash_table_insert(v, (gpointer)"today", format_day(app->now));
#undef PUT
	return v;
}

/* A Message-ID we are willing to put in a header: no blanks, controls, brackets or quotes. */
static bool
msgid_ok(const char *id)
{
	size_t n = id != NULL ? strlen(id) : 0;

	if (n == 0 || n > 250)
		return false;
	for (const char *p = id; *p != '\0'; p++) {
		unsigned char ch = (unsigned char)*p;

		if (ch <= 0x20 || ch >= 0x7f || ch == '<' || ch == '>' || ch == '"' ||
		    ch == '\\' || ch == ',' || ch == ';')
			return false;
	}
	return true;
}

/* The <...> tokens of a References / In-Reply-To value, appended to IDS (without <>), valid ones only. */
static void
msgids_parse(const char *value, GPtrArray *ids)
{
	const char *p = value;

	while (p != NULL && (p = strchr(p, '<')) != NULL) {
		const char *close = strchr(p + 1, '>');
		char *id;

		if (close == NULL)
			break;
		id = g_strndup(p + 1, (gsize)(close - p - 1));
		if (msgid_ok(id))
			g_ptr_array_add(ids, id);
		else
			g_free(id);
		p = close + 1;
	}
}

static bool
ids_have(GPtrArray *ids, const char *id)
{
	for (guint i = 0; i < ids->len; i++) {
		if (strcmp(ids->pdata[i], id) == 0)
			return true;
	}
	return false;
}

/* In-Reply-To and References for a reply on THREAD (struct thread_message *). */
static void
threading(const struct case_view *cv, GPtrArray *thread, struct compose_draft *d)
{
	const struct thread_message *last = NULL;
	GPtrArray *refs = g_ptr_array_new_with_free_func(g_free);
	const char *last_id;

	for (guint i = 0; thread != NULL && i < thread->len; i++) {
		const struct thread_message *tm = thread->pdata[i];

		if (tm->mm != NULL && msgid_ok(tm->mm->msgid))
			last = tm;
	}
	last_id = last != NULL ? last->mm->msgid : cv->sc->facts.report_msgid;
	if (last != NULL && last->mv != NULL) {
		msgids_parse(last->mv->references, refs);
		if (refs->len == 0)
			msgids_parse(last->mv->in_reply_to, refs);
	}
	if (msgid_ok(last_id)) {
		g_free(d->in_reply_to);
		d->in_reply_to = g_strdup(last_id);
		g_ptr_array_add(refs, g_strdup(last_id));
	}
	g_ptr_array_set_size(d->references, 0);
	for (guint i = 0; i < refs->len; i++) {
		const char *id = refs->pdata[i];

		/* Keep the first (the thread's root) and the newest. */
		if (i > 0 && refs->len - i >= MAX_REFERENCES)
			continue;
		if (!ids_have(d->references, id))
			g_ptr_array_add(d->references, g_strdup(id));
	}
	g_ptr_array_unref(refs);
}

static char *
re_subject(const char *subject)
{
	char *s = clean_line(subject);
	char *r;

	if (g_ascii_strncasecmp(s, "re:", 3) == 0)
		return s;
	r = g_strdup_printf("Re: %s", s);
	g_free(s);
	return r;
}

static int
load_thread(struct app *app, const struct case_view *cv, GPtrArray *thread,
    GPtrArray **owned, struct error *err)
{
	*owned = NULL;
	if (thread != NULL)
		return 0;
	return app_thread(app, cv, owned, err);
}

int
compose_draft_from_template(struct app *app, const struct case_view *cv,
    const char *name, GPtrArray *thread, struct compose_draft **out,
    struct error *err)
{
	const struct mail_facts *f = &cv->sc->facts;
	struct compose_draft *d;
	struct template *t = NULL;
	GPtrArray *owned = NULL;
	GHashTable *vars;
	int rc;

	if (!cv->sc->has_facts || case_reporter(cv) == NULL)
		return error_set(err, "case %lld has no mail to reply to (its thread no "
		    "longer matches the query, or has no reporter)", (long long)cv->sc->id);
	vars = compose_template_vars(app, cv);
	rc = template_render(name, vars, &t, err);
	g_hash_table_unref(vars);
	if (rc != 0)
		return -1;
	if (load_thread(app, cv, thread, &owned, err) != 0) {
		template_free(t);
		return -1;
	}
	d = compose_draft_new(cv->sc->id);
	d->template_name = g_strdup(name);
	if (t->to != NULL || t->cc != NULL) {
		if (compose_draft_set_recipients(d, t->to != NULL ? t->to : "",
		    t->cc != NULL ? t->cc : "", err) != 0) {
			error_prefix(err, "%s", t->path != NULL ? t->path : name);
			goto fail;
		}
	}
	if (t->to == NULL) {
		struct mail_addr *a = g_new0(struct mail_addr, 1);

		a->addr = g_ascii_strdown(case_reporter(cv), -1);
		/* The display name belongs to From; a Reply-To address gets none. */
		if (f->reply_to == NULL && f->reporter_name != NULL && *f->reporter_name)
			a->name = clean_line(f->reporter_name);
		g_ptr_array_insert(d->to, 0, a);
	}
	if (t->subject != NULL)
		compose_draft_set_subject(d, t->subject);
	else {
		d->subject = re_subject(f->subject);
	}
	compose_draft_set_body(d, t->body);
	threading(cv, owned != NULL ? owned : thread, d);
	template_free(t);
	if (owned != NULL)
		g_ptr_array_unref(owned);
	*out = d;
	return 0;
fail:
	template_free(t);
	if (owned != NULL)
		g_ptr_array_unref(owned);
	compose_draft_free(d);
	return -1;
}

/* --- the plan ------------------------------------------------------------------- */

static void
recipient_free(struct compose_recipient *r)
{
	if (r == NULL)
		return;
	g_free(r->addr);
	g_free(r->name);
	g_free(r->pinned_fpr);
	crypto_key_choice_clear(&r->key);
	g_free(r);
}

void
compose_plan_free(struct compose_plan *p)
{
	if (p == NULL)
		return;
	g_ptr_array_unref(p->recipients);
	g_free(p->must_encrypt_why);
	crypto_key_choice_clear(&p->signer);
	crypto_key_choice_clear(&p->team_enc);
	g_free(p->from);
	g_ptr_array_unref(p->warnings);
	g_ptr_array_unref(p->refusals);
	g_ptr_array_unref(p->lines);
	g_free(p);
}

bool
compose_plan_ok(const struct compose_plan *p)
{
	return p != NULL && p->refusals->len == 0;
}

/*
 * Whether ADDR can go into a To or Cc header we hand to sendmail: one '@',
 * a dot-atom local part (no quoted strings), no blanks or controls, and no
 * leading '-' (which a careless MTA would take for an option).  WHY names
 * the problem.
 */
static bool
addr_ok(const char *addr, const char **why)
{
	const char *at = addr != NULL ? strrchr(addr, '@') : NULL;

	if (addr == NULL || *addr == '\0') {
		*why = "empty address";
		return false;
	}
	if (addr[0] == '-') {
		*why = "it starts with '-', like a command-line option";
		return false;
	}
	if (at == NULL || at == addr || at[1] == '\0' || strchr(addr, '@') != at) {
		*why = "expected exactly one '@' between a user and a domain";
		return false;
	}
	if (strlen(addr) > 254) {
		*why = "longer than 254 characters";
		return false;
	}
	for (const char *p = addr; *p != '\0'; p++) {
		unsigned char ch = (unsigned char)*p;

		if (ch >= 0x80 || g_ascii_isalnum(ch) || strchr(".!#$%&'*+/=?^_`{|}~-@", ch))
			continue;
		*why = "it holds characters not allowed in an address (blanks, quotes, "
		    "brackets, controls)";
		return false;
	}
	if (at[1] == '-' || at[1] == '.' || addr[0] == '.' || at[-1] == '.') {
		*why = "a malformed user or domain part";
		return false;
	}
	return true;
}

/* The first key that made a good signature on mail from ADDR in the thread and carries ADDR. */
static char *
pinned_key(GPtrArray *thread, const char *addr)
{
	for (guint i = 0; thread != NULL && i < thread->len; i++) {
		const struct thread_message *tm = thread->pdata[i];
		const struct message_view *mv = tm->mv;

		if (mv == NULL || mv->from_addr == NULL || mv->signatures == NULL ||
		    g_ascii_strcasecmp(mv->from_addr, addr) != 0)
			continue;
		for (guint k = 0; k < mv->signatures->len; k++) {
			const struct crypto_signature *sig = mv->signatures->pdata[k];

			if (sig->status == SIG_GOOD && sig->fpr != NULL &&
			    crypto_signature_has_email(sig, addr))
				return g_strdup(sig->fpr);
		}
	}
	return NULL;
}

static bool
is_recipient(const struct compose_plan *p, const char *addr)
{
	for (guint i = 0; i < p->recipients->len; i++) {
		const struct compose_recipient *r = p->recipients->pdata[i];

		if (g_ascii_strcasecmp(r->addr, addr) == 0)
			return true;
	}
	return false;
}

static void
add_unique(GPtrArray *list, char *msg)
{
	for (guint i = 0; i < list->len; i++) {
		if (strcmp(list->pdata[i], msg) == 0) {
			g_free(msg);
			return;
		}
	}
	g_ptr_array_add(list, msg);
}

/*
 * Later mail may ask for replies elsewhere (Reply-To), copy in others (Cc)
 * or come from someone else: the reply still goes to the reporter pinned in
 * the store, and the user is told.
 */
static void
thread_warnings(struct app *app, const struct case_view *cv, GPtrArray *thread,
    struct compose_plan *p)
{
	const struct mail_facts *f = &cv->sc->facts;
	const char *pinned = case_reporter(cv);

	if (!is_recipient(p, pinned))
		return;
	for (guint i = 0; thread != NULL && i < thread->len; i++) {
		const struct thread_message *tm = thread->pdata[i];
		const struct message_view *mv = tm->mv;
		const char *id = tm->mm != NULL ? tm->mm->msgid : "?";
		GPtrArray *list;

		if (mv == NULL || tm->from_team)
			continue;
		if (mv->from_addr != NULL && g_ascii_strcasecmp(mv->from_addr, pinned) != 0 &&
		    (f->reporter_addr == NULL ||
		    g_ascii_strcasecmp(mv->from_addr, f->reporter_addr) != 0))
			add_unique(p->warnings, g_strdup_printf(
			    "message <%s> is from %s, not the case's reporter; this reply goes to %s only",
			    id, mv->from_addr, pinned));
		list = mail_addr_list_parse(mv->reply_to);
		for (guint k = 0; k < list->len; k++) {
			const struct mail_addr *a = list->pdata[k];

			if (g_ascii_strcasecmp(a->addr, pinned) != 0)
				add_unique(p->warnings, g_strdup_printf(
				    "message <%s> asks for replies to %s (Reply-To); this reply still "
				    "goes to the case's reporter %s", id, a->addr, pinned));
		}
		g_ptr_array_unref(list);
		list = mail_addr_list_parse(mv->cc);
		for (guint k = 0; k < list->len; k++) {
			const struct mail_addr *a = list->pdata[k];

			if (config_is_team_address(app->cfg, a->addr) || is_recipient(p, a->addr) ||
			    (f->reporter_addr != NULL &&
			    g_ascii_strcasecmp(a->addr, f->reporter_addr) == 0))
				continue;
			add_unique(p->warnings, g_strdup_printf(
			    "message <%s> has %s in Cc; they are not sent this reply (add them to Cc "
			    "to include them)", id, a->addr));
		}
		g_ptr_array_unref(list);
	}
}

static char *
key_fix(const char *addr, const struct crypto_key_choice *k)
{
	const char *verb = k->problem == KEY_MISSING ? "import it" : "import a usable one";
	char *fpr = k->fpr != NULL ? g_strdup_printf(" %s", k->fpr) : g_strdup("");
	char *s;

	if (k->problem == KEY_NOT_PINNED)
		s = g_strdup_printf("%s has no usable OpenPGP key (%s%s): only the key that "
		    "signed their mail in this case may be used; import it with `gpg --import "
		    "KEYFILE`, then try again", addr, key_problem_name(k->problem), fpr);
	else
		s = g_strdup_printf("%s has no usable OpenPGP key (%s%s): %s with `gpg --import "
		    "KEYFILE` or `gpg --locate-keys %s`, then try again", addr,
		    key_problem_name(k->problem), fpr, verb, addr);
	g_free(fpr);
	return s;
}

/* The display name of a user id "Name <addr>", or NULL. */
static char *
uid_name(const char *uid)
{
	const char *lt = uid != NULL ? strchr(uid, '<') : NULL;
	char *raw, *n;

	if (lt == NULL || lt == uid)
		return NULL;
	raw = g_strndup(uid, (gsize)(lt - uid));
	n = clean_line(raw);
	g_free(raw);
	return n;
}

static char *
addr_display(const char *name, const char *addr)
{
	if (name != NULL && *name != '\0')
		return g_strdup_printf("%s <%s>", name, addr);
	return g_strdup(addr);
}

static char *
addr_list_display(GPtrArray *list)
{
	GString *s = g_string_new(NULL);

	for (guint i = 0; i < list->len; i++) {
		const struct mail_addr *a = list->pdata[i];
		char *n = a->name != NULL ? clean_line(a->name) : NULL;
		char *d = addr_display(n, a->addr);

		g_string_append_printf(s, "%s%s", i > 0 ? ", " : "", d);
		g_free(d);
		g_free(n);
	}
	return g_string_free(s, FALSE);
}

static void
plan_lines(const struct compose_draft *d, struct compose_plan *p)
{
	GPtrArray *l = p->lines;
	char *to = addr_list_display(d->to), *cc = addr_list_display(d->cc);

	g_ptr_array_add(l, g_strdup_printf("From: %s", p->from != NULL ? p->from : "(none)"));
	g_ptr_array_add(l, g_strdup_printf("To: %s", to));
	if (d->cc->len > 0)
		g_ptr_array_add(l, g_strdup_printf("Cc: %s", cc));
	g_free(to);
	g_free(cc);
	g_ptr_array_add(l, g_strdup_printf("Subject: %s", d->subject ? d->subject : ""));
	if (d->in_reply_to != NULL)
		g_ptr_array_add(l, g_strdup_printf("In-Reply-To: <%s>", d->in_reply_to));
	for (guint i = 0; i < p->recipients->len; i++) {
		const struct compose_recipient *r = p->recipients->pdata[i];

		if (p->encrypt)
			g_ptr_array_add(l, g_strdup_printf("%s: encrypted to %s %s", r->addr,
			    r->key.uid, r->key.fpr));
		else if (r->key.problem == KEY_OK)
			g_ptr_array_add(l, g_strdup_printf("%s: NOT ENCRYPTED", r->addr));
		else
			g_ptr_array_add(l, g_strdup_printf("%s: NOT ENCRYPTED (no usable key: %s)",
			    r->addr, key_problem_name(r->key.problem)));
	}
	if (p->encrypt && p->team_enc.problem == KEY_OK)
		g_ptr_array_add(l, g_strdup_printf("team copy: encrypted to %s %s",
		    p->team_enc.uid ? p->team_enc.uid : "", p->team_enc.fpr));
	if (p->signer.problem == KEY_OK)
		g_ptr_array_add(l, g_strdup_printf("signed by %s %s",
		    p->signer.uid ? p->signer.uid : "", p->signer.fpr));
	else
		g_ptr_array_add(l, g_strdup("NOT SIGNED"));
	for (guint i = 0; i < p->warnings->len; i++)
		g_ptr_array_add(l, g_strdup_printf("warning: %s", (char *)p->warnings->pdata[i]));
	for (guint i = 0; i < p->refusals->len; i++)
		g_ptr_array_add(l, g_strdup_printf("refused: %s", (char *)p->refusals->pdata[i]));
}

static bool
is_public_list(const struct config *cfg, const char *addr)
{
	return (cfg->oss_list != NULL && g_ascii_strcasecmp(addr, cfg->oss_list) == 0) ||
	    (cfg->announce_list != NULL && g_ascii_strcasecmp(addr, cfg->announce_list) == 0);
}

int
compose_plan_new(struct app *app, const struct case_view *cv,
    const struct compose_draft *d, GPtrArray *thread,
    struct compose_plan **out, struct error *err)
{
	const struct config *cfg = app->cfg;
	const char *cfgname = cfg->path != NULL ? cfg->path : "the config file";
	struct compose_plan *p;
	GPtrArray *owned = NULL, *th;
	bool all_usable = true, all_public = true;

	if (app_open_crypto(app, err) != 0)
		return -1;
	if (cv->sc->has_facts && load_thread(app, cv, thread, &owned, err) != 0)
		return -1;
	th = owned != NULL ? owned : thread;

	p = g_new0(struct compose_plan, 1);
	p->recipients = g_ptr_array_new_with_free_func((GDestroyNotify)recipient_free);
	p->warnings = g_ptr_array_new_with_free_func(g_free);
	p->refusals = g_ptr_array_new_with_free_func(g_free);
	p->lines = g_ptr_array_new_with_free_func(g_free);

	/* The team key signs everything. */
	if (cfg->team_key == NULL)
		g_ptr_array_add(p->refusals, g_strdup_printf("no team key to sign with: set "
		    "[crypto] team_key in %s to the fingerprint of the team's key", cfgname));
	else {
		if (crypto_signing_key(app->crypto, cfg->team_key, &p->signer, err) != 0 ||
		    crypto_key_by_fpr(app->crypto, cfg->team_key, true, &p->team_enc, err) != 0)
			goto fail;
		if (p->signer.problem != KEY_OK)
			g_ptr_array_add(p->refusals, g_strdup_printf("the team key %s cannot sign "
			    "(%s): %s, or fix [crypto] team_key in %s", cfg->team_key,
			    key_problem_name(p->signer.problem),
			    p->signer.problem == KEY_MISSING || p->signer.problem == KEY_NO_SECRET ?
			    "import its secret key with `gpg --import SECRETKEYFILE`" :
			    "renew or replace it", cfgname));
	}
	if (cfg->team == NULL)
		g_ptr_array_add(p->refusals, g_strdup_printf("no team address to send from: "
		    "set [mail] team in %s", cfgname));
	else {
		char *name = p->signer.problem == KEY_OK ? uid_name(p->signer.uid) : NULL;

		p->from = addr_display(name, cfg->team);
		g_free(name);
	}

	if (d->to->len == 0)
		g_ptr_array_add(p->refusals, g_strdup("no recipient: To is empty"));
	for (int pass = 0; pass < 2; pass++) {
		GPtrArray *list = pass == 0 ? d->to : d->cc;

		for (guint i = 0; i < list->len; i++) {
			const struct mail_addr *a = list->pdata[i];
			struct compose_recipient *r;
			const char *why;

			if (!addr_ok(a->addr, &why)) {
				g_ptr_array_add(p->refusals, g_strdup_printf(
				    "cannot send to \"%.80s\": %s", a->addr ? a->addr : "", why));
				all_usable = false;
				continue;
			}
			if (is_recipient(p, a->addr))
				continue;
			r = g_new0(struct compose_recipient, 1);
			r->addr = g_ascii_strdown(a->addr, -1);
			r->name = a->name != NULL ? clean_line(a->name) : NULL;
			r->cc = pass == 1;
			r->pinned_fpr = pinned_key(th, r->addr);
			g_ptr_array_add(p->recipients, r);
			if (crypto_key_for_address(app->crypto, r->addr, r->pinned_fpr,
			    &r->key, err) != 0)
				goto fail;
			if (r->key.problem != KEY_OK)
				all_usable = false;
			if (!is_public_list(cfg, r->addr))
				all_public = false;
		}
	}

	/* The rule: encrypted or not sent when the reporter wrote encrypted or encrypt = always. */
	if (cfg->encrypt == ENCRYPT_ALWAYS) {
		p->must_encrypt = true;
		p->must_encrypt_why = g_strdup("[crypto] encrypt = always");
	} else if (cv->sc->has_facts && cv->sc->facts.reporter_encrypted && !all_public) {
		p->must_encrypt = true;
		p->must_encrypt_why = g_strdup("the reporter wrote encrypted");
	}
	p->encrypt = all_usable && p->recipients->len > 0 &&
	    p->team_enc.problem == KEY_OK && p->team_enc.fpr != NULL;
	if (p->must_encrypt && !p->encrypt) {
		for (guint i = 0; i < p->recipients->len; i++) {
			const struct compose_recipient *r = p->recipients->pdata[i];

			if (r->key.problem != KEY_OK) {
				char *fix = key_fix(r->addr, &r->key);

				g_ptr_array_add(p->refusals, g_strdup_printf("%s (encryption is "
				    "required: %s)", fix, p->must_encrypt_why));
				g_free(fix);
			}
		}
		if (cfg->team_key != NULL && p->team_enc.problem != KEY_OK)
			g_ptr_array_add(p->refusals, g_strdup_printf("the team key %s cannot "
			    "encrypt (%s), so the team could not read its own copy (encryption "
			    "is required: %s)", cfg->team_key,
			    key_problem_name(p->team_enc.problem), p->must_encrypt_why));
	}
	if (cv->sc->has_facts)
		thread_warnings(app, cv, th, p);
	plan_lines(d, p);
	if (owned != NULL)
		g_ptr_array_unref(owned);
	*out = p;
	return 0;
fail:
	if (owned != NULL)
		g_ptr_array_unref(owned);
	compose_plan_free(p);
	return -1;
}

/* --- the message (RFC 5322, RFC 3156) -------------------------------------------- */

/* Whether BODY can go out as 7bit text (plain ASCII, short lines, no trailing blanks, no "From "). */
static bool
body_is_7bit(const char *body)
{
	size_t col = 0;

	for (const char *p = body; *p != '\0'; p++) {
		unsigned char ch = (unsigned char)*p;

		if (ch >= 0x80 || (ch < 0x20 && ch != '\n' && ch != '\t') || ch == 0x7f)
			return false;
		if (ch == '\n') {
			if (p > body && (p[-1] == ' ' || p[-1] == '\t'))
				return false;
			col = 0;
			continue;
		}
		if (col == 0 && strncmp(p, "From ", 5) == 0)
			return false;
		if (++col > 76)
			return false;
	}
	return true;
}

static GMimeFormatOptions *
unix_format(void)
{
	GMimeFormatOptions *fo = g_mime_format_options_new();

	g_mime_format_options_set_newline_format(fo, GMIME_NEWLINE_FORMAT_UNIX);
	return fo;
}

/* LF -> CRLF (RFC 3156: signatures are over the canonical form).  New string. */
static GByteArray *
crlf(const char *s, size_t len)
{
	GByteArray *b = g_byte_array_sized_new((guint)(len + len / 32 + 16));

	for (size_t i = 0; i < len; i++) {
		if (s[i] == '\n' && (i == 0 || s[i - 1] != '\r'))
			g_byte_array_append(b, (const guint8 *)"\r", 1);
		g_byte_array_append(b, (const guint8 *)&s[i], 1);
	}
	return b;
}

/*
 * The signed or encrypted entity: text/plain; charset=utf-8, 7bit or
 * quoted-printable.  Returned serialised (*TEXT, wipe and free) and parsed
 * back, so the part put in the message is byte for byte what was signed.
 */
static GMimeObject *
inner_part(const char *body, GMimeFormatOptions *fo, char **text)
{
	GMimeTextPart *tp = g_mime_text_part_new_with_subtype("plain");
	GString *b = g_string_new(body);
	GMimeParser *parser;
	GMimeStream *ms;
	GMimeObject *parsed;

	if (b->len == 0 || b->str[b->len - 1] != '\n')
		g_string_append_c(b, '\n');
	g_mime_text_part_set_text(tp, b->str);
	g_mime_text_part_set_charset(tp, "utf-8");
	g_mime_part_set_content_encoding(GMIME_PART(tp), body_is_7bit(b->str) ?
	    GMIME_CONTENT_ENCODING_7BIT : GMIME_CONTENT_ENCODING_QUOTEDPRINTABLE);
	explicit_bzero(b->str, b->len);
	g_string_free(b, TRUE);
	*text = g_mime_object_to_string(GMIME_OBJECT(tp), fo);
	g_object_unref(tp);

	ms = g_mime_stream_mem_new_with_buffer(*text, strlen(*text));
	parser = g_mime_parser_new_with_stream(ms);
	parsed = g_mime_parser_construct_part(parser, NULL);
	g_object_unref(parser);
	g_object_unref(ms);
	return parsed;
}

static GMimePart *
leaf_part(const char *type, const char *subtype, const char *data, size_t len,
    const char *name, const char *description)
{
	GMimePart *part = g_mime_part_new_with_type(type, subtype);
	GMimeStream *st = g_mime_stream_mem_new_with_buffer(data, len);
	GMimeDataWrapper *dw = g_mime_data_wrapper_new_with_stream(st,
	    GMIME_CONTENT_ENCODING_DEFAULT);

	g_mime_part_set_content(part, dw);
	g_mime_part_set_content_encoding(part, GMIME_CONTENT_ENCODING_7BIT);
	if (name != NULL) {
		g_mime_object_set_content_type_parameter(GMIME_OBJECT(part), "name", name);
		g_mime_object_set_disposition(GMIME_OBJECT(part), "inline");
		g_mime_part_set_filename(part, name);
	}
	if (description != NULL)
		g_mime_object_set_header(GMIME_OBJECT(part), "Content-Description",
		    description, NULL);
	g_object_unref(dw);
	g_object_unref(st);
	return part;
}

static void
add_mailboxes(GMimeMessage *m, GMimeAddressType type, GPtrArray *list)
{
	for (guint i = 0; i < list->len; i++) {
		const struct mail_addr *a = list->pdata[i];
		char *name = a->name != NULL ? clean_line(a->name) : NULL;
		char *addr = clean_line(a->addr);

		g_mime_message_add_mailbox(m, type, name != NULL && *name ? name : NULL, addr);
		g_free(name);
		g_free(addr);
	}
}

/* The RFC 3156 multipart/encrypted carrying the armoured CRYPT. */
static GMimeMultipart *
encrypted_multipart(const GByteArray *crypt)
{
	GMimePart *ver = leaf_part("application", "pgp-encrypted", "Version: 1\n", 11,
	    NULL, "PGP/MIME version identification");
	GMimePart *enc = leaf_part("application", "octet-stream",
	    (const char *)crypt->data, crypt->len, "encrypted.asc",
	    "OpenPGP encrypted message");
	GMimeMultipart *mp = g_mime_multipart_new_with_subtype("encrypted");

	g_mime_object_set_content_type_parameter(GMIME_OBJECT(mp), "protocol",
	    "application/pgp-encrypted");
	g_mime_multipart_add(mp, GMIME_OBJECT(ver));
	g_mime_multipart_add(mp, GMIME_OBJECT(enc));
	g_object_unref(ver);
	g_object_unref(enc);
	return mp;
}

GMimeObject *
compose_encrypt_entity(struct app *app, GMimeObject *entity,
    const char *const *recipients, const char *signer_fpr, struct error *err)
{
	GMimeFormatOptions *fo;
	GByteArray *canon, *crypt = NULL;
	char *text;
	int rc;

	if (app_open_crypto(app, err) != 0)
		return NULL;
	gmime_init_once();
	fo = unix_format();
	text = g_mime_object_to_string(entity, fo);
	g_mime_format_options_free(fo);
	canon = crlf(text, strlen(text));
	wipe_free(text);
	rc = crypto_encrypt_sign(app->crypto, recipients, signer_fpr,
	    (const char *)canon->data, canon->len, &crypt, err);
	if (canon->len > 0)
		explicit_bzero(canon->data, canon->len);
	g_byte_array_unref(canon);
	if (rc != 0)
		return NULL;
	entity = GMIME_OBJECT(encrypted_multipart(crypt));
	g_byte_array_unref(crypt);
	return entity;
}

static char *
new_msgid(const struct config *cfg)
{
	const char *at = cfg->team != NULL ? strrchr(cfg->team, '@') : NULL;
	char uuid[37];

	store_uuid_new(uuid);
	return g_strdup_printf("embargo.%s@%s", uuid,
	    at != NULL && msgid_ok(at + 1) ? at + 1 : "localhost");
}

char *
compose_new_msgid(const struct config *cfg)
{
	return new_msgid(cfg);
}

int
compose_build(struct app *app, const struct compose_draft *d,
    const struct compose_plan *plan, GByteArray **out, char **msgid,
    struct error *err)
{
	const struct config *cfg = app->cfg;
	GMimeFormatOptions *fo;
	GMimeMultipart *mp = NULL;
	GMimeMessage *m;
	GMimeObject *inner;
	GByteArray *canon, *crypt = NULL;
	GDateTime *dt;
	char *text, *id, *subject, *name, *s;
	int rc;

	if (!compose_plan_ok(plan))
		return error_set(err, "not sent: %s", plan != NULL && plan->refusals->len > 0 ?
		    (const char *)plan->refusals->pdata[0] : "no plan");
	if (app_open_crypto(app, err) != 0)
		return -1;
	gmime_init_once();
	fo = unix_format();
	inner = inner_part(d->body, fo, &text);
	canon = crlf(text, strlen(text));
	wipe_free(text);

	if (plan->encrypt) {
		GPtrArray *fprs = g_ptr_array_new();

		for (guint i = 0; i < plan->recipients->len; i++) {
			const struct compose_recipient *r = plan->recipients->pdata[i];

			g_ptr_array_add(fprs, r->key.fpr);
		}
		g_ptr_array_add(fprs, plan->team_enc.fpr);
		g_ptr_array_add(fprs, NULL);
		rc = crypto_encrypt_sign(app->crypto, (const char *const *)fprs->pdata,
		    plan->signer.fpr, (const char *)canon->data, canon->len, &crypt, err);
		g_ptr_array_unref(fprs);
		if (rc == 0)
			mp = encrypted_multipart(crypt);
	} else {
		char *micalg = NULL;

		rc = crypto_sign_detached(app->crypto, plan->signer.fpr,
		    (const char *)canon->data, canon->len, &crypt, &micalg, err);
		if (rc == 0) {
			GMimePart *sig = leaf_part("application", "pgp-signature",
			    (const char *)crypt->data, crypt->len, "signature.asc",
			    "OpenPGP digital signature");

			mp = g_mime_multipart_new_with_subtype("signed");
			g_mime_object_set_content_type_parameter(GMIME_OBJECT(mp), "micalg", micalg);
			g_mime_object_set_content_type_parameter(GMIME_OBJECT(mp), "protocol",
			    "application/pgp-signature");
			g_mime_multipart_add(mp, inner);
			g_mime_multipart_add(mp, GMIME_OBJECT(sig));
			g_object_unref(sig);
		}
		g_free(micalg);
	}
	if (canon->len > 0)
		explicit_bzero(canon->data, canon->len);
	g_byte_array_unref(canon);
	g_object_unref(inner);
	if (crypt != NULL)
		g_byte_array_unref(crypt);
	if (rc != 0) {
		g_mime_format_options_free(fo);
		return error_prefix(err, "not sent");
	}

	m = g_mime_message_new(TRUE);
	name = uid_name(plan->signer.uid);
	s = clean_line(cfg->team);
	g_mime_message_add_mailbox(m, GMIME_ADDRESS_TYPE_FROM, name, s);
	g_free(name);
	g_free(s);
	add_mailboxes(m, GMIME_ADDRESS_TYPE_TO, d->to);
	add_mailboxes(m, GMIME_ADDRESS_TYPE_CC, d->cc);
	subject = clean_line(d->subject);
	g_mime_message_set_subject(m, subject, "utf-8");
	g_free(subject);
	dt = g_date_time_new_from_unix_utc(app->now);
	g_mime_message_set_date(m, dt);
	g_date_time_unref(dt);
	id = new_msgid(cfg);
	g_mime_message_set_message_id(m, id);
	if (d->in_reply_to != NULL && msgid_ok(d->in_reply_to)) {
		s = g_strdup_printf("<%s>", d->in_reply_to);
		g_mime_object_set_header(GMIME_OBJECT(m), "In-Reply-To", s, NULL);
		g_free(s);
	}
	if (d->references->len > 0) {
		GString *refs = g_string_new(NULL);

		for (guint i = 0; i < d->references->len; i++) {
			const char *r = d->references->pdata[i];

			if (msgid_ok(r))
				g_string_append_printf(refs, "%s<%s>", refs->len ? " " : "", r);
		}
		if (refs->len > 0)
			g_mime_object_set_header(GMIME_OBJECT(m), "References", refs->str, NULL);
		g_string_free(refs, TRUE);
	}
	g_mime_message_set_mime_part(m, GMIME_OBJECT(mp));
	g_object_unref(mp);

	s = g_mime_object_to_string(GMIME_OBJECT(m), fo);
	*out = g_byte_array_new_take((guint8 *)s, strlen(s));
	*msgid = id;
	g_object_unref(m);
	g_mime_format_options_free(fo);
	return 0;
}

/* --- sending ------------------------------------------------------------------- */

/* The first lines of OUT, on one line, for an error message.  New string. */
static char *
first_lines(const GString *out)
{
	GString *s = g_string_new(NULL);
	int lines = 0;
	char *t, *clean;

	if (out == NULL || out->len == 0)
		return g_string_free(s, FALSE);
	t = g_strndup(out->str, MIN(out->len, 1024));
	for (char *l = strtok(t, "\n"); l != NULL && lines < SENDMAIL_ERR_LINES;
	    l = strtok(NULL, "\n")) {
		char *c = clean_line(l);

		if (*c != '\0') {
			g_string_append_printf(s, "%s%s", lines > 0 ? " / " : "", c);
			lines++;
		}
		g_free(c);
	}
	g_free(t);
	clean = g_utf8_make_valid(s->str, -1);
	g_string_free(s, TRUE);
	return clean;
}

/*
 * Runs CMD with /bin/sh -c, MSG on its standard input, its standard output
 * and error collected (the first 4 KiB).  Plain fork and exec, no GLib
 * child watch: a SIGCHLD handler or helper thread would get in the way of
 * gpgme's and notmuch's own children.  *STATUS is waitpid's.
 */
static int
spawn_feed(const char *cmd, const GByteArray *msg, GString *out, int *status,
    bool *short_write, struct error *err)
{
	int in[2] = { -1, -1 }, outp[2] = { -1, -1 };
	size_t off = 0;
	pid_t pid;

	*short_write = false;
	if (pipe2(in, O_CLOEXEC) != 0 || pipe2(outp, O_CLOEXEC) != 0) {
		error_set(err, "not sent: cannot run \"%s\": pipe: %s", cmd, strerror(errno));
		goto fail;
	}
	pid = fork();
	if (pid < 0) {
		error_set(err, "not sent: cannot run \"%s\": fork: %s", cmd, strerror(errno));
		goto fail;
	}
	if (pid == 0) {
		if (dup2(in[0], 0) < 0 || dup2(outp[1], 1) < 0 || dup2(outp[1], 2) < 0)
			_exit(127);
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	close(in[0]);
	close(outp[1]);
	in[0] = outp[1] = -1;
	if (fcntl(in[1], F_SETFL, fcntl(in[1], F_GETFL) | O_NONBLOCK) != 0)
		*short_write = true;
	if (msg->len == 0 || *short_write) {
		close(in[1]);
		in[1] = -1;
	}
	/* Feed stdin and drain the output together, until both are done. */
	while (in[1] >= 0 || outp[0] >= 0) {
		struct pollfd pfd[2];
		nfds_t n = 0;
		int ro = -1, wi = -1;

		if (outp[0] >= 0) {
			pfd[n] = (struct pollfd){ .fd = outp[0], .events = POLLIN };
			ro = (int)n++;
		}
		if (in[1] >= 0) {
			pfd[n] = (struct pollfd){ .fd = in[1], .events = POLLOUT };
			wi = (int)n++;
		}
		if (poll(pfd, n, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (wi >= 0 && (pfd[wi].revents & (POLLOUT | POLLERR | POLLHUP))) {
			ssize_t w = write(in[1], msg->data + off, msg->len - off);

			if (w > 0)
				off += (size_t)w;
			else if (w < 0 && errno != EAGAIN && errno != EINTR)
				*short_write = true;
			if (off >= msg->len || *short_write) {
				close(in[1]);
				in[1] = -1;
			}
		}
		if (ro >= 0 && (pfd[ro].revents & (POLLIN | POLLHUP | POLLERR))) {
			char buf[512];
			ssize_t r = read(outp[0], buf, sizeof buf);

			if (r < 0 && errno == EINTR)
				continue;
			if (r <= 0) {
				close(outp[0]);
				outp[0] = -1;
			} else if (out->len < 4096)
				g_string_append_len(out, buf, r);
		}
	}
	if (in[1] >= 0) {
		*short_write = off < msg->len;
		close(in[1]);
	}
	if (outp[0] >= 0)
		close(outp[0]);
	while (waitpid(pid, status, 0) < 0) {
		if (errno != EINTR) {
			return error_set(err, "not sent: \"%s\": waitpid: %s", cmd,
			    strerror(errno));
		}
	}
	return 0;
fail:
	for (int i = 0; i < 2; i++) {
		if (in[i] >= 0)
			close(in[i]);
		if (outp[i] >= 0)
			close(outp[i]);
	}
	return -1;
}

int
compose_sendmail(const char *cmd, GByteArray *msg, struct error *err)
{
	GString *out = g_string_new(NULL);
	bool short_write;
	int status = 0, rc = -1;
	char *why;

	if (cmd == NULL || *cmd == '\0') {
		g_string_free(out, TRUE);
		return error_set(err, "not sent: no sendmail command: set [mail] sendmail");
	}
	if (spawn_feed(cmd, msg, out, &status, &short_write, err) != 0) {
		g_string_free(out, TRUE);
		return -1;
	}
	why = first_lines(out);
	if (WIFSIGNALED(status))
		error_set(err, "not sent: \"%s\" was killed by signal %d%s%s", cmd,
		    WTERMSIG(status), *why ? ": " : "", why);
	else if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		error_set(err, "not sent: \"%s\" exited with status %d%s%s", cmd,
		    WIFEXITED(status) ? WEXITSTATUS(status) : -1, *why ? ": " : "", why);
	else if (short_write)
		error_set(err, "not sent: \"%s\" did not read the whole message", cmd);
	else
		rc = 0;
	g_free(why);
	g_string_free(out, TRUE);
	return rc;
}

static bool
folder_ok(const char *f)
{
	char **parts;
	bool ok = true;

	if (f == NULL || *f == '\0' || f[0] == '/')
		return false;
	parts = g_strsplit(f, "/", -1);
	for (char **p = parts; *p != NULL; p++) {
		if (**p == '\0' || strcmp(*p, ".") == 0 || strcmp(*p, "..") == 0)
			ok = false;
	}
	g_strfreev(parts);
	return ok;
}

int
compose_save_sent(struct app *app, GByteArray *msg, char **path, struct error *err)
{
	const char *root;
	char *dir, *sub, *tmp = NULL, *cur = NULL, *host, uuid[37];
	int fd = -1, rc = -1;
	size_t off = 0;

	if (app->mail == NULL && mail_open(app->cfg, &app->mail, err) != 0)
		return -1;
	root = mail_root(app->mail);
	if (root == NULL)
		return error_set(err, "no mail root to save the sent copy under");
	if (!folder_ok(app->cfg->sent_folder))
		return error_set(err, "[mail] sent_folder \"%s\": expected a folder name "
		    "under the mail root, like Sent", app->cfg->sent_folder ?
		    app->cfg->sent_folder : "");
	dir = g_build_filename(root, app->cfg->sent_folder, NULL);
	for (int i = 0; i < 3; i++) {
		static const char *const subs[] = { "tmp", "new", "cur" };

		sub = g_build_filename(dir, subs[i], NULL);
		if (g_mkdir_with_parents(sub, 0700) != 0) {
			error_set(err, "%s: cannot create: %s", sub, strerror(errno));
			g_free(sub);
			goto out;
		}
		g_free(sub);
	}
	host = g_strdup(g_get_host_name());
	g_strcanon(host, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-", '_');
	store_uuid_new(uuid);
	sub = g_strdup_printf("%lld.P%d.%s.%s", (long long)time(NULL), (int)getpid(), uuid, host);
	g_free(host);
	tmp = g_build_filename(dir, "tmp", sub, NULL);
	cur = g_strdup_printf("%s/cur/%s:2,S", dir, sub);
	g_free(sub);
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0) {
		error_set(err, "%s: cannot create: %s", tmp, strerror(errno));
		goto out;
	}
	while (off < msg->len) {
		ssize_t n = write(fd, msg->data + off, msg->len - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			error_set(err, "%s: cannot write: %s", tmp, strerror(errno));
			goto out;
		}
		off += (size_t)n;
	}
	if (fsync(fd) != 0 || close(fd) != 0) {
		fd = -1;
		error_set(err, "%s: cannot write: %s", tmp, strerror(errno));
		goto out;
	}
	fd = -1;
	if (rename(tmp, cur) != 0) {
		error_set(err, "%s: cannot move into cur/: %s", tmp, strerror(errno));
		goto out;
	}
	*path = cur;
	cur = NULL;
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	if (rc != 0 && tmp != NULL)
		unlink(tmp);
	g_free(tmp);
	g_free(cur);
	g_free(dir);
	return rc;
}

void
compose_sent_free(struct compose_sent *s)
{
	if (s == NULL)
		return;
	g_free(s->msgid);
	g_free(s->path);
	g_ptr_array_unref(s->warnings);
	g_free(s);
}

int
compose_send(struct app *app, const struct case_view *cv,
    const struct compose_draft *d, GPtrArray *thread,
    struct compose_sent **out, struct error *err)
{
	static const char *const tags[] = { "sent", NULL };
	struct compose_plan *plan = NULL;
	struct compose_sent *sent;
	struct store_event ev;
	struct error w = { { 0 } };
	GByteArray *msg = NULL;
	char *msgid = NULL;

	if (compose_plan_new(app, cv, d, thread, &plan, err) != 0)
		return -1;
	if (!compose_plan_ok(plan)) {
		error_set(err, "not sent: %s%s", (const char *)plan->refusals->pdata[0],
		    plan->refusals->len > 1 ? " (and more: see the plan)" : "");
		compose_plan_free(plan);
		return -1;
	}
	if (compose_build(app, d, plan, &msg, &msgid, err) != 0) {
		compose_plan_free(plan);
		return -1;
	}
	compose_plan_free(plan);
	if (compose_sendmail(app->cfg->sendmail, msg, err) != 0) {
		g_byte_array_unref(msg);
		g_free(msgid);
		return -1;
	}

	/* The mail has left: from here on, problems are warnings. */
	sent = g_new0(struct compose_sent, 1);
	sent->msgid = msgid;
	sent->warnings = g_ptr_array_new_with_free_func(g_free);
	if (compose_save_sent(app, msg, &sent->path, &w) != 0)
		g_ptr_array_add(sent->warnings, g_strdup_printf("sent, but no copy was saved: %s",
		    w.msg));
	else if (mail_index_file(app->cfg, sent->path, tags, INDEX_TIMEOUT_MS, &w) != 0)
		g_ptr_array_add(sent->warnings, g_strdup_printf("sent copy not indexed yet: %s",
		    w.msg));
	g_byte_array_unref(msg);

	memset(&ev, 0, sizeof ev);
	ev.case_id = cv->sc->id;
	ev.author = app->cfg->me;
	ev.at = app->now;
	ev.kind = (char *)"reply-sent";
	ev.value = g_strdup_printf("%s <%s>", d->template_name != NULL ?
	    d->template_name : "reply", msgid);
	if (store_append_event(app->st, &ev, false, NULL, NULL, &w) != 0)
		g_ptr_array_add(sent->warnings, g_strdup_printf("sent, but not recorded: %s",
		    w.msg));
	g_free(ev.value);
	if (draft_delete(app, cv->sc->id, &w) != 0)
		g_ptr_array_add(sent->warnings, g_strdup(w.msg));
	if (app_refresh(app, &w) != 0)
		g_ptr_array_add(sent->warnings, g_strdup_printf("sent, but the cases were not "
		    "refreshed: %s", w.msg));
	*out = sent;
	return 0;
}
