/* srtpsdes — what crypto-attr.c and crypto-attr-keys.c share
 *
 * Copyright (C) 2026 srtpsdes developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include "sdes-crypto.h"

/* RFC 4568 §9.1: mki-length = 1*3DIGIT, "between 1 and 128 inclusive". */
#define MAX_MKI_LENGTH 128
