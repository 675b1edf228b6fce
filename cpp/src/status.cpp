#include "tldse/status.hpp"

namespace tldse {

const char* status_name(Status s) noexcept {
    const auto i = static_cast<std::size_t>(s);
    return i < kStatusNames.size() ? kStatusNames[i] : "unknown";
}

}  // namespace tldse
