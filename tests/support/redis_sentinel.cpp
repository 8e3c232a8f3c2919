#include "tests/support/redis_sentinel.hpp"

#include <fstream>
#include <stdexcept>

#include "tests/support/redis_commands.hpp"

namespace gpt_adapter::testing {
namespace {

// `field:value` out of an INFO section.
std::string info_field(const std::string& info, const std::string& field) {
  const auto start = info.find(field + ":");
  if (start == std::string::npos) {
    return {};
  }
  const auto value = start + field.size() + 1;
  return info.substr(value, info.find('\r', value) - value);
}

std::string sentinel_named_port(unsigned short sentinel, const std::string& master) {
  try {
    const auto answer =
        redis_commands(sentinel).run({"SENTINEL", "GET-MASTER-ADDR-BY-NAME", master});
    if (answer.type != redis::reply::kind::array || answer.elements.size() != 2) {
      return {};
    }
    return answer.elements[1].text;
  } catch (const std::runtime_error&) {
    return {};
  }
}

long long count_of(unsigned short sentinel, const std::string& what, const std::string& master) {
  try {
    const auto answer = redis_commands(sentinel).run({"SENTINEL", what, master});
    return answer.type == redis::reply::kind::array ? static_cast<long long>(answer.elements.size())
                                                    : -1;
  } catch (const std::runtime_error&) {
    return -1;
  }
}

}  // namespace

sentinel_group::sentinel_group(std::string master_name)
    : master_name_(std::move(master_name)), dir_("gpt-adapter-sentinels") {
  servers_[0] = std::make_unique<redis_server>();
  servers_[1] = std::make_unique<redis_server>(redis_server_options{
      .arguments = {"--replicaof", "127.0.0.1", std::to_string(servers_[0]->port())}});
  const auto replica_port = servers_[1]->port();
  if (!wait_until(
          [&] {
            return info_field(redis_commands(replica_port).run({"INFO", "replication"}).text,
                              "master_link_status") == "up";
          },
          15s)) {
    throw std::runtime_error("the replica did not sync with the primary");
  }
  for (std::size_t i = 0; i < sentinels_.size(); ++i) {
    sentinel_ports_[i] = free_port();
    const auto folder = dir_.path() / ("sentinel-" + std::to_string(i));
    std::filesystem::create_directories(folder);
    const auto config = folder / "sentinel.conf";
    std::ofstream(config) << "port " << sentinel_ports_[i] << "\n"
                          << "bind 127.0.0.1\n"
                          << "protected-mode no\n"
                          << "dir " << folder.string() << "\n"
                          << "sentinel monitor " << master_name_ << " 127.0.0.1 "
                          << servers_[0]->port() << " 2\n"
                          << "sentinel down-after-milliseconds " << master_name_ << " 1000\n"
                          << "sentinel failover-timeout " << master_name_ << " 10000\n";
    sentinels_[i] = std::make_unique<child_process>(
        process_options{.argv = {"/usr/bin/redis-server", config.string(), "--sentinel"},
                        .output_file = folder / "sentinel.log"});
  }
  for (const auto port : sentinel_ports_) {
    if (!wait_until(
            [&] {
              return count_of(port, "REPLICAS", master_name_) == 1 &&
                     count_of(port, "SENTINELS", master_name_) == 2;
            },
            30s)) {
      throw std::runtime_error("sentinel on port " + std::to_string(port) +
                               " did not discover the replica and the other sentinels");
    }
  }
}

sentinel_group::~sentinel_group() {
  for (auto& sentinel : sentinels_) {
    if (sentinel) {
      sentinel->signal(SIGKILL);
      sentinel->wait_exit(10s);
    }
  }
}

std::string sentinel_group::url() const {
  std::string url = "redis-sentinel://";
  for (std::size_t i = 0; i < sentinel_ports_.size(); ++i) {
    url += (i == 0 ? "127.0.0.1:" : ",127.0.0.1:") + std::to_string(sentinel_ports_[i]);
  }
  return url + "/0#" + master_name_;
}

unsigned short sentinel_group::primary_port() const {
  const auto named = sentinel_named_port(sentinel_ports_[0], master_name_);
  for (const auto port : sentinel_ports_) {
    if (sentinel_named_port(port, master_name_) != named) {
      throw std::runtime_error("the sentinels disagree on the primary");
    }
  }
  return static_cast<unsigned short>(std::stoi(named));
}

unsigned short sentinel_group::fail_over() {
  const auto before = std::to_string(primary_port());
  const auto answer =
      redis_commands(sentinel_ports_[0]).run({"SENTINEL", "FAILOVER", master_name_});
  if (answer.is_error()) {
    throw std::runtime_error("SENTINEL FAILOVER: " + answer.text);
  }
  std::string after;
  const bool switched = wait_until(
      [&] {
        after = sentinel_named_port(sentinel_ports_[0], master_name_);
        if (after.empty() || after == before) {
          return false;
        }
        for (const auto port : sentinel_ports_) {
          if (sentinel_named_port(port, master_name_) != after) {
            return false;
          }
        }
        const auto role =
            redis_commands(static_cast<unsigned short>(std::stoi(after))).run({"ROLE"});
        return role.type == redis::reply::kind::array && !role.elements.empty() &&
               role.elements.front().text == "master";
      },
      30s);
  if (!switched) {
    throw std::runtime_error("the failover did not complete");
  }
  return static_cast<unsigned short>(std::stoi(after));
}

}  // namespace gpt_adapter::testing
