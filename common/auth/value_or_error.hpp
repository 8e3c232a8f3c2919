#pragma once

#include <utility>
#include <variant>

namespace gpt_adapter::auth {

// A value or the reason there is none: what the validators of untrusted input return instead
// of throwing (std::expected is C++23). value() and error() throw std::bad_variant_access when
// asked for the side that is not there.
template <typename T, typename E>
class value_or_error {
 public:
  value_or_error(T value) : state_(std::in_place_index<0>, std::move(value)) {}
  value_or_error(E error) : state_(std::in_place_index<1>, std::move(error)) {}

  bool ok() const { return state_.index() == 0; }
  explicit operator bool() const { return ok(); }

  const T& value() const& { return std::get<0>(state_); }
  T&& value() && { return std::get<0>(std::move(state_)); }
  const E& error() const { return std::get<1>(state_); }

  const T* operator->() const { return &value(); }
  const T& operator*() const& { return value(); }

 private:
  std::variant<T, E> state_;
};

}  // namespace gpt_adapter::auth
