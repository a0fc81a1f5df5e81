/* srtpsdes — the SDES offer/answer engine
 *
 * Copyright (C) 2026 srtpsdes developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/**
 * SdesSession:
 *
 * RFC 4568 / RFC 3264 offer/answer for SDES-SRTP, with no network.
 *
 * #SdesSession is the negotiation state of one call. It takes SDP text in and
 * gives SDP text out, plus one #SdesMediaDescription per m-line that tells the
 * media side (srtpsdesenc/srtpsdesdec, udpsrc/udpsink) what to do. It touches
 * no socket and no SIP message: the SIP stack (the srtpsdes agent, or a user's
 * own) calls it with the bodies it sends and receives.
 *
 * Caller (UAC) side:
 * |[<!-- language="C" -->
 * g_autoptr(SdesLocalMedia) local = sdes_local_media_new ("192.0.2.10");
 * guint audio = sdes_local_media_add_stream (local, SDES_MEDIA_TYPE_AUDIO, 40000);
 * sdes_local_media_add_codec (local, audio, 0, "PCMU", 8000, 1, NULL);
 *
 * g_autoptr(SdesSession) call = sdes_session_new ();
 * g_object_set (call, "policy", SDES_SRTP_POLICY_MANDATORY,
 *               "secure-signaling", TRUE, NULL);      // INVITE goes over TLS
 * g_autoptr(SdesSecretText) offer = sdes_session_create_offer (call, local, &error);  // wiped when freed
 * // ... send INVITE with @offer; for each 18x/2xx with SDP:
 * sdes_session_process_answer (call, to_tag, answer_sdp, &error);
 * // ... on the 2xx that establishes the dialog:
 * sdes_session_confirm_dialog (call, to_tag, &error);
 * ]|
 *
 * Callee (UAS) side:
 * |[<!-- language="C" -->
 * guint status = 0;
 * g_autofree gchar *warning = NULL;
 * g_autoptr(SdesSecretText) answer =
 *     sdes_session_process_offer (call, local, offer_sdp, &status, &warning, &error);
 * if (answer == NULL)
 *   respond (status, warning);   // e.g. 488 + Warning: 399 srtpsdes "Incompatible media: SRTP required"
 * ]|
 *
 * Whenever the negotiated media of a dialog change, #SdesSession::media-changed
 * is emitted (never with a lock held). The exact rules are documented in
 * docs/negotiation.md.
 *
 * Key material never appears in log output or #GError messages of this module.
 *
 * Since: 0.1
 */

#pragma once

#include <glib.h>
#include <glib-object.h>

#include "sdes-crypto.h"

G_BEGIN_DECLS

/**
 * SDES_ENGINE_ERROR:
 *
 * Error domain of the offer/answer engine. Errors in this domain are from the
 * #SdesEngineError enumeration.
 *
 * Since: 0.1
 */
#define SDES_ENGINE_ERROR (sdes_engine_error_quark ())
GQuark sdes_engine_error_quark (void);

/**
 * SdesEngineError:
 * @SDES_ENGINE_ERROR_INVALID_ARGUMENT: a caller error: no local media, a
 *   stream index out of range, a status code that is not a media rejection.
 * @SDES_ENGINE_ERROR_BAD_SDP: Sofia's sdp_parse() rejected the text.
 * @SDES_ENGINE_ERROR_UNSUPPORTED_SDP: the SDP parses but cannot be used: no
 *   m-line, no usable c= address, a non-IN network type, a re-offer with
 *   fewer m-lines than before (RFC 3264 §8).
 * @SDES_ENGINE_ERROR_INSECURE_SIGNALING: Cisco Table 44: the policy is
 *   mandatory, require-secure-signaling is on and signaling is not secure, so
 *   no offer may be made (the caller must not send the INVITE).
 * @SDES_ENGINE_ERROR_NO_FALLBACK: sdes_session_create_fallback_offer() was
 *   asked for an RTP-only offer that the policy (mandatory) or the state
 *   (already fell back, or the rejected offer had no SRTP) does not allow.
 * @SDES_ENGINE_ERROR_NOT_ACCEPTABLE: the offer cannot be accepted; the
 *   reject status (488) and Warning text are returned by
 *   sdes_session_process_offer().
 * @SDES_ENGINE_ERROR_WRONG_STATE: the call does not fit the offer/answer
 *   state: an answer without an offer, an offer while our own is pending
 *   (glare), a dialog change after confirmation.
 * @SDES_ENGINE_ERROR_UNKNOWN_DIALOG: no answer was received from that To-tag.
 * @SDES_ENGINE_ERROR_ANSWER_MEDIA_MISMATCH: the answer's m-lines do not match
 *   the offer's (count or media type; RFC 3264 §6).
 * @SDES_ENGINE_ERROR_ANSWER_NO_CRYPTO: an accepted RTP/SAVP m-line of the
 *   answer has no a=crypto line.
 * @SDES_ENGINE_ERROR_ANSWER_TOO_MANY_CRYPTO: an accepted m-line of the answer
 *   has more than one a=crypto line (RFC 4568 §5.1.2: exactly one).
 * @SDES_ENGINE_ERROR_ANSWER_BAD_CRYPTO: the answer's a=crypto line does not
 *   parse, or uses an MKI while accept-mki is off.
 * @SDES_ENGINE_ERROR_ANSWER_UNKNOWN_TAG: the answer's tag was not offered on
 *   that m-line.
 * @SDES_ENGINE_ERROR_ANSWER_SUITE_MISMATCH: the answer's suite differs from
 *   the suite offered with that tag.
 * @SDES_ENGINE_ERROR_ANSWER_SESSION_PARAMS: the answer carries a negotiated
 *   session parameter (UNENCRYPTED_SRTP, UNENCRYPTED_SRTCP,
 *   UNAUTHENTICATED_SRTP) that the offered line did not.
 * @SDES_ENGINE_ERROR_ANSWER_INSECURE: the answer accepted a stream without
 *   SRTP (the RTP/AVP m-line of a dual offer, or a downgraded profile) and
 *   the policy is mandatory.
 * @SDES_ENGINE_ERROR_ANSWER_NO_MEDIA: the answer rejected every m-line.
 * @SDES_ENGINE_ERROR_KEY_GENERATION: generating a key failed (CSPRNG).
 * @SDES_ENGINE_ERROR_SDP_LIMIT: the SDP is longer, or has more lines, m=
 *   lines, attributes, a=crypto lines or formats, than the engine takes (the
 *   `SDES_SDP_MAX_*` limits). An offer over a limit is refused with 488.
 *
 * Specific failures of the offer/answer engine.
 *
 * Since: 0.1
 */
typedef enum {
  SDES_ENGINE_ERROR_INVALID_ARGUMENT,
  SDES_ENGINE_ERROR_BAD_SDP,
  SDES_ENGINE_ERROR_UNSUPPORTED_SDP,
  SDES_ENGINE_ERROR_INSECURE_SIGNALING,
  SDES_ENGINE_ERROR_NO_FALLBACK,
  SDES_ENGINE_ERROR_NOT_ACCEPTABLE,
  SDES_ENGINE_ERROR_WRONG_STATE,
  SDES_ENGINE_ERROR_UNKNOWN_DIALOG,
  SDES_ENGINE_ERROR_ANSWER_MEDIA_MISMATCH,
  SDES_ENGINE_ERROR_ANSWER_NO_CRYPTO,
  SDES_ENGINE_ERROR_ANSWER_TOO_MANY_CRYPTO,
  SDES_ENGINE_ERROR_ANSWER_BAD_CRYPTO,
  SDES_ENGINE_ERROR_ANSWER_UNKNOWN_TAG,
  SDES_ENGINE_ERROR_ANSWER_SUITE_MISMATCH,
  SDES_ENGINE_ERROR_ANSWER_SESSION_PARAMS,
  SDES_ENGINE_ERROR_ANSWER_INSECURE,
  SDES_ENGINE_ERROR_ANSWER_NO_MEDIA,
  SDES_ENGINE_ERROR_KEY_GENERATION,
  SDES_ENGINE_ERROR_SDP_LIMIT,
} SdesEngineError;

/**
 * SDES_SDP_MAX_BYTES:
 *
 * The largest SDP body the engine parses, in bytes. A SIP message over UDP
 * is at most 65,535 bytes; an SDES audio/video offer is typically under 2 KB.
 *
 * Every SDP body, offer or answer, is checked before Sofia's parser sees
 * it: lines must end in CRLF (or LF), start with a known `<type>=`, and m=
 * lines must follow the RFC 4566 §9 grammar. A body outside the grammar is
 * %SDES_ENGINE_ERROR_BAD_SDP (an offer gets 400); over one of the
 * `SDES_SDP_MAX_*` limits it is %SDES_ENGINE_ERROR_SDP_LIMIT (488).
 *
 * Since: 0.2
 */
#define SDES_SDP_MAX_BYTES 65536

/**
 * SDES_SDP_MAX_LINE_BYTES:
 *
 * The longest SDP line, in bytes, without its CRLF.
 *
 * Since: 0.2
 */
#define SDES_SDP_MAX_LINE_BYTES 4096

/**
 * SDES_SDP_MAX_LINES:
 *
 * The most lines an SDP body may have.
 *
 * Since: 0.2
 */
#define SDES_SDP_MAX_LINES 2048

/**
 * SDES_SDP_MAX_MEDIA:
 *
 * The most m= lines an SDP body may have.
 *
 * Since: 0.2
 */
#define SDES_SDP_MAX_MEDIA 32

/**
 * SDES_SDP_MAX_ATTRIBUTES:
 *
 * The most a= lines in one section (the session part, or one m= line's).
 *
 * Since: 0.2
 */
#define SDES_SDP_MAX_ATTRIBUTES 256

/**
 * SDES_SDP_MAX_CRYPTO:
 *
 * The most a=crypto lines in one section. RFC 4568 §5.1.1 lets an offer list
 * several keys per stream; deployed phones offer two to six.
 *
 * Since: 0.2
 */
#define SDES_SDP_MAX_CRYPTO 32

/**
 * SDES_SDP_MAX_FORMATS:
 *
 * The most formats on one m= line: the 128 RTP payload types.
 *
 * Since: 0.2
 */
#define SDES_SDP_MAX_FORMATS 128

/**
 * SdesSrtpPolicy:
 * @SDES_SRTP_POLICY_OFF: RTP only (Cisco: no securertp; Polycom/sipXcom:
 *   SRTP disabled). An offer with SRTP only is refused with 488.
 * @SDES_SRTP_POLICY_OPTIONAL: SRTP preferred, RTP accepted (Cisco:
 *   securertp + securertp fallback; Polycom: Enable + Offer).
 * @SDES_SRTP_POLICY_MANDATORY: SRTP or nothing (Cisco: securertp without
 *   fallback; Polycom: Require).
 *
 * The SRTP policy of a call (Cisco Table 46 rows).
 *
 * Since: 0.1
 */
typedef enum {
  SDES_SRTP_POLICY_OFF,
  SDES_SRTP_POLICY_OPTIONAL,
  SDES_SRTP_POLICY_MANDATORY,
} SdesSrtpPolicy;

GType sdes_srtp_policy_get_type (void);
#define SDES_TYPE_SRTP_POLICY (sdes_srtp_policy_get_type ())

/**
 * SdesOfferStyle:
 * @SDES_OFFER_STYLE_SAVP: one RTP/SAVP m-line per stream; an RTP-only peer
 *   answers 4xx and the caller retries with
 *   sdes_session_create_fallback_offer() (Cisco "securertp fallback").
 * @SDES_OFFER_STYLE_DUAL: under the optional policy, an RTP/AVP m-line
 *   followed by an RTP/SAVP m-line per stream (the example offer of Cisco
 *   "SIP Support for SRTP"); the answerer accepts one and sets port 0 on the other.
 *
 * How an offer looks under %SDES_SRTP_POLICY_OPTIONAL (the other policies
 * always offer one m-line per stream).
 *
 * Since: 0.1
 */
typedef enum {
  SDES_OFFER_STYLE_SAVP,
  SDES_OFFER_STYLE_DUAL,
} SdesOfferStyle;

GType sdes_offer_style_get_type (void);
#define SDES_TYPE_OFFER_STYLE (sdes_offer_style_get_type ())

/**
 * SdesOfferFlags:
 * @SDES_OFFER_FLAG_NONE: an ordinary offer or re-offer: the active keys stay
 *   unless a connection address or port changed (Cisco "SIP Support for
 *   SRTP", rekeying rules).
 * @SDES_OFFER_FLAG_REKEY: a rekey (RFC 4568 §7.1.4): every secure m-line of
 *   the re-offer carries a fresh key with the tag and suite it has now.
 *
 * Options of sdes_session_create_offer_full().
 *
 * A rekey on an unchanged SSRC and address keeps the rollover counter
 * (RFC 3711 §3.3.1): the resulting #SdesMediaDescription has
 * `local_key_changed` and `remote_key_changed` set and `local_roc_reset` and
 * `remote_roc_reset` clear.
 *
 * Since: 0.2
 */
typedef enum {
  SDES_OFFER_FLAG_NONE = 0,
  SDES_OFFER_FLAG_REKEY = 1 << 0,
} SdesOfferFlags;

GType sdes_offer_flags_get_type (void);
#define SDES_TYPE_OFFER_FLAGS (sdes_offer_flags_get_type ())

/**
 * SdesMediaType:
 * @SDES_MEDIA_TYPE_AUDIO: m=audio (RTP).
 * @SDES_MEDIA_TYPE_VIDEO: m=video (RTP).
 * @SDES_MEDIA_TYPE_IMAGE: m=image over UDPTL (T.38 fax; never secured,
 *   Cisco "T.38 Fax").
 * @SDES_MEDIA_TYPE_OTHER: any other media type (always declined).
 *
 * Media type of a stream or m-line.
 *
 * Since: 0.1
 */
typedef enum {
  SDES_MEDIA_TYPE_AUDIO,
  SDES_MEDIA_TYPE_VIDEO,
  SDES_MEDIA_TYPE_IMAGE,
  SDES_MEDIA_TYPE_OTHER,
} SdesMediaType;

GType sdes_media_type_get_type (void);
#define SDES_TYPE_MEDIA_TYPE (sdes_media_type_get_type ())

/**
 * SdesDirection:
 * @SDES_DIRECTION_INACTIVE: neither send nor receive (a=inactive).
 * @SDES_DIRECTION_SENDONLY: we send only (a=sendonly).
 * @SDES_DIRECTION_RECVONLY: we receive only (a=recvonly).
 * @SDES_DIRECTION_SENDRECV: both (a=sendrecv, the default).
 *
 * Media direction, always from the local point of view. The values equal
 * Sofia's sdp_mode_t.
 *
 * Since: 0.1
 */
typedef enum {
  SDES_DIRECTION_INACTIVE = 0,
  SDES_DIRECTION_SENDONLY = 1,
  SDES_DIRECTION_RECVONLY = 2,
  SDES_DIRECTION_SENDRECV = 3,
} SdesDirection;

GType sdes_direction_get_type (void);
#define SDES_TYPE_DIRECTION (sdes_direction_get_type ())

/* ------------------------------------------------------------------------- */
/* Local media                                                                */
/* ------------------------------------------------------------------------- */

/**
 * SdesLocalMedia:
 *
 * What this end can do: one connection address and an ordered list of
 * streams (media type, RTP port, RTCP port or rtcp-mux, codecs, direction).
 * Opaque and reference counted; the session takes a copy, so changing it
 * after passing it to a session only affects later calls.
 *
 * Since: 0.1
 */
typedef struct _SdesLocalMedia SdesLocalMedia;

GType sdes_local_media_get_type (void);
#define SDES_TYPE_LOCAL_MEDIA (sdes_local_media_get_type ())

SdesLocalMedia *sdes_local_media_new (const gchar *address);
SdesLocalMedia *sdes_local_media_ref (SdesLocalMedia *media);
void sdes_local_media_unref (SdesLocalMedia *media);
guint sdes_local_media_add_stream (SdesLocalMedia *media,
                                   SdesMediaType type,
                                   guint port);
void sdes_local_media_set_rtcp (SdesLocalMedia *media,
                                guint stream,
                                guint rtcp_port,
                                gboolean rtcp_mux);
void sdes_local_media_add_codec (SdesLocalMedia *media,
                                 guint stream,
                                 guint payload_type,
                                 const gchar *encoding_name,
                                 guint clock_rate,
                                 guint channels,
                                 const gchar *fmtp);
void sdes_local_media_add_attribute (SdesLocalMedia *media,
                                     guint stream,
                                     const gchar *name,
                                     const gchar *value);
void sdes_local_media_set_direction (SdesLocalMedia *media,
                                     guint stream,
                                     SdesDirection direction);
void sdes_local_media_set_port (SdesLocalMedia *media,
                                guint stream,
                                guint port);
void sdes_local_media_set_address (SdesLocalMedia *media,
                                   const gchar *address);
guint sdes_local_media_get_n_streams (SdesLocalMedia *media);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (SdesLocalMedia, sdes_local_media_unref)

/* ------------------------------------------------------------------------- */
/* Negotiation result                                                         */
/* ------------------------------------------------------------------------- */

/**
 * SdesMediaDescription:
 * @index: m-line index in the SDP (0-based; stable for the whole call).
 * @local_stream: index of the #SdesLocalMedia stream carried on this m-line,
 *   or -1 when the m-line is not used (port 0).
 * @media_type: media type of the m-line.
 * @active: %TRUE when both sides have a non-zero port, i.e. the stream is
 *   used. Inactive descriptions exist so that indices match m-lines.
 * @secure: %TRUE when the stream is SRTP (@local_crypto and @remote_crypto
 *   are set).
 * @profile: transport profile as negotiated ("RTP/SAVP", "RTP/SAVPF",
 *   "RTP/AVP", "udptl", ...).
 * @feedback: %TRUE for an AVPF profile (RFC 4585/5124: RTP/SAVPF).
 * @dialog_tag: (nullable): the dialog (To-tag) this description belongs to;
 *   %NULL for the dialog of an incoming call whose tag the engine never saw.
 * @local_crypto: (nullable): our send key (for srtpsdesenc).
 * @remote_crypto: (nullable): the peer's send key in this dialog (for
 *   srtpsdesdec). While a call is forked, each dialog has its own.
 * @local_address: our connection address.
 * @local_port: our RTP port (0 when inactive).
 * @local_rtcp_port: our RTCP port (@local_port when @rtcp_mux).
 * @remote_address: (nullable): the peer's connection address ("0.0.0.0" on
 *   an RFC 2543-style hold: do not send).
 * @remote_port: the peer's RTP port.
 * @remote_rtcp_port: the peer's RTCP port (a=rtcp, else port + 1; the RTP
 *   port when @rtcp_mux).
 * @rtcp_mux: RTP and RTCP share one port (RFC 5761; offered and accepted).
 * @direction: our media direction.
 * @payload_type: the first common payload type (-1 for non-RTP media).
 * @encoding_name: (nullable): its encoding name ("PCMU").
 * @clock_rate: its clock rate.
 * @channels: its channel count (1 when not given).
 * @local_key_changed: @local_crypto differs from the previous description of
 *   this m-line in this dialog (including appearing or disappearing): the
 *   encoder must be given the new key.
 * @remote_key_changed: same for @remote_crypto and the decoder.
 * @local_roc_reset: the send stream starts over with ROC 0: the local key is
 *   new *and* the stream is new or a connection address/port changed. When a
 *   key changes on an unchanged SSRC and address, the ROC continues
 *   (RFC 3711 §3.3.1, RFC 4568 §7.1.4, sipwise/rtpengine PR#107).
 * @remote_roc_reset: same for the receive stream.
 * @rtcp_changed: the RTCP transport (@rtcp_mux, @local_rtcp_port,
 *   @remote_rtcp_port) differs from the previous description of this m-line
 *   in this dialog (including the stream appearing or disappearing): a
 *   re-INVITE added or dropped a=rtcp-mux (RFC 5761 §5.1.1) or moved an
 *   RTCP port, and the media side must move its RTCP sockets.
 *
 * The negotiated state of one m-line: everything a GStreamer pipeline needs.
 * Immutable once handed out; reference counted.
 *
 * Since: 0.1
 */
typedef struct {
  guint index;
  gint local_stream;
  SdesMediaType media_type;
  gboolean active;
  gboolean secure;
  gchar *profile;
  gboolean feedback;
  gchar *dialog_tag;
  SdesCryptoAttr *local_crypto;
  SdesCryptoAttr *remote_crypto;
  gchar *local_address;
  guint local_port;
  guint local_rtcp_port;
  gchar *remote_address;
  guint remote_port;
  guint remote_rtcp_port;
  gboolean rtcp_mux;
  SdesDirection direction;
  gint payload_type;
  gchar *encoding_name;
  guint clock_rate;
  guint channels;
  gboolean local_key_changed;
  gboolean remote_key_changed;
  gboolean local_roc_reset;
  gboolean remote_roc_reset;
  gboolean rtcp_changed;
} SdesMediaDescription;

GType sdes_media_description_get_type (void);
#define SDES_TYPE_MEDIA_DESCRIPTION (sdes_media_description_get_type ())

SdesMediaDescription *sdes_media_description_ref (SdesMediaDescription *desc);
void sdes_media_description_unref (SdesMediaDescription *desc);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (SdesMediaDescription, sdes_media_description_unref)

/* ------------------------------------------------------------------------- */
/* The session                                                                */
/* ------------------------------------------------------------------------- */

#define SDES_TYPE_SESSION (sdes_session_get_type ())
G_DECLARE_FINAL_TYPE (SdesSession, sdes_session, SDES, SESSION, GObject)

/**
 * SDES_ENGINE_DEFAULT_WARN_AGENT:
 *
 * Default warn-agent of the Warning header text (RFC 3261 §20.43 allows a
 * pseudonym instead of host:port).
 *
 * Since: 0.1
 */
#define SDES_ENGINE_DEFAULT_WARN_AGENT "srtpsdes"

SdesSession *sdes_session_new (void);

gchar *sdes_session_create_offer (SdesSession *self,
                                  SdesLocalMedia *local,
                                  GError **error);
gchar *sdes_session_create_offer_full (SdesSession *self,
                                       SdesLocalMedia *local,
                                       SdesOfferFlags flags,
                                       GError **error);
gchar *sdes_session_create_fallback_offer (SdesSession *self,
                                           guint status_code,
                                           GError **error);
gboolean sdes_session_process_answer (SdesSession *self,
                                      const gchar *dialog_tag,
                                      const gchar *sdp,
                                      GError **error);
gboolean sdes_session_confirm_dialog (SdesSession *self,
                                      const gchar *dialog_tag,
                                      GError **error);
void sdes_session_cancel_offer (SdesSession *self);
gchar *sdes_session_process_offer (SdesSession *self,
                                   SdesLocalMedia *local,
                                   const gchar *sdp,
                                   guint *reject_status,
                                   gchar **reject_warning,
                                   GError **error);
guint sdes_session_get_rejection (SdesSession *self, gchar **warning);
GPtrArray *sdes_session_get_media (SdesSession *self,
                                   const gchar *dialog_tag);
gchar **sdes_session_list_dialogs (SdesSession *self);
gboolean sdes_session_has_pending_offer (SdesSession *self);

G_END_DECLS
