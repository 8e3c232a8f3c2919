#pragma once

#include <cstddef>
#include <string>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/thread_pool.hpp>

namespace gpt_adapter::api::oauth {

// Runs the slow PBKDF2 verifications of client secrets and end-user passwords (600,000
// iterations: tenths of a second each) on a few threads of their own, so the API's I/O threads
// keep serving while a check runs.
class secret_checker {
 public:
  explicit secret_checker(std::size_t threads);
  ~secret_checker();
  secret_checker(const secret_checker&) = delete;
  secret_checker& operator=(const secret_checker&) = delete;

  // auth::verify_secret on the checker's threads; resumes on the caller's executor.
  boost::asio::awaitable<bool> verify(std::string secret, std::string encoded);

  // Like verify, for a caller that has no stored hash (unknown user or client): the same work
  // against a fixed hash, so a response's timing does not tell whether the name exists.
  boost::asio::awaitable<void> verify_nothing(std::string secret);

  // auth::hash_secret on the checker's threads, for a secret issued at run time (a client that
  // registered itself).
  boost::asio::awaitable<std::string> hash(std::string secret);

  void stop();

 private:
  boost::asio::thread_pool pool_;
  std::string dummy_hash_;
};

}  // namespace gpt_adapter::api::oauth
