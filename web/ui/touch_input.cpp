// Touch delivered to ImGui a step per frame (touch_input.hpp).
#include "touch_input.hpp"

#include <cfloat>
#include <deque>

#include "imgui.h"

namespace quantlab::widgets {

namespace {

struct Pending {
    TouchEvent kind;
    float x, y;
};

constexpr std::size_t kMaxPending = 256;  // a stalled tab cannot grow the queue without end
std::deque<Pending> g_pending;
bool g_in_use = false;
bool g_down = false;
ImVec2 g_pos(-FLT_MAX, -FLT_MAX);

}  // namespace

void touch_event(TouchEvent kind, float x, float y) {
    if (kind == TouchEvent::mouse) {  // a real mouse: GLFW has the pointer again
        g_in_use = false;
        g_pending.clear();
        g_down = false;
        return;
    }
    g_in_use = true;
    if (g_pending.size() < kMaxPending) g_pending.push_back({kind, x, y});
    // After a release the pointer leaves, so nothing stays hovered under a lifted finger.
    if (kind == TouchEvent::up && g_pending.size() < kMaxPending)
        g_pending.push_back({TouchEvent::move, -FLT_MAX, -FLT_MAX});
}

void touch_apply_to_frame() {
    if (!g_in_use) return;
    bool moved = false;
    while (!g_pending.empty()) {
        const Pending e = g_pending.front();
        if (e.kind == TouchEvent::move) {
            g_pos = ImVec2(e.x, e.y);
            moved = true;
            g_pending.pop_front();
            continue;
        }
        if (moved) break;  // a press or release waits for a frame without a move
        if (e.kind == TouchEvent::down) g_pos = ImVec2(e.x, e.y);
        g_down = e.kind == TouchEvent::down;
        g_pending.pop_front();
        break;  // one press or release per frame
    }
    ImGuiIO& io = ImGui::GetIO();
    io.MousePos = g_pos;
    io.MouseDown[0] = g_down;
    for (int i = 1; i < 5; ++i) io.MouseDown[i] = false;
}

bool touch_in_use() {
    return g_in_use;
}

}  // namespace quantlab::widgets
