#pragma once

#include <cstddef>
#include <functional>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

// A small declarative command-line parser for `program group command [arguments] [options]`:
// the admin CLI declares its commands once, and parsing, validation of unknown or missing
// arguments and every --help text come from that declaration. Pure: no I/O.
namespace gpt_adapter::admin {

// The command line cannot be understood (exit status 2). help_command() is the command line
// whose --help explains the correct usage, e.g. "gpt-adapter-admin app create".
class usage_error : public std::runtime_error {
 public:
  usage_error(const std::string& message, std::string help_command)
      : std::runtime_error(message), help_command_(std::move(help_command)) {}
  const std::string& help_command() const { return help_command_; }

 private:
  std::string help_command_;
};

struct option_spec {
  std::string name;        // long name without the dashes: "rate-limit"
  std::string value_name;  // shown in help ("N"); empty for a flag that takes no value
  std::string description;
  bool required = false;
  bool repeatable = false;
};

struct positional_spec {
  std::string name;  // shown in help: "ID|CLIENT_ID"
  std::string description;
  bool required = true;
};

struct command_spec {
  std::string name;
  std::string summary;
  std::vector<positional_spec> positionals;  // required ones first
  std::vector<option_spec> options;
};

struct command_group {
  std::string name;
  std::string summary;
  std::vector<command_spec> commands;
};

struct program_spec {
  std::string name;
  std::string summary;
  std::vector<command_group> groups;
};

// Options and positional arguments of one command, as given.
class parsed_arguments {
 public:
  bool has(std::string_view option) const;
  // The value of a non-repeatable option.
  std::optional<std::string> value(std::string_view option) const;
  // Every value of a repeatable option, in order.
  std::vector<std::string> values(std::string_view option) const;
  const std::vector<std::string>& positionals() const { return positionals_; }
  std::optional<std::string> positional(std::size_t index) const;

  void add_option(const std::string& option, std::string value);
  void add_positional(std::string value) { positionals_.push_back(std::move(value)); }

 private:
  std::map<std::string, std::vector<std::string>, std::less<>> options_;
  std::vector<std::string> positionals_;
};

// What the command line asks for: either help text to print, or one command to run.
struct invocation {
  std::optional<std::string> help;  // set: print to stdout, exit 0
  std::string group;
  std::string command;
  parsed_arguments arguments;
};

// Parses `args` (without argv[0]). Options are `--name value` or `--name=value`; `--` ends the
// options; `-h`/`--help` anywhere before `--` asks for the help of the deepest level named.
// Throws usage_error for anything else it cannot accept.
invocation parse_command_line(const program_spec& program, const std::vector<std::string>& args);

std::string program_help(const program_spec& program);
std::string group_help(const program_spec& program, const command_group& group);
std::string command_help(const program_spec& program, const command_group& group,
                         const command_spec& command);

}  // namespace gpt_adapter::admin
