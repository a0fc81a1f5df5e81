/* srtpsdes — the stream core shared by srtpsdesenc and srtpsdesdec
 *
 * Copyright (C) 2026 srtpsdes developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include "gstsrtpsdesbuffer.h"
#include "gstsrtpsdeskey.h"
#include "gstsrtpsdeskeyring.h"
#include "gstsrtpsdesssrc.h"

G_BEGIN_DECLS

/* A libsrtp2 session of one key inside one pad pair: the decoder's session
 * of an active or retiring remote key (active, and how many SSRCs are
 * bound to it), or either element's session of a key given for one SSRC
 * (add-crypto-for-ssrc). Guarded by the pad pair's lock. */
struct _GstSrtpSdesSession {
  GstSrtpSdesKey *key;
  srtp_t session;
  /* Decoder, _32 suites: the same key with SRTCP's tag 32 bits long, made
   * on the first SRTCP packet the 80-bit form refuses (NULL until then). */
  srtp_t session_tag32;
  /* Decoder, with MKIs where libsrtp2 would look for an SRTCP packet's
   * MKI in the wrong place (gst_srtp_sdes_key_srtcp_mki_misplaced()):
   * the session SRTCP in the 80-bit tag form goes through (NULL until
   * the first one). */
  srtp_t session_srtcp;
  gboolean active;
  guint bound;
};

GstSrtpSdesSession *gst_srtp_sdes_session_new (GstSrtpSdesKey *key, srtp_t session);
void gst_srtp_sdes_session_free (GstSrtpSdesSession *ds);
void gst_srtp_sdes_ssrc_unbind (GstSrtpSdesSsrc *state);

typedef struct _GstSrtpSdesStream GstSrtpSdesStream;

/* What an element does differently in its pad pairs. */
typedef struct {
  /* TRUE for the encoder: the sink pad takes x-rtp, the source x-srtp. */
  gboolean to_secure;
  /* Optional. Stream lock held: readies the stream for one packet or a
   * whole list; FALSE with @error when there is no usable key (fatal:
   * an element error and GST_FLOW_ERROR). */
  gboolean (*prepare) (GstSrtpSdesStream *stream, GError **error);
  /* Stream lock held (it may be released and retaken inside): takes @buf,
   * returns the packet to push or %NULL (dropped and counted). Messages
   * to post once the lock is released go to @messages. */
  GstBuffer *(*process) (GstSrtpSdesStream *stream, GstBuffer *buf, GSList **messages);
  /* Stream lock held: frees what the element keeps of @ssrc beyond the
   * core (its stream in the element's own libsrtp2 sessions). */
  void (*forget_ssrc) (GstSrtpSdesStream *stream, guint32 ssrc);
  /* Optional. No lock held: reads sink caps before they are renamed and
   * pushed (the decoder takes stock srtp-key and roc fields). */
  void (*sink_caps) (GstSrtpSdesStream *stream, const GstStructure *s);
} GstSrtpSdesStreamFuncs;

/* One pad pair. Each element embeds it first in its own stream struct.
 * The lock guards everything below it and is never held while pushing,
 * posting or emitting; it may be held while taking the element's object
 * lock (never the other way round). */
struct _GstSrtpSdesStream {
  const GstSrtpSdesStreamFuncs *funcs;
  GstElement *element;      /* not a reference: the element owns the pads */
  GstSrtpSdesKeyring *ring; /* the element's */
  GstPad *sinkpad;
  GstPad *srcpad;
  gboolean rtcp_pad;

  GMutex lock;
  guint window;
  /* Changes with the encoder's pad session (never in the decoder): an
   * SSRC whose session_gen differs is re-added to it with its ROC. */
  guint session_gen;
  /* Encoder, rekey-roc "reset": an SSRC's new master key starts at ROC 0. */
  gboolean rekey_resets_roc;
  /* Encoder, srtcp-tag-32: sessions made for this pad pair protect a _32
   * suite's SRTCP with a 32-bit tag. */
  gboolean srtcp_tag32;
  GHashTable *ssrcs[2]; /* [0] RTP packets, [1] RTCP: ssrc -> GstSrtpSdesSsrc */
  /* The SSRC of the previous packet: one stream per pad pair is the
   * common case, so the table is skipped (remove-ssrc clears it). */
  GstSrtpSdesSsrc *last[2];
  guint64 invalid_drops;
  /* Decoder: STUN messages on the media port (RFC 7983 §7; liblinphone
   * sends STUN binding requests as keep-alives): dropped, and counted
   * apart from invalid_drops since they are not junk. */
  guint64 stun_drops;
  /* Sessions of keys given per SSRC (add-crypto-for-ssrc), made
   * on the SSRC's first packet: ssrc -> GstSrtpSdesSession (owned); and
   * the keyring's pin_gen last read (0: no per-SSRC key ever, so the hot
   * path skips all of it). */
  GHashTable *ssrc_sessions[2];
  guint pin_gen;
  /* MTU-sized buffers for packets that arrive without room (or
   * not writable): the process-wide pool, not owned. */
  GstBufferPool *pool;
};

void gst_srtp_sdes_stream_add_pad_templates (GstElementClass *klass,
                                             gboolean to_secure,
                                             GType sink_pad_type);
void gst_srtp_sdes_stream_init (GstSrtpSdesStream *stream,
                                const GstSrtpSdesStreamFuncs *funcs,
                                GstElement *element,
                                GstSrtpSdesKeyring *ring,
                                gboolean rtcp_pad,
                                GstPad *sinkpad,
                                GstPad *srcpad);
void gst_srtp_sdes_stream_clear (GstSrtpSdesStream *stream);

GstSrtpSdesSsrc *gst_srtp_sdes_stream_ssrc_slow (GstSrtpSdesStream *stream,
                                                 guint32 ssrc,
                                                 gboolean rtcp);

/* The per-SSRC state of a packet; the previous packet's in the common
 * case. Stream lock. */
static inline GstSrtpSdesSsrc *
gst_srtp_sdes_stream_ssrc (GstSrtpSdesStream *stream, guint32 ssrc, gboolean rtcp)
{
  GstSrtpSdesSsrc *state = stream->last[rtcp ? 1 : 0];

  if (G_LIKELY (state != NULL && state->ssrc == ssrc))
    return state;
  return gst_srtp_sdes_stream_ssrc_slow (stream, ssrc, rtcp);
}

void gst_srtp_sdes_stream_resolve_pin (GstSrtpSdesStream *stream,
                                       GstSrtpSdesSsrc *state,
                                       guint16 seq);
gboolean gst_srtp_sdes_stream_rekey_resets_roc (GstSrtpSdesStream *stream,
                                                const GstSrtpSdesSsrc *state,
                                                const GstSrtpSdesKey *key);
gboolean gst_srtp_sdes_stream_forget_ssrc (GstSrtpSdesStream *stream, guint32 ssrc);
guint64 gst_srtp_sdes_stream_append_stats (GstSrtpSdesStream *stream, GValue *array);
void gst_srtp_sdes_stream_drop_invalid (GstSrtpSdesStream *stream, gsize size);

void gst_srtp_sdes_post_messages (GstElement *element, GSList *messages);

G_END_DECLS
