#include "api/api_service.hpp"
#include "common/service/lifecycle.hpp"

int main() {
  return gpt_adapter::service::guarded_main("gpt-adapter-api", gpt_adapter::api::run_api_service);
}
