/* srtpsdes — the SDES offer/answer engine: one SdesSession per call
 *
 * Copyright (C) 2026 srtpsdes developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The rules implemented here are listed, with their source, in
 * docs/negotiation.md. The short form:
 *   - Cisco Table 46 decides which m-line an answer accepts;
 *   - Cisco Table 44 decides whether an offer may carry keys at all;
 *   - RFC 4568 §7.1 (SRTP offer/answer) decides which a=crypto line wins and
 *     what the answer's line looks like;
 *   - RFC 3264 decides m-line bookkeeping (same count and order, port 0).
 */

#include "sdes-engine-private.h"
#include "sdp-guard.h"

#include <string.h>
#include <stdlib.h>

#include <sofia-sip/su_alloc.h>
#include <sofia-sip/sdp.h>

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

/* The key the engine uses for a dialog whose To-tag it was never told (the
 * dialog of an incoming call: the agent knows its own tag, we don't need it). */
#define NO_TAG ""

/* ------------------------------------------------------------------------- */
/* State                                                                      */
/* ------------------------------------------------------------------------- */

/* One m-line position. RFC 3264 §8: once an m-line exists it keeps its
 * position for the whole session, so the layout only ever grows. */
typedef struct {
  SdesMediaType type;
  gchar *type_name;              /* m-line media token as written */
  gchar *proto;                  /* m-line transport token as written */
  gchar *voice_proto;            /* proto to restore after T.38 (PEERS §2.14) */
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

enum {
  SIGNAL_MEDIA_CHANGED,
  SIGNAL_DIALOG_RELEASED,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

G_DEFINE_TYPE (SdesSession, sdes_session, G_TYPE_OBJECT)

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

/* Transport profile families of an m-line. */
typedef enum {
  KIND_RTP,        /* RTP/AVP, RTP/AVPF */
  KIND_SRTP,       /* RTP/SAVP, RTP/SAVPF */
  KIND_DTLS,       /* UDP/TLS/RTP/SAVP[F], TCP/TLS/RTP/SAVP[F]: DTLS-SRTP, not SDES */
  KIND_UDPTL,      /* udptl (T.38) */
  KIND_OTHER,
} Kind;

static Kind
classify_proto (const gchar *proto, gboolean *feedback)
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

static SdesMediaType
media_type_from_name (const gchar *name)
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

static const gchar *
media_type_name (SdesMediaType type)
{
  switch (type) {
    case SDES_MEDIA_TYPE_AUDIO: return "audio";
    case SDES_MEDIA_TYPE_VIDEO: return "video";
    case SDES_MEDIA_TYPE_IMAGE: return "image";
    case SDES_MEDIA_TYPE_OTHER:
    default: return "application";
  }
}

static gboolean
is_hold_address (const gchar *address)
{
  /* RFC 2543 / RFC 3264 §8.4 legacy hold: c=IN IP4 0.0.0.0. */
  return address == NULL || strcmp (address, "0.0.0.0") == 0 || strcmp (address, "::") == 0;
}

static SdesDirection
reverse_direction (SdesDirection d)
{
  return (SdesDirection) (((d & SDES_DIRECTION_SENDONLY) ? SDES_DIRECTION_RECVONLY : 0) |
                          ((d & SDES_DIRECTION_RECVONLY) ? SDES_DIRECTION_SENDONLY : 0));
}

static void
slot_free (gpointer data)
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

static GPtrArray *
slots_copy (GPtrArray *slots)
{
  GPtrArray *copy = g_ptr_array_new_with_free_func (slot_free);

  for (guint i = 0; slots != NULL && i < slots->len; i++)
    g_ptr_array_add (copy, slot_copy (g_ptr_array_index (slots, i)));
  return copy;
}

static void
dialog_free (gpointer data)
{
  Dialog *dialog = data;

  g_free (dialog->tag);
  g_clear_pointer (&dialog->media, g_ptr_array_unref);
  g_free (dialog);
}

static void
emission_free (Emission *e)
{
  g_free (e->tag);
  g_clear_pointer (&e->media, g_ptr_array_unref);
  g_free (e);
}

static GPtrArray *
new_media_array (void)
{
  return g_ptr_array_new_with_free_func ((GDestroyNotify) sdes_media_description_unref);
}

static void
crypto_ptr_free (gpointer data)
{
  sdes_crypto_attr_free (data);
}

/* Must be called with the lock held. */
static void
queue_emission (SdesSession *self, EmitKind kind, const gchar *tag, GPtrArray *media)
{
  Emission *e = g_new0 (Emission, 1);

  e->kind = kind;
  e->tag = (tag != NULL && *tag != '\0') ? g_strdup (tag) : NULL;
  e->media = media ? g_ptr_array_ref (media) : NULL;
  g_queue_push_tail (&self->emissions, e);
}

/* Releases the lock, then emits everything queued while it was held
 * (libnice's agent_unlock_and_emit: a handler may call back into us). */
static void
unlock_and_emit (SdesSession *self)
{
  GQueue queue = G_QUEUE_INIT;

  queue = self->emissions;
  g_queue_init (&self->emissions);
  g_mutex_unlock (&self->lock);

  g_object_ref (self);
  for (Emission *e; (e = g_queue_pop_head (&queue)) != NULL;) {
    if (e->kind == EMIT_MEDIA_CHANGED)
      g_signal_emit (self, signals[SIGNAL_MEDIA_CHANGED], 0, e->tag, e->media);
    else
      g_signal_emit (self, signals[SIGNAL_DIALOG_RELEASED], 0, e->tag);
    emission_free (e);
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
static SdesSrtpPolicy
effective_policy (SdesSession *self, gboolean *insecure_downgrade, gboolean *insecure_refused)
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
static gboolean
suite_accepted (SdesSession *self, SdesCryptoSuite suite)
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
/* Reading remote SDP                                                         */
/* ------------------------------------------------------------------------- */

typedef struct {
  guint payload_type;
  gchar *encoding_name;
  guint clock_rate;
  guint channels;
} RemoteCodec;

static void
remote_codec_clear (gpointer data)
{
  RemoteCodec *c = data;

  g_free (c->encoding_name);
}

/* The value after "<pt> " of a=<name>:<pt> <value>. Sofia has
 * sdp_attribute_mapped_find() for this, but it crashes on an attribute
 * without a value (found by the fuzz target), so the lookup is ours. */
static const gchar *
find_mapped_attribute (const sdp_attribute_t *a, const gchar *name, guint pt)
{
  for (; a != NULL; a = a->a_next) {
    const gchar *v = a->a_value;
    guint64 n;
    gchar *end = NULL;

    if (a->a_name == NULL || v == NULL || g_ascii_strcasecmp (a->a_name, name) != 0)
      continue;
    if (!g_ascii_isdigit (*v))
      continue;
    n = g_ascii_strtoull (v, &end, 10);
    if (n == pt && end != NULL && (*end == ' ' || *end == '\t')) {
      while (*end == ' ' || *end == '\t')
        end++;
      return end;
    }
  }
  return NULL;
}

/* Sofia parses rtpmaps only for RTP/AVP and RTP/SAVP; for the feedback
 * profiles (RTP/AVPF, RTP/SAVPF) we look the format up among the a=rtpmap
 * attributes Sofia collected, then in its static-payload table. */
static GArray *
remote_codecs (const sdp_media_t *m)
{
  GArray *codecs = g_array_new (FALSE, TRUE, sizeof (RemoteCodec));

  g_array_set_clear_func (codecs, remote_codec_clear);
  if (m->m_rtpmaps != NULL) {
    for (const sdp_rtpmap_t *rm = m->m_rtpmaps; rm != NULL; rm = rm->rm_next) {
      RemoteCodec c = { 0, };

      if (rm->rm_encoding == NULL || *rm->rm_encoding == '\0')
        continue;
      c.payload_type = rm->rm_pt;
      c.encoding_name = g_strdup (rm->rm_encoding);
      c.clock_rate = rm->rm_rate;
      c.channels = rm->rm_params ? (guint) g_ascii_strtoull (rm->rm_params, NULL, 10) : 1;
      g_array_append_val (codecs, c);
    }
    return codecs;
  }

  for (const sdp_list_t *l = m->m_format; l != NULL; l = l->l_next) {
    RemoteCodec c = { 0, };
    guint64 pt;
    char *mapped;

    if (!g_ascii_string_to_unsigned (l->l_text, 10, 0, 127, &pt, NULL))
      continue;
    c.payload_type = (guint) pt;
    mapped = (char *) find_mapped_attribute (m->m_attributes, "rtpmap", (guint) pt);
    if (mapped != NULL) {
      g_auto (GStrv) parts = g_strsplit (mapped, "/", 3);

      if (parts[0] == NULL || parts[1] == NULL || *parts[0] == '\0')
        continue;
      c.encoding_name = g_strdup (g_strstrip (parts[0]));
      c.clock_rate = (guint) g_ascii_strtoull (parts[1], NULL, 10);
      c.channels = parts[2] ? (guint) g_ascii_strtoull (parts[2], NULL, 10) : 1;
    } else if (sdp_rtpmap_well_known[pt] != NULL) {
      const sdp_rtpmap_t *wk = sdp_rtpmap_well_known[pt];

      c.encoding_name = g_strdup (wk->rm_encoding);
      c.clock_rate = wk->rm_rate;
      c.channels = wk->rm_params ? (guint) g_ascii_strtoull (wk->rm_params, NULL, 10) : 1;
    } else {
      continue;
    }
    g_array_append_val (codecs, c);
  }
  return codecs;
}

static gboolean
codec_matches (const SdesLocalCodec *l, const RemoteCodec *r)
{
  guint lc = l->channels ? l->channels : 1;
  guint rc = r->channels ? r->channels : 1;

  return g_ascii_strcasecmp (l->encoding_name, r->encoding_name) == 0 &&
         l->clock_rate == r->clock_rate && lc == rc;
}

/* Common codecs in the remote order, with the remote payload types (RFC 3264
 * §6.1: the answer uses the offer's payload type numbers) and our fmtp. */
static GArray *
common_codecs (const SdesLocalStream *ls, const sdp_media_t *m)
{
  g_autoptr (GArray) remote = remote_codecs (m);
  GArray *common = g_array_new (FALSE, TRUE, sizeof (SdesLocalCodec));

  for (guint r = 0; r < remote->len; r++) {
    const RemoteCodec *rc = &g_array_index (remote, RemoteCodec, r);

    for (guint l = 0; l < ls->codecs->len; l++) {
      const SdesLocalCodec *lc = &g_array_index (ls->codecs, SdesLocalCodec, l);

      if (codec_matches (lc, rc)) {
        SdesLocalCodec c = *lc;  /* borrowed strings: ls outlives the array */

        c.payload_type = rc->payload_type;
        g_array_append_val (common, c);
        break;
      }
    }
  }
  return common;
}

static guint
count_crypto (const sdp_media_t *m)
{
  guint n = 0;

  for (const sdp_attribute_t *a = m->m_attributes; a != NULL; a = a->a_next)
    if (a->a_name && g_ascii_strcasecmp (a->a_name, "crypto") == 0)
      n++;
  return n;
}

static const sdp_attribute_t *
first_crypto (const sdp_media_t *m)
{
  for (const sdp_attribute_t *a = m->m_attributes; a != NULL; a = a->a_next)
    if (a->a_name && g_ascii_strcasecmp (a->a_name, "crypto") == 0)
      return a;
  return NULL;
}

static guint
remote_rtcp_port (const sdp_media_t *m, gboolean mux)
{
  const sdp_attribute_t *a;

  if (mux)
    return m->m_port;
  /* RFC 3605 a=rtcp:<port> [nettype addrtype address] */
  a = sdp_attribute_find (m->m_attributes, "rtcp");
  if (a != NULL && a->a_value != NULL) {
    guint64 port = g_ascii_strtoull (a->a_value, NULL, 10);

    if (port > 0 && port <= 65535)
      return (guint) port;
  }
  return m->m_port + 1;
}

static gboolean
has_format (const sdp_media_t *m, const gchar *fmt)
{
  for (const sdp_list_t *l = m->m_format; l != NULL; l = l->l_next)
    if (l->l_text && g_ascii_strcasecmp (l->l_text, fmt) == 0)
      return TRUE;
  return FALSE;
}

static gchar *
join_formats (const sdp_media_t *m)
{
  g_autoptr (GString) s = g_string_new (NULL);

  for (const sdp_list_t *l = m->m_format; l != NULL; l = l->l_next) {
    if (s->len)
      g_string_append_c (s, ' ');
    g_string_append (s, l->l_text);
  }
  /* Sofia keeps the formats of RTP/AVP and RTP/SAVP in m_rtpmaps only. */
  if (s->len == 0) {
    for (const sdp_rtpmap_t *rm = m->m_rtpmaps; rm != NULL; rm = rm->rm_next)
      g_string_append_printf (s, "%s%u", s->len ? " " : "", rm->rm_pt);
  }
  if (s->len == 0)
    g_string_append_c (s, '0');
  return g_string_free (g_steal_pointer (&s), FALSE);
}

/* Parses @sdp with Sofia. On success the parser lives in @home. */
static sdp_session_t *
parse_sdp_full (su_home_t *home, const gchar *sdp, gboolean *guard_refused, GError **error)
{
  sdp_parser_t *parser;
  sdp_session_t *session;
  const char *perr;

  if (sdp == NULL || *sdp == '\0') {
    g_set_error_literal (error, SDES_ENGINE_ERROR, SDES_ENGINE_ERROR_BAD_SDP, "empty SDP");
    return NULL;
  }
  if (!sdes_sdp_guard_check (sdp, error)) {
    if (guard_refused)
      *guard_refused = TRUE;
    return NULL;
  }
  /* sdp_f_mode_0000: c=0.0.0.0 is the RFC 2543 hold and reads as sendonly. */
  parser = sdp_parse (home, sdp, (issize_t) strlen (sdp), sdp_f_mode_0000);
  perr = sdp_parsing_error (parser);
  session = sdp_session (parser);
  if (perr != NULL || session == NULL) {
    /* Sofia's message may quote input; never let key text through. */
    g_autofree gchar *safe = sdes_crypto_redact_text (perr ? perr : "no session");

    g_set_error (error, SDES_ENGINE_ERROR, SDES_ENGINE_ERROR_BAD_SDP, "malformed SDP: %s", safe);
    return NULL;
  }
  if (session->sdp_media == NULL) {
    g_set_error_literal (error, SDES_ENGINE_ERROR, SDES_ENGINE_ERROR_UNSUPPORTED_SDP,
                         "SDP has no m-line");
    return NULL;
  }
  for (sdp_media_t *m = session->sdp_media; m != NULL; m = m->m_next) {
    sdp_connection_t *c;

    if (m->m_port == 0)
      continue;
    c = sdp_media_connections (m);
    if (c == NULL || c->c_nettype != sdp_net_in ||
        (c->c_addrtype != sdp_addr_ip4 && c->c_addrtype != sdp_addr_ip6) ||
        c->c_address == NULL || *c->c_address == '\0') {
      g_set_error_literal (error, SDES_ENGINE_ERROR, SDES_ENGINE_ERROR_UNSUPPORTED_SDP,
                           "m-line without a usable IN IP4/IP6 connection address");
      return NULL;
    }
    if (m->m_port > 65535) {
      g_set_error_literal (error, SDES_ENGINE_ERROR, SDES_ENGINE_ERROR_UNSUPPORTED_SDP,
                           "port out of range");
      return NULL;
    }
  }
  return session;
}

static sdp_session_t *
parse_sdp (su_home_t *home, const gchar *sdp, GError **error)
{
  return parse_sdp_full (home, sdp, NULL, error);
}

static guint
count_media (const sdp_session_t *session)
{
  guint n = 0;

  for (const sdp_media_t *m = session->sdp_media; m != NULL; m = m->m_next)
    n++;
  return n;
}

/* ------------------------------------------------------------------------- */
/* Writing SDP                                                                */
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

typedef struct {
  su_home_t *home;
  GPtrArray *secrets;      /* strings in home holding key text, wiped at the end */
} Writer;

static sdp_attribute_t *
add_attribute (Writer *w, sdp_attribute_t ***tail, const gchar *name, const gchar *value)
{
  sdp_attribute_t *a = su_zalloc (w->home, sizeof *a);

  a->a_size = sizeof *a;
  a->a_name = su_strdup (w->home, name);
  a->a_value = value ? su_strdup (w->home, value) : NULL;
  **tail = a;
  *tail = &a->a_next;
  return a;
}

static sdp_connection_t *
make_connection (Writer *w, const gchar *address)
{
  sdp_connection_t *c = su_zalloc (w->home, sizeof *c);

  c->c_size = sizeof *c;
  c->c_nettype = sdp_net_in;
  c->c_addrtype = strchr (address, ':') ? sdp_addr_ip6 : sdp_addr_ip4;
  c->c_address = su_strdup (w->home, address);
  return c;
}

static sdp_media_t *
make_media (Writer *w, sdp_session_t *session, const MLineOut *out)
{
  sdp_media_t *m = su_zalloc (w->home, sizeof *m);
  sdp_attribute_t **atail = &m->m_attributes;
  Kind kind = classify_proto (out->proto, NULL);
  gboolean sofia_rtpmaps;

  m->m_size = sizeof *m;
  m->m_session = session;
  m->m_type_name = su_strdup (w->home, out->type_name);
  m->m_type = (sdp_media_e) 0;
  sdp_media_type (m, out->type_name);
  m->m_port = out->port;
  m->m_proto_name = su_strdup (w->home, out->proto);
  /* Sofia prints its rtpmap list only for the two profiles it knows; it
   * prints m_proto_name only for profiles it does not know. */
  sofia_rtpmaps = out->port != 0 && out->codecs != NULL &&
                  (g_ascii_strcasecmp (out->proto, "RTP/AVP") == 0 ||
                   g_ascii_strcasecmp (out->proto, "RTP/SAVP") == 0);
  if (sofia_rtpmaps)
    m->m_proto = kind == KIND_SRTP ? sdp_proto_srtp : sdp_proto_rtp;
  else if (kind == KIND_UDPTL)
    m->m_proto = sdp_proto_udptl;
  else
    m->m_proto = sdp_proto_x;

  if (out->port == 0) {
    /* RFC 3264 §6: a rejected m-line keeps at least one format. */
    g_auto (GStrv) fmts = g_strsplit (out->formats ? out->formats : "0", " ", -1);
    sdp_list_t **ltail = &m->m_format;

    for (guint i = 0; fmts[i] != NULL; i++) {
      sdp_list_t *l;

      if (*fmts[i] == '\0')
        continue;
      l = su_zalloc (w->home, sizeof *l);
      l->l_size = sizeof *l;
      l->l_text = su_strdup (w->home, fmts[i]);
      *ltail = l;
      ltail = &l->l_next;
    }
    m->m_rejected = 1;
    m->m_mode = sdp_sendrecv;
    return m;
  }

  if (sofia_rtpmaps) {
    sdp_rtpmap_t **rtail = &m->m_rtpmaps;

    for (guint i = 0; i < out->codecs->len; i++) {
      const SdesLocalCodec *c = &g_array_index (out->codecs, SdesLocalCodec, i);
      sdp_rtpmap_t *rm = su_zalloc (w->home, sizeof *rm);

      rm->rm_size = sizeof *rm;
      rm->rm_pt = c->payload_type;
      rm->rm_encoding = su_strdup (w->home, c->encoding_name);
      rm->rm_rate = c->clock_rate;
      if (c->channels > 1)
        rm->rm_params = su_sprintf (w->home, "%u", c->channels);
      rm->rm_fmtp = c->fmtp ? su_strdup (w->home, c->fmtp) : NULL;
      *rtail = rm;
      rtail = &rm->rm_next;
    }
  } else {
    sdp_list_t **ltail = &m->m_format;

    if (out->codecs != NULL) {
      for (guint i = 0; i < out->codecs->len; i++) {
        const SdesLocalCodec *c = &g_array_index (out->codecs, SdesLocalCodec, i);
        sdp_list_t *l = su_zalloc (w->home, sizeof *l);

        l->l_size = sizeof *l;
        l->l_text = su_sprintf (w->home, "%u", c->payload_type);
        *ltail = l;
        ltail = &l->l_next;
      }
    } else {
      sdp_list_t *l = su_zalloc (w->home, sizeof *l);

      l->l_size = sizeof *l;
      l->l_text = su_strdup (w->home, out->formats ? out->formats : "t38");
      *ltail = l;
    }
  }

  m->m_mode = out->direction;
  if (!sofia_rtpmaps && out->codecs != NULL) {
    /* Feedback profiles: the rtpmap/fmtp attributes Sofia would write. */
    for (guint i = 0; i < out->codecs->len; i++) {
      const SdesLocalCodec *c = &g_array_index (out->codecs, SdesLocalCodec, i);
      g_autofree gchar *map = c->channels > 1 ?
          g_strdup_printf ("%u %s/%u/%u", c->payload_type, c->encoding_name, c->clock_rate, c->channels) :
          g_strdup_printf ("%u %s/%u", c->payload_type, c->encoding_name, c->clock_rate);

      add_attribute (w, &atail, "rtpmap", map);
      if (c->fmtp != NULL) {
        g_autofree gchar *fmtp = g_strdup_printf ("%u %s", c->payload_type, c->fmtp);

        add_attribute (w, &atail, "fmtp", fmtp);
      }
    }
  }
  if (out->rtcp_port != 0) {
    g_autofree gchar *v = g_strdup_printf ("%u", out->rtcp_port);

    add_attribute (w, &atail, "rtcp", v);
  }
  if (out->rtcp_mux)
    add_attribute (w, &atail, "rtcp-mux", NULL);
  for (guint i = 0; out->crypto != NULL && i < out->crypto->len; i++) {
    g_autofree gchar *v = sdes_crypto_attr_format (g_ptr_array_index (out->crypto, i));
    sdp_attribute_t *a = add_attribute (w, &atail, "crypto", v);

    sdes_crypto_wipe (v, strlen (v));
    g_ptr_array_add (w->secrets, (gpointer) a->a_value);
  }
  for (guint i = 0; out->attributes != NULL && i + 1 < out->attributes->len; i += 2)
    add_attribute (w, &atail, g_ptr_array_index (out->attributes, i),
                   g_ptr_array_index (out->attributes, i + 1));
  return m;
}

/* Prints one SDP with Sofia's printer. Must be called with the lock held. */
static gchar *
print_sdp (SdesSession *self, const gchar *address, GArray *mlines, guint64 version)
{
  Writer w = { su_home_new (sizeof (su_home_t)), g_ptr_array_new () };
  sdp_session_t *s = su_zalloc (w.home, sizeof *s);
  sdp_origin_t *o = su_zalloc (w.home, sizeof *o);
  sdp_time_t *t = su_zalloc (w.home, sizeof *t);
  sdp_media_t **mtail = &s->sdp_media;
  sdp_printer_t *printer;
  gchar *text = NULL;

  s->sdp_size = sizeof *s;
  s->sdp_version[0] = 0;
  o->o_size = sizeof *o;
  o->o_username = "-";
  o->o_id = self->origin_id;
  o->o_version = version;
  o->o_address = make_connection (&w, address);
  s->sdp_origin = o;
  s->sdp_subject = "srtpsdes";
  s->sdp_connection = make_connection (&w, address);
  t->t_size = sizeof *t;
  s->sdp_time = t;

  for (guint i = 0; i < mlines->len; i++) {
    sdp_media_t *m = make_media (&w, s, &g_array_index (mlines, MLineOut, i));

    *mtail = m;
    mtail = &m->m_next;
  }

  printer = sdp_print (w.home, s, NULL, 0, sdp_f_all_rtpmaps);
  if (sdp_printing_error (printer) == NULL) {
    text = g_strdup (sdp_message (printer));
    sdes_crypto_wipe ((gpointer) sdp_message (printer), sdp_message_size (printer));
  } else {
    g_warning ("Sofia could not print SDP: %s", sdp_printing_error (printer));
  }
  sdp_printer_free (printer);
  for (guint i = 0; i < w.secrets->len; i++) {
    gchar *secret = g_ptr_array_index (w.secrets, i);

    sdes_crypto_wipe (secret, strlen (secret));
  }
  g_ptr_array_unref (w.secrets);
  su_home_unref (w.home);
  return text;
}

/* RFC 3264 §8: the o= version increases only when the description changes.
 * Must be called with the lock held. */
static gchar *
print_versioned (SdesSession *self, const gchar *address, GArray *mlines)
{
  gchar *text = print_sdp (self, address, mlines, self->origin_version);

  if (text == NULL)
    return NULL;
  if (self->last_sdp != NULL && strcmp (text, self->last_sdp) == 0)
    return text;
  sdes_crypto_free_secret (text);
  text = print_sdp (self, address, mlines, ++self->origin_version);
  if (text == NULL)
    return NULL;
  sdes_crypto_free_secret (self->last_sdp);
  self->last_sdp = g_strdup (text);
  return text;
}

static guint
local_rtcp_port (const SdesLocalStream *ls)
{
  if (ls->rtcp_mux)
    return ls->port;
  return ls->rtcp_port ? ls->rtcp_port : ls->port + 1;
}

static void
fill_mline_for_stream (MLineOut *out, const SdesLocalStream *ls)
{
  out->port = ls->port;
  out->direction = ls->direction;
  out->attributes = ls->attributes;
  if (ls->type == SDES_MEDIA_TYPE_IMAGE) {
    out->formats = "t38";
  } else {
    out->codecs = ls->codecs;
    /* RFC 3605: a=rtcp only when RTCP is not on port + 1. */
    if (!ls->rtcp_mux && ls->rtcp_port != 0 && ls->rtcp_port != ls->port + 1)
      out->rtcp_port = ls->rtcp_port;
  }
}

/* ------------------------------------------------------------------------- */
/* Building the offer                                                         */
/* ------------------------------------------------------------------------- */

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
  slot->type_name = g_strdup (media_type_name (ls->type));
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
    /* Cisco seed example offer: RTP/AVP first, RTP/SAVP second, same
     * codecs; the answerer sets port 0 on one (Table 46). */
    g_ptr_array_add (slots, slot_new (stream, ls, "RTP/AVP"));
    g_ptr_array_add (slots, slot_new (stream, ls, "RTP/SAVP"));
  } else {
    g_ptr_array_add (slots, slot_new (stream, ls, voice_proto_for (eff)));
  }
}

/* Fills slot->offered for a secure slot. Must be called with the lock held. */
static gboolean
prepare_offer_crypto (SdesSession *self, Slot *slot, const SdesLocalMedia *local,
                      const SdesLocalStream *ls, GError **error)
{
  g_autoptr (GError) local_error = NULL;

  slot->offered = g_ptr_array_new_with_free_func (crypto_ptr_free);
  if (classify_proto (slot->proto, NULL) != KIND_SRTP)
    return TRUE;

  if (slot->active_local != NULL) {
    SdesCryptoAttr *attr = sdes_crypto_attr_copy (slot->active_local);
    gboolean moved = g_strcmp0 (slot->last_local_address, local->address) != 0 ||
                     slot->last_local_port != ls->port;

    /* Cisco rekeying rules: a new key only with a new connection address or
     * port; otherwise re-offer exactly the active line (PEERS §2.2: pjsip#1856,
     * sipsorcery#930; never change a key without signalling it). */
    if (moved && !sdes_crypto_attr_regenerate_keys (attr, &local_error)) {
      sdes_crypto_attr_free (attr);
      g_set_error (error, SDES_ENGINE_ERROR, SDES_ENGINE_ERROR_KEY_GENERATION,
                   "key generation failed: %s", local_error->message);
      return FALSE;
    }
    g_ptr_array_add (slot->offered, attr);
    return TRUE;
  }

  /* A fresh offer: every configured suite, in order, tags from 1 (PEERS §2.9),
   * each line with its own key (RFC 4568 §6.1). */
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

static gboolean
validate_local (const SdesLocalMedia *local, GError **error)
{
  if (local->streams->len == 0) {
    g_set_error_literal (error, SDES_ENGINE_ERROR, SDES_ENGINE_ERROR_INVALID_ARGUMENT,
                         "local media has no stream");
    return FALSE;
  }
  for (guint i = 0; i < local->streams->len; i++) {
    const SdesLocalStream *ls = g_ptr_array_index (local->streams, i);

    if (ls->type != SDES_MEDIA_TYPE_IMAGE && ls->codecs->len == 0) {
      g_set_error (error, SDES_ENGINE_ERROR, SDES_ENGINE_ERROR_INVALID_ARGUMENT,
                   "local stream %u has no codec", i);
      return FALSE;
    }
  }
  return TRUE;
}

/* Builds the layout and SDP of an offer. Must be called with the lock held. */
static gchar *
build_offer (SdesSession *self, SdesLocalMedia *local, SdesSrtpPolicy eff, GError **error)
{
  g_autoptr (GPtrArray) slots = slots_copy (self->slots);
  g_autoptr (GArray) mlines = g_array_new (FALSE, TRUE, sizeof (MLineOut));
  g_autofree gboolean *mapped = g_new0 (gboolean, local->streams->len);
  gboolean has_srtp = FALSE;
  gchar *text;

  /* RFC 3264 §8 / PEERS §2.6: a re-offer keeps every m-line where it was. */
  for (guint i = 0; i < slots->len; i++) {
    Slot *slot = g_ptr_array_index (slots, i);
    const SdesLocalStream *ls;

    if (slot->stream < 0 || (guint) slot->stream >= local->streams->len ||
        mapped[slot->stream]) {
      slot->stream = -1;
      continue;
    }
    mapped[slot->stream] = TRUE;
    ls = g_ptr_array_index (local->streams, slot->stream);
    if (ls->type == SDES_MEDIA_TYPE_IMAGE && slot->type != SDES_MEDIA_TYPE_IMAGE) {
      /* Voice -> T.38 on the same m-line: unsecured (Cisco "T.38 Fax",
       * PEERS §2.14). The committed keys stay until the answer arrives, so a
       * rejected T.38 re-INVITE keeps the voice keys. */
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
    if (eff == SDES_SRTP_POLICY_OFF && classify_proto (slot->proto, NULL) == KIND_SRTP) {
      /* Policy or Table 44 now forbid keys in SDP. */
      g_free (slot->proto);
      slot->proto = g_strdup ("RTP/AVP");
      g_clear_pointer (&slot->active_local, sdes_crypto_attr_free);
    }
    slot->type = ls->type;
    g_free (slot->type_name);
    slot->type_name = g_strdup (media_type_name (ls->type));
    g_free (slot->formats);
    slot->formats = formats_of_stream (ls);
  }
  for (guint s = 0; s < local->streams->len; s++)
    if (!mapped[s])
      append_initial_slots (self, slots, s, g_ptr_array_index (local->streams, s), eff);

  for (guint i = 0; i < slots->len; i++) {
    Slot *slot = g_ptr_array_index (slots, i);
    MLineOut out = { 0, };

    out.type_name = slot->type_name;
    out.proto = slot->proto;
    out.formats = slot->formats;
    if (slot->stream >= 0) {
      const SdesLocalStream *ls = g_ptr_array_index (local->streams, slot->stream);

      if (!prepare_offer_crypto (self, slot, local, ls, error))
        return NULL;
      fill_mline_for_stream (&out, ls);
      out.rtcp_mux = ls->rtcp_mux && ls->type != SDES_MEDIA_TYPE_IMAGE;
      out.crypto = slot->offered;
      if (slot->offered->len > 0)
        has_srtp = TRUE;
    }
    g_array_append_val (mlines, out);
  }

  text = print_versioned (self, local->address, mlines);
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

/* ------------------------------------------------------------------------- */
/* Dialog bookkeeping                                                         */
/* ------------------------------------------------------------------------- */

/* Must be called with the lock held. */
static void
release_dialogs_except (SdesSession *self, const gchar *keep)
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
    queue_emission (self, EMIT_DIALOG_RELEASED, tag, NULL);
  }
}

/* Makes @slots (with the outcome in @dialog) the committed layout.
 * Must be called with the lock held. */
static void
commit_layout (SdesSession *self, GPtrArray *slots, SdesLocalMedia *local, Dialog *dialog)
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
    if (!is_hold_address (d->remote_address)) {
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
 * PEERS §2.1: the ROC restarts only with a new key on a new stream or a new
 * address/port; a key change on the same SSRC and address keeps the ROC. */
static void
set_change_flags (SdesMediaDescription *desc, const SdesMediaDescription *prev,
                  const Slot *slot)
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
    if (slot->last_remote_address != NULL && !is_hold_address (desc->remote_address) &&
        (g_strcmp0 (slot->last_remote_address, desc->remote_address) != 0 ||
         slot->last_remote_port != desc->remote_port))
      moved = TRUE;
  }
  desc->local_roc_reset = desc->secure && desc->local_key_changed && (new_stream || moved);
  desc->remote_roc_reset = desc->secure && desc->remote_key_changed && (new_stream || moved);
}

static SdesMediaDescription *
inactive_desc (guint index, SdesMediaType type, const gchar *profile, const gchar *tag,
               const SdesMediaDescription *prev)
{
  SdesMediaDescription *desc = sdes_media_description_new ();

  desc->index = index;
  desc->media_type = type;
  desc->profile = g_strdup (profile);
  classify_proto (profile, &desc->feedback);
  desc->dialog_tag = (tag && *tag) ? g_strdup (tag) : NULL;
  set_change_flags (desc, prev, NULL);
  return desc;
}

/* Fills the transport fields shared by offerer and answerer. */
static void
fill_active_desc (SdesMediaDescription *desc, const SdesLocalMedia *local,
                  const SdesLocalStream *ls, const sdp_media_t *m, GArray *codecs,
                  gboolean mux)
{
  sdp_connection_t *c = sdp_media_connections ((sdp_media_t *) m);

  desc->active = TRUE;
  desc->local_address = g_strdup (local->address);
  desc->local_port = ls->port;
  desc->rtcp_mux = mux;
  desc->local_rtcp_port = mux ? ls->port : local_rtcp_port (ls);
  desc->remote_address = g_strdup (c ? c->c_address : NULL);
  desc->remote_port = m->m_port;
  desc->remote_rtcp_port = ls->type == SDES_MEDIA_TYPE_IMAGE ? 0 : remote_rtcp_port (m, mux);
  desc->direction = (SdesDirection) (ls->direction & reverse_direction ((SdesDirection) m->m_mode));
  if (codecs != NULL && codecs->len > 0) {
    const SdesLocalCodec *first = &g_array_index (codecs, SdesLocalCodec, 0);

    desc->payload_type = first->payload_type;
    desc->encoding_name = g_strdup (first->encoding_name);
    desc->clock_rate = first->clock_rate;
    desc->channels = first->channels ? first->channels : 1;
  }
}

static const SdesMediaDescription *
prev_desc (Dialog *dialog, guint index)
{
  if (dialog == NULL || dialog->media == NULL || index >= dialog->media->len)
    return NULL;
  return g_ptr_array_index (dialog->media, index);
}

/* ------------------------------------------------------------------------- */
/* Answerer                                                                   */
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
    if (!suite_accepted (self, attr->suite)) {
      g_debug ("skipping offered a=crypto tag %u: suite %s not accepted", attr->tag,
               attr->suite_name);
      continue;
    }
    if (attr->keys[0].mki_length > 0 && !self->accept_mki) {
      /* PEERS §2.10: implement MKI or reject the line, never ignore it. */
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
  Kind kind = classify_proto (m->m_proto_name, NULL);

  memset (e, 0, sizeof *e);
  if (m->m_port == 0)
    return;
  if (media_type_from_name (m->m_type_name) != ls->type) {
    e->reason = REASON_MEDIA_TYPE;
    return;
  }
  if (ls->type == SDES_MEDIA_TYPE_IMAGE) {
    /* Cisco "T.38 Fax": the fax leg is not secure, whatever the policy. */
    if (kind == KIND_UDPTL && has_format (m, "t38"))
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
  e->codecs = common_codecs (ls, m);
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
  if (count_crypto (m) > 0 && eff != SDES_SRTP_POLICY_OFF && !refused) {
    /* RFC 8643 best-effort SRTP (PEERS §2.5): a=crypto on RTP/AVP. */
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

  /* RFC 4568 §7.1.2: same tag and suite (spelled as offered, PEERS §2.7),
   * our own key, negotiated parameters echoed. Lifetime and MKI length are
   * kept: the Cisco seed's example answer mirrors them. */
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

static gchar *
process_offer_locked (SdesSession *self, SdesLocalMedia *local_in, const gchar *sdp,
                      guint *reject_status, gchar **reject_warning, GError **error)
{
  g_autoptr (SdesLocalMedia) local = NULL;
  su_home_t *home = NULL;
  sdp_session_t *session;
  SdesSrtpPolicy eff;
  gboolean downgraded, refused;
  const gchar *dialog_key;
  Dialog *dialog;
  guint n_m = 0;
  g_autofree sdp_media_t **ms = NULL;
  g_autofree gint *taken_by = NULL;          /* m-line -> local stream */
  g_autofree Eval *evals = NULL;             /* m-line -> chosen evaluation */
  g_autoptr (GPtrArray) slots = NULL;
  g_autoptr (GPtrArray) media = NULL;
  g_autoptr (GPtrArray) answer_cryptos = NULL;
  g_autoptr (GArray) mlines = NULL;
  Reason worst = REASON_NONE;
  guint n_taken = 0;
  gchar *text = NULL;

  if (self->pending != NULL) {
    /* RFC 3261 §14.2: an offer while ours is outstanding is glare. */
    if (reject_status)
      *reject_status = 491;
    g_set_error_literal (error, SDES_ENGINE_ERROR, SDES_ENGINE_ERROR_WRONG_STATE,
                         "an offer of ours is pending (glare)");
    return NULL;
  }
  if (local_in != NULL)
    local = sdes_local_media_copy (local_in);
  else if (self->local != NULL)
    local = sdes_local_media_ref (self->local);
  if (local == NULL || !validate_local (local, error)) {
    if (local == NULL)
      g_set_error_literal (error, SDES_ENGINE_ERROR, SDES_ENGINE_ERROR_INVALID_ARGUMENT,
                           "no local media");
    if (reject_status)
      *reject_status = 500;
    return NULL;
  }

  home = su_home_new (sizeof (su_home_t));
  {
    GError *parse_error = NULL;

    gboolean guard_refused = FALSE;

    session = parse_sdp_full (home, sdp, &guard_refused, &parse_error);
    if (session == NULL) {
      gboolean malformed = g_error_matches (parse_error, SDES_ENGINE_ERROR,
                                            SDES_ENGINE_ERROR_BAD_SDP);

      /* RFC 3261 §21.4.1: a malformed body is a 400; SDP we understand but
       * cannot use, or will not take that much of, is "not acceptable here"
       * (§21.4.26). For a body the guard refused, the Warning says which
       * rule or limit it broke (its messages never quote input); Sofia's
       * messages quote input and stay out of the header. */
      if (reject_status)
        *reject_status = malformed ? 400 : 488;
      if (reject_warning)
        *reject_warning = g_strdup_printf ("399 %s \"%s\"", self->warn_agent,
                                           guard_refused ? parse_error->message
                                           : malformed ? "Malformed SDP" : "Unusable SDP");
      g_propagate_error (error, parse_error);
      goto out;
    }
  }
  n_m = count_media (session);
  if (self->slots != NULL && n_m < self->slots->len) {
    if (reject_status)
      *reject_status = 488;
    if (reject_warning)
      *reject_warning = g_strdup_printf ("399 %s \"m-line removed\"", self->warn_agent);
    g_set_error (error, SDES_ENGINE_ERROR, SDES_ENGINE_ERROR_UNSUPPORTED_SDP,
                 "re-offer has %u m-lines, the session has %u (RFC 3264 §8)", n_m,
                 self->slots->len);
    goto out;
  }

  eff = effective_policy (self, &downgraded, &refused);
  dialog_key = self->confirmed_tag ? self->confirmed_tag : NO_TAG;
  dialog = g_hash_table_lookup (self->dialogs, dialog_key);

  ms = g_new0 (sdp_media_t *, n_m);
  taken_by = g_new0 (gint, n_m);
  evals = g_new0 (Eval, n_m);
  {
    guint i = 0;

    for (sdp_media_t *m = session->sdp_media; m != NULL; m = m->m_next, i++) {
      ms[i] = m;
      taken_by[i] = -1;
    }
  }

  /* Cisco Table 46, per local stream: pick the m-line of its media type
   * that the policy prefers (SRTP over RTP unless the policy is off), first
   * in offer order; a re-offer keeps the m-line the stream was on. Every
   * other m-line gets port 0 ("Only one m line negotiates"). */
  for (guint s = 0; s < local->streams->len; s++) {
    const SdesLocalStream *ls = g_ptr_array_index (local->streams, s);
    gint best = -1;
    gint best_rank = 0;

    for (guint i = 0; i < n_m; i++) {
      Eval e;
      gint rank;
      const Slot *slot = (self->slots && i < self->slots->len) ? g_ptr_array_index (self->slots, i) : NULL;
      const SdesMediaDescription *prev = prev_desc (dialog, i);

      if (taken_by[i] >= 0 || media_type_from_name (ms[i]->m_type_name) != ls->type) {
        if (ms[i]->m_port != 0 && taken_by[i] < 0 &&
            media_type_from_name (ms[i]->m_type_name) == SDES_MEDIA_TYPE_OTHER)
          worst = MAX (worst, REASON_MEDIA_TYPE);
        continue;
      }
      evaluate_mline (self, ms[i], ls, eff, downgraded, refused,
                      prev && prev->secure ? prev->local_crypto : NULL, &e);
      if (!e.secure_ok && !e.plain_ok) {
        worst = MAX (worst, e.reason);
        eval_clear (&e);
        continue;
      }
      /* rank: secure beats plain unless the policy is off; the m-line this
       * stream already used beats others of the same rank. */
      rank = (e.secure_ok && eff != SDES_SRTP_POLICY_OFF) ? 4 : 2;
      if (slot != NULL && slot->stream == (gint) s)
        rank += 1;
      if (rank > best_rank) {
        if (best >= 0)
          eval_clear (&evals[best]);
        best = (gint) i;
        best_rank = rank;
        evals[i] = e;
      } else {
        eval_clear (&e);
      }
    }
    if (best >= 0) {
      taken_by[best] = (gint) s;
      n_taken++;
    }
  }

  if (n_taken == 0) {
    if (worst == REASON_NONE)
      worst = REASON_MEDIA_TYPE;
    set_rejection (self, worst, reject_status, reject_warning);
    g_set_error (error, SDES_ENGINE_ERROR, SDES_ENGINE_ERROR_NOT_ACCEPTABLE,
                 "offer not acceptable: %u %s", reason_warnings[worst].code,
                 reason_warnings[worst].text);
    goto out;
  }

  /* Build the new layout, the descriptions and the answer. */
  slots = slots_copy (self->slots);
  media = new_media_array ();
  /* per m-line views of the answer key; the descriptions own the keys */
  answer_cryptos = g_ptr_array_new_with_free_func ((GDestroyNotify) g_ptr_array_unref);
  mlines = g_array_new (FALSE, TRUE, sizeof (MLineOut));
  for (guint i = 0; i < n_m; i++) {
    const sdp_media_t *m = ms[i];
    const SdesMediaDescription *prev = prev_desc (dialog, i);
    SdesMediaDescription *desc;
    Slot *slot;
    MLineOut out = { 0, };

    if (i >= slots->len) {
      slot = g_new0 (Slot, 1);
      g_ptr_array_add (slots, slot);
    } else {
      slot = g_ptr_array_index (slots, i);
    }
    slot->type = media_type_from_name (m->m_type_name);
    g_free (slot->type_name);
    slot->type_name = g_strdup (m->m_type_name);
    g_free (slot->proto);
    slot->proto = g_strdup (m->m_proto_name);
    g_free (slot->formats);
    slot->formats = join_formats (m);
    slot->stream = taken_by[i];

    out.type_name = m->m_type_name;
    out.proto = m->m_proto_name;
    out.formats = slot->formats;

    if (taken_by[i] < 0) {
      desc = inactive_desc (i, slot->type, m->m_proto_name, dialog_key, prev);
    } else {
      const SdesLocalStream *ls = g_ptr_array_index (local->streams, taken_by[i]);
      Eval *e = &evals[i];
      gboolean secure = e->secure_ok && eff != SDES_SRTP_POLICY_OFF;
      gboolean mux = ls->rtcp_mux && sdp_attribute_find (m->m_attributes, "rtcp-mux") != NULL;

      desc = sdes_media_description_new ();
      desc->index = i;
      desc->local_stream = taken_by[i];
      desc->media_type = ls->type;
      desc->profile = g_strdup (m->m_proto_name);
      classify_proto (m->m_proto_name, &desc->feedback);
      desc->dialog_tag = *dialog_key ? g_strdup (dialog_key) : NULL;
      fill_active_desc (desc, local, ls, m, e->codecs, mux);
      if (secure) {
        /* Cisco rekeying rules: "A new key needs to be generated if the
         * offer SDP has a new connection address or port"; the same holds
         * when our own address or port moved. */
        gboolean moved = (slot->last_remote_address != NULL &&
                          !is_hold_address (desc->remote_address) &&
                          (g_strcmp0 (slot->last_remote_address, desc->remote_address) != 0 ||
                           slot->last_remote_port != desc->remote_port)) ||
                         (slot->last_local_address != NULL &&
                          (g_strcmp0 (slot->last_local_address, desc->local_address) != 0 ||
                           slot->last_local_port != desc->local_port));
        SdesCryptoAttr *answer;

        desc->secure = TRUE;
        desc->remote_crypto = g_steal_pointer (&e->remote);
        if (prev != NULL && prev->secure && prev->local_crypto != NULL && !moved &&
            prev->local_crypto->tag == desc->remote_crypto->tag &&
            prev->local_crypto->suite == desc->remote_crypto->suite) {
          /* Cisco rekeying rules: same address and port, no new key. */
          answer = sdes_crypto_attr_copy (prev->local_crypto);
        } else {
          answer = make_answer_crypto (desc->remote_crypto, error);
          if (answer == NULL) {
            sdes_media_description_unref (desc);
            if (reject_status)
              *reject_status = 500;
            goto out;
          }
        }
        desc->local_crypto = answer;
        out.crypto = g_ptr_array_new ();
        g_ptr_array_add (out.crypto, answer);
        g_ptr_array_add (answer_cryptos, out.crypto);
      }
      set_change_flags (desc, prev, slot);

      fill_mline_for_stream (&out, ls);
      out.codecs = ls->type == SDES_MEDIA_TYPE_IMAGE ? NULL : e->codecs;
      out.rtcp_mux = mux;
      out.direction = desc->direction;
    }
    g_ptr_array_add (media, desc);
    g_array_append_val (mlines, out);
  }

  text = print_versioned (self, local->address, mlines);
  if (text == NULL) {
    g_set_error_literal (error, SDES_ENGINE_ERROR, SDES_ENGINE_ERROR_INVALID_ARGUMENT,
                         "could not print the answer");
    goto out;
  }

  /* The answerer commits when it sends the answer (RFC 3264 §8). */
  {
    Dialog *d = g_new0 (Dialog, 1);

    d->tag = g_strdup (dialog_key);
    d->media = g_ptr_array_ref (media);
    g_hash_table_replace (self->dialogs, d->tag, d);
    commit_layout (self, slots, local, d);
    if (self->confirmed_tag == NULL)
      self->confirmed_tag = g_strdup (dialog_key);
    queue_emission (self, EMIT_MEDIA_CHANGED, dialog_key, media);
  }

out:
  for (guint i = 0; evals != NULL && i < n_m; i++)
    eval_clear (&evals[i]);
  if (home != NULL)
    su_home_unref (home);
  return text;
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
 * what it offered, matching by tag then suite (PEERS §2.9).
 * Must be called with the lock held. */
static SdesCryptoAttr *
validate_answer_crypto (SdesSession *self, const Slot *slot, const sdp_media_t *m,
                        guint index, GError **error)
{
  g_autoptr (GError) local_error = NULL;
  g_autoptr (SdesCryptoAttr) attr = NULL;
  const SdesCryptoAttr *offered;
  const sdp_attribute_t *line;
  guint n = count_crypto (m);

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
  line = first_crypto (m);
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

static gboolean
process_answer_locked (SdesSession *self, const gchar *dialog_tag, const gchar *sdp,
                       GError **error)
{
  su_home_t *home;
  sdp_session_t *session;
  const gchar *key;
  Dialog *prev_dialog;
  g_autoptr (GPtrArray) media = NULL;
  SdesSrtpPolicy eff;
  gboolean ok = FALSE;
  guint i;
  gboolean any_active = FALSE;
  sdp_media_t *m;

  if (self->pending == NULL) {
    g_set_error_literal (error, SDES_ENGINE_ERROR, SDES_ENGINE_ERROR_WRONG_STATE,
                         "no offer is pending");
    return FALSE;
  }
  if (self->confirmed_tag != NULL) {
    /* A re-offer's answer belongs to the established dialog. */
    if (dialog_tag != NULL && *self->confirmed_tag != '\0' &&
        strcmp (dialog_tag, self->confirmed_tag) != 0) {
      g_set_error (error, SDES_ENGINE_ERROR, SDES_ENGINE_ERROR_UNKNOWN_DIALOG,
                   "answer from dialog '%s', the call is in dialog '%s'", dialog_tag,
                   self->confirmed_tag);
      return FALSE;
    }
    key = self->confirmed_tag;
  } else {
    key = dialog_tag ? dialog_tag : NO_TAG;
  }
  prev_dialog = g_hash_table_lookup (self->dialogs, key);
  eff = effective_policy (self, NULL, NULL);

  home = su_home_new (sizeof (su_home_t));
  session = parse_sdp (home, sdp, error);
  if (session == NULL)
    goto out;
  if (count_media (session) != self->pending->len) {
    g_set_error (error, SDES_ENGINE_ERROR, SDES_ENGINE_ERROR_ANSWER_MEDIA_MISMATCH,
                 "answer has %u m-lines, the offer had %u (RFC 3264 §6)",
                 count_media (session), self->pending->len);
    goto out;
  }

  media = new_media_array ();
  for (i = 0, m = session->sdp_media; m != NULL; m = m->m_next, i++) {
    const Slot *slot = g_ptr_array_index (self->pending, i);
    const SdesMediaDescription *prev = prev_desc (prev_dialog, i);
    const SdesLocalStream *ls;
    Kind offered_kind = classify_proto (slot->proto, NULL);
    Kind kind;
    SdesMediaDescription *desc;
    g_autoptr (SdesCryptoAttr) remote = NULL;
    g_autoptr (GArray) codecs = NULL;
    gboolean mux;

    if (media_type_from_name (m->m_type_name) != slot->type &&
        !(slot->type == SDES_MEDIA_TYPE_OTHER && m->m_port == 0)) {
      g_set_error (error, SDES_ENGINE_ERROR, SDES_ENGINE_ERROR_ANSWER_MEDIA_MISMATCH,
                   "m-line %u: answer media '%s', offered '%s'", i,
                   m->m_type_name ? m->m_type_name : "", slot->type_name);
      goto out;
    }
    if (slot->stream < 0 || m->m_port == 0) {
      g_ptr_array_add (media, inactive_desc (i, slot->type, slot->proto, key, prev));
      continue;
    }
    ls = g_ptr_array_index (self->pending_local->streams, slot->stream);
    kind = classify_proto (m->m_proto_name, NULL);

    if (offered_kind == KIND_SRTP && kind == KIND_SRTP) {
      remote = validate_answer_crypto (self, slot, m, i, error);
      if (remote == NULL)
        goto out;
    } else if (offered_kind == KIND_SRTP && kind == KIND_RTP) {
      /* The peer downgraded the profile. PEERS §2.4 (diago#129): never
       * encrypt toward a peer that answered without SRTP. */
      if (eff == SDES_SRTP_POLICY_MANDATORY) {
        g_set_error (error, SDES_ENGINE_ERROR, SDES_ENGINE_ERROR_ANSWER_INSECURE,
                     "m-line %u: answer downgraded RTP/SAVP to RTP/AVP, SRTP is mandatory", i);
        goto out;
      }
    } else if (offered_kind == KIND_RTP && kind == KIND_RTP) {
      /* The RTP/AVP m-line of a dual offer (or an RTP-only offer). */
      if (eff == SDES_SRTP_POLICY_MANDATORY) {
        g_set_error (error, SDES_ENGINE_ERROR, SDES_ENGINE_ERROR_ANSWER_INSECURE,
                     "m-line %u: answer accepted RTP/AVP, SRTP is mandatory", i);
        goto out;
      }
    } else if (!(offered_kind == KIND_UDPTL && kind == KIND_UDPTL)) {
      g_set_error (error, SDES_ENGINE_ERROR, SDES_ENGINE_ERROR_ANSWER_MEDIA_MISMATCH,
                   "m-line %u: answer profile '%s', offered '%s'", i,
                   m->m_proto_name ? m->m_proto_name : "", slot->proto);
      goto out;
    }

    mux = ls->rtcp_mux && sdp_attribute_find (m->m_attributes, "rtcp-mux") != NULL;
    if (ls->type != SDES_MEDIA_TYPE_IMAGE) {
      codecs = common_codecs (ls, m);
      if (codecs->len == 0) {
        g_set_error (error, SDES_ENGINE_ERROR, SDES_ENGINE_ERROR_ANSWER_MEDIA_MISMATCH,
                     "m-line %u: answer has no codec of ours", i);
        goto out;
      }
    }

    desc = sdes_media_description_new ();
    desc->index = i;
    desc->local_stream = slot->stream;
    desc->media_type = ls->type;
    desc->profile = g_strdup (m->m_proto_name);
    classify_proto (m->m_proto_name, &desc->feedback);
    desc->dialog_tag = *key ? g_strdup (key) : NULL;
    fill_active_desc (desc, self->pending_local, ls, m, codecs, mux);
    if (remote != NULL) {
      desc->secure = TRUE;
      desc->local_crypto = sdes_crypto_attr_copy (find_offered (slot, remote->tag));
      desc->remote_crypto = g_steal_pointer (&remote);
    }
    {
      /* compare against the committed slot, not the pending copy */
      const Slot *committed = (self->slots && i < self->slots->len) ?
          g_ptr_array_index (self->slots, i) : NULL;

      set_change_flags (desc, prev, committed);
    }
    g_ptr_array_add (media, desc);
  }

  /* Both m-lines of a dual offer accepted (pjsip#1580 asserts on this,
   * PEERS §2.6): keep the SRTP one. */
  for (i = 0; i < media->len; i++) {
    SdesMediaDescription *a = g_ptr_array_index (media, i);

    for (guint j = i + 1; a->active && j < media->len; j++) {
      SdesMediaDescription *b = g_ptr_array_index (media, j);

      if (b->active && b->local_stream == a->local_stream) {
        guint drop = a->secure ? j : i;
        SdesMediaDescription *d = g_ptr_array_index (media, drop);
        const Slot *slot = g_ptr_array_index (self->pending, drop);

        g_ptr_array_index (media, drop) =
            inactive_desc (drop, d->media_type, slot->proto, key, prev_desc (prev_dialog, drop));
        sdes_media_description_unref (d);
        if (drop == i)
          break;
      }
    }
  }
  for (i = 0; i < media->len; i++)
    any_active |= ((SdesMediaDescription *) g_ptr_array_index (media, i))->active;
  if (!any_active) {
    g_set_error_literal (error, SDES_ENGINE_ERROR, SDES_ENGINE_ERROR_ANSWER_NO_MEDIA,
                         "the answer rejected every m-line");
    goto out;
  }

  {
    Dialog *d = g_new0 (Dialog, 1);

    d->tag = g_strdup (key);
    d->media = g_ptr_array_ref (media);
    g_hash_table_replace (self->dialogs, d->tag, d);
    if (self->confirmed_tag != NULL) {
      /* Re-offer: no forking, the answer is final. */
      g_autoptr (GPtrArray) slots = g_steal_pointer (&self->pending);
      g_autoptr (SdesLocalMedia) local = g_steal_pointer (&self->pending_local);

      commit_layout (self, slots, local, d);
    }
    queue_emission (self, EMIT_MEDIA_CHANGED, key, media);
  }
  ok = TRUE;

out:
  su_home_unref (home);
  return ok;
}

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
  g_queue_clear_full (&self->emissions, (GDestroyNotify) emission_free);
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
   * (PEERS §2.10: never accept and ignore).
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
  signals[SIGNAL_MEDIA_CHANGED] =
      g_signal_new ("media-changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                    0, NULL, NULL, NULL, G_TYPE_NONE, 2, G_TYPE_STRING, G_TYPE_PTR_ARRAY);
  /**
   * SdesSession::dialog-released:
   * @self: the session
   * @dialog_tag: (nullable): the dialog whose media state was dropped
   *
   * Emitted for every early dialog that lost when another one was confirmed
   * (forking, PEERS §2.3) or when the offer was cancelled: the media side
   * drops that dialog's decryption context.
   *
   * Since: 0.1
   */
  signals[SIGNAL_DIALOG_RELEASED] =
      g_signal_new ("dialog-released", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                    0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
}

static void
sdes_session_init (SdesSession *self)
{
  g_mutex_init (&self->lock);
  self->dialogs = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, dialog_free);
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
 *   RTP/SAVP and keys, PEERS §2.2)
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
  g_autoptr (SdesLocalMedia) media = NULL;
  SdesSrtpPolicy eff;
  gboolean refused;
  gchar *text = NULL;

  g_return_val_if_fail (SDES_IS_SESSION (self), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  g_mutex_lock (&self->lock);
  if (self->pending != NULL) {
    g_set_error_literal (error, SDES_ENGINE_ERROR, SDES_ENGINE_ERROR_WRONG_STATE,
                         "an offer is already pending");
    goto out;
  }
  if (local != NULL)
    media = sdes_local_media_copy (local);
  else if (self->local != NULL)
    media = sdes_local_media_ref (self->local);
  if (media == NULL) {
    g_set_error_literal (error, SDES_ENGINE_ERROR, SDES_ENGINE_ERROR_INVALID_ARGUMENT,
                         "no local media");
    goto out;
  }
  if (!validate_local (media, error))
    goto out;
  eff = effective_policy (self, NULL, &refused);
  if (refused) {
    g_set_error_literal (error, SDES_ENGINE_ERROR, SDES_ENGINE_ERROR_INSECURE_SIGNALING,
                         "SRTP is mandatory but signaling is not secure (Cisco Table 44): "
                         "no offer may be sent");
    goto out;
  }
  text = build_offer (self, media, eff, error);

out:
  unlock_and_emit (self);
  return text;
}

/**
 * sdes_session_create_fallback_offer:
 * @self: a #SdesSession
 * @status_code: the final response to the SRTP offer (488, 415 or 606)
 * @error: return location for a #GError
 *
 * Cisco "securertp fallback" and PEERS §2.4: after an SRTP offer is refused
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
  g_autoptr (SdesLocalMedia) media = NULL;
  gchar *text = NULL;

  g_return_val_if_fail (SDES_IS_SESSION (self), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  g_mutex_lock (&self->lock);
  if (status_code != 488 && status_code != 415 && status_code != 606) {
    g_set_error (error, SDES_ENGINE_ERROR, SDES_ENGINE_ERROR_INVALID_ARGUMENT,
                 "status %u is not a media rejection (488, 415, 606)", status_code);
    goto out;
  }
  if (self->confirmed_tag != NULL) {
    g_set_error_literal (error, SDES_ENGINE_ERROR, SDES_ENGINE_ERROR_WRONG_STATE,
                         "fallback applies to the initial INVITE only");
    goto out;
  }
  if (self->fell_back) {
    g_set_error_literal (error, SDES_ENGINE_ERROR, SDES_ENGINE_ERROR_NO_FALLBACK,
                         "already fell back to RTP once");
    goto out;
  }
  if (self->policy == SDES_SRTP_POLICY_MANDATORY) {
    /* Cisco: without "securertp fallback" the call fails. */
    g_set_error_literal (error, SDES_ENGINE_ERROR, SDES_ENGINE_ERROR_NO_FALLBACK,
                         "SRTP is mandatory: no RTP fallback");
    goto out;
  }
  if (!self->pending_has_srtp) {
    g_set_error_literal (error, SDES_ENGINE_ERROR, SDES_ENGINE_ERROR_NO_FALLBACK,
                         "the refused offer carried no SRTP");
    goto out;
  }
  media = self->pending_local ? sdes_local_media_ref (self->pending_local) :
          self->local ? sdes_local_media_ref (self->local) : NULL;
  if (media == NULL) {
    g_set_error_literal (error, SDES_ENGINE_ERROR, SDES_ENGINE_ERROR_WRONG_STATE,
                         "no offer was made");
    goto out;
  }
  /* A new INVITE: new dialogs, new m-line layout. */
  release_dialogs_except (self, NULL);
  g_clear_pointer (&self->pending, g_ptr_array_unref);
  g_clear_pointer (&self->pending_local, sdes_local_media_unref);
  g_clear_pointer (&self->slots, g_ptr_array_unref);
  self->fell_back = TRUE;
  text = build_offer (self, media, SDES_SRTP_POLICY_OFF, error);

out:
  unlock_and_emit (self);
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
  ok = process_answer_locked (self, dialog_tag, sdp, error);
  unlock_and_emit (self);
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
  const gchar *key = dialog_tag ? dialog_tag : NO_TAG;
  gboolean ok = FALSE;
  Dialog *dialog;

  g_return_val_if_fail (SDES_IS_SESSION (self), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  g_mutex_lock (&self->lock);
  if (self->confirmed_tag != NULL) {
    ok = strcmp (self->confirmed_tag, key) == 0;
    if (!ok)
      g_set_error (error, SDES_ENGINE_ERROR, SDES_ENGINE_ERROR_WRONG_STATE,
                   "dialog '%s' is already confirmed", self->confirmed_tag);
    goto out;
  }
  dialog = g_hash_table_lookup (self->dialogs, key);
  if (dialog == NULL) {
    g_set_error (error, SDES_ENGINE_ERROR, SDES_ENGINE_ERROR_UNKNOWN_DIALOG,
                 "no answer from dialog '%s'", key);
    goto out;
  }
  if (self->pending == NULL) {
    g_set_error_literal (error, SDES_ENGINE_ERROR, SDES_ENGINE_ERROR_WRONG_STATE,
                         "no offer is pending");
    goto out;
  }
  /* RFC 3261 §13.2.2.4 / PEERS §2.3: the 2xx picks the dialog; the winner's
   * context is kept as is (its ROC continues), the others are dropped. */
  release_dialogs_except (self, key);
  {
    g_autoptr (GPtrArray) slots = g_steal_pointer (&self->pending);
    g_autoptr (SdesLocalMedia) local = g_steal_pointer (&self->pending_local);

    commit_layout (self, slots, local, dialog);
  }
  self->confirmed_tag = g_strdup (key);
  ok = TRUE;

out:
  unlock_and_emit (self);
  return ok;
}

/**
 * sdes_session_cancel_offer:
 * @self: a #SdesSession
 *
 * Forgets our pending offer: the offer was refused (e.g. 488 to a T.38 or
 * hold re-INVITE) or the transaction failed. The previous negotiated state
 * and keys stay (PEERS §2.14). For an initial offer, every early dialog is
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
  if (self->pending != NULL && self->confirmed_tag == NULL)
    release_dialogs_except (self, NULL);
  g_clear_pointer (&self->pending, g_ptr_array_unref);
  g_clear_pointer (&self->pending_local, sdes_local_media_unref);
  unlock_and_emit (self);
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
  text = process_offer_locked (self, local, sdp, &status, &warning, error);
  if (text != NULL) {
    status = 0;
    g_clear_pointer (&warning, g_free);
  }
  self->rejection_status = status;
  g_free (self->rejection_warning);
  self->rejection_warning = g_strdup (warning);
  unlock_and_emit (self);
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
    copy = new_media_array ();
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
