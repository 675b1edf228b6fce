// Energy and area per action, per technology. See docs/model.md for sources.
#pragma once

#include <string>

namespace tldse {

struct Arch;

struct EnergyTable {
    std::string name = "horowitz45";
    // Every per-access energy below is for one access of a `ref_bits`-wide word; an access
    // of a b-bit datum costs e * b / ref_bits. A MAC with w-bit and a-bit operands costs
    // mac_pj * (w * a) / ref_bits^2.
    double ref_bits = 8;
    double mac_pj = 0.23;
    double rf_pj = 1.25;          // at rf_ref_bytes
    double rf_ref_bytes = 8192;
    double noc_pj = 0.46;         // one word over the GLB<->PE network
    double glb_pj = 1.25;         // at glb_ref_bytes
    double glb_ref_bytes = 8192;
    double sram_size_exponent = 0.5;  // e(size) = e_ref * (size / ref)^exponent
    double dram_pj = 250.0;
    double leakage_mw_per_mm2 = 0.0;
    // Area (um^2).
    double mac_um2 = 318.0;          // at 8-bit x 8-bit operands (independent of ref_bits)
    double rf_um2_per_byte = 22.4;
    double glb_um2_per_byte = 5.6;
    double noc_um2_per_pe = 32.0;

    static EnergyTable horowitz45();
    static EnergyTable eyeriss_normalized();
    static EnergyTable by_name(const std::string& name);  // throws on unknown names
    // Flat "key = value" file (a TOML subset; '#' comments, [sections] ignored). Unknown
    // keys and non-numeric values throw std::invalid_argument naming file, line and key.
    static EnergyTable from_file(const std::string& path);
    // Sets one field by its key; throws std::invalid_argument on unknown keys / bad values.
    void set(const std::string& key, double value);
    void validate() const;

    double rf_access_pj(double rf_bytes, double bits) const;
    double glb_access_pj(double glb_bytes, double bits) const;
    double noc_access_pj(double bits) const { return noc_pj * bits / ref_bits; }
    double dram_access_pj(double bits) const { return dram_pj * bits / ref_bits; }
    double mac_energy_pj(double w_bits, double a_bits) const {
        return mac_pj * w_bits * a_bits / (ref_bits * ref_bits);
    }
    double area_um2(const Arch& a) const;
};

}  // namespace tldse
