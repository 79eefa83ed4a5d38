#version 300 es
// Heatmap pass, vertex stage: one full-target triangle pair; uv runs over the value grid.
layout(location = 0) in vec2 a_position;
out vec2 v_uv;
void main() {
    v_uv = a_position * 0.5 + 0.5;
    gl_Position = vec4(a_position, 0.0, 1.0);
}
