/* srtpsdes — bounded, strict line check of SDP text before Sofia parses it
 *
 * Copyright (C) 2026 srtpsdes developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Why this exists: Sofia-SIP 1.12's sdp_parse() is lenient in ways that can
 * be turned against it. It ends a line at a lone CR as well as at LF, strips
 * blanks in front of a line, and then, for an m= line whose format list
 * holds a byte that is not a token character, loops allocating list nodes
 * until memory runs out (one INVITE took an answering phone from 20 MB to
 * 1.8 GB in 3.5 s). Rather than follow each of its leniencies, the body is
 * held to RFC 4566 §5 and §9 line by line, with a limit on every count a
 * peer controls, and Sofia only sees text that passed. The check is one pass
 * over the bytes and allocates nothing, so its cost is bounded by
 * SDES_SDP_MAX_BYTES whatever the input.
 */

#include "sdp-guard.h"

#include <string.h>

/* RFC 4566 §5: "v=0" first, then the types below; nothing else. */
static const gchar sdp_types[] = "vosiuepcbtrzkam";

typedef struct {
  guint lines;
  guint media;
  guint attributes;   /* in the current section (session or one m=) */
  guint crypto;       /* a=crypto lines in the current section */
} GuardCounts;

static gboolean
is_token_char (guchar c)
{
  /* RFC 4566 §9: token-char */
  return c == 0x21 || (c >= 0x23 && c <= 0x27) || c == 0x2a || c == 0x2b ||
         c == 0x2d || c == 0x2e || (c >= 0x30 && c <= 0x39) ||
         (c >= 0x41 && c <= 0x5a) || (c >= 0x5e && c <= 0x7e);
}

static gboolean
malformed (GError **error, const gchar *what, guint line_no)
{
  g_set_error (error, SDES_ENGINE_ERROR, SDES_ENGINE_ERROR_BAD_SDP,
               "malformed SDP: %s (line %u)", what, line_no);
  return FALSE;
}

static gboolean
over_limit (GError **error, const gchar *what, guint limit)
{
  g_set_error (error, SDES_ENGINE_ERROR, SDES_ENGINE_ERROR_SDP_LIMIT,
               "SDP over limit: more than %u %s", limit, what);
  return FALSE;
}

/* RFC 4566 §9:
 *   media-field = %x6d "=" media SP port ["/" integer] SP proto 1*(SP fmt)
 * with media, fmt = token and proto = token *("/" token). Blanks other than
 * SP are refused (a TAB among the formats is one of Sofia's loops); runs of
 * SP and a trailing SP are tolerated, as Sofia and most peers do. */
static gboolean
check_m_line (const gchar *value, gsize len, guint line_no, GError **error)
{
  guint field = 0;
  gboolean in_field = FALSE;
  gboolean port_slash = FALSE;

  for (gsize i = 0; i < len; i++) {
    guchar c = (guchar) value[i];

    if (c == ' ') {
      in_field = FALSE;
      continue;
    }
    if (!in_field) {
      in_field = TRUE;
      field++;
      if (field > 3 + SDES_SDP_MAX_FORMATS)
        return over_limit (error, "formats on one m= line", SDES_SDP_MAX_FORMATS);
      if (field == 2 && !g_ascii_isdigit (c))
        return malformed (error, "m= port is not a number", line_no);
    }
    switch (field) {
    case 2:
      if (c == '/' && !port_slash && i + 1 < len && g_ascii_isdigit (value[i + 1]))
        port_slash = TRUE;
      else if (!g_ascii_isdigit (c))
        return malformed (error, "m= port is not a number", line_no);
      break;
    case 3:
      if (!is_token_char (c) && c != '/')
        return malformed (error, "m= protocol outside the token grammar", line_no);
      break;
    default:
      if (!is_token_char (c))
        return malformed (error, field == 1 ? "m= media outside the token grammar"
                                            : "m= format outside the token grammar",
                          line_no);
      break;
    }
  }
  if (field < 3)
    return malformed (error, "m= line without media, port and protocol", line_no);
  return TRUE;
}

static gboolean
is_crypto_attribute (const gchar *value, gsize len)
{
  return len >= 7 && g_ascii_strncasecmp (value, "crypto:", 7) == 0;
}

/* One line without its terminator: "<type>=<value>". */
static gboolean
check_line (const gchar *line, gsize len, GuardCounts *n, GError **error)
{
  const gchar *value = line + 2;
  gsize value_len = len - 2;

  if (len > SDES_SDP_MAX_LINE_BYTES)
    return over_limit (error, "bytes in one line", SDES_SDP_MAX_LINE_BYTES);
  if (line[0] == ' ' || line[0] == '\t')
    return malformed (error, "line starts with a blank", n->lines);
  if (len < 2 || line[1] != '=' || line[0] == '\0' || strchr (sdp_types, line[0]) == NULL)
    return malformed (error, "line is not <type>=<value> with a known type", n->lines);
  if (n->lines == 1 && !(len == 3 && line[2] == '0'))
    return malformed (error, "first line is not v=0", n->lines);
  if (n->lines > 1 && line[0] == 'v')
    return malformed (error, "second v= line", n->lines);

  switch (line[0]) {
  case 'm':
    if (++n->media > SDES_SDP_MAX_MEDIA)
      return over_limit (error, "m= lines", SDES_SDP_MAX_MEDIA);
    n->attributes = 0;
    n->crypto = 0;
    return check_m_line (value, value_len, n->lines, error);
  case 'a':
    if (++n->attributes > SDES_SDP_MAX_ATTRIBUTES)
      return over_limit (error, "attributes in one section", SDES_SDP_MAX_ATTRIBUTES);
    if (is_crypto_attribute (value, value_len) && ++n->crypto > SDES_SDP_MAX_CRYPTO)
      return over_limit (error, "a=crypto lines in one section", SDES_SDP_MAX_CRYPTO);
    return TRUE;
  default:
    return TRUE;
  }
}

gboolean
sdes_sdp_guard_check (const gchar *sdp, GError **error)
{
  GuardCounts n = { 0 };
  gsize size;
  const gchar *p, *end;

  g_return_val_if_fail (sdp != NULL, FALSE);

  size = strnlen (sdp, SDES_SDP_MAX_BYTES + 1);
  if (size > SDES_SDP_MAX_BYTES)
    return over_limit (error, "bytes", SDES_SDP_MAX_BYTES);

  end = sdp + size;
  for (p = sdp; p < end;) {
    const gchar *eol = memchr (p, '\n', (gsize) (end - p));
    const gchar *cr;
    gsize len;

    if (eol == NULL)
      eol = end;
    len = (gsize) (eol - p);
    /* RFC 4566 §5: lines end in CRLF, LF alone is tolerated; a CR anywhere
     * else is not in the grammar (and Sofia would start a line there). */
    if (eol < end && len > 0 && p[len - 1] == '\r')
      len--;
    cr = memchr (p, '\r', len);
    if (cr != NULL)
      return malformed (error, "CR not followed by LF", n.lines + 1);

    if (len == 0) {
      /* Blank lines are tolerated at the end of the body only. */
      for (const gchar *q = eol; q < end; q++)
        if (*q != '\r' && *q != '\n')
          return malformed (error, "blank line inside the body", n.lines + 1);
      break;
    }
    if (++n.lines > SDES_SDP_MAX_LINES)
      return over_limit (error, "lines", SDES_SDP_MAX_LINES);
    if (!check_line (p, len, &n, error))
      return FALSE;
    p = eol < end ? eol + 1 : end;
  }
  if (n.lines == 0)
    return malformed (error, "no lines", 0);
  return TRUE;
}
