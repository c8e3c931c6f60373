/* Inputs read again at every load instead of held: opened once, streamed and hashed per load. */
#include "monitor/base/input.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int file_input_open(struct file_input *in, const char *path, uint64_t max)
{
	struct stat st;
	int fd;

	in->fd = -1;
	in->size = 0;
	/* O_NONBLOCK as in file_read_all: a FIFO must not hang open(); it is refused below. */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		close(fd);
		return -EINVAL;
	}
	if ((uint64_t)st.st_size > max) {
		close(fd);
		return -EFBIG;
	}
	in->fd = fd;
	in->size = (uint64_t)st.st_size;
	return 0;
}

void file_input_close(struct file_input *in)
{
	if (in->fd >= 0)
		close(in->fd);
	in->fd = -1;
}

int file_input_read(const struct file_input *in, void *buf, size_t n, uint64_t off)
{
	uint8_t *p = buf;

	if (off > in->size || n > in->size - off)
		return -EINVAL;
	while (n) {
		ssize_t r = pread(in->fd, p, n, (off_t)off);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		if (r == 0)
			return -EIO;
		p += r;
		off += (uint64_t)r;
		n -= (size_t)r;
	}
	return 0;
}

/* The part of copy c that lies in the file's [off, off + n), from bytes (which hold that span). */
static void file_copy_part(const struct file_copy *c, const uint8_t *bytes, uint64_t off,
			   uint64_t n)
{
	uint64_t lo = c->offset > off ? c->offset : off;
	uint64_t hi = c->offset + c->len < off + n ? c->offset + c->len : off + n;

	if (lo < hi)
		memcpy(c->dst + (lo - c->offset), bytes + (lo - off), hi - lo);
}

int file_input_stream(const struct file_input *in, const uint8_t *head, size_t head_len,
		      const struct file_copy *copies, unsigned int nr_copies,
		      uint8_t sha256[FILE_SHA256_BYTES])
{
	/* Small enough to add nothing to the peak RSS that matters, large enough for few calls. */
	enum { CHUNK = 64 * 1024 };
	crypto_hash_sha256_state st;
	uint64_t off = head_len;
	uint8_t *buf = NULL;
	unsigned int i;
	int ret = 0;

	if (head_len > in->size)
		return -EINVAL;
	for (i = 0; i < nr_copies; i++)
		if (copies[i].offset > in->size || copies[i].len > in->size - copies[i].offset)
			return -EINVAL;
	crypto_hash_sha256_init(&st);
	if (head_len) {
		crypto_hash_sha256_update(&st, head, head_len);
		for (i = 0; i < nr_copies; i++)
			file_copy_part(&copies[i], head, 0, head_len);
	}
	if (off < in->size && !(buf = malloc(CHUNK)))
		return -ENOMEM;
	while (off < in->size) {
		uint64_t n = in->size - off < CHUNK ? in->size - off : CHUNK;

		ret = file_input_read(in, buf, (size_t)n, off);
		if (ret)
			goto out;
		crypto_hash_sha256_update(&st, buf, n);
		for (i = 0; i < nr_copies; i++)
			file_copy_part(&copies[i], buf, off, n);
		off += n;
	}
	crypto_hash_sha256_final(&st, sha256);
out:
	free(buf);
	return ret;
}
