/*
 * The bad-input corpus check shared by the component tests: every file of
 * tests/<component>/corpus is listed in corpus/expected.txt and gives there the status name(s)
 * the parser must return for it.
 *
 * expected.txt: one line per file, "<file> <STATUS> [<STATUS>...]" separated by spaces or tabs;
 * blank lines and lines starting with '#' are skipped.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <glib.h>

/* the most status columns a line may have after the file name */
#define NUSEC_TEST_CORPUS_COLUMNS_MAX 4

/*
 * Runs the parser over the contents of one corpus file and sets got[i] to the name of the
 * status it gave for expectation column i (one per column, static strings). Returns TRUE when
 * the parser accepted the input, FALSE when it rejected it.
 */
typedef gboolean (*NuSecTestCorpusRunFunc)(GBytes *data, const gchar **got, gpointer user_data);

typedef struct {
	/* the folder: tests/<component>/corpus */
	const gchar *component;
	/* status columns after the file name */
	guint n_columns;
	/* of those, how many a line must give (0: all); a trailing column left out expects
	 * omitted_status */
	guint n_columns_required;
	const gchar *omitted_status;
	/* at least this many files listed, accepted and rejected */
	guint min_files;
	guint min_accepted;
	guint min_rejected;
	/* every listed file must be rejected */
	gboolean all_rejected;
	NuSecTestCorpusRunFunc run;
	gpointer user_data;
} NuSecTestCorpus;

/* the contents of a file the test needs (fails the test when it cannot be read) */
GBytes *
nusec_test_load(const gchar *path);

/* checks every line of expected.txt against the parser and that no corpus file is unlisted */
void
nusec_test_corpus_check(const NuSecTestCorpus *corpus);
