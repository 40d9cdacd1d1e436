/* tui/main.c: main(): global options, then the subcommand (or the TUI). */
#include "build-config.h"

#include <locale.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include "core/config.h"
#include "keys/keymap.h"
#include "tui/cmd.h"
#include "tui/tui.h"

static void
usage(FILE *fp)
{
	fprintf(fp,
	    "usage: embargo [--config FILE] [COMMAND [ARGS]]\n"
	    "\n"
	    "Without a command, embargo opens its interactive interface.\n"
	    "Track vulnerability reports that arrive by mail: a case per notmuch\n"
	    "thread, with the deadlines the disclosure policy promises.\n"
	    "\n"
	    "Commands:\n");
	for (const struct cmd_entry *const *c = cmd_table; *c; c++)
		fprintf(fp, "  %-6s %s\n          %s\n", (*c)->name, (*c)->usage,
		    (*c)->summary);
	fprintf(fp,
	    "\n"
	    "Options:\n"
	    "  --config FILE  the config file (default $EMBARGO_CONFIG, then\n"
	    "                 $XDG_CONFIG_HOME/embargo/config)\n"
	    "  --help         this help\n"
	    "  --help-keys    the default key bindings of the interface\n"
	    "  --help-config-keys\n"
	    "                 every config key, as group.key, one a line\n"
	    "  --version      the version\n"
	    "\n"
	    "CASE is a case id, its ref, or thread:ID.  Exit status: 0 success,\n"
	    "1 failure, 2 bad usage, 3 (due) something is overdue.\n"
	    "See embargo(1) and embargo-config(5).  Report bugs to <%s>.\n",
	    PACKAGE_BUGREPORT);
}

static void
version(void)
{
	printf("embargo %s\n"
	    "Copyright (C) 2026 the embargo developers.\n"
	    "License: MIT.  This is free software: you are free to change and\n"
	    "redistribute it.  There is NO WARRANTY, to the extent permitted by law.\n",
	    PACKAGE_VERSION);
}

/*
 * Plaintext must never rest on disk: files we create are private, and a
 * crash must not leave a core dump holding decrypted mail.
 */
static void
harden(void)
{
	struct rlimit rl = {0, 0};

	umask(077);
	setrlimit(RLIMIT_CORE, &rl);
}

int
main(int argc, char **argv)
{
	struct cmd_globals g = {0};
	int i;

	setlocale(LC_ALL, "");
	harden();

	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		const char *a = argv[i];

		if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			usage(stdout);
			return EXIT_OK;
		} else if (strcmp(a, "--version") == 0 ||
		    strcmp(a, "-V") == 0) {
			version();
			return EXIT_OK;
		} else if (strcmp(a, "--help-config-keys") == 0) {
			size_t n;
			const struct config_key_info *keys = config_keys(&n);

			for (size_t k = 0; k < n; k++)
				printf("%s.%s\n", keys[k].group, keys[k].key);
			return EXIT_OK;
		} else if (strcmp(a, "--help-keys") == 0 ||
		    strcmp(a, "--help-keys=text") == 0 ||
		    strcmp(a, "--help-keys=mdoc") == 0) {
			struct keymap *km = keymap_new();

			if (strcmp(a, "--help-keys=mdoc") == 0)
				keymap_print_mdoc(stdout, km);
			else
				keymap_print_text(stdout, km);
			keymap_free(km);
			return EXIT_OK;
		} else if (strcmp(a, "--config") == 0) {
			if (i + 1 >= argc) {
				fprintf(stderr, "embargo: --config needs a file name\n");
				return EXIT_USAGE;
			}
			g.config_path = argv[++i];
		} else if (strncmp(a, "--config=", 9) == 0) {
			g.config_path = a + 9;
		} else if (strcmp(a, "--") == 0) {
			i++;
			break;
		} else {
			fprintf(stderr, "embargo: unknown option %s\n", a);
			usage(stderr);
			return EXIT_USAGE;
		}
	}

	if (i >= argc)
		return tui_run(&g);
	for (const struct cmd_entry *const *c = cmd_table; *c; c++)
		if (strcmp((*c)->name, argv[i]) == 0)
			return (*c)->exec(&g, argc - i, argv + i);
	fprintf(stderr, "embargo: unknown command \"%s\" (embargo --help lists them)\n",
	    argv[i]);
	return EXIT_USAGE;
}
