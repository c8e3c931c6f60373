/* Test-only Ed25519 keys from seed strings, shared by the scenario runner and kexec-sign. */
#ifndef SCENARIO_KEYS_H
#define SCENARIO_KEYS_H

#include <sodium.h>
#include <string.h>

/*
 * A scenario names a key by a seed string, never by key bytes: the runner
 * (${ed25519-pub:SEED} in policy.policy.in) and kexec-sign (a `sign` file)
 * must derive the same pair, so both call this. The Ed25519 seed is the
 * SHA-256 of the string. These keys are public by construction: tests only.
 */
static inline int scenario_keypair(const char *seed, unsigned char pk[crypto_sign_PUBLICKEYBYTES],
				   unsigned char sk[crypto_sign_SECRETKEYBYTES])
{
	unsigned char s[crypto_hash_sha256_BYTES];
	int r;

	crypto_hash_sha256(s, (const unsigned char *)seed, strlen(seed));
	r = crypto_sign_seed_keypair(pk, sk, s);
	sodium_memzero(s, sizeof(s));
	return r;
}

#endif
