/* srtpsdes — the SDES offer/answer engine: one SdesSession per call
 *
 * Copyright (C) 2026 srtpsdes developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The GObject and the public functions; the work is done by the role files
 * below it (sdes-session-private.h lists them). The rules implemented are
 * listed, with their source, in docs/negotiation.md. The short form:
 *   - Cisco "SIP Support for SRTP", Table 46 decides which m-line an answer
 *     accepts, and its Table 44 whether an offer may carry keys at all;
 *   - RFC 4568 §7.1 (SRTP offer/answer) decides which a=crypto line wins and
 *     what the answer's line looks like;
 *   - RFC 3264 decides m-line bookkeeping (same count and order, port 0).
 */

#include "sdes-session-private.h"

/**
 * sdes_engine_error_quark:
 *
 * The error domain of the offer/answer engine (#SDES_ENGINE_ERROR).
 *
 * Returns: the #GQuark of the domain.
 *
 * Since: 0.1
 */
G_DEFINE_QUARK (sdes-engine-error-quark, sdes_engine_error)

#define DEFAULT_POLICY SDES_SRTP_POLICY_OPTIONAL
#define DEFAULT_OFFER_STYLE SDES_OFFER_STYLE_SAVP
#define DEFAULT_SECURE_SIGNALING FALSE
#define DEFAULT_REQUIRE_SECURE_SIGNALING TRUE
#define DEFAULT_ACCEPT_MKI TRUE

static const gchar *const default_suites[] = {
  "AES_CM_128_HMAC_SHA1_80",
  "AES_CM_128_HMAC_SHA1_32",
  NULL
};

enum {
  PROP_0,
  PROP_POLICY,
  PROP_OFFER_STYLE,
  PROP_SUITES,
  PROP_SECURE_SIGNALING,
  PROP_REQUIRE_SECURE_SIGNALING,
  PROP_ACCEPT_MKI,
  PROP_WARN_AGENT,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

G_DEFINE_TYPE (SdesSession, sdes_session, G_TYPE_OBJECT)

/* ------------------------------------------------------------------------- */
/* GObject                                                                    */
/* ------------------------------------------------------------------------- */

static void
sdes_session_finalize (GObject *object)
{
  SdesSession *self = SDES_SESSION (object);

  g_strfreev (self->suites);
  g_free (self->warn_agent);
  g_free (self->rejection_warning);
  g_clear_pointer (&self->local, sdes_local_media_unref);
  g_clear_pointer (&self->slots, g_ptr_array_unref);
  g_clear_pointer (&self->pending, g_ptr_array_unref);
  g_clear_pointer (&self->pending_local, sdes_local_media_unref);
  g_hash_table_unref (self->dialogs);
  g_free (self->confirmed_tag);
  sdes_crypto_free_secret (self->last_sdp);
  g_queue_clear_full (&self->emissions, (GDestroyNotify) sdes_emission_free);
  g_mutex_clear (&self->lock);

  G_OBJECT_CLASS (sdes_session_parent_class)->finalize (object);
}

static void
sdes_session_set_property (GObject *object, guint prop_id, const GValue *value,
                           GParamSpec *pspec)
{
  SdesSession *self = SDES_SESSION (object);

  g_mutex_lock (&self->lock);
  switch (prop_id) {
    case PROP_POLICY:
      self->policy = g_value_get_enum (value);
      break;
    case PROP_OFFER_STYLE:
      self->offer_style = g_value_get_enum (value);
      break;
    case PROP_SUITES: {
      const gchar *const *suites = g_value_get_boxed (value);

      g_strfreev (self->suites);
      self->suites = g_strdupv ((gchar **) (suites && suites[0] ? suites : default_suites));
      for (guint i = 0; self->suites[i] != NULL; i++) {
        SdesCryptoSuite s;

        if (!sdes_crypto_suite_from_name (self->suites[i], &s))
          g_warning ("SdesSession: unknown crypto suite '%s' ignored", self->suites[i]);
      }
      break;
    }
    case PROP_SECURE_SIGNALING:
      self->secure_signaling = g_value_get_boolean (value);
      break;
    case PROP_REQUIRE_SECURE_SIGNALING:
      self->require_secure_signaling = g_value_get_boolean (value);
      break;
    case PROP_ACCEPT_MKI:
      self->accept_mki = g_value_get_boolean (value);
      break;
    case PROP_WARN_AGENT:
      g_free (self->warn_agent);
      self->warn_agent = g_strdup (g_value_get_string (value) ? g_value_get_string (value) :
                                   SDES_ENGINE_DEFAULT_WARN_AGENT);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  g_mutex_unlock (&self->lock);
}

static void
sdes_session_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  SdesSession *self = SDES_SESSION (object);

  g_mutex_lock (&self->lock);
  switch (prop_id) {
    case PROP_POLICY:
      g_value_set_enum (value, self->policy);
      break;
    case PROP_OFFER_STYLE:
      g_value_set_enum (value, self->offer_style);
      break;
    case PROP_SUITES:
      g_value_set_boxed (value, self->suites);
      break;
    case PROP_SECURE_SIGNALING:
      g_value_set_boolean (value, self->secure_signaling);
      break;
    case PROP_REQUIRE_SECURE_SIGNALING:
      g_value_set_boolean (value, self->require_secure_signaling);
      break;
    case PROP_ACCEPT_MKI:
      g_value_set_boolean (value, self->accept_mki);
      break;
    case PROP_WARN_AGENT:
      g_value_set_string (value, self->warn_agent);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  g_mutex_unlock (&self->lock);
}

/* Over 100 lines only because each property and signal is installed here
 * with its gi-docgen block (the documentation of the GObject API); there is
 * no logic to split out. */
static void
sdes_session_class_init (SdesSessionClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = sdes_session_finalize;
  object_class->set_property = sdes_session_set_property;
  object_class->get_property = sdes_session_get_property;

  /**
   * SdesSession:policy:
   *
   * The SRTP policy of this call (Cisco Table 46 rows). An agent copies its
   * default here and a single call may override it (Cisco: global
   * configuration overridden per dial peer).
   *
   * Since: 0.1
   */
  properties[PROP_POLICY] =
      g_param_spec_enum ("policy", "SRTP policy",
                         "off, optional (SRTP with fallback to RTP) or mandatory",
                         SDES_TYPE_SRTP_POLICY, DEFAULT_POLICY,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT | G_PARAM_STATIC_STRINGS);
  /**
   * SdesSession:offer-style:
   *
   * How an offer looks under the optional policy.
   *
   * Since: 0.1
   */
  properties[PROP_OFFER_STYLE] =
      g_param_spec_enum ("offer-style", "Offer style",
                         "savp: one RTP/SAVP m-line and fallback by a new offer after 4xx; "
                         "dual: RTP/AVP and RTP/SAVP m-lines",
                         SDES_TYPE_OFFER_STYLE, DEFAULT_OFFER_STYLE,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT | G_PARAM_STATIC_STRINGS);
  /**
   * SdesSession:suites:
   *
   * Crypto suites to offer (in order, one a=crypto line each with tags from
   * 1) and to accept in offers. RFC names or legacy aliases.
   * Default: AES_CM_128_HMAC_SHA1_80, AES_CM_128_HMAC_SHA1_32.
   *
   * Since: 0.1
   */
  properties[PROP_SUITES] =
      g_param_spec_boxed ("suites", "Crypto suites",
                          "Ordered crypto suites to offer and to accept",
                          G_TYPE_STRV,
                          G_PARAM_READWRITE | G_PARAM_CONSTRUCT | G_PARAM_STATIC_STRINGS);
  /**
   * SdesSession:secure-signaling:
   *
   * Whether the SDP travels over secure signaling (SIPS/TLS end to end).
   *
   * Since: 0.1
   */
  properties[PROP_SECURE_SIGNALING] =
      g_param_spec_boolean ("secure-signaling", "Secure signaling",
                            "The SDP is carried over TLS (sips:)",
                            DEFAULT_SECURE_SIGNALING,
                            G_PARAM_READWRITE | G_PARAM_CONSTRUCT | G_PARAM_STATIC_STRINGS);
  /**
   * SdesSession:require-secure-signaling:
   *
   * Cisco Table 44: never put keys into SDP sent over insecure signaling.
   * Optional then offers and answers RTP only; mandatory refuses to offer
   * (%SDES_ENGINE_ERROR_INSECURE_SIGNALING) and answers 488.
   *
   * Since: 0.1
   */
  properties[PROP_REQUIRE_SECURE_SIGNALING] =
      g_param_spec_boolean ("require-secure-signaling", "Require secure signaling",
                            "Only exchange SRTP keys over secure signaling (Cisco Table 44)",
                            DEFAULT_REQUIRE_SECURE_SIGNALING,
                            G_PARAM_READWRITE | G_PARAM_CONSTRUCT | G_PARAM_STATIC_STRINGS);
  /**
   * SdesSession:accept-mki:
   *
   * Accept a=crypto lines that carry an MKI (the media side then has to use
   * it). When off, such lines are skipped in offers and refused in answers
   * (asterisk/asterisk#825: never accept and ignore).
   *
   * Since: 0.1
   */
  properties[PROP_ACCEPT_MKI] =
      g_param_spec_boolean ("accept-mki", "Accept MKI",
                            "Accept crypto lines with a master key identifier",
                            DEFAULT_ACCEPT_MKI,
                            G_PARAM_READWRITE | G_PARAM_CONSTRUCT | G_PARAM_STATIC_STRINGS);
  /**
   * SdesSession:warn-agent:
   *
   * The warn-agent written in reject Warning texts (RFC 3261 §20.43).
   *
   * Since: 0.1
   */
  properties[PROP_WARN_AGENT] =
      g_param_spec_string ("warn-agent", "Warn agent",
                           "host[:port] or pseudonym used in Warning header values",
                           SDES_ENGINE_DEFAULT_WARN_AGENT,
                           G_PARAM_READWRITE | G_PARAM_CONSTRUCT | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * SdesSession::media-changed:
   * @self: the session
   * @dialog_tag: (nullable): the dialog (To-tag) whose media changed, %NULL
   *   for the dialog of an incoming call
   * @media: (element-type SdesMediaDescription) (transfer none): one
   *   description per m-line
   *
   * Emitted after an answer was processed or produced, with the new state
   * of that dialog. Never emitted with a lock held; the handler may call
   * back into the session.
   *
   * Since: 0.1
   */
  sdes_session_signals[SIGNAL_MEDIA_CHANGED] =
      g_signal_new ("media-changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                    0, NULL, NULL, NULL, G_TYPE_NONE, 2, G_TYPE_STRING, G_TYPE_PTR_ARRAY);
  /**
   * SdesSession::dialog-released:
   * @self: the session
   * @dialog_tag: (nullable): the dialog whose media state was dropped
   *
   * Emitted for every early dialog that lost when another one was confirmed
   * (forking, RFC 3261 §13.2.2.4) or when the offer was cancelled: the media side
   * drops that dialog's decryption context.
   *
   * Since: 0.1
   */
  sdes_session_signals[SIGNAL_DIALOG_RELEASED] =
      g_signal_new ("dialog-released", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                    0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
}

static void
sdes_session_init (SdesSession *self)
{
  g_mutex_init (&self->lock);
  self->dialogs = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, sdes_dialog_free);
  self->suites = g_strdupv ((gchar **) default_suites);
  self->warn_agent = g_strdup (SDES_ENGINE_DEFAULT_WARN_AGENT);
  self->accept_mki = DEFAULT_ACCEPT_MKI;
  self->require_secure_signaling = DEFAULT_REQUIRE_SECURE_SIGNALING;
  /* RFC 4566 §5.2: sess-id should be an NTP timestamp-like unique value;
   * it is not secret. Two sessions made in the same second (a gateway's
   * calls) must still differ: NTP seconds in the high 32 bits, a random
   * low word. The version starts at the NTP seconds and only grows. */
  self->origin_version = (guint64) g_get_real_time () / G_USEC_PER_SEC + 2208988800u;
  self->origin_id = (self->origin_version << 32) | g_random_int ();
  g_queue_init (&self->emissions);
}

/* ------------------------------------------------------------------------- */
/* Public API                                                                 */
/* ------------------------------------------------------------------------- */

/**
 * sdes_session_new:
 *
 * Creates the negotiation state of one call with default properties
 * (policy optional, offer style savp, suites AES_CM_128_HMAC_SHA1_80 and
 * AES_CM_128_HMAC_SHA1_32, insecure signaling, require-secure-signaling on).
 *
 * Returns: (transfer full): a new #SdesSession.
 *
 * Since: 0.1
 */
SdesSession *
sdes_session_new (void)
{
  return g_object_new (SDES_TYPE_SESSION, NULL);
}

/**
 * sdes_session_create_offer:
 * @self: a #SdesSession
 * @local: (nullable): the local media; %NULL re-uses the current one (a
 *   session refresh or an SDP-less re-INVITE, which re-offers the current
 *   RTP/SAVP and keys, signalwire/freeswitch#3158)
 * @error: return location for a #GError
 *
 * Creates an initial offer or a re-offer. A re-offer keeps every m-line in
 * place and re-offers only the active a=crypto line with its key, unless the
 * local connection address or port changed (then same tag and suite with a
 * new key). Hold is a re-offer with a sendonly/inactive direction in @local.
 *
 * Errors: %SDES_ENGINE_ERROR_INSECURE_SIGNALING (Cisco Table 44: mandatory
 * policy without secure signaling; send no INVITE),
 * %SDES_ENGINE_ERROR_WRONG_STATE (an offer is already pending),
 * %SDES_ENGINE_ERROR_INVALID_ARGUMENT, %SDES_ENGINE_ERROR_KEY_GENERATION.
 *
 * Returns: (transfer full) (nullable): the offer SDP, or %NULL on error.
 *
 * Since: 0.1
 */
gchar *
sdes_session_create_offer (SdesSession *self, SdesLocalMedia *local, GError **error)
{
  gchar *text;

  g_return_val_if_fail (SDES_IS_SESSION (self), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  g_mutex_lock (&self->lock);
  text = sdes_session_create_offer_locked (self, local, SDES_OFFER_FLAG_NONE, error);
  sdes_session_unlock_and_emit (self);
  return text;
}

/**
 * sdes_session_create_offer_full:
 * @self: a #SdesSession
 * @local: (nullable): the local media; %NULL re-uses the current one
 * @flags: #SdesOfferFlags
 * @error: return location for a #GError
 *
 * Like sdes_session_create_offer(), with options. With
 * %SDES_OFFER_FLAG_REKEY the re-offer carries a fresh key on every secure
 * m-line, with the tag and suite that m-line uses now (RFC 4568 §7.1.4,
 * Cisco "SIP Support for SRTP", rekeying); an m-line that is not SRTP, or
 * that is offered for the first time, is unaffected. The new keys take
 * effect with the answer, exactly like any re-offer: if the re-offer is
 * refused, sdes_session_cancel_offer() keeps the old keys and the rekey
 * has to be asked for again.
 *
 * On an unchanged connection address and port the SRTP streams keep their
 * SSRC and rollover counter (RFC 3711 §3.3.1): the media descriptions show
 * `local_key_changed` and `remote_key_changed`, with `local_roc_reset` and
 * `remote_roc_reset` %FALSE. The answerer of a rekey answers with a new key
 * of its own.
 *
 * Errors: those of sdes_session_create_offer().
 *
 * Returns: (transfer full) (nullable): the offer SDP, or %NULL on error.
 *
 * Since: 0.2
 */
gchar *
sdes_session_create_offer_full (SdesSession *self, SdesLocalMedia *local, SdesOfferFlags flags,
                                GError **error)
{
  gchar *text;

  g_return_val_if_fail (SDES_IS_SESSION (self), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  g_mutex_lock (&self->lock);
  text = sdes_session_create_offer_locked (self, local, flags, error);
  sdes_session_unlock_and_emit (self);
  return text;
}

/**
 * sdes_session_create_fallback_offer:
 * @self: a #SdesSession
 * @status_code: the final response to the SRTP offer (488, 415 or 606)
 * @error: return location for a #GError
 *
 * Cisco "securertp fallback" (aplisay/llm-agent#192 for 415 and 606):
 * after an SRTP offer is refused
 * with 488, 415 or 606 under the optional policy, returns an RTP/AVP-only
 * offer for a new INVITE, once. Early dialogs of the refused INVITE are
 * released. The call stays RTP-only afterwards.
 *
 * Errors: %SDES_ENGINE_ERROR_NO_FALLBACK (mandatory policy, a second
 * fallback, or the refused offer had no SRTP),
 * %SDES_ENGINE_ERROR_INVALID_ARGUMENT (another status code),
 * %SDES_ENGINE_ERROR_WRONG_STATE (the dialog is already established).
 *
 * Returns: (transfer full) (nullable): the RTP-only offer, or %NULL.
 *
 * Since: 0.1
 */
gchar *
sdes_session_create_fallback_offer (SdesSession *self, guint status_code, GError **error)
{
  gchar *text;

  g_return_val_if_fail (SDES_IS_SESSION (self), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  g_mutex_lock (&self->lock);
  text = sdes_session_create_fallback_offer_locked (self, status_code, error);
  sdes_session_unlock_and_emit (self);
  return text;
}

/**
 * sdes_session_process_answer:
 * @self: a #SdesSession
 * @dialog_tag: (nullable): the To-tag of the response carrying the answer
 *   (forking: each tag keeps its own remote state)
 * @sdp: the answer SDP
 * @error: return location for a #GError
 *
 * Processes an answer to our pending offer. Answers from several forks
 * (different To-tags) are all kept and usable at once until
 * sdes_session_confirm_dialog() picks one. An answer to a re-offer is final
 * at once. Emits #SdesSession::media-changed for @dialog_tag.
 *
 * Errors: %SDES_ENGINE_ERROR_BAD_SDP, %SDES_ENGINE_ERROR_UNSUPPORTED_SDP,
 * %SDES_ENGINE_ERROR_WRONG_STATE, %SDES_ENGINE_ERROR_UNKNOWN_DIALOG, and the
 * %SDES_ENGINE_ERROR_ANSWER_* codes. On error the offer stays pending and no
 * state changes.
 *
 * Returns: %TRUE if the answer was accepted.
 *
 * Since: 0.1
 */
gboolean
sdes_session_process_answer (SdesSession *self, const gchar *dialog_tag, const gchar *sdp,
                             GError **error)
{
  gboolean ok;

  g_return_val_if_fail (SDES_IS_SESSION (self), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  g_mutex_lock (&self->lock);
  ok = sdes_session_process_answer_locked (self, dialog_tag, sdp, error);
  sdes_session_unlock_and_emit (self);
  return ok;
}

/**
 * sdes_session_confirm_dialog:
 * @self: a #SdesSession
 * @dialog_tag: (nullable): the To-tag of the 2xx that established the call
 * @error: return location for a #GError
 *
 * Makes @dialog_tag the call's dialog: its keys become the active ones and
 * every other early dialog is released (#SdesSession::dialog-released).
 *
 * Errors: %SDES_ENGINE_ERROR_UNKNOWN_DIALOG (no answer from that tag),
 * %SDES_ENGINE_ERROR_WRONG_STATE (no pending initial offer, or another
 * dialog is already confirmed).
 *
 * Returns: %TRUE on success.
 *
 * Since: 0.1
 */
gboolean
sdes_session_confirm_dialog (SdesSession *self, const gchar *dialog_tag, GError **error)
{
  gboolean ok;

  g_return_val_if_fail (SDES_IS_SESSION (self), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  g_mutex_lock (&self->lock);
  ok = sdes_session_confirm_dialog_locked (self, dialog_tag, error);
  sdes_session_unlock_and_emit (self);
  return ok;
}

/**
 * sdes_session_cancel_offer:
 * @self: a #SdesSession
 *
 * Forgets our pending offer: the offer was refused (e.g. 488 to a T.38 or
 * hold re-INVITE) or the transaction failed. The previous negotiated state
 * and keys stay (signalwire/freeswitch PR#66). For an initial offer, every early dialog is
 * released. To retry an initial offer without SRTP use
 * sdes_session_create_fallback_offer() instead.
 *
 * Since: 0.1
 */
void
sdes_session_cancel_offer (SdesSession *self)
{
  g_return_if_fail (SDES_IS_SESSION (self));

  g_mutex_lock (&self->lock);
  sdes_session_cancel_offer_locked (self);
  sdes_session_unlock_and_emit (self);
}

/**
 * sdes_session_process_offer:
 * @self: a #SdesSession
 * @local: (nullable): what we can do now; %NULL re-uses the current local media
 * @sdp: the offer SDP (initial INVITE, re-INVITE or UPDATE)
 * @reject_status: (out) (optional): on failure, the SIP status to answer
 *   with: 488 (not acceptable), 400 (malformed SDP), 491 (glare), 500
 * @reject_warning: (out) (optional) (transfer full): on failure, the value of
 *   the Warning header, e.g. `399 srtpsdes "Incompatible media: SRTP required"`
 * @error: return location for a #GError
 *
 * Answers an offer following Cisco Table 46 and RFC 4568 §7.1 (see
 * docs/negotiation.md). On success the new state is committed and
 * #SdesSession::media-changed emitted. On failure nothing changes: a
 * refused re-offer keeps the old keys.
 *
 * Errors: %SDES_ENGINE_ERROR_NOT_ACCEPTABLE, %SDES_ENGINE_ERROR_BAD_SDP,
 * %SDES_ENGINE_ERROR_UNSUPPORTED_SDP, %SDES_ENGINE_ERROR_WRONG_STATE,
 * %SDES_ENGINE_ERROR_INVALID_ARGUMENT, %SDES_ENGINE_ERROR_KEY_GENERATION.
 *
 * Returns: (transfer full) (nullable): the answer SDP, or %NULL.
 *
 * Since: 0.1
 */
gchar *
sdes_session_process_offer (SdesSession *self, SdesLocalMedia *local, const gchar *sdp,
                            guint *reject_status, gchar **reject_warning, GError **error)
{
  guint status = 0;
  gchar *warning = NULL;
  gchar *text;

  g_return_val_if_fail (SDES_IS_SESSION (self), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  g_mutex_lock (&self->lock);
  text = sdes_session_process_offer_locked (self, local, sdp, &status, &warning, error);
  if (text != NULL) {
    status = 0;
    g_clear_pointer (&warning, g_free);
  }
  self->rejection_status = status;
  g_free (self->rejection_warning);
  self->rejection_warning = g_strdup (warning);
  sdes_session_unlock_and_emit (self);
  if (reject_status)
    *reject_status = status;
  if (reject_warning)
    *reject_warning = warning;
  else
    g_free (warning);
  return text;
}

/**
 * sdes_session_get_rejection:
 * @self: a #SdesSession
 * @warning: (out) (optional) (transfer full) (nullable): the Warning header
 *   value to send with it, e.g. `399 srtpsdes "Incompatible media: SRTP required"`
 *
 * The SIP status (and Warning) the last sdes_session_process_offer() call
 * refused its offer with, the same values it returned through its out
 * parameters. For language bindings, where the #GError of a failed call
 * becomes an exception and the out parameters are lost.
 *
 * Returns: 488, 400, 491 or 500; 0 when the last offer was answered (or
 *   none was processed).
 *
 * Since: 0.1
 */
guint
sdes_session_get_rejection (SdesSession *self, gchar **warning)
{
  guint status;

  g_return_val_if_fail (SDES_IS_SESSION (self), 0);

  g_mutex_lock (&self->lock);
  status = self->rejection_status;
  if (warning)
    *warning = g_strdup (self->rejection_warning);
  g_mutex_unlock (&self->lock);
  return status;
}

/**
 * sdes_session_get_media:
 * @self: a #SdesSession
 * @dialog_tag: (nullable): a dialog; %NULL for the confirmed dialog (or the
 *   only one)
 *
 * The negotiated state of every m-line in one dialog, as last committed by an
 * offer/answer exchange.
 *
 * Returns: (transfer container) (element-type SdesMediaDescription) (nullable):
 *   the current descriptions, one per m-line, or %NULL if that dialog has
 *   none.
 *
 * Since: 0.1
 */
GPtrArray *
sdes_session_get_media (SdesSession *self, const gchar *dialog_tag)
{
  GPtrArray *copy = NULL;
  Dialog *dialog = NULL;

  g_return_val_if_fail (SDES_IS_SESSION (self), NULL);

  g_mutex_lock (&self->lock);
  if (dialog_tag != NULL) {
    dialog = g_hash_table_lookup (self->dialogs, dialog_tag);
  } else if (self->confirmed_tag != NULL) {
    dialog = g_hash_table_lookup (self->dialogs, self->confirmed_tag);
  } else if (g_hash_table_size (self->dialogs) == 1) {
    GHashTableIter iter;

    g_hash_table_iter_init (&iter, self->dialogs);
    g_hash_table_iter_next (&iter, NULL, (gpointer *) &dialog);
  }
  if (dialog != NULL) {
    copy = sdes_media_array_new ();
    for (guint i = 0; i < dialog->media->len; i++)
      g_ptr_array_add (copy, sdes_media_description_ref (g_ptr_array_index (dialog->media, i)));
  }
  g_mutex_unlock (&self->lock);
  return copy;
}

static gint
compare_tags (gconstpointer a, gconstpointer b)
{
  return g_strcmp0 (*(const gchar *const *) a, *(const gchar *const *) b);
}

/**
 * sdes_session_list_dialogs:
 * @self: a #SdesSession
 *
 * The dialogs (To-tags) the session keeps media state for: one, or several
 * while a call is forked.
 *
 * Returns: (transfer full) (array zero-terminated=1): the tags of the dialogs
 *   that have media state ("" for the untagged dialog of an incoming call).
 *
 * Since: 0.1
 */
gchar **
sdes_session_list_dialogs (SdesSession *self)
{
  g_autoptr (GPtrArray) tags = g_ptr_array_new ();
  GHashTableIter iter;
  gpointer key;

  g_return_val_if_fail (SDES_IS_SESSION (self), NULL);

  g_mutex_lock (&self->lock);
  g_hash_table_iter_init (&iter, self->dialogs);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    g_ptr_array_add (tags, g_strdup (key));
  g_mutex_unlock (&self->lock);
  g_ptr_array_sort (tags, compare_tags);
  g_ptr_array_add (tags, NULL);
  return (gchar **) g_ptr_array_free (g_steal_pointer (&tags), FALSE);
}

/**
 * sdes_session_has_pending_offer:
 * @self: a #SdesSession
 *
 * Whether an offer made by sdes_session_create_offer() still waits for its
 * answer.
 *
 * Returns: %TRUE while an offer of ours awaits its answer (or confirmation).
 *
 * Since: 0.1
 */
gboolean
sdes_session_has_pending_offer (SdesSession *self)
{
  gboolean pending;

  g_return_val_if_fail (SDES_IS_SESSION (self), FALSE);
  g_mutex_lock (&self->lock);
  pending = self->pending != NULL;
  g_mutex_unlock (&self->lock);
  return pending;
}

