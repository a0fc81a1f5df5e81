/* srtpsdes — keys: an a=crypto value made ready for libsrtp2
 *
 * Copyright (C) 2026 srtpsdes developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <stdatomic.h>

#include <gst/gst.h>
#include <srtp2/srtp.h>
#include <srtp2/auth.h>

#include "sdes-crypto.h"

G_BEGIN_DECLS

/**
 * GST_SRTP_SDES_ERROR:
 *
 * Error domain of the srtpsdes elements: an a=crypto value that parsed but
 * that libsrtp2 cannot implement. Parse failures keep the
 * %SDES_CRYPTO_ERROR domain of the crypto-attribute library.
 *
 * Since: 0.1
 */
#define GST_SRTP_SDES_ERROR (gst_srtp_sdes_error_quark ())
GQuark gst_srtp_sdes_error_quark (void);

/**
 * GstSrtpSdesError:
 * @GST_SRTP_SDES_ERROR_UNSUPPORTED_SUITE: the suite is not available in
 *   libsrtp2 (F8, or a suite this libsrtp2 build reports unsupported).
 * @GST_SRTP_SDES_ERROR_UNSUPPORTED_KDR: a key derivation rate (KDR > 0).
 * @GST_SRTP_SDES_ERROR_UNSUPPORTED_FEC: FEC_KEY or FEC_ORDER=SRTP_FEC.
 * @GST_SRTP_SDES_ERROR_UNSUPPORTED_SESSION_PARAM: a session parameter
 *   combination libsrtp2 cannot implement (UNENCRYPTED_* or
 *   UNAUTHENTICATED_SRTP with an AEAD suite).
 * @GST_SRTP_SDES_ERROR_LIBSRTP: libsrtp2 refused the policy.
 * @GST_SRTP_SDES_ERROR_BAD_CAPS: srtp-* caps fields that do not describe a
 *   usable key.
 * @GST_SRTP_SDES_ERROR_STATE: the value cannot be changed in this state.
 *
 * Why an element refused a key.
 *
 * Since: 0.1
 */
typedef enum {
  GST_SRTP_SDES_ERROR_UNSUPPORTED_SUITE,
  GST_SRTP_SDES_ERROR_UNSUPPORTED_KDR,
  GST_SRTP_SDES_ERROR_UNSUPPORTED_FEC,
  GST_SRTP_SDES_ERROR_UNSUPPORTED_SESSION_PARAM,
  GST_SRTP_SDES_ERROR_LIBSRTP,
  GST_SRTP_SDES_ERROR_BAD_CAPS,
  GST_SRTP_SDES_ERROR_STATE,
} GstSrtpSdesError;

/* libsrtp2 refuses windows of 2^15 and more (srtp_rdbx_init). */
#define GST_SRTP_SDES_MAX_WINDOW 32767u
/* Cisco Table 47: SRTP replay-window size default 64. */
#define GST_SRTP_SDES_DEFAULT_WINDOW 64u

/**
 * GstSrtpSdesKey: (skip)
 *
 * One a=crypto value made ready for libsrtp2: the parsed attribute, the
 * srtp_master_key_t array (one entry per key-param, MKI in network order),
 * the lifetime limits and the usage counters. Shared by reference between
 * the element (object lock) and its streams (stream locks); the fields set
 * at creation are immutable, the counters are atomics.
 */
/* Lifetime accounting of one key-param (RFC 3711 §9.2). */
typedef struct {
  guint64 srtp_hard_limit;
  guint64 srtcp_hard_limit;
  atomic_uint_fast64_t srtp_used;
  atomic_uint_fast64_t srtcp_used;
} GstSrtpSdesKeyUse;

typedef struct {
  /* What every packet reads comes first, so that with thousands
   * of streams a packet touches one cache line of its key, not five. */
  gint ref_count;
  guint mki_size;
  guint n_keys;
  const SdesCryptoSuiteInfo *info;
  /* bit 2*i: soft limit announced for key i, bit 2*i+1: hard limit; SRTCP in the high word */
  atomic_uint_fast64_t limit_flags;
  /* Per key-param lifetime, RFC 3711 §9.2: 2^48 SRTP / 2^31 SRTCP or the line's. */
  GstSrtpSdesKeyUse use[SDES_CRYPTO_MAX_KEYS];

  SdesCryptoAttr *attr;
  /* Printable without key material: "1 AES_CM_128_HMAC_SHA1_80 inline:<redacted>" */
  gchar *redacted;

  /* Only with MKIs (NULL otherwise, the common case: a relay holds
   * thousands of keys, and these would be 2.5 KB of each): one block,
   * starting at master_keys, of n_keys srtp_master_key_t, their n_keys
   * pointers, and the n_keys MKIs of mki_size bytes each in network order. */
  srtp_master_key_t *master_keys;
  srtp_master_key_t **master_key_ptrs;
  guint8 *mki_ids;
} GstSrtpSdesKey;

/* What gst_srtp_sdes_key_count() found. */
typedef enum {
  GST_SRTP_SDES_LIMIT_OK,
  GST_SRTP_SDES_LIMIT_SOFT,      /* crossed the soft limit with this packet: announce */
  GST_SRTP_SDES_LIMIT_HARD,      /* crossed the hard limit with this packet: announce, drop */
  GST_SRTP_SDES_LIMIT_EXHAUSTED, /* already past the hard limit: drop */
} GstSrtpSdesLimit;

void gst_srtp_sdes_init_once (void);

GstSrtpSdesKey *gst_srtp_sdes_key_new (const gchar *text, GError **error);
GstSrtpSdesKey *gst_srtp_sdes_key_new_from_attr (SdesCryptoAttr *attr, GError **error);
GstSrtpSdesKey *gst_srtp_sdes_key_ref (GstSrtpSdesKey *key);
void gst_srtp_sdes_key_unref (GstSrtpSdesKey *key);
gchar *gst_srtp_sdes_key_format (const GstSrtpSdesKey *key);
gboolean gst_srtp_sdes_key_same (const GstSrtpSdesKey *a, const GstSrtpSdesKey *b);
void gst_srtp_sdes_key_fill_policy (const GstSrtpSdesKey *key,
                                    srtp_policy_t *policy,
                                    srtp_ssrc_type_t ssrc_type,
                                    guint32 ssrc,
                                    guint window_size,
                                    gboolean srtcp_tag32);
srtp_t gst_srtp_sdes_key_create_session (const GstSrtpSdesKey *key,
                                         srtp_ssrc_type_t ssrc_type,
                                         guint32 ssrc,
                                         guint window_size,
                                         gboolean srtcp_tag32,
                                         GError **error);
gboolean gst_srtp_sdes_key_add_stream (const GstSrtpSdesKey *key,
                                       srtp_t session,
                                       guint32 ssrc,
                                       guint window_size,
                                       gboolean srtcp_tag32);
srtp_t gst_srtp_sdes_key_create_srtcp_session (const GstSrtpSdesKey *key,
                                               guint window_size,
                                               gboolean srtcp_tag32,
                                               GError **error);
gboolean gst_srtp_sdes_key_has_srtcp_tag32 (const GstSrtpSdesKey *key);
gboolean gst_srtp_sdes_key_srtcp_mki_misplaced (const GstSrtpSdesKey *key,
                                                gboolean srtcp_tag32);
guint gst_srtp_sdes_key_trailer_len (const GstSrtpSdesKey *key,
                                     gboolean rtcp,
                                     gboolean srtcp_tag32);
guint gst_srtp_sdes_key_mki_index_in_packet (const GstSrtpSdesKey *key,
                                             const guint8 *data,
                                             gsize len,
                                             gboolean rtcp,
                                             gboolean srtcp_tag32);
GstSrtpSdesLimit gst_srtp_sdes_key_count (GstSrtpSdesKey *key,
                                          guint key_index,
                                          gboolean rtcp,
                                          guint64 *used,
                                          guint64 *limit);
GstStructure *gst_srtp_sdes_key_limit_message (const GstSrtpSdesKey *key,
                                               GstSrtpSdesLimit limit,
                                               guint key_index,
                                               gboolean rtcp,
                                               guint64 used,
                                               guint64 hard_limit);

gboolean gst_srtp_sdes_suite_supported (SdesCryptoSuite suite);

#define GST_TYPE_SRTP_SDES_SUITE (gst_srtp_sdes_suite_get_type ())
GType gst_srtp_sdes_suite_get_type (void);
const gchar *gst_srtp_sdes_err_to_string (srtp_err_status_t err);

G_END_DECLS
