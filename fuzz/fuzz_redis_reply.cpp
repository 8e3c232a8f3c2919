// Bytes from a Redis server (RESP), read by redis::reply_reader as the clients read them, then
// through every reader of stream replies and the queue's decoders of the entries' fields. A
// redis::error is how those readers refuse an unexpected shape; anything else escaping is a bug.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "common/queue/job.hpp"
#include "common/queue/job_outcome.hpp"
#include "common/queue/job_record.hpp"
#include "common/redis/reply.hpp"
#include "common/redis/resp.hpp"
#include "common/redis/stream_reply.hpp"

namespace redis = gpt_adapter::redis;
namespace queue = gpt_adapter::queue;

namespace {

void decode_entries(const std::vector<redis::stream_entry>& entries) {
  for (const auto& entry : entries) {
    (void)redis::stream_id_milliseconds(entry.id);
    (void)queue::decode(entry.fields);
    (void)queue::decode_outcome(entry.fields);
    (void)queue::decode_record(entry.fields);
  }
}

template <typename Read>
void attempt(Read read) {
  try {
    read();
  } catch (const redis::error&) {
    // A refused shape, as the callers expect it.
  }
}

void read_every_way(const redis::reply& answer) {
  attempt([&] { decode_entries(redis::parse_entries(answer)); });
  attempt([&] { decode_entries(redis::parse_read(answer)); });
  attempt([&] { decode_entries(redis::parse_autoclaim(answer).entries); });
  attempt([&] { (void)redis::parse_pending_deliveries(answer); });
  attempt([&] { (void)redis::parse_info_map(answer); });
  attempt([&] { answer.throw_if_error(); });
  attempt([&] { (void)answer.as_string(); });
  attempt([&] { (void)answer.as_integer(); });
  attempt([&] {
    for (const auto& element : answer.as_array()) {
      read_every_way(element);
    }
  });
}

// hiredis 0.14 (Debian 12) allocates an array reply's element pointers as soon as it reads the
// count, whatever the count: "*1000000000\r\n" alone asks for 8 GB. That is the library's (1.x
// can bound it with maxelements) and only a hostile Redis server could send it, so such counts
// are left out here rather than reported as the out-of-memory they always are.
bool has_huge_array_count(std::string_view bytes) {
  for (auto star = bytes.find('*'); star != std::string_view::npos;
       star = bytes.find('*', star + 1)) {
    std::size_t digits = 0;
    while (star + 1 + digits < bytes.size() && bytes[star + 1 + digits] >= '0' &&
           bytes[star + 1 + digits] <= '9') {
      ++digits;
    }
    if (digits > 5) {
      return true;
    }
  }
  return false;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (has_huge_array_count(std::string_view(reinterpret_cast<const char*>(data), size))) {
    return 0;
  }
  redis::reply_reader reader;
  try {
    reader.feed(reinterpret_cast<const char*>(data), size);
    for (int replies = 0; replies < 16; ++replies) {
      const auto answer = reader.next();
      if (!answer) {
        break;
      }
      read_every_way(*answer);
    }
  } catch (const redis::error&) {
    // A protocol error: the connection would be closed.
  }
  return 0;
}
