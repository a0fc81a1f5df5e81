/* srtpsdes — Sofia's logs, TLS files and TLS handshake failures for SdesAgent
 *
 * Copyright (C) 2026 srtpsdes developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* Sofia-SIP 1.12.11 reports a failed TLS handshake to nobody: tport closes
 * the connection, the INVITE sent on it waits for timer B (32 s) and ends
 * with a bare 408, and a peer that refused our certificate shows us a 503.
 * The only place the failure and its cause appear is tport's log: the
 * OpenSSL verify error ("err 20:unable to get local issuer certificate")
 * and "tls_connect(<tport>): TLS setup failed (...)". Those lines are read
 * here, attributed to the stack whose su_glib source is being dispatched
 * (g_main_current_source()), and handed to that agent. */

#include "sofia-decls.h"
#include "sdes-agent-sofia.h"

#include <stdio.h>
#include <string.h>
#include <glib/gstdio.h>

/* ------------------------------------------------------------------------- */
/* TLS handshake failures in tport's log                                      */
/* ------------------------------------------------------------------------- */

typedef struct {
  SdesTlsFailedFunc func;
  gpointer data;
  GHashTable *conns;          /* "0x..." tport -> "o host:port" / "i host:port" */
  gchar *verify_error;        /* last "err N:text" line, until its failure */
  gint verify_code;
  gchar *alert;               /* last TLS alert read from a peer, until a close */
} TlsWatch;

G_LOCK_DEFINE_STATIC (tls_watches);
static GHashTable *tls_watches;  /* GSource* -> TlsWatch* */
static GHashTable *tls_threads;  /* GThread* (a nua stack thread) -> GSource* */
static GSource *starting_source; /* whose stack is being started; lock: tls_watches */
static GMutex stack_start_lock;  /* one stack started at a time */

static void
tls_watch_free (TlsWatch *w)
{
  g_hash_table_unref (w->conns);
  g_free (w->verify_error);
  g_free (w->alert);
  g_free (w);
}

void
_sdes_sofia_watch_tls (GSource *source, SdesTlsFailedFunc func, gpointer data)
{
  TlsWatch *w = g_new0 (TlsWatch, 1);

  w->func = func;
  w->data = data;
  w->conns = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  G_LOCK (tls_watches);
  if (tls_watches == NULL)
    tls_watches = g_hash_table_new_full (NULL, NULL, NULL, (GDestroyNotify) tls_watch_free);
  g_hash_table_replace (tls_watches, source, w);
  G_UNLOCK (tls_watches);
}

void
_sdes_sofia_unwatch_tls (GSource *source)
{
  G_LOCK (tls_watches);
  if (tls_watches != NULL)
    g_hash_table_remove (tls_watches, source);
  if (tls_threads != NULL) {
    GHashTableIter iter;
    gpointer value;

    g_hash_table_iter_init (&iter, tls_threads);
    while (g_hash_table_iter_next (&iter, NULL, &value))
      if (value == source)
        g_hash_table_iter_remove (&iter);
  }
  G_UNLOCK (tls_watches);
}

/* nua runs its stack in a thread of its own (su_clone_start() on Sofia's
 * default port), which logs while it binds its transports, before
 * nua_create() returns: the first thread that logs meanwhile is that
 * stack's. */
void
_sdes_sofia_stack_start_begin (GSource *source)
{
  g_mutex_lock (&stack_start_lock);
  G_LOCK (tls_watches);
  starting_source = source;
  G_UNLOCK (tls_watches);
}

void
_sdes_sofia_stack_start_end (void)
{
  G_LOCK (tls_watches);
  starting_source = NULL;
  G_UNLOCK (tls_watches);
  g_mutex_unlock (&stack_start_lock);
}

/* OpenSSL's X509_V_ERR_* numbers (stable across versions) in the words an
 * application shows: unknown CA, name mismatch, expired. */
static const gchar *
verify_error_kind (gint code)
{
  switch (code) {
    case 2: case 18: case 19: case 20: case 21: case 27:
      return "certificate not trusted (unknown CA)";
    case 62: case 64:
      return "certificate name mismatch";
    case 10:
      return "certificate expired";
    case 9:
      return "certificate not yet valid";
    case 23:
      return "certificate revoked";
    default:
      return "certificate refused";
  }
}

/* "tport_tls_connect(0x55..): connecting to tls/127.0.0.1:5061/sips" ->
 * "0x55..", "127.0.0.1:5061". */
static gboolean
scan_conn_line (const gchar *line, const gchar *prefix, const gchar *middle,
                gchar **tport, gchar **peer)
{
  const gchar *p, *m, *end;

  if (!g_str_has_prefix (line, prefix))
    return FALSE;
  p = line + strlen (prefix);
  m = strstr (p, middle);
  if (m == NULL || (end = strchr (p, ')')) == NULL || end > m)
    return FALSE;
  *tport = g_strndup (p, end - p);
  m += strlen (middle);
  end = strchr (m, '/');
  *peer = end ? g_strndup (m, end - m) : g_strdup (m);
  return TRUE;
}

/* The failure of connection @tport, if it is one we know the peer of.
 * Lock: tls_watches. */
static gboolean
tls_watch_failed (TlsWatch *w, const gchar *tport, gchar *reason, gchar **peer,
                  gboolean *we_connected, gchar **reason_out)
{
  const gchar *conn = g_hash_table_lookup (w->conns, tport);

  if (conn == NULL) {
    g_free (reason);
    return FALSE;
  }
  *peer = g_strdup (conn + 1);
  *we_connected = conn[0] == 'o';
  *reason_out = reason;
  g_hash_table_remove (w->conns, tport);
  return TRUE;
}

/* Parses one line for @w; returns the failure (peer, direction, reason)
 * when the line reports one. The lines, as Sofia-SIP 1.12.11 writes them:
 *   tport_tls_connect(<tport>): connecting to tls/<peer>/sips       (level 5)
 *   tport_tls_accept(<tport>): new connection from tls/<peer>/sips  (level 5)
 *     err <X509_V_ERR>:<text>              we refused the peer's certificate
 *   tls_connect(<tport>): TLS setup failed (<openssl error>)
 *   tls_read: SSL_read: <code>:SSL routines:(null):tlsv1 alert <alert>
 *                                          the peer refused ours (TLS 1.3)
 *   tport_close(<tport>): tls/<peer>/sips
 * Lock: tls_watches. */
static gboolean
tls_watch_line (TlsWatch *w, const gchar *line, gchar **peer, gboolean *we_connected,
                gchar **reason)
{
  g_autofree gchar *tport = NULL, *where = NULL;
  const gchar *text;
  gint code = 0;

  if (scan_conn_line (line, "tport_tls_connect(", "): connecting to tls/", &tport, &where) ||
      scan_conn_line (line, "tport_tls_accept(", "): new connection from tls/", &tport, &where)) {
    gboolean out = g_str_has_prefix (line, "tport_tls_connect(");
    g_hash_table_replace (w->conns, g_steal_pointer (&tport),
                          g_strdup_printf ("%c%s", out ? 'o' : 'i', where));
    return FALSE;
  }
  if (sscanf (line, " err %d:", &code) == 1 && (text = strchr (line, ':')) != NULL) {
    g_free (w->verify_error);
    w->verify_error = g_strdup (text + 1);
    w->verify_code = code;
    return FALSE;
  }
  /* Only the alerts that refuse a handshake ("unknown ca", "bad
   * certificate", "certificate expired", "handshake failure", ...), not the
   * close_notify of a connection that ends normally. */
  if (g_str_has_prefix (line, "tls_read: ") && (text = strstr (line, "alert ")) != NULL &&
      (strstr (text, "certificate") != NULL || strstr (text, "unknown ca") != NULL ||
       strstr (text, "handshake failure") != NULL || strstr (text, "access denied") != NULL)) {
    g_free (w->alert);
    w->alert = g_strdup (text);
    return FALSE;
  }
  if (scan_conn_line (line, "tport_close(", "): tls/", &tport, &where)) {
    gchar *why;

    if (w->alert == NULL) {
      g_hash_table_remove (w->conns, tport);
      return FALSE;
    }
    why = g_strdup_printf ("the peer refused our certificate (%s)", w->alert);
    g_clear_pointer (&w->alert, g_free);
    return tls_watch_failed (w, tport, why, peer, we_connected, reason);
  }
  if (g_str_has_prefix (line, "tls_connect(") && strstr (line, "TLS setup failed") != NULL &&
      (text = strchr (line, ')')) != NULL) {
    gchar *why = w->verify_error != NULL
        ? g_strdup_printf ("%s: %s", verify_error_kind (w->verify_code), w->verify_error)
        : g_strdup_printf ("handshake failed %s", strstr (line, "failed (") + 7);

    g_clear_pointer (&w->verify_error, g_free);
    tport = g_strndup (line + strlen ("tls_connect("), text - line - strlen ("tls_connect("));
    return tls_watch_failed (w, tport, why, peer, we_connected, reason);
  }
  return FALSE;
}

/* Called for every complete, redacted log line, in the thread that runs
 * the stack (nua's own thread; or the application's, dispatching the
 * root's source, for a stack that shares it). Lock: tls_watches; the
 * callback runs after it is released. */
static void
tls_watch_feed (const gchar *line)
{
  GSource *source = g_main_current_source ();
  SdesTlsFailedFunc func = NULL;
  gpointer data = NULL;
  g_autofree gchar *peer = NULL, *reason = NULL;
  gboolean we_connected = FALSE;
  TlsWatch *w;

  G_LOCK (tls_watches);
  if (tls_threads == NULL)
    tls_threads = g_hash_table_new (NULL, NULL);
  if (source == NULL) {
    /* A line of a nua stack thread: whose? */
    GThread *self = g_thread_self ();

    source = g_hash_table_lookup (tls_threads, self);
    if (source == NULL && starting_source != NULL) {
      source = starting_source;
      g_hash_table_insert (tls_threads, self, source);
    }
  }
  w = tls_watches && source ? g_hash_table_lookup (tls_watches, source) : NULL;
  if (w != NULL && tls_watch_line (w, line, &peer, &we_connected, &reason)) {
    func = w->func;
    data = w->data;
  }
  G_UNLOCK (tls_watches);
  if (func != NULL)
    func (data, peer, we_connected, reason);
}

/* ------------------------------------------------------------------------- */
/* su_log -> GLib, with keys redacted                                         */
/* ------------------------------------------------------------------------- */

static void
free_log_buffer (gpointer buffer)
{
  g_string_free (buffer, TRUE);
}

/* One per thread: the stacks of several agents log from their own threads. */
static GPrivate su_log_buffer = G_PRIVATE_INIT (free_log_buffer);

/* Sofia writes a log line in several calls; buffer until '\n' so that the
 * redaction sees whole lines (an `inline:` key is never split). */
static void G_GNUC_PRINTF (2, 0)
sofia_logger (void *stream, char const *fmt, va_list ap)
{
  g_autoptr(GPtrArray) lines = g_ptr_array_new_with_free_func (g_free);
  GString *buffer = g_private_get (&su_log_buffer);

  if (buffer == NULL) {
    buffer = g_string_new (NULL);
    g_private_set (&su_log_buffer, buffer);
  }
  g_string_append_vprintf (buffer, fmt, ap);
  for (;;) {
    const gchar *nl = memchr (buffer->str, '\n', buffer->len);
    gsize n;

    if (nl == NULL)
      break;
    n = nl - buffer->str;
    g_ptr_array_add (lines, g_strndup (buffer->str, n));
    g_string_erase (buffer, 0, n + 1);
  }

  for (guint i = 0; i < lines->len; i++) {
    g_autofree gchar *safe = sdes_crypto_redact_text (g_ptr_array_index (lines, i));
    g_debug ("sofia: %s", safe);
    tls_watch_feed (safe);
  }
}

void
_sdes_sofia_redirect_logs_once (void)
{
  static gsize once = 0;

  if (g_once_init_enter (&once)) {
    su_log_redirect (su_log_default, sofia_logger, NULL);
    su_log_redirect (nua_log, sofia_logger, NULL);
    su_log_redirect (nta_log, sofia_logger, NULL);
    su_log_redirect (tport_log, sofia_logger, NULL);
    su_log_redirect (soa_log, sofia_logger, NULL);
    /* Level 5 names each TLS connection's peer ("connecting to",
     * "new connection from"), which the failure lines only point to; it
     * logs connections, not messages. TPORT_DEBUG may ask for more. */
    su_log_init (tport_log);
    if (tport_log->log_level < 5)
      su_log_set_level (tport_log, 5);
    g_once_init_leave (&once, 1);
  }
}

/* ------------------------------------------------------------------------- */
/* TLS files                                                                  */
/* ------------------------------------------------------------------------- */

static gboolean
stage_file (const gchar *dir, const gchar *name, const gchar *const *sources,
            GError **error)
{
  g_autoptr(GString) all = g_string_new (NULL);
  g_autofree gchar *path = g_build_filename (dir, name, NULL);

  for (guint i = 0; sources[i] != NULL; i++) {
    g_autofree gchar *text = NULL;
    gsize len = 0;
    g_autoptr(GError) local_error = NULL;

    if (!g_file_get_contents (sources[i], &text, &len, &local_error)) {
      g_set_error (error, SDES_AGENT_ERROR, SDES_AGENT_ERROR_TLS_CONFIG,
                   "TLS file: %s", local_error->message);
      return FALSE;
    }
    g_string_append_len (all, text, len);
    if (len > 0 && text[len - 1] != '\n')
      g_string_append_c (all, '\n');
    sdes_crypto_wipe (text, len);
  }
  if (!g_file_set_contents_full (path, all->str, all->len,
                                 G_FILE_SET_CONTENTS_CONSISTENT, 0600, error)) {
    sdes_crypto_wipe (all->str, all->len);
    return FALSE;
  }
  sdes_crypto_wipe (all->str, all->len);
  return TRUE;
}

static gboolean
stage_ca_dir (const gchar *cert_dir, const gchar *ca_dir, GError **error)
{
  g_autoptr(GDir) dir = g_dir_open (ca_dir, 0, error);
  g_autoptr(GPtrArray) files = g_ptr_array_new_with_free_func (g_free);
  const gchar *name;

  if (dir == NULL)
    return FALSE;
  while ((name = g_dir_read_name (dir)) != NULL)
    if (g_str_has_suffix (name, ".pem") || g_str_has_suffix (name, ".crt"))
      g_ptr_array_add (files, g_build_filename (ca_dir, name, NULL));
  g_ptr_array_add (files, NULL);
  return stage_file (cert_dir, "cafile.pem", (const gchar * const *) files->pdata, error);
}

/* Sofia's TLS reads "agent.pem" (key + certificate) and "cafile.pem" from
 * one directory (NUTAG_CERTIFICATE_DIR); the properties name separate files,
 * so they are staged into a private 0700 directory. */
gchar *
_sdes_sofia_stage_tls (const gchar *cert_file, const gchar *key_file,
                       const gchar *ca_file, const gchar *ca_dir, GError **error)
{
  g_autofree gchar *dir = g_dir_make_tmp ("srtpsdes-tls-XXXXXX", error);
  const gchar *agent_pem[] = { key_file ? key_file : cert_file,
                               key_file ? cert_file : NULL, NULL };
  gboolean ok;

  if (dir == NULL)
    return NULL;
  ok = stage_file (dir, "agent.pem", agent_pem, error);
  if (ok && ca_file != NULL) {
    const gchar *ca[] = { ca_file, NULL };
    ok = stage_file (dir, "cafile.pem", ca, error);
  } else if (ok && ca_dir != NULL) {
    ok = stage_ca_dir (dir, ca_dir, error);
  }
  if (!ok) {
    _sdes_sofia_unstage_tls (dir);
    return NULL;
  }
  return g_steal_pointer (&dir);
}

void
_sdes_sofia_unstage_tls (const gchar *dir)
{
  const gchar *names[] = { "agent.pem", "cafile.pem", NULL };

  if (dir == NULL)
    return;
  for (guint i = 0; names[i] != NULL; i++) {
    g_autofree gchar *path = g_build_filename (dir, names[i], NULL);
    g_unlink (path);
  }
  g_rmdir (dir);
}
