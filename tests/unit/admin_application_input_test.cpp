#include <chrono>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "tools/admin/application_input.hpp"
#include "tools/admin/text_table.hpp"

using Catch::Matchers::Contains;
using namespace gpt_adapter::admin;
using namespace std::chrono_literals;

TEST_CASE("admin input: names are trimmed, non-empty, bounded and free of control characters",
          "[admin][application_input]") {
  CHECK(parse_name("  My GPT ") == "My GPT");
  CHECK(parse_name("Café ✓") == "Café ✓");
  CHECK(parse_name(std::string(200, 'n')) == std::string(200, 'n'));
  CHECK_THROWS_WITH(parse_name(""), Contains("1 to 200 characters"));
  CHECK_THROWS_WITH(parse_name("   "), Contains("1 to 200 characters"));
  CHECK_THROWS_WITH(parse_name(std::string(201, 'n')), Contains("1 to 200 characters"));
  CHECK_THROWS_WITH(parse_name("line\nbreak"), Contains("control characters"));
}

TEST_CASE("admin input: scopes are validated, normalised from aliases, deduplicated and sorted",
          "[admin][application_input]") {
  using scopes = std::vector<std::string>;
  CHECK(parse_scopes("memories:read") == scopes{"memories:read"});
  CHECK(parse_scopes("memories:write, memories:read") == scopes{"memories:read", "memories:write"});
  CHECK(parse_scopes("memory:read,memory:write") == scopes{"memories:read", "memories:write"});
  CHECK(parse_scopes("memory:read,memories:read") == scopes{"memories:read"});
  CHECK_THROWS_WITH(parse_scopes("memories:delete"),
                    Contains("unknown scope 'memories:delete'") && Contains("memories:read"));
  CHECK_THROWS_AS(parse_scopes(""), invalid_input);
  CHECK_THROWS_AS(parse_scopes("memories:read,"), invalid_input);
  CHECK_THROWS_AS(parse_scopes("MEMORIES:READ"), invalid_input);
}

TEST_CASE("admin input: rate limits are whole requests per minute from 1 to 100000",
          "[admin][application_input]") {
  CHECK(parse_rate_limit("1") == 1);
  CHECK(parse_rate_limit("100") == 100);
  CHECK(parse_rate_limit("100000") == 100000);
  for (const auto* text : {"0", "100001", "-5", "+5", "", "ten", "10.5", "99999999999999999999"}) {
    CHECK_THROWS_WITH(parse_rate_limit(text), Contains("between 1 and 100000"));
  }
}

TEST_CASE("admin input: redirect URIs must be absolute https, http only on loopback",
          "[admin][application_input]") {
  for (const auto* accepted :
       {"https://example.com/callback", "https://example.com:8443/cb?x=1", "https://example.com",
        "http://localhost:3000/callback", "http://127.0.0.1/cb", "http://[::1]:8080/cb",
        "https://chat.openai.com/aip/g-123abc/oauth/callback",
        "https://chat.openai.com/aip/*/oauth/callback",
        "https://chatgpt.com/aip/*/oauth/callback"}) {
    CAPTURE(accepted);
    CHECK_NOTHROW(validate_redirect_uri(accepted));
  }
  const std::vector<std::pair<std::string, std::string>> rejected{
      {"http://example.com/cb", "only accepted for localhost"},
      {"ftp://example.com/cb", "absolute https://"},
      {"/relative/callback", "absolute https://"},
      {"example.com/cb", "absolute https://"},
      {"https:///cb", "host"},
      {"https://exa mple.com/cb", "spaces"},
      {"https://example.com/cb#fragment", "fragment"},
      {"https://user:pass@example.com/cb", "user information"},
      {"https://example.com:0/cb", "port"},
      {"https://example.com:99999/cb", "port"},
      {"https://example.com:/cb", "port"},
      {"https://exa_mple.com/cb", "host"},
      {"https://*.example.com/cb", "'*' is only accepted"},
      {"https://chatgpt.com/aip/*/*/callback", "'*' is only accepted"},
      {"https://chatgpt.com/aip/g-*/oauth/callback", "'*' is only accepted"},
      {"https://chatgpt.com/aip/*/oauth/callback/extra", "'*' is only accepted"},
      {"http://chatgpt.com/aip/*/oauth/callback", "'*' is only accepted"},
      {"https://evil.com/aip/*/oauth/callback", "'*' is only accepted"},
      {"https://example.com/" + std::string(2000, 'a'), "longer than 2000"},
  };
  for (const auto& [uri, reason] : rejected) {
    CAPTURE(uri);
    CHECK_THROWS_WITH(validate_redirect_uri(uri), Contains(reason));
  }
}

TEST_CASE("admin input: status is active or disabled", "[admin][application_input]") {
  CHECK(parse_status("active") == "active");
  CHECK(parse_status("disabled") == "disabled");
  CHECK_THROWS_AS(parse_status("paused"), invalid_input);
  CHECK_THROWS_AS(parse_status("Active"), invalid_input);
}

TEST_CASE("admin input: time windows are minutes, hours or days up to 366 days",
          "[admin][application_input]") {
  CHECK(parse_since("30m") == 30min);
  CHECK(parse_since("24h") == 24h);
  CHECK(parse_since("7d") == std::chrono::days(7));
  CHECK(parse_since("366d") == std::chrono::days(366));
  for (const auto* text : {"", "d", "7", "0h", "-1d", "7w", "367d", "1.5h", "999999999999999d"}) {
    CAPTURE(text);
    CHECK_THROWS_AS(parse_since(text), invalid_input);
  }
}

TEST_CASE("admin input: tables align columns by code points and trim trailing spaces",
          "[admin][table]") {
  const auto text =
      render_table({"id", "name", "status"}, {{"1", "Café GPT", "active"}, {"22", "x", ""}, {"3"}});
  CHECK(text ==
        "id  name      status\n"
        "1   Café GPT  active\n"
        "22  x\n"
        "3\n");
}
