// Formats panel: a format's atoms on a number line, where a value lands and its error, the bits
// of the stored value, and the facts a learner needs (Cherkhev §2; delta is his eq. 1).
// Sections: helpers and the spec draft; controls; the number line; the layout of the views
// (bits, facts, 2-D atoms and blocks are drawn by formats_details.cpp); the panel.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "app.hpp"
#include "formats_details.hpp"
#include "formats_view.hpp"
#include "imgui.h"
#include "ui/widgets.hpp"

namespace quantlab {
namespace {

using qlab::shortest_repr;

FormatsView* g_view = nullptr;  // the panel being drawn
FormatsView& fv() {
    return *g_view;
}

const char* const kKinds[] = {"fixed",  "ufixed",  "float",    "lattice",  "int",
                              "binary", "ternary", "codebook", "bfp",      "fp8",
                              "fp6",    "fp4",     "e8m0",     "mxfp8",    "mxfp6",
                              "mxfp4",  "mxint8",  "nvfp4",    "int group"};
constexpr int kKindCount = 19;
enum Kind {
    kFixed,
    kUfixed,
    kFloat,
    kLattice,
    kInt,
    kBinary,
    kTernary,
    kCodebook,
    kBfp,
    kFp8,
    kFp6,
    kFp4,
    kE8m0,
    kMxfp8,
    kMxfp6,
    kMxfp4,
    kMxint8,
    kNvfp4,
    kIntGroup
};
const char* const kKindHelp[] = {
    "two's complement fixed point: w bits with f fraction bits, atoms k*2^-f",
    "unsigned fixed point: atoms k*2^-f for k = 0 .. 2^w - 1",
    "IEEE-754-style binary floating point with E exponent and M fraction bits",
    "Cherkhev's regular lattice: P evenly spaced atoms from -R to +R (his section 4.1)",
    "affine integer, as int8 toolkits use: atoms scale * (k - zero) for b-bit codes k",
    "sign(x) * alpha; without alpha, alpha* = mean |w| is fitted per tensor or block",
    "{-alpha, 0, +alpha} with threshold T (Kundu 2017); without alpha, (alpha*, T*) of his eq. 7 "
    "are fitted",
    "any list of atoms, nearest one wins; or k atoms from 1-D k-means on the data (Cherkhev's "
    "Fig. 3 clusters whole 2-D examples per class instead)",
    "block floating point: a block of N values shares one exponent, each keeps a w-bit mantissa",
    "OCP FP8 (OFP8): E4M3 (no infinity, max 448, one NaN per sign) or E5M2 (IEEE-like, max 57344)",
    "OCP MX FP6: E2M3 (max 7.5) or E3M2 (max 28); no infinity or NaN, overflow saturates",
    "OCP MX FP4 E2M1: 0, 0.5, 1, 1.5, 2, 3, 4, 6 and their negatives; saturates at 6",
    "E8M0, the MX scale type: powers of two 2^-127 .. 2^127 and one NaN code",
    "MXFP8 (MX v1.0): blocks of 32 FP8 elements share one E8M0 power-of-two scale",
    "MXFP6 (MX v1.0): blocks of 32 FP6 elements share one E8M0 power-of-two scale",
    "MXFP4 (MX v1.0): blocks of 32 FP4 E2M1 elements share one E8M0 power-of-two scale",
    "MXINT8 (MX v1.0): blocks of 32 8-bit integers times 2^-6 share one E8M0 scale",
    "NVFP4: blocks of 16 FP4 E2M1 elements with an FP8 E4M3 scale, and an FP32 scale per tensor",
    "group-wise integers (GPTQ/AWQ style): b-bit codes, an FP16 scale (and zero point) per group "
    "of G",
};

using namespace formats;  // the colours shared with formats_details.cpp

// The widget values behind the spec; rebuilt from the state's spec whenever that changes.
struct Draft {
    int kind = kFixed;
    int w = 8, f = 4;
    bool wrap = false;
    int e = 5, m = 10;
    bool sub = true, sat = false;
    float range = 1;
    int points = 16;
    int b = 8, zero = 0;
    float scale = 0.05f;
    bool is_signed = true, narrow = false;
    bool fitted = true;  // binary/ternary: alpha (and T) from the data
    float alpha = 1, threshold = 0.5f;
    int block = 0;  // 0: per tensor
    bool kmeans = false;
    int k = 8;
    char values[256] = "-1;-0.5;-0.25;0;0.25;0.5;1";
    int bfp_w = 8, bfp_block = 16;
    int variant = 0;    // fp8/mxfp8: e4m3, e5m2; fp6/mxfp6: e2m3, e3m2
    int mx_block = 32;  // MX block size
    int group = 128, group_b = 4;
    bool asym = false;
    std::string from_spec;

    void load(const std::string& spec) {
        from_spec = spec;
        const std::size_t colon = spec.find(':');
        const std::string kind_name = spec.substr(0, colon);
        for (int i = 0; i < kKindCount; ++i)
            if (kind_name == kKinds[i]) kind = i;
        if (kind_name == "int" && spec.find("group=") != std::string::npos) kind = kIntGroup;
        wrap = false, sub = true, sat = false, zero = 0, is_signed = true, narrow = false;
        fitted = true, block = 0, kmeans = false, variant = 0, mx_block = 32, asym = false;
        bool has_threshold = false;
        std::string rest = colon == std::string::npos ? "" : spec.substr(colon + 1);
        while (!rest.empty()) {
            const std::size_t comma = rest.find(',');
            const std::string item = rest.substr(0, comma);
            rest = comma == std::string::npos ? "" : rest.substr(comma + 1);
            const std::size_t eq = item.find('=');
            if (eq == std::string::npos) {  // a positional element type: fp8:e5m2, mxfp6:e3m2
                variant = (item == "e5m2" || item == "e3m2") ? 1 : 0;
                continue;
            }
            const std::string key = item.substr(0, eq), value = item.substr(eq + 1);
            const double v = std::atof(value.c_str());
            if (key == "w") (kind == kBfp ? bfp_w : w) = static_cast<int>(v);
            if (key == "f") f = static_cast<int>(v);
            if (key == "overflow") wrap = value == "wrap";
            if (key == "e") e = static_cast<int>(v);
            if (key == "m") m = static_cast<int>(v);
            if (key == "sub") sub = value != "0";
            if (key == "sat") sat = value == "1";
            if (key == "range") range = static_cast<float>(v);
            if (key == "points") points = static_cast<int>(v);
            if (key == "b") (kind == kIntGroup ? group_b : b) = static_cast<int>(v);
            if (key == "group") group = static_cast<int>(v);
            if (key == "asym") asym = value == "1";
            if (key == "scale") scale = static_cast<float>(v);
            if (key == "zero") zero = static_cast<int>(v);
            if (key == "signed") is_signed = value != "0";
            if (key == "narrow") narrow = value == "1";
            if (key == "alpha") alpha = static_cast<float>(v), fitted = false;
            if (key == "threshold") threshold = static_cast<float>(v), has_threshold = true;
            if (key == "block")
                (kind == kBfp     ? bfp_block
                 : kind >= kMxfp8 ? mx_block
                                  : block) = static_cast<int>(v);
            if (key == "kmeans") kmeans = true, k = static_cast<int>(v);
            if (key == "values") std::snprintf(values, sizeof values, "%s", value.c_str());
        }
        if (!fitted && !has_threshold) threshold = alpha / 2;
    }

    std::string spec() const {
        char buf[400];
        auto num = [](float v) { return shortest_repr(static_cast<double>(v)); };
        switch (kind) {
            case kFixed:
            case kUfixed:
                std::snprintf(buf, sizeof buf, "%s:w=%d,f=%d%s", kKinds[kind], w, f,
                              wrap ? ",overflow=wrap" : "");
                break;
            case kFloat:
                std::snprintf(buf, sizeof buf, "float:e=%d,m=%d%s%s", e, m, sub ? "" : ",sub=0",
                              sat ? ",sat=1" : "");
                break;
            case kLattice:
                std::snprintf(buf, sizeof buf, "lattice:range=%s,points=%d", num(range).c_str(),
                              points);
                break;
            case kInt:
                std::snprintf(buf, sizeof buf, "int:b=%d,scale=%s%s%s%s", b, num(scale).c_str(),
                              zero ? (",zero=" + std::to_string(zero)).c_str() : "",
                              is_signed ? "" : ",signed=0", narrow && is_signed ? ",narrow=1" : "");
                break;
            case kBinary:
            case kTernary:
                if (fitted) {
                    std::snprintf(buf, sizeof buf, "%s%s", kKinds[kind],
                                  block ? (":block=" + std::to_string(block)).c_str() : "");
                } else if (kind == kTernary) {
                    std::snprintf(buf, sizeof buf, "ternary:alpha=%s,threshold=%s",
                                  num(alpha).c_str(), num(threshold).c_str());
                } else {
                    std::snprintf(buf, sizeof buf, "binary:alpha=%s", num(alpha).c_str());
                }
                break;
            case kCodebook:
                if (kmeans)
                    std::snprintf(buf, sizeof buf, "codebook:kmeans=%d", k);
                else
                    std::snprintf(buf, sizeof buf, "codebook:values=%s", values);
                break;
            case kFp8:
                std::snprintf(buf, sizeof buf, "fp8:%s%s", variant ? "e5m2" : "e4m3",
                              sat ? ",sat=1" : "");
                break;
            case kFp6:
                std::snprintf(buf, sizeof buf, "fp6:%s", variant ? "e3m2" : "e2m3");
                break;
            case kFp4:
                std::snprintf(buf, sizeof buf, "fp4:e2m1");
                break;
            case kE8m0:
                std::snprintf(buf, sizeof buf, "e8m0");
                break;
            case kMxfp8:
            case kMxfp6:
            case kMxfp4:
            case kMxint8: {
                std::string s = kKinds[kind];
                if (kind == kMxfp8) s += variant ? ":e5m2" : ":e4m3";
                if (kind == kMxfp6) s += variant ? ":e3m2" : ":e2m3";
                if (mx_block != 32)
                    s += std::string(s.find(':') == std::string::npos ? ":" : ",") +
                         "block=" + std::to_string(mx_block);
                std::snprintf(buf, sizeof buf, "%s", s.c_str());
                break;
            }
            case kNvfp4:
                std::snprintf(buf, sizeof buf, "nvfp4");
                break;
            case kIntGroup:
                std::snprintf(buf, sizeof buf, "int:b=%d,group=%d%s", group_b, group,
                              asym ? ",asym=1" : "");
                break;
            default:
                std::snprintf(buf, sizeof buf, "bfp:w=%d,block=%d", bfp_w, bfp_block);
        }
        return buf;
    }
};

void draw_controls(App& app, Draft& draft, const UiScale& ui) {
    const qlab::LabState& s = app.state();
    if (draft.from_spec != s.format) draft.load(s.format);
    Draft before = draft;

    ImGui::TextUnformatted("Format");
    {
        widgets::Lock lock_format(app, "format");  // embed pages can fix the format (hide=format)
        ImGui::Combo("kind", &draft.kind, kKinds, kKindCount);
        widgets::help_marker(kKindHelp[draft.kind]);
        switch (draft.kind) {
            case kFixed:
            case kUfixed:
                ImGui::SliderInt("w (bits)", &draft.w, draft.kind == kFixed ? 2 : 1, 32);
                ImGui::SliderInt("f (fraction bits)", &draft.f, -8, 32);
                ImGui::Checkbox("wrap on overflow", &draft.wrap);
                widgets::help_marker(
                    "Off: values beyond the range saturate to the nearest end. On: the integer "
                    "code wraps around modulo 2^w, as plain integer hardware does.");
                break;
            case kFloat:
                ImGui::SliderInt("E (exponent bits)", &draft.e, 2, 11);
                ImGui::SliderInt("M (fraction bits)", &draft.m, 0, 23);
                ImGui::Checkbox("subnormals", &draft.sub);
                widgets::help_marker(
                    "Off (sub=0): the atoms between 0 and the smallest normal are removed, as "
                    "in Cherkhev's float lattices; values there round to 0 or the smallest "
                    "normal.");
                ImGui::SameLine();
                ImGui::Checkbox("saturate", &draft.sat);
                widgets::help_marker("On (sat=1): overflow gives +-max finite instead of +-inf.");
                if (ImGui::SmallButton("binary16"))
                    draft.e = 5, draft.m = 10, draft.sub = true, draft.sat = false;
                ImGui::SameLine();
                if (ImGui::SmallButton("bfloat16"))
                    draft.e = 8, draft.m = 7, draft.sub = true, draft.sat = false;
                ImGui::SameLine();
                if (ImGui::SmallButton("fp8 e4m3")) draft.e = 4, draft.m = 3;
                ImGui::SameLine();
                if (ImGui::SmallButton("fp8 e5m2")) draft.e = 5, draft.m = 2;
                break;
            case kLattice:
                ImGui::SliderFloat("R (range)", &draft.range, 0.01f, 100.0f, "%.3g",
                                   ImGuiSliderFlags_Logarithmic);
                ImGui::SliderInt("P (points)", &draft.points, 2, 1024, "%d",
                                 ImGuiSliderFlags_Logarithmic);
                break;
            case kInt:
                ImGui::SliderInt("b (bits)", &draft.b, draft.is_signed ? 2 : 1, 16);
                ImGui::SliderFloat("scale", &draft.scale, 1e-4f, 10.0f, "%.4g",
                                   ImGuiSliderFlags_Logarithmic);
                ImGui::InputInt("zero point", &draft.zero);
                ImGui::Checkbox("signed", &draft.is_signed);
                ImGui::SameLine();
                ImGui::Checkbox("narrow range", &draft.narrow);
                widgets::help_marker(
                    "Narrow drops the most negative code (-127..127 for 8 bits), so the range is "
                    "symmetric.");
                break;
            case kBinary:
            case kTernary:
                ImGui::Checkbox("fit alpha to the data", &draft.fitted);
                widgets::help_marker(
                    draft.kind == kTernary
                        ? "Kundu eq. 7: alpha* is the mean |w| over the weights kept, and T* the "
                          "threshold that maximises (sum |w|)^2 / count. Here the data is a N(0,1) "
                          "sample."
                        : "alpha* = mean |w| minimises ||w - alpha sign(w)||^2.");
                if (draft.fitted) {
                    ImGui::SliderInt("block N (0: tensor)", &draft.block, 0, 256);
                    widgets::help_marker(
                        "Fine-grained quantization: each block of N values gets its own alpha.");
                } else {
                    ImGui::SliderFloat("alpha", &draft.alpha, 0.01f, 10.0f, "%.3g",
                                       ImGuiSliderFlags_Logarithmic);
                    if (draft.kind == kTernary)
                        ImGui::SliderFloat("threshold T", &draft.threshold, 0.0f, draft.alpha,
                                           "%.3g");
                }
                break;
            case kCodebook:
                ImGui::Checkbox("learn by k-means", &draft.kmeans);
                if (draft.kmeans)
                    ImGui::SliderInt("k atoms", &draft.k, 2, 64);
                else
                    ImGui::InputText("values (;)", draft.values, sizeof draft.values);
                break;
            case kFp8:
            case kMxfp8: {
                const char* types[] = {"E4M3", "E5M2"};
                ImGui::Combo("element", &draft.variant, types, 2);
                if (draft.kind == kFp8) {
                    ImGui::Checkbox("saturate", &draft.sat);
                    widgets::help_marker(
                        "OFP8 §5: by default overflow (and E4M3's +-inf) becomes NaN (E4M3) or "
                        "+-inf (E5M2); sat=1 clamps to +-max.");
                }
                break;
            }
            case kFp6:
            case kMxfp6: {
                const char* types[] = {"E2M3", "E3M2"};
                ImGui::Combo("element", &draft.variant, types, 2);
                break;
            }
            case kFp4:
            case kE8m0:
            case kMxfp4:
            case kMxint8:
            case kNvfp4:
                break;
            case kIntGroup:
                ImGui::SliderInt("b (bits)", &draft.group_b, 2, 8);
                ImGui::SliderInt("group G", &draft.group, 1, 256, "%d",
                                 ImGuiSliderFlags_Logarithmic);
                ImGui::Checkbox("asymmetric (zero point)", &draft.asym);
                widgets::help_marker(
                    "Symmetric: scale = max|x| / (2^(b-1) - 1), codes -(2^(b-1)-1) .. 2^(b-1)-1. "
                    "Asymmetric: scale = (max - min) / (2^b - 1) over a range that holds 0, and a "
                    "b-bit zero point. The scale is stored in FP16.");
                break;
            default:
                ImGui::SliderInt("w (mantissa bits)", &draft.bfp_w, 2, 16);
                ImGui::SliderInt("block N", &draft.bfp_block, 1, 256);
                break;
        }
        if (draft.kind >= kMxfp8 && draft.kind <= kMxint8) {
            ImGui::SliderInt("block k", &draft.mx_block, 1, 256, "%d",
                             ImGuiSliderFlags_Logarithmic);
            widgets::help_marker("MX v1.0 uses k = 32: 32 elements share one 8-bit E8M0 scale.");
        }
        const std::string spec = draft.spec();
        if (spec != before.spec()) {
            if (!app.set("format", spec)) draft = before;
            draft.from_spec = app.state().format;
        }

        // The spec as text: the same syntax as the CLI and the URL.
        static char spec_buf[256] = "";
        static std::string spec_error;
        static std::string shown_spec;
        if (!ImGui::IsAnyItemActive() || shown_spec != s.format) {
            if (shown_spec != s.format) spec_error.clear();
            std::snprintf(spec_buf, sizeof spec_buf, "%s", s.format.c_str());
            shown_spec = s.format;
        }
        if (ImGui::InputText("spec", spec_buf, sizeof spec_buf,
                             ImGuiInputTextFlags_EnterReturnsTrue)) {
            qlab::Status st = app.set("format", spec_buf);
            spec_error = st.ok() ? "" : st.message();
        }
        widgets::help_marker(
            "Type any format spec and press Enter, e.g. fixed:w=6,f=3 or float:e=4,m=3,sub=0. "
            "A bad spec is explained here and the lab keeps the last good format.");
        if (!spec_error.empty()) {
            ImGui::PushStyleColor(ImGuiCol_Text, ImVec4(0.75f, 0.1f, 0.1f, 1));
            ImGui::TextWrapped("%s", spec_error.c_str());
            ImGui::PopStyleColor();
        }
    }

    ImGui::Spacing();
    ImGui::TextUnformatted("Rounding");
    widgets::Lock lock_rounding(app, "rounding");
    int mode_index = 0;
    const auto& modes = qlab::all_roundings();
    for (std::size_t i = 0; i < modes.size(); ++i)
        if (modes[i] == fv().rounding()) mode_index = static_cast<int>(i);
    const char* mode_labels[] = {"rne: nearest, ties to even", "rna: nearest, ties away",
                                 "rtz: toward zero",           "up: toward +inf",
                                 "down: toward -inf",          "stochastic"};
    if (ImGui::Combo("mode", &mode_index, mode_labels, 6))
        app.set("rounding", qlab::rounding_name(modes[static_cast<std::size_t>(mode_index)]));
    if (fv().rounding() == qlab::Rounding::stochastic) {
        int seed = static_cast<int>(s.seed);
        if (ImGui::InputInt("seed", &seed)) app.set("seed", std::to_string(seed));
        widgets::help_marker(
            "Stochastic rounding picks the upper neighbour with probability "
            "(x - lo) / (hi - lo), so it is unbiased on average; the seed makes it repeatable.");
    }

    lock_rounding.release();
    ImGui::Spacing();
    ImGui::TextUnformatted("Value");
    widgets::Lock lock_x(app, "x");
    double x = s.x;
    if (ImGui::InputDouble("x", &x, 0, 0, "%.10g", ImGuiInputTextFlags_EnterReturnsTrue))
        app.set("x", shortest_repr(x));
    float xf = static_cast<float>(s.x);
    if (ImGui::SliderFloat("##xslider", &xf, static_cast<float>(s.lo), static_cast<float>(s.hi),
                           "drag x"))
        app.set("x", shortest_repr(static_cast<double>(xf)));
    if (ImGui::Button("< atom")) fv().step_atoms(app, -1);
    ImGui::SameLine();
    if (ImGui::Button("atom >")) fv().step_atoms(app, 1);
    widgets::help_marker(
        "Move x to the next atom below or above: the atoms are exactly the values the "
        "format stores.");

    lock_x.release();
    ImGui::Spacing();
    ImGui::TextUnformatted("Number line");
    widgets::Lock lock_range(app, "lo");
    double lo = s.lo, hi = s.hi;
    ImGui::SetNextItemWidth(ImGui::GetContentRegionAvail().x * 0.3f);
    const bool lo_changed =
        ImGui::InputDouble("lo", &lo, 0, 0, "%.6g", ImGuiInputTextFlags_EnterReturnsTrue);
    ImGui::SameLine();
    ImGui::SetNextItemWidth(ImGui::GetContentRegionAvail().x * 0.45f);
    const bool hi_changed =
        ImGui::InputDouble("hi", &hi, 0, 0, "%.6g", ImGuiInputTextFlags_EnterReturnsTrue);
    if (lo_changed) app.set("lo", shortest_repr(lo));
    if (hi_changed) app.set("hi", shortest_repr(hi));
    if (ImGui::Button("Fit the format's range")) {
        const double top = std::min(fv().format().max_finite(), 1e12);
        const double bottom = std::max(fv().format().min_finite(), -1e12);
        const double pad = (top - bottom) * 0.05;
        app.set_values({{"lo", shortest_repr(bottom - pad)}, {"hi", shortest_repr(top + pad)}});
    }
    ImGui::SameLine();
    if (ImGui::Button("Zoom on x")) {
        const double step = std::max(fv().format().step_at(s.x), 1e-300);
        app.set_values(
            {{"lo", shortest_repr(s.x - 6 * step)}, {"hi", shortest_repr(s.x + 6 * step)}});
    }
    ImGui::TextDisabled("Scroll on the line to zoom, drag to move x.");
    (void)ui;
}

// "Nice" label spacing: 1, 2 or 5 times a power of ten.
void draw_number_line(App& app, const UiScale& ui) {
    const qlab::LabState& s = app.state();
    const qlab::Format& f = fv().format();
    ImDrawList* dl = ImGui::GetWindowDrawList();
    const ImVec2 p0 = ImGui::GetCursorScreenPos();
    const float width = std::max(ImGui::GetContentRegionAvail().x, 100.0f);
    const float height = 150 * ui.dpr;
    ImGui::InvisibleButton("numberline", ImVec2(width, height));
    app.record_view("number_line", p0.x, p0.y, width, height, ui.dpr);
    const bool hovered = ImGui::IsItemHovered(), active = ImGui::IsItemActive();
    dl->AddRectFilled(p0, ImVec2(p0.x + width, p0.y + height), IM_COL32(255, 255, 255, 255),
                      4 * ui.dpr);

    const float pad = 16 * ui.dpr;
    const double lo = s.lo, hi = s.hi;
    const double units_per_px = (hi - lo) / (width - 2 * pad);
    auto to_px = [&](double v) { return p0.x + pad + static_cast<float>((v - lo) / units_per_px); };
    auto to_value = [&](float px) { return lo + (px - p0.x - pad) * units_per_px; };
    const float axis_y = p0.y + height * 0.58f;
    const float tick = 9 * ui.dpr;

    ImGuiIO& io = ImGui::GetIO();
    if (active) {
        const double v = std::clamp(to_value(io.MousePos.x), lo, hi);
        if (v != s.x) app.set("x", shortest_repr(v));
    }
    if (hovered && io.MouseWheel != 0) {
        const double factor = std::pow(0.85, static_cast<double>(io.MouseWheel));
        const double center = to_value(io.MousePos.x);
        const double new_lo = center - (center - lo) * factor,
                     new_hi = center + (hi - center) * factor;
        if (new_hi - new_lo > 1e-12 * std::max(1.0, std::fabs(center)) && new_hi - new_lo < 1e300) {
            app.set_values({{"lo", shortest_repr(new_lo)}, {"hi", shortest_repr(new_hi)}});
        }
    }

    dl->PushClipRect(p0, ImVec2(p0.x + width, p0.y + height), true);
    dl->AddLine(ImVec2(p0.x + pad * 0.5f, axis_y), ImVec2(p0.x + width - pad * 0.5f, axis_y),
                kAxisColor, 1.5f * ui.dpr);

    // Labels at round numbers below the axis.
    const double label_step = widgets::nice_step(hi - lo, static_cast<int>(width / (110 * ui.dpr)));
    for (double v = std::ceil(lo / label_step) * label_step; v <= hi; v += label_step) {
        const double shown = std::fabs(v) < label_step * 1e-9 ? 0.0 : v;
        const float px = to_px(shown);
        dl->AddLine(ImVec2(px, axis_y + tick + 2 * ui.dpr), ImVec2(px, axis_y + tick + 6 * ui.dpr),
                    kAxisColor);
        char buf[32];
        std::snprintf(buf, sizeof buf, "%.6g", shown);
        const ImVec2 size = ImGui::CalcTextSize(buf);
        dl->AddText(ImVec2(px - size.x / 2, axis_y + tick + 8 * ui.dpr), kAxisColor, buf);
    }

    // Atoms: one tick each where they are at least a pixel apart, a solid band where denser.
    double v = f.quantize_ref(lo, qlab::Rounding::up);
    if (v < lo) v = f.next_up(lo);
    const int max_iterations = static_cast<int>(width) * 4 + 16;
    for (int guard = 0; std::isfinite(v) && v <= hi && guard < max_iterations; ++guard) {
        const float px = to_px(v);
        const double gap = f.step_at(v);
        if (gap > 0 && gap < units_per_px) {
            dl->AddLine(ImVec2(px, axis_y - tick), ImVec2(px, axis_y + tick), kDenseColor, ui.dpr);
            double next = f.quantize_ref(to_value(px + ui.dpr), qlab::Rounding::up);
            if (!(next > v)) next = f.next_up(v);
            v = next;
        } else {
            dl->AddLine(ImVec2(px, axis_y - tick), ImVec2(px, axis_y + tick), kAtomColor,
                        1.5f * ui.dpr);
            v = f.next_up(v);
        }
    }

    // The value, its two neighbours, where it lands, and the error between.
    qlab::Rng rng(static_cast<std::uint64_t>(s.seed));
    const double q = f.quantize_ref(s.x, fv().rounding(), &rng);
    const qlab::Bracket b = f.bracket(s.x);
    if (b.lo != b.hi)
        for (double n : {b.lo, b.hi})
            if (n >= lo && n <= hi)
                dl->AddLine(ImVec2(to_px(n), axis_y - 2 * tick), ImVec2(to_px(n), axis_y + tick),
                            kNeighbourColor, 3 * ui.dpr);
    const float xpx = std::clamp(to_px(s.x), p0.x + 2, p0.x + width - 2);
    const float top = p0.y + 18 * ui.dpr;
    dl->AddTriangleFilled(ImVec2(xpx - 7 * ui.dpr, top), ImVec2(xpx + 7 * ui.dpr, top),
                          ImVec2(xpx, top + 12 * ui.dpr), kValueColor);
    dl->AddLine(ImVec2(xpx, top + 12 * ui.dpr), ImVec2(xpx, axis_y), kValueColor, 1.5f * ui.dpr);
    char label[96];
    std::snprintf(label, sizeof label, "x = %s", shortest_repr(s.x).c_str());
    const float label_w = ImGui::CalcTextSize(label).x;
    float label_x = std::clamp(xpx + 10 * ui.dpr, p0.x + 4, p0.x + width - label_w - 4);
    dl->AddText(ImVec2(label_x, p0.y + 4 * ui.dpr), kValueColor, label);
    if (std::isfinite(q)) {
        const float qpx = std::clamp(to_px(q), p0.x + 2, p0.x + width - 2);
        const float err_y = axis_y - 2.6f * tick;
        dl->AddLine(ImVec2(xpx, err_y), ImVec2(qpx, err_y), kErrorColor, 3 * ui.dpr);
        dl->AddCircleFilled(ImVec2(qpx, axis_y), 6 * ui.dpr, kQuantColor);
        std::snprintf(label, sizeof label, "q(x) = %s", shortest_repr(q).c_str());
        const float qw = ImGui::CalcTextSize(label).x;
        label_x = std::clamp(qpx - qw / 2, p0.x + 4, p0.x + width - qw - 4);
        dl->AddText(ImVec2(label_x, axis_y + tick + 26 * ui.dpr), kQuantColor, label);
    } else {
        std::snprintf(label, sizeof label, "q(x) = %s (overflow)", shortest_repr(q).c_str());
        dl->AddText(
            ImVec2(p0.x + width - ImGui::CalcTextSize(label).x - 6, axis_y + tick + 26 * ui.dpr),
            kErrorColor, label);
    }
    dl->PopClipRect();
}

void draw_view(App& app, const UiScale& ui) {
    ImGui::Text("%s", fv().format().to_string().c_str());
    ImGui::SameLine();
    ImGui::TextDisabled("atoms on [%s, %s]", shortest_repr(app.state().lo).c_str(),
                        shortest_repr(app.state().hi).c_str());
    if (!fv().fit_note().empty()) {
        ImGui::PushStyleColor(ImGuiCol_Text, ImVec4(0.35f, 0.35f, 0.55f, 1));
        ImGui::TextWrapped("%s", fv().fit_note().c_str());
        ImGui::PopStyleColor();
    }
    draw_number_line(app, ui);
    ImGui::Spacing();
    qlab::Rng rng(static_cast<std::uint64_t>(app.state().seed));
    const float avail = ImGui::GetContentRegionAvail().x;
    const float grid_side = std::min(avail * 0.42f, 330 * ui.dpr);
    const bool side_by_side = avail > 620 * ui.dpr;
    ImGui::BeginGroup();
    if (side_by_side) ImGui::PushItemWidth(avail - grid_side - 24 * ui.dpr);
    ImGui::BeginChild(
        "bits_facts",
        ImVec2(side_by_side ? avail - grid_side - 16 * ui.dpr : 0,
               side_by_side ? grid_side + ImGui::GetTextLineHeightWithSpacing() * 2 : 0),
        false, ImGuiWindowFlags_NoScrollbar);
    formats::draw_bits(fv().format(),
                       fv().format().quantize_ref(app.state().x, fv().rounding(), &rng), ui);
    ImGui::Spacing();
    formats::draw_facts(app, fv());
    ImGui::EndChild();
    if (side_by_side) ImGui::PopItemWidth();
    ImGui::EndGroup();
    if (side_by_side) ImGui::SameLine();
    ImGui::BeginGroup();
    ImGui::TextUnformatted("2-D atoms (Cherkhev Fig. 1)");
    widgets::help_marker(
        "Every dot is a point of A x A that the format can store exactly; a 2-D vector "
        "(x, y) is stored as the nearest dot under the rounding mode. Drag to move (x, y). "
        "Fixed point gives a regular lattice, floats a logarithmic one.");
    formats::draw_atom_grid(app, fv(), ui,
                            side_by_side ? grid_side : std::min(avail, 420 * ui.dpr));
    ImGui::EndGroup();
    formats::draw_block(fv());
}

class FormatsPanel final : public Panel {
  public:
    const char* key() const override { return "formats"; }
    const char* title() const override { return "Formats"; }
    const char* what_to_try() const override {
        return "Which numbers can a format store, and where does a value land? Try float e=4,m=3 "
               "and drag x far out.";
    }
    void on_state_changed(App& app, const std::vector<std::string>& keys) override {
        view_.on_state_changed(app, keys);
    }
    int step(App& app, int n) override { return view_.step_atoms(app, n); }
    nlohmann::json metrics(const App& app) const override { return view_.metrics(app); }
    void draw(App& app, const UiScale& ui) override {
        g_view = &view_;
        const float avail = ImGui::GetContentRegionAvail().x;
        const bool wide = avail > 760 * ui.dpr;
        if (wide) {
            const float controls_width = 360 * ui.dpr;
            ImGui::BeginChild("controls", ImVec2(controls_width, 0), false);
            ImGui::PushItemWidth(controls_width * 0.55f);
            draw_controls(app, draft_, ui);
            ImGui::PopItemWidth();
            ImGui::EndChild();
            ImGui::SameLine();
            ImGui::BeginChild("view", ImVec2(0, 0), false);
            draw_view(app, ui);
            ImGui::EndChild();
        } else {
            // Narrow screens: the lesson (number line) first, the controls below; the window
            // scrolls.
            draw_view(app, ui);
            ImGui::Separator();
            ImGui::PushItemWidth(avail * 0.6f);
            draw_controls(app, draft_, ui);
            ImGui::PopItemWidth();
        }
    }

  private:
    FormatsView view_;
    Draft draft_;
};

}  // namespace

QLAB_REGISTER_PANEL(FormatsPanel)

}  // namespace quantlab
