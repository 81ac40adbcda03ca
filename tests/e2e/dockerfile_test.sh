#!/usr/bin/env bash
# The Dockerfiles install what scripts/setup.sh installs, and nothing else (no Docker engine is
# needed: the files are parsed):
#   Dockerfile (Debian 12)
#     - runs scripts/setup.sh, then scripts/build.sh; installs no package otherwise (beyond the
#       allow-list below, empty today);
#     - its CMD is the README's main command;
#   .dockerignore excludes build/, build-*/, out/ and nothing the build needs (no tracked source
#     file);
#   .clusterfuzzlite/Dockerfile installs exactly setup.sh's packages less those the OSS-Fuzz build
#     does not need (the table below says why each one is left out).
# Usage: dockerfile_test.sh SOURCE_DIR
set -u
src=$1
command -v python3 > /dev/null 2>&1 || { echo "SKIP: python3 not found (scripts/setup.sh installs it)"; exit 77; }
python3 - "$src" <<'PY'
import fnmatch, os, re, shlex, subprocess, sys

src = sys.argv[1]
failures = []
def fail(msg):
    failures.append(msg)
    print("FAIL: " + msg)

# Packages the root Dockerfile may install besides setup.sh's, each with the reason. Empty:
# debian:12 has bash, dpkg-query and apt-get, all setup.sh needs, and setup.sh installs git and
# ca-certificates itself.
ROOT_ALLOWED = {}
# setup.sh packages .clusterfuzzlite/Dockerfile leaves out, and why.
OSS_FUZZ_LEFT_OUT = {
    "clang-14": "OSS-Fuzz's base-builder brings its own clang",
    "clang": "OSS-Fuzz's base-builder brings its own clang",
    "libclang-rt-14-dev": "OSS-Fuzz's base-builder brings its own libFuzzer ($LIB_FUZZING_ENGINE)",
    "libbenchmark-dev": "bench/ is not built (find_package(benchmark QUIET))",
    "git": "the source is COPYed into the image, not cloned",
    "ca-certificates": "nothing is downloaded over TLS",
    "chromium": "tests/e2e/html_screenshot_test.sh only; OSS-Fuzz runs no tests",
    "rr": "ptfuzz replay --rr only; the fuzzers do not use it",
    "llvm-14": "llvm-symbolizer; OSS-Fuzz's images bring their own",
}

def setup_packages():
    text = open(os.path.join(src, "scripts/setup.sh")).read()
    m = re.search(r"^packages=\((.*?)^\)", text, re.S | re.M)
    if not m:
        fail("scripts/setup.sh: no packages=(...) list")
        return set()
    words = []
    for line in m.group(1).splitlines():
        words += line.split("#", 1)[0].split()
    return set(words)

def instructions(path):
    """(INSTRUCTION, arguments) of a Dockerfile, continuation lines joined, comments dropped."""
    out, cur = [], ""
    for line in open(path):
        s = line.rstrip("\n")
        if not cur and (not s.strip() or s.lstrip().startswith("#")):
            continue
        if cur and s.lstrip().startswith("#"):
            continue  # a comment inside a continued instruction
        if s.endswith("\\"):
            cur += s[:-1] + " "
            continue
        cur += s
        word, _, rest = cur.strip().partition(" ")
        out.append((word.upper(), rest.strip()))
        cur = ""
    return out

def installs(run_args):
    """Package names of every apt-get/apt install in a RUN's shell command."""
    pkgs = []
    for cmd in re.split(r"&&|\|\||;|\|", run_args):
        toks = shlex.split(cmd)
        for i, t in enumerate(toks):
            if t in ("apt-get", "apt", "aptitude") and "install" in toks[i + 1:]:
                j = toks.index("install", i + 1)
                pkgs += [p for p in toks[j + 1:] if not p.startswith("-")]
                break
            if t in ("dpkg", "pip", "pip3") and ("-i" in toks or "install" in toks):
                pkgs.append("<%s>" % " ".join(toks))
                break
    return pkgs

setup = setup_packages()
if not setup:
    fail("scripts/setup.sh installs nothing?")

# --- Dockerfile ---
root = instructions(os.path.join(src, "Dockerfile"))
froms = [a for i, a in root if i == "FROM"]
if froms != ["debian:12"]:
    fail("Dockerfile: FROM %s, expected debian:12 alone" % froms)
runs = [a for i, a in root if i == "RUN"]
steps = [s.strip() for r in runs for s in re.split(r"&&|;", r)]
setup_at = [n for n, s in enumerate(steps) if re.fullmatch(r"(\./)?scripts/setup\.sh", s)]
build_at = [n for n, s in enumerate(steps) if re.fullmatch(r"(\./)?scripts/build\.sh", s)]
if not setup_at:
    fail("Dockerfile does not run scripts/setup.sh")
if not build_at:
    fail("Dockerfile does not run scripts/build.sh")
if setup_at and build_at and build_at[0] < setup_at[0]:
    fail("Dockerfile runs scripts/build.sh before scripts/setup.sh")
for r in runs:
    for p in installs(r):
        if p not in ROOT_ALLOWED:
            fail("Dockerfile installs %s outside scripts/setup.sh (not in the allow-list)" % p)

# CMD: exactly the README's main command.
cmds = [a for i, a in root if i == "CMD"]
readme = open(os.path.join(src, "README.md")).read()
m = re.search(r"^scripts/setup\.sh && scripts/build\.sh && (build/ptfuzz fuzz .*)$", readme, re.M)
if not m:
    fail("README.md: no main command line (scripts/setup.sh && scripts/build.sh && build/ptfuzz fuzz ...)")
elif len(cmds) != 1:
    fail("Dockerfile: %d CMD instructions, expected 1" % len(cmds))
else:
    import json
    try:
        argv = json.loads(cmds[0])
    except ValueError:
        argv = None
        fail("Dockerfile: CMD is not in exec form (a JSON array): %s" % cmds[0])
    if argv is not None and argv != shlex.split(m.group(1)):
        fail("Dockerfile: CMD %s is not the README's main command %s" % (argv, shlex.split(m.group(1))))

# --- .dockerignore ---
def ignored(path, patterns):
    """Docker's rule: a pattern excludes a path it matches or any path under a match; later
    !patterns re-include."""
    parts = path.split("/")
    result = False
    for pat in patterns:
        neg = pat.startswith("!")
        p = pat[1:] if neg else pat
        p = p.strip("/")
        hit = any(fnmatch.fnmatchcase("/".join(parts[:k]), p) or
                  (p.startswith("**/") and fnmatch.fnmatchcase(parts[k - 1], p[3:]))
                  for k in range(1, len(parts) + 1))
        if hit:
            result = not neg
    return result

ign_path = os.path.join(src, ".dockerignore")
if not os.path.exists(ign_path):
    fail(".dockerignore missing")
else:
    patterns = [l.strip() for l in open(ign_path) if l.strip() and not l.lstrip().startswith("#")]
    for p in ["build/CMakeCache.txt", "build/ptfuzz", "build-asan/ptfuzz", "build-rel/x",
              "out/gup_vs_zap-no_pte_recheck/corpus/seed-default_ipi"]:
        if not ignored(p, patterns):
            fail(".dockerignore does not exclude %s" % p)
    try:
        tracked = subprocess.run(["git", "-C", src, "ls-files"], capture_output=True, text=True,
                                 check=True).stdout.split()
    except (OSError, subprocess.CalledProcessError):
        tracked = [os.path.relpath(os.path.join(d, f), src)
                   for d, dirs, files in os.walk(src)
                   for f in files
                   if not os.path.relpath(d, src).split(os.sep)[0].startswith(("build", "out", ".git"))]
    needed = [t for t in tracked if t not in ("Dockerfile", ".dockerignore")]
    if len(needed) < 10:
        fail("found only %d source files to check against .dockerignore" % len(needed))
    for t in needed:
        if ignored(t, patterns):
            fail(".dockerignore excludes %s, which is part of the source" % t)

# --- .clusterfuzzlite/Dockerfile: setup.sh's build dependencies ---
cfl = instructions(os.path.join(src, ".clusterfuzzlite/Dockerfile"))
cfl_froms = [a for i, a in cfl if i == "FROM"]
if len(cfl_froms) != 1 or not cfl_froms[0].startswith("gcr.io/oss-fuzz-base/base-builder"):
    fail(".clusterfuzzlite/Dockerfile: FROM %s, expected gcr.io/oss-fuzz-base/base-builder" % cfl_froms)
cfl_pkgs = set(p for i, a in cfl if i == "RUN" for p in installs(a))
for p in OSS_FUZZ_LEFT_OUT:
    if p not in setup:
        fail("dockerfile_test.sh: %s is left out of the OSS-Fuzz image but setup.sh no longer "
             "installs it: drop it from OSS_FUZZ_LEFT_OUT" % p)
want = setup - set(OSS_FUZZ_LEFT_OUT)
if cfl_pkgs != want:
    fail(".clusterfuzzlite/Dockerfile installs %s; setup.sh's build dependencies are %s "
         "(missing %s, extra %s): add the package there, or to OSS_FUZZ_LEFT_OUT with the reason"
         % (sorted(cfl_pkgs), sorted(want), sorted(want - cfl_pkgs), sorted(cfl_pkgs - want)))

if failures:
    sys.exit(1)
print("ok: Dockerfile installs through scripts/setup.sh only (%d packages), CMD is the README's "
      "main command, .dockerignore excludes build/ and out/ and no source file, "
      ".clusterfuzzlite/Dockerfile installs setup.sh's %d build dependencies" % (len(setup), len(want)))
PY
