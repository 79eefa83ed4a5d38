// ONNX tensor data: raw_data (little-endian, 4-bit types packed two per byte, low nibble first)
// or the typed fields (float_data, double_data, int32_data holding one 8/16-bit value or two
// 4-bit values each, int64_data, uint64_data), as onnx.proto's TensorProto describes them.
#include "onnx_tensor.hpp"

#include <cmath>
#include <cstring>

namespace qlab::onnx {
namespace {

// Bytes per element in raw_data (4-bit types: 0, packed); 0 also for unsupported types.
int raw_size(int type) {
    switch (type) {
        case kUint8:
        case kInt8:
        case kBool:
        case kFloat8E4M3FN:
        case kFloat8E4M3FNUZ:
        case kFloat8E5M2:
        case kFloat8E5M2FNUZ:
            return 1;
        case kUint16:
        case kInt16:
        case kFloat16:
        case kBfloat16:
            return 2;
        case kFloat:
        case kInt32:
        case kUint32:
            return 4;
        case kDouble:
        case kInt64:
        case kUint64:
            return 8;
        default:
            return 0;
    }
}

std::string tensor_label(const TensorProto& t) {
    return "tensor '" + t.name + "'";
}

template <class T>
T load(const char* p) {
    T v;
    std::memcpy(&v, p, sizeof(T));
    return v;
}

// One element of raw data as a double (exact for every type here but 64-bit integers beyond
// 2^53, which no weight or shape of the lab reaches).
double raw_value(int type, const char* p) {
    switch (type) {
        case kUint8:
        case kBool:
            return static_cast<std::uint8_t>(*p);
        case kInt8:
            return static_cast<std::int8_t>(*p);
        case kFloat8E4M3FN:
        case kFloat8E4M3FNUZ:
        case kFloat8E5M2:
        case kFloat8E5M2FNUZ:
            return float8_to_float(type, static_cast<std::uint8_t>(*p));
        case kUint16:
            return load<std::uint16_t>(p);
        case kInt16:
            return load<std::int16_t>(p);
        case kFloat16:
            return half_to_float(load<std::uint16_t>(p));
        case kBfloat16:
            return bfloat16_to_float(load<std::uint16_t>(p));
        case kFloat:
            return load<float>(p);
        case kInt32:
            return load<std::int32_t>(p);
        case kUint32:
            return load<std::uint32_t>(p);
        case kDouble:
            return load<double>(p);
        case kInt64:
            return static_cast<double>(load<std::int64_t>(p));
        case kUint64:
            return static_cast<double>(load<std::uint64_t>(p));
        default:
            return NAN;
    }
}

// A value stored in int32_data (8/16-bit types and the 8-bit floats), by type.
double int32_field_value(int type, std::int32_t v) {
    const auto bits = static_cast<std::uint32_t>(v);
    switch (type) {
        case kFloat16:
            return half_to_float(static_cast<std::uint16_t>(bits));
        case kBfloat16:
            return bfloat16_to_float(static_cast<std::uint16_t>(bits));
        case kFloat8E4M3FN:
        case kFloat8E4M3FNUZ:
        case kFloat8E5M2:
        case kFloat8E5M2FNUZ:
            return float8_to_float(type, static_cast<std::uint8_t>(bits));
        case kUint8:
            return static_cast<std::uint8_t>(bits);
        case kInt8:
            return static_cast<std::int8_t>(bits);
        case kUint16:
            return static_cast<std::uint16_t>(bits);
        case kInt16:
            return static_cast<std::int16_t>(bits);
        case kBool:
            return bits != 0;
        default:
            return v;
    }
}

double nibble_value(int type, std::uint8_t nibble) {
    return type == kInt4 ? static_cast<double>(nibble >= 8 ? nibble - 16 : nibble) : nibble;
}

// All values as doubles; the sizes are checked before anything is allocated.
Status tensor_doubles(const TensorProto& t, std::vector<double>& out) {
    if (t.external)
        return Status::error(
            tensor_label(t) + " keeps its data in an external file" +
            (t.external_location.empty() ? "" : " ('" + t.external_location + "')"));
    if (t.has_segment) return Status::error(tensor_label(t) + " is split into segments");
    const std::int64_t n = t.elements();
    if (n < 0) return Status::error(tensor_label(t) + " has invalid dims");
    const auto count = static_cast<std::size_t>(n);
    const int type = t.data_type;
    const std::string_view raw = t.raw();
    auto mismatch = [&](std::size_t have, const char* unit) {
        return Status::error(tensor_label(t) + " holds " + std::to_string(have) + " " + unit +
                             ", its dims need " + std::to_string(count) + " values of " +
                             data_type_name(type));
    };
    out.clear();
    if (!raw.empty() || (count == 0 && t.float_data.empty() && t.int32_data.empty() &&
                         t.int64_data.empty() && t.double_data.empty() && t.uint64_data.empty())) {
        if (is_int4(type)) {
            if (raw.size() != (count + 1) / 2) return mismatch(raw.size(), "bytes");
            out.resize(count);
            for (std::size_t i = 0; i < count; ++i) {
                const auto byte = static_cast<std::uint8_t>(raw[i / 2]);
                out[i] = nibble_value(type, i % 2 ? byte >> 4 : byte & 15);
            }
            return Status::success();
        }
        const int size = raw_size(type);
        if (size == 0)
            return Status::error(tensor_label(t) + " has data type " + data_type_name(type) + " (" +
                                 std::to_string(type) + "), which the lab does not read");
        if (raw.size() != count * static_cast<std::size_t>(size))
            return mismatch(raw.size(), "bytes");
        out.resize(count);
        for (std::size_t i = 0; i < count; ++i) out[i] = raw_value(type, raw.data() + i * size);
        return Status::success();
    }
    switch (type) {
        case kFloat:
            if (t.float_data.size() != count) return mismatch(t.float_data.size(), "floats");
            out.assign(t.float_data.begin(), t.float_data.end());
            return Status::success();
        case kDouble:
            if (t.double_data.size() != count) return mismatch(t.double_data.size(), "doubles");
            out = t.double_data;
            return Status::success();
        case kInt64:
            if (t.int64_data.size() != count) return mismatch(t.int64_data.size(), "int64s");
            for (std::int64_t v : t.int64_data) out.push_back(static_cast<double>(v));
            return Status::success();
        case kUint32:
        case kUint64:
            if (t.uint64_data.size() != count) return mismatch(t.uint64_data.size(), "uint64s");
            for (std::uint64_t v : t.uint64_data) out.push_back(static_cast<double>(v));
            return Status::success();
        case kInt4:
        case kUint4:
            if (t.int32_data.size() != (count + 1) / 2)
                return mismatch(t.int32_data.size(), "int32s");
            out.resize(count);
            for (std::size_t i = 0; i < count; ++i) {
                const auto byte = static_cast<std::uint8_t>(t.int32_data[i / 2]);
                out[i] = nibble_value(type, i % 2 ? byte >> 4 : byte & 15);
            }
            return Status::success();
        default:
            if (raw_size(type) == 0)
                return Status::error(tensor_label(t) + " has data type " + data_type_name(type) +
                                     " (" + std::to_string(type) +
                                     "), which the lab does not read");
            if (t.int32_data.size() != count) return mismatch(t.int32_data.size(), "int32s");
            out.resize(count);
            for (std::size_t i = 0; i < count; ++i)
                out[i] = int32_field_value(type, t.int32_data[i]);
            return Status::success();
    }
}

}  // namespace

float half_to_float(std::uint16_t h) {
    const int sign = h >> 15, exp = (h >> 10) & 31, man = h & 1023;
    double v;
    if (exp == 31)
        v = man ? NAN : INFINITY;
    else if (exp == 0)
        v = std::ldexp(man, -24);
    else
        v = std::ldexp(1024 + man, exp - 25);
    return static_cast<float>(sign ? -v : v);
}

float bfloat16_to_float(std::uint16_t bits) {
    const std::uint32_t w = static_cast<std::uint32_t>(bits) << 16;
    float f;
    std::memcpy(&f, &w, 4);
    return f;
}

float float8_to_float(int type, std::uint8_t code) {
    const bool neg = code & 0x80;
    const bool fnuz = type == kFloat8E4M3FNUZ || type == kFloat8E5M2FNUZ;
    const int m_bits = type == kFloat8E4M3FN || type == kFloat8E4M3FNUZ ? 3 : 2;
    const int e_bits = 7 - m_bits;
    const int bias = (1 << (e_bits - 1)) - 1 + (fnuz ? 1 : 0);
    const int e = (code >> m_bits) & ((1 << e_bits) - 1), m = code & ((1 << m_bits) - 1);
    if (fnuz && code == 0x80) return NAN;  // the only NaN; no negative zero, no infinity
    if (type == kFloat8E4M3FN && e == 15 && m == 7) return NAN;
    if (type == kFloat8E5M2 && e == 31) return m ? NAN : (neg ? -INFINITY : INFINITY);
    const double mag = e == 0 ? std::ldexp(m, 1 - bias - m_bits)
                              : std::ldexp((1 << m_bits) + m, e - bias - m_bits);
    return static_cast<float>(neg ? -mag : mag);
}

bool is_float8(int type) {
    return type >= kFloat8E4M3FN && type <= kFloat8E5M2FNUZ;
}
bool is_int4(int type) {
    return type == kInt4 || type == kUint4;
}
bool is_integer_type(int type) {
    switch (type) {
        case kUint8:
        case kInt8:
        case kUint16:
        case kInt16:
        case kInt32:
        case kInt64:
        case kUint32:
        case kUint64:
        case kBool:
        case kInt4:
        case kUint4:
            return true;
        default:
            return false;
    }
}

Status tensor_floats(const TensorProto& t, std::vector<float>& out) {
    // The common case at memcpy speed: float32 raw data of the right size.
    if (t.data_type == kFloat && !t.external && !t.has_segment && t.elements() >= 0 &&
        !t.raw().empty() && t.raw().size() == static_cast<std::size_t>(t.elements()) * 4) {
        out.resize(t.raw().size() / 4);
        std::memcpy(out.data(), t.raw().data(), t.raw().size());
        return Status::success();
    }
    std::vector<double> d;
    if (Status s = tensor_doubles(t, d); !s) return s;
    out.assign(d.begin(), d.end());  // float64 initializers round to float32 once
    return Status::success();
}

Status tensor_ints(const TensorProto& t, std::vector<std::int64_t>& out) {
    if (!is_integer_type(t.data_type))
        return Status::error(tensor_label(t) + " must hold integers, it holds " +
                             data_type_name(t.data_type));
    out.clear();
    if (t.data_type == kInt64 && t.raw().empty() && !t.external && !t.has_segment) {
        if (t.elements() < 0 || t.int64_data.size() != static_cast<std::size_t>(t.elements()))
            return Status::error(tensor_label(t) + " holds " + std::to_string(t.int64_data.size()) +
                                 " int64s, its dims need " + std::to_string(t.elements()));
        out = t.int64_data;
        return Status::success();
    }
    if (t.data_type == kInt64 && !t.raw().empty()) {
        if (t.elements() < 0 || t.raw().size() != static_cast<std::size_t>(t.elements()) * 8)
            return Status::error(tensor_label(t) + " holds " + std::to_string(t.raw().size()) +
                                 " bytes, its dims need " + std::to_string(t.elements()) +
                                 " int64s");
        out.resize(t.raw().size() / 8);
        std::memcpy(out.data(), t.raw().data(), t.raw().size());
        return Status::success();
    }
    std::vector<double> d;
    if (Status s = tensor_doubles(t, d); !s) return s;
    for (double v : d) out.push_back(static_cast<std::int64_t>(v));
    return Status::success();
}

TensorProto float_tensor(const std::string& name, std::vector<std::int64_t> dims,
                         const std::vector<float>& values) {
    return float_tensor(name, std::move(dims), values.data(), values.size());
}

TensorProto float_tensor(const std::string& name, std::vector<std::int64_t> dims,
                         const float* values, std::size_t count) {
    TensorProto t;
    t.name = name;
    t.dims = std::move(dims);
    t.data_type = kFloat;
    t.raw_storage.assign(reinterpret_cast<const char*>(values), count * 4);
    return t;
}

TensorProto int64_tensor(const std::string& name, std::vector<std::int64_t> dims,
                         const std::vector<std::int64_t>& values) {
    TensorProto t;
    t.name = name;
    t.dims = std::move(dims);
    t.data_type = kInt64;
    t.raw_storage.assign(reinterpret_cast<const char*>(values.data()), values.size() * 8);
    return t;
}

TensorProto code_tensor(const std::string& name, int type, std::vector<std::int64_t> dims,
                        const std::vector<std::int32_t>& codes) {
    TensorProto t;
    t.name = name;
    t.dims = std::move(dims);
    t.data_type = type;
    if (is_int4(type)) {
        t.raw_storage.assign((codes.size() + 1) / 2, '\0');
        for (std::size_t i = 0; i < codes.size(); ++i) {
            const auto nibble = static_cast<std::uint8_t>(codes[i] & 15);
            auto& byte = reinterpret_cast<std::uint8_t&>(t.raw_storage[i / 2]);
            byte = static_cast<std::uint8_t>(byte | (i % 2 ? nibble << 4 : nibble));
        }
    } else {
        t.raw_storage.resize(codes.size());
        for (std::size_t i = 0; i < codes.size(); ++i)
            t.raw_storage[i] = static_cast<char>(static_cast<std::uint8_t>(codes[i] & 0xff));
    }
    return t;
}

}  // namespace qlab::onnx
