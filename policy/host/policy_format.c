/* Host-only policy code: the normalised text of a compiled policy and policy equality. */
#include "policy/policy_internal.h"

/*
 * Here, under policy/host/, because only `vtlmon policy check` and the tests
 * need it: the Makefile links this folder into the host library and never
 * into VTL1's trusted image (policy/policy.h hides these functions from
 * guest builds).
 */

static void policy_buf_finish(struct policy_buf *b)
{
	if (!b->cap)
		return;
	b->buf[b->n < b->cap ? b->n : b->cap - 1] = '\0';
}

const char *policy_action_name(enum policy_action act)
{
	const char *s = policy_name_of(policy_action_names, policy_nr_action_names, act);

	return s ? s : "?";
}

static void policy_put_name(struct policy_buf *b, const struct policy_name *tab, size_t n,
			    uint32_t value)
{
	const char *s = policy_name_of(tab, n, value);

	/* only a hand-built struct gets here with a bad value; "?" makes it fail to re-parse */
	policy_buf_puts(b, s ? s : "?");
}

static void policy_put_cr_bits(struct policy_buf *b, const char *key, uint64_t cr0, uint64_t cr4)
{
	if (!cr0 && !cr4)
		return;
	policy_buf_puts(b, key);
	for (size_t i = 0; i < policy_nr_cr_bits; i++) {
		const struct policy_cr_bit *c = &policy_cr_bits[i];

		if (!((c->cr == 0 ? cr0 : cr4) >> c->bit & 1))
			continue;
		policy_buf_puts(b, c->cr == 0 ? " CR0." : " CR4.");
		policy_buf_puts(b, c->name);
	}
	policy_buf_putc(b, '\n');
}

static void policy_put_msr(struct policy_buf *b, uint32_t index)
{
	const char *s = policy_msr_canonical(index);

	if (s)
		policy_buf_puts(b, s);
	else
		policy_buf_hex(b, index);
}

static void policy_put_hex32(struct policy_buf *b, const uint8_t v[32])
{
	static const char digits[] = "0123456789abcdef";

	for (uint32_t i = 0; i < 32; i++) {
		policy_buf_putc(b, digits[v[i] >> 4]);
		policy_buf_putc(b, digits[v[i] & 0xF]);
	}
}

static void policy_put_requests(struct policy_buf *b, const char *key, uint32_t mask)
{
	policy_buf_puts(b, key);
	if (!(mask & POLICY_REQ_ALL))
		policy_buf_puts(b, " none");
	for (size_t i = 0; i < policy_nr_request_names; i++) {
		if (mask & policy_request_names[i].value) {
			policy_buf_putc(b, ' ');
			policy_buf_puts(b, policy_request_names[i].name);
		}
	}
	policy_buf_putc(b, '\n');
}

static void policy_put_duration(struct policy_buf *b, uint32_t us)
{
	if (!us) {
		policy_buf_puts(b, "off");
	} else if (us % 1000000 == 0) {
		policy_buf_dec(b, us / 1000000);
		policy_buf_putc(b, 's');
	} else if (us % 1000 == 0) {
		policy_buf_dec(b, us / 1000);
		policy_buf_puts(b, "ms");
	} else {
		policy_buf_dec(b, us);
		policy_buf_puts(b, "us");
	}
}

size_t policy_format(const struct policy *p, char *buf, size_t len)
{
	struct policy_buf b;
	uint32_t n;

	policy_buf_init(&b, buf, len);
	policy_buf_puts(&b, "vtlmon-policy ");
	policy_buf_dec(&b, p->version);
	policy_buf_puts(&b, "\nexec-protection ");
	policy_buf_puts(&b,
			p->flags & POLICY_F_NEEDS_EXEC_PROTECT ? "required\n" : "best-effort\n");

	policy_put_cr_bits(&b, "cr pin", p->cr0_pin_boot, p->cr4_pin_boot);
	policy_put_cr_bits(&b, "cr pinnable", p->cr0_pinnable, p->cr4_pinnable);
	policy_buf_puts(&b, "cr watchdog ");
	policy_put_duration(&b, p->watchdog_us);
	policy_buf_putc(&b, '\n');
	n = p->nr_cr_sites < POLICY_MAX_CR_SITES ? p->nr_cr_sites : POLICY_MAX_CR_SITES;
	if (n) {
		policy_buf_puts(&b, "cr breakpoint");
		for (uint32_t i = 0; i < n; i++) {
			policy_buf_putc(&b, ' ');
			policy_buf_hex(&b, p->cr_sites[i]);
		}
		policy_buf_putc(&b, '\n');
	}

	/* runs of equal flags share a line, so the MSR order survives a round trip */
	n = p->nr_msrs < POLICY_MAX_MSRS ? p->nr_msrs : POLICY_MAX_MSRS;
	for (uint32_t i = 0; i < n; i++) {
		const struct policy_msr *m = &p->msrs[i];

		if (i == 0 || m->flags != p->msrs[i - 1].flags) {
			if (i)
				policy_buf_putc(&b, '\n');
			policy_buf_puts(&b,
					m->flags == POLICY_PIN_BOOT ? "msr pin" : "msr pinnable");
		}
		policy_buf_putc(&b, ' ');
		policy_put_msr(&b, m->index);
	}
	if (n)
		policy_buf_putc(&b, '\n');

	n = p->nr_mem < POLICY_MAX_MEM_RULES ? p->nr_mem : POLICY_MAX_MEM_RULES;
	for (uint32_t i = 0; i < n; i++) {
		const struct policy_mem_rule *r = &p->mem[i];

		policy_buf_puts(&b, "memory ");
		policy_put_name(&b, policy_region_names, policy_nr_region_names, r->region);
		if (r->region == POLICY_REGION_RANGE) {
			policy_buf_putc(&b, ' ');
			policy_buf_hex(&b, r->base);
			policy_buf_putc(&b, ' ');
			policy_buf_hex(&b, r->size);
		}
		policy_buf_putc(&b, ' ');
		policy_put_name(&b, policy_perm_names, policy_nr_perm_names, r->perms);
		if (r->flags & POLICY_MEM_LOCKED)
			policy_buf_puts(&b, " locked");
		policy_buf_putc(&b, '\n');
	}

	policy_put_requests(&b, "before-end-of-boot", p->requests_before);
	policy_put_requests(&b, "after-end-of-boot", p->requests_after);
	for (uint32_t c = 0; c < POLICY_CLASS_COUNT; c++) {
		policy_buf_puts(&b, "action ");
		policy_buf_puts(&b, policy_class_name((enum policy_class)c));
		policy_buf_putc(&b, ' ');
		policy_buf_puts(&b, policy_action_name((enum policy_action)p->action[c]));
		policy_buf_putc(&b, '\n');
	}

	policy_buf_puts(&b, p->flags & POLICY_F_KEXEC_ALLOWED ? "kexec allow yes\n"
							      : "kexec allow no\n");
	n = p->nr_kexec_digests < POLICY_MAX_KEXEC_DIGESTS ? p->nr_kexec_digests
							   : POLICY_MAX_KEXEC_DIGESTS;
	for (uint32_t i = 0; i < n; i++) {
		policy_buf_puts(&b, "kexec digest ");
		policy_put_hex32(&b, p->kexec_digest[i]);
		policy_buf_putc(&b, '\n');
	}
	n = p->nr_kexec_keys < POLICY_MAX_KEXEC_KEYS ? p->nr_kexec_keys : POLICY_MAX_KEXEC_KEYS;
	for (uint32_t i = 0; i < n; i++) {
		policy_buf_puts(&b, "kexec key ");
		policy_put_hex32(&b, p->kexec_key[i]);
		policy_buf_putc(&b, '\n');
	}

	policy_buf_puts(&b, p->flags & POLICY_F_RESET_ZERO_MEM ? "reset zero-memory yes\n"
							       : "reset zero-memory no\n");
	policy_buf_puts(&b, "reset max ");
	policy_buf_dec(&b, p->max_resets);
	policy_buf_putc(&b, '\n');
	policy_buf_finish(&b);
	return b.n;
}

static bool policy_bytes_equal(const void *a, const void *b, size_t n)
{
	const uint8_t *x = a, *y = b;

	for (size_t i = 0; i < n; i++)
		if (x[i] != y[i])
			return false;
	return true;
}

bool policy_equal(const struct policy *a, const struct policy *b)
{
	if (a->version != b->version || a->flags != b->flags ||
	    a->cr0_pin_boot != b->cr0_pin_boot || a->cr0_pinnable != b->cr0_pinnable ||
	    a->cr4_pin_boot != b->cr4_pin_boot || a->cr4_pinnable != b->cr4_pinnable ||
	    a->requests_before != b->requests_before || a->requests_after != b->requests_after ||
	    !policy_bytes_equal(a->action, b->action, sizeof(a->action)) ||
	    a->watchdog_us != b->watchdog_us || a->max_resets != b->max_resets ||
	    a->nr_cr_sites != b->nr_cr_sites || a->nr_msrs != b->nr_msrs ||
	    a->nr_mem != b->nr_mem || a->nr_kexec_digests != b->nr_kexec_digests ||
	    a->nr_kexec_keys != b->nr_kexec_keys)
		return false;
	/* counts are equal from here on; clamp them in case both are corrupt */
	for (uint32_t i = 0; i < a->nr_cr_sites && i < POLICY_MAX_CR_SITES; i++)
		if (a->cr_sites[i] != b->cr_sites[i])
			return false;
	for (uint32_t i = 0; i < a->nr_msrs && i < POLICY_MAX_MSRS; i++)
		if (a->msrs[i].index != b->msrs[i].index || a->msrs[i].flags != b->msrs[i].flags)
			return false;
	for (uint32_t i = 0; i < a->nr_mem && i < POLICY_MAX_MEM_RULES; i++) {
		const struct policy_mem_rule *x = &a->mem[i], *y = &b->mem[i];

		if (x->base != y->base || x->size != y->size || x->region != y->region ||
		    x->perms != y->perms || x->flags != y->flags)
			return false;
	}
	for (uint32_t i = 0; i < a->nr_kexec_digests && i < POLICY_MAX_KEXEC_DIGESTS; i++)
		if (!policy_bytes_equal(a->kexec_digest[i], b->kexec_digest[i], 32))
			return false;
	for (uint32_t i = 0; i < a->nr_kexec_keys && i < POLICY_MAX_KEXEC_KEYS; i++)
		if (!policy_bytes_equal(a->kexec_key[i], b->kexec_key[i], 32))
			return false;
	return true;
}
