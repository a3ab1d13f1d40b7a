/*
 * test_webhooks.c - src/webhooks/webhooks.c: Standard Webhooks signing
 * against the specification's published example, secrets in the spec's
 * form, and the event patterns an endpoint subscribes with.
 */
#include "webhooks/webhooks.h"

#include <sodium.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

/* The example of the Standard Webhooks specification (and of its reference libraries). */
static void signs_the_published_example(void **state)
{
	(void)state;
	const char *body = "{\"test\": 2432232314}";
	char sig[WEBHOOK_SIGNATURE_LEN];
	assert_int_equal(webhook_sign("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
				      "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body,
				      strlen(body), sig), 0);
	assert_string_equal(sig, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
	/* the prefix is optional, as in the reference libraries */
	assert_int_equal(webhook_sign("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
				      "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body,
				      strlen(body), sig), 0);
	assert_string_equal(sig, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
	/* every part is signed: another id, time or body is another signature */
	webhook_sign("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "msg_p5jXN8AQM9LWM0D4loKWxJel",
		     1614265330, body, strlen(body), sig);
	assert_string_not_equal(sig, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
	webhook_sign("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "msg_p5jXN8AQM9LWM0D4loKWxJek",
		     1614265331, body, strlen(body), sig);
	assert_string_not_equal(sig, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
	webhook_sign("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "msg_p5jXN8AQM9LWM0D4loKWxJek",
		     1614265330, body, strlen(body) - 1, sig);
	assert_string_not_equal(sig, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
	/* a secret that is not base64 signs nothing */
	assert_int_equal(webhook_sign("whsec_not base64!", "m", 1, "{}", 2, sig), -1);
	assert_int_equal(webhook_sign("whsec_", "m", 1, "{}", 2, sig), -1);
}

static void secrets_are_whsec_and_32_bytes(void **state)
{
	(void)state;
	char a[WEBHOOK_SECRET_LEN], b[WEBHOOK_SECRET_LEN];
	webhook_secret_new(a);
	webhook_secret_new(b);
	assert_int_equal(strncmp(a, "whsec_", 6), 0);
	assert_string_not_equal(a, b);
	unsigned char key[64];
	size_t len = 0;
	assert_int_equal(sodium_base642bin(key, sizeof(key), a + 6, strlen(a + 6), NULL, &len,
					   NULL, sodium_base64_VARIANT_ORIGINAL), 0);
	assert_int_equal(len, 32);
	char sig[WEBHOOK_SIGNATURE_LEN];
	assert_int_equal(webhook_sign(a, "msg_1", 1, "{}", 2, sig), 0);
}

static void patterns(void **state)
{
	(void)state;
	static const char *const valid[] = {
		"*", "ticket.*", "ticket.created", "ticket.updated", "ticket.escalated",
		"ticket.note.*", "ticket.note.created", "quote.*", "quote.accepted", "contract.*",
		"contract.block_used_up", "invoice.*", "invoice.issued", "invoice.paid",
		"invoice.voided", "invoice.created", "credit_note.created", NULL,
	};
	static const char *const invalid[] = {
		"", "**", "tickets.*", "ticket.", "ticket", "ticket.exploded", ".*", "webhook.test",
		"invoice.*.*", "*.created", "TICKET.*", NULL,
	};
	for (const char *const *p = valid; *p; p++)
		if (!webhook_pattern_valid(*p))
			fail_msg("\"%s\" refused", *p);
	for (const char *const *p = invalid; *p; p++)
		if (webhook_pattern_valid(*p))
			fail_msg("\"%s\" taken", *p);

	assert_true(webhook_pattern_match("*", "quote.sent"));
	assert_true(webhook_pattern_match("ticket.*", "ticket.created"));
	assert_true(webhook_pattern_match("ticket.*", "ticket.note.created"));
	assert_false(webhook_pattern_match("ticket.*", "tickets.created"));
	assert_false(webhook_pattern_match("ticket.note.*", "ticket.created"));
	assert_true(webhook_pattern_match("ticket.updated", "ticket.updated"));
	assert_false(webhook_pattern_match("ticket.updated", "ticket.updated_more"));
	assert_false(webhook_pattern_match("invoice.*", "invoice_run.created"));

	json_t *list = json_pack("[s, s]", "quote.*", "invoice.paid");
	assert_true(webhook_patterns_match(list, "quote.sent"));
	assert_true(webhook_patterns_match(list, "invoice.paid"));
	assert_false(webhook_patterns_match(list, "invoice.issued"));
	json_decref(list);
}

int main(void)
{
	if (sodium_init() < 0)
		return 1;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(signs_the_published_example),
		cmocka_unit_test(secrets_are_whsec_and_32_bytes),
		cmocka_unit_test(patterns),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
