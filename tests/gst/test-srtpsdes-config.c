/* srtpsdes — configuration of the elements: no silent failures
 *
 * Copyright (C) 2026 srtpsdes developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* A 'crypto' value refused before the element starts makes the start fail
 * with an error message carrying the refusal's GError (never the key); a
 * refused rekey while PLAYING keeps the old key; the 'suite' enum lists
 * only suites libsrtp2 implements. Real pipelines, real libsrtp2. */

#include <string.h>

#include <gst/check/gstcheck.h>
#include <gst/check/gstharness.h>

#include "sdes-crypto.h"

/* 29 bytes where AES_CM_128_HMAC_SHA1_80 needs 30 (RFC 4568 §6.2.1). */
#define SHORT_KEY "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxw="
#define SHORT_LINE "1 AES_CM_128_HMAC_SHA1_80 inline:" SHORT_KEY
#define GOOD_KEY "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwd"
#define GOOD_LINE "1 AES_CM_128_HMAC_SHA1_80 inline:" GOOD_KEY
#define SHORT_KEY_TEXT "needs a 30-byte key||salt, got 29 bytes"

/* Sets @pipeline to PLAYING, expects the state change to fail and returns
 * the one error message on the bus. */
static GstMessage *
start_and_expect_failure (GstElement *pipeline)
{
  GstBus *bus = gst_element_get_bus (pipeline);
  GstMessage *msg;

  fail_unless_equals_int (gst_element_set_state (pipeline, GST_STATE_PLAYING),
      GST_STATE_CHANGE_FAILURE);
  msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR);
  fail_unless (msg != NULL, "no error message");
  fail_unless (gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR) == NULL, "a second error");
  gst_object_unref (bus);
  return msg;
}

/* A pipeline of @factories (NULL-terminated) linked in a row, @element
 * (the srtpsdes element, given the refused value) among them. Built by
 * hand rather than by gst_parse_launch(), whose lexer buffer stays
 * allocated (LeakSanitizer). */
static GstElement *
make_pipeline (GstElement *element, const gchar *const *factories)
{
  GstElement *pipeline = gst_pipeline_new (NULL);
  GstElement *prev = NULL;

  for (guint i = 0; factories[i] != NULL; i++) {
    GstElement *e = g_str_equal (factories[i], "*") ? element :
        gst_element_factory_make (factories[i], NULL);

    fail_unless (e != NULL, "no %s", factories[i]);
    gst_bin_add (GST_BIN (pipeline), e);
    if (prev != NULL)
      fail_unless (gst_element_link (prev, e), "cannot link to %s", factories[i]);
    prev = e;
  }
  return pipeline;
}

static void
check_refusal (const gchar *factory, const gchar *const *chain)
{
  GstElement *element = gst_element_factory_make (factory, NULL);
  GstElement *pipeline;
  GstMessage *msg;
  GError *error = NULL;
  gchar *debug = NULL, *last_error = NULL;

  g_object_set (element, "crypto", SHORT_LINE, NULL);
  pipeline = make_pipeline (gst_object_ref (element), chain);
  msg = start_and_expect_failure (pipeline);
  fail_unless (GST_MESSAGE_SRC (msg) == GST_OBJECT (element));
  gst_message_parse_error (msg, &error, &debug);
  fail_unless_equals_int (error->domain, SDES_CRYPTO_ERROR);
  fail_unless_equals_int (error->code, SDES_CRYPTO_ERROR_KEY_LENGTH);
  fail_unless (strstr (error->message, SHORT_KEY_TEXT) != NULL, "%s", error->message);
  fail_unless (strstr (error->message, SHORT_KEY) == NULL, "key in the error");
  fail_unless (debug != NULL && strstr (debug, SHORT_KEY) == NULL, "key in the debug text");
  /* The element never got past NULL, and says the same in last-error. */
  fail_unless_equals_int (GST_STATE (element), GST_STATE_NULL);
  g_object_get (element, "last-error", &last_error, NULL);
  fail_unless_equals_string (last_error, error->message);

  g_free (last_error);
  g_free (debug);
  g_error_free (error);
  gst_message_unref (msg);
  gst_element_set_state (pipeline, GST_STATE_NULL);
  gst_object_unref (element);
  gst_object_unref (pipeline);
}

GST_START_TEST (test_srtpsdesenc_refused_crypto_fails_to_start)
{
  const gchar *const chain[] = { "audiotestsrc", "mulawenc", "rtppcmupay", "*", "fakesink", NULL };

  check_refusal ("srtpsdesenc", chain);
}
GST_END_TEST;

GST_START_TEST (test_srtpsdesdec_refused_crypto_fails_to_start)
{
  const gchar *const chain[] = { "fakesrc", "*", "fakesink", NULL };

  check_refusal ("srtpsdesdec", chain);
}
GST_END_TEST;

/* A usable value set after the refused one is what counts. */
GST_START_TEST (test_srtpsdes_usable_crypto_after_refused_one_starts)
{
  const gchar *factories[] = { "srtpsdesenc", "srtpsdesdec" };

  for (guint i = 0; i < G_N_ELEMENTS (factories); i++) {
    GstElement *pipeline = gst_pipeline_new (NULL);
    GstElement *element = gst_element_factory_make (factories[i], NULL);
    GstBus *bus = gst_element_get_bus (pipeline);
    gchar *last_error = NULL;

    gst_bin_add (GST_BIN (pipeline), element);
    g_object_set (element, "crypto", SHORT_LINE, NULL);
    g_object_set (element, "crypto", GOOD_LINE, NULL);
    g_object_get (element, "last-error", &last_error, NULL);
    fail_unless (last_error == NULL, "%s: %s", factories[i], last_error);
    fail_unless (gst_element_set_state (pipeline, GST_STATE_PAUSED) != GST_STATE_CHANGE_FAILURE,
        "%s did not start", factories[i]);
    fail_unless (gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR) == NULL);
    /* Back to none (the encoder generates a key): starts too. */
    gst_element_set_state (pipeline, GST_STATE_NULL);
    g_object_set (element, "crypto", SHORT_LINE, NULL);
    g_object_set (element, "crypto", NULL, NULL);
    fail_unless (gst_element_set_state (pipeline, GST_STATE_PAUSED) != GST_STATE_CHANGE_FAILURE,
        "%s did not start without a key", factories[i]);
    gst_element_set_state (pipeline, GST_STATE_NULL);
    gst_object_unref (bus);
    gst_object_unref (pipeline);
  }
}
GST_END_TEST;

/* Refused while PLAYING: the old key stays, a warning says why, and the
 * element still restarts (the refusal was not its configuration). */
GST_START_TEST (test_srtpsdes_refused_rekey_while_playing_keeps_the_key)
{
  const gchar *factories[] = { "srtpsdesenc", "srtpsdesdec" };
  const gchar *expect[] = { GOOD_LINE, "1 AES_CM_128_HMAC_SHA1_80 inline:<redacted>" };

  for (guint i = 0; i < G_N_ELEMENTS (factories); i++) {
    GstElement *pipeline = gst_pipeline_new (NULL);
    GstElement *element = gst_element_factory_make (factories[i], NULL);
    GstBus *bus = gst_element_get_bus (pipeline);
    GstMessage *msg;
    GError *error = NULL;
    gchar *crypto = NULL, *last_error = NULL;

    gst_bin_add (GST_BIN (pipeline), element);
    g_object_set (element, "crypto", GOOD_LINE, NULL);
    fail_unless (gst_element_set_state (pipeline, GST_STATE_PLAYING) != GST_STATE_CHANGE_FAILURE);
    fail_unless_equals_int (gst_element_get_state (element, NULL, NULL, GST_CLOCK_TIME_NONE),
        GST_STATE_CHANGE_SUCCESS);
    g_object_set (element, "crypto", SHORT_LINE, NULL);
    g_object_get (element, "crypto", &crypto, "last-error", &last_error, NULL);
    fail_unless_equals_string (crypto, expect[i]);
    fail_unless (last_error != NULL && strstr (last_error, SHORT_KEY_TEXT) != NULL);
    msg = gst_bus_pop_filtered (bus, GST_MESSAGE_WARNING);
    fail_unless (msg != NULL, "%s: no warning", factories[i]);
    gst_message_parse_warning (msg, &error, NULL);
    fail_unless_equals_int (error->code, SDES_CRYPTO_ERROR_KEY_LENGTH);
    fail_unless (gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR) == NULL);
    fail_unless_equals_int (GST_STATE (element), GST_STATE_PLAYING);
    gst_element_set_state (pipeline, GST_STATE_NULL);
    fail_unless (gst_element_set_state (pipeline, GST_STATE_PAUSED) != GST_STATE_CHANGE_FAILURE,
        "%s did not restart", factories[i]);

    gst_element_set_state (pipeline, GST_STATE_NULL);
    g_error_free (error);
    gst_message_unref (msg);
    g_free (crypto);
    g_free (last_error);
    gst_object_unref (bus);
    gst_object_unref (pipeline);
  }
}
GST_END_TEST;

/* The 'suite' enum has no F8 or AES_192 value, and every value it has
 * makes a key the element uses. */
GST_START_TEST (test_srtpsdesenc_suite_lists_only_working_suites)
{
  GstElement *probe = gst_element_factory_make ("srtpsdesenc", NULL);
  GParamSpec *pspec = g_object_class_find_property (G_OBJECT_GET_CLASS (probe), "suite");
  GEnumClass *suites;
  const gchar *refused[] = {
    "F8_128_HMAC_SHA1_80", "AES_192_CM_HMAC_SHA1_80", "AES_192_CM_HMAC_SHA1_32",
  };

  fail_unless (G_IS_PARAM_SPEC_ENUM (pspec));
  fail_unless_equals_string (g_type_name (pspec->value_type), "GstSrtpSdesSuite");
  suites = g_type_class_ref (pspec->value_type);
  for (guint i = 0; i < G_N_ELEMENTS (refused); i++)
    fail_unless (g_enum_get_value_by_nick (suites, refused[i]) == NULL, "%s listed", refused[i]);
  /* RFC 4568 and RFC 6188 suites every libsrtp2 2.x has. */
  fail_unless (g_enum_get_value_by_nick (suites, "AES_CM_128_HMAC_SHA1_80") != NULL);
  fail_unless (g_enum_get_value_by_nick (suites, "AES_CM_128_HMAC_SHA1_32") != NULL);
  fail_unless (g_enum_get_value_by_nick (suites, "AES_256_CM_HMAC_SHA1_80") != NULL);
  fail_unless (g_enum_get_value_by_nick (suites, "AES_256_CM_HMAC_SHA1_32") != NULL);

  for (guint i = 0; i < suites->n_values; i++) {
    GstElement *enc = gst_element_factory_make ("srtpsdesenc", NULL);
    g_autoptr (SdesCryptoAttr) attr = NULL;
    gchar *crypto = NULL, *last_error = NULL;

    g_object_set (enc, "suite", suites->values[i].value, NULL);
    fail_unless_equals_int (gst_element_set_state (enc, GST_STATE_READY),
        GST_STATE_CHANGE_SUCCESS);
    g_object_get (enc, "crypto", &crypto, "last-error", &last_error, NULL);
    fail_unless (crypto != NULL && last_error == NULL, "%s: %s", suites->values[i].value_nick,
        last_error);
    attr = sdes_crypto_attr_parse (crypto, NULL);
    fail_unless (attr != NULL);
    fail_unless_equals_string (attr->suite_name, suites->values[i].value_nick);
    gst_element_set_state (enc, GST_STATE_NULL);
    g_free (crypto);
    gst_object_unref (enc);
  }
  g_type_class_unref (suites);
  gst_object_unref (probe);
}
GST_END_TEST;

static Suite *
srtpsdes_config_suite (void)
{
  Suite *s = suite_create ("srtpsdes-config");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_srtpsdesenc_refused_crypto_fails_to_start);
  tcase_add_test (tc, test_srtpsdesdec_refused_crypto_fails_to_start);
  tcase_add_test (tc, test_srtpsdes_usable_crypto_after_refused_one_starts);
  tcase_add_test (tc, test_srtpsdes_refused_rekey_while_playing_keeps_the_key);
  tcase_add_test (tc, test_srtpsdesenc_suite_lists_only_working_suites);
  return s;
}

GST_CHECK_MAIN (srtpsdes_config);
