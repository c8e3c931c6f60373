/* The benches' meter: runs a command, prints "[MARKER_S] WALL_S MAXRSS_KIB STATUS" (bench/). */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/*
 * The seconds until the first line of the command's output that contains
 * marker, or -1 if none did; reads the output to its end.
 */
static double marker_time(int fd, const char *marker, double t0)
{
	FILE *f = fdopen(fd, "r");
	char line[4096];
	double t = -1;

	if (!f) {
		perror("measure: fdopen");
		return -1;
	}
	while (fgets(line, sizeof(line), f))
		if (t < 0 && strstr(line, marker))
			t = now() - t0;
	fclose(f);
	return t;
}

/*
 * A small process of its own, not python's subprocess: a child's ru_maxrss starts from the
 * high-water RSS of the process it was forked from (exec records the old mm's, after a vfork
 * the parent's own), so under python every command reads at least python's ~14 MiB. Forked
 * from this one, the floor is about 1 MiB. The wall time runs from before the fork to the
 * reap; the command's stdin is /dev/null, its stdout too unless -m MARKER asks for the time
 * to the first output line holding MARKER (a boot's marker, bench-linux), its stderr is this
 * program's.
 */
int main(int argc, char **argv)
{
	const char *marker = NULL;
	int out[2] = {-1, -1}, status;
	double t0, wall, mark = -1;
	struct rusage ru;
	pid_t pid;

	if (argc > 2 && !strcmp(argv[1], "-m")) {
		marker = argv[2];
		argv += 2;
		argc -= 2;
	}
	if (argc < 2) {
		fprintf(stderr, "usage: %s [-m MARKER] COMMAND [ARG]...\n", argv[0]);
		return 2;
	}
	if (marker && pipe(out)) {
		perror("measure: pipe");
		return 1;
	}
	t0 = now();
	pid = fork();
	if (pid < 0) {
		perror("measure: fork");
		return 1;
	}
	if (pid == 0) {
		int null = open("/dev/null", O_RDWR);

		if (null < 0 || dup2(null, 0) < 0 || dup2(marker ? out[1] : null, 1) < 0) {
			perror("measure: stdin/stdout");
			_exit(127);
		}
		if (marker) {
			close(out[0]);
			close(out[1]);
		}
		execvp(argv[1], argv + 1);
		perror("measure: exec");
		_exit(127);
	}
	if (marker) {
		close(out[1]);
		mark = marker_time(out[0], marker, t0);
	}
	if (wait4(pid, &status, 0, &ru) != pid) {
		perror("measure: wait4");
		return 1;
	}
	wall = now() - t0;
	if (marker)
		printf("%.4f ", mark);
	printf("%.4f %ld %d\n", wall, ru.ru_maxrss,
	       WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
	return 0;
}
