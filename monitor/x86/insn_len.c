/* x86-64 instruction lengths decoded in the monitor, so most candidates need no Capstone. */
#include "monitor/x86/insn_len.h"

#include <string.h>

/* The longest legal instruction; a caller's buffer is never read past it. */
#define INSN_LEN_MAX 15

/* What an opcode needs after it, by map (SDM vol. 2, appendix A). */
enum {
	L_M = 1 << 0,	    /* a ModRM byte (SIB and displacement as it says) */
	L_I8 = 1 << 1,	    /* imm8 or rel8 */
	L_I16 = 1 << 2,	    /* imm16 (ret imm16, enter's first operand) */
	L_IZ = 1 << 3,	    /* imm16 with 66 and no REX.W, else imm32 (or rel32) */
	L_U = 1 << 4,	    /* not decided here: VEX, EVEX, XOP, 3DNow!, rare or undefined */
	L_PFX = 1 << 5,	    /* a legacy prefix (taken before the table) */
	L_NO66 = 1 << 6,    /* 66 sizes its immediate differently for Capstone, Intel or AMD */
	L_MOFFS = 1 << 7,   /* a moffs: 8 bytes, 4 with 67 */
	L_IV = 1 << 8,	    /* mov r, imm: IZ, or imm64 with REX.W */
	L_GRP3 = 1 << 9,    /* F6/F7: an immediate only for /0 and /1 (test) */
	L_XOP = 1 << 10,    /* 8F: pop r/m for /0, an AMD XOP prefix otherwise */
	L_NO_PFX = 1 << 11, /* 0F 78/79: SSE4a extrq/insertq with 66 or F2 (Capstone: also 67) */
	L_MREG = 1 << 12,   /* mov to or from CR/DR: ModRM.mod is ignored, always register form */
	L_NO67 = 1 << 13,   /* Capstone 4 sizes the immediate of these by 67 (the CPU does not) */
	L_INV = 1 << 14,    /* #UD in 64-bit mode (Capstone decodes none of them either) */
	L_REX = 1 << 15,    /* 40-4F: a REX prefix (taken before the table) */
};

/* The flags that need more than "ModRM, imm8, imm16/32": checked only when one is set. */
#define L_SPECIAL                                                                                  \
	(L_U | L_INV | L_NO66 | L_NO67 | L_NO_PFX | L_MREG | L_XOP | L_GRP3 | L_IV | L_MOFFS |     \
	 L_I16)

/* Short names, so that a table row is one line of 16 opcodes. */
#define M   L_M
#define MI8 (L_M | L_I8)
#define MIZ (L_M | L_IZ)
#define I8  L_I8
#define IZ  L_IZ
#define U   L_U
#define INV L_INV
#define PFX L_PFX
#define REL (L_IZ | L_NO66 | L_NO67)	     /* call, jmp and jcc rel32 */
#define RET (L_I16 | L_NO66 | L_NO67)	     /* ret/retf imm16 */
#define ENT (L_I16 | L_I8 | L_NO66 | L_NO67) /* enter imm16, imm8 */
#define MOF L_MOFFS
#define IV  L_IV
#define GR3 (L_M | L_GRP3)
#define XOP (L_M | L_XOP)
#define MRG L_MREG
#define VMX (L_M | L_NO_PFX)
#define REX L_REX

/* clang-format off */
/* The one-byte map. 0F is the escape; REX and the prefixes are taken before the table. */
static const uint16_t insn_len_map1[256] = {
	/* 00 */ M,   M,   M,   M,   I8,  IZ,  INV, INV, M,   M,   M,   M,   I8,  IZ,  INV, 0,
	/* 10 */ M,   M,   M,   M,   I8,  IZ,  INV, INV, M,   M,   M,   M,   I8,  IZ,  INV, INV,
	/* 20 */ M,   M,   M,   M,   I8,  IZ,  PFX, INV, M,   M,   M,   M,   I8,  IZ,  PFX, INV,
	/* 30 */ M,   M,   M,   M,   I8,  IZ,  PFX, INV, M,   M,   M,   M,   I8,  IZ,  PFX, INV,
	/* 40 */ REX, REX, REX, REX, REX, REX, REX, REX, REX, REX, REX, REX, REX, REX, REX, REX,
	/* 50 */ 0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,
	/* 60 */ INV, INV, U,   M,   PFX, PFX, PFX, PFX, REL, MIZ, I8,  MI8, 0,   0,   0,   0,
	/* 70 */ I8,  I8,  I8,  I8,  I8,  I8,  I8,  I8,  I8,  I8,  I8,  I8,  I8,  I8,  I8,  I8,
	/* 80 */ MI8, MIZ, INV, MI8, M,   M,   M,   M,   M,   M,   M,   M,   M,   M,   M,   XOP,
	/* 90 */ 0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   INV, 0,   0,   0,   0,   0,
	/* A0 */ MOF, MOF, MOF, MOF, 0,   0,   0,   0,   I8,  IZ,  0,   0,   0,   0,   0,   0,
	/* B0 */ I8,  I8,  I8,  I8,  I8,  I8,  I8,  I8,  IV,  IV,  IV,  IV,  IV,  IV,  IV,  IV,
	/* C0 */ MI8, MI8, RET, 0,   U,   U,   MI8, MIZ, ENT, 0,   RET, 0,   0,   I8,  INV, 0,
	/* D0 */ M,   M,   M,   M,   INV, INV, INV, 0,   M,   M,   M,   M,   M,   M,   M,   M,
	/* E0 */ I8,  I8,  I8,  I8,  I8,  I8,  I8,  I8,  REL, REL, INV, I8,  0,   0,   0,   0,
	/* F0 */ PFX, 0,   PFX, PFX, 0,   0,   GR3, GR3, 0,   0,   0,   0,   0,   0,   M,   M,
};

/* The 0F map; 38 and 3A are the three-byte escapes. */
static const uint16_t insn_len_map2[256] = {
	/* 00 */ M,   M,   M,   M,   U,   0,   0,   0,   0,   0,   U,   0,   U,   M,   U,   U,
	/* 10 */ M,   M,   M,   M,   M,   M,   M,   M,   M,   M,   M,   M,   M,   M,   M,   M,
	/* 20 */ MRG, MRG, MRG, MRG, U,   U,   U,   U,   M,   M,   M,   M,   M,   M,   M,   M,
	/* 30 */ 0,   0,   0,   0,   0,   0,   U,   0,   U,   U,   U,   U,   U,   U,   U,   U,
	/* 40 */ M,   M,   M,   M,   M,   M,   M,   M,   M,   M,   M,   M,   M,   M,   M,   M,
	/* 50 */ M,   M,   M,   M,   M,   M,   M,   M,   M,   M,   M,   M,   M,   M,   M,   M,
	/* 60 */ M,   M,   M,   M,   M,   M,   M,   M,   M,   M,   M,   M,   M,   M,   M,   M,
	/* 70 */ MI8, MI8, MI8, MI8, M,   M,   M,   0,   VMX, VMX, U,   U,   M,   M,   M,   M,
	/* 80 */ REL, REL, REL, REL, REL, REL, REL, REL, REL, REL, REL, REL, REL, REL, REL, REL,
	/* 90 */ M,   M,   M,   M,   M,   M,   M,   M,   M,   M,   M,   M,   M,   M,   M,   M,
	/* A0 */ 0,   0,   0,   M,   MI8, M,   U,   U,   0,   0,   0,   M,   MI8, M,   M,   M,
	/* B0 */ M,   M,   M,   M,   M,   M,   M,   M,   U,   U,   MI8, M,   M,   M,   M,   M,
	/* C0 */ M,   M,   MI8, M,   MI8, MI8, MI8, M,   0,   0,   0,   0,   0,   0,   0,   0,
	/* D0 */ M,   M,   M,   M,   M,   M,   M,   M,   M,   M,   M,   M,   M,   M,   M,   M,
	/* E0 */ M,   M,   M,   M,   M,   M,   M,   M,   M,   M,   M,   M,   M,   M,   M,   M,
	/* F0 */ M,   M,   M,   M,   M,   M,   M,   M,   M,   M,   M,   M,   M,   M,   M,   U,
};
/* clang-format on */

#undef M
#undef MI8
#undef MIZ
#undef I8
#undef IZ
#undef U
#undef INV
#undef PFX
#undef REL
#undef RET
#undef ENT
#undef MOF
#undef IV
#undef GR3
#undef XOP
#undef MRG
#undef VMX
#undef REX

/*
 * ModRM, SIB and displacement from b[at]: their length, or 0 with *r set to
 * INSN_LEN_LONG when they run past n. 64-bit mode has no 16-bit addressing,
 * so 67 changes nothing here.
 */
static size_t insn_len_modrm(const uint8_t *b, size_t n, size_t at, struct insn_len_parse *p,
			     unsigned *r)
{
	uint8_t modrm, mod, rm;
	size_t len = 1;

	if (at >= n) {
		*r = INSN_LEN_LONG;
		return 0;
	}
	modrm = b[at];
	mod = modrm >> 6;
	rm = modrm & 7;
	p->modrm_at = (uint8_t)at;
	if (mod == 3)
		return len;
	if (rm == 4) {
		if (at + 1 >= n) {
			*r = INSN_LEN_LONG;
			return 0;
		}
		len++;
		if (mod == 0 && (b[at + 1] & 7) == 5)
			p->disp_len = 4;
	}
	if (mod == 1)
		p->disp_len = 1;
	else if (mod == 2 || (mod == 0 && rm == 5))
		p->disp_len = 4;
	if (p->disp_len)
		p->disp_at = (uint8_t)(at + len);
	return len + p->disp_len;
}

unsigned insn_len(const uint8_t *b, size_t n, struct insn_len_parse *p)
{
	struct insn_len_parse local;
	unsigned r = INSN_LEN_UNKNOWN;
	size_t i = 0, len;
	uint16_t f = 0;

	if (!p)
		p = &local;
	memset(p, 0, sizeof(*p));
	if (n > INSN_LEN_MAX)
		n = INSN_LEN_MAX;
	/*
	 * Prefixes in any order. A REX counts only right before the opcode; one
	 * followed by another prefix is ignored by the CPU (SDM vol. 2, 2.2.1),
	 * which decoders do not all agree on: then the length is left to Capstone.
	 */
	for (; i < n; i++) {
		uint8_t c = b[i];

		f = insn_len_map1[c];
		if (!(f & (L_PFX | L_REX)))
			break;
		if (p->rex)
			return p->len = INSN_LEN_UNKNOWN;
		if (f & L_REX) {
			p->rex = c;
			continue;
		}
		switch (c) {
		case 0x66:
			p->odd |= p->opsize;
			p->opsize = true;
			break;
		case 0x67:
			p->odd |= p->adsize;
			p->adsize = true;
			break;
		case 0xF0:
		case 0xF2:
		case 0xF3:
			p->odd |= p->lock_rep;
			p->lock_rep = true;
			break;
		default:
			p->odd |= p->seg != 0;
			p->seg = c;
			break;
		}
	}
	/* Only prefixes: what a decoder makes of that is its own business. */
	if (i >= n)
		return p->len = INSN_LEN_UNKNOWN;
	p->opc_at = (uint8_t)i;
	if (b[i] != 0x0F) {
		i++; /* f is the opcode's, from the loop */
	} else if (i + 1 >= n) {
		return p->len = INSN_LEN_LONG;
	} else if (b[i + 1] == 0x38 || b[i + 1] == 0x3A) {
		if (i + 2 >= n)
			return p->len = INSN_LEN_LONG;
		p->map = b[i + 1] == 0x38 ? 2 : 3;
		p->opc_at = (uint8_t)(i + 2);
		f = p->map == 2 ? L_M : L_M | L_I8;
		i += 3;
	} else {
		p->map = 1;
		p->opc_at = (uint8_t)(i + 1);
		f = insn_len_map2[b[i + 1]];
		i += 2;
	}
	p->opcode = b[p->opc_at];
	if (f & L_SPECIAL) {
		if (f & L_INV)
			return p->len = INSN_LEN_INVALID;
		if ((f & L_U) || ((f & L_NO66) && p->opsize) || ((f & L_NO67) && p->adsize) ||
		    ((f & L_NO_PFX) && (p->opsize || p->adsize || p->lock_rep)))
			return p->len = INSN_LEN_UNKNOWN;
		if (f & L_MREG) {
			if (i >= n)
				return p->len = INSN_LEN_LONG;
			p->modrm_at = (uint8_t)i++;
		}
		if ((f & (L_XOP | L_GRP3)) && i < n) {
			/* 8F with ModRM.reg != 0 starts an AMD XOP instruction. */
			if ((f & L_XOP) && (b[i] & 0x38))
				return p->len = INSN_LEN_UNKNOWN;
			if ((f & L_GRP3) && !(b[i] & 0x30))
				f |= p->opcode == 0xF6 ? L_I8 : L_IZ;
		}
		if (f & L_I16)
			p->imm_len += 2;
		if (f & L_IV)
			p->imm_len += p->rex & 0x08 ? 8 : p->opsize ? 2 : 4;
		if (f & L_MOFFS)
			p->imm_len += p->adsize ? 4 : 8;
	}
	if (f & L_M) {
		len = insn_len_modrm(b, n, i, p, &r);
		if (!len)
			return p->len = (uint8_t)r;
		i += len;
	}
	if (f & L_I8)
		p->imm_len += 1;
	if (f & L_IZ)
		p->imm_len += p->opsize && !(p->rex & 0x08) ? 2 : 4;
	i += p->imm_len;
	if (i > n)
		return p->len = INSN_LEN_LONG;
	return p->len = (uint8_t)i;
}
