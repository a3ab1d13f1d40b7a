/*
 * metrics.c - request counters and latency histograms in the Prometheus
 * text exposition format, for GET /metrics.
 *
 * Series are keyed by route pattern (never the raw path, so the number of
 * series stays bounded by the route table), method and status. Requests no
 * route claimed are "static" (served from the web root) or "unmatched";
 * the methods of unmatched requests are folded into a fixed set plus
 * "other" for the same reason. Every slot exists from the start; only a
 * slot's list of statuses grows. One mutex guards it all: an update is a
 * few additions, far cheaper than the request it records.
 */
#include "internal.h"

#include "core/alloc.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

static const double bucket_bounds[] = {
	0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
};
static const char *const bucket_labels[] = {
	"0.001", "0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1", "2.5", "5", "10",
	"+Inf",
};
#define NBOUNDS (sizeof(bucket_bounds) / sizeof(bucket_bounds[0]))
#define NBUCKETS (NBOUNDS + 1)
_Static_assert(sizeof(bucket_labels) / sizeof(bucket_labels[0]) == NBUCKETS,
	       "a label for every bucket and +Inf");

/* Methods of unmatched requests; anything else counts as "other". */
static const char *const other_methods[] = {
	"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "other",
};
#define NOTHER (sizeof(other_methods) / sizeof(other_methods[0]))

struct status_count {
	int status;
	uint64_t n;
};

struct slot {
	const char *route, *method;
	uint64_t buckets[NBUCKETS];	/* not cumulative; the last is above 10 s */
	double sum;
	uint64_t count;
	struct status_count *statuses;	/* sorted by status */
	size_t nstatuses, cap;
};

struct http_metrics {
	pthread_mutex_t lock;
	const struct http_route *routes;
	size_t nroutes;
	struct slot *slots;
	size_t nslots;
};

/*
 * Slot layout: route i has 2i (its method) and 2i+1 (HEAD of a GET route);
 * then "static" GET and HEAD; then "unmatched" per other_methods.
 */
struct http_metrics *http_metrics_new(const struct http_route *routes, size_t n)
{
	struct http_metrics *m = xcalloc(1, sizeof(*m));
	if (!m)
		return NULL;
	m->routes = routes;
	m->nroutes = n;
	m->nslots = 2 * n + 2 + NOTHER;
	m->slots = xcalloc(m->nslots, sizeof(*m->slots));
	if (!m->slots || pthread_mutex_init(&m->lock, NULL) != 0) {
		xfree(m->slots);
		xfree(m);
		return NULL;
	}
	for (size_t i = 0; i < n; i++) {
		m->slots[2 * i].route = m->slots[2 * i + 1].route = routes[i].pattern;
		m->slots[2 * i].method = routes[i].method;
		m->slots[2 * i + 1].method = "HEAD";
	}
	m->slots[2 * n].route = m->slots[2 * n + 1].route = "static";
	m->slots[2 * n].method = "GET";
	m->slots[2 * n + 1].method = "HEAD";
	for (size_t k = 0; k < NOTHER; k++) {
		m->slots[2 * n + 2 + k].route = "unmatched";
		m->slots[2 * n + 2 + k].method = other_methods[k];
	}
	return m;
}

void http_metrics_free(struct http_metrics *m)
{
	if (!m)
		return;
	for (size_t i = 0; i < m->nslots; i++)
		xfree(m->slots[i].statuses);
	xfree(m->slots);
	pthread_mutex_destroy(&m->lock);
	xfree(m);
}

static size_t slot_index(const struct http_metrics *m, const struct http_route *route,
			 bool is_static, const char *method)
{
	bool head = method && strcmp(method, "HEAD") == 0;
	if (route && route >= m->routes && route < m->routes + m->nroutes) {
		size_t i = (size_t)(route - m->routes);
		return 2 * i + (head && strcmp(route->method, "HEAD") != 0 ? 1 : 0);
	}
	if (is_static)
		return 2 * m->nroutes + (head ? 1 : 0);
	size_t k = NOTHER - 1;
	for (size_t j = 0; method && j < NOTHER - 1; j++)
		if (strcmp(method, other_methods[j]) == 0)
			k = j;
	return 2 * m->nroutes + 2 + k;
}

/* Counts one status in a slot; drops the count when memory runs out. */
static void count_status(struct slot *s, int status)
{
	size_t i = 0;
	while (i < s->nstatuses && s->statuses[i].status < status)
		i++;
	if (i < s->nstatuses && s->statuses[i].status == status) {
		s->statuses[i].n++;
		return;
	}
	if (s->nstatuses == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 4;
		struct status_count *p = xrealloc(s->statuses, cap * sizeof(*p));
		if (!p)
			return;
		s->statuses = p;
		s->cap = cap;
	}
	memmove(s->statuses + i + 1, s->statuses + i, (s->nstatuses - i) * sizeof(*s->statuses));
	s->statuses[i].status = status;
	s->statuses[i].n = 1;
	s->nstatuses++;
}

void http_metrics_observe(struct http_metrics *m, const struct http_route *route,
			  bool is_static, const char *method, int status, double seconds)
{
	if (!m)
		return;
	if (status < 0 || status > 999)
		status = 0;
	if (!(seconds >= 0))
		seconds = 0;
	size_t b = 0;
	while (b < NBOUNDS && seconds > bucket_bounds[b])
		b++;
	pthread_mutex_lock(&m->lock);
	struct slot *s = &m->slots[slot_index(m, route, is_static, method)];
	s->buckets[b]++;
	s->sum += seconds;
	s->count++;
	count_status(s, status);
	pthread_mutex_unlock(&m->lock);
}

/* A label value, escaped as the exposition format asks. */
static void add_label(struct buf *out, const char *v)
{
	for (const char *p = v; *p; p++) {
		if (*p == '\\')
			buf_addstr(out, "\\\\");
		else if (*p == '"')
			buf_addstr(out, "\\\"");
		else if (*p == '\n')
			buf_addstr(out, "\\n");
		else
			buf_addch(out, *p);
	}
}

static void add_route_method(struct buf *out, const struct slot *s)
{
	buf_addstr(out, "route=\"");
	add_label(out, s->route);
	buf_addstr(out, "\",method=\"");
	add_label(out, s->method);
	buf_addch(out, '"');
}

void http_metrics_write(struct http_server *srv, struct buf *out)
{
	struct http_metrics *m = srv->metrics;

	buf_addstr(out, "# HELP servio_http_requests_total HTTP requests completed, by route, "
			"method and status.\n"
			"# TYPE servio_http_requests_total counter\n");
	if (m)
		pthread_mutex_lock(&m->lock);
	for (size_t i = 0; m && i < m->nslots; i++) {
		const struct slot *s = &m->slots[i];
		for (size_t k = 0; k < s->nstatuses; k++) {
			buf_addstr(out, "servio_http_requests_total{");
			add_route_method(out, s);
			buf_addf(out, ",status=\"%d\"} %llu\n", s->statuses[k].status,
				 (unsigned long long)s->statuses[k].n);
		}
	}
	buf_addstr(out, "# HELP servio_http_request_duration_seconds Time from the request line "
			"to the completed reply.\n"
			"# TYPE servio_http_request_duration_seconds histogram\n");
	for (size_t i = 0; m && i < m->nslots; i++) {
		const struct slot *s = &m->slots[i];
		if (!s->count)
			continue;
		uint64_t cum = 0;
		for (size_t b = 0; b < NBUCKETS; b++) {
			cum += s->buckets[b];
			buf_addstr(out, "servio_http_request_duration_seconds_bucket{");
			add_route_method(out, s);
			buf_addf(out, ",le=\"%s\"} %llu\n", bucket_labels[b], (unsigned long long)cum);
		}
		buf_addstr(out, "servio_http_request_duration_seconds_sum{");
		add_route_method(out, s);
		buf_addf(out, "} %.9g\n", s->sum);
		buf_addstr(out, "servio_http_request_duration_seconds_count{");
		add_route_method(out, s);
		buf_addf(out, "} %llu\n", (unsigned long long)s->count);
	}
	if (m)
		pthread_mutex_unlock(&m->lock);
	buf_addf(out, "# HELP servio_http_requests_in_flight HTTP requests being handled now.\n"
		      "# TYPE servio_http_requests_in_flight gauge\n"
		      "servio_http_requests_in_flight %u\n",
		 atomic_load(&srv->in_flight));
}
