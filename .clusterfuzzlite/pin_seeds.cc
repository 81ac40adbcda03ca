// ptfuzz_pin_seeds: writes the seed corpus of a pinned fuzzer (.clusterfuzzlite/build.sh).
//
// usage: ptfuzz_pin_seeds SCENARIO VARIANT MEMORY_MODEL SEED_DIR OUT_DIR
//   (MEMORY_MODEL may be "": not pinned)
//
// A fuzzer rejects every input that does not carry its pins (fuzz/fuzz_target.cc), so seeds of
// other variants or memory models would be dropped unread. As `ptfuzz fuzz` does for its corpus
// (PinSeedCorpus(), fuzz/mutator.h), every file of SEED_DIR is loaded, gets the pins
// (MakePins() with the same arguments the fuzzer's LLVMFuzzerInitialize passes) and no
// expectation, and is written in binary, the form the mutator emits, as OUT_DIR/seed-<stem>.
// Exit 0 on success, 2 with a message naming the file on bad input (no seed at all included).
#include <cstdio>
#include <filesystem>
#include <string>

#include "core/schedule_io.h"
#include "fuzz/mutator.h"

namespace {

namespace fs = std::filesystem;

int Fail(const std::string& message) {
  std::fprintf(stderr, "ptfuzz_pin_seeds: %s\n", message.c_str());
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 6) {
    return Fail("usage: ptfuzz_pin_seeds SCENARIO VARIANT MEMORY_MODEL SEED_DIR OUT_DIR");
  }
  ptfuzz::Pins pins;
  if (const absl::Status st = ptfuzz::MakePins(argv[1], argv[2], "", &pins, argv[3], "");
      !st.ok()) {
    return Fail(std::string(st.message()));
  }
  const fs::path seed_dir = argv[4];
  const fs::path out_dir = argv[5];
  std::error_code ec;
  if (!fs::is_directory(seed_dir, ec)) return Fail(seed_dir.string() + ": not a directory");
  fs::create_directories(out_dir, ec);
  if (ec) return Fail(out_dir.string() + ": " + ec.message());
  // The same pinning as `ptfuzz fuzz`; an empty seed directory is an error here (a shipped
  // fuzzer's seed zip holds the scenario's real seeds), not a default seed.
  if (fs::is_empty(seed_dir, ec)) return Fail(seed_dir.string() + ": no seed files");
  const absl::StatusOr<int> seeds =
      ptfuzz::PinSeedCorpus(seed_dir, /*seed_dir_required=*/true, pins, out_dir);
  if (!seeds.ok()) return Fail(std::string(seeds.status().message()));
  std::printf("ptfuzz_pin_seeds: %d seeds of %s pinned into %s\n", *seeds, argv[1],
              out_dir.c_str());
  return 0;
}
