#include "core/scenarios/gup_pin_vs_swapout.h"

namespace ptfuzz {

namespace {

proto::Scenario DefaultGupPinVsSwapout() {
  return TwoActorScenario("gup_pin_vs_swapout", proto::ACTOR_GUP_FAST_PIN, proto::ACTOR_SWAPOUT_ANON);
}

}  // namespace

ScenarioSpec GupPinVsSwapoutSpec() {
  ScenarioSpec spec;
  spec.name = "gup_pin_vs_swapout";
  spec.summary =
      "GUP-fast pinning for DMA vs swap-out clearing PageAnonExclusive; fix 088b8aa537c2";
  spec.kernel_ref =
      "mm/gup.c try_grab_folio_fast(), gup_fast_pte_range(); mm/rmap.c try_to_unmap_one(); "
      "include/linux/rmap.h folio_try_share_anon_rmap_pte()";
  spec.zoo = "Z13";
  spec.actor_kinds = {proto::ACTOR_GUP_FAST_PIN, proto::ACTOR_SWAPOUT_ANON};
  ProtocolVariant no_pin_mb;
  no_pin_mb.gup_pin_mb_after_atomic = false;
  ProtocolVariant no_share_mb;
  no_share_mb.share_anon_mb = false;
  VariantSpec fixed{
      "fixed",
      "the kernel today: pin, smp_mb__after_atomic(), recheck the PTE; clear the PTE, "
      "smp_mb(), check for pins before clearing PageAnonExclusive",
      {},
      "clean",
      "clean"};
  VariantSpec reader{"no_pin_mb",
                     "GUP-fast drops the smp_mb__after_atomic() after the pin's folio_ref_add(): "
                     "the pin may reach swap-out too late while the recheck reads the old PTE "
                     "(store buffering; found only under the relaxed model)",
                     no_pin_mb, "clean", "clean"};
  reader.expected_relaxed = "unshared_while_pinned";
  VariantSpec writer{"no_share_mb",
                     "swap-out drops the smp_mb() between the PTE clear and the pinned check: "
                     "harmless on x86, whose xchg is a full barrier, but with arm64's "
                     "xchg_relaxed both sides can miss each other (found only under the relaxed "
                     "model with ARCH_ARM64)",
                     no_share_mb, "clean", "clean"};
  writer.expected_relaxed_arm64 = "unshared_while_pinned";
  spec.variants = {fixed, reader, writer};
  spec.default_scenario = &DefaultGupPinVsSwapout;
  return spec;
}

}  // namespace ptfuzz
