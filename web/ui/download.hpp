// Browser file helpers for any lesson: save text as a download (a Blob behind an <a download>),
// and open the page's file picker, whose file comes back through Panel::on_upload.
#pragma once

#include <string>

namespace quantlab::widgets {

// Starts a browser download of `text` named `filename` with the given MIME type.
void download_text_file(const std::string& filename, const std::string& text,
                        const std::string& mime = "application/json");
// The same for bytes (no text conversion): a binary file such as ONNX.
void download_binary_file(const std::string& filename, const std::string& bytes,
                          const std::string& mime = "application/octet-stream");
// Opens the page's hidden file picker (quantlab-shell.js); the chosen file goes to the open lesson.
void pick_file();

}  // namespace quantlab::widgets
