/* srtpsdes — SdesSession as offerer: offers, the RTP fallback, answers
 *
 * Copyright (C) 2026 srtpsdes developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Cisco Table 44 decides whether an offer may carry keys at all; RFC 4568
 * §7.1.3-§7.1.4 how an answer's a=crypto line is checked; RFC 3261
 * §13.2.2.4 which forked dialog wins.
 */

#include "sdes-session-private.h"

#include <string.h>

/* ------------------------------------------------------------------------- */
/* Building the offer                                                         */
/* ------------------------------------------------------------------------- */

static void
crypto_ptr_free (gpointer data)
{
  sdes_crypto_attr_free (data);
}

static gchar *
formats_of_stream (const SdesLocalStream *ls)
{
  g_autoptr (GString) s = g_string_new (NULL);

  if (ls->type == SDES_MEDIA_TYPE_IMAGE)
    return g_strdup ("t38");
  for (guint i = 0; i < ls->codecs->len; i++)
    g_string_append_printf (s, "%s%u", s->len ? " " : "",
                            g_array_index (ls->codecs, SdesLocalCodec, i).payload_type);
  if (s->len == 0)
    g_string_append_c (s, '0');
  return g_string_free (g_steal_pointer (&s), FALSE);
}

static Slot *
slot_new (gint stream, const SdesLocalStream *ls, const gchar *proto)
{
  Slot *slot = g_new0 (Slot, 1);

  slot->stream = stream;
  slot->type = ls->type;
  slot->type_name = g_strdup (sdes_media_type_name (ls->type));
  slot->proto = g_strdup (proto);
  slot->formats = formats_of_stream (ls);
  return slot;
}

static const gchar *
voice_proto_for (SdesSrtpPolicy eff)
{
  return eff == SDES_SRTP_POLICY_OFF ? "RTP/AVP" : "RTP/SAVP";
}

/* Must be called with the lock held. */
static void
append_initial_slots (SdesSession *self, GPtrArray *slots, guint stream,
                      const SdesLocalStream *ls, SdesSrtpPolicy eff)
{
  if (ls->type == SDES_MEDIA_TYPE_IMAGE) {
    /* Cisco "T.38 Fax": the fax leg is never secured. */
    g_ptr_array_add (slots, slot_new (stream, ls, "udptl"));
  } else if (eff == SDES_SRTP_POLICY_OPTIONAL && self->offer_style == SDES_OFFER_STYLE_DUAL) {
    /* Cisco "SIP Support for SRTP", "SDP Negotiation" example offer:
     * RTP/AVP first, RTP/SAVP second, same codecs; the answerer sets port 0
     * on one (Table 46). */
    g_ptr_array_add (slots, slot_new (stream, ls, "RTP/AVP"));
    g_ptr_array_add (slots, slot_new (stream, ls, "RTP/SAVP"));
  } else {
    g_ptr_array_add (slots, slot_new (stream, ls, voice_proto_for (eff)));
  }
}

/* Fills slot->offered for a secure slot. Must be called with the lock held. */
static gboolean
prepare_offer_crypto (SdesSession *self, Slot *slot, const SdesLocalMedia *local,
                      const SdesLocalStream *ls, SdesOfferFlags flags, GError **error)
{
  g_autoptr (GError) local_error = NULL;

  slot->offered = g_ptr_array_new_with_free_func (crypto_ptr_free);
  if (sdes_profile_classify (slot->proto, NULL) != KIND_SRTP)
    return TRUE;

  if (slot->active_local != NULL) {
    SdesCryptoAttr *attr = sdes_crypto_attr_copy (slot->active_local);
    gboolean moved = g_strcmp0 (slot->last_local_address, local->address) != 0 ||
                     slot->last_local_port != ls->port;

    /* Cisco "SIP Support for SRTP", rekeying rules: a new key only with a
     * new connection address or port, or when the application asks for a
     * rekey (RFC 4568 §7.1.4: same tag and suite, new key); otherwise
     * re-offer exactly the active line (pjsip/pjproject#1856,
     * sipsorcery-org/sipsorcery#930: never change a key without signalling
     * it). */
    if ((moved || (flags & SDES_OFFER_FLAG_REKEY)) &&
        !sdes_crypto_attr_regenerate_keys (attr, &local_error)) {
      sdes_crypto_attr_free (attr);
      g_set_error (error, SDES_ENGINE_ERROR, SDES_ENGINE_ERROR_KEY_GENERATION,
                   "key generation failed: %s", local_error->message);
      return FALSE;
    }
    g_ptr_array_add (slot->offered, attr);
    return TRUE;
  }

  /* A fresh offer: every configured suite, in order, tags from 1
   * (baresip/baresip#229, sipwise/rtpengine#2098), each line with its own
   * key (RFC 4568 §6.1). */
  for (guint i = 0, tag = 1; self->suites != NULL && self->suites[i] != NULL; i++) {
    SdesCryptoSuite suite;
    SdesCryptoAttr *attr;

    if (!sdes_crypto_suite_from_name (self->suites[i], &suite))
      continue;
    attr = sdes_crypto_attr_generate (suite, tag++, 0, 0, 0, &local_error);
    if (attr == NULL) {
      g_set_error (error, SDES_ENGINE_ERROR, SDES_ENGINE_ERROR_KEY_GENERATION,
                   "key generation failed: %s", local_error->message);
      return FALSE;
    }
    g_ptr_array_add (slot->offered, attr);
  }
  if (slot->offered->len == 0) {
    g_set_error_literal (error, SDES_ENGINE_ERROR, SDES_ENGINE_ERROR_INVALID_ARGUMENT,
                         "no usable crypto suite configured");
    return FALSE;
  }
  return TRUE;
}

/* Moves @slot to what local stream @ls now is (voice, T.38, or RTP only
 * when the policy no longer allows keys). */
static void
reoffer_slot (Slot *slot, const SdesLocalStream *ls, SdesSrtpPolicy eff)
{
  if (ls->type == SDES_MEDIA_TYPE_IMAGE && slot->type != SDES_MEDIA_TYPE_IMAGE) {
    /* Voice -> T.38 on the same m-line: unsecured (Cisco "T.38 Fax";
     * sipwise/rtpengine#1067). The committed keys stay until the answer
     * arrives, so a rejected T.38 re-INVITE keeps the voice keys. */
    g_free (slot->voice_proto);
    slot->voice_proto = g_strdup (slot->proto);
    g_free (slot->proto);
    slot->proto = g_strdup ("udptl");
    g_clear_pointer (&slot->active_local, sdes_crypto_attr_free);
  } else if (ls->type != SDES_MEDIA_TYPE_IMAGE && slot->type == SDES_MEDIA_TYPE_IMAGE) {
    /* Back to voice: the call returns to its initial voice state with a
     * fresh key (no active key is carried over the fax leg). */
    g_free (slot->proto);
    slot->proto = g_strdup (slot->voice_proto ? slot->voice_proto : voice_proto_for (eff));
    g_clear_pointer (&slot->active_local, sdes_crypto_attr_free);
  }
  if (eff == SDES_SRTP_POLICY_OFF && sdes_profile_classify (slot->proto, NULL) == KIND_SRTP) {
    /* Policy or Table 44 now forbid keys in SDP. */
    g_free (slot->proto);
    slot->proto = g_strdup ("RTP/AVP");
    g_clear_pointer (&slot->active_local, sdes_crypto_attr_free);
  }
  slot->type = ls->type;
  g_free (slot->type_name);
  slot->type_name = g_strdup (sdes_media_type_name (ls->type));
  g_free (slot->formats);
  slot->formats = formats_of_stream (ls);
}

/* The layout of an offer: the committed m-lines, each with the local stream
 * it carried (or port 0), then new m-lines for the streams not placed yet.
 * Must be called with the lock held. */
static GPtrArray *
offer_layout (SdesSession *self, SdesLocalMedia *local, SdesSrtpPolicy eff)
{
  GPtrArray *slots = sdes_slots_copy (self->slots);
  g_autofree gboolean *mapped = g_new0 (gboolean, local->streams->len);

  /* RFC 3264 §8 (pjsip/pjproject#1580, sipwise/rtpengine#1489): a re-offer
   * keeps every m-line where it was. */
  for (guint i = 0; i < slots->len; i++) {
    Slot *slot = g_ptr_array_index (slots, i);

    if (slot->stream < 0 || (guint) slot->stream >= local->streams->len ||
        mapped[slot->stream]) {
      slot->stream = -1;
      continue;
    }
    mapped[slot->stream] = TRUE;
    reoffer_slot (slot, g_ptr_array_index (local->streams, slot->stream), eff);
  }
  for (guint s = 0; s < local->streams->len; s++)
    if (!mapped[s])
      append_initial_slots (self, slots, s, g_ptr_array_index (local->streams, s), eff);
  return slots;
}

/* Builds the layout and SDP of an offer and makes it the pending one.
 * Must be called with the lock held. */
static gchar *
build_offer (SdesSession *self, SdesLocalMedia *local, SdesSrtpPolicy eff, SdesOfferFlags flags,
             GError **error)
{
  g_autoptr (GPtrArray) slots = offer_layout (self, local, eff);
  g_autoptr (GArray) mlines = g_array_new (FALSE, TRUE, sizeof (MLineOut));
  gboolean has_srtp = FALSE;
  gchar *text;

  for (guint i = 0; i < slots->len; i++) {
    Slot *slot = g_ptr_array_index (slots, i);
    MLineOut out = { 0, };

    out.type_name = slot->type_name;
    out.proto = slot->proto;
    out.formats = slot->formats;
    if (slot->stream >= 0) {
      const SdesLocalStream *ls = g_ptr_array_index (local->streams, slot->stream);

      if (!prepare_offer_crypto (self, slot, local, ls, flags, error))
        return NULL;
      sdes_mline_fill_for_stream (&out, ls, FALSE);
      out.rtcp_mux = ls->rtcp_mux && ls->type != SDES_MEDIA_TYPE_IMAGE;
      out.crypto = slot->offered;
      if (slot->offered->len > 0)
        has_srtp = TRUE;
    }
    g_array_append_val (mlines, out);
  }

  text = sdes_session_print_sdp (self, local->address, mlines);
  if (text == NULL) {
    g_set_error_literal (error, SDES_ENGINE_ERROR, SDES_ENGINE_ERROR_INVALID_ARGUMENT,
                         "could not print the offer");
    return NULL;
  }
  g_clear_pointer (&self->pending, g_ptr_array_unref);
  self->pending = g_steal_pointer (&slots);
  g_clear_pointer (&self->pending_local, sdes_local_media_unref);
  self->pending_local = sdes_local_media_ref (local);
  self->pending_has_srtp = has_srtp;
  return text;
}

gchar *
sdes_session_create_offer_locked (SdesSession *self, SdesLocalMedia *local, SdesOfferFlags flags,
                                  GError **error)
{
  g_autoptr (SdesLocalMedia) media = NULL;
  SdesSrtpPolicy eff;
  gboolean refused;

  media = sdes_session_usable_local (self, local, "an offer is already pending", error);
  if (media == NULL)
    return NULL;
  eff = sdes_session_effective_policy (self, NULL, &refused);
  if (refused) {
    g_set_error_literal (error, SDES_ENGINE_ERROR, SDES_ENGINE_ERROR_INSECURE_SIGNALING,
                         "SRTP is mandatory but signaling is not secure (Cisco Table 44): "
                         "no offer may be sent");
    return NULL;
  }
  return build_offer (self, media, eff, flags, error);
}

/* Why no RTP-only retry may follow a refused offer with @status_code, or
 * TRUE. Must be called with the lock held. */
static gboolean
fallback_allowed (SdesSession *self, guint status_code, GError **error)
{
  if (status_code != 488 && status_code != 415 && status_code != 606) {
    g_set_error (error, SDES_ENGINE_ERROR, SDES_ENGINE_ERROR_INVALID_ARGUMENT,
                 "status %u is not a media rejection (488, 415, 606)", status_code);
    return FALSE;
  }
  if (self->confirmed_tag != NULL) {
    g_set_error_literal (error, SDES_ENGINE_ERROR, SDES_ENGINE_ERROR_WRONG_STATE,
                         "fallback applies to the initial INVITE only");
    return FALSE;
  }
  if (self->fell_back) {
    g_set_error_literal (error, SDES_ENGINE_ERROR, SDES_ENGINE_ERROR_NO_FALLBACK,
                         "already fell back to RTP once");
    return FALSE;
  }
  if (self->policy == SDES_SRTP_POLICY_MANDATORY) {
    /* Cisco: without "securertp fallback" the call fails. */
    g_set_error_literal (error, SDES_ENGINE_ERROR, SDES_ENGINE_ERROR_NO_FALLBACK,
                         "SRTP is mandatory: no RTP fallback");
    return FALSE;
  }
  if (!self->pending_has_srtp) {
    g_set_error_literal (error, SDES_ENGINE_ERROR, SDES_ENGINE_ERROR_NO_FALLBACK,
                         "the refused offer carried no SRTP");
    return FALSE;
  }
  return TRUE;
}

gchar *
sdes_session_create_fallback_offer_locked (SdesSession *self, guint status_code, GError **error)
{
  g_autoptr (SdesLocalMedia) media = NULL;

  if (!fallback_allowed (self, status_code, error))
    return NULL;
  media = self->pending_local ? sdes_local_media_ref (self->pending_local) :
          self->local ? sdes_local_media_ref (self->local) : NULL;
  if (media == NULL) {
    g_set_error_literal (error, SDES_ENGINE_ERROR, SDES_ENGINE_ERROR_WRONG_STATE,
                         "no offer was made");
    return NULL;
  }
  /* A new INVITE: new dialogs, new m-line layout. */
  sdes_session_release_dialogs_except (self, NULL);
  g_clear_pointer (&self->pending, g_ptr_array_unref);
  g_clear_pointer (&self->pending_local, sdes_local_media_unref);
  g_clear_pointer (&self->slots, g_ptr_array_unref);
  self->fell_back = TRUE;
  return build_offer (self, media, SDES_SRTP_POLICY_OFF, SDES_OFFER_FLAG_NONE, error);
}

/* ------------------------------------------------------------------------- */
/* Offerer: answers                                                           */
/* ------------------------------------------------------------------------- */

static const SdesCryptoAttr *
find_offered (const Slot *slot, guint32 tag)
{
  for (guint i = 0; slot->offered != NULL && i < slot->offered->len; i++) {
    const SdesCryptoAttr *o = g_ptr_array_index (slot->offered, i);

    if (o->tag == tag)
      return o;
  }
  return NULL;
}

/* RFC 4568 §7.1.3 / §7.1.4: the offerer checks the answer's line against
 * what it offered, matching by tag then suite (sipwise/rtpengine#2098).
 * Must be called with the lock held. */
static SdesCryptoAttr *
validate_answer_crypto (SdesSession *self, const Slot *slot, const sdp_media_t *m,
                        guint index, GError **error)
{
  g_autoptr (GError) local_error = NULL;
  g_autoptr (SdesCryptoAttr) attr = NULL;
  const SdesCryptoAttr *offered;
  const sdp_attribute_t *line;
  guint n = sdes_sdp_count_crypto (m);

  if (n == 0) {
    g_set_error (error, SDES_ENGINE_ERROR, SDES_ENGINE_ERROR_ANSWER_NO_CRYPTO,
                 "m-line %u: RTP/SAVP answer without a=crypto", index);
    return NULL;
  }
  if (n > 1) {
    g_set_error (error, SDES_ENGINE_ERROR, SDES_ENGINE_ERROR_ANSWER_TOO_MANY_CRYPTO,
                 "m-line %u: answer has %u a=crypto lines, RFC 4568 allows one", index, n);
    return NULL;
  }
  line = sdes_sdp_first_crypto (m);
  attr = sdes_crypto_attr_parse (line != NULL && line->a_value != NULL ? line->a_value : "",
                                 &local_error);
  if (attr == NULL) {
    g_set_error (error, SDES_ENGINE_ERROR, SDES_ENGINE_ERROR_ANSWER_BAD_CRYPTO,
                 "m-line %u: invalid a=crypto in answer: %s", index, local_error->message);
    return NULL;
  }
  offered = find_offered (slot, attr->tag);
  if (offered == NULL) {
    g_set_error (error, SDES_ENGINE_ERROR, SDES_ENGINE_ERROR_ANSWER_UNKNOWN_TAG,
                 "m-line %u: answer tag %u was not offered", index, attr->tag);
    return NULL;
  }
  if (offered->suite != attr->suite) {
    g_set_error (error, SDES_ENGINE_ERROR, SDES_ENGINE_ERROR_ANSWER_SUITE_MISMATCH,
                 "m-line %u: answer tag %u uses %s, offered %s", index, attr->tag,
                 attr->suite_name, offered->suite_name);
    return NULL;
  }
  if (attr->keys[0].mki_length > 0 && !self->accept_mki) {
    g_set_error (error, SDES_ENGINE_ERROR, SDES_ENGINE_ERROR_ANSWER_BAD_CRYPTO,
                 "m-line %u: answer uses an MKI and accept-mki is off", index);
    return NULL;
  }
  if ((attr->unencrypted_srtp && !offered->unencrypted_srtp) ||
      (attr->unencrypted_srtcp && !offered->unencrypted_srtcp) ||
      (attr->unauthenticated_srtp && !offered->unauthenticated_srtp)) {
    /* RFC 4568 §6.3.2-§6.3.3: negotiated parameters; the answer may not add one. */
    g_set_error (error, SDES_ENGINE_ERROR, SDES_ENGINE_ERROR_ANSWER_SESSION_PARAMS,
                 "m-line %u: answer adds a negotiated session parameter", index);
    return NULL;
  }
  return g_steal_pointer (&attr);
}

/* The dialog an answer belongs to: the established one for a re-offer,
 * else the answer's To-tag. NULL (and @error) when no offer is pending or
 * for a tag that is not ours. Must be called with the lock held. */
static const gchar *
answer_dialog_key (SdesSession *self, const gchar *dialog_tag, GError **error)
{
  if (self->pending == NULL) {
    g_set_error_literal (error, SDES_ENGINE_ERROR, SDES_ENGINE_ERROR_WRONG_STATE,
                         "no offer is pending");
    return NULL;
  }
  if (self->confirmed_tag == NULL)
    return dialog_tag ? dialog_tag : NO_TAG;
  /* A re-offer's answer belongs to the established dialog. */
  if (dialog_tag != NULL && *self->confirmed_tag != '\0' &&
      strcmp (dialog_tag, self->confirmed_tag) != 0) {
    g_set_error (error, SDES_ENGINE_ERROR, SDES_ENGINE_ERROR_UNKNOWN_DIALOG,
                 "answer from dialog '%s', the call is in dialog '%s'", dialog_tag,
                 self->confirmed_tag);
    return NULL;
  }
  return self->confirmed_tag;
}

/* The answered profile of m-line @index against the offered one; for SRTP
 * both ways, the validated answer key in @remote. Must be called with the
 * lock held. */
static gboolean
check_answered_profile (SdesSession *self, const Slot *slot, const sdp_media_t *m, guint index,
                        SdesSrtpPolicy eff, SdesCryptoAttr **remote, GError **error)
{
  Kind offered_kind = sdes_profile_classify (slot->proto, NULL);
  Kind kind = sdes_profile_classify (m->m_proto_name, NULL);

  if (offered_kind == KIND_SRTP && kind == KIND_SRTP) {
    *remote = validate_answer_crypto (self, slot, m, index, error);
    return *remote != NULL;
  }
  if ((offered_kind == KIND_SRTP || offered_kind == KIND_RTP) && kind == KIND_RTP) {
    /* RTP/SAVP answered RTP/AVP: the peer downgraded the profile, and we
     * never encrypt toward a peer that answered without SRTP
     * (emiago/diago#129). RTP/AVP answered RTP/AVP: the RTP/AVP m-line of a
     * dual offer (or an RTP-only offer). */
    if (eff == SDES_SRTP_POLICY_MANDATORY) {
      g_set_error (error, SDES_ENGINE_ERROR, SDES_ENGINE_ERROR_ANSWER_INSECURE,
                   offered_kind == KIND_SRTP ?
                   "m-line %u: answer downgraded RTP/SAVP to RTP/AVP, SRTP is mandatory" :
                   "m-line %u: answer accepted RTP/AVP, SRTP is mandatory", index);
      return FALSE;
    }
    return TRUE;
  }
  if (offered_kind == KIND_UDPTL && kind == KIND_UDPTL)
    return TRUE;
  g_set_error (error, SDES_ENGINE_ERROR, SDES_ENGINE_ERROR_ANSWER_MEDIA_MISMATCH,
               "m-line %u: answer profile '%s', offered '%s'", index,
               m->m_proto_name ? m->m_proto_name : "", slot->proto);
  return FALSE;
}

/* The description of answered m-line @index in dialog @key, or NULL (and
 * @error) when the answer is not acceptable. Must be called with the lock
 * held. */
static SdesMediaDescription *
describe_answered_mline (SdesSession *self, const sdp_media_t *m, guint index, const gchar *key,
                         const SdesMediaDescription *prev, SdesSrtpPolicy eff, GError **error)
{
  const Slot *slot = g_ptr_array_index (self->pending, index);
  const Slot *committed;
  const SdesLocalStream *ls;
  SdesMediaDescription *desc;
  g_autoptr (SdesCryptoAttr) remote = NULL;
  g_autoptr (GArray) codecs = NULL;
  gboolean mux;

  if (sdes_media_type_from_name (m->m_type_name) != slot->type &&
      !(slot->type == SDES_MEDIA_TYPE_OTHER && m->m_port == 0)) {
    g_set_error (error, SDES_ENGINE_ERROR, SDES_ENGINE_ERROR_ANSWER_MEDIA_MISMATCH,
                 "m-line %u: answer media '%s', offered '%s'", index,
                 m->m_type_name ? m->m_type_name : "", slot->type_name);
    return NULL;
  }
  if (slot->stream < 0 || m->m_port == 0)
    return sdes_media_description_new_inactive (index, slot->type, slot->proto, key, prev);
  ls = g_ptr_array_index (self->pending_local->streams, slot->stream);
  if (!check_answered_profile (self, slot, m, index, eff, &remote, error))
    return NULL;

  mux = sdes_sdp_rtcp_mux_agreed (ls, m);
  if (ls->type != SDES_MEDIA_TYPE_IMAGE) {
    codecs = sdes_sdp_common_codecs (ls, m);
    if (codecs->len == 0) {
      g_set_error (error, SDES_ENGINE_ERROR, SDES_ENGINE_ERROR_ANSWER_MEDIA_MISMATCH,
                   "m-line %u: answer has no codec of ours", index);
      return NULL;
    }
  }

  desc = sdes_media_description_new ();
  desc->index = index;
  desc->local_stream = slot->stream;
  desc->media_type = ls->type;
  desc->profile = g_strdup (m->m_proto_name);
  sdes_profile_classify (m->m_proto_name, &desc->feedback);
  desc->dialog_tag = *key ? g_strdup (key) : NULL;
  sdes_media_description_fill_active (desc, self->pending_local, ls, m, codecs, mux);
  if (remote != NULL) {
    desc->secure = TRUE;
    desc->local_crypto = sdes_crypto_attr_copy (find_offered (slot, remote->tag));
    desc->remote_crypto = g_steal_pointer (&remote);
  }
  /* compare against the committed slot, not the pending copy */
  committed = (self->slots && index < self->slots->len) ? g_ptr_array_index (self->slots, index)
                                                        : NULL;
  sdes_media_description_set_change_flags (desc, prev, committed);
  return desc;
}

/* Both m-lines of a dual offer accepted (pjsip/pjproject#1580 asserts on
 * this): keep the SRTP one. Must be called with the lock held. */
static void
drop_second_dual_mline (SdesSession *self, GPtrArray *media, const gchar *key,
                        Dialog *prev_dialog)
{
  for (guint i = 0; i < media->len; i++) {
    SdesMediaDescription *a = g_ptr_array_index (media, i);

    for (guint j = i + 1; a->active && j < media->len; j++) {
      SdesMediaDescription *b = g_ptr_array_index (media, j);

      if (b->active && b->local_stream == a->local_stream) {
        guint drop = a->secure ? j : i;
        SdesMediaDescription *d = g_ptr_array_index (media, drop);
        const Slot *slot = g_ptr_array_index (self->pending, drop);

        g_ptr_array_index (media, drop) =
            sdes_media_description_new_inactive (drop, d->media_type, slot->proto, key,
                                                 sdes_dialog_prev_desc (prev_dialog, drop));
        sdes_media_description_unref (d);
        if (drop == i)
          break;
      }
    }
  }
}

/* Keeps @media as dialog @key's state; an answer to a re-offer is final and
 * commits the pending layout. Must be called with the lock held. */
static void
store_answer (SdesSession *self, const gchar *key, GPtrArray *media)
{
  Dialog *d = g_new0 (Dialog, 1);

  d->tag = g_strdup (key);
  d->media = g_ptr_array_ref (media);
  g_hash_table_replace (self->dialogs, d->tag, d);
  if (self->confirmed_tag != NULL) {
    /* Re-offer: no forking, the answer is final. */
    g_autoptr (GPtrArray) slots = g_steal_pointer (&self->pending);
    g_autoptr (SdesLocalMedia) local = g_steal_pointer (&self->pending_local);

    sdes_session_commit_layout (self, slots, local, d);
  }
  sdes_session_queue_emission (self, EMIT_MEDIA_CHANGED, key, media);
}

/* Reads the answer @session into one description per m-line, or NULL.
 * Must be called with the lock held. */
static GPtrArray *
describe_answer (SdesSession *self, const sdp_session_t *session, const gchar *key,
                 GError **error)
{
  Dialog *prev_dialog = g_hash_table_lookup (self->dialogs, key);
  SdesSrtpPolicy eff = sdes_session_effective_policy (self, NULL, NULL);
  g_autoptr (GPtrArray) media = NULL;
  gboolean any_active = FALSE;
  guint i = 0;

  if (sdes_sdp_count_media (session) != self->pending->len) {
    g_set_error (error, SDES_ENGINE_ERROR, SDES_ENGINE_ERROR_ANSWER_MEDIA_MISMATCH,
                 "answer has %u m-lines, the offer had %u (RFC 3264 §6)",
                 sdes_sdp_count_media (session), self->pending->len);
    return NULL;
  }
  media = sdes_media_array_new ();
  for (const sdp_media_t *m = session->sdp_media; m != NULL; m = m->m_next, i++) {
    SdesMediaDescription *desc =
        describe_answered_mline (self, m, i, key, sdes_dialog_prev_desc (prev_dialog, i), eff,
                                 error);

    if (desc == NULL)
      return NULL;
    g_ptr_array_add (media, desc);
  }
  drop_second_dual_mline (self, media, key, prev_dialog);
  for (i = 0; i < media->len; i++)
    any_active |= ((SdesMediaDescription *) g_ptr_array_index (media, i))->active;
  if (!any_active) {
    g_set_error_literal (error, SDES_ENGINE_ERROR, SDES_ENGINE_ERROR_ANSWER_NO_MEDIA,
                         "the answer rejected every m-line");
    return NULL;
  }
  return g_steal_pointer (&media);
}

gboolean
sdes_session_process_answer_locked (SdesSession *self, const gchar *dialog_tag, const gchar *sdp,
                                    GError **error)
{
  const gchar *key;
  su_home_t *home;
  sdp_session_t *session;
  g_autoptr (GPtrArray) media = NULL;

  key = answer_dialog_key (self, dialog_tag, error);
  if (key == NULL)
    return FALSE;

  home = su_home_new (sizeof (su_home_t));
  session = sdes_sdp_parse (home, sdp, NULL, error);
  if (session != NULL)
    media = describe_answer (self, session, key, error);
  if (media != NULL)
    store_answer (self, key, media);
  su_home_unref (home);
  return media != NULL;
}

/* ------------------------------------------------------------------------- */
/* Offerer: forking and cancelling                                            */
/* ------------------------------------------------------------------------- */

gboolean
sdes_session_confirm_dialog_locked (SdesSession *self, const gchar *dialog_tag, GError **error)
{
  const gchar *key = dialog_tag ? dialog_tag : NO_TAG;
  Dialog *dialog;

  if (self->confirmed_tag != NULL) {
    if (strcmp (self->confirmed_tag, key) == 0)
      return TRUE;
    g_set_error (error, SDES_ENGINE_ERROR, SDES_ENGINE_ERROR_WRONG_STATE,
                 "dialog '%s' is already confirmed", self->confirmed_tag);
    return FALSE;
  }
  dialog = g_hash_table_lookup (self->dialogs, key);
  if (dialog == NULL) {
    g_set_error (error, SDES_ENGINE_ERROR, SDES_ENGINE_ERROR_UNKNOWN_DIALOG,
                 "no answer from dialog '%s'", key);
    return FALSE;
  }
  if (self->pending == NULL) {
    g_set_error_literal (error, SDES_ENGINE_ERROR, SDES_ENGINE_ERROR_WRONG_STATE,
                         "no offer is pending");
    return FALSE;
  }
  /* RFC 3261 §13.2.2.4 (pjsip/pjproject#600, baresip/baresip#229): the 2xx
   * picks the dialog; the winner's context is kept as is (its ROC
   * continues), the others are dropped. */
  sdes_session_release_dialogs_except (self, key);
  {
    g_autoptr (GPtrArray) slots = g_steal_pointer (&self->pending);
    g_autoptr (SdesLocalMedia) local = g_steal_pointer (&self->pending_local);

    sdes_session_commit_layout (self, slots, local, dialog);
  }
  self->confirmed_tag = g_strdup (key);
  return TRUE;
}

void
sdes_session_cancel_offer_locked (SdesSession *self)
{
  if (self->pending != NULL && self->confirmed_tag == NULL)
    sdes_session_release_dialogs_except (self, NULL);
  g_clear_pointer (&self->pending, g_ptr_array_unref);
  g_clear_pointer (&self->pending_local, sdes_local_media_unref);
}
