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
#include "core/threads.h"
#include "core/verify.h"

/*
 * app_thread's parallel reading: gpgme contexts for the worker threads and
 * the gate every passphrase request passes through.
 */
struct app_crypto_pool {
	GMutex lock;     /* held while the front end's passphrase function runs */
	guint asks;      /* passphrase requests so far (under LOCK) */
	GPtrArray *ctxs; /* struct crypto *, one per worker thread, made on first need */
};

static struct app_crypto_pool *
crypto_pool_get(struct app *app)
{
	if (app->crypto_pool == NULL) {
		app->crypto_pool = g_new0(struct app_crypto_pool, 1);
		g_mutex_init(&app->crypto_pool->lock);
		app->crypto_pool->ctxs = g_ptr_array_new_with_free_func(
		    (GDestroyNotify)crypto_free);
	}
	return app->crypto_pool;
}

static void
crypto_pool_free(struct app_crypto_pool *cp)
{
	if (cp == NULL)
		return;
	g_ptr_array_unref(cp->ctxs);
	g_mutex_clear(&cp->lock);
	g_free(cp);
}

/*
 * Every gpgme context of the app asks through here: app_thread's worker
 * threads may ask at the same moment, and the front end's function (a
 * curses prompt in the TUI) must run on one thread at a time.
 */
static char *
app_passphrase(void *arg, const char *hint, bool bad_before)
{
	struct app *app = arg;
	struct app_crypto_pool *cp = app->crypto_pool;
	char *pass;

	g_mutex_lock(&cp->lock);
	cp->asks++;
	pass = app->pass_cb(app->pass_arg, hint, bad_before);
	g_mutex_unlock(&cp->lock);
	return pass;
}

static guint
crypto_pool_asks(struct app_crypto_pool *cp)
{
	guint n;

	g_mutex_lock(&cp->lock);
	n = cp->asks;
	g_mutex_unlock(&cp->lock);
	return n;
}

static int
app_crypto_new(struct app *app, struct crypto **out, struct error *err)
{
	crypto_pool_get(app);
	return crypto_new(app->pass_cb != NULL ? app_passphrase : NULL, app,
	    out, err);
}

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
	crypto_pool_free(app->crypto_pool);
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
	return app_crypto_new(app, &app->crypto, err);
}

void
app_set_passphrase_fn(struct app *app, crypto_passphrase_fn fn, void *arg)
{
	app->pass_cb = fn;
	app->pass_arg = arg;
	/* The workers' contexts were made for the old function: make them again. */
	if (app->crypto_pool != NULL)
		g_ptr_array_set_size(app->crypto_pool->ctxs, 0);
}

void
app_set_crypto_threads(struct app *app, int n)
{
	app->crypto_threads = CLAMP(n, 0, THREADS_LIMIT);
}

/* EMBARGO_THREADS, when set, bounds what the caller asked for too. */
static guint
app_crypto_threads(const struct app *app)
{
	guint env = threads_env();

	if (app->crypto_threads > 0)
		return env > 0 ? MIN((guint)app->crypto_threads, env) :
		    (guint)app->crypto_threads;
	return threads_max();
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

static bool
has_tag(const struct mail_message *mm, const char *tag)
{
	for (char **t = mm->tags; t != NULL && *t != NULL; t++) {
		if (strcmp(*t, tag) == 0)
			return true;
	}
	return false;
}

static void
view_message(struct crypto *c, const struct mime_limits *lim,
    struct thread_message *tm)
{
	struct error merr = {{0}};

	if (mime_view_file(c, tm->mm->path, lim, &tm->mv, &merr) != 0)
		tm->error = g_strdup(merr.msg);
}

/* Messages to read, taken in order by whichever thread is free. */
struct view_queue {
	struct thread_message **tms;
	guint len;
	gint next; /* atomic */
	const struct mime_limits *lim;
};

struct view_worker {
	struct view_queue *q;
	struct crypto *c;
	GThread *thread;
};

static void
view_queue_run(struct view_queue *q, struct crypto *c)
{
	gint i;

	while ((i = g_atomic_int_add(&q->next, 1)) < (gint)q->len)
		view_message(c, q->lim, q->tms[i]);
}

static gpointer
view_worker_main(gpointer arg)
{
	struct view_worker *w = arg;

	view_queue_run(w->q, w->c);
	return NULL;
}

/*
 * Reads every message of TMS into its view.  gpgme runs one gpg process per
 * decryption and per signature check, so a thread with several encrypted or
 * signed messages spends its time waiting on gpg, one after the other: here
 * those messages are shared among worker threads, each with its own gpgme
 * context (a context serves one thread at a time).
 *
 * The first encrypted message is read alone first: if its key has a
 * passphrase, the user is asked once and gpg-agent keeps it for the others.
 * If the user was asked and it still did not decrypt (a wrong passphrase,
 * or cancelled), the rest is read in order on this thread, as it always
 * was, so that each message asks in turn and never two at once.
 */
static int
thread_views(struct app *app, GPtrArray *tms, const struct mime_limits *lim,
    struct error *err)
{
	struct app_crypto_pool *cp = crypto_pool_get(app);
	struct view_worker workers[THREADS_LIMIT];
	struct view_queue q = { .lim = lim };
	GPtrArray *order = g_ptr_array_sized_new(tms->len);
	struct thread_message *first = NULL;
	guint nthreads = app_crypto_threads(app), nworkers = 0, ngpg = 0;

	for (guint i = 0; i < tms->len; i++) {
		struct thread_message *tm = tms->pdata[i];

		if (first == NULL && has_tag(tm->mm, "encrypted"))
			first = tm;
		else if (has_tag(tm->mm, "encrypted") || has_tag(tm->mm, "signed"))
			ngpg++;
	}
	if (nthreads > 1 && ngpg > 0)
		nworkers = MIN(nthreads - 1, ngpg);
	while (cp->ctxs->len < nworkers) {
		struct crypto *c;

		if (app_crypto_new(app, &c, err) != 0) {
			g_ptr_array_unref(order);
			return error_prefix(err, "a worker thread's gpgme context");
		}
		g_ptr_array_add(cp->ctxs, c);
	}

	crypto_cache_keys(app->crypto, true);
	for (guint i = 0; i < nworkers; i++)
		crypto_cache_keys(cp->ctxs->pdata[i], true);

	if (nworkers > 0 && first != NULL) {
		guint asks = crypto_pool_asks(cp);

		view_message(app->crypto, lim, first);
		if (crypto_pool_asks(cp) != asks &&
		    (first->mv == NULL || !first->mv->decrypted))
			nworkers = 0;
	} else
		first = NULL;
	/* In parallel, the slow ones first, so the others fill the time they take. */
	for (int pass = nworkers > 0 ? 0 : 1; pass < 2; pass++) {
		for (guint i = 0; i < tms->len; i++) {
			struct thread_message *tm = tms->pdata[i];
			bool slow = has_tag(tm->mm, "encrypted") ||
			    has_tag(tm->mm, "signed");

			if (tm != first && (nworkers == 0 || slow == (pass == 0)))
				g_ptr_array_add(order, tm);
		}
	}
	q.tms = (struct thread_message **)order->pdata;
	q.len = order->len;
	for (guint i = 0; i < nworkers; i++) {
		workers[i] = (struct view_worker){ .q = &q, .c = cp->ctxs->pdata[i] };
		/* A worker that cannot start leaves its share to the others. */
		workers[i].thread = g_thread_try_new("embargo-view",
		    view_worker_main, &workers[i], NULL);
	}
	view_queue_run(&q, app->crypto);
	for (guint i = 0; i < nworkers; i++) {
		if (workers[i].thread != NULL)
			g_thread_join(workers[i].thread);
	}

	/* The keys kept would hide a key imported before the next thread is opened. */
	crypto_cache_keys(app->crypto, false);
	for (guint i = 0; i < cp->ctxs->len; i++)
		crypto_cache_keys(cp->ctxs->pdata[i], false);
	g_ptr_array_unref(order);
	return 0;
}

/* Who the message is from, as the case judges it; PINS maps From addresses to the first key seen signing for them. */
static void
thread_message_judge(struct app *app, struct thread_message *tm,
    GHashTable *pins)
{
	const struct message_view *mv = tm->mv;

	if (mv == NULL || mv->from_addr == NULL)
		return;
	tm->from_team = config_is_team_address(app->cfg, mv->from_addr);
	if (tm->from_team)
		tm->team_verified = team_verified(app, tm);
	/* The first key seen signing for an address is pinned for the case. */
	if (mv->sig_best >= 0 && mv->sig_status == SIG_GOOD) {
		const struct crypto_signature *sig =
		    mv->signatures->pdata[mv->sig_best];
		const char *pin = g_hash_table_lookup(pins, mv->from_addr);

		/* Only a key that carries the From address can become the pin. */
		if (pin == NULL && sig->fpr != NULL &&
		    crypto_signature_has_email(sig, mv->from_addr)) {
			g_hash_table_insert(pins, g_strdup(mv->from_addr),
			    g_strdup(sig->fpr));
			pin = sig->fpr;
		}
		tm->pinned = pin != NULL && sig->fpr != NULL &&
		    strcmp(pin, sig->fpr) == 0;
	}
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

	res = g_ptr_array_new_with_free_func((GDestroyNotify)thread_message_free);
	for (guint i = 0; i < msgs->len; i++) {
		struct thread_message *tm = g_new0(struct thread_message, 1);

		tm->mm = msgs->pdata[i];
		msgs->pdata[i] = NULL;
		tm->warning = duplicate_warning(tm->mm);
		g_ptr_array_add(res, tm);
	}
	g_ptr_array_unref(msgs);
	mime_limits_default(&lim);
	if (thread_views(app, res, &lim, err) != 0) {
		g_ptr_array_unref(res);
		return error_prefix(err, "case %lld", (long long)cv->sc->id);
	}
	/* In thread order: which key is pinned depends on which came first. */
	pins = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	for (guint i = 0; i < res->len; i++)
		thread_message_judge(app, res->pdata[i], pins);
	g_hash_table_unref(pins);
	*out = res;
	return 0;
}
