// ptfuzz_fuzzer: the libFuzzer target over Schedules.
//
// Input: a binary (or text) Schedule. It is interpreted like any fuzzer input: the tape raw,
// answers modulo the options, the default policy past its end. Bytes that are not a Schedule of
// this format version, or whose scenario is invalid, are rejected quietly (return -1: not added to
// the corpus). Only a violation crashes: its report is printed and the process traps, so libFuzzer
// exits 77 for findings while sanitizer reports keep exit 1.
//
// Pinning a campaign (documented in docs/fuzzing.md): flags --scenario=NAME, --variant=V,
// --tlb-flush=ipi|broadcast|paravirt, --memory-model=sc|tso|relaxed,
// --arch=x86_64|x86_pae|arm64|s390 (the "--" prefix
// makes libFuzzer ignore them), or the environment variables PTFUZZ_SCENARIO, PTFUZZ_VARIANT,
// PTFUZZ_TLB_FLUSH, PTFUZZ_MEMORY_MODEL, PTFUZZ_ARCH; flags win. --background=K
// (PTFUZZ_BACKGROUND) runs every input on a busy machine (Scenario.background_actors = K).
// --mutate-shape=1 (PTFUZZ_MUTATE_SHAPE) lets the mutator change the machine's shape too
// (fuzz/mutator.h). --violation=KIND
// (PTFUZZ_VIOLATION) makes only that violation kind a finding. PTFUZZ_KNOWN_SIGNATURES=FILE names
// a file of finding signatures (core/violation.h FindingSignature, one per line) that are not
// findings any more: `ptfuzz fuzz` adds each bug it has stored, so its campaign goes on looking
// for others; the file is re-read when it changes. Inputs that do not
// carry the pinned values are rejected, not rewritten, and the mutator writes the pins into every
// input it makes: every input that runs, and so every crash file, replays as it ran.
#include <sys/stat.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <set>
#include <string>

#include "core/format_version.h"
#include "core/run.h"
#include "core/scenarios/background.h"
#include "core/schedule_io.h"
#include "core/tape_decider.h"
#include "fuzz/feedback.h"
#include "fuzz/mutator.h"
#include "replay/report.h"

namespace {

// Interleaving features (fuzz/feedback.h). A multiple of 64 bytes, as libFuzzer clears it by
// words between runs.
__attribute__((section("__libfuzzer_extra_counters"), aligned(64), used))
uint8_t extra_counters[1 << 10];

// Set once by LLVMFuzzerInitialize; constant while inputs run.
ptfuzz::Pins pins;
// PTFUZZ_FEEDBACK=code: code coverage alone, without the interleaving features of
// fuzz/feedback.h (the ablation of `ptfuzz bench --strategies=fuzz-code-only`).
bool interleaving_feedback = true;
// --violation=KIND / PTFUZZ_VIOLATION: only this violation kind is a finding; runs that end in
// another are treated as clean (their coverage still counts). "" = every violation.
std::string only_violation;

// PTFUZZ_KNOWN_SIGNATURES: signatures already stored by the campaign runner.
class KnownSignatures {
 public:
  void SetPath(std::string path) { path_ = std::move(path); }
  // Re-reads the file when its size or modification time changed, at most every 4096 calls (a
  // stat costs about a microsecond; an execution a few).
  void MaybeReload() {
    if (path_.empty() || (calls_++ & 4095) != 0) return;
    struct stat st;
    if (stat(path_.c_str(), &st) != 0) return;
    if (st.st_size == size_ && st.st_mtim.tv_sec == mtime_.tv_sec &&
        st.st_mtim.tv_nsec == mtime_.tv_nsec) {
      return;
    }
    size_ = st.st_size;
    mtime_ = st.st_mtim;
    std::FILE* f = std::fopen(path_.c_str(), "r");
    if (f == nullptr) return;
    known_.clear();
    char line[1024];
    while (std::fgets(line, sizeof line, f) != nullptr) {
      std::string s(line);
      while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
      if (!s.empty()) known_.insert(std::move(s));
    }
    std::fclose(f);
  }
  bool Contains(const std::string& signature) const { return known_.count(signature) != 0; }

 private:
  std::string path_;
  uint64_t calls_ = 0;
  off_t size_ = -1;
  timespec mtime_{};
  std::set<std::string> known_;
};
KnownSignatures known_signatures;

std::string FlagOrEnv(int argc, char** argv, const char* flag, const char* env) {
  const std::string prefix = std::string("--") + flag + "=";
  for (int i = 1; i < argc; ++i) {
    if (std::strncmp(argv[i], prefix.c_str(), prefix.size()) == 0) {
      return argv[i] + prefix.size();
    }
  }
  const char* v = std::getenv(env);
  return v ? v : "";
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int* argc, char*** argv) {
  const absl::Status st = ptfuzz::MakePins(
      FlagOrEnv(*argc, *argv, "scenario", "PTFUZZ_SCENARIO"),
      FlagOrEnv(*argc, *argv, "variant", "PTFUZZ_VARIANT"),
      FlagOrEnv(*argc, *argv, "tlb-flush", "PTFUZZ_TLB_FLUSH"), &pins,
      FlagOrEnv(*argc, *argv, "memory-model", "PTFUZZ_MEMORY_MODEL"),
      FlagOrEnv(*argc, *argv, "arch", "PTFUZZ_ARCH"));
  if (!st.ok()) {
    std::fprintf(stderr, "ptfuzz_fuzzer: %s\n", std::string(st.message()).c_str());
    std::exit(2);
  }
  if (const std::string k = FlagOrEnv(*argc, *argv, "background", "PTFUZZ_BACKGROUND");
      !k.empty()) {
    char* end = nullptr;
    const unsigned long n = std::strtoul(k.c_str(), &end, 10);
    if (end == k.c_str() || *end != '\0' || n > ptfuzz::kMaxBackgroundActors) {
      std::fprintf(stderr, "ptfuzz_fuzzer: --background=%s is not a count in 0..%u\n", k.c_str(),
                   ptfuzz::kMaxBackgroundActors);
      std::exit(2);
    }
    pins.background = static_cast<uint32_t>(n);
  }
  if (const std::string f = FlagOrEnv(*argc, *argv, "feedback", "PTFUZZ_FEEDBACK"); !f.empty()) {
    if (f != "code" && f != "all") {
      std::fprintf(stderr, "ptfuzz_fuzzer: --feedback=%s: expected code or all\n", f.c_str());
      std::exit(2);
    }
    interleaving_feedback = f == "all";
    std::fprintf(
        stderr, "ptfuzz_fuzzer: feedback: %s\n",
        interleaving_feedback ? "code coverage and interleaving features" : "code coverage only");
  }
  if (const std::string m = FlagOrEnv(*argc, *argv, "mutate-shape", "PTFUZZ_MUTATE_SHAPE");
      !m.empty()) {
    if (m != "0" && m != "1") {
      std::fprintf(stderr, "ptfuzz_fuzzer: --mutate-shape=%s: expected 0 or 1\n", m.c_str());
      std::exit(2);
    }
    pins.mutate_shape = m == "1";
  }
  only_violation = FlagOrEnv(*argc, *argv, "violation", "PTFUZZ_VIOLATION");
  if (!only_violation.empty() && !ptfuzz::ViolationKindFromName(only_violation)) {
    std::fprintf(stderr, "ptfuzz_fuzzer: unknown violation kind \"%s\"\n", only_violation.c_str());
    std::exit(2);
  }
  if (!only_violation.empty()) {
    std::fprintf(stderr, "ptfuzz_fuzzer: only %s is a finding\n", only_violation.c_str());
  }
  if (const char* known = std::getenv("PTFUZZ_KNOWN_SIGNATURES"); known != nullptr && *known) {
    known_signatures.SetPath(known);
    known_signatures.MaybeReload();
    std::fprintf(stderr, "ptfuzz_fuzzer: signatures in %s are not findings\n", known);
  }
  if (!pins.scenario.empty() || !pins.variant.empty() || pins.tlb_flush || pins.memory_model ||
      pins.arch || pins.background) {
    std::fprintf(stderr,
                 "ptfuzz_fuzzer: pinned scenario=%s variant=%s tlb_flush=%s memory_model=%s "
                 "arch=%s background=%s\n",
                 pins.scenario.empty() ? "*" : pins.scenario.c_str(),
                 pins.variant.empty() ? "*" : pins.variant.c_str(),
                 !pins.tlb_flush ? "*" : ptfuzz::TlbFlushName(*pins.tlb_flush),
                 pins.memory_model ? ptfuzz::MemoryModelFlagName(*pins.memory_model) : "*",
                 !pins.arch ? "*" : ptfuzz::ArchFlagName(*pins.arch),
                 pins.background ? std::to_string(*pins.background).c_str() : "*");
  }
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::string_view bytes(reinterpret_cast<const char*>(data), size);
  // A mutant libFuzzer runs right after the custom mutator made it needs no parse (it is valid
  // and pinned by construction, fuzz/mutator.h); corpus files and libFuzzer's own inputs do.
  ptfuzz::proto::Schedule parsed;
  const ptfuzz::proto::Schedule* mutant = ptfuzz::LastMutant(bytes);
  if (mutant != nullptr && !ptfuzz::MatchesPins(pins, mutant->scenario())) mutant = nullptr;
  if (mutant == nullptr &&
      (!ptfuzz::ParseSchedule(bytes, &parsed).ok() || !ptfuzz::CheckSchedule(parsed).ok() ||
       !ptfuzz::MatchesPins(pins, parsed.scenario()))) {
    return -1;
  }
  const ptfuzz::proto::Schedule& schedule = mutant != nullptr ? *mutant : parsed;
  // Background actors' CPUs come after the scenario's own (core/scenarios/background.h).
  ptfuzz::FeedbackObserver observer(extra_counters, schedule.scenario().num_cpus());
  ptfuzz::SimOptions options;
  if (interleaving_feedback) options.observer = &observer;
  options.trace_hash = false;
  options.state_digest = false;
  const std::vector<uint32_t> raw = ptfuzz::RawTape(schedule);
  ptfuzz::TapeDecider decider(raw);
  const ptfuzz::RunResult result = ptfuzz::RunScenario(schedule.scenario(), decider, options);
  ptfuzz::NoteRunDecisions(bytes, result.tape.size());
  known_signatures.MaybeReload();
  if (result.violation &&
      (only_violation.empty() ||
       ptfuzz::ViolationKindName(result.violation->kind) == only_violation) &&
      !known_signatures.Contains(ptfuzz::FindingSignature(
          schedule.scenario().name(), schedule.scenario().variant(), *result.violation))) {
    std::fprintf(stderr, "\n==ptfuzz== %s/%s (tlb flush %s, arch %s, memory model %s): %s",
                 schedule.scenario().name().c_str(), schedule.scenario().variant().c_str(),
                 ptfuzz::TlbFlushName(schedule.scenario().tlb_flush()),
                 ptfuzz::ArchFlagName(schedule.scenario().arch()),
                 std::string(ptfuzz::MemoryModelName(ptfuzz::MemoryModelOf(schedule.scenario())))
                     .c_str(),
                 ptfuzz::FormatViolation(*result.violation).c_str());
    // libFuzzer names the crash file it writes after this trap ("Test unit written to FILE");
    // `ptfuzz replay FILE` replays it, `ptfuzz fuzz` does so by itself.
    std::fprintf(stderr,
                 "==ptfuzz== %zu decisions, %u steps; libFuzzer writes this input below (\"Test "
                 "unit written to FILE\"): replay it with `ptfuzz replay FILE`\n",
                 result.tape.size(), result.steps);
    std::fflush(stderr);
    __builtin_trap();
  }
  return 0;
}

extern "C" size_t LLVMFuzzerCustomMutator(uint8_t* data, size_t size, size_t max_size,
                                          unsigned int seed) {
  return ptfuzz::MutateSchedule(data, size, max_size, seed, pins);
}

extern "C" size_t LLVMFuzzerCustomCrossOver(const uint8_t* data1, size_t size1,
                                            const uint8_t* data2, size_t size2, uint8_t* out,
                                            size_t max_out_size, unsigned int seed) {
  return ptfuzz::CrossOverSchedules(data1, size1, data2, size2, out, max_out_size, seed, pins);
}
