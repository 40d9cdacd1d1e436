/* tests/fuzz/fuzz_config.c: any bytes as the config file (config_load reads a path: a temp file per process). */
#include "build-config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <glib.h>

#include "core/config.h"
#include "tests/fuzz/fuzz.h"

static char *path;

static void
remove_file(void)
{
	if (path != NULL)
		unlink(path);
}

static void
ignore_warning(void *arg, const char *msg)
{
	(void)arg;
	if (!g_utf8_validate(msg, -1, NULL))
		fuzz_fail("a config warning is not valid UTF-8");
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct config *cfg = NULL;
	struct error err = { { 0 } };
	FILE *fp;

	if (path == NULL) {
		int fd;

		path = g_build_filename(g_get_tmp_dir(), "embargo-fuzz-config.XXXXXX", NULL);
		if ((fd = g_mkstemp(path)) < 0)
			fuzz_fail("cannot create a temp file");
		close(fd);
		atexit(remove_file);
	}
	if ((fp = fopen(path, "wb")) == NULL)
		fuzz_fail("cannot write the temp file");
	if (size > 0 && fwrite(data, 1, size, fp) != size)
		fuzz_fail("cannot write the temp file");
	if (fclose(fp) != 0)
		fuzz_fail("cannot write the temp file");

	if (config_load(path, ignore_warning, NULL, &cfg, &err) != 0) {
		if (err.msg[0] == '\0')
			fuzz_fail("config_load() failed without a message");
		return 0;
	}
	if (cfg->handlers == NULL || cfg->holidays == NULL)
		fuzz_fail("config lists must never be NULL");
	if (cfg->ack <= 0 || cfg->response <= 0 || cfg->update <= 0)
		fuzz_fail("a policy duration is not positive");
	for (size_t i = 0; i < cfg->n_handlers; i++) {
		if (cfg->handlers[i] == NULL)
			fuzz_fail("n_handlers counts past the list");
		config_is_handler(cfg, cfg->handlers[i]);
	}
	config_free(cfg);
	return 0;
}
