// geometry_walk_arm64 and geometry_walk_s390: GUP-fast's lockless walk on folded page tables
// (bug zoo Z04, Z05; seed 004, Will Deacon and Ard Biesheuvel, Jul 2024).
//
// The thread's question: where may pXd_offset_lockless() point when a level is folded? GUP-fast
// loads each level once into a local and hands pointer and value down; the generic helpers are
// pXd_offset(&local, addr), so at a folded level the "pointer" is the address of a local on the
// walker's stack. That is harmless while nobody steps or re-indexes from it, and a bug when
// someone does:
//  - arm64 (Z04): with CONFIG_PGTABLE_LEVELS = 4 the p4d is folded statically and the generic
//    p4d_offset_lockless() returns &pgd; with the PUD folded at run time (no LPA2, e.g. 16K
//    pages on Apple M1 as Asahi Lina reported) pud_offset_lockless() re-indexes that pointer's
//    page with pud_index(addr) (p4d_to_folded_pud()): a stack word is read as the pud. Fixed by
//    36639013b346 (v6.11), which passes the live pgdp down and so loads the same entry twice.
//  - s390 (Z05): an mm with three levels has its region-3 table on top; before d3f7b1bb2040
//    (v5.10) gup_pud_range() called pud_offset(&p4d, addr), which for the folded level returns
//    that pointer, and a range crossing a region-3 boundary stepped pudp++ off the local into
//    the next stack word. The fix introduced pXd_offset_lockless() with the live pointer and
//    pXd_addr_end_folded().
// Neither bug needs a writer; a concurrent fault populates tables in the same walk so the fixed
// variants are searched with the tables changing underneath.
//
// Defaults: geometry_walk_arm64: ARCH_ARM64, relaxed, broadcast TLBI, 4 levels built, 3 walked;
// GUP-fast of page 0x2000000000 (pud index 128) on CPU 0, a write fault at 0x200000 (pud index
// 0: the top-table entry GUP-fast's pgd_index() also points at) on CPU 1. geometry_walk_s390: ARCH_S390 (TSO-like), broadcast flushes, 5 levels
// built, 3 walked (a region-3 table on top); GUP-fast of the two pages 0x3ffff000 and
// 0x40000000 (across the 1 GiB boundary of a region-3 entry) on CPU 0, a write fault at
// 0x40200000 on CPU 1.
#ifndef PTFUZZ_CORE_SCENARIOS_GEOMETRY_WALK_H_
#define PTFUZZ_CORE_SCENARIOS_GEOMETRY_WALK_H_

#include "core/scenarios/registry.h"

namespace ptfuzz {

ScenarioSpec GeometryWalkArm64Spec();
ScenarioSpec GeometryWalkS390Spec();

}  // namespace ptfuzz

#endif  // PTFUZZ_CORE_SCENARIOS_GEOMETRY_WALK_H_
