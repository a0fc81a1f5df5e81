/* srtpsdes — the ROC of an SSRC across a change of master key
 *
 * Copyright (C) 2026 srtpsdes developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* RFC 3711 §3.3.1 keeps one ROC per SSRC but does not say what it is
 * under a new master key. Peers differ; the decoder tries the likely ones
 * for the first packet of a known SSRC under a new key. */

#include "gstsrtpsdesroc.h"

#include <string.h>

GST_DEBUG_CATEGORY_EXTERN (gst_srtp_sdes_debug);
#define GST_CAT_DEFAULT gst_srtp_sdes_debug

/* The ROCs to try for a packet of a known SSRC under a key it is not bound
 * to yet, best first. RFC 3711 §3.3.1 does not say what the ROC of a new
 * master key is: RFC 4568 §7.1.4 peers (and this encoder by default)
 * continue it, stock srtpenc (gst-plugins-bad 1.22) starts the new key at
 * ROC 0, and field reports of both behaviours are in pjsip PR #2846 and
 * rtpengine PR #107. So: the continued ROC, then 0, then the continued
 * one -1 and +1 (a rekey near a wrap). Returns how many are in @rocs. */
static guint
roc_candidates (const GstSrtpSdesSsrc *state, guint16 seq, guint32 rocs[4])
{
  guint32 roc = gst_srtp_sdes_guess_roc (state, seq);
  guint n = 0;

  rocs[n++] = roc;
  if (roc != 0)
    rocs[n++] = 0;
  if (roc > 1)
    rocs[n++] = roc - 1;
  if (roc < G_MAXUINT32)
    rocs[n++] = roc + 1;
  return n;
}

/* Gives the SSRC's stream in @ds the ROC @roc for its next packet.
 * @fresh: a try with another ROC failed, so the stream starts over (a
 * libsrtp2 stream never moves its ROC backwards). Stream lock. */
static void
set_stream_roc (GstSrtpSdesSession *ds, guint32 ssrc, guint window, guint32 roc,
                gboolean fresh)
{
  if (fresh) {
    srtp_remove_stream (ds->session, g_htonl (ssrc));
    gst_srtp_sdes_key_add_stream (ds->key, ds->session, ssrc, window, FALSE);
  }
  if (srtp_set_stream_roc (ds->session, ssrc, roc) != srtp_err_status_ok && roc != 0 &&
      gst_srtp_sdes_key_add_stream (ds->key, ds->session, ssrc, window, FALSE))
    srtp_set_stream_roc (ds->session, ssrc, roc);
}

/**
 * gst_srtp_sdes_session_unprotect:
 * @ds: the session of one key
 * @state: the packet's SSRC
 * @window: replay window of streams added to @ds
 * @data: the SRTP packet, unprotected in place (SRTCP: unprotect_srtcp()
 *   in gstsrtpsdesdec.c)
 * @size: its size
 * @len: (out): the size of the result
 * @seq: the RTP sequence number
 * @carry_roc: the SSRC is not bound to @ds yet
 *
 * With @carry_roc, the SSRC's first packet under @ds is tried at the ROCs
 * of roc_candidates() in turn, each on the packet as received; a ROC other
 * than the continued one that authenticates becomes the SSRC's (counted in
 * roc-guesses / roc-guess-hits). A packet no candidate authenticates is
 * refused like any other. Pad pair lock.
 *
 * Returns: what libsrtp2 said of the last try.
 */
srtp_err_status_t
gst_srtp_sdes_session_unprotect (GstSrtpSdesSession *ds, GstSrtpSdesSsrc *state, guint window,
                                 guint8 *data, gsize size, gint *len, guint16 seq,
                                 gboolean carry_roc)
{
  g_autofree guint8 *orig = NULL;
  guint32 rocs[4];
  guint n = 0, i;
  srtp_err_status_t err;

  if (carry_roc && (state->seen || state->initial_roc != 0))
    n = roc_candidates (state, seq, rocs);
  if (n > 1)
    orig = g_memdup2 (data, size);
  for (i = 0;; i++) {
    if (n > 0)
      set_stream_roc (ds, state->ssrc, window, rocs[i], i > 0);
    if (i > 0) {
      memcpy (data, orig, size); /* an AEAD try decrypts in place */
      state->roc_guesses++;
    }
    *len = (gint) size;
    err = srtp_unprotect_mki (ds->session, data, len, ds->key->mki_size > 0);
    if (err != srtp_err_status_auth_fail || i + 1 >= n)
      break;
  }
  if (err == srtp_err_status_ok && i > 0) {
    state->roc_guess_hits++;
    gst_srtp_sdes_ssrc_set_roc (state, rocs[i], seq);
    GST_DEBUG ("SSRC %08x: the new key authenticates at ROC %u, not %u", state->ssrc, rocs[i],
        rocs[0]);
  }
  return err;
}
