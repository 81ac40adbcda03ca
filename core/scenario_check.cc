#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/string_view.h"
#include "core/check.h"
#include "core/run.h"
#include "core/scenarios/background.h"
#include "core/scenarios/registry.h"

namespace ptfuzz {

namespace {

// `list`[`index`].vaddr: the field's name is formatted only for an error (this runs for every
// fuzzer input).
absl::Status CheckVaddr(uint64_t vaddr, absl::string_view list, int index, VirtAddr task_size) {
  if (vaddr % kPageSize != 0) {
    return absl::InvalidArgumentError(
        absl::StrFormat("%s[%d].vaddr = %#x is not page-aligned", list, index, vaddr));
  }
  if (vaddr >= task_size) {
    return absl::InvalidArgumentError(
        absl::StrFormat("%s[%d].vaddr = %#x is not a user address (TASK_SIZE is %#x)", list, index,
                        vaddr, task_size));
  }
  return absl::OkStatus();
}

// The geometry a schedule asks for, and whether its architecture builds and walks it.
absl::Status CheckGeometry(const proto::Scenario& s, const ScenarioSpec& spec) {
  if (!s.has_geometry()) return absl::OkStatus();
  const uint32_t levels = s.geometry().levels();
  const uint32_t runtime = s.geometry().runtime_levels();
  if (levels == 4 && runtime == 4) return absl::OkStatus();
  if (!spec.geometry_aware) {
    return absl::InvalidArgumentError(absl::StrCat(
        "scenario.geometry = ", levels, "/", runtime, " levels: the actors of ", s.name(),
        " walk four levels only (geometry_walk_arm64 and geometry_walk_s390 take any)"));
  }
  if (levels < 2 || levels > 5 || runtime < 2 || runtime > levels) {
    return absl::InvalidArgumentError(absl::StrCat("scenario.geometry: levels = ", levels,
                                                   ", runtime_levels = ", runtime,
                                                   "; need 2 <= runtime_levels <= levels <= 5"));
  }
  switch (s.arch()) {
    case proto::ARCH_X86_64:
      if (levels < 4 || runtime < 4) {
        return absl::InvalidArgumentError(
            absl::StrCat("scenario.geometry: x86-64 builds and walks 4 or 5 levels, not ", levels,
                         "/", runtime));
      }
      break;
    case proto::ARCH_ARM64:
      if (runtime + 1 < levels) {
        return absl::InvalidArgumentError(absl::StrCat(
            "scenario.geometry: arm64 folds at most one level at run time (LPA2 / 52-bit VA "
            "off), not ",
            levels, " built and ", runtime, " walked"));
      }
      break;
    case proto::ARCH_S390:
      if (levels != 5 || runtime < 3) {
        return absl::InvalidArgumentError(absl::StrCat(
            "scenario.geometry: s390 builds 5 levels and gives each mm 3, 4 or 5, not ", levels,
            "/", runtime));
      }
      break;
    default:
      return absl::InvalidArgumentError(absl::StrCat(
          "scenario.geometry: ", proto::Arch_Name(s.arch()), " keeps the four-level tree here"));
  }
  return absl::OkStatus();
}

}  // namespace

namespace {

// `s` as it runs (background actors explicit): actors from `first_background` on are background
// actors, whose kinds every scenario accepts and whose CPUs count beyond kMaxCpus.
absl::Status ValidateRunnable(const proto::Scenario& s, int first_background);

}  // namespace

absl::Status ValidateScenario(const proto::Scenario& s) {
  if (s.background_actors() == 0) return ValidateRunnable(s, s.actors_size());
  if (s.background_actors() > kMaxBackgroundActors) {
    return absl::InvalidArgumentError(
        absl::StrCat("scenario.background_actors = ", s.background_actors(), " is more than ",
                     kMaxBackgroundActors));
  }
  // The scenario as written, then with its background actors.
  proto::Scenario own = s;
  own.clear_background_actors();
  if (absl::Status st = ValidateRunnable(own, own.actors_size()); !st.ok()) return st;
  if (absl::Status st = ValidateRunnable(WithBackgroundActors(s), s.actors_size()); !st.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("scenario.background_actors = ", s.background_actors(),
                     ": the machine with them is invalid: ", st.message()));
  }
  return absl::OkStatus();
}

namespace {

absl::Status ValidateRunnable(const proto::Scenario& s, int first_background) {
  const uint32_t max_cpus =
      kMaxCpus + (first_background < s.actors_size() ? kMaxBackgroundActors : 0);
  const ScenarioSpec* spec = FindScenario(s.name());
  if (spec == nullptr) {
    std::string known;
    for (const ScenarioSpec& k : BuiltinScenarios()) absl::StrAppend(&known, " ", k.name);
    return absl::InvalidArgumentError(
        absl::StrCat("scenario.name: unknown scenario \"", s.name(), "\" (known:", known, ")"));
  }
  if (FindVariant(*spec, s.variant()) == nullptr) {
    std::string known;
    for (const VariantSpec& v : spec->variants) absl::StrAppend(&known, " ", v.name);
    return absl::InvalidArgumentError(absl::StrCat("scenario.variant: unknown variant \"",
                                                   s.variant(), "\" of ", s.name(),
                                                   " (known:", known, ")"));
  }
  if (s.num_cpus() < 1 || s.num_cpus() > max_cpus) {
    return absl::InvalidArgumentError(
        absl::StrCat("scenario.num_cpus = ", s.num_cpus(), " is outside 1..", max_cpus));
  }
  if (s.num_frames() < kMinFrames || s.num_frames() > kMaxFrames) {
    return absl::InvalidArgumentError(absl::StrCat("scenario.num_frames = ", s.num_frames(),
                                                   " is outside ", kMinFrames, "..", kMaxFrames));
  }
  if (!proto::TlbFlushMode_IsValid(s.tlb_flush())) {
    return absl::InvalidArgumentError(
        absl::StrCat("scenario.tlb_flush = ", s.tlb_flush(), " is not a TlbFlushMode"));
  }
  if (!proto::Arch_IsValid(s.arch())) {
    return absl::InvalidArgumentError(absl::StrCat("scenario.arch = ", s.arch(), " is not an Arch"));
  }
  if (s.arch() == proto::ARCH_ARM64 && s.tlb_flush() != proto::TLB_FLUSH_BROADCAST) {
    return absl::InvalidArgumentError(absl::StrCat(
        "scenario.tlb_flush = ", proto::TlbFlushMode_Name(s.tlb_flush()),
        " with arch ARCH_ARM64: arm64 invalidates remote TLBs by broadcast TLBI, never by IPI or "
        "hypercall (use TLB_FLUSH_BROADCAST)"));
  }
  if (spec->required_arch && s.arch() != *spec->required_arch) {
    return absl::InvalidArgumentError(absl::StrCat(
        "scenario.arch = ", proto::Arch_Name(s.arch()), ": ", s.name(), " needs ",
        proto::Arch_Name(*spec->required_arch),
        *spec->required_arch == proto::ARCH_X86_PAE
            ? " (it races on the halves of split page-table entries)"
        : spec->geometry_aware ? " (its walk follows that architecture's page-table folding)"
                               : " (it races on contiguous PTE blocks)"));
  }
  if (s.arch() == proto::ARCH_S390 && s.tlb_flush() != proto::TLB_FLUSH_BROADCAST) {
    return absl::InvalidArgumentError(absl::StrCat(
        "scenario.tlb_flush = ", proto::TlbFlushMode_Name(s.tlb_flush()),
        " with arch ARCH_S390: s390 invalidates by IDTE/IPTE, which reach every CPU without an "
        "interrupt (use TLB_FLUSH_BROADCAST)"));
  }
  if (s.arch() == proto::ARCH_S390 && !spec->geometry_aware) {
    return absl::InvalidArgumentError(
        absl::StrCat("scenario.arch = ARCH_S390: only geometry_walk_s390 models s390 (", s.name(),
                     " does not)"));
  }
  PTFUZZ_RETURN_IF_ERROR(CheckGeometry(s, *spec));
  const VirtAddr task_size = GeometryOf(s).TaskSize();
  if (s.cont_ptes() != 0) {
    if (s.arch() != proto::ARCH_ARM64) {
      return absl::InvalidArgumentError(
          absl::StrCat("scenario.cont_ptes = ", s.cont_ptes(),
                       ": contiguous PTE blocks are arm64's (set arch: ARCH_ARM64)"));
    }
    if (!spec->contpte_aware) {
      return absl::InvalidArgumentError(absl::StrCat(
          "scenario.cont_ptes = ", s.cont_ptes(), ": the writers of ", s.name(),
          " do not unfold contiguous blocks (contpte_try_unfold() is modelled in "
          "contpte_lockless_read)"));
    }
    if (s.cont_ptes() != 2 && s.cont_ptes() != 4 && s.cont_ptes() != 8 && s.cont_ptes() != 16) {
      return absl::InvalidArgumentError(absl::StrCat(
          "scenario.cont_ptes = ", s.cont_ptes(), " is not 0, 2, 4, 8 or 16"));
    }
  }
  if (s.hw_walkers() >> s.num_cpus() != 0) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "scenario.hw_walkers = %#x names a CPU >= num_cpus (%u)", s.hw_walkers(), s.num_cpus()));
  }
  if (s.hw_writers() >> s.num_cpus() != 0) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "scenario.hw_writers = %#x names a CPU >= num_cpus (%u)", s.hw_writers(), s.num_cpus()));
  }
  if (!proto::MemoryModel_IsValid(s.memory_model())) {
    return absl::InvalidArgumentError(
        absl::StrCat("scenario.memory_model = ", s.memory_model(), " is not a MemoryModel"));
  }
  if (s.mappings_size() > kMaxMappings) {
    return absl::InvalidArgumentError(absl::StrCat(
        "scenario.mappings: ", s.mappings_size(), " mappings, at most ", kMaxMappings));
  }
  for (int i = 0; i < s.mappings_size(); ++i) {
    const proto::Mapping& m = s.mappings(i);
    PTFUZZ_RETURN_IF_ERROR(CheckVaddr(m.vaddr(), "scenario.mappings", i, task_size));
    for (int j = 0; j < i; ++j) {
      if (s.mappings(j).vaddr() == m.vaddr()) {
        return absl::InvalidArgumentError(absl::StrFormat(
            "scenario.mappings[%d].vaddr = %#x is already mapped by mappings[%d]", i, m.vaddr(), j));
      }
    }
    if (m.tlb_cpus() >> s.num_cpus() != 0) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "scenario.mappings[%d].tlb_cpus = %#x names a CPU >= num_cpus (%u)", i, m.tlb_cpus(),
          s.num_cpus()));
    }
    if (m.table_only() && (m.tlb_cpus() != 0 || m.pins() != 0)) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "scenario.mappings[%d].table_only maps no page, so tlb_cpus (%#x) and pins (%u) must "
          "be 0",
          i, m.tlb_cpus(), m.pins()));
    }
    if (m.file() &&
        (m.table_only() || std::find(spec->actor_kinds.begin(), spec->actor_kinds.end(),
                                     proto::ACTOR_TRUNCATE) == spec->actor_kinds.end())) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "scenario.mappings[%d].file: %s", i,
          m.table_only() ? "a table_only mapping has no page to put in a file"
                         : "only scenarios with a truncating actor model file pages"));
    }
    if (m.folio_order() != 0) {
      const uint64_t folio_size = kPageSize << m.folio_order();
      if (!spec->large_folios) {
        return absl::InvalidArgumentError(absl::StrFormat(
            "scenario.mappings[%d].folio_order = %u: the actors of %s do not handle large folios "
            "(gup_vs_split and migrate_vs_deferred_split do)",
            i, m.folio_order(), s.name()));
      }
      if (m.folio_order() > 2 || m.vaddr() % folio_size != 0 ||
          m.vaddr() / kPmdSize != (m.vaddr() + folio_size - 1) / kPmdSize) {
        return absl::InvalidArgumentError(absl::StrFormat(
            "scenario.mappings[%d].folio_order = %u: the order must be 1 or 2 and the vaddr "
            "(%#x) aligned to the folio's size",
            i, m.folio_order(), m.vaddr()));
      }
      if (m.table_only() || m.file() || m.hugetlb_shared() || m.pins() != 0) {
        return absl::InvalidArgumentError(absl::StrFormat(
            "scenario.mappings[%d].folio_order: a large folio is anonymous and unpinned "
            "(table_only, file, hugetlb_shared and pins unset)",
            i));
      }
    }
    for (int j = 0; j < i; ++j) {
      // The pages of a large folio are mapped by it alone.
      const proto::Mapping& o = s.mappings(j);
      const uint64_t m_end = m.vaddr() + (kPageSize << m.folio_order());
      const uint64_t o_end = o.vaddr() + (kPageSize << o.folio_order());
      if ((m.folio_order() != 0 || o.folio_order() != 0) && m.vaddr() < o_end &&
          o.vaddr() < m_end) {
        return absl::InvalidArgumentError(absl::StrFormat(
            "scenario.mappings[%d] [%#x, %#x) overlaps the pages of mappings[%d] [%#x, %#x)", i,
            m.vaddr(), m_end, j, o.vaddr(), o_end));
      }
    }
    if (m.hugetlb_shared()) {
      if (std::find(spec->actor_kinds.begin(), spec->actor_kinds.end(),
                    proto::ACTOR_HUGETLB_UNSHARE) == spec->actor_kinds.end()) {
        return absl::InvalidArgumentError(absl::StrFormat(
            "scenario.mappings[%d].hugetlb_shared: only scenarios with hugetlb actors share PMD "
            "tables between mms",
            i));
      }
      if (m.vaddr() % kPmdSize != 0 || m.table_only() || m.file() || m.pins() != 0) {
        return absl::InvalidArgumentError(absl::StrFormat(
            "scenario.mappings[%d].hugetlb_shared: the vaddr must be 2 MiB-aligned (%#x) and "
            "table_only, file and pins unset",
            i, m.vaddr()));
      }
    }
    for (int j = 0; j < s.mappings_size(); ++j) {
      const proto::Mapping& o = s.mappings(j);
      if (j != i && o.hugetlb_shared() && m.vaddr() / kPmdSize == o.vaddr() / kPmdSize) {
        return absl::InvalidArgumentError(absl::StrFormat(
            "scenario.mappings[%d].vaddr = %#x lies in the hugetlb page of mappings[%d]", i,
            m.vaddr(), j));
      }
    }
    if (m.pins() > kMaxSetupPins) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "scenario.mappings[%d].pins = %u, at most %u", i, m.pins(), kMaxSetupPins));
    }
  }
  if (s.actors_size() == 0) {
    return absl::InvalidArgumentError("scenario.actors: no actors");
  }
  uint32_t cpus_used = 0;
  for (int i = 0; i < s.actors_size(); ++i) {
    const proto::Actor& a = s.actors(i);
    if (i < first_background && std::find(spec->actor_kinds.begin(), spec->actor_kinds.end(),
                                          a.kind()) == spec->actor_kinds.end()) {
      return absl::InvalidArgumentError(absl::StrCat("scenario.actors[", i, "].kind = ",
                                                     proto::ActorKind_Name(a.kind()),
                                                     " is not an actor of ", s.name()));
    }
    if (a.cpu() >= s.num_cpus()) {
      return absl::InvalidArgumentError(absl::StrCat("scenario.actors[", i, "].cpu = ", a.cpu(),
                                                     " but num_cpus = ", s.num_cpus()));
    }
    if (cpus_used & (1u << a.cpu())) {
      return absl::InvalidArgumentError(absl::StrCat("scenario.actors[", i, "].cpu = ", a.cpu(),
                                                     " already has an actor (one per CPU)"));
    }
    cpus_used |= 1u << a.cpu();
    auto is_khugepaged = [](proto::ActorKind k) {
      return k == proto::ACTOR_KHUGEPAGED_COLLAPSE || k == proto::ACTOR_KHUGEPAGED_RETRACT;
    };
    // One truncation (the inode's last reference is dropped once); one munmap per hugetlb actor
    // kind, on a hugetlb_shared page.
    if (a.kind() == proto::ACTOR_TRUNCATE || a.kind() == proto::ACTOR_HUGETLB_UNSHARE ||
        a.kind() == proto::ACTOR_HUGETLB_REMAP || a.kind() == proto::ACTOR_FORK ||
        a.kind() == proto::ACTOR_SPLIT_HUGE_PAGE || a.kind() == proto::ACTOR_MIGRATE_FOLIO) {
      for (int j = 0; j < i; ++j) {
        if (s.actors(j).kind() == a.kind()) {
          return absl::InvalidArgumentError(
              absl::StrCat("scenario.actors[", i, "].kind = ", proto::ActorKind_Name(a.kind()),
                           ": at most one per scenario (actors[", j, "] is one)"));
        }
      }
    }
    if (a.kind() == proto::ACTOR_HUGETLB_UNSHARE || a.kind() == proto::ACTOR_HUGETLB_REMAP) {
      bool on_hugetlb = false;
      for (const proto::Mapping& m : s.mappings()) {
        on_hugetlb |= m.hugetlb_shared() && m.vaddr() / kPmdSize == a.vaddr() / kPmdSize;
      }
      if (!on_hugetlb) {
        return absl::InvalidArgumentError(absl::StrFormat(
            "scenario.actors[%d].vaddr = %#x: a hugetlb actor works on a hugetlb_shared mapping", i,
            a.vaddr()));
      }
    }
    if (is_khugepaged(a.kind())) {
      for (int j = 0; j < i; ++j) {
        if (is_khugepaged(s.actors(j).kind())) {
          return absl::InvalidArgumentError(absl::StrCat(
              "scenario.actors[", i, "].kind = ", proto::ActorKind_Name(a.kind()), ", but actors[",
              j, "] is khugepaged already: khugepaged is a single kernel thread"));
        }
      }
    }
    PTFUZZ_RETURN_IF_ERROR(CheckVaddr(a.vaddr(), "scenario.actors", i, task_size));
    if (a.mm() != 0) {
      bool shared = false;
      for (const proto::Mapping& m : s.mappings()) shared |= m.hugetlb_shared();
      if (a.mm() != 1 || !shared) {
        return absl::InvalidArgumentError(
            absl::StrCat("scenario.actors[", i, "].mm = ", a.mm(),
                         ": the only other mm is 1, the process sharing a hugetlb_shared mapping"));
      }
      if (a.kind() == proto::ACTOR_GUP_FAST || a.kind() == proto::ACTOR_GUP_FAST_PIN ||
          a.kind() == proto::ACTOR_GUP_FAST_PIN_LONGTERM ||
          a.kind() == proto::ACTOR_GUP_FAST_PIN_DMA) {
        return absl::InvalidArgumentError(absl::StrCat(
            "scenario.actors[", i, "].mm = 1: GUP-fast runs in mm 0, the one the oracles watch"));
      }
    }
    if (a.nr_pages() != 0) {
      if (a.kind() != proto::ACTOR_GUP_FAST && a.kind() != proto::ACTOR_GUP_FAST_PIN) {
        return absl::InvalidArgumentError(absl::StrCat("scenario.actors[", i,
                                                       "].nr_pages = ", a.nr_pages(),
                                                       ": only GUP-fast actors take a "
                                                       "page count"));
      }
      if (a.nr_pages() > kMaxGupPages) {
        return absl::InvalidArgumentError(absl::StrCat(
            "scenario.actors[", i, "].nr_pages = ", a.nr_pages(), ", at most ", kMaxGupPages));
      }
      if (a.vaddr() + (uint64_t{a.nr_pages()} - 1) * kPageSize >= task_size) {
        return absl::InvalidArgumentError(
            absl::StrFormat("scenario.actors[%d]: %u pages from %#x run past TASK_SIZE (%#x)", i,
                            a.nr_pages(), a.vaddr(), task_size));
      }
    }
  }
  return absl::OkStatus();
}

}  // namespace

const char* ActorKindName(proto::ActorKind kind) {
  switch (kind) {
    case proto::ACTOR_GUP_FAST: return "gup_fast";
    case proto::ACTOR_ZAP: return "zap";
    case proto::ACTOR_ANON_FAULT: return "anon_fault";
    case proto::ACTOR_RECLAIM_LAZYFREE: return "reclaim";
    case proto::ACTOR_GUP_FAST_PIN: return "gup_pin";
    case proto::ACTOR_SWAPOUT_ANON: return "swapout";
    case proto::ACTOR_CONTPTE_UNFOLD_FOLD: return "contpte";
    case proto::ACTOR_KHUGEPAGED_COLLAPSE: return "khugepaged";
    case proto::ACTOR_MADV_DONTNEED_RANGE: return "madvise";
    case proto::ACTOR_KHUGEPAGED_RETRACT: return "khugepaged";
    case proto::ACTOR_EXIT_MMAP: return "exit";
    case proto::ACTOR_TRUNCATE:
      return "truncate";
    case proto::ACTOR_GUP_FAST_PIN_LONGTERM:
      return "gup_longterm";
    case proto::ACTOR_HUGETLB_UNSHARE:
      return "munmap";
    case proto::ACTOR_HUGETLB_REMAP:
      return "remap";
    case proto::ACTOR_MUNMAP_RANGE:
      return "munmap";
    case proto::ACTOR_FORK:
      return "fork";
    case proto::ACTOR_WRITE_FAULT:
      return "write_fault";
    case proto::ACTOR_GUP_FAST_PIN_DMA:
      return "gup_pin_dma";
    case proto::ACTOR_SPLIT_HUGE_PAGE:
      return "split";
    case proto::ACTOR_PFN_WALKER:
      return "compaction";
    case proto::ACTOR_HUGETLB_ALLOC_HVO:
      return "hvo";
    case proto::ACTOR_PFN_WALKER_PAGE_COUNT:
      return "compaction";
    case proto::ACTOR_ALLOC_COMPOUND:
      return "alloc";
    case proto::ACTOR_MIGRATE_FOLIO:
      return "migrate";
    case proto::ACTOR_DEFERRED_SPLIT_SCAN:
      return "shrinker";
    default: return "unspecified";
  }
}

const char* TlbFlushName(proto::TlbFlushMode mode) {
  switch (mode) {
    case proto::TLB_FLUSH_IPI: return "ipi";
    case proto::TLB_FLUSH_BROADCAST: return "broadcast";
    case proto::TLB_FLUSH_PARAVIRT: return "paravirt";
    default: return "?";
  }
}

bool TlbFlushFromName(absl::string_view name, proto::TlbFlushMode* mode) {
  for (proto::TlbFlushMode m :
       {proto::TLB_FLUSH_IPI, proto::TLB_FLUSH_BROADCAST, proto::TLB_FLUSH_PARAVIRT}) {
    if (name == TlbFlushName(m)) {
      *mode = m;
      return true;
    }
  }
  return false;
}

const char* ArchFlagName(proto::Arch arch) {
  switch (arch) {
    case proto::ARCH_X86_64: return "x86_64";
    case proto::ARCH_X86_PAE: return "x86_pae";
    case proto::ARCH_ARM64: return "arm64";
    case proto::ARCH_S390:
      return "s390";
    default: return "?";
  }
}

bool ArchFromName(absl::string_view name, proto::Arch* arch) {
  for (proto::Arch a :
       {proto::ARCH_X86_64, proto::ARCH_X86_PAE, proto::ARCH_ARM64, proto::ARCH_S390}) {
    if (name == ArchFlagName(a)) {
      *arch = a;
      return true;
    }
  }
  return false;
}

MemoryModelKind MemoryModelOf(const proto::Scenario& s) {
  switch (s.memory_model()) {
    case proto::MEMORY_MODEL_SC: return MemoryModelKind::kSc;
    case proto::MEMORY_MODEL_TSO: return MemoryModelKind::kTso;
    case proto::MEMORY_MODEL_RELAXED: return MemoryModelKind::kRelaxed;
    default:
      // The architecture's own model: x86 is TSO, arm64 is (other-multicopy-atomic) relaxed.
      return s.arch() == proto::ARCH_ARM64 ? MemoryModelKind::kRelaxed : MemoryModelKind::kTso;
  }
}

MachineConfig MachineConfigOf(const proto::Scenario& s) {
  MachineConfig config;
  config.num_cpus = s.num_cpus();
  config.num_frames = s.num_frames();
  config.tlb_flush = static_cast<TlbFlushMode>(s.tlb_flush());
  const ScenarioSpec* spec = FindScenario(s.name());
  PTFUZZ_CHECK(spec != nullptr);
  const VariantSpec* variant = FindVariant(*spec, s.variant());
  PTFUZZ_CHECK(variant != nullptr);
  config.variant = variant->switches;
  config.arch = static_cast<Arch>(s.arch());
  config.memory_model = MemoryModelOf(s);
  config.cont_ptes = s.cont_ptes();
  config.hw_writers = s.hw_writers();
  config.hw_walkers = s.hw_walkers();
  config.table_batch_alloc_fails = s.table_batch_alloc_fails();
  config.geometry = GeometryOf(s);
  for (const proto::Mapping& m : s.mappings()) {
    if (m.hugetlb_shared()) config.num_mms = 2;
  }
  for (const proto::Actor& a : s.actors()) {
    if (a.kind() == proto::ACTOR_FORK) config.num_mms = 2;  // mm 1 is the child
    // MADV_DONTNEED that reclaims empty PTE tables: the kernel has CONFIG_PT_RECLAIM (v6.14+).
    if (a.kind() == proto::ACTOR_MADV_DONTNEED_RANGE) config.pt_reclaim = true;
  }
  return config;
}

PtGeometry GeometryOf(const proto::Scenario& s) {
  PtGeometry g;
  if (s.has_geometry() && s.geometry().levels() >= 2 && s.geometry().levels() <= 5 &&
      s.geometry().runtime_levels() >= 2 &&
      s.geometry().runtime_levels() <= s.geometry().levels()) {
    g.compiled_levels = static_cast<uint8_t>(s.geometry().levels());
    g.runtime_levels = static_cast<uint8_t>(s.geometry().runtime_levels());
  }
  // arm64 keeps the compile-time PGDIR_SHIFT and re-indexes the folded level's table
  // (arch/arm64/include/asm/pgtable.h); x86-64 and s390 shift pgd_index() with the top table
  // and return the parent pointer for a level the MMU does not walk.
  const bool arm64 = s.arch() == proto::ARCH_ARM64;
  g.runtime_fold = arm64 ? RuntimeFold::kReindex : RuntimeFold::kSamePointer;
  g.pgd_index_compiled = arm64;
  return g;
}

std::vector<uint32_t> RawTape(const proto::Schedule& schedule) {
  if (!schedule.canonical()) {
    return std::vector<uint32_t>(schedule.raw_tape().begin(), schedule.raw_tape().end());
  }
  std::vector<uint32_t> tape;
  tape.reserve(schedule.tape_size());
  for (const proto::Decision& d : schedule.tape()) tape.push_back(d.value());
  return tape;
}

void SetRawTape(const std::vector<uint32_t>& tape, proto::Schedule* schedule) {
  schedule->set_canonical(false);
  schedule->clear_tape();
  schedule->mutable_raw_tape()->Assign(tape.begin(), tape.end());
}

absl::Status CanonicalTape(const proto::Schedule& schedule, std::vector<CanonicalDecision>* out) {
  out->clear();
  out->reserve(schedule.tape_size());
  for (int i = 0; i < schedule.tape_size(); ++i) {
    const proto::Decision& d = schedule.tape(i);
    if (d.kind() != proto::DECISION_SCHEDULE && d.kind() != proto::DECISION_ALLOC_FRAME &&
        d.kind() != proto::DECISION_READS_FROM) {
      return absl::InvalidArgumentError(
          absl::StrCat("tape[", i, "]: a canonical tape entry needs a kind"));
    }
    if (d.num_options() < 2) {
      return absl::InvalidArgumentError(absl::StrCat(
          "tape[", i, "]: a canonical tape entry needs num_options >= 2, has ", d.num_options()));
    }
    out->push_back({static_cast<DecisionKind>(d.kind()), d.num_options(), d.value()});
  }
  return absl::OkStatus();
}

void SetCanonicalTape(const std::vector<CanonicalDecision>& tape, proto::Schedule* schedule) {
  schedule->set_canonical(true);
  schedule->clear_tape();
  schedule->clear_raw_tape();
  for (const CanonicalDecision& d : tape) {
    proto::Decision* out = schedule->add_tape();
    out->set_value(d.value);
    out->set_kind(static_cast<proto::DecisionKind>(d.kind));
    out->set_num_options(d.num_options);
  }
}

}  // namespace ptfuzz
