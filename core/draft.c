/* core/draft.c: a reply being written, and its copy in the store, encrypted to the team key. */
#include "build-config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <glib.h>
#include <sqlite3.h>

#include "core/app.h"
#include "core/crypto.h"
#include "core/draft.h"
#include "core/mail.h"
#include "core/store-private.h"

/* A draft is a reply, not a book: more than this is refused rather than stored. */
#define DRAFT_MAX_PLAIN (4 * 1024 * 1024)

struct compose_draft *
compose_draft_new(int64_t case_id)
{
	struct compose_draft *d = g_new0(struct compose_draft, 1);

	d->case_id = case_id;
	d->to = g_ptr_array_new_with_free_func((GDestroyNotify)mail_addr_free);
	d->cc = g_ptr_array_new_with_free_func((GDestroyNotify)mail_addr_free);
	d->references = g_ptr_array_new_with_free_func(g_free);
	d->body = g_strdup("");
	return d;
}

static void
wipe_free(char *s)
{
	if (s == NULL)
		return;
	explicit_bzero(s, strlen(s));
	g_free(s);
}

void
compose_draft_free(struct compose_draft *d)
{
	if (d == NULL)
		return;
	g_free(d->template_name);
	g_ptr_array_unref(d->to);
	g_ptr_array_unref(d->cc);
	g_free(d->subject);
	g_free(d->in_reply_to);
	g_ptr_array_unref(d->references);
	wipe_free(d->body);
	g_free(d);
}

void
compose_draft_set_body(struct compose_draft *d, const char *body)
{
	char *nb = g_strdup(body != NULL ? body : "");

	wipe_free(d->body);
	d->body = nb;
}

/* S with every control character a space (a header value on one line).  New string. */
static char *
one_line(const char *s)
{
	char *r = g_strdup(s != NULL ? s : "");

	for (char *p = r; *p != '\0'; p++) {
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = ' ';
	}
	return r;
}

void
compose_draft_set_subject(struct compose_draft *d, const char *subject)
{
	g_free(d->subject);
	d->subject = g_strstrip(one_line(subject));
}

static int
parse_list(const char *what, const char *text, GPtrArray *into, bool need_one,
    struct error *err)
{
	GPtrArray *list;
	char *t = g_strstrip(g_strdup(text != NULL ? text : ""));

	if (*t == '\0') {
		g_free(t);
		if (need_one)
			return error_set(err, "%s: no recipient", what);
		g_ptr_array_set_size(into, 0);
		return 0;
	}
	list = mail_addr_list_parse(t);
	if (list->len == 0) {
		error_set(err, "%s: \"%.80s\" holds no address (expected name <user@host>, ...)",
		    what, t);
		g_ptr_array_unref(list);
		g_free(t);
		return -1;
	}
	g_free(t);
	g_ptr_array_set_size(into, 0);
	for (guint i = 0; i < list->len; i++)
		g_ptr_array_add(into, list->pdata[i]);
	g_ptr_array_set_free_func(list, NULL);
	g_ptr_array_unref(list);
	return 0;
}

int
compose_draft_set_recipients(struct compose_draft *d, const char *to,
    const char *cc, struct error *err)
{
	GPtrArray *nto = g_ptr_array_new_with_free_func((GDestroyNotify)mail_addr_free);
	GPtrArray *ncc = g_ptr_array_new_with_free_func((GDestroyNotify)mail_addr_free);

	if (parse_list("To", to, nto, true, err) != 0 ||
	    (cc != NULL && parse_list("Cc", cc, ncc, false, err) != 0)) {
		g_ptr_array_unref(nto);
		g_ptr_array_unref(ncc);
		return -1;
	}
	g_ptr_array_unref(d->to);
	d->to = nto;
	if (cc != NULL) {
		g_ptr_array_unref(d->cc);
		d->cc = ncc;
	} else
		g_ptr_array_unref(ncc);
	return 0;
}

static void
put_header(GString *s, const char *name, const char *value)
{
	char *v = one_line(value);

	g_string_append_printf(s, "%s: %s\n", name, v);
	g_free(v);
}

static void
put_addrs(GString *s, const char *name, GPtrArray *list)
{
	for (guint i = 0; i < list->len; i++) {
		const struct mail_addr *a = list->pdata[i];
		char *v = g_strdup_printf("<%s>%s%s", a->addr, a->name ? " " : "",
		    a->name ? a->name : "");

		put_header(s, name, v);
		g_free(v);
	}
}

char *
draft_serialize(const struct compose_draft *d, size_t *len)
{
	GString *s = g_string_sized_new(512 + strlen(d->body));

	put_header(s, "X-Embargo-Template", d->template_name ? d->template_name : "");
	put_addrs(s, "To", d->to);
	put_addrs(s, "Cc", d->cc);
	put_header(s, "Subject", d->subject ? d->subject : "");
	if (d->in_reply_to != NULL)
		put_header(s, "In-Reply-To", d->in_reply_to);
	for (guint i = 0; i < d->references->len; i++)
		put_header(s, "References", d->references->pdata[i]);
	g_string_append_c(s, '\n');
	g_string_append(s, d->body);
	*len = s->len;
	return g_string_free(s, FALSE);
}

/* "<addr> name" back into a mailbox. */
static struct mail_addr *
addr_from_line(const char *v)
{
	const char *close;
	struct mail_addr *a;

	if (v[0] != '<' || (close = strchr(v, '>')) == NULL || close == v + 1)
		return NULL;
	a = g_new0(struct mail_addr, 1);
	a->addr = g_strndup(v + 1, (gsize)(close - v - 1));
	if (close[1] == ' ' && close[2] != '\0')
		a->name = g_strdup(close + 2);
	return a;
}

int
draft_parse(int64_t case_id, const char *data, size_t len,
    struct compose_draft **out, struct error *err)
{
	struct compose_draft *d = compose_draft_new(case_id);
	const char *p = data, *end = data + len;
	bool failed = false;
	int line = 0;

	if (memchr(data, '\0', len) != NULL || !g_utf8_validate(data, (gssize)len, NULL)) {
		compose_draft_free(d);
		return error_set(err, "draft of case %lld: not UTF-8 text", (long long)case_id);
	}
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		char *l, *colon, *v;

		line++;
		if (nl == NULL)
			break;
		if (nl == p) {
			p = nl + 1;
			wipe_free(d->body);
			d->body = g_strndup(p, (gsize)(end - p));
			*out = d;
			return 0;
		}
		l = g_strndup(p, (gsize)(nl - p));
		colon = strstr(l, ": ");
		if (colon == NULL) {
			error_set(err, "draft of case %lld: line %d: expected \"Name: value\"",
			    (long long)case_id, line);
			g_free(l);
			failed = true;
			break;
		}
		*colon = '\0';
		v = colon + 2;
		if (strcmp(l, "X-Embargo-Template") == 0) {
			g_free(d->template_name);
			d->template_name = *v ? g_strdup(v) : NULL;
		} else if (strcmp(l, "To") == 0 || strcmp(l, "Cc") == 0) {
			struct mail_addr *a = addr_from_line(v);

			if (a == NULL) {
				error_set(err, "draft of case %lld: line %d: expected \"<address> name\"",
				    (long long)case_id, line);
				g_free(l);
				failed = true;
				break;
			}
			g_ptr_array_add(l[0] == 'T' ? d->to : d->cc, a);
		} else if (strcmp(l, "Subject") == 0) {
			g_free(d->subject);
			d->subject = g_strdup(v);
		} else if (strcmp(l, "In-Reply-To") == 0) {
			g_free(d->in_reply_to);
			d->in_reply_to = g_strdup(v);
		} else if (strcmp(l, "References") == 0)
			g_ptr_array_add(d->references, g_strdup(v));
		else {
			error_set(err, "draft of case %lld: line %d: unknown field \"%.40s\"",
			    (long long)case_id, line, l);
			g_free(l);
			failed = true;
			break;
		}
		g_free(l);
		p = nl + 1;
	}
	if (!failed)
		error_set(err, "draft of case %lld: no body", (long long)case_id);
	compose_draft_free(d);
	return -1;
}

static int
draft_crypto(struct app *app, const char *what, struct error *err)
{
	if (app->cfg->team_key == NULL)
		return error_set(err, "cannot %s the draft: no team key to encrypt it to: "
		    "set [crypto] team_key in %s to the team key's fingerprint",
		    what, app->cfg->path ? app->cfg->path : "the config file");
	if (app_open_crypto(app, err) != 0)
		return error_prefix(err, "cannot %s the draft", what);
	return 0;
}

int
draft_save(struct app *app, struct compose_draft *d, struct error *err)
{
	const char *const rcpt[] = { app->cfg->team_key, NULL };
	struct crypto_key_choice team = { 0 };
	GByteArray *cipher = NULL;
	sqlite3_stmt *stmt = NULL;
	sqlite3 *db = store_sqlite(app->st);
	size_t len;
	char *plain;
	int rc;

	if (draft_crypto(app, "save", err) != 0)
		return -1;
	if (crypto_key_by_fpr(app->crypto, app->cfg->team_key, true, &team, err) != 0)
		return error_prefix(err, "cannot save the draft");
	if (team.problem != KEY_OK) {
		error_set(err, "cannot save the draft: the team key %s is %s: import it "
		    "(gpg --import) or fix [crypto] team_key; the draft was not written",
		    app->cfg->team_key, key_problem_name(team.problem));
		crypto_key_choice_clear(&team);
		return -1;
	}
	crypto_key_choice_clear(&team);
	plain = draft_serialize(d, &len);
	if (len > DRAFT_MAX_PLAIN) {
		wipe_free(plain);
		return error_set(err, "cannot save the draft: %zu bytes, more than %d",
		    len, DRAFT_MAX_PLAIN);
	}
	rc = crypto_encrypt_sign(app->crypto, rcpt, NULL, plain, len, &cipher, err);
	wipe_free(plain);
	if (rc != 0)
		return error_prefix(err, "cannot save the draft");

	rc = sqlite3_prepare_v2(db,
	    "INSERT OR REPLACE INTO drafts (case_id, author, updated, data) "
	    "VALUES (?1, ?2, ?3, ?4)", -1, &stmt, NULL);
	if (rc == SQLITE_OK) {
		sqlite3_bind_int64(stmt, 1, d->case_id);
		sqlite3_bind_text(stmt, 2, app->cfg->me, -1, SQLITE_STATIC);
		sqlite3_bind_int64(stmt, 3, (sqlite3_int64)app->now);
		sqlite3_bind_blob(stmt, 4, cipher->data, (int)cipher->len, SQLITE_STATIC);
		rc = sqlite3_step(stmt);
	}
	if (rc != SQLITE_DONE) {
		error_set(err, "%s: cannot save the draft of case %lld: %s",
		    store_path(app->st), (long long)d->case_id, sqlite3_errmsg(db));
		rc = -1;
	} else {
		d->updated = app->now;
		rc = 0;
	}
	sqlite3_finalize(stmt);
	g_byte_array_unref(cipher);
	return rc;
}

/* The stored row: 1 when absent. */
static int
draft_row(struct app *app, int64_t case_id, bool with_data, GByteArray **data,
    time_t *updated, struct error *err)
{
	sqlite3 *db = store_sqlite(app->st);
	sqlite3_stmt *stmt = NULL;
	int rc;

	rc = sqlite3_prepare_v2(db,
	    "SELECT updated, data FROM drafts WHERE case_id = ?1 AND author = ?2",
	    -1, &stmt, NULL);
	if (rc == SQLITE_OK) {
		sqlite3_bind_int64(stmt, 1, case_id);
		sqlite3_bind_text(stmt, 2, app->cfg->me, -1, SQLITE_STATIC);
		rc = sqlite3_step(stmt);
	}
	if (rc == SQLITE_DONE) {
		sqlite3_finalize(stmt);
		return 1;
	}
	if (rc != SQLITE_ROW) {
		error_set(err, "%s: cannot read the draft of case %lld: %s",
		    store_path(app->st), (long long)case_id, sqlite3_errmsg(db));
		sqlite3_finalize(stmt);
		return -1;
	}
	if (updated != NULL)
		*updated = (time_t)sqlite3_column_int64(stmt, 0);
	if (with_data) {
		const void *blob = sqlite3_column_blob(stmt, 1);
		int n = sqlite3_column_bytes(stmt, 1);

		*data = g_byte_array_sized_new((guint)n);
		if (blob != NULL)
			g_byte_array_append(*data, blob, (guint)n);
	}
	sqlite3_finalize(stmt);
	return 0;
}

int
draft_exists(struct app *app, int64_t case_id, bool *exists, time_t *updated,
    struct error *err)
{
	int rc = draft_row(app, case_id, false, NULL, updated, err);

	if (rc < 0)
		return -1;
	*exists = rc == 0;
	return 0;
}

int
draft_load(struct app *app, int64_t case_id, struct compose_draft **out,
    struct error *err)
{
	struct crypto_decrypt_result res;
	GByteArray *cipher = NULL;
	time_t updated = 0;
	int rc;

	*out = NULL;
	rc = draft_row(app, case_id, true, &cipher, &updated, err);
	if (rc != 0)
		return rc;
	if (draft_crypto(app, "read", err) != 0) {
		g_byte_array_unref(cipher);
		return -1;
	}
	rc = crypto_decrypt(app->crypto, (const char *)cipher->data, cipher->len,
	    DRAFT_MAX_PLAIN, &res, err);
	g_byte_array_unref(cipher);
	if (rc != 0) {
		crypto_decrypt_result_clear(&res);
		return error_prefix(err, "draft of case %lld", (long long)case_id);
	}
	rc = draft_parse(case_id, (const char *)res.plain->data, res.plain->len,
	    out, err);
	crypto_decrypt_result_clear(&res);
	if (rc != 0)
		return -1;
	(*out)->updated = updated;
	return 0;
}

int
draft_delete(struct app *app, int64_t case_id, struct error *err)
{
	sqlite3 *db = store_sqlite(app->st);
	sqlite3_stmt *stmt = NULL;
	int rc;

	rc = sqlite3_prepare_v2(db,
	    "DELETE FROM drafts WHERE case_id = ?1 AND author = ?2", -1, &stmt, NULL);
	if (rc == SQLITE_OK) {
		sqlite3_bind_int64(stmt, 1, case_id);
		sqlite3_bind_text(stmt, 2, app->cfg->me, -1, SQLITE_STATIC);
		rc = sqlite3_step(stmt);
	}
	sqlite3_finalize(stmt);
	if (rc != SQLITE_DONE)
		return error_set(err, "%s: cannot delete the draft of case %lld: %s",
		    store_path(app->st), (long long)case_id, sqlite3_errmsg(db));
	return 0;
}

/* --- the external editor ------------------------------------------------------- */

static bool
is_dir(const char *p)
{
	struct stat sb;

	return p != NULL && p[0] == '/' && stat(p, &sb) == 0 && S_ISDIR(sb.st_mode);
}

/* Overwrites and removes every file in DIR (the editor's swap and backup files too), then DIR. */
static void
private_dir_remove(const char *dir)
{
	DIR *dp = opendir(dir);
	struct dirent *de;

	while (dp != NULL && (de = readdir(dp)) != NULL) {
		char *p;
		struct stat sb;
		int fd;

		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		p = g_build_filename(dir, de->d_name, NULL);
		fd = open(p, O_WRONLY | O_NOFOLLOW | O_CLOEXEC);
		if (fd >= 0 && fstat(fd, &sb) == 0 && S_ISREG(sb.st_mode)) {
			char zero[4096] = { 0 };

			for (off_t left = sb.st_size; left > 0;) {
				ssize_t n = write(fd, zero, (size_t)MIN(left, (off_t)sizeof zero));

				if (n <= 0)
					break;
				left -= n;
			}
		}
		if (fd >= 0)
			close(fd);
		if (unlink(p) != 0 && errno == EISDIR)
			private_dir_remove(p);
		g_free(p);
	}
	if (dp != NULL)
		closedir(dp);
	rmdir(dir);
}

static int
write_all(int fd, const char *data, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, data, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		data += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Reads back at most DRAFT_MAX_PLAIN bytes of PATH.  New string (wipe), NULL with ERR. */
static char *
read_back(const char *path, struct error *err)
{
	GString *s = g_string_new(NULL);
	char buf[4096];
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	ssize_t n;

	if (fd < 0) {
		error_set(err, "%s: cannot read what the editor wrote: %s", path, strerror(errno));
		g_string_free(s, TRUE);
		return NULL;
	}
	while ((n = read(fd, buf, sizeof buf)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 || s->len + (size_t)n > DRAFT_MAX_PLAIN) {
			error_set(err, "%s: %s", path, n < 0 ? strerror(errno) :
			    "the text is too long for a reply");
			break;
		}
		g_string_append_len(s, buf, n);
	}
	explicit_bzero(buf, sizeof buf);
	close(fd);
	if (n != 0 || memchr(s->str, '\0', s->len) != NULL ||
	    !g_utf8_validate(s->str, (gssize)s->len, NULL)) {
		if (n == 0)
			error_set(err, "the editor's text is not UTF-8; the body was not changed");
		explicit_bzero(s->str, s->len);
		g_string_free(s, TRUE);
		return NULL;
	}
	return g_string_free(s, FALSE);
}

int
compose_edit_external(const char *editor_cmd, char **body, struct error *err)
{
	const char *base, *ed = editor_cmd;
	char *dir, *file = NULL, *script = NULL, *text;
	const char *argv[6];
	GError *gerr = NULL;
	int fd, status = 0, rc = -1;

	if (ed == NULL || *ed == '\0')
		ed = getenv("VISUAL");
	if (ed == NULL || *ed == '\0')
		ed = getenv("EDITOR");
	if (ed == NULL || *ed == '\0')
		ed = "vi";
	base = getenv("XDG_RUNTIME_DIR");
	if (!is_dir(base))
		base = getenv("TMPDIR");
	if (!is_dir(base))
		base = "/tmp";
	dir = g_build_filename(base, "embargo-XXXXXX", NULL);
	if (mkdtemp(dir) == NULL) {
		error_set(err, "%s: cannot create a private directory for the editor: %s",
		    base, strerror(errno));
		g_free(dir);
		return -1;
	}
	chmod(dir, 0700);
	file = g_build_filename(dir, "reply.txt", NULL);
	fd = open(file, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0 || write_all(fd, *body != NULL ? *body : "", *body != NULL ? strlen(*body) : 0) != 0) {
		error_set(err, "%s: cannot write: %s", file, strerror(errno));
		if (fd >= 0)
			close(fd);
		goto out;
	}
	if (close(fd) != 0) {
		error_set(err, "%s: cannot write: %s", file, strerror(errno));
		goto out;
	}
	/* The file name is passed as $1, never pasted into the command. */
	script = g_strdup_printf("%s \"$1\"", ed);
	argv[0] = "/bin/sh";
	argv[1] = "-c";
	argv[2] = script;
	argv[3] = "embargo-editor";
	argv[4] = file;
	argv[5] = NULL;
	if (!g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_CHILD_INHERITS_STDIN,
	    NULL, NULL, NULL, NULL, &status, &gerr)) {
		error_set(err, "cannot run the editor \"%s\": %s", ed, gerr->message);
		g_error_free(gerr);
		goto out;
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		if (WIFEXITED(status))
			error_set(err, "the editor \"%s\" exited with status %d; the body was "
			    "not changed", ed, WEXITSTATUS(status));
		else
			error_set(err, "the editor \"%s\" was killed; the body was not changed", ed);
		goto out;
	}
	if ((text = read_back(file, err)) == NULL)
		goto out;
	wipe_free(*body);
	*body = text;
	rc = 0;
out:
	private_dir_remove(dir);
	g_free(script);
	g_free(file);
	g_free(dir);
	return rc;
}
