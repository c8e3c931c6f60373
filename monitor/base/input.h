/* Inputs read again at every load instead of held (a Linux --kernel and --initrd). */
#ifndef MONITOR_BASE_INPUT_H
#define MONITOR_BASE_INPUT_H

#include <stddef.h>
#include <stdint.h>

/*
 * An input that is read again at every load instead of held in memory (a
 * Linux --kernel and --initrd: megabytes that would stay resident only for a
 * reset). Opened once; each load streams it into guest RAM and hashes it in
 * the same pass, so what is loaded is what is measured, and the caller
 * compares that digest with the launch's.
 */
struct file_input {
	int fd; /* -1: closed */
	uint64_t size;
};

#define FILE_SHA256_BYTES 32

/* A run of the file's bytes [offset, offset + len) to copy to dst. */
struct file_copy {
	uint64_t offset, len;
	uint8_t *dst;
};

/*
 * Opens a regular file of at most max bytes for file_input_read/stream. 0, or
 * -errno as file_read_all() (-EINVAL not a regular file, -EFBIG past max).
 */
int file_input_open(struct file_input *in, const char *path, uint64_t max);
void file_input_close(struct file_input *in);
/*
 * Exactly n bytes at offset off into buf. 0, -EINVAL past the size seen at
 * open, -EIO if the file is now shorter (it changed), or -errno.
 */
int file_input_read(const struct file_input *in, void *buf, size_t n, uint64_t off);
/*
 * One pass over the whole file: every byte hashed (SHA-256) once, and each
 * copy's bytes written to its dst. The first head_len bytes are taken from
 * head (the bytes the caller planned on, read by file_input_read) instead of
 * being read again. 0, -EINVAL (a copy past the size, head_len past it),
 * -ENOMEM, or file_input_read's errors; on an error dst may be part-written.
 */
int file_input_stream(const struct file_input *in, const uint8_t *head, size_t head_len,
		      const struct file_copy *copies, unsigned int nr_copies,
		      uint8_t sha256[FILE_SHA256_BYTES]);

#endif
