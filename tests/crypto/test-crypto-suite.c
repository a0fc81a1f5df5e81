/* srtpsdes — tests for the SRTP crypto-suite table
 *
 * Copyright (C) 2026 srtpsdes developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "sdes-crypto.h"

#define MAX_SRTP_LIFETIME (G_GUINT64_CONSTANT (1) << 48)
#define MAX_SRTCP_LIFETIME (G_GUINT64_CONSTANT (1) << 31)

typedef struct {
  SdesCryptoSuite suite;
  const gchar *name;
  guint key_len;
  guint salt_len;
  guint srtp_tag;
  guint srtcp_tag;
  gboolean aead;
  const gchar *reference;
} ExpectedSuite;

/* RFC 4568 §6.2 (AES-128 suites: 128-bit key, 112-bit salt, 80- or 32-bit SRTP
 * tag, SRTCP always 80 bits), RFC 6188 §3-§7 (AES-192/256: 112-bit salt),
 * RFC 7714 §12 (GCM: 96-bit salt, 16-byte tag on SRTP and SRTCP). */
static const ExpectedSuite expected_suites[] = {
  { SDES_CRYPTO_SUITE_AES_CM_128_HMAC_SHA1_80, "AES_CM_128_HMAC_SHA1_80", 16, 14, 10, 10, FALSE, "RFC 4568" },
  { SDES_CRYPTO_SUITE_AES_CM_128_HMAC_SHA1_32, "AES_CM_128_HMAC_SHA1_32", 16, 14, 4, 10, FALSE, "RFC 4568" },
  { SDES_CRYPTO_SUITE_F8_128_HMAC_SHA1_80, "F8_128_HMAC_SHA1_80", 16, 14, 10, 10, FALSE, "RFC 4568" },
  { SDES_CRYPTO_SUITE_AES_192_CM_HMAC_SHA1_80, "AES_192_CM_HMAC_SHA1_80", 24, 14, 10, 10, FALSE, "RFC 6188" },
  { SDES_CRYPTO_SUITE_AES_192_CM_HMAC_SHA1_32, "AES_192_CM_HMAC_SHA1_32", 24, 14, 4, 10, FALSE, "RFC 6188" },
  { SDES_CRYPTO_SUITE_AES_256_CM_HMAC_SHA1_80, "AES_256_CM_HMAC_SHA1_80", 32, 14, 10, 10, FALSE, "RFC 6188" },
  { SDES_CRYPTO_SUITE_AES_256_CM_HMAC_SHA1_32, "AES_256_CM_HMAC_SHA1_32", 32, 14, 4, 10, FALSE, "RFC 6188" },
  { SDES_CRYPTO_SUITE_AEAD_AES_128_GCM, "AEAD_AES_128_GCM", 16, 12, 16, 16, TRUE, "RFC 7714" },
  { SDES_CRYPTO_SUITE_AEAD_AES_256_GCM, "AEAD_AES_256_GCM", 32, 12, 16, 16, TRUE, "RFC 7714" },
};

G_STATIC_ASSERT (G_N_ELEMENTS (expected_suites) == SDES_CRYPTO_SUITE_N);

static void
test_suite_info_matches_rfc (gconstpointer data)
{
  const ExpectedSuite *e = data;
  const SdesCryptoSuiteInfo *info = sdes_crypto_suite_get_info (e->suite);

  g_assert_nonnull (info);
  g_assert_cmpint (info->suite, ==, e->suite);
  g_assert_cmpstr (info->name, ==, e->name);
  g_assert_cmpuint (info->key_len, ==, e->key_len);
  g_assert_cmpuint (info->salt_len, ==, e->salt_len);
  g_assert_cmpuint (info->key_len + info->salt_len, <=, SDES_CRYPTO_MAX_KEY_SALT_LEN);
  g_assert_cmpuint (info->srtp_auth_tag_len, ==, e->srtp_tag);
  g_assert_cmpuint (info->srtcp_auth_tag_len, ==, e->srtcp_tag);
  g_assert_cmpint (!!info->aead, ==, !!e->aead);
  /* Cisco Table 47: 2^48 SRTP packets, 2^31 SRTCP packets. */
  g_assert_cmpuint (info->max_srtp_lifetime, ==, MAX_SRTP_LIFETIME);
  g_assert_cmpuint (info->max_srtcp_lifetime, ==, MAX_SRTCP_LIFETIME);
  g_assert_cmpstr (info->reference, ==, e->reference);
  g_assert_cmpstr (sdes_crypto_suite_to_string (e->suite), ==, e->name);
}

static void
test_suite_from_name_finds_rfc_names (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (expected_suites); i++) {
    SdesCryptoSuite suite = SDES_CRYPTO_SUITE_N;

    g_assert_true (sdes_crypto_suite_from_name (expected_suites[i].name, &suite));
    g_assert_cmpint (suite, ==, expected_suites[i].suite);
  }
}

static void
test_suite_from_name_is_case_insensitive (void)
{
  /* RFC 4568 §9.1: the suite is a token; ABNF strings are case-insensitive. */
  SdesCryptoSuite suite = SDES_CRYPTO_SUITE_N;

  g_assert_true (sdes_crypto_suite_from_name ("aes_cm_128_hmac_sha1_80", &suite));
  g_assert_cmpint (suite, ==, SDES_CRYPTO_SUITE_AES_CM_128_HMAC_SHA1_80);
  g_assert_true (sdes_crypto_suite_from_name ("Aead_Aes_256_Gcm", &suite));
  g_assert_cmpint (suite, ==, SDES_CRYPTO_SUITE_AEAD_AES_256_GCM);
  g_assert_true (sdes_crypto_suite_from_name ("f8_128_HMAC_sha1_80", &suite));
  g_assert_cmpint (suite, ==, SDES_CRYPTO_SUITE_F8_128_HMAC_SHA1_80);
}

static void
test_suite_from_name_maps_legacy_aliases (void)
{
  /* sipwise/rtpengine#736, #703: AES_CM_256_* and AES_CM_192_* are the
   * pre-RFC 6188 spellings; Kurento (Kurento/kms-elements) writes
   * AES_128_CM_*. */
  static const struct {
    const gchar *alias;
    SdesCryptoSuite suite;
  } aliases[] = {
    { "AES_CM_256_HMAC_SHA1_80", SDES_CRYPTO_SUITE_AES_256_CM_HMAC_SHA1_80 },
    { "AES_CM_256_HMAC_SHA1_32", SDES_CRYPTO_SUITE_AES_256_CM_HMAC_SHA1_32 },
    { "AES_CM_192_HMAC_SHA1_80", SDES_CRYPTO_SUITE_AES_192_CM_HMAC_SHA1_80 },
    { "AES_CM_192_HMAC_SHA1_32", SDES_CRYPTO_SUITE_AES_192_CM_HMAC_SHA1_32 },
    { "AES_128_CM_HMAC_SHA1_80", SDES_CRYPTO_SUITE_AES_CM_128_HMAC_SHA1_80 },
    { "AES_128_CM_HMAC_SHA1_32", SDES_CRYPTO_SUITE_AES_CM_128_HMAC_SHA1_32 },
    { "aes_cm_256_hmac_sha1_80", SDES_CRYPTO_SUITE_AES_256_CM_HMAC_SHA1_80 },
  };

  for (guint i = 0; i < G_N_ELEMENTS (aliases); i++) {
    SdesCryptoSuite suite = SDES_CRYPTO_SUITE_N;

    g_test_message ("alias %s", aliases[i].alias);
    g_assert_true (sdes_crypto_suite_from_name (aliases[i].alias, &suite));
    g_assert_cmpint (suite, ==, aliases[i].suite);
  }
}

static void
test_suite_from_name_rejects_unknown (void)
{
  /* signalwire/freeswitch#1251, #691: AEAD_AES_256_GCM_8 is a different
   * suite (8-byte tag) that the table does not have. */
  static const gchar *const unknown[] = {
    "AEAD_AES_256_GCM_8", "AEAD_AES_128_GCM_8", "AES_CM_128_HMAC_SHA1", "AES_CM_128_HMAC_SHA1_80 ",
    " AES_CM_128_HMAC_SHA1_80", "AES_CM_128_NULL_AUTH", "NULL_HMAC_SHA1_80", "", "AES_CM_128_HMAC_SHA1_800",
  };

  for (guint i = 0; i < G_N_ELEMENTS (unknown); i++) {
    SdesCryptoSuite suite = SDES_CRYPTO_SUITE_N;

    g_test_message ("name '%s'", unknown[i]);
    g_assert_false (sdes_crypto_suite_from_name (unknown[i], &suite));
  }
}

static void
test_suite_gtype_has_every_suite (void)
{
  g_autoptr(GEnumClass) klass = g_type_class_ref (SDES_TYPE_CRYPTO_SUITE);

  g_assert_true (G_TYPE_IS_ENUM (SDES_TYPE_CRYPTO_SUITE));
  /* SDES_CRYPTO_SUITE_N is marked skip: it is not a suite. */
  g_assert_cmpuint (klass->n_values, ==, SDES_CRYPTO_SUITE_N);
  for (guint i = 0; i < SDES_CRYPTO_SUITE_N; i++)
    g_assert_nonnull (g_enum_get_value (klass, (gint) i));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  for (guint i = 0; i < G_N_ELEMENTS (expected_suites); i++) {
    g_autofree gchar *path = g_strdup_printf ("/crypto/suite/info-matches-rfc/%s", expected_suites[i].name);

    g_test_add_data_func (path, &expected_suites[i], test_suite_info_matches_rfc);
  }
  g_test_add_func ("/crypto/suite/from-name-finds-rfc-names", test_suite_from_name_finds_rfc_names);
  g_test_add_func ("/crypto/suite/from-name-is-case-insensitive", test_suite_from_name_is_case_insensitive);
  g_test_add_func ("/crypto/suite/from-name-maps-legacy-aliases", test_suite_from_name_maps_legacy_aliases);
  g_test_add_func ("/crypto/suite/from-name-rejects-unknown", test_suite_from_name_rejects_unknown);
  g_test_add_func ("/crypto/suite/gtype-has-every-suite", test_suite_gtype_has_every_suite);

  return g_test_run ();
}
