/* `vtlmon inspect ELF [--json]`: the sensitive-instruction sites of an image, for people and
 * scripts. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "monitor/cmd/inspect_cmd.h"

#include "monitor/base/events.h"
#include "monitor/base/exitcodes.h"
#include "monitor/base/file.h"
#include "monitor/image/inspect.h"

#include <elf.h>

struct inspect_out {
	FILE *f;
	const char *path;
	int json;
	int header_done;
	size_t nhits;
	size_t nunaligned;
	size_t nsegs;
};

static void inspect_hex(char *dst, const uint8_t *b, size_t n)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		dst[2 * i] = digits[b[i] >> 4];
		dst[2 * i + 1] = digits[b[i] & 15];
	}
	dst[2 * n] = '\0';
}

/* Printed only once the file has passed validation, so a rejected file leaves stdout empty. */
static void inspect_print_header(struct inspect_out *o)
{
	if (o->json || o->header_done)
		return;
	o->header_done = 1;
	fprintf(o->f,
		"# %s: every byte offset of executable PT_LOAD segments; 'aligned' = on the linear "
		"sweep from segment, SHF_EXECINSTR section, entry and function-symbol starts\n",
		o->path);
}

static void inspect_print_segment(void *arg, const struct inspect_segment *seg)
{
	struct inspect_out *o = arg;

	o->nsegs++;
	if (o->json)
		return;
	inspect_print_header(o);
	fprintf(o->f, "# segment 0x%lx-0x%lx %c%c%c filesz 0x%lx memsz 0x%lx, %zu sweep anchors\n",
		(unsigned long)seg->vaddr, (unsigned long)(seg->vaddr + seg->filesz),
		seg->flags & PF_R ? 'r' : '-', seg->flags & PF_W ? 'w' : '-',
		seg->flags & PF_X ? 'x' : '-', (unsigned long)seg->filesz,
		(unsigned long)seg->memsz, seg->nanchors);
}

static void inspect_print_hit(void *arg, const struct inspect_hit *hit)
{
	struct inspect_out *o = arg;
	char hex[2 * DISASM_MAX_BYTES + 1];

	o->nhits++;
	o->nunaligned += !hit->aligned;
	inspect_hex(hex, hit->bytes, hit->len);
	if (o->json) {
		fprintf(o->f, "{\"va\":\"0x%lx\",\"kind\":\"%s\",\"bytes\":\"%s\",\"insn\":",
			(unsigned long)hit->va, disasm_kind_name(hit->kind), hex);
		json_put_str(o->f, hit->insn);
		fprintf(o->f, ",\"aligned\":%s}\n", hit->aligned ? "true" : "false");
	} else {
		fprintf(o->f, "0x%lx %-9s %-10s %s %s\n", (unsigned long)hit->va,
			disasm_kind_name(hit->kind), hex, hit->insn,
			hit->aligned ? "aligned" : "unaligned");
	}
}

static void inspect_usage(FILE *f)
{
	fprintf(f, "usage: vtlmon inspect ELF [--json]\n"
		   "  Lists mov to CR0/CR3/CR4/CR8, lmsw, wrmsr, lgdt, lidt, ltr and xsetbv\n"
		   "  found at any byte offset of the executable PT_LOAD segments of ELF.\n"
		   "  --json  one JSON object per site (JSON Lines)\n");
}

int inspect_main(int argc, char **argv)
{
	const struct inspect_ops ops = {.segment = inspect_print_segment, .hit = inspect_print_hit};
	struct inspect_out o = {.f = stdout};
	const char *path = NULL;
	char err[256];
	uint8_t *buf = NULL;
	size_t len = 0;
	int i, r, opts_done = 0;

	for (i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (!opts_done && strcmp(a, "--json") == 0) {
			o.json = 1;
		} else if (!opts_done && (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0)) {
			inspect_usage(stdout);
			return VTLMON_EXIT_OK;
		} else if (!opts_done && strcmp(a, "--") == 0) {
			opts_done = 1;
		} else if (!opts_done && a[0] == '-' && a[1] != '\0') {
			fprintf(stderr, "vtlmon inspect: unknown option '%s'\n", a);
			inspect_usage(stderr);
			return VTLMON_EXIT_USAGE;
		} else if (!path) {
			path = a;
		} else {
			fprintf(stderr, "vtlmon inspect: only one ELF file, got '%s' too\n", a);
			inspect_usage(stderr);
			return VTLMON_EXIT_USAGE;
		}
	}
	if (!path) {
		inspect_usage(stderr);
		return VTLMON_EXIT_USAGE;
	}
	o.path = path;
	r = file_read_all(path, INSPECT_MAX_FILE, (void **)&buf, &len);
	if (r) {
		fprintf(stderr, "vtlmon inspect: %s: %s\n", path, file_read_strerror(r));
		return VTLMON_EXIT_INVALID;
	}
	if (inspect_scan(buf, len, &ops, &o, err, sizeof(err)) != 0) {
		free(buf);
		fflush(o.f);
		fprintf(stderr, "vtlmon inspect: %s: %s\n", path, err);
		return VTLMON_EXIT_INVALID;
	}
	free(buf);
	inspect_print_header(&o);
	if (!o.json)
		fprintf(o.f, "# %zu sites (%zu unaligned) in %zu executable segments\n", o.nhits,
			o.nunaligned, o.nsegs);
	if (fflush(o.f) != 0 || ferror(o.f)) {
		fprintf(stderr, "vtlmon inspect: write error\n");
		return VTLMON_EXIT_INVALID;
	}
	return VTLMON_EXIT_OK;
}
