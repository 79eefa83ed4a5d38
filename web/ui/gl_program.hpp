// Builds a GL program from one vertex and one fragment shader (the embedded shaders/ files),
// with a message naming the file and the driver's log when compiling or linking fails.
#pragma once

#include <GLES3/gl3.h>

#include <string>

namespace quantlab::widgets {

// Returns the program, or 0 with `error` set. Attribute locations come from the shaders' layout().
GLuint build_program(const char* vertex_source, const char* vertex_name,
                     const char* fragment_source, const char* fragment_name, std::string* error);

}  // namespace quantlab::widgets
