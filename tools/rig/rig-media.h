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
 *
 * Rekeys (RFC 4568 §7.1.4) keep the SSRC and its ROC. A new remote key does
 * not replace the old one at once: packets sent before the peer switched
 * still carry the old key and must not fail authentication. The new key is
 * bound to the SSRC in a second decoder, which sees each packet first (its
 * failures are the old key's packets and are not counted); the first packet
 * it authenticates makes the new key the SSRC's key in the main decoder,
 * whose ROC goes on (after RIG_REKEY_WINDOW_US without one, it is made so
 * anyway). The second decoder starts the SSRC at ROC 0: the rig's sequence
 * numbers do not wrap in the first ~11 minutes of a call, so a rekey in
 * that time is handed over without a loss. The answerer of a rekey sends
 * with its old key for RIG_REKEY_SEND_DELAY_US, since the offerer learns
 * the new one only from the 2xx.
 */

#define RIG_REKEY_WINDOW_US (2 * G_USEC_PER_SEC)
#define RIG_REKEY_SEND_DELAY_US (500 * 1000)

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
  guint64 late;               /* arrived (kernel stamp) > 60 ms after its timestamp said */
  guint64 late_read;          /* the same by the time the worker read it */
  guint64 send_late;          /* sent by a pacer tick that ran > 10 ms late */
  guint64 auth_failures;      /* srtpsdesdec stats of the remote SSRC */
  guint64 replay_drops;
  guint rekeys;               /* remote keys that took over from an older one */
  guint64 packets_after_rekey; /* received and authenticated with such a key */
  gdouble dominant_hz_after_rekey; /* the tone of those packets, 0 without */
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
  gboolean defer_local_key;   /* a rekey we answered: keep sending with the old key
                               * for RIG_REKEY_SEND_DELAY_US, until the offerer has
                               * our new one from the 2xx */
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
