// Touch delivered to ImGui a step per frame, and the gestures a finger adds (touch_input.hpp).
#include "touch_input.hpp"

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <deque>
#include <string>
#include <utility>

#include "imgui.h"
#include "imgui_internal.h"
#include "item_log.hpp"

namespace quantlab::widgets {

namespace {

constexpr int kPinch = 4;  // a Pending's kind besides TouchEvent's: two fingers moved

struct Pending {
    int kind;  // a TouchEvent or kPinch
    float x, y;
    double time;         // seconds, the browser's time stamp (frames may lag far behind the finger)
    float scale = 1.0f;  // kPinch: the distance's growth; 0 when the pinch ended
};

constexpr std::size_t kMaxPending = 256;  // a stalled tab cannot grow the queue without end
constexpr double kLongPressSeconds = 0.5;
std::deque<Pending> g_pending;
bool g_in_use = false;
bool g_down = false;
ImVec2 g_pos(-FLT_MAX, -FLT_MAX);

// The gesture of the finger that is down: where and when it went down, how far it went, and
// what it turned into (a scroll of a window, a long press).
struct Gesture {
    ImVec2 start, finger;
    double start_time = 0;
    bool moved = false;       // beyond the slop: no long press any more
    bool long_press = false;  // held still, then lifted: the tooltip stays
    ImGuiWindow* scrolling = nullptr;
    ImVec2 scroll_start;
    std::deque<std::pair<double, float>> track;  // the finger's last (time, y): its speed
};
Gesture g_gesture;
// A window scrolling on after a swipe: its speed in framebuffer pixels per second (the finger's
// direction: positive moves the content down).
struct Fling {
    ImGuiWindow* window = nullptr;
    float velocity = 0;
};
Fling g_fling;
constexpr double kFlingWindow = 0.1;  // s: the finger's speed is measured over its last 0.1 s
constexpr double kStill = 0.08;       // s: a finger still this long before lifting does not fling
constexpr float kFlingTau = 0.35f;    // s: the speed's time constant
float g_pinch = 1.0f;                 // this frame's pinch factor
std::deque<int> g_keys;               // ImGui key-map indices waiting to be pressed
int g_key_down = -1;                  // the io.KeysDown index pressed last frame, released this one

// Whether the item the press activated follows the finger itself (a slider, a plot, a text
// field): then a drag is the item's, not a scroll. Empty space and buttons let the window scroll.
bool press_is_for_item() {
    const ImGuiContext& g = *GImGui;
    if (g.ActiveId == 0 || (g.ActiveIdWindow && g.ActiveId == g.ActiveIdWindow->MoveId))
        return false;
    const std::string kind = item_kind(g.ActiveId);
    return kind != "button" && kind != "tab" && kind != "checkbox" && kind != "radio";
}

// The window a swipe scrolls: the one under the finger, or the nearest parent that can scroll.
ImGuiWindow* scrollable_window(bool vertical) {
    ImGuiWindow* w = GImGui->HoveredWindow;
    while (w && (vertical ? w->ScrollMax.y : w->ScrollMax.x) <= 0 &&
           (w->Flags & ImGuiWindowFlags_ChildWindow))
        w = w->ParentWindow;
    return w;
}

// A move of the pressed finger: past the slop it may become a scroll (the pointer then leaves and
// the press is let go without a click).
void finger_moved(ImVec2 to) {
    Gesture& s = g_gesture;
    s.finger = to;
    const float slop = ImGui::GetFontSize() * 0.67f;  // about 10 CSS px
    const ImVec2 d(to.x - s.start.x, to.y - s.start.y);
    if (!s.moved && std::fabs(d.x) < slop && std::fabs(d.y) < slop) return;
    s.moved = true;
    if (s.scrolling) return;
    const bool vertical = std::fabs(d.y) > std::fabs(d.x);
    const bool item = press_is_for_item();
    if (item) return;
    ImGuiWindow* w = scrollable_window(vertical);
    if (!w) return;
    s.scrolling = w;
    s.scroll_start = w->Scroll;
    g_down = false;  // the button under the finger is released away from it: no click
    g_pos = ImVec2(-FLT_MAX, -FLT_MAX);
}

// A move of the finger that is down: kept for its speed (momentum after a swipe).
void track_finger(double time, float y) {
    auto& t = g_gesture.track;
    t.emplace_back(time, y);
    while (t.size() > 2 && (t.size() > 32 || t.front().first < time - kFlingWindow * 2))
        t.pop_front();
}

// The finger lifted from a swipe that scrolled a window: the window goes on at the finger's
// speed over its last 0.1 s, unless it was held still before lifting or moved slowly.
void start_fling(double release_time) {
    const Gesture& s = g_gesture;
    g_fling = Fling{};
    if (!s.scrolling || s.track.size() < 2 || release_time - s.track.back().first > kStill) return;
    const auto& last = s.track.back();
    auto first = std::prev(s.track.end(), 2);  // the earliest move within 0.1 s, or the one before
    while (first != s.track.begin() && std::prev(first)->first >= last.first - kFlingWindow)
        --first;
    const double dt = last.first - first->first;
    if (dt < 0.005) return;
    const float v = static_cast<float>((last.second - first->second) / dt);
    if (std::fabs(v) < ImGui::GetFontSize() * 8) return;  // slower than ~120 CSS px/s: no fling
    g_fling = {s.scrolling, v};
}

// A frame of momentum: the window moves on by speed x frame time, the speed decays, and it stops
// at the window's end or when slow.
void apply_fling() {
    Fling& f = g_fling;
    if (!f.window) return;
    const float dt = std::clamp(ImGui::GetIO().DeltaTime, 0.0f, 0.1f);
    const float end = f.window->ScrollMax.y;
    const float y = std::clamp(f.window->Scroll.y - f.velocity * dt, 0.0f, end);
    ImGui::SetScrollY(f.window, y);
    f.velocity *= std::exp(-dt / kFlingTau);
    if (y <= 0 || y >= end || std::fabs(f.velocity) < ImGui::GetFontSize()) f = Fling{};
}

void apply_scroll() {
    Gesture& s = g_gesture;
    if (!s.scrolling) return;
    ImGui::SetScrollY(s.scrolling, s.scroll_start.y - (s.finger.y - s.start.y));
    if (s.scrolling->ScrollMax.x > 0)
        ImGui::SetScrollX(s.scrolling, s.scroll_start.x - (s.finger.x - s.start.x));
}

// A finger lifted after being held still for half a second: a long press. Decided on the events'
// own time stamps, so a tap stays a tap however slow the frames. The press lets go of a button (no
// click) so that only its tooltip shows, and the pointer stays after the finger lifts so the
// tooltip does too (while the finger is down, hovering shows it already).
bool is_long_press(double release_time) {
    const Gesture& s = g_gesture;
    if (s.moved || s.scrolling || release_time - s.start_time < kLongPressSeconds) return false;
    if (!press_is_for_item()) ImGui::ClearActiveID();
    return true;
}

// A pinch's step: the first one lets go of the first finger's press with the pointer away (no
// click) and waits a frame; later ones put the pointer between the fingers and add their factor.
// Returns false when the queue must wait for the next frame.
bool apply_pinch(const Pending& e) {
    g_gesture.scrolling = nullptr;
    if (g_down) {
        g_down = false;
        g_gesture = Gesture{};
        g_pos = ImVec2(-FLT_MAX, -FLT_MAX);
        return false;
    }
    g_pending.pop_front();
    if (e.scale <= 0) {  // the end: the pointer leaves
        g_pos = ImVec2(-FLT_MAX, -FLT_MAX);
        return false;
    }
    g_pos = ImVec2(e.x, e.y);
    g_pinch *= e.scale;
    return true;
}

// Keys from the on-screen keyboard: one pressed a frame, released the next.
void apply_keys() {
    ImGuiIO& io = ImGui::GetIO();
    if (g_key_down >= 0) {
        io.KeysDown[g_key_down] = false;
        g_key_down = -1;
    } else if (!g_keys.empty()) {
        g_key_down = g_keys.front();
        g_keys.pop_front();
        if (g_key_down >= 0 && g_key_down < IM_ARRAYSIZE(io.KeysDown))
            io.KeysDown[g_key_down] = true;
        else
            g_key_down = -1;
    }
}

}  // namespace

void touch_event(TouchEvent kind, float x, float y, double time) {
    if (kind == TouchEvent::mouse) {  // a real mouse: GLFW has the pointer again
        g_in_use = false;
        g_pending.clear();
        g_down = false;
        g_gesture = Gesture{};
        g_fling = Fling{};
        return;
    }
    g_in_use = true;
    if (kind == TouchEvent::down) g_fling = Fling{};  // a new touch stops a window's momentum
    if (g_pending.size() < kMaxPending) g_pending.push_back({static_cast<int>(kind), x, y, time});
}

void touch_pinch_event(float x, float y, float scale, double time) {
    g_in_use = true;
    g_fling = Fling{};
    // The first finger's press still waiting in the queue (the second finger came within a frame
    // or two): the fingers pinch, and the first one never presses (it would move a slider or x).
    for (auto it = g_pending.begin(); it != g_pending.end(); ++it)
        if (it->kind == static_cast<int>(TouchEvent::down)) {
            g_pending.erase(it, g_pending.end());
            break;
        }
    if (g_pending.size() < kMaxPending) g_pending.push_back({kPinch, x, y, time, scale});
}

float touch_pinch() {
    return g_pinch;
}

void touch_key(TouchKey key) {
    const ImGuiIO& io = ImGui::GetIO();
    const int index = io.KeyMap[key == TouchKey::backspace ? ImGuiKey_Backspace : ImGuiKey_Delete];
    if (g_keys.size() < kMaxPending) g_keys.push_back(index);
}

namespace {

// The pointer's events up to the next press or release (which waits for a frame without a move).
void apply_pending() {
    bool moved = false;
    while (!g_pending.empty()) {
        const Pending e = g_pending.front();
        if (e.kind == kPinch) {
            if (moved || !apply_pinch(e)) break;
            continue;
        }
        if (e.kind == static_cast<int>(TouchEvent::move)) {
            g_pending.pop_front();
            if (g_down || g_gesture.scrolling) track_finger(e.time, e.y);
            if (g_gesture.scrolling) {
                g_gesture.finger = ImVec2(e.x, e.y);
                continue;
            }
            g_pos = ImVec2(e.x, e.y);
            if (g_down) finger_moved(g_pos);
            moved = true;
            continue;
        }
        if (moved) break;  // a press or release waits for a frame without a move
        g_pending.pop_front();
        if (e.kind == static_cast<int>(TouchEvent::down)) {
            g_pos = ImVec2(e.x, e.y);
            g_down = true;
            g_gesture = Gesture{};
            g_gesture.start = g_gesture.finger = g_pos;
            g_gesture.start_time = e.time;
            g_gesture.track.emplace_back(e.time, e.y);
        } else {
            g_down = false;
            g_gesture.long_press = is_long_press(e.time);
            // After a release the pointer leaves, so nothing stays hovered under a lifted finger;
            // after a long press it stays a while, with the tooltip it shows.
            if (!g_gesture.long_press)
                g_pending.push_front(
                    {static_cast<int>(TouchEvent::move), -FLT_MAX, -FLT_MAX, e.time});
            start_fling(e.time);
            g_gesture.scrolling = nullptr;
        }
        break;  // one press or release per frame
    }
}

}  // namespace

void touch_apply_to_frame() {
    apply_keys();
    g_pinch = 1.0f;
    if (!g_in_use) return;
    apply_pending();
    apply_scroll();
    apply_fling();
    ImGuiIO& io = ImGui::GetIO();
    io.MousePos = g_pos;
    io.MouseDown[0] = g_down;
    for (int i = 1; i < 5; ++i) io.MouseDown[i] = false;
}

bool touch_in_use() {
    return g_in_use;
}

bool touch_dragging() {
    return g_in_use && g_down && g_gesture.moved && !g_gesture.scrolling;
}

bool touch_finger(float* x, float* y) {
    if (!g_in_use || !g_down || g_gesture.scrolling || g_pos.x <= -FLT_MAX) return false;
    *x = g_pos.x;
    *y = g_pos.y;
    return true;
}

}  // namespace quantlab::widgets
