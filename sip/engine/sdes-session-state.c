/* srtpsdes — SdesSession state: m-line layout, dialogs, policy, emissions
 *
 * Copyright (C) 2026 srtpsdes developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The bottom of the engine's role files (see sdes-session-private.h): what
 * the offerer, the answerer and the public API share. Nothing here reads or
 * writes SDP.
 */

#include "sdes-session-private.h"

#include <string.h>

guint sdes_session_signals[N_SIGNALS];

/* ------------------------------------------------------------------------- */
/* Names and profiles                                                         */
/* ------------------------------------------------------------------------- */

Kind
sdes_profile_classify (const gchar *proto, gboolean *feedback)
{
  gboolean fb = FALSE;
  Kind kind = KIND_OTHER;

  if (proto == NULL)
    proto = "";
  if (g_ascii_strcasecmp (proto, "RTP/AVP") == 0) {
    kind = KIND_RTP;
  } else if (g_ascii_strcasecmp (proto, "RTP/AVPF") == 0) {
    kind = KIND_RTP;
    fb = TRUE;
  } else if (g_ascii_strcasecmp (proto, "RTP/SAVP") == 0) {
    kind = KIND_SRTP;
  } else if (g_ascii_strcasecmp (proto, "RTP/SAVPF") == 0) {
    /* RFC 5124: SAVP with RTCP feedback; the keying is the same. */
    kind = KIND_SRTP;
    fb = TRUE;
  } else if (g_str_has_prefix (proto, "UDP/TLS/") || g_str_has_prefix (proto, "TCP/TLS/") ||
             g_str_has_prefix (proto, "udp/tls/") || g_str_has_prefix (proto, "tcp/tls/")) {
    kind = KIND_DTLS;
  } else if (g_ascii_strcasecmp (proto, "udptl") == 0) {
    kind = KIND_UDPTL;
  }
  if (feedback != NULL)
    *feedback = fb;
  return kind;
}
SdesMediaType
sdes_media_type_from_name (const gchar *name)
{
  if (name == NULL)
    return SDES_MEDIA_TYPE_OTHER;
  if (g_ascii_strcasecmp (name, "audio") == 0)
    return SDES_MEDIA_TYPE_AUDIO;
  if (g_ascii_strcasecmp (name, "video") == 0)
    return SDES_MEDIA_TYPE_VIDEO;
  if (g_ascii_strcasecmp (name, "image") == 0)
    return SDES_MEDIA_TYPE_IMAGE;
  return SDES_MEDIA_TYPE_OTHER;
}

const gchar *
sdes_media_type_name (SdesMediaType type)
{
  switch (type) {
    case SDES_MEDIA_TYPE_AUDIO: return "audio";
    case SDES_MEDIA_TYPE_VIDEO: return "video";
    case SDES_MEDIA_TYPE_IMAGE: return "image";
    case SDES_MEDIA_TYPE_OTHER:
    default: return "application";
  }
}

/* ------------------------------------------------------------------------- */
/* Layout and dialogs                                                         */
/* ------------------------------------------------------------------------- */

gboolean
sdes_address_is_hold (const gchar *address)
{
  /* RFC 2543 / RFC 3264 §8.4 legacy hold: c=IN IP4 0.0.0.0. */
  return address == NULL || strcmp (address, "0.0.0.0") == 0 || strcmp (address, "::") == 0;
}

void
sdes_slot_free (gpointer data)
{
  Slot *slot = data;

  g_free (slot->type_name);
  g_free (slot->proto);
  g_free (slot->voice_proto);
  g_free (slot->formats);
  g_clear_pointer (&slot->active_local, sdes_crypto_attr_free);
  g_free (slot->last_local_address);
  g_free (slot->last_remote_address);
  g_clear_pointer (&slot->offered, g_ptr_array_unref);
  g_free (slot);
}

static Slot *
slot_copy (const Slot *src)
{
  Slot *dst = g_new0 (Slot, 1);

  dst->type = src->type;
  dst->type_name = g_strdup (src->type_name);
  dst->proto = g_strdup (src->proto);
  dst->voice_proto = g_strdup (src->voice_proto);
  dst->stream = src->stream;
  dst->formats = g_strdup (src->formats);
  dst->active_local = src->active_local ? sdes_crypto_attr_copy (src->active_local) : NULL;
  dst->last_local_address = g_strdup (src->last_local_address);
  dst->last_local_port = src->last_local_port;
  dst->last_remote_address = g_strdup (src->last_remote_address);
  dst->last_remote_port = src->last_remote_port;
  /* offered keys belong to one offer only */
  return dst;
}

GPtrArray *
sdes_slots_copy (GPtrArray *slots)
{
  GPtrArray *copy = g_ptr_array_new_with_free_func (sdes_slot_free);

  for (guint i = 0; slots != NULL && i < slots->len; i++)
    g_ptr_array_add (copy, slot_copy (g_ptr_array_index (slots, i)));
  return copy;
}

void
sdes_dialog_free (gpointer data)
{
  Dialog *dialog = data;

  g_free (dialog->tag);
  g_clear_pointer (&dialog->media, g_ptr_array_unref);
  g_free (dialog);
}

void
sdes_emission_free (Emission *e)
{
  g_free (e->tag);
  g_clear_pointer (&e->media, g_ptr_array_unref);
  g_free (e);
}

GPtrArray *
sdes_media_array_new (void)
{
  return g_ptr_array_new_with_free_func ((GDestroyNotify) sdes_media_description_unref);
}

/* ------------------------------------------------------------------------- */
/* Emission queue                                                             */
/* ------------------------------------------------------------------------- */

/* Must be called with the lock held. */
void
sdes_session_queue_emission (SdesSession *self, EmitKind kind, const gchar *tag,
                             GPtrArray *media)
{
  Emission *e = g_new0 (Emission, 1);

  e->kind = kind;
  e->tag = (tag != NULL && *tag != '\0') ? g_strdup (tag) : NULL;
  e->media = media ? g_ptr_array_ref (media) : NULL;
  g_queue_push_tail (&self->emissions, e);
}

/* Releases the lock, then emits everything queued while it was held
 * (libnice's agent_unlock_and_emit: a handler may call back into us). */
void
sdes_session_unlock_and_emit (SdesSession *self)
{
  GQueue queue = G_QUEUE_INIT;

  queue = self->emissions;
  g_queue_init (&self->emissions);
  g_mutex_unlock (&self->lock);

  g_object_ref (self);
  for (Emission *e; (e = g_queue_pop_head (&queue)) != NULL;) {
    if (e->kind == EMIT_MEDIA_CHANGED)
      g_signal_emit (self, sdes_session_signals[SIGNAL_MEDIA_CHANGED], 0, e->tag, e->media);
    else
      g_signal_emit (self, sdes_session_signals[SIGNAL_DIALOG_RELEASED], 0, e->tag);
    sdes_emission_free (e);
  }
  g_object_unref (self);
}

/* ------------------------------------------------------------------------- */
/* Policy                                                                     */
/* ------------------------------------------------------------------------- */

/* Cisco Table 44: with insecure signaling and require-secure-signaling,
 * "securertp fallback" sends an RTP-only SDP and plain "securertp" fails the
 * call. We apply the same rule to answers: a key is never written into SDP
 * that travels in clear while require-secure-signaling is on.
 * Must be called with the lock held. */
SdesSrtpPolicy
sdes_session_effective_policy (SdesSession *self, gboolean *insecure_downgrade,
                               gboolean *insecure_refused)
{
  SdesSrtpPolicy policy = self->fell_back ? SDES_SRTP_POLICY_OFF : self->policy;
  gboolean signaling_ok = self->secure_signaling || !self->require_secure_signaling;

  if (insecure_downgrade != NULL)
    *insecure_downgrade = FALSE;
  if (insecure_refused != NULL)
    *insecure_refused = FALSE;
  if (policy == SDES_SRTP_POLICY_OFF || signaling_ok)
    return policy;
  if (policy == SDES_SRTP_POLICY_OPTIONAL) {
    if (insecure_downgrade != NULL)
      *insecure_downgrade = TRUE;
    return SDES_SRTP_POLICY_OFF;
  }
  if (insecure_refused != NULL)
    *insecure_refused = TRUE;
  return SDES_SRTP_POLICY_MANDATORY;
}

/* Must be called with the lock held. */
gboolean
sdes_session_suite_accepted (SdesSession *self, SdesCryptoSuite suite)
{
  for (guint i = 0; self->suites != NULL && self->suites[i] != NULL; i++) {
    SdesCryptoSuite s;

    if (sdes_crypto_suite_from_name (self->suites[i], &s) && s == suite)
      return TRUE;
  }
  return FALSE;
}

static gboolean
crypto_same (const SdesCryptoAttr *a, const SdesCryptoAttr *b)
{
  if (a == NULL || b == NULL)
    return a == b;
  return a->tag == b->tag && sdes_crypto_attr_same_keys (a, b);
}

/* Same RTCP transport; an inactive description has none. */
static gboolean
rtcp_same (const SdesMediaDescription *prev, const SdesMediaDescription *desc)
{
  gboolean was_active = prev != NULL && prev->active;

  if (!was_active || !desc->active)
    return was_active == desc->active;
  return prev->rtcp_mux == desc->rtcp_mux && prev->local_rtcp_port == desc->local_rtcp_port &&
         prev->remote_rtcp_port == desc->remote_rtcp_port;
}

/* A copy of @local_in, else the committed local media, to make an offer
 * or answer with. NULL and SDES_ENGINE_ERROR_WRONG_STATE (@pending_message)
 * while an offer of ours is pending, NULL and
 * SDES_ENGINE_ERROR_INVALID_ARGUMENT when there is no usable local media.
 * Must be called with the lock held. */
SdesLocalMedia *
sdes_session_usable_local (SdesSession *self, SdesLocalMedia *local_in,
                           const gchar *pending_message, GError **error)
{
  g_autoptr (SdesLocalMedia) local = NULL;

  if (self->pending != NULL) {
    g_set_error_literal (error, SDES_ENGINE_ERROR, SDES_ENGINE_ERROR_WRONG_STATE,
                         pending_message);
    return NULL;
  }
  if (local_in != NULL)
    local = sdes_local_media_copy (local_in);
  else if (self->local != NULL)
    local = sdes_local_media_ref (self->local);
  if (local == NULL) {
    g_set_error_literal (error, SDES_ENGINE_ERROR, SDES_ENGINE_ERROR_INVALID_ARGUMENT,
                         "no local media");
    return NULL;
  }
  if (!sdes_local_media_validate (local, error))
    return NULL;
  return g_steal_pointer (&local);
}

/* ------------------------------------------------------------------------- */
/* Committing a negotiation                                                   */
/* ------------------------------------------------------------------------- */

/* Must be called with the lock held. */
void
sdes_session_release_dialogs_except (SdesSession *self, const gchar *keep)
{
  GHashTableIter iter;
  gpointer key;
  g_autoptr (GPtrArray) gone = g_ptr_array_new_with_free_func (g_free);

  g_hash_table_iter_init (&iter, self->dialogs);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    if (keep == NULL || strcmp (key, keep) != 0)
      g_ptr_array_add (gone, g_strdup (key));
  for (guint i = 0; i < gone->len; i++) {
    const gchar *tag = g_ptr_array_index (gone, i);

    g_debug ("releasing dialog '%s'", tag);
    g_hash_table_remove (self->dialogs, tag);
    sdes_session_queue_emission (self, EMIT_DIALOG_RELEASED, tag, NULL);
  }
}

/* Makes @slots (with the outcome in @dialog) the committed layout.
 * Must be called with the lock held. */
void
sdes_session_commit_layout (SdesSession *self, GPtrArray *slots, SdesLocalMedia *local,
                            Dialog *dialog)
{
  for (guint i = 0; i < slots->len; i++) {
    Slot *slot = g_ptr_array_index (slots, i);
    const SdesMediaDescription *d = g_ptr_array_index (dialog->media, i);

    g_clear_pointer (&slot->offered, g_ptr_array_unref);
    g_clear_pointer (&slot->active_local, sdes_crypto_attr_free);
    if (!d->active) {
      slot->stream = -1;
      continue;
    }
    slot->stream = d->local_stream;
    g_free (slot->proto);
    slot->proto = g_strdup (d->profile);
    slot->active_local = d->local_crypto ? sdes_crypto_attr_copy (d->local_crypto) : NULL;
    g_free (slot->last_local_address);
    slot->last_local_address = g_strdup (d->local_address);
    slot->last_local_port = d->local_port;
    if (!sdes_address_is_hold (d->remote_address)) {
      g_free (slot->last_remote_address);
      slot->last_remote_address = g_strdup (d->remote_address);
      slot->last_remote_port = d->remote_port;
    }
  }
  g_clear_pointer (&self->slots, g_ptr_array_unref);
  self->slots = g_ptr_array_ref (slots);
  if (local != self->local) {
    g_clear_pointer (&self->local, sdes_local_media_unref);
    self->local = sdes_local_media_ref (local);
  }
}

/* Fills the change flags of @desc against @prev (same m-line, same dialog).
 * RFC 3711 §3.3.1 and RFC 4568 §7.1.4 (sipwise/rtpengine PR#107,
 * pjsip/pjproject PR#2846): the ROC restarts only with a new key on a new
 * stream or a new address/port; a key change on the same SSRC and address
 * keeps the ROC. */
void
sdes_media_description_set_change_flags (SdesMediaDescription *desc,
                                         const SdesMediaDescription *prev, const Slot *slot)
{
  gboolean new_stream = prev == NULL || !prev->active || !prev->secure;
  gboolean moved = FALSE;

  desc->local_key_changed = !crypto_same (prev ? prev->local_crypto : NULL, desc->local_crypto);
  desc->remote_key_changed = !crypto_same (prev ? prev->remote_crypto : NULL, desc->remote_crypto);
  if (slot != NULL && desc->active) {
    if (slot->last_local_address != NULL &&
        (g_strcmp0 (slot->last_local_address, desc->local_address) != 0 ||
         slot->last_local_port != desc->local_port))
      moved = TRUE;
    if (slot->last_remote_address != NULL && !sdes_address_is_hold (desc->remote_address) &&
        (g_strcmp0 (slot->last_remote_address, desc->remote_address) != 0 ||
         slot->last_remote_port != desc->remote_port))
      moved = TRUE;
  }
  desc->local_roc_reset = desc->secure && desc->local_key_changed && (new_stream || moved);
  desc->remote_roc_reset = desc->secure && desc->remote_key_changed && (new_stream || moved);
  desc->rtcp_changed = !rtcp_same (prev, desc);
}

SdesMediaDescription *
sdes_media_description_new_inactive (guint index, SdesMediaType type, const gchar *profile,
                                     const gchar *tag, const SdesMediaDescription *prev)
{
  SdesMediaDescription *desc = sdes_media_description_new ();

  desc->index = index;
  desc->media_type = type;
  desc->profile = g_strdup (profile);
  sdes_profile_classify (profile, &desc->feedback);
  desc->dialog_tag = (tag && *tag) ? g_strdup (tag) : NULL;
  sdes_media_description_set_change_flags (desc, prev, NULL);
  return desc;
}

const SdesMediaDescription *
sdes_dialog_prev_desc (Dialog *dialog, guint index)
{
  if (dialog == NULL || dialog->media == NULL || index >= dialog->media->len)
    return NULL;
  return g_ptr_array_index (dialog->media, index);
}
