/* srtpsdes — sdes-rig: many concurrent SDES-SRTP calls with real media in one process
 *
 * Copyright (C) 2026 srtpsdes developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Caller mode (--call URI, repeatable) places --calls N calls at --rate R
 * calls/s with at most --concurrent C at once; answer mode (--answer)
 * answers every call until SIGINT/SIGTERM or --count calls have ended.
 * Signalling is the public srtpsdes agent API (SdesAgent, SdesCall); media
 * is rig-media.c: a few worker threads, one UDP socket each, shared by all
 * their calls, keyed per SSRC in one srtpsdesenc/srtpsdesdec pair.
 *
 * Every call sends a G.711 tone whose frequency identifies it and says so
 * in its SDP (a=x-rig-tone), with its SSRC (RFC 5576 a=ssrc), so the other
 * side can demultiplex the shared port and check the tone.
 *
 * Output: one JSON object per line on stdout ("ready", one "call" per
 * call, "summary"); a live progress line on stderr when it is a TTY.
 * Keys are never printed. Exit status: 0 when every call passed its
 * checks, 1 when one did not, 2 on a usage or start-up error.
 */

#include <locale.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <glib-unix.h>
#include <gst/gst.h>
#include <json-glib/json-glib.h>

#include "sdes-agent.h"
#include "sdes-crypto.h"
#include "sdes-engine.h"
#include "rig-media.h"

#define TONE_TOLERANCE_HZ 5.0   /* neighbouring call tones are 10 Hz apart */
#define STOP_WAIT_MS 5000
#define MIN_TONE_SAMPLES 4000   /* 0.5 s of G.711 */

typedef struct _Rig Rig;

typedef enum {
  DUE_HANGUP,
  DUE_HOLD,
  DUE_RESUME,
  N_DUE
} DueKind;

typedef struct {
  gint64 due;
  guint index;
} Due;

typedef struct {
  Rig *rig;
  guint index;
  SdesCall *call;
  RigStream *stream;
  gchar *uri;
  guint32 local_ssrc;
  guint tone_hz;               /* what we send; 0 when echoing */
  guint worker;
  gint64 t_start;              /* INVITE sent or received */
  gint64 t_start_real;         /* the same, wall clock */
  gint64 t_end_real;           /* SdesCall::ended, wall clock */
  gdouble setup_ms;            /* -1 until media-ready */
  gboolean established;
  gboolean secure;
  gboolean keyed;
  gint payload_type;           /* negotiated, -1 before */
  gchar *suite;
  gchar *remote_media;         /* ip:port media is sent to */
  gdouble expected_hz;         /* -1: the peer did not say */
  guint end_status;
  gchar *end_reason;
  gboolean held;
  gboolean resumed;
  gboolean ended;
} RigCall;

struct _Rig
{
  GMainLoop *loop;
  SdesAgent *agent;
  RigMedia *media;

  /* what was asked */
  gboolean answer;
  gboolean echo;
  gchar **uris;
  guint n_calls;
  gdouble rate;
  guint concurrent;
  gdouble duration;
  gdouble hold_at;
  gdouble resume_at;
  guint8 pt;
  const gchar *codec;
  gchar *media_address;
  SdesSrtpPolicy policy;
  guint count;
  gdouble max_loss;

  /* what happened */
  guint placed;
  guint active;
  guint done;
  guint failed;
  guint established;
  guint peak;
  guint64 packets_sent;
  guint64 packets_received;
  guint64 late;
  guint64 auth_failures;
  guint threads_peak;
  GHashTable *failures;        /* cause -> count */
  GArray *setup_ms;
  gint64 t0;
  gint64 t_first;
  gint64 t_last_setup;
  GHashTable *calls;           /* RigCall* of calls not finished */
  GHashTable *by_index;        /* index -> RigCall*, the same calls */
  GQueue due[N_DUE];
  guint due_id;
  gboolean stopping;
  guint stop_timeout_id;
  gboolean tty;
  guint place_id;
  guint progress_id;

  /* answer mode: the media the next incoming call gets (SdesAgent:local-media) */
  guint next_index;
  guint32 next_ssrc;
  guint next_tone;
  guint next_worker;
};

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

static void
prepare_next_answer (Rig *rig)
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

static void
apply_media (RigCall *c, GPtrArray *media)
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
/* Results                                                                   */
/* ------------------------------------------------------------------------- */

static void
count_failure (Rig *rig, GPtrArray *causes, const gchar *cause)
{
  guint n = GPOINTER_TO_UINT (g_hash_table_lookup (rig->failures, cause));

  g_hash_table_insert (rig->failures, g_strdup (cause), GUINT_TO_POINTER (n + 1));
  g_ptr_array_add (causes, g_strdup (cause));
}

static void
print_node (JsonBuilder *b)
{
  g_autoptr (JsonNode) root = json_builder_get_root (b);
  g_autoptr (JsonGenerator) gen = json_generator_new ();
  g_autofree gchar *text = NULL;

  json_generator_set_root (gen, root);
  text = json_generator_to_data (gen, NULL);
  fprintf (stdout, "%s\n", text);
}

static void maybe_quit (Rig *rig);

static void
call_free (RigCall *c)
{
  g_hash_table_remove (c->rig->by_index, GUINT_TO_POINTER (c->index));
  if (c->call)
    g_signal_handlers_disconnect_by_data (c->call, c);
  g_clear_object (&c->call);
  g_free (c->uri);
  g_free (c->suite);
  g_free (c->remote_media);
  g_free (c->end_reason);
  g_free (c);
}

static void
call_finish (RigCall *c, const RigStreamResult *r)
{
  Rig *rig = c->rig;
  g_autoptr (GPtrArray) causes = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (JsonBuilder) b = json_builder_new ();
  guint64 lost = r->packets_expected > r->packets_received ?
      r->packets_expected - r->packets_received : 0;
  gdouble loss = r->packets_expected ? (gdouble) lost / (gdouble) r->packets_expected : 0;
  /* the estimate needs 0.5 s of tone: a handful of packets is not a
   * measurement (and is reported as short-media instead) */
  gboolean tone_checked = c->expected_hz > 0 && r->samples >= MIN_TONE_SAMPLES;
  gboolean tone_ok = !tone_checked || fabs (r->dominant_hz - c->expected_hz) <= TONE_TOLERANCE_HZ;

  if (!c->established) {
    g_autofree gchar *cause = c->end_status ? g_strdup_printf ("status-%u", c->end_status) :
        g_strdup ("not-established");
    count_failure (rig, causes, cause);
  } else {
    if (rig->policy == SDES_SRTP_POLICY_MANDATORY && !c->secure)
      count_failure (rig, causes, "insecure");
    if (r->packets_sent == 0)
      count_failure (rig, causes, "no-media-sent");
    if (r->packets_received == 0)
      count_failure (rig, causes, "no-media-received");
    if (r->auth_failures > 0)
      count_failure (rig, causes, "auth-failures");
    if (r->packets_received > 0 && !tone_ok)
      count_failure (rig, causes, "tone-mismatch");
    if (r->packets_received > 0 && r->samples < MIN_TONE_SAMPLES)
      count_failure (rig, causes, "short-media");
    /* the peer stopped sending before the call ended (a dead backend
     * loses no packet by sequence number: it just goes quiet) */
    if (r->packets_received > 0 && r->end_gap_us > 500000)
      count_failure (rig, causes, "media-stopped");
    if (loss * 100.0 > rig->max_loss)
      count_failure (rig, causes, "loss");
    if (rig->hold_at > 0 && !rig->answer && !c->held)
      count_failure (rig, causes, "hold");
    if (rig->resume_at > 0 && !rig->answer && !c->resumed)
      count_failure (rig, causes, "resume");
  }

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "event");
  json_builder_add_string_value (b, "call");
  json_builder_set_member_name (b, "mode");
  json_builder_add_string_value (b, rig->answer ? "answer" : "caller");
  json_builder_set_member_name (b, "index");
  json_builder_add_int_value (b, c->index);
  if (c->uri) {
    json_builder_set_member_name (b, "uri");
    json_builder_add_string_value (b, c->uri);
  }
  json_builder_set_member_name (b, "start_unix");
  json_builder_add_double_value (b, round ((gdouble) c->t_start_real / 1000.0) / 1000.0);
  json_builder_set_member_name (b, "end_unix");
  json_builder_add_double_value (b, round ((gdouble) (c->t_end_real ? c->t_end_real :
      g_get_real_time ()) / 1000.0) / 1000.0);
  json_builder_set_member_name (b, "status");
  json_builder_add_int_value (b, c->end_status);
  json_builder_set_member_name (b, "reason");
  json_builder_add_string_value (b, c->end_reason ? c->end_reason : "");
  json_builder_set_member_name (b, "established");
  json_builder_add_boolean_value (b, c->established);
  json_builder_set_member_name (b, "setup_ms");
  if (c->established)
    json_builder_add_double_value (b, c->setup_ms);
  else
    json_builder_add_null_value (b);
  json_builder_set_member_name (b, "suite");
  json_builder_add_string_value (b, c->suite ? c->suite : "");
  json_builder_set_member_name (b, "secure");
  json_builder_add_boolean_value (b, c->secure);
  json_builder_set_member_name (b, "codec");
  json_builder_add_string_value (b, c->payload_type == 0 ? "PCMU" : c->payload_type == 8 ? "PCMA" : "");
  json_builder_set_member_name (b, "remote_media");
  json_builder_add_string_value (b, c->remote_media ? c->remote_media : "");
  json_builder_set_member_name (b, "local_media_port");
  json_builder_add_int_value (b, rig_media_get_port (rig->media, c->worker));
  json_builder_set_member_name (b, "remote_ssrc_from");
  json_builder_add_string_value (b, r->remote_ssrc == 0 ? "none" :
      r->ssrc_learned ? "first-packet" : "a=ssrc");
  json_builder_set_member_name (b, "packets_sent");
  json_builder_add_int_value (b, (gint64) r->packets_sent);
  json_builder_set_member_name (b, "packets_received");
  json_builder_add_int_value (b, (gint64) r->packets_received);
  json_builder_set_member_name (b, "packets_lost");
  json_builder_add_int_value (b, (gint64) lost);
  json_builder_set_member_name (b, "loss");
  json_builder_add_double_value (b, loss);
  json_builder_set_member_name (b, "end_gap_ms");
  json_builder_add_int_value (b, r->end_gap_us < 0 ? -1 : r->end_gap_us / 1000);
  json_builder_set_member_name (b, "late");
  json_builder_add_int_value (b, (gint64) r->late);
  json_builder_set_member_name (b, "send_late");
  json_builder_add_int_value (b, (gint64) r->send_late);
  json_builder_set_member_name (b, "auth_failures");
  json_builder_add_int_value (b, (gint64) r->auth_failures);
  json_builder_set_member_name (b, "replay_drops");
  json_builder_add_int_value (b, (gint64) r->replay_drops);
  json_builder_set_member_name (b, "tone_sent_hz");
  if (c->tone_hz)
    json_builder_add_int_value (b, c->tone_hz);
  else
    json_builder_add_string_value (b, "echo");
  json_builder_set_member_name (b, "tone_expected_hz");
  if (c->expected_hz > 0)
    json_builder_add_double_value (b, c->expected_hz);
  else
    json_builder_add_null_value (b);
  json_builder_set_member_name (b, "dominant_hz");
  json_builder_add_double_value (b, round (r->dominant_hz * 10) / 10);
  json_builder_set_member_name (b, "tone_match");
  if (tone_checked)
    json_builder_add_boolean_value (b, tone_ok);
  else
    json_builder_add_null_value (b);
  json_builder_set_member_name (b, "held");
  json_builder_add_boolean_value (b, c->held);
  json_builder_set_member_name (b, "resumed");
  json_builder_add_boolean_value (b, c->resumed);
  json_builder_set_member_name (b, "ok");
  json_builder_add_boolean_value (b, causes->len == 0);
  json_builder_set_member_name (b, "failures");
  json_builder_begin_array (b);
  for (guint i = 0; i < causes->len; i++)
    json_builder_add_string_value (b, g_ptr_array_index (causes, i));
  json_builder_end_array (b);
  json_builder_end_object (b);
  print_node (b);

  rig->done++;
  if (causes->len > 0)
    rig->failed++;
  rig->packets_sent += r->packets_sent;
  rig->packets_received += r->packets_received;
  rig->late += r->late;
  rig->auth_failures += r->auth_failures;
  g_hash_table_remove (rig->calls, c);
  call_free (c);
  maybe_quit (rig);
}

static void
on_stream_done (RigStream *stream, const RigStreamResult *result, gpointer user_data)
{
  call_finish (user_data, result);
}

static int
compare_double (gconstpointer a, gconstpointer b)
{
  gdouble x = *(const gdouble *) a, y = *(const gdouble *) b;

  return x < y ? -1 : x > y;
}

static gdouble
percentile (GArray *sorted, gdouble p)
{
  guint i;

  if (sorted->len == 0)
    return 0;
  i = (guint) ceil (p / 100.0 * sorted->len);
  return g_array_index (sorted, gdouble, MIN (MAX (i, 1), sorted->len) - 1);
}

static void
print_summary (Rig *rig)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();
  gdouble span = rig->t_last_setup > rig->t_first ?
      (gdouble) (rig->t_last_setup - rig->t_first) / G_USEC_PER_SEC : 0;
  GHashTableIter iter;
  gpointer key, value;

  g_array_sort (rig->setup_ms, compare_double);
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "event");
  json_builder_add_string_value (b, "summary");
  json_builder_set_member_name (b, "mode");
  json_builder_add_string_value (b, rig->answer ? "answer" : "caller");
  json_builder_set_member_name (b, "calls");
  json_builder_add_int_value (b, rig->done);
  json_builder_set_member_name (b, "placed");
  json_builder_add_int_value (b, rig->placed);
  json_builder_set_member_name (b, "established");
  json_builder_add_int_value (b, rig->established);
  json_builder_set_member_name (b, "failed");
  json_builder_add_int_value (b, rig->failed);
  json_builder_set_member_name (b, "calls_per_s");
  json_builder_add_double_value (b, span > 0 ? round (rig->established / span * 10) / 10 : 0);
  json_builder_set_member_name (b, "setup_ms");
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "p50");
  json_builder_add_double_value (b, percentile (rig->setup_ms, 50));
  json_builder_set_member_name (b, "p95");
  json_builder_add_double_value (b, percentile (rig->setup_ms, 95));
  json_builder_set_member_name (b, "p99");
  json_builder_add_double_value (b, percentile (rig->setup_ms, 99));
  json_builder_end_object (b);
  json_builder_set_member_name (b, "concurrent_peak");
  json_builder_add_int_value (b, rig->peak);
  json_builder_set_member_name (b, "failures");
  json_builder_begin_object (b);
  g_hash_table_iter_init (&iter, rig->failures);
  while (g_hash_table_iter_next (&iter, &key, &value)) {
    json_builder_set_member_name (b, key);
    json_builder_add_int_value (b, GPOINTER_TO_UINT (value));
  }
  json_builder_end_object (b);
  json_builder_set_member_name (b, "packets_sent");
  json_builder_add_int_value (b, (gint64) rig->packets_sent);
  json_builder_set_member_name (b, "packets_received");
  json_builder_add_int_value (b, (gint64) rig->packets_received);
  json_builder_set_member_name (b, "late");
  json_builder_add_int_value (b, (gint64) rig->late);
  json_builder_set_member_name (b, "late_fraction");
  json_builder_add_double_value (b, rig->packets_received ?
      (gdouble) rig->late / (gdouble) rig->packets_received : 0);
  json_builder_set_member_name (b, "auth_failures");
  json_builder_add_int_value (b, (gint64) rig->auth_failures);
  json_builder_set_member_name (b, "unknown_packets");
  json_builder_add_int_value (b, (gint64) rig_media_get_unknown_packets (rig->media));
  json_builder_set_member_name (b, "media_workers");
  json_builder_add_int_value (b, rig_media_get_n_workers (rig->media));
  json_builder_set_member_name (b, "threads_peak");
  json_builder_add_int_value (b, rig->threads_peak);
  json_builder_set_member_name (b, "elapsed_s");
  json_builder_add_double_value (b,
      round ((gdouble) (g_get_monotonic_time () - rig->t0) / 1e5) / 10);
  json_builder_end_object (b);
  print_node (b);
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

static gboolean
run_due (gpointer data)
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
          break;
        case DUE_RESUME:
          if (c->held)
            c->resumed = sdes_call_resume (c->call, NULL);
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
    g_array_append_val (rig->setup_ms, c->setup_ms);
    rig->established++;
    rig->t_last_setup = now;
    if (!rig->answer) {
      schedule (rig, c, DUE_HANGUP, rig->duration);
      if (rig->hold_at > 0)
        schedule (rig, c, DUE_HOLD, rig->hold_at);
      if (rig->resume_at > 0)
        schedule (rig, c, DUE_RESUME, rig->resume_at);
    }
  }
  apply_media (c, media);
}

static void
on_media_updated (SdesCall *call, GPtrArray *media, RigCall *c)
{
  apply_media (c, media);
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
  rig_media_stream_end (rig->media, c->stream, on_stream_done, c);
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
    rig_media_stream_end (rig->media, c->stream, on_stream_done, c);
  }
}

static gboolean
place_calls (gpointer data)
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

static void
on_incoming (SdesAgent *agent, SdesCall *call, Rig *rig)
{
  if (rig->stopping) {
    sdes_call_reject (call, 503, "Service Unavailable", NULL);
    return;
  }
  /* This call answers with the media prepared for it; the next gets new. */
  call_new (rig, call, rig->next_index, rig->next_worker, rig->next_ssrc, rig->next_tone);
  rig->placed++;
  rig->next_index++;
  prepare_next_answer (rig);
}

static void
maybe_quit (Rig *rig)
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

static gboolean
on_stop_signal (gpointer data)
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
  maybe_quit (rig);
  return G_SOURCE_CONTINUE;
}

static gboolean
on_progress (gpointer data)
{
  Rig *rig = data;

  rig->threads_peak = MAX (rig->threads_peak, count_threads ());
  if (rig->tty)
    g_printerr ("\r%s placed %u  active %u  done %u  failed %u   ",
                rig->answer ? "answered" : "", rig->placed, rig->active, rig->done, rig->failed);
  return G_SOURCE_CONTINUE;
}

/* ------------------------------------------------------------------------- */
/* main                                                                      */
/* ------------------------------------------------------------------------- */

static gboolean
parse_policy (const gchar *text, SdesSrtpPolicy *policy)
{
  if (g_strcmp0 (text, "off") == 0)
    *policy = SDES_SRTP_POLICY_OFF;
  else if (g_strcmp0 (text, "optional") == 0)
    *policy = SDES_SRTP_POLICY_OPTIONAL;
  else if (g_strcmp0 (text, "mandatory") == 0)
    *policy = SDES_SRTP_POLICY_MANDATORY;
  else
    return FALSE;
  return TRUE;
}

static gchar *
media_address_from (const gchar *bind)
{
  const gchar *host = strchr (bind, ':');
  const gchar *end;

  if (host == NULL)
    return g_strdup ("127.0.0.1");
  host++;
  if (*host == '[') {
    end = strchr (host, ']');
    return end ? g_strndup (host + 1, (gsize) (end - host - 1)) : g_strdup ("::1");
  }
  end = host + strcspn (host, ":;>");
  return g_strndup (host, (gsize) (end - host));
}

static void
print_ready (Rig *rig)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "event");
  json_builder_add_string_value (b, "ready");
  json_builder_set_member_name (b, "mode");
  json_builder_add_string_value (b, rig->answer ? "answer" : "caller");
  json_builder_set_member_name (b, "contact");
  json_builder_add_string_value (b, sdes_agent_get_contact (rig->agent));
  json_builder_set_member_name (b, "pid");
  json_builder_add_int_value (b, getpid ());
  json_builder_set_member_name (b, "media_ports");
  json_builder_begin_array (b);
  for (guint i = 0; i < rig_media_get_n_workers (rig->media); i++)
    json_builder_add_int_value (b, rig_media_get_port (rig->media, i));
  json_builder_end_array (b);
  json_builder_end_object (b);
  print_node (b);
}

static void
on_ready (SdesAgent *agent, Rig *rig)
{
  print_ready (rig);
}

int
main (int argc, char **argv)
{
  Rig rig = { 0 };
  g_auto (GStrv) binds = NULL, suites = NULL;
  g_autofree gchar *tls_cert = NULL, *tls_key = NULL, *ca = NULL, *srtp = NULL,
      *transport = NULL, *listen = NULL, *codec = NULL;
  gboolean no_verify = FALSE, allow_insecure = FALSE;
  gdouble rekey_at = 0;
  gint calls = 1, concurrent = 10, workers = 2, count = 0;
  GOptionEntry entries[] = {
    { "call", 0, 0, G_OPTION_ARG_STRING_ARRAY, &rig.uris, "Caller mode: call this URI (repeatable: calls go round the list)", "URI" },
    { "answer", 0, 0, G_OPTION_ARG_NONE, &rig.answer, "Answer mode: answer every call until SIGINT/SIGTERM or --count", NULL },
    { "calls", 'n', 0, G_OPTION_ARG_INT, &calls, "Caller: calls to place (default 1)", "N" },
    { "rate", 'r', 0, G_OPTION_ARG_DOUBLE, &rig.rate, "Caller: calls placed per second (default 10)", "R" },
    { "concurrent", 'c', 0, G_OPTION_ARG_INT, &concurrent, "Caller: calls at once at most (default 10)", "C" },
    { "duration", 'd', 0, G_OPTION_ARG_DOUBLE, &rig.duration, "Caller: seconds from answer to BYE (default 5)", "S" },
    { "hold-at", 0, 0, G_OPTION_ARG_DOUBLE, &rig.hold_at, "Caller: hold each call S seconds after it was answered", "S" },
    { "resume-at", 0, 0, G_OPTION_ARG_DOUBLE, &rig.resume_at, "Caller: resume it S seconds after it was answered", "S" },
    { "rekey-at", 0, 0, G_OPTION_ARG_DOUBLE, &rekey_at, "Not supported: the agent API has no rekey call", "S" },
    { "count", 0, 0, G_OPTION_ARG_INT, &count, "Answer: exit after N calls have ended", "N" },
    { "echo", 0, 0, G_OPTION_ARG_NONE, &rig.echo, "Answer: send back what is received instead of a tone", NULL },
    { "bind", 0, 0, G_OPTION_ARG_STRING_ARRAY, &binds, "SIP URI to bind (repeatable); default from --listen and --transport", "URI" },
    { "listen", 0, 0, G_OPTION_ARG_STRING, &listen, "IP:PORT to bind when --bind is not given (default 127.0.0.1:5060 answering, 127.0.0.1:0 calling)", "IP:PORT" },
    { "transport", 0, 0, G_OPTION_ARG_STRING, &transport, "udp, tcp or tls for the default bind (default udp)", "T" },
    { "tls-cert", 0, 0, G_OPTION_ARG_FILENAME, &tls_cert, "PEM certificate for TLS", "FILE" },
    { "tls-key", 0, 0, G_OPTION_ARG_FILENAME, &tls_key, "PEM private key for TLS", "FILE" },
    { "ca", 0, 0, G_OPTION_ARG_FILENAME, &ca, "PEM file of trusted CA certificates", "FILE" },
    { "no-verify", 0, 0, G_OPTION_ARG_NONE, &no_verify, "Do not verify TLS peers (unsafe: keys travel in SDP)", NULL },
    { "srtp", 0, 0, G_OPTION_ARG_STRING, &srtp, "SRTP policy: off, optional, mandatory (default mandatory)", "POLICY" },
    { "suite", 0, 0, G_OPTION_ARG_STRING_ARRAY, &suites, "Crypto suite to offer/accept (repeatable, in preference order)", "NAME" },
    { "allow-insecure-signaling", 0, 0, G_OPTION_ARG_NONE, &allow_insecure, "Allow SRTP keys over non-TLS signaling", NULL },
    { "codec", 0, 0, G_OPTION_ARG_STRING, &codec, "PCMU or PCMA (default PCMU)", "NAME" },
    { "media-address", 0, 0, G_OPTION_ARG_STRING, &rig.media_address, "Local IP for RTP (default: host of the first bind)", "IP" },
    { "workers", 'w', 0, G_OPTION_ARG_INT, &workers, "Media worker threads, one UDP port each (default 2)", "N" },
    { "max-loss", 0, 0, G_OPTION_ARG_DOUBLE, &rig.max_loss, "Per-call packet loss in percent that fails the call (default 5)", "PCT" },
    { NULL }
  };
  g_autoptr (GOptionContext) ctx = g_option_context_new ("- many SDES-SRTP calls with media in one process");
  g_autoptr (GError) error = NULL;
  g_autofree gchar *default_bind = NULL;
  gint status;

  setlocale (LC_ALL, "");
  setvbuf (stdout, NULL, _IOLBF, 0);
  gst_init (&argc, &argv);
  rig.rate = 10;
  rig.duration = 5;
  rig.max_loss = 5;
  g_option_context_add_main_entries (ctx, entries, NULL);
  if (!g_option_context_parse (ctx, &argc, &argv, &error)) {
    g_printerr ("sdes-rig: %s\n", error->message);
    return 2;
  }
  if ((rig.uris == NULL) == (rig.answer == FALSE)) {
    g_printerr ("sdes-rig: give --call URI (caller) or --answer, not both\n");
    return 2;
  }
  if (!parse_policy (srtp ? srtp : "mandatory", &rig.policy)) {
    g_printerr ("sdes-rig: --srtp must be off, optional or mandatory\n");
    return 2;
  }
  if (codec == NULL || g_ascii_strcasecmp (codec, "PCMU") == 0) {
    rig.pt = 0;
    rig.codec = "PCMU";
  } else if (g_ascii_strcasecmp (codec, "PCMA") == 0) {
    rig.pt = 8;
    rig.codec = "PCMA";
  } else {
    g_printerr ("sdes-rig: --codec must be PCMU or PCMA\n");
    return 2;
  }
  if (calls < 1 || concurrent < 1 || rig.rate <= 0 || rig.duration <= 0 || workers < 1 ||
      workers > 64 || count < 0) {
    g_printerr ("sdes-rig: --calls, --concurrent, --rate, --duration and --workers must be positive\n");
    return 2;
  }
  if (rig.resume_at > 0 && (rig.hold_at <= 0 || rig.resume_at <= rig.hold_at)) {
    g_printerr ("sdes-rig: --resume-at needs an earlier --hold-at\n");
    return 2;
  }
  if (rekey_at > 0)
    g_printerr ("sdes-rig: --rekey-at ignored: the agent API (SdesCall) has no rekey call; "
                "peer rekeys (media-updated with new keys) are followed\n");
  rig.n_calls = (guint) calls;
  rig.concurrent = (guint) concurrent;
  rig.count = (guint) count;

  if (binds == NULL) {
    const gchar *t = transport ? transport : "udp";
    const gchar *where = listen ? listen : rig.answer ? "127.0.0.1:5060" : "127.0.0.1:0";

    if (g_strcmp0 (t, "tls") == 0)
      default_bind = g_strdup_printf ("sips:%s", where);
    else if (g_strcmp0 (t, "tcp") == 0 || g_strcmp0 (t, "udp") == 0)
      default_bind = g_strdup_printf ("sip:%s;transport=%s", where, t);
    else {
      g_printerr ("sdes-rig: --transport must be udp, tcp or tls\n");
      return 2;
    }
    binds = g_new0 (gchar *, 2);
    binds[0] = g_strdup (default_bind);
  }
  if (rig.media_address == NULL)
    rig.media_address = media_address_from (binds[0]);

  rig.loop = g_main_loop_new (NULL, FALSE);
  rig.failures = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  rig.setup_ms = g_array_new (FALSE, FALSE, sizeof (gdouble));
  rig.calls = g_hash_table_new (NULL, NULL);
  rig.by_index = g_hash_table_new (NULL, NULL);
  for (guint k = 0; k < N_DUE; k++)
    g_queue_init (&rig.due[k]);
  rig.tty = isatty (2);
  rig.t0 = g_get_monotonic_time ();
  rig.media = rig_media_new (rig.media_address, (guint) workers, NULL, &error);
  if (rig.media == NULL) {
    g_printerr ("sdes-rig: media: %s\n", error->message);
    return 2;
  }

  rig.agent = sdes_agent_new (NULL);
  g_object_set (rig.agent, "bind-uris", binds, "tls-cert-file", tls_cert, "tls-key-file", tls_key,
                "tls-ca-file", ca, "tls-verify", !no_verify, "srtp-policy", rig.policy,
                "require-secure-signaling", !allow_insecure, "auto-answer", TRUE,
                "user-agent", "sdes-rig", NULL);
  if (suites)
    g_object_set (rig.agent, "suites", suites, NULL);
  if (rig.answer) {
    prepare_next_answer (&rig);
    g_signal_connect (rig.agent, "incoming-call", G_CALLBACK (on_incoming), &rig);
  }
  g_signal_connect (rig.agent, "ready", G_CALLBACK (on_ready), &rig);
  if (!sdes_agent_start (rig.agent, &error)) {
    g_printerr ("sdes-rig: %s\n", error->message);
    rig_media_free (rig.media);
    g_object_unref (rig.agent);
    return 2;
  }

  g_unix_signal_add (SIGINT, on_stop_signal, &rig);
  g_unix_signal_add (SIGTERM, on_stop_signal, &rig);
  rig.progress_id = g_timeout_add (250, on_progress, &rig);
  rig.t0 = g_get_monotonic_time ();
  if (!rig.answer) {
    rig.place_id = g_timeout_add (2, place_calls, &rig);
    rig.due_id = g_timeout_add (5, run_due, &rig);
  }
  g_main_loop_run (rig.loop);
  on_progress (&rig);
  if (rig.tty)
    g_printerr ("\n");

  g_clear_handle_id (&rig.place_id, g_source_remove);
  g_clear_handle_id (&rig.progress_id, g_source_remove);
  g_clear_handle_id (&rig.due_id, g_source_remove);
  for (guint k = 0; k < N_DUE; k++)
    g_queue_clear_full (&rig.due[k], g_free);
  g_clear_handle_id (&rig.stop_timeout_id, g_source_remove);
  print_summary (&rig);
  status = rig.failed > 0 || g_hash_table_size (rig.calls) > 0 ||
      (!rig.answer && !rig.stopping && rig.done < rig.n_calls) ? 1 : 0;

  sdes_agent_shutdown (rig.agent);
  {
    /* Let Sofia finish its shutdown (bounded). */
    gint64 deadline = g_get_monotonic_time () + 3 * G_USEC_PER_SEC;
    while (!sdes_agent_is_shut_down (rig.agent) && g_get_monotonic_time () < deadline)
      g_main_context_iteration (NULL, TRUE);
  }
  {
    /* Calls that never ended (stop timeout): their streams are swept by
     * rig_media_free(), whose results go nowhere. */
    g_autoptr (GList) left = g_hash_table_get_keys (rig.calls);

    for (GList *l = left; l; l = l->next) {
      RigCall *c = l->data;

      if (!c->ended)
        rig_media_stream_end (rig.media, c->stream, on_stream_done, c);
    }
  }
  g_hash_table_steal_all (rig.calls);
  rig_media_free (rig.media);
  g_object_unref (rig.agent);
  g_hash_table_unref (rig.calls);
  g_hash_table_unref (rig.by_index);
  g_hash_table_unref (rig.failures);
  g_array_unref (rig.setup_ms);
  g_strfreev (rig.uris);
  g_free (rig.media_address);
  g_main_loop_unref (rig.loop);
  return status;
}
