// The Train lesson's views (see train_views.hpp): the curves (long runs averaged into buckets),
// the confusion matrix, the test digits, the decision boundary, and where each goes.
#include "train_views.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "imgui.h"
#include "ui/widgets.hpp"

namespace quantlab::train {

namespace {

// Up to `points` averages of consecutive values, so long runs draw as fast as short ones.
void bucket(const std::vector<double>& xs, const std::vector<double>& ys, std::size_t points,
            std::vector<double>& ox, std::vector<double>& oy) {
    ox.clear(), oy.clear();
    const std::size_t n = std::min(xs.size(), ys.size());
    const std::size_t per =
        std::max<std::size_t>(1, (n + points - 1) / std::max<std::size_t>(points, 1));
    for (std::size_t i = 0; i < n; i += per) {
        double sx = 0, sy = 0;
        std::size_t k = 0;
        for (; k < per && i + k < n; ++k) sx += xs[i + k], sy += ys[i + k];
        ox.push_back(sx / static_cast<double>(k)), oy.push_back(sy / static_cast<double>(k));
    }
}
}  // namespace

void draw_loss_plot(App& app, const View& shown, const UiScale& ui, ImVec2 size) {
    const qlab::TrainJob* job = shown.model.job();
    std::vector<double> xs, ys;
    double top = 0.5;
    if (job) {
        const double per = static_cast<double>(std::max(1LL, job->batches_per_epoch()));
        for (const auto& b : job->batches()) {
            xs.push_back(static_cast<double>(b.step) / per);
            ys.push_back(b.loss);
        }
    }
    std::vector<double> bx, by;
    bucket(xs, ys, static_cast<std::size_t>(size.x / ui.px(3)), bx, by);
    for (double v : by)
        if (std::isfinite(v)) top = std::max(top, v);
    const double x1 = std::max(1.0, xs.empty() ? 1.0 : xs.back());
    widgets::Plot p =
        widgets::begin_plot("##loss", size, 0, x1, 0, top * 1.05, "epoch", "loss", ui);
    widgets::plot_line(p, bx, by, widgets::kAccent, ui.px(1.5f));
    if (job) {
        std::vector<double> ex, ey;
        for (const auto& e : job->report().history) ex.push_back(e.epoch), ey.push_back(e.loss);
        widgets::plot_line(p, ex, ey, widgets::kAccent2, ui.px(2));
    }
    widgets::plot_legend(p, 1, widgets::kAccent, "batch loss");
    widgets::plot_legend(p, 2, widgets::kAccent2, "epoch mean");
    widgets::end_plot(p);
    (void)app;
}

void draw_accuracy_plot(App& app, const View& shown, const UiScale& ui, ImVec2 size) {
    const qlab::TrainJob* job = shown.model.job();
    std::vector<double> ex, tr, te;
    double lo = 1;
    if (job)
        for (const auto& e : job->report().history) {
            ex.push_back(e.epoch), tr.push_back(e.train_accuracy), te.push_back(e.test_accuracy);
            lo = std::min({lo, e.train_accuracy, e.test_accuracy});
        }
    if (shown.model.test_accuracy() >= 0) lo = std::min(lo, shown.model.test_accuracy());
    const double y0 = std::max(0.0, std::floor((lo - 0.02) * 10) / 10);
    const double x1 = std::max<double>(1, job ? job->epochs() : app.state().epochs);
    widgets::Plot p =
        widgets::begin_plot("##acc", size, 0, x1, std::min(y0, 0.9), 1.0, "epoch", "accuracy", ui);
    const ImU32 train_c = IM_COL32(120, 120, 130, 255), test_c = widgets::kAccent;
    widgets::plot_line(p, ex, tr, train_c, ui.px(1.5f));
    widgets::plot_line(p, ex, te, test_c, ui.px(2));
    // Where the test accuracy is now (between epochs too), as a dot.
    if (shown.model.test_accuracy() >= 0) {
        const double per = job ? static_cast<double>(std::max(1LL, job->batches_per_epoch())) : 1;
        const double x = static_cast<double>(shown.model.batches_done()) / per;
        p.dl->AddCircleFilled(p.to_screen(x, shown.model.test_accuracy()), ui.px(4), test_c);
    }
    char label[64];
    std::snprintf(label, sizeof label, "test %.2f%%", 100 * std::max(0.0, shown.model.test_accuracy()));
    widgets::plot_legend(p, 1, test_c, label);
    widgets::plot_legend(p, 2, train_c, "train");
    widgets::end_plot(p);
}

void draw_lost_plot(App& app, const View& shown, const UiScale& ui, ImVec2 size) {
    const qlab::TrainJob* job = shown.model.job();
    std::vector<double> xs, ys;
    double top = 1;
    if (job) {
        const double per = static_cast<double>(std::max(1LL, job->batches_per_epoch()));
        for (const auto& b : job->batches()) {
            xs.push_back(static_cast<double>(b.step) / per);
            ys.push_back(static_cast<double>(b.lost_updates));
        }
        if (!ys.empty()) top = std::max(top, ys.back());
    }
    std::vector<double> bx, by;
    bucket(xs, ys, static_cast<std::size_t>(size.x / ui.px(3)), bx, by);
    const double x1 = std::max(1.0, xs.empty() ? 1.0 : xs.back());
    widgets::Plot p = widgets::begin_plot("##lost", size, 0, x1, 0, top * 1.05, "epoch",
                                          "lost updates", ui, true);
    widgets::plot_line(p, bx, by, IM_COL32(200, 50, 50, 255), ui.px(2));
    char label[96];
    const long long updates = job ? job->report().updates : 0,
                    lost = job ? job->report().lost_updates : 0;
    if (app.state().updates.empty())
        std::snprintf(label, sizeof label, "updates are float: none lost");
    else
        std::snprintf(
            label, sizeof label, "%lld of %lld lost (%.1f%%)", lost, updates,
            updates ? 100.0 * static_cast<double>(lost) / static_cast<double>(updates) : 0.0);
    widgets::plot_legend(p, 1, IM_COL32(200, 50, 50, 255), label);
    widgets::end_plot(p);
}

void draw_confusion(App& app, const View& shown, const UiScale& ui, float width) {
    const int k = shown.model.data().ready() ? shown.model.data().split().train.classes : 0;
    const auto& cm = shown.lesson.confusion();
    if (k == 0 || cm.size() != static_cast<std::size_t>(k * k)) return;
    ImGui::TextUnformatted("Confusion on the test set");
    widgets::help_marker(
        "Rows: true class; columns: predicted. Colour: the share of the row, so the diagonal is "
        "each class's recall.");
    std::vector<std::string> rows, cols, text;
    std::vector<double> values;
    const auto& names = shown.model.data().split().train.class_names;
    for (int c = 0; c < k; ++c) {
        std::string name = c < static_cast<int>(names.size()) ? names[static_cast<std::size_t>(c)]
                                                              : std::to_string(c);
        if (name.size() > 6) name.resize(6);
        rows.push_back(name), cols.push_back(name);
    }
    for (int r = 0; r < k; ++r) {
        long long total = 0;
        for (int c = 0; c < k; ++c) total += cm[static_cast<std::size_t>(r * k + c)];
        for (int c = 0; c < k; ++c) {
            const long long v = cm[static_cast<std::size_t>(r * k + c)];
            values.push_back(total ? static_cast<double>(v) / static_cast<double>(total) : NAN);
            text.push_back(v ? std::to_string(v) : "");
        }
    }
    const float cell =
        std::clamp((width - ui.px(50)) / static_cast<float>(k), ui.px(22), ui.px(k <= 2 ? 70 : 36));
    widgets::heatmap_table("##confusion", rows, cols, values, text, -1, -1, cell, ui, nullptr,
                           nullptr);
    const ImVec2 a = ImGui::GetItemRectMin(), b = ImGui::GetItemRectMax();
    app.record_view("train_confusion", a.x, a.y, b.x - a.x, b.y - a.y, ui.dpr);
}

int misclassified_shown(const View& shown, const DigitsView& view) {
    const auto& pred = shown.model.test_predictions();
    int n = 0;
    for (std::size_t r : view.shown_rows)
        if (r < pred.size() && pred[r] != shown.model.data().split().test.y[r]) ++n;
    return n;
}

void draw_digits(App& app, const View& shown, DigitsView& view, const UiScale& ui, float width) {
    const int side = shown.model.data().image_side();
    const qlab::Dataset& raw = shown.model.data().raw_test();
    const auto& pred = shown.model.test_predictions();
    constexpr int kCols = 8, kRows = 4;
    ImGui::TextUnformatted("Test digits");
    widgets::help_marker(
        "The first 32 digits of the test set (or the mistakes first): a red frame and the "
        "predicted class mark each one the model gets wrong.");
    ImGui::SameLine();
    ImGui::Checkbox("mistakes first", &view.mistakes_first);
    // Which rows to show: the first 32, or the misclassified ones first.
    std::vector<std::size_t> rows;
    if (view.mistakes_first && pred.size() == raw.size())
        for (std::size_t i = 0; i < raw.size() && rows.size() < kCols * kRows; ++i)
            if (pred[i] != raw.y[i]) rows.push_back(i);
    for (std::size_t i = 0; i < raw.size() && rows.size() < kCols * kRows; ++i)
        if (std::find(rows.begin(), rows.end(), i) == rows.end()) rows.push_back(i);
    view.atlas.update(raw, rows, side, kCols, shown.model.data().pixel_max());
    view.shown_rows = rows;
    const float gap = ui.px(4), label_h = ImGui::GetFontSize();
    const float cell = std::clamp((width - gap * (kCols - 1)) / kCols, ui.px(24), ui.px(64));
    const ImVec2 p0 = ImGui::GetCursorScreenPos();
    const float total_w = kCols * cell + (kCols - 1) * gap,
                total_h = kRows * (cell + label_h + gap);
    ImGui::InvisibleButton("##digits", ImVec2(total_w, total_h));
    app.record_view("train_digits", p0.x, p0.y, total_w, total_h, ui.dpr);
    ImDrawList* dl = ImGui::GetWindowDrawList();
    for (std::size_t k = 0; k < rows.size(); ++k) {
        const int c = static_cast<int>(k) % kCols, r = static_cast<int>(k) / kCols;
        const ImVec2 a(p0.x + c * (cell + gap), p0.y + r * (cell + label_h + gap));
        const ImVec2 b(a.x + cell, a.y + cell);
        view.atlas.draw(dl, k, a, b);
        const std::size_t row = rows[k];
        const int truth = raw.y[row];
        const bool known = row < pred.size();
        const bool wrong = known && pred[row] != truth;
        dl->AddRect(a, b, wrong ? IM_COL32(220, 30, 30, 255) : IM_COL32(170, 170, 180, 255), 0, 0,
                    wrong ? ui.px(3) : ui.px(1));
        char label[32];
        if (wrong)
            std::snprintf(label, sizeof label, "%d -> %d", truth, pred[row]);
        else
            std::snprintf(label, sizeof label, "%d", truth);
        dl->AddText(ImVec2(a.x, b.y),
                    wrong ? IM_COL32(220, 30, 30, 255) : ImGui::GetColorU32(ImGuiCol_TextDisabled),
                    label);
    }
}

void draw_boundary(App& app, const View& shown, BoundaryView& view, const UiScale& ui, float width) {
    const auto& values = shown.lesson.boundary();
    if (values.empty()) return;
    ImGui::TextUnformatted("Decision boundary");
    widgets::help_marker(
        "p(blue) - p(orange) over the input plane, drawn by a GLSL pass as on the TensorFlow "
        "Playground. Points: training (white ring) and test (dark ring).");
    const float size = std::clamp(width, ui.px(160), ui.px(340));
    const ImVec2 p0 = ImGui::GetCursorScreenPos();
    const int px = static_cast<int>(size);
    if (widgets::GlHeatmap::available()) {
        // Rendered again only when the predictions or the size changed.
        if (view.rendered_for != values.data() || view.version != shown.model.batches_done() ||
            view.px != px) {
            view.heatmap.render(values, Lesson::kGrid, Lesson::kGrid, px, px);
            view.rendered_for = values.data(), view.version = shown.model.batches_done(), view.px = px;
        }
        ImGui::Image(view.heatmap.texture(), ImVec2(size, size), ImVec2(0, 1), ImVec2(1, 0));
    } else {
        ImGui::InvisibleButton("##boundary", ImVec2(size, size));
        widgets::draw_heatmap_cpu(ImGui::GetWindowDrawList(), p0, ImVec2(p0.x + size, p0.y + size),
                                  values, Lesson::kGrid, Lesson::kGrid);
    }
    app.record_view("train_boundary", p0.x, p0.y, size, size, ui.dpr);
    ImDrawList* dl = ImGui::GetWindowDrawList();
    dl->PushClipRect(p0, ImVec2(p0.x + size, p0.y + size), true);
    auto to_screen = [&](const float* x) {
        return ImVec2(p0.x + (x[0] + 1) / 2 * size, p0.y + (1 - (x[1] + 1) / 2) * size);
    };
    const float r = ui.px(3.5f);
    for (int set = 0; set < 2; ++set) {
        const qlab::Dataset& d =
            set == 0 ? shown.model.data().split().train : shown.model.data().split().test;
        const ImU32 ring = set == 0 ? IM_COL32(255, 255, 255, 255) : IM_COL32(20, 20, 30, 255);
        for (std::size_t i = 0; i < d.size(); ++i) {
            const ImVec2 c = to_screen(d.row(i));
            // Few segments: 500 points stay cheap to draw every frame.
            dl->AddCircleFilled(c, r, widgets::class_color(d.y[i]), 8);
            dl->AddCircle(c, r, ring, 8, ui.px(1));
        }
    }
    dl->PopClipRect();
}

void draw_views(App& app, const View& shown, DigitsView& digits, BoundaryView& boundary,
                const UiScale& ui) {
    const float avail = ImGui::GetContentRegionAvail().x;
    const float gap = ImGui::GetStyle().ItemSpacing.x;
    // Three curves in a row when there is room, else two, else one.
    const int per_row = avail > ui.px(780) ? 3 : avail > ui.px(400) ? 2 : 1;
    const float plot_w =
        (avail - gap * static_cast<float>(per_row - 1)) / static_cast<float>(per_row);
    const ImVec2 plot_size(plot_w, std::max(ui.px(170), std::min(ui.px(210), plot_w * 0.7f)));
    int placed = 0;
    auto next = [&]() {
        if (++placed % per_row != 0) ImGui::SameLine();
    };
    draw_loss_plot(app, shown, ui, plot_size);
    next();
    draw_accuracy_plot(app, shown, ui, plot_size);
    next();
    draw_lost_plot(app, shown, ui, plot_size);
    if (placed % per_row != 0) ImGui::NewLine();

    if (!shown.model.data().ready()) {
        if (shown.model.data().loading())
            ImGui::TextWrapped("Loading %s...", shown.model.data().loading_name().c_str());
        return;
    }
    const bool images = shown.model.data().image_side() > 0;
    const bool side_by_side = avail > ui.px(700);
    const float left_w = side_by_side ? avail * (images ? 0.5f : 0.45f) : avail;
    ImGui::BeginGroup();
    if (images)
        draw_digits(app, shown, digits, ui, left_w - gap);
    else
        draw_boundary(app, shown, boundary, ui, left_w - gap);
    ImGui::EndGroup();
    if (side_by_side) ImGui::SameLine(0, gap * 3);
    ImGui::BeginGroup();
    draw_confusion(app, shown, ui, side_by_side ? avail - left_w - gap * 3 : avail);
    ImGui::EndGroup();
}

}  // namespace quantlab::train
