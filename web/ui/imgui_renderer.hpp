// Draws ImGui's draw lists with WebGL2. Unlike the stock OpenGL3 backend it never reads GL state
// back (each glGet is a synchronous round trip in a browser, and with a software rasterizer it
// waits for the previous frame: that was 94% of a frame's CPU time); it sets what it needs.
#pragma once

#include <string>

#include "imgui.h"

namespace quantlab::widgets {

// Compiles shaders/imgui.* and creates buffers; false and a message on failure.
bool renderer_init(std::string* error);
// (Re)builds the font atlas texture after fonts change.
void renderer_upload_fonts();
// Draws the frame into the default framebuffer of fb_width x fb_height pixels.
void renderer_draw(ImDrawData* data, int fb_width, int fb_height);
// The default framebuffer's size, for passes that render elsewhere and must restore the viewport.
void renderer_framebuffer_size(int* width, int* height);

}  // namespace quantlab::widgets
