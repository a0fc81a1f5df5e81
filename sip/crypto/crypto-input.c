/* srtpsdes — a=crypto values for the command-line tools from stdin or a file
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "crypto-input.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "sdes-crypto.h"

/**
 * sdes_crypto_input_is_indirect:
 * @arg: a command-line value
 *
 * Returns: %TRUE when @arg names where to read values ("-" or "@FILE")
 *   rather than being one.
 */
gboolean
sdes_crypto_input_is_indirect (const gchar *arg)
{
  return g_strcmp0 (arg, "-") == 0 || (arg != NULL && arg[0] == '@');
}

/* Reads all of @f into one buffer allocated once, so that no copy of the
 * key text is left behind by a reallocation. */
static gchar *
read_all (FILE *f, const gchar *name, GError **error)
{
  gchar *buf = g_malloc (SDES_CRYPTO_INPUT_MAX + 1);
  gsize n = 0, got;

  while (n < SDES_CRYPTO_INPUT_MAX + 1 &&
      (got = fread (buf + n, 1, SDES_CRYPTO_INPUT_MAX + 1 - n, f)) > 0)
    n += got;
  if (ferror (f)) {
    int saved = errno;

    g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved), "%s: %s", name,
        g_strerror (saved));
  } else if (n > SDES_CRYPTO_INPUT_MAX) {
    g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_INVAL, "%s: more than %u bytes", name,
        SDES_CRYPTO_INPUT_MAX);
  } else if (memchr (buf, '\0', n) != NULL) {
    g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_INVAL, "%s: not text (a NUL byte)", name);
  } else {
    buf[n] = '\0';
    return buf;
  }
  sdes_crypto_wipe (buf, SDES_CRYPTO_INPUT_MAX + 1);
  g_free (buf);
  return NULL;
}

/**
 * sdes_crypto_input_read:
 * @arg: "-" for standard input, "@PATH" for the file PATH
 * @error: a #GFileError: the file cannot be opened or read, holds more
 *   than %SDES_CRYPTO_INPUT_MAX bytes or a NUL byte, or no value
 *
 * One value per line; CR line ends, blank lines and lines starting with
 * '#' are skipped, surrounding blanks trimmed. The values are not parsed
 * here (the caller's parser reports, by line number, never by text).
 *
 * Returns: (transfer full) (nullable): the values (key material: the array
 *   wipes them when freed).
 */
GPtrArray *
sdes_crypto_input_read (const gchar *arg, GError **error)
{
  g_autofree gchar *name = NULL;
  GPtrArray *values;
  gchar *text, *line, *next;
  FILE *f;

  g_return_val_if_fail (sdes_crypto_input_is_indirect (arg), NULL);
  if (g_str_equal (arg, "-")) {
    name = g_strdup ("standard input");
    f = stdin;
  } else {
    name = g_strdup (arg + 1);
    f = fopen (name, "re");
    if (f == NULL) {
      int saved = errno;

      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved), "%s: %s", name,
          g_strerror (saved));
      return NULL;
    }
  }
  text = read_all (f, name, error);
  if (f != stdin)
    fclose (f);
  if (text == NULL)
    return NULL;

  values = g_ptr_array_new_with_free_func ((GDestroyNotify) sdes_crypto_free_secret);
  for (line = text; line != NULL; line = next) {
    next = strchr (line, '\n');
    if (next != NULL)
      *next++ = '\0';
    g_strstrip (line);
    if (line[0] != '\0' && line[0] != '#')
      g_ptr_array_add (values, g_strdup (line));
  }
  sdes_crypto_wipe (text, SDES_CRYPTO_INPUT_MAX + 1);
  g_free (text);
  if (values->len == 0) {
    g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_INVAL, "%s: no a=crypto value in it", name);
    g_ptr_array_unref (values);
    return NULL;
  }
  return values;
}
