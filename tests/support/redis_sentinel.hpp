#pragma once

#include <array>
#include <memory>
#include <string>

#include "tests/support/process.hpp"
#include "tests/support/servers.hpp"

namespace gpt_adapter::testing {

// A Redis primary with one replica, and three redis-sentinel processes watching them (quorum
// 2), all on loopback in temporary folders. The constructor returns once the replica is in sync
// and every sentinel knows the replica and the other sentinels, so a failover can start.
class sentinel_group {
 public:
  explicit sentinel_group(std::string master_name = "queue");
  ~sentinel_group();
  sentinel_group(const sentinel_group&) = delete;
  sentinel_group& operator=(const sentinel_group&) = delete;

  // redis-sentinel://127.0.0.1:s1,127.0.0.1:s2,127.0.0.1:s3/0#<master name>
  std::string url() const;
  const std::string& master_name() const { return master_name_; }
  // The port of the server every sentinel names as the primary (requires that they agree).
  unsigned short primary_port() const;
  // SENTINEL FAILOVER; returns once every sentinel names the other server and it says ROLE
  // master. Returns the new primary's port.
  unsigned short fail_over();

 private:
  std::string master_name_;
  std::array<std::unique_ptr<redis_server>, 2> servers_;
  temp_dir dir_;
  std::array<unsigned short, 3> sentinel_ports_{};
  std::array<std::unique_ptr<child_process>, 3> sentinels_;
};

}  // namespace gpt_adapter::testing
