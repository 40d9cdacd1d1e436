/* tests/test_fixture.c: the sandbox is what tests/fixture/README.md says. */
#include "build-config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tests/fixture.h"

/* Every message mksandbox writes. */
static const char *const all_messages[] = {
    "plain",     "t5-1",        "t5-2",        "t5-3",          "t5-4",
    "t5-5",      "enc-signed",  "signed-good", "signed-bad",    "wrong-uid",
    "partial",   "enc-unknown", "inline-enc",  "inline-signed", "latin1",
    "html-only", "truncated",   "list-1",      "list-2",        "list-3",
};

static const char *const key_names[] = {
    "team", "alice", "bob", "rita", "mallory", "ghost",
};

/*
 * The read-only tests share one sandbox and name its paths explicitly,
 * because tests that build their own sandbox repoint the environment.
 */
static struct fixture *shared;

static int
group_setup(void **state)
{
	shared = fixture_new();
	return shared == NULL ? -1 : 0;
}

static int
group_teardown(void **state)
{
	fixture_free(shared);
	shared = NULL;
	return 0;
}

/* Runs CMD (a printf format) and returns its stdout; fails the test unless it
 * exits with WANT. */
static char *run_expect(int want, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static char *
run_expect(int want, const char *fmt, ...)
{
	va_list ap;
	char *cmd, *out = NULL;
	int status = -1;

	va_start(ap, fmt);
	cmd = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	assert_int_equal(fixture_run(cmd, &out, &status), 0);
	if (status != want)
		fail_msg("\"%s\" exited with %d, expected %d; output:\n%s", cmd,
		         status, want, out);
	g_free(cmd);
	return out;
}

/* notmuch count ARGS in FX's database. */
static long
nm_count(struct fixture *fx, const char *args)
{
	char *q = g_shell_quote(fx->notmuch_config);
	char *out = run_expect(0, "notmuch --config=%s count %s", q, args);
	char *end;
	long n = strtol(out, &end, 10);

	if (end == out || (*end != '\n' && *end != '\0'))
		fail_msg("notmuch count %s printed \"%s\", expected a number",
		         args, out);
	g_free(out);
	g_free(q);
	return n;
}

/* The file of message <NAME@fixture.test> (g_free). */
static char *
msg_file(struct fixture *fx, const char *name)
{
	char *q = g_shell_quote(fx->notmuch_config);
	char *out = run_expect(
	    0, "notmuch --config=%s search --output=files id:%s@fixture.test",
	    q, name);

	g_strchomp(out);
	if (*out != '/' || strchr(out, '\n') != NULL)
		fail_msg("message %s: expected one file, notmuch said \"%s\"",
		         name, out);
	g_free(q);
	return out;
}

static char *
msg_text(struct fixture *fx, const char *name)
{
	char *path = msg_file(fx, name);
	char *text = fixture_read_file(path, NULL);

	assert_non_null(text);
	g_free(path);
	return text;
}

/* Writes LEN bytes of TEXT from START into DIR/tmp-NAME; returns the path
 * (g_free). */
static char *
write_tmp(struct fixture *fx, const char *name, const char *start, size_t len)
{
	char *rel = g_strconcat("tmp-", name, NULL);
	char *path = fixture_path(fx, rel);

	assert_true(g_file_set_contents(path, start, (gssize)len, NULL));
	g_free(rel);
	return path;
}

/* The armoured block of TEXT from the line BEGIN to the line END, into a file.
 */
static char *
extract_armor(struct fixture *fx, const char *text, const char *begin,
              const char *end, const char *name)
{
	const char *s = strstr(text, begin), *e;

	if (s == NULL)
		fail_msg("%s: no \"%s\"", name, begin);
	e = strstr(s, end);
	if (e == NULL)
		fail_msg("%s: no \"%s\" after \"%s\"", name, end, begin);
	e += strlen(end);
	return write_tmp(fx, name, s, (size_t)(e - s));
}

/* gpg in HOME with status lines on stdout (--status-fd 1) and its chatter
 * discarded. */
static char *
gpg_status(int want, const char *home, const char *args)
{
	char *q = g_shell_quote(home);
	char *out = run_expect(
	    want,
	    "gpg --homedir %s --batch --no-tty --status-fd 1 %s 2>/dev/null", q,
	    args);

	g_free(q);
	return out;
}

static void
test_layout(void **state)
{
	struct fixture *fx = shared;
	const char *files[] = {
	    "env",           "config",        "notmuch-config",
	    "bin/sendmail",  "mail/.notmuch", "mail/Sent/cur",
	    "mail/Sent/new", "mail/Sent/tmp", "mail/lists/cur",
	    "outbox",        "data"};
	char *fprs[G_N_ELEMENTS(key_names)];
	char *text, *want, *q;
	struct stat st;
	size_t i, j;

	assert_int_equal(strncmp(fx->dir, "/tmp/emb.", 9), 0);
	for (i = 0; i < G_N_ELEMENTS(files); i++) {
		char *p = fixture_path(fx, files[i]);

		if (stat(p, &st) != 0)
			fail_msg("%s is missing", p);
		g_free(p);
	}
	assert_int_equal(access(fx->bin_sendmail, X_OK), 0);
	assert_int_equal(stat(fx->gnupghome, &st), 0);
	assert_int_equal(st.st_mode & 077, 0);
	/* mksandbox's log is removed on success and its scratch files are gone.
	 */
	q = fixture_path(fx, "mksandbox.log");
	assert_int_not_equal(stat(q, &st), 0);
	g_free(q);

	/* Six distinct fingerprints. */
	for (i = 0; i < G_N_ELEMENTS(key_names); i++) {
		fprs[i] = fixture_fpr(fx, key_names[i]);
		assert_non_null(fprs[i]);
		for (j = 0; j < i; j++)
			assert_string_not_equal(fprs[i], fprs[j]);
	}
	assert_null(fixture_fpr(fx, "../env"));

	/* The embargo config names the sandbox's pieces. */
	text = fixture_read_file(fx->config, NULL);
	assert_non_null(text);
	want = g_strdup_printf("team_key = %s\n", fprs[0]);
	assert_non_null(strstr(text, want));
	g_free(want);
	want = g_strdup_printf("sendmail = %s -oi -t\n", fx->bin_sendmail);
	assert_non_null(strstr(text, want));
	g_free(want);
	want = g_strdup_printf("path = %s\n", fx->store);
	assert_non_null(strstr(text, want));
	g_free(want);
	assert_non_null(strstr(text, "query = to:security@example.org\n"));
	assert_non_null(strstr(text, "me = alice@example.org\n"));
	g_free(text);

	/* notmuch reads its config as written, and never indexes plaintext. */
	q = g_shell_quote(fx->notmuch_config);
	text = run_expect(0, "notmuch --config=%s config get index.decrypt", q);
	assert_string_equal(text, "auto\n");
	g_free(text);
	text = run_expect(
	    0, "notmuch --config=%s config get search.exclude_tags", q);
	assert_string_equal(text, "deleted\nspam\n");
	g_free(text);
	text = run_expect(0, "notmuch --config=%s config get database.path", q);
	assert_true(g_str_has_prefix(text, fx->maildir));
	assert_string_equal(text + strlen(fx->maildir), "\n");
	g_free(text);
	g_free(q);

	for (i = 0; i < G_N_ELEMENTS(key_names); i++)
		g_free(fprs[i]);
}

static void
test_threads(void **state)
{
	struct fixture *fx = shared;
	char *q, *tid, *args;
	size_t i;

	/* 13 cases; the list traffic is not among them. */
	assert_int_equal(
	    nm_count(fx, "--output=threads 'to:security@example.org'"), 13);
	assert_int_equal(nm_count(fx, "--output=threads '*'"), 15);
	assert_int_equal(nm_count(fx, "'*'"), 20);
	assert_int_equal(nm_count(fx, "folder:lists"), 3);
	assert_int_equal(
	    nm_count(fx, "'to:security@example.org and folder:lists'"), 0);
	assert_int_equal(nm_count(fx, "'folder:Sent'"), 0);
	assert_int_equal(nm_count(fx, "'tag:inbox and tag:unread'"), 20);

	for (i = 0; i < G_N_ELEMENTS(all_messages); i++) {
		args = g_strdup_printf("id:%s@fixture.test", all_messages[i]);
		if (nm_count(fx, args) != 1)
			fail_msg("message %s is not indexed", all_messages[i]);
		g_free(args);
	}

	/* The thread of five holds together through In-Reply-To/References. */
	q = g_shell_quote(fx->notmuch_config);
	tid = run_expect(
	    0,
	    "notmuch --config=%s search --output=threads id:t5-5@fixture.test",
	    q);
	g_strchomp(tid);
	assert_true(g_str_has_prefix(tid, "thread:"));
	args = g_strdup_printf("'%s'", tid);
	assert_int_equal(nm_count(fx, args), 5);
	g_free(args);
	g_free(tid);
	g_free(q);

	/* Markers are unique: each names one message. */
	assert_int_equal(nm_count(fx, "MARK-PLAIN"), 1);
	assert_int_equal(nm_count(fx, "MARK-T5-3"), 1);
	assert_int_equal(nm_count(fx, "MARK-SIGNED-GOOD"), 1);
	assert_int_equal(nm_count(fx, "MARK-UNSIGNED-PART"), 1);
	assert_int_equal(nm_count(fx, "MARK-SIGNED-PART"), 1);
	assert_int_equal(nm_count(fx, "MARK-HTML"), 1);
	assert_int_equal(nm_count(fx, "MARK-TRUNCATED"), 1);
	assert_int_equal(nm_count(fx, "MARK-LATIN1"), 1);
	/* The latin1 body was decoded from ISO-8859-1 base64. */
	assert_int_equal(nm_count(fx, "'Köln'"), 1);
	assert_int_equal(nm_count(fx, "'from:zoe@latin1.test'"), 1);
}

/* "sec"/"pub" fingerprints listed by gpg in HOME (g_free). */
static char *
gpg_list(const char *home, const char *what)
{
	char *q = g_shell_quote(home);
	char *out = run_expect(
	    0, "gpg --homedir %s --batch --with-colons %s 2>/dev/null", q,
	    what);

	g_free(q);
	return out;
}

static void
test_keys(void **state)
{
	struct fixture *fx = shared;
	char *team_sec = gpg_list(fx->gnupghome, "--list-secret-keys");
	char *team_pub = gpg_list(fx->gnupghome, "--list-keys");
	char *rep_sec = gpg_list(fx->gnupghome_reporters, "--list-secret-keys");
	char *rep_pub = gpg_list(fx->gnupghome_reporters, "--list-keys");
	size_t i;

	for (i = 0; i < G_N_ELEMENTS(key_names); i++) {
		char *fpr = fixture_fpr(fx, key_names[i]);
		int team_side = i < 3;

		assert_non_null(fpr);
		assert_non_null(strstr(team_pub, fpr));
		if (team_side) {
			assert_non_null(strstr(team_sec, fpr));
			assert_null(strstr(rep_sec, fpr));
		} else {
			assert_null(strstr(team_sec, fpr));
			assert_non_null(strstr(rep_sec, fpr));
			assert_non_null(strstr(rep_pub, fpr));
		}
		/* The reporters know the team's public key, not the handlers'.
		 */
		if (i == 0)
			assert_non_null(strstr(rep_pub, fpr));
		else if (team_side)
			assert_null(strstr(rep_pub, fpr));
		g_free(fpr);
	}
	/* ed25519 primary (algo 22), cv25519 encryption subkey (algo 18). */
	assert_non_null(strstr(team_sec, ":255:22:"));
	assert_non_null(strstr(team_sec, ":255:18:"));
	assert_non_null(
	    strstr(team_sec, "Example Security Team <security@example.org>"));
	assert_non_null(strstr(rep_sec, "Rita Reporter <rita@reporter.test>"));
	/* Imported reporter keys are not certified: validity "-", not "u" or
	 * "f". */
	assert_non_null(strstr(team_pub, "uid:-::::"));
	g_free(team_sec);
	g_free(team_pub);
	g_free(rep_sec);
	g_free(rep_pub);
}

static void
test_encrypted(void **state)
{
	struct fixture *fx = shared;
	char *text, *asc, *plain, *status, *args, *rita;

	/* enc-signed: PGP/MIME, the team decrypts it, rita signed it. */
	text = msg_text(fx, "enc-signed");
	assert_non_null(strstr(text, "Content-Type: multipart/encrypted; "
	                             "protocol=\"application/pgp-encrypted\""));
	assert_non_null(
	    strstr(text, "Content-Type: application/pgp-encrypted"));
	assert_non_null(strstr(text, "Version: 1"));
	assert_non_null(strstr(text, "Content-Type: application/octet-stream"));
	assert_null(strstr(text, "MARK-ENC-SIGNED"));
	asc = extract_armor(fx, text, "-----BEGIN PGP MESSAGE-----",
	                    "-----END PGP MESSAGE-----", "enc-signed.asc");
	plain = fixture_path(fx, "tmp-enc-signed.out");
	args = g_strdup_printf("--output %s --decrypt %s", plain, asc);
	status = gpg_status(0, fx->gnupghome, args);
	rita = fixture_fpr(fx, "rita");
	assert_non_null(strstr(status, "[GNUPG:] DECRYPTION_OKAY"));
	assert_non_null(strstr(status, "[GNUPG:] GOODSIG"));
	assert_non_null(strstr(status, rita));
	g_free(status);
	g_free(args);
	g_free(text);
	/* The payload is a MIME entity with CRLF line ends. */
	text = fixture_read_file(plain, NULL);
	assert_non_null(text);
	assert_true(g_str_has_prefix(
	    text, "Content-Type: text/plain; charset=utf-8\r\n"));
	assert_non_null(strstr(text, "MARK-ENC-SIGNED\r\n"));
	g_free(text);
	g_free(plain);
	g_free(asc);

	/* enc-unknown: only ghost (a reporter-side key) can read it. */
	text = msg_text(fx, "enc-unknown");
	asc = extract_armor(fx, text, "-----BEGIN PGP MESSAGE-----",
	                    "-----END PGP MESSAGE-----", "enc-unknown.asc");
	args = g_strdup_printf("--output /dev/null --decrypt %s", asc);
	status = gpg_status(2, fx->gnupghome, args);
	assert_non_null(strstr(status, "[GNUPG:] NO_SECKEY"));
	assert_null(strstr(status, "DECRYPTION_OKAY"));
	g_free(status);
	status = gpg_status(0, fx->gnupghome_reporters, args);
	assert_non_null(strstr(status, "[GNUPG:] DECRYPTION_OKAY"));
	g_free(status);
	g_free(args);
	g_free(asc);
	g_free(text);

	/* inline-enc: armoured in a text/plain body, signed by rita. */
	text = msg_text(fx, "inline-enc");
	assert_non_null(strstr(text, "Content-Type: text/plain"));
	asc = extract_armor(fx, text, "-----BEGIN PGP MESSAGE-----",
	                    "-----END PGP MESSAGE-----", "inline-enc.asc");
	plain = fixture_path(fx, "tmp-inline-enc.out");
	args = g_strdup_printf("--output %s --decrypt %s", plain, asc);
	status = gpg_status(0, fx->gnupghome, args);
	assert_non_null(strstr(status, "[GNUPG:] GOODSIG"));
	assert_non_null(strstr(status, rita));
	g_free(status);
	g_free(args);
	g_free(text);
	text = fixture_read_file(plain, NULL);
	assert_non_null(text);
	assert_non_null(strstr(text, "MARK-INLINE-ENC"));
	g_free(text);
	g_free(plain);
	g_free(asc);
	g_free(rita);

	/* index.decrypt=auto: no plaintext reached the index. */
	assert_int_equal(nm_count(fx, "MARK-ENC-SIGNED"), 0);
	assert_int_equal(nm_count(fx, "MARK-ENC-UNKNOWN"), 0);
	assert_int_equal(nm_count(fx, "MARK-INLINE-ENC"), 0);
	assert_int_equal(nm_count(fx, "property:index.decryption=success"), 0);
}

/*
 * Verifies the multipart/signed part of message NAME whose boundary is
 * BOUNDARY with gpg in the team home, the way RFC 3156 says: the signed
 * entity is the bytes between the boundary lines, with CRLF line ends.
 * Returns gpg's status lines (g_free).
 */
static char *
verify_signed(struct fixture *fx, const char *name, const char *boundary,
              int want)
{
	char *text = msg_text(fx, name);
	char *open = g_strdup_printf("\n--%s\n", boundary);
	char *close = g_strdup_printf("\n--%s--\n", boundary);
	const char *start, *mid, *sig, *end;
	GString *canon = g_string_new(NULL);
	char *data_path, *sig_path, *args, *status, *tname;
	const char *p;

	start = strstr(text, open);
	assert_non_null(start);
	start += strlen(open);
	mid = strstr(start, open);
	assert_non_null(mid);
	end = strstr(mid, close);
	assert_non_null(end);
	/* The line break before a boundary belongs to the boundary. */
	for (p = start; p < mid; p++) {
		if (*p == '\n')
			g_string_append_c(canon, '\r');
		g_string_append_c(canon, *p);
	}
	sig = strstr(mid + strlen(open), "\n\n");
	assert_non_null(sig);
	assert_true(sig < end);
	assert_non_null(g_strstr_len(
	    mid, end - mid, "Content-Type: application/pgp-signature"));

	tname = g_strconcat(name, ".data", NULL);
	data_path = write_tmp(fx, tname, canon->str, canon->len);
	g_free(tname);
	tname = g_strconcat(name, ".sig", NULL);
	sig_path = write_tmp(fx, tname, sig + 2, (size_t)(end - sig - 2));
	g_free(tname);
	args = g_strdup_printf("--verify %s %s", sig_path, data_path);
	status = gpg_status(want, fx->gnupghome, args);

	g_free(args);
	g_free(sig_path);
	g_free(data_path);
	g_string_free(canon, TRUE);
	g_free(close);
	g_free(open);
	g_free(text);
	return status;
}

static void
test_signed(void **state)
{
	struct fixture *fx = shared;
	char *rita = fixture_fpr(fx, "rita");
	char *mallory = fixture_fpr(fx, "mallory");
	char *status, *text;

	text = msg_text(fx, "signed-good");
	assert_non_null(
	    strstr(text, "Content-Type: multipart/signed; micalg=pgp-sha256;\n"
	                 " protocol=\"application/pgp-signature\""));
	g_free(text);
	status = verify_signed(fx, "signed-good", "=-signed-good", 0);
	assert_non_null(strstr(status, "[GNUPG:] GOODSIG"));
	assert_non_null(strstr(status, rita));
	g_free(status);

	status = verify_signed(fx, "signed-bad", "=-signed-bad", 1);
	assert_non_null(strstr(status, "[GNUPG:] BADSIG"));
	assert_null(strstr(status, "GOODSIG"));
	g_free(status);
	text = msg_text(fx, "signed-bad");
	assert_non_null(strstr(text, "MARK-SIGNED-BAD"));
	g_free(text);

	/* Good signature, but by mallory's key while From says dave. */
	status = verify_signed(fx, "wrong-uid", "=-wrong-uid", 0);
	assert_non_null(strstr(status, "[GNUPG:] GOODSIG"));
	assert_non_null(strstr(status, mallory));
	assert_null(strstr(status, "dave@"));
	g_free(status);
	text = msg_text(fx, "wrong-uid");
	assert_non_null(strstr(text, "From: Dave <dave@wrong-uid.test>"));
	g_free(text);

	/* partial: the nested multipart/signed verifies; the other part is
	 * outside it. */
	status = verify_signed(fx, "partial", "=-partial-signed", 0);
	assert_non_null(strstr(status, "[GNUPG:] GOODSIG"));
	assert_non_null(strstr(status, rita));
	g_free(status);
	text = msg_text(fx, "partial");
	assert_true(strstr(text, "MARK-UNSIGNED-PART") <
	            strstr(text, "--=-partial-signed"));
	assert_non_null(strstr(text, "Content-Type: multipart/mixed"));
	g_free(text);

	g_free(mallory);
	g_free(rita);
}

static void
test_inline_signed_and_odd_messages(void **state)
{
	struct fixture *fx = shared;
	char *rita = fixture_fpr(fx, "rita");
	char *text, *asc, *args, *status;
	size_t len;

	text = msg_text(fx, "inline-signed");
	asc = extract_armor(fx, text, "-----BEGIN PGP SIGNED MESSAGE-----",
	                    "-----END PGP SIGNATURE-----", "inline-signed.asc");
	args = g_strdup_printf("--verify %s", asc);
	status = gpg_status(0, fx->gnupghome, args);
	assert_non_null(strstr(status, "[GNUPG:] GOODSIG"));
	assert_non_null(strstr(status, rita));
	assert_non_null(strstr(text, "MARK-INLINE-SIGNED"));
	g_free(status);
	g_free(args);
	g_free(asc);
	g_free(text);

	text = msg_text(fx, "latin1");
	assert_non_null(
	    strstr(text, "Content-Type: text/plain; charset=iso-8859-1"));
	assert_non_null(strstr(text, "Content-Transfer-Encoding: base64"));
	g_free(text);

	text = msg_text(fx, "html-only");
	assert_non_null(strstr(text, "Content-Type: text/html"));
	assert_non_null(strstr(text, "<script>"));
	assert_non_null(strstr(text, "<img "));
	assert_non_null(strstr(text, "<a href="));
	assert_null(strstr(text, "text/plain"));
	g_free(text);

	/* truncated: cut mid-line, without a closing boundary. */
	{
		char *path = msg_file(fx, "truncated");

		text = fixture_read_file(path, &len);
		assert_non_null(text);
		assert_true(len > 0 && text[len - 1] != '\n');
		assert_null(strstr(text, "--=-truncated--"));
		assert_non_null(strstr(text, "MARK-TRUNCATED"));
		g_free(text);
		g_free(path);
	}
	g_free(rita);
}

static void
test_env(void **state)
{
	static const char *const vars[] = {"HOME",           "XDG_CONFIG_HOME",
	                                   "XDG_DATA_HOME",  "XDG_STATE_HOME",
	                                   "XDG_CACHE_HOME", "XDG_RUNTIME_DIR",
	                                   "GNUPGHOME",      "NOTMUCH_CONFIG",
	                                   "EMBARGO_CONFIG", "EMAIL"};
	struct fixture *fx = fixture_new();
	char *data, *out, *q;
	size_t i;
	long n;

	assert_non_null(fx);
	assert_string_equal(getenv("HOME"), fx->dir);
	assert_string_equal(getenv("GNUPGHOME"), fx->gnupghome);
	assert_string_equal(getenv("NOTMUCH_CONFIG"), fx->notmuch_config);
	assert_string_equal(getenv("EMBARGO_CONFIG"), fx->config);
	assert_string_equal(getenv("EMBARGO_NOW"), FIXTURE_NOW);
	assert_string_equal(getenv("EMAIL"), "alice@example.org");
	data = fixture_path(fx, "data");
	assert_string_equal(getenv("XDG_DATA_HOME"), data);
	g_free(data);

	/* Sourcing DIR/env in a clean shell gives the same values. */
	q = g_shell_quote(fx->env_file);
	for (i = 0; i < G_N_ELEMENTS(vars); i++) {
		const char *v = getenv(vars[i]);

		assert_non_null(v);
		assert_true(g_str_has_prefix(v, fx->dir) ||
		            strcmp(vars[i], "EMAIL") == 0);
		out = run_expect(
		    0, "env -i /bin/sh -c '. %s && printf %%s \"$%s\"'", q,
		    vars[i]);
		assert_string_equal(out, v);
		g_free(out);
	}
	g_free(q);

	/* With the environment alone, notmuch finds the sandbox. */
	out = run_expect(
	    0, "notmuch count --output=threads to:security@example.org");
	n = strtol(out, NULL, 10);
	assert_int_equal(n, 13);
	g_free(out);
	fixture_free(fx);
}

static void
test_sendmail(void **state)
{
	struct fixture *fx = fixture_new();
	const char *msg =
	    "From: alice@example.org\nTo: rita@reporter.test\nSubject: "
	    "hi\n\nbody\n.\nafter dot\n";
	char *in, *cmd, *out, *path, *text, *q;
	int status = -1;

	assert_non_null(fx);
	in = fixture_path(fx, "in.eml");
	assert_true(g_file_set_contents(in, msg, -1, NULL));
	q = g_shell_quote(fx->bin_sendmail);

	/* Arguments one a line, stdin byte for byte, exit 0 by default. */
	cmd = g_strdup_printf("%s -oi -t 'two words' < %s", q, in);
	assert_int_equal(fixture_run(cmd, &out, &status), 0);
	assert_int_equal(status, 0);
	assert_string_equal(out, "");
	g_free(out);
	g_free(cmd);
	path = g_build_filename(fx->outbox, "1.args", NULL);
	text = fixture_read_file(path, NULL);
	assert_non_null(text);
	assert_string_equal(text, "-oi\n-t\ntwo words\n");
	g_free(text);
	g_free(path);
	path = g_build_filename(fx->outbox, "1.eml", NULL);
	text = fixture_read_file(path, NULL);
	assert_non_null(text);
	assert_string_equal(text, msg);
	g_free(text);
	g_free(path);

	/* SENDMAIL_EXIT and SENDMAIL_STDERR make it fail like an MTA; N counts
	 * on. */
	cmd = g_strdup_printf("SENDMAIL_EXIT=75 SENDMAIL_STDERR='queue is "
	                      "locked' %s -oi -- bob@example.org < %s 2>&1",
	                      q, in);
	assert_int_equal(fixture_run(cmd, &out, &status), 0);
	assert_int_equal(status, 75);
	assert_string_equal(out, "queue is locked\n");
	g_free(out);
	g_free(cmd);
	path = g_build_filename(fx->outbox, "2.args", NULL);
	text = fixture_read_file(path, NULL);
	assert_non_null(text);
	assert_string_equal(text, "-oi\n--\nbob@example.org\n");
	g_free(text);
	g_free(path);
	path = g_build_filename(fx->outbox, "2.eml", NULL);
	assert_true(g_file_test(path, G_FILE_TEST_IS_REGULAR));
	g_free(path);

	/* The configured command line works from any directory, without the
	 * env. */
	cmd = g_strdup_printf("cd / && env -i %s -oi -t < %s && ls %s", q, in,
	                      fx->outbox);
	assert_int_equal(fixture_run(cmd, &out, &status), 0);
	assert_int_equal(status, 0);
	assert_string_equal(out,
	                    "1.args\n1.eml\n2.args\n2.eml\n3.args\n3.eml\n");
	g_free(out);
	g_free(cmd);

	g_free(q);
	g_free(in);
	fixture_free(fx);
}

static void
test_add_message(void **state)
{
	struct fixture *fx = fixture_new();
	const char *msg = "From: Nina New <nina@new.test>\n"
	                  "To: security@example.org\n"
	                  "Subject: A new report\n"
	                  "Date: Sun, 22 Nov 2026 10:00:00 +0000\n"
	                  "Message-ID: <added@fixture.test>\n"
	                  "\n"
	                  "MARK-ADDED\n";
	char *path;

	assert_non_null(fx);
	assert_int_equal(fixture_add_message(fx, "INBOX", "added", msg), 0);
	path = g_build_filename(fx->maildir, "INBOX", "new", "added", NULL);
	assert_true(g_file_test(path, G_FILE_TEST_IS_REGULAR));
	g_free(path);
	/* Not searchable until notmuch new ran. */
	assert_int_equal(nm_count(fx, "MARK-ADDED"), 0);
	assert_int_equal(fixture_notmuch(fx, "new --quiet"), 0);
	assert_int_equal(nm_count(fx, "MARK-ADDED"), 1);
	assert_int_equal(
	    nm_count(fx, "--output=threads 'to:security@example.org'"), 14);

	/* A new folder is created as a maildir. */
	assert_int_equal(fixture_add_message(fx, "Archive/2026", "old", msg),
	                 0);
	path = g_build_filename(fx->maildir, "Archive", "2026", "cur", NULL);
	assert_true(g_file_test(path, G_FILE_TEST_IS_DIR));
	g_free(path);
	assert_int_equal(fixture_notmuch(fx, "new --quiet"), 0);
	assert_int_equal(nm_count(fx, "'folder:Archive/2026'"), 1);

	/* Names that would leave the maildir are refused; a bad notmuch run
	 * reports its status. */
	assert_int_equal(fixture_add_message(fx, "../outside", "x", msg), -1);
	assert_int_equal(fixture_add_message(fx, "INBOX", "a/b", msg), -1);
	assert_int_equal(fixture_add_message(fx, "INBOX", "..", msg), -1);
	assert_int_equal(fixture_add_message(fx, "", "x", msg), -1);
	assert_int_not_equal(
	    fixture_notmuch(fx, "no-such-subcommand 2>/dev/null"), 0);
	fixture_free(fx);
}

static void
test_fixture_free_cleans_up(void **state)
{
	struct fixture *fx = fixture_new();
	char *dir, *sock, *cmd, *out, *q;
	int status = -1, tries;

	assert_non_null(fx);
	dir = g_strdup(fx->dir);
	/* Start both agents. */
	q = g_shell_quote(fx->gnupghome);
	out = run_expect(0, "gpg-connect-agent --homedir %s /bye 2>&1", q);
	g_free(out);
	g_free(q);
	q = g_shell_quote(fx->gnupghome_reporters);
	out = run_expect(0, "gpg-connect-agent --homedir %s /bye 2>&1", q);
	g_free(out);
	g_free(q);
	sock = g_build_filename(fx->gnupghome, "S.gpg-agent", NULL);
	assert_true(g_file_test(sock, G_FILE_TEST_EXISTS));
	cmd = g_strdup_printf("pgrep -f '[g]pg-agent.*%s/'", dir);
	assert_int_equal(fixture_run(cmd, NULL, &status), 0);
	assert_int_equal(status, 0);

	fixture_free(fx);
	assert_false(g_file_test(dir, G_FILE_TEST_EXISTS));
	/* The agents may take a moment to exit after gpgconf --kill. */
	for (tries = 0; tries < 100; tries++) {
		assert_int_equal(fixture_run(cmd, NULL, &status), 0);
		if (status == 1)
			break;
		g_usleep(20000);
	}
	assert_int_equal(status, 1);
	fixture_free(NULL);
	g_free(cmd);
	g_free(sock);
	g_free(dir);
}

static void
test_run_and_read(void **state)
{
	char *out = NULL;
	int status = -1;
	size_t len = 0;
	char *text;

	assert_int_equal(fixture_run("printf 'a\\nb'; exit 3", &out, &status),
	                 0);
	assert_int_equal(status, 3);
	assert_string_equal(out, "a\nb");
	g_free(out);
	assert_int_equal(fixture_run("kill -TERM $$", NULL, &status), 0);
	assert_int_equal(status, 128 + 15);
	text = fixture_read_file(shared->notmuch_config, &len);
	assert_non_null(text);
	assert_int_equal(strlen(text), len);
	g_free(text);
	assert_null(fixture_read_file("/nonexistent/fixture-file", &len));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_layout),
	    cmocka_unit_test(test_threads),
	    cmocka_unit_test(test_keys),
	    cmocka_unit_test(test_encrypted),
	    cmocka_unit_test(test_signed),
	    cmocka_unit_test(test_inline_signed_and_odd_messages),
	    cmocka_unit_test(test_run_and_read),
	    cmocka_unit_test(test_env),
	    cmocka_unit_test(test_sendmail),
	    cmocka_unit_test(test_add_message),
	    cmocka_unit_test(test_fixture_free_cleans_up),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
