/* srtpsdes — sdes-rig: state shared by its files
 *
 * Copyright (C) 2026 srtpsdes developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * sdes-rig.c: options and the main loop; rig-call.c: placing, answering and
 * driving calls (hold, resume, rekey, hang-up) and feeding their media to
 * rig-media; rig-report.c: the per-call checks and the JSON lines.
 */

#pragma once

#include <gst/gst.h>
#include <json-glib/json-glib.h>

#include "sdes-agent.h"
#include "sdes-crypto.h"
#include "sdes-engine.h"
#include "rig-media.h"

G_BEGIN_DECLS


#define TONE_TOLERANCE_HZ 5.0   /* neighbouring call tones are 10 Hz apart */
#define STOP_WAIT_MS 5000
#define MIN_TONE_SAMPLES 4000   /* 0.5 s of G.711 */

typedef struct _Rig Rig;

/* Setup times as a log-scale histogram: memory that does not grow with the
 * number of calls. Bucket i holds [MIN·2^(i/N), MIN·2^((i+1)/N)) ms with N
 * buckets per octave; 24 octaves cover 0.01 ms to 168 s (anything outside
 * goes to the first or last bucket). */
#define SETUP_HIST_MIN_MS 0.01
#define SETUP_HIST_PER_OCTAVE 64
#define SETUP_HIST_BUCKETS (24 * SETUP_HIST_PER_OCTAVE)

typedef struct {
  guint32 counts[SETUP_HIST_BUCKETS];
  guint64 n;
  gdouble min;
  gdouble max;
} RigHistogram;

typedef enum {
  DUE_HANGUP,
  DUE_HOLD,
  DUE_RESUME,
  DUE_REKEY,
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
  gboolean rekey_sent;         /* sdes_call_rekey() sent the re-INVITE */
  guint rekeys;                /* media-updated with new keys both ways, ROC kept */
  gboolean reoffer_pending;    /* our re-INVITE awaits its answer */
  gboolean ended;
} RigCall;

struct _Rig
{
  GMainLoop *loop;
  SdesAgent *agent;
  gboolean agent_started;
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
  gdouble rekey_at;
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
  guint64 late_read;
  guint64 auth_failures;
  guint threads_peak;
  GHashTable *failures;        /* cause -> count */
  RigHistogram setup_ms;
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

/* rig-call.c */
void rig_prepare_next_answer (Rig *rig);
gboolean rig_place_calls (gpointer data);
gboolean rig_run_due (gpointer data);
void rig_on_incoming (SdesAgent *agent, SdesCall *call, Rig *rig);
void rig_maybe_quit (Rig *rig);
gboolean rig_on_stop_signal (gpointer data);
gboolean rig_on_progress (gpointer data);

/* rig-report.c */
void rig_histogram_add (RigHistogram *h, gdouble value);
gdouble rig_histogram_percentile (const RigHistogram *h, gdouble p);
void rig_on_stream_done (RigStream *stream, const RigStreamResult *result, gpointer user_data);
void rig_print_summary (Rig *rig);
void rig_print_ready (Rig *rig);

G_END_DECLS
