// Browser file helpers: downloads through a Blob URL, and the page's file picker.
#include "download.hpp"

#include <emscripten.h>

namespace {
// clang-format off
EM_JS(void, js_download_text, (const char* name, const char* text, const char* mime), {
    const blob = new Blob([UTF8ToString(text)], { type: UTF8ToString(mime) });
    const url = URL.createObjectURL(blob);
    const a = document.createElement("a");
    a.href = url;
    a.download = UTF8ToString(name);
    document.body.appendChild(a);
    a.click();
    a.remove();
    // Revoke later: some browsers read the URL after click() returns.
    setTimeout(() => URL.revokeObjectURL(url), 10000);
});
EM_JS(void, js_download_bytes, (const char* name, const char* data, int size, const char* mime), {
    const bytes = HEAPU8.slice(data, data + size);
    const url = URL.createObjectURL(new Blob([bytes], { type: UTF8ToString(mime) }));
    const a = document.createElement("a");
    a.href = url;
    a.download = UTF8ToString(name);
    document.body.appendChild(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10000);
});
EM_JS(void, js_pick_file, (), {
    if (Module.pickFile) Module.pickFile();
});
// clang-format on
}  // namespace

namespace quantlab::widgets {

void download_text_file(const std::string& filename, const std::string& text,
                        const std::string& mime) {
    js_download_text(filename.c_str(), text.c_str(), mime.c_str());
}

void download_binary_file(const std::string& filename, const std::string& bytes,
                          const std::string& mime) {
    js_download_bytes(filename.c_str(), bytes.data(), static_cast<int>(bytes.size()), mime.c_str());
}

void pick_file() {
    js_pick_file();
}

}  // namespace quantlab::widgets
