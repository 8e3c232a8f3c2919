#pragma once

#include <array>
#include <functional>
#include <optional>
#include <set>
#include <string>
#include <string_view>

#include "common/auth/value_or_error.hpp"

// OAuth scopes (RFC 6749 §3.3) the adapter grants: reading and writing an end user's memories.
namespace gpt_adapter::auth {

inline constexpr std::string_view memories_read_scope = "memories:read";
inline constexpr std::string_view memories_write_scope = "memories:write";

// Every scope in its canonical spelling, sorted (for `scopes_supported` in the metadata).
inline constexpr std::array<std::string_view, 2> known_scopes{memories_read_scope,
                                                              memories_write_scope};

// Canonical scopes, sorted and unique; heterogeneous lookup takes string_view.
using scope_set = std::set<std::string, std::less<>>;

// The canonical spelling of `scope`, also for the seeds' aliases memory:read and memory:write;
// std::nullopt for anything unknown. Case-sensitive, as RFC 6749 §3.3 requires.
std::optional<std::string_view> canonical_scope(std::string_view scope);

// A scope the adapter does not know, as it appeared in the request.
struct unknown_scope {
  std::string scope;

  // "unknown scope '<scope>'" with the scope cut to 64 characters and anything outside RFC 6749's
  // error_description alphabet replaced by '?', safe to send back to the client.
  std::string description() const;
};

// Parses a space-separated scope string into canonical scopes. Runs of spaces and leading or
// trailing spaces are tolerated (operators type the GPT editor's scope field by hand). A blank
// string yields an empty set: whether that means "the application's defaults" is the caller's
// decision. Fails on the first unknown scope.
value_or_error<scope_set, unknown_scope> parse_scopes(std::string_view text);

// Whether every scope in `requested` is in `allowed`.
bool scopes_within(const scope_set& requested, const scope_set& allowed);

// The scopes space-separated in sorted order, as the `scope` of a token response or claim.
std::string format_scopes(const scope_set& scopes);

}  // namespace gpt_adapter::auth
