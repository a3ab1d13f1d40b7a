/*
 * crm.h - the firm's clients: companies, their contacts, sites and assets,
 * as resource tables (see resource/resource.h). Fields follow the contract
 * in DESIGN.md; names are never renamed, only added.
 */
#ifndef SERVIO_CRM_H
#define SERVIO_CRM_H

#include "resource/resource.h"

extern const struct resource company_resource;
extern const struct resource contact_resource;
extern const struct resource site_resource;
extern const struct resource asset_resource;

#endif
