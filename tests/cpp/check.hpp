// A small test harness for the C++ core (no framework is available offline): test cases
// register themselves with TEST_CASE(name), SECTION("what") names a part of a case in
// failure messages, CHECK / CHECK_EQ / CHECK_NEAR / CHECK_THROWS count failures. The
// binary runs every case, or those named on its command line; it exits non-zero when a
// check fails.
#pragma once

#include <functional>
#include <string>
#include <vector>

namespace check {

void report(bool ok, const char* file, int line, const std::string& what);
std::string describe_eq(const std::string& a, const std::string& b, const char* ea, const char* eb);

template <typename T>
std::string show(const T& v);

template <typename A, typename B>
void check_eq(const A& a, const B& b, const char* ea, const char* eb, const char* file, int line) {
    const bool ok = a == b;
    report(ok, file, line, ok ? std::string() : describe_eq(show(a), show(b), ea, eb));
}

void check_near(double a, double b, double rel, const char* ea, const char* eb, const char* file,
                int line);

// Runs fn, expects std::invalid_argument whose message contains every needle.
void check_throws(const std::function<void()>& fn, const std::vector<std::string>& needles,
                  const char* expr, const char* file, int line);

// The current section, for failure messages; restored when the scope ends.
class Section {
   public:
    explicit Section(std::string name);
    ~Section();

   private:
    std::string saved_;
};

struct Registrar {
    Registrar(const char* name, void (*fn)());
};

// A file in the temp directory, unique to this process; removed when the run ends.
std::string tmp_file(const std::string& name, const std::string& text);

}  // namespace check

#include <sstream>

template <typename T>
std::string check::show(const T& v) {
    std::ostringstream os;
    os.precision(17);
    os << v;
    return os.str();
}

#define TLDSE_CAT2(a, b) a##b
#define TLDSE_CAT(a, b) TLDSE_CAT2(a, b)
#define TEST_CASE(name)                                                      \
    void test_##name();                                                      \
    const check::Registrar TLDSE_CAT(registrar_, name){#name, &test_##name}; \
    void test_##name()
#define SECTION(name) const check::Section TLDSE_CAT(section_, __LINE__)(name)
#define CHECK(cond) check::report(static_cast<bool>(cond), __FILE__, __LINE__, #cond)
#define CHECK_EQ(a, b) check::check_eq((a), (b), #a, #b, __FILE__, __LINE__)
#define CHECK_NEAR(a, b) check::check_near((a), (b), 1e-12, #a, #b, __FILE__, __LINE__)
#define CHECK_THROWS(stmt, ...) \
    check::check_throws([&] { stmt; }, {__VA_ARGS__}, #stmt, __FILE__, __LINE__)
