#include "tldse/energy_table.hpp"

#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "tldse/arch.hpp"
#include "tldse/io.hpp"

namespace tldse {

// Default: 45 nm figures after M. Horowitz, "Computing's energy problem (and what we can do
// about it)", ISSCC 2014 (0.9 V). See docs/model.md for the derivation of each entry.
EnergyTable EnergyTable::horowitz45() { return EnergyTable{}; }

// Eyeriss normalised costs (Chen, Emer, Sze, ISCA 2016, Fig. 1 / Table): a 16-bit access
// costs MAC 1, RF 1, NoC (inter-PE) 2, global buffer 6, DRAM 200, independent of size.
EnergyTable EnergyTable::eyeriss_normalized() {
    EnergyTable t;
    t.name = "eyeriss";
    t.ref_bits = 16;
    t.mac_pj = 1;
    t.rf_pj = 1;
    t.noc_pj = 2;
    t.glb_pj = 6;
    t.dram_pj = 200;
    t.sram_size_exponent = 0;
    t.leakage_mw_per_mm2 = 0;
    return t;
}

EnergyTable EnergyTable::by_name(const std::string& name) {
    if (name == "horowitz45" || name == "default") return horowitz45();
    if (name == "eyeriss") return eyeriss_normalized();
    throw std::invalid_argument("unknown energy table '" + printable(name) +
                                "' (built-in: horowitz45, eyeriss; or a file path)");
}

void EnergyTable::set(const std::string& key, double v) {
#define TLDSE_ENERGY_SET(field, def, lo, doc)                                   \
    if (key == #field) {                                                        \
        if (!std::isfinite(v) || v < 0) {                                       \
            throw std::invalid_argument(key + " must be a finite number >= 0"); \
        }                                                                       \
        if (v < (lo)) throw std::invalid_argument(key + " must be > 0");        \
        field = v;                                                              \
        return;                                                                 \
    }
    TLDSE_ENERGY_FIELDS(TLDSE_ENERGY_SET)
#undef TLDSE_ENERGY_SET
    std::string valid;
    for (const auto& f : kEnergyFields) valid += std::string(valid.empty() ? "" : ", ") + f.name;
    throw std::invalid_argument("unknown energy-table key '" + key + "' (valid: " + valid + ")");
}

std::array<double, kEnergyFields.size()> EnergyTable::values() const {
    return {
#define TLDSE_ENERGY_VALUE(field, def, lo, doc) field,
        TLDSE_ENERGY_FIELDS(TLDSE_ENERGY_VALUE)
#undef TLDSE_ENERGY_VALUE
    };
}

void EnergyTable::validate() const {
    const auto v = values();
    for (std::size_t i = 0; i < v.size(); ++i) {
        const FieldInfo& f = kEnergyFields[i];
        if (!std::isfinite(v[i]) || v[i] < 0) {
            throw std::invalid_argument(std::string(f.name) + " must be a finite number >= 0");
        }
        if (v[i] < f.min) throw std::invalid_argument(std::string(f.name) + " must be > 0");
    }
}

EnergyTable EnergyTable::from_stream(std::istream& in, const std::string& name) {
    EnergyTable t;
    t.name = name;
    for (const auto& kv : read_key_values(in, name, KeyScope::file)) {
        const double v = parse_number(kv.value, name, kv.line, kv.key);
        try {
            t.set(kv.key, v);
        } catch (const std::invalid_argument& e) {
            throw std::invalid_argument(
                printable(name + ":" + std::to_string(kv.line) + ": " + e.what()));
        }
    }
    try {
        t.validate();
    } catch (const std::invalid_argument& e) {
        throw std::invalid_argument(printable(name) + ": " + e.what());
    }
    return t;
}

EnergyTable EnergyTable::from_file(const std::string& path) {
    std::error_code ec;
    if (!std::filesystem::is_regular_file(path, ec)) {
        throw std::invalid_argument(
            printable(path) + ": " +
            (std::filesystem::exists(path, ec) ? "not a regular file" : "no such file") +
            " (the built-in energy tables are horowitz45 and eyeriss)");
    }
    std::ifstream in(path, std::ios::binary);
    if (!in) throw std::invalid_argument(printable(path) + ": cannot open file");
    return from_stream(in, path);
}

double EnergyTable::rf_access_pj(double rf_bytes, double bits) const {
    const double scale = std::pow(std::max(rf_bytes, 1.0) / rf_ref_bytes, sram_size_exponent);
    return rf_pj * scale * bits / ref_bits;
}

double EnergyTable::glb_access_pj(double glb_bytes, double bits) const {
    const double scale = std::pow(std::max(glb_bytes, 1.0) / glb_ref_bytes, sram_size_exponent);
    return glb_pj * scale * bits / ref_bits;
}

double EnergyTable::area_um2(const Arch& a) const {
    const double pes = static_cast<double>(a.pe_rows) * static_cast<double>(a.pe_cols);
    // Areas are always given for 8-bit x 8-bit MACs, whatever the energy reference word.
    const double mac = mac_um2 * a.weight_bits * a.act_bits / 64.0;
    return pes * (mac + rf_um2_per_byte * a.rf_bytes + noc_um2_per_pe) +
           glb_um2_per_byte * a.glb_bytes;
}

EnergyTable::AreaBreakdown EnergyTable::area_breakdown_um2(const Arch& a) const {
    const double pes = static_cast<double>(a.pe_rows) * static_cast<double>(a.pe_cols);
    return {pes * (mac_um2 * a.weight_bits * a.act_bits / 64.0),
            pes * (rf_um2_per_byte * a.rf_bytes), pes * noc_um2_per_pe,
            glb_um2_per_byte * a.glb_bytes};
}

}  // namespace tldse
