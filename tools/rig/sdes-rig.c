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

#include "rig.h"

#include <locale.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <glib-unix.h>

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
on_ready (SdesAgent *agent, Rig *rig)
{
  rig_print_ready (rig);
}

/* What the command line asked for, before it is turned into a Rig. */
typedef struct {
  gchar **binds;
  gchar **suites;
  gchar *tls_cert;
  gchar *tls_key;
  gchar *ca;
  gchar *srtp;
  gchar *transport;
  gchar *listen;
  gchar *codec;
  gboolean no_verify;
  gboolean allow_insecure;
  gint calls;
  gint concurrent;
  gint workers;
  gint count;
} RigOptions;

static void
rig_options_clear (RigOptions *o)
{
  g_strfreev (o->binds);
  g_strfreev (o->suites);
  g_free (o->tls_cert);
  g_free (o->tls_key);
  g_free (o->ca);
  g_free (o->srtp);
  g_free (o->transport);
  g_free (o->listen);
  g_free (o->codec);
}

static gboolean
parse_command_line (Rig *rig, RigOptions *o, int *argc, char ***argv)
{
  GOptionEntry entries[] = {
    { "call", 0, 0, G_OPTION_ARG_STRING_ARRAY, &rig->uris, "Caller mode: call this URI (repeatable: calls go round the list)", "URI" },
    { "answer", 0, 0, G_OPTION_ARG_NONE, &rig->answer, "Answer mode: answer every call until SIGINT/SIGTERM or --count", NULL },
    { "calls", 'n', 0, G_OPTION_ARG_INT, &o->calls, "Caller: calls to place (default 1)", "N" },
    { "rate", 'r', 0, G_OPTION_ARG_DOUBLE, &rig->rate, "Caller: calls placed per second (default 10)", "R" },
    { "concurrent", 'c', 0, G_OPTION_ARG_INT, &o->concurrent, "Caller: calls at once at most (default 10)", "C" },
    { "duration", 'd', 0, G_OPTION_ARG_DOUBLE, &rig->duration, "Caller: seconds from answer to BYE (default 5)", "S" },
    { "hold-at", 0, 0, G_OPTION_ARG_DOUBLE, &rig->hold_at, "Caller: hold each call S seconds after it was answered", "S" },
    { "resume-at", 0, 0, G_OPTION_ARG_DOUBLE, &rig->resume_at, "Caller: resume it S seconds after it was answered", "S" },
    { "rekey-at", 0, 0, G_OPTION_ARG_DOUBLE, &rig->rekey_at, "Caller: re-INVITE each call with new keys S seconds after it was answered (RFC 4568 §7.1.4)", "S" },
    { "count", 0, 0, G_OPTION_ARG_INT, &o->count, "Answer: exit after N calls have ended", "N" },
    { "echo", 0, 0, G_OPTION_ARG_NONE, &rig->echo, "Answer: send back what is received instead of a tone", NULL },
    { "bind", 0, 0, G_OPTION_ARG_STRING_ARRAY, &o->binds, "SIP URI to bind (repeatable); default from --listen and --transport", "URI" },
    { "listen", 0, 0, G_OPTION_ARG_STRING, &o->listen, "IP:PORT to bind when --bind is not given (default 127.0.0.1:5060 answering, 127.0.0.1:0 calling)", "IP:PORT" },
    { "transport", 0, 0, G_OPTION_ARG_STRING, &o->transport, "udp, tcp or tls for the default bind (default udp)", "T" },
    { "tls-cert", 0, 0, G_OPTION_ARG_FILENAME, &o->tls_cert, "PEM certificate for TLS", "FILE" },
    { "tls-key", 0, 0, G_OPTION_ARG_FILENAME, &o->tls_key, "PEM private key for TLS", "FILE" },
    { "ca", 0, 0, G_OPTION_ARG_FILENAME, &o->ca, "PEM file of trusted CA certificates", "FILE" },
    { "no-verify", 0, 0, G_OPTION_ARG_NONE, &o->no_verify, "Do not verify TLS peers (unsafe: keys travel in SDP)", NULL },
    { "srtp", 0, 0, G_OPTION_ARG_STRING, &o->srtp, "SRTP policy: off, optional, mandatory (default mandatory)", "POLICY" },
    { "suite", 0, 0, G_OPTION_ARG_STRING_ARRAY, &o->suites, "Crypto suite to offer/accept (repeatable, in preference order)", "NAME" },
    { "allow-insecure-signaling", 0, 0, G_OPTION_ARG_NONE, &o->allow_insecure, "Allow SRTP keys over non-TLS signaling", NULL },
    { "codec", 0, 0, G_OPTION_ARG_STRING, &o->codec, "PCMU or PCMA (default PCMU)", "NAME" },
    { "media-address", 0, 0, G_OPTION_ARG_STRING, &rig->media_address, "Local IP for RTP (default: host of the first bind)", "IP" },
    { "workers", 'w', 0, G_OPTION_ARG_INT, &o->workers, "Media worker threads, one UDP port each (default 2)", "N" },
    { "max-loss", 0, 0, G_OPTION_ARG_DOUBLE, &rig->max_loss, "Per-call packet loss in percent that fails the call (default 5)", "PCT" },
    { NULL }
  };
  g_autoptr (GOptionContext) ctx = g_option_context_new ("- many SDES-SRTP calls with media in one process");
  g_autoptr (GError) error = NULL;

  g_option_context_add_main_entries (ctx, entries, NULL);
  if (!g_option_context_parse (ctx, argc, argv, &error)) {
    g_printerr ("sdes-rig: %s\n", error->message);
    return FALSE;
  }
  return TRUE;
}

/* The checks of the options that need more than their type. */
static gboolean
check_options (Rig *rig, RigOptions *o)
{
  if ((rig->uris == NULL) == (rig->answer == FALSE)) {
    g_printerr ("sdes-rig: give --call URI (caller) or --answer, not both\n");
    return FALSE;
  }
  if (!parse_policy (o->srtp ? o->srtp : "mandatory", &rig->policy)) {
    g_printerr ("sdes-rig: --srtp must be off, optional or mandatory\n");
    return FALSE;
  }
  if (o->codec == NULL || g_ascii_strcasecmp (o->codec, "PCMU") == 0) {
    rig->pt = 0;
    rig->codec = "PCMU";
  } else if (g_ascii_strcasecmp (o->codec, "PCMA") == 0) {
    rig->pt = 8;
    rig->codec = "PCMA";
  } else {
    g_printerr ("sdes-rig: --codec must be PCMU or PCMA\n");
    return FALSE;
  }
  if (o->calls < 1 || o->concurrent < 1 || rig->rate <= 0 || rig->duration <= 0 ||
      o->workers < 1 || o->workers > 64 || o->count < 0) {
    g_printerr ("sdes-rig: --calls, --concurrent, --rate, --duration and --workers must be positive\n");
    return FALSE;
  }
  if (rig->resume_at > 0 && (rig->hold_at <= 0 || rig->resume_at <= rig->hold_at)) {
    g_printerr ("sdes-rig: --resume-at needs an earlier --hold-at\n");
    return FALSE;
  }
  if (rig->rekey_at < 0 || (rig->rekey_at > 0 && rig->rekey_at >= rig->duration)) {
    g_printerr ("sdes-rig: --rekey-at must be within --duration\n");
    return FALSE;
  }
  rig->n_calls = (guint) o->calls;
  rig->concurrent = (guint) o->concurrent;
  rig->count = (guint) o->count;
  return TRUE;
}

/* --bind, or one URI made of --listen and --transport. */
static gboolean
choose_binds (Rig *rig, RigOptions *o)
{
  if (o->binds == NULL) {
    const gchar *t = o->transport ? o->transport : "udp";
    const gchar *where = o->listen ? o->listen : rig->answer ? "127.0.0.1:5060" : "127.0.0.1:0";

    o->binds = g_new0 (gchar *, 2);
    if (g_strcmp0 (t, "tls") == 0)
      o->binds[0] = g_strdup_printf ("sips:%s", where);
    else if (g_strcmp0 (t, "tcp") == 0 || g_strcmp0 (t, "udp") == 0)
      o->binds[0] = g_strdup_printf ("sip:%s;transport=%s", where, t);
    else {
      g_printerr ("sdes-rig: --transport must be udp, tcp or tls\n");
      return FALSE;
    }
  }
  if (rig->media_address == NULL)
    rig->media_address = media_address_from (o->binds[0]);
  return TRUE;
}

/* The media workers and the agent; FALSE (message printed) when one does
 * not start. */
static gboolean
rig_start (Rig *rig, RigOptions *o)
{
  g_autoptr (GError) error = NULL;

  rig->loop = g_main_loop_new (NULL, FALSE);
  rig->failures = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  rig->calls = g_hash_table_new (NULL, NULL);
  rig->by_index = g_hash_table_new (NULL, NULL);
  for (guint k = 0; k < N_DUE; k++)
    g_queue_init (&rig->due[k]);
  rig->tty = isatty (2);
  rig->t0 = g_get_monotonic_time ();
  rig->media = rig_media_new (rig->media_address, (guint) o->workers, NULL, &error);
  if (rig->media == NULL) {
    g_printerr ("sdes-rig: media: %s\n", error->message);
    return FALSE;
  }

  rig->agent = sdes_agent_new (NULL);
  g_object_set (rig->agent, "bind-uris", o->binds, "tls-cert-file", o->tls_cert,
                "tls-key-file", o->tls_key, "tls-ca-file", o->ca, "tls-verify", !o->no_verify,
                "srtp-policy", rig->policy, "require-secure-signaling", !o->allow_insecure,
                "auto-answer", TRUE, "user-agent", "sdes-rig", NULL);
  if (o->suites)
    g_object_set (rig->agent, "suites", o->suites, NULL);
  if (rig->answer) {
    rig_prepare_next_answer (rig);
    g_signal_connect (rig->agent, "incoming-call", G_CALLBACK (rig_on_incoming), rig);
  }
  g_signal_connect (rig->agent, "ready", G_CALLBACK (on_ready), rig);
  if (!sdes_agent_start (rig->agent, &error)) {
    g_printerr ("sdes-rig: %s\n", error->message);
    return FALSE;
  }
  rig->agent_started = TRUE;
  return TRUE;
}

static void
rig_run (Rig *rig)
{
  g_unix_signal_add (SIGINT, rig_on_stop_signal, rig);
  g_unix_signal_add (SIGTERM, rig_on_stop_signal, rig);
  rig->progress_id = g_timeout_add (250, rig_on_progress, rig);
  rig->t0 = g_get_monotonic_time ();
  if (!rig->answer) {
    rig->place_id = g_timeout_add (2, rig_place_calls, rig);
    rig->due_id = g_timeout_add (5, rig_run_due, rig);
  }
  g_main_loop_run (rig->loop);
  rig_on_progress (rig);
  if (rig->tty)
    g_printerr ("\n");
  g_clear_handle_id (&rig->place_id, g_source_remove);
  g_clear_handle_id (&rig->progress_id, g_source_remove);
  g_clear_handle_id (&rig->due_id, g_source_remove);
  for (guint k = 0; k < N_DUE; k++)
    g_queue_clear_full (&rig->due[k], g_free);
  g_clear_handle_id (&rig->stop_timeout_id, g_source_remove);
}

/* Shuts the agent down (bounded) and frees everything. */
static void
rig_clear (Rig *rig)
{
  if (rig->agent_started) {
    /* Let Sofia finish its shutdown (bounded). */
    gint64 deadline = g_get_monotonic_time () + 3 * G_USEC_PER_SEC;

    sdes_agent_shutdown (rig->agent);
    while (!sdes_agent_is_shut_down (rig->agent) && g_get_monotonic_time () < deadline)
      g_main_context_iteration (NULL, TRUE);
  }
  if (rig->calls) {
    /* Calls that never ended (stop timeout): their streams are swept by
     * rig_media_free(), whose results go nowhere. */
    g_autoptr (GList) left = g_hash_table_get_keys (rig->calls);

    for (GList *l = left; l; l = l->next) {
      RigCall *c = l->data;

      if (!c->ended)
        rig_media_stream_end (rig->media, c->stream, rig_on_stream_done, c);
    }
    g_hash_table_steal_all (rig->calls);
  }
  g_clear_pointer (&rig->media, rig_media_free);
  g_clear_object (&rig->agent);
  g_clear_pointer (&rig->calls, g_hash_table_unref);
  g_clear_pointer (&rig->by_index, g_hash_table_unref);
  g_clear_pointer (&rig->failures, g_hash_table_unref);
  g_clear_pointer (&rig->uris, g_strfreev);
  g_clear_pointer (&rig->media_address, g_free);
  g_clear_pointer (&rig->loop, g_main_loop_unref);
}

int
main (int argc, char **argv)
{
  Rig rig = { 0 };
  RigOptions o = { .calls = 1, .concurrent = 10, .workers = 2 };
  gint status = 2;

  setlocale (LC_ALL, "");
  setvbuf (stdout, NULL, _IOLBF, 0);
  gst_init (&argc, &argv);
  rig.rate = 10;
  rig.duration = 5;
  rig.max_loss = 5;
  if (parse_command_line (&rig, &o, &argc, &argv) && check_options (&rig, &o) &&
      choose_binds (&rig, &o) && rig_start (&rig, &o)) {
    rig_run (&rig);
    rig_print_summary (&rig);
    status = rig.failed > 0 || g_hash_table_size (rig.calls) > 0 ||
        (!rig.answer && !rig.stopping && rig.done < rig.n_calls) ? 1 : 0;
  }
  rig_clear (&rig);
  rig_options_clear (&o);
  return status;
}
