/* srtpsdes — per-SSRC state: counters, ROC tracking, stats and messages
 *
 * Copyright (C) 2026 srtpsdes developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include "gstsrtpsdeskey.h"

G_BEGIN_DECLS

/* Minimum gap between two srtpsdes-auth-failure messages for one stream. */
#define GST_SRTP_SDES_AUTH_FAILURE_INTERVAL (G_USEC_PER_SEC)

/* A libsrtp2 session of one key inside one pad pair (gstsrtpsdesstream.h). */
typedef struct _GstSrtpSdesSession GstSrtpSdesSession;

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
  /* Decoder, RFC 3711 §3.3.1 after a key change: ROCs tried besides the
   * continued one, and how often one of them authenticated. */
  guint64 roc_guesses;
  guint64 roc_guess_hits;
  /* SRTCP under a _32 suite with a 32-bit tag instead of RFC 3711 §4.2's
   * 80 bits (liblinphone 5.1 sends it): packets sent (encoder,
   * srtcp-tag-32) or accepted (decoder) in that form; and, decoder, the
   * form the SSRC's last packet authenticated with, tried first. */
  guint64 srtcp_tag32_packets;
  gboolean srtcp_tag32;

  /* Highest extended sequence number seen (RTP only): ROC and SEQ. */
  gboolean seen;
  guint32 roc;
  guint16 highest_seq;
  /* ROC of the first packet when it is not 0 (stock caps field "roc",
   * RFC 3711 §3.3.1: a receiver joining a running stream). */
  guint32 initial_roc;

  /* The key this SSRC is bound to; the decoder's session of it; and the
   * encoder's libsrtp2 session generation its stream was created for (to
   * carry the ROC into a new session). */
  GstSrtpSdesKey *key;
  GstSrtpSdesSession *binding;
  guint session_gen;
  /* The session of the key given for this SSRC alone
   * (add-crypto-for-ssrc), used instead of the pad's or the element's
   * keys; and the element's per-SSRC key generation it was looked up at. */
  GstSrtpSdesSession *pinned;
  guint pin_gen;

  gboolean secure_announced;
  gint64 last_auth_failure_message;
  guint key_request_gen;
} GstSrtpSdesSsrc;

GstSrtpSdesSsrc *gst_srtp_sdes_ssrc_new (guint32 ssrc, gboolean rtcp);
void gst_srtp_sdes_ssrc_free (GstSrtpSdesSsrc *s);
guint32 gst_srtp_sdes_guess_roc (const GstSrtpSdesSsrc *s, guint16 seq);
void gst_srtp_sdes_ssrc_track_seq (GstSrtpSdesSsrc *s, guint16 seq);
void gst_srtp_sdes_ssrc_set_roc (GstSrtpSdesSsrc *s, guint32 roc, guint16 seq);
GstStructure *gst_srtp_sdes_ssrc_to_structure (const GstSrtpSdesSsrc *s);
GstStructure *gst_srtp_sdes_secure_message (const GstSrtpSdesSsrc *s);
GstStructure *gst_srtp_sdes_auth_failure_message (const GstSrtpSdesSsrc *s,
                                                  const gchar *reason);

G_END_DECLS
