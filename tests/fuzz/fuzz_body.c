/*
 * fuzz_body.c - libFuzzer harness for the JSON body decoder: whatever
 * bytes arrive as a request body, parsing them as the pipeline does and
 * validating the result against the resource tables must neither crash
 * nor leak.
 *
 * Beyond "does not crash", it checks what the error reply relies on: the
 * returned count is the number of entries added, every entry is
 * {field: string, message: non-empty string}, a body that is not an
 * object gets exactly one error, and a body that validates for create
 * also validates as a patch (a patch only relaxes "required").
 */
#include "core/alloc.h"
#include "crm/crm.h"
#include "resource/audit.h"
#include "resource/resource.h"

#include <jansson.h>
#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int validate(const struct resource *res, const json_t *body, bool create)
{
	json_t *errors = json_array();
	if (!errors)
		__builtin_trap();
	int n = resource_validate(res, body, create, errors);
	if (n < 0 || (size_t)n != json_array_size(errors))
		__builtin_trap();	/* the count must match the list */
	if (!json_is_object(body) && n != 1)
		__builtin_trap();
	size_t i;
	json_t *e;
	json_array_foreach(errors, i, e) {
		json_t *field = json_object_get(e, "field");
		json_t *message = json_object_get(e, "message");
		if (!json_is_string(field) || !json_is_string(message) ||
		    !*json_string_value(message))
			__builtin_trap();
	}
	json_decref(errors);
	return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool ready;
	if (!ready) {
		alloc_install_json();
		ready = true;
	}
	json_error_t err;
	json_t *body = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, &err);
	if (!body)
		return 0;
	const struct resource *all[] = { &company_resource, &contact_resource, &site_resource,
					 &asset_resource, &audit_resource };
	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
		int as_create = validate(all[i], body, true);
		int as_patch = validate(all[i], body, false);
		if (as_create == 0 && as_patch != 0)
			__builtin_trap();
	}
	json_decref(body);
	return 0;
}
