#include <filesystem>
#include <map>
#include <sstream>
#include <string>

#include <boost/json.hpp>
#include <catch2/catch.hpp>

#include "tests/support/access_tokens.hpp"
#include "tests/support/memory_stack.hpp"
#include "tests/support/node_checks.hpp"
#include "tests/support/oauth_browser.hpp"
#include "tests/support/process.hpp"

using namespace gpt_adapter;
using namespace gpt_adapter::testing;
using namespace std::chrono_literals;
namespace fs = std::filesystem;
namespace json = boost::json;

namespace {

const fs::path client_dir = fs::path(GPT_ADAPTER_SOURCE_DIR) / "tests" / "mcp-sdk";

}  // namespace

// tests/mcp-sdk/mcp-client.mjs is an MCP host built on the official TypeScript SDK: it finds the
// authorization server from the first 401, registers itself (RFC 7591), signs two end users in
// through the real sign-in page and calls every tool.
TEST_CASE(
    "MCP: the official TypeScript SDK discovers OAuth from a 401, registers itself, signs in with "
    "PKCE and the resource indicator, calls every tool and cannot see another user's memories",
    "[integration][mcp]") {
  INFO("the MCP SDK is not installed: run scripts/install-deps.sh (npm ci in "
       << client_dir.string() << ")");
  REQUIRE(
      fs::exists(client_dir / "node_modules" / "@modelcontextprotocol" / "sdk" / "package.json"));
  // The SDK requires the resource metadata's resource to be the URL it connects to, so the API
  // is told its own address.
  const auto port = std::to_string(free_port());
  const std::string base_url = "http://127.0.0.1:" + port;
  memory_stack stack({{"API_PORT", port},
                      {"PUBLIC_BASE_URL", base_url},
                      {"JWT_ISSUER", base_url},
                      {"OAUTH_DYNAMIC_CLIENT_REGISTRATION", "true"}});
  const auto host = stack.insert_application("MCP host", "memories:read,memories:write");
  const auth::access_token_settings actions{base_url, base_url};
  const auto actions_token = mint_access_token(test_hmac_keys(), actions, stack.alice,
                                               host.client_id, {"memories:read"}, 0);

  temp_dir run("mcp-sdk-run");
  child_process client({.argv = {"/usr/bin/node", (client_dir / "mcp-client.mjs").string()},
                        .environment = {{"MCP_URL", base_url + "/mcp"},
                                        {"CLIENT_ID", host.client_id},
                                        {"CLIENT_SECRET", host.client_secret},
                                        {"REDIRECT_URI", chatgpt_callback},
                                        {"ALICE_PASSWORD", "alice's long password"},
                                        {"BOB_PASSWORD", "bob's long password"},
                                        {"ACTIONS_TOKEN", actions_token}},
                        .output_file = run.path() / "output.log"});
  const auto status = client.wait_exit(180s);
  const auto output = client.output();
  INFO(output);

  auto checks = node_check_results(output);
  for (const auto* name :
       {"discovers the authorization server from a 401, registers itself and signs in with PKCE "
        "and resource",
        "lists every tool with schemas and hints", "creates a memory and sees its job finish",
        "searches, lists, reads, changes and shows the history of the memory",
        "another end user, through an operator's client, cannot see Alice's memory",
        "an invalid argument is a tool error the model can read",
        "deletes the memory and forgets everything",
        "a token issued for the Actions API is refused at /mcp"}) {
    INFO(name);
    CHECK(checks.count(name) == 1);
    CHECK(checks[name]);
  }
  CHECK(status == 0);
  CHECK(stack.api->output().find(host.client_secret) == std::string::npos);
}
