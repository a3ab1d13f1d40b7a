/*
 * fuzz_body.c - the JSON body decoder: whatever bytes arrive as a request
 * body, parsing them as the pipeline does and validating the result
 * against every resource table must neither crash nor leak.
 */
#include "core/alloc.h"
#include "crm/crm.h"
#include "resource/resource.h"

#include <jansson.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int ready;
	if (!ready) {
		alloc_install_json();
		ready = 1;
	}
	json_error_t err;
	json_t *body = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, &err);
	if (!body)
		return 0;
	const struct resource *all[] = { &company_resource, &contact_resource, &site_resource,
					  &asset_resource, &audit_resource };
	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
		for (int create = 0; create < 2; create++) {
			json_t *errors = json_array();
			int n = resource_validate(all[i], body, create, errors);
			if (n < 0 || (size_t)n != json_array_size(errors))
				__builtin_trap();	/* the count must match the list */
			json_decref(errors);
		}
	}
	json_decref(body);
	return 0;
}
