#include <iostream>
#include <string>
#include <vector>

#include "common/service/lifecycle.hpp"
#include "tools/admin/admin_cli.hpp"

int main(int argc, char** argv) {
  const std::vector<std::string> args(argv + 1, argv + argc);
  return gpt_adapter::service::guarded_main("gpt-adapter-admin", [&] {
    return gpt_adapter::admin::run_admin(args, std::cout, std::cerr);
  });
}
