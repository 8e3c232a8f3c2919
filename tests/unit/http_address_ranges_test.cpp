#include <catch2/catch.hpp>

#include "common/http/address_ranges.hpp"

using boost::asio::ip::make_address;
using gpt_adapter::http::is_public_address;

TEST_CASE("http address ranges: only public addresses may be fetched for a client",
          "[http][ssrf]") {
  for (const auto* blocked : {"127.0.0.1",
                              "10.1.2.3",
                              "172.16.0.1",
                              "172.31.255.255",
                              "192.168.1.1",
                              "169.254.169.254",
                              "100.64.0.1",
                              "0.0.0.0",
                              "224.0.0.1",
                              "255.255.255.255",
                              "192.0.2.1",
                              "198.18.0.1",
                              "::1",
                              "::",
                              "fc00::1",
                              "fd12:3456::1",
                              "fe80::1",
                              "ff02::1",
                              "::ffff:127.0.0.1",
                              "::ffff:10.0.0.1",
                              "2001:db8::1",
                              "64:ff9b::a00:1",
                              "::127.0.0.1"}) {
    INFO(blocked);
    CHECK_FALSE(is_public_address(make_address(blocked)));
  }
  for (const auto* allowed : {"8.8.8.8", "1.1.1.1", "172.32.0.1", "192.169.0.1", "100.128.0.1",
                              "2606:4700::1111", "::ffff:8.8.8.8"}) {
    INFO(allowed);
    CHECK(is_public_address(make_address(allowed)));
  }
}
