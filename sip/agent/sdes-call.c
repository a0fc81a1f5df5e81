/* srtpsdes — one SIP call (INVITE dialog) of a SdesAgent
 *
 * Copyright (C) 2026 srtpsdes developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/**
 * SECTION:sdes-call
 * @title: SdesCall
 * @short_description: an INVITE session whose SDP is negotiated by #SdesSession
 *
 * A #SdesCall is created by sdes_agent_call() or handed to the application
 * by #SdesAgent::incoming-call. It owns one Sofia nua handle (bound to the
 * call with nua_handle_bind(); released when the call is finalized) and one
 * #SdesSession that writes and reads every SDP body. The negotiated media
 * (#SdesMediaDescription per m-line: keys, addresses, ports) is published by
 * #SdesCall::early-media, #SdesCall::media-ready and #SdesCall::media-updated.
 *
 * Since: 0.1
 */

#include "sofia-decls.h"

#include <string.h>

G_DEFINE_ENUM_TYPE (SdesCallState, sdes_call_state,
    G_DEFINE_ENUM_VALUE (SDES_CALL_STATE_IDLE, "idle"),
    G_DEFINE_ENUM_VALUE (SDES_CALL_STATE_CALLING, "calling"),
    G_DEFINE_ENUM_VALUE (SDES_CALL_STATE_EARLY, "early"),
    G_DEFINE_ENUM_VALUE (SDES_CALL_STATE_INCOMING, "incoming"),
    G_DEFINE_ENUM_VALUE (SDES_CALL_STATE_ACTIVE, "active"),
    G_DEFINE_ENUM_VALUE (SDES_CALL_STATE_ENDED, "ended"))

struct _SdesCall
{
  GObject parent;

  SdesAgent *agent;             /* weak pointer */
  nua_handle_t *nh;             /* ours: destroyed on finalize */
  gboolean incoming;
  gchar *remote_uri;            /* current target (outgoing) or caller */
  gchar *to_uri;                /* To of our INVITEs: kept across 3xx */
  SdesCallState state;
  SdesSession *session;
  SdesLocalMedia *local;
  SdesSrtpPolicy policy;
  SdesSrtpPolicy base_policy;   /* as created; redirects start from it */
  gboolean secure_signaling;
  gboolean secure;
  gboolean fell_back;
  gboolean reinvite_pending;    /* we sent a re-INVITE */
  gboolean media_ready_sent;
  gboolean on_hold;
  gchar *pending_answer;        /* UAS: the answer sent with sdes_call_accept() */
  gchar *confirmed_tag;
  gchar *local_sdp;             /* last SDP body sent */
  gchar *remote_sdp;            /* last SDP body received */
  guint invites_sent;
  gulong released_id;           /* session::dialog-released */
  GQueue redirect_targets;      /* 3xx Contacts not tried yet (gchar*) */
  guint redirects;
  gint auth_attempts;
  gboolean late_offer;
  gboolean provisional_seen;    /* some 1xx came back for the current INVITE */          /* UAS: our offer is in the 200, the answer due in the ACK */
  gchar *refer_event;           /* REFER recipient: Event of our NOTIFYs */
  SdesCall *transfer_call;      /* REFER recipient: the call to the target */
};

/* RFC 3261 §8.1.3.4 leaves the limit to the UAC; loops of 3xx end here. */
#define MAX_REDIRECTS 5

enum
{
  PROP_0,
  PROP_STATE,
  PROP_REMOTE_URI,
  PROP_INCOMING,
  PROP_SECURE,
  PROP_LOCAL_SDP,
  PROP_REMOTE_SDP,
  PROP_INVITES_SENT,
  N_PROPS
};

static GParamSpec *props[N_PROPS];

enum
{
  SIGNAL_STATE_CHANGED,
  SIGNAL_EARLY_MEDIA,
  SIGNAL_MEDIA_READY,
  SIGNAL_MEDIA_UPDATED,
  SIGNAL_SECURE_CHANGED,
  SIGNAL_ENDED,
  SIGNAL_TRANSFER_REQUESTED,
  SIGNAL_TRANSFER_STARTED,
  SIGNAL_REFER_PROGRESS,
  SIGNAL_REDIRECTED,
  SIGNAL_EARLY_MEDIA_RELEASED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

G_DEFINE_TYPE (SdesCall, sdes_call, G_TYPE_OBJECT)

/* ------------------------------------------------------------------------- */

static void
call_set_state (SdesCall *self, SdesCallState state)
{
  if (self->state == state)
    return;
  self->state = state;
  g_object_notify_by_pspec (G_OBJECT (self), props[PROP_STATE]);
  g_signal_emit (self, signals[SIGNAL_STATE_CHANGED], 0, state);
}

static void
call_set_sdp (SdesCall *self, gchar **slot, const gchar *sdp, guint prop)
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
    g_object_notify_by_pspec (G_OBJECT (self), props[PROP_SECURE]);
    g_signal_emit (self, signals[SIGNAL_SECURE_CHANGED], 0, secure);
  }
}

static void
call_emit_media (SdesCall *self, const gchar *tag, gboolean update)
{
  g_autoptr(GPtrArray) media = sdes_session_get_media (self->session, tag);

  if (media == NULL)
    return;
  call_update_secure (self, media);
  if (!self->media_ready_sent && !update) {
    self->media_ready_sent = TRUE;
    g_signal_emit (self, signals[SIGNAL_MEDIA_READY], 0, media);
  } else {
    g_signal_emit (self, signals[SIGNAL_MEDIA_UPDATED], 0, media);
  }
}

static void
call_end (SdesCall *self, guint status, const gchar *reason)
{
  g_autoptr(SdesCall) keep = g_object_ref (self);

  if (self->state == SDES_CALL_STATE_ENDED)
    return;
  call_set_state (self, SDES_CALL_STATE_ENDED);
  g_signal_emit (self, signals[SIGNAL_ENDED], 0, status, reason ? reason : "");
  if (self->agent != NULL)
    _sdes_agent_forget_call (self->agent, self);
}

static const gchar *
sip_body_sdp (sip_t const *sip)
{
  /* Sofia's payload is not NUL-terminated: callers copy it. */
  if (sip == NULL || sip->sip_payload == NULL || sip->sip_payload->pl_len == 0)
    return NULL;
  if (sip->sip_content_type != NULL && sip->sip_content_type->c_type != NULL &&
      g_ascii_strcasecmp (sip->sip_content_type->c_type, "application/sdp") != 0)
    return NULL;
  return sip->sip_payload->pl_data;
}

static gchar *
sip_dup_sdp (sip_t const *sip)
{
  const gchar *data = sip_body_sdp (sip);
  return data ? g_strndup (data, sip->sip_payload->pl_len) : NULL;
}

static gchar *
warning_header (SdesCall *self, const gchar *text)
{
  /* RFC 3261 §20.43: warn-code SP warn-agent SP warn-text. The engine may
   * hand back a whole value ("399 srtpsdes \"...\"") or a bare text. */
  if (text != NULL && g_ascii_isdigit (text[0]))
    return g_strdup (text);
  return g_strdup_printf ("399 %s \"%s\"",
                          self->agent ? _sdes_agent_get_warn_host (self->agent)
                                      : SDES_ENGINE_DEFAULT_WARN_AGENT,
                          text ? text : "Incompatible media format");
}

/* Sends @sdp as the body of an INVITE on the current handle. */
static void
call_send_invite (SdesCall *self, const gchar *sdp)
{
  call_set_sdp (self, &self->local_sdp, sdp, PROP_LOCAL_SDP);
  self->invites_sent++;
  self->provisional_seen = FALSE;
  g_object_notify_by_pspec (G_OBJECT (self), props[PROP_INVITES_SENT]);
  nua_invite (self->nh,
              SIPTAG_CONTENT_TYPE_STR ("application/sdp"),
              SIPTAG_PAYLOAD_STR (sdp),
              TAG_END ());
}

static nua_handle_t *
call_new_handle (SdesCall *self, const gchar *to_uri)
{
  nua_t *nua = self->agent ? _sdes_agent_get_nua (self->agent) : NULL;
  g_autofree gchar *to = NULL;

  if (nua == NULL)
    return NULL;
  /* In <> so that URI parameters stay in the URI (RFC 3261 §20). */
  to = g_strdup_printf ("<%s>", self->to_uri ? self->to_uri : to_uri);
  /* RFC 3261 §8.1.3.4: a redirected request goes to the Contact but keeps
   * the original To. */
  /* NUTAG_RETRY_COUNT(0): nua must not re-send the INVITE by itself. Its
   * automatic 302 handling would send the same SDP to the first Contact,
   * where Cisco "Call Redirection" wants an offer per Contact scheme; digest
   * challenges are then answered by call_authenticate(). */
  return nua_handle (nua, self, NUTAG_URL (to_uri),
                     SIPTAG_TO_STR (to), NUTAG_RETRY_COUNT (0), TAG_END ());
}

/* Releases the current handle without letting nua report on it again. */
static void
call_drop_handle (SdesCall *self)
{
  if (self->nh == NULL)
    return;
  nua_handle_bind (self->nh, NULL);
  nua_handle_destroy (self->nh);
  self->nh = NULL;
}

/* ------------------------------------------------------------------------- */
/* Construction (agent side)                                                  */
/* ------------------------------------------------------------------------- */

static void
on_dialog_released (SdesSession *session, const gchar *tag, SdesCall *self)
{
  /* PEERS §2.3: a losing fork's keys are gone; its packets now fail
   * authentication and are dropped by the media side. */
  g_signal_emit (self, signals[SIGNAL_EARLY_MEDIA_RELEASED], 0, tag);
}

/* Gives the call a fresh negotiation state for a new target (initial call,
 * 3xx Contact): @policy, signaling security from the target's scheme. */
static void
call_reset_session (SdesCall *self, SdesSrtpPolicy policy, gboolean secure_signaling)
{
  if (self->session != NULL) {
    g_signal_handler_disconnect (self->session, self->released_id);
    g_clear_object (&self->session);
  }
  self->session = sdes_session_new ();
  self->released_id = g_signal_connect (self->session, "dialog-released",
                                        G_CALLBACK (on_dialog_released), self);
  self->policy = policy;
  self->secure_signaling = secure_signaling;
  g_object_set (self->session, "policy", policy, NULL);
  if (self->agent != NULL)
    _sdes_agent_configure_session (self->agent, self->session, secure_signaling);
}

SdesCall *
_sdes_call_new_outgoing (SdesAgent *agent, const gchar *to_uri, SdesLocalMedia *local,
                         SdesSrtpPolicy policy, gboolean secure_signaling)
{
  SdesCall *self = g_object_new (SDES_TYPE_CALL, NULL);

  self->agent = agent;
  g_object_add_weak_pointer (G_OBJECT (agent), (gpointer *) &self->agent);
  self->remote_uri = g_strdup (to_uri);
  self->to_uri = g_strdup (to_uri);
  self->local = sdes_local_media_ref (local);
  self->base_policy = policy;
  call_reset_session (self, policy, secure_signaling);
  return self;
}

SdesCall *
_sdes_call_new_incoming (SdesAgent *agent, nua_handle_t *nh)
{
  SdesCall *self = g_object_new (SDES_TYPE_CALL, NULL);
  SdesSrtpPolicy policy = SDES_SRTP_POLICY_OPTIONAL;
  SdesLocalMedia *local = _sdes_agent_get_local_media (agent);

  self->agent = agent;
  g_object_add_weak_pointer (G_OBJECT (agent), (gpointer *) &self->agent);
  self->incoming = TRUE;
  self->nh = nh;
  nua_handle_bind (nh, self);
  self->local = local ? sdes_local_media_ref (local) : NULL;
  g_object_get (agent, "srtp-policy", &policy, NULL);
  call_reset_session (self, policy, FALSE);
  return self;
}

gboolean
_sdes_call_start (SdesCall *self, GError **error)
{
  g_autoptr(GError) local_error = NULL;
  g_autoptr (SdesSecretText) offer = NULL;

  /* Cisco Table 44 is checked by the engine (it knows policy, signaling
   * security and require-secure-signaling); re-checked here so that the
   * rule holds even with an engine that has no such property. */
  if (self->policy == SDES_SRTP_POLICY_MANDATORY && !self->secure_signaling) {
    gboolean require = FALSE;
    g_object_get (self->agent, "require-secure-signaling", &require, NULL);
    if (require) {
      g_set_error (error, SDES_AGENT_ERROR, SDES_AGENT_ERROR_INSECURE_SIGNALING,
                   "Cisco Table 44: SRTP is mandatory and %s is not sips:, "
                   "no INVITE sent", self->remote_uri);
      return FALSE;
    }
  }

  offer = sdes_session_create_offer (self->session, self->local, &local_error);
  if (offer == NULL) {
    if (g_error_matches (local_error, SDES_ENGINE_ERROR, SDES_ENGINE_ERROR_INSECURE_SIGNALING))
      g_set_error (error, SDES_AGENT_ERROR, SDES_AGENT_ERROR_INSECURE_SIGNALING,
                   "Cisco Table 44: %s; no INVITE sent", local_error->message);
    else
      g_set_error (error, SDES_AGENT_ERROR, SDES_AGENT_ERROR_NEGOTIATION,
                   "Could not create the offer: %s", local_error->message);
    return FALSE;
  }

  self->nh = call_new_handle (self, self->remote_uri);
  if (self->nh == NULL) {
    g_set_error (error, SDES_AGENT_ERROR, SDES_AGENT_ERROR_NOT_STARTED,
                 "The agent is not running");
    return FALSE;
  }
  call_set_state (self, SDES_CALL_STATE_CALLING);
  call_send_invite (self, offer);
  return TRUE;
}

/* An initial INVITE: decide with the engine now, so that an unacceptable
 * offer (Cisco Table 46: 488) or a broken body is answered at once and the
 * application only sees calls it can accept. */
gboolean
_sdes_call_handle_initial_invite (SdesCall *self, int status, sip_t const *sip)
{
  g_autoptr (SdesSecretText) offer = sip_dup_sdp (sip);
  g_autoptr(GError) error = NULL;
  g_autofree gchar *warning = NULL;
  guint reject = 0;

  if (sip != NULL && sip->sip_from != NULL) {
    g_autofree gchar *from = url_as_string (NULL, sip->sip_from->a_url);
    self->remote_uri = g_strdup (from);
    if (from != NULL) {
      free (g_steal_pointer (&from));
    }
  }
  self->secure_signaling = sip != NULL && sip->sip_request != NULL &&
      sip->sip_request->rq_url->url_type == url_sips;
  if (self->agent != NULL)
    _sdes_agent_configure_session (self->agent, self->session, self->secure_signaling);

  if (self->local == NULL) {
    nua_respond (self->nh, SIP_500_INTERNAL_SERVER_ERROR, TAG_END ());
    call_end (self, 500, "No local media configured");
    return FALSE;
  }
  if (offer == NULL) {
    /* Late offer (RFC 3261 §13.2.1, RFC 3264 §4): the INVITE has no SDP, so
     * our offer goes into the 200 and the answer must come in the ACK. The
     * policy applies to our offer as to any other (Cisco Table 44 included). */
    self->pending_answer = sdes_session_create_offer (self->session, self->local, &error);
    if (self->pending_answer == NULL) {
      g_autofree gchar *w = warning_header (self, error->message);

      g_debug ("cannot make an offer for a late-offer INVITE: %s", w);
      nua_respond (self->nh, 488, "Not Acceptable Here", SIPTAG_WARNING_STR (w),
                   TAG_END ());
      call_end (self, 488, "No offer possible for an INVITE without SDP");
      return FALSE;
    }
    self->late_offer = TRUE;
    call_set_state (self, SDES_CALL_STATE_INCOMING);
    return TRUE;
  }
  call_set_sdp (self, &self->remote_sdp, offer, PROP_REMOTE_SDP);

  self->pending_answer = sdes_session_process_offer (self->session, self->local, offer,
                                                     &reject, &warning, &error);
  if (self->pending_answer == NULL) {
    g_autofree gchar *w = warning_header (self, warning ? warning
                                          : (error ? error->message : NULL));
    guint code = reject >= 400 ? reject : 488;

    g_debug ("refusing offer with %u: %s", code, w);
    nua_respond (self->nh, code, sip_status_phrase (code) ? sip_status_phrase (code)
                                                          : "Not Acceptable Here",
                 SIPTAG_WARNING_STR (w), TAG_END ());
    call_end (self, code, sip_status_phrase (code));
    return FALSE;
  }
  call_set_state (self, SDES_CALL_STATE_INCOMING);
  return TRUE;
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
  call_end (self, 503, "Agent shut down");
}

/* ------------------------------------------------------------------------- */
/* Events                                                                     */
/* ------------------------------------------------------------------------- */

/* PEERS §2.4 + Cisco "SRTP Offer and Answer Exchange": an SRTP offer refused
 * with 488 (also 415/606 seen in the field, and any other 4xx per the Cisco
 * text except authentication and request-pending) is retried once with the
 * RTP-only offer under the optional policy. nua has already ACKed the error
 * (RFC 3261 §17.1.1.3). */
static gboolean
call_try_fallback (SdesCall *self, int status)
{
  g_autoptr(GError) error = NULL;
  g_autoptr (SdesSecretText) offer = NULL;
  nua_handle_t *nh;

  if (self->fell_back || self->policy != SDES_SRTP_POLICY_OPTIONAL)
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
  nh = call_new_handle (self, self->remote_uri);
  if (nh == NULL)
    return FALSE;
  call_drop_handle (self);
  self->nh = nh;
  self->fell_back = TRUE;
  call_send_invite (self, offer);
  return TRUE;
}

/* Follows the next Contact of a 3xx (RFC 3261 §8.1.3.4), in the order the
 * Contacts were listed. Each target is a new request with a fresh session:
 * Cisco "Call Redirection": the offer depends on the Contact's scheme, so
 * secure signaling is re-evaluated (a sip: Contact under
 * require-secure-signaling gets the RTP offer under optional and no INVITE
 * under mandatory, Table 44); PEERS §2.15: a sips: Contact makes an optional
 * policy mandatory, there is no RTP fallback on a TLS dialog. */
static gboolean
call_try_next_target (SdesCall *self)
{
  g_autofree gchar *target = NULL;

  while ((target = g_queue_pop_head (&self->redirect_targets)) != NULL) {
    g_autoptr(GError) error = NULL;
    g_autoptr (SdesSecretText) offer = NULL;
    gboolean secure = _sdes_agent_uri_is_secure (target);
    SdesSrtpPolicy policy = self->base_policy;
    nua_handle_t *nh;

    if (secure && policy == SDES_SRTP_POLICY_OPTIONAL)
      policy = SDES_SRTP_POLICY_MANDATORY;
    call_reset_session (self, policy, secure);
    offer = sdes_session_create_offer (self->session, self->local, &error);
    if (offer == NULL) {
      g_debug ("not following redirect to %s: %s", target, error->message);
      g_clear_pointer (&target, g_free);
      continue;
    }
    nh = call_new_handle (self, target);
    if (nh == NULL)
      return FALSE;
    call_drop_handle (self);
    self->nh = nh;
    self->fell_back = FALSE;
    self->auth_attempts = 0;
    g_free (self->remote_uri);
    self->remote_uri = g_strdup (target);
    g_object_notify_by_pspec (G_OBJECT (self), props[PROP_REMOTE_URI]);
    g_signal_emit (self, signals[SIGNAL_REDIRECTED], 0, target);
    call_send_invite (self, offer);
    return TRUE;
  }
  return FALSE;
}

/* Queues the Contacts of a 3xx (only sip:/sips:, others cannot be called). */
static gboolean
call_follow_redirect (SdesCall *self, sip_t const *sip)
{
  if (sip == NULL || sip->sip_contact == NULL || self->redirects >= MAX_REDIRECTS)
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

static void
call_handle_invite_response (SdesCall *self, int status, char const *phrase,
                             sip_t const *sip)
{
  g_autoptr (SdesSecretText) sdp = sip_dup_sdp (sip);
  const gchar *tag = sip && sip->sip_to ? sip->sip_to->a_tag : NULL;
  g_autoptr(GError) error = NULL;

  if (status < 100)
    return;

  if (self->reinvite_pending) {
    /* Response to our re-INVITE (hold/resume). */
    if (status < 200)
      return;
    self->reinvite_pending = FALSE;
    if (status >= 300) {
      /* RFC 3264 §8: a rejected re-offer leaves the old session as it was. */
      sdes_session_cancel_offer (self->session);
      return;
    }
    if (sdp != NULL) {
      call_set_sdp (self, &self->remote_sdp, sdp, PROP_REMOTE_SDP);
      if (!sdes_session_process_answer (self->session, self->confirmed_tag, sdp, &error))
        g_warning ("bad answer to re-INVITE: %s", error->message);
      else
        call_emit_media (self, self->confirmed_tag, TRUE);
    }
    return;
  }

  if (status < 200) {
    self->provisional_seen = TRUE;
    if (status == 100 || sdp == NULL || tag == NULL)
      return;
    /* PEERS §2.3: every early dialog (To-tag) gets its own keys. */
    call_set_sdp (self, &self->remote_sdp, sdp, PROP_REMOTE_SDP);
    if (!sdes_session_process_answer (self->session, tag, sdp, &error)) {
      g_debug ("ignoring early answer from %s: %s", tag, error->message);
      return;
    }
    call_set_state (self, SDES_CALL_STATE_EARLY);
    {
      g_autoptr(GPtrArray) media = sdes_session_get_media (self->session, tag);
      if (media != NULL)
        g_signal_emit (self, signals[SIGNAL_EARLY_MEDIA], 0, tag, media);
    }
    return;
  }

  if (status < 300) {
    gboolean ok = TRUE;

    if (sdp != NULL) {
      call_set_sdp (self, &self->remote_sdp, sdp, PROP_REMOTE_SDP);
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
      call_end (self, 488, msg);
      return;
    }
    g_free (self->confirmed_tag);
    self->confirmed_tag = g_strdup (tag);
    call_set_state (self, SDES_CALL_STATE_ACTIVE);
    call_emit_media (self, tag, FALSE);
    return;
  }

  if (status < 400 && call_follow_redirect (self, sip))
    return;
  if (call_try_fallback (self, status))
    return;
  /* This target failed; the next Contact of the last 3xx may not. */
  if (call_try_next_target (self))
    return;
  if (status == 408 && self->secure_signaling && !self->provisional_seen) {
    /* Sofia 1.12.11 drops a TLS connection whose handshake failed (peer
     * certificate not trusted, tls-verify) without telling the transaction,
     * which then times out: say so instead of a bare timeout. */
    call_end (self, status, "Request Timeout: no response over TLS "
              "(is the peer's certificate trusted?)");
    return;
  }
  call_end (self, status, phrase);
}

static void
call_handle_reinvite (SdesCall *self, sip_t const *sip)
{
  g_autoptr (SdesSecretText) offer = sip_dup_sdp (sip);
  g_autoptr(GError) error = NULL;
  g_autofree gchar *warning = NULL;
  g_autoptr (SdesSecretText) answer = NULL;
  guint reject = 0;

  if (offer == NULL) {
    /* PEERS §2.2: an SDP-less re-INVITE gets our current offer, never a
     * downgrade; the answer comes in the ACK. */
    g_autoptr (SdesSecretText) reoffer = sdes_session_create_offer (self->session, self->local, &error);
    if (reoffer == NULL) {
      nua_respond (self->nh, SIP_500_INTERNAL_SERVER_ERROR, TAG_END ());
      return;
    }
    call_set_sdp (self, &self->local_sdp, reoffer, PROP_LOCAL_SDP);
    nua_respond (self->nh, SIP_200_OK, SIPTAG_CONTENT_TYPE_STR ("application/sdp"),
                 SIPTAG_PAYLOAD_STR (reoffer), TAG_END ());
    return;
  }

  call_set_sdp (self, &self->remote_sdp, offer, PROP_REMOTE_SDP);
  answer = sdes_session_process_offer (self->session, self->local, offer, &reject,
                                       &warning, &error);
  if (answer == NULL) {
    g_autofree gchar *w = warning_header (self, warning ? warning
                                          : (error ? error->message : NULL));
    /* RFC 3264 §8: the old session stays; the peer learns why. */
    nua_respond (self->nh, reject >= 400 ? reject : 488, "Not Acceptable Here",
                 SIPTAG_WARNING_STR (w), TAG_END ());
    return;
  }
  call_set_sdp (self, &self->local_sdp, answer, PROP_LOCAL_SDP);
  nua_respond (self->nh, SIP_200_OK, SIPTAG_CONTENT_TYPE_STR ("application/sdp"),
               SIPTAG_PAYLOAD_STR (answer), TAG_END ());
  call_emit_media (self, self->confirmed_tag, TRUE);
}

/* RFC 3261 §22.2/§22.3: a digest challenge to the INVITE is answered from
 * the agent's credentials: the same offer goes again in a new INVITE with
 * Authorization (or Proxy-Authorization) made by Sofia's auth client. The
 * handles run with NUTAG_RETRY_COUNT(0) (see call_new_handle()), so nua
 * leaves this to us. Two attempts at most: a second challenge after our
 * credentials means they were refused, and the call ends with it. */
static gboolean
call_authenticate (SdesCall *self, int status, sip_t const *sip)
{
  msg_auth_t const *challenge = status == 401 ? (msg_auth_t const *) sip->sip_www_authenticate
                                              : (msg_auth_t const *) sip->sip_proxy_authenticate;
  msg_hclass_t *cred_class = status == 401 ? sip_authorization_class
                                           : sip_proxy_authorization_class;
  const gchar *user = NULL, *password = NULL;
  su_home_t *home;
  auth_client_t *auc = NULL;
  msg_header_t *headers = NULL;
  url_t *url;
  nua_handle_t *nh;
  gboolean ok = FALSE;

  if (sip == NULL || challenge == NULL || self->agent == NULL || self->local_sdp == NULL ||
      self->auth_attempts >= 2 ||
      !_sdes_agent_get_credentials (self->agent, &user, &password))
    return FALSE;

  home = su_home_new (sizeof (su_home_t));
  url = url_make (home, self->remote_uri);
  if (url != NULL &&
      auc_challenge (&auc, home, challenge, cred_class) > 0 &&
      auc_all_credentials (&auc, NULL, NULL, user, password) > 0 &&
      auc_authorization_headers (&auc, home, "INVITE", url, NULL, &headers) > 0 &&
      headers != NULL &&
      (nh = call_new_handle (self, self->remote_uri)) != NULL) {
    self->auth_attempts++;
    call_drop_handle (self);
    self->nh = nh;
    /* RFC 3261 §22.2: the retry keeps the Call-ID (nua gives the new
     * request a higher CSeq and its own branch). */
    nua_invite (self->nh,
                SIPTAG_CALL_ID (sip->sip_call_id),
                SIPTAG_HEADER ((sip_header_t const *) headers),
                SIPTAG_CONTENT_TYPE_STR ("application/sdp"),
                SIPTAG_PAYLOAD_STR (self->local_sdp),
                TAG_END ());
    ok = TRUE;
  }
  /* The home holds the user's password inside the auth client. */
  su_home_unref (home);
  return ok;
}

/* RFC 3264 §4 / RFC 3261 §13.2.1: the ACK of a late-offer call carries the
 * answer to the offer we sent in the 200. Without a usable one the dialog
 * exists but has no media: it is ended with BYE. */
static void
call_handle_late_answer (SdesCall *self, const gchar *sdp)
{
  g_autoptr(GError) error = NULL;
  gboolean ok;

  self->late_offer = FALSE;
  if (sdp == NULL) {
    g_set_error_literal (&error, SDES_AGENT_ERROR, SDES_AGENT_ERROR_NEGOTIATION,
                         "the ACK carries no SDP answer");
    ok = FALSE;
  } else {
    call_set_sdp (self, &self->remote_sdp, sdp, PROP_REMOTE_SDP);
    ok = sdes_session_process_answer (self->session, NULL, sdp, &error) &&
         sdes_session_confirm_dialog (self->session, NULL, &error);
  }
  if (!ok) {
    g_autofree gchar *msg = g_strdup_printf ("Unusable answer in ACK: %s", error->message);

    g_debug ("%s", msg);
    nua_bye (self->nh, TAG_END ());
    call_end (self, 488, msg);
    return;
  }
  if (self->state != SDES_CALL_STATE_ACTIVE)
    call_set_state (self, SDES_CALL_STATE_ACTIVE);
  call_emit_media (self, NULL, FALSE);
}

/* RFC 3515 §2.4.4 / RFC 3265: progress of the transfer call as a
 * message/sipfrag NOTIFY in the REFER's implicit subscription. */
static void
call_notify_transfer (SdesCall *self, guint status, const gchar *reason, gboolean final)
{
  g_autofree gchar *frag = NULL;

  if (self->nh == NULL || self->refer_event == NULL || self->state == SDES_CALL_STATE_ENDED)
    return;
  frag = g_strdup_printf ("SIP/2.0 %u %s\r\n", status, reason);
  nua_notify (self->nh,
              NUTAG_SUBSTATE (final ? nua_substate_terminated : nua_substate_active),
              SIPTAG_EVENT_STR (self->refer_event),
              SIPTAG_CONTENT_TYPE_STR ("message/sipfrag;version=2.0"),
              SIPTAG_PAYLOAD_STR (frag),
              TAG_END ());
  if (final)
    g_clear_pointer (&self->refer_event, g_free);
}

static void
on_transfer_state (SdesCall *target, SdesCallState state, SdesCall *self)
{
  if (state == SDES_CALL_STATE_ACTIVE)
    call_notify_transfer (self, 200, "OK", TRUE);
}

static void
on_transfer_ended (SdesCall *target, guint status, const gchar *reason, SdesCall *self)
{
  /* Ended before it was answered: the failure is the final progress. */
  if (self->refer_event != NULL)
    call_notify_transfer (self, status >= 300 ? status : 487,
                          reason && *reason ? reason : "Request Terminated", TRUE);
}

static void
call_release_transfer (SdesCall *self)
{
  if (self->transfer_call == NULL)
    return;
  g_signal_handlers_disconnect_by_data (self->transfer_call, self);
  g_clear_object (&self->transfer_call);
}

/* Blind transfer, recipient side (RFC 3515): nua accepted the REFER with
 * 202; the first NOTIFY (100 Trying) is ours. We call the Refer-To target
 * with this call's policy (PEERS §2.15: the new dialog inherits it, a sips:
 * target makes an optional policy mandatory; Cisco "Call Transfer": the
 * outbound configuration decides the SRTP offer) and report its outcome. */
static void
call_handle_refer (SdesCall *self, sip_t const *sip, tagi_t tags[])
{
  sip_refer_to_t const *rt = sip ? sip->sip_refer_to : NULL;
  sip_event_t const *event = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree gchar *target = NULL;
  SdesSrtpPolicy policy = self->base_policy;
  SdesCall *call;

  if (rt == NULL || self->agent == NULL)
    return;
  {
    char *uri = url_as_string (NULL, rt->r_url);
    if (uri == NULL)
      return;
    target = g_strdup (uri);
    free (uri);
  }
  tl_gets (tags, NUTAG_REFER_EVENT_REF (event), TAG_END ());
  g_free (self->refer_event);
  self->refer_event = event == NULL ? g_strdup ("refer")
                    : event->o_id ? g_strdup_printf ("%s;id=%s", event->o_type, event->o_id)
                    : g_strdup (event->o_type);

  /* RFC 3515 §2.4.4: the implicit subscription gets a NOTIFY at once; nua
   * answered 202 but sends none itself. */
  call_notify_transfer (self, 100, "Trying", FALSE);
  g_signal_emit (self, signals[SIGNAL_TRANSFER_REQUESTED], 0, target);
  if (_sdes_agent_uri_is_secure (target) && policy == SDES_SRTP_POLICY_OPTIONAL)
    policy = SDES_SRTP_POLICY_MANDATORY;
  call_release_transfer (self);
  call = _sdes_agent_call_with_policy (self->agent, target, policy, &error);
  if (call == NULL) {
    g_debug ("transfer to %s not started: %s", target, error->message);
    call_notify_transfer (self, 503, "Service Unavailable", TRUE);
    return;
  }
  self->transfer_call = call;
  g_signal_connect (call, "state-changed", G_CALLBACK (on_transfer_state), self);
  g_signal_connect (call, "ended", G_CALLBACK (on_transfer_ended), self);
  g_signal_emit (self, signals[SIGNAL_TRANSFER_STARTED], 0, call);
}

/* Blind transfer, sender side: the referee's NOTIFYs carry the status line
 * of its call to the target (message/sipfrag). */
static void
call_handle_notify (SdesCall *self, sip_t const *sip)
{
  g_autofree gchar *body = NULL;
  guint status = 0;
  gchar reason[64] = "";

  if (sip == NULL || sip->sip_payload == NULL || sip->sip_payload->pl_len == 0)
    return;
  if (sip->sip_event == NULL || g_ascii_strcasecmp (sip->sip_event->o_type, "refer") != 0)
    return;
  body = g_strndup (sip->sip_payload->pl_data, MIN (sip->sip_payload->pl_len, 256));
  if (sscanf (body, "SIP/2.0 %3u %63[^\r\n]", &status, reason) < 1 ||
      status < 100 || status > 699)
    return;
  g_signal_emit (self, signals[SIGNAL_REFER_PROGRESS], 0, status, reason);
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
          call_authenticate (self, status, sip))
        break;
      call_handle_invite_response (self, status, phrase, sip);
      break;

    case nua_i_invite:
      /* A re-INVITE inside our dialog. */
      if (self->state == SDES_CALL_STATE_ACTIVE)
        call_handle_reinvite (self, sip);
      break;

    case nua_i_ack: {
      g_autoptr (SdesSecretText) sdp = sip_dup_sdp (sip);
      g_autoptr(GError) error = NULL;

      if (self->late_offer) {
        call_handle_late_answer (self, sdp);
        break;
      }
      if (sdp != NULL && sdes_session_has_pending_offer (self->session)) {
        call_set_sdp (self, &self->remote_sdp, sdp, PROP_REMOTE_SDP);
        if (sdes_session_process_answer (self->session, self->confirmed_tag, sdp, &error))
          call_emit_media (self, self->confirmed_tag, TRUE);
      }
      break;
    }

    case nua_i_state: {
      int cs = -1;

      tl_gets (tags, NUTAG_CALLSTATE_REF (cs), TAG_END ());
      if (cs == nua_callstate_ready && self->incoming &&
          self->state == SDES_CALL_STATE_INCOMING) {
        call_set_state (self, SDES_CALL_STATE_ACTIVE);
        /* Late offer: the media are known once the ACK's answer is in. */
        if (!self->late_offer)
          call_emit_media (self, self->confirmed_tag, FALSE);
      } else if (cs == nua_callstate_terminated) {
        call_end (self, status >= 300 ? (guint) status : 200, phrase);
      }
      break;
    }

    case nua_i_bye:
      call_end (self, 200, "Hung up by peer");
      break;

    case nua_i_cancel:
      call_end (self, 487, "Cancelled by caller");
      break;

    case nua_r_bye:
      if (status >= 200)
        call_end (self, 200, "Hung up");
      break;

    case nua_i_refer:
      call_handle_refer (self, sip, tags);
      break;

    case nua_i_notify:
      call_handle_notify (self, sip);
      break;

    case nua_r_refer:
      /* 202 is the normal answer; the progress comes in NOTIFYs. */
      if (status >= 300)
        g_signal_emit (self, signals[SIGNAL_REFER_PROGRESS], 0, (guint) status,
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

static gboolean
check_state (SdesCall *self, SdesCallState want, GError **error)
{
  if (self->state != want || self->nh == NULL) {
    g_set_error (error, SDES_AGENT_ERROR, SDES_AGENT_ERROR_WRONG_STATE,
                 "The call is %s, not %s",
                 g_enum_to_string (SDES_TYPE_CALL_STATE, self->state),
                 g_enum_to_string (SDES_TYPE_CALL_STATE, want));
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
 * Errors: %SDES_AGENT_ERROR_WRONG_STATE.
 *
 * Returns: %TRUE when the 200 was sent.
 *
 * Since: 0.1
 */
gboolean
sdes_call_accept (SdesCall *call, GError **error)
{
  g_return_val_if_fail (SDES_IS_CALL (call), FALSE);

  if (!check_state (call, SDES_CALL_STATE_INCOMING, error))
    return FALSE;
  call_set_sdp (call, &call->local_sdp, call->pending_answer, PROP_LOCAL_SDP);
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
 * @reason: (nullable): the reason phrase; %NULL for the standard one
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

  if (!check_state (call, SDES_CALL_STATE_INCOMING, error))
    return FALSE;
  if (reason == NULL)
    reason = sip_status_phrase (status) ? sip_status_phrase (status) : "Rejected";
  nua_respond (call->nh, status, reason, TAG_END ());
  call_end (call, status, reason);
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
      nua_cancel (call->nh, TAG_END ());
      break;
  }
  return TRUE;
}

static gboolean
call_reoffer (SdesCall *self, SdesDirection direction, GError **error)
{
  g_autoptr(GError) local_error = NULL;
  g_autoptr (SdesSecretText) offer = NULL;
  guint n;

  if (!check_state (self, SDES_CALL_STATE_ACTIVE, error))
    return FALSE;
  if (self->reinvite_pending) {
    g_set_error (error, SDES_AGENT_ERROR, SDES_AGENT_ERROR_WRONG_STATE,
                 "A re-INVITE is already in progress");
    return FALSE;
  }
  /* The session copies the local media, so the direction is set only for
   * this offer and the shared description is restored right after. */
  n = sdes_local_media_get_n_streams (self->local);
  for (guint i = 0; i < n; i++)
    sdes_local_media_set_direction (self->local, i, direction);
  offer = sdes_session_create_offer (self->session, self->local, &local_error);
  for (guint i = 0; i < n; i++)
    sdes_local_media_set_direction (self->local, i, SDES_DIRECTION_SENDRECV);
  if (offer == NULL) {
    g_set_error (error, SDES_AGENT_ERROR, SDES_AGENT_ERROR_NEGOTIATION,
                 "Could not create the re-offer: %s", local_error->message);
    return FALSE;
  }
  self->reinvite_pending = TRUE;
  self->on_hold = direction != SDES_DIRECTION_SENDRECV;
  call_send_invite (self, offer);
  return TRUE;
}

/**
 * sdes_call_hold:
 * @call: an active #SdesCall
 * @error: return location for a #GError
 *
 * Re-INVITEs with a=sendonly (RFC 3264 §8.4). The engine keeps the keys
 * unless the address or port changes (Cisco "Rekeying Rules").
 * #SdesCall::media-updated follows the answer.
 *
 * Errors: %SDES_AGENT_ERROR_WRONG_STATE, %SDES_AGENT_ERROR_NEGOTIATION.
 *
 * Returns: %TRUE when the re-INVITE was sent.
 *
 * Since: 0.1
 */
gboolean
sdes_call_hold (SdesCall *call, GError **error)
{
  g_return_val_if_fail (SDES_IS_CALL (call), FALSE);
  return call_reoffer (call, SDES_DIRECTION_SENDONLY, error);
}

/**
 * sdes_call_resume:
 * @call: an active #SdesCall
 * @error: return location for a #GError
 *
 * Re-INVITEs with a=sendrecv.
 *
 * Errors: %SDES_AGENT_ERROR_WRONG_STATE, %SDES_AGENT_ERROR_NEGOTIATION.
 *
 * Returns: %TRUE when the re-INVITE was sent.
 *
 * Since: 0.1
 */
gboolean
sdes_call_resume (SdesCall *call, GError **error)
{
  g_return_val_if_fail (SDES_IS_CALL (call), FALSE);
  return call_reoffer (call, SDES_DIRECTION_SENDRECV, error);
}

/**
 * sdes_call_refer:
 * @call: an active #SdesCall
 * @target: the transfer target URI
 * @error: return location for a #GError
 *
 * Sends REFER (blind transfer, RFC 3515). The referee's NOTIFYs are
 * reported by #SdesCall::refer-progress (100 Trying, then 200 OK or the
 * failure of its call to @target).
 *
 * Errors: %SDES_AGENT_ERROR_WRONG_STATE, %SDES_AGENT_ERROR_BAD_URI.
 *
 * Returns: %TRUE when the REFER was sent.
 *
 * Since: 0.1
 */
gboolean
sdes_call_refer (SdesCall *call, const gchar *target, GError **error)
{
  g_return_val_if_fail (SDES_IS_CALL (call), FALSE);
  g_return_val_if_fail (target != NULL, FALSE);

  if (!check_state (call, SDES_CALL_STATE_ACTIVE, error))
    return FALSE;
  if (!g_str_has_prefix (target, "sip:") && !g_str_has_prefix (target, "sips:")) {
    g_set_error (error, SDES_AGENT_ERROR, SDES_AGENT_ERROR_BAD_URI,
                 "Not a sip: or sips: URI: %s", target);
    return FALSE;
  }
  {
    /* RFC 3261 §20: without <>, ";transport=..." would be a header
     * parameter, not part of the target URI. */
    g_autofree gchar *refer_to = g_strdup_printf ("<%s>", target);
    nua_refer (call->nh, SIPTAG_REFER_TO_STR (refer_to), TAG_END ());
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
  g_queue_init (&self->redirect_targets);
  /* Outgoing and incoming constructors replace it with a configured one;
   * never NULL, so sdes_call_get_session() always has something. */
  call_reset_session (self, SDES_SRTP_POLICY_OPTIONAL, FALSE);
}

static void
sdes_call_finalize (GObject *object)
{
  SdesCall *self = SDES_CALL (object);

  call_drop_handle (self);
  call_release_transfer (self);
  if (self->session != NULL)
    g_signal_handler_disconnect (self->session, self->released_id);
  if (self->agent != NULL)
    g_object_remove_weak_pointer (G_OBJECT (self->agent), (gpointer *) &self->agent);
  g_clear_object (&self->session);
  g_clear_pointer (&self->local, sdes_local_media_unref);
  sdes_crypto_free_secret (self->pending_answer);
  sdes_crypto_free_secret (self->local_sdp);
  sdes_crypto_free_secret (self->remote_sdp);
  g_free (self->remote_uri);
  g_free (self->to_uri);
  g_free (self->confirmed_tag);
  g_free (self->refer_event);
  g_queue_clear_full (&self->redirect_targets, g_free);

  G_OBJECT_CLASS (sdes_call_parent_class)->finalize (object);
}

static void
sdes_call_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  SdesCall *self = SDES_CALL (object);

  switch (prop_id) {
    case PROP_STATE: g_value_set_enum (value, self->state); break;
    case PROP_REMOTE_URI: g_value_set_string (value, self->remote_uri); break;
    case PROP_INCOMING: g_value_set_boolean (value, self->incoming); break;
    case PROP_SECURE: g_value_set_boolean (value, self->secure); break;
    case PROP_LOCAL_SDP: g_value_set_string (value, self->local_sdp); break;
    case PROP_REMOTE_SDP: g_value_set_string (value, self->remote_sdp); break;
    case PROP_INVITES_SENT: g_value_set_uint (value, self->invites_sent); break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
  }
}

static void
sdes_call_class_init (SdesCallClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = sdes_call_finalize;
  object_class->get_property = sdes_call_get_property;

  props[PROP_STATE] =
      g_param_spec_enum ("state", NULL, "Call state", SDES_TYPE_CALL_STATE,
                         SDES_CALL_STATE_IDLE, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  props[PROP_REMOTE_URI] =
      g_param_spec_string ("remote-uri", NULL, "Callee or caller URI", NULL,
                           G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  props[PROP_INCOMING] =
      g_param_spec_boolean ("incoming", NULL, "The peer called us", FALSE,
                            G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  props[PROP_SECURE] =
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
  props[PROP_LOCAL_SDP] =
      g_param_spec_string ("local-sdp", NULL, "Last SDP sent (contains keys)", NULL,
                           G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  /**
   * SdesCall:remote-sdp:
   *
   * The last SDP body this call received. It contains key material.
   *
   * Since: 0.1
   */
  props[PROP_REMOTE_SDP] =
      g_param_spec_string ("remote-sdp", NULL, "Last SDP received (contains keys)", NULL,
                           G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  props[PROP_INVITES_SENT] =
      g_param_spec_uint ("invites-sent", NULL, "INVITEs (with new offers) sent by this call",
                         0, G_MAXUINT, 0, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, props);

  /**
   * SdesCall::state-changed:
   * @call: the call
   * @state: the new #SdesCallState
   *
   * Since: 0.1
   */
  signals[SIGNAL_STATE_CHANGED] =
      g_signal_new ("state-changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                    0, NULL, NULL, NULL, G_TYPE_NONE, 1, SDES_TYPE_CALL_STATE);
  /**
   * SdesCall::early-media:
   * @call: the call
   * @to_tag: the early dialog (fork) that answered in an 18x
   * @media: (element-type SdesMediaDescription): that fork's media and keys
   *
   * PEERS §2.3: each fork has its own keys; the 2xx winner's are in
   * #SdesCall::media-ready.
   *
   * Since: 0.1
   */
  signals[SIGNAL_EARLY_MEDIA] =
      g_signal_new ("early-media", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                    0, NULL, NULL, NULL, G_TYPE_NONE, 2, G_TYPE_STRING,
                    G_TYPE_PTR_ARRAY);
  /**
   * SdesCall::media-ready:
   * @call: the call
   * @media: (element-type SdesMediaDescription): one description per m-line
   *
   * The dialog is confirmed; configure the pipeline from @media.
   *
   * Since: 0.1
   */
  signals[SIGNAL_MEDIA_READY] =
      g_signal_new ("media-ready", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                    0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_PTR_ARRAY);
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
  signals[SIGNAL_MEDIA_UPDATED] =
      g_signal_new ("media-updated", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                    0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_PTR_ARRAY);
  /**
   * SdesCall::secure-changed:
   * @call: the call
   * @secure: whether every active stream is now SRTP
   *
   * Since: 0.1
   */
  signals[SIGNAL_SECURE_CHANGED] =
      g_signal_new ("secure-changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                    0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_BOOLEAN);
  /**
   * SdesCall::ended:
   * @call: the call
   * @status: SIP status that ended the call (200 for a normal hangup)
   * @reason: reason phrase or description
   *
   * Since: 0.1
   */
  signals[SIGNAL_ENDED] =
      g_signal_new ("ended", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                    0, NULL, NULL, NULL, G_TYPE_NONE, 2, G_TYPE_UINT, G_TYPE_STRING);
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
  signals[SIGNAL_TRANSFER_REQUESTED] =
      g_signal_new ("transfer-requested", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                    0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
  /**
   * SdesCall::transfer-started:
   * @call: the call that received REFER
   * @target_call: (transfer none): the new outgoing call to the Refer-To
   *   target, owned by the agent until it ends
   *
   * The agent started the blind transfer: @target_call has this call's
   * policy (PEERS §2.15). Its outcome is reported to the referrer in
   * NOTIFYs (200 OK once it is answered, else its final status).
   *
   * Since: 0.1
   */
  signals[SIGNAL_TRANSFER_STARTED] =
      g_signal_new ("transfer-started", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                    0, NULL, NULL, NULL, G_TYPE_NONE, 1, SDES_TYPE_CALL);
  /**
   * SdesCall::refer-progress:
   * @call: the call that sent REFER
   * @status: the status line of the referee's call to the target, from its
   *   NOTIFY (100, 180, 200, 486, ...), or the REFER's own failure status
   * @reason: its reason phrase
   *
   * Since: 0.1
   */
  signals[SIGNAL_REFER_PROGRESS] =
      g_signal_new ("refer-progress", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                    0, NULL, NULL, NULL, G_TYPE_NONE, 2, G_TYPE_UINT, G_TYPE_STRING);
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
  signals[SIGNAL_REDIRECTED] =
      g_signal_new ("redirected", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                    0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
  /**
   * SdesCall::early-media-released:
   * @call: the call
   * @to_tag: (nullable): the early dialog (fork) whose keys were dropped
   *
   * Another fork's 2xx won (PEERS §2.3, Cisco "Signaling Forking"): stop
   * decrypting @to_tag's early media; its packets now fail authentication.
   *
   * Since: 0.1
   */
  signals[SIGNAL_EARLY_MEDIA_RELEASED] =
      g_signal_new ("early-media-released", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                    0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
}
