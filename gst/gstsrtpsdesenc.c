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

#include "gstsrtpsdesencpad.h"
#include "gstsrtpsdesstream.h"

GST_DEBUG_CATEGORY_STATIC (gst_srtp_sdes_enc_debug);
#define GST_CAT_DEFAULT gst_srtp_sdes_enc_debug

#define ENC_STATS_NAME "application/x-srtpsdes-enc-stats"

#define DEFAULT_SUITE SDES_CRYPTO_SUITE_AES_CM_128_HMAC_SHA1_80
#define DEFAULT_MKI_INDEX 0
#define DEFAULT_REKEY_ROC GST_SRTP_SDES_REKEY_ROC_CONTINUE

/* What the ROC of an SSRC does when its key changes (RFC 3711 §3.3.1
 * leaves it open). */
typedef enum {
  GST_SRTP_SDES_REKEY_ROC_CONTINUE,
  GST_SRTP_SDES_REKEY_ROC_RESET,
} GstSrtpSdesRekeyRoc;

#define GST_TYPE_SRTP_SDES_REKEY_ROC (gst_srtp_sdes_rekey_roc_get_type ())
static GType gst_srtp_sdes_rekey_roc_get_type (void);
G_DEFINE_ENUM_TYPE (GstSrtpSdesRekeyRoc, gst_srtp_sdes_rekey_roc,
    G_DEFINE_ENUM_VALUE (GST_SRTP_SDES_REKEY_ROC_CONTINUE, "continue"),
    G_DEFINE_ENUM_VALUE (GST_SRTP_SDES_REKEY_ROC_RESET, "reset"))

/* After crypto, replay-window-size, last-error and stats (the keyring's). */
enum {
  PROP_SUITE = GST_SRTP_SDES_PROP_N,
  PROP_MKI_INDEX,
  PROP_REKEY_ROC,
  PROP_SRTCP_TAG_32,
};

/* One request pad pair: the stream core and the pad's own session. The
 * core's lock guards everything here. */
typedef struct {
  GstSrtpSdesStream core;
  guint id;
  srtp_t session;
  GstSrtpSdesKey *key;
  guint key_gen;
  guint pad_key_gen;
  /* What enc_prepare found for the packet or list at hand. */
  guint mki_index;
} EncStream;

struct _GstSrtpSdesEnc {
  GstElement parent;

  /* GST_OBJECT_LOCK; key_gen and mki_index are also read without it
   * (atomically) by the streaming threads, so that pad pairs never meet on
   * the object lock per packet. */
  GstSrtpSdesKey *key;
  gint key_gen;
  SdesCryptoSuite suite;
  gint mki_index;
  gint rekey_roc; /* GstSrtpSdesRekeyRoc, also read atomically */
  gint srtcp_tag32; /* also read atomically */
  /* last-error, replay-window-size and the keys given per SSRC
   * (add-crypto-for-ssrc) */
  GstSrtpSdesKeyring ring;

  /* streams_lock: the list of pad pairs (taken before any stream lock) */
  GMutex streams_lock;
  GList *streams;
  /* Pad pairs by id (RTP and RTCP): thousands of request pads must not
   * cost a walk each. */
  GHashTable *ids[2];
};

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
static gboolean enc_prepare (GstSrtpSdesStream *core, GError **error);
static GstBuffer *enc_protect (GstSrtpSdesStream *core, GstBuffer *buf, GSList **messages);
static void enc_forget_ssrc (GstSrtpSdesStream *core, guint32 ssrc);

static void enc_set_crypto (GstElement *element, GstSrtpSdesKey *key);
static gchar *enc_dup_crypto (GstElement *element);
static guint64 enc_append_stats (GstElement *element, GValue *streams);

/* Long only for its gtk-doc blocks (the documentation of every property
 * and signal); the code itself is about 50 lines. */
static void
gst_srtp_sdes_enc_class_init (GstSrtpSdesEncClass *klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);

  gst_srtp_sdes_init_once ();
  gobject_class->set_property = gst_srtp_sdes_enc_set_property;
  gobject_class->get_property = gst_srtp_sdes_enc_get_property;
  gobject_class->finalize = gst_srtp_sdes_enc_finalize;

  /* Request sink pads carry a key of their own (GstSrtpSdesEncPad). */
  gst_srtp_sdes_stream_add_pad_templates (element_class, TRUE, GST_TYPE_SRTP_SDES_ENC_PAD);
  gst_type_mark_as_plugin_api (GST_TYPE_SRTP_SDES_ENC_PAD, 0);
  gst_type_mark_as_plugin_api (GST_TYPE_SRTP_SDES_SUITE, 0);
  gst_type_mark_as_plugin_api (GST_TYPE_SRTP_SDES_REKEY_ROC, 0);

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
   * posted. A value refused before the element starts (set in NULL or
   * READY state) also makes the next start fail with an error message
   * carrying that GError, until a usable value (or none) is set: the
   * element never sends with a key other than the one it was given.
   *
   * Since: 0.1
   */
  /**
   * GstSrtpSdesEnc:replay-window-size:
   *
   * Replay window of the sender's libsrtp2 streams when the a=crypto value
   * has no WSH (Cisco Table 47: 64).
   *
   * Since: 0.1
   */
  /**
   * GstSrtpSdesEnc:stats:
   *
   * application/x-srtpsdes-enc-stats with a "streams" array of
   * application/x-srtpsdes-stream structures: ssrc, rtcp, packets, bytes,
   * auth-failures, replay-drops, unknown-key-drops, limit-drops,
   * invalid-drops, roc-guesses, roc-guess-hits, srtcp-tag32 (SRTCP packets
   * sent with a 32-bit tag, #GstSrtpSdesEnc:srtcp-tag-32), roc, suite,
   * tag. Never key bytes.
   *
   * Since: 0.1
   */
  gst_srtp_sdes_keyring_install_properties (gobject_class, ENC_STATS_NAME,
      "Reading returns the value to put in SDP (from READY on, a fresh key is generated "
      "for 'suite' if none was set).", "");

  /**
   * GstSrtpSdesEnc:suite:
   *
   * Suite used when the element generates its own key. Lists only the
   * suites this libsrtp2 build implements (#GstSrtpSdesSuite: no F8, no
   * AES_192).
   *
   * Since: 0.1
   */
  g_object_class_install_property (gobject_class, PROP_SUITE,
      g_param_spec_enum ("suite", "Suite",
          "Crypto suite of the key generated when 'crypto' is not set (only the "
          "suites this libsrtp2 implements)",
          GST_TYPE_SRTP_SDES_SUITE, DEFAULT_SUITE,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_READY));

  /**
   * GstSrtpSdesEnc:rekey-roc:
   *
   * The ROC of an SSRC when its key changes to another master key
   * (#GstSrtpSdesEnc:crypto, the pad's, or #GstSrtpSdesEnc::add-crypto-for-ssrc):
   * "continue" (the default, RFC 4568 §7.1.4) keeps counting, "reset"
   * starts the new key at ROC 0 as stock srtpenc does, for receivers such
   * as stock srtpdec that expect it (RFC 3711 §3.3.1 leaves it open; pjsip
   * PR #2846 and rtpengine PR #107 describe both in the field). The same
   * key set again never resets: that would reuse keystream (RFC 3711 §9.1).
   *
   * Since: 0.1
   */
  g_object_class_install_property (gobject_class, PROP_REKEY_ROC,
      g_param_spec_enum ("rekey-roc", "Rekey ROC",
          "ROC of an SSRC when its master key changes: continue (RFC 4568 §7.1.4) or reset "
          "to 0 (stock srtpenc/srtpdec); never reset under the same key",
          GST_TYPE_SRTP_SDES_REKEY_ROC, DEFAULT_REKEY_ROC,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_PLAYING));

  /**
   * GstSrtpSdesEnc:srtcp-tag-32:
   *
   * Under a _32 suite (AES_CM_128_HMAC_SHA1_32, AES_256_CM_HMAC_SHA1_32),
   * protect SRTCP with a 32-bit tag instead of the 80-bit one of RFC 3711
   * §4.2 and RFC 4568 §6.2, for peers that expect it (liblinphone 5.1,
   * docs/interop.md). No effect on other suites or on SRTP. The
   * default, %FALSE, follows the RFCs; srtpsdesdec accepts either form.
   * It applies to the libsrtp2 sessions made after it is set: set it
   * before the element starts, or together with a new key.
   *
   * Since: 0.1
   */
  g_object_class_install_property (gobject_class, PROP_SRTCP_TAG_32,
      g_param_spec_boolean ("srtcp-tag-32", "SRTCP 32-bit tag",
          "Under a _32 suite, send SRTCP with a 32-bit tag instead of RFC 3711's 80 bits "
          "(for peers such as liblinphone 5.1 that expect it)",
          FALSE, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_READY));

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
   * §7.1.4). A refused value keeps the old key and sets
   * #GstSrtpSdesEnc:last-error.
   *
   * Returns: %TRUE when the key was accepted.
   *
   * Since: 0.1
   */

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
  gst_srtp_sdes_keyring_install_signals (gobject_class,
      G_CALLBACK (gst_srtp_sdes_enc_add_crypto_for_ssrc),
      G_CALLBACK (gst_srtp_sdes_enc_remove_ssrc));

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
      "sdes-crypto-error-quark): a 'crypto' value was refused; GST_MESSAGE_ERROR: "
      "the 'crypto' value set before starting was refused, the element does not start");

  element_class->request_new_pad = GST_DEBUG_FUNCPTR (gst_srtp_sdes_enc_request_new_pad);
  element_class->release_pad = GST_DEBUG_FUNCPTR (gst_srtp_sdes_enc_release_pad);
  element_class->change_state = GST_DEBUG_FUNCPTR (gst_srtp_sdes_enc_change_state);
}

static const GstSrtpSdesKeyringFuncs enc_keyring_funcs = {
  .stats_name = ENC_STATS_NAME,
  .set_crypto = enc_set_crypto,
  .dup_crypto = enc_dup_crypto,
  .append_stats = enc_append_stats,
};

static void
gst_srtp_sdes_enc_init (GstSrtpSdesEnc *self)
{
  self->suite = DEFAULT_SUITE;
  self->mki_index = DEFAULT_MKI_INDEX;
  self->rekey_roc = DEFAULT_REKEY_ROC;
  g_mutex_init (&self->streams_lock);
  self->ids[0] = g_hash_table_new (NULL, NULL);
  self->ids[1] = g_hash_table_new (NULL, NULL);
  gst_srtp_sdes_keyring_init (&self->ring, &enc_keyring_funcs, GST_ELEMENT (self));
}

static void
enc_stream_free (EncStream *stream)
{
  if (stream->session)
    srtp_dealloc (stream->session);
  gst_srtp_sdes_key_unref (stream->key);
  gst_srtp_sdes_stream_clear (&stream->core);
  g_free (stream);
}

static void
gst_srtp_sdes_enc_finalize (GObject *object)
{
  GstSrtpSdesEnc *self = GST_SRTP_SDES_ENC (object);

  g_list_free_full (self->streams, (GDestroyNotify) enc_stream_free);
  g_hash_table_unref (self->ids[0]);
  g_hash_table_unref (self->ids[1]);
  gst_srtp_sdes_keyring_clear (&self->ring);
  gst_srtp_sdes_key_unref (self->key);
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
  /* RFC 4568 §6.1: tags start at 1 (never emit 0). */
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

static void
enc_set_crypto (GstElement *element, GstSrtpSdesKey *key)
{
  GstSrtpSdesEnc *self = GST_SRTP_SDES_ENC (element);
  GstSrtpSdesKey *old;

  GST_OBJECT_LOCK (self);
  old = self->key;
  self->key = key;
  g_atomic_int_inc (&self->key_gen);
  g_clear_pointer (&self->ring.last_error, g_free);
  GST_OBJECT_UNLOCK (self);
  gst_srtp_sdes_key_unref (old);
}

/* For the request pads (gstsrtpsdesencpad.c): the element's keyring, where
 * a refused pad value is recorded. */
GstSrtpSdesKeyring *
gst_srtp_sdes_enc_get_keyring (GstSrtpSdesEnc *self)
{
  return &self->ring;
}

static gboolean
gst_srtp_sdes_enc_add_crypto_for_ssrc (GstSrtpSdesEnc *self, guint ssrc, const gchar *text)
{
  return gst_srtp_sdes_keyring_add_for_ssrc (&self->ring, ssrc, text);
}

/* The stream libsrtp2 cloned from the pad's template on the SSRC's first
 * packet (keyed in network order); srtp_err_status_no_ctx when there is
 * none. Stream lock. */
static void
enc_forget_ssrc (GstSrtpSdesStream *core, guint32 ssrc)
{
  EncStream *stream = (EncStream *) core;

  if (stream->session != NULL)
    srtp_remove_stream (stream->session, g_htonl (ssrc));
}

static gboolean
gst_srtp_sdes_enc_remove_ssrc (GstSrtpSdesEnc *self, guint ssrc)
{
  gboolean known = gst_srtp_sdes_keyring_remove_ssrc (&self->ring, ssrc);

  g_mutex_lock (&self->streams_lock);
  for (GList *l = self->streams; l; l = l->next)
    known |= gst_srtp_sdes_stream_forget_ssrc (l->data, ssrc);
  g_mutex_unlock (&self->streams_lock);
  GST_DEBUG_OBJECT (self, "SSRC %08x removed (%s)", ssrc, known ? "known" : "unknown");
  return known;
}

static guint64
enc_append_stats (GstElement *element, GValue *streams)
{
  GstSrtpSdesEnc *self = GST_SRTP_SDES_ENC (element);
  guint64 invalid = 0;

  g_mutex_lock (&self->streams_lock);
  /* Oldest pad first (the list is built by prepending). */
  for (GList *l = g_list_last (self->streams); l; l = l->prev)
    invalid += gst_srtp_sdes_stream_append_stats (l->data, streams);
  g_mutex_unlock (&self->streams_lock);
  return invalid;
}

/* In NULL state a read only reports a key that was set (so that
 * gst-inspect never prints a generated one); from READY on a key exists,
 * generated when none was given. */
static gchar *
enc_dup_crypto (GstElement *element)
{
  GstSrtpSdesEnc *self = GST_SRTP_SDES_ENC (element);
  g_autoptr (GError) error = NULL;
  gchar *text = NULL;

  GST_OBJECT_LOCK (self);
  if ((GST_STATE (self) != GST_STATE_NULL || self->key != NULL) &&
      ensure_key_locked (self, &error))
    /* The one place a key leaves the element: an explicit read. */
    text = gst_srtp_sdes_key_format (self->key);
  GST_OBJECT_UNLOCK (self);
  if (error)
    GST_WARNING_OBJECT (self, "cannot generate a key: %s", error->message);
  return text;
}

static void
gst_srtp_sdes_enc_set_property (GObject *object, guint prop_id,
                                const GValue *value, GParamSpec *pspec)
{
  GstSrtpSdesEnc *self = GST_SRTP_SDES_ENC (object);

  switch (prop_id) {
    case PROP_SUITE:
      GST_OBJECT_LOCK (self);
      self->suite = g_value_get_enum (value);
      GST_OBJECT_UNLOCK (self);
      break;
    case PROP_MKI_INDEX:
      GST_OBJECT_LOCK (self);
      g_atomic_int_set (&self->mki_index, (gint) g_value_get_uint (value));
      GST_OBJECT_UNLOCK (self);
      break;
    case PROP_REKEY_ROC:
      g_atomic_int_set (&self->rekey_roc, g_value_get_enum (value));
      break;
    case PROP_SRTCP_TAG_32:
      g_atomic_int_set (&self->srtcp_tag32, g_value_get_boolean (value));
      break;
    default:
      gst_srtp_sdes_keyring_set_property (&self->ring, prop_id, value, pspec);
      break;
  }
}

static void
gst_srtp_sdes_enc_get_property (GObject *object, guint prop_id,
                                GValue *value, GParamSpec *pspec)
{
  GstSrtpSdesEnc *self = GST_SRTP_SDES_ENC (object);

  switch (prop_id) {
    case PROP_SUITE:
      GST_OBJECT_LOCK (self);
      g_value_set_enum (value, self->suite);
      GST_OBJECT_UNLOCK (self);
      break;
    case PROP_MKI_INDEX:
      GST_OBJECT_LOCK (self);
      g_value_set_uint (value, (guint) self->mki_index);
      GST_OBJECT_UNLOCK (self);
      break;
    case PROP_REKEY_ROC:
      g_value_set_enum (value, g_atomic_int_get (&self->rekey_roc));
      break;
    case PROP_SRTCP_TAG_32:
      g_value_set_boolean (value, g_atomic_int_get (&self->srtcp_tag32));
      break;
    default:
      gst_srtp_sdes_keyring_get_property (&self->ring, prop_id, value, pspec);
      break;
  }
}

/* ------------------------------------------------------------------------- */
/* Pads                                                                       */
/* ------------------------------------------------------------------------- */

static EncStream *
find_stream_locked (GstSrtpSdesEnc *self, guint id, gboolean rtcp)
{
  return g_hash_table_lookup (self->ids[rtcp ? 1 : 0], GUINT_TO_POINTER (id));
}

static const GstSrtpSdesStreamFuncs enc_stream_funcs = {
  .to_secure = TRUE,
  .prepare = enc_prepare,
  .process = enc_protect,
  .forget_ssrc = enc_forget_ssrc,
};

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

  sink_name = g_strdup_printf (rtcp ? "rtcp_sink_%u" : "rtp_sink_%u", id);
  src_name = g_strdup_printf (rtcp ? "rtcp_src_%u" : "rtp_src_%u", id);
  stream = g_new0 (EncStream, 1);
  stream->id = id;
  gst_srtp_sdes_stream_init (&stream->core, &enc_stream_funcs, element, &self->ring, rtcp,
      gst_pad_new_from_template (templ, sink_name),
      gst_pad_new_from_template (gst_element_class_get_pad_template (klass,
              rtcp ? "rtcp_src_%u" : "rtp_src_%u"), src_name));
  GST_PAD_SET_PROXY_ALLOCATION (stream->core.sinkpad);

  self->streams = g_list_prepend (self->streams, stream);
  g_hash_table_insert (self->ids[rtcp ? 1 : 0], GUINT_TO_POINTER (id), stream);
  g_mutex_unlock (&self->streams_lock);

  gst_pad_set_active (stream->core.srcpad, TRUE);
  gst_element_add_pad (element, stream->core.srcpad);
  gst_pad_set_active (stream->core.sinkpad, TRUE);
  gst_element_add_pad (element, stream->core.sinkpad);
  return stream->core.sinkpad;
}

static void
gst_srtp_sdes_enc_release_pad (GstElement *element, GstPad *pad)
{
  GstSrtpSdesEnc *self = GST_SRTP_SDES_ENC (element);
  EncStream *stream = gst_pad_get_element_private (pad);

  if (stream == NULL || stream->core.sinkpad != pad)
    return;
  g_mutex_lock (&self->streams_lock);
  self->streams = g_list_remove (self->streams, stream);
  g_hash_table_remove (self->ids[stream->core.rtcp_pad ? 1 : 0],
      GUINT_TO_POINTER (stream->id));
  g_mutex_unlock (&self->streams_lock);

  /* Deactivating waits for the streaming thread to leave chain. */
  gst_pad_set_active (stream->core.sinkpad, FALSE);
  gst_pad_set_active (stream->core.srcpad, FALSE);
  gst_element_remove_pad (element, stream->core.srcpad);
  gst_element_remove_pad (element, stream->core.sinkpad);
  enc_stream_free (stream);
}

/* ------------------------------------------------------------------------- */
/* Streaming                                                                  */
/* ------------------------------------------------------------------------- */

/* Makes the stream's libsrtp2 session match the element's current key and
 * notes the MKI index to use (stream->mki_index). Must be called with the
 * stream lock. The common case is one atomic read; only a new key (or the
 * first packet) takes the object lock. FALSE: there is no usable key. */
static gboolean
enc_prepare (GstSrtpSdesStream *core, GError **error)
{
  EncStream *stream = (EncStream *) core;
  GstSrtpSdesEnc *self = (GstSrtpSdesEnc *) core->element;
  GstSrtpSdesEncPad *pad = (GstSrtpSdesEncPad *) core->sinkpad;
  GstSrtpSdesKey *key = NULL, *pad_key;
  guint key_gen, pad_key_gen, window, mki_index;
  srtp_t session;

  core->pin_gen = (guint) g_atomic_int_get (&self->ring.pin_gen);
  core->rekey_resets_roc = g_atomic_int_get (&self->rekey_roc) == GST_SRTP_SDES_REKEY_ROC_RESET;
  if (G_LIKELY (stream->session != NULL &&
          stream->key_gen == (guint) g_atomic_int_get (&self->key_gen) &&
          stream->pad_key_gen == (guint) g_atomic_int_get (&pad->key_gen))) {
    mki_index = (guint) g_atomic_int_get (&self->mki_index);
    stream->mki_index = MIN (mki_index, stream->key->n_keys - 1);
    return TRUE;
  }

  /* The pad's own key wins; without one the element's key is used. */
  GST_OBJECT_LOCK (pad);
  pad_key_gen = (guint) pad->key_gen;
  pad_key = pad->key ? gst_srtp_sdes_key_ref (pad->key) : NULL;
  GST_OBJECT_UNLOCK (pad);

  GST_OBJECT_LOCK (self);
  if (pad_key == NULL && !ensure_key_locked (self, error)) {
    GST_OBJECT_UNLOCK (self);
    return FALSE;
  }
  key_gen = (guint) self->key_gen;
  window = self->ring.replay_window_size;
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
    /* The pad pair's sessions, its per-SSRC ones too, all take the SRTCP
     * tag form of the one made here. */
    gboolean srtcp_tag32 = g_atomic_int_get (&self->srtcp_tag32);

    session = gst_srtp_sdes_key_create_session (key, ssrc_any_outbound, 0, window, srtcp_tag32,
        error);
    if (session == NULL) {
      gst_srtp_sdes_key_unref (key);
      return FALSE;
    }
    if (stream->session)
      srtp_dealloc (stream->session);
    gst_srtp_sdes_key_unref (stream->key);
    stream->session = session;
    stream->key = key;
    core->window = window;
    core->srtcp_tag32 = srtcp_tag32;
    /* Streams of known SSRCs are re-added lazily with their ROC. */
    core->session_gen++;
    GST_DEBUG_OBJECT (self, "stream %u now uses %s", stream->id, key->redacted);
  }
  stream->key_gen = key_gen;
  stream->pad_key_gen = pad_key_gen;
  stream->mki_index = MIN (mki_index, stream->key->n_keys - 1);
  return TRUE;
}

/* Some SSRC has a key of its own: finds the session of this
 * packet's SSRC (or NULL, the pad's) before room is made for its trailer.
 * FALSE: not an RTP/RTCP packet. Stream lock. */
static gboolean
enc_find_pin (EncStream *stream, GstBuffer *buf, GstSrtpSdesSession **pin)
{
  GstSrtpSdesStream *core = &stream->core;
  guint8 hdr[12];
  gsize n = gst_buffer_extract (buf, 0, hdr, sizeof (hdr));
  gboolean is_rtcp = core->rtcp_pad || gst_srtp_sdes_packet_is_rtcp (hdr, n);
  GstSrtpSdesSsrc *state;

  if (n < 8 || (hdr[0] & 0xc0) != 0x80 || (!is_rtcp && n < 12))
    return FALSE;
  state = gst_srtp_sdes_stream_ssrc (core, GST_READ_UINT32_BE (hdr + (is_rtcp ? 4 : 8)),
      is_rtcp);
  if (state->pin_gen != core->pin_gen) {
    gboolean was_pinned = state->pinned != NULL;

    gst_srtp_sdes_stream_resolve_pin (core, state,
        is_rtcp ? 0 : GST_READ_UINT16_BE (hdr + 2));
    /* Back on the pad's session: re-add the SSRC there with its ROC. */
    if (was_pinned && state->pinned == NULL)
      state->session_gen = core->session_gen - 1;
  }
  *pin = state->pinned;
  return TRUE;
}

/* RFC 3711 §9.2: counts the packet against the master key's lifetime;
 * FALSE when it must be dropped. Stream lock. */
static gboolean
enc_count (GstSrtpSdesKey *key, guint mki_index, gboolean rtcp, GstSrtpSdesSsrc *state,
           GSList **messages)
{
  guint64 used, hard;
  GstSrtpSdesLimit limit = gst_srtp_sdes_key_count (key, mki_index, rtcp, &used, &hard);

  if (G_LIKELY (limit == GST_SRTP_SDES_LIMIT_OK))
    return TRUE;
  if (limit != GST_SRTP_SDES_LIMIT_EXHAUSTED)
    *messages = g_slist_append (*messages,
        gst_srtp_sdes_key_limit_message (key, limit, mki_index, rtcp, used, hard));
  if (limit == GST_SRTP_SDES_LIMIT_SOFT)
    return TRUE;
  state->limit_drops++;
  GST_LOG ("SSRC %08x: key lifetime reached, dropping", state->ssrc);
  return FALSE;
}

/* Makes room for the trailer of what the pad carries and maps the packet's
 * single memory writable (map->memory); an RTCP packet muxed on an RTP pad
 * (RFC 5761) may need more room (E flag + SRTCP index). FALSE, unmapped:
 * not an RTP/RTCP packet. Stream lock. */
static gboolean
enc_map (GstSrtpSdesStream *core, GstSrtpSdesKey *key, GstBuffer **bufp, gsize size,
         GstMapInfo *map, gboolean *rtcp)
{
  guint trailer = gst_srtp_sdes_key_trailer_len (key, core->rtcp_pad, core->srtcp_tag32);

  *bufp = gst_srtp_sdes_buffer_make_room (*bufp, trailer, core->pool);
  if (G_UNLIKELY (!gst_memory_map (gst_buffer_peek_memory (*bufp, 0), map,
              GST_MAP_READWRITE)))
    return FALSE;
  if (G_UNLIKELY ((map->data[0] & 0xc0) != 0x80))
    goto unmap;
  *rtcp = core->rtcp_pad || gst_srtp_sdes_packet_is_rtcp (map->data, size);
  if (G_UNLIKELY (*rtcp && !core->rtcp_pad &&
          gst_srtp_sdes_key_trailer_len (key, TRUE, core->srtcp_tag32) > trailer)) {
    gst_memory_unmap (map->memory, map);
    gst_srtp_sdes_buffer_set_packet_size (*bufp, size);
    *bufp = gst_srtp_sdes_buffer_make_room (*bufp,
        gst_srtp_sdes_key_trailer_len (key, TRUE, core->srtcp_tag32), core->pool);
    if (!gst_memory_map (gst_buffer_peek_memory (*bufp, 0), map, GST_MAP_READWRITE))
      return FALSE;
  }
  if (G_UNLIKELY (!*rtcp && size < 12))
    goto unmap;
  return TRUE;

unmap:
  gst_memory_unmap (map->memory, map);
  return FALSE;
}

/* Protects one packet in place. Must be called with the stream lock, after
 * enc_prepare. Takes ownership of @buf; returns the packet to push or NULL
 * (dropped). Messages to post after unlocking are appended to @messages.
 *
 * The hot path maps the packet once, works on the bytes in the
 * buffer's own memory (room for the trailer taken from the block, or a
 * pool buffer), and does nothing per packet beyond counter increments. */
static GstBuffer *
enc_protect (GstSrtpSdesStream *core, GstBuffer *buf, GSList **messages)
{
  EncStream *stream = (EncStream *) core;
  GstSrtpSdesEnc *self = (GstSrtpSdesEnc *) core->element;
  GstSrtpSdesKey *key = stream->key;
  srtp_t session = stream->session;
  guint mki_index = stream->mki_index;
  GstSrtpSdesSession *pin = NULL;
  gsize size = gst_buffer_get_size (buf);
  gboolean rtcp;
  guint32 ssrc;
  guint16 seq = 0;
  GstSrtpSdesSsrc *state;
  GstMapInfo map;
  gint len;
  gboolean reset_roc = FALSE;
  srtp_err_status_t err;

  if (G_UNLIKELY (size < 8 || size > G_MAXINT - 256))
    goto invalid;
  if (G_UNLIKELY (core->pin_gen != 0)) {
    if (!enc_find_pin (stream, buf, &pin))
      goto invalid;
    if (pin != NULL) {
      key = pin->key;
      session = pin->session;
      mki_index = MIN ((guint) g_atomic_int_get (&self->mki_index), key->n_keys - 1);
    }
  }
  if (G_UNLIKELY (!enc_map (core, key, &buf, size, &map, &rtcp)))
    goto invalid;
  ssrc = GST_READ_UINT32_BE (map.data + (rtcp ? 4 : 8));
  if (!rtcp)
    seq = GST_READ_UINT16_BE (map.data + 2);

  state = gst_srtp_sdes_stream_ssrc (core, ssrc, rtcp);
  if (G_UNLIKELY (state->key != key)) {
    reset_roc = gst_srtp_sdes_stream_rekey_resets_roc (core, state, key);
    gst_srtp_sdes_key_unref (state->key);
    state->key = gst_srtp_sdes_key_ref (key);
  }

  if (G_UNLIKELY (!enc_count (key, mki_index, rtcp, state, messages))) {
    gst_memory_unmap (map.memory, &map);
    gst_buffer_unref (buf);
    return NULL;
  }

  /* RFC 4568 §7.1.4: after a rekey the SSRC keeps its ROC. The new
   * session learns it before this SSRC's first packet. With rekey-roc
   * "reset" the new key starts at ROC 0: nothing to tell the session,
   * whose stream for the SSRC starts there. */
  if (G_UNLIKELY (pin == NULL && state->session_gen != core->session_gen)) {
    if (reset_roc) {
      gst_srtp_sdes_ssrc_set_roc (state, 0, seq);
    } else if (!rtcp) {
      guint32 roc = gst_srtp_sdes_guess_roc (state, seq);

      if (roc != 0 && gst_srtp_sdes_key_add_stream (key, stream->session, ssrc,
              core->window, core->srtcp_tag32))
        srtp_set_stream_roc (stream->session, ssrc, roc);
    }
    state->session_gen = core->session_gen;
  }

  len = (gint) size;
  if (rtcp)
    err = srtp_protect_rtcp_mki (session, map.data, &len,
        key->mki_size > 0, mki_index);
  else
    err = srtp_protect_mki (session, map.data, &len,
        key->mki_size > 0, mki_index);
  gst_memory_unmap (map.memory, &map);

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
  else if (G_UNLIKELY (core->srtcp_tag32) && gst_srtp_sdes_key_has_srtcp_tag32 (key))
    state->srtcp_tag32_packets++;
  return buf;

invalid:
  gst_srtp_sdes_stream_drop_invalid (core, size);
  gst_buffer_unref (buf);
  return NULL;
}

static GstStateChangeReturn
gst_srtp_sdes_enc_change_state (GstElement *element, GstStateChange transition)
{
  GstSrtpSdesEnc *self = GST_SRTP_SDES_ENC (element);
  GstStateChangeReturn ret;

  if (!gst_srtp_sdes_keyring_may_start (&self->ring, transition))
    return GST_STATE_CHANGE_FAILURE;
  if (transition == GST_STATE_CHANGE_NULL_TO_READY) {
    g_autoptr (GError) error = NULL;
    gboolean ok;

    GST_OBJECT_LOCK (self);
    ok = ensure_key_locked (self, &error);
    GST_OBJECT_UNLOCK (self);
    if (!ok) {
      GST_ELEMENT_ERROR (self, LIBRARY, SETTINGS, ("No usable SRTP key"),
          ("%s", error->message));
      return GST_STATE_CHANGE_FAILURE;
    }
  }

  ret = GST_ELEMENT_CLASS (gst_srtp_sdes_enc_parent_class)->change_state (element, transition);

  /* Sessions and ROCs survive PAUSED->READY->PAUSED on purpose: a fresh
   * libsrtp2 session with the same key would reuse keystream (RFC 3711
   * §9.1) if the SSRC and sequence numbers restarted. */
  return ret;
}
