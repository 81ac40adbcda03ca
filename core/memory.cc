#include "core/memory.h"

#include <algorithm>

#include "core/check.h"

namespace ptfuzz {

PhysMemory::PhysMemory(uint32_t num_frames) : frames_(num_frames), words_(num_frames) {
  // Frame 0 at the hot end, so a serial run hands out frames 0, 1, 2, ... in order.
  free_list_.reserve(num_frames);
  for (uint32_t i = num_frames; i > 0; --i) free_list_.push_back(i - 1);
}

void PhysMemory::Allocate(FrameId f, FrameState state, PtLevel level, uint32_t step, CpuId cpu) {
  PTFUZZ_CHECK(f < frames_.size() && frames_[f].state == FrameState::kFree);
  PTFUZZ_CHECK(state != FrameState::kFree);
  auto it = std::find(free_list_.begin(), free_list_.end(), f);
  PTFUZZ_CHECK(it != free_list_.end());
  free_list_.erase(it);
  FrameInfo& info = frames_[f];
  info.state = state;
  info.level = level;
  ++info.generation;
  info.refcount = 1;
  info.mapcount = 0;
  info.anon_exclusive = 0;
  info.external_refs = 0;
  info.mapping = 0;
  info.compound_head = 0;
  info.order = 0;
  info.struct_page_ro = 0;
  info.page_tail = 0;
  info.deferred_list = 0;
  info.alloc_step = step;
  info.alloc_cpu = cpu;
  words_[f].clear();
}

std::vector<FrameId> PhysMemory::FreeAlignedBlocks(uint32_t order) const {
  const FrameId nr = FrameId{1} << order;
  std::vector<FrameId> heads;
  for (FrameId f = 0; f + nr <= num_frames(); f += nr) {
    bool free = true;
    for (FrameId i = 0; i < nr && free; ++i) free = frames_[f + i].state == FrameState::kFree;
    if (free) heads.push_back(f);
  }
  return heads;
}

void PhysMemory::Free(FrameId f, uint32_t step, CpuId cpu) {
  PTFUZZ_CHECK(f < frames_.size() && frames_[f].state != FrameState::kFree);
  FrameInfo& info = frames_[f];
  info.state = FrameState::kFree;
  info.free_step = step;
  info.free_cpu = cpu;
  info.ever_freed = true;
  free_list_.push_back(f);
}

uint64_t PhysMemory::ReadWord(FrameId f, uint32_t index) const {
  PTFUZZ_DCHECK(f < words_.size() && index < kPtrsPerTable);
  for (const auto& [i, v] : words_[f]) {
    if (i == index) return v;
  }
  return 0;
}

void PhysMemory::WriteWord(FrameId f, uint32_t index, uint64_t value) {
  PTFUZZ_DCHECK(f < words_.size() && index < kPtrsPerTable);
  auto& words = words_[f];
  for (auto it = words.begin(); it != words.end(); ++it) {
    if (it->first == index) {
      if (value == 0) {
        words.erase(it);
      } else {
        it->second = value;
      }
      return;
    }
  }
  if (value != 0) words.emplace_back(index, value);
}

std::vector<std::pair<uint32_t, uint64_t>> PhysMemory::NonZeroWords(FrameId f) const {
  std::vector<std::pair<uint32_t, uint64_t>> words(words_[f].begin(), words_[f].end());
  std::sort(words.begin(), words.end());
  return words;
}

}  // namespace ptfuzz
