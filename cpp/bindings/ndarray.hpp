// Array checks shared by the binding files: shapes are verified and reported with the
// argument's name before any pointer is taken.
#pragma once

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <cmath>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "tldse/arch.hpp"
#include "tldse/batch.hpp"
#include "tldse/layer.hpp"

namespace tldse::bind {

namespace py = pybind11;

template <typename T>
using CArray = py::array_t<T, py::array::c_style | py::array::forcecast>;

// Checks a 2-D array with `width` columns; a 1-D array of length `width` is one row.
template <typename T>
std::int64_t rows_of(const CArray<T>& a, std::int64_t width, const char* name) {
    if (a.ndim() == 1 && a.shape(0) == width) return 1;
    if (a.ndim() != 2) {
        throw std::invalid_argument(std::string(name) + " must be a 2-D array, got " +
                                    std::to_string(a.ndim()) + " dimensions");
    }
    if (a.shape(1) != width) {
        throw std::invalid_argument(std::string(name) + " must have " + std::to_string(width) +
                                    " columns, got " + std::to_string(a.shape(1)));
    }
    return a.shape(0);
}

// Converts a float table of whole numbers to int64, naming the first bad cell's column.
template <std::size_t W>
std::vector<std::int64_t> to_int_table(const CArray<double>& a, std::int64_t rows,
                                       const std::array<const char*, W>& columns,
                                       const char* name) {
    std::vector<std::int64_t> out(static_cast<std::size_t>(rows) * W);
    const double* p = a.data();
    for (std::int64_t i = 0; i < rows; ++i) {
        for (std::size_t j = 0; j < W; ++j) {
            const double v = p[static_cast<std::size_t>(i) * W + j];
            if (!std::isfinite(v) || v != std::floor(v) || std::fabs(v) >= 9.0e15) {
                throw std::invalid_argument(std::string(name) + " row " + std::to_string(i) + ": " +
                                            columns[j] + " must be a finite whole number, got " +
                                            std::to_string(v));
            }
            out[static_cast<std::size_t>(i) * W + j] = static_cast<std::int64_t>(v);
        }
    }
    return out;
}

// The layer table (float, whole numbers) and the config table, checked and parsed.
inline std::vector<Layer> layers_from(const CArray<double>& layers) {
    const std::int64_t m = rows_of(layers, kLayerWidth, "layers");
    const auto ints = to_int_table(layers, m, kLayerColumns, "layers");
    return parse_layers(ints.data(), m, kLayerWidth);
}

inline std::vector<Arch> configs_from(const CArray<double>& configs) {
    const std::int64_t n = rows_of(configs, kConfigWidth, "configs");
    return parse_configs(configs.data(), n, kConfigWidth);
}

}  // namespace tldse::bind
