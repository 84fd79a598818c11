#!/usr/bin/env python3
# gen_keccak_f1600.py: writes the body of ledger/hash.c's keccak_f1600 (the Keccak-f[1600]
# permutation), fully unrolled two rounds at a time (lanes a -> e, then e -> a), one output plane of
# chi at a time from five B lanes (theta's D applied, then rho's rotation and pi's move), so that few
# values are live at once. Lanes LANE_COMPLEMENTED are held complemented between rounds ("lane
# complementing", from the Keccak team's optimized 64-bit code): for each output lane this picks the
# form of chi, b0 ^ (b1 OP b2) with AND or OR and as few NOTs as the operands' complement states
# allow, checked here against the truth table of b0 ^ (~b1 & b2). Usage: gen_keccak_f1600.py > body.c
import itertools

ROTATION = [0, 1, 62, 28, 27, 36, 44, 6, 55, 20, 3, 10, 43, 25, 39, 41, 45, 15, 21, 8, 18, 2, 61, 56, 14]
LANE_COMPLEMENTED = {1, 2, 8, 12, 17, 20}  # A[x + 5y]: Abe, Abi, Ago, Aki, Ami, Asa
comp = [1 if i in LANE_COMPLEMENTED else 0 for i in range(25)]


def chi_form(f0, f1, f2, g):
    """The cheapest (nots, op, not1, not2, not_result) with stored inputs complemented by f0, f1, f2
    giving the output complemented by g."""
    best = None
    for op, n1, n2, nf in itertools.product(('&', '|'), (0, 1), (0, 1), (0, 1)):
        ok = True
        for b0, b1, b2 in itertools.product((0, 1), repeat=3):
            x1, x2 = b1 ^ f1 ^ n1, b2 ^ f2 ^ n2
            t = (x1 & x2) if op == '&' else (x1 | x2)
            if (b0 ^ f0) ^ t ^ nf != (b0 ^ ((1 - b1) & b2)) ^ g:
                ok = False
                break
        if ok and (best is None or n1 + n2 + nf < best[0]):
            best = (n1 + n2 + nf, op, n1, n2, nf)
    return best


def one_round(src, dst, rc):
    lines = []
    c_comp = [sum(comp[x + 5 * y] for y in range(5)) % 2 for x in range(5)]
    d_comp = [c_comp[(x + 4) % 5] ^ c_comp[(x + 1) % 5] for x in range(5)]
    lines += [f"c{x} = {src}{x} ^ {src}{x + 5} ^ {src}{x + 10} ^ {src}{x + 15} ^ {src}{x + 20};" for x in range(5)]
    lines += [f"d{x} = c{(x + 4) % 5} ^ ROL(c{(x + 1) % 5}, 1);" for x in range(5)]
    for y_out in range(5):
        b_comp = [0] * 5
        for x_out in range(5):
            x = (3 * (y_out - 3 * x_out)) % 5  # pi moves A[x, y] to B[y, 2x + 3y]: here y = x_out
            i = x + 5 * x_out
            b_comp[x_out] = comp[i] ^ d_comp[x]
            if ROTATION[i] == 0:
                lines.append(f"b{x_out} = {src}{i} ^ d{x};")
            else:
                lines.append(f"b{x_out} = ROL({src}{i} ^ d{x}, {ROTATION[i]});")
        for x_out in range(5):
            _, op, n1, n2, nf = chi_form(b_comp[x_out], b_comp[(x_out + 1) % 5], b_comp[(x_out + 2) % 5],
                                         comp[x_out + 5 * y_out])
            t = f"({'~' if n1 else ''}b{(x_out + 1) % 5} {op} {'~' if n2 else ''}b{(x_out + 2) % 5})"
            iota = f" ^ {rc}" if x_out == 0 and y_out == 0 else ""
            lines.append(f"{dst}{x_out + 5 * y_out} = b{x_out} ^ {'~' if nf else ''}{t}{iota};")
    return lines


for v in "ae":
    for y in range(0, 25, 13):
        print("    uint64_t " + ", ".join(f"{v}{i}" for i in range(y, min(y + 13, 25))) + ";")
print("    uint64_t b0, b1, b2, b3, b4, c0, c1, c2, c3, c4, d0, d1, d2, d3, d4;")
for y in range(5):
    print("    " + " ".join(f"a{i} = {'~' if comp[i] else ''}s[{i}];" for i in range(5 * y, 5 * y + 5)))
print("    for (unsigned r = 0; r < 24; r += 2) {")
for line in one_round("a", "e", "round_constants[r]") + one_round("e", "a", "round_constants[r + 1]"):
    print("        " + line)
print("    }")
for y in range(5):
    print("    " + " ".join(f"s[{i}] = {'~' if comp[i] else ''}a{i};" for i in range(5 * y, 5 * y + 5)))
