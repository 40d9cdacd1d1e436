/* tests/test_store.c: the SQLite case store: schema, fold, compare-and-set, concurrency, crash safety. */
#include "build-config.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <glib.h>
#include <sqlite3.h>

#include "core/store.h"

#define ALPHABET "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

struct fx {
	char *dir;   /* temp dir, removed at teardown */
	char *path;  /* dir/data/cases.db (its directory does not exist yet) */
	struct store *st;
};

static int
rm_one(const char *p, const struct stat *sb, int type, struct FTW *ftw)
{
	(void)sb;
	(void)type;
	(void)ftw;
	return remove(p);
}

static int
setup(void **state)
{
	struct fx *fx = g_new0(struct fx, 1);

	fx->dir = g_strdup("/tmp/st.XXXXXX");
	if (mkdtemp(fx->dir) == NULL)
		return -1;
	fx->path = g_build_filename(fx->dir, "data", "cases.db", NULL);
	*state = fx;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *fx = *state;

	store_close(fx->st);
	nftw(fx->dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	g_free(fx->dir);
	g_free(fx->path);
	g_free(fx);
	return 0;
}

/* Opens the fixture's store, failing the test with the store's message. */
static struct store *
open_store(const char *path)
{
	struct store *st = NULL;
	struct error err = {{0}};

	if (store_open(path, &st, &err) != 0)
		fail_msg("store_open: %s", err.msg);
	return st;
}

static struct store *
fx_open(struct fx *fx)
{
	fx->st = open_store(fx->path);
	return fx->st;
}

/* First column of the first row of SQL run on PATH by a separate raw connection (g_free). */
static char *
raw_text(const char *path, const char *sql)
{
	sqlite3 *db;
	sqlite3_stmt *s;
	char *out = NULL;

	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	sqlite3_busy_timeout(db, 10000);
	if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK)
		fail_msg("%s: %s", sql, sqlite3_errmsg(db));
	if (sqlite3_step(s) == SQLITE_ROW)
		out = g_strdup((const char *)sqlite3_column_text(s, 0));
	sqlite3_finalize(s);
	sqlite3_close(db);
	return out;
}

/* Runs SQL on PATH through a raw connection; returns the sqlite code, *MSG the message (g_free). */
static int
raw_exec(const char *path, const char *sql, char **msg)
{
	sqlite3 *db;
	char *m = NULL;
	int rc;

	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	rc = sqlite3_exec(db, sql, NULL, NULL, &m);
	if (msg != NULL)
		*msg = g_strdup(m);
	sqlite3_free(m);
	sqlite3_close(db);
	return rc;
}

static int64_t
ensure(struct store *st, const char *msgid, const char *thread)
{
	struct error err = {{0}};
	int64_t id = -1;

	if (store_case_ensure(st, msgid, thread, "tester@example.org", 1000, &id,
		NULL, &err) != 0)
		fail_msg("store_case_ensure: %s", err.msg);
	return id;
}

/* Appends a field event; UUID may be NULL (generated).  Returns store_append_event's result. */
static int
append(struct store *st, int64_t case_id, const char *uuid, time_t at,
    const char *kind, const char *field, const char *value)
{
	struct store_event ev = {0};
	struct error err = {{0}};
	int rc;

	if (uuid != NULL)
		g_strlcpy(ev.uuid, uuid, sizeof ev.uuid);
	ev.case_id = case_id;
	ev.author = (char *)"alice@example.org";
	ev.at = at;
	ev.kind = (char *)kind;
	ev.field = (char *)field;
	ev.value = (char *)value;
	rc = store_append_event(st, &ev, false, NULL, NULL, &err);
	if (rc != 0)
		fail_msg("store_append_event: %s", err.msg);
	return rc;
}

static struct store_case *
get_case(struct store *st, int64_t id)
{
	struct store_case *c = NULL;
	struct error err = {{0}};

	if (store_case_get(st, id, &c, &err) != 0)
		fail_msg("store_case_get: %s", err.msg);
	return c;
}

static GPtrArray *
get_events(struct store *st, int64_t id)
{
	GPtrArray *evs = NULL;
	struct error err = {{0}};

	if (store_events(st, id, &evs, &err) != 0)
		fail_msg("store_events: %s", err.msg);
	return evs;
}

static mode_t
file_mode(const char *path)
{
	struct stat sb;

	if (stat(path, &sb) != 0)
		fail_msg("%s: %s", path, strerror(errno));
	return sb.st_mode & 07777;
}

/* Creating from nothing: directories 0700, files 0600 (whatever the umask), WAL, current schema. */
static void
test_create_from_nothing(void **state)
{
	struct fx *fx = *state;
	char *wal, *shm, *v, *dir;
	mode_t old = umask(0);

	fx_open(fx);
	umask(old);
	ensure(fx->st, "create@example.org", NULL);

	dir = g_path_get_dirname(fx->path);
	assert_int_equal(file_mode(dir), 0700);
	assert_int_equal(file_mode(fx->path), 0600);
	wal = g_strconcat(fx->path, "-wal", NULL);
	shm = g_strconcat(fx->path, "-shm", NULL);
	assert_int_equal(file_mode(wal), 0600);
	assert_int_equal(file_mode(shm), 0600);

	v = raw_text(fx->path, "PRAGMA user_version");
	assert_int_equal(atoi(v), STORE_SCHEMA_VERSION);
	g_free(v);
	v = raw_text(fx->path, "PRAGMA journal_mode");
	assert_string_equal(v, "wal");
	g_free(v);
	/* Every table of the schema exists. */
	v = raw_text(fx->path, "SELECT group_concat(name, ' ') FROM (SELECT name"
	    " FROM sqlite_master WHERE type = 'table' AND name IN ('cases',"
	    " 'events', 'fields', 'facts', 'meta') ORDER BY name)");
	assert_string_equal(v, "cases events facts fields meta");
	g_free(v);
	g_free(wal);
	g_free(shm);
	g_free(dir);
}

static void
test_reopen_keeps_data(void **state)
{
	struct fx *fx = *state;
	struct error err = {{0}};
	struct store_case *c;
	char *val = NULL;
	int64_t id;

	fx_open(fx);
	id = ensure(fx->st, "keep@example.org", "t1");
	append(fx->st, id, NULL, 2000, "state", NULL, "triaged");
	assert_int_equal(store_meta_set(fx->st, "revision", "42", &err), 0);
	store_close(fx->st);

	fx_open(fx);
	assert_int_equal(ensure(fx->st, "keep@example.org", "t1"), id);
	c = get_case(fx->st, id);
	assert_string_equal(c->msgid, "keep@example.org");
	assert_string_equal(c->thread, "t1");
	assert_int_equal(c->created, 1000);
	assert_string_equal(store_case_field(c, "state"), "triaged");
	assert_int_equal(store_case_field_at(c, "state"), 2000);
	store_case_free(c);
	assert_int_equal(store_meta_get(fx->st, "revision", &val, &err), 0);
	assert_string_equal(val, "42");
	g_free(val);
}

/* A version-0 database (here: someone else's empty file with a table) is migrated, its data kept. */
static void
test_migrate_from_version0(void **state)
{
	struct fx *fx = *state;
	char *dir = g_path_get_dirname(fx->path), *v;

	assert_int_equal(g_mkdir_with_parents(dir, 0700), 0);
	assert_int_equal(raw_exec(fx->path, "CREATE TABLE scratch (x TEXT);"
	    "INSERT INTO scratch VALUES ('kept'); PRAGMA user_version = 0;",
	    NULL), SQLITE_OK);

	fx_open(fx);
	assert_int_equal(ensure(fx->st, "m@example.org", NULL), 1);
	v = raw_text(fx->path, "PRAGMA user_version");
	assert_int_equal(atoi(v), STORE_SCHEMA_VERSION);
	g_free(v);
	v = raw_text(fx->path, "SELECT x FROM scratch");
	assert_string_equal(v, "kept");
	g_free(v);
	v = raw_text(fx->path, "PRAGMA journal_mode");
	assert_string_equal(v, "wal");
	g_free(v);
	g_free(dir);
}

static bool
keep_first(void *arg, int64_t key)
{
	(void)arg;
	return key == store_msgfile_key("/m/INBOX/cur/1");
}

/* The message file cache: put, get (all fields), replace, prune; a version-2 store gains it. */
static void
test_msgfile_cache(void **state)
{
	struct fx *fx = *state;
	struct error err = {{0}};
	struct store_msgfile f = {
		.path = (char *)"/m/INBOX/cur/1", .msgid = (char *)"a@x",
		.stamp = (char *)"1:2:3.4", .from = (char *)"A <a@x>",
		.to = (char *)"security@example.org", .cc = NULL,
		.reply_to = (char *)"r@x", .auth = (char *)"mx; dkim=pass\nmx2; spf=fail",
		.event = true, .inline_pgp = true,
	}, g;
	int deleted = -1;
	bool any = true;

	fx_open(fx);
	assert_int_equal(store_msgfile_any(fx->st, &any, &err), 0);
	assert_false(any);
	assert_int_equal(store_msgfile_get(fx->st, f.path, &g, &err), 0);
	assert_null(g.msgid);
	assert_int_equal(store_msgfile_put(fx->st, &f, &err), 0);
	assert_int_equal(store_msgfile_any(fx->st, &any, &err), 0);
	assert_true(any);
	assert_int_equal(store_msgfile_get(fx->st, f.path, &g, &err), 1);
	assert_string_equal(g.path, f.path);
	assert_string_equal(g.msgid, "a@x");
	assert_string_equal(g.stamp, "1:2:3.4");
	assert_string_equal(g.from, "A <a@x>");
	assert_string_equal(g.to, "security@example.org");
	assert_null(g.cc);
	assert_string_equal(g.reply_to, "r@x");
	assert_string_equal(g.auth, "mx; dkim=pass\nmx2; spf=fail");
	assert_true(g.event);
	assert_true(g.inline_pgp);
	store_msgfile_clear(&g);
	assert_null(g.msgid);

	/* Same path again: replaced, not added. */
	f.stamp = (char *)"9:9:9.9";
	f.event = false;
	assert_int_equal(store_msgfile_put(fx->st, &f, &err), 0);
	assert_int_equal(store_msgfile_get(fx->st, f.path, &g, &err), 1);
	assert_string_equal(g.stamp, "9:9:9.9");
	assert_false(g.event);
	assert_true(g.inline_pgp);
	store_msgfile_clear(&g);
	f.path = (char *)"/m/INBOX/cur/2";
	assert_int_equal(store_msgfile_put(fx->st, &f, &err), 0);

	/* Incomplete rows are refused with a message. */
	f.msgid = NULL;
	assert_int_equal(store_msgfile_put(fx->st, &f, &err), -1);
	assert_non_null(strstr(err.msg, "Message-ID"));

	/* Prune by key, then everything. */
	assert_int_equal(store_msgfile_prune(fx->st, keep_first, NULL, &deleted, &err), 0);
	assert_int_equal(deleted, 1);
	assert_int_equal(store_msgfile_get(fx->st, "/m/INBOX/cur/1", &g, &err), 1);
	store_msgfile_clear(&g);
	assert_int_equal(store_msgfile_get(fx->st, "/m/INBOX/cur/2", &g, &err), 0);
	assert_int_equal(store_msgfile_prune(fx->st, NULL, NULL, &deleted, &err), 0);
	assert_int_equal(deleted, 1);
	assert_int_equal(store_msgfile_any(fx->st, &any, &err), 0);
	assert_false(any);
}

/* A store at schema version 2 (before the cache) is migrated to the newest, its cases kept. */
static void
test_migrate_from_version2(void **state)
{
	struct fx *fx = *state;
	struct error err = {{0}};
	struct store_msgfile f = {
		.path = (char *)"/p", .msgid = (char *)"m@x", .stamp = (char *)"s",
	};
	char *v;

	fx_open(fx);
	assert_int_equal(ensure(fx->st, "old@example.org", NULL), 1);
	store_close(fx->st);
	fx->st = NULL;
	assert_int_equal(raw_exec(fx->path, "DROP TABLE msgfiles;"
	    " ALTER TABLE facts DROP COLUMN has_reporter;"
	    " ALTER TABLE facts DROP COLUMN team_to_reporter;"
	    " PRAGMA user_version = 2;", NULL), SQLITE_OK);
	fx_open(fx);
	v = raw_text(fx->path, "PRAGMA user_version");
	assert_int_equal(atoi(v), STORE_SCHEMA_VERSION);
	g_free(v);
	assert_int_equal(ensure(fx->st, "old@example.org", NULL), 1);
	assert_int_equal(store_msgfile_put(fx->st, &f, &err), 0);
}

/* Version 3 facts rows gain the fold state as NULL columns, read as "not known". */
static void
test_migrate_from_version3(void **state)
{
	struct fx *fx = *state;
	struct error err = {{0}};
	struct mail_facts mf = { 0 };
	struct store_case *c = NULL;
	int64_t id;
	char *v;

	fx_open(fx);
	assert_int_equal(store_case_ensure(fx->st, "<v3@example.org>", "t1", "a",
	    1000, &id, NULL, &err), 0);
	mf.thread = (char *)"t1";
	mf.report_msgid = (char *)"v3@example.org";
	mf.message_count = 4;
	mf.has_reporter = true;
	mf.team_to_reporter = 2;
	assert_int_equal(store_facts_put(fx->st, id, &mf, &err), 0);
	store_close(fx->st);
	fx->st = NULL;
	assert_int_equal(raw_exec(fx->path,
	    "ALTER TABLE facts DROP COLUMN has_reporter;"
	    " ALTER TABLE facts DROP COLUMN team_to_reporter;"
	    " PRAGMA user_version = 3;", NULL), SQLITE_OK);
	fx_open(fx);
	v = raw_text(fx->path, "PRAGMA user_version");
	assert_int_equal(atoi(v), STORE_SCHEMA_VERSION);
	g_free(v);
	assert_int_equal(store_case_get(fx->st, id, &c, &err), 0);
	assert_true(c->has_facts);
	assert_int_equal(c->facts.message_count, 4);
	assert_false(c->facts.has_reporter);
	assert_int_equal(c->facts.team_to_reporter, 0);
	store_case_free(c);
	/* And the new columns round-trip. */
	assert_int_equal(store_facts_put(fx->st, id, &mf, &err), 0);
	assert_int_equal(store_case_get(fx->st, id, &c, &err), 0);
	assert_true(c->facts.has_reporter);
	assert_int_equal(c->facts.team_to_reporter, 2);
	store_case_free(c);
}

/* A failed migration leaves the database as it was (one transaction). */
static void
test_migrate_failure_rolls_back(void **state)
{
	struct fx *fx = *state;
	char *dir = g_path_get_dirname(fx->path), *v;
	struct store *st = NULL;
	struct error err = {{0}};

	assert_int_equal(g_mkdir_with_parents(dir, 0700), 0);
	/* A foreign "meta" table makes the last CREATE of step 0 fail. */
	assert_int_equal(raw_exec(fx->path, "CREATE TABLE meta (k);", NULL),
	    SQLITE_OK);
	assert_int_equal(store_open(fx->path, &st, &err), -1);
	assert_null(st);
	assert_non_null(strstr(err.msg, fx->path));
	assert_non_null(strstr(err.msg, "from version 0 to 1"));
	assert_non_null(strstr(err.msg, "already exists"));
	v = raw_text(fx->path, "SELECT count(*) FROM sqlite_master WHERE name = 'cases'");
	assert_string_equal(v, "0");
	g_free(v);
	v = raw_text(fx->path, "PRAGMA user_version");
	assert_string_equal(v, "0");
	g_free(v);
	g_free(dir);
}

static void
test_refuse_newer(void **state)
{
	struct fx *fx = *state;
	char *dir = g_path_get_dirname(fx->path), *v;
	struct store *st = NULL;
	struct error err = {{0}};

	assert_int_equal(g_mkdir_with_parents(dir, 0700), 0);
	assert_int_equal(raw_exec(fx->path, "PRAGMA user_version = 999;", NULL),
	    SQLITE_OK);
	assert_int_equal(store_open(fx->path, &st, &err), -1);
	assert_null(st);
	assert_non_null(strstr(err.msg, fx->path));
	assert_non_null(strstr(err.msg, "999"));
	assert_non_null(strstr(err.msg, "newer embargo"));
	v = raw_text(fx->path, "PRAGMA user_version");
	assert_string_equal(v, "999");
	g_free(v);
	g_free(dir);
}

static void
test_open_errors(void **state)
{
	struct fx *fx = *state;
	struct store *st = NULL;
	struct error err = {{0}};
	char *dir = g_path_get_dirname(fx->path);
	char *blocker, *under;
	char junk[4096];

	/* Not a database. */
	assert_int_equal(g_mkdir_with_parents(dir, 0700), 0);
	memset(junk, 'x', sizeof junk);
	assert_true(g_file_set_contents(fx->path, junk, sizeof junk, NULL));
	assert_int_equal(store_open(fx->path, &st, &err), -1);
	assert_null(st);
	assert_non_null(strstr(err.msg, fx->path));
	assert_non_null(strstr(err.msg, "not a database"));

	/* A parent that is a file. */
	blocker = g_build_filename(fx->dir, "plainfile", NULL);
	assert_true(g_file_set_contents(blocker, "x", 1, NULL));
	under = g_build_filename(blocker, "sub", "cases.db", NULL);
	assert_int_equal(store_open(under, &st, &err), -1);
	assert_null(st);
	assert_non_null(strstr(err.msg, "cannot create directory"));
	assert_non_null(strstr(err.msg, blocker));

	assert_int_equal(store_open("", &st, &err), -1);
	assert_null(st);
	g_free(blocker);
	g_free(under);
	g_free(dir);
}

static void
test_ensure_idempotent(void **state)
{
	struct fx *fx = *state;
	struct error err = {{0}};
	struct store_event *ev;
	GPtrArray *evs;
	int64_t id1 = 0, id2 = 0;
	bool created = false;

	fx_open(fx);
	assert_int_equal(store_case_ensure(fx->st, "<idem@example.org>", "t",
	    "bob@example.org", 5000, &id1, &created, &err), 0);
	assert_true(created);
	assert_int_equal(store_case_ensure(fx->st, "idem@example.org", "t",
	    "carol@example.org", 6000, &id2, &created, &err), 0);
	assert_false(created);
	assert_int_equal(id1, id2);

	/* One "created" event, by the first author at the first time. */
	evs = get_events(fx->st, id1);
	assert_int_equal(evs->len, 1);
	ev = evs->pdata[0];
	assert_string_equal(ev->kind, "created");
	assert_string_equal(ev->author, "bob@example.org");
	assert_int_equal(ev->at, 5000);
	assert_null(ev->field);
	assert_int_equal(ev->case_id, id1);
	assert_int_equal(strlen(ev->uuid), 36);
	g_ptr_array_free(evs, TRUE);

	/* Bad input. */
	assert_int_equal(store_case_ensure(fx->st, "", NULL, "x", 1, &id2, NULL,
	    &err), -1);
	assert_non_null(strstr(err.msg, "empty Message-ID"));
	assert_int_equal(store_case_ensure(fx->st, "<>", NULL, "x", 1, &id2,
	    NULL, &err), -1);
	assert_non_null(strstr(err.msg, "empty Message-ID"));
}

static void
test_ids_small_stable(void **state)
{
	struct fx *fx = *state;
	int64_t ids[3];

	fx_open(fx);
	ids[0] = ensure(fx->st, "a@example.org", NULL);
	ids[1] = ensure(fx->st, "b@example.org", NULL);
	ids[2] = ensure(fx->st, "c@example.org", NULL);
	assert_int_equal(ids[0], 1);
	assert_int_equal(ids[1], 2);
	assert_int_equal(ids[2], 3);
	store_close(fx->st);

	fx_open(fx);
	assert_int_equal(ensure(fx->st, "c@example.org", NULL), 3);
	assert_int_equal(ensure(fx->st, "<a@example.org>", NULL), 1);
	assert_int_equal(ensure(fx->st, "d@example.org", NULL), 4);
}

static void
test_ensure_updates_thread(void **state)
{
	struct fx *fx = *state;
	struct store_case *c;
	int64_t id;

	fx_open(fx);
	id = ensure(fx->st, "th@example.org", "000000000000000a");
	assert_int_equal(ensure(fx->st, "th@example.org", "000000000000000b"), id);
	c = get_case(fx->st, id);
	assert_string_equal(c->thread, "000000000000000b");
	store_case_free(c);
	/* No thread known: the old one stays. */
	assert_int_equal(ensure(fx->st, "th@example.org", NULL), id);
	c = get_case(fx->st, id);
	assert_string_equal(c->thread, "000000000000000b");
	store_case_free(c);
}

static void
test_ref_derivation(void **state)
{
	struct fx *fx = *state;
	struct store_case *c;
	char ref[8], again[8];
	int64_t id;

	/* Known answers, computed independently (Python hashlib). */
	store_ref_from_msgid("report-1@example.org", ref);
	assert_string_equal(ref, "SRQBS");
	store_ref_from_msgid("<report-1@example.org>", ref);
	assert_string_equal(ref, "SRQBS");
	store_ref_from_msgid("abc@x", ref);
	assert_string_equal(ref, "PX4H5");

	for (int i = 0; i < 500; i++) {
		char *m = g_strdup_printf("msg-%d@example.org", i);

		store_ref_from_msgid(m, ref);
		store_ref_from_msgid(m, again);
		assert_string_equal(ref, again);
		assert_int_equal(strlen(ref), 5);
		assert_int_equal(strspn(ref, ALPHABET), 5);
		g_free(m);
	}

	fx_open(fx);
	id = ensure(fx->st, "<report-1@example.org>", NULL);
	c = get_case(fx->st, id);
	assert_string_equal(c->ref, "SRQBS");
	assert_string_equal(c->msgid, "report-1@example.org");
	store_case_free(c);
}

/* Finds two Message-IDs whose 5-character refs collide (birthday search, deterministic). */
static void
find_collision(char **first, char **second)
{
	GHashTable *seen = g_hash_table_new_full(g_str_hash, g_str_equal,
	    g_free, g_free);
	char ref[8];

	*first = *second = NULL;
	for (int i = 0; i < 1000000 && *first == NULL; i++) {
		char *m = g_strdup_printf("collide-%d@example.org", i);
		const char *prior;

		store_ref_from_msgid(m, ref);
		if ((prior = g_hash_table_lookup(seen, ref)) != NULL) {
			*first = g_strdup(prior);
			*second = m;
		} else
			g_hash_table_insert(seen, g_strdup(ref), m);
	}
	g_hash_table_destroy(seen);
	assert_non_null(*first);
}

static void
test_ref_collision(void **state)
{
	struct fx *fx = *state;
	struct error err = {{0}};
	struct store_case *a, *b;
	char *m1, *m2, ref1[8], ref2[8];
	int64_t id1, id2, got;

	find_collision(&m1, &m2);
	store_ref_from_msgid(m1, ref1);
	store_ref_from_msgid(m2, ref2);
	assert_string_equal(ref1, ref2);
	assert_string_not_equal(m1, m2);

	fx_open(fx);
	id1 = ensure(fx->st, m1, NULL);
	id2 = ensure(fx->st, m2, NULL);
	assert_int_not_equal(id1, id2);
	a = get_case(fx->st, id1);
	b = get_case(fx->st, id2);
	/* The first keeps 5 characters, the later one gets one more of its hash. */
	assert_string_equal(a->ref, ref1);
	assert_int_equal(strlen(b->ref), 6);
	assert_memory_equal(b->ref, ref1, 5);
	assert_int_equal(strspn(b->ref, ALPHABET), 6);
	assert_int_equal(store_case_resolve(fx->st, a->ref, &got, &err), 0);
	assert_int_equal(got, id1);
	assert_int_equal(store_case_resolve(fx->st, b->ref, &got, &err), 0);
	assert_int_equal(got, id2);
	store_case_free(a);
	store_case_free(b);
	g_free(m1);
	g_free(m2);
}

static void
expect_unknown(struct store *st, const char *key)
{
	struct error err = {{0}};
	int64_t id = -7;
	char *want;

	assert_int_equal(store_case_resolve(st, key, &id, &err), -1);
	assert_int_equal(id, -7);
	want = g_strdup_printf("no case \"%s\": give a case id, its ref or "
	    "thread:ID (see embargo list)", key);
	assert_string_equal(err.msg, want);
	g_free(want);
}

static void
test_resolve(void **state)
{
	struct fx *fx = *state;
	struct error err = {{0}};
	struct store_case *c;
	char *typed = NULL, *m = NULL, ref[8];
	int64_t target, got;

	fx_open(fx);
	ensure(fx->st, "first@example.org", "00000000000000f1");
	/* A case whose ref has a 0 or a 1, to type it with Crockford's aliases. */
	for (int i = 0; m == NULL; i++) {
		char *cand = g_strdup_printf("alias-%d@example.org", i);

		store_ref_from_msgid(cand, ref);
		if (strpbrk(ref, "01") != NULL)
			m = cand;
		else
			g_free(cand);
	}
	target = ensure(fx->st, m, "00000000000000f2");
	c = get_case(fx->st, target);

	assert_int_equal(store_case_resolve(fx->st, "2", &got, &err), 0);
	assert_int_equal(got, 2);
	assert_int_equal(store_case_resolve(fx->st, c->ref, &got, &err), 0);
	assert_int_equal(got, target);
	typed = g_ascii_strdown(c->ref, -1);
	assert_int_equal(store_case_resolve(fx->st, typed, &got, &err), 0);
	assert_int_equal(got, target);
	for (char *p = typed; *p != '\0'; p++) {
		if (*p == '0')
			*p = 'o';
		else if (*p == '1')
			*p = 'l';
	}
	assert_int_equal(store_case_resolve(fx->st, typed, &got, &err), 0);
	assert_int_equal(got, target);
	assert_int_equal(store_case_resolve(fx->st, "thread:00000000000000f2",
	    &got, &err), 0);
	assert_int_equal(got, target);
	assert_int_equal(store_case_resolve(fx->st, "thread:00000000000000f1",
	    &got, &err), 0);
	assert_int_equal(got, 1);

	expect_unknown(fx->st, "99");
	expect_unknown(fx->st, "0");
	expect_unknown(fx->st, "ZZZZZ");
	expect_unknown(fx->st, "thread:nope");
	expect_unknown(fx->st, "thread:");
	expect_unknown(fx->st, "");
	expect_unknown(fx->st, "U-!?");
	expect_unknown(fx->st, "99999999999999999999999");
	store_case_free(c);
	g_free(typed);
	g_free(m);
}

/* A ref of digits only is still found (ids are tried first, then refs). */
static void
test_resolve_digit_ref(void **state)
{
	struct fx *fx = *state;
	struct error err = {{0}};
	char *m = NULL, ref[8];
	int64_t id, got;

	for (int i = 0; m == NULL; i++) {
		char *cand = g_strdup_printf("digits-%d@example.org", i);

		store_ref_from_msgid(cand, ref);
		if (strspn(ref, "0123456789") == 5)
			m = cand;
		else
			g_free(cand);
	}
	fx_open(fx);
	id = ensure(fx->st, m, NULL);
	assert_int_equal(store_case_resolve(fx->st, ref, &got, &err), 0);
	assert_int_equal(got, id);
	assert_int_equal(store_case_resolve(fx->st, "1", &got, &err), 0);
	assert_int_equal(got, 1);
	g_free(m);
}

#define UUID_A "aaaaaaaa-0000-4000-8000-000000000001"
#define UUID_B "bbbbbbbb-0000-4000-8000-000000000002"
#define UUID_C "cccccccc-0000-4000-8000-000000000003"
#define UUID_D "dddddddd-0000-4000-8000-000000000004"

static void
test_fold_same_time_by_uuid(void **state)
{
	struct fx *fx = *state;
	struct store_case *c;
	int64_t id;

	fx_open(fx);
	id = ensure(fx->st, "tie@example.org", NULL);
	/* Same time: the greater uuid wins, whichever arrives first. */
	append(fx->st, id, UUID_B, 3000, "severity", NULL, "critical");
	append(fx->st, id, UUID_A, 3000, "severity", NULL, "minor");
	c = get_case(fx->st, id);
	assert_string_equal(store_case_field(c, "severity"), "critical");
	store_case_free(c);

	append(fx->st, id, UUID_D, 3000, "handler", NULL, "dave");
	append(fx->st, id, UUID_C, 3000, "handler", NULL, "carol");
	append(fx->st, id, UUID_A, 2999, "state", NULL, "fixing");
	c = get_case(fx->st, id);
	assert_string_equal(store_case_field(c, "handler"), "dave");
	assert_int_equal(store_case_field_at(c, "handler"), 3000);
	store_case_free(c);
}

/* Generated uuids are v7 and strictly increasing, so same-time events made in turn fold in turn. */
static void
test_uuid_new(void **state)
{
	struct fx *fx = *state;
	struct store_case *c;
	char prev[37] = "", u[37];
	int64_t id;

	for (int i = 0; i < 20000; i++) {
		store_uuid_new(u);
		assert_int_equal(strlen(u), 36);
		assert_int_equal(strspn(u, "0123456789abcdef-"), 36);
		assert_true(u[8] == '-' && u[13] == '-' && u[18] == '-' &&
		    u[23] == '-');
		assert_int_equal(u[14], '7');
		assert_non_null(strchr("89ab", u[19]));
		if (strcmp(prev, u) >= 0)
			fail_msg("uuid %s after %s", u, prev);
		memcpy(prev, u, sizeof prev);
	}

	/* A pinned clock: every event at the same time, the last one made wins. */
	fx_open(fx);
	id = ensure(fx->st, "pinned@example.org", NULL);
	for (int i = 0; i < 30; i++) {
		char *v = g_strdup_printf("value-%d", i);

		append(fx->st, id, NULL, 1000, "handler", NULL, v);
		g_free(v);
	}
	c = get_case(fx->st, id);
	assert_string_equal(store_case_field(c, "handler"), "value-29");
	store_case_free(c);
}

/* The events of one history, and what they fold to. */
static const struct {
	const char *uuid;
	time_t at;
	const char *kind, *field, *value;
} history[] = {
	{"0a000000-0000-4000-8000-000000000001", 100, "state", NULL, "new"},
	{"0b000000-0000-4000-8000-000000000002", 200, "state", NULL, "triaged"},
	{"0c000000-0000-4000-8000-000000000003", 200, "state", NULL, "confirmed"},
	{"0d000000-0000-4000-8000-000000000004", 150, "state", NULL, "fixing"},
	{"1a000000-0000-4000-8000-000000000005", 300, "severity", NULL, "moderate"},
	{"1b000000-0000-4000-8000-000000000006", 400, "severity", NULL, ""},
	{"1c000000-0000-4000-8000-000000000007", 350, "severity", NULL, "critical"},
	{"2a000000-0000-4000-8000-000000000008", 500, "check", "check:blog", "yes"},
	{"2b000000-0000-4000-8000-000000000009", 100, "check", "check:blog", ""},
	{"3a000000-0000-4000-8000-00000000000a", 700, "note", NULL, "a note"},
	{"4a000000-0000-4000-8000-00000000000b", 50, "cve", NULL, "CVE-2026-0001"},
};

static void
fold_history(struct store *st, int64_t id, bool reverse)
{
	size_t n = G_N_ELEMENTS(history);

	for (size_t k = 0; k < n; k++) {
		size_t i = reverse ? n - 1 - k : k;

		append(st, id, history[i].uuid, history[i].at, history[i].kind,
		    history[i].field, history[i].value);
	}
}

static void
check_history_fold(struct store_case *c)
{
	assert_string_equal(store_case_field(c, "state"), "confirmed");
	assert_int_equal(store_case_field_at(c, "state"), 200);
	assert_null(store_case_field(c, "severity"));
	assert_string_equal(store_case_field(c, "check:blog"), "yes");
	assert_string_equal(store_case_field(c, "cve"), "CVE-2026-0001");
	assert_null(store_case_field(c, "note"));
	assert_null(store_case_field(c, "handler"));
	assert_int_equal(store_case_field_at(c, "handler"), 0);
	/* Cleared fields are not listed. */
	assert_int_equal(g_hash_table_size(c->fields), 3);
}

/* Events appended in reverse order (imported from elsewhere) fold to the same state. */
static void
test_fold_arrival_order(void **state)
{
	struct fx *fx = *state;
	char *path2 = g_build_filename(fx->dir, "other", "cases.db", NULL);
	struct store *st2;
	struct store_case *c1, *c2;
	GHashTableIter it;
	gpointer k, v;
	int64_t id1, id2;

	fx_open(fx);
	st2 = open_store(path2);
	id1 = ensure(fx->st, "order@example.org", NULL);
	id2 = ensure(st2, "order@example.org", NULL);
	fold_history(fx->st, id1, false);
	fold_history(st2, id2, true);
	c1 = get_case(fx->st, id1);
	c2 = get_case(st2, id2);
	check_history_fold(c1);
	check_history_fold(c2);
	g_hash_table_iter_init(&it, c1->fields);
	while (g_hash_table_iter_next(&it, &k, &v)) {
		const struct store_field *f1 = v, *f2;

		f2 = g_hash_table_lookup(c2->fields, k);
		assert_non_null(f2);
		assert_string_equal(f1->value, f2->value);
		assert_string_equal(f1->uuid, f2->uuid);
		assert_int_equal(f1->at, f2->at);
	}
	store_case_free(c1);
	store_case_free(c2);
	store_close(st2);
	g_free(path2);
}

/* Clearing wins by (at, uuid) like any value: an older event arriving later cannot resurrect it. */
static void
test_fold_clear(void **state)
{
	struct fx *fx = *state;
	struct store_case *c;
	int64_t id;

	fx_open(fx);
	id = ensure(fx->st, "clear@example.org", NULL);
	append(fx->st, id, NULL, 100, "handler", NULL, "alice");
	append(fx->st, id, NULL, 200, "handler", NULL, "");
	c = get_case(fx->st, id);
	assert_null(store_case_field(c, "handler"));
	store_case_free(c);

	append(fx->st, id, NULL, 150, "handler", NULL, "bob");
	c = get_case(fx->st, id);
	assert_null(store_case_field(c, "handler"));
	store_case_free(c);

	append(fx->st, id, NULL, 300, "handler", NULL, "carol");
	append(fx->st, id, NULL, 400, "handler", NULL, NULL);
	append(fx->st, id, NULL, 350, "handler", NULL, "dave");
	c = get_case(fx->st, id);
	assert_null(store_case_field(c, "handler"));
	store_case_free(c);

	append(fx->st, id, NULL, 500, "handler", NULL, "erin");
	c = get_case(fx->st, id);
	assert_string_equal(store_case_field(c, "handler"), "erin");
	store_case_free(c);
}

static void
test_duplicate_uuid_ignored(void **state)
{
	struct fx *fx = *state;
	struct store_case *c;
	GPtrArray *evs;
	int64_t id;

	fx_open(fx);
	id = ensure(fx->st, "dup@example.org", NULL);
	assert_int_equal(append(fx->st, id, UUID_A, 100, "cve", NULL,
	    "CVE-2026-1111"), 0);
	/* Same uuid again, even upper-cased and with a later time: ignored. */
	assert_int_equal(append(fx->st, id, UUID_A, 900, "cve", NULL,
	    "CVE-2026-2222"), 0);
	assert_int_equal(append(fx->st, id,
	    "AAAAAAAA-0000-4000-8000-000000000001", 900, "cve", NULL,
	    "CVE-2026-3333"), 0);
	c = get_case(fx->st, id);
	assert_string_equal(store_case_field(c, "cve"), "CVE-2026-1111");
	store_case_free(c);
	evs = get_events(fx->st, id);
	assert_int_equal(evs->len, 2); /* created + one cve */
	g_ptr_array_free(evs, TRUE);
}

static int
cas(struct store *st, int64_t id, const char *value, const char *expect,
    char **current, struct error *err)
{
	struct store_event ev = {0};

	ev.case_id = id;
	ev.author = (char *)"bob@example.org";
	ev.at = 1000;
	ev.kind = (char *)"state";
	ev.value = (char *)value;
	ev.prev = (char *)expect;
	return store_append_event(st, &ev, true, expect, current, err);
}

static void
test_cas_success(void **state)
{
	struct fx *fx = *state;
	struct error err = {{0}};
	struct store_case *c;
	char *cur = (char *)"untouched";
	GPtrArray *evs;
	int64_t id;

	fx_open(fx);
	id = ensure(fx->st, "cas@example.org", NULL);
	assert_int_equal(cas(fx->st, id, "new", NULL, &cur, &err), 0);
	/* "" means unset too; an expect that matches lets the change through. */
	assert_int_equal(cas(fx->st, id, "triaged", "new", &cur, &err), 0);
	assert_string_equal(cur, "untouched");
	c = get_case(fx->st, id);
	assert_string_equal(store_case_field(c, "state"), "triaged");
	store_case_free(c);
	evs = get_events(fx->st, id);
	assert_int_equal(evs->len, 3);
	assert_string_equal(((struct store_event *)evs->pdata[2])->prev, "new");
	g_ptr_array_free(evs, TRUE);
}

static void
test_cas_conflict(void **state)
{
	struct fx *fx = *state;
	struct error err = {{0}};
	struct store_case *c;
	char *cur = NULL;
	GPtrArray *evs;
	int64_t id;

	fx_open(fx);
	id = ensure(fx->st, "conflict@example.org", NULL);
	/* Expecting a value on an unset field: conflict, current NULL. */
	cur = (char *)"sentinel";
	assert_int_equal(cas(fx->st, id, "fixing", "new", &cur, &err), 1);
	assert_null(cur);

	assert_int_equal(cas(fx->st, id, "triaged", "", NULL, &err), 0);
	/* Someone else moved it on: the stale writer gets what is there. */
	assert_int_equal(cas(fx->st, id, "confirmed", "new", &cur, &err), 1);
	assert_string_equal(cur, "triaged");
	g_free(cur);
	assert_int_equal(cas(fx->st, id, "confirmed", NULL, NULL, &err), 1);

	c = get_case(fx->st, id);
	assert_string_equal(store_case_field(c, "state"), "triaged");
	store_case_free(c);
	evs = get_events(fx->st, id);
	assert_int_equal(evs->len, 2); /* created + the one that passed */
	g_ptr_array_free(evs, TRUE);
}

/* Writes inside store_begin join the caller's transaction; rollback undoes them all. */
static void
test_transactions(void **state)
{
	struct fx *fx = *state;
	struct error err = {{0}};
	struct store_case *c;
	char *cur = NULL;
	GPtrArray *evs;
	int64_t id;

	fx_open(fx);
	id = ensure(fx->st, "tx@example.org", NULL);

	assert_int_equal(store_begin(fx->st, &err), 0);
	assert_int_equal(cas(fx->st, id, "new", NULL, NULL, &err), 0);
	assert_int_equal(cas(fx->st, id, "triaged", "fixing", &cur, &err), 1);
	assert_string_equal(cur, "new");
	g_free(cur);
	/* The conflict above undid only itself: the transaction goes on. */
	assert_int_equal(append(fx->st, id, NULL, 10, "cve", NULL, "CVE-1"), 0);
	assert_int_equal(store_commit(fx->st, &err), 0);
	c = get_case(fx->st, id);
	assert_string_equal(store_case_field(c, "state"), "new");
	assert_string_equal(store_case_field(c, "cve"), "CVE-1");
	store_case_free(c);

	assert_int_equal(store_begin(fx->st, &err), 0);
	assert_int_equal(cas(fx->st, id, "triaged", "new", NULL, &err), 0);
	assert_int_equal(ensure(fx->st, "tx2@example.org", NULL), id + 1);
	store_rollback(fx->st);
	c = get_case(fx->st, id);
	assert_string_equal(store_case_field(c, "state"), "new");
	store_case_free(c);
	evs = get_events(fx->st, id);
	assert_int_equal(evs->len, 3);
	g_ptr_array_free(evs, TRUE);
	assert_int_equal(store_case_resolve(fx->st, "2", &id, &err), -1);

	assert_int_equal(store_commit(fx->st, &err), -1);
	assert_non_null(strstr(err.msg, "without a transaction"));
}

static void
test_append_only(void **state)
{
	struct fx *fx = *state;
	char *msg = NULL, *v;
	int64_t id;

	fx_open(fx);
	id = ensure(fx->st, "ao@example.org", NULL);
	append(fx->st, id, UUID_A, 100, "state", NULL, "new");

	assert_int_not_equal(raw_exec(fx->path,
	    "UPDATE events SET value = 'forged'", &msg), SQLITE_OK);
	assert_non_null(strstr(msg, "append-only"));
	g_free(msg);
	assert_int_not_equal(raw_exec(fx->path, "DELETE FROM events", &msg),
	    SQLITE_OK);
	assert_non_null(strstr(msg, "append-only"));
	g_free(msg);
	v = raw_text(fx->path, "SELECT value FROM events WHERE uuid = '" UUID_A "'");
	assert_string_equal(v, "new");
	g_free(v);
	v = raw_text(fx->path, "SELECT count(*) FROM events");
	assert_string_equal(v, "2");
	g_free(v);
}

/* A SQLite failure names the store and the operation; append and fold are one transaction. */
static void
test_sqlite_error_names_path(void **state)
{
	struct fx *fx = *state;
	struct store_event ev = {0};
	struct error err = {{0}};
	char *want, *v;
	int64_t id;

	fx_open(fx);
	id = ensure(fx->st, "broken@example.org", NULL);
	assert_int_equal(raw_exec(fx->path, "DROP TABLE fields", NULL), SQLITE_OK);
	ev.case_id = id;
	ev.author = (char *)"alice@example.org";
	ev.at = 10;
	ev.kind = (char *)"state";
	ev.value = (char *)"new";
	assert_int_equal(store_append_event(fx->st, &ev, false, NULL, NULL, &err),
	    -1);
	want = g_strdup_printf("%s: cannot fold event: no such table: fields",
	    fx->path);
	assert_string_equal(err.msg, want);
	g_free(want);
	/* The event went with its failed fold. */
	v = raw_text(fx->path, "SELECT count(*) FROM events");
	assert_string_equal(v, "1");
	g_free(v);
	/* The connection is still usable. */
	ev.uuid[0] = '\0';
	ev.kind = (char *)"note";
	assert_int_equal(store_append_event(fx->st, &ev, false, NULL, NULL, &err),
	    0);
}

static void
expect_bad_event(struct store *st, int64_t id, const char *uuid,
    const char *kind, const char *field, const char *author,
    const char *want)
{
	struct store_event ev = {0};
	struct error err = {{0}};

	if (uuid != NULL)
		g_strlcpy(ev.uuid, uuid, sizeof ev.uuid);
	ev.case_id = id;
	ev.author = (char *)author;
	ev.at = 1;
	ev.kind = (char *)kind;
	ev.field = (char *)field;
	ev.value = (char *)"v";
	assert_int_equal(store_append_event(st, &ev, false, NULL, NULL, &err), -1);
	if (strstr(err.msg, want) == NULL)
		fail_msg("expected \"%s\" in \"%s\"", want, err.msg);
}

static void
test_event_validation(void **state)
{
	struct fx *fx = *state;
	struct error err = {{0}};
	struct store_event ev = {0};
	GPtrArray *evs;
	int64_t id;
	const char *a = "alice@example.org";

	fx_open(fx);
	id = ensure(fx->st, "bad@example.org", NULL);
	expect_bad_event(fx->st, id, NULL, "frobnicate", NULL, a,
	    "unknown kind \"frobnicate\"");
	expect_bad_event(fx->st, id, NULL, NULL, NULL, a, "unknown kind");
	expect_bad_event(fx->st, id, NULL, "check", NULL, a, "check:<item>");
	expect_bad_event(fx->st, id, NULL, "check", "check:", a, "check:<item>");
	expect_bad_event(fx->st, id, NULL, "check", "blog", a, "check:<item>");
	expect_bad_event(fx->st, id, NULL, "state", "severity", a,
	    "sets the field \"state\", not \"severity\"");
	expect_bad_event(fx->st, id, NULL, "note", "note", a, "sets no field");
	expect_bad_event(fx->st, id, "not-a-uuid", "state", NULL, a, "bad uuid");
	expect_bad_event(fx->st, id, "gggggggg-0000-4000-8000-000000000001",
	    "state", NULL, a, "bad uuid");
	expect_bad_event(fx->st, id, NULL, "state", NULL, NULL, "no author");
	expect_bad_event(fx->st, 4242, NULL, "state", NULL, a, "no case 4242");

	ev.case_id = id;
	ev.author = (char *)a;
	ev.kind = (char *)"note";
	ev.value = (char *)"x";
	assert_int_equal(store_append_event(fx->st, &ev, true, NULL, NULL, &err),
	    -1);
	assert_non_null(strstr(err.msg, "no field to compare"));
	assert_non_null(strstr(err.msg, fx->path));

	/* Nothing of the above was written. */
	evs = get_events(fx->st, id);
	assert_int_equal(evs->len, 1);
	g_ptr_array_free(evs, TRUE);
}

/* store_events: fold order, with the field derived from the kind. */
static void
test_events_order_and_fields(void **state)
{
	struct fx *fx = *state;
	struct store_event *ev;
	struct store_case *c;
	GPtrArray *evs;
	int64_t id;

	fx_open(fx);
	id = ensure(fx->st, "evs@example.org", NULL);
	append(fx->st, id, UUID_C, 3000, "state", NULL, "fixing");
	append(fx->st, id, UUID_B, 2000, "note", NULL, "called the reporter");
	append(fx->st, id, UUID_D, 2000, "check", "check:blog", "yes");
	append(fx->st, id, UUID_A, 2000, "reply-sent", NULL, "<r1@example.org>");

	evs = get_events(fx->st, id);
	assert_int_equal(evs->len, 5);
	assert_string_equal(((struct store_event *)evs->pdata[0])->kind, "created");
	ev = evs->pdata[1];
	assert_string_equal(ev->uuid, UUID_A);
	assert_string_equal(ev->kind, "reply-sent");
	assert_null(ev->field);
	ev = evs->pdata[2];
	assert_string_equal(ev->uuid, UUID_B);
	assert_null(ev->field);
	assert_string_equal(ev->value, "called the reporter");
	ev = evs->pdata[3];
	assert_string_equal(ev->uuid, UUID_D);
	assert_string_equal(ev->field, "check:blog");
	ev = evs->pdata[4];
	assert_string_equal(ev->uuid, UUID_C);
	assert_string_equal(ev->field, "state");
	assert_string_equal(ev->author, "alice@example.org");
	assert_int_equal(ev->at, 3000);
	assert_int_equal(ev->case_id, id);
	g_ptr_array_free(evs, TRUE);

	c = get_case(fx->st, id);
	assert_string_equal(store_case_field(c, "check:blog"), "yes");
	assert_string_equal(store_case_field(c, "state"), "fixing");
	assert_null(store_case_field(c, "reply-sent"));
	assert_null(store_case_field(c, "note"));
	store_case_free(c);

	/* A generated uuid is handed back, lower-case v7. */
	{
		struct store_event e = {0};
		struct error err = {{0}};

		e.case_id = id;
		e.author = (char *)"x";
		e.at = 1;
		e.kind = (char *)"cve";
		e.value = (char *)"CVE-2";
		assert_int_equal(store_append_event(fx->st, &e, false, NULL, NULL,
		    &err), 0);
		assert_int_equal(strlen(e.uuid), 36);
		assert_int_equal(e.uuid[14], '7');
		assert_int_equal(strspn(e.uuid, "0123456789abcdef-"), 36);
	}
}

static void
fill_facts(struct mail_facts *f, int salt)
{
	f->thread = g_strdup_printf("thread-%d", salt);
	f->report_msgid = g_strdup_printf("report-%d@example.org", salt);
	f->subject = g_strdup_printf("Heap overflow in parser %d", salt);
	f->reporter_name = g_strdup_printf("Mallory %d", salt);
	f->reporter_addr = g_strdup_printf("mallory%d@example.net", salt);
	f->reply_to = g_strdup_printf("replies%d@example.net", salt);
	f->report_at = 1700000001 + salt;
	f->first_team_reply_at = 1700000002 + salt;
	f->second_team_reply_at = 1700000003 + salt;
	f->last_team_to_reporter_at = 1700000004 + salt;
	f->last_reporter_at = 1700000005 + salt;
	f->last_message_at = 1700000006 + salt;
	f->message_count = 7 + salt;
	f->encrypted = salt % 2 == 0;
	f->reporter_encrypted = salt % 2 == 1;
	f->distros_mail_at = 1700000008 + salt;
	f->oss_mail_at = 1700000009 + salt;
	f->has_reporter = salt % 3 != 0;
	f->team_to_reporter = 10 + salt;
}

/* Strings that may both be NULL. */
static void
assert_str0(const char *a, const char *b)
{
	if (g_strcmp0(a, b) != 0)
		fail_msg("\"%s\" != \"%s\"", a != NULL ? a : "(null)",
		    b != NULL ? b : "(null)");
}

static void
assert_facts_equal(const struct mail_facts *a, const struct mail_facts *b)
{
	assert_str0(a->thread, b->thread);
	assert_str0(a->report_msgid, b->report_msgid);
	assert_str0(a->subject, b->subject);
	assert_str0(a->reporter_name, b->reporter_name);
	assert_str0(a->reporter_addr, b->reporter_addr);
	assert_str0(a->reply_to, b->reply_to);
	assert_int_equal(a->report_at, b->report_at);
	assert_int_equal(a->first_team_reply_at, b->first_team_reply_at);
	assert_int_equal(a->second_team_reply_at, b->second_team_reply_at);
	assert_int_equal(a->last_team_to_reporter_at, b->last_team_to_reporter_at);
	assert_int_equal(a->last_reporter_at, b->last_reporter_at);
	assert_int_equal(a->last_message_at, b->last_message_at);
	assert_int_equal(a->has_reporter, b->has_reporter);
	assert_int_equal(a->team_to_reporter, b->team_to_reporter);
	assert_int_equal(a->message_count, b->message_count);
	assert_int_equal(a->encrypted, b->encrypted);
	assert_int_equal(a->reporter_encrypted, b->reporter_encrypted);
	assert_int_equal(a->distros_mail_at, b->distros_mail_at);
	assert_int_equal(a->oss_mail_at, b->oss_mail_at);
}

static void
test_facts_roundtrip(void **state)
{
	struct fx *fx = *state;
	struct error err = {{0}};
	struct mail_facts f = {0}, g = {0};
	struct store_case *c;
	int64_t id;

	fx_open(fx);
	id = ensure(fx->st, "facts@example.org", NULL);
	c = get_case(fx->st, id);
	assert_false(c->has_facts);
	store_case_free(c);

	fill_facts(&f, 1);
	assert_int_equal(store_facts_put(fx->st, id, &f, &err), 0);
	c = get_case(fx->st, id);
	assert_true(c->has_facts);
	assert_facts_equal(&c->facts, &f);
	store_case_free(c);

	/* Put again: every column replaced, NULL strings included. */
	fill_facts(&g, 2);
	g_clear_pointer(&g.reply_to, g_free);
	g.distros_mail_at = 0;
	assert_int_equal(store_facts_put(fx->st, id, &g, &err), 0);
	c = get_case(fx->st, id);
	assert_facts_equal(&c->facts, &g);
	assert_null(c->facts.reply_to);
	store_case_free(c);

	assert_int_equal(store_facts_delete(fx->st, id, &err), 0);
	c = get_case(fx->st, id);
	assert_false(c->has_facts);
	assert_null(c->facts.subject);
	assert_int_equal(c->facts.message_count, 0);
	store_case_free(c);

	assert_int_equal(store_facts_put(fx->st, 999, &f, &err), -1);
	assert_non_null(strstr(err.msg, "no case 999"));
	mail_facts_clear(&f);
	mail_facts_clear(&g);
}

static void
test_case_list(void **state)
{
	struct fx *fx = *state;
	struct error err = {{0}};
	struct mail_facts f = {0};
	struct store_case *c;
	GPtrArray *all = NULL;

	fx_open(fx);
	assert_int_equal(store_case_list(fx->st, &all, &err), 0);
	assert_int_equal(all->len, 0);
	g_ptr_array_free(all, TRUE);

	for (int i = 0; i < 50; i++) {
		char *m = g_strdup_printf("list-%d@example.org", i);
		char *h = g_strdup_printf("handler%d", i);
		int64_t id = ensure(fx->st, m, NULL);

		append(fx->st, id, NULL, 100 + i, "handler", NULL, h);
		if (i % 3 == 0) {
			fill_facts(&f, i);
			assert_int_equal(store_facts_put(fx->st, id, &f, &err), 0);
			mail_facts_clear(&f);
		}
		g_free(m);
		g_free(h);
	}
	assert_int_equal(store_case_list(fx->st, &all, &err), 0);
	assert_int_equal(all->len, 50);
	for (int i = 0; i < 50; i++) {
		char *m = g_strdup_printf("list-%d@example.org", i);
		char *h = g_strdup_printf("handler%d", i);

		c = all->pdata[i];
		assert_int_equal(c->id, i + 1);
		assert_string_equal(c->msgid, m);
		assert_string_equal(store_case_field(c, "handler"), h);
		assert_int_equal(store_case_field_at(c, "handler"), 100 + i);
		assert_int_equal(c->has_facts, i % 3 == 0);
		if (i % 3 == 0) {
			fill_facts(&f, i);
			assert_facts_equal(&c->facts, &f);
			mail_facts_clear(&f);
		}
		g_free(m);
		g_free(h);
	}
	g_ptr_array_free(all, TRUE);
}

static void
test_meta(void **state)
{
	struct fx *fx = *state;
	struct error err = {{0}};
	char *v = (char *)"sentinel";

	fx_open(fx);
	assert_int_equal(store_meta_get(fx->st, "notmuch-revision", &v, &err), 0);
	assert_null(v);
	assert_int_equal(store_meta_set(fx->st, "notmuch-revision", "17", &err), 0);
	assert_int_equal(store_meta_set(fx->st, "uuid", "x'; DROP TABLE meta; --",
	    &err), 0);
	assert_int_equal(store_meta_get(fx->st, "notmuch-revision", &v, &err), 0);
	assert_string_equal(v, "17");
	g_free(v);
	assert_int_equal(store_meta_set(fx->st, "notmuch-revision", "18", &err), 0);
	assert_int_equal(store_meta_get(fx->st, "notmuch-revision", &v, &err), 0);
	assert_string_equal(v, "18");
	g_free(v);
	assert_int_equal(store_meta_get(fx->st, "uuid", &v, &err), 0);
	assert_string_equal(v, "x'; DROP TABLE meta; --");
	g_free(v);
	assert_int_equal(store_meta_set(fx->st, "notmuch-revision", NULL, &err), 0);
	assert_int_equal(store_meta_get(fx->st, "notmuch-revision", &v, &err), 0);
	assert_null(v);
}

static void
test_data_version(void **state)
{
	struct fx *fx = *state;
	struct error err = {{0}};
	struct store *other;
	int64_t v1, v2, v3;
	int64_t id;

	fx_open(fx);
	other = open_store(fx->path);
	id = ensure(fx->st, "dv@example.org", NULL);
	assert_int_equal(store_data_version(fx->st, &v1, &err), 0);
	append(other, id, NULL, 10, "state", NULL, "new");
	assert_int_equal(store_data_version(fx->st, &v2, &err), 0);
	assert_true(v2 != v1);
	/* Its own commits do not change it: only other connections' do. */
	append(fx->st, id, NULL, 20, "state", NULL, "triaged");
	assert_int_equal(store_data_version(fx->st, &v3, &err), 0);
	assert_true(v3 == v2);
	store_close(other);
}

static void
write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			_exit(3);
		p += n;
		len -= (size_t)n;
	}
}

static char
read_byte(int fd)
{
	char c = 0;
	ssize_t n;

	while ((n = read(fd, &c, 1)) < 0 && errno == EINTR)
		;
	assert_int_equal(n, 1);
	return c;
}

/* Child of test_concurrent_writer: waits for "go", then appends while the parent holds the lock. */
static void
concurrent_child(const char *path, int go, int back)
{
	struct store *st = NULL;
	struct store_event ev = {0};
	struct error err = {{0}};
	char c;

	if (read(go, &c, 1) != 1)
		_exit(4);
	if (store_open(path, &st, &err) != 0) {
		fprintf(stderr, "child: %s\n", err.msg);
		_exit(5);
	}
	write_all(back, "w", 1);
	g_strlcpy(ev.uuid, UUID_B, sizeof ev.uuid);
	ev.case_id = 1;
	ev.author = (char *)"child";
	ev.at = 2000;
	ev.kind = (char *)"state";
	ev.value = (char *)"from-child";
	if (store_append_event(st, &ev, false, NULL, NULL, &err) != 0) {
		fprintf(stderr, "child: %s\n", err.msg);
		_exit(6);
	}
	store_close(st);
	_exit(0);
}

/*
 * Two connections: the parent holds a write transaction, the child's append
 * waits on the busy handler and succeeds once the parent commits.  Fork
 * happens with no connection open (SQLite connections must not cross fork).
 */
static void
test_concurrent_writer(void **state)
{
	struct fx *fx = *state;
	struct error err = {{0}};
	struct store_case *c;
	int go[2], back[2], status;
	char *seq_p, *seq_c;
	pid_t pid;

	fx_open(fx);
	ensure(fx->st, "conc@example.org", NULL);
	store_close(fx->st);
	fx->st = NULL;

	assert_int_equal(pipe(go), 0);
	assert_int_equal(pipe(back), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(go[1]);
		close(back[0]);
		concurrent_child(fx->path, go[0], back[1]);
	}
	close(go[0]);
	close(back[1]);

	fx_open(fx);
	assert_int_equal(store_begin(fx->st, &err), 0);
	append(fx->st, 1, UUID_A, 1000, "state", NULL, "from-parent");
	write_all(go[1], "g", 1);
	assert_int_equal(read_byte(back[0]), 'w');
	/* Let the child reach the lock; it cannot finish while we hold it. */
	g_usleep(300 * 1000);
	assert_int_equal(waitpid(pid, &status, WNOHANG), 0);
	assert_int_equal(store_commit(fx->st, &err), 0);

	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	close(go[1]);
	close(back[0]);

	c = get_case(fx->st, 1);
	assert_string_equal(store_case_field(c, "state"), "from-child");
	store_case_free(c);
	/* Serialised: the child's event was written after the parent's. */
	seq_p = raw_text(fx->path, "SELECT seq FROM events WHERE uuid = '" UUID_A "'");
	seq_c = raw_text(fx->path, "SELECT seq FROM events WHERE uuid = '" UUID_B "'");
	assert_non_null(seq_p);
	assert_non_null(seq_c);
	assert_true(atoll(seq_c) > atoll(seq_p));
	g_free(seq_p);
	g_free(seq_c);
}

/* Child of test_sigkill: appends until killed, reporting each uuid only after it is committed. */
static void
writer_child(const char *path, int out)
{
	struct store *st = NULL;
	struct error err = {{0}};
	char line[40];

	if (store_open(path, &st, &err) != 0)
		_exit(5);
	for (int i = 0; i < 10000000; i++) {
		/* Every fourth round, a batch of five in one transaction. */
		int batch = i % 4 == 0 ? 5 : 1;
		char uuids[5][37];

		if (batch > 1 && store_begin(st, &err) != 0)
			_exit(6);
		for (int k = 0; k < batch; k++) {
			struct store_event ev = {0};
			char value[32];

			snprintf(value, sizeof value, "v%d-%d", i, k);
			ev.case_id = 1;
			ev.author = (char *)"writer";
			ev.at = 10 + i * 5 + k;
			ev.kind = (char *)"handler";
			ev.value = value;
			if (store_append_event(st, &ev, false, NULL, NULL,
				&err) != 0)
				_exit(7);
			memcpy(uuids[k], ev.uuid, 37);
		}
		if (batch > 1 && store_commit(st, &err) != 0)
			_exit(8);
		for (int k = 0; k < batch; k++) {
			memcpy(line, uuids[k], 36);
			line[36] = '\n';
			write_all(out, line, 37);
		}
	}
	_exit(0);
}

static void
test_sigkill_mid_write(void **state)
{
	struct fx *fx = *state;
	GHashTable *reported;
	struct store_case *c;
	struct store_event *last = NULL;
	const struct store_field *f;
	GPtrArray *evs;
	char line[64], *ok;
	int fds[2], status;
	FILE *in;
	pid_t pid;
	guint n = 0;

	fx_open(fx);
	ensure(fx->st, "kill@example.org", NULL);
	store_close(fx->st);
	fx->st = NULL;

	assert_int_equal(pipe(fds), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(fds[0]);
		writer_child(fx->path, fds[1]);
	}
	close(fds[1]);
	in = fdopen(fds[0], "r");
	assert_non_null(in);
	reported = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	while (n < 400 && fgets(line, sizeof line, in) != NULL) {
		g_strchomp(line);
		g_hash_table_add(reported, g_strdup(line));
		n++;
	}
	assert_int_equal(n, 400);
	assert_int_equal(kill(pid, SIGKILL), 0);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), SIGKILL);
	/* What it wrote before dying was committed too. */
	while (fgets(line, sizeof line, in) != NULL) {
		g_strchomp(line);
		assert_int_equal(strlen(line), 36);
		g_hash_table_add(reported, g_strdup(line));
	}
	fclose(in);

	ok = raw_text(fx->path, "PRAGMA integrity_check");
	assert_string_equal(ok, "ok");
	g_free(ok);

	fx_open(fx);
	evs = get_events(fx->st, 1);
	assert_true(evs->len >= g_hash_table_size(reported) + 1);
	for (guint i = 0; i < evs->len; i++) {
		struct store_event *ev = evs->pdata[i];

		g_hash_table_remove(reported, ev->uuid);
		if (ev->field != NULL)
			last = ev;
	}
	assert_int_equal(g_hash_table_size(reported), 0);
	/* The materialised fold agrees with the log: they commit together. */
	if (last == NULL)
		fail_msg("no field event survived");
	else {
		c = get_case(fx->st, 1);
		f = g_hash_table_lookup(c->fields, "handler");
		assert_non_null(f);
		assert_string_equal(f->value, last->value);
		assert_string_equal(f->uuid, last->uuid);
		store_case_free(c);
	}
	g_ptr_array_free(evs, TRUE);
	g_hash_table_destroy(reported);
}

int
main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_create_from_nothing),
		T(test_reopen_keeps_data),
		T(test_migrate_from_version0),
		T(test_migrate_from_version2),
		T(test_migrate_from_version3),
		T(test_msgfile_cache),
		T(test_migrate_failure_rolls_back),
		T(test_refuse_newer),
		T(test_open_errors),
		T(test_ensure_idempotent),
		T(test_ids_small_stable),
		T(test_ensure_updates_thread),
		T(test_ref_derivation),
		T(test_ref_collision),
		T(test_resolve),
		T(test_resolve_digit_ref),
		T(test_uuid_new),
		T(test_fold_same_time_by_uuid),
		T(test_fold_arrival_order),
		T(test_fold_clear),
		T(test_duplicate_uuid_ignored),
		T(test_cas_success),
		T(test_cas_conflict),
		T(test_transactions),
		T(test_append_only),
		T(test_sqlite_error_names_path),
		T(test_event_validation),
		T(test_events_order_and_fields),
		T(test_facts_roundtrip),
		T(test_case_list),
		T(test_meta),
		T(test_data_version),
		T(test_concurrent_writer),
		T(test_sigkill_mid_write),
	};
#undef T
	return cmocka_run_group_tests(tests, NULL, NULL);
}
