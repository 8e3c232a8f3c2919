#include <catch2/catch.hpp>

#include "common/redis/script.hpp"

namespace redis = gpt_adapter::redis;

TEST_CASE("redis script: the SHA-1 is the name SCRIPT LOAD gives the text", "[redis]") {
  // Redis's documentation: SCRIPT LOAD "return 1" answers this digest.
  const redis::script one("return 1");
  CHECK(one.sha1() == "e0e1f9fabfc9d4800c877a703b823ac0578ff8db");
  CHECK(one.text() == "return 1");

  const redis::script other("return 2");
  CHECK(other.sha1().size() == 40);
  CHECK(other.sha1() != one.sha1());
}
