// A JSON request body as the memory routes read it (boost::json::parse with its default limits,
// then each request's validation), and what the worker reads back from the job payload.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include <boost/json/parse.hpp>

#include "api/memory/memory_requests.hpp"
#include "common/memory_bank/operation_input.hpp"

namespace memory = gpt_adapter::api::memory;
namespace memory_bank = gpt_adapter::memory_bank;
using gpt_adapter::queue::operation;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  (void)memory::count_code_points(text);
  (void)memory::decode_cursor(text);
  (void)memory::parse_memory_id(text);
  (void)memory::parse_list_request(text, text);
  boost::system::error_code error;
  const auto body = boost::json::parse(text, error);
  if (error) {
    return 0;
  }
  if (const auto search = memory::parse_search_request(body)) {
    (void)memory_bank::parse_operation_input(operation::search,
                                             memory::to_job_payload(search.value()));
  }
  if (const auto create = memory::parse_create_request(body)) {
    (void)memory_bank::parse_operation_input(operation::create,
                                             memory::to_job_payload(create.value()));
    (void)memory::resolve_idempotency_key(text, create->idempotency_key);
  }
  if (const auto update = memory::parse_update_request("mem-1", body)) {
    (void)memory_bank::parse_operation_input(operation::update,
                                             memory::to_job_payload(update.value()));
  }
  if (body.is_object()) {
    for (const auto op :
         {operation::search, operation::create, operation::get, operation::update,
          operation::remove, operation::history, operation::list, operation::forget}) {
      (void)memory_bank::parse_operation_input(op, body.get_object());
    }
  }
  return 0;
}
