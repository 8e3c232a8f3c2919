#pragma once

#include <boost/asio/ip/address.hpp>

// Which addresses a server may be made to fetch from on someone else's say-so (a client's
// metadata document URL): the guard against server-side request forgery into the cluster. Pure.
namespace gpt_adapter::http {

// False for loopback, private (RFC 1918, fc00::/7), shared (100.64/10), link-local, multicast,
// unspecified, documentation, benchmarking and reserved ranges, and for IPv4-mapped IPv6 forms of
// any of them; true for the rest.
bool is_public_address(const boost::asio::ip::address& address);

}  // namespace gpt_adapter::http
