// The schedule format version (proto/schedule.proto). Bump it whenever a stored tape would mean
// something else: a new DecisionKind, a new or removed yield point, a changed option order, a
// changed default policy. Then re-minimize corpus/*/regression (STYLE.md section 4).
#ifndef PTFUZZ_CORE_FORMAT_VERSION_H_
#define PTFUZZ_CORE_FORMAT_VERSION_H_

#include <cstdint>

namespace ptfuzz {
// 2: Scenario.arch and Scenario.memory_model; DECISION_READS_FROM; store-buffer agents among
//    DECISION_SCHEDULE options under TSO. Version-1 files are upgraded on load (schedule_io.h).
inline constexpr uint32_t kFormatVersion = 3;
}  // namespace ptfuzz

#endif  // PTFUZZ_CORE_FORMAT_VERSION_H_
