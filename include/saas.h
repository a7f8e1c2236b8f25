/**
 * @file saas.h
 * @brief The umbrella header: includes every public libsaas header.
 *
 * Except saas/postgres.h, the PostgreSQL extension, which needs libpq's
 * headers: a program that uses it includes <saas/postgres.h> itself.
 */
#ifndef SAAS_H
#define SAAS_H

#include "saas/common.h"
#include "saas/context.h"
#include "saas/id.h"
#include "saas/metrics.h"
#include "saas/store.h"
#include "saas/tenant.h"
#include "saas/identity.h"
#include "saas/audit.h"
#include "saas/webhook.h"
#include "saas/rbac.h"
#include "saas/authz.h"
#include "saas/ratelimit.h"
#include "saas/auth.h"
#include "saas/billing.h"
#include "saas/password.h"
#include "saas/apikey.h"
#include "saas/totp.h"
#include "saas/mfa.h"
#include "saas/token.h"

#endif
