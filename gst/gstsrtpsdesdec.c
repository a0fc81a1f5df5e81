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
 * Several remote keys can be active at once (forked early media):
 * #GstSrtpSdesDec::add-crypto adds one, #GstSrtpSdesDec::clear-crypto
 * removes all. A new SSRC is bound to the first key that authenticates its
 * packet; packets that authenticate with no key are dropped and counted as
 * unknown-key drops. Setting #GstSrtpSdesDec:crypto while PLAYING replaces
 * the keys, but an SSRC keeps using its old key until one of its packets
 * authenticates with a new one, and its ROC continues (RFC 4568 §7.1.4).
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

#include "gstsrtpsdescaps.h"
#include "gstsrtpsdesroc.h"
#include "gstsrtpsdesstream.h"

GST_DEBUG_CATEGORY_STATIC (gst_srtp_sdes_dec_debug);
#define GST_CAT_DEFAULT gst_srtp_sdes_dec_debug

#define DEC_STATS_NAME "application/x-srtpsdes-dec-stats"

enum {
  SIGNAL_ADD_CRYPTO,
  SIGNAL_CLEAR_CRYPTO,
  SIGNAL_REQUEST_KEY,
  LAST_SIGNAL
};

static guint signals[LAST_SIGNAL];

/* One pad pair: the stream core and the sessions of the remote keys, one
 * GstSrtpSdesSession per key for any inbound SSRC, in the order the keys
 * were added (a key replaced by a rekey stays, retiring, while SSRCs are
 * bound to it). The core's lock guards everything here; it is released
 * around request-key. */
typedef struct {
  GstSrtpSdesStream core;
  GPtrArray *sessions;
  guint keys_gen;
  guint clear_gen;
  GByteArray *scratch;    /* the packet before a failed try, for AEAD retries */
  /* Sessions with active keys: a packet's candidates without a walk. */
  guint n_active;
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
  /* last-error, replay-window-size and the keys bound to one SSRC up front
   * (add-crypto-for-ssrc) */
  GstSrtpSdesKeyring ring;
};

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
static GstBuffer *dec_process (GstSrtpSdesStream *core, GstBuffer *buf, GSList **messages);
static void dec_forget_ssrc (GstSrtpSdesStream *core, guint32 ssrc);
static void dec_sink_caps (GstSrtpSdesStream *core, const GstStructure *s);

static void dec_set_crypto (GstElement *element, GstSrtpSdesKey *key);
static gchar *dec_dup_crypto (GstElement *element);
static guint64 dec_append_stats (GstElement *element, GValue *streams);
static void dec_add_stats (GstElement *element, GstStructure *s);
static GstStateChangeReturn gst_srtp_sdes_dec_change_state (GstElement *element,
    GstStateChange transition);

G_DEFINE_TYPE_WITH_CODE (GstSrtpSdesDec, gst_srtp_sdes_dec, GST_TYPE_ELEMENT,
    GST_DEBUG_CATEGORY_INIT (gst_srtp_sdes_dec_debug, "srtpsdesdec", 0,
        "SRTP decoder keyed by a=crypto"));
GST_ELEMENT_REGISTER_DEFINE_WITH_CODE (srtpsdesdec, "srtpsdesdec", GST_RANK_NONE,
    GST_TYPE_SRTP_SDES_DEC, gst_srtp_sdes_init_once ());

/* Long only for its gtk-doc blocks (the documentation of every property
 * and signal); the code itself is under 50 lines. */
static void
gst_srtp_sdes_dec_class_init (GstSrtpSdesDecClass *klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);

  gst_srtp_sdes_init_once ();

  gst_srtp_sdes_stream_add_pad_templates (element_class, FALSE, GST_TYPE_PAD);
  element_class->change_state = GST_DEBUG_FUNCPTR (gst_srtp_sdes_dec_change_state);

  gobject_class->set_property = gst_srtp_sdes_dec_set_property;
  gobject_class->get_property = gst_srtp_sdes_dec_get_property;
  gobject_class->finalize = gst_srtp_sdes_dec_finalize;

  /**
   * GstSrtpSdesDec:crypto:
   *
   * The remote RFC 4568 a=crypto value. Setting it replaces every key
   * (also those of #GstSrtpSdesDec::add-crypto); while PLAYING an SSRC keeps
   * its old key until a packet authenticates with the new one, and its ROC
   * continues (RFC 4568 §7.1.4). Reading returns the redacted value
   * ("inline:<redacted>"): the decoder never gives key material back.
   * Refused values keep the old keys; #GstSrtpSdesDec:last-error says why.
   * A value refused before the element starts (set in NULL or READY state)
   * also makes the next start fail with an error message carrying that
   * GError, until a usable value (or none) is set.
   *
   * Since: 0.1
   */
  /**
   * GstSrtpSdesDec:replay-window-size:
   *
   * Replay window when the a=crypto value has no WSH (Cisco Table 47: 64).
   *
   * Since: 0.1
   */
  /**
   * GstSrtpSdesDec:stats:
   *
   * application/x-srtpsdes-dec-stats: keys (active keys), ssrc-keys (keys
   * bound to one SSRC by #GstSrtpSdesDec::add-crypto-for-ssrc), stun-drops
   * (STUN messages on the media port, RFC 7983 §7: keep-alives of peers
   * such as liblinphone, dropped but not junk), invalid-drops (other
   * packets that are not SRTP/SRTCP) and "streams", an array of
   * application/x-srtpsdes-stream: ssrc, rtcp, packets, bytes,
   * auth-failures, replay-drops, unknown-key-drops, limit-drops,
   * invalid-drops, roc-guesses, roc-guess-hits, srtcp-tag32 (SRTCP packets
   * accepted with a 32-bit tag under a _32 suite, see below), roc, suite,
   * tag. Never key bytes.
   *
   * SRTCP under a _32 suite has an 80-bit tag (RFC 3711 §4.2, RFC 4568
   * §6.2), but some peers (liblinphone 5.1) send it with a 32-bit tag. A
   * packet the 80-bit form refuses is tried in the 32-bit form too, and
   * the form that authenticated an SSRC's last packet is tried first for
   * the next. A packet authenticating in neither is dropped as usual.
   *
   * Since: 0.1
   */
  gst_srtp_sdes_keyring_install_properties (gobject_class, DEC_STATS_NAME,
      "The remote key: setting it replaces all keys, an SSRC keeps its old key until the "
      "new one authenticates. Reads back redacted.", "keys, ssrc-keys, stun-drops, ");

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
  gst_srtp_sdes_keyring_install_signals (gobject_class,
      G_CALLBACK (gst_srtp_sdes_dec_add_crypto_for_ssrc),
      G_CALLBACK (gst_srtp_sdes_dec_remove_ssrc));

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
      "GST_MESSAGE_WARNING: an a=crypto value or caps key was refused; "
      "GST_MESSAGE_ERROR: the 'crypto' value set before starting was refused");
}

static const GstSrtpSdesStreamFuncs dec_stream_funcs = {
  .to_secure = FALSE,
  /* Nothing per list: dec_process syncs the keys per packet, since
   * request-key may change them in the middle of a list. */
  .prepare = NULL,
  .process = dec_process,
  .forget_ssrc = dec_forget_ssrc,
  .sink_caps = dec_sink_caps,
};

static const GstSrtpSdesKeyringFuncs dec_keyring_funcs = {
  .stats_name = DEC_STATS_NAME,
  .set_crypto = dec_set_crypto,
  .dup_crypto = dec_dup_crypto,
  .append_stats = dec_append_stats,
  .add_stats = dec_add_stats,
};

static void
dec_stream_init (GstSrtpSdesDec *self, DecStream *stream, gboolean rtcp)
{
  GstElementClass *klass = GST_ELEMENT_GET_CLASS (self);
  const gchar *sink_name = rtcp ? "rtcp_sink" : "rtp_sink";
  const gchar *src_name = rtcp ? "rtcp_src" : "rtp_src";

  stream->sessions = g_ptr_array_new_with_free_func ((GDestroyNotify) gst_srtp_sdes_session_free);
  stream->scratch = g_byte_array_new ();
  gst_srtp_sdes_stream_init (&stream->core, &dec_stream_funcs, GST_ELEMENT (self), &self->ring,
      rtcp, gst_pad_new_from_template (gst_element_class_get_pad_template (klass, sink_name),
          sink_name),
      gst_pad_new_from_template (gst_element_class_get_pad_template (klass, src_name),
          src_name));
  gst_element_add_pad (GST_ELEMENT (self), stream->core.sinkpad);
  gst_element_add_pad (GST_ELEMENT (self), stream->core.srcpad);
}

static void
gst_srtp_sdes_dec_init (GstSrtpSdesDec *self)
{
  self->keys = g_ptr_array_new_with_free_func ((GDestroyNotify) gst_srtp_sdes_key_unref);
  self->keys_gen = 1;
  gst_srtp_sdes_keyring_init (&self->ring, &dec_keyring_funcs, GST_ELEMENT (self));
  dec_stream_init (self, &self->streams[0], FALSE);
  dec_stream_init (self, &self->streams[1], TRUE);
}

static void
gst_srtp_sdes_dec_finalize (GObject *object)
{
  GstSrtpSdesDec *self = GST_SRTP_SDES_DEC (object);

  for (guint i = 0; i < 2; i++) {
    g_ptr_array_unref (self->streams[i].sessions);
    g_byte_array_unref (self->streams[i].scratch);
    gst_srtp_sdes_stream_clear (&self->streams[i].core);
  }
  g_ptr_array_unref (self->keys);
  gst_srtp_sdes_keyring_clear (&self->ring);
  gst_srtp_sdes_key_unref (self->caps_key);
  G_OBJECT_CLASS (gst_srtp_sdes_dec_parent_class)->finalize (object);
}

/* ------------------------------------------------------------------------- */
/* Keys                                                                       */
/* ------------------------------------------------------------------------- */

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
dec_set_crypto (GstElement *element, GstSrtpSdesKey *key)
{
  GstSrtpSdesDec *self = GST_SRTP_SDES_DEC (element);

  GST_OBJECT_LOCK (self);
  /* Keys that disappear here retire per SSRC in the streams. */
  g_ptr_array_set_size (self->keys, 0);
  g_clear_pointer (&self->caps_key, gst_srtp_sdes_key_unref);
  if (key)
    g_ptr_array_add (self->keys, key);
  g_atomic_int_inc (&self->keys_gen);
  g_clear_pointer (&self->ring.last_error, g_free);
  GST_OBJECT_UNLOCK (self);
}

static gboolean
gst_srtp_sdes_dec_add_crypto (GstSrtpSdesDec *self, const gchar *text)
{
  GstSrtpSdesKey *key = gst_srtp_sdes_keyring_parse (&self->ring, "add-crypto", text);

  if (key == NULL)
    return FALSE;
  GST_INFO_OBJECT (self, "adding remote key %s", key->redacted);
  GST_OBJECT_LOCK (self);
  if (!has_key_locked (self, key)) {
    g_ptr_array_add (self->keys, key);
    g_atomic_int_inc (&self->keys_gen);
    key = NULL;
  }
  g_clear_pointer (&self->ring.last_error, g_free);
  GST_OBJECT_UNLOCK (self);
  gst_srtp_sdes_key_unref (key);
  return TRUE;
}

static gboolean
gst_srtp_sdes_dec_add_crypto_for_ssrc (GstSrtpSdesDec *self, guint ssrc, const gchar *text)
{
  return gst_srtp_sdes_keyring_add_for_ssrc (&self->ring, ssrc, text);
}

static void
gst_srtp_sdes_dec_clear_crypto (GstSrtpSdesDec *self)
{
  GST_INFO_OBJECT (self, "clearing all keys");
  GST_OBJECT_LOCK (self);
  g_hash_table_remove_all (self->ring.ssrc_keys);
  g_atomic_int_inc (&self->ring.pin_gen);
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
    gst_srtp_sdes_keyring_refuse (&self->ring, "caps key", error);
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

static guint64
dec_append_stats (GstElement *element, GValue *streams)
{
  GstSrtpSdesDec *self = GST_SRTP_SDES_DEC (element);

  return gst_srtp_sdes_stream_append_stats (&self->streams[0].core, streams) +
      gst_srtp_sdes_stream_append_stats (&self->streams[1].core, streams);
}

static void
dec_add_stats (GstElement *element, GstStructure *s)
{
  GstSrtpSdesDec *self = GST_SRTP_SDES_DEC (element);
  guint n_keys, n_ssrc_keys;
  guint64 stun = 0;

  GST_OBJECT_LOCK (self);
  n_keys = self->keys->len;
  n_ssrc_keys = g_hash_table_size (self->ring.ssrc_keys);
  GST_OBJECT_UNLOCK (self);
  for (guint i = 0; i < 2; i++) {
    g_mutex_lock (&self->streams[i].core.lock);
    stun += self->streams[i].core.stun_drops;
    g_mutex_unlock (&self->streams[i].core.lock);
  }
  gst_structure_set (s, "keys", G_TYPE_UINT, n_keys, "ssrc-keys", G_TYPE_UINT, n_ssrc_keys,
      "stun-drops", G_TYPE_UINT64, stun, NULL);
}

/* The decoder never gives key material back: the first key, redacted. */
static gchar *
dec_dup_crypto (GstElement *element)
{
  GstSrtpSdesDec *self = GST_SRTP_SDES_DEC (element);
  gchar *text = NULL;

  GST_OBJECT_LOCK (self);
  if (self->keys->len > 0)
    text = g_strdup (((GstSrtpSdesKey *) g_ptr_array_index (self->keys, 0))->redacted);
  GST_OBJECT_UNLOCK (self);
  return text;
}

static void
gst_srtp_sdes_dec_set_property (GObject *object, guint prop_id,
                                const GValue *value, GParamSpec *pspec)
{
  gst_srtp_sdes_keyring_set_property (&GST_SRTP_SDES_DEC (object)->ring, prop_id, value,
      pspec);
}

static void
gst_srtp_sdes_dec_get_property (GObject *object, guint prop_id,
                                GValue *value, GParamSpec *pspec)
{
  gst_srtp_sdes_keyring_get_property (&GST_SRTP_SDES_DEC (object)->ring, prop_id, value,
      pspec);
}

/* ------------------------------------------------------------------------- */
/* Pads                                                                       */
/* ------------------------------------------------------------------------- */

/* Stock srtpdec caps: a key in srtp-* fields, and "roc", the rollover
 * counter the caps' SSRC is at, for a receiver that joins a running
 * stream. No lock held. */
static void
dec_sink_caps (GstSrtpSdesStream *core, const GstStructure *s)
{
  guint roc, ssrc;

  if (gst_structure_has_field (s, "srtp-key"))
    set_caps_key ((GstSrtpSdesDec *) core->element, s);
  if (!core->rtcp_pad && gst_structure_get_uint (s, "roc", &roc) &&
      gst_structure_get_uint (s, "ssrc", &ssrc)) {
    GstSrtpSdesSsrc *state;

    g_mutex_lock (&core->lock);
    state = gst_srtp_sdes_stream_ssrc (core, ssrc, FALSE);
    if (!state->seen)
      state->initial_roc = roc;
    g_mutex_unlock (&core->lock);
  }
}

/* ------------------------------------------------------------------------- */
/* Streaming                                                                  */
/* ------------------------------------------------------------------------- */

static void
unbind_all (GHashTable *table)
{
  GHashTableIter iter;
  gpointer value;

  g_hash_table_iter_init (&iter, table);
  while (g_hash_table_iter_next (&iter, NULL, &value)) {
    gst_srtp_sdes_ssrc_unbind (value);
    ((GstSrtpSdesSsrc *) value)->pinned = NULL;
  }
}

/* Drops retiring sessions no SSRC is bound to any more. Stream lock. */
static void
prune_sessions (DecStream *stream)
{
  for (guint i = 0; i < stream->sessions->len;) {
    GstSrtpSdesSession *ds = g_ptr_array_index (stream->sessions, i);

    if (!ds->active && ds->bound == 0)
      g_ptr_array_remove_index (stream->sessions, i); /* frees it */
    else
      i++;
  }
}

/* The SSRC's stream in every shared session (tried keys may have one
 * too): streams are keyed in network order, srtp_err_status_no_ctx where
 * the SSRC has none. Stream lock. */
static void
dec_forget_ssrc (GstSrtpSdesStream *core, guint32 ssrc)
{
  DecStream *stream = (DecStream *) core;

  for (guint i = 0; i < stream->sessions->len; i++) {
    GstSrtpSdesSession *ds = g_ptr_array_index (stream->sessions, i);

    srtp_remove_stream (ds->session, g_htonl (ssrc));
    if (ds->session_tag32)
      srtp_remove_stream (ds->session_tag32, g_htonl (ssrc));
    if (ds->session_srtcp)
      srtp_remove_stream (ds->session_srtcp, g_htonl (ssrc));
  }
  /* A retiring key this SSRC alone kept alive goes now. */
  prune_sessions (stream);
}

static gboolean
gst_srtp_sdes_dec_remove_ssrc (GstSrtpSdesDec *self, guint ssrc)
{
  gboolean known = gst_srtp_sdes_keyring_remove_ssrc (&self->ring, ssrc);

  for (guint i = 0; i < 2; i++)
    known |= gst_srtp_sdes_stream_forget_ssrc (&self->streams[i].core, ssrc);
  GST_DEBUG_OBJECT (self, "SSRC %08x removed (%s)", ssrc, known ? "known" : "unknown");
  return known;
}

/* Adds a session for each of @keys the stream has none for yet. Stream
 * lock. */
static void
dec_stream_add_sessions (DecStream *stream, GPtrArray *keys)
{
  for (guint i = 0; i < keys->len; i++) {
    GstSrtpSdesKey *key = g_ptr_array_index (keys, i);
    g_autoptr (GError) error = NULL;
    gboolean found = FALSE;
    GstSrtpSdesSession *ds;
    srtp_t session;

    for (guint j = 0; j < stream->sessions->len && !found; j++)
      found = ((GstSrtpSdesSession *) g_ptr_array_index (stream->sessions, j))->key == key;
    if (found)
      continue;
    session = gst_srtp_sdes_key_create_session (key, ssrc_any_inbound, 0, stream->core.window,
        FALSE, &error);
    if (session == NULL) {
      GST_WARNING_OBJECT (stream->core.element, "%s", error->message);
      continue;
    }
    ds = gst_srtp_sdes_session_new (gst_srtp_sdes_key_ref (key), session);
    ds->active = TRUE;
    g_ptr_array_add (stream->sessions, ds);
    GST_DEBUG_OBJECT (stream->core.element, "%s: session for %s",
        stream->core.rtcp_pad ? "rtcp" : "rtp", key->redacted);
  }
}

/* Brings the stream's sessions in line with the element's keys. Must be
 * called with the stream lock; takes the object lock briefly. */
static void
dec_stream_sync (GstSrtpSdesDec *self, DecStream *stream)
{
  GstSrtpSdesStream *core = &stream->core;
  GPtrArray *keys;
  guint clear_gen, window;

  core->pin_gen = (guint) g_atomic_int_get (&self->ring.pin_gen);
  if (G_LIKELY (stream->keys_gen == (guint) g_atomic_int_get (&self->keys_gen)))
    return;
  GST_OBJECT_LOCK (self);
  keys = g_ptr_array_new_full (self->keys->len, (GDestroyNotify) gst_srtp_sdes_key_unref);
  for (guint i = 0; i < self->keys->len; i++)
    g_ptr_array_add (keys, gst_srtp_sdes_key_ref (g_ptr_array_index (self->keys, i)));
  clear_gen = self->clear_gen;
  window = self->ring.replay_window_size;
  stream->keys_gen = (guint) self->keys_gen;
  GST_OBJECT_UNLOCK (self);

  core->window = window;
  if (clear_gen != stream->clear_gen) {
    /* clear-crypto forgets the retiring keys too. */
    unbind_all (core->ssrcs[0]);
    unbind_all (core->ssrcs[1]);
    g_hash_table_remove_all (core->ssrc_sessions[0]);
    g_hash_table_remove_all (core->ssrc_sessions[1]);
    stream->clear_gen = clear_gen;
  }

  for (guint i = 0; i < stream->sessions->len; i++) {
    GstSrtpSdesSession *ds = g_ptr_array_index (stream->sessions, i);

    ds->active = g_ptr_array_find (keys, ds->key, NULL);
  }
  prune_sessions (stream);
  dec_stream_add_sessions (stream, keys);
  g_ptr_array_unref (keys);
  stream->n_active = 0;
  for (guint i = 0; i < stream->sessions->len; i++)
    stream->n_active += ((GstSrtpSdesSession *) g_ptr_array_index (stream->sessions,
            i))->active;
}

typedef enum {
  TRY_OK,
  TRY_AUTH,    /* authentication failed (or unknown MKI): another key may fit */
  TRY_REPLAY,
  TRY_LIMIT,   /* key lifetime exhausted */
  TRY_INVALID,
} TryResult;

/* SRTCP with @ds's key, in the 32-bit tag form with @tag32. Where
 * libsrtp2 would look for the MKI in the wrong place
 * (gst_srtp_sdes_key_srtcp_mki_misplaced()), and for the 32-bit form
 * always, a session for SRTCP alone, made on first use. Stream lock. */
static srtp_err_status_t
unprotect_srtcp (DecStream *stream, GstSrtpSdesSession *ds, gboolean tag32, guint8 *data,
                 gsize size, gint *len)
{
  srtp_t *session = &ds->session;

  if (tag32)
    session = &ds->session_tag32;
  else if (G_UNLIKELY (gst_srtp_sdes_key_srtcp_mki_misplaced (ds->key, FALSE)))
    session = &ds->session_srtcp;
  if (G_UNLIKELY (*session == NULL)) {
    g_autoptr (GError) error = NULL;

    *session = gst_srtp_sdes_key_create_srtcp_session (ds->key, stream->core.window, tag32,
        &error);
    if (*session == NULL) {
      GST_WARNING_OBJECT (stream->core.element, "%s", error->message);
      return srtp_err_status_fail;
    }
    GST_DEBUG_OBJECT (stream->core.element, "%s SRTCP tag session for %s",
        tag32 ? "32-bit" : "80-bit", ds->key->redacted);
  }
  *len = (gint) size;
  return srtp_unprotect_rtcp_mki (*session, data, len, ds->key->mki_size > 0);
}

/* SRTCP of a _32 suite: RFC 3711 §4.2 / RFC 4568 §6.2 give it an 80-bit
 * tag, but liblinphone 5.1 sends (and expects) a 32-bit one. The form the
 * SSRC's last packet authenticated with goes first, then the other; a
 * packet that neither authenticates is refused with what the SSRC's own
 * form said. Both forms fail an HMAC check without touching the packet
 * (AES-CM decrypts only after it), so the second try sees the packet as
 * received. Sets *@tag32 to the form that authenticated. Stream lock. */
static srtp_err_status_t
unprotect_srtcp_either_tag (DecStream *stream, GstSrtpSdesSession *ds,
                            GstSrtpSdesSsrc *state, guint8 *data, gsize size, gint *len,
                            gboolean *tag32)
{
  gboolean first = state->srtcp_tag32;
  srtp_err_status_t err, other;

  err = unprotect_srtcp (stream, ds, first, data, size, len);
  *tag32 = first;
  if (err == srtp_err_status_ok)
    return err;
  other = unprotect_srtcp (stream, ds, !first, data, size, len);
  if (other != srtp_err_status_ok)
    return err;
  *tag32 = !first;
  GST_DEBUG ("SSRC %08x: SRTCP authenticates with a %s tag", state->ssrc,
      *tag32 ? "32-bit" : "80-bit");
  return other;
}

/* Unprotects @data in place with one session (see
 * gst_srtp_sdes_session_unprotect()) and
 * counts it against the key's lifetime. Stream lock. */
static TryResult
try_session (DecStream *stream, GstSrtpSdesSession *ds, GstSrtpSdesSsrc *state,
             guint8 *data, gsize size, gint *len, gboolean rtcp, guint16 seq,
             gboolean carry_roc, GSList **messages)
{
  GstSrtpSdesKey *key = ds->key;
  gboolean either_tag = rtcp && gst_srtp_sdes_key_has_srtcp_tag32 (key);
  gboolean tag32 = FALSE;
  guint mki_index = 0;
  srtp_err_status_t err;
  GstSrtpSdesLimit limit;
  guint64 used, hard;

  if (G_LIKELY (!either_tag)) {
    mki_index = gst_srtp_sdes_key_mki_index_in_packet (key, data, size, rtcp, FALSE);
    if (rtcp)
      err = unprotect_srtcp (stream, ds, FALSE, data, size, len);
    else
      err = gst_srtp_sdes_session_unprotect (ds, state, stream->core.window, data, size, len,
          seq, carry_roc);
  } else {
    err = unprotect_srtcp_either_tag (stream, ds, state, data, size, len, &tag32);
    /* AES-CM leaves the trailer (index, MKI, tag) as it was. */
    if (err == srtp_err_status_ok)
      mki_index = gst_srtp_sdes_key_mki_index_in_packet (key, data, size, TRUE, tag32);
  }
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
  if (either_tag) {
    state->srtcp_tag32 = tag32;
    state->srtcp_tag32_packets += tag32;
  }
  return TRY_OK;
}

typedef enum {
  DECODE_PUSH,
  DECODE_DROP,
  DECODE_NEED_KEY,
} DecodeResult;

/* One packet being decoded: its mapped bytes and what dec_try_keys found. */
typedef struct {
  GstMapInfo map;
  gsize size;
  gboolean rtcp;
  guint16 seq;
  GstSrtpSdesSsrc *state;
  GstSrtpSdesSession *winner;
  TryResult res;
  gint len;
} DecPacket;

/* The bound key first, then every other active key: an SSRC moves to a
 * new key only when one of its packets authenticates with it. Stream lock. */
static void
dec_try_keys (DecStream *stream, DecPacket *pkt, guint n_candidates, GSList **messages)
{
  GstSrtpSdesSession *bound = pkt->state->binding;
  gboolean saved = FALSE;
  TryResult r;

  for (gint i = -1; i < (gint) stream->sessions->len && pkt->winner == NULL; i++) {
    GstSrtpSdesSession *ds = i < 0 ? bound : g_ptr_array_index (stream->sessions, i);

    if (ds == NULL || (i >= 0 && (ds == bound || !ds->active)))
      continue;
    if (n_candidates > 1) {
      /* A failed AEAD try has already decrypted in place. */
      if (!saved) {
        g_byte_array_set_size (stream->scratch, 0);
        g_byte_array_append (stream->scratch, pkt->map.data, pkt->size);
        saved = TRUE;
      } else {
        memcpy (pkt->map.data, stream->scratch->data, pkt->size);
      }
    }
    r = try_session (stream, ds, pkt->state, pkt->map.data, pkt->size, &pkt->len, pkt->rtcp,
        pkt->seq, ds != bound, messages);
    if (r == TRY_OK)
      pkt->winner = ds;
    else if (pkt->res == TRY_AUTH)
      pkt->res = r; /* the most telling failure wins: replay/limit over auth */
    /* A replayed packet of a bound SSRC is not an attempt at another key. */
    if (r == TRY_REPLAY && ds == bound)
      break;
  }
}

/* Counts a packet no key decoded, and posts srtpsdes-auth-failure at most
 * once a second per SSRC for authentication failures. Stream lock. */
static void
dec_count_drop (GstSrtpSdesSsrc *state, TryResult res, gboolean unknown_key,
                GSList **messages)
{
  gint64 now;

  switch (res) {
    case TRY_REPLAY:
      state->replay_drops++;
      GST_LOG ("SSRC %08x: replayed packet dropped", state->ssrc);
      return;
    case TRY_LIMIT:
      state->limit_drops++;
      return;
    case TRY_INVALID:
      state->invalid_drops++;
      return;
    case TRY_AUTH:
    case TRY_OK:
    default:
      if (unknown_key)
        state->unknown_key_drops++;
      else
        state->auth_failures++;
      break;
  }
  now = g_get_monotonic_time ();
  GST_LOG ("SSRC %08x: packet failed authentication (%s)", state->ssrc,
      unknown_key ? "no key" : "bound key");
  if (state->last_auth_failure_message == 0 ||
      now - state->last_auth_failure_message >= GST_SRTP_SDES_AUTH_FAILURE_INTERVAL) {
    state->last_auth_failure_message = now;
    *messages = g_slist_append (*messages, gst_srtp_sdes_auth_failure_message (state,
            unknown_key ? "unknown-key" : "authentication"));
  }
}

/* Binds the SSRC to the key that authenticated its packet and counts it.
 * Stream lock. */
static void
dec_accept (DecStream *stream, DecPacket *pkt, GSList **messages)
{
  GstSrtpSdesSsrc *state = pkt->state;
  GstSrtpSdesSession *bound = state->binding, *winner = pkt->winner;

  if (G_UNLIKELY (winner != bound)) {
    if (bound)
      GST_DEBUG ("SSRC %08x moves to key %s", state->ssrc, winner->key->redacted);
    gst_srtp_sdes_ssrc_unbind (state);
    state->binding = winner;
    winner->bound++;
    gst_srtp_sdes_key_unref (state->key);
    state->key = gst_srtp_sdes_key_ref (winner->key);
    if (bound && !bound->active)
      prune_sessions (stream);
  }
  state->packets++;
  state->bytes += pkt->len;
  if (!pkt->rtcp)
    gst_srtp_sdes_ssrc_track_seq (state, pkt->seq);
  if (G_UNLIKELY (!state->secure_announced)) {
    state->secure_announced = TRUE;
    *messages = g_slist_append (*messages, gst_srtp_sdes_secure_message (state));
  }
}

/* RFC 7983 §7: a first byte of 0-3 on a media port is STUN; RFC 5389 §6:
 * a 20-byte header whose bytes 4-7 are the magic cookie 0x2112A442. */
static gboolean
packet_is_stun (const guint8 *data, gsize size)
{
  return size >= 20 && data[0] <= 3 && GST_READ_UINT32_BE (data + 4) == 0x2112A442u;
}

/* Decodes one packet in place. Stream lock held; never releases it.
 *
 * The packet is mapped once, in its own memory (a pool copy only
 * when it is not writable), and nothing beyond counter increments happens
 * per packet unless something goes wrong. */
static DecodeResult
dec_decode (GstSrtpSdesDec *self, DecStream *stream, GstBuffer **bufp,
            GSList **messages)
{
  GstSrtpSdesStream *core = &stream->core;
  DecPacket pkt = { .size = gst_buffer_get_size (*bufp), .res = TRY_AUTH };
  GstSrtpSdesSsrc *state;
  GstMemory *mem;
  guint n_candidates;

  if (G_UNLIKELY (pkt.size < 8 || pkt.size > G_MAXINT))
    goto invalid;
  *bufp = gst_srtp_sdes_buffer_make_room (*bufp, 0, core->pool);
  mem = gst_buffer_peek_memory (*bufp, 0);
  if (G_UNLIKELY (!gst_memory_map (mem, &pkt.map, GST_MAP_READWRITE)))
    goto invalid;
  if (G_UNLIKELY ((pkt.map.data[0] & 0xc0) != 0x80)) {
    if (!packet_is_stun (pkt.map.data, pkt.size))
      goto invalid_mapped;
    gst_memory_unmap (mem, &pkt.map);
    core->stun_drops++;
    GST_LOG_OBJECT (self, "dropping a %" G_GSIZE_FORMAT "-byte STUN message", pkt.size);
    return DECODE_DROP;
  }
  pkt.rtcp = core->rtcp_pad || gst_srtp_sdes_packet_is_rtcp (pkt.map.data, pkt.size);
  if (G_UNLIKELY (!pkt.rtcp && pkt.size < 12))
    goto invalid_mapped;
  if (!pkt.rtcp)
    pkt.seq = GST_READ_UINT16_BE (pkt.map.data + 2);
  state = pkt.state = gst_srtp_sdes_stream_ssrc (core,
      GST_READ_UINT32_BE (pkt.map.data + (pkt.rtcp ? 4 : 8)), pkt.rtcp);
  if (G_UNLIKELY (state->pin_gen != core->pin_gen))
    gst_srtp_sdes_stream_resolve_pin (core, state, pkt.seq);

  if (state->pinned != NULL) {
    /* add-crypto-for-ssrc: this SSRC's key only, no trial of the others. */
    TryResult r = try_session (stream, state->pinned, state, pkt.map.data, pkt.size,
        &pkt.len, pkt.rtcp, pkt.seq, state->pinned != state->binding, messages);

    if (r == TRY_OK)
      pkt.winner = state->pinned;
    else
      pkt.res = r;
  } else {
    n_candidates = stream->n_active + (state->binding != NULL && !state->binding->active);
    if (G_UNLIKELY (n_candidates == 0)) {
      gst_memory_unmap (mem, &pkt.map);
      /* Stock srtpdec compatibility: ask the application once per key set. */
      if (state->key_request_gen != stream->keys_gen &&
          g_signal_has_handler_pending (self, signals[SIGNAL_REQUEST_KEY], 0, FALSE)) {
        state->key_request_gen = stream->keys_gen;
        return DECODE_NEED_KEY;
      }
      dec_count_drop (state, TRY_AUTH, TRUE, messages);
      return DECODE_DROP;
    }
    dec_try_keys (stream, &pkt, n_candidates, messages);
  }
  gst_memory_unmap (mem, &pkt.map);

  if (G_UNLIKELY (pkt.winner == NULL)) {
    dec_count_drop (state, pkt.res, state->binding == NULL && state->pinned == NULL,
        messages);
    return DECODE_DROP;
  }
  dec_accept (stream, &pkt, messages);
  gst_srtp_sdes_buffer_set_packet_size (*bufp, (gsize) pkt.len);
  return DECODE_PUSH;

invalid_mapped:
  gst_memory_unmap (mem, &pkt.map);
invalid:
  gst_srtp_sdes_stream_drop_invalid (core, pkt.size);
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

  if (n >= 8 && (stream->core.rtcp_pad || gst_srtp_sdes_packet_is_rtcp (hdr, n)))
    return GST_READ_UINT32_BE (hdr + 4);
  return n >= 12 ? GST_READ_UINT32_BE (hdr + 8) : 0;
}

/* Decodes one packet. Called with the stream lock; releases and retakes
 * it around request-key. Returns the buffer to push or NULL. */
static GstBuffer *
dec_process (GstSrtpSdesStream *core, GstBuffer *buf, GSList **messages)
{
  GstSrtpSdesDec *self = (GstSrtpSdesDec *) core->element;
  DecStream *stream = (DecStream *) core;
  DecodeResult res;

  dec_stream_sync (self, stream);
  res = dec_decode (self, stream, &buf, messages);
  if (res == DECODE_NEED_KEY) {
    guint32 ssrc = packet_ssrc (stream, buf);

    g_mutex_unlock (&core->lock);
    request_key (self, ssrc);
    g_mutex_lock (&core->lock);
    dec_stream_sync (self, stream);
    res = dec_decode (self, stream, &buf, messages);
  }
  if (res != DECODE_PUSH) {
    gst_buffer_unref (buf);
    return NULL;
  }
  return buf;
}

static GstStateChangeReturn
gst_srtp_sdes_dec_change_state (GstElement *element, GstStateChange transition)
{
  if (!gst_srtp_sdes_keyring_may_start (&GST_SRTP_SDES_DEC (element)->ring, transition))
    return GST_STATE_CHANGE_FAILURE;
  return GST_ELEMENT_CLASS (gst_srtp_sdes_dec_parent_class)->change_state (element, transition);
}
