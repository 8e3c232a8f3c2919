#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include "common/memory_bank/dialect.hpp"
#include "common/memory_bank/operations.hpp"

// One mem0 dialect's REST contract: the request for each step of an operation and how to read
// its answer, without I/O. The client drives the steps (owner checks, event polling, paging);
// each dialect says how its server spells them. Entity ids always come from `owner`, never from
// caller input.
namespace gpt_adapter::memory_bank {

// What an add answered: the changes mem0 made, or the event it is still working on.
struct add_answer {
  std::vector<memory_change> changes;
  std::optional<std::string> event_id;
};

// An event of an asynchronous add or delete.
struct event_answer {
  enum class state { processing, succeeded, failed };
  state status = state::processing;
  std::vector<memory_change> changes;
  std::string error;
};

struct page_answer {
  std::vector<memory> memories;
  bool has_more = false;
  // The server cannot list past this page, whatever the owner has (the mem0 open-source server
  // lists at most 1,000 memories and has no offset).
  bool capped = false;
};

struct forget_answer {
  std::optional<std::string> event_id;  // the deletion runs in the background
};

class mem0_api {
 public:
  virtual ~mem0_api() = default;

  virtual dialect shape() const = 0;

  virtual http_request search(const owner& who, const search_input& input) const = 0;
  // `metadata`: what the memory is stored with, the adapter's tags included.
  virtual http_request add(const owner& who, const create_input& input,
                           const boost::json::object& metadata) const = 0;
  // Searches for the memories a create with `request_id` stored; `content` is its text (a
  // search needs a query).
  virtual http_request find_created(const owner& who, std::string_view request_id,
                                    std::string_view content) const = 0;
  // nullopt when the dialect has no events.
  virtual std::optional<http_request> event(std::string_view event_id) const = 0;
  virtual http_request get(std::string_view memory_id) const = 0;
  virtual http_request list(const owner& who, const list_input& input) const = 0;
  // `metadata` replaces the memory's: the client merges it with what the memory had.
  virtual http_request update(std::string_view memory_id, std::string_view content,
                              const boost::json::object& metadata) const = 0;
  virtual http_request remove(std::string_view memory_id) const = 0;
  virtual http_request history(std::string_view memory_id) const = 0;
  virtual http_request forget(const owner& who) const = 0;

  // A search or find_created answer.
  virtual result<std::vector<memory>> read_memories(const boost::json::value& body) const = 0;
  virtual result<add_answer> read_add(const boost::json::value& body) const = 0;
  virtual result<event_answer> read_event(const boost::json::value& body) const = 0;
  // A get answer: nullopt when the server says there is no such memory in its 200 body.
  virtual result<std::optional<memory>> read_memory(const boost::json::value& body) const = 0;
  virtual result<page_answer> read_page(const boost::json::value& body,
                                        const list_input& input) const = 0;
  virtual result<std::vector<history_entry>> read_history(const boost::json::value& body) const = 0;
  virtual result<forget_answer> read_forget(const boost::json::value& body) const = 0;

  // A server failure that repeating the call cannot fix (e.g. the server's own LLM key refused).
  virtual bool is_permanent_failure(int status, const boost::json::value& body) const = 0;
  // The answer to forget that says this key may not delete in bulk: the client then deletes
  // memory by memory.
  virtual bool refuses_bulk_delete(int status) const = 0;
};

std::unique_ptr<mem0_api> make_mem0_api(dialect shape);

}  // namespace gpt_adapter::memory_bank
