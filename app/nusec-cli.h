/*
 * The nusec CLI's command table: each group (image, programmer, order, ...) lives in its
 * own folder and exports one NuSecCliGroup.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <glib.h>

typedef struct {
	const gchar *name;
	const gchar *summary;
	/* argv[0] is "nusec GROUP COMMAND"; returns FALSE with @error set on failure */
	gboolean (*run)(gint argc, gchar **argv, GError **error);
} NuSecCliCommand;

typedef struct {
	const gchar *name;
	const gchar *summary;
	const NuSecCliCommand *commands; /* terminated by an entry with name == NULL */
} NuSecCliGroup;

/* exit codes, documented in docs/cli.md */
#define NUSEC_EXIT_OK 0
#define NUSEC_EXIT_FAILED                                                                          \
	1		      /* the operation ran and failed: a rejected image, a refused request \
			       */
#define NUSEC_EXIT_USAGE    2 /* bad command line */
#define NUSEC_EXIT_INTERNAL 3 /* a bug or an unexpected library failure */

extern const NuSecCliGroup nusec_image_group;
extern const NuSecCliGroup nusec_key_group;
