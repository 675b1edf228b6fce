#include "tldse/builtin_workloads.hpp"

#include <cctype>
#include <stdexcept>

namespace tldse {

namespace {

struct BuiltinLayer {
    const char* name;
    std::int64_t row[kLayerWidth];  // at batch 1
    unsigned scaled;                // bit i: column i scales with the batch
};

struct BuiltinNetwork {
    const char* name;
    const char* description;
    const BuiltinLayer* layers;
    int n_layers;
};

#include "builtin_workloads_table.inc"

// Lower case with '-', '_' and '/' removed: "MobileNet-V2" == "mobilenet_v2".
std::string key(const std::string& s) {
    std::string out;
    for (char ch : s) {
        if (ch == '-' || ch == '_' || ch == '/') continue;
        out += static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    }
    return out;
}

const BuiltinNetwork& find(const std::string& name) {
    const std::string k = key(name);
    for (const auto& net : kNetworks) {
        if (key(net.name) == k) return net;
    }
    std::string valid;
    for (const auto& n : builtin_workload_names()) valid += (valid.empty() ? "" : ", ") + n;
    throw std::invalid_argument("unknown workload '" + printable(name) + "' (valid: " + valid +
                                ")");
}

}  // namespace

std::vector<std::string> builtin_workload_names() {
    std::vector<std::string> names;
    for (const auto& net : kNetworks) names.emplace_back(net.name);
    return names;
}

std::string builtin_workload_description(const std::string& name) { return find(name).description; }

std::vector<NamedLayer> builtin_workload(const std::string& name, std::int64_t batch) {
    if (batch < 1 || batch >= 2147483648LL) {
        throw std::invalid_argument("batch must be an integer in [1, 2^31), got " +
                                    std::to_string(batch));
    }
    const BuiltinNetwork& net = find(name);
    std::vector<NamedLayer> out;
    out.reserve(static_cast<std::size_t>(net.n_layers));
    for (int i = 0; i < net.n_layers; ++i) {
        const BuiltinLayer& bl = net.layers[i];
        std::int64_t row[kLayerWidth];
        for (int c = 0; c < kLayerWidth; ++c) {
            row[c] = (bl.scaled >> c & 1u) ? bl.row[c] * batch : bl.row[c];  // < 2^62
        }
        try {
            out.push_back({bl.name, Layer::from_row(row)});
        } catch (const std::invalid_argument& e) {
            throw std::invalid_argument(std::string(net.name) + " at batch " +
                                        std::to_string(batch) + ", layer " + bl.name + ": " +
                                        e.what());
        }
    }
    return out;
}

}  // namespace tldse
