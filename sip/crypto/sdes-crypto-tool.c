/* srtpsdes — sdes-crypto: generate and check RFC 4568 a=crypto lines
 *
 * Copyright (C) 2026 srtpsdes developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 *   sdes-crypto generate [--suite NAME] [--tag N] [--lifetime L] [--mki V:LEN] [--sdp]
 *   sdes-crypto parse LINE|-|@FILE   prints the redacted line(s) and fields
 *   sdes-crypto suites               prints the suite table
 *
 * `generate` is the one command that prints a key: it exists to make one.
 * `parse` never prints key bytes, only their length. A LINE on the command
 * line is visible to every user (ps); "-" reads the values from standard
 * input, "@FILE" from a file, one per line.
 */

#include "crypto-input.h"
#include "sdes-crypto.h"

#include <stdlib.h>
#include <locale.h>
#include <string.h>

#define USAGE \
  "usage: sdes-crypto generate [--suite NAME] [--tag N] [--lifetime L|2^n] " \
  "[--mki VALUE:LENGTH] [--sdp]\n" \
  "       sdes-crypto parse LINE | - | @FILE\n" \
  "       sdes-crypto suites\n" \
  "       sdes-crypto COMMAND --help\n"

static int
usage (void)
{
  g_printerr ("%s", USAGE);
  return 2;
}

static const gchar *
error_name (gint code)
{
  GEnumClass *klass = g_type_class_ref (SDES_TYPE_CRYPTO_ERROR);
  GEnumValue *v = g_enum_get_value (klass, code);
  const gchar *name = v ? v->value_name : "UNKNOWN";
  g_type_class_unref (klass);
  return name;
}

static int
cmd_suites (void)
{
  g_print ("%-26s %4s %4s %8s %9s  %s\n", "suite", "key", "salt", "SRTP tag", "SRTCP tag", "defined by");
  for (guint i = 0; i < SDES_CRYPTO_SUITE_N; i++) {
    const SdesCryptoSuiteInfo *s = sdes_crypto_suite_get_info (i);
    g_print ("%-26s %4u %4u %8u %9u  %s\n", s->name, s->key_len * 8, s->salt_len * 8,
             s->srtp_auth_tag_len * 8, s->srtcp_auth_tag_len * 8, s->reference);
  }
  return 0;
}

/* @where: NULL for a single value, else "value N" of the file or standard
 * input (the error never quotes the value). */
static int
parse_one (const gchar *line, const gchar *where)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (SdesCryptoAttr) attr = sdes_crypto_attr_parse (line, &error);
  g_autofree gchar *redacted = NULL;

  if (attr == NULL) {
    g_printerr ("error: %s%s%s: %s\n", where ? where : "", where ? ": " : "",
        error_name (error->code), error->message);
    return 1;
  }
  redacted = sdes_crypto_attr_format_redacted (attr);
  g_print ("a=crypto:%s\n", redacted);
  g_print ("tag: %u\nsuite: %s (%s)\n", attr->tag, sdes_crypto_suite_to_string (attr->suite),
           attr->suite_name);
  for (guint i = 0; i < attr->n_keys; i++) {
    const SdesKeyParam *k = &attr->keys[i];
    g_print ("key %u: %u bytes", i + 1, k->key_salt_len);
    if (k->lifetime)
      g_print (", lifetime %" G_GUINT64_FORMAT, k->lifetime);
    if (k->mki_length)
      g_print (", MKI %" G_GUINT64_FORMAT " (%u bytes)", k->mki_value, k->mki_length);
    g_print ("\n");
  }
  if (attr->kdr >= 0)
    g_print ("KDR: %d\n", attr->kdr);
  if (attr->unencrypted_srtp)
    g_print ("UNENCRYPTED_SRTP\n");
  if (attr->unencrypted_srtcp)
    g_print ("UNENCRYPTED_SRTCP\n");
  if (attr->unauthenticated_srtp)
    g_print ("UNAUTHENTICATED_SRTP\n");
  if (attr->wsh)
    g_print ("WSH: %" G_GUINT64_FORMAT "\n", attr->wsh);
  if (attr->n_fec_keys)
    g_print ("FEC keys: %u\n", attr->n_fec_keys);
  for (gchar **e = attr->extensions; e && *e; e++) {
    g_autofree gchar *safe = sdes_crypto_redact_extension (*e);
    g_print ("ignored optional parameter: %s\n", safe);
  }
  return 0;
}

static int
cmd_parse (int argc, char **argv)
{
  g_autoptr (GOptionContext) ctx = g_option_context_new ("LINE | - | @FILE");
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) values = NULL;
  int first = 1, status = 0;

  g_set_prgname ("sdes-crypto parse");
  g_option_context_set_summary (ctx,
      "Checks an a=crypto value (RFC 4568 §9.1) and prints its fields; never the key.\n"
      "LINE on the command line is visible to every user (ps): \"-\" reads the values\n"
      "from standard input, \"@FILE\" from FILE, one per line (blank lines and lines\n"
      "starting with # skipped). \"--\" ends the options.");
  if (!g_option_context_parse (ctx, &argc, &argv, &error)) {
    g_printerr ("sdes-crypto: %s\n", error->message);
    return 2;
  }
  /* GOption leaves a "--" that is followed by arguments. */
  if (argc > 1 && strcmp (argv[1], "--") == 0)
    first = 2;
  if (argc != first + 1) {
    g_printerr ("sdes-crypto: parse takes one LINE, - or @FILE (see sdes-crypto parse --help)\n");
    return 2;
  }
  if (!sdes_crypto_input_is_indirect (argv[first]))
    return parse_one (argv[first], NULL);

  values = sdes_crypto_input_read (argv[first], &error);
  if (values == NULL) {
    g_printerr ("sdes-crypto: %s\n", error->message);
    return 2;
  }
  for (guint i = 0; i < values->len; i++) {
    g_autofree gchar *where = g_strdup_printf ("value %u", i + 1);

    if (i > 0)
      g_print ("\n");
    if (parse_one (g_ptr_array_index (values, i), values->len > 1 ? where : NULL) != 0)
      status = 1;
  }
  return status;
}

static gboolean
parse_u64 (const gchar *s, guint64 *out)
{
  return g_ascii_string_to_unsigned (s, 10, 0, G_MAXUINT64, out, NULL);
}

static int
cmd_generate (int argc, char **argv)
{
  g_autofree gchar *suite_name = NULL, *lifetime_s = NULL, *mki_s = NULL;
  gint tag = 1;
  gboolean sdp = FALSE;
  GOptionEntry entries[] = {
    { "suite", 0, 0, G_OPTION_ARG_STRING, &suite_name, "crypto suite (default AES_CM_128_HMAC_SHA1_80)", "NAME" },
    { "tag", 0, 0, G_OPTION_ARG_INT, &tag, "tag (default 1)", "N" },
    { "lifetime", 0, 0, G_OPTION_ARG_STRING, &lifetime_s, "key lifetime, decimal or 2^n", "L" },
    { "mki", 0, 0, G_OPTION_ARG_STRING, &mki_s, "MKI value:length", "V:LEN" },
    { "sdp", 0, 0, G_OPTION_ARG_NONE, &sdp, "print as an SDP line (a=crypto:...)", NULL },
    { NULL }
  };
  g_autoptr (GOptionContext) ctx = g_option_context_new ("- make a fresh a=crypto value");
  g_autoptr (GError) error = NULL;
  g_autoptr (SdesCryptoAttr) attr = NULL;
  SdesCryptoSuite suite = SDES_CRYPTO_SUITE_AES_CM_128_HMAC_SHA1_80;
  guint64 lifetime = 0, mki_value = 0, mki_len = 0;
  gchar *line;

  g_set_prgname ("sdes-crypto generate");
  g_option_context_add_main_entries (ctx, entries, NULL);
  if (!g_option_context_parse (ctx, &argc, &argv, &error)) {
    g_printerr ("sdes-crypto: %s\n", error->message);
    return 2;
  }
  if (suite_name && !sdes_crypto_suite_from_name (suite_name, &suite)) {
    g_printerr ("sdes-crypto: unknown suite %s (see `sdes-crypto suites`)\n", suite_name);
    return 2;
  }
  if (lifetime_s) {
    guint64 e;
    if (g_str_has_prefix (lifetime_s, "2^") && parse_u64 (lifetime_s + 2, &e) && e < 64)
      lifetime = G_GUINT64_CONSTANT (1) << e;
    else if (!parse_u64 (lifetime_s, &lifetime)) {
      g_printerr ("sdes-crypto: bad lifetime %s\n", lifetime_s);
      return 2;
    }
  }
  if (mki_s) {
    g_auto (GStrv) parts = g_strsplit (mki_s, ":", 2);
    if (g_strv_length (parts) != 2 || !parse_u64 (parts[0], &mki_value)
        || !parse_u64 (parts[1], &mki_len) || mki_len == 0 || mki_len > 128) {
      g_printerr ("sdes-crypto: bad MKI %s (want VALUE:LENGTH, length 1..128)\n", mki_s);
      return 2;
    }
  }
  if (tag < 0) {
    g_printerr ("sdes-crypto: bad tag %d\n", tag);
    return 2;
  }
  attr = sdes_crypto_attr_generate (suite, (guint32) tag, lifetime, (guint) mki_len, mki_value, &error);
  if (attr == NULL) {
    g_printerr ("sdes-crypto: %s: %s\n", error_name (error->code), error->message);
    return 1;
  }
  line = sdes_crypto_attr_format (attr);
  g_print ("%s%s\n", sdp ? "a=crypto:" : "", line);
  sdes_crypto_free_secret (line);
  return 0;
}

int
main (int argc, char **argv)
{
  setlocale (LC_ALL, "");
  if (argc < 2)
    return usage ();
  if (strcmp (argv[1], "--help") == 0 || strcmp (argv[1], "-h") == 0 ||
      strcmp (argv[1], "help") == 0) {
    g_print ("%s", USAGE);
    return 0;
  }
  if (strcmp (argv[1], "generate") == 0)
    return cmd_generate (argc - 1, argv + 1);
  if (strcmp (argv[1], "parse") == 0)
    return cmd_parse (argc - 1, argv + 1);
  if (strcmp (argv[1], "suites") == 0)
    return cmd_suites ();
  return usage ();
}
