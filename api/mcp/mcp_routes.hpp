#pragma once

#include <string>

#include "api/mcp/mcp_resource.hpp"
#include "api/request_auth/request_authorization.hpp"
#include "common/http/router.hpp"

// The MCP front door: the memory operations as tools of a remote MCP server (Streamable HTTP at
// /mcp, see mcp_protocol.hpp) and the OAuth protected resource metadata (RFC 9728) that tells MCP
// clients where to sign in. A tool call runs the operation's own handler in-process, behind the
// same authentication, scopes, rate limit and audit as the Actions door, which the audit event
// names as `door`.
namespace gpt_adapter::api::mcp {

struct mcp_route_settings {
  std::string public_base_url;  // the MCP resource is public_base_url + mcp_path
  std::string issuer;           // the authorization server
  std::string version;          // serverInfo.version
};

// Registers POST, GET and DELETE /mcp and the metadata at resource_metadata_path and its
// path-suffixed form. The memory routes must be registered on `authorization` already: their
// handlers are what the tools call.
void add_mcp_routes(request_auth::request_authorization& authorization, http::router& routes,
                    mcp_route_settings settings);

}  // namespace gpt_adapter::api::mcp
