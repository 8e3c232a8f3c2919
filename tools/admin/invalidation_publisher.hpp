#pragma once

#include <optional>
#include <ostream>
#include <string>

#include <boost/asio/awaitable.hpp>

namespace gpt_adapter::admin {

// Announces on Redis that an application changed, so API replicas drop their cached copy at
// once. Best effort: without REDIS_URL, or when Redis cannot be reached, the database change
// stands and a warning on `warnings` says replicas will see it when their cache entry expires.
boost::asio::awaitable<void> publish_application_invalidation(std::optional<std::string> redis_url,
                                                              std::string application_id,
                                                              std::ostream& warnings);

}  // namespace gpt_adapter::admin
