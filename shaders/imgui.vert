#version 300 es
// ImGui pass, vertex stage: screen-pixel positions to clip space, with the vertex's uv and colour.
precision highp float;
layout(location = 0) in vec2 a_position;
layout(location = 1) in vec2 a_uv;
layout(location = 2) in vec4 a_color;
uniform vec2 u_display;  // framebuffer size in pixels
out vec2 v_uv;
out vec4 v_color;
void main() {
    v_uv = a_uv;
    v_color = a_color;
    gl_Position = vec4(a_position.x / u_display.x * 2.0 - 1.0, 1.0 - a_position.y / u_display.y * 2.0, 0.0, 1.0);
}
