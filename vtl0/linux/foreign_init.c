/* A /init vtlmon did not write: plain libc, prints a marker, reboots (any initramfs must boot). */
#include <stdio.h>
#include <sys/reboot.h>
#include <unistd.h>

int main(void)
{
	/* Nothing vtlmon-specific: no device, no driver interface, only the console. */
	printf("foreign-init: an initramfs vtlmon did not build is running\n");
	fflush(stdout);
	sync();
	reboot(RB_AUTOBOOT); /* reboot=k: the i8042 reset */
	for (;;)
		pause();
}
