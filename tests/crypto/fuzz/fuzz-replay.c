/* srtpsdes — runs the fuzz target over files without libFuzzer
 *
 * Copyright (C) 2026 srtpsdes developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Lets gcc, ASan/UBSan and valgrind builds replay the seed corpus and crash
 * reproducers as an ordinary test: fuzz-replay FILE|DIR... (a directory's
 * files are replayed in name order, so a corpus grown by scripts/fuzz.sh is
 * replayed whole without listing it).
 */

#include <stdint.h>
#include <stdio.h>

#include <glib.h>

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);
/* Optional in a target, as with libFuzzer. */
int LLVMFuzzerInitialize (int *argc, char ***argv) __attribute__ ((weak));

static gboolean
replay_file (const gchar *path)
{
  g_autoptr(GError) error = NULL;
  g_autofree gchar *contents = NULL;
  gsize len = 0;

  if (!g_file_get_contents (path, &contents, &len, &error)) {
    fprintf (stderr, "%s\n", error->message);
    return FALSE;
  }
  LLVMFuzzerTestOneInput ((const uint8_t *) contents, len);
  return TRUE;
}

static gint
compare_names (gconstpointer a, gconstpointer b)
{
  return g_strcmp0 (*(const gchar *const *) a, *(const gchar *const *) b);
}

/* Replays every regular file of @dir; -1 on error, else the count. */
static gint
replay_dir (const gchar *dir)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GDir) d = g_dir_open (dir, 0, &error);
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  const gchar *name;
  gint n = 0;

  if (d == NULL) {
    fprintf (stderr, "%s\n", error->message);
    return -1;
  }
  while ((name = g_dir_read_name (d)) != NULL)
    g_ptr_array_add (names, g_build_filename (dir, name, NULL));
  g_ptr_array_sort (names, compare_names);
  for (guint i = 0; i < names->len; i++) {
    const gchar *path = g_ptr_array_index (names, i);

    if (!g_file_test (path, G_FILE_TEST_IS_REGULAR))
      continue;
    if (!replay_file (path))
      return -1;
    n++;
  }
  return n;
}

int
main (int argc, char **argv)
{
  gint n = 0;

  if (LLVMFuzzerInitialize != NULL)
    LLVMFuzzerInitialize (&argc, &argv);
  for (int i = 1; i < argc; i++) {
    if (g_file_test (argv[i], G_FILE_TEST_IS_DIR)) {
      gint k = replay_dir (argv[i]);

      if (k < 0)
        return 1;
      n += k;
    } else {
      if (!replay_file (argv[i]))
        return 1;
      n++;
    }
  }
  printf ("replayed %d inputs\n", n);
  return 0;
}
