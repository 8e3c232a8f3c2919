#include "common/http/address_ranges.hpp"

#include <algorithm>
#include <array>
#include <cstdint>

namespace gpt_adapter::http {
namespace {

struct v4_range {
  std::uint32_t network;
  int prefix;
};

constexpr std::uint32_t v4(int a, int b, int c, int d) {
  return (static_cast<std::uint32_t>(a) << 24) | (static_cast<std::uint32_t>(b) << 16) |
         (static_cast<std::uint32_t>(c) << 8) | static_cast<std::uint32_t>(d);
}

constexpr std::array<v4_range, 15> non_public_v4{{
    {v4(0, 0, 0, 0), 8},        // "this network"
    {v4(10, 0, 0, 0), 8},       // private
    {v4(100, 64, 0, 0), 10},    // shared address space (carrier NAT)
    {v4(127, 0, 0, 0), 8},      // loopback
    {v4(169, 254, 0, 0), 16},   // link-local, cloud metadata services
    {v4(172, 16, 0, 0), 12},    // private
    {v4(192, 0, 0, 0), 24},     // IETF protocol assignments
    {v4(192, 0, 2, 0), 24},     // documentation
    {v4(192, 168, 0, 0), 16},   // private
    {v4(198, 18, 0, 0), 15},    // benchmarking
    {v4(198, 51, 100, 0), 24},  // documentation
    {v4(203, 0, 113, 0), 24},   // documentation
    {v4(224, 0, 0, 0), 4},      // multicast
    {v4(240, 0, 0, 0), 4},      // reserved, broadcast
    {v4(192, 88, 99, 0), 24},   // deprecated 6to4 relay anycast
}};

bool is_public_v4(std::uint32_t address) {
  for (const auto& range : non_public_v4) {
    const auto mask = range.prefix == 0 ? 0U : ~0U << (32 - range.prefix);
    if ((address & mask) == range.network) {
      return false;
    }
  }
  return true;
}

}  // namespace

bool is_public_address(const boost::asio::ip::address& address) {
  if (address.is_v4()) {
    return is_public_v4(address.to_v4().to_uint());
  }
  const auto v6 = address.to_v6();
  if (v6.is_v4_mapped()) {
    return is_public_v4(boost::asio::ip::make_address_v4(boost::asio::ip::v4_mapped, v6).to_uint());
  }
  const auto bytes = v6.to_bytes();
  const bool unique_local = (bytes[0] & 0xfe) == 0xfc;                    // fc00::/7
  const bool link_local = bytes[0] == 0xfe && (bytes[1] & 0xc0) == 0x80;  // fe80::/10
  const bool documentation = bytes[0] == 0x20 && bytes[1] == 0x01 && bytes[2] == 0x0d &&
                             bytes[3] == 0xb8;  // 2001:db8::/32
  // ::a.b.c.d (deprecated IPv4-compatible form): the first twelve bytes zero.
  const bool v4_compatible =
      std::all_of(bytes.begin(), bytes.begin() + 12, [](unsigned char byte) { return byte == 0; });
  const bool nat64 = bytes[0] == 0x00 && bytes[1] == 0x64 && bytes[2] == 0xff &&
                     bytes[3] == 0x9b;  // 64:ff9b::/96 reaches IPv4 space
  return !v6.is_loopback() && !v6.is_unspecified() && !v6.is_multicast() && !unique_local &&
         !link_local && !documentation && !nat64 && !v4_compatible;
}

}  // namespace gpt_adapter::http
