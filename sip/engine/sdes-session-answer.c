/* srtpsdes — SdesSession as answerer: offers in, answers out
 *
 * Copyright (C) 2026 srtpsdes developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Cisco "SIP Support for SRTP", Table 46 decides which m-line an answer
 * accepts; RFC 4568 §7.1.2 which a=crypto line wins and what the answer's
 * line looks like; RFC 3264 the m-line bookkeeping (same count and order,
 * port 0).
 */

#include "sdes-session-private.h"

#include <string.h>

/* Why an offered m-line could not be accepted. Ordered by how much the reason
 * tells the offerer: the highest one over all m-lines goes into the Warning. */
typedef enum {
  REASON_NONE,
  REASON_MEDIA_TYPE,
  REASON_TRANSPORT,
  REASON_CODECS,
  REASON_NO_CRYPTO,
  REASON_SRTP_DISABLED,
  REASON_SRTP_REQUIRED,
  REASON_INSECURE_SIGNALING,
} Reason;

/* RFC 3261 §20.43 warn-codes: 304/305/306 where one fits, else 399. */
static const struct {
  guint code;
  const gchar *text;
} reason_warnings[] = {
  [REASON_NONE] = { 399, "Not acceptable" },
  [REASON_MEDIA_TYPE] = { 304, "Media type not available" },
  [REASON_TRANSPORT] = { 399, "Incompatible transport profile" },
  [REASON_CODECS] = { 305, "Incompatible media format" },
  [REASON_NO_CRYPTO] = { 306, "Attribute not understood: no acceptable a=crypto" },
  [REASON_SRTP_DISABLED] = { 399, "Incompatible media: SRTP not enabled" },
  [REASON_SRTP_REQUIRED] = { 399, "Incompatible media: SRTP required" },
  [REASON_INSECURE_SIGNALING] = { 399, "Incompatible media: SRTP requires secure signaling" },
};

/* RFC 4568 §6.3: the answer echoes negotiated parameters (UNENCRYPTED_SRTCP,
 * UNENCRYPTED_SRTP, UNAUTHENTICATED_SRTP, §6.3.2-§6.3.3) and states its own
 * declarative ones (KDR §6.3.1, FEC_ORDER §6.3.4, FEC_KEY §6.3.5, WSH §6.3.6)
 * only if it wants them; we declare none: key derivation once (no KDR), no
 * FEC, libsrtp's default replay window. Unknown "-" extensions (§6.3.7) are
 * not ours to echo. */
static void
strip_declarative_params (SdesCryptoAttr *attr)
{
  attr->kdr = -1;
  attr->wsh = 0;
  attr->fec_order = SDES_FEC_ORDER_NONE;
  sdes_crypto_wipe (attr->fec_keys, sizeof attr->fec_keys);
  attr->n_fec_keys = 0;
  g_clear_pointer (&attr->extensions, g_strfreev);
}

/* ------------------------------------------------------------------------- */
/* Evaluating one offered m-line                                              */
/* ------------------------------------------------------------------------- */

typedef struct {
  gboolean secure_ok;
  gboolean plain_ok;
  SdesCryptoAttr *remote;  /* chosen offered line (owned) */
  GArray *codecs;          /* common codecs, borrowed strings */
  Reason reason;
} Eval;

static void
eval_clear (Eval *e)
{
  g_clear_pointer (&e->remote, sdes_crypto_attr_free);
  g_clear_pointer (&e->codecs, g_array_unref);
  memset (e, 0, sizeof *e);
}

/* RFC 4568 §7.1.2 (via Cisco "SRTP Offer and Answer Exchange"): the first
 * offered line, in offer order, that we support and that is valid; invalid
 * ones are skipped, never fatal. On a re-offer the line matching our current
 * tag and suite is preferred so the keys stay (Cisco rekeying rules).
 * Must be called with the lock held. */
static SdesCryptoAttr *
pick_offered_crypto (SdesSession *self, const sdp_media_t *m, const SdesCryptoAttr *prefer)
{
  SdesCryptoAttr *first = NULL;

  for (const sdp_attribute_t *a = m->m_attributes; a != NULL; a = a->a_next) {
    g_autoptr (GError) error = NULL;
    g_autoptr (SdesCryptoAttr) attr = NULL;

    if (a->a_name == NULL || g_ascii_strcasecmp (a->a_name, "crypto") != 0)
      continue;
    attr = sdes_crypto_attr_parse (a->a_value ? a->a_value : "", &error);
    if (attr == NULL) {
      /* error messages of the crypto library never contain key text */
      g_debug ("skipping offered a=crypto: %s", error->message);
      continue;
    }
    if (!sdes_session_suite_accepted (self, attr->suite)) {
      g_debug ("skipping offered a=crypto tag %u: suite %s not accepted", attr->tag,
               attr->suite_name);
      continue;
    }
    if (attr->keys[0].mki_length > 0 && !self->accept_mki) {
      /* asterisk/asterisk#825: implement MKI or reject the line, never
       * ignore it. */
      g_debug ("skipping offered a=crypto tag %u: MKI not enabled", attr->tag);
      continue;
    }
    if (attr->kdr >= 0) {
      /* RFC 4568 §6.3.1: KDR is declarative for the offerer's stream, so we
       * would have to re-derive keys at that rate; libsrtp2 derives once. */
      g_debug ("skipping offered a=crypto tag %u: KDR not supported", attr->tag);
      continue;
    }
    if (prefer != NULL && attr->tag == prefer->tag && attr->suite == prefer->suite) {
      g_clear_pointer (&first, sdes_crypto_attr_free);
      return g_steal_pointer (&attr);
    }
    if (first == NULL)
      first = g_steal_pointer (&attr);
  }
  return first;
}

/* Can the offered m-line @m carry local stream @ls? Must be called with the
 * lock held. */
static void
evaluate_mline (SdesSession *self, const sdp_media_t *m, const SdesLocalStream *ls,
                SdesSrtpPolicy eff, gboolean downgraded, gboolean refused,
                const SdesCryptoAttr *prefer, Eval *e)
{
  Kind kind = sdes_profile_classify (m->m_proto_name, NULL);

  memset (e, 0, sizeof *e);
  if (m->m_port == 0)
    return;
  if (sdes_media_type_from_name (m->m_type_name) != ls->type) {
    e->reason = REASON_MEDIA_TYPE;
    return;
  }
  if (ls->type == SDES_MEDIA_TYPE_IMAGE) {
    /* Cisco "T.38 Fax": the fax leg is not secure, whatever the policy. */
    if (kind == KIND_UDPTL && sdes_sdp_has_format (m, "t38"))
      e->plain_ok = TRUE;
    else
      e->reason = REASON_TRANSPORT;
    return;
  }
  if (kind == KIND_DTLS || kind == KIND_OTHER || kind == KIND_UDPTL) {
    /* DTLS-SRTP is not SDES: decline the m-line cleanly (port 0). */
    e->reason = REASON_TRANSPORT;
    return;
  }
  e->codecs = sdes_sdp_common_codecs (ls, m);
  if (e->codecs->len == 0) {
    e->reason = REASON_CODECS;
    return;
  }

  if (kind == KIND_SRTP) {
    if (refused) {
      e->reason = REASON_INSECURE_SIGNALING;
    } else if (eff == SDES_SRTP_POLICY_OFF) {
      /* Cisco Table 46, "No SRTP" row. */
      e->reason = downgraded ? REASON_INSECURE_SIGNALING : REASON_SRTP_DISABLED;
    } else {
      e->remote = pick_offered_crypto (self, m, prefer);
      if (e->remote != NULL)
        e->secure_ok = TRUE;
      else
        e->reason = REASON_NO_CRYPTO;
    }
    return;
  }

  /* RTP/AVP[F] */
  if (sdes_sdp_count_crypto (m) > 0 && eff != SDES_SRTP_POLICY_OFF && !refused) {
    /* RFC 8643 best-effort SRTP (sipwise/rtpengine#951): a=crypto on
     * RTP/AVP. */
    e->remote = pick_offered_crypto (self, m, prefer);
    e->secure_ok = e->remote != NULL;
  }
  if (eff != SDES_SRTP_POLICY_MANDATORY)
    e->plain_ok = TRUE;
  else if (!e->secure_ok)
    e->reason = refused ? REASON_INSECURE_SIGNALING : REASON_SRTP_REQUIRED;
}

static SdesCryptoAttr *
make_answer_crypto (const SdesCryptoAttr *remote, GError **error)
{
  g_autoptr (GError) local_error = NULL;
  SdesCryptoAttr *attr = sdes_crypto_attr_copy (remote);

  /* RFC 4568 §7.1.2: same tag and suite (spelled as offered,
   * sipwise/rtpengine#736), our own key, negotiated parameters echoed.
   * Lifetime and MKI length are kept: the example answer of Cisco "SIP
   * Support for SRTP" mirrors them. */
  if (!sdes_crypto_attr_regenerate_keys (attr, &local_error)) {
    sdes_crypto_attr_free (attr);
    g_set_error (error, SDES_ENGINE_ERROR, SDES_ENGINE_ERROR_KEY_GENERATION,
                 "key generation failed: %s", local_error->message);
    return NULL;
  }
  strip_declarative_params (attr);
  return attr;
}

static void
set_rejection (SdesSession *self, Reason reason, guint *reject_status, gchar **reject_warning)
{
  if (reject_status)
    *reject_status = 488;
  if (reject_warning)
    *reject_warning = g_strdup_printf ("%03u %s \"%s\"", reason_warnings[reason].code,
                                       self->warn_agent, reason_warnings[reason].text);
}

/* ------------------------------------------------------------------------- */
/* Answering an offer                                                         */
/* ------------------------------------------------------------------------- */

/* One offer being answered: what the steps below share. */
typedef struct {
  SdesLocalMedia *local;
  const gchar *dialog_key;
  Dialog *dialog;                /* the dialog's current state, or NULL */
  SdesSrtpPolicy eff;
  gboolean downgraded;
  gboolean refused;
  guint n_m;
  sdp_media_t **ms;              /* m-lines in offer order */
  gint *taken_by;                /* m-line -> local stream, -1: port 0 */
  Eval *evals;                   /* m-line -> chosen evaluation */
  Reason worst;                  /* best reason to give if nothing fits */
} Answering;

static void
answering_clear (Answering *a)
{
  for (guint i = 0; a->evals != NULL && i < a->n_m; i++)
    eval_clear (&a->evals[i]);
  g_clear_pointer (&a->evals, g_free);
  g_clear_pointer (&a->taken_by, g_free);
  g_clear_pointer (&a->ms, g_free);
  g_clear_pointer (&a->local, sdes_local_media_unref);
}

/* The local media to answer with, or NULL: glare (RFC 3261 §14.2: an offer
 * while ours is outstanding, 491) or no usable local media (500). Must be
 * called with the lock held. */
static SdesLocalMedia *
answer_local_media (SdesSession *self, SdesLocalMedia *local_in, guint *reject_status,
                    GError **error)
{
  SdesLocalMedia *local =
      sdes_session_usable_local (self, local_in, "an offer of ours is pending (glare)", error);

  if (local == NULL)
    *reject_status = self->pending != NULL ? 491 : 500;
  return local;
}

/* Parses the offer; on failure sets the status and Warning to refuse it
 * with. Must be called with the lock held. */
static sdp_session_t *
parse_offer (SdesSession *self, su_home_t *home, const gchar *sdp, guint *reject_status,
             gchar **reject_warning, GError **error)
{
  GError *parse_error = NULL;
  gboolean guard_refused = FALSE;
  gboolean malformed;
  sdp_session_t *session = sdes_sdp_parse (home, sdp, &guard_refused, &parse_error);

  if (session != NULL)
    return session;
  malformed = g_error_matches (parse_error, SDES_ENGINE_ERROR, SDES_ENGINE_ERROR_BAD_SDP);
  /* RFC 3261 §21.4.1: a malformed body is a 400; SDP we understand but
   * cannot use, or will not take that much of, is "not acceptable here"
   * (§21.4.26). For a body the guard refused, the Warning says which
   * rule or limit it broke (its messages never quote input); Sofia's
   * messages quote input and stay out of the header. */
  *reject_status = malformed ? 400 : 488;
  *reject_warning = g_strdup_printf ("399 %s \"%s\"", self->warn_agent,
                                     guard_refused ? parse_error->message
                                     : malformed ? "Malformed SDP" : "Unusable SDP");
  g_propagate_error (error, parse_error);
  return NULL;
}

/* Cisco Table 46 for local stream @s: the m-line of its media type that the
 * policy prefers (SRTP over RTP unless the policy is off), first in offer
 * order; a re-offer keeps the m-line the stream was on. Its evaluation is
 * kept in a->evals. Returns the m-line or -1. Must be called with the lock
 * held. */
static gint
pick_mline_for_stream (SdesSession *self, Answering *a, guint s)
{
  const SdesLocalStream *ls = g_ptr_array_index (a->local->streams, s);
  gint best = -1;
  gint best_rank = 0;

  for (guint i = 0; i < a->n_m; i++) {
    const sdp_media_t *m = a->ms[i];
    const Slot *slot = (self->slots && i < self->slots->len) ? g_ptr_array_index (self->slots, i)
                                                             : NULL;
    const SdesMediaDescription *prev = sdes_dialog_prev_desc (a->dialog, i);
    Eval e;
    gint rank;

    if (a->taken_by[i] >= 0 || sdes_media_type_from_name (m->m_type_name) != ls->type) {
      if (m->m_port != 0 && a->taken_by[i] < 0 &&
          sdes_media_type_from_name (m->m_type_name) == SDES_MEDIA_TYPE_OTHER)
        a->worst = MAX (a->worst, REASON_MEDIA_TYPE);
      continue;
    }
    evaluate_mline (self, m, ls, a->eff, a->downgraded, a->refused,
                    prev && prev->secure ? prev->local_crypto : NULL, &e);
    if (!e.secure_ok && !e.plain_ok) {
      a->worst = MAX (a->worst, e.reason);
      eval_clear (&e);
      continue;
    }
    /* rank: secure beats plain unless the policy is off; the m-line this
     * stream already used beats others of the same rank. */
    rank = (e.secure_ok && a->eff != SDES_SRTP_POLICY_OFF) ? 4 : 2;
    if (slot != NULL && slot->stream == (gint) s)
      rank += 1;
    if (rank > best_rank) {
      if (best >= 0)
        eval_clear (&a->evals[best]);
      best = (gint) i;
      best_rank = rank;
      a->evals[i] = e;
    } else {
      eval_clear (&e);
    }
  }
  return best;
}

/* Places every local stream on an m-line; every other m-line gets port 0
 * (Cisco Table 46: "Only one m line negotiates"). Returns how many streams
 * found one. Must be called with the lock held. */
static guint
assign_streams (SdesSession *self, Answering *a, const sdp_session_t *session)
{
  guint i = 0;
  guint n_taken = 0;

  a->ms = g_new0 (sdp_media_t *, a->n_m);
  a->taken_by = g_new0 (gint, a->n_m);
  a->evals = g_new0 (Eval, a->n_m);
  for (sdp_media_t *m = session->sdp_media; m != NULL; m = m->m_next, i++) {
    a->ms[i] = m;
    a->taken_by[i] = -1;
  }
  for (guint s = 0; s < a->local->streams->len; s++) {
    gint best = pick_mline_for_stream (self, a, s);

    if (best >= 0) {
      a->taken_by[best] = (gint) s;
      n_taken++;
    }
  }
  return n_taken;
}

/* The answer key of a secure m-line: the current one when neither side
 * moved and the offer kept tag and suite, else a new one. Cisco "SIP
 * Support for SRTP", rekeying rules: "A new key needs to be generated if the
 * offer SDP has a new connection address or port"; the same holds when our
 * own address or port moved, and when the offer carries a new key. */
static SdesCryptoAttr *
answer_key (const Slot *slot, const SdesMediaDescription *desc,
            const SdesMediaDescription *prev, GError **error)
{
  gboolean moved = (slot->last_remote_address != NULL &&
                    !sdes_address_is_hold (desc->remote_address) &&
                    (g_strcmp0 (slot->last_remote_address, desc->remote_address) != 0 ||
                     slot->last_remote_port != desc->remote_port)) ||
                   (slot->last_local_address != NULL &&
                    (g_strcmp0 (slot->last_local_address, desc->local_address) != 0 ||
                     slot->last_local_port != desc->local_port));

  /* The peer's key changed on an unchanged address: a rekey (RFC 4568
   * §7.1.4). The re-offer is a new offer/answer exchange, and our key
   * follows so that neither direction keeps using a key the other side
   * retired. */
  gboolean rekeyed = prev != NULL && prev->remote_crypto != NULL &&
                     !sdes_crypto_attr_same_keys (prev->remote_crypto, desc->remote_crypto);

  if (prev != NULL && prev->secure && prev->local_crypto != NULL && !moved && !rekeyed &&
      prev->local_crypto->tag == desc->remote_crypto->tag &&
      prev->local_crypto->suite == desc->remote_crypto->suite)
    return sdes_crypto_attr_copy (prev->local_crypto);
  return make_answer_crypto (desc->remote_crypto, error);
}

/* The description and the answer m-line @out of accepted m-line @i.
 * @answer_cryptos keeps the per m-line views of the answer key alive
 * until printing. NULL on a key generation failure. */
static SdesMediaDescription *
answer_taken_mline (Answering *a, guint i, const Slot *slot, GPtrArray *answer_cryptos,
                    MLineOut *out, GError **error)
{
  const sdp_media_t *m = a->ms[i];
  const SdesLocalStream *ls = g_ptr_array_index (a->local->streams, a->taken_by[i]);
  const SdesMediaDescription *prev = sdes_dialog_prev_desc (a->dialog, i);
  Eval *e = &a->evals[i];
  gboolean mux = sdes_sdp_rtcp_mux_agreed (ls, m);
  g_autoptr (SdesMediaDescription) desc = sdes_media_description_new ();

  desc->index = i;
  desc->local_stream = a->taken_by[i];
  desc->media_type = ls->type;
  desc->profile = g_strdup (m->m_proto_name);
  sdes_profile_classify (m->m_proto_name, &desc->feedback);
  desc->dialog_tag = *a->dialog_key ? g_strdup (a->dialog_key) : NULL;
  sdes_media_description_fill_active (desc, a->local, ls, m, e->codecs, mux);
  if (e->secure_ok && a->eff != SDES_SRTP_POLICY_OFF) {
    desc->secure = TRUE;
    desc->remote_crypto = g_steal_pointer (&e->remote);
    desc->local_crypto = answer_key (slot, desc, prev, error);
    if (desc->local_crypto == NULL)
      return NULL;
    out->crypto = g_ptr_array_new ();
    g_ptr_array_add (out->crypto, desc->local_crypto);
    g_ptr_array_add (answer_cryptos, out->crypto);
  }
  sdes_media_description_set_change_flags (desc, prev, slot);

  sdes_mline_fill_for_stream (out, ls, mux);
  out->codecs = ls->type == SDES_MEDIA_TYPE_IMAGE ? NULL : e->codecs;
  out->rtcp_mux = mux;
  out->direction = desc->direction;
  return g_steal_pointer (&desc);
}

/* The new layout in @slots (grown to the offer's m-lines), the descriptions
 * in @media and the answer text, or NULL. Must be called with the lock
 * held. */
static gchar *
write_answer (SdesSession *self, Answering *a, GPtrArray *slots, GPtrArray *media,
              GError **error)
{
  /* per m-line views of the answer key; the descriptions own the keys */
  g_autoptr (GPtrArray) answer_cryptos =
      g_ptr_array_new_with_free_func ((GDestroyNotify) g_ptr_array_unref);
  g_autoptr (GArray) mlines = g_array_new (FALSE, TRUE, sizeof (MLineOut));
  gchar *text;

  for (guint i = 0; i < a->n_m; i++) {
    const sdp_media_t *m = a->ms[i];
    SdesMediaDescription *desc;
    Slot *slot;
    MLineOut out = { 0, };

    if (i >= slots->len)
      g_ptr_array_add (slots, g_new0 (Slot, 1));
    slot = g_ptr_array_index (slots, i);
    slot->type = sdes_media_type_from_name (m->m_type_name);
    g_free (slot->type_name);
    slot->type_name = g_strdup (m->m_type_name);
    g_free (slot->proto);
    slot->proto = g_strdup (m->m_proto_name);
    g_free (slot->formats);
    slot->formats = sdes_sdp_join_formats (m);
    slot->stream = a->taken_by[i];

    out.type_name = m->m_type_name;
    out.proto = m->m_proto_name;
    out.formats = slot->formats;
    if (a->taken_by[i] < 0)
      desc = sdes_media_description_new_inactive (i, slot->type, m->m_proto_name, a->dialog_key,
                                                  sdes_dialog_prev_desc (a->dialog, i));
    else if ((desc = answer_taken_mline (a, i, slot, answer_cryptos, &out, error)) == NULL)
      return NULL;
    g_ptr_array_add (media, desc);
    g_array_append_val (mlines, out);
  }

  text = sdes_session_print_sdp (self, a->local->address, mlines);
  if (text == NULL)
    g_set_error_literal (error, SDES_ENGINE_ERROR, SDES_ENGINE_ERROR_INVALID_ARGUMENT,
                         "could not print the answer");
  return text;
}

/* The answerer commits when it sends the answer (RFC 3264 §8).
 * Must be called with the lock held. */
static void
commit_answer (SdesSession *self, Answering *a, GPtrArray *slots, GPtrArray *media)
{
  Dialog *d = g_new0 (Dialog, 1);

  d->tag = g_strdup (a->dialog_key);
  d->media = g_ptr_array_ref (media);
  g_hash_table_replace (self->dialogs, d->tag, d);
  sdes_session_commit_layout (self, slots, a->local, d);
  if (self->confirmed_tag == NULL)
    self->confirmed_tag = g_strdup (a->dialog_key);
  sdes_session_queue_emission (self, EMIT_MEDIA_CHANGED, a->dialog_key, media);
}

/* Answers the parsed offer @session, or sets the refusal. Must be called
 * with the lock held. */
static gchar *
answer_offer (SdesSession *self, Answering *a, const sdp_session_t *session,
              guint *reject_status, gchar **reject_warning, GError **error)
{
  g_autoptr (GPtrArray) slots = NULL;
  g_autoptr (GPtrArray) media = NULL;
  g_autoptr (GError) local_error = NULL;
  gchar *text;

  a->n_m = sdes_sdp_count_media (session);
  if (self->slots != NULL && a->n_m < self->slots->len) {
    *reject_status = 488;
    *reject_warning = g_strdup_printf ("399 %s \"m-line removed\"", self->warn_agent);
    g_set_error (error, SDES_ENGINE_ERROR, SDES_ENGINE_ERROR_UNSUPPORTED_SDP,
                 "re-offer has %u m-lines, the session has %u (RFC 3264 §8)", a->n_m,
                 self->slots->len);
    return NULL;
  }
  a->eff = sdes_session_effective_policy (self, &a->downgraded, &a->refused);
  a->dialog_key = self->confirmed_tag ? self->confirmed_tag : NO_TAG;
  a->dialog = g_hash_table_lookup (self->dialogs, a->dialog_key);
  if (assign_streams (self, a, session) == 0) {
    Reason worst = a->worst == REASON_NONE ? REASON_MEDIA_TYPE : a->worst;

    set_rejection (self, worst, reject_status, reject_warning);
    g_set_error (error, SDES_ENGINE_ERROR, SDES_ENGINE_ERROR_NOT_ACCEPTABLE,
                 "offer not acceptable: %u %s", reason_warnings[worst].code,
                 reason_warnings[worst].text);
    return NULL;
  }

  slots = sdes_slots_copy (self->slots);
  media = sdes_media_array_new ();
  text = write_answer (self, a, slots, media, &local_error);
  if (text == NULL) {
    if (g_error_matches (local_error, SDES_ENGINE_ERROR, SDES_ENGINE_ERROR_KEY_GENERATION))
      *reject_status = 500;
    g_propagate_error (error, g_steal_pointer (&local_error));
    return NULL;
  }
  commit_answer (self, a, slots, media);
  return text;
}

gchar *
sdes_session_process_offer_locked (SdesSession *self, SdesLocalMedia *local_in, const gchar *sdp,
                                   guint *reject_status, gchar **reject_warning, GError **error)
{
  Answering a = { 0, };
  su_home_t *home;
  sdp_session_t *session;
  gchar *text = NULL;

  a.local = answer_local_media (self, local_in, reject_status, error);
  if (a.local == NULL)
    return NULL;
  home = su_home_new (sizeof (su_home_t));
  session = parse_offer (self, home, sdp, reject_status, reject_warning, error);
  if (session != NULL)
    text = answer_offer (self, &a, session, reject_status, reject_warning, error);
  answering_clear (&a);
  su_home_unref (home);
  return text;
}
