// ns/op of what bearer authentication computes per request before any I/O: verifying an access
// token (auth::verify_access_token, HS256, RS256 and ES256), finding a token verified before in
// the API's verified_token_cache, and, for an API key, checking its shape and hashing it for the
// cache lookup. Built with -DGPT_ADAPTER_BENCH=ON; run by
// bench/token-verify.sh on a release build.
//   token_verify [ITERATIONS_FOR_HS256]
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "api/request_auth/verified_token_cache.hpp"
#include "common/auth/access_token.hpp"
#include "common/auth/api_key.hpp"
#include "common/auth/secret_hash.hpp"
#include "common/auth/signing_key.hpp"
#include "common/metrics/registry.hpp"
#include "tests/support/test_keys.hpp"

namespace {

using namespace gpt_adapter;
using clock_type = std::chrono::steady_clock;

const auth::access_token_settings settings{.issuer = "https://adapter.example",
                                           .audience = "https://adapter.example/api"};

// Keeps the optimiser from dropping work whose result is otherwise unused.
volatile std::size_t sink = 0;

// Runs `operation` `iterations` times (after a warm-up tenth) and prints its mean ns/op.
template <typename Operation>
void measure(std::string_view name, long iterations, Operation operation) {
  for (long i = 0; i < iterations / 10; ++i) {
    operation();
  }
  const auto start = clock_type::now();
  for (long i = 0; i < iterations; ++i) {
    operation();
  }
  const std::chrono::duration<double, std::nano> elapsed = clock_type::now() - start;
  std::printf("%-34s %10.0f ns/op  (%ld iterations)\n", std::string(name).c_str(),
              elapsed.count() / static_cast<double>(iterations), iterations);
}

void measure_token(std::string_view name, const auth::signing_key& key, long iterations) {
  const auth::key_set keys({key}, key.kid());
  const auto now =
      std::chrono::time_point_cast<std::chrono::seconds>(std::chrono::system_clock::now());
  const auto claims = auth::new_access_token_claims(
      "0b6f3c8e-6d0a-4a53-9d39-2f7c1a0e5b11", "gpta_0123456789abcdef",
      {"memories:read", "memories:write"}, 1, now, std::chrono::hours(1));
  const auto token = auth::encode_access_token(keys, settings, claims);
  if (!auth::verify_access_token(keys, settings, token, now)) {
    std::fprintf(stderr, "%s: the token does not verify\n", std::string(name).c_str());
    std::exit(1);
  }
  measure(name, iterations, [&] {
    const auto verified = auth::verify_access_token(keys, settings, token, now);
    sink = sink + verified->token_id.size();
  });
  if (key.algorithm() == auth::signing_algorithm::hs256) {
    metrics::registry registry;
    api::request_auth::verified_token_cache cache(keys, settings, 1000, registry);
    measure("verified_token_cache hit", iterations, [&] {
      const auto verified = cache.verify(token, now);
      sink = sink + (*verified)->token_id.size();
    });
  }
}

}  // namespace

int main(int argc, char** argv) {
  const long iterations = argc > 1 ? std::atol(argv[1]) : 200000;
  if (iterations <= 0) {
    std::fprintf(stderr, "usage: token_verify [ITERATIONS_FOR_HS256]\n");
    return 2;
  }
  measure_token("verify_access_token HS256", auth::signing_key::hs256("hs", std::string(32, 'k')),
                iterations);
  // RSA verification is cheap (public exponent 65537), ECDSA's is not: fewer iterations.
  measure_token("verify_access_token RS256",
                auth::signing_key::from_private_pem("rs", auth::signing_algorithm::rs256,
                                                    testing::generate_rsa_private_key_pem()),
                iterations / 4);
  measure_token("verify_access_token ES256",
                auth::signing_key::from_private_pem("es", auth::signing_algorithm::es256,
                                                    testing::generate_ec_private_key_pem()),
                iterations / 10);
  const auto api_key = auth::generate_api_key();
  measure("API key shape check + SHA-256", iterations, [&] {
    const bool shaped = auth::is_api_key_shaped(api_key);
    sink = sink + (shaped ? auth::sha256_hex(api_key).size() : 0);
  });
  return 0;
}
