/* tests/test_mime.c: messages become display blocks that never claim more than was decrypted and verified. */
#include "build-config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <glib.h>
#include <glib/gstdio.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/crypto.h"
#include "core/mime.h"
#include "tests/fixture.h"

static struct fixture *fx;
static struct crypto *crypto;
static char *work; /* DIR/mime-work: scratch files for gpg */

#define HDRS                                                    \
	"From: Rita Reporter <rita@reporter.test>\n"            \
	"To: security@example.org\n"                            \
	"Subject: outer subject\n"                              \
	"Date: Thu, 19 Nov 2026 10:00:00 +0000\n"               \
	"Message-ID: <built@mime.test>\n"                       \
	"MIME-Version: 1.0\n"

static int
group_setup(void **state)
{
	struct error err = { { 0 } };

	fx = fixture_new();
	if (fx == NULL)
		return -1;
	if (crypto_new(NULL, NULL, &crypto, &err) != 0) {
		fprintf(stderr, "crypto_new: %s\n", err.msg);
		return -1;
	}
	work = fixture_path(fx, "mime-work");
	if (g_mkdir(work, 0700) != 0)
		return -1;
	return 0;
}

static int
group_teardown(void **state)
{
	crypto_free(crypto);
	g_free(work);
	fixture_free(fx);
	return 0;
}

/* The path of fixture message NAME (Message-ID <NAME@fixture.test>), in cur/ or new/. */
static char *
message_path(const char *name)
{
	static const char *const sub[] = { "INBOX/cur", "INBOX/new" };
	char *want = g_strdup_printf(".%s.fixture", name);
	char *found = NULL;

	for (size_t i = 0; i < G_N_ELEMENTS(sub) && found == NULL; i++) {
		char *dir = g_build_filename(fx->maildir, sub[i], NULL);
		GDir *d = g_dir_open(dir, 0, NULL);
		const char *e;

		while (d != NULL && (e = g_dir_read_name(d)) != NULL) {
			if (strstr(e, want) != NULL) {
				found = g_build_filename(dir, e, NULL);
				break;
			}
		}
		if (d != NULL)
			g_dir_close(d);
		g_free(dir);
	}
	g_free(want);
	assert_non_null(found);
	return found;
}

static struct message_view *
view_fixture_with(struct crypto *c, const char *name)
{
	struct message_view *mv = NULL;
	struct error err = { { 0 } };
	char *path = message_path(name);

	assert_int_equal(mime_view_file(c, path, NULL, &mv, &err), 0);
	assert_non_null(mv);
	g_free(path);
	return mv;
}

static struct message_view *
view_fixture(const char *name)
{
	return view_fixture_with(crypto, name);
}

static struct message_view *
view_string_lim(const char *s, size_t len, const struct mime_limits *lim)
{
	struct message_view *mv = NULL;
	struct error err = { { 0 } };

	assert_int_equal(mime_view_bytes(crypto, s, len, lim, &mv, &err), 0);
	assert_non_null(mv);
	return mv;
}

static struct message_view *
view_string(const char *s)
{
	return view_string_lim(s, strlen(s), NULL);
}

static struct mime_block *
block(const struct message_view *mv, guint i)
{
	assert_true(i < mv->blocks->len);
	return mv->blocks->pdata[i];
}

static struct crypto_signature *
sig_at(const struct message_view *mv, int i)
{
	assert_true(i >= 0 && (guint)i < mv->signatures->len);
	return mv->signatures->pdata[i];
}

/* How many blocks of TYPE contain NEEDLE (NULL: any). */
static int
count_blocks(const struct message_view *mv, enum block_type type, const char *needle)
{
	int n = 0;

	for (guint i = 0; i < mv->blocks->len; i++) {
		struct mime_block *b = mv->blocks->pdata[i];

		if (b->type == type && (needle == NULL ||
		    (b->text != NULL && strstr(b->text, needle) != NULL)))
			n++;
	}
	return n;
}

static struct mime_block *
find_block(const struct message_view *mv, enum block_type type, const char *needle)
{
	for (guint i = 0; i < mv->blocks->len; i++) {
		struct mime_block *b = mv->blocks->pdata[i];

		if (b->type == type && b->text != NULL && strstr(b->text, needle) != NULL)
			return b;
	}
	fail_msg("no block of type %d containing \"%s\"", type, needle);
	return NULL;
}

static struct mime_block *
first_of(const struct message_view *mv, enum block_type type)
{
	guint i = 0;

	while (i < mv->blocks->len && block(mv, i)->type != type)
		i++;
	return block(mv, i);
}

static bool
body_contains(const struct message_view *mv, const char *needle)
{
	char *body = message_view_body(mv);
	bool yes = strstr(body, needle) != NULL;

	g_free(body);
	return yes;
}

/* Runs a shell command and returns its stdout; fails the test unless it exits 0. */
static char *G_GNUC_PRINTF(1, 2)
run(const char *fmt, ...)
{
	va_list ap;
	char *cmd, *out = NULL;
	int status = -1;

	va_start(ap, fmt);
	cmd = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	assert_int_equal(fixture_run(cmd, &out, &status), 0);
	if (status != 0)
		fail_msg("command failed (%d): %s", status, cmd);
	g_free(cmd);
	return out;
}

static char *
scratch(const char *name, const char *text)
{
	char *path = g_build_filename(work, name, NULL);

	assert_true(g_file_set_contents(path, text, -1, NULL));
	return path;
}

/* What rita sends to the team: PLAIN encrypted (binary) with extra gpg OPTS; *LEN its size.  (g_free) */
static char *
encrypt_binary(const char *plain, const char *opts, size_t *len)
{
	char *in = scratch("plain.txt", plain);
	char *out = g_build_filename(work, "cipher.gpg", NULL);
	char *data;

	g_free(run("gpg --homedir '%s' --batch --yes --quiet --trust-model always %s "
	    "-e -r security@example.org -o '%s' '%s' 2>/dev/null",
	    fx->gnupghome_reporters, opts, out, in));
	data = fixture_read_file(out, len);
	assert_non_null(data);
	g_free(in);
	g_free(out);
	return data;
}

static char *
encrypt_armored(const char *plain, const char *opts)
{
	char *in = scratch("plain.txt", plain);
	char *out;

	out = run("gpg --homedir '%s' --batch --yes --quiet --trust-model always %s "
	    "-a -e -r security@example.org -o - '%s' 2>/dev/null",
	    fx->gnupghome_reporters, opts, in);
	g_free(in);
	assert_non_null(strstr(out, "-----BEGIN PGP MESSAGE-----"));
	return out;
}

/* A multipart/encrypted part (no top-level headers) around armoured or base64 CIPHER. */
static char *
pgpmime_part(const char *cipher, bool base64)
{
	return g_strdup_printf(
	    "Content-Type: multipart/encrypted; protocol=\"application/pgp-encrypted\"; boundary=\"ENC\"\n"
	    "\n"
	    "--ENC\n"
	    "Content-Type: application/pgp-encrypted\n"
	    "\n"
	    "Version: 1\n"
	    "\n"
	    "--ENC\n"
	    "Content-Type: application/octet-stream\n"
	    "%s"
	    "\n"
	    "%s\n"
	    "--ENC--\n",
	    base64 ? "Content-Transfer-Encoding: base64\n" : "", cipher);
}

static struct message_view *
view_pgpmime_binary(const char *bin, size_t len)
{
	char *b64 = g_base64_encode((const guchar *)bin, len);
	char *part = pgpmime_part(b64, true);
	char *msg = g_strconcat(HDRS, part, NULL);
	struct message_view *mv = view_string(msg);

	g_free(b64);
	g_free(part);
	g_free(msg);
	return mv;
}

/* No decrypted text: encrypted, not decrypted, one "cannot decrypt" notice, MARKER nowhere. */
static void
assert_refused(const struct message_view *mv, const char *marker, const char *why)
{
	assert_true(mv->encrypted);
	assert_false(mv->decrypted);
	assert_non_null(mv->decrypt_error);
	if (why != NULL)
		assert_non_null(strstr(mv->decrypt_error, why));
	assert_int_equal(count_blocks(mv, BLOCK_NOTICE, "cannot decrypt"), 1);
	assert_int_equal(count_blocks(mv, BLOCK_TEXT, NULL), 0);
	assert_false(body_contains(mv, marker));
}

/* ---- the fixture's messages ---- */

static void
test_plain_report(void **state)
{
	struct message_view *mv = view_fixture("plain");

	assert_string_equal(mv->msgid, "plain@fixture.test");
	assert_string_equal(mv->from, "Carol Plain <carol@plain.test>");
	assert_string_equal(mv->from_addr, "carol@plain.test");
	assert_int_equal(mv->from_mailboxes, 1);
	assert_int_equal(mv->from_headers, 1);
	assert_string_equal(mv->subject, "Heap overflow in the config parser");
	assert_non_null(strstr(mv->to, "security@example.org"));
	assert_int_equal((long long)mv->date, 1795165200LL); /* 2026-11-20T09:00:00Z */
	assert_null(mv->protected_subject);
	assert_false(mv->encrypted);
	assert_false(mv->decrypted);
	assert_int_equal(mv->sig_status, SIG_NONE);
	assert_int_equal(mv->sig_best, -1);
	assert_false(mv->sig_partial);
	assert_int_equal(mv->blocks->len, 1);
	assert_int_equal(block(mv, 0)->type, BLOCK_TEXT);
	assert_int_equal(block(mv, 0)->sig_index, -1);
	assert_non_null(strstr(block(mv, 0)->text, "MARK-PLAIN"));
	message_view_free(mv);
}

static void
test_thread_headers(void **state)
{
	struct message_view *mv = view_fixture("t5-2");

	assert_string_equal(mv->from_addr, "alice@example.org");
	assert_non_null(mv->in_reply_to);
	assert_non_null(strstr(mv->in_reply_to, "t5-1@fixture.test"));
	assert_non_null(strstr(mv->cc, "security@example.org"));
	assert_true(body_contains(mv, "MARK-T5-2"));
	message_view_free(mv);
}

static void
test_encrypted_signed(void **state)
{
	struct message_view *mv = view_fixture("enc-signed");
	char *rita = fixture_fpr(fx, "rita");
	struct crypto_signature *sig;
	struct mime_block *b;

	assert_true(mv->encrypted);
	assert_true(mv->decrypted);
	assert_null(mv->decrypt_error);
	assert_int_equal(mv->sig_status, SIG_GOOD);
	assert_true(mv->sig_matches_from);
	assert_false(mv->sig_partial);
	sig = sig_at(mv, mv->sig_best);
	assert_string_equal(sig->fpr, rita);
	assert_int_equal(sig->validity, VALIDITY_UNKNOWN); /* rita's key is not certified */
	assert_non_null(strstr(sig->uid, "rita@reporter.test"));
	assert_true(crypto_signature_has_email(sig, "RITA@reporter.test"));
	b = find_block(mv, BLOCK_TEXT, "MARK-ENC-SIGNED");
	assert_true(b->encrypted);
	assert_int_equal(b->sig_index, mv->sig_best);
	assert_string_equal(mv->subject, "Encrypted report");
	g_free(rita);
	message_view_free(mv);
}

static void
test_encrypted_without_crypto(void **state)
{
	struct message_view *mv = view_fixture_with(NULL, "enc-signed");

	assert_refused(mv, "MARK-ENC-SIGNED", "no OpenPGP context");
	assert_int_equal(mv->sig_status, SIG_NONE);
	message_view_free(mv);
}

static char *
passphrase_cb(void *arg, const char *hint, bool bad_before)
{
	(*(int *)arg)++;
	return g_strdup("unused");
}

static void
test_loopback_context_decrypts(void **state)
{
	struct crypto *c = NULL;
	struct error err = { { 0 } };
	struct message_view *mv;
	int calls = 0;

	assert_int_equal(crypto_new(passphrase_cb, &calls, &c, &err), 0);
	mv = view_fixture_with(c, "enc-signed");
	assert_true(mv->decrypted);
	assert_true(body_contains(mv, "MARK-ENC-SIGNED"));
	assert_int_equal(calls, 0); /* the team's keys have no passphrase */
	message_view_free(mv);
	crypto_free(c);
}

static void
test_signed_good(void **state)
{
	struct message_view *mv = view_fixture("signed-good");
	char *rita = fixture_fpr(fx, "rita");

	assert_false(mv->encrypted);
	assert_int_equal(mv->sig_status, SIG_GOOD);
	assert_string_equal(sig_at(mv, mv->sig_best)->fpr, rita);
	assert_true(mv->sig_matches_from);
	assert_false(mv->sig_partial);
	assert_int_equal(find_block(mv, BLOCK_TEXT, "MARK-SIGNED-GOOD")->sig_index,
	    mv->sig_best);
	g_free(rita);
	message_view_free(mv);
}

static void
test_signed_bad(void **state)
{
	struct message_view *mv = view_fixture("signed-bad");

	assert_int_equal(mv->sig_status, SIG_BAD);
	assert_false(mv->sig_matches_from);
	assert_false(mv->sig_partial);
	assert_true(body_contains(mv, "MARK-SIGNED-BAD"));
	message_view_free(mv);
}

static void
test_signed_wrong_uid(void **state)
{
	struct message_view *mv = view_fixture("wrong-uid");
	char *mallory = fixture_fpr(fx, "mallory");
	struct crypto_signature *sig;

	assert_int_equal(mv->sig_status, SIG_GOOD);
	assert_false(mv->sig_matches_from);
	sig = sig_at(mv, mv->sig_best);
	assert_string_equal(sig->fpr, mallory);
	assert_true(crypto_signature_has_email(sig, "mallory@evil.test"));
	assert_false(crypto_signature_has_email(sig, mv->from_addr));
	g_free(mallory);
	message_view_free(mv);
}

static void
test_partial_signature(void **state)
{
	struct message_view *mv = view_fixture("partial");
	struct mime_block *u = find_block(mv, BLOCK_TEXT, "MARK-UNSIGNED-PART");
	struct mime_block *s = find_block(mv, BLOCK_TEXT, "MARK-SIGNED-PART");

	assert_int_equal(mv->sig_status, SIG_GOOD);
	assert_true(mv->sig_partial);
	assert_true(mv->sig_matches_from);
	assert_int_equal(u->sig_index, -1);
	assert_int_equal(sig_at(mv, s->sig_index)->status, SIG_GOOD);
	assert_true(u != s);
	message_view_free(mv);
}

static void
test_encrypted_to_unknown_key(void **state)
{
	struct message_view *mv = view_fixture("enc-unknown");
	char *keys, *keyid = NULL;
	char **lines;

	/* The error names the key the message was encrypted to: ghost's encryption subkey. */
	keys = run("gpg --homedir '%s' --batch --with-colons --list-keys ghost@elsewhere.test",
	    fx->gnupghome_reporters);
	lines = g_strsplit(keys, "\n", -1);
	for (char **l = lines; *l != NULL && keyid == NULL; l++) {
		if (g_str_has_prefix(*l, "sub:")) {
			char **f = g_strsplit(*l, ":", -1);

			keyid = g_strdup(f[4]);
			g_strfreev(f);
		}
	}
	assert_non_null(keyid);
	assert_refused(mv, "MARK", "no secret key");
	assert_non_null(strstr(mv->decrypt_error, keyid));
	assert_non_null(strstr(find_block(mv, BLOCK_NOTICE, "cannot decrypt")->text, keyid));
	g_strfreev(lines);
	g_free(keys);
	g_free(keyid);
	message_view_free(mv);
}

static void
test_inline_encrypted(void **state)
{
	struct message_view *mv = view_fixture("inline-enc");
	struct mime_block *b = find_block(mv, BLOCK_TEXT, "MARK-INLINE-ENC");

	assert_true(mv->encrypted);
	assert_true(mv->decrypted);
	assert_true(b->encrypted);
	assert_int_equal(mv->sig_status, SIG_GOOD);
	assert_true(mv->sig_matches_from);
	assert_false(body_contains(mv, "BEGIN PGP MESSAGE"));
	message_view_free(mv);
}

static void
test_inline_clearsigned(void **state)
{
	struct message_view *mv = view_fixture("inline-signed");
	struct mime_block *b = find_block(mv, BLOCK_TEXT, "MARK-INLINE-SIGNED");
	char *rita = fixture_fpr(fx, "rita");

	assert_false(mv->encrypted);
	assert_int_equal(mv->sig_status, SIG_GOOD);
	assert_string_equal(sig_at(mv, b->sig_index)->fpr, rita);
	assert_false(mv->sig_partial);
	/* The signed text is gpg's output, without the armour. */
	assert_null(strstr(b->text, "BEGIN PGP"));
	g_free(rita);
	message_view_free(mv);
}

static void
test_latin1_base64(void **state)
{
	struct message_view *mv = view_fixture("latin1");
	struct mime_block *b = find_block(mv, BLOCK_TEXT, "MARK-LATIN1");

	assert_true(g_utf8_validate(b->text, -1, NULL));
	assert_non_null(strstr(b->text, "Gr\xc3\xbc\xc3\x9f" "e aus K\xc3\xb6ln"));
	assert_non_null(strstr(b->text, "na\xc3\xafve caf\xc3\xa9"));
	assert_string_equal(mv->from_addr, "zoe@latin1.test");
	assert_non_null(strstr(mv->from, "Zo\xc3\xab M\xc3\xbcller"));
	message_view_free(mv);
}

static void
test_html_only(void **state)
{
	struct message_view *mv = view_fixture("html-only");
	struct mime_block *b = find_block(mv, BLOCK_TEXT, "MARK-HTML");

	assert_true(b->from_html);
	assert_null(strstr(b->text, "<p"));
	assert_null(strstr(b->text, "<b>"));
	assert_null(strstr(b->text, "MARK-SCRIPT"));
	assert_null(strstr(b->text, "Report")); /* <title> is dropped */
	assert_non_null(strstr(b->text, "the proof of concept <https://html.test/poc>"));
	assert_non_null(strstr(b->text, "renders unescaped HTML"));
	message_view_free(mv);
}

static void
test_truncated_multipart(void **state)
{
	struct message_view *mv = view_fixture("truncated");

	assert_true(body_contains(mv, "MARK-TRUNCATED"));
	assert_true(mv->blocks->len >= 1);
	assert_int_equal(block(mv, 0)->type, BLOCK_TEXT);
	message_view_free(mv);
}

/* ---- hostile shapes ---- */

static void
test_nesting_200_deep(void **state)
{
	GString *m = g_string_new(HDRS);
	struct message_view *mv;

	for (int i = 0; i < 200; i++)
		g_string_append_printf(m, "Content-Type: multipart/mixed; boundary=\"b%d\"\n\n--b%d\n", i, i);
	g_string_append(m, "Content-Type: text/plain\n\nMARK-DEEP\n");
	for (int i = 199; i >= 0; i--)
		g_string_append_printf(m, "--b%d--\n", i);
	mv = view_string(m->str);
	assert_int_equal(count_blocks(mv, BLOCK_NOTICE, "nested deeper than 32 levels"), 1);
	assert_false(body_contains(mv, "MARK-DEEP"));
	assert_string_equal(mv->subject, "outer subject");
	message_view_free(mv);
	g_string_free(m, TRUE);
}

static void
test_ten_thousand_parts(void **state)
{
	GString *m = g_string_new(HDRS "Content-Type: multipart/mixed; boundary=\"P\"\n\n");
	struct message_view *mv;

	for (int i = 0; i < 10000; i++)
		g_string_append_printf(m, "--P\nContent-Type: text/plain\n\npart %d\n", i);
	g_string_append(m, "--P--\n");
	mv = view_string(m->str);
	assert_int_equal(count_blocks(mv, BLOCK_TEXT, NULL), 1000);
	assert_int_equal(count_blocks(mv, BLOCK_NOTICE, "more than 1000 parts"), 1);
	assert_int_equal(mv->blocks->len, 1001);
	assert_false(body_contains(mv, "part 1000\n"));
	message_view_free(mv);
	g_string_free(m, TRUE);
}

static void
test_base64_decodes_past_limit(void **state)
{
	GString *m = g_string_new(HDRS "Content-Type: multipart/mixed; boundary=\"P\"\n\n");
	struct mime_limits lim;
	struct message_view *mv;
	struct mime_block *att;

	mime_limits_default(&lim);
	lim.max_part_size = 64 * 1024;
	g_string_append(m, "--P\nContent-Type: text/plain\nContent-Transfer-Encoding: base64\n\n");
	for (int i = 0; i < 4000; i++) /* 4000 lines of 57 decoded bytes: 228,000 bytes */
		g_string_append(m, "QUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFB\n");
	g_string_append(m, "--P\nContent-Type: application/octet-stream\n"
	    "Content-Disposition: attachment; filename=\"big.bin\"\n"
	    "Content-Transfer-Encoding: base64\n\n");
	for (int i = 0; i < 4000; i++)
		g_string_append(m, "QUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFB\n");
	g_string_append(m, "--P\nContent-Type: text/plain\n\nMARK-AFTER-BIG\n--P--\n");
	mv = view_string_lim(m->str, m->len, &lim);
	assert_int_equal(count_blocks(mv, BLOCK_NOTICE, "larger than 65536 bytes"), 1);
	assert_false(body_contains(mv, "AAAAAAAA"));
	att = first_of(mv, BLOCK_ATTACHMENT);
	assert_int_equal(att->size, 4000 * 54);
	assert_string_equal(att->filename, "big.bin");
	assert_true(body_contains(mv, "MARK-AFTER-BIG"));
	message_view_free(mv);
	g_string_free(m, TRUE);
}

static void
test_total_limit(void **state)
{
	GString *m = g_string_new(HDRS "Content-Type: multipart/mixed; boundary=\"P\"\n\n");
	struct mime_limits lim;
	struct message_view *mv;

	mime_limits_default(&lim);
	lim.max_part_size = 1000;
	lim.max_total = 2500;
	for (int i = 0; i < 5; i++) {
		g_string_append_printf(m, "--P\nContent-Type: text/plain\n\nMARK-T%d ", i);
		for (int k = 0; k < 89; k++) /* 899 bytes a part */
			g_string_append(m, "xxxxxxxxx ");
		g_string_append_c(m, '\n');
	}
	g_string_append(m, "--P--\n");
	mv = view_string_lim(m->str, m->len, &lim);
	assert_int_equal(count_blocks(mv, BLOCK_TEXT, NULL), 2);
	assert_int_equal(count_blocks(mv, BLOCK_NOTICE, "exceeds 2500 bytes"), 1);
	message_view_free(mv);
	g_string_free(m, TRUE);
}

static void
test_multipart_without_boundary(void **state)
{
	struct message_view *mv = view_string(HDRS
	    "Content-Type: multipart/mixed\n\nMARK-NO-BOUNDARY text\n");

	assert_int_equal(count_blocks(mv, BLOCK_NOTICE, "missing or wrong boundary"), 1);
	assert_true(body_contains(mv, "MARK-NO-BOUNDARY"));
	message_view_free(mv);
}

static void
test_empty_message(void **state)
{
	struct message_view *mv = view_string_lim("", 0, NULL);

	assert_null(mv->from);
	assert_null(mv->from_addr);
	assert_int_equal(mv->from_headers, 0);
	assert_int_equal(count_blocks(mv, BLOCK_NOTICE, "empty message"), 1);
	assert_int_equal(mv->sig_status, SIG_NONE);
	message_view_free(mv);
}

static void
test_nul_in_header(void **state)
{
	static const char m[] = "From: Nul <nul@x.test>\nSubject: before\0after\n"
	    "Message-ID: <nul@x.test>\n\nMARK-NUL-BODY\n";
	struct message_view *mv = view_string_lim(m, sizeof m - 1, NULL);

	assert_string_equal(mv->from_addr, "nul@x.test");
	assert_non_null(mv->subject);
	assert_true(g_utf8_validate(mv->subject, -1, NULL));
	assert_true(body_contains(mv, "MARK-NUL-BODY"));
	message_view_free(mv);
}

static void
test_megabyte_header_line(void **state)
{
	GString *m = g_string_new("From: Long <long@x.test>\nX-Long: ");
	struct message_view *mv;

	for (int i = 0; i < 1024 * 1024; i++)
		g_string_append_c(m, i % 100 == 99 ? ';' : ':');
	g_string_append(m, "\nSubject: after the long line\n\nMARK-LONG-BODY\n");
	mv = view_string(m->str);
	assert_string_equal(mv->subject, "after the long line");
	assert_true(body_contains(mv, "MARK-LONG-BODY"));
	message_view_free(mv);
	g_string_free(m, TRUE);
}

static void
test_duplicate_from_headers(void **state)
{
	struct message_view *mv = view_string("From: Rita <rita@reporter.test>\n"
	    "From: Team <security@example.org>\nSubject: two\n\nbody\n");

	assert_int_equal(mv->from_headers, 2);
	assert_int_equal(mv->from_mailboxes, 2);
	assert_string_equal(mv->from_addr, "rita@reporter.test");
	assert_non_null(strstr(mv->from, "security@example.org")); /* neither is hidden */
	message_view_free(mv);
}

static void
test_two_mailboxes_in_from(void **state)
{
	struct message_view *mv = view_string("From: A <A@X.test>, B <b@y.test>\n"
	    "Authentication-Results: mx.example.org; dkim=pass header.d=x.test\n"
	    "Sender: C <c@z.test>\nSubject: two\n"
	    "Authentication-Results: evil.test; dkim=pass\n\nbody\n");

	assert_int_equal(mv->from_headers, 1);
	assert_int_equal(mv->from_mailboxes, 2);
	assert_string_equal(mv->from_addr, "a@x.test");
	assert_non_null(strstr(mv->sender, "c@z.test"));
	assert_int_equal(mv->auth_results->len, 2);
	assert_string_equal(g_ptr_array_index(mv->auth_results, 0),
	    "mx.example.org; dkim=pass header.d=x.test");
	message_view_free(mv);
}

static void
test_efail_encrypted_between_html(void **state)
{
	char *cipher = encrypt_armored("Content-Type: text/plain\n\nMARK-EFAIL secret\n", "");
	char *enc = pgpmime_part(cipher, false);
	char *m = g_strconcat(HDRS, "Content-Type: multipart/mixed; boundary=\"M\"\n\n"
	    "--M\nContent-Type: text/html\n\n"
	    "<p>BEFORE-HTML</p><img src=\"http://evil.test/?\n"
	    "--M\n", enc,
	    "--M\nContent-Type: text/html\n\n\">AFTER-HTML</p>\n"
	    "--M--\n", NULL);
	struct message_view *mv = view_string(m);
	char *body = message_view_body(mv);
	char **lines = g_strsplit(body, "\n", -1);
	int enc_blocks = 0, marked = 0;

	assert_true(mv->decrypted);
	for (guint i = 0; i < mv->blocks->len; i++) {
		struct mime_block *b = block(mv, i);

		if (b->encrypted) {
			enc_blocks++;
			assert_non_null(strstr(b->text, "MARK-EFAIL"));
			assert_null(strstr(b->text, "HTML"));
			assert_null(strstr(b->text, "evil"));
		} else if (b->text != NULL) {
			assert_null(strstr(b->text, "MARK-EFAIL"));
		}
	}
	assert_int_equal(enc_blocks, 1);
	/* The plaintext's line holds nothing else, and blank lines separate it from its neighbours. */
	for (int i = 0; lines[i] != NULL; i++) {
		if (strstr(lines[i], "MARK-EFAIL") == NULL)
			continue;
		marked++;
		assert_string_equal(lines[i], "MARK-EFAIL secret");
		assert_true(i > 0 && lines[i - 1][0] == '\0');
		assert_true(lines[i + 1] != NULL && lines[i + 1][0] == '\0');
	}
	assert_int_equal(marked, 1);
	assert_non_null(strstr(body, "BEFORE-HTML"));
	assert_non_null(strstr(body, "AFTER-HTML"));
	g_strfreev(lines);
	g_free(body);
	message_view_free(mv);
	g_free(m);
	g_free(enc);
	g_free(cipher);
}

static void
test_no_integrity_protection_refused(void **state)
{
	size_t len;
	char *bin = encrypt_binary("Content-Type: text/plain\n\nMARK-NOMDC\n",
	    "--rfc2440 --no-mdc --cipher-algo AES", &len);
	struct message_view *mv = view_pgpmime_binary(bin, len);

	assert_refused(mv, "MARK-NOMDC", "not integrity protected");
	message_view_free(mv);
	g_free(bin);
}

static void
test_flipped_byte_refused(void **state)
{
	size_t len;
	char *bin = encrypt_binary("Content-Type: text/plain\n\nMARK-FLIPPED and more text to flip\n",
	    "--compress-algo none", &len);
	struct message_view *mv;

	bin[len - 30] ^= 0x01; /* inside the encrypted data, before the MDC */
	mv = view_pgpmime_binary(bin, len);
	assert_refused(mv, "MARK-FLIPPED", "cannot decrypt");
	message_view_free(mv);
	g_free(bin);
}

static void
test_truncated_ciphertext_refused(void **state)
{
	size_t len;
	char *bin = encrypt_binary("Content-Type: text/plain\n\nMARK-CUT and more text to cut\n",
	    "--compress-algo none", &len);
	struct message_view *mv = view_pgpmime_binary(bin, len - 25);

	assert_refused(mv, "MARK-CUT", "cannot decrypt");
	message_view_free(mv);
	g_free(bin);
}

static void
test_compressed_bomb_capped(void **state)
{
	char *zeros = g_build_filename(work, "zeros", NULL);
	char *out = g_build_filename(work, "bomb.gpg", NULL);
	struct crypto_decrypt_result res;
	struct error err = { { 0 } };
	char *data;
	size_t len;

	g_free(run("head -c 8388608 /dev/zero > '%s' && gpg --homedir '%s' --batch --yes "
	    "--quiet --trust-model always -z 9 -e -r security@example.org -o '%s' '%s'",
	    zeros, fx->gnupghome_reporters, out, zeros));
	data = fixture_read_file(out, &len);
	assert_true(len < 100 * 1024);
	assert_int_equal(crypto_decrypt(crypto, data, len, 1024 * 1024, &res, &err), -1);
	assert_null(res.plain);
	assert_non_null(strstr(res.error, "exceeds 1048576 bytes"));
	assert_non_null(strstr(err.msg, "exceeds"));
	crypto_decrypt_result_clear(&res);
	/* Within the cap the same message decrypts. */
	assert_int_equal(crypto_decrypt(crypto, data, len, 9 * 1024 * 1024, &res, &err), 0);
	assert_int_equal(res.plain->len, 8388608);
	assert_true(res.integrity_ok);
	crypto_decrypt_result_clear(&res);
	g_free(data);
	g_free(zeros);
	g_free(out);
}

static void
test_inline_pgp_kept_apart(void **state)
{
	char *cipher = encrypt_armored("MARK-INLINE-SECRET\n", "");
	char *m = g_strconcat(HDRS, "Content-Type: text/plain\n\nBEFORE-INLINE text\n",
	    cipher, "AFTER-INLINE text\n", NULL);
	struct message_view *mv = view_string(m);
	struct mime_block *b = find_block(mv, BLOCK_TEXT, "MARK-INLINE-SECRET");
	char *body = message_view_body(mv);

	assert_int_equal(count_blocks(mv, BLOCK_TEXT, NULL), 3);
	assert_true(b->encrypted);
	assert_null(strstr(b->text, "INLINE text"));
	assert_false(find_block(mv, BLOCK_TEXT, "BEFORE-INLINE")->encrypted);
	assert_false(find_block(mv, BLOCK_TEXT, "AFTER-INLINE")->encrypted);
	assert_non_null(strstr(body, "BEFORE-INLINE text\n\nMARK-INLINE-SECRET\n\nAFTER-INLINE text"));
	/* Encrypted but unsigned: nothing claims a signature. */
	assert_int_equal(mv->sig_status, SIG_NONE);
	g_free(body);
	message_view_free(mv);
	g_free(m);
	g_free(cipher);
}

static void
test_clearsigned_surroundings_unsigned(void **state)
{
	char *in = scratch("clear.txt", "MARK-CLEAR-SIGNED text\n");
	char *signed_text = run("gpg --homedir '%s' --batch --yes --quiet --clearsign -u rita@reporter.test -o - '%s'",
	    fx->gnupghome_reporters, in);
	char *m = g_strconcat(HDRS, "Content-Type: text/plain\n\nMARK-OUTSIDE-BEFORE\n",
	    signed_text, "MARK-OUTSIDE-AFTER\n", NULL);
	struct message_view *mv = view_string(m);
	struct mime_block *s = find_block(mv, BLOCK_TEXT, "MARK-CLEAR-SIGNED");

	assert_int_equal(mv->sig_status, SIG_GOOD);
	assert_true(mv->sig_partial);
	assert_int_equal(sig_at(mv, s->sig_index)->status, SIG_GOOD);
	assert_int_equal(find_block(mv, BLOCK_TEXT, "MARK-OUTSIDE-BEFORE")->sig_index, -1);
	assert_int_equal(find_block(mv, BLOCK_TEXT, "MARK-OUTSIDE-AFTER")->sig_index, -1);
	assert_null(strstr(s->text, "OUTSIDE"));
	message_view_free(mv);
	g_free(m);
	g_free(signed_text);
	g_free(in);
}

static void
test_forwarded_encrypted_not_decrypted(void **state)
{
	char *path = message_path("enc-signed");
	char *inner = fixture_read_file(path, NULL);
	char *m = g_strconcat(HDRS, "Content-Type: multipart/mixed; boundary=\"F\"\n\n"
	    "--F\nContent-Type: text/plain\n\nsee below\n"
	    "--F\nContent-Type: message/rfc822\n\n", inner, "\n--F--\n", NULL);
	struct message_view *mv = view_string(m);

	assert_true(mv->encrypted);
	assert_false(mv->decrypted);
	assert_int_equal(count_blocks(mv, BLOCK_NOTICE, "encrypted part in a forwarded message: not decrypted"), 1);
	assert_int_equal(count_blocks(mv, BLOCK_NOTICE, "forwarded message from Rita Reporter"), 1);
	assert_false(body_contains(mv, "MARK-ENC-SIGNED"));
	assert_int_equal(mv->sig_status, SIG_NONE);
	message_view_free(mv);
	g_free(m);
	g_free(inner);
	g_free(path);
}

static void
test_forwarded_signed_does_not_sign_outer(void **state)
{
	char *path = message_path("signed-good");
	char *inner = fixture_read_file(path, NULL);
	char *m = g_strconcat(HDRS, "Content-Type: multipart/mixed; boundary=\"F\"\n\n"
	    "--F\nContent-Type: text/plain\n\nMARK-OUTER-UNSIGNED\n"
	    "--F\nContent-Type: message/rfc822\n\n", inner, "\n--F--\n", NULL);
	struct message_view *mv = view_string(m);
	struct mime_block *b = find_block(mv, BLOCK_TEXT, "MARK-SIGNED-GOOD");

	assert_true(b->forwarded);
	assert_int_equal(sig_at(mv, b->sig_index)->status, SIG_GOOD);
	assert_false(find_block(mv, BLOCK_TEXT, "MARK-OUTER-UNSIGNED")->forwarded);
	/* Someone else's signed mail does not make this message signed. */
	assert_int_equal(mv->sig_status, SIG_NONE);
	assert_int_equal(mv->sig_best, -1);
	assert_false(mv->sig_matches_from);
	message_view_free(mv);
	g_free(m);
	g_free(inner);
	g_free(path);
}

static void
test_protected_subject(void **state)
{
	char *cipher = encrypt_armored("Content-Type: text/plain; protected-headers=\"v1\"\n"
	    "Subject: MARK-PROTECTED-SUBJECT\n\nMARK-PROTECTED-BODY\n", "");
	char *enc = pgpmime_part(cipher, false);
	char *m = g_strconcat(HDRS, enc, NULL);
	struct message_view *mv = view_string(m);

	assert_string_equal(mv->subject, "outer subject");
	assert_string_equal(mv->protected_subject, "MARK-PROTECTED-SUBJECT");
	assert_true(find_block(mv, BLOCK_TEXT, "MARK-PROTECTED-BODY")->encrypted);
	message_view_free(mv);
	g_free(m);
	g_free(enc);
	g_free(cipher);
}

static void
test_html_reduction(void **state)
{
	struct message_view *mv = view_string(HDRS "Content-Type: text/html\n\n"
	    "<html><head><style>p{MARK-STYLE}</style></head><body>"
	    "<p>a &amp; b &lt;tag&gt; &#65;&#x42; &quot;q&quot; &#0; &bogus;</p>"
	    "<!-- MARK-COMMENT --><ul><li>one</li><li>two</li></ul>"
	    "<a href=\"https://x.test/a?b=1&amp;c=2\">the link</a><br>"
	    "<a href='https://same.test/'>https://same.test/</a>"
	    "<SCRIPT type=text/javascript>MARK-SCRIPT</SCRIPT>done</body></html>\n");
	struct mime_block *b = block(mv, 0);

	assert_true(b->from_html);
	assert_non_null(strstr(b->text, "a & b <tag> AB \"q\" \xef\xbf\xbd &bogus;"));
	assert_non_null(strstr(b->text, "- one\n- two"));
	assert_non_null(strstr(b->text, "the link <https://x.test/a?b=1&c=2>"));
	assert_non_null(strstr(b->text, "\nhttps://same.test/"));
	assert_null(strstr(b->text, "https://same.test/ <"));
	assert_null(strstr(b->text, "MARK-STYLE"));
	assert_null(strstr(b->text, "MARK-COMMENT"));
	assert_null(strstr(b->text, "MARK-SCRIPT"));
	assert_non_null(strstr(b->text, "done"));
	message_view_free(mv);
}

static void
test_alternative_prefers_plain(void **state)
{
	struct message_view *mv = view_string(HDRS
	    "Content-Type: multipart/alternative; boundary=\"A\"\n\n"
	    "--A\nContent-Type: text/html\n\n<p>MARK-ALT-HTML</p>\n"
	    "--A\nContent-Type: text/plain\n\nMARK-ALT-PLAIN\n--A--\n");

	assert_true(body_contains(mv, "MARK-ALT-PLAIN"));
	assert_false(body_contains(mv, "MARK-ALT-HTML"));
	assert_int_equal(mv->blocks->len, 1);
	message_view_free(mv);
}

static void
test_attachment_listed(void **state)
{
	struct message_view *mv = view_string(HDRS
	    "Content-Type: multipart/mixed; boundary=\"A\"\n\n"
	    "--A\nContent-Type: text/plain\n\nsee attached\n"
	    "--A\nContent-Type: application/pdf; name=\"report.pdf\"\n"
	    "Content-Disposition: attachment; filename=\"report.pdf\"\n"
	    "Content-Transfer-Encoding: base64\n\naGVsbG8gd29ybGQ=\n--A--\n");
	struct mime_block *b = block(mv, 1);

	assert_int_equal(b->type, BLOCK_ATTACHMENT);
	assert_string_equal(b->filename, "report.pdf");
	assert_string_equal(b->content_type, "application/pdf");
	assert_int_equal(b->size, 11);
	assert_true(body_contains(mv, "see attached\n\n[attachment: report.pdf, application/pdf, 11 bytes]"));
	message_view_free(mv);
}

static void
test_unknown_charset(void **state)
{
	struct message_view *mv = view_string(HDRS
	    "Content-Type: text/plain; charset=x-no-such-charset\n\ncaf\xe9 MARK-CHARSET\n");

	assert_int_equal(count_blocks(mv, BLOCK_NOTICE, "unknown charset"), 1);
	assert_true(g_utf8_validate(find_block(mv, BLOCK_TEXT, "MARK-CHARSET")->text, -1, NULL));
	assert_true(body_contains(mv, "caf\xc3\xa9 MARK-CHARSET"));
	message_view_free(mv);
}

static void
test_file_errors_and_size_limit(void **state)
{
	struct message_view *mv = NULL;
	struct error err = { { 0 } };
	struct mime_limits lim;
	char *path = message_path("plain");

	assert_int_equal(mime_view_file(crypto, "/nonexistent/mime-msg", NULL, &mv, &err), -1);
	assert_null(mv);
	assert_non_null(strstr(err.msg, "/nonexistent/mime-msg"));
	assert_int_equal(mime_view_file(crypto, "/tmp", NULL, &mv, &err), -1);
	assert_non_null(strstr(err.msg, "not a regular file"));

	mime_limits_default(&lim);
	lim.max_file = 400;
	assert_int_equal(mime_view_file(crypto, path, &lim, &mv, &err), 0);
	assert_string_equal(mv->subject, "Heap overflow in the config parser");
	assert_int_equal(count_blocks(mv, BLOCK_NOTICE, "message too large"), 1);
	assert_false(body_contains(mv, "MARK-PLAIN"));
	message_view_free(mv);
	g_free(path);
}

static void
test_detached_verify_direct(void **state)
{
	static const char text[] = "MARK-DETACHED\r\n";
	char *in = scratch("detached.txt", text);
	char *sig = run("gpg --homedir '%s' --batch --yes --quiet -a --detach-sign "
	    "-u rita@reporter.test -o - '%s'", fx->gnupghome_reporters, in);
	GPtrArray *sigs = g_ptr_array_new_with_free_func((GDestroyNotify)crypto_signature_free);
	struct error err = { { 0 } };
	struct crypto_signature *s;
	char *rita = fixture_fpr(fx, "rita");

	assert_int_equal(crypto_verify_detached(crypto, text, strlen(text), sig,
	    strlen(sig), sigs, &err), 0);
	assert_int_equal(sigs->len, 1);
	s = sigs->pdata[0];
	assert_int_equal(s->status, SIG_GOOD);
	assert_string_equal(s->fpr, rita);
	assert_true(s->created > 0);
	g_ptr_array_set_size(sigs, 0);
	assert_int_equal(crypto_verify_detached(crypto, "MARK-DETACHEX\r\n", 15, sig,
	    strlen(sig), sigs, &err), 0);
	assert_int_equal(((struct crypto_signature *)sigs->pdata[0])->status, SIG_BAD);
	g_ptr_array_set_size(sigs, 0);
	assert_int_equal(crypto_verify_detached(crypto, text, strlen(text), "garbage", 7,
	    sigs, &err), -1);
	assert_non_null(strstr(err.msg, "cannot verify"));
	assert_string_equal(sig_status_name(SIG_UNKNOWN_KEY), "unknown-key");
	assert_string_equal(validity_name(VALIDITY_MARGINAL), "marginal");
	g_ptr_array_unref(sigs);
	g_free(rita);
	g_free(sig);
	g_free(in);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plain_report),
		cmocka_unit_test(test_thread_headers),
		cmocka_unit_test(test_encrypted_signed),
		cmocka_unit_test(test_encrypted_without_crypto),
		cmocka_unit_test(test_loopback_context_decrypts),
		cmocka_unit_test(test_signed_good),
		cmocka_unit_test(test_signed_bad),
		cmocka_unit_test(test_signed_wrong_uid),
		cmocka_unit_test(test_partial_signature),
		cmocka_unit_test(test_encrypted_to_unknown_key),
		cmocka_unit_test(test_inline_encrypted),
		cmocka_unit_test(test_inline_clearsigned),
		cmocka_unit_test(test_latin1_base64),
		cmocka_unit_test(test_html_only),
		cmocka_unit_test(test_truncated_multipart),
		cmocka_unit_test(test_nesting_200_deep),
		cmocka_unit_test(test_ten_thousand_parts),
		cmocka_unit_test(test_base64_decodes_past_limit),
		cmocka_unit_test(test_total_limit),
		cmocka_unit_test(test_multipart_without_boundary),
		cmocka_unit_test(test_empty_message),
		cmocka_unit_test(test_nul_in_header),
		cmocka_unit_test(test_megabyte_header_line),
		cmocka_unit_test(test_duplicate_from_headers),
		cmocka_unit_test(test_two_mailboxes_in_from),
		cmocka_unit_test(test_efail_encrypted_between_html),
		cmocka_unit_test(test_no_integrity_protection_refused),
		cmocka_unit_test(test_flipped_byte_refused),
		cmocka_unit_test(test_truncated_ciphertext_refused),
		cmocka_unit_test(test_compressed_bomb_capped),
		cmocka_unit_test(test_inline_pgp_kept_apart),
		cmocka_unit_test(test_clearsigned_surroundings_unsigned),
		cmocka_unit_test(test_forwarded_encrypted_not_decrypted),
		cmocka_unit_test(test_forwarded_signed_does_not_sign_outer),
		cmocka_unit_test(test_protected_subject),
		cmocka_unit_test(test_html_reduction),
		cmocka_unit_test(test_alternative_prefers_plain),
		cmocka_unit_test(test_attachment_listed),
		cmocka_unit_test(test_unknown_charset),
		cmocka_unit_test(test_file_errors_and_size_limit),
		cmocka_unit_test(test_detached_verify_direct),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
