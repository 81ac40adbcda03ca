// Truncation of a shmem file and the last iput() of its inode (mm/truncate.c, mm/filemap.c,
// fs/inode.c; v6.6-v6.12): what gup_fast_folio_allowed()'s dereference of folio->mapping races
// (bug zoo Z19).
//
//   unmap_mapping_range() -> zap_page_range_single()   clear the PTE, flush (IPI or broadcast:
//                                                       the latter does not wait for GUP-fast),
//                                                       put the mapping's reference
//   truncate_inode_pages() -> filemap_remove_folio() -> page_cache_delete():
//       folio->mapping = NULL                           a plain store under the folio lock
//       folio_put()                                     the page cache's reference
//   iput() -> evict() -> destroy_inode()                the last reference: the inode (and its
//       call_rcu(&inode->i_rcu, i_callback)             address_space) is freed after a grace
//                                                       period (ProtocolVariant::inode_free_rcu;
//                                                       off: freed at once)
// Not modelled: the folio lock, the xarray and i_mmap locks (no lockless reader takes them), the
// second unmap_mapping_range() pass (nothing faults the page back in).
#ifndef PTFUZZ_CORE_PROTOCOLS_TRUNCATE_H_
#define PTFUZZ_CORE_PROTOCOLS_TRUNCATE_H_

#include "core/cpu.h"
#include "core/task.h"

namespace ptfuzz {

// The ACTOR_TRUNCATE actor: the file mapped at `addr` is truncated to 0 and its last reference
// dropped (ftruncate(), then close() and munmap() of the last user).
Task<void> TruncateActor(Cpu& cpu, VirtAddr addr);

}  // namespace ptfuzz

#endif  // PTFUZZ_CORE_PROTOCOLS_TRUNCATE_H_
