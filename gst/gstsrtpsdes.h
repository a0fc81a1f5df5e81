/* srtpsdes — libsrtp2 glue shared by srtpsdesenc and srtpsdesdec
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

/* Minimum gap between two srtpsdes-auth-failure messages for one stream. */
#define GST_SRTP_SDES_AUTH_FAILURE_INTERVAL (G_USEC_PER_SEC)

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
  /* Issue 9: what every packet reads comes first, so that with thousands
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

  /* Only with MKIs (NULL otherwise, the common case: issue 9 counts
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
GstSrtpSdesKey *gst_srtp_sdes_key_new_from_caps (const GstStructure *s, GError **error);
GstSrtpSdesKey *gst_srtp_sdes_key_ref (GstSrtpSdesKey *key);
void gst_srtp_sdes_key_unref (GstSrtpSdesKey *key);
gchar *gst_srtp_sdes_key_format (const GstSrtpSdesKey *key);
gboolean gst_srtp_sdes_key_same (const GstSrtpSdesKey *a, const GstSrtpSdesKey *b);
void gst_srtp_sdes_key_fill_policy (const GstSrtpSdesKey *key,
                                    srtp_policy_t *policy,
                                    srtp_ssrc_type_t ssrc_type,
                                    guint32 ssrc,
                                    guint window_size);
srtp_t gst_srtp_sdes_key_create_session (const GstSrtpSdesKey *key,
                                         srtp_ssrc_type_t ssrc_type,
                                         guint32 ssrc,
                                         guint window_size,
                                         GError **error);
gboolean gst_srtp_sdes_key_add_stream (const GstSrtpSdesKey *key,
                                       srtp_t session,
                                       guint32 ssrc,
                                       guint window_size);
guint gst_srtp_sdes_key_trailer_len (const GstSrtpSdesKey *key, gboolean rtcp);
guint gst_srtp_sdes_key_mki_index_in_packet (const GstSrtpSdesKey *key,
                                             const guint8 *data,
                                             gsize len,
                                             gboolean rtcp);
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
const gchar *gst_srtp_sdes_err_to_string (srtp_err_status_t err);

/* Packet classification: RFC 5761 §4, RTCP packet types 192..223 share the
 * RTP port when rtcp-mux is used. */
static inline gboolean
gst_srtp_sdes_packet_is_rtcp (const guint8 *data, gsize len)
{
  return len >= 8 && (data[0] & 0xc0) == 0x80 && data[1] >= 192 && data[1] <= 223;
}

/* Per-SSRC state of one pad pair, guarded by that pad pair's lock. */
typedef struct {
  guint32 ssrc;
  gboolean rtcp;

  guint64 packets;
  guint64 bytes;
  guint64 auth_failures;
  guint64 replay_drops;
  guint64 unknown_key_drops;
  guint64 limit_drops;
  guint64 invalid_drops;

  /* Highest extended sequence number seen (RTP only): ROC and SEQ. */
  gboolean seen;
  guint32 roc;
  guint16 highest_seq;
  /* ROC of the first packet when it is not 0 (stock caps field "roc",
   * RFC 3711 §3.3.1: a receiver joining a running stream). */
  guint32 initial_roc;

  /* The key this SSRC is bound to, and the libsrtp2 session generation
   * its stream was created for (to carry the ROC into a new session). */
  GstSrtpSdesKey *key;
  gpointer binding;
  guint session_gen;
  /* Decoder, issue 9: the session of the key given for this SSRC alone
   * (add-crypto-for-ssrc), tried instead of every key; and the element's
   * per-SSRC key generation it was looked up at. */
  gpointer pinned;
  guint pin_gen;

  gboolean secure_announced;
  gint64 last_auth_failure_message;
  guint key_request_gen;
} GstSrtpSdesSsrc;

GstSrtpSdesSsrc *gst_srtp_sdes_ssrc_new (guint32 ssrc, gboolean rtcp);
void gst_srtp_sdes_ssrc_free (GstSrtpSdesSsrc *s);
guint32 gst_srtp_sdes_guess_roc (const GstSrtpSdesSsrc *s, guint16 seq);
void gst_srtp_sdes_ssrc_track_seq (GstSrtpSdesSsrc *s, guint16 seq);
GstStructure *gst_srtp_sdes_ssrc_to_structure (const GstSrtpSdesSsrc *s);
GstStructure *gst_srtp_sdes_secure_message (const GstSrtpSdesSsrc *s);
GstStructure *gst_srtp_sdes_auth_failure_message (const GstSrtpSdesSsrc *s,
                                                  const gchar *reason);

GstCaps *gst_srtp_sdes_transform_caps (GstCaps *caps, gboolean to_secure);
gboolean gst_srtp_sdes_query_caps (GstPad *pad,
                                   GstPad *otherpad,
                                   GstQuery *query,
                                   gboolean to_secure);

/* Issue 9: pool buffers hold an MTU-sized packet (1500) plus the longest
 * trailer: SRTCP E flag + index (4), a 16-byte tag and a 128-byte MKI
 * (RFC 4568 §6.1 allows MKIs of up to 128 bytes). Bigger packets get a
 * buffer of their own. */
#define GST_SRTP_SDES_POOL_BUFFER_SIZE (1500 + 4 + 16 + 128)

GstBufferPool *gst_srtp_sdes_packet_pool (void);
GstBuffer *gst_srtp_sdes_buffer_make_room (GstBuffer *buf, gsize extra, GstBufferPool *pool);
void gst_srtp_sdes_buffer_set_packet_size (GstBuffer *buf, gsize size);

void gst_srtp_sdes_post_messages (GstElement *element, GSList *messages);

G_END_DECLS
