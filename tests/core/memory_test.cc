#include "core/memory.h"

#include "gtest/gtest.h"

namespace ptfuzz {
namespace {

TEST(PhysMemoryTest, FreshMemoryHandsOutFramesInOrder) {
  PhysMemory mem(4);
  EXPECT_EQ(mem.num_free(), 4u);
  EXPECT_EQ(mem.FreeFrameOption(0), 0u);
  EXPECT_EQ(mem.FreeFrameOption(3), 3u);
}

TEST(PhysMemoryTest, AllocationBumpsGenerationAndSetsRefcount) {
  PhysMemory mem(4);
  mem.Allocate(2, FrameState::kData, PtLevel::kPte, 7, 1);
  EXPECT_EQ(mem.frame(2).generation, 1u);
  EXPECT_EQ(mem.frame(2).refcount, 1);
  EXPECT_EQ(mem.frame(2).alloc_step, 7u);
  EXPECT_EQ(mem.num_free(), 3u);
  mem.mutable_frame(2).refcount = 0;
  mem.Free(2, 9, 0);
  mem.Allocate(2, FrameState::kPageTable, PtLevel::kPmd, 11, 0);
  EXPECT_EQ(mem.frame(2).generation, 2u);
  EXPECT_EQ(mem.frame(2).level, PtLevel::kPmd);
  EXPECT_TRUE(mem.frame(2).ever_freed);
  EXPECT_EQ(mem.frame(2).free_step, 9u);
}

TEST(PhysMemoryTest, FreeListIsLifo) {
  PhysMemory mem(4);
  mem.Allocate(0, FrameState::kData, PtLevel::kPte, 0, 0);
  mem.Allocate(1, FrameState::kData, PtLevel::kPte, 0, 0);
  mem.Free(1, 1, 0);
  mem.Free(0, 2, 0);
  EXPECT_EQ(mem.FreeFrameOption(0), 0u);  // most recently freed
  EXPECT_EQ(mem.FreeFrameOption(1), 1u);
  EXPECT_EQ(mem.FreeFrameOption(2), 2u);  // never allocated
}

TEST(PhysMemoryTest, ContentsAreZeroedOnAllocationButSurviveFree) {
  PhysMemory mem(2);
  mem.Allocate(0, FrameState::kPageTable, PtLevel::kPte, 0, 0);
  mem.WriteWord(0, 5, 0x1234);
  mem.WriteWord(0, 9, 0x55);
  mem.WriteWord(0, 9, 0);  // storing zero drops the entry
  EXPECT_EQ(mem.ReadWord(0, 5), 0x1234u);
  EXPECT_EQ(mem.NonZeroWords(0).size(), 1u);
  mem.Free(0, 1, 0);
  EXPECT_EQ(mem.ReadWord(0, 5), 0x1234u);  // stale contents of a freed table stay readable
  mem.Allocate(0, FrameState::kPageTable, PtLevel::kPte, 2, 0);
  EXPECT_EQ(mem.ReadWord(0, 5), 0u);
}

}  // namespace
}  // namespace ptfuzz
