// The GPU heatmap pass (shaders/heatmap.*): a grid of decision values drawn into a texture by a
// GLSL ES 3.00 fragment shader, shown with ImGui::Image. Compiled once at start-up; when that
// fails the lab says why and lessons draw the same grid with the CPU instead.
#pragma once

#include <string>
#include <vector>

#include "imgui.h"

namespace quantlab::widgets {

class GlHeatmap {
  public:
    // Compiles the shaders once (call after the GL context exists). False and a message on failure.
    static bool init(std::string* error);
    static bool available();
    static const std::string& compile_log();

    ~GlHeatmap();
    // Renders values (cols x rows, row 0 at the bottom, each in [-1, 1]) into this heatmap's
    // texture of width x height pixels. Returns false when the pass is not available.
    bool render(const std::vector<float>& values, int cols, int rows, int width, int height,
                float line_px = 1.5f);
    ImTextureID texture() const;
    int renders() const { return renders_; }

  private:
    unsigned fbo_ = 0, color_ = 0, values_tex_ = 0;
    int width_ = 0, height_ = 0;
    int renders_ = 0;
};

// Draws a values grid as rectangles with the same colours (the fallback, and for tiny grids).
void draw_heatmap_cpu(ImDrawList* dl, ImVec2 p0, ImVec2 p1, const std::vector<float>& values,
                      int cols, int rows);
// The colour the shader gives a value (for legends and the CPU path).
ImU32 diverging_color(float v);

}  // namespace quantlab::widgets
