// SplitMix64: the one seeded generator of ptfuzz's strategies and mutator (STYLE.md section 4: no
// std random engines or distributions, every sequence a function of its seed). Ranges are reduced
// by multiply-shift.
#ifndef PTFUZZ_CORE_SPLITMIX_H_
#define PTFUZZ_CORE_SPLITMIX_H_

#include <cstdint>

namespace ptfuzz {

class SplitMix64 {
 public:
  explicit SplitMix64(uint64_t seed) : state_(seed) {}
  uint64_t Next() {
    uint64_t z = (state_ += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }
  // Uniform in [0, n). REQUIRES: n > 0.
  uint32_t Below(uint32_t n) {
    return static_cast<uint32_t>(((Next() >> 32) * static_cast<uint64_t>(n)) >> 32);
  }
  bool OneIn(uint32_t n) { return Below(n) == 0; }

 private:
  uint64_t state_;
};

}  // namespace ptfuzz

#endif  // PTFUZZ_CORE_SPLITMIX_H_
