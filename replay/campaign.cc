#include "replay/campaign.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <set>
#include <sstream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "core/run.h"
#include "core/scenarios/registry.h"
#include "core/schedule_io.h"
#include "replay/commands.h"
#include "replay/fuzzer_process.h"
#include "replay/minimize.h"
#include "replay/report.h"

namespace ptfuzz {

namespace fs = std::filesystem;

namespace {

volatile sig_atomic_t interrupts = 0;
void OnInterrupt(int) { interrupts = interrupts + 1; }

using Clock = std::chrono::steady_clock;

double SecondsSince(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

std::string HumanCount(unsigned long long n) {
  if (n >= 10'000'000'000ull) return absl::StrFormat("%.0fG", n / 1e9);
  if (n >= 1'000'000'000ull) return absl::StrFormat("%.1fG", n / 1e9);
  if (n >= 10'000'000ull) return absl::StrFormat("%.0fM", n / 1e6);
  if (n >= 1'000'000ull) return absl::StrFormat("%.1fM", n / 1e6);
  if (n >= 10'000ull) return absl::StrFormat("%.0fk", n / 1e3);
  return absl::StrCat(n);
}

std::string HumanDuration(double seconds) {
  const long long s = static_cast<long long>(seconds);
  return absl::StrFormat("%lld:%02lld:%02lld", s / 3600, s / 60 % 60, s % 60);
}

// Writes `text` to `path` so that a reader sees the old or the new contents, never a part.
absl::Status WriteFileAtomically(const fs::path& path, const std::string& text) {
  const fs::path tmp = path.string() + ".tmp";
  {
    std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
    f << text;
    f.flush();
    if (!f) return absl::UnavailableError(absl::StrCat(tmp.string(), ": cannot write"));
  }
  std::error_code ec;
  fs::rename(tmp, path, ec);
  if (ec) return absl::UnavailableError(absl::StrCat(path.string(), ": ", ec.message()));
  return absl::OkStatus();
}

std::string ReadFile(const fs::path& path) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

// The last libFuzzer status line in the tail of `log`, after byte `from`.
std::optional<FuzzerStatus> LastStatus(const fs::path& log, std::streamoff from_offset) {
  std::ifstream f(log, std::ios::binary);
  if (!f) return std::nullopt;
  f.seekg(0, std::ios::end);
  const std::streamoff size = f.tellg();
  const std::streamoff from = std::max<std::streamoff>(from_offset, size - 16384);
  if (from >= size) return std::nullopt;
  f.seekg(from);
  std::string tail(static_cast<size_t>(size - from), '\0');
  f.read(tail.data(), static_cast<std::streamsize>(tail.size()));
  std::optional<FuzzerStatus> last;
  for (absl::string_view line : absl::StrSplit(tail, '\n')) {
    FuzzerStatus s;
    if (ParseFuzzerStatus(std::string(line), &s)) last = s;
  }
  return last;
}

// The VmRSS line of a /proc/<pid>/status file, in KiB (0 when the process is gone).
long long VmRssKib(const std::string& status_path) {
  std::ifstream status(status_path);
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) {
      long long kib = 0;
      std::istringstream(line.substr(6)) >> kib;
      return kib;
    }
  }
  return 0;
}

// Resident memory of the processes in process group `pgid`, in KiB.
long long GroupRssKib(pid_t pgid) {
  long long total = 0;
  DIR* proc = opendir("/proc");
  if (proc == nullptr) return 0;
  while (dirent* e = readdir(proc)) {
    int pid = 0;
    if (absl::SimpleAtoi(e->d_name, &pid) && getpgid(pid) == pgid) {
      total += VmRssKib(absl::StrCat("/proc/", pid, "/status"));
    }
  }
  closedir(proc);
  return total;
}

size_t CountFiles(const fs::path& dir) {
  size_t n = 0;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec)) n += e.is_regular_file();
  return n;
}

// Totals over every session of a campaign, in OUT/campaign.txt.
struct Totals {
  long long sessions = 0;
  double seconds = 0;
  unsigned long long execs = 0;
  unsigned long long duplicates = 0;
  unsigned long long problems = 0;
  long long next_scenario = 0;  // where the rotation over several scenarios resumes

  static Totals Load(const fs::path& path) {
    Totals t;
    std::ifstream f(path);
    std::string key;
    while (f >> key) {
      if (key == "sessions")
        f >> t.sessions;
      else if (key == "seconds")
        f >> t.seconds;
      else if (key == "executions")
        f >> t.execs;
      else if (key == "duplicates")
        f >> t.duplicates;
      else if (key == "problems")
        f >> t.problems;
      else if (key == "next_scenario")
        f >> t.next_scenario;
      else
        f.ignore(1 << 20, '\n');
    }
    return t;
  }
  absl::Status Save(const fs::path& path) const {
    return WriteFileAtomically(
        path, absl::StrFormat("sessions %lld\nseconds %.0f\nexecutions %llu\nduplicates %llu\n"
                              "problems %llu\nnext_scenario %lld\n",
                              sessions, seconds, execs, duplicates, problems, next_scenario));
  }
};

struct Finding {
  std::string signature;
  std::string violation;  // ViolationSignature: kind@site
  fs::path dir;
  std::string summary;  // one line: model, flush, arch, preemptions
  std::string report;   // the replay of the stored schedule
  std::string crash;    // the fuzzer's crash file, moved into `dir`
  std::optional<MinimizeStats> stats;
};

class Campaign {
 public:
  explicit Campaign(const CampaignOptions& options) : o_(options) {}

  int Run();

 private:
  int Fail(const std::string& message) {
    absl::FPrintF(stderr, "ptfuzz: %s\n", message.c_str());
    return kExitUsage;
  }
  absl::Status Prepare();
  absl::Status Recover();
  absl::Status RecoverMerge(const fs::path& corpus);
  void SalvageJobInputs();
  // The corpus directory of `scenario`: OUT/corpus, or OUT/corpus/<scenario> with several.
  fs::path CorpusOf(const std::string& scenario) const {
    return o_.scenarios.size() == 1 ? corpus_ : corpus_ / scenario;
  }
  absl::Status PinSeeds();
  absl::Status SaveKnownSignatures();
  // `settled_only`: skip files written in the last second (libFuzzer may still be writing them).
  void HandleArtifacts(bool settled_only);
  void HandleCrash(const fs::path& crash);
  void Problem(const fs::path& input, const std::string& why);
  void Progress(bool final_line);
  // status_ from the running slice's part of the fuzzer log.
  void UpdateStatus() {
    if (std::optional<FuzzerStatus> s = LastStatus(log_, slice_log_offset_)) slice_status_ = *s;
    status_ = slice_status_;
    status_.execs += execs_before_slice_;
  }
  void Merge(const std::string& scenario);
  // The fuzzer on `scenario` for `seconds` (0: no limit).
  std::vector<std::string> FuzzerArgv(const std::string& scenario, long long seconds) const;
  std::vector<std::string> FuzzerEnv(const std::string& scenario) const;
  void PrintSummary(const std::string& why_stopped, int fuzzer_status);

  const CampaignOptions& o_;
  fs::path corpus_, findings_, problems_, artifacts_, tmp_, logs_;
  int session_ = 0;
  fs::path log_, progress_tsv_;
  Totals totals_;
  std::set<std::string> known_;  // stored signatures, sorted: the file lists them in order
  std::vector<Finding> new_findings_;
  std::vector<std::string> new_problems_;
  unsigned long long session_duplicates_ = 0;
  size_t new_unexpected_ = 0;  // new findings `ptfuzz scenarios` does not list for their variant
  Clock::time_point start_;
  Clock::time_point last_progress_;
  FuzzerStatus status_;        // this session: the slices done plus the running one
  FuzzerStatus slice_status_;  // the running slice, from its part of the log
  unsigned long long execs_before_slice_ = 0;
  std::streamoff slice_log_offset_ = 0;
  std::string slice_scenario_;
  pid_t pgid_ = -1;
  long long peak_rss_kib_ = 0;
  size_t corpus_before_merge_ = 0, corpus_after_merge_ = 0;
  bool tty_ = false;
  bool progress_line_open_ = false;
};

absl::Status Campaign::Prepare() {
  corpus_ = o_.out / "corpus";
  findings_ = o_.out / "findings";
  problems_ = o_.out / "problems";
  artifacts_ = o_.out / "artifacts";
  tmp_ = o_.out / "tmp";
  logs_ = o_.out / "logs";
  for (const fs::path& d : {corpus_, findings_, problems_, artifacts_, tmp_, logs_}) {
    std::error_code ec;
    fs::create_directories(d, ec);
    if (ec) return absl::UnavailableError(absl::StrCat(d.string(), ": ", ec.message()));
  }
  totals_ = Totals::Load(o_.out / "campaign.txt");
  session_ = static_cast<int>(totals_.sessions);
  while (fs::exists(logs_ / absl::StrCat("fuzzer-", session_, ".log"))) ++session_;
  log_ = logs_ / absl::StrCat("fuzzer-", session_, ".log");
  progress_tsv_ = logs_ / absl::StrCat("progress-", session_, ".tsv");
  return absl::OkStatus();
}

// Puts back together what a killed campaign left (campaign.h "Resuming").
absl::Status Campaign::Recover() {
  // Fuzzer processes of a runner that was killed: its fuzzer's process group.
  const fs::path pgid_file = o_.out / "fuzzer.pgid";
  if (fs::exists(pgid_file)) {
    long long pgid = 0;
    if (absl::SimpleAtoi(ReadFile(pgid_file), &pgid) && pgid > 1 &&
        kill(static_cast<pid_t>(-pgid), 0) == 0) {
      const std::string cmdline = ReadFile(absl::StrCat("/proc/", pgid, "/cmdline"));
      if (cmdline.find("ptfuzz_fuzzer") != std::string::npos || cmdline.empty()) {
        kill(static_cast<pid_t>(-pgid), SIGKILL);
        absl::FPrintF(stderr,
                      "ptfuzz: killed fuzzer processes (group %lld) a stopped campaign "
                      "left running\n",
                      pgid);
      }
    }
    fs::remove(pgid_file);
  }
  std::error_code ec;
  fs::create_directories(corpus_, ec);
  for (const std::string& scenario : o_.scenarios) {
    if (absl::Status st = RecoverMerge(CorpusOf(scenario)); !st.ok()) return st;
  }
  SalvageJobInputs();
  // The deduplication state: the stored findings.
  for (const auto& d : fs::directory_iterator(findings_)) {
    if (!d.is_directory()) continue;
    if (d.path().filename().string().rfind(".tmp-", 0) == 0) {
      fs::remove_all(d.path(), ec);  // a finding being written when the runner died
      continue;
    }
    std::string sig = ReadFile(d.path() / "signature.txt");
    while (!sig.empty() && sig.back() == '\n') sig.pop_back();
    if (!sig.empty()) known_.insert(sig);
  }
  return SaveKnownSignatures();
}

// A merge of `corpus`: completed once its output is whole (the marker), discarded otherwise.
absl::Status Campaign::RecoverMerge(const fs::path& corpus) {
  const fs::path merging = corpus.string() + ".merging", old = corpus.string() + ".old",
                 merged_ok = corpus.string() + ".merged";
  std::error_code ec;
  if (fs::exists(merged_ok)) {
    if (fs::exists(corpus) && !fs::exists(old)) fs::rename(corpus, old, ec);
    if (!fs::exists(corpus)) fs::rename(merging, corpus, ec);
    if (ec) return absl::UnavailableError(absl::StrCat(corpus.string(), ": ", ec.message()));
    fs::remove(merged_ok);
  }
  if (fs::exists(corpus)) {
    fs::remove_all(merging, ec);
    fs::remove_all(old, ec);
  } else if (fs::exists(old)) {
    fs::rename(old, corpus, ec);
  }
  fs::create_directories(corpus, ec);
  if (ec) return absl::UnavailableError(absl::StrCat(corpus.string(), ": ", ec.message()));
  return absl::OkStatus();
}

// Inputs fork-mode jobs found that their parent did not merge into the corpus (it merges a job's
// inputs when the job ends, so a stop or a kill leaves the last jobs' inputs in tmp/).
void Campaign::SalvageJobInputs() {
  std::error_code ec;
  int salvaged = 0;
  for (const auto& temp : fs::directory_iterator(tmp_, ec)) {
    if (!temp.is_directory()) continue;
    for (const auto& job : fs::directory_iterator(temp.path(), ec)) {
      if (!job.is_directory() || job.path().filename().string().rfind('C', 0) != 0) continue;
      for (const auto& input : fs::directory_iterator(job.path(), ec)) {
        if (!input.is_regular_file() || input.file_size(ec) == 0) continue;
        fs::path dir = corpus_;
        if (o_.scenarios.size() > 1) {
          // Each scenario has its corpus: the input says which it belongs to.
          absl::StatusOr<proto::Schedule> sched = LoadScheduleFile(input.path().string());
          if (!sched.ok() || std::find(o_.scenarios.begin(), o_.scenarios.end(),
                                       sched->scenario().name()) == o_.scenarios.end()) {
            continue;
          }
          dir = CorpusOf(sched->scenario().name());
        }
        const fs::path to = dir / input.path().filename();
        if (!fs::exists(to)) {
          fs::copy_file(input.path(), to, ec);
          if (!ec) ++salvaged;
        }
      }
    }
    fs::remove_all(temp.path(), ec);
  }
  if (salvaged > 0) {
    absl::FPrintF(stderr, "ptfuzz: moved %d inputs of unfinished fuzzing jobs into %s\n", salvaged,
                  corpus_.string());
  }
}

absl::Status Campaign::SaveKnownSignatures() {
  std::string text;
  for (const std::string& s : known_) absl::StrAppend(&text, s, "\n");
  return WriteFileAtomically(findings_ / "signatures.txt", text);
}

absl::Status Campaign::PinSeeds() {
  for (const std::string& scenario : o_.scenarios) {
    Pins pins = o_.pins;
    pins.scenario = scenario;
    const fs::path dir = o_.seed_dir.value_or(DefaultSeedDir(scenario));
    absl::StatusOr<int> n =
        PinSeedCorpus(dir, o_.seed_dir.has_value(), pins, CorpusOf(scenario), "seed-");
    if (!n.ok()) return n.status();
  }
  return absl::OkStatus();
}

std::vector<std::string> Campaign::FuzzerArgv(const std::string& scenario,
                                              long long seconds) const {
  std::vector<std::string> argv = {o_.fuzzer.string(), CorpusOf(scenario).string(),
                                   absl::StrCat("-artifact_prefix=", artifacts_.string(), "/"),
                                   "-print_final_stats=1", "-reduce_inputs=1"};
  if (seconds > 0) argv.push_back(absl::StrCat("-max_total_time=", seconds));
  if (o_.seed >= 0) argv.push_back(absl::StrCat("-seed=", o_.seed));
  if (o_.runs >= 0) argv.push_back(absl::StrCat("-runs=", o_.runs));
  // One job hunting one bug runs in-process (deterministic with -seed); everything else in fork
  // mode, which survives crashes and spreads over the cores.
  if (o_.jobs > 1 || !o_.stop_at_first) {
    argv.push_back(absl::StrCat("-fork=", o_.jobs));
    argv.push_back("-ignore_crashes=1");
    argv.push_back("-ignore_timeouts=1");
    argv.push_back("-ignore_ooms=1");
  }
  return argv;
}

std::vector<std::string> Campaign::FuzzerEnv(const std::string& scenario) const {
  std::vector<std::string> env =
      PinEnvironment(scenario, o_.variant, o_.tlb_flush, o_.memory_model, o_.arch, o_.pins);
  if (!o_.only_violation.empty()) env.push_back("PTFUZZ_VIOLATION=" + o_.only_violation);
  env.push_back("PTFUZZ_KNOWN_SIGNATURES=" + (findings_ / "signatures.txt").string());
  env.push_back("TMPDIR=" + tmp_.string());
  // libFuzzer symbolizes the stack of a crash (a finding traps) with llvm-symbolizer from PATH.
  for (const char* dir : {"/usr/lib/llvm-14/bin", "/usr/lib/llvm-16/bin", "/usr/lib/llvm-19/bin"}) {
    if (fs::exists(fs::path(dir) / "llvm-symbolizer")) {
      const char* path = std::getenv("PATH");
      env.push_back(absl::StrCat("PATH=", path ? path : "/usr/bin:/bin", ":", dir));
      break;
    }
  }
  return env;
}

void Campaign::Problem(const fs::path& input, const std::string& why) {
  std::error_code ec;
  const fs::path to = problems_ / input.filename();
  fs::rename(input, to, ec);
  if (ec) fs::remove(input, ec);
  std::ofstream(to.string() + ".txt") << why << "\n";
  new_problems_.push_back(absl::StrCat(to.string(), ": ", why));
  ++totals_.problems;
}

// What `ptfuzz scenarios` says of `verdict` for this configuration of the variant: its documented
// bug, another face of it, or unexpected (a fixed variant that violates is either a model bug in
// ptfuzz or news about the kernel protocol).
struct Expectation {
  bool unexpected = false;
  std::string text;
};
Expectation ExpectationOf(const proto::Scenario& scenario, const std::string& verdict) {
  const ScenarioSpec* spec = FindScenario(scenario.name());
  const VariantSpec* v = spec ? FindVariant(*spec, scenario.variant()) : nullptr;
  if (v == nullptr) return {true, "UNEXPECTED: an unknown variant"};
  const std::string expected(ExpectedVerdict(*v, scenario));
  // Fixed variants violate only where `ptfuzz scenarios` lists an open question (weak memory).
  const bool fixed = scenario.variant() == "fixed";
  if (expected == verdict) {
    return {false, fixed ? "documented: an open question of the fixed kernel in this configuration"
                         : "the variant's documented bug"};
  }
  if (IsAlsoVerdict(*v, verdict)) {
    return {false, "the variant's documented bug, as it may also surface"};
  }
  return {true, absl::StrCat("UNEXPECTED: `ptfuzz scenarios` expects ", expected,
                             " for this variant and configuration")};
}

void Campaign::HandleCrash(const fs::path& crash) {
  absl::StatusOr<proto::Schedule> schedule = LoadScheduleFile(crash.string());
  if (!schedule.ok()) {
    Problem(crash, absl::StrCat("the fuzzer crashed on an input ptfuzz cannot load: ",
                                schedule.status().message()));
    return;
  }
  SimOptions sim;
  const RunResult run = RunSchedule(*schedule, sim);
  if (!run.violation) {
    Problem(crash,
            "the fuzzer crashed on this input but it replays clean: a ptfuzz bug (a "
            "sanitizer report or an internal check: see " +
                log_.string() + ")");
    return;
  }
  const std::string signature =
      FindingSignature(schedule->scenario().name(), schedule->scenario().variant(), *run.violation);
  std::error_code ec;
  if (known_.count(signature) != 0) {
    fs::remove(crash, ec);
    ++session_duplicates_;
    ++totals_.duplicates;
    return;
  }
  absl::StatusOr<Minimized> m = MinimizeSchedule(*schedule, MinimizeOptions{});
  proto::Schedule stored = *schedule;
  RunResult stored_run = run;
  std::string note;
  if (m.ok()) {
    stored = m->schedule;
    stored_run = m->result;
    note = absl::StrFormat("%u preemptions (%u before minimizing), %u context switches",
                           m->stats.preemptions, m->stats.preemptions_before,
                           m->stats.context_switches);
  } else {
    SimOptions traced;
    traced.record_trace = true;
    stored_run = RunSchedule(*schedule, traced);
    SetCanonicalTape(stored_run.tape, &stored);
    note = absl::StrCat("not minimized: ", m.status().message());
  }
  stored.mutable_expect()->set_verdict(Verdict(stored_run));
  const std::string slug = SignatureSlug(signature);
  const fs::path final_dir = findings_ / slug, tmp_dir = findings_ / (".tmp-" + slug);
  fs::remove_all(tmp_dir, ec);
  fs::create_directories(tmp_dir, ec);
  const absl::Status saved = SaveScheduleFile(stored, (tmp_dir / "schedule.textproto").string());
  if (!saved.ok()) {
    absl::FPrintF(stderr, "\nptfuzz: %s\n", std::string(saved.message()).c_str());
    return;  // the crash file stays in artifacts/ and is tried again
  }
  const std::string report = FormatTextReport(stored, stored_run);
  std::ofstream(tmp_dir / "report.txt") << report;
  std::ofstream(tmp_dir / "signature.txt") << signature << "\n";
  const std::string model = std::string(MemoryModelName(MemoryModelOf(stored.scenario())));
  const Expectation expectation = ExpectationOf(stored.scenario(), Verdict(stored_run));
  const std::string summary = absl::StrFormat("%s; %s, tlb flush %s, %s; %s", expectation.text,
                                              model, TlbFlushName(stored.scenario().tlb_flush()),
                                              ArchFlagName(stored.scenario().arch()), note);
  std::ofstream(tmp_dir / "found.txt")
      << absl::StrFormat("session %d, %.0f s into it, after about %llu executions\n%s\n", session_,
                         SecondsSince(start_), status_.execs, summary);
  fs::rename(crash, tmp_dir / crash.filename(), ec);
  fs::remove_all(final_dir, ec);
  fs::rename(tmp_dir, final_dir, ec);
  if (ec) {
    absl::FPrintF(stderr, "\nptfuzz: %s: %s\n", final_dir.c_str(), ec.message().c_str());
    return;
  }
  known_.insert(signature);
  if (absl::Status st = SaveKnownSignatures(); !st.ok()) {
    absl::FPrintF(stderr, "\nptfuzz: %s\n", std::string(st.message()).c_str());
  }
  if (expectation.unexpected) ++new_unexpected_;
  new_findings_.push_back({signature, ViolationSignature(*run.violation), final_dir, summary,
                           report, (final_dir / crash.filename()).string(),
                           m.ok() ? std::optional<MinimizeStats>(m->stats) : std::nullopt});
  if (progress_line_open_) {
    std::fputc('\n', stderr);
    progress_line_open_ = false;
  }
  absl::FPrintF(stderr, "ptfuzz: NEW %s (%s)\n         %s replay %s\n", signature.c_str(),
                summary.c_str(), o_.ptfuzz.c_str(), (final_dir / "schedule.textproto").c_str());
}

void Campaign::HandleArtifacts(bool settled_only) {
  std::vector<fs::path> files;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(artifacts_, ec)) {
    if (e.is_regular_file()) files.push_back(e.path());
  }
  std::sort(files.begin(), files.end());
  const auto settled = fs::file_time_type::clock::now() - std::chrono::seconds(1);
  for (const fs::path& f : files) {
    const std::string name = f.filename().string();
    // libFuzzer creates an artifact and then writes it: a file seen at once may still be empty.
    // Crash files are small and written in one go, so a second of quiet means it is whole.
    if (settled_only && fs::last_write_time(f, ec) > settled) continue;
    // Empty: its writer was killed before writing (the target rejects empty inputs, so no empty
    // input ever crashes it).
    if (fs::file_size(f, ec) == 0) {
      if (!settled_only) fs::remove(f, ec);
      continue;
    }
    if (name.rfind("crash-", 0) == 0) {
      HandleCrash(f);
    } else if (name.rfind("timeout-", 0) == 0 || name.rfind("slow-unit-", 0) == 0) {
      Problem(f,
              "an input the fuzzer timed out on: every run is bounded (SimOptions::max_steps), "
              "so this is a ptfuzz bug or an overloaded machine");
    } else if (name.rfind("oom-", 0) == 0 || name.rfind("leak-", 0) == 0) {
      Problem(f, "an input on which the fuzzer ran out of memory or leaked: a ptfuzz bug");
    }
  }
}

void Campaign::Progress(bool final_line) {
  UpdateStatus();
  const long long rss = pgid_ > 0 ? GroupRssKib(pgid_) : 0;
  peak_rss_kib_ = std::max(peak_rss_kib_, rss);
  const double elapsed = SecondsSince(start_);
  std::ofstream(progress_tsv_, std::ios::app) << absl::StrFormat(
      "%.0f\t%llu\t%llu\t%llu\t%llu\t%llu\t%zu\t%llu\t%lld\t%lld\n", elapsed, status_.execs,
      status_.execs_per_second, status_.cov, status_.features, status_.corpus, known_.size(),
      session_duplicates_, rss, VmRssKib("/proc/self/status"));
  const std::string line = absl::StrFormat(
      "[%s] %s execs (%s/s) | cov %llu ft %llu | corpus %llu | signatures %zu (%zu new) | "
      "dups %llu | problems %zu | rss %lld MiB%s",
      HumanDuration(elapsed), HumanCount(status_.execs), HumanCount(status_.execs_per_second),
      status_.cov, status_.features, status_.corpus, known_.size(), new_findings_.size(),
      session_duplicates_, new_problems_.size(), rss / 1024,
      o_.scenarios.size() > 1 ? absl::StrCat(" | ", slice_scenario_) : "");
  if (tty_) {
    absl::FPrintF(stderr, "\r\033[K%s", line.c_str());
    progress_line_open_ = true;
    if (final_line) {
      std::fputc('\n', stderr);
      progress_line_open_ = false;
    }
  } else {
    absl::FPrintF(stderr, "%s\n", line.c_str());
  }
  std::fflush(stderr);
}

void Campaign::Merge(const std::string& scenario) {
  const fs::path corpus = CorpusOf(scenario);
  const fs::path merging = corpus.string() + ".merging";
  const fs::path log = logs_ / absl::StrCat("merge-", session_, ".log");
  std::error_code ec;
  fs::remove_all(merging, ec);
  fs::create_directories(merging, ec);
  const size_t before = CountFiles(corpus);
  const int status =
      RunChild({o_.fuzzer.string(), "-set_cover_merge=1", merging.string(), corpus.string()},
               FuzzerEnv(scenario), log.string(), /*append=*/true);
  const size_t after = CountFiles(merging);
  corpus_before_merge_ += before;
  if (status != 0 || (after == 0 && before > 0)) {
    absl::FPrintF(stderr, "ptfuzz: merging %s failed (exit %d, see %s); it is kept unmerged\n",
                  corpus.string(), status, log.string());
    fs::remove_all(merging, ec);
    corpus_after_merge_ += before;
    return;
  }
  // Replaced only by renames, with a marker in between (RecoverMerge() completes it after a kill).
  std::ofstream(corpus.string() + ".merged") << "complete\n";
  fs::rename(corpus, corpus.string() + ".old", ec);
  fs::rename(merging, corpus, ec);
  fs::remove(corpus.string() + ".merged", ec);
  fs::remove_all(corpus.string() + ".old", ec);
  corpus_after_merge_ += after;
}

void Campaign::PrintSummary(const std::string& why_stopped, int fuzzer_status) {
  const double elapsed = SecondsSince(start_);
  absl::PrintF("\nptfuzz: campaign %s: %s after %s (%s)\n", o_.out.c_str(),
               o_.scenarios.size() == 1 ? o_.scenarios[0].c_str()
                                        : absl::StrCat(o_.scenarios.size(), " scenarios").c_str(),
               HumanDuration(elapsed), why_stopped.c_str());
  absl::PrintF(
      "  executions  %s this session (%s/s on %d job%s); %s in %lld session%s\n",
      HumanCount(status_.execs),
      HumanCount(elapsed > 0 ? static_cast<unsigned long long>(status_.execs / elapsed) : 0),
      o_.jobs, o_.jobs == 1 ? "" : "s", HumanCount(totals_.execs), totals_.sessions,
      totals_.sessions == 1 ? "" : "s");
  absl::PrintF("  coverage    cov %llu, features %llu\n", status_.cov, status_.features);
  if (o_.merge) {
    absl::PrintF("  corpus      %s: %zu inputs, %zu after merging\n", corpus_.c_str(),
                 corpus_before_merge_, corpus_after_merge_);
  }
  absl::PrintF(
      "  findings    %zu signature%s in %s (%zu new this session, %zu of them "
      "UNEXPECTED), %llu duplicate crash%s this session\n",
      known_.size(), known_.size() == 1 ? "" : "s", findings_.c_str(), new_findings_.size(),
      new_unexpected_, session_duplicates_, session_duplicates_ == 1 ? "" : "es");
  absl::PrintF("  memory      fuzzer processes peak %lld MiB (per-second samples in %s)\n",
               peak_rss_kib_ / 1024, progress_tsv_.c_str());
  absl::PrintF("  fuzzer log  %s (exit %d)\n", log_.c_str(), fuzzer_status);
  for (const Finding& f : new_findings_) {
    absl::PrintF("  NEW %s\n      %s\n      %s replay %s\n", f.signature.c_str(), f.summary.c_str(),
                 o_.ptfuzz.c_str(), (f.dir / "schedule.textproto").c_str());
  }
  // A targeted hunt shows its finding whole: the replay and what minimization did.
  if (o_.stop_at_first && new_findings_.size() == 1) {
    const Finding& f = new_findings_[0];
    absl::PrintF("\n%s", f.report.c_str());
    if (f.stats) {
      const MinimizeStats& s = *f.stats;
      absl::PrintF(
          "\nptfuzz: found %s. Crash file %s minimized (%d candidate runs): preemptions %u -> "
          "%u, decisions %d -> %d, %u context switches (%u preemptions), %u stale loads, %u "
          "buffered stores.\n",
          f.violation.c_str(), f.crash.c_str(), s.candidate_runs, s.preemptions_before,
          s.preemptions, s.decisions_before, s.decisions_after, s.context_switches, s.preemptions,
          s.stale_loads, s.buffered_stores);
    } else {
      absl::PrintF("\nptfuzz: found %s (crash file %s, %s).\n", f.violation.c_str(),
                   f.crash.c_str(), f.summary.c_str());
    }
    absl::PrintF("ptfuzz: saved %s; replay with: %s replay %s\n",
                 (f.dir / "schedule.textproto").c_str(), o_.ptfuzz.c_str(),
                 (f.dir / "schedule.textproto").c_str());
  }
  if (!new_problems_.empty()) {
    absl::PrintF("  PROBLEMS (ptfuzz bugs to report; inputs kept in %s):\n", problems_.c_str());
    for (const std::string& p : new_problems_) absl::PrintF("    %s\n", p.c_str());
  }
  if (new_findings_.empty() && !known_.empty()) {
    absl::PrintF("  no new finding this session; the stored ones (not searched for again):\n");
    for (const std::string& s : known_) absl::PrintF("    %s\n", s.c_str());
  }
  std::fflush(stdout);
}

int Campaign::Run() {
  if (!fs::exists(o_.fuzzer)) {
    return Fail(absl::StrCat(o_.fuzzer.string(),
                             " not found: build with clang and -DPTFUZZ_FUZZING=ON "
                             "(scripts/build.sh does)"));
  }
  if (absl::Status st = Prepare(); !st.ok()) return Fail(std::string(st.message()));
  // One runner per campaign directory. The kernel drops the lock when this process dies.
  const int lock_fd = open((o_.out / "campaign.lock").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (lock_fd < 0 || flock(lock_fd, LOCK_EX | LOCK_NB) != 0) {
    return Fail(absl::StrCat(o_.out.string(),
                             ": another `ptfuzz fuzz` is running on this "
                             "campaign directory"));
  }
  if (absl::Status st = Recover(); !st.ok()) return Fail(std::string(st.message()));
  start_ = Clock::now();
  tty_ = isatty(2) != 0;
  const int interval = o_.progress_seconds > 0 ? o_.progress_seconds : (tty_ ? 1 : 30);
  // Crash files a killed campaign had not handled yet (their writers are gone).
  HandleArtifacts(/*settled_only=*/false);
  if (absl::Status st = PinSeeds(); !st.ok()) return Fail(std::string(st.message()));
  if (o_.stop_at_first && !new_findings_.empty()) {
    PrintSummary("a finding left by the previous session", 0);
    return kExitFound;
  }

  const std::string scope =
      o_.scenarios.size() == 1
          ? absl::StrCat(o_.scenarios[0], "/", o_.variant.empty() ? "every variant" : o_.variant)
          : absl::StrCat(o_.scenarios.size(), " scenarios (",
                         o_.variant.empty() ? "every variant" : o_.variant, ")");
  absl::FPrintF(
      stderr,
      "ptfuzz: fuzzing %s (tlb flush %s, memory model %s%s%s) on %d job%s %s; %s%s; "
      "corpus %s, findings %s (%zu known), libFuzzer log %s\n",
      scope.c_str(), o_.tlb_flush.empty() ? "ipi+broadcast+paravirt" : o_.tlb_flush.c_str(),
      o_.memory_model.empty() ? "sc+tso+relaxed" : o_.memory_model.c_str(),
      o_.arch.empty() ? "" : ", arch ", o_.arch.c_str(), o_.jobs, o_.jobs == 1 ? "" : "s",
      o_.max_time > 0 ? absl::StrCat("for up to ", o_.max_time, " s").c_str()
                      : "until interrupted (Ctrl-C)",
      o_.stop_at_first ? "stopping at the first new finding" : "keeping going after findings",
      o_.only_violation.empty() ? "" : (" (only " + o_.only_violation + ")").c_str(),
      corpus_.c_str(), findings_.c_str(), known_.size(), log_.c_str());

  struct sigaction sa {};
  sa.sa_handler = OnInterrupt;
  sigemptyset(&sa.sa_mask);
  struct sigaction old_int {
  }, old_term{};
  sigaction(SIGINT, &sa, &old_int);
  sigaction(SIGTERM, &sa, &old_term);
  interrupts = 0;

  // One slice per iteration: the whole session with one scenario; with several, --slice seconds
  // of each in turn, so that every scenario gets its share (libFuzzer's fork mode hands each job
  // a small sample of one corpus, skewed to large inputs: one corpus over all scenarios starves
  // the ones with small schedules).
  const bool several = o_.scenarios.size() > 1;
  size_t next = several ? static_cast<size_t>(totals_.next_scenario) % o_.scenarios.size() : 0;
  const size_t first = next;
  std::string why;
  int fuzzer_status = 0;
  int signalled = 0;  // 1: the fuzzer was asked to stop, 2: killed
  last_progress_ = Clock::now();
  for (;;) {
    slice_scenario_ = o_.scenarios[next];
    long long seconds = 0;
    if (o_.max_time > 0) {
      seconds = o_.max_time - static_cast<long long>(SecondsSince(start_));
      if (seconds <= 0) {
        why = "max time";
        break;
      }
    }
    if (several) seconds = seconds > 0 ? std::min(seconds, o_.slice_seconds) : o_.slice_seconds;
    std::error_code ec;
    slice_log_offset_ = fs::exists(log_) ? static_cast<std::streamoff>(fs::file_size(log_, ec)) : 0;
    slice_status_ = FuzzerStatus{};
    const int pid = SpawnChild(FuzzerArgv(slice_scenario_, seconds), FuzzerEnv(slice_scenario_),
                               log_.string(), /*own_process_group=*/true);
    if (pid < 0) return Fail(absl::StrCat("cannot start ", o_.fuzzer.string()));
    pgid_ = pid;
    (void)WriteFileAtomically(o_.out / "fuzzer.pgid", absl::StrCat(pgid_));
    const Clock::time_point slice_start = Clock::now();
    Clock::time_point stop_sent{};
    int wait_status = 0;
    for (;;) {
      const pid_t done = waitpid(pid, &wait_status, WNOHANG);
      HandleArtifacts(/*settled_only=*/true);
      if (done == pid) {
        fuzzer_status = ExitStatus(wait_status);
        break;
      }
      const bool time_up = seconds > 0 && SecondsSince(slice_start) > seconds + 30;
      const bool found = o_.stop_at_first && !new_findings_.empty();
      if (signalled == 0 && (interrupts > 0 || time_up || found)) {
        why = interrupts > 0 ? "interrupted" : found ? "found a new bug" : "max time";
        if (progress_line_open_) std::fputc('\n', stderr), progress_line_open_ = false;
        if (interrupts > 0) {
          absl::FPrintF(stderr, "ptfuzz: stopping (Ctrl-C again to stop at once)...\n");
        }
        // SIGTERM, not SIGINT: libFuzzer's fork mode runs its jobs through system(), which
        // ignores SIGINT in the caller while a job runs; both end libFuzzer alike (exit 72).
        kill(-pgid_, SIGTERM);
        signalled = 1;
        stop_sent = Clock::now();
      } else if (signalled > 0 && (interrupts > 1 || SecondsSince(stop_sent) > 20)) {
        kill(-pgid_, SIGKILL);
        signalled = 2;
        stop_sent = Clock::now();
      }
      if (SecondsSince(last_progress_) >= interval) {
        Progress(false);
        last_progress_ = Clock::now();
      }
      usleep(100'000);
    }
    // Fork-mode jobs outlive their parent for a moment; none may write after this.
    kill(-pgid_, SIGKILL);
    HandleArtifacts(/*settled_only=*/false);
    SalvageJobInputs();
    fs::remove(o_.out / "fuzzer.pgid", ec);
    UpdateStatus();
    execs_before_slice_ = status_.execs;
    next = (next + 1) % o_.scenarios.size();
    if (signalled > 0) break;
    if (interrupts > 0) {
      why = "interrupted";
      break;
    }
    if (o_.stop_at_first && !new_findings_.empty()) {
      why = "found a new bug";
      break;
    }
    if (fuzzer_status == 72 || fuzzer_status == 128 + SIGTERM) {
      why = "interrupted";
      break;
    }
    if (fuzzer_status != 0 && fuzzer_status != 77) {
      why = absl::StrCat("the fuzzer failed with exit status ", fuzzer_status);
      break;
    }
    if (!several) {
      why = fuzzer_status != 77     ? (o_.runs >= 0 ? "its runs done" : "max time")
            : new_findings_.empty() ? "the fuzzer crashed without a violation: see problems/"
                                    : "found a new bug";
      break;
    }
    if (o_.runs >= 0 && next == first) {
      why = "its runs done in every scenario";
      break;
    }
  }
  Progress(true);
  totals_.next_scenario = static_cast<long long>(next);
  totals_.sessions += 1;
  totals_.seconds += SecondsSince(start_);
  totals_.execs += status_.execs;
  if (o_.merge && interrupts < 2) {
    for (const std::string& scenario : o_.scenarios) Merge(scenario);
  }
  if (absl::Status st = totals_.Save(o_.out / "campaign.txt"); !st.ok()) {
    absl::FPrintF(stderr, "ptfuzz: %s\n", std::string(st.message()).c_str());
  }
  sigaction(SIGINT, &old_int, nullptr);
  sigaction(SIGTERM, &old_term, nullptr);
  PrintSummary(why, fuzzer_status);
  close(lock_fd);
  const bool fuzzer_failed = fuzzer_status != 0 && fuzzer_status != 77 && fuzzer_status != 72 &&
                             fuzzer_status != 128 + SIGINT && fuzzer_status != 128 + SIGTERM &&
                             fuzzer_status != 128 + SIGKILL && new_findings_.empty() &&
                             signalled == 0;
  if (fuzzer_failed) {
    absl::FPrintF(stderr, "ptfuzz: ptfuzz_fuzzer exited with status %d; its log: %s\n",
                  fuzzer_status, log_.c_str());
    return kExitUsage;
  }
  return known_.empty() ? kExitClean : kExitFound;
}

}  // namespace

bool ParseFuzzerStatus(const std::string& line, FuzzerStatus* status) {
  if (line.empty() || line[0] != '#') return false;
  std::vector<std::string> tokens =
      absl::StrSplit(line.substr(1), absl::ByAnyChar(" \t:"), absl::SkipEmpty());
  if (tokens.empty() || !absl::SimpleAtoi(tokens[0], &status->execs)) return false;
  bool any = false;
  for (size_t i = 1; i + 1 < tokens.size(); ++i) {
    unsigned long long* field = tokens[i] == "cov"      ? &status->cov
                                : tokens[i] == "ft"     ? &status->features
                                : tokens[i] == "corp"   ? &status->corpus
                                : tokens[i] == "exec/s" ? &status->execs_per_second
                                                        : nullptr;
    if (field == nullptr) continue;
    std::string value = tokens[i + 1];
    value = value.substr(0, value.find('/'));  // "corp: 12/345b"
    if (absl::SimpleAtoi(value, field)) any = true;
  }
  return any;
}

std::string SignatureSlug(const std::string& signature) {
  std::string slug;
  for (char c : signature) {
    const bool keep = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                      c == '_' || c == '.' || c == '@' || c == '-';
    slug.push_back(keep ? c : '-');
  }
  return slug;
}

int RunCampaign(const CampaignOptions& options) { return Campaign(options).Run(); }

}  // namespace ptfuzz
