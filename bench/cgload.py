# cgload: reads a callgrind profile for bench/instr.sh (total, calls and inclusive cost per callee).
"""Total instructions, and calls + inclusive cost per callee and per (caller, callee)."""
import collections
import re


def load(path):
    names, calls, incl = {}, collections.Counter(), collections.Counter()
    total, fn, cfn, pending = 0, None, None, None

    def name(tok):
        m = re.match(r'\((\d+)\)(?: (.*))?', tok)
        if not m:
            return tok
        if m.group(2):
            names[m.group(1)] = m.group(2)
        return names.get(m.group(1), m.group(1))

    for line in open(path):
        if line.startswith('cfn='):
            cfn = name(line[4:].strip())
        elif line.startswith('fn='):
            fn = name(line[3:].strip())
        elif line.startswith('calls='):
            pending = int(line[6:].split()[0])
        elif line.startswith('summary:'):
            total = int(line.split()[1])
        elif pending is not None and (line[:1].isdigit() or line[:1] in ('+', '-', '*')):
            parts = line.split()
            cost = int(parts[1]) if len(parts) > 1 else 0
            calls[cfn] += pending
            incl[cfn] += cost
            calls[fn, cfn] += pending
            incl[fn, cfn] += cost
            pending = None
    return total, calls, incl
