// ONNX in and out: the wire codec (round trips, every truncation refused), tensor data of every
// type against the lab's own formats, PyTorch's fixtures imported and predicting as PyTorch did,
// export/import round trips at every kind of format (same formats, weights and outputs bit for
// bit), QDQ patterns of other tools, and the refusals with their messages.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <fstream>
#include <sstream>

#include "onnx_proto.hpp"
#include "onnx_tensor.hpp"
#include "qlab/calibration.hpp"
#include "qlab/onnx.hpp"

namespace qlab {
namespace {

namespace ox = qlab::onnx;

// PyTorch's outputs agree within this, relative to the row's largest output (float sums in
// another order: a near-zero output cannot be held to a relative error of its own).
constexpr double kTorchTolerance = 1e-5;

std::string fixture_path(const std::string& name) {
    return std::string(QLAB_TEST_DATA) + "/onnx/" + name;
}

ox::NodeProto node(const std::string& op, std::vector<std::string> in, std::vector<std::string> out,
                   const std::string& name = "") {
    ox::NodeProto n;
    n.op_type = op, n.input = std::move(in), n.output = std::move(out), n.name = name;
    return n;
}

void attr_int(ox::NodeProto& n, const char* name, std::int64_t v) {
    ox::AttributeProto a;
    a.name = name, a.type = ox::kAttrInt, a.i = v;
    n.attribute.push_back(a);
}

ox::ValueInfoProto value(const std::string& name, std::vector<std::int64_t> dims) {
    ox::ValueInfoProto v;
    v.name = name, v.elem_type = ox::kFloat, v.is_tensor = v.has_shape = true;
    ox::Dimension batch;
    batch.param = "N";
    v.shape.push_back(batch);
    for (std::int64_t d : dims) {
        ox::Dimension x;
        x.has_value = true, x.value = d;
        v.shape.push_back(x);
    }
    return v;
}

ox::ModelProto graph_model(std::vector<ox::NodeProto> nodes, std::vector<ox::TensorProto> inits,
                           std::int64_t in, std::int64_t out, int opset = 13) {
    ox::ModelProto m;
    m.ir_version = 7;
    m.opset_import.push_back({"", opset});
    m.graph.node = std::move(nodes);
    m.graph.initializer = std::move(inits);
    m.graph.input.push_back(value("input", {in}));
    m.graph.output.push_back(value("output", {out}));
    m.has_graph = true;
    return m;
}

Dataset rows(int n, int features, std::uint64_t seed) {
    Dataset d;
    d.features = features, d.classes = 2;
    Rng rng(seed);
    for (int i = 0; i < n * features; ++i) d.x.push_back(static_cast<float>(2 * rng.uniform() - 1));
    for (int i = 0; i < n; ++i) d.y.push_back(i % 2);
    return d;
}

bool same_bits(const Matrix& a, const Matrix& b) {
    return a.rows() == b.rows() && a.cols() == b.cols() &&
           std::memcmp(a.data(), b.data(), static_cast<std::size_t>(a.size()) * 4) == 0;
}

// ---- the wire codec -------------------------------------------------------------------------

TEST(OnnxWire, RoundTripOfEveryFieldTheLabWrites) {
    ox::NodeProto conv = node("Conv", {"input", "w", ""}, {"y"}, "conv");
    attr_int(conv, "group", 1);
    ox::AttributeProto ints;
    ints.name = "pads", ints.type = ox::kAttrInts, ints.ints = {0, 1, -2, 300000000000LL};
    conv.attribute.push_back(ints);
    ox::AttributeProto f;
    f.name = "alpha", f.type = ox::kAttrFloat, f.f = 0.125f;
    conv.attribute.push_back(f);
    ox::AttributeProto s;
    s.name = "mode", s.type = ox::kAttrString, s.s = "constant";
    conv.attribute.push_back(s);
    ox::ModelProto m = graph_model(
        {conv},
        {ox::float_tensor("w", {2, 1}, {1.5f, -2.25f}), ox::int64_tensor("shape", {2}, {-1, 7}),
         ox::code_tensor("q", ox::kInt4, {3}, {-8, 7, 1})},
        4, 2);
    m.producer_name = "test";
    m.metadata_props.emplace_back("k", "v");
    const std::string bytes = ox::serialize_model(m);
    auto back = ox::parse_model(bytes);
    ASSERT_TRUE(back.ok()) << back.status().message();
    EXPECT_EQ(back->ir_version, 7);
    EXPECT_EQ(back->producer_name, "test");
    ASSERT_EQ(back->graph.node.size(), 1u);
    const ox::NodeProto& n = back->graph.node[0];
    EXPECT_EQ(n.input, (std::vector<std::string>{"input", "w", ""}));
    EXPECT_EQ(n.find("pads")->ints, ints.ints);
    EXPECT_EQ(n.find("alpha")->f, 0.125f);
    EXPECT_EQ(n.find("mode")->s, "constant");
    EXPECT_EQ(n.find("group")->i, 1);
    std::vector<float> w;
    ASSERT_TRUE(ox::tensor_floats(back->graph.initializer[0], w).ok());
    EXPECT_EQ(w, (std::vector<float>{1.5f, -2.25f}));
    std::vector<std::int64_t> shape, q;
    ASSERT_TRUE(ox::tensor_ints(back->graph.initializer[1], shape).ok());
    EXPECT_EQ(shape, (std::vector<std::int64_t>{-1, 7}));
    ASSERT_TRUE(ox::tensor_ints(back->graph.initializer[2], q).ok());
    EXPECT_EQ(q, (std::vector<std::int64_t>{-8, 7, 1}));
    EXPECT_EQ(back->graph.input[0].shape[0].param, "N");
    EXPECT_EQ(back->metadata_props[0].second, "v");
    EXPECT_EQ(ox::serialize_model(*back), bytes);  // the writer is deterministic
}

TEST(OnnxWire, EveryTruncationAndCorruptionIsRefusedWithAMessage) {
    Model tiny;
    Layer L;
    L.in = 3, L.out = 2, L.activation = Activation::relu;
    L.weight = Matrix::Constant(2, 3, 0.5f);
    L.bias = Vector::Zero(2);
    tiny.layers.push_back(L);
    const std::string bytes = *export_onnx(tiny);
    ASSERT_TRUE(import_onnx(bytes).ok());
    for (std::size_t n = 0; n < bytes.size(); ++n) {
        auto r = import_onnx(std::string_view(bytes).substr(0, n));
        ASSERT_FALSE(r.ok()) << n;
        ASSERT_EQ(r.status().message().rfind("ONNX: ", 0), 0u) << r.status().message();
    }
    // A varint of 11 bytes, a group wire type, a length past the end.
    EXPECT_NE(import_onnx(std::string(11, '\xff')).status().message().find("longer than 10 bytes"),
              std::string::npos);
    EXPECT_NE(import_onnx(std::string("\x0b", 1)).status().message().find("wire type 3"),
              std::string::npos);
    EXPECT_NE(import_onnx(std::string("\x3a\x05\x00", 3)).status().message().find("runs past"),
              std::string::npos);
    EXPECT_NE(import_onnx(std::string("\x08\x07", 2)).status().message().find("no graph"),
              std::string::npos);
}

// ---- tensor data ----------------------------------------------------------------------------

// Each decoder, on every code, gives an atom of the lab's own format whose code is that code.
TEST(OnnxTensors, DecodersAgreeWithTheLabsFormatsOnEveryCode) {
    struct Case {
        int type;
        const char* spec;
    };
    for (const Case& c :
         {Case{ox::kFloat8E4M3FN, "fp8:e4m3"}, Case{ox::kFloat8E5M2, "fp8:e5m2"},
          Case{ox::kFloat8E4M3FNUZ, "fp8:e4m3fnuz"}, Case{ox::kFloat8E5M2FNUZ, "fp8:e5m2fnuz"}}) {
        const Format f = *Format::parse(c.spec);
        int nans = 0;
        for (int code = 0; code < 256; ++code) {
            const float v = ox::float8_to_float(c.type, static_cast<std::uint8_t>(code));
            if (std::isnan(v)) {
                ++nans;
                continue;
            }
            if (std::isinf(v)) {
                EXPECT_EQ(c.type, ox::kFloat8E5M2);
                continue;
            }
            EXPECT_EQ(f.quantize_ref(v), v) << c.spec << " " << code;
            const bool zero_twice = v == 0 && code == 0x80;  // -0 (not in FNUZ)
            if (!zero_twice) {
                EXPECT_EQ(f.encode(v).code, static_cast<std::uint64_t>(code)) << code;
            }
        }
        EXPECT_EQ(nans, c.type == ox::kFloat8E4M3FN ? 2 : c.type == ox::kFloat8E5M2 ? 6 : 1);
    }
    const Format half = *Format::parse("float:e=5,m=10");
    const Format bf16 = *Format::parse("float:e=8,m=7");
    for (std::uint32_t h = 0; h < 65536; ++h) {
        const float a = ox::half_to_float(static_cast<std::uint16_t>(h));
        const float b = ox::bfloat16_to_float(static_cast<std::uint16_t>(h));
        if (!std::isnan(a)) {
            ASSERT_EQ(half.quantize_ref(a), a) << h;
            ASSERT_EQ(half.encode(a).code, h) << h;
        }
        if (!std::isnan(b)) {
            ASSERT_EQ(bf16.quantize_ref(b), b) << h;
            ASSERT_EQ(bf16.encode(b).code, h) << h;
        }
    }
}

TEST(OnnxTensors, RawAndTypedFieldsOfEveryTypeAgree) {
    // int4: two per byte, the first in the low nibble; an odd count pads the last byte.
    const ox::TensorProto packed = ox::code_tensor("q", ox::kInt4, {5}, {-8, 7, -1, 0, 3});
    EXPECT_EQ(packed.raw().size(), 3u);
    EXPECT_EQ(static_cast<std::uint8_t>(packed.raw()[0]), 0x78);
    std::vector<float> v;
    ASSERT_TRUE(ox::tensor_floats(packed, v).ok());
    EXPECT_EQ(v, (std::vector<float>{-8, 7, -1, 0, 3}));
    ox::TensorProto typed;  // the same in int32_data, two per entry
    typed.name = "q", typed.dims = {5}, typed.data_type = ox::kInt4;
    typed.int32_data = {0x78, 0x0f, 0x03};
    ASSERT_TRUE(ox::tensor_floats(typed, v).ok());
    EXPECT_EQ(v, (std::vector<float>{-8, 7, -1, 0, 3}));
    typed.data_type = ox::kUint4;
    ASSERT_TRUE(ox::tensor_floats(typed, v).ok());
    EXPECT_EQ(v, (std::vector<float>{8, 7, 15, 0, 3}));
    // float16 and float64 in typed fields.
    ox::TensorProto f16;
    f16.name = "h", f16.dims = {2}, f16.data_type = ox::kFloat16, f16.int32_data = {0x3c00, 0xc000};
    ASSERT_TRUE(ox::tensor_floats(f16, v).ok());
    EXPECT_EQ(v, (std::vector<float>{1, -2}));
    ox::TensorProto f64;
    f64.name = "d", f64.dims = {1}, f64.data_type = ox::kDouble, f64.double_data = {0.1};
    ASSERT_TRUE(ox::tensor_floats(f64, v).ok());
    EXPECT_EQ(v, (std::vector<float>{0.1f}));
    ox::TensorProto bf;
    bf.name = "b", bf.dims = {1}, bf.data_type = ox::kBfloat16;
    bf.raw_storage = std::string("\x80\x3f", 2);
    ASSERT_TRUE(ox::tensor_floats(bf, v).ok());
    EXPECT_EQ(v, (std::vector<float>{1}));
    ox::TensorProto u8;
    u8.name = "u", u8.dims = {2}, u8.data_type = ox::kUint8, u8.raw_storage = "\xff\x01";
    ASSERT_TRUE(ox::tensor_floats(u8, v).ok());
    EXPECT_EQ(v, (std::vector<float>{255, 1}));
    u8.dims = {3};
    EXPECT_NE(ox::tensor_floats(u8, v).message().find("holds 2 bytes, its dims need 3"),
              std::string::npos);
}

// ---- PyTorch's fixtures ---------------------------------------------------------------------

// PyTorch's inputs: MNIST rows 0, 100, 200, ... (the file is sorted by digit).
std::optional<Dataset> mnist_rows(std::size_t n, std::size_t stride) {
    DataSpecOptions where;
    where.data_dir = QLAB_DATA_DIR;
    auto d = load_data_spec("mnist", where);
    if (!d.ok()) return std::nullopt;
    Dataset out = *d;
    out.x.clear(), out.y.clear();
    for (std::size_t i = 0; i < n; ++i) {
        out.x.insert(out.x.end(), d->row(i * stride), d->row(i * stride) + d->features);
        out.y.push_back(d->y[i * stride]);
    }
    return out;
}

std::vector<std::vector<double>> read_csv(const std::string& path) {
    std::vector<std::vector<double>> out;
    std::ifstream in(path);
    std::string line;
    while (std::getline(in, line)) {
        std::vector<double> row;
        std::stringstream ss(line);
        std::string cell;
        while (std::getline(ss, cell, ',')) row.push_back(std::stod(cell));
        out.push_back(row);
    }
    return out;
}

TEST(OnnxFixtures, ImportAsTheirGraphsSay) {
    auto mlp = import_onnx_file(fixture_path("mlp_relu.onnx"));
    ASSERT_TRUE(mlp.ok()) << mlp.status().message();
    ASSERT_EQ(mlp->model.layers.size(), 2u);
    EXPECT_EQ(mlp->model.layers[0].activation, Activation::relu);
    EXPECT_EQ(mlp->model.inputs(), 784);
    EXPECT_EQ(mlp->batch, "batch");
    EXPECT_FALSE(mlp->quantized());

    auto hs = import_onnx_file(fixture_path("mlp_hardsigmoid.onnx"));
    ASSERT_TRUE(hs.ok()) << hs.status().message();
    EXPECT_EQ(hs->opset, 11);
    EXPECT_EQ(hs->model.layers[0].activation, Activation::hardsigmoid);  // Clip 0..2: Sakr's

    auto lenet = import_onnx_file(fixture_path("lenet_bn.onnx"));
    ASSERT_TRUE(lenet.ok()) << lenet.status().message();
    const auto& L = lenet->model.layers;
    ASSERT_EQ(L.size(), 6u);
    EXPECT_EQ(L[0].kind, LayerKind::conv2d);
    EXPECT_EQ(L[0].pad_top, 2);
    EXPECT_EQ(L[1].kind, LayerKind::maxpool2d);
    EXPECT_EQ(L[2].step(), 2);
    EXPECT_EQ(L[3].kind, LayerKind::avgpool2d);
    EXPECT_EQ(L[3].pad_bottom, 1);  // the Pad node before it
    EXPECT_TRUE(L[3].count_include_pad);
    EXPECT_EQ(lenet->output, OutputMeaning::logsoftmax);
    EXPECT_EQ(lenet->input_shape, (std::vector<int>{1, 28, 28}));
    std::string notes;
    for (const auto& n : lenet->notes) notes += n + "\n";
    EXPECT_NE(notes.find("BatchNormalization '/bn1/BatchNormalization') folded into layer 1"),
              std::string::npos)
        << notes;
    EXPECT_NE(notes.find("merged into the padding"), std::string::npos) << notes;

    auto gap = import_onnx_file(fixture_path("cnn_gap.onnx"));
    ASSERT_TRUE(gap.ok()) << gap.status().message();
    const auto& G = gap->model.layers;
    EXPECT_EQ(G[0].dilation, 2);
    EXPECT_EQ(G[0].activation, Activation::leakyrelu);
    EXPECT_FLOAT_EQ(G[0].alpha, 0.1f);
    EXPECT_EQ(G[1].kind, LayerKind::maxpool2d);
    EXPECT_EQ(G[2].activation, Activation::onnx_hardsigmoid);
    EXPECT_FLOAT_EQ(G[2].alpha, 1.0f / 6);
    EXPECT_EQ(G[3].activation, Activation::clip);  // torch's ReLU6: Relu then Clip, merged
    EXPECT_EQ(G[3].beta, 6);
    EXPECT_EQ(G[4].kind, LayerKind::globalavgpool);
    EXPECT_EQ(G[5].activation, Activation::sigmoid);
    EXPECT_EQ(G[6].activation, Activation::tanh);
    EXPECT_EQ(gap->output, OutputMeaning::softmax);

    auto qdq = import_onnx_file(fixture_path("qdq_int8.onnx"));
    ASSERT_TRUE(qdq.ok()) << qdq.status().message();
    EXPECT_TRUE(qdq->quantized());
    EXPECT_EQ(qdq->input_format, "int:b=8,scale=" + shortest_repr(1.0f / 255) + ",signed=0");
    ASSERT_EQ(qdq->layers[0].weight_rows.size(), 128u);
    EXPECT_EQ(qdq->layers[0].weight_rows[0].rfind("int:b=8,scale=", 0), 0u);
    EXPECT_NE(qdq->layers[0].activations.find("signed=0"), std::string::npos);

    auto ops = import_onnx_file(fixture_path("ops_opset9.onnx"));
    ASSERT_TRUE(ops.ok()) << ops.status().message();
    EXPECT_EQ(ops->model.layers[0].activation, Activation::clip);  // Clip with attributes
    EXPECT_EQ(ops->model.layers[0].alpha, -1);
    EXPECT_NE(ops->model.layers[0].bias.norm(), 0);  // MatMul then Add: the Add is the bias
    notes.clear();
    for (const auto& n : ops->notes) notes += n + "\n";
    EXPECT_NE(notes.find("Dropout 'dropout1') dropped"), std::string::npos) << notes;
    EXPECT_NE(notes.find("Identity 'identity') dropped"), std::string::npos) << notes;
}

TEST(OnnxFixtures, PredictAsPyTorchDid) {
    const auto data = mnist_rows(100, 100);
    if (!data) GTEST_SKIP() << "MNIST not installed (scripts/bootstrap.sh)";
    for (const char* name :
         {"mlp_relu", "mlp_hardsigmoid", "lenet_bn", "cnn_gap", "qdq_int8", "ops_opset9"}) {
        auto m = import_onnx_file(fixture_path(std::string(name) + ".onnx"));
        ASSERT_TRUE(m.ok()) << name << ": " << m.status().message();
        Dataset d = *data;
        if (!m->input_format.empty())
            Format::parse(m->input_format)->quantize(d.x.data(), d.x.data(), d.x.size());
        const Matrix got = predict_scores(m->model, d, m->eval());
        const auto want = read_csv(fixture_path(std::string(name) + ".torch.csv"));
        ASSERT_EQ(want.size(), 100u);
        double worst = 0;
        for (std::size_t r = 0; r < want.size(); ++r) {
            double top = 0;
            for (double v : want[r]) top = std::max(top, std::fabs(v));
            for (std::size_t k = 0; k < want[r].size(); ++k)
                worst = std::max(worst, std::fabs(got(static_cast<Eigen::Index>(r),
                                                      static_cast<Eigen::Index>(k)) -
                                                  want[r][k]) /
                                            top);
        }
        EXPECT_LT(worst, kTorchTolerance) << name;
    }
}

// ---- export and import round trips ----------------------------------------------------------

Model test_cnn() {
    Model m = *make_model("cnn:10x10x1-c4k3-p2-8-3", 100, 3, 7);
    // Strided, padded and an average pool, as imported models have them.
    m.layers[0].pad_top = m.layers[0].pad_left = 1;
    m.layers[0].stride = 1;
    m.layers[1].kind = LayerKind::avgpool2d;
    m.layers[1].height = m.layers[1].width = 10;
    m.layers[0].pad_bottom = m.layers[0].pad_right = 1;
    m.layers[1].stride = 2;
    Rng rng(2);
    m.layers[2].in = m.layers[1].output_size();
    m.layers[2].weight = Matrix::Random(8, m.layers[2].in) * 0.3f;
    m.layers[2].bias = Vector::Random(8) * 0.1f;
    m.layers[0].bias = Vector::Random(4) * 0.1f;
    return m;
}

struct RoundTrip {
    ImportedModel back;
    std::string bytes;
    ox::ModelProto proto;
};

RoundTrip round_trip(const Model& m, const ExportOptions& o) {
    RoundTrip r;
    auto bytes = export_onnx(m, o);
    EXPECT_TRUE(bytes.ok()) << bytes.status().message();
    if (!bytes.ok()) return r;
    r.bytes = *bytes;
    auto back = import_onnx(r.bytes);
    EXPECT_TRUE(back.ok()) << back.status().message();
    if (back.ok()) r.back = *back;
    r.proto = *ox::parse_model(r.bytes);
    return r;
}

int count_ops(const ox::ModelProto& p, const std::string& op) {
    int n = 0;
    for (const auto& node : p.graph.node) n += node.op_type == op;
    return n;
}

// The imported model predicts bit for bit what the original does at the same formats, holds
// exactly the quantized weights, and gives back the formats.
void expect_same(const Model& m, const EvalOptions& formats, const RoundTrip& r, const Dataset& d) {
    ASSERT_EQ(r.back.model.layers.size(), m.layers.size());
    EXPECT_TRUE(
        same_bits(predict_scores(m, d, formats), predict_scores(r.back.model, d, r.back.eval())));
    for (std::size_t l = 0; l < m.layers.size(); ++l) {
        EXPECT_EQ(r.back.model.layers[l].kind, m.layers[l].kind);
        EXPECT_EQ(r.back.model.layers[l].activation, m.layers[l].activation);
        EXPECT_EQ(r.back.model.layers[l].bias, m.layers[l].bias);
    }
}

TEST(OnnxRoundTrip, FloatModelsComeBackBitForBit) {
    const Model m = test_cnn();
    const Dataset d = rows(20, 100, 3);
    ExportOptions o;
    o.output = OutputMeaning::softmax;
    const RoundTrip r = round_trip(m, o);
    expect_same(m, {}, r, d);
    for (std::size_t l = 0; l < m.layers.size(); ++l)
        EXPECT_EQ(r.back.model.layers[l].weight, m.layers[l].weight);
    EXPECT_FALSE(r.back.quantized());
    EXPECT_EQ(r.back.output, OutputMeaning::softmax);
    EXPECT_EQ(r.proto.opset_import[0].version, 13);
    EXPECT_EQ(count_ops(r.proto, "DequantizeLinear"), 0);
    EXPECT_EQ(model_to_json(r.back.model), model_to_json(m));
}

TEST(OnnxRoundTrip, Int8PerChannelWeightsAndActivationsAsRealQdq) {
    const Model m = test_cnn();
    const Dataset d = rows(30, 100, 4);
    CalibrationOptions c;
    c.per_channel = true;
    const EvalOptions cal = *calibrate_model(m, d, c);
    ExportOptions o;
    o.formats = cal;
    const RoundTrip r = round_trip(m, o);
    expect_same(m, cal, r, d);
    for (std::size_t l = 0; l < m.layers.size(); ++l) {
        EXPECT_EQ(r.back.layers[l].weight_rows, cal.layers[l].weight_rows) << l;
        if (l + 1 < m.layers.size()) {
            EXPECT_EQ(r.back.layers[l].activations, cal.layers[l].activations) << l;
        }
    }
    EXPECT_EQ(count_ops(r.proto, "DequantizeLinear"), 3 + 3 + 0);  // 3 weights, 3 activations
    EXPECT_EQ(count_ops(r.proto, "QuantizeLinear"), 3);
    EXPECT_EQ(r.proto.opset_import[0].version, 13);
    // Without the lab's metadata the QDQ pairs alone give the same grids (narrow=1 is the one
    // thing a grid of codes -127..127 cannot show).
    ox::ModelProto bare = r.proto;
    bare.metadata_props.clear();
    const std::string bare_bytes = ox::serialize_model(bare);
    auto plain = import_onnx(bare_bytes);
    ASSERT_TRUE(plain.ok()) << plain.status().message();
    EXPECT_TRUE(
        same_bits(predict_scores(m, d, cal), predict_scores(plain->model, d, plain->eval())));
    EXPECT_EQ(plain->layers[0].weight_rows[0] + ",narrow=1", cal.layers[0].weight_rows[0]);
}

TEST(OnnxRoundTrip, EveryKindOfFormat) {
    const Model m = test_cnn();
    const Dataset d = rows(20, 100, 5);
    struct Case {
        std::string weights, activations;
        int opset;
        int dq;  // DequantizeLinear nodes expected
        const char* why;
    };
    const Case cases[] = {
        {"int:b=4,group=8", "", 21, 3, "int4 blocked along each row, opset 21"},
        {"int:b=4,group=8,asym=1", "", 21, 3, "uint4 blocked with zero points"},
        {"fp8:e4m3", "", 19, 3, "FP8 weights"},
        {"fp8:e5m2", "fp8:e4m3,sat=1", 19, 3 + 3, "FP8 weights and activations"},
        {"int:b=8,scale=0.0078125", "fixed:w=6,f=4", 13, 3 + 3, "a 6-bit grid: int8 + Clip"},
        {"int:b=4,scale=0.0625", "ufixed:w=8,f=6", 21, 3 + 3, "int4 per tensor, uint8 acts"},
        {"ternary:alpha=0.1", "float:e=5,m=10", 13, 0, "float initializers; Cast to fp16"},
        {"fixed:w=12,f=10", "", 13, 0, "a grid wider than int8: float initializers"},
    };
    for (const Case& c : cases) {
        EvalOptions e;
        e.roles.weights = c.weights, e.roles.activations = c.activations;
        ExportOptions o;
        o.formats = e;
        const RoundTrip r = round_trip(m, o);
        SCOPED_TRACE(c.why);
        expect_same(m, e, r, d);
        EXPECT_EQ(r.proto.opset_import[0].version, c.opset);
        EXPECT_EQ(count_ops(r.proto, "DequantizeLinear"), c.dq);
        for (std::size_t l = 0; l < m.layers.size(); ++l) {
            if (m.layers[l].has_weights()) {
                EXPECT_EQ(r.back.layers[l].weights, c.weights) << l;
            }
            if (l + 1 < m.layers.size()) {
                EXPECT_EQ(r.back.layers[l].activations, c.activations);
            }
        }
        // The weights are exactly the quantized ones.
        const Format f = *Format::parse(c.weights);
        for (std::size_t l = 0; l < m.layers.size(); ++l) {
            if (!m.layers[l].has_weights()) continue;
            Matrix q = m.layers[l].weight;
            f.quantize_rows(q.data(), q.data(), static_cast<std::size_t>(q.rows()),
                            static_cast<std::size_t>(q.cols()));
            EXPECT_EQ(r.back.model.layers[l].weight, q) << l;
        }
    }
}

TEST(OnnxRoundTrip, InputOutputFormatsAndImportedQdqGoBackOut) {
    auto qdq = import_onnx_file(fixture_path("qdq_int8.onnx"));
    ASSERT_TRUE(qdq.ok()) << qdq.status().message();
    ExportOptions o;
    o.formats = qdq->eval();
    o.input_format = qdq->input_format;
    o.output_format = "int:b=8,scale=0.0625";
    const RoundTrip r = round_trip(qdq->model, o);
    EXPECT_EQ(r.back.input_format, qdq->input_format);
    EXPECT_EQ(r.back.output_format, "int:b=8,scale=0.0625");
    EXPECT_EQ(r.back.layers[0].weight_rows, qdq->layers[0].weight_rows);
    EXPECT_EQ(r.back.layers[0].activations, qdq->layers[0].activations);
}

TEST(OnnxExport, RefusesWhatOnnxCannotHold) {
    const Model m = test_cnn();
    ExportOptions o;
    o.formats.roles.activations = "ternary:alpha=1";
    EXPECT_NE(export_onnx(m, o).status().message().find(
                  "layer 1 activations 'ternary:alpha=1': ONNX has no operator that rounds to "
                  "this format"),
              std::string::npos);
    o.formats.roles.activations = "int:b=8,scale=0.1";  // 0.1 is no float32
    EXPECT_NE(export_onnx(m, o).status().message().find("is not a float32 number"),
              std::string::npos);
    o = {};
    o.formats.roles.weights = "int:b=4,group=8";
    o.opset = 13;
    EXPECT_NE(export_onnx(m, o).status().message().find(
                  "opset 13 cannot express these formats: 4-bit and blocked ints need opset 21"),
              std::string::npos);
    o.opset = 22;
    EXPECT_NE(export_onnx(m, o).status().message().find("opset 22 is not supported"),
              std::string::npos);
    // A weight format ONNX has no type for is written as float values, and said so.
    std::vector<std::string> notes;
    ExportOptions t;
    t.formats.roles.weights = "lattice:range=1,points=9";
    ASSERT_TRUE(export_onnx(m, t, &notes).ok());
    ASSERT_EQ(notes.size(), 3u);
    EXPECT_NE(notes[0].find("float32 initializers holding exactly the quantized values"),
              std::string::npos);
}

// ---- what other tools write -----------------------------------------------------------------

TEST(OnnxImport, FakeQuantizedWeightsAndTransposedMatMul) {
    // A Gemm whose weight is QuantizeLinear -> DequantizeLinear of a float initializer (per
    // tensor, int8), and a MatMul whose weight is a transposed constant.
    std::vector<float> w = {0.11f, -0.52f, 0.3f, 0.9f, -0.01f, 0.25f};  // 2 x 3
    ox::ModelProto p = graph_model(
        {node("QuantizeLinear", {"w", "s", "z"}, {"wq"}),
         node("DequantizeLinear", {"wq", "s", "z"}, {"wd"}),
         node("Gemm", {"input", "wd"}, {"h"}, "fc1"), node("Transpose", {"w2"}, {"w2t"}),
         node("MatMul", {"h", "w2t"}, {"output"}, "fc2")},
        {ox::float_tensor("w", {2, 3}, w), ox::float_tensor("s", {}, {0.125f}),
         ox::code_tensor("z", ox::kInt8, {}, {0}),
         ox::float_tensor("w2", {4, 2}, {1, 2, 3, 4, 5, 6, 7, 8})},
        3, 4);
    attr_int(p.graph.node[2], "transB", 1);
    auto m = import_onnx(ox::serialize_model(p));
    ASSERT_TRUE(m.ok()) << m.status().message();
    EXPECT_EQ(m->layers[0].weights, "int:b=8,scale=0.125");
    EXPECT_EQ(m->model.layers[0].weight,
              (Matrix(2, 3) << 0.125f, -0.5f, 0.25f, 0.875f, 0, 0.25f).finished());
    EXPECT_EQ(m->model.layers[1].weight, (Matrix(4, 2) << 1, 2, 3, 4, 5, 6, 7, 8).finished());
}

TEST(OnnxImport, LimitsAndTheFileSizeCheck) {
    OnnxImportOptions small;
    small.max_parameters = 1000;
    auto r = import_onnx_file(fixture_path("mlp_relu.onnx"), small);
    EXPECT_NE(r.status().message().find("beyond the lab's limit of 1000"), std::string::npos)
        << r.status().message();
    const std::string big = testing::TempDir() + "/big.onnx";
    {
        std::ofstream out(big, std::ios::binary);
        out.seekp(static_cast<std::streamoff>(kMaxOnnxBytes));
        out.put('\0');
    }
    EXPECT_NE(import_onnx_file(big).status().message().find(
                  "more than the lab's limit of 64 MB (refused before reading)"),
              std::string::npos);
    std::remove(big.c_str());
    // load_model takes .onnx as every --model does.
    auto loaded = load_model(fixture_path("cnn_gap.onnx"));
    ASSERT_TRUE(loaded.ok()) << loaded.status().message();
    EXPECT_EQ(loaded->layers.size(), 8u);
}

}  // namespace
}  // namespace qlab
