#include "replay/cli_args.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace ptfuzz {

absl::Status CliArgs::Parse(const std::vector<std::string>& args,
                            const std::set<std::string>& value_flags,
                            const std::set<std::string>& bool_flags) {
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a.size() < 2 || a[0] != '-') {
      positional_.push_back(a);
      continue;
    }
    std::string name = a.substr(a[1] == '-' ? 2 : 1);
    std::optional<std::string> value;
    if (const size_t eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
    }
    if (bool_flags.count(name)) {
      if (value) return absl::InvalidArgumentError(absl::StrCat("--", name, " takes no value"));
      values_[name] = "true";
    } else if (value_flags.count(name)) {
      if (!value) {
        if (i + 1 >= args.size()) {
          return absl::InvalidArgumentError(absl::StrCat(a, " needs a value"));
        }
        value = args[++i];
      }
      values_[name] = *value;
    } else {
      return absl::InvalidArgumentError(absl::StrCat("unknown flag ", a));
    }
  }
  return absl::OkStatus();
}

std::optional<std::string> CliArgs::Get(const std::string& flag) const {
  auto it = values_.find(flag);
  if (it == values_.end()) return std::nullopt;
  return it->second;
}

absl::Status CliArgs::GetInt(const std::string& flag, long long* out) const {
  auto v = Get(flag);
  if (!v) return absl::OkStatus();
  long long n = 0;
  if (!absl::SimpleAtoi(*v, &n) || n < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("--", flag, "=", *v, " is not a non-negative integer"));
  }
  *out = n;
  return absl::OkStatus();
}

}  // namespace ptfuzz
