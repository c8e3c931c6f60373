/* Bounded whole-file reads of the inputs vtlmon is given (images, policies, modules). */
#ifndef MONITOR_BASE_FILE_H
#define MONITOR_BASE_FILE_H

#include <stddef.h>

/*
 * Whole-file read of a regular file of at most `max` bytes, NUL-terminated
 * at [*len]. Returns 0, or -errno: -EINVAL for anything but a regular file
 * (a FIFO or device is refused without blocking), -EFBIG past max.
 */
int file_read_all(const char *path, size_t max, void **buf, size_t *len);
/* The text for a file_read_all() error: "not a regular file", "file too large", or strerror. */
const char *file_read_strerror(int err);
/*
 * Creates or truncates an output file (the events log, --state-out): a FIFO
 * with no reader is refused at once, never waited on. The fd, or -1 (errno).
 */
int file_create_output(const char *path);

#endif
