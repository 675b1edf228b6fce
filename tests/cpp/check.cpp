#include "check.hpp"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <stdexcept>
#include <utility>

namespace check {

namespace {

int g_checks = 0;
int g_failures = 0;
std::string g_test;
std::string g_section;
std::vector<std::string> g_tmp_files;

std::vector<std::pair<std::string, void (*)()>>& registry() {
    static std::vector<std::pair<std::string, void (*)()>> cases;
    return cases;
}

}  // namespace

void report(bool ok, const char* file, int line, const std::string& what) {
    ++g_checks;
    if (!ok) {
        ++g_failures;
        std::cerr << file << ":" << line << ": [" << g_test
                  << (g_section.empty() ? "" : " / " + g_section) << "] FAILED: " << what << "\n";
    }
}

std::string describe_eq(const std::string& a, const std::string& b, const char* ea,
                        const char* eb) {
    return std::string(ea) + " == " + eb + " (got " + a + " vs " + b + ")";
}

void check_near(double a, double b, double rel, const char* ea, const char* eb, const char* file,
                int line) {
    const bool ok = a == b || std::fabs(a - b) <= rel * std::max(std::fabs(a), std::fabs(b));
    report(ok, file, line,
           ok ? std::string()
              : std::string(ea) + " ~= " + eb + " (got " + show(a) + " vs " + show(b) + ")");
}

void check_throws(const std::function<void()>& fn, const std::vector<std::string>& needles,
                  const char* expr, const char* file, int line) {
    try {
        fn();
    } catch (const std::invalid_argument& e) {
        const std::string msg = e.what();
        for (const auto& n : needles) {
            if (msg.find(n) == std::string::npos) {
                report(false, file, line,
                       std::string(expr) + ": message '" + msg + "' lacks '" + n + "'");
                return;
            }
        }
        report(true, file, line, "");
        return;
    } catch (const std::exception& e) {
        report(false, file, line, std::string(expr) + ": wrong exception type: " + e.what());
        return;
    }
    report(false, file, line, std::string(expr) + ": did not throw");
}

Section::Section(std::string name) : saved_(std::move(g_section)) {
    g_section = saved_.empty() ? std::move(name) : saved_ + " / " + name;
}
Section::~Section() { g_section = std::move(saved_); }

Registrar::Registrar(const char* name, void (*fn)()) { registry().emplace_back(name, fn); }

std::string tmp_file(const std::string& name, const std::string& text) {
    const std::string path = (std::filesystem::temp_directory_path() /
                              ("tldse_cpp_test_" + std::to_string(::getpid()) + "_" + name))
                                 .string();
    std::ofstream out(path);
    out << text;
    g_tmp_files.push_back(path);
    return path;
}

}  // namespace check

int main(int argc, char** argv) {
    using namespace check;
    std::vector<std::string> wanted(argv + 1, argv + argc);
    int run = 0;
    for (const auto& [name, fn] : registry()) {
        if (!wanted.empty() && std::find(wanted.begin(), wanted.end(), name) == wanted.end()) {
            continue;
        }
        g_test = name;
        g_section.clear();
        ++run;
        try {
            fn();
        } catch (const std::exception& e) {
            report(false, "(test case)", 0, std::string("uncaught exception: ") + e.what());
        }
    }
    for (const auto& f : g_tmp_files) std::remove(f.c_str());
    if (run == 0) {
        std::cerr << "no test case matched\n";
        return 1;
    }
    std::cout << run << " test cases, " << g_checks << " checks, " << g_failures << " failures\n";
    return g_failures == 0 ? 0 : 1;
}
