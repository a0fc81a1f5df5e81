/* srtpsdes — state and helpers shared by the sdes-call*.c files
 *
 * Copyright (C) 2026 srtpsdes developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* Included by the call's own files only (sdes-call.c: object, public API
 * and event dispatch; sdes-call-outgoing.c: INVITE responses, fallback,
 * redirect, digest retry; sdes-call-incoming.c: the initial INVITE, late
 * offer, re-INVITE; sdes-call-transfer.c: REFER and NOTIFY;
 * sdes-call-reinvite.c: our re-INVITEs: hold, resume, rekey). */

#pragma once

#include "sdes-call-private.h"

G_BEGIN_DECLS

/* RFC 3261 §8.1.3.4 leaves the limit to the UAC; loops of 3xx end here. */
#define SDES_CALL_MAX_REDIRECTS 5

struct _SdesCall
{
  GObject parent;

  GObject *host;                /* weak pointer: the agent that owns the call */
  const SdesCallHost *host_iface;
  nua_handle_t *nh;             /* ours: destroyed on finalize */
  gboolean incoming;
  gchar *remote_uri;            /* current target (outgoing) or caller */
  gchar *to_uri;                /* To of our INVITEs: kept across 3xx */
  SdesCallState state;
  SdesCallEndReason end_reason;
  SdesSession *session;
  gulong media_changed_id;      /* session::media-changed */
  gulong released_id;           /* session::dialog-released */
  GHashTable *dialog_media;     /* To-tag ("" for none) -> GPtrArray, from media-changed */
  SdesLocalMedia *local;
  SdesSrtpPolicy policy;
  SdesSrtpPolicy base_policy;   /* as created; redirects start from it */
  gboolean require_secure_signaling;
  SdesOfferStyle offer_style;
  gchar **suites;
  gchar *warn_agent;
  gboolean secure_signaling;
  gboolean reliable_invite;     /* UAS: the INVITE came over TCP or TLS */
  GMainContext *context;        /* the owner's */
  GSource *ack_timer;           /* UAS over TCP/TLS: 64*T1 for the ACK of our 2xx */
  GSource *tls_grace;           /* a 503/408 over TLS waits for the stack's log */
  SdesCallEndReason grace_reason;
  gint grace_status;
  gchar *grace_phrase;
  gboolean secure;
  gboolean fell_back;
  gboolean reinvite_pending;    /* we sent a re-INVITE */
  gboolean media_ready_sent;
  gboolean on_hold;
  gboolean cancelled;           /* we sent CANCEL */
  gchar *pending_answer;        /* UAS: the answer sent with sdes_call_accept() */
  gchar *confirmed_tag;
  gchar *local_sdp;             /* last SDP body sent */
  gchar *remote_sdp;            /* last SDP body received */
  guint invites_sent;
  GQueue redirect_targets;      /* 3xx Contacts not tried yet (gchar*) */
  guint redirects;
  gint auth_attempts;
  gboolean late_offer;          /* UAS: our offer is in the 200, the answer due in the ACK */
  gboolean provisional_seen;    /* some 1xx came back for the current INVITE */
  gint64 invite_time;           /* g_get_monotonic_time() of the current INVITE */
  gchar *refer_event;           /* REFER recipient: Event of our NOTIFYs */
  SdesCall *transfer_call;      /* REFER recipient: the call to the target */
};

enum
{
  SDES_CALL_PROP_0,
  SDES_CALL_PROP_STATE,
  SDES_CALL_PROP_REMOTE_URI,
  SDES_CALL_PROP_INCOMING,
  SDES_CALL_PROP_SECURE,
  SDES_CALL_PROP_LOCAL_SDP,
  SDES_CALL_PROP_REMOTE_SDP,
  SDES_CALL_PROP_INVITES_SENT,
  SDES_CALL_PROP_END_REASON,
  SDES_CALL_N_PROPS
};

enum
{
  SDES_CALL_SIGNAL_STATE_CHANGED,
  SDES_CALL_SIGNAL_EARLY_MEDIA,
  SDES_CALL_SIGNAL_MEDIA_READY,
  SDES_CALL_SIGNAL_MEDIA_UPDATED,
  SDES_CALL_SIGNAL_SECURE_CHANGED,
  SDES_CALL_SIGNAL_ENDED,
  SDES_CALL_SIGNAL_TRANSFER_REQUESTED,
  SDES_CALL_SIGNAL_TRANSFER_STARTED,
  SDES_CALL_SIGNAL_REFER_PROGRESS,
  SDES_CALL_SIGNAL_REDIRECTED,
  SDES_CALL_SIGNAL_EARLY_MEDIA_RELEASED,
  SDES_CALL_N_SIGNALS
};

extern GParamSpec *_sdes_call_props[SDES_CALL_N_PROPS];
extern guint _sdes_call_signals[SDES_CALL_N_SIGNALS];

/* sdes-call.c */
void _sdes_call_set_state (SdesCall *self, SdesCallState state);
gboolean _sdes_call_check_state (SdesCall *self, SdesCallState want, GError **error);
void _sdes_call_set_sdp (SdesCall *self, gchar **slot, const gchar *sdp, guint prop);
GPtrArray *_sdes_call_dialog_media (SdesCall *self, const gchar *tag);
void _sdes_call_emit_media (SdesCall *self, const gchar *tag, gboolean update);
void _sdes_call_end (SdesCall *self, SdesCallEndReason why, guint status,
                     const gchar *reason);
gchar *_sdes_call_dup_sdp (sip_t const *sip);
gchar *_sdes_call_warning (SdesCall *self, const gchar *text);
void _sdes_call_reset_session (SdesCall *self, SdesSrtpPolicy policy,
                               gboolean secure_signaling);
gboolean _sdes_call_uri_is_secure (const gchar *uri);
gboolean _sdes_session_set_properties (SdesSession *session, const gchar *first_name,
                                       ...) G_GNUC_NULL_TERMINATED;

/* sdes-call-outgoing.c */
void _sdes_call_send_invite (SdesCall *self, const gchar *sdp, sip_t const *retry_of,
                             msg_header_t const *extra);
nua_handle_t *_sdes_call_new_handle (SdesCall *self, const gchar *to_uri);
void _sdes_call_drop_handle (SdesCall *self);
void _sdes_call_handle_invite_response (SdesCall *self, int status, char const *phrase,
                                        sip_t const *sip);
gboolean _sdes_call_authenticate (SdesCall *self, int status, sip_t const *sip);

/* sdes-call-incoming.c */
void _sdes_call_handle_reinvite (SdesCall *self, sip_t const *sip);
void _sdes_call_handle_ack (SdesCall *self, sip_t const *sip);
gboolean _sdes_call_redecide_invite (SdesCall *self, GError **error);

/* sdes-call-transfer.c */
void _sdes_call_handle_refer (SdesCall *self, sip_t const *sip, tagi_t tags[]);
void _sdes_call_handle_notify (SdesCall *self, sip_t const *sip);
void _sdes_call_release_transfer (SdesCall *self);

void _sdes_call_start_ack_timer (SdesCall *self);
void _sdes_call_stop_ack_timer (SdesCall *self);
void _sdes_call_stop_tls_grace (SdesCall *self);

G_END_DECLS
