#include "tools/admin/application_commands.hpp"

#include <algorithm>
#include <chrono>
#include <ostream>

#include <boost/json/array.hpp>

#include "common/auth/scopes.hpp"
#include "common/auth/secret_hash.hpp"
#include "tools/admin/application_input.hpp"
#include "tools/admin/application_store.hpp"
#include "tools/admin/invalidation_publisher.hpp"
#include "tools/admin/json_output.hpp"
#include "tools/admin/text_table.hpp"

namespace gpt_adapter::admin {
namespace {

namespace asio = boost::asio;
namespace json = boost::json;

constexpr std::size_t client_secret_bytes = 32;
constexpr std::size_t client_id_random_bytes = 18;
constexpr int default_rate_limit_per_minute = 100;

std::vector<std::string> redirect_uris_of(const parsed_arguments& arguments) {
  std::vector<std::string> uris;
  for (const auto& uri : arguments.values("redirect-uri")) {
    try {
      validate_redirect_uri(uri);
    } catch (const invalid_input& invalid) {
      throw invalid_input(std::string("--redirect-uri: ") + invalid.what());
    }
    if (std::find(uris.begin(), uris.end(), uri) == uris.end()) {
      uris.push_back(uri);
    }
  }
  return uris;
}

void print_application(std::ostream& out, const application& app) {
  const std::vector<std::pair<std::string, std::string>> fields{
      {"id", app.id},
      {"name", app.name},
      {"client_id", app.client_id},
      {"status", app.status},
      {"scopes", joined(app.scopes, ", ")},
      {"rate limit", std::to_string(app.rate_limit_per_minute) + " requests/minute"},
      {"redirect URIs", app.redirect_uris.empty() ? "(none)" : joined(app.redirect_uris, "\n")},
      {"token version", std::to_string(app.token_version)},
      {"registered by", app.registration == "operator"  ? "an operator"
                        : app.registration == "dynamic" ? "the client itself (dynamic registration)"
                                                        : "its client metadata document"},
      {"client type", app.public_client ? "public (no secret, PKCE)" : "confidential (secret)"},
      {"created", app.created_at},
      {"updated", app.updated_at},
      {"last used", app.last_used_at.value_or("never")}};
  constexpr std::size_t label_width = 15;
  for (const auto& [label, value] : fields) {
    auto text = value;
    for (auto at = text.find('\n'); at != std::string::npos; at = text.find('\n', at + 1)) {
      text.insert(at + 1, label_width, ' ');
    }
    out << label << ':' << std::string(label_width - label.size() - 1, ' ') << text << '\n';
  }
}

void print_secret_once(admin_session& session, const application& app,
                       const std::string& client_secret, bool as_json) {
  const auto warning =
      "The client secret is shown only this once and cannot be recovered: store it now (for "
      "example in the GPT's OAuth settings). If it is lost, issue a new one with "
      "'gpt-adapter-admin app reset-secret " +
      app.client_id + "'.";
  if (as_json) {
    auto object = to_json(app);
    object["client_secret"] = client_secret;
    print_json(session.out, object);
    session.err << "warning: " << warning << '\n';
    return;
  }
  session.out << "client_id:      " << app.client_id << '\n'
              << "client_secret:  " << client_secret << "\n\n"
              << warning << '\n';
}

command_failure not_found(const std::string& reference) {
  return command_failure("no application has the id or client_id '" + reference + "'");
}

// --- create ----------------------------------------------------------------------------------

asio::awaitable<void> create_application(admin_session& session, new_application fields,
                                         bool as_json) {
  const auto client_secret = auth::random_token(client_secret_bytes);
  fields.client_id = std::string(client_id_prefix) + auth::random_token(client_id_random_bytes);
  fields.client_secret_hash = auth::hash_secret(client_secret);
  const auto created = co_await insert_application(session.database, std::move(fields));
  if (!as_json) {
    session.out << "Created application '" << created.name << "' (id " << created.id << ").\n";
  }
  print_secret_once(session, created, client_secret, as_json);
}

command_action prepare_create(const parsed_arguments& arguments) {
  new_application fields{
      .name = parsed_option(arguments, "name", parse_name).value(),
      .scopes = parsed_option(arguments, "scopes", parse_scopes)
                    .value_or(std::vector<std::string>(auth::known_scopes.begin(),
                                                       auth::known_scopes.end())),
      .rate_limit_per_minute = parsed_option(arguments, "rate-limit", parse_rate_limit)
                                   .value_or(default_rate_limit_per_minute),
      .redirect_uris = redirect_uris_of(arguments)};
  const auto as_json = arguments.has("json");
  return [fields = std::move(fields), as_json](admin_session& session) {
    return create_application(session, fields, as_json);
  };
}

// --- list and show ---------------------------------------------------------------------------

asio::awaitable<void> list(admin_session& session, bool as_json) {
  const auto applications = co_await list_applications(session.database);
  if (as_json) {
    print_json_array(session.out, applications);
    co_return;
  }
  if (applications.empty()) {
    session.out << "No applications. Create one with 'gpt-adapter-admin app create --name NAME'.\n";
    co_return;
  }
  std::vector<std::vector<std::string>> rows;
  for (const auto& app : applications) {
    rows.push_back({app.id, app.name, app.client_id, app.status, app.registration,
                    joined(app.scopes, ","), std::to_string(app.rate_limit_per_minute) + "/min",
                    app.created_at, app.last_used_at.value_or("never")});
  }
  session.out << render_table({"ID", "NAME", "CLIENT_ID", "STATUS", "REGISTRATION", "SCOPES",
                               "RATE LIMIT", "CREATED", "LAST USED"},
                              rows);
}

asio::awaitable<void> show(admin_session& session, std::string reference, bool as_json) {
  const auto app = co_await require_application(session, std::move(reference));
  if (as_json) {
    print_json(session.out, to_json(app));
  } else {
    print_application(session.out, app);
  }
}

// --- update ----------------------------------------------------------------------------------

asio::awaitable<void> update(admin_session& session, std::string reference,
                             application_changes changes, bool as_json) {
  const auto updated = co_await update_application(session.database, reference, changes);
  if (!updated) {
    throw not_found(reference);
  }
  co_await publish_application_invalidation(session.redis, updated->id, session.err);
  if (as_json) {
    print_json(session.out, to_json(*updated));
    co_return;
  }
  session.out << "Updated application '" << updated->name << "'.\n";
  print_application(session.out, *updated);
}

command_action prepare_update(const parsed_arguments& arguments) {
  application_changes changes{
      .name = parsed_option(arguments, "name", parse_name),
      .scopes = parsed_option(arguments, "scopes", parse_scopes),
      .rate_limit_per_minute = parsed_option(arguments, "rate-limit", parse_rate_limit),
      .status = parsed_option(arguments, "status", parse_status)};
  if (arguments.has("redirect-uri")) {
    changes.redirect_uris = redirect_uris_of(arguments);
  }
  if (!changes.name && !changes.scopes && !changes.rate_limit_per_minute &&
      !changes.redirect_uris && !changes.status) {
    throw invalid_input(
        "nothing to update: pass at least one of --name, --scopes, --rate-limit, "
        "--redirect-uri, --status");
  }
  const auto as_json = arguments.has("json");
  return [reference = *arguments.positional(0), changes = std::move(changes),
          as_json](admin_session& session) { return update(session, reference, changes, as_json); };
}

// --- delete ----------------------------------------------------------------------------------

asio::awaitable<void> remove(admin_session& session, std::string reference) {
  const auto deleted = co_await delete_application(session.database, reference);
  if (!deleted) {
    throw not_found(reference);
  }
  co_await publish_application_invalidation(session.redis, *deleted, session.err);
  session.out << "Deleted application " << *deleted << ".\n";
}

command_action prepare_delete(const parsed_arguments& arguments) {
  const auto reference = *arguments.positional(0);
  if (!arguments.has("yes")) {
    throw invalid_input("refusing to delete application '" + reference +
                        "' without --yes: deletion is permanent (to only block it, use 'app "
                        "update " +
                        reference + " --status disabled')");
  }
  return [reference](admin_session& session) { return remove(session, reference); };
}

// --- reset-secret ----------------------------------------------------------------------------

asio::awaitable<void> reset_secret(admin_session& session, std::string reference, bool as_json) {
  const auto client_secret = auth::random_token(client_secret_bytes);
  const auto updated =
      co_await replace_client_secret(session.database, reference, auth::hash_secret(client_secret));
  if (!updated) {
    throw not_found(reference);
  }
  co_await publish_application_invalidation(session.redis, updated->id, session.err);
  if (!as_json) {
    session.out << "Issued a new client secret for application '" << updated->name
                << "'. The old secret and every token issued before no longer work.\n";
  }
  print_secret_once(session, *updated, client_secret, as_json);
}

// --- stats -----------------------------------------------------------------------------------

asio::awaitable<void> stats(admin_session& session, std::string reference, std::string since,
                            std::chrono::seconds window, bool as_json) {
  const auto app = co_await require_application(session, std::move(reference));
  const auto counts = co_await application_usage(session.database, app.id, window);
  long long total = 0;
  for (const auto& count : counts) {
    total += count.requests;
  }
  if (as_json) {
    json::array rows;
    for (const auto& count : counts) {
      rows.push_back(json::object{{"operation_type", count.operation_type},
                                  {"status_class", count.status_class},
                                  {"requests", count.requests}});
    }
    print_json(session.out, json::object{{"application_id", app.id},
                                         {"client_id", app.client_id},
                                         {"since", since},
                                         {"window_seconds", window.count()},
                                         {"total", total},
                                         {"counts", std::move(rows)}});
    co_return;
  }
  session.out << "Requests of application '" << app.name << "' in the last " << since << ": "
              << total << "\n";
  if (counts.empty()) {
    co_return;
  }
  std::vector<std::vector<std::string>> rows;
  for (const auto& count : counts) {
    rows.push_back({count.operation_type, count.status_class, std::to_string(count.requests)});
  }
  session.out << '\n' << render_table({"OPERATION", "STATUS", "REQUESTS"}, rows);
}

command_action prepare_stats(const parsed_arguments& arguments) {
  const auto since = arguments.value("since").value_or("24h");
  const std::chrono::seconds window =
      parsed_option(arguments, "since", parse_since).value_or(std::chrono::hours(24));
  const auto as_json = arguments.has("json");
  return [reference = *arguments.positional(0), since, window, as_json](admin_session& session) {
    return stats(session, reference, since, window, as_json);
  };
}

const positional_spec application_reference{
    .name = "ID|CLIENT_ID", .description = "The application's id or its client_id."};
const option_spec json_option{.name = "json", .description = "Print JSON instead of text."};

}  // namespace

asio::awaitable<application> require_application(admin_session& session, std::string reference) {
  auto found = co_await find_application(session.database, reference);
  if (!found) {
    throw not_found(reference);
  }
  co_return std::move(*found);
}

admin_command_group application_commands() {
  const option_spec scopes{.name = "scopes",
                           .value_name = "LIST",
                           .description =
                               "Comma-separated scopes from memories:read, "
                               "memories:write (aliases memory:read, memory:write)."};
  const option_spec rate_limit{
      .name = "rate-limit", .value_name = "N", .description = "Requests per minute, 1 to 100000."};
  const option_spec redirect_uri{
      .name = "redirect-uri",
      .value_name = "URI",
      .description =
          "OAuth callback: absolute https URI (http only for localhost), or "
          "https://chatgpt.com/aip/*/oauth/callback for any GPT.",
      .repeatable = true};

  return {
      .name = "app",
      .summary = "Manage the Custom GPT applications (OAuth clients) allowed to call the API.",
      .commands = {
          {.spec = {.name = "create",
                    .summary = "Register an application and print its client credentials. The "
                               "client secret is shown once.",
                    .options = {{.name = "name",
                                 .value_name = "NAME",
                                 .description = "Display name.",
                                 .required = true},
                                {scopes.name, scopes.value_name,
                                 scopes.description + " Default: all."},
                                {rate_limit.name, rate_limit.value_name,
                                 rate_limit.description + " Default: 100."},
                                redirect_uri,
                                json_option}},
           .prepare = prepare_create},
          {.spec = {.name = "list", .summary = "List all applications.", .options = {json_option}},
           .prepare = [](const parsed_arguments& arguments) -> command_action {
             return [as_json = arguments.has("json")](admin_session& session) {
               return list(session, as_json);
             };
           }},
          {.spec = {.name = "show",
                    .summary = "Show one application.",
                    .positionals = {application_reference},
                    .options = {json_option}},
           .prepare = [](const parsed_arguments& arguments) -> command_action {
             return [reference = *arguments.positional(0), as_json = arguments.has("json")](
                        admin_session& session) { return show(session, reference, as_json); };
           }},
          {.spec = {.name = "update",
                    .summary = "Change an application. Disabling it also revokes its tokens.",
                    .positionals = {application_reference},
                    .options = {{.name = "name", .value_name = "NAME", .description = "New name."},
                                scopes,
                                rate_limit,
                                {redirect_uri.name, redirect_uri.value_name,
                                 redirect_uri.description + " Replaces the whole list.", false,
                                 true},
                                {.name = "status",
                                 .value_name = "STATUS",
                                 .description = "active or disabled."},
                                json_option}},
           .prepare = prepare_update},
          {.spec = {.name = "delete",
                    .summary = "Delete an application permanently, with its refresh tokens and job "
                               "records. Its audit log is kept.",
                    .positionals = {application_reference},
                    .options = {{.name = "yes", .description = "Confirm the deletion."}}},
           .prepare = prepare_delete},
          {.spec = {.name = "reset-secret",
                    .summary = "Issue a new client secret (shown once). The old secret and "
                               "every token issued before stop working.",
                    .positionals = {application_reference},
                    .options = {json_option}},
           .prepare = [](const parsed_arguments& arguments) -> command_action {
             return [reference = *arguments.positional(0),
                     as_json = arguments.has("json")](admin_session& session) {
               return reset_secret(session, reference, as_json);
             };
           }},
          {.spec = {.name = "stats",
                    .summary = "Count an application's requests by operation and status class, "
                               "from the audit log.",
                    .positionals = {application_reference},
                    .options = {{.name = "since",
                                 .value_name = "WINDOW",
                                 .description = "How far back: 30m, 24h, 7d... Default: 24h."},
                                json_option}},
           .prepare = prepare_stats}}};
}

}  // namespace gpt_adapter::admin
