/* srtpsdes — helpers shared by the offer/answer engine tests
 *
 * Copyright (C) 2026 srtpsdes developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Produced SDP is parsed back with Sofia's sdp_parse() and checked field by
 * field; nothing here is a mock.
 */

#pragma once

#include <string.h>

#include <sofia-sip/su_alloc.h>
#include <sofia-sip/sdp.h>

#include "sdes-engine.h"

/* The key of RFC 4568 §5.1's example offer and the offer key of Cisco "SIP
 * Support for SRTP", "SDP Negotiation" (30 bytes each). */
#define KEY_A "WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz"
#define KEY_B "d0RmdmcmVCspeEc3QGZiNWpVLFJhQX1cfHawJSoj"
#define KEY_C "NzB4d1BINUAvLEw6UzF3WSJ+PSdFcGdUJShpX1Zj"

#define SDP_HEAD(addr) \
  "v=0\r\no=- 1000 1000 IN IP4 " addr "\r\ns=-\r\nc=IN IP4 " addr "\r\nt=0 0\r\n"

#define REMOTE_ADDR "198.51.100.7"
#define LOCAL_ADDR "192.0.2.10"

typedef struct {
  su_home_t *home;
  sdp_session_t *session;
} ParsedSdp;

static inline ParsedSdp *
parsed_sdp_new (const gchar *text)
{
  ParsedSdp *p = g_new0 (ParsedSdp, 1);
  sdp_parser_t *parser;

  g_assert_nonnull (text);
  p->home = su_home_new (sizeof (su_home_t));
  parser = sdp_parse (p->home, text, (issize_t) strlen (text), 0);
  g_assert_null (sdp_parsing_error (parser));
  p->session = sdp_session (parser);
  g_assert_nonnull (p->session);
  return p;
}

static inline void
parsed_sdp_free (ParsedSdp *p)
{
  su_home_unref (p->home);
  g_free (p);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (ParsedSdp, parsed_sdp_free)

static inline sdp_media_t *
nth_media (ParsedSdp *p, guint n)
{
  sdp_media_t *m = p->session->sdp_media;

  for (guint i = 0; i < n && m != NULL; i++)
    m = m->m_next;
  g_assert_nonnull (m);
  return m;
}

static inline guint
n_media (ParsedSdp *p)
{
  guint n = 0;

  for (sdp_media_t *m = p->session->sdp_media; m != NULL; m = m->m_next)
    n++;
  return n;
}

static inline guint
n_crypto (const sdp_media_t *m)
{
  guint n = 0;

  for (const sdp_attribute_t *a = m->m_attributes; a != NULL; a = a->a_next)
    if (g_ascii_strcasecmp (a->a_name, "crypto") == 0)
      n++;
  return n;
}

/* The n-th a=crypto of @m, parsed by the crypto library. */
static inline SdesCryptoAttr *
nth_crypto (const sdp_media_t *m, guint n)
{
  for (const sdp_attribute_t *a = m->m_attributes; a != NULL; a = a->a_next) {
    if (g_ascii_strcasecmp (a->a_name, "crypto") != 0)
      continue;
    if (n-- == 0) {
      g_autoptr (GError) error = NULL;
      SdesCryptoAttr *attr = sdes_crypto_attr_parse (a->a_value, &error);

      g_assert_no_error (error);
      return attr;
    }
  }
  g_assert_not_reached ();
  return NULL;
}

/* The raw text of the n-th a=crypto of @m. */
static inline const gchar *
nth_crypto_text (const sdp_media_t *m, guint n)
{
  for (const sdp_attribute_t *a = m->m_attributes; a != NULL; a = a->a_next)
    if (g_ascii_strcasecmp (a->a_name, "crypto") == 0 && n-- == 0)
      return a->a_value;
  g_assert_not_reached ();
  return NULL;
}

#define assert_mline(m, type, port, proto) G_STMT_START { \
    g_assert_cmpstr ((m)->m_type_name, ==, (type)); \
    g_assert_cmpuint ((m)->m_port, ==, (port)); \
    g_assert_cmpstr ((m)->m_proto_name, ==, (proto)); \
  } G_STMT_END

static inline SdesLocalMedia *
local_audio (const gchar *address, guint port)
{
  SdesLocalMedia *local = sdes_local_media_new (address);
  guint s = sdes_local_media_add_stream (local, SDES_MEDIA_TYPE_AUDIO, port);

  sdes_local_media_add_codec (local, s, 0, "PCMU", 8000, 1, NULL);
  sdes_local_media_add_codec (local, s, 8, "PCMA", 8000, 1, NULL);
  return local;
}

static inline SdesSession *
session_new (SdesSrtpPolicy policy, gboolean secure_signaling)
{
  return g_object_new (SDES_TYPE_SESSION, "policy", policy,
                       "secure-signaling", secure_signaling, NULL);
}

static inline SdesMediaDescription *
media_at (SdesSession *session, const gchar *tag, guint index)
{
  g_autoptr (GPtrArray) media = sdes_session_get_media (session, tag);

  g_assert_nonnull (media);
  g_assert_cmpuint (index, <, media->len);
  return sdes_media_description_ref (g_ptr_array_index (media, index));
}
