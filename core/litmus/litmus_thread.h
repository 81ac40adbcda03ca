// LitmusThread: the coroutine that runs one thread of a litmus test on a simulated CPU.
//
// It interprets the thread's statements (core/litmus/litmus.h) in program order. Each shared
// access is exactly one Cpu awaitable (STYLE.md 2.2): READ_ONCE is one VarLoad, xchg one
// VarRmw, smp_mb one Fence; register arithmetic and `if` conditions are local and do not yield.
//
// Dependencies. Every register value carries the Dep token of the load it came from (for a value
// computed from several registers, the largest token among them: the engine hands tokens out in
// increasing order, so that is the latest load). A load through a pointer register passes that
// token, which is how the relaxed model learns of an address dependency. Data and control
// dependencies need no token: the engine never makes a store visible before an earlier load of
// the same CPU has executed (core/relaxed_memory.h).
//
// Not modelled: spin_lock/spin_unlock (skipped; the parser marks such tests unsupported).
#ifndef PTFUZZ_CORE_LITMUS_LITMUS_THREAD_H_
#define PTFUZZ_CORE_LITMUS_LITMUS_THREAD_H_

#include <cstdint>
#include <string>
#include <vector>

#include "core/cpu.h"
#include "core/litmus/litmus.h"
#include "core/task.h"

namespace ptfuzz {

// Runs thread `thread` of `test` on `cpu`. When the thread finishes, `*regs_out` holds its final
// registers (indexed as test.threads[thread].regs). A load or store through a register that does
// not hold a variable's address stops the thread: `*fault_out` (if given) then says where, and
// the registers are as they were at that point.
// REQUIRES: `test` outlives the coroutine; thread < kMaxLitmusThreads.
Task<void> LitmusThread(Cpu& cpu, const LitmusTest& test, int thread,
                        std::vector<uint64_t>* regs_out, std::string* fault_out = nullptr);

}  // namespace ptfuzz

#endif  // PTFUZZ_CORE_LITMUS_LITMUS_THREAD_H_
