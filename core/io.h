/*
 * core/io.h - opening the files nasw reads: regular files only.
 *
 * Every input (tables, curve files, sidecars, run logs, journals, IDX
 * files, compare directories' CSVs) goes through here, so that a directory,
 * a device (/dev/zero, /dev/urandom never end) or a FIFO named where a file
 * is needed is refused at once with "'PATH' is not a regular file" instead
 * of "out of memory", a huge allocation from ftell() of a directory, or a
 * read that grows without bound.
 *
 * `what` names the kind of file in messages ("table" gives "cannot open
 * table 'x.csv': No such file or directory"); NULL gives "cannot open
 * 'x.csv': ...".  Paths are echoed bounded (%.200s).
 */
#ifndef NASW_CORE_IO_H
#define NASW_CORE_IO_H

#include <stddef.h>
#include <stdio.h>

/* Open a regular file for reading.  missing_ok: a path that does not exist
 * is not an error (NASW_OK with *out NULL).  NASW_EIO otherwise. */
int nasw_open_input(FILE **out, const char *path, const char *what, int missing_ok);

/* Read a whole regular file: *data is malloc'd and NUL-terminated (*len
 * excludes the terminator).  missing_ok as above (*data NULL). */
int nasw_read_input(const char *path, const char *what, int missing_ok, char **data, size_t *len);

#endif
