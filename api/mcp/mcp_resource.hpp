#pragma once

#include <string>
#include <string_view>

// Where the MCP front door lives: its endpoint, its resource identifier (RFC 8707: the audience
// of the access tokens issued for it) and its protected resource metadata (RFC 9728).
namespace gpt_adapter::api::mcp {

inline constexpr std::string_view mcp_path = "/mcp";
inline constexpr std::string_view resource_metadata_path = "/.well-known/oauth-protected-resource";

// public_base_url + mcp_path: PUBLIC_BASE_URL is validated as an origin with an optional path
// and no trailing slash, so this is already canonical.
inline std::string mcp_resource(std::string_view public_base_url) {
  return std::string(public_base_url) + std::string(mcp_path);
}

// The metadata's path-suffixed URL (RFC 9728 §3.1), the one the 401 challenges name.
inline std::string resource_metadata_url(std::string_view public_base_url) {
  const auto scheme_end = public_base_url.find("://");
  const auto path_start = public_base_url.find('/', scheme_end + 3);
  const auto origin = public_base_url.substr(0, path_start);
  const auto base_path = path_start == std::string_view::npos ? std::string_view()
                                                              : public_base_url.substr(path_start);
  return std::string(origin) + std::string(resource_metadata_path) + std::string(base_path) +
         std::string(mcp_path);
}

}  // namespace gpt_adapter::api::mcp
