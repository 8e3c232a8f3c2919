#include "api/oauth/authorization_codes.hpp"

#include <vector>

#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "common/auth/secret_hash.hpp"

namespace gpt_adapter::api::oauth {
namespace {

namespace json = boost::json;

constexpr std::size_t code_bytes = 32;

// One script, so a code never exists without its expiry.
const redis::script store_script{R"lua(
redis.call('HSET', KEYS[1], 'grant', ARGV[1])
redis.call('EXPIRE', KEYS[1], ARGV[2])
return 1
)lua"};

// KEYS[1] the code's hash. ARGV[1] this redemption, ARGV[2] seconds to remember a redeemed code,
// ARGV[3] the client redeeming it. Returns nil for an unknown code, else {grant, earlier
// redemption or false}. A code issued to another client is returned untouched: that client's
// attempt neither uses it up nor counts as a replay.
const redis::script redeem_script{R"lua(
local grant = redis.call('HGET', KEYS[1], 'grant')
if not grant then
  return nil
end
local decoded, parsed = pcall(cjson.decode, grant)
if not decoded or type(parsed) ~= 'table' or parsed['client_id'] ~= ARGV[3] then
  return {grant, false}
end
local earlier = redis.call('HGET', KEYS[1], 'redeemed')
if earlier then
  return {grant, earlier}
end
redis.call('HSET', KEYS[1], 'redeemed', ARGV[1])
redis.call('EXPIRE', KEYS[1], ARGV[2])
return {grant, false}
)lua"};

std::optional<std::string> string_member(const json::object& object, std::string_view name) {
  const auto* value = object.if_contains(name);
  if (value == nullptr || !value->is_string()) {
    return std::nullopt;
  }
  return std::string(value->get_string());
}

}  // namespace

std::string encode_authorization_grant(const authorization_grant& grant) {
  return json::serialize(json::object{{"application_id", grant.application_id},
                                      {"client_id", grant.client_id},
                                      {"redirect_uri", grant.redirect_uri},
                                      {"end_user_id", grant.end_user_id},
                                      {"scope", grant.scope},
                                      {"code_challenge", grant.code_challenge},
                                      {"code_challenge_method", grant.code_challenge_method},
                                      {"resource", grant.resource}});
}

std::optional<authorization_grant> decode_authorization_grant(std::string_view text) {
  boost::system::error_code error;
  const auto value = json::parse(text, error);
  if (error || !value.is_object()) {
    return std::nullopt;
  }
  const auto& object = value.get_object();
  authorization_grant grant;
  const std::pair<std::string_view, std::string*> members[]{
      {"application_id", &grant.application_id},
      {"client_id", &grant.client_id},
      {"redirect_uri", &grant.redirect_uri},
      {"end_user_id", &grant.end_user_id},
      {"scope", &grant.scope},
      {"code_challenge", &grant.code_challenge},
      {"code_challenge_method", &grant.code_challenge_method}};
  for (const auto& [name, target] : members) {
    auto member = string_member(object, name);
    if (!member) {
      return std::nullopt;
    }
    *target = std::move(*member);
  }
  // Codes stored before resources were recorded (alive at an upgrade) are for the Actions API.
  if (object.contains("resource")) {
    auto resource = string_member(object, "resource");
    if (!resource) {
      return std::nullopt;
    }
    grant.resource = std::move(*resource);
  }
  return grant;
}

std::string authorization_code_key(std::string_view code) {
  return "{gpt-adapter}:oauth-code:" + auth::sha256_hex(code);
}

boost::asio::awaitable<std::string> store_authorization_code(redis::client& redis,
                                                             const authorization_grant& grant,
                                                             std::chrono::seconds lifetime) {
  auto code = auth::random_token(code_bytes);
  std::vector<std::string> keys{authorization_code_key(code)};
  std::vector<std::string> args{encode_authorization_grant(grant),
                                std::to_string(lifetime.count())};
  const auto reply = co_await redis.eval(store_script, std::move(keys), std::move(args));
  reply.throw_if_error();
  co_return code;
}

boost::asio::awaitable<std::optional<code_redemption>> redeem_authorization_code(
    redis::client& redis, std::string code, std::string client_id, std::string redemption,
    std::chrono::seconds remember_for) {
  std::vector<std::string> keys{authorization_code_key(code)};
  std::vector<std::string> args{std::move(redemption),
                                std::to_string(std::max<long long>(remember_for.count(), 1)),
                                std::move(client_id)};
  const auto reply = co_await redis.eval(redeem_script, std::move(keys), std::move(args));
  reply.throw_if_error();
  if (reply.is_nil()) {
    co_return std::nullopt;
  }
  const auto& parts = reply.as_array();
  if (parts.size() != 2) {
    throw redis::error("unexpected reply from the code redemption script");
  }
  auto grant = decode_authorization_grant(parts[0].as_string());
  if (!grant) {
    co_return std::nullopt;
  }
  code_redemption result{std::move(*grant), std::nullopt};
  if (parts[1].type == redis::reply::kind::string) {
    result.earlier_redemption = parts[1].text;
  }
  co_return result;
}

}  // namespace gpt_adapter::api::oauth
