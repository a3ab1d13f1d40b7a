/*
 * format.c - the values of a document's JSON as a client reads them:
 * quantities, percentages, money, dates and enum labels (see format.h).
 */
#include "format.h"

#include "core/timeutil.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

const char *fmt_json_str(const json_t *obj, const char *key)
{
	const char *s = json_string_value(json_object_get(obj, key));
	return s && *s ? s : NULL;
}

bool fmt_json_int(const json_t *obj, const char *key, int64_t *out)
{
	const json_t *v = json_object_get(obj, key);
	if (!json_is_integer(v))
		return false;
	*out = (int64_t)json_integer_value(v);
	return true;
}

bool fmt_json_quantity(const json_t *v, int64_t *out)
{
	if (json_is_integer(v)) {
		json_int_t q = json_integer_value(v);
		if (q > INT64_MAX / 1000 || q < -(INT64_MAX / 1000))
			return false;
		*out = (int64_t)q * 1000;
		return true;
	}
	if (json_is_real(v)) {
		double t = json_real_value(v) * 1000.0;
		if (!(fabs(t) < 9.0e18))
			return false;
		*out = (int64_t)llround(t);
		return true;
	}
	return false;
}

void fmt_quantity(int64_t t, char *out, size_t n)
{
	uint64_t mag = t < 0 ? (uint64_t)0 - (uint64_t)t : (uint64_t)t;
	unsigned frac = (unsigned)(mag % 1000);
	int k = snprintf(out, n, "%s%llu", t < 0 ? "-" : "", (unsigned long long)(mag / 1000));
	if (frac == 0 || k < 0 || (size_t)k >= n)
		return;
	int digits = 3;
	while (frac % 10 == 0) {
		frac /= 10;
		digits--;
	}
	snprintf(out + k, n - (size_t)k, ".%0*u", digits, frac);
}

void fmt_bp(int64_t bp, char *out, size_t n)
{
	uint64_t mag = bp < 0 ? (uint64_t)0 - (uint64_t)bp : (uint64_t)bp;
	unsigned long long whole = mag / 100, frac = mag % 100;
	const char *sign = bp < 0 ? "-" : "";
	if (frac == 0)
		snprintf(out, n, "%s%llu %%", sign, whole);
	else if (frac % 10 == 0)
		snprintf(out, n, "%s%llu.%llu %%", sign, whole, frac / 10);
	else
		snprintf(out, n, "%s%llu.%02llu %%", sign, whole, frac);
}

void fmt_money(int64_t minor, const char *currency, char out[MONEY_TEXT_LEN])
{
	money_format(minor, currency, out);
	size_t n = strlen(out);
	while (n > 0 && out[n - 1] == ' ')
		out[--n] = '\0';
}

bool fmt_date(const char *s, char out[11])
{
	if (!s || strlen(s) < 10)
		return false;
	memcpy(out, s, 10);
	out[10] = '\0';
	return date_valid(out);
}

void fmt_label(const char *v, const char *const map[][2], char *out, size_t n)
{
	for (size_t i = 0; map && map[i][0]; i++) {
		if (strcmp(map[i][0], v) == 0) {
			snprintf(out, n, "%s", map[i][1]);
			return;
		}
	}
	snprintf(out, n, "%s", v);
	for (char *c = out; *c; c++)
		if (*c == '_')
			*c = ' ';
	if (out[0] >= 'a' && out[0] <= 'z')
		out[0] = (char)(out[0] - 'a' + 'A');
}
