// The browser main loop: GLFW window on the page's canvas, one ImGui frame per animation
// frame, canvas sized to CSS pixels x devicePixelRatio, and the URL kept in step with the state.
#include <GLES3/gl3.h>
#include <GLFW/glfw3.h>
#include <emscripten.h>
#include <emscripten/html5.h>

#include <cmath>
#include <cstdio>
#include <string>

#include "app.hpp"
#include "imgui.h"
#include "imgui_impl_glfw.h"
#include "imgui_impl_opengl3.h"
#include "panel.hpp"
#include "shell.hpp"
#include "ui/gl_heatmap.hpp"

namespace {

GLFWwindow* g_window = nullptr;
float g_dpr = 0;
int g_width = 0, g_height = 0;
std::string g_published_query;

// clang-format off
EM_JS(char*, read_url_query, (), {
    return stringToNewUTF8(window.location.search || "");
});
EM_JS(void, write_url_query, (const char* query), {
    const url = new URL(window.location.href);
    const keep = ["hide", "embed"].filter(k => url.searchParams.has(k))
                                   .map(k => k + "=" + encodeURIComponent(url.searchParams.get(k)));
    const q = UTF8ToString(query) + (keep.length ? "&" + keep.join("&") : "");
    window.history.replaceState(null, "", url.pathname + "?" + q + url.hash);
});
EM_JS(char*, read_hide_list, (), {
    const p = new URLSearchParams(window.location.search);
    return stringToNewUTF8(p.get("hide") || "");
});
EM_JS(int, is_embedded, (), {
    const p = new URLSearchParams(window.location.search);
    return (/embed\.html$/.test(window.location.pathname) || p.get("embed") === "1") ? 1 : 0;
});
EM_JS(void, fetch_dataset, (const char* name), {
    if (Module.fetchDataset) Module.fetchDataset(UTF8ToString(name));
});
EM_JS(void, notify_ready, (), {
    if (Module.onLabReady) Module.onLabReady();
});
EM_JS(void, show_fatal, (const char* text), {
    if (Module.onLabFatal) Module.onLabFatal(UTF8ToString(text));
});
// clang-format on

void load_fonts_and_style(float dpr) {
    ImGuiIO& io = ImGui::GetIO();
    io.Fonts->Clear();
    ImFontConfig config;
    config.OversampleH = 2;
    const float size = std::round(15.0f * dpr);
    ImFont* sans = io.Fonts->AddFontFromFileTTF("/fonts/DejaVuSans.ttf", size, &config);
    ImFont* mono = io.Fonts->AddFontFromFileTTF("/fonts/DejaVuSansMono.ttf", size, &config);
    if (!sans || !mono) {
        quantlab::app().report("embedded fonts missing; using ImGui's built-in font");
        io.Fonts->Clear();
        ImFontConfig fallback;
        fallback.SizePixels = size;
        io.Fonts->AddFontDefault(&fallback);
        io.Fonts->AddFontDefault(&fallback);
    }
    ImGui_ImplOpenGL3_DestroyFontsTexture();
    ImGui_ImplOpenGL3_CreateFontsTexture();

    quantlab::apply_style(quantlab::app().state().theme, dpr);
}

// Canvas backbuffer = CSS size x devicePixelRatio, so text stays sharp on high-DPI screens.
// ImGui then works in backbuffer pixels, which is also what GLFW reports for the mouse.
void sync_canvas_size() {
    double css_w = 0, css_h = 0;
    emscripten_get_element_css_size("#canvas", &css_w, &css_h);
    const double dpr = emscripten_get_device_pixel_ratio();
    const int w = std::max(1, static_cast<int>(std::lround(css_w * dpr)));
    const int h = std::max(1, static_cast<int>(std::lround(css_h * dpr)));
    if (w != g_width || h != g_height) {
        emscripten_set_canvas_element_size("#canvas", w, h);
        g_width = w, g_height = h;
    }
    if (static_cast<float>(dpr) != g_dpr) {
        g_dpr = static_cast<float>(dpr);
        load_fonts_and_style(g_dpr);
    }
}

std::string g_theme;

void frame() {
    const double frame_start = emscripten_get_now();
    quantlab::App& app = quantlab::app();
    app.now = frame_start / 1000.0;
    // Long work first, inside the frame's budget; then the picture shows its result.
    quantlab::run_jobs(app, app.job_budget_ms);
    sync_canvas_size();
    glfwPollEvents();
    ImGui_ImplOpenGL3_NewFrame();
    ImGui_ImplGlfw_NewFrame();
    ImGuiIO& io = ImGui::GetIO();
    io.DisplaySize = ImVec2(static_cast<float>(g_width), static_cast<float>(g_height));
    io.DisplayFramebufferScale = ImVec2(1, 1);
    ImGui::NewFrame();
    app.layout.clear();

    ImGui::SetNextWindowPos(ImVec2(0, 0));
    ImGui::SetNextWindowSize(io.DisplaySize);
    ImGui::Begin("QuantLab", nullptr,
                 ImGuiWindowFlags_NoTitleBar | ImGuiWindowFlags_NoResize | ImGuiWindowFlags_NoCollapse |
                     ImGuiWindowFlags_NoMove |
                     ImGuiWindowFlags_NoBringToFrontOnFocus | ImGuiWindowFlags_NoSavedSettings);
    quantlab::handle_keys(app);
    quantlab::draw_shell(app, quantlab::UiScale{g_dpr});
    ImGui::End();

    ImGui::Render();
    glViewport(0, 0, g_width, g_height);
    const ImVec4 bg = ImGui::GetStyle().Colors[ImGuiCol_WindowBg];
    glClearColor(bg.x, bg.y, bg.z, 1);
    glClear(GL_COLOR_BUFFER_BIT);
    ImGui_ImplOpenGL3_RenderDrawData(ImGui::GetDrawData());

    const std::string query = qlab::to_query(app.state());  // shared keys + the open lesson's
    if (query != g_published_query) {
        write_url_query(query.c_str());
        g_published_query = query;
    }
    if (app.state().theme != g_theme) {
        g_theme = app.state().theme;
        quantlab::apply_style(g_theme, g_dpr);
    }
    for (const std::string& name : app.requested_datasets) fetch_dataset(name.c_str());
    app.requested_datasets.clear();
    // ImGui lays out a window over its first frames; report ready once it has drawn for real.
    if (++app.frames == 3) notify_ready();
    app.record_frame_ms(emscripten_get_now() - frame_start);
}

}  // namespace

int main() {
    if (!glfwInit()) {
        show_fatal("could not initialise GLFW");
        return 1;
    }
    glfwWindowHint(GLFW_CLIENT_API, GLFW_OPENGL_ES_API);
    glfwWindowHint(GLFW_CONTEXT_VERSION_MAJOR, 3);
    glfwWindowHint(GLFW_CONTEXT_VERSION_MINOR, 0);
    g_window = glfwCreateWindow(800, 600, "QuantLab", nullptr, nullptr);
    if (!g_window) {
        show_fatal("this browser could not create a WebGL2 context");
        return 1;
    }
    glfwMakeContextCurrent(g_window);

    IMGUI_CHECKVERSION();
    ImGui::CreateContext();
    ImGui::GetIO().IniFilename = nullptr;  // the URL, not imgui.ini, holds the lab's state
    ImGui_ImplGlfw_InitForOpenGL(g_window, true);
    ImGui_ImplOpenGL3_Init("#version 300 es");

    quantlab::App& app = quantlab::app();
    std::string shader_error;
    if (!quantlab::widgets::GlHeatmap::init(&shader_error)) app.report(shader_error, quantlab::MessageLevel::error);
    // The registry and the core's panel names must agree (a test checks it too).
    std::vector<std::string> keys;
    for (quantlab::Panel* p : quantlab::panels()) keys.push_back(p->key());
    if (keys != qlab::panel_names()) app.report("internal: the lesson registry does not match the URL's panel names");

    char* query = read_url_query();
    app.apply_query(query);
    free(query);
    app.embedded = is_embedded() != 0;
    char* hide = read_hide_list();
    for (std::string rest = hide; !rest.empty();) {
        const std::size_t comma = rest.find(',');
        const std::string key = rest.substr(0, comma);
        rest = comma == std::string::npos ? "" : rest.substr(comma + 1);
        if (qlab::find_property(key)) app.locked_keys.push_back(key);
        else if (!key.empty()) app.report("hide=: '" + key + "' is not a setting; nothing locked for it");
    }
    free(hide);
    g_theme = app.state().theme;
    app.announce_all();

    emscripten_set_main_loop(frame, 0, false);
    return 0;
}
