/* srtpsdes — SdesSession internals shared by the engine's role files
 *
 * Copyright (C) 2026 srtpsdes developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The session is split by role; each file below includes this header and
 * nothing of the others:
 *
 *   sdes-session.c            GObject and public API (sits on top)
 *   sdes-session-offer.c      offerer: offers, fallback, answers, forking
 *   sdes-session-answer.c     answerer: offers in, answers out
 *   sdes-session-sdp-write.c  printing SDP with Sofia
 *   sdes-session-sdp-read.c   parsing SDP with Sofia, remote m-line helpers
 *   sdes-session-state.c      layout, dialogs, policy, emission queue
 *
 * A role file calls another only through the functions declared here, and
 * only downwards in that list.
 */

#pragma once

#include "sdes-engine-private.h"

#include <sofia-sip/su_alloc.h>
#include <sofia-sip/sdp.h>

G_BEGIN_DECLS

/* The key the engine uses for a dialog whose To-tag it was never told (the
 * dialog of an incoming call: the agent knows its own tag, we don't need it). */
#define NO_TAG ""

/* ------------------------------------------------------------------------- */
/* State (sdes-session-state.c)                                               */
/* ------------------------------------------------------------------------- */

/* One m-line position. RFC 3264 §8: once an m-line exists it keeps its
 * position for the whole session, so the layout only ever grows. */
typedef struct {
  SdesMediaType type;
  gchar *type_name;              /* m-line media token as written */
  gchar *proto;                  /* m-line transport token as written */
  gchar *voice_proto;            /* proto to restore after T.38 (Cisco "T.38 Fax") */
  gint stream;                   /* local stream carried here, -1: port 0 */
  gchar *formats;                /* format list written when the port is 0 */
  /* committed state */
  SdesCryptoAttr *active_local;  /* negotiated local key, NULL if not SRTP */
  gchar *last_local_address;
  guint last_local_port;
  gchar *last_remote_address;    /* last real (non-hold) remote address */
  guint last_remote_port;
  /* our pending offer */
  GPtrArray *offered;            /* SdesCryptoAttr */
} Slot;

typedef struct {
  gchar *tag;
  GPtrArray *media;              /* SdesMediaDescription, one per m-line */
} Dialog;

typedef enum {
  EMIT_MEDIA_CHANGED,
  EMIT_DIALOG_RELEASED,
} EmitKind;

typedef struct {
  EmitKind kind;
  gchar *tag;
  GPtrArray *media;
} Emission;

struct _SdesSession {
  GObject parent;

  /* Guards everything below; never held while a signal is emitted. */
  GMutex lock;

  /* What the last sdes_session_process_offer() refused with (0 / NULL
   * after one that succeeded): sdes_session_get_rejection(). */
  guint rejection_status;
  gchar *rejection_warning;

  SdesSrtpPolicy policy;
  SdesOfferStyle offer_style;
  gchar **suites;
  gboolean secure_signaling;
  gboolean require_secure_signaling;
  gboolean accept_mki;
  gchar *warn_agent;

  SdesLocalMedia *local;         /* committed local media */
  GPtrArray *slots;              /* committed m-line layout (Slot) */
  GPtrArray *pending;            /* layout of our outstanding offer, or NULL */
  SdesLocalMedia *pending_local;
  gboolean pending_has_srtp;
  GHashTable *dialogs;           /* tag -> Dialog */
  gchar *confirmed_tag;          /* NULL until the dialog is established */
  gboolean fell_back;            /* RTP only for the rest of the call */

  guint64 origin_id;
  guint64 origin_version;
  gchar *last_sdp;

  GQueue emissions;              /* Emission, emitted after unlock */
};

enum {
  SIGNAL_MEDIA_CHANGED,
  SIGNAL_DIALOG_RELEASED,
  N_SIGNALS
};

/* Set by class_init (sdes-session.c), read by sdes_session_unlock_and_emit(). */
G_GNUC_INTERNAL extern guint sdes_session_signals[N_SIGNALS];

/* Transport profile families of an m-line. */
typedef enum {
  KIND_RTP,        /* RTP/AVP, RTP/AVPF */
  KIND_SRTP,       /* RTP/SAVP, RTP/SAVPF */
  KIND_DTLS,       /* UDP/TLS/RTP/SAVP[F], TCP/TLS/RTP/SAVP[F]: DTLS-SRTP, not SDES */
  KIND_UDPTL,      /* udptl (T.38) */
  KIND_OTHER,
} Kind;

G_GNUC_INTERNAL Kind sdes_profile_classify (const gchar *proto, gboolean *feedback);
G_GNUC_INTERNAL SdesMediaType sdes_media_type_from_name (const gchar *name);
G_GNUC_INTERNAL const gchar *sdes_media_type_name (SdesMediaType type);
G_GNUC_INTERNAL gboolean sdes_address_is_hold (const gchar *address);

G_GNUC_INTERNAL void sdes_slot_free (gpointer data);
G_GNUC_INTERNAL GPtrArray *sdes_slots_copy (GPtrArray *slots);
G_GNUC_INTERNAL void sdes_dialog_free (gpointer data);
G_GNUC_INTERNAL const SdesMediaDescription *sdes_dialog_prev_desc (Dialog *dialog, guint index);
G_GNUC_INTERNAL void sdes_emission_free (Emission *e);
G_GNUC_INTERNAL GPtrArray *sdes_media_array_new (void);

G_GNUC_INTERNAL void sdes_media_description_set_change_flags (SdesMediaDescription *desc,
                                                              const SdesMediaDescription *prev,
                                                              const Slot *slot);
G_GNUC_INTERNAL SdesMediaDescription *sdes_media_description_new_inactive (
    guint index, SdesMediaType type, const gchar *profile, const gchar *tag,
    const SdesMediaDescription *prev);

/* The functions below must be called with the lock held. */
G_GNUC_INTERNAL void sdes_session_queue_emission (SdesSession *self, EmitKind kind,
                                                  const gchar *tag, GPtrArray *media);
/* Releases the lock, then emits what was queued while it was held. */
G_GNUC_INTERNAL void sdes_session_unlock_and_emit (SdesSession *self);
G_GNUC_INTERNAL SdesSrtpPolicy sdes_session_effective_policy (SdesSession *self,
                                                              gboolean *insecure_downgrade,
                                                              gboolean *insecure_refused);
G_GNUC_INTERNAL SdesLocalMedia *sdes_session_usable_local (SdesSession *self,
                                                            SdesLocalMedia *local_in,
                                                            const gchar *pending_message,
                                                            GError **error);
G_GNUC_INTERNAL gboolean sdes_session_suite_accepted (SdesSession *self, SdesCryptoSuite suite);
G_GNUC_INTERNAL void sdes_session_release_dialogs_except (SdesSession *self, const gchar *keep);
G_GNUC_INTERNAL void sdes_session_commit_layout (SdesSession *self, GPtrArray *slots,
                                                 SdesLocalMedia *local, Dialog *dialog);

/* ------------------------------------------------------------------------- */
/* Reading SDP (sdes-session-sdp-read.c)                                      */
/* ------------------------------------------------------------------------- */

/* Parses @sdp with Sofia after the line check of sdp-guard.h; the parser
 * lives in @home. @guard_refused (optional) says the guard refused it. */
G_GNUC_INTERNAL sdp_session_t *sdes_sdp_parse (su_home_t *home, const gchar *sdp,
                                               gboolean *guard_refused, GError **error);
G_GNUC_INTERNAL guint sdes_sdp_count_media (const sdp_session_t *session);
G_GNUC_INTERNAL GArray *sdes_sdp_common_codecs (const SdesLocalStream *ls, const sdp_media_t *m);
G_GNUC_INTERNAL guint sdes_sdp_count_crypto (const sdp_media_t *m);
G_GNUC_INTERNAL const sdp_attribute_t *sdes_sdp_first_crypto (const sdp_media_t *m);
G_GNUC_INTERNAL gboolean sdes_sdp_has_format (const sdp_media_t *m, const gchar *fmt);
G_GNUC_INTERNAL gchar *sdes_sdp_join_formats (const sdp_media_t *m);
G_GNUC_INTERNAL gboolean sdes_sdp_rtcp_mux_agreed (const SdesLocalStream *ls,
                                                   const sdp_media_t *m);
G_GNUC_INTERNAL void sdes_media_description_fill_active (SdesMediaDescription *desc,
                                                         const SdesLocalMedia *local,
                                                         const SdesLocalStream *ls,
                                                         const sdp_media_t *m, GArray *codecs,
                                                         gboolean mux);

/* ------------------------------------------------------------------------- */
/* Writing SDP (sdes-session-sdp-write.c)                                     */
/* ------------------------------------------------------------------------- */

typedef struct {
  const gchar *type_name;
  const gchar *proto;
  guint port;
  GArray *codecs;          /* SdesLocalCodec, borrowed; NULL for non-RTP */
  const gchar *formats;    /* written when codecs is NULL */
  guint rtcp_port;         /* a=rtcp when non-zero */
  gboolean rtcp_mux;
  SdesDirection direction;
  GPtrArray *crypto;       /* SdesCryptoAttr, borrowed; may be NULL */
  GPtrArray *attributes;   /* name, value pairs, borrowed; may be NULL */
} MLineOut;

G_GNUC_INTERNAL void sdes_mline_fill_for_stream (MLineOut *out, const SdesLocalStream *ls,
                                                 gboolean mux);
/* Prints @mlines (MLineOut) as one SDP; must be called with the lock held. */
G_GNUC_INTERNAL gchar *sdes_session_print_sdp (SdesSession *self, const gchar *address,
                                               GArray *mlines);

/* ------------------------------------------------------------------------- */
/* Answerer (sdes-session-answer.c) and offerer (sdes-session-offer.c)        */
/* ------------------------------------------------------------------------- */

/* All of them must be called with the lock held. @reject_status and
 * @reject_warning of sdes_session_process_offer_locked() are not optional. */
G_GNUC_INTERNAL gchar *sdes_session_process_offer_locked (SdesSession *self,
                                                          SdesLocalMedia *local_in,
                                                          const gchar *sdp,
                                                          guint *reject_status,
                                                          gchar **reject_warning,
                                                          GError **error);
G_GNUC_INTERNAL gchar *sdes_session_create_offer_locked (SdesSession *self,
                                                         SdesLocalMedia *local,
                                                         SdesOfferFlags flags,
                                                         GError **error);
G_GNUC_INTERNAL gchar *sdes_session_create_fallback_offer_locked (SdesSession *self,
                                                                  guint status_code,
                                                                  GError **error);
G_GNUC_INTERNAL gboolean sdes_session_process_answer_locked (SdesSession *self,
                                                             const gchar *dialog_tag,
                                                             const gchar *sdp,
                                                             GError **error);
G_GNUC_INTERNAL gboolean sdes_session_confirm_dialog_locked (SdesSession *self,
                                                             const gchar *dialog_tag,
                                                             GError **error);
G_GNUC_INTERNAL void sdes_session_cancel_offer_locked (SdesSession *self);

G_END_DECLS
