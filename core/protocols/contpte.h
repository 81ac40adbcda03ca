// arm64 contiguous PTEs (CONFIG_ARM64_CONTPTE; arch/arm64/mm/contpte.c, arch/arm64/include/asm/
// pgtable.h, v6.9-v6.12; kernel-mm.md section 4.2; bug zoo Z20, seed 001).
//
// A naturally aligned block of CONT_PTES entries (MachineConfig::cont_ptes: 4 by default in the
// contpte scenario, 16 in the kernel with 4 KiB pages; fewer keeps searches short without
// changing the protocol) mapping consecutive pfns carries PTE_CONT. The block's access/dirty
// state is the OR over its entries, which hardware updates one descriptor at a time.
//
// Reader, ptep_get_lockless(): READ_ONCE of the entry; if it is valid and contiguous,
// contpte_ptep_get_lockless(): re-read it, then read every entry of the block, retrying unless
// each is valid, contiguous, maps the next pfn and has the same protections, and OR in their
// young/dirty bits. Variants (ProtocolVariant::contpte_read): today's early stop once both bits
// are seen, v6.9's full scan, the scan without the check, and the "norecency" plain read.
// No barriers: independent READ_ONCEs, so the A/D bits are not a snapshot (by design).
//
// Writer, contpte_convert() under the PTL: __ptep_get_and_clear() (xchg_relaxed) every entry
// gathering young/dirty, __flush_tlb_range() of the block (break before make), then __set_ptes()
// of the new entries, with or without PTE_CONT, each carrying the gathered bits.
#ifndef PTFUZZ_CORE_PROTOCOLS_CONTPTE_H_
#define PTFUZZ_CORE_PROTOCOLS_CONTPTE_H_

#include "core/cpu.h"
#include "core/task.h"

namespace ptfuzz {

inline constexpr uint64_t kPteYoungDirty = kPteAccessed | kPteDirty;

// pte_valid_cont().
inline constexpr bool PteValidCont(uint64_t pte) {
  return (pte & kPtePresent) != 0 && (pte & kPteCont) != 0;
}

// contpte_ptep_get_lockless(orig_ptep), per the variant; ptep_get_lockless() calls it after its
// own READ_ONCE found a valid contiguous entry. Reports what it read to the oracles.
Task<Loaded> contpte_ptep_get_lockless(Cpu& cpu, PhysAddr orig_ptep, Dep dep);

// The ACTOR_CONTPTE_UNFOLD_FOLD actor: contpte_try_unfold() then contpte_try_fold() of the
// block containing `addr`, each under the PTL.
Task<void> ContpteUnfoldFoldActor(Cpu& cpu, VirtAddr addr);

}  // namespace ptfuzz

#endif  // PTFUZZ_CORE_PROTOCOLS_CONTPTE_H_
