/* srtpsdes — the keyring: what both elements keep about their keys
 *
 * Copyright (C) 2026 srtpsdes developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include "gstsrtpsdeskey.h"

G_BEGIN_DECLS

/* The properties both elements have, with these ids; an element's own
 * properties start at GST_SRTP_SDES_PROP_N. */
enum {
  GST_SRTP_SDES_PROP_0,
  GST_SRTP_SDES_PROP_CRYPTO,
  GST_SRTP_SDES_PROP_REPLAY_WINDOW_SIZE,
  GST_SRTP_SDES_PROP_LAST_ERROR,
  GST_SRTP_SDES_PROP_STATS,
  GST_SRTP_SDES_PROP_N,
};

/* What the two elements do differently with the common properties. Each
 * is called with no lock held. */
typedef struct {
  /* Name of the stats structure. */
  const gchar *stats_name;
  /* Takes the key of a value set on 'crypto' (%NULL: none, the value
   * was %NULL or ""). */
  void (*set_crypto) (GstElement *element, GstSrtpSdesKey *key);
  /* What reading 'crypto' gives. */
  gchar *(*dup_crypto) (GstElement *element);
  /* Appends the per-SSRC stats of every pad pair to @streams; returns
   * their invalid-drops. */
  guint64 (*append_stats) (GstElement *element, GValue *streams);
  /* Optional: stats fields of the element's own. */
  void (*add_stats) (GstElement *element, GstStructure *s);
} GstSrtpSdesKeyringFuncs;

/* What both elements keep about their keys besides the keys themselves:
 * why the last value was refused, the replay window of the sessions they
 * make, and the keys bound to one SSRC each (add-crypto-for-ssrc).
 * Guarded by the element's object lock; pin_gen changes with every change
 * of ssrc_keys and is read atomically per packet or list, so that an SSRC
 * looks its key up again (O(1)) only then. */
typedef struct _GstSrtpSdesKeyring GstSrtpSdesKeyring;
struct _GstSrtpSdesKeyring {
  const GstSrtpSdesKeyringFuncs *funcs;
  GstElement *element; /* the owner, not a reference */
  gchar *last_error;
  guint replay_window_size;
  GHashTable *ssrc_keys; /* ssrc -> GstSrtpSdesKey */
  gint pin_gen;
  /* A 'crypto' value refused before the element streamed (set in NULL or
   * READY): until a usable value replaces it the element does not start,
   * rather than run with a key nobody asked for. */
  GError *config_error;
};

void gst_srtp_sdes_keyring_install_properties (GObjectClass *klass,
                                               const gchar *stats_name,
                                               const gchar *crypto_reading,
                                               const gchar *stats_fields);
void gst_srtp_sdes_keyring_install_signals (GObjectClass *klass,
                                            GCallback add_crypto_for_ssrc,
                                            GCallback remove_ssrc);
void gst_srtp_sdes_keyring_init (GstSrtpSdesKeyring *ring,
                                 const GstSrtpSdesKeyringFuncs *funcs,
                                 GstElement *element);
void gst_srtp_sdes_keyring_clear (GstSrtpSdesKeyring *ring);
void gst_srtp_sdes_keyring_set_property (GstSrtpSdesKeyring *ring,
                                         guint prop_id,
                                         const GValue *value,
                                         GParamSpec *pspec);
void gst_srtp_sdes_keyring_get_property (GstSrtpSdesKeyring *ring,
                                         guint prop_id,
                                         GValue *value,
                                         GParamSpec *pspec);
void gst_srtp_sdes_keyring_refuse (GstSrtpSdesKeyring *ring,
                                   const gchar *what,
                                   const GError *error);
GstSrtpSdesKey *gst_srtp_sdes_keyring_parse (GstSrtpSdesKeyring *ring,
                                             const gchar *what,
                                             const gchar *text);
gboolean gst_srtp_sdes_keyring_add_for_ssrc (GstSrtpSdesKeyring *ring,
                                             guint32 ssrc,
                                             const gchar *text);
gboolean gst_srtp_sdes_keyring_remove_ssrc (GstSrtpSdesKeyring *ring, guint32 ssrc);
gboolean gst_srtp_sdes_keyring_may_start (GstSrtpSdesKeyring *ring, GstStateChange transition);

G_END_DECLS
