#pragma once

#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <sys/types.h>
#include <vector>

namespace gpt_adapter::testing {

using namespace std::chrono_literals;

// Polls `condition` until it holds or `timeout` passes; returns whether it held. This is how
// tests synchronise with servers and daemons: on observable state, never on sleeps.
bool wait_until(const std::function<bool()>& condition, std::chrono::milliseconds timeout,
                std::chrono::milliseconds poll_interval = 10ms);

// A TCP port on 127.0.0.1 that was free a moment ago.
unsigned short free_port();

// A fresh directory under the build tree (or $TMPDIR), removed with its contents on destruction.
class temp_dir {
 public:
  explicit temp_dir(const std::string& prefix = "gpt-adapter-test");
  ~temp_dir();
  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

struct process_options {
  std::vector<std::string> argv;                     // argv[0] is the executable path
  std::map<std::string, std::string> environment;    // added to (and overriding) ours
  std::vector<std::string> unset_environment;        // removed from ours
  std::optional<std::filesystem::path> output_file;  // stdout+stderr; inherited when empty
  std::optional<std::string> run_as_user;            // switch to this user when we are root
};

// A child process that is killed (SIGKILL) if still running when this object is destroyed.
class child_process {
 public:
  explicit child_process(process_options options);
  ~child_process();
  child_process(const child_process&) = delete;
  child_process& operator=(const child_process&) = delete;

  pid_t pid() const { return pid_; }
  bool running();
  void signal(int signal_number);
  // Waits for exit; returns the exit code (or 128+signal), or nullopt on timeout.
  std::optional<int> wait_exit(std::chrono::milliseconds timeout);
  // Sends SIGTERM, waits, then SIGKILL. Returns the exit status as wait_exit does.
  std::optional<int> stop(std::chrono::milliseconds grace = 10s);
  // The captured output so far (empty when output is inherited).
  std::string output() const;

 private:
  process_options options_;
  pid_t pid_ = -1;
  std::optional<int> exit_status_;
};

// Path of a binary built by this project, e.g. "api/gpt-adapter-api".
std::filesystem::path built_binary(const std::string& relative_path);

}  // namespace gpt_adapter::testing
