/* core/config.h: the configuration file ([mail], [crypto], [policy], ...), loaded and validated. */
#ifndef EMBARGO_CONFIG_H
#define EMBARGO_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/domain.h"
#include "core/error.h"

enum team_reply_mode { TEAM_REPLY_ANY, TEAM_REPLY_VERIFIED };
enum encrypt_mode { ENCRYPT_AUTO, ENCRYPT_ALWAYS };
enum sync_mode { SYNC_OFF, SYNC_MAIL };

/*
 * One binding: a `bind CONTEXT KEY ACTION` line (anywhere in the file) or
 * an item of `[keys] bind = CONTEXT KEY ACTION;...`, in file order.  Only
 * the shape (three words) is checked here; the words are keys/' business.
 */
struct config_binding {
	char *context;
	char *key;
	char *action;
	int line; /* in cfg->path, for error messages */
};

struct config {
	char *path; /* the file loaded, or NULL when none existed */

	/* [mail] */
	char *database;      /* NULL: notmuch's own lookup */
	char *query;         /* default: "to:<team>"; NULL when neither is set */
	char *team;          /* the team address; NULL when unset */
	enum team_reply_mode team_reply;
	char *authserv_id;   /* NULL when unset */
	char **handlers;     /* NULL-terminated (never NULL itself), lower-cased addresses */
	size_t n_handlers;
	char *me;            /* default: $EMAIL, then user@host */
	char *sendmail;      /* default "/usr/sbin/sendmail -oi -t" */
	char *sent_folder;   /* default "Sent" */
	char *distros_list;  /* default "distros@vs.openwall.org" */
	char *oss_list;      /* default "oss-security@lists.openwall.com" */
	char *announce_list; /* NULL when unset */

	/* [crypto] */
	char *team_key; /* fingerprint; NULL when unset */
	enum encrypt_mode encrypt;

	/* [policy]; durations in seconds */
	int64_t ack, response, update;
	int64_t distros_notice;
	enum severity distros_min_severity;
	int64_t distros_max_embargo;
	int64_t publish_window;
	bool working_days;
	char *timezone;    /* IANA zone name; default "UTC" */
	char **holidays;   /* NULL-terminated (never NULL itself) "YYYY-MM-DD" */
	size_t n_holidays;
	int soon_percent;  /* default 25: "soon" when less than this % of the window remains */
	int64_t soon_min;  /* default 6h: ... or less than this, whichever is more */

	/* [store] */
	char *store_path; /* default $XDG_DATA_HOME/embargo/cases.db; NULL without a home */

	/* [oncall] */
	int64_t oncall_window; /* default 24h */
	char *rota;            /* NULL when unset */
	char *notify;          /* NULL when unset */

	/* [team] */
	enum sync_mode sync;
	char *events_address; /* default: team */

	/* [ui] */
	bool color;        /* default true; NO_COLOR in the environment turns it off at run time */
	int refresh_secs;  /* default 2 */

	/* [keys] bind lines; an array of n_bindings (plus a zeroed end) */
	struct config_binding *bindings;
	size_t n_bindings;
};

/* Called once per warning (unknown group or key); may be NULL. */
typedef void (*config_warn_fn)(void *arg, const char *msg);

/*
 * Loads the configuration.  PATH is --config (NULL or "" when not given);
 * else $EMBARGO_CONFIG (when not empty); else $XDG_CONFIG_HOME/embargo/config
 * (an unset, empty or relative XDG_CONFIG_HOME means ~/.config).
 * An explicit PATH or $EMBARGO_CONFIG that does not exist is an error; a
 * missing default file gives the defaults (cfg->path NULL); a file that
 * exists but cannot be read (a directory, no permission) is an error.
 * Syntax errors name the file and line.  Every value is validated: an error
 * names the file, group, key, the bad value and what is allowed, e.g.
 * `/x/config: [policy] ack = "5x": expected a duration like 90m, 24h, 5d or 2w`.
 * An empty value unsets a key that has no default and is an error for one
 * that has.  `bind CONTEXT KEY ACTION` lines may appear anywhere in the file.
 * Unknown groups and keys only warn.  Returns a new config (config_free).
 */
int config_load(const char *path, config_warn_fn warn, void *warn_arg,
    struct config **out, struct error *err);

/* The defaults alone, as if an empty file had been loaded. */
struct config *config_new_defaults(void);

void config_free(struct config *cfg);

/* True when ADDR (any case) is the team address or one of the handlers. */
bool config_is_team_address(const struct config *cfg, const char *addr);

/* True when ADDR (any case) is one of the handlers. */
bool config_is_handler(const struct config *cfg, const char *addr);

/* One row per key, for the man page check and `embargo --help-config`. */
struct config_key_info {
	const char *group;
	const char *key;
	const char *default_value; /* as text; NULL when there is none */
	const char *help;
};
const struct config_key_info *config_keys(size_t *n);

#endif
