/* srtpsdes — tests of the OpenSSL-backed libsrtp2 crypto types
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Known answers go through libsrtp2's own srtp_protect() with the replaced
 * types, so key derivation (RFC 3711 §4.3) and packet layout are exercised
 * too. The cross-checks compare against libsrtp2's stock (NSS) types: those
 * sessions are created before srtpsdes_backend_install(), and a libsrtp2
 * cipher keeps the type it was allocated with.
 */
#include "srtpsdes-backend.h"
#include "srtpsdes-backend-private.h"

#include <string.h>
#include <srtp2/srtp.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#define MAX_PACKET (1500 + SRTP_MAX_TRAILER_LEN)

typedef enum {
  SUITE_AES_CM_128_HMAC_SHA1_80,
  SUITE_AES_CM_128_HMAC_SHA1_32,
  SUITE_AES_256_CM_HMAC_SHA1_80,
  SUITE_AES_192_CM_HMAC_SHA1_80,
  SUITE_AEAD_AES_128_GCM,
  SUITE_AES_CM_128_HMAC_SHA1_80_ENCRYPTED_EXTENSIONS,
  N_SUITES
} Suite;

static const char *const suite_names[N_SUITES] = {
  "AES_CM_128_HMAC_SHA1_80", "AES_CM_128_HMAC_SHA1_32",
  "AES_256_CM_HMAC_SHA1_80", "AES_192_CM_HMAC_SHA1_80", "AEAD_AES_128_GCM",
  "AES_CM_128_HMAC_SHA1_80-encrypted-header-extensions",
};

static const guint32 cross_ssrc = 0x5eed0001;
static int encrypted_extension_ids[] = { 1, 3 };

/* Stock-backend sessions, made before the replacement, one pair per suite. */
static struct {
  guint8 key[SRTP_MAX_KEY_LEN];
  srtp_t tx;
  srtp_t rx;
} stock[N_SUITES];

static void
set_suite_policy (srtp_crypto_policy_t *p, Suite suite)
{
  switch (suite) {
    case SUITE_AES_CM_128_HMAC_SHA1_80:
    case SUITE_AES_CM_128_HMAC_SHA1_80_ENCRYPTED_EXTENSIONS:
      srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80 (p);
      break;
    case SUITE_AES_CM_128_HMAC_SHA1_32:
      srtp_crypto_policy_set_aes_cm_128_hmac_sha1_32 (p);
      break;
    case SUITE_AES_256_CM_HMAC_SHA1_80:
      srtp_crypto_policy_set_aes_cm_256_hmac_sha1_80 (p);
      break;
    case SUITE_AES_192_CM_HMAC_SHA1_80:
      srtp_crypto_policy_set_aes_cm_192_hmac_sha1_80 (p);
      break;
    case SUITE_AEAD_AES_128_GCM:
      srtp_crypto_policy_set_aes_gcm_128_16_auth (p);
      break;
    default:
      g_assert_not_reached ();
  }
}

static srtp_t
session_new (Suite suite, guint8 *key, srtp_ssrc_type_t direction)
{
  srtp_policy_t policy;
  srtp_t session = NULL;

  memset (&policy, 0, sizeof (policy));
  set_suite_policy (&policy.rtp, suite);
  set_suite_policy (&policy.rtcp, suite);
  /* RTCP keeps AES-CM HMAC-SHA1-80 for the 32-bit suite (RFC 4568 §6.2.1). */
  if (suite == SUITE_AES_CM_128_HMAC_SHA1_32)
    srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80 (&policy.rtcp);
  /* RFC 6904: libsrtp2 runs a second AES-ICM over the extension elements,
   * one keystream continued across elements. */
  if (suite == SUITE_AES_CM_128_HMAC_SHA1_80_ENCRYPTED_EXTENSIONS) {
    policy.enc_xtn_hdr = encrypted_extension_ids;
    policy.enc_xtn_hdr_count = G_N_ELEMENTS (encrypted_extension_ids);
  }
  policy.ssrc.type = direction;
  policy.key = key;
  policy.window_size = 1024;
  g_assert_cmpint (srtp_create (&session, &policy), ==, srtp_err_status_ok);
  return session;
}

static srtp_t
session_new_simple (srtp_crypto_policy_t *crypto, guint8 *key,
    srtp_ssrc_type_t direction)
{
  srtp_policy_t policy;
  srtp_t session = NULL;

  memset (&policy, 0, sizeof (policy));
  policy.rtp = *crypto;
  policy.rtcp = *crypto;
  policy.ssrc.type = direction;
  policy.key = key;
  policy.window_size = 128;
  g_assert_cmpint (srtp_create (&session, &policy), ==, srtp_err_status_ok);
  return session;
}

static void
ensure_installed (void)
{
  static gsize done = 0;

  if (g_once_init_enter (&done)) {
    g_autoptr (GError) error = NULL;
    GRand *rand = g_rand_new_with_seed (0x5eed);
    guint s, i;

    for (s = 0; s < N_SUITES; s++) {
      for (i = 0; i < SRTP_MAX_KEY_LEN; i++)
        stock[s].key[i] = g_rand_int (rand) & 0xff;
      stock[s].tx = session_new (s, stock[s].key, ssrc_any_outbound);
      stock[s].rx = session_new (s, stock[s].key, ssrc_any_inbound);
    }
    g_rand_free (rand);
    /* Nothing of ours was used by the stock sessions. */
    g_assert_cmpint (srtpsdes_backend_count_live_contexts (), ==, 0);

    g_assert_true (srtpsdes_backend_install (&error));
    g_assert_no_error (error);
    g_once_init_leave (&done, 1);
  }
}

static void
hex_decode (const char *hex, guint8 *out, gsize out_len)
{
  gsize i;

  g_assert_cmpuint (strlen (hex), ==, out_len * 2);
  for (i = 0; i < out_len; i++) {
    int hi = g_ascii_xdigit_value (hex[2 * i]);
    int lo = g_ascii_xdigit_value (hex[2 * i + 1]);

    g_assert_true (hi >= 0 && lo >= 0);
    out[i] = (hi << 4) | lo;
  }
}

static void
test_install_replaces_every_type (void)
{
  g_autoptr (GError) error = NULL;

  ensure_installed ();
  g_assert_true (srtpsdes_backend_is_active ());
  g_assert_true (srtpsdes_backend_gcm_is_active ());
  /* A second call is a no-op with the same answer. */
  g_assert_true (srtpsdes_backend_install (&error));
  g_assert_no_error (error);
}

static void
test_install_sessions_use_openssl_contexts (void)
{
  srtp_crypto_policy_t p;
  guint8 key[SRTP_MAX_KEY_LEN] = { 1, 2, 3 };
  gint before;
  srtp_t s;

  ensure_installed ();
  before = srtpsdes_backend_count_live_contexts ();
  srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80 (&p);
  s = session_new_simple (&p, key, ssrc_any_outbound);
  /* One session template: RTP and RTCP cipher and auth. */
  g_assert_cmpint (srtpsdes_backend_count_live_contexts (), >=, before + 4);
  srtp_dealloc (s);
  g_assert_cmpint (srtpsdes_backend_count_live_contexts (), ==, before);
}

static void
test_install_env_stock_keeps_libsrtp (void)
{
  if (g_test_subprocess ()) {
    g_autoptr (GError) error = NULL;
    srtp_crypto_policy_t p;
    guint8 key[SRTP_MAX_KEY_LEN] = { 0 };
    srtp_t s;

    g_setenv ("SRTPSDES_CRYPTO_BACKEND", "stock", TRUE);
    g_assert_true (srtpsdes_backend_install (&error));
    g_assert_no_error (error);
    g_assert_false (srtpsdes_backend_is_active ());
    g_assert_false (srtpsdes_backend_gcm_is_active ());
    srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80 (&p);
    s = session_new_simple (&p, key, ssrc_any_outbound);
    g_assert_cmpint (srtpsdes_backend_count_live_contexts (), ==, 0);
    srtp_dealloc (s);
    return;
  }
  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_passed ();
}

/* RFC 3711 Appendix B.2 (and RFC 6188 §7.1 for AES-256): the types' own
 * test_data, run through libsrtp2's harness, which also checks decrypt and
 * random encrypt/decrypt round trips. */
static void
test_kat_cipher_self_tests (void)
{
  ensure_installed ();
  g_assert_cmpint (srtp_cipher_type_self_test (&srtpsdes_ossl_aes_icm_128), ==,
      srtp_err_status_ok);
  g_assert_cmpint (srtp_cipher_type_self_test (&srtpsdes_ossl_aes_icm_192), ==,
      srtp_err_status_ok);
  g_assert_cmpint (srtp_cipher_type_self_test (&srtpsdes_ossl_aes_icm_256), ==,
      srtp_err_status_ok);
  /* RFC 7714 §16.1.1 and §16.2.1, 16- and 8-octet tags. */
  g_assert_cmpint (srtp_cipher_type_self_test (&srtpsdes_ossl_aes_gcm_128), ==,
      srtp_err_status_ok);
  g_assert_cmpint (srtp_cipher_type_self_test (&srtpsdes_ossl_aes_gcm_256), ==,
      srtp_err_status_ok);
  /* RFC 2202 §3 cases 1, 2, 4, 6, 7. */
  g_assert_cmpint (srtp_auth_type_self_test (&srtpsdes_ossl_hmac_sha1), ==,
      srtp_err_status_ok);
}

/* RFC 3711 B.2 cut into odd pieces: libsrtp2 may call encrypt more than once
 * per IV (header extensions, srtp_cipher_output), so the keystream has to
 * continue mid-block. */
static void
test_icm_keystream_continues_across_calls (void)
{
  static const guint sizes[] = { 1, 15, 2, 17, 31, 5, 100, 0, 29 };
  guint8 key[30], iv[16] = { 0 };
  guint8 whole[200] = { 0 }, pieces[200] = { 0 };
  srtp_cipher_t *c = NULL;
  unsigned int len = sizeof (whole);
  guint i, at = 0;

  hex_decode ("2b7e151628aed2a6abf7158809cf4f3cf0f1f2f3f4f5f6f7f8f9fafbfcfd",
      key, sizeof (key));
  g_assert_cmpint (srtpsdes_ossl_aes_icm_128.alloc (&c, 30, 0), ==, 0);
  g_assert_cmpint (srtp_cipher_init (c, key), ==, 0);
  g_assert_cmpint (srtp_cipher_set_iv (c, iv, srtp_direction_encrypt), ==, 0);
  g_assert_cmpint (srtp_cipher_encrypt (c, whole, &len), ==, 0);
  {
    guint8 expect[16];

    hex_decode ("e03ead0935c95e80e166b16dd92b4eb4", expect, 16);
    g_assert_cmpmem (whole, 16, expect, 16);
  }

  g_assert_cmpint (srtp_cipher_set_iv (c, iv, srtp_direction_encrypt), ==, 0);
  for (i = 0; i < G_N_ELEMENTS (sizes); i++) {
    unsigned int n = sizes[i];

    g_assert_cmpint (srtp_cipher_encrypt (c, pieces + at, &n), ==, 0);
    at += sizes[i];
  }
  g_assert_cmpuint (at, ==, sizeof (pieces));
  g_assert_cmpmem (pieces, sizeof (pieces), whole, sizeof (whole));
  g_assert_cmpint (srtp_cipher_dealloc (c), ==, 0);
}

/* libsrtp2's AES-ICM counts blocks in the low 16 bits only and refuses to
 * run past 0xffff (srtp_err_status_terminus); ours must agree. */
static void
test_icm_refuses_counter_overflow (void)
{
  guint8 key[30] = { 0 }, iv[16] = { 0 };
  guint8 buf[64] = { 0 };
  srtp_cipher_t *c = NULL;
  unsigned int len;

  iv[14] = 0xff;
  iv[15] = 0xfd;
  g_assert_cmpint (srtpsdes_ossl_aes_icm_128.alloc (&c, 30, 0), ==, 0);
  g_assert_cmpint (srtp_cipher_init (c, key), ==, 0);
  g_assert_cmpint (srtp_cipher_set_iv (c, iv, srtp_direction_encrypt), ==, 0);
  len = 32;                     /* blocks fffd and fffe: allowed */
  g_assert_cmpint (srtp_cipher_encrypt (c, buf, &len), ==, 0);
  g_assert_cmpint (srtp_cipher_set_iv (c, iv, srtp_direction_encrypt), ==, 0);
  len = 48;                     /* would need block ffff too */
  g_assert_cmpint (srtp_cipher_encrypt (c, buf, &len), ==,
      srtp_err_status_terminus);
  g_assert_cmpint (srtp_cipher_dealloc (c), ==, 0);
}

/* The reference for a known session: RFC 3711 §4.1.1 AES-CM and §4.2.1
 * HMAC-SHA1 over packet || ROC, done with plain OpenSSL from the session
 * keys the RFC lists, none of it through libsrtp2. */
static void
reference_protect (const char *hex_cipher_key, const char *hex_salt,
    const char *hex_auth_key, guint32 roc, const guint8 *rtp, gsize rtp_len,
    gsize tag_len, guint8 *out)
{
  guint8 cipher_key[32], salt[14], auth_key[20], iv[16] = { 0 };
  gsize key_len = strlen (hex_cipher_key) / 2;
  guint64 index = ((guint64) roc << 16) | ((rtp[2] << 8) | rtp[3]);
  guint8 roc_be[4] = { roc >> 24, roc >> 16, roc >> 8, roc };
  guint8 mac[EVP_MAX_MD_SIZE];
  unsigned int mac_len = 0;
  EVP_CIPHER_CTX *ctx;
  int out_len = 0;
  guint i;

  hex_decode (hex_cipher_key, cipher_key, key_len);
  hex_decode (hex_salt, salt, 14);
  hex_decode (hex_auth_key, auth_key, 20);

  /* IV = (k_s * 2^16) XOR (SSRC * 2^64) XOR (i * 2^16) */
  memcpy (iv, salt, 14);
  for (i = 0; i < 4; i++)
    iv[4 + i] ^= rtp[8 + i];
  for (i = 0; i < 6; i++)
    iv[8 + i] ^= (index >> (8 * (5 - i))) & 0xff;

  memcpy (out, rtp, rtp_len);
  ctx = EVP_CIPHER_CTX_new ();
  g_assert_cmpint (EVP_EncryptInit_ex (ctx, key_len == 16 ? EVP_aes_128_ctr ()
          : key_len == 24 ? EVP_aes_192_ctr () : EVP_aes_256_ctr (), NULL,
          cipher_key, iv), ==, 1);
  g_assert_cmpint (EVP_EncryptUpdate (ctx, out + 12, &out_len, rtp + 12,
          rtp_len - 12), ==, 1);
  EVP_CIPHER_CTX_free (ctx);

  {
    guint8 *auth_input = g_malloc (rtp_len + 4);

    memcpy (auth_input, out, rtp_len);
    memcpy (auth_input + rtp_len, roc_be, 4);
    g_assert_nonnull (HMAC (EVP_sha1 (), auth_key, 20, auth_input, rtp_len + 4,
            mac, &mac_len));
    g_free (auth_input);
  }
  memcpy (out + rtp_len, mac, tag_len);
}

static void
check_kdf_through_protect (srtp_crypto_policy_t *crypto,
    const char *hex_master, const char *hex_cipher_key, const char *hex_salt,
    const char *hex_auth_key)
{
  guint8 master[SRTP_MAX_KEY_LEN] = { 0 };
  guint8 packet[MAX_PACKET], expected[MAX_PACKET];
  gsize master_len = strlen (hex_master) / 2;
  guint seq_steps[] = { 0, 1, 2, 0xfffe - 0x1234, 0xffff - 0x1234 };
  srtp_t tx;
  guint i, k;

  hex_decode (hex_master, master, master_len);
  tx = session_new_simple (crypto, master, ssrc_any_outbound);

  /* A G.711 packet and a sequence-number wrap: ROC 0 then 1. */
  for (k = 0; k < G_N_ELEMENTS (seq_steps) + 2; k++) {
    guint16 seq = k < G_N_ELEMENTS (seq_steps) ? 0x1234 + seq_steps[k] : k;
    guint32 roc = k < G_N_ELEMENTS (seq_steps) ? 0 : 1;
    int len = 172;

    memset (packet, 0, sizeof (packet));
    packet[0] = 0x80;
    packet[2] = seq >> 8;
    packet[3] = seq & 0xff;
    packet[8] = 0xde; packet[9] = 0xca; packet[10] = 0xfb; packet[11] = 0xad;
    for (i = 12; i < 172; i++)
      packet[i] = (i * 7 + k) & 0xff;
    reference_protect (hex_cipher_key, hex_salt, hex_auth_key, roc, packet,
        172, 10, expected);
    g_assert_cmpint (srtp_protect (tx, packet, &len), ==, srtp_err_status_ok);
    g_assert_cmpint (len, ==, 182);
    g_assert_cmpmem (packet, len, expected, 182);
  }
  srtp_dealloc (tx);
}

/* RFC 3711 Appendix B.3: master key/salt -> session keys, via srtp_protect
 * (the KDF runs on the replaced AES-ICM-128, the packet on AES-ICM-128 and
 * HMAC-SHA1). */
static void
test_kat_rfc3711_b3_kdf_through_protect (void)
{
  srtp_crypto_policy_t p;

  ensure_installed ();
  srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80 (&p);
  check_kdf_through_protect (&p,
      "e1f97a0d3e018be0d64fa32c06de4139" "0ec675ad498afeebb6960b3aabe6",
      "c61e7a93744f39ee10734afe3ff7a087", "30cbbc08863d8c85d49db34a9ae1",
      "cebe321f6ff7716b6fd4ab49af256a156d38baa4");
}

/* RFC 6188 §7.2: AES_256_CM_PRF. */
static void
test_kat_rfc6188_aes256_kdf_through_protect (void)
{
  srtp_crypto_policy_t p;

  ensure_installed ();
  srtp_crypto_policy_set_aes_cm_256_hmac_sha1_80 (&p);
  check_kdf_through_protect (&p,
      "f0f04914b513f2763a1b1fa130f10e2998f6f6e43e4309d1e622a0e332b9f1b6"
      "3b04803de51ee7c96423ab5b78d2",
      "5ba1064e30ec51613cad926c5a28ef731ec7fb397f70a960653caf06554cd8c4",
      "fa31791685ca444a9e07c6c64e93",
      "fd9c32d39ed5fbb5a9dc96b30818454d1313dc05");
}

/* RFC 6188 §7.4: AES_192_CM_PRF, run on the replaced AES-ICM-192 type the
 * way srtp_kdf_generate() drives it (RFC 3711 §4.3.3: the label in byte 7
 * of the IV, key derivation rate 0). */
static void
test_kat_rfc6188_aes192_prf (void)
{
  static const struct {
    guint8 label;
    const char *expected;
  } derived[] = {
    { 0x00, "31874736a8f1143870c26e4857d8a5b2c4a354407faadabb" },
    { 0x01, "355b10973cd95b9eacf4061c7e1a7151e7cfbfcb" },
    { 0x02, "2372b82d639b6d8503a47adc0a6c" },
  };
  guint8 master[38];
  srtp_cipher_t *c = NULL;
  guint i;

  ensure_installed ();
  hex_decode ("73edc66c4fa15776fb57f9505c17136550ffda71f3e8e5f1"
      "c8522f3acd4ce86d5add78edbb11", master, sizeof (master));
  g_assert_cmpint (srtpsdes_ossl_aes_icm_192.alloc (&c, 38, 0), ==, 0);
  g_assert_cmpint (srtp_cipher_init (c, master), ==, 0);
  for (i = 0; i < G_N_ELEMENTS (derived); i++) {
    guint8 iv[16] = { 0 }, out[24] = { 0 }, expected[24];
    unsigned int len = strlen (derived[i].expected) / 2;

    hex_decode (derived[i].expected, expected, len);
    iv[7] = derived[i].label;
    g_assert_cmpint (srtp_cipher_set_iv (c, iv, srtp_direction_encrypt), ==,
        0);
    g_assert_cmpint (srtp_cipher_encrypt (c, out, &len), ==, 0);
    g_assert_cmpmem (out, len, expected, len);
  }
  g_assert_cmpint (srtp_cipher_dealloc (c), ==, 0);
}

/* libsrtp2 2.5.0 does not derive AES-192 session keys as RFC 6188 §7.4 says:
 * srtp_stream_init_keys() runs the KDF with AES-256 whenever a key is longer
 * than 30 bytes, over the 24-byte key and 14-byte salt zero-padded to 46
 * bytes. The session keys below are that computation for the RFC 6188 §7.4
 * master key. Our types must reproduce it exactly (the stock cross-check
 * covers the same), and an AES_192_CM peer that follows the RFC will not
 * interoperate with libsrtp2 2.5.0 either way. */
static void
test_kat_libsrtp_aes192_kdf_pads_to_aes256 (void)
{
  srtp_crypto_policy_t p;

  ensure_installed ();
  srtp_crypto_policy_set_aes_cm_192_hmac_sha1_80 (&p);
  check_kdf_through_protect (&p,
      "73edc66c4fa15776fb57f9505c17136550ffda71f3e8e5f1"
      "c8522f3acd4ce86d5add78edbb11",
      "7af9f9f2cb705d213cce5fa377b290a0183389701878e7d7",
      "2166ce644b08c8f855708bc2189e",
      "8189213b5a4faece75291bd863ad0a4add86cc25");
}

/* libsrtp2's own srtp_validate() packets (test/srtp_driver.c), byte for
 * byte: AES-128 with the RFC 3711 B.3 master key, and AES-256 with the
 * RFC 6188 §7.2 one. */
static void
test_kat_libsrtp_validate_packets (void)
{
  static const struct {
    gboolean aes256;
    const char *master;
    const char *srtp;
  } cases[] = {
    { FALSE, "e1f97a0d3e018be0d64fa32c06de4139" "0ec675ad498afeebb6960b3aabe6",
      "800f1234decafbadcafebabe"
      "4e55dc4ce79978d88ca4d215949d2402" "b78d6acc99ea179b8dbb" },
    { TRUE, "f0f04914b513f2763a1b1fa130f10e2998f6f6e43e4309d1e622a0e332b9f1b6"
      "3b04803de51ee7c96423ab5b78d2",
      "800f1234decafbadcafebabe"
      "f1d9de17ff251ff1aa007774b0b4b40d" "a08d9d9a5b3a55d8873b" },
  };
  guint c;

  ensure_installed ();
  for (c = 0; c < G_N_ELEMENTS (cases); c++) {
    guint8 master[SRTP_MAX_KEY_LEN] = { 0 };
    guint8 packet[64], expected[38], plain[28];
    srtp_crypto_policy_t p;
    srtp_t tx, rx;
    int len = 28;

    hex_decode (cases[c].master, master, strlen (cases[c].master) / 2);
    hex_decode (cases[c].srtp, expected, 38);
    hex_decode ("800f1234decafbadcafebabe", plain, 12);
    memset (plain + 12, 0xab, 16);
    if (cases[c].aes256)
      srtp_crypto_policy_set_aes_cm_256_hmac_sha1_80 (&p);
    else
      srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80 (&p);
    tx = session_new_simple (&p, master, ssrc_any_outbound);
    rx = session_new_simple (&p, master, ssrc_any_inbound);

    memcpy (packet, plain, 28);
    g_assert_cmpint (srtp_protect (tx, packet, &len), ==, srtp_err_status_ok);
    g_assert_cmpmem (packet, len, expected, 38);
    g_assert_cmpint (srtp_unprotect (rx, packet, &len), ==,
        srtp_err_status_ok);
    g_assert_cmpmem (packet, len, plain, 28);

    /* A flipped payload bit must fail authentication through our HMAC. */
    memcpy (packet, expected, 38);
    packet[20] ^= 1;
    packet[3] = 0x35;           /* a fresh sequence number for the replay list */
    len = 38;
    g_assert_cmpint (srtp_unprotect (rx, packet, &len), ==,
        srtp_err_status_auth_fail);

    srtp_dealloc (tx);
    srtp_dealloc (rx);
  }
}

/* RFC 2202 is in the type's test_data; this checks the vectors themselves
 * and many more key/data lengths (0..100-byte keys, 0..300-byte data, the
 * 4- and 10-byte SRTP truncations) against OpenSSL's one-shot HMAC(). */
static void
test_hmac_matches_openssl_hmac (void)
{
  guint round;

  for (round = 0; round < 2000; round++) {
    guint8 key[100], data[300], ours[20], theirs[EVP_MAX_MD_SIZE];
    int key_len = g_test_rand_int_range (0, sizeof (key) + 1);
    int data_len = g_test_rand_int_range (0, sizeof (data) + 1);
    int split = g_test_rand_int_range (0, data_len + 1);
    int tag_len = (int []) { 4, 10, 20 }[round % 3];
    unsigned int theirs_len = 0;
    srtp_auth_t *a = NULL;
    int i;

    for (i = 0; i < key_len; i++)
      key[i] = g_test_rand_int () & 0xff;
    for (i = 0; i < data_len; i++)
      data[i] = g_test_rand_int () & 0xff;

    g_assert_cmpint (srtpsdes_ossl_hmac_sha1.alloc (&a, key_len, tag_len), ==,
        srtp_err_status_ok);
    g_assert_cmpint (srtp_auth_init (a, key), ==, srtp_err_status_ok);
    /* Twice: the second packet must not see the first one's state. */
    for (i = 0; i < 2; i++) {
      memset (ours, 0, sizeof (ours));
      g_assert_cmpint (srtp_auth_start (a), ==, srtp_err_status_ok);
      g_assert_cmpint (srtp_auth_update (a, data, split), ==,
          srtp_err_status_ok);
      g_assert_cmpint (srtp_auth_compute (a, data + split, data_len - split,
              ours), ==, srtp_err_status_ok);
      g_assert_nonnull (HMAC (EVP_sha1 (), key, key_len, data, data_len,
              theirs, &theirs_len));
      g_assert_cmpmem (ours, tag_len, theirs, tag_len);
    }
    g_assert_cmpint (srtp_auth_dealloc (a), ==, srtp_err_status_ok);
  }
}

static guint
cross_check_packet_count (void)
{
  const char *env = g_getenv ("SRTPSDES_TEST_CROSS_PACKETS");

  return env != NULL ? (guint) g_ascii_strtoull (env, NULL, 10) : 100000;
}

static void
make_rtp (guint8 *packet, gsize len, guint16 seq, gboolean extensions)
{
  gsize i;

  packet[0] = 0x80;
  packet[1] = 0x00;
  packet[2] = seq >> 8;
  packet[3] = seq & 0xff;
  packet[4] = seq >> 4;
  packet[5] = 0x11;
  packet[6] = 0x22;
  packet[7] = seq & 0xff;
  packet[8] = cross_ssrc >> 24;
  packet[9] = (cross_ssrc >> 16) & 0xff;
  packet[10] = (cross_ssrc >> 8) & 0xff;
  packet[11] = cross_ssrc & 0xff;
  for (i = 12; i < len; i++)
    packet[i] = g_test_rand_int () & 0xff;
  if (extensions) {
    /* RFC 8285 one-byte header extension, 8 bytes: id 1 (1 byte), id 2
     * (2 bytes, not encrypted), id 3 (1 byte), padding. */
    static const guint8 profile_and_length[4] = { 0xbe, 0xde, 0x00, 0x02 };

    packet[0] |= 0x10;
    memcpy (packet + 12, profile_and_length, 4);
    packet[16] = 0x10;
    packet[18] = 0x21;
    packet[21] = 0x30;
    packet[23] = 0x00;
  }
}

static void
make_rtcp (guint8 *packet, gsize len)
{
  gsize i;

  /* A sender report header, then random body. */
  packet[0] = 0x80;
  packet[1] = 200;
  packet[2] = ((len / 4 - 1) >> 8) & 0xff;
  packet[3] = (len / 4 - 1) & 0xff;
  packet[4] = cross_ssrc >> 24;
  packet[5] = (cross_ssrc >> 16) & 0xff;
  packet[6] = (cross_ssrc >> 8) & 0xff;
  packet[7] = cross_ssrc & 0xff;
  for (i = 8; i < len; i++)
    packet[i] = g_test_rand_int () & 0xff;
}

/* 10^5 packets of random sizes, sequence numbers advancing by 1..3 with
 * local reordering, from 0xfe00 on, so the ROC wraps three times (ROC
 * trouble shows up only on long calls: sipwise/rtpengine#102, #1443;
 * pjsip/pjproject#2682); every 50th is an SRTCP packet.
 * Ours must produce exactly the stock bytes, and each side must unprotect the
 * other's output. */
static void
test_cross_check (gconstpointer data)
{
  Suite suite = GPOINTER_TO_UINT (data);
  guint n_packets = cross_check_packet_count ();
  guint32 seq_counter = 0xfe00;
  srtp_t tx, rx;
  guint n, wraps = 0;
  guint16 pending_seq = 0;
  gboolean have_pending = FALSE;
  guint extension_bytes_changed = 0;

  ensure_installed ();
  tx = session_new (suite, stock[suite].key, ssrc_any_outbound);
  rx = session_new (suite, stock[suite].key, ssrc_any_inbound);

  for (n = 0; n < n_packets; n++) {
    guint8 plain[MAX_PACKET], a[MAX_PACKET], b[MAX_PACKET];
    gboolean rtcp = (n % 50) == 49;
    srtp_err_status_t sa, sb;
    int len, la, lb;

    if (rtcp) {
      len = 8 + 4 * g_test_rand_int_range (1, 100);
      make_rtcp (plain, len);
    } else {
      guint16 seq;

      /* Swap neighbours now and then: the sender sees reordering too. */
      if (have_pending) {
        seq = pending_seq;
        have_pending = FALSE;
      } else {
        guint32 step = g_test_rand_int_range (1, 4);

        if (((seq_counter + step) & 0xffff) < (seq_counter & 0xffff))
          wraps++;
        seq_counter += step;
        seq = seq_counter & 0xffff;
        if (g_test_rand_int_range (0, 16) == 0) {
          pending_seq = seq;
          have_pending = TRUE;
          if (((seq_counter + 1) & 0xffff) < (seq_counter & 0xffff))
            wraps++;
          seq_counter += 1;
          seq = seq_counter & 0xffff;
        }
      }
      len = g_test_rand_int_range (24, 1400);
      make_rtp (plain, len, seq,
          suite == SUITE_AES_CM_128_HMAC_SHA1_80_ENCRYPTED_EXTENSIONS);
    }

    memcpy (a, plain, len);
    memcpy (b, plain, len);
    la = lb = len;
    if (rtcp) {
      sa = srtp_protect_rtcp (stock[suite].tx, a, &la);
      sb = srtp_protect_rtcp (tx, b, &lb);
    } else {
      sa = srtp_protect (stock[suite].tx, a, &la);
      sb = srtp_protect (tx, b, &lb);
    }
    g_assert_cmpint (sa, ==, srtp_err_status_ok);
    g_assert_cmpint (sb, ==, srtp_err_status_ok);
    /* The id-1 element's byte is encrypted, the id-2 element's is not. */
    if (!rtcp && suite == SUITE_AES_CM_128_HMAC_SHA1_80_ENCRYPTED_EXTENSIONS) {
      g_assert_cmpmem (a + 19, 2, plain + 19, 2);
      if (a[17] != plain[17])
        extension_bytes_changed++;
    }
    if (la != lb || memcmp (a, b, la) != 0)
      g_error ("%s packet %u (%s, %d bytes) differs from libsrtp2's stock "
          "backend", suite_names[suite], n, rtcp ? "SRTCP" : "SRTP", len);

    /* Stock output through our receiver, ours through stock's. */
    if (rtcp) {
      sa = srtp_unprotect_rtcp (rx, a, &la);
      sb = srtp_unprotect_rtcp (stock[suite].rx, b, &lb);
    } else {
      sa = srtp_unprotect (rx, a, &la);
      sb = srtp_unprotect (stock[suite].rx, b, &lb);
    }
    g_assert_cmpint (sa, ==, srtp_err_status_ok);
    g_assert_cmpint (sb, ==, srtp_err_status_ok);
    g_assert_cmpmem (a, la, plain, len);
    g_assert_cmpmem (b, lb, plain, len);
  }
  if (n_packets >= 100000)
    g_assert_cmpuint (wraps, >=, 1);
  if (suite == SUITE_AES_CM_128_HMAC_SHA1_80_ENCRYPTED_EXTENSIONS)
    g_assert_cmpuint (extension_bytes_changed, >, n_packets / 2);

  srtp_dealloc (tx);
  srtp_dealloc (rx);
}

int
main (int argc, char **argv)
{
  int ret;
  guint s;

  g_test_init (&argc, &argv, NULL);
  g_assert_cmpint (srtp_init (), ==, srtp_err_status_ok);

  g_test_add_func ("/backend/install/replaces-every-type",
      test_install_replaces_every_type);
  g_test_add_func ("/backend/install/sessions-use-openssl-contexts",
      test_install_sessions_use_openssl_contexts);
  g_test_add_func ("/backend/install/env-stock-keeps-libsrtp",
      test_install_env_stock_keeps_libsrtp);
  g_test_add_func ("/backend/kat/cipher-and-auth-self-tests",
      test_kat_cipher_self_tests);
  g_test_add_func ("/backend/kat/rfc3711-b3-kdf-through-protect",
      test_kat_rfc3711_b3_kdf_through_protect);
  g_test_add_func ("/backend/kat/rfc6188-aes256-kdf-through-protect",
      test_kat_rfc6188_aes256_kdf_through_protect);
  g_test_add_func ("/backend/kat/rfc6188-aes192-prf",
      test_kat_rfc6188_aes192_prf);
  g_test_add_func ("/backend/kat/libsrtp-aes192-kdf-pads-to-aes256",
      test_kat_libsrtp_aes192_kdf_pads_to_aes256);
  g_test_add_func ("/backend/kat/libsrtp-validate-packets",
      test_kat_libsrtp_validate_packets);
  g_test_add_func ("/backend/icm/keystream-continues-across-calls",
      test_icm_keystream_continues_across_calls);
  g_test_add_func ("/backend/icm/refuses-counter-overflow",
      test_icm_refuses_counter_overflow);
  g_test_add_func ("/backend/hmac/matches-openssl-hmac",
      test_hmac_matches_openssl_hmac);
  for (s = 0; s < N_SUITES; s++) {
    g_autofree char *path =
        g_strdup_printf ("/backend/cross-check/%s", suite_names[s]);

    g_test_add_data_func (path, GUINT_TO_POINTER (s), test_cross_check);
  }

  ret = g_test_run ();

  for (s = 0; s < N_SUITES; s++) {
    if (stock[s].tx != NULL)
      srtp_dealloc (stock[s].tx);
    if (stock[s].rx != NULL)
      srtp_dealloc (stock[s].rx);
  }
  srtp_shutdown ();
  return ret;
}
