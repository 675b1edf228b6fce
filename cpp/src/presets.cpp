#include "tldse/presets.hpp"

#include <cctype>
#include <stdexcept>

#include "tldse/io.hpp"

namespace tldse {

namespace {

constexpr double kKiB = 1024.0;
constexpr double kMiB = 1024.0 * 1024.0;

// Eyeriss (Chen, Krishna, Emer, Sze, JSSC 2017; Chen, Emer, Sze, ISCA 2016).
Preset eyeriss() {
    Arch a;
    a.dataflow = Dataflow::rs;
    a.pe_rows = 12;  // 12 x 14 = 168 PEs
    a.pe_cols = 14;
    a.rf_weight_bytes = 224 * 2;  // filter scratchpad: 224 x 16 b
    a.rf_input_bytes = 12 * 2;    // ifmap scratchpad: 12 x 16 b
    a.rf_output_bytes = 24 * 2;   // psum scratchpad: 24 x 16 b
    a.rf_bytes = a.rf_weight_bytes + a.rf_input_bytes + a.rf_output_bytes;  // 520 B
    a.glb_bytes = 108 * kKiB;  // 108 KB global buffer, shared
    a.dram_bw = 8;             // 64-bit off-chip data bus, one word per core cycle
    a.glb_bw = 16;             // assumption: two 64-bit GLB ports
    a.multicast = true;        // the GLB -> PE networks multicast
    a.weight_bits = 16;
    a.act_bits = 16;
    a.psum_bits = 16;
    a.clock_mhz = 200;
    return {"eyeriss",
            "Eyeriss v1: 12x14 row-stationary PE array, 16-bit, per-PE filter/ifmap/psum "
            "scratchpads, 108 KB global buffer, 200 MHz",
            "Y.-H. Chen, T. Krishna, J. S. Emer, V. Sze, \"Eyeriss: An Energy-Efficient "
            "Reconfigurable Accelerator for Deep Convolutional Neural Networks\", IEEE JSSC "
            "52(1), 2017; Y.-H. Chen, J. Emer, V. Sze, \"Eyeriss: A Spatial Architecture for "
            "Energy-Efficient Dataflow for Convolutional Neural Networks\", ISCA 2016",
            a};
}

// TPU v1 (Jouppi et al., ISCA 2017).
Preset tpu_v1() {
    Arch a;
    a.dataflow = Dataflow::ws;
    a.pe_rows = 256;  // 256 x 256 matrix unit, 65,536 8-bit MACs
    a.pe_cols = 256;
    a.rf_bytes = 8;  // assumption: 2 weights (double-buffered) + 1 input + 32-bit sum = 7 B
    a.glb_bytes = 24 * kMiB + 4 * kMiB;  // 24 MiB unified buffer + 4 MiB accumulators
    a.dram_bw = 34000.0 / 700.0;         // 34 GB/s DDR3 at 700 MHz = 48.57 B/cycle
    a.glb_bw = 256 * 1 + 256 * 4;        // assumption: 256 8-bit inputs + 256 32-bit sums
    a.multicast = false;                 // systolic: operands hop between neighbours
    a.weight_bits = 8;
    a.act_bits = 8;
    a.psum_bits = 32;
    a.clock_mhz = 700;
    return {"tpu-v1",
            "Google TPU v1: 256x256 weight-stationary systolic matrix unit, 8-bit "
            "operands, 32-bit accumulators, 24 MiB unified buffer + 4 MiB accumulators, "
            "34 GB/s DDR3, 700 MHz",
            "N. P. Jouppi et al., \"In-Datacenter Performance Analysis of a Tensor "
            "Processing Unit\", ISCA 2017",
            a};
}

// NVDLA nv_full (NVIDIA Deep Learning Accelerator open hardware, nv_full spec + primer).
Preset nvdla() {
    Arch a;
    a.dataflow = Dataflow::ws;
    a.pe_rows = 64;               // Atomic-C: input channels reduced per cycle (MAC_ATOMIC_C_SIZE)
    a.pe_cols = 32;               // Atomic-K: kernels in parallel (MAC_ATOMIC_K_SIZE); 2048 MACs
    a.rf_bytes = 8;               // assumption, as tpu-v1: 2 weights + 1 input + 32-bit sum
    a.glb_bytes = 16 * 64 * 512;  // CBUF: 16 banks x 64 B x 512 entries = 512 KiB, shared
    a.dram_bw = 20;               // primer: 20 GB/s SDRAM for the 2048-MAC design, at 1 GHz
    a.glb_bw = 64 + 64 + 32 * 4;  // assumption: CBUF data + weight read ports, CACC sums
    a.multicast = true;           // one Atomic-C feature vector is shared by all Atomic-K kernels
    a.weight_bits = 8;
    a.act_bits = 8;
    a.psum_bits = 32;
    a.clock_mhz = 1000;  // assumption: the docs fix no clock
    return {"nvdla",
            "NVDLA nv_full-like: 2048 INT8 MACs as a 64x32 (Atomic-C x Atomic-K) "
            "weight-stationary array, 512 KiB convolution buffer, 20 GB/s DRAM, 1 GHz",
            "NVIDIA Deep Learning Accelerator (NVDLA) open hardware documentation: nv_full "
            "configuration (hw/spec/defs/nv_full.spec), Hardware Architectural "
            "Specification and NVDLA Primer (nvdla.org)",
            a};
}

// ShiDianNao (Du et al., ISCA 2015).
Preset shidiannao() {
    Arch a;
    a.dataflow = Dataflow::os;
    a.pe_rows = 8;  // 8 x 8 NFU
    a.pe_cols = 8;
    a.rf_bytes = 6;  // assumption: one 16-bit weight, input and output register per PE
    a.glb_input_bytes = 64 * kKiB;                                              // NBin
    a.glb_output_bytes = 64 * kKiB;                                             // NBout
    a.glb_weight_bytes = 128 * kKiB;                                            // SB
    a.glb_bytes = a.glb_input_bytes + a.glb_output_bytes + a.glb_weight_bytes;  // 256 KiB
    a.dram_bw = 8;       // assumption: no DRAM on chip; a 64-bit off-chip/sensor interface
    a.glb_bw = 48;       // assumption: NBin, SB and NBout each move 8 x 16 bit per cycle
    a.multicast = true;  // SB broadcasts a weight to all PEs
    a.weight_bits = 16;
    a.act_bits = 16;
    a.psum_bits = 16;
    a.clock_mhz = 1000;
    return {"shidiannao",
            "ShiDianNao: 8x8 output-stationary PE array, 16-bit fixed point, NBin 64 KB / "
            "NBout 64 KB / SB 128 KB buffers, 1 GHz",
            "Z. Du et al., \"ShiDianNao: Shifting Vision Processing Closer to the Sensor\", "
            "ISCA 2015",
            a};
}

std::string lower(const std::string& s) {
    std::string out;
    for (char ch : s) out += static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    return out;
}

}  // namespace

const std::vector<Preset>& presets() {
    static const std::vector<Preset> all = {eyeriss(), tpu_v1(), nvdla(), shidiannao()};
    return all;
}

std::string preset_names() {
    std::string names;
    for (const auto& p : presets()) names += (names.empty() ? "" : ", ") + p.name;
    return names;
}

Arch preset(const std::string& name) {
    const std::string key = lower(name);
    for (const auto& p : presets()) {
        if (p.name == key) return p.arch;
    }
    throw std::invalid_argument("unknown preset '" + printable(name) +
                                "' (valid: " + preset_names() + ")");
}

}  // namespace tldse
