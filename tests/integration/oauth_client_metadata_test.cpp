#include <string>

#include <boost/json.hpp>
#include <catch2/catch.hpp>

#include "common/auth/pkce.hpp"
#include "tests/support/memory_stack.hpp"
#include "tests/support/oauth_browser.hpp"
#include "tests/support/process.hpp"
#include "tests/support/tls_test_server.hpp"

using namespace gpt_adapter;
using namespace gpt_adapter::testing;
namespace json = boost::json;

namespace {

const std::string callback = "https://host.example/oauth/callback";
const std::string verifier = "the-metadata-document-client-verifier-long-enough";

browser_sign_in open_page(const api_stack& stack, const std::string& client_id,
                          const std::string& redirect_uri = callback) {
  return open_authorize_page(stack.port(),
                             form({{"response_type", "code"},
                                   {"client_id", client_id},
                                   {"redirect_uri", redirect_uri},
                                   {"state", "s1"},
                                   {"scope", "memories:read"},
                                   {"code_challenge", auth::s256_code_challenge(verifier)},
                                   {"code_challenge_method", "S256"},
                                   {"resource", memory_stack_mcp_resource}}));
}

}  // namespace

TEST_CASE(
    "oauth client metadata documents: a client whose client_id is its document's URL signs a "
    "user in without an operator, and bad or unreachable documents are refused",
    "[integration][oauth][mcp]") {
  temp_dir certificates_dir("cimd-certificates");
  const auto certificates = make_test_certificates(certificates_dir.path(), {}, {"127.0.0.1"});
  tls_test_server documents(certificates, "{}");
  const auto client_id =
      "https://127.0.0.1:" + std::to_string(documents.port()) + "/oauth/client.json";
  documents.set_body(json::serialize(json::object{{"client_id", client_id},
                                                  {"client_name", "Document Host"},
                                                  {"redirect_uris", json::array{callback}},
                                                  {"token_endpoint_auth_method", "none"}}));

  // Loopback is a private address: only development mode may fetch from it.
  {
    memory_stack strict({{"OAUTH_CLIENT_METADATA_DOCUMENTS", "true"},
                         {"OAUTH_CLIENT_METADATA_CA_FILE", certificates.ca_certificate.string()}},
                        false);
    const auto refused = open_page(strict, client_id);
    CHECK(refused.page.status == 400);
    CHECK_THAT(refused.page.body, Catch::Contains("cannot be fetched"));
    CHECK(documents.requests() == 0);
    CHECK_THAT(strict.api->output(), Catch::Contains("non-public address"));
  }

  memory_stack stack({{"OAUTH_CLIENT_METADATA_DOCUMENTS", "true"},
                      {"OAUTH_CLIENT_METADATA_CA_FILE", certificates.ca_certificate.string()},
                      {"GPT_ADAPTER_DEV_MODE", "true"}},
                     false);
  const auto metadata =
      http_get(stack.port(), "/.well-known/oauth-authorization-server").json().as_object();
  CHECK(metadata.at("client_id_metadata_document_supported") == true);

  // A redirect URI the document does not list is refused before anything is shown.
  CHECK(open_page(stack, client_id, "https://evil.example/cb").page.status == 400);

  const auto browser = open_page(stack, client_id);
  REQUIRE(browser.page.status == 200);
  CHECK_THAT(browser.page.body, Catch::Contains("Document Host"));
  CHECK_THAT(browser.page.body, Catch::Contains("host.example"));
  const auto signed_in = submit_sign_in(stack.port(), browser, "alice", "alice's long password");
  REQUIRE(signed_in.status == 303);
  const auto code = query_of(signed_in.header("location")).at("code");
  const auto tokens = token_request(stack, form({{"grant_type", "authorization_code"},
                                                 {"code", code},
                                                 {"redirect_uri", callback},
                                                 {"client_id", client_id},
                                                 {"code_verifier", verifier}}));
  REQUIRE(tokens.status == 200);
  CHECK(jwt_claims(json_text(tokens.json().as_object(), "access_token")).at("aud") ==
        memory_stack_mcp_resource);

  const auto shown = stack.admin_json({"app", "show", client_id}).as_object();
  CHECK(shown.at("registration") == "metadata_document");
  CHECK(shown.at("public_client") == true);
  CHECK(shown.at("name") == "Document Host");
  // Fetched once: the stored client serves the next sign-in.
  const auto fetched = documents.requests();
  CHECK(fetched == 1);
  CHECK(open_page(stack, client_id).page.status == 200);
  CHECK(documents.requests() == fetched);

  // A document that names another client_id is not this client's.
  const auto impostor = "https://127.0.0.1:" + std::to_string(documents.port()) + "/other.json";
  const auto wrong = open_page(stack, impostor);
  CHECK(wrong.page.status == 400);
  CHECK_THAT(wrong.page.body, Catch::Contains("client_id is not its own URL"));
}
