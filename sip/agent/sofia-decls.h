/* srtpsdes — private Sofia-SIP declarations of the agent
 *
 * Copyright (C) 2026 srtpsdes developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* The magic types must be defined before any Sofia header is included, so
 * that nua_create()'s callback and nua_handle_bind() are typed with our own
 * structs (telepathy-rakia's sofia-decls.h pattern): no casts in callbacks. */

#pragma once

#include "sdes-agent.h"

#define SU_ROOT_MAGIC_T struct _SdesAgent
#define NUA_MAGIC_T     struct _SdesAgent
#define NUA_HMAGIC_T    struct _SdesCall

#include <sofia-sip/su_glib.h>
#include <sofia-sip/su_log.h>
#include <sofia-sip/su_tag_io.h>
#include <sofia-sip/nua.h>
#include <sofia-sip/nua_tag.h>
#include <sofia-sip/sip_header.h>
#include <sofia-sip/sip_status.h>
#include <sofia-sip/tport_tag.h>
#include <sofia-sip/soa_session.h>
#include <sofia-sip/auth_client.h>

/* Exported by libsofia-sip-ua but not declared in its public headers. */
extern su_log_t nua_log[];
extern su_log_t nta_log[];
extern su_log_t tport_log[];

G_BEGIN_DECLS

/* sdes-agent.c, for sdes-call.c */
nua_t *_sdes_agent_get_nua (SdesAgent *agent);
SdesLocalMedia *_sdes_agent_get_local_media (SdesAgent *agent);
void _sdes_agent_configure_session (SdesAgent *agent, SdesSession *session,
                                    gboolean secure_signaling);
gboolean _sdes_agent_uri_is_secure (const gchar *uri);
void _sdes_agent_forget_call (SdesAgent *agent, SdesCall *call);
const gchar *_sdes_agent_get_warn_host (SdesAgent *agent);
gboolean _sdes_agent_authenticate (SdesAgent *agent, nua_handle_t *nh, int status,
                                   sip_t const *sip, gint *attempts);
gboolean _sdes_agent_get_credentials (SdesAgent *agent, const gchar **username,
                                      const gchar **password);
SdesCall *_sdes_agent_call_with_policy (SdesAgent *agent, const gchar *to_uri,
                                        SdesSrtpPolicy policy, GError **error);

/* sdes-call.c, for sdes-agent.c */
SdesCall *_sdes_call_new_outgoing (SdesAgent *agent, const gchar *to_uri,
                                   SdesLocalMedia *local, SdesSrtpPolicy policy,
                                   gboolean secure_signaling);
SdesCall *_sdes_call_new_incoming (SdesAgent *agent, nua_handle_t *nh);
gboolean _sdes_call_start (SdesCall *call, GError **error);
/* Returns TRUE when the INVITE offer was acceptable and the app must be asked. */
gboolean _sdes_call_handle_initial_invite (SdesCall *call, int status, sip_t const *sip);
void _sdes_call_handle_event (SdesCall *call, nua_event_t event, int status,
                              char const *phrase, nua_handle_t *nh,
                              sip_t const *sip, tagi_t tags[]);
void _sdes_call_shutdown (SdesCall *call);

G_END_DECLS
