#include "common/auth/jws.hpp"

#include <array>
#include <exception>
#include <optional>

#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "common/auth/base64.hpp"

namespace gpt_adapter::auth {
namespace {

token_failure failure(token_error error, std::string message) {
  return token_failure{error, std::move(message)};
}

// The three segments of a compact JWS, or std::nullopt if there are not exactly three.
std::optional<std::array<std::string_view, 3>> split_compact(std::string_view token) {
  const auto first = token.find('.');
  if (first == std::string_view::npos) {
    return std::nullopt;
  }
  const auto second = token.find('.', first + 1);
  if (second == std::string_view::npos || token.find('.', second + 1) != std::string_view::npos) {
    return std::nullopt;
  }
  return std::array<std::string_view, 3>{token.substr(0, first),
                                         token.substr(first + 1, second - first - 1),
                                         token.substr(second + 1)};
}

value_or_error<verified_jws, token_failure> verify_compact(const key_set& keys,
                                                           std::string_view token,
                                                           std::size_t max_bytes) {
  if (token.size() > max_bytes) {
    return failure(token_error::too_large,
                   "the token is longer than " + std::to_string(max_bytes) + " bytes");
  }
  const auto segments = split_compact(token);
  if (!segments) {
    return failure(token_error::malformed, "a compact JWS has exactly three segments");
  }
  const auto& [encoded_header, encoded_payload, encoded_signature] = *segments;

  const auto header_text = decode_base64url(encoded_header);
  if (!header_text) {
    return failure(token_error::malformed, "the header is not base64url");
  }
  boost::system::error_code parse_error;
  const auto header_value = boost::json::parse(*header_text, parse_error);
  if (parse_error || !header_value.is_object()) {
    return failure(token_error::malformed, "the header is not a JSON object");
  }
  const auto& header = header_value.get_object();

  const auto* alg = header.if_contains("alg");
  if (alg == nullptr || !alg->is_string()) {
    return failure(token_error::malformed, "the header has no string alg");
  }
  const std::string_view alg_name = alg->get_string();
  const auto algorithm = parse_signing_algorithm(alg_name);
  if (!algorithm) {
    return failure(token_error::wrong_algorithm, "the algorithm is not accepted");
  }
  if (header.contains("crit")) {
    return failure(token_error::malformed, "no critical header extension is supported");
  }
  std::string type;
  if (const auto* typ = header.if_contains("typ")) {
    if (!typ->is_string()) {
      return failure(token_error::malformed, "the header's typ is not a string");
    }
    type = typ->get_string();
  }
  const auto* kid = header.if_contains("kid");
  if (kid == nullptr || !kid->is_string()) {
    return failure(token_error::unknown_key, "the header names no key (kid)");
  }
  const auto* key = keys.find(kid->get_string());
  if (key == nullptr) {
    return failure(token_error::unknown_key, "the header names an unknown key");
  }
  if (*algorithm != key->algorithm()) {
    return failure(token_error::wrong_algorithm,
                   "the header's algorithm " + std::string(alg_name) + " is not its key's " +
                       std::string(signing_algorithm_name(key->algorithm())));
  }

  const auto signature = decode_base64url(encoded_signature);
  if (!signature) {
    return failure(token_error::malformed, "the signature is not base64url");
  }
  const auto signing_input = token.substr(0, encoded_header.size() + 1 + encoded_payload.size());
  if (!key->verify(signing_input, *signature)) {
    return failure(token_error::bad_signature, "the signature does not verify");
  }
  auto payload = decode_base64url(encoded_payload);
  if (!payload) {
    return failure(token_error::malformed, "the payload is not base64url");
  }
  return verified_jws{std::move(type), std::move(*payload)};
}

}  // namespace

std::string_view token_error_name(token_error error) {
  switch (error) {
    case token_error::too_large:
      return "too_large";
    case token_error::malformed:
      return "malformed";
    case token_error::unknown_key:
      return "unknown_key";
    case token_error::wrong_algorithm:
      return "wrong_algorithm";
    case token_error::bad_signature:
      return "bad_signature";
    case token_error::wrong_token_use:
      return "wrong_token_use";
    case token_error::wrong_issuer:
      return "wrong_issuer";
    case token_error::wrong_audience:
      return "wrong_audience";
    case token_error::expired:
      return "expired";
    case token_error::not_yet_valid:
      return "not_yet_valid";
    case token_error::application_disabled:
      return "application_disabled";
    case token_error::outdated_token_version:
      return "outdated_token_version";
  }
  return "unknown";
}

std::string sign_jws(const signing_key& key, std::string_view payload, std::string_view type) {
  const boost::json::object header{
      {"alg", signing_algorithm_name(key.algorithm())}, {"kid", key.kid()}, {"typ", type}};
  auto signing_input =
      encode_base64url(boost::json::serialize(header)) + '.' + encode_base64url(payload);
  const auto signature = key.sign(signing_input);
  return signing_input + '.' + encode_base64url(signature);
}

value_or_error<verified_jws, token_failure> verify_jws(const key_set& keys, std::string_view token,
                                                       std::size_t max_bytes) {
  try {
    return verify_compact(keys, token, max_bytes);
  } catch (const std::exception& error) {
    return failure(token_error::malformed,
                   std::string("the token could not be read: ") + error.what());
  }
}

}  // namespace gpt_adapter::auth
