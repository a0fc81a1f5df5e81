/* srtpsdes — SDP bodies that made Sofia-SIP's parser allocate without bound,
 * and the limits and line rules that now keep every body's cost bounded
 *
 * Copyright (C) 2026 srtpsdes developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The five "blank-before-m" inputs were found by tests/sip/fuzz-sdes-answer.c
 * (libFuzzer). Fed to Sofia 1.12's sdp_parse(), each made it allocate until
 * the process ran out of memory (7.9 GB in 56 s for the first). Each one runs
 * here in a subprocess with a time limit, and the subprocess checks that its
 * peak RSS barely moved: before the guard, these tests fail by timing out.
 */

#include "test-sdes-common.h"

#include <sys/resource.h>

#define HEAD SDP_HEAD (REMOTE_ADDR)
#define GOOD_CRYPTO "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:" KEY_A "\r\n"
#define SAVP_M "m=audio 5000 RTP/SAVP 0\r\n"

/* Far below what the inputs took before (GBs), far above the engine's own
 * use for one offer (tens of KB) plus ASan's bookkeeping. */
#define RSS_GROWTH_LIMIT_KB (24 * 1024)
/* A subprocess that is still running after this has lost the bound. */
#define SUBPROCESS_TIMEOUT_USEC (10 * G_USEC_PER_SEC)

static const gchar *const finds[] = {
  "12-sofia-oom-blank-before-m-750da919",
  "13-sofia-oom-blank-before-m-9e9366d7",
  "14-sofia-oom-blank-before-m-a2a20b85",
  "15-sofia-oom-blank-before-m-d2f8ce10",
  "16-sofia-oom-blank-before-m-f6e069eb",
  /* earlier finds of the same family */
  "06-sofia-oom-non-ascii-proto",
  "07-sofia-oom-bare-cr",
  "08-sofia-oom-proto",
  "10-sofia-oom-cr-line",
  "11-sofia-oom-tab",
};

static glong
peak_rss_kb (void)
{
  struct rusage ru;

  g_assert_cmpint (getrusage (RUSAGE_SELF, &ru), ==, 0);
  return ru.ru_maxrss;
}

static gchar *
read_find (const gchar *name)
{
  const gchar *top = g_getenv ("SRTPSDES_TEST_DATA");
  g_autofree gchar *path = NULL;

  g_autoptr (GError) error = NULL;
  gchar *data = NULL;
  gsize len = 0;

  g_assert_nonnull (top);
  path = g_build_filename (top, "sip", "fuzz-corpus", name, NULL);
  g_assert_true (g_file_get_contents (path, &data, &len, &error));
  g_assert_no_error (error);
  return data;
}

/* Runs in the subprocess: the body as an offer (every policy) and as an
 * answer, each refused with a specific error, peak RSS flat. */
static void
find_refused_in_bounds (const gchar *name)
{
  g_autofree gchar *sdp = read_find (name);
  g_autoptr (SdesLocalMedia) local = local_audio (LOCAL_ADDR, 4000);
  glong before;

  /* warm up the allocator and GType system on a valid offer first */
  {
    g_autoptr (SdesSession) warm = session_new (SDES_SRTP_POLICY_OPTIONAL, TRUE);
    g_autofree gchar *answer = sdes_session_process_offer (warm, local, HEAD SAVP_M GOOD_CRYPTO,
                                                           NULL, NULL, NULL);
    g_assert_nonnull (answer);
  }
  before = peak_rss_kb ();

  for (SdesSrtpPolicy p = SDES_SRTP_POLICY_OFF; p <= SDES_SRTP_POLICY_MANDATORY; p++) {
    g_autoptr (SdesSession) callee = session_new (p, TRUE);
    g_autoptr (GError) error = NULL;
    g_autofree gchar *warning = NULL;
    g_autofree gchar *answer = NULL;
    guint status = 0;

    answer = sdes_session_process_offer (callee, local, sdp, &status, &warning, &error);
    g_assert_null (answer);
    g_assert_error (error, SDES_ENGINE_ERROR, SDES_ENGINE_ERROR_BAD_SDP);
    g_assert_cmpuint (status, ==, 400);
    g_assert_true (g_str_has_prefix (warning, "399 srtpsdes \"malformed SDP: "));
  }
  {
    g_autoptr (SdesSession) caller = session_new (SDES_SRTP_POLICY_OPTIONAL, TRUE);
    g_autoptr (GError) error = NULL;
    g_autofree gchar *offer = sdes_session_create_offer (caller, local, &error);

    g_assert_no_error (error);
    g_assert_false (sdes_session_process_answer (caller, "tag", sdp, &error));
    g_assert_error (error, SDES_ENGINE_ERROR, SDES_ENGINE_ERROR_BAD_SDP);
  }
  g_assert_cmpint (peak_rss_kb () - before, <, RSS_GROWTH_LIMIT_KB);
}

static void
test_find (gconstpointer data)
{
  const gchar *name = data;

  if (g_test_subprocess ()) {
    find_refused_in_bounds (name);
    return;
  }
  g_test_trap_subprocess (NULL, SUBPROCESS_TIMEOUT_USEC, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_passed ();
}

typedef struct {
  const gchar *name;
  const gchar *sdp;
  gint code;               /* SdesEngineError */
  guint status;
  const gchar *warning;    /* exact Warning text */
} GuardCase;

#define W(text) "399 srtpsdes \"" text "\""

static const GuardCase line_cases[] = {
  { "blank-before-m-line", HEAD " m=audio 5000 RTP/SAVP 0\r\n" GOOD_CRYPTO,
    SDES_ENGINE_ERROR_BAD_SDP, 400, W ("malformed SDP: line starts with a blank (line 6)") },
  { "tab-before-attribute", HEAD SAVP_M "\ta=sendrecv\r\n" GOOD_CRYPTO,
    SDES_ENGINE_ERROR_BAD_SDP, 400, W ("malformed SDP: line starts with a blank (line 7)") },
  { "bare-cr-inside-line", HEAD "m=audio 5000 RTP/SAVP 0\r1\r\n" GOOD_CRYPTO,
    SDES_ENGINE_ERROR_BAD_SDP, 400, W ("malformed SDP: CR not followed by LF (line 6)") },
  { "bare-cr-at-end", HEAD SAVP_M GOOD_CRYPTO "\r",
    SDES_ENGINE_ERROR_BAD_SDP, 400, W ("malformed SDP: CR not followed by LF (line 8)") },
  { "unknown-type", HEAD "x=1\r\n" SAVP_M GOOD_CRYPTO,
    SDES_ENGINE_ERROR_BAD_SDP, 400,
    W ("malformed SDP: line is not <type>=<value> with a known type (line 6)") },
  { "upper-case-type", HEAD "M=audio 5000 RTP/SAVP 0\r\n",
    SDES_ENGINE_ERROR_BAD_SDP, 400,
    W ("malformed SDP: line is not <type>=<value> with a known type (line 6)") },
  { "blank-line-inside", HEAD "\r\n" SAVP_M GOOD_CRYPTO,
    SDES_ENGINE_ERROR_BAD_SDP, 400, W ("malformed SDP: blank line inside the body (line 6)") },
  { "version-not-first", "o=- 1 1 IN IP4 " REMOTE_ADDR "\r\nv=0\r\n",
    SDES_ENGINE_ERROR_BAD_SDP, 400, W ("malformed SDP: first line is not v=0 (line 1)") },
  { "second-version", HEAD "v=0\r\n" SAVP_M,
    SDES_ENGINE_ERROR_BAD_SDP, 400, W ("malformed SDP: second v= line (line 6)") },
  { "m-port-slash-only", HEAD "m=audio 5000/ RTP/SAVP 0\r\n",
    SDES_ENGINE_ERROR_BAD_SDP, 400, W ("malformed SDP: m= port is not a number (line 6)") },
  { "m-format-non-token", HEAD "m=audio 5000 RTP/SAVP 0 (\r\n",
    SDES_ENGINE_ERROR_BAD_SDP, 400,
    W ("malformed SDP: m= format outside the token grammar (line 6)") },
  { "m-too-few-fields", HEAD "m=audio 5000\r\n",
    SDES_ENGINE_ERROR_BAD_SDP, 400,
    W ("malformed SDP: m= line without media, port and protocol (line 6)") },
};

static void
test_line_case (gconstpointer data)
{
  const GuardCase *c = data;
  g_autoptr (SdesSession) callee = session_new (SDES_SRTP_POLICY_OPTIONAL, TRUE);
  g_autoptr (SdesLocalMedia) local = local_audio (LOCAL_ADDR, 4000);
  g_autoptr (GError) error = NULL;
  g_autofree gchar *warning = NULL;
  g_autofree gchar *answer = NULL;
  guint status = 0;

  answer = sdes_session_process_offer (callee, local, c->sdp, &status, &warning, &error);
  g_assert_null (answer);
  g_assert_error (error, SDES_ENGINE_ERROR, c->code);
  g_assert_cmpuint (status, ==, c->status);
  g_assert_cmpstr (warning, ==, c->warning);
  /* the session is unchanged: a valid offer is answered afterwards */
  {
    g_autofree gchar *ok = sdes_session_process_offer (callee, local, HEAD SAVP_M GOOD_CRYPTO,
                                                       NULL, NULL, NULL);
    g_assert_nonnull (ok);
  }
}

/* What the guard tolerates, as peers send it. */
static void
test_tolerated (void)
{
  static const gchar *const bodies[] = {
    /* LF alone (RFC 4566 §5) */
    "v=0\no=- 1 1 IN IP4 " REMOTE_ADDR "\ns=-\nc=IN IP4 " REMOTE_ADDR "\nt=0 0\n"
    "m=audio 5000 RTP/SAVP 0\n" "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:" KEY_A "\n",
    /* trailing blank lines, no final CRLF, double SP on the m= line */
    HEAD SAVP_M GOOD_CRYPTO "\r\n\r\n",
    HEAD SAVP_M "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:" KEY_A,
    HEAD "m=audio  5000  RTP/SAVP  0 \r\n" GOOD_CRYPTO,
  };

  for (guint i = 0; i < G_N_ELEMENTS (bodies); i++) {
    g_autoptr (SdesSession) callee = session_new (SDES_SRTP_POLICY_OPTIONAL, TRUE);
    g_autoptr (SdesLocalMedia) local = local_audio (LOCAL_ADDR, 4000);
    g_autoptr (GError) error = NULL;
    g_autofree gchar *answer = NULL;

    answer = sdes_session_process_offer (callee, local, bodies[i], NULL, NULL, &error);
    g_assert_no_error (error);
    g_assert_nonnull (strstr (answer, "m=audio 4000 RTP/SAVP 0"));
  }
}

/* Offers of @n m= lines, @crypto a=crypto lines and @attrs more a= lines
 * on each, @formats formats on the first. */
static gchar *
offer_of (guint n, guint crypto, guint attrs, guint formats)
{
  GString *sdp = g_string_new (HEAD);

  for (guint i = 0; i < n; i++) {
    g_string_append_printf (sdp, "m=audio %u RTP/SAVP 0", 6000 + 2 * i);
    for (guint f = 1; i == 0 && f < formats; f++)
      g_string_append_printf (sdp, " %u", f);
    g_string_append (sdp, "\r\n");
    for (guint t = 1; t <= crypto; t++)
      g_string_append_printf (sdp, "a=crypto:%u AES_CM_128_HMAC_SHA1_80 inline:%s\r\n", t, KEY_A);
    for (guint a = 0; a < attrs; a++)
      g_string_append (sdp, "a=x\r\n");
  }
  return g_string_free (sdp, FALSE);
}

typedef struct {
  const gchar *name;
  guint media, crypto, attrs, formats;
  gboolean accepted;
  const gchar *warning;
} LimitCase;

static const LimitCase limit_cases[] = {
  { "media-at-limit", SDES_SDP_MAX_MEDIA, 1, 0, 1, TRUE, NULL },
  { "media-over-limit", SDES_SDP_MAX_MEDIA + 1, 1, 0, 1, FALSE,
    W ("SDP over limit: more than 32 m= lines") },
  { "crypto-at-limit", 1, SDES_SDP_MAX_CRYPTO, 0, 1, TRUE, NULL },
  { "crypto-over-limit", 1, SDES_SDP_MAX_CRYPTO + 1, 0, 1, FALSE,
    W ("SDP over limit: more than 32 a=crypto lines in one section") },
  { "attributes-at-limit", 1, 1, SDES_SDP_MAX_ATTRIBUTES - 1, 1, TRUE, NULL },
  { "attributes-over-limit", 1, 1, SDES_SDP_MAX_ATTRIBUTES, 1, FALSE,
    W ("SDP over limit: more than 256 attributes in one section") },
  { "formats-at-limit", 1, 1, 0, SDES_SDP_MAX_FORMATS, TRUE, NULL },
  { "formats-over-limit", 1, 1, 0, SDES_SDP_MAX_FORMATS + 1, FALSE,
    W ("SDP over limit: more than 128 formats on one m= line") },
  { "lines-over-limit", 8, 1, 255, 1, FALSE,
    W ("SDP over limit: more than 2048 lines") },
};

static void
test_limit_case (gconstpointer data)
{
  const LimitCase *c = data;
  g_autofree gchar *sdp = offer_of (c->media, c->crypto, c->attrs, c->formats);
  g_autoptr (SdesSession) callee = session_new (SDES_SRTP_POLICY_OPTIONAL, TRUE);
  g_autoptr (SdesLocalMedia) local = local_audio (LOCAL_ADDR, 4000);
  g_autoptr (GError) error = NULL;
  g_autofree gchar *warning = NULL;
  g_autofree gchar *answer = NULL;
  guint status = 0;

  g_assert_cmpuint (strlen (sdp), <=, SDES_SDP_MAX_BYTES);
  answer = sdes_session_process_offer (callee, local, sdp, &status, &warning, &error);
  if (c->accepted) {
    g_assert_no_error (error);
    g_assert_nonnull (strstr (answer, "m=audio 4000 RTP/SAVP 0"));
    return;
  }
  g_assert_null (answer);
  g_assert_error (error, SDES_ENGINE_ERROR, SDES_ENGINE_ERROR_SDP_LIMIT);
  g_assert_cmpuint (status, ==, 488);
  g_assert_cmpstr (warning, ==, c->warning);
}

static void
test_size_limits (void)
{
  g_autoptr (SdesLocalMedia) local = local_audio (LOCAL_ADDR, 4000);
  g_autoptr (GString) big = g_string_new (HEAD SAVP_M GOOD_CRYPTO);
  g_autoptr (GString) long_line = g_string_new (HEAD SAVP_M GOOD_CRYPTO "a=x:");

  while (big->len <= SDES_SDP_MAX_BYTES)
    g_string_append (big, "a=fmtp:0 0123456789012345678901234567890123456789\r\n");
  for (guint i = 0; i < SDES_SDP_MAX_LINE_BYTES; i++)
    g_string_append_c (long_line, 'y');
  g_string_append (long_line, "\r\n");

  for (guint i = 0; i < 2; i++) {
    g_autoptr (SdesSession) callee = session_new (SDES_SRTP_POLICY_OPTIONAL, TRUE);
    g_autoptr (GError) error = NULL;
    g_autofree gchar *warning = NULL;
    g_autofree gchar *answer = NULL;
    guint status = 0;

    answer = sdes_session_process_offer (callee, local, i == 0 ? big->str : long_line->str,
                                         &status, &warning, &error);
    g_assert_null (answer);
    g_assert_error (error, SDES_ENGINE_ERROR, SDES_ENGINE_ERROR_SDP_LIMIT);
    g_assert_cmpuint (status, ==, 488);
    g_assert_cmpstr (warning, ==, i == 0 ? W ("SDP over limit: more than 65536 bytes")
                                         : W ("SDP over limit: more than 4096 bytes in one line"));
  }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  for (guint i = 0; i < G_N_ELEMENTS (finds); i++) {
    g_autofree gchar *path = g_strdup_printf ("/engine/guard/fuzz-find/%s", finds[i]);

    g_test_add_data_func (path, finds[i], test_find);
  }
  for (guint i = 0; i < G_N_ELEMENTS (line_cases); i++) {
    g_autofree gchar *path = g_strdup_printf ("/engine/guard/line/%s", line_cases[i].name);

    g_test_add_data_func (path, &line_cases[i], test_line_case);
  }
  g_test_add_func ("/engine/guard/tolerated", test_tolerated);
  for (guint i = 0; i < G_N_ELEMENTS (limit_cases); i++) {
    g_autofree gchar *path = g_strdup_printf ("/engine/guard/limit/%s", limit_cases[i].name);

    g_test_add_data_func (path, &limit_cases[i], test_limit_case);
  }
  g_test_add_func ("/engine/guard/limit/bytes-and-line-length", test_size_limits);
  return g_test_run ();
}
