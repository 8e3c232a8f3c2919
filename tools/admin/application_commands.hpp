#pragma once

#include <string>
#include <string_view>

#include <boost/asio/awaitable.hpp>

#include "tools/admin/admin_session.hpp"
#include "tools/admin/application_store.hpp"

namespace gpt_adapter::admin {

// Prefix of generated client ids, so they are recognisable in logs and support requests.
inline constexpr std::string_view client_id_prefix = "gpta_";

// The `app` commands: create, list, show, update, delete, reset-secret, stats.
admin_command_group application_commands();

// The application an operator named by its id or client_id; command_failure when none matches.
boost::asio::awaitable<application> require_application(admin_session& session,
                                                        std::string reference);

}  // namespace gpt_adapter::admin
