// The litmus parser (accepted forms, errors naming the line, the comment's expectations, the
// initial state, conditions) and, on the SC model, the interpreter and explorer end to end.
#include <string>
#include <vector>

#include "core/litmus/explore.h"
#include "core/litmus/litmus.h"
#include "core/tape_decider.h"
#include "gtest/gtest.h"

namespace ptfuzz {
namespace {

constexpr char kMp[] = R"(C MP+pooncerelease+poacquireonce

(*
 * Result: Never
 * ptfuzz-tso: Never
 *
 * comment text
 *)

{}

P0(int *x, int *y)
{
	WRITE_ONCE(*x, 1);
	smp_store_release(y, 1);
}

P1(int *x, int *y)
{
	int r0;
	int r1;

	r0 = smp_load_acquire(y);
	r1 = READ_ONCE(*x);
}

exists (1:r0=1 /\ 1:r1=0)
)";

constexpr char kSb[] = R"(C SB
{}
P0(int *x, int *y) { int r0; WRITE_ONCE(*x, 1); r0 = READ_ONCE(*y); }
P1(int *x, int *y) { int r0; WRITE_ONCE(*y, 1); r0 = READ_ONCE(*x); }
exists (0:r0=0 /\ 1:r0=0)
)";

LitmusTest MustParse(const std::string& text) {
  absl::StatusOr<LitmusTest> t = ParseLitmus(text, "t.litmus");
  EXPECT_TRUE(t.ok()) << t.status();
  return t.ok() ? *std::move(t) : LitmusTest{};
}

// The error message of parsing `text`, which must fail.
std::string ParseError(const std::string& text) {
  absl::StatusOr<LitmusTest> t = ParseLitmus(text, "t.litmus");
  EXPECT_FALSE(t.ok());
  EXPECT_EQ(t.status().code(), absl::StatusCode::kInvalidArgument);
  return std::string(t.status().message());
}

int VarIndex(const LitmusTest& t, const std::string& name) {
  for (size_t i = 0; i < t.vars.size(); ++i) {
    if (t.vars[i].name == name) return static_cast<int>(i);
  }
  return -1;
}

TEST(LitmusParserTest, ParsesMessagePassing) {
  const LitmusTest t = MustParse(kMp);
  EXPECT_EQ(t.name, "MP+pooncerelease+poacquireonce");
  ASSERT_TRUE(t.expected.has_value());
  EXPECT_EQ(*t.expected, LitmusResult::kNever);
  EXPECT_EQ(t.model_expected.at("tso"), "Never");
  ASSERT_EQ(t.vars.size(), 2u);
  EXPECT_EQ(t.vars[0].name, "x");
  EXPECT_EQ(t.vars[1].init, 0u);
  ASSERT_EQ(t.threads.size(), 2u);
  ASSERT_EQ(t.threads[0].body.size(), 2u);
  EXPECT_EQ(t.threads[0].body[0].kind, LitmusStmt::Kind::kStore);
  EXPECT_EQ(t.threads[0].body[0].order, MemOrder::kOnce);
  EXPECT_EQ(t.threads[0].body[1].order, MemOrder::kRelease);
  EXPECT_EQ(t.threads[0].body[1].target.var, 1);
  ASSERT_EQ(t.threads[1].regs.size(), 2u);
  EXPECT_EQ(t.threads[1].body[0].kind, LitmusStmt::Kind::kLoad);
  EXPECT_EQ(t.threads[1].body[0].order, MemOrder::kAcquire);
  EXPECT_EQ(t.threads[1].body[0].dst, 0);
  EXPECT_EQ(t.threads[1].body[1].line, 24);
  EXPECT_EQ(t.quantifier, LitmusQuantifier::kExists);
  EXPECT_EQ(t.condition_text, "exists (1:r0=1 /\\ 1:r1=0)");
  EXPECT_TRUE(t.unsupported.empty());
}

TEST(LitmusParserTest, InitialStateForms) {
  const LitmusTest t = MustParse(R"(C init
{ x=1; int y=2; int *p=&x; q=y; atomic_t a = ATOMIC_INIT(3); 0:r1=5; z = -1 }
P0(int *x, int *y, int **p, int **q, atomic_t *a, int *fresh) { int r0; r0 = READ_ONCE(*x); }
exists (0:r1=5 /\ p=x /\ q=&y)
)");
  EXPECT_EQ(t.vars[VarIndex(t, "x")].init, 1u);
  EXPECT_EQ(t.vars[VarIndex(t, "y")].init, 2u);
  EXPECT_EQ(t.vars[VarIndex(t, "p")].init, LitmusAddress(VarIndex(t, "x")));
  EXPECT_EQ(t.vars[VarIndex(t, "q")].init, LitmusAddress(VarIndex(t, "y")));
  EXPECT_EQ(t.vars[VarIndex(t, "a")].init, 3u);
  EXPECT_EQ(t.vars[VarIndex(t, "z")].init, ~uint64_t{0});
  ASSERT_GE(VarIndex(t, "fresh"), 0);  // a parameter alone declares a variable, value 0
  EXPECT_EQ(t.vars[VarIndex(t, "fresh")].init, 0u);
  // r1 is set by the init block without a declaration in the body; it comes first.
  ASSERT_EQ(t.threads[0].regs.size(), 2u);
  EXPECT_EQ(t.threads[0].regs[0].name, "r1");
  EXPECT_EQ(t.threads[0].regs[0].init, 5u);
  EXPECT_EQ(t.threads[0].regs[1].name, "r0");
  std::vector<uint64_t> vars(t.vars.size());
  for (size_t i = 0; i < vars.size(); ++i) vars[i] = t.vars[i].init;
  EXPECT_TRUE(EvalLitmusCond(t.condition, {{5, 0}}, vars));
  EXPECT_FALSE(EvalLitmusCond(t.condition, {{4, 0}}, vars));
}

TEST(LitmusParserTest, AddressesDoNotCollideWithSmallValues) {
  EXPECT_EQ(LitmusAddressVar(LitmusAddress(3), 4), 3);
  EXPECT_EQ(LitmusAddressVar(LitmusAddress(4), 4), -1);
  EXPECT_EQ(LitmusAddressVar(1, 4), -1);
  EXPECT_EQ(LitmusAddressVar(LitmusAddress(1) + 1, 4), -1);
}

TEST(LitmusParserTest, StatementsAndPrimitives) {
  const LitmusTest t = MustParse(R"(C prims
{ int *p = &x; }
P0(int *x, atomic_t *a, int **p)
{
  int r0 = 0, r1;
  int *r2;
  // a comment
  /* another
     comment */
  r0 = xchg_relaxed(x, 2);
  r1 = cmpxchg_release(x, 2, 3);
  atomic_sub(2, a);
  atomic_inc(a);
  r0 = atomic_add_unless(a, 1, 0);
  r0 = atomic_inc_not_zero(a);
  r0 = atomic_fetch_inc_acquire(a);
  r0 = atomic_dec_return(a);
  smp_mb__before_atomic();
  r2 = READ_ONCE(*p);
  r1 = READ_ONCE(*r2);
  if (r0 == 1 && !r1) {
    WRITE_ONCE(*r2, r0 + 1);
  } else
    smp_mb();
  barrier();
}
forall (0:r0=0 \/ ~(x=1) /\ true)
)");
  const std::vector<LitmusStmt>& b = t.threads[0].body;
  ASSERT_EQ(b.size(), 13u);
  EXPECT_EQ(b[0].kind, LitmusStmt::Kind::kAssign);  // int r0 = 0
  EXPECT_EQ(b[1].rmw, RmwOp::kXchg);
  EXPECT_EQ(b[1].order, MemOrder::kRelaxed);
  EXPECT_EQ(b[1].result, RmwResult::kOld);
  EXPECT_EQ(b[2].rmw, RmwOp::kCmpxchg);
  EXPECT_EQ(b[2].order, MemOrder::kRelease);
  EXPECT_EQ(b[2].b.value, 3u);
  EXPECT_EQ(b[3].rmw, RmwOp::kAdd);  // atomic_sub: adds the negation
  EXPECT_EQ(b[3].a.kind, LitmusExpr::Kind::kUnary);
  EXPECT_EQ(b[3].a.op, ExprOp::kNeg);
  EXPECT_EQ(b[3].order, MemOrder::kRelaxed);
  EXPECT_EQ(b[3].dst, -1);
  EXPECT_EQ(b[4].order, MemOrder::kRelaxed);  // atomic_inc: unordered
  EXPECT_EQ(b[5].rmw, RmwOp::kAddUnless);
  EXPECT_EQ(b[5].order, MemOrder::kFull);
  EXPECT_EQ(b[5].result, RmwResult::kSucceeded);
  EXPECT_EQ(b[6].rmw, RmwOp::kAddUnless);  // inc_not_zero = add_unless(a, 1, 0)
  EXPECT_EQ(b[6].a.value, 1u);
  EXPECT_EQ(b[6].b.value, 0u);
  EXPECT_EQ(b[7].order, MemOrder::kAcquire);
  EXPECT_EQ(b[7].result, RmwResult::kOld);
  EXPECT_EQ(b[8].result, RmwResult::kNew);
  EXPECT_EQ(b[8].a.value, ~uint64_t{0});
  EXPECT_EQ(b[9].kind, LitmusStmt::Kind::kFence);
  EXPECT_EQ(b[9].fence, FenceKind::kMbBeforeAtomic);
  EXPECT_EQ(b[11].kind, LitmusStmt::Kind::kLoad);
  EXPECT_EQ(b[11].target.reg, 2);  // through the pointer register r2
  ASSERT_EQ(b[12].kind, LitmusStmt::Kind::kIf);
  ASSERT_EQ(b[12].then_body.size(), 1u);
  EXPECT_EQ(b[12].then_body[0].target.reg, 2);
  ASSERT_EQ(b[12].else_body.size(), 1u);
  EXPECT_EQ(b[12].else_body[0].fence, FenceKind::kMb);
  EXPECT_EQ(t.quantifier, LitmusQuantifier::kForall);
}

TEST(LitmusParserTest, QuantifiersFilterAndLocations) {
  const LitmusTest t = MustParse(R"(C q
{}
P0(int *x) { WRITE_ONCE(*x, 1); }
locations [x; 0:r0;]
filter (x=1)
~exists (x=0)
)");
  EXPECT_EQ(t.quantifier, LitmusQuantifier::kNotExists);
  ASSERT_TRUE(t.filter.has_value());
  EXPECT_TRUE(EvalLitmusCond(*t.filter, {{}}, {1}));
}

TEST(LitmusParserTest, PlainAccessesParseButAreUnsupported) {
  const LitmusTest t = MustParse(R"(C plain
{}
P0(int *x) { *x = 1; }
P1(int *x) { int r0; r0 = *x; }
exists (1:r0=1)
)");
  ASSERT_EQ(t.unsupported.size(), 2u);
  EXPECT_NE(t.unsupported[0].find("line 3: plain accesses"), std::string::npos);
  EXPECT_EQ(t.threads[0].body[0].order, MemOrder::kPlain);
}

TEST(LitmusParserTest, SpinlocksAndRcuReadersParse) {
  const LitmusTest t = MustParse(R"(C lock
{}
P0(spinlock_t *l, int *x) { spin_lock(l); WRITE_ONCE(*x, 1); spin_unlock(l); }
P1(int *x) { int r0; rcu_read_lock(); r0 = READ_ONCE(*x); rcu_read_unlock(); }
exists (x=1) (* a herd comment after the clause, with "quotes" *)
)");
  EXPECT_TRUE(t.unsupported.empty());
  ASSERT_EQ(t.threads.size(), 2u);
  EXPECT_EQ(t.threads[0].body[0].kind, LitmusStmt::Kind::kSpinLock);
  EXPECT_EQ(t.threads[0].body[2].kind, LitmusStmt::Kind::kSpinUnlock);
  // A grace period is not modelled: the test parses but cannot be answered.
  const LitmusTest g = MustParse(R"(C gp
{}
P0(int *x) { WRITE_ONCE(*x, 1); synchronize_rcu(); }
exists (x=1)
)");
  EXPECT_EQ(g.unsupported.size(), 1u);
}

TEST(LitmusParserTest, ErrorsNameTheLine) {
  EXPECT_EQ(ParseError("X86 foo\n{}\n"),
            "t.litmus:1: expected `C NAME` (only C litmus tests are supported)");
  EXPECT_EQ(ParseError("C t\n{}\nP0(int *x)\n{\n  int r0;\n  r0 = READ_ONCE(*x);\n  "
                       "smp_frobnicate();\n}\nexists (0:r0=1)\n"),
            "t.litmus:7: unsupported primitive `smp_frobnicate`");
  EXPECT_EQ(ParseError("C t\n{}\nP0(int *x)\n{\n  r0 = READ_ONCE(*x);\n}\nexists (x=1)\n"),
            "t.litmus:5: `r0` is not a register of P0 (declare it: `int r0;`)");
  EXPECT_EQ(ParseError("C t\n{}\nP0(int *x)\n{\n  WRITE_ONCE(x, 1);\n}\nexists (x=1)\n"),
            "t.litmus:5: `WRITE_ONCE` takes a location written `*p`, found `x`");
  EXPECT_EQ(ParseError("C t\n{}\nP0(int *x)\n{\n  WRITE_ONCE(*y, 1);\n}\nexists (x=1)\n"),
            "t.litmus:5: `y` is neither a parameter nor a register of P0");
  EXPECT_EQ(ParseError("C t\n{}\nP0(int *x)\n{\n  int r0;\n  atomic_inc(x);\n  "
                       "r0 = atomic_inc(x);\n}\nexists (x=1)\n"),
            "t.litmus:7: `atomic_inc` returns no value");
  EXPECT_EQ(ParseError("C t\n{}\nP0(int *x)\n{\n  int r0;\n  r0 = READ_ONCE(*x) + 1;\n}\n"
                       "exists (x=1)\n"),
            "t.litmus:6: expected `;` after the statement, found `+`");
  EXPECT_EQ(ParseError("C t\n{}\nP0(int *x)\n{\n  WRITE_ONCE(*x, 1);\n}\nexists (1:r0=1)\n"),
            "t.litmus:7: the condition names P1, which does not exist");
  EXPECT_EQ(ParseError("C t\n{}\nP0(int *x)\n{\n  WRITE_ONCE(*x, 1);\n}\nexists (0:r0=1)\n"),
            "t.litmus:7: P0 has no register `r0`");
  EXPECT_EQ(ParseError("C t\n{}\nP0(int *x)\n{\n  WRITE_ONCE(*x, 1);\n}\nexists (z=1)\n"),
            "t.litmus:7: the condition names `z`, which is not a variable");
  EXPECT_EQ(ParseError("C t\n{}\nP1(int *x)\n{\n}\nexists (x=1)\n"),
            "t.litmus:3: expected thread P0, found `P1`");
  EXPECT_EQ(ParseError("C t\n{}\nP0(int x)\n{\n}\nexists (x=1)\n"),
            "t.litmus:3: parameter `x` must be a pointer to a shared variable (`int *x`)");
  EXPECT_EQ(ParseError("C t\n(*\n * ptfuzz-arm: Never\n *)\n{}\nP0(int *x) {}\nexists (x=1)\n"),
            "t.litmus:3: expected `ptfuzz[-relaxed|-tso|-sc]: Never|Sometimes|Always|Unsupported`");
  EXPECT_EQ(ParseError("C t\n{}\nP0(int *x) { WRITE_ONCE(*x, 1); }\nexists (x=1) junk\n"),
            "t.litmus:4: unexpected `junk` after the final condition");
  EXPECT_EQ(ParseError("C t\n{ x=0;\n x=1; }\nP0(int *x) {}\nexists (x=1)\n"),
            "t.litmus:3: `x` is initialised twice");
  EXPECT_EQ(ParseError("C t\n{}\nP0(int *x) {\n /* never closed\n"),
            "t.litmus:4: unterminated /* comment");
}

TEST(LitmusParserTest, ResultLineIsOptionalAndTakesTheFirstWord) {
  EXPECT_FALSE(MustParse(kSb).expected.has_value());
  const LitmusTest t = MustParse(
      "C t\n(* Result: Sometimes DATARACE *)\n{}\n"
      "P0(int *x) { WRITE_ONCE(*x, 1); }\nexists (x=1)\n");
  ASSERT_TRUE(t.expected.has_value());
  EXPECT_EQ(*t.expected, LitmusResult::kSometimes);
}

// ---- The interpreter and explorer on the SC model (exact interleavings). ----

ExploreResult MustExplore(const LitmusTest& t, MemoryModelKind model) {
  ExploreOptions options;
  options.model = model;
  absl::StatusOr<ExploreResult> r = ExploreLitmus(t, options);
  EXPECT_TRUE(r.ok()) << r.status();
  return r.ok() ? *r : ExploreResult{};
}

TEST(LitmusExploreTest, MessagePassingUnderScIsNever) {
  const ExploreResult r = MustExplore(MustParse(kMp), MemoryModelKind::kSc);
  EXPECT_TRUE(r.complete);
  EXPECT_EQ(r.verdict, LitmusVerdict::kNever);
  // Two threads of two accesses: C(4,2) = 6 interleavings.
  EXPECT_EQ(r.runs, 6u);
  EXPECT_EQ(r.counted, 6u);
  EXPECT_EQ(r.satisfied, 0u);
  EXPECT_FALSE(r.witness.has_value());
}

TEST(LitmusExploreTest, StoreBufferingUnderScIsNeverButEachOtherOutcomeOccurs) {
  LitmusTest t = MustParse(kSb);
  EXPECT_EQ(MustExplore(t, MemoryModelKind::kSc).verdict, LitmusVerdict::kNever);
  // Every other final register pair is reachable by interleaving.
  for (auto [a, b] : {std::pair<uint64_t, uint64_t>{1, 1}, {0, 1}, {1, 0}}) {
    t.condition.args[0].value = a;
    t.condition.args[1].value = b;
    const ExploreResult r = MustExplore(t, MemoryModelKind::kSc);
    EXPECT_EQ(r.verdict, LitmusVerdict::kSometimes) << a << b;
    ASSERT_TRUE(r.witness.has_value());
    // The witness tape replays to an execution satisfying the condition.
    TapeDecider decider(*r.witness);
    const LitmusRun run = RunLitmus(t, MemoryModelKind::kSc, decider, /*record_trace=*/true);
    EXPECT_TRUE(run.holds);
    EXPECT_EQ(run.run.trace.size(), 4u);
  }
}

TEST(LitmusExploreTest, FinalValuesPointersAndRmwResultsUnderSc) {
  const LitmusTest t = MustParse(R"(C ptr
{ int *p = &x; x = 7; a = 1; }
P0(int **p, int *x, atomic_t *a)
{
  int *r0;
  int r1;
  int r2;
  r0 = READ_ONCE(*p);
  r1 = READ_ONCE(*r0);
  WRITE_ONCE(*r0, r1 + 1);
  r2 = atomic_add_unless(a, 5, 0);
}
forall (0:r0=x /\ 0:r1=7 /\ x=8 /\ 0:r2=1 /\ a=6)
)");
  const ExploreResult r = MustExplore(t, MemoryModelKind::kSc);
  EXPECT_EQ(r.verdict, LitmusVerdict::kAlways);
  EXPECT_EQ(r.runs, 1u);
}

TEST(LitmusExploreTest, BadDereferenceIsCountedApart) {
  const LitmusTest t = MustParse(R"(C nullptr
{}
P0(int **p) { int *r0; int r1; r0 = READ_ONCE(*p); r1 = READ_ONCE(*r0); }
exists (0:r1=0)
)");
  const ExploreResult r = MustExplore(t, MemoryModelKind::kSc);
  EXPECT_EQ(r.faulted, 1u);
  EXPECT_EQ(r.counted, 0u);
  EXPECT_NE(r.first_problem.find("is not the address of a variable"), std::string::npos);
}

TEST(LitmusExploreTest, BudgetStopsTheSearch) {
  ExploreOptions options;
  options.model = MemoryModelKind::kSc;
  options.budget = 2;
  absl::StatusOr<ExploreResult> r = ExploreLitmus(MustParse(kMp), options);
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->complete);
  EXPECT_EQ(r->runs, 2u);
  EXPECT_EQ(r->verdict, LitmusVerdict::kIncomplete);
}

TEST(LitmusExploreTest, UnsupportedShapesUnderTheRelaxedModel) {
  const LitmusTest lb = MustParse(R"(C LB
{}
P0(int *x, int *y) { int r0; r0 = READ_ONCE(*x); WRITE_ONCE(*y, 1); }
P1(int *x, int *y) { int r0; r0 = READ_ONCE(*y); if (r0) WRITE_ONCE(*x, 1); }
exists (0:r0=1 /\ 1:r0=1)
)");
  // P0 has an unordered load->store pair; P1's store is control-dependent.
  std::vector<std::string> reasons =
      UnsupportedReasons(lb, MemoryModelKind::kRelaxed, LitmusResult::kNever);
  ASSERT_EQ(reasons.size(), 1u);
  EXPECT_NE(reasons[0].find("P0 line 3 -> line 3: load buffering"), std::string::npos);
  EXPECT_TRUE(UnsupportedReasons(lb, MemoryModelKind::kRelaxed, LitmusResult::kSometimes).empty());
  EXPECT_TRUE(UnsupportedReasons(lb, MemoryModelKind::kTso, LitmusResult::kNever).empty());

  const LitmusTest w2 = MustParse(R"(C 2+2W
{}
P0(int *x, int *y) { WRITE_ONCE(*x, 1); smp_wmb(); WRITE_ONCE(*y, 2); }
P1(int *x, int *y) { WRITE_ONCE(*y, 1); smp_mb(); WRITE_ONCE(*x, 2); }
exists (x=1 /\ y=1)
)");
  reasons = UnsupportedReasons(w2, MemoryModelKind::kRelaxed, LitmusResult::kNever);
  ASSERT_EQ(reasons.size(), 1u);  // P0 only: smp_wmb() is not a strong fence, smp_mb() is
  EXPECT_NE(reasons[0].find("P0 lines 3 and 3: coherence order"), std::string::npos);

  const LitmusTest loose = MustParse(R"(C loose
{}
P0(int *x, int *y) { int r0; WRITE_ONCE(*x, 1); smp_mb__before_atomic(); r0 = READ_ONCE(*y); }
exists (0:r0=0)
)");
  reasons = UnsupportedReasons(loose, MemoryModelKind::kSc, LitmusResult::kAlways);
  ASSERT_EQ(reasons.size(), 1u);
  EXPECT_NE(reasons[0].find("not next to an atomic RMW"), std::string::npos);
}

}  // namespace
}  // namespace ptfuzz
