// Remote TLB invalidation, in the three flavours the scenario's TlbFlushMode selects.
//
//  - IPI (x86 bare metal, flush_tlb_mm_range() -> flush_tlb_multi() -> on_each_cpu_cond_mask()
//    in arch/x86/mm/tlb.c): raise an IPI on every other CPU, flush locally, and wait until every
//    target has run flush_tlb_func(). A target with interrupts off delays the flush, and with it
//    everything the initiator does next (freeing pages and tables).
//  - Broadcast (arm64 __flush_tlb_range(): TLBI ...IS + DSB ISH in arch/arm64/include/asm/
//    tlbflush.h; also x86 INVLPGB): every TLB is invalidated by hardware in one step and no CPU
//    is interrupted, so interrupts-off sections delay nothing.
//  - Paravirt (x86 under a hypervisor, kvm_flush_tlb_multi() in arch/x86/kernel/kvm.c): the same
//    effect by hypercall; named apart in the trace.
#ifndef PTFUZZ_CORE_PROTOCOLS_TLB_FLUSH_H_
#define PTFUZZ_CORE_PROTOCOLS_TLB_FLUSH_H_

#include "core/cpu.h"
#include "core/task.h"

namespace ptfuzz {

// flush_tlb_mm_range(mm, start, end, ...): invalidates [start, end) on every CPU of the mm (the
// IPI goes to mm_cpumask(): the CPUs whose Cpu::mm is the initiator's).
Task<void> flush_tlb_mm_range(Cpu& cpu, VirtAddr start, VirtAddr end);

}  // namespace ptfuzz

#endif  // PTFUZZ_CORE_PROTOCOLS_TLB_FLUSH_H_
