/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "nusec-test-corpus.h"

GBytes *
nusec_test_load(const gchar *path)
{
	g_autoptr(GError) error = NULL;
	gchar *data = NULL;
	gsize len = 0;

	g_file_get_contents(path, &data, &len, &error);
	g_assert_no_error(error);
	return g_bytes_new_take(data, len);
}

static GBytes *
nusec_test_corpus_load(const gchar *dir, const gchar *name)
{
	g_autofree gchar *path = g_build_filename(dir, name, NULL);
	return nusec_test_load(path);
}

void
nusec_test_corpus_check(const NuSecTestCorpus *corpus)
{
	g_autofree gchar *dir =
	    g_test_build_filename(G_TEST_DIST, corpus->component, "corpus", NULL);
	g_autoptr(GBytes) listing = nusec_test_corpus_load(dir, "expected.txt");
	g_autofree gchar *text =
	    g_strndup(g_bytes_get_data(listing, NULL), g_bytes_get_size(listing));
	g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
	g_autoptr(GHashTable) listed = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	g_autoptr(GError) error = NULL;
	g_autoptr(GDir) d = NULL;
	guint required = corpus->n_columns_required ? corpus->n_columns_required
						    : corpus->n_columns;
	guint accepted = 0;
	guint rejected = 0;
	const gchar *name;

	g_assert_cmpuint(corpus->n_columns, >=, 1);
	g_assert_cmpuint(corpus->n_columns, <=, NUSEC_TEST_CORPUS_COLUMNS_MAX);
	g_assert_cmpuint(required, <=, corpus->n_columns);
	g_assert_true(required == corpus->n_columns || corpus->omitted_status != NULL);
	for (guint i = 0; lines[i] != NULL; i++) {
		g_auto(GStrv) fields = NULL;
		g_autoptr(GBytes) data = NULL;
		g_autoptr(GString) msg = NULL;
		const gchar *got[NUSEC_TEST_CORPUS_COLUMNS_MAX] = {NULL};
		guint n_fields;

		g_strstrip(lines[i]);
		if (lines[i][0] == '\0' || lines[i][0] == '#')
			continue;
		fields = g_strsplit_set(lines[i], " \t", -1);
		n_fields = g_strv_length(fields);
		if (n_fields < 1 + required || n_fields > 1 + corpus->n_columns)
			g_error("expected.txt line %u: %u fields, expected %u to %u",
				i + 1,
				n_fields,
				1 + required,
				1 + corpus->n_columns);
		data = nusec_test_corpus_load(dir, fields[0]);
		if (corpus->run(data, got, corpus->user_data))
			accepted++;
		else
			rejected++;
		msg = g_string_new(fields[0]);
		for (guint c = 0; c < corpus->n_columns; c++)
			g_string_append_printf(msg, " %s", got[c]);
		g_test_message("%s", msg->str);
		for (guint c = 0; c < corpus->n_columns; c++) {
			const gchar *want = 1 + c < n_fields ? fields[1 + c]
							     : corpus->omitted_status;
			if (g_strcmp0(got[c], want) != 0)
				g_error("corpus file %s, column %u: got %s, expected %s",
					fields[0],
					c + 1,
					got[c],
					want);
		}
		g_hash_table_add(listed, g_strdup(fields[0]));
	}
	g_assert_cmpuint(g_hash_table_size(listed), >=, corpus->min_files);
	g_assert_cmpuint(accepted, >=, corpus->min_accepted);
	g_assert_cmpuint(rejected, >=, corpus->min_rejected);
	if (corpus->all_rejected)
		g_assert_cmpuint(accepted, ==, 0);

	/* and no corpus file goes without an expectation */
	d = g_dir_open(dir, 0, &error);
	g_assert_no_error(error);
	while ((name = g_dir_read_name(d)) != NULL) {
		if (g_strcmp0(name, "expected.txt") == 0)
			continue;
		if (!g_hash_table_contains(listed, name))
			g_error("corpus file %s is not listed in expected.txt", name);
	}
}
