// The dragged slider's value in a bubble above the finger (touch_value.hpp). The value is the
// text the slider itself prints (item_log reads it), so the bubble says what the slider would.
#include "touch_value.hpp"

#include <algorithm>

#include "imgui.h"
#include "imgui_internal.h"
#include "item_log.hpp"
#include "touch_input.hpp"

namespace quantlab::widgets {

namespace {

constexpr float kAboveCss = 60;    // from the touch point to the bubble's bottom edge
constexpr float kContactCss = 22;  // half the ~44 px a fingertip covers
constexpr float kMarginCss = 4;    // from the screen's edges
TouchBubble g_bubble;

// Where the bubble goes: centred above the finger; when the finger is too near the top for that,
// beside it (right, else left), level with it. Kept on the screen either way.
ImVec2 bubble_place(ImVec2 finger, ImVec2 size, float dpr) {
    const ImVec2 screen = ImGui::GetIO().DisplaySize;
    const float margin = kMarginCss * dpr;
    const auto clamp_x = [&](float x) {
        return std::clamp(x, margin, std::max(margin, screen.x - size.x - margin));
    };
    const float above = finger.y - kAboveCss * dpr - size.y;
    if (above >= margin) return ImVec2(clamp_x(finger.x - size.x * 0.5f), above);
    const float y =
        std::clamp(finger.y - size.y * 0.5f, margin, std::max(margin, screen.y - size.y - margin));
    const float right = finger.x + kContactCss * 2 * dpr;
    if (right + size.x + margin <= screen.x) return ImVec2(right, y);
    return ImVec2(std::max(margin, finger.x - kContactCss * 2 * dpr - size.x), y);
}

}  // namespace

void touch_value_begin_frame() {
    float x = 0, y = 0;
    const ImGuiContext& g = *GImGui;
    item_log_capture_value(touch_finger(&x, &y) ? g.ActiveId : 0);
}

void touch_value_draw(float dpr) {
    g_bubble = TouchBubble{};
    const SliderValue& v = item_log_captured_value();
    float fx = 0, fy = 0;
    if (!v.found || !touch_finger(&fx, &fy)) return;
    const ImGuiStyle& style = ImGui::GetStyle();
    const ImVec2 pad(ImGui::GetFontSize() * 0.6f, ImGui::GetFontSize() * 0.35f);
    const ImVec2 text = ImGui::CalcTextSize(v.text.c_str());
    const ImVec2 size(text.x + pad.x * 2, text.y + pad.y * 2);
    const ImVec2 p = bubble_place(ImVec2(fx, fy), size, dpr);
    ImDrawList* dl = ImGui::GetForegroundDrawList();
    const float rounding = size.y * 0.3f;
    dl->AddRectFilled(p, ImVec2(p.x + size.x, p.y + size.y),
                      ImGui::GetColorU32(style.Colors[ImGuiCol_PopupBg]), rounding);
    dl->AddRect(p, ImVec2(p.x + size.x, p.y + size.y),
                ImGui::GetColorU32(style.Colors[ImGuiCol_SliderGrabActive]), rounding, 0,
                std::max(1.0f, dpr));
    dl->AddText(ImVec2(p.x + pad.x, p.y + pad.y), ImGui::GetColorU32(ImGuiCol_Text),
                v.text.c_str());
    g_bubble = {true, v.text, p.x, p.y, size.x, size.y, fx, fy};
}

const TouchBubble& touch_bubble() {
    return g_bubble;
}

}  // namespace quantlab::widgets
