/*
 * terms.c - a quote's terms in words (see terms.h): coverage from a
 * calendar's weekly hours, the response time in working hours.
 */
#include "terms.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define EN_DASH "\xe2\x80\x93"

static const char *const day_names[] = { "Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun" };

/* "HH:MM" -> minutes of the day (up to 24:00), or -1. */
static int hhmm(const char *s)
{
	if (!s || strlen(s) != 5 || s[2] != ':')
		return -1;
	for (int i = 0; i < 5; i++)
		if (i != 2 && (s[i] < '0' || s[i] > '9'))
			return -1;
	int h = (s[0] - '0') * 10 + (s[1] - '0'), m = (s[3] - '0') * 10 + (s[4] - '0');
	if (m > 59 || h > 24 || (h == 24 && m))
		return -1;
	return h * 60 + m;
}

struct range {
	int start, end;
};

#define MAX_RANGES 16

/* One weekday's ranges, sorted, joined where they touch. */
struct day {
	struct range r[MAX_RANGES];
	int n;
};

static bool same_day(const struct day *a, const struct day *b)
{
	if (a->n != b->n)
		return false;
	for (int i = 0; i < a->n; i++)
		if (a->r[i].start != b->r[i].start || a->r[i].end != b->r[i].end)
			return false;
	return true;
}

static void add_range(struct day *d, int start, int end)
{
	if (d->n == MAX_RANGES)
		return;
	int i = d->n++;
	while (i > 0 && d->r[i - 1].start > start) {
		d->r[i] = d->r[i - 1];
		i--;
	}
	d->r[i] = (struct range){ start, end };
	int k = 0;
	for (int j = 1; j < d->n; j++) {
		if (d->r[j].start <= d->r[k].end) {
			if (d->r[j].end > d->r[k].end)
				d->r[k].end = d->r[j].end;
		} else {
			d->r[++k] = d->r[j];
		}
	}
	d->n = k + 1;
}

/* A fixed buffer that stays terminated and truncates quietly. */
struct text {
	char *s;
	size_t n, len;
};

static void addf(struct text *t, const char *fmt, ...)
{
	if (t->len + 1 >= t->n)
		return;
	va_list ap;
	va_start(ap, fmt);
	int w = vsnprintf(t->s + t->len, t->n - t->len, fmt, ap);
	va_end(ap);
	if (w > 0)
		t->len += (size_t)w < t->n - t->len ? (size_t)w : t->n - t->len - 1;
}

void quote_hours_text(const json_t *hours, bool always_open, char *out, size_t n)
{
	out[0] = '\0';
	if (always_open) {
		snprintf(out, n, "around the clock");
		return;
	}
	struct day days[7];
	memset(days, 0, sizeof(days));
	size_t i;
	const json_t *h;
	json_array_foreach(hours, i, h) {
		json_int_t wd = json_integer_value(json_object_get(h, "weekday"));
		int s = hhmm(json_string_value(json_object_get(h, "start")));
		int e = hhmm(json_string_value(json_object_get(h, "end")));
		if (wd < 1 || wd > 7 || s < 0 || e <= s)
			continue;
		add_range(&days[wd - 1], s, e);
	}
	bool all_day = true, any = false;
	for (int d = 0; d < 7; d++) {
		any = any || days[d].n > 0;
		all_day = all_day && days[d].n == 1 && days[d].r[0].start == 0 &&
			  days[d].r[0].end == 1440;
	}
	if (all_day) {
		snprintf(out, n, "around the clock");
		return;
	}
	if (!any)
		return;
	struct text t = { out, n, 0 };
	for (int d = 0; d < 7;) {
		if (!days[d].n) {
			d++;
			continue;
		}
		int last = d;
		while (last + 1 < 7 && same_day(&days[d], &days[last + 1]))
			last++;
		addf(&t, "%s%s", t.len ? "; " : "", day_names[d]);
		if (last > d)
			addf(&t, EN_DASH "%s", day_names[last]);
		for (int k = 0; k < days[d].n; k++) {
			const struct range *r = &days[d].r[k];
			addf(&t, "%s%02d:%02d" EN_DASH "%02d:%02d", k ? ", " : " ", r->start / 60,
			     r->start % 60, r->end / 60, r->end % 60);
		}
		d = last + 1;
	}
}

void quote_response_text(int64_t minutes, bool always_open, char *out, size_t n)
{
	out[0] = '\0';
	if (minutes <= 0)
		return;
	const char *working = always_open ? "" : "working ";
	if (minutes % 60 == 0)
		snprintf(out, n, "within %lld %shour%s", (long long)(minutes / 60), working,
			 minutes == 60 ? "" : "s");
	else
		snprintf(out, n, "within %lld %sminute%s", (long long)minutes, working,
			 minutes == 1 ? "" : "s");
}

const char *quote_qualifications_text(const char *in, char *out, size_t n)
{
	static const char none[] = "no current certifications";
	if (!in || !strstr(in, none))
		return in && in[0] ? in : NULL;
	size_t len = 0;
	for (const char *line = in; *line;) {
		const char *nl = strchr(line, '\n');
		size_t l = nl ? (size_t)(nl - line) : strlen(line);
		bool drop = l >= sizeof(none) - 1 &&
			    memcmp(line + l - (sizeof(none) - 1), none, sizeof(none) - 1) == 0;
		if (!drop && len + l + 2 <= n) {
			if (len)
				out[len++] = '\n';
			memcpy(out + len, line, l);
			len += l;
		}
		line += l + (nl ? 1 : 0);
	}
	out[len < n ? len : n - 1] = '\0';
	return len ? out : NULL;
}
