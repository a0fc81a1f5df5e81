/* srtpsdes — SdesSession: reading SDP with Sofia
 *
 * Copyright (C) 2026 srtpsdes developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Remote SDP in: the line check of sdp-guard.h, Sofia's sdp_parse(), and the
 * per-m-line lookups the offerer and the answerer share (codecs, a=crypto,
 * RTCP port, the transport fields of a description).
 */

#include "sdes-session-private.h"
#include "sdp-guard.h"

#include <string.h>

static SdesDirection
reverse_direction (SdesDirection d)
{
  return (SdesDirection) (((d & SDES_DIRECTION_SENDONLY) ? SDES_DIRECTION_RECVONLY : 0) |
                          ((d & SDES_DIRECTION_RECVONLY) ? SDES_DIRECTION_SENDONLY : 0));
}

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
GArray *
sdes_sdp_common_codecs (const SdesLocalStream *ls, const sdp_media_t *m)
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

guint
sdes_sdp_count_crypto (const sdp_media_t *m)
{
  guint n = 0;

  for (const sdp_attribute_t *a = m->m_attributes; a != NULL; a = a->a_next)
    if (a->a_name && g_ascii_strcasecmp (a->a_name, "crypto") == 0)
      n++;
  return n;
}

const sdp_attribute_t *
sdes_sdp_first_crypto (const sdp_media_t *m)
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

gboolean
sdes_sdp_has_format (const sdp_media_t *m, const gchar *fmt)
{
  for (const sdp_list_t *l = m->m_format; l != NULL; l = l->l_next)
    if (l->l_text && g_ascii_strcasecmp (l->l_text, fmt) == 0)
      return TRUE;
  return FALSE;
}

gchar *
sdes_sdp_join_formats (const sdp_media_t *m)
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
sdp_session_t *
sdes_sdp_parse (su_home_t *home, const gchar *sdp, gboolean *guard_refused, GError **error)
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

guint
sdes_sdp_count_media (const sdp_session_t *session)
{
  guint n = 0;

  for (const sdp_media_t *m = session->sdp_media; m != NULL; m = m->m_next)
    n++;
  return n;
}

/* RFC 5761 §5.1.1, RFC 8035: RTP and RTCP share a port iff we want it and
 * the peer's SDP for this exchange (its offer, or its answer to ours)
 * carries a=rtcp-mux. Every offer/answer decides anew, so a re-INVITE can
 * add or drop it (sipwise/rtpengine#28). */
gboolean
sdes_sdp_rtcp_mux_agreed (const SdesLocalStream *ls, const sdp_media_t *m)
{
  return ls->rtcp_mux && ls->type != SDES_MEDIA_TYPE_IMAGE &&
         sdp_attribute_find (m->m_attributes, "rtcp-mux") != NULL;
}

/* Our RTCP port when RTCP is not multiplexed, also for a stream that
 * wanted rtcp-mux and did not get it. */
static guint
local_rtcp_port (const SdesLocalStream *ls)
{
  return ls->rtcp_port ? ls->rtcp_port : ls->port + 1;
}

/* Fills the transport fields shared by offerer and answerer. */
void
sdes_media_description_fill_active (SdesMediaDescription *desc, const SdesLocalMedia *local,
                                    const SdesLocalStream *ls, const sdp_media_t *m,
                                    GArray *codecs, gboolean mux)
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
