// The value of the slider a finger drags, drawn in a bubble above the finger (the finger hides the
// slider's own text): "no control hides under a finger's own drag". Touch only; a mouse drag shows
// nothing.
#pragma once

#include <string>

namespace quantlab::widgets {

// Before ImGui::NewFrame: which slider's shown value to read this frame (the one the finger holds).
void touch_value_begin_frame();
// After the frame's windows, before ImGui::Render: the bubble, on the foreground draw list.
// dpr: framebuffer pixels per CSS pixel.
void touch_value_draw(float dpr);

struct TouchBubble {
    bool shown = false;
    std::string text;                           // what the slider shows, e.g. "6 bits"
    float x = 0, y = 0, width = 0, height = 0;  // framebuffer pixels
    float finger_x = 0, finger_y = 0;           // the touch point it keeps clear of
};
// The last frame's bubble (metrics().touch_value).
const TouchBubble& touch_bubble();

}  // namespace quantlab::widgets
