// Adjacency lists of all revisions in one array (compressed rows): one allocation for the
// whole graph instead of one per revision, which matters when loading thousands.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

namespace retort::migrate {

class Adjacency {
 public:
  std::span<const std::int32_t> operator[](std::size_t row) const {
    return {data_.data() + offsets_[row], data_.data() + offsets_[row + 1]};
  }
  std::size_t size() const noexcept { return offsets_.size() - 1; }

  // Rows are appended in order: push() into the current row, end_row() to close it.
  void push(std::int32_t value) { data_.push_back(value); }
  void end_row() { offsets_.push_back(static_cast<std::uint32_t>(data_.size())); }
  void reserve(std::size_t rows, std::size_t values) {
    offsets_.reserve(rows + 1);
    data_.reserve(values);
  }

  // The reverse graph: row v lists, in increasing order, every u whose row holds v.
  Adjacency reversed() const {
    Adjacency out;
    std::vector<std::uint32_t> count(size() + 1, 0);
    for (std::int32_t v : data_) {
      ++count[static_cast<std::size_t>(v) + 1];
    }
    for (std::size_t i = 1; i < count.size(); ++i) {
      count[i] += count[i - 1];
    }
    out.offsets_ = count;
    out.data_.resize(data_.size());
    for (std::size_t u = 0; u < size(); ++u) {
      for (std::int32_t v : (*this)[u]) {
        out.data_[count[static_cast<std::size_t>(v)]++] = static_cast<std::int32_t>(u);
      }
    }
    return out;
  }

 private:
  std::vector<std::uint32_t> offsets_{0};
  std::vector<std::int32_t> data_;
};

}  // namespace retort::migrate
