/* tools/bench/gen.c: a seeded generator of synthetic maildirs for `make bench`. */
#include "build-config.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

/*
 * Bump when the output for a given seed and count changes: the benchmark
 * keys its cache of corpora on it.
 */
#define GEN_VERSION 1

/* Three years of mail, ending at the benchmark's pinned clock. */
#define T_END 1795348800L   /* 2026-11-22T12:00:00Z */
#define T_START 1700654400L /* 2023-11-22T12:00:00Z */

#define MAX_POOL 256
#define SPECIAL_LEN 40
#define SPECIAL_ENC 5

/* splitmix64: tiny, fast, and the same sequence on every machine. */
static uint64_t rng_state;

static uint64_t
rng_next(void)
{
	uint64_t z = (rng_state += 0x9E3779B97F4A7C15ULL);

	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
	return z ^ (z >> 31);
}

/* Uniform in [0, n). */
static uint64_t
rng_below(uint64_t n)
{
	return n == 0 ? 0 : rng_next() % n;
}

/* Uniform in [0, 1). */
static double
rng_unit(void)
{
	return (double)(rng_next() >> 11) / 9007199254740992.0;
}

#define PICK(a) ((a)[rng_below(sizeof(a) / sizeof((a)[0]))])

static const char *const words[] = {
	"the", "a", "buffer", "parser", "request", "header", "length", "value",
	"when", "if", "is", "not", "we", "it", "this", "that", "with", "from",
	"release", "patch", "fix", "version", "upstream", "branch", "commit",
	"test", "reproducer", "crash", "overflow", "pointer", "memory", "input",
	"handler", "function", "returns", "checks", "missing", "bound", "size",
	"attacker", "remote", "local", "user", "session", "token", "cookie",
	"server", "client", "config", "file", "path", "directory", "upload",
	"backport", "maintainers", "schedule", "embargo", "disclosure", "CVE",
	"severity", "impact", "affected", "versions", "builds", "tree", "and",
	"or", "but", "so", "also", "then", "only", "every", "some", "after",
	"before", "works", "fails", "again", "still", "now", "later", "today",
	"thanks", "please", "could", "would", "should", "might", "will", "can",
	"review", "looks", "good", "agree", "think", "see", "found", "sent",
	"list", "thread", "question", "answer", "docs", "build", "package",
	"distro", "debian", "fedora", "arch", "windows", "macos", "linux",
	"kernel", "library", "api", "abi", "struct", "field", "integer", "signed",
	"unsigned", "cast", "loop", "off-by-one", "heap", "stack", "free",
	"double", "race", "lock", "thread-safe", "timeout", "retry", "socket",
};

static const char *const firsts[] = {
	"Ana", "Bruno", "Chen", "Dana", "Emil", "Farah", "Goran", "Hana", "Ivan",
	"Jun", "Kofi", "Lena", "Mateo", "Nadia", "Omar", "Priya", "Quinn", "Rosa",
	"Sven", "Tariq", "Uma", "Viktor", "Wen", "Ximena", "Yusuf", "Zoe",
	"Aiko", "Bilal", "Carmen", "Dmitri",
};

static const char *const lasts[] = {
	"Abara", "Berg", "Costa", "Dubois", "Eriksen", "Fischer", "Garcia",
	"Haddad", "Ito", "Jansen", "Kowalski", "Lopez", "Moreau", "Novak",
	"Okafor", "Petrov", "Quispe", "Rossi", "Sato", "Tanaka", "Ueda",
	"Vargas", "Weber", "Xu", "Yilmaz", "Zhang",
};

static const char *const domains[] = {
	"mail.test", "research.test", "uni-example.test", "bughunt.test",
	"corp.test", "infosec.test", "fastmail.test", "proton.test",
	"lab.test", "consulting.test",
};

static const char *const vulns[] = {
	"Heap overflow", "Use after free", "SQL injection", "Path traversal",
	"Auth bypass", "Stored XSS", "Integer overflow", "Race condition",
	"Denial of service", "Information leak", "Double free",
	"Command injection", "Open redirect", "CSRF", "Timing side channel",
};

static const char *const components[] = {
	"config parser", "login form", "upload handler", "HTTP/2 framing",
	"TLS handshake", "image decoder", "template engine", "session cache",
	"admin API", "search endpoint", "archive extractor", "password reset",
	"websocket layer", "plugin loader", "CLI argument parsing",
};

static const char *const lists[] = {
	"dev@lists.example.org", "users@lists.example.org",
	"announce@lists.example.org", "commits@lists.example.org",
};

static const char *const list_topics[] = {
	"Release planning", "Build failure on", "Proposal: drop support for",
	"Question about", "Patch: fix typo in", "CI flakiness in",
	"Performance regression in", "Docs update for", "RFC: new API for",
	"Meeting notes:",
};

static const char *const team[] = {
	"Alice Handler <alice@example.org>",
	"Bob Handler <bob@example.org>",
	"Example Security Team <security@example.org>",
};

#define TEAM_ADDR "security@example.org"

struct opts {
	uint64_t seed;
	long count;
	long extra;
	const char *out;
	const char *extra_out;
	const char *pool;
};

/* The ciphertexts messages reuse: PGP/MIME-ready armoured blocks. */
static char *pool[MAX_POOL];
static int pool_n;

/* What the extra messages need of each security thread. */
struct sthread {
	char *subject;
	char *reporter;
	char *last_id;
	char *first_id;
	time_t last;
};

static struct sthread *sthreads;
static size_t sthreads_n, sthreads_cap;

static struct {
	long messages, security, list, sec_threads, list_threads, encrypted;
	char *plain40, *enc40;
} stats;

static long file_seq;

static void
die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "gen: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static char *
xstrdup(const char *s)
{
	char *d = strdup(s);

	if (d == NULL)
		die("out of memory");
	return d;
}

static char *
xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		die("out of memory");
	va_end(ap);
	return s;
}

static void
mkdir_p(const char *path)
{
	char *p = xstrdup(path);

	for (char *s = p + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(p, 0700) != 0 && errno != EEXIST)
			die("%s: cannot create: %s", p, strerror(errno));
		*s = '/';
	}
	if (mkdir(p, 0700) != 0 && errno != EEXIST)
		die("%s: cannot create: %s", p, strerror(errno));
	free(p);
}

static void
maildir_make(const char *root, const char *folder)
{
	static const char *const sub[] = { "cur", "new", "tmp" };

	for (size_t i = 0; i < 3; i++) {
		char *d = xasprintf("%s/%s/%s", root, folder, sub[i]);

		mkdir_p(d);
		free(d);
	}
}

static char *
read_file(const char *path)
{
	FILE *fp = fopen(path, "r");
	char *buf;
	long n;

	if (fp == NULL)
		return NULL;
	if (fseek(fp, 0, SEEK_END) != 0 || (n = ftell(fp)) < 0 ||
	    fseek(fp, 0, SEEK_SET) != 0)
		die("%s: cannot read: %s", path, strerror(errno));
	buf = malloc((size_t)n + 1);
	if (buf == NULL)
		die("out of memory");
	if (fread(buf, 1, (size_t)n, fp) != (size_t)n)
		die("%s: short read", path);
	buf[n] = '\0';
	fclose(fp);
	return buf;
}

/* Loads POOL/enc-0.asc, enc-1.asc, ... until one is missing. */
static void
pool_load(const char *dir)
{
	for (pool_n = 0; pool_n < MAX_POOL; pool_n++) {
		char *path = xasprintf("%s/enc-%d.asc", dir, pool_n);

		pool[pool_n] = read_file(path);
		free(path);
		if (pool[pool_n] == NULL)
			break;
		if (strstr(pool[pool_n], "-----BEGIN PGP MESSAGE-----") == NULL)
			die("%s/enc-%d.asc: not an armoured OpenPGP message", dir,
			    pool_n);
	}
	if (pool_n == 0)
		die("%s: no ciphertexts (enc-0.asc, enc-1.asc, ...); the "
		    "benchmark makes them with gpg", dir);
}

/* RFC 5322 date, always in English and UTC whatever the locale. */
static void
fmt_date(char *buf, size_t len, time_t t)
{
	static const char *const wd[] = { "Sun", "Mon", "Tue", "Wed", "Thu",
		"Fri", "Sat" };
	static const char *const mon[] = { "Jan", "Feb", "Mar", "Apr", "May",
		"Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	struct tm tm;

	gmtime_r(&t, &tm);
	snprintf(buf, len, "%s, %02d %s %04d %02d:%02d:%02d +0000",
	    wd[tm.tm_wday], tm.tm_mday, mon[tm.tm_mon], tm.tm_year + 1900,
	    tm.tm_hour, tm.tm_min, tm.tm_sec);
}

static char *
person_new(void)
{
	const char *f = PICK(firsts), *l = PICK(lasts), *d = PICK(domains);
	char addr[128];
	size_t i;

	snprintf(addr, sizeof addr, "%s.%s%u@%s", f, l,
	    (unsigned)rng_below(100), d);
	for (i = 0; addr[i]; i++)
		if (addr[i] >= 'A' && addr[i] <= 'Z')
			addr[i] = (char)(addr[i] - 'A' + 'a');
	return xasprintf("%s %s <%s>", f, l, addr);
}

/* Paragraphs of words, LINES lines of about 70 columns. */
static void
body_words(FILE *fp, int lines, const char *prefix)
{
	for (int i = 0; i < lines; i++) {
		int col = 0;

		fputs(prefix, fp);
		while (col < 64) {
			const char *w = PICK(words);

			col += fprintf(fp, col ? " %s" : "%s", w);
		}
		fputc('\n', fp);
		if (rng_below(6) == 0 && i + 1 < lines)
			fprintf(fp, "%s\n", *prefix ? ">" : "");
	}
}

struct msg {
	const char *from, *to, *cc, *subject, *msgid, *irt, *refs, *list_id;
	time_t date;
	int enc;     /* pool index, or -1 for plaintext */
	int lines;   /* body lines */
	int quoted;  /* quoted lines */
};

static void
msg_write(FILE *fp, const struct msg *m)
{
	char date[64];

	fmt_date(date, sizeof date, m->date);
	fprintf(fp, "From: %s\nTo: %s\n", m->from, m->to);
	if (m->cc)
		fprintf(fp, "Cc: %s\n", m->cc);
	fprintf(fp, "Subject: %s\nDate: %s\nMessage-ID: <%s>\n", m->subject,
	    date, m->msgid);
	if (m->irt)
		fprintf(fp, "In-Reply-To: <%s>\nReferences: %s\n", m->irt,
		    m->refs);
	if (m->list_id)
		fprintf(fp, "List-Id: <%s>\nPrecedence: list\n", m->list_id);
	fprintf(fp, "MIME-Version: 1.0\n");
	if (m->enc >= 0) {
		fprintf(fp,
		    "Content-Type: multipart/encrypted; protocol=\"application/pgp-encrypted\";\n"
		    " boundary=\"=-bench-enc\"\n\n"
		    "This is an OpenPGP/MIME encrypted message (RFC 4880 and 3156)\n"
		    "--=-bench-enc\n"
		    "Content-Type: application/pgp-encrypted\n"
		    "Content-Description: PGP/MIME version identification\n\n"
		    "Version: 1\n\n"
		    "--=-bench-enc\n"
		    "Content-Type: application/octet-stream; name=\"encrypted.asc\"\n"
		    "Content-Description: OpenPGP encrypted message\n"
		    "Content-Disposition: inline; filename=\"encrypted.asc\"\n\n"
		    "%s\n--=-bench-enc--\n", pool[m->enc]);
		return;
	}
	fprintf(fp, "Content-Type: text/plain; charset=utf-8\n"
	    "Content-Transfer-Encoding: 8bit\n\n");
	if (m->irt)
		fprintf(fp, "On %s, someone wrote:\n", date);
	if (m->quoted)
		body_words(fp, m->quoted, "> ");
	fputc('\n', fp);
	body_words(fp, m->lines, "");
	fprintf(fp, "\n-- \nsent by the embargo benchmark generator\n");
}

/* Writes M into ROOT/FOLDER/cur (as mail already seen) or into DIR as a plain file. */
static void
deliver(const char *root, const char *folder, const struct msg *m)
{
	char *path, *tmp;
	FILE *fp;

	file_seq++;
	if (folder != NULL) {
		tmp = xasprintf("%s/%s/tmp/%ld.B%ld.bench", root, folder,
		    (long)m->date, file_seq);
		path = xasprintf("%s/%s/cur/%ld.B%ld.bench:2,S", root, folder,
		    (long)m->date, file_seq);
	} else {
		tmp = xasprintf("%s/.%ld.B%ld.bench", root, (long)m->date,
		    file_seq);
		path = xasprintf("%s/%ld.B%ld.bench", root, (long)m->date,
		    file_seq);
	}
	if ((fp = fopen(tmp, "w")) == NULL)
		die("%s: cannot create: %s", tmp, strerror(errno));
	msg_write(fp, m);
	if (ferror(fp) || fclose(fp) != 0)
		die("%s: cannot write: %s", tmp, strerror(errno));
	if (rename(tmp, path) != 0)
		die("%s: cannot rename: %s", path, strerror(errno));
	free(tmp);
	free(path);
}

/* References: the first id and the last few, as mail clients trim them. */
static char *
refs_append(const char *refs, const char *first, const char *id)
{
	const char *p = refs;
	int n = 0;

	if (refs == NULL)
		return xasprintf("<%s>", id);
	for (const char *s = refs; *s; s++)
		if (*s == '<')
			n++;
	if (n >= 10) {
		/* Drop the second reference, keep the root. */
		p = strchr(refs + 1, '<');
		p = p ? strchr(p + 1, '<') : NULL;
		if (p != NULL)
			return xasprintf("<%s> %s <%s>", first, p, id);
	}
	return xasprintf("%s <%s>", refs, id);
}

static time_t
gap_after(time_t t)
{
	/* Mostly hours, sometimes days: u^3 skews toward short gaps. */
	double u = rng_unit();

	t += 600 + (time_t)(u * u * u * 5 * 86400);
	return t > T_END ? T_END : t;
}

/*
 * One security thread of N messages starting at T: reporter to the team,
 * replies alternating between a handler (Cc the team) and the reporter.
 * ENC_EVERY < 0: each message encrypted with 5% chance; otherwise forced
 * (ENC_MASK bit i set: message i encrypted).
 */
static void
security_thread(const char *root, int n, time_t t, bool random_enc,
    uint64_t enc_mask, char **first_out)
{
	long tno = stats.sec_threads++;
	char *reporter = person_new();
	char *subject = xasprintf("BUG-%05ld: %s in the %s", tno,
	    PICK(vulns), PICK(components));
	char *resubj = xasprintf("Re: %s", subject);
	char *refs = NULL, *prev = NULL, *first = NULL;

	for (int i = 0; i < n; i++) {
		struct msg m = { 0 };
		char *id = xasprintf("s%ld.%d.%" PRIu64 "@bench.example.org",
		    tno, i, (uint64_t)GEN_VERSION);
		bool team_turn = i % 2 == 1;

		m.msgid = id;
		m.date = t;
		m.subject = i == 0 ? subject : resubj;
		if (team_turn) {
			m.from = PICK(team);
			m.to = reporter;
			m.cc = TEAM_ADDR;
		} else {
			m.from = reporter;
			m.to = TEAM_ADDR;
		}
		m.irt = prev;
		m.refs = refs;
		m.lines = i == 0 ? 12 + (int)rng_below(30) : 3 + (int)rng_below(12);
		m.quoted = i == 0 ? 0 : 2 + (int)rng_below(6);
		m.enc = -1;
		if (random_enc ? rng_below(20) == 0 : (enc_mask >> i) & 1)
			m.enc = (int)rng_below((uint64_t)pool_n);
		if (m.enc >= 0)
			stats.encrypted++;
		deliver(root, "INBOX", &m);
		stats.messages++;
		stats.security++;

		char *nrefs = refs_append(refs, first ? first : id, id);
		free(refs);
		refs = nrefs;
		if (first == NULL)
			first = xasprintf("%s", id);
		free(prev);
		prev = id;
		t = gap_after(t);
	}
	if (sthreads_n == sthreads_cap) {
		sthreads_cap = sthreads_cap ? 2 * sthreads_cap : 1024;
		sthreads = realloc(sthreads, sthreads_cap * sizeof *sthreads);
		if (sthreads == NULL)
			die("out of memory");
	}
	sthreads[sthreads_n++] = (struct sthread){
		.subject = subject, .reporter = reporter, .last_id = prev,
		.first_id = first, .last = t,
	};
	if (first_out)
		*first_out = xstrdup(first);
	free(resubj);
	free(refs);
}

static void
list_thread(const char *root, int n, time_t t)
{
	long tno = stats.list_threads++;
	const char *list = PICK(lists);
	char *subject = xasprintf("[%.*s] %s the %s", (int)strcspn(list, "@"),
	    list, PICK(list_topics), PICK(components));
	char *resubj = xasprintf("Re: %s", subject);
	char *listid = xasprintf("%.*s.lists.example.org",
	    (int)strcspn(list, "@"), list);
	char *refs = NULL, *prev = NULL, *first = NULL;

	for (int i = 0; i < n; i++) {
		struct msg m = { 0 };
		char *from = person_new();
		char *id = xasprintf("l%ld.%d.%" PRIu64 "@bench.example.org",
		    tno, i, (uint64_t)GEN_VERSION);

		m.msgid = id;
		m.date = t;
		m.from = from;
		m.to = list;
		m.subject = i == 0 ? subject : resubj;
		m.irt = prev;
		m.refs = refs;
		m.list_id = listid;
		m.lines = 4 + (int)rng_below(25);
		m.quoted = i == 0 ? 0 : (int)rng_below(8);
		m.enc = -1;
		deliver(root, "lists", &m);
		stats.messages++;
		stats.list++;

		char *nrefs = refs_append(refs, first ? first : id, id);
		free(refs);
		refs = nrefs;
		if (first == NULL)
			first = xstrdup(id);
		free(prev);
		prev = id;
		free(from);
		t = gap_after(t);
	}
	free(prev);
	free(first);
	free(refs);
	free(subject);
	free(resubj);
	free(listid);
}

static time_t
random_start(void)
{
	return T_START + (time_t)rng_below((uint64_t)(T_END - T_START - 5 * 86400));
}

/* 1-40 messages, most threads short (u^2 skew), mean about 14. */
static int
security_len(void)
{
	double u = rng_unit();

	return 1 + (int)(u * u * 40);
}

static void
generate(const struct opts *o)
{
	uint64_t mask = 0;

	maildir_make(o->out, "INBOX");
	maildir_make(o->out, "lists");
	maildir_make(o->out, "Sent");

	/*
	 * The two threads the benchmark opens: 40 plaintext messages, and 40
	 * with exactly five encrypted, spread through the thread.
	 */
	security_thread(o->out, SPECIAL_LEN, T_END - 30 * 86400, false, 0,
	    &stats.plain40);
	for (int i = 0; i < SPECIAL_ENC; i++)
		mask |= 1ULL << (3 + i * 8);
	security_thread(o->out, SPECIAL_LEN, T_END - 20 * 86400, false, mask,
	    &stats.enc40);

	while (stats.messages < o->count) {
		long left = o->count - stats.messages;
		int n;

		/* Half the messages are list traffic. */
		if (stats.list <= stats.security) {
			n = 1 + (int)rng_below(15);
			if (n > left)
				n = (int)left;
			list_thread(o->out, n, random_start());
		} else {
			n = security_len();
			if (n > left)
				n = (int)left;
			security_thread(o->out, n, random_start(), true, 0,
			    NULL);
		}
	}
}

/*
 * The "new mail" batch: replies to existing cases, new reports and list
 * traffic, all dated in the last day before the pinned clock.  Written as
 * plain files in EXTRA_OUT for the benchmark to drop into INBOX/new.
 */
static void
generate_extra(const struct opts *o)
{
	mkdir_p(o->extra_out);
	for (long i = 0; i < o->extra; i++) {
		struct msg m = { 0 };
		time_t t = T_END - 86400 + (time_t)(i * 86400 / (o->extra + 1));
		char *id = xasprintf("x%ld.%" PRIu64 "@bench.example.org", i,
		    (uint64_t)GEN_VERSION);
		char *subj = NULL, *from = NULL, *refs = NULL;
		uint64_t kind = rng_below(10);

		m.msgid = id;
		m.date = t;
		m.enc = -1;
		m.lines = 3 + (int)rng_below(12);
		if (kind < 6 && sthreads_n > 0) {
			struct sthread *st = &sthreads[rng_below(sthreads_n)];

			subj = xasprintf("Re: %s", st->subject);
			refs = xasprintf("<%s> <%s>", st->first_id, st->last_id);
			m.subject = subj;
			m.irt = st->last_id;
			m.refs = refs;
			m.quoted = 3;
			if (rng_below(2)) {
				m.from = PICK(team);
				m.to = st->reporter;
				m.cc = TEAM_ADDR;
			} else {
				m.from = st->reporter;
				m.to = TEAM_ADDR;
			}
		} else if (kind < 8) {
			from = person_new();
			subj = xasprintf("NEW-%03ld: %s in the %s", i,
			    PICK(vulns), PICK(components));
			m.from = from;
			m.to = TEAM_ADDR;
			m.subject = subj;
			m.lines = 15;
		} else {
			from = person_new();
			subj = xasprintf("[dev] %s the %s", PICK(list_topics),
			    PICK(components));
			m.from = from;
			m.to = lists[0];
			m.subject = subj;
			m.list_id = "dev.lists.example.org";
		}
		deliver(o->extra_out, NULL, &m);
		free(id);
		free(subj);
		free(from);
		free(refs);
	}
}

static void
usage(void)
{
	fprintf(stderr,
	    "usage: gen [--seed N] --count N --pool DIR --out MAILDIR\n"
	    "           [--extra N --extra-out DIR]\n"
	    "       gen --version\n"
	    "Writes COUNT messages (half list traffic, half security threads of\n"
	    "1-40 messages over three years, 5%% of those encrypted with the\n"
	    "ciphertexts POOL/enc-N.asc) into MAILDIR/{INBOX,lists,Sent}, and a\n"
	    "summary on stdout.  The same seed gives the same corpus.\n");
	exit(2);
}

static long
parse_count(const char *s, const char *what)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || v < 0)
		die("%s: \"%s\" is not a count; expected a number, optionally "
		    "with k (thousands)", what, s);
	if (*end == 'k' || *end == 'K') {
		v *= 1000;
		end++;
	}
	if (*end != '\0')
		die("%s: \"%s\" is not a count; expected a number, optionally "
		    "with k (thousands)", what, s);
	return v;
}

int
main(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "seed", required_argument, NULL, 's' },
		{ "count", required_argument, NULL, 'n' },
		{ "out", required_argument, NULL, 'o' },
		{ "pool", required_argument, NULL, 'p' },
		{ "extra", required_argument, NULL, 'e' },
		{ "extra-out", required_argument, NULL, 'x' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct opts o = { .seed = 42, .count = -1 };
	int c;

	while ((c = getopt_long(argc, argv, "", lopts, NULL)) != -1) {
		switch (c) {
		case 's':
			o.seed = (uint64_t)parse_count(optarg, "--seed");
			break;
		case 'n':
			o.count = parse_count(optarg, "--count");
			break;
		case 'o':
			o.out = optarg;
			break;
		case 'p':
			o.pool = optarg;
			break;
		case 'e':
			o.extra = parse_count(optarg, "--extra");
			break;
		case 'x':
			o.extra_out = optarg;
			break;
		case 'V':
			printf("%d\n", GEN_VERSION);
			return 0;
		default:
			usage();
		}
	}
	if (optind != argc || o.count < 2 * SPECIAL_LEN || o.out == NULL ||
	    o.pool == NULL || (o.extra > 0 && o.extra_out == NULL))
		usage();

	rng_state = o.seed;
	pool_load(o.pool);
	generate(&o);
	if (o.extra > 0)
		generate_extra(&o);

	printf("version %d\nseed %" PRIu64 "\nmessages %ld\nsecurity %ld\n"
	    "list %ld\nsecurity_threads %ld\nlist_threads %ld\n"
	    "encrypted %ld\nplain40 %s\nenc40 %s\nextra %ld\n",
	    GEN_VERSION, o.seed, stats.messages, stats.security, stats.list,
	    stats.sec_threads, stats.list_threads, stats.encrypted,
	    stats.plain40, stats.enc40, o.extra);
	for (size_t i = 0; i < sthreads_n; i++) {
		free(sthreads[i].subject);
		free(sthreads[i].reporter);
		free(sthreads[i].last_id);
		free(sthreads[i].first_id);
	}
	free(sthreads);
	free(stats.plain40);
	free(stats.enc40);
	for (int i = 0; i < pool_n; i++)
		free(pool[i]);
	return 0;
}
