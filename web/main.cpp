// The browser main loop: GLFW window on the page's canvas, one ImGui frame per animation
// frame, canvas sized to CSS pixels x devicePixelRatio, and the URL kept in step with the state.
#include <GLES3/gl3.h>
#include <GLFW/glfw3.h>
#include <emscripten.h>
#include <emscripten/html5.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>

#include "app.hpp"
#include "imgui.h"
#include "imgui_impl_glfw.h"
#include "imgui_internal.h"
#include "panel.hpp"
#include "shell.hpp"
#include "ui/gl_heatmap.hpp"
#include "ui/imgui_renderer.hpp"
#include "ui/item_log.hpp"
#include "ui/theme.hpp"
#include "ui/touch_input.hpp"
#include "ui/touch_value.hpp"

namespace {

GLFWwindow* g_window = nullptr;
float g_dpr = 0;
int g_width = 0, g_height = 0;
bool g_touch = false;  // matchMedia('(pointer: coarse)'), checked when the canvas is resized
std::string g_published_query;

// clang-format off
// Page text for the C++ side: 0 = the URL's query, 1 = its hide= list. Copied into a buffer the
// caller owns with stringToUTF8 (always in the runtime; stringToNewUTF8 needs a library dep).
EM_JS(int, page_text_length, (int which), {
    const p = new URLSearchParams(window.location.search);
    const text = which === 0 ? (window.location.search || "") : (p.get("hide") || "");
    return lengthBytesUTF8(text) + 1;
});
EM_JS(void, page_text_copy, (int which, char* buffer, int size), {
    const p = new URLSearchParams(window.location.search);
    const text = which === 0 ? (window.location.search || "") : (p.get("hide") || "");
    stringToUTF8(text, buffer, size);
});
EM_JS(void, write_url_query, (const char* query), {
    const url = new URL(window.location.href);
    const keep = ["hide", "embed"].filter(k => url.searchParams.has(k))
                                   .map(k => k + "=" + encodeURIComponent(url.searchParams.get(k)));
    const q = UTF8ToString(query) + (keep.length ? "&" + keep.join("&") : "");
    window.history.replaceState(null, "", url.pathname + "?" + q + url.hash);
});
EM_JS(int, is_embedded, (), {
    const p = new URLSearchParams(window.location.search);
    return (/embed[.]html$/.test(window.location.pathname) || p.get("embed") === "1") ? 1 : 0;
});
EM_JS(void, fetch_dataset, (const char* name), {
    if (Module.fetchDataset) Module.fetchDataset(UTF8ToString(name));
});
EM_JS(void, fetch_model, (const char* url), {
    if (Module.fetchModel) Module.fetchModel(UTF8ToString(url));
});
// The shell's sharing controls: the JS shell copies the link or opens the full lab (in the same
// frame as the click, so the browser still counts it as the user's gesture).
EM_JS(void, page_share, (int what), {
    if (what === 1 && Module.copyShareLink) Module.copyShareLink();
    if (what === 2 && Module.openFullLab) Module.openFullLab();
});
// The on-screen keyboard: the JS shell focuses a hidden input while ImGui wants text.
EM_JS(void, page_text_input, (int on), {
    if (Module.setTextInput) Module.setTextInput(on !== 0);
});
// A coarse pointer (a finger) as the page's main input: touch-sized targets.
EM_JS(int, pointer_is_coarse, (), {
    return (window.matchMedia && window.matchMedia("(pointer: coarse)").matches) ? 1 : 0;
});
EM_JS(void, notify_ready, (), {
    if (Module.onLabReady) Module.onLabReady();
});
EM_JS(void, show_fatal, (const char* text), {
    if (Module.onLabFatal) Module.onLabFatal(UTF8ToString(text));
});
// clang-format on

std::string page_text(int which) {
    std::string text(static_cast<std::size_t>(page_text_length(which)), '\0');
    page_text_copy(which, text.data(), static_cast<int>(text.size()));
    text.resize(text.size() - 1);
    return text;
}

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
    quantlab::widgets::renderer_upload_fonts();

    quantlab::widgets::apply_style(quantlab::app().state().theme, dpr, g_touch);
}

// Canvas backbuffer = CSS size x devicePixelRatio, so text stays sharp on high-DPI screens.
// ImGui then works in backbuffer pixels, which is also what GLFW reports for the mouse.
void sync_canvas_size() {
    double css_w = 0, css_h = 0;
    emscripten_get_element_css_size("#canvas", &css_w, &css_h);
    const double dpr = emscripten_get_device_pixel_ratio();
    const int w = std::max(1, static_cast<int>(std::lround(css_w * dpr)));
    const int h = std::max(1, static_cast<int>(std::lround(css_h * dpr)));
    bool restyle = false;
    if (w != g_width || h != g_height) {
        emscripten_set_canvas_element_size("#canvas", w, h);
        g_width = w, g_height = h;
        const bool touch = pointer_is_coarse() != 0;
        restyle = touch != g_touch;
        g_touch = touch;
    }
    if (static_cast<float>(dpr) != g_dpr) {
        g_dpr = static_cast<float>(dpr);
        load_fonts_and_style(g_dpr);
    } else if (restyle) {
        quantlab::widgets::apply_style(quantlab::app().state().theme, g_dpr, g_touch);
    }
}

std::string g_theme;

// The tooltip window drawn this frame, if any (metrics().tooltip).
void record_tooltip(quantlab::App& app) {
    app.tooltip.reset();
    for (ImGuiWindow* w : GImGui->Windows) {
        if (!(w->Flags & ImGuiWindowFlags_Tooltip) || !w->Active || w->Hidden) continue;
        app.tooltip = quantlab::ViewRect{w->Pos.x / g_dpr, w->Pos.y / g_dpr, w->Size.x / g_dpr,
                                         w->Size.y / g_dpr};
    }
}

// While the run trains in the worker, or an analysis runs there, and nobody touches the page, the
// page only shows the worker's progress (sent every 100-150 ms): it draws at most every
// kQuietFrameMs then, so a machine without a GPU (whose software rasteriser redraws the whole
// canvas each frame) keeps its cores for the worker. Input in the last second, a mouse button
// held or an in-page job: every frame.
constexpr double kQuietFrameMs = 200, kInputFullRateMs = 1000;
double g_last_drawn_ms = -1e9;

bool page_is_quiet(quantlab::App& app, double now_ms) {
    if (now_ms - app.last_input_ms < kInputFullRateMs) return false;
    for (bool down : ImGui::GetIO().MouseDown)
        if (down) return false;
    bool worker_busy = app.model().in_worker();
    for (const quantlab::ScheduledJob& j : app.jobs()) {
        if (!j.job || !j.job->running()) continue;
        if (!j.elsewhere) return false;
        worker_busy = true;
    }
    return worker_busy;
}

void frame() {
    const double frame_start = emscripten_get_now();
    quantlab::App& app = quantlab::app();
    if (frame_start - g_last_drawn_ms < kQuietFrameMs && page_is_quiet(app, frame_start)) return;
    g_last_drawn_ms = frame_start;
    app.now = frame_start / 1000.0;
    quantlab::Scheduler& scheduler = app.scheduler();
    scheduler.begin_frame(frame_start);
    // Jobs run between frames (the JS pump); only when no pump ran lately do they get a small
    // share of the frame itself, so long work still moves on a page without the JS shell.
    if (!scheduler.pump_is_running(frame_start))
        scheduler.run(app.jobs(), quantlab::Scheduler::kInFrameMs);
    sync_canvas_size();
    glfwPollEvents();
    ImGui_ImplGlfw_NewFrame();
    quantlab::widgets::touch_apply_to_frame();  // a finger's pointer, when touch is in use
    quantlab::widgets::touch_value_begin_frame();
    ImGuiIO& io = ImGui::GetIO();
    io.DisplaySize = ImVec2(static_cast<float>(g_width), static_cast<float>(g_height));
    io.DisplayFramebufferScale = ImVec2(1, 1);
    ImGui::NewFrame();
    quantlab::widgets::item_log_begin_frame();
    app.layout.clear();
    app.frame_dpr = g_dpr;

    ImGui::SetNextWindowPos(ImVec2(0, 0));
    ImGui::SetNextWindowSize(io.DisplaySize);
    ImGui::Begin("QuantLab", nullptr,
                 ImGuiWindowFlags_NoTitleBar | ImGuiWindowFlags_NoResize |
                     ImGuiWindowFlags_NoCollapse | ImGuiWindowFlags_NoMove |
                     ImGuiWindowFlags_NoBringToFrontOnFocus | ImGuiWindowFlags_NoSavedSettings);
    app.in_frame = true;
    app.refresh(true);
    quantlab::handle_keys(app);
    quantlab::UiScale ui;
    ui.dpr = g_dpr;
    ui.narrow = static_cast<float>(g_width) < quantlab::UiScale::kNarrowCss * g_dpr;
    ui.touch = g_touch;
    app.frame_narrow = ui.narrow;
    app.frame_touch = ui.touch;
    app.frame_font_px = ImGui::GetFontSize() / g_dpr;
    quantlab::draw_shell(app, ui);
    app.in_frame = false;
    ImGui::End();
    quantlab::widgets::touch_value_draw(g_dpr);  // the dragged slider's value above the finger

    const double draw_end = emscripten_get_now();
    ImGui::Render();
    record_tooltip(app);
    glViewport(0, 0, g_width, g_height);
    const ImVec4 bg = ImGui::GetStyle().Colors[ImGuiCol_WindowBg];
    glClearColor(bg.x, bg.y, bg.z, 1);
    glClear(GL_COLOR_BUFFER_BIT);
    quantlab::widgets::renderer_draw(ImGui::GetDrawData(), g_width, g_height);
    app.render_ms_last = emscripten_get_now() - draw_end;

    const std::string query = qlab::to_query(app.state());  // shared keys + the open lesson's
    if (query != g_published_query) {
        write_url_query(query.c_str());
        g_published_query = query;
    }
    if (app.state().theme != g_theme) {
        g_theme = app.state().theme;
        quantlab::widgets::apply_style(g_theme, g_dpr, g_touch);
    }
    if (app.share_request != quantlab::ShareRequest::none) {
        page_share(app.share_request == quantlab::ShareRequest::copy_link ? 1 : 2);
        app.share_request = quantlab::ShareRequest::none;
    }
    static bool text_input = false;
    if (io.WantTextInput != text_input) {
        text_input = io.WantTextInput;
        page_text_input(text_input ? 1 : 0);
    }
    for (const std::string& name : app.requested_datasets) fetch_dataset(name.c_str());
    app.requested_datasets.clear();
    for (const std::string& url : app.requested_models) fetch_model(url.c_str());
    app.requested_models.clear();
    // ImGui lays out a window over its first frames; report ready once it has drawn for real.
    if (++app.frames == 3) notify_ready();
    app.record_frame_ms(emscripten_get_now() - frame_start);
}

// Installed before ImGui's callbacks, which chain to them (ImGui 1.86 installs none for the
// cursor position). Any input draws the next frames at full rate (page_is_quiet).
void install_input_callbacks() {
    // A key pressed and released between two frames (common at low frame rates) would
    // otherwise never be seen as pressed.
    glfwSetKeyCallback(g_window, [](GLFWwindow*, int key, int, int action, int) {
        if (action != GLFW_RELEASE) quantlab::app().pending_keys.push_back(key);
        quantlab::app().last_input_ms = emscripten_get_now();
    });
    glfwSetMouseButtonCallback(g_window, [](GLFWwindow*, int, int, int) {
        quantlab::app().last_input_ms = emscripten_get_now();
    });
    glfwSetCursorPosCallback(g_window, [](GLFWwindow*, double, double) {
        quantlab::app().last_input_ms = emscripten_get_now();
    });
    glfwSetCharCallback(g_window, [](GLFWwindow*, unsigned int) {
        quantlab::app().last_input_ms = emscripten_get_now();
    });
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
    install_input_callbacks();

    IMGUI_CHECKVERSION();
    ImGui::CreateContext();
    ImGui::GetIO().IniFilename = nullptr;  // the URL, not imgui.ini, holds the lab's state
    quantlab::widgets::item_log_enable();  // widgets() in the JS API
    ImGui_ImplGlfw_InitForOpenGL(g_window, true);
    // Emscripten 3.1.6's GLFW passes the browser's raw wheel delta (pixels, positive = down), so
    // ImGui's own callback would scroll the wrong way by ~100 notches; convert to notches, up = +.
    glfwSetScrollCallback(g_window, [](GLFWwindow*, double dx, double dy) {
        quantlab::app().last_input_ms = emscripten_get_now();
        const auto notches = [](double v) { return std::clamp(-v / 100.0, -3.0, 3.0); };
        ImGuiIO& io = ImGui::GetIO();
        io.MouseWheelH += static_cast<float>(notches(dx));
        io.MouseWheel += static_cast<float>(notches(dy));
    });
    std::string renderer_error;
    if (!quantlab::widgets::renderer_init(&renderer_error)) {
        show_fatal(renderer_error.c_str());
        return 1;
    }

    quantlab::App& app = quantlab::app();
    std::string shader_error;
    if (!quantlab::widgets::GlHeatmap::init(&shader_error))
        app.report(shader_error, quantlab::MessageLevel::error);
    // The registry and the core's panel names must agree (a test checks it too).
    std::vector<std::string> keys;
    for (quantlab::Panel* p : quantlab::panels()) keys.push_back(p->key());
    if (keys != qlab::panel_names())
        app.report("internal: the lesson registry does not match the URL's panel names");

    app.apply_query(page_text(0));
    app.embedded = is_embedded() != 0;
    for (std::string rest = page_text(1); !rest.empty();) {
        const std::size_t comma = rest.find(',');
        const std::string key = rest.substr(0, comma);
        rest = comma == std::string::npos ? "" : rest.substr(comma + 1);
        if (qlab::find_property(key))
            app.locked_keys.push_back(key);
        else if (!key.empty())
            app.report("hide=: '" + key + "' is not a setting; nothing locked for it");
    }
    g_theme = app.state().theme;
    app.announce_all();

    emscripten_set_main_loop(frame, 0, false);
    return 0;
}
