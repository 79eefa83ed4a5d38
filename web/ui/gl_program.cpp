// Builds GL programs from the embedded shaders (see gl_program.hpp).
#include "gl_program.hpp"

namespace quantlab::widgets {
namespace {

GLuint compile(GLenum type, const char* source, const char* name, std::string* error) {
    GLuint s = glCreateShader(type);
    glShaderSource(s, 1, &source, nullptr);
    glCompileShader(s);
    GLint ok = 0;
    glGetShaderiv(s, GL_COMPILE_STATUS, &ok);
    if (ok) return s;
    char log[2048] = {0};
    glGetShaderInfoLog(s, sizeof log, nullptr, log);
    if (error) *error = std::string(name) + " did not compile: " + log;
    glDeleteShader(s);
    return 0;
}

}  // namespace

GLuint build_program(const char* vertex_source, const char* vertex_name,
                     const char* fragment_source, const char* fragment_name, std::string* error) {
    GLuint vs = compile(GL_VERTEX_SHADER, vertex_source, vertex_name, error);
    GLuint fs = vs ? compile(GL_FRAGMENT_SHADER, fragment_source, fragment_name, error) : 0;
    GLuint program = 0;
    if (vs && fs) {
        program = glCreateProgram();
        glAttachShader(program, vs);
        glAttachShader(program, fs);
        glLinkProgram(program);
        GLint ok = 0;
        glGetProgramiv(program, GL_LINK_STATUS, &ok);
        if (!ok) {
            char log[2048] = {0};
            glGetProgramInfoLog(program, sizeof log, nullptr, log);
            if (error)
                *error = std::string(vertex_name) + " + " + fragment_name + " did not link: " + log;
            glDeleteProgram(program);
            program = 0;
        }
    }
    if (vs) glDeleteShader(vs);
    if (fs) glDeleteShader(fs);
    return program;
}

}  // namespace quantlab::widgets
