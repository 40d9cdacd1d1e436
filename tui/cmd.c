/* tui/cmd.c: the command table and what every command shares (errors, usage, opening the session). */
#include "build-config.h"

#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>

#include "core/app.h"
#include "core/sanitize.h"
#include "tui/cmd.h"

const struct cmd_entry *const cmd_table[] = {
	&cmd_list_entry,
	&cmd_show_entry,
	&cmd_due_entry,
	&cmd_set_entry,
	&cmd_note_entry,
	&cmd_reply_entry,
	&cmd_demo_entry,
	NULL,
};

/*
 * Messages are made by embargo but may quote what mail or a file said:
 * they pass through sanitize like everything else that reaches a terminal.
 */
static void
print_safe(const char *prefix, const char *msg)
{
	char *safe = sanitize_text(msg, -1, SAN_LINE);

	fprintf(stderr, "embargo: %s%s\n", prefix, safe);
	g_free(safe);
}

int
cmd_fail(const struct error *err)
{
	print_safe("", err->msg);
	return EXIT_FAIL;
}

int
cmd_usage_error(const struct cmd_entry *cmd, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "embargo %s: ", cmd->name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nusage: embargo %s %s\n", cmd->name, cmd->usage);
	return EXIT_USAGE;
}

int
cmd_option_error(const struct cmd_entry *cmd, int c, char **argv)
{
	const char *opt = optind > 0 ? argv[optind - 1] : "?";

	if (c == ':')
		return cmd_usage_error(cmd, "option %s needs a value", opt);
	return cmd_usage_error(cmd, "unknown option %s", opt);
}

struct app *
cmd_open_app(const struct cmd_globals *g, int *status)
{
	struct error err = {{0}};
	struct app *app;

	if (app_open(g->config_path, &app, &err) != 0) {
		*status = cmd_fail(&err);
		return NULL;
	}
	if (app_refresh(app, &err) != 0) {
		app_close(app);
		*status = cmd_fail(&err);
		return NULL;
	}
	cmd_print_warnings(app);
	return app;
}

void
cmd_print_warnings(struct app *app)
{
	for (guint i = 0; i < app->warnings->len; i++)
		print_safe("warning: ", app->warnings->pdata[i]);
	g_ptr_array_set_size(app->warnings, 0);
}

void
cmd_close_app(struct app *app)
{
	cmd_print_warnings(app);
	app_close(app);
}
