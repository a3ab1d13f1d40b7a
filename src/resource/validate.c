/*
 * validate.c - checks JSON bodies against a resource's field table. Pure:
 * no database, so it is unit-tested and fuzzed directly. References are
 * checked for existence later, by the engine, inside the write transaction.
 */
#include "resource.h"

#include "core/calendar.h"
#include "core/timeutil.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

void resource_error(json_t *errors, const char *field, const char *message)
{
	json_array_append_new(errors, json_pack("{s:s, s:s}", "field", field, "message", message));
}

int resource_quantity(const json_t *v, int64_t *thousandths)
{
	if (json_is_integer(v)) {
		json_int_t n = json_integer_value(v);
		if (n > INT64_MAX / 1000 || n < INT64_MIN / 1000)
			return -1;
		*thousandths = n * 1000;
		return 0;
	}
	if (!json_is_real(v))
		return -1;
	double x = json_real_value(v) * 1000.0;
	if (!(x > -9e15 && x < 9e15))
		return -1;
	double r = round(x);
	/* 0.1 * 1000 is 100.00000000000001: allow what binary fractions smear */
	if (fabs(x - r) > 1e-6 * (fabs(r) > 1 ? fabs(r) : 1))
		return -1;
	*thousandths = (int64_t)r;
	return 0;
}

json_t *resource_quantity_json(int64_t thousandths)
{
	if (thousandths % 1000 == 0)
		return json_integer(thousandths / 1000);
	return json_real((double)thousandths / 1000.0);
}

const struct field *resource_field(const struct resource *res, const char *name)
{
	for (const struct field *f = res->fields; f->name; f++)
		if (strcmp(f->name, name) == 0)
			return f;
	return NULL;
}

static bool is_record_column(const char *name)
{
	return strcmp(name, "id") == 0 || strcmp(name, "created_at") == 0 ||
	       strcmp(name, "updated_at") == 0 || strcmp(name, "version") == 0 ||
	       strcmp(name, "archived_at") == 0;
}

/* Code points in valid UTF-8 (jansson guarantees validity). */
static size_t utf8_length(const char *s)
{
	size_t n = 0;
	for (; *s; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			n++;
	return n;
}

static bool has_control(const char *s, bool allow_newlines)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c < 0x20 && !(allow_newlines && (c == '\n' || c == '\r' || c == '\t')))
			return true;
		if (c == 0x7f)
			return true;
	}
	return false;
}

/* Only spaces and tabs (or line breaks): a name nobody can read. */
static bool blank(const char *s)
{
	for (; *s; s++)
		if (*s != ' ' && *s != '\t' && *s != '\n' && *s != '\r')
			return false;
	return true;
}

static bool email_valid(const char *s)
{
	const char *at = strchr(s, '@');
	size_t len = strlen(s);
	if (!at || at == s || strchr(at + 1, '@') || len > 254 || (size_t)(at - s) > 64)
		return false;
	const char *domain = at + 1;
	size_t dlen = strlen(domain);
	if (dlen < 3 || !strchr(domain, '.') || domain[0] == '.' || domain[dlen - 1] == '.' ||
	    strstr(domain, ".."))
		return false;
	for (const char *p = s; *p; p++) {
		unsigned char c = (unsigned char)*p;
		if (c <= ' ' || c == 0x7f || c == '<' || c == '>' || c == '(' || c == ')' ||
		    c == ',' || c == ';' || c == ':' || c == '\\' || c == '"' || c == '[' ||
		    c == ']')
			return false;
	}
	return true;
}

static bool url_valid(const char *s)
{
	const char *host;
	if (strncmp(s, "https://", 8) == 0)
		host = s + 8;
	else if (strncmp(s, "http://", 7) == 0)
		host = s + 7;
	else
		return false;
	if (!*host || *host == '/' || *host == ':')
		return false;
	for (const char *p = s; *p; p++)
		if ((unsigned char)*p <= ' ' || *p == 0x7f)
			return false;
	return true;
}

static bool timezone_valid(const char *s)
{
	/* ICU computes with zones (core/calendar.c), so ICU says which names exist */
	return calendar_zone_valid(s);
}

static bool value_ok(const struct field *f, const json_t *v, char *msg, size_t msglen);

/*
 * An array of objects checked item by item against f->items; the message
 * names the first bad place: "[2].start: must be a string".
 */
static bool objects_ok(const struct field *f, const json_t *v, char *msg, size_t msglen)
{
	if (!json_is_array(v)) {
		snprintf(msg, msglen, "must be an array of objects");
		return false;
	}
	if ((int64_t)json_array_size(v) > f->max) {
		snprintf(msg, msglen, "must have at most %lld items", (long long)f->max);
		return false;
	}
	size_t i;
	const json_t *item;
	char sub[384];
	json_array_foreach(v, i, item) {
		if (!json_is_object(item)) {
			snprintf(msg, msglen, "[%zu]: must be an object", i);
			return false;
		}
		const char *key;
		const json_t *val;
		json_object_foreach((json_t *)item, key, val) {
			const struct field *it = f->items;
			while (it->name && strcmp(it->name, key) != 0)
				it++;
			if (!it->name) {
				snprintf(msg, msglen, "[%zu].%.60s: is not a field of an item", i, key);
				return false;
			}
			/* the server's members of an item are replaced whatever was sent */
			if (it->flags & F_READ_ONLY)
				continue;
			/* an item's member is there or left out, never null */
			if (json_is_null(val) || !value_ok(it, val, sub, sizeof(sub))) {
				snprintf(msg, msglen, "[%zu].%s: %s", i, key,
					 !json_is_null(val)	     ? sub
					 : it->flags & F_REQUIRED ? "is required"
								  : "cannot be null; leave it out");
				return false;
			}
		}
		for (const struct field *it = f->items; it->name; it++) {
			if (it->flags & F_REQUIRED && !json_object_get(item, it->name)) {
				snprintf(msg, msglen, "[%zu].%s: is required", i, it->name);
				return false;
			}
		}
	}
	return true;
}

/* Writes a message for a bad value into msg and returns false. */
static bool value_ok(const struct field *f, const json_t *v, char *msg, size_t msglen)
{
	switch (f->type) {
	case FT_TEXT:
	case FT_EMAIL:
	case FT_URL:
	case FT_TIMEZONE:
	case FT_DATE:
	case FT_TIME:
	case FT_ENUM: {
		if (!json_is_string(v)) {
			snprintf(msg, msglen, "must be a string");
			return false;
		}
		const char *s = json_string_value(v);
		if (f->type == FT_TEXT) {
			size_t n = utf8_length(s);
			if ((int64_t)n < f->min) {
				snprintf(msg, msglen, f->min == 1 ? "must not be empty"
								  : "must be at least %lld characters",
					 (long long)f->min);
				return false;
			}
			if ((int64_t)n > f->max) {
				snprintf(msg, msglen, "must be at most %lld characters",
					 (long long)f->max);
				return false;
			}
			if (has_control(s, f->max > 200)) {
				snprintf(msg, msglen, "must not contain control characters");
				return false;
			}
			if (f->min >= 1 && blank(s)) {
				snprintf(msg, msglen, "must not be blank");
				return false;
			}
			return true;
		}
		if (f->type == FT_EMAIL && !email_valid(s)) {
			snprintf(msg, msglen, "is not a valid e-mail address");
			return false;
		}
		if (f->type == FT_URL && (strlen(s) > (size_t)f->max || !url_valid(s))) {
			snprintf(msg, msglen, "must be an http:// or https:// URL");
			return false;
		}
		if (f->type == FT_TIMEZONE && !timezone_valid(s)) {
			snprintf(msg, msglen, "must be an IANA time zone such as Europe/Berlin");
			return false;
		}
		if (f->type == FT_DATE && !date_valid(s)) {
			snprintf(msg, msglen, "must be a date as YYYY-MM-DD");
			return false;
		}
		int64_t t;
		if (f->type == FT_TIME && time_parse(s, &t) < 0) {
			snprintf(msg, msglen, "must be an RFC 3339 time such as 2026-11-22T14:05:00Z");
			return false;
		}
		if (f->type == FT_ENUM) {
			for (const char *const *e = f->enum_values; *e; e++)
				if (strcmp(*e, s) == 0)
					return true;
			size_t off = (size_t)snprintf(msg, msglen, "must be one of:");
			for (const char *const *e = f->enum_values; *e && off < msglen; e++)
				off += (size_t)snprintf(msg + off, msglen - off, "%s %s",
							e == f->enum_values ? "" : ",", *e);
			return false;
		}
		return true;
	}
	case FT_INT:
	case FT_MONEY:
	case FT_REF: {
		if (!json_is_integer(v)) {
			snprintf(msg, msglen, f->type == FT_REF ? "must be an id (an integer)"
								: "must be an integer");
			return false;
		}
		json_int_t n = json_integer_value(v);
		if (f->type == FT_REF) {
			if (n < 1) {
				snprintf(msg, msglen, "must be a positive id");
				return false;
			}
			return true;
		}
		if (n < f->min || n > f->max) {
			snprintf(msg, msglen, "must be from %lld to %lld", (long long)f->min,
				 (long long)f->max);
			return false;
		}
		return true;
	}
	case FT_BOOL:
		if (!json_is_boolean(v)) {
			snprintf(msg, msglen, "must be true or false");
			return false;
		}
		return true;
	case FT_STRINGS: {
		if (!json_is_array(v)) {
			snprintf(msg, msglen, "must be an array of strings");
			return false;
		}
		if ((int64_t)json_array_size(v) > f->min) {
			snprintf(msg, msglen, "must have at most %lld items", (long long)f->min);
			return false;
		}
		size_t i;
		const json_t *item;
		json_array_foreach(v, i, item) {
			if (!json_is_string(item)) {
				snprintf(msg, msglen, "must be an array of strings");
				return false;
			}
			const char *s = json_string_value(item);
			size_t n = utf8_length(s);
			if (n == 0 || (int64_t)n > f->max || has_control(s, false)) {
				snprintf(msg, msglen,
					 "items must be 1 to %lld characters without control characters",
					 (long long)f->max);
				return false;
			}
			for (size_t j = 0; j < i; j++) {
				if (strcmp(json_string_value(json_array_get(v, j)), s) == 0) {
					snprintf(msg, msglen, "must not repeat \"%.60s\"", s);
					return false;
				}
			}
		}
		return true;
	}
	case FT_JSON:
		return true;
	case FT_OBJECTS:
		return objects_ok(f, v, msg, msglen);
	case FT_OBJECT:
		break;	/* computed members only: never written */
	case FT_IDS: {
		if (!json_is_array(v) || (int64_t)json_array_size(v) > f->max) {
			snprintf(msg, msglen, "must be an array of at most %lld ids", (long long)f->max);
			return false;
		}
		size_t i;
		const json_t *item;
		json_array_foreach(v, i, item) {
			if (!json_is_integer(item) || json_integer_value(item) < 1) {
				snprintf(msg, msglen, "[%zu]: must be a positive id", i);
				return false;
			}
			for (size_t j = 0; j < i; j++) {
				if (json_integer_value(json_array_get(v, j)) == json_integer_value(item)) {
					snprintf(msg, msglen, "must not repeat %lld",
						 (long long)json_integer_value(item));
					return false;
				}
			}
		}
		return true;
	}
	case FT_QUANTITY: {
		int64_t q;
		if (resource_quantity(v, &q) < 0) {
			snprintf(msg, msglen, "must be a number with at most three decimals");
			return false;
		}
		if (q < f->min || q > f->max) {
			snprintf(msg, msglen, "must be from %g to %g", (double)f->min / 1000.0,
				 (double)f->max / 1000.0);
			return false;
		}
		return true;
	}
	case FT__MAX:
		break;
	}
	snprintf(msg, msglen, "has an unknown type");
	return false;
}

/* One member of a body: its field's checks, or why it may not be written. */
static void check_member(const struct resource *res, const char *key, const json_t *v,
			 bool create, unsigned role, bool trusted, json_t *errors)
{
	char msg[512];
	const struct field *f = resource_field(res, key);
	if (f && f->flags & (F_HIDDEN | F_COMPUTED) && !(trusted && f->flags & F_HIDDEN))
		f = f->flags & F_COMPUTED ? f : NULL;
	if (!f) {
		if (is_record_column(key))
			resource_error(errors, key, "is read-only");
		else {
			snprintf(msg, sizeof(msg), "is not a field of %s", res->singular);
			resource_error(errors, key, msg);
		}
		return;
	}
	if (!resource_field_visible(f, trusted ? 0 : role)) {
		snprintf(msg, sizeof(msg), "is not a field of %s your role may see or write",
			 res->singular);
		resource_error(errors, key, msg);
		return;
	}
	if (((f->flags & (F_READ_ONLY | F_COMPUTED)) && !(trusted && !(f->flags & F_COMPUTED))) ||
	    res->read_only) {
		resource_error(errors, key, "is read-only");
		return;
	}
	if (!trusted && (f->read_only_for & role)) {
		resource_error(errors, key, "is read-only for your role");
		return;
	}
	if (json_is_null(v)) {
		if (f->flags & F_REQUIRED)
			resource_error(errors, key, create ? "is required" : "cannot be cleared");
		else if (f->dflt) {
			snprintf(msg, sizeof(msg), "cannot be null; leave it out for the default, %s",
				 f->dflt);
			resource_error(errors, key, msg);
		} else if (f->flags & F_NOT_NULL) {
			resource_error(errors, key,
				       create ? "cannot be null; leave it out for the default"
					      : "cannot be null; leave it out to keep it");
		}
		return;
	}
	if (f->flags & (F_HIDDEN | F_READ_ONLY))
		return;	/* the server's own value (a trusted write): its code decides */
	if (!value_ok(f, v, msg, sizeof(msg)))
		resource_error(errors, key, msg);
}

bool resource_field_visible(const struct field *f, unsigned role)
{
	return !(f->hidden_from & role);
}

int resource_validate_as(const struct resource *res, const json_t *body, bool create,
			 unsigned role, bool trusted, json_t *errors)
{
	size_t before = json_array_size(errors);
	const char *key;
	const json_t *v;

	if (!json_is_object(body)) {
		resource_error(errors, "", "the body must be a JSON object");
		return 1;
	}
	json_object_foreach((json_t *)body, key, v)
		check_member(res, key, v, create, role, trusted, errors);
	if (create) {
		for (const struct field *f = res->fields; f->name; f++)
			if (f->flags & F_REQUIRED &&
			    !(f->flags & (F_READ_ONLY | F_HIDDEN | F_COMPUTED)) &&
			    !json_object_get(body, f->name))
				resource_error(errors, f->name, "is required");
	}
	return (int)(json_array_size(errors) - before);
}

int resource_validate(const struct resource *res, const json_t *body, bool create,
		      json_t *errors)
{
	return resource_validate_as(res, body, create, 0, false, errors);
}

int resource_validate_fields(const struct field *fields, const char *what, const json_t *body,
			     json_t *errors)
{
	const struct resource as = { .name = what, .singular = what, .fields = fields };
	return resource_validate_as(&as, body, true, 0, false, errors);
}
