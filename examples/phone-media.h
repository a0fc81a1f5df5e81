/* srtpsdes — sdes-phone's demo pipeline around SdesMediaBinding
 *
 * Copyright (C) 2026 srtpsdes developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Not installed: the sockets, the tone, the codec chain, the recording, the
 * playback and the test aids (plaintext dump, received-tone check) of the
 * example phone. The keys follow the call through the installed
 * SdesMediaBinding this object owns.
 */

#pragma once

#include <gst/gst.h>

#include "sdes-media-binding.h"

G_BEGIN_DECLS

#define PHONE_TYPE_MEDIA (phone_media_get_type ())
G_DECLARE_FINAL_TYPE (PhoneMedia, phone_media, PHONE, MEDIA, GObject)

PhoneMedia *phone_media_new (const gchar *address);
SdesLocalMedia *phone_media_prepare (PhoneMedia *self, GError **error);
SdesLocalMedia *phone_media_describe (PhoneMedia *self, GError **error);
SdesLocalMedia *phone_media_prepare_for_peer (PhoneMedia *self, const gchar *peer_address,
                                              GError **error);
SdesMediaBinding *phone_media_get_binding (PhoneMedia *self);
void phone_media_attach_call (PhoneMedia *self, SdesCall *call);
gboolean phone_media_apply (PhoneMedia *self, GPtrArray *media, GError **error);
gboolean phone_media_add_early (PhoneMedia *self, const gchar *dialog_tag, GPtrArray *media,
                                GError **error);
void phone_media_get_stats (PhoneMedia *self, SdesMediaStats *stats);
gdouble phone_media_get_dominant_frequency (PhoneMedia *self);
void phone_media_get_rtcp_ports (PhoneMedia *self, guint *on_rtp_port, guint *on_rtcp_port);
guint phone_media_get_rtp_lost (PhoneMedia *self);
guint phone_media_get_rtcp_source_port (PhoneMedia *self);
gboolean phone_media_stop (PhoneMedia *self);

G_END_DECLS
