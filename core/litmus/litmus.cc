// The LKMM litmus parser: a hand-written lexer and recursive-descent parser over the subset
// described in litmus.h. Every error names FILE:LINE and what was expected, so a test that uses
// a primitive outside the subset is rejected, never half-understood.
//
// Why one file of about 1100 lines: the lexer, the primitive tables and the grammar together
// are the definition of the accepted format; reviewing a change to it means reading all three.
#include "core/litmus/litmus.h"

#include <algorithm>
#include <cctype>
#include <fstream>
#include <set>
#include <sstream>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "core/check.h"

namespace ptfuzz {

int LitmusAddressVar(uint64_t value, int num_vars) {
  if (value < kLitmusAddressBase || (value - kLitmusAddressBase) % 8 != 0) return -1;
  const uint64_t var = (value - kLitmusAddressBase) / 8;
  return var < static_cast<uint64_t>(num_vars) ? static_cast<int>(var) : -1;
}

absl::string_view LitmusResultName(LitmusResult r) {
  switch (r) {
    case LitmusResult::kNever:
      return "Never";
    case LitmusResult::kSometimes:
      return "Sometimes";
    case LitmusResult::kAlways:
      return "Always";
  }
  return "?";
}

std::optional<LitmusResult> ParseLitmusResult(absl::string_view word) {
  if (word == "Never") return LitmusResult::kNever;
  if (word == "Sometimes") return LitmusResult::kSometimes;
  if (word == "Always") return LitmusResult::kAlways;
  return std::nullopt;
}

absl::string_view LitmusQuantifierName(LitmusQuantifier q) {
  switch (q) {
    case LitmusQuantifier::kExists:
      return "exists";
    case LitmusQuantifier::kNotExists:
      return "~exists";
    case LitmusQuantifier::kForall:
      return "forall";
  }
  return "?";
}

bool EvalLitmusCond(const LitmusCond& cond, const std::vector<std::vector<uint64_t>>& regs,
                    const std::vector<uint64_t>& vars) {
  switch (cond.kind) {
    case LitmusCond::Kind::kTrue:
      return true;
    case LitmusCond::Kind::kFalse:
      return false;
    case LitmusCond::Kind::kRegEq:
      return regs[cond.thread][cond.reg] == cond.value;
    case LitmusCond::Kind::kVarEq:
      return vars[cond.var] == cond.value;
    case LitmusCond::Kind::kNot:
      return !EvalLitmusCond(cond.args[0], regs, vars);
    case LitmusCond::Kind::kAnd:
      return EvalLitmusCond(cond.args[0], regs, vars) && EvalLitmusCond(cond.args[1], regs, vars);
    case LitmusCond::Kind::kOr:
      return EvalLitmusCond(cond.args[0], regs, vars) || EvalLitmusCond(cond.args[1], regs, vars);
  }
  return false;
}

std::string FormatLitmusValue(const LitmusTest& test, uint64_t v) {
  const int var = LitmusAddressVar(v, static_cast<int>(test.vars.size()));
  if (var >= 0) return absl::StrCat("&", test.vars[var].name);
  return absl::StrCat(static_cast<int64_t>(v));
}

namespace {

struct Token {
  enum class Type : uint8_t { kIdent, kNumber, kPunct, kEnd };
  Type type = Type::kEnd;
  std::string text;
  uint64_t number = 0;
  int line = 0;
  size_t begin = 0;  // offsets in the source, for quoting the condition
  size_t end = 0;
};

// Multi-character punctuation first: the lexer takes the longest match.
constexpr absl::string_view kPunct[] = {"/\\", "\\/", "==", "!=", "<=", ">=", "&&", "||", "(", ")",
                                        "{",   "}",   "[",  "]",  ";",  ",",  "*",  "&",  "=", "<",
                                        ">",   "!",   "+",  "-",  "^",  "|",  "~",  ":",  "."};

// Splits `text` from `offset` on, skipping whitespace and C comments.
absl::StatusOr<std::vector<Token>> Lex(absl::string_view text, size_t offset, int line,
                                       absl::string_view file) {
  std::vector<Token> out;
  size_t i = offset;
  auto error = [&](absl::string_view what) {
    return absl::InvalidArgumentError(absl::StrCat(file, ":", line, ": ", what));
  };
  while (i < text.size()) {
    const char c = text[i];
    if (c == '\n') {
      ++line;
      ++i;
      continue;
    }
    if (absl::ascii_isspace(static_cast<unsigned char>(c))) {
      ++i;
      continue;
    }
    if (absl::StartsWith(text.substr(i), "//")) {
      while (i < text.size() && text[i] != '\n') ++i;
      continue;
    }
    if (absl::StartsWith(text.substr(i), "/*")) {
      const size_t close = text.find("*/", i + 2);
      if (close == absl::string_view::npos) return error("unterminated /* comment");
      for (size_t k = i; k < close; ++k) line += text[k] == '\n';
      i = close + 2;
      continue;
    }
    // herd's `(* ... *)` comments also appear after the code (e.g. after `locations [...]`). In
    // code `(*` starts a dereference, `(*x)`, so a comment is `(*` followed by a space, a
    // newline, another `*` or `)`.
    if (absl::StartsWith(text.substr(i), "(*") && i + 2 < text.size() &&
        (absl::ascii_isspace(static_cast<unsigned char>(text[i + 2])) || text[i + 2] == '*' ||
         text[i + 2] == ')')) {
      const size_t close = text.find("*)", i + 2);
      if (close == absl::string_view::npos) return error("unterminated (* comment");
      for (size_t k = i; k < close; ++k) line += text[k] == '\n';
      i = close + 2;
      continue;
    }
    Token t;
    t.line = line;
    t.begin = i;
    if (absl::ascii_isalpha(static_cast<unsigned char>(c)) || c == '_') {
      size_t j = i;
      while (j < text.size() &&
             (absl::ascii_isalnum(static_cast<unsigned char>(text[j])) || text[j] == '_')) {
        ++j;
      }
      t.type = Token::Type::kIdent;
      t.text = std::string(text.substr(i, j - i));
      i = j;
    } else if (absl::ascii_isdigit(static_cast<unsigned char>(c))) {
      size_t j = i;
      while (j < text.size() &&
             (absl::ascii_isalnum(static_cast<unsigned char>(text[j])) || text[j] == '_')) {
        ++j;
      }
      t.type = Token::Type::kNumber;
      t.text = std::string(text.substr(i, j - i));
      const bool hex = absl::StartsWithIgnoreCase(t.text, "0x");
      if (!(hex ? absl::SimpleHexAtoi(t.text, &t.number) : absl::SimpleAtoi(t.text, &t.number))) {
        return error(absl::StrCat("bad number `", t.text, "`"));
      }
      i = j;
    } else {
      t.type = Token::Type::kPunct;
      for (absl::string_view p : kPunct) {
        if (absl::StartsWith(text.substr(i), p)) {
          t.text = std::string(p);
          break;
        }
      }
      if (t.text.empty())
        return error(absl::StrCat("unexpected character `", text.substr(i, 1), "`"));
      i += t.text.size();
    }
    t.end = i;
    out.push_back(std::move(t));
  }
  Token end;
  end.line = line;
  end.begin = end.end = text.size();
  out.push_back(end);
  return out;
}

// Fixed-shape primitives. Loads and stores take `*p` (the _ONCE and rcu_ macros) or `p` (the
// others), where p is a parameter or a pointer register.
struct AccessSpec {
  absl::string_view name;
  LitmusStmt::Kind kind;
  MemOrder order;
  bool deref;  // the location is written `*p`
};
constexpr AccessSpec kAccesses[] = {
    {"READ_ONCE", LitmusStmt::Kind::kLoad, MemOrder::kOnce, true},
    {"rcu_dereference", LitmusStmt::Kind::kLoad, MemOrder::kOnce, true},
    {"smp_load_acquire", LitmusStmt::Kind::kLoad, MemOrder::kAcquire, false},
    {"atomic_read", LitmusStmt::Kind::kLoad, MemOrder::kOnce, false},
    {"atomic_read_acquire", LitmusStmt::Kind::kLoad, MemOrder::kAcquire, false},
    {"WRITE_ONCE", LitmusStmt::Kind::kStore, MemOrder::kOnce, true},
    {"rcu_assign_pointer", LitmusStmt::Kind::kStore, MemOrder::kRelease, true},
    {"smp_store_release", LitmusStmt::Kind::kStore, MemOrder::kRelease, false},
    {"atomic_set", LitmusStmt::Kind::kStore, MemOrder::kOnce, false},
    {"atomic_set_release", LitmusStmt::Kind::kStore, MemOrder::kRelease, false},
};

struct FenceSpec {
  absl::string_view name;
  FenceKind fence;
};
constexpr FenceSpec kFences[] = {
    {"smp_mb", FenceKind::kMb},
    {"smp_rmb", FenceKind::kRmb},
    {"smp_wmb", FenceKind::kWmb},
    {"smp_mb__before_atomic", FenceKind::kMbBeforeAtomic},
    {"smp_mb__after_atomic", FenceKind::kMbAfterAtomic},
    // Full barriers where they stand: after a lock acquisition, and upgrading an unlock+lock
    // pair (include/linux/spinlock.h, kernel/rcu/tree.h).
    {"smp_mb__after_spinlock", FenceKind::kMb},
    {"smp_mb__after_unlock_lock", FenceKind::kMb},
};

// Read-modify-writes, by base name (without _relaxed/_acquire/_release).
enum class RmwArgs : uint8_t {
  kLocVal,       // (p, v)
  kLocOldNew,    // (p, old, new)
  kValLoc,       // (i, p)
  kLoc,          // (p)
  kLocValLimit,  // (p, i, u)
};
enum class Operand : uint8_t { kAsIs, kNegate, kOne, kMinusOne };
struct RmwSpec {
  absl::string_view base;
  RmwOp op;
  RmwArgs args;
  Operand operand;  // how the first operand is formed from the argument
  RmwResult result;
  bool ordering_suffixes;  // the _relaxed/_acquire/_release forms exist
};
constexpr RmwSpec kRmws[] = {
    {"xchg", RmwOp::kXchg, RmwArgs::kLocVal, Operand::kAsIs, RmwResult::kOld, true},
    {"atomic_xchg", RmwOp::kXchg, RmwArgs::kLocVal, Operand::kAsIs, RmwResult::kOld, true},
    {"cmpxchg", RmwOp::kCmpxchg, RmwArgs::kLocOldNew, Operand::kAsIs, RmwResult::kOld, true},
    {"atomic_cmpxchg", RmwOp::kCmpxchg, RmwArgs::kLocOldNew, Operand::kAsIs, RmwResult::kOld, true},
    {"atomic_add_return", RmwOp::kAdd, RmwArgs::kValLoc, Operand::kAsIs, RmwResult::kNew, true},
    {"atomic_sub_return", RmwOp::kAdd, RmwArgs::kValLoc, Operand::kNegate, RmwResult::kNew, true},
    {"atomic_inc_return", RmwOp::kAdd, RmwArgs::kLoc, Operand::kOne, RmwResult::kNew, true},
    {"atomic_dec_return", RmwOp::kAdd, RmwArgs::kLoc, Operand::kMinusOne, RmwResult::kNew, true},
    {"atomic_fetch_add", RmwOp::kAdd, RmwArgs::kValLoc, Operand::kAsIs, RmwResult::kOld, true},
    {"atomic_fetch_sub", RmwOp::kAdd, RmwArgs::kValLoc, Operand::kNegate, RmwResult::kOld, true},
    {"atomic_fetch_inc", RmwOp::kAdd, RmwArgs::kLoc, Operand::kOne, RmwResult::kOld, true},
    {"atomic_fetch_dec", RmwOp::kAdd, RmwArgs::kLoc, Operand::kMinusOne, RmwResult::kOld, true},
    {"atomic_add", RmwOp::kAdd, RmwArgs::kValLoc, Operand::kAsIs, RmwResult::kNone, false},
    {"atomic_sub", RmwOp::kAdd, RmwArgs::kValLoc, Operand::kNegate, RmwResult::kNone, false},
    {"atomic_inc", RmwOp::kAdd, RmwArgs::kLoc, Operand::kOne, RmwResult::kNone, false},
    {"atomic_dec", RmwOp::kAdd, RmwArgs::kLoc, Operand::kMinusOne, RmwResult::kNone, false},
    {"atomic_add_unless", RmwOp::kAddUnless, RmwArgs::kLocValLimit, Operand::kAsIs,
     RmwResult::kSucceeded, false},
    {"atomic_inc_not_zero", RmwOp::kAddUnless, RmwArgs::kLoc, Operand::kOne, RmwResult::kSucceeded,
     false},
    {"atomic_dec_and_test", RmwOp::kAdd, RmwArgs::kLoc, Operand::kMinusOne, RmwResult::kNewIsZero,
     false},
    {"atomic_inc_and_test", RmwOp::kAdd, RmwArgs::kLoc, Operand::kOne, RmwResult::kNewIsZero,
     false},
    {"atomic_sub_and_test", RmwOp::kAdd, RmwArgs::kValLoc, Operand::kNegate, RmwResult::kNewIsZero,
     false},
};

// Words that may start a declaration (of a register, a parameter or an initial variable).
bool IsTypeWord(absl::string_view w) {
  static constexpr absl::string_view kTypes[] = {
      "int",      "unsigned", "long",       "short",    "char",      "signed", "const",
      "volatile", "atomic_t", "spinlock_t", "intptr_t", "uintptr_t", "u8",     "u16",
      "u32",      "u64",      "s8",         "s16",      "s32",       "s64",    "bool"};
  for (absl::string_view t : kTypes) {
    if (w == t) return true;
  }
  return false;
}

LitmusExpr Const(uint64_t v) {
  LitmusExpr e;
  e.value = v;
  return e;
}

LitmusExpr Unary(ExprOp op, LitmusExpr arg) {
  LitmusExpr e;
  e.kind = LitmusExpr::Kind::kUnary;
  e.op = op;
  e.args.push_back(std::move(arg));
  return e;
}

LitmusExpr Binary(ExprOp op, LitmusExpr lhs, LitmusExpr rhs) {
  LitmusExpr e;
  e.kind = LitmusExpr::Kind::kBinary;
  e.op = op;
  e.args.push_back(std::move(lhs));
  e.args.push_back(std::move(rhs));
  return e;
}

LitmusCond CondNode(LitmusCond::Kind kind, std::vector<LitmusCond> args) {
  LitmusCond c;
  c.kind = kind;
  c.args = std::move(args);
  return c;
}

class Parser {
 public:
  Parser(std::vector<Token> tokens, absl::string_view text, LitmusTest* test)
      : tokens_(std::move(tokens)), text_(text), test_(*test) {}

  absl::Status Parse();

 private:
  // A register initialised in the init block (`0:r1=5;`), applied once the thread is parsed.
  struct RegInit {
    int thread;
    std::string name;
    uint64_t value;
    int line;
  };
  // Names visible in the thread being parsed.
  struct Scope {
    std::map<std::string, int> params;  // parameter -> variable
    std::map<std::string, int> regs;    // register -> index
    LitmusThreadCode* code = nullptr;
    int thread = 0;
  };

  const Token& Peek(size_t ahead = 0) const {
    return tokens_[std::min(pos_ + ahead, tokens_.size() - 1)];
  }
  const Token& Next() {
    const Token& t = Peek();
    if (pos_ < tokens_.size() - 1) ++pos_;
    return t;
  }
  bool IsPunct(absl::string_view p, size_t ahead = 0) const {
    return Peek(ahead).type == Token::Type::kPunct && Peek(ahead).text == p;
  }
  bool IsIdent(absl::string_view w, size_t ahead = 0) const {
    return Peek(ahead).type == Token::Type::kIdent && Peek(ahead).text == w;
  }
  bool TakePunct(absl::string_view p) {
    if (!IsPunct(p)) return false;
    Next();
    return true;
  }
  absl::Status Error(const Token& at, absl::string_view what) const {
    return absl::InvalidArgumentError(absl::StrCat(test_.file, ":", at.line, ": ", what));
  }
  static std::string Quote(const Token& t) {
    return t.type == Token::Type::kEnd ? std::string("end of file")
                                       : absl::StrCat("`", t.text, "`");
  }
  absl::Status Expect(absl::string_view p, absl::string_view context) {
    if (TakePunct(p)) return absl::OkStatus();
    return Error(Peek(), absl::StrCat("expected `", p, "` ", context, ", found ", Quote(Peek())));
  }
  absl::StatusOr<std::string> ExpectIdent(absl::string_view what) {
    if (Peek().type != Token::Type::kIdent) {
      return Error(Peek(), absl::StrCat("expected ", what, ", found ", Quote(Peek())));
    }
    return Next().text;
  }

  // The variable named `name`, declared (value 0) on first mention.
  int Var(const std::string& name) {
    auto it = var_index_.find(name);
    if (it != var_index_.end()) return it->second;
    const int index = static_cast<int>(test_.vars.size());
    test_.vars.push_back({name, 0});
    var_index_[name] = index;
    return index;
  }

  absl::Status ParseInit();
  absl::StatusOr<uint64_t> ParseInitValue();
  absl::Status ParseThread();
  absl::Status ParseParams(Scope& scope);
  absl::Status ParseBlock(Scope& scope, std::vector<LitmusStmt>* out);
  absl::Status ParseStmt(Scope& scope, std::vector<LitmusStmt>* out);
  absl::Status ParseDeclaration(Scope& scope, std::vector<LitmusStmt>* out);
  absl::Status ParseCall(Scope& scope, int dst, std::vector<LitmusStmt>* out);
  absl::StatusOr<LitmusTarget> ParseTarget(Scope& scope, bool deref, absl::string_view primitive);
  absl::StatusOr<LitmusExpr> ParseExpr(Scope& scope, int min_prec = 1);
  absl::StatusOr<LitmusExpr> ParsePrimary(Scope& scope);
  absl::Status ParseFinal();
  absl::StatusOr<LitmusCond> ParseProp();
  absl::StatusOr<LitmusCond> ParseConj();
  absl::StatusOr<LitmusCond> ParseCondUnary();
  absl::StatusOr<LitmusCond> ParseAtom();
  absl::StatusOr<uint64_t> ParseCondValue();

  std::vector<Token> tokens_;
  size_t pos_ = 0;
  absl::string_view text_;
  LitmusTest& test_;
  std::map<std::string, int> var_index_;
  std::vector<RegInit> reg_inits_;
  std::set<std::string> initialised_;  // variables the initial-state block names
};

absl::Status Parser::Parse() {
  PTFUZZ_RETURN_IF_ERROR(ParseInit());
  while (Peek().type == Token::Type::kIdent && Peek().text.size() >= 2 && Peek().text[0] == 'P' &&
         absl::ascii_isdigit(static_cast<unsigned char>(Peek().text[1]))) {
    PTFUZZ_RETURN_IF_ERROR(ParseThread());
  }
  if (test_.threads.empty()) return Error(Peek(), "expected a thread `P0(...) { ... }`");
  for (const RegInit& init : reg_inits_) {
    if (init.thread >= static_cast<int>(test_.threads.size())) {
      return absl::InvalidArgumentError(absl::StrCat(test_.file, ":", init.line,
                                                     ": the initial state sets a register of P",
                                                     init.thread, ", which does not exist"));
    }
    std::vector<LitmusReg>& regs = test_.threads[init.thread].regs;
    bool found = false;
    for (LitmusReg& r : regs) {
      if (r.name == init.name) {
        r.init = init.value;
        found = true;
      }
    }
    if (!found) regs.push_back({init.name, init.value});
  }
  return ParseFinal();
}

absl::Status Parser::ParseInit() {
  PTFUZZ_RETURN_IF_ERROR(Expect("{", "to open the initial state"));
  while (!TakePunct("}")) {
    if (TakePunct(";")) continue;
    const Token& first = Peek();
    if (first.type == Token::Type::kEnd) return Error(first, "unterminated initial-state block");
    if (first.type == Token::Type::kNumber && IsPunct(":", 1)) {
      Next();
      Next();
      PTFUZZ_ASSIGN_OR_RETURN(std::string reg, ExpectIdent("a register name after `N:`"));
      PTFUZZ_RETURN_IF_ERROR(Expect("=", "after the register"));
      PTFUZZ_ASSIGN_OR_RETURN(uint64_t v, ParseInitValue());
      if (first.number >= kMaxLitmusThreads) return Error(first, "no such thread");
      reg_inits_.push_back({static_cast<int>(first.number), reg, v, first.line});
      continue;
    }
    // [type words] [*...] name [= value]
    std::string name;
    while (Peek().type == Token::Type::kIdent || IsPunct("*")) {
      const Token& t = Next();
      if (t.type == Token::Type::kIdent) {
        if (!name.empty() && !IsTypeWord(name)) {
          return Error(t, absl::StrCat("unexpected ", Quote(t), " after `", name, "`"));
        }
        name = t.text;
      }
    }
    if (name.empty() || IsTypeWord(name)) {
      return Error(Peek(),
                   absl::StrCat("expected an initial value like `x=1;`, found ", Quote(Peek())));
    }
    if (!initialised_.insert(name).second) {
      return Error(first, absl::StrCat("`", name, "` is initialised twice"));
    }
    const int var = Var(name);
    if (TakePunct("=")) {
      PTFUZZ_ASSIGN_OR_RETURN(uint64_t v, ParseInitValue());
      test_.vars[var].init = v;
    }
    if (!IsPunct("}")) {
      PTFUZZ_RETURN_IF_ERROR(Expect(";", "after an initial value"));
    }
  }
  return absl::OkStatus();
}

// An integer, `-integer`, `&x` or `x` (both: the address of x), or ATOMIC_INIT(integer).
absl::StatusOr<uint64_t> Parser::ParseInitValue() {
  const bool negative = TakePunct("-");
  if (Peek().type == Token::Type::kNumber) {
    const uint64_t n = Next().number;
    return negative ? ~n + 1 : n;
  }
  if (negative) return Error(Peek(), "expected a number after `-`");
  TakePunct("&");
  if (IsIdent("ATOMIC_INIT")) {
    Next();
    PTFUZZ_RETURN_IF_ERROR(Expect("(", "after ATOMIC_INIT"));
    PTFUZZ_ASSIGN_OR_RETURN(uint64_t v, ParseInitValue());
    PTFUZZ_RETURN_IF_ERROR(Expect(")", "to close ATOMIC_INIT"));
    return v;
  }
  if (Peek().type != Token::Type::kIdent) {
    return Error(Peek(),
                 absl::StrCat("expected a value (a number or a variable), found ", Quote(Peek())));
  }
  return LitmusAddress(Var(Next().text));
}

absl::Status Parser::ParseThread() {
  const Token& head = Next();
  int n = 0;
  if (!absl::SimpleAtoi(absl::string_view(head.text).substr(1), &n) ||
      n != static_cast<int>(test_.threads.size())) {
    return Error(head,
                 absl::StrCat("expected thread P", test_.threads.size(), ", found ", Quote(head)));
  }
  if (n >= kMaxLitmusThreads) {
    return Error(head, absl::StrCat("at most ", kMaxLitmusThreads, " threads are supported"));
  }
  test_.threads.emplace_back();
  Scope scope;
  scope.thread = n;
  scope.code = &test_.threads.back();
  scope.code->line = head.line;
  PTFUZZ_RETURN_IF_ERROR(ParseParams(scope));
  // Registers set in the init block are visible in the body even if it does not declare them.
  for (const RegInit& init : reg_inits_) {
    if (init.thread == n && !scope.regs.count(init.name)) {
      scope.regs[init.name] = static_cast<int>(scope.code->regs.size());
      scope.code->regs.push_back({init.name, init.value});
    }
  }
  PTFUZZ_RETURN_IF_ERROR(Expect("{", "to open the thread's body"));
  return ParseBlock(scope, &scope.code->body);
}

absl::Status Parser::ParseParams(Scope& scope) {
  PTFUZZ_RETURN_IF_ERROR(Expect("(", "after the thread name"));
  if (TakePunct(")")) return absl::OkStatus();
  while (true) {
    const Token& start = Peek();
    std::string name;
    bool pointer = false;
    while (Peek().type == Token::Type::kIdent || IsPunct("*")) {
      const Token& t = Next();
      if (t.type == Token::Type::kPunct) {
        pointer = true;
      } else {
        name = t.text;
      }
    }
    if (name.empty() || IsTypeWord(name)) {
      return Error(Peek(),
                   absl::StrCat("expected a parameter like `int *x`, found ", Quote(Peek())));
    }
    if (!pointer) {
      return Error(start,
                   absl::StrCat("parameter `", name,
                                "` must be a pointer to a shared variable (`int *", name, "`)"));
    }
    scope.params[name] = Var(name);
    if (TakePunct(")")) return absl::OkStatus();
    PTFUZZ_RETURN_IF_ERROR(Expect(",", "between parameters"));
  }
}

// Statements up to and including the closing `}`.
absl::Status Parser::ParseBlock(Scope& scope, std::vector<LitmusStmt>* out) {
  while (!TakePunct("}")) {
    if (Peek().type == Token::Type::kEnd) return Error(Peek(), "missing `}`");
    PTFUZZ_RETURN_IF_ERROR(ParseStmt(scope, out));
  }
  return absl::OkStatus();
}

absl::Status Parser::ParseStmt(Scope& scope, std::vector<LitmusStmt>* out) {
  const Token& t = Peek();
  if (TakePunct(";")) return absl::OkStatus();
  if (TakePunct("{")) return ParseBlock(scope, out);
  if (IsIdent("if")) {
    Next();
    LitmusStmt s;
    s.kind = LitmusStmt::Kind::kIf;
    s.line = t.line;
    s.primitive = "if";
    PTFUZZ_RETURN_IF_ERROR(Expect("(", "after `if`"));
    PTFUZZ_ASSIGN_OR_RETURN(LitmusExpr cond, ParseExpr(scope));
    s.a = std::move(cond);
    PTFUZZ_RETURN_IF_ERROR(Expect(")", "after the if condition"));
    PTFUZZ_RETURN_IF_ERROR(ParseStmt(scope, &s.then_body));
    if (IsIdent("else")) {
      Next();
      PTFUZZ_RETURN_IF_ERROR(ParseStmt(scope, &s.else_body));
    }
    out->push_back(std::move(s));
    return absl::OkStatus();
  }
  if (t.type == Token::Type::kIdent && IsTypeWord(t.text)) return ParseDeclaration(scope, out);
  if (IsPunct("*")) {  // a plain store `*p = e;`
    Next();
    LitmusStmt s;
    s.kind = LitmusStmt::Kind::kStore;
    s.line = t.line;
    s.primitive = "plain store";
    s.order = MemOrder::kPlain;
    PTFUZZ_ASSIGN_OR_RETURN(LitmusTarget target, ParseTarget(scope, false, "a plain store"));
    s.target = target;
    PTFUZZ_RETURN_IF_ERROR(Expect("=", "in a plain store `*p = value;`"));
    PTFUZZ_ASSIGN_OR_RETURN(LitmusExpr value, ParseExpr(scope));
    s.a = std::move(value);
    test_.unsupported.push_back(
        absl::StrCat("line ", t.line, ": plain accesses and data races are not modelled"));
    out->push_back(std::move(s));
    return Expect(";", "after the statement");
  }
  if (t.type != Token::Type::kIdent) {
    return Error(t, absl::StrCat("expected a statement, found ", Quote(t)));
  }
  auto reg = scope.regs.find(t.text);
  if (reg != scope.regs.end() && IsPunct("=", 1)) {
    Next();
    Next();
    const int dst = reg->second;
    if (IsPunct("*")) {  // a plain load `r = *p;`
      Next();
      LitmusStmt s;
      s.kind = LitmusStmt::Kind::kLoad;
      s.line = t.line;
      s.primitive = "plain load";
      s.order = MemOrder::kPlain;
      s.dst = dst;
      PTFUZZ_ASSIGN_OR_RETURN(LitmusTarget target, ParseTarget(scope, false, "a plain load"));
      s.target = target;
      test_.unsupported.push_back(
          absl::StrCat("line ", t.line, ": plain accesses and data races are not modelled"));
      out->push_back(std::move(s));
      return Expect(";", "after the statement");
    }
    if (Peek().type == Token::Type::kIdent && IsPunct("(", 1) && !scope.regs.count(Peek().text)) {
      return ParseCall(scope, dst, out);
    }
    LitmusStmt s;
    s.kind = LitmusStmt::Kind::kAssign;
    s.line = t.line;
    s.primitive = "=";
    s.dst = dst;
    PTFUZZ_ASSIGN_OR_RETURN(LitmusExpr value, ParseExpr(scope));
    s.a = std::move(value);
    out->push_back(std::move(s));
    return Expect(";", "after the assignment");
  }
  if (IsPunct("(", 1)) return ParseCall(scope, -1, out);
  if (IsPunct("=", 1)) {
    return Error(t, absl::StrCat("`", t.text, "` is not a register of P", scope.thread,
                                 " (declare it: `int ", t.text, ";`)"));
  }
  return Error(t, absl::StrCat("expected a statement, found ", Quote(t)));
}

// `int r0;`, `int *r1 = x;`, `int r2 = READ_ONCE(*y), r3;`: registers of the thread. An
// initialiser is an ordinary assignment at that point of the program.
absl::Status Parser::ParseDeclaration(Scope& scope, std::vector<LitmusStmt>* out) {
  while (Peek().type == Token::Type::kIdent && IsTypeWord(Peek().text)) Next();
  while (true) {
    while (IsPunct("*")) Next();
    const Token& name_tok = Peek();
    PTFUZZ_ASSIGN_OR_RETURN(std::string name, ExpectIdent("a register name"));
    if (scope.params.count(name)) {
      return Error(name_tok, absl::StrCat("register `", name, "` shadows a parameter"));
    }
    if (!scope.regs.count(name)) {
      scope.regs[name] = static_cast<int>(scope.code->regs.size());
      scope.code->regs.push_back({name, 0});
    }
    if (TakePunct("=")) {
      const int dst = scope.regs[name];
      if (Peek().type == Token::Type::kIdent && IsPunct("(", 1)) {
        PTFUZZ_RETURN_IF_ERROR(ParseCall(scope, dst, out));
        return absl::OkStatus();  // ParseCall consumed the `;`
      }
      LitmusStmt s;
      s.kind = LitmusStmt::Kind::kAssign;
      s.line = name_tok.line;
      s.primitive = "=";
      s.dst = dst;
      PTFUZZ_ASSIGN_OR_RETURN(LitmusExpr value, ParseExpr(scope));
      s.a = std::move(value);
      out->push_back(std::move(s));
    }
    if (TakePunct(";")) return absl::OkStatus();
    PTFUZZ_RETURN_IF_ERROR(Expect(",", "or `;` in a declaration"));
  }
}

// A primitive call; `dst` receives its value (-1: discarded). Consumes the trailing `;`.
absl::Status Parser::ParseCall(Scope& scope, int dst, std::vector<LitmusStmt>* out) {
  const Token& name_tok = Next();
  const std::string& name = name_tok.text;
  LitmusStmt s;
  s.line = name_tok.line;
  s.primitive = name;
  s.dst = dst;
  PTFUZZ_RETURN_IF_ERROR(Expect("(", absl::StrCat("after `", name, "`")));
  auto no_value = [&]() -> absl::Status {
    if (dst < 0) return absl::OkStatus();
    return Error(name_tok, absl::StrCat("`", name, "` returns no value"));
  };
  auto finish = [&]() -> absl::Status {
    PTFUZZ_RETURN_IF_ERROR(Expect(")", absl::StrCat("to close `", name, "(...)`")));
    out->push_back(std::move(s));
    return Expect(";", "after the statement");
  };
  auto expr = [&](LitmusExpr* e) -> absl::Status {
    PTFUZZ_ASSIGN_OR_RETURN(LitmusExpr v, ParseExpr(scope));
    *e = std::move(v);
    return absl::OkStatus();
  };
  auto target = [&](bool deref) -> absl::Status {
    PTFUZZ_ASSIGN_OR_RETURN(LitmusTarget t, ParseTarget(scope, deref, name));
    s.target = t;
    return absl::OkStatus();
  };
  auto comma = [&]() { return Expect(",", absl::StrCat("between the arguments of `", name, "`")); };

  if (name == "barrier") {  // a compiler barrier: orders nothing between CPUs in the LKMM
    PTFUZZ_RETURN_IF_ERROR(no_value());
    PTFUZZ_RETURN_IF_ERROR(Expect(")", "after `barrier(`"));
    return Expect(";", "after the statement");
  }
  // RCU read-side critical sections order nothing by themselves; only a grace period
  // (synchronize_rcu()) gives them meaning, and that is not modelled.
  if (name == "rcu_read_lock" || name == "rcu_read_unlock" || name == "synchronize_rcu") {
    PTFUZZ_RETURN_IF_ERROR(no_value());
    PTFUZZ_RETURN_IF_ERROR(Expect(")", absl::StrCat("after `", name, "(`")));
    if (name == "synchronize_rcu") {
      test_.unsupported.push_back(
          absl::StrCat("line ", name_tok.line,
                       ": synchronize_rcu(): RCU grace periods are not modelled in litmus tests"));
    }
    return Expect(";", "after the statement");
  }
  for (const FenceSpec& f : kFences) {
    if (name != f.name) continue;
    PTFUZZ_RETURN_IF_ERROR(no_value());
    s.kind = LitmusStmt::Kind::kFence;
    s.fence = f.fence;
    return finish();
  }
  for (const AccessSpec& a : kAccesses) {
    if (name != a.name) continue;
    s.kind = a.kind;
    s.order = a.order;
    if (a.kind == LitmusStmt::Kind::kStore) {
      PTFUZZ_RETURN_IF_ERROR(no_value());
    }
    PTFUZZ_RETURN_IF_ERROR(target(a.deref));
    if (a.kind == LitmusStmt::Kind::kStore) {
      PTFUZZ_RETURN_IF_ERROR(comma());
      PTFUZZ_RETURN_IF_ERROR(expr(&s.a));
    }
    return finish();
  }
  if (name == "spin_lock" || name == "spin_unlock") {
    PTFUZZ_RETURN_IF_ERROR(no_value());
    // spin_lock(): an acquire RMW that waits while the lock is held; spin_unlock(): a release
    // store (include/asm-generic/qspinlock.h). The lock is a shared variable: 0 free, c + 1 held
    // by CPU c.
    s.kind = name == "spin_lock" ? LitmusStmt::Kind::kSpinLock : LitmusStmt::Kind::kSpinUnlock;
    s.order = name == "spin_lock" ? MemOrder::kAcquire : MemOrder::kRelease;
    PTFUZZ_RETURN_IF_ERROR(target(false));
    if (s.target.var < 0) {
      test_.unsupported.push_back(
          absl::StrCat("line ", name_tok.line,
                       ": a spinlock reached through a pointer register is not modelled"));
    }
    return finish();
  }
  absl::string_view base = name;
  MemOrder suffix_order = MemOrder::kFull;
  bool suffixed = false;
  for (auto [suffix, order] :
       {std::pair<absl::string_view, MemOrder>{"_relaxed", MemOrder::kRelaxed},
        {"_acquire", MemOrder::kAcquire},
        {"_release", MemOrder::kRelease}}) {
    if (absl::ConsumeSuffix(&base, suffix)) {
      suffix_order = order;
      suffixed = true;
      break;
    }
  }
  for (const RmwSpec& r : kRmws) {
    if (base != r.base || (suffixed && !r.ordering_suffixes)) continue;
    s.kind = LitmusStmt::Kind::kRmw;
    s.rmw = r.op;
    s.result = r.result;
    // Value-returning RMWs are fully ordered; the others (atomic_inc, ...) are unordered.
    s.order = suffixed ? suffix_order
                       : (r.result == RmwResult::kNone ? MemOrder::kRelaxed : MemOrder::kFull);
    if (r.result == RmwResult::kNone) {
      PTFUZZ_RETURN_IF_ERROR(no_value());
    }
    LitmusExpr operand = Const(0);
    switch (r.args) {
      case RmwArgs::kLocVal:
        PTFUZZ_RETURN_IF_ERROR(target(false));
        PTFUZZ_RETURN_IF_ERROR(comma());
        PTFUZZ_RETURN_IF_ERROR(expr(&operand));
        break;
      case RmwArgs::kLocOldNew:
        PTFUZZ_RETURN_IF_ERROR(target(false));
        PTFUZZ_RETURN_IF_ERROR(comma());
        PTFUZZ_RETURN_IF_ERROR(expr(&operand));
        PTFUZZ_RETURN_IF_ERROR(comma());
        PTFUZZ_RETURN_IF_ERROR(expr(&s.b));
        break;
      case RmwArgs::kValLoc:
        PTFUZZ_RETURN_IF_ERROR(expr(&operand));
        PTFUZZ_RETURN_IF_ERROR(comma());
        PTFUZZ_RETURN_IF_ERROR(target(false));
        break;
      case RmwArgs::kLoc:
        PTFUZZ_RETURN_IF_ERROR(target(false));
        break;
      case RmwArgs::kLocValLimit:
        PTFUZZ_RETURN_IF_ERROR(target(false));
        PTFUZZ_RETURN_IF_ERROR(comma());
        PTFUZZ_RETURN_IF_ERROR(expr(&operand));
        PTFUZZ_RETURN_IF_ERROR(comma());
        PTFUZZ_RETURN_IF_ERROR(expr(&s.b));
        break;
    }
    switch (r.operand) {
      case Operand::kAsIs:
        s.a = std::move(operand);
        break;
      case Operand::kNegate:
        s.a = Unary(ExprOp::kNeg, std::move(operand));
        break;
      case Operand::kOne:
        s.a = Const(1);
        break;
      case Operand::kMinusOne:
        s.a = Const(~uint64_t{0});
        break;
    }
    // atomic_inc_not_zero(v) is atomic_add_unless(v, 1, 0).
    if (r.op == RmwOp::kAddUnless && r.args == RmwArgs::kLoc) s.b = Const(0);
    return finish();
  }
  return Error(name_tok, absl::StrCat("unsupported primitive `", name, "`"));
}

// `p` (deref == false) or `*p` (deref == true), where p is a parameter or a pointer register.
absl::StatusOr<LitmusTarget> Parser::ParseTarget(Scope& scope, bool deref,
                                                 absl::string_view primitive) {
  if (deref && !TakePunct("*")) {
    return Error(Peek(), absl::StrCat("`", primitive, "` takes a location written `*p`, found ",
                                      Quote(Peek())));
  }
  if (!deref && IsPunct("*")) {
    return Error(Peek(), absl::StrCat("`", primitive, "` takes a pointer `p`, not `*p`"));
  }
  const Token& t = Peek();
  PTFUZZ_ASSIGN_OR_RETURN(std::string name,
                          ExpectIdent("a location (a parameter or a pointer register)"));
  LitmusTarget target;
  if (auto it = scope.params.find(name); it != scope.params.end()) {
    target.var = it->second;
  } else if (auto r = scope.regs.find(name); r != scope.regs.end()) {
    target.reg = r->second;
  } else {
    return Error(
        t, absl::StrCat("`", name, "` is neither a parameter nor a register of P", scope.thread));
  }
  return target;
}

// Binary operators by C precedence (higher binds tighter).
struct BinaryOp {
  absl::string_view text;
  ExprOp op;
  int prec;
};
constexpr BinaryOp kBinaryOps[] = {
    {"||", ExprOp::kOr, 1},    {"&&", ExprOp::kAnd, 2},   {"|", ExprOp::kBitOr, 3},
    {"^", ExprOp::kBitXor, 4}, {"&", ExprOp::kBitAnd, 5}, {"==", ExprOp::kEq, 6},
    {"!=", ExprOp::kNe, 6},    {"<", ExprOp::kLt, 7},     {">", ExprOp::kGt, 7},
    {"<=", ExprOp::kLe, 7},    {">=", ExprOp::kGe, 7},    {"+", ExprOp::kAdd, 8},
    {"-", ExprOp::kSub, 8},
};

absl::StatusOr<LitmusExpr> Parser::ParseExpr(Scope& scope, int min_prec) {
  absl::StatusOr<LitmusExpr> lhs = ParsePrimary(scope);
  if (!lhs.ok()) return lhs;
  while (true) {
    const BinaryOp* found = nullptr;
    if (Peek().type == Token::Type::kPunct) {
      for (const BinaryOp& b : kBinaryOps) {
        if (Peek().text == b.text && b.prec >= min_prec) found = &b;
      }
    }
    if (found == nullptr) return lhs;
    Next();
    absl::StatusOr<LitmusExpr> rhs = ParseExpr(scope, found->prec + 1);
    if (!rhs.ok()) return rhs;
    lhs = Binary(found->op, *std::move(lhs), *std::move(rhs));
  }
}

absl::StatusOr<LitmusExpr> Parser::ParsePrimary(Scope& scope) {
  const Token& t = Next();
  if (t.type == Token::Type::kNumber) return Const(t.number);
  if (t.type == Token::Type::kPunct) {
    if (t.text == "(") {
      absl::StatusOr<LitmusExpr> e = ParseExpr(scope);
      if (!e.ok()) return e;
      PTFUZZ_RETURN_IF_ERROR(Expect(")", "to close the parenthesis"));
      return e;
    }
    for (auto [text, op] : {std::pair<absl::string_view, ExprOp>{"!", ExprOp::kNot},
                            {"-", ExprOp::kNeg},
                            {"~", ExprOp::kBitNot}}) {
      if (t.text != text) continue;
      absl::StatusOr<LitmusExpr> arg = ParsePrimary(scope);
      if (!arg.ok()) return arg;
      return Unary(op, *std::move(arg));
    }
    if (t.text == "*") {
      return Error(t,
                   "a plain access inside an expression is not supported; load it into a "
                   "register first (`r = READ_ONCE(*x);`)");
    }
    return Error(t, absl::StrCat("expected an expression, found ", Quote(t)));
  }
  if (t.type == Token::Type::kIdent) {
    if (IsPunct("(")) {
      return Error(t, absl::StrCat("`", t.text,
                                   "(...)` inside an expression is not supported; "
                                   "shared accesses are whole statements (`r = READ_ONCE(*x);`)"));
    }
    if (auto r = scope.regs.find(t.text); r != scope.regs.end()) {
      LitmusExpr e;
      e.kind = LitmusExpr::Kind::kReg;
      e.reg = r->second;
      return e;
    }
    if (auto p = scope.params.find(t.text); p != scope.params.end()) {
      return Const(LitmusAddress(p->second));
    }
    return Error(
        t, absl::StrCat("`", t.text, "` is neither a register nor a parameter of P", scope.thread));
  }
  return Error(t, absl::StrCat("expected an expression, found ", Quote(t)));
}

absl::Status Parser::ParseFinal() {
  if (IsIdent("locations")) {  // the variables herd lists in its output: irrelevant here
    Next();
    PTFUZZ_RETURN_IF_ERROR(Expect("[", "after `locations`"));
    while (!TakePunct("]")) {
      if (Peek().type == Token::Type::kEnd) return Error(Peek(), "missing `]` after `locations [`");
      Next();
    }
    TakePunct(";");
  }
  if (IsIdent("filter")) {
    Next();
    PTFUZZ_ASSIGN_OR_RETURN(LitmusCond filter, ParseProp());
    test_.filter = std::move(filter);
  }
  const Token& q = Peek();
  if (IsIdent("exists")) {
    test_.quantifier = LitmusQuantifier::kExists;
  } else if (IsPunct("~") && IsIdent("exists", 1)) {
    Next();
    test_.quantifier = LitmusQuantifier::kNotExists;
  } else if (IsIdent("forall")) {
    test_.quantifier = LitmusQuantifier::kForall;
  } else {
    return Error(q, absl::StrCat("expected `exists`, `~exists` or `forall`, found ", Quote(q)));
  }
  Next();
  const size_t begin = Peek().begin;
  PTFUZZ_ASSIGN_OR_RETURN(LitmusCond cond, ParseProp());
  test_.condition = std::move(cond);
  const size_t end = tokens_[pos_ - 1].end;
  test_.condition_text =
      absl::StrCat(LitmusQuantifierName(test_.quantifier), " ",
                   absl::StrJoin(absl::StrSplit(text_.substr(begin, end - begin),
                                                absl::ByAnyChar(" \t\n"), absl::SkipEmpty()),
                                 " "));
  TakePunct(";");
  if (Peek().type != Token::Type::kEnd) {
    return Error(Peek(), absl::StrCat("unexpected ", Quote(Peek()), " after the final condition"));
  }
  return absl::OkStatus();
}

absl::StatusOr<LitmusCond> Parser::ParseProp() {
  absl::StatusOr<LitmusCond> lhs = ParseConj();
  if (!lhs.ok()) return lhs;
  while (TakePunct("\\/")) {
    absl::StatusOr<LitmusCond> rhs = ParseConj();
    if (!rhs.ok()) return rhs;
    lhs = CondNode(LitmusCond::Kind::kOr, {*std::move(lhs), *std::move(rhs)});
  }
  return lhs;
}

absl::StatusOr<LitmusCond> Parser::ParseConj() {
  absl::StatusOr<LitmusCond> lhs = ParseCondUnary();
  if (!lhs.ok()) return lhs;
  while (TakePunct("/\\")) {
    absl::StatusOr<LitmusCond> rhs = ParseCondUnary();
    if (!rhs.ok()) return rhs;
    lhs = CondNode(LitmusCond::Kind::kAnd, {*std::move(lhs), *std::move(rhs)});
  }
  return lhs;
}

absl::StatusOr<LitmusCond> Parser::ParseCondUnary() {
  if (TakePunct("~")) {
    absl::StatusOr<LitmusCond> arg = ParseCondUnary();
    if (!arg.ok()) return arg;
    return CondNode(LitmusCond::Kind::kNot, {*std::move(arg)});
  }
  if (TakePunct("(")) {
    absl::StatusOr<LitmusCond> inner = ParseProp();
    if (!inner.ok()) return inner;
    PTFUZZ_RETURN_IF_ERROR(Expect(")", "to close the condition"));
    return inner;
  }
  if (IsIdent("true") || IsIdent("false")) {
    return CondNode(Next().text == "true" ? LitmusCond::Kind::kTrue : LitmusCond::Kind::kFalse, {});
  }
  return ParseAtom();
}

// `N:reg=value` or `var=value` (`==` and `!=` too).
absl::StatusOr<LitmusCond> Parser::ParseAtom() {
  const Token& t = Peek();
  LitmusCond atom;
  if (t.type == Token::Type::kNumber && IsPunct(":", 1)) {
    Next();
    Next();
    const Token& reg_tok = Peek();
    PTFUZZ_ASSIGN_OR_RETURN(std::string reg, ExpectIdent("a register after `N:`"));
    if (t.number >= test_.threads.size()) {
      return Error(t, absl::StrCat("the condition names P", t.number, ", which does not exist"));
    }
    atom.kind = LitmusCond::Kind::kRegEq;
    atom.thread = static_cast<int>(t.number);
    const std::vector<LitmusReg>& regs = test_.threads[atom.thread].regs;
    for (size_t i = 0; i < regs.size(); ++i) {
      if (regs[i].name == reg) atom.reg = static_cast<int>(i);
    }
    if (atom.reg < 0) {
      return Error(reg_tok, absl::StrCat("P", t.number, " has no register `", reg, "`"));
    }
  } else if (t.type == Token::Type::kIdent) {
    Next();
    auto it = var_index_.find(t.text);
    if (it == var_index_.end()) {
      return Error(t, absl::StrCat("the condition names `", t.text, "`, which is not a variable"));
    }
    atom.kind = LitmusCond::Kind::kVarEq;
    atom.var = it->second;
  } else {
    return Error(t, absl::StrCat("expected a condition like `0:r0=1` or `x=1`, found ", Quote(t)));
  }
  bool negated = false;
  if (TakePunct("!=")) {
    negated = true;
  } else if (!TakePunct("=") && !TakePunct("==")) {
    return Error(Peek(), absl::StrCat("expected `=` in the condition, found ", Quote(Peek())));
  }
  PTFUZZ_ASSIGN_OR_RETURN(uint64_t value, ParseCondValue());
  atom.value = value;
  if (negated) return CondNode(LitmusCond::Kind::kNot, {std::move(atom)});
  return atom;
}

absl::StatusOr<uint64_t> Parser::ParseCondValue() {
  const bool negative = TakePunct("-");
  if (Peek().type == Token::Type::kNumber) {
    const uint64_t n = Next().number;
    return negative ? ~n + 1 : n;
  }
  if (!negative) {
    TakePunct("&");
    if (Peek().type == Token::Type::kIdent) {
      auto it = var_index_.find(Peek().text);
      if (it != var_index_.end()) {
        Next();
        return LitmusAddress(it->second);
      }
    }
  }
  return Error(Peek(), absl::StrCat("expected a number or a variable, found ", Quote(Peek())));
}

// Reads the `(* ... *)` comment: the `Result:` line and this runner's `ptfuzz...:` lines.
absl::Status ParseHeaderComment(absl::string_view comment, int first_line, LitmusTest* test) {
  int line = first_line;
  for (absl::string_view raw : absl::StrSplit(comment, '\n')) {
    absl::string_view l = absl::StripAsciiWhitespace(raw);
    l.remove_prefix(std::min(l.find_first_not_of('*'), l.size()));
    l = absl::StripAsciiWhitespace(l);
    if (absl::ConsumePrefix(&l, "Result:")) {
      std::vector<absl::string_view> words =
          absl::StrSplit(l, absl::ByAnyChar(" \t"), absl::SkipEmpty());
      if (!words.empty()) test->expected = ParseLitmusResult(words[0]);
    } else if (absl::StartsWith(l, "ptfuzz")) {
      const size_t colon = l.find(':');
      absl::string_view key = l.substr(0, colon);
      std::string model;
      if (key == "ptfuzz" || key == "ptfuzz-relaxed") {
        model = "relaxed";
      } else if (key == "ptfuzz-tso") {
        model = "tso";
      } else if (key == "ptfuzz-sc") {
        model = "sc";
      }
      const std::string word = colon == absl::string_view::npos
                                   ? std::string()
                                   : std::string(absl::StripAsciiWhitespace(l.substr(colon + 1)));
      if (model.empty() || (word != "Unsupported" && !ParseLitmusResult(word))) {
        return absl::InvalidArgumentError(absl::StrCat(
            test->file, ":", line,
            ": expected `ptfuzz[-relaxed|-tso|-sc]: Never|Sometimes|Always|Unsupported`"));
      }
      test->model_expected[model] = word;
    }
    ++line;
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<LitmusTest> ParseLitmus(absl::string_view text, absl::string_view file) {
  LitmusTest test;
  test.file = std::string(file);
  // The header: `C NAME` on the first non-blank line.
  size_t pos = 0;
  int line = 1;
  while (pos < text.size() && absl::ascii_isspace(static_cast<unsigned char>(text[pos]))) {
    line += text[pos] == '\n';
    ++pos;
  }
  const size_t eol = std::min(text.find('\n', pos), text.size());
  std::vector<absl::string_view> words =
      absl::StrSplit(text.substr(pos, eol - pos), absl::ByAnyChar(" \t\r"), absl::SkipEmpty());
  if (words.size() < 2 || words[0] != "C") {
    return absl::InvalidArgumentError(
        absl::StrCat(file, ":", line, ": expected `C NAME` (only C litmus tests are supported)"));
  }
  test.name = std::string(words[1]);
  pos = eol;
  // An optional `(* ... *)` comment. Only here: in code `(*` starts `(*x)`.
  size_t after = pos;
  int comment_line = line;
  while (after < text.size() && absl::ascii_isspace(static_cast<unsigned char>(text[after]))) {
    comment_line += text[after] == '\n';
    ++after;
  }
  if (absl::StartsWith(text.substr(after), "(*")) {
    const size_t close = text.find("*)", after + 2);
    if (close == absl::string_view::npos) {
      return absl::InvalidArgumentError(
          absl::StrCat(file, ":", comment_line, ": unterminated (* comment"));
    }
    PTFUZZ_RETURN_IF_ERROR(
        ParseHeaderComment(text.substr(after + 2, close - after - 2), comment_line, &test));
    for (size_t k = pos; k < close; ++k) line += text[k] == '\n';
    pos = close + 2;
  }
  PTFUZZ_ASSIGN_OR_RETURN(std::vector<Token> tokens, Lex(text, pos, line, file));
  Parser parser(std::move(tokens), text, &test);
  PTFUZZ_RETURN_IF_ERROR(parser.Parse());
  return test;
}

absl::StatusOr<LitmusTest> ParseLitmusFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::InvalidArgumentError(absl::StrCat(path, ": cannot open"));
  std::ostringstream contents;
  contents << in.rdbuf();
  if (in.bad()) return absl::InvalidArgumentError(absl::StrCat(path, ": cannot read"));
  return ParseLitmus(contents.str(), path);
}

}  // namespace ptfuzz
