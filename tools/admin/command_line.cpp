#include "tools/admin/command_line.hpp"

#include <algorithm>
#include <sstream>

namespace gpt_adapter::admin {
namespace {

bool is_help(std::string_view arg) {
  return arg == "-h" || arg == "--help";
}

bool asks_for_help(const std::vector<std::string>& args) {
  for (const auto& arg : args) {
    if (arg == "--") {
      return false;
    }
    if (is_help(arg)) {
      return true;
    }
  }
  return false;
}

const command_group* find_group(const program_spec& program, std::string_view name) {
  for (const auto& group : program.groups) {
    if (group.name == name) {
      return &group;
    }
  }
  return nullptr;
}

const command_spec* find_command(const command_group& group, std::string_view name) {
  for (const auto& command : group.commands) {
    if (command.name == name) {
      return &command;
    }
  }
  return nullptr;
}

const option_spec* find_option(const command_spec& command, std::string_view name) {
  for (const auto& option : command.options) {
    if (option.name == name) {
      return &option;
    }
  }
  return nullptr;
}

std::string names_of(const auto& items) {
  std::string names;
  for (const auto& item : items) {
    names += (names.empty() ? "" : ", ") + item.name;
  }
  return names;
}

constexpr std::size_t help_width = 100;

// `text` broken into lines of at most `width` characters at spaces (a longer word stays whole),
// every line after the first prefixed with `indent` spaces.
std::string wrapped(std::string_view text, std::size_t width, std::size_t indent) {
  std::string result;
  std::size_t line_length = 0;
  while (!text.empty()) {
    const auto word_end = text.find(' ');
    const auto word = text.substr(0, word_end);
    if (line_length > 0 && line_length + 1 + word.size() > width) {
      result += '\n' + std::string(indent, ' ');
      line_length = 0;
    } else if (line_length > 0) {
      result += ' ';
      ++line_length;
    }
    result += word;
    line_length += word.size();
    text = word_end == std::string_view::npos ? std::string_view() : text.substr(word_end + 1);
  }
  return result;
}

// Lines of "  term   description", with descriptions aligned in one column and wrapped.
std::string aligned_entries(const std::vector<std::pair<std::string, std::string>>& entries) {
  std::size_t width = 0;
  for (const auto& [term, description] : entries) {
    width = std::max(width, term.size());
  }
  const auto indent = 2 + width + 3;
  std::string text;
  for (const auto& [term, description] : entries) {
    text += "  " + term + std::string(width - term.size() + 3, ' ') +
            wrapped(description, help_width > indent + 20 ? help_width - indent : 20, indent) +
            '\n';
  }
  return text;
}

std::string option_term(const option_spec& option) {
  return "--" + option.name + (option.value_name.empty() ? "" : " " + option.value_name);
}

parsed_arguments parse_command_arguments(const command_spec& command,
                                         const std::string& help_command,
                                         const std::vector<std::string>& args, std::size_t first) {
  parsed_arguments parsed;
  bool options_ended = false;
  for (std::size_t i = first; i < args.size(); ++i) {
    const auto& arg = args[i];
    if (options_ended || !arg.starts_with("-") || arg == "-") {
      parsed.add_positional(arg);
      continue;
    }
    if (arg == "--") {
      options_ended = true;
      continue;
    }
    if (!arg.starts_with("--")) {
      throw usage_error("unknown option " + arg, help_command);
    }
    const auto equals = arg.find('=');
    const auto name = arg.substr(2, equals == std::string::npos ? std::string::npos : equals - 2);
    const auto* option = find_option(command, name);
    if (option == nullptr) {
      throw usage_error("unknown option --" + name, help_command);
    }
    if (parsed.has(name) && !option->repeatable) {
      throw usage_error("option --" + name + " given more than once", help_command);
    }
    if (option->value_name.empty()) {
      if (equals != std::string::npos) {
        throw usage_error("option --" + name + " takes no value", help_command);
      }
      parsed.add_option(name, "");
      continue;
    }
    if (equals != std::string::npos) {
      parsed.add_option(name, arg.substr(equals + 1));
      continue;
    }
    // A following option is a forgotten value, not a value that happens to start with "--".
    if (i + 1 == args.size() || args[i + 1].starts_with("--")) {
      throw usage_error("option --" + name + " needs a value " + option->value_name, help_command);
    }
    parsed.add_option(name, args[++i]);
  }

  for (const auto& option : command.options) {
    if (option.required && !parsed.has(option.name)) {
      throw usage_error("missing required option --" + option.name, help_command);
    }
  }
  const auto required_positionals = static_cast<std::size_t>(
      std::count_if(command.positionals.begin(), command.positionals.end(),
                    [](const positional_spec& positional) { return positional.required; }));
  if (parsed.positionals().size() < required_positionals) {
    throw usage_error("missing argument " + command.positionals[parsed.positionals().size()].name,
                      help_command);
  }
  if (parsed.positionals().size() > command.positionals.size()) {
    throw usage_error(
        "unexpected argument '" + parsed.positionals()[command.positionals.size()] + "'",
        help_command);
  }
  return parsed;
}

}  // namespace

bool parsed_arguments::has(std::string_view option) const {
  return options_.find(option) != options_.end();
}

std::optional<std::string> parsed_arguments::value(std::string_view option) const {
  const auto found = options_.find(option);
  if (found == options_.end()) {
    return std::nullopt;
  }
  return found->second.back();
}

std::vector<std::string> parsed_arguments::values(std::string_view option) const {
  const auto found = options_.find(option);
  return found == options_.end() ? std::vector<std::string>{} : found->second;
}

std::optional<std::string> parsed_arguments::positional(std::size_t index) const {
  if (index >= positionals_.size()) {
    return std::nullopt;
  }
  return positionals_[index];
}

void parsed_arguments::add_option(const std::string& option, std::string value) {
  options_[option].push_back(std::move(value));
}

invocation parse_command_line(const program_spec& program, const std::vector<std::string>& args) {
  const auto help = asks_for_help(args);
  if (args.empty() || args.front().starts_with("-")) {
    if (help) {
      return {.help = program_help(program)};
    }
    throw usage_error(args.empty() ? "missing command" : "unknown option " + args.front(),
                      program.name);
  }

  const auto* group = find_group(program, args[0]);
  if (group == nullptr) {
    throw usage_error(
        "unknown command '" + args[0] + "' (expected one of: " + names_of(program.groups) + ")",
        program.name);
  }
  const auto group_command = program.name + " " + group->name;
  if (args.size() == 1 || args[1].starts_with("-")) {
    if (help) {
      return {.help = group_help(program, *group)};
    }
    throw usage_error(args.size() == 1 ? "missing command after '" + group->name + "'"
                                       : "unknown option " + args[1],
                      group_command);
  }

  const auto* command = find_command(*group, args[1]);
  if (command == nullptr) {
    throw usage_error("unknown command '" + group->name + " " + args[1] +
                          "' (expected one of: " + names_of(group->commands) + ")",
                      group_command);
  }
  if (help) {
    return {.help = command_help(program, *group, *command)};
  }
  return {
      .group = group->name,
      .command = command->name,
      .arguments = parse_command_arguments(*command, group_command + " " + command->name, args, 2)};
}

std::string program_help(const program_spec& program) {
  std::ostringstream text;
  text << "Usage: " << program.name << " <command> <subcommand> [arguments] [options]\n\n"
       << wrapped(program.summary, help_width, 0) << "\n\nCommands:\n";
  std::vector<std::pair<std::string, std::string>> entries;
  for (const auto& group : program.groups) {
    entries.emplace_back(group.name, group.summary);
  }
  text << aligned_entries(entries) << "\nRun '" << program.name
       << " <command> --help' for the subcommands of a command.\n";
  return text.str();
}

std::string group_help(const program_spec& program, const command_group& group) {
  std::ostringstream text;
  text << "Usage: " << program.name << " " << group.name
       << " <subcommand> [arguments] [options]\n\n"
       << wrapped(group.summary, help_width, 0) << "\n\nSubcommands:\n";
  std::vector<std::pair<std::string, std::string>> entries;
  for (const auto& command : group.commands) {
    entries.emplace_back(command.name, command.summary);
  }
  text << aligned_entries(entries) << "\nRun '" << program.name << " " << group.name
       << " <subcommand> --help' for its arguments and options.\n";
  return text.str();
}

std::string command_help(const program_spec& program, const command_group& group,
                         const command_spec& command) {
  std::ostringstream text;
  text << "Usage: " << program.name << " " << group.name << " " << command.name;
  for (const auto& positional : command.positionals) {
    text << " " << (positional.required ? positional.name : "[" + positional.name + "]");
  }
  for (const auto& option : command.options) {
    if (option.required) {
      text << " " << option_term(option);
    }
  }
  text << " [options]\n\n" << wrapped(command.summary, help_width, 0) << "\n";

  if (!command.positionals.empty()) {
    std::vector<std::pair<std::string, std::string>> entries;
    for (const auto& positional : command.positionals) {
      entries.emplace_back(positional.name, positional.description);
    }
    text << "\nArguments:\n" << aligned_entries(entries);
  }
  std::vector<std::pair<std::string, std::string>> entries;
  for (const auto& option : command.options) {
    entries.emplace_back(option_term(option), option.description +
                                                  (option.required ? " (required)" : "") +
                                                  (option.repeatable ? " (repeatable)" : ""));
  }
  entries.emplace_back("-h, --help", "Show this help.");
  text << "\nOptions:\n" << aligned_entries(entries);
  return text.str();
}

}  // namespace gpt_adapter::admin
