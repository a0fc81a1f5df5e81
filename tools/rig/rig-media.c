/* srtpsdes — sdes-rig media workers (see rig-media.h and docs/rig.md)
 *
 * Copyright (C) 2026 srtpsdes developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "rig-media.h"

#include <math.h>
#include <string.h>
#include <sys/socket.h>

#include <gst/gst.h>

#include "sdes-crypto.h"

#define TICK_US 20000             /* one G.711 packet per call per tick */
#define SAMPLES_PER_PACKET 160
#define RTP_HEADER 12
#define TONE_CHUNKS 5             /* 10 Hz multiples repeat every 100 ms */
#define BATCH 64                  /* datagrams per receive/send call, packets per list */
#define LATE_RX_US 60000          /* a 60 ms jitter buffer would drop it */
#define LATE_TICK_US 10000
#define GRACE_US 300000           /* in-flight packets of an ended stream */
#define ECHO_SLOTS 8
#define SOCKET_BUFFER (4 * 1024 * 1024)
#define MAX_PACKET 1500

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
  gint64 base_arrival;
  gint64 last_arrival;
  gint64 min_delay;
  guint8 last_sign;
  gboolean last_sign_valid;
  guint16 last_seq;
  guint64 crossings;
  guint64 pairs;

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
  GstBufferPool *pool;

  GPtrArray *streams;             /* sending/receiving, not ended */
  GPtrArray *ending;
  GHashTable *by_local_ssrc;      /* guint32 -> RigStream* */
  GHashTable *by_remote_ssrc;     /* guint32 -> RigStream* */
  GPtrArray *learners;            /* streams whose remote SSRC is unknown */
  guint64 tick;
  gint64 now;                     /* arrival time of the current batch */

  guint8 rx_data[BATCH][MAX_PACKET];
  GInputVector rx_vec[BATCH];
  GInputMessage rx_msg[BATCH];
  GSocketAddress *rx_addr[BATCH];
  GOutputVector tx_vec[BATCH];
  GOutputMessage tx_msg[BATCH];
  GstMapInfo tx_map[BATCH];
  GstBuffer *tx_buf[BATCH];
  guint tx_n;
  guint64 send_errors;
  guint64 ticks_late[5];          /* > 2, 5, 10, 20, 50 ms late */
  guint64 ticks;
  gint64 busy_us;                 /* time spent sending and receiving */
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

/* ------------------------------------------------------------------------- */
/* G.711 (ITU-T G.711 tables as in the Sun reference implementation)         */
/* ------------------------------------------------------------------------- */

static guint8
linear_to_ulaw (gint16 pcm)
{
  static const gint16 seg_end[8] = { 0x3F, 0x7F, 0xFF, 0x1FF, 0x3FF, 0x7FF, 0xFFF, 0x1FFF };
  gint v = pcm >> 2;
  guint8 mask;
  gint seg;

  if (v < 0) {
    v = -v;
    mask = 0x7F;
  } else {
    mask = 0xFF;
  }
  if (v > 8159)
    v = 8159;
  v += 0x84 >> 2;
  for (seg = 0; seg < 8; seg++)
    if (v <= seg_end[seg])
      break;
  if (seg >= 8)
    return 0x7F ^ mask;
  return (guint8) (((seg << 4) | ((v >> (seg + 1)) & 0xF)) ^ mask);
}

static guint8
linear_to_alaw (gint16 pcm)
{
  static const gint16 seg_end[8] = { 0x1F, 0x3F, 0x7F, 0xFF, 0x1FF, 0x3FF, 0x7FF, 0xFFF };
  gint v = pcm >> 3;
  guint8 mask;
  gint seg;
  guint8 aval;

  if (v >= 0) {
    mask = 0xD5;
  } else {
    mask = 0x55;
    v = -v - 1;
  }
  for (seg = 0; seg < 8; seg++)
    if (v <= seg_end[seg])
      break;
  if (seg >= 8)
    return 0x7F ^ mask;
  aval = (guint8) (seg << 4);
  if (seg < 2)
    aval |= (v >> 1) & 0xF;
  else
    aval |= (v >> seg) & 0xF;
  return aval ^ mask;
}

static const guint8 *
tone_table (RigMedia *media, guint hz, guint8 pt)
{
  guint key = hz << 8 | pt;
  guint8 *table;

  g_mutex_lock (&media->lock);
  table = g_hash_table_lookup (media->tones, GUINT_TO_POINTER (key));
  if (table == NULL) {
    table = g_malloc (TONE_CHUNKS * SAMPLES_PER_PACKET);
    for (guint i = 0; i < TONE_CHUNKS * SAMPLES_PER_PACKET; i++) {
      gint16 s = (gint16) lrint (12000.0 * sin (2.0 * G_PI * hz * i / 8000.0));
      table[i] = pt == 8 ? linear_to_alaw (s) : linear_to_ulaw (s);
    }
    g_hash_table_insert (media->tones, GUINT_TO_POINTER (key), table);
  }
  g_mutex_unlock (&media->lock);
  return table;
}

/* ------------------------------------------------------------------------- */
/* Receive                                                                   */
/* ------------------------------------------------------------------------- */

/* Sign changes between neighbouring G.711 bytes (bit 7 is the sign in
 * both laws), eight pairs per step. */
static guint64
count_sign_changes (const guint8 *p, gsize n)
{
  guint64 count = 0;
  gsize i = 0;

  for (; i + 9 <= n; i += 8) {
    guint64 a, b;

    memcpy (&a, p + i, 8);
    memcpy (&b, p + i + 1, 8);
    count += (guint64) __builtin_popcountll ((a ^ b) & G_GUINT64_CONSTANT (0x8080808080808080));
  }
  for (i = i + 1; i < n; i++)
    count += ((p[i] ^ p[i - 1]) >> 7) & 1;
  return count;
}

static void
stream_receive (RigWorker *w, RigStream *s, const guint8 *data, gsize len)
{
  gsize hdr, pad = 0, n;
  guint16 seq;
  guint32 ts;
  gint64 expected, delay;
  const guint8 *payload;
  guint64 crossings = 0;

  if (len < RTP_HEADER || (data[0] >> 6) != 2 || s->ending || !s->receive)
    return;
  hdr = RTP_HEADER + 4 * (data[0] & 0x0F);
  if ((data[0] & 0x10) && len >= hdr + 4)
    hdr += 4 + 4 * (gsize) GST_READ_UINT16_BE (data + hdr + 2);
  if (data[0] & 0x20)
    pad = data[len - 1];
  if (hdr + pad > len)
    return;
  seq = GST_READ_UINT16_BE (data + 2);
  ts = GST_READ_UINT32_BE (data + 4);
  s->result.packets_received++;
  s->last_arrival = w->now;

  if (!s->have_first) {
    s->have_first = TRUE;
    s->base_seq = s->max_seq = seq;
    s->base_ts = ts;
    s->base_arrival = w->now;
    s->min_delay = 0;
  } else if ((guint16) (seq - s->max_seq) < 0x8000) {
    if (seq < s->max_seq)
      s->cycles += 65536;
    s->max_seq = seq;
  }
  s->result.packets_expected = s->cycles + s->max_seq - s->base_seq + 1;

  /* RFC 3550 §A.8 transit, against the fastest packet seen so far. */
  expected = s->base_arrival + (gint64) (gint32) (ts - s->base_ts) * 125;
  delay = w->now - expected;
  if (delay < s->min_delay)
    s->min_delay = delay;
  if (delay - s->min_delay > LATE_RX_US)
    s->result.late++;

  payload = data + hdr;
  n = len - hdr - pad;
  if ((data[1] & 0x7F) != s->payload_type || n == 0)
    return;
  /* Both G.711 laws keep the sign in bit 7 (set: positive), so sign
   * changes are counted on the coded bytes without decoding. */
  crossings = count_sign_changes (payload, n);
  if (crossings > 0) {
    s->crossings += crossings;
    s->pairs += n - 1;
    if (s->last_sign_valid && (guint16) (s->last_seq + 1) == seq) {
      s->crossings += ((payload[0] ^ s->last_sign) >> 7) & 1;
      s->pairs++;
    }
    s->result.samples += n;
  }
  s->last_sign = payload[n - 1];
  s->last_sign_valid = TRUE;
  s->last_seq = seq;

  if (s->echo && n == SAMPLES_PER_PACKET) {
    if (s->echo_count == ECHO_SLOTS) {
      s->echo_head = (s->echo_head + 1) % ECHO_SLOTS;
      s->echo_count--;
    }
    memcpy (s->echo_ring[(s->echo_head + s->echo_count) % ECHO_SLOTS], payload, n);
    s->echo_count++;
  }
}

static RigStream *
stream_by_remote (RigWorker *w, const guint8 *data, gsize len)
{
  if (len < RTP_HEADER)
    return NULL;
  return g_hash_table_lookup (w->by_remote_ssrc,
      GUINT_TO_POINTER (GST_READ_UINT32_BE (data + 8)));
}

static GstFlowReturn
dec_out_chain_list (GstPad *pad, GstObject *parent, GstBufferList *list)
{
  RigWorker *w = gst_pad_get_element_private (pad);
  guint n = gst_buffer_list_length (list);

  for (guint i = 0; i < n; i++) {
    GstBuffer *buf = gst_buffer_list_get (list, i);
    GstMapInfo map;
    RigStream *s;

    if (!gst_buffer_map (buf, &map, GST_MAP_READ))
      continue;
    s = stream_by_remote (w, map.data, map.size);
    if (s)
      stream_receive (w, s, map.data, map.size);
    gst_buffer_unmap (buf, &map);
  }
  gst_buffer_list_unref (list);
  return GST_FLOW_OK;
}

static GstFlowReturn
dec_out_chain (GstPad *pad, GstObject *parent, GstBuffer *buf)
{
  GstBufferList *list = gst_buffer_list_new_sized (1);

  gst_buffer_list_add (list, buf);
  return dec_out_chain_list (pad, parent, list);
}

static gboolean
drop_event (GstPad *pad, GstObject *parent, GstEvent *event)
{
  gst_event_unref (event);
  return TRUE;
}

static gchar *
address_key (GSocketAddress *address)
{
  g_autofree gchar *ip = NULL;

  if (!G_IS_INET_SOCKET_ADDRESS (address))
    return NULL;
  ip = g_inet_address_to_string (
      g_inet_socket_address_get_address (G_INET_SOCKET_ADDRESS (address)));
  return g_strdup_printf ("%s:%u", ip,
      g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (address)));
}

static void
stream_bind_remote_ssrc (RigWorker *w, RigStream *s, guint32 ssrc)
{
  if (s->remote_ssrc_bound) {
    gboolean known = FALSE;

    g_hash_table_remove (w->by_remote_ssrc, GUINT_TO_POINTER (s->remote_ssrc));
    if (s->secure)
      g_signal_emit_by_name (w->dec, "remove-ssrc", s->remote_ssrc, &known);
  }
  s->remote_ssrc = ssrc;
  s->remote_ssrc_bound = TRUE;
  s->result.remote_ssrc = ssrc;
  g_hash_table_insert (w->by_remote_ssrc, GUINT_TO_POINTER (ssrc), s);
  g_ptr_array_remove (w->learners, s);
  if (s->pending_remote_crypto) {
    gboolean ok = FALSE;

    g_signal_emit_by_name (w->dec, "add-crypto-for-ssrc", ssrc, s->pending_remote_crypto, &ok);
    if (!ok)
      g_warning ("sdes-rig: srtpsdesdec refused the remote key of SSRC %08x", ssrc);
    g_clear_pointer (&s->pending_remote_crypto, sdes_crypto_free_secret);
  }
}

/* A packet nobody owns: RFC 5576 a=ssrc was missing, so the first SSRC
 * seen from the address of a call that still learns is that call's. */
static RigStream *
stream_learn (RigWorker *w, GSocketAddress *from, guint32 ssrc)
{
  g_autofree gchar *key = NULL;

  if (from == NULL || w->learners->len == 0)
    return NULL;
  key = address_key (from);
  for (guint i = 0; i < w->learners->len; i++) {
    RigStream *s = g_ptr_array_index (w->learners, i);

    if (s->remote_key && g_strcmp0 (s->remote_key, key) == 0) {
      s->learned = TRUE;
      s->result.ssrc_learned = TRUE;
      stream_bind_remote_ssrc (w, s, ssrc);
      return s;
    }
  }
  return NULL;
}

static guint
worker_receive_batch (RigWorker *w)
{
  GstBufferList *list = NULL;
  g_autoptr (GError) error = NULL;
  gboolean want_address = w->learners->len > 0;
  gint n;

  for (guint i = 0; i < BATCH; i++) {
    w->rx_vec[i].buffer = w->rx_data[i];
    w->rx_vec[i].size = MAX_PACKET;
    w->rx_msg[i] = (GInputMessage) { want_address ? &w->rx_addr[i] : NULL,
                                      &w->rx_vec[i], 1, 0, 0, NULL, NULL };
    w->rx_addr[i] = NULL;
  }
  n = g_socket_receive_messages (w->socket, w->rx_msg, BATCH, 0, NULL, &error);
  if (n <= 0)
    return 0;
  w->now = g_get_monotonic_time ();
  for (gint i = 0; i < n; i++) {
    const guint8 *data = w->rx_data[i];
    gsize len = w->rx_msg[i].bytes_received;
    RigStream *s;

    /* RFC 5761 §4: payload types 64-95 on a muxed port are RTCP (whose
     * bytes 8-11 are no SSRC); the rig sends none and does not analyse
     * the peer's. */
    if (len < RTP_HEADER || (data[0] >> 6) != 2 ||
        ((data[1] & 0x7F) >= 64 && (data[1] & 0x7F) < 96)) {
      g_clear_object (&w->rx_addr[i]);
      continue;
    }
    s = stream_by_remote (w, data, len);
    if (s == NULL)
      s = stream_learn (w, w->rx_addr[i], GST_READ_UINT32_BE (data + 8));
    g_clear_object (&w->rx_addr[i]);
    if (s == NULL) {
      g_atomic_int_inc (&w->media->unknown);
      continue;
    }
    if (!s->secure) {
      stream_receive (w, s, data, len);
      continue;
    }
    if (list == NULL)
      list = gst_buffer_list_new_sized (n);
    gst_buffer_list_add (list, gst_buffer_new_memdup (data, len));
  }
  if (list)
    gst_pad_push_list (w->dec_feed, list);
  return (guint) n;
}

/* ------------------------------------------------------------------------- */
/* Send                                                                      */
/* ------------------------------------------------------------------------- */

static void
worker_flush_tx (RigWorker *w)
{
  guint sent = 0;

  while (sent < w->tx_n) {
    g_autoptr (GError) error = NULL;
    gint r = g_socket_send_messages (w->socket, w->tx_msg + sent, w->tx_n - sent, 0, NULL,
        &error);

    if (r <= 0) {
      w->send_errors += w->tx_n - sent;
      break;
    }
    sent += (guint) r;
  }
  for (guint i = 0; i < w->tx_n; i++) {
    gst_buffer_unmap (w->tx_buf[i], &w->tx_map[i]);
    gst_buffer_unref (w->tx_buf[i]);
  }
  w->tx_n = 0;
}

/* Takes @buf; sends it (batched) to the remote address of @s. */
static void
worker_queue_tx (RigWorker *w, RigStream *s, GstBuffer *buf)
{
  guint i = w->tx_n;

  if (s == NULL || s->remote == NULL || !gst_buffer_map (buf, &w->tx_map[i], GST_MAP_READ)) {
    gst_buffer_unref (buf);
    return;
  }
  w->tx_buf[i] = buf;
  w->tx_vec[i].buffer = w->tx_map[i].data;
  w->tx_vec[i].size = w->tx_map[i].size;
  w->tx_msg[i] = (GOutputMessage) { s->remote, &w->tx_vec[i], 1, 0, NULL, 0 };
  s->result.packets_sent++;
  if (++w->tx_n == BATCH)
    worker_flush_tx (w);
}

static GstFlowReturn
enc_out_chain_list (GstPad *pad, GstObject *parent, GstBufferList *list)
{
  RigWorker *w = gst_pad_get_element_private (pad);
  guint n = gst_buffer_list_length (list);

  for (guint i = 0; i < n; i++) {
    GstBuffer *buf = gst_buffer_list_get (list, i);
    guint32 ssrc = 0;

    if (gst_buffer_extract (buf, 8, &ssrc, 4) != 4)
      continue;
    worker_queue_tx (w, g_hash_table_lookup (w->by_local_ssrc,
        GUINT_TO_POINTER (GUINT32_FROM_BE (ssrc))), gst_buffer_ref (buf));
  }
  gst_buffer_list_unref (list);
  worker_flush_tx (w);
  return GST_FLOW_OK;
}

static GstFlowReturn
enc_out_chain (GstPad *pad, GstObject *parent, GstBuffer *buf)
{
  GstBufferList *list = gst_buffer_list_new_sized (1);

  gst_buffer_list_add (list, buf);
  return enc_out_chain_list (pad, parent, list);
}

static GstBuffer *
stream_make_packet (RigWorker *w, RigStream *s)
{
  GstBuffer *buf = NULL;
  GstMemory *mem;
  GstMapInfo map;
  guint32 ts = s->ts_base + (guint32) (w->tick * SAMPLES_PER_PACKET);
  guint8 *payload;

  if (gst_buffer_pool_acquire_buffer (w->pool, &buf, NULL) != GST_FLOW_OK)
    return NULL;
  mem = gst_buffer_peek_memory (buf, 0);
  gst_memory_resize (mem, 0, RTP_HEADER + SAMPLES_PER_PACKET);
  gst_memory_map (mem, &map, GST_MAP_WRITE);
  map.data[0] = 0x80;
  map.data[1] = s->payload_type;
  GST_WRITE_UINT16_BE (map.data + 2, s->seq);
  GST_WRITE_UINT32_BE (map.data + 4, ts);
  GST_WRITE_UINT32_BE (map.data + 8, s->local_ssrc);
  payload = map.data + RTP_HEADER;
  if (s->echo) {
    if (s->echo_count > 0) {
      memcpy (payload, s->echo_ring[s->echo_head], SAMPLES_PER_PACKET);
      s->echo_head = (s->echo_head + 1) % ECHO_SLOTS;
      s->echo_count--;
    } else {
      memset (payload, s->payload_type == 8 ? 0xD5 : 0xFF, SAMPLES_PER_PACKET);
    }
  } else {
    /* The phase follows the sequence number, not the clock: a receiver
     * sees one continuous tone over consecutive packets even when this
     * pacer skipped ticks (the machine stalled) or the call was held, so sign changes across
     * packet boundaries are counted right. */
    memcpy (payload, s->tone[s->payload_type == 8] +
        s->chunk * SAMPLES_PER_PACKET, SAMPLES_PER_PACKET);
    s->chunk = (s->chunk + 1) % TONE_CHUNKS;
  }
  gst_memory_unmap (mem, &map);
  s->seq++;
  return buf;
}

static void
worker_pace (RigWorker *w, gboolean late)
{
  GstBufferList *list = NULL;

  for (guint i = 0; i < w->streams->len; i++) {
    RigStream *s = g_ptr_array_index (w->streams, i);
    GstBuffer *buf;

    if (!s->send || s->remote == NULL || (s->secure && !s->local_keyed))
      continue;
    buf = stream_make_packet (w, s);
    if (buf == NULL)
      continue;
    if (late)
      s->result.send_late++;
    if (!s->secure) {
      worker_queue_tx (w, s, buf);
      continue;
    }
    if (list == NULL)
      list = gst_buffer_list_new_sized (BATCH);
    gst_buffer_list_add (list, buf);
    if (gst_buffer_list_length (list) == BATCH) {
      gst_pad_push_list (w->enc_feed, list);
      list = NULL;
    }
  }
  if (list)
    gst_pad_push_list (w->enc_feed, list);
  worker_flush_tx (w);
}

/* ------------------------------------------------------------------------- */
/* Commands and the end of streams                                           */
/* ------------------------------------------------------------------------- */

void
rig_stream_params_clear (RigStreamParams *params)
{
  g_clear_pointer (&params->remote_address, g_free);
  g_clear_pointer (&params->local_crypto, sdes_crypto_free_secret);
  g_clear_pointer (&params->remote_crypto, sdes_crypto_free_secret);
}

static void
stream_apply (RigWorker *w, RigStream *s, RigStreamParams *p)
{
  gboolean ok = FALSE;

  s->payload_type = p->payload_type;
  s->send = p->send;
  s->receive = p->receive;
  s->secure = p->secure;
  g_clear_object (&s->remote);
  g_clear_pointer (&s->remote_key, g_free);
  if (p->remote_address && p->remote_port > 0 &&
      g_strcmp0 (p->remote_address, "0.0.0.0") != 0 && g_strcmp0 (p->remote_address, "::") != 0) {
    s->remote = g_inet_socket_address_new_from_string (p->remote_address, p->remote_port);
    if (s->remote)
      s->remote_key = address_key (s->remote);
  }
  if (p->local_crypto) {
    g_signal_emit_by_name (w->enc, "add-crypto-for-ssrc", s->local_ssrc, p->local_crypto, &ok);
    s->local_keyed = ok;
    if (!ok)
      g_warning ("sdes-rig: srtpsdesenc refused the local key of SSRC %08x", s->local_ssrc);
  }
  if (p->remote_crypto) {
    g_clear_pointer (&s->pending_remote_crypto, sdes_crypto_free_secret);
    s->pending_remote_crypto = g_steal_pointer (&p->remote_crypto);
  }
  if (p->remote_ssrc != 0 && (!s->remote_ssrc_bound || p->remote_ssrc != s->remote_ssrc)) {
    stream_bind_remote_ssrc (w, s, p->remote_ssrc);
  } else if (s->remote_ssrc_bound && s->pending_remote_crypto) {
    /* a new remote key on the same SSRC (rekey): replaced at once, the ROC
     * continues (RFC 4568 §7.1.4) */
    g_signal_emit_by_name (w->dec, "add-crypto-for-ssrc", s->remote_ssrc,
        s->pending_remote_crypto, &ok);
    g_clear_pointer (&s->pending_remote_crypto, sdes_crypto_free_secret);
  } else if (!s->remote_ssrc_bound && !g_ptr_array_find (w->learners, s, NULL)) {
    g_ptr_array_add (w->learners, s);
  }
  if (!s->in_pacer) {
    s->in_pacer = TRUE;
    g_ptr_array_add (w->streams, s);
  }
}

static void
stream_free (RigStream *s)
{
  g_clear_object (&s->remote);
  g_free (s->remote_key);
  g_clear_pointer (&s->pending_remote_crypto, sdes_crypto_free_secret);
  g_free (s);
}

static gboolean
deliver (gpointer data)
{
  Delivery *d = data;

  d->result.dominant_hz = d->stream->pairs ?
      (gdouble) d->stream->crossings * 4000.0 / (gdouble) d->stream->pairs : 0.0;
  d->done (d->stream, &d->result, d->user_data);
  stream_free (d->stream);
  g_free (d);
  return G_SOURCE_REMOVE;
}

/* Per-SSRC counters of the decoder for the streams that ended, then their
 * keys and state are dropped from both elements. One stats read covers
 * every stream that ended since the last sweep. */
static void
worker_sweep (RigWorker *w, gboolean all)
{
  g_autoptr (GPtrArray) due = g_ptr_array_new ();
  GstStructure *stats = NULL;
  const GValue *streams;

  for (guint i = 0; i < w->ending->len; i++) {
    RigStream *s = g_ptr_array_index (w->ending, i);

    if (all || w->now - s->end_time >= GRACE_US)
      g_ptr_array_add (due, s);
  }
  if (due->len == 0)
    return;
  g_object_get (w->dec, "stats", &stats, NULL);
  streams = stats ? gst_structure_get_value (stats, "streams") : NULL;
  for (guint i = 0; streams && i < gst_value_array_get_size (streams); i++) {
    const GstStructure *st = gst_value_get_structure (gst_value_array_get_value (streams, i));
    guint ssrc = 0;
    gboolean rtcp = FALSE;
    RigStream *s;

    if (!gst_structure_get_uint (st, "ssrc", &ssrc) ||
        !gst_structure_get_boolean (st, "rtcp", &rtcp) || rtcp)
      continue;
    s = g_hash_table_lookup (w->by_remote_ssrc, GUINT_TO_POINTER (ssrc));
    if (s && s->ending) {
      gst_structure_get_uint64 (st, "auth-failures", &s->result.auth_failures);
      gst_structure_get_uint64 (st, "replay-drops", &s->result.replay_drops);
    }
  }
  g_clear_pointer (&stats, gst_structure_free);

  for (guint i = 0; i < due->len; i++) {
    RigStream *s = g_ptr_array_index (due, i);
    Delivery *d = g_new0 (Delivery, 1);
    gboolean known = FALSE;

    g_ptr_array_remove_fast (w->ending, s);
    g_hash_table_remove (w->by_local_ssrc, GUINT_TO_POINTER (s->local_ssrc));
    g_signal_emit_by_name (w->enc, "remove-ssrc", s->local_ssrc, &known);
    if (s->remote_ssrc_bound) {
      g_hash_table_remove (w->by_remote_ssrc, GUINT_TO_POINTER (s->remote_ssrc));
      g_signal_emit_by_name (w->dec, "remove-ssrc", s->remote_ssrc, &known);
    }
    g_mutex_lock (&w->media->lock);
    g_hash_table_remove (w->media->ssrcs, GUINT_TO_POINTER (s->local_ssrc));
    g_mutex_unlock (&w->media->lock);
    d->stream = s;
    d->result = s->result;
    d->done = s->done;
    d->user_data = s->user_data;
    g_main_context_invoke (w->media->context, deliver, d);
  }
}

/* How long nothing has arrived on a stream that receives (-1: it does not). */
static gint64
stream_gap (RigWorker *w, RigStream *s)
{
  if (!s->receive)
    return -1;
  return s->have_first ? w->now - s->last_arrival : 0;
}

static void
worker_commands (RigWorker *w)
{
  Cmd *cmd;

  while ((cmd = g_async_queue_try_pop (w->commands)) != NULL) {
    RigStream *s = cmd->stream;

    switch (cmd->type) {
      case CMD_ADD:
        s->ts_base = g_random_int () - (guint32) (w->tick * SAMPLES_PER_PACKET);
        /* RFC 3550 §5.1 wants a random first sequence number; kept
         * below 32768 so the first ~11 minutes never wrap. A peer whose
         * key arrives late (a loaded machine) starts decrypting at a later
         * packet with ROC 0: had the sequence wrapped meanwhile, its ROC
         * guess would be wrong and every packet fail authentication
         * (RFC 3711 §3.3.1). */
        s->seq = (guint16) g_random_int_range (0, 0x8000);
        g_hash_table_insert (w->by_local_ssrc, GUINT_TO_POINTER (s->local_ssrc), s);
        break;
      case CMD_UPDATE:
        if (!s->ending)
          stream_apply (w, s, &cmd->params);
        if (s->gap_taken)
          s->send = s->receive = FALSE;
        break;
      case CMD_HANGUP:
        /* BYE is on its way: stop the media now, not when its
         * transaction completes (a loaded peer can take seconds) */
        s->gap_taken = TRUE;
        s->result.end_gap_us = stream_gap (w, s);
        s->send = FALSE;
        s->receive = FALSE;
        break;
      case CMD_END:
        s->ending = TRUE;
        s->end_time = w->now;
        if (!s->gap_taken)
          s->result.end_gap_us = stream_gap (w, s);
        s->done = cmd->done;
        s->user_data = cmd->user_data;
        g_ptr_array_remove (w->streams, s);
        g_ptr_array_remove (w->learners, s);
        g_ptr_array_add (w->ending, s);
        break;
    }
    rig_stream_params_clear (&cmd->params);
    g_free (cmd);
  }
}

/* One wake-up per 20 ms tick, not one per datagram: everything that
 * arrived since the last tick is read in batches (the socket buffer holds
 * it), then every due packet is sent. With thousands of calls this keeps
 * the thread's wake-ups at 50/s, so a busy machine's scheduler serves it
 * on time; arrival times are known to within one tick, which the 60 ms
 * lateness bound allows for. */
static gpointer
worker_run (gpointer data)
{
  RigWorker *w = data;
  gint64 next_tick = g_get_monotonic_time ();
  gint64 last_sweep = next_tick;

  while (!g_atomic_int_get (&w->stop)) {
    static const gint64 bounds[5] = { 2000, 5000, 10000, 20000, 50000 };
    gint64 wait = next_tick - g_get_monotonic_time ();

    if (wait > 0)
      g_usleep ((gulong) wait);
    w->now = g_get_monotonic_time ();
    for (guint i = 0; i < 5; i++)
      w->ticks_late[i] += w->now - next_tick > bounds[i];
    w->ticks++;
    for (guint i = 0; i < 1024 && worker_receive_batch (w) == BATCH; i++)
      ;
    worker_commands (w);
    worker_pace (w, w->now - next_tick > LATE_TICK_US);
    w->tick++;
    next_tick += TICK_US;
    if (w->now - next_tick > 5 * TICK_US) {
      /* far behind (the machine stalled): skip the missed ticks, the
       * timestamps still follow the clock */
      guint64 missed = (guint64) ((w->now - next_tick) / TICK_US);

      w->tick += missed;
      next_tick += (gint64) missed * TICK_US;
    }
    if (w->now - last_sweep >= 250000) {
      worker_sweep (w, FALSE);
      last_sweep = w->now;
    }
    w->busy_us += g_get_monotonic_time () - w->now;
  }
  if (g_getenv ("SDES_RIG_DEBUG_TICKS"))
    g_printerr ("sdes-rig: worker %u: %" G_GUINT64_FORMAT " ticks, late > 2/5/10/20/50 ms: %"
                G_GUINT64_FORMAT "/%" G_GUINT64_FORMAT "/%" G_GUINT64_FORMAT "/%" G_GUINT64_FORMAT
                "/%" G_GUINT64_FORMAT ", busy %.1f s, send errors %" G_GUINT64_FORMAT "\n",
                w->index, w->ticks, w->ticks_late[0], w->ticks_late[1], w->ticks_late[2],
                w->ticks_late[3], w->ticks_late[4], w->busy_us / 1e6, w->send_errors);
  w->now = g_get_monotonic_time ();
  worker_commands (w);
  for (guint i = 0; i < w->streams->len; i++)
    ((RigStream *) g_ptr_array_index (w->streams, i))->ending = TRUE;
  worker_sweep (w, TRUE);
  return NULL;
}

/* ------------------------------------------------------------------------- */
/* Setup                                                                     */
/* ------------------------------------------------------------------------- */

static void
push_stream_events (GstPad *src, const gchar *id, const gchar *caps_text)
{
  GstCaps *caps = gst_caps_from_string (caps_text);
  GstSegment segment;

  gst_pad_push_event (src, gst_event_new_stream_start (id));
  gst_pad_push_event (src, gst_event_new_caps (caps));
  gst_caps_unref (caps);
  gst_segment_init (&segment, GST_FORMAT_TIME);
  gst_pad_push_event (src, gst_event_new_segment (&segment));
}

static gboolean
worker_setup (RigWorker *w, const gchar *address, GError **error)
{
  g_autoptr (GInetAddress) ia = g_inet_address_new_from_string (address);
  g_autoptr (GSocketAddress) sa = NULL;
  g_autoptr (GSocketAddress) bound = NULL;
  GstPad *enc_sink, *enc_src, *dec_sink, *dec_src;
  GstStructure *config;
  gint size = SOCKET_BUFFER;

  if (ia == NULL) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                 "Not an IP address: %s", address);
    return FALSE;
  }
  w->socket = g_socket_new (g_inet_address_get_family (ia), G_SOCKET_TYPE_DATAGRAM,
                            G_SOCKET_PROTOCOL_UDP, error);
  if (w->socket == NULL)
    return FALSE;
  sa = g_inet_socket_address_new (ia, 0);
  if (!g_socket_bind (w->socket, sa, FALSE, error))
    return FALSE;
  g_socket_set_blocking (w->socket, FALSE);
  g_socket_set_option (w->socket, SOL_SOCKET, SO_RCVBUF, size, NULL);
  g_socket_set_option (w->socket, SOL_SOCKET, SO_SNDBUF, size, NULL);
  bound = g_socket_get_local_address (w->socket, error);
  if (bound == NULL)
    return FALSE;
  w->port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));

  w->enc = gst_element_factory_make ("srtpsdesenc", NULL);
  w->dec = gst_element_factory_make ("srtpsdesdec", NULL);
  if (w->enc == NULL || w->dec == NULL) {
    g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                         "srtpsdesenc/srtpsdesdec not found (GST_PLUGIN_PATH?)");
    return FALSE;
  }
  gst_object_ref_sink (w->enc);
  gst_object_ref_sink (w->dec);
  enc_sink = gst_element_request_pad_simple (w->enc, "rtp_sink_0");
  enc_src = enc_sink ? gst_element_get_static_pad (w->enc, "rtp_src_0") : NULL;
  dec_sink = gst_element_get_static_pad (w->dec, "rtp_sink");
  dec_src = gst_element_get_static_pad (w->dec, "rtp_src");
  w->enc_feed = gst_pad_new ("enc_feed", GST_PAD_SRC);
  w->dec_feed = gst_pad_new ("dec_feed", GST_PAD_SRC);
  w->enc_out = gst_pad_new ("enc_out", GST_PAD_SINK);
  w->dec_out = gst_pad_new ("dec_out", GST_PAD_SINK);
  gst_pad_set_element_private (w->enc_out, w);
  gst_pad_set_element_private (w->dec_out, w);
  gst_pad_set_chain_function (w->enc_out, enc_out_chain);
  gst_pad_set_chain_list_function (w->enc_out, enc_out_chain_list);
  gst_pad_set_chain_function (w->dec_out, dec_out_chain);
  gst_pad_set_chain_list_function (w->dec_out, dec_out_chain_list);
  gst_pad_set_event_function (w->enc_out, drop_event);
  gst_pad_set_event_function (w->dec_out, drop_event);
  gst_pad_set_active (w->enc_feed, TRUE);
  gst_pad_set_active (w->dec_feed, TRUE);
  gst_pad_set_active (w->enc_out, TRUE);
  gst_pad_set_active (w->dec_out, TRUE);
  if (enc_src == NULL || dec_sink == NULL || dec_src == NULL ||
      gst_pad_link (w->enc_feed, enc_sink) != GST_PAD_LINK_OK ||
      gst_pad_link (enc_src, w->enc_out) != GST_PAD_LINK_OK ||
      gst_pad_link (w->dec_feed, dec_sink) != GST_PAD_LINK_OK ||
      gst_pad_link (dec_src, w->dec_out) != GST_PAD_LINK_OK) {
    g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_FAILED, "linking the SRTP elements failed");
    g_clear_object (&enc_sink);
    g_clear_object (&enc_src);
    g_clear_object (&dec_sink);
    g_clear_object (&dec_src);
    return FALSE;
  }
  g_object_unref (enc_sink);
  g_object_unref (enc_src);
  g_object_unref (dec_sink);
  g_object_unref (dec_src);
  if (gst_element_set_state (w->enc, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE ||
      gst_element_set_state (w->dec, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE) {
    g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_FAILED, "the SRTP elements did not start");
    return FALSE;
  }
  push_stream_events (w->enc_feed, "sdes-rig-send",
      "application/x-rtp, media=audio, clock-rate=8000");
  push_stream_events (w->dec_feed, "sdes-rig-receive",
      "application/x-srtp, media=audio, clock-rate=8000");

  w->pool = gst_buffer_pool_new ();
  config = gst_buffer_pool_get_config (w->pool);
  gst_buffer_pool_config_set_params (config, NULL, MAX_PACKET, 0, 0);
  gst_buffer_pool_set_config (w->pool, config);
  gst_buffer_pool_set_active (w->pool, TRUE);

  w->commands = g_async_queue_new ();
  w->streams = g_ptr_array_new ();
  w->ending = g_ptr_array_new ();
  w->learners = g_ptr_array_new ();
  w->by_local_ssrc = g_hash_table_new (NULL, NULL);
  w->by_remote_ssrc = g_hash_table_new (NULL, NULL);
  w->thread = g_thread_new ("rig-media", worker_run, w);
  return TRUE;
}

static void
worker_teardown (RigWorker *w)
{
  if (w->thread) {
    g_atomic_int_set (&w->stop, 1);
    g_thread_join (w->thread);
  }
  if (w->enc)
    gst_element_set_state (w->enc, GST_STATE_NULL);
  if (w->dec)
    gst_element_set_state (w->dec, GST_STATE_NULL);
  if (w->pool) {
    gst_buffer_pool_set_active (w->pool, FALSE);
    gst_object_unref (w->pool);
  }
  g_clear_object (&w->enc_feed);
  g_clear_object (&w->dec_feed);
  g_clear_object (&w->enc_out);
  g_clear_object (&w->dec_out);
  g_clear_object (&w->enc);
  g_clear_object (&w->dec);
  g_clear_object (&w->socket);
  g_clear_pointer (&w->commands, g_async_queue_unref);
  g_clear_pointer (&w->streams, g_ptr_array_unref);
  g_clear_pointer (&w->ending, g_ptr_array_unref);
  g_clear_pointer (&w->learners, g_ptr_array_unref);
  g_clear_pointer (&w->by_local_ssrc, g_hash_table_unref);
  g_clear_pointer (&w->by_remote_ssrc, g_hash_table_unref);
}

RigMedia *
rig_media_new (const gchar *address, guint n_workers, GMainContext *context, GError **error)
{
  RigMedia *media = g_new0 (RigMedia, 1);

  media->context = context ? g_main_context_ref (context) : g_main_context_ref_thread_default ();
  media->address = g_strdup (address);
  media->n_workers = MAX (n_workers, 1);
  media->workers = g_new0 (RigWorker, media->n_workers);
  g_mutex_init (&media->lock);
  media->ssrcs = g_hash_table_new (NULL, NULL);
  media->tones = g_hash_table_new_full (NULL, NULL, NULL, g_free);
  for (guint i = 0; i < media->n_workers; i++) {
    media->workers[i].media = media;
    media->workers[i].index = i;
    if (!worker_setup (&media->workers[i], address, error)) {
      rig_media_free (media);
      return NULL;
    }
  }
  return media;
}

void
rig_media_free (RigMedia *media)
{
  for (guint i = 0; i < media->n_workers; i++)
    worker_teardown (&media->workers[i]);
  /* results of the last sweep that the main context did not run */
  while (g_main_context_iteration (media->context, FALSE))
    ;
  g_free (media->workers);
  g_hash_table_unref (media->ssrcs);
  g_hash_table_unref (media->tones);
  g_mutex_clear (&media->lock);
  g_main_context_unref (media->context);
  g_free (media->address);
  g_free (media);
}

guint
rig_media_get_n_workers (RigMedia *media)
{
  return media->n_workers;
}

guint
rig_media_get_port (RigMedia *media, guint worker)
{
  return media->workers[worker % media->n_workers].port;
}

guint64
rig_media_get_unknown_packets (RigMedia *media)
{
  return (guint64) g_atomic_int_get (&media->unknown);
}

guint32
rig_media_new_ssrc (RigMedia *media)
{
  guint32 ssrc;

  g_mutex_lock (&media->lock);
  do
    ssrc = g_random_int ();
  while (ssrc == 0 || g_hash_table_contains (media->ssrcs, GUINT_TO_POINTER (ssrc)));
  g_hash_table_add (media->ssrcs, GUINT_TO_POINTER (ssrc));
  g_mutex_unlock (&media->lock);
  return ssrc;
}

static void
send_command (RigMedia *media, Cmd *cmd)
{
  g_async_queue_push (media->workers[cmd->stream->worker].commands, cmd);
}

RigStream *
rig_media_stream_add (RigMedia *media, guint worker, guint32 local_ssrc, guint tone_hz,
                      gboolean echo)
{
  RigStream *s = g_new0 (RigStream, 1);
  Cmd *cmd = g_new0 (Cmd, 1);

  s->worker = worker % media->n_workers;
  s->local_ssrc = local_ssrc;
  s->echo = echo;
  if (!echo) {
    s->tone[0] = tone_table (media, tone_hz, 0);
    s->tone[1] = tone_table (media, tone_hz, 8);
  }
  cmd->type = CMD_ADD;
  cmd->stream = s;
  send_command (media, cmd);
  return s;
}

void
rig_media_stream_update (RigMedia *media, RigStream *stream, RigStreamParams *params)
{
  Cmd *cmd = g_new0 (Cmd, 1);

  cmd->type = CMD_UPDATE;
  cmd->stream = stream;
  cmd->params = *params;
  memset (params, 0, sizeof (*params));
  send_command (media, cmd);
}

void
rig_media_stream_hangup (RigMedia *media, RigStream *stream)
{
  Cmd *cmd = g_new0 (Cmd, 1);

  cmd->type = CMD_HANGUP;
  cmd->stream = stream;
  send_command (media, cmd);
}

void
rig_media_stream_end (RigMedia *media, RigStream *stream, RigStreamDone done, gpointer user_data)
{
  Cmd *cmd = g_new0 (Cmd, 1);

  cmd->type = CMD_END;
  cmd->stream = stream;
  cmd->done = done;
  cmd->user_data = user_data;
  send_command (media, cmd);
}
