/* tui/cmd.h: the subcommands of embargo, one struct cmd_entry each, listed in one table. */
#ifndef EMBARGO_CMD_H
#define EMBARGO_CMD_H

#include "core/error.h"

struct app;

/* Exit statuses (embargo(1) EXIT STATUS). */
enum {
	EXIT_OK = 0,
	EXIT_FAIL = 1,
	EXIT_USAGE = 2,
	EXIT_OVERDUE = 3,
};

/* Global options, parsed before the command name. */
struct cmd_globals {
	const char *config_path; /* --config FILE, or NULL */
};

struct cmd_entry {
	const char *name;
	const char *usage;   /* arguments after the name */
	const char *summary; /* one line for --help */
	/* Runs the command; ARGV[0] is the command name.  Returns an exit status. */
	int (*exec)(const struct cmd_globals *g, int argc, char **argv);
};

extern const struct cmd_entry cmd_list_entry;
extern const struct cmd_entry cmd_show_entry;
extern const struct cmd_entry cmd_due_entry;
extern const struct cmd_entry cmd_set_entry;
extern const struct cmd_entry cmd_note_entry;
extern const struct cmd_entry cmd_reply_entry;
extern const struct cmd_entry cmd_demo_entry;

/* The table, NULL-terminated, in the order --help lists them. */
extern const struct cmd_entry *const cmd_table[];

/* Prints "embargo: MSG" on stderr and returns EXIT_FAIL. */
int cmd_fail(const struct error *err);

/* Prints "embargo CMD: MSG" and the command's usage on stderr; returns EXIT_USAGE. */
int cmd_usage_error(const struct cmd_entry *cmd, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/*
 * Reports a getopt_long failure (C is ':' for a missing value, '?' for an
 * unknown option; the optstring must start with ":" and opterr be 0).
 */
int cmd_option_error(const struct cmd_entry *cmd, int c, char **argv);

/* Opens the session and refreshes cases from mail; prints warnings on stderr. NULL on failure (reported). */
struct app *cmd_open_app(const struct cmd_globals *g, int *status);

/* Prints the session's pending warnings on stderr (and forgets them). */
void cmd_print_warnings(struct app *app);

/* Prints the warnings that came up while the command ran, then closes. */
void cmd_close_app(struct app *app);

#endif
