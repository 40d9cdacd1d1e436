/* tui/cmd-list.c: `embargo list`: the open cases, most urgent first. */
#include "build-config.h"

#include <getopt.h>
#include <stdio.h>

#include "core/app.h"
#include "core/format.h"
#include "tui/cmd.h"

static int
cmd_list_exec(const struct cmd_globals *g, int argc, char **argv)
{
	static const struct option opts[] = {
		{"all", no_argument, NULL, 'a'},
		{"format", required_argument, NULL, 'f'},
		{NULL, 0, NULL, 0},
	};
	enum format_kind fmt = FORMAT_TEXT;
	struct error err = {{0}};
	bool all = false;
	struct app *app;
	GPtrArray *cases;
	int c, status = EXIT_OK;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
		switch (c) {
		case 'a':
			all = true;
			break;
		case 'f':
			if (format_parse(optarg, &fmt, &err) != 0)
				return cmd_usage_error(&cmd_list_entry, "%s",
				    err.msg);
			break;
		default:
			return cmd_option_error(&cmd_list_entry, c, argv);
		}
	}
	if (optind != argc)
		return cmd_usage_error(&cmd_list_entry,
		    "unexpected argument \"%s\"", argv[optind]);

	if ((app = cmd_open_app(g, &status)) == NULL)
		return status;
	if (app_cases(app, all, &cases, &err) != 0)
		status = cmd_fail(&err);
	else {
		format_cases(stdout, fmt, app, cases);
		g_ptr_array_unref(cases);
	}
	cmd_close_app(app);
	return status;
}

const struct cmd_entry cmd_list_entry = {
	.name = "list",
	.usage = "[--all] [--format=text|json]",
	.summary = "open cases, most urgent first (--all: closed ones too)",
	.exec = cmd_list_exec,
};
