// Credentials as a caller presents them to the API: the shape test that tells an API key from an
// access token, its display prefix and the hash it is looked up by, and the base64 decoders the
// Authorization header's Basic credentials and tokens go through.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "common/auth/api_key.hpp"
#include "common/auth/base64.hpp"
#include "common/auth/scopes.hpp"
#include "common/auth/secret_hash.hpp"

namespace auth = gpt_adapter::auth;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  if (auth::is_api_key_shaped(text)) {
    (void)auth::api_key_display_prefix(text);
    (void)auth::sha256_hex(text);
  }
  (void)auth::decode_base64url(text);
  (void)auth::decode_base64(text, auth::base64_alphabet::standard, auth::base64_padding::optional);
  (void)auth::parse_scopes(text);
  (void)auth::canonical_scope(text);
  return 0;
}
