/* bench-compare's meter: runs a command, prints "WALL_S MAXRSS_KIB STATUS" (bench/compare.sh). */
#include <fcntl.h>
#include <stdio.h>
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
 * A small process of its own, not python's subprocess: a child's ru_maxrss starts from the
 * high-water RSS of the process it was forked from (exec records the old mm's, after a vfork
 * the parent's own), so under python every command reads at least python's ~14 MiB. Forked
 * from this one, the floor is about 1 MiB. The wall time runs from before the fork to the
 * reap; the command's stdin and stdout are /dev/null, its stderr is this program's.
 */
int main(int argc, char **argv)
{
	struct rusage ru;
	double t0, wall;
	int status;
	pid_t pid;

	if (argc < 2) {
		fprintf(stderr, "usage: %s COMMAND [ARG]...\n", argv[0]);
		return 2;
	}
	t0 = now();
	pid = fork();
	if (pid < 0) {
		perror("measure: fork");
		return 1;
	}
	if (pid == 0) {
		int null = open("/dev/null", O_RDWR);

		if (null < 0 || dup2(null, 0) < 0 || dup2(null, 1) < 0) {
			perror("measure: /dev/null");
			_exit(127);
		}
		execvp(argv[1], argv + 1);
		perror("measure: exec");
		_exit(127);
	}
	if (wait4(pid, &status, 0, &ru) != pid) {
		perror("measure: wait4");
		return 1;
	}
	wall = now() - t0;
	printf("%.4f %ld %d\n", wall, ru.ru_maxrss,
	       WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
	return 0;
}
