/* srtpsdes — srtpsdesdec: SRTP/SRTCP decoder keyed by a=crypto values
 *
 * Copyright (C) 2026 srtpsdes developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/**
 * SECTION:element-srtpsdesdec
 * @title: srtpsdesdec
 * @see_also: srtpsdesenc, srtpdec
 *
 * Verifies and decrypts SRTP and SRTCP (RFC 3711, libsrtp2) with the
 * remote keys of RFC 4568 a=crypto values, for any SSRC.
 *
 * Several remote keys can be active at once (forked early media, PEERS
 * §2.3): #GstSrtpSdesDec::add-crypto adds one, #GstSrtpSdesDec::clear-crypto
 * removes all. A new SSRC is bound to the first key that authenticates its
 * packet; packets that authenticate with no key are dropped and counted as
 * unknown-key drops. Setting #GstSrtpSdesDec:crypto while PLAYING replaces
 * the keys, but an SSRC keeps using its old key until one of its packets
 * authenticates with a new one, and its ROC continues (PEERS §2.1).
 *
 * With many streams (a relay with thousands of call legs), bind each key to
 * its SSRC up front with #GstSrtpSdesDec::add-crypto-for-ssrc: the SSRC is
 * then checked with that key alone, so a new SSRC costs one lookup instead
 * of a trial of every key, and one decoder carries all the streams.
 *
 * For stock srtpdec users, a key may also come from the sink caps fields
 * srtp-key, srtp-cipher, srtp-auth, srtcp-cipher, srtcp-auth, or from a
 * #GstSrtpSdesDec::request-key handler (emitted with no lock held).
 *
 * Pads follow the stock srtpdec (rtp_sink/rtp_src, rtcp_sink/rtcp_src) so
 * rtpbin's request-rtp-decoder and request-rtcp-decoder can return it.
 * RTCP multiplexed on rtp_sink (RFC 5761) is recognised as SRTCP.
 *
 * Element messages: srtpsdes-secure (first authenticated packet of an
 * SSRC: ssrc, rtcp, suite, tag), srtpsdes-auth-failure (at most one per
 * second per SSRC: ssrc, rtcp, reason, auth-failures, unknown-key-drops),
 * srtpsdes-key-soft-limit and srtpsdes-key-hard-limit.
 *
 * ## Example pipelines
 * |[
 * gst-launch-1.0 udpsrc port=5004 caps="application/x-srtp,media=audio,clock-rate=8000,encoding-name=PCMU,payload=0" ! \
 *   srtpsdesdec crypto="1 AES_CM_128_HMAC_SHA1_80 inline:<key>" ! \
 *   rtppcmudepay ! mulawdec ! autoaudiosink
 * ]|
 *
 * Since: 0.1
 */

#include "gstsrtpsdesdec.h"

#include <string.h>

#include "gstsrtpsdes.h"

GST_DEBUG_CATEGORY_STATIC (gst_srtp_sdes_dec_debug);
#define GST_CAT_DEFAULT gst_srtp_sdes_dec_debug

#define DEFAULT_REPLAY_WINDOW_SIZE GST_SRTP_SDES_DEFAULT_WINDOW

enum {
  PROP_0,
  PROP_CRYPTO,
  PROP_REPLAY_WINDOW_SIZE,
  PROP_LAST_ERROR,
  PROP_STATS,
};

enum {
  SIGNAL_ADD_CRYPTO,
  SIGNAL_ADD_CRYPTO_FOR_SSRC,
  SIGNAL_CLEAR_CRYPTO,
  SIGNAL_REMOVE_SSRC,
  SIGNAL_REQUEST_KEY,
  LAST_SIGNAL
};

static guint signals[LAST_SIGNAL];

static GstStaticPadTemplate rtp_sink_template = GST_STATIC_PAD_TEMPLATE ("rtp_sink",
    GST_PAD_SINK, GST_PAD_ALWAYS, GST_STATIC_CAPS ("application/x-srtp"));
static GstStaticPadTemplate rtp_src_template = GST_STATIC_PAD_TEMPLATE ("rtp_src",
    GST_PAD_SRC, GST_PAD_ALWAYS, GST_STATIC_CAPS ("application/x-rtp"));
static GstStaticPadTemplate rtcp_sink_template = GST_STATIC_PAD_TEMPLATE ("rtcp_sink",
    GST_PAD_SINK, GST_PAD_ALWAYS, GST_STATIC_CAPS ("application/x-srtcp"));
static GstStaticPadTemplate rtcp_src_template = GST_STATIC_PAD_TEMPLATE ("rtcp_src",
    GST_PAD_SRC, GST_PAD_ALWAYS, GST_STATIC_CAPS ("application/x-rtcp"));

/* One remote key inside one pad pair: a libsrtp2 session for any inbound
 * SSRC. A key replaced by a rekey stays (retiring) while SSRCs are bound. */
typedef struct {
  GstSrtpSdesKey *key;
  srtp_t session;
  gboolean active;
  guint bound;
} DecSession;

/* One pad pair. The lock guards everything below it; it is released around
 * request-key and never held while pushing or posting. It may be held
 * while taking the object lock (never the other way round). */
typedef struct {
  GstPad *sinkpad;
  GstPad *srcpad;
  gboolean rtcp_pad;

  GMutex lock;
  GPtrArray *sessions;    /* DecSession*, in the order keys were added */
  guint keys_gen;
  guint clear_gen;
  guint window;
  GHashTable *rtp_ssrcs;  /* ssrc -> GstSrtpSdesSsrc */
  GHashTable *rtcp_ssrcs; /* ssrc -> GstSrtpSdesSsrc */
  guint64 invalid_drops;
  GByteArray *scratch;    /* the packet before a failed try, for AEAD retries */
  /* Sessions with active keys: a packet's candidates without a walk. */
  guint n_active;
  /* The SSRC of the previous packet (remove-ssrc clears it). */
  GstSrtpSdesSsrc *last_rtp;
  GstSrtpSdesSsrc *last_rtcp;
  /* Issue 9: sessions of keys given per SSRC (add-crypto-for-ssrc), made
   * on the SSRC's first packet: ssrc -> DecSession (owned); and the
   * element's pin_gen last read. */
  GHashTable *ssrc_sessions[2]; /* [0] RTP packets, [1] RTCP packets */
  guint pin_gen;
  /* Issue 9: for packets that are not writable in place (e.g. after a tee);
   * the process-wide pool, not owned. */
  GstBufferPool *pool;
} DecStream;

struct _GstSrtpSdesDec {
  GstElement parent;

  DecStream streams[2]; /* [0] RTP, [1] RTCP */

  /* GST_OBJECT_LOCK; keys_gen is also read atomically without it by the
   * streaming threads, which take the lock only when it changed. */
  GPtrArray *keys; /* active GstSrtpSdesKey*, try order */
  GstSrtpSdesKey *caps_key;
  gint keys_gen;
  guint clear_gen;
  guint replay_window_size;
  gchar *last_error;
  /* Issue 9: keys bound to one SSRC up front (add-crypto-for-ssrc):
   * ssrc -> GstSrtpSdesKey. pin_gen changes with every change of the
   * table and is read atomically per packet; an SSRC looks its key up
   * again (O(1)) only when it changed. */
  GHashTable *ssrc_keys;
  gint pin_gen;
};

G_DEFINE_TYPE_WITH_CODE (GstSrtpSdesDec, gst_srtp_sdes_dec, GST_TYPE_ELEMENT,
    GST_DEBUG_CATEGORY_INIT (gst_srtp_sdes_dec_debug, "srtpsdesdec", 0,
        "SRTP decoder keyed by a=crypto"));
GST_ELEMENT_REGISTER_DEFINE_WITH_CODE (srtpsdesdec, "srtpsdesdec", GST_RANK_NONE,
    GST_TYPE_SRTP_SDES_DEC, gst_srtp_sdes_init_once ());

static void gst_srtp_sdes_dec_set_property (GObject *object, guint prop_id,
    const GValue *value, GParamSpec *pspec);
static void gst_srtp_sdes_dec_get_property (GObject *object, guint prop_id,
    GValue *value, GParamSpec *pspec);
static void gst_srtp_sdes_dec_finalize (GObject *object);
static gboolean gst_srtp_sdes_dec_add_crypto (GstSrtpSdesDec *self, const gchar *text);
static gboolean gst_srtp_sdes_dec_add_crypto_for_ssrc (GstSrtpSdesDec *self, guint ssrc,
    const gchar *text);
static void gst_srtp_sdes_dec_clear_crypto (GstSrtpSdesDec *self);
static gboolean gst_srtp_sdes_dec_remove_ssrc (GstSrtpSdesDec *self, guint ssrc);
static GstFlowReturn gst_srtp_sdes_dec_chain (GstPad *pad, GstObject *parent,
    GstBuffer *buf);
static GstFlowReturn gst_srtp_sdes_dec_chain_list (GstPad *pad, GstObject *parent,
    GstBufferList *list);
static gboolean gst_srtp_sdes_dec_sink_event (GstPad *pad, GstObject *parent,
    GstEvent *event);
static gboolean gst_srtp_sdes_dec_query (GstPad *pad, GstObject *parent,
    GstQuery *query);
static GstIterator *gst_srtp_sdes_dec_iterate_internal_links (GstPad *pad,
    GstObject *parent);
static GstSrtpSdesSsrc *dec_stream_ssrc (DecStream *stream, guint32 ssrc, gboolean rtcp);

static void
gst_srtp_sdes_dec_class_init (GstSrtpSdesDecClass *klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);

  gst_srtp_sdes_init_once ();

  gst_element_class_add_static_pad_template (element_class, &rtp_sink_template);
  gst_element_class_add_static_pad_template (element_class, &rtp_src_template);
  gst_element_class_add_static_pad_template (element_class, &rtcp_sink_template);
  gst_element_class_add_static_pad_template (element_class, &rtcp_src_template);

  gobject_class->set_property = gst_srtp_sdes_dec_set_property;
  gobject_class->get_property = gst_srtp_sdes_dec_get_property;
  gobject_class->finalize = gst_srtp_sdes_dec_finalize;

  /**
   * GstSrtpSdesDec:crypto:
   *
   * The remote RFC 4568 a=crypto value. Setting it replaces every key
   * (also those of #GstSrtpSdesDec::add-crypto); while PLAYING an SSRC keeps
   * its old key until a packet authenticates with the new one, and its ROC
   * continues (PEERS §2.1). Reading returns the redacted value
   * ("inline:<redacted>"): the decoder never gives key material back.
   * Refused values keep the old keys; #GstSrtpSdesDec:last-error says why.
   *
   * Since: 0.1
   */
  g_object_class_install_property (gobject_class, PROP_CRYPTO,
      g_param_spec_string ("crypto", "Crypto",
          "Remote RFC 4568 a=crypto value; replaces all keys. Settable while "
          "PLAYING (live rekey: old key kept per SSRC until the new one "
          "authenticates, ROC continues). Reads back redacted. Unsupported values "
          "(F8, KDR>0, FEC_KEY, suites libsrtp2 lacks) are refused, the old keys "
          "stay and 'last-error' says why",
          NULL,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_PLAYING));

  /**
   * GstSrtpSdesDec:replay-window-size:
   *
   * Replay window when the a=crypto value has no WSH (Cisco Table 47: 64).
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
   * GstSrtpSdesDec:last-error:
   *
   * Why the last key was refused (never contains key material), or %NULL.
   *
   * Since: 0.1
   */
  g_object_class_install_property (gobject_class, PROP_LAST_ERROR,
      g_param_spec_string ("last-error", "Last error",
          "Why the last a=crypto value or caps key was refused (no key material), "
          "or NULL", NULL, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));

  /**
   * GstSrtpSdesDec:stats:
   *
   * application/x-srtpsdes-dec-stats: keys (active keys), ssrc-keys (keys
   * bound to one SSRC by #GstSrtpSdesDec::add-crypto-for-ssrc), invalid-drops
   * (packets that are not RTP/RTCP) and "streams", an array of
   * application/x-srtpsdes-stream: ssrc, rtcp, packets, bytes,
   * auth-failures, replay-drops, unknown-key-drops, limit-drops,
   * invalid-drops, roc, suite, tag. Never key bytes.
   *
   * Since: 0.1
   */
  g_object_class_install_property (gobject_class, PROP_STATS,
      g_param_spec_boxed ("stats", "Statistics",
          "application/x-srtpsdes-dec-stats {keys, ssrc-keys, invalid-drops, streams: array of "
          "{ssrc, rtcp, packets, bytes, auth-failures, replay-drops, "
          "unknown-key-drops, limit-drops, invalid-drops, roc, suite, tag}}; "
          "never key bytes",
          GST_TYPE_STRUCTURE, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));

  /**
   * GstSrtpSdesDec::add-crypto:
   * @dec: the element
   * @crypto: an a=crypto value
   *
   * Adds a remote key next to the existing ones (forked early media: one
   * key per early dialog). A new SSRC binds to the first key that
   * authenticates it.
   *
   * Returns: %TRUE when the key was accepted; else #GstSrtpSdesDec:last-error
   *   says why.
   *
   * Since: 0.1
   */
  signals[SIGNAL_ADD_CRYPTO] = g_signal_new_class_handler ("add-crypto",
      G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST | G_SIGNAL_ACTION,
      G_CALLBACK (gst_srtp_sdes_dec_add_crypto), NULL, NULL, NULL,
      G_TYPE_BOOLEAN, 1, G_TYPE_STRING);

  /**
   * GstSrtpSdesDec::add-crypto-for-ssrc:
   * @dec: the element
   * @ssrc: the SSRC the key belongs to
   * @crypto: an a=crypto value
   *
   * Binds a remote key to one SSRC up front (a relay that knows each
   * call leg's SSRC from signalling, e.g. RFC 5576 a=ssrc). Packets of
   * that SSRC are authenticated with this key only, never by trying the
   * other keys: a packet that fails is dropped and counted as an
   * auth-failure. So with thousands of keys a new SSRC costs one lookup,
   * not a trial of every key. Calling it again for the same SSRC replaces
   * its key at once (the ROC continues, RFC 4568 §7.1.4);
   * #GstSrtpSdesDec::clear-crypto removes every binding. The per-SSRC keys
   * are not affected by #GstSrtpSdesDec:crypto or
   * #GstSrtpSdesDec::add-crypto, and are never tried for other SSRCs.
   *
   * Returns: %TRUE when the key was accepted; else #GstSrtpSdesDec:last-error
   *   says why.
   *
   * Since: 0.1
   */
  signals[SIGNAL_ADD_CRYPTO_FOR_SSRC] = g_signal_new_class_handler ("add-crypto-for-ssrc",
      G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST | G_SIGNAL_ACTION,
      G_CALLBACK (gst_srtp_sdes_dec_add_crypto_for_ssrc), NULL, NULL, NULL,
      G_TYPE_BOOLEAN, 2, G_TYPE_UINT, G_TYPE_STRING);

  /**
   * GstSrtpSdesDec::clear-crypto:
   * @dec: the element
   *
   * Removes every key at once (also the retiring ones and those of
   * #GstSrtpSdesDec::add-crypto-for-ssrc): from then on
   * packets are dropped as unknown-key until a key is added.
   *
   * Since: 0.1
   */
  signals[SIGNAL_CLEAR_CRYPTO] = g_signal_new_class_handler ("clear-crypto",
      G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST | G_SIGNAL_ACTION,
      G_CALLBACK (gst_srtp_sdes_dec_clear_crypto), NULL, NULL, NULL,
      G_TYPE_NONE, 0);

  /**
   * GstSrtpSdesDec::remove-ssrc:
   * @dec: the element
   * @ssrc: an SSRC whose stream has ended
   *
   * Forgets one SSRC: its key from #GstSrtpSdesDec::add-crypto-for-ssrc,
   * its binding to a key, its libsrtp2 stream state (ROC, replay window)
   * in every session and its #GstSrtpSdesDec:stats entry, so a
   * long-running relay does not accumulate the state of ended calls. A
   * later packet of the SSRC is a new SSRC: dropped as unknown-key unless
   * a key of #GstSrtpSdesDec:crypto or #GstSrtpSdesDec::add-crypto
   * authenticates it. The other keys stay as they are.
   *
   * Returns: %TRUE when the SSRC was known (a key or state was freed).
   *
   * Since: 0.1
   */
  signals[SIGNAL_REMOVE_SSRC] = g_signal_new_class_handler ("remove-ssrc",
      G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST | G_SIGNAL_ACTION,
      G_CALLBACK (gst_srtp_sdes_dec_remove_ssrc), NULL, NULL, NULL,
      G_TYPE_BOOLEAN, 1, G_TYPE_UINT);

  /**
   * GstSrtpSdesDec::request-key:
   * @dec: the element
   * @ssrc: the SSRC of a packet for which the decoder has no key
   *
   * Stock srtpdec compatibility: emitted (from the streaming thread, with no
   * lock held) when a packet arrives while the decoder has no key at all.
   * The handler may return caps with srtp-key, srtp-cipher, srtp-auth,
   * srtcp-cipher and srtcp-auth; it is asked again only after the keys change.
   *
   * Returns: (transfer full) (nullable): caps with the key, or %NULL.
   *
   * Since: 0.1
   */
  signals[SIGNAL_REQUEST_KEY] = g_signal_new ("request-key",
      G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
      GST_TYPE_CAPS, 1, G_TYPE_UINT);

  gst_element_class_set_static_metadata (element_class, "SRTP SDES decoder",
      "Filter/Network/SRTP",
      "Verifies and decrypts SRTP/SRTCP (libsrtp2) with RFC 4568 a=crypto keys. "
      "Element messages: srtpsdes-secure, srtpsdes-auth-failure, "
      "srtpsdes-key-soft-limit, srtpsdes-key-hard-limit",
      "srtpsdes developers");
  gst_element_class_add_metadata (element_class, "messages",
      "srtpsdes-secure (ssrc, rtcp, suite, tag): first authenticated packet of an "
      "SSRC; srtpsdes-auth-failure (ssrc, rtcp, reason, auth-failures, "
      "unknown-key-drops): packets failing authentication, at most one per second "
      "per SSRC; srtpsdes-key-soft-limit / srtpsdes-key-hard-limit (tag, suite, "
      "mki-index, rtcp, packets, limit): RFC 3711 §9.2 key lifetime; "
      "GST_MESSAGE_WARNING: an a=crypto value or caps key was refused");
}

static void
dec_session_free (DecSession *ds)
{
  if (ds->session)
    srtp_dealloc (ds->session);
  gst_srtp_sdes_key_unref (ds->key);
  g_free (ds);
}

static void
dec_stream_init (GstSrtpSdesDec *self, DecStream *stream, gboolean rtcp)
{
  GstStaticPadTemplate *sink_t = rtcp ? &rtcp_sink_template : &rtp_sink_template;
  GstStaticPadTemplate *src_t = rtcp ? &rtcp_src_template : &rtp_src_template;

  stream->rtcp_pad = rtcp;
  g_mutex_init (&stream->lock);
  stream->sessions = g_ptr_array_new ();
  stream->rtp_ssrcs = g_hash_table_new_full (NULL, NULL, NULL,
      (GDestroyNotify) gst_srtp_sdes_ssrc_free);
  stream->rtcp_ssrcs = g_hash_table_new_full (NULL, NULL, NULL,
      (GDestroyNotify) gst_srtp_sdes_ssrc_free);
  stream->scratch = g_byte_array_new ();
  for (guint i = 0; i < 2; i++)
    stream->ssrc_sessions[i] = g_hash_table_new_full (NULL, NULL, NULL,
        (GDestroyNotify) dec_session_free);
  stream->pool = gst_srtp_sdes_packet_pool ();

  stream->sinkpad = gst_pad_new_from_static_template (sink_t, sink_t->name_template);
  stream->srcpad = gst_pad_new_from_static_template (src_t, src_t->name_template);
  gst_pad_set_element_private (stream->sinkpad, stream);
  gst_pad_set_element_private (stream->srcpad, stream);
  gst_pad_set_chain_function (stream->sinkpad, GST_DEBUG_FUNCPTR (gst_srtp_sdes_dec_chain));
  gst_pad_set_chain_list_function (stream->sinkpad,
      GST_DEBUG_FUNCPTR (gst_srtp_sdes_dec_chain_list));
  gst_pad_set_event_function (stream->sinkpad,
      GST_DEBUG_FUNCPTR (gst_srtp_sdes_dec_sink_event));
  gst_pad_set_query_function (stream->sinkpad, GST_DEBUG_FUNCPTR (gst_srtp_sdes_dec_query));
  gst_pad_set_query_function (stream->srcpad, GST_DEBUG_FUNCPTR (gst_srtp_sdes_dec_query));
  gst_pad_set_iterate_internal_links_function (stream->sinkpad,
      GST_DEBUG_FUNCPTR (gst_srtp_sdes_dec_iterate_internal_links));
  gst_pad_set_iterate_internal_links_function (stream->srcpad,
      GST_DEBUG_FUNCPTR (gst_srtp_sdes_dec_iterate_internal_links));
  gst_element_add_pad (GST_ELEMENT (self), stream->sinkpad);
  gst_element_add_pad (GST_ELEMENT (self), stream->srcpad);
}

static void
gst_srtp_sdes_dec_init (GstSrtpSdesDec *self)
{
  self->keys = g_ptr_array_new_with_free_func ((GDestroyNotify) gst_srtp_sdes_key_unref);
  self->replay_window_size = DEFAULT_REPLAY_WINDOW_SIZE;
  self->keys_gen = 1;
  self->ssrc_keys = g_hash_table_new_full (NULL, NULL, NULL,
      (GDestroyNotify) gst_srtp_sdes_key_unref);
  dec_stream_init (self, &self->streams[0], FALSE);
  dec_stream_init (self, &self->streams[1], TRUE);
}


static void
dec_stream_clear (DecStream *stream)
{
  g_ptr_array_free (stream->sessions, TRUE);
  g_hash_table_unref (stream->rtp_ssrcs);
  g_hash_table_unref (stream->rtcp_ssrcs);
  g_hash_table_unref (stream->ssrc_sessions[0]);
  g_hash_table_unref (stream->ssrc_sessions[1]);
  g_byte_array_unref (stream->scratch);
  g_mutex_clear (&stream->lock);
}

static void
gst_srtp_sdes_dec_finalize (GObject *object)
{
  GstSrtpSdesDec *self = GST_SRTP_SDES_DEC (object);

  for (guint i = 0; i < 2; i++) {
    DecStream *stream = &self->streams[i];

    for (guint j = 0; j < stream->sessions->len; j++)
      dec_session_free (g_ptr_array_index (stream->sessions, j));
    dec_stream_clear (stream);
  }
  g_ptr_array_unref (self->keys);
  g_hash_table_unref (self->ssrc_keys);
  gst_srtp_sdes_key_unref (self->caps_key);
  g_free (self->last_error);
  G_OBJECT_CLASS (gst_srtp_sdes_dec_parent_class)->finalize (object);
}

/* ------------------------------------------------------------------------- */
/* Keys                                                                       */
/* ------------------------------------------------------------------------- */

/* Records and announces a refused key. Must be called with no lock held. */
static void
refuse (GstSrtpSdesDec *self, const gchar *what, const GError *error)
{
  GST_WARNING_OBJECT (self, "refusing %s: %s", what, error->message);
  GST_OBJECT_LOCK (self);
  g_free (self->last_error);
  self->last_error = g_strdup (error->message);
  GST_OBJECT_UNLOCK (self);
  gst_element_message_full (GST_ELEMENT (self), GST_MESSAGE_WARNING, error->domain,
      error->code, g_strdup (error->message),
      g_strdup_printf ("%s refused; the previous keys stay in force", what),
      __FILE__, GST_FUNCTION, __LINE__);
}

/* Must be called with the object lock. */
static gboolean
has_key_locked (GstSrtpSdesDec *self, GstSrtpSdesKey *key)
{
  for (guint i = 0; i < self->keys->len; i++) {
    if (gst_srtp_sdes_key_same (g_ptr_array_index (self->keys, i), key))
      return TRUE;
  }
  return FALSE;
}

static void
set_crypto (GstSrtpSdesDec *self, const gchar *text)
{
  g_autoptr (GError) error = NULL;
  GstSrtpSdesKey *key = NULL;

  if (text != NULL && *text != '\0') {
    key = gst_srtp_sdes_key_new (text, &error);
    if (key == NULL) {
      refuse (self, "crypto", error);
      return;
    }
    GST_INFO_OBJECT (self, "remote key %s", key->redacted);
  }
  GST_OBJECT_LOCK (self);
  /* Keys that disappear here retire per SSRC in the streams. */
  g_ptr_array_set_size (self->keys, 0);
  g_clear_pointer (&self->caps_key, gst_srtp_sdes_key_unref);
  if (key)
    g_ptr_array_add (self->keys, key);
  g_atomic_int_inc (&self->keys_gen);
  g_clear_pointer (&self->last_error, g_free);
  GST_OBJECT_UNLOCK (self);
}

static gboolean
gst_srtp_sdes_dec_add_crypto (GstSrtpSdesDec *self, const gchar *text)
{
  g_autoptr (GError) error = NULL;
  GstSrtpSdesKey *key;

  if (text == NULL) {
    g_set_error_literal (&error, SDES_CRYPTO_ERROR, SDES_CRYPTO_ERROR_SYNTAX,
        "no a=crypto value");
    refuse (self, "add-crypto", error);
    return FALSE;
  }
  key = gst_srtp_sdes_key_new (text, &error);
  if (key == NULL) {
    refuse (self, "add-crypto", error);
    return FALSE;
  }
  GST_INFO_OBJECT (self, "adding remote key %s", key->redacted);
  GST_OBJECT_LOCK (self);
  if (!has_key_locked (self, key)) {
    g_ptr_array_add (self->keys, key);
    g_atomic_int_inc (&self->keys_gen);
    key = NULL;
  }
  g_clear_pointer (&self->last_error, g_free);
  GST_OBJECT_UNLOCK (self);
  gst_srtp_sdes_key_unref (key);
  return TRUE;
}

static gboolean
gst_srtp_sdes_dec_add_crypto_for_ssrc (GstSrtpSdesDec *self, guint ssrc, const gchar *text)
{
  g_autoptr (GError) error = NULL;
  GstSrtpSdesKey *key, *old;

  if (text == NULL) {
    g_set_error_literal (&error, SDES_CRYPTO_ERROR, SDES_CRYPTO_ERROR_SYNTAX,
        "no a=crypto value");
    refuse (self, "add-crypto-for-ssrc", error);
    return FALSE;
  }
  key = gst_srtp_sdes_key_new (text, &error);
  if (key == NULL) {
    refuse (self, "add-crypto-for-ssrc", error);
    return FALSE;
  }
  GST_INFO_OBJECT (self, "remote key %s for SSRC %08x", key->redacted, ssrc);
  GST_OBJECT_LOCK (self);
  old = g_hash_table_lookup (self->ssrc_keys, GUINT_TO_POINTER (ssrc));
  if (old != NULL && gst_srtp_sdes_key_same (old, key)) {
    /* The same key again: the SSRC's session (and ROC) stays as it is. */
    gst_srtp_sdes_key_unref (key);
  } else {
    g_hash_table_replace (self->ssrc_keys, GUINT_TO_POINTER (ssrc), key);
    g_atomic_int_inc (&self->pin_gen);
  }
  g_clear_pointer (&self->last_error, g_free);
  GST_OBJECT_UNLOCK (self);
  return TRUE;
}

static void
gst_srtp_sdes_dec_clear_crypto (GstSrtpSdesDec *self)
{
  GST_INFO_OBJECT (self, "clearing all keys");
  GST_OBJECT_LOCK (self);
  g_hash_table_remove_all (self->ssrc_keys);
  g_atomic_int_inc (&self->pin_gen);
  g_ptr_array_set_size (self->keys, 0);
  g_clear_pointer (&self->caps_key, gst_srtp_sdes_key_unref);
  g_atomic_int_inc (&self->keys_gen);
  self->clear_gen++;
  GST_OBJECT_UNLOCK (self);
}

/* A key from stock-style caps (sink caps or request-key). Replaces the
 * previous caps key, keeps the others. No lock held. */
static gboolean
set_caps_key (GstSrtpSdesDec *self, const GstStructure *s)
{
  g_autoptr (GError) error = NULL;
  GstSrtpSdesKey *key = gst_srtp_sdes_key_new_from_caps (s, &error);

  if (key == NULL) {
    refuse (self, "caps key", error);
    return FALSE;
  }
  GST_OBJECT_LOCK (self);
  if (self->caps_key && gst_srtp_sdes_key_same (self->caps_key, key)) {
    GST_OBJECT_UNLOCK (self);
    gst_srtp_sdes_key_unref (key);
    return TRUE;
  }
  GST_INFO_OBJECT (self, "key from caps: %s", key->redacted);
  if (self->caps_key) {
    g_ptr_array_remove (self->keys, self->caps_key);
    gst_srtp_sdes_key_unref (self->caps_key);
  }
  self->caps_key = gst_srtp_sdes_key_ref (key);
  g_ptr_array_add (self->keys, key);
  g_atomic_int_inc (&self->keys_gen);
  GST_OBJECT_UNLOCK (self);
  return TRUE;
}

static GstStructure *
dec_get_stats (GstSrtpSdesDec *self)
{
  GValue streams = G_VALUE_INIT;
  GstStructure *s;
  guint64 invalid = 0;
  guint n_keys, n_ssrc_keys;

  g_value_init (&streams, GST_TYPE_ARRAY);
  for (guint i = 0; i < 2; i++) {
    DecStream *stream = &self->streams[i];
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
  GST_OBJECT_LOCK (self);
  n_keys = self->keys->len;
  n_ssrc_keys = g_hash_table_size (self->ssrc_keys);
  GST_OBJECT_UNLOCK (self);

  s = gst_structure_new ("application/x-srtpsdes-dec-stats",
      "keys", G_TYPE_UINT, n_keys,
      "ssrc-keys", G_TYPE_UINT, n_ssrc_keys,
      "invalid-drops", G_TYPE_UINT64, invalid, NULL);
  gst_structure_take_value (s, "streams", &streams);
  return s;
}

static void
gst_srtp_sdes_dec_set_property (GObject *object, guint prop_id,
                                const GValue *value, GParamSpec *pspec)
{
  GstSrtpSdesDec *self = GST_SRTP_SDES_DEC (object);

  switch (prop_id) {
    case PROP_CRYPTO:
      set_crypto (self, g_value_get_string (value));
      break;
    case PROP_REPLAY_WINDOW_SIZE:
      GST_OBJECT_LOCK (self);
      self->replay_window_size = g_value_get_uint (value);
      GST_OBJECT_UNLOCK (self);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
}

static void
gst_srtp_sdes_dec_get_property (GObject *object, guint prop_id,
                                GValue *value, GParamSpec *pspec)
{
  GstSrtpSdesDec *self = GST_SRTP_SDES_DEC (object);

  switch (prop_id) {
    case PROP_CRYPTO:
      GST_OBJECT_LOCK (self);
      if (self->keys->len > 0) {
        GstSrtpSdesKey *key = g_ptr_array_index (self->keys, 0);

        g_value_set_string (value, key->redacted);
      } else {
        g_value_set_string (value, NULL);
      }
      GST_OBJECT_UNLOCK (self);
      break;
    case PROP_REPLAY_WINDOW_SIZE:
      GST_OBJECT_LOCK (self);
      g_value_set_uint (value, self->replay_window_size);
      GST_OBJECT_UNLOCK (self);
      break;
    case PROP_LAST_ERROR:
      GST_OBJECT_LOCK (self);
      g_value_set_string (value, self->last_error);
      GST_OBJECT_UNLOCK (self);
      break;
    case PROP_STATS:
      g_value_take_boxed (value, dec_get_stats (self));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
}

/* ------------------------------------------------------------------------- */
/* Pads                                                                       */
/* ------------------------------------------------------------------------- */

static GstIterator *
gst_srtp_sdes_dec_iterate_internal_links (GstPad *pad, GstObject *parent)
{
  DecStream *stream = gst_pad_get_element_private (pad);
  GValue v = G_VALUE_INIT;
  GstIterator *it;

  g_value_init (&v, GST_TYPE_PAD);
  g_value_set_object (&v, pad == stream->sinkpad ? stream->srcpad : stream->sinkpad);
  it = gst_iterator_new_single (GST_TYPE_PAD, &v);
  g_value_unset (&v);
  return it;
}

static gboolean
gst_srtp_sdes_dec_sink_event (GstPad *pad, GstObject *parent, GstEvent *event)
{
  GstSrtpSdesDec *self = GST_SRTP_SDES_DEC (parent);
  DecStream *stream = gst_pad_get_element_private (pad);

  if (GST_EVENT_TYPE (event) == GST_EVENT_CAPS) {
    GstCaps *caps, *out;
    const GstStructure *s;
    gboolean ret;
    guint roc, ssrc;

    /* Never log these caps: they may carry srtp-key. */
    gst_event_parse_caps (event, &caps);
    s = gst_caps_get_structure (caps, 0);
    if (s && gst_structure_has_field (s, "srtp-key"))
      set_caps_key (self, s);
    /* Stock srtpdec: "roc" is the rollover counter the caps' SSRC is at,
     * for a receiver that joins a running stream. */
    if (s && !stream->rtcp_pad && gst_structure_get_uint (s, "roc", &roc) &&
        gst_structure_get_uint (s, "ssrc", &ssrc)) {
      GstSrtpSdesSsrc *state;

      g_mutex_lock (&stream->lock);
      state = dec_stream_ssrc (stream, ssrc, FALSE);
      if (!state->seen)
        state->initial_roc = roc;
      g_mutex_unlock (&stream->lock);
    }
    out = gst_srtp_sdes_transform_caps (caps, FALSE);
    gst_event_unref (event);
    ret = gst_pad_push_event (stream->srcpad, gst_event_new_caps (out));
    gst_caps_unref (out);
    return ret;
  }
  return gst_pad_event_default (pad, parent, event);
}

static gboolean
gst_srtp_sdes_dec_query (GstPad *pad, GstObject *parent, GstQuery *query)
{
  DecStream *stream = gst_pad_get_element_private (pad);

  if (GST_QUERY_TYPE (query) == GST_QUERY_CAPS) {
    if (pad == stream->sinkpad)
      return gst_srtp_sdes_query_caps (pad, stream->srcpad, query, TRUE);
    return gst_srtp_sdes_query_caps (pad, stream->sinkpad, query, FALSE);
  }
  return gst_pad_query_default (pad, parent, query);
}

/* ------------------------------------------------------------------------- */
/* Streaming                                                                  */
/* ------------------------------------------------------------------------- */

static void
unbind (GstSrtpSdesSsrc *state)
{
  DecSession *ds = state->binding;

  if (ds)
    ds->bound--;
  state->binding = NULL;
}

static void
unbind_all (GHashTable *table)
{
  GHashTableIter iter;
  gpointer value;

  g_hash_table_iter_init (&iter, table);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    unbind (value);
}

static void
unpin_all (GHashTable *table)
{
  GHashTableIter iter;
  gpointer value;

  g_hash_table_iter_init (&iter, table);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    ((GstSrtpSdesSsrc *) value)->pinned = NULL;
}

/* Drops retiring sessions no SSRC is bound to any more. Stream lock. */
static void
prune_sessions (DecStream *stream)
{
  for (guint i = 0; i < stream->sessions->len;) {
    DecSession *ds = g_ptr_array_index (stream->sessions, i);

    if (!ds->active && ds->bound == 0) {
      dec_session_free (ds);
      g_ptr_array_remove_index (stream->sessions, i);
    } else {
      i++;
    }
  }
}

/* Frees what one pad pair keeps of @ssrc: its RTP and RTCP state (and
 * binding), the session of its own key and its stream in every shared
 * session (tried keys may have one too). Stream lock. */
static gboolean
dec_stream_forget_ssrc (DecStream *stream, guint32 ssrc)
{
  GHashTable *tables[2] = { stream->rtp_ssrcs, stream->rtcp_ssrcs };
  gpointer k = GUINT_TO_POINTER (ssrc);
  gboolean known = FALSE;

  for (guint t = 0; t < 2; t++) {
    GstSrtpSdesSsrc *state = g_hash_table_lookup (tables[t], k);

    if (state == NULL)
      continue;
    unbind (state);
    if (stream->last_rtp == state)
      stream->last_rtp = NULL;
    if (stream->last_rtcp == state)
      stream->last_rtcp = NULL;
    g_hash_table_remove (tables[t], k);
    known = TRUE;
  }
  /* srtp_dealloc of the SSRC's own session. */
  known |= g_hash_table_remove (stream->ssrc_sessions[0], k);
  known |= g_hash_table_remove (stream->ssrc_sessions[1], k);
  /* Streams are keyed in network order; srtp_err_status_no_ctx where the
   * SSRC has none. */
  for (guint i = 0; i < stream->sessions->len; i++)
    srtp_remove_stream (((DecSession *) g_ptr_array_index (stream->sessions, i))->session,
        g_htonl (ssrc));
  /* A retiring key this SSRC alone kept alive goes now. */
  prune_sessions (stream);
  return known;
}

static gboolean
gst_srtp_sdes_dec_remove_ssrc (GstSrtpSdesDec *self, guint ssrc)
{
  gboolean known;

  /* No pin_gen change: a fresh per-SSRC state looks its key up anyway,
   * and thousands of other SSRCs need not look theirs up again. */
  GST_OBJECT_LOCK (self);
  known = g_hash_table_remove (self->ssrc_keys, GUINT_TO_POINTER (ssrc));
  GST_OBJECT_UNLOCK (self);

  for (guint i = 0; i < 2; i++) {
    DecStream *stream = &self->streams[i];

    g_mutex_lock (&stream->lock);
    known |= dec_stream_forget_ssrc (stream, ssrc);
    g_mutex_unlock (&stream->lock);
  }
  GST_DEBUG_OBJECT (self, "SSRC %08x removed (%s)", ssrc, known ? "known" : "unknown");
  return known;
}

/* Brings the stream's sessions in line with the element's keys. Must be
 * called with the stream lock; takes the object lock briefly. */
static void
dec_stream_sync (GstSrtpSdesDec *self, DecStream *stream)
{
  GPtrArray *keys;
  guint clear_gen, window;

  stream->pin_gen = (guint) g_atomic_int_get (&self->pin_gen);
  if (G_LIKELY (stream->keys_gen == (guint) g_atomic_int_get (&self->keys_gen)))
    return;
  GST_OBJECT_LOCK (self);
  keys = g_ptr_array_new_full (self->keys->len, (GDestroyNotify) gst_srtp_sdes_key_unref);
  for (guint i = 0; i < self->keys->len; i++)
    g_ptr_array_add (keys, gst_srtp_sdes_key_ref (g_ptr_array_index (self->keys, i)));
  clear_gen = self->clear_gen;
  window = self->replay_window_size;
  stream->keys_gen = (guint) self->keys_gen;
  GST_OBJECT_UNLOCK (self);

  stream->window = window;
  if (clear_gen != stream->clear_gen) {
    /* clear-crypto forgets the retiring keys too. */
    unbind_all (stream->rtp_ssrcs);
    unbind_all (stream->rtcp_ssrcs);
    unpin_all (stream->rtp_ssrcs);
    unpin_all (stream->rtcp_ssrcs);
    g_hash_table_remove_all (stream->ssrc_sessions[0]);
    g_hash_table_remove_all (stream->ssrc_sessions[1]);
    stream->clear_gen = clear_gen;
  }

  for (guint i = 0; i < stream->sessions->len; i++) {
    DecSession *ds = g_ptr_array_index (stream->sessions, i);

    ds->active = g_ptr_array_find (keys, ds->key, NULL);
  }
  prune_sessions (stream);

  for (guint i = 0; i < keys->len; i++) {
    GstSrtpSdesKey *key = g_ptr_array_index (keys, i);
    g_autoptr (GError) error = NULL;
    gboolean found = FALSE;
    DecSession *ds;
    srtp_t session;

    for (guint j = 0; j < stream->sessions->len && !found; j++)
      found = ((DecSession *) g_ptr_array_index (stream->sessions, j))->key == key;
    if (found)
      continue;
    session = gst_srtp_sdes_key_create_session (key, ssrc_any_inbound, 0, window, &error);
    if (session == NULL) {
      GST_WARNING_OBJECT (self, "%s", error->message);
      continue;
    }
    ds = g_new0 (DecSession, 1);
    ds->key = gst_srtp_sdes_key_ref (key);
    ds->session = session;
    ds->active = TRUE;
    g_ptr_array_add (stream->sessions, ds);
    GST_DEBUG_OBJECT (self, "%s: session for %s", stream->rtcp_pad ? "rtcp" : "rtp",
        key->redacted);
  }
  g_ptr_array_unref (keys);
  stream->n_active = 0;
  for (guint i = 0; i < stream->sessions->len; i++)
    stream->n_active += ((DecSession *) g_ptr_array_index (stream->sessions, i))->active;
}

typedef enum {
  TRY_OK,
  TRY_AUTH,    /* authentication failed (or unknown MKI): another key may fit */
  TRY_REPLAY,
  TRY_LIMIT,   /* key lifetime exhausted */
  TRY_INVALID,
} TryResult;

/* Unprotects @data in place with one session. @carry_roc: the SSRC is not
 * bound to @ds yet, so the new context starts at the ROC the SSRC already
 * reached (PEERS §2.1, RFC 4568 §7.1.4). Stream lock. */
static TryResult
try_session (DecStream *stream, DecSession *ds, GstSrtpSdesSsrc *state,
             guint8 *data, gsize size, gint *len, gboolean rtcp, guint16 seq,
             gboolean carry_roc, GSList **messages)
{
  GstSrtpSdesKey *key = ds->key;
  guint mki_index = gst_srtp_sdes_key_mki_index_in_packet (key, data, size, rtcp);
  srtp_err_status_t err;
  GstSrtpSdesLimit limit;
  guint64 used, hard;

  if (!rtcp && carry_roc && (state->seen || state->initial_roc != 0)) {
    guint32 roc = gst_srtp_sdes_guess_roc (state, seq);

    if (srtp_set_stream_roc (ds->session, state->ssrc, roc) != srtp_err_status_ok &&
        roc != 0 && gst_srtp_sdes_key_add_stream (key, ds->session, state->ssrc,
            stream->window))
      srtp_set_stream_roc (ds->session, state->ssrc, roc);
  }

  *len = (gint) size;
  if (rtcp)
    err = srtp_unprotect_rtcp_mki (ds->session, data, len, key->mki_size > 0);
  else
    err = srtp_unprotect_mki (ds->session, data, len, key->mki_size > 0);

  switch (err) {
    case srtp_err_status_ok:
      break;
    case srtp_err_status_auth_fail:
    case srtp_err_status_bad_mki:
    case srtp_err_status_cipher_fail:
      return TRY_AUTH;
    case srtp_err_status_replay_fail:
    case srtp_err_status_replay_old:
    case srtp_err_status_pkt_idx_old:
      return TRY_REPLAY;
    default:
      return TRY_INVALID;
  }

  /* RFC 3711 §9.2: the receiver enforces the lifetime too. */
  limit = gst_srtp_sdes_key_count (key, mki_index, rtcp, &used, &hard);
  if (limit == GST_SRTP_SDES_LIMIT_SOFT || limit == GST_SRTP_SDES_LIMIT_HARD)
    *messages = g_slist_append (*messages,
        gst_srtp_sdes_key_limit_message (key, limit, mki_index, rtcp, used, hard));
  if (limit == GST_SRTP_SDES_LIMIT_HARD || limit == GST_SRTP_SDES_LIMIT_EXHAUSTED)
    return TRY_LIMIT;
  return TRY_OK;
}

/* Issue 9: looks up the key given for this SSRC alone (one hash lookup,
 * only when the per-SSRC keys changed since the SSRC last looked) and
 * makes its session on the SSRC's first packet. Stream lock; takes the
 * object lock briefly. */
static void
dec_resolve_pin (GstSrtpSdesDec *self, DecStream *stream, GstSrtpSdesSsrc *state)
{
  GHashTable *sessions = stream->ssrc_sessions[state->rtcp ? 1 : 0];
  DecSession *ds = g_hash_table_lookup (sessions, GUINT_TO_POINTER (state->ssrc));
  g_autoptr (GError) error = NULL;
  GstSrtpSdesKey *key;
  srtp_t session;

  state->pin_gen = stream->pin_gen;
  GST_OBJECT_LOCK (self);
  key = g_hash_table_lookup (self->ssrc_keys, GUINT_TO_POINTER (state->ssrc));
  if (key != NULL)
    gst_srtp_sdes_key_ref (key);
  GST_OBJECT_UNLOCK (self);

  if (ds != NULL && ds->key == key) {
    state->pinned = ds;
    gst_srtp_sdes_key_unref (key);
    return;
  }
  if (ds != NULL) {
    /* Replaced or removed: the new key takes over at once, and the ROC
     * is carried into its session by try_session (PEERS §2.1). */
    if (state->binding == ds)
      unbind (state);
    state->pinned = NULL;
    g_hash_table_remove (sessions, GUINT_TO_POINTER (state->ssrc));
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
  ds = g_new0 (DecSession, 1);
  ds->key = key;
  ds->session = session;
  g_hash_table_insert (sessions, GUINT_TO_POINTER (state->ssrc), ds);
  state->pinned = ds;
  GST_DEBUG_OBJECT (self, "SSRC %08x: bound to %s", state->ssrc, key->redacted);
}

typedef enum {
  DECODE_PUSH,
  DECODE_DROP,
  DECODE_NEED_KEY,
} DecodeResult;

/* The per-SSRC state of a packet; the previous packet's in the common case.
 * Stream lock. */
static GstSrtpSdesSsrc *
dec_stream_ssrc (DecStream *stream, guint32 ssrc, gboolean rtcp)
{
  GstSrtpSdesSsrc **last = rtcp ? &stream->last_rtcp : &stream->last_rtp;
  GHashTable *table = rtcp ? stream->rtcp_ssrcs : stream->rtp_ssrcs;
  GstSrtpSdesSsrc *state = *last;

  if (G_LIKELY (state != NULL && state->ssrc == ssrc))
    return state;
  state = g_hash_table_lookup (table, GUINT_TO_POINTER (ssrc));
  if (state == NULL) {
    state = gst_srtp_sdes_ssrc_new (ssrc, rtcp);
    g_hash_table_insert (table, GUINT_TO_POINTER (ssrc), state);
  }
  *last = state;
  return state;
}

/* Decodes one packet in place. Stream lock held; never releases it.
 *
 * Issue 9: the packet is mapped once, in its own memory (a pool copy only
 * when it is not writable), and nothing beyond counter increments happens
 * per packet unless something goes wrong. */
static DecodeResult
dec_decode (GstSrtpSdesDec *self, DecStream *stream, GstBuffer **bufp,
            GSList **messages)
{
  GstBuffer *buf = *bufp;
  gsize size = gst_buffer_get_size (buf);
  gboolean rtcp;
  guint32 ssrc;
  guint16 seq = 0;
  GstSrtpSdesSsrc *state;
  DecSession *bound, *pinned, *winner = NULL;
  GstMemory *mem;
  GstMapInfo map;
  TryResult res = TRY_AUTH, r;
  guint n_candidates;
  gint len = 0;
  gboolean saved = FALSE;

  if (G_UNLIKELY (size < 8 || size > G_MAXINT))
    goto invalid;
  buf = *bufp = gst_srtp_sdes_buffer_make_room (buf, 0, stream->pool);
  mem = gst_buffer_peek_memory (buf, 0);
  if (G_UNLIKELY (!gst_memory_map (mem, &map, GST_MAP_READWRITE)))
    goto invalid;
  if (G_UNLIKELY ((map.data[0] & 0xc0) != 0x80))
    goto invalid_mapped;
  rtcp = stream->rtcp_pad || gst_srtp_sdes_packet_is_rtcp (map.data, size);
  if (G_UNLIKELY (!rtcp && size < 12))
    goto invalid_mapped;
  ssrc = GST_READ_UINT32_BE (map.data + (rtcp ? 4 : 8));
  if (!rtcp)
    seq = GST_READ_UINT16_BE (map.data + 2);

  state = dec_stream_ssrc (stream, ssrc, rtcp);
  if (G_UNLIKELY (state->pin_gen != stream->pin_gen))
    dec_resolve_pin (self, stream, state);
  bound = state->binding;
  pinned = state->pinned;

  if (pinned != NULL) {
    /* add-crypto-for-ssrc: this SSRC's key only, no trial of the others. */
    r = try_session (stream, pinned, state, map.data, size, &len, rtcp, seq,
        pinned != bound, messages);
    if (r == TRY_OK)
      winner = pinned;
    else
      res = r;
    goto decoded;
  }

  n_candidates = stream->n_active + (bound != NULL && !bound->active);
  if (G_UNLIKELY (n_candidates == 0)) {
    gst_memory_unmap (mem, &map);
    /* Stock srtpdec compatibility: ask the application once per key set. */
    if (state->key_request_gen != stream->keys_gen &&
        g_signal_has_handler_pending (self, signals[SIGNAL_REQUEST_KEY], 0, FALSE)) {
      state->key_request_gen = stream->keys_gen;
      return DECODE_NEED_KEY;
    }
    state->unknown_key_drops++;
    goto auth_failed;
  }

  /* The bound key first, then every other active key: an SSRC moves to a
   * new key only when one of its packets authenticates with it. */
  for (gint i = -1; i < (gint) stream->sessions->len && winner == NULL; i++) {
    DecSession *ds = i < 0 ? bound : g_ptr_array_index (stream->sessions, i);

    if (ds == NULL || (i >= 0 && (ds == bound || !ds->active)))
      continue;
    if (n_candidates > 1) {
      /* A failed AEAD try has already decrypted in place. */
      if (!saved) {
        g_byte_array_set_size (stream->scratch, 0);
        g_byte_array_append (stream->scratch, map.data, size);
        saved = TRUE;
      } else {
        memcpy (map.data, stream->scratch->data, size);
      }
    }
    r = try_session (stream, ds, state, map.data, size, &len, rtcp, seq,
        ds != bound, messages);
    if (r == TRY_OK)
      winner = ds;
    else if (res == TRY_AUTH)
      res = r; /* the most telling failure wins: replay/limit over auth */
    /* A replayed packet of a bound SSRC is not an attempt at another key. */
    if (r == TRY_REPLAY && ds == bound)
      break;
  }
decoded:
  gst_memory_unmap (mem, &map);

  if (G_UNLIKELY (winner == NULL)) {
    switch (res) {
      case TRY_REPLAY:
        state->replay_drops++;
        GST_LOG_OBJECT (self, "SSRC %08x: replayed packet dropped", ssrc);
        break;
      case TRY_LIMIT:
        state->limit_drops++;
        break;
      case TRY_INVALID:
        state->invalid_drops++;
        break;
      case TRY_AUTH:
      case TRY_OK:
      default:
        if (bound || pinned)
          state->auth_failures++;
        else
          state->unknown_key_drops++;
        goto auth_failed;
    }
    return DECODE_DROP;
  }

  if (G_UNLIKELY (winner != bound)) {
    if (bound)
      GST_DEBUG_OBJECT (self, "SSRC %08x moves to key %s", ssrc, winner->key->redacted);
    unbind (state);
    state->binding = winner;
    winner->bound++;
    gst_srtp_sdes_key_unref (state->key);
    state->key = gst_srtp_sdes_key_ref (winner->key);
    if (bound && !bound->active)
      prune_sessions (stream);
  }
  gst_srtp_sdes_buffer_set_packet_size (buf, (gsize) len);
  state->packets++;
  state->bytes += len;
  if (!rtcp)
    gst_srtp_sdes_ssrc_track_seq (state, seq);
  if (G_UNLIKELY (!state->secure_announced)) {
    state->secure_announced = TRUE;
    *messages = g_slist_append (*messages, gst_srtp_sdes_secure_message (state));
  }
  return DECODE_PUSH;

auth_failed:
  {
    gint64 now = g_get_monotonic_time ();

    GST_LOG_OBJECT (self, "SSRC %08x: packet failed authentication (%s)", ssrc,
        bound || pinned ? "bound key" : "no key");
    if (state->last_auth_failure_message == 0 ||
        now - state->last_auth_failure_message >= GST_SRTP_SDES_AUTH_FAILURE_INTERVAL) {
      state->last_auth_failure_message = now;
      *messages = g_slist_append (*messages, gst_srtp_sdes_auth_failure_message (state,
              bound || pinned ? "authentication" : "unknown-key"));
    }
  }
  return DECODE_DROP;

invalid_mapped:
  gst_memory_unmap (mem, &map);
invalid:
  stream->invalid_drops++;
  GST_LOG_OBJECT (self, "dropping a %" G_GSIZE_FORMAT "-byte packet that is not SRTP/SRTCP",
      size);
  return DECODE_DROP;
}

/* Emits request-key. Must be called with NO lock held (stock srtpdec
 * emits it under its object lock, so a handler reading a property
 * deadlocks). */
static void
request_key (GstSrtpSdesDec *self, guint32 ssrc)
{
  GstCaps *caps = NULL;

  g_signal_emit (self, signals[SIGNAL_REQUEST_KEY], 0, ssrc, &caps);
  if (caps == NULL)
    return;
  if (gst_caps_get_size (caps) > 0 &&
      gst_structure_has_field (gst_caps_get_structure (caps, 0), "srtp-key"))
    set_caps_key (self, gst_caps_get_structure (caps, 0));
  gst_caps_unref (caps);
}

static guint32
packet_ssrc (DecStream *stream, GstBuffer *buf)
{
  guint8 hdr[12];
  gsize n = gst_buffer_extract (buf, 0, hdr, sizeof (hdr));

  if (n >= 8 && (stream->rtcp_pad || gst_srtp_sdes_packet_is_rtcp (hdr, n)))
    return GST_READ_UINT32_BE (hdr + 4);
  return n >= 12 ? GST_READ_UINT32_BE (hdr + 8) : 0;
}

/* Decodes one packet. Called with the stream lock; releases and retakes
 * it around request-key. Returns the buffer to push or NULL. */
static GstBuffer *
dec_process (GstSrtpSdesDec *self, DecStream *stream, GstBuffer *buf,
             GSList **messages)
{
  DecodeResult res;

  dec_stream_sync (self, stream);
  res = dec_decode (self, stream, &buf, messages);
  if (res == DECODE_NEED_KEY) {
    guint32 ssrc = packet_ssrc (stream, buf);

    g_mutex_unlock (&stream->lock);
    request_key (self, ssrc);
    g_mutex_lock (&stream->lock);
    dec_stream_sync (self, stream);
    res = dec_decode (self, stream, &buf, messages);
  }
  if (res != DECODE_PUSH) {
    gst_buffer_unref (buf);
    return NULL;
  }
  return buf;
}

static GstFlowReturn
gst_srtp_sdes_dec_chain (GstPad *pad, GstObject *parent, GstBuffer *buf)
{
  /* No GObject cast check per packet: the pad's parent is this element. */
  GstSrtpSdesDec *self = (GstSrtpSdesDec *) parent;
  DecStream *stream = gst_pad_get_element_private (pad);
  GSList *messages = NULL;

  g_mutex_lock (&stream->lock);
  buf = dec_process (self, stream, buf, &messages);
  g_mutex_unlock (&stream->lock);

  if (G_UNLIKELY (messages != NULL))
    gst_srtp_sdes_post_messages (GST_ELEMENT (self), messages);
  if (buf == NULL)
    return GST_FLOW_OK;
  return gst_pad_push (stream->srcpad, buf);
}

typedef struct {
  GstSrtpSdesDec *self;
  DecStream *stream;
  GSList *messages;
} DecListData;

static gboolean
dec_list_process (GstBuffer **buf, guint idx, gpointer user_data)
{
  DecListData *data = user_data;

  *buf = dec_process (data->self, data->stream, *buf, &data->messages);
  return TRUE;
}

static GstFlowReturn
gst_srtp_sdes_dec_chain_list (GstPad *pad, GstObject *parent, GstBufferList *list)
{
  GstSrtpSdesDec *self = (GstSrtpSdesDec *) parent;
  DecStream *stream = gst_pad_get_element_private (pad);
  DecListData data = { self, stream, NULL };

  list = gst_buffer_list_make_writable (list);
  g_mutex_lock (&stream->lock);
  gst_buffer_list_foreach (list, dec_list_process, &data);
  g_mutex_unlock (&stream->lock);

  if (G_UNLIKELY (data.messages != NULL))
    gst_srtp_sdes_post_messages (GST_ELEMENT (self), data.messages);
  if (gst_buffer_list_length (list) == 0) {
    gst_buffer_list_unref (list);
    return GST_FLOW_OK;
  }
  return gst_pad_push_list (stream->srcpad, list);
}
