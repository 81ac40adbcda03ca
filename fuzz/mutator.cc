#include "fuzz/mutator.h"

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <optional>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "core/format_version.h"
#include "core/run.h"
#include "core/scenarios/registry.h"
#include "core/schedule_io.h"
#include "core/splitmix.h"
#include "core/world.h"

namespace ptfuzz {

namespace {

using Rng = SplitMix64;

// An answer: mostly small (there are rarely more than 4 runnable CPUs), sometimes anything a
// free-frame choice could use.
uint32_t RandomAnswer(Rng& rng) { return rng.OneIn(4) ? rng.Below(kMaxFrames) : rng.Below(4); }

// Addresses worth trying for an actor: the other actors' and mappings' pages, their neighbours
// in the same PTE table, and pages in another PTE table, PMD table and PUD table.
uint64_t RandomVaddr(const proto::Scenario& s, Rng& rng) {
  std::vector<uint64_t> bases;
  for (const proto::Mapping& m : s.mappings()) bases.push_back(m.vaddr());
  for (const proto::Actor& a : s.actors()) bases.push_back(a.vaddr());
  if (bases.empty()) bases.push_back(0x7f0000000000);
  const uint64_t base = bases[rng.Below(static_cast<uint32_t>(bases.size()))];
  static constexpr uint64_t kOffsets[] = {0, 0x1000, 0x2000, 0x200000, 0x40000000};
  uint64_t v = base + kOffsets[rng.Below(5)];
  if (rng.OneIn(3) && v >= 0x1000) v -= 0x1000;
  return v % kTaskSize & ~(kPageSize - 1);
}

// A preemption point at decision `at`: a non-default answer there (1 is "the next runner" for a
// schedule choice, "the next store back" for a reads-from one), zeros padding the tape up to it.
void PlacePreemption(google::protobuf::RepeatedField<uint32_t>* tape, int at, Rng& rng) {
  while (tape->size() <= at) tape->Add(0);
  tape->Set(at, rng.OneIn(4) ? 2 + rng.Below(3) : 1);
}

// `decisions`: how many decisions the input's run makes.
void MutateTape(proto::Schedule& s, uint32_t decisions, Rng& rng) {
  auto* tape = s.mutable_raw_tape();
  const int n = tape->size();
  switch (rng.Below(11)) {
    case 9:
    case 10: {
      // Place a preemption anywhere in the input's run, as PCT's change points and the
      // preemption-bounded searches do: the tape's length does not bound where (a seed's tape is
      // empty), the run's decisions do (a few more: the preemption may lengthen the run).
      const uint32_t range = std::max<uint32_t>(decisions + 4, static_cast<uint32_t>(n));
      PlacePreemption(tape, static_cast<int>(rng.Below(range)), rng);
      return;
    }
    case 0:  // change an answer
      if (n > 0) {
        tape->Set(static_cast<int>(rng.Below(n)), RandomAnswer(rng));
        return;
      }
      [[fallthrough]];
    case 1: {  // insert an answer: every later decision shifts by one
      const int at = static_cast<int>(rng.Below(n + 1));
      tape->Add(RandomAnswer(rng));
      for (int i = tape->size() - 1; i > at; --i) tape->SwapElements(i, i - 1);
      return;
    }
    case 2:  // delete an answer
      if (n > 0) {
        const int at = static_cast<int>(rng.Below(n));
        for (int i = at; i + 1 < n; ++i) tape->SwapElements(i, i + 1);
        tape->RemoveLast();
        return;
      }
      break;
    case 3:  // swap neighbours
      if (n > 1) {
        const int i = static_cast<int>(rng.Below(n - 1));
        tape->SwapElements(i, i + 1);
        return;
      }
      break;
    case 4: {  // move a preemption point (a non-default answer) a few decisions away
      std::vector<int> nonzero;
      for (int i = 0; i < n; ++i) {
        if (tape->Get(i) != 0) nonzero.push_back(i);
      }
      if (!nonzero.empty()) {
        const int from = nonzero[rng.Below(static_cast<uint32_t>(nonzero.size()))];
        const int delta = static_cast<int>(rng.Below(9)) - 4;
        const int to = std::clamp(from + delta, 0, n - 1);
        const int step = to > from ? 1 : -1;
        for (int i = from; i != to; i += step) tape->SwapElements(i, i + step);
        return;
      }
      break;
    }
    case 5:  // zero a range: run those decisions with the default policy
      if (n > 0) {
        const int a = static_cast<int>(rng.Below(n));
        const int len = 1 + static_cast<int>(rng.Below(std::min(8, n - a)));
        for (int i = a; i < a + len; ++i) tape->Set(i, 0);
        return;
      }
      break;
    case 6:  // duplicate a range at another position (splice a run of decisions)
      if (n > 0) {
        const int a = static_cast<int>(rng.Below(n));
        const int len = 1 + static_cast<int>(rng.Below(std::min(8, n - a)));
        const int at = static_cast<int>(rng.Below(n + 1));
        std::vector<uint32_t> vals(tape->begin(), tape->end());
        std::vector<uint32_t> chunk(vals.begin() + a, vals.begin() + a + len);
        vals.insert(vals.begin() + at, chunk.begin(), chunk.end());
        tape->Assign(vals.begin(), vals.end());
        return;
      }
      break;
    case 7:  // truncate
      if (n > 0) {
        TruncateTape(tape, static_cast<int>(rng.Below(n)));
        return;
      }
      break;
    default:
      break;
  }
  // append a few answers
  const int k = 1 + static_cast<int>(rng.Below(4));
  for (int i = 0; i < k; ++i) tape->Add(RandomAnswer(rng));
}

// Whether a scenario mutation can change anything: a campaign dimension left open, or the shape.
bool ScenarioOpen(const Pins& pins) {
  return pins.mutate_shape || !pins.tlb_flush || !pins.memory_model || !pins.arch ||
         pins.variant.empty();
}

void MutateScenario(proto::Scenario& s, const Pins& pins, Rng& rng) {
  const ScenarioSpec* spec = FindScenario(s.name());
  if (spec == nullptr) return;
  // Without shape mutations only the dimensions the campaign leaves open change: flush mode (0),
  // memory model or architecture (9), variant (1).
  static constexpr uint32_t kDimensions[] = {0, 9, 1};
  switch (pins.mutate_shape ? rng.Below(10) : kDimensions[rng.Below(3)]) {
    case 0:
      if (!pins.tlb_flush) {
        // Another flush mode; paravirt with arm64 is invalid and undone by the caller.
        s.set_tlb_flush(static_cast<proto::TlbFlushMode>((s.tlb_flush() + 1 + rng.Below(2)) % 3));
      }
      break;
    case 9:
      // Another memory model (or architecture): the same schedule's ordering questions under a
      // weaker or stronger machine. arm64 with IPI flushes is invalid and undone by the caller.
      if (!pins.memory_model) {
        s.set_memory_model(static_cast<proto::MemoryModel>(rng.Below(4)));
      } else if (!pins.arch) {
        // x86-64, x86-PAE or arm64; a PAE-only scenario rejects the others (undone).
        s.set_arch(static_cast<proto::Arch>((s.arch() + 1 + rng.Below(2)) % 3));
      }
      break;
    case 1:
      if (pins.variant.empty()) {
        s.set_variant(std::string(
            spec->variants[rng.Below(static_cast<uint32_t>(spec->variants.size()))].name));
      }
      break;
    case 2:
      if (s.actors_size() > 0) {
        s.mutable_actors(static_cast<int>(rng.Below(s.actors_size())))
            ->set_vaddr(RandomVaddr(s, rng));
      }
      break;
    case 3:
      if (s.actors_size() > 0) {
        s.mutable_actors(static_cast<int>(rng.Below(s.actors_size())))
            ->set_cpu(rng.Below(s.num_cpus()));
      }
      break;
    case 4: {
      proto::Actor* a = s.add_actors();
      a->set_kind(spec->actor_kinds[rng.Below(static_cast<uint32_t>(spec->actor_kinds.size()))]);
      a->set_cpu(rng.Below(s.num_cpus()));
      a->set_vaddr(RandomVaddr(s, rng));
      break;
    }
    case 5:
      if (s.actors_size() > 1) {
        s.mutable_actors()->DeleteSubrange(static_cast<int>(rng.Below(s.actors_size())), 1);
      }
      break;
    case 6:
      if (spec->geometry_aware && rng.OneIn(2)) {
        // The walk's shape: levels walked (a folded level or not) or the GUP range's length
        // (a range crossing a folded level's boundary). Invalid ones are undone by the caller.
        if (rng.OneIn(2) || s.actors_size() == 0) {
          proto::PageTableGeometry* g = s.mutable_geometry();
          if (g->levels() == 0) g->set_levels(4);
          g->set_runtime_levels(std::max(2u, g->levels() - rng.Below(3)));
        } else {
          s.mutable_actors(static_cast<int>(rng.Below(s.actors_size())))
              ->set_nr_pages(1 + rng.Below(4));
        }
        break;
      }
      s.set_num_cpus(1 + rng.Below(4));
      break;
    case 7:
      if (rng.OneIn(4)) {
        // A CPU whose hardware walker walks the mapped pages speculatively, or no longer does:
        // TLB and paging-structure cache fills wherever the hardware may make them.
        s.set_hw_walkers(s.hw_walkers() ^ (1u << rng.Below(s.num_cpus())));
        break;
      }
      if (rng.OneIn(3)) {
        // tlb_remove_table()'s batch page cannot be allocated, or can again.
        s.set_table_batch_alloc_fails(!s.table_batch_alloc_fails());
        break;
      }
      s.set_num_frames(kMinFrames + rng.Below(16 - kMinFrames + 1));
      break;
    default:
      if (s.mappings_size() > 0 && rng.OneIn(3) && spec->large_folios) {
        // A page becomes the head of a large folio of another order (aligned to its size), or an
        // order-0 page.
        proto::Mapping* m = s.mutable_mappings(static_cast<int>(rng.Below(s.mappings_size())));
        m->set_folio_order(rng.Below(3));
        m->set_vaddr(m->vaddr() & ~((uint64_t{4096} << m->folio_order()) - 1));
      } else if (s.mappings_size() > 0 && !rng.OneIn(4)) {
        s.mutable_mappings(static_cast<int>(rng.Below(s.mappings_size())))
            ->set_tlb_cpus(rng.Below(1u << s.num_cpus()));
      } else if (s.mappings_size() < 3) {
        proto::Mapping* m = s.add_mappings();
        m->set_vaddr(RandomVaddr(s, rng));
      } else {
        s.mutable_mappings()->DeleteSubrange(static_cast<int>(rng.Below(s.mappings_size())), 1);
      }
  }
}

proto::Scenario DefaultScenario(const Pins& pins) {
  const ScenarioSpec* spec =
      pins.scenario.empty() ? &BuiltinScenarios().front() : FindScenario(pins.scenario);
  proto::Scenario s = spec->default_scenario();
  ApplyPins(pins, &s);
  return s;
}

// What the mutator keeps between calls, for speed only:
//  - the last mutant Emit() wrote: libFuzzer runs each mutant right after making it (or mutates
//    it again), so the fuzz target and ParseOrDefault() take it from here instead of parsing it;
//  - ParseOrDefault() of corpus inputs, which libFuzzer mutates over and over: a memo of a pure
//    function of (bytes, pins), cleared when full.
// Both are dropped when a call comes with other pins (a campaign's are fixed; tests vary them).
// A parsed input and how many decisions its run makes (nullopt: not known yet).
struct Parsed {
  proto::Schedule schedule;
  std::optional<uint32_t> decisions;
};
struct MutatorCache {
  Pins pins;
  std::string last_bytes;
  Parsed last;
  absl::flat_hash_map<std::string, Parsed> parsed;
};
constexpr size_t kParseMemoCapacity = 1 << 13;
MutatorCache& Cache() {
  static MutatorCache* const cache = new MutatorCache;
  return *cache;
}

bool SamePins(const Pins& a, const Pins& b) {
  return a.scenario == b.scenario && a.variant == b.variant && a.tlb_flush == b.tlb_flush &&
         a.memory_model == b.memory_model && a.arch == b.arch && a.background == b.background &&
         a.mutate_shape == b.mutate_shape;
}

// Parses `bytes`; anything that is not a valid schedule becomes the pinned default scenario.
proto::Schedule ParseOrDefaultUncached(const uint8_t* data, size_t size, const Pins& pins) {
  proto::Schedule s;
  if (!ParseSchedule(absl::string_view(reinterpret_cast<const char*>(data), size), &s).ok() ||
      s.format_version() != kFormatVersion) {
    s.Clear();
    *s.mutable_scenario() = DefaultScenario(pins);
  }
  ApplyPins(pins, s.mutable_scenario());
  if (!ValidateScenario(s.scenario()).ok()) *s.mutable_scenario() = DefaultScenario(pins);
  if (s.canonical() || s.tape_size() > 0) SetRawTape(RawTape(s), &s);
  return s;
}

// How many decisions `p`'s run makes: from the fuzz target (NoteRunDecisions()) when it ran it
// last, else by running it here (once per memo entry; libFuzzer resets its coverage counters
// before each input it runs, so this run leaves no feedback behind).
uint32_t Decisions(Parsed& p) {
  if (!p.decisions) {
    SimOptions options;
    options.trace_hash = false;
    options.state_digest = false;
    p.decisions = static_cast<uint32_t>(RunSchedule(p.schedule, options).tape.size());
  }
  return *p.decisions;
}

// ParseOrDefaultUncached(), from the last mutant or the memo when it can. The reference is valid
// until the next call or mutation.
Parsed& ParseOrDefault(const uint8_t* data, size_t size, const Pins& pins) {
  const absl::string_view bytes(reinterpret_cast<const char*>(data), size);
  MutatorCache& cache = Cache();
  if (!SamePins(cache.pins, pins)) {
    cache.parsed.clear();
    cache.last_bytes.clear();
    cache.pins = pins;
  }
  // A mutant Emit() made under these pins is a normalized schedule already.
  if (!cache.last_bytes.empty() && bytes == cache.last_bytes) return cache.last;
  if (auto it = cache.parsed.find(bytes); it != cache.parsed.end()) return it->second;
  if (cache.parsed.size() >= kParseMemoCapacity) cache.parsed.clear();
  return cache.parsed
      .emplace(std::string(bytes), Parsed{ParseOrDefaultUncached(data, size, pins), std::nullopt})
      .first->second;
}

// Normalizes to a raw binary schedule and writes it into out[0, max_size).
size_t Emit(proto::Schedule& s, uint8_t* out, size_t max_size) {
  s.set_format_version(kFormatVersion);
  s.set_canonical(false);
  s.clear_expect();
  std::string bytes = s.SerializeAsString();
  while (bytes.size() > max_size && s.raw_tape_size() > 0) {
    // Each raw answer costs 1-5 bytes: cut enough at once to converge quickly.
    const size_t excess = bytes.size() - max_size;
    const int cut = std::min(s.raw_tape_size(), static_cast<int>(excess / 5) + 1);
    TruncateTape(s.mutable_raw_tape(), s.raw_tape_size() - cut);
    bytes = s.SerializeAsString();
  }
  if (bytes.size() > max_size) return 0;
  std::memcpy(out, bytes.data(), bytes.size());
  MutatorCache& cache = Cache();
  cache.last = Parsed{std::move(s), std::nullopt};
  cache.last_bytes = std::move(bytes);
  return cache.last_bytes.size();
}

}  // namespace

const char* MemoryModelFlagName(proto::MemoryModel model) {
  if (model == proto::MEMORY_MODEL_ARCH_DEFAULT) return "arch default";
  return MemoryModelName(static_cast<MemoryModelKind>(model)).data();
}

absl::Status MakePins(const std::string& scenario, const std::string& variant,
                      const std::string& tlb_flush, Pins* pins, const std::string& memory_model,
                      const std::string& arch) {
  *pins = Pins{};
  if (!scenario.empty() && FindScenario(scenario) == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat("unknown scenario \"", scenario, "\""));
  }
  if (!variant.empty()) {
    const ScenarioSpec* spec = FindScenario(scenario.empty() ? "gup_vs_zap" : scenario);
    if (spec == nullptr || FindVariant(*spec, variant) == nullptr) {
      return absl::InvalidArgumentError(
          absl::StrCat("unknown variant \"", variant, "\" of scenario ", spec ? spec->name : ""));
    }
  }
  if (!tlb_flush.empty()) {
    proto::TlbFlushMode mode;
    if (!TlbFlushFromName(tlb_flush, &mode)) {
      return absl::InvalidArgumentError(absl::StrCat("unknown TLB flush mode \"", tlb_flush,
                                                     "\" (ipi, broadcast or paravirt)"));
    }
    pins->tlb_flush = mode;
  }
  if (!memory_model.empty()) {
    const std::optional<MemoryModelKind> m = MemoryModelFromName(memory_model);
    if (!m) {
      return absl::InvalidArgumentError(
          absl::StrCat("unknown memory model \"", memory_model, "\" (sc, tso or relaxed)"));
    }
    pins->memory_model = static_cast<proto::MemoryModel>(*m);  // the values are equal
  }
  // A scenario that runs on one architecture pins it, as if --arch had said so.
  std::string arch_name = arch;
  const ScenarioSpec* spec = scenario.empty() ? nullptr : FindScenario(scenario);
  if (arch_name.empty() && spec != nullptr && spec->required_arch) {
    arch_name = ArchFlagName(*spec->required_arch);
  }
  if (!arch_name.empty()) {
    proto::Arch a;
    if (!ArchFromName(arch_name, &a)) {
      return absl::InvalidArgumentError(absl::StrCat("unknown architecture \"", arch_name,
                                                     "\" (x86_64, x86_pae, arm64 or s390)"));
    }
    if (spec != nullptr && spec->required_arch && a != *spec->required_arch) {
      return absl::InvalidArgumentError(absl::StrCat("scenario ", scenario, " needs --arch=",
                                                     ArchFlagName(*spec->required_arch)));
    }
    pins->arch = a;
    if (a == proto::ARCH_ARM64) {
      if (pins->tlb_flush && *pins->tlb_flush != proto::TLB_FLUSH_BROADCAST) {
        return absl::InvalidArgumentError(
            "arm64 flushes remote TLBs by broadcast TLBI, never by IPI or hypercall: use "
            "--tlb-flush=broadcast");
      }
      pins->tlb_flush = proto::TLB_FLUSH_BROADCAST;
    }
  }
  pins->scenario = scenario;
  pins->variant = variant;
  return absl::OkStatus();
}

void ApplyPins(const Pins& pins, proto::Scenario* s) {
  if (!pins.scenario.empty() && s->name() != pins.scenario) {
    *s = FindScenario(pins.scenario)->default_scenario();
  }
  if (!pins.variant.empty()) s->set_variant(pins.variant);
  if (pins.tlb_flush) s->set_tlb_flush(*pins.tlb_flush);
  if (pins.memory_model) s->set_memory_model(*pins.memory_model);
  if (pins.arch) s->set_arch(*pins.arch);
  if (pins.background) s->set_background_actors(*pins.background);
}

const proto::Schedule* LastMutant(absl::string_view bytes) {
  const MutatorCache& cache = Cache();
  return !cache.last_bytes.empty() && bytes == cache.last_bytes ? &cache.last.schedule : nullptr;
}

bool MatchesPins(const Pins& pins, const proto::Scenario& s) {
  return (pins.scenario.empty() || s.name() == pins.scenario) &&
         (pins.variant.empty() || s.variant() == pins.variant) &&
         (!pins.tlb_flush || s.tlb_flush() == *pins.tlb_flush) &&
         (!pins.memory_model || s.memory_model() == *pins.memory_model) &&
         (!pins.arch || s.arch() == *pins.arch) &&
         (!pins.background || s.background_actors() == *pins.background);
}

absl::StatusOr<int> PinSeedCorpus(const std::filesystem::path& seed_dir, bool seed_dir_required,
                                  const Pins& pins, const std::filesystem::path& corpus_dir,
                                  const std::string& prefix) {
  int seeds = 0;
  if (std::filesystem::is_directory(seed_dir)) {
    std::vector<std::filesystem::path> files;
    for (const auto& entry : std::filesystem::directory_iterator(seed_dir))
      files.push_back(entry.path());
    std::sort(files.begin(), files.end());
    for (const std::filesystem::path& f : files) {
      absl::StatusOr<proto::Schedule> s = LoadScheduleFile(f.string());
      if (!s.ok()) return s.status();
      ApplyPins(pins, s->mutable_scenario());
      s->clear_expect();
      if (absl::Status st =
              SaveScheduleFile(*s, (corpus_dir / (prefix + f.stem().string())).string());
          !st.ok()) {
        return st;
      }
      ++seeds;
    }
  } else if (seed_dir_required) {
    return absl::InvalidArgumentError(absl::StrCat(seed_dir.string(), ": not a directory"));
  }
  if (seeds == 0) {
    proto::Schedule s;
    s.set_format_version(kFormatVersion);
    *s.mutable_scenario() = FindScenario(pins.scenario)->default_scenario();
    ApplyPins(pins, s.mutable_scenario());
    if (absl::Status st = SaveScheduleFile(s, (corpus_dir / (prefix + "default")).string());
        !st.ok()) {
      return st;
    }
  }
  return seeds;
}

void NoteRunDecisions(absl::string_view bytes, size_t decisions) {
  MutatorCache& cache = Cache();
  if (!cache.last_bytes.empty() && bytes == cache.last_bytes) {
    cache.last.decisions = static_cast<uint32_t>(decisions);
  }
}

size_t MutateSchedule(uint8_t* data, size_t size, size_t max_size, uint32_t seed,
                      const Pins& pins) {
  Rng rng(seed);
  Parsed& parsed = ParseOrDefault(data, size, pins);
  const uint32_t decisions = Decisions(parsed);
  proto::Schedule s = parsed.schedule;
  const int mutations = 1 + static_cast<int>(rng.Below(3));
  for (int i = 0; i < mutations; ++i) {
    if (rng.OneIn(8) && ScenarioOpen(pins)) {
      proto::Scenario before = s.scenario();
      MutateScenario(*s.mutable_scenario(), pins, rng);
      if (!ValidateScenario(s.scenario()).ok()) *s.mutable_scenario() = std::move(before);
    } else {
      MutateTape(s, decisions, rng);
    }
  }
  // 0 only when the scenario alone exceeds max_size: an empty input, which is rejected.
  return Emit(s, data, max_size);
}

size_t CrossOverSchedules(const uint8_t* data1, size_t size1, const uint8_t* data2, size_t size2,
                          uint8_t* out, size_t max_out_size, uint32_t seed, const Pins& pins) {
  Rng rng(seed);
  proto::Schedule a = ParseOrDefault(data1, size1, pins).schedule;
  // Read before Emit() replaces the last mutant, which `b` may be.
  const proto::Schedule& b = ParseOrDefault(data2, size2, pins).schedule;
  // A's scenario, A's tape up to a cut, then B's tape from another cut.
  const int cut_a = static_cast<int>(rng.Below(a.raw_tape_size() + 1));
  const int cut_b = static_cast<int>(rng.Below(b.raw_tape_size() + 1));
  TruncateTape(a.mutable_raw_tape(), cut_a);
  for (int i = cut_b; i < b.raw_tape_size(); ++i) a.add_raw_tape(b.raw_tape(i));
  return Emit(a, out, max_out_size);
}

}  // namespace ptfuzz
