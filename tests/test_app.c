/* tests/test_app.c: opening a case's thread reads its encrypted and signed messages on several threads with the sequential result. */
#include "build-config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <glib.h>
#include <glib/gstdio.h>

#include "core/app.h"
#include "core/threads.h"
#include "tests/fixture.h"

/* CALL must return 0; else the test fails with the error it set. */
#define OK(call) do { if ((call) != 0) fail_msg("%s: %s", #call, err.msg); } while (0)

static struct fixture *FX;
static struct app *APP;
static char *RITA;  /* rita's fingerprint */
static char *TEAM;  /* the team key's fingerprint */
static char *WORK;  /* DIR/app-work: scratch files for gpg */
static char *LOCKED_FPR; /* the key with a passphrase (test_passphrase_asked_once makes it) */

/*
 * The "par" thread, oldest first: what each message is.  The one whose file
 * is taken away after indexing stands for a message that cannot be read.
 */
enum par_kind { PAR_PLAIN, PAR_ENC, PAR_ENC_SIGNED, PAR_BROKEN, PAR_SIGNED,
	PAR_GONE, PAR_INLINE };
static const struct {
	enum par_kind kind;
	const char *from;
} PAR[] = {
	{ PAR_PLAIN, "Rita Reporter <rita@reporter.test>" },
	{ PAR_ENC_SIGNED, "Rita Reporter <rita@reporter.test>" },
	{ PAR_ENC, "Rita Reporter <rita@reporter.test>" },
	{ PAR_PLAIN, "Alice Handler <alice@example.org>" },
	{ PAR_BROKEN, "Rita Reporter <rita@reporter.test>" },
	{ PAR_ENC_SIGNED, "Rita Reporter <rita@reporter.test>" },
	{ PAR_SIGNED, "Rita Reporter <rita@reporter.test>" },
	{ PAR_GONE, "Rita Reporter <rita@reporter.test>" },
	{ PAR_INLINE, "Rita Reporter <rita@reporter.test>" },
	{ PAR_ENC_SIGNED, "Rita Reporter <rita@reporter.test>" },
	{ PAR_ENC, "Rita Reporter <rita@reporter.test>" },
};
#define NPAR G_N_ELEMENTS(PAR)

/* Runs CMD (sh), which must succeed; returns its stdout (g_free). */
static char *
run_ok(const char *cmd)
{
	char *out = NULL;
	int status = -1;

	if (fixture_run(cmd, &out, &status) != 0 || status != 0)
		fail_msg("command failed (%d): %s", status, cmd);
	return out;
}

/* gpg in HOME with ARGS over the text IN; its output (g_free). */
static char *
gpg_over(const char *home, const char *args, const char *in)
{
	char *inpath = g_build_filename(WORK, "in", NULL);
	char *outpath = g_build_filename(WORK, "out", NULL);
	char *cmd, *res;

	assert_true(g_file_set_contents(inpath, in, -1, NULL));
	g_unlink(outpath);
	cmd = g_strdup_printf("gpg --homedir '%s' --batch --quiet --yes "
	    "--trust-model always %s --output '%s' '%s' 2>&1", home, args,
	    outpath, inpath);
	g_free(run_ok(cmd));
	res = fixture_read_file(outpath, NULL);
	assert_non_null(res);
	g_free(cmd);
	g_free(inpath);
	g_free(outpath);
	return res;
}

/* Replaces the CR LF line ends of S by LF (in place). */
static char *
lf_only(char *s)
{
	char *w = s;

	for (const char *r = s; *r != '\0'; r++) {
		if (!(r[0] == '\r' && r[1] == '\n'))
			*w++ = *r;
	}
	*w = '\0';
	return s;
}

static char *
headers(const char *thread, size_t i, const char *from, const char *subject)
{
	GString *h = g_string_new(NULL);

	g_string_append_printf(h, "From: %s\nTo: security@example.org\n"
	    "Subject: %s\nDate: Fri, 20 Nov 2026 %02zu:00:00 +0000\n"
	    "Message-ID: <%s-%zu@app.test>\n", from, subject, i, thread, i);
	if (i > 0)
		g_string_append_printf(h, "In-Reply-To: <%s-%zu@app.test>\n"
		    "References: <%s-0@app.test> <%s-%zu@app.test>\n", thread,
		    i - 1, thread, thread, i - 1);
	g_string_append(h, "MIME-Version: 1.0\n");
	return g_string_free(h, FALSE);
}

/* A PGP/MIME (RFC 3156) message around the armoured ARMOR. */
static char *
pgp_mime(const char *hdrs, const char *boundary, const char *armor)
{
	return g_strdup_printf("%sContent-Type: multipart/encrypted; "
	    "protocol=\"application/pgp-encrypted\"; boundary=\"%s\"\n\n"
	    "--%s\nContent-Type: application/pgp-encrypted\n\nVersion: 1\n\n"
	    "--%s\nContent-Type: application/octet-stream; name=\"encrypted.asc\"\n\n"
	    "%s\n--%s--\n", hdrs, boundary, boundary, boundary, armor, boundary);
}

/* Encrypts a text/plain entity saying MARK to KEY_FPR (signed by rita when SIGN). */
static char *
encrypted_entity(const char *mark, const char *key_fpr, bool sign)
{
	char *entity = g_strdup_printf("Content-Type: text/plain; charset=utf-8\r\n"
	    "\r\nThe report, part %s.\r\n\r\n%s\r\n", mark, mark);
	char *args = g_strdup_printf("--armor --encrypt --recipient %s%s",
	    key_fpr, sign ? " --sign --local-user rita@reporter.test" : "");
	char *armor = gpg_over(FX->gnupghome_reporters, args, entity);

	g_free(entity);
	g_free(args);
	return armor;
}

/* The text of message I of thread NAME, of kind K; encrypted ones to KEY_FPR. */
static char *
build_message(const char *name, size_t i, enum par_kind k, const char *from,
    const char *subject, const char *key_fpr)
{
	char *hdrs = headers(name, i, from, subject);
	char *mark = g_strdup_printf("MARK-%s-%02zu", name, i);
	char *boundary = g_strdup_printf("=-%s-%zu", name, i);
	char *text = NULL, *armor = NULL, *part = NULL, *sig = NULL, *crlf;

	switch (k) {
	case PAR_PLAIN:
		text = g_strdup_printf("%sContent-Type: text/plain; charset=utf-8\n\n"
		    "Plain words.\n\n%s\n", hdrs, mark);
		break;
	case PAR_ENC:
	case PAR_ENC_SIGNED:
	case PAR_GONE:
		armor = encrypted_entity(mark, key_fpr, k == PAR_ENC_SIGNED);
		text = pgp_mime(hdrs, boundary, lf_only(armor));
		break;
	case PAR_BROKEN:
		/* Armour that decodes to no OpenPGP message at all. */
		text = pgp_mime(hdrs, boundary, "-----BEGIN PGP MESSAGE-----\n\n"
		    "hQEMA0xYZWN1cml0eS1icm9rZW4tY2lwaGVydGV4dC1oZXJl\n=AAAA\n"
		    "-----END PGP MESSAGE-----");
		break;
	case PAR_SIGNED:
		/* Signed over the part's bytes with CRLF line ends (RFC 3156). */
		part = g_strdup_printf("Content-Type: text/plain; charset=utf-8\n\n"
		    "Signed words.\n\n%s", mark);
		crlf = g_strdup_printf("Content-Type: text/plain; charset=utf-8\r\n\r\n"
		    "Signed words.\r\n\r\n%s", mark);
		sig = gpg_over(FX->gnupghome_reporters, "--armor --detach-sign "
		    "--digest-algo SHA256 --local-user rita@reporter.test", crlf);
		g_free(crlf);
		text = g_strdup_printf("%sContent-Type: multipart/signed; "
		    "micalg=pgp-sha256; protocol=\"application/pgp-signature\"; "
		    "boundary=\"%s\"\n\n--%s\n%s\n--%s\nContent-Type: "
		    "application/pgp-signature; name=\"signature.asc\"\n\n%s\n--%s--\n",
		    hdrs, boundary, boundary, part, boundary, lf_only(sig), boundary);
		break;
	case PAR_INLINE:
		armor = gpg_over(FX->gnupghome_reporters, g_strcmp0(key_fpr, TEAM) == 0 ?
		    "--armor --encrypt --sign --local-user rita@reporter.test "
		    "--recipient security@example.org" :
		    "--armor --encrypt --recipient locked@example.org", mark);
		text = g_strdup_printf("%sContent-Type: text/plain; charset=us-ascii\n\n"
		    "%s", hdrs, lf_only(armor));
		break;
	}
	g_free(hdrs);
	g_free(mark);
	g_free(boundary);
	g_free(armor);
	g_free(part);
	g_free(sig);
	return text;
}

static char *
par_file(size_t i)
{
	char *name = g_strdup_printf("1700000000.par-%zu.app", i);
	char *path = g_build_filename(FX->maildir, "INBOX", "new", name, NULL);

	g_free(name);
	return path;
}

/* Moves the PAR_GONE message's file out of the maildir (GONE) or back. */
static void
par_gone(bool gone)
{
	for (size_t i = 0; i < NPAR; i++) {
		char *path, *away;

		if (PAR[i].kind != PAR_GONE)
			continue;
		path = par_file(i);
		away = g_build_filename(WORK, "gone", NULL);
		assert_int_equal(gone ? g_rename(path, away) : g_rename(away, path), 0);
		g_free(path);
		g_free(away);
	}
}

static int
group_setup(void **state)
{
	struct error err = { { 0 } };

	FX = fixture_new();
	if (FX == NULL)
		return -1;
	WORK = fixture_path(FX, "app-work");
	RITA = fixture_fpr(FX, "rita");
	TEAM = fixture_fpr(FX, "team");
	if (g_mkdir(WORK, 0700) != 0 || RITA == NULL || TEAM == NULL)
		return -1;
	for (size_t i = 0; i < NPAR; i++) {
		char *name = g_strdup_printf("1700000000.par-%zu.app", i);
		char *text = build_message("par", i, PAR[i].kind, PAR[i].from,
		    "Parallel decryption", TEAM);

		if (fixture_add_message(FX, "INBOX", name, text) != 0)
			return -1;
		g_free(name);
		g_free(text);
	}
	if (fixture_notmuch(FX, "new --quiet") != 0)
		return -1;
	if (app_open(NULL, &APP, &err) != 0 || app_refresh(APP, &err) != 0) {
		fprintf(stderr, "setup: %s\n", err.msg);
		return -1;
	}
	return 0;
}

static int
group_teardown(void **state)
{
	app_close(APP);
	g_free(RITA);
	g_free(TEAM);
	g_free(WORK);
	g_free(LOCKED_FPR);
	fixture_free(FX);
	return 0;
}

/* The case whose outer subject is SUBJECT. */
static struct case_view *
case_by_subject(struct app *app, const char *subject)
{
	struct error err = { { 0 } };
	struct case_view *found = NULL;
	GPtrArray *cases;

	OK(app_refresh(app, &err));
	OK(app_cases(app, true, &cases, &err));
	for (guint i = 0; i < cases->len && found == NULL; i++) {
		struct case_view *cv = cases->pdata[i];

		if (cv->sc->has_facts && strcmp(cv->sc->facts.subject, subject) == 0) {
			found = cv;
			cases->pdata[i] = NULL;
		}
	}
	g_ptr_array_unref(cases); /* frees the others; NULL slots are skipped */
	if (found == NULL)
		fail_msg("no case with subject \"%s\"", subject);
	return found;
}

/* The "par" thread read with N threads. */
static GPtrArray *
par_thread(struct app *app, int n)
{
	struct error err = { { 0 } };
	struct case_view *cv = case_by_subject(app, "Parallel decryption");
	GPtrArray *msgs;

	app_set_crypto_threads(app, n);
	par_gone(true);
	OK(app_thread(app, cv, &msgs, &err));
	par_gone(false);
	case_view_free(cv);
	return msgs;
}

static bool
body_has(const struct message_view *mv, const char *needle)
{
	char *body = message_view_body(mv);
	bool has = strstr(body, needle) != NULL;

	g_free(body);
	return has;
}

static const struct crypto_signature *
best_sig(const struct message_view *mv)
{
	assert_true(mv->sig_best >= 0);
	return mv->signatures->pdata[mv->sig_best];
}

/* Everything app_thread says of a message, as one text to compare runs with. */
static char *
describe(const struct thread_message *tm)
{
	GString *s = g_string_new(NULL);
	const struct message_view *mv = tm->mv;

	g_string_append_printf(s, "%s error=%s warning=%s team=%d verified=%d "
	    "pinned=%d\n", tm->mm->msgid, tm->error ? tm->error : "-",
	    tm->warning ? tm->warning : "-", tm->from_team, tm->team_verified,
	    tm->pinned);
	if (mv != NULL) {
		char *body = message_view_body(mv);

		g_string_append_printf(s, "enc=%d dec=%d why=%s sig=%s best=%d "
		    "partial=%d from=%d\n", mv->encrypted, mv->decrypted,
		    mv->decrypt_error ? mv->decrypt_error : "-",
		    sig_status_name(mv->sig_status), mv->sig_best, mv->sig_partial,
		    mv->sig_matches_from);
		for (guint i = 0; i < mv->signatures->len; i++) {
			const struct crypto_signature *sig = mv->signatures->pdata[i];

			g_string_append_printf(s, "  %s %s %s\n",
			    sig_status_name(sig->status), sig->fpr ? sig->fpr : "-",
			    sig->uid ? sig->uid : "-");
			for (char **e = sig->emails; e != NULL && *e != NULL; e++)
				g_string_append_printf(s, "  <%s>\n", *e);
		}
		g_string_append_printf(s, "%s\n", body);
		g_free(body);
	}
	return g_string_free(s, FALSE);
}

static char *
describe_all(GPtrArray *msgs)
{
	GString *s = g_string_new(NULL);

	for (guint i = 0; i < msgs->len; i++) {
		char *d = describe(msgs->pdata[i]);

		g_string_append(s, d);
		g_free(d);
	}
	return g_string_free(s, FALSE);
}

static void
test_parallel_thread(void **state)
{
	GPtrArray *msgs = par_thread(APP, 4);

	assert_int_equal(msgs->len, NPAR);
	for (size_t i = 0; i < NPAR; i++) {
		const struct thread_message *tm = msgs->pdata[i];
		const struct message_view *mv = tm->mv;
		char *id = g_strdup_printf("par-%zu@app.test", i);
		char *mark = g_strdup_printf("MARK-par-%02zu", i);

		/* In thread order, each message with its own text. */
		assert_string_equal(tm->mm->msgid, id);
		if (PAR[i].kind == PAR_GONE) {
			assert_null(mv);
			assert_non_null(tm->error);
			assert_non_null(strstr(tm->error, "cannot open"));
			assert_non_null(strstr(tm->error, tm->mm->path));
			g_free(id);
			g_free(mark);
			continue;
		}
		assert_non_null(mv);
		assert_null(tm->error);
		for (size_t j = 0; j < NPAR; j++) {
			char *other = g_strdup_printf("MARK-par-%02zu", j);

			if (PAR[i].kind == PAR_BROKEN)
				assert_false(body_has(mv, other));
			else
				assert_true(body_has(mv, other) == (i == j));
			g_free(other);
		}
		switch (PAR[i].kind) {
		case PAR_PLAIN:
			assert_false(mv->encrypted);
			assert_int_equal(mv->sig_status, SIG_NONE);
			break;
		case PAR_ENC:
			assert_true(mv->encrypted);
			assert_true(mv->decrypted);
			assert_int_equal(mv->sig_status, SIG_NONE);
			break;
		case PAR_BROKEN:
			assert_true(mv->encrypted);
			assert_false(mv->decrypted);
			assert_non_null(mv->decrypt_error);
			assert_non_null(strstr(mv->decrypt_error, "cannot decrypt"));
			break;
		case PAR_ENC_SIGNED:
		case PAR_INLINE:
			assert_true(mv->encrypted);
			assert_true(mv->decrypted);
			/* fall through */
		case PAR_SIGNED:
			assert_int_equal(mv->sig_status, SIG_GOOD);
			assert_string_equal(best_sig(mv)->fpr, RITA);
			assert_true(crypto_signature_has_email(best_sig(mv),
			    "rita@reporter.test"));
			assert_true(mv->sig_matches_from);
			/* Every good signature is by rita's key: the pin. */
			assert_true(tm->pinned);
			break;
		case PAR_GONE:
			break;
		}
		assert_true(tm->from_team == (strstr(PAR[i].from, "alice@") != NULL));
		g_free(id);
		g_free(mark);
	}
	g_ptr_array_unref(msgs);
}

/* Any number of threads gives what the calling thread alone gives. */
static void
test_parallel_equals_sequential(void **state)
{
	GPtrArray *seq = par_thread(APP, 1);
	char *want = describe_all(seq);

	assert_non_null(strstr(want, "MARK-par-10"));
	for (int n = 0; n <= 5; n++) {
		GPtrArray *par = par_thread(APP, n);
		char *got = describe_all(par);

		if (strcmp(got, want) != 0)
			fail_msg("%d threads:\n%s\nsequential:\n%s", n, got, want);
		g_free(got);
		g_ptr_array_unref(par);
	}
	g_free(want);
	g_ptr_array_unref(seq);
}

/* Keys are kept for one thread opened only: a user id added since shows next time. */
static void
test_key_cache_per_call(void **state)
{
	GPtrArray *msgs = par_thread(APP, 3);
	char *cmd;
	guint signed_n = 0;

	for (guint i = 0; i < msgs->len; i++) {
		const struct thread_message *tm = msgs->pdata[i];

		if (tm->mv != NULL && tm->mv->sig_best >= 0)
			assert_false(crypto_signature_has_email(best_sig(tm->mv),
			    "rita@second.test"));
	}
	g_ptr_array_unref(msgs);

	cmd = g_strdup_printf("gpg --homedir '%s' --batch --quiet --quick-add-uid %s "
	    "'Rita Second <rita@second.test>' 2>&1 && gpg --homedir '%s' --batch "
	    "--export %s | gpg --homedir '%s' --batch --quiet --import 2>&1",
	    FX->gnupghome_reporters, RITA, FX->gnupghome_reporters, RITA,
	    FX->gnupghome);
	g_free(run_ok(cmd));
	g_free(cmd);

	msgs = par_thread(APP, 3);
	for (guint i = 0; i < msgs->len; i++) {
		const struct thread_message *tm = msgs->pdata[i];

		if (tm->mv == NULL || tm->mv->sig_best < 0)
			continue;
		signed_n++;
		assert_true(crypto_signature_has_email(best_sig(tm->mv),
		    "rita@second.test"));
		assert_true(crypto_signature_has_email(best_sig(tm->mv),
		    "rita@reporter.test"));
	}
	assert_int_equal(signed_n, 5);
	g_ptr_array_unref(msgs);
}

static void
test_thread_count_knob(void **state)
{
	struct app *app;
	struct error err = { { 0 } };

	OK(app_open(NULL, &app, &err));
	assert_int_equal(app->crypto_threads, 0);
	app_set_crypto_threads(app, 3);
	assert_int_equal(app->crypto_threads, 3);
	app_set_crypto_threads(app, -2);
	assert_int_equal(app->crypto_threads, 0);
	app_set_crypto_threads(app, 1000);
	assert_int_equal(app->crypto_threads, THREADS_LIMIT);
	app_close(app);
}

/* EMBARGO_THREADS: a number from 1 to THREADS_LIMIT, anything else ignored. */
static void
test_threads_env(void **state)
{
	static const struct {
		const char *value;
		unsigned int want;
	} rows[] = {
		{ "1", 1 }, { "2", 2 }, { "8", 8 },
		{ "0", 0 }, { "9", 0 }, { "-1", 0 }, { "", 0 }, { "2x", 0 },
		{ " 2", 0 }, { "two", 0 }, { "99999999999999999999", 0 },
	};
	char *saved = g_strdup(g_getenv("EMBARGO_THREADS"));
	unsigned int def;

	(void)state;
	g_unsetenv("EMBARGO_THREADS");
	assert_int_equal(threads_env(), 0);
	def = threads_max();
	assert_true(def >= 1 && def <= THREADS_DEFAULT_MAX);
	for (size_t i = 0; i < G_N_ELEMENTS(rows); i++) {
		g_setenv("EMBARGO_THREADS", rows[i].value, TRUE);
		if (threads_env() != rows[i].want)
			fail_msg("EMBARGO_THREADS=\"%s\": %u, expected %u",
			    rows[i].value, threads_env(), rows[i].want);
		assert_int_equal(threads_max(), rows[i].want > 0 ? rows[i].want : def);
	}
	if (saved != NULL)
		g_setenv("EMBARGO_THREADS", saved, TRUE);
	else
		g_unsetenv("EMBARGO_THREADS");
	g_free(saved);
}

/* --- a key with a passphrase ---------------------------------------------- */

#define PASS "s3cret-Pass"

struct asker {
	gint calls;
	gint inside;   /* callers right now */
	gint overlaps; /* times a caller found another inside */
	int wrong_first; /* answer wrongly this many times first */
	char *hints;
};

static char *
ask(void *arg, const char *hint, bool bad_before)
{
	struct asker *a = arg;
	int n;

	if (g_atomic_int_add(&a->inside, 1) != 0)
		g_atomic_int_inc(&a->overlaps);
	n = g_atomic_int_add(&a->calls, 1);
	/* Slow, like a person: another thread asking meanwhile would be seen. */
	g_usleep(30000);
	if (a->hints == NULL)
		a->hints = g_strdup(hint);
	g_atomic_int_add(&a->inside, -1);
	return g_strdup(n < a->wrong_first ? "wrong" : PASS);
}

/* Forgets every passphrase gpg-agent has cached. */
static void
agent_forget(void)
{
	char *cmd = g_strdup_printf("GNUPGHOME='%s' gpgconf --reload gpg-agent",
	    FX->gnupghome);

	g_free(run_ok(cmd));
	g_free(cmd);
}

static const enum par_kind LOCKED[] = { PAR_PLAIN, PAR_ENC, PAR_SIGNED, PAR_ENC,
	PAR_INLINE, PAR_ENC, PAR_INLINE, PAR_SIGNED, PAR_ENC };

/* Makes the key "locked" (with a passphrase) in the team's home and a thread encrypted to it. */
static void
locked_setup(void)
{
	char *cmd, *fpr;

	/* The cheapest key protection gpg-agent allows: each use of the key runs it. */
	cmd = g_strdup_printf("export GNUPGHOME='%s'; "
	    "echo 's2k-count 65536' >>\"$GNUPGHOME/gpg-agent.conf\" && "
	    "gpgconf --reload gpg-agent && "
	    "gpg --batch --quiet --pinentry-mode loopback --passphrase '" PASS "' "
	    "--quick-gen-key 'Locked Team Key <locked@example.org>' ed25519 cert,sign never 2>&1 && "
	    "f=$(gpg --batch --with-colons --list-secret-keys locked@example.org | "
	    "awk -F: '/^fpr/ {print $10; exit}') && "
	    "gpg --batch --quiet --pinentry-mode loopback --passphrase '" PASS "' "
	    "--quick-add-key $f cv25519 encr never 2>&1 && "
	    "gpg --batch --export $f | GNUPGHOME='%s' gpg --batch --quiet --import 2>&1 && "
	    "printf %%s $f", FX->gnupghome, FX->gnupghome_reporters);
	fpr = run_ok(cmd);
	g_free(cmd);
	assert_int_equal(strlen(fpr), 40);
	LOCKED_FPR = g_strdup(fpr);
	for (size_t i = 0; i < G_N_ELEMENTS(LOCKED); i++) {
		char *name = g_strdup_printf("1700000000.locked-%zu.app", i);
		char *text = build_message("locked", i, LOCKED[i],
		    "Rita Reporter <rita@reporter.test>", "Locked thread", fpr);

		assert_int_equal(fixture_add_message(FX, "INBOX", name, text), 0);
		g_free(name);
		g_free(text);
	}
	assert_int_equal(fixture_notmuch(FX, "new --quiet"), 0);
	g_free(fpr);
}

/*
 * The locked thread read by a session asking A, with N threads: every
 * message shows, decrypted (but the first encrypted one when BAD_FIRST).
 * Returns describe_all of it (g_free).
 */
static char *
locked_read(struct asker *a, int n, bool bad_first)
{
	struct error err = { { 0 } };
	struct case_view *cv;
	struct app *app;
	GPtrArray *msgs;
	char *all;

	OK(app_open(NULL, &app, &err));
	app_set_passphrase_fn(app, ask, a);
	app_set_crypto_threads(app, n);
	cv = case_by_subject(app, "Locked thread");
	agent_forget();
	OK(app_thread(app, cv, &msgs, &err));
	assert_int_equal(msgs->len, G_N_ELEMENTS(LOCKED));
	for (guint i = 0; i < msgs->len; i++) {
		const struct thread_message *tm = msgs->pdata[i];
		char *mark = g_strdup_printf("MARK-locked-%02u", i);

		assert_non_null(tm->mv);
		if (bad_first && i == 1) {
			assert_false(tm->mv->decrypted);
			assert_non_null(tm->mv->decrypt_error);
			assert_false(body_has(tm->mv, mark));
		} else {
			assert_true(body_has(tm->mv, mark));
			if (LOCKED[i] == PAR_ENC || LOCKED[i] == PAR_INLINE)
				assert_true(tm->mv->decrypted);
		}
		g_free(mark);
	}
	all = describe_all(msgs);
	g_ptr_array_unref(msgs);
	case_view_free(cv);
	app_close(app);
	/* Never two prompts at once, and the prompt names the key. */
	assert_int_equal(g_atomic_int_get(&a->overlaps), 0);
	assert_non_null(a->hints);
	assert_non_null(strstr(a->hints, "locked@example.org"));
	g_free(a->hints);
	a->hints = NULL;
	return all;
}

/*
 * Reads the locked thread with each thread count of NS, answering wrongly
 * WRONG_FIRST times first: the user is asked CALLS times, and every count
 * reads what one thread reads.
 */
static void
locked_each(const int *ns, size_t nn, int wrong_first, int calls)
{
	char *want = NULL;

	for (size_t i = 0; i < nn; i++) {
		struct asker a = { .wrong_first = wrong_first };
		char *got = locked_read(&a, ns[i], wrong_first > 0);

		if (a.calls != calls)
			fail_msg("%d threads: asked %d times", ns[i], a.calls);
		if (want != NULL && strcmp(got, want) != 0)
			fail_msg("%d threads:\n%s\none thread:\n%s", ns[i], got, want);
		if (want == NULL)
			want = got;
		else
			g_free(got);
	}
	g_free(want);
}

/* One prompt, however many threads read the messages encrypted to the key. */
static void
test_passphrase_asked_once(void **state)
{
	static const int ns[] = { 1, 2, 3, 4 };

	locked_setup();
	locked_each(ns, G_N_ELEMENTS(ns), 0, 1);
}

/*
 * A wrong passphrase fails that message (loopback: gpg does not ask again);
 * the next message asks again, as the sequential reading always did, and
 * then no more.
 */
static void
test_passphrase_wrong_then_right(void **state)
{
	static const int ns[] = { 1, 4 };

	locked_each(ns, G_N_ELEMENTS(ns), 1, 2);
}

/*
 * Messages to the key with a passphrase only after one to the team's key:
 * they are read at once, so several may ask, but one after the other.
 */
static void
test_passphrase_prompts_one_at_a_time(void **state)
{
	static const enum par_kind mixed[] = { PAR_PLAIN, PAR_ENC, PAR_ENC, PAR_ENC,
		PAR_ENC, PAR_SIGNED };
	struct error err = { { 0 } };
	struct asker a = { 0 };
	struct case_view *cv;
	struct app *app;
	GPtrArray *msgs;

	assert_non_null(LOCKED_FPR);
	for (size_t i = 0; i < G_N_ELEMENTS(mixed); i++) {
		char *name = g_strdup_printf("1700000000.mixed-%zu.app", i);
		char *text = build_message("mixed", i, mixed[i],
		    "Rita Reporter <rita@reporter.test>", "Mixed keys",
		    i == 1 ? TEAM : LOCKED_FPR);

		assert_int_equal(fixture_add_message(FX, "INBOX", name, text), 0);
		g_free(name);
		g_free(text);
	}
	assert_int_equal(fixture_notmuch(FX, "new --quiet"), 0);

	OK(app_open(NULL, &app, &err));
	app_set_passphrase_fn(app, ask, &a);
	app_set_crypto_threads(app, 4);
	cv = case_by_subject(app, "Mixed keys");
	agent_forget();
	OK(app_thread(app, cv, &msgs, &err));
	for (guint i = 0; i < msgs->len; i++) {
		const struct thread_message *tm = msgs->pdata[i];
		char *mark = g_strdup_printf("MARK-mixed-%02u", i);

		assert_non_null(tm->mv);
		assert_true(body_has(tm->mv, mark));
		assert_true(tm->mv->decrypted == (mixed[i] == PAR_ENC));
		g_free(mark);
	}
	assert_int_equal(msgs->len, G_N_ELEMENTS(mixed));
	g_ptr_array_unref(msgs);
	case_view_free(cv);
	app_close(app);
	assert_int_equal(g_atomic_int_get(&a.overlaps), 0);
	assert_true(a.calls >= 1 && a.calls <= 3);
	g_free(a.hints);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parallel_thread),
		cmocka_unit_test(test_parallel_equals_sequential),
		cmocka_unit_test(test_thread_count_knob),
		cmocka_unit_test(test_threads_env),
		cmocka_unit_test(test_passphrase_asked_once),
		cmocka_unit_test(test_passphrase_wrong_then_right),
		cmocka_unit_test(test_passphrase_prompts_one_at_a_time),
		/* Last: it changes rita's key. */
		cmocka_unit_test(test_key_cache_per_call),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
