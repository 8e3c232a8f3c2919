#pragma once

#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include <boost/asio/awaitable.hpp>

#include "tools/admin/admin_session.hpp"
#include "tools/admin/end_user_store.hpp"

namespace gpt_adapter::admin {

// Announces on Redis that an application changed, so API replicas drop their cached copy at
// once. Best effort: without REDIS_URL, or when Redis cannot be reached, the database change
// stands and a warning on `warnings` says replicas will see it when their cache entry expires.
boost::asio::awaitable<void> publish_application_invalidation(const redis_target& target,
                                                              std::string application_id,
                                                              std::ostream& warnings);

// The same for an end user, after first putting `denied` (the access tokens of the sessions just
// ended) on the deny-list, so that they are refused before replicas hear of the change. Best
// effort as above; the warning then also says how long the tokens stay usable.
boost::asio::awaitable<void> publish_end_user_invalidation(const redis_target& target,
                                                           std::string end_user_id,
                                                           std::vector<live_access_token> denied,
                                                           std::ostream& warnings);

}  // namespace gpt_adapter::admin
