/* srtpsdes — harness of the SdesAgent/SdesCall tests that run SIPp
 *
 * Copyright (C) 2026 srtpsdes developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Agents run in the test process on one GMainContext; a watchdog timeout
 * source fails the test instead of hanging. What one of our agents cannot
 * produce is played by SIPp with the scenarios in tests/sip/agent/sipp/.
 */

#pragma once

#include <gio/gio.h>

#include "sdes-agent.h"

G_BEGIN_DECLS

#define WATCHDOG_SECONDS 60

typedef struct {
  GMainContext *ctx;
  GSource *watchdog;
  GPtrArray *agents;          /* SdesAgent*, shut down in teardown */
  gchar *tmpdir;              /* certificates, SIPp's cwd */
} Fixture;

typedef struct {
  SdesAgent *agent;
  gchar *uri;                 /* "sip(s):user@host:port" */
  SdesCall *incoming;         /* last incoming call (ref) */
  guint incoming_count;
} Peer;

typedef struct {
  gboolean ready;
  gboolean ended;
  guint end_status;
  gchar *end_reason;
  SdesCallEndReason end_why;   /* SdesCall:end-reason when ended */
  GPtrArray *media;           /* from media-ready */
  GPtrArray *early;           /* SdesMediaDescription* of each early-media, in order */
  GPtrArray *early_tags;      /* gchar* */
  GPtrArray *released_tags;   /* gchar*, early-media-released */
  GPtrArray *redirects;       /* gchar*, redirected */
} CallWatch;

typedef struct {
  GSubprocess *proc;
  guint port;
  gboolean exited;
} Sipp;

void wait_for (Fixture *f, const gboolean *flag);
void set_flag (gpointer instance, gpointer data);
void fixture_setup (Fixture *f, gconstpointer data);
void fixture_teardown (Fixture *f, gconstpointer data);
SdesLocalMedia * make_local (guint port);
SdesAgent * new_agent (Fixture *f, const gchar *const *binds, guint media_port);
void start_agent (Fixture *f, SdesAgent *agent);
gchar * user_uri (const gchar *contact, const gchar *user);
void peer_init (Fixture *f, Peer *p, SdesAgent *agent, const gchar *user);
void peer_clear (Peer *p);
SdesAgent * new_udp_agent (Fixture *f, guint media_port);
void watch_call (SdesCall *call, CallWatch *w);
const gchar *end_reason_nick (SdesCallEndReason why);
void unwatch_call (SdesCall *call, CallWatch *w);
void wait_ready_or_ended (Fixture *f, CallWatch *w);
void hangup_and_wait (Fixture *f, SdesCall *call, CallWatch *w);
gchar * make_test_key (SdesCryptoAttr **attr_out);
guint free_udp_port (void);
gboolean sipp_start (Fixture *f, Sipp *s, const gchar *scenario, const gchar *remote, const gchar *const *keys);
gboolean sipp_start_timeout (Fixture *f, Sipp *s, const gchar *scenario, const gchar *remote,
                             const gchar *const *keys, const gchar *timeout);
void sipp_finish (Fixture *f, Sipp *s);

G_END_DECLS
