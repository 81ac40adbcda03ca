// The schedule format version (proto/schedule.proto). Bump it whenever a stored tape would mean
// something else: a new DecisionKind, a new or removed yield point, a changed option order, a
// changed default policy. Then re-minimize corpus/*/regression (STYLE.md section 4).
#ifndef PTFUZZ_CORE_FORMAT_VERSION_H_
#define PTFUZZ_CORE_FORMAT_VERSION_H_

#include <cstdint>

namespace ptfuzz {
inline constexpr uint32_t kFormatVersion = 1;
}  // namespace ptfuzz

#endif  // PTFUZZ_CORE_FORMAT_VERSION_H_
