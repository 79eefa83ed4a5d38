// The JS shell's entry points for two-finger pinches and the on-screen keyboard's keys
// (touch_input.hpp), bound here beside the touch code rather than in web/bindings.cpp.
#include <emscripten/bind.h>

#include "../app.hpp"
#include "touch_input.hpp"

namespace {

// Two fingers: their midpoint in CSS pixels of the canvas, how many times their distance grew
// since the last call (0: the pinch ended), and the event's timeStamp in ms.
void pinch_event(double x, double y, double scale, double time_ms) {
    const float dpr = quantlab::app().frame_dpr > 0 ? quantlab::app().frame_dpr : 1;
    if (!(scale >= 0) || scale > 100) return;
    quantlab::widgets::touch_pinch_event(static_cast<float>(x) * dpr, static_cast<float>(y) * dpr,
                                         static_cast<float>(scale), time_ms / 1000.0);
}

// A key an on-screen keyboard sent only as an input event: 0 backspace, 1 delete.
void touch_key(int key) {
    if (key == 0 || key == 1)
        quantlab::widgets::touch_key(static_cast<quantlab::widgets::TouchKey>(key));
}

}  // namespace

EMSCRIPTEN_BINDINGS(quantlab_touch) {
    emscripten::function("pinchEvent", &pinch_event);
    emscripten::function("touchKey", &touch_key);
}
