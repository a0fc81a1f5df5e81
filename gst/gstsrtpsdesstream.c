/* srtpsdes — the stream core shared by srtpsdesenc and srtpsdesdec
 *
 * Copyright (C) 2026 srtpsdes developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* What a pad pair of either element does the same way: per-SSRC state and
 * its stats, keys given for one SSRC (add-crypto-for-ssrc) and their
 * sessions, forgetting an SSRC, refusing a key, the pad functions (chain,
 * chain_list, caps event and query, internal links). The elements keep
 * only what differs: which key protects a packet and how (see
 * GstSrtpSdesStreamFuncs). */

#include "gstsrtpsdesstream.h"

#include "gstsrtpsdescaps.h"

GST_DEBUG_CATEGORY_EXTERN (gst_srtp_sdes_debug);
#define GST_CAT_DEFAULT gst_srtp_sdes_debug

/* ------------------------------------------------------------------------- */
/* Sessions                                                                   */
/* ------------------------------------------------------------------------- */

/* Takes @key and @session. */
GstSrtpSdesSession *
gst_srtp_sdes_session_new (GstSrtpSdesKey *key, srtp_t session)
{
  GstSrtpSdesSession *ds = g_new0 (GstSrtpSdesSession, 1);

  ds->key = key;
  ds->session = session;
  return ds;
}

void
gst_srtp_sdes_session_free (GstSrtpSdesSession *ds)
{
  if (ds->session)
    srtp_dealloc (ds->session);
  if (ds->session_tag32)
    srtp_dealloc (ds->session_tag32);
  if (ds->session_srtcp)
    srtp_dealloc (ds->session_srtcp);
  gst_srtp_sdes_key_unref (ds->key);
  g_free (ds);
}

/* Releases the SSRC's binding to a session. Stream lock. */
void
gst_srtp_sdes_ssrc_unbind (GstSrtpSdesSsrc *state)
{
  if (state->binding)
    state->binding->bound--;
  state->binding = NULL;
}

/* ------------------------------------------------------------------------- */
/* Per-SSRC state                                                             */
/* ------------------------------------------------------------------------- */

GstSrtpSdesSsrc *
gst_srtp_sdes_stream_ssrc_slow (GstSrtpSdesStream *stream, guint32 ssrc, gboolean rtcp)
{
  GHashTable *table = stream->ssrcs[rtcp ? 1 : 0];
  GstSrtpSdesSsrc *state = g_hash_table_lookup (table, GUINT_TO_POINTER (ssrc));

  if (state == NULL) {
    state = gst_srtp_sdes_ssrc_new (ssrc, rtcp);
    state->session_gen = stream->session_gen;
    g_hash_table_insert (table, GUINT_TO_POINTER (ssrc), state);
  }
  stream->last[rtcp ? 1 : 0] = state;
  return state;
}

/* Whether the SSRC's ROC starts over at 0 now that its packets go out
 * under @key: only with rekey-roc "reset", and only for other key material
 * than the SSRC's last key (RFC 3711 §9.1: the same key and index again
 * would reuse keystream). Stream lock. */
gboolean
gst_srtp_sdes_stream_rekey_resets_roc (GstSrtpSdesStream *stream, const GstSrtpSdesSsrc *state,
                                       const GstSrtpSdesKey *key)
{
  return stream->rekey_resets_roc && state->key != NULL && !state->rtcp &&
      !gst_srtp_sdes_key_same (state->key, key);
}

/* Looks up the key given for this SSRC alone (one hash lookup,
 * only when the per-SSRC keys changed since the SSRC last looked) and
 * makes its session, carrying the SSRC's ROC into it (RFC 4568 §7.1.4).
 * Stream lock; takes the object lock briefly. */
void
gst_srtp_sdes_stream_resolve_pin (GstSrtpSdesStream *stream, GstSrtpSdesSsrc *state,
                                  guint16 seq)
{
  GHashTable *pins = stream->ssrc_sessions[state->rtcp ? 1 : 0];
  GstSrtpSdesSession *pin = g_hash_table_lookup (pins, GUINT_TO_POINTER (state->ssrc));
  g_autoptr (GError) error = NULL;
  GstSrtpSdesKey *key;
  srtp_t session;

  state->pin_gen = stream->pin_gen;
  GST_OBJECT_LOCK (stream->element);
  key = g_hash_table_lookup (stream->ring->ssrc_keys, GUINT_TO_POINTER (state->ssrc));
  if (key != NULL)
    gst_srtp_sdes_key_ref (key);
  GST_OBJECT_UNLOCK (stream->element);

  if (pin != NULL && pin->key == key) {
    state->pinned = pin;
    gst_srtp_sdes_key_unref (key);
    return;
  }
  if (pin != NULL) {
    /* Replaced or removed: the new key takes over at once. */
    if (state->binding == pin)
      gst_srtp_sdes_ssrc_unbind (state);
    state->pinned = NULL;
    g_hash_table_remove (pins, GUINT_TO_POINTER (state->ssrc));
  }
  if (key == NULL)
    return;
  /* The SSRC's own stream, not a template to clone. */
  session = gst_srtp_sdes_key_create_session (key, ssrc_specific, state->ssrc, stream->window,
      stream->srtcp_tag32, &error);
  if (session == NULL) {
    GST_WARNING_OBJECT (stream->element, "SSRC %08x: %s", state->ssrc, error->message);
    gst_srtp_sdes_key_unref (key);
    return;
  }
  if (gst_srtp_sdes_stream_rekey_resets_roc (stream, state, key)) {
    gst_srtp_sdes_ssrc_set_roc (state, 0, seq);
  } else if (!state->rtcp) {
    guint32 roc = gst_srtp_sdes_guess_roc (state, seq);

    if (roc != 0)
      srtp_set_stream_roc (session, state->ssrc, roc);
  }
  pin = gst_srtp_sdes_session_new (key, session);
  g_hash_table_insert (pins, GUINT_TO_POINTER (state->ssrc), pin);
  state->pinned = pin;
  GST_DEBUG_OBJECT (stream->element, "SSRC %08x: own key %s", state->ssrc, key->redacted);
}

/* Frees what the pad pair keeps of @ssrc: its RTP and RTCP state (and
 * binding), the session of its own key, and (funcs->forget_ssrc) its
 * streams in the element's sessions. Takes the stream lock. */
gboolean
gst_srtp_sdes_stream_forget_ssrc (GstSrtpSdesStream *stream, guint32 ssrc)
{
  gpointer k = GUINT_TO_POINTER (ssrc);
  gboolean known = FALSE;

  g_mutex_lock (&stream->lock);
  for (guint t = 0; t < 2; t++) {
    GstSrtpSdesSsrc *state = g_hash_table_lookup (stream->ssrcs[t], k);

    if (state == NULL)
      continue;
    gst_srtp_sdes_ssrc_unbind (state);
    if (stream->last[t] == state)
      stream->last[t] = NULL;
    g_hash_table_remove (stream->ssrcs[t], k);
    known = TRUE;
  }
  /* srtp_dealloc of the SSRC's own sessions. */
  known |= g_hash_table_remove (stream->ssrc_sessions[0], k);
  known |= g_hash_table_remove (stream->ssrc_sessions[1], k);
  stream->funcs->forget_ssrc (stream, ssrc);
  g_mutex_unlock (&stream->lock);
  return known;
}

/* Appends an application/x-srtpsdes-stream structure per SSRC to @array
 * and returns the pad pair's invalid-drops. Takes the stream lock. */
guint64
gst_srtp_sdes_stream_append_stats (GstSrtpSdesStream *stream, GValue *array)
{
  guint64 invalid;

  g_mutex_lock (&stream->lock);
  invalid = stream->invalid_drops;
  for (guint t = 0; t < 2; t++) {
    GHashTableIter iter;
    gpointer value;

    g_hash_table_iter_init (&iter, stream->ssrcs[t]);
    while (g_hash_table_iter_next (&iter, NULL, &value)) {
      GValue v = G_VALUE_INIT;

      g_value_init (&v, GST_TYPE_STRUCTURE);
      g_value_take_boxed (&v, gst_srtp_sdes_ssrc_to_structure (value));
      gst_value_array_append_and_take_value (array, &v);
    }
  }
  g_mutex_unlock (&stream->lock);
  return invalid;
}

/* Counts a packet that is not RTP/RTCP. Stream lock. */
void
gst_srtp_sdes_stream_drop_invalid (GstSrtpSdesStream *stream, gsize size)
{
  stream->invalid_drops++;
  GST_LOG_OBJECT (stream->element, "dropping a %" G_GSIZE_FORMAT "-byte packet that is "
      "not %s", size, stream->funcs->to_secure ? "RTP/RTCP" : "SRTP/SRTCP");
}

/* Posts queued element messages. Must be called with no lock held. */
void
gst_srtp_sdes_post_messages (GstElement *element, GSList *messages)
{
  for (GSList *l = messages; l; l = l->next)
    gst_element_post_message (element,
        gst_message_new_element (GST_OBJECT_CAST (element), l->data));
  g_slist_free (messages);
}

/* ------------------------------------------------------------------------- */
/* Pad functions                                                              */
/* ------------------------------------------------------------------------- */

static void
post_key_error (GstElement *element, const GError *error)
{
  GST_ELEMENT_ERROR (element, LIBRARY, SETTINGS, ("No usable SRTP key"),
      ("%s", error ? error->message : "unknown"));
}

static GstFlowReturn
stream_chain (GstPad *pad, GstObject *parent, GstBuffer *buf)
{
  GstSrtpSdesStream *stream = gst_pad_get_element_private (pad);
  g_autoptr (GError) error = NULL;
  GSList *messages = NULL;
  gboolean ok;

  g_mutex_lock (&stream->lock);
  ok = stream->funcs->prepare == NULL || stream->funcs->prepare (stream, &error);
  if (G_LIKELY (ok))
    buf = stream->funcs->process (stream, buf, &messages);
  g_mutex_unlock (&stream->lock);

  if (G_UNLIKELY (!ok)) {
    gst_buffer_unref (buf);
    post_key_error (stream->element, error);
    return GST_FLOW_ERROR;
  }
  if (G_UNLIKELY (messages != NULL))
    gst_srtp_sdes_post_messages (stream->element, messages);
  if (buf == NULL)
    return GST_FLOW_OK;
  return gst_pad_push (stream->srcpad, buf);
}

typedef struct {
  GstSrtpSdesStream *stream;
  GSList *messages;
} ListData;

static gboolean
list_process (GstBuffer **buf, guint idx, gpointer user_data)
{
  ListData *data = user_data;

  *buf = data->stream->funcs->process (data->stream, *buf, &data->messages);
  return TRUE;
}

static GstFlowReturn
stream_chain_list (GstPad *pad, GstObject *parent, GstBufferList *list)
{
  GstSrtpSdesStream *stream = gst_pad_get_element_private (pad);
  g_autoptr (GError) error = NULL;
  ListData data = { stream, NULL };
  gboolean ok;

  list = gst_buffer_list_make_writable (list);
  /* One lock take and one key check for the whole list. */
  g_mutex_lock (&stream->lock);
  ok = stream->funcs->prepare == NULL || stream->funcs->prepare (stream, &error);
  if (G_LIKELY (ok))
    gst_buffer_list_foreach (list, list_process, &data);
  g_mutex_unlock (&stream->lock);

  if (G_UNLIKELY (!ok)) {
    gst_buffer_list_unref (list);
    post_key_error (stream->element, error);
    return GST_FLOW_ERROR;
  }
  if (G_UNLIKELY (data.messages != NULL))
    gst_srtp_sdes_post_messages (stream->element, data.messages);
  if (gst_buffer_list_length (list) == 0) {
    gst_buffer_list_unref (list);
    return GST_FLOW_OK;
  }
  return gst_pad_push_list (stream->srcpad, list);
}

static gboolean
stream_sink_event (GstPad *pad, GstObject *parent, GstEvent *event)
{
  GstSrtpSdesStream *stream = gst_pad_get_element_private (pad);
  GstCaps *caps, *out;
  gboolean ret;

  if (GST_EVENT_TYPE (event) != GST_EVENT_CAPS)
    return gst_pad_event_default (pad, parent, event);
  /* Never log these caps: they may carry srtp-key. */
  gst_event_parse_caps (event, &caps);
  if (stream->funcs->sink_caps != NULL && gst_caps_get_size (caps) > 0)
    stream->funcs->sink_caps (stream, gst_caps_get_structure (caps, 0));
  out = gst_srtp_sdes_transform_caps (caps, stream->funcs->to_secure);
  gst_event_unref (event);
  ret = gst_pad_push_event (stream->srcpad, gst_event_new_caps (out));
  gst_caps_unref (out);
  return ret;
}

static gboolean
stream_query (GstPad *pad, GstObject *parent, GstQuery *query)
{
  GstSrtpSdesStream *stream = gst_pad_get_element_private (pad);
  gboolean to_secure = stream->funcs->to_secure;

  if (GST_QUERY_TYPE (query) == GST_QUERY_CAPS) {
    if (pad == stream->sinkpad)
      return gst_srtp_sdes_query_caps (pad, stream->srcpad, query, !to_secure);
    return gst_srtp_sdes_query_caps (pad, stream->sinkpad, query, to_secure);
  }
  return gst_pad_query_default (pad, parent, query);
}

static GstIterator *
stream_iterate_internal_links (GstPad *pad, GstObject *parent)
{
  GstSrtpSdesStream *stream = gst_pad_get_element_private (pad);
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

/* ------------------------------------------------------------------------- */
/* Life cycle                                                                 */
/* ------------------------------------------------------------------------- */

/* The pad templates of stock srtpenc (@to_secure: request sink pads
 * rtp_sink_\%u / rtcp_sink_\%u of @sink_pad_type, sometimes pads
 * rtp_src_\%u / rtcp_src_\%u) or srtpdec (always pads rtp_sink, rtp_src,
 * rtcp_sink, rtcp_src), so that rtpbin's request-rtp-encoder/decoder and
 * request-rtcp-encoder/decoder handlers can return either element. */
void
gst_srtp_sdes_stream_add_pad_templates (GstElementClass *klass, gboolean to_secure,
                                        GType sink_pad_type)
{
  const gchar *suffix = to_secure ? "_%u" : "";

  for (guint rtcp = 0; rtcp < 2; rtcp++) {
    const gchar *kind = rtcp ? "rtcp" : "rtp";
    g_autofree gchar *clear = g_strdup_printf ("application/x-%s", kind);
    g_autofree gchar *secure = g_strdup_printf ("application/x-s%s", kind);
    g_autofree gchar *sink_name = g_strdup_printf ("%s_sink%s", kind, suffix);
    g_autofree gchar *src_name = g_strdup_printf ("%s_src%s", kind, suffix);
    GstCaps *sink_caps = gst_caps_from_string (to_secure ? clear : secure);
    GstCaps *src_caps = gst_caps_from_string (to_secure ? secure : clear);

    gst_element_class_add_pad_template (klass, gst_pad_template_new_with_gtype (sink_name,
            GST_PAD_SINK, to_secure ? GST_PAD_REQUEST : GST_PAD_ALWAYS, sink_caps,
            sink_pad_type));
    gst_element_class_add_pad_template (klass, gst_pad_template_new (src_name, GST_PAD_SRC,
            to_secure ? GST_PAD_SOMETIMES : GST_PAD_ALWAYS, src_caps));
    gst_caps_unref (sink_caps);
    gst_caps_unref (src_caps);
  }
}

/* Sets up a pad pair around two new pads (not yet added to the element). */
void
gst_srtp_sdes_stream_init (GstSrtpSdesStream *stream, const GstSrtpSdesStreamFuncs *funcs,
                           GstElement *element, GstSrtpSdesKeyring *ring, gboolean rtcp_pad,
                           GstPad *sinkpad, GstPad *srcpad)
{
  stream->funcs = funcs;
  stream->element = element;
  stream->ring = ring;
  stream->rtcp_pad = rtcp_pad;
  g_mutex_init (&stream->lock);
  for (guint i = 0; i < 2; i++) {
    stream->ssrcs[i] = g_hash_table_new_full (NULL, NULL, NULL,
        (GDestroyNotify) gst_srtp_sdes_ssrc_free);
    stream->ssrc_sessions[i] = g_hash_table_new_full (NULL, NULL, NULL,
        (GDestroyNotify) gst_srtp_sdes_session_free);
  }
  stream->pool = gst_srtp_sdes_packet_pool ();

  stream->sinkpad = sinkpad;
  stream->srcpad = srcpad;
  gst_pad_set_element_private (sinkpad, stream);
  gst_pad_set_element_private (srcpad, stream);
  gst_pad_set_chain_function (sinkpad, GST_DEBUG_FUNCPTR (stream_chain));
  gst_pad_set_chain_list_function (sinkpad, GST_DEBUG_FUNCPTR (stream_chain_list));
  gst_pad_set_event_function (sinkpad, GST_DEBUG_FUNCPTR (stream_sink_event));
  gst_pad_set_query_function (sinkpad, GST_DEBUG_FUNCPTR (stream_query));
  gst_pad_set_query_function (srcpad, GST_DEBUG_FUNCPTR (stream_query));
  gst_pad_set_iterate_internal_links_function (sinkpad,
      GST_DEBUG_FUNCPTR (stream_iterate_internal_links));
  gst_pad_set_iterate_internal_links_function (srcpad,
      GST_DEBUG_FUNCPTR (stream_iterate_internal_links));
}

/* Frees what gst_srtp_sdes_stream_init() made (not the pads). */
void
gst_srtp_sdes_stream_clear (GstSrtpSdesStream *stream)
{
  for (guint i = 0; i < 2; i++) {
    g_hash_table_unref (stream->ssrcs[i]);
    g_hash_table_unref (stream->ssrc_sessions[i]);
  }
  g_mutex_clear (&stream->lock);
}
