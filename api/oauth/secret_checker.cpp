#include "api/oauth/secret_checker.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "common/auth/secret_hash.hpp"

namespace gpt_adapter::api::oauth {

namespace asio = boost::asio;

namespace {

// A plain function rather than a capturing lambda: GCC 12 destroys a coroutine lambda's
// captures twice when co_spawn owns it.
asio::awaitable<bool> check_on_pool(std::string secret, std::string encoded) {
  co_return auth::verify_secret(secret, encoded);
}

asio::awaitable<std::string> hash_on_pool(std::string secret) {
  co_return auth::hash_secret(secret);
}

}  // namespace

secret_checker::secret_checker(std::size_t threads)
    : pool_(threads),
      // Hashed once at start-up with the default cost, so verify_nothing costs what a real check
      // costs.
      dummy_hash_(auth::hash_secret(auth::random_token(16))) {}

secret_checker::~secret_checker() {
  stop();
}

void secret_checker::stop() {
  pool_.stop();
  pool_.join();
}

asio::awaitable<bool> secret_checker::verify(std::string secret, std::string encoded) {
  co_return co_await asio::co_spawn(pool_.get_executor(),
                                    check_on_pool(std::move(secret), std::move(encoded)),
                                    asio::use_awaitable);
}

asio::awaitable<void> secret_checker::verify_nothing(std::string secret) {
  co_await verify(std::move(secret), dummy_hash_);
}

asio::awaitable<std::string> secret_checker::hash(std::string secret) {
  co_return co_await asio::co_spawn(pool_.get_executor(), hash_on_pool(std::move(secret)),
                                    asio::use_awaitable);
}

}  // namespace gpt_adapter::api::oauth
