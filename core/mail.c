/* core/mail.c: notmuch threads -> cases, their mail facts, incremental refresh, indexing. */
#include "build-config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <glib.h>
#include <inttypes.h>
#include <notmuch.h>

#include "core/crypto.h"
#include "core/mail.h"
#include "core/mime.h"
#include "core/threads.h"
#include "core/verify.h"

/*
 * Bumped whenever the way facts are derived changes: a store written by an
 * older derivation is then rescanned in full on the next refresh.
 */
#define MAIL_FACTS_VERSION "4"

/*
 * Bumped whenever what is read from a message file into the store's cache
 * (struct store_msgfile) changes: the cache is then emptied.
 */
#define MAIL_MSGFILES_VERSION "1"

/* Limits on reading a message file ourselves (headers, inline PGP scan). */
#define MAIL_HEADER_MAX (1024 * 1024)
#define MAIL_SCAN_MAX (4 * 1024 * 1024)
#define MAIL_CHUNK (64 * 1024)

static const char pgp_marker[] = "-----BEGIN PGP MESSAGE-----";

struct mail {
	notmuch_database_t *db;
	char *where;       /* the database as named in errors */
	char *root;
	char **excludes;   /* search.exclude_tags, NULL-terminated */
	char *xapian;      /* the Xapian directory, NULL when not found */
	char *stamp;       /* its state when the snapshot was taken, NULL when unknown */
	bool nm_failed;    /* the last error came from notmuch: reopen and retry */
	struct crypto *crypto; /* for team_reply = verified, made on first need */
	bool crypto_failed;    /* gpgme could not be set up: no signature counts */
	struct mail_refresh_stats stats; /* of the last refresh that did work */
};

/* ---- Addresses ---------------------------------------------------------- */

/* True when ADDR (lower-cased) is one of the addresses of header VALUE. */
static bool
addr_list_has(GPtrArray *list, const char *addr)
{
	guint i;

	if (addr == NULL || *addr == '\0')
		return false;
	for (i = 0; i < list->len; i++) {
		struct mail_addr *a = g_ptr_array_index(list, i);

		if (g_ascii_strcasecmp(a->addr, addr) == 0)
			return true;
	}
	return false;
}

/* ---- Reading a message file ourselves ------------------------------------ */

/*
 * The raw address headers of one message file, read without a MIME parser
 * (notmuch caches only From and Subject; To, Cc and Reply-To need the file).
 * The file stays open so the body can be scanned for inline PGP afterwards.
 */
struct msgfile {
	int fd;
	GByteArray *buf;   /* what was read so far */
	size_t body;       /* offset of the body in buf */
	char *from, *to, *cc, *reply_to;
	char *event;       /* X-Embargo-Event (team sync's event mail), NULL when absent */
	GPtrArray *auth;   /* char *: Authentication-Results values, topmost first */
	struct stat sb;    /* the file when opened */
	size_t got;        /* bytes read so far */
	bool eof;          /* all sb.st_size bytes read: no need to ask for more */
};

static void
msgfile_close(struct msgfile *mf)
{
	if (mf->fd >= 0)
		close(mf->fd);
	if (mf->buf != NULL)
		g_byte_array_free(mf->buf, TRUE);
	g_free(mf->from);
	g_free(mf->to);
	g_free(mf->cc);
	g_free(mf->reply_to);
	g_free(mf->event);
	if (mf->auth != NULL)
		g_ptr_array_unref(mf->auth);
	memset(mf, 0, sizeof *mf);
	mf->fd = -1;
}

/*
 * Reads up to MAIL_CHUNK more bytes into mf->buf: >0 read, 0 end of file, -1
 * error.  The size seen when the file was opened ends it without another
 * read (a file growing meanwhile is read as it was: its changed stamp has
 * it read again next time).
 */
static ssize_t
msgfile_fill(struct msgfile *mf)
{
	guint old = mf->buf->len;
	ssize_t n;

	if (mf->eof)
		return 0;
	g_byte_array_set_size(mf->buf, old + MAIL_CHUNK);
	do
		n = read(mf->fd, mf->buf->data + old, MAIL_CHUNK);
	while (n < 0 && errno == EINTR);
	g_byte_array_set_size(mf->buf, old + (n > 0 ? (guint)n : 0));
	if (n > 0)
		mf->got += (size_t)n;
	if (n == 0 || (S_ISREG(mf->sb.st_mode) && mf->got >= (size_t)mf->sb.st_size))
		mf->eof = true;
	return n;
}

/* Where the header block ends in BUF[0..LEN) (the body's offset), or 0 when not yet seen. */
static size_t
header_end(const guint8 *buf, size_t len)
{
	size_t i;

	if (len > 0 && buf[0] == '\n')
		return 1;
	if (len > 1 && buf[0] == '\r' && buf[1] == '\n')
		return 2;
	for (i = 0; i + 1 < len; i++) {
		if (buf[i] != '\n')
			continue;
		if (buf[i + 1] == '\n')
			return i + 2;
		if (buf[i + 1] == '\r' && i + 2 < len && buf[i + 2] == '\n')
			return i + 3;
	}
	return 0;
}

static void
header_add(char **slot, const char *value, bool list)
{
	char *old = *slot;

	if (old == NULL)
		*slot = g_strdup(value);
	else if (list) {
		*slot = g_strconcat(old, ", ", value, NULL);
		g_free(old);
	}
}

/*
 * Calls FN for each header of the block TEXT[0..LEN), unfolded (continuation
 * lines joined with a space), NAME trimmed, VALUE as it stands after ':'.
 */
static void
headers_each_wanted(const char *text, size_t len,
    bool (*want)(const char *name, size_t n),
    void (*fn)(void *arg, const char *name, const char *value), void *arg)
{
	GString *line = g_string_new(NULL);
	size_t i = 0;

	while (i < len) {
		size_t start = i;
		char *colon, *name;

		if (want != NULL) {
			const char *c = memchr(text + i, ':', len - i);
			const char *nl = memchr(text + i, '\n', len - i);
			size_t n = c != NULL && (nl == NULL || c < nl) ? (size_t)(c - (text + i)) : 0;

			size_t lead = 0;

			/* A header not wanted: skip its line and continuation lines unread. */
			while (n > 0 && (text[i + n - 1] == ' ' || text[i + n - 1] == '\t'))
				n--;
			while (lead < n && (text[i + lead] == ' ' || text[i + lead] == '\t'))
				lead++;
			if (c != NULL && (nl == NULL || c < nl) && !want(text + i + lead, n - lead)) {
				do {
					const char *e = memchr(text + i, '\n', len - i);

					i = e != NULL ? (size_t)(e - text) + 1 : len;
				} while (i < len && (text[i] == ' ' || text[i] == '\t'));
				continue;
			}
		}
		/* One logical header: a line and its continuation lines. */
		g_string_truncate(line, 0);
		do {
			while (i < len && text[i] != '\n')
				i++;
			g_string_append_len(line, text + start, (gssize)(i - start));
			if (i < len)
				i++;
			start = i;
			if (line->len > 0 && line->str[line->len - 1] == '\r')
				g_string_truncate(line, line->len - 1);
			g_string_append_c(line, ' ');
		} while (i < len && (text[i] == ' ' || text[i] == '\t'));
		colon = memchr(line->str, ':', line->len);
		if (colon == NULL)
			continue;
		name = g_strstrip(g_strndup(line->str, (gsize)(colon - line->str)));
		fn(arg, name, colon + 1);
		g_free(name);
	}
	g_string_free(line, TRUE);
}

static void
headers_each(const char *text, size_t len,
    void (*fn)(void *arg, const char *name, const char *value), void *arg)
{
	headers_each_wanted(text, len, NULL, fn, arg);
}

/* Whether header_keep wants the header NAME[0..N) (its name as written, trimmed). */
static bool
header_wanted(const char *name, size_t n)
{
	static const char *const names[] = {
		"from", "to", "cc", "reply-to", MAIL_EVENT_HEADER,
		"authentication-results",
	};
	size_t i;

	for (i = 0; i < G_N_ELEMENTS(names); i++) {
		if (strlen(names[i]) == n && g_ascii_strncasecmp(name, names[i], n) == 0)
			return true;
	}
	return false;
}

static void
header_keep(void *arg, const char *name, const char *value)
{
	struct msgfile *mf = arg;

	if (g_ascii_strcasecmp(name, "from") == 0)
		header_add(&mf->from, value, false);
	else if (g_ascii_strcasecmp(name, "to") == 0)
		header_add(&mf->to, value, true);
	else if (g_ascii_strcasecmp(name, "cc") == 0)
		header_add(&mf->cc, value, true);
	else if (g_ascii_strcasecmp(name, "reply-to") == 0)
		header_add(&mf->reply_to, value, false);
	else if (g_ascii_strcasecmp(name, MAIL_EVENT_HEADER) == 0)
		header_add(&mf->event, value, false);
	else if (g_ascii_strcasecmp(name, "authentication-results") == 0)
		g_ptr_array_add(mf->auth, g_strstrip(g_strdup(value)));
}

/* Splits the header block into the headers we want. */
static void
headers_parse(struct msgfile *mf, const char *text, size_t len)
{
	mf->auth = g_ptr_array_new_with_free_func(g_free);
	headers_each_wanted(text, len, header_wanted, header_keep, mf);
}

/* Opens PATH and reads its header block; false when it cannot be read. */
static bool
msgfile_open(struct msgfile *mf, const char *path)
{
	size_t end = 0;
	char *text;
	ssize_t n = 1;

	memset(mf, 0, sizeof *mf);
	mf->fd = path != NULL ? open(path, O_RDONLY | O_CLOEXEC) : -1;
	if (mf->fd < 0)
		return false;
	if (fstat(mf->fd, &mf->sb) < 0) {
		close(mf->fd);
		mf->fd = -1;
		return false;
	}
	mf->buf = g_byte_array_new();
	while ((end = header_end(mf->buf->data, mf->buf->len)) == 0 &&
	    mf->buf->len < MAIL_HEADER_MAX && (n = msgfile_fill(mf)) > 0)
		;
	if (n < 0) {
		msgfile_close(mf);
		return false;
	}
	if (end == 0) /* no body, or a header block past the limit: use what we have */
		end = mf->buf->len < MAIL_HEADER_MAX ? mf->buf->len : MAIL_HEADER_MAX;
	mf->body = end;
	text = g_strndup((const char *)mf->buf->data, end);
	headers_parse(mf, text, strlen(text));
	g_free(text);
	return true;
}

/* Scans the body for an armoured inline PGP message, reading at most MAIL_SCAN_MAX bytes of the file. */
static bool
msgfile_has_inline_pgp(struct msgfile *mf)
{
	const size_t keep = sizeof pgp_marker - 2;
	size_t total = mf->buf->len;
	ssize_t n;

	g_byte_array_remove_range(mf->buf, 0, (guint)mf->body);
	mf->body = 0;
	for (;;) {
		if (memmem(mf->buf->data, mf->buf->len, pgp_marker,
		    sizeof pgp_marker - 1) != NULL)
			return true;
		if (total >= MAIL_SCAN_MAX)
			return false;
		/* Keep the tail so a marker split across reads is still found. */
		if (mf->buf->len > keep)
			g_byte_array_remove_range(mf->buf, 0, (guint)(mf->buf->len - keep));
		if ((n = msgfile_fill(mf)) <= 0)
			return false;
		total += (size_t)n;
	}
}

/* ---- notmuch helpers ------------------------------------------------------ */

/* Fills ERR for a failed notmuch call and marks it as worth a reopen and retry. */
static int
nm_error(struct mail *m, struct error *err, notmuch_status_t st,
    const char *what)
{
	const char *detail = m->db != NULL ? notmuch_database_status_string(m->db) : NULL;
	char *d = g_strstrip(g_strdup(detail != NULL ? detail : ""));

	m->nm_failed = true;
	error_set(err, "notmuch database %s: %s: %s%s%s", m->where, what,
	    notmuch_status_to_string(st), *d != '\0' ? ": " : "", d);
	g_free(d);
	return -1;
}

/* A query with the exclude tags applied (or not, for change detection). */
static int
query_new(struct mail *m, const char *qs, bool excludes, notmuch_sort_t sort,
    notmuch_query_t **out, struct error *err)
{
	notmuch_query_t *q = notmuch_query_create(m->db, qs);
	size_t i;

	if (q == NULL)
		return nm_error(m, err, NOTMUCH_STATUS_OUT_OF_MEMORY, "query");
	notmuch_query_set_sort(q, sort);
	if (excludes && m->excludes != NULL) {
		for (i = 0; m->excludes[i] != NULL; i++) {
			notmuch_status_t st = notmuch_query_add_tag_exclude(q, m->excludes[i]);

			/* IGNORED: the query names the tag itself, so it is wanted. */
			if (st != NOTMUCH_STATUS_SUCCESS && st != NOTMUCH_STATUS_IGNORED) {
				notmuch_query_destroy(q);
				return nm_error(m, err, st, "exclude tag");
			}
		}
		notmuch_query_set_omit_excluded(q, NOTMUCH_EXCLUDE_TRUE);
	}
	*out = q;
	return 0;
}

static int
query_messages(struct mail *m, const char *qs, bool excludes,
    notmuch_sort_t sort, notmuch_query_t **qout, notmuch_messages_t **out,
    struct error *err)
{
	notmuch_query_t *q;
	notmuch_status_t st;

	if (query_new(m, qs, excludes, sort, &q, err) < 0)
		return -1;
	st = notmuch_query_search_messages(q, out);
	if (st != NOTMUCH_STATUS_SUCCESS || *out == NULL) {
		notmuch_query_destroy(q);
		return nm_error(m, err, st != NOTMUCH_STATUS_SUCCESS ? st :
		    NOTMUCH_STATUS_XAPIAN_EXCEPTION, qs);
	}
	*qout = q;
	return 0;
}

static int
query_count(struct mail *m, const char *qs, unsigned int *n, struct error *err)
{
	notmuch_query_t *q;
	notmuch_status_t st;

	if (query_new(m, qs, true, NOTMUCH_SORT_UNSORTED, &q, err) < 0)
		return -1;
	st = notmuch_query_count_messages(q, n);
	notmuch_query_destroy(q);
	if (st != NOTMUCH_STATUS_SUCCESS)
		return nm_error(m, err, st, qs);
	return 0;
}

/* Every message, excluded or not: a cheap way to notice removals. */
static int
query_count_all(struct mail *m, unsigned int *n, struct error *err)
{
	notmuch_query_t *q;
	notmuch_status_t st;

	if (query_new(m, "*", false, NOTMUCH_SORT_UNSORTED, &q, err) < 0)
		return -1;
	st = notmuch_query_count_messages(q, n);
	notmuch_query_destroy(q);
	if (st != NOTMUCH_STATUS_SUCCESS)
		return nm_error(m, err, st, "count");
	return 0;
}

/* "thread:ID" (into OUT, when not NULL), refusing ids that could change the query's meaning. */
static int
thread_query(const char *thread_id, const char *extra, char **out,
    struct error *err)
{
	const char *p;

	if (thread_id == NULL || *thread_id == '\0')
		return error_set(err, "empty notmuch thread id");
	for (p = thread_id; *p != '\0'; p++) {
		if (!g_ascii_isalnum(*p))
			return error_set(err, "notmuch thread id \"%.64s\": expected letters and digits only", thread_id);
	}
	if (out == NULL)
		return 0;
	if (extra != NULL)
		*out = g_strdup_printf("thread:%s and (%s)", thread_id, extra);
	else
		*out = g_strdup_printf("thread:%s", thread_id);
	return 0;
}

static const char *
case_query(const struct config *cfg)
{
	return cfg->query != NULL && *cfg->query != '\0' ? cfg->query : "*";
}

/* ---- Opening ----------------------------------------------------------------- */

static void
mail_load_config(struct mail *m)
{
	notmuch_config_values_t *v;
	GPtrArray *ex = g_ptr_array_new();
	const char *root;

	g_strfreev(m->excludes);
	v = notmuch_config_get_values(m->db, NOTMUCH_CONFIG_EXCLUDE_TAGS);
	for (; v != NULL && notmuch_config_values_valid(v);
	    notmuch_config_values_move_to_next(v)) {
		const char *t = notmuch_config_values_get(v);

		if (t != NULL && *t != '\0')
			g_ptr_array_add(ex, g_strdup(t));
	}
	if (v != NULL)
		notmuch_config_values_destroy(v);
	g_ptr_array_add(ex, NULL);
	m->excludes = (char **)g_ptr_array_free(ex, FALSE);

	g_free(m->root);
	root = notmuch_config_get(m->db, NOTMUCH_CONFIG_MAIL_ROOT);
	if (root == NULL || *root == '\0')
		root = notmuch_database_get_path(m->db);
	m->root = g_strdup(root != NULL ? root : "");
}

/* How the database was named, for messages: the path, else where notmuch looked. */
static char *
db_description(const struct config *cfg)
{
	const char *env = getenv("NOTMUCH_CONFIG");

	if (cfg->database != NULL && *cfg->database != '\0')
		return g_strdup(cfg->database);
	if (env != NULL && *env != '\0')
		return g_strdup_printf("(from NOTMUCH_CONFIG=%s)", env);
	return g_strdup("(from notmuch's default configuration)");
}

static int
open_db(const struct config *cfg, notmuch_database_mode_t mode,
    notmuch_database_t **out, struct error *err)
{
	notmuch_database_t *db = NULL;
	char *msg = NULL, *where = db_description(cfg);
	const char *path = cfg->database != NULL && *cfg->database != '\0' ?
	    cfg->database : NULL;
	notmuch_status_t st;

	st = notmuch_database_open_with_config(path, mode, NULL, NULL, &db, &msg);
	if (st != NOTMUCH_STATUS_SUCCESS || db == NULL) {
		char *m = g_strstrip(g_strdup(msg != NULL ? msg : ""));

		error_set(err, "notmuch database %s: cannot open%s: %s%s%s "
		    "(set [mail] database in the embargo config, or NOTMUCH_CONFIG "
		    "to notmuch's config file)", where,
		    mode == NOTMUCH_DATABASE_MODE_READ_WRITE ? " for writing" : "",
		    notmuch_status_to_string(st), *m != '\0' ? ": " : "", m);
		g_free(m);
		free(msg);
		g_free(where);
		if (db != NULL)
			notmuch_database_destroy(db);
		return -1;
	}
	free(msg);
	g_free(where);
	*out = db;
	return 0;
}

/*
 * Xapian rewrites its version file (iamglass) on every commit, even one
 * that only deletes documents, which notmuch's revision does not count.
 * Its inode, size and mtime are a cheap "did anything change" stamp.
 * Where notmuch 0.37 looks for the Xapian directory: DB/xapian, then
 * DB/.notmuch/xapian.
 */
static char *
xapian_dir(const char *db_path)
{
	const char *const rel[] = { "xapian", ".notmuch/xapian" };
	struct stat sb;
	size_t i;

	for (i = 0; db_path != NULL && i < G_N_ELEMENTS(rel); i++) {
		char *p = g_build_filename(db_path, rel[i], NULL);

		if (stat(p, &sb) == 0 && S_ISDIR(sb.st_mode))
			return p;
		g_free(p);
	}
	return NULL;
}

static void
stamp_take(struct mail *m)
{
	struct stat sb;
	char *p;

	g_free(m->stamp);
	m->stamp = NULL;
	if (m->xapian == NULL)
		return;
	p = g_build_filename(m->xapian, "iamglass", NULL);
	if (stat(p, &sb) == 0 || stat(m->xapian, &sb) == 0)
		m->stamp = g_strdup_printf("file:%ju:%jd:%jd.%09ld", (uintmax_t)sb.st_ino,
		    (intmax_t)sb.st_size, (intmax_t)sb.st_mtim.tv_sec, sb.st_mtim.tv_nsec);
	g_free(p);
}

int
mail_open(const struct config *cfg, struct mail **out, struct error *err)
{
	notmuch_database_t *db;
	struct mail *m;
	const char *path;

	if (open_db(cfg, NOTMUCH_DATABASE_MODE_READ_ONLY, &db, err) < 0)
		return -1;
	m = g_new0(struct mail, 1);
	m->db = db;
	path = notmuch_database_get_path(db);
	m->where = g_strdup(path != NULL ? path : "(unknown path)");
	m->xapian = xapian_dir(path);
	/* The stamp must not be newer than the snapshot: take it, then reopen. */
	stamp_take(m);
	if (mail_reopen(m, err) < 0) {
		mail_close(m);
		return -1;
	}
	*out = m;
	return 0;
}

void
mail_close(struct mail *m)
{
	if (m == NULL)
		return;
	if (m->db != NULL)
		notmuch_database_destroy(m->db);
	g_free(m->where);
	g_free(m->xapian);
	g_free(m->stamp);
	g_free(m->root);
	g_strfreev(m->excludes);
	if (m->crypto != NULL)
		crypto_free(m->crypto);
	g_free(m);
}

int
mail_reopen(struct mail *m, struct error *err)
{
	notmuch_status_t st;

	stamp_take(m);
	st = notmuch_database_reopen(m->db, NOTMUCH_DATABASE_MODE_READ_ONLY);
	if (st != NOTMUCH_STATUS_SUCCESS)
		return nm_error(m, err, st, "reopen");
	mail_load_config(m);
	return 0;
}

const char *
mail_root(struct mail *m)
{
	return m->root;
}

bool
mail_indexes_cleartext(struct mail *m)
{
	notmuch_indexopts_t *opts = notmuch_database_get_default_indexopts(m->db);
	notmuch_decryption_policy_t policy;

	if (opts == NULL)
		return false;
	policy = notmuch_indexopts_get_decrypt_policy(opts);
	notmuch_indexopts_destroy(opts);
	/* "nostash" and "true" both put decrypted text into the index. */
	return policy == NOTMUCH_DECRYPT_TRUE || policy == NOTMUCH_DECRYPT_NOSTASH;
}

int
mail_revision(struct mail *m, uint64_t *rev, struct error *err)
{
	const char *uuid = NULL;

	if (mail_reopen(m, err) < 0)
		return -1;
	*rev = notmuch_database_get_revision(m->db, &uuid);
	return 0;
}

/*
 * Runs FN once and, when it failed inside notmuch (a Xapian exception or a
 * NULL result, e.g. DatabaseModifiedError on a stale snapshot), reopens the
 * handle and runs it once more.
 */
#define MAIL_RETRY(m, err, call) __extension__({			\
	int rc_;							\
	(m)->nm_failed = false;						\
	rc_ = (call);							\
	if (rc_ < 0 && (m)->nm_failed) {				\
		struct error e2_;					\
		if (mail_reopen((m), &e2_) == 0) {			\
			(m)->nm_failed = false;				\
			rc_ = (call);					\
		}							\
	}								\
	rc_;								\
})

/* ---- Files of a message ----------------------------------------------------------- */

/*
 * Every file notmuch holds for MSG (NULL-terminated, g_strfreev), the one to
 * show first: of several files with one Message-ID, the one delivered first
 * (oldest modification time; a tie keeps notmuch's order).  A later copy
 * with the same Message-ID is the likelier impostor, and notmuch's own
 * order (by directory and name) says nothing about arrival.  NULL on a
 * Xapian exception.
 */
static char **
message_files(notmuch_message_t *msg)
{
	notmuch_filenames_t *fns = notmuch_message_get_filenames(msg);
	GPtrArray *v;
	guint i, best = 0;
	struct timespec best_t = { 0, 0 };
	bool have_best = false;

	if (fns == NULL)
		return NULL;
	v = g_ptr_array_new();
	for (; notmuch_filenames_valid(fns); notmuch_filenames_move_to_next(fns)) {
		const char *f = notmuch_filenames_get(fns);

		if (f != NULL)
			g_ptr_array_add(v, g_strdup(f));
	}
	notmuch_filenames_destroy(fns);
	if (v->len == 0) {
		g_ptr_array_free(v, TRUE);
		return NULL;
	}
	for (i = 0; v->len > 1 && i < v->len; i++) {
		struct stat sb;

		if (stat(g_ptr_array_index(v, i), &sb) != 0)
			continue;
		if (!have_best || sb.st_mtim.tv_sec < best_t.tv_sec ||
		    (sb.st_mtim.tv_sec == best_t.tv_sec && sb.st_mtim.tv_nsec < best_t.tv_nsec)) {
			best = i;
			best_t = sb.st_mtim;
			have_best = true;
		}
	}
	if (best > 0) {
		gpointer first = g_ptr_array_steal_index(v, best);

		g_ptr_array_insert(v, 0, first);
	}
	g_ptr_array_add(v, NULL);
	return (char **)g_ptr_array_free(v, FALSE);
}

/* ---- Facts of one thread ------------------------------------------------------- */

/* Background work never asks for a passphrase: a key gpg-agent has not unlocked stays locked. */
static char *
no_passphrase(void *arg, const char *hint, bool bad_before)
{
	(void)arg;
	(void)hint;
	(void)bad_before;
	return NULL;
}

/* The signatures of one team message, read only when the cheaper proofs failed. */
struct team_sigs {
	struct mail *m;
	const char *path;
	struct message_view *mv;
};

static GPtrArray *
team_sigs_read(void *arg)
{
	struct team_sigs *ts = arg;
	struct error err;

	if (ts->m->crypto == NULL && !ts->m->crypto_failed &&
	    crypto_new(no_passphrase, NULL, &ts->m->crypto, &err) < 0)
		ts->m->crypto_failed = true;
	if (ts->m->crypto == NULL)
		return NULL;
	if (ts->mv == NULL && mime_view_file(ts->m->crypto, ts->path, NULL, &ts->mv, &err) < 0)
		return NULL;
	return ts->mv->signatures;
}

/*
 * Whether a message From the team counts as a team reply in the facts:
 * always with team_reply = any; with verified, by core/verify's rule (the
 * same one `show` applies).  Signatures are read last: for most team
 * replies the sent folder or DKIM settles it without parsing the message.
 */
static bool
team_reply_counts(struct mail *m, const struct config *cfg, const char *path,
    const char *from_addr, GPtrArray *auth)
{
	struct team_sigs ts = { .m = m, .path = path };
	struct team_evidence ev = {
		.mail_root = m->root, .path = path, .from_addr = from_addr,
		.auth_results = auth, .sigs = team_sigs_read, .sigs_arg = &ts,
	};
	enum team_proof proof;

	if (cfg->team_reply != TEAM_REPLY_VERIFIED)
		return true;
	proof = verify_team_reply(cfg, &ev);
	message_view_free(ts.mv);
	return proof != TEAM_PROOF_NONE;
}

static bool
message_has_tag(notmuch_message_t *msg, const char *tag)
{
	notmuch_tags_t *tags = notmuch_message_get_tags(msg);
	bool found = false;

	for (; tags != NULL && notmuch_tags_valid(tags); notmuch_tags_move_to_next(tags)) {
		if (strcmp(notmuch_tags_get(tags), tag) == 0) {
			found = true;
			break;
		}
	}
	if (tags != NULL)
		notmuch_tags_destroy(tags);
	return found;
}

/*
 * What the facts need from one message file: its raw address headers, the
 * event mark, Authentication-Results and whether its body holds inline PGP.
 * Read from the file, or from the store's cache of it (struct
 * store_msgfile) when the file is unchanged since it was read.
 */
struct msghdr {
	struct store_msgfile row;
	GPtrArray *auth;   /* char *, topmost first */
};

static void
msghdr_clear(struct msghdr *h)
{
	store_msgfile_clear(&h->row);
	if (h->auth != NULL)
		g_ptr_array_unref(h->auth);
	h->auth = NULL;
}

/* The per-refresh side of the cache: the store, and which rows were used. */
struct msgcache {
	struct store *st;
	GHashTable *used;  /* keys (int64_t *) of the rows used, for pruning; NULL when not pruning */
	bool empty;        /* the cache holds nothing: no lookups */
	bool write;        /* rows are written for files read (incremental refreshes) */
	unsigned int hits, misses;
};

static void
msgcache_use(struct msgcache *mc, const char *path)
{
	int64_t k;

	if (mc == NULL || mc->used == NULL)
		return;
	k = store_msgfile_key(path);
	if (!g_hash_table_contains(mc->used, &k))
		g_hash_table_add(mc->used, g_memdup2(&k, sizeof k));
}

static bool
msgcache_keep(void *arg, int64_t key)
{
	struct msgcache *mc = arg;

	return g_hash_table_contains(mc->used, &key);
}

/* The file's identity as the cache compares it: inode, size, modification time. */
static char *
stat_stamp(const struct stat *sb)
{
	return g_strdup_printf("%ju:%jd:%jd.%09ld", (uintmax_t)sb->st_ino,
	    (intmax_t)sb->st_size, (intmax_t)sb->st_mtim.tv_sec, sb->st_mtim.tv_nsec);
}

static void
msghdr_auth_split(struct msghdr *h)
{
	h->auth = g_ptr_array_new_with_free_func(g_free);
	if (h->row.auth != NULL && *h->row.auth != '\0') {
		char **v = g_strsplit(h->row.auth, "\n", -1);
		size_t i;

		for (i = 0; v[i] != NULL; i++)
			g_ptr_array_add(h->auth, v[i]);
		g_free(v);
	}
}

static char *
msghdr_auth_join(GPtrArray *auth)
{
	GString *a = g_string_new(NULL);
	guint i;

	for (i = 0; i < auth->len; i++) {
		if (i > 0)
			g_string_append_c(a, '\n');
		g_string_append(a, g_ptr_array_index(auth, i));
	}
	return g_string_free(a, FALSE);
}

/*
 * Fills H for the message MSGID in file PATH: 1 done, 0 the file cannot be
 * read (H empty), -1 a store error.  A cached row serves while the file's
 * stamp and Message-ID still match it; otherwise the file is read (and the
 * row written).
 */
static int
msghdr_get(struct msgcache *mc, const char *msgid, const char *path,
    struct msghdr *h, struct error *err)
{
	bool cache = mc != NULL && mc->st != NULL;
	struct msgfile mf;
	struct stat sb;
	int rc;

	memset(h, 0, sizeof *h);
	if (cache && !mc->empty && stat(path, &sb) == 0) {
		char *stamp;

		if ((rc = store_msgfile_get(mc->st, path, &h->row, err)) < 0)
			return -1;
		stamp = stat_stamp(&sb);
		if (rc > 0 && strcmp(h->row.msgid, msgid) == 0 &&
		    strcmp(h->row.stamp, stamp) == 0) {
			g_free(stamp);
			msghdr_auth_split(h);
			msgcache_use(mc, path);
			mc->hits++;
			return 1;
		}
		g_free(stamp);
		store_msgfile_clear(&h->row);
	}
	if (!msgfile_open(&mf, path))
		return 0;
	/* The stamp is of the file as opened: one changed meanwhile is read again next time. */
	h->row.path = g_strdup(path);
	h->row.msgid = g_strdup(msgid);
	h->row.stamp = stat_stamp(&mf.sb);
	h->row.from = g_steal_pointer(&mf.from);
	h->row.to = g_steal_pointer(&mf.to);
	h->row.cc = g_steal_pointer(&mf.cc);
	h->row.reply_to = g_steal_pointer(&mf.reply_to);
	h->row.event = mf.event != NULL;
	h->auth = g_steal_pointer(&mf.auth);
	/* Scanned whatever the thread holds, so the cached row serves any later derivation. */
	h->row.inline_pgp = msgfile_has_inline_pgp(&mf);
	msgfile_close(&mf);
	if (cache && mc->write) {
		h->row.auth = msghdr_auth_join(h->auth);
		if (store_msgfile_put(mc->st, &h->row, err) < 0)
			return -1;
		msgcache_use(mc, path);
		mc->misses++;
	}
	return 1;
}

/*
 * The recipients (To and Cc) of one message, parsed only when needed: most
 * questions ("is the distros list a recipient?") are answered no by a
 * substring test.  With no quotes, comments or backslashes in the headers,
 * every address the parser finds is a substring of the headers' text with
 * white space removed, lower-cased (core/addr.c: addr_clean drops white space
 * and lower-cases; bare_pick and source-route removal keep a substring).  So an
 * address (without quotes or white space itself) absent from that text is
 * no recipient, and only a hit is confirmed by parsing.
 */
struct rcpt {
	const char *to, *cc;
	char *flat;        /* the headers without white space, lower-cased; NULL until needed */
	bool plain;        /* no '"', '(' or '\\': the substring test is sound */
	GPtrArray *list;   /* parsed, NULL until needed */
};

static void
rcpt_init(struct rcpt *r, const char *to, const char *cc)
{
	r->to = to;
	r->cc = cc;
	r->flat = NULL;
	r->list = NULL;
	r->plain = (to == NULL || strpbrk(to, "\"(\\") == NULL) &&
	    (cc == NULL || strpbrk(cc, "\"(\\") == NULL);
}

static void
rcpt_clear(struct rcpt *r)
{
	g_free(r->flat);
	if (r->list != NULL)
		g_ptr_array_free(r->list, TRUE);
	r->flat = NULL;
	r->list = NULL;
}

static void
flat_append(GString *s, const char *v)
{
	for (; v != NULL && *v != '\0'; v++) {
		if (!g_ascii_isspace(*v))
			g_string_append_c(s, g_ascii_tolower(*v));
	}
}

static bool
rcpt_has(struct rcpt *r, const char *addr)
{
	if (addr == NULL || *addr == '\0')
		return false;
	if (r->list == NULL && r->plain && strpbrk(addr, "\"(\\ \t\r\n") == NULL) {
		char *lower;
		bool found;

		if (r->flat == NULL) {
			GString *s = g_string_new(NULL);

			flat_append(s, r->to);
			g_string_append_c(s, ',');
			flat_append(s, r->cc);
			r->flat = g_string_free(s, FALSE);
		}
		lower = g_ascii_strdown(addr, -1);
		found = strstr(r->flat, lower) != NULL;
		g_free(lower);
		if (!found)
			return false;
	}
	if (r->list == NULL) {
		r->list = mail_addr_list_parse(r->to);
		if (r->cc != NULL) {
			GPtrArray *cc = mail_addr_list_parse(r->cc);

			while (cc->len > 0)
				g_ptr_array_add(r->list, g_ptr_array_steal_index(cc, 0));
			g_ptr_array_free(cc, TRUE);
		}
	}
	return addr_list_has(r->list, addr);
}

/*
 * Derives the facts of THREAD_ID from MSGS, its messages oldest first.
 * OWNED: the messages are the caller's query's, destroyed here one by one
 * (those of a notmuch_thread_t belong to it).  SKIP_EXCLUDED: leave out
 * messages notmuch flagged as excluded (a thread's messages include them).
 * WHAT names the source in errors.
 */
/*
 * Folds one message of a thread into F (the messages come oldest first):
 * 0 done or skipped (excluded), -1 error, F then partly filled.  F's
 * has_reporter and team_to_reporter carry the walk's state from one
 * message to the next, and from one refresh to the next (refresh_fold).
 */
static int
facts_message(struct mail *m, const struct config *cfg, struct msgcache *mc,
    const char *thread_id, notmuch_message_t *msg, bool skip_excluded,
    const char *what, struct mail_facts *f, struct error *err)
{
	const char *cached_from, *id, *fn;
	struct mail_addr *from = NULL;
	struct msghdr mh = { 0 };
	struct rcpt rcpt;
	char **files = NULL;
	bool have_file, team, reporter, enc;
	time_t date;
	int hr, rc = -1;

	if (msg == NULL)
		return nm_error(m, err, NOTMUCH_STATUS_XAPIAN_EXCEPTION, what);
	if (skip_excluded) {
		notmuch_bool_t excluded = FALSE;

		if (notmuch_message_get_flag_st(msg, NOTMUCH_MESSAGE_FLAG_EXCLUDED,
		    &excluded) != NOTMUCH_STATUS_SUCCESS)
			return nm_error(m, err, NOTMUCH_STATUS_XAPIAN_EXCEPTION, what);
		if (excluded)
			return 0;
	}
	if ((id = notmuch_message_get_message_id(msg)) == NULL)
		return nm_error(m, err, NOTMUCH_STATUS_XAPIAN_EXCEPTION, what);
	date = notmuch_message_get_date(msg);
	if (f->message_count++ == 0) {
		const char *tid = notmuch_message_get_thread_id(msg);

		f->thread = g_strdup(tid != NULL ? tid : thread_id);
	}

	/*
	 * The raw From from the file, where encoded words cannot pose as
	 * addresses; of several files with this Message-ID, the one `show`
	 * displays (and warns about).
	 */
	files = message_files(msg);
	fn = files != NULL ? files[0] : NULL;
	if (fn == NULL) {
		/* NULL, not "": a Xapian exception, worth a reopen and retry. */
		nm_error(m, err, NOTMUCH_STATUS_XAPIAN_EXCEPTION, what);
		goto out;
	}
	if ((hr = msghdr_get(mc, id, fn, &mh, err)) < 0)
		goto out;
	have_file = hr > 0;
	/*
	 * notmuch's From (decoded) is read only when needed: the file has
	 * none, or the reporter's display name is wanted below.
	 */
	cached_from = NULL;
	if (!have_file || mh.row.from == NULL || !f->has_reporter) {
		cached_from = notmuch_message_get_header(msg, "from");
		if (cached_from == NULL) {
			/* NULL, not "": a Xapian exception, worth a reopen and retry. */
			nm_error(m, err, NOTMUCH_STATUS_XAPIAN_EXCEPTION, what);
			goto out;
		}
	}
	from = mail_addr_parse(have_file && mh.row.from != NULL ? mh.row.from : cached_from);
	team = from != NULL && config_is_team_address(cfg, from->addr);

	/*
	 * A handler's event mail (team sync) is addressed to the team, not
	 * a reply to anyone: it is counted (the thread's size) and nothing
	 * else, so it neither meets a deadline nor stands in for a report.
	 */
	if (team && have_file && mh.row.event) {
		rc = 0;
		goto out;
	}
	if (f->report_msgid == NULL) {
		const char *subject = notmuch_message_get_header(msg, "subject");

		f->report_msgid = g_strdup(id);
		f->subject = g_strdup(subject != NULL ? subject : "");
	}
	if (date > f->last_message_at)
		f->last_message_at = date;

	if (!team && !f->has_reporter) {
		struct mail_addr *named = mail_addr_parse(cached_from);
		struct mail_addr *rt = have_file ? mail_addr_parse(mh.row.reply_to) : NULL;

		f->has_reporter = reporter = true;
		f->report_at = date;
		f->reporter_addr = from != NULL ? g_strdup(from->addr) : NULL;
		if (named != NULL && from != NULL && strcmp(named->addr, from->addr) == 0)
			f->reporter_name = g_strdup(named->name);
		else if (from != NULL)
			f->reporter_name = g_strdup(from->name);
		if (rt != NULL && (f->reporter_addr == NULL ||
		    strcmp(rt->addr, f->reporter_addr) != 0))
			f->reply_to = g_strdup(rt->addr);
		mail_addr_free(named);
		mail_addr_free(rt);
	} else {
		/* Replies from the Reply-To address are the reporter's too. */
		reporter = f->has_reporter && !team && from != NULL &&
		    ((f->reporter_addr != NULL && strcmp(from->addr, f->reporter_addr) == 0) ||
		    (f->reply_to != NULL && strcmp(from->addr, f->reply_to) == 0));
	}

	enc = message_has_tag(msg, "encrypted") || (have_file && mh.row.inline_pgp);
	if (enc) {
		f->encrypted = true;
		if (reporter)
			f->reporter_encrypted = true;
	}
	if (reporter && date > f->last_reporter_at)
		f->last_reporter_at = date;

	rcpt_init(&rcpt, have_file ? mh.row.to : NULL, have_file ? mh.row.cc : NULL);
	/* A team message that fails team_reply = verified is nobody's reply. */
	if (team && f->has_reporter && team_reply_counts(m, cfg, fn, from->addr,
	    have_file ? mh.auth : NULL)) {
		if (f->first_team_reply_at == 0)
			f->first_team_reply_at = date;
		if (rcpt_has(&rcpt, f->reporter_addr) || rcpt_has(&rcpt, f->reply_to)) {
			if (++f->team_to_reporter == 2)
				f->second_team_reply_at = date;
			f->last_team_to_reporter_at = date;
		}
	}
	if (f->distros_mail_at == 0 && rcpt_has(&rcpt, cfg->distros_list))
		f->distros_mail_at = date;
	if (f->oss_mail_at == 0 && rcpt_has(&rcpt, cfg->oss_list))
		f->oss_mail_at = date;
	rcpt_clear(&rcpt);
	rc = 0;
out:
	mail_addr_free(from);
	msghdr_clear(&mh);
	g_strfreev(files);
	return rc;
}

/* The facts of the thread whose messages (oldest first) are MSGS, destroyed when OWNED. */
static int
facts_walk(struct mail *m, const struct config *cfg, struct msgcache *mc,
    const char *thread_id, notmuch_messages_t *msgs, bool owned,
    bool skip_excluded, const char *what, struct mail_facts *out,
    struct error *err)
{
	struct mail_facts f = { 0 };

	for (; notmuch_messages_valid(msgs); notmuch_messages_move_to_next(msgs)) {
		notmuch_message_t *msg = notmuch_messages_get(msgs);
		int rc = facts_message(m, cfg, mc, thread_id, msg, skip_excluded,
		    what, &f, err);

		if (msg != NULL && owned)
			notmuch_message_destroy(msg);
		if (rc < 0) {
			mail_facts_clear(&f);
			return -1;
		}
	}
	if (f.message_count == 0)
		return error_set(err, "notmuch database %s: no messages in thread %s",
		    m->where, thread_id);
	*out = f;
	return 0;
}

static int
thread_facts(struct mail *m, const struct config *cfg, struct msgcache *mc,
    const char *thread_id, struct mail_facts *out, struct error *err)
{
	notmuch_query_t *q;
	notmuch_messages_t *msgs;
	char *qs;
	int rc;

	if (thread_query(thread_id, NULL, &qs, err) < 0)
		return -1;
	if (query_messages(m, qs, true, NOTMUCH_SORT_OLDEST_FIRST, &q, &msgs, err) < 0) {
		g_free(qs);
		return -1;
	}
	rc = facts_walk(m, cfg, mc, thread_id, msgs, true, false, qs, out, err);
	notmuch_query_destroy(q);
	g_free(qs);
	return rc;
}

int
mail_thread_facts(struct mail *m, const struct config *cfg,
    const char *thread_id, struct mail_facts *out, struct error *err)
{
	return MAIL_RETRY(m, err, thread_facts(m, cfg, NULL, thread_id, out, err));
}

/* ---- Refresh --------------------------------------------------------------- */

static bool
str_eq(const char *a, const char *b)
{
	return (a == NULL || b == NULL) ? a == b : strcmp(a, b) == 0;
}

static bool
facts_equal(const struct mail_facts *a, const struct mail_facts *b)
{
	return str_eq(a->thread, b->thread) &&
	    str_eq(a->report_msgid, b->report_msgid) &&
	    str_eq(a->subject, b->subject) &&
	    str_eq(a->reporter_name, b->reporter_name) &&
	    str_eq(a->reporter_addr, b->reporter_addr) &&
	    str_eq(a->reply_to, b->reply_to) &&
	    a->report_at == b->report_at &&
	    a->first_team_reply_at == b->first_team_reply_at &&
	    a->second_team_reply_at == b->second_team_reply_at &&
	    a->last_team_to_reporter_at == b->last_team_to_reporter_at &&
	    a->last_reporter_at == b->last_reporter_at &&
	    a->last_message_at == b->last_message_at &&
	    a->message_count == b->message_count &&
	    a->encrypted == b->encrypted &&
	    a->reporter_encrypted == b->reporter_encrypted &&
	    a->distros_mail_at == b->distros_mail_at &&
	    a->oss_mail_at == b->oss_mail_at &&
	    a->has_reporter == b->has_reporter &&
	    a->team_to_reporter == b->team_to_reporter;
}

/*
 * What the cached facts depend on besides the mail: when any of it changes
 * (the query, the exclude tags, the team, the lists, the derivation), the
 * facts in the store are stale and the next refresh rescans everything.
 */
static char *
facts_fingerprint(struct mail *m, const struct config *cfg)
{
	GString *s = g_string_new("embargo-facts-" MAIL_FACTS_VERSION);
	char *sum;
	size_t i;

	g_string_append_printf(s, "\nquery=%s\nexclude=", case_query(cfg));
	for (i = 0; m->excludes != NULL && m->excludes[i] != NULL; i++)
		g_string_append_printf(s, "%s;", m->excludes[i]);
	g_string_append_printf(s, "\nteam=%s\nhandlers=", cfg->team != NULL ? cfg->team : "");
	for (i = 0; cfg->handlers != NULL && cfg->handlers[i] != NULL; i++)
		g_string_append_printf(s, "%s;", cfg->handlers[i]);
	g_string_append_printf(s, "\ndistros=%s\noss=%s\n",
	    cfg->distros_list != NULL ? cfg->distros_list : "",
	    cfg->oss_list != NULL ? cfg->oss_list : "");
	/* What the verified rule looks at (a change of gpg's trust is not seen here). */
	if (cfg->team_reply == TEAM_REPLY_VERIFIED)
		g_string_append_printf(s, "team_reply=verified\nroot=%s\nsent=%s\n"
		    "team_key=%s\nauthserv_id=%s\n", m->root != NULL ? m->root : "",
		    cfg->sent_folder != NULL ? cfg->sent_folder : "",
		    cfg->team_key != NULL ? cfg->team_key : "",
		    cfg->authserv_id != NULL ? cfg->authserv_id : "");
	sum = g_compute_checksum_for_string(G_CHECKSUM_SHA256, s->str, (gssize)s->len);
	g_string_free(s, TRUE);
	return sum;
}

/* The threads to revisit, in first-seen order, without duplicates. */
struct threadset {
	GHashTable *set;   /* thread id -> itself (owned by order) */
	GPtrArray *order;  /* char * */
};

static void
threadset_add(struct threadset *ts, const char *thread)
{
	char *t;

	if (thread == NULL || g_hash_table_contains(ts->set, thread))
		return;
	t = g_strdup(thread);
	g_ptr_array_add(ts->order, t);
	g_hash_table_add(ts->set, t);
}

/* Adds the thread of every message matching QS. */
static int
threadset_add_query(struct mail *m, struct threadset *ts, const char *qs,
    bool excludes, notmuch_sort_t sort, unsigned int *count, struct error *err)
{
	notmuch_query_t *q;
	notmuch_messages_t *msgs;
	unsigned int n = 0;

	if (query_messages(m, qs, excludes, sort, &q, &msgs, err) < 0)
		return -1;
	for (; notmuch_messages_valid(msgs); notmuch_messages_move_to_next(msgs)) {
		notmuch_message_t *msg = notmuch_messages_get(msgs);
		const char *t = msg != NULL ? notmuch_message_get_thread_id(msg) : NULL;

		if (t == NULL) {
			if (msg != NULL)
				notmuch_message_destroy(msg);
			notmuch_query_destroy(q);
			return nm_error(m, err, NOTMUCH_STATUS_XAPIAN_EXCEPTION, qs);
		}
		threadset_add(ts, t);
		notmuch_message_destroy(msg);
		n++;
	}
	notmuch_query_destroy(q);
	if (count != NULL)
		*count = n;
	return 0;
}

/* Adds T to TS when its message count now differs from WANT. */
static int
recount_one(struct mail *m, struct threadset *ts, const char *t, int want,
    struct error *err)
{
	unsigned int n;
	char *qs;

	if (thread_query(t, NULL, &qs, err) < 0) {
		/* A thread id we would not have stored: revisit, it will drop out. */
		threadset_add(ts, t);
		return 0;
	}
	if (query_count(m, qs, &n, err) < 0) {
		g_free(qs);
		return -1;
	}
	g_free(qs);
	if (n != (unsigned int)want)
		threadset_add(ts, t);
	return 0;
}

#define RECOUNT_BATCH 100

/* Threads revisited per query in an incremental refresh. */
#define REVISIT_BATCH 200

/*
 * Deleted messages leave no trace a lastmod: query can find (notmuch new
 * removes their documents).  So every thread holding a case with facts, and
 * not already to be revisited, is recounted: one that lost messages is
 * revisited.  A thread outside the changed set cannot have gained any (a
 * new or retagged message is in the set), so a batch of threads whose
 * total count is still the sum of their cached counts lost nothing; only a
 * batch that differs is counted thread by thread.  Measured: ~6 ms per
 * 1000 cases, against ~28 ms with one query per case.
 */
static int
threadset_add_recounted(struct mail *m, struct threadset *ts, GPtrArray *cases,
    struct error *err)
{
	GHashTable *seen = g_hash_table_new(g_str_hash, g_str_equal);
	GPtrArray *batch = g_ptr_array_new();
	GString *qs = g_string_new(NULL);
	guint i, j;
	int rc = -1;

	for (i = 0; i <= cases->len; i++) {
		struct store_case *c = i < cases->len ? g_ptr_array_index(cases, i) : NULL;
		unsigned int n, sum = 0;

		if (c != NULL) {
			if (!c->has_facts || c->thread == NULL ||
			    g_hash_table_contains(ts->set, c->thread))
				continue;
			if (g_hash_table_contains(seen, c->thread) ||
			    thread_query(c->thread, NULL, NULL, NULL) < 0) {
				/* Two cases on one thread (a merge), or a bad id: revisit. */
				threadset_add(ts, c->thread);
				continue;
			}
			g_hash_table_add(seen, c->thread);
			g_ptr_array_add(batch, c);
			if (batch->len < RECOUNT_BATCH)
				continue;
		}
		if (batch->len == 0)
			continue;
		g_string_truncate(qs, 0);
		for (j = 0; j < batch->len; j++) {
			struct store_case *b = g_ptr_array_index(batch, j);

			g_string_append_printf(qs, "%sthread:%s", j > 0 ? " or " : "", b->thread);
			sum += (unsigned int)b->facts.message_count;
		}
		if (query_count(m, qs->str, &n, err) < 0)
			goto out;
		for (j = 0; n != sum && j < batch->len; j++) {
			struct store_case *b = g_ptr_array_index(batch, j);

			if (recount_one(m, ts, b->thread, b->facts.message_count, err) < 0)
				goto out;
		}
		g_ptr_array_set_size(batch, 0);
	}
	rc = 0;
out:
	g_hash_table_destroy(seen);
	g_ptr_array_free(batch, TRUE);
	g_string_free(qs, TRUE);
	return rc;
}

/*
 * The changed messages of an incremental refresh.  Each changed thread is
 * revisited; for refresh_fold, the new mail of each thread is kept too:
 * thread id -> GPtrArray of notmuch_message_t * (oldest first, excluded
 * messages left out), the messages owned by the query.  A large change
 * (more than FOLD_MAX messages) keeps none: its threads are walked in full.
 */
#define FOLD_MAX 2000

struct changes {
	notmuch_query_t *q;
	GHashTable *by_thread;  /* NULL when not kept */
};

static void
changes_free(struct changes *ch)
{
	if (ch->by_thread != NULL)
		g_hash_table_destroy(ch->by_thread);
	if (ch->q != NULL)
		notmuch_query_destroy(ch->q);
	memset(ch, 0, sizeof *ch);
}

/* Adds the thread of each message matching QS (a lastmod: range) to TS; *COUNT counts them. */
static int
changes_collect(struct mail *m, const char *qs, struct threadset *ts,
    struct changes *ch, unsigned int *count, struct error *err)
{
	notmuch_messages_t *msgs;
	notmuch_status_t st;
	unsigned int n = 0;

	/* Excluded messages too, flagged: a message newly tagged spam changes its thread. */
	if (query_new(m, qs, true, NOTMUCH_SORT_OLDEST_FIRST, &ch->q, err) < 0)
		return -1;
	notmuch_query_set_omit_excluded(ch->q, NOTMUCH_EXCLUDE_FLAG);
	st = notmuch_query_search_messages(ch->q, &msgs);
	if (st != NOTMUCH_STATUS_SUCCESS || msgs == NULL)
		return nm_error(m, err, st != NOTMUCH_STATUS_SUCCESS ? st :
		    NOTMUCH_STATUS_XAPIAN_EXCEPTION, qs);
	ch->by_thread = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
	    (GDestroyNotify)g_ptr_array_unref);
	for (; notmuch_messages_valid(msgs); notmuch_messages_move_to_next(msgs)) {
		notmuch_message_t *msg = notmuch_messages_get(msgs);
		const char *t = msg != NULL ? notmuch_message_get_thread_id(msg) : NULL;
		notmuch_bool_t excluded = FALSE;
		GPtrArray *news;

		if (t == NULL || notmuch_message_get_flag_st(msg,
		    NOTMUCH_MESSAGE_FLAG_EXCLUDED, &excluded) != NOTMUCH_STATUS_SUCCESS) {
			if (msg != NULL)
				notmuch_message_destroy(msg);
			return nm_error(m, err, NOTMUCH_STATUS_XAPIAN_EXCEPTION, qs);
		}
		threadset_add(ts, t);
		if (++n > FOLD_MAX && ch->by_thread != NULL) {
			g_hash_table_destroy(ch->by_thread);
			ch->by_thread = NULL;
		}
		if (ch->by_thread == NULL || excluded) {
			notmuch_message_destroy(msg);
			continue;
		}
		if ((news = g_hash_table_lookup(ch->by_thread, t)) == NULL) {
			news = g_ptr_array_new();
			g_hash_table_insert(ch->by_thread, g_strdup(t), news);
		}
		g_ptr_array_add(news, msg);
	}
	*count = n;
	return 0;
}

struct refresh {
	struct mail *m;
	struct store *st;
	const struct config *cfg;
	time_t now;
	GPtrArray *cases;      /* the store's cases before this refresh */
	GHashTable *by_id;     /* case id -> struct store_case * */
	GHashTable *put;       /* case ids given facts in this refresh */
	bool partial;          /* CASES holds only the revisited threads' cases */
	struct msgcache mc;    /* the store's cache of message files */
	int changed;
	unsigned long rev;     /* the database revision this refresh reads */
	const char *uuid;      /* and its uuid */
};

/* Stores F (the facts of a thread known to match) when they changed; frees F. */
static int
refresh_store(struct refresh *r, struct mail_facts *f, struct error *err)
{
	struct store_case *old;
	const char *author = r->cfg->me != NULL ? r->cfg->me : "embargo";
	int64_t id;
	int rc = -1;

	if (f->report_msgid == NULL) {
		/* Only event mails (their report not here yet): not a case. */
		mail_facts_clear(f);
		return 0;
	}
	if (store_case_ensure(r->st, f->report_msgid, f->thread, author, r->now,
	    &id, NULL, err) < 0)
		goto out;
	g_hash_table_add(r->put, g_memdup2(&id, sizeof id));
	old = g_hash_table_lookup(r->by_id, &id);
	if (old == NULL && r->partial) {
		/* A case found by its report but last seen in another thread. */
		if (store_case_get(r->st, id, &old, err) < 0)
			goto out;
		g_ptr_array_add(r->cases, old);
		g_hash_table_insert(r->by_id, &old->id, old);
	}
	if (old == NULL || !old->has_facts || !facts_equal(&old->facts, f)) {
		if (store_facts_put(r->st, id, f, err) < 0)
			goto out;
		r->changed++;
	}
	rc = 0;
out:
	mail_facts_clear(f);
	return rc;
}

/*
 * Brings up to date, without reading their old messages again, the changed
 * threads that only gained mail: refresh_run calls this only when no
 * message went away or changed, so each message of CH is new.  A thread
 * whose case has facts is folded forward from them (the walk's state is
 * part of the facts) when every new message sorts after the old ones, that
 * is has a later date than the newest (a tie or an earlier date could put
 * it among them in notmuch's order).  The other threads are added to FULL,
 * to be walked in full.
 */
static int
refresh_fold(struct refresh *r, struct changes *ch, GPtrArray *order,
    GPtrArray *full, struct error *err)
{
	GHashTable *by_thread = g_hash_table_new(g_str_hash, g_str_equal);
	int rc = -1;
	guint i, j;

	for (i = 0; i < r->cases->len; i++) {
		struct store_case *c = g_ptr_array_index(r->cases, i);

		if (c->thread == NULL)
			continue;
		/* Two cases on one thread: walk it in full. */
		g_hash_table_insert(by_thread, c->thread,
		    g_hash_table_contains(by_thread, c->thread) ? NULL : c);
	}
	for (i = 0; i < order->len; i++) {
		const char *t = g_ptr_array_index(order, i);
		struct store_case *c = g_hash_table_lookup(by_thread, t);
		GPtrArray *news = ch->by_thread != NULL ?
		    g_hash_table_lookup(ch->by_thread, t) : NULL;
		bool fold = ch->by_thread != NULL && c != NULL && c->has_facts &&
		    c->facts.message_count > 0 && str_eq(c->facts.thread, t);
		struct mail_facts f;

		for (j = 0; fold && news != NULL && j < news->len; j++)
			fold = notmuch_message_get_date(g_ptr_array_index(news, j)) >
			    c->facts.last_message_at;
		if (!fold) {
			g_ptr_array_add(full, (gpointer)t);
			continue;
		}
		mail_facts_copy(&f, &c->facts);
		for (j = 0; news != NULL && j < news->len; j++) {
			if (facts_message(r->m, r->cfg, &r->mc, t,
			    g_ptr_array_index(news, j), false, "lastmod", &f, err) < 0) {
				mail_facts_clear(&f);
				goto out;
			}
		}
		if (refresh_store(r, &f, err) < 0)
			goto out;
		r->m->stats.folded++;
	}
	rc = 0;
out:
	g_hash_table_destroy(by_thread);
	return rc;
}

/* One thread's facts in a full rescan, with the date it is stored in order of. */
struct rescan_item {
	time_t oldest;          /* its oldest matching message (notmuch's thread order) */
	struct mail_facts f;
};

static void
rescan_items_free(GArray *items)
{
	for (guint i = 0; items != NULL && i < items->len; i++)
		mail_facts_clear(&g_array_index(items, struct rescan_item, i).f);
	if (items != NULL)
		g_array_free(items, TRUE);
}

/*
 * Oldest first, a tie by thread id: the order cases are created in (and so
 * their numbers) must not depend on how many threads did the work.
 */
static gint
rescan_item_cmp(gconstpointer a, gconstpointer b)
{
	const struct rescan_item *x = a, *y = b;

	if (x->oldest != y->oldest)
		return x->oldest < y->oldest ? -1 : 1;
	return g_strcmp0(x->f.thread, y->f.thread);
}

/*
 * A full rescan on two threads.  Most of its time is notmuch building each
 * matching thread (Xapian reads and inflates every message's terms), which
 * two handles on the database do at once: one walks the threads oldest
 * first (by their oldest matching message, o), the other newest first (by
 * their newest matching message, n), each claims a thread before deriving
 * its facts, and each stops where it meets the other.  The oldest-first
 * walk stops at a thread whose o is later than the n the other walk last
 * reached (B); the newest-first walk stops at one whose n is earlier than
 * the o the first last reached (A).  Nothing is missed: a thread the first
 * walk never reaches has n >= o > B, and the second walk, going down in n,
 * has passed every n above B; symmetrically for the other.  Threads near
 * the meeting point may be built by both; the claim keeps one.
 */
struct rescan_meet {
	GMutex lock;
	GHashTable *claimed;    /* thread id (owned) */
	time_t a, b;            /* see above */
	bool a_set, b_set;
};

struct rescan_walk {
	struct mail *m;         /* the walk's own handle */
	const struct config *cfg;
	struct msgcache *mc;    /* the store's cache: the calling thread's walk only */
	const char *qs;
	bool newest_first;
	struct rescan_meet *meet; /* NULL: one walk does it all */
	GArray *items;          /* struct rescan_item */
	unsigned int walked;
	struct error err;
	int rc;
};

/* Claims TID at DATE for walk W: 1 claimed, 0 another walk has it, -1 the walks met. */
static int
rescan_claim(struct rescan_walk *w, const char *tid, time_t date)
{
	struct rescan_meet *mt = w->meet;
	int rc;

	if (mt == NULL)
		return 1;
	g_mutex_lock(&mt->lock);
	if (w->newest_first ? (mt->a_set && date < mt->a) :
	    (mt->b_set && date > mt->b))
		rc = -1;
	else {
		rc = g_hash_table_contains(mt->claimed, tid) ? 0 : 1;
		if (rc == 1)
			g_hash_table_add(mt->claimed, g_strdup(tid));
		if (w->newest_first) {
			mt->b = date;
			mt->b_set = true;
		} else {
			mt->a = date;
			mt->a_set = true;
		}
	}
	g_mutex_unlock(&mt->lock);
	return rc;
}

static void
rescan_run(struct rescan_walk *w)
{
	notmuch_query_t *q;
	notmuch_threads_t *threads;
	notmuch_status_t st;

	w->rc = -1;
	if (query_new(w->m, w->qs, true, w->newest_first ? NOTMUCH_SORT_NEWEST_FIRST :
	    NOTMUCH_SORT_OLDEST_FIRST, &q, &w->err) < 0)
		return;
	st = notmuch_query_search_threads(q, &threads);
	if (st != NOTMUCH_STATUS_SUCCESS || threads == NULL) {
		nm_error(w->m, &w->err, st != NOTMUCH_STATUS_SUCCESS ? st :
		    NOTMUCH_STATUS_XAPIAN_EXCEPTION, w->qs);
		goto out;
	}
	for (; notmuch_threads_valid(threads); notmuch_threads_move_to_next(threads)) {
		notmuch_thread_t *th = notmuch_threads_get(threads);
		const char *tid = th != NULL ? notmuch_thread_get_thread_id(th) : NULL;
		notmuch_messages_t *msgs = tid != NULL ? notmuch_thread_get_messages(th) : NULL;
		struct rescan_item it = { 0 };
		int claim;

		if (msgs == NULL) {
			if (th != NULL)
				notmuch_thread_destroy(th);
			nm_error(w->m, &w->err, NOTMUCH_STATUS_XAPIAN_EXCEPTION, w->qs);
			goto out;
		}
		it.oldest = notmuch_thread_get_oldest_date(th);
		claim = rescan_claim(w, tid, w->newest_first ?
		    notmuch_thread_get_newest_date(th) : it.oldest);
		if (claim > 0) {
			w->walked++;
			if (facts_walk(w->m, w->cfg, w->mc, tid, msgs, false, true,
			    w->qs, &it.f, &w->err) < 0) {
				notmuch_thread_destroy(th);
				goto out;
			}
			g_array_append_val(w->items, it);
		}
		notmuch_thread_destroy(th);
		if (claim < 0)
			break;
	}
	w->rc = 0;
out:
	notmuch_query_destroy(q);
}

static gpointer
rescan_thread_main(gpointer arg)
{
	rescan_run(arg);
	return NULL;
}

/*
 * The second walk's handle: another snapshot of the same database at the
 * same revision, or NULL (one walk then does it all).
 */
static struct mail *
rescan_second_handle(struct refresh *r)
{
	struct error e = { { 0 } };
	struct mail *m2;
	const char *uuid = NULL;
	unsigned long rev;

	if (threads_max() < 2 || mail_open(r->cfg, &m2, &e) < 0)
		return NULL;
	rev = notmuch_database_get_revision(m2->db, &uuid);
	if (rev != r->rev || uuid == NULL || r->uuid == NULL ||
	    strcmp(uuid, r->uuid) != 0) {
		/* A commit came in between: its facts would be newer than the revision recorded. */
		mail_close(m2);
		return NULL;
	}
	return m2;
}

/*
 * Refreshes every thread matching QS, each message loaded once (a notmuch
 * thread holds its messages, excluded ones flagged), the cases stored in
 * the order of their oldest matching message.  A full rescan (QS the case
 * query, TWO_WALKS) runs on two threads when it can (above); a batch of
 * revisited threads on this one.  Adds each thread to TS (when not NULL).
 */
static int
refresh_rescan(struct refresh *r, const char *qs, bool two_walks,
    struct threadset *ts, struct error *err)
{
	struct rescan_meet meet = { .claimed = NULL };
	struct rescan_walk a = { .m = r->m, .cfg = r->cfg, .mc = &r->mc, .qs = qs };
	struct rescan_walk b = { .cfg = r->cfg, .qs = qs, .newest_first = true };
	GThread *other = NULL;
	int rc = -1;
	guint i;

	a.items = g_array_new(FALSE, FALSE, sizeof(struct rescan_item));
	b.items = g_array_new(FALSE, FALSE, sizeof(struct rescan_item));
	if (two_walks && (b.m = rescan_second_handle(r)) != NULL) {
		g_mutex_init(&meet.lock);
		meet.claimed = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
		a.meet = b.meet = &meet;
		other = g_thread_try_new("embargo-rescan", rescan_thread_main, &b, NULL);
		if (other == NULL)
			a.meet = NULL;
	}
	rescan_run(&a);
	if (other != NULL)
		g_thread_join(other);
	if (a.rc < 0) {
		*err = a.err;
		goto out;
	}
	if (other != NULL && b.rc < 0) {
		*err = b.err;
		/* The retry (MAIL_RETRY) reopens the handle this one failed like. */
		r->m->nm_failed = b.m->nm_failed;
		goto out;
	}
	if (other != NULL)
		g_array_append_vals(a.items, b.items->data, b.items->len);
	g_array_set_size(b.items, 0);
	g_array_sort(a.items, rescan_item_cmp);
	r->m->stats.walked += a.walked + b.walked;
	if (two_walks)
		r->m->stats.walks = other != NULL ? 2 : 1;
	for (i = 0; i < a.items->len; i++) {
		struct rescan_item *it = &g_array_index(a.items, struct rescan_item, i);

		if (ts != NULL)
			threadset_add(ts, it->f.thread);
		/* It frees (and zeroes) the facts it is given, whatever it returns. */
		if (refresh_store(r, &it->f, err) < 0)
			goto out;
	}
	rc = 0;
out:
	rescan_items_free(a.items);
	rescan_items_free(b.items);
	if (meet.claimed != NULL) {
		g_hash_table_destroy(meet.claimed);
		g_mutex_clear(&meet.lock);
	}
	if (b.m != NULL)
		mail_close(b.m);
	return rc;
}

/* A message count as stored in the meta table. */
static bool
count_parse(const char *s, unsigned int *n)
{
	char *end;
	unsigned long v;

	if (s == NULL || *s == '\0')
		return false;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno != 0 || *end != '\0' || v > UINT_MAX)
		return false;
	*n = (unsigned int)v;
	return true;
}

static int
refresh_run(struct mail *m, struct store *st, const struct config *cfg,
    bool full, time_t now, int *changed, struct error *err)
{
	struct refresh r = { .m = m, .st = st, .cfg = cfg, .now = now, .mc = { .st = st } };
	struct threadset ts = { NULL, NULL };
	struct changes ch = { NULL, NULL };
	GPtrArray *walk = g_ptr_array_new(); /* threads to walk in full: char * of ts.order */
	const char *uuid = NULL;
	char *old_uuid = NULL, *old_rev = NULL, *old_fp = NULL, *fp = NULL;
	char *old_stamp = NULL, *stamp = NULL, *old_msgfiles = NULL, *old_count = NULL;
	char countbuf[32];
	bool have_total = false;
	unsigned int total = 0;
	char *end = NULL, revbuf[32], *qs = NULL;
	unsigned long rev, since = 0;
	bool incremental = false, began = false, any = false;
	int rc = -1;
	guint i;

	rev = notmuch_database_get_revision(m->db, &uuid);
	if (uuid == NULL)
		return nm_error(m, err, NOTMUCH_STATUS_XAPIAN_EXCEPTION, "revision");
	r.rev = rev;
	r.uuid = uuid;
	fp = facts_fingerprint(m, cfg);
	if (store_meta_get(st, "notmuch.uuid", &old_uuid, err) < 0 ||
	    store_meta_get(st, "notmuch.revision", &old_rev, err) < 0 ||
	    store_meta_get(st, "mail.facts", &old_fp, err) < 0 ||
	    store_meta_get(st, "notmuch.stamp", &old_stamp, err) < 0 ||
	    store_meta_get(st, "mail.msgfiles", &old_msgfiles, err) < 0 ||
	    store_meta_get(st, "notmuch.count", &old_count, err) < 0)
		goto out;
	if (!full && old_uuid != NULL && old_rev != NULL && old_fp != NULL &&
	    strcmp(old_uuid, uuid) == 0 && strcmp(old_fp, fp) == 0) {
		errno = 0;
		since = strtoul(old_rev, &end, 10);
		incremental = errno == 0 && end != old_rev && *end == '\0' && since <= rev;
	}
	/*
	 * Removing a message that nothing refers to does not bump the revision
	 * (notmuch deletes its document outright), so the Xapian stamp (or,
	 * without one, the message count) is compared too.
	 */
	if (m->stamp != NULL)
		stamp = g_strdup(m->stamp);
	else if (query_count_all(m, &total, err) < 0)
		goto out;
	else {
		stamp = g_strdup_printf("count:%u", total);
		have_total = true;
	}
	if (incremental && since == rev && str_eq(old_stamp, stamp)) {
		/* Nothing committed since the last refresh: no work, no writes. */
		rc = 0;
		goto out;
	}
	memset(&m->stats, 0, sizeof m->stats);
	m->stats.full = !incremental;
	if (!have_total && query_count_all(m, &total, err) < 0)
		goto out;
	snprintf(countbuf, sizeof countbuf, "%u", total);

	if (store_begin(st, err) < 0)
		goto out;
	began = true;
	if (!str_eq(old_msgfiles, MAIL_MSGFILES_VERSION) &&
	    (store_msgfile_prune(st, NULL, NULL, NULL, err) < 0 ||
	    store_meta_set(st, "mail.msgfiles", MAIL_MSGFILES_VERSION, err) < 0))
		goto out;
	if (r.mc.st != NULL && store_msgfile_any(st, &any, err) < 0)
		goto out;
	r.mc.empty = !any;
	r.mc.write = incremental;
	r.by_id = g_hash_table_new(g_int64_hash, g_int64_equal);
	r.put = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, NULL);
	ts.set = g_hash_table_new(g_str_hash, g_str_equal);
	ts.order = g_ptr_array_new_with_free_func(g_free);

	if (incremental) {
		unsigned int seen = 0, old_total = 0;
		bool recount;

		qs = g_strdup_printf("lastmod:%lu..%lu", since + 1, rev);
		if (since < rev && changes_collect(m, qs, &ts, &ch, &seen, err) < 0)
			goto out;
		/*
		 * Every message is either counted last time, or new (then it is in
		 * the lastmod range): when the total grew by exactly the range's
		 * size, nothing was new *and* nothing went away, so no thread lost
		 * a message and no recount is needed; only the cases of the
		 * revisited threads are loaded.  Otherwise (a deletion, a retagged
		 * message, threads merged) every case is loaded and recounted.
		 */
		recount = !count_parse(old_count, &old_total) || total != old_total + seen;
		if (recount) {
			if (store_case_list(st, &r.cases, err) < 0)
				goto out;
		} else {
			if (store_case_list_threads(st, (const char *const *)ts.order->pdata,
			    ts.order->len, &r.cases, err) < 0)
				goto out;
			r.partial = true;
		}
		for (i = 0; i < r.cases->len; i++) {
			struct store_case *c = g_ptr_array_index(r.cases, i);

			g_hash_table_insert(r.by_id, &c->id, c);
		}
		if (recount && threadset_add_recounted(m, &ts, r.cases, err) < 0)
			goto out;
		if (recount)
			g_ptr_array_extend(walk, ts.order, NULL, NULL);
		else if (refresh_fold(&r, &ch, ts.order, walk, err) < 0)
			goto out;
	} else {
		if (store_case_list(st, &r.cases, err) < 0)
			goto out;
		for (i = 0; i < r.cases->len; i++) {
			struct store_case *c = g_ptr_array_index(r.cases, i);

			g_hash_table_insert(r.by_id, &c->id, c);
		}
		/*
		 * A full rescan reads the cache but adds nothing to it: writing a
		 * row for every message would cost a cold start more than reading
		 * the files again saves later.  Rows are written by incremental
		 * refreshes, for the threads with new mail, which are the ones
		 * read again and again.  Rows no file matched any more (files
		 * gone or changed) are dropped after a full rescan.
		 */
		r.mc.used = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, NULL);
		if (refresh_rescan(&r, case_query(cfg), true, &ts, err) < 0 ||
		    (!r.mc.empty && store_msgfile_prune(st, msgcache_keep, &r.mc, NULL, err) < 0))
			goto out;
	}

	/*
	 * The revisited threads that still match, asked for in batches: notmuch
	 * builds each thread with its messages loaded once, and leaves out the
	 * threads no longer matching.
	 */
	for (i = 0; incremental && i < walk->len;) {
		GString *tq = g_string_new("(");
		guint j;

		for (j = 0; j < REVISIT_BATCH && i < walk->len; j++, i++) {
			const char *t = g_ptr_array_index(walk, i);

			if (thread_query(t, NULL, NULL, err) < 0) {
				g_string_free(tq, TRUE);
				goto out;
			}
			g_string_append_printf(tq, "%sthread:%s", j > 0 ? " or " : "", t);
		}
		g_string_append_printf(tq, ") and (%s)", case_query(cfg));
		rc = refresh_rescan(&r, tq->str, false, NULL, err);
		g_string_free(tq, TRUE);
		if (rc < 0) {
			rc = -1;
			goto out;
		}
		rc = -1;
	}

	/*
	 * A case keeps its facts only while a thread that matches has its report
	 * as the oldest message.  A full rescan has seen every such thread; an
	 * incremental one only the revisited threads, so only cases last seen
	 * in those can have lost theirs.
	 */
	for (i = 0; i < r.cases->len; i++) {
		struct store_case *c = g_ptr_array_index(r.cases, i);

		if (!c->has_facts || g_hash_table_contains(r.put, &c->id))
			continue;
		if (incremental && (c->thread == NULL || !g_hash_table_contains(ts.set, c->thread)))
			continue;
		if (store_facts_delete(st, c->id, err) < 0)
			goto out;
		r.changed++;
	}

	snprintf(revbuf, sizeof revbuf, "%lu", rev);
	if (store_meta_set(st, "notmuch.uuid", uuid, err) < 0 ||
	    store_meta_set(st, "notmuch.stamp", stamp, err) < 0 ||
	    store_meta_set(st, "notmuch.revision", revbuf, err) < 0 ||
	    store_meta_set(st, "notmuch.count", countbuf, err) < 0 ||
	    store_meta_set(st, "mail.facts", fp, err) < 0)
		goto out;
	if (store_commit(st, err) < 0)
		goto out;
	began = false;
	rc = 0;
out:
	if (began)
		store_rollback(st);
	if (rc == 0 && changed != NULL)
		*changed = r.changed;
	if (r.cases != NULL)
		g_ptr_array_free(r.cases, TRUE);
	if (r.by_id != NULL)
		g_hash_table_destroy(r.by_id);
	if (r.put != NULL)
		g_hash_table_destroy(r.put);
	if (r.mc.used != NULL)
		g_hash_table_destroy(r.mc.used);
	if (ts.set != NULL)
		g_hash_table_destroy(ts.set);
	changes_free(&ch);
	g_ptr_array_free(walk, TRUE);
	if (ts.order != NULL)
		g_ptr_array_free(ts.order, TRUE);
	g_free(qs);
	g_free(fp);
	g_free(old_uuid);
	g_free(old_rev);
	g_free(old_fp);
	g_free(old_stamp);
	g_free(old_msgfiles);
	g_free(old_count);
	g_free(stamp);
	return rc;
}

int
mail_refresh(struct mail *m, struct store *st, const struct config *cfg,
    bool full, time_t now, int *changed, struct error *err)
{
	return MAIL_RETRY(m, err, refresh_run(m, st, cfg, full, now, changed, err));
}

void
mail_refresh_stats(struct mail *m, struct mail_refresh_stats *out)
{
	*out = m->stats;
}

/* ---- Thread messages and search ---------------------------------------------- */

void
mail_message_free(struct mail_message *mm)
{
	if (mm == NULL)
		return;
	g_free(mm->msgid);
	g_free(mm->path);
	g_strfreev(mm->paths);
	g_strfreev(mm->tags);
	g_free(mm);
}

/* What notmuch knows of MSG, or NULL on a Xapian exception. */
static struct mail_message *
message_new(notmuch_message_t *msg)
{
	struct mail_message *mm;
	notmuch_tags_t *tags;
	GPtrArray *tv;
	const char *id;
	char **files;

	id = notmuch_message_get_message_id(msg);
	files = message_files(msg);
	tags = notmuch_message_get_tags(msg);
	if (id == NULL || files == NULL || tags == NULL) {
		g_strfreev(files);
		return NULL;
	}
	mm = g_new0(struct mail_message, 1);
	mm->msgid = g_strdup(id);
	mm->path = g_strdup(files[0]);
	mm->paths = files;
	mm->date = notmuch_message_get_date(msg);
	tv = g_ptr_array_new();
	for (; notmuch_tags_valid(tags); notmuch_tags_move_to_next(tags))
		g_ptr_array_add(tv, g_strdup(notmuch_tags_get(tags)));
	g_ptr_array_add(tv, NULL);
	mm->tags = (char **)g_ptr_array_free(tv, FALSE);
	return mm;
}

/* Adds what notmuch knows of each of MSGS (from the query QS) to LIST; -1 on a Xapian exception. */
static int
messages_append(struct mail *m, notmuch_messages_t *msgs, GPtrArray *list,
    const char *qs, struct error *err)
{
	for (; notmuch_messages_valid(msgs); notmuch_messages_move_to_next(msgs)) {
		notmuch_message_t *msg = notmuch_messages_get(msgs);
		struct mail_message *mm = msg != NULL ? message_new(msg) : NULL;

		if (msg != NULL)
			notmuch_message_destroy(msg);
		if (mm == NULL)
			return nm_error(m, err, NOTMUCH_STATUS_XAPIAN_EXCEPTION, qs);
		g_ptr_array_add(list, mm);
	}
	return 0;
}

static int
thread_messages(struct mail *m, const char *thread_id, GPtrArray **out,
    struct error *err)
{
	notmuch_query_t *q;
	notmuch_messages_t *msgs;
	GPtrArray *list;
	char *qs;

	if (thread_query(thread_id, NULL, &qs, err) < 0)
		return -1;
	if (query_messages(m, qs, true, NOTMUCH_SORT_OLDEST_FIRST, &q, &msgs, err) < 0) {
		g_free(qs);
		return -1;
	}
	list = g_ptr_array_new_with_free_func((GDestroyNotify)mail_message_free);
	if (messages_append(m, msgs, list, qs, err) < 0) {
		g_ptr_array_free(list, TRUE);
		notmuch_query_destroy(q);
		g_free(qs);
		return -1;
	}
	notmuch_query_destroy(q);
	if (list->len == 0) {
		g_ptr_array_free(list, TRUE);
		error_set(err, "notmuch database %s: no messages in thread %s",
		    m->where, thread_id);
		g_free(qs);
		return -1;
	}
	g_free(qs);
	*out = list;
	return 0;
}

int
mail_thread_messages(struct mail *m, const char *thread_id, GPtrArray **out,
    struct error *err)
{
	return MAIL_RETRY(m, err, thread_messages(m, thread_id, out, err));
}

/* Refuses a search whose parentheses or quotes do not pair up, which could escape "(Q) and (...)". */
static int
query_check(const char *query, struct error *err)
{
	bool quoted = false;
	int depth = 0;
	const char *p;

	for (p = query; *p != '\0'; p++) {
		if ((unsigned char)*p < 0x20 && *p != '\t')
			return error_set(err, "search \"%.64s\": control character in the query", query);
		if (*p == '"')
			quoted = !quoted;
		else if (!quoted && *p == '(')
			depth++;
		else if (!quoted && *p == ')' && --depth < 0)
			return error_set(err, "search \"%.64s\": ')' without a matching '('", query);
	}
	if (quoted)
		return error_set(err, "search \"%.64s\": unterminated quote", query);
	if (depth != 0)
		return error_set(err, "search \"%.64s\": '(' without a matching ')'", query);
	return 0;
}

static bool
query_blank(const char *query)
{
	const char *p;

	for (p = query != NULL ? query : ""; *p != '\0'; p++) {
		if (!g_ascii_isspace(*p))
			return false;
	}
	return true;
}

static int
search_threads(struct mail *m, const struct config *cfg, const char *query,
    GPtrArray **out, struct error *err)
{
	struct threadset ts;
	GPtrArray *list;
	char *qs;
	guint i;
	int rc = -1;

	if (query_blank(query))
		qs = g_strdup(case_query(cfg));
	else
		qs = g_strdup_printf("(%s) and (%s)", query, case_query(cfg));
	ts.set = g_hash_table_new(g_str_hash, g_str_equal);
	ts.order = g_ptr_array_new_with_free_func(g_free);
	list = g_ptr_array_new_with_free_func(g_free);
	if (threadset_add_query(m, &ts, qs, true, NOTMUCH_SORT_NEWEST_FIRST, NULL, err) < 0)
		goto out;
	/*
	 * The textual "(Q) and (...)" is only as good as the query parser's idea
	 * of the user's parentheses: check each thread against the case query.
	 */
	for (i = 0; i < ts.order->len; i++) {
		const char *t = g_ptr_array_index(ts.order, i);
		unsigned int n;
		char *tq;

		if (!query_blank(query)) {
			if (thread_query(t, case_query(cfg), &tq, err) < 0)
				goto out;
			rc = query_count(m, tq, &n, err);
			g_free(tq);
			if (rc < 0)
				goto out;
			rc = -1;
			if (n == 0)
				continue;
		}
		g_ptr_array_add(list, g_strdup(t));
	}
	*out = list;
	list = NULL;
	rc = 0;
out:
	if (list != NULL)
		g_ptr_array_free(list, TRUE);
	g_hash_table_destroy(ts.set);
	g_ptr_array_free(ts.order, TRUE);
	g_free(qs);
	return rc;
}

int
mail_search_threads(struct mail *m, const struct config *cfg,
    const char *query, GPtrArray **out, struct error *err)
{
	if (query != NULL && query_check(query, err) < 0)
		return -1;
	return MAIL_RETRY(m, err, search_threads(m, cfg, query, out, err));
}

/* ---- Changed messages (team sync) ------------------------------------------- */

static int
messages_changed(struct mail *m, const char *query, const char *uuid,
    uint64_t since, GPtrArray **out, char **new_uuid, uint64_t *rev,
    struct error *err)
{
	notmuch_query_t *q;
	notmuch_messages_t *msgs;
	const char *now_uuid = NULL;
	unsigned long r;
	GPtrArray *list;
	char *qs;

	r = notmuch_database_get_revision(m->db, &now_uuid);
	if (now_uuid == NULL)
		return nm_error(m, err, NOTMUCH_STATUS_XAPIAN_EXCEPTION, "revision");
	list = g_ptr_array_new_with_free_func((GDestroyNotify)mail_message_free);
	if (uuid != NULL && strcmp(uuid, now_uuid) == 0 && since <= r) {
		if (since == r)
			goto done;
		qs = g_strdup_printf("lastmod:%" PRIu64 "..%lu and (%s)", since + 1, r,
		    query);
	} else
		qs = g_strdup_printf("(%s)", query);
	if (query_messages(m, qs, false, NOTMUCH_SORT_OLDEST_FIRST, &q, &msgs, err) < 0) {
		g_ptr_array_free(list, TRUE);
		g_free(qs);
		return -1;
	}
	if (messages_append(m, msgs, list, qs, err) < 0) {
		g_ptr_array_free(list, TRUE);
		notmuch_query_destroy(q);
		g_free(qs);
		return -1;
	}
	notmuch_query_destroy(q);
	g_free(qs);
done:
	*out = list;
	*new_uuid = g_strdup(now_uuid);
	*rev = r;
	return 0;
}

int
mail_messages_changed(struct mail *m, const char *query, const char *uuid,
    uint64_t since, GPtrArray **out, char **new_uuid, uint64_t *rev,
    struct error *err)
{
	if (query == NULL || *query == '\0')
		query = "*";
	else if (query_check(query, err) < 0)
		return -1;
	return MAIL_RETRY(m, err, messages_changed(m, query, uuid, since, out,
	    new_uuid, rev, err));
}

char *
mail_file_event_header(const char *path)
{
	struct msgfile mf;
	char *v = NULL;

	if (!msgfile_open(&mf, path))
		return NULL;
	if (mf.event != NULL)
		v = g_strdup(g_strstrip(mf.event));
	msgfile_close(&mf);
	return v;
}

/* ---- Copies of one message ----------------------------------------------------------- */

/*
 * Headers that servers add or rewrite on the way: two deliveries of one
 * message (the team's sent copy and the copy the team alias brought back,
 * say) differ in these and in nothing a reader sees.
 */
static bool
header_is_trace(const char *name)
{
	static const char *const trace[] = {
		"received", "return-path", "delivered-to", "x-original-to",
		"envelope-to", "x-envelope-to", "authentication-results",
		"received-spf", "arc-seal", "arc-message-signature",
		"arc-authentication-results",
	};
	size_t i;

	for (i = 0; i < G_N_ELEMENTS(trace); i++) {
		if (g_ascii_strcasecmp(name, trace[i]) == 0)
			return true;
	}
	return g_ascii_strncasecmp(name, "x-spam-", 7) == 0;
}

/* Appends the header to the canonical list (ARG, a GString), unless it is a trace header. */
static void
header_canon(void *arg, const char *name, const char *value)
{
	GString *s = arg;
	char *lower, *v;

	if (header_is_trace(name))
		return;
	lower = g_ascii_strdown(name, -1);
	v = g_strstrip(g_strdup(value));
	g_string_append_printf(s, "%s:%s\n", lower, v);
	g_free(lower);
	g_free(v);
}

/* The next bytes of the body of MF: what is buffered after the headers, then the file. */
static ssize_t
body_read(struct msgfile *mf, guint8 *buf, size_t len)
{
	ssize_t n;

	if (mf->body < mf->buf->len) {
		size_t k = MIN(len, mf->buf->len - mf->body);

		memcpy(buf, mf->buf->data + mf->body, k);
		mf->body += k;
		return (ssize_t)k;
	}
	do
		n = read(mf->fd, buf, len);
	while (n < 0 && errno == EINTR);
	return n;
}

/* Reads exactly LEN bytes of MF's body unless it ends first: the count read, -1 on error. */
static ssize_t
body_read_full(struct msgfile *mf, guint8 *buf, size_t len)
{
	size_t got = 0;

	while (got < len) {
		ssize_t n = body_read(mf, buf + got, len - got);

		if (n < 0)
			return -1;
		if (n == 0)
			break;
		got += (size_t)n;
	}
	return (ssize_t)got;
}

int
mail_files_same(const char *a, const char *b, struct error *err)
{
	struct msgfile ma, mb;
	GString *ha, *hb;
	guint8 *ba = NULL, *bb = NULL;
	int rc = -1;

	if (!msgfile_open(&ma, a))
		return error_set(err, "%s: cannot read: %s", a, g_strerror(errno));
	if (!msgfile_open(&mb, b)) {
		error_set(err, "%s: cannot read: %s", b, g_strerror(errno));
		msgfile_close(&ma);
		return -1;
	}
	ha = g_string_new(NULL);
	hb = g_string_new(NULL);
	headers_each((const char *)ma.buf->data, ma.body, header_canon, ha);
	headers_each((const char *)mb.buf->data, mb.body, header_canon, hb);
	if (!g_string_equal(ha, hb)) {
		rc = 0;
		goto out;
	}
	ba = g_malloc(MAIL_CHUNK);
	bb = g_malloc(MAIL_CHUNK);
	for (;;) {
		ssize_t na = body_read_full(&ma, ba, MAIL_CHUNK);
		ssize_t nb = body_read_full(&mb, bb, MAIL_CHUNK);

		if (na < 0 || nb < 0) {
			error_set(err, "%s: cannot read: %s", na < 0 ? a : b, g_strerror(errno));
			goto out;
		}
		if (na != nb || memcmp(ba, bb, (size_t)na) != 0) {
			rc = 0;
			goto out;
		}
		if (na == 0)
			break;
	}
	rc = 1;
out:
	g_free(ba);
	g_free(bb);
	g_string_free(ha, TRUE);
	g_string_free(hb, TRUE);
	msgfile_close(&ma);
	msgfile_close(&mb);
	return rc;
}

/* ---- Indexing a file ------------------------------------------------------------ */

/* In the worker: index PATH with TAGS through a short-lived read-write handle. */
static int
index_worker(const struct config *cfg, const char *path,
    const char *const *tags, struct error *err)
{
	notmuch_database_t *db;
	notmuch_message_t *msg = NULL;
	notmuch_status_t st;
	size_t i;

	if (open_db(cfg, NOTMUCH_DATABASE_MODE_READ_WRITE, &db, err) < 0)
		return error_prefix(err, "%s: cannot index", path);
	st = notmuch_database_index_file(db, path, NULL, &msg);
	if (st != NOTMUCH_STATUS_SUCCESS && st != NOTMUCH_STATUS_DUPLICATE_MESSAGE_ID) {
		const char *d = notmuch_database_status_string(db);

		error_set(err, "%s: cannot index into notmuch database %s: %s%s%s",
		    path, notmuch_database_get_path(db), notmuch_status_to_string(st),
		    d != NULL ? ": " : "", d != NULL ? d : "");
		notmuch_database_destroy(db);
		return -1;
	}
	st = notmuch_message_freeze(msg);
	for (i = 0; st == NOTMUCH_STATUS_SUCCESS && tags != NULL && tags[i] != NULL; i++)
		st = notmuch_message_add_tag(msg, tags[i]);
	if (st == NOTMUCH_STATUS_SUCCESS)
		st = notmuch_message_thaw(msg);
	if (st == NOTMUCH_STATUS_SUCCESS)
		st = notmuch_message_maildir_flags_to_tags(msg);
	notmuch_message_destroy(msg);
	if (st != NOTMUCH_STATUS_SUCCESS) {
		error_set(err, "%s: indexed, but cannot tag it: %s", path,
		    notmuch_status_to_string(st));
		notmuch_database_destroy(db);
		return -1;
	}
	st = notmuch_database_destroy(db);
	if (st != NOTMUCH_STATUS_SUCCESS)
		return error_set(err, "%s: cannot commit to the notmuch database: %s",
		    path, notmuch_status_to_string(st));
	return 0;
}

static void
write_all(int fd, const char *s, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, s, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;
		s += n;
		len -= (size_t)n;
	}
}

/*
 * Runs the worker in a grandchild: a read-write open blocks while another
 * writer holds the lock (Debian builds Xapian's DB_RETRY_LOCK in), so the
 * caller must not do it.  The middle process exits at once and is reaped
 * here; the grandchild belongs to init, so when we stop waiting it may go
 * on and index the file once the lock is free, leaving no zombie behind.
 * Its result comes back through a pipe: "ok" or "error: MESSAGE".
 */
static pid_t
index_spawn(const struct config *cfg, const char *path,
    const char *const *tags, int wfd, int rfd)
{
	pid_t pid = fork();

	if (pid != 0)
		return pid;
	close(rfd);
	pid = fork();
	if (pid < 0) {
		const char msg[] = "error: cannot fork the indexing process";

		write_all(wfd, msg, sizeof msg - 1);
		_exit(1);
	}
	if (pid > 0)
		_exit(0);
	signal(SIGPIPE, SIG_IGN);
	{
		struct error e = { { 0 } };
		char *res;
		int rc = index_worker(cfg, path, tags, &e);

		res = rc == 0 ? g_strdup("ok") : g_strdup_printf("error: %s", e.msg);
		write_all(wfd, res, strlen(res));
		g_free(res);
		_exit(rc == 0 ? 0 : 1);
	}
}

int
mail_index_file(const struct config *cfg, const char *path,
    const char *const *tags, int timeout_ms, struct error *err)
{
	struct stat sb;
	GString *res;
	gint64 deadline;
	int fds[2], status, rc = -1;
	bool timed_out = false;
	pid_t pid;
	size_t i;

	if (path == NULL || *path == '\0')
		return error_set(err, "cannot index a message: no file name given");
	if (stat(path, &sb) < 0)
		return error_set(err, "%s: cannot index: %s", path, strerror(errno));
	if (!S_ISREG(sb.st_mode))
		return error_set(err, "%s: cannot index: not a regular file", path);
	for (i = 0; tags != NULL && tags[i] != NULL; i++) {
		if (*tags[i] == '\0' || strlen(tags[i]) > NOTMUCH_TAG_MAX)
			return error_set(err, "%s: cannot index: bad tag \"%.64s\" (expected 1 to %d characters)",
			    path, tags[i], NOTMUCH_TAG_MAX);
	}
	if (pipe2(fds, O_CLOEXEC) < 0)
		return error_set(err, "%s: cannot index: pipe: %s", path, strerror(errno));
	pid = index_spawn(cfg, path, tags, fds[1], fds[0]);
	close(fds[1]);
	if (pid < 0) {
		close(fds[0]);
		return error_set(err, "%s: cannot index: fork: %s", path, strerror(errno));
	}
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;

	res = g_string_new(NULL);
	deadline = g_get_monotonic_time() + (gint64)timeout_ms * 1000;
	for (;;) {
		struct pollfd pfd = { .fd = fds[0], .events = POLLIN };
		gint64 left = (deadline - g_get_monotonic_time()) / 1000;
		char buf[512];
		ssize_t n;
		int pr;

		if (timeout_ms >= 0 && left <= 0) {
			timed_out = true;
			break;
		}
		pr = poll(&pfd, 1, timeout_ms < 0 ? -1 : (int)MIN(left, 1000));
		if (pr < 0 && errno != EINTR) {
			error_set(err, "%s: cannot index: poll: %s", path, strerror(errno));
			goto out;
		}
		if (pr <= 0)
			continue;
		n = read(fds[0], buf, sizeof buf);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		if (res->len < 4096)
			g_string_append_len(res, buf, n);
	}
	if (timed_out) {
		error_set(err, "notmuch database is locked by another writer (notmuch new?); "
		    "the message is saved at %s and will be indexed when the lock is "
		    "released, or by the next notmuch new", path);
		goto out;
	}
	if (strcmp(res->str, "ok") == 0)
		rc = 0;
	else if (g_str_has_prefix(res->str, "error: "))
		error_set(err, "%s", res->str + 7);
	else
		error_set(err, "%s: cannot index: the indexing process ended without a result", path);
out:
	close(fds[0]);
	g_string_free(res, TRUE);
	return rc;
}
