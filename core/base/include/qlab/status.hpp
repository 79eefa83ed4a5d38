// Status and Result: how user and data errors leave the core. They carry a message that names
// the offending key, value, line or byte. Programmer errors use assert instead.
#pragma once

#include <cassert>
#include <optional>
#include <string>
#include <utility>

namespace qlab {

class Status {
  public:
    static Status success() { return Status(); }
    static Status error(std::string message) { return Status(std::move(message)); }

    bool ok() const { return !message_.has_value(); }
    explicit operator bool() const { return ok(); }
    const std::string& message() const {
        static const std::string empty;
        return message_ ? *message_ : empty;
    }

  private:
    Status() = default;
    explicit Status(std::string message) : message_(std::move(message)) {}
    std::optional<std::string> message_;
};

// A value or the reason there is none.
template <class T>
class Result {
  public:
    Result(T value) : value_(std::move(value)), status_(Status::success()) {}      // NOLINT
    Result(Status status) : status_(std::move(status)) { assert(!status_.ok()); }  // NOLINT

    bool ok() const { return status_.ok(); }
    explicit operator bool() const { return ok(); }
    const Status& status() const { return status_; }
    const T& value() const& {
        assert(ok());
        return *value_;
    }
    T&& value() && {
        assert(ok());
        return std::move(*value_);
    }
    // The value, or `fallback` where there is none (for inputs validated earlier).
    T value_or(T fallback) const& { return ok() ? *value_ : std::move(fallback); }
    const T& operator*() const& { return value(); }
    const T* operator->() const { return &value(); }

  private:
    std::optional<T> value_;
    Status status_;
};

}  // namespace qlab
