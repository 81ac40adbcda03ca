// gup_pin_vs_swapout: GUP-fast pinning (FOLL_PIN, for DMA) racing a swap-out that clears
// PageAnonExclusive (bug zoo Z13; fix 088b8aa537c2 "mm: fix PageAnonExclusive clearing racing
// with concurrent RCU GUP-fast").
//
// A pinned exclusive anonymous page must stay exclusive: if swap-out shares it while the pin is
// live, a later fault maps another page and the DMA goes to the old one. The handshake is store
// buffering on both sides: GUP-fast pins (a non-value-returning add of the pin bias), then
// smp_mb__after_atomic(), then rechecks the PTE; swap-out clears the PTE, smp_mb(), then checks
// folio_maybe_dma_pinned(). Without the reader's barrier the pin can be missed under the relaxed
// model on any architecture (x86's lock add orders it under TSO); without the writer's only with
// arm64's xchg_relaxed clear (x86's xchg is a full barrier). Neither is reachable under SC.
//
// Default configuration: 2 CPUs, IPI flushes, 8 frames; page A = 0x7f0000000000 mapped
// (exclusive) and in CPU 0's TLB; the pinning GUP-fast on CPU 0 and swap-out on CPU 1, both at A.
#ifndef PTFUZZ_CORE_SCENARIOS_GUP_PIN_VS_SWAPOUT_H_
#define PTFUZZ_CORE_SCENARIOS_GUP_PIN_VS_SWAPOUT_H_

#include "core/scenarios/registry.h"

namespace ptfuzz {

ScenarioSpec GupPinVsSwapoutSpec();

}  // namespace ptfuzz

#endif  // PTFUZZ_CORE_SCENARIOS_GUP_PIN_VS_SWAPOUT_H_
