// gup_vs_madv_free: GUP-fast (direct I/O) racing reclaim of a lazyfree (MADV_FREE) page (bug zoo
// Z12; fix 6c8e2a256915 "mm: fix race between MADV_FREE reclaim and blkdev direct IO read").
//
// Reclaim clears the PTE and, unless it sees a reference besides its own and the mappings',
// discards the page: a GUP reference the direct I/O still holds then writes into a page the mm
// no longer maps, and the user reads zeroes. The fix is a store-buffering handshake: reclaim
// clears, smp_mb(), reads the refcount; GUP-fast takes its reference (a value-returning atomic, a
// full barrier) and rechecks the PTE. Either reclaim sees the reference or GUP-fast sees the
// clear. Without the check (the original MADV_FREE code) the bug is reachable under SC; without
// only the smp_mb() it needs a reordering, which x86's xchg (a full barrier itself) forbids and
// arm64's xchg_relaxed allows.
//
// Default configuration: 2 CPUs, IPI flushes, 8 frames; page A = 0x7f0000000000 mapped (lazyfree,
// clean) and in CPU 0's TLB; GUP-fast on CPU 0 at A, reclaim on CPU 1 at A.
#ifndef PTFUZZ_CORE_SCENARIOS_GUP_VS_MADV_FREE_H_
#define PTFUZZ_CORE_SCENARIOS_GUP_VS_MADV_FREE_H_

#include "core/scenarios/registry.h"

namespace ptfuzz {

ScenarioSpec GupVsMadvFreeSpec();

}  // namespace ptfuzz

#endif  // PTFUZZ_CORE_SCENARIOS_GUP_VS_MADV_FREE_H_
