/* srtpsdes — sdes-rig media: receiving (see rig-media-private.h)
 *
 * Copyright (C) 2026 srtpsdes developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "rig-media-private.h"

#include <string.h>

#include "sdes-crypto.h"

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

/* RFC 3550 §A.8 transit, against the fastest packet seen so far: TRUE when
 * the packet came more than LATE_RX_US after the fastest one says it
 * should have. @base is the arrival of the stream's first packet, @rtp_us
 * how far this packet's RTP timestamp is past the first one's. */
static gboolean
arrived_late (gint64 *min_delay, gint64 base, gint64 rtp_us, gint64 arrival)
{
  gint64 delay = arrival - (base + rtp_us);

  if (delay < *min_delay)
    *min_delay = delay;
  return delay - *min_delay > LATE_RX_US;
}

/* @arrival: the kernel's arrival time of the packet (w->now, the read
 * time, when there is none). */
static void
stream_receive (RigWorker *w, RigStream *s, const guint8 *data, gsize len, gint64 arrival)
{
  gsize hdr, pad = 0, n;
  guint16 seq;
  guint32 ts;
  gint64 rtp_us;
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
  if (s->rx_rekeyed)
    s->result.packets_after_rekey++;
  s->last_arrival = w->now;

  if (!s->have_first) {
    s->have_first = TRUE;
    s->base_seq = s->max_seq = seq;
    s->base_ts = ts;
    s->base_arrival = arrival;
    s->min_delay = 0;
    s->base_read = w->now;
    s->min_delay_read = 0;
  } else if ((guint16) (seq - s->max_seq) < 0x8000) {
    if (seq < s->max_seq)
      s->cycles += 65536;
    s->max_seq = seq;
  }
  s->result.packets_expected = s->cycles + s->max_seq - s->base_seq + 1;

  /* late: what the network and the sender did; late_read adds the
   * rig's own delay in reading (up to a tick, and any preemption) */
  rtp_us = (gint64) (gint32) (ts - s->base_ts) * 125;
  s->result.late += arrived_late (&s->min_delay, s->base_arrival, rtp_us, arrival);
  s->result.late_read += arrived_late (&s->min_delay_read, s->base_read, rtp_us, w->now);

  payload = data + hdr;
  n = len - hdr - pad;
  if ((data[1] & 0x7F) != s->payload_type || n == 0)
    return;
  /* Both G.711 laws keep the sign in bit 7 (set: positive), so sign
   * changes are counted on the coded bytes without decoding. */
  crossings = count_sign_changes (payload, n);
  if (crossings > 0) {
    guint64 pairs = n - 1;

    if (s->last_sign_valid && (guint16) (s->last_seq + 1) == seq) {
      crossings += ((payload[0] ^ s->last_sign) >> 7) & 1;
      pairs++;
    }
    s->crossings += crossings;
    s->pairs += pairs;
    s->result.samples += n;
    if (s->rx_rekeyed) {
      s->crossings_rekeyed += crossings;
      s->pairs_rekeyed += pairs;
    }
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

/* The arrival time travels through srtpsdesdec as the buffer's DTS
 * (µs of CLOCK_MONOTONIC, in ns); the decoder keeps buffer metadata. */
static GstBuffer *
buffer_new_arrived (const guint8 *data, gsize len, gint64 arrival)
{
  GstBuffer *buf = gst_buffer_new_memdup (data, len);

  GST_BUFFER_DTS (buf) = (GstClockTime) arrival * GST_USECOND;
  return buf;
}

static gint64
buffer_arrival (RigWorker *w, GstBuffer *buf)
{
  return GST_BUFFER_DTS_IS_VALID (buf) ? (gint64) (GST_BUFFER_DTS (buf) / GST_USECOND) : w->now;
}

GstFlowReturn
rig_dec_out_chain_list (GstPad *pad, GstObject *parent, GstBufferList *list)
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
      stream_receive (w, s, map.data, map.size, buffer_arrival (w, buf));
    gst_buffer_unmap (buf, &map);
  }
  gst_buffer_list_unref (list);
  return GST_FLOW_OK;
}

GstFlowReturn
rig_dec_out_chain (GstPad *pad, GstObject *parent, GstBuffer *buf)
{
  GstBufferList *list = gst_buffer_list_new_sized (1);

  gst_buffer_list_add (list, buf);
  return rig_dec_out_chain_list (pad, parent, list);
}

/* What dec_next lets through: a packet with the new key of a rekey. */
GstFlowReturn
rig_next_out_chain (GstPad *pad, GstObject *parent, GstBuffer *buf)
{
  RigWorker *w = gst_pad_get_element_private (pad);

  w->next_hit = TRUE;
  return rig_dec_out_chain (pad, parent, buf);
}

/* ------------------------------------------------------------------------- */
/* Rekey hand-over (see rig-media.h)                                         */
/* ------------------------------------------------------------------------- */

/* Takes s->pending_remote_crypto, the new key of the bound remote SSRC. */
void
rig_stream_start_remote_rekey (RigWorker *w, RigStream *s)
{
  gboolean ok = FALSE;

  g_clear_pointer (&s->next_remote_crypto, sdes_crypto_free_secret);
  s->next_remote_crypto = g_steal_pointer (&s->pending_remote_crypto);
  g_signal_emit_by_name (w->dec_next, "add-crypto-for-ssrc", s->remote_ssrc,
                         s->next_remote_crypto, &ok);
  if (!ok)
    g_warning ("sdes-rig: srtpsdesdec refused the new remote key of SSRC %08x", s->remote_ssrc);
  s->rekey_deadline = w->now + RIG_REKEY_WINDOW_US;
}

void
rig_stream_drop_remote_rekey (RigWorker *w, RigStream *s)
{
  gboolean known = FALSE;

  if (s->next_remote_crypto == NULL)
    return;
  g_signal_emit_by_name (w->dec_next, "remove-ssrc", s->remote_ssrc, &known);
  g_clear_pointer (&s->next_remote_crypto, sdes_crypto_free_secret);
}

/* The peer sends with its new key: it becomes the SSRC's key in the main
 * decoder, whose ROC for the SSRC goes on (RFC 3711 §3.3.1). */
static void
stream_finish_remote_rekey (RigWorker *w, RigStream *s)
{
  gboolean ok = FALSE;

  g_signal_emit_by_name (w->dec, "add-crypto-for-ssrc", s->remote_ssrc,
                         s->next_remote_crypto, &ok);
  if (!ok)
    g_warning ("sdes-rig: srtpsdesdec refused the new remote key of SSRC %08x", s->remote_ssrc);
  rig_stream_drop_remote_rekey (w, s);
  s->rx_rekeyed = TRUE;
  s->result.rekeys++;
}

/* A packet of a stream whose rekey is in hand-over: the new key first. */
static void
stream_receive_rekeying (RigWorker *w, RigStream *s, const guint8 *data, gsize len,
                         gint64 arrival)
{
  if (w->now < s->rekey_deadline) {
    w->next_hit = FALSE;
    gst_pad_push (w->next_feed, buffer_new_arrived (data, len, arrival));
    if (w->next_hit) {
      stream_finish_remote_rekey (w, s);
      return;
    }
  } else {
    stream_finish_remote_rekey (w, s);
  }
  gst_pad_push (w->dec_feed, buffer_new_arrived (data, len, arrival));
}

gboolean
rig_drop_event (GstPad *pad, GstObject *parent, GstEvent *event)
{
  gst_event_unref (event);
  return TRUE;
}

gchar *
rig_address_key (GSocketAddress *address)
{
  g_autofree gchar *ip = NULL;

  if (!G_IS_INET_SOCKET_ADDRESS (address))
    return NULL;
  ip = g_inet_address_to_string (
      g_inet_socket_address_get_address (G_INET_SOCKET_ADDRESS (address)));
  return g_strdup_printf ("%s:%u", ip,
      g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (address)));
}

void
rig_stream_bind_remote_ssrc (RigWorker *w, RigStream *s, guint32 ssrc)
{
  if (s->remote_ssrc_bound) {
    gboolean known = FALSE;

    g_hash_table_remove (w->by_remote_ssrc, GUINT_TO_POINTER (s->remote_ssrc));
    if (s->secure)
      g_signal_emit_by_name (w->dec, "remove-ssrc", s->remote_ssrc, &known);
  }
  rig_stream_drop_remote_rekey (w, s);
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
  key = rig_address_key (from);
  for (guint i = 0; i < w->learners->len; i++) {
    RigStream *s = g_ptr_array_index (w->learners, i);

    if (s->remote_key && g_strcmp0 (s->remote_key, key) == 0) {
      s->learned = TRUE;
      s->result.ssrc_learned = TRUE;
      rig_stream_bind_remote_ssrc (w, s, ssrc);
      return s;
    }
  }
  return NULL;
}

guint
rig_worker_receive_batch (RigWorker *w)
{
  RigRxSocket *rx = &w->rx;
  GstBufferList *list = NULL;
  gboolean want_address = w->learners->len > 0;
  guint n;

  n = rig_rx_socket_read (rx, want_address, &w->now);
  if (n == 0)
    return 0;
  if (rx->unstamped > 0 && !w->unstamped_warned) {
    w->unstamped_warned = TRUE;
    g_printerr ("sdes-rig: worker %u: datagrams without a kernel timestamp: "
                "their lateness is taken at read time\n", w->index);
  }
  for (guint i = 0; i < n; i++) {
    const guint8 *data = rx->data[i];
    gsize len = rx->len[i];
    RigStream *s;

    /* RFC 5761 §4: payload types 64-95 on a muxed port are RTCP (whose
     * bytes 8-11 are no SSRC); the rig sends none and does not analyse
     * the peer's. */
    if (len < RTP_HEADER || (data[0] >> 6) != 2 ||
        ((data[1] & 0x7F) >= 64 && (data[1] & 0x7F) < 96))
      continue;
    s = stream_by_remote (w, data, len);
    if (s == NULL && want_address && rx->msg[i].msg_hdr.msg_namelen > 0) {
      g_autoptr (GSocketAddress) from = g_socket_address_new_from_native (
          &rx->from[i], rx->msg[i].msg_hdr.msg_namelen);

      s = stream_learn (w, from, GST_READ_UINT32_BE (data + 8));
    }
    if (s == NULL) {
      g_atomic_int_inc (&w->media->unknown);
      continue;
    }
    if (!s->secure) {
      stream_receive (w, s, data, len, rx->arrival[i]);
      continue;
    }
    if (s->next_remote_crypto) {
      /* in order: what came before it was for the old key */
      if (list)
        gst_pad_push_list (w->dec_feed, g_steal_pointer (&list));
      stream_receive_rekeying (w, s, data, len, rx->arrival[i]);
      continue;
    }
    if (list == NULL)
      list = gst_buffer_list_new_sized (n);
    gst_buffer_list_add (list, buffer_new_arrived (data, len, rx->arrival[i]));
  }
  if (list)
    gst_pad_push_list (w->dec_feed, list);
  return n;
}
