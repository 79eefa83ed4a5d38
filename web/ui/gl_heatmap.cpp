// The GPU heatmap pass: one program from the embedded shaders, one framebuffer per heatmap.
#include "gl_heatmap.hpp"

#include <GLES3/gl3.h>

#include <algorithm>
#include <cmath>

#include "gl_program.hpp"
#include "imgui_renderer.hpp"
#include "shaders.hpp"  // generated from shaders/ at build time

namespace quantlab::widgets {
namespace {

GLuint g_program = 0, g_vbo = 0, g_vao = 0;
GLint g_u_values = -1, g_u_size = -1, g_u_opacity = -1, g_u_line = -1;
std::string g_log;

}  // namespace

bool GlHeatmap::init(std::string* error) {
    if (g_program) return true;
    std::string e;
    g_program = build_program(shaders::heatmap_vert, "shaders/heatmap.vert", shaders::heatmap_frag,
                              "shaders/heatmap.frag", &e);
    if (!g_program) {
        g_log = e;
        if (error)
            *error =
                "the decision-boundary shader is off (" + e + "); heatmaps are drawn on the CPU";
        return false;
    }
    g_u_values = glGetUniformLocation(g_program, "u_values");
    g_u_size = glGetUniformLocation(g_program, "u_size");
    g_u_opacity = glGetUniformLocation(g_program, "u_opacity");
    g_u_line = glGetUniformLocation(g_program, "u_line");
    const float quad[] = {-1, -1, 1, -1, -1, 1, -1, 1, 1, -1, 1, 1};
    glGenVertexArrays(1, &g_vao);
    glBindVertexArray(g_vao);
    glGenBuffers(1, &g_vbo);
    glBindBuffer(GL_ARRAY_BUFFER, g_vbo);
    glBufferData(GL_ARRAY_BUFFER, sizeof quad, quad, GL_STATIC_DRAW);
    glEnableVertexAttribArray(0);
    glVertexAttribPointer(0, 2, GL_FLOAT, GL_FALSE, 0, nullptr);
    glBindVertexArray(0);
    glBindBuffer(GL_ARRAY_BUFFER, 0);
    return true;
}

bool GlHeatmap::available() {
    return g_program != 0;
}
const std::string& GlHeatmap::compile_log() {
    return g_log;
}

GlHeatmap::~GlHeatmap() {
    if (fbo_) glDeleteFramebuffers(1, &fbo_);
    if (color_) glDeleteTextures(1, &color_);
    if (values_tex_) glDeleteTextures(1, &values_tex_);
}

bool GlHeatmap::render(const std::vector<float>& values, int cols, int rows, int width, int height,
                       float line_px) {
    if (!g_program || cols < 1 || rows < 1 || width < 1 || height < 1 ||
        values.size() < static_cast<std::size_t>(cols) * static_cast<std::size_t>(rows))
        return false;
    if (!fbo_ || width != width_ || height != height_) {
        if (!color_) glGenTextures(1, &color_);
        glBindTexture(GL_TEXTURE_2D, color_);
        glTexImage2D(GL_TEXTURE_2D, 0, GL_RGBA8, width, height, 0, GL_RGBA, GL_UNSIGNED_BYTE,
                     nullptr);
        glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MIN_FILTER, GL_LINEAR);
        glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MAG_FILTER, GL_LINEAR);
        glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_WRAP_S, GL_CLAMP_TO_EDGE);
        glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_WRAP_T, GL_CLAMP_TO_EDGE);
        if (!fbo_) glGenFramebuffers(1, &fbo_);
        glBindFramebuffer(GL_FRAMEBUFFER, fbo_);
        glFramebufferTexture2D(GL_FRAMEBUFFER, GL_COLOR_ATTACHMENT0, GL_TEXTURE_2D, color_, 0);
        width_ = width, height_ = height;
    }
    if (!values_tex_) glGenTextures(1, &values_tex_);
    glActiveTexture(GL_TEXTURE0);
    glBindTexture(GL_TEXTURE_2D, values_tex_);
    glPixelStorei(GL_UNPACK_ALIGNMENT, 4);
    glTexImage2D(GL_TEXTURE_2D, 0, GL_R32F, cols, rows, 0, GL_RED, GL_FLOAT, values.data());
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MIN_FILTER, GL_NEAREST);
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MAG_FILTER, GL_NEAREST);

    glBindFramebuffer(GL_FRAMEBUFFER, fbo_);
    glViewport(0, 0, width, height);
    glDisable(GL_BLEND);
    glDisable(GL_SCISSOR_TEST);
    glUseProgram(g_program);
    glUniform1i(g_u_values, 0);
    glUniform2f(g_u_size, static_cast<float>(cols), static_cast<float>(rows));
    glUniform1f(g_u_opacity, 1.0f);
    glUniform1f(g_u_line, line_px);
    glBindVertexArray(g_vao);
    glDrawArrays(GL_TRIANGLES, 0, 6);
    glBindVertexArray(0);
    glUseProgram(0);
    // Back to the page's framebuffer; no glGet (a synchronous round trip, see imgui_renderer.hpp).
    int fb_width = 1, fb_height = 1;
    renderer_framebuffer_size(&fb_width, &fb_height);
    glBindFramebuffer(GL_FRAMEBUFFER, 0);
    glViewport(0, 0, fb_width, fb_height);
    ++renders_;
    return true;
}

ImTextureID GlHeatmap::texture() const {
    return reinterpret_cast<ImTextureID>(static_cast<std::intptr_t>(color_));
}

ImU32 diverging_color(float v) {
    v = std::clamp(std::isfinite(v) ? v : 0.0f, -1.0f, 1.0f);
    const float w[3] = {0.98f, 0.98f, 0.97f}, o[3] = {0.96f, 0.62f, 0.29f},
                b[3] = {0.25f, 0.52f, 0.85f};
    const float* t = v < 0 ? o : b;
    const float a = std::fabs(v);
    auto c = [&](int i) { return static_cast<int>(std::lround(255 * (w[i] + (t[i] - w[i]) * a))); };
    return IM_COL32(c(0), c(1), c(2), 255);
}

void draw_heatmap_cpu(ImDrawList* dl, ImVec2 p0, ImVec2 p1, const std::vector<float>& values,
                      int cols, int rows) {
    if (cols < 1 || rows < 1 || values.size() < static_cast<std::size_t>(cols * rows)) return;
    const float cw = (p1.x - p0.x) / static_cast<float>(cols),
                ch = (p1.y - p0.y) / static_cast<float>(rows);
    for (int r = 0; r < rows; ++r)
        for (int c = 0; c < cols; ++c)
            dl->AddRectFilled(
                ImVec2(p0.x + cw * static_cast<float>(c), p1.y - ch * static_cast<float>(r + 1)),
                ImVec2(p0.x + cw * static_cast<float>(c + 1), p1.y - ch * static_cast<float>(r)),
                diverging_color(values[static_cast<std::size_t>(r * cols + c)]));
}

}  // namespace quantlab::widgets
