#pragma once

#include <boost/json/object.hpp>

#include "common/auth/value_or_error.hpp"
#include "common/memory_bank/operations.hpp"
#include "common/queue/job.hpp"

namespace gpt_adapter::memory_bank {

// Reads a job's payload into the input of its operation. The payload came from a caller, so
// every field is checked; a failure is an invalid_input error naming the field, which the worker
// dead-letters without a retry. Fields: search {query, limit = 10, filters {categories,
// date_range {start, end}}}; create {content, metadata, categories, priority, infer = true}
// (categories and priority are kept in the metadata too); get, delete and history {memory_id};
// update {memory_id, content, metadata}; list {page = 1, page_size = 50}; forget {}.
auth::value_or_error<operation_input, error> parse_operation_input(
    queue::operation op, const boost::json::object& payload);

}  // namespace gpt_adapter::memory_bank
