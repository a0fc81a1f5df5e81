/* srtpsdes — offer/answer engine internals
 *
 * Copyright (C) 2026 srtpsdes developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include "sdes-engine.h"

G_BEGIN_DECLS

typedef struct {
  guint payload_type;
  gchar *encoding_name;
  guint clock_rate;
  guint channels;
  gchar *fmtp;
} SdesLocalCodec;

typedef struct {
  SdesMediaType type;
  guint port;
  guint rtcp_port;        /* 0: port + 1 */
  gboolean rtcp_mux;
  SdesDirection direction;
  GArray *codecs;         /* SdesLocalCodec, preference order */
  GPtrArray *attributes;  /* name, value, name, value, ... */
} SdesLocalStream;

struct _SdesLocalMedia {
  gatomicrefcount ref_count;
  gchar *address;
  GPtrArray *streams;     /* SdesLocalStream */
};

G_GNUC_INTERNAL SdesLocalMedia *sdes_local_media_copy (const SdesLocalMedia *src);
G_GNUC_INTERNAL SdesMediaDescription *sdes_media_description_new (void);
/* SDES_ENGINE_ERROR_INVALID_ARGUMENT unless @local has a stream and every
 * RTP stream a codec. */
G_GNUC_INTERNAL gboolean sdes_local_media_validate (const SdesLocalMedia *local, GError **error);

G_END_DECLS
