// tests/harvest/fixture_provider.py, an OAI-PMH provider with the quirks of real ones, started
// by a test on a free loopback port (it picks one and writes it to a file) and stopped by its
// pid; the requests it logged. For the harvester's tests and the harvest runs'.
#pragma once

#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "api_harness.hpp"

namespace daemon_harness {

// One request as the fixture logged it.
struct Logged {
    std::string query;
    long long port;
    std::string accept_encoding;
    std::string user_agent;
    std::string coding;
    long long status;
};

class Fixture {
  public:
    explicit Fixture(const std::string& config = "{}") {
        std::string pattern =
            (std::filesystem::temp_directory_path() / "oai-fixture-XXXXXX").string();
        if (!mkdtemp(pattern.data())) throw std::runtime_error("mkdtemp failed");
        dir_ = pattern;
        const std::string port_file = dir_ + "/port";
        const std::vector<std::string> arguments = {"/usr/bin/python3",
                                                    IIIF_SOURCE_DIR
                                                    "/tests/harvest/fixture_provider.py",
                                                    "--port-file",
                                                    port_file,
                                                    "--log",
                                                    dir_ + "/requests.log",
                                                    "--config",
                                                    config};
        pid_ = fork();
        if (pid_ < 0) throw std::runtime_error("fork failed");
        if (pid_ == 0) {
            prctl(PR_SET_PDEATHSIG, SIGKILL);
            std::vector<char*> argv;
            for (const std::string& argument : arguments)
                argv.push_back(const_cast<char*>(argument.c_str()));
            argv.push_back(nullptr);
            execv(argv[0], argv.data());
            _exit(127);
        }
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
        while (!std::filesystem::exists(port_file)) {
            if (std::chrono::steady_clock::now() > deadline ||
                waitpid(pid_, nullptr, WNOHANG) == pid_)
                throw std::runtime_error("the fixture provider did not start");
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
        port_ = std::stoi(read_file(port_file));
    }

    ~Fixture() {
        stop();
        std::error_code ignored;
        std::filesystem::remove_all(dir_, ignored);
    }

    // SIGTERM, then at most 5 s: its exit status (-1: it had to be killed).
    int stop() {
        if (pid_ < 0) return exit_status_;
        kill(pid_, SIGTERM);
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
        int status = 0;
        while (waitpid(pid_, &status, WNOHANG) != pid_) {
            if (std::chrono::steady_clock::now() > deadline) {
                kill(pid_, SIGKILL);
                waitpid(pid_, nullptr, 0);
                pid_ = -1;
                return exit_status_ = -1;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
        pid_ = -1;
        return exit_status_ = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    }

    Fixture(const Fixture&) = delete;
    Fixture& operator=(const Fixture&) = delete;

    std::string base_url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/oai"; }

    std::vector<Logged> requests() const {
        std::vector<Logged> logged;
        const std::string log = read_file(dir_ + "/requests.log");
        std::size_t start = 0;
        for (std::size_t end = log.find('\n'); end != std::string::npos;
             start = end + 1, end = log.find('\n', start)) {
            const std::string line = log.substr(start, end - start);
            logged.push_back({json_text(line, "query"), json_integer(line, "port"),
                              json_text(line, "accept_encoding"), json_text(line, "user_agent"),
                              json_text(line, "coding"), json_integer(line, "status")});
        }
        return logged;
    }

    std::vector<std::string> queries() const {
        std::vector<std::string> all;
        for (const Logged& request : requests()) all.push_back(request.query);
        return all;
    }

  private:
    std::string dir_;
    pid_t pid_ = -1;
    int port_ = 0;
    int exit_status_ = -1;
};

}  // namespace daemon_harness
