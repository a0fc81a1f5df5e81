/* srtpsdes — keys: an a=crypto value made ready for libsrtp2
 *
 * Copyright (C) 2026 srtpsdes developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* The one place that turns an RFC 4568 a=crypto value into libsrtp2
 * policies and knows which suites and session parameters libsrtp2 can do.
 * Nothing here logs key material: the only printable form of a key is
 * GstSrtpSdesKey.redacted. */

#include "gstsrtpsdeskey.h"

#include <string.h>

#ifdef HAVE_SRTPSDES_BACKEND
#include "srtpsdes-backend.h"
#endif

/* Shared with gstsrtpsdesbuffer.c. */
GST_DEBUG_CATEGORY (gst_srtp_sdes_debug);
#define GST_CAT_DEFAULT gst_srtp_sdes_debug

G_DEFINE_QUARK (gst-srtp-sdes-error-quark, gst_srtp_sdes_error)

static gboolean suite_supported[SDES_CRYPTO_SUITE_N];

/* @srtcp_tag32: a _32 suite's SRTCP with a 32-bit tag as well, for peers
 * that send and expect it (liblinphone 5.1); ignored for other suites. */
static void
fill_crypto_policies (SdesCryptoSuite suite,
                      gboolean srtcp_tag32,
                      srtp_crypto_policy_t *rtp,
                      srtp_crypto_policy_t *rtcp)
{
  /* RFC 4568 §6.2 / RFC 6188 §7 (and RFC 3711 §4.2, which makes the
   * 80-bit tag SRTCP's default): the _32 suites shorten the SRTP tag
   * only; SRTCP keeps the 80-bit tag unless the caller asks otherwise. */
  switch (suite) {
    case SDES_CRYPTO_SUITE_AES_CM_128_HMAC_SHA1_80:
      srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80 (rtp);
      srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80 (rtcp);
      break;
    case SDES_CRYPTO_SUITE_AES_CM_128_HMAC_SHA1_32:
      srtp_crypto_policy_set_aes_cm_128_hmac_sha1_32 (rtp);
      if (srtcp_tag32)
        srtp_crypto_policy_set_aes_cm_128_hmac_sha1_32 (rtcp);
      else
        srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80 (rtcp);
      break;
    case SDES_CRYPTO_SUITE_AES_192_CM_HMAC_SHA1_80:
      srtp_crypto_policy_set_aes_cm_192_hmac_sha1_80 (rtp);
      srtp_crypto_policy_set_aes_cm_192_hmac_sha1_80 (rtcp);
      break;
    case SDES_CRYPTO_SUITE_AES_192_CM_HMAC_SHA1_32:
      srtp_crypto_policy_set_aes_cm_192_hmac_sha1_32 (rtp);
      if (srtcp_tag32)
        srtp_crypto_policy_set_aes_cm_192_hmac_sha1_32 (rtcp);
      else
        srtp_crypto_policy_set_aes_cm_192_hmac_sha1_80 (rtcp);
      break;
    case SDES_CRYPTO_SUITE_AES_256_CM_HMAC_SHA1_80:
      srtp_crypto_policy_set_aes_cm_256_hmac_sha1_80 (rtp);
      srtp_crypto_policy_set_aes_cm_256_hmac_sha1_80 (rtcp);
      break;
    case SDES_CRYPTO_SUITE_AES_256_CM_HMAC_SHA1_32:
      srtp_crypto_policy_set_aes_cm_256_hmac_sha1_32 (rtp);
      if (srtcp_tag32)
        srtp_crypto_policy_set_aes_cm_256_hmac_sha1_32 (rtcp);
      else
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
  fill_crypto_policies (suite, FALSE, &policy.rtp, &policy.rtcp);
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
    /* OpenSSL-backed AES-CM/HMAC-SHA1 (and GCM) inside libsrtp2,
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

/**
 * GstSrtpSdesSuite:
 *
 * The #SdesCryptoSuite values this libsrtp2 build implements, with their
 * numbers, names and nicks: SdesCryptoSuite lists every suite of RFC 4568
 * and RFC 6188, F8 and AES_192 among them, which the elements refuse
 * (libsrtp2 has no f8 mode, and its AES-192 key derivation is not RFC
 * 6188's). Made from the runtime probe, so gst-inspect lists only suites
 * that work.
 *
 * Since: 0.1
 */
GType
gst_srtp_sdes_suite_get_type (void)
{
  static gsize type = 0;

  if (g_once_init_enter (&type)) {
    GEnumClass *all = g_type_class_ref (SDES_TYPE_CRYPTO_SUITE);
    /* Lives as long as the type, that is the process. */
    GEnumValue *values = g_new0 (GEnumValue, all->n_values + 1);
    guint n = 0;

    for (guint i = 0; i < all->n_values; i++) {
      if (gst_srtp_sdes_suite_supported (all->values[i].value))
        values[n++] = all->values[i];
    }
    /* The class holds the names and nicks: keep it. */
    g_once_init_leave (&type, g_enum_register_static ("GstSrtpSdesSuite", values));
  }
  return type;
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
 * Fills @policy for @key; @srtcp_tag32: SRTCP with a 32-bit tag under a
 * _32 suite (gst_srtp_sdes_key_has_srtcp_tag32()), else RFC 3711 §4.2's
 * 80 bits. The policy points into @key (master keys, MKIs),
 * so @key must outlive every use of @policy (libsrtp2 copies what it needs
 * in srtp_create / srtp_add_stream).
 */
void
gst_srtp_sdes_key_fill_policy (const GstSrtpSdesKey *key,
                               srtp_policy_t *policy,
                               srtp_ssrc_type_t ssrc_type,
                               guint32 ssrc,
                               guint window_size,
                               gboolean srtcp_tag32)
{
  const SdesCryptoAttr *attr = key->attr;

  memset (policy, 0, sizeof (*policy));
  fill_crypto_policies (attr->suite, srtcp_tag32, &policy->rtp, &policy->rtcp);

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
 * @srtcp_tag32: see gst_srtp_sdes_key_fill_policy()
 *
 * Returns: (nullable): a libsrtp2 session with one stream for @key, or
 *   %NULL with @error set. A wildcard stream (ssrc_any_*) is a template
 *   that libsrtp2 clones per SSRC; an ssrc_specific one is the SSRC's own
 *   stream, which halves the memory of a per-SSRC key (a relay has thousands
 *   of them, one cache-missing stream each instead of template + clone).
 */
srtp_t
gst_srtp_sdes_key_create_session (const GstSrtpSdesKey *key,
                                  srtp_ssrc_type_t ssrc_type,
                                  guint32 ssrc,
                                  guint window_size,
                                  gboolean srtcp_tag32,
                                  GError **error)
{
  srtp_policy_t policy;
  srtp_t session = NULL;
  srtp_err_status_t err;

  gst_srtp_sdes_key_fill_policy (key, &policy, ssrc_type, ssrc, window_size, srtcp_tag32);
  err = srtp_create (&session, &policy);
  if (err != srtp_err_status_ok) {
    g_set_error (error, GST_SRTP_SDES_ERROR, GST_SRTP_SDES_ERROR_LIBSRTP,
        "libsrtp2 refused the policy for %s: %s", key->attr->suite_name,
        gst_srtp_sdes_err_to_string (err));
    return NULL;
  }
  return session;
}

/**
 * gst_srtp_sdes_key_create_srtcp_session:
 *
 * A receiving session for @key's SRTCP only (@srtcp_tag32: see
 * gst_srtp_sdes_key_fill_policy()) whose RTP policy is the RTCP one, so
 * that libsrtp2 finds the MKI where RFC 3711 §3.4 puts it (see
 * gst_srtp_sdes_key_srtcp_mki_misplaced()). The SRTCP keys only depend
 * on the master key and the RTCP policy (RFC 3711 §4.3), so they are the
 * same as in gst_srtp_sdes_key_create_session()'s session.
 *
 * Returns: (nullable): the session, or %NULL with @error set.
 */
srtp_t
gst_srtp_sdes_key_create_srtcp_session (const GstSrtpSdesKey *key,
                                        guint window_size,
                                        gboolean srtcp_tag32,
                                        GError **error)
{
  srtp_policy_t policy;
  srtp_t session = NULL;
  srtp_err_status_t err;

  gst_srtp_sdes_key_fill_policy (key, &policy, ssrc_any_inbound, 0, window_size, srtcp_tag32);
  policy.rtp = policy.rtcp;
  err = srtp_create (&session, &policy);
  if (err != srtp_err_status_ok) {
    g_set_error (error, GST_SRTP_SDES_ERROR, GST_SRTP_SDES_ERROR_LIBSRTP,
        "libsrtp2 refused the SRTCP policy for %s: %s", key->attr->suite_name,
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
                              guint window_size,
                              gboolean srtcp_tag32)
{
  srtp_policy_t policy;

  gst_srtp_sdes_key_fill_policy (key, &policy, ssrc_specific, ssrc, window_size, srtcp_tag32);
  return srtp_add_stream (session, &policy) == srtp_err_status_ok;
}

/* Whether @key's suite is a _32 one (AES-CM, 32-bit SRTP tag), whose SRTCP
 * some peers send with a 32-bit tag too instead of RFC 3711 §4.2's 80. */
gboolean
gst_srtp_sdes_key_has_srtcp_tag32 (const GstSrtpSdesKey *key)
{
  return !key->info->aead && key->info->srtp_auth_tag_len == 4;
}

static guint
srtcp_tag_len (const GstSrtpSdesKey *key, gboolean srtcp_tag32)
{
  return srtcp_tag32 && gst_srtp_sdes_key_has_srtcp_tag32 (key) ? 4 :
      key->info->srtcp_auth_tag_len;
}

/* Whether libsrtp2 misses the MKI of @key's SRTCP packets in the RFC 3711
 * §4.2 80-bit tag form (@srtcp_tag32 FALSE) or the 32-bit one: libsrtp2
 * 2.5, and every release without cisco/libsrtp#733, looks for an SRTCP
 * packet's MKI one *SRTP* tag back from the packet end
 * (srtp_get_session_keys), so where the
 * SRTP tag is shorter than the SRTCP one (a _32 suite, or
 * UNAUTHENTICATED_SRTP) it reads inside the tag and answers "unknown MKI". */
gboolean
gst_srtp_sdes_key_srtcp_mki_misplaced (const GstSrtpSdesKey *key, gboolean srtcp_tag32)
{
  guint srtp_tag;

  if (key->mki_size == 0 || key->info->aead)
    return FALSE;
  srtp_tag = key->attr->unauthenticated_srtp ? 0 : key->info->srtp_auth_tag_len;
  return srtp_tag != srtcp_tag_len (key, srtcp_tag32);
}

/* Bytes srtp_protect / srtp_protect_rtcp append (@srtcp_tag32: see
 * gst_srtp_sdes_key_fill_policy()). */
guint
gst_srtp_sdes_key_trailer_len (const GstSrtpSdesKey *key, gboolean rtcp, gboolean srtcp_tag32)
{
  if (rtcp)
    return 4 + srtcp_tag_len (key, srtcp_tag32) + key->mki_size;
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
                                       gboolean rtcp,
                                       gboolean srtcp_tag32)
{
  guint tag;

  /* Without MKIs (the common case) the attribute is not touched. */
  if (key->mki_size == 0)
    return 0;
  tag = rtcp ? srtcp_tag_len (key, srtcp_tag32) :
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
