// contpte_lockless_read: GUP-fast's ptep_get_lockless() on an arm64 contiguous-PTE block while
// the kernel unfolds and refolds the block and hardware sets access/dirty bits (bug zoo Z20;
// seed 001, Ryan Roberts and David Hildenbrand, Feb-Apr 2024).
//
// The thread's question: what may a lockless read of a contpte block return? Structurally, a
// block (all entries valid and contiguous, consecutive pfns, equal protections), or it retries:
// the consistency check sees any mix of cleared, unfolded and refolded entries. Its young/dirty
// bits are not a snapshot and are the block's (the OR over its entries): GUP-fast does not care,
// a user that maps only dirty pages writable (KVM) would, which is what the "norecency" proposal
// and the optional exact-dirty oracle are about.
//
// Default configuration: ARCH_ARM64, broadcast TLBI, relaxed memory model, CONT_PTES = 4, 16
// frames, 3 CPUs. Pages 0x7f0000000000-0x7f0000003000 are mapped by frames 4-7 (pfns 4-7, an
// aligned run) and start folded, old and clean. GUP-fast on CPU 0 reads page 1 of the block;
// CPU 1 unfolds and refolds the block; CPU 2's user code writes the four pages (its hardware
// sets accessed and dirty, hw_writers).
#ifndef PTFUZZ_CORE_SCENARIOS_CONTPTE_LOCKLESS_READ_H_
#define PTFUZZ_CORE_SCENARIOS_CONTPTE_LOCKLESS_READ_H_

#include "core/scenarios/registry.h"

namespace ptfuzz {

ScenarioSpec ContpteLocklessReadSpec();

}  // namespace ptfuzz

#endif  // PTFUZZ_CORE_SCENARIOS_CONTPTE_LOCKLESS_READ_H_
