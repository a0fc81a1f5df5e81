/* srtpsdes — per-SSRC state: counters, ROC tracking, stats and messages
 *
 * Copyright (C) 2026 srtpsdes developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "gstsrtpsdesssrc.h"

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

/* Restarts the tracking at ROC @roc and @seq, also backwards: after a key
 * change the peer may have started the new key at another ROC. */
void
gst_srtp_sdes_ssrc_set_roc (GstSrtpSdesSsrc *s, guint32 roc, guint16 seq)
{
  s->roc = roc;
  s->highest_seq = seq;
  s->seen = TRUE;
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
      "roc-guesses", G_TYPE_UINT64, s->roc_guesses,
      "roc-guess-hits", G_TYPE_UINT64, s->roc_guess_hits,
      "srtcp-tag32", G_TYPE_UINT64, s->srtcp_tag32_packets,
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
