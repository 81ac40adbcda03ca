// Page-table geometry: how many levels the kernel is built with, how many the MMU walks for the
// mm, and how the levels in between are folded (kernel-mm.md, "page-table folding"; seed 004).
//
// Linux always names five levels (pgd, p4d, pud, pmd, pte). With CONFIG_PGTABLE_LEVELS below five
// the upper ones are *statically folded* (include/asm-generic/pgtable-nop4d.h, -nopud.h,
// -nopmd.h): the folded level has no table, pXd_offset(parent, addr) returns the parent pointer
// cast, and the parent's pXd_none()/pXd_bad() are constant. On top of that a level may be
// *folded at runtime*:
//  - arm64 (pgtable_l5_enabled() / pgtable_l4_enabled(), decided at boot: LPA2 or 52-bit VA not
//    supported): the kernel's pgd_index() keeps the compile-time shift, and the folded level's
//    offset helper recomputes the entry address inside the table its parent pointer points into
//    with its own index (p4d_to_folded_pud(): PTR_ALIGN_DOWN(p4dp, PAGE_SIZE) + pud_index(addr);
//    arch/arm64/include/asm/pgtable.h, v6.9+);
//  - x86-64 with CONFIG_X86_5LEVEL on a CPU without LA57: p4d_offset() returns the pgd pointer
//    itself, and pgd_index() uses the runtime shift (arch/x86/include/asm/pgtable.h);
//  - s390 (per mm, dynamic): the top table's type (region-1, -2 or -3) decides how many levels
//    this mm has; pgd_offset() indexes with the top table's shift, and pXd_offset() of a level the
//    mm does not have returns its argument (arch/s390/include/asm/pgtable.h).
//
// Fan-out stays 512 at every level (9 bits), whatever the architecture's page size: the races are
// about which pointer a walker derives, not about the bit widths.
//
// Positions: a table's position is the number of levels below it (a PTE table is 0). The MMU's
// top table (the mm's pgd) is at position runtime_levels - 1.
#ifndef PTFUZZ_CORE_GEOMETRY_H_
#define PTFUZZ_CORE_GEOMETRY_H_

#include <cstdint>

#include "core/pte.h"

namespace ptfuzz {

// Where a folded level's offset helper points when the level exists in the build but not at run
// time.
enum class RuntimeFold : uint8_t {
  kSamePointer,  // x86-64 (no LA57), s390: the parent pointer itself
  kReindex,      // arm64: the parent pointer's table, re-indexed with the folded level's index
};

struct PtGeometry {
  uint8_t compiled_levels = 4;  // CONFIG_PGTABLE_LEVELS: 2..5
  uint8_t runtime_levels = 4;   // levels the MMU walks: 2..compiled_levels
  RuntimeFold runtime_fold = RuntimeFold::kSamePointer;
  // pgd_index() uses the compile-time shift (arm64) rather than the top table's (x86, s390).
  bool pgd_index_compiled = false;

  bool IsDefault() const { return compiled_levels == 4 && runtime_levels == 4; }
  int TopPosition() const { return runtime_levels - 1; }
  // The logical position of a level in the build: pgd at compiled_levels - 1, the others fixed.
  int LogicalPosition(PtLevel level) const {
    switch (level) {
      case PtLevel::kPgd:
        return compiled_levels - 1;
      case PtLevel::kP4d:
        return 3;
      default:
        return static_cast<int>(level);
    }
  }
  // The level below `level` in Linux's naming (pgd -> p4d -> pud -> pmd -> pte).
  static PtLevel Below(PtLevel level) {
    switch (level) {
      case PtLevel::kPgd:
        return PtLevel::kP4d;
      case PtLevel::kP4d:
        return PtLevel::kPud;
      case PtLevel::kPud:
        return PtLevel::kPmd;
      default:
        return PtLevel::kPte;
    }
  }
  // p4d, pud or pmd compiled away (pgtable-nop4d.h, -nopud.h, -nopmd.h).
  bool StaticallyFolded(PtLevel level) const {
    if (level == PtLevel::kPgd || level == PtLevel::kPte) return false;
    return LogicalPosition(level) >= compiled_levels - 1;
  }
  // Built, but this mm's top table is at or below it: its entry is an entry of the top table.
  bool RuntimeFolded(PtLevel level) const {
    if (level == PtLevel::kPgd || level == PtLevel::kPte || StaticallyFolded(level)) return false;
    return LogicalPosition(level) >= TopPosition();
  }
  bool Folded(PtLevel level) const { return StaticallyFolded(level) || RuntimeFolded(level); }
  // pXd_none()/pXd_bad() of `level` are constant (false): the level below is folded into it, so
  // its value is only handed down (nop4d's pgd_none(), arm64's p4d_none() without l4, s390's
  // entry-type test).
  bool ChecksTrivial(PtLevel level) const { return level != PtLevel::kPte && Folded(Below(level)); }
  // The position of the table a walker must find a `level` entry in: the top table for the pgd
  // and every level folded into it.
  int TablePosition(PtLevel level) const {
    const int p = LogicalPosition(level);
    return p >= TopPosition() ? TopPosition() : p;
  }
  // The level name of the table at `position` (the top one is the pgd).
  PtLevel LevelAtPosition(int position) const {
    if (position == TopPosition()) return PtLevel::kPgd;
    if (position == 3) return PtLevel::kP4d;
    return static_cast<PtLevel>(position);
  }
  // The position of a table whose frame is labelled `level` (FrameInfo::level).
  int PositionOf(PtLevel level) const {
    if (level == PtLevel::kPgd) return TopPosition();
    if (level == PtLevel::kP4d) return 3;
    return static_cast<int>(level);
  }
  // pgd_index(addr).
  uint32_t PgdIndex(VirtAddr vaddr) const {
    return IndexAtPosition(vaddr, pgd_index_compiled ? compiled_levels - 1 : TopPosition());
  }
  // TASK_SIZE: the lower half of what runtime_levels levels translate, minus a guard page, as
  // on x86-64 (2^47 - 4 KiB with four levels, 2^56 - 4 KiB with five).
  VirtAddr TaskSize() const {
    return (uint64_t{1} << (kPageShift + 9 * runtime_levels - 1)) - kPageSize;
  }
};

}  // namespace ptfuzz

#endif  // PTFUZZ_CORE_GEOMETRY_H_
