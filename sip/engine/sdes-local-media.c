/* srtpsdes — local media description and negotiated media description
 *
 * Copyright (C) 2026 srtpsdes developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "sdes-engine-private.h"

#include <string.h>

G_DEFINE_ENUM_TYPE (SdesSrtpPolicy, sdes_srtp_policy,
  G_DEFINE_ENUM_VALUE (SDES_SRTP_POLICY_OFF, "off"),
  G_DEFINE_ENUM_VALUE (SDES_SRTP_POLICY_OPTIONAL, "optional"),
  G_DEFINE_ENUM_VALUE (SDES_SRTP_POLICY_MANDATORY, "mandatory"))

G_DEFINE_ENUM_TYPE (SdesOfferStyle, sdes_offer_style,
  G_DEFINE_ENUM_VALUE (SDES_OFFER_STYLE_SAVP, "savp"),
  G_DEFINE_ENUM_VALUE (SDES_OFFER_STYLE_DUAL, "dual"))

G_DEFINE_FLAGS_TYPE (SdesOfferFlags, sdes_offer_flags,
  G_DEFINE_ENUM_VALUE (SDES_OFFER_FLAG_NONE, "none"),
  G_DEFINE_ENUM_VALUE (SDES_OFFER_FLAG_REKEY, "rekey"))

G_DEFINE_ENUM_TYPE (SdesMediaType, sdes_media_type,
  G_DEFINE_ENUM_VALUE (SDES_MEDIA_TYPE_AUDIO, "audio"),
  G_DEFINE_ENUM_VALUE (SDES_MEDIA_TYPE_VIDEO, "video"),
  G_DEFINE_ENUM_VALUE (SDES_MEDIA_TYPE_IMAGE, "image"),
  G_DEFINE_ENUM_VALUE (SDES_MEDIA_TYPE_OTHER, "other"))

G_DEFINE_ENUM_TYPE (SdesDirection, sdes_direction,
  G_DEFINE_ENUM_VALUE (SDES_DIRECTION_INACTIVE, "inactive"),
  G_DEFINE_ENUM_VALUE (SDES_DIRECTION_SENDONLY, "sendonly"),
  G_DEFINE_ENUM_VALUE (SDES_DIRECTION_RECVONLY, "recvonly"),
  G_DEFINE_ENUM_VALUE (SDES_DIRECTION_SENDRECV, "sendrecv"))

G_DEFINE_BOXED_TYPE (SdesLocalMedia, sdes_local_media,
                     sdes_local_media_ref, sdes_local_media_unref)

G_DEFINE_BOXED_TYPE (SdesMediaDescription, sdes_media_description,
                     sdes_media_description_ref, sdes_media_description_unref)

static void
sdes_local_codec_clear (gpointer data)
{
  SdesLocalCodec *codec = data;

  g_clear_pointer (&codec->encoding_name, g_free);
  g_clear_pointer (&codec->fmtp, g_free);
}

static void
sdes_local_stream_free (gpointer data)
{
  SdesLocalStream *stream = data;

  g_array_unref (stream->codecs);
  g_ptr_array_unref (stream->attributes);
  g_free (stream);
}

static SdesLocalStream *
sdes_local_stream_new (SdesMediaType type, guint port)
{
  SdesLocalStream *stream = g_new0 (SdesLocalStream, 1);

  stream->type = type;
  stream->port = port;
  stream->rtcp_port = 0;
  stream->direction = SDES_DIRECTION_SENDRECV;
  stream->codecs = g_array_new (FALSE, TRUE, sizeof (SdesLocalCodec));
  g_array_set_clear_func (stream->codecs, sdes_local_codec_clear);
  /* name, value pairs */
  stream->attributes = g_ptr_array_new_with_free_func (g_free);
  return stream;
}

/**
 * sdes_local_media_new:
 * @address: the local connection address (IPv4 or IPv6 literal) written in c=.
 *
 * Creates an empty local media description.
 *
 * Returns: (transfer full): a new #SdesLocalMedia.
 *
 * Since: 0.1
 */
SdesLocalMedia *
sdes_local_media_new (const gchar *address)
{
  SdesLocalMedia *media;

  g_return_val_if_fail (address != NULL && *address != '\0', NULL);

  media = g_new0 (SdesLocalMedia, 1);
  g_atomic_ref_count_init (&media->ref_count);
  media->address = g_strdup (address);
  media->streams = g_ptr_array_new_with_free_func (sdes_local_stream_free);
  return media;
}

/**
 * sdes_local_media_ref:
 * @media: a #SdesLocalMedia
 *
 * Takes a reference on @media.
 *
 * Returns: (transfer full): @media with one more reference.
 *
 * Since: 0.1
 */
SdesLocalMedia *
sdes_local_media_ref (SdesLocalMedia *media)
{
  g_return_val_if_fail (media != NULL, NULL);
  g_atomic_ref_count_inc (&media->ref_count);
  return media;
}

/**
 * sdes_local_media_unref:
 * @media: (transfer full): a #SdesLocalMedia
 *
 * Drops one reference; the last one frees @media.
 *
 * Since: 0.1
 */
void
sdes_local_media_unref (SdesLocalMedia *media)
{
  g_return_if_fail (media != NULL);
  if (!g_atomic_ref_count_dec (&media->ref_count))
    return;
  g_free (media->address);
  g_ptr_array_unref (media->streams);
  g_free (media);
}

SdesLocalMedia *
sdes_local_media_copy (const SdesLocalMedia *src)
{
  SdesLocalMedia *dst = sdes_local_media_new (src->address);

  for (guint i = 0; i < src->streams->len; i++) {
    const SdesLocalStream *s = g_ptr_array_index (src->streams, i);
    SdesLocalStream *d = sdes_local_stream_new (s->type, s->port);

    d->rtcp_port = s->rtcp_port;
    d->rtcp_mux = s->rtcp_mux;
    d->direction = s->direction;
    for (guint c = 0; c < s->codecs->len; c++) {
      SdesLocalCodec codec = g_array_index (s->codecs, SdesLocalCodec, c);

      codec.encoding_name = g_strdup (codec.encoding_name);
      codec.fmtp = g_strdup (codec.fmtp);
      g_array_append_val (d->codecs, codec);
    }
    for (guint a = 0; a < s->attributes->len; a++)
      g_ptr_array_add (d->attributes, g_strdup (g_ptr_array_index (s->attributes, a)));
    g_ptr_array_add (dst->streams, d);
  }
  return dst;
}

static SdesLocalStream *
get_stream (SdesLocalMedia *media, guint stream)
{
  g_return_val_if_fail (media != NULL, NULL);
  g_return_val_if_fail (stream < media->streams->len, NULL);
  return g_ptr_array_index (media->streams, stream);
}

/**
 * sdes_local_media_add_stream:
 * @media: a #SdesLocalMedia
 * @type: the media type
 * @port: the local RTP (or UDPTL) port, 1..65535
 *
 * Appends a stream. RTCP defaults to @port + 1 without rtcp-mux; the
 * direction defaults to sendrecv. An %SDES_MEDIA_TYPE_IMAGE stream is a T.38
 * fax stream (m=image ... udptl t38) and needs no codec.
 *
 * Returns: the index of the new stream.
 *
 * Since: 0.1
 */
guint
sdes_local_media_add_stream (SdesLocalMedia *media, SdesMediaType type, guint port)
{
  g_return_val_if_fail (media != NULL, 0);
  g_return_val_if_fail (port > 0 && port <= 65535, 0);
  g_return_val_if_fail (type != SDES_MEDIA_TYPE_OTHER, 0);

  g_ptr_array_add (media->streams, sdes_local_stream_new (type, port));
  return media->streams->len - 1;
}

/**
 * sdes_local_media_set_rtcp:
 * @media: a #SdesLocalMedia
 * @stream: stream index
 * @rtcp_port: RTCP port, or 0 for the default (RTP port + 1)
 * @rtcp_mux: offer/accept RTP and RTCP on one port (RFC 5761)
 *
 * Sets the RTCP transport of a stream. A non-default @rtcp_port is written
 * as a=rtcp (RFC 3605).
 *
 * Since: 0.1
 */
void
sdes_local_media_set_rtcp (SdesLocalMedia *media, guint stream, guint rtcp_port,
                           gboolean rtcp_mux)
{
  SdesLocalStream *s = get_stream (media, stream);

  g_return_if_fail (s != NULL);
  g_return_if_fail (rtcp_port <= 65535);
  s->rtcp_port = rtcp_port;
  s->rtcp_mux = rtcp_mux;
}

/**
 * sdes_local_media_add_codec:
 * @media: a #SdesLocalMedia
 * @stream: stream index
 * @payload_type: RTP payload type, 0..127
 * @encoding_name: encoding name ("PCMU", "telephone-event", "H264")
 * @clock_rate: RTP clock rate
 * @channels: channel count (0 or 1: not written)
 * @fmtp: (nullable): a=fmtp parameters
 *
 * Appends a codec, in order of preference.
 *
 * Since: 0.1
 */
void
sdes_local_media_add_codec (SdesLocalMedia *media, guint stream, guint payload_type,
                            const gchar *encoding_name, guint clock_rate,
                            guint channels, const gchar *fmtp)
{
  SdesLocalStream *s = get_stream (media, stream);
  SdesLocalCodec codec = { 0, };

  g_return_if_fail (s != NULL);
  g_return_if_fail (payload_type <= 127);
  g_return_if_fail (encoding_name != NULL && clock_rate > 0);

  codec.payload_type = payload_type;
  codec.encoding_name = g_strdup (encoding_name);
  codec.clock_rate = clock_rate;
  codec.channels = channels;
  codec.fmtp = g_strdup (fmtp);
  g_array_append_val (s->codecs, codec);
}

/**
 * sdes_local_media_add_attribute:
 * @media: a #SdesLocalMedia
 * @stream: stream index
 * @name: attribute name (e.g. "T38FaxVersion")
 * @value: (nullable): attribute value
 *
 * Appends a media-level attribute written into every offer and answer for
 * this stream. Must not be one the engine writes itself (crypto, rtpmap,
 * fmtp, rtcp, rtcp-mux, direction).
 *
 * Since: 0.1
 */
void
sdes_local_media_add_attribute (SdesLocalMedia *media, guint stream,
                                const gchar *name, const gchar *value)
{
  SdesLocalStream *s = get_stream (media, stream);

  g_return_if_fail (s != NULL);
  g_return_if_fail (name != NULL && *name != '\0');
  g_return_if_fail (g_ascii_strcasecmp (name, "crypto") != 0);

  g_ptr_array_add (s->attributes, g_strdup (name));
  g_ptr_array_add (s->attributes, g_strdup (value));
}

/**
 * sdes_local_media_set_direction:
 * @media: a #SdesLocalMedia
 * @stream: stream index
 * @direction: the direction we want (hold: %SDES_DIRECTION_SENDONLY)
 *
 * Sets the direction of one stream for the next offer or answer (a=sendrecv,
 * a=sendonly, ...).
 *
 * Since: 0.1
 */
void
sdes_local_media_set_direction (SdesLocalMedia *media, guint stream,
                                SdesDirection direction)
{
  SdesLocalStream *s = get_stream (media, stream);

  g_return_if_fail (s != NULL);
  g_return_if_fail (direction <= SDES_DIRECTION_SENDRECV);
  s->direction = direction;
}

/**
 * sdes_local_media_set_port:
 * @media: a #SdesLocalMedia
 * @stream: stream index
 * @port: new local port
 *
 * Changes a stream's port; a re-offer then carries a new key (Cisco
 * rekeying rules).
 *
 * Since: 0.1
 */
void
sdes_local_media_set_port (SdesLocalMedia *media, guint stream, guint port)
{
  SdesLocalStream *s = get_stream (media, stream);

  g_return_if_fail (s != NULL);
  g_return_if_fail (port > 0 && port <= 65535);
  s->port = port;
}

/**
 * sdes_local_media_set_address:
 * @media: a #SdesLocalMedia
 * @address: new connection address
 *
 * Changes the connection address written in the next offer or answer (c=
 * line).
 *
 * Since: 0.1
 */
void
sdes_local_media_set_address (SdesLocalMedia *media, const gchar *address)
{
  g_return_if_fail (media != NULL);
  g_return_if_fail (address != NULL && *address != '\0');
  g_free (media->address);
  media->address = g_strdup (address);
}

/**
 * sdes_local_media_get_n_streams:
 * @media: a #SdesLocalMedia
 *
 * The number of streams added with sdes_local_media_add_stream().
 *
 * Returns: the number of streams.
 *
 * Since: 0.1
 */
guint
sdes_local_media_get_n_streams (SdesLocalMedia *media)
{
  g_return_val_if_fail (media != NULL, 0);
  return media->streams->len;
}

gboolean
sdes_local_media_validate (const SdesLocalMedia *local, GError **error)
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

/* ------------------------------------------------------------------------- */

typedef struct {
  SdesMediaDescription desc;
  gatomicrefcount ref_count;
} SdesMediaDescriptionReal;

SdesMediaDescription *
sdes_media_description_new (void)
{
  SdesMediaDescriptionReal *real = g_new0 (SdesMediaDescriptionReal, 1);

  g_atomic_ref_count_init (&real->ref_count);
  real->desc.local_stream = -1;
  real->desc.payload_type = -1;
  real->desc.direction = SDES_DIRECTION_INACTIVE;
  return &real->desc;
}

/**
 * sdes_media_description_ref:
 * @desc: a #SdesMediaDescription
 *
 * Takes a reference on @desc.
 *
 * Returns: (transfer full): @desc with one more reference.
 *
 * Since: 0.1
 */
SdesMediaDescription *
sdes_media_description_ref (SdesMediaDescription *desc)
{
  SdesMediaDescriptionReal *real = (SdesMediaDescriptionReal *) desc;

  g_return_val_if_fail (desc != NULL, NULL);
  g_atomic_ref_count_inc (&real->ref_count);
  return desc;
}

/**
 * sdes_media_description_unref:
 * @desc: (transfer full): a #SdesMediaDescription
 *
 * Drops one reference; the last one frees @desc and wipes its keys.
 *
 * Since: 0.1
 */
void
sdes_media_description_unref (SdesMediaDescription *desc)
{
  SdesMediaDescriptionReal *real = (SdesMediaDescriptionReal *) desc;

  g_return_if_fail (desc != NULL);
  if (!g_atomic_ref_count_dec (&real->ref_count))
    return;
  g_free (desc->profile);
  g_free (desc->dialog_tag);
  g_clear_pointer (&desc->local_crypto, sdes_crypto_attr_free);
  g_clear_pointer (&desc->remote_crypto, sdes_crypto_attr_free);
  g_free (desc->local_address);
  g_free (desc->remote_address);
  g_free (desc->encoding_name);
  g_free (real);
}
