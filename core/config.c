/* core/config.c: the configuration file: lookup, defaults, validation, from one table of keys. */
#include "build-config.h"

#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib.h>

#include "core/clock.h"
#include "core/config.h"

/* A config file larger than this is a mistake (or /dev/zero). */
#define CONFIG_MAX_SIZE (1024 * 1024)

enum key_type {
	KT_STRING,       /* free text (a query, a command, a folder) */
	KT_PATH,         /* a file name; a leading ~/ is the home directory */
	KT_ADDRESS,      /* local@domain */
	KT_ADDRESS_LIST, /* addresses separated by ; or , (lower-cased) */
	KT_DATE_LIST,    /* YYYY-MM-DD separated by ; or , */
	KT_CHOICE,       /* one word of a struct choice list, into an enum */
	KT_SEVERITY,     /* a severity name from domain.h */
	KT_DURATION,     /* 90m, 24h, 5d, 2w, in seconds */
	KT_BOOL,
	KT_INT,          /* a whole number in a struct int_range */
	KT_ZONE,         /* an IANA time zone name */
	KT_FINGERPRINT,  /* an OpenPGP fingerprint, upper-cased, no blanks */
	KT_BINDINGS,     /* CONTEXT KEY ACTION;... */
};

struct choice {
	const char *name;
	int value;
};

struct int_range {
	int min, max;
};

static const struct choice team_reply_choices[] = {
	{"any", TEAM_REPLY_ANY}, {"verified", TEAM_REPLY_VERIFIED}, {NULL, 0}};
static const struct choice encrypt_choices[] = {
	{"auto", ENCRYPT_AUTO}, {"always", ENCRYPT_ALWAYS}, {NULL, 0}};
static const struct choice sync_choices[] = {
	{"off", SYNC_OFF}, {"mail", SYNC_MAIL}, {NULL, 0}};
static const struct int_range percent_range = {1, 100};
static const struct int_range refresh_range = {1, 3600};

/*
 * Every key, declared once: X(group, key, type, field, argument, default,
 * help).  The default is LIT("text") when the text itself is parsed into
 * the field (so help and behaviour cannot drift apart), CALC("text") when
 * it is worked out at load time and the text only describes it, or NODEF.
 */
#define CONFIG_KEYS(X)                                                          \
	X("mail", "database", KT_PATH, database, NULL, NODEF,                      \
	    "the notmuch database path (default: what $NOTMUCH_CONFIG or notmuch's own configuration names)") \
	X("mail", "query", KT_STRING, query, NULL, CALC("to:TEAM when [mail] team is set"), \
	    "which threads are cases, in notmuch query syntax")                    \
	X("mail", "team", KT_ADDRESS, team, NULL, NODEF,                           \
	    "the team's address")                                                  \
	X("mail", "team_reply", KT_CHOICE, team_reply, team_reply_choices, LIT("any"), \
	    "any: mail from the team or a handler counts as a team reply; verified: only if in sent_folder, signed by team_key or a handler's key, or passed DKIM per a trusted Authentication-Results") \
	X("mail", "authserv_id", KT_STRING, authserv_id, NULL, NODEF,              \
	    "whose Authentication-Results headers to trust")                       \
	X("mail", "handlers", KT_ADDRESS_LIST, handlers, NULL, NODEF,              \
	    "the handlers' addresses, separated by ; or ,")                        \
	X("mail", "me", KT_ADDRESS, me, NULL, CALC("$EMAIL, else user@host"),      \
	    "who this user is")                                                    \
	X("mail", "sendmail", KT_STRING, sendmail, NULL, LIT("/usr/sbin/sendmail -oi -t"), \
	    "the command that receives the finished message on stdin")             \
	X("mail", "sent_folder", KT_STRING, sent_folder, NULL, LIT("Sent"),        \
	    "maildir folder for copies of sent mail, indexed in notmuch")          \
	X("mail", "distros_list", KT_ADDRESS, distros_list, NULL, LIT("distros@vs.openwall.org"), \
	    "where pre-announcements to distributions go")                        \
	X("mail", "oss_list", KT_ADDRESS, oss_list, NULL, LIT("oss-security@lists.openwall.com"), \
	    "where public disclosures go")                                         \
	X("mail", "announce_list", KT_ADDRESS, announce_list, NULL, NODEF,         \
	    "the project's own announcement list")                                 \
	X("crypto", "team_key", KT_FINGERPRINT, team_key, NULL, NODEF,             \
	    "fingerprint of the team's signing key; replies are signed with it")   \
	X("crypto", "encrypt", KT_CHOICE, encrypt, encrypt_choices, LIT("auto"),   \
	    "auto: encrypt when the reporter wrote encrypted or has a usable key; always: refuse to send plaintext") \
	X("policy", "ack", KT_DURATION, ack, NULL, LIT("24h"),                     \
	    "time to acknowledge a new report")                                    \
	X("policy", "response", KT_DURATION, response, NULL, LIT("48h"),           \
	    "time to a first real response")                                       \
	X("policy", "update", KT_DURATION, update, NULL, LIT("5d"),                \
	    "longest time without news to the reporter")                           \
	X("policy", "distros_notice", KT_DURATION, distros_notice, NULL, LIT("72h"), \
	    "how long before the embargo ends distros must be told")              \
	X("policy", "distros_min_severity", KT_SEVERITY, distros_min_severity, NULL, LIT("moderate"), \
	    "the least severity that is sent to distros: none, minor, moderate, important or critical") \
	X("policy", "distros_max_embargo", KT_DURATION, distros_max_embargo, NULL, LIT("14d"), \
	    "the longest embargo distros accept")                                  \
	X("policy", "publish_window", KT_DURATION, publish_window, NULL, LIT("6h"), \
	    "time to publish after the embargo lifts")                             \
	X("policy", "working_days", KT_BOOL, working_days, NULL, LIT("false"),     \
	    "true: deadlines count only working days (Mon-Fri, not holidays)")     \
	X("policy", "timezone", KT_ZONE, timezone, NULL, LIT("UTC"),               \
	    "IANA time zone for working days and for dates typed without an offset") \
	X("policy", "holidays", KT_DATE_LIST, holidays, NULL, NODEF,              \
	    "days off, YYYY-MM-DD separated by ; or ,")                           \
	X("policy", "soon_percent", KT_INT, soon_percent, &percent_range, LIT("25"), \
	    "a deadline is soon when less than this percentage (1-100) of its window remains") \
	X("policy", "soon_min", KT_DURATION, soon_min, NULL, LIT("6h"),            \
	    "... or when less than this remains, whichever is more")               \
	X("store", "path", KT_PATH, store_path, NULL, CALC("$XDG_DATA_HOME/embargo/cases.db"), \
	    "the case store (SQLite)")                                             \
	X("oncall", "window", KT_DURATION, oncall_window, NULL, LIT("24h"),        \
	    "how far ahead `embargo due` looks")                                   \
	X("oncall", "rota", KT_STRING, rota, NULL, NODEF,                          \
	    "who is on call")                                                      \
	X("oncall", "notify", KT_STRING, notify, NULL, NODEF,                      \
	    "command run by `embargo due --notify` once per new soon or overdue deadline") \
	X("team", "sync", KT_CHOICE, sync, sync_choices, LIT("off"),               \
	    "off: the case store is local; mail: share case events by mail")       \
	X("team", "events_address", KT_ADDRESS, events_address, NULL, CALC("[mail] team"), \
	    "where case events are mailed when sync = mail")                       \
	X("ui", "color", KT_BOOL, color, NULL, LIT("true"),                        \
	    "colours in the TUI (NO_COLOR in the environment turns them off)")     \
	X("ui", "refresh", KT_INT, refresh_secs, &refresh_range, LIT("2"),         \
	    "seconds (1-3600) between checks for new mail in the TUI")             \
	X("keys", "bind", KT_BINDINGS, bindings, NULL, NODEF,                      \
	    "key bindings, CONTEXT KEY ACTION separated by ; (or lines `bind CONTEXT KEY ACTION`)")

static const struct config_key_info key_infos[] = {
#define LIT(s) s
#define CALC(s) s
#define NODEF NULL
#define X(g, k, t, f, a, d, h) {g, k, d, h},
	CONFIG_KEYS(X)
#undef X
#undef LIT
#undef CALC
#undef NODEF
};

struct key_def {
	enum key_type type;
	size_t offset;
	const void *arg;
	const char *literal; /* parsed into the field by config_new_defaults() */
	bool has_default;
};

static const struct key_def key_defs[] = {
#define LIT(s) s, true
#define CALC(s) NULL, true
#define NODEF NULL, false
#define X(g, k, t, f, a, d, h) {t, offsetof(struct config, f), a, d},
	CONFIG_KEYS(X)
#undef X
#undef LIT
#undef CALC
#undef NODEF
};

#define N_KEYS G_N_ELEMENTS(key_infos)

/* What a raw `bind` line or [keys] bind item becomes before sorting by line. */
struct pending_binding {
	unsigned line;
	unsigned seq;
	struct config_binding b;
};

/* One load in progress. */
struct loader {
	const char *path;
	struct config *cfg;
	GArray *bindings;      /* struct pending_binding */
	unsigned keys_bind_line; /* line of `bind =` in [keys] */
};

/* A copy of S with control characters replaced, for names and GLib messages. (g_free) */
static char *
printable(const char *s)
{
	char *copy = g_utf8_make_valid(s, -1);

	for (unsigned char *p = (unsigned char *)copy; *p != '\0'; p++)
		if (*p < 0x20 || *p == 0x7f)
			*p = '?';
	return copy;
}

static void
warn_printf(config_warn_fn warn, void *arg, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void
warn_printf(config_warn_fn warn, void *arg, const char *fmt, ...)
{
	va_list ap;
	char *msg;

	if (warn == NULL)
		return;
	va_start(ap, fmt);
	msg = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	warn(arg, msg);
	g_free(msg);
}

/* The home directory: $HOME, else the password database; NULL when neither. */
static const char *
home_dir(void)
{
	const char *home = getenv("HOME");
	struct passwd *pw;

	if (home != NULL && *home != '\0')
		return home;
	pw = getpwuid(getuid());
	return (pw != NULL && pw->pw_dir != NULL && *pw->pw_dir != '\0') ? pw->pw_dir : NULL;
}

/*
 * $VAR/SUFFIX when VAR holds an absolute path, else $HOME/FALLBACK/SUFFIX,
 * as the XDG base directory spec says (an empty or relative value is
 * ignored).  NULL without a home.  (g_free)
 */
static char *
xdg_path(const char *var, const char *fallback, const char *suffix)
{
	const char *dir = getenv(var);
	const char *home;

	if (dir != NULL && dir[0] == '/')
		return g_build_filename(dir, suffix, NULL);
	home = home_dir();
	return home == NULL ? NULL : g_build_filename(home, fallback, suffix, NULL);
}

static char *
default_me(void)
{
	const char *email = getenv("EMAIL");
	const char *user = NULL;
	struct passwd *pw;
	char host[256];

	if (email != NULL && *email != '\0')
		return g_strdup(email);
	pw = getpwuid(getuid());
	if (pw != NULL && pw->pw_name != NULL && *pw->pw_name != '\0')
		user = pw->pw_name;
	else if ((user = getenv("USER")) == NULL || *user == '\0')
		user = "unknown";
	if (gethostname(host, sizeof host) != 0 || host[0] == '\0')
		g_strlcpy(host, "localhost", sizeof host);
	host[sizeof host - 1] = '\0';
	return g_strdup_printf("%s@%s", user, host);
}

static bool
is_address(const char *s)
{
	const char *at = strchr(s, '@');

	if (at == NULL || at == s || at[1] == '\0' || strchr(at + 1, '@') != NULL)
		return false;
	for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++)
		if (*p <= ' ' || *p == 0x7f || strchr("<>()[]\\,;:\"", *p) != NULL)
			return false;
	return at[1] != '.' && s[strlen(s) - 1] != '.';
}

static bool
is_date(const char *s)
{
	int y, m, d;

	if (strlen(s) != 10 || s[4] != '-' || s[7] != '-')
		return false;
	for (int i = 0; i < 10; i++)
		if (i != 4 && i != 7 && !g_ascii_isdigit(s[i]))
			return false;
	y = atoi(s);
	m = atoi(s + 5);
	d = atoi(s + 8);
	return y >= 1 && g_date_valid_dmy((GDateDay)d, (GDateMonth)m, (GDateYear)y);
}

/* Splits a GKeyFile list further on commas, trimming blanks and dropping empty items. (g_strfreev) */
static char **
split_items(char **list)
{
	GPtrArray *out = g_ptr_array_new();

	for (char **l = list; l != NULL && *l != NULL; l++) {
		char **parts = g_strsplit(*l, ",", -1);

		for (char **p = parts; *p != NULL; p++) {
			g_strstrip(*p);
			if (**p != '\0')
				g_ptr_array_add(out, g_strdup(*p));
		}
		g_strfreev(parts);
	}
	g_ptr_array_add(out, NULL);
	return (char **)g_ptr_array_free(out, FALSE);
}

/* Splits S into whitespace-separated words. (g_strfreev) */
static char **
split_words(const char *s)
{
	GPtrArray *out = g_ptr_array_new();
	const char *p = s;

	for (;;) {
		const char *start;

		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == '\0')
			break;
		start = p;
		while (*p != '\0' && *p != ' ' && *p != '\t')
			p++;
		g_ptr_array_add(out, g_strndup(start, (size_t)(p - start)));
	}
	g_ptr_array_add(out, NULL);
	return (char **)g_ptr_array_free(out, FALSE);
}

static void
add_binding(struct loader *ld, unsigned line, char **words)
{
	struct pending_binding pb;

	pb.line = line;
	pb.seq = ld->bindings->len;
	pb.b.context = g_strdup(words[0]);
	pb.b.key = g_strdup(words[1]);
	pb.b.action = g_strdup(words[2]);
	pb.b.line = (int)line;
	g_array_append_val(ld->bindings, pb);
}

/*
 * Setters, one per key type: each parses VALUE (unescaped and trimmed; LIST
 * for list types) into FIELD, or fills WHY with `"VALUE": what was
 * expected`, to follow "[group] key = " in the caller's message.
 */
typedef int (*key_setter)(const struct key_def *def, const char *value,
    char **list, struct loader *ld, void *field, struct error *why);

static void
replace_string(void *field, char *s)
{
	g_free(*(char **)field);
	*(char **)field = s;
}

static int
set_string(const struct key_def *def, const char *value, char **list,
    struct loader *ld, void *field, struct error *why)
{
	replace_string(field, g_strdup(value));
	return 0;
}

static int
set_path(const struct key_def *def, const char *value, char **list,
    struct loader *ld, void *field, struct error *why)
{
	const char *home = home_dir();

	if (value[0] == '~' && (value[1] == '/' || value[1] == '\0') && home != NULL)
		replace_string(field, g_strconcat(home, value + 1, NULL));
	else
		replace_string(field, g_strdup(value));
	return 0;
}

static int
set_address(const struct key_def *def, const char *value, char **list,
    struct loader *ld, void *field, struct error *why)
{
	char *q;

	if (is_address(value)) {
		replace_string(field, g_strdup(value));
		return 0;
	}
	q = error_quote(value);
	error_set(why, "%s: expected an address like alice@example.org", q);
	g_free(q);
	return -1;
}

static int
set_zone(const struct key_def *def, const char *value, char **list,
    struct loader *ld, void *field, struct error *why)
{
	GTimeZone *tz = g_time_zone_new_identifier(value);
	char *q;

	if (tz != NULL) {
		g_time_zone_unref(tz);
		replace_string(field, g_strdup(value));
		return 0;
	}
	q = error_quote(value);
	error_set(why, "%s: expected an IANA time zone name like Europe/Berlin or UTC", q);
	g_free(q);
	return -1;
}

/* Fingerprints are stored as gpgme shows them: upper-case hex, no blanks, no 0x. */
static int
set_fingerprint(const struct key_def *def, const char *value, char **list,
    struct loader *ld, void *field, struct error *why)
{
	GString *fpr = g_string_new(NULL);
	const char *p = value;
	char *q;

	if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X'))
		p += 2;
	for (; *p != '\0'; p++) {
		if (*p == ' ')
			continue;
		if (!g_ascii_isxdigit(*p))
			break;
		g_string_append_c(fpr, g_ascii_toupper(*p));
	}
	if (*p == '\0' && (fpr->len == 40 || fpr->len == 64)) {
		replace_string(field, g_string_free(fpr, FALSE));
		return 0;
	}
	g_string_free(fpr, TRUE);
	q = error_quote(value);
	error_set(why, "%s: expected a key fingerprint (40 hex digits, as gpg --fingerprint shows)", q);
	g_free(q);
	return -1;
}

/* Addresses (lower-cased) or dates, separated by ; or ,; duplicates dropped. */
static int
set_list(const struct key_def *def, const char *value, char **list,
    struct loader *ld, void *field, struct error *why)
{
	bool addresses = def->type == KT_ADDRESS_LIST;
	GPtrArray *out = g_ptr_array_new();
	char **items = split_items(list);

	for (char **it = items; *it != NULL; it++) {
		char *s;

		if (addresses ? !is_address(*it) : !is_date(*it)) {
			char *q = error_quote(*it);

			error_set(why, addresses ?
			    "%s: expected addresses like alice@example.org, separated by ; or ," :
			    "%s: expected dates like 2026-12-25, separated by ; or ,", q);
			g_free(q);
			g_ptr_array_set_free_func(out, g_free);
			g_ptr_array_unref(out);
			g_strfreev(items);
			return -1;
		}
		s = addresses ? g_ascii_strdown(*it, -1) : g_strdup(*it);
		if (g_ptr_array_find_with_equal_func(out, s, g_str_equal, NULL))
			g_free(s);
		else
			g_ptr_array_add(out, s);
	}
	g_strfreev(items);
	g_ptr_array_add(out, NULL);
	g_strfreev(*(char ***)field);
	*(char ***)field = (char **)g_ptr_array_free(out, FALSE);
	return 0;
}

/* "a, b or c" from N names. (g_free) */
static char *
join_names(const char *const *names, size_t n)
{
	GString *s = g_string_new(NULL);

	for (size_t i = 0; i < n; i++) {
		if (i > 0)
			g_string_append(s, i == n - 1 ? " or " : ", ");
		g_string_append(s, names[i]);
	}
	return g_string_free(s, FALSE);
}

static int
set_choice(const struct key_def *def, const char *value, char **list,
    struct loader *ld, void *field, struct error *why)
{
	const struct choice *c = def->arg;
	const char *names[8];
	size_t n = 0;
	char *q, *all;

	for (; c->name != NULL; c++) {
		if (g_ascii_strcasecmp(c->name, value) == 0) {
			*(int *)field = c->value;
			return 0;
		}
		if (n < G_N_ELEMENTS(names))
			names[n++] = c->name;
	}
	q = error_quote(value);
	all = join_names(names, n);
	error_set(why, "%s: expected %s", q, all);
	g_free(all);
	g_free(q);
	return -1;
}

static int
set_severity(const struct key_def *def, const char *value, char **list,
    struct loader *ld, void *field, struct error *why)
{
	const char *names[SEV__COUNT];
	char *lower = g_ascii_strdown(value, -1);
	enum severity sev;
	char *q, *all;
	int rv;

	rv = severity_from_name(lower, &sev);
	g_free(lower);
	if (rv == 0) {
		*(enum severity *)field = sev;
		return 0;
	}
	for (int i = 0; i < SEV__COUNT; i++)
		names[i] = severity_name((enum severity)i);
	q = error_quote(value);
	all = join_names(names, SEV__COUNT);
	error_set(why, "%s: expected a severity: %s", q, all);
	g_free(all);
	g_free(q);
	return -1;
}

static int
set_duration(const struct key_def *def, const char *value, char **list,
    struct loader *ld, void *field, struct error *why)
{
	/* clock's message is already `"VALUE": expected ...`. */
	return clock_parse_duration(value, (int64_t *)field, why);
}

static int
set_bool(const struct key_def *def, const char *value, char **list,
    struct loader *ld, void *field, struct error *why)
{
	static const char *const yes[] = {"true", "yes", "on", "1"};
	static const char *const no[] = {"false", "no", "off", "0"};
	char *q;

	for (size_t i = 0; i < G_N_ELEMENTS(yes); i++) {
		if (g_ascii_strcasecmp(value, yes[i]) == 0) {
			*(bool *)field = true;
			return 0;
		}
		if (g_ascii_strcasecmp(value, no[i]) == 0) {
			*(bool *)field = false;
			return 0;
		}
	}
	q = error_quote(value);
	error_set(why, "%s: expected true or false", q);
	g_free(q);
	return -1;
}

static int
set_int(const struct key_def *def, const char *value, char **list,
    struct loader *ld, void *field, struct error *why)
{
	const struct int_range *r = def->arg;
	const char *p = value;
	long v = 0;
	char *q;

	/* Stop accumulating past the maximum: no overflow, and still an error. */
	for (; g_ascii_isdigit(*p) && v <= r->max; p++)
		v = v * 10 + (*p - '0');
	if (*value != '\0' && *p == '\0' && v >= r->min && v <= r->max) {
		*(int *)field = (int)v;
		return 0;
	}
	q = error_quote(value);
	error_set(why, "%s: expected a whole number from %d to %d", q, r->min, r->max);
	g_free(q);
	return -1;
}

static int
set_bindings(const struct key_def *def, const char *value, char **list,
    struct loader *ld, void *field, struct error *why)
{
	for (char **it = list; it != NULL && *it != NULL; it++) {
		char **words = split_words(*it);
		guint n = g_strv_length(words);

		if (n == 3)
			add_binding(ld, ld->keys_bind_line, words);
		g_strfreev(words);
		if (n != 0 && n != 3) {
			char *q = error_quote(g_strstrip(*it));

			error_set(why, "%s: expected CONTEXT KEY ACTION (three words), separated by ;", q);
			g_free(q);
			return -1;
		}
	}
	return 0;
}

static const struct {
	key_setter set;
	bool is_string; /* a char * field: empty means unset */
	bool is_list;   /* read with g_key_file_get_string_list() */
} key_types[] = {
	[KT_STRING] = {set_string, true, false},
	[KT_PATH] = {set_path, true, false},
	[KT_ADDRESS] = {set_address, true, false},
	[KT_ADDRESS_LIST] = {set_list, false, true},
	[KT_DATE_LIST] = {set_list, false, true},
	[KT_CHOICE] = {set_choice, false, false},
	[KT_SEVERITY] = {set_severity, false, false},
	[KT_DURATION] = {set_duration, false, false},
	[KT_BOOL] = {set_bool, false, false},
	[KT_INT] = {set_int, false, false},
	[KT_ZONE] = {set_zone, true, false},
	[KT_FINGERPRINT] = {set_fingerprint, true, false},
	[KT_BINDINGS] = {set_bindings, false, true},
};

/* Sets one key from its text; an empty string value unsets a key without a default. */
static int
key_set(const struct key_def *def, const char *value, char **list,
    struct loader *ld, void *field, struct error *why)
{
	if (key_types[def->type].is_string && *value == '\0') {
		if (def->has_default)
			return error_set(why, "\"\": must not be empty (leave the key out for the default)");
		g_clear_pointer((char **)field, g_free);
		return 0;
	}
	return key_types[def->type].set(def, value, list, ld, field, why);
}

struct config *
config_new_defaults(void)
{
	struct config *cfg = g_new0(struct config, 1);
	struct error why;

	for (size_t i = 0; i < N_KEYS; i++) {
		void *field = (char *)cfg + key_defs[i].offset;

		/* A failure here is a typo in the table, caught by every test run. */
		if (key_defs[i].literal != NULL &&
		    key_set(&key_defs[i], key_defs[i].literal, NULL, NULL, field, &why) != 0)
			g_error("config default [%s] %s: %s", key_infos[i].group, key_infos[i].key, why.msg);
	}
	cfg->me = default_me();
	cfg->store_path = xdg_path("XDG_DATA_HOME", ".local/share", "embargo/cases.db");
	cfg->handlers = g_new0(char *, 1);
	cfg->holidays = g_new0(char *, 1);
	return cfg;
}

/* Fills what depends on other keys and the counts. */
static void
config_finish(struct config *cfg)
{
	if (cfg->query == NULL && cfg->team != NULL)
		cfg->query = g_strdup_printf("to:%s", cfg->team);
	if (cfg->events_address == NULL && cfg->team != NULL)
		cfg->events_address = g_strdup(cfg->team);
	cfg->n_handlers = g_strv_length(cfg->handlers);
	cfg->n_holidays = g_strv_length(cfg->holidays);
}

void
config_free(struct config *cfg)
{
	if (cfg == NULL)
		return;
	for (size_t i = 0; i < N_KEYS; i++) {
		void *field = (char *)cfg + key_defs[i].offset;

		if (key_types[key_defs[i].type].is_string)
			g_free(*(char **)field);
		else if (key_defs[i].type == KT_ADDRESS_LIST || key_defs[i].type == KT_DATE_LIST)
			g_strfreev(*(char ***)field);
	}
	for (size_t i = 0; i < cfg->n_bindings; i++) {
		g_free(cfg->bindings[i].context);
		g_free(cfg->bindings[i].key);
		g_free(cfg->bindings[i].action);
	}
	g_free(cfg->bindings);
	g_free(cfg->path);
	g_free(cfg);
}

/*
 * Reads PATH whole into *DATA.  Only a missing file sets *MISSING (and
 * fails), so the caller can decide whether that is an error.
 */
static int
read_config_file(const char *path, char **data, size_t *len, bool *missing,
    struct error *err)
{
	GString *buf;
	struct stat st;
	char chunk[8192];
	ssize_t n;
	int fd;

	*missing = false;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd == -1) {
		*missing = errno == ENOENT || errno == ENOTDIR;
		return error_set(err, "%s: cannot read: %s", path, strerror(errno));
	}
	if (fstat(fd, &st) != 0) {
		error_set(err, "%s: cannot read: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	/* A FIFO or a socket could block for ever; /dev/null is a fine empty file. */
	if (S_ISDIR(st.st_mode) || (!S_ISREG(st.st_mode) && !S_ISCHR(st.st_mode))) {
		error_set(err, "%s: cannot read: %s", path,
		    S_ISDIR(st.st_mode) ? strerror(EISDIR) : "not a regular file");
		close(fd);
		return -1;
	}
	buf = g_string_new(NULL);
	while ((n = read(fd, chunk, sizeof chunk)) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			error_set(err, "%s: cannot read: %s", path, strerror(errno));
			goto fail;
		}
		g_string_append_len(buf, chunk, n);
		if (buf->len > CONFIG_MAX_SIZE) {
			error_set(err, "%s: too large (more than %d bytes): not a configuration file?",
			    path, CONFIG_MAX_SIZE);
			goto fail;
		}
	}
	close(fd);
	*len = buf->len;
	*data = g_string_free(buf, FALSE);
	return 0;
fail:
	close(fd);
	g_string_free(buf, TRUE);
	return -1;
}

/* True when DATA loads as a key file (used to find the line of a syntax error). */
static bool
keyfile_loads(const char *data, size_t len)
{
	GKeyFile *kf = g_key_file_new();
	bool ok = g_key_file_load_from_data(kf, data, len, G_KEY_FILE_NONE, NULL);

	g_key_file_free(kf);
	return ok;
}

/*
 * The line of a GKeyFile syntax error, which GLib does not say: the parse
 * stops at the first bad line, so the shortest failing prefix ends there.
 */
static unsigned
keyfile_error_line(const char *data, size_t len)
{
	GArray *ends = g_array_new(FALSE, FALSE, sizeof(size_t));
	unsigned lo, hi, line;

	for (size_t i = 0; i < len; i++)
		if (data[i] == '\n') {
			size_t end = i + 1;

			g_array_append_val(ends, end);
		}
	if (len > 0 && data[len - 1] != '\n')
		g_array_append_val(ends, len);
	/* Find the least line count lo whose prefix fails. */
	lo = 1;
	hi = ends->len;
	while (lo < hi) {
		unsigned mid = lo + (hi - lo) / 2;

		if (keyfile_loads(data, g_array_index(ends, size_t, mid - 1)))
			lo = mid + 1;
		else
			hi = mid;
	}
	line = ends->len == 0 ? 1 : lo;
	g_array_free(ends, TRUE);
	return line;
}

/*
 * Takes the `bind CONTEXT KEY ACTION` lines out of DATA (they are not key
 * file syntax), blanking them so GKeyFile's view keeps the same line
 * numbers, and notes the line of [keys] bind = for its items.
 */
static int
extract_bind_lines(struct loader *ld, char *data, size_t len, struct error *err)
{
	char *group = NULL;
	unsigned line = 0;
	char *p = data;
	int rv = 0;

	while (p < data + len && rv == 0) {
		char *nl = memchr(p, '\n', (size_t)(data + len - p));
		char *end = nl != NULL ? nl : data + len;
		char *s = p, *e = end;

		line++;
		while (s < e && (*s == ' ' || *s == '\t'))
			s++;
		if (e > s && e[-1] == '\r')
			e--;
		if (*s == '[' && memchr(s, ']', (size_t)(e - s)) != NULL) {
			g_free(group);
			group = g_strndup(s + 1, (size_t)((char *)memchr(s, ']', (size_t)(e - s)) - s - 1));
		} else if (e - s >= 4 && strncmp(s, "bind", 4) == 0) {
			char *r = s + 4;

			while (r < e && (*r == ' ' || *r == '\t'))
				r++;
			if (r < e && *r == '=') {
				/* `bind = ...`: a key, for GKeyFile. */
				if (group != NULL && strcmp(group, "keys") == 0)
					ld->keys_bind_line = line;
			} else if (r > s + 4 && r < e) {
				char *text = g_strndup(s, (size_t)(e - s));
				char **words = split_words(text + 4);

				if (g_strv_length(words) != 3) {
					char *q = error_quote(text);

					rv = error_set(err, "%s:%u: %s: expected bind CONTEXT KEY ACTION (three words)",
					    ld->path, line, q);
					g_free(q);
				} else
					add_binding(ld, line, words);
				g_strfreev(words);
				g_free(text);
				memset(p, ' ', (size_t)(end - p));
			}
		}
		p = end + 1;
	}
	g_free(group);
	return rv;
}

static int
pending_cmp(const void *a, const void *b)
{
	const struct pending_binding *x = a, *y = b;

	if (x->line != y->line)
		return x->line < y->line ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static const struct config_key_info *
find_key(const char *group, const char *key, size_t *index)
{
	for (size_t i = 0; i < N_KEYS; i++) {
		if (strcmp(key_infos[i].group, group) == 0 &&
		    (key == NULL || strcmp(key_infos[i].key, key) == 0)) {
			if (index != NULL)
				*index = i;
			return &key_infos[i];
		}
	}
	return NULL;
}

static void
warn_unknown(struct loader *ld, GKeyFile *kf, config_warn_fn warn, void *warn_arg)
{
	char **groups = g_key_file_get_groups(kf, NULL);

	for (char **g = groups; *g != NULL; g++) {
		char *pg = printable(*g);
		char **keys;

		if (find_key(*g, NULL, NULL) == NULL) {
			warn_printf(warn, warn_arg, "%s: unknown group [%s] (ignored)", ld->path, pg);
			g_free(pg);
			continue;
		}
		keys = g_key_file_get_keys(kf, *g, NULL, NULL);
		for (char **k = keys; keys != NULL && *k != NULL; k++) {
			if (find_key(*g, *k, NULL) == NULL) {
				char *pk = printable(*k);

				warn_printf(warn, warn_arg, "%s: unknown key [%s] %s (ignored)",
				    ld->path, pg, pk);
				g_free(pk);
			}
		}
		g_strfreev(keys);
		g_free(pg);
	}
	g_strfreev(groups);
}

/* Applies every known key present in KF to ld->cfg. */
static int
apply_keys(struct loader *ld, GKeyFile *kf, struct error *err)
{
	for (size_t i = 0; i < N_KEYS; i++) {
		const struct key_def *def = &key_defs[i];
		const char *group = key_infos[i].group, *key = key_infos[i].key;
		void *field = (char *)ld->cfg + def->offset;
		GError *gerr = NULL;
		char *value = NULL, **list = NULL;
		struct error why;
		int rv;

		if (!g_key_file_has_key(kf, group, key, NULL))
			continue;
		if (key_types[def->type].is_list)
			list = g_key_file_get_string_list(kf, group, key, NULL, &gerr);
		else
			value = g_key_file_get_string(kf, group, key, &gerr);
		if (gerr != NULL) {
			/* GLib may return a value along with the error. */
			char *msg = printable(gerr->message);

			g_free(value);
			g_strfreev(list);

			error_set(err, "%s: [%s] %s: %s", ld->path, group, key, msg);
			g_free(msg);
			g_error_free(gerr);
			return -1;
		}
		if (value != NULL)
			g_strstrip(value);
		rv = key_set(def, value != NULL ? value : "", list, ld, field, &why);
		g_free(value);
		g_strfreev(list);
		if (rv != 0)
			return error_set(err, "%s: [%s] %s = %s", ld->path, group, key, why.msg);
	}
	return 0;
}

/* Parses the file in DATA (owned by the caller, modified) into ld->cfg. */
static int
config_parse(struct loader *ld, char *data, size_t len, config_warn_fn warn,
    void *warn_arg, struct error *err)
{
	const char *nul = memchr(data, '\0', len);
	GKeyFile *kf;
	GError *gerr = NULL;
	int rv;

	if (nul != NULL) {
		unsigned line = 1;

		for (const char *p = data; p < nul; p++)
			line += *p == '\n';
		return error_set(err, "%s:%u: a NUL byte: not a text file", ld->path, line);
	}
	if (extract_bind_lines(ld, data, len, err) != 0)
		return -1;
	kf = g_key_file_new();
	if (!g_key_file_load_from_data(kf, data, len, G_KEY_FILE_NONE, &gerr)) {
		char *msg = printable(gerr->message);

		error_set(err, "%s:%u: %s (each line is [group], key = value, "
		    "bind CONTEXT KEY ACTION or a # comment)", ld->path,
		    keyfile_error_line(data, len), msg);
		g_free(msg);
		g_error_free(gerr);
		g_key_file_free(kf);
		return -1;
	}
	warn_unknown(ld, kf, warn, warn_arg);
	rv = apply_keys(ld, kf, err);
	g_key_file_free(kf);
	return rv;
}

int
config_load(const char *path, config_warn_fn warn, void *warn_arg,
    struct config **out, struct error *err)
{
	const char *env = getenv("EMBARGO_CONFIG");
	struct loader ld = {0};
	char *file = NULL, *data = NULL;
	bool explicit = true, from_env = false, missing;
	size_t len = 0;
	int rv = -1;

	if (path != NULL && *path != '\0')
		file = g_strdup(path);
	else if (env != NULL && *env != '\0') {
		file = g_strdup(env);
		from_env = true;
	} else {
		file = xdg_path("XDG_CONFIG_HOME", ".config", "embargo/config");
		explicit = false;
	}
	ld.path = file;
	ld.cfg = config_new_defaults();
	ld.bindings = g_array_new(FALSE, FALSE, sizeof(struct pending_binding));
	if (file != NULL && read_config_file(file, &data, &len, &missing, err) != 0) {
		if (explicit || !missing) {
			if (from_env)
				error_prefix(err, "$EMBARGO_CONFIG");
			goto out;
		}
		/* No config file where one is looked for by default: the defaults. */
		g_clear_pointer(&file, g_free);
		ld.path = NULL;
	}
	if (file != NULL && config_parse(&ld, data, len, warn, warn_arg, err) != 0)
		goto out;
	g_array_sort(ld.bindings, pending_cmp);
	ld.cfg->n_bindings = ld.bindings->len;
	ld.cfg->bindings = g_new0(struct config_binding, ld.bindings->len + 1);
	for (guint i = 0; i < ld.bindings->len; i++)
		ld.cfg->bindings[i] = g_array_index(ld.bindings, struct pending_binding, i).b;
	g_array_set_size(ld.bindings, 0);
	config_finish(ld.cfg);
	ld.cfg->path = file;
	file = NULL;
	*out = ld.cfg;
	ld.cfg = NULL;
	rv = 0;
out:
	for (guint i = 0; i < ld.bindings->len; i++) {
		struct pending_binding *pb = &g_array_index(ld.bindings, struct pending_binding, i);

		g_free(pb->b.context);
		g_free(pb->b.key);
		g_free(pb->b.action);
	}
	g_array_free(ld.bindings, TRUE);
	config_free(ld.cfg);
	g_free(data);
	g_free(file);
	return rv;
}

static bool
in_list(char *const *list, const char *addr)
{
	for (char *const *p = list; p != NULL && *p != NULL; p++)
		if (g_ascii_strcasecmp(*p, addr) == 0)
			return true;
	return false;
}

bool
config_is_handler(const struct config *cfg, const char *addr)
{
	return cfg != NULL && addr != NULL && in_list(cfg->handlers, addr);
}

bool
config_is_team_address(const struct config *cfg, const char *addr)
{
	if (cfg == NULL || addr == NULL)
		return false;
	return (cfg->team != NULL && g_ascii_strcasecmp(cfg->team, addr) == 0) ||
	    in_list(cfg->handlers, addr);
}

const struct config_key_info *
config_keys(size_t *n)
{
	if (n != NULL)
		*n = N_KEYS;
	return key_infos;
}
