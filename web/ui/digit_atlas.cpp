// One texture for a grid of small images (see digit_atlas.hpp); nearest filtering keeps the
// pixels of an 8x8 digit square when it is drawn 48 pixels wide.
#include "digit_atlas.hpp"

#include <GLES3/gl3.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>

namespace quantlab::widgets {

DigitAtlas::~DigitAtlas() {
    if (tex_) glDeleteTextures(1, &tex_);
}

void DigitAtlas::update(const qlab::Dataset& raw, const std::vector<std::size_t>& rows, int side,
                        int cols, float max_value) {
    // The pixels themselves are part of the key: another data set of the same size (MNIST and
    // Fashion-MNIST) may sit in the same Dataset object.
    std::uint64_t sum = 1469598103934665603ull;
    for (std::size_t r : rows) {
        if (r >= raw.size()) continue;
        const float* px = raw.row(r);
        for (int i = 0; i < raw.features; ++i) {
            std::uint32_t bits;
            std::memcpy(&bits, px + i, sizeof bits);
            sum = (sum ^ bits) * 1099511628211ull;
        }
    }
    if (tex_ && data_ == &raw && data_size_ == raw.size() && rows == rows_ && sum == pixels_)
        return;
    pixels_ = sum;
    cols_ = std::max(1, cols);
    grid_rows_ = std::max<int>(1, (static_cast<int>(rows.size()) + cols_ - 1) / cols_);
    const int w = cols_ * side, h = grid_rows_ * side;
    std::vector<unsigned char> rgba(static_cast<std::size_t>(w) * static_cast<std::size_t>(h) * 4,
                                    255);
    const float scale = max_value > 0 ? 1.0f / max_value : 1.0f;
    for (std::size_t k = 0; k < rows.size(); ++k) {
        if (rows[k] >= raw.size()) continue;
        const float* px = raw.row(rows[k]);
        const int ox = static_cast<int>(k % static_cast<std::size_t>(cols_)) * side;
        const int oy = static_cast<int>(k / static_cast<std::size_t>(cols_)) * side;
        for (int y = 0; y < side; ++y)
            for (int x = 0; x < side; ++x) {
                const float ink = std::clamp(px[y * side + x] * scale, 0.0f, 1.0f);
                const auto g = static_cast<unsigned char>(std::lround(255.0f * (1.0f - ink)));
                unsigned char* o =
                    &rgba[(static_cast<std::size_t>(oy + y) * static_cast<std::size_t>(w) +
                           static_cast<std::size_t>(ox + x)) *
                          4];
                o[0] = o[1] = o[2] = g;
            }
    }
    if (!tex_) glGenTextures(1, &tex_);
    glBindTexture(GL_TEXTURE_2D, tex_);
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MIN_FILTER, GL_NEAREST);
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MAG_FILTER, GL_NEAREST);
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_WRAP_S, GL_CLAMP_TO_EDGE);
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_WRAP_T, GL_CLAMP_TO_EDGE);
    glPixelStorei(GL_UNPACK_ALIGNMENT, 1);
    glTexImage2D(GL_TEXTURE_2D, 0, GL_RGBA, std::max(1, w), std::max(1, h), 0, GL_RGBA,
                 GL_UNSIGNED_BYTE, rgba.data());
    data_ = &raw;
    data_size_ = raw.size();
    rows_ = rows;
}

void DigitAtlas::draw(ImDrawList* dl, std::size_t k, ImVec2 a, ImVec2 b) const {
    if (!tex_ || k >= rows_.size()) return;
    const float u = 1.0f / static_cast<float>(cols_), v = 1.0f / static_cast<float>(grid_rows_);
    const float c = static_cast<float>(k % static_cast<std::size_t>(cols_));
    const float r = static_cast<float>(k / static_cast<std::size_t>(cols_));
    dl->AddImage(reinterpret_cast<ImTextureID>(static_cast<intptr_t>(tex_)), a, b,
                 ImVec2(c * u, r * v), ImVec2((c + 1) * u, (r + 1) * v));
}

}  // namespace quantlab::widgets
