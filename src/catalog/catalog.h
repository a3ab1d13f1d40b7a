/*
 * catalog.h - what the firm sells and bills: products (equipment,
 * software, services with cost and price) and work types (labour roles
 * with hourly rates). Prices are integer minor units of `currency`.
 */
#ifndef SERVIO_CATALOG_H
#define SERVIO_CATALOG_H

#include "resource/resource.h"

extern const struct resource product_resource;		/* /api/v1/products */
extern const struct resource work_type_resource;	/* /api/v1/work-types */

/* A currency field: three capital letters (ISO 4217), "USD" by default. */
#define FIELD_CURRENCY(n)                                                                        \
	{ .name = n, .type = FT_TEXT, .flags = F_FILTER, .min = 3, .max = 3, .dflt = "\"USD\"",     \
	  .doc = "An ISO 4217 code in upper case (`USD`, `EUR`)." }

/* The check for FIELD_CURRENCY: appends an error unless rec's field is A-Z{3}. */
void catalog_check_currency(const json_t *rec, const char *field, json_t *errors);

#endif
