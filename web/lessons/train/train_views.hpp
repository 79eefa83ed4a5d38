// The Train lesson's views: the loss, accuracy and lost-update curves, the confusion matrix, the
// test digits (widgets::DigitAtlas), the decision boundary (widgets::GlHeatmap) and their layout.
// The data, the run and the predictions belong to the shared model (lab/shared_model.hpp), the
// confusion matrix and the boundary to train_lesson.hpp; the controls are in train_panel.cpp.
#pragma once

#include <cstddef>
#include <vector>

#include "app.hpp"
#include "imgui.h"
#include "lab/shared_model.hpp"
#include "panel.hpp"
#include "train_lesson.hpp"
#include "ui/digit_atlas.hpp"
#include "ui/gl_heatmap.hpp"

namespace quantlab::train {

// What the views draw: the shared model (data, run, predictions) and the lesson's figures.
struct View {
    const SharedModel& model;
    const Lesson& lesson;
};

// The digit grid's state: the option, the atlas and the test rows it shows (for metrics()).
struct DigitsView {
    bool mistakes_first = false;
    widgets::DigitAtlas atlas;
    std::vector<std::size_t> shown_rows;
};

// The decision boundary's texture and what it was last rendered for.
struct BoundaryView {
    widgets::GlHeatmap heatmap;
    const float* rendered_for = nullptr;
    long long version = -1;
    int px = 0;
};

void draw_loss_plot(App& app, const View& v, const UiScale& ui, ImVec2 size);
void draw_accuracy_plot(App& app, const View& v, const UiScale& ui, ImVec2 size);
void draw_lost_plot(App& app, const View& v, const UiScale& ui, ImVec2 size);
void draw_confusion(App& app, const View& v, const UiScale& ui, float width);
void draw_digits(App& app, const View& v, DigitsView& view, const UiScale& ui, float width);
void draw_boundary(App& app, const View& v, BoundaryView& view, const UiScale& ui, float width);
// The views as the Train lesson lays them out: the curves in a row, then the digits (or the
// boundary) beside the confusion matrix.
void draw_views(App& app, const View& v, DigitsView& digits, BoundaryView& boundary,
                const UiScale& ui);
// How many of the digits shown the model gets wrong (for metrics()).
int misclassified_shown(const View& v, const DigitsView& view);

}  // namespace quantlab::train
