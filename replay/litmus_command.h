// `ptfuzz litmus`: runs Linux-kernel memory model litmus tests (the kernel's C format,
// tools/memory-model/litmus-tests) under the simulator's memory models and reports herd's
// verdict for each. core/litmus/explore.h says what the verdicts mean and when the answer is
// Unsupported; `ptfuzz litmus --help` (kLitmusUsage in litmus_command.cc) lists the flags.
#ifndef PTFUZZ_REPLAY_LITMUS_COMMAND_H_
#define PTFUZZ_REPLAY_LITMUS_COMMAND_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "core/litmus/litmus.h"

namespace ptfuzz {

// ParseLitmusFile() plus the checks the engine relies on: a thread releases only a spinlock it
// holds on every path there (the engine CHECK-fails on an unlock by a non-owner). Errors read
// "FILE:LINE: what is wrong".
absl::StatusOr<LitmusTest> LoadLitmusFile(const std::string& path);

// Exit codes as in replay/commands.h: 0 done (and, with --expect, every verdict as expected),
// 1 some verdict disagrees with the file's expectation, 2 usage, input or parse error.
int LitmusCommand(const std::vector<std::string>& args);

}  // namespace ptfuzz

#endif  // PTFUZZ_REPLAY_LITMUS_COMMAND_H_
