#version 300 es
// Heatmap pass, fragment stage: a grid of decision values (class-1 score minus class-0 score,
// squashed to [-1, 1]) sampled bilinearly by hand (float textures are not filterable in every
// WebGL2), coloured orange (class 0) through white to blue (class 1) as on the TF Playground,
// with the decision boundary (value 0) drawn as a dark line one pixel wide at any zoom.
precision highp float;
precision highp sampler2D;
uniform sampler2D u_values;  // R32F, u_size.x by u_size.y, row 0 at the bottom
uniform vec2 u_size;
uniform float u_opacity;
uniform float u_line;        // boundary line width in pixels (0: none)
in vec2 v_uv;
out vec4 frag_color;

float value_at(vec2 uv) {
    vec2 p = clamp(uv * u_size - 0.5, vec2(0.0), u_size - 1.0);
    ivec2 i0 = ivec2(floor(p));
    ivec2 i1 = min(i0 + 1, ivec2(u_size) - 1);
    vec2 f = p - vec2(i0);
    float a = texelFetch(u_values, i0, 0).r;
    float b = texelFetch(u_values, ivec2(i1.x, i0.y), 0).r;
    float c = texelFetch(u_values, ivec2(i0.x, i1.y), 0).r;
    float d = texelFetch(u_values, i1, 0).r;
    return mix(mix(a, b, f.x), mix(c, d, f.x), f.y);
}

void main() {
    float v = clamp(value_at(v_uv), -1.0, 1.0);
    vec3 orange = vec3(0.96, 0.62, 0.29);
    vec3 blue = vec3(0.25, 0.52, 0.85);
    vec3 white = vec3(0.98, 0.98, 0.97);
    vec3 color = v < 0.0 ? mix(white, orange, -v) : mix(white, blue, v);
    float edge = max(fwidth(v), 1e-6);  // flat regions: smoothstep(0, 0, x) is undefined in GLSL
    float line = u_line > 0.0 ? 1.0 - smoothstep(0.0, edge * u_line, abs(v)) : 0.0;
    color = mix(color, vec3(0.15, 0.15, 0.2), line * 0.85);
    frag_color = vec4(color, u_opacity);
}
