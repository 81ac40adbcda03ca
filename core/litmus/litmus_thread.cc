// The litmus interpreter: one statement at a time, each shared access one co_await.
#include "core/litmus/litmus_thread.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "core/relaxed_memory.h"
#include "core/trace.h"

namespace ptfuzz {

namespace {

// PTFUZZ_KERNEL_FUNC needs a literal per function; the threads are P0..P7, so a table.
constexpr FuncInfo kThreadFuncs[kMaxLitmusThreads] = {
    {"P0", "litmus", HashName("P0")}, {"P1", "litmus", HashName("P1")},
    {"P2", "litmus", HashName("P2")}, {"P3", "litmus", HashName("P3")},
    {"P4", "litmus", HashName("P4")}, {"P5", "litmus", HashName("P5")},
    {"P6", "litmus", HashName("P6")}, {"P7", "litmus", HashName("P7")},
};

// A register value and the dependency token of the load it derives from.
struct Value {
  uint64_t v = 0;
  Dep dep = kNoDep;
};

Value Eval(const LitmusExpr& e, const std::vector<Value>& regs, Cpu& cpu) {
  switch (e.kind) {
    case LitmusExpr::Kind::kConst:
      return {e.value, kNoDep};
    case LitmusExpr::Kind::kReg:
      return regs[e.reg];
    case LitmusExpr::Kind::kUnary: {
      const Value a = Eval(e.args[0], regs, cpu);
      switch (e.op) {
        case ExprOp::kNot:
          return {a.v == 0 ? 1u : 0u, a.dep};
        case ExprOp::kNeg:
          return {~a.v + 1, a.dep};
        case ExprOp::kBitNot:
          return {~a.v, a.dep};
        default:
          return a;
      }
    }
    case LitmusExpr::Kind::kBinary: {
      const Value a = Eval(e.args[0], regs, cpu);
      const Value b = Eval(e.args[1], regs, cpu);
      // A value computed from two loads depends on both (under SC and TSO tokens are kNoDep).
      const Dep dep = JoinDepTokens(*cpu.world, cpu, a.dep, b.dep);
      // C `int` comparisons are signed.
      const int64_t sa = static_cast<int64_t>(a.v);
      const int64_t sb = static_cast<int64_t>(b.v);
      switch (e.op) {
        case ExprOp::kAdd:
          return {a.v + b.v, dep};
        case ExprOp::kSub:
          return {a.v - b.v, dep};
        case ExprOp::kBitAnd:
          return {a.v & b.v, dep};
        case ExprOp::kBitOr:
          return {a.v | b.v, dep};
        case ExprOp::kBitXor:
          return {a.v ^ b.v, dep};
        case ExprOp::kEq:
          return {a.v == b.v, dep};
        case ExprOp::kNe:
          return {a.v != b.v, dep};
        case ExprOp::kLt:
          return {sa < sb, dep};
        case ExprOp::kGt:
          return {sa > sb, dep};
        case ExprOp::kLe:
          return {sa <= sb, dep};
        case ExprOp::kGe:
          return {sa >= sb, dep};
        case ExprOp::kAnd:
          return {a.v != 0 && b.v != 0, dep};
        case ExprOp::kOr:
          return {a.v != 0 || b.v != 0, dep};
        default:
          return a;
      }
    }
  }
  return {};
}

uint64_t RmwReturn(const LitmusStmt& s, uint64_t old, uint64_t a, uint64_t b) {
  switch (s.result) {
    case RmwResult::kNone:
    case RmwResult::kOld:
      return old;
    case RmwResult::kNew:
      return old + a;
    case RmwResult::kSucceeded:
      return old != b ? 1 : 0;
    case RmwResult::kNewIsZero:
      return old + a == 0 ? 1 : 0;
  }
  return old;
}

}  // namespace

Task<void> LitmusThread(Cpu& cpu, const LitmusTest& test, int thread,
                        std::vector<uint64_t>* regs_out, std::string* fault_out) {
  FuncScope func_scope(cpu, &kThreadFuncs[thread]);
  const LitmusThreadCode& code = test.threads[thread];
  const int num_vars = static_cast<int>(test.vars.size());
  std::vector<Value> regs(code.regs.size());
  for (size_t i = 0; i < regs.size(); ++i) regs[i].v = code.regs[i].init;
  auto save = [&] {
    regs_out->resize(regs.size());
    for (size_t i = 0; i < regs.size(); ++i) (*regs_out)[i] = regs[i].v;
  };

  // The statements still to run: an explicit stack of blocks instead of recursion, so the whole
  // thread is one coroutine frame.
  struct Block {
    const std::vector<LitmusStmt>* stmts;
    size_t next;
  };
  std::vector<Block> stack = {{&code.body, 0}};
  while (!stack.empty()) {
    Block& top = stack.back();
    if (top.next == top.stmts->size()) {
      stack.pop_back();
      continue;
    }
    const LitmusStmt& s = (*top.stmts)[top.next++];
    switch (s.kind) {
      case LitmusStmt::Kind::kAssign:
        regs[s.dst] = Eval(s.a, regs, cpu);
        continue;
      case LitmusStmt::Kind::kIf: {
        const std::vector<LitmusStmt>& body = Eval(s.a, regs, cpu).v != 0 ? s.then_body : s.else_body;
        if (!body.empty()) stack.push_back({&body, 0});
        continue;
      }
      case LitmusStmt::Kind::kFence:
        co_await cpu.Fence(s.fence);
        continue;
      case LitmusStmt::Kind::kSpinLock:
        if (s.target.var >= 0) co_await cpu.VarSpinLock(static_cast<uint32_t>(s.target.var));
        continue;
      case LitmusStmt::Kind::kSpinUnlock:
        if (s.target.var >= 0) co_await cpu.VarSpinUnlock(static_cast<uint32_t>(s.target.var));
        continue;
      case LitmusStmt::Kind::kLoad:
      case LitmusStmt::Kind::kStore:
      case LitmusStmt::Kind::kRmw:
        break;
    }
    // A memory access: resolve the location, directly or through a pointer register.
    int var = s.target.var;
    Dep dep = kNoDep;
    if (var < 0) {
      const Value& ptr = regs[s.target.reg];
      var = LitmusAddressVar(ptr.v, num_vars);
      dep = ptr.dep;
      std::string fault;
      if (var < 0) {
        fault =
            absl::StrCat("line ", s.line, ": P", thread, " accesses *",
                         code.regs[s.target.reg].name, " but ", code.regs[s.target.reg].name, " = ",
                         FormatLitmusValue(test, ptr.v), " is not the address of a variable");
      }
      if (!fault.empty()) {
        if (fault_out != nullptr) *fault_out = std::move(fault);
        save();
        co_return;
      }
    }
    const uint32_t index = static_cast<uint32_t>(var);
    if (s.kind == LitmusStmt::Kind::kLoad) {
      const Loaded loaded = co_await cpu.VarLoad(index, s.order, dep);
      if (s.dst >= 0) regs[s.dst] = {loaded.value, loaded.dep};
    } else if (s.kind == LitmusStmt::Kind::kStore) {
      co_await cpu.VarStore(index, Eval(s.a, regs, cpu).v, s.order);
    } else {
      const uint64_t a = Eval(s.a, regs, cpu).v;
      const uint64_t b = Eval(s.b, regs, cpu).v;
      const uint64_t old = co_await cpu.VarRmw(index, s.rmw, a, b, s.order);
      if (s.dst >= 0) regs[s.dst] = {RmwReturn(s, old, a, b), kNoDep};
    }
  }
  save();
}

}  // namespace ptfuzz
