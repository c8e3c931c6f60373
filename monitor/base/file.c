/* Bounded whole-file reads of the inputs vtlmon is given (images, policies, modules). */
#include "monitor/base/file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int file_read_all(const char *path, size_t max, void **buf, size_t *len)
{
	struct stat st;
	size_t got = 0;
	int fd, ret;
	char *p;

	/* O_NONBLOCK: a FIFO with no writer must not hang open(); it is refused just below. */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		ret = -EINVAL;
		goto out_close;
	}
	if ((uint64_t)st.st_size > max) {
		ret = -EFBIG;
		goto out_close;
	}
	p = malloc((size_t)st.st_size + 1);
	if (!p) {
		ret = -ENOMEM;
		goto out_close;
	}
	while (got < (size_t)st.st_size) {
		ssize_t r = read(fd, p + got, (size_t)st.st_size - got);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	p[got] = '\0';
	*buf = p;
	*len = got;
	ret = 0;
out_close:
	close(fd);
	return ret;
}

const char *file_read_strerror(int err)
{
	if (err == -EINVAL)
		return "not a regular file";
	if (err == -EFBIG)
		return "file too large";
	return strerror(-err);
}

int file_create_output(const char *path)
{
	/*
	 * O_NONBLOCK: a FIFO with no reader fails at once (ENXIO) instead of
	 * hanging the launch; a regular file ignores the flag.
	 */
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NONBLOCK | O_NOCTTY, 0644);
	int fl;

	if (fd < 0)
		return -1;
	/* Writes block again like any file's: whoever writes bounds how much. */
	fl = fcntl(fd, F_GETFL);
	if (fl >= 0)
		fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
	return fd;
}
