/* srtpsdes — sdes-rig media workers (see rig-media.h and docs/rig.md)
 *
 * Copyright (C) 2026 srtpsdes developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "rig-media-private.h"

#include <string.h>
#include <sys/socket.h>

#include "sdes-crypto.h"

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
      s->remote_key = rig_address_key (s->remote);
  }
  if (p->local_crypto && p->defer_local_key && s->local_keyed) {
    g_clear_pointer (&s->next_local_crypto, sdes_crypto_free_secret);
    s->next_local_crypto = g_steal_pointer (&p->local_crypto);
    s->local_switch_at = w->now + RIG_REKEY_SEND_DELAY_US;
  } else if (p->local_crypto) {
    g_clear_pointer (&s->next_local_crypto, sdes_crypto_free_secret);
    rig_stream_set_local_key (w, s, p->local_crypto);
  }
  if (p->remote_crypto) {
    g_clear_pointer (&s->pending_remote_crypto, sdes_crypto_free_secret);
    s->pending_remote_crypto = g_steal_pointer (&p->remote_crypto);
  }
  if (p->remote_ssrc != 0 && (!s->remote_ssrc_bound || p->remote_ssrc != s->remote_ssrc)) {
    rig_stream_bind_remote_ssrc (w, s, p->remote_ssrc);
  } else if (s->remote_ssrc_bound && s->pending_remote_crypto) {
    /* a new remote key on the same SSRC (rekey): handed over when the
     * peer's packets carry it (rig-media.h) */
    rig_stream_start_remote_rekey (w, s);
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
  g_clear_pointer (&s->next_remote_crypto, sdes_crypto_free_secret);
  g_clear_pointer (&s->next_local_crypto, sdes_crypto_free_secret);
  g_free (s);
}

static gboolean
deliver (gpointer data)
{
  Delivery *d = data;

  d->result.dominant_hz = d->stream->pairs ?
      (gdouble) d->stream->crossings * 4000.0 / (gdouble) d->stream->pairs : 0.0;
  d->result.dominant_hz_after_rekey = d->stream->pairs_rekeyed ?
      (gdouble) d->stream->crossings_rekeyed * 4000.0 / (gdouble) d->stream->pairs_rekeyed : 0.0;
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
      rig_stream_drop_remote_rekey (w, s);
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
 * it), after every due packet is sent. With thousands of calls this keeps
 * the thread's wake-ups at 50/s, so a busy machine's scheduler serves it
 * on time. Arrival times are the kernel's (SO_TIMESTAMPNS, rig-rx-socket.h),
 * so reading a tick late does not make a packet late; the read time gives
 * late_read. */
static gpointer
worker_run (gpointer data)
{
  RigWorker *w = data;
  gint64 next_tick = g_get_monotonic_time ();
  gint64 last_sweep = next_tick;

  while (!g_atomic_int_get (&w->stop)) {
    static const gint64 bounds[5] = { 2000, 5000, 10000, 20000, 50000 };
    gint64 wait = next_tick - g_get_monotonic_time ();
    gint64 tick_start;

    if (wait > 0)
      g_usleep ((gulong) wait);
    tick_start = w->now = g_get_monotonic_time ();
    for (guint i = 0; i < 5; i++)
      w->ticks_late[i] += w->now - next_tick > bounds[i];
    w->ticks++;
    /* Commands first: a key queued before the SIP message that made the
     * peer use it must be in place for the packets read now. */
    worker_commands (w);
    /* Send before reading: after a stall, reading and decrypting what
     * queued up first would delay every due packet by that work (the
     * peer counts them late). An echo answers one tick later. */
    rig_worker_pace (w, w->now - next_tick > LATE_TICK_US);
    /* each read sets w->now to its read time */
    for (guint i = 0; i < 1024 && rig_worker_receive_batch (w) == BATCH; i++)
      ;
    w->now = g_get_monotonic_time ();
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
    w->busy_us += g_get_monotonic_time () - tick_start;
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
worker_open_socket (RigWorker *w, const gchar *address, GError **error)
{
  g_autoptr (GInetAddress) ia = g_inet_address_new_from_string (address);
  g_autoptr (GSocketAddress) sa = NULL;
  g_autoptr (GSocketAddress) bound = NULL;
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
  rig_rx_socket_init (&w->rx, g_socket_get_fd (w->socket));
  return TRUE;
}

/* One SRTP element between two pads of ours: @feed pushes into its @sink,
 * its @src pushes into @out (@chain, @chain_list). The element is PLAYING
 * and the stream events are sent. */
static GstElement *
worker_add_element (RigWorker *w, const gchar *factory, const gchar *sink, const gchar *src,
                    GstPad **feed, GstPad **out, GstPadChainFunction chain,
                    GstPadChainListFunction chain_list, const gchar *caps, GError **error)
{
  GstElement *element = gst_element_factory_make (factory, NULL);
  g_autoptr (GstPad) el_sink = NULL;
  g_autoptr (GstPad) el_src = NULL;

  if (element == NULL) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "%s not found (GST_PLUGIN_PATH?)",
                 factory);
    return NULL;
  }
  gst_object_ref_sink (element);
  el_sink = g_str_has_suffix (sink, "_0") ? gst_element_request_pad_simple (element, sink) :
      gst_element_get_static_pad (element, sink);
  el_src = gst_element_get_static_pad (element, src);
  *feed = gst_pad_new (NULL, GST_PAD_SRC);
  *out = gst_pad_new (NULL, GST_PAD_SINK);
  gst_pad_set_element_private (*out, w);
  gst_pad_set_chain_function (*out, chain);
  if (chain_list)
    gst_pad_set_chain_list_function (*out, chain_list);
  gst_pad_set_event_function (*out, rig_drop_event);
  gst_pad_set_active (*feed, TRUE);
  gst_pad_set_active (*out, TRUE);
  if (el_sink == NULL || el_src == NULL || gst_pad_link (*feed, el_sink) != GST_PAD_LINK_OK ||
      gst_pad_link (el_src, *out) != GST_PAD_LINK_OK ||
      gst_element_set_state (element, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "%s did not start", factory);
    gst_object_unref (element);
    return NULL;
  }
  push_stream_events (*feed, factory, caps);
  return element;
}

static gboolean
worker_setup (RigWorker *w, const gchar *address, GError **error)
{
  GstStructure *config;

  if (!worker_open_socket (w, address, error))
    return FALSE;
  w->enc = worker_add_element (w, "srtpsdesenc", "rtp_sink_0", "rtp_src_0", &w->enc_feed,
                               &w->enc_out, rig_enc_out_chain, rig_enc_out_chain_list,
                               "application/x-rtp, media=audio, clock-rate=8000", error);
  if (w->enc == NULL)
    return FALSE;
  w->dec = worker_add_element (w, "srtpsdesdec", "rtp_sink", "rtp_src", &w->dec_feed,
                               &w->dec_out, rig_dec_out_chain, rig_dec_out_chain_list,
                               "application/x-srtp, media=audio, clock-rate=8000", error);
  if (w->dec == NULL)
    return FALSE;
  w->dec_next = worker_add_element (w, "srtpsdesdec", "rtp_sink", "rtp_src", &w->next_feed,
                                    &w->next_out, rig_next_out_chain, NULL,
                                    "application/x-srtp, media=audio, clock-rate=8000", error);
  if (w->dec_next == NULL)
    return FALSE;

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
  if (w->dec_next)
    gst_element_set_state (w->dec_next, GST_STATE_NULL);
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
  g_clear_object (&w->next_feed);
  g_clear_object (&w->next_out);
  g_clear_object (&w->dec_next);
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
    s->tone[0] = rig_tone_table (media, tone_hz, 0);
    s->tone[1] = rig_tone_table (media, tone_hz, 8);
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
