// Error channels for ptfuzz (STYLE.md 2.5).
//
// Three channels, never mixed:
//  - absl::Status for bad input (files, flags, scenarios). PTFUZZ_RETURN_IF_ERROR and
//    PTFUZZ_ASSIGN_OR_RETURN propagate it; Abseil 20220623 ships neither macro.
//  - PTFUZZ_CHECK for bugs in ptfuzz itself: prints "ptfuzz internal bug:" and aborts.
//  - Violation (core/violation.h) for findings about the simulated kernel protocol.
// Library code never calls exit().
#ifndef PTFUZZ_CORE_CHECK_H_
#define PTFUZZ_CORE_CHECK_H_

#include <cstdio>
#include <cstdlib>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace ptfuzz::internal {
[[noreturn]] inline void CheckFailed(const char* file, int line, const char* cond) {
  std::fprintf(stderr, "ptfuzz internal bug: %s:%d: check failed: %s\n", file, line, cond);
  std::abort();
}
}  // namespace ptfuzz::internal

#define PTFUZZ_CHECK(cond)                                               \
  do {                                                                   \
    if (!(cond)) ::ptfuzz::internal::CheckFailed(__FILE__, __LINE__, #cond); \
  } while (0)

#ifdef NDEBUG
#define PTFUZZ_DCHECK(cond) \
  do {                      \
  } while (0 && (cond))
#else
#define PTFUZZ_DCHECK(cond) PTFUZZ_CHECK(cond)
#endif

#define PTFUZZ_RETURN_IF_ERROR(expr)              \
  do {                                            \
    ::absl::Status ptfuzz_status_ = (expr);       \
    if (!ptfuzz_status_.ok()) return ptfuzz_status_; \
  } while (0)

#define PTFUZZ_CONCAT_INNER_(a, b) a##b
#define PTFUZZ_CONCAT_(a, b) PTFUZZ_CONCAT_INNER_(a, b)
#define PTFUZZ_ASSIGN_OR_RETURN(lhs, expr) \
  PTFUZZ_ASSIGN_OR_RETURN_IMPL_(PTFUZZ_CONCAT_(ptfuzz_statusor_, __LINE__), lhs, expr)
#define PTFUZZ_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                                  \
  if (!tmp.ok()) return tmp.status();                 \
  lhs = std::move(tmp).value()

#endif  // PTFUZZ_CORE_CHECK_H_
