#include "tools/admin/key_commands.hpp"

#include <algorithm>
#include <ostream>

#include "common/auth/api_key.hpp"
#include "common/auth/secret_hash.hpp"
#include "tools/admin/api_key_store.hpp"
#include "tools/admin/application_commands.hpp"
#include "tools/admin/application_input.hpp"
#include "tools/admin/invalidation_publisher.hpp"
#include "tools/admin/json_output.hpp"
#include "tools/admin/text_table.hpp"

namespace gpt_adapter::admin {
namespace {

namespace asio = boost::asio;

// --- create ----------------------------------------------------------------------------------

struct create_request {
  std::string application;
  std::string name;
  std::optional<std::vector<std::string>> scopes;  // default: the application's
  bool as_json = false;
};

asio::awaitable<void> create(admin_session& session, create_request request) {
  const auto app = co_await require_application(session, request.application);
  const auto scopes = request.scopes.value_or(app.scopes);
  for (const auto& scope : scopes) {
    if (std::find(app.scopes.begin(), app.scopes.end(), scope) == app.scopes.end()) {
      throw command_failure("--scopes: the application '" + app.name + "' may not use " + scope +
                            " (its scopes: " + joined(app.scopes, ", ") + ")");
    }
  }
  if (scopes.empty()) {
    throw command_failure("the application '" + app.name +
                          "' has no scopes, so a key for it could do nothing");
  }
  const auto key = auth::generate_api_key();
  new_api_key fields{.application_id = app.id,
                     .name = request.name,
                     .key_hash = auth::sha256_hex(key),
                     .key_prefix = auth::api_key_display_prefix(key),
                     .scopes = scopes};
  const auto created = co_await insert_api_key(session.database, std::move(fields));
  const std::string warning =
      "The API key is shown only this once and cannot be recovered: store it now (in the GPT "
      "editor: Authentication > API Key > Bearer). If it is lost, revoke it with "
      "'gpt-adapter-admin key revoke " +
      created.id + "' and create another.";
  if (request.as_json) {
    auto object = to_json(created);
    object["api_key"] = key;
    print_json(session.out, object);
    session.err << "warning: " << warning << '\n';
    co_return;
  }
  session.out << "Created API key '" << created.name << "' (id " << created.id
              << ") for application '" << app.name << "' with scopes "
              << joined(created.scopes, ", ") << ".\n\n"
              << "api_key:  " << key << "\n\n"
              << warning << '\n';
}

command_action prepare_create(const parsed_arguments& arguments) {
  create_request request{.application = *arguments.value("app"),
                         .name = parsed_option(arguments, "name", parse_name).value_or("API key"),
                         .scopes = parsed_option(arguments, "scopes", parse_scopes),
                         .as_json = arguments.has("json")};
  return
      [request = std::move(request)](admin_session& session) { return create(session, request); };
}

// --- list ------------------------------------------------------------------------------------

asio::awaitable<void> list(admin_session& session, std::optional<std::string> application,
                           bool as_json) {
  std::optional<std::string> application_id;
  if (application) {
    application_id = (co_await require_application(session, *application)).id;
  }
  const auto keys = co_await list_api_keys(session.database, application_id);
  if (as_json) {
    print_json_array(session.out, keys);
    co_return;
  }
  if (keys.empty()) {
    session.out << "No API keys. Create one with 'gpt-adapter-admin key create --app "
                   "ID|CLIENT_ID'.\n";
    co_return;
  }
  std::vector<std::vector<std::string>> rows;
  for (const auto& key : keys) {
    rows.push_back({key.id, key.client_id, key.name, key.key_prefix + "...",
                    joined(key.scopes, ","), key.created_at, key.last_used_at.value_or("never"),
                    key.revoked_at ? "revoked " + *key.revoked_at : "active"});
  }
  session.out << render_table(
      {"ID", "CLIENT_ID", "NAME", "KEY", "SCOPES", "CREATED", "LAST USED", "STATUS"}, rows);
}

// --- revoke ----------------------------------------------------------------------------------

asio::awaitable<void> revoke(admin_session& session, std::string key_id, bool as_json) {
  const auto revoked = co_await revoke_api_key(session.database, key_id);
  if (!revoked) {
    throw command_failure("no API key has the id '" + key_id + "'");
  }
  // API replicas cache accepted keys: the invalidation makes them look again, at once.
  co_await publish_application_invalidation(session.redis, revoked->application_id, session.err);
  if (as_json) {
    print_json(session.out, to_json(*revoked));
    co_return;
  }
  session.out << "Revoked API key '" << revoked->name << "' (" << revoked->key_prefix << "...) of "
              << revoked->client_id << ".\n";
}

const option_spec json_option{.name = "json", .description = "Print JSON instead of text."};

}  // namespace

admin_command_group key_commands() {
  return {.name = "key",
          .summary = "Manage API keys, for the GPT editor's \"API key / Bearer\" authentication.",
          .commands = {
              {.spec = {.name = "create",
                        .summary = "Create an API key for an application and print it. The key is "
                                   "shown once.",
                        .options = {{.name = "app",
                                     .value_name = "ID|CLIENT_ID",
                                     .description = "The application the key acts for.",
                                     .required = true},
                                    {.name = "scopes",
                                     .value_name = "LIST",
                                     .description = "Comma-separated scopes from memories:read, "
                                                    "memories:write (aliases memory:read, "
                                                    "memory:write), within the application's. "
                                                    "Default: the application's."},
                                    {.name = "name",
                                     .value_name = "NAME",
                                     .description = "What the key is for. Default: \"API key\"."},
                                    json_option}},
               .prepare = prepare_create},
              {.spec = {.name = "list",
                        .summary = "List API keys (their first characters only).",
                        .options = {{.name = "app",
                                     .value_name = "ID|CLIENT_ID",
                                     .description = "Only this application's keys."},
                                    json_option}},
               .prepare = [](const parsed_arguments& arguments) -> command_action {
                 return [application = arguments.value("app"), as_json = arguments.has("json")](
                            admin_session& session) { return list(session, application, as_json); };
               }},
              {.spec = {.name = "revoke",
                        .summary = "Revoke an API key; every API replica refuses it at once.",
                        .positionals = {{.name = "KEY_ID", .description = "The key's id."}},
                        .options = {json_option}},
               .prepare = [](const parsed_arguments& arguments) -> command_action {
                 return [key_id = *arguments.positional(0), as_json = arguments.has("json")](
                            admin_session& session) { return revoke(session, key_id, as_json); };
               }}}};
}

}  // namespace gpt_adapter::admin
