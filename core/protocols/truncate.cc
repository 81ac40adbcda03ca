#include "core/protocols/truncate.h"

#include <vector>

#include "core/protocols/folio_ref.h"
#include "core/protocols/zap.h"
#include "core/world.h"

namespace ptfuzz {

namespace {

// page_cache_delete() and the put of the page cache's reference (filemap_remove_folio(),
// mm/filemap.c).
Task<void> truncate_inode_folio(Cpu& cpu, FrameId folio) {
  PTFUZZ_KERNEL_FUNC(cpu, "truncate_inode_folio", "mm/truncate.c");
  // page_cache_delete(): folio->mapping = NULL; from here a lockless reader that loads it sees
  // a truncated folio, one that loaded it before holds a pointer to an inode that may go away.
  co_await cpu.StoreLoc(FolioMappingLoc(folio), 0, MemOrder::kPlain);
  cpu.world->PageCacheDelete(folio);
  co_await folio_put(cpu, folio);
}

// The last iput(): evict() -> destroy_inode() (fs/inode.c).
Task<void> destroy_inode(Cpu& cpu, uint32_t inode) {
  PTFUZZ_KERNEL_FUNC(cpu, "destroy_inode", "fs/inode.c");
  if (cpu.world->variant().inode_free_rcu) {
    co_await cpu.CallRcuFreeInode(inode);  // call_rcu(&inode->i_rcu, i_callback)
  } else {
    // Injected: free_inode_nonrcu() at once (kmem_cache_free() poisons the object).
    co_await cpu.StoreLoc(InodeLoc(inode), kSlabPoison, MemOrder::kPlain);
  }
}

}  // namespace

Task<void> TruncateActor(Cpu& cpu, VirtAddr addr) {
  PTFUZZ_KERNEL_FUNC(cpu, "do_truncate", "fs/open.c");
  // truncate_pagecache() -> unmap_mapping_range(): the one mapping of the page.
  co_await zap_page_range_single(cpu, addr);
  // truncate_inode_pages(): every page of inode 0.
  const std::vector<FrameId> pages = cpu.world->page_cache();
  for (const FrameId folio : pages) co_await truncate_inode_folio(cpu, folio);
  co_await destroy_inode(cpu, 0);
}

}  // namespace ptfuzz
