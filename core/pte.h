// Page-table entry encoding and virtual-address geometry of the simulated machine.
//
// The layout follows x86-64 4-level paging (arch/x86/include/asm/pgtable_types.h): 4 KiB pages,
// 512 eight-byte entries per table, levels PGD -> (P4D, statically folded into the PGD as with
// CONFIG_PGTABLE_LEVELS=4) -> PUD -> PMD -> PTE. A table entry at any level is
// present | rw | user | accessed plus the pfn of the next table (_PAGE_TABLE); a leaf PTE carries
// present, write, accessed, dirty and the pfn. A huge PMD (pmd_leaf(): _PAGE_PSE set) maps a
// transparent huge page; here the whole huge folio is one frame, so every address of its 2 MiB
// translates to that frame (compound pages and their tails arrive with the folio issue), and its
// pfn is not 2 MiB-aligned. Huge PUDs are not modelled.
//
// An entry's address (a PhysAddr, the name of its location) is its table's frame << 12 | index * 8.
//
// Physical memory layout: frames are populated in banks of kFramesPerBank, one bank at the start
// of every 4 GiB of physical address space, so frame f has pfn FramePfn(f) = (f / 8) << 20 | f % 8.
// A machine with at most 8 frames lives below 4 GiB (entries read as pfn == frame); a larger one
// has memory above 4 GiB, where two frames can share the low 32 bits of their physical address
// and differ only above: the "same low word, different page" of x86-PAE's split entries
// (bug zoo Z08, seed 000). Entry values always carry the pfn, as the hardware's would.
#ifndef PTFUZZ_CORE_PTE_H_
#define PTFUZZ_CORE_PTE_H_

#include <cstdint>

namespace ptfuzz {

using FrameId = uint32_t;
using CpuId = uint32_t;
using PhysAddr = uint64_t;
using VirtAddr = uint64_t;

inline constexpr FrameId kNoFrame = 0xffffffffu;
inline constexpr uint64_t kPageShift = 12;
inline constexpr uint64_t kPageSize = uint64_t{1} << kPageShift;
// PTRS_PER_PTE / PTRS_PER_PMD / PTRS_PER_PUD / PTRS_PER_PGD on x86-64.
inline constexpr uint32_t kPtrsPerTable = 512;
// TASK_SIZE_MAX on x86-64 with 4-level paging: 2^47 minus one guard page.
inline constexpr VirtAddr kTaskSize = (uint64_t{1} << 47) - kPageSize;

// Page-table levels, named as Linux names them. A table's position is how many levels sit below
// it (pte 0, pmd 1, pud 2, p4d 3); the top table, the mm's pgd, sits at the machine's top position
// (3 in the default four-level geometry, core/geometry.h), which is why kPgd keeps the value 3 and
// kP4d, the level the default geometry folds away, comes last.
enum class PtLevel : uint8_t { kPte = 0, kPmd = 1, kPud = 2, kPgd = 3, kP4d = 4 };

inline constexpr const char* PtLevelName(PtLevel level) {
  switch (level) {
    case PtLevel::kPte: return "pte";
    case PtLevel::kPmd: return "pmd";
    case PtLevel::kPud: return "pud";
    case PtLevel::kPgd: return "pgd";
    case PtLevel::kP4d:
      return "p4d";
  }
  return "?";
}

// Index of `vaddr` in the table at `position` (0: a PTE table): the hardware's index.
inline constexpr uint32_t IndexAtPosition(VirtAddr vaddr, int position) {
  return static_cast<uint32_t>((vaddr >> (kPageShift + 9 * position)) & (kPtrsPerTable - 1));
}
// Index of `vaddr` in a table of `level`: pte_index(), pmd_index(), pud_index(), p4d_index(), and
// pgd_index() of the default four-level geometry (other geometries: World::PgdIndex()).
inline constexpr uint32_t TableIndex(VirtAddr vaddr, PtLevel level) {
  return IndexAtPosition(vaddr, level == PtLevel::kP4d ? 3 : static_cast<int>(level));
}

inline constexpr PhysAddr EntryAddr(FrameId table, uint32_t index) {
  return (PhysAddr{table} << kPageShift) | (PhysAddr{index} << 3);
}
inline constexpr FrameId AddrFrame(PhysAddr pa) { return static_cast<FrameId>(pa >> kPageShift); }
inline constexpr uint32_t AddrIndex(PhysAddr pa) {
  return static_cast<uint32_t>((pa & (kPageSize - 1)) >> 3);
}

// _PAGE_* bits (arch/x86/include/asm/pgtable_types.h).
inline constexpr uint64_t kPtePresent = 1u << 0;
inline constexpr uint64_t kPteWrite = 1u << 1;
inline constexpr uint64_t kPteUser = 1u << 2;
inline constexpr uint64_t kPteAccessed = 1u << 5;
inline constexpr uint64_t kPteDirty = 1u << 6;
// _PAGE_PSE: in a PMD, the entry maps a huge page instead of pointing to a PTE table.
inline constexpr uint64_t kPtePse = 1u << 7;
// arm64 PTE_CONT (bit 52): the entry is part of a naturally aligned block of CONT_PTES entries
// mapping consecutive pfns, which the TLB may cache as one (arch/arm64/include/asm/
// pgtable-hwdef.h). The other bits keep the x86 names: on arm64 kPtePresent is PTE_VALID,
// kPteAccessed PTE_AF, and kPteDirty stands for "written" (PTE_DIRTY, or DBM with PTE_RDONLY
// clear).
inline constexpr uint64_t kPteCont = uint64_t{1} << 52;
inline constexpr uint64_t kPtePfnMask = ((uint64_t{1} << 52) - 1) & ~(kPageSize - 1);
// _PAGE_TABLE: what pmd_populate() / pud_populate() / pgd_populate() install.
inline constexpr uint64_t kTableEntryFlags = kPtePresent | kPteWrite | kPteUser | kPteAccessed;
// What do_anonymous_page() installs for a write fault on a private anonymous VMA:
// mk_pte(page, vma->vm_page_prot) made young, dirty and writable.
inline constexpr uint64_t kAnonPteFlags =
    kPtePresent | kPteWrite | kPteUser | kPteAccessed | kPteDirty;
// What collapse_huge_page() installs: mk_huge_pmd() (pmd_mkhuge: _PAGE_PSE) of the new folio,
// maybe_pmd_mkwrite(pmd_mkdirty()) on a writable VMA.
inline constexpr uint64_t kAnonHugePmdFlags = kAnonPteFlags | kPtePse;
// The span a PMD maps (HPAGE_PMD_SIZE).
inline constexpr uint64_t kPmdSize = uint64_t{1} << (kPageShift + 9);

inline constexpr bool EntryPresent(uint64_t entry) { return (entry & kPtePresent) != 0; }
inline constexpr bool EntryNone(uint64_t entry) { return entry == 0; }
// pmd_leaf() / pmd_trans_huge() of a present PMD.
inline constexpr bool PmdHuge(uint64_t pmd) { return EntryPresent(pmd) && (pmd & kPtePse) != 0; }
inline constexpr bool PteWrite(uint64_t entry) { return (entry & kPteWrite) != 0; }

inline constexpr uint32_t kFramesPerBank = 8;
inline constexpr uint64_t kPfnsPer4GiB = uint64_t{1} << 20;
inline constexpr uint64_t FramePfn(FrameId frame) {
  return uint64_t{frame / kFramesPerBank} * kPfnsPer4GiB + frame % kFramesPerBank;
}
// The frame at `pfn`, or kNoFrame where no memory is populated (a hole between banks).
inline constexpr FrameId PfnFrame(uint64_t pfn) {
  const uint64_t slot = pfn % kPfnsPer4GiB;
  const uint64_t bank = pfn / kPfnsPer4GiB;
  if (slot >= kFramesPerBank || bank >= (uint64_t{1} << 28)) return kNoFrame;
  return static_cast<FrameId>(bank * kFramesPerBank + slot);
}
// The frame an entry's pfn names; kNoFrame when it names no populated memory. Callers compare
// with the machine's frame count (pfn_valid()).
inline constexpr FrameId EntryFrame(uint64_t entry) {
  return PfnFrame((entry & kPtePfnMask) >> kPageShift);
}
inline constexpr uint64_t MakeEntry(FrameId frame, uint64_t flags) {
  return (FramePfn(frame) << kPageShift) | flags;
}

// Kernel stacks. Each CPU's stack page sits outside the frames of physical memory, at frame id
// kStackFrameBase + cpu, so a pointer to a walker's local (`&pgd`) is an address like any table
// entry's and the walkers' pointer arithmetic (pudp++, PTR_ALIGN_DOWN()) applies to it unchanged
// (bug zoo Z04, Z05). Only the spilled locals are modelled (World::SpillLocal); every other word
// of the page reads as StackGarbage(): a saved frame pointer, never a page-table entry.
inline constexpr FrameId kStackFrameBase = 0x40000000u;
inline constexpr FrameId StackFrame(CpuId cpu) { return kStackFrameBase + cpu; }
inline constexpr bool IsStackAddr(PhysAddr pa) {
  return (pa >> kPageShift) >= kStackFrameBase && (pa >> kPageShift) < kStackFrameBase + 64;
}
// Where gup_fast_pgd_range()'s `pgd` local lives, and the words between the locals of nested
// level functions (gup_fast_p4d_range()'s `p4d` is one frame lower, and so on).
inline constexpr uint32_t kStackPgdWord = 40;
// World::StackSource() of a word that holds no copy of an entry (0 is a real slot's address).
inline constexpr PhysAddr kNoSlot = ~PhysAddr{0};
inline constexpr uint32_t kStackFrameWords = 10;
inline constexpr uint64_t StackGarbage(PhysAddr pa) {
  return 0xffffc90000000000ull | ((pa & 0xfffff) << 4);
}

// folio->mapping values (include/linux/page-flags.h): PAGE_MAPPING_ANON tags an anon_vma pointer;
// a file folio's is its inode's address_space, here InodeMapping(i), a kernel address. Freeing an
// inode poisons its memory (SLAB_POISON's 0x6b bytes).
inline constexpr uint64_t kPageMappingAnon = 1;
inline constexpr uint64_t InodeMapping(uint32_t inode) {
  return 0xffff888000100000ull + uint64_t{inode} * 0x400;
}
inline constexpr uint32_t MappingInode(uint64_t mapping) {
  return static_cast<uint32_t>((mapping - 0xffff888000100000ull) / 0x400);
}
// address_space->a_ops of a live shmem inode (shmem_aops), and what a freed one holds.
inline constexpr uint64_t kShmemAops = 0xffffffff82a1c0c0ull;
inline constexpr uint64_t kSlabPoison = 0x6b6b6b6b6b6b6b6bull;

// x86-PAE split entries (arch/x86/include/asm/pgtable-3level_types.h): pte_low holds the flags
// (present, rw, user, accessed, dirty) and pfn bits 0-19, pte_high pfn bits 20 and up (and NX,
// not modelled). Hardware and the lockless readers see each half as its own 32-bit word.
inline constexpr uint32_t EntryLow(uint64_t entry) { return static_cast<uint32_t>(entry); }
inline constexpr uint32_t EntryHigh(uint64_t entry) { return static_cast<uint32_t>(entry >> 32); }
inline constexpr uint64_t JoinHalves(uint64_t low, uint64_t high) {
  return (high << 32) | (low & 0xffffffffu);
}

}  // namespace ptfuzz

#endif  // PTFUZZ_CORE_PTE_H_
