/*
 * sla.c - a ticket's SLA clocks from its status history. The calendar says
 * which stretches are working time; the history cuts them further into
 * running, paused and stopped pieces. Every answer (due times, elapsed
 * minutes, the timeline) is one walk over those pieces, so the numbers
 * and the explanation cannot disagree.
 */
#include "sla.h"

#include "core/alloc.h"
#include "core/result.h"
#include "core/timeutil.h"

#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define NEVER		INT64_MAX
#define DAY_SECONDS	86400
#define STEP_SECONDS	((int64_t)31 * DAY_SECONDS)
#define IDLE_SECONDS	((int64_t)CALENDAR_IDLE_DAYS * DAY_SECONDS)
#define HORIZON_SECONDS	((int64_t)CALENDAR_HORIZON_DAYS * DAY_SECONDS)

static const char *const kind_names[] = { "counted", "outside_hours", "holiday", "paused",
					  "stopped" };
_Static_assert(sizeof(kind_names) / sizeof(kind_names[0]) == SLA_KIND__MAX,
	       "a name for each SLA kind");

const char *sla_kind_name(enum sla_kind kind)
{
	return (unsigned)kind < SLA_KIND__MAX ? kind_names[kind] : "?";
}

static int64_t ceil_minute(int64_t t)
{
	int64_t r = t % 60;
	if (r < 0)
		r += 60;
	return r ? t + (60 - r) : t;
}

static int64_t max64(int64_t a, int64_t b)
{
	return a > b ? a : b;
}

static int64_t min64(int64_t a, int64_t b)
{
	return a < b ? a : b;
}

/* ---- the ticket's state over time ---- */

/* What the resolution clock does at an instant. */
enum seg {
	SEG_RUN,	/* running */
	SEG_PAUSE,	/* in a pause status */
	SEG_STOP,	/* resolved/closed/cancelled, reopened later */
	SEG_FINAL,	/* after the stop the history ends in: counts toward due_at only */
	SEG_FUTURE,	/* after now: assumed to run */
};

struct ctx {
	const struct sla_input *in;
	int64_t start, now;	/* rounded; now >= start */
	size_t nvalid;		/* history entries at or before now */
	int64_t first_stop;	/* first resolved/closed/cancelled, or NEVER */
	int64_t final_stop;	/* start of the stop the history ends in, or NEVER */
	int64_t resp_stop;	/* when the response clock stops, or NEVER */
	size_t idx;		/* cursor: entries before idx have begun */
	size_t seg_idx;		/* the idx seg was classified at (a walk asks per piece) */
	enum seg seg;
	int64_t extra[6];	/* more instants to cut at (due times, clock ends) */
	size_t nextra;
};

static bool is_stop_status(const char *s)
{
	return strcmp(s, "resolved") == 0 || strcmp(s, "closed") == 0 ||
	       strcmp(s, "cancelled") == 0;
}

static enum seg classify(const struct sla_input *in, const char *status)
{
	if (is_stop_status(status))
		return SEG_STOP;
	for (size_t i = 0; i < in->npause_statuses; i++)
		if (in->pause_statuses[i] && strcmp(in->pause_statuses[i], status) == 0)
			return SEG_PAUSE;
	return SEG_RUN;
}

static int64_t change_at(const struct ctx *c, size_t i)
{
	return max64(ceil_minute(c->in->history[i].at), c->start);
}

static bool valid_target(int64_t m)
{
	return m == SLA_NO_TARGET || (m >= 0 && m <= CALENDAR_MAX_MINUTES);
}

static bool in_range(int64_t t)
{
	/* leaves room to round up and to look a horizon ahead */
	return t >= CALENDAR_MIN_TIME && t <= CALENDAR_MAX_TIME - HORIZON_SECONDS;
}

static int prepare(struct ctx *c, const struct sla_input *in, char *err, size_t errlen)
{
	memset(c, 0, sizeof(*c));
	c->in = in;
	c->seg_idx = SIZE_MAX;
	if (!in->cal || !in->cal->ucal)
		return fail_with(err, errlen, "calendar is missing");
	if (!valid_target(in->response_minutes) || !valid_target(in->resolution_minutes))
		return fail_with(err, errlen, "targets must be 0 to %lld minutes",
				 (long long)CALENDAR_MAX_MINUTES);
	if (!in_range(in->created_at) || !in_range(in->now))
		return fail_with(err, errlen, "time out of range");
	if (in->nhistory && !in->history)
		return fail_with(err, errlen, "history is missing");
	for (size_t i = 0; i < in->nhistory; i++) {
		if (!in->history[i].status)
			return fail_with(err, errlen, "history[%zu]: status is missing", i);
		if (!in_range(in->history[i].at))
			return fail_with(err, errlen, "history[%zu]: time out of range", i);
		if (i && in->history[i].at < in->history[i - 1].at)
			return fail_with(err, errlen, "history[%zu]: not in time order", i);
	}
	if ((in->first_responded_at != SLA_NONE && !in_range(in->first_responded_at)) ||
	    (in->resolved_at != SLA_NONE && !in_range(in->resolved_at)))
		return fail_with(err, errlen, "time out of range");

	c->start = ceil_minute(in->created_at);
	c->now = max64(ceil_minute(in->now), c->start);
	while (c->nvalid < in->nhistory && in->history[c->nvalid].at <= in->now)
		c->nvalid++;

	int64_t resolved = NEVER;
	if (in->resolved_at != SLA_NONE)
		resolved = min64(max64(ceil_minute(in->resolved_at), c->start), c->now);
	c->first_stop = NEVER;
	for (size_t i = 0; i < c->nvalid && c->first_stop == NEVER; i++)
		if (is_stop_status(in->history[i].status))
			c->first_stop = change_at(c, i);
	if (c->first_stop == NEVER)
		c->first_stop = resolved;
	c->final_stop = NEVER;
	for (size_t i = c->nvalid; i > 0 && is_stop_status(in->history[i - 1].status); i--)
		c->final_stop = change_at(c, i - 1);
	if (c->final_stop == NEVER)
		c->final_stop = resolved;
	c->resp_stop = c->first_stop;
	if (in->first_responded_at != SLA_NONE)
		c->resp_stop = min64(c->resp_stop, min64(max64(ceil_minute(in->first_responded_at),
								c->start), c->now));
	return 0;
}

/* The clock's state at t and the status then; t must not go backwards between resets. */
static enum seg state_at(struct ctx *c, int64_t t, const char **status)
{
	while (c->idx < c->nvalid && change_at(c, c->idx) <= t)
		c->idx++;
	*status = c->idx ? c->in->history[c->idx - 1].status : NULL;
	if (t >= c->final_stop)
		return SEG_FINAL;
	if (t >= c->now) {
		*status = NULL;
		return SEG_FUTURE;
	}
	if (!*status)
		return SEG_RUN;
	if (c->seg_idx != c->idx) {	/* the history is fixed: idx names the status */
		c->seg = classify(c->in, *status);
		c->seg_idx = c->idx;
	}
	return c->seg;
}

/* The next instant after t where something may change (after state_at(t)). */
static int64_t next_cut(const struct ctx *c, int64_t t)
{
	int64_t n = NEVER;
	for (size_t j = c->idx; j < c->nvalid; j++) {
		int64_t at = change_at(c, j);
		if (at > t) {
			n = at;
			break;
		}
	}
	if (c->final_stop > t)
		n = min64(n, c->final_stop);
	if (c->now > t)
		n = min64(n, c->now);
	for (size_t i = 0; i < c->nextra; i++)
		if (c->extra[i] > t)
			n = min64(n, c->extra[i]);
	return n;
}

typedef int (*piece_fn)(struct ctx *c, int64_t s, int64_t e, enum calendar_kind ck,
			enum seg st, const char *status, void *arg);

/*
 * Calls fn on each piece of [a, b): one calendar kind and one state.
 * Returns 0, fn's non-zero value, or -1 with a message.
 */
static int walk(struct ctx *c, int64_t a, int64_t b, bool idle_check, piece_fn fn, void *arg,
		char *err, size_t errlen)
{
	c->idx = 0;
	int64_t last_counted = a;
	for (int64_t t = a; t < b;) {
		struct calendar_interval iv;
		int64_t until = b - t > STEP_SECONDS ? t + STEP_SECONDS : b;
		if (calendar_interval_at(c->in->cal, t, until, &iv, err, errlen))
			return -1;
		if (iv.kind == CALENDAR_COUNTED)
			last_counted = iv.end;
		else if (idle_check && iv.end - last_counted > IDLE_SECONDS)
			return fail_with(err, errlen, "calendar has no working time for %d years",
					 CALENDAR_IDLE_DAYS / 365);
		for (int64_t s = t; s < iv.end;) {
			const char *status;
			enum seg st = state_at(c, s, &status);
			int64_t e = min64(next_cut(c, s), iv.end);
			int rc = fn(c, s, e, iv.kind, st, status, arg);
			if (rc)
				return rc;
			s = e;
		}
		t = iv.end;
	}
	return 0;
}

/* ---- the clocks ---- */

struct due_walk {
	int64_t rem;		/* running seconds still to go */
	int64_t due, paused, stopped;
};

static int due_piece(struct ctx *c, int64_t s, int64_t e, enum calendar_kind ck, enum seg st,
		     const char *status, void *arg)
{
	struct due_walk *w = arg;
	if (ck != CALENDAR_COUNTED)
		return 0;
	switch (st) {
	case SEG_RUN:
	case SEG_FINAL:
	case SEG_FUTURE:
		if (e - s >= w->rem) {
			w->due = s + w->rem;
			return 1;
		}
		w->rem -= e - s;
		break;
	case SEG_PAUSE:
		w->paused += e - s;
		break;
	case SEG_STOP:
		w->stopped += e - s;
		break;
	}
	return 0;
}

static int elapsed_piece(struct ctx *c, int64_t s, int64_t e, enum calendar_kind ck,
			 enum seg st, const char *status, void *arg)
{
	if (ck == CALENDAR_COUNTED && st == SEG_RUN)
		*(int64_t *)arg += e - s;
	return 0;
}

static int percent_of(int64_t elapsed, int64_t target, int64_t asof, int64_t due)
{
	if (target == 0)
		return asof >= due ? 100 : 0;
	int64_t p = elapsed * 100 / target;
	return p > INT_MAX / 2 ? INT_MAX / 2 : (int)p;
}

int sla_compute(const struct sla_input *in, struct sla_result *out, char *err, size_t errlen)
{
	struct ctx c;
	if (prepare(&c, in, err, errlen))
		return -1;
	struct sla_result r;
	memset(&r, 0, sizeof(r));
	r.started_at = c.start;
	r.now = c.now;

	struct sla_clock *resp = &r.response;
	int64_t resp_asof = c.resp_stop != NEVER ? c.resp_stop : c.now;
	resp->stopped_at = c.resp_stop != NEVER ? c.resp_stop : SLA_NONE;
	if (in->response_minutes != SLA_NO_TARGET) {
		resp->has_target = true;
		resp->target_minutes = in->response_minutes;
		if (calendar_add_minutes(in->cal, c.start, in->response_minutes, &resp->due_at, err,
					 errlen) ||
		    calendar_minutes_between(in->cal, c.start, resp_asof, &resp->elapsed_minutes,
					     err, errlen))
			return -1;
		resp->percent = percent_of(resp->elapsed_minutes, resp->target_minutes, resp_asof,
					   resp->due_at);
		resp->breached = resp_asof > resp->due_at;
	}

	struct sla_clock *res = &r.resolution;
	int64_t res_asof = c.final_stop != NEVER ? c.final_stop : c.now;
	res->stopped_at = c.final_stop != NEVER ? c.final_stop : SLA_NONE;
	if (in->resolution_minutes != SLA_NO_TARGET) {
		res->has_target = true;
		res->target_minutes = in->resolution_minutes;
		if (!in->cal->always_open && !in->cal->nhours)
			return fail_with(err, errlen, "calendar has no working hours");
		struct due_walk w = { .rem = in->resolution_minutes * 60 };
		int64_t end = min64(c.start + HORIZON_SECONDS, CALENDAR_MAX_TIME);
		int rc = walk(&c, c.start, end, true, due_piece, &w, err, errlen);
		if (rc < 0)
			return -1;
		if (rc == 0)
			return fail_with(err, errlen, "due time is more than %d years away",
					 CALENDAR_HORIZON_DAYS / 365);
		res->due_at = w.due;
		r.paused_minutes = w.paused / 60;
		r.stopped_minutes = w.stopped / 60;
		int64_t running = 0;
		if (walk(&c, c.start, res_asof, false, elapsed_piece, &running, err, errlen))
			return -1;
		res->elapsed_minutes = running / 60;
		res->percent = percent_of(res->elapsed_minutes, res->target_minutes, res_asof,
					  res->due_at);
		res->breached = res_asof > res->due_at;
	}
	*out = r;
	return 0;
}

/* ---- the timeline ---- */

struct tl_build {
	struct sla_interval *items;
	size_t n, cap;
	bool truncated, oom;
	const struct sla_result *r;
	int64_t resp_end, res_end;
	int64_t cuts[2];	/* due times passed while their clock ran: always a boundary */
	size_t ncuts;
};

static bool same_status(const char *a, const char *b)
{
	return a == b || (a && b && strcmp(a, b) == 0);
}

static int tl_piece(struct ctx *c, int64_t s, int64_t e, enum calendar_kind ck, enum seg st,
		    const char *status, void *arg)
{
	struct tl_build *b = arg;
	struct sla_interval iv = { .start = s, .end = e, .status = status, .future = s >= c->now };
	if (ck == CALENDAR_HOLIDAY) {
		iv.kind = SLA_HOLIDAY;
	} else if (ck == CALENDAR_OUTSIDE_HOURS) {
		iv.kind = SLA_OUTSIDE_HOURS;
	} else {
		iv.kind = st == SEG_PAUSE ? SLA_PAUSED
			  : st == SEG_STOP || st == SEG_FINAL ? SLA_STOPPED
							      : SLA_COUNTED;
		iv.minutes = (e - s) / 60;
		if (b->r->response.has_target && s < b->resp_end)
			iv.clocks |= SLA_CLOCK_RESPONSE;
		if (b->r->resolution.has_target && (st == SEG_RUN || st == SEG_FUTURE) &&
		    s < b->res_end)
			iv.clocks |= SLA_CLOCK_RESOLUTION;
	}
	bool cut = false;
	for (size_t i = 0; i < b->ncuts; i++)
		cut = cut || b->cuts[i] == s;
	if (b->n && !cut) {
		struct sla_interval *last = &b->items[b->n - 1];
		if (last->end == s && last->kind == iv.kind && last->clocks == iv.clocks &&
		    last->future == iv.future && same_status(last->status, iv.status)) {
			last->end = e;
			last->minutes += iv.minutes;
			return 0;
		}
	}
	if (b->n == SLA_TIMELINE_MAX) {
		b->truncated = true;
		return 1;
	}
	if (b->n == b->cap) {
		size_t cap = b->cap ? 2 * b->cap : 32;
		struct sla_interval *p = xrealloc(b->items, cap * sizeof(*p));
		if (!p) {
			b->oom = true;
			return 2;
		}
		b->items = p;
		b->cap = cap;
	}
	b->items[b->n++] = iv;
	return 0;
}

int sla_timeline(struct arena *a, const struct sla_input *in, const struct sla_result *r,
		 struct sla_timeline *out, char *err, size_t errlen)
{
	struct ctx c;
	if (prepare(&c, in, err, errlen))
		return -1;
	struct tl_build b = { .r = r };
	b.resp_end = c.resp_stop != NEVER ? c.resp_stop
		     : r->response.has_target ? max64(r->response.due_at, c.now)
					      : c.now;
	b.res_end = c.final_stop != NEVER ? c.final_stop
		    : r->resolution.has_target ? max64(r->resolution.due_at, c.now)
					       : c.now;
	int64_t end = max64(b.resp_end, b.res_end);
	c.extra[c.nextra++] = b.resp_end;
	c.extra[c.nextra++] = b.res_end;
	if (r->response.has_target) {
		c.extra[c.nextra++] = r->response.due_at;
		if (r->response.due_at < b.resp_end)
			b.cuts[b.ncuts++] = r->response.due_at;
	}
	if (r->resolution.has_target) {
		c.extra[c.nextra++] = r->resolution.due_at;
		if (r->resolution.due_at < b.res_end)
			b.cuts[b.ncuts++] = r->resolution.due_at;
	}

	int rc = walk(&c, c.start, end, false, tl_piece, &b, err, errlen);
	if (rc < 0 || b.oom) {
		xfree(b.items);
		return rc < 0 ? -1 : fail_with(err, errlen, "out of memory");
	}
	struct sla_interval *items = arena_alloc(a, b.n * sizeof(*items));
	if (!items) {
		xfree(b.items);
		return fail_with(err, errlen, "out of memory");
	}
	if (b.n)
		memcpy(items, b.items, b.n * sizeof(*items));
	xfree(b.items);
	*out = (struct sla_timeline){ .items = items, .n = b.n, .start = c.start,
				      .end = b.truncated ? items[b.n - 1].end : max64(end, c.start),
				      .truncated = b.truncated };
	return 0;
}

/* ---- JSON ---- */

static json_t *jtime(int64_t t)
{
	if (t == SLA_NONE)
		return json_null();
	char s[TIME_RFC3339_LEN];
	time_format(t, s);
	return json_string(s);
}

/* Sets o[k] = v (stolen); false when v is NULL or the set fails. */
static bool jset(json_t *o, const char *k, json_t *v)
{
	return v && json_object_set_new(o, k, v) == 0;
}

static const char *clock_name(unsigned clocks)
{
	switch (clocks & (SLA_CLOCK_RESPONSE | SLA_CLOCK_RESOLUTION)) {
	case SLA_CLOCK_RESPONSE | SLA_CLOCK_RESOLUTION:
		return "both";
	case SLA_CLOCK_RESPONSE:
		return "response";
	case SLA_CLOCK_RESOLUTION:
		return "resolution";
	default:
		return "none";
	}
}

json_t *sla_timeline_to_json(const struct sla_timeline *tl)
{
	json_t *arr = json_array();
	if (!arr)
		return NULL;
	for (size_t i = 0; i < tl->n; i++) {
		const struct sla_interval *iv = &tl->items[i];
		json_t *o = json_object();
		if (json_array_append_new(arr, o))	/* arr owns o from here */
			goto fail;
		if (!jset(o, "start", jtime(iv->start)) || !jset(o, "end", jtime(iv->end)) ||
		    !jset(o, "kind", json_string(sla_kind_name(iv->kind))) ||
		    !jset(o, "minutes", json_integer(iv->minutes)) ||
		    !jset(o, "clock", json_string(clock_name(iv->clocks))) ||
		    !jset(o, "status", iv->status ? json_string(iv->status) : json_null()) ||
		    !jset(o, "future", json_boolean(iv->future)))
			goto fail;
	}
	return arr;
fail:
	json_decref(arr);
	return NULL;
}

static json_t *clock_json(const struct sla_clock *k, const char *what, int64_t paused,
			  int64_t stopped)
{
	json_t *o = json_object();
	if (!o)
		return NULL;
	char text[160];
	if (!k->has_target) {
		snprintf(text, sizeof(text), "no %s target", what);
	} else {
		int n = snprintf(text, sizeof(text), "due %lld working minutes after started_at",
				 (long long)k->target_minutes);
		if (paused && n > 0 && (size_t)n < sizeof(text))
			n += snprintf(text + n, sizeof(text) - (size_t)n, ", plus %lld paused",
				      (long long)paused);
		if (stopped && n > 0 && (size_t)n < sizeof(text))
			snprintf(text + n, sizeof(text) - (size_t)n,
				 ", plus %lld resolved before a reopen", (long long)stopped);
	}
	bool ok = jset(o, "target_minutes",
		       k->has_target ? json_integer(k->target_minutes) : json_null()) &&
		  jset(o, "due_at", k->has_target ? jtime(k->due_at) : json_null()) &&
		  jset(o, "running", json_boolean(k->stopped_at == SLA_NONE)) &&
		  jset(o, "elapsed_minutes", json_integer(k->elapsed_minutes)) &&
		  jset(o, "elapsed_percent", k->has_target ? json_integer(k->percent) : json_null()) &&
		  jset(o, "breached", json_boolean(k->breached)) &&
		  jset(o, "explanation", json_string(text));
	if (!ok) {
		json_decref(o);
		return NULL;
	}
	return o;
}

json_t *sla_result_to_json(const struct sla_input *in, const struct sla_result *r,
			   const struct sla_timeline *tl)
{
	json_t *o = json_object();
	if (!o)
		return NULL;
	/* each child is handed to its parent first, so one decref of o frees all */
	json_t *policy = json_object(), *pauses = json_array();
	if (!jset(o, "policy", policy)) {
		json_decref(pauses);
		goto fail;
	}
	if (!jset(policy, "pause_statuses", pauses))
		goto fail;
	for (size_t i = 0; i < in->npause_statuses; i++)
		if (json_array_append_new(pauses, json_string(in->pause_statuses[i])))
			goto fail;
	if (!jset(policy, "id", in->policy_id ? json_integer(in->policy_id) : json_null()) ||
	    !jset(policy, "name", in->policy_name ? json_string(in->policy_name) : json_null()) ||
	    !jset(policy, "timezone", json_string(in->cal->tz)) ||
	    !jset(policy, "always_open", json_boolean(in->cal->always_open)))
		goto fail;
	if (!jset(o, "created_at", jtime(in->created_at)) ||
	    !jset(o, "started_at", jtime(r->started_at)) || !jset(o, "computed_at", jtime(r->now)))
		goto fail;
	json_t *resp = clock_json(&r->response, "response", 0, 0);
	if (!jset(o, "response", resp) ||
	    !jset(resp, "responded_at", jtime(in->first_responded_at)) ||
	    !jset(resp, "stopped_at", jtime(r->response.stopped_at)))
		goto fail;
	json_t *res = clock_json(&r->resolution, "resolution", r->paused_minutes,
				 r->stopped_minutes);
	if (!jset(o, "resolution", res) ||
	    !jset(res, "resolved_at", jtime(r->resolution.stopped_at)) ||
	    !jset(res, "paused_minutes", json_integer(r->paused_minutes)) ||
	    !jset(res, "stopped_minutes", json_integer(r->stopped_minutes)))
		goto fail;
	if (tl && (!jset(o, "timeline", sla_timeline_to_json(tl)) ||
		   !jset(o, "timeline_truncated", json_boolean(tl->truncated))))
		goto fail;
	return o;
fail:
	json_decref(o);
	return NULL;
}

/* ---- warnings ---- */

static const int warn_percents[] = { 50, 75, 90, 100 };

unsigned sla_thresholds_new(int percent, unsigned fired)
{
	unsigned reached = 0;
	for (size_t i = 0; i < sizeof(warn_percents) / sizeof(warn_percents[0]); i++)
		if (percent >= warn_percents[i])
			reached |= 1u << i;
	return reached & ~fired & SLA_WARN_ALL;
}

unsigned sla_warnings_new(const struct sla_result *r, unsigned fired)
{
	unsigned out = 0;
	if (r->response.has_target && r->response.stopped_at == SLA_NONE)
		out |= sla_thresholds_new(r->response.percent, fired & SLA_WARN_ALL);
	if (r->resolution.has_target && r->resolution.stopped_at == SLA_NONE)
		out |= sla_thresholds_new(r->resolution.percent,
					  (fired >> SLA_WARN_RESOLUTION_SHIFT) & SLA_WARN_ALL)
		       << SLA_WARN_RESOLUTION_SHIFT;
	return out;
}
