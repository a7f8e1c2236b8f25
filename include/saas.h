/**
 * @file saas.h
 * @brief The umbrella header: includes every public libsaas header.
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

#endif
