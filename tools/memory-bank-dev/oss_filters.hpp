#pragma once

#include <functional>
#include <stdexcept>
#include <string>

#include <boost/json/object.hpp>

#include "common/auth/value_or_error.hpp"

// The search filters of the mem0 open-source server as its code reads them: Memory.search
// (mem0/memory/main.py: _has_advanced_operators, _process_metadata_filters) hands them to the
// default vector store, pgvector (mem0/vector_stores/pgvector.py: _build_filter_conditions),
// which compares `payload->>key` text. Pure.
namespace gpt_adapter::memory_bank_dev {

// The server's 400 answer: what mem0 raised as a ValueError.
struct filter_refusal {
  std::string detail;
};

// What PostgreSQL would refuse while running the query (a numeric comparison with a payload
// value that is not a number): the server answers 502.
struct store_failure : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Over a memory's payload as mem0 stores it: its metadata with user_id, agent_id, run_id,
// data, created_at and updated_at beside it. May throw store_failure.
using payload_predicate = std::function<bool(const boost::json::object& payload)>;

auth::value_or_error<payload_predicate, filter_refusal> compile_oss_filters(
    const boost::json::object& filters);

// payload->>key: the text PostgreSQL gives for a jsonb value; nullopt for null or absent.
std::optional<std::string> jsonb_text(const boost::json::value* value);

// Python's str() of a JSON value, as mem0 passes operator values to the query.
std::string python_str(const boost::json::value& value);

}  // namespace gpt_adapter::memory_bank_dev
