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

// scheme://host[:port] of an absolute URL: what comes before its path.
inline std::string_view origin_of(std::string_view url) {
  const auto scheme_end = url.find("://");
  return url.substr(0, url.find('/', scheme_end == std::string_view::npos ? 0 : scheme_end + 3));
}

// The metadata's path on this server for the MCP endpoint under `public_base_url` (RFC 9728
// §3.1: inserted between the origin and the resource's path).
inline std::string resource_metadata_suffixed_path(std::string_view public_base_url) {
  return std::string(resource_metadata_path) +
         std::string(public_base_url.substr(origin_of(public_base_url).size())) +
         std::string(mcp_path);
}

// That metadata's URL, the one the 401 challenges name.
inline std::string resource_metadata_url(std::string_view public_base_url) {
  return std::string(origin_of(public_base_url)) + resource_metadata_suffixed_path(public_base_url);
}

}  // namespace gpt_adapter::api::mcp
