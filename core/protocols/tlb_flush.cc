#include "core/protocols/tlb_flush.h"

#include "core/world.h"

namespace ptfuzz {

Task<void> flush_tlb_mm_range(Cpu& cpu, VirtAddr start, VirtAddr end) {
  PTFUZZ_KERNEL_FUNC(cpu, "flush_tlb_mm_range", "arch/x86/mm/tlb.c");
  const TlbFlushMode mode = cpu.world->config().tlb_flush;
  if (mode != TlbFlushMode::kIpi) {
    // The arm64 path: flush_tlb_range() -> __flush_tlb_range(), TLBI ...IS + DSB ISH. Under a
    // hypervisor, native_flush_tlb_multi() is replaced: kvm_flush_tlb_multi() has the host flush
    // preempted vCPUs and the rest by hypercall. Either way no CPU is interrupted or waited for.
    static constexpr FuncInfo kArm64{"__flush_tlb_range", "arch/arm64/include/asm/tlbflush.h",
                                     HashName("__flush_tlb_range")};
    static constexpr FuncInfo kPv{"kvm_flush_tlb_multi", "arch/x86/kernel/kvm.c",
                                  HashName("kvm_flush_tlb_multi")};
    FuncScope scope(cpu, mode == TlbFlushMode::kParavirt ? &kPv : &kArm64);
    co_await cpu.TlbFlushBroadcast(start, end);
    co_return;
  }
  // smp_call_function_many(wait=true) semantics: send, run the local part, then wait.
  co_await cpu.IpiSend(start, end);
  co_await cpu.TlbFlushLocal(start, end);
  co_await cpu.IpiWait();
}

}  // namespace ptfuzz
