/* srtpsdes — sdes-rig media: a few workers carry the G.711 SRTP of every call
 *
 * Copyright (C) 2026 srtpsdes developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The layout is described in docs/rig.md. In short: each worker is one
 * thread with ONE UDP socket (its port is the m= port of every call it
 * carries), one srtpsdesdec and one srtpsdesenc keyed per SSRC
 * (add-crypto-for-ssrc), batched receive (g_socket_receive_messages) and a
 * 20 ms pacer that sends the packets of all its calls as one buffer list.
 *
 * Every rig_media_stream_* call is made from the main thread; it only
 * queues a command for the stream's worker, which owns all stream state.
 */

#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

typedef struct _RigMedia RigMedia;
typedef struct _RigStream RigStream;

/* What one stream did, delivered on the main context when it has ended. */
typedef struct {
  guint64 packets_sent;
  guint64 packets_received;
  guint64 packets_expected;   /* from the highest and first sequence numbers */
  guint64 late;               /* arrived > 60 ms after its timestamp said */
  guint64 send_late;          /* sent by a pacer tick that ran > 10 ms late */
  guint64 auth_failures;      /* srtpsdesdec stats of the remote SSRC */
  guint64 replay_drops;
  guint64 samples;            /* G.711 samples analysed */
  gdouble dominant_hz;        /* zero-crossing estimate, 0 without samples */
  gint64 end_gap_us;          /* receiving, nothing arrived for this long at the end;
                               * -1 when not receiving at the end */
  guint32 remote_ssrc;        /* 0: never learned */
  gboolean ssrc_learned;      /* from the first packet, not from a=ssrc */
} RigStreamResult;

typedef void (*RigStreamDone) (RigStream *stream, const RigStreamResult *result,
                               gpointer user_data);

/* The negotiated state a worker needs (from an SdesMediaDescription). */
typedef struct {
  gchar *remote_address;      /* NULL or "0.0.0.0": do not send */
  guint remote_port;
  guint32 remote_ssrc;        /* 0: learn from the first packet of the address */
  gboolean secure;
  gchar *local_crypto;        /* a=crypto value (secret), NULL when !secure */
  gchar *remote_crypto;       /* a=crypto value (secret), NULL when !secure */
  gboolean send;
  gboolean receive;
  guint8 payload_type;        /* 0 PCMU, 8 PCMA */
} RigStreamParams;

void rig_stream_params_clear (RigStreamParams *params);

RigMedia *rig_media_new (const gchar *address, guint n_workers, GMainContext *context,
                         GError **error);
void rig_media_free (RigMedia *media);
guint rig_media_get_n_workers (RigMedia *media);
guint rig_media_get_port (RigMedia *media, guint worker);
/* A local SSRC unused by any stream of this process (RFC 3550 §8.1). */
guint32 rig_media_new_ssrc (RigMedia *media);
/* Packets dropped before decryption because no stream owned them. */
guint64 rig_media_get_unknown_packets (RigMedia *media);

RigStream *rig_media_stream_add (RigMedia *media, guint worker, guint32 local_ssrc,
                                 guint tone_hz, gboolean echo);
/* Takes the strings of @params (and wipes the keys after use). */
void rig_media_stream_update (RigMedia *media, RigStream *stream, RigStreamParams *params);
/* We are hanging up: the end gap (media stopped early?) is taken now, not
 * when the BYE transaction completes. */
void rig_media_stream_hangup (RigMedia *media, RigStream *stream);
/* Stops the stream; @done runs once on the main context with its results,
 * after which @stream is freed. */
void rig_media_stream_end (RigMedia *media, RigStream *stream, RigStreamDone done,
                           gpointer user_data);

G_END_DECLS
