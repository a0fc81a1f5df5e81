/* srtpsdes — SdesAgent as the host of its calls; TLS failures
 *
 * Copyright (C) 2026 srtpsdes developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* What the agent does for its calls (SdesCallHost): the stack, the one
 * digest path (INVITE and REGISTER), transfer calls, forgetting ended
 * calls; and what it does with the TLS handshake failures that
 * sdes-agent-sofia.c reads in Sofia's log. */

#include "sdes-agent-internal.h"
#include "sdes-tls-reaper.h"

#ifdef __GLIBC__
#include <malloc.h>
#endif

#define signals _sdes_agent_signals

/* ------------------------------------------------------------------------- */
/* Giving freed memory back after traffic                                     */
/* ------------------------------------------------------------------------- */

/* Sofia frees a call's messages and transactions when they end (an INVITE
 * server transaction 64*T1 = 32 s after its final response, RFC 3261
 * §17.2.1), but glibc keeps freed heap below its top, and the RSS of an
 * agent that took 20,000 calls stays at its high water (8.6 MB -> 84.5 MB
 * with ~1 MB in use; 13 MB after malloc_trim). While nua reports events,
 * and for TRIM_AFTER_US after the last one (Sofia's 32 s plus margin),
 * malloc_trim(0) runs from a timer on the agent's context at most every
 * TRIM_INTERVAL_S seconds. Each tick first frees the TLS connection
 * objects Sofia-SIP left behind (sdes-tls-reaper.c); while connections
 * Sofia made on this thread are open, the ticks go on, so one that closes
 * later is freed within TRIM_INTERVAL_S. Idle agents without TLS
 * connections never wake. */
#define TRIM_INTERVAL_S 10
#define TRIM_AFTER_US (45 * G_USEC_PER_SEC)
/* A failed handshake is looked up by a call whose INVITE then ends with
 * nta's 503 or its 408 (timer B, 64*T1 = 32 s, RFC 3261 §17.1.1.2); older
 * records are dropped, so peers that fail from many ports cannot grow the
 * table. */
#define TLS_FAILED_KEEP_US (120 * G_USEC_PER_SEC)

static void agent_tls_prune (SdesAgent *self, gint64 now);
static gboolean agent_tls_recorded (SdesAgent *self);

static gboolean
agent_trim_tick (gpointer data)
{
  SdesAgent *self = data;
  guint tls_open = 0;

  _sdes_tls_reaper_sweep (&tls_open);
  agent_tls_prune (self, g_get_monotonic_time ());
#ifdef __GLIBC__
  malloc_trim (0);
#endif
  if (tls_open > 0 || agent_tls_recorded (self) ||
      g_get_monotonic_time () - self->last_activity < TRIM_AFTER_US)
    return G_SOURCE_CONTINUE;
  g_clear_pointer (&self->trim_source, g_source_unref);
  return G_SOURCE_REMOVE;
}

/* Called for every nua event the agent or one of its calls receives. */
void
_sdes_agent_note_activity (SdesAgent *self)
{
  self->last_activity = g_get_monotonic_time ();
  if (self->trim_source != NULL || self->context == NULL)
    return;
  self->trim_source = g_timeout_source_new_seconds (TRIM_INTERVAL_S);
  g_source_set_name (self->trim_source, "[srtpsdes] malloc_trim");
  g_source_set_callback (self->trim_source, agent_trim_tick, self, NULL);
  g_source_attach (self->trim_source, self->context);
}

void
_sdes_agent_trim_stop (SdesAgent *self)
{
  if (self->trim_source != NULL) {
    g_source_destroy (self->trim_source);
    g_clear_pointer (&self->trim_source, g_source_unref);
  }
}

/* ------------------------------------------------------------------------- */
/* The calls' host (SdesCallHost, sdes-call-private.h)                        */
/* ------------------------------------------------------------------------- */

static SdesCall *agent_call (SdesAgent *agent, const gchar *to_uri, SdesLocalMedia *local,
                             SdesSrtpPolicy policy, GError **error);
static gchar *agent_host_tls_failure (GObject *host, const gchar *peer, gint64 since);

static nua_t *
agent_host_get_nua (GObject *host)
{
  SdesAgent *self = SDES_AGENT (host);

  return self->shutdown_requested ? NULL : self->nua;
}

/* RFC 3261 §22.2/§22.3/§22.4: the Authorization (401) or
 * Proxy-Authorization (407) answering the challenge of @sip, made by
 * Sofia's auth client from our credentials. The library's one digest path:
 * REGISTER (agent_register_authenticate()) and INVITE (the call) both
 * re-send their request with these headers. The password only lives in
 * @home, which the caller frees. */
gboolean
_sdes_agent_authorize (GObject *host, int status, sip_t const *sip, const gchar *method,
                      url_t const *uri, su_home_t *home, msg_header_t **headers)
{
  SdesAgent *self = SDES_AGENT (host);
  msg_auth_t const *challenge;
  msg_hclass_t *cred_class;
  auth_client_t *auc = NULL;

  if (sip == NULL || self->auth_username == NULL || (status != 401 && status != 407))
    return FALSE;
  challenge = status == 401 ? (msg_auth_t const *) sip->sip_www_authenticate
                            : (msg_auth_t const *) sip->sip_proxy_authenticate;
  cred_class = status == 401 ? sip_authorization_class : sip_proxy_authorization_class;
  *headers = NULL;
  return challenge != NULL &&
         auc_challenge (&auc, home, challenge, cred_class) > 0 &&
         auc_all_credentials (&auc, NULL, NULL, self->auth_username,
                              self->auth_password ? self->auth_password : "") > 0 &&
         auc_authorization_headers (&auc, home, method, (url_t *) uri, NULL, headers) > 0 &&
         *headers != NULL;
}

static SdesCall *
agent_host_start_call (GObject *host, const gchar *to_uri, SdesSrtpPolicy policy,
                       GError **error)
{
  return agent_call (SDES_AGENT (host), to_uri, NULL, policy, error);
}

static void
agent_host_call_ended (GObject *host, SdesCall *call)
{
  g_hash_table_remove (SDES_AGENT (host)->calls, call);
}

const SdesCallHost _sdes_agent_call_host = {
  .get_nua = agent_host_get_nua,
  .authorize = _sdes_agent_authorize,
  .start_call = agent_host_start_call,
  .call_ended = agent_host_call_ended,
  .tls_failure = agent_host_tls_failure,
};

/* The settings a new call is made with (it copies them). */
SdesCallConfig
_sdes_agent_call_config (SdesAgent *self, SdesSrtpPolicy policy, SdesLocalMedia *local)
{
  SdesCallConfig config = {
    .policy = policy,
    .require_secure_signaling = self->require_secure_signaling,
    .offer_style = self->offer_style,
    .suites = self->suites,
    .warn_agent = self->warn_host,
    .local = local,
    .context = self->context,
  };

  return config;
}

/* ------------------------------------------------------------------------- */
/* TLS handshake failures (sdes-agent-sofia.c reads them in Sofia's log)      */
/* ------------------------------------------------------------------------- */

typedef struct {
  gchar *peer;
  gboolean we_connected;
  gchar *reason;
  gint64 time;              /* g_get_monotonic_time() when it was seen */
} TlsFailure;

static void
tls_failure_free (TlsFailure *t)
{
  g_free (t->peer);
  g_free (t->reason);
  g_free (t);
}

/* Ends our calls whose INVITE went to the failed connection's peer and
 * reports the failure (SdesAgent::tls-failed). Runs from an idle: the
 * failure was seen inside Sofia, which may not be re-entered from there. */
static gboolean
agent_tls_idle (gpointer data)
{
  SdesAgent *self = data;
  TlsFailure *t;

  g_mutex_lock (&self->tls_lock);
  self->tls_idle = 0;
  g_mutex_unlock (&self->tls_lock);
  for (;;) {
    g_mutex_lock (&self->tls_lock);
    t = g_queue_pop_head (&self->tls_failures);
    g_mutex_unlock (&self->tls_lock);
    if (t == NULL)
      break;
    g_autoptr(GError) error = g_error_new (SDES_AGENT_ERROR, SDES_AGENT_ERROR_TLS_HANDSHAKE,
                                           "TLS handshake %s %s failed: %s",
                                           t->we_connected ? "with" : "from", t->peer,
                                           t->reason);
    if (t->we_connected) {
      g_autoptr(GPtrArray) calls = g_ptr_array_new_with_free_func (g_object_unref);
      GHashTableIter iter;
      gpointer call;

      /* Ending a call removes it from the table: iterate over a copy. */
      g_hash_table_iter_init (&iter, self->calls);
      while (g_hash_table_iter_next (&iter, &call, NULL))
        g_ptr_array_add (calls, g_object_ref (call));
      for (guint i = 0; i < calls->len; i++)
        _sdes_call_handle_tls_failure (g_ptr_array_index (calls, i), t->peer, error->message);
    }
    g_debug ("%s", error->message);
    g_signal_emit (self, signals[SDES_AGENT_SIGNAL_TLS_FAILED], 0, t->peer, error);
    tls_failure_free (t);
  }
  return G_SOURCE_REMOVE;
}

static void
agent_tls_prune (SdesAgent *self, gint64 now)
{
  GHashTableIter iter;
  gpointer value;

  g_mutex_lock (&self->tls_lock);
  g_hash_table_iter_init (&iter, self->tls_failed);
  while (g_hash_table_iter_next (&iter, NULL, &value)) {
    if (now - ((TlsFailure *) value)->time > TLS_FAILED_KEEP_US)
      g_hash_table_iter_remove (&iter);
  }
  g_mutex_unlock (&self->tls_lock);
}

static gboolean
agent_tls_recorded (SdesAgent *self)
{
  gboolean any;

  g_mutex_lock (&self->tls_lock);
  any = g_hash_table_size (self->tls_failed) > 0;
  g_mutex_unlock (&self->tls_lock);
  return any;
}

/* SdesTlsFailedFunc: called inside Sofia (its logger), so only queued. */
void
_sdes_agent_tls_failed (gpointer data, const gchar *peer, gboolean we_connected, const gchar *reason)
{
  SdesAgent *self = data;
  TlsFailure *t = g_new0 (TlsFailure, 1);

  t->peer = g_strdup (peer);
  t->we_connected = we_connected;
  t->reason = g_strdup (reason);
  t->time = g_get_monotonic_time ();
  g_mutex_lock (&self->tls_lock);
  if (we_connected) {
    TlsFailure *last = g_new0 (TlsFailure, 1);

    last->reason = g_strdup (reason);
    last->time = t->time;
    g_hash_table_replace (self->tls_failed, g_strdup (peer), last);
  }
  g_queue_push_tail (&self->tls_failures, t);
  if (self->tls_idle == 0) {
    GSource *idle = g_idle_source_new ();

    g_source_set_priority (idle, G_PRIORITY_HIGH);
    g_source_set_name (idle, "[srtpsdes] TLS failure");
    g_source_set_callback (idle, agent_tls_idle, self, NULL);
    self->tls_idle = g_source_attach (idle, self->context);
    g_source_unref (idle);
  }
  g_mutex_unlock (&self->tls_lock);
}

static gchar *
agent_host_tls_failure (GObject *host, const gchar *peer, gint64 since)
{
  SdesAgent *self = SDES_AGENT (host);
  TlsFailure *last;
  gchar *reason = NULL;

  g_mutex_lock (&self->tls_lock);
  last = g_hash_table_lookup (self->tls_failed, peer);
  if (last != NULL && last->time >= since)
    reason = g_strdup (last->reason);
  g_mutex_unlock (&self->tls_lock);
  return reason;
}

void
_sdes_agent_tls_init (SdesAgent *self)
{
  g_mutex_init (&self->tls_lock);
  g_queue_init (&self->tls_failures);
  self->tls_failed = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                           (GDestroyNotify) tls_failure_free);
}

/* Drops the failures not handled yet (dispose) and the record of past ones. */
void
_sdes_agent_tls_clear (SdesAgent *self)
{
  g_mutex_lock (&self->tls_lock);
  if (self->tls_idle != 0) {
    GSource *s = g_main_context_find_source_by_id (self->context, self->tls_idle);
    if (s != NULL)
      g_source_destroy (s);
    self->tls_idle = 0;
  }
  g_queue_clear_full (&self->tls_failures, (GDestroyNotify) tls_failure_free);
  if (self->tls_failed != NULL)
    g_hash_table_remove_all (self->tls_failed);
  g_mutex_unlock (&self->tls_lock);
}

/* An outgoing call with @policy (the agent's, or for a blind transfer the
 * one of the call that was referred: the new dialog inherits it). */
static SdesCall *
agent_call (SdesAgent *agent, const gchar *to_uri, SdesLocalMedia *local,
            SdesSrtpPolicy policy, GError **error)
{
  g_autoptr(SdesCall) call = NULL;
  SdesCallConfig config;

  if (agent_host_get_nua (G_OBJECT (agent)) == NULL) {
    g_set_error (error, SDES_AGENT_ERROR, SDES_AGENT_ERROR_NOT_STARTED,
                 "The agent is not running");
    return NULL;
  }
  if (!g_str_has_prefix (to_uri, "sip:") && !g_str_has_prefix (to_uri, "sips:")) {
    g_set_error (error, SDES_AGENT_ERROR, SDES_AGENT_ERROR_BAD_URI,
                 "Not a sip: or sips: URI: %s", to_uri);
    return NULL;
  }
  if (local == NULL)
    local = agent->local_media;
  if (local == NULL) {
    g_set_error (error, SDES_AGENT_ERROR, SDES_AGENT_ERROR_NO_LOCAL_MEDIA,
                 "No local media for the call");
    return NULL;
  }

  config = _sdes_agent_call_config (agent, policy, local);
  call = _sdes_call_new_outgoing (G_OBJECT (agent), &_sdes_agent_call_host, &config, to_uri);
  if (!_sdes_call_start (call, error))
    return NULL;
  g_hash_table_add (agent->calls, g_object_ref (call));
  return g_steal_pointer (&call);
}

/**
 * sdes_agent_call:
 * @agent: a started #SdesAgent
 * @to_uri: the callee ("sip:bob@192.0.2.1:5060", "sips:...")
 * @local: (nullable): our media for this call; %NULL uses #SdesAgent:local-media
 * @error: return location for a #GError
 *
 * Starts an outgoing call with the agent's SRTP policy. Under
 * %SDES_SRTP_POLICY_MANDATORY with #SdesAgent:require-secure-signaling and a
 * non-sips: target, no INVITE is sent (Cisco Table 44) and
 * %SDES_AGENT_ERROR_INSECURE_SIGNALING is returned.
 *
 * Errors: %SDES_AGENT_ERROR_NOT_STARTED, %SDES_AGENT_ERROR_BAD_URI,
 * %SDES_AGENT_ERROR_NO_LOCAL_MEDIA, %SDES_AGENT_ERROR_INSECURE_SIGNALING,
 * %SDES_AGENT_ERROR_NEGOTIATION.
 *
 * Returns: (transfer full) (nullable): the call, or %NULL on error.
 *
 * Since: 0.1
 */
SdesCall *
sdes_agent_call (SdesAgent *agent, const gchar *to_uri, SdesLocalMedia *local,
                 GError **error)
{
  g_return_val_if_fail (SDES_IS_AGENT (agent), NULL);
  g_return_val_if_fail (to_uri != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  return agent_call (agent, to_uri, local, agent->policy, error);
}
