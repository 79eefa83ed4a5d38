// The Formats lesson's bits, facts, 2-D atoms and block views (see formats_details.hpp).
#include "formats_details.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "ui/widgets.hpp"

namespace quantlab::formats {

using qlab::shortest_repr;

void draw_bits(const qlab::Format& f, double q, const UiScale& ui) {
    const qlab::Encoding enc = f.encode(q);
    ImGui::TextUnformatted("Bits of q(x)");
    widgets::help_marker(
        "The stored bit pattern. Float: sign, biased exponent, fraction. Fixed point: "
        "the two's complement integer code k with q = k * 2^-f. Lattice: the atom index.");
    ImDrawList* dl = ImGui::GetWindowDrawList();
    const ImVec2 p0 = ImGui::GetCursorScreenPos();
    const float avail = ImGui::GetContentRegionAvail().x;
    const float cell =
        std::min(24 * ui.dpr, avail / static_cast<float>(std::max(enc.total_bits, 1)));
    const ImU32 field_colors[] = {IM_COL32(230, 90, 90, 255), IM_COL32(90, 170, 90, 255),
                                  IM_COL32(80, 130, 220, 255)};
    float x = p0.x;
    int bit = enc.total_bits - 1;
    for (std::size_t fi = 0; fi < enc.fields.size(); ++fi) {
        const qlab::BitField& field = enc.fields[fi];
        const ImU32 color =
            enc.fields.size() == 1 ? IM_COL32(130, 130, 150, 255) : field_colors[fi % 3];
        const float field_x = x;
        for (int i = field.width - 1; i >= 0; --i, --bit) {
            const bool one = (field.value >> i) & 1u;
            dl->AddRectFilled(ImVec2(x + 1, p0.y), ImVec2(x + cell - 1, p0.y + cell),
                              one ? color : IM_COL32(245, 245, 245, 255), 2);
            dl->AddRect(ImVec2(x + 1, p0.y), ImVec2(x + cell - 1, p0.y + cell), color, 2);
            const char* digit = one ? "1" : "0";
            const ImVec2 ds = ImGui::CalcTextSize(digit);
            if (cell > ds.x + 2)
                dl->AddText(ImVec2(x + (cell - ds.x) / 2, p0.y + (cell - ds.y) / 2),
                            one ? IM_COL32_WHITE : IM_COL32(60, 60, 60, 255), digit);
            x += cell;
        }
        // Narrow fields get their initial only ("s" for a 1-bit sign) so labels never collide.
        const float field_w = x - field_x;
        const std::string name = ImGui::CalcTextSize(field.name.c_str()).x <= field_w
                                     ? field.name
                                     : field.name.substr(0, 1);
        if (field.width > 0)
            dl->AddText(ImVec2(field_x + 2, p0.y + cell + 2 * ui.dpr), color, name.c_str());
    }
    ImGui::Dummy(ImVec2(avail, cell + ImGui::GetTextLineHeight() + 6 * ui.dpr));
    char hex[32];
    std::snprintf(hex, sizeof hex, "0x%llX", static_cast<unsigned long long>(enc.code));
    if (enc.fields.size() == 3) {
        const long long exp_field = static_cast<long long>(enc.fields[1].value);
        ImGui::Text("code %s   sign %llu, exponent field %lld, fraction %llu", hex,
                    static_cast<unsigned long long>(enc.fields[0].value), exp_field,
                    static_cast<unsigned long long>(enc.fields[2].value));
    } else {
        long long k = static_cast<long long>(enc.code);
        if (f.kind() == "fixed" && enc.total_bits < 64 && (enc.code >> (enc.total_bits - 1)) & 1u)
            k -= 1LL << enc.total_bits;
        ImGui::Text("code %s = %lld", hex, k);
    }
}

namespace {

void fact_row(const char* name, const std::string& value, const char* why) {
    ImGui::TableNextRow();
    ImGui::TableSetColumnIndex(0);
    ImGui::TextUnformatted(name);
    widgets::tooltip_on_hover(why);
    ImGui::TableSetColumnIndex(1);
    ImGui::TextUnformatted(value.c_str());
    widgets::tooltip_on_hover(why);
}

}  // namespace

void draw_facts(App& app, const Lesson& view) {
    const qlab::LabState& s = app.state();
    const qlab::Format& f = view.format();
    qlab::Rng rng(static_cast<std::uint64_t>(s.seed));
    const double q = f.quantize_ref(s.x, view.rounding(), &rng);
    const double err = q - s.x;
    if (!ImGui::BeginTable("facts", 2, ImGuiTableFlags_RowBg | ImGuiTableFlags_BordersInnerV))
        return;
    ImGui::TableSetupColumn("fact", ImGuiTableColumnFlags_WidthStretch, 1.0f);
    ImGui::TableSetupColumn("value", ImGuiTableColumnFlags_WidthStretch, 1.3f);
    fact_row("q(x)", shortest_repr(q),
             "The atom x is stored as: q maps a real to an atom and r restores it (Cherkhev §2), "
             "under the chosen rounding mode.");
    fact_row("error q(x) - x", shortest_repr(err), "Signed quantization error of this value.");
    fact_row("relative error", s.x != 0 ? shortest_repr(std::fabs(err) / std::fabs(s.x)) : "-",
             "|q(x) - x| / |x|: roughly constant across a float's range, growing toward 0 in fixed "
             "point.");
    const double step = f.step_at(s.x);
    fact_row("step at x", step > 0 ? shortest_repr(step) : "none: x is beyond the last atom",
             "Gap between the two atoms around x: the resolution of the format here.");
    const double delta = f.worst_case_error(s.lo, s.hi, view.rounding());
    fact_row("delta on [lo, hi]", shortest_repr(delta),
             "Cherkhev eq. (1): delta = max over x in the range of |x - r(q(x))|, the worst error. "
             "His perceptron bound 1/(gamma - delta)^2 (for ||r(x)|| <= 1; R^2/(gamma - delta)^2 "
             "rescaled to radius R) needs delta below the data's margin gamma.");
    char sqnr[48];
    std::snprintf(sqnr, sizeof sqnr, "%.2f dB", view.gaussian_sqnr_db(app.state()));
    fact_row(
        "SQNR on N(0,1)", sqnr,
        "Signal-to-quantization-noise ratio 10 log10(sum x^2 / sum (x - q(x))^2) on 4096 samples "
        "of a standard normal (Lin 2016). An ideal uniform quantizer gains about 6 dB per bit on "
        "uniform data and about 5 dB per bit on Gaussian data (his eq. 2).");
    fact_row("atoms", shortest_repr(f.atom_count()) + (f.has_infinity() ? " + inf" : ""),
             "How many distinct finite values the format can store (zero counted once).");
    fact_row("bits per value", std::to_string(f.bits()), "Storage per value.");
    const double bpv = view.spec_format().bits_per_value();
    if (bpv != f.bits())
        fact_row("with the scale's share", shortest_repr(bpv),
                 "Effective bits per value: element bits plus the shared scale's bits divided by "
                 "the block "
                 "size (MXFP4 4 + 8/32 = 4.25). NVFP4 adds 32 bits per tensor.");
    fact_row("max finite", shortest_repr(f.max_finite()), "Largest finite atom.");
    fact_row("min positive", shortest_repr(f.min_positive()),
             "Smallest positive atom (a subnormal when the float format has them).");
    fact_row(f.kind() == "float" ? "epsilon" : "step", shortest_repr(f.epsilon()),
             "Float: the gap between 1 and the next atom, 2^-M. Fixed point and lattices: the "
             "uniform step.");
    ImGui::EndTable();
}

// Cherkhev Fig. 1: the atoms of a 2-D space A x A, the point (x, y), where it is stored and the
// quantization cell it falls in.
void draw_atom_grid(App& app, const Lesson& view, const UiScale& ui, float side) {
    const qlab::LabState& s = app.state();
    const qlab::Format& f = view.format();
    ImDrawList* dl = ImGui::GetWindowDrawList();
    const ImVec2 p0 = ImGui::GetCursorScreenPos();
    ImGui::InvisibleButton("atomgrid", ImVec2(side, side));
    app.record_view("atom_grid", p0.x, p0.y, side, side, ui.dpr);
    const bool active = ImGui::IsItemActive();
    dl->AddRectFilled(p0, ImVec2(p0.x + side, p0.y + side), IM_COL32(255, 255, 255, 255),
                      4 * ui.dpr);
    const float pad = 10 * ui.dpr;
    const double lo = s.lo, hi = s.hi;
    const double per_px = (hi - lo) / (side - 2 * pad);
    auto px = [&](double v) { return p0.x + pad + static_cast<float>((v - lo) / per_px); };
    auto py = [&](double v) { return p0.y + side - pad - static_cast<float>((v - lo) / per_px); };
    if (active) {
        const ImVec2 m = ImGui::GetIO().MousePos;
        const double vx = std::clamp(lo + (m.x - p0.x - pad) * per_px, lo, hi);
        const double vy = std::clamp(lo + (p0.y + side - pad - m.y) * per_px, lo, hi);
        app.set("x", shortest_repr(vx));
        app.set("y", shortest_repr(vy));
    }
    dl->PushClipRect(p0, ImVec2(p0.x + side, p0.y + side), true);
    // Axes through zero when visible.
    if (lo < 0 && hi > 0) {
        dl->AddLine(ImVec2(px(0), p0.y), ImVec2(px(0), p0.y + side), IM_COL32(210, 210, 215, 255));
        dl->AddLine(ImVec2(p0.x, py(0)), ImVec2(p0.x + side, py(0)), IM_COL32(210, 210, 215, 255));
    }
    // Atoms at least 4 px apart per axis, at most 64: WebGL2 draws with 16-bit indices, so one
    // window's draw list must stay under 65536 vertices. Thinned regions are marked.
    std::vector<double> axis;
    bool thinned = false;
    const double min_gap = 4 * ui.dpr * per_px;
    for (double a = f.quantize_ref(lo, qlab::Rounding::up), last = -INFINITY;
         std::isfinite(a) && a <= hi;) {
        if (a < lo) a = f.next_up(lo);
        if (a - last >= min_gap)
            axis.push_back(a), last = a;
        else
            thinned = true;
        double next = f.next_up(a);
        if (next - a < min_gap) {  // skip ahead through a dense run
            const double jump = f.quantize_ref(a + min_gap, qlab::Rounding::up);
            if (jump > next) next = jump, thinned = true;
        }
        if (!(next > a) || axis.size() >= 64) {
            thinned = thinned || (std::isfinite(next) && next <= hi);
            break;
        }
        a = next;
    }
    const float dot =
        std::max(1.0f * ui.dpr, std::min(2.5f * ui.dpr, side / (5.0f * (axis.size() + 1))));
    for (double ax : axis)
        for (double ay : axis)
            dl->AddRectFilled(ImVec2(px(ax) - dot, py(ay) - dot),
                              ImVec2(px(ax) + dot, py(ay) + dot), kAtomColor);
    qlab::Rng rng(static_cast<std::uint64_t>(s.seed));
    const double qx = f.quantize_ref(s.x, view.rounding(), &rng),
                 qy = f.quantize_ref(s.y, view.rounding(), &rng);
    const qlab::Bracket bx = f.bracket(s.x), by = f.bracket(s.y);
    if (bx.lo != bx.hi || by.lo != by.hi)
        dl->AddRect(ImVec2(px(bx.lo), py(by.hi)), ImVec2(px(bx.hi), py(by.lo)), kNeighbourColor, 0,
                    0, 2 * ui.dpr);
    const ImVec2 point(px(s.x), py(s.y));
    if (std::isfinite(qx) && std::isfinite(qy)) {
        const ImVec2 stored(px(qx), py(qy));
        dl->AddLine(point, stored, kErrorColor, 2.5f * ui.dpr);
        dl->AddCircleFilled(stored, 5.5f * ui.dpr, kQuantColor);
    }
    dl->AddCircleFilled(point, 5 * ui.dpr, kValueColor);
    dl->PopClipRect();
    if (thinned) ImGui::TextDisabled("dense regions thinned for drawing");
}

// One block of a block-scaled format: the shared scale (value and bits), each value, its element
// code and the value stored (scale * element).
void draw_block(const Lesson& view) {
    const qlab::Format& spec = view.spec_format();
    const qlab::Format& block = view.format();
    const auto& values = view.block_values();
    if (values.empty()) return;
    ImGui::Spacing();
    ImGui::Text("One block of %zu values from N(0,1)", values.size());
    widgets::help_marker(
        "The block shares one scale, chosen from its largest magnitude (MX v1.0 §6.3: "
        "2^(floor(log2 max) - emax of the element)); each value stores only an element "
        "code, and reads back as scale * element.");
    const qlab::Encoding scale = block.block_scale_encoding();
    std::string bits;
    for (int b = scale.total_bits - 1; b >= 0; --b) bits += ((scale.code >> b) & 1u) ? '1' : '0';
    ImGui::Text("scale (%s) = %s, bits %s   elements %s   %s bits per value",
                spec.scale_spec().c_str(), shortest_repr(block.block_scale()).c_str(), bits.c_str(),
                spec.element_spec().c_str(), shortest_repr(spec.bits_per_value()).c_str());
    const std::size_t n = values.size(), half = (n + 1) / 2;
    const int code_digits = (block.bits() + 3) / 4;
    if (!ImGui::BeginTable("block", 8, ImGuiTableFlags_RowBg | ImGuiTableFlags_BordersInnerV))
        return;
    for (int c = 0; c < 2; ++c) {
        ImGui::TableSetupColumn("i");
        ImGui::TableSetupColumn("x");
        ImGui::TableSetupColumn("code");
        ImGui::TableSetupColumn("stored");
    }
    ImGui::TableHeadersRow();
    for (std::size_t r = 0; r < half && r < 64; ++r) {
        ImGui::TableNextRow();
        for (std::size_t i : {r, r + half}) {
            if (i >= n) break;
            ImGui::TableNextColumn();
            ImGui::Text("%zu", i);
            ImGui::TableNextColumn();
            ImGui::Text("%.4g", values[i]);
            ImGui::TableNextColumn();
            ImGui::Text("0x%0*llX", code_digits,
                        static_cast<unsigned long long>(view.block_codes()[i]));
            ImGui::TableNextColumn();
            ImGui::Text("%.4g", view.block_quantized()[i]);
        }
    }
    ImGui::EndTable();
}

}  // namespace quantlab::formats
