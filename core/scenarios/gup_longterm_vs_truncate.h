// gup_longterm_vs_truncate: a long-term writable GUP-fast pin of a shmem page against truncation
// of the file and the last iput() of its inode (bug zoo Z19; a hazard the kernel guards, not a
// fixed bug: a6e79df92e4a, Lorenzo Stoakes, 2023, with Jason Gunthorpe, David Hildenbrand and
// Paul McKenney).
//
// gup_fast_folio_allowed() holds a reference on the folio, not on its mapping: between its
// READ_ONCE(folio->mapping) and the dereference (shmem_mapping(): mapping->a_ops), the page can
// be unmapped, truncated and the inode evicted and destroyed. Two things keep the dereference
// safe: an IPI TLB flush (the zap waits for GUP-fast's interrupts-off section, and the truncation
// comes after it) and, where flushes send no IPI (arm64, x86 paravirt or INVLPGB), only RCU:
// destroy_inode() frees the inode from an RCU callback, and interrupts-off is an RCU reader.
//
// Default configuration: x86-64, paravirt flushes (no IPI), SC, 8 frames, 2 CPUs. Page
// 0x7f0000000000 is shmem inode 0's and mapped (in CPU 0's TLB). CPU 0 pins it with FOLL_WRITE |
// FOLL_LONGTERM; CPU 1 truncates the file and drops the inode.
#ifndef PTFUZZ_CORE_SCENARIOS_GUP_LONGTERM_VS_TRUNCATE_H_
#define PTFUZZ_CORE_SCENARIOS_GUP_LONGTERM_VS_TRUNCATE_H_

#include "core/scenarios/registry.h"

namespace ptfuzz {

ScenarioSpec GupLongtermVsTruncateSpec();

}  // namespace ptfuzz

#endif  // PTFUZZ_CORE_SCENARIOS_GUP_LONGTERM_VS_TRUNCATE_H_
