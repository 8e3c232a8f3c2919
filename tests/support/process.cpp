#include "tests/support/process.hpp"

#include <arpa/inet.h>
#include <cstdlib>
#include <fcntl.h>
#include <fstream>
#include <netinet/in.h>
#include <pwd.h>
#include <random>
#include <signal.h>
#include <sstream>
#include <stdexcept>
#include <sys/socket.h>
#include <sys/wait.h>
#include <system_error>
#include <thread>
#include <unistd.h>

extern char** environ;

namespace gpt_adapter::testing {

bool wait_until(const std::function<bool()>& condition, std::chrono::milliseconds timeout,
                std::chrono::milliseconds poll_interval) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    if (condition()) {
      return true;
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      return false;
    }
    std::this_thread::sleep_for(poll_interval);
  }
}

unsigned short free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) {
    throw std::system_error(errno, std::generic_category(), "socket");
  }
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = 0;
  socklen_t length = sizeof(address);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    const int error = errno;
    ::close(fd);
    throw std::system_error(error, std::generic_category(), "bind to a free port");
  }
  ::close(fd);
  return ntohs(address.sin_port);
}

temp_dir::temp_dir(const std::string& prefix) {
  const char* base = std::getenv("TMPDIR");
  std::filesystem::path root = base != nullptr ? base : "/tmp";
  std::string pattern = (root / (prefix + "-XXXXXX")).string();
  if (::mkdtemp(pattern.data()) == nullptr) {
    throw std::system_error(errno, std::generic_category(), "mkdtemp " + pattern);
  }
  path_ = pattern;
  // Servers that drop root privileges must be able to enter their folder.
  std::filesystem::permissions(path_, std::filesystem::perms::owner_all |
                                          std::filesystem::perms::group_exec |
                                          std::filesystem::perms::others_exec);
}

temp_dir::~temp_dir() {
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

child_process::child_process(process_options options) : options_(std::move(options)) {
  if (options_.argv.empty()) {
    throw std::invalid_argument("child_process needs an executable");
  }
  std::map<std::string, std::string> environment;
  for (char** entry = environ; *entry != nullptr; ++entry) {
    const std::string text(*entry);
    const auto equals = text.find('=');
    if (equals != std::string::npos) {
      environment[text.substr(0, equals)] = text.substr(equals + 1);
    }
  }
  for (const auto& name : options_.unset_environment) {
    environment.erase(name);
  }
  for (const auto& [name, value] : options_.environment) {
    environment[name] = value;
  }
  std::vector<std::string> environment_lines;
  for (const auto& [name, value] : environment) {
    environment_lines.push_back(name + "=" + value);
  }
  std::vector<char*> envp;
  for (auto& line : environment_lines) {
    envp.push_back(line.data());
  }
  envp.push_back(nullptr);
  std::vector<char*> argv;
  for (auto& argument : options_.argv) {
    argv.push_back(argument.data());
  }
  argv.push_back(nullptr);

  std::optional<passwd> user;
  if (options_.run_as_user && ::geteuid() == 0) {
    const passwd* entry = ::getpwnam(options_.run_as_user->c_str());
    if (entry == nullptr) {
      throw std::runtime_error("no such user: " + *options_.run_as_user);
    }
    user = *entry;
  }
  int output_fd = -1;
  if (options_.output_file) {
    output_fd =
        ::open(options_.output_file->c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (output_fd < 0) {
      throw std::system_error(errno, std::generic_category(),
                              "open " + options_.output_file->string());
    }
  }

  pid_ = ::fork();
  if (pid_ < 0) {
    throw std::system_error(errno, std::generic_category(), "fork");
  }
  if (pid_ == 0) {
    // Child: only async-signal-safe calls from here on.
    ::setpgid(0, 0);
    if (output_fd >= 0) {
      ::dup2(output_fd, STDOUT_FILENO);
      ::dup2(output_fd, STDERR_FILENO);
    }
    const int null_fd = ::open("/dev/null", O_RDONLY);
    if (null_fd >= 0) {
      ::dup2(null_fd, STDIN_FILENO);
    }
    if (user) {
      if (::setgid(user->pw_gid) != 0 || ::setuid(user->pw_uid) != 0) {
        ::_exit(126);
      }
    }
    ::execve(argv[0], argv.data(), envp.data());
    ::_exit(127);
  }
  if (output_fd >= 0) {
    ::close(output_fd);
  }
}

child_process::~child_process() {
  if (running()) {
    ::kill(pid_, SIGKILL);
    wait_exit(10s);
  }
}

bool child_process::running() {
  if (exit_status_) {
    return false;
  }
  int status = 0;
  const pid_t result = ::waitpid(pid_, &status, WNOHANG);
  if (result == pid_) {
    exit_status_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    return false;
  }
  return result == 0;
}

void child_process::signal(int signal_number) {
  if (running()) {
    ::kill(pid_, signal_number);
  }
}

std::optional<int> child_process::wait_exit(std::chrono::milliseconds timeout) {
  wait_until([this] { return !running(); }, timeout, 5ms);
  return exit_status_;
}

std::optional<int> child_process::stop(std::chrono::milliseconds grace) {
  signal(SIGTERM);
  if (auto status = wait_exit(grace)) {
    return status;
  }
  signal(SIGKILL);
  return wait_exit(10s);
}

std::string child_process::output() const {
  if (!options_.output_file) {
    return {};
  }
  std::ifstream file(*options_.output_file);
  std::stringstream contents;
  contents << file.rdbuf();
  return contents.str();
}

std::filesystem::path built_binary(const std::string& relative_path) {
  return std::filesystem::path(GPT_ADAPTER_BINARY_DIR) / relative_path;
}

}  // namespace gpt_adapter::testing
