/* srtpsdes — sdes-rig: placing, answering and driving calls
 *
 * Copyright (C) 2026 srtpsdes developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "rig.h"

#include <math.h>
#include <string.h>

static guint
caller_tone (guint i)
{
  return 300 + 10 * (i % 300);
}

static guint
answer_tone (guint i)
{
  return 2000 + 10 * (i % 150);
}

static guint
count_threads (void)
{
  g_autofree gchar *status = NULL;
  const gchar *p;

  if (!g_file_get_contents ("/proc/self/status", &status, NULL, NULL))
    return 0;
  p = strstr (status, "\nThreads:");
  return p ? (guint) g_ascii_strtoull (p + 9, NULL, 10) : 0;
}

/* ------------------------------------------------------------------------- */
/* Local media                                                               */
/* ------------------------------------------------------------------------- */

static SdesLocalMedia *
make_local (Rig *rig, guint worker, guint32 ssrc, guint tone)
{
  SdesLocalMedia *local = sdes_local_media_new (rig->media_address);
  guint port = rig_media_get_port (rig->media, worker);
  guint s = sdes_local_media_add_stream (local, SDES_MEDIA_TYPE_AUDIO, port);
  g_autofree gchar *ssrc_value = g_strdup_printf ("%u cname:sdes-rig", ssrc);
  g_autofree gchar *tone_value = tone ? g_strdup_printf ("%u", tone) : g_strdup ("echo");

  /* RFC 5761: the worker's one port carries RTCP too. */
  sdes_local_media_set_rtcp (local, s, port, TRUE);
  sdes_local_media_add_codec (local, s, rig->pt, rig->codec, 8000, 1, NULL);
  /* the answerer takes either G.711 law; the caller offers the one asked */
  if (rig->answer)
    sdes_local_media_add_codec (local, s, rig->pt == 0 ? 8 : 0, rig->pt == 0 ? "PCMA" : "PCMU",
                                8000, 1, NULL);
  /* RFC 5576 §4.1: the peer learns our SSRC before the first packet. */
  sdes_local_media_add_attribute (local, s, "ssrc", ssrc_value);
  sdes_local_media_add_attribute (local, s, "x-rig-tone", tone_value);
  return local;
}

void
rig_prepare_next_answer (Rig *rig)
{
  g_autoptr (SdesLocalMedia) local = NULL;

  rig->next_worker = rig->next_index % rig_media_get_n_workers (rig->media);
  rig->next_ssrc = rig_media_new_ssrc (rig->media);
  rig->next_tone = rig->echo ? 0 : answer_tone (rig->next_index);
  local = make_local (rig, rig->next_worker, rig->next_ssrc, rig->next_tone);
  g_object_set (rig->agent, "local-media", local, NULL);
}

/* a=ssrc and a=x-rig-tone of the peer's SDP (which holds keys: it is
 * scanned here and wiped, never printed). */
static void
scan_remote_sdp (RigCall *c, guint32 *ssrc, gdouble *tone)
{
  g_autoptr (SdesSecretText) sdp = NULL;
  g_auto (GStrv) lines = NULL;

  *ssrc = 0;
  g_object_get (c->call, "remote-sdp", &sdp, NULL);
  if (sdp == NULL)
    return;
  lines = g_strsplit (sdp, "\n", -1);
  for (guint i = 0; lines[i]; i++) {
    const gchar *l = lines[i];

    if (*ssrc == 0 && g_str_has_prefix (l, "a=ssrc:"))
      *ssrc = (guint32) g_ascii_strtoull (l + 7, NULL, 10);
    else if (g_str_has_prefix (l, "a=x-rig-tone:"))
      *tone = g_str_has_prefix (l + 13, "echo") ? (gdouble) c->tone_hz :
          g_ascii_strtod (l + 13, NULL);
    if (g_str_has_prefix (l, "a=crypto:"))
      sdes_crypto_wipe (lines[i], strlen (lines[i]));
  }
}

/* @answered: the update comes from a re-INVITE we answered. */
static void
apply_media (RigCall *c, GPtrArray *media, gboolean answered)
{
  Rig *rig = c->rig;
  RigStreamParams p = { 0 };
  SdesMediaDescription *d = NULL;

  if (c->stream == NULL)
    return;
  for (guint i = 0; media && i < media->len; i++) {
    SdesMediaDescription *m = g_ptr_array_index (media, i);

    if (m->active && m->media_type == SDES_MEDIA_TYPE_AUDIO && m->local_stream == 0) {
      d = m;
      break;
    }
  }
  p.payload_type = rig->pt;
  if (d != NULL) {
    gdouble tone = -1;

    p.remote_address = g_strdup (d->remote_address);
    p.remote_port = d->remote_port;
    p.secure = d->secure;
    if (d->secure && d->local_crypto && (!c->keyed || d->local_key_changed))
      p.local_crypto = sdes_crypto_attr_format (d->local_crypto);
    if (d->secure && d->remote_crypto && (!c->keyed || d->remote_key_changed))
      p.remote_crypto = sdes_crypto_attr_format (d->remote_crypto);
    if (c->keyed && d->secure && d->local_key_changed && d->remote_key_changed) {
      /* A rekey: RFC 3711 §3.3.1, same SSRC and address, the ROC goes on. */
      if (!d->local_roc_reset && !d->remote_roc_reset)
        c->rekeys++;
      /* The offerer learns our new key from the 2xx: we send with the old
       * one until it surely has (rig-media.h). */
      p.defer_local_key = answered;
    }
    c->keyed = d->secure;
    p.send = (d->direction & SDES_DIRECTION_SENDONLY) != 0;
    p.receive = (d->direction & SDES_DIRECTION_RECVONLY) != 0;
    if (d->payload_type == 0 || d->payload_type == 8)
      p.payload_type = (guint8) d->payload_type;
    scan_remote_sdp (c, &p.remote_ssrc, &tone);
    if (c->expected_hz < 0 && tone >= 0)
      c->expected_hz = tone;
    c->secure = d->secure;
    c->payload_type = p.payload_type;
    g_free (c->suite);
    c->suite = g_strdup (d->local_crypto ? d->local_crypto->suite_name : "");
    g_free (c->remote_media);
    c->remote_media = g_strdup_printf ("%s:%u", d->remote_address ? d->remote_address : "",
                                       d->remote_port);
  }
  rig_media_stream_update (rig->media, c->stream, &p);
}

/* ------------------------------------------------------------------------- */
/* Calls                                                                     */
/* ------------------------------------------------------------------------- */

/* The caller's timed actions. Every call has the same delays, so each kind
 * is a FIFO in deadline order, served by one timer: thousands of calls do
 * not become thousands of GSources, which the main context would walk on
 * every iteration. */
static void
schedule (Rig *rig, RigCall *c, DueKind kind, gdouble after_s)
{
  Due *d = g_new (Due, 1);

  d->due = g_get_monotonic_time () + (gint64) (after_s * G_USEC_PER_SEC);
  d->index = c->index;
  g_queue_push_tail (&rig->due[kind], d);
}

/* RFC 4568 §7.1.4: a re-INVITE with new keys. A hold or resume still in
 * flight (one re-INVITE at a time) puts it off a little. */
static void
due_rekey (Rig *rig, RigCall *c)
{
  g_autoptr (GError) error = NULL;

  if (sdes_call_rekey (c->call, &error)) {
    c->rekey_sent = TRUE;
    c->reoffer_pending = TRUE;
  } else if (g_error_matches (error, SDES_AGENT_ERROR, SDES_AGENT_ERROR_WRONG_STATE) &&
             c->reoffer_pending) {
    schedule (rig, c, DUE_REKEY, 0.2);
  } else {
    g_printerr ("sdes-rig: call %u: rekey not sent: %s\n", c->index, error->message);
  }
}

gboolean
rig_run_due (gpointer data)
{
  Rig *rig = data;
  gint64 now = g_get_monotonic_time ();

  for (guint k = 0; k < N_DUE; k++) {
    Due *d;

    while ((d = g_queue_peek_head (&rig->due[k])) != NULL && d->due <= now) {
      RigCall *c = g_hash_table_lookup (rig->by_index, GUINT_TO_POINTER (d->index));

      g_free (g_queue_pop_head (&rig->due[k]));
      if (c == NULL || c->ended || c->call == NULL)
        continue;
      switch (k) {
        case DUE_HANGUP:
          rig_media_stream_hangup (rig->media, c->stream);
          sdes_call_hangup (c->call, NULL);
          break;
        case DUE_HOLD:
          c->held = sdes_call_hold (c->call, NULL);
          c->reoffer_pending |= c->held;
          break;
        case DUE_RESUME:
          if (c->held)
            c->resumed = sdes_call_resume (c->call, NULL);
          c->reoffer_pending |= c->resumed;
          break;
        case DUE_REKEY:
          due_rekey (rig, c);
          break;
      }
    }
  }
  return G_SOURCE_CONTINUE;
}

static void
on_media_ready (SdesCall *call, GPtrArray *media, RigCall *c)
{
  Rig *rig = c->rig;
  gint64 now = g_get_monotonic_time ();

  if (!c->established) {
    c->established = TRUE;
    c->setup_ms = (gdouble) (now - c->t_start) / 1000.0;
    rig_histogram_add (&rig->setup_ms, c->setup_ms);
    rig->established++;
    rig->t_last_setup = now;
    if (!rig->answer) {
      schedule (rig, c, DUE_HANGUP, rig->duration);
      if (rig->hold_at > 0)
        schedule (rig, c, DUE_HOLD, rig->hold_at);
      if (rig->resume_at > 0)
        schedule (rig, c, DUE_RESUME, rig->resume_at);
      if (rig->rekey_at > 0)
        schedule (rig, c, DUE_REKEY, rig->rekey_at);
    }
  }
  apply_media (c, media, FALSE);
}

static void
on_media_updated (SdesCall *call, GPtrArray *media, RigCall *c)
{
  /* A re-INVITE we did not send is one we answered. */
  gboolean answered = !c->reoffer_pending;

  c->reoffer_pending = FALSE;
  apply_media (c, media, answered);
}

static void
on_ended (SdesCall *call, guint status, const gchar *reason, RigCall *c)
{
  Rig *rig = c->rig;

  if (c->ended)
    return;
  c->ended = TRUE;
  c->t_end_real = g_get_real_time ();
  c->end_status = status;
  c->end_reason = g_strdup (reason);
  rig->active--;
  rig_media_stream_end (rig->media, c->stream, rig_on_stream_done, c);
}

static RigCall *
call_new (Rig *rig, SdesCall *call, guint index, guint worker, guint32 ssrc, guint tone)
{
  RigCall *c = g_new0 (RigCall, 1);

  c->rig = rig;
  c->index = index;
  c->worker = worker;
  c->local_ssrc = ssrc;
  c->tone_hz = tone;
  c->setup_ms = -1;
  c->payload_type = -1;
  c->expected_hz = -1;
  c->t_start = g_get_monotonic_time ();
  c->t_start_real = g_get_real_time ();
  if (rig->t_first == 0)
    rig->t_first = c->t_start;
  c->stream = rig_media_stream_add (rig->media, worker, ssrc, tone, tone == 0);
  g_hash_table_add (rig->calls, c);
  g_hash_table_insert (rig->by_index, GUINT_TO_POINTER (index), c);
  rig->active++;
  rig->peak = MAX (rig->peak, rig->active);
  if (call) {
    c->call = g_object_ref (call);
    g_signal_connect (call, "media-ready", G_CALLBACK (on_media_ready), c);
    g_signal_connect (call, "media-updated", G_CALLBACK (on_media_updated), c);
    g_signal_connect (call, "ended", G_CALLBACK (on_ended), c);
  }
  return c;
}

static void
place_one (Rig *rig)
{
  guint i = rig->placed++;
  guint worker = i % rig_media_get_n_workers (rig->media);
  guint32 ssrc = rig_media_new_ssrc (rig->media);
  guint tone = caller_tone (i);
  const gchar *uri = rig->uris[i % g_strv_length (rig->uris)];
  g_autoptr (SdesLocalMedia) local = make_local (rig, worker, ssrc, tone);
  g_autoptr (GError) error = NULL;
  g_autoptr (SdesCall) call = sdes_agent_call (rig->agent, uri, local, &error);
  RigCall *c = call_new (rig, call, i, worker, ssrc, tone);

  c->uri = g_strdup (uri);
  if (call == NULL) {
    g_printerr ("sdes-rig: call %u to %s not sent: %s\n", i, uri, error->message);
    c->ended = TRUE;
    c->end_reason = g_strdup ("not sent");
    rig->active--;
    rig_media_stream_end (rig->media, c->stream, rig_on_stream_done, c);
  }
}

gboolean
rig_place_calls (gpointer data)
{
  Rig *rig = data;
  gdouble elapsed = (gdouble) (g_get_monotonic_time () - rig->t0) / G_USEC_PER_SEC;
  guint due = (guint) MIN ((gdouble) rig->n_calls, floor (elapsed * rig->rate) + 1);

  while (!rig->stopping && rig->placed < due && rig->active < rig->concurrent)
    place_one (rig);
  if (rig->placed >= rig->n_calls || rig->stopping) {
    rig->place_id = 0;
    return G_SOURCE_REMOVE;
  }
  return G_SOURCE_CONTINUE;
}

void
rig_on_incoming (SdesAgent *agent, SdesCall *call, Rig *rig)
{
  if (rig->stopping) {
    sdes_call_reject (call, 503, "Service Unavailable", NULL);
    return;
  }
  /* This call answers with the media prepared for it; the next gets new. */
  call_new (rig, call, rig->next_index, rig->next_worker, rig->next_ssrc, rig->next_tone);
  rig->placed++;
  rig->next_index++;
  rig_prepare_next_answer (rig);
}

void
rig_maybe_quit (Rig *rig)
{
  gboolean finished;

  if (rig->answer)
    finished = (rig->count > 0 && rig->done >= rig->count) ||
        (rig->stopping && g_hash_table_size (rig->calls) == 0);
  else
    finished = (rig->placed >= rig->n_calls || rig->stopping) &&
        g_hash_table_size (rig->calls) == 0;
  if (finished)
    g_main_loop_quit (rig->loop);
}

static gboolean
stop_timeout (gpointer data)
{
  Rig *rig = data;

  rig->stop_timeout_id = 0;
  g_printerr ("sdes-rig: %u call(s) did not end in time\n", g_hash_table_size (rig->calls));
  g_main_loop_quit (rig->loop);
  return G_SOURCE_REMOVE;
}

gboolean
rig_on_stop_signal (gpointer data)
{
  Rig *rig = data;
  g_autoptr (GList) calls = NULL;

  if (rig->stopping)
    return G_SOURCE_CONTINUE;
  rig->stopping = TRUE;
  calls = g_hash_table_get_keys (rig->calls);
  for (GList *l = calls; l; l = l->next) {
    RigCall *c = l->data;

    if (c->call && !c->ended) {
      if (sdes_call_get_state (c->call) == SDES_CALL_STATE_INCOMING)
        sdes_call_reject (c->call, 503, "Service Unavailable", NULL);
      else {
        rig_media_stream_hangup (rig->media, c->stream);
        sdes_call_hangup (c->call, NULL);
      }
    }
  }
  rig->stop_timeout_id = g_timeout_add (STOP_WAIT_MS, stop_timeout, rig);
  rig_maybe_quit (rig);
  return G_SOURCE_CONTINUE;
}

gboolean
rig_on_progress (gpointer data)
{
  Rig *rig = data;

  rig->threads_peak = MAX (rig->threads_peak, count_threads ());
  if (rig->tty)
    g_printerr ("\r%s placed %u  active %u  done %u  failed %u   ",
                rig->answer ? "answered" : "", rig->placed, rig->active, rig->done, rig->failed);
  return G_SOURCE_CONTINUE;
}
