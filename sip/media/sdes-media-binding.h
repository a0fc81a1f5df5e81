/* srtpsdes — keeps a GStreamer pipeline in step with a call's negotiated media
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
 *   is not installed (its name is in the message).
 * @SDES_MEDIA_ERROR_UNSUPPORTED: the negotiated media cannot be played by
 *   the default pipeline (codec, media type).
 * @SDES_MEDIA_ERROR_PIPELINE: the pipeline failed to start or posted an error.
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
 * @auth_failures: packets dropped because they failed authentication.
 * @replay_drops: packets dropped by the replay window.
 * @unknown_key_drops: packets that authenticated with no known key.
 * @secure_streams: streams for which srtpsdesdec reported a first
 *   authenticated packet (srtpsdes-secure).
 * @rekeys: live key changes applied to the encoder or decoder.
 *
 * Counters of the audio stream, summed over SSRCs.
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
} SdesMediaStats;

#define SDES_TYPE_MEDIA_BINDING (sdes_media_binding_get_type ())
G_DECLARE_FINAL_TYPE (SdesMediaBinding, sdes_media_binding, SDES, MEDIA_BINDING, GObject)

SdesMediaBinding *sdes_media_binding_new (const gchar *address);
SdesLocalMedia *sdes_media_binding_prepare (SdesMediaBinding *self, GError **error);
void sdes_media_binding_attach_call (SdesMediaBinding *self, SdesCall *call);
gboolean sdes_media_binding_apply (SdesMediaBinding *self, GPtrArray *media, GError **error);
gboolean sdes_media_binding_add_early (SdesMediaBinding *self, const gchar *dialog_tag,
                                       GPtrArray *media, GError **error);
void sdes_media_binding_get_stats (SdesMediaBinding *self, SdesMediaStats *stats);
gdouble sdes_media_binding_get_dominant_frequency (SdesMediaBinding *self);
GstElement *sdes_media_binding_get_pipeline (SdesMediaBinding *self);
void sdes_media_binding_stop (SdesMediaBinding *self);

G_END_DECLS
