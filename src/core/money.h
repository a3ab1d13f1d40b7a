/*
 * money.h - exact money arithmetic for documents (quotes, invoices).
 *
 * Money is an integer count of the currency's minor units (12500 = 125.00
 * USD); quantities are thousandths (1.5 = 1500); rates are basis points
 * (825 = 8.25 %). Every rounding is half away from zero and happens once
 * per line and once for tax, as DESIGN.md says:
 *
 *   line amount = round(quantity x unit_price x (10000 - discount_bp) / 10000)
 *   tax         = round(sum of taxable line amounts x tax_rate_bp / 10000)
 *
 * Intermediate products are 128-bit, so no input in range overflows
 * silently: a result outside int64_t is reported as an error instead.
 */
#ifndef SERVIO_CORE_MONEY_H
#define SERVIO_CORE_MONEY_H

#include <stddef.h>
#include <stdbool.h>
#include <stdint.h>

/* num / den rounded half away from zero; den > 0. */
__int128 money_div_round(__int128 num, int64_t den);

/*
 * The amount of a line: quantity in thousandths, unit price in minor units,
 * discount in basis points (0..10000). Returns 0 and writes *out, or -1
 * when the amount does not fit in int64_t.
 */
int money_line_amount(int64_t quantity_thousandths, int64_t unit_price, int64_t discount_bp,
		      int64_t *out);

/* round(base x rate_bp / 10000). Returns 0 and writes *out, or -1 on overflow. */
int money_apply_bp(int64_t base, int64_t rate_bp, int64_t *out);

/* True when code is an ISO 4217 currency in use ("USD"), as ICU knows them. */
bool money_currency_known(const char *code);

/* Digits after the decimal point of an ISO 4217 currency: 2, or 0 (JPY), 3 (KWD). */
int money_exponent(const char *currency);

#define MONEY_TEXT_LEN 40

/*
 * Formats for people: -1234567 USD -> "-12,345.67 USD"; 1500 JPY ->
 * "1,500 JPY". Always NUL-terminated; out holds MONEY_TEXT_LEN bytes.
 */
void money_format(int64_t minor, const char *currency, char out[MONEY_TEXT_LEN]);

#endif
