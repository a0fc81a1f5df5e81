/* srtpsdes — one SIP call (INVITE dialog) of a SdesAgent
 *
 * Copyright (C) 2026 srtpsdes developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/**
 * SdesCall:
 *
 * An INVITE session whose SDP is negotiated by #SdesSession.
 *
 * A #SdesCall is created by sdes_agent_call() or handed to the application
 * by #SdesAgent::incoming-call. It owns one Sofia nua handle (bound to the
 * call with nua_handle_bind(); released when the call is finalized) and one
 * #SdesSession that writes and reads every SDP body. The negotiated media
 * (#SdesMediaDescription per m-line: keys, addresses, ports) reach the call
 * by the session's #SdesSession::media-changed signal and are published by
 * #SdesCall::early-media, #SdesCall::media-ready and #SdesCall::media-updated.
 * How a call ended is #SdesCall:end-reason.
 *
 * Since: 0.1
 */

#include "sdes-call-internal.h"

#include <string.h>
#include <gobject/gvaluecollector.h>

G_DEFINE_ENUM_TYPE (SdesCallState, sdes_call_state,
    G_DEFINE_ENUM_VALUE (SDES_CALL_STATE_IDLE, "idle"),
    G_DEFINE_ENUM_VALUE (SDES_CALL_STATE_CALLING, "calling"),
    G_DEFINE_ENUM_VALUE (SDES_CALL_STATE_EARLY, "early"),
    G_DEFINE_ENUM_VALUE (SDES_CALL_STATE_INCOMING, "incoming"),
    G_DEFINE_ENUM_VALUE (SDES_CALL_STATE_ACTIVE, "active"),
    G_DEFINE_ENUM_VALUE (SDES_CALL_STATE_ENDED, "ended"))

G_DEFINE_ENUM_TYPE (SdesCallEndReason, sdes_call_end_reason,
    G_DEFINE_ENUM_VALUE (SDES_CALL_END_REASON_NONE, "none"),
    G_DEFINE_ENUM_VALUE (SDES_CALL_END_REASON_LOCAL_HANGUP, "local-hangup"),
    G_DEFINE_ENUM_VALUE (SDES_CALL_END_REASON_REMOTE_HANGUP, "remote-hangup"),
    G_DEFINE_ENUM_VALUE (SDES_CALL_END_REASON_REJECTED, "rejected"),
    G_DEFINE_ENUM_VALUE (SDES_CALL_END_REASON_NOT_ACCEPTABLE, "not-acceptable"),
    G_DEFINE_ENUM_VALUE (SDES_CALL_END_REASON_NO_RESPONSE, "no-response"),
    G_DEFINE_ENUM_VALUE (SDES_CALL_END_REASON_ACK_TIMEOUT, "ack-timeout"),
    G_DEFINE_ENUM_VALUE (SDES_CALL_END_REASON_TLS_FAILED, "tls-failed"),
    G_DEFINE_ENUM_VALUE (SDES_CALL_END_REASON_TRANSPORT_ERROR, "transport-error"),
    G_DEFINE_ENUM_VALUE (SDES_CALL_END_REASON_SHUTDOWN, "shutdown"))

GParamSpec *_sdes_call_props[SDES_CALL_N_PROPS];
guint _sdes_call_signals[SDES_CALL_N_SIGNALS];

#define props _sdes_call_props
#define signals _sdes_call_signals

G_DEFINE_TYPE (SdesCall, sdes_call, G_TYPE_OBJECT)

/* ------------------------------------------------------------------------- */
/* State shared by the call's files                                           */
/* ------------------------------------------------------------------------- */

void
_sdes_call_set_state (SdesCall *self, SdesCallState state)
{
  if (self->state == state)
    return;
  self->state = state;
  g_object_notify_by_pspec (G_OBJECT (self), props[SDES_CALL_PROP_STATE]);
  g_signal_emit (self, signals[SDES_CALL_SIGNAL_STATE_CHANGED], 0, state);
}

void
_sdes_call_set_sdp (SdesCall *self, gchar **slot, const gchar *sdp, guint prop)
{
  sdes_crypto_free_secret (*slot);
  *slot = g_strdup (sdp);
  g_object_notify_by_pspec (G_OBJECT (self), props[prop]);
}

static void
call_update_secure (SdesCall *self, GPtrArray *media)
{
  gboolean secure = FALSE, any = FALSE;

  /* The call is secure when every active stream is SRTP. */
  for (guint i = 0; media && i < media->len; i++) {
    SdesMediaDescription *d = g_ptr_array_index (media, i);
    if (!d->active || d->media_type == SDES_MEDIA_TYPE_IMAGE)
      continue;
    if (!any)
      secure = TRUE;
    any = TRUE;
    secure = secure && d->secure;
  }
  if (secure != self->secure) {
    self->secure = secure;
    g_object_notify_by_pspec (G_OBJECT (self), props[SDES_CALL_PROP_SECURE]);
    g_signal_emit (self, signals[SDES_CALL_SIGNAL_SECURE_CHANGED], 0, secure);
  }
}

/* The media of @tag ("" or NULL: the dialog of an incoming call, or the one
 * a tag-less 2xx made) as the session last announced them. */
GPtrArray *
_sdes_call_dialog_media (SdesCall *self, const gchar *tag)
{
  return g_hash_table_lookup (self->dialog_media, tag ? tag : "");
}

void
_sdes_call_emit_media (SdesCall *self, const gchar *tag, gboolean update)
{
  g_autoptr(GPtrArray) media = NULL;

  media = _sdes_call_dialog_media (self, tag);
  if (media == NULL)
    return;
  /* A handler may make the session announce new media (re-offer). */
  g_ptr_array_ref (media);
  call_update_secure (self, media);
  if (!self->media_ready_sent && !update) {
    self->media_ready_sent = TRUE;
    g_signal_emit (self, signals[SDES_CALL_SIGNAL_MEDIA_READY], 0, media);
  } else {
    g_signal_emit (self, signals[SDES_CALL_SIGNAL_MEDIA_UPDATED], 0, media);
  }
}

void
_sdes_call_end (SdesCall *self, SdesCallEndReason why, guint status, const gchar *reason)
{
  g_autoptr(SdesCall) keep = g_object_ref (self);

  if (self->state == SDES_CALL_STATE_ENDED)
    return;
  _sdes_call_stop_ack_timer (self);
  _sdes_call_stop_tls_grace (self);
  self->end_reason = why;
  g_object_notify_by_pspec (G_OBJECT (self), props[SDES_CALL_PROP_END_REASON]);
  _sdes_call_set_state (self, SDES_CALL_STATE_ENDED);
  g_signal_emit (self, signals[SDES_CALL_SIGNAL_ENDED], 0, status, reason ? reason : "");
  if (self->host != NULL)
    self->host_iface->call_ended (self->host, self);
}

/* Sofia's payload is not NUL-terminated: the body is copied. */
gchar *
_sdes_call_dup_sdp (sip_t const *sip)
{
  if (sip == NULL || sip->sip_payload == NULL || sip->sip_payload->pl_len == 0)
    return NULL;
  if (sip->sip_content_type != NULL && sip->sip_content_type->c_type != NULL &&
      g_ascii_strcasecmp (sip->sip_content_type->c_type, "application/sdp") != 0)
    return NULL;
  return g_strndup (sip->sip_payload->pl_data, sip->sip_payload->pl_len);
}

gchar *
_sdes_call_warning (SdesCall *self, const gchar *text)
{
  /* RFC 3261 §20.43: warn-code SP warn-agent SP warn-text. The engine may
   * hand back a whole value ("399 srtpsdes \"...\"") or a bare text. */
  if (text != NULL && g_ascii_isdigit (text[0]))
    return g_strdup (text);
  return g_strdup_printf ("399 %s \"%s\"",
                          self->warn_agent ? self->warn_agent : SDES_ENGINE_DEFAULT_WARN_AGENT,
                          text ? text : "Incompatible media format");
}

/* Cisco Table 44: signaling counts as secure only on sips: (or an explicit
 * transport=tls), i.e. TLS end to end. */
gboolean
_sdes_call_uri_is_secure (const gchar *uri)
{
  g_autofree gchar *lower = g_ascii_strdown (uri, -1);

  if (g_str_has_prefix (lower, "sips:"))
    return TRUE;
  return strstr (lower, ";transport=tls") != NULL;
}

/* _sdes_session_set_properties:
 * @session: a #SdesSession
 * @first_name: the first property name, then its value, ..., %NULL
 *
 * g_object_set() that sets nothing unless every name is a property of the
 * session: a misspelled name is a g_critical() (a programming error, as
 * g_return_val_if_fail() reports them) and %FALSE, never silently ignored.
 *
 * Returns: %TRUE when every property was set.
 */
gboolean
_sdes_session_set_properties (SdesSession *session, const gchar *first_name, ...)
{
  GObjectClass *klass = G_OBJECT_GET_CLASS (session);
  g_autoptr(GPtrArray) names = g_ptr_array_new ();
  g_autoptr(GArray) values = g_array_new (FALSE, TRUE, sizeof (GValue));
  gboolean ok = TRUE;
  va_list ap;

  g_array_set_clear_func (values, (GDestroyNotify) g_value_unset);
  va_start (ap, first_name);
  for (const gchar *name = first_name; name != NULL; name = va_arg (ap, const gchar *)) {
    GParamSpec *pspec = g_object_class_find_property (klass, name);
    g_autofree gchar *error = NULL;
    GValue *value;

    if (pspec == NULL) {
      g_critical ("%s has no property \"%s\"", G_OBJECT_CLASS_NAME (klass), name);
      ok = FALSE;
      break;
    }
    g_array_set_size (values, values->len + 1);
    value = &g_array_index (values, GValue, values->len - 1);
    G_VALUE_COLLECT_INIT (value, pspec->value_type, ap, 0, &error);
    if (error != NULL) {
      g_critical ("%s: %s", name, error);
      ok = FALSE;
      break;
    }
    g_ptr_array_add (names, (gpointer) name);
  }
  va_end (ap);
  if (ok)
    g_object_setv (G_OBJECT (session), names->len, (const gchar **) names->pdata,
                   (const GValue *) values->data);
  return ok;
}

static void
on_media_changed (SdesSession *session, const gchar *tag, GPtrArray *media, SdesCall *self)
{
  g_hash_table_replace (self->dialog_media, g_strdup (tag ? tag : ""),
                        g_ptr_array_ref (media));
}

static void
on_dialog_released (SdesSession *session, const gchar *tag, SdesCall *self)
{
  g_hash_table_remove (self->dialog_media, tag ? tag : "");
  /* A losing fork's keys are gone (Cisco "Signaling Forking"); its packets
   * now fail authentication and are dropped by the media side. */
  g_signal_emit (self, signals[SDES_CALL_SIGNAL_EARLY_MEDIA_RELEASED], 0, tag);
}

static void
call_disconnect_session (SdesCall *self)
{
  if (self->session == NULL)
    return;
  g_signal_handler_disconnect (self->session, self->released_id);
  g_signal_handler_disconnect (self->session, self->media_changed_id);
  g_clear_object (&self->session);
}

/* Gives the call a fresh negotiation state for a new target (initial call,
 * 3xx Contact): @policy, signaling security from the target's scheme, and
 * the owner's settings. Cisco Table 44 is the session's to enforce. */
void
_sdes_call_reset_session (SdesCall *self, SdesSrtpPolicy policy, gboolean secure_signaling)
{
  call_disconnect_session (self);
  g_hash_table_remove_all (self->dialog_media);
  self->session = sdes_session_new ();
  self->media_changed_id = g_signal_connect (self->session, "media-changed",
                                             G_CALLBACK (on_media_changed), self);
  self->released_id = g_signal_connect (self->session, "dialog-released",
                                        G_CALLBACK (on_dialog_released), self);
  self->policy = policy;
  self->secure_signaling = secure_signaling;
  _sdes_session_set_properties (self->session,
                                "policy", policy,
                                "secure-signaling", secure_signaling,
                                "require-secure-signaling", self->require_secure_signaling,
                                "offer-style", self->offer_style,
                                NULL);
  if (self->suites != NULL)
    _sdes_session_set_properties (self->session, "suites", self->suites, NULL);
  if (self->warn_agent != NULL)
    _sdes_session_set_properties (self->session, "warn-agent", self->warn_agent, NULL);
}

/* ------------------------------------------------------------------------- */
/* Construction (owner side, sdes-call-private.h)                             */
/* ------------------------------------------------------------------------- */

static SdesCall *
call_new (GObject *host, const SdesCallHost *iface, const SdesCallConfig *config)
{
  SdesCall *self = g_object_new (SDES_TYPE_CALL, NULL);

  self->host = host;
  self->host_iface = iface;
  g_object_add_weak_pointer (host, (gpointer *) &self->host);
  self->base_policy = config->policy;
  self->require_secure_signaling = config->require_secure_signaling;
  self->offer_style = config->offer_style;
  self->suites = g_strdupv (config->suites);
  self->warn_agent = g_strdup (config->warn_agent);
  self->local = config->local ? sdes_local_media_ref (config->local) : NULL;
  self->context = config->context ? g_main_context_ref (config->context) : NULL;
  return self;
}

SdesCall *
_sdes_call_new_outgoing (GObject *host, const SdesCallHost *iface,
                         const SdesCallConfig *config, const gchar *to_uri)
{
  SdesCall *self = call_new (host, iface, config);

  self->remote_uri = g_strdup (to_uri);
  self->to_uri = g_strdup (to_uri);
  _sdes_call_reset_session (self, config->policy, _sdes_call_uri_is_secure (to_uri));
  return self;
}

SdesCall *
_sdes_call_new_incoming (GObject *host, const SdesCallHost *iface,
                         const SdesCallConfig *config, nua_handle_t *nh)
{
  SdesCall *self = call_new (host, iface, config);

  self->incoming = TRUE;
  self->nh = nh;
  nua_handle_bind (nh, self);
  /* Signaling security is known from the INVITE's Request-URI. */
  _sdes_call_reset_session (self, config->policy, FALSE);
  return self;
}

void
_sdes_call_shutdown (SdesCall *self)
{
  if (self->nh != NULL && self->state != SDES_CALL_STATE_ENDED) {
    if (self->state == SDES_CALL_STATE_INCOMING)
      nua_respond (self->nh, SIP_503_SERVICE_UNAVAILABLE, TAG_END ());
    else if (self->state == SDES_CALL_STATE_ACTIVE)
      nua_bye (self->nh, TAG_END ());
    else
      nua_cancel (self->nh, TAG_END ());
  }
  _sdes_call_end (self, SDES_CALL_END_REASON_SHUTDOWN, 503, "Agent shut down");
}

/* ------------------------------------------------------------------------- */
/* Events                                                                     */
/* ------------------------------------------------------------------------- */

/* nua_i_state: the INVITE usage is ready (the ACK came) or terminated. */
static void
call_handle_call_state (SdesCall *self, int status, char const *phrase, tagi_t tags[])
{
  int cs = -1;

  tl_gets (tags, NUTAG_CALLSTATE_REF (cs), TAG_END ());
  if (cs == nua_callstate_ready && self->incoming &&
      self->state == SDES_CALL_STATE_INCOMING) {
    _sdes_call_stop_ack_timer (self);
    _sdes_call_set_state (self, SDES_CALL_STATE_ACTIVE);
    /* Late offer: the media are known once the ACK's answer is in. */
    if (!self->late_offer)
      _sdes_call_emit_media (self, self->confirmed_tag, FALSE);
  } else if (cs == nua_callstate_terminated) {
    if (self->tls_grace != NULL)
      return;   /* the failure's end waits for the TLS log (sdes-call-outgoing.c) */
    if (status >= 300)
      _sdes_call_end (self, SDES_CALL_END_REASON_REJECTED, status, phrase);
    else
      _sdes_call_end (self, SDES_CALL_END_REASON_REMOTE_HANGUP, 200, phrase);
  }
}

/* The 64*T1 wait for the ACK of a 2xx sent without retransmissions (see
 * sdes_call_accept()): RFC 3261 §13.3.1.4, the session is ended with BYE.
 * Sofia's default T1 (500 ms) is the agent's. */
#define CALL_ACK_WAIT_S 32

static gboolean
call_ack_timeout (gpointer data)
{
  SdesCall *self = data;
  g_autoptr(SdesCall) keep = g_object_ref (self);

  g_clear_pointer (&self->ack_timer, g_source_unref);
  if (self->incoming && self->state == SDES_CALL_STATE_INCOMING &&
      self->pending_answer == NULL) {
    nua_bye (self->nh, TAG_END ());
    _sdes_call_end (self, SDES_CALL_END_REASON_ACK_TIMEOUT, 408, "ACK Timeout");
  }
  return G_SOURCE_REMOVE;
}

void
_sdes_call_start_ack_timer (SdesCall *self)
{
  _sdes_call_stop_ack_timer (self);
  self->ack_timer = g_timeout_source_new_seconds (CALL_ACK_WAIT_S);
  g_source_set_name (self->ack_timer, "[srtpsdes] ACK wait");
  g_source_set_callback (self->ack_timer, call_ack_timeout, self, NULL);
  g_source_attach (self->ack_timer, self->context);
}

void
_sdes_call_stop_ack_timer (SdesCall *self)
{
  if (self->ack_timer != NULL) {
    g_source_destroy (self->ack_timer);
    g_clear_pointer (&self->ack_timer, g_source_unref);
  }
}

/* nua_i_error: RFC 3261 §13.3.1.4: we sent the 2xx and no ACK came within
 * 64*T1. nua reports 408 "ACK Timeout" here, then BYEs the dialog itself;
 * the call ends now, telling the application it was not a hang-up. */
static void
call_handle_error (SdesCall *self, int status, char const *phrase)
{
  if (status == 408 && self->incoming && self->state == SDES_CALL_STATE_INCOMING &&
      self->pending_answer == NULL)
    _sdes_call_end (self, SDES_CALL_END_REASON_ACK_TIMEOUT, 408,
                    phrase && *phrase ? phrase : "ACK Timeout");
}

void
_sdes_call_handle_event (SdesCall *self, nua_event_t event, int status,
                         char const *phrase, nua_handle_t *nh,
                         sip_t const *sip, tagi_t tags[])
{
  if (nh != self->nh)
    return;   /* a handle we already dropped (fallback, redirect) */

  switch (event) {
    case nua_r_invite:
      if ((status == 401 || status == 407) && !self->reinvite_pending &&
          _sdes_call_authenticate (self, status, sip))
        break;
      _sdes_call_handle_invite_response (self, status, phrase, sip);
      break;

    case nua_i_invite:
      /* A re-INVITE inside our dialog. */
      if (self->state == SDES_CALL_STATE_ACTIVE)
        _sdes_call_handle_reinvite (self, sip);
      break;

    case nua_i_ack:
      _sdes_call_handle_ack (self, sip);
      break;

    case nua_i_state:
      call_handle_call_state (self, status, phrase, tags);
      break;

    case nua_i_error:
      call_handle_error (self, status, phrase);
      break;

    case nua_i_bye:
      _sdes_call_end (self, SDES_CALL_END_REASON_REMOTE_HANGUP, 200, "Hung up by peer");
      break;

    case nua_i_cancel:
      _sdes_call_end (self, SDES_CALL_END_REASON_REMOTE_HANGUP, 487, "Cancelled by caller");
      break;

    case nua_r_bye:
      if (status >= 200)
        _sdes_call_end (self, SDES_CALL_END_REASON_LOCAL_HANGUP, 200, "Hung up");
      break;

    case nua_i_refer:
      _sdes_call_handle_refer (self, sip, tags);
      break;

    case nua_i_notify:
      _sdes_call_handle_notify (self, sip);
      break;

    case nua_r_refer:
      /* 202 is the normal answer; the progress comes in NOTIFYs. */
      if (status >= 300)
        g_signal_emit (self, signals[SDES_CALL_SIGNAL_REFER_PROGRESS], 0, (guint) status,
                       phrase ? phrase : "");
      break;

    default:
      break;
  }
}

/* ------------------------------------------------------------------------- */
/* Public API                                                                 */
/* ------------------------------------------------------------------------- */

/**
 * sdes_call_get_state:
 * @call: a #SdesCall
 *
 * The value of #SdesCall:state.
 *
 * Returns: the current state.
 *
 * Since: 0.1
 */
SdesCallState
sdes_call_get_state (SdesCall *call)
{
  g_return_val_if_fail (SDES_IS_CALL (call), SDES_CALL_STATE_ENDED);
  return call->state;
}

/**
 * sdes_call_get_end_reason:
 * @call: a #SdesCall
 *
 * Why the call ended: unlike the status of #SdesCall::ended, this tells a
 * hang-up from an ACK that never came or a TLS handshake that failed.
 *
 * Returns: the #SdesCallEndReason, %SDES_CALL_END_REASON_NONE while the
 *   call has not ended.
 *
 * Since: 0.1
 */
SdesCallEndReason
sdes_call_get_end_reason (SdesCall *call)
{
  g_return_val_if_fail (SDES_IS_CALL (call), SDES_CALL_END_REASON_NONE);
  return call->end_reason;
}

/**
 * sdes_call_get_session:
 * @call: a #SdesCall
 *
 * A 3xx redirect gives the call a new session for the new target
 * (#SdesCall::redirected): do not keep the pointer across it.
 *
 * Returns: (transfer none): the negotiation state of the call.
 *
 * Since: 0.1
 */
SdesSession *
sdes_call_get_session (SdesCall *call)
{
  g_return_val_if_fail (SDES_IS_CALL (call), NULL);
  return call->session;
}

/**
 * sdes_call_get_remote_uri:
 * @call: a #SdesCall
 *
 * The value of #SdesCall:remote-uri.
 *
 * Returns: (nullable): the callee (outgoing) or caller (incoming) URI.
 *
 * Since: 0.1
 */
const gchar *
sdes_call_get_remote_uri (SdesCall *call)
{
  g_return_val_if_fail (SDES_IS_CALL (call), NULL);
  return call->remote_uri;
}

/**
 * sdes_call_is_secure:
 * @call: a #SdesCall
 *
 * The value of #SdesCall:secure.
 *
 * Returns: %TRUE when every active stream of the confirmed dialog is SRTP.
 *
 * Since: 0.1
 */
gboolean
sdes_call_is_secure (SdesCall *call)
{
  g_return_val_if_fail (SDES_IS_CALL (call), FALSE);
  return call->secure;
}

gboolean
_sdes_call_check_state (SdesCall *self, SdesCallState want, GError **error)
{
  if (self->state != want || self->nh == NULL) {
    g_autofree gchar *is = g_enum_to_string (SDES_TYPE_CALL_STATE, self->state);
    g_autofree gchar *wanted = g_enum_to_string (SDES_TYPE_CALL_STATE, want);

    g_set_error (error, SDES_AGENT_ERROR, SDES_AGENT_ERROR_WRONG_STATE,
                 "The call is %s, not %s", is, wanted);
    return FALSE;
  }
  return TRUE;
}

/**
 * sdes_call_accept:
 * @call: an incoming #SdesCall
 * @error: return location for a #GError
 *
 * Answers the INVITE with 200 and the engine's SDP answer.
 *
 * Errors: %SDES_AGENT_ERROR_WRONG_STATE (not an incoming call waiting for
 * an answer, or already accepted).
 *
 * Returns: %TRUE when the 200 was sent.
 *
 * Since: 0.1
 */
gboolean
sdes_call_accept (SdesCall *call, GError **error)
{
  g_return_val_if_fail (SDES_IS_CALL (call), FALSE);

  if (!_sdes_call_check_state (call, SDES_CALL_STATE_INCOMING, error))
    return FALSE;
  if (call->pending_answer == NULL) {
    g_set_error_literal (error, SDES_AGENT_ERROR, SDES_AGENT_ERROR_WRONG_STATE,
                         "The call was already accepted");
    return FALSE;
  }
  _sdes_call_set_sdp (call, &call->local_sdp, call->pending_answer, SDES_CALL_PROP_LOCAL_SDP);
  /* RFC 3261 §13.3.1.4: nta retransmits the 2xx until the ACK, on a
   * connection too. When a TLS caller has closed its connection, Sofia
   * opens a new one for each retransmission; the SSL objects it never
   * frees are freed by the agent (sdes-tls-reaper.c). */
  nua_respond (call->nh, SIP_200_OK,
               SIPTAG_CONTENT_TYPE_STR ("application/sdp"),
               SIPTAG_PAYLOAD_STR (call->pending_answer),
               TAG_END ());
  g_clear_pointer (&call->pending_answer, sdes_crypto_free_secret);
  return TRUE;
}

/**
 * sdes_call_reject:
 * @call: an incoming #SdesCall
 * @status: a final SIP status, 300..699 (e.g. 486, 603)
 * @reason: (nullable): the reason phrase; %NULL for the standard one. A 488
 *   or 606 also carries it in a Warning header (399, RFC 3261 §20.43).
 * @error: return location for a #GError
 *
 * Errors: %SDES_AGENT_ERROR_WRONG_STATE.
 *
 * Returns: %TRUE when the response was sent.
 *
 * Since: 0.1
 */
gboolean
sdes_call_reject (SdesCall *call, guint status, const gchar *reason, GError **error)
{
  g_return_val_if_fail (SDES_IS_CALL (call), FALSE);
  g_return_val_if_fail (status >= 300 && status <= 699, FALSE);

  if (!_sdes_call_check_state (call, SDES_CALL_STATE_INCOMING, error))
    return FALSE;
  if (reason == NULL)
    reason = sip_status_phrase (status) ? sip_status_phrase (status) : "Rejected";
  /* nua_respond() keeps the phrase pointer until its stack sends the
   * response, after this returns: an interned copy outlives the caller's. */
  reason = g_intern_string (reason);
  if (status == 488 || status == 606) {
    /* RFC 3261 §21.4.26, §21.6.4: a media refusal says why in a Warning. */
    g_autofree gchar *w = _sdes_call_warning (call, reason);

    nua_respond (call->nh, status, reason, SIPTAG_WARNING_STR (w), TAG_END ());
  } else {
    nua_respond (call->nh, status, reason, TAG_END ());
  }
  _sdes_call_end (call, SDES_CALL_END_REASON_LOCAL_HANGUP, status, reason);
  return TRUE;
}

/**
 * sdes_call_hangup:
 * @call: a #SdesCall
 * @error: return location for a #GError
 *
 * Sends BYE on an active call, CANCEL on a ringing outgoing call, or 603
 * on an incoming call not yet accepted. #SdesCall::ended follows.
 *
 * Errors: %SDES_AGENT_ERROR_WRONG_STATE (already ended).
 *
 * Returns: %TRUE when a request or response was sent.
 *
 * Since: 0.1
 */
gboolean
sdes_call_hangup (SdesCall *call, GError **error)
{
  g_return_val_if_fail (SDES_IS_CALL (call), FALSE);

  if (call->state == SDES_CALL_STATE_ENDED || call->nh == NULL) {
    g_set_error (error, SDES_AGENT_ERROR, SDES_AGENT_ERROR_WRONG_STATE,
                 "The call has ended");
    return FALSE;
  }
  switch (call->state) {
    case SDES_CALL_STATE_INCOMING:
      return sdes_call_reject (call, 603, NULL, error);
    case SDES_CALL_STATE_ACTIVE:
      nua_bye (call->nh, TAG_END ());
      break;
    default:
      call->cancelled = TRUE;
      nua_cancel (call->nh, TAG_END ());
      break;
  }
  return TRUE;
}

/* ------------------------------------------------------------------------- */
/* GObject                                                                    */
/* ------------------------------------------------------------------------- */

static void
sdes_call_init (SdesCall *self)
{
  self->state = SDES_CALL_STATE_IDLE;
  self->end_reason = SDES_CALL_END_REASON_NONE;
  g_queue_init (&self->redirect_targets);
  self->dialog_media = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                              (GDestroyNotify) g_ptr_array_unref);
  /* The constructors replace it with a configured one; never NULL, so
   * sdes_call_get_session() always has something. */
  _sdes_call_reset_session (self, SDES_SRTP_POLICY_OPTIONAL, FALSE);
}

static void
sdes_call_finalize (GObject *object)
{
  SdesCall *self = SDES_CALL (object);

  _sdes_call_stop_ack_timer (self);
  _sdes_call_stop_tls_grace (self);
  _sdes_call_drop_handle (self);
  _sdes_call_release_transfer (self);
  call_disconnect_session (self);
  if (self->host != NULL)
    g_object_remove_weak_pointer (self->host, (gpointer *) &self->host);
  g_hash_table_unref (self->dialog_media);
  g_clear_pointer (&self->local, sdes_local_media_unref);
  sdes_crypto_free_secret (self->pending_answer);
  sdes_crypto_free_secret (self->local_sdp);
  sdes_crypto_free_secret (self->remote_sdp);
  g_free (self->remote_uri);
  g_free (self->to_uri);
  g_free (self->confirmed_tag);
  g_free (self->refer_event);
  g_strfreev (self->suites);
  g_free (self->warn_agent);
  g_clear_pointer (&self->context, g_main_context_unref);
  g_queue_clear_full (&self->redirect_targets, g_free);

  G_OBJECT_CLASS (sdes_call_parent_class)->finalize (object);
}

static void
sdes_call_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  SdesCall *self = SDES_CALL (object);

  switch (prop_id) {
    case SDES_CALL_PROP_STATE: g_value_set_enum (value, self->state); break;
    case SDES_CALL_PROP_REMOTE_URI: g_value_set_string (value, self->remote_uri); break;
    case SDES_CALL_PROP_INCOMING: g_value_set_boolean (value, self->incoming); break;
    case SDES_CALL_PROP_SECURE: g_value_set_boolean (value, self->secure); break;
    case SDES_CALL_PROP_LOCAL_SDP: g_value_set_string (value, self->local_sdp); break;
    case SDES_CALL_PROP_REMOTE_SDP: g_value_set_string (value, self->remote_sdp); break;
    case SDES_CALL_PROP_INVITES_SENT: g_value_set_uint (value, self->invites_sent); break;
    case SDES_CALL_PROP_END_REASON: g_value_set_enum (value, self->end_reason); break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
  }
}

static void
call_install_properties (GObjectClass *object_class)
{
  /**
   * SdesCall:state:
   *
   * Where the call is in its life (#SdesCallState); changes are also
   * announced by #SdesCall::state-changed.
   *
   * Since: 0.1
   */
  props[SDES_CALL_PROP_STATE] =
      g_param_spec_enum ("state", NULL, "Call state", SDES_TYPE_CALL_STATE,
                         SDES_CALL_STATE_IDLE, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  /**
   * SdesCall:remote-uri:
   *
   * The callee of an outgoing call, or the caller of an incoming one.
   *
   * Since: 0.1
   */
  props[SDES_CALL_PROP_REMOTE_URI] =
      g_param_spec_string ("remote-uri", NULL, "Callee or caller URI", NULL,
                           G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  /**
   * SdesCall:incoming:
   *
   * %TRUE when the peer placed the call.
   *
   * Since: 0.1
   */
  props[SDES_CALL_PROP_INCOMING] =
      g_param_spec_boolean ("incoming", NULL, "The peer called us", FALSE,
                            G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  /**
   * SdesCall:secure:
   *
   * %TRUE when every active stream of the confirmed dialog is SRTP.
   *
   * Since: 0.1
   */
  props[SDES_CALL_PROP_SECURE] =
      g_param_spec_boolean ("secure", NULL, "Every active stream is SRTP", FALSE,
                            G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  /**
   * SdesCall:local-sdp:
   *
   * The last SDP body this call sent. It contains key material: never log it
   * (use sdes_crypto_redact_text()).
   *
   * Since: 0.1
   */
  props[SDES_CALL_PROP_LOCAL_SDP] =
      g_param_spec_string ("local-sdp", NULL, "Last SDP sent (contains keys)", NULL,
                           G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  /**
   * SdesCall:remote-sdp:
   *
   * The last SDP body this call received. It contains key material.
   *
   * Since: 0.1
   */
  props[SDES_CALL_PROP_REMOTE_SDP] =
      g_param_spec_string ("remote-sdp", NULL, "Last SDP received (contains keys)", NULL,
                           G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  /**
   * SdesCall:invites-sent:
   *
   * How many INVITEs with a new offer this call has sent: the initial
   * INVITE, its retries with a new offer, and re-INVITEs.
   *
   * Since: 0.1
   */
  props[SDES_CALL_PROP_INVITES_SENT] =
      g_param_spec_uint ("invites-sent", NULL, "INVITEs (with new offers) sent by this call",
                         0, G_MAXUINT, 0, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  /**
   * SdesCall:end-reason:
   *
   * Why the call ended (%SDES_CALL_END_REASON_NONE until then); set before
   * #SdesCall::ended is emitted. See #SdesCallEndReason.
   *
   * Since: 0.1
   */
  props[SDES_CALL_PROP_END_REASON] =
      g_param_spec_enum ("end-reason", NULL, "Why the call ended", SDES_TYPE_CALL_END_REASON,
                         SDES_CALL_END_REASON_NONE, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, SDES_CALL_N_PROPS, props);
}

static guint
call_signal_new (SdesCallClass *klass, const gchar *name, guint n_params, ...)
{
  va_list ap;
  guint id;

  va_start (ap, n_params);
  id = g_signal_new_valist (name, G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, NULL,
                            NULL, NULL, NULL, G_TYPE_NONE, n_params, ap);
  va_end (ap);
  return id;
}

/* Life cycle and media signals. */
static void
call_install_signals (SdesCallClass *klass)
{
  /**
   * SdesCall::state-changed:
   * @call: the call
   * @state: the new #SdesCallState
   *
   * #SdesCall:state changed (emitted with no lock held).
   *
   * Since: 0.1
   */
  signals[SDES_CALL_SIGNAL_STATE_CHANGED] =
      call_signal_new (klass, "state-changed", 1, SDES_TYPE_CALL_STATE);
  /**
   * SdesCall::early-media:
   * @call: the call
   * @to_tag: the early dialog (fork) that answered in an 18x
   * @media: (element-type SdesMediaDescription): that fork's media and keys
   *
   * Each fork has its own keys (Cisco "Signaling Forking"); the 2xx
   * winner's are in #SdesCall::media-ready.
   *
   * Since: 0.1
   */
  signals[SDES_CALL_SIGNAL_EARLY_MEDIA] =
      call_signal_new (klass, "early-media", 2, G_TYPE_STRING, G_TYPE_PTR_ARRAY);
  /**
   * SdesCall::media-ready:
   * @call: the call
   * @media: (element-type SdesMediaDescription): one description per m-line
   *
   * The dialog is confirmed; configure the pipeline from @media.
   *
   * Since: 0.1
   */
  signals[SDES_CALL_SIGNAL_MEDIA_READY] =
      call_signal_new (klass, "media-ready", 1, G_TYPE_PTR_ARRAY);
  /**
   * SdesCall::media-updated:
   * @call: the call
   * @media: (element-type SdesMediaDescription): one description per m-line
   *
   * A re-INVITE changed the media (hold, resume, new address/port, rekey);
   * the *_key_changed and *_roc_reset flags say what to apply.
   *
   * Since: 0.1
   */
  signals[SDES_CALL_SIGNAL_MEDIA_UPDATED] =
      call_signal_new (klass, "media-updated", 1, G_TYPE_PTR_ARRAY);
  /**
   * SdesCall::secure-changed:
   * @call: the call
   * @secure: whether every active stream is now SRTP
   *
   * #SdesCall:secure changed: a re-INVITE added or dropped SRTP.
   *
   * Since: 0.1
   */
  signals[SDES_CALL_SIGNAL_SECURE_CHANGED] =
      call_signal_new (klass, "secure-changed", 1, G_TYPE_BOOLEAN);
  /**
   * SdesCall::ended:
   * @call: the call
   * @status: SIP status that ended the call (200 for a normal hangup)
   * @reason: reason phrase or description
   *
   * #SdesCall:end-reason says what happened (hang-up, ACK timeout, TLS
   * failure, ...).
   *
   * Since: 0.1
   */
  signals[SDES_CALL_SIGNAL_ENDED] =
      call_signal_new (klass, "ended", 2, G_TYPE_UINT, G_TYPE_STRING);
}

/* Transfer, redirect and forking signals. */
static void
call_install_dialog_signals (SdesCallClass *klass)
{
  /**
   * SdesCall::transfer-requested:
   * @call: the call
   * @target: the Refer-To URI
   *
   * The peer sent REFER (nua answered 202, the call sent NOTIFY 100
   * Trying). The agent then calls @target itself: #SdesCall::transfer-started
   * follows with the new call.
   *
   * Since: 0.1
   */
  signals[SDES_CALL_SIGNAL_TRANSFER_REQUESTED] =
      call_signal_new (klass, "transfer-requested", 1, G_TYPE_STRING);
  /**
   * SdesCall::transfer-started:
   * @call: the call that received REFER
   * @target_call: (transfer none): the new outgoing call to the Refer-To
   *   target, owned by the agent until it ends
   *
   * The agent started the blind transfer: @target_call has this call's
   * policy. Its outcome is reported to the referrer in NOTIFYs (200 OK once
   * it is answered, else its final status).
   *
   * Since: 0.1
   */
  signals[SDES_CALL_SIGNAL_TRANSFER_STARTED] =
      call_signal_new (klass, "transfer-started", 1, SDES_TYPE_CALL);
  /**
   * SdesCall::refer-progress:
   * @call: the call that sent REFER
   * @status: the status line of the referee's call to the target, from its
   *   NOTIFY (100, 180, 200, 486, ...), or the REFER's own failure status
   * @reason: its reason phrase
   *
   * Progress of a transfer this call asked for with sdes_call_refer()
   * (RFC 3515).
   *
   * Since: 0.1
   */
  signals[SDES_CALL_SIGNAL_REFER_PROGRESS] =
      call_signal_new (klass, "refer-progress", 2, G_TYPE_UINT, G_TYPE_STRING);
  /**
   * SdesCall::redirected:
   * @call: the call
   * @target: the Contact of a 3xx now being called
   *
   * Emitted before the new INVITE is sent; #SdesCall:remote-uri is @target
   * and sdes_call_get_session() returns a new session for it.
   *
   * Since: 0.1
   */
  signals[SDES_CALL_SIGNAL_REDIRECTED] =
      call_signal_new (klass, "redirected", 1, G_TYPE_STRING);
  /**
   * SdesCall::early-media-released:
   * @call: the call
   * @to_tag: (nullable): the early dialog (fork) whose keys were dropped
   *
   * Another fork's 2xx won (Cisco "Signaling Forking"): stop decrypting
   * @to_tag's early media; its packets now fail authentication.
   *
   * Since: 0.1
   */
  signals[SDES_CALL_SIGNAL_EARLY_MEDIA_RELEASED] =
      call_signal_new (klass, "early-media-released", 1, G_TYPE_STRING);
}

static void
sdes_call_class_init (SdesCallClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = sdes_call_finalize;
  object_class->get_property = sdes_call_get_property;
  call_install_properties (object_class);
  call_install_signals (klass);
  call_install_dialog_signals (klass);
}

