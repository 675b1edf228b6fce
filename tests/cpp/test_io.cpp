// The file readers' strict rules and SCALE-Sim v2/v3 semantics (io.hpp, docs/model.md
// "SCALE-Sim files"): expected values written down by hand from SCALE-Sim 3.0.0's
// scale_config.py / single_layer_sim.py / topology_utils.py and RFC 3629.
#include <sstream>
#include <string>
#include <vector>

#include "tldse/energy_table.hpp"
#include "tldse/io.hpp"

#include "check.hpp"

using namespace tldse;
using check::tmp_file;

namespace {

std::vector<NamedLayer> topology(const std::string& text,
                                 std::vector<std::string>* warnings = nullptr) {
    std::istringstream in(text);
    return read_topology(in, "t.csv", nullptr, warnings);
}

ScaleSimConfig cfg(const std::string& text) {
    std::istringstream in(text);
    return read_scalesim_config(in, "s.cfg");
}

Arch arch(const std::string& text) {
    std::istringstream in(text);
    return read_arch_file(in, "a.toml", Arch{});
}

EnergyTable energy(const std::string& text) {
    std::istringstream in(text);
    return EnergyTable::from_stream(in, "e.toml");
}

bool contains(const std::string& text, const std::string& needle) {
    return text.find(needle) != std::string::npos;
}

}  // namespace

TEST_CASE(printable_utf8) {
    // Well-formed UTF-8 is kept: 2, 3 and 4 bytes.
    CHECK_EQ(printable("conv1 \xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80"),
             std::string("conv1 \xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80"));
    CHECK_EQ(printable("a\tb"), std::string("a\tb"));
    struct Case {
        const char* in;
        const char* out;
    };
    const Case cases[] = {
        {"\xC0\xAF", "\\xC0\\xAF"},                    // overlong '/' (2 bytes)
        {"\xC1\xBF", "\\xC1\\xBF"},                    // overlong, 2 bytes
        {"\xE0\x80\xAF", "\\xE0\\x80\\xAF"},           // overlong '/' (3 bytes)
        {"\xE0\x9F\xBF", "\\xE0\\x9F\\xBF"},           // overlong U+07FF
        {"\xF0\x80\x80\xAF", "\\xF0\\x80\\x80\\xAF"},  // overlong '/' (4 bytes)
        {"\xF0\x8F\xBF\xBF", "\\xF0\\x8F\\xBF\\xBF"},  // overlong U+FFFF
        {"\xED\xA0\x80", "\\xED\\xA0\\x80"},           // surrogate U+D800
        {"\xED\xBF\xBF", "\\xED\\xBF\\xBF"},           // surrogate U+DFFF
        {"\xF4\x90\x80\x80", "\\xF4\\x90\\x80\\x80"},  // U+110000
        {"\xF5\x80\x80\x80", "\\xF5\\x80\\x80\\x80"},  // lead byte F5
        {"\xFF", "\\xFF"},
        {"\x80x", "\\x80x"},              // stray continuation byte
        {"\xE2\x82", "\\xE2\\x82"},       // truncated at the end
        {"\xE2\x82x", "\\xE2\\x82x"},     // truncated before ASCII
        {"\x1B[31mred", "\\x1B[31mred"},  // ESC: terminal escape
        {"a\nb\rc", "a\\x0Ab\\x0Dc"},     // line breaks
        {"\x7F", "\\x7F"},                // DEL
        {"\xC2\x9B"
         "31m",
         "\\xC2\\x9B31m"},                         // C1 CSI
        {"\xC2\xA0", "\xC2\xA0"},                  // U+00A0 is text: kept
        {"\xED\x9F\xBF", "\xED\x9F\xBF"},          // U+D7FF: the last before the surrogates
        {"\xF4\x8F\xBF\xBF", "\xF4\x8F\xBF\xBF"},  // U+10FFFF: the last code point
    };
    for (const Case& c : cases) {
        SECTION(c.out);
        CHECK_EQ(printable(c.in), std::string(c.out));
        CHECK_EQ(printable(printable(c.in)), printable(c.in));  // idempotent
    }
}

TEST_CASE(duplicate_keys) {
    const std::string base =
        "[architecture_presets]\nArrayHeight: 4\nArrayWidth: 4\nIfmapSramSzkB: 1\n"
        "FilterSramSzkB: 1\nOfmapSramSzkB: 1\nDataflow: ws\n"
        "[run_presets]\nInterfaceBandwidth: CALC\n";
    CHECK_EQ(cfg(base).arch.pe_rows, 4);
    // The same key twice in a section (any case), naming both lines.
    CHECK_THROWS(cfg(base + "[architecture_presets]\n"), "s.cfg:10", "section",
                 "architecture_presets", "also on line 1");
    CHECK_THROWS(cfg("[architecture_presets]\nArrayHeight: 4\narrayheight: 8\n"), "s.cfg:3",
                 "[architecture_presets] 'arrayheight' given twice", "also on line 2");
    // The same key in two sections of a config is two keys.
    CHECK(cfg(base + "[general]\nDataflow = x\n").arch.dataflow == Dataflow::ws);
    // Arch and energy files: keys are unique in the whole file, sections are decoration.
    CHECK_THROWS(arch("pe_rows = 8\n[more]\nPE_ROWS = 16\n"), "a.toml:3", "PE_ROWS",
                 "also on line 1");
    CHECK_THROWS(energy("[energy]\nmac_pj = 1\n[area]\nmac_pj = 2\n"), "e.toml:4", "mac_pj",
                 "also on line 2");
    CHECK_EQ(energy("mac_pj = 1\nglb_pj = 2\n").glb_pj, 2.0);
}

TEST_CASE(duplicate_csv_columns) {
    CHECK_THROWS(topology("name,kind,k,c,K\nx,conv,4,4,8\n"), "t.csv:1", "'k' given twice",
                 "columns 3 and 5");
    CHECK_THROWS(topology("name,kind,name\nx,conv,y\n"), "t.csv:1", "'name' given twice");
}

TEST_CASE(whole_numbers_required) {
    const std::string conv_hdr =
        "Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, Num "
        "Filter, Strides,\n";
    CHECK_THROWS(topology(conv_hdr + "C1, 7.5, 7, 3, 3, 2, 4, 1,\n"), "t.csv:2", "IFMAP Height",
                 "'7.5'", "not a whole number");
    CHECK_THROWS(topology(conv_hdr + "C1, 7.0, 7, 3, 3, 2, 4, 1,\n"), "t.csv:2", "IFMAP Height",
                 "whole number");
    CHECK_THROWS(topology(conv_hdr + "C1, 0x7, 7, 3, 3, 2, 4, 1,\n"), "IFMAP Height");
    CHECK_THROWS(topology("Layer, M, N, K,\nG, 4, 1e3, 2,\n"), "t.csv:2", "field 'N'");
    CHECK_THROWS(topology("name,kind,k,c\nx,conv,4.0,4\n"), "t.csv:2", "field 'k'");
    // --set and arch files: integer fields take whole numbers, every field decimal text.
    Arch a;
    CHECK_THROWS(set_arch_field(a, "pe_rows", "16.5"), "pe_rows", "whole number");
    CHECK_THROWS(set_arch_field(a, "pe_rows", "0x10"), "pe_rows");
    CHECK_THROWS(set_arch_field(a, "clock_mhz", "0x1p10"), "clock_mhz");
    CHECK_THROWS(set_arch_field(a, "clock_mhz", "inf"), "clock_mhz");
    CHECK_THROWS(set_arch_field(a, "glb_bytes", "1_000"), "glb_bytes");
    CHECK_THROWS(set_arch_field(a, "multicast", "maybe"), "multicast", "'maybe'");
    CHECK_THROWS(set_arch_field(a, "multicast", "0.5"), "multicast");
    CHECK_THROWS(set_arch_field(a, "dataflow", "-1"), "dataflow");
    set_arch_field(a, "pe_rows", "+1e2");  // decimal text for a whole number
    CHECK_EQ(a.pe_rows, 100);
    set_arch_field(a, "multicast", "No");
    CHECK(!a.multicast);
    set_arch_field(a, "multicast", "yes");
    CHECK(a.multicast);
    CHECK_THROWS(arch("pe_cols = 12.25\n"), "a.toml:1", "pe_cols", "whole number");
    CHECK_THROWS(energy("mac_pj = 0x10\n"), "e.toml:1", "mac_pj", "expected a number");
    CHECK_THROWS(energy("mac_pj = nan\n"), "e.toml:1", "mac_pj");
    double v = 0;
    CHECK(parse_decimal(" -1.5e3 ", &v));
    CHECK_EQ(v, -1500.0);
    CHECK(!parse_decimal("1e999", &v));  // overflows to inf
    CHECK(!parse_decimal("", &v));
    CHECK(!parse_decimal("++1", &v));
    CHECK(!parse_decimal("1.5.", &v));
}

TEST_CASE(scalesim_topology_quirks) {
    // SCALE-Sim's Resnet50.csv style: extra header columns, an all-empty row, extra fields
    // after Strides, no trailing comma on some rows.
    const std::string text =
        "Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, Num "
        "Filter, Strides,,,Eh,Ew,e2\n"
        ",,,,,,,,,,,,\n"
        "Conv1,224,224,7,7,3,64,2,,,110,110,12100\n"
        "CB2a_1,56,56,1,1,64,64,1,,,,,\n"
        "  ,  ,\n"
        "FC6,1,1,1,1,2048,1000,1\n";
    std::vector<std::string> warnings;
    const auto ls = topology(text, &warnings);
    CHECK_EQ(ls.size(), std::size_t{3});
    CHECK(warnings.empty());  // "110" is not a sparsity ratio
    if (ls.size() == 3) {
        CHECK_EQ(ls[0].name, std::string("Conv1"));
        CHECK_EQ(ls[0].layer.p, 110);  // ceil((224 - 7) / 2) + 1 = ceil(108.5) + 1
        CHECK_EQ(ls[1].layer.c, 64);
        CHECK_EQ(ls[2].layer.c, 2048);
        CHECK_EQ(ls[2].layer.k, 1000);
    }
    // A "DP" row: SCALE-Sim 3 runs Channels layers of one channel each.
    const auto dp = topology(
        "Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, Num "
        "Filter, Strides,\nConv2_DP, 112, 112, 3, 3, 32, 1, 1,\n");
    CHECK_EQ(dp.size(), std::size_t{1});
    if (!dp.empty()) {
        CHECK_EQ(dp[0].layer.c, 1);
        CHECK_EQ(dp[0].layer.k, 1);
        CHECK_EQ(dp[0].layer.count, 32);
        CHECK_EQ(dp[0].layer.macs() * 32, 110.0 * 110 * 9 * 32);
    }
    // A sparsity ratio (SCALE-Sim 3's ninth field) is read, not modelled: warned.
    warnings.clear();
    topology(
        "Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, Num "
        "Filter, Strides, Sparsity\nS, 8, 8, 3, 3, 4, 4, 1, 2:4,\nD, 8, 8, 3, 3, 4, 4, 1, 4:4,\n",
        &warnings);
    CHECK_EQ(warnings.size(), std::size_t{1});
    if (!warnings.empty()) CHECK(contains(warnings[0], "t.csv:2: layer 'S': sparsity 2:4"));
    // Blank rows in GEMM and tldse files too.
    CHECK_EQ(topology("Layer, M, N, K,\n,,,,\nG, 4, 5, 6,\n").size(), std::size_t{1});
    CHECK_EQ(topology("name,kind,k,c\n,,,\nx,conv,4,4\n").size(), std::size_t{1});
    CHECK_THROWS(topology("Layer, M, N, K,\n,,,,\n"), "topology has no layers");
}

namespace {

// A SCALE-Sim 3 config in the shape of its configs/google.cfg, small.
std::string v3_cfg(const std::string& mode, const std::string& ifmap_bw = "20",
                   const std::string& filter_bw = "10", const std::string& banks = "1",
                   const std::string& extra = "") {
    return "[general]\nrun_name = v3\n\n[architecture_presets]\nArrayHeight: 8\nArrayWidth: 16\n"
           "IfmapSramSzkB: 64\nFilterSramSzkB: 32\nOfmapSramSzkB: 16\nIfmapOffset: 0\n"
           "FilterOffset: 10000000\nOfmapOffset: 20000000\nDataflow : ws\nBandwidth : 30\n"
           "ReadRequestBuffer: 32\nWriteRequestBuffer: 32\n\n[layout]\n"
           "IfmapCustomLayout: False\nIfmapSRAMBankBandwidth: " +
           ifmap_bw + "\nIfmapSRAMBankNum: " + banks +
           "\nIfmapSRAMBankPort: 2\nFilterCustomLayout: False\nFilterSRAMBankBandwidth: " +
           filter_bw + "\nFilterSRAMBankNum: 1\nFilterSRAMBankPort: 2\n\n[sparsity]\n" +
           "SparsitySupport : false\nSparseRep : ellpack_block\nOptimizedMapping : false\n"
           "BlockSize : 8\nRandomNumberGeneratorSeed : 40\n\n[run_presets]\n"
           "InterfaceBandwidth: " +
           mode + "\nUseRamulatorTrace: False\n" + extra;
}

}  // namespace

TEST_CASE(scalesim_config_v3) {
    {
        SECTION("USER");
        const ScaleSimConfig c = cfg(v3_cfg("USER"));
        CHECK_EQ(c.version, 3);
        CHECK(!c.calc_bandwidth);
        // ifmap from [layout] IfmapSRAMBankBandwidth, filter from FilterSRAMBankBandwidth,
        // ofmap from Bandwidth (single_layer_sim.py, USER mode).
        CHECK_EQ(c.port_words_per_cycle[0], 20.0);
        CHECK_EQ(c.port_words_per_cycle[1], 10.0);
        CHECK_EQ(c.port_words_per_cycle[2], 30.0);
        CHECK_EQ(c.arch.dram_bw, 10.0);  // one shared port: the smallest
        CHECK_EQ(c.arch.pe_rows, 8);
        CHECK_EQ(c.arch.pe_cols, 16);
        CHECK_EQ(c.arch.glb_input_bytes, 65536.0);
        CHECK_EQ(c.arch.glb_weight_bytes, 32768.0);
        CHECK_EQ(c.arch.glb_output_bytes, 16384.0);
        CHECK_EQ(c.arch.glb_bytes, 114688.0);
        CHECK_EQ(c.arch.glb_bw, 48.0);  // 2 * (8 + 16)
        CHECK_EQ(c.warnings.size(), std::size_t{1});
        if (!c.warnings.empty()) {
            CHECK(contains(c.warnings[0], "(20, 10, 30 words/cycle)"));
            CHECK(contains(c.warnings[0], "one port shared by all three at 10 bytes/cycle"));
            CHECK(contains(c.warnings[0], "the smallest"));
        }
    }
    {
        SECTION("CALC: no DRAM limit, whatever Bandwidth says");
        const ScaleSimConfig c = cfg(v3_cfg("CALC"));
        CHECK(c.calc_bandwidth);
        CHECK_EQ(c.arch.dram_bw, kUnlimitedDramBw);
        CHECK(c.warnings.empty());
    }
    // Banks divide the buffer's bandwidth (SCALE-Sim asserts it).
    CHECK_EQ(cfg(v3_cfg("USER", "20", "10", "4")).arch.dram_bw, 10.0);
    CHECK_THROWS(cfg(v3_cfg("USER", "20", "10", "3")), "s.cfg:20", "IfmapSRAMBankBandwidth",
                 "multiple of the number of banks (3)");
    CHECK_THROWS(cfg(v3_cfg("USER", "2.5")), "s.cfg:20", "IfmapSRAMBankBandwidth", "whole number");
    CHECK_THROWS(cfg(v3_cfg("USER", "20", "10", "1", "[layout]\n")),
                 "section [layout] given twice");
    // Modelling differences are warned about, not ignored.
    std::string custom = v3_cfg("USER");
    custom.replace(custom.find("IfmapCustomLayout: False"), 24, "IfmapCustomLayout: True");
    std::string sparse = v3_cfg("CALC");
    sparse.replace(sparse.find("SparsitySupport : false"), 23, "SparsitySupport : true");
    std::string ram = v3_cfg("CALC");
    ram.replace(ram.find("UseRamulatorTrace: False"), 24, "UseRamulatorTrace: True");
    CHECK_EQ(cfg(custom).warnings.size(), std::size_t{2});
    CHECK(contains(cfg(sparse).warnings.at(0), "sparsity is not modelled"));
    CHECK(contains(cfg(ram).warnings.at(0), "UseRamulatorTrace"));
    std::string bad_bool = v3_cfg("USER");
    bad_bool.replace(bad_bool.find("IfmapCustomLayout: False"), 24, "IfmapCustomLayout: maybe");
    CHECK_THROWS(cfg(bad_bool), "IfmapCustomLayout", "'maybe'");
    std::string no_bank_bw = v3_cfg("USER");
    no_bank_bw.erase(no_bank_bw.find("FilterSRAMBankBandwidth: 10\n"), 28);
    CHECK_THROWS(cfg(no_bank_bw), "[layout] FilterSRAMBankBandwidth is missing");
}

TEST_CASE(scalesim_config_v2) {
    const std::string v2 =
        "[general]\nrun_name = v2\n[architecture_presets]\nArrayHeight: 32\nArrayWidth: 32\n"
        "IfmapSramSzkB: 64\nFilterSramSzkB: 64\nOfmapSramSzkB: 64\nIfmapOffset: 0\n"
        "FilterOffset: 10000000\nOfmapOffset: 20000000\nBandwidth : 10\nDataflow : os\n"
        "MemoryBanks: 1\n[run_presets]\nInterfaceBandwidth: ";
    const ScaleSimConfig user = cfg(v2 + "USER\n");
    CHECK_EQ(user.version, 2);
    // SCALE-Sim 2: every buffer's port has Bandwidth words per cycle.
    CHECK_EQ(user.port_words_per_cycle[0], 10.0);
    CHECK_EQ(user.port_words_per_cycle[1], 10.0);
    CHECK_EQ(user.port_words_per_cycle[2], 10.0);
    CHECK_EQ(user.arch.dram_bw, 10.0);
    CHECK(user.arch.dataflow == Dataflow::os);
    CHECK_EQ(user.warnings.size(), std::size_t{1});
    if (!user.warnings.empty()) CHECK(!contains(user.warnings[0], "smallest"));
    CHECK_EQ(cfg(v2 + "CALC\n").arch.dram_bw, kUnlimitedDramBw);
    // Bandwidth may be a list; SCALE-Sim uses the first value, every value must be whole.
    std::string listed = v2 + "USER\n";
    listed.replace(listed.find("Bandwidth : 10"), 14, "Bandwidth : 12, 40");
    CHECK_EQ(cfg(listed).arch.dram_bw, 12.0);
    listed.replace(listed.find("12, 40"), 6, "12, 4.5");
    CHECK_THROWS(cfg(listed), "Bandwidth", "'4.5'");
    CHECK_THROWS(cfg(v2 + "SOMETIMES\n"), "InterfaceBandwidth", "USER or CALC");
    std::string sram = v2 + "CALC\n";
    sram.replace(sram.find("IfmapSramSzkB: 64"), 17, "IfmapSramSzkB: 64.5");
    CHECK_THROWS(cfg(sram), "s.cfg:6", "IfmapSramSzkB", "not a whole number");
    // No InterfaceBandwidth: USER when Bandwidth is given (a limit), else an error.
    const std::string no_mode = v2.substr(0, v2.find("[run_presets]"));
    CHECK_EQ(cfg(no_mode).arch.dram_bw, 10.0);
    std::string neither = no_mode;
    neither.erase(neither.find("Bandwidth : 10\n"), 15);
    CHECK_THROWS(cfg(neither), "InterfaceBandwidth is missing");
    // Streams and files read the same.
    const std::string path = tmp_file("v2.cfg", v2 + "USER\n");
    CHECK_EQ(read_scalesim_config(path).arch.dram_bw, 10.0);
    CHECK(contains(read_scalesim_config(path).warnings.at(0), path));
}
