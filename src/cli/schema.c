/*
 * schema.c - "servio schema": what the API's documents say about records,
 * made from the tables the server runs on, so that a field is spelled once
 * (in its resource's field table) and everything that names it follows:
 *
 *   servio schema openapi      the generated parts of docs/openapi.yaml:
 *                              per resource its list parameters, and its
 *                              record, writable fields, create and patch
 *                              bodies, list page and action bodies
 *   servio schema typescript   web/src/lib/records.gen.ts: the records,
 *                              their items and the action bodies as
 *                              TypeScript interfaces, enums as unions
 *   servio schema roles        web/src/lib/roles.gen.ts: the roles of every
 *                              route, the field masks by role, the own rows,
 *                              and the portal roles with the areas each
 *                              reaches (tests/api/test_authorization.py
 *                              checks the server against all of it)
 *
 * The resources are those the route table serves through the engine
 * (api_route_resource), in the table's order. Names follow the resource's
 * singular ("SLA policy": SlaPolicy, SlaPolicyFields, SlaPolicyCreate,
 * SlaPolicyPatch, ListOfSlaPolicies, SlaPolicyFilterName, SlaPolicySort);
 * an enum or an object field gets its owner's name and its own
 * (TicketPriority, QuoteLine), once per C table: fields that share a
 * values array share the schema.
 *
 * The shared value types (Record, Id, Timestamp, Date, Money, Quantity,
 * TimeZone, IdList, TextList, …) and the routes stay hand-written in the
 * document; scripts/generate.py puts this output between its "BEGIN
 * GENERATED" and "END GENERATED" lines and the lint.generated test fails
 * when the committed files differ from what this program prints.
 */
#include "cli.h"

#include "api/api.h"
#include "auth/auth.h"
#include "core/alloc.h"
#include "core/buf.h"
#include "core/log.h"
#include "crm/crm.h"
#include "resource/resource.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define MAX_RESOURCES 64
#define MAX_ACTIONS 16
#define MAX_NAMED 256
#define NAME_LEN 96
#define MAX_MEMBERS 128		/* fields of one table */
#define WRAP 76			/* text columns of a folded description or comment */
#define REF "#/components/schemas/"

struct gen_resource {
	const struct resource *res;
	char type[NAME_LEN];	/* "SlaPolicy" */
	char types[NAME_LEN];	/* "SlaPolicies" */
	char plural[NAME_LEN];	/* "SLA policies", for descriptions */
	const struct resource_action *actions[MAX_ACTIONS];
	int nactions;
	int first_named, end_named;	/* its enums and objects in gen.named */
};

/*
 * A schema named once and referred to by every field that shares it:
 * an enum (keyed by its values array) or an object (keyed by its member
 * table). Members of a computed object are all present in a reply; the
 * items of a stored array have their required members and may leave the
 * others out.
 */
struct named {
	enum { NAMED_ENUM, NAMED_OBJECT } kind;
	const void *key;
	char name[NAME_LEN];
	const struct field *members;	/* objects */
	bool computed;
	const char *doc;		/* enums: the doc of the first field that names it */
	char about[256];		/* objects: whose they are ("One of the lines of a quote.") */
};

struct gen {
	struct gen_resource res[MAX_RESOURCES];
	int nres;
	struct named named[MAX_NAMED];
	int nnamed;
	struct buf out;
	bool failed;		/* a table cannot be written (logged) */
};

/* Where a field's schema stands: what a client writes, or what a reply holds. */
enum place {
	IN_FIELDS,	/* the writable fields of a record (create, patch, and the reply) */
	IN_RECORD,	/* a member only replies have (read-only, computed) */
	IN_ITEM,	/* a member of an item of a stored array */
	IN_COMPUTED,	/* a member of a computed object */
	IN_BODY,	/* a member of an action's body */
};

/* Names ------------------------------------------------------------------- */

static bool is_upper(char c)
{
	return c >= 'A' && c <= 'Z';
}

static bool is_lower(char c)
{
	return c >= 'a' && c <= 'z';
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static char upper(char c)
{
	return is_lower(c) ? (char)(c - 'a' + 'A') : c;
}

static char lower(char c)
{
	return is_upper(c) ? (char)(c - 'A' + 'a') : c;
}

/* Appends s in PascalCase: "SLA policy" -> "SlaPolicy", "work_type_id" -> "WorkTypeId". */
static void pascal(char *out, size_t n, const char *s)
{
	size_t len = strlen(out);
	bool start = true;
	for (; *s && len + 1 < n; s++) {
		if (!is_upper(*s) && !is_lower(*s) && !is_digit(*s)) {
			start = true;
			continue;
		}
		out[len++] = start ? upper(*s) : lower(*s);
		start = false;
	}
	out[len] = '\0';
}

/* "policy" -> "policies", "token" -> "tokens", "box" -> "boxes". */
static void pluralize(char *out, size_t n, const char *s)
{
	size_t len = strlen(s);
	char last = len ? s[len - 1] : '\0';
	char before = len > 1 ? s[len - 2] : '\0';
	if (last == 'y' && !strchr("aeiou", before))
		snprintf(out, n, "%.*sies", (int)(len - 1), s);
	else if (last == 's' || last == 'x' || (last == 'h' && (before == 'c' || before == 's')))
		snprintf(out, n, "%ses", s);
	else
		snprintf(out, n, "%ss", s);
}

/* "entries" -> "entry", "lines" -> "line": the name of one item of an array field. */
static void singularize(char *out, size_t n, const char *s)
{
	size_t len = strlen(s);
	if (len > 3 && strcmp(s + len - 3, "ies") == 0)
		snprintf(out, n, "%.*sy", (int)(len - 3), s);
	else if (len > 1 && s[len - 1] == 's')
		snprintf(out, n, "%.*s", (int)(len - 1), s);
	else
		snprintf(out, n, "%s", s);
}

/* "a ticket", "an SLA policy", "an API token". */
static const char *article(const char *s)
{
	size_t caps = 0;
	while (is_upper(s[caps]))
		caps++;
	if (caps >= 2)
		return strchr("AEFHILMNORSX", s[0]) ? "an" : "a";
	return strchr("aeiouAEIOU", s[0]) ? "an" : "a";
}

static const char *named_name(const struct gen *g, const void *key)
{
	for (int i = 0; i < g->nnamed; i++)
		if (g->named[i].key == key)
			return g->named[i].name;
	return NULL;
}

static bool name_taken(const struct gen *g, const char *name)
{
	for (int i = 0; i < g->nnamed; i++)
		if (strcmp(g->named[i].name, name) == 0)
			return true;
	for (int i = 0; i < g->nres; i++)
		if (strcmp(g->res[i].type, name) == 0)
			return true;
	return false;
}

/*
 * Names the enums and objects of a field table for owner ("Ticket",
 * "QuoteLine", "TicketEscalate") in whose ("a ticket": whose records they are),
 * depth first. Returns 0, or -1 when a name is taken by another schema, a
 * table is longer than MAX_MEMBERS or the table of names is full (logged).
 */
static int name_fields(struct gen *g, const char *owner, const char *whose,
		       const struct field *fields, bool computed)
{
	int count = 0;
	while (fields[count].name)
		count++;
	if (count > MAX_MEMBERS) {
		log_error("schema: %s has more than %d fields", owner, MAX_MEMBERS);
		return -1;
	}
	for (const struct field *f = fields; f->name; f++) {
		if (f->flags & F_HIDDEN)
			continue;
		const void *key = f->type == FT_ENUM ? (const void *)f->enum_values
			: f->type == FT_OBJECTS || f->type == FT_OBJECT ? (const void *)f->items
									 : NULL;
		if (!key || named_name(g, key))
			continue;
		if (g->nnamed == MAX_NAMED) {
			log_error("schema: more than %d enums and objects", MAX_NAMED);
			return -1;
		}
		struct named *nm = &g->named[g->nnamed];
		memset(nm, 0, sizeof(*nm));
		nm->key = key;
		snprintf(nm->name, sizeof(nm->name), "%s", owner);
		if (f->type == FT_OBJECTS) {
			char one[NAME_LEN];
			singularize(one, sizeof(one), f->name);
			pascal(nm->name, sizeof(nm->name), one);
		} else {
			pascal(nm->name, sizeof(nm->name), f->name);
		}
		if (name_taken(g, nm->name)) {
			log_error("schema: two schemas would be named %s", nm->name);
			return -1;
		}
		nm->kind = f->type == FT_ENUM ? NAMED_ENUM : NAMED_OBJECT;
		nm->members = f->items;
		nm->computed = computed || f->flags & F_COMPUTED;
		nm->doc = f->doc;
		snprintf(nm->about, sizeof(nm->about), "%s `%s` of %s.",
			 f->type == FT_OBJECTS ? "One of the" : "The", f->name, whose);
		g->nnamed++;
		char mine[NAME_LEN + 8];
		snprintf(mine, sizeof(mine), "a `%s`", nm->name);
		if (nm->kind == NAMED_OBJECT &&
		    name_fields(g, nm->name, mine, f->items, nm->computed) < 0)
			return -1;
	}
	return 0;
}

static struct gen_resource *resource_of(struct gen *g, const struct resource *res)
{
	for (int i = 0; i < g->nres; i++)
		if (g->res[i].res == res)
			return &g->res[i];
	if (g->nres == MAX_RESOURCES) {
		log_error("schema: more than %d resources", MAX_RESOURCES);
		return NULL;
	}
	struct gen_resource *gr = &g->res[g->nres++];
	memset(gr, 0, sizeof(*gr));
	gr->res = res;
	pascal(gr->type, sizeof(gr->type), res->singular);
	pluralize(gr->types, sizeof(gr->types), gr->type);
	pluralize(gr->plural, sizeof(gr->plural), res->singular);
	return gr;
}

/* The resources of the route table, their actions, and the names of their parts. */
static int collect(struct gen *g)
{
	const struct http_route *routes;
	size_t n;
	if (api_route_table(&routes, &n) < 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		const struct resource_action *action;
		const struct resource *res = api_route_resource(&routes[i], &action);
		if (!res)
			continue;
		struct gen_resource *gr = resource_of(g, res);
		if (!gr)
			return -1;
		bool known = false;
		for (int k = 0; k < gr->nactions; k++)
			known = known || gr->actions[k] == action;
		if (!action || known)
			continue;
		if (gr->nactions == MAX_ACTIONS) {
			log_error("schema: %s has more than %d actions", res->name, MAX_ACTIONS);
			return -1;
		}
		gr->actions[gr->nactions++] = action;
	}
	for (int i = 0; i < g->nres; i++) {
		struct gen_resource *gr = &g->res[i];
		gr->first_named = g->nnamed;
		char whose[NAME_LEN + 8];
		snprintf(whose, sizeof(whose), "%s %s", article(gr->res->singular), gr->res->singular);
		if (name_fields(g, gr->type, whose, gr->res->fields, false) < 0)
			return -1;
		for (int k = 0; k < gr->nactions; k++) {
			char owner[NAME_LEN];
			snprintf(owner, sizeof(owner), "%s", gr->type);
			pascal(owner, sizeof(owner), gr->actions[k]->name);
			char body[NAME_LEN + 32];
			snprintf(body, sizeof(body), "the body of %s", owner);
			if (gr->actions[k]->body &&
			    name_fields(g, owner, body, gr->actions[k]->body, false) < 0)
				return -1;
		}
		gr->end_named = g->nnamed;
	}
	return 0;
}

/* What the tables say about a field ------------------------------------- */

static bool writable(const struct gen_resource *gr, const struct field *f)
{
	return !gr->res->read_only && !(f->flags & (F_READ_ONLY | F_HIDDEN | F_COMPUTED));
}

/* A member of the records as replies hold them. */
static bool visible(const struct field *f)
{
	return !(f->flags & (F_HIDDEN | F_WRITE_ONLY));
}

/*
 * Whether a member may be null: not when it is required, filled in when
 * left out (a default, F_NOT_NULL), or the parent's id of a child record;
 * never for an item of a stored array (left out instead).
 */
static bool nullable(const struct gen_resource *gr, const struct field *f, enum place where)
{
	if (where == IN_ITEM)
		return false;
	if (f->flags & (F_REQUIRED | F_NOT_NULL) || (f->dflt && strcmp(f->dflt, "null") != 0))
		return false;
	return !(gr && gr->res->parent_field && strcmp(gr->res->parent_field, f->name) == 0);
}

/* A list filter: name=a,b (and _before/_after for dates and times). */
static bool filters(const struct field *f)
{
	return f->flags & F_FILTER && !(f->flags & (F_HIDDEN | F_WRITE_ONLY | F_COMPUTED)) &&
	       f->type != FT_JSON && f->type != FT_OBJECTS && f->type != FT_OBJECT;
}

static bool sorts(const struct field *f)
{
	return f->flags & F_SORT && !(f->flags & (F_HIDDEN | F_WRITE_ONLY | F_COMPUTED));
}

/* The roles of a mask as names: "technician,sales" into out. */
static void role_names(unsigned mask, const char *sep, const char *quote, char *out, size_t n)
{
	size_t off = 0;
	out[0] = '\0';
	for (unsigned bit = 1; bit <= ROLE_PORTAL && off < n; bit <<= 1)
		if (mask & bit)
			off += (size_t)snprintf(out + off, n - off, "%s%s%s%s", off ? sep : "",
						quote, role_name(bit), quote);
}

/* YAML ------------------------------------------------------------------- */

static void indent(struct gen *g, int depth)
{
	for (int i = 0; i < depth; i++)
		buf_addstr(&g->out, "  ");
}

static void line(struct gen *g, int depth, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void line(struct gen *g, int depth, const char *fmt, ...)
{
	va_list ap;
	indent(g, depth);
	va_start(ap, fmt);
	buf_vaddf(&g->out, fmt, ap);
	va_end(ap);
	buf_addch(&g->out, '\n');
}

/* A scalar YAML 1.1 and 1.2 both read as this string without quotes. */
static bool plain_ok(const char *s)
{
	static const char *const words[] = { "null", "true", "false", "yes", "no", "on",
					     "off", "y", "n", NULL };
	if (!is_upper(*s) && !is_lower(*s) && *s != '_')
		return false;
	for (const char *p = s; *p; p++)
		if (!is_upper(*p) && !is_lower(*p) && !is_digit(*p) && !strchr("_./-", *p))
			return false;
	for (const char *const *w = words; *w; w++) {
		size_t i = 0;
		while ((*w)[i] && lower(s[i]) == (*w)[i])
			i++;
		if (!(*w)[i] && !s[i])
			return false;
	}
	return true;
}

/* 'text', with its quotes doubled: any one-line string. */
static void quoted(struct gen *g, const char *s)
{
	buf_addch(&g->out, '\'');
	for (const char *p = s; *p; p++)
		buf_addstr(&g->out, *p == '\'' ? "''" : (char[]){ *p, '\0' });
	buf_addch(&g->out, '\'');
}

static void scalar(struct gen *g, const char *s)
{
	if (plain_ok(s))
		buf_addstr(&g->out, s);
	else
		quoted(g, s);
}

/*
 * Text that folding keeps as it is: no blank at an edge, in a run or next
 * to a line break, no tab. Descriptions are held to it, so that a long one
 * reads as a wrapped paragraph in the document.
 */
static bool foldable(const char *s)
{
	size_t n = strlen(s);
	return n && s[0] != ' ' && s[n - 1] != ' ' && s[0] != '\n' && s[n - 1] != '\n' &&
	       !strchr(s, '\t') && !strstr(s, "  ") && !strstr(s, " \n") && !strstr(s, "\n ");
}

/* Appends the words of s up to end wrapped at WRAP columns, each line at depth after lead. */
static void wrap(struct gen *g, int depth, const char *s, const char *end, const char *lead)
{
	while (s < end) {
		const char *stop = s + WRAP < end ? s + WRAP : end;
		if (stop < end) {
			const char *sp = stop;
			while (sp > s && *sp != ' ')
				sp--;
			if (sp == s) {	/* one long word: up to the next blank */
				sp = stop;
				while (sp < end && *sp != ' ')
					sp++;
			}
			stop = sp;
		}
		indent(g, depth);
		buf_addstr(&g->out, lead);
		buf_add(&g->out, s, (size_t)(stop - s));
		buf_addch(&g->out, '\n');
		s = stop < end ? stop + 1 : end;
	}
}

/*
 * key: 'text' when it fits a line, else a folded block (">-") wrapped at
 * WRAP, where each "\n" of the text stays a line break.
 */
static void text(struct gen *g, int depth, const char *key, const char *s)
{
	if (!foldable(s)) {
		log_error("schema: a description has a blank at an edge, in a run or next to a line"
			  " break, or a tab: \"%.60s\"", s);
		g->failed = true;
	}
	if (!strchr(s, '\n') && 2 * (size_t)depth + strlen(key) + strlen(s) + 4 <= 100) {
		indent(g, depth);
		buf_addf(&g->out, "%s: ", key);
		quoted(g, s);
		buf_addch(&g->out, '\n');
		return;
	}
	line(g, depth, "%s: >-", key);
	for (const char *p = s; *p;) {
		const char *nl = strchr(p, '\n');
		const char *end = nl ? nl : p + strlen(p);
		wrap(g, depth + 1, p, end, "");
		if (!nl)
			break;
		buf_addch(&g->out, '\n');	/* a blank line folds into one line break */
		p = nl + 1;
	}
}

/* key: [a, b, c] */
static void flow(struct gen *g, int depth, const char *key, const char *const *items, int n)
{
	indent(g, depth);
	buf_addf(&g->out, "%s: [", key);
	for (int i = 0; i < n; i++) {
		if (i)
			buf_addstr(&g->out, ", ");
		scalar(g, items[i]);
	}
	buf_addstr(&g->out, "]\n");
}

static void roles_flow(struct gen *g, int depth, const char *key, unsigned mask)
{
	const char *names[8];
	int n = 0;
	for (unsigned bit = 1; bit <= ROLE_PORTAL; bit <<= 1)
		if (mask & bit)
			names[n++] = role_name(bit);
	flow(g, depth, key, names, n);
}

static void enum_flow(struct gen *g, int depth, const char *const *values)
{
	int n = 0;
	while (values[n])
		n++;
	flow(g, depth, "enum", values, n);
}

/* 1500 -> "1.5": a quantity's bound in thousandths as a JSON number. */
static void thousandths(struct gen *g, int64_t v)
{
	if (v < 0) {
		buf_addch(&g->out, '-');
		v = -v;
	}
	buf_addf(&g->out, "%lld", (long long)(v / 1000));
	int frac = (int)(v % 1000);
	if (frac) {
		char digits[8];
		snprintf(digits, sizeof(digits), "%03d", frac);
		for (int i = 2; i > 0 && digits[i] == '0'; i--)
			digits[i] = '\0';
		buf_addf(&g->out, ".%s", digits);
	}
}

/* OpenAPI: one field ----------------------------------------------------- */

/*
 * The engine's checks of text (value_ok in resource/validate.c) as a
 * pattern: no control characters, but line breaks and tabs in text longer
 * than 200 characters; not only blanks when at least one character is
 * needed. Kept in step with validate.c by hand.
 */
static const char *text_pattern(const struct field *f)
{
	bool blanks = f->min >= 1;	/* "must not be blank" */
	if (f->max > 200)
		return blanks ? "^(?![ \\t\\r\\n]*$)[^\\x00-\\x08\\x0B\\x0C\\x0E-\\x1F\\x7F]*$"
			      : "^[^\\x00-\\x08\\x0B\\x0C\\x0E-\\x1F\\x7F]*$";
	return blanks ? "^(?![ \\t]*$)[^\\x00-\\x1F\\x7F]*$" : "^[^\\x00-\\x1F\\x7F]*$";
}

static void type_line(struct gen *g, int depth, const char *type, bool null)
{
	if (null)
		line(g, depth, "type: [%s, 'null']", type);
	else
		line(g, depth, "type: %s", type);
}

/* $ref to a shared schema, or oneOf it and null. */
static void ref_line(struct gen *g, int depth, const char *name, bool null)
{
	if (!null) {
		line(g, depth, "$ref: '" REF "%s'", name);
		return;
	}
	line(g, depth, "oneOf:");
	line(g, depth + 1, "- $ref: '" REF "%s'", name);
	line(g, depth + 1, "- type: 'null'");
}

/* An integer's bounds, where the table gives a range (read-only counters give none). */
static void int_bounds(struct gen *g, int depth, const struct field *f)
{
	if (f->min != 0 || f->max > f->min)
		line(g, depth, "minimum: %lld", (long long)f->min);
	if (f->max > f->min && f->max != INT64_MAX)
		line(g, depth, "maximum: %lld", (long long)f->max);
}

/*
 * The keywords of a field's schema at depth: type and limits, default,
 * readOnly / writeOnly, the role masks and the description.
 */
static void field_schema(struct gen *g, int depth, const struct gen_resource *gr,
			 const struct field *f, enum place where)
{
	bool null = nullable(gr, f, where);
	/* patterns are the engine's checks of what clients write */
	bool checked = where == IN_FIELDS || where == IN_BODY ||
		       (where == IN_ITEM && !(f->flags & (F_READ_ONLY | F_COMPUTED)));
	switch (f->type) {
	case FT_TEXT:
		type_line(g, depth, "string", null);
		if (f->min > 0)
			line(g, depth, "minLength: %lld", (long long)f->min);
		if (f->max > 0)
			line(g, depth, "maxLength: %lld", (long long)f->max);
		if (checked) {
			indent(g, depth);
			buf_addstr(&g->out, "pattern: ");
			scalar(g, text_pattern(f));
			buf_addch(&g->out, '\n');
		}
		break;
	case FT_EMAIL:
		type_line(g, depth, "string", null);
		line(g, depth, "format: email");
		line(g, depth, "maxLength: %lld", (long long)f->max);
		break;
	case FT_URL:
		type_line(g, depth, "string", null);
		line(g, depth, "format: uri");
		line(g, depth, "maxLength: %lld", (long long)f->max);
		if (checked)
			line(g, depth, "pattern: '^https?://[^/:\\x00-\\x20\\x7F][^\\x00-\\x20\\x7F]*$'");
		break;
	case FT_TIMEZONE:
		ref_line(g, depth, "TimeZone", null);
		break;
	case FT_DATE:
		ref_line(g, depth, "Date", null);
		break;
	case FT_TIME:
		ref_line(g, depth, "Timestamp", null);
		break;
	case FT_REF:
		ref_line(g, depth, "Id", null);
		break;
	case FT_MONEY:
		ref_line(g, depth, "Money", null);
		int_bounds(g, depth, f);
		break;
	case FT_INT:
		type_line(g, depth, "integer", null);
		line(g, depth, "format: int64");
		int_bounds(g, depth, f);
		break;
	case FT_QUANTITY:
		ref_line(g, depth, "Quantity", null);
		indent(g, depth);
		buf_addstr(&g->out, "minimum: ");
		thousandths(g, f->min);
		buf_addch(&g->out, '\n');
		indent(g, depth);
		buf_addstr(&g->out, "maximum: ");
		thousandths(g, f->max);
		buf_addch(&g->out, '\n');
		break;
	case FT_BOOL:
		type_line(g, depth, "boolean", null);
		break;
	case FT_ENUM:
		ref_line(g, depth, named_name(g, f->enum_values), null);
		break;
	case FT_STRINGS:
		type_line(g, depth, "array", null);
		line(g, depth, "maxItems: %lld", (long long)f->min);
		line(g, depth, "uniqueItems: true");
		line(g, depth, "items:");
		line(g, depth + 1, "type: string");
		line(g, depth + 1, "minLength: 1");
		line(g, depth + 1, "maxLength: %lld", (long long)f->max);
		if (checked)
			line(g, depth + 1, "pattern: '^[^\\x00-\\x1F\\x7F]*$'");
		break;
	case FT_IDS:
		type_line(g, depth, "array", null);
		line(g, depth, "maxItems: %lld", (long long)f->max);
		line(g, depth, "uniqueItems: true");
		line(g, depth, "items:");
		line(g, depth + 1, "$ref: '" REF "Id'");
		break;
	case FT_OBJECTS:
		type_line(g, depth, "array", null);
		line(g, depth, "maxItems: %lld", (long long)f->max);
		line(g, depth, "items:");
		line(g, depth + 1, "$ref: '" REF "%s'", named_name(g, f->items));
		break;
	case FT_OBJECT:
		ref_line(g, depth, named_name(g, f->items), null);
		break;
	case FT_JSON:
	case FT__MAX:
		line(g, depth, "type: [object, array, string, number, boolean, 'null']");
		break;
	}
	if (f->dflt && where != IN_RECORD && where != IN_COMPUTED)
		line(g, depth, "default: %s", f->dflt);
	if (where != IN_BODY && f->flags & (F_READ_ONLY | F_COMPUTED))
		line(g, depth, "readOnly: true");
	if (f->flags & F_WRITE_ONLY)
		line(g, depth, "writeOnly: true");
	if (f->flags & F_SAME_COMPANY)
		line(g, depth, "x-same-company: true");
	if (f->hidden_from)
		roles_flow(g, depth, "x-hidden-from", f->hidden_from);
	if (f->read_only_for)
		roles_flow(g, depth, "x-read-only-for", f->read_only_for);
	if (f->doc)
		text(g, depth, "description", f->doc);
}

static void property(struct gen *g, int depth, const struct gen_resource *gr,
		     const struct field *f, enum place where)
{
	line(g, depth, "%s:", f->name);
	field_schema(g, depth + 1, gr, f, where);
}

/* OpenAPI: schemas ------------------------------------------------------- */

static void emit_named(struct gen *g, const struct named *nm)
{
	line(g, 2, "%s:", nm->name);
	if (nm->kind == NAMED_ENUM) {
		line(g, 3, "type: string");
		enum_flow(g, 3, nm->key);
		if (nm->doc)
			text(g, 3, "description", nm->doc);
		return;
	}
	line(g, 3, "type: object");
	text(g, 3, "description", nm->about);
	const char *req[MAX_MEMBERS];
	int n = 0;
	for (const struct field *f = nm->members; f->name; f++)
		if (nm->computed || f->flags & F_REQUIRED)
			req[n++] = f->name;
	if (n)
		flow(g, 3, "required", req, n);
	line(g, 3, "additionalProperties: false");
	line(g, 3, "properties:");
	for (const struct field *f = nm->members; f->name; f++)
		property(g, 4, NULL, f, nm->computed ? IN_COMPUTED : IN_ITEM);
}

/* The members every reply of the resource has (a field hidden from some role: not always). */
static int required_members(const struct gen_resource *gr, const char **out)
{
	static const char *const record[] = { "id", "created_at", "updated_at", "version",
					      "archived_at" };
	int n = 0;
	for (int i = 0; i < (gr->res->no_record_columns ? 1 : 5); i++)
		out[n++] = record[i];
	for (const struct field *f = gr->res->fields; f->name; f++)
		if (visible(f) && !f->hidden_from)
			out[n++] = f->name;
	return n;
}

static bool has_writable(const struct gen_resource *gr)
{
	for (const struct field *f = gr->res->fields; f->name; f++)
		if (writable(gr, f))
			return true;
	return false;
}

/* An action's reply may add members to the record (a link made once): then the record is open. */
static bool extensible(const struct gen_resource *gr)
{
	return gr->nactions > 0;
}

/* XFields: what a client may write, shared by the create and patch bodies and the record. */
static void emit_fields(struct gen *g, const struct gen_resource *gr)
{
	char d[256];
	line(g, 2, "%sFields:", gr->type);
	line(g, 3, "type: object");
	snprintf(d, sizeof(d), "The fields of %s %s a client may write.",
		 article(gr->res->singular), gr->res->singular);
	text(g, 3, "description", d);
	line(g, 3, "properties:");
	for (const struct field *f = gr->res->fields; f->name; f++)
		if (writable(gr, f))
			property(g, 4, gr, f, IN_FIELDS);
}

/*
 * X: the record as replies hold it, no other member allowed. Its members
 * are Record's, XFields' and the server's own (read-only, computed); for a
 * resource with actions they are XMembers, open, for the schema of an
 * action's reply to extend.
 */
static void emit_members(struct gen *g, const struct gen_resource *gr, bool fields)
{
	const struct resource *res = gr->res;
	line(g, 2, "%s%s:", gr->type, extensible(gr) ? "Members" : "");
	if (res->doc)
		text(g, 3, "description", res->doc);
	if (!res->no_record_columns || fields) {
		line(g, 3, "allOf:");
		if (!res->no_record_columns)
			line(g, 4, "- $ref: '" REF "Record'");
		if (fields)
			line(g, 4, "- $ref: '" REF "%sFields'", gr->type);
	}
	line(g, 3, "type: object");
	bool own = res->no_record_columns;
	for (const struct field *f = res->fields; f->name && !own; f++)
		own = visible(f) && !writable(gr, f);
	if (own) {
		line(g, 3, "properties:");
		if (res->no_record_columns) {
			line(g, 4, "id:");
			line(g, 5, "$ref: '" REF "Id'");
			line(g, 5, "readOnly: true");
		}
		for (const struct field *f = res->fields; f->name; f++)
			if (visible(f) && !writable(gr, f))
				property(g, 4, gr, f, IN_RECORD);
	}
	const char *req[MAX_MEMBERS + 5];
	flow(g, 3, "required", req, required_members(gr, req));
	if (extensible(gr)) {
		char d[256];
		line(g, 2, "%s:", gr->type);
		snprintf(d, sizeof(d), "%s %s as the API returns it: the members of %sMembers, no "
			 "others.", article(res->singular), res->singular, gr->type);
		d[0] = upper(d[0]);
		text(g, 3, "description", d);
		line(g, 3, "allOf:");
		line(g, 4, "- $ref: '" REF "%sMembers'", gr->type);
	}
	line(g, 3, "unevaluatedProperties: false");
}

/* XCreate and XPatch: the bodies of POST and PATCH. */
static void emit_bodies(struct gen *g, const struct gen_resource *gr)
{
	const struct resource *res = gr->res;
	const char *req[MAX_MEMBERS];
	int n = 0;
	char d[256];
	for (const struct field *f = res->fields; f->name; f++)
		if (writable(gr, f) && f->flags & F_REQUIRED)
			req[n++] = f->name;
	line(g, 2, "%sCreate:", gr->type);
	snprintf(d, sizeof(d), "A new %s. Read-only and unknown members are a 422.",
		 res->singular);
	text(g, 3, "description", d);
	line(g, 3, "allOf:");
	line(g, 4, "- $ref: '" REF "%sFields'", gr->type);
	if (n)
		flow(g, 3, "required", req, n);
	line(g, 3, "unevaluatedProperties: false");
	line(g, 2, "%sPatch:", gr->type);
	snprintf(d, sizeof(d), "A merge patch of %s %s: null clears a member.",
		 article(res->singular), res->singular);
	text(g, 3, "description", d);
	line(g, 3, "allOf:");
	line(g, 4, "- $ref: '" REF "%sFields'", gr->type);
	line(g, 3, "unevaluatedProperties: false");
}

/* ListOfXs: a page of a list. */
static void emit_list(struct gen *g, const struct gen_resource *gr)
{
	line(g, 2, "ListOf%s:", gr->types);
	line(g, 3, "type: object");
	line(g, 3, "required: [data, next_cursor]");
	line(g, 3, "additionalProperties: false");
	line(g, 3, "properties:");
	line(g, 4, "data:");
	line(g, 5, "type: array");
	line(g, 5, "items:");
	line(g, 6, "$ref: '" REF "%s'", gr->type);
	line(g, 4, "next_cursor:");
	line(g, 5, "$ref: '" REF "NextCursor'");
}

static void emit_record(struct gen *g, const struct gen_resource *gr)
{
	bool fields = has_writable(gr);
	if (fields)
		emit_fields(g, gr);
	emit_members(g, gr, fields);
	if (fields)
		emit_bodies(g, gr);
	emit_list(g, gr);
}

static void emit_action(struct gen *g, const struct gen_resource *gr,
			const struct resource_action *a)
{
	char name[NAME_LEN];
	snprintf(name, sizeof(name), "%s", gr->type);
	pascal(name, sizeof(name), a->name);
	line(g, 2, "%s:", name);
	line(g, 3, "type: object");
	if (a->summary)
		text(g, 3, "description", a->summary);
	if (a->from) {
		int n = 0;
		while (a->from[n])
			n++;
		flow(g, 3, "x-from-status", a->from, n);
	}
	if (!a->body) {
		line(g, 3, "maxProperties: 0");
		return;
	}
	const char *req[MAX_MEMBERS];
	int n = 0;
	for (const struct field *f = a->body; f->name; f++)
		if (f->flags & F_REQUIRED)
			req[n++] = f->name;
	if (n)
		flow(g, 3, "required", req, n);
	line(g, 3, "additionalProperties: false");
	line(g, 3, "properties:");
	for (const struct field *f = a->body; f->name; f++)
		property(g, 4, NULL, f, IN_BODY);
}

/* OpenAPI: list parameters ----------------------------------------------- */

static void param_head(struct gen *g, const struct gen_resource *gr, const char *kind,
		       const char *field, const char *suffix, const char *name)
{
	char id[NAME_LEN * 2];
	snprintf(id, sizeof(id), "%s%s", gr->type, kind);
	if (field)
		pascal(id, sizeof(id), field);
	if (suffix)
		pascal(id, sizeof(id), suffix);
	line(g, 2, "%s:", id);
	line(g, 3, "name: %s", name);
	line(g, 3, "in: query");
}

static void emit_filter(struct gen *g, const struct gen_resource *gr, const struct field *f)
{
	char d[512], who[NAME_LEN];
	snprintf(who, sizeof(who), "%s", gr->plural);
	who[0] = upper(who[0]);
	param_head(g, gr, "Filter", f->name, NULL, f->name);
	switch (f->type) {
	case FT_REF:
		snprintf(d, sizeof(d), "%s whose `%s` is any of these ids; `none`, alone: those "
			 "with no %s.", who, f->name, f->name);
		break;
	case FT_DATE:
		snprintf(d, sizeof(d), "%s whose `%s` is any of these dates.", who, f->name);
		break;
	case FT_TIME:
		snprintf(d, sizeof(d), "%s whose `%s` is any of these times (to the second).", who,
			 f->name);
		break;
	case FT_STRINGS:
		snprintf(d, sizeof(d), "%s whose `%s` hold any of these (ASCII case ignored).",
			 who, f->name);
		break;
	default:
		snprintf(d, sizeof(d), "%s whose `%s` is exactly any of these.", who, f->name);
		break;
	}
	text(g, 3, "description", d);
	line(g, 3, "style: form");
	line(g, 3, "explode: false");
	line(g, 3, "schema:");
	switch (f->type) {
	case FT_REF:
		line(g, 4, "$ref: '" REF "IdList'");
		break;
	case FT_INT:
	case FT_MONEY:
		line(g, 4, "$ref: '" REF "IntegerList'");
		break;
	case FT_TEXT:
	case FT_EMAIL:
	case FT_URL:
	case FT_TIMEZONE:
	case FT_STRINGS:
	case FT_QUANTITY:
		line(g, 4, "$ref: '" REF "TextList'");
		break;
	default:
		line(g, 4, "type: array");
		line(g, 4, "minItems: 1");
		line(g, 4, "maxItems: 50");
		line(g, 4, "items:");
		if (f->type == FT_ENUM)
			line(g, 5, "$ref: '" REF "%s'", named_name(g, f->enum_values));
		else if (f->type == FT_BOOL)
			line(g, 5, "type: boolean");
		else
			line(g, 5, "$ref: '" REF "%s'", f->type == FT_DATE ? "Date" : "Timestamp");
		break;
	}
	if (f->hidden_from)
		roles_flow(g, 3, "x-hidden-from", f->hidden_from);
	if (f->type != FT_DATE && f->type != FT_TIME)
		return;
	for (int after = 0; after < 2; after++) {
		char pname[NAME_LEN];
		snprintf(pname, sizeof(pname), "%s_%s", f->name, after ? "after" : "before");
		param_head(g, gr, "Filter", f->name, after ? "after" : "before", pname);
		snprintf(d, sizeof(d), "%s whose `%s` is strictly %s this %s; those without one "
			 "are left out.", who, f->name, after ? "after" : "before",
			 f->type == FT_DATE ? "date" : "RFC 3339 time or date (its midnight UTC)");
		text(g, 3, "description", d);
		line(g, 3, "schema:");
		line(g, 4, "$ref: '" REF "%s'", f->type == FT_DATE ? "Date" : "TimeBound");
		if (f->hidden_from)
			roles_flow(g, 3, "x-hidden-from", f->hidden_from);
	}
}

static void emit_params(struct gen *g, const struct gen_resource *gr)
{
	const struct resource *res = gr->res;
	for (const struct field *f = res->fields; f->name; f++)
		if (filters(f))
			emit_filter(g, gr, f);
	if (res->searchable) {
		param_head(g, gr, "Q", NULL, NULL, "q");
		char d[256];
		snprintf(d, sizeof(d), "Full-text search of %s (what it covers: the %s schema).",
			 gr->plural, gr->type);
		text(g, 3, "description", d);
		line(g, 3, "schema:");
		line(g, 4, "$ref: '" REF "SearchText'");
	}
	param_head(g, gr, "Sort", NULL, NULL, "sort");
	const char *keys[2 * MAX_MEMBERS + 6];
	char minus[MAX_MEMBERS][NAME_LEN];
	char d[1024] = "Sort key, `-` for descending.";
	int n = 0, masked = 0;
	for (const struct field *f = res->fields; f->name; f++) {
		if (!sorts(f))
			continue;
		snprintf(minus[n / 2], sizeof(minus[0]), "-%s", f->name);
		keys[n] = f->name;
		keys[n + 1] = minus[n / 2];
		n += 2;
		if (f->hidden_from) {
			char roles[128];
			role_names(f->hidden_from, ", ", "", roles, sizeof(roles));
			size_t off = strlen(d);
			snprintf(d + off, sizeof(d) - off, "%s`%s` (%s)",
				 masked++ ? ", " : " Refused for the roles that may not see them: ",
				 f->name, roles);
		}
	}
	if (masked)
		snprintf(d + strlen(d), sizeof(d) - strlen(d), ".");
	static const char *const builtin[] = { "id", "-id", "created_at", "-created_at",
					       "updated_at", "-updated_at" };
	for (int i = 0; i < (res->no_record_columns ? 2 : 6); i++) {
		bool field = false;
		for (int k = 0; k < n; k++)
			field = field || strcmp(keys[k], builtin[i]) == 0;
		if (!field)
			keys[n++] = builtin[i];
	}
	text(g, 3, "description", d);
	line(g, 3, "schema:");
	line(g, 4, "type: string");
	indent(g, 4);
	buf_addstr(&g->out, "default: ");
	scalar(g, res->default_sort ? res->default_sort : "id");
	buf_addch(&g->out, '\n');
	flow(g, 4, "enum", keys, n);
}

/* servio schema openapi: the generated blocks of docs/openapi.yaml, with their marks. */
static void emit_openapi(struct gen *g)
{
	line(g, 2, "# BEGIN GENERATED: servio schema openapi parameters");
	line(g, 2, "# The list parameters of the resources, from their field tables (do not edit:");
	line(g, 2, "# change the tables and run make generate).");
	for (int i = 0; i < g->nres; i++)
		emit_params(g, &g->res[i]);
	line(g, 2, "# END GENERATED: servio schema openapi parameters");
	line(g, 2, "# BEGIN GENERATED: servio schema openapi schemas");
	line(g, 2, "# The records, bodies and lists of the resources, from their field and action");
	line(g, 2, "# tables (do not edit: change the tables and run make generate).");
	for (int i = 0; i < g->nres; i++) {
		const struct gen_resource *gr = &g->res[i];
		for (int k = gr->first_named; k < gr->end_named; k++)
			emit_named(g, &g->named[k]);
		emit_record(g, gr);
		for (int k = 0; k < gr->nactions; k++)
			emit_action(g, gr, gr->actions[k]);
	}
	line(g, 2, "# END GENERATED: servio schema openapi schemas");
}

/* TypeScript ------------------------------------------------------------- */

/* A JSDoc comment at depth, wrapped; "*\/" cannot end it early. */
static void ts_comment(struct gen *g, int depth, const char *s)
{
	struct buf t;
	buf_init(&t, 64 * 1024);
	for (const char *p = s; *p; p++) {
		if (p[0] == '*' && p[1] == '/')
			buf_addstr(&t, "*\\");
		else
			buf_addch(&t, *p);
	}
	const char *body = buf_str(&t);
	if (!strchr(body, '\n') && 2 * (size_t)depth + strlen(body) + 7 <= 100) {
		line(g, depth, "/** %s */", body);
	} else {
		line(g, depth, "/**");
		for (const char *p = body; *p;) {
			const char *nl = strchr(p, '\n');
			const char *end = nl ? nl : p + strlen(p);
			wrap(g, depth, p, end, " * ");
			if (!nl)
				break;
			line(g, depth, " *");
			p = nl + 1;
		}
		line(g, depth, " */");
	}
	buf_release(&t);
}

static void ts_type(struct gen *g, const struct gen_resource *gr, const struct field *f,
		    enum place where)
{
	switch (f->type) {
	case FT_TEXT:
	case FT_EMAIL:
	case FT_URL:
	case FT_TIMEZONE:
	case FT_DATE:
	case FT_TIME:
		buf_addstr(&g->out, "string");
		break;
	case FT_INT:
	case FT_MONEY:
	case FT_REF:
	case FT_QUANTITY:
		buf_addstr(&g->out, "number");
		break;
	case FT_BOOL:
		buf_addstr(&g->out, "boolean");
		break;
	case FT_ENUM:
		buf_addstr(&g->out, named_name(g, f->enum_values));
		break;
	case FT_STRINGS:
		buf_addstr(&g->out, "string[]");
		break;
	case FT_IDS:
		buf_addstr(&g->out, "number[]");
		break;
	case FT_OBJECTS:
		buf_addf(&g->out, "%s[]", named_name(g, f->items));
		break;
	case FT_OBJECT:
		buf_addstr(&g->out, named_name(g, f->items));
		break;
	case FT_JSON:
	case FT__MAX:
		buf_addstr(&g->out, "unknown");
		return;
	}
	if (nullable(gr, f, where))
		buf_addstr(&g->out, " | null");
}

static void ts_member(struct gen *g, const struct gen_resource *gr, const struct field *f,
		      enum place where, bool optional)
{
	if (f->doc)
		ts_comment(g, 1, f->doc);
	indent(g, 1);
	buf_addf(&g->out, "%s%s: ", f->name, optional ? "?" : "");
	ts_type(g, gr, f, where);
	buf_addstr(&g->out, ";\n");
}

static void ts_named(struct gen *g, const struct named *nm)
{
	buf_addch(&g->out, '\n');
	if (nm->kind == NAMED_OBJECT)
		ts_comment(g, 0, nm->about);
	else if (nm->doc)
		ts_comment(g, 0, nm->doc);
	if (nm->kind == NAMED_ENUM) {
		buf_addf(&g->out, "export const %sValues = [", nm->name);
		for (const char *const *v = nm->key; *v; v++)
			buf_addf(&g->out, "%s\"%s\"", v == nm->key ? "" : ", ", *v);
		buf_addstr(&g->out, "] as const;\n");
		buf_addf(&g->out, "export type %s = (typeof %sValues)[number];\n", nm->name,
			 nm->name);
		return;
	}
	buf_addf(&g->out, "export interface %s {\n", nm->name);
	for (const struct field *f = nm->members; f->name; f++)
		ts_member(g, NULL, f, nm->computed ? IN_COMPUTED : IN_ITEM,
			  !nm->computed && !(f->flags & F_REQUIRED));
	buf_addstr(&g->out, "}\n");
}

static void ts_record(struct gen *g, const struct gen_resource *gr)
{
	const struct resource *res = gr->res;
	buf_addch(&g->out, '\n');
	if (res->doc)
		ts_comment(g, 0, res->doc);
	if (res->no_record_columns) {
		buf_addf(&g->out, "export interface %s {\n", gr->type);
		line(g, 1, "id: number;");
	} else {
		buf_addf(&g->out, "export interface %s extends Rec {\n", gr->type);
	}
	for (const struct field *f = res->fields; f->name; f++)
		if (visible(f))
			/* the staff UI's types: a member only the portal misses is always there */
			ts_member(g, gr, f, writable(gr, f) ? IN_FIELDS : IN_RECORD,
				  (f->hidden_from & ROLE_STAFF) != 0);
	buf_addstr(&g->out, "}\n");
}

static void ts_action(struct gen *g, const struct gen_resource *gr,
		      const struct resource_action *a)
{
	if (!a->body)
		return;
	buf_addch(&g->out, '\n');
	if (a->summary)
		ts_comment(g, 0, a->summary);
	char name[NAME_LEN];
	snprintf(name, sizeof(name), "%s", gr->type);
	pascal(name, sizeof(name), a->name);
	buf_addf(&g->out, "export interface %s {\n", name);
	for (const struct field *f = a->body; f->name; f++)
		ts_member(g, NULL, f, IN_BODY, !(f->flags & F_REQUIRED));
	buf_addstr(&g->out, "}\n");
}

/* servio schema typescript: web/src/lib/records.gen.ts */
static void emit_typescript(struct gen *g)
{
	buf_addstr(&g->out,
		   "/*\n"
		   " * records.gen.ts - the records of the API, their items and the bodies of\n"
		   " * their actions, generated by \"servio schema typescript\" from the resource\n"
		   " * tables (src/cli/schema.c): do not edit; change the tables and run\n"
		   " * \"make generate\". A member hidden from some role is optional: that role's\n"
		   " * replies lack it.\n"
		   " */\n"
		   "\n"
		   "/** The members every record has; the server manages them. */\n"
		   "export interface Rec {\n"
		   "  id: number;\n"
		   "  created_at: string;\n"
		   "  /** When the record last changed (any write, archive and restore included). */\n"
		   "  updated_at: string;\n"
		   "  /** 1 on create, plus one at each change; the ETag. */\n"
		   "  version: number;\n"
		   "  /** When the record was archived; null while it is live. */\n"
		   "  archived_at: string | null;\n"
		   "}\n");
	for (int i = 0; i < g->nres; i++) {
		const struct gen_resource *gr = &g->res[i];
		for (int k = gr->first_named; k < gr->end_named; k++)
			ts_named(g, &g->named[k]);
		ts_record(g, gr);
		for (int k = 0; k < gr->nactions; k++)
			ts_action(g, gr, gr->actions[k]);
	}
}

/* servio schema roles: web/src/lib/roles.gen.ts */
static int emit_roles(struct gen *g)
{
	const struct http_route *routes;
	size_t n;
	if (api_route_table(&routes, &n) < 0)
		return -1;
	buf_addstr(&g->out,
		   "/*\n"
		   " * roles.gen.ts - who may call each route of the server, and which fields\n"
		   " * each role may not see or write, generated by \"servio schema roles\" from\n"
		   " * the route table and the resource tables (src/cli/schema.c): do not edit;\n"
		   " * run \"make generate\".\n"
		   " */\n"
		   "\n"
		   "export type RouteRole =");
	for (unsigned bit = 1; bit <= ROLE_PORTAL; bit <<= 1)
		buf_addf(&g->out, " \"%s\" |", role_name(bit));
	buf_addstr(&g->out, " \"public\";\n"
		   "\n"
		   "/** Every route (\"METHOD pattern\", as `servio routes` prints it) and the roles it allows. */\n"
		   "export const routeRoles = {\n");
	for (size_t i = 0; i < n; i++) {
		char roles[256];
		/* a test build's own routes are no part of the product */
		if (strncmp(routes[i].pattern, "/api/v1/test/", 13) == 0)
			continue;
		if (routes[i].roles & HTTP_PUBLIC)
			snprintf(roles, sizeof(roles), "\"public\"");
		else
			role_names(routes[i].roles, ", ", "\"", roles, sizeof(roles));
		line(g, 1, "\"%s %s\": [%s],", routes[i].method, routes[i].pattern, roles);
	}
	buf_addstr(&g->out,
		   "} as const satisfies Record<string, readonly RouteRole[]>;\n"
		   "\n"
		   "export type Route = keyof typeof routeRoles;\n"
		   "\n"
		   "/**\n"
		   " * Per record type, the fields hidden from a role (never in its replies,\n"
		   " * filters or sort keys, nor writable by it) and those it sees but may not\n"
		   " * write.\n"
		   " */\n"
		   "export const fieldMasks = {\n");
	for (int i = 0; i < g->nres; i++) {
		const struct gen_resource *gr = &g->res[i];
		line(g, 1, "%s: {", gr->type);
		for (int ro = 0; ro < 2; ro++) {
			indent(g, 2);
			buf_addf(&g->out, "%s: {", ro ? "readOnlyFor" : "hiddenFrom");
			int k = 0;
			for (const struct field *f = gr->res->fields; f->name; f++) {
				unsigned mask = ro ? f->read_only_for : f->hidden_from;
				if (!mask || f->flags & F_HIDDEN)
					continue;
				char roles[256];
				role_names(mask, ", ", "\"", roles, sizeof(roles));
				buf_addf(&g->out, "%s%s: [%s]", k++ ? ", " : " ", f->name, roles);
			}
			buf_addstr(&g->out, k ? " },\n" : "},\n");
		}
		line(g, 1, "},");
	}
	buf_addstr(&g->out,
		   "} as const satisfies Record<string, {\n"
		   "  hiddenFrom: Record<string, readonly RouteRole[]>;\n"
		   "  readOnlyFor: Record<string, readonly RouteRole[]>;\n"
		   "}>;\n"
		   "\n"
		   "/**\n"
		   " * Per record type with own rows, the field naming the user a row belongs\n"
		   " * to and the roles that may change anyone's; the other roles create,\n"
		   " * change, archive and act on their own rows only (403).\n"
		   " */\n"
		   "export const ownerRows = {\n");
	for (int i = 0; i < g->nres; i++) {
		const struct gen_resource *gr = &g->res[i];
		if (!gr->res->owner_field)
			continue;
		char roles[256];
		role_names(gr->res->any_owner_roles, ", ", "\"", roles, sizeof(roles));
		line(g, 1, "%s: { field: \"%s\", anyOwner: [%s] },", gr->type, gr->res->owner_field,
		     roles);
	}
	buf_addstr(&g->out,
		   "} as const satisfies Record<string, {\n"
		   "  field: string;\n"
		   "  anyOwner: readonly RouteRole[];\n"
		   "}>;\n"
		   "\n"
		   "/** The roles of a client portal contact (a contact's portal_role). */\n"
		   "export const portalRoles = [");
	const char *const *values = NULL;
	for (const struct field *f = contact_resource.fields; f->name; f++)
		if (strcmp(f->name, "portal_role") == 0)
			values = f->enum_values;
	if (!values) {
		log_error("schema: contacts have no portal_role");
		return -1;
	}
	for (int i = 0; values[i]; i++)
		buf_addf(&g->out, "%s\"%s\"", i ? ", " : "", values[i]);
	buf_addstr(&g->out, "] as const;\n"
		   "\n"
		   "export type PortalRole = (typeof portalRoles)[number];\n"
		   "\n"
		   "/**\n"
		   " * The areas of the portal's routes (path prefixes) and the portal roles\n"
		   " * that reach each; a portal route in no area, nobody.\n"
		   " */\n"
		   "export const portalAreas = {\n");
	const char *roles;
	for (size_t i = 0; api_portal_area(i, &roles); i++) {
		indent(g, 1);
		buf_addf(&g->out, "\"%s\": [", api_portal_area(i, &roles));
		for (const char *p = roles; *p;) {
			size_t len = strcspn(p, " ");
			buf_addf(&g->out, "%s\"%.*s\"", p == roles ? "" : ", ", (int)len, p);
			p += len;
			p += *p == ' ';
		}
		buf_addstr(&g->out, "],\n");
	}
	buf_addstr(&g->out, "} as const satisfies Record<string, readonly PortalRole[]>;\n");
	return 0;
}

int cmd_schema(struct conf *c, int argc, char **argv)
{
	(void)c;
	static const char usage[] =
		"usage: servio schema openapi|typescript|roles\n\n"
		"Prints what the API's documents say about records, made from the route\n"
		"and resource tables (\"make generate\" writes it into the tree):\n"
		"  openapi      the generated blocks of docs/openapi.yaml\n"
		"  typescript   web/src/lib/records.gen.ts\n"
		"  roles        web/src/lib/roles.gen.ts\n";
	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			printf("%s", usage);
			return 0;
		}
	}
	if (argc != 1 || (strcmp(argv[0], "openapi") != 0 && strcmp(argv[0], "typescript") != 0 &&
			  strcmp(argv[0], "roles") != 0)) {
		fprintf(stderr, "%s", usage);
		return 2;
	}
	struct gen *g = xcalloc(1, sizeof(*g));
	if (!g)
		return 1;
	buf_init(&g->out, BUF_DEFAULT_MAX);
	int rc = collect(g);
	if (rc == 0 && strcmp(argv[0], "openapi") == 0)
		emit_openapi(g);
	else if (rc == 0 && strcmp(argv[0], "typescript") == 0)
		emit_typescript(g);
	else if (rc == 0)
		rc = emit_roles(g);
	if (rc == 0 && g->failed)
		rc = -1;
	if (rc == 0 && g->out.failed) {
		log_error("schema: out of memory");
		rc = -1;
	}
	if (rc == 0 && (fwrite(buf_str(&g->out), 1, g->out.len, stdout) != g->out.len ||
			fflush(stdout) != 0)) {
		log_error("schema: cannot write the output");
		rc = -1;
	}
	buf_release(&g->out);
	xfree(g);
	return rc == 0 ? 0 : 1;
}
