// Interleaving feedback for libFuzzer: features of a run that code coverage cannot see.
//
// Coverage of the protocol code (per function, core/CMakeLists.txt) says which kernel functions
// ran and how often, not in which order CPUs met. This observer adds, per step, hashed into a
// bounded counter array (libFuzzer's __libfuzzer_extra_counters, fuzz/fuzz_target.cc):
//  - interleaving pairs: (site of the previous step, site of this step) when the CPU changed;
//  - communication pairs: (site that last wrote a frame, site that now reads or writes it) when
//    they are on different CPUs, the "reads-from" coverage of concurrency fuzzers (KRACE);
//  - outcomes: (site, success) of conditional operations (try-get, TLB fill, allocation);
//  - weak-memory behaviour: (site, how the memory model served it): a load that read a stale
//    store and how stale, a load forwarded from the CPU's store buffer, a store into the buffer.
//    A TSO store counts as a write for communication pairs when it drains, not when buffered.
// A site is (kernel function, operation); its hash comes from the function name, never from a
// pointer, so feedback is the same in every process (STYLE.md section 4).
//
// On a busy machine (Scenario.background_actors) only the scenario's own CPUs give features:
// interleaving pairs between two own CPUs, communication pairs read by an own CPU (a background
// writer counted as one, whichever of its steps wrote), outcomes and weak-memory behaviour of own
// CPUs. How background actors interleave among themselves is noise to the race being hunted, and
// every feature it added would have been a corpus entry.
#ifndef PTFUZZ_FUZZ_FEEDBACK_H_
#define PTFUZZ_FUZZ_FEEDBACK_H_

#include <array>
#include <cstdint>

#include "absl/types/span.h"
#include "core/world.h"

namespace ptfuzz {

class FeedbackObserver final : public StepObserver {
 public:
  // `counters` must have a power-of-two size; it is only incremented (saturating). CPUs at or
  // above `own_cpus` run background actors (core/scenarios/background.h).
  explicit FeedbackObserver(absl::Span<uint8_t> counters, uint32_t own_cpus = ~0u);
  void OnStep(const TraceEvent& event, uint64_t func_hash) override;

 private:
  void Hit(uint64_t feature);

  absl::Span<uint8_t> counters_;
  uint64_t mask_;
  uint32_t own_cpus_;
  uint64_t prev_site_ = 0;
  CpuId prev_cpu_ = 0;
  bool have_prev_ = false;
  // Last writer of each frame: (site, cpu + 1); 0 = none. Frames beyond the array share no slot.
  static constexpr size_t kTrackedFrames = 64;
  std::array<uint64_t, kTrackedFrames> last_write_site_{};
  std::array<uint32_t, kTrackedFrames> last_write_cpu_{};
};

}  // namespace ptfuzz

#endif  // PTFUZZ_FUZZ_FEEDBACK_H_
