// The ONNX messages QuantLab reads and writes, and a small codec of the protobuf wire format for
// them (private to core/learn; the public API is qlab/onnx.hpp). Field numbers are onnx.proto's
// (ONNX 1.12-1.17); fields the lab does not use are skipped by wire type when read and never
// written. Reading is zero-copy for raw tensor data (string_views into the caller's bytes, which
// must outlive the parsed model) and never recurses into subgraphs (If/Loop bodies are only
// noted), so its depth is fixed whatever the input. Every failure is a Status naming the message
// and the byte offset.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "qlab/status.hpp"

namespace qlab::onnx {

// TensorProto.DataType
enum DataType : int {
    kUndefined = 0,
    kFloat = 1,
    kUint8 = 2,
    kInt8 = 3,
    kUint16 = 4,
    kInt16 = 5,
    kInt32 = 6,
    kInt64 = 7,
    kString = 8,
    kBool = 9,
    kFloat16 = 10,
    kDouble = 11,
    kUint32 = 12,
    kUint64 = 13,
    kBfloat16 = 16,
    kFloat8E4M3FN = 17,
    kFloat8E4M3FNUZ = 18,
    kFloat8E5M2 = 19,
    kFloat8E5M2FNUZ = 20,
    kUint4 = 21,
    kInt4 = 22,
};
const char* data_type_name(int type);

struct TensorProto {
    std::string name;
    std::vector<std::int64_t> dims;
    int data_type = kUndefined;
    std::string_view raw_data;  // into the parsed bytes
    std::string raw_storage;    // raw_data owned (tensors built in memory, e.g. for writing)
    std::vector<float> float_data;
    std::vector<std::int32_t> int32_data;
    std::vector<std::int64_t> int64_data;
    std::vector<double> double_data;
    std::vector<std::uint64_t> uint64_data;
    bool external = false;  // data_location EXTERNAL or external_data entries
    bool has_segment = false;
    std::string external_location;  // the "location" entry, when given

    std::string_view raw() const { return raw_storage.empty() ? raw_data : raw_storage; }
    // Elements the dims describe (1 for a scalar); -1 when negative or beyond 2^40.
    std::int64_t elements() const;
};

enum AttributeType : int {
    kAttrUndefined = 0,
    kAttrFloat = 1,
    kAttrInt = 2,
    kAttrString = 3,
    kAttrTensor = 4,
    kAttrGraph = 5,
    kAttrFloats = 6,
    kAttrInts = 7,
    kAttrStrings = 8,
};

struct AttributeProto {
    std::string name;
    int type = kAttrUndefined;  // as declared; 0 in files older than IR 3
    float f = 0;
    std::int64_t i = 0;
    std::string s;
    TensorProto t;
    bool has_f = false, has_i = false, has_s = false, has_t = false, has_graph = false;
    std::vector<float> floats;
    std::vector<std::int64_t> ints;
    std::vector<std::string> strings;
    std::string ref_attr_name;  // inside function bodies only
};

struct NodeProto {
    std::vector<std::string> input, output;
    std::string name, op_type, domain;
    std::vector<AttributeProto> attribute;

    const AttributeProto* find(std::string_view attribute_name) const;
};

struct Dimension {
    bool has_value = false;
    std::int64_t value = 0;
    std::string param;  // symbolic ("batch", "N")
};

struct ValueInfoProto {
    std::string name;
    int elem_type = kUndefined;
    bool is_tensor = false, has_shape = false;
    std::vector<Dimension> shape;
};

struct GraphProto {
    std::string name;
    std::vector<NodeProto> node;
    std::vector<TensorProto> initializer;
    std::vector<ValueInfoProto> input, output, value_info;
    bool has_sparse_initializer = false;
};

struct OperatorSetIdProto {
    std::string domain;
    std::int64_t version = 0;
};

struct ModelProto {
    std::int64_t ir_version = 0;
    std::vector<OperatorSetIdProto> opset_import;
    std::string producer_name, producer_version, domain, doc_string;
    std::int64_t model_version = 0;
    GraphProto graph;
    bool has_graph = false;
    bool has_functions = false;
    std::vector<std::pair<std::string, std::string>> metadata_props;
};

// Parses a ModelProto. The bytes must outlive the model (raw tensor data points into them).
Result<ModelProto> parse_model(std::string_view bytes);
// Serialises a ModelProto (only the fields above; raw data as given).
std::string serialize_model(const ModelProto& model);

}  // namespace qlab::onnx
