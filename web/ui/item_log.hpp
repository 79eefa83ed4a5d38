// The interactive items ImGui drew in the last frame, gathered by its test-engine hooks
// (IMGUI_ENABLE_TEST_ENGINE) without touching the call sites: for widgets() in the JS API.
#pragma once

#include <string>
#include <vector>

namespace quantlab::widgets {

struct LoggedItem {
    unsigned id = 0;
    std::string label;  // the visible part of the ImGui label ("##..." removed)
    std::string kind;   // button, tab, slider, checkbox, radio, combo, text, plot or help
    int value = -1;     // checkbox / radio: 1 on, 0 off; -1 when the hooks cannot know
    float x = 0, y = 0, width = 0, height = 0;  // framebuffer pixels, the part inside the window
    float full_x = 0, full_y = 0, full_width = 0, full_height = 0;  // before clipping
};

// Logs the last item, which has no ID of its own (text), as `kind` with `label`: the "(?)" help
// markers ("help"), whose tooltip a long press shows on a touch screen.
void item_log_note(const char* label, const char* kind);
// Starts recording (after ImGui::CreateContext) and clears the list at the start of a frame.
void item_log_enable();
void item_log_begin_frame();
// The last frame's items, classified from their flags and the colours they drew with (the
// frame's draw lists are still intact between frames).
std::vector<LoggedItem> item_log_items();
// The kind of the item with ImGui ID `id` in the last frame ("" when it was not drawn).
std::string item_kind(unsigned id);

// The text a slider shows (its value, as its format prints it), read for one item a frame through
// ImGui's text log, which a slider's value reaches between its ItemAdd and ItemInfo hooks: set the
// item's ID before ImGui::NewFrame (0: none), read the result after the frame's items are drawn.
struct SliderValue {
    bool found = false;  // the item was drawn this frame and is a slider
    std::string text;
    float x = 0, y = 0, width = 0, height = 0;  // the slider's frame, framebuffer pixels
};
void item_log_capture_value(unsigned id);
const SliderValue& item_log_captured_value();

}  // namespace quantlab::widgets
