/* srtpsdes — libFuzzer target for the a=crypto parser
 *
 * Copyright (C) 2026 srtpsdes developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Input: arbitrary bytes, parsed as one NUL-terminated string. When the parser
 * accepts it, the attribute must survive format → parse unchanged, format must
 * be a fixed point, and neither the redacted form nor sdes_crypto_redact_text()
 * of the formatted line may contain the key base64. Any mismatch abort()s.
 */

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sdes-crypto.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static void
fail (const char *what)
{
  /* never print the input: it may hold key text; the reproducer file has it */
  fprintf (stderr, "fuzz-crypto-attr: %s\n", what);
  abort ();
}

/* An ignorable "-" parameter is echoed verbatim; when it holds the key's
 * base64 without "inline:" in front, no redactor can know it is a key. Blank
 * such extensions out of @text before looking for keys. With
 * FUZZ_CRYPTO_IGNORE_EXTENSIONS set, blank every extension (to look for other
 * bugs while the "inline:" in extensions one is open). */
static gchar *
blank_extensions (const SdesCryptoAttr *attr, const gchar *text)
{
  gchar *copy = g_strdup (text);
  gboolean all = g_getenv ("FUZZ_CRYPTO_IGNORE_EXTENSIONS") != NULL;

  for (gchar **e = attr->extensions; e != NULL && *e != NULL; e++) {
    gchar *at;

    if (!all && strcasestr (*e, "inline:") != NULL)
      continue;
    if ((at = strstr (copy, *e)) != NULL) {
      memset (at, '#', strlen (*e));
    } else {
      /* in sdes_crypto_redact_text() output the extension is redacted too */
      g_autofree gchar *redacted = sdes_crypto_redact_text (*e);

      if ((at = strstr (copy, redacted)) != NULL)
        memset (at, '#', strlen (redacted));
    }
  }
  return copy;
}

static void
check_keys_absent (const SdesCryptoAttr *attr, const gchar *output, const char *what)
{
  g_autofree gchar *text = blank_extensions (attr, output);

  for (guint k = 0; k < attr->n_keys + attr->n_fec_keys; k++) {
    const SdesKeyParam *kp = k < attr->n_keys ? &attr->keys[k] : &attr->fec_keys[k - attr->n_keys];
    g_autofree gchar *b64 = g_base64_encode (kp->key_salt, kp->key_salt_len);

    if (b64[0] != '\0' && strstr (text, b64) != NULL)
      fail (what);
  }
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autofree gchar *text = g_strndup ((const gchar *) data, size);
  g_autoptr(GError) error = NULL;
  g_autoptr(SdesCryptoAttr) attr = sdes_crypto_attr_parse (text, &error);
  g_autofree gchar *formatted = NULL;
  g_autofree gchar *formatted2 = NULL;
  g_autofree gchar *redacted = NULL;
  g_autofree gchar *redacted_text = NULL;
  g_autoptr(SdesCryptoAttr) again = NULL;
  g_autoptr(SdesCryptoAttr) copy = NULL;
  g_autoptr(GError) error2 = NULL;

  if (attr == NULL) {
    if (error == NULL || error->domain != SDES_CRYPTO_ERROR || error->message == NULL)
      fail ("parse failed without an SDES_CRYPTO_ERROR");
    return 0;
  }
  if (error != NULL)
    fail ("parse returned an attribute and an error");

  formatted = sdes_crypto_attr_format (attr);
  again = sdes_crypto_attr_parse (formatted, &error2);
  if (again == NULL)
    fail ("format() output does not parse");
  if (!sdes_crypto_attr_equal (attr, again))
    fail ("parse(format(x)) != x");
  if (!sdes_crypto_attr_same_keys (attr, again))
    fail ("parse(format(x)) has other keys");
  formatted2 = sdes_crypto_attr_format (again);
  if (strcmp (formatted, formatted2) != 0)
    fail ("format(parse(format(x))) != format(x)");

  copy = sdes_crypto_attr_copy (attr);
  if (!sdes_crypto_attr_equal (attr, copy))
    fail ("copy differs");

  redacted = sdes_crypto_attr_format_redacted (attr);
  check_keys_absent (attr, redacted, "format_redacted() leaks key text");
  redacted_text = sdes_crypto_redact_text (formatted);
  check_keys_absent (attr, redacted_text, "redact_text(format(x)) leaks key text");
  return 0;
}
