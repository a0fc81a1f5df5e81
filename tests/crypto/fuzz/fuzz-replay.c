/* srtpsdes — runs the fuzz target over files without libFuzzer
 *
 * Copyright (C) 2026 srtpsdes developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Lets gcc, ASan/UBSan and valgrind builds replay the seed corpus and crash
 * reproducers as an ordinary test: fuzz-replay FILE...
 */

#include <stdint.h>
#include <stdio.h>

#include <glib.h>

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
main (int argc, char **argv)
{
  for (int i = 1; i < argc; i++) {
    g_autoptr(GError) error = NULL;
    g_autofree gchar *contents = NULL;
    gsize len = 0;

    if (!g_file_get_contents (argv[i], &contents, &len, &error)) {
      fprintf (stderr, "%s\n", error->message);
      return 1;
    }
    LLVMFuzzerTestOneInput ((const uint8_t *) contents, len);
  }
  printf ("replayed %d inputs\n", argc - 1);
  return 0;
}
