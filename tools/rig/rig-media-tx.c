/* srtpsdes — sdes-rig media: sending (see rig-media-private.h)
 *
 * Copyright (C) 2026 srtpsdes developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "rig-media-private.h"

#include <string.h>

#include "sdes-crypto.h"

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

GstFlowReturn
rig_enc_out_chain_list (GstPad *pad, GstObject *parent, GstBufferList *list)
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

GstFlowReturn
rig_enc_out_chain (GstPad *pad, GstObject *parent, GstBuffer *buf)
{
  GstBufferList *list = gst_buffer_list_new_sized (1);

  gst_buffer_list_add (list, buf);
  return rig_enc_out_chain_list (pad, parent, list);
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

/* Keys the SSRC of @s in the encoder; a rekey replaces the key at once and
 * the ROC goes on (RFC 4568 §7.1.4). */
void
rig_stream_set_local_key (RigWorker *w, RigStream *s, const gchar *crypto)
{
  gboolean ok = FALSE;

  g_signal_emit_by_name (w->enc, "add-crypto-for-ssrc", s->local_ssrc, crypto, &ok);
  if (!ok)
    g_warning ("sdes-rig: srtpsdesenc refused the local key of SSRC %08x", s->local_ssrc);
  s->local_keyed |= ok;
}

void
rig_worker_pace (RigWorker *w, gboolean late)
{
  GstBufferList *list = NULL;

  for (guint i = 0; i < w->streams->len; i++) {
    RigStream *s = g_ptr_array_index (w->streams, i);
    GstBuffer *buf;

    if (s->next_local_crypto && w->now >= s->local_switch_at) {
      rig_stream_set_local_key (w, s, s->next_local_crypto);
      g_clear_pointer (&s->next_local_crypto, sdes_crypto_free_secret);
    }
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
