/* srtpsdes — SIP agent on Sofia-SIP nua, driven by a GMainContext
 *
 * Copyright (C) 2026 srtpsdes developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/**
 * SdesAgent:
 *
 * A SIP user agent that negotiates SDES-SRTP (RFC 4568) for its calls.
 *
 * #SdesAgent wraps one Sofia-SIP `nua` stack. Its sockets and timers are a
 * #GSource (Sofia's su_glib) attached to the #GMainContext given at
 * construction, so all signals are emitted from that context and no thread
 * is created. Sofia's offer/answer module is disabled (NUTAG_MEDIA_ENABLE(0)):
 * every SDP body is produced and consumed by the srtpsdes negotiation engine
 * (#SdesSession), one per #SdesCall.
 *
 * |[<!-- language="C" -->
 * SdesAgent *agent = sdes_agent_new (NULL);     // thread-default context
 * const gchar *binds[] = { "sip:127.0.0.1:5060;transport=udp", NULL };
 * g_object_set (agent, "bind-uris", binds, "srtp-policy", SDES_SRTP_POLICY_OPTIONAL,
 *               "local-media", local, NULL);
 * if (!sdes_agent_start (agent, &error)) ...
 * g_signal_connect (agent, "incoming-call", G_CALLBACK (on_incoming), NULL);
 * g_autoptr(SdesCall) call = sdes_agent_call (agent, "sip:bob@127.0.0.1:5070", NULL, &error);
 * ]|
 *
 * Sofia's own log output (nua, nta, tport, soa) is redirected into GLib
 * logging under the "srtpsdes-sip" domain after every `inline:` key has been
 * redacted. `TPORT_DUMP` writes raw traffic to a file *bypassing* that
 * filter: never set it on a system with real keys.
 *
 * Since: 0.1
 */

#include "sdes-agent-internal.h"
#include "sdes-agent-sofia.h"
#include "sdes-tls-reaper.h"

#include <string.h>

/**
 * sdes_agent_error_quark:
 *
 * The error domain of #SdesAgent and #SdesCall (`SDES_AGENT_ERROR`): every
 * #GError the agent and its calls return or emit (#SdesAgent::tls-failed)
 * is in it, with a #SdesAgentError code.
 *
 * Returns: the #GQuark of the domain.
 *
 * Since: 0.1
 */
G_DEFINE_QUARK (sdes-agent-error-quark, sdes_agent_error)

#define SHUTDOWN_WAIT_US (5 * G_USEC_PER_SEC)


enum
{
  PROP_0,
  PROP_MAIN_CONTEXT,
  PROP_BIND_URIS,
  PROP_TLS_CERT_FILE,
  PROP_TLS_KEY_FILE,
  PROP_TLS_CA_FILE,
  PROP_TLS_CA_DIR,
  PROP_TLS_VERIFY,
  PROP_IDENTITY,
  PROP_USER_AGENT,
  PROP_REGISTRAR,
  PROP_AUTH_USERNAME,
  PROP_AUTH_PASSWORD,
  PROP_SRTP_POLICY,
  PROP_SUITES,
  PROP_REQUIRE_SECURE_SIGNALING,
  PROP_OFFER_STYLE,
  PROP_AUTO_ANSWER,
  PROP_LOCAL_MEDIA,
  PROP_CONTACT,
  N_PROPS
};

static GParamSpec *props[N_PROPS];

guint _sdes_agent_signals[SDES_AGENT_N_SIGNALS];

#define signals _sdes_agent_signals

G_DEFINE_TYPE (SdesAgent, sdes_agent, G_TYPE_OBJECT)

/* ------------------------------------------------------------------------- */
/* nua callback                                                               */
/* ------------------------------------------------------------------------- */

static gboolean
agent_destroy_nua_idle (gpointer data)
{
  SdesAgent *self = data;

  /* nua_destroy() may not be called from inside the nua callback (it
   * deinitialises the stack that is dispatching), so it runs from an idle. */
  self->destroy_idle = 0;
  if (self->nua != NULL) {
    nua_destroy (self->nua);
    self->nua = NULL;
  }
  self->shutdown_done = TRUE;
  g_signal_emit (self, signals[SDES_AGENT_SIGNAL_SHUTDOWN_COMPLETE], 0);
  return G_SOURCE_REMOVE;
}

/* A challenge to REGISTER is answered like one to INVITE (the same
 * agent_host_authorize()): the request is sent again on its handle with
 * its Call-ID and From tag and a higher CSeq (RFC 3261 §10.2). Two
 * attempts at most: a second challenge means the credentials were refused. */
static gboolean
agent_register_authenticate (SdesAgent *self, nua_handle_t *nh, int status, sip_t const *sip)
{
  su_home_t *home;
  msg_header_t *headers = NULL;
  url_t *url;
  gboolean ok = FALSE;

  if (self->auth_attempts >= 2 || self->registrar == NULL || sip == NULL ||
      sip->sip_cseq == NULL)
    return FALSE;
  home = su_home_new (sizeof (su_home_t));
  url = url_make (home, self->registrar);
  if (url != NULL &&
      _sdes_agent_authorize (G_OBJECT (self), status, sip, "REGISTER", url, home, &headers)) {
    g_autofree gchar *cseq = g_strdup_printf ("%u REGISTER", sip->sip_cseq->cs_seq + 1);

    /* nua forgets the failed request's leg: its Call-ID, From tag and
     * CSeq are given back explicitly. */
    self->auth_attempts++;
    nua_register (nh,
                  SIPTAG_CALL_ID (sip->sip_call_id),
                  SIPTAG_FROM (sip->sip_from),
                  SIPTAG_CSEQ_STR (cseq),
                  SIPTAG_HEADER ((sip_header_t const *) headers),
                  TAG_END ());
    ok = TRUE;
  }
  su_home_unref (home);
  return ok;
}

static void
agent_handle_register_response (SdesAgent *self, int status, char const *phrase,
                                nua_handle_t *nh, sip_t const *sip)
{
  if ((status == 401 || status == 407) && agent_register_authenticate (self, nh, status, sip))
    return;
  if (status >= 200) {
    self->auth_attempts = 0;
    g_signal_emit (self, signals[SDES_AGENT_SIGNAL_REGISTERED], 0, (guint) status, phrase);
  }
}

static void
agent_nua_callback (nua_event_t event, int status, char const *phrase,
                    nua_t *nua, SdesAgent *self, nua_handle_t *nh,
                    SdesCall *call, sip_t const *sip, tagi_t tags[])
{
  g_debug ("nua event %s %d %s (handle %p, call %p)", nua_event_name (event),
           status, phrase ? phrase : "", (void *) nh, (void *) call);
  if (!self->shutdown_requested)
    _sdes_agent_note_activity (self);

  if (call != NULL) {
    /* Keep the call alive while it handles the event: a handler of one of
     * its signals may drop the application's last reference. */
    g_autoptr(SdesCall) hold = g_object_ref (call);
    _sdes_call_handle_event (call, event, status, phrase, nh, sip, tags);
    return;
  }

  switch (event) {
    case nua_r_shutdown:
      if (status >= 200 && self->destroy_idle == 0 && !self->shutdown_done) {
        GSource *idle = g_idle_source_new ();

        g_source_set_name (idle, "[srtpsdes] nua_destroy");
        g_source_set_callback (idle, agent_destroy_nua_idle, self, NULL);
        self->destroy_idle = g_source_attach (idle, self->context);
        g_source_unref (idle);
      }
      break;

    case nua_r_get_params: {
      sip_contact_t const *m = NULL;

      tl_gets (tags, NTATAG_CONTACT_REF (m), TAG_END ());
      if (m != NULL && self->contact == NULL) {
        self->contact = url_as_string (NULL, m->m_url);
        if (self->contact != NULL) {
          /* url_as_string allocates from the NULL home = malloc */
          gchar *copy = g_strdup (self->contact);
          free (self->contact);
          self->contact = copy;
        }
        g_object_notify_by_pspec (G_OBJECT (self), props[PROP_CONTACT]);
        g_signal_emit (self, signals[SDES_AGENT_SIGNAL_READY], 0);
      }
      break;
    }

    case nua_r_register:
    case nua_r_unregister:
      agent_handle_register_response (self, status, phrase, nh, sip);
      break;

    case nua_i_invite: {
      g_autoptr(SdesCall) incoming = NULL;

      if (self->shutdown_requested) {
        nua_respond (nh, SIP_503_SERVICE_UNAVAILABLE, TAG_END ());
        nua_handle_destroy (nh);
        break;
      }
      {
        SdesCallConfig config = _sdes_agent_call_config (self, self->policy, self->local_media);
        incoming = _sdes_call_new_incoming (G_OBJECT (self), &_sdes_agent_call_host, &config, nh);
      }
      g_hash_table_add (self->calls, g_object_ref (incoming));
      if (_sdes_call_handle_initial_invite (incoming, sip)) {
        g_signal_emit (self, signals[SDES_AGENT_SIGNAL_INCOMING_CALL], 0, incoming);
        if (self->auto_answer && sdes_call_get_state (incoming) == SDES_CALL_STATE_INCOMING)
          sdes_call_accept (incoming, NULL);
      }
      break;
    }

    case nua_i_options:
    case nua_i_message:
    case nua_i_info:
    case nua_i_notify:
    case nua_i_refer:
    case nua_i_subscribe:
    case nua_i_publish:
    case nua_i_method:
      /* Requests outside any call: nua answered them (or we refuse here);
       * the handle is ours to destroy. */
      if (event == nua_i_method || event == nua_i_refer || event == nua_i_subscribe ||
          event == nua_i_publish)
        nua_respond (nh, SIP_501_NOT_IMPLEMENTED, TAG_END ());
      if (nh != NULL && nh != self->register_nh)
        nua_handle_destroy (nh);
      break;

    default:
      break;
  }
}

/* ------------------------------------------------------------------------- */
/* Start, shutdown                                                            */
/* ------------------------------------------------------------------------- */

/**
 * sdes_agent_start:
 * @agent: a #SdesAgent
 * @error: return location for a #GError
 *
 * Creates the Sofia stack, binds the transports of #SdesAgent:bind-uris and,
 * when #SdesAgent:registrar is set, registers. The bound contact (with the
 * real port when port 0 was asked for) is known once #SdesAgent::ready has
 * been emitted from the agent's main context.
 *
 * Errors: %SDES_AGENT_ERROR_BAD_URI, %SDES_AGENT_ERROR_BIND,
 * %SDES_AGENT_ERROR_TLS_CONFIG, %SDES_AGENT_ERROR_WRONG_STATE.
 *
 * Returns: %TRUE when the stack is running.
 *
 * Since: 0.1
 */
/* The bind URIs: at most one sip: and one sips: (nua binds one of each);
 * neither means sip:127.0.0.1:0. Also sets the Warning header's warn-agent
 * to the bind host (RFC 3261 §20.43). */
static gboolean
agent_parse_binds (SdesAgent *agent, const gchar **sip_url, const gchar **sips_url,
                   GError **error)
{
  const gchar *u, *h;

  for (guint i = 0; agent->bind_uris && agent->bind_uris[i]; i++) {
    const gchar **slot;

    u = agent->bind_uris[i];
    slot = g_ascii_strncasecmp (u, "sips:", 5) == 0 ? sips_url
         : g_ascii_strncasecmp (u, "sip:", 4) == 0 ? sip_url : NULL;
    if (slot == NULL || *slot != NULL) {
      g_set_error (error, SDES_AGENT_ERROR, SDES_AGENT_ERROR_BAD_URI,
                   "Bind URI %u (%s): need at most one sip: and one sips: URI", i, u);
      return FALSE;
    }
    *slot = u;
  }
  if (*sip_url == NULL && *sips_url == NULL)
    *sip_url = "sip:127.0.0.1:0";
  u = *sip_url ? *sip_url : *sips_url;
  h = strchr (u, ':') + 1;
  g_free (agent->warn_host);
  agent->warn_host = g_strndup (h, strcspn (h, ":;>"));
  return TRUE;
}

/* The su_glib root on the agent's context and the nua stack bound to the
 * transports; on failure nothing of it is left. */
static gboolean
agent_create_stack (SdesAgent *agent, const gchar *sip_url, const gchar *sips_url,
                    GError **error)
{
  agent->root = su_glib_root_create (agent);
  if (agent->root == NULL) {
    g_set_error (error, SDES_AGENT_ERROR, SDES_AGENT_ERROR_BIND,
                 "su_glib_root_create failed");
    return FALSE;
  }
  /* nua runs its stack (nta, the transports) in a thread of its own on
   * Sofia's default (epoll) port; its events come to this root, in our
   * context. Sharing the root (su_root_threading(root, 0)) put every
   * socket into su_glib's source, whose deregistration moves every later
   * socket (g_source_remove_poll()/g_source_add_poll() each): quadratic,
   * and an agent with thousands of TLS connection attempts (callers that
   * never ACK over TLS, RFC 3261 §13.3.1.4) stalled in it. */
  agent->source = su_glib_root_gsource (agent->root);
  /* nua_destroy() waits for the stack by running the root (su_clone_wait):
   * that is a nested dispatch of this source (rakia does the same). */
  g_source_set_can_recurse (agent->source, TRUE);
  g_source_attach (agent->source, agent->context);
  _sdes_sofia_watch_tls (agent->source, _sdes_agent_tls_failed, agent);
  /* Sofia-SIP 1.12 never frees its TLS connections' SSL objects: track
   * them from their creation (sdes-tls-reaper.c). */
  _sdes_tls_reaper_init ();

  _sdes_sofia_stack_start_begin (agent->source);
  agent->nua = nua_create (agent->root, agent_nua_callback, agent,
                           TAG_IF (sip_url, NUTAG_URL (sip_url)),
                           TAG_IF (sips_url, NUTAG_SIPS_URL (sips_url)),
                           TAG_IF (agent->cert_dir, NUTAG_CERTIFICATE_DIR (agent->cert_dir)),
                           TAG_IF (sips_url, TPTAG_TLS_VERIFY_POLICY (agent->tls_verify
                                                                      ? TPTLS_VERIFY_ALL
                                                                      : TPTLS_VERIFY_NONE)),
                           /* Sofia's built-in STUN server answers any datagram
                            * starting with 0x00 on the SIP port, and Debian's
                            * 1.12 leaks 12 bytes per malformed one
                            * (send_stun_error): a remote leak found by
                            * tests/fuzz/fuzz-sip-invite.c. An agent is no STUN
                            * server. */
                           TPTAG_STUN_SERVER (0),
                           TAG_NULL ());
  _sdes_sofia_stack_start_end ();
  if (agent->nua == NULL) {
    g_set_error (error, SDES_AGENT_ERROR, SDES_AGENT_ERROR_BIND,
                 "Sofia could not bind %s%s%s", sip_url ? sip_url : "",
                 sip_url && sips_url ? " and " : "", sips_url ? sips_url : "");
    _sdes_sofia_unwatch_tls (agent->source);
    g_source_destroy (agent->source);
    agent->source = NULL;
    su_root_destroy (agent->root);
    agent->root = NULL;
    return FALSE;
  }
  return TRUE;
}

gboolean
sdes_agent_start (SdesAgent *agent, GError **error)
{
  const gchar *sip_url = NULL, *sips_url = NULL;

  g_return_val_if_fail (SDES_IS_AGENT (agent), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (agent->nua != NULL || agent->shutdown_requested) {
    g_set_error (error, SDES_AGENT_ERROR, SDES_AGENT_ERROR_WRONG_STATE,
                 "The agent was already started");
    return FALSE;
  }
  if (!agent_parse_binds (agent, &sip_url, &sips_url, error))
    return FALSE;
  if (agent->tls_cert_file != NULL) {
    agent->cert_dir = _sdes_sofia_stage_tls (agent->tls_cert_file, agent->tls_key_file,
                                             agent->tls_ca_file, agent->tls_ca_dir, error);
    if (agent->cert_dir == NULL)
      return FALSE;
  }
  if (!agent->tls_verify && sips_url != NULL)
    g_warning ("TLS peer verification is OFF: any certificate will be accepted "
               "and the a=crypto keys can be read by a man in the middle");

  _sdes_sofia_redirect_logs_once ();
  if (!agent_create_stack (agent, sip_url, sips_url, error)) {
    _sdes_sofia_unstage_tls (agent->cert_dir);
    g_clear_pointer (&agent->cert_dir, g_free);
    return FALSE;
  }

  /* Offer/answer is ours (the engine), not Sofia's soa; INVITEs are
   * answered by sdes_call_accept(), never automatically. */
  nua_set_params (agent->nua,
                  NUTAG_MEDIA_ENABLE (0),
                  NUTAG_AUTOANSWER (0),
                  NUTAG_AUTOALERT (0),
                  NUTAG_AUTOACK (1),
                  NUTAG_ENABLEINVITE (1),
                  NUTAG_ALLOW ("REFER"),
                  TAG_IF (agent->identity, SIPTAG_FROM_STR (agent->identity)),
                  TAG_IF (agent->user_agent, SIPTAG_USER_AGENT_STR (agent->user_agent)),
                  TAG_IF (agent->registrar, NUTAG_REGISTRAR (agent->registrar)),
                  TAG_NULL ());
  nua_get_params (agent->nua, NTATAG_CONTACT (NULL), TAG_END ());

  if (agent->registrar != NULL) {
    /* NUTAG_RETRY_COUNT(0): a challenge is a final answer that
     * agent_register_authenticate() retries, not a request nua parks
     * waiting for nua_authenticate(). */
    agent->register_nh = nua_handle (agent->nua, NULL,
                                     TAG_IF (agent->identity, SIPTAG_TO_STR (agent->identity)),
                                     NUTAG_RETRY_COUNT (0), TAG_END ());
    nua_register (agent->register_nh, TAG_END ());
  }
  return TRUE;
}

/**
 * sdes_agent_get_contact:
 * @agent: a #SdesAgent
 *
 * The address peers reach this agent at: the URI of the first transport
 * Sofia bound, with the port the system chose when #SdesAgent:bind-uris
 * asked for port 0 (e.g. "sip:127.0.0.1:41234"). When a sips: transport is
 * bound it is the sips: URI. It is known from #SdesAgent::ready on, which
 * is emitted from the agent's main context after sdes_agent_start(); it
 * is also #SdesAgent:contact, which notifies when it is set.
 *
 * Returns: (nullable): the URI of the first bound transport (with the real
 *   port), or %NULL before #SdesAgent::ready.
 *
 * Since: 0.1
 */
const gchar *
sdes_agent_get_contact (SdesAgent *agent)
{
  g_return_val_if_fail (SDES_IS_AGENT (agent), NULL);
  return agent->contact;
}

/**
 * sdes_agent_shutdown:
 * @agent: a #SdesAgent
 *
 * Ends every call and un-registers, then emits #SdesAgent::shutdown-complete
 * from the agent's context once Sofia reports its shutdown (nua_r_shutdown
 * with a final status) and the stack is destroyed.
 *
 * Since: 0.1
 */
void
sdes_agent_shutdown (SdesAgent *agent)
{
  g_autoptr(GPtrArray) calls = NULL;

  g_return_if_fail (SDES_IS_AGENT (agent));

  if (agent->nua == NULL || agent->shutdown_requested)
    return;

  {
    GHashTableIter iter;
    gpointer key;

    calls = g_ptr_array_new_with_free_func (g_object_unref);
    g_hash_table_iter_init (&iter, agent->calls);
    while (g_hash_table_iter_next (&iter, &key, NULL))
      g_ptr_array_add (calls, g_object_ref (key));
  }
  for (guint i = 0; i < calls->len; i++)
    _sdes_call_shutdown (g_ptr_array_index (calls, i));

  agent->shutdown_requested = TRUE;
  _sdes_agent_trim_stop (agent);
  if (agent->register_nh != NULL) {
    nua_handle_destroy (agent->register_nh);
    agent->register_nh = NULL;
  }
  nua_shutdown (agent->nua);
}

/**
 * sdes_agent_is_shut_down:
 * @agent: a #SdesAgent
 *
 * Whether the shutdown begun by sdes_agent_shutdown() has finished: Sofia
 * reported it (nua_r_shutdown with a final status) and the stack was
 * destroyed, so the agent holds no socket or timer any more. A loop that
 * shuts an agent down can iterate its context until this is %TRUE instead
 * of connecting to #SdesAgent::shutdown-complete. An agent never started
 * is not shut down.
 *
 * Returns: %TRUE once #SdesAgent::shutdown-complete has been emitted.
 *
 * Since: 0.1
 */
gboolean
sdes_agent_is_shut_down (SdesAgent *agent)
{
  g_return_val_if_fail (SDES_IS_AGENT (agent), FALSE);
  return agent->shutdown_done;
}

/* ------------------------------------------------------------------------- */
/* GObject                                                                    */
/* ------------------------------------------------------------------------- */

/**
 * sdes_agent_new:
 * @context: (nullable): the #GMainContext to run in; %NULL for the
 *   thread-default context of the calling thread
 *
 * Creates an agent whose Sofia stack will run in @context
 * (#SdesAgent:main-context): its sockets and timers are a #GSource there
 * and every signal of the agent and its calls is emitted from it, so the
 * application iterates that context and no thread is created. Set the
 * properties (#SdesAgent:bind-uris, the TLS files, #SdesAgent:srtp-policy,
 * #SdesAgent:local-media, ...) and then call sdes_agent_start(): nothing is
 * bound before that.
 *
 * Returns: (transfer full): a new, not yet started agent.
 *
 * Since: 0.1
 */
SdesAgent *
sdes_agent_new (GMainContext *context)
{
  return g_object_new (SDES_TYPE_AGENT, "main-context", context, NULL);
}

static void
sdes_agent_init (SdesAgent *self)
{
  self->tls_verify = TRUE;
  /* Cisco Table 44: keys never go into SDP sent in clear unless the user says so. */
  self->require_secure_signaling = TRUE;
  self->policy = SDES_SRTP_POLICY_OPTIONAL;
  self->calls = g_hash_table_new_full (NULL, NULL, g_object_unref, NULL);
  _sdes_agent_tls_init (self);
}

static void
sdes_agent_dispose (GObject *object)
{
  SdesAgent *self = SDES_AGENT (object);

  if (self->nua != NULL && !self->shutdown_done) {
    gint64 deadline = g_get_monotonic_time () + SHUTDOWN_WAIT_US;

    /* Last reference dropped without sdes_agent_shutdown(), or before its
     * completion: finish it here, iterating our own context (bounded). */
    sdes_agent_shutdown (self);
    g_main_context_push_thread_default (self->context);
    while (!self->shutdown_done && g_get_monotonic_time () < deadline)
      g_main_context_iteration (self->context, TRUE);
    g_main_context_pop_thread_default (self->context);
    if (!self->shutdown_done)
      g_warning ("Sofia did not finish its shutdown in time");
  }
  if (self->destroy_idle != 0) {
    GSource *s = g_main_context_find_source_by_id (self->context, self->destroy_idle);
    if (s != NULL)
      g_source_destroy (s);
    self->destroy_idle = 0;
  }
  if (self->nua != NULL) {
    nua_destroy (self->nua);
    self->nua = NULL;
  }
  g_hash_table_remove_all (self->calls);
  _sdes_agent_trim_stop (self);
  if (self->root != NULL) {
    _sdes_sofia_unwatch_tls (self->source);
    g_source_destroy (self->source);
    self->source = NULL;
    su_root_destroy (self->root);
    self->root = NULL;
    /* Every transport is gone: so are its connections' SSL objects. */
    _sdes_tls_reaper_sweep (NULL);
  }
  _sdes_agent_tls_clear (self);
  _sdes_sofia_unstage_tls (self->cert_dir);
  g_clear_pointer (&self->cert_dir, g_free);

  G_OBJECT_CLASS (sdes_agent_parent_class)->dispose (object);
}

static void
sdes_agent_finalize (GObject *object)
{
  SdesAgent *self = SDES_AGENT (object);

  g_hash_table_unref (self->calls);
  g_hash_table_unref (self->tls_failed);
  g_mutex_clear (&self->tls_lock);
  g_clear_pointer (&self->context, g_main_context_unref);
  g_strfreev (self->bind_uris);
  g_free (self->tls_cert_file);
  g_free (self->tls_key_file);
  g_free (self->tls_ca_file);
  g_free (self->tls_ca_dir);
  g_free (self->identity);
  g_free (self->user_agent);
  g_free (self->registrar);
  g_free (self->auth_username);
  sdes_crypto_free_secret (self->auth_password);
  g_strfreev (self->suites);
  g_clear_pointer (&self->local_media, sdes_local_media_unref);
  g_free (self->contact);
  g_free (self->warn_host);

  G_OBJECT_CLASS (sdes_agent_parent_class)->finalize (object);
}

static void
replace_string (gchar **slot, const GValue *value)
{
  g_free (*slot);
  *slot = g_value_dup_string (value);
}

static void
sdes_agent_set_property (GObject *object, guint prop_id, const GValue *value,
                         GParamSpec *pspec)
{
  SdesAgent *self = SDES_AGENT (object);

  switch (prop_id) {
    case PROP_MAIN_CONTEXT: {
      GMainContext *ctx = g_value_get_boxed (value);
      self->context = ctx ? g_main_context_ref (ctx)
                          : g_main_context_ref_thread_default ();
      break;
    }
    case PROP_BIND_URIS:
      g_strfreev (self->bind_uris);
      self->bind_uris = g_value_dup_boxed (value);
      break;
    case PROP_TLS_CERT_FILE: replace_string (&self->tls_cert_file, value); break;
    case PROP_TLS_KEY_FILE: replace_string (&self->tls_key_file, value); break;
    case PROP_TLS_CA_FILE: replace_string (&self->tls_ca_file, value); break;
    case PROP_TLS_CA_DIR: replace_string (&self->tls_ca_dir, value); break;
    case PROP_TLS_VERIFY:
      /* Warned about at sdes_agent_start(), where it takes effect. */
      self->tls_verify = g_value_get_boolean (value);
      break;
    case PROP_IDENTITY: replace_string (&self->identity, value); break;
    case PROP_USER_AGENT: replace_string (&self->user_agent, value); break;
    case PROP_REGISTRAR: replace_string (&self->registrar, value); break;
    case PROP_AUTH_USERNAME: replace_string (&self->auth_username, value); break;
    case PROP_AUTH_PASSWORD:
      if (self->auth_password != NULL)
        sdes_crypto_wipe (self->auth_password, strlen (self->auth_password));
      replace_string (&self->auth_password, value);
      break;
    case PROP_SRTP_POLICY: self->policy = g_value_get_enum (value); break;
    case PROP_SUITES:
      g_strfreev (self->suites);
      self->suites = g_value_dup_boxed (value);
      break;
    case PROP_OFFER_STYLE:
      self->offer_style = g_value_get_enum (value);
      break;
    case PROP_REQUIRE_SECURE_SIGNALING:
      self->require_secure_signaling = g_value_get_boolean (value);
      break;
    case PROP_AUTO_ANSWER: self->auto_answer = g_value_get_boolean (value); break;
    case PROP_LOCAL_MEDIA:
      g_clear_pointer (&self->local_media, sdes_local_media_unref);
      self->local_media = g_value_dup_boxed (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
  }
}

static void
sdes_agent_get_property (GObject *object, guint prop_id, GValue *value,
                         GParamSpec *pspec)
{
  SdesAgent *self = SDES_AGENT (object);

  switch (prop_id) {
    case PROP_MAIN_CONTEXT: g_value_set_boxed (value, self->context); break;
    case PROP_BIND_URIS: g_value_set_boxed (value, self->bind_uris); break;
    case PROP_TLS_CERT_FILE: g_value_set_string (value, self->tls_cert_file); break;
    case PROP_TLS_KEY_FILE: g_value_set_string (value, self->tls_key_file); break;
    case PROP_TLS_CA_FILE: g_value_set_string (value, self->tls_ca_file); break;
    case PROP_TLS_CA_DIR: g_value_set_string (value, self->tls_ca_dir); break;
    case PROP_TLS_VERIFY: g_value_set_boolean (value, self->tls_verify); break;
    case PROP_IDENTITY: g_value_set_string (value, self->identity); break;
    case PROP_USER_AGENT: g_value_set_string (value, self->user_agent); break;
    case PROP_REGISTRAR: g_value_set_string (value, self->registrar); break;
    case PROP_AUTH_USERNAME: g_value_set_string (value, self->auth_username); break;
    case PROP_AUTH_PASSWORD: g_value_set_string (value, NULL); break;  /* write-only in effect */
    case PROP_SRTP_POLICY: g_value_set_enum (value, self->policy); break;
    case PROP_SUITES: g_value_set_boxed (value, self->suites); break;
    case PROP_OFFER_STYLE:
      g_value_set_enum (value, self->offer_style);
      break;
    case PROP_REQUIRE_SECURE_SIGNALING:
      g_value_set_boolean (value, self->require_secure_signaling);
      break;
    case PROP_AUTO_ANSWER: g_value_set_boolean (value, self->auto_answer); break;
    case PROP_LOCAL_MEDIA: g_value_set_boxed (value, self->local_media); break;
    case PROP_CONTACT: g_value_set_string (value, self->contact); break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
  }
}

static GParamSpec *
string_prop (const gchar *name, const gchar *blurb)
{
  return g_param_spec_string (name, NULL, blurb, NULL,
                              G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);
}

/* About 100 lines, on purpose: one declaration per property with its
 * documentation, in the order of the property enum. */
static void
agent_install_properties (GObjectClass *object_class)
{
  /**
   * SdesAgent:main-context:
   *
   * The #GMainContext that runs Sofia's sockets and timers and emits every
   * signal of the agent and its calls. %NULL at construction means the
   * thread-default context.
   *
   * Since: 0.1
   */
  props[PROP_MAIN_CONTEXT] =
      g_param_spec_boxed ("main-context", NULL, "GMainContext Sofia runs in",
                          G_TYPE_MAIN_CONTEXT,
                          G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY |
                          G_PARAM_STATIC_STRINGS);
  /**
   * SdesAgent:bind-uris:
   *
   * Transports to bind: at most one sip: URI (e.g.
   * "sip:127.0.0.1:0;transport=udp"; without a transport parameter both UDP
   * and TCP) and one sips: URI (TLS). Port 0 picks a free port. Read at
   * sdes_agent_start(); two URIs of one scheme, or another scheme, fail it
   * with %SDES_AGENT_ERROR_BAD_URI. Default %NULL: "sip:127.0.0.1:0". The
   * host of the sip: URI (else of the sips: one) is also the warn-agent of
   * the Warning header sent with a refused offer (RFC 3261 §20.43).
   *
   * Since: 0.1
   */
  props[PROP_BIND_URIS] =
      g_param_spec_boxed ("bind-uris", NULL, "sip:/sips: URIs to bind",
                          G_TYPE_STRV, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);
  /**
   * SdesAgent:tls-cert-file:
   *
   * Path of the PEM certificate (or chain, leaf first) the agent presents
   * on its TLS connections, as server of a bound sips: transport and as
   * client. It may also hold the private key, when #SdesAgent:tls-key-file
   * is unset. The files are read at sdes_agent_start() and copied into a
   * private 0700 directory (Sofia reads one "agent.pem" there), which is
   * removed when the agent is disposed; later changes have no effect.
   * Default %NULL: no certificate of ours is staged.
   *
   * Since: 0.1
   */
  props[PROP_TLS_CERT_FILE] = string_prop ("tls-cert-file", "PEM certificate (chain) for TLS");
  /**
   * SdesAgent:tls-key-file:
   *
   * Path of the PEM private key of #SdesAgent:tls-cert-file; %NULL (the
   * default) when the certificate file holds the key too. Read at
   * sdes_agent_start() with the certificate; the staged copy is written
   * with mode 0600 and the buffer that held the key is wiped.
   *
   * Since: 0.1
   */
  props[PROP_TLS_KEY_FILE] = string_prop ("tls-key-file", "PEM private key for TLS");
  /**
   * SdesAgent:tls-ca-file:
   *
   * Path of a PEM file of the CA certificates the agent trusts when
   * #SdesAgent:tls-verify is on: a TLS peer (server or client) must
   * present a certificate issued by one of them. Takes precedence over
   * #SdesAgent:tls-ca-dir. Read at sdes_agent_start(); default %NULL.
   *
   * Since: 0.1
   */
  props[PROP_TLS_CA_FILE] = string_prop ("tls-ca-file", "PEM file of trusted CA certificates");
  /**
   * SdesAgent:tls-ca-dir:
   *
   * Directory of trusted CA certificates: every file in it whose name ends
   * in ".pem" or ".crt" is read at sdes_agent_start() (subdirectories and
   * other names are ignored). Used only when #SdesAgent:tls-ca-file is
   * unset; default %NULL.
   *
   * Since: 0.1
   */
  props[PROP_TLS_CA_DIR] = string_prop ("tls-ca-dir",
                                        "Directory of trusted CA certificates (*.pem, *.crt)");
  /**
   * SdesAgent:tls-verify:
   *
   * Verify TLS peers against the trusted CAs (#SdesAgent:tls-ca-file,
   * #SdesAgent:tls-ca-dir) in both directions: a server we connect to and
   * a client that connects to us must present a certificate from one of
   * them. Default %TRUE. Turning it off makes sdes_agent_start() log a
   * warning when a sips: transport is bound: a man in the middle then
   * reads every a=crypto key.
   *
   * Since: 0.1
   */
  props[PROP_TLS_VERIFY] =
      g_param_spec_boolean ("tls-verify", NULL, "Verify TLS peer certificates", TRUE,
                            G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);
  /**
   * SdesAgent:identity:
   *
   * Our address-of-record, e.g. "sip:alice@example.org" or
   * "\"Alice\" <sips:alice@example.org>": the From of every request the
   * agent sends, and the To of its REGISTER (RFC 3261 §10.2). Applied at
   * sdes_agent_start(); default %NULL: Sofia's default From, made from the
   * bound address.
   *
   * Since: 0.1
   */
  props[PROP_IDENTITY] = string_prop ("identity", "Our address-of-record (From)");
  /**
   * SdesAgent:user-agent:
   *
   * The value of the User-Agent header (RFC 3261 §20.41) of the agent's
   * requests, e.g. "srtpsdes/0.1". Applied at sdes_agent_start(); default
   * %NULL: Sofia's own.
   *
   * Since: 0.1
   */
  props[PROP_USER_AGENT] = string_prop ("user-agent", "User-Agent header value");
  /**
   * SdesAgent:registrar:
   *
   * URI of the registrar (e.g. "sips:registrar.example.org"). When set,
   * sdes_agent_start() sends a REGISTER of #SdesAgent:identity there
   * (RFC 3261 §10); a 401/407 challenge is answered from
   * #SdesAgent:auth-username and #SdesAgent:auth-password, and the final
   * status is reported by #SdesAgent::registered. Default %NULL: no
   * REGISTER is sent.
   *
   * Since: 0.1
   */
  props[PROP_REGISTRAR] = string_prop ("registrar", "Registrar URI; unset: no REGISTER");
  /**
   * SdesAgent:auth-username:
   *
   * The user name of HTTP digest authentication (RFC 3261 §22). A 401 or
   * 407 to the agent's REGISTER or to a call's INVITE is answered with
   * credentials made from it and #SdesAgent:auth-password, and the request
   * is sent again (same Call-ID and From tag, CSeq + 1, RFC 3261 §8.1.3.5);
   * a second challenge to the retry is final. Default %NULL: challenges
   * are not answered and end the call (or the registration) with their
   * status.
   *
   * Since: 0.1
   */
  props[PROP_AUTH_USERNAME] = string_prop ("auth-username",
                                           "Digest user name for 401/407 challenges");
  /**
   * SdesAgent:auth-password:
   *
   * The digest password of #SdesAgent:auth-username. It is write-only in
   * effect: reading the property always gives %NULL, the agent's copy is
   * wiped when it is replaced or the agent is finalized, and it is never
   * logged. Default %NULL (an empty password when a user name is set).
   *
   * Since: 0.1
   */
  props[PROP_AUTH_PASSWORD] = string_prop ("auth-password",
                                           "Digest password (never read back)");
  /**
   * SdesAgent:srtp-policy:
   *
   * The SRTP policy of new calls, outgoing and incoming, as the rows of
   * Table 46 of Cisco "SIP Support for SRTP" define them: %SDES_SRTP_POLICY_OFF
   * offers and accepts RTP only, %SDES_SRTP_POLICY_OPTIONAL (the default)
   * offers SRTP and falls back to RTP when the peer refuses it, and
   * %SDES_SRTP_POLICY_MANDATORY accepts nothing but SRTP (an offer without
   * an acceptable a=crypto line is answered 488). Each call copies the
   * value current when it is created.
   *
   * Since: 0.1
   */
  props[PROP_SRTP_POLICY] =
      g_param_spec_enum ("srtp-policy", NULL, "SRTP policy of new calls",
                         SDES_TYPE_SRTP_POLICY, SDES_SRTP_POLICY_OPTIONAL,
                         G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);
  /**
   * SdesAgent:suites:
   *
   * Names of the SRTP crypto suites (RFC 4568 §6.2, RFC 6188 §7, RFC 7714
   * §12; e.g. "AES_CM_128_HMAC_SHA1_80", "AEAD_AES_128_GCM") that new calls
   * offer, one a=crypto line each in this order of preference, and accept
   * in an incoming offer. Copied into each call's #SdesSession:suites when the
   * call is created. Default %NULL: the engine's default,
   * AES_CM_128_HMAC_SHA1_80 then AES_CM_128_HMAC_SHA1_32.
   *
   * Since: 0.1
   */
  props[PROP_SUITES] =
      g_param_spec_boxed ("suites", NULL,
                          "Crypto suites to offer/accept, in preference order (NULL: engine default)",
                          G_TYPE_STRV, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);
  /**
   * SdesAgent:require-secure-signaling:
   *
   * Keys are only put into SDP that travels over TLS (Cisco "SIP Support
   * for SRTP", Table 44; RFC 4568 §8.3 asks for a secure signaling path).
   * With the default %TRUE, a call to a sip: target under
   * %SDES_SRTP_POLICY_MANDATORY fails with
   * %SDES_AGENT_ERROR_INSECURE_SIGNALING before any INVITE is sent, and
   * under %SDES_SRTP_POLICY_OPTIONAL it offers RTP only; an incoming INVITE
   * whose Request-URI is not sips: is answered without keys (RTP under the
   * optional policy, 488 under the mandatory one). sips: calls are
   * unaffected. Set it to %FALSE only for test rigs that run SRTP over
   * plain UDP/TCP signaling.
   *
   * Since: 0.1
   */
  props[PROP_REQUIRE_SECURE_SIGNALING] =
      g_param_spec_boolean ("require-secure-signaling", NULL,
                            "Mandatory SRTP needs sips: signaling", TRUE,
                            G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);
  /**
   * SdesAgent:offer-style:
   *
   * How new calls offer under %SDES_SRTP_POLICY_OPTIONAL:
   * %SDES_OFFER_STYLE_SAVP (the default) sends one RTP/SAVP m-line and,
   * when the peer refuses it with a 4xx or 606, retries the INVITE with an
   * RTP/AVP offer; %SDES_OFFER_STYLE_DUAL offers an RTP/AVP m-line followed
   * by an RTP/SAVP m-line per stream in the same INVITE, and the answerer
   * accepts one and sets port 0 on the other (RFC 3264 §6).
   *
   * Since: 0.1
   */
  props[PROP_OFFER_STYLE] =
      g_param_spec_enum ("offer-style", NULL, "Offer style under the optional policy",
                         SDES_TYPE_OFFER_STYLE, SDES_OFFER_STYLE_SAVP,
                         G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);
  /**
   * SdesAgent:auto-answer:
   *
   * Accept every incoming call whose offer the policy accepts, right after
   * #SdesAgent::incoming-call has been emitted (a handler can still reject
   * the call first). Offers the policy refuses are answered 488 whatever
   * this is. Default %FALSE: the application calls sdes_call_accept().
   *
   * Since: 0.1
   */
  props[PROP_AUTO_ANSWER] =
      g_param_spec_boolean ("auto-answer", NULL,
                            "Accept acceptable incoming calls without asking", FALSE,
                            G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);
  /**
   * SdesAgent:local-media:
   *
   * Our media (address, ports, codecs) as a #SdesLocalMedia: used by
   * sdes_agent_call() when it is given no local media, and by every
   * incoming call to build its answer. The agent holds a reference; a call
   * uses the value current when it is created. Default %NULL: an incoming
   * INVITE is then answered 500 and an outgoing call needs its own local
   * media (%SDES_AGENT_ERROR_NO_LOCAL_MEDIA).
   *
   * Since: 0.1
   */
  props[PROP_LOCAL_MEDIA] =
      g_param_spec_boxed ("local-media", NULL,
                          "Default local media of calls (and of every incoming call)",
                          SDES_TYPE_LOCAL_MEDIA, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);
  /**
   * SdesAgent:contact:
   *
   * Read-only: the URI of the first transport Sofia bound, with the real
   * port (see sdes_agent_get_contact()). %NULL until the agent has started
   * and emitted #SdesAgent::ready; notified when it is set.
   *
   * Since: 0.1
   */
  props[PROP_CONTACT] =
      g_param_spec_string ("contact", NULL, "URI of the first bound transport", NULL,
                           G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, props);
}

static void
agent_install_signals (SdesAgentClass *klass)
{
  /**
   * SdesAgent::incoming-call:
   * @agent: the agent
   * @call: the new #SdesCall, in %SDES_CALL_STATE_INCOMING
   *
   * An INVITE with an acceptable offer arrived. Call sdes_call_accept() or
   * sdes_call_reject() (now or later); take a reference to keep the object.
   * Offers the policy cannot accept were already answered with 488.
   *
   * Since: 0.1
   */
  signals[SDES_AGENT_SIGNAL_INCOMING_CALL] =
      g_signal_new ("incoming-call", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                    0, NULL, NULL, NULL, G_TYPE_NONE, 1, SDES_TYPE_CALL);
  /**
   * SdesAgent::ready:
   *
   * The transports are bound; #SdesAgent:contact is set.
   *
   * Since: 0.1
   */
  signals[SDES_AGENT_SIGNAL_READY] =
      g_signal_new ("ready", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                    0, NULL, NULL, NULL, G_TYPE_NONE, 0);
  /**
   * SdesAgent::registered:
   * @agent: the agent
   * @status: final SIP status of the REGISTER
   * @reason: its reason phrase
   *
   * The REGISTER to #SdesAgent:registrar got a final response: 200 when
   * the registration holds, else the failure (403, a second 401/407 once
   * the digest retry was refused, 408 without any answer, ...). Emitted
   * once per REGISTER, after the digest retry if there was one, never for
   * provisional responses.
   *
   * Since: 0.1
   */
  signals[SDES_AGENT_SIGNAL_REGISTERED] =
      g_signal_new ("registered", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                    0, NULL, NULL, NULL, G_TYPE_NONE, 2, G_TYPE_UINT, G_TYPE_STRING);
  /**
   * SdesAgent::shutdown-complete:
   *
   * Sofia finished its shutdown and the stack was destroyed.
   *
   * Since: 0.1
   */
  signals[SDES_AGENT_SIGNAL_SHUTDOWN_COMPLETE] =
      g_signal_new ("shutdown-complete", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                    0, NULL, NULL, NULL, G_TYPE_NONE, 0);
  /**
   * SdesAgent::tls-failed:
   * @agent: the agent
   * @peer: "host:port" of the other end of the connection
   * @error: %SDES_AGENT_ERROR_TLS_HANDSHAKE, whose message says what failed
   *   (certificate not trusted, name mismatch, expired, or the peer refused
   *   ours) and with whom
   *
   * A TLS handshake of one of the agent's connections failed, on either
   * side: a connection we opened (the calls sent over it have already ended
   * with %SDES_CALL_END_REASON_TLS_FAILED) or one a peer opened to us (no
   * call exists: this signal is the only report). Emitted within
   * milliseconds of the failure, from the agent's context.
   *
   * Sofia-SIP 1.12.11 reports these failures only in its transport log,
   * which the agent reads (see docs/agent.md).
   *
   * Since: 0.1
   */
  signals[SDES_AGENT_SIGNAL_TLS_FAILED] =
      g_signal_new ("tls-failed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                    0, NULL, NULL, NULL, G_TYPE_NONE, 2, G_TYPE_STRING, G_TYPE_ERROR);
}

static void
sdes_agent_class_init (SdesAgentClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = sdes_agent_dispose;
  object_class->finalize = sdes_agent_finalize;
  object_class->set_property = sdes_agent_set_property;
  object_class->get_property = sdes_agent_get_property;
  agent_install_properties (object_class);
  agent_install_signals (klass);
}
