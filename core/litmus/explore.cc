// Exhaustive exploration of a litmus test, and the static checks that say when the relaxed
// model's answer cannot be trusted to be the LKMM's.
#include "core/litmus/explore.h"

#include <map>
#include <set>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "core/litmus/litmus_thread.h"
#include "core/mem_order.h"

namespace ptfuzz {

absl::string_view LitmusVerdictName(LitmusVerdict v) {
  switch (v) {
    case LitmusVerdict::kNever:
      return "Never";
    case LitmusVerdict::kSometimes:
      return "Sometimes";
    case LitmusVerdict::kAlways:
      return "Always";
    case LitmusVerdict::kUnsupported:
      return "Unsupported";
    case LitmusVerdict::kIncomplete:
      return "Incomplete";
  }
  return "?";
}

namespace {

// Actor kinds must outlive the World: static strings.
constexpr const char* kThreadNames[kMaxLitmusThreads] = {"P0", "P1", "P2", "P3",
                                                         "P4", "P5", "P6", "P7"};

struct Choice {
  DecisionKind kind;
  uint32_t num_options;
  uint32_t answer;
};

// Replays `prefix`, then answers 0, recording every decision. A replayed decision that offers
// other options than it did when recorded means the engine is nondeterministic.
class DfsDecider final : public Decider {
 public:
  explicit DfsDecider(const std::vector<Choice>& prefix) : prefix_(prefix) {}

  uint32_t Decide(DecisionKind kind, uint32_t num_options) override {
    uint32_t answer = 0;
    if (taken_.size() < prefix_.size()) {
      const Choice& c = prefix_[taken_.size()];
      if (c.kind == kind && c.num_options == num_options) {
        answer = c.answer;
      } else if (divergence_.empty()) {
        divergence_ = absl::StrCat("decision ", taken_.size(), " offered ", num_options, " ",
                                   DecisionKindName(kind), " options on replay, ", c.num_options,
                                   " ", DecisionKindName(c.kind), " options before");
      }
    }
    taken_.push_back({kind, num_options, answer});
    return answer;
  }

  const std::vector<Choice>& taken() const { return taken_; }
  const std::string& divergence() const { return divergence_; }

 private:
  const std::vector<Choice>& prefix_;
  std::vector<Choice> taken_;
  std::string divergence_;
};

// The next prefix in depth-first order, or false when every execution has been visited.
bool NextPrefix(const std::vector<Choice>& taken, std::vector<Choice>* prefix) {
  for (size_t i = taken.size(); i-- > 0;) {
    if (taken[i].answer + 1 < taken[i].num_options) {
      prefix->assign(taken.begin(), taken.begin() + static_cast<std::ptrdiff_t>(i) + 1);
      ++prefix->back().answer;
      return true;
    }
  }
  return false;
}

// ---- Static shape analysis for UnsupportedReasons. ----

bool IsStrongFence(FenceKind f) { return IsFullFence(f); }

// Conditional RMWs (cmpxchg, add_unless) are unordered when they fail, so they order nothing
// for certain.
bool IsFullRmw(const LitmusStmt& s) {
  return s.kind == LitmusStmt::Kind::kRmw && s.order == MemOrder::kFull &&
         s.rmw != RmwOp::kCmpxchg && s.rmw != RmwOp::kAddUnless;
}

void ExprDeps(const LitmusExpr& e, const std::vector<std::set<int>>& reg_deps, std::set<int>* out) {
  if (e.kind == LitmusExpr::Kind::kReg) out->insert(reg_deps[e.reg].begin(), reg_deps[e.reg].end());
  for (const LitmusExpr& a : e.args) ExprDeps(a, reg_deps, out);
}

// Rule (a): walks a thread in program order tracking, per register, the loads its value depends
// on, and the loads so far with whether a later store is already ordered after them.
class LoadStoreOrder {
 public:
  explicit LoadStoreOrder(size_t num_regs) : state_{std::vector<std::set<int>>(num_regs), {}, {}} {}

  // An unordered load->store pair: lines and variables (-1: through a pointer register).
  struct Pair {
    int load_line, store_line, load_var, store_var;
  };
  // The unordered load->store pairs, in program order.
  std::vector<Pair> Run(const std::vector<LitmusStmt>& body) {
    Walk(body, {}, state_);
    return found_;
  }

 private:
  struct State {
    std::vector<std::set<int>> reg_deps;
    std::map<int, bool> loads;    // load id -> ordered before every later store
    std::set<int> before_unlock;  // loads program-order-before a spin_unlock
  };

  void Walk(const std::vector<LitmusStmt>& body, const std::set<int>& ctrl, State& st) {
    for (const LitmusStmt& s : body) {
      switch (s.kind) {
        case LitmusStmt::Kind::kAssign: {
          std::set<int> deps;
          ExprDeps(s.a, st.reg_deps, &deps);
          st.reg_deps[s.dst] = std::move(deps);
          break;
        }
        case LitmusStmt::Kind::kIf: {
          std::set<int> inner = ctrl;
          ExprDeps(s.a, st.reg_deps, &inner);
          State then_state = st;
          State else_state = st;
          Walk(s.then_body, inner, then_state);
          Walk(s.else_body, inner, else_state);
          st = Merge(then_state, else_state);
          break;
        }
        case LitmusStmt::Kind::kFence:
          if (IsStrongFence(s.fence)) Order(st);
          break;
        case LitmusStmt::Kind::kLoad:
          AddLoad(s, st);
          break;
        case LitmusStmt::Kind::kStore:
          CheckStore(s, ctrl, st);
          break;
        case LitmusStmt::Kind::kRmw:
          CheckStore(s, ctrl, st);
          if (IsFullRmw(s)) Order(st);
          AddLoad(s, st);
          break;
        case LitmusStmt::Kind::kSpinLock:
          // po-unlock-lock-po: everything before an earlier unlock is ordered before everything
          // after this lock. Then the lock itself is an acquire.
          for (int id : st.before_unlock) st.loads[id] = true;
          AddLoad(s, st);
          break;
        case LitmusStmt::Kind::kSpinUnlock:
          CheckStore(s, ctrl, st);  // a release: never unordered
          for (const auto& [id, ordered] : st.loads) st.before_unlock.insert(id);
          break;
      }
    }
  }

  static void Order(State& st) {
    for (auto& [id, ordered] : st.loads) ordered = true;
  }

  void AddLoad(const LitmusStmt& s, State& st) {
    const int id = static_cast<int>(load_lines_.size());
    load_lines_.push_back(s.line);
    load_vars_.push_back(s.target.var);
    const bool acquire = s.order == MemOrder::kAcquire || IsFullRmw(s);
    st.loads[id] = acquire;
    if (s.dst >= 0) {
      std::set<int> deps = {id};
      if (s.target.reg >= 0)
        deps.insert(st.reg_deps[s.target.reg].begin(), st.reg_deps[s.target.reg].end());
      st.reg_deps[s.dst] = std::move(deps);
    }
  }

  void CheckStore(const LitmusStmt& s, const std::set<int>& ctrl, const State& st) {
    if (s.order == MemOrder::kRelease || IsFullRmw(s)) return;
    std::set<int> deps = ctrl;
    ExprDeps(s.a, st.reg_deps, &deps);
    ExprDeps(s.b, st.reg_deps, &deps);
    if (s.target.reg >= 0)
      deps.insert(st.reg_deps[s.target.reg].begin(), st.reg_deps[s.target.reg].end());
    for (const auto& [id, ordered] : st.loads) {
      // Coherence already orders a load before a later store to the same variable.
      const bool same_var = s.target.var >= 0 && load_vars_[id] == s.target.var;
      if (!ordered && !same_var && !deps.count(id)) {
        found_.push_back({load_lines_[id], s.line, load_vars_[id], s.target.var});
      }
    }
  }

  // After an if/else: a register depends on what it depends on in either branch; a load is
  // ordered only if it is in both branches' states as ordered.
  static State Merge(const State& a, const State& b) {
    State m = a;
    for (size_t r = 0; r < m.reg_deps.size(); ++r)
      m.reg_deps[r].insert(b.reg_deps[r].begin(), b.reg_deps[r].end());
    // A load is before an unlock after the if/else only if it is in both branches.
    std::set<int> both;
    for (int id : a.before_unlock) {
      if (b.before_unlock.count(id)) both.insert(id);
    }
    m.before_unlock = std::move(both);
    for (const auto& [id, ordered] : b.loads) {
      auto it = m.loads.find(id);
      if (it == m.loads.end()) {
        m.loads[id] = ordered;
      } else {
        it->second = it->second && ordered;
      }
    }
    return m;
  }

  State state_;
  std::vector<int> load_lines_;
  std::vector<int> load_vars_;  // -1: through a pointer register
  std::vector<Pair> found_;
};

// A store to a known variable, with the number of strong fences before it in its thread.
struct StoreEpoch {
  int var;
  int epoch;
  int line;
};

void CollectStores(const std::vector<LitmusStmt>& body, int* epoch, std::vector<StoreEpoch>* out) {
  for (const LitmusStmt& s : body) {
    switch (s.kind) {
      case LitmusStmt::Kind::kFence:
        if (IsStrongFence(s.fence)) ++*epoch;
        break;
      case LitmusStmt::Kind::kStore:
      case LitmusStmt::Kind::kRmw:
        if (IsFullRmw(s)) ++*epoch;
        if (s.target.var >= 0) out->push_back({s.target.var, *epoch, s.line});
        if (IsFullRmw(s)) ++*epoch;
        break;
      case LitmusStmt::Kind::kIf:
        CollectStores(s.then_body, epoch, out);
        CollectStores(s.else_body, epoch, out);
        break;
      default:
        break;
    }
  }
}

// The variables a thread's loads and stores name; -1 when one goes through a pointer register.
void CollectAccesses(const std::vector<LitmusStmt>& body, std::set<int>* loads,
                     std::set<int>* stores) {
  for (const LitmusStmt& s : body) {
    switch (s.kind) {
      case LitmusStmt::Kind::kLoad:
      case LitmusStmt::Kind::kSpinLock:
        loads->insert(s.target.var);
        if (s.kind == LitmusStmt::Kind::kSpinLock) stores->insert(s.target.var);
        break;
      case LitmusStmt::Kind::kStore:
      case LitmusStmt::Kind::kSpinUnlock:
        stores->insert(s.target.var);
        break;
      case LitmusStmt::Kind::kRmw:
        loads->insert(s.target.var);
        stores->insert(s.target.var);
        break;
      case LitmusStmt::Kind::kIf:
        CollectAccesses(s.then_body, loads, stores);
        CollectAccesses(s.else_body, loads, stores);
        break;
      default:
        break;
    }
  }
}

void CondVars(const LitmusCond& c, std::set<int>* out) {
  if (c.kind == LitmusCond::Kind::kVarEq) out->insert(c.var);
  for (const LitmusCond& a : c.args) CondVars(a, out);
}

// Rule (d): the bracketing barriers away from an RMW.
void CheckAtomicBarriers(const std::vector<LitmusStmt>& body, std::vector<int>* lines) {
  for (size_t i = 0; i < body.size(); ++i) {
    const LitmusStmt& s = body[i];
    if (s.kind == LitmusStmt::Kind::kIf) {
      CheckAtomicBarriers(s.then_body, lines);
      CheckAtomicBarriers(s.else_body, lines);
    }
    if (s.kind != LitmusStmt::Kind::kFence) continue;
    if (s.fence == FenceKind::kMbBeforeAtomic &&
        (i + 1 >= body.size() || body[i + 1].kind != LitmusStmt::Kind::kRmw)) {
      lines->push_back(s.line);
    }
    if (s.fence == FenceKind::kMbAfterAtomic &&
        (i == 0 || body[i - 1].kind != LitmusStmt::Kind::kRmw)) {
      lines->push_back(s.line);
    }
  }
}

}  // namespace

std::vector<std::string> UnsupportedReasons(const LitmusTest& test, MemoryModelKind model,
                                            LitmusResult explored) {
  std::vector<std::string> reasons = test.unsupported;
  if (explored == LitmusResult::kSometimes) return reasons;
  std::vector<int> barrier_lines;
  for (const LitmusThreadCode& t : test.threads) CheckAtomicBarriers(t.body, &barrier_lines);
  for (int line : barrier_lines) {
    reasons.push_back(
        absl::StrCat("line ", line,
                     ": smp_mb__before_atomic/smp_mb__after_atomic not next to an atomic RMW "
                     "is a full barrier here but orders nothing in the LKMM"));
  }
  if (model != MemoryModelKind::kRelaxed) return reasons;

  // Which variables each thread loads and stores (-1 stands for "through a pointer": any).
  const size_t n = test.threads.size();
  std::vector<std::set<int>> loads_of(n), stores_of(n);
  for (size_t t = 0; t < n; ++t) CollectAccesses(test.threads[t].body, &loads_of[t], &stores_of[t]);
  auto touches = [](const std::set<int>& vars, int var) {
    return var < 0 || vars.count(var) || vars.count(-1);
  };
  for (size_t t = 0; t < n; ++t) {
    LoadStoreOrder order(test.threads[t].regs.size());
    for (const LoadStoreOrder::Pair& p : order.Run(test.threads[t].body)) {
      // Reordering P's load after its store matters only inside a cycle: the store is seen by
      // (read or overwritten by) another thread, whose own stores lead, through any number of
      // threads, to a store of the variable P's load reads (rf, co and fr edges together).
      std::vector<bool> reached(n, false);
      std::vector<size_t> work;
      for (size_t u = 0; u < n; ++u) {
        if (u != t && (touches(loads_of[u], p.store_var) || touches(stores_of[u], p.store_var))) {
          reached[u] = true;
          work.push_back(u);
        }
      }
      bool cycle = false;
      while (!work.empty() && !cycle) {
        const size_t u = work.back();
        work.pop_back();
        if (touches(stores_of[u], p.load_var)) cycle = true;
        for (int v : stores_of[u]) {
          for (size_t w = 0; w < n; ++w) {
            // A path back through P itself does not close a cycle around this pair.
            if (w == u || w == t || reached[w]) continue;
            if (touches(loads_of[w], v) || touches(stores_of[w], v)) {
              reached[w] = true;
              work.push_back(w);
            }
          }
        }
      }
      if (!cycle) continue;
      reasons.push_back(absl::StrCat(
          "P", t, " line ", p.load_line, " -> line ", p.store_line,
          ": load buffering (a load reading a store that is later in another CPU's program "
          "order) needs speculation, which this model cannot produce"));
      break;
    }
  }

  std::vector<std::vector<StoreEpoch>> stores(test.threads.size());
  std::map<int, std::set<int>> writers;  // variable -> threads storing to it
  for (size_t t = 0; t < test.threads.size(); ++t) {
    int epoch = 0;
    CollectStores(test.threads[t].body, &epoch, &stores[t]);
    for (const StoreEpoch& s : stores[t]) writers[s.var].insert(static_cast<int>(t));
  }
  std::set<int> constrained;
  CondVars(test.condition, &constrained);
  if (test.filter) CondVars(*test.filter, &constrained);
  auto written_elsewhere = [&](int var, int thread) {
    for (int w : writers[var]) {
      if (w != thread) return true;
    }
    return false;
  };
  for (size_t t = 0; t < stores.size(); ++t) {
    const int thread = static_cast<int>(t);
    bool found = false;
    for (size_t i = 0; i < stores[t].size() && !found; ++i) {
      for (size_t j = i + 1; j < stores[t].size() && !found; ++j) {
        const StoreEpoch& w1 = stores[t][i];
        const StoreEpoch& w2 = stores[t][j];
        if (w1.var == w2.var || w1.epoch != w2.epoch) continue;
        if (!written_elsewhere(w1.var, thread) || !written_elsewhere(w2.var, thread)) continue;
        if (!constrained.count(w1.var) && !constrained.count(w2.var)) continue;
        found = true;
        reasons.push_back(absl::StrCat(
            "P", t, " lines ", w1.line, " and ", w2.line,
            ": coherence order follows execution order here, so outcomes that need a store to be "
            "coherence-earlier than a store that executed before it (2+2W shapes) are not "
            "produced"));
      }
    }
  }
  return reasons;
}

LitmusRun RunLitmus(const LitmusTest& test, MemoryModelKind model, Decider& decider,
                    bool record_trace) {
  const int threads = static_cast<int>(test.threads.size());
  MachineConfig config;
  config.num_cpus = static_cast<uint32_t>(threads);
  config.num_frames = 1;
  config.num_vars = static_cast<uint32_t>(test.vars.size());
  config.memory_model = model;
  SimOptions options;
  options.record_trace = record_trace;

  LitmusRun out;
  out.regs.resize(threads);
  for (int t = 0; t < threads; ++t) {
    for (const LitmusReg& r : test.threads[t].regs) out.regs[t].push_back(r.init);
  }
  std::vector<std::string> faults(threads);
  {
    World world(config, options, decider);
    for (size_t i = 0; i < test.vars.size(); ++i) {
      world.SetupVar(static_cast<uint32_t>(i), test.vars[i].init);
    }
    for (int t = 0; t < threads; ++t) {
      world.SetActor(
          static_cast<CpuId>(t), ActorInfo{kThreadNames[t], 0},
          LitmusThread(world.cpu(static_cast<CpuId>(t)), test, t, &out.regs[t], &faults[t]));
    }
    out.run = world.Run();
    out.vars.resize(test.vars.size());
    for (size_t i = 0; i < test.vars.size(); ++i) {
      out.vars[i] = world.ReadLoc(VarLoc(static_cast<uint32_t>(i)));
    }
  }
  for (const std::string& f : faults) {
    if (!f.empty() && out.fault.empty()) out.fault = f;
  }
  const bool clean = out.run.outcome == Outcome::kClean && out.fault.empty();
  out.counted = clean && (!test.filter || EvalLitmusCond(*test.filter, out.regs, out.vars));
  out.holds = EvalLitmusCond(test.condition, out.regs, out.vars);
  return out;
}

absl::StatusOr<ExploreResult> ExploreLitmus(const LitmusTest& test, const ExploreOptions& options) {
  ExploreResult result;
  std::vector<Choice> prefix;
  while (true) {
    if (result.runs >= options.budget) {
      result.complete = false;
      break;
    }
    DfsDecider decider(prefix);
    const LitmusRun run = RunLitmus(test, options.model, decider, false);
    if (!decider.divergence().empty()) {
      return absl::InternalError(
          absl::StrCat("the engine is nondeterministic: ", decider.divergence(), " (", result.runs,
                       " executions explored so far)"));
    }
    ++result.runs;
    if (run.run.outcome != Outcome::kClean || !run.fault.empty()) {
      ++(run.fault.empty() ? result.not_clean : result.faulted);
      if (result.first_problem.empty()) {
        result.first_problem =
            run.fault.empty() ? absl::StrCat("an execution ended in ", OutcomeName(run.run.outcome))
                              : run.fault;
      }
    } else if (!run.counted) {
      ++result.filtered;
    } else {
      ++result.counted;
      result.satisfied += run.holds;
      const bool witness = test.quantifier == LitmusQuantifier::kForall ? !run.holds : run.holds;
      if (witness && !result.witness) {
        std::vector<uint32_t> tape;
        for (const Choice& c : decider.taken()) tape.push_back(c.answer);
        result.witness = std::move(tape);
      }
    }
    if (!NextPrefix(decider.taken(), &prefix)) break;
  }

  const bool some = result.satisfied > 0;
  const bool all = result.satisfied == result.counted;
  if (some && !all) {
    result.explored = LitmusResult::kSometimes;
  } else if (result.complete) {
    result.explored = some ? LitmusResult::kAlways : LitmusResult::kNever;
  }
  if (!result.explored) {
    result.verdict = LitmusVerdict::kIncomplete;
    result.unsupported = test.unsupported;
    if (!result.unsupported.empty()) result.verdict = LitmusVerdict::kUnsupported;
    return result;
  }
  result.unsupported = UnsupportedReasons(test, options.model, *result.explored);
  if (!result.unsupported.empty()) {
    result.verdict = LitmusVerdict::kUnsupported;
  } else {
    switch (*result.explored) {
      case LitmusResult::kNever:
        result.verdict = LitmusVerdict::kNever;
        break;
      case LitmusResult::kSometimes:
        result.verdict = LitmusVerdict::kSometimes;
        break;
      case LitmusResult::kAlways:
        result.verdict = LitmusVerdict::kAlways;
        break;
    }
  }
  return result;
}

}  // namespace ptfuzz
