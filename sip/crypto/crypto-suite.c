/* srtpsdes — the SRTP crypto-suite table
 *
 * Copyright (C) 2026 srtpsdes developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "sdes-crypto.h"

#include <string.h>

#define LIFETIME_SRTP (G_GUINT64_CONSTANT (1) << 48)
#define LIFETIME_SRTCP (G_GUINT64_CONSTANT (1) << 31)

/* The one suite table of srtpsdes. Lengths in bytes.
 * RFC 4568 §6.2: the _32 suite shortens only the SRTP tag; SRTCP keeps 80 bits.
 * RFC 4568 §6.2 / RFC 3711 §9.2 / RFC 6188 §6 / RFC 7714 §12: every suite
 * limits a master key to 2^48 SRTP and 2^31 SRTCP packets, which is also
 * Cisco Table 47's default.
 * RFC 7714 §12: AEAD salts are 96 bits. */
static const SdesCryptoSuiteInfo suite_table[SDES_CRYPTO_SUITE_N] = {
  { SDES_CRYPTO_SUITE_AES_CM_128_HMAC_SHA1_80, "AES_CM_128_HMAC_SHA1_80",
    16, 14, 10, 10, FALSE, LIFETIME_SRTP, LIFETIME_SRTCP, "RFC 4568" },
  { SDES_CRYPTO_SUITE_AES_CM_128_HMAC_SHA1_32, "AES_CM_128_HMAC_SHA1_32",
    16, 14, 4, 10, FALSE, LIFETIME_SRTP, LIFETIME_SRTCP, "RFC 4568" },
  { SDES_CRYPTO_SUITE_F8_128_HMAC_SHA1_80, "F8_128_HMAC_SHA1_80",
    16, 14, 10, 10, FALSE, LIFETIME_SRTP, LIFETIME_SRTCP, "RFC 4568" },
  { SDES_CRYPTO_SUITE_AES_192_CM_HMAC_SHA1_80, "AES_192_CM_HMAC_SHA1_80",
    24, 14, 10, 10, FALSE, LIFETIME_SRTP, LIFETIME_SRTCP, "RFC 6188" },
  { SDES_CRYPTO_SUITE_AES_192_CM_HMAC_SHA1_32, "AES_192_CM_HMAC_SHA1_32",
    24, 14, 4, 10, FALSE, LIFETIME_SRTP, LIFETIME_SRTCP, "RFC 6188" },
  { SDES_CRYPTO_SUITE_AES_256_CM_HMAC_SHA1_80, "AES_256_CM_HMAC_SHA1_80",
    32, 14, 10, 10, FALSE, LIFETIME_SRTP, LIFETIME_SRTCP, "RFC 6188" },
  { SDES_CRYPTO_SUITE_AES_256_CM_HMAC_SHA1_32, "AES_256_CM_HMAC_SHA1_32",
    32, 14, 4, 10, FALSE, LIFETIME_SRTP, LIFETIME_SRTCP, "RFC 6188" },
  { SDES_CRYPTO_SUITE_AEAD_AES_128_GCM, "AEAD_AES_128_GCM",
    16, 12, 16, 16, TRUE, LIFETIME_SRTP, LIFETIME_SRTCP, "RFC 7714" },
  { SDES_CRYPTO_SUITE_AEAD_AES_256_GCM, "AEAD_AES_256_GCM",
    32, 12, 16, 16, TRUE, LIFETIME_SRTP, LIFETIME_SRTCP, "RFC 7714" },
};

/* Spellings seen in the field (sipwise/rtpengine#736, #703): rtpengine and
 * older Asterisk used AES_CM_256_* before RFC 6188 fixed the order, Kurento
 * (Kurento/kms-elements, kmsrtpendpoint.c) writes AES_128_CM_*.
 * We accept them and echo the spelling back (suite_name). */
static const struct {
  const gchar *name;
  SdesCryptoSuite suite;
} suite_aliases[] = {
  { "AES_CM_192_HMAC_SHA1_80", SDES_CRYPTO_SUITE_AES_192_CM_HMAC_SHA1_80 },
  { "AES_CM_192_HMAC_SHA1_32", SDES_CRYPTO_SUITE_AES_192_CM_HMAC_SHA1_32 },
  { "AES_CM_256_HMAC_SHA1_80", SDES_CRYPTO_SUITE_AES_256_CM_HMAC_SHA1_80 },
  { "AES_CM_256_HMAC_SHA1_32", SDES_CRYPTO_SUITE_AES_256_CM_HMAC_SHA1_32 },
  { "AES_128_CM_HMAC_SHA1_80", SDES_CRYPTO_SUITE_AES_CM_128_HMAC_SHA1_80 },
  { "AES_128_CM_HMAC_SHA1_32", SDES_CRYPTO_SUITE_AES_CM_128_HMAC_SHA1_32 },
};

G_DEFINE_ENUM_TYPE (SdesCryptoSuite, sdes_crypto_suite,
    G_DEFINE_ENUM_VALUE (SDES_CRYPTO_SUITE_AES_CM_128_HMAC_SHA1_80, "AES_CM_128_HMAC_SHA1_80"),
    G_DEFINE_ENUM_VALUE (SDES_CRYPTO_SUITE_AES_CM_128_HMAC_SHA1_32, "AES_CM_128_HMAC_SHA1_32"),
    G_DEFINE_ENUM_VALUE (SDES_CRYPTO_SUITE_F8_128_HMAC_SHA1_80, "F8_128_HMAC_SHA1_80"),
    G_DEFINE_ENUM_VALUE (SDES_CRYPTO_SUITE_AES_192_CM_HMAC_SHA1_80, "AES_192_CM_HMAC_SHA1_80"),
    G_DEFINE_ENUM_VALUE (SDES_CRYPTO_SUITE_AES_192_CM_HMAC_SHA1_32, "AES_192_CM_HMAC_SHA1_32"),
    G_DEFINE_ENUM_VALUE (SDES_CRYPTO_SUITE_AES_256_CM_HMAC_SHA1_80, "AES_256_CM_HMAC_SHA1_80"),
    G_DEFINE_ENUM_VALUE (SDES_CRYPTO_SUITE_AES_256_CM_HMAC_SHA1_32, "AES_256_CM_HMAC_SHA1_32"),
    G_DEFINE_ENUM_VALUE (SDES_CRYPTO_SUITE_AEAD_AES_128_GCM, "AEAD_AES_128_GCM"),
    G_DEFINE_ENUM_VALUE (SDES_CRYPTO_SUITE_AEAD_AES_256_GCM, "AEAD_AES_256_GCM"))

/**
 * sdes_crypto_suite_get_info:
 * @suite: a suite
 *
 * The suite table row of @suite: key and salt lengths, tag lengths, lifetime
 * limit.
 *
 * Returns: (transfer none) (nullable): the table row for @suite, or %NULL if
 *   @suite is out of range.
 *
 * Since: 0.1
 */
const SdesCryptoSuiteInfo *
sdes_crypto_suite_get_info (SdesCryptoSuite suite)
{
  if ((guint) suite >= SDES_CRYPTO_SUITE_N)
    return NULL;
  return &suite_table[suite];
}

/* Looks a name up case-insensitively (RFC 4568 §9.1 suite names are ABNF
 * literals, which are case-insensitive). Returns the static spelling to keep. */
const gchar *sdes_crypto_suite_lookup (const gchar *name, gsize len, SdesCryptoSuite *suite);

const gchar *
sdes_crypto_suite_lookup (const gchar *name, gsize len, SdesCryptoSuite *suite)
{
  for (guint i = 0; i < G_N_ELEMENTS (suite_table); i++) {
    if (strlen (suite_table[i].name) == len
        && g_ascii_strncasecmp (suite_table[i].name, name, len) == 0) {
      *suite = suite_table[i].suite;
      return suite_table[i].name;
    }
  }
  for (guint i = 0; i < G_N_ELEMENTS (suite_aliases); i++) {
    if (strlen (suite_aliases[i].name) == len
        && g_ascii_strncasecmp (suite_aliases[i].name, name, len) == 0) {
      *suite = suite_aliases[i].suite;
      return suite_aliases[i].name;
    }
  }
  return NULL;
}

/**
 * sdes_crypto_suite_from_name:
 * @name: a suite name (RFC name or legacy alias, any case)
 * @suite: (out): the suite
 *
 * Looks a crypto-suite name up in the suite table (RFC 4568 §6.2, RFC 6188,
 * RFC 7714), accepting the legacy aliases some peers send.
 *
 * Returns: %TRUE if @name names a known suite.
 *
 * Since: 0.1
 */
gboolean
sdes_crypto_suite_from_name (const gchar *name, SdesCryptoSuite *suite)
{
  SdesCryptoSuite s;

  g_return_val_if_fail (name != NULL, FALSE);
  if (sdes_crypto_suite_lookup (name, strlen (name), &s) == NULL)
    return FALSE;
  if (suite)
    *suite = s;
  return TRUE;
}

/**
 * sdes_crypto_suite_to_string:
 * @suite: a suite
 *
 * The name of @suite as written in an a=crypto line.
 *
 * Returns: (transfer none): the RFC name of @suite, or "unknown".
 *
 * Since: 0.1
 */
const gchar *
sdes_crypto_suite_to_string (SdesCryptoSuite suite)
{
  const SdesCryptoSuiteInfo *info = sdes_crypto_suite_get_info (suite);
  return info ? info->name : "unknown";
}
