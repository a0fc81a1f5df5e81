/* srtpsdes — libsrtp2 glue shared by srtpsdesenc and srtpsdesdec
 *
 * Copyright (C) 2026 srtpsdes developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* The one place that turns an RFC 4568 a=crypto value into libsrtp2
 * policies, knows which suites and session parameters libsrtp2 can do, and
 * shapes stats and element messages. Nothing here logs key material: the
 * only printable form of a key is GstSrtpSdesKey.redacted. */

#include "gstsrtpsdes.h"

#include <string.h>

#ifdef HAVE_SRTPSDES_BACKEND
#include "srtpsdes-backend.h"
#endif

GST_DEBUG_CATEGORY_STATIC (gst_srtp_sdes_debug);
#define GST_CAT_DEFAULT gst_srtp_sdes_debug

G_DEFINE_QUARK (gst-srtp-sdes-error-quark, gst_srtp_sdes_error)

static gboolean suite_supported[SDES_CRYPTO_SUITE_N];

static void
fill_crypto_policies (SdesCryptoSuite suite,
                      srtp_crypto_policy_t *rtp,
                      srtp_crypto_policy_t *rtcp)
{
  /* RFC 4568 §6.2 / RFC 6188 §7: the _32 suites shorten the SRTP tag
   * only; SRTCP keeps the 80-bit tag. */
  switch (suite) {
    case SDES_CRYPTO_SUITE_AES_CM_128_HMAC_SHA1_80:
      srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80 (rtp);
      srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80 (rtcp);
      break;
    case SDES_CRYPTO_SUITE_AES_CM_128_HMAC_SHA1_32:
      srtp_crypto_policy_set_aes_cm_128_hmac_sha1_32 (rtp);
      srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80 (rtcp);
      break;
    case SDES_CRYPTO_SUITE_AES_192_CM_HMAC_SHA1_80:
      srtp_crypto_policy_set_aes_cm_192_hmac_sha1_80 (rtp);
      srtp_crypto_policy_set_aes_cm_192_hmac_sha1_80 (rtcp);
      break;
    case SDES_CRYPTO_SUITE_AES_192_CM_HMAC_SHA1_32:
      srtp_crypto_policy_set_aes_cm_192_hmac_sha1_32 (rtp);
      srtp_crypto_policy_set_aes_cm_192_hmac_sha1_80 (rtcp);
      break;
    case SDES_CRYPTO_SUITE_AES_256_CM_HMAC_SHA1_80:
      srtp_crypto_policy_set_aes_cm_256_hmac_sha1_80 (rtp);
      srtp_crypto_policy_set_aes_cm_256_hmac_sha1_80 (rtcp);
      break;
    case SDES_CRYPTO_SUITE_AES_256_CM_HMAC_SHA1_32:
      srtp_crypto_policy_set_aes_cm_256_hmac_sha1_32 (rtp);
      srtp_crypto_policy_set_aes_cm_256_hmac_sha1_80 (rtcp);
      break;
    case SDES_CRYPTO_SUITE_AEAD_AES_128_GCM:
      /* RFC 7714 §12: 16-octet tag for both SRTP and SRTCP. */
      srtp_crypto_policy_set_aes_gcm_128_16_auth (rtp);
      srtp_crypto_policy_set_aes_gcm_128_16_auth (rtcp);
      break;
    case SDES_CRYPTO_SUITE_AEAD_AES_256_GCM:
      srtp_crypto_policy_set_aes_gcm_256_16_auth (rtp);
      srtp_crypto_policy_set_aes_gcm_256_16_auth (rtcp);
      break;
    case SDES_CRYPTO_SUITE_F8_128_HMAC_SHA1_80:
    case SDES_CRYPTO_SUITE_N:
    default:
      g_assert_not_reached ();
  }
}

/* libsrtp2 may be built without OpenSSL (no GCM, no AES-192): ask it by
 * creating a throw-away session with an all-zero key. */
static gboolean
probe_suite (SdesCryptoSuite suite)
{
  guint8 key[SRTP_MAX_KEY_LEN] = { 0 };
  srtp_policy_t policy;
  srtp_t session = NULL;

  if (suite == SDES_CRYPTO_SUITE_F8_128_HMAC_SHA1_80)
    return FALSE; /* libsrtp2 has no f8 mode */
  /* libsrtp2 2.5 runs key derivation for any master key longer than 16
   * bytes as AES-256 over the key zero-padded to 32 bytes, instead of the
   * AES-192 PRF of RFC 6188 §7.4 (tests/backend shows both): its AES-192
   * sessions cannot talk to a peer that follows the RFC. Refuse them rather
   * than negotiate a call whose every packet fails authentication. */
  if (suite == SDES_CRYPTO_SUITE_AES_192_CM_HMAC_SHA1_80
      || suite == SDES_CRYPTO_SUITE_AES_192_CM_HMAC_SHA1_32)
    return FALSE;

  memset (&policy, 0, sizeof (policy));
  fill_crypto_policies (suite, &policy.rtp, &policy.rtcp);
  policy.ssrc.type = ssrc_any_outbound;
  policy.key = key;
  policy.window_size = 128;
  if (srtp_create (&session, &policy) != srtp_err_status_ok)
    return FALSE;
  srtp_dealloc (session);
  return TRUE;
}

/**
 * gst_srtp_sdes_init_once:
 *
 * Initialises libsrtp2 exactly once per process and probes which suites it
 * supports. Safe from any thread; every element calls it from class_init.
 */
void
gst_srtp_sdes_init_once (void)
{
  static gsize once = 0;

  if (g_once_init_enter (&once)) {
    srtp_err_status_t err;

    GST_DEBUG_CATEGORY_INIT (gst_srtp_sdes_debug, "srtpsdes", 0,
        "srtpsdes libsrtp2 glue");
    /* A second srtp_init in one process fails (libsrtp2 2.5 refuses to
     * load its debug modules twice), e.g. after the stock srtp plugin or
     * the application initialised it: the probe below is what counts. */
    err = srtp_init ();
    if (err != srtp_err_status_ok)
      GST_DEBUG ("srtp_init: %s (already initialised?)", gst_srtp_sdes_err_to_string (err));
    /* Issue 9: OpenSSL-backed AES-CM/HMAC-SHA1 (and GCM) inside libsrtp2,
     * before the probe below creates the first session. Process-wide and
     * never fatal: without it libsrtp2's own crypto stays in use
     * (docs/backend.md; SRTPSDES_CRYPTO_BACKEND=stock turns it off). */
#ifdef HAVE_SRTPSDES_BACKEND
    {
      g_autoptr (GError) backend_error = NULL;

      if (!srtpsdes_backend_install (&backend_error))
        GST_INFO ("crypto backend: libsrtp2's own (%s)", backend_error->message);
      else if (srtpsdes_backend_is_active ())
        GST_INFO ("crypto backend: OpenSSL (AES-GCM too: %s)",
            srtpsdes_backend_gcm_is_active () ? "yes" : "no");
      else
        GST_INFO ("crypto backend: libsrtp2's own (SRTPSDES_CRYPTO_BACKEND=stock)");
    }
#else
    GST_INFO ("crypto backend: libsrtp2's own (built without gst/backend)");
#endif
    for (guint i = 0; i < SDES_CRYPTO_SUITE_N; i++) {
      suite_supported[i] = probe_suite (i);
      GST_DEBUG ("suite %s: %s", sdes_crypto_suite_to_string (i),
          suite_supported[i] ? "supported" : "not supported by libsrtp2");
    }
    g_once_init_leave (&once, 1);
  }
}

gboolean
gst_srtp_sdes_suite_supported (SdesCryptoSuite suite)
{
  gst_srtp_sdes_init_once ();
  return suite < SDES_CRYPTO_SUITE_N && suite_supported[suite];
}

const gchar *
gst_srtp_sdes_err_to_string (srtp_err_status_t err)
{
  switch (err) {
    case srtp_err_status_ok: return "ok";
    case srtp_err_status_fail: return "failure";
    case srtp_err_status_bad_param: return "bad parameter";
    case srtp_err_status_alloc_fail: return "allocation failure";
    case srtp_err_status_init_fail: return "init failure";
    case srtp_err_status_auth_fail: return "authentication failure";
    case srtp_err_status_cipher_fail: return "cipher failure";
    case srtp_err_status_replay_fail: return "replayed packet";
    case srtp_err_status_replay_old: return "packet too old for the replay window";
    case srtp_err_status_no_ctx: return "no context for this SSRC";
    case srtp_err_status_key_expired: return "key expired";
    case srtp_err_status_bad_mki: return "unknown MKI";
    case srtp_err_status_parse_err: return "parse error";
    case srtp_err_status_pkt_idx_old: return "packet index too old";
    case srtp_err_status_pkt_idx_adv: return "packet index advanced";
    default: return "libsrtp2 error";
  }
}

/* ------------------------------------------------------------------------- */
/* Keys                                                                       */
/* ------------------------------------------------------------------------- */

static guint64
soft_limit_of (guint64 hard)
{
  /* Announce early enough that signalling can deliver a new key: 2^16
   * packets (about 20 minutes of 20 ms audio) or half of a short lifetime. */
  return hard - MIN (hard / 2, G_GUINT64_CONSTANT (65536));
}

static gboolean
check_supported (const SdesCryptoAttr *attr, GError **error)
{
  const SdesCryptoSuiteInfo *info = sdes_crypto_suite_get_info (attr->suite);

  if (!gst_srtp_sdes_suite_supported (attr->suite)) {
    g_set_error (error, GST_SRTP_SDES_ERROR, GST_SRTP_SDES_ERROR_UNSUPPORTED_SUITE,
        "crypto suite %s is not supported by libsrtp2%s", attr->suite_name,
        attr->suite == SDES_CRYPTO_SUITE_F8_128_HMAC_SHA1_80 ? " (no f8 mode)"
        : (attr->suite == SDES_CRYPTO_SUITE_AES_192_CM_HMAC_SHA1_80
           || attr->suite == SDES_CRYPTO_SUITE_AES_192_CM_HMAC_SHA1_32)
        ? " (its AES-192 key derivation is not RFC 6188's)" : "");
    return FALSE;
  }
  /* RFC 4568 §6.3.1: KDR=n means re-deriving session keys every 2^n
   * packets; libsrtp2 only derives them once. */
  if (attr->kdr > 0) {
    g_set_error (error, GST_SRTP_SDES_ERROR, GST_SRTP_SDES_ERROR_UNSUPPORTED_KDR,
        "KDR=%d is not supported by libsrtp2 (only a key derivation rate of 0)",
        attr->kdr);
    return FALSE;
  }
  /* RFC 4568 §6.3.4/§6.3.5: FEC needs a separate FEC key and an FEC
   * element around SRTP; the elements do not do FEC. */
  if (attr->n_fec_keys > 0 || attr->fec_order == SDES_FEC_ORDER_SRTP_FEC) {
    g_set_error (error, GST_SRTP_SDES_ERROR, GST_SRTP_SDES_ERROR_UNSUPPORTED_FEC,
        "%s is not supported", attr->n_fec_keys > 0 ? "FEC_KEY" : "FEC_ORDER=SRTP_FEC");
    return FALSE;
  }
  /* RFC 7714 §9: an AEAD suite always encrypts and authenticates together. */
  if (info->aead && (attr->unencrypted_srtp || attr->unencrypted_srtcp ||
                     attr->unauthenticated_srtp)) {
    g_set_error (error, GST_SRTP_SDES_ERROR,
        GST_SRTP_SDES_ERROR_UNSUPPORTED_SESSION_PARAM,
        "UNENCRYPTED_SRTP, UNENCRYPTED_SRTCP and UNAUTHENTICATED_SRTP are not "
        "supported with %s", attr->suite_name);
    return FALSE;
  }
  return TRUE;
}

/**
 * gst_srtp_sdes_key_new_from_attr:
 * @attr: (transfer full): a parsed attribute
 * @error: a #GError
 *
 * Returns: (transfer full) (nullable): a key ready for libsrtp2, or %NULL
 *   with @error set (%GST_SRTP_SDES_ERROR) when libsrtp2 cannot do it.
 */
GstSrtpSdesKey *
gst_srtp_sdes_key_new_from_attr (SdesCryptoAttr *attr, GError **error)
{
  GstSrtpSdesKey *key;

  if (!check_supported (attr, error)) {
    sdes_crypto_attr_free (attr);
    return NULL;
  }

  key = g_new0 (GstSrtpSdesKey, 1);
  key->ref_count = 1;
  key->attr = attr;
  key->info = sdes_crypto_suite_get_info (attr->suite);
  key->redacted = sdes_crypto_attr_format_redacted (attr);
  key->mki_size = attr->keys[0].mki_length;
  key->n_keys = attr->n_keys;

  if (key->mki_size > 0) {
    /* All key-params have the same MKI length (RFC 4568 §6.1, checked by
     * the parser). */
    key->master_keys = g_malloc0 (attr->n_keys * (sizeof (srtp_master_key_t) +
            sizeof (srtp_master_key_t *) + key->mki_size));
    key->master_key_ptrs = (srtp_master_key_t **) (key->master_keys + attr->n_keys);
    key->mki_ids = (guint8 *) (key->master_key_ptrs + attr->n_keys);
  }
  for (guint i = 0; i < attr->n_keys; i++) {
    const SdesKeyParam *kp = &attr->keys[i];
    guint64 lifetime = kp->lifetime;

    if (key->mki_size > 0) {
      guint8 *mki = key->mki_ids + i * key->mki_size;

      key->master_keys[i].key = (guint8 *) kp->key_salt;
      key->master_keys[i].mki_size = kp->mki_length;
      key->master_keys[i].mki_id = mki;
      /* RFC 3711 §3.1: the MKI is sent in network order; values wider
       * than 8 bytes are zero-padded on the left. */
      for (guint b = 0; b < kp->mki_length && b < 8; b++)
        mki[kp->mki_length - 1 - b] = (kp->mki_value >> (8 * b)) & 0xff;
      key->master_key_ptrs[i] = &key->master_keys[i];
    }

    /* RFC 3711 §9.2 / Cisco Table 47: 2^48 SRTP and 2^31 SRTCP packets
     * at most; a line's lifetime can only shorten that. */
    key->use[i].srtp_hard_limit = key->info->max_srtp_lifetime;
    key->use[i].srtcp_hard_limit = key->info->max_srtcp_lifetime;
    if (lifetime > 0) {
      key->use[i].srtp_hard_limit = MIN (key->use[i].srtp_hard_limit, lifetime);
      key->use[i].srtcp_hard_limit = MIN (key->use[i].srtcp_hard_limit, lifetime);
    }
    atomic_init (&key->use[i].srtp_used, 0);
    atomic_init (&key->use[i].srtcp_used, 0);
  }
  atomic_init (&key->limit_flags, 0);

  return key;
}

/**
 * gst_srtp_sdes_key_new:
 * @text: an a=crypto value, with or without "a=crypto:"
 * @error: a #GError
 *
 * Returns: (transfer full) (nullable): the key, or %NULL with @error set in
 *   the %SDES_CRYPTO_ERROR domain (syntax) or %GST_SRTP_SDES_ERROR (libsrtp2
 *   cannot do it). The error message never contains key material.
 */
GstSrtpSdesKey *
gst_srtp_sdes_key_new (const gchar *text, GError **error)
{
  SdesCryptoAttr *attr;

  attr = sdes_crypto_attr_parse (text, error);
  if (attr == NULL)
    return NULL;
  return gst_srtp_sdes_key_new_from_attr (attr, error);
}

/* Stock srtpdec caps fields -> the suite they describe. */
static gboolean
caps_to_suite (const gchar *cipher, const gchar *auth, gsize key_len,
               SdesCryptoSuite *suite, gboolean *unencrypted, gboolean *unauthenticated)
{
  gboolean aes256 = FALSE, tag32 = FALSE;

  *unencrypted = g_strcmp0 (cipher, "null") == 0;
  *unauthenticated = g_strcmp0 (auth, "null") == 0;

  if (g_strcmp0 (cipher, "aes-128-gcm") == 0) {
    *suite = SDES_CRYPTO_SUITE_AEAD_AES_128_GCM;
    *unauthenticated = FALSE;
    return TRUE;
  }
  if (g_strcmp0 (cipher, "aes-256-gcm") == 0) {
    *suite = SDES_CRYPTO_SUITE_AEAD_AES_256_GCM;
    *unauthenticated = FALSE;
    return TRUE;
  }
  if (g_strcmp0 (cipher, "aes-256-icm") == 0)
    aes256 = TRUE;
  else if (*unencrypted)
    aes256 = key_len == 46;
  else if (g_strcmp0 (cipher, "aes-128-icm") != 0)
    return FALSE;

  if (g_strcmp0 (auth, "hmac-sha1-32") == 0)
    tag32 = TRUE;
  else if (!*unauthenticated && g_strcmp0 (auth, "hmac-sha1-80") != 0)
    return FALSE;
  if (*unencrypted && *unauthenticated)
    return FALSE;

  if (aes256)
    *suite = tag32 ? SDES_CRYPTO_SUITE_AES_256_CM_HMAC_SHA1_32 :
        SDES_CRYPTO_SUITE_AES_256_CM_HMAC_SHA1_80;
  else
    *suite = tag32 ? SDES_CRYPTO_SUITE_AES_CM_128_HMAC_SHA1_32 :
        SDES_CRYPTO_SUITE_AES_CM_128_HMAC_SHA1_80;
  return TRUE;
}

/**
 * gst_srtp_sdes_key_new_from_caps:
 * @s: caps structure with the stock srtpdec fields srtp-key, srtp-cipher,
 *   srtp-auth, srtcp-cipher, srtcp-auth
 * @error: a #GError
 *
 * Compatibility with stock srtpdec users: the key given as a GstBuffer in
 * caps is turned into an a=crypto value and goes through the same parser
 * and checks as every other key.
 *
 * Returns: (transfer full) (nullable): the key, or %NULL with @error set.
 */
GstSrtpSdesKey *
gst_srtp_sdes_key_new_from_caps (const GstStructure *s, GError **error)
{
  const GValue *v = gst_structure_get_value (s, "srtp-key");
  const gchar *srtp_cipher = gst_structure_get_string (s, "srtp-cipher");
  const gchar *srtp_auth = gst_structure_get_string (s, "srtp-auth");
  const gchar *srtcp_cipher = gst_structure_get_string (s, "srtcp-cipher");
  const gchar *srtcp_auth = gst_structure_get_string (s, "srtcp-auth");
  GstBuffer *buf;
  GstMapInfo map;
  SdesCryptoSuite suite, rtcp_suite;
  gboolean unenc, unauth, rtcp_unenc, rtcp_unauth;
  g_autofree gchar *b64 = NULL;
  GString *text;
  gsize mki_len_first = 0;
  GstSrtpSdesKey *key = NULL;

  if (v == NULL || !GST_VALUE_HOLDS_BUFFER (v) || srtp_cipher == NULL ||
      srtp_auth == NULL) {
    g_set_error_literal (error, GST_SRTP_SDES_ERROR, GST_SRTP_SDES_ERROR_BAD_CAPS,
        "caps need srtp-key, srtp-cipher and srtp-auth");
    return NULL;
  }
  buf = gst_value_get_buffer (v);
  if (!gst_buffer_map (buf, &map, GST_MAP_READ)) {
    g_set_error_literal (error, GST_SRTP_SDES_ERROR, GST_SRTP_SDES_ERROR_BAD_CAPS,
        "cannot read srtp-key");
    return NULL;
  }
  if (!caps_to_suite (srtp_cipher, srtp_auth, map.size, &suite, &unenc, &unauth) ||
      !caps_to_suite (srtcp_cipher ? srtcp_cipher : srtp_cipher,
          srtcp_auth ? srtcp_auth : srtp_auth, map.size, &rtcp_suite,
          &rtcp_unenc, &rtcp_unauth) || rtcp_unauth) {
    gst_buffer_unmap (buf, &map);
    g_set_error (error, GST_SRTP_SDES_ERROR, GST_SRTP_SDES_ERROR_BAD_CAPS,
        "no SDES suite for srtp-cipher=%s srtp-auth=%s srtcp-cipher=%s srtcp-auth=%s",
        srtp_cipher, srtp_auth, srtcp_cipher ? srtcp_cipher : "(same)",
        srtcp_auth ? srtcp_auth : "(same)");
    return NULL;
  }
  gst_buffer_unmap (buf, &map);

  /* Stock srtpdec: "mki" gives the first key an MKI, then "srtp-key2" +
   * "mki2" ... "srtp-key15" + "mki15" add keys (RFC 3711 §8.1: one MKI per
   * master key). In a=crypto they are key-params "inline:<key>|<mki>:<len>"
   * separated by ";" (RFC 4568 §9.2). */
  /* Sized once for 16 key-params (about 100 bytes each): a reallocation
   * would leave key text behind in freed memory. */
  text = g_string_sized_new (4096);
  g_string_append_printf (text, "1 %s ", sdes_crypto_suite_to_string (suite));
  for (guint i = 0; i < SDES_CRYPTO_MAX_KEYS; i++) {
    g_autofree gchar *key_field = i == 0 ? g_strdup ("srtp-key") :
        g_strdup_printf ("srtp-key%u", i + 1);
    g_autofree gchar *mki_field = i == 0 ? g_strdup ("mki") : g_strdup_printf ("mki%u", i + 1);
    const GValue *kv = gst_structure_get_value (s, key_field);
    const GValue *mv = gst_structure_get_value (s, mki_field);
    guint64 mki_value = 0;
    gsize mki_len = 0;

    if (i > 0 && (mki_len_first == 0 || kv == NULL || mv == NULL))
      break;
    if (kv == NULL || !GST_VALUE_HOLDS_BUFFER (kv) ||
        (mv != NULL && !GST_VALUE_HOLDS_BUFFER (mv)) ||
        !gst_buffer_map (gst_value_get_buffer (kv), &map, GST_MAP_READ)) {
      g_set_error (error, GST_SRTP_SDES_ERROR, GST_SRTP_SDES_ERROR_BAD_CAPS,
          "caps field %s or %s is not a buffer", key_field, mki_field);
      goto done;
    }
    b64 = g_base64_encode (map.data, map.size);
    gst_buffer_unmap (gst_value_get_buffer (kv), &map);
    if (mv != NULL) {
      GstBuffer *mki = gst_value_get_buffer (mv);

      mki_len = gst_buffer_get_size (mki);
      if (mki_len == 0 || mki_len > 128 || (i > 0 && mki_len != mki_len_first) ||
          !gst_buffer_map (mki, &map, GST_MAP_READ)) {
        g_set_error (error, GST_SRTP_SDES_ERROR, GST_SRTP_SDES_ERROR_BAD_CAPS,
            "caps field %s: MKIs are 1..128 bytes, all of one length", mki_field);
        goto done;
      }
      /* a=crypto writes the MKI as a decimal number: longer MKIs must be
       * zero-padded on the left (as RFC 3711 §3.1 sends them). */
      for (gsize b = 0; b < mki_len; b++) {
        if (b + 8 < mki_len && map.data[b] != 0) {
          gst_buffer_unmap (mki, &map);
          g_set_error (error, GST_SRTP_SDES_ERROR, GST_SRTP_SDES_ERROR_BAD_CAPS,
              "caps field %s: an MKI value wider than 64 bits cannot be written "
              "in a=crypto", mki_field);
          goto done;
        }
        mki_value = (mki_value << 8) | map.data[b];
      }
      gst_buffer_unmap (mki, &map);
      if (i == 0)
        mki_len_first = mki_len;
    }
    g_string_append_printf (text, "%sinline:%s", i > 0 ? ";" : "", b64);
    if (mki_len > 0)
      g_string_append_printf (text, "|%" G_GUINT64_FORMAT ":%" G_GSIZE_FORMAT, mki_value,
          mki_len);
    sdes_crypto_wipe (b64, strlen (b64));
    g_clear_pointer (&b64, g_free);
  }
  g_string_append_printf (text, "%s%s%s", unenc ? " UNENCRYPTED_SRTP" : "",
      rtcp_unenc ? " UNENCRYPTED_SRTCP" : "", unauth ? " UNAUTHENTICATED_SRTP" : "");
  key = gst_srtp_sdes_key_new (text->str, error);

done:
  if (b64)
    sdes_crypto_wipe (b64, strlen (b64));
  sdes_crypto_wipe (text->str, text->len);
  g_string_free (text, TRUE);
  return key;
}

GstSrtpSdesKey *
gst_srtp_sdes_key_ref (GstSrtpSdesKey *key)
{
  g_atomic_int_inc (&key->ref_count);
  return key;
}

void
gst_srtp_sdes_key_unref (GstSrtpSdesKey *key)
{
  if (key == NULL || !g_atomic_int_dec_and_test (&key->ref_count))
    return;
  sdes_crypto_attr_free (key->attr); /* wipes the key material */
  g_free (key->redacted);
  g_free (key->master_keys); /* the MKI block: pointers into attr and MKIs, nothing secret */
  g_free (key);
}

/**
 * gst_srtp_sdes_key_format:
 * @key: a key
 *
 * Returns: (transfer full): the full a=crypto value, key included. Only for
 *   an explicit property read; never log it.
 */
gchar *
gst_srtp_sdes_key_format (const GstSrtpSdesKey *key)
{
  return sdes_crypto_attr_format (key->attr);
}

gboolean
gst_srtp_sdes_key_same (const GstSrtpSdesKey *a, const GstSrtpSdesKey *b)
{
  if (a == b)
    return TRUE;
  if (a == NULL || b == NULL)
    return FALSE;
  return sdes_crypto_attr_equal (a->attr, b->attr);
}

/**
 * gst_srtp_sdes_key_fill_policy:
 *
 * Fills @policy for @key. The policy points into @key (master keys, MKIs),
 * so @key must outlive every use of @policy (libsrtp2 copies what it needs
 * in srtp_create / srtp_add_stream).
 */
void
gst_srtp_sdes_key_fill_policy (const GstSrtpSdesKey *key,
                               srtp_policy_t *policy,
                               srtp_ssrc_type_t ssrc_type,
                               guint32 ssrc,
                               guint window_size)
{
  const SdesCryptoAttr *attr = key->attr;

  memset (policy, 0, sizeof (*policy));
  fill_crypto_policies (attr->suite, &policy->rtp, &policy->rtcp);

  /* RFC 4568 §6.3.2: UNAUTHENTICATED_SRTP drops the SRTP tag entirely
   * (libsrtp2 needs the null auth type for that, not just the flag). */
  if (attr->unauthenticated_srtp) {
    policy->rtp.auth_type = SRTP_NULL_AUTH;
    policy->rtp.auth_key_len = 0;
    policy->rtp.auth_tag_len = 0;
    policy->rtp.sec_serv &= ~sec_serv_auth;
  }
  /* RFC 4568 §6.3.2/§6.3.3: the cipher stays (key derivation uses the
   * AES-CM PRF), only the confidentiality service is switched off; for
   * SRTCP the E flag is then 0 (RFC 3711 §3.4). */
  if (attr->unencrypted_srtp)
    policy->rtp.sec_serv &= ~sec_serv_conf;
  if (attr->unencrypted_srtcp)
    policy->rtcp.sec_serv &= ~sec_serv_conf;

  policy->ssrc.type = ssrc_type;
  policy->ssrc.value = ssrc;
  if (key->mki_size > 0) {
    policy->keys = (srtp_master_key_t **) key->master_key_ptrs;
    policy->num_master_keys = attr->n_keys;
  } else {
    policy->key = (guint8 *) attr->keys[0].key_salt;
  }
  /* RFC 4568 §6.3.6: WSH is the receiver's window hint; else the
   * configured size (Cisco Table 47: 64). */
  if (attr->wsh > 0)
    window_size = (guint) MIN (attr->wsh, (guint64) GST_SRTP_SDES_MAX_WINDOW);
  policy->window_size = CLAMP (window_size, 64, GST_SRTP_SDES_MAX_WINDOW);
  policy->allow_repeat_tx = 0;
  policy->next = NULL;
}

/**
 * gst_srtp_sdes_key_create_session:
 *
 * @ssrc: the SSRC when @ssrc_type is ssrc_specific
 *
 * Returns: (nullable): a libsrtp2 session with one stream for @key, or
 *   %NULL with @error set. A wildcard stream (ssrc_any_*) is a template
 *   that libsrtp2 clones per SSRC; an ssrc_specific one is the SSRC's own
 *   stream, which halves the memory of a per-SSRC key (issue 9: thousands
 *   of them, one cache-missing stream each instead of template + clone).
 */
srtp_t
gst_srtp_sdes_key_create_session (const GstSrtpSdesKey *key,
                                  srtp_ssrc_type_t ssrc_type,
                                  guint32 ssrc,
                                  guint window_size,
                                  GError **error)
{
  srtp_policy_t policy;
  srtp_t session = NULL;
  srtp_err_status_t err;

  gst_srtp_sdes_key_fill_policy (key, &policy, ssrc_type, ssrc, window_size);
  err = srtp_create (&session, &policy);
  if (err != srtp_err_status_ok) {
    g_set_error (error, GST_SRTP_SDES_ERROR, GST_SRTP_SDES_ERROR_LIBSRTP,
        "libsrtp2 refused the policy for %s: %s", key->attr->suite_name,
        gst_srtp_sdes_err_to_string (err));
    return NULL;
  }
  return session;
}

/* Adds a stream for one SSRC, so that a ROC can be set on it before its
 * first packet (srtp_set_stream_roc needs an existing stream). */
gboolean
gst_srtp_sdes_key_add_stream (const GstSrtpSdesKey *key,
                              srtp_t session,
                              guint32 ssrc,
                              guint window_size)
{
  srtp_policy_t policy;

  gst_srtp_sdes_key_fill_policy (key, &policy, ssrc_specific, ssrc, window_size);
  return srtp_add_stream (session, &policy) == srtp_err_status_ok;
}

/* Bytes srtp_protect / srtp_protect_rtcp append. */
guint
gst_srtp_sdes_key_trailer_len (const GstSrtpSdesKey *key, gboolean rtcp)
{
  if (rtcp)
    return 4 + key->info->srtcp_auth_tag_len + key->mki_size;
  return (key->attr->unauthenticated_srtp ? 0 : key->info->srtp_auth_tag_len) +
      key->mki_size;
}

/* Which key-param protected a packet: RFC 3711 §3.1, the MKI sits just
 * before the authentication tag. Returns 0 when there are no MKIs or none
 * matches (libsrtp2 then rejects the packet anyway). */
guint
gst_srtp_sdes_key_mki_index_in_packet (const GstSrtpSdesKey *key,
                                       const guint8 *data,
                                       gsize len,
                                       gboolean rtcp)
{
  guint tag;

  /* Without MKIs (the common case) the attribute is not touched. */
  if (key->mki_size == 0)
    return 0;
  tag = rtcp ? key->info->srtcp_auth_tag_len :
      (key->attr->unauthenticated_srtp ? 0 : key->info->srtp_auth_tag_len);
  if (len < tag + key->mki_size)
    return 0;
  for (guint i = 0; i < key->n_keys; i++) {
    if (memcmp (data + len - tag - key->mki_size, key->mki_ids + i * key->mki_size,
            key->mki_size) == 0)
      return i;
  }
  return 0;
}

/**
 * gst_srtp_sdes_key_count:
 *
 * Counts one packet against the lifetime of key-param @key_index. Lock free.
 *
 * Returns: whether the packet may be used and whether a limit message is due.
 */
GstSrtpSdesLimit
gst_srtp_sdes_key_count (GstSrtpSdesKey *key,
                         guint key_index,
                         gboolean rtcp,
                         guint64 *used,
                         guint64 *limit)
{
  GstSrtpSdesKeyUse *use = &key->use[key_index];
  atomic_uint_fast64_t *counter = rtcp ? &use->srtcp_used : &use->srtp_used;
  guint64 hard = rtcp ? use->srtcp_hard_limit : use->srtp_hard_limit;
  guint shift = 2 * key_index + (rtcp ? 32 : 0);
  guint64 n = atomic_fetch_add_explicit (counter, 1, memory_order_relaxed) + 1;
  guint64 bit;

  *used = n;
  *limit = hard;
  if (n > hard) {
    bit = G_GUINT64_CONSTANT (2) << shift;
    if (atomic_fetch_or (&key->limit_flags, bit) & bit)
      return GST_SRTP_SDES_LIMIT_EXHAUSTED;
    return GST_SRTP_SDES_LIMIT_HARD;
  }
  if (n >= soft_limit_of (hard)) {
    bit = G_GUINT64_CONSTANT (1) << shift;
    if (!(atomic_fetch_or (&key->limit_flags, bit) & bit))
      return GST_SRTP_SDES_LIMIT_SOFT;
  }
  return GST_SRTP_SDES_LIMIT_OK;
}

GstStructure *
gst_srtp_sdes_key_limit_message (const GstSrtpSdesKey *key,
                                 GstSrtpSdesLimit limit,
                                 guint key_index,
                                 gboolean rtcp,
                                 guint64 used,
                                 guint64 hard_limit)
{
  return gst_structure_new (limit == GST_SRTP_SDES_LIMIT_SOFT ?
      "srtpsdes-key-soft-limit" : "srtpsdes-key-hard-limit",
      "tag", G_TYPE_UINT, key->attr->tag,
      "suite", G_TYPE_STRING, key->attr->suite_name,
      "mki-index", G_TYPE_UINT, key_index,
      "rtcp", G_TYPE_BOOLEAN, rtcp,
      "packets", G_TYPE_UINT64, used,
      "limit", G_TYPE_UINT64, hard_limit, NULL);
}

/* ------------------------------------------------------------------------- */
/* Per-SSRC state                                                             */
/* ------------------------------------------------------------------------- */

GstSrtpSdesSsrc *
gst_srtp_sdes_ssrc_new (guint32 ssrc, gboolean rtcp)
{
  GstSrtpSdesSsrc *s = g_new0 (GstSrtpSdesSsrc, 1);

  s->ssrc = ssrc;
  s->rtcp = rtcp;
  return s;
}

void
gst_srtp_sdes_ssrc_free (GstSrtpSdesSsrc *s)
{
  gst_srtp_sdes_key_unref (s->key);
  g_free (s);
}

/* RFC 3711 §3.3.1: the ROC a packet with sequence number @seq most likely
 * belongs to, given the highest index seen so far. */
guint32
gst_srtp_sdes_guess_roc (const GstSrtpSdesSsrc *s, guint16 seq)
{
  if (!s->seen)
    return s->initial_roc;
  if (s->highest_seq < 32768) {
    if (seq > s->highest_seq && seq - s->highest_seq > 32768 && s->roc > 0)
      return s->roc - 1;
    return s->roc;
  }
  if (seq < s->highest_seq - 32768)
    return s->roc + 1;
  return s->roc;
}

void
gst_srtp_sdes_ssrc_track_seq (GstSrtpSdesSsrc *s, guint16 seq)
{
  guint32 roc = gst_srtp_sdes_guess_roc (s, seq);

  if (!s->seen || roc > s->roc || (roc == s->roc && seq > s->highest_seq)) {
    s->roc = roc;
    s->highest_seq = seq;
    s->seen = TRUE;
  }
}

GstStructure *
gst_srtp_sdes_ssrc_to_structure (const GstSrtpSdesSsrc *s)
{
  return gst_structure_new ("application/x-srtpsdes-stream",
      "ssrc", G_TYPE_UINT, s->ssrc,
      "rtcp", G_TYPE_BOOLEAN, s->rtcp,
      "packets", G_TYPE_UINT64, s->packets,
      "bytes", G_TYPE_UINT64, s->bytes,
      "auth-failures", G_TYPE_UINT64, s->auth_failures,
      "replay-drops", G_TYPE_UINT64, s->replay_drops,
      "unknown-key-drops", G_TYPE_UINT64, s->unknown_key_drops,
      "limit-drops", G_TYPE_UINT64, s->limit_drops,
      "invalid-drops", G_TYPE_UINT64, s->invalid_drops,
      "roc", G_TYPE_UINT, s->roc,
      "suite", G_TYPE_STRING, s->key ? s->key->attr->suite_name : NULL,
      "tag", G_TYPE_UINT, s->key ? s->key->attr->tag : 0, NULL);
}

GstStructure *
gst_srtp_sdes_secure_message (const GstSrtpSdesSsrc *s)
{
  return gst_structure_new ("srtpsdes-secure",
      "ssrc", G_TYPE_UINT, s->ssrc,
      "rtcp", G_TYPE_BOOLEAN, s->rtcp,
      "suite", G_TYPE_STRING, s->key->attr->suite_name,
      "tag", G_TYPE_UINT, s->key->attr->tag, NULL);
}

GstStructure *
gst_srtp_sdes_auth_failure_message (const GstSrtpSdesSsrc *s, const gchar *reason)
{
  return gst_structure_new ("srtpsdes-auth-failure",
      "ssrc", G_TYPE_UINT, s->ssrc,
      "rtcp", G_TYPE_BOOLEAN, s->rtcp,
      "reason", G_TYPE_STRING, reason,
      "auth-failures", G_TYPE_UINT64, s->auth_failures,
      "unknown-key-drops", G_TYPE_UINT64, s->unknown_key_drops, NULL);
}

/* ------------------------------------------------------------------------- */
/* Caps and buffers                                                           */
/* ------------------------------------------------------------------------- */

static gboolean
strip_key_fields (GQuark field, GValue *value, gpointer user_data)
{
  const gchar *name = g_quark_to_string (field);

  /* Stock srtpenc/srtpdec key fields never leave the element. */
  return !(g_str_has_prefix (name, "srtp-") || g_str_has_prefix (name, "srtcp-") ||
      g_str_has_prefix (name, "mki") || g_str_equal (name, "roc"));
}

/**
 * gst_srtp_sdes_transform_caps:
 * @caps: (transfer none): caps
 * @to_secure: %TRUE for x-rtp -> x-srtp, %FALSE for x-srtp -> x-rtp
 *
 * Returns: (transfer full): @caps renamed, without srtp-* key fields.
 */
GstCaps *
gst_srtp_sdes_transform_caps (GstCaps *caps, gboolean to_secure)
{
  GstCaps *out;

  if (gst_caps_is_any (caps))
    return gst_caps_new_any ();
  out = gst_caps_copy (caps);
  for (guint i = 0; i < gst_caps_get_size (out); i++) {
    GstStructure *s = gst_caps_get_structure (out, i);
    const gchar *name = gst_structure_get_name (s);
    gboolean rtcp = g_str_has_suffix (name, "rtcp");

    if (to_secure)
      gst_structure_set_name (s, rtcp ? "application/x-srtcp" : "application/x-srtp");
    else
      gst_structure_set_name (s, rtcp ? "application/x-rtcp" : "application/x-rtp");
    gst_structure_filter_and_map_in_place (s, strip_key_fields, NULL);
  }
  return out;
}

gboolean
gst_srtp_sdes_query_caps (GstPad *pad, GstPad *otherpad, GstQuery *query,
                          gboolean to_secure)
{
  GstCaps *filter = NULL, *peer_filter = NULL, *peer, *result, *templ;

  gst_query_parse_caps (query, &filter);
  if (filter)
    peer_filter = gst_srtp_sdes_transform_caps (filter, !to_secure);
  peer = otherpad ? gst_pad_peer_query_caps (otherpad, peer_filter) : gst_caps_new_any ();
  if (peer_filter)
    gst_caps_unref (peer_filter);
  result = gst_srtp_sdes_transform_caps (peer, to_secure);
  gst_caps_unref (peer);
  templ = gst_pad_get_pad_template_caps (pad);
  peer = gst_caps_intersect_full (templ, result, GST_CAPS_INTERSECT_FIRST);
  gst_caps_unref (templ);
  gst_caps_unref (result);
  if (filter) {
    result = gst_caps_intersect_full (filter, peer, GST_CAPS_INTERSECT_FIRST);
    gst_caps_unref (peer);
    peer = result;
  }
  gst_query_set_caps_result (query, peer);
  gst_caps_unref (peer);
  return TRUE;
}

/**
 * gst_srtp_sdes_packet_pool:
 *
 * Issue 9: one process-wide pool of MTU + maximum trailer buffers for
 * packets that arrive without room for the SRTP trailer, so that those
 * need no malloc of their own either. Shared by every element: a
 * GstBufferPool owns a GstPoll (file descriptors), so one pool per pad
 * would run out of descriptors with thousands of streams. Buffers are
 * allocated on demand and recycled when downstream drops them.
 *
 * Returns: (transfer none): the active pool of
 *   %GST_SRTP_SDES_POOL_BUFFER_SIZE buffers, or %NULL if it cannot be
 *   activated (then every such packet gets a buffer of its own).
 */
GstBufferPool *
gst_srtp_sdes_packet_pool (void)
{
  static GstBufferPool *pool;

  if (g_once_init_enter (&pool)) {
    GstBufferPool *p = gst_buffer_pool_new ();
    GstStructure *config = gst_buffer_pool_get_config (p);

    gst_buffer_pool_config_set_params (config, NULL, GST_SRTP_SDES_POOL_BUFFER_SIZE, 0, 0);
    if (!gst_buffer_pool_set_config (p, config) || !gst_buffer_pool_set_active (p, TRUE))
      GST_WARNING ("cannot activate the packet pool; falling back to allocations");
    /* Lives as long as the process, like the plugin. */
    GST_OBJECT_FLAG_SET (p, GST_OBJECT_FLAG_MAY_BE_LEAKED);
    g_once_init_leave (&pool, p);
  }
  return gst_buffer_pool_is_active (pool) ? pool : NULL;
}

/**
 * gst_srtp_sdes_buffer_make_room:
 * @buf: (transfer full): a packet
 * @extra: bytes to append
 * @pool: (nullable): where to take a buffer from when @buf has no room
 *
 * Grows @buf by @extra bytes in place when it is writable and has one
 * memory block we own alone with room behind the data: the common case
 * (udpsrc and most payloaders allocate MTU-sized blocks). Otherwise the
 * packet is copied once into a buffer of @pool (when it fits) or, for
 * oversized packets, a buffer of its own (metadata kept).
 *
 * Returns: (transfer full): a writable buffer of size + @extra bytes in
 *   one memory block that it owns alone.
 */
GstBuffer *
gst_srtp_sdes_buffer_make_room (GstBuffer *buf, gsize extra, GstBufferPool *pool)
{
  gsize size = gst_buffer_get_size (buf);
  GstBuffer *out = NULL;
  GstMemory *mem;
  GstMapInfo map;

  if (G_LIKELY (gst_buffer_is_writable (buf) && gst_buffer_n_memory (buf) == 1)) {
    mem = gst_buffer_peek_memory (buf, 0);
    if (G_LIKELY (!GST_MEMORY_IS_READONLY (mem) &&
            gst_mini_object_is_writable (GST_MINI_OBJECT_CAST (mem)) &&
            mem->maxsize - mem->offset >= size + extra)) {
      /* Cheaper than gst_buffer_set_size(), which walks every memory. */
      if (extra > 0)
        gst_memory_resize (mem, 0, size + extra);
      return buf;
    }
  }

  if (pool != NULL && size + extra <= GST_SRTP_SDES_POOL_BUFFER_SIZE &&
      gst_buffer_pool_acquire_buffer (pool, &out, NULL) == GST_FLOW_OK) {
    mem = gst_buffer_peek_memory (out, 0);
    gst_memory_resize (mem, 0, size + extra);
  } else {
    out = gst_buffer_new_allocate (NULL, size + extra, NULL);
    mem = gst_buffer_peek_memory (out, 0);
  }
  gst_buffer_copy_into (out, buf, GST_BUFFER_COPY_METADATA, 0, -1);
  if (gst_memory_map (mem, &map, GST_MAP_WRITE)) {
    gst_buffer_extract (buf, 0, map.data, size);
    gst_memory_unmap (mem, &map);
  }
  gst_buffer_unref (buf);
  return out;
}

/**
 * gst_srtp_sdes_buffer_set_packet_size:
 * @buf: a buffer returned by gst_srtp_sdes_buffer_make_room()
 * @size: the packet's final size
 *
 * Sets the size of the single memory block of @buf directly (no walk over
 * the buffer's memories per packet).
 */
void
gst_srtp_sdes_buffer_set_packet_size (GstBuffer *buf, gsize size)
{
  GstMemory *mem = gst_buffer_peek_memory (buf, 0);

  if (G_LIKELY (gst_buffer_n_memory (buf) == 1)) {
    if (mem->size != size)
      gst_memory_resize (mem, 0, size);
  } else {
    gst_buffer_set_size (buf, size);
  }
}

/* Posts queued element messages. Must be called with no lock held. */
void
gst_srtp_sdes_post_messages (GstElement *element, GSList *messages)
{
  for (GSList *l = messages; l; l = l->next)
    gst_element_post_message (element,
        gst_message_new_element (GST_OBJECT_CAST (element), l->data));
  g_slist_free (messages);
}
