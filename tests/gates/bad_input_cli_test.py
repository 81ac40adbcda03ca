#!/usr/bin/env python3
"""Bad input through the real binary: a few hundred deterministic mutants of corpus schedules
and litmus files, each run as `ptfuzz replay FILE` / `ptfuzz litmus FILE` under a timeout.

Each must exit 2 with stderr naming the file, or, when the mutant is still a valid input, exit 0
or 1 without a divergence message; never crash (a signal, a sanitizer's exit code), hang or print
"internal bug". tests/gates/bad_input_test.cc runs thousands more in process.

usage: bad_input_cli_test.py PTFUZZ SOURCE_DIR
"""
import os
import random
import shutil
import subprocess
import sys
import tempfile

TIMEOUT_S = 60  # a replay takes milliseconds; this only catches hangs, even under ASan

ODD_VALUES = ["0", "-1", "4294967295", "4294967296", "18446744073709551615", "99",
              "TLB_FLUSH_BOGUS", "ARCH_NONE", '"x"', "1e9", "0xffffffffffffffff", "1000000"]


def mutate(data: bytes, rng: random.Random, text: bool) -> bytes:
    kind = rng.randrange(6 if text else 3)
    b = bytearray(data)
    if kind == 0 and b:  # truncate
        return bytes(b[: rng.randrange(len(b))])
    if kind == 1 and b:  # bit flips
        for _ in range(1 + rng.randrange(4)):
            b[rng.randrange(len(b))] ^= 1 << rng.randrange(8)
        return bytes(b)
    if kind == 2:  # insert bytes
        at = rng.randrange(len(b) + 1)
        return bytes(b[:at] + bytes(rng.randrange(256) for _ in range(1 + rng.randrange(8))) + b[at:])
    lines = data.decode("utf-8", "replace").split("\n")
    if kind == 3:  # change a field's value
        fields = [i for i, line in enumerate(lines) if ": " in line]
        if fields:
            i = rng.choice(fields)
            key = lines[i].split(": ", 1)[0]
            lines[i] = key + ": " + rng.choice(ODD_VALUES)
    elif kind == 4:  # delete or duplicate a line
        i = rng.randrange(len(lines))
        if rng.randrange(2):
            del lines[i]
        else:
            lines.insert(i, lines[rng.randrange(len(lines))])
    else:  # a number made absurd
        digits = [i for i, c in enumerate(data) if 48 <= c <= 57]
        if digits:
            at = rng.choice(digits)
            return data[:at] + rng.choice(ODD_VALUES).encode() + data[at + 1:]
    return "\n".join(lines).encode()


def main() -> int:
    ptfuzz, src = sys.argv[1], sys.argv[2]
    rng = random.Random(0x5EED)
    schedules = sorted(os.path.join(d, f) for d, _, fs in os.walk(os.path.join(src, "corpus"))
                       for f in fs if f.endswith(".textproto"))
    litmus = sorted(os.path.join(src, "tests/litmus", f)
                    for f in os.listdir(os.path.join(src, "tests/litmus")) if f.endswith(".litmus"))
    failures = 0
    counts = {0: 0, 1: 0, 2: 0}
    with tempfile.TemporaryDirectory() as tmp:
        cases = []
        for i in range(240):
            seed = schedules[rng.randrange(len(schedules))]
            data = open(seed, "rb").read()
            path = os.path.join(tmp, f"s{i}.textproto")
            open(path, "wb").write(mutate(data, rng, text=True))
            cases.append(([ptfuzz, "replay", path], path, f"mutant {i} of {seed}"))
        # Binary schedules: the text seeds with their first byte made binary-looking.
        for i in range(30):
            path = os.path.join(tmp, f"b{i}.bin")
            open(path, "wb").write(bytes([0x08, 0x03, 0x12]) +
                                   bytes(rng.randrange(256) for _ in range(rng.randrange(1, 200))))
            cases.append(([ptfuzz, "replay", path], path, f"garbage binary {i}"))
        for i in range(60):
            seed = litmus[rng.randrange(len(litmus))]
            data = open(seed, "rb").read()
            path = os.path.join(tmp, f"l{i}.litmus")
            open(path, "wb").write(mutate(data, rng, text=True))
            cases.append(([ptfuzz, "litmus", "--budget=3000", path], path, f"mutant {i} of {seed}"))
        os.mkdir(os.path.join(tmp, "dir.textproto"))
        for name in ["dir.textproto", "missing.textproto"]:
            path = os.path.join(tmp, name)
            cases.append(([ptfuzz, "replay", path], path, name))
            cases.append(([ptfuzz, "litmus", path], path, name + " (litmus)"))
        locked = os.path.join(tmp, "locked.textproto")
        open(locked, "wb").write(open(schedules[0], "rb").read())
        os.chmod(locked, 0)
        if not os.access(locked, os.R_OK):
            cases.append(([ptfuzz, "replay", locked], locked, "unreadable file"))
        elif os.geteuid() == 0 and shutil.which("setpriv"):
            # Root reads mode-000 files; drop to nobody for this one run (the directory must let
            # nobody reach the file, so that the file's mode is what refuses it).
            os.chmod(tmp, 0o755)
            cases.append((["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", ptfuzz,
                           "replay", locked], locked, "unreadable file (as nobody)"))
        else:
            print(f"note: uid {os.geteuid()} reads mode-000 files and setpriv is missing; the "
                  "unreadable-file case is not tested")

        for argv, path, what in cases:
            try:
                p = subprocess.run(argv, capture_output=True, timeout=TIMEOUT_S)
            except subprocess.TimeoutExpired:
                print(f"FAIL  {what}: hung (over {TIMEOUT_S} s): {' '.join(argv)}")
                failures += 1
                continue
            err = p.stderr.decode("utf-8", "replace")
            problem = None
            if p.returncode not in (0, 1, 2):
                problem = f"exit {p.returncode}"
            elif "internal bug" in err or "runtime error" in err or "Sanitizer" in err:
                problem = "internal bug or sanitizer report"
            elif what.startswith("unreadable") and (p.returncode != 2 or "cannot open" not in err):
                problem = "an unreadable file must exit 2 with `cannot open file`"
            elif p.returncode == 2 and path + ":" not in err:
                problem = "exit 2 without naming the file"
            elif p.returncode != 2 and "diverged" in err:
                problem = f"exit {p.returncode} with a divergence message"
            if problem:
                failures += 1
                kept = os.path.join(tempfile.gettempdir(), "ptfuzz_bad_input_" + os.path.basename(path))
                if os.path.isfile(path):
                    open(kept, "wb").write(open(path, "rb").read())
                print(f"FAIL  {what}: {problem} (input kept as {kept})")
                print("  | " + "\n  | ".join(err.splitlines()[:5]))
            else:
                counts[p.returncode] += 1
    print(f"{len(cases)} runs: {counts[0]} exit 0, {counts[1]} exit 1, {counts[2]} exit 2, "
          f"{failures} failed")
    if counts[2] < len(cases) // 4:
        print("FAIL  too few mutants were refused: the mutator lost its teeth")
        failures += 1
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
