/*
 * nusec: every NuSEC station flow, headless.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <locale.h>
#include <stdio.h>

#include "nusec-cli.h"
#include "nusec-error.h"

static const NuSecCliGroup *nusec_groups[] = {
    &nusec_image_group,
    &nusec_key_group,
    NULL,
};

static void
nusec_usage(FILE *out)
{
	fprintf(out, "Usage: nusec GROUP COMMAND [OPTION…]\n\nGroups:\n");
	for (guint i = 0; nusec_groups[i] != NULL; i++) {
		const NuSecCliGroup *group = nusec_groups[i];
		for (guint j = 0; group->commands[j].name != NULL; j++) {
			g_autofree gchar *name =
			    g_strdup_printf("%s %s", group->name, group->commands[j].name);
			fprintf(out, "  %-24s %s\n", name, group->commands[j].summary);
		}
	}
	fprintf(out, "\nRun 'nusec GROUP COMMAND --help' for a command's options.\n");
}

static gint
nusec_exit_code(const GError *error)
{
	if (error->domain == G_OPTION_ERROR)
		return NUSEC_EXIT_USAGE;
	if (error->domain == NUSEC_ERROR && error->code == NUSEC_ERROR_INVALID_ARGUMENT)
		return NUSEC_EXIT_USAGE;
	if (error->domain == NUSEC_ERROR && error->code == NUSEC_ERROR_INTERNAL)
		return NUSEC_EXIT_INTERNAL;
	return NUSEC_EXIT_FAILED;
}

int
main(int argc, char **argv)
{
	const NuSecCliGroup *group = NULL;
	const NuSecCliCommand *command = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree gchar *prgname = NULL;

	setlocale(LC_ALL, "");
	if (argc < 2 || g_strcmp0(argv[1], "--help") == 0 || g_strcmp0(argv[1], "-h") == 0) {
		nusec_usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? NUSEC_EXIT_USAGE : NUSEC_EXIT_OK;
	}
	for (guint i = 0; nusec_groups[i] != NULL; i++) {
		if (g_strcmp0(nusec_groups[i]->name, argv[1]) == 0)
			group = nusec_groups[i];
	}
	if (group == NULL) {
		fprintf(stderr, "nusec: unknown group '%s'\n\n", argv[1]);
		nusec_usage(stderr);
		return NUSEC_EXIT_USAGE;
	}
	for (guint j = 0; argc >= 3 && group->commands[j].name != NULL; j++) {
		if (g_strcmp0(group->commands[j].name, argv[2]) == 0)
			command = &group->commands[j];
	}
	if (command == NULL) {
		if (argc >= 3)
			fprintf(stderr, "nusec: unknown command '%s %s'\n\n", argv[1], argv[2]);
		nusec_usage(stderr);
		return NUSEC_EXIT_USAGE;
	}
	prgname = g_strdup_printf("nusec %s %s", group->name, command->name);
	g_set_prgname(prgname);
	argv[2] = prgname;
	if (!command->run(argc - 2, argv + 2, &error)) {
		fprintf(stderr, "%s: %s\n", prgname, error->message);
		return nusec_exit_code(error);
	}
	return NUSEC_EXIT_OK;
}
