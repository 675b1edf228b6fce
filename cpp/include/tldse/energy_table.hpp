// Energy and area per action, per technology. See docs/model.md for sources.
#pragma once

#include <array>
#include <istream>
#include <string>

#include "tldse/schema.hpp"

namespace tldse {

struct Arch;

#define TLDSE_ENERGY_INFO(field, def, lo, doc) \
    FieldInfo{#field, FieldType::real, def, lo, kMaxReal, doc},
inline constexpr std::array<FieldInfo, 0 TLDSE_ENERGY_FIELDS(TLDSE_FIELD_COUNT)> kEnergyFields = {
    TLDSE_ENERGY_FIELDS(TLDSE_ENERGY_INFO)};
#undef TLDSE_ENERGY_INFO

struct EnergyTable {
    std::string name = "horowitz45";
    // Every per-access energy below is for one access of a `ref_bits`-wide word; an access
    // of a b-bit datum costs e * b / ref_bits. A MAC with w-bit and a-bit operands costs
    // mac_pj * (w * a) / ref_bits^2.
    // Every field (schema.hpp): per-access energies are for one access of a `ref_bits`-wide
    // word (an access of a b-bit datum costs e * b / ref_bits; a MAC with w-bit and a-bit
    // operands costs mac_pj * (w * a) / ref_bits^2), SRAM energies scale with size, areas
    // are in um^2.
#define TLDSE_ENERGY_MEMBER(field, def, lo, doc) double field = def;
    TLDSE_ENERGY_FIELDS(TLDSE_ENERGY_MEMBER)
#undef TLDSE_ENERGY_MEMBER

    static EnergyTable horowitz45();
    static EnergyTable eyeriss_normalized();
    static EnergyTable by_name(const std::string& name);  // throws on unknown names
    // Flat "key = value" file (a TOML subset; '#' comments, [sections] ignored). Unknown
    // keys, keys given twice and non-numeric values throw std::invalid_argument naming file,
    // line and key; a path that is not a file lists the built-in tables too.
    static EnergyTable from_file(const std::string& path);
    static EnergyTable from_stream(std::istream& in, const std::string& name);
    // Sets one field by its key; throws std::invalid_argument on unknown keys / bad values.
    void set(const std::string& key, double value);
    // Every field's value, in kEnergyFields order, and back (set() checks each).
    std::array<double, kEnergyFields.size()> values() const;
    void validate() const;

    double rf_access_pj(double rf_bytes, double bits) const;
    double glb_access_pj(double glb_bytes, double bits) const;
    double noc_access_pj(double bits) const { return noc_pj * bits / ref_bits; }
    double dram_access_pj(double bits) const { return dram_pj * bits / ref_bits; }
    double mac_energy_pj(double w_bits, double a_bits) const {
        return mac_pj * w_bits * a_bits / (ref_bits * ref_bits);
    }
    double area_um2(const Arch& a) const;
    // area_um2 by component (docs/model.md, "Area"): the PEs' MACs, register files and
    // network share, and the global buffer. They sum to area_um2 (up to rounding).
    struct AreaBreakdown {
        double mac = 0, rf = 0, noc = 0, glb = 0;
    };
    AreaBreakdown area_breakdown_um2(const Arch& a) const;
};

}  // namespace tldse
