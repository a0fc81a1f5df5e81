/* srtpsdes — the caller side of a SdesCall: the INVITE and its responses
 *
 * Copyright (C) 2026 srtpsdes developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* Sending the initial INVITE and re-INVITEs, and every response to them:
 * early media per fork, the 2xx, the RTP-only fallback after a 4xx, 3xx
 * redirects and digest challenges. A request retried after a 4xx keeps
 * its Call-ID, From tag and To (RFC 3261 §8.1.3.5) with a higher CSeq. */

#include "sdes-call-internal.h"

#define props _sdes_call_props
#define signals _sdes_call_signals

/* Sends the INVITE on the current handle. @retry_of: the final response to
 * the request this one retries (digest challenge, 4xx to the SRTP offer):
 * its Call-ID, From (with our tag) and CSeq + 1 are used, RFC 3261
 * §8.1.3.5 and §22.2. @extra: more headers (Authorization). */
static void
call_invite (SdesCall *self, const gchar *sdp, sip_t const *retry_of,
             msg_header_t const *extra)
{
  g_autofree gchar *cseq = NULL;

  if (retry_of != NULL && retry_of->sip_cseq != NULL)
    cseq = g_strdup_printf ("%u INVITE", retry_of->sip_cseq->cs_seq + 1);
  self->provisional_seen = FALSE;
  self->invite_time = g_get_monotonic_time ();
  nua_invite (self->nh,
              TAG_IF (retry_of != NULL, SIPTAG_CALL_ID (retry_of ? retry_of->sip_call_id : NULL)),
              TAG_IF (retry_of != NULL, SIPTAG_FROM (retry_of ? retry_of->sip_from : NULL)),
              TAG_IF (cseq != NULL, SIPTAG_CSEQ_STR (cseq)),
              TAG_IF (extra != NULL, SIPTAG_HEADER ((sip_header_t const *) extra)),
              SIPTAG_CONTENT_TYPE_STR ("application/sdp"),
              SIPTAG_PAYLOAD_STR (sdp),
              TAG_END ());
}

/* Sends @sdp, a new offer, as the body of an INVITE on the current handle. */
void
_sdes_call_send_invite (SdesCall *self, const gchar *sdp, sip_t const *retry_of,
                        msg_header_t const *extra)
{
  _sdes_call_set_sdp (self, &self->local_sdp, sdp, SDES_CALL_PROP_LOCAL_SDP);
  self->invites_sent++;
  g_object_notify_by_pspec (G_OBJECT (self), props[SDES_CALL_PROP_INVITES_SENT]);
  call_invite (self, sdp, retry_of, extra);
}

nua_handle_t *
_sdes_call_new_handle (SdesCall *self, const gchar *to_uri)
{
  nua_t *nua = self->host ? self->host_iface->get_nua (self->host) : NULL;
  g_autofree gchar *to = NULL;

  if (nua == NULL)
    return NULL;
  /* In <> so that URI parameters stay in the URI (RFC 3261 §20). RFC 3261
   * §8.1.3.4: a redirected request goes to the Contact but keeps the
   * original To. */
  to = g_strdup_printf ("<%s>", self->to_uri ? self->to_uri : to_uri);
  /* NUTAG_RETRY_COUNT(0): nua must not re-send the INVITE by itself. Its
   * automatic 302 handling would send the same SDP to the first Contact,
   * where Cisco "Call Redirection" wants an offer per Contact scheme; digest
   * challenges are then answered by _sdes_call_authenticate(). */
  return nua_handle (nua, self, NUTAG_URL (to_uri),
                     SIPTAG_TO_STR (to), NUTAG_RETRY_COUNT (0), TAG_END ());
}

/* Releases the current handle without letting nua report on it again. */
void
_sdes_call_drop_handle (SdesCall *self)
{
  if (self->nh == NULL)
    return;
  nua_handle_bind (self->nh, NULL);
  nua_handle_destroy (self->nh);
  self->nh = NULL;
}

/* Moves the call to a new handle for @to_uri; FALSE when the owner stopped. */
static gboolean
call_replace_handle (SdesCall *self, const gchar *to_uri)
{
  nua_handle_t *nh = _sdes_call_new_handle (self, to_uri);

  if (nh == NULL)
    return FALSE;
  _sdes_call_drop_handle (self);
  self->nh = nh;
  return TRUE;
}

gboolean
_sdes_call_start (SdesCall *self, GError **error)
{
  g_autoptr(GError) local_error = NULL;
  g_autoptr (SdesSecretText) offer = NULL;

  /* Cisco Table 44 is the session's: it knows the policy, the signaling
   * security and require-secure-signaling, and refuses the offer. */
  offer = sdes_session_create_offer (self->session, self->local, &local_error);
  if (offer == NULL) {
    if (g_error_matches (local_error, SDES_ENGINE_ERROR, SDES_ENGINE_ERROR_INSECURE_SIGNALING))
      g_set_error (error, SDES_AGENT_ERROR, SDES_AGENT_ERROR_INSECURE_SIGNALING,
                   "Cisco Table 44: %s is not sips: (%s); no INVITE sent",
                   self->remote_uri, local_error->message);
    else
      g_set_error (error, SDES_AGENT_ERROR, SDES_AGENT_ERROR_NEGOTIATION,
                   "Could not create the offer: %s", local_error->message);
    return FALSE;
  }

  self->nh = _sdes_call_new_handle (self, self->remote_uri);
  if (self->nh == NULL) {
    g_set_error (error, SDES_AGENT_ERROR, SDES_AGENT_ERROR_NOT_STARTED,
                 "The agent is not running");
    return FALSE;
  }
  _sdes_call_set_state (self, SDES_CALL_STATE_CALLING);
  _sdes_call_send_invite (self, offer, NULL, NULL);
  return TRUE;
}

/* ------------------------------------------------------------------------- */
/* Retries: fallback, redirect, digest                                        */
/* ------------------------------------------------------------------------- */

/* Cisco "SRTP Offer and Answer Exchange": an SRTP offer refused with 488
 * (also 415/606 seen in the field, and any other 4xx per the Cisco text
 * except authentication and request-pending) is retried once with the
 * RTP-only offer under the optional policy. nua has already ACKed the error
 * (RFC 3261 §17.1.1.3). The retry is the same request modified after a 4xx
 * (RFC 3261 §8.1.3.5): same Call-ID, From tag and To, higher CSeq. */
static gboolean
call_try_fallback (SdesCall *self, int status, sip_t const *sip)
{
  g_autoptr(GError) error = NULL;
  g_autoptr (SdesSecretText) offer = NULL;

  if (self->fell_back || self->policy != SDES_SRTP_POLICY_OPTIONAL || sip == NULL)
    return FALSE;
  if (!((status >= 400 && status < 500 && status != 401 && status != 407 &&
         status != 491 && status != 408 && status != 486 && status != 487 &&
         status != 404) || status == 606))
    return FALSE;

  offer = sdes_session_create_fallback_offer (self->session, status, &error);
  if (offer == NULL) {
    g_debug ("no fallback after %d: %s", status, error->message);
    return FALSE;
  }
  if (!call_replace_handle (self, self->remote_uri))
    return FALSE;
  self->fell_back = TRUE;
  _sdes_call_send_invite (self, offer, sip, NULL);
  return TRUE;
}

/* Follows the next Contact of a 3xx (RFC 3261 §8.1.3.4), in the order the
 * Contacts were listed. Each target is a new request with a fresh session:
 * Cisco "Call Redirection": the offer depends on the Contact's scheme, so
 * secure signaling is re-evaluated (a sip: Contact under
 * require-secure-signaling gets the RTP offer under optional and no INVITE
 * under mandatory, Table 44); a sips: Contact makes an optional policy
 * mandatory: there is no RTP fallback on a TLS dialog. */
static gboolean
call_try_next_target (SdesCall *self)
{
  g_autofree gchar *target = NULL;

  while ((target = g_queue_pop_head (&self->redirect_targets)) != NULL) {
    g_autoptr(GError) error = NULL;
    g_autoptr (SdesSecretText) offer = NULL;
    gboolean secure = _sdes_call_uri_is_secure (target);
    SdesSrtpPolicy policy = self->base_policy;

    if (secure && policy == SDES_SRTP_POLICY_OPTIONAL)
      policy = SDES_SRTP_POLICY_MANDATORY;
    _sdes_call_reset_session (self, policy, secure);
    offer = sdes_session_create_offer (self->session, self->local, &error);
    if (offer == NULL) {
      g_debug ("not following redirect to %s: %s", target, error->message);
      g_clear_pointer (&target, g_free);
      continue;
    }
    if (!call_replace_handle (self, target))
      return FALSE;
    self->fell_back = FALSE;
    self->auth_attempts = 0;
    g_free (self->remote_uri);
    self->remote_uri = g_strdup (target);
    g_object_notify_by_pspec (G_OBJECT (self), props[SDES_CALL_PROP_REMOTE_URI]);
    g_signal_emit (self, signals[SDES_CALL_SIGNAL_REDIRECTED], 0, target);
    _sdes_call_send_invite (self, offer, NULL, NULL);
    return TRUE;
  }
  return FALSE;
}

/* Queues the Contacts of a 3xx (only sip:/sips:, others cannot be called). */
static gboolean
call_follow_redirect (SdesCall *self, sip_t const *sip)
{
  if (sip == NULL || sip->sip_contact == NULL || self->redirects >= SDES_CALL_MAX_REDIRECTS)
    return FALSE;
  self->redirects++;
  g_queue_clear_full (&self->redirect_targets, g_free);
  for (sip_contact_t const *m = sip->sip_contact; m != NULL; m = m->m_next) {
    char *uri;

    if (m->m_url->url_type != url_sip && m->m_url->url_type != url_sips)
      continue;
    uri = url_as_string (NULL, m->m_url);
    if (uri != NULL) {
      g_queue_push_tail (&self->redirect_targets, g_strdup (uri));
      free (uri);
    }
  }
  return call_try_next_target (self);
}

/* RFC 3261 §22.2/§22.3: a digest challenge to the INVITE is answered by the
 * owner's credentials (SdesCallHost.authorize, the library's one digest
 * path): the same offer goes again with Authorization (or
 * Proxy-Authorization), as a retry of the same request (Call-ID, From tag,
 * CSeq + 1). The handles run with NUTAG_RETRY_COUNT(0) (see
 * _sdes_call_new_handle()), so nua leaves this to us. Two attempts at most:
 * a second challenge after our credentials means they were refused, and the
 * call ends with it. */
gboolean
_sdes_call_authenticate (SdesCall *self, int status, sip_t const *sip)
{
  su_home_t *home;
  msg_header_t *headers = NULL;
  url_t *url;
  gboolean ok = FALSE;

  if (sip == NULL || self->host == NULL || self->local_sdp == NULL || self->auth_attempts >= 2)
    return FALSE;

  home = su_home_new (sizeof (su_home_t));
  url = url_make (home, self->remote_uri);
  if (url != NULL &&
      self->host_iface->authorize (self->host, status, sip, "INVITE", url, home, &headers) &&
      call_replace_handle (self, self->remote_uri)) {
    self->auth_attempts++;
    call_invite (self, self->local_sdp, sip, headers);
    ok = TRUE;
  }
  su_home_unref (home);
  return ok;
}

/* ------------------------------------------------------------------------- */
/* Responses                                                                  */
/* ------------------------------------------------------------------------- */

/* Response to our re-INVITE (hold/resume). */
static void
call_handle_reinvite_response (SdesCall *self, int status, const gchar *sdp)
{
  g_autoptr(GError) error = NULL;

  if (status < 200)
    return;
  self->reinvite_pending = FALSE;
  if (status >= 300) {
    /* RFC 3264 §8: a rejected re-offer leaves the old session as it was. */
    sdes_session_cancel_offer (self->session);
    return;
  }
  if (sdp == NULL)
    return;
  _sdes_call_set_sdp (self, &self->remote_sdp, sdp, SDES_CALL_PROP_REMOTE_SDP);
  if (!sdes_session_process_answer (self->session, self->confirmed_tag, sdp, &error))
    g_warning ("bad answer to re-INVITE: %s", error->message);
  else
    _sdes_call_emit_media (self, self->confirmed_tag, TRUE);
}

/* An 18x: every early dialog (To-tag) gets its own keys (Cisco "Signaling
 * Forking"). */
static void
call_handle_provisional (SdesCall *self, int status, const gchar *tag, const gchar *sdp)
{
  g_autoptr(GError) error = NULL;
  GPtrArray *media;

  self->provisional_seen = TRUE;
  if (status == 100 || sdp == NULL || tag == NULL)
    return;
  _sdes_call_set_sdp (self, &self->remote_sdp, sdp, SDES_CALL_PROP_REMOTE_SDP);
  if (!sdes_session_process_answer (self->session, tag, sdp, &error)) {
    g_debug ("ignoring early answer from %s: %s", tag, error->message);
    return;
  }
  _sdes_call_set_state (self, SDES_CALL_STATE_EARLY);
  media = _sdes_call_dialog_media (self, tag);
  if (media != NULL) {
    g_autoptr(GPtrArray) keep = g_ptr_array_ref (media);
    g_signal_emit (self, signals[SDES_CALL_SIGNAL_EARLY_MEDIA], 0, tag, keep);
  }
}

/* The 2xx that establishes the dialog of @tag. */
static void
call_handle_success (SdesCall *self, const gchar *tag, const gchar *sdp)
{
  g_autoptr(GError) error = NULL;
  gboolean ok = TRUE;

  if (sdp != NULL) {
    _sdes_call_set_sdp (self, &self->remote_sdp, sdp, SDES_CALL_PROP_REMOTE_SDP);
    ok = sdes_session_process_answer (self->session, tag, sdp, &error);
    /* A 2xx repeating the answer of its 18x is not a new answer. */
    if (!ok && g_error_matches (error, SDES_ENGINE_ERROR, SDES_ENGINE_ERROR_WRONG_STATE)) {
      g_clear_error (&error);
      ok = TRUE;
    }
  }
  if (ok)
    ok = sdes_session_confirm_dialog (self->session, tag, &error);
  if (!ok) {
    /* The dialog exists (nua ACKed): end it with BYE (RFC 3261 §13.2.2.4). */
    g_autofree gchar *msg = g_strdup_printf ("Unusable answer: %s", error->message);
    g_debug ("%s", msg);
    nua_bye (self->nh, TAG_END ());
    _sdes_call_end (self, SDES_CALL_END_REASON_NOT_ACCEPTABLE, 488, msg);
    return;
  }
  g_free (self->confirmed_tag);
  self->confirmed_tag = g_strdup (tag);
  _sdes_call_set_state (self, SDES_CALL_STATE_ACTIVE);
  _sdes_call_emit_media (self, tag, FALSE);
}

/* What a final failure of our INVITE means for the application. @sip is
 * NULL when the stack made the response itself (timeout, transport). */
static SdesCallEndReason
call_failure_reason (SdesCall *self, int status, sip_t const *sip)
{
  if (status == 487 && self->cancelled)
    return SDES_CALL_END_REASON_LOCAL_HANGUP;
  if (sip == NULL || sip->sip_status == NULL) {
    if (status == 408)
      return SDES_CALL_END_REASON_NO_RESPONSE;
    return SDES_CALL_END_REASON_TRANSPORT_ERROR;
  }
  if (status == 488 || status == 606 || status == 415)
    return SDES_CALL_END_REASON_NOT_ACCEPTABLE;
  return SDES_CALL_END_REASON_REJECTED;
}

/* "host:port" of the current target, as Sofia's transport names the peer
 * of a connection (the port defaults per scheme, RFC 3261 §19.1.2). */
static gchar *
call_target_peer (SdesCall *self)
{
  su_home_t *home = su_home_new (sizeof (su_home_t));
  url_t *url = url_make (home, self->remote_uri);
  gchar *peer = NULL;

  if (url != NULL && url->url_host != NULL)
    peer = g_strdup_printf ("%s:%s", url->url_host,
                            url->url_port ? url->url_port
                            : url->url_type == url_sips ? "5061" : "5060");
  su_home_unref (home);
  return peer;
}

void
_sdes_call_handle_tls_failure (SdesCall *self, const gchar *peer, const gchar *message)
{
  g_autofree gchar *target = NULL;

  if (self->incoming || !self->secure_signaling || self->provisional_seen ||
      self->state != SDES_CALL_STATE_CALLING || self->reinvite_pending)
    return;
  target = call_target_peer (self);
  if (g_strcmp0 (target, peer) != 0)
    return;
  /* Sofia would keep the INVITE until timer B: it is dropped with its
   * handle and the call ends now. */
  _sdes_call_drop_handle (self);
  _sdes_call_end (self, SDES_CALL_END_REASON_TLS_FAILED, 503, message);
}

/* The stack's own 503 (connection lost) or 408 (no answer) to an INVITE
 * over TLS that got no provisional response: when a handshake with the
 * target failed since the INVITE was sent, say so. */
static gboolean
call_end_if_tls_failed (SdesCall *self, int status)
{
  g_autofree gchar *peer = NULL;
  g_autofree gchar *reason = NULL;

  if (!self->secure_signaling || self->provisional_seen || self->host == NULL ||
      (status != 503 && status != 408))
    return FALSE;
  peer = call_target_peer (self);
  reason = peer ? self->host_iface->tls_failure (self->host, peer, self->invite_time) : NULL;
  if (reason == NULL)
    return FALSE;
  {
    g_autofree gchar *msg = g_strdup_printf ("TLS handshake with %s failed: %s", peer, reason);
    _sdes_call_end (self, SDES_CALL_END_REASON_TLS_FAILED, status, msg);
  }
  return TRUE;
}

/* nua runs the stack in its own thread: the 503 (or 408) of a request
 * whose TLS connection failed can reach us before the stack's log line
 * that says why (sdes-agent-sofia.c). Such an end waits TLS_GRACE_MS once
 * for it. */
#define TLS_GRACE_MS 200

static gboolean
call_tls_grace_over (gpointer data)
{
  SdesCall *self = data;
  g_autoptr(SdesCall) keep = g_object_ref (self);
  g_autofree gchar *phrase = g_steal_pointer (&self->grace_phrase);

  g_clear_pointer (&self->tls_grace, g_source_unref);
  if (self->state == SDES_CALL_STATE_ENDED || call_end_if_tls_failed (self, self->grace_status))
    return G_SOURCE_REMOVE;
  _sdes_call_end (self, self->grace_reason, self->grace_status, phrase);
  return G_SOURCE_REMOVE;
}

static gboolean
call_wait_for_tls_failure (SdesCall *self, SdesCallEndReason reason, int status,
                           const gchar *phrase)
{
  if (!self->secure_signaling || self->provisional_seen || (status != 503 && status != 408) ||
      self->tls_grace != NULL || self->grace_status != 0)
    return FALSE;
  self->grace_reason = reason;
  self->grace_status = status;
  self->grace_phrase = g_strdup (phrase);
  self->tls_grace = g_timeout_source_new (TLS_GRACE_MS);
  g_source_set_name (self->tls_grace, "[srtpsdes] TLS failure grace");
  g_source_set_callback (self->tls_grace, call_tls_grace_over, self, NULL);
  g_source_attach (self->tls_grace, self->context);
  return TRUE;
}

void
_sdes_call_stop_tls_grace (SdesCall *self)
{
  if (self->tls_grace != NULL) {
    g_source_destroy (self->tls_grace);
    g_clear_pointer (&self->tls_grace, g_source_unref);
  }
  g_clear_pointer (&self->grace_phrase, g_free);
}

static void
call_handle_failure (SdesCall *self, int status, char const *phrase, sip_t const *sip)
{
  if (status < 400 && call_follow_redirect (self, sip))
    return;
  if (call_try_fallback (self, status, sip))
    return;
  /* This target failed; the next Contact of the last 3xx may not. */
  if (call_try_next_target (self))
    return;
  if (call_end_if_tls_failed (self, status))
    return;
  if (status == 408 && self->secure_signaling && !self->provisional_seen)
    /* A TLS handshake failure the agent could not see in Sofia's log
     * leaves the transaction to time out: say what it may be. */
    phrase = "Request Timeout: no response over TLS (is the peer's certificate trusted?)";
  if (call_wait_for_tls_failure (self, call_failure_reason (self, status, sip), status, phrase))
    return;
  _sdes_call_end (self, call_failure_reason (self, status, sip), status, phrase);
}

void
_sdes_call_handle_invite_response (SdesCall *self, int status, char const *phrase,
                                   sip_t const *sip)
{
  g_autoptr (SdesSecretText) sdp = _sdes_call_dup_sdp (sip);
  const gchar *tag = sip && sip->sip_to ? sip->sip_to->a_tag : NULL;

  if (status < 100)
    return;
  if (self->reinvite_pending)
    call_handle_reinvite_response (self, status, sdp);
  else if (status < 200)
    call_handle_provisional (self, status, tag, sdp);
  else if (status < 300)
    call_handle_success (self, tag, sdp);
  else
    call_handle_failure (self, status, phrase, sip);
}
