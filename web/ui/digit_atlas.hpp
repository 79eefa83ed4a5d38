// Small grey-scale images (digits) packed into one RGBA texture, drawn cell by cell with labels
// and frames: for lessons that show test rows as pictures (the precision lesson's flipped digits).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "imgui.h"
#include "qlab/dataset.hpp"

namespace quantlab::widgets {

class DigitAtlas {
  public:
    DigitAtlas() = default;
    ~DigitAtlas();
    DigitAtlas(const DigitAtlas&) = delete;
    DigitAtlas& operator=(const DigitAtlas&) = delete;

    // Uploads rows of `raw` (side x side pixels in [0, max_value], ink dark) in a grid `cols` wide;
    // does nothing when the same rows of the same data are already there.
    void update(const qlab::Dataset& raw, const std::vector<std::size_t>& rows, int side, int cols,
                float max_value);
    // Draws image k of the grid into the rectangle [a, b].
    void draw(ImDrawList* dl, std::size_t k, ImVec2 a, ImVec2 b) const;
    const std::vector<std::size_t>& rows() const { return rows_; }

  private:
    unsigned tex_ = 0;
    int cols_ = 1, grid_rows_ = 1;
    const qlab::Dataset* data_ = nullptr;
    std::size_t data_size_ = 0;
    std::uint64_t pixels_ = 0;  // a hash of the rows' pixels
    std::vector<std::size_t> rows_;
};

}  // namespace quantlab::widgets
