#!/usr/bin/env python3
"""Bounded self-fuzz of one scenario's fixed variant under ASan + UBSan.

Runs the sanitized libFuzzer target (ptfuzz_fuzzer_asan, or ptfuzz_fuzzer in a
-DPTFUZZ_SANITIZE=ON build) pinned to the scenario's `fixed` variant in a configuration where
`ptfuzz scenarios --json` says it must be clean: broadcast flushes, the scenario's required
architecture (else x86_64), the relaxed model when that is clean too, else TSO. Seeds are the
scenario's corpus/<scenario>/seed files with those pins written in. Passes when libFuzzer runs
all RUNS executions and exits 0: no violation (a false positive on the fixed kernel), no harness
crash, no sanitizer report, no leak (detect_leaks=1).

usage: self_fuzz_test.py FUZZER PTFUZZ SOURCE_DIR SCENARIO RUNS SEED
"""
import json
import os
import re
import subprocess
import sys
import tempfile


def main() -> int:
    fuzzer, ptfuzz, src, scenario, runs, seed = sys.argv[1:7]
    specs = json.loads(subprocess.run([ptfuzz, "scenarios", "--json"], check=True,
                                      capture_output=True).stdout)
    spec = next((s for s in specs if s["name"] == scenario), None)
    if spec is None:
        print(f"FAIL  no scenario {scenario} in `ptfuzz scenarios`")
        return 1
    fixed = next(v for v in spec["variants"] if v["name"] == "fixed")
    arch = "x86_64" if spec["arch"] == "any" else spec["arch"]
    relaxed_key = "relaxed_arm64" if arch == "arm64" else "relaxed"
    model = "relaxed" if fixed["expected"][relaxed_key] == "clean" else "tso"
    if fixed["expected"]["broadcast"] != "clean":
        print(f"FAIL  {scenario}'s fixed variant is not clean with broadcast flushes")
        return 1
    version = re.search(r"kFormatVersion = (\d+)",
                        open(os.path.join(src, "core/format_version.h")).read()).group(1)
    pins = {"variant": '"fixed"', "tlb_flush": "TLB_FLUSH_BROADCAST",
            "memory_model": "MEMORY_MODEL_" + model.upper(), "arch": "ARCH_" + arch.upper()}

    seed_dir = os.path.join(src, "corpus", scenario, "seed")
    with tempfile.TemporaryDirectory() as tmp:
        corpus = os.path.join(tmp, "corpus")
        os.mkdir(corpus)
        for name in sorted(os.listdir(seed_dir)):
            text = open(os.path.join(seed_dir, name)).read()
            # The pinned fields replace the seed's own; a version-1 seed's raw tape means the
            # same in the current version (core/schedule_io.cc UpgradeSchedule).
            text = re.sub(r"(?m)^format_version: \d+$", "format_version: " + version, text)
            text = re.sub(r"(?m)^  (variant|tlb_flush|memory_model|arch): .*\n", "", text)
            fields = "".join(f"  {k}: {v}\n" for k, v in pins.items())
            text = re.sub(r"(?m)^scenario \{\n", "scenario {\n" + fields, text, count=1)
            open(os.path.join(corpus, name), "w").write(text)
        env = dict(os.environ)
        env["ASAN_OPTIONS"] = "detect_leaks=1:abort_on_error=0:" + env.get("ASAN_OPTIONS", "")
        env["UBSAN_OPTIONS"] = "halt_on_error=1:print_stacktrace=1"
        argv = [fuzzer, f"--scenario={scenario}", "--variant=fixed", "--tlb-flush=broadcast",
                f"--memory-model={model}", f"--arch={arch}", f"-runs={runs}", f"-seed={seed}",
                "-detect_leaks=1", f"-artifact_prefix={tmp}/", corpus]
        print(" ".join(argv[:-1]) + " SEEDS")
        p = subprocess.run(argv, capture_output=True, env=env)
        log = p.stderr.decode("utf-8", "replace")
        inited = re.search(r"INITED cov: \d+ ft: \d+ corp: (\d+)/", log)
        done = re.search(r"Done (\d+) runs", log)
        if p.returncode != 0 or not done:
            print(f"FAIL  {scenario} fixed ({model}, {arch}): exit {p.returncode}")
            print("\n".join(log.splitlines()[-40:]))
            return 1
        if not inited or int(inited.group(1)) == 0:
            print(f"FAIL  {scenario}: no pinned seed was accepted; the fuzzer ran nothing useful")
            print("\n".join(log.splitlines()[-20:]))
            return 1
        print(f"ok    {scenario} fixed ({model}, {arch}, broadcast): {done.group(1)} runs from "
              f"{inited.group(1)} seeds, no violation, crash, sanitizer report or leak")
    return 0


if __name__ == "__main__":
    sys.exit(main())
