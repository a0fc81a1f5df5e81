/* srtpsdes — SdesSession: writing SDP with Sofia
 *
 * Copyright (C) 2026 srtpsdes developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Offers and answers are built as Sofia sdp_session_t trees (MLineOut per
 * m-line) and printed by sdp_print(); every copy of key text is wiped.
 */

#include "sdes-session-private.h"

#include <string.h>

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

static void
new_format (Writer *w, sdp_list_t ***tail, gchar *text_in_home)
{
  sdp_list_t *l = su_zalloc (w->home, sizeof *l);

  l->l_size = sizeof *l;
  l->l_text = text_in_home;
  **tail = l;
  *tail = &l->l_next;
}

/* RFC 3264 §6: a rejected m-line keeps at least one format. */
static void
write_rejected_formats (Writer *w, sdp_media_t *m, const MLineOut *out)
{
  g_auto (GStrv) fmts = g_strsplit (out->formats ? out->formats : "0", " ", -1);
  sdp_list_t **ltail = &m->m_format;

  for (guint i = 0; fmts[i] != NULL; i++)
    if (*fmts[i] != '\0')
      new_format (w, &ltail, su_strdup (w->home, fmts[i]));
  m->m_rejected = 1;
  m->m_mode = sdp_sendrecv;
}

/* Sofia's own rtpmap list: printed with a=rtpmap and a=fmtp lines. */
static void
write_sofia_rtpmaps (Writer *w, sdp_media_t *m, const MLineOut *out)
{
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
}

/* Feedback profiles and non-RTP media: a plain format list, and for codecs
 * the rtpmap/fmtp attributes Sofia would have written. */
static void
write_format_list (Writer *w, sdp_media_t *m, sdp_attribute_t ***atail, const MLineOut *out)
{
  sdp_list_t **ltail = &m->m_format;

  if (out->codecs == NULL) {
    new_format (w, &ltail, su_strdup (w->home, out->formats ? out->formats : "t38"));
    return;
  }
  for (guint i = 0; i < out->codecs->len; i++) {
    const SdesLocalCodec *c = &g_array_index (out->codecs, SdesLocalCodec, i);

    new_format (w, &ltail, su_sprintf (w->home, "%u", c->payload_type));
  }
  for (guint i = 0; i < out->codecs->len; i++) {
    const SdesLocalCodec *c = &g_array_index (out->codecs, SdesLocalCodec, i);
    g_autofree gchar *map = c->channels > 1 ?
        g_strdup_printf ("%u %s/%u/%u", c->payload_type, c->encoding_name, c->clock_rate,
                         c->channels) :
        g_strdup_printf ("%u %s/%u", c->payload_type, c->encoding_name, c->clock_rate);

    add_attribute (w, atail, "rtpmap", map);
    if (c->fmtp != NULL) {
      g_autofree gchar *fmtp = g_strdup_printf ("%u %s", c->payload_type, c->fmtp);

      add_attribute (w, atail, "fmtp", fmtp);
    }
  }
}

/* a=rtcp, a=rtcp-mux, a=crypto (key text recorded for wiping), then the
 * stream's own attributes. */
static void
write_trailing_attributes (Writer *w, sdp_attribute_t ***atail, const MLineOut *out)
{
  if (out->rtcp_port != 0) {
    g_autofree gchar *v = g_strdup_printf ("%u", out->rtcp_port);

    add_attribute (w, atail, "rtcp", v);
  }
  if (out->rtcp_mux)
    add_attribute (w, atail, "rtcp-mux", NULL);
  for (guint i = 0; out->crypto != NULL && i < out->crypto->len; i++) {
    g_autofree gchar *v = sdes_crypto_attr_format (g_ptr_array_index (out->crypto, i));
    sdp_attribute_t *a = add_attribute (w, atail, "crypto", v);

    sdes_crypto_wipe (v, strlen (v));
    g_ptr_array_add (w->secrets, (gpointer) a->a_value);
  }
  for (guint i = 0; out->attributes != NULL && i + 1 < out->attributes->len; i += 2)
    add_attribute (w, atail, g_ptr_array_index (out->attributes, i),
                   g_ptr_array_index (out->attributes, i + 1));
}

static sdp_media_t *
make_media (Writer *w, sdp_session_t *session, const MLineOut *out)
{
  sdp_media_t *m = su_zalloc (w->home, sizeof *m);
  sdp_attribute_t **atail = &m->m_attributes;
  Kind kind = sdes_profile_classify (out->proto, NULL);
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
    write_rejected_formats (w, m, out);
    return m;
  }
  if (sofia_rtpmaps)
    write_sofia_rtpmaps (w, m, out);
  else
    write_format_list (w, m, &atail, out);
  m->m_mode = out->direction;
  write_trailing_attributes (w, &atail, out);
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
gchar *
sdes_session_print_sdp (SdesSession *self, const gchar *address, GArray *mlines)
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

/* The m-line of local stream @ls; the caller sets rtcp_mux. @mux: rtcp-mux
 * is agreed (an answer that accepts it); an offer passes FALSE, nothing is
 * agreed yet. */
void
sdes_mline_fill_for_stream (MLineOut *out, const SdesLocalStream *ls, gboolean mux)
{
  out->port = ls->port;
  out->direction = ls->direction;
  out->attributes = ls->attributes;
  if (ls->type == SDES_MEDIA_TYPE_IMAGE) {
    out->formats = "t38";
  } else {
    out->codecs = ls->codecs;
    /* RFC 3605: a=rtcp only when RTCP is not on port + 1. RFC 5761 §5.1.3:
     * an offer of rtcp-mux still names the port RTCP falls back to; an
     * answer that accepts rtcp-mux has no other RTCP port. */
    if (!mux && ls->rtcp_port != 0 && ls->rtcp_port != ls->port + 1)
      out->rtcp_port = ls->rtcp_port;
  }
}
