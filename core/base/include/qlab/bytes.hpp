// Values as bytes, for copies of the same build (the lab's Web Worker is another instance of the
// same WebAssembly): plain values as they lie in memory (WebAssembly and every platform we build
// for are little-endian), texts and float matrices with their sizes. The reader checks every
// count against what is left, so a cut or foreign input fails (ok() false) instead of reading past.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <type_traits>

namespace qlab {

class ByteWriter {
  public:
    template <class T>
    void pod(T value) {
        static_assert(std::is_trivially_copyable_v<T>);
        out_.append(reinterpret_cast<const char*>(&value), sizeof value);
    }
    void text(std::string_view s) {
        pod<std::uint64_t>(s.size());
        out_ += s;
    }
    template <class M>
    void matrix(const M& m) {  // any dense Eigen matrix or vector of floats
        static_assert(std::is_same_v<typename M::Scalar, float>);
        pod<std::int64_t>(m.rows()), pod<std::int64_t>(m.cols());
        if (m.size() > 0)  // an empty matrix's data() may be null
            out_.append(reinterpret_cast<const char*>(m.data()),
                        static_cast<std::size_t>(m.size()) * sizeof(float));
    }
    template <class T>
    void array(const T* values, std::size_t n) {  // a count, then the values
        static_assert(std::is_trivially_copyable_v<T>);
        pod<std::uint64_t>(n);
        if (n > 0) out_.append(reinterpret_cast<const char*>(values), n * sizeof(T));
    }
    std::string take() { return std::move(out_); }

  private:
    std::string out_;
};

class ByteReader {
  public:
    explicit ByteReader(std::string_view in) : in_(in) {}
    template <class T>
    T pod() {
        T value{};
        if (!take(&value, sizeof value)) return T{};
        return value;
    }
    std::string text() {
        const auto n = pod<std::uint64_t>();
        if (!ok_ || n > in_.size() - at_) return fail(), std::string();
        std::string s(in_.substr(at_, n));
        at_ += n;
        return s;
    }
    // A count of items of `item_bytes` each that the rest of the input could hold.
    std::size_t count(std::size_t item_bytes) {
        const auto n = pod<std::uint64_t>();
        if (!ok_ || (item_bytes > 0 && n > (in_.size() - at_) / item_bytes)) return fail(), 0;
        return static_cast<std::size_t>(n);
    }
    template <class M>
    void matrix(M& m, std::int64_t rows, std::int64_t cols) {  // of exactly this shape
        const auto r = pod<std::int64_t>(), c = pod<std::int64_t>();
        if (!ok_ || r != rows || c != cols || r < 0 || c < 0) return fail();
        // Sizes from the input are checked against what is left before anything is allocated.
        const auto left = static_cast<std::uint64_t>((in_.size() - at_) / sizeof(float));
        if (c > 0 && static_cast<std::uint64_t>(r) > left / static_cast<std::uint64_t>(c))
            return fail();
        m.resize(rows, cols);
        take(m.data(), static_cast<std::size_t>(m.size()) * sizeof(float));
    }
    // What ByteWriter::array wrote, into a vector-like `out`.
    template <class V>
    void array(V& out) {
        using T = typename V::value_type;
        static_assert(std::is_trivially_copyable_v<T>);
        out.resize(count(sizeof(T)));
        if (!out.empty()) take(out.data(), out.size() * sizeof(T));
    }
    bool take(void* out, std::size_t n) {
        if (!ok_ || n > in_.size() - at_) return fail(), false;
        if (n == 0) return true;  // an empty matrix's data() may be null: no memcpy
        std::memcpy(out, in_.data() + at_, n);
        at_ += n;
        return true;
    }
    void fail() { ok_ = false; }
    bool ok() const { return ok_; }
    bool at_end() const { return at_ == in_.size(); }

  private:
    std::string_view in_;
    std::size_t at_ = 0;
    bool ok_ = true;
};

}  // namespace qlab
