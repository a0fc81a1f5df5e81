/* srtpsdes — keeps srtpsdesenc/srtpsdesdec in step with a call's negotiated keys
 *
 * Copyright (C) 2026 srtpsdes developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <gio/gio.h>
#include <gst/gst.h>

#include "sdes-engine.h"
#include "sdes-agent.h"

G_BEGIN_DECLS

/**
 * SDES_MEDIA_ERROR:
 *
 * Error domain of #SdesMediaBinding; codes from #SdesMediaError.
 *
 * Since: 0.1
 */
#define SDES_MEDIA_ERROR (sdes_media_error_quark ())
GQuark sdes_media_error_quark (void);

/**
 * SdesMediaError:
 * @SDES_MEDIA_ERROR_SOCKET: the RTP/RTCP sockets could not be bound.
 * @SDES_MEDIA_ERROR_MISSING_ELEMENT: a GStreamer element the pipeline needs
 *   is not installed or was not given (its name is in the message).
 * @SDES_MEDIA_ERROR_UNSUPPORTED: the negotiated media cannot be played
 *   (codec, media type, an SRTP/RTP switch during the call).
 * @SDES_MEDIA_ERROR_PIPELINE: the pipeline failed to start, posted an error
 *   or refused a key.
 *
 * Why #SdesMediaBinding could not put a call's negotiated media on the
 * pipeline: the codes of `SDES_MEDIA_ERROR`, returned by
 * sdes_media_binding_apply() and sdes_media_binding_add_early(). The
 * SIP side of the call is not affected; the application decides whether to
 * hang up.
 *
 * Since: 0.1
 */
typedef enum {
  SDES_MEDIA_ERROR_SOCKET,
  SDES_MEDIA_ERROR_MISSING_ELEMENT,
  SDES_MEDIA_ERROR_UNSUPPORTED,
  SDES_MEDIA_ERROR_PIPELINE,
} SdesMediaError;

/**
 * SdesMediaStats:
 * @packets_sent: RTP packets protected and sent.
 * @packets_received: RTP packets authenticated and received.
 * @rtcp_sent: RTCP packets protected and sent.
 * @rtcp_received: RTCP packets authenticated and received.
 * @auth_failures: received packets dropped because they failed
 *   authentication with the key of their SSRC.
 * @replay_drops: received packets dropped by the replay window.
 * @unknown_key_drops: received packets that authenticated with no known key
 *   (expected for the losing forks of a forked call).
 * @secure_streams: streams for which srtpsdesdec reported a first
 *   authenticated packet (srtpsdes-secure).
 * @rekeys: live key changes applied to the encoder or decoder.
 * @invalid_drops: received datagrams dropped because they are not
 *   SRTP/SRTCP at all (too short, not RTP version 2, a malformed header):
 *   srtpsdesdec's element-wide and per-SSRC invalid-drops.
 * @limit_drops: received packets dropped because their key reached its
 *   lifetime (RFC 4568 §6.1) or the SRTP packet limit.
 * @send_drops: outgoing packets srtpsdesenc could not protect (key limit,
 *   invalid packet, sequence replay): the sum of its drop counters.
 *
 * Counters of the audio stream, summed over SSRCs. Every drop counter of
 * srtpsdesenc/srtpsdesdec lands in one of these fields.
 *
 * Since: 0.1
 */
typedef struct {
  guint64 packets_sent;
  guint64 packets_received;
  guint64 rtcp_sent;
  guint64 rtcp_received;
  guint64 auth_failures;
  guint64 replay_drops;
  guint64 unknown_key_drops;
  guint secure_streams;
  guint rekeys;
  guint64 invalid_drops;
  guint64 limit_drops;
  guint64 send_drops;
} SdesMediaStats;

#define SDES_TYPE_MEDIA_BINDING (sdes_media_binding_get_type ())
G_DECLARE_FINAL_TYPE (SdesMediaBinding, sdes_media_binding, SDES, MEDIA_BINDING, GObject)

SdesMediaBinding *sdes_media_binding_new (void);
void sdes_media_binding_attach_call (SdesMediaBinding *self, SdesCall *call);
gboolean sdes_media_binding_apply (SdesMediaBinding *self, GPtrArray *media, GError **error);
gboolean sdes_media_binding_add_early (SdesMediaBinding *self, const gchar *dialog_tag,
                                       GPtrArray *media, GError **error);
void sdes_media_binding_get_stats (SdesMediaBinding *self, SdesMediaStats *stats);
void sdes_media_binding_stop (SdesMediaBinding *self);

G_END_DECLS
