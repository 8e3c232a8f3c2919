#include "tests/support/admin_cli.hpp"

#include <fstream>
#include <sstream>
#include <stdexcept>

#include "tests/support/process.hpp"

namespace gpt_adapter::testing {
namespace {

std::string file_contents(const std::filesystem::path& path) {
  std::ifstream file(path);
  std::stringstream contents;
  contents << file.rdbuf();
  return contents.str();
}

}  // namespace

admin_cli_result run_admin_cli(const std::vector<std::string>& args,
                               std::map<std::string, std::string> environment,
                               std::optional<std::string> stdin_text) {
  temp_dir dir("admin-cli");
  const auto out_path = dir.path() / "stdout";
  const auto err_path = dir.path() / "stderr";
  environment["GPT_ADAPTER_ENV_FILE"] = (dir.path() / "absent.env").string();
  std::string script = "exec \"$@\" 2>\"$0\" </dev/null";
  if (stdin_text) {
    environment["ADMIN_TEST_STDIN"] = *stdin_text;
    script = "printf '%s\\n' \"$ADMIN_TEST_STDIN\" | \"$@\" 2>\"$0\"";
  }
  std::vector<std::string> argv{"/bin/sh", "-c", script, err_path.string(),
                                built_binary("tools/gpt-adapter-admin").string()};
  argv.insert(argv.end(), args.begin(), args.end());
  child_process process({.argv = argv,
                         .environment = std::move(environment),
                         .unset_environment = {"DATABASE_URL", "DATABASE_ADMIN_URL", "REDIS_URL",
                                               "LOG_LEVEL", "LOG_FORMAT"},
                         .output_file = out_path});
  const auto status = process.wait_exit(120s);
  if (!status) {
    throw std::runtime_error("gpt-adapter-admin did not exit within 120 s");
  }
  return {*status, file_contents(out_path), file_contents(err_path)};
}

}  // namespace gpt_adapter::testing
