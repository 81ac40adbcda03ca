// LitmusTest: a Linux-kernel memory model (LKMM) litmus test in the kernel's C format
// (tools/memory-model/litmus-tests/*.litmus), parsed into a form the interpreter
// (core/litmus/litmus_thread.h) runs one statement per shared access.
//
// Accepted subset (docs of each form beside the parser in litmus.cc):
//   C NAME
//   (* comment; a `Result: Always|Sometimes|Never` line is the expected result *)
//   { initial state: `x=1;` `int x=1;` `int *p=&x;` `p=x;` `0:r1=0;` `atomic_t a=ATOMIC_INIT(1);` }
//   P0(int *x, atomic_t *a, ...) { declarations and statements }   ... up to P7
//   [locations [...];]  [filter (...)]  exists|~exists|forall (...)
// Statements: READ_ONCE/WRITE_ONCE, smp_load_acquire/smp_store_release, rcu_dereference/
// rcu_assign_pointer, the smp_* barriers, xchg/cmpxchg and the atomic_t API with their
// _relaxed/_acquire/_release forms, `if`/`else`, register assignments, and plain C accesses
// (`*x = 1;`, `r = *x;`), which parse but make the test unsupported.
//
// Values. Registers and variables hold uint64_t. The address of variable i is
// LitmusAddress(i) = 2^40 + 8 i: far above any constant a litmus test uses, so `int *p = &x`,
// `1:r0=x` and loads through pointer registers need no separate pointer type.
//
// The comment may also carry expectations for this runner, one per line:
//   ptfuzz: Unsupported          (= ptfuzz-relaxed:) the result under the relaxed model
//   ptfuzz-tso: Never            the result under TSO
//   ptfuzz-sc: Never             the result under SC
// A model without such a line is expected to give the `Result:` line.
//
// Not guaranteed: anything outside the subset is an error naming FILE:LINE, never a guess.
#ifndef PTFUZZ_CORE_LITMUS_LITMUS_H_
#define PTFUZZ_CORE_LITMUS_LITMUS_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "core/mem_order.h"

namespace ptfuzz {

// The interpreter gives each thread a CPU; trace function names exist for P0..P7.
inline constexpr int kMaxLitmusThreads = 8;

inline constexpr uint64_t kLitmusAddressBase = uint64_t{1} << 40;
inline constexpr uint64_t LitmusAddress(int var) { return kLitmusAddressBase + 8 * uint64_t(var); }
// The variable `value` is the address of, or -1.
int LitmusAddressVar(uint64_t value, int num_vars);

// herd's verdict on the proposition of the final clause.
enum class LitmusResult : uint8_t { kNever, kSometimes, kAlways };
absl::string_view LitmusResultName(LitmusResult r);
std::optional<LitmusResult> ParseLitmusResult(absl::string_view word);

// Binary: kAdd .. kOr (C's `+ - & | ^ == != < > <= >= && ||`); unary: kNot, kNeg, kBitNot.
enum class ExprOp : uint8_t {
  kAdd,
  kSub,
  kBitAnd,
  kBitOr,
  kBitXor,
  kEq,
  kNe,
  kLt,
  kGt,
  kLe,
  kGe,
  kAnd,
  kOr,
  kNot,
  kNeg,
  kBitNot,
};

// A register expression: evaluated locally, never touches shared memory.
struct LitmusExpr {
  enum class Kind : uint8_t { kConst, kReg, kUnary, kBinary };
  Kind kind = Kind::kConst;
  uint64_t value = 0;  // kConst (an address for `x` / `&x`)
  int reg = -1;        // kReg: index in the thread's registers
  ExprOp op = ExprOp::kAdd;
  std::vector<LitmusExpr> args;  // kUnary: 1, kBinary: 2
};

// The location a shared access touches: a variable named by a parameter, or the variable whose
// address a pointer register holds (an address dependency on the load that produced it).
struct LitmusTarget {
  int var = -1;  // >= 0: VarLoc(var)
  int reg = -1;  // >= 0: the register holding the address
};

// What a read-modify-write returns to its register.
enum class RmwResult : uint8_t {
  kNone,       // atomic_inc(): nothing
  kOld,        // xchg, cmpxchg, atomic_fetch_*: the old value
  kNew,        // atomic_*_return: the new value (old + operand)
  kSucceeded,  // atomic_add_unless, atomic_inc_not_zero: 1 if it added, else 0
  kNewIsZero,  // atomic_*_and_test: 1 if the new value is 0
};

struct LitmusStmt {
  enum class Kind : uint8_t {
    kLoad,      // dst = load(target)       READ_ONCE, smp_load_acquire, atomic_read, `r = *x`
    kStore,     // store(target, a)         WRITE_ONCE, smp_store_release, atomic_set, `*x = e`
    kRmw,       // dst = rmw(target, a, b)  xchg, cmpxchg, atomic_*
    kFence,     // smp_mb() and friends
    kAssign,    // dst = a                  register arithmetic, no shared access
    kIf,        // if (a) then_body else else_body
    kSpinLock,  // spin_lock(p): acquire, waits while held; spin_unlock(p): release
    kSpinUnlock,
  };
  Kind kind = Kind::kAssign;
  int line = 0;
  std::string primitive;  // the kernel primitive as written, e.g. "smp_load_acquire"
  int dst = -1;           // destination register, -1 when the value is discarded
  LitmusTarget target;
  MemOrder order = MemOrder::kOnce;
  RmwOp rmw = RmwOp::kXchg;
  RmwResult result = RmwResult::kNone;
  FenceKind fence = FenceKind::kMb;
  LitmusExpr a;  // the stored value / first RMW operand / the assigned value / the if condition
  LitmusExpr b;  // the second RMW operand (cmpxchg's new value, add_unless's limit)
  std::vector<LitmusStmt> then_body;
  std::vector<LitmusStmt> else_body;
};

struct LitmusVar {
  std::string name;
  uint64_t init = 0;
};

struct LitmusReg {
  std::string name;
  uint64_t init = 0;
};

struct LitmusThreadCode {
  int line = 0;
  std::vector<LitmusReg> regs;
  std::vector<LitmusStmt> body;
};

// A proposition over the final state.
struct LitmusCond {
  enum class Kind : uint8_t { kTrue, kFalse, kRegEq, kVarEq, kNot, kAnd, kOr };
  Kind kind = Kind::kTrue;
  int thread = -1;  // kRegEq
  int reg = -1;     // kRegEq
  int var = -1;     // kVarEq
  uint64_t value = 0;
  std::vector<LitmusCond> args;  // kNot: 1; kAnd, kOr: 2
};

enum class LitmusQuantifier : uint8_t { kExists, kNotExists, kForall };
absl::string_view LitmusQuantifierName(LitmusQuantifier q);

struct LitmusTest {
  std::string file;
  std::string name;
  std::optional<LitmusResult> expected;  // the comment's `Result:` line
  // The comment's `ptfuzz[-MODEL]: WORD` lines, by model name ("relaxed", "tso", "sc"); WORD is
  // a LitmusResultName or "Unsupported".
  std::map<std::string, std::string> model_expected;
  std::vector<LitmusVar> vars;
  std::vector<LitmusThreadCode> threads;
  std::optional<LitmusCond> filter;  // executions failing it are not counted
  LitmusQuantifier quantifier = LitmusQuantifier::kExists;
  LitmusCond condition;  // the proposition inside the quantifier
  std::string condition_text;
  // Reasons, found while parsing, why this runner cannot answer for the test (plain accesses,
  // spinlocks). Empty when the test is in the modelled subset.
  std::vector<std::string> unsupported;
};

// Parses `text`; `file` prefixes error messages ("FILE:LINE: what is wrong").
absl::StatusOr<LitmusTest> ParseLitmus(absl::string_view text, absl::string_view file);
absl::StatusOr<LitmusTest> ParseLitmusFile(const std::string& path);

// The condition's value on final registers (regs[thread][reg]) and variables (vars[var]).
bool EvalLitmusCond(const LitmusCond& cond, const std::vector<std::vector<uint64_t>>& regs,
                    const std::vector<uint64_t>& vars);

// `v` for humans: "&x" for a variable's address, a signed decimal otherwise.
std::string FormatLitmusValue(const LitmusTest& test, uint64_t v);

}  // namespace ptfuzz

#endif  // PTFUZZ_CORE_LITMUS_LITMUS_H_
