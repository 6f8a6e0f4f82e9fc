/*
 * core/outfile.h - output files that never clobber what is not ours.
 *
 * Every file nasw writes as a result (run logs, CSVs, JSON records, plot
 * data, scripts and images) goes through this module, so the rules are the
 * same for every command:
 *
 *   "-"            standard output (not closed on commit)
 *   a special file (character device, FIFO, socket: /dev/null, /dev/stdout,
 *                  a named pipe) is opened and written in place, never
 *                  replaced by a regular file
 *   a directory    is refused at open (before any work is done)
 *   anything else  (a regular file, or no file yet) is written to a
 *                  temporary file in the same directory, created with
 *                  O_CREAT|O_EXCL|O_NOFOLLOW under a name unique to the
 *                  process (TARGET.PID.RANDOM.tmp), and renamed over the
 *                  target on commit: readers see the old file or the new
 *                  one, never half of one.  A symbolic link to a regular
 *                  file is resolved, so the file it points to is replaced
 *                  and the link kept; a dangling link is refused.  An
 *                  existing target's permission bits are kept.
 *
 * outfile_abort() (and a failed commit) removes the temporary file; every
 * message names the target, not the temporary file.  The temporary files
 * of the process are also registered so that a SIGINT/SIGTERM handler can
 * remove them (outfile_remove_temps(), async-signal-safe); temporary files
 * for the same target left by processes that no longer exist (SIGKILL,
 * power loss) are removed by the next outfile_open() of that target.
 *
 * This is not for journals: they are appended to in place (train/live.c).
 */
#ifndef NASW_CORE_OUTFILE_H
#define NASW_CORE_OUTFILE_H

#include <stdio.h>

struct outfile;

/* Open `path` for writing (see above).  NASW_EIO with "cannot write 'PATH':
 * reason" when it cannot. */
int outfile_open(struct outfile **out, const char *path);

/* 1 if outfile_open(path) would replace the target by rename (a regular
 * file, or none yet): only such a target can be rewritten again and again
 * (a FIFO or stdout would receive every version, one after the other). */
int outfile_replaceable(const char *path);

/* The stream to write to (buffered; errors are caught by the commit). */
FILE *outfile_stream(const struct outfile *o);

/* The name the data goes to until the commit: the temporary file, or the
 * target itself when written in place ("-" for stdout).  For programs that
 * open the file by name (gnuplot's `set output`). */
const char *outfile_write_path(const struct outfile *o);

/* 1 when the target is replaced by rename on commit (a regular file). */
int outfile_is_atomic(const struct outfile *o);

/* Flush, sync and close, then rename the temporary file over the target.
 * On any failure the temporary file is removed and NASW_EIO returned with
 * "cannot write 'PATH': reason".  Frees o. */
int outfile_commit(struct outfile *o);

/* Close and remove the temporary file; the target is left as it was.
 * Frees o; NULL is a no-op. */
void outfile_abort(struct outfile *o);

/* Remove every temporary file this process has open.  Async-signal-safe
 * (unlink only), for a fatal-signal handler; does nothing in a forked child. */
void outfile_remove_temps(void);

/* Remove the temporary files of target `path` left by processes that no
 * longer exist.  Returns the number removed (done by outfile_open too). */
int outfile_remove_stale(const char *path);

#endif
