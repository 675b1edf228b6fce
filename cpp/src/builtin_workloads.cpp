#include "tldse/builtin_workloads.hpp"

#include <array>
#include <cctype>
#include <stdexcept>
#include <utility>

namespace tldse {

namespace {

using Layers = std::vector<NamedLayer>;

// A convolution from its input size, as Layer.conv in python/tldse/workloads/layer.py:
// square input h x h and filter r x r, output p = (h + 2 pad - (r - 1) - 1) / stride + 1.
NamedLayer conv(const std::string& name, std::int64_t batch, std::int64_t c, std::int64_t k,
                std::int64_t h, std::int64_t r, std::int64_t stride = 1, std::int64_t pad = 0,
                std::int64_t groups = 1) {
    Layer l;
    l.kind = groups == c && c > 1 ? LayerKind::dwconv : LayerKind::conv;
    l.n = batch;
    l.k = k;
    l.c = c;
    l.p = l.q = (h + 2 * pad - (r - 1) - 1) / stride + 1;
    l.r = l.s = r;
    l.stride_h = l.stride_w = stride;
    l.pad_h = l.pad_w = pad;
    l.groups = groups;
    return {name, l};
}

// A fully connected layer on `batch` vectors: (batch x c_in) @ (c_in x c_out).
NamedLayer fc(const std::string& name, std::int64_t batch, std::int64_t c_in,
              std::int64_t c_out) {
    return {name, Layer::gemm(batch, c_out, c_in)};
}

// AlexNet's five convolutions (Krizhevsky, Sutskever and Hinton, NeurIPS 2012) at
// 227 x 227 as Eyeriss ran it; conv2, conv4 and conv5 have two groups.
Layers alexnet_conv(std::int64_t b) {
    return {conv("conv1", b, 3, 96, 227, 11, 4),             // -> 55, pool -> 27
            conv("conv2", b, 96, 256, 27, 5, 1, 2, 2),       // pool -> 13
            conv("conv3", b, 256, 384, 13, 3, 1, 1),
            conv("conv4", b, 384, 384, 13, 3, 1, 1, 2),
            conv("conv5", b, 384, 256, 13, 3, 1, 1, 2)};     // pool -> 6
}

Layers alexnet(std::int64_t b) {
    Layers l = alexnet_conv(b);
    l.push_back(fc("fc6", b, 256 * 6 * 6, 4096));
    l.push_back(fc("fc7", b, 4096, 4096));
    l.push_back(fc("fc8", b, 4096, 1000));
    return l;
}

// VGG-16, configuration D (Simonyan and Zisserman, ICLR 2015), 224 x 224.
Layers vgg16(std::int64_t b) {
    const std::vector<std::vector<std::int64_t>> plan = {
        {64, 64}, {128, 128}, {256, 256, 256}, {512, 512, 512}, {512, 512, 512}};
    Layers l;
    std::int64_t size = 224, c_in = 3;
    for (std::size_t block = 0; block < plan.size(); ++block) {
        for (std::size_t i = 0; i < plan[block].size(); ++i) {
            const std::int64_t width = plan[block][i];
            l.push_back(conv("conv" + std::to_string(block + 1) + "_" + std::to_string(i + 1),
                             b, c_in, width, size, 3, 1, 1));
            c_in = width;
        }
        size /= 2;  // 2x2/2 max pool
    }
    l.push_back(fc("fc6", b, 512 * size * size, 4096));
    l.push_back(fc("fc7", b, 4096, 4096));
    l.push_back(fc("fc8", b, 4096, 1000));
    return l;
}

// ResNet-18 at 224 x 224 (He et al., CVPR 2016, Table 1).
Layers resnet18(std::int64_t b) {
    Layers l = {conv("conv1", b, 3, 64, 224, 7, 2, 3)};
    std::int64_t size = 56, c_in = 64;  // after the 3x3/2 max pool
    const std::array<std::int64_t, 4> widths = {64, 128, 256, 512};
    for (std::size_t si = 0; si < widths.size(); ++si) {
        const std::int64_t stage = static_cast<std::int64_t>(si) + 2, width = widths[si];
        for (int blk = 0; blk < 2; ++blk) {
            const std::int64_t stride = blk == 0 && stage > 2 ? 2 : 1;
            const std::string pre = "conv" + std::to_string(stage) + "_" + std::to_string(blk + 1);
            NamedLayer first = conv(pre + "a", b, c_in, width, size, 3, stride, 1);
            const std::int64_t out = first.layer.p;
            l.push_back(first);
            l.push_back(conv(pre + "b", b, width, width, out, 3, 1, 1));
            if (stride != 1 || c_in != width) {
                l.push_back(conv(pre + "_proj", b, c_in, width, size, 1, stride));
            }
            size = out;
            c_in = width;
        }
    }
    l.push_back(fc("fc", b, 512, 1000));
    return l;
}

// ResNet-50 v1.5 at 224 x 224 (He et al., CVPR 2016; stride on the 3x3 convolution).
Layers resnet50(std::int64_t b) {
    Layers l = {conv("conv1", b, 3, 64, 224, 7, 2, 3)};
    std::int64_t size = 56, c_in = 64;
    const std::array<std::pair<std::int64_t, int>, 4> stages = {
        std::pair<std::int64_t, int>{64, 3}, {128, 4}, {256, 6}, {512, 3}};
    for (std::size_t si = 0; si < stages.size(); ++si) {
        const std::int64_t stage = static_cast<std::int64_t>(si) + 2;
        const std::int64_t width = stages[si].first, out = 4 * width;
        for (int blk = 0; blk < stages[si].second; ++blk) {
            const std::int64_t stride = blk == 0 && stage > 2 ? 2 : 1;
            const std::string pre = "conv" + std::to_string(stage) + "_" + std::to_string(blk + 1);
            l.push_back(conv(pre + "a", b, c_in, width, size, 1));
            l.push_back(conv(pre + "b", b, width, width, size, 3, stride, 1));
            size /= stride;
            l.push_back(conv(pre + "c", b, width, out, size, 1));
            if (blk == 0) l.push_back(conv(pre + "_proj", b, c_in, out, size * stride, 1, stride));
            c_in = out;
        }
    }
    l.push_back(fc("fc", b, 2048, 1000));
    return l;
}

struct Entry {
    const char* name;
    Layers (*build)(std::int64_t);
};

constexpr std::array<Entry, 5> kWorkloads = {{{"alexnet", alexnet},
                                              {"alexnet-conv", alexnet_conv},
                                              {"vgg16", vgg16},
                                              {"resnet18", resnet18},
                                              {"resnet50", resnet50}}};

// Lower case with '-', '_' and '/' removed: "AlexNet_Conv" == "alexnet-conv".
std::string key(const std::string& s) {
    std::string out;
    for (char ch : s) {
        if (ch == '-' || ch == '_' || ch == '/') continue;
        out += static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    }
    return out;
}

}  // namespace

std::vector<std::string> builtin_workload_names() {
    std::vector<std::string> names;
    for (const auto& e : kWorkloads) names.emplace_back(e.name);
    return names;
}

std::vector<NamedLayer> builtin_workload(const std::string& name, std::int64_t batch) {
    if (batch < 1 || batch >= 2147483648LL) {
        throw std::invalid_argument("batch must be an integer in [1, 2^31), got " +
                                    std::to_string(batch));
    }
    const std::string k = key(name);
    for (const auto& e : kWorkloads) {
        if (key(e.name) == k) {
            Layers layers = e.build(batch);
            for (const auto& nl : layers) nl.layer.validate();
            return layers;
        }
    }
    std::string valid;
    for (const auto& n : builtin_workload_names()) valid += (valid.empty() ? "" : ", ") + n;
    throw std::invalid_argument("unknown workload '" + printable(name) + "' (valid: " + valid +
                                ")");
}

}  // namespace tldse
