#include "core/protocols/tlb_flush.h"

#include "core/world.h"

namespace ptfuzz {

Task<void> flush_tlb_mm_range(Cpu& cpu, VirtAddr start, VirtAddr end) {
  PTFUZZ_KERNEL_FUNC(cpu, "flush_tlb_mm_range", "arch/x86/mm/tlb.c");
  if (cpu.world->config().tlb_flush == TlbFlushMode::kParavirt) {
    // native_flush_tlb_multi() replaced by the hypervisor's: kvm_flush_tlb_multi() asks the host
    // to flush preempted vCPUs and the rest by hypercall; no CPU is interrupted or waited for.
    static constexpr FuncInfo kPv{"kvm_flush_tlb_multi", "arch/x86/kernel/kvm.c",
                                  HashName("kvm_flush_tlb_multi")};
    FuncScope scope(cpu, &kPv);
    co_await cpu.TlbFlushBroadcast(start, end);
    co_return;
  }
  if (cpu.world->config().tlb_flush == TlbFlushMode::kBroadcast) {
    // The arm64 path: flush_tlb_range() -> __flush_tlb_range(), TLBI ...IS + DSB ISH.
    static constexpr FuncInfo kArm64{"__flush_tlb_range", "arch/arm64/include/asm/tlbflush.h",
                                     HashName("__flush_tlb_range")};
    FuncScope scope(cpu, &kArm64);
    co_await cpu.TlbFlushBroadcast(start, end);
    co_return;
  }
  // smp_call_function_many(wait=true) semantics: send, run the local part, then wait.
  co_await cpu.IpiSend(start, end);
  co_await cpu.TlbFlushLocal(start, end);
  co_await cpu.IpiWait();
}

}  // namespace ptfuzz
