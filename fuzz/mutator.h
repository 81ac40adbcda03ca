// The schedule-aware custom mutator and crossover (libprotobuf-mutator is not packaged, and has
// no reorder operation, the one a schedule fuzzer needs most: fuzzing-notes.md).
//
// Inputs are binary (or text) Schedules. Most mutations edit the tape, where interleavings live:
// place a preemption anywhere in the run, change an answer, insert or delete one (shifting every
// later decision), swap neighbours, move a preemption point, zero a range, duplicate a range
// elsewhere (splice), append. A reads-from choice is an answer like a schedule choice, so the same
// edits place and move weak-memory change points. Fewer (one in eight) edit the scenario: the
// dimensions the campaign leaves open (flush mode, memory model or architecture, variant) and,
// with Pins::mutate_shape, the machine's shape: actors (kind, CPU, address among addresses that
// share or do not share page tables with the others), CPU and frame counts, mappings, TLB
// contents, hardware walkers, folio orders. Shape edits are off by default: on campaigns pinned to
// a variant they doubled the executions to the first violation (docs/BENCHMARKS.md). A scenario
// edit that fails ValidateScenario() is undone, so outputs are valid whenever the input parsed.
//
// Outputs are raw binary schedules with the campaign's pins applied and fit in max_size: when too
// large the tape is cut from the end, which is what makes libFuzzer's -minimize_crash shrink
// schedules. All randomness comes from a local generator seeded by libFuzzer's seed. A preemption
// is placed anywhere in the input's run, not only within its tape: the mutator knows how many
// decisions the run makes (told by the fuzz target through NoteRunDecisions(), or by running it).
// The only state kept between calls is speed: a memo of parsed inputs with their decision counts
// and the last mutant (LastMutant()), none of which changes what any call returns.
#ifndef PTFUZZ_FUZZ_MUTATOR_H_
#define PTFUZZ_FUZZ_MUTATOR_H_

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "proto/schedule.pb.h"

namespace ptfuzz {

// What a campaign holds fixed. Empty strings / nullopt: not pinned.
struct Pins {
  std::string scenario;
  std::string variant;
  std::optional<proto::TlbFlushMode> tlb_flush;
  std::optional<proto::MemoryModel> memory_model;
  std::optional<proto::Arch> arch;
  // Scenario.background_actors (core/scenarios/background.h): the busy machine a campaign runs on.
  std::optional<uint32_t> background;
  // Not a pin: whether the mutator may change the machine's shape (actors, mappings, CPUs,
  // frames, TLB contents, hardware walkers, folio orders), or only the tape and the dimensions
  // left open above.
  bool mutate_shape = false;
};

// kInvalidArgument for an unknown scenario, variant of it, flush mode name ("ipi"/"broadcast"),
// memory model ("sc"/"tso"/"relaxed") or architecture ("x86_64"/"arm64").
absl::Status MakePins(const std::string& scenario, const std::string& variant,
                      const std::string& tlb_flush, Pins* pins,
                      const std::string& memory_model = "", const std::string& arch = "");
// "sc", "tso", "relaxed", or "arch default" for MEMORY_MODEL_ARCH_DEFAULT.
const char* MemoryModelFlagName(proto::MemoryModel model);
// Forces the pinned fields. A different pinned scenario replaces the whole scenario by its
// default configuration.
void ApplyPins(const Pins& pins, proto::Scenario* scenario);

// True when `scenario` carries every pinned value.
bool MatchesPins(const Pins& pins, const proto::Scenario& scenario);

// Writes every schedule of `seed_dir` (which must all load), with `pins` applied and no
// expectation, into `corpus_dir` as binary <prefix><stem> files; when `seed_dir` is not a
// directory (and `seed_dir_required` is false) or holds none, the pinned default scenario as
// <prefix>default. Returns how many seed files came from `seed_dir`. REQUIRES: pins.scenario set.
absl::StatusOr<int> PinSeedCorpus(const std::filesystem::path& seed_dir, bool seed_dir_required,
                                  const Pins& pins, const std::filesystem::path& corpus_dir,
                                  const std::string& prefix = "seed-");

// The schedule the last MutateSchedule() or CrossOverSchedules() call wrote, if `bytes` are what
// it wrote, else nullptr. Such a schedule is what ParseSchedule() makes of those bytes, and it
// passes CheckSchedule() and MatchesPins(): the fuzz target runs it without parsing. Valid until
// the next mutation.
const proto::Schedule* LastMutant(absl::string_view bytes);

// The fuzz target reports how many decisions the run of `bytes` made, so that the mutator need
// not run it again to learn where preemptions can go (a cache: results do not depend on it).
void NoteRunDecisions(absl::string_view bytes, size_t decisions);

size_t MutateSchedule(uint8_t* data, size_t size, size_t max_size, uint32_t seed,
                      const Pins& pins);
size_t CrossOverSchedules(const uint8_t* data1, size_t size1, const uint8_t* data2, size_t size2,
                          uint8_t* out, size_t max_out_size, uint32_t seed, const Pins& pins);

}  // namespace ptfuzz

#endif  // PTFUZZ_FUZZ_MUTATOR_H_
