#include "tools/admin/admin_cli.hpp"

#include <exception>
#include <optional>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

#include "common/config/settings.hpp"
#include "common/logging/logger.hpp"
#include "common/queue/record_ttl.hpp"
#include "tools/admin/admin_session.hpp"
#include "tools/admin/application_commands.hpp"
#include "tools/admin/application_input.hpp"
#include "tools/admin/key_commands.hpp"
#include "tools/admin/migration_commands.hpp"
#include "tools/admin/queue_commands.hpp"
#include "tools/admin/user_commands.hpp"

namespace gpt_adapter::admin {
namespace {

namespace asio = boost::asio;

constexpr std::string_view program_name = "gpt-adapter-admin";

const std::vector<admin_command_group>& admin_command_groups() {
  static const std::vector<admin_command_group> groups{
      migration_commands(), application_commands(), key_commands(),
      queue_commands(),     dead_letter_commands(), user_commands()};
  return groups;
}

const admin_command& find_admin_command(const std::string& group, const std::string& command) {
  for (const auto& candidate_group : admin_command_groups()) {
    for (const auto& candidate : candidate_group.commands) {
      if (candidate_group.name == group && candidate.spec.name == command) {
        return candidate;
      }
    }
  }
  throw std::logic_error("the parser returned an undeclared command " + group + " " + command);
}

struct admin_settings {
  postgres::pool_options database;
  redis_target redis;
  std::chrono::seconds job_record_ttl;
};

// Redis is optional here: only the queue commands and invalidations need it, and they say so.
redis_target read_redis_target(const config::env_reader& env) {
  const auto url = env.optional_string("REDIS_URL");
  if (!url || url->empty()) {
    return {.options = std::nullopt, .unusable = "REDIS_URL is not set"};
  }
  try {
    return {.options = config::read_redis_settings(env).connection, .unusable = {}};
  } catch (const config::config_error& invalid) {
    return {.options = std::nullopt, .unusable = invalid.what()};
  }
}

// The CLI connects as DATABASE_ADMIN_URL when it is set, else as DATABASE_URL: migrations need
// the schema owner, and managing applications is an administrative act that the API's runtime
// role need not be allowed to do. DATABASE_URL stays required, as for every process, so a
// deployment's configuration is checked the same way everywhere.
admin_settings read_admin_settings(const config::env_reader& env) {
  const auto database = config::read_database_settings(env);
  auto url = database.url;
  if (const auto admin_url = env.optional_string("DATABASE_ADMIN_URL");
      admin_url && !admin_url->empty()) {
    if (!admin_url->starts_with("postgresql://") && !admin_url->starts_with("postgres://")) {
      throw config::config_error(
          "DATABASE_ADMIN_URL is invalid: expected a URL starting with postgresql://... or "
          "postgres://...");
    }
    url = *admin_url;
  }
  // One command at a time needs at most two connections, opened on demand.
  return {.database = {.conninfo = url,
                       .min_size = 0,
                       .max_size = 2,
                       .connect_timeout = database.connect_timeout,
                       .acquire_timeout = database.connect_timeout,
                       .query_timeout = database.query_timeout},
          .redis = read_redis_target(env),
          .job_record_ttl = queue::read_record_ttl(env)};
}

// The CLI is no server: one io_context on the main thread runs the command to completion.
void run_to_completion(const command_action& action, const admin_settings& settings,
                       std::ostream& out, std::ostream& err) {
  asio::io_context context;
  const auto database = postgres::pool::create(context.get_executor(), settings.database);
  database->start();
  admin_session session{*database, settings.redis, settings.job_record_ttl, out, err};
  auto done = asio::co_spawn(
      context,
      [&]() -> asio::awaitable<void> {
        std::exception_ptr failure;
        try {
          co_await action(session);
        } catch (...) {
          failure = std::current_exception();
        }
        database->stop();
        if (failure) {
          std::rethrow_exception(failure);
        }
      },
      asio::use_future);
  context.run();
  done.get();
}

}  // namespace

program_spec admin_program() {
  program_spec program{
      .name = std::string(program_name),
      .summary =
          "Administers the Custom GPT Adapter: database migrations, the applications "
          "(OAuth clients) allowed to call the API, and the job queue. Reads DATABASE_URL, "
          "DATABASE_ADMIN_URL and REDIS_URL from the environment or .env."};
  for (const auto& group : admin_command_groups()) {
    command_group declared{.name = group.name, .summary = group.summary};
    for (const auto& command : group.commands) {
      declared.commands.push_back(command.spec);
    }
    program.groups.push_back(std::move(declared));
  }
  return program;
}

int run_admin(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  // stdout carries the command's output (tables, JSON): library log lines would corrupt it.
  // Whatever goes wrong reaches the operator as the command's own error line on stderr.
  logging::init(std::string(program_name), spdlog::level::off, logging::output_format::text);

  const auto program = admin_program();
  command_action action;
  try {
    const auto invocation = parse_command_line(program, args);
    if (invocation.help) {
      out << *invocation.help;
      return exit_success;
    }
    try {
      action =
          find_admin_command(invocation.group, invocation.command).prepare(invocation.arguments);
    } catch (const invalid_input& invalid) {
      throw usage_error(invalid.what(),
                        program.name + " " + invocation.group + " " + invocation.command);
    }
  } catch (const usage_error& error) {
    err << program.name << ": " << error.what() << " (see '" << error.help_command()
        << " --help')\n";
    return exit_usage;
  }

  const auto settings = read_admin_settings(config::process_env_reader());
  try {
    run_to_completion(action, settings, out, err);
  } catch (const command_failure& failure) {
    err << program.name << ": " << failure.what() << '\n';
    return exit_failure;
  } catch (const postgres::error& failure) {
    err << program.name << ": database error: " << failure.what() << '\n';
    return exit_failure;
  } catch (const std::exception& failure) {
    err << program.name << ": " << failure.what() << '\n';
    return exit_failure;
  }
  return exit_success;
}

}  // namespace gpt_adapter::admin
