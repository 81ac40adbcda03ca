// How architecture primitives order, per MachineConfig::arch (core/world.h).
//
// The generic mm code is the same everywhere; what differs is how an arch implements the
// primitives it calls. Only the differences the modelled protocols can observe are here.
#ifndef PTFUZZ_CORE_PROTOCOLS_ARCH_H_
#define PTFUZZ_CORE_PROTOCOLS_ARCH_H_

#include "core/mem_order.h"
#include "core/world.h"

namespace ptfuzz {

// ptep_get_and_clear(): x86-64 native_ptep_get_and_clear() is xchg() (arch/x86/include/asm/
// pgtable_64.h), fully ordered; arm64 __ptep_get_and_clear() is xchg_relaxed()
// (arch/arm64/include/asm/pgtable.h), unordered.
inline MemOrder PtepGetAndClearOrder(const World& world) {
  return world.config().arch == Arch::kArm64 ? MemOrder::kRelaxed : MemOrder::kFull;
}

}  // namespace ptfuzz

#endif  // PTFUZZ_CORE_PROTOCOLS_ARCH_H_
