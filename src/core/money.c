/*
 * money.c - integer money: rounding half away from zero, document line
 * amounts, basis-point rates and formatting for people.
 */
#include "money.h"

#include <stdio.h>
#include <string.h>
#include <unicode/ucurr.h>
#include <unicode/uenum.h>

bool money_currency_known(const char *code)
{
	for (int i = 0; i < 3; i++)
		if (code[i] < 'A' || code[i] > 'Z')
			return false;
	if (code[3] != '\0')
		return false;
	UErrorCode status = U_ZERO_ERROR;
	UEnumeration *all = ucurr_openISOCurrencies(UCURR_COMMON | UCURR_NON_DEPRECATED, &status);
	if (U_FAILURE(status))
		return false;
	bool found = false;
	const char *c;
	while (!found && (c = uenum_next(all, NULL, &status)) != NULL && U_SUCCESS(status))
		found = strcmp(c, code) == 0;
	uenum_close(all);
	return found;
}

__int128 money_div_round(__int128 num, int64_t den)
{
	__int128 q = num / den, r = num % den;
	/* |r| >= den/2 rounds away from zero: compare 2|r| with den */
	__int128 twice = r < 0 ? -2 * r : 2 * r;
	if (twice >= den)
		q += num < 0 ? -1 : 1;
	return q;
}

static int fits(__int128 v, int64_t *out)
{
	if (v > INT64_MAX || v < INT64_MIN)
		return -1;
	*out = (int64_t)v;
	return 0;
}

int money_line_amount(int64_t quantity_thousandths, int64_t unit_price, int64_t discount_bp,
		      int64_t *out)
{
	/* quantity/1000 x price x (10000 - d)/10000 = q x p x (10000 - d) / 10^7 */
	__int128 qp = (__int128)quantity_thousandths * unit_price;	/* |qp| <= 2^126 */
	__int128 keep = (__int128)10000 - discount_bp;
	/* two int64 near their limits times 10000 would pass even 128 bits */
	const __int128 max = (__int128)(~(unsigned __int128)0 >> 1);
	__int128 aqp = qp < 0 ? -qp : qp, akeep = keep < 0 ? -keep : keep;
	if (akeep != 0 && aqp > max / akeep)
		return -1;
	return fits(money_div_round(qp * keep, 10000000), out);
}

int money_apply_bp(int64_t base, int64_t rate_bp, int64_t *out)
{
	return fits(money_div_round((__int128)base * rate_bp, 10000), out);
}

int money_exponent(const char *currency)
{
	/* ISO 4217 minor units where they are not 2 */
	static const char *const zero[] = { "BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF",
					    "KRW", "PYG", "RWF", "UGX", "UYI", "VND", "VUV",
					    "XAF", "XOF", "XPF", NULL };
	static const char *const three[] = { "BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND",
					     NULL };
	for (const char *const *c = zero; currency && *c; c++)
		if (strcmp(*c, currency) == 0)
			return 0;
	for (const char *const *c = three; currency && *c; c++)
		if (strcmp(*c, currency) == 0)
			return 3;
	return 2;
}

void money_format(int64_t minor, const char *currency, char out[MONEY_TEXT_LEN])
{
	int exp = money_exponent(currency);
	uint64_t mag = minor < 0 ? (uint64_t)0 - (uint64_t)minor : (uint64_t)minor;
	uint64_t scale = exp == 0 ? 1 : exp == 3 ? 1000 : 100;
	uint64_t whole = mag / scale, frac = mag % scale;
	char digits[32], grouped[48];
	int n = snprintf(digits, sizeof(digits), "%llu", (unsigned long long)whole);
	size_t k = 0;
	for (int i = 0; i < n; i++) {
		if (i > 0 && (n - i) % 3 == 0)
			grouped[k++] = ',';
		grouped[k++] = digits[i];
	}
	grouped[k] = '\0';
	if (exp == 0)
		snprintf(out, MONEY_TEXT_LEN, "%s%s %s", minor < 0 ? "-" : "", grouped,
			 currency ? currency : "");
	else
		snprintf(out, MONEY_TEXT_LEN, "%s%s.%0*llu %s", minor < 0 ? "-" : "", grouped, exp,
			 (unsigned long long)frac, currency ? currency : "");
}
