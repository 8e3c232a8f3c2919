#include <sstream>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "tools/admin/command_line.hpp"

using Catch::Matchers::Contains;
using Catch::Matchers::StartsWith;
using namespace gpt_adapter::admin;

namespace {

const program_spec& test_program() {
  static const program_spec program{
      .name = "tool",
      .summary = "Manages things.",
      .groups = {
          {.name = "app",
           .summary = "Applications.",
           .commands = {{.name = "create",
                         .summary = "Creates an application.",
                         .options = {{.name = "name",
                                      .value_name = "NAME",
                                      .description = "Display name.",
                                      .required = true},
                                     {.name = "redirect-uri",
                                      .value_name = "URI",
                                      .description = "Callback.",
                                      .repeatable = true},
                                     {.name = "json", .description = "JSON output."}}},
                        {.name = "show",
                         .summary = "Shows an application.",
                         .positionals = {{.name = "ID", .description = "Which one."}}}}},
          {.name = "migrate",
           .summary = "Schema migrations.",
           .commands = {
               {.name = "down",
                .summary = "Reverts migrations.",
                .positionals = {{.name = "N", .description = "How many.", .required = false}}}}}}};
  return program;
}

invocation parse(std::vector<std::string> args) {
  return parse_command_line(test_program(), args);
}

// The usage_error thrown for `args`, checked to name `help_command`.
std::string usage_message(std::vector<std::string> args, const std::string& help_command) {
  try {
    parse(std::move(args));
  } catch (const usage_error& error) {
    CHECK(error.help_command() == help_command);
    return error.what();
  }
  FAIL("expected a usage_error");
  return {};
}

}  // namespace

TEST_CASE("admin command line: options with separate and attached values, flags, repeats",
          "[admin][command_line]") {
  const auto result = parse({"app", "create", "--name", "My GPT", "--redirect-uri=https://a",
                             "--json", "--redirect-uri", "https://b"});
  REQUIRE_FALSE(result.help);
  CHECK(result.group == "app");
  CHECK(result.command == "create");
  CHECK(result.arguments.value("name") == "My GPT");
  CHECK(result.arguments.has("json"));
  CHECK(result.arguments.values("redirect-uri") ==
        std::vector<std::string>{"https://a", "https://b"});
  CHECK_FALSE(result.arguments.value("missing"));
  CHECK(result.arguments.values("missing").empty());
}

TEST_CASE("admin command line: attached empty values and values starting with a dash",
          "[admin][command_line]") {
  CHECK(parse({"app", "create", "--name="}).arguments.value("name") == "");
  CHECK(parse({"app", "create", "--name", "-5"}).arguments.value("name") == "-5");
  CHECK(parse({"app", "create", "--name=--odd"}).arguments.value("name") == "--odd");
}

TEST_CASE("admin command line: positionals, optional positionals and --", "[admin][command_line]") {
  CHECK(parse({"app", "show", "gpta_x"}).arguments.positional(0) == "gpta_x");
  CHECK(parse({"app", "show", "--", "--strange"}).arguments.positional(0) == "--strange");
  CHECK_FALSE(parse({"migrate", "down"}).arguments.positional(0));
  CHECK(parse({"migrate", "down", "3"}).arguments.positionals() == std::vector<std::string>{"3"});
}

TEST_CASE("admin command line: --help and -h at every level print that level's help",
          "[admin][command_line]") {
  const auto program = parse({"--help"});
  REQUIRE(program.help);
  CHECK_THAT(*program.help, StartsWith("Usage: tool <command>"));
  CHECK_THAT(*program.help, Contains("migrate") && Contains("Schema migrations."));

  const auto group = parse({"app", "-h"});
  REQUIRE(group.help);
  CHECK_THAT(*group.help, StartsWith("Usage: tool app <subcommand>"));
  CHECK_THAT(*group.help, Contains("create") && Contains("Shows an application."));

  const auto command = parse({"app", "create", "--help"});
  REQUIRE(command.help);
  CHECK_THAT(*command.help, StartsWith("Usage: tool app create --name NAME [options]"));
  CHECK_THAT(*command.help, Contains("--redirect-uri URI") && Contains("(repeatable)") &&
                                Contains("(required)") && Contains("-h, --help"));

  const auto positional = parse({"migrate", "down", "-h"});
  REQUIRE(positional.help);
  CHECK_THAT(*positional.help, StartsWith("Usage: tool migrate down [N] [options]"));
}

TEST_CASE("admin command line: help wins over other mistakes, but not after --",
          "[admin][command_line]") {
  CHECK(parse({"app", "create", "--unknown", "--help"}).help);
  CHECK(parse({"app", "show", "--", "--help"}).arguments.positional(0) == "--help");
}

TEST_CASE("admin command line: usage errors name the problem and the command to ask for help",
          "[admin][command_line]") {
  CHECK_THAT(usage_message({}, "tool"), Contains("missing command"));
  CHECK_THAT(usage_message({"--verbose"}, "tool"), Contains("unknown option --verbose"));
  CHECK_THAT(usage_message({"nope"}, "tool"),
             Contains("unknown command 'nope'") && Contains("app, migrate"));
  CHECK_THAT(usage_message({"app"}, "tool app"), Contains("missing command after 'app'"));
  CHECK_THAT(usage_message({"app", "fly"}, "tool app"),
             Contains("unknown command 'app fly'") && Contains("create, show"));
  CHECK_THAT(usage_message({"app", "create", "--name", "x", "--colour", "red"}, "tool app create"),
             Contains("unknown option --colour"));
  CHECK_THAT(usage_message({"app", "create", "--name", "x", "-v"}, "tool app create"),
             Contains("unknown option -v"));
  CHECK_THAT(usage_message({"app", "create"}, "tool app create"),
             Contains("missing required option --name"));
  CHECK_THAT(usage_message({"app", "create", "--name"}, "tool app create"),
             Contains("--name needs a value"));
  CHECK_THAT(usage_message({"app", "create", "--name", "--json"}, "tool app create"),
             Contains("--name needs a value"));
  CHECK_THAT(usage_message({"app", "create", "--name", "a", "--name", "b"}, "tool app create"),
             Contains("--name given more than once"));
  CHECK_THAT(usage_message({"app", "create", "--name", "a", "--json=yes"}, "tool app create"),
             Contains("--json takes no value"));
  CHECK_THAT(usage_message({"app", "show"}, "tool app show"), Contains("missing argument ID"));
  CHECK_THAT(usage_message({"app", "show", "a", "b"}, "tool app show"),
             Contains("unexpected argument 'b'"));
}

TEST_CASE("admin command line: help wraps long descriptions under their column",
          "[admin][command_line]") {
  std::string long_text;
  for (int i = 0; i < 40; ++i) {
    long_text += "word" + std::to_string(i) + " ";
  }
  const program_spec program{
      .name = "tool",
      .summary = long_text,
      .groups = {{.name = "group",
                  .summary = long_text,
                  .commands = {{.name = "run",
                                .summary = long_text,
                                .options = {{.name = "flag", .description = long_text}}}}}}};
  for (const auto& args : std::vector<std::vector<std::string>>{
           {"--help"}, {"group", "--help"}, {"group", "run", "--help"}}) {
    const auto help = parse_command_line(program, args).help.value();
    std::istringstream lines(help);
    std::string line;
    while (std::getline(lines, line)) {
      CAPTURE(line);
      CHECK(line.size() <= 100);
    }
    CHECK_THAT(help, Contains("word39"));
  }
  const auto option_help = parse_command_line(program, {"group", "run", "--help"}).help.value();
  const auto flag_line = option_help.find("  --flag");
  REQUIRE(flag_line != std::string::npos);
  const auto description_column = option_help.find("word0", flag_line) - flag_line;
  const auto continuation = option_help.find('\n', flag_line) + 1;
  CHECK(option_help.find_first_not_of(' ', continuation) - continuation == description_column);
}
