// Bearer tokens as a caller presents them. The first byte chooses: verify the rest as a compact
// JWS as it is (header, key and algorithm checks, which run before the signature), or sign the
// rest as a payload with a typ of the next line so the claim checks are reached too, then verify.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/auth/access_token.hpp"
#include "common/auth/jws.hpp"
#include "tests/support/test_keys.hpp"

namespace auth = gpt_adapter::auth;

namespace {

const auth::key_set& keys() {
  static const auth::key_set set = [] {
    std::vector<auth::signing_key> all;
    all.push_back(auth::signing_key::hs256("hs-1", "fuzz-signing-key-0123456789abcdef-0123456789"));
    all.push_back(
        auth::signing_key::from_private_pem("rs-1", auth::signing_algorithm::rs256,
                                            gpt_adapter::testing::generate_rsa_private_key_pem()));
    all.push_back(
        auth::signing_key::from_private_pem("es-1", auth::signing_algorithm::es256,
                                            gpt_adapter::testing::generate_ec_private_key_pem()));
    return auth::key_set(std::move(all), "hs-1");
  }();
  return set;
}

const auth::access_token_settings settings{.issuer = "https://gpt.example.com",
                                           .audience = "https://gpt.example.com"};
const auto now = std::chrono::sys_seconds(std::chrono::seconds(1'800'000'000));

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) {
    return 0;
  }
  std::string_view rest(reinterpret_cast<const char*>(data) + 1, size - 1);
  if (data[0] % 2 == 0) {
    (void)auth::verify_access_token(keys(), settings, rest, now);
    return 0;
  }
  const auto newline = rest.find('\n');
  const auto type = rest.substr(0, newline);
  const auto payload =
      newline == std::string_view::npos ? std::string_view{} : rest.substr(newline + 1);
  const auto& key = keys().active();
  const auto token = auth::sign_jws(key, payload, type);
  const auto verified = auth::verify_access_token(keys(), settings, token, now);
  if (verified) {
    (void)auth::check_application_state(verified.value(), auth::application_status::active, 3);
  }
  return 0;
}
