// Touch for ImGui 1.86, which has no touch path: the JS shell hands each finger's move, press and
// release here (instead of GLFW, which sends the jump and the press in one frame, so that a first
// tap only moves the pointer), and each frame gets at most one press or release, never in the
// frame of a move: a tap is a move, then a press a frame later, then a release, then the pointer
// leaves (touch has no hover). A real mouse gives the pointer back to GLFW.
// Gestures: a finger that moves more than ~10 CSS px from where it went down on empty space or a
// button scrolls the window under it instead (the press is let go, no click); on a slider, plot
// or text field the item follows it. A finger held still for 0.5 s, then lifted, is a long press:
// a button under it lets go (no click) and the pointer stays, so the tooltip that hovering shows
// (already while the finger is down) stays on screen until the next touch. Two fingers pinch:
// the press of the first is let go (no click) and the lesson under them reads touch_pinch() where
// it reads the mouse wheel (zoom).
// A swipe that scrolls a window goes on after the finger lifts (momentum): at the finger's speed
// over its last 0.1 s, slowing exponentially (time constant 0.35 s), until the window's end or the
// next touch. A finger held still before it lifts stops the window where it is.
// Keys an on-screen keyboard sends only as input events (Android's backspace) are pressed here for
// a frame, then released (ImGui 1.86 reads keys once a frame).
#pragma once

namespace quantlab::widgets {

enum class TouchEvent { move = 0, down = 1, up = 2, mouse = 3 };

// x, y in framebuffer pixels (CSS pixels x devicePixelRatio); ignored for mouse. time: the
// event's time stamp in seconds (long presses are measured on it).
void touch_event(TouchEvent kind, float x, float y, double time);
// After the backend's NewFrame, before ImGui::NewFrame: this frame's pointer while touch is in use.
void touch_apply_to_frame();
bool touch_in_use();
// Two fingers at (x, y) (their midpoint, framebuffer pixels) whose distance grew `scale` times
// since the last call; scale 0: the pinch ended (the pointer leaves).
void touch_pinch_event(float x, float y, float scale, double time);
// This frame's pinch: how many times the fingers' distance grew (1 without a pinch). A view that
// zooms with the wheel zooms in by this factor around the pointer.
float touch_pinch();
// Whether a finger is down and drives the pointer (not scrolling a window, not pinching); its
// place in framebuffer pixels.
bool touch_finger(float* x, float* y);
// Whether that finger has moved past the slop while holding a control (dragging it).
bool touch_dragging();
enum class TouchKey { backspace = 0, del = 1 };
void touch_key(TouchKey key);

}  // namespace quantlab::widgets
