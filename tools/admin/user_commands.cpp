#include "tools/admin/user_commands.hpp"

#include <iostream>
#include <iterator>
#include <ostream>

#include "common/auth/secret_hash.hpp"
#include "common/postgres/error.hpp"
#include "tools/admin/application_input.hpp"
#include "tools/admin/end_user_input.hpp"
#include "tools/admin/end_user_store.hpp"
#include "tools/admin/invalidation_publisher.hpp"
#include "tools/admin/json_output.hpp"
#include "tools/admin/text_table.hpp"

namespace gpt_adapter::admin {
namespace {

namespace asio = boost::asio;

// 18 random bytes: a 24-character password with 144 bits of entropy.
constexpr std::size_t generated_password_bytes = 18;

// The password for create and reset-password: read from standard input, or generated.
struct password_source {
  bool from_stdin = false;

  std::string obtain() const {
    if (!from_stdin) {
      return auth::random_token(generated_password_bytes);
    }
    const std::string input((std::istreambuf_iterator<char>(std::cin)),
                            std::istreambuf_iterator<char>());
    try {
      return parse_password(input);
    } catch (const invalid_input& invalid) {
      throw command_failure(std::string("--password-stdin: ") + invalid.what());
    }
  }
};

void print_user_with_password(admin_session& session, const end_user& user,
                              const std::string& password, bool generated, bool as_json) {
  if (as_json) {
    auto object = to_json(user);
    if (generated) {
      object["password"] = password;
    }
    print_json(session.out, object);
  } else {
    session.out << "id:        " << user.id << '\n'
                << "username:  " << user.username << '\n'
                << "status:    " << user.status << '\n';
    if (generated) {
      session.out << "password:  " << password << "\n\n";
    }
  }
  if (generated) {
    session.err << "warning: the generated password is shown only this once: give it to the user "
                   "now over a safe channel.\n";
  }
}

command_failure not_found(const std::string& reference) {
  return command_failure("no end user has the id or username '" + reference + "'");
}

asio::awaitable<void> create(admin_session& session, std::string username, password_source source,
                             bool as_json) {
  const auto password = source.obtain();
  try {
    const auto user =
        co_await insert_end_user(session.database, username, auth::hash_secret(password));
    if (!as_json) {
      session.out << "Created end user '" << user.username << "'.\n";
    }
    print_user_with_password(session, user, password, !source.from_stdin, as_json);
  } catch (const postgres::error& failure) {
    if (failure.sqlstate() == "23505") {
      throw command_failure("the username '" + username + "' is already taken");
    }
    throw;
  }
}

asio::awaitable<void> list(admin_session& session, bool as_json) {
  const auto users = co_await list_end_users(session.database);
  if (as_json) {
    print_json_array(session.out, users);
    co_return;
  }
  if (users.empty()) {
    session.out << "No end users. Create one with 'gpt-adapter-admin user create --username "
                   "NAME'.\n";
    co_return;
  }
  std::vector<std::vector<std::string>> rows;
  for (const auto& user : users) {
    rows.push_back({user.id, user.username, user.status, user.created_at,
                    user.last_sign_in_at.value_or("never")});
  }
  session.out << render_table({"ID", "USERNAME", "STATUS", "CREATED", "LAST SIGN-IN"}, rows);
}

// Revokes the end user's refresh tokens and denies the access tokens issued with them, then
// tells the API replicas. Disabling alone would let old sessions come back with `enable`;
// resetting a password must lock out whoever knew the old one.
asio::awaitable<void> end_sessions(admin_session& session, const end_user& user,
                                   std::string reason) {
  auto denied = co_await revoke_end_user_sessions(session.database, user.id, std::move(reason));
  co_await publish_end_user_invalidation(session.redis, user.id, std::move(denied), session.err);
}

asio::awaitable<void> change_status(admin_session& session, std::string reference,
                                    std::string status, bool as_json) {
  const auto user = co_await set_end_user_status(session.database, reference, status);
  if (!user) {
    throw not_found(reference);
  }
  if (status == "disabled") {
    co_await end_sessions(session, *user, "end user disabled");
  } else {
    std::vector<live_access_token> none;
    co_await publish_end_user_invalidation(session.redis, user->id, std::move(none), session.err);
  }
  if (as_json) {
    print_json(session.out, to_json(*user));
    co_return;
  }
  session.out << "End user '" << user->username << "' is now " << user->status << ".";
  if (status == "disabled") {
    session.out << " Sign-in, refresh tokens and access tokens stop working at once; enabling "
                   "the user again does not bring those sessions back.";
  }
  session.out << '\n';
}

asio::awaitable<void> reset_password(admin_session& session, std::string reference,
                                     password_source source, bool as_json) {
  const auto password = source.obtain();
  const auto user =
      co_await replace_end_user_password(session.database, reference, auth::hash_secret(password));
  if (!user) {
    throw not_found(reference);
  }
  co_await end_sessions(session, *user, "end user password reset");
  if (!as_json) {
    session.out << "Set a new password for end user '" << user->username
                << "'; the sessions signed in with the old one are ended.\n";
  }
  print_user_with_password(session, *user, password, !source.from_stdin, as_json);
}

const positional_spec user_reference{.name = "ID|USERNAME",
                                     .description = "The end user's id or username."};
const option_spec json_option{.name = "json", .description = "Print JSON instead of text."};
const option_spec password_stdin_option{
    .name = "password-stdin",
    .description =
        "Read the password from the first line of standard input (12 to 1024 "
        "characters) instead of generating one."};

command_action prepare_status(const parsed_arguments& arguments, std::string status) {
  return [reference = *arguments.positional(0), status = std::move(status),
          as_json = arguments.has("json")](admin_session& session) {
    return change_status(session, reference, status, as_json);
  };
}

}  // namespace

admin_command_group user_commands() {
  return {.name = "user",
          .summary = "Manage the end users who sign in on the authorization page.",
          .commands = {
              {.spec = {.name = "create",
                        .summary = "Create an end user. Without --password-stdin a password is "
                                   "generated and shown once.",
                        .options = {{.name = "username",
                                     .value_name = "NAME",
                                     .description = "Sign-in name: letters, digits and . _ @ + -.",
                                     .required = true},
                                    password_stdin_option,
                                    json_option}},
               .prepare = [](const parsed_arguments& arguments) -> command_action {
                 std::string username;
                 try {
                   username = parse_username(arguments.value("username").value_or(""));
                 } catch (const invalid_input& invalid) {
                   throw invalid_input(std::string("--username: ") + invalid.what());
                 }
                 return [username, source = password_source{arguments.has("password-stdin")},
                         as_json = arguments.has("json")](admin_session& session) {
                   return create(session, username, source, as_json);
                 };
               }},
              {.spec = {.name = "list", .summary = "List all end users.", .options = {json_option}},
               .prepare = [](const parsed_arguments& arguments) -> command_action {
                 return [as_json = arguments.has("json")](admin_session& session) {
                   return list(session, as_json);
                 };
               }},
              {.spec = {.name = "disable",
                        .summary = "Block an end user: no sign-in, and every session (refresh "
                                   "and access tokens) ended at once.",
                        .positionals = {user_reference},
                        .options = {json_option}},
               .prepare =
                   [](const parsed_arguments& arguments) {
                     return prepare_status(arguments, "disabled");
                   }},
              {.spec = {.name = "enable",
                        .summary = "Allow a disabled end user to sign in again.",
                        .positionals = {user_reference},
                        .options = {json_option}},
               .prepare =
                   [](const parsed_arguments& arguments) {
                     return prepare_status(arguments, "active");
                   }},
              {.spec = {.name = "reset-password",
                        .summary = "Set a new password (generated and shown once, or read with "
                                   "--password-stdin) and end the end user's sessions.",
                        .positionals = {user_reference},
                        .options = {password_stdin_option, json_option}},
               .prepare = [](const parsed_arguments& arguments) -> command_action {
                 return [reference = *arguments.positional(0),
                         source = password_source{arguments.has("password-stdin")},
                         as_json = arguments.has("json")](admin_session& session) {
                   return reset_password(session, reference, source, as_json);
                 };
               }}}};
}

}  // namespace gpt_adapter::admin
