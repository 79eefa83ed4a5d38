// The protobuf wire format (varints, fixed 32/64-bit words, length-delimited fields) for the ONNX
// messages in onnx_proto.hpp: a reader that checks every length against the bytes left and a
// writer. See https://protobuf.dev/programming-guides/encoding/ for the format and onnx.proto for
// the field numbers. Little-endian hosts only (x86-64, WebAssembly).
// Sections: 1. the reader (fields, varints, packed and fixed arrays)  2. parsing tensors,
// attributes, nodes, value infos and graphs  3. writing (the same messages back)  4. the public
// API: data_type_name, parse_model, serialize_model.
#include "onnx_proto.hpp"

#include <cstring>

namespace qlab::onnx {
namespace {

enum Wire : int { kVarint = 0, kFixed64 = 1, kBytes = 2, kFixed32 = 5 };

struct Field {
    std::uint32_t number = 0;
    int wire = 0;
    std::uint64_t varint = 0;  // kVarint, and kFixed64 / kFixed32 words
    std::string_view bytes;    // kBytes
    std::size_t offset = 0;    // of the tag, from the start of the file
};

// Reads the fields of one message: data is the message's bytes, base its offset in the file.
class Reader {
  public:
    Reader(std::string_view data, std::size_t base, const char* message)
        : data_(data), base_(base), message_(message) {}

    // Next field into f; false at the end of the message or on an error (then status() says).
    bool next(Field& f) {
        if (pos_ >= data_.size() || !status_.ok()) return false;
        f = Field{};
        f.offset = base_ + pos_;
        std::uint64_t tag = 0;
        if (!varint(tag)) return false;
        f.number = static_cast<std::uint32_t>(tag >> 3);
        f.wire = static_cast<int>(tag & 7);
        if (f.number == 0 || (tag >> 3) > 0x1fffffff) return fail("field number 0", f.offset);
        switch (f.wire) {
            case kVarint:
                return varint(f.varint);
            case kFixed64:
                return fixed(f.varint, 8);
            case kFixed32:
                return fixed(f.varint, 4);
            case kBytes: {
                std::uint64_t n = 0;
                if (!varint(n)) return false;
                if (n > data_.size() - pos_)
                    return fail("a length of " + std::to_string(n) + " bytes runs past the end",
                                f.offset);
                f.bytes = data_.substr(pos_, static_cast<std::size_t>(n));
                f.offset = base_ + pos_;  // where the payload starts
                pos_ += static_cast<std::size_t>(n);
                return true;
            }
            default:
                return fail("wire type " + std::to_string(f.wire) + " is not used by ONNX",
                            f.offset);
        }
    }
    const Status& status() const { return status_; }
    bool fail(const std::string& what, std::size_t at) {
        if (status_.ok())
            status_ = Status::error(std::string(message_) + " at byte " + std::to_string(at) +
                                    ": " + what);
        return false;
    }
    bool ok() const { return status_.ok(); }

  private:
    bool varint(std::uint64_t& out) {
        out = 0;
        for (int shift = 0; shift < 64; shift += 7) {
            if (pos_ >= data_.size())
                return fail("truncated (a number runs past the end)", base_ + pos_);
            const auto b = static_cast<std::uint8_t>(data_[pos_++]);
            out |= static_cast<std::uint64_t>(b & 0x7f) << shift;
            if (!(b & 0x80)) return true;
        }
        return fail("a number longer than 10 bytes", base_ + pos_);
    }
    bool fixed(std::uint64_t& out, std::size_t n) {
        if (data_.size() - pos_ < n)
            return fail("truncated (a " + std::to_string(n * 8) + "-bit word runs past the end)",
                        base_ + pos_);
        out = 0;
        std::memcpy(&out, data_.data() + pos_, n);
        pos_ += n;
        return true;
    }

    std::string_view data_;
    std::size_t base_;
    const char* message_;
    std::size_t pos_ = 0;
    Status status_ = Status::success();
};

bool expect(Reader& r, const Field& f, int wire) {
    if (f.wire == wire) return true;
    return r.fail("field " + std::to_string(f.number) + " has wire type " + std::to_string(f.wire) +
                      ", expected " + std::to_string(wire),
                  f.offset);
}

// Repeated scalars, packed (one length-delimited field) or not (one field per value).
bool read_varints(Reader& r, const Field& f, std::vector<std::int64_t>& out) {
    if (f.wire == kVarint) {
        out.push_back(static_cast<std::int64_t>(f.varint));
        return true;
    }
    if (!expect(r, f, kBytes)) return false;
    Reader packed(f.bytes, f.offset, "packed numbers");
    std::size_t pos = 0;
    while (pos < f.bytes.size()) {
        std::uint64_t v = 0;
        int shift = 0;
        for (;; shift += 7) {
            if (shift >= 64) return r.fail("a packed number longer than 10 bytes", f.offset + pos);
            if (pos >= f.bytes.size()) return r.fail("truncated packed numbers", f.offset + pos);
            const auto b = static_cast<std::uint8_t>(f.bytes[pos++]);
            v |= static_cast<std::uint64_t>(b & 0x7f) << shift;
            if (!(b & 0x80)) break;
        }
        out.push_back(static_cast<std::int64_t>(v));
    }
    return true;
}

template <class T>
bool read_fixed(Reader& r, const Field& f, std::vector<T>& out) {
    static_assert(sizeof(T) == 4 || sizeof(T) == 8, "fixed words");
    const int wire = sizeof(T) == 4 ? kFixed32 : kFixed64;
    if (f.wire == wire) {
        T v;
        std::memcpy(&v, &f.varint, sizeof(T));
        out.push_back(v);
        return true;
    }
    if (!expect(r, f, kBytes)) return false;
    if (f.bytes.size() % sizeof(T))
        return r.fail("packed " + std::to_string(sizeof(T) * 8) + "-bit words of " +
                          std::to_string(f.bytes.size()) + " bytes",
                      f.offset);
    const std::size_t n = f.bytes.size() / sizeof(T), old = out.size();
    if (n == 0) return true;
    out.resize(old + n);
    std::memcpy(out.data() + old, f.bytes.data(), f.bytes.size());
    return true;
}

bool read_string(Reader& r, const Field& f, std::string& out) {
    if (!expect(r, f, kBytes)) return false;
    out.assign(f.bytes.data(), f.bytes.size());
    return true;
}

bool read_int(Reader& r, const Field& f, std::int64_t& out) {
    if (!expect(r, f, kVarint)) return false;
    out = static_cast<std::int64_t>(f.varint);
    return true;
}

Status parse_string_entry(const Field& f, std::string& key, std::string& value) {
    Reader r(f.bytes, f.offset, "StringStringEntryProto");
    Field g;
    while (r.next(g)) {
        if (g.number == 1 && !read_string(r, g, key)) break;
        if (g.number == 2 && !read_string(r, g, value)) break;
    }
    return r.status();
}

Status parse_tensor(const Field& field, TensorProto& t) {
    Reader r(field.bytes, field.offset, "TensorProto");
    Field f;
    while (r.next(f)) {
        bool ok = true;
        std::int64_t v = 0;
        switch (f.number) {
            case 1:
                ok = read_varints(r, f, t.dims);
                break;
            case 2:
                ok = read_int(r, f, v);
                t.data_type = static_cast<int>(v);
                break;
            case 3:
                t.has_segment = true;
                break;
            case 4:
                ok = read_fixed(r, f, t.float_data);
                break;
            case 5: {
                std::vector<std::int64_t> wide;
                ok = read_varints(r, f, wide);
                for (std::int64_t w : wide) t.int32_data.push_back(static_cast<std::int32_t>(w));
                break;
            }
            case 7:
                ok = read_varints(r, f, t.int64_data);
                break;
            case 8:
                ok = read_string(r, f, t.name);
                break;
            case 9:
                ok = expect(r, f, kBytes);
                t.raw_data = f.bytes;
                break;
            case 10:
                ok = read_fixed(r, f, t.double_data);
                break;
            case 11: {
                std::vector<std::int64_t> wide;
                ok = read_varints(r, f, wide);
                for (std::int64_t w : wide) t.uint64_data.push_back(static_cast<std::uint64_t>(w));
                break;
            }
            case 13: {
                ok = expect(r, f, kBytes);
                if (!ok) break;
                std::string key, value;
                if (Status s = parse_string_entry(f, key, value); !s) return s;
                t.external = true;
                if (key == "location") t.external_location = value;
                break;
            }
            case 14:
                ok = read_int(r, f, v);
                if (v == 1) t.external = true;
                break;
            default:
                break;  // string_data, doc_string, metadata: not used
        }
        if (!ok) break;
    }
    return r.status();
}

Status parse_attribute(const Field& field, AttributeProto& a) {
    Reader r(field.bytes, field.offset, "AttributeProto");
    Field f;
    while (r.next(f)) {
        bool ok = true;
        std::int64_t v = 0;
        switch (f.number) {
            case 1:
                ok = read_string(r, f, a.name);
                break;
            case 2: {
                std::vector<float> one;
                ok = read_fixed(r, f, one);
                if (ok && !one.empty()) a.f = one.back(), a.has_f = true;
                break;
            }
            case 3:
                ok = read_int(r, f, a.i);
                a.has_i = true;
                break;
            case 4:
                ok = read_string(r, f, a.s);
                a.has_s = true;
                break;
            case 5:
                ok = expect(r, f, kBytes);
                if (!ok) break;
                if (Status s = parse_tensor(f, a.t); !s) return s;
                a.has_t = true;
                break;
            case 6:
            case 11:
                a.has_graph = true;  // a subgraph (If, Loop, Scan): never parsed
                break;
            case 7:
                ok = read_fixed(r, f, a.floats);
                break;
            case 8:
                ok = read_varints(r, f, a.ints);
                break;
            case 9: {
                std::string s;
                ok = read_string(r, f, s);
                a.strings.push_back(std::move(s));
                break;
            }
            case 20:
                ok = read_int(r, f, v);
                a.type = static_cast<int>(v);
                break;
            case 21:
                ok = read_string(r, f, a.ref_attr_name);
                break;
            default:
                break;
        }
        if (!ok) break;
    }
    return r.status();
}

Status parse_node(const Field& field, NodeProto& n) {
    Reader r(field.bytes, field.offset, "NodeProto");
    Field f;
    while (r.next(f)) {
        bool ok = true;
        switch (f.number) {
            case 1:
                n.input.emplace_back();
                ok = read_string(r, f, n.input.back());
                break;
            case 2:
                n.output.emplace_back();
                ok = read_string(r, f, n.output.back());
                break;
            case 3:
                ok = read_string(r, f, n.name);
                break;
            case 4:
                ok = read_string(r, f, n.op_type);
                break;
            case 5:
                ok = expect(r, f, kBytes);
                if (!ok) break;
                n.attribute.emplace_back();
                if (Status s = parse_attribute(f, n.attribute.back()); !s) return s;
                break;
            case 7:
                ok = read_string(r, f, n.domain);
                break;
            default:
                break;
        }
        if (!ok) break;
    }
    return r.status();
}

Status parse_shape(const Field& field, ValueInfoProto& v) {
    Reader r(field.bytes, field.offset, "TensorShapeProto");
    Field f;
    while (r.next(f)) {
        if (f.number != 1) continue;
        if (!expect(r, f, kBytes)) break;
        Dimension d;
        Reader dr(f.bytes, f.offset, "TensorShapeProto.Dimension");
        Field g;
        while (dr.next(g)) {
            if (g.number == 1) {
                if (!read_int(dr, g, d.value)) break;
                d.has_value = true;
            } else if (g.number == 2 && !read_string(dr, g, d.param)) {
                break;
            }
        }
        if (!dr.ok()) return dr.status();
        v.shape.push_back(std::move(d));
    }
    return r.status();
}

Status parse_value_info(const Field& field, ValueInfoProto& v) {
    Reader r(field.bytes, field.offset, "ValueInfoProto");
    Field f;
    while (r.next(f)) {
        if (f.number == 1) {
            if (!read_string(r, f, v.name)) break;
        } else if (f.number == 2) {  // TypeProto: only tensor_type (1) is read
            if (!expect(r, f, kBytes)) break;
            Reader tr(f.bytes, f.offset, "TypeProto");
            Field g;
            while (tr.next(g)) {
                if (g.number != 1) continue;
                if (!expect(tr, g, kBytes)) break;
                v.is_tensor = true;
                Reader tt(g.bytes, g.offset, "TypeProto.Tensor");
                Field h;
                while (tt.next(h)) {
                    std::int64_t e = 0;
                    if (h.number == 1) {
                        if (!read_int(tt, h, e)) break;
                        v.elem_type = static_cast<int>(e);
                    } else if (h.number == 2) {
                        if (!expect(tt, h, kBytes)) break;
                        v.has_shape = true;
                        if (Status s = parse_shape(h, v); !s) return s;
                    }
                }
                if (!tt.ok()) return tt.status();
            }
            if (!tr.ok()) return tr.status();
        }
    }
    return r.status();
}

Status parse_graph(const Field& field, GraphProto& g) {
    Reader r(field.bytes, field.offset, "GraphProto");
    Field f;
    while (r.next(f)) {
        const bool message = f.number == 1 || f.number == 5 || f.number == 11 || f.number == 12 ||
                             f.number == 13 || f.number == 2;
        if (message && !expect(r, f, kBytes)) break;
        Status s = Status::success();
        switch (f.number) {
            case 1:
                g.node.emplace_back();
                s = parse_node(f, g.node.back());
                break;
            case 2:
                if (!read_string(r, f, g.name)) return r.status();
                break;
            case 5:
                g.initializer.emplace_back();
                s = parse_tensor(f, g.initializer.back());
                break;
            case 11:
                g.input.emplace_back();
                s = parse_value_info(f, g.input.back());
                break;
            case 12:
                g.output.emplace_back();
                s = parse_value_info(f, g.output.back());
                break;
            case 13:
                g.value_info.emplace_back();
                s = parse_value_info(f, g.value_info.back());
                break;
            case 15:
                g.has_sparse_initializer = true;
                break;
            default:
                break;
        }
        if (!s) return s;
    }
    return r.status();
}

// ---- writing ------------------------------------------------------------------------------

class Writer {
  public:
    std::string out;
    void tag(std::uint32_t number, int wire) { varint((std::uint64_t{number} << 3) | wire); }
    void varint(std::uint64_t v) {
        while (v >= 0x80) {
            out.push_back(static_cast<char>((v & 0x7f) | 0x80));
            v >>= 7;
        }
        out.push_back(static_cast<char>(v));
    }
    void int_field(std::uint32_t number, std::int64_t v) {
        tag(number, kVarint);
        varint(static_cast<std::uint64_t>(v));
    }
    void bytes_field(std::uint32_t number, std::string_view s) {
        tag(number, kBytes);
        varint(s.size());
        out.append(s.data(), s.size());
    }
    void string_field(std::uint32_t number, const std::string& s) {
        if (!s.empty()) bytes_field(number, s);
    }
    void float_field(std::uint32_t number, float v) {
        tag(number, kFixed32);
        char b[4];
        std::memcpy(b, &v, 4);
        out.append(b, 4);
    }
    void packed_varints(std::uint32_t number, const std::vector<std::int64_t>& v) {
        if (v.empty()) return;
        Writer inner;
        for (std::int64_t x : v) inner.varint(static_cast<std::uint64_t>(x));
        bytes_field(number, inner.out);
    }
    template <class T>
    void packed_fixed(std::uint32_t number, const std::vector<T>& v) {
        if (v.empty()) return;
        bytes_field(number, std::string_view(reinterpret_cast<const char*>(v.data()),
                                             v.size() * sizeof(T)));
    }
};

// A TensorProto as field `number` of w: every field but the raw data first, then the raw data
// appended straight from the tensor (one copy of a large weight, not three).
void append_tensor(Writer& w, std::uint32_t number, const TensorProto& t) {
    Writer head;
    head.packed_varints(1, t.dims);
    head.int_field(2, t.data_type);
    head.packed_fixed(4, t.float_data);
    if (!t.int32_data.empty()) {
        std::vector<std::int64_t> wide(t.int32_data.begin(), t.int32_data.end());
        head.packed_varints(5, wide);
    }
    head.packed_varints(7, t.int64_data);
    head.string_field(8, t.name);
    head.packed_fixed(10, t.double_data);
    const std::string_view raw = t.raw();
    if (!raw.empty()) {  // the raw field's tag and length; its bytes follow below
        head.tag(9, 2);
        head.varint(raw.size());
    }
    w.tag(number, 2);
    w.varint(head.out.size() + raw.size());
    w.out += head.out;
    w.out.append(raw.data(), raw.size());
}

std::string write_attribute(const AttributeProto& a) {
    Writer w;
    w.string_field(1, a.name);
    switch (a.type) {
        case kAttrFloat:
            w.float_field(2, a.f);
            break;
        case kAttrInt:
            w.int_field(3, a.i);
            break;
        case kAttrString:
            w.bytes_field(4, a.s);
            break;
        case kAttrTensor:
            append_tensor(w, 5, a.t);
            break;
        case kAttrFloats:
            w.packed_fixed(7, a.floats);
            break;
        case kAttrInts:
            w.packed_varints(8, a.ints);
            break;
        case kAttrStrings:
            for (const std::string& s : a.strings) w.bytes_field(9, s);
            break;
        default:
            break;
    }
    w.int_field(20, a.type);
    return w.out;
}

std::string write_node(const NodeProto& n) {
    Writer w;
    for (const std::string& s : n.input) w.bytes_field(1, s);
    for (const std::string& s : n.output) w.bytes_field(2, s);
    w.string_field(3, n.name);
    w.string_field(4, n.op_type);
    for (const AttributeProto& a : n.attribute) w.bytes_field(5, write_attribute(a));
    w.string_field(7, n.domain);
    return w.out;
}

std::string write_value_info(const ValueInfoProto& v) {
    Writer shape;
    for (const Dimension& d : v.shape) {
        Writer dim;
        if (d.has_value)
            dim.int_field(1, d.value);
        else
            dim.string_field(2, d.param);
        shape.bytes_field(1, dim.out);
    }
    Writer tensor;
    tensor.int_field(1, v.elem_type);
    if (v.has_shape) tensor.bytes_field(2, shape.out);
    Writer type;
    type.bytes_field(1, tensor.out);
    Writer w;
    w.string_field(1, v.name);
    w.bytes_field(2, type.out);
    return w.out;
}

std::string write_graph(const GraphProto& g) {
    Writer w;
    std::size_t raw = 0;
    for (const TensorProto& t : g.initializer) raw += t.raw().size() + 64;
    w.out.reserve(raw + 4096);
    for (const NodeProto& n : g.node) w.bytes_field(1, write_node(n));
    w.string_field(2, g.name);
    for (const TensorProto& t : g.initializer) append_tensor(w, 5, t);
    for (const ValueInfoProto& v : g.input) w.bytes_field(11, write_value_info(v));
    for (const ValueInfoProto& v : g.output) w.bytes_field(12, write_value_info(v));
    for (const ValueInfoProto& v : g.value_info) w.bytes_field(13, write_value_info(v));
    return w.out;
}

}  // namespace

const char* data_type_name(int type) {
    switch (type) {
        case kFloat:
            return "FLOAT";
        case kUint8:
            return "UINT8";
        case kInt8:
            return "INT8";
        case kUint16:
            return "UINT16";
        case kInt16:
            return "INT16";
        case kInt32:
            return "INT32";
        case kInt64:
            return "INT64";
        case kString:
            return "STRING";
        case kBool:
            return "BOOL";
        case kFloat16:
            return "FLOAT16";
        case kDouble:
            return "DOUBLE";
        case kUint32:
            return "UINT32";
        case kUint64:
            return "UINT64";
        case kBfloat16:
            return "BFLOAT16";
        case kFloat8E4M3FN:
            return "FLOAT8E4M3FN";
        case kFloat8E4M3FNUZ:
            return "FLOAT8E4M3FNUZ";
        case kFloat8E5M2:
            return "FLOAT8E5M2";
        case kFloat8E5M2FNUZ:
            return "FLOAT8E5M2FNUZ";
        case kUint4:
            return "UINT4";
        case kInt4:
            return "INT4";
        default:
            return "an unknown data type";
    }
}

std::int64_t TensorProto::elements() const {
    std::int64_t n = 1;
    for (std::int64_t d : dims) {
        if (d < 0 || d > (std::int64_t{1} << 40)) return -1;
        n *= d;
        if (n > (std::int64_t{1} << 40)) return -1;
    }
    return n;
}

const AttributeProto* NodeProto::find(std::string_view attribute_name) const {
    for (const AttributeProto& a : attribute)
        if (a.name == attribute_name) return &a;
    return nullptr;
}

Result<ModelProto> parse_model(std::string_view bytes) {
    ModelProto m;
    Reader r(bytes, 0, "ModelProto");
    Field f;
    while (r.next(f)) {
        bool ok = true;
        switch (f.number) {
            case 1:
                ok = read_int(r, f, m.ir_version);
                break;
            case 2:
                ok = read_string(r, f, m.producer_name);
                break;
            case 3:
                ok = read_string(r, f, m.producer_version);
                break;
            case 4:
                ok = read_string(r, f, m.domain);
                break;
            case 5:
                ok = read_int(r, f, m.model_version);
                break;
            case 6:
                ok = read_string(r, f, m.doc_string);
                break;
            case 7: {
                ok = expect(r, f, kBytes);
                if (!ok) break;
                m.graph = GraphProto{};
                if (Status s = parse_graph(f, m.graph); !s) return s;
                m.has_graph = true;
                break;
            }
            case 8: {
                ok = expect(r, f, kBytes);
                if (!ok) break;
                OperatorSetIdProto id;
                Reader o(f.bytes, f.offset, "OperatorSetIdProto");
                Field g;
                while (o.next(g)) {
                    if (g.number == 1 && !read_string(o, g, id.domain)) break;
                    if (g.number == 2 && !read_int(o, g, id.version)) break;
                }
                if (!o.ok()) return o.status();
                m.opset_import.push_back(std::move(id));
                break;
            }
            case 14: {
                ok = expect(r, f, kBytes);
                if (!ok) break;
                std::string key, value;
                if (Status s = parse_string_entry(f, key, value); !s) return s;
                m.metadata_props.emplace_back(std::move(key), std::move(value));
                break;
            }
            case 25:
                m.has_functions = true;
                break;
            default:
                break;
        }
        if (!ok) break;
    }
    if (!r.ok()) return r.status();
    return m;
}

std::string serialize_model(const ModelProto& m) {
    Writer w;
    w.int_field(1, m.ir_version);
    w.string_field(2, m.producer_name);
    w.string_field(3, m.producer_version);
    w.string_field(4, m.domain);
    if (m.model_version) w.int_field(5, m.model_version);
    w.string_field(6, m.doc_string);
    for (const OperatorSetIdProto& id : m.opset_import) {
        Writer o;
        o.string_field(1, id.domain);
        o.int_field(2, id.version);
        w.bytes_field(8, o.out);
    }
    for (const auto& [key, value] : m.metadata_props) {
        Writer e;
        e.string_field(1, key);
        e.string_field(2, value);
        w.bytes_field(14, e.out);
    }
    // The graph last: any truncation of a file written here then either loses the graph or
    // cuts it short, and both are detected (a cut between two trailing fields would not be).
    const std::string graph = write_graph(m.graph);
    w.out.reserve(w.out.size() + graph.size() + 16);
    w.bytes_field(7, graph);
    return w.out;
}

}  // namespace qlab::onnx
