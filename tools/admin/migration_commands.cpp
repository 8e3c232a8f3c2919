#include "tools/admin/migration_commands.hpp"

#include <charconv>
#include <ostream>

#include "common/postgres/migration_runner.hpp"
#include "tools/admin/application_input.hpp"
#include "tools/admin/text_table.hpp"

namespace gpt_adapter::admin {
namespace {

namespace asio = boost::asio;

// Versions as they appear in the migration file names: 0001, 0002...
std::string version_label(int version) {
  auto text = std::to_string(version);
  return text.size() < 4 ? std::string(4 - text.size(), '0') + text : text;
}

int positive_count(std::string_view what, std::string_view text) {
  int value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || text.front() == '+' || error != std::errc() ||
      end != text.data() + text.size() || value < 1) {
    throw invalid_input(std::string(what) + ": '" + std::string(text) +
                        "' is not a positive whole number");
  }
  return value;
}

void print_steps(std::ostream& out, std::string_view verb,
                 const std::vector<postgres::applied>& steps) {
  for (const auto& step : steps) {
    out << verb << ' ' << version_label(step.version) << ' ' << step.name << '\n';
  }
}

asio::awaitable<void> up(admin_session& session, std::optional<int> target) {
  const auto steps = co_await postgres::migrate_up(session.database, target);
  if (steps.empty()) {
    session.out << "Nothing to apply: the schema is up to date.\n";
  }
  print_steps(session.out, "Applied", steps);
}

asio::awaitable<void> down(admin_session& session, int steps) {
  const auto reverted = co_await postgres::migrate_down(session.database, steps);
  if (reverted.empty()) {
    session.out << "Nothing to revert: no migration is applied.\n";
  }
  print_steps(session.out, "Reverted", reverted);
}

asio::awaitable<void> show_status(admin_session& session) {
  const auto migrations = co_await postgres::status(session.database);
  std::vector<std::vector<std::string>> rows;
  for (const auto& migration : migrations) {
    rows.push_back({version_label(migration.version), migration.name,
                    migration.applied_at.value_or("pending")});
  }
  session.out << render_table({"VERSION", "NAME", "APPLIED_AT"}, rows);
}

}  // namespace

admin_command_group migration_commands() {
  return {.name = "migrate",
          .summary =
              "Apply, revert and list the database schema migrations. Connects as "
              "DATABASE_ADMIN_URL (the schema owner) when set, else DATABASE_URL.",
          .commands = {
              {.spec = {.name = "up",
                        .summary = "Apply every pending migration, in order.",
                        .options = {{.name = "to",
                                     .value_name = "N",
                                     .description = "Stop after migration version N."}}},
               .prepare = [](const parsed_arguments& arguments) -> command_action {
                 std::optional<int> target;
                 if (const auto text = arguments.value("to")) {
                   target = positive_count("--to", *text);
                 }
                 return [target](admin_session& session) { return up(session, target); };
               }},
              {.spec = {.name = "down",
                        .summary = "Revert the most recently applied migrations, newest first.",
                        .positionals = {{.name = "N",
                                         .description = "How many to revert. Default: 1.",
                                         .required = false}}},
               .prepare = [](const parsed_arguments& arguments) -> command_action {
                 const auto steps = positive_count("N", arguments.positional(0).value_or("1"));
                 return [steps](admin_session& session) { return down(session, steps); };
               }},
              {.spec = {.name = "status",
                        .summary = "List every migration with when it was applied, or pending."},
               .prepare = [](const parsed_arguments&) -> command_action { return show_status; }}}};
}

}  // namespace gpt_adapter::admin
