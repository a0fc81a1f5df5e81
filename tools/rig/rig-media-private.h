/* srtpsdes — sdes-rig media: state shared by the rig-media*.c files
 *
 * Copyright (C) 2026 srtpsdes developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * rig-media.c: the public API, the commands, the worker thread and its set-up;
 * rig-media-rx.c: receiving (batched reads, SSRC demultiplexing, srtpsdesdec,
 * the rekey hand-over); rig-media-tx.c: the 20 ms pacer and srtpsdesenc;
 * rig-media-tone.c: G.711 tone tables. A stream's state is owned by its
 * worker thread; only the tone tables and the SSRC set are shared (lock).
 */

#pragma once

#include "rig-media.h"
#include "rig-rx-socket.h"

#include <gst/gst.h>

G_BEGIN_DECLS

#define TICK_US 20000             /* one G.711 packet per call per tick */
#define SAMPLES_PER_PACKET 160
#define RTP_HEADER 12
#define TONE_CHUNKS 5             /* 10 Hz multiples repeat every 100 ms */
#define BATCH RIG_RX_SLOTS        /* datagrams per receive/send call, packets per list */
#define LATE_RX_US 60000          /* a 60 ms jitter buffer would drop it */
#define LATE_TICK_US 10000
#define GRACE_US 300000           /* in-flight packets of an ended stream */
#define ECHO_SLOTS 8
#define SOCKET_BUFFER (4 * 1024 * 1024)
#define MAX_PACKET RIG_RX_MAX_PACKET

typedef enum {
  CMD_ADD,
  CMD_UPDATE,
  CMD_HANGUP,
  CMD_END,
} CmdType;

typedef struct {
  CmdType type;
  RigStream *stream;
  RigStreamParams params;
  RigStreamDone done;
  gpointer user_data;
} Cmd;

struct _RigStream
{
  /* set by rig_media_stream_add, read-only afterwards */
  guint worker;
  guint32 local_ssrc;
  gboolean echo;
  const guint8 *tone[2];          /* PCMU and PCMA tables, NULL for echo */

  /* worker-owned from here */
  gboolean in_pacer;
  gboolean ending;
  gboolean gap_taken;
  gint64 end_time;
  RigStreamDone done;
  gpointer user_data;

  GSocketAddress *remote;
  gchar *remote_key;              /* "ip:port" for learning the SSRC */
  guint32 remote_ssrc;
  gboolean remote_ssrc_bound;
  gboolean learned;
  gchar *pending_remote_crypto;   /* waits for the learned SSRC (secret) */
  gchar *next_remote_crypto;      /* a rekey's remote key, bound in dec_next (secret) */
  gint64 rekey_deadline;
  gboolean rx_rekeyed;            /* a rekeyed remote key is in force */
  gchar *next_local_crypto;       /* a rekey's local key, sent from local_switch_at (secret) */
  gint64 local_switch_at;
  gboolean secure;
  gboolean local_keyed;
  gboolean send;
  gboolean receive;
  guint8 payload_type;
  guint16 seq;
  guint chunk;                    /* next tone chunk */
  guint32 ts_base;

  /* receive accounting */
  gboolean have_first;
  guint16 base_seq;
  guint16 max_seq;
  guint64 cycles;
  guint32 base_ts;
  gint64 base_arrival;            /* kernel arrival of the first packet (late) */
  gint64 min_delay;
  gint64 base_read;               /* read time of the first packet (late_read) */
  gint64 min_delay_read;
  gint64 last_arrival;            /* read time */
  guint8 last_sign;
  gboolean last_sign_valid;
  guint16 last_seq;
  guint64 crossings;
  guint64 pairs;
  guint64 crossings_rekeyed;      /* the same, of the packets after a rekey */
  guint64 pairs_rekeyed;

  guint8 echo_ring[ECHO_SLOTS][SAMPLES_PER_PACKET];
  guint echo_head;
  guint echo_count;

  RigStreamResult result;
};

typedef struct {
  RigMedia *media;
  guint index;
  GThread *thread;
  gint stop;
  GSocket *socket;
  guint port;
  GAsyncQueue *commands;

  GstElement *enc;
  GstElement *dec;
  GstPad *enc_feed;               /* ours -> srtpsdesenc rtp_sink_0 */
  GstPad *enc_out;                /* srtpsdesenc rtp_src_0 -> ours */
  GstPad *dec_feed;               /* ours -> srtpsdesdec rtp_sink */
  GstPad *dec_out;                /* srtpsdesdec rtp_src -> ours */
  GstElement *dec_next;           /* the new keys of rekeys in hand-over */
  GstPad *next_feed;
  GstPad *next_out;
  gboolean next_hit;              /* dec_next let the packet just pushed through */
  GstBufferPool *pool;

  GPtrArray *streams;             /* sending/receiving, not ended */
  GPtrArray *ending;
  GHashTable *by_local_ssrc;      /* guint32 -> RigStream* */
  GHashTable *by_remote_ssrc;     /* guint32 -> RigStream* */
  GPtrArray *learners;            /* streams whose remote SSRC is unknown */
  guint64 tick;
  gint64 now;                     /* read time of the current batch */

  RigRxSocket rx;
  GOutputVector tx_vec[BATCH];
  GOutputMessage tx_msg[BATCH];
  GstMapInfo tx_map[BATCH];
  GstBuffer *tx_buf[BATCH];
  guint tx_n;
  guint64 send_errors;
  guint64 ticks_late[5];          /* > 2, 5, 10, 20, 50 ms late */
  guint64 ticks;
  gint64 busy_us;                 /* time spent sending and receiving */
  gboolean unstamped_warned;
} RigWorker;

struct _RigMedia
{
  GMainContext *context;
  gchar *address;
  guint n_workers;
  RigWorker *workers;
  GMutex lock;                    /* ssrcs and tones */
  GHashTable *ssrcs;
  GHashTable *tones;              /* (hz << 8 | pt) -> 800 encoded samples */
  gint unknown;                   /* atomic */
};

typedef struct {
  RigStream *stream;
  RigStreamResult result;
  RigStreamDone done;
  gpointer user_data;
} Delivery;

/* rig-media-tone.c */
const guint8 *rig_tone_table (RigMedia *media, guint hz, guint8 pt);

/* rig-media-rx.c */
gboolean rig_drop_event (GstPad *pad, GstObject *parent, GstEvent *event);
gchar *rig_address_key (GSocketAddress *address);
void rig_stream_bind_remote_ssrc (RigWorker *w, RigStream *s, guint32 ssrc);
GstFlowReturn rig_dec_out_chain_list (GstPad *pad, GstObject *parent, GstBufferList *list);
GstFlowReturn rig_dec_out_chain (GstPad *pad, GstObject *parent, GstBuffer *buf);
GstFlowReturn rig_next_out_chain (GstPad *pad, GstObject *parent, GstBuffer *buf);
void rig_stream_start_remote_rekey (RigWorker *w, RigStream *s);
void rig_stream_drop_remote_rekey (RigWorker *w, RigStream *s);
guint rig_worker_receive_batch (RigWorker *w);

/* rig-media-tx.c */
GstFlowReturn rig_enc_out_chain_list (GstPad *pad, GstObject *parent, GstBufferList *list);
GstFlowReturn rig_enc_out_chain (GstPad *pad, GstObject *parent, GstBuffer *buf);
void rig_worker_pace (RigWorker *w, gboolean late);
void rig_stream_set_local_key (RigWorker *w, RigStream *s, const gchar *crypto);

G_END_DECLS
