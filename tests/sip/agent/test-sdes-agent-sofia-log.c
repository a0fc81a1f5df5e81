/* srtpsdes — the TLS handshake failures the agent reads in Sofia's log
 *
 * Copyright (C) 2026 srtpsdes developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Sofia-SIP 1.12.11 reports a failed TLS handshake only in tport's log. The
 * lines below are written through Sofia's own su_llog(tport_log, ...) (so
 * through the agent's redirection) while a GSource registered with
 * _sdes_sofia_watch_tls() is being dispatched, as Sofia's su_glib source
 * is; the exact wording is the one Sofia 1.12.11 writes (see
 * docs/agent.md). The real handshakes are in test-sdes-agent-dialogs.
 */

#include "sofia-decls.h"
#include "sdes-agent-sofia.h"

typedef struct {
  guint count;
  gchar *peer;
  gboolean we_connected;
  gchar *reason;
} Seen;

static void
on_failed (gpointer data, const gchar *peer, gboolean we_connected, const gchar *reason)
{
  Seen *seen = data;

  seen->count++;
  g_free (seen->peer);
  seen->peer = g_strdup (peer);
  seen->we_connected = we_connected;
  g_free (seen->reason);
  seen->reason = g_strdup (reason);
}

static gboolean
write_lines (gpointer data)
{
  const gchar *const *lines = data;

  for (guint i = 0; lines[i] != NULL; i++)
    su_llog (tport_log, 1, "%s\n", lines[i]);
  return G_SOURCE_REMOVE;
}

/* Writes @lines from inside a watched source's dispatch; returns what the
 * watch reported. */
static void
feed (const gchar *const *lines, Seen *seen)
{
  GMainContext *ctx = g_main_context_new ();
  GSource *source = g_idle_source_new ();

  _sdes_sofia_redirect_logs_once ();
  g_source_set_callback (source, write_lines, (gpointer) lines, NULL);
  _sdes_sofia_watch_tls (source, on_failed, seen);
  g_source_attach (source, ctx);
  while (g_main_context_iteration (ctx, FALSE))
    ;
  _sdes_sofia_unwatch_tls (source);
  g_source_unref (source);
  g_main_context_unref (ctx);
}

static void
seen_clear (Seen *seen)
{
  g_free (seen->peer);
  g_free (seen->reason);
}

static void
test_expired_server_certificate (void)
{
  const gchar *lines[] = {
    "tport_tls_connect(0x5601): connecting to tls/192.0.2.7:5061/sips",
    "-Error with certificate at depth: 0",
    "  err 10:certificate has expired",
    "tls_connect(0x5601): TLS setup failed (error:0A000086:SSL routines::certificate verify failed)",
    "tport_close(0x5601): tls/192.0.2.7:5061/sips",
    NULL
  };
  Seen seen = { 0 };

  feed (lines, &seen);
  g_assert_cmpuint (seen.count, ==, 1);
  g_assert_cmpstr (seen.peer, ==, "192.0.2.7:5061");
  g_assert_true (seen.we_connected);
  g_assert_cmpstr (seen.reason, ==, "certificate expired: certificate has expired");
  seen_clear (&seen);
}

static void
test_name_mismatch (void)
{
  const gchar *lines[] = {
    "tport_tls_connect(0x5602): connecting to tls/[2001:db8::5]:5061/sips",
    "  err 62:hostname mismatch",
    "tls_connect(0x5602): TLS setup failed (error:00000001:lib(0)::reason(1))",
    NULL
  };
  Seen seen = { 0 };

  feed (lines, &seen);
  g_assert_cmpuint (seen.count, ==, 1);
  g_assert_cmpstr (seen.peer, ==, "[2001:db8::5]:5061");
  g_assert_cmpstr (seen.reason, ==, "certificate name mismatch: hostname mismatch");
  seen_clear (&seen);
}

/* A connection a peer opened to us, whose certificate we refuse. */
static void
test_refused_client_certificate_on_the_server (void)
{
  const gchar *lines[] = {
    "tport_tls_accept(0x5603): new connection from tls/198.51.100.9:40312/sips",
    "  err 20:unable to get local issuer certificate",
    "tls_connect(0x5603): TLS setup failed (error:00000001:lib(0)::reason(1))",
    NULL
  };
  Seen seen = { 0 };

  feed (lines, &seen);
  g_assert_cmpuint (seen.count, ==, 1);
  g_assert_cmpstr (seen.peer, ==, "198.51.100.9:40312");
  g_assert_false (seen.we_connected);
  g_assert_cmpstr (seen.reason, ==,
                   "certificate not trusted (unknown CA): unable to get local issuer certificate");
  seen_clear (&seen);
}

/* TLS 1.3: the peer's alert comes in a read after our side finished. */
static void
test_peer_refused_our_certificate (void)
{
  const gchar *lines[] = {
    "tport_tls_connect(0x5604): connecting to tls/192.0.2.8:5061/sips",
    "tls_read: SSL_read: 0a000418:SSL routines:(null):tlsv1 alert unknown ca",
    "tport_close(0x5604): tls/192.0.2.8:5061/sips",
    NULL
  };
  Seen seen = { 0 };

  feed (lines, &seen);
  g_assert_cmpuint (seen.count, ==, 1);
  g_assert_cmpstr (seen.peer, ==, "192.0.2.8:5061");
  g_assert_cmpstr (seen.reason, ==, "the peer refused our certificate (alert unknown ca)");
  seen_clear (&seen);
}

/* A connection that ends normally, and lines written while no watched
 * source is dispatched, are no failure. */
static void
test_normal_close_and_unwatched_lines_are_no_failure (void)
{
  const gchar *lines[] = {
    "tport_tls_connect(0x5605): connecting to tls/192.0.2.9:5061/sips",
    "tls_read: SSL_read: 0a000126:SSL routines:(null):tlsv1 alert close notify",
    "tport_close(0x5605): tls/192.0.2.9:5061/sips",
    "tls_connect(0x5605): TLS setup failed (error:00000001:lib(0)::reason(1))",
    NULL
  };
  Seen seen = { 0 };

  feed (lines, &seen);
  /* Closed before the failure line: the connection is forgotten. */
  g_assert_cmpuint (seen.count, ==, 0);
  write_lines ((gpointer) lines);
  g_assert_cmpuint (seen.count, ==, 0);
  seen_clear (&seen);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/agent/tls-log/expired-server-certificate", test_expired_server_certificate);
  g_test_add_func ("/agent/tls-log/name-mismatch-ipv6-peer", test_name_mismatch);
  g_test_add_func ("/agent/tls-log/refused-client-certificate-on-the-server",
                   test_refused_client_certificate_on_the_server);
  g_test_add_func ("/agent/tls-log/peer-refused-our-certificate",
                   test_peer_refused_our_certificate);
  g_test_add_func ("/agent/tls-log/normal-close-and-unwatched-lines-are-no-failure",
                   test_normal_close_and_unwatched_lines_are_no_failure);
  return g_test_run ();
}
