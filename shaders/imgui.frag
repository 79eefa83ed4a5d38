#version 300 es
// ImGui pass, fragment stage: the texture (font atlas or a lesson's image) times the vertex colour.
precision mediump float;
uniform sampler2D u_texture;
in vec2 v_uv;
in vec4 v_color;
out vec4 frag_color;
void main() {
    frag_color = v_color * texture(u_texture, v_uv);
}
