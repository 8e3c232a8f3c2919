#include "common/auth/scopes.hpp"

#include <string>

#include <catch2/catch.hpp>

using namespace gpt_adapter::auth;

TEST_CASE("auth scopes: canonical_scope knows both scopes and the seeds' aliases, case-sensitively",
          "[scopes]") {
  CHECK(canonical_scope("memories:read") == "memories:read");
  CHECK(canonical_scope("memories:write") == "memories:write");
  CHECK(canonical_scope("memory:read") == "memories:read");
  CHECK(canonical_scope("memory:write") == "memories:write");
  CHECK_FALSE(canonical_scope("Memories:Read"));
  CHECK_FALSE(canonical_scope("memories:admin"));
  CHECK_FALSE(canonical_scope(""));
}

TEST_CASE("auth scopes: parse_scopes normalises aliases into a sorted set without duplicates",
          "[scopes]") {
  const auto parsed = parse_scopes("memory:write memories:read memories:write");
  REQUIRE(parsed);
  CHECK(parsed.value() == scope_set{"memories:read", "memories:write"});
  CHECK(format_scopes(parsed.value()) == "memories:read memories:write");
}

TEST_CASE("auth scopes: parse_scopes tolerates extra spaces and yields nothing for a blank string",
          "[scopes]") {
  const auto spaced = parse_scopes("  memories:read   memory:read ");
  REQUIRE(spaced);
  CHECK(spaced.value() == scope_set{"memories:read"});

  const auto empty = parse_scopes("");
  REQUIRE(empty);
  CHECK(empty->empty());
  const auto blank = parse_scopes("   ");
  REQUIRE(blank);
  CHECK(blank->empty());
}

TEST_CASE("auth scopes: parse_scopes names the first unknown scope", "[scopes]") {
  const auto parsed = parse_scopes("memories:read admin memories:delete");
  REQUIRE_FALSE(parsed);
  CHECK(parsed.error().scope == "admin");
  CHECK(parsed.error().description() == "unknown scope 'admin'");

  // Separators other than a space are part of a scope token, so a comma list is refused.
  const auto commas = parse_scopes("memories:read,memories:write");
  REQUIRE_FALSE(commas);
  CHECK(commas.error().scope == "memories:read,memories:write");
}

TEST_CASE("auth scopes: an unknown scope's description is safe to send back", "[scopes]") {
  const auto parsed = parse_scopes(std::string("a\"b\\c\x01\xff") + std::string(100, 'x'));
  REQUIRE_FALSE(parsed);
  const auto description = parsed.error().description();
  CHECK(description.starts_with("unknown scope 'a?b?c??xxx"));
  CHECK(description.ends_with("...'"));
  CHECK(description.size() < 90);
  for (const char c : description) {
    CHECK((c >= 0x20 && c <= 0x7e && c != '"' && c != '\\'));
  }
}

TEST_CASE("auth scopes: scopes_within is the subset relation", "[scopes]") {
  const scope_set both{"memories:read", "memories:write"};
  const scope_set read{"memories:read"};
  const scope_set write{"memories:write"};
  CHECK(scopes_within(read, both));
  CHECK(scopes_within(both, both));
  CHECK(scopes_within({}, read));
  CHECK_FALSE(scopes_within(both, read));
  CHECK_FALSE(scopes_within(write, read));
  CHECK_FALSE(scopes_within(read, {}));
}

TEST_CASE("auth scopes: format_scopes of nothing is the empty string", "[scopes]") {
  CHECK(format_scopes({}).empty());
  CHECK(format_scopes({"memories:write"}) == "memories:write");
}

TEST_CASE("auth scopes: known_scopes lists the canonical scopes in sorted order", "[scopes]") {
  REQUIRE(known_scopes.size() == 2);
  CHECK(known_scopes[0] == "memories:read");
  CHECK(known_scopes[1] == "memories:write");
  for (const auto scope : known_scopes) {
    CHECK(canonical_scope(scope) == scope);
  }
}
