// Values of ONNX tensors (raw_data or the typed fields) as floats or integers, and the element
// types' bit patterns both ways. Private to core/learn (onnx_import.cpp, onnx_export.cpp).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "onnx_proto.hpp"

namespace qlab::onnx {

// Decoders of one code, independent of the lab's formats (the tests check them against those).
float half_to_float(std::uint16_t bits);
float bfloat16_to_float(std::uint16_t bits);
float float8_to_float(int type, std::uint8_t code);  // the four FLOAT8 types; NaN codes -> NaN

bool is_float8(int type);
bool is_int4(int type);
bool is_integer_type(int type);  // int4 .. int64, uint4 .. uint64, bool

// The tensor's values as floats (integer types: their values; 8-bit floats decoded). The data's
// size must match the dims; external data, strings and unknown types are errors. `what` names
// the tensor in messages.
Status tensor_floats(const TensorProto& t, std::vector<float>& out);
// An integer tensor's values (int64 axes and shapes, and every other integer type).
Status tensor_ints(const TensorProto& t, std::vector<std::int64_t>& out);

// Building tensors for the writer: raw little-endian data of these types.
TensorProto float_tensor(const std::string& name, std::vector<std::int64_t> dims,
                         const std::vector<float>& values);
TensorProto float_tensor(const std::string& name, std::vector<std::int64_t> dims,
                         const float* values, std::size_t count);
TensorProto int64_tensor(const std::string& name, std::vector<std::int64_t> dims,
                         const std::vector<std::int64_t>& values);
// Codes of an 8-bit or 4-bit type (int8, uint8, int4, uint4 or a FLOAT8 type: the code's bits in
// the low byte); 4-bit codes are packed two per byte, the first in the low nibble.
TensorProto code_tensor(const std::string& name, int type, std::vector<std::int64_t> dims,
                        const std::vector<std::int32_t>& codes);

}  // namespace qlab::onnx
