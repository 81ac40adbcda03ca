// StoreBuffer (TSO) and RelaxedMemory, each alone, below the World.
#include "core/store_buffer.h"

#include "core/relaxed_memory.h"
#include "gtest/gtest.h"

namespace ptfuzz {
namespace {

TEST(StoreBufferTest, ForwardsTheNewestStoreAndDrainsOldestFirst) {
  StoreBuffer sb;
  EXPECT_TRUE(sb.empty());
  EXPECT_FALSE(sb.Forward(VarLoc(0)).has_value());
  sb.Push(VarLoc(0), 1, PtLevel::kPte);
  sb.Push(VarLoc(1), 7, PtLevel::kPte);
  sb.Push(VarLoc(0), 2, PtLevel::kPte);
  EXPECT_EQ(sb.size(), 3u);
  EXPECT_EQ(*sb.Forward(VarLoc(0)), 2u);
  EXPECT_EQ(*sb.Forward(VarLoc(1)), 7u);
  EXPECT_EQ(sb.PopOldest().value, 1u);
  EXPECT_EQ(sb.PopOldest().loc, VarLoc(1));
  EXPECT_EQ(*sb.Forward(VarLoc(0)), 2u);
  EXPECT_EQ(sb.PopOldest().value, 2u);
  EXPECT_TRUE(sb.empty());
  EXPECT_FALSE(sb.Forward(VarLoc(0)).has_value());
}

TEST(RelaxedMemoryTest, LoadsChooseAmongStoresNotOlderThanTheirView) {
  RelaxedMemory m(2);
  const Loc x = VarLoc(0);
  EXPECT_EQ(m.LoadOptions(1, x, 0, kNoDep), 1u);  // only the initial value
  m.Store(0, x, 0, 1, MemOrder::kOnce);
  m.Store(0, x, 1, 2, MemOrder::kOnce);
  // cpu 1 has seen nothing: initial, 1 or 2. cpu 0 wrote 2 and must read it (its own view).
  EXPECT_EQ(m.LoadOptions(1, x, 2, kNoDep), 3u);
  EXPECT_EQ(m.LoadOptions(0, x, 2, kNoDep), 1u);
  const RelaxedMemory::LoadResult r = m.Load(1, x, 1, MemOrder::kOnce, kNoDep);  // the store of 1
  EXPECT_EQ(r.value, 1u);
  EXPECT_EQ(r.newer, 1u);
  EXPECT_EQ(r.writer, 0u);
  // Coherence: having read 1, cpu 1 can no longer read the initial value.
  EXPECT_EQ(m.LoadOptions(1, x, 2, kNoDep), 2u);
}

TEST(RelaxedMemoryTest, HistoryIsBounded) {
  RelaxedMemory m(2);
  const Loc x = VarLoc(0);
  m.LoadOptions(0, x, 0, kNoDep);
  for (uint64_t v = 1; v <= 20; ++v) m.Store(0, x, v - 1, v, MemOrder::kOnce);
  EXPECT_EQ(m.LoadOptions(1, x, 20, kNoDep), RelaxedMemory::kHistory);
  const RelaxedMemory::LoadResult oldest =
      m.Load(1, x, RelaxedMemory::kHistory - 1, MemOrder::kOnce, kNoDep);
  EXPECT_EQ(oldest.value, 20u - (RelaxedMemory::kHistory - 1));
}

TEST(RelaxedMemoryTest, RmwReadsTheNewestAndAFailedOneOrdersNothing) {
  RelaxedMemory m(2);
  const Loc x = VarLoc(0), y = VarLoc(1);
  m.LoadOptions(1, y, 0, kNoDep);
  m.Store(0, y, 0, 1, MemOrder::kOnce);
  // A failed fully-ordered RMW on x by cpu 1 is no barrier: y may still read stale.
  m.Rmw(1, x, 0, false, 0, MemOrder::kFull);
  EXPECT_EQ(m.LoadOptions(1, y, 1, kNoDep), 2u);
  // A successful one is: smp_mb() on both sides, and cpu 0's later smp_mb() meets it.
  m.Fence(0, FenceKind::kMb);
  m.Rmw(1, x, 0, true, 1, MemOrder::kFull);
  EXPECT_EQ(m.LoadOptions(1, y, 1, kNoDep), 1u);
}

TEST(RelaxedMemoryTest, TrackedInListsLocationsOfARange) {
  RelaxedMemory m(1);
  m.Store(0, PtEntryLoc(EntryAddr(3, 1)), 0, 5, MemOrder::kOnce);
  m.Store(0, PtEntryLoc(EntryAddr(4, 0)), 0, 5, MemOrder::kOnce);
  m.Store(0, PtEntryLoc(EntryAddr(3, 0)), 0, 5, MemOrder::kOnce);
  m.Store(0, RefcountLoc(3), 0, 1, MemOrder::kOnce);
  const std::vector<Loc> in3 =
      m.TrackedIn(PtEntryLoc(EntryAddr(3, 0)), PtEntryLoc(EntryAddr(4, 0)));
  // Frame 3's two entries, ascending, whatever the order they were first touched in; not frame
  // 4's entry, not frame 3's refcount (another location space).
  EXPECT_EQ(in3, (std::vector<Loc>{PtEntryLoc(EntryAddr(3, 0)), PtEntryLoc(EntryAddr(3, 1))}));
}

TEST(RelaxedMemoryTest, DependencyChainsCompose) {
  // cpu 0: x = 1; smp_wmb(); p = 1; q = 1 (q carries nothing). cpu 1 loads p (fresh), then q
  // through p's token, then x through q's token: the chain keeps p's view, so x must be 1.
  RelaxedMemory m(2);
  const Loc x = VarLoc(0), p = VarLoc(1), q = VarLoc(2);
  for (Loc l : {x, p, q}) m.LoadOptions(1, l, 0, kNoDep);
  m.Store(0, x, 0, 1, MemOrder::kOnce);
  m.Fence(0, FenceKind::kWmb);
  m.Store(0, p, 0, 1, MemOrder::kOnce);
  ASSERT_EQ(m.LoadOptions(1, p, 1, kNoDep), 2u);
  const RelaxedMemory::LoadResult rp = m.Load(1, p, 0, MemOrder::kOnce, kNoDep);  // p == 1
  ASSERT_EQ(m.LoadOptions(1, q, 0, rp.dep), 1u);
  const RelaxedMemory::LoadResult rq = m.Load(1, q, 0, MemOrder::kOnce, rp.dep);
  EXPECT_EQ(m.LoadOptions(1, x, 1, rq.dep), 1u);     // through the chain: only x == 1
  EXPECT_EQ(m.LoadOptions(1, x, 1, kNoDep), 2u);     // without a dependency: x may be stale
  // A value computed from both loads depends on both.
  EXPECT_EQ(m.LoadOptions(1, x, 1, m.JoinDeps(1, rq.dep, kNoDep)), 1u);
}

}  // namespace
}  // namespace ptfuzz
