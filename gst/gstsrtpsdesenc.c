/* srtpsdes — srtpsdesenc: SRTP/SRTCP encoder keyed by an a=crypto value
 *
 * Copyright (C) 2026 srtpsdes developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/**
 * SECTION:element-srtpsdesenc
 * @title: srtpsdesenc
 * @see_also: srtpsdesdec, srtpenc
 *
 * Protects RTP as SRTP and RTCP as SRTCP (RFC 3711, libsrtp2) with the key
 * of an RFC 4568 a=crypto value given in #GstSrtpSdesEnc:crypto, exactly as
 * it appears in SDP. Without a key it generates one for
 * #GstSrtpSdesEnc:suite when it starts (or when #GstSrtpSdesEnc:crypto is
 * first read) so the application can read the value to offer.
 *
 * Pads follow the stock srtpenc so rtpbin's request-rtp-encoder and
 * request-rtcp-encoder signals can return this element: request pads
 * rtp_sink_\%u / rtcp_sink_\%u and their rtp_src_\%u / rtcp_src_\%u.
 * RTCP multiplexed on an RTP pad (RFC 5761, packet types 192-223) is
 * protected as SRTCP.
 *
 * Each request sink pad (#GstSrtpSdesEncPad) has a #GstSrtpSdesEncPad:crypto
 * property of its own: a pad with a value uses that key, a pad without one
 * uses #GstSrtpSdesEnc:crypto. So one encoder carries many streams with
 * different keys (several rtpbin sessions, or thousands of call legs in a
 * relay) instead of one element per key.
 *
 * Element messages: srtpsdes-key-soft-limit and srtpsdes-key-hard-limit
 * (fields tag, suite, mki-index, rtcp, packets, limit). At the hard limit
 * packets are dropped and counted until a new key is set. A refused
 * #GstSrtpSdesEnc:crypto value posts a warning message whose GError names
 * the problem (never the key) and leaves the old key in force.
 *
 * ## Example pipelines
 * |[
 * gst-launch-1.0 audiotestsrc num-buffers=500 ! mulawenc ! rtppcmupay ! \
 *   srtpsdesenc crypto="1 AES_CM_128_HMAC_SHA1_80 inline:<key>" ! \
 *   udpsink host=127.0.0.1 port=5004
 * ]|
 *
 * Since: 0.1
 */

#include "gstsrtpsdesenc.h"

#include <string.h>

#include "gstsrtpsdes.h"

GST_DEBUG_CATEGORY_STATIC (gst_srtp_sdes_enc_debug);
#define GST_CAT_DEFAULT gst_srtp_sdes_enc_debug

#define DEFAULT_SUITE SDES_CRYPTO_SUITE_AES_CM_128_HMAC_SHA1_80
#define DEFAULT_REPLAY_WINDOW_SIZE GST_SRTP_SDES_DEFAULT_WINDOW
#define DEFAULT_MKI_INDEX 0

enum {
  PROP_0,
  PROP_CRYPTO,
  PROP_SUITE,
  PROP_REPLAY_WINDOW_SIZE,
  PROP_MKI_INDEX,
  PROP_LAST_ERROR,
  PROP_STATS,
};

static GstStaticPadTemplate rtp_sink_template = GST_STATIC_PAD_TEMPLATE ("rtp_sink_%u",
    GST_PAD_SINK, GST_PAD_REQUEST, GST_STATIC_CAPS ("application/x-rtp"));
static GstStaticPadTemplate rtp_src_template = GST_STATIC_PAD_TEMPLATE ("rtp_src_%u",
    GST_PAD_SRC, GST_PAD_SOMETIMES, GST_STATIC_CAPS ("application/x-srtp"));
static GstStaticPadTemplate rtcp_sink_template = GST_STATIC_PAD_TEMPLATE ("rtcp_sink_%u",
    GST_PAD_SINK, GST_PAD_REQUEST, GST_STATIC_CAPS ("application/x-rtcp"));
static GstStaticPadTemplate rtcp_src_template = GST_STATIC_PAD_TEMPLATE ("rtcp_src_%u",
    GST_PAD_SRC, GST_PAD_SOMETIMES, GST_STATIC_CAPS ("application/x-srtcp"));

/* Issue 9: the request sink pads are GstSrtpSdesEncPad, which carry a key
 * of their own (property "crypto"), so that one encoder protects many
 * streams with many keys (one element instead of one per key). */
#define GST_TYPE_SRTP_SDES_ENC_PAD (gst_srtp_sdes_enc_pad_get_type ())
G_DECLARE_FINAL_TYPE (GstSrtpSdesEncPad, gst_srtp_sdes_enc_pad, GST, SRTP_SDES_ENC_PAD,
    GstPad)

struct _GstSrtpSdesEncPad {
  GstPad parent;

  /* GST_OBJECT_LOCK of the pad; key_gen is also read atomically by the
   * streaming thread, which takes the lock only when it changed. */
  GstSrtpSdesKey *key;
  gint key_gen;
};

enum {
  PAD_PROP_0,
  PAD_PROP_CRYPTO,
};

G_DEFINE_TYPE (GstSrtpSdesEncPad, gst_srtp_sdes_enc_pad, GST_TYPE_PAD);

/* One request pad pair. Its lock guards everything below it and is never
 * held while pushing, posting or emitting; it may be held while taking
 * the object lock (never the other way round). */
typedef struct {
  GstPad *sinkpad;
  GstPad *srcpad;
  guint id;
  gboolean rtcp_pad;

  GMutex lock;
  srtp_t session;
  GstSrtpSdesKey *key;
  guint key_gen;
  guint pad_key_gen;
  guint session_gen;
  guint window;
  GHashTable *rtp_ssrcs;  /* ssrc -> GstSrtpSdesSsrc (RTP packets) */
  GHashTable *rtcp_ssrcs; /* ssrc -> GstSrtpSdesSsrc (RTCP packets) */
  /* The SSRC of the previous packet: one stream per pad pair is the common
   * case, so the table is skipped (remove-ssrc clears it). */
  GstSrtpSdesSsrc *last_rtp;
  GstSrtpSdesSsrc *last_rtcp;
  guint64 invalid_drops;
  /* Issue 9: MTU-sized buffers for packets that arrive without room for
   * the trailer (shared, read-only or exactly sized), so that no packet
   * needs a malloc of its own (the process-wide pool, not owned). */
  GstBufferPool *pool;
  /* Issue 9: sessions of keys given per SSRC (add-crypto-for-ssrc), made
   * on the SSRC's first packet: ssrc -> EncPin (owned), [0] RTP, [1] RTCP;
   * and the element's pin_gen last read (0: no per-SSRC key ever, so the
   * hot path skips all of it). */
  GHashTable *ssrc_sessions[2];
  guint pin_gen;
} EncStream;

/* The session of one SSRC's own key inside one pad pair. */
typedef struct {
  GstSrtpSdesKey *key;
  srtp_t session;
} EncPin;

struct _GstSrtpSdesEnc {
  GstElement parent;

  /* GST_OBJECT_LOCK; key_gen and mki_index are also read without it
   * (atomically) by the streaming threads, so that pad pairs never meet on
   * the object lock per packet. */
  GstSrtpSdesKey *key;
  gint key_gen;
  SdesCryptoSuite suite;
  guint replay_window_size;
  gint mki_index;
  gchar *last_error;

  /* streams_lock: the list of pad pairs (taken before any stream lock) */
  GMutex streams_lock;
  GList *streams;
  /* Pad pairs by id (RTP and RTCP): thousands of request pads must not
   * cost a walk each. */
  GHashTable *ids[2];
  /* Issue 9, GST_OBJECT_LOCK: keys bound to one SSRC (add-crypto-for-ssrc),
   * ssrc -> GstSrtpSdesKey; pin_gen changes with the table and is read
   * atomically per packet or list. */
  GHashTable *ssrc_keys;
  gint pin_gen;
};

enum {
  SIGNAL_ADD_CRYPTO_FOR_SSRC,
  SIGNAL_REMOVE_SSRC,
  LAST_SIGNAL
};

static guint signals[LAST_SIGNAL];

G_DEFINE_TYPE_WITH_CODE (GstSrtpSdesEnc, gst_srtp_sdes_enc, GST_TYPE_ELEMENT,
    GST_DEBUG_CATEGORY_INIT (gst_srtp_sdes_enc_debug, "srtpsdesenc", 0,
        "SRTP encoder keyed by a=crypto"));
GST_ELEMENT_REGISTER_DEFINE_WITH_CODE (srtpsdesenc, "srtpsdesenc", GST_RANK_NONE,
    GST_TYPE_SRTP_SDES_ENC, gst_srtp_sdes_init_once ());

static void gst_srtp_sdes_enc_set_property (GObject *object, guint prop_id,
    const GValue *value, GParamSpec *pspec);
static void gst_srtp_sdes_enc_get_property (GObject *object, guint prop_id,
    GValue *value, GParamSpec *pspec);
static void gst_srtp_sdes_enc_finalize (GObject *object);
static gboolean gst_srtp_sdes_enc_add_crypto_for_ssrc (GstSrtpSdesEnc *self, guint ssrc,
    const gchar *text);
static gboolean gst_srtp_sdes_enc_remove_ssrc (GstSrtpSdesEnc *self, guint ssrc);
static GstPad *gst_srtp_sdes_enc_request_new_pad (GstElement *element,
    GstPadTemplate *templ, const gchar *name, const GstCaps *caps);
static void gst_srtp_sdes_enc_release_pad (GstElement *element, GstPad *pad);
static GstStateChangeReturn gst_srtp_sdes_enc_change_state (GstElement *element,
    GstStateChange transition);
static GstFlowReturn gst_srtp_sdes_enc_chain (GstPad *pad, GstObject *parent,
    GstBuffer *buf);
static GstFlowReturn gst_srtp_sdes_enc_chain_list (GstPad *pad, GstObject *parent,
    GstBufferList *list);
static gboolean gst_srtp_sdes_enc_sink_event (GstPad *pad, GstObject *parent,
    GstEvent *event);
static gboolean gst_srtp_sdes_enc_query (GstPad *pad, GstObject *parent,
    GstQuery *query);
static GstIterator *gst_srtp_sdes_enc_iterate_internal_links (GstPad *pad,
    GstObject *parent);

static void
gst_srtp_sdes_enc_class_init (GstSrtpSdesEncClass *klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);

  gst_srtp_sdes_init_once ();

  /* Issue 9: request sink pads carry a key of their own (GstSrtpSdesEncPad). */
  gst_element_class_add_pad_template (element_class,
      gst_pad_template_new_from_static_pad_template_with_gtype (&rtp_sink_template,
          GST_TYPE_SRTP_SDES_ENC_PAD));
  gst_element_class_add_static_pad_template (element_class, &rtp_src_template);
  gst_element_class_add_pad_template (element_class,
      gst_pad_template_new_from_static_pad_template_with_gtype (&rtcp_sink_template,
          GST_TYPE_SRTP_SDES_ENC_PAD));
  gst_element_class_add_static_pad_template (element_class, &rtcp_src_template);
  gst_type_mark_as_plugin_api (GST_TYPE_SRTP_SDES_ENC_PAD, 0);

  gobject_class->set_property = gst_srtp_sdes_enc_set_property;
  gobject_class->get_property = gst_srtp_sdes_enc_get_property;
  gobject_class->finalize = gst_srtp_sdes_enc_finalize;

  /**
   * GstSrtpSdesEnc:crypto:
   *
   * The RFC 4568 a=crypto value (with or without "a=crypto:"). Reading it
   * returns the full value to put in SDP; without a configured value the
   * element generates a key when it goes to READY (in NULL state the read
   * gives %NULL until a value is set). Setting it while PLAYING rekeys without a restart; the ROC of every
   * stream continues (RFC 4568 §7.1.4). A value libsrtp2 cannot implement
   * (F8, KDR > 0, FEC_KEY, a suite this libsrtp2 lacks) is refused: the old
   * key stays, #GstSrtpSdesEnc:last-error says why and a warning message is
   * posted.
   *
   * Since: 0.1
   */
  g_object_class_install_property (gobject_class, PROP_CRYPTO,
      g_param_spec_string ("crypto", "Crypto",
          "RFC 4568 a=crypto value (\"1 AES_CM_128_HMAC_SHA1_80 inline:...\"). "
          "Reading returns the value to put in SDP (from READY on, a fresh key "
          "is generated for 'suite' if none was set). Settable while PLAYING (live rekey, ROC "
          "continues). Unsupported values (F8, KDR>0, FEC_KEY, suites libsrtp2 "
          "lacks) are refused, the old key stays and 'last-error' says why",
          NULL,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_PLAYING));

  /**
   * GstSrtpSdesEnc:suite:
   *
   * Suite used when the element generates its own key.
   *
   * Since: 0.1
   */
  g_object_class_install_property (gobject_class, PROP_SUITE,
      g_param_spec_enum ("suite", "Suite",
          "Crypto suite of the key generated when 'crypto' is not set",
          SDES_TYPE_CRYPTO_SUITE, DEFAULT_SUITE,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_READY));

  /**
   * GstSrtpSdesEnc:replay-window-size:
   *
   * Replay window of the sender's libsrtp2 streams when the a=crypto value
   * has no WSH (Cisco Table 47: 64).
   *
   * Since: 0.1
   */
  g_object_class_install_property (gobject_class, PROP_REPLAY_WINDOW_SIZE,
      g_param_spec_uint ("replay-window-size", "Replay window size",
          "Replay window size in packets when the a=crypto value has no WSH "
          "(Cisco Table 47 default 64)", 64, GST_SRTP_SDES_MAX_WINDOW,
          DEFAULT_REPLAY_WINDOW_SIZE,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_READY));

  /**
   * GstSrtpSdesEnc:mki-index:
   *
   * Which key-param of a multi-key (MKI) a=crypto value protects outgoing
   * packets. Changing it while PLAYING switches keys at the next packet;
   * the receiver picks the key by the MKI in each packet (RFC 3711 §3.1).
   *
   * Since: 0.1
   */
  g_object_class_install_property (gobject_class, PROP_MKI_INDEX,
      g_param_spec_uint ("mki-index", "MKI index",
          "Index (0-based) of the key-param used to protect packets when the "
          "a=crypto value has several keys with MKIs; switchable while PLAYING",
          0, SDES_CRYPTO_MAX_KEYS - 1, DEFAULT_MKI_INDEX,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_PLAYING));

  /**
   * GstSrtpSdesEnc:last-error:
   *
   * Why the last #GstSrtpSdesEnc:crypto value was refused (never contains
   * key material), or %NULL.
   *
   * Since: 0.1
   */
  g_object_class_install_property (gobject_class, PROP_LAST_ERROR,
      g_param_spec_string ("last-error", "Last error",
          "Why the last 'crypto' value was refused (no key material), or NULL",
          NULL, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));

  /**
   * GstSrtpSdesEnc:stats:
   *
   * application/x-srtpsdes-enc-stats with a "streams" array of
   * application/x-srtpsdes-stream structures: ssrc, rtcp, packets, bytes,
   * auth-failures, replay-drops, unknown-key-drops, limit-drops,
   * invalid-drops, roc, suite, tag. Never key bytes.
   *
   * Since: 0.1
   */
  g_object_class_install_property (gobject_class, PROP_STATS,
      g_param_spec_boxed ("stats", "Statistics",
          "Per-SSRC counters: application/x-srtpsdes-enc-stats with 'streams', "
          "an array of {ssrc, rtcp, packets, bytes, replay-drops, limit-drops, "
          "invalid-drops, roc, suite, tag}; never key bytes",
          GST_TYPE_STRUCTURE, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));

  /**
   * GstSrtpSdesEnc::add-crypto-for-ssrc:
   * @enc: the element
   * @ssrc: the SSRC the key belongs to
   * @crypto: an a=crypto value
   *
   * Protects the packets of one SSRC, on whichever pad they arrive, with
   * their own key instead of the pad's or the element's. So one pad can
   * carry many streams with many keys (a sender that batches the packets
   * of many streams into one buffer list per tick). Calling it again for
   * the same SSRC replaces the key at once; the ROC continues (RFC 4568
   * §7.1.4, PEERS §2.1). A refused value keeps the old key and sets
   * #GstSrtpSdesEnc:last-error.
   *
   * Returns: %TRUE when the key was accepted.
   *
   * Since: 0.1
   */
  signals[SIGNAL_ADD_CRYPTO_FOR_SSRC] = g_signal_new_class_handler ("add-crypto-for-ssrc",
      G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST | G_SIGNAL_ACTION,
      G_CALLBACK (gst_srtp_sdes_enc_add_crypto_for_ssrc), NULL, NULL, NULL,
      G_TYPE_BOOLEAN, 2, G_TYPE_UINT, G_TYPE_STRING);

  /**
   * GstSrtpSdesEnc::remove-ssrc:
   * @enc: the element
   * @ssrc: an SSRC whose stream has ended
   *
   * Forgets one SSRC on every pad: its key from
   * #GstSrtpSdesEnc::add-crypto-for-ssrc, its libsrtp2 stream state
   * (ROC, sequence tracking) and its #GstSrtpSdesEnc:stats entry, so a
   * long-running sender does not accumulate the state of ended calls. A
   * later packet of the SSRC is a new SSRC: protected with the pad's or the
   * element's key, its ROC starting at 0. Only remove SSRCs that are done
   * for good: a stream that carries on with the same key after a ROC
   * increment would reuse keystream (RFC 3711 §9.1).
   *
   * Returns: %TRUE when the SSRC was known (a key or state was freed).
   *
   * Since: 0.1
   */
  signals[SIGNAL_REMOVE_SSRC] = g_signal_new_class_handler ("remove-ssrc",
      G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST | G_SIGNAL_ACTION,
      G_CALLBACK (gst_srtp_sdes_enc_remove_ssrc), NULL, NULL, NULL,
      G_TYPE_BOOLEAN, 1, G_TYPE_UINT);

  gst_element_class_set_static_metadata (element_class, "SRTP SDES encoder",
      "Filter/Network/SRTP",
      "Protects RTP/RTCP as SRTP/SRTCP (libsrtp2) with an RFC 4568 a=crypto key. "
      "Element messages: srtpsdes-key-soft-limit, srtpsdes-key-hard-limit "
      "(tag, suite, mki-index, rtcp, packets, limit)",
      "srtpsdes developers");
  gst_element_class_add_metadata (element_class, "messages",
      "srtpsdes-key-soft-limit: the key is close to its lifetime (RFC 3711 §9.2); "
      "srtpsdes-key-hard-limit: the lifetime is reached, packets are dropped until "
      "a new key is set; GST_MESSAGE_WARNING (domain gst-srtp-sdes-error-quark or "
      "sdes-crypto-error-quark): a 'crypto' value was refused");

  element_class->request_new_pad = GST_DEBUG_FUNCPTR (gst_srtp_sdes_enc_request_new_pad);
  element_class->release_pad = GST_DEBUG_FUNCPTR (gst_srtp_sdes_enc_release_pad);
  element_class->change_state = GST_DEBUG_FUNCPTR (gst_srtp_sdes_enc_change_state);
}

static void
gst_srtp_sdes_enc_init (GstSrtpSdesEnc *self)
{
  self->suite = DEFAULT_SUITE;
  self->replay_window_size = DEFAULT_REPLAY_WINDOW_SIZE;
  self->mki_index = DEFAULT_MKI_INDEX;
  g_mutex_init (&self->streams_lock);
  self->ids[0] = g_hash_table_new (NULL, NULL);
  self->ids[1] = g_hash_table_new (NULL, NULL);
  self->ssrc_keys = g_hash_table_new_full (NULL, NULL, NULL,
      (GDestroyNotify) gst_srtp_sdes_key_unref);
}

static void
enc_pin_free (EncPin *pin)
{
  srtp_dealloc (pin->session);
  gst_srtp_sdes_key_unref (pin->key);
  g_free (pin);
}

static void
enc_stream_free (EncStream *stream)
{
  if (stream->session)
    srtp_dealloc (stream->session);
  gst_srtp_sdes_key_unref (stream->key);
  g_hash_table_unref (stream->rtp_ssrcs);
  g_hash_table_unref (stream->rtcp_ssrcs);
  g_hash_table_unref (stream->ssrc_sessions[0]);
  g_hash_table_unref (stream->ssrc_sessions[1]);
  g_mutex_clear (&stream->lock);
  g_free (stream);
}

static void
gst_srtp_sdes_enc_finalize (GObject *object)
{
  GstSrtpSdesEnc *self = GST_SRTP_SDES_ENC (object);

  g_list_free_full (self->streams, (GDestroyNotify) enc_stream_free);
  g_hash_table_unref (self->ids[0]);
  g_hash_table_unref (self->ids[1]);
  g_hash_table_unref (self->ssrc_keys);
  gst_srtp_sdes_key_unref (self->key);
  g_free (self->last_error);
  g_mutex_clear (&self->streams_lock);
  G_OBJECT_CLASS (gst_srtp_sdes_enc_parent_class)->finalize (object);
}

/* Must be called with the object lock. */
static gboolean
ensure_key_locked (GstSrtpSdesEnc *self, GError **error)
{
  SdesCryptoAttr *attr;
  GstSrtpSdesKey *key;

  if (self->key)
    return TRUE;
  /* RFC 4568 §6.1: tags start at 1 (PEERS §2.9: never emit 0). */
  attr = sdes_crypto_attr_generate (self->suite, 1, 0, 0, 0, error);
  if (attr == NULL)
    return FALSE;
  key = gst_srtp_sdes_key_new_from_attr (attr, error);
  if (key == NULL)
    return FALSE;
  self->key = key;
  g_atomic_int_inc (&self->key_gen);
  GST_INFO_OBJECT (self, "generated key %s", key->redacted);
  return TRUE;
}

/* Posts a warning whose GError is @error: the message text never holds key
 * bytes (the crypto library and the glue guarantee it). No lock held. */
static void
post_refusal (GstElement *element, const GError *error)
{
  gst_element_message_full (element, GST_MESSAGE_WARNING, error->domain,
      error->code, g_strdup (error->message),
      g_strdup ("a=crypto value refused; the previous key stays in force"),
      __FILE__, GST_FUNCTION, __LINE__);
}

static void
set_crypto (GstSrtpSdesEnc *self, const gchar *text)
{
  g_autoptr (GError) error = NULL;
  GstSrtpSdesKey *key = NULL, *old = NULL;

  if (text != NULL && *text != '\0') {
    key = gst_srtp_sdes_key_new (text, &error);
    if (key == NULL) {
      GST_WARNING_OBJECT (self, "refusing crypto: %s", error->message);
      GST_OBJECT_LOCK (self);
      g_free (self->last_error);
      self->last_error = g_strdup (error->message);
      GST_OBJECT_UNLOCK (self);
      post_refusal (GST_ELEMENT (self), error);
      return;
    }
    GST_INFO_OBJECT (self, "new key %s", key->redacted);
  }

  GST_OBJECT_LOCK (self);
  old = self->key;
  self->key = key;
  g_atomic_int_inc (&self->key_gen);
  g_clear_pointer (&self->last_error, g_free);
  GST_OBJECT_UNLOCK (self);
  gst_srtp_sdes_key_unref (old);
}

static gboolean
gst_srtp_sdes_enc_add_crypto_for_ssrc (GstSrtpSdesEnc *self, guint ssrc, const gchar *text)
{
  g_autoptr (GError) error = NULL;
  GstSrtpSdesKey *key, *old;

  if (text == NULL)
    g_set_error_literal (&error, SDES_CRYPTO_ERROR, SDES_CRYPTO_ERROR_SYNTAX,
        "no a=crypto value");
  key = text ? gst_srtp_sdes_key_new (text, &error) : NULL;
  if (key == NULL) {
    GST_WARNING_OBJECT (self, "refusing crypto for SSRC %08x: %s", ssrc, error->message);
    GST_OBJECT_LOCK (self);
    g_free (self->last_error);
    self->last_error = g_strdup (error->message);
    GST_OBJECT_UNLOCK (self);
    post_refusal (GST_ELEMENT (self), error);
    return FALSE;
  }
  GST_INFO_OBJECT (self, "key %s for SSRC %08x", key->redacted, ssrc);
  GST_OBJECT_LOCK (self);
  old = g_hash_table_lookup (self->ssrc_keys, GUINT_TO_POINTER (ssrc));
  if (old != NULL && gst_srtp_sdes_key_same (old, key)) {
    gst_srtp_sdes_key_unref (key);
  } else {
    g_hash_table_replace (self->ssrc_keys, GUINT_TO_POINTER (ssrc), key);
    g_atomic_int_inc (&self->pin_gen);
  }
  g_clear_pointer (&self->last_error, g_free);
  GST_OBJECT_UNLOCK (self);
  return TRUE;
}

/* Frees what one pad pair keeps of @ssrc: its RTP and RTCP state, the
 * session of its own key and its stream in the pad's libsrtp2 session.
 * Stream lock. */
static gboolean
enc_stream_forget_ssrc (EncStream *stream, guint32 ssrc)
{
  gpointer k = GUINT_TO_POINTER (ssrc);
  gboolean known = FALSE;

  if (stream->last_rtp != NULL && stream->last_rtp->ssrc == ssrc)
    stream->last_rtp = NULL;
  if (stream->last_rtcp != NULL && stream->last_rtcp->ssrc == ssrc)
    stream->last_rtcp = NULL;
  known |= g_hash_table_remove (stream->rtp_ssrcs, k);
  known |= g_hash_table_remove (stream->rtcp_ssrcs, k);
  /* srtp_dealloc of the SSRC's own session. */
  known |= g_hash_table_remove (stream->ssrc_sessions[0], k);
  known |= g_hash_table_remove (stream->ssrc_sessions[1], k);
  /* The stream libsrtp2 cloned from the template on the first packet
   * (keyed in network order); srtp_err_status_no_ctx when there is none. */
  if (stream->session != NULL)
    srtp_remove_stream (stream->session, g_htonl (ssrc));
  return known;
}

static gboolean
gst_srtp_sdes_enc_remove_ssrc (GstSrtpSdesEnc *self, guint ssrc)
{
  gboolean known;

  /* No pin_gen change: a fresh per-SSRC state looks its key up anyway,
   * and thousands of other SSRCs need not look theirs up again. */
  GST_OBJECT_LOCK (self);
  known = g_hash_table_remove (self->ssrc_keys, GUINT_TO_POINTER (ssrc));
  GST_OBJECT_UNLOCK (self);

  g_mutex_lock (&self->streams_lock);
  for (GList *l = self->streams; l; l = l->next) {
    EncStream *stream = l->data;

    g_mutex_lock (&stream->lock);
    known |= enc_stream_forget_ssrc (stream, ssrc);
    g_mutex_unlock (&stream->lock);
  }
  g_mutex_unlock (&self->streams_lock);
  GST_DEBUG_OBJECT (self, "SSRC %08x removed (%s)", ssrc, known ? "known" : "unknown");
  return known;
}

static GstStructure *
enc_get_stats (GstSrtpSdesEnc *self)
{
  GValue streams = G_VALUE_INIT;
  GstStructure *s;
  guint64 invalid = 0;

  g_value_init (&streams, GST_TYPE_ARRAY);
  g_mutex_lock (&self->streams_lock);
  /* Oldest pad first (the list is built by prepending). */
  for (GList *l = g_list_last (self->streams); l; l = l->prev) {
    EncStream *stream = l->data;
    GHashTable *tables[2] = { stream->rtp_ssrcs, stream->rtcp_ssrcs };

    g_mutex_lock (&stream->lock);
    invalid += stream->invalid_drops;
    for (guint t = 0; t < 2; t++) {
      GHashTableIter iter;
      gpointer value;

      g_hash_table_iter_init (&iter, tables[t]);
      while (g_hash_table_iter_next (&iter, NULL, &value)) {
        GValue v = G_VALUE_INIT;

        g_value_init (&v, GST_TYPE_STRUCTURE);
        g_value_take_boxed (&v, gst_srtp_sdes_ssrc_to_structure (value));
        gst_value_array_append_and_take_value (&streams, &v);
      }
    }
    g_mutex_unlock (&stream->lock);
  }
  g_mutex_unlock (&self->streams_lock);

  s = gst_structure_new ("application/x-srtpsdes-enc-stats",
      "invalid-drops", G_TYPE_UINT64, invalid, NULL);
  gst_structure_take_value (s, "streams", &streams);
  return s;
}

static void
gst_srtp_sdes_enc_set_property (GObject *object, guint prop_id,
                                const GValue *value, GParamSpec *pspec)
{
  GstSrtpSdesEnc *self = GST_SRTP_SDES_ENC (object);

  switch (prop_id) {
    case PROP_CRYPTO:
      set_crypto (self, g_value_get_string (value));
      break;
    case PROP_SUITE:
      GST_OBJECT_LOCK (self);
      self->suite = g_value_get_enum (value);
      GST_OBJECT_UNLOCK (self);
      break;
    case PROP_REPLAY_WINDOW_SIZE:
      GST_OBJECT_LOCK (self);
      self->replay_window_size = g_value_get_uint (value);
      GST_OBJECT_UNLOCK (self);
      break;
    case PROP_MKI_INDEX:
      GST_OBJECT_LOCK (self);
      g_atomic_int_set (&self->mki_index, (gint) g_value_get_uint (value));
      GST_OBJECT_UNLOCK (self);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
}

static void
gst_srtp_sdes_enc_get_property (GObject *object, guint prop_id,
                                GValue *value, GParamSpec *pspec)
{
  GstSrtpSdesEnc *self = GST_SRTP_SDES_ENC (object);

  switch (prop_id) {
    case PROP_CRYPTO: {
      g_autoptr (GError) error = NULL;

      GST_OBJECT_LOCK (self);
      /* In NULL state a read only reports a key that was set (so that
       * gst-inspect never prints a generated one); from READY on a key
       * exists, generated when none was given. */
      if ((GST_STATE (self) == GST_STATE_NULL && self->key == NULL) ||
          !ensure_key_locked (self, &error))
        g_value_set_string (value, NULL);
      else
        /* The one place a key leaves the element: an explicit read. */
        g_value_take_string (value, gst_srtp_sdes_key_format (self->key));
      GST_OBJECT_UNLOCK (self);
      if (error)
        GST_WARNING_OBJECT (self, "cannot generate a key: %s", error->message);
      break;
    }
    case PROP_SUITE:
      GST_OBJECT_LOCK (self);
      g_value_set_enum (value, self->suite);
      GST_OBJECT_UNLOCK (self);
      break;
    case PROP_REPLAY_WINDOW_SIZE:
      GST_OBJECT_LOCK (self);
      g_value_set_uint (value, self->replay_window_size);
      GST_OBJECT_UNLOCK (self);
      break;
    case PROP_MKI_INDEX:
      GST_OBJECT_LOCK (self);
      g_value_set_uint (value, (guint) self->mki_index);
      GST_OBJECT_UNLOCK (self);
      break;
    case PROP_LAST_ERROR:
      GST_OBJECT_LOCK (self);
      g_value_set_string (value, self->last_error);
      GST_OBJECT_UNLOCK (self);
      break;
    case PROP_STATS:
      g_value_take_boxed (value, enc_get_stats (self));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
}

/* ------------------------------------------------------------------------- */
/* GstSrtpSdesEncPad: a request sink pad with a key of its own                */
/* ------------------------------------------------------------------------- */

static void
enc_pad_set_crypto (GstSrtpSdesEncPad *pad, const gchar *text)
{
  g_autoptr (GError) error = NULL;
  GstSrtpSdesKey *key = NULL, *old;
  GstObject *parent = gst_object_get_parent (GST_OBJECT (pad));

  if (text != NULL && *text != '\0') {
    key = gst_srtp_sdes_key_new (text, &error);
    if (key == NULL) {
      /* Same refusal as the element's: the old key stays. */
      GST_WARNING_OBJECT (pad, "refusing crypto: %s", error->message);
      if (parent != NULL && GST_IS_SRTP_SDES_ENC (parent)) {
        GstSrtpSdesEnc *self = GST_SRTP_SDES_ENC (parent);

        GST_OBJECT_LOCK (self);
        g_free (self->last_error);
        self->last_error = g_strdup (error->message);
        GST_OBJECT_UNLOCK (self);
        post_refusal (GST_ELEMENT (self), error);
      }
      gst_clear_object (&parent);
      return;
    }
    GST_INFO_OBJECT (pad, "new key %s", key->redacted);
  }

  GST_OBJECT_LOCK (pad);
  old = pad->key;
  pad->key = key;
  g_atomic_int_inc (&pad->key_gen);
  GST_OBJECT_UNLOCK (pad);
  gst_srtp_sdes_key_unref (old);
  if (parent != NULL && GST_IS_SRTP_SDES_ENC (parent)) {
    GST_OBJECT_LOCK (parent);
    g_clear_pointer (&GST_SRTP_SDES_ENC (parent)->last_error, g_free);
    GST_OBJECT_UNLOCK (parent);
  }
  gst_clear_object (&parent);
}

static void
gst_srtp_sdes_enc_pad_set_property (GObject *object, guint prop_id,
                                    const GValue *value, GParamSpec *pspec)
{
  switch (prop_id) {
    case PAD_PROP_CRYPTO:
      enc_pad_set_crypto (GST_SRTP_SDES_ENC_PAD (object), g_value_get_string (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
}

static void
gst_srtp_sdes_enc_pad_get_property (GObject *object, guint prop_id,
                                    GValue *value, GParamSpec *pspec)
{
  GstSrtpSdesEncPad *pad = GST_SRTP_SDES_ENC_PAD (object);

  switch (prop_id) {
    case PAD_PROP_CRYPTO:
      GST_OBJECT_LOCK (pad);
      /* An explicit read gives the key back, as the element's does. */
      g_value_take_string (value, pad->key ? gst_srtp_sdes_key_format (pad->key) : NULL);
      GST_OBJECT_UNLOCK (pad);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
}

static void
gst_srtp_sdes_enc_pad_finalize (GObject *object)
{
  GstSrtpSdesEncPad *pad = GST_SRTP_SDES_ENC_PAD (object);

  gst_srtp_sdes_key_unref (pad->key);
  G_OBJECT_CLASS (gst_srtp_sdes_enc_pad_parent_class)->finalize (object);
}

static void
gst_srtp_sdes_enc_pad_class_init (GstSrtpSdesEncPadClass *klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);

  gobject_class->set_property = gst_srtp_sdes_enc_pad_set_property;
  gobject_class->get_property = gst_srtp_sdes_enc_pad_get_property;
  gobject_class->finalize = gst_srtp_sdes_enc_pad_finalize;

  /**
   * GstSrtpSdesEncPad:crypto:
   *
   * An RFC 4568 a=crypto value for this request pad alone (rtp_sink_\%u or
   * rtcp_sink_\%u): packets of this pad are protected with it instead of
   * #GstSrtpSdesEnc:crypto, so one encoder carries many streams with many
   * keys (one rtpbin session or one call leg per pad). %NULL or "" (the
   * default) falls back to the element's key. Settable while PLAYING
   * (live rekey, the ROC of every SSRC continues, RFC 4568 §7.1.4);
   * refused values keep the old key, set #GstSrtpSdesEnc:last-error and
   * post a warning message. Reading returns the full value (the key).
   *
   * Since: 0.1
   */
  g_object_class_install_property (gobject_class, PAD_PROP_CRYPTO,
      g_param_spec_string ("crypto", "Crypto",
          "RFC 4568 a=crypto value for this pad only; NULL (default) uses the "
          "element's 'crypto'. Settable while PLAYING (live rekey, ROC continues); "
          "refused values keep the old key and set the element's 'last-error'",
          NULL,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_PLAYING));
}

static void
gst_srtp_sdes_enc_pad_init (GstSrtpSdesEncPad *pad)
{
}

/* ------------------------------------------------------------------------- */
/* Pads                                                                       */
/* ------------------------------------------------------------------------- */

static EncStream *
find_stream_locked (GstSrtpSdesEnc *self, guint id, gboolean rtcp)
{
  return g_hash_table_lookup (self->ids[rtcp ? 1 : 0], GUINT_TO_POINTER (id));
}

static GstPad *
gst_srtp_sdes_enc_request_new_pad (GstElement *element, GstPadTemplate *templ,
                                   const gchar *name, const GstCaps *caps)
{
  GstSrtpSdesEnc *self = GST_SRTP_SDES_ENC (element);
  GstElementClass *klass = GST_ELEMENT_GET_CLASS (element);
  gboolean rtcp = templ == gst_element_class_get_pad_template (klass, "rtcp_sink_%u");
  EncStream *stream;
  guint id = 0;
  g_autofree gchar *sink_name = NULL;
  g_autofree gchar *src_name = NULL;

  if (!rtcp && templ != gst_element_class_get_pad_template (klass, "rtp_sink_%u"))
    return NULL;

  g_mutex_lock (&self->streams_lock);
  if (name != NULL) {
    const gchar *num = name + strlen (rtcp ? "rtcp_sink_" : "rtp_sink_");
    gchar *end = NULL;
    guint64 v;

    if (!g_str_has_prefix (name, rtcp ? "rtcp_sink_" : "rtp_sink_") || *num == '\0' ||
        (v = g_ascii_strtoull (num, &end, 10), *end != '\0') || v > G_MAXUINT) {
      g_mutex_unlock (&self->streams_lock);
      GST_WARNING_OBJECT (self, "bad pad name %s", name);
      return NULL;
    }
    id = (guint) v;
    if (find_stream_locked (self, id, rtcp)) {
      g_mutex_unlock (&self->streams_lock);
      GST_WARNING_OBJECT (self, "pad %s already exists", name);
      return NULL;
    }
  } else {
    /* Request pads are usually asked for in order: start after the
     * number of pads of this kind, not at 0. */
    id = g_hash_table_size (self->ids[rtcp ? 1 : 0]);
    while (find_stream_locked (self, id, rtcp))
      id++;
  }

  stream = g_new0 (EncStream, 1);
  stream->id = id;
  stream->rtcp_pad = rtcp;
  g_mutex_init (&stream->lock);
  stream->rtp_ssrcs = g_hash_table_new_full (NULL, NULL, NULL,
      (GDestroyNotify) gst_srtp_sdes_ssrc_free);
  stream->rtcp_ssrcs = g_hash_table_new_full (NULL, NULL, NULL,
      (GDestroyNotify) gst_srtp_sdes_ssrc_free);
  for (guint i = 0; i < 2; i++)
    stream->ssrc_sessions[i] = g_hash_table_new_full (NULL, NULL, NULL,
        (GDestroyNotify) enc_pin_free);
  stream->pool = gst_srtp_sdes_packet_pool ();

  sink_name = g_strdup_printf (rtcp ? "rtcp_sink_%u" : "rtp_sink_%u", id);
  src_name = g_strdup_printf (rtcp ? "rtcp_src_%u" : "rtp_src_%u", id);
  stream->sinkpad = gst_pad_new_from_template (templ, sink_name);
  stream->srcpad = gst_pad_new_from_static_template (rtcp ? &rtcp_src_template :
      &rtp_src_template, src_name);
  gst_pad_set_element_private (stream->sinkpad, stream);
  gst_pad_set_element_private (stream->srcpad, stream);

  gst_pad_set_chain_function (stream->sinkpad, GST_DEBUG_FUNCPTR (gst_srtp_sdes_enc_chain));
  gst_pad_set_chain_list_function (stream->sinkpad,
      GST_DEBUG_FUNCPTR (gst_srtp_sdes_enc_chain_list));
  gst_pad_set_event_function (stream->sinkpad,
      GST_DEBUG_FUNCPTR (gst_srtp_sdes_enc_sink_event));
  gst_pad_set_query_function (stream->sinkpad, GST_DEBUG_FUNCPTR (gst_srtp_sdes_enc_query));
  gst_pad_set_query_function (stream->srcpad, GST_DEBUG_FUNCPTR (gst_srtp_sdes_enc_query));
  gst_pad_set_iterate_internal_links_function (stream->sinkpad,
      GST_DEBUG_FUNCPTR (gst_srtp_sdes_enc_iterate_internal_links));
  gst_pad_set_iterate_internal_links_function (stream->srcpad,
      GST_DEBUG_FUNCPTR (gst_srtp_sdes_enc_iterate_internal_links));
  GST_PAD_SET_PROXY_ALLOCATION (stream->sinkpad);

  self->streams = g_list_prepend (self->streams, stream);
  g_hash_table_insert (self->ids[rtcp ? 1 : 0], GUINT_TO_POINTER (id), stream);
  g_mutex_unlock (&self->streams_lock);

  gst_pad_set_active (stream->srcpad, TRUE);
  gst_element_add_pad (element, stream->srcpad);
  gst_pad_set_active (stream->sinkpad, TRUE);
  gst_element_add_pad (element, stream->sinkpad);
  return stream->sinkpad;
}

static void
gst_srtp_sdes_enc_release_pad (GstElement *element, GstPad *pad)
{
  GstSrtpSdesEnc *self = GST_SRTP_SDES_ENC (element);
  EncStream *stream = gst_pad_get_element_private (pad);

  if (stream == NULL || stream->sinkpad != pad)
    return;
  g_mutex_lock (&self->streams_lock);
  self->streams = g_list_remove (self->streams, stream);
  g_hash_table_remove (self->ids[stream->rtcp_pad ? 1 : 0], GUINT_TO_POINTER (stream->id));
  g_mutex_unlock (&self->streams_lock);

  /* Deactivating waits for the streaming thread to leave chain. */
  gst_pad_set_active (stream->sinkpad, FALSE);
  gst_pad_set_active (stream->srcpad, FALSE);
  gst_element_remove_pad (element, stream->srcpad);
  gst_element_remove_pad (element, stream->sinkpad);
  enc_stream_free (stream);
}

static GstIterator *
gst_srtp_sdes_enc_iterate_internal_links (GstPad *pad, GstObject *parent)
{
  EncStream *stream = gst_pad_get_element_private (pad);
  GValue v = G_VALUE_INIT;
  GstIterator *it;

  if (stream == NULL)
    return NULL;
  g_value_init (&v, GST_TYPE_PAD);
  g_value_set_object (&v, pad == stream->sinkpad ? stream->srcpad : stream->sinkpad);
  it = gst_iterator_new_single (GST_TYPE_PAD, &v);
  g_value_unset (&v);
  return it;
}

static gboolean
gst_srtp_sdes_enc_sink_event (GstPad *pad, GstObject *parent, GstEvent *event)
{
  EncStream *stream = gst_pad_get_element_private (pad);

  if (GST_EVENT_TYPE (event) == GST_EVENT_CAPS) {
    GstCaps *caps, *out;
    gboolean ret;

    gst_event_parse_caps (event, &caps);
    out = gst_srtp_sdes_transform_caps (caps, TRUE);
    gst_event_unref (event);
    ret = gst_pad_push_event (stream->srcpad, gst_event_new_caps (out));
    gst_caps_unref (out);
    return ret;
  }
  return gst_pad_event_default (pad, parent, event);
}

static gboolean
gst_srtp_sdes_enc_query (GstPad *pad, GstObject *parent, GstQuery *query)
{
  EncStream *stream = gst_pad_get_element_private (pad);

  if (GST_QUERY_TYPE (query) == GST_QUERY_CAPS) {
    if (pad == stream->sinkpad)
      return gst_srtp_sdes_query_caps (pad, stream->srcpad, query, FALSE);
    return gst_srtp_sdes_query_caps (pad, stream->sinkpad, query, TRUE);
  }
  return gst_pad_query_default (pad, parent, query);
}

/* ------------------------------------------------------------------------- */
/* Streaming                                                                  */
/* ------------------------------------------------------------------------- */

/* Makes the stream's libsrtp2 session match the element's current key.
 * Must be called with the stream lock. The common case is one atomic
 * read; only a new key (or the first packet) takes the object lock.
 * Returns the MKI index to use, or -1 when there is no usable key. */
static gint
enc_stream_prepare (GstSrtpSdesEnc *self, EncStream *stream, GError **error)
{
  GstSrtpSdesEncPad *pad = (GstSrtpSdesEncPad *) stream->sinkpad;
  GstSrtpSdesKey *key = NULL, *pad_key;
  guint key_gen, pad_key_gen, window, mki_index;
  srtp_t session;

  stream->pin_gen = (guint) g_atomic_int_get (&self->pin_gen);
  if (G_LIKELY (stream->session != NULL &&
          stream->key_gen == (guint) g_atomic_int_get (&self->key_gen) &&
          stream->pad_key_gen == (guint) g_atomic_int_get (&pad->key_gen))) {
    mki_index = (guint) g_atomic_int_get (&self->mki_index);
    return MIN (mki_index, stream->key->n_keys - 1);
  }

  /* The pad's own key wins; without one the element's key is used. */
  GST_OBJECT_LOCK (pad);
  pad_key_gen = (guint) pad->key_gen;
  pad_key = pad->key ? gst_srtp_sdes_key_ref (pad->key) : NULL;
  GST_OBJECT_UNLOCK (pad);

  GST_OBJECT_LOCK (self);
  if (pad_key == NULL && !ensure_key_locked (self, error)) {
    GST_OBJECT_UNLOCK (self);
    return -1;
  }
  key_gen = (guint) self->key_gen;
  window = self->replay_window_size;
  mki_index = (guint) self->mki_index;
  if (pad_key != NULL) {
    if (stream->session == NULL || stream->key != pad_key)
      key = gst_srtp_sdes_key_ref (pad_key);
  } else if (stream->session == NULL || stream->key != self->key) {
    key = gst_srtp_sdes_key_ref (self->key);
  }
  GST_OBJECT_UNLOCK (self);
  gst_srtp_sdes_key_unref (pad_key);

  if (key != NULL) {
    session = gst_srtp_sdes_key_create_session (key, ssrc_any_outbound, 0, window, error);
    if (session == NULL) {
      gst_srtp_sdes_key_unref (key);
      return -1;
    }
    if (stream->session)
      srtp_dealloc (stream->session);
    gst_srtp_sdes_key_unref (stream->key);
    stream->session = session;
    stream->key = key;
    stream->window = window;
    /* Streams of known SSRCs are re-added lazily with their ROC. */
    stream->session_gen++;
    GST_DEBUG_OBJECT (self, "stream %u now uses %s", stream->id, key->redacted);
  }
  stream->key_gen = key_gen;
  stream->pad_key_gen = pad_key_gen;
  return MIN (mki_index, stream->key->n_keys - 1);
}

/* The per-SSRC state of a packet; the previous packet's in the common case.
 * Stream lock. */
static GstSrtpSdesSsrc *
enc_stream_ssrc (EncStream *stream, guint32 ssrc, gboolean rtcp)
{
  GstSrtpSdesSsrc **last = rtcp ? &stream->last_rtcp : &stream->last_rtp;
  GHashTable *table = rtcp ? stream->rtcp_ssrcs : stream->rtp_ssrcs;
  GstSrtpSdesSsrc *state = *last;

  if (G_LIKELY (state != NULL && state->ssrc == ssrc))
    return state;
  state = g_hash_table_lookup (table, GUINT_TO_POINTER (ssrc));
  if (state == NULL) {
    state = gst_srtp_sdes_ssrc_new (ssrc, rtcp);
    state->session_gen = stream->session_gen;
    g_hash_table_insert (table, GUINT_TO_POINTER (ssrc), state);
  }
  *last = state;
  return state;
}

/* Issue 9: looks up the key given for this SSRC alone (one hash lookup,
 * only when the per-SSRC keys changed since the SSRC last looked) and
 * makes its session, carrying the SSRC's ROC into it (PEERS §2.1). Stream
 * lock; takes the object lock briefly. */
static void
enc_resolve_pin (GstSrtpSdesEnc *self, EncStream *stream, GstSrtpSdesSsrc *state,
                 guint16 seq)
{
  GHashTable *pins = stream->ssrc_sessions[state->rtcp ? 1 : 0];
  EncPin *pin = g_hash_table_lookup (pins, GUINT_TO_POINTER (state->ssrc));
  g_autoptr (GError) error = NULL;
  GstSrtpSdesKey *key;
  srtp_t session;

  state->pin_gen = stream->pin_gen;
  GST_OBJECT_LOCK (self);
  key = g_hash_table_lookup (self->ssrc_keys, GUINT_TO_POINTER (state->ssrc));
  if (key != NULL)
    gst_srtp_sdes_key_ref (key);
  GST_OBJECT_UNLOCK (self);

  if (pin != NULL && pin->key == key) {
    state->pinned = pin;
    gst_srtp_sdes_key_unref (key);
    return;
  }
  if (pin != NULL) {
    state->pinned = NULL;
    g_hash_table_remove (pins, GUINT_TO_POINTER (state->ssrc));
  }
  if (key == NULL)
    return;
  /* The SSRC's own stream, not a template to clone. */
  session = gst_srtp_sdes_key_create_session (key, ssrc_specific, state->ssrc, stream->window,
      &error);
  if (session == NULL) {
    GST_WARNING_OBJECT (self, "SSRC %08x: %s", state->ssrc, error->message);
    gst_srtp_sdes_key_unref (key);
    return;
  }
  if (!state->rtcp) {
    guint32 roc = gst_srtp_sdes_guess_roc (state, seq);

    if (roc != 0)
      srtp_set_stream_roc (session, state->ssrc, roc);
  }
  pin = g_new0 (EncPin, 1);
  pin->key = key;
  pin->session = session;
  g_hash_table_insert (pins, GUINT_TO_POINTER (state->ssrc), pin);
  state->pinned = pin;
  GST_DEBUG_OBJECT (self, "SSRC %08x: own key %s", state->ssrc, key->redacted);
}

/* Protects one packet in place. Must be called with the stream lock.
 * Takes ownership of @buf; returns the packet to push or NULL (dropped).
 * Messages to post after unlocking are appended to @messages.
 *
 * Issue 9: the hot path maps the packet once, works on the bytes in the
 * buffer's own memory (room for the trailer taken from the block, or a
 * pool buffer), and does nothing per packet beyond counter increments. */
static GstBuffer *
enc_protect (GstSrtpSdesEnc *self, EncStream *stream, guint mki_index,
             GstBuffer *buf, GSList **messages)
{
  GstSrtpSdesKey *key = stream->key;
  srtp_t session = stream->session;
  EncPin *pin = NULL;
  gsize size = gst_buffer_get_size (buf);
  gboolean rtcp;
  guint32 ssrc;
  guint16 seq = 0;
  GstSrtpSdesSsrc *state;
  GstSrtpSdesLimit limit;
  guint64 used, hard;
  GstMemory *mem;
  GstMapInfo map;
  gint len;
  guint trailer;
  srtp_err_status_t err;

  if (G_UNLIKELY (size < 8 || size > G_MAXINT - 256))
    goto invalid;
  if (G_UNLIKELY (stream->pin_gen != 0)) {
    /* Some SSRC has a key of its own: find this packet's before making
     * room for its trailer. */
    guint8 hdr[12];
    gsize n = gst_buffer_extract (buf, 0, hdr, sizeof (hdr));
    gboolean is_rtcp = stream->rtcp_pad || gst_srtp_sdes_packet_is_rtcp (hdr, n);

    if (n < 8 || (hdr[0] & 0xc0) != 0x80 || (!is_rtcp && n < 12))
      goto invalid;
    state = enc_stream_ssrc (stream, GST_READ_UINT32_BE (hdr + (is_rtcp ? 4 : 8)), is_rtcp);
    if (state->pin_gen != stream->pin_gen) {
      gboolean was_pinned = state->pinned != NULL;

      enc_resolve_pin (self, stream, state, is_rtcp ? 0 : GST_READ_UINT16_BE (hdr + 2));
      /* Back on the pad's session: re-add the SSRC there with its ROC. */
      if (was_pinned && state->pinned == NULL)
        state->session_gen = stream->session_gen - 1;
    }
    pin = state->pinned;
    if (pin != NULL) {
      key = pin->key;
      session = pin->session;
      mki_index = MIN ((guint) g_atomic_int_get (&self->mki_index), key->n_keys - 1);
    }
  }
  /* Room for the trailer of what the pad carries; an RTCP packet muxed on
   * an RTP pad (RFC 5761) may need more (E flag + SRTCP index). */
  trailer = gst_srtp_sdes_key_trailer_len (key, stream->rtcp_pad);
  buf = gst_srtp_sdes_buffer_make_room (buf, trailer, stream->pool);
  mem = gst_buffer_peek_memory (buf, 0);
  if (G_UNLIKELY (!gst_memory_map (mem, &map, GST_MAP_READWRITE)))
    goto invalid;
  if (G_UNLIKELY ((map.data[0] & 0xc0) != 0x80))
    goto invalid_mapped;
  rtcp = stream->rtcp_pad || gst_srtp_sdes_packet_is_rtcp (map.data, size);
  if (G_UNLIKELY (rtcp && !stream->rtcp_pad &&
          gst_srtp_sdes_key_trailer_len (key, TRUE) > trailer)) {
    gst_memory_unmap (mem, &map);
    gst_srtp_sdes_buffer_set_packet_size (buf, size);
    buf = gst_srtp_sdes_buffer_make_room (buf, gst_srtp_sdes_key_trailer_len (key, TRUE),
        stream->pool);
    mem = gst_buffer_peek_memory (buf, 0);
    if (!gst_memory_map (mem, &map, GST_MAP_READWRITE))
      goto invalid;
  }
  if (G_UNLIKELY (!rtcp && size < 12))
    goto invalid_mapped;
  ssrc = GST_READ_UINT32_BE (map.data + (rtcp ? 4 : 8));
  if (!rtcp)
    seq = GST_READ_UINT16_BE (map.data + 2);

  state = enc_stream_ssrc (stream, ssrc, rtcp);
  if (G_UNLIKELY (state->key != key)) {
    gst_srtp_sdes_key_unref (state->key);
    state->key = gst_srtp_sdes_key_ref (key);
  }

  /* RFC 3711 §9.2: count against the master key's lifetime first. */
  limit = gst_srtp_sdes_key_count (key, mki_index, rtcp, &used, &hard);
  if (G_UNLIKELY (limit != GST_SRTP_SDES_LIMIT_OK)) {
    if (limit != GST_SRTP_SDES_LIMIT_EXHAUSTED)
      *messages = g_slist_append (*messages,
          gst_srtp_sdes_key_limit_message (key, limit, mki_index, rtcp, used, hard));
    if (limit == GST_SRTP_SDES_LIMIT_HARD || limit == GST_SRTP_SDES_LIMIT_EXHAUSTED) {
      state->limit_drops++;
      GST_LOG_OBJECT (self, "SSRC %08x: key lifetime reached, dropping", ssrc);
      gst_memory_unmap (mem, &map);
      gst_buffer_unref (buf);
      return NULL;
    }
  }

  /* PEERS §2.1 / RFC 4568 §7.1.4: after a rekey the SSRC keeps its ROC.
   * The new session learns it before this SSRC's first packet. */
  if (G_UNLIKELY (pin == NULL && state->session_gen != stream->session_gen)) {
    if (!rtcp) {
      guint32 roc = gst_srtp_sdes_guess_roc (state, seq);

      if (roc != 0 && gst_srtp_sdes_key_add_stream (key, stream->session, ssrc,
              stream->window))
        srtp_set_stream_roc (stream->session, ssrc, roc);
    }
    state->session_gen = stream->session_gen;
  }

  len = (gint) size;
  if (rtcp)
    err = srtp_protect_rtcp_mki (session, map.data, &len,
        key->mki_size > 0, mki_index);
  else
    err = srtp_protect_mki (session, map.data, &len,
        key->mki_size > 0, mki_index);
  gst_memory_unmap (mem, &map);

  if (G_UNLIKELY (err != srtp_err_status_ok)) {
    if (err == srtp_err_status_replay_fail || err == srtp_err_status_replay_old)
      state->replay_drops++;
    else
      state->invalid_drops++;
    GST_LOG_OBJECT (self, "SSRC %08x: protect failed: %s", ssrc,
        gst_srtp_sdes_err_to_string (err));
    gst_buffer_unref (buf);
    return NULL;
  }
  gst_srtp_sdes_buffer_set_packet_size (buf, (gsize) len);

  state->packets++;
  state->bytes += size;
  if (!rtcp)
    gst_srtp_sdes_ssrc_track_seq (state, seq);
  return buf;

invalid_mapped:
  gst_memory_unmap (mem, &map);
invalid:
  stream->invalid_drops++;
  GST_LOG_OBJECT (self, "dropping a %" G_GSIZE_FORMAT "-byte packet that is not RTP/RTCP",
      size);
  gst_buffer_unref (buf);
  return NULL;
}

static void
post_key_error (GstSrtpSdesEnc *self, const GError *error)
{
  GST_ELEMENT_ERROR (self, LIBRARY, SETTINGS, ("No usable SRTP key"),
      ("%s", error ? error->message : "unknown"));
}

static GstFlowReturn
gst_srtp_sdes_enc_chain (GstPad *pad, GstObject *parent, GstBuffer *buf)
{
  /* No GObject cast check per packet: the pad's parent is this element. */
  GstSrtpSdesEnc *self = (GstSrtpSdesEnc *) parent;
  EncStream *stream = gst_pad_get_element_private (pad);
  g_autoptr (GError) error = NULL;
  GSList *messages = NULL;
  gint mki_index;

  g_mutex_lock (&stream->lock);
  mki_index = enc_stream_prepare (self, stream, &error);
  if (G_LIKELY (mki_index >= 0))
    buf = enc_protect (self, stream, (guint) mki_index, buf, &messages);
  g_mutex_unlock (&stream->lock);

  if (G_UNLIKELY (mki_index < 0)) {
    gst_buffer_unref (buf);
    post_key_error (self, error);
    return GST_FLOW_ERROR;
  }
  if (G_UNLIKELY (messages != NULL))
    gst_srtp_sdes_post_messages (GST_ELEMENT (self), messages);
  if (buf == NULL)
    return GST_FLOW_OK;
  return gst_pad_push (stream->srcpad, buf);
}

typedef struct {
  GstSrtpSdesEnc *self;
  EncStream *stream;
  guint mki_index;
  GSList *messages;
} EncListData;

static gboolean
enc_list_protect (GstBuffer **buf, guint idx, gpointer user_data)
{
  EncListData *data = user_data;

  *buf = enc_protect (data->self, data->stream, data->mki_index, *buf, &data->messages);
  return TRUE;
}

static GstFlowReturn
gst_srtp_sdes_enc_chain_list (GstPad *pad, GstObject *parent, GstBufferList *list)
{
  GstSrtpSdesEnc *self = (GstSrtpSdesEnc *) parent;
  EncStream *stream = gst_pad_get_element_private (pad);
  g_autoptr (GError) error = NULL;
  EncListData data = { self, stream, 0, NULL };
  gint mki_index;

  list = gst_buffer_list_make_writable (list);
  /* One lock take and one key check for the whole list. */
  g_mutex_lock (&stream->lock);
  mki_index = enc_stream_prepare (self, stream, &error);
  if (G_LIKELY (mki_index >= 0)) {
    data.mki_index = (guint) mki_index;
    gst_buffer_list_foreach (list, enc_list_protect, &data);
  }
  g_mutex_unlock (&stream->lock);

  if (G_UNLIKELY (mki_index < 0)) {
    gst_buffer_list_unref (list);
    post_key_error (self, error);
    return GST_FLOW_ERROR;
  }
  if (G_UNLIKELY (data.messages != NULL))
    gst_srtp_sdes_post_messages (GST_ELEMENT (self), data.messages);
  if (gst_buffer_list_length (list) == 0) {
    gst_buffer_list_unref (list);
    return GST_FLOW_OK;
  }
  return gst_pad_push_list (stream->srcpad, list);
}

static GstStateChangeReturn
gst_srtp_sdes_enc_change_state (GstElement *element, GstStateChange transition)
{
  GstSrtpSdesEnc *self = GST_SRTP_SDES_ENC (element);
  GstStateChangeReturn ret;

  if (transition == GST_STATE_CHANGE_NULL_TO_READY) {
    g_autoptr (GError) error = NULL;
    gboolean ok;

    GST_OBJECT_LOCK (self);
    ok = ensure_key_locked (self, &error);
    GST_OBJECT_UNLOCK (self);
    if (!ok) {
      post_key_error (self, error);
      return GST_STATE_CHANGE_FAILURE;
    }
  }

  ret = GST_ELEMENT_CLASS (gst_srtp_sdes_enc_parent_class)->change_state (element, transition);

  /* Sessions and ROCs survive PAUSED->READY->PAUSED on purpose: a fresh
   * libsrtp2 session with the same key would reuse keystream (RFC 3711
   * §9.1) if the SSRC and sequence numbers restarted. */
  return ret;
}
