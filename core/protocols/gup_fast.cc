#include "core/protocols/gup_fast.h"

#include <vector>

#include "core/protocols/folio_ref.h"
#include "core/protocols/pgtable.h"
#include "core/protocols/pgtable_lockless.h"
#include "core/world.h"

namespace ptfuzz {

namespace {

// One gup_fast() call: what it gathers, in address order.
struct GupWalk {
  bool pin = false;
  bool write = false;           // FOLL_WRITE
  bool longterm_write = false;  // FOLL_LONGTERM | FOLL_WRITE: gup_fast_folio_allowed() applies
  std::vector<FrameId> pages;
};

// pte_same() in the recheck; the injected PAE bug compares only the low halves.
bool PteSame(const ProtocolVariant& variant, uint64_t a, uint64_t b) {
  return variant.gup_pte_recheck_whole ? a == b : EntryLow(a) == EntryLow(b);
}

// The table slot a pointer stands for: itself, or for a pointer to a walker's local copy, the
// slot the copy came from (kNoSlot: none). What the oracles track.
PhysAddr SlotOf(const World& world, PhysAddr p) {
  return IsStackAddr(p) ? world.StackSource(p) : p;
}

// Whether pXd_offset_lockless() for `level` is handed the live parent pointer, or the address of
// the caller's local copy of the parent entry (include/linux/pgtable.h: the generic helpers are
// pXd_offset(&pXd, addr); before v5.10 every walker called pXd_offset(&local, addr)).
bool GetsLivePointer(const World& world, PtLevel level) {
  const PtGeometry& g = world.geometry();
  const Arch arch = world.config().arch;
  switch (world.variant().gup_lockless_offset) {
    case LocklessOffset::kStackCopy:
      return false;
    case LocklessOffset::kFixed:
      // 36639013b346 (v6.11): arm64's p4d_offset_lockless() when CONFIG_PGTABLE_LEVELS <= 4
      // returns p4d_offset(pgdp, addr), the live pointer.
      if (arch == Arch::kArm64 && level == PtLevel::kP4d && g.compiled_levels <= 4) return true;
      [[fallthrough]];
    case LocklessOffset::kGeneric:
      // s390 overrides every level (d3f7b1bb2040); arm64 the pud (runtime PUD folding,
      // 0dd4f60a2c76) and, with five levels built, the p4d (pgd_to_folded_p4d()).
      if (arch == Arch::kS390) return true;
      if (arch == Arch::kArm64) {
        return level == PtLevel::kPud || (level == PtLevel::kP4d && g.compiled_levels == 5);
      }
      return false;
  }
  return false;
}

// pXd_offset_lockless(parentp, parent, addr) for the child `level`; `parent_local` is the address
// of the caller's local holding `parent`.
PhysAddr pxd_offset_lockless(const World& world, PtLevel level, PhysAddr parentp,
                             PhysAddr parent_local, uint64_t parent, VirtAddr addr) {
  const PtGeometry& g = world.geometry();
  const PhysAddr p = GetsLivePointer(world, level) ? parentp : parent_local;
  // pgtable-nopXd.h: pXd_offset(p, addr) is (pXd_t *)p.
  if (g.StaticallyFolded(level)) return p;
  if (g.RuntimeFolded(level)) {
    // arm64 p4d_to_folded_pud() / pgd_to_folded_p4d(): PTR_ALIGN_DOWN(p, PAGE_SIZE) plus the
    // folded level's own index. x86 p4d_offset() without LA57, s390 pXd_offset() of a level the
    // mm's table type says it lacks: p itself.
    if (g.runtime_fold == RuntimeFold::kReindex) {
      return (p & ~(kPageSize - 1)) |
             (PhysAddr{IndexAtPosition(addr, g.LogicalPosition(level))} << 3);
    }
    return p;
  }
  // A level the mm has: the table the parent value names (from the value, not a re-read).
  return EntryAddr(EntryFrame(parent), IndexAtPosition(addr, g.LogicalPosition(level)));
}

// pXd_addr_end(addr, end): the end of the `level` entry's span containing addr, capped at end.
VirtAddr pxd_addr_end(const World& world, PtLevel level, VirtAddr addr, VirtAddr end) {
  const PtGeometry& g = world.geometry();
  // pgtable-nopXd.h: a statically folded level spans the whole range.
  if (g.StaticallyFolded(level)) return end;
  const Arch arch = world.config().arch;
  int position = g.LogicalPosition(level);
  if (arch == Arch::kS390 && world.variant().gup_lockless_offset != LocklessOffset::kStackCopy &&
      position >= g.TopPosition()) {
    // s390 pXd_addr_end_folded() (d3f7b1bb2040): the span of the entry's own table type.
    position = g.TopPosition();
  } else if (level == PtLevel::kPgd && arch == Arch::kX86_64) {
    // x86-64: PGDIR_SHIFT follows pgtable_l5_enabled() at run time.
    position = g.TopPosition();
  }
  const uint64_t size = uint64_t{1} << (kPageShift + 9 * position);
  const VirtAddr boundary = (addr + size) & ~(size - 1);
  return boundary - 1 < end - 1 ? boundary : end;
}

// gup_fast_folio_allowed() for FOLL_LONGTERM | FOLL_WRITE (mm/gup.c, a6e79df92e4a, v6.5+): a
// long-term writable pin of a file folio is refused unless the file is shmem (or anon), since
// writeback cannot handle pages written behind its back. The reference held keeps the folio, not
// its mapping: the folio may be truncated and the inode freed meanwhile, so folio->mapping is read
// exactly once and dereferenced only because inodes are RCU-freed and interrupts are off (an RCU
// reader) here (Z19).
Task<bool> gup_fast_folio_allowed(Cpu& cpu, FrameId folio) {
  PTFUZZ_KERNEL_FUNC(cpu, "gup_fast_folio_allowed", "mm/gup.c");
  const Loaded mapping = co_await cpu.LoadLoc(FolioMappingLoc(folio), MemOrder::kOnce);
  // Truncated (or never in a file): refuse; the slow path sorts it out.
  if (mapping.value == 0) co_return false;
  // PAGE_MAPPING_FLAGS: an anon_vma (or movable) tag, no dereference.
  if ((mapping.value & 3) != 0) co_return (mapping.value & kPageMappingAnon) != 0;
  // shmem_mapping(mapping): mapping->a_ops == &shmem_aops, through the loaded pointer.
  const Loaded aops =
      co_await cpu.LoadLoc(InodeLoc(MappingInode(mapping.value)), MemOrder::kPlain, mapping.dep);
  co_return aops.value == kShmemAops;
}

// Bails out of GUP-fast with the reference just taken on `folio` for `addr`.
Task<bool> gup_fast_undo(Cpu& cpu, VirtAddr addr, FrameId folio, bool pin) {
  cpu.world->oracles().OnGupRefDropped(cpu, addr);
  co_await gup_put_folio(cpu, folio, pin);
  co_return false;
}

Task<bool> gup_fast_pte_range(Cpu& cpu, PhysAddr pmdp, Loaded pmd, VirtAddr addr, VirtAddr end,
                              GupWalk& walk) {
  PTFUZZ_KERNEL_FUNC(cpu, "gup_fast_pte_range", "mm/gup.c");
  World& world = *cpu.world;
  const ProtocolVariant& variant = world.variant();
  const PhysAddr pmd_slot = SlotOf(world, pmdp);
  do {
    // pte_offset_map(&pmd, addr): the table address comes from the local copy of the pmd, so
    // the PTE load is address-dependent on the pmd load.
    const PhysAddr ptep = EntryAddr(EntryFrame(pmd), TableIndex(addr, PtLevel::kPte));
    const Loaded pte = co_await ptep_get_lockless(cpu, ptep, pmd.dep);
    world.oracles().OnWalkLoad(cpu, PtLevel::kPte, addr, ptep, pte.value);
    // pte_protnone() / pte_access_permitted(pte, flags & FOLL_WRITE): present, user, and
    // writable for FOLL_WRITE.
    if (!EntryPresent(pte) || (pte & kPteUser) == 0 || (walk.write && !PteWrite(pte))) {
      co_return false;
    }
    const FrameId page = EntryFrame(pte);
    // pte_page(): no pfn_valid() here (only a debug assertion), so a present entry naming no
    // memory sends the try-get to a struct page that does not exist. On x86-PAE a torn value
    // (two real entries' halves, Z08) may name a hole between memory banks; whether that struct
    // page exists depends on the memory model (SPARSEMEM sections), so there it bails out, as
    // before, and the torn-entry oracle judges the value.
    if (page >= world.memory().num_frames()) {
      if (!world.SplitEntries(PtLevel::kPte)) world.oracles().OnMissingPage(cpu, ptep, pte.value);
      co_return false;
    }
    const FrameId folio = co_await try_grab_folio_fast(cpu, page, walk.pin, pte.dep);
    if (folio == kNoFrame) co_return false;
    // The reference is held from here on: the oracle checks that the slots this walker read
    // still map the page at some instant while it is held (kernel-mm.md section 12).
    world.oracles().OnGupRefTaken(cpu, addr, page, pmd_slot, ptep);
    // The rechecks rely on the full barrier implied by the successful value-returning atomic in
    // try_grab_folio_fast(): they cannot be satisfied from before the reference was taken.
    if (variant.gup_pmd_recheck && pmd.value != co_await pmdp_get_lockless(cpu, pmdp)) {
      co_return co_await gup_fast_undo(cpu, addr, folio, walk.pin);
    }
    if (variant.gup_pte_recheck &&
        !PteSame(variant, pte, co_await ptep_get_lockless(cpu, ptep, pmd.dep))) {
      co_return co_await gup_fast_undo(cpu, addr, folio, walk.pin);
    }
    if (walk.longterm_write && !co_await gup_fast_folio_allowed(cpu, folio)) {
      co_return co_await gup_fast_undo(cpu, addr, folio, walk.pin);
    }
    // The page goes to the caller: the PTE value it came from must be one the entry held, and
    // the reference must be on the folio that contains the page.
    world.oracles().OnEntryUse(cpu, ptep, pte, Oracles::EntryUse::kReturnedPage);
    world.oracles().OnGupFolioReturned(cpu, addr, page, folio);
    walk.pages.push_back(page);
    addr += kPageSize;
  } while (addr != end);
  co_return true;
}

// A huge PMD: the folio it maps, rechecked against the PMD after the try-get. The kernel takes
// the references of every page in [addr, end) with one atomic add; here one per page.
Task<bool> gup_fast_pmd_leaf(Cpu& cpu, PhysAddr pmdp, Loaded pmd, VirtAddr addr, VirtAddr end,
                             GupWalk& walk) {
  PTFUZZ_KERNEL_FUNC(cpu, "gup_fast_pmd_leaf", "mm/gup.c");
  World& world = *cpu.world;
  // pmd_access_permitted(orig, write=false): present and user.
  if ((pmd & kPteUser) == 0) co_return false;
  // pmd_page(orig) + the subpage: the whole huge folio is one frame here (core/pte.h).
  const FrameId page = EntryFrame(pmd);
  if (page >= world.memory().num_frames()) {
    if (!world.SplitEntries(PtLevel::kPmd)) world.oracles().OnMissingPage(cpu, pmdp, pmd.value);
    co_return false;
  }
  for (; addr != end; addr += kPageSize) {
    const FrameId folio = co_await try_grab_folio_fast(cpu, page, walk.pin, pmd.dep);
    if (folio == kNoFrame) co_return false;
    world.oracles().OnGupRefTaken(cpu, addr, page, SlotOf(world, pmdp), /*ptep=*/0);
    // pmd_val(orig) != pmd_val(*pmdp): a plain dereference (two loads on PAE), after the
    // try-get's full barrier.
    if (pmd.value != co_await pxx_get(cpu, pmdp, PtLevel::kPmd, MemOrder::kPlain, pmd.dep)) {
      co_return co_await gup_fast_undo(cpu, addr, folio, walk.pin);
    }
    // The huge-PMD pfn goes to the caller: the PMD must have held that value.
    world.oracles().OnEntryUse(cpu, pmdp, pmd, Oracles::EntryUse::kReturnedPage);
    walk.pages.push_back(page);
  }
  co_return true;
}

Task<bool> gup_fast_pmd_range(Cpu& cpu, PhysAddr pudp, PhysAddr pud_local, Loaded pud,
                              VirtAddr addr, VirtAddr end, GupWalk& walk) {
  PTFUZZ_KERNEL_FUNC(cpu, "gup_fast_pmd_range", "mm/gup.c");
  World& world = *cpu.world;
  PhysAddr pmdp = pxd_offset_lockless(world, PtLevel::kPmd, pudp, pud_local, pud.value, addr);
  do {
    // pmdp_get_lockless() since 1180e732c985 (v6.2); READ_ONCE(*pmdp) before, two loads on PAE.
    const Loaded pmd = co_await pmd_read_as(cpu, pmdp, pud.dep, world.variant().gup_pmd_read);
    world.oracles().OnWalkLoad(cpu, PtLevel::kPmd, addr, pmdp, pmd.value);
    const VirtAddr next = pxd_addr_end(world, PtLevel::kPmd, addr, end);
    if (!EntryPresent(pmd)) co_return false;
    if (PmdHuge(pmd)) {
      if (!co_await gup_fast_pmd_leaf(cpu, pmdp, pmd, addr, next, walk)) co_return false;
    } else {
      world.oracles().OnEntryUse(cpu, pmdp, pmd, Oracles::EntryUse::kTablePointer);
      if (!co_await gup_fast_pte_range(cpu, pmdp, pmd, addr, next, walk)) co_return false;
    }
    pmdp += 8;
    addr = next;
  } while (addr != end);
  co_return true;
}

// One upper level's entry, loaded through `p` (READ_ONCE), checked and kept in a local whose
// address the next level's offset helper may take.
struct UpperEntry {
  Loaded value;
  PhysAddr local;  // &pXd
  bool none;       // pXd_none(): a real check, or constant false for a folded level below
};

// After the READ_ONCE of an upper entry `v` through `p`: the oracle's look, the level's check and
// the local. CPU-local (no step), so not a coroutine of its own.
UpperEntry KeepUpper(Cpu& cpu, PtLevel level, PhysAddr p, Loaded v, VirtAddr addr) {
  World& world = *cpu.world;
  world.oracles().OnWalkLoad(cpu, level, addr, p, v.value);
  const bool none = !world.geometry().ChecksTrivial(level) && !EntryPresent(v);
  return UpperEntry{v, world.SpillLocal(cpu, level, v, p), none};
}

Task<bool> gup_fast_pud_range(Cpu& cpu, PhysAddr p4dp, PhysAddr p4d_local, Loaded p4d,
                              VirtAddr addr, VirtAddr end, GupWalk& walk) {
  PTFUZZ_KERNEL_FUNC(cpu, "gup_fast_pud_range", "mm/gup.c");
  World& world = *cpu.world;
  PhysAddr pudp = pxd_offset_lockless(world, PtLevel::kPud, p4dp, p4d_local, p4d.value, addr);
  do {
    const UpperEntry pud =
        KeepUpper(cpu, PtLevel::kPud, pudp,
                  co_await cpu.Load(pudp, PtLevel::kPud, MemOrder::kOnce, p4d.dep), addr);
    const VirtAddr next = pxd_addr_end(world, PtLevel::kPud, addr, end);
    if (pud.none) co_return false;
    if (!co_await gup_fast_pmd_range(cpu, pudp, pud.local, pud.value, addr, next, walk)) {
      co_return false;
    }
    pudp += 8;
    addr = next;
  } while (addr != end);
  co_return true;
}

Task<bool> gup_fast_p4d_range(Cpu& cpu, PhysAddr pgdp, PhysAddr pgd_local, Loaded pgd,
                              VirtAddr addr, VirtAddr end, GupWalk& walk) {
  PTFUZZ_KERNEL_FUNC(cpu, "gup_fast_p4d_range", "mm/gup.c");
  World& world = *cpu.world;
  PhysAddr p4dp = pxd_offset_lockless(world, PtLevel::kP4d, pgdp, pgd_local, pgd.value, addr);
  do {
    const UpperEntry p4d =
        KeepUpper(cpu, PtLevel::kP4d, p4dp,
                  co_await cpu.Load(p4dp, PtLevel::kP4d, MemOrder::kOnce, pgd.dep), addr);
    const VirtAddr next = pxd_addr_end(world, PtLevel::kP4d, addr, end);
    if (p4d.none) co_return false;
    if (!co_await gup_fast_pud_range(cpu, p4dp, p4d.local, p4d.value, addr, next, walk)) {
      co_return false;
    }
    p4dp += 8;
    addr = next;
  } while (addr != end);
  co_return true;
}

Task<bool> gup_fast_pgd_range(Cpu& cpu, VirtAddr addr, VirtAddr end, GupWalk& walk) {
  PTFUZZ_KERNEL_FUNC(cpu, "gup_fast_pgd_range", "mm/gup.c");
  World& world = *cpu.world;
  // pgd_offset(current->mm, addr).
  PhysAddr pgdp = world.PgdOffset(cpu, addr);
  do {
    // pgdp_get(): READ_ONCE (the pgd itself is the mm's, reached without a dependency).
    const UpperEntry pgd = KeepUpper(cpu, PtLevel::kPgd, pgdp,
                                     co_await cpu.Load(pgdp, PtLevel::kPgd, MemOrder::kOnce), addr);
    const VirtAddr next = pxd_addr_end(world, PtLevel::kPgd, addr, end);
    if (pgd.none) co_return false;
    if (!co_await gup_fast_p4d_range(cpu, pgdp, pgd.local, pgd.value, addr, next, walk)) {
      co_return false;
    }
    pgdp += 8;
    addr = next;
  } while (addr != end);
  co_return true;
}

}  // namespace

Task<std::vector<FrameId>> gup_fast(Cpu& cpu, VirtAddr addr, uint32_t nr_pages, bool pin,
                                    bool longterm_write, bool write) {
  PTFUZZ_KERNEL_FUNC(cpu, "gup_fast", "mm/gup.c");
  World& world = *cpu.world;
  Oracles& oracles = world.oracles();
  const VirtAddr end = addr + uint64_t{nr_pages} * kPageSize;
  for (VirtAddr a = addr; a != end; a += kPageSize) oracles.OnGupBegin(cpu, a);
  GupWalk walk;
  walk.pin = pin;
  walk.longterm_write = longterm_write;
  walk.write = write;
  // FOLL_PIN against a concurrent fork(): copy_page_range() holds mm->write_protect_seq odd while
  // it decides which pages to share and write-protects them. Only a forking mm has a writer
  // (World::Contended()); elsewhere the reads would always find 0.
  const bool seq_checked =
      pin && world.Contended(WriteProtectSeqLoc(cpu.mm)) && world.variant().gup_write_protect_seq;
  uint64_t seq = 0;
  if (seq_checked) {
    // raw_read_seqcount(): READ_ONCE(), smp_rmb().
    seq = (co_await cpu.LoadLoc(WriteProtectSeqLoc(cpu.mm), MemOrder::kOnce)).value;
    co_await cpu.Fence(FenceKind::kRmb);
    if (seq & 1) {
      for (uint32_t i = 0; i < nr_pages; ++i) oracles.OnGupReturn(cpu, kNoFrame);
      co_return std::vector<FrameId>{};
    }
  }
  co_await cpu.IrqDisable();  // local_irq_save()
  co_await gup_fast_pgd_range(cpu, addr, end, walk);
  co_await cpu.IrqEnable();  // local_irq_restore()
  if (seq_checked) {
    // read_seqcount_retry(): smp_rmb(), then the sequence must be unchanged; otherwise
    // gup_fast_unpin_user_pages() and fail (the caller falls back to the slow path).
    co_await cpu.Fence(FenceKind::kRmb);
    const Loaded now = co_await cpu.LoadLoc(WriteProtectSeqLoc(cpu.mm), MemOrder::kOnce);
    if (now.value != seq) {
      // gup_fast_unpin_user_pages(): the folio of each page, looked up again.
      for (size_t i = 0; i < walk.pages.size(); ++i) {
        cpu.world->oracles().OnGupRefDropped(cpu, addr + i * kPageSize);
        co_await gup_put_folio(cpu, co_await page_folio(cpu, walk.pages[i]), pin);
      }
      walk.pages.clear();
    }
  }
  // The pages gathered are the first ones of the range, in order; the walk stopped at the rest.
  for (uint32_t i = 0; i < nr_pages; ++i) {
    oracles.OnGupReturn(cpu, i < walk.pages.size() ? walk.pages[i] : kNoFrame);
  }
  co_return std::move(walk.pages);
}

Task<void> GupFastActor(Cpu& cpu, VirtAddr addr, uint32_t nr_pages) {
  PTFUZZ_KERNEL_FUNC(cpu, "get_user_pages_fast_only", "mm/gup.c");
  const std::vector<FrameId> pages = co_await gup_fast(cpu, addr, nr_pages, /*pin=*/false);
  // The caller is done with the pages (e.g. the I/O completed): put_page() each.
  if (!pages.empty()) cpu.world->oracles().OnGupRelease(cpu);
  for (const FrameId page : pages) co_await put_page(cpu, page);
}

Task<void> GupFastPinActor(Cpu& cpu, VirtAddr addr, uint32_t nr_pages) {
  PTFUZZ_KERNEL_FUNC(cpu, "pin_user_pages_fast", "mm/gup.c");
  const std::vector<FrameId> pages = co_await gup_fast(cpu, addr, nr_pages, /*pin=*/true);
  // The DMA completed: unpin_user_pages() -> gup_put_folio(FOLL_PIN) each.
  if (!pages.empty()) cpu.world->oracles().OnGupRelease(cpu);
  for (const FrameId page : pages) co_await unpin_user_page(cpu, page);
}

Task<void> GupFastPinDmaActor(Cpu& cpu, VirtAddr addr) {
  PTFUZZ_KERNEL_FUNC(cpu, "pin_user_pages_fast", "mm/gup.c");
  const std::vector<FrameId> pages = co_await gup_fast(cpu, addr, 1, /*pin=*/true,
                                                       /*longterm_write=*/false, /*write=*/true);
  // The device writes the page until after the run: the pin stays.
  if (pages.empty()) co_return;
  cpu.world->oracles().OnGupRelease(cpu);
  cpu.world->HoldPin(cpu, addr, pages[0]);
}

Task<void> GupFastPinLongtermActor(Cpu& cpu, VirtAddr addr) {
  PTFUZZ_KERNEL_FUNC(cpu, "pin_user_pages_fast", "mm/gup.c");
  const std::vector<FrameId> pages =
      co_await gup_fast(cpu, addr, 1, /*pin=*/true, /*longterm_write=*/true);
  if (!pages.empty()) cpu.world->oracles().OnGupRelease(cpu);
  for (const FrameId page : pages) co_await unpin_user_page(cpu, page);
}

}  // namespace ptfuzz
