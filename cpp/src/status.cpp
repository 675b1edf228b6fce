#include "tldse/status.hpp"

namespace tldse {

const char* status_name(Status s) noexcept {
    switch (s) {
        case Status::ok: return "ok";
        case Status::invalid_config: return "invalid_config";
        case Status::does_not_fit: return "does_not_fit";
        case Status::unsupported: return "unsupported";
    }
    return "unknown";
}

}  // namespace tldse
