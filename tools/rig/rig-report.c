/* srtpsdes — sdes-rig: per-call checks and the JSON lines on stdout
 *
 * Copyright (C) 2026 srtpsdes developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Keys are never printed: only suite names and counters.
 */

#include "rig.h"

#include <math.h>
#include <stdio.h>
#include <unistd.h>

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

/* What a finished call is judged on. */
typedef struct {
  guint64 lost;
  gdouble loss;
  gboolean tone_checked;       /* 0.5 s of tone arrived: the estimate means something */
  gboolean tone_ok;
  gboolean rekey_tone_checked; /* the same, for what arrived after a rekey */
  gboolean rekey_tone_ok;
} CallVerdict;

static void
judge_media (RigCall *c, const RigStreamResult *r, CallVerdict *v)
{
  v->lost = r->packets_expected > r->packets_received ?
      r->packets_expected - r->packets_received : 0;
  v->loss = r->packets_expected ? (gdouble) v->lost / (gdouble) r->packets_expected : 0;
  /* the estimate needs 0.5 s of tone: a handful of packets is not a
   * measurement (and is reported as short-media instead) */
  v->tone_checked = c->expected_hz > 0 && r->samples >= MIN_TONE_SAMPLES;
  v->tone_ok = !v->tone_checked || fabs (r->dominant_hz - c->expected_hz) <= TONE_TOLERANCE_HZ;
  v->rekey_tone_checked = c->expected_hz > 0 &&
      r->packets_after_rekey * 160 >= MIN_TONE_SAMPLES;   /* 160 samples a packet */
  v->rekey_tone_ok = !v->rekey_tone_checked ||
      fabs (r->dominant_hz_after_rekey - c->expected_hz) <= TONE_TOLERANCE_HZ;
}

/* The failure causes of an established call. */
static void
check_established (Rig *rig, RigCall *c, const RigStreamResult *r, const CallVerdict *v,
                   GPtrArray *causes)
{
  if (rig->policy == SDES_SRTP_POLICY_MANDATORY && !c->secure)
    count_failure (rig, causes, "insecure");
  if (r->packets_sent == 0)
    count_failure (rig, causes, "no-media-sent");
  if (r->packets_received == 0)
    count_failure (rig, causes, "no-media-received");
  if (r->auth_failures > 0)
    count_failure (rig, causes, "auth-failures");
  if (r->packets_received > 0 && (!v->tone_ok || !v->rekey_tone_ok))
    count_failure (rig, causes, "tone-mismatch");
  if (r->packets_received > 0 && r->samples < MIN_TONE_SAMPLES)
    count_failure (rig, causes, "short-media");
  /* the peer stopped sending before the call ended (a dead backend
   * loses no packet by sequence number: it just goes quiet) */
  if (r->packets_received > 0 && r->end_gap_us > 500000)
    count_failure (rig, causes, "media-stopped");
  if (v->loss * 100.0 > rig->max_loss)
    count_failure (rig, causes, "loss");
  if (rig->hold_at > 0 && !rig->answer && !c->held)
    count_failure (rig, causes, "hold");
  if (rig->resume_at > 0 && !rig->answer && !c->resumed)
    count_failure (rig, causes, "resume");
  /* RFC 4568 §7.1.4: new keys both ways, ROC kept, and the peer's media
   * carried on under its new key */
  if (rig->rekey_at > 0 && !rig->answer &&
      (!c->rekey_sent || c->rekeys == 0 || r->rekeys == 0 || r->packets_after_rekey == 0))
    count_failure (rig, causes, "rekey");
}

static void
add_int (JsonBuilder *b, const gchar *name, gint64 value)
{
  json_builder_set_member_name (b, name);
  json_builder_add_int_value (b, value);
}

static void
add_string (JsonBuilder *b, const gchar *name, const gchar *value)
{
  json_builder_set_member_name (b, name);
  json_builder_add_string_value (b, value ? value : "");
}

static void
add_bool (JsonBuilder *b, const gchar *name, gboolean value)
{
  json_builder_set_member_name (b, name);
  json_builder_add_boolean_value (b, value);
}

/* @value, or null when @valid is FALSE. */
static void
add_double_or_null (JsonBuilder *b, const gchar *name, gboolean valid, gdouble value)
{
  json_builder_set_member_name (b, name);
  if (valid)
    json_builder_add_double_value (b, value);
  else
    json_builder_add_null_value (b);
}

/* The signalling half of a "call" line. */
static void
add_call_fields (JsonBuilder *b, Rig *rig, RigCall *c)
{
  add_string (b, "event", "call");
  add_string (b, "mode", rig->answer ? "answer" : "caller");
  add_int (b, "index", c->index);
  if (c->uri)
    add_string (b, "uri", c->uri);
  add_double_or_null (b, "start_unix", TRUE, round ((gdouble) c->t_start_real / 1000.0) / 1000.0);
  add_double_or_null (b, "end_unix", TRUE, round ((gdouble) (c->t_end_real ? c->t_end_real :
      g_get_real_time ()) / 1000.0) / 1000.0);
  add_int (b, "status", c->end_status);
  add_string (b, "reason", c->end_reason);
  add_bool (b, "established", c->established);
  add_double_or_null (b, "setup_ms", c->established, c->setup_ms);
  add_string (b, "suite", c->suite);
  add_bool (b, "secure", c->secure);
  add_string (b, "codec", c->payload_type == 0 ? "PCMU" : c->payload_type == 8 ? "PCMA" : "");
  add_string (b, "remote_media", c->remote_media);
  add_int (b, "local_media_port", rig_media_get_port (rig->media, c->worker));
  add_bool (b, "held", c->held);
  add_bool (b, "resumed", c->resumed);
  add_bool (b, "rekey_sent", c->rekey_sent);
  add_int (b, "rekeys", c->rekeys);
}

/* The media half of a "call" line. */
static void
add_media_fields (JsonBuilder *b, RigCall *c, const RigStreamResult *r, const CallVerdict *v)
{
  add_string (b, "remote_ssrc_from", r->remote_ssrc == 0 ? "none" :
      r->ssrc_learned ? "first-packet" : "a=ssrc");
  add_int (b, "packets_sent", (gint64) r->packets_sent);
  add_int (b, "packets_received", (gint64) r->packets_received);
  add_int (b, "packets_lost", (gint64) v->lost);
  add_double_or_null (b, "loss", TRUE, v->loss);
  add_int (b, "end_gap_ms", r->end_gap_us < 0 ? -1 : r->end_gap_us / 1000);
  add_int (b, "late", (gint64) r->late);
  add_int (b, "late_read", (gint64) r->late_read);
  add_int (b, "send_late", (gint64) r->send_late);
  add_int (b, "auth_failures", (gint64) r->auth_failures);
  add_int (b, "replay_drops", (gint64) r->replay_drops);
  json_builder_set_member_name (b, "tone_sent_hz");
  if (c->tone_hz)
    json_builder_add_int_value (b, c->tone_hz);
  else
    json_builder_add_string_value (b, "echo");
  add_double_or_null (b, "tone_expected_hz", c->expected_hz > 0, c->expected_hz);
  add_double_or_null (b, "dominant_hz", TRUE, round (r->dominant_hz * 10) / 10);
  json_builder_set_member_name (b, "tone_match");
  if (v->tone_checked)
    json_builder_add_boolean_value (b, v->tone_ok);
  else
    json_builder_add_null_value (b);
  add_int (b, "remote_rekeys", r->rekeys);
  add_int (b, "packets_after_rekey", (gint64) r->packets_after_rekey);
  add_double_or_null (b, "dominant_hz_after_rekey", r->packets_after_rekey > 0,
                      round (r->dominant_hz_after_rekey * 10) / 10);
}

static void
call_finish (RigCall *c, const RigStreamResult *r)
{
  Rig *rig = c->rig;
  g_autoptr (GPtrArray) causes = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (JsonBuilder) b = json_builder_new ();
  CallVerdict v = { 0 };

  judge_media (c, r, &v);
  if (!c->established) {
    g_autofree gchar *cause = c->end_status ? g_strdup_printf ("status-%u", c->end_status) :
        g_strdup ("not-established");
    count_failure (rig, causes, cause);
  } else {
    check_established (rig, c, r, &v, causes);
  }

  json_builder_begin_object (b);
  add_call_fields (b, rig, c);
  add_media_fields (b, c, r, &v);
  add_bool (b, "ok", causes->len == 0);
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
  rig->late_read += r->late_read;
  rig->auth_failures += r->auth_failures;
  g_hash_table_remove (rig->calls, c);
  call_free (c);
  rig_maybe_quit (rig);
}

void
rig_on_stream_done (RigStream *stream, const RigStreamResult *result, gpointer user_data)
{
  call_finish (user_data, result);
}

/* ------------------------------------------------------------------------- */
/* Setup-time percentiles                                                    */
/* ------------------------------------------------------------------------- */

void
rig_histogram_add (RigHistogram *h, gdouble value)
{
  gdouble octaves = value > SETUP_HIST_MIN_MS ? log2 (value / SETUP_HIST_MIN_MS) : 0;
  guint i = (guint) MIN (octaves * SETUP_HIST_PER_OCTAVE, SETUP_HIST_BUCKETS - 1);

  h->counts[i]++;
  h->min = h->n == 0 ? value : MIN (h->min, value);
  h->max = h->n == 0 ? value : MAX (h->max, value);
  h->n++;
}

/* The nearest-rank percentile @p (0-100], to within half a bucket: the
 * geometric middle of the bucket holding that rank is at most a factor
 * 2^(1/128) (0.55 %) from any value in it. Never outside the smallest and
 * largest value seen, so one call gives its own setup time exactly. */
gdouble
rig_histogram_percentile (const RigHistogram *h, gdouble p)
{
  guint64 rank, seen = 0;

  if (h->n == 0)
    return 0;
  rank = (guint64) ceil (p / 100.0 * (gdouble) h->n);
  rank = CLAMP (rank, 1, h->n);
  for (guint i = 0; i < SETUP_HIST_BUCKETS; i++) {
    seen += h->counts[i];
    if (seen >= rank) {
      gdouble mid = SETUP_HIST_MIN_MS * exp2 ((i + 0.5) / SETUP_HIST_PER_OCTAVE);

      return round (CLAMP (mid, h->min, h->max) * 1000) / 1000;
    }
  }
  return h->max;
}

void
rig_print_summary (Rig *rig)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();
  gdouble span = rig->t_last_setup > rig->t_first ?
      (gdouble) (rig->t_last_setup - rig->t_first) / G_USEC_PER_SEC : 0;
  GHashTableIter iter;
  gpointer key, value;

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
  json_builder_add_double_value (b, rig_histogram_percentile (&rig->setup_ms, 50));
  json_builder_set_member_name (b, "p95");
  json_builder_add_double_value (b, rig_histogram_percentile (&rig->setup_ms, 95));
  json_builder_set_member_name (b, "p99");
  json_builder_add_double_value (b, rig_histogram_percentile (&rig->setup_ms, 99));
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
  json_builder_set_member_name (b, "late_read");
  json_builder_add_int_value (b, (gint64) rig->late_read);
  json_builder_set_member_name (b, "late_read_fraction");
  json_builder_add_double_value (b, rig->packets_received ?
      (gdouble) rig->late_read / (gdouble) rig->packets_received : 0);
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

void
rig_print_ready (Rig *rig)
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
