// Touch for ImGui 1.86, which has no touch path: the JS shell hands each finger's move, press and
// release here (instead of GLFW, which sends the jump and the press in one frame, so that a first
// tap only moves the pointer), and each frame gets at most one press or release, never in the
// frame of a move: a tap is a move, then a press a frame later, then a release, then the pointer
// leaves (touch has no hover). A real mouse gives the pointer back to GLFW.
#pragma once

namespace quantlab::widgets {

enum class TouchEvent { move = 0, down = 1, up = 2, mouse = 3 };

// x, y in framebuffer pixels (CSS pixels x devicePixelRatio); ignored for mouse.
void touch_event(TouchEvent kind, float x, float y);
// After the backend's NewFrame, before ImGui::NewFrame: this frame's pointer while touch is in use.
void touch_apply_to_frame();
bool touch_in_use();

}  // namespace quantlab::widgets
