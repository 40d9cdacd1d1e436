/* core/app.c: one embargo session: config, clock, store, mail and crypto, opened together. */
#include "build-config.h"

#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "core/app.h"
#include "core/clock.h"
#include "core/crypto.h"
#include "core/mime.h"
#include "core/sync.h"
#include "core/verify.h"

static void
app_warn(void *arg, const char *msg)
{
	struct app *app = arg;

	g_ptr_array_add(app->warnings, g_strdup(msg));
}

int
app_open(const char *config_path, struct app **out, struct error *err)
{
	struct app *app;

	app = g_new0(struct app, 1);
	app->warnings = g_ptr_array_new_with_free_func(g_free);
	if (config_load(config_path, app_warn, app, &app->cfg, err) != 0)
		goto fail;
	if (clock_now(&app->now, err) != 0)
		goto fail;
	if (app->cfg->store_path == NULL) {
		error_set(err, "no case store: set [store] path in %s",
		    app->cfg->path ? app->cfg->path : "the config file");
		goto fail;
	}
	if (store_open(app->cfg->store_path, &app->st, err) != 0)
		goto fail;
	if (sync_setup(app, err) != 0)
		goto fail;
	*out = app;
	return 0;
fail:
	app_close(app);
	return -1;
}

void
app_close(struct app *app)
{
	if (app == NULL)
		return;
	if (app->crypto != NULL)
		crypto_free(app->crypto);
	if (app->mail != NULL)
		mail_close(app->mail);
	if (app->st != NULL) {
		store_set_event_hook(app->st, NULL, NULL);
		store_close(app->st);
	}
	sync_free(app->sync);
	config_free(app->cfg);
	g_ptr_array_unref(app->warnings);
	g_free(app);
}

int
app_tick(struct app *app, struct error *err)
{
	return clock_now(&app->now, err);
}

int
app_refresh(struct app *app, struct error *err)
{
	if (app->cfg->query == NULL)
		return error_set(err, "%s: [mail] query is not set (and no [mail] team to derive it from)",
		    app->cfg->path ? app->cfg->path : "config");
	if (app->mail == NULL) {
		if (mail_open(app->cfg, &app->mail, err) != 0)
			return -1;
		if (mail_indexes_cleartext(app->mail))
			g_ptr_array_add(app->warnings, g_strdup(
			    "notmuch's index.decrypt is true or nostash: decrypted "
			    "reports are written into the notmuch index; set it to "
			    "auto or false (notmuch config set index.decrypt auto)"));
	} else if (mail_reopen(app->mail, err) != 0)
		return -1;
	if (mail_refresh(app->mail, app->st, app->cfg, false, app->now,
	    NULL, err) != 0)
		return -1;
	return sync_refresh(app, err);
}

int
app_open_crypto(struct app *app, struct error *err)
{
	if (app->crypto != NULL)
		return 0;
	return crypto_new(app->pass_cb, app->pass_arg, &app->crypto, err);
}

void
app_set_passphrase_fn(struct app *app, crypto_passphrase_fn fn, void *arg)
{
	app->pass_cb = fn;
	app->pass_arg = arg;
}

void
case_view_free(struct case_view *cv)
{
	if (cv == NULL)
		return;
	store_case_free(cv->sc);
	g_free(cv);
}

static struct case_view *
case_view_new(struct app *app, struct store_case *sc)
{
	struct case_view *cv = g_new0(struct case_view, 1);

	cv->sc = sc;
	policy_deadlines(app->cfg, sc->has_facts ? &sc->facts : NULL, sc,
	    app->now, &cv->dl);
	return cv;
}

static int
case_view_cmp(gconstpointer a, gconstpointer b)
{
	const struct case_view *x = *(const struct case_view *const *)a;
	const struct case_view *y = *(const struct case_view *const *)b;

	return policy_compare(&x->dl, x->sc->id, &y->dl, y->sc->id);
}

/* A case is open unless its state says it has ended. */
static bool
case_is_open(const struct store_case *sc)
{
	const char *state = store_case_field(sc, "state");
	int s = state ? state_from_name(state) : STATE_NEW;

	return s < 0 || state_is_open((enum state)s);
}

int
app_cases(struct app *app, bool all, GPtrArray **out, struct error *err)
{
	GPtrArray *list, *res;

	if (store_case_list(app->st, &list, err) != 0)
		return -1;
	res = g_ptr_array_new_with_free_func((GDestroyNotify)case_view_free);
	for (guint i = 0; i < list->len; i++) {
		struct store_case *sc = list->pdata[i];

		if (!sc->has_facts || (!all && !case_is_open(sc)))
			continue;
		list->pdata[i] = NULL; /* ownership moves to the view */
		g_ptr_array_add(res, case_view_new(app, sc));
	}
	g_ptr_array_unref(list);
	g_ptr_array_sort(res, case_view_cmp);
	*out = res;
	return 0;
}

int
app_case(struct app *app, const char *key, struct case_view **out,
    struct error *err)
{
	struct store_case *sc;
	int64_t id;

	if (store_case_resolve(app->st, key, &id, err) != 0)
		return -1;
	if (store_case_get(app->st, id, &sc, err) != 0)
		return -1;
	*out = case_view_new(app, sc);
	return 0;
}

void
thread_message_free(struct thread_message *tm)
{
	if (tm == NULL)
		return;
	mail_message_free(tm->mm);
	message_view_free(tm->mv);
	g_free(tm->error);
	g_free(tm->warning);
	g_free(tm);
}

static GPtrArray *
view_signatures(void *arg)
{
	const struct message_view *mv = arg;

	return mv->signatures;
}

/* The team_reply = verified rule (core/verify.h), the one the facts apply too. */
static bool
team_verified(struct app *app, const struct thread_message *tm)
{
	struct team_evidence ev = {
		.mail_root = mail_root(app->mail), .path = tm->mm->path,
		.from_addr = tm->mv->from_addr, .auth_results = tm->mv->auth_results,
		.sigs = view_signatures, .sigs_arg = tm->mv,
	};

	return verify_team_reply(app->cfg, &ev) != TEAM_PROOF_NONE;
}

/*
 * notmuch keeps every file with one Message-ID as one message; mail_message
 * shows the copy delivered first.  When another copy differs in what a
 * reader sees, the message is never shown silently: a warning (New string,
 * g_free, or NULL) names the other files.
 */
static char *
duplicate_warning(const struct mail_message *mm)
{
	GString *diff = g_string_new(NULL), *unread = g_string_new(NULL);
	unsigned ndiff = 0;
	char *w = NULL;

	for (size_t i = 1; mm->paths != NULL && mm->paths[0] != NULL &&
	    mm->paths[i] != NULL; i++) {
		struct error e = {{0}};
		int same = mail_files_same(mm->paths[0], mm->paths[i], &e);

		if (same == 0) {
			g_string_append_printf(diff, "%s%s", ndiff > 0 ? ", " : "",
			    mm->paths[i]);
			ndiff++;
		} else if (same < 0)
			g_string_append_printf(unread, "%s%s",
			    unread->len > 0 ? "; " : "", e.msg);
	}
	if (ndiff > 0)
		w = g_strdup_printf("%s with the same Message-ID %s different "
		    "content (%s); shown is the copy delivered first (%s): one "
		    "of them may be forged", ndiff == 1 ? "another file" :
		    "other files", ndiff == 1 ? "holds" : "hold", diff->str,
		    mm->paths[0]);
	else if (unread->len > 0)
		w = g_strdup_printf("other files with the same Message-ID "
		    "cannot be compared with the one shown (%s): %s",
		    mm->paths[0], unread->str);
	g_string_free(diff, TRUE);
	g_string_free(unread, TRUE);
	return w;
}

int
app_thread(struct app *app, const struct case_view *cv, GPtrArray **out,
    struct error *err)
{
	GPtrArray *msgs, *res;
	GHashTable *pins;
	struct mime_limits lim;

	if (cv->sc->thread == NULL)
		return error_set(err, "case %lld has no mail thread",
		    (long long)cv->sc->id);
	if (app->mail == NULL && mail_open(app->cfg, &app->mail, err) != 0)
		return -1;
	if (app_open_crypto(app, err) != 0)
		return -1;
	if (mail_thread_messages(app->mail, cv->sc->thread, &msgs, err) != 0)
		return error_prefix(err, "case %lld", (long long)cv->sc->id);

	mime_limits_default(&lim);
	pins = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	res = g_ptr_array_new_with_free_func((GDestroyNotify)thread_message_free);
	for (guint i = 0; i < msgs->len; i++) {
		struct thread_message *tm = g_new0(struct thread_message, 1);
		struct error merr = {{0}};
		const struct message_view *mv;

		tm->mm = msgs->pdata[i];
		msgs->pdata[i] = NULL;
		tm->warning = duplicate_warning(tm->mm);
		if (mime_view_file(app->crypto, tm->mm->path, &lim, &tm->mv,
		    &merr) != 0)
			tm->error = g_strdup(merr.msg);
		mv = tm->mv;
		if (mv != NULL && mv->from_addr != NULL) {
			tm->from_team = config_is_team_address(app->cfg,
			    mv->from_addr);
			if (tm->from_team)
				tm->team_verified = team_verified(app, tm);
			/* The first key seen signing for an address is pinned for the case. */
			if (mv->sig_best >= 0 && mv->sig_status == SIG_GOOD) {
				const struct crypto_signature *sig =
				    mv->signatures->pdata[mv->sig_best];
				const char *pin = g_hash_table_lookup(pins,
				    mv->from_addr);

				/* Only a key that carries the From address can become the pin. */
				if (pin == NULL && sig->fpr != NULL &&
				    crypto_signature_has_email(sig, mv->from_addr)) {
					g_hash_table_insert(pins,
					    g_strdup(mv->from_addr),
					    g_strdup(sig->fpr));
					pin = sig->fpr;
				}
				tm->pinned = pin != NULL && sig->fpr != NULL &&
				    strcmp(pin, sig->fpr) == 0;
			}
		}
		g_ptr_array_add(res, tm);
	}
	g_hash_table_unref(pins);
	g_ptr_array_unref(msgs);
	*out = res;
	return 0;
}
