/*
 * walbuf.c - a SQLite VFS that hands a commit's WAL frames to the kernel in
 * one write instead of two a page.
 *
 * SQLite writes each WAL frame with two calls, its 24-byte header and then
 * the page; a ticket create's commit is ~36 frames, so ~72 pwrite calls,
 * each finding and dirtying the page-cache pages it touches, all under the
 * write lock. Measured at 1M tickets under wrk creates: pwrite was a fifth
 * of the server's CPU and most of the COMMIT.
 *
 * This VFS is the default one ("unix") with the WAL file wrapped: frames
 * appended in the pattern SQLite appends them (a header where the last
 * write ended, then its page right after it) are gathered in a buffer, and
 * go to the file in one write when the commit frame's page arrives (only a
 * commit frame's header carries the database's size: the WAL file format).
 * So a commit's frames are in the file before SQLite publishes the commit
 * to readers in the WAL index, as before, and an error writing them is the
 * commit's error, returned by the write SQLite made. Anything else (a write
 * out of that pattern, a read, a sync, a truncate, the file's size, a file
 * control, the close) first writes what is gathered; so does a full
 * buffer.
 *
 * Frames of a transaction that spills pages before its commit, and whose
 * commit may never come, must not outlive its hold on the WAL: another
 * connection appends where they would land once the transaction ends. So
 * the database file is wrapped too, and what its WAL has gathered is
 * written before any change of its shared-memory locks (the end of a
 * transaction gives back the WAL's write lock) and at its memory barrier
 * (SQLite calls one between the two copies of the WAL index header it
 * writes to publish a commit). Nothing stays gathered where another
 * connection could look, which is where SQLite without this VFS would have
 * written it.
 *
 * Every other file (temporary files, journals) is the default VFS's file
 * itself.
 */
#include "walbuf.h"

#include "core/log.h"

#include <sqlite3.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define WAL_FRAME_HEADER 24
#define WALBUF_BYTES (256 << 10)
/* The unix VFS writes at most 128 KiB - 1 bytes a call (it masks the length). */
#define WRITE_PIECE (120 << 10)

struct walbuf_file {
	sqlite3_file base;
	sqlite3_file *real;	/* the default VFS's file, right after this */
	struct main_file *main;	/* the database's file, while both are open */
	unsigned char *buf;
	int len;
	sqlite3_int64 start;	/* the file offset of buf[0] */
	sqlite3_int64 next;	/* where the last write ended */
	bool header;		/* the last write gathered was a frame's header */
	bool commit;		/* ... and that header was a commit frame's */
};

struct main_file {
	sqlite3_file base;
	sqlite3_file *real;
	struct walbuf_file *wal;
	sqlite3_io_methods methods;	/* the real file's, through these */
};

/* room for either wrapper, aligned for the real file after it */
#define WRAPPER_BYTES                                                                      \
	(((sizeof(struct walbuf_file) > sizeof(struct main_file) ? sizeof(struct walbuf_file)   \
								: sizeof(struct main_file)) + 15) & ~(size_t)15)

static sqlite3_vfs walbuf_vfs;
static sqlite3_vfs *base_vfs;
static atomic_llong gathered_writes, file_writes;

static int flush(struct walbuf_file *f)
{
	int len = f->len, rc = SQLITE_OK;
	f->len = 0;
	f->header = f->commit = false;
	for (int at = 0; at < len && rc == SQLITE_OK; at += WRITE_PIECE) {
		int n = len - at < WRITE_PIECE ? len - at : WRITE_PIECE;
		atomic_fetch_add_explicit(&file_writes, 1, memory_order_relaxed);
		rc = f->real->pMethods->xWrite(f->real, f->buf + at, n, f->start + at);
	}
	return rc;
}

static int write_through(struct walbuf_file *f, const void *data, int amt, sqlite3_int64 off)
{
	int rc = flush(f);
	if (rc != SQLITE_OK)
		return rc;
	f->next = off + amt;
	atomic_fetch_add_explicit(&file_writes, 1, memory_order_relaxed);
	return f->real->pMethods->xWrite(f->real, data, amt, off);
}

/* A page size SQLite can have: a power of two from 512 to 65536. */
static bool page_sized(int amt)
{
	return amt >= 512 && amt <= 65536 && (amt & (amt - 1)) == 0;
}

static int wb_write(sqlite3_file *file, const void *data, int amt, sqlite3_int64 off)
{
	struct walbuf_file *f = (struct walbuf_file *)file;
	bool is_header = amt == WAL_FRAME_HEADER && off == f->next && !f->header;
	bool is_page = f->header && off == f->next && page_sized(amt);
	if (!is_header && !is_page)
		return write_through(f, data, amt, off);
	if (!f->buf && !(f->buf = malloc(WALBUF_BYTES)))
		return write_through(f, data, amt, off);
	if (f->len + amt > WALBUF_BYTES) {
		bool commit = f->commit;
		int rc = flush(f);
		if (rc != SQLITE_OK)
			return rc;
		f->header = is_page;	/* a page keeps its header's place in the pattern */
		f->commit = commit && is_page;
	}
	if (f->len == 0)
		f->start = off;
	memcpy(f->buf + f->len, data, (size_t)amt);
	f->len += amt;
	f->next = off + amt;
	atomic_fetch_add_explicit(&gathered_writes, 1, memory_order_relaxed);
	if (is_header) {
		const unsigned char *h = data;
		f->header = true;
		f->commit = (h[4] | h[5] | h[6] | h[7]) != 0;	/* the size after a commit */
		return SQLITE_OK;
	}
	bool commit = f->commit;
	f->header = f->commit = false;
	return commit ? flush(f) : SQLITE_OK;
}

static int wb_close(sqlite3_file *file)
{
	struct walbuf_file *f = (struct walbuf_file *)file;
	int rc = flush(f);
	if (f->main)
		f->main->wal = NULL;
	int rc2 = f->real->pMethods->xClose(f->real);
	free(f->buf);
	f->buf = NULL;
	return rc != SQLITE_OK ? rc : rc2;
}

static int wb_read(sqlite3_file *file, void *out, int amt, sqlite3_int64 off)
{
	struct walbuf_file *f = (struct walbuf_file *)file;
	int rc = flush(f);
	return rc != SQLITE_OK ? rc : f->real->pMethods->xRead(f->real, out, amt, off);
}

static int wb_truncate(sqlite3_file *file, sqlite3_int64 size)
{
	struct walbuf_file *f = (struct walbuf_file *)file;
	int rc = flush(f);
	return rc != SQLITE_OK ? rc : f->real->pMethods->xTruncate(f->real, size);
}

static int wb_sync(sqlite3_file *file, int flags)
{
	struct walbuf_file *f = (struct walbuf_file *)file;
	int rc = flush(f);
	return rc != SQLITE_OK ? rc : f->real->pMethods->xSync(f->real, flags);
}

static int wb_file_size(sqlite3_file *file, sqlite3_int64 *size)
{
	struct walbuf_file *f = (struct walbuf_file *)file;
	int rc = flush(f);
	return rc != SQLITE_OK ? rc : f->real->pMethods->xFileSize(f->real, size);
}

static int wb_lock(sqlite3_file *file, int level)
{
	struct walbuf_file *f = (struct walbuf_file *)file;
	return f->real->pMethods->xLock(f->real, level);
}

static int wb_unlock(sqlite3_file *file, int level)
{
	struct walbuf_file *f = (struct walbuf_file *)file;
	return f->real->pMethods->xUnlock(f->real, level);
}

static int wb_check_reserved(sqlite3_file *file, int *out)
{
	struct walbuf_file *f = (struct walbuf_file *)file;
	return f->real->pMethods->xCheckReservedLock(f->real, out);
}

static int wb_file_control(sqlite3_file *file, int op, void *arg)
{
	struct walbuf_file *f = (struct walbuf_file *)file;
	int rc = flush(f);
	return rc != SQLITE_OK ? rc : f->real->pMethods->xFileControl(f->real, op, arg);
}

static int wb_sector_size(sqlite3_file *file)
{
	struct walbuf_file *f = (struct walbuf_file *)file;
	return f->real->pMethods->xSectorSize(f->real);
}

static int wb_device(sqlite3_file *file)
{
	struct walbuf_file *f = (struct walbuf_file *)file;
	return f->real->pMethods->xDeviceCharacteristics(f->real);
}

/* A WAL file has no shared memory or memory map of its own (the
 * database's file has them), so version 1 of the methods is all of it. */
static const sqlite3_io_methods walbuf_methods = {
	.iVersion = 1,
	.xClose = wb_close,
	.xRead = wb_read,
	.xWrite = wb_write,
	.xTruncate = wb_truncate,
	.xSync = wb_sync,
	.xFileSize = wb_file_size,
	.xLock = wb_lock,
	.xUnlock = wb_unlock,
	.xCheckReservedLock = wb_check_reserved,
	.xFileControl = wb_file_control,
	.xSectorSize = wb_sector_size,
	.xDeviceCharacteristics = wb_device,
};

/* The database's file: the real one's methods, with the WAL written out
 * before its locks change and at its barrier. */
static struct main_file *main_of(sqlite3_file *file)
{
	return (struct main_file *)file;
}

static void main_flush(struct main_file *m)
{
	if (!m->wal || m->wal->len == 0)
		return;
	int rc = flush(m->wal);
	if (rc != SQLITE_OK)	/* nobody to return it to: a barrier has no result */
		log_error("cannot write the database's log (SQLite error %d)", rc);
}

static int main_close(sqlite3_file *file)
{
	struct main_file *m = main_of(file);
	main_flush(m);
	if (m->wal)
		m->wal->main = NULL;
	return m->real->pMethods->xClose(m->real);
}

static int main_read(sqlite3_file *file, void *out, int amt, sqlite3_int64 off)
{
	struct main_file *m = main_of(file);
	return m->real->pMethods->xRead(m->real, out, amt, off);
}

static int main_write(sqlite3_file *file, const void *data, int amt, sqlite3_int64 off)
{
	struct main_file *m = main_of(file);
	return m->real->pMethods->xWrite(m->real, data, amt, off);
}

static int main_truncate(sqlite3_file *file, sqlite3_int64 size)
{
	struct main_file *m = main_of(file);
	return m->real->pMethods->xTruncate(m->real, size);
}

static int main_sync(sqlite3_file *file, int flags)
{
	struct main_file *m = main_of(file);
	return m->real->pMethods->xSync(m->real, flags);
}

static int main_file_size(sqlite3_file *file, sqlite3_int64 *size)
{
	struct main_file *m = main_of(file);
	return m->real->pMethods->xFileSize(m->real, size);
}

static int main_lock(sqlite3_file *file, int level)
{
	struct main_file *m = main_of(file);
	return m->real->pMethods->xLock(m->real, level);
}

static int main_unlock(sqlite3_file *file, int level)
{
	struct main_file *m = main_of(file);
	main_flush(m);
	return m->real->pMethods->xUnlock(m->real, level);
}

static int main_check_reserved(sqlite3_file *file, int *out)
{
	struct main_file *m = main_of(file);
	return m->real->pMethods->xCheckReservedLock(m->real, out);
}

static int main_file_control(sqlite3_file *file, int op, void *arg)
{
	struct main_file *m = main_of(file);
	return m->real->pMethods->xFileControl(m->real, op, arg);
}

static int main_sector_size(sqlite3_file *file)
{
	struct main_file *m = main_of(file);
	return m->real->pMethods->xSectorSize(m->real);
}

static int main_device(sqlite3_file *file)
{
	struct main_file *m = main_of(file);
	return m->real->pMethods->xDeviceCharacteristics(m->real);
}

static int main_shm_map(sqlite3_file *file, int region, int size, int extend, void volatile **out)
{
	struct main_file *m = main_of(file);
	return m->real->pMethods->xShmMap(m->real, region, size, extend, out);
}

static int main_shm_lock(sqlite3_file *file, int offset, int n, int flags)
{
	struct main_file *m = main_of(file);
	main_flush(m);
	return m->real->pMethods->xShmLock(m->real, offset, n, flags);
}

static void main_shm_barrier(sqlite3_file *file)
{
	struct main_file *m = main_of(file);
	main_flush(m);
	m->real->pMethods->xShmBarrier(m->real);
}

static int main_shm_unmap(sqlite3_file *file, int delete)
{
	struct main_file *m = main_of(file);
	main_flush(m);
	return m->real->pMethods->xShmUnmap(m->real, delete);
}

static int main_fetch(sqlite3_file *file, sqlite3_int64 off, int amt, void **out)
{
	struct main_file *m = main_of(file);
	return m->real->pMethods->xFetch(m->real, off, amt, out);
}

static int main_unfetch(sqlite3_file *file, sqlite3_int64 off, void *page)
{
	struct main_file *m = main_of(file);
	return m->real->pMethods->xUnfetch(m->real, off, page);
}

/* The methods the real file has, each through the wrapper; NULL where it has none. */
static void main_methods(struct main_file *m)
{
	const sqlite3_io_methods *r = m->real->pMethods;
	m->methods = (sqlite3_io_methods){
		.iVersion = r->iVersion < 3 ? r->iVersion : 3,
		.xClose = main_close,
		.xRead = main_read,
		.xWrite = main_write,
		.xTruncate = main_truncate,
		.xSync = main_sync,
		.xFileSize = main_file_size,
		.xLock = main_lock,
		.xUnlock = main_unlock,
		.xCheckReservedLock = main_check_reserved,
		.xFileControl = main_file_control,
		.xSectorSize = main_sector_size,
		.xDeviceCharacteristics = main_device,
	};
	if (r->iVersion >= 2) {
		m->methods.xShmMap = r->xShmMap ? main_shm_map : NULL;
		m->methods.xShmLock = r->xShmLock ? main_shm_lock : NULL;
		m->methods.xShmBarrier = r->xShmBarrier ? main_shm_barrier : NULL;
		m->methods.xShmUnmap = r->xShmUnmap ? main_shm_unmap : NULL;
	}
	if (r->iVersion >= 3) {
		m->methods.xFetch = r->xFetch ? main_fetch : NULL;
		m->methods.xUnfetch = r->xUnfetch ? main_unfetch : NULL;
	}
}

static int wb_open(sqlite3_vfs *vfs, sqlite3_filename name, sqlite3_file *file, int flags,
		   int *out_flags)
{
	(void)vfs;
	if (!(flags & (SQLITE_OPEN_WAL | SQLITE_OPEN_MAIN_DB)))
		return base_vfs->xOpen(base_vfs, name, file, flags, out_flags);
	/* the real file after the larger of the two wrappers */
	sqlite3_file *real = (sqlite3_file *)((char *)file + WRAPPER_BYTES);
	memset(file, 0, WRAPPER_BYTES);
	int rc = base_vfs->xOpen(base_vfs, name, real, flags, out_flags);
	if (rc != SQLITE_OK) {
		/* SQLite closes a file whose open failed only if it has methods */
		if (real->pMethods)
			real->pMethods->xClose(real);
		file->pMethods = NULL;
		return rc;
	}
	if (flags & SQLITE_OPEN_MAIN_DB) {
		struct main_file *m = main_of(file);
		m->real = real;
		main_methods(m);
		m->base.pMethods = &m->methods;
		return SQLITE_OK;
	}
	struct walbuf_file *f = (struct walbuf_file *)file;
	f->real = real;
	f->next = -1;	/* nothing is gathered before the first write */
	sqlite3_file *db = sqlite3_database_file_object(name);
	if (db && db->pMethods && db->pMethods->xClose == main_close) {
		f->main = main_of(db);
		f->main->wal = f;
	}
	f->base.pMethods = &walbuf_methods;
	return SQLITE_OK;
}

static int wb_delete(sqlite3_vfs *vfs, const char *name, int sync_dir)
{
	(void)vfs;
	return base_vfs->xDelete(base_vfs, name, sync_dir);
}

static int wb_access(sqlite3_vfs *vfs, const char *name, int flags, int *out)
{
	(void)vfs;
	return base_vfs->xAccess(base_vfs, name, flags, out);
}

static int wb_full_pathname(sqlite3_vfs *vfs, const char *name, int n, char *out)
{
	(void)vfs;
	return base_vfs->xFullPathname(base_vfs, name, n, out);
}

static void *wb_dl_open(sqlite3_vfs *vfs, const char *name)
{
	(void)vfs;
	return base_vfs->xDlOpen(base_vfs, name);
}

static void wb_dl_error(sqlite3_vfs *vfs, int n, char *msg)
{
	(void)vfs;
	base_vfs->xDlError(base_vfs, n, msg);
}

static void (*wb_dl_sym(sqlite3_vfs *vfs, void *lib, const char *sym))(void)
{
	(void)vfs;
	return base_vfs->xDlSym(base_vfs, lib, sym);
}

static void wb_dl_close(sqlite3_vfs *vfs, void *lib)
{
	(void)vfs;
	base_vfs->xDlClose(base_vfs, lib);
}

static int wb_randomness(sqlite3_vfs *vfs, int n, char *out)
{
	(void)vfs;
	return base_vfs->xRandomness(base_vfs, n, out);
}

static int wb_sleep(sqlite3_vfs *vfs, int us)
{
	(void)vfs;
	return base_vfs->xSleep(base_vfs, us);
}

static int wb_current_time(sqlite3_vfs *vfs, double *out)
{
	(void)vfs;
	return base_vfs->xCurrentTime(base_vfs, out);
}

static int wb_last_error(sqlite3_vfs *vfs, int n, char *out)
{
	(void)vfs;
	return base_vfs->xGetLastError(base_vfs, n, out);
}

static int wb_current_time_int64(sqlite3_vfs *vfs, sqlite3_int64 *out)
{
	(void)vfs;
	return base_vfs->xCurrentTimeInt64(base_vfs, out);
}

static int wb_set_syscall(sqlite3_vfs *vfs, const char *name, sqlite3_syscall_ptr fn)
{
	(void)vfs;
	return base_vfs->xSetSystemCall(base_vfs, name, fn);
}

static sqlite3_syscall_ptr wb_get_syscall(sqlite3_vfs *vfs, const char *name)
{
	(void)vfs;
	return base_vfs->xGetSystemCall(base_vfs, name);
}

static const char *wb_next_syscall(sqlite3_vfs *vfs, const char *name)
{
	(void)vfs;
	return base_vfs->xNextSystemCall(base_vfs, name);
}

int walbuf_register(void)
{
	if (base_vfs)
		return SQLITE_OK;	/* once: the default is this one now */
	sqlite3_vfs *base = sqlite3_vfs_find(NULL);
	if (!base || base->iVersion < 3)
		return SQLITE_ERROR;
	base_vfs = base;
	walbuf_vfs = (sqlite3_vfs){
		.iVersion = 3,
		.szOsFile = (int)WRAPPER_BYTES + base_vfs->szOsFile,
		.mxPathname = base_vfs->mxPathname,
		.zName = "servio-walbuf",
		.xOpen = wb_open,
		.xDelete = wb_delete,
		.xAccess = wb_access,
		.xFullPathname = wb_full_pathname,
		.xDlOpen = wb_dl_open,
		.xDlError = wb_dl_error,
		.xDlSym = wb_dl_sym,
		.xDlClose = wb_dl_close,
		.xRandomness = wb_randomness,
		.xSleep = wb_sleep,
		.xCurrentTime = wb_current_time,
		.xGetLastError = wb_last_error,
		.xCurrentTimeInt64 = wb_current_time_int64,
		.xSetSystemCall = wb_set_syscall,
		.xGetSystemCall = wb_get_syscall,
		.xNextSystemCall = wb_next_syscall,
	};
	return sqlite3_vfs_register(&walbuf_vfs, 1);
}

void walbuf_counts(long long *gathered, long long *written)
{
	*gathered = atomic_load(&gathered_writes);
	*written = atomic_load(&file_writes);
}
