/*
 * slow.c - the slow threads: a few threads of our own that run the
 * requests of HTTP_SLOW routes (an invoice run, an export, a report, a
 * password hash, a call to another server).
 *
 * libmicrohttpd's threads each serve many connections (epoll), one request
 * at a time: a request that takes seconds on one of them leaves every other
 * connection of that thread waiting. So the pipeline suspends a slow
 * request's connection, queues the request here and goes on; a slow thread
 * runs it and resumes the connection, and libmicrohttpd's thread sends the
 * reply. With the seconds off their threads, libmicrohttpd's threads can be
 * as few as the cores, which is what keeps the tail of quick requests short.
 *
 * Jobs run first come, first served. Stopping runs what is queued and
 * waits for the threads: a suspended connection must be resumed before
 * libmicrohttpd stops, and answering the request is how it is resumed.
 * A stopped pool takes no more jobs (their callers run them) until it is
 * freed, after libmicrohttpd has stopped calling.
 */
#include "internal.h"

#include "core/alloc.h"
#include "core/log.h"

#include <pthread.h>
#include <string.h>

struct http_slow {
	pthread_mutex_t lock;
	pthread_cond_t wake;
	struct http_slow_job *head, *tail;
	bool stopping;
	unsigned nthreads;
	pthread_t threads[];
};

static void *slow_thread(void *arg)
{
	struct http_slow *pool = arg;
	pthread_mutex_lock(&pool->lock);
	for (;;) {
		while (!pool->head && !pool->stopping)
			pthread_cond_wait(&pool->wake, &pool->lock);
		struct http_slow_job *job = pool->head;
		if (!job)
			break;	/* stopping and nothing left */
		pool->head = job->next;
		if (!pool->head)
			pool->tail = NULL;
		pthread_mutex_unlock(&pool->lock);
		job->run(job);
		pthread_mutex_lock(&pool->lock);
	}
	pthread_mutex_unlock(&pool->lock);
	return NULL;
}

struct http_slow *http_slow_start(unsigned nthreads)
{
	struct http_slow *pool = xcalloc(1, sizeof(*pool) + nthreads * sizeof(pthread_t));
	if (!pool)
		return NULL;
	pthread_mutex_init(&pool->lock, NULL);
	pthread_cond_init(&pool->wake, NULL);
	for (unsigned i = 0; i < nthreads; i++) {
		int rc = pthread_create(&pool->threads[i], NULL, slow_thread, pool);
		if (rc != 0) {
			log_error("cannot start a slow-request thread: %s", strerror(rc));
			break;
		}
		pool->nthreads++;
	}
	if (pool->nthreads == 0) {
		http_slow_free(pool);
		return NULL;
	}
	return pool;
}

bool http_slow_push(struct http_slow *pool, struct http_slow_job *job)
{
	if (!pool)
		return false;
	job->next = NULL;
	pthread_mutex_lock(&pool->lock);
	bool taken = !pool->stopping;
	if (taken) {
		if (pool->tail)
			pool->tail->next = job;
		else
			pool->head = job;
		pool->tail = job;
		pthread_cond_signal(&pool->wake);
	}
	pthread_mutex_unlock(&pool->lock);
	return taken;
}

void http_slow_stop(struct http_slow *pool)
{
	if (!pool)
		return;
	pthread_mutex_lock(&pool->lock);
	bool joined = pool->stopping;
	pool->stopping = true;
	pthread_cond_broadcast(&pool->wake);
	pthread_mutex_unlock(&pool->lock);
	if (joined)
		return;
	for (unsigned i = 0; i < pool->nthreads; i++)
		pthread_join(pool->threads[i], NULL);
}

void http_slow_free(struct http_slow *pool)
{
	if (!pool)
		return;
	http_slow_stop(pool);
	pthread_cond_destroy(&pool->wake);
	pthread_mutex_destroy(&pool->lock);
	xfree(pool);
}
