#pragma once

#include <string>

namespace gpt_adapter::redis {

// A Lua script with its SHA-1, computed here once, which is the name EVALSHA calls it by: a call
// then sends the 40-character digest instead of the whole text. Run it with client::eval.
class script {
 public:
  // Throws std::runtime_error if OpenSSL cannot compute the digest.
  explicit script(std::string text);

  const std::string& text() const { return text_; }
  // Lower-case hex, as Redis's SCRIPT LOAD answers it.
  const std::string& sha1() const { return sha1_; }

 private:
  std::string text_;
  std::string sha1_;
};

}  // namespace gpt_adapter::redis
