#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/object.hpp>
#include <openssl/types.h>

// The keys that sign and verify access tokens (JWS, RFC 7515) and their public JWK form
// (RFC 7517/7518). Each key is bound to exactly one algorithm: a token is only ever checked with
// the algorithm of the key its `kid` names, never with the one its header asks for, which is
// what defeats algorithm confusion (RFC 8725 §3.1).
namespace gpt_adapter::auth {

enum class signing_algorithm { hs256, rs256, es256 };

// "HS256", "RS256" or "ES256".
std::string_view signing_algorithm_name(signing_algorithm algorithm);

// The algorithm for its JOSE name (case-sensitive); std::nullopt for anything else, "none"
// included.
std::optional<signing_algorithm> parse_signing_algorithm(std::string_view name);

class signing_key {
 public:
  // An HMAC-SHA256 key. RFC 7518 §3.2: the secret must have at least 256 bits, so fewer than 32
  // bytes throw std::invalid_argument. HMAC keys are symmetric: never published.
  static signing_key hs256(std::string kid, std::string secret);

  // A key that signs and verifies, from PEM text (PKCS#8 or traditional, unencrypted): an RSA key
  // of at least 2048 bits for RS256, a P-256 key for ES256. Throws std::invalid_argument for
  // anything else, for hs256, and for an unreadable or encrypted key.
  static signing_key from_private_pem(std::string kid, signing_algorithm algorithm,
                                      std::string_view pem);

  // A verify-only key from a PEM public key (SubjectPublicKeyInfo), with the same rules.
  static signing_key from_public_pem(std::string kid, signing_algorithm algorithm,
                                     std::string_view pem);

  const std::string& kid() const { return kid_; }
  signing_algorithm algorithm() const { return algorithm_; }
  bool can_sign() const { return can_sign_; }

  // The JWS signature of `signing_input` (for ES256 the 64-byte JOSE form r || s, RFC 7518
  // §3.4). Throws std::logic_error for a verify-only key, std::runtime_error if OpenSSL fails.
  std::string sign(std::string_view signing_input) const;

  // Whether `signature` is this key's valid signature of `signing_input`. HMAC tags are compared
  // in constant time. Never throws on bad input and leaves no error on OpenSSL's error queue.
  bool verify(std::string_view signing_input, std::string_view signature) const;

  // The public key as a JWK with kty, kid, use "sig", alg and n/e or crv/x/y; std::nullopt for
  // an HMAC key, whose secret must never leave the server.
  std::optional<boost::json::object> public_jwk() const;

  // The public key as PEM (SubjectPublicKeyInfo). Throws std::logic_error for an HMAC key.
  std::string public_key_pem() const;

 private:
  signing_key(std::string kid, signing_algorithm algorithm, std::string secret,
              std::shared_ptr<EVP_PKEY> key, bool can_sign);

  std::string kid_;
  signing_algorithm algorithm_;
  std::string secret_;
  std::shared_ptr<EVP_PKEY> key_;
  bool can_sign_;
};

// The keys a server trusts: one active key signs new tokens, every key verifies tokens that name
// it. Rotation: add the new key (published in the JWKS) before making it active, keep the old one
// until the last token it signed has expired, then drop it. Immutable, so one instance can be
// shared across threads and replaced as a whole.
class key_set {
 public:
  // Throws std::invalid_argument for no keys, duplicate kids, or an active kid that is missing or
  // names a verify-only key.
  key_set(std::vector<signing_key> keys, std::string_view active_kid);

  const signing_key& active() const { return keys_[active_index_]; }
  const std::vector<signing_key>& keys() const { return keys_; }

  // The key with this kid, or nullptr.
  const signing_key* find(std::string_view kid) const;

  // {"keys":[...]} with the public JWK of every RSA and EC key; HMAC keys are left out.
  std::string jwks_json() const;

 private:
  std::vector<signing_key> keys_;
  std::size_t active_index_ = 0;
};

}  // namespace gpt_adapter::auth
