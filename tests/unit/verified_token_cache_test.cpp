#include "api/request_auth/verified_token_cache.hpp"

#include <chrono>
#include <string>

#include <catch2/catch.hpp>

#include "common/metrics/registry.hpp"
#include "tests/support/prometheus_text.hpp"

using namespace gpt_adapter;
using namespace std::chrono_literals;
using api::request_auth::verified_token_cache;

namespace {

const auth::access_token_settings settings{
    .issuer = "https://adapter.example", .audience = "https://adapter.example/api", .leeway = 30s};
const std::chrono::sys_seconds issued{std::chrono::seconds(1'900'000'000)};

struct token_fixture {
  auth::key_set keys =
      auth::key_set({auth::signing_key::hs256("hs-1", std::string(32, 'k'))}, "hs-1");
  metrics::registry registry;

  std::string token(std::chrono::seconds lifetime = 1h, std::string subject = "end-user") const {
    return auth::encode_access_token(
        keys, settings,
        auth::new_access_token_claims(std::move(subject), "gpta_client", {"memories:read"}, 3,
                                      issued, lifetime));
  }

  double lookups(const std::string& result) const {
    return testing::parse_prometheus_text(registry.expose())
        .value("gpt_adapter_access_token_cache_lookups_total", {{"result", result}})
        .value_or(-1);
  }
  double not_kept() const {
    return testing::parse_prometheus_text(registry.expose())
        .value("gpt_adapter_access_token_cache_full_total")
        .value_or(-1);
  }
};

std::string_view error_name(const auth::value_or_error<api::request_auth::access_token_claims_ptr,
                                                       auth::token_failure>& outcome) {
  return outcome ? "ok" : auth::token_error_name(outcome.error().error);
}

}  // namespace

TEST_CASE("verified_token_cache: a token is verified once, then its claims come from memory",
          "[request_auth][token_cache]") {
  token_fixture fixture;
  verified_token_cache cache(fixture.keys, settings, 100, fixture.registry);
  const auto token = fixture.token();

  const auto first = cache.verify(token, issued + 1s);
  REQUIRE(first);
  CHECK(**first == auth::verify_access_token(fixture.keys, settings, token, issued + 1s).value());
  CHECK(fixture.lookups("miss") == 1);
  CHECK(fixture.lookups("hit") == 0);

  const auto second = cache.verify(token, issued + 10min);
  REQUIRE(second);
  CHECK(second->get() == first->get());
  CHECK(fixture.lookups("hit") == 1);

  // Another token of the same client is another entry.
  const auto other = cache.verify(fixture.token(1h, "other-user"), issued + 1s);
  REQUIRE(other);
  CHECK((*other)->subject == "other-user");
  CHECK(fixture.lookups("miss") == 2);
}

TEST_CASE("verified_token_cache: a cached token still expires, with the same leeway",
          "[request_auth][token_cache]") {
  token_fixture fixture;
  verified_token_cache cache(fixture.keys, settings, 100, fixture.registry);
  const auto token = fixture.token(10min);
  REQUIRE(cache.verify(token, issued));

  CHECK(error_name(cache.verify(token, issued + 10min + 29s)) == "ok");
  CHECK(error_name(cache.verify(token, issued + 10min + 30s)) == "expired");
  CHECK(fixture.lookups("hit") == 1);
}

TEST_CASE("verified_token_cache: refusals are answered as verify_access_token does and never kept",
          "[request_auth][token_cache]") {
  token_fixture fixture;
  verified_token_cache cache(fixture.keys, settings, 100, fixture.registry);
  auto tampered = fixture.token();
  tampered.back() = tampered.back() == 'A' ? 'B' : 'A';

  for (int attempt = 0; attempt < 2; ++attempt) {
    const auto refused = cache.verify(tampered, issued + 1s);
    REQUIRE_FALSE(refused);
    CHECK(refused.error().error ==
          auth::verify_access_token(fixture.keys, settings, tampered, issued + 1s).error().error);
  }
  CHECK(fixture.lookups("miss") == 2);
  CHECK(fixture.lookups("hit") == 0);

  const std::string oversized(settings.max_token_bytes + 1, 'a');
  CHECK(error_name(cache.verify(oversized, issued)) ==
        auth::token_error_name(
            auth::verify_access_token(fixture.keys, settings, oversized, issued).error().error));
}

TEST_CASE("verified_token_cache: bounded, and off with no entries", "[request_auth][token_cache]") {
  token_fixture fixture;

  SECTION("a full cache verifies new tokens every time and counts them") {
    verified_token_cache cache(fixture.keys, settings, 1, fixture.registry);
    const auto kept = fixture.token(1h, "kept");
    const auto extra = fixture.token(1h, "extra");
    REQUIRE(cache.verify(kept, issued));
    REQUIRE(cache.verify(extra, issued));
    REQUIRE(cache.verify(extra, issued));
    CHECK(fixture.not_kept() == 2);
    CHECK(fixture.lookups("miss") == 3);
    REQUIRE(cache.verify(kept, issued));
    CHECK(fixture.lookups("hit") == 1);
  }
  SECTION("0 entries") {
    verified_token_cache cache(fixture.keys, settings, 0, fixture.registry);
    const auto token = fixture.token();
    REQUIRE(cache.verify(token, issued));
    REQUIRE(cache.verify(token, issued));
    CHECK(fixture.lookups("hit") == 0);
    CHECK(fixture.lookups("miss") == 2);
    CHECK(fixture.not_kept() == 0);
  }
}
