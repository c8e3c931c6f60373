/* kexec-sign: signs scenario kexec images with test keys named by seed strings (libsodium). */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scenario_keys.h"

#define IMAGE_MAX (256UL << 20)
#define LINE_MAX_ 1024

static int usage(void)
{
	fputs("usage: kexec-sign sign SEED FILE OUT    write FILE's 64-byte Ed25519 signature to "
	      "OUT\n"
	      "       kexec-sign list SIGNFILE DIR     for each `FILE SEED` line: DIR/FILE -> "
	      "DIR/FILE.sig\n"
	      "       kexec-sign pub SEED              print the public key (64 hex digits)\n"
	      "       kexec-sign sha256 FILE           print FILE's SHA-256 (64 hex digits)\n"
	      "The key pair is crypto_sign_seed_keypair(SHA-256(SEED)): test keys only.\n",
	      stderr);
	return 2;
}

static unsigned char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	unsigned char *buf = NULL;
	size_t cap = 0, n = 0, got;

	if (!f) {
		fprintf(stderr, "kexec-sign: %s: %s\n", path, strerror(errno));
		return NULL;
	}
	do {
		if (n == cap) {
			cap = cap ? cap * 2 : 65536;
			if (cap > IMAGE_MAX || !(buf = realloc(buf, cap))) {
				fprintf(stderr, "kexec-sign: %s: too large\n", path);
				free(buf);
				fclose(f);
				return NULL;
			}
		}
		got = fread(buf + n, 1, cap - n, f);
		n += got;
	} while (got);
	if (ferror(f)) {
		fprintf(stderr, "kexec-sign: %s: read error\n", path);
		free(buf);
		buf = NULL;
	}
	fclose(f);
	*len = n;
	return buf;
}

static void put_hex(const unsigned char *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		printf("%02x", v[i]);
	putchar('\n');
}

/* The signature covers the raw file bytes: exactly what the guest hands to KEXEC_LOAD. */
static int sign_file(const char *seed, const char *file, const char *out)
{
	unsigned char pk[crypto_sign_PUBLICKEYBYTES], sk[crypto_sign_SECRETKEYBYTES];
	unsigned char sig[crypto_sign_BYTES];
	size_t len;
	unsigned char *img = slurp(file, &len);
	FILE *f;
	int r = 1;

	if (!img)
		return 1;
	if (scenario_keypair(seed, pk, sk) || crypto_sign_detached(sig, NULL, img, len, sk)) {
		fprintf(stderr, "kexec-sign: signing %s failed\n", file);
		goto out;
	}
	f = fopen(out, "wb");
	if (!f || fwrite(sig, 1, sizeof(sig), f) != sizeof(sig) || fclose(f)) {
		fprintf(stderr, "kexec-sign: %s: %s\n", out, strerror(errno));
		goto out;
	}
	r = 0;
out:
	sodium_memzero(sk, sizeof(sk));
	free(img);
	return r;
}

/* A `sign` file: one `FILE SEED` per line, `#` comments; FILE is relative to the build folder. */
static int sign_list(const char *list, const char *dir)
{
	FILE *f = fopen(list, "r");
	char line[LINE_MAX_];
	unsigned int lineno = 0;
	int errs = 0;

	if (!f) {
		fprintf(stderr, "kexec-sign: %s: %s\n", list, strerror(errno));
		return 1;
	}
	while (fgets(line, sizeof(line), f)) {
		char *hash = strchr(line, '#'), *file, *seed, *extra, *in, *out;

		lineno++;
		if (hash)
			*hash = 0;
		file = strtok(line, " \t\r\n");
		seed = file ? strtok(NULL, " \t\r\n") : NULL;
		extra = seed ? strtok(NULL, " \t\r\n") : NULL;
		if (!file)
			continue;
		if (!seed || extra || strchr(file, '/')) {
			fprintf(stderr, "%s:%u: expected `FILE SEED` (FILE in the build folder)\n",
				list, lineno);
			errs++;
			continue;
		}
		if (asprintf(&in, "%s/%s", dir, file) < 0 ||
		    asprintf(&out, "%s/%s.sig", dir, file) < 0)
			return 1;
		errs += sign_file(seed, in, out);
		free(in);
		free(out);
	}
	fclose(f);
	return errs ? 1 : 0;
}

int main(int argc, char **argv)
{
	if (sodium_init() < 0) {
		fputs("kexec-sign: libsodium failed to initialise\n", stderr);
		return 1;
	}
	if (argc == 5 && strcmp(argv[1], "sign") == 0)
		return sign_file(argv[2], argv[3], argv[4]);
	if (argc == 4 && strcmp(argv[1], "list") == 0)
		return sign_list(argv[2], argv[3]);
	if (argc == 3 && strcmp(argv[1], "pub") == 0) {
		unsigned char pk[crypto_sign_PUBLICKEYBYTES], sk[crypto_sign_SECRETKEYBYTES];

		if (scenario_keypair(argv[2], pk, sk))
			return 1;
		sodium_memzero(sk, sizeof(sk));
		put_hex(pk, sizeof(pk));
		return 0;
	}
	if (argc == 3 && strcmp(argv[1], "sha256") == 0) {
		unsigned char d[crypto_hash_sha256_BYTES];
		size_t len;
		unsigned char *img = slurp(argv[2], &len);

		if (!img)
			return 1;
		crypto_hash_sha256(d, img, len);
		free(img);
		put_hex(d, sizeof(d));
		return 0;
	}
	return usage();
}
