/* srtpsdes — Sofia-SIP declarations shared by the agent and its calls
 *
 * Copyright (C) 2026 srtpsdes developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* The magic types must be defined before any Sofia header is included, so
 * that nua_create()'s callback and nua_handle_bind() are typed with our own
 * structs (telepathy-rakia's sofia-decls.h pattern): no casts in callbacks.
 * This header names types only; it declares no function of either side. */

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
#include <sofia-sip/nta_tag.h>
#include <sofia-sip/soa_session.h>
#include <sofia-sip/auth_client.h>

/* Exported by libsofia-sip-ua but not declared in its public headers. */
extern su_log_t nua_log[];
extern su_log_t nta_log[];
extern su_log_t tport_log[];
