/* srtpsdes — libFuzzer target: SDP offers into the answerer, and the same
 * bytes as an answer to a real offer
 *
 * Copyright (C) 2026 srtpsdes developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Invariants checked: no crash, no leak (ASan), an answer or a specific
 * error with a reject status, never both.
 */

#include <stdint.h>
#include <string.h>

#include "sdes-engine.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autofree gchar *text = g_strndup ((const gchar *) data, size);
  g_autoptr (SdesLocalMedia) local = sdes_local_media_new ("192.0.2.1");
  g_autoptr (SdesSession) callee = NULL;
  g_autoptr (SdesSession) caller = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree gchar *answer = NULL;
  g_autofree gchar *warning = NULL;
  g_autofree gchar *offer = NULL;
  guint status = 0;
  guint audio, video, fax;

  audio = sdes_local_media_add_stream (local, SDES_MEDIA_TYPE_AUDIO, 4000);
  sdes_local_media_add_codec (local, audio, 0, "PCMU", 8000, 1, NULL);
  sdes_local_media_add_codec (local, audio, 101, "telephone-event", 8000, 1, "0-15");
  video = sdes_local_media_add_stream (local, SDES_MEDIA_TYPE_VIDEO, 4002);
  sdes_local_media_add_codec (local, video, 96, "H264", 90000, 1, NULL);
  sdes_local_media_set_rtcp (local, video, 0, TRUE);
  fax = sdes_local_media_add_stream (local, SDES_MEDIA_TYPE_IMAGE, 4004);
  (void) fax;

  for (SdesSrtpPolicy p = SDES_SRTP_POLICY_OFF; p <= SDES_SRTP_POLICY_MANDATORY; p++) {
    g_clear_object (&callee);
    g_clear_pointer (&answer, g_free);
    g_clear_pointer (&warning, g_free);
    g_clear_error (&error);
    callee = g_object_new (SDES_TYPE_SESSION, "policy", p, "secure-signaling", TRUE, NULL);
    answer = sdes_session_process_offer (callee, local, text, &status, &warning, &error);
    g_assert_true ((answer != NULL) != (error != NULL));
    if (answer == NULL)
      g_assert_cmpuint (status, !=, 0);
  }

  caller = g_object_new (SDES_TYPE_SESSION, "policy", SDES_SRTP_POLICY_OPTIONAL,
                         "offer-style", SDES_OFFER_STYLE_DUAL, "secure-signaling", TRUE, NULL);
  offer = sdes_session_create_offer (caller, local, NULL);
  g_assert_nonnull (offer);
  g_clear_error (&error);
  if (!sdes_session_process_answer (caller, "fuzz", text, &error))
    g_assert_nonnull (error);
  return 0;
}
