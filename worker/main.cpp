#include "common/service/lifecycle.hpp"
#include "worker/worker_service.hpp"

int main() {
  return gpt_adapter::service::guarded_main("gpt-adapter-worker",
                                            gpt_adapter::worker::run_worker_service);
}
