// A minimal command-line parser for the ptfuzz subcommands: `--name=value`, `--name value`,
// `-o value`, boolean `--name`, and positional arguments. Flags live only in binaries
// (STYLE.md 2.6); this header is used only by ptfuzz_main.cc and the command files.
#ifndef PTFUZZ_REPLAY_CLI_ARGS_H_
#define PTFUZZ_REPLAY_CLI_ARGS_H_

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/status/status.h"

namespace ptfuzz {

class CliArgs {
 public:
  // `value_flags`: flags that take a value; `bool_flags`: flags that do not. Anything else
  // starting with '-' is an error naming the flag.
  absl::Status Parse(const std::vector<std::string>& args, const std::set<std::string>& value_flags,
                     const std::set<std::string>& bool_flags);

  bool Has(const std::string& flag) const { return values_.count(flag) != 0; }
  std::optional<std::string> Get(const std::string& flag) const;
  // kInvalidArgument when present but not a non-negative integer.
  absl::Status GetInt(const std::string& flag, long long* out) const;
  const std::vector<std::string>& positional() const { return positional_; }

 private:
  std::map<std::string, std::string> values_;
  std::vector<std::string> positional_;
};

}  // namespace ptfuzz

#endif  // PTFUZZ_REPLAY_CLI_ARGS_H_
