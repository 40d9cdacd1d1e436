/*
 * tests/fuzz/regress.c: runs a fuzz harness (built with gcc, no libFuzzer)
 * over its regression inputs and seeds, one TAP line per file, so every
 * crash once found stays fixed under `make check` (and valgrind).
 */
#include "build-config.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "tests/fuzz/fuzz.h"

#ifndef FUZZ_NAME
#error FUZZ_NAME must name the harness (sanitize, mime, config, clock)
#endif

static int n_tests;

static int
path_cmp(gconstpointer a, gconstpointer b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every regular file under DIR (recursively) whose name ends in SUFFIX ("" for all). */
static void
collect(const char *dir, const char *suffix, GPtrArray *files)
{
	GDir *d = g_dir_open(dir, 0, NULL);
	const char *name;

	if (d == NULL)
		return;
	while ((name = g_dir_read_name(d)) != NULL) {
		char *p = g_build_filename(dir, name, NULL);

		if (name[0] == '.')
			g_free(p);
		else if (g_file_test(p, G_FILE_TEST_IS_DIR)) {
			collect(p, suffix, files);
			g_free(p);
		} else if (g_file_test(p, G_FILE_TEST_IS_REGULAR) &&
		    g_str_has_suffix(name, suffix))
			g_ptr_array_add(files, p);
		else
			g_free(p);
	}
	g_dir_close(d);
}

static void
run_file(const char *top, const char *path)
{
	gchar *data = NULL;
	gsize len = 0;
	GError *gerr = NULL;

	n_tests++;
	if (!g_file_get_contents(path, &data, &len, &gerr)) {
		printf("not ok %d - %s: cannot read: %s\n", n_tests, path, gerr->message);
		g_error_free(gerr);
		return;
	}
	/* A crash or an abort here ends the run: the plan then does not match. */
	LLVMFuzzerTestOneInput((const uint8_t *)data, len);
	if (*top != '\0' && g_str_has_prefix(path, top) && path[strlen(top)] == '/')
		path += strlen(top) + 1;
	printf("ok %d - %s\n", n_tests, path);
	fflush(stdout);
	g_free(data);
}

int
main(int argc, char **argv)
{
	const char *top = getenv("top_srcdir");
	GPtrArray *files = g_ptr_array_new_with_free_func(g_free);
	char *dir;

	if (top == NULL || *top == '\0')
		top = FUZZ_TOP_SRCDIR;
	if (argc > 1) {
		for (int i = 1; i < argc; i++)
			collect(argv[i], "", files);
	} else {
		/* The regression inputs, the seeds, and for the message path the hostile corpus. */
		dir = g_build_filename(top, "tests", "fuzz", "regress", FUZZ_NAME, NULL);
		collect(dir, "", files);
		g_free(dir);
		dir = g_build_filename(top, "tests", "fuzz", "corpus", FUZZ_NAME, NULL);
		collect(dir, "", files);
		g_free(dir);
		if (strcmp(FUZZ_NAME, "mime") == 0) {
			dir = g_build_filename(top, "tests", "hostile", NULL);
			collect(dir, ".eml", files);
			g_free(dir);
		}
	}
	g_ptr_array_sort(files, path_cmp);
	if (files->len == 0) {
		/* The seeds are part of the source: none found means a wrong top_srcdir. */
		printf("1..1\nnot ok 1 - no inputs for %s under %s/tests/fuzz\n", FUZZ_NAME, top);
		g_ptr_array_unref(files);
		return 1;
	}
	printf("1..%u\n", files->len);
	for (guint i = 0; i < files->len; i++)
		run_file(argc > 1 ? "" : top, files->pdata[i]);
	g_ptr_array_unref(files);
	return 0;
}
