// The campaign runner behind `ptfuzz fuzz`: ptfuzz_fuzzer over one scenario, several or all, on
// N cores, for minutes or days, resumable.
//
// Layout of the campaign directory OUT (everything a campaign keeps is in it):
//   corpus/            the working corpus (libFuzzer adds inputs; the runner pins the seeds into
//                      it as seed-<scenario>-<name> and merges it with -set_cover_merge=1 at the
//                      end)
//   findings/<slug>/   one directory per finding signature (core/violation.h FindingSignature):
//                      schedule.textproto (minimized, canonical, with its expected verdict),
//                      report.txt (its replay), signature.txt, found.txt, and the crash file the
//                      fuzzer wrote (crash-<sha1>)
//   findings/signatures.txt  every stored signature; the fuzzer reads it (PTFUZZ_KNOWN_SIGNATURES)
//                      and no longer stops at those bugs, so the campaign goes on to others
//   problems/          inputs that crashed the fuzzer without replaying to a violation, timeouts
//                      and out-of-memory inputs: ptfuzz bugs, each with a note
//   artifacts/         where the fuzzer writes crash files until the runner has handled them
//   tmp/               libFuzzer's fork-mode working directories (TMPDIR)
//   logs/              fuzzer-<session>.log (libFuzzer's own output) and progress-<session>.tsv
//   campaign.txt       totals over every session (key value lines)
//
// Resuming: a campaign is resumed by running the same command with the same OUT. Nothing a
// killed campaign (even with SIGKILL) wrote is lost: crash files left in artifacts/ are handled
// first, inputs of fork-mode jobs still in tmp/ are moved into corpus/, an interrupted merge is
// completed or discarded (the corpus is replaced only by renames), fuzzer processes left running
// are killed, and findings/ is the deduplication state. Two runners on one OUT are refused (an
// flock, released by the kernel when a runner dies).
//
// Not guaranteed: libFuzzer's search is not reproducible across sessions or with -fork (jobs run
// concurrently); a finding is, through its stored schedule.
#ifndef PTFUZZ_REPLAY_CAMPAIGN_H_
#define PTFUZZ_REPLAY_CAMPAIGN_H_

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "fuzz/mutator.h"

namespace ptfuzz {

struct CampaignOptions {
  std::vector<std::string> scenarios;  // at least one
  // Pinned dimensions as the fuzzer's environment spells them ("" = not pinned); `variant` ""
  // lets the fuzzer explore every variant of the scenario(s).
  std::string variant, tlb_flush, memory_model, arch;
  Pins pins;                   // MakePins() of the above (its scenario only when there is one)
  std::string only_violation;  // PTFUZZ_VIOLATION, "" = every kind
  std::filesystem::path out;
  std::optional<std::filesystem::path> seed_dir;  // instead of corpus/<scenario>/seed
  std::filesystem::path fuzzer;                   // the ptfuzz_fuzzer binary
  std::filesystem::path ptfuzz;                   // this CLI, for the printed replay commands
  int jobs = 1;
  long long max_time = 0;  // seconds; 0 = until interrupted
  // With several scenarios: seconds of each in turn (a slice), round after round.
  long long slice_seconds = 60;
  long long runs = -1;  // libFuzzer -runs, -1 = unbounded
  long long seed = -1;  // libFuzzer -seed, -1 = libFuzzer's choice
  // Stop once a finding is stored (a targeted hunt), instead of going on to others.
  bool stop_at_first = false;
  bool merge = true;         // -set_cover_merge=1 the corpus at the end
  int progress_seconds = 0;  // between progress lines; 0 = 1 on a terminal, 30 otherwise
};

// Runs the campaign; returns the CLI's exit status: 0 when OUT holds no finding at the end, 1
// when it holds at least one, 2 on a usage or fuzzer failure (the message printed).
int RunCampaign(const CampaignOptions& options);

// libFuzzer's status line ("#N ... cov: C ft: F corp: K ... exec/s: E", plain or fork mode), for
// the progress line. False when `line` is not one.
struct FuzzerStatus {
  unsigned long long execs = 0;
  unsigned long long cov = 0;
  unsigned long long features = 0;
  unsigned long long corpus = 0;
  unsigned long long execs_per_second = 0;
};
bool ParseFuzzerStatus(const std::string& line, FuzzerStatus* status);

// A finding signature as a file name: [A-Za-z0-9_.@-] kept, everything else '-'.
std::string SignatureSlug(const std::string& signature);

}  // namespace ptfuzz

#endif  // PTFUZZ_REPLAY_CAMPAIGN_H_
