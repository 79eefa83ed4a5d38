// The lab's light and dark themes (see theme.hpp).
#include "ui/theme.hpp"

namespace quantlab::widgets {

namespace {

const ThemeColors kLight = {ImVec4(0.75f, 0.10f, 0.10f, 1), ImVec4(0.70f, 0.33f, 0.03f, 1),
                            ImVec4(0.10f, 0.30f, 0.60f, 1), ImVec4(0.05f, 0.45f, 0.12f, 1),
                            ImVec4(0.60f, 0.30f, 0.00f, 1), ImVec4(0.15f, 0.20f, 0.45f, 1),
                            ImVec4(1.00f, 0.93f, 0.85f, 1), ImVec4(0.91f, 0.94f, 0.99f, 1)};
const ThemeColors kDark = {ImVec4(1.00f, 0.48f, 0.45f, 1), ImVec4(1.00f, 0.70f, 0.45f, 1),
                           ImVec4(0.70f, 0.80f, 1.00f, 1), ImVec4(0.45f, 0.90f, 0.50f, 1),
                           ImVec4(1.00f, 0.75f, 0.40f, 1), ImVec4(0.60f, 0.75f, 1.00f, 1),
                           ImVec4(0.30f, 0.18f, 0.10f, 1), ImVec4(0.14f, 0.19f, 0.28f, 1)};

const ThemeColors* g_colors = &kLight;
bool g_touch = false;

}  // namespace

void apply_style(const std::string& theme, float dpr, bool touch) {
    ImGuiStyle style;
    const bool dark = theme == "dark";
    if (dark) {
        ImGui::StyleColorsDark(&style);
        style.Colors[ImGuiCol_WindowBg] = ImVec4(0.11f, 0.12f, 0.14f, 1);
        style.Colors[ImGuiCol_ChildBg] = ImVec4(0.11f, 0.12f, 0.14f, 1);
    } else {
        ImGui::StyleColorsLight(&style);
        style.Colors[ImGuiCol_WindowBg] = ImVec4(0.97f, 0.97f, 0.96f, 1);
    }
    style.WindowRounding = 0;
    style.FrameRounding = 3;
    style.GrabRounding = 3;
    style.FramePadding = ImVec2(6, 4);
    style.ItemSpacing = ImVec2(8, 6);
    if (touch) {  // 15 px text + 2 x 14.5 = 44 CSS px frames (buttons, sliders, tabs, boxes)
        style.FramePadding = ImVec2(10, 14.5f);
        style.ItemSpacing = ImVec2(10, 8);
        style.ItemInnerSpacing = ImVec2(8, 6);
        style.GrabMinSize = 24;
        style.ScrollbarSize = 18;
    }
    style.ScaleAllSizes(dpr);
    ImGui::GetStyle() = style;
    g_colors = dark ? &kDark : &kLight;
    g_touch = touch;
}

bool touch_first() {
    return g_touch;
}

const ThemeColors& theme_colors() {
    return *g_colors;
}

void colored_text(const ImVec4& color, const char* text) {
    ImGui::PushStyleColor(ImGuiCol_Text, color);
    ImGui::TextWrapped("%s", text);
    ImGui::PopStyleColor();
}

}  // namespace quantlab::widgets
