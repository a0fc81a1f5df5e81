/* srtpsdes — an answering SdesAgent for the abuse tests (tests/security/)
 *
 * Copyright (C) 2026 srtpsdes developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Answers every acceptable INVITE (auto-answer, SRTP optional, Table 44
 * off) on the --bind URIs until SIGTERM/SIGINT, then shuts the agent down
 * and exits. On SIGUSR1 and every --stats-interval seconds it prints one
 * line of JSON on stdout:
 *   {"calls":N,"ssl_new":N,"ssl_live":N,"heap":BYTES,"ended":N}
 * ssl_new/ssl_live count OpenSSL SSL objects created/not yet freed in this
 * process (OpenSSL's ex_data new/free callbacks, CRYPTO_get_ex_new_index(3)),
 * heap is mallinfo2().uordblks (0 under AddressSanitizer). The first line
 * is {"ready":"<contact>"}.
 */

#include "sdes-agent.h"

#include <glib-unix.h>
#include <malloc.h>
#include <openssl/ssl.h>
#include <stdio.h>

static gint ssl_new_count;
static gint ssl_live_count;

static void
ssl_new_cb (void *parent, void *ptr, CRYPTO_EX_DATA *ad, int idx, long argl, void *argp)
{
  (void) parent, (void) ptr, (void) ad, (void) idx, (void) argl, (void) argp;
  g_atomic_int_inc (&ssl_new_count);
  g_atomic_int_inc (&ssl_live_count);
}

static void
ssl_free_cb (void *parent, void *ptr, CRYPTO_EX_DATA *ad, int idx, long argl, void *argp)
{
  (void) parent, (void) ptr, (void) ad, (void) idx, (void) argl, (void) argp;
  g_atomic_int_add (&ssl_live_count, -1);
}

typedef struct
{
  SdesAgent *agent;
  GMainLoop *loop;
  guint calls;
  guint ended;
} Answerer;

static void
print_stats (Answerer *a)
{
  struct mallinfo2 mi = mallinfo2 ();

  g_print ("{\"calls\":%u,\"ended\":%u,\"ssl_new\":%d,\"ssl_live\":%d,\"heap\":%zu}\n",
           a->calls, a->ended, g_atomic_int_get (&ssl_new_count),
           g_atomic_int_get (&ssl_live_count), mi.uordblks);
  fflush (stdout);
}

static gboolean
on_usr1 (gpointer data)
{
  print_stats (data);
  return G_SOURCE_CONTINUE;
}

static gboolean
on_stats_timer (gpointer data)
{
  print_stats (data);
  return G_SOURCE_CONTINUE;
}

static void
on_shutdown_complete (SdesAgent *agent, Answerer *a)
{
  (void) agent;
  g_main_loop_quit (a->loop);
}

static gboolean
on_term (gpointer data)
{
  Answerer *a = data;

  sdes_agent_shutdown (a->agent);
  if (sdes_agent_is_shut_down (a->agent))
    g_main_loop_quit (a->loop);
  return G_SOURCE_REMOVE;
}

static void
on_ended (SdesCall *call, guint status, const gchar *reason, Answerer *a)
{
  (void) call, (void) status, (void) reason;
  a->ended++;
}

static void
on_incoming (SdesAgent *agent, SdesCall *call, Answerer *a)
{
  (void) agent;
  a->calls++;
  g_signal_connect (call, "ended", G_CALLBACK (on_ended), a);
}

static void
on_ready (SdesAgent *agent, Answerer *a)
{
  (void) a;
  g_print ("{\"ready\":\"%s\"}\n", sdes_agent_get_contact (agent));
  fflush (stdout);
}

int
main (int argc, char **argv)
{
  g_auto (GStrv) binds = NULL;
  g_autofree gchar *cert = NULL, *key = NULL;
  gint stats_interval = 0;
  GOptionEntry entries[] = {
    { "bind", 0, 0, G_OPTION_ARG_STRING_ARRAY, &binds, "SIP URI to bind (repeatable)", "URI" },
    { "tls-cert", 0, 0, G_OPTION_ARG_FILENAME, &cert, "PEM certificate", "FILE" },
    { "tls-key", 0, 0, G_OPTION_ARG_FILENAME, &key, "PEM key", "FILE" },
    { "stats-interval", 0, 0, G_OPTION_ARG_INT, &stats_interval, "Print stats every S seconds", "S" },
    { NULL }
  };
  g_autoptr (GOptionContext) ctx = g_option_context_new ("- answer every call");
  g_autoptr (GError) error = NULL;
  g_autoptr (SdesLocalMedia) local = NULL;
  Answerer a = { 0 };
  guint s;

  CRYPTO_get_ex_new_index (CRYPTO_EX_INDEX_SSL, 0, NULL, ssl_new_cb, NULL, ssl_free_cb);
  g_option_context_add_main_entries (ctx, entries, NULL);
  if (!g_option_context_parse (ctx, &argc, &argv, &error)) {
    g_printerr ("sdes-answer-agent: %s\n", error->message);
    return 2;
  }

  local = sdes_local_media_new ("127.0.0.1");
  s = sdes_local_media_add_stream (local, SDES_MEDIA_TYPE_AUDIO, 42000);
  sdes_local_media_add_codec (local, s, 0, "PCMU", 8000, 1, NULL);

  a.loop = g_main_loop_new (NULL, FALSE);
  a.agent = sdes_agent_new (NULL);
  /* The abusive clients present no certificate. */
  g_object_set (a.agent, "bind-uris", binds, "tls-cert-file", cert, "tls-key-file", key,
                "tls-verify", FALSE, "local-media", local, "auto-answer", TRUE,
                "require-secure-signaling", FALSE, "user-agent", "srtpsdes-answer-agent",
                NULL);
  g_signal_connect (a.agent, "incoming-call", G_CALLBACK (on_incoming), &a);
  g_signal_connect (a.agent, "ready", G_CALLBACK (on_ready), &a);
  g_signal_connect (a.agent, "shutdown-complete", G_CALLBACK (on_shutdown_complete), &a);
  if (!sdes_agent_start (a.agent, &error)) {
    g_printerr ("sdes-answer-agent: %s\n", error->message);
    return 1;
  }
  g_unix_signal_add (SIGTERM, on_term, &a);
  g_unix_signal_add (SIGINT, on_term, &a);
  g_unix_signal_add (SIGUSR1, on_usr1, &a);
  if (stats_interval > 0)
    g_timeout_add_seconds ((guint) stats_interval, on_stats_timer, &a);
  g_main_loop_run (a.loop);
  print_stats (&a);
  g_object_unref (a.agent);
  g_main_loop_unref (a.loop);
  return 0;
}
